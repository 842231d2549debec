//! MXNet / dmlc RecordIO framing (`application/x-recordio`).
//!
//! Each part on disk is an 8-byte header — the magic `0xCED7230A` and a
//! word `(cflag << 29) | length`, both little-endian — then `length`
//! payload bytes and zero padding to the next multiple of 4.
//!
//! `cflag` 0 is a whole record. Values 1, 2 and 3 mark the begin, middle
//! and end parts of a record split across several parts, and two readers
//! disagree about what that means (spec §1.3):
//! - [`SplitConvention::Aws`] (the default; ml-io and PipeModeDataset, the
//!   readers SageMaker's algorithms use): parts are joined with nothing in
//!   between.
//! - [`SplitConvention::Dmlc`] (dmlc-core / MXNet `MXRecordIO`): the writer
//!   split the payload at 4-byte-aligned occurrences of the magic, so the
//!   reader puts the 4 magic bytes back between parts.
//!
//! Writers here only ever emit cflag 0 and refuse payloads of 2^29 bytes or
//! more, which cannot be described by a 29-bit length. A missing final pad
//! at the very end of the input is tolerated (the SageMaker SDK reader does
//! too); anything else incomplete is an error.

use crate::codec::{FoundFrame, FrameCodec, FrameEncode, walk_frames};
use crate::error::{Error, ErrorKind, Result};

/// The RecordIO magic number.
pub const MAGIC: u32 = 0xCED7_230A;
/// The magic as it appears on disk.
pub const MAGIC_BYTES: [u8; 4] = MAGIC.to_le_bytes();
/// Size of a part header.
pub const HEADER_LEN: usize = 8;
/// The largest payload a single part can describe: 2^29 - 1 bytes.
pub const MAX_PART_LEN: usize = (1 << 29) - 1;
/// Default limit on the size of a joined (multi-part) record: 1 GiB.
pub const DEFAULT_MAX_RECORD_LEN: usize = 1 << 30;

const FORMAT: &str = "recordio";

/// How the parts of a split record (cflag 1, 2, 3) are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SplitConvention {
    /// Plain concatenation (ml-io, PipeModeDataset, SageMaker).
    #[default]
    Aws,
    /// The magic re-inserted between parts (dmlc-core, MXNet).
    Dmlc,
}

/// A decoded part header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Continuation flag: 0 whole, 1 begin, 2 middle, 3 end.
    pub cflag: u8,
    /// Payload length in bytes (without padding).
    pub len: usize,
}

impl Header {
    /// Bytes the part occupies: header, payload and padding.
    pub fn part_len(&self) -> usize {
        HEADER_LEN + padded(self.len)
    }
}

/// `len` rounded up to a multiple of 4.
#[inline]
pub fn padded(len: usize) -> usize {
    (len + 3) & !3
}

/// Decodes the part header at the start of `buf`; `Ok(None)` when fewer
/// than 8 bytes are available. Errors name the offset relative to `buf`.
#[inline]
pub fn decode_header(buf: &[u8]) -> Result<Option<Header>> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let magic = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
    if magic != MAGIC {
        return Err(Error::syntax(
            FORMAT,
            format!(
                "expected the RecordIO magic 0a23d7ce, found {:02x}{:02x}{:02x}{:02x}",
                buf[0], buf[1], buf[2], buf[3]
            ),
        )
        .at_byte(0));
    }
    let lrec = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
    let cflag = (lrec >> 29) as u8;
    if cflag > 3 {
        return Err(Error::syntax(
            FORMAT,
            format!("invalid continuation flag {cflag} (expected 0 to 3)"),
        )
        .at_byte(4));
    }
    Ok(Some(Header {
        cflag,
        len: (lrec & 0x1FFF_FFFF) as usize,
    }))
}

/// Appends one whole record (cflag 0) with its padding to `out`.
pub fn encode_record(out: &mut Vec<u8>, payload: &[u8]) -> Result<()> {
    if payload.len() > MAX_PART_LEN {
        return Err(Error::new(ErrorKind::TooLarge {
            len: payload.len() as u64,
            max: MAX_PART_LEN as u64,
        }));
    }
    out.reserve(HEADER_LEN + padded(payload.len()));
    out.extend_from_slice(&MAGIC_BYTES);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out.resize(out.len() + padded(payload.len()) - payload.len(), 0);
    Ok(())
}

