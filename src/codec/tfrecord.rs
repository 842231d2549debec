//! TFRecord framing (spec §3.1), as TensorFlow's `TFRecordWriter` writes it
//! and SageMaker's `PipeModeDataset` and batch transform
//! (`SplitType=TFRecord`) read it.
//!
//! | field | size |
//! |---|---|
//! | length | u64 LE |
//! | masked CRC-32C of the 8 length bytes | u32 LE |
//! | data | length bytes |
//! | masked CRC-32C of data | u32 LE |
//!
//! There is no magic and no padding. CRC-32C is the Castagnoli CRC; the
//! mask is `((crc >> 15) | (crc << 17)) + 0xA282EAD8` (mod 2^32).
//!
//! Both CRCs are checked on read: a bad length CRC is reported as
//! "CRC check on header failed" (the length cannot be trusted, so nothing
//! after it can be read), a bad data CRC as "CRC check on data failed", the
//! words PipeModeDataset uses. The payload is opaque bytes (typically a
//! serialized `tf.train.Example`); this module does not interpret it.
//! Whole-file GZIP (TF `TFRecordOptions`) is handled by the input layer,
//! which decompresses gzip streams.

use crate::codec::{FoundFrame, FrameCodec, FrameEncode, walk_frames};
use crate::error::{Error, ErrorKind, Result};

/// Bytes before the payload: length and its masked CRC.
pub const HEADER_LEN: usize = 12;
/// Bytes after the payload: the masked CRC of the data.
pub const FOOTER_LEN: usize = 4;
/// Default limit on the payload of one record: 1 GiB.
pub const DEFAULT_MAX_RECORD_LEN: usize = 1 << 30;

const FORMAT: &str = "tfrecord";
const MASK_DELTA: u32 = 0xA282_EAD8;

/// The masked CRC-32C of `data`, as TFRecord stores it.
#[inline]
pub fn masked_crc(data: &[u8]) -> u32 {
    mask(crc32c::crc32c(data))
}

/// Masks a CRC-32C value.
#[inline]
pub fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Undoes [`mask`].
#[inline]
pub fn unmask(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}

/// Appends one framed record to `out`.
pub fn encode_record(out: &mut Vec<u8>, payload: &[u8]) {
    out.reserve(HEADER_LEN + payload.len() + FOOTER_LEN);
    encode_header(out, payload.len());
    out.extend_from_slice(payload);
    out.extend_from_slice(&masked_crc(payload).to_le_bytes());
}

/// Appends the 12-byte header of a record of `len` payload bytes.
pub fn encode_header(out: &mut Vec<u8>, len: usize) {
    let len = (len as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
}

/// Frames records with their length and CRCs, for
/// [`crate::format::tfrecord::Writer`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Encoder;

impl FrameEncode for Encoder {
    #[inline]
    fn head(&self, len: usize, out: &mut Vec<u8>) -> Result<()> {
        encode_header(out, len);
        Ok(())
    }

    #[inline]
    fn tail(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&masked_crc(payload).to_le_bytes());
    }
}

