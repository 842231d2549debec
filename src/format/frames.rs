//! Readers of length-prefixed frames, generic over the sans-IO
//! [`FrameCodec`] that finds them: written once, used by
//! [`super::recordio`] and [`super::tfrecord`] (whose `Reader` and
//! `SliceReader` are these types with the format's decoder) and by Pipe
//! mode's channel reader.
//!
//! - [`SliceReader`] walks bytes already in memory and yields payloads
//!   borrowed from them, in the form [`SlicePayload`] gives.
//! - [`Reader`] reads any [`Read`] through one reused buffer that grows
//!   only while one frame does not fit (the codec's record limit bounds
//!   it), yielding each payload as a slice valid until the next call.
//! - [`Writer`] frames payloads with a [`FrameEncode`] onto any [`Write`].
//!
//! Errors carry the record index and the absolute byte offset.

use std::io::{Read, Write};

use crate::codec::{FoundFrame, FrameCodec, FrameEncode};
use crate::error::{Error, Result};

/// Initial size of a [`Reader`]'s buffer.
const INITIAL_BUFFER: usize = 1 << 20;

/// How a [`SliceReader`] hands out the payload of a frame of an input
/// held whole in memory.
pub trait SlicePayload: FrameCodec {
    /// The payload, borrowing from the input where it can.
    type Payload<'a>;

    /// The payload of the frame `found` at the start of `buf`.
    fn slice_payload<'a>(&self, buf: &'a [u8], found: Self::Found) -> Self::Payload<'a>;
}

/// Yields the payloads of frames held in memory.
#[derive(Debug)]
pub struct SliceReader<'a, C> {
    buf: &'a [u8],
    pos: usize,
    record: u64,
    codec: C,
}

impl<'a, C: SlicePayload> SliceReader<'a, C> {
    /// A reader over `buf` with the given framing options.
    pub fn new(buf: &'a [u8], codec: C) -> SliceReader<'a, C> {
        SliceReader {
            buf,
            pos: 0,
            record: 0,
            codec,
        }
    }

    /// Byte offset of the next record.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// The next payload, or `None` at the end.
    #[inline]
    pub fn next_record(&mut self) -> Result<Option<C::Payload<'a>>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let rest = &self.buf[self.pos..];
        let found = self
            .codec
            .next_frame(rest, true)
            .map_err(|e| {
                e.shift(self.record, 0, self.pos as u64)
                    .at_record(self.record)
            })?
            .expect("complete at eof");
        let payload = self.codec.slice_payload(rest, found);
        self.pos += found.frame_len();
        self.record += 1;
        Ok(Some(payload))
    }
}

