//! Sans-IO codecs: bytes in, batches or bytes out. Nothing in this module
//! touches `std::io`, files, threads or the network, so every codec can be
//! driven from a memory map, a pipe, an S3 body or a fuzzer alike.
//!
//! There are two kinds of codec:
//! - **framing** codecs find record boundaries without decoding payloads:
//!   [`recordio`] (MXNet RecordIO), [`tfrecord`] (TFRecord, masked
//!   CRC-32C), [`lines`] (newline framing, quote aware for CSV) and
//!   [`json::DocumentFramer`] (the elements of a JSON document's array).
//!   They implement [`Framer`]; the length-prefixed ones ([`recordio`],
//!   [`tfrecord`]) implement [`FrameCodec`], which finds one frame at a
//!   time and lends its payload, and get [`Framer`] from it.
//! - **payload** codecs turn whole records into a [`Batch`] and back:
//!   [`protobuf`] (SageMaker `aialgs.data.Record`), [`csv`], [`libsvm`] and
//!   [`json`] (JSON Lines and JSON documents).
//!   They implement [`ChunkDecoder`] and [`BatchEncoder`].
//!
//! Positions in errors returned by these traits are relative to the chunk
//! (record, line and byte offset counted from the chunk's start); the
//! pipeline shifts them to absolute positions.

use crate::batch::Batch;
use crate::error::Result;

pub mod csv;
pub mod json;
pub mod libsvm;
pub mod lines;
pub mod protobuf;
pub mod recordio;
mod shortf32;
pub mod text;
pub mod tfrecord;

/// Finds record boundaries in a byte buffer that starts at a record
/// boundary, without decoding the records.
pub trait Framer: Send + Sync {
    /// Length of the longest prefix of `buf` that ends on a record boundary
    /// (0 when `buf` holds no complete record). When `eof` is true, `buf` is
    /// the rest of the input, and an incomplete final record is an error
    /// for framed formats (a final line without a newline is fine).
    fn boundary(&self, buf: &[u8], eof: bool) -> Result<usize>;

    /// [`Framer::boundary`] for a buffer that starts `offset` bytes into
    /// the input. Framers whose grammar differs at the very start of the
    /// input (a JSON document's prefix) override this; the chunker calls it.
    fn boundary_at(&self, buf: &[u8], eof: bool, offset: u64) -> Result<usize> {
        let _ = offset;
        self.boundary(buf, eof)
    }

    /// A boundary found without reading all of `buf` (`buf` not at the
    /// end of the input), that may be wrong; `None` when the framer has no
    /// such shortcut. The pipeline uses it for mapped input, where chunks
    /// can be cut again: each chunk cut this way is checked with
    /// [`Framer::confirms`] on a worker thread, in parallel, and the input
    /// is cut again exactly from the first chunk that fails. (A quoted CSV
    /// framer must otherwise count quotes through every byte of the input
    /// on the one thread that cuts chunks.)
    fn speculative_boundary(&self, buf: &[u8]) -> Option<usize> {
        let _ = buf;
        None
    }

    /// Whether `chunk`, which starts on a record boundary and was cut by
    /// [`Framer::speculative_boundary`], also ends on one.
    fn confirms(&self, chunk: &[u8]) -> bool {
        let _ = chunk;
        true
    }
}

/// A framing codec that finds one frame at a time at the start of a
/// buffer: the sans-IO core shared by the RecordIO and TFRecord readers
/// (over memory and streams), the chunker ([`Framer`] comes with it) and
/// sharding. Error offsets are relative to the buffer passed in.
pub trait FrameCodec: Send + Sync {
    /// What finding a frame learns: enough to know its length and to
    /// find its payload again in the same buffer.
    type Found: FoundFrame;

    /// Finds and fully checks the frame at the start of `buf`. `Ok(None)`
    /// means more bytes are needed; with `eof` (`buf` is the rest of the
    /// input) it is returned only for an empty `buf`.
    fn next_frame(&self, buf: &[u8], eof: bool) -> Result<Option<Self::Found>>;

    /// Like [`FrameCodec::next_frame`], making only the checks needed to
    /// know where the frame ends (what [`Framer::boundary`] uses; the
    /// default makes them all).
    #[inline]
    fn next_boundary(&self, buf: &[u8], eof: bool) -> Result<Option<Self::Found>> {
        self.next_frame(buf, eof)
    }

    /// The payload of a frame found at the start of `buf`: borrowed from
    /// `buf`, or assembled in `scratch` when the format must join parts.
    fn payload<'a>(&self, buf: &'a [u8], found: Self::Found, scratch: &'a mut Vec<u8>) -> &'a [u8];

