//! JSON documents at the I/O layer: finding what a document holds before
//! its chunks are decoded in parallel.
//!
//! A JSON document is cut by [`crate::codec::json::DocumentFramer`] at the
//! elements of its array, so that a large request or response is decoded
//! chunk by chunk, in parallel, never held whole (only the chunks in
//! flight are). Every chunk but the first starts in the middle of the
//! array, so whether its elements are instances (a request) or predictions
//! (a response) is found first, by [`detect`], from the document's prefix.

use std::io::Read;

use crate::codec::json::{Prefix, scan_prefix};
use crate::error::{Error, Result};
use crate::store::Input;

/// Reads the prefix of the JSON document `input` (up to the `[` of its
/// array) and says what the array holds (and whether the document is a
/// bare array). A stream's bytes read for this
/// are kept in its head, so nothing is lost; a mapped input is not read
/// twice beyond the prefix.
pub fn detect(input: Input) -> Result<(Input, Prefix)> {
    match input {
        Input::Mapped { map, name } => {
            let p = scan_prefix(&map, true)
                .map_err(|e| e.in_file(name.clone()))?
                .expect("complete at eof");
            Ok((Input::Mapped { map, name }, p))
        }
        Input::Stream {
            mut reader,
            name,
            size_hint,
            mut head,
        } => {
            let mut eof = false;
            loop {
                if let Some(p) = scan_prefix(&head, eof).map_err(|e| e.in_file(name.clone()))? {
                    return Ok((
                        Input::Stream {
                            reader,
                            name,
                            size_hint,
                            head,
                        },
                        p,
                    ));
                }
                let old = head.len();
                head.resize(old + (64 << 10), 0);
                let n = loop {
                    match reader.read(&mut head[old..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            return Err(Error::from(e).at_byte(old as u64).in_file(name));
                        }
                    }
                };
                head.truncate(old + n);
                eof = n == 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that returns at most `step` bytes per read.
    struct Trickle(Vec<u8>, usize);
    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn finds_the_array_after_a_long_prefix_of_a_stream() {
        let mut doc = String::from("{\"configuration\": {\"pad\": \"");
        doc.push_str(&"x".repeat(200_000));
        doc.push_str("\"}, \"predictions\": [{\"score\": 1}]}");
        let input =
            Input::from_reader(Box::new(Trickle(doc.clone().into_bytes(), 1000)), "s", None)
                .unwrap();
        let (input, p) = detect(input).unwrap();
        assert_eq!(p.document, crate::codec::json::Document::Response);
        assert!(!p.bare);
        let Input::Stream {
            mut reader, head, ..
        } = input
        else {
            panic!("still a stream")
        };
        let mut all = head;
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all, doc.as_bytes(), "no byte lost");
        let e = detect(Input::from_bytes(b"{\"a\": 1}".to_vec(), "m.json")).unwrap_err();
        assert!(e.to_string().starts_with("m.json: byte offset 7:"), "{e}");
        let e = detect(Input::from_bytes(b"{\"a\": ".to_vec(), "t.json")).unwrap_err();
        assert!(e.to_string().contains("unexpected end"), "{e}");
    }
}
