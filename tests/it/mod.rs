//! Integration tests of the library and of the real `sm-data` binary.

mod bad_corpus;
mod bad_input;
mod chunking;
mod cli;
mod golden;
mod roundtrip;
#[cfg(feature = "s3")]
mod s3;
mod util;
