//! Augmented manifests (`S3DataType=AugmentedManifestFile`, spec §4.3 and
//! §5.3): JSON Lines, one object per line, of which the attributes named in
//! `AttributeNames` are streamed **in that order**, each as its own record
//! (its own RecordIO record with `RecordWrapperType=RecordIO`).
//!
//! What goes into the stream for an attribute:
//! - a name ending in `-ref`: the value must be a string holding a URI
//!   (`s3://…`, or for local runs a path — relative paths are taken
//!   relative to a local manifest's folder); the **referenced object's
//!   bytes** are streamed;
//! - a JSON string: its content, unescaped, without the quotes
//!   (`"class": "0"` → `0`);
//! - a number, `true`, `false`, `null`, an object or an array: the JSON
//!   text exactly as it is written in the line (`1` → `1`, `1.50` →
//!   `1.50`, `{"a": 1}` → `{"a": 1}`). The spec says the service streams
//!   "the string form" and leaves the form of objects and arrays open
//!   (\[unconfirmed\], spec §9 question 8); keeping the line's own text is
//!   the choice that loses nothing.
//!
//! Keys not listed are ignored wherever they appear in the line. A line
//! that lacks a listed attribute, is not a JSON object, or holds a
//! non-string `-ref` is an error naming the manifest and the line. Blank
//! lines are skipped.

use std::path::Path;

use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// One attribute of one manifest line, ready to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    /// The bytes of the object at this URI or path.
    Ref(String),
    /// These bytes themselves.
    Inline(Vec<u8>),
}

/// One line of an augmented manifest: its listed attributes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 0-based line number in the manifest.
    pub line: u64,
    /// The attributes in `AttributeNames` order.
    pub attrs: Vec<Attr>,
}

/// Parses the manifest `text` (named `name` in errors). `base` is the
/// folder relative `-ref` paths are resolved against (`None` for a remote
/// manifest, whose references must be full URIs).
pub fn parse(
    text: &[u8],
    name: &str,
    attribute_names: &[String],
    base: Option<&Path>,
) -> Result<Vec<Entry>> {
    if attribute_names.is_empty() {
        return Err(Error::config(format!(
            "{name}: an AugmentedManifestFile channel needs AttributeNames (the attributes to stream, in order)"
        )));
    }
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut out = Vec::new();
    let mut offset = 0u64;
    for (i, raw_line) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = i as u64;
        let at = offset;
        offset += raw_line.len() as u64 + 1;
        let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let err = |msg: String| {
            Error::syntax("augmented manifest", msg)
                .at_line(line_no)
                .at_byte(at)
                .in_file(name)
        };
        // Owned keys: a key written with escapes (Python's json.dumps
        // writes `"caf\u00e9"`) cannot be borrowed from the line.
        let obj: std::collections::HashMap<String, &RawValue> = serde_json::from_slice(line)
            .map_err(|e| err(format!("expected one JSON object per line: {e}")))?;
        let mut attrs = Vec::with_capacity(attribute_names.len());
        for attr in attribute_names {
            let raw = obj
                .get(attr.as_str())
                .ok_or_else(|| err(format!("the attribute {attr:?} is missing")))?;
            let text = raw.get().trim();
            if attr.ends_with("-ref") {
                let uri: String = serde_json::from_str(text).map_err(|_| {
                    err(format!(
                        "the attribute {attr:?} must be a string holding an S3 URI, found {text}"
                    ))
                })?;
                let uri = match base {
                    Some(b) if !uri.contains("://") && !Path::new(&uri).is_absolute() => {
                        b.join(&uri).display().to_string()
                    }
                    _ => uri,
                };
                attrs.push(Attr::Ref(uri));
            } else if text.starts_with('"') {
                let s: String = serde_json::from_str(text)
                    .map_err(|e| err(format!("attribute {attr:?}: {e}")))?;
                attrs.push(Attr::Inline(s.into_bytes()));
            } else {
                attrs.push(Attr::Inline(text.as_bytes().to_vec()));
            }
        }
        out.push(Entry {
            line: line_no,
            attrs,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn attributes_in_list_order_with_refs_and_string_forms() {
        let text = br#"{"is-a-cat": "1", "extra": [1,2], "source-ref": "s3://b/img1.jpg"}

{"source-ref": "img2.jpg", "is-a-cat": 0, "box": {"a": 1,  "b": [2]}}
"#;
        let got = parse(
            text,
            "m",
            &names(&["source-ref", "is-a-cat"]),
            Some(Path::new("/data")),
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].line, 0);
        assert_eq!(
            got[0].attrs,
            [
                Attr::Ref("s3://b/img1.jpg".into()),
                Attr::Inline(b"1".to_vec())
            ]
        );
        assert_eq!(got[1].line, 2);
        assert_eq!(
            got[1].attrs,
            [
                Attr::Ref("/data/img2.jpg".into()),
                Attr::Inline(b"0".to_vec())
            ]
        );
        let got = parse(text, "m", &names(&["box"]), None);
        let e = got.unwrap_err();
        assert_eq!(e.position().line, Some(0), "{e}");
        assert!(e.to_string().contains("\"box\" is missing"), "{e}");
        let line = br#"{"source-ref": "img2.jpg", "is-a-cat": 0, "box": {"a": 1,  "b": [2]}}"#;
        let got = parse(line, "m", &names(&["box", "is-a-cat"]), None).unwrap();
        assert_eq!(
            got[0].attrs,
            [
                Attr::Inline(br#"{"a": 1,  "b": [2]}"#.to_vec()),
                Attr::Inline(b"0".to_vec())
            ]
        );
    }

    #[test]
    fn escaped_keys_match_attribute_names() {
        // Found by the `augmented` fuzz target: a key with an escape, even
        // one not listed, made the whole line fail.
        let text = "\u{feff}{\"caf\\u00e9\": \"\\u00e9t\\u00e9\", \"x\\\"y\": 1, \"a\": 2}\n";
        let got = parse(text.as_bytes(), "m", &names(&["café"]), None).unwrap();
        assert_eq!(got[0].attrs, [Attr::Inline("été".as_bytes().to_vec())]);
        let got = parse(text.as_bytes(), "m", &names(&["a", "x\"y"]), None).unwrap();
        assert_eq!(
            got[0].attrs,
            [Attr::Inline(b"2".to_vec()), Attr::Inline(b"1".to_vec())]
        );
    }

    #[test]
    fn bad_lines_name_line_and_offset() {
        let text = b"{\"a-ref\": \"x\"}\n{\"a-ref\": 3}\n";
        let e = parse(text, "m.manifest", &names(&["a-ref"]), None).unwrap_err();
        assert_eq!(e.position().line, Some(1));
        assert_eq!(e.position().byte, Some(15));
        assert!(e.to_string().contains("m.manifest: line 2"), "{e}");
        let e = parse(b"[1]\n", "m", &names(&["a"]), None).unwrap_err();
        assert!(e.to_string().contains("one JSON object per line"), "{e}");
        assert!(parse(b"{}", "m", &[], None).unwrap_err().is_config());
    }
}
