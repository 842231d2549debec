//! Record boundaries without decoding, for copying records as they are.
//!
//! A *record* is what the format's `count` counts: a RecordIO logical
//! record (all its parts), or a text line that is not blank, not a LibSVM
//! comment line and not the CSV header (with `--header`); a quoted CSV
//! field may span lines. Blank lines, comment lines, the header and a
//! byte-order mark are not records and are not copied: SageMaker's CSV
//! readers fail on a leading blank line, and every output object must be
//! valid on its own.

use crate::codec::lines::LineFramer;
use crate::codec::{FoundFrame, FrameCodec, Framer, recordio, tfrecord, walk_frames};
use crate::error::Result;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A record's byte range within a chunk.
pub(crate) type Span = (usize, usize);

/// How records are delimited.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Framing {
    /// Text lines.
    Lines {
        /// Quote byte of CSV (newlines inside quotes do not end a record).
        quote: Option<u8>,
        /// Lines starting with `#` are comments (LibSVM).
        comment: bool,
        /// The first record of the input is a header to drop.
        header: bool,
    },
    /// RecordIO frames.
    Recordio(recordio::Decoder),
    /// TFRecord frames (CRCs checked).
    Tfrecord(tfrecord::Decoder),
}

impl Framing {
    /// The framer that cuts chunks at record boundaries.
    pub(crate) fn framer(&self) -> Box<dyn Framer> {
        match *self {
            Framing::Lines { quote: Some(q), .. } => Box::new(LineFramer::quoted(q)),
            Framing::Lines { quote: None, .. } => Box::new(LineFramer::new()),
            Framing::Recordio(d) => Box::new(d),
            Framing::Tfrecord(d) => Box::new(d),
        }
    }

    /// Appends the span of every record of `chunk` (whole records) to
    /// `out`. `first` is true for the chunk at the start of an input.
    /// Error positions are relative to the chunk.
    pub(crate) fn spans(&self, chunk: &[u8], first: bool, out: &mut Vec<Span>) -> Result<()> {
        match *self {
            Framing::Recordio(d) => frame_spans(&d, chunk, out),
            Framing::Tfrecord(d) => frame_spans(&d, chunk, out),
            Framing::Lines {
                quote,
                comment,
                header,
            } => {
                let len = chunk.len();
                // One scan for the quote byte spares counting quotes on
                // every line of a chunk that has none.
                let quote = quote.filter(|&q| memchr::memchr(q, chunk).is_some());
                let mut pos = if first && chunk.starts_with(BOM) {
                    BOM.len()
                } else {
                    0
                };
                let mut skip_header = first && header;
                while pos < len {
                    let next = line_end(chunk, pos);
                    let l = &chunk[pos..next];
                    let i = l
                        .iter()
                        .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
                    let Some(i) = i else {
                        pos = next;
                        continue;
                    };
                    if comment && l[i] == b'#' {
                        pos = next;
                        continue;
                    }
                    let start = pos;
                    let mut end = next;
                    if let Some(q) = quote {
                        let mut quotes = memchr::memchr_iter(q, l).count();
                        while quotes % 2 == 1 && end < len {
                            let e = line_end(chunk, end);
                            quotes += memchr::memchr_iter(q, &chunk[end..e]).count();
                            end = e;
                        }
                    }
                    if skip_header {
                        skip_header = false;
                    } else {
                        out.push((start, end));
                    }
                    pos = end;
                }
                Ok(())
            }
        }
    }

    /// Bytes to write after `record` so that it stands alone: a newline
    /// after a final line that lacks one, the padding of a final RecordIO
    /// frame that lacks it.
    #[inline]
    pub(crate) fn tail(&self, record: &[u8]) -> &'static [u8] {
        match self {
            Framing::Lines { .. } => {
                if record.last() == Some(&b'\n') {
                    b""
                } else {
                    b"\n"
                }
            }
            Framing::Tfrecord(_) => b"",
            Framing::Recordio(_) => {
                const ZEROS: [u8; 3] = [0; 3];
                &ZEROS[..recordio::padded(record.len()) - record.len()]
            }
        }
    }
}

/// Appends the span of every frame of `chunk` (whole frames, fully
/// checked) to `out`.
#[inline]
fn frame_spans<C: FrameCodec>(codec: &C, chunk: &[u8], out: &mut Vec<Span>) -> Result<()> {
    walk_frames(codec, chunk, true, true, |pos, _, found| {
        out.push((pos, pos + found.frame_len()));
        Ok(())
    })?;
    Ok(())
}

/// Offset just after the `\n` ending the line at `pos` (or the end).
#[inline]
fn line_end(chunk: &[u8], pos: usize) -> usize {
    match memchr::memchr(b'\n', &chunk[pos..]) {
        Some(i) => pos + i + 1,
        None => chunk.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(f: Framing, chunk: &[u8], first: bool) -> Vec<&[u8]> {
        let mut v = Vec::new();
        f.spans(chunk, first, &mut v).unwrap();
        v.into_iter().map(|(a, b)| &chunk[a..b]).collect()
    }

    #[test]
    fn lines_skip_blank_comments_header_and_keep_quoted_newlines() {
        let csv = Framing::Lines {
            quote: Some(b'"'),
            comment: false,
            header: true,
        };
        let text = b"\xEF\xBB\xBFa,b\n\n1,\"x\ny\"\n \r\n2,3";
        assert_eq!(
            spans(csv, text, true),
            vec![&b"1,\"x\ny\"\n"[..], &b"2,3"[..]]
        );
        assert_eq!(csv.tail(b"2,3"), b"\n");
        let svm = Framing::Lines {
            quote: None,
            comment: true,
            header: false,
        };
        assert_eq!(
            spans(svm, b"# c\n1 0:1\n  # d\n0 2:3 # e\n", false),
            vec![&b"1 0:1\n"[..], &b"0 2:3 # e\n"[..]]
        );
    }

    #[test]
    fn recordio_spans_whole_logical_records_and_pads_the_tail() {
        let mut b = Vec::new();
        recordio::encode_record(&mut b, b"abcde").unwrap();
        recordio::encode_record(&mut b, b"xy").unwrap();
        b.truncate(b.len() - 2); // the last frame lacks its padding
        let f = Framing::Recordio(recordio::Decoder::new());
        let s = spans(f, &b, true);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].len(), 16);
        assert_eq!(f.tail(s[1]), &[0, 0]);
        assert_eq!(f.tail(s[0]), b"");
    }
}
