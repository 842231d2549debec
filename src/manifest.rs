//! SageMaker `ManifestFile` manifests (spec §5.2): parse, write, expand,
//! build from a listing, and check.
//!
//! A manifest is one JSON array. Element 0 is `{"prefix": "s3://bucket/p/"}`;
//! elements 1.. are strings ("suffixes" or keys), each appended to the
//! prefix **by plain string concatenation**, so the prefix normally ends
//! in `/` and keys do not start with one. There must be at least one key,
//! and every object is in the prefix's one bucket.
//!
//! [`Manifest::to_json`] writes what the SageMaker SDK writes (Python's
//! `json.dumps` with its default separators and `ensure_ascii`):
//! `[{"prefix": "s3://b/p/"}, "part-00000.pbr", "part-00001.pbr"]` on one
//! line. [`Manifest::parse`] accepts any valid JSON of exactly that shape.
//!
//! Besides `s3://` prefixes, local prefixes (a path, or `file://`) are
//! accepted so that manifests of a local `shard` destination can be
//! expanded and checked before upload; SageMaker itself takes only
//! `s3://` ([`check`] warns about them).
//!
//! `AugmentedManifestFile` (JSON Lines) is a different format and is not
//! handled here.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::store::Input;
use crate::store::{ObjectInfo, is_s3, list};

const FORMAT: &str = "manifest";

/// A parsed `ManifestFile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The common prefix (element 0's `"prefix"`).
    pub prefix: String,
    /// The keys (suffixes), in order.
    pub keys: Vec<String>,
}

impl Manifest {
    /// Parses manifest JSON. Errors name `name`, the byte offset and the
    /// element at fault.
    pub fn parse(bytes: &[u8], name: &str) -> Result<Manifest> {
        let located =
            |msg: String, at: usize| Error::syntax(FORMAT, msg).at_byte(at as u64).in_file(name);
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            return Err(located(
                "the manifest starts with a UTF-8 byte-order mark, which JSON does not allow"
                    .into(),
                0,
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            let at = offset_of(bytes, e.line(), e.column());
            located(format!("not valid JSON: {e}"), at)
        })?;
        let starts = element_starts(bytes);
        let at = |i: usize| starts.get(i).copied().unwrap_or(0);
        let serde_json::Value::Array(items) = value else {
            return Err(located(
                "expected a JSON array [{\"prefix\": \"s3://bucket/prefix/\"}, \"key\", ...]"
                    .into(),
                first_non_space(bytes),
            ));
        };
        let Some(first) = items.first() else {
            return Err(located(
                "the array is empty: expected {\"prefix\": ...} followed by one or more keys"
                    .into(),
                first_non_space(bytes),
            ));
        };
        let prefix = match first {
            serde_json::Value::Object(m) if m.len() == 1 => match m.get("prefix") {
                Some(serde_json::Value::String(p)) => p.clone(),
                Some(_) => {
                    return Err(located(
                        "element 1: \"prefix\" must be a string".into(),
                        at(0),
                    ));
                }
                None => {
                    return Err(located(
                        format!(
                            "element 1 must be {{\"prefix\": \"s3://bucket/prefix/\"}}, found key {:?}",
                            m.keys().next().map(String::as_str).unwrap_or("")
                        ),
                        at(0),
                    ));
                }
            },
            serde_json::Value::Object(m) => {
                return Err(located(
                    format!(
                        "element 1 must have exactly one key, \"prefix\"; it has {}",
                        m.len()
                    ),
                    at(0),
                ));
            }
            other => {
                return Err(located(
                    format!(
                        "element 1 must be {{\"prefix\": \"s3://bucket/prefix/\"}}, found {}",
                        kind(other)
                    ),
                    at(0),
                ));
            }
        };
        if prefix.is_empty() {
            return Err(located("the prefix is empty".into(), at(0)));
        }
        if items.len() < 2 {
            return Err(located(
                "the manifest lists no keys: SageMaker needs the prefix followed by one or more keys"
                    .into(),
                at(0),
            ));
        }
        let mut keys = Vec::with_capacity(items.len() - 1);
        for (i, item) in items.iter().enumerate().skip(1) {
            match item {
                serde_json::Value::String(s) => keys.push(s.clone()),
                other => {
                    return Err(located(
                        format!("key {i} must be a string, found {}", kind(other)),
                        at(i),
                    ));
                }
            }
        }
        Ok(Manifest { prefix, keys })
    }

    /// Reads and parses the manifest at `uri` (a local path or any URI
    /// `store::Input` opens).
    pub fn read(uri: &str) -> Result<Manifest> {
        let bytes = read_all(uri)?;
        Manifest::parse(&bytes, uri)
    }

