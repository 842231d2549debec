//! Integration tests of the library and of the real `sm-data` binary.

mod bad_corpus;
mod bad_input;
mod chunking;
mod cli;
mod faults;
mod golden;
mod json;
mod manifest;
mod memory;
#[cfg(feature = "parquet")]
mod parquet;
mod pipe;
mod roundtrip;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "s3")]
mod s3_e2e;
mod shard;
mod tfrecord;
mod util;
mod validate;
