//! Augmented manifests (`sm_data::pipe::augmented::parse`). The input is
//! a selector byte (bit 0: resolve relative `-ref` paths against
//! `/base`), a line of comma-separated `AttributeNames`, then the
//! manifest. Checked against `serde_json::Value` line by line: every
//! non-blank line that is a JSON object holding the listed attributes
//! (strings for `-ref` names) gives one entry; an entry has one attribute
//! per requested name, in order: `Ref` exactly for `-ref` names (the
//! string, joined to the base when relative), the unescaped text of a
//! string, or JSON text equal to the value. An error names the file, a
//! line that is not such an object and that line's byte offset.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sm_data::pipe::augmented::{Attr, parse};
use sm_data_fuzz::split_first;

const NAME: &str = "fuzz.manifest";

/// The lines as `parse` sees them: (number, byte offset, text), blank
/// lines left out.
fn lines(text: &[u8]) -> Vec<(u64, u64, &[u8])> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut out = Vec::new();
    let mut at = 0u64;
    for (i, l) in text.split(|&b| b == b'\n').enumerate() {
        let line = l.strip_suffix(b"\r").unwrap_or(l);
        if !line.iter().all(u8::is_ascii_whitespace) {
            out.push((i as u64, at, line));
        }
        at += l.len() as u64 + 1;
    }
    out
}

/// The line's object, if serde_json reads it as one with every listed
/// attribute (`-ref` ones strings).
fn good(line: &[u8], names: &[String]) -> Option<serde_json::Map<String, Value>> {
    let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(line) else {
        return None;
    };
    names
        .iter()
        .all(|n| {
            o.get(n)
                .is_some_and(|v| !n.ends_with("-ref") || v.is_string())
        })
        .then_some(o)
}

fuzz_target!(|data: &[u8]| {
    let (sel, rest) = split_first(data);
    let (head, text) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let names: Vec<String> = String::from_utf8_lossy(head)
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let base = (sel & 1 == 1).then(|| Path::new("/base"));
    let got = parse(text, NAME, &names, base);
    let lines = lines(text);
    let entries = match got {
        Ok(entries) => entries,
        Err(e) => {
            if names.is_empty() {
                assert!(e.is_config(), "{e}");
                return;
            }
            let p = e.position();
            assert_eq!(p.file.as_deref(), Some(NAME), "{e}");
            let line = p.line.unwrap_or_else(|| panic!("no line: {e}"));
            let (_, at, l) = lines
                .iter()
                .find(|x| x.0 == line)
                .unwrap_or_else(|| panic!("error on a blank or missing line: {e}"));
            assert_eq!(p.byte, Some(*at), "{e}");
            assert!(good(l, &names).is_none(), "a good line refused: {e}");
            return;
        }
    };
    assert!(!names.is_empty());
    assert_eq!(entries.len(), lines.len(), "one entry per non-blank line");
    for (entry, (no, _, line)) in entries.iter().zip(&lines) {
        assert_eq!(entry.line, *no);
        assert_eq!(entry.attrs.len(), names.len(), "attributes per entry");
        // Lines serde_json cannot hold as a Value (numbers past f64) are
        // only checked for their shape.
        let Some(obj) = good(line, &names) else {
            continue;
        };
        for (attr, name) in entry.attrs.iter().zip(&names) {
            let v = &obj[name.as_str()];
            match attr {
                Attr::Ref(uri) => {
                    assert!(name.ends_with("-ref"));
                    let s = v.as_str().unwrap();
                    match base {
                        Some(b) if !s.contains("://") && !Path::new(s).is_absolute() => {
                            assert_eq!(*uri, b.join(s).display().to_string())
                        }
                        _ => assert_eq!(uri, s),
                    }
                }
                Attr::Inline(bytes) => {
                    assert!(!name.ends_with("-ref"));
                    match v {
                        Value::String(s) => assert_eq!(bytes, s.as_bytes()),
                        _ => {
                            let back: Value = serde_json::from_slice(bytes).unwrap_or_else(|e| {
                                panic!("attribute {name:?} is not the JSON text: {e}")
                            });
                            assert_eq!(&back, v, "attribute {name:?}");
                        }
                    }
                }
            }
        }
    }
});
