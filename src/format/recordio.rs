//! RecordIO readers and writer over memory and streams.
//!
//! - [`SliceReader`] walks bytes already in memory — typically a memory
//!   map from [`crate::store::Input::open`] — and yields payloads
//!   **borrowed** from them (a split record, rare, is joined into an owned
//!   buffer).
//! - [`Reader`] reads any [`Read`](std::io::Read) (stdin, a FIFO, an S3
//!   body) through one reused buffer, yielding each payload as a slice
//!   valid until the next call.
//! - [`Writer`] writes whole records (cflag 0) to any [`Write`](std::io::Write).
//!
//! All three use the sans-IO [`Decoder`] for framing, so they agree on
//! every input; errors carry the record index and absolute byte offset.
//! All three are the generic [`frames`] types over this format's
//! [`Decoder`] and [`Encoder`].

use crate::codec::recordio::{Decoder, Encoder, Found, HEADER_LEN};
use crate::format::frames::{self, SlicePayload};
use std::borrow::Cow;

/// Yields the payloads of RecordIO bytes held in memory: a whole record
/// borrowed, a split record joined into an owned buffer.
pub type SliceReader<'a> = frames::SliceReader<'a, Decoder>;

/// Reads RecordIO records from a stream through one reused buffer.
pub type Reader<R> = frames::Reader<R, Decoder>;

impl SlicePayload for Decoder {
    type Payload<'a> = Cow<'a, [u8]>;

    #[inline]
    fn slice_payload<'a>(&self, buf: &'a [u8], found: Found) -> Cow<'a, [u8]> {
        if found.parts == 1 {
            Cow::Borrowed(&buf[HEADER_LEN..HEADER_LEN + found.payload_len])
        } else {
            let mut joined = Vec::new();
            self.payload(buf, found, &mut joined);
            Cow::Owned(joined)
        }
    }
}

/// Writes whole RecordIO records (cflag 0) to a stream; payloads of
/// 2^29 bytes or more are refused.
pub type Writer<W> = frames::Writer<W, Encoder>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::recordio::{MAGIC_BYTES, encode_record, padded};
    use crate::error::ErrorKind;
    use crate::format::frames::Trickle;

    #[test]
    fn whole_records_are_borrowed_not_copied() {
        let mut bytes = Vec::new();
        encode_record(&mut bytes, b"whole").unwrap();
        let first = SliceReader::new(&bytes, Decoder::new())
            .next()
            .unwrap()
            .unwrap();
        assert!(matches!(first, Cow::Borrowed(b"whole")));
    }

    #[test]
    fn split_records_are_joined_and_errors_are_absolute() {
        let mut bytes = Vec::new();
        encode_record(&mut bytes, b"first").unwrap();
        for (flag, part) in [(1u32, &b"ab"[..]), (3, b"cd")] {
            bytes.extend_from_slice(&MAGIC_BYTES);
            bytes.extend_from_slice(&((flag << 29) | part.len() as u32).to_le_bytes());
            bytes.extend_from_slice(part);
            bytes.resize(padded(bytes.len()), 0);
        }
        let good = bytes.len();
        bytes.extend_from_slice(b"\x00\x00\x00\x00\x00\x00\x00\x00");
        let mut s = SliceReader::new(&bytes, Decoder::new());
        assert_eq!(s.next_record().unwrap().unwrap().as_ref(), b"first");
        let joined = s.next_record().unwrap().unwrap();
        assert!(matches!(joined, Cow::Owned(_)));
        assert_eq!(joined.as_ref(), b"abcd");
        let e = s.next_record().unwrap_err();
        assert_eq!(e.position().byte, Some(good as u64), "{e}");
        assert_eq!(e.position().record, Some(2), "{e}");
        let mut r = Reader::new(Trickle(&bytes, 5), Decoder::new());
        r.read_record().unwrap();
        assert_eq!(r.read_record().unwrap().unwrap(), b"abcd");
        let e = r.read_record().unwrap_err();
        assert_eq!(e.position().byte, Some(good as u64), "{e}");
        // Truncation inside the end part (at 28) of the split record (at 16);
        // a missing final pad alone would be tolerated.
        let mut r = Reader::new(Trickle(&bytes[..good - 5], 5), Decoder::new());
        r.read_record().unwrap();
        let e = r.read_record().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated { .. }), "{e}");
        assert_eq!(e.position().byte, Some(28), "{e}");
        assert_eq!(e.position().record, Some(1), "{e}");
    }
}