#[inline]
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A record found by [`Decoder::next_record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// Bytes of the whole frame: header, payload and footer.
    pub consumed: usize,
    /// Payload length.
    pub payload_len: usize,
}

impl FoundFrame for Found {
    #[inline]
    fn frame_len(&self) -> usize {
        self.consumed
    }
}

impl Found {
    /// The payload of this record in the buffer it was found in.
    #[inline]
    pub fn payload<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[HEADER_LEN..HEADER_LEN + self.payload_len]
    }
}

/// The sans-IO TFRecord decoder: finds and checks records in a buffer.
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    max_record_len: usize,
    verify_data: bool,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder that checks both CRCs, with a 1 GiB record limit.
    pub fn new() -> Decoder {
        Decoder {
            max_record_len: DEFAULT_MAX_RECORD_LEN,
            verify_data: true,
        }
    }

    /// Sets the largest payload accepted (a guard against a corrupt or
    /// hostile length making the reader allocate without bound).
    pub fn max_record_len(&mut self, max: usize) -> &mut Decoder {
        self.max_record_len = max;
        self
    }

    /// Whether [`Decoder::next_record`] checks the data CRC (default true).
    /// The length CRC is always checked.
    pub fn verify_data(&mut self, verify: bool) -> &mut Decoder {
        self.verify_data = verify;
        self
    }

    /// Finds the record at the start of `buf` and checks its CRCs.
    /// `Ok(None)` means more bytes are needed (never when `eof`, except for
    /// an empty `buf`). Error offsets are relative to `buf`: the header for
    /// a bad length, the data CRC for bad data.
    pub fn next_record(&self, buf: &[u8], eof: bool) -> Result<Option<Found>> {
        let found = match self.frame(buf, eof)? {
            Some(f) => f,
            None => return Ok(None),
        };
        if self.verify_data {
            check_data(buf, found)?;
        }
        Ok(Some(found))
    }

    /// Like [`Decoder::next_record`] but never checks the data CRC (the
    /// framing alone: length, its CRC, and that the frame is complete).
    pub fn frame(&self, buf: &[u8], eof: bool) -> Result<Option<Found>> {
        if buf.len() < HEADER_LEN {
            return incomplete(buf.len(), HEADER_LEN, eof, buf.is_empty());
        }
        let expected = u32_at(buf, 8);
        let actual = masked_crc(&buf[..8]);
        if expected != actual {
            return Err(Error::syntax(
                FORMAT,
                format!(
                    "CRC check on header failed: the length bytes have masked CRC-32C {actual:08x} but the record stores {expected:08x}"
                ),
            )
            .at_byte(0));
        }
        let len = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
        if len > self.max_record_len as u64 {
            return Err(Error::new(ErrorKind::TooLarge {
                len,
                max: self.max_record_len as u64,
            })
            .at_byte(0));
        }
        let len = len as usize;
        let total = HEADER_LEN + len + FOOTER_LEN;
        if buf.len() < total {
            return incomplete(buf.len(), total, eof, false);
        }
        Ok(Some(Found {
            consumed: total,
            payload_len: len,
        }))
    }

    /// Calls `f(payload, record_offset)` for every record of `chunk`, which
    /// must hold whole records. Returns the record count. A byte offset in
    /// an error from `f` is taken as relative to the payload and mapped to
    /// the chunk.
    pub fn for_each<F>(&self, chunk: &[u8], mut f: F) -> Result<u64>
    where
        F: FnMut(&[u8], usize) -> Result<()>,
    {
        let mut records = 0;
        walk_frames(self, chunk, true, true, |pos, n, found| {
            records += 1;
            f(found.payload(&chunk[pos..]), pos).map_err(|mut e| {
                let byte = &mut e.position_mut().byte;
                *byte = Some((pos + HEADER_LEN) as u64 + byte.unwrap_or(0));
                e.at_record(n)
            })
        })?;
        Ok(records)
    }
}

/// Checks the data CRC of a record found at the start of `buf`.
fn check_data(buf: &[u8], found: Found) -> Result<()> {
    let at = HEADER_LEN + found.payload_len;
    let expected = u32_at(buf, at);
    let actual = masked_crc(&buf[HEADER_LEN..at]);
    if expected != actual {
        return Err(Error::syntax(
            FORMAT,
            format!(
                "CRC check on data failed: the {} payload bytes have masked CRC-32C {actual:08x} but the record stores {expected:08x}",
                found.payload_len
            ),
        )
        .at_byte(at as u64));
    }
    Ok(())
}

fn incomplete(available: usize, needed: usize, eof: bool, empty: bool) -> Result<Option<Found>> {
    if eof && !empty {
        Err(Error::new(ErrorKind::Truncated {
            format: FORMAT,
            needed: needed as u64,
            available: available as u64,
        })
        .at_byte(0))
    } else {
        Ok(None)
    }
}

impl FrameCodec for Decoder {
    type Found = Found;

    #[inline]
    fn next_frame(&self, buf: &[u8], eof: bool) -> Result<Option<Found>> {
        self.next_record(buf, eof)
    }

    /// Cuts at record boundaries, checking the header CRCs (data CRCs are
    /// checked when the records are read).
    #[inline]
    fn next_boundary(&self, buf: &[u8], eof: bool) -> Result<Option<Found>> {
        self.frame(buf, eof)
    }

    #[inline]
    fn payload<'a>(&self, buf: &'a [u8], found: Found, _scratch: &'a mut Vec<u8>) -> &'a [u8] {
        found.payload(buf)
    }
}

/// The `count` decoder of TFRecord: frames are counted and checked; their
/// payloads cannot be decoded into examples.
impl crate::codec::ChunkDecoder for Decoder {
    fn decode(&self, _chunk: &[u8], _first: bool, _out: &mut crate::Batch) -> Result<()> {
        Err(Error::unsupported(
            "TFRecord payloads are opaque bytes (such as serialized tf.train.Example), which sm-data does not decode into examples: convert TFRecord only to recordio or tfrecord (frames are copied), or count it",
        ))
    }

    fn count(&self, chunk: &[u8], _first: bool) -> Result<u64> {
        self.for_each(chunk, |_, _| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Framer, hex};

    #[test]
    fn crc32c_and_mask_match_the_spec() {
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        for v in [0u32, 1, 0xE306_9283, u32::MAX] {
            assert_eq!(unmask(mask(v)), v);
        }
    }

    #[test]
    fn matches_the_spec_test_vectors() {
        let mut out = Vec::new();
        encode_record(&mut out, b"");
        assert_eq!(out, hex("0000000000000000 29039807 d8ea82a2"));
        let mut out = Vec::new();
        encode_record(&mut out, b"hello");
        assert_eq!(out, hex("0500000000000000 eab2043e 68656c6c6f bb1f1c19"));
        let d = Decoder::new();
        let f = d.next_record(&out, true).unwrap().unwrap();
        assert_eq!(f.payload(&out), b"hello");
        assert_eq!(f.consumed, out.len());
    }

    #[test]
    fn rejects_bad_crcs_truncation_and_huge_lengths() {
        let mut buf = Vec::new();
        encode_record(&mut buf, b"ok");
        let good = buf.len();
        encode_record(&mut buf, b"hello");
        let d = Decoder::new();
        // Flip a data byte of record 2.
        let mut bad = buf.clone();
        bad[good + HEADER_LEN] ^= 1;
        let e = d.for_each(&bad, |_, _| Ok(())).unwrap_err();
        assert!(e.to_string().contains("CRC check on data failed"), "{e}");
        assert_eq!(e.position().record, Some(1));
        assert_eq!(e.position().byte, Some((good + HEADER_LEN + 5) as u64));
        // The framer does not check data CRCs; the reader does.
        assert_eq!(d.boundary(&bad, true).unwrap(), bad.len());
        // Flip a length byte of record 2.
        let mut bad = buf.clone();
        bad[good] ^= 1;
        let e = d.boundary(&bad, true).unwrap_err();
        assert!(e.to_string().contains("CRC check on header failed"), "{e}");
        assert_eq!(e.position().byte, Some(good as u64));
        // Truncated in the payload.
        let e = d
            .for_each(&buf[..buf.len() - 2], |_, _| Ok(()))
            .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated { .. }), "{e}");
        assert_eq!(d.boundary(&buf[..buf.len() - 2], false).unwrap(), good);
        // A length over the limit (with a valid CRC) is refused before any
        // allocation.
        let mut big = Vec::new();
        encode_header(&mut big, 1 << 40);
        let e = d.next_record(&big, false).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e}");
    }
}
