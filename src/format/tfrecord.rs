//! TFRecord readers and writer over memory and streams.
//!
//! - [`SliceReader`] walks bytes already in memory — typically a memory
//!   map from [`crate::store::Input::open`] — and yields payloads
//!   **borrowed** from them.
//! - [`Reader`] reads any [`Read`] (stdin, a FIFO, an S3 body) through one
//!   reused buffer, yielding each payload as a slice valid until the next
//!   call.
//! - [`Writer`] writes framed records to any [`Write`].
//!
//! All three use the sans-IO [`Decoder`] for framing and CRC checks, so
//! they agree on every input; errors carry the record index and absolute
//! byte offset.

use std::io::{Read, Write};

use crate::codec::tfrecord::{Decoder, FOOTER_LEN, HEADER_LEN, encode_header, masked_crc};
use crate::error::{Error, Result};

/// Yields the payloads of TFRecord bytes held in memory.
#[derive(Debug)]
pub struct SliceReader<'a> {
    buf: &'a [u8],
    pos: usize,
    record: u64,
    decoder: Decoder,
}

impl<'a> SliceReader<'a> {
    /// A reader over `buf` with the given framing options.
    pub fn new(buf: &'a [u8], decoder: Decoder) -> SliceReader<'a> {
        SliceReader {
            buf,
            pos: 0,
            record: 0,
            decoder,
        }
    }

    /// Byte offset of the next record.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// The next payload, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<&'a [u8]>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let rest = &self.buf[self.pos..];
        let found = self
            .decoder
            .next_record(rest, true)
            .map_err(|e| {
                e.shift(self.record, 0, self.pos as u64)
                    .at_record(self.record)
            })?
            .expect("complete at eof");
        let payload = found.payload(rest);
        self.pos += found.consumed;
        self.record += 1;
        Ok(Some(payload))
    }
}

impl<'a> Iterator for SliceReader<'a> {
    type Item = Result<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_record() {
            Ok(Some(p)) => Some(Ok(p)),
            Ok(None) => None,
            Err(e) => {
                self.pos = self.buf.len();
                Some(Err(e))
            }
        }
    }
}

/// Reads TFRecord records from a stream through one reused buffer.
#[derive(Debug)]
pub struct Reader<R> {
    inner: R,
    decoder: Decoder,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    offset: u64,
    record: u64,
}

impl<R: Read> Reader<R> {
    /// A reader with a 1 MiB initial buffer.
    pub fn new(inner: R, decoder: Decoder) -> Reader<R> {
        Reader {
            inner,
            decoder,
            buf: vec![0; 1 << 20],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
            record: 0,
        }
    }

    /// Byte offset of the next record in the stream.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Records read so far.
    pub fn records(&self) -> u64 {
        self.record
    }

    /// The next payload, valid until the next call, or `None` at the end.
    pub fn read_record(&mut self) -> Result<Option<&[u8]>> {
        loop {
            let window = &self.buf[self.start..self.end];
            let found = self
                .decoder
                .next_record(window, self.eof)
                .map_err(|e| e.shift(self.record, 0, self.offset).at_record(self.record))?;
            match found {
                Some(found) => {
                    let start = self.start;
                    self.start += found.consumed;
                    self.offset += found.consumed as u64;
                    self.record += 1;
                    let window = &self.buf[start..start + found.consumed];
                    return Ok(Some(found.payload(window)));
                }
                None if self.eof => return Ok(None),
                None => self.fill()?,
            }
        }
    }

    /// Moves the unread bytes to the front, grows the buffer when it is
    /// full of one incomplete record, and reads more.
    fn fill(&mut self) -> Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = self.buf.len().saturating_mul(2);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::from(e).at_byte(self.offset)),
            }
        }
    }

    /// The underlying stream.
    pub fn into_inner(self) -> R {
        self.inner
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

    /// A stream that returns at most `step` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

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
