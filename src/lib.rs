//! # sm-data
//!
//! Readers, writers and converters for the data formats of Amazon
//! SageMaker: CSV and LibSVM text, JSON Lines and JSON (inference requests
//! and responses), MXNet RecordIO framing and SageMaker's RecordIO-protobuf
//! (`aialgs.data.Record`), byte-compatible with what the SageMaker Python
//! SDK writes and reads, and TFRecord framing.
//!
//! ## Layers
//! - [`codec`] — sans-IO codecs. Framing ([`codec::recordio`],
//!   [`codec::lines`]) finds record boundaries without decoding; payload
//!   codecs ([`codec::protobuf`], [`codec::csv`], [`codec::libsvm`]) turn
//!   chunks of records into a [`Batch`] and back.
//! - [`batch`] — the format-agnostic columnar model moved by the pipeline.
//! - [`format`](mod@format) — format names, extensions, content types and sniffing.
//! - [`store`] — inputs (mmap, stdin, FIFOs, gzip) and outputs written to
//!   a temporary name and renamed on success.
//! - [`pipeline`] — the parallel, order-preserving, bounded-memory chunk
//!   pipeline on rayon.
//! - [`pipe`] — SageMaker Pipe mode: a feeder that streams channels into
//!   `<channel>_<epoch>` FIFOs and a reader for training code.
//! - [`convert`] and [`inspect`] — the logic of the `convert`, `count` and
//!   `inspect` commands, as library calls.
//! - [`shard`] and [`manifest`] — balanced objects for `ShardedByS3Key`,
//!   channel splits, shuffles, `ManifestFile`s and `channels.json`.
//! - [`validate`] — the checks of `validate`: what would fail a SageMaker
//!   training job, per algorithm, with positions and fixes.
//!
//! ## Example
//! ```
//! use sm_data::codec::protobuf::{Record, Value};
//! use sm_data::codec::recordio;
//!
//! // One RecordIO-protobuf record as the SageMaker SDK writes it.
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/recordio-protobuf/dense_f32_label.pbr"))?;
//! let decoder = recordio::Decoder::new();
//! let found = decoder.next_record(&bytes, true)?.expect("a record");
//! let mut scratch = Vec::new();
//! let record = Record::decode(decoder.payload(&bytes, found, &mut scratch))?;
//! assert!(matches!(record.feature("values"), Some(Value::Float32(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_op_in_unsafe_fn)]

pub mod batch;
pub mod codec;
pub mod convert;
pub mod error;
pub mod format;
pub mod inspect;
pub mod manifest;
pub mod pipe;
pub mod pipeline;
pub mod shard;
pub mod store;
#[cfg(feature = "parquet")]
pub mod table;
#[cfg(test)]
mod testutil;
pub mod validate;

pub use batch::{Batch, Dtype};
pub use error::{Error, ErrorKind, Position, Result};
pub use format::{Format, FormatSpec};
