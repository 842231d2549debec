//! TFRecord readers and writer over memory and streams.
//!
//! - [`SliceReader`] walks bytes already in memory — typically a memory
//!   map from [`crate::store::Input::open`] — and yields payloads
//!   **borrowed** from them.
//! - [`Reader`] reads any [`Read`](std::io::Read) (stdin, a FIFO, an S3
//!   body) through one reused buffer, yielding each payload as a slice
//!   valid until the next call.
//! - [`Writer`] writes framed records to any [`Write`](std::io::Write).
//!
//! All three use the sans-IO [`Decoder`] for framing and CRC checks, so
//! they agree on every input; errors carry the record index and absolute
//! byte offset. All three are the generic [`frames`] types over this
//! format's [`Decoder`] and [`Encoder`].

use crate::codec::tfrecord::{Decoder, Encoder, Found};
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
pub type Writer<W> = frames::Writer<W, Encoder>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tfrecord::{HEADER_LEN, encode_record};
    use crate::error::ErrorKind;
    use crate::format::frames::Trickle;

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