impl<'a, C: SlicePayload> Iterator for SliceReader<'a, C> {
    type Item = Result<C::Payload<'a>>;

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

/// Reads frames from a stream through one reused buffer.
#[derive(Debug)]
pub struct Reader<R, C: FrameCodec> {
    inner: R,
    codec: C,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    scratch: Vec<u8>,
    offset: u64,
    record: u64,
    /// Where in `buf` the frame found by the last `advance` starts.
    current: Option<(usize, C::Found)>,
}

impl<R: Read, C: FrameCodec> Reader<R, C> {
    /// A reader with a 1 MiB initial buffer.
    pub fn new(inner: R, codec: C) -> Reader<R, C> {
        Reader {
            inner,
            codec,
            buf: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            eof: false,
            scratch: Vec::new(),
            offset: 0,
            record: 0,
            current: None,
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
    #[inline]
    pub fn read_record(&mut self) -> Result<Option<&[u8]>> {
        Ok(if self.advance()? {
            Some(self.payload())
        } else {
            None
        })
    }

    /// Finds the next frame and moves past it; false at the end. Its
    /// payload is then [`Reader::payload`], until the next call. (Two
    /// steps, for callers that cannot hold a borrow across the end test.)
    #[inline]
    pub(crate) fn advance(&mut self) -> Result<bool> {
        self.current = None;
        loop {
            let window = &self.buf[self.start..self.end];
            let found = self
                .codec
                .next_frame(window, self.eof)
                .map_err(|e| e.shift(self.record, 0, self.offset).at_record(self.record))?;
            match found {
                Some(found) => {
                    let len = found.frame_len();
                    self.current = Some((self.start, found));
                    self.start += len;
                    self.offset += len as u64;
                    self.record += 1;
                    return Ok(true);
                }
                None if self.eof => return Ok(false),
                None => self.fill()?,
            }
        }
    }

    /// The payload of the frame found by the last [`Reader::advance`]
    /// (empty when it found none).
    #[inline]
    pub(crate) fn payload(&mut self) -> &[u8] {
        match self.current {
            Some((at, found)) => {
                let window = &self.buf[at..at + found.frame_len()];
                self.codec.payload(window, found, &mut self.scratch)
            }
            None => &[],
        }
    }

    /// Moves the unread bytes to the front, grows the buffer when it is
    /// full of one incomplete frame, and reads more.
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
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying stream.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// Writes framed records to a stream.
#[derive(Debug)]
pub struct Writer<W: Write, E> {
    inner: W,
    encoder: E,
    /// The head, then the tail, of the record being written.
    frame: Vec<u8>,
    records: u64,
    bytes: u64,
}

impl<W: Write, E: FrameEncode + Default> Writer<W, E> {
    /// A writer over `inner` (wrap it in a `BufWriter` for small records).
    pub fn new(inner: W) -> Writer<W, E> {
        Writer {
            inner,
            encoder: E::default(),
            frame: Vec::new(),
            records: 0,
            bytes: 0,
        }
    }

    /// Writes one record; payloads the format cannot describe are
    /// refused.
    #[inline]
    pub fn write_record(&mut self, payload: &[u8]) -> Result<()> {
        self.frame.clear();
        self.encoder
            .head(payload.len(), &mut self.frame)
            .map_err(|e| e.at_record(self.records))?;
        let head = self.frame.len();
        self.encoder.tail(payload, &mut self.frame);
        self.inner.write_all(&self.frame[..head])?;
        self.inner.write_all(payload)?;
        self.inner.write_all(&self.frame[head..])?;
        self.records += 1;
        self.bytes += (self.frame.len() + payload.len()) as u64;
        Ok(())
    }

    /// Flushes and returns the stream, the records and the bytes written.
    pub fn finish(mut self) -> Result<(W, u64, u64)> {
        self.inner.flush()?;
        Ok((self.inner, self.records, self.bytes))
    }
}

/// A stream that returns at most `step` bytes per read, for tests.
#[cfg(test)]
pub(crate) struct Trickle<'a>(pub(crate) &'a [u8], pub(crate) usize);

#[cfg(test)]
impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(self.0.len()).min(out.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{recordio, tfrecord};
    use crate::error::ErrorKind;
    use crate::format::{recordio as rio_format, tfrecord as tf_format};

    /// A stream that fails once with `Interrupted`, then with `kind`.
    struct Failing(bool, std::io::ErrorKind);
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            let kind = if std::mem::replace(&mut self.0, true) {
                self.1
            } else {
                std::io::ErrorKind::Interrupted
            };
            Err(kind.into())
        }
    }

    /// 50 payloads of 0 to 22 bytes, written by a [`Writer`], which must
    /// frame them as the codec's `encode_record` does.
    fn sample<E: FrameEncode + Default>(
        encode_record: impl Fn(&mut Vec<u8>, &[u8]),
    ) -> (Vec<u8>, Vec<Vec<u8>>) {
        let payloads: Vec<Vec<u8>> = (0..50).map(|i| vec![i as u8; (i * 7) % 23]).collect();
        let mut w = Writer::<_, E>::new(Vec::new());
        let mut by_codec = Vec::new();
        for p in &payloads {
            w.write_record(p).unwrap();
            encode_record(&mut by_codec, p);
        }
        let (bytes, n, len) = w.finish().unwrap();
        assert_eq!((n, len), (50, bytes.len() as u64));
        assert_eq!(bytes, by_codec, "writer and codec agree");
        (bytes, payloads)
    }

