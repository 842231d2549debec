//! Newline framing for the text formats (CSV, LibSVM, JSON Lines).
//!
//! A record ends at `\n` (a preceding `\r` belongs to the record and is
//! trimmed by the payload codecs). With a quote character set, newlines
//! inside quoted fields do not end a record: RFC 4180 escapes a quote by
//! doubling it, so a newline is a boundary exactly when the number of quote
//! characters before it, counted from a record boundary, is even.

use crate::codec::Framer;
use crate::error::Result;

/// Splits text into lines, optionally ignoring newlines inside quotes.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineFramer {
    quote: Option<u8>,
}

impl LineFramer {
    /// A framer that cuts at every `\n`.
    pub fn new() -> LineFramer {
        LineFramer { quote: None }
    }

    /// A framer that does not cut inside fields quoted with `quote`.
    pub fn quoted(quote: u8) -> LineFramer {
        LineFramer { quote: Some(quote) }
    }
}

impl Framer for LineFramer {
    fn boundary(&self, buf: &[u8], eof: bool) -> Result<usize> {
        if eof {
            return Ok(buf.len());
        }
        let Some(mut nl) = memchr::memrchr(b'\n', buf) else {
            return Ok(0);
        };
        let Some(q) = self.quote else {
            return Ok(nl + 1);
        };
        if memchr::memchr(q, &buf[..nl]).is_none() {
            return Ok(nl + 1);
        }
        let mut quotes = memchr::memchr_iter(q, &buf[..nl]).count();
        loop {
            if quotes.is_multiple_of(2) {
                return Ok(nl + 1);
            }
            match memchr::memrchr(b'\n', &buf[..nl]) {
                Some(prev) => {
                    quotes -= memchr::memchr_iter(q, &buf[prev..nl]).count();
                    nl = prev;
                }
                None => return Ok(0),
            }
        }
    }

    /// The last newline, whatever the quotes (the common CSV has none).
    fn speculative_boundary(&self, buf: &[u8]) -> Option<usize> {
        self.quote?;
        Some(memchr::memrchr(b'\n', buf).map_or(0, |nl| nl + 1))
    }

    /// A chunk that starts on a record boundary ends on one (its last
    /// byte is a newline) when it holds an even number of quotes.
    fn confirms(&self, chunk: &[u8]) -> bool {
        match self.quote {
            Some(q) => memchr::memchr_iter(q, chunk).count().is_multiple_of(2),
            None => true,
        }
    }
}

/// Iterates over the lines of a chunk: `(line, start_offset)` with the
/// `\n` removed (a `\r` before it is kept; codecs trim it).
pub fn split_lines(chunk: &[u8]) -> impl Iterator<Item = (&[u8], usize)> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= chunk.len() {
            return None;
        }
        let start = pos;
        match memchr::memchr(b'\n', &chunk[pos..]) {
            Some(i) => {
                pos += i + 1;
                Some((&chunk[start..start + i], start))
            }
            None => {
                pos = chunk.len();
                Some((&chunk[start..], start))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_after_the_last_newline() {
        let f = LineFramer::new();
        assert_eq!(f.boundary(b"a\nb\nc", false).unwrap(), 4);
        assert_eq!(f.boundary(b"abc", false).unwrap(), 0);
        assert_eq!(f.boundary(b"abc", true).unwrap(), 3);
    }

    #[test]
    fn does_not_cut_inside_quotes() {
        let f = LineFramer::quoted(b'"');
        // The last newline is inside an open quote: cut after "1,2\n".
        assert_eq!(f.boundary(b"1,2\n\"a\nb", false).unwrap(), 4);
        // Doubled quotes are an escape and keep parity.
        assert_eq!(f.boundary(b"\"a\"\"b\",1\n2", false).unwrap(), 9);
        assert_eq!(f.boundary(b"\"open\nstill open\n", false).unwrap(), 0);
    }

    #[test]
    fn splits_lines_with_offsets() {
        let v: Vec<_> = split_lines(b"a\r\nbb\n\nc").collect();
        assert_eq!(
            v,
            vec![
                (&b"a\r"[..], 0),
                (&b"bb"[..], 3),
                (&b""[..], 6),
                (&b"c"[..], 7)
            ]
        );
    }
}