    /// The manifest as the SageMaker SDK writes it: one line, Python
    /// `json.dumps` separators and escapes, no trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(
            32 + self.prefix.len() + self.keys.iter().map(|k| k.len() + 4).sum::<usize>(),
        );
        s.push_str("[{\"prefix\": ");
        push_json_string(&mut s, &self.prefix);
        s.push('}');
        for k in &self.keys {
            s.push_str(", ");
            push_json_string(&mut s, k);
        }
        s.push(']');
        s
    }

    /// The full URI of every key: prefix + key, in order.
    pub fn uris(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| format!("{}{}", self.prefix, k))
            .collect()
    }

    /// A manifest over `objects` (as listed under `prefix`): each key is
    /// the object's URI with `prefix` removed. Objects not under `prefix`
    /// and an empty listing are errors.
    pub fn from_listing(prefix: &str, objects: &[ObjectInfo]) -> Result<Manifest> {
        if objects.is_empty() {
            return Err(Error::config(format!(
                "no objects under {prefix}: a manifest needs one or more keys"
            )));
        }
        let mut keys = Vec::with_capacity(objects.len());
        for o in objects {
            let key = o.uri.strip_prefix(prefix).ok_or_else(|| {
                Error::config(format!("{} is not under the prefix {prefix}", o.uri))
            })?;
            keys.push(key.to_string());
        }
        Ok(Manifest {
            prefix: prefix.to_string(),
            keys,
        })
    }
}

/// Builds a manifest of every object under `prefix` (a folder or an S3
/// prefix; a trailing `/` is added to a folder). Hidden files (a name
/// starting with `.`), `*.manifest` files and `channels.json` are left out.
pub fn build(prefix: &str) -> Result<Manifest> {
    let local_dir =
        !is_s3(prefix) && std::path::Path::new(crate::store::local_path(prefix)).is_dir();
    let prefix = if local_dir && !prefix.ends_with('/') {
        format!("{prefix}/")
    } else {
        prefix.to_string()
    };
    let mut objects = list(&prefix)?;
    objects.retain(|o| {
        let name = o.uri.rsplit('/').next().unwrap_or(&o.uri);
        !name.starts_with('.') && !name.ends_with(".manifest") && name != "channels.json"
    });
    Manifest::from_listing(&prefix, &objects)
}

/// What [`check`] found.
#[derive(Debug)]
pub struct CheckReport {
    /// The manifest, when it parsed.
    pub manifest: Option<Manifest>,
    /// Problems that make the manifest unusable, each located.
    pub errors: Vec<Error>,
    /// Things SageMaker may accept but that are probably mistakes.
    pub warnings: Vec<String>,
}