    /// The start of the last frame of `buf` (`buf` starts on a frame), found
    /// by searching back for a marker instead of walking every frame; it
    /// may be wrong (a payload can hold the marker), see
    /// [`Framer::speculative_boundary`]. 0 when there is none; `None` when
    /// the format has no marker to search for.
    fn last_frame_start(&self, buf: &[u8]) -> Option<usize> {
        let _ = buf;
        None
    }
}

/// The writing side of a framing codec: the bytes around a payload.
pub trait FrameEncode {
    /// Appends the bytes that go before a payload of `len` bytes; lengths
    /// the format cannot describe are refused.
    fn head(&self, len: usize, out: &mut Vec<u8>) -> Result<()>;

    /// Appends the bytes that go after `payload`.
    fn tail(&self, payload: &[u8], out: &mut Vec<u8>);
}

/// What a [`FrameCodec`] learns when it finds a frame.
pub trait FoundFrame: Copy + std::fmt::Debug {
    /// Bytes the frame occupies in the buffer it was found in.
    fn frame_len(&self) -> usize;
}

/// Walks the frames at the start of `buf` one after another, calling
/// `each(offset, index, found)` for each, and returns the bytes of the
/// whole frames found; it stops early only at an incomplete frame when not
/// `eof`. `checked` selects [`FrameCodec::next_frame`] over
/// [`FrameCodec::next_boundary`]. Errors from the codec name the record
/// index and byte offset within `buf`; errors from `each` pass unchanged.
#[inline]
pub(crate) fn walk_frames<C: FrameCodec + ?Sized>(
    codec: &C,
    buf: &[u8],
    eof: bool,
    checked: bool,
    mut each: impl FnMut(usize, u64, C::Found) -> Result<()>,
) -> Result<usize> {
    let mut pos = 0;
    let mut n = 0u64;
    while pos < buf.len() {
        let rest = &buf[pos..];
        let found = if checked {
            codec.next_frame(rest, eof)
        } else {
            codec.next_boundary(rest, eof)
        };
        match found.map_err(|e| e.shift(0, 0, pos as u64).at_record(n))? {
            Some(found) => {
                each(pos, n, found)?;
                pos += found.frame_len();
                n += 1;
            }
            None => break,
        }
    }
    Ok(pos)
}

/// Decodes a test vector written as hex digits and spaces.
#[cfg(test)]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Frame codecs cut chunks at frame boundaries.
impl<C: FrameCodec> Framer for C {
    fn boundary(&self, buf: &[u8], eof: bool) -> Result<usize> {
        walk_frames(self, buf, eof, false, |_, _, _| Ok(()))
    }

    fn speculative_boundary(&self, buf: &[u8]) -> Option<usize> {
        self.last_frame_start(buf)
    }

    /// Walking the chunk's frames from its start ends exactly at its end.
    fn confirms(&self, chunk: &[u8]) -> bool {
        matches!(self.boundary(chunk, true), Ok(n) if n == chunk.len())
    }
}

/// Decodes a chunk of whole records into a [`Batch`].
pub trait ChunkDecoder: Send + Sync {
    /// Clears `out` and appends every record of `chunk` to it. `first` is
    /// true for the chunk at the start of the input (which may carry a
    /// header or a byte-order mark).
    fn decode(&self, chunk: &[u8], first: bool, out: &mut Batch) -> Result<()>;

    /// Number of records in `chunk`, checking framing but, where the
    /// format allows, without decoding values.
    fn count(&self, chunk: &[u8], first: bool) -> Result<u64>;

    /// One more than the largest feature index (or the widest dense row)
    /// in `chunk`: the number of columns the chunk needs. Formats that can
    /// find it without decoding values override this.
    fn columns(&self, chunk: &[u8], first: bool) -> Result<u64> {
        let mut batch = Batch::default();
        self.decode(chunk, first, &mut batch)?;
        Ok(batch.max_columns())
    }
}

/// Encodes a [`Batch`] into the bytes of an output format.
pub trait BatchEncoder: Send + Sync {
    /// Appends the encoding of every row of `batch` to `out`. Positions in
    /// errors are row indices within the batch.
    fn encode(&self, batch: &Batch, out: &mut Vec<u8>) -> Result<()>;

    /// Bytes written once before the first batch (a CSV header row).
    fn header(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Bytes written once after the last batch (the end of a JSON
    /// document), also when there were no rows.
    fn footer(&self) -> Vec<u8> {
        Vec::new()
    }

    /// A separator that [`BatchEncoder::encode`] writes before every row
    /// (the comma between the elements of a JSON array); the caller drops
    /// it before the first row of the output.
    fn separator(&self) -> &'static [u8] {
        b""
    }

    /// True when every dense row of the output must have the same number
    /// of values (CSV); the pipeline then checks this across batches.
    fn needs_uniform_width(&self) -> bool {
        false
    }
}