/// Writes the header of a whole record of `len` bytes and returns the
/// number of padding bytes that must follow the payload. For writers that
/// produce the payload in place.
pub fn encode_header(out: &mut Vec<u8>, len: usize) -> Result<usize> {
    if len > MAX_PART_LEN {
        return Err(Error::new(ErrorKind::TooLarge {
            len: len as u64,
            max: MAX_PART_LEN as u64,
        }));
    }
    out.extend_from_slice(&MAGIC_BYTES);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    Ok(padded(len) - len)
}

/// Frames whole records (cflag 0) with their padding, for
/// [`crate::format::recordio::Writer`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Encoder;

impl FrameEncode for Encoder {
    #[inline]
    fn head(&self, len: usize, out: &mut Vec<u8>) -> Result<()> {
        encode_header(out, len).map(|_| ())
    }

    #[inline]
    fn tail(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.resize(out.len() + padded(payload.len()) - payload.len(), 0);
    }
}

/// The sans-IO RecordIO decoder: finds logical records (joining split
/// parts) in a buffer.
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    convention: SplitConvention,
    max_record_len: usize,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new()
    }
}

/// A logical record found by [`Decoder::next_record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// Bytes from the start of the buffer to the end of the record's last
    /// part, padding included (less when the final pad is missing at EOF).
    pub consumed: usize,
    /// Number of parts (1 for a whole record).
    pub parts: usize,
    /// Payload length after joining.
    pub payload_len: usize,
}

impl FoundFrame for Found {
    #[inline]
    fn frame_len(&self) -> usize {
        self.consumed
    }
}

impl Decoder {
    /// A decoder with the AWS convention and a 1 GiB record limit.
    pub fn new() -> Decoder {
        Decoder {
            convention: SplitConvention::Aws,
            max_record_len: DEFAULT_MAX_RECORD_LEN,
        }
    }

    /// Sets how split records are joined.
    pub fn convention(&mut self, convention: SplitConvention) -> &mut Decoder {
        self.convention = convention;
        self
    }

    /// Sets the largest joined record accepted (memory limit).
    pub fn max_record_len(&mut self, max: usize) -> &mut Decoder {
        self.max_record_len = max;
        self
    }

    /// The configured split convention.
    pub fn split_convention(&self) -> SplitConvention {
        self.convention
    }

    /// Finds the logical record at the start of `buf` without copying.
    /// `Ok(None)` means more bytes are needed (never returned when `eof`).
    /// Error offsets are relative to `buf`.
    pub fn next_record(&self, buf: &[u8], eof: bool) -> Result<Option<Found>> {
        let mut pos = 0;
        let mut parts = 0;
        let mut payload_len = 0usize;
        loop {
            let Some(h) = decode_header(&buf[pos..]).map_err(|e| e.shift(0, 0, pos as u64))? else {
                return incomplete(buf.len() - pos, HEADER_LEN, pos, eof, buf.is_empty());
            };
            match (parts, h.cflag) {
                (0, 0) | (0, 1) => {}
                (0, c) => {
                    return Err(Error::syntax(
                        FORMAT,
                        format!(
                            "corrupt split record: a part with continuation flag {c} has no beginning (flag 1)"
                        ),
                    )
                    .at_byte(pos as u64));
                }
                (_, 2) | (_, 3) => {
                    if self.convention == SplitConvention::Dmlc {
                        payload_len += 4;
                    }
                }
                (_, c) => {
                    return Err(Error::syntax(
                        FORMAT,
                        format!(
                            "corrupt split record: expected a continuation part (flag 2 or 3), found flag {c}"
                        ),
                    )
                    .at_byte(pos as u64));
                }
            }
            payload_len += h.len;
            if payload_len > self.max_record_len {
                return Err(Error::new(ErrorKind::TooLarge {
                    len: payload_len as u64,
                    max: self.max_record_len as u64,
                })
                .at_byte(pos as u64));
            }
            let avail = buf.len() - pos;
            let end = if avail >= h.part_len() {
                pos + h.part_len()
            } else if eof && avail >= HEADER_LEN + h.len {
                // The last part lacks its padding: tolerated at EOF only.
                buf.len()
            } else {
                return incomplete(avail, h.part_len(), pos, eof, false);
            };
            parts += 1;
            pos = end;
            if h.cflag == 0 || h.cflag == 3 {
                return Ok(Some(Found {
                    consumed: pos,
                    parts,
                    payload_len,
                }));
            }
            if eof && pos >= buf.len() {
                return Err(Error::new(ErrorKind::Truncated {
                    format: FORMAT,
                    needed: HEADER_LEN as u64,
                    available: 0,
                })
                .at_byte(pos as u64));
            }
        }
    }

