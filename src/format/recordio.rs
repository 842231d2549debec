//! RecordIO readers and writer over memory and streams.
//!
//! - [`SliceReader`] walks bytes already in memory — typically a memory
//!   map from [`crate::store::Input::open`] — and yields payloads
//!   **borrowed** from them (a split record, rare, is joined into an owned
//!   buffer).
//! - [`Reader`] reads any [`Read`](std::io::Read) (stdin, a FIFO, an S3 body) through one
//!   reused buffer, yielding each payload as a slice valid until the next
//!   call.
//! - [`Writer`] writes whole records (cflag 0) to any [`Write`].
//!
//! All three use the sans-IO [`Decoder`] for framing, so they agree on
//! every input; errors carry the record index and absolute byte offset.
//! The readers are the generic [`frames`] readers over [`Decoder`].

use std::borrow::Cow;
use std::io::Write;

use crate::codec::recordio::{Decoder, Found, HEADER_LEN, encode_header};
use crate::error::Result;
use crate::format::frames::{self, SlicePayload};

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

/// Writes whole RecordIO records (cflag 0) to a stream.
#[derive(Debug)]
pub struct Writer<W: Write> {
    inner: W,
    records: u64,
    bytes: u64,
}

impl<W: Write> Writer<W> {
    /// A writer over `inner` (wrap it in a `BufWriter` for small records).
    pub fn new(inner: W) -> Writer<W> {
        Writer {
            inner,
            records: 0,
            bytes: 0,
        }
    }

    /// Writes one record; payloads of 2^29 bytes or more are refused.
    pub fn write_record(&mut self, payload: &[u8]) -> Result<()> {
        let mut header = Vec::with_capacity(HEADER_LEN);
        let pad =
            encode_header(&mut header, payload.len()).map_err(|e| e.at_record(self.records))?;
        self.inner.write_all(&header)?;
        self.inner.write_all(payload)?;
        self.inner.write_all(&[0u8; 3][..pad])?;
        self.records += 1;
        self.bytes += (HEADER_LEN + payload.len() + pad) as u64;
        Ok(())
    }

    /// Flushes and returns the stream, the records and the bytes written.
    pub fn finish(mut self) -> Result<(W, u64, u64)> {
        self.inner.flush()?;
        Ok((self.inner, self.records, self.bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::recordio::{MAGIC_BYTES, encode_record, padded};
    use crate::error::ErrorKind;
    use crate::format::frames::Trickle;

    fn sample() -> (Vec<u8>, Vec<Vec<u8>>) {
        let payloads: Vec<Vec<u8>> = (0..50).map(|i| vec![i as u8; (i * 7) % 23]).collect();
        let mut w = Writer::new(Vec::new());
        for p in &payloads {
            w.write_record(p).unwrap();
        }
        let (bytes, n, len) = w.finish().unwrap();
        assert_eq!(n, 50);
        assert_eq!(len, bytes.len() as u64);
        (bytes, payloads)
    }

    #[test]
    fn slice_and_stream_readers_agree_whatever_the_read_size() {
        let (bytes, payloads) = sample();
        let got: Vec<Vec<u8>> = SliceReader::new(&bytes, Decoder::new())
            .map(|p| p.unwrap().into_owned())
            .collect();
        assert_eq!(got, payloads);
        // Whole records are borrowed, not copied.
        let first = SliceReader::new(&bytes, Decoder::new())
            .next()
            .unwrap()
            .unwrap();
        assert!(matches!(first, Cow::Borrowed(_)));
        for step in [1, 3, 8, 64, 1 << 20] {
            let mut r = Reader::new(Trickle(&bytes, step), Decoder::new());
            let mut got = Vec::new();
            while let Some(p) = r.read_record().unwrap() {
                got.push(p.to_vec());
            }
            assert_eq!(got, payloads, "step {step}");
            assert_eq!(r.position(), bytes.len() as u64);
        }
    }

    #[test]
    fn a_record_larger_than_the_buffer_grows_it() {
        let big = vec![7u8; 3 << 20];
        let mut bytes = Vec::new();
        encode_record(&mut bytes, &big).unwrap();
        encode_record(&mut bytes, b"tail").unwrap();
        let mut r = Reader::new(Trickle(&bytes, 1 << 16), Decoder::new());
        assert_eq!(r.read_record().unwrap().unwrap().len(), big.len());
        assert_eq!(r.read_record().unwrap().unwrap(), b"tail");
        assert!(r.read_record().unwrap().is_none());
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
