//! sm-data: readers, writers and converters for the data formats of Amazon
//! SageMaker.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod batch;
pub mod codec;
pub mod error;

pub use batch::{Batch, Dtype};
pub use error::{Error, ErrorKind, Position, Result};
