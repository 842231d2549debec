//! Integration tests of the library and of the real `sm-data` binary.

mod bad_corpus;
mod bad_input;
mod chunking;
mod cli;
mod faults;
mod golden;
mod roundtrip;
mod util;
mod validate;