    /// The payload of a record found by [`Decoder::next_record`] on the
    /// same buffer: borrowed when it is a single part, otherwise joined
    /// into `scratch`.
    #[inline]
    pub fn payload<'a>(&self, buf: &'a [u8], found: Found, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        if found.parts == 1 {
            let len = found.payload_len;
            return &buf[HEADER_LEN..HEADER_LEN + len];
        }
        scratch.clear();
        scratch.reserve(found.payload_len);
        let mut pos = 0;
        for i in 0..found.parts {
            let lrec = u32::from_le_bytes([buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]]);
            let len = (lrec & 0x1FFF_FFFF) as usize;
            if i > 0 && self.convention == SplitConvention::Dmlc {
                scratch.extend_from_slice(&MAGIC_BYTES);
            }
            scratch.extend_from_slice(&buf[pos + HEADER_LEN..pos + HEADER_LEN + len]);
            pos += HEADER_LEN + padded(len);
        }
        scratch
    }

    /// Calls `f(payload, record_offset)` for every logical record of
    /// `chunk`, which must hold whole records. Returns the record count.
    /// A byte offset in an error from `f` is taken as relative to the
    /// payload and mapped to the chunk.
    pub fn for_each<F>(&self, chunk: &[u8], scratch: &mut Vec<u8>, mut f: F) -> Result<u64>
    where
        F: FnMut(&[u8], usize) -> Result<()>,
    {
        let mut records = 0;
        walk_frames(self, chunk, true, true, |pos, n, found| {
            let payload = self.payload(&chunk[pos..], found, scratch);
            records += 1;
            f(payload, pos).map_err(|mut e| {
                // A payload offset maps to the file for a single part;
                // for a joined record, name the record's first header.
                let byte = &mut e.position_mut().byte;
                *byte = Some(match (*byte, found.parts) {
                    (Some(b), 1) => (pos + HEADER_LEN) as u64 + b,
                    _ => pos as u64,
                });
                e.at_record(n)
            })
        })?;
        Ok(records)
    }
}

fn incomplete(
    available: usize,
    needed: usize,
    pos: usize,
    eof: bool,
    empty: bool,
) -> Result<Option<Found>> {
    if eof && !empty {
        Err(Error::new(ErrorKind::Truncated {
            format: FORMAT,
            needed: needed as u64,
            available: available as u64,
        })
        .at_byte(pos as u64))
    } else {
        Ok(None)
    }
}

/// RecordIO frames are logical records: every part of a split record.
impl FrameCodec for Decoder {
    type Found = Found;

    #[inline]
    fn next_frame(&self, buf: &[u8], eof: bool) -> Result<Option<Found>> {
        self.next_record(buf, eof)
    }