impl CheckReport {
    /// True when there are no errors.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Checks the manifest at `uri`: valid JSON of exactly the spec's shape,
/// an `s3://` prefix whose keys all stay in its one bucket, no key that
/// escapes the prefix (`..` segments, absolute keys), and every key an
/// existing object (one listing of the prefix). Reading errors are
/// returned as `Err`; problems with the manifest are in the report.
pub fn check(uri: &str) -> Result<CheckReport> {
    let bytes = read_all(uri)?;
    Ok(check_bytes(&bytes, uri))
}

/// [`check`] on manifest bytes already read; `name` is used in messages.
pub fn check_bytes(bytes: &[u8], name: &str) -> CheckReport {
    let mut report = CheckReport {
        manifest: None,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let m = match Manifest::parse(bytes, name) {
        Ok(m) => m,
        Err(e) => {
            report.errors.push(e);
            return report;
        }
    };
    let starts = element_starts(bytes);
    let at = |i: usize| starts.get(i).copied().unwrap_or(0) as u64;
    let err = |msg: String, i: usize| Error::syntax(FORMAT, msg).at_byte(at(i)).in_file(name);
    // The prefix and its bucket.
    let p = &m.prefix;
    if let Some(rest) = p.strip_prefix("s3://") {
        match rest.find('/') {
            Some(0) => report
                .errors
                .push(err(format!("the prefix {p:?} has an empty bucket name"), 0)),
            None if rest.is_empty() => report
                .errors
                .push(err(format!("the prefix {p:?} has an empty bucket name"), 0)),
            None => report.errors.push(err(
                format!(
                    "the prefix {p:?} has no '/' after the bucket name, so each key would extend the bucket name (keys must all be in one bucket): use \"{p}/\""
                ),
                0,
            )),
            Some(_) => {}
        }
    } else if p.contains("://") && !p.starts_with("file://") {
        report
            .errors
            .push(err(format!("the prefix {p:?} is not an s3:// URI"), 0));
    } else {
        report.warnings.push(format!(
            "{name}: the prefix {p:?} is a local path: SageMaker needs an s3:// prefix (checked as a local folder)"
        ));
    }
    if !p.ends_with('/') {
        report.warnings.push(format!(
            "{name}: the prefix {p:?} does not end in '/': keys are appended by plain concatenation"
        ));
    }
    // The keys.
    let mut seen = HashSet::with_capacity(m.keys.len());
    for (i, k) in m.keys.iter().enumerate() {
        let n = i + 1;
        if k.is_empty() {
            report.errors.push(err(format!("key {n} is empty"), n));
        } else if k.starts_with('/') {
            report.errors.push(err(
                format!("key {n} {k:?} is absolute: keys are relative to the prefix"),
                n,
            ));
        } else if k.split('/').any(|seg| seg == "..") {
            report.errors.push(err(
                format!("key {n} {k:?} escapes the prefix with a '..' segment"),
                n,
            ));
        }
        if !seen.insert(k.as_str()) {
            report
                .warnings
                .push(format!("{name}: key {n} {k:?} is listed more than once"));
        }
    }
    if !report.errors.is_empty() {
        report.manifest = Some(m);
        return report;
    }
    // Every key exists: one listing of the prefix.
    match list(p) {
        Ok(objects) => {
            let prefix_path = crate::store::local_path(p);
            let have: HashSet<&str> = objects
                .iter()
                .filter_map(|o| {
                    o.uri
                        .strip_prefix(p.as_str())
                        .or_else(|| o.uri.strip_prefix(prefix_path))
                })
                .collect();
            for (i, k) in m.keys.iter().enumerate() {
                if !have.contains(k.as_str()) {
                    report
                        .errors
                        .push(err(format!("key {} {k:?}: no object {p}{k}", i + 1), i + 1));
                }
            }
        }
        Err(e) => report.errors.push(e),
    }
    report.manifest = Some(m);
    report
}

fn read_all(uri: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let path = if is_s3(uri) {
        uri
    } else {
        crate::store::local_path(uri)
    };
    match Input::open(path)? {
        Input::Mapped { map, .. } => Ok(map.to_vec()),
        Input::Stream {
            mut reader, head, ..
        } => {
            let mut v = head;
            reader
                .read_to_end(&mut v)
                .map_err(|e| Error::from(e).in_file(uri))?;
            Ok(v)
        }
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Writes `s` as a JSON string the way Python's `json.dumps` does with
/// `ensure_ascii=True`.
fn push_json_string(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Byte offset of a 1-based line and column from serde_json.
fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut off = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &bytes[off..]) {
            Some(i) => off += i + 1,
            None => return bytes.len(),
        }
    }
    (off + column.saturating_sub(1)).min(bytes.len())
}

fn first_non_space(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0)
}

/// Byte offsets of the elements of the top-level array of valid JSON
/// `bytes` (empty when the top level is not an array).
fn element_starts(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = first_non_space(bytes);
    if bytes.get(i) != Some(&b'[') {
        return out;
    }
    i += 1;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut expect_element = true;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b.is_ascii_whitespace() {
        } else {
            if depth == 0 && expect_element && b != b']' {
                out.push(i);
                expect_element = false;
            }
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => depth += 1,
                b']' | b'}' if depth == 0 => break,
                b']' | b'}' => depth -= 1,
                b',' if depth == 0 => expect_element = true,
                _ => {}
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_python_json_dumps_writes() {
        let m = Manifest {
            prefix: "s3://b/p/".into(),
            keys: vec!["a\u{e9}\"\\\n\u{1F600}".into(), "x".into()],
        };
        // python -c 'import json; print(json.dumps([{"prefix":"s3://b/p/"},
        //   "a\u00e9\"\\\n\U0001F600", "x"]))'
        assert_eq!(
            m.to_json(),
            r#"[{"prefix": "s3://b/p/"}, "a\u00e9\"\\\n\ud83d\ude00", "x"]"#
        );
        assert_eq!(Manifest::parse(m.to_json().as_bytes(), "m").unwrap(), m);
    }

    #[test]
    fn parse_locates_shape_errors() {
        let e = Manifest::parse(b"[{\"prefix\": \"s3://b/\"}, \"a\", 3]", "m").unwrap_err();
        assert_eq!(e.position().byte, Some(29), "{e}");
        assert!(e.to_string().contains("key 2 must be a string"), "{e}");
        let e = Manifest::parse(b"[{\"prefix\": \"s3://b/\"}]", "m").unwrap_err();
        assert!(e.to_string().contains("no keys"), "{e}");
        let e = Manifest::parse(b"{\"prefix\": \"s3://b/\"}", "m").unwrap_err();
        assert!(e.to_string().contains("expected a JSON array"), "{e}");
        let e = Manifest::parse(b"[{\"prefix\": \"s3://b/\", \"x\": 1}, \"a\"]", "m").unwrap_err();
        assert!(e.to_string().contains("exactly one key"), "{e}");
        let e = Manifest::parse(b"[\n{\"prefix\": \"s3://b/\"},\n \"a\",]", "m").unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        assert_eq!(e.position().byte, Some(30), "{e}");
    }

    #[test]
    fn element_offsets_skip_nested_values_and_strings() {
        let b = br#" [ {"prefix": "s3://b/[,]"} , "a\"," ,"b"] "#;
        assert_eq!(element_starts(b), vec![3, 30, 38]);
    }
}