    /// The slice reader and the stream reader, reading `steps` bytes at a
    /// time, yield `payloads` from `bytes`.
    fn readers_agree<C>(codec: C, bytes: &[u8], payloads: &[Vec<u8>], steps: &[usize])
    where
        C: SlicePayload + Copy,
        for<'a> C::Payload<'a>: AsRef<[u8]>,
    {
        let got: Vec<Vec<u8>> = SliceReader::new(bytes, codec)
            .map(|p| p.unwrap().as_ref().to_vec())
            .collect();
        assert_eq!(got, payloads);
        for &step in steps {
            let mut r = Reader::new(Trickle(bytes, step), codec);
            let mut got = Vec::new();
            while let Some(p) = r.read_record().unwrap() {
                got.push(p.to_vec());
            }
            assert_eq!(got, payloads, "step {step}");
            assert_eq!(r.position(), bytes.len() as u64);
            assert_eq!(r.records(), payloads.len() as u64);
        }
    }

    #[test]
    fn slice_and_stream_readers_agree_whatever_the_read_size() {
        const STEPS: &[usize] = &[1, 3, 8, 12, 64, 1 << 20];
        let (bytes, payloads) = sample::<recordio::Encoder>(|o, p| {
            recordio::encode_record(o, p).unwrap();
        });
        readers_agree(recordio::Decoder::new(), &bytes, &payloads, STEPS);
        let (bytes, payloads) = sample::<tfrecord::Encoder>(tfrecord::encode_record);
        readers_agree(tfrecord::Decoder::new(), &bytes, &payloads, STEPS);
    }

    #[test]
    fn a_record_larger_than_the_buffer_grows_it() {
        let big = vec![7u8; 3 << 20];
        let payloads = [big, b"tail".to_vec()];
        let mut rio = rio_format::Writer::new(Vec::new());
        let mut tf = tf_format::Writer::new(Vec::new());
        for p in &payloads {
            rio.write_record(p).unwrap();
            tf.write_record(p).unwrap();
        }
        let (rio, tf) = (rio.finish().unwrap().0, tf.finish().unwrap().0);
        readers_agree(recordio::Decoder::new(), &rio, &payloads, &[1 << 16]);
        readers_agree(tfrecord::Decoder::new(), &tf, &payloads, &[1 << 16]);
    }

    #[test]
    fn writers_refuse_what_the_format_cannot_describe() {
        let mut w = rio_format::Writer::new(Vec::new());
        w.write_record(b"ok").unwrap();
        // Zeroed pages: the payload is never touched.
        let big = vec![0u8; recordio::MAX_PART_LEN + 1];
        let e = w.write_record(&big).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e}");
        assert_eq!(e.position().record, Some(1), "{e}");
        let (bytes, n, len) = w.finish().unwrap();
        assert_eq!((bytes.len(), n, len), (12, 1, 12), "nothing of it written");
    }

    #[test]
    fn one_reader_serves_both_framings_in_two_steps() {
        let mut rio = Vec::new();
        let mut tf = Vec::new();
        for p in [&b"a"[..], b"", b"longer payload"] {
            recordio::encode_record(&mut rio, p).unwrap();
            tfrecord::encode_record(&mut tf, p);
        }
        let mut a = Reader::new(Trickle(&rio, 3), recordio::Decoder::new());
        let mut b = Reader::new(Trickle(&tf, 3), tfrecord::Decoder::new());
        while a.advance().unwrap() {
            assert!(b.advance().unwrap());
            let pa = a.payload().to_vec();
            assert_eq!(pa, b.payload());
            assert_eq!(a.records(), b.records());
        }
        assert!(!b.advance().unwrap());
        assert_eq!(a.payload(), b"");
        assert_eq!(
            (a.position(), b.position()),
            (rio.len() as u64, tf.len() as u64)
        );
        assert_eq!(a.records(), 3);
    }

    #[test]
    fn read_errors_keep_their_kind_and_name_the_offset() {
        let mut r = Reader::new(
            Failing(false, std::io::ErrorKind::BrokenPipe),
            tfrecord::Decoder::new(),
        );
        let e = r.read_record().unwrap_err();
        assert!(e.is_broken_pipe(), "{e}");
        assert_eq!(e.position().byte, Some(0));
    }
}