    #[inline]
    fn payload<'a>(&self, buf: &'a [u8], found: Found, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        Decoder::payload(self, buf, found, scratch)
    }

    /// The last magic at a 4-byte aligned offset whose header starts a
    /// logical record (continuation flag 0 or 1).
    fn last_frame_start(&self, buf: &[u8]) -> Option<usize> {
        let finder = memchr::memmem::FinderRev::new(&MAGIC_BYTES);
        let mut end = buf.len();
        while let Some(i) = finder.rfind(&buf[..end]) {
            if i == 0 {
                break;
            }
            if i % 4 == 0 && i + HEADER_LEN <= buf.len() && buf[i + 7] >> 5 <= 1 {
                return Some(i);
            }
            end = i + MAGIC_BYTES.len() - 1;
        }
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Framer, hex};

    fn records(d: &Decoder, buf: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        d.for_each(buf, &mut scratch, |p, _| {
            out.push(p.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn writes_cflag_zero_with_padding() {
        let mut out = Vec::new();
        encode_record(&mut out, b"hello").unwrap();
        assert_eq!(out, hex("0a23d7ce 05000000 68656c6c6f 000000"));
        let mut out = Vec::new();
        encode_record(&mut out, b"").unwrap();
        assert_eq!(out, hex("0a23d7ce 00000000"));
    }

    #[test]
    fn joins_dmlc_escaped_records_with_the_magic() {
        // dmlc-core writer output for "ABCD"+magic+"EF" (spec §1.2).
        let buf = hex("0a23d7ce 04000020 41424344 0a23d7ce 02000060 45460000");
        let mut d = Decoder::new();
        d.convention(SplitConvention::Dmlc);
        let mut expected = b"ABCD".to_vec();
        expected.extend_from_slice(&MAGIC_BYTES);
        expected.extend_from_slice(b"EF");
        assert_eq!(records(&d, &buf).unwrap(), vec![expected]);
        // Payload = magic only: two empty parts.
        let buf = hex("0a23d7ce 00000020 0a23d7ce 00000060");
        assert_eq!(records(&d, &buf).unwrap(), vec![MAGIC_BYTES.to_vec()]);
    }

    #[test]
    fn joins_aws_split_records_plainly() {
        let mut buf = Vec::new();
        for (flag, part) in [(1u32, &b"abc"[..]), (2, b"de"), (3, b"f")] {
            buf.extend_from_slice(&MAGIC_BYTES);
            buf.extend_from_slice(&((flag << 29) | part.len() as u32).to_le_bytes());
            buf.extend_from_slice(part);
            buf.resize(padded(buf.len()), 0);
        }
        encode_record(&mut buf, b"next").unwrap();
        let d = Decoder::new();
        assert_eq!(
            records(&d, &buf).unwrap(),
            vec![b"abcdef".to_vec(), b"next".to_vec()]
        );
        // The framer never cuts inside the split record.
        assert_eq!(d.boundary(&buf[..20], false).unwrap(), 0);
        assert_eq!(d.boundary(&buf, false).unwrap(), buf.len());
    }

    #[test]
    fn rejects_bad_magic_flags_and_truncation() {
        let d = Decoder::new();
        let e = records(&d, &hex("0a23d7cf 00000000")).unwrap_err();
        assert!(e.to_string().contains("magic"), "{e}");
        assert_eq!(e.position().byte, Some(0));
        let e = records(&d, &hex("0a23d7ce 01000040 41000000")).unwrap_err();
        assert!(e.to_string().contains("no beginning"), "{e}");
        let mut buf = Vec::new();
        encode_record(&mut buf, b"abcdefgh").unwrap();
        let e = records(&d, &buf[..12]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated { .. }), "{e}");
        // A split record that never ends.
        let e = records(&d, &hex("0a23d7ce 01000020 41000000")).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated { .. }), "{e}");
        // Second record is bad: the error names record 2 and its offset.
        let mut buf = Vec::new();
        encode_record(&mut buf, b"ok").unwrap();
        buf.extend_from_slice(&hex("ffffffff 00000000"));
        let e = records(&d, &buf).unwrap_err();
        assert_eq!(e.position().record, Some(1));
        assert_eq!(e.position().byte, Some(12));
    }

    #[test]
    fn tolerates_a_missing_final_pad_only_at_eof() {
        let buf = hex("0a23d7ce 05000000 68656c6c6f");
        let d = Decoder::new();
        assert_eq!(records(&d, &buf).unwrap(), vec![b"hello".to_vec()]);
        assert_eq!(d.next_record(&buf, false).unwrap(), None);
    }

    #[test]
    fn refuses_payloads_of_2_pow_29_bytes() {
        let big = vec![0u8; MAX_PART_LEN + 1];
        let e = encode_record(&mut Vec::new(), &big).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }));
        assert!(encode_header(&mut Vec::new(), MAX_PART_LEN).is_ok());
    }

    #[test]
    fn enforces_the_joined_record_limit() {
        let mut buf = Vec::new();
        for (flag, part) in [(1u32, &b"abcd"[..]), (3, b"efgh")] {
            buf.extend_from_slice(&MAGIC_BYTES);
            buf.extend_from_slice(&((flag << 29) | part.len() as u32).to_le_bytes());
            buf.extend_from_slice(part);
        }
        let mut d = Decoder::new();
        d.max_record_len(6);
        let e = records(&d, &buf).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::TooLarge { len: 8, max: 6 }),
            "{e}"
        );
    }
}
