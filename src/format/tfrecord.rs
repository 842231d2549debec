//! TFRecord readers and writer over memory and streams.
//!
//! - [`SliceReader`] walks bytes already in memory — typically a memory
//!   map from [`crate::store::Input::open`] — and yields payloads
//!   **borrowed** from them.
//! - [`Reader`] reads any [`Read`](std::io::Read) (stdin, a FIFO, an S3 body) through one
//!   reused buffer, yielding each payload as a slice valid until the next
//!   call.
//! - [`Writer`] writes framed records to any [`Write`].
//!
//! All three use the sans-IO [`Decoder`] for framing and CRC checks, so
//! they agree on every input; errors carry the record index and absolute
//! byte offset. The readers are the generic [`frames`] readers over
//! [`Decoder`].

use std::io::Write;

use crate::codec::tfrecord::{Decoder, FOOTER_LEN, Found, HEADER_LEN, encode_header, masked_crc};
use crate::error::Result;
use crate::format::frames::{self, SlicePayload};

/// Yields the payloads of TFRecord bytes held in memory, borrowed.
pub type SliceReader<'a> = frames::SliceReader<'a, Decoder>;

/// Reads TFRecord records from a stream through one reused buffer.
pub type Reader<R> = frames::Reader<R, Decoder>;

impl SlicePayload for Decoder {
    type Payload<'a> = &'a [u8];

    #[inline]
    fn slice_payload<'a>(&self, buf: &'a [u8], found: Found) -> &'a [u8] {
        found.payload(buf)
    }
}

/// Writes TFRecord records to a stream.
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

    /// Writes one record.
    pub fn write_record(&mut self, payload: &[u8]) -> Result<()> {
        let mut header = Vec::with_capacity(HEADER_LEN);
        encode_header(&mut header, payload.len());
        self.inner.write_all(&header)?;
        self.inner.write_all(payload)?;
        self.inner.write_all(&masked_crc(payload).to_le_bytes())?;
        self.records += 1;
        self.bytes += (HEADER_LEN + payload.len() + FOOTER_LEN) as u64;
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
    use crate::codec::tfrecord::encode_record;
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
        let mut by_codec = Vec::new();
        for p in &payloads {
            encode_record(&mut by_codec, p);
        }
        assert_eq!(bytes, by_codec, "writer and codec agree");
        let got: Vec<Vec<u8>> = SliceReader::new(&bytes, Decoder::new())
            .map(|p| p.unwrap().to_vec())
            .collect();
        assert_eq!(got, payloads);
        for step in [1, 3, 12, 64, 1 << 20] {
            let mut r = Reader::new(Trickle(&bytes, step), Decoder::new());
            let mut got = Vec::new();
            while let Some(p) = r.read_record().unwrap() {
                got.push(p.to_vec());
            }
            assert_eq!(got, payloads, "step {step}");
            assert_eq!(r.position(), bytes.len() as u64);
            assert_eq!(r.records(), 50);
        }
    }

    #[test]
    fn a_record_larger_than_the_buffer_grows_it() {
        let big = vec![7u8; 3 << 20];
        let mut bytes = Vec::new();
        encode_record(&mut bytes, &big);
        encode_record(&mut bytes, b"tail");
        let mut r = Reader::new(Trickle(&bytes, 1 << 16), Decoder::new());
        assert_eq!(r.read_record().unwrap().unwrap().len(), big.len());
        assert_eq!(r.read_record().unwrap().unwrap(), b"tail");
        assert!(r.read_record().unwrap().is_none());
    }

    #[test]
    fn errors_name_the_record_and_absolute_offset() {
        let mut bytes = Vec::new();
        encode_record(&mut bytes, b"first");
        let good = bytes.len();
        encode_record(&mut bytes, b"second");
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let mut s = SliceReader::new(&bytes, Decoder::new());
        assert_eq!(s.next_record().unwrap().unwrap(), b"first");
        let e = s.next_record().unwrap_err();
        assert!(e.to_string().contains("CRC check on data failed"), "{e}");
        assert_eq!(e.position().record, Some(1), "{e}");
        assert_eq!(
            e.position().byte,
            Some((good + HEADER_LEN + 6) as u64),
            "{e}"
        );
        let mut r = Reader::new(Trickle(&bytes, 5), Decoder::new());
        r.read_record().unwrap();
        let e = r.read_record().unwrap_err();
        assert_eq!(
            e.position().byte,
            Some((good + HEADER_LEN + 6) as u64),
            "{e}"
        );
        assert_eq!(e.position().record, Some(1), "{e}");
        // Truncated inside record 2.
        let mut r = Reader::new(Trickle(&bytes[..good + 14], 5), Decoder::new());
        r.read_record().unwrap();
        let e = r.read_record().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated { .. }), "{e}");
        assert_eq!(e.position().byte, Some(good as u64), "{e}");
    }
}
