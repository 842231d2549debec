//! JSON Lines (`application/jsonlines`) and JSON (`application/json`)
//! payload codecs, and the framer that cuts a large JSON document at the
//! elements of its top-level array.
//!
//! # What an example looks like
//!
//! One example (an *instance*) is any of the shapes SageMaker's built-in
//! algorithms accept (spec §7):
//!
//! | shape | meaning |
//! |---|---|
//! | `{"features":[1,2,3],"label":1}` | dense (the default written) |
//! | `{"features":{"keys":[0,5],"values":[1,2],"shape":[10]},"label":1}` | sparse |
//! | `{"data":{"features":{"values":[1,2,3]}}}` | dense, inference request |
//! | `{"data":{"features":{"keys":[0,5],"values":[1,2],"shape":[10]}}}` | sparse, inference request |
//! | `[1,2,3]` | dense, no label (inside a JSON document's array) |
//!
//! - The label is absent (no label), a number (`null` is a missing value,
//!   NaN), an array of numbers (several labels, `label_size` > 1), or an
//!   object `{"values":[...]}`. It may sit beside `features` at the top of
//!   the object or inside `data`.
//! - The names `features` and `label` are configurable
//!   ([`JsonOptions::features`], [`JsonOptions::label`]); `data`, `keys`,
//!   `values` and `shape` are fixed. Every other field (`configuration`,
//!   `uid`, ...) is skipped, whatever it holds.
//! - Feature values may be `null` (a missing value, NaN). Numbers may take
//!   any JSON form (`-0`, `1.5e-3`, `1E+2`), and the non-standard `NaN`,
//!   `Infinity` and `-Infinity` that Python's `json` writes are read too.
//! - Dense instances of one input must all have the same number of
//!   features ("ragged" input is an error naming the line or record).
//!
//! # Responses
//!
//! A *prediction* (an element of a JSON response's `predictions`,
//! `projections` or `scores` array, or a JSON Lines line read with
//! [`JsonOptions::response`]) becomes a row of features and no label: the
//! numeric values of its fields in document order, arrays and nested
//! objects flattened (`{"score":0.3,"predicted_label":1}` → `0.3,1`;
//! `{"projection":[1,2]}` → `1,2`). `null` is NaN; strings and booleans are
//! an error naming the field.
//!
//! # Writing
//!
//! [`Encoder`] writes `{"features":[...],"label":x}` per row (sparse rows as
//! `{"features":{"keys":[...],"values":[...],"shape":[n]},...}`; the label
//! is omitted when the row has none and is an array when it has several),
//! or with [`JsonShape::Data`] the inference shape
//! `{"data":{"features":{"values":[...]},"label":{"values":[...]}}}`. As a
//! JSON document it writes `{"instances":[...]}` (plus an optional
//! `configuration` object), valid JSON even when there are no rows. NaN is
//! written as `null` and ±infinity as `±1e999` (valid JSON that every
//! reader parses as infinity), so output is always standard JSON.
//!
//! # Parsing
//!
//! A small hand-written scanner: keys are compared after unescaping, numbers
//! are validated against the JSON grammar and parsed with the fast float
//! parser of [`crate::codec::text`]; no tree of values is built. Strings
//! must be valid UTF-8 with valid escapes (lone surrogates are errors);
//! nesting is limited to [`MAX_DEPTH`] levels.

use crate::batch::{Batch, Dtype, UNKNOWN_SHAPE};
use crate::codec::lines::split_lines;
use crate::codec::text::{parse_u64, snippet, write_u64, write_value};
use crate::codec::{BatchEncoder, ChunkDecoder, Framer};
use crate::error::{Error, ErrorKind, Result};
use crate::format::Format;

/// The deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 128;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Which kind of JSON document: a request (its array holds instances) or a
/// response (its array holds predictions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    /// `{"instances":[...]}` or a bare top-level array.
    Request,
    /// `{"predictions":[...]}` (also `projections`, `scores`).
    Response,
}

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum JsonShape {
    /// `{"features":[...],"label":x}` (sparse: features as keys/values/shape).
    #[default]
    Features,
    /// `{"data":{"features":{"values":[...]},"label":{"values":[...]}}}`.
    Data,
}

/// Options for reading and writing JSON Lines and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonOptions {
    /// Name of the features field (default `features`).
    pub features: String,
    /// Name of the label field (default `label`).
    pub label: String,
    /// Predictions (a response), not instances: JSON Lines lines are read
    /// as predictions, and JSON / JSON Lines are written as predictions
    /// (`{"predictions":[...]}` documents, one prediction per line), each
    /// row's values named by [`JsonOptions::prediction_fields`]. (A JSON
    /// document being read says what it is itself.)
    pub response: bool,
    /// Field names of written predictions, given the values of a row in
    /// order (its labels, then its features): each name takes one value,
    /// and the last takes the rest as an array when more than one is left
    /// or when it ends in `[]` (`["score"]`, the default: `{"score":0.25}`;
    /// `["score", "predicted_label"]`: `{"score":0.25,"predicted_label":0}`;
    /// `["projection[]"]`: `{"projection":[1,2]}`).
    pub prediction_fields: Vec<String>,
    /// The kind of a JSON document being read; found by
    /// [`scan_prefix`] (`crate::format::json::detect`) before decoding.
    /// `None` reads a request.
    pub document: Option<Document>,
    /// True when the JSON document being read is a bare array (no
    /// enclosing object); found by [`scan_prefix`] with `document`.
    pub bare_array: bool,
    /// How rows are written.
    pub shape: JsonShape,
    /// A JSON object written as the request's `configuration` (JSON
    /// documents only). Must be valid JSON; checked by [`Encoder::new`].
    pub configuration: Option<String>,
}

impl Default for JsonOptions {
    fn default() -> JsonOptions {
        JsonOptions {
            features: "features".into(),
            label: "label".into(),
            response: false,
            prediction_fields: vec!["score".into()],
            document: None,
            bare_array: false,
            shape: JsonShape::Features,
            configuration: None,
        }
    }
}

// ---------------------------------------------------------------------------
// The scanner.

/// A position in a buffer being parsed.
struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
    format: &'static str,
}

#[inline]
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8], pos: usize, format: &'static str) -> Cur<'a> {
        Cur { b, pos, format }
    }

    #[inline]
    fn ws(&mut self) {
        while self.pos < self.b.len() && is_ws(self.b[self.pos]) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn err(&self, msg: impl Into<String>) -> Error {
        Error::syntax(self.format, msg).at_byte(self.pos as u64)
    }

    /// The input ends where more was expected.
    fn end(&self, what: &str) -> Error {
        Error::new(ErrorKind::Truncated {
            format: self.format,
            needed: 1,
            available: 0,
        })
        .at_byte(self.pos as u64)
        .with_note(what)
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the input".into(),
            Some(_) => {
                let rest = &self.b[self.pos..];
                let n = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                format!("{:?}", snippet(&rest[..n], 20))
            }
        }
    }

    fn unexpected(&self, expected: &str) -> Error {
        if self.peek().is_none() {
            return self.end(expected);
        }
        self.err(format!("expected {expected}, found {}", self.found()))
    }

    /// Consumes `c` (after whitespace) or fails.
    #[inline]
    fn expect(&mut self, c: u8, expected: &str) -> Result<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// Reads a string (the cursor is at its opening quote) into `out`,
    /// unescaped.
    fn string_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        self.string(Some(out))
    }

    /// Reads (and checks) a string; appends its unescaped bytes to `out`
    /// when given.
    fn string(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<()> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        self.pos += 1;
        loop {
            let rest = &self.b[self.pos..];
            let Some(i) = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            else {
                self.pos = self.b.len();
                return Err(self.end("the end of a string"));
            };
            let run = &rest[..i];
            if !run.is_ascii() && std::str::from_utf8(run).is_err() {
                let bad = std::str::from_utf8(run).unwrap_err().valid_up_to();
                self.pos += bad;
                return Err(self.err("a string is not valid UTF-8"));
            }
            if let Some(o) = out.as_deref_mut() {
                o.extend_from_slice(run);
            }
            self.pos += i;
            match rest[i] {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => self.escape(out.as_deref_mut())?,
                c => {
                    return Err(self.err(format!(
                        "control character 0x{c:02x} inside a string (it must be escaped)"
                    )));
                }
            }
        }
    }

    fn escape(&mut self, out: Option<&mut Vec<u8>>) -> Result<()> {
        // At the backslash.
        let Some(&c) = self.b.get(self.pos + 1) else {
            self.pos = self.b.len();
            return Err(self.end("an escape sequence"));
        };
        let simple = match c {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'u' => None,
            _ => return Err(self.err(format!("invalid escape \\{}", c as char))),
        };
        if let Some(v) = simple {
            if let Some(o) = out {
                o.push(v);
            }
            self.pos += 2;
            return Ok(());
        }
        let at = self.pos;
        let hi = self.hex4(at + 2)?;
        let (ch, len) = if (0xD800..0xDC00).contains(&hi) {
            if self.b.get(at + 6) != Some(&b'\\') || self.b.get(at + 7) != Some(&b'u') {
                return Err(self.err("a high surrogate \\u escape without its low surrogate"));
            }
            let lo = self.hex4(at + 8)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("a high surrogate \\u escape without its low surrogate"));
            }
            (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), 12)
        } else if (0xDC00..0xE000).contains(&hi) {
            return Err(self.err("a lone low surrogate \\u escape"));
        } else {
            (hi, 6)
        };
        if let Some(o) = out {
            let ch = char::from_u32(ch).expect("valid scalar");
            let mut buf = [0u8; 4];
            o.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        self.pos = at + len;
        Ok(())
    }

    fn hex4(&mut self, at: usize) -> Result<u32> {
        let Some(h) = self.b.get(at..at + 4) else {
            self.pos = self.b.len();
            return Err(self.end("four hex digits after \\u"));
        };
        let mut v = 0u32;
        for &c in h {
            let d = (c as char).to_digit(16).ok_or_else(|| {
                Error::syntax(self.format, "expected four hex digits after \\u").at_byte(at as u64)
            })?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    /// The extent of a number token at the cursor, checked against the
    /// JSON grammar. Returns `(start, end, integer)` where `integer` is
    /// true when the token has no fraction and no exponent.
    #[inline]
    fn number_token(&mut self) -> Result<(usize, usize, bool)> {
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            *i - s
        };
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => {
                self.pos = i;
                return Err(self.unexpected("a number"));
            }
        }
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            i += 1;
            integer = false;
            if digits(&mut i) == 0 {
                self.pos = i;
                return Err(self.unexpected("a digit after the decimal point"));
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            integer = false;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                self.pos = i;
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        if b.get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
        {
            self.pos = i;
            return Err(self.err(format!(
                "invalid number {}",
                Cur::new(b, start, self.format).found()
            )));
        }
        self.pos = i;
        Ok((start, i, integer))
    }

    /// A number, `null` (NaN) or Python's `NaN`/`Infinity`/`-Infinity`.
    #[inline]
    fn number(&mut self) -> Result<f64> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => {
                if self.b[self.pos..].starts_with(b"-Infinity") {
                    self.pos += 9;
                    return Ok(f64::NEG_INFINITY);
                }
                let (s, e, _) = self.number_token()?;
                fast_float2::parse::<f64, _>(&self.b[s..e])
                    .map_err(|_| Error::syntax(self.format, "invalid number").at_byte(s as u64))
            }
            Some(b'n') => self.literal(b"null", f64::NAN),
            Some(b'N') => self.literal(b"NaN", f64::NAN),
            Some(b'I') => self.literal(b"Infinity", f64::INFINITY),
            Some(b'"') => Err(self.err(format!(
                "expected a number, found the string {} (numbers must not be quoted)",
                self.found()
            ))),
            _ => Err(self.unexpected("a number")),
        }
    }

    fn literal<T>(&mut self, word: &[u8], v: T) -> Result<T> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(v)
        } else if word.starts_with(&self.b[self.pos..]) {
            self.pos = self.b.len();
            Err(self.end("a literal"))
        } else {
            Err(self.unexpected(&format!("{}", String::from_utf8_lossy(word))))
        }
    }

    /// A non-negative integer (an index or a dimension).
    fn index(&mut self) -> Result<u64> {
        let at = self.pos;
        let (s, e, integer) = self.number_token()?;
        let tok = &self.b[s..e];
        if integer && let Some(v) = parse_u64(tok) {
            return Ok(v);
        }
        // 3.0 and 1e2 are integers too (small enough to be exact).
        let v = fast_float2::parse::<f64, _>(tok).unwrap_or(f64::NAN);
        if (0.0..=9_007_199_254_740_992.0).contains(&v) && v.fract() == 0.0 {
            return Ok(v as u64);
        }
        Err(Error::syntax(
            self.format,
            format!(
                "expected a non-negative integer, found {}",
                String::from_utf8_lossy(tok)
            ),
        )
        .at_byte(at as u64))
    }

    /// `[n, n, ...]` of numbers, appended to `out`.
    fn numbers(&mut self, out: &mut Vec<f64>) -> Result<()> {
        self.expect(b'[', "'['")?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            out.push(self.number()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("',' or ']' in an array of numbers")),
            }
        }
    }

    /// `[i, i, ...]` of non-negative integers, appended to `out`.
    fn indices(&mut self, out: &mut Vec<u64>) -> Result<()> {
        self.expect(b'[', "'['")?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            out.push(self.index()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("',' or ']' in an array of integers")),
            }
        }
    }

    /// Skips (and checks) any value.
    fn skip_value(&mut self, depth: usize) -> Result<()> {
        self.ws();
        match self.peek() {
            Some(b'"') => self.string(None),
            Some(b'{') => {
                self.deeper(depth)?;
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.unexpected("a field name (a string)"));
                    }
                    self.string(None)?;
                    self.expect(b':', "':'")?;
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(self.unexpected("',' or '}'")),
                    }
                }
            }
            Some(b'[') => {
                self.deeper(depth)?;
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(self.unexpected("',' or ']'")),
                    }
                }
            }
            Some(b't') => self.literal(b"true", ()),
            Some(b'f') => self.literal(b"false", ()),
            Some(b'n' | b'N' | b'I' | b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    fn deeper(&self, depth: usize) -> Result<()> {
        if depth >= MAX_DEPTH {
            return Err(self.err(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// Walks the fields of an object (the cursor is at `{`), calling
    /// `f(self, key)` with the cursor at each value, which `f` must consume.
    fn object(
        &mut self,
        key: &mut Vec<u8>,
        mut f: impl FnMut(&mut Cur<'a>, &[u8]) -> Result<()>,
    ) -> Result<()> {
        self.expect(b'{', "'{'")?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a field name (a string)"));
            }
            self.string_into(key)?;
            self.expect(b':', "':'")?;
            self.ws();
            let k = std::mem::take(key);
            let r = f(self, &k);
            *key = k;
            r?;
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }
}

trait WithNote {
    fn with_note(self, what: &str) -> Error;
}

impl WithNote for Error {
    /// Turns a bare truncation into a syntax error that says what was
    /// expected (the Truncated kind carries no message).
    fn with_note(self, what: &str) -> Error {
        let byte = self.position().byte;
        let ErrorKind::Truncated { format, .. } = self.kind() else {
            return self;
        };
        let mut e = Error::syntax(
            format,
            format!("unexpected end of the input: expected {what}"),
        );
        e.position_mut().byte = byte;
        e
    }
}

fn is_end_error(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Syntax { msg, .. } if msg.starts_with("unexpected end of the input"))
}

// ---------------------------------------------------------------------------
// Instances and predictions.

/// One example being parsed (reused).
#[derive(Debug, Default)]
struct Row {
    values: Vec<f64>,
    keys: Vec<u64>,
    shape: Option<u64>,
    sparse: bool,
    labels: Vec<f64>,
    has_features: bool,
    has_label: bool,
    key: Vec<u8>,
    inner_key: Vec<u8>,
}

impl Row {
    fn clear(&mut self) {
        self.values.clear();
        self.keys.clear();
        self.shape = None;
        self.sparse = false;
        self.labels.clear();
        self.has_features = false;
        self.has_label = false;
    }
}

fn features(cur: &mut Cur<'_>, row: &mut Row) -> Result<()> {
    if row.has_features {
        return Err(cur.err("the instance has its features twice"));
    }
    row.has_features = true;
    match cur.peek() {
        Some(b'[') => cur.numbers(&mut row.values),
        Some(b'{') => {
            let at = cur.pos;
            let (mut vals, mut keys, mut shape) = (false, false, false);
            let mut key = std::mem::take(&mut row.inner_key);
            let mut dims = Vec::new();
            let r = cur.object(&mut key, |c, k| match k {
                b"values" if !vals => {
                    vals = true;
                    c.numbers(&mut row.values)
                }
                b"keys" if !keys => {
                    keys = true;
                    c.indices(&mut row.keys)
                }
                b"shape" if !shape => {
                    shape = true;
                    c.indices(&mut dims)
                }
                b"values" | b"keys" | b"shape" => Err(c.err(format!(
                    "the features have \"{}\" twice",
                    String::from_utf8_lossy(k)
                ))),
                _ => c.skip_value(2),
            });
            row.inner_key = key;
            r?;
            let err = |msg: String| Error::syntax(cur.format, msg).at_byte(at as u64);
            if !vals {
                return Err(err(
                    "the features object has no \"values\" array".to_string()
                ));
            }
            match dims[..] {
                [] if shape => return Err(err("the features' shape is empty".to_string())),
                [] => {}
                [n] => row.shape = Some(n),
                _ => {
                    return Err(err(format!(
                        "the features' shape has {} dimensions; only one (a vector) can be converted to rows",
                        dims.len()
                    )));
                }
            }
            if keys {
                row.sparse = true;
                if row.keys.len() != row.values.len() {
                    return Err(err(format!(
                        "the sparse features have {} keys but {} values",
                        row.keys.len(),
                        row.values.len()
                    )));
                }
                if let Some(n) = row.shape
                    && let Some(&bad) = row.keys.iter().find(|&&k| k >= n)
                {
                    return Err(err(format!(
                        "key {bad} is outside the features' shape ([{n}])"
                    )));
                }
            } else if let Some(n) = row.shape
                && n != row.values.len() as u64
            {
                return Err(err(format!(
                    "the dense features have {} values but their shape is [{n}]",
                    row.values.len()
                )));
            }
            Ok(())
        }
        _ => Err(cur.unexpected("the features: an array of numbers or an object with \"values\"")),
    }
}

fn label(cur: &mut Cur<'_>, row: &mut Row) -> Result<()> {
    if row.has_label {
        return Err(cur.err("the instance has its label twice"));
    }
    row.has_label = true;
    match cur.peek() {
        Some(b'[') => cur.numbers(&mut row.labels),
        Some(b'{') => {
            let mut key = std::mem::take(&mut row.inner_key);
            let mut seen = false;
            let r = cur.object(&mut key, |c, k| match k {
                b"values" if !seen => {
                    seen = true;
                    c.numbers(&mut row.labels)
                }
                _ => c.skip_value(2),
            });
            row.inner_key = key;
            r
        }
        _ => {
            let v = cur.number()?;
            row.labels.push(v);
            Ok(())
        }
    }
}

/// Parses one instance at the cursor into `row`.
fn instance(cur: &mut Cur<'_>, opts: &JsonOptions, row: &mut Row) -> Result<()> {
    row.clear();
    cur.ws();
    let at = cur.pos;
    match cur.peek() {
        Some(b'[') => {
            row.has_features = true;
            return cur.numbers(&mut row.values);
        }
        Some(b'{') => {}
        _ => return Err(cur.unexpected("an instance (an object, or an array of numbers)")),
    }
    let f = opts.features.as_bytes();
    let l = opts.label.as_bytes();
    let mut key = std::mem::take(&mut row.key);
    let r = cur.object(&mut key, |c, k| {
        if k == f {
            features(c, row)
        } else if k == l {
            label(c, row)
        } else if k == b"data" && c.peek() == Some(b'{') {
            let mut inner = Vec::new();
            c.object(&mut inner, |c, k| {
                if k == f {
                    features(c, row)
                } else if k == l {
                    label(c, row)
                } else {
                    c.skip_value(2)
                }
            })
        } else {
            c.skip_value(1)
        }
    });
    row.key = key;
    r?;
    if !row.has_features {
        return Err(Error::syntax(
            cur.format,
            format!(
                "the instance has no \"{}\" field (nor \"data\": {{\"{}\": ...}})",
                opts.features, opts.features
            ),
        )
        .at_byte(at as u64));
    }
    Ok(())
}

/// Parses one prediction at the cursor: its numeric values, flattened.
fn prediction(cur: &mut Cur<'_>, row: &mut Row) -> Result<()> {
    row.clear();
    row.has_features = true;
    cur.ws();
    let mut key = std::mem::take(&mut row.key);
    let r = flatten(cur, &mut row.values, &mut key, 0, "");
    row.key = key;
    r
}

fn flatten(
    cur: &mut Cur<'_>,
    out: &mut Vec<f64>,
    key: &mut Vec<u8>,
    depth: usize,
    field: &str,
) -> Result<()> {
    cur.ws();
    match cur.peek() {
        Some(b'{') => {
            cur.deeper(depth)?;
            cur.object(key, |c, k| {
                let name = String::from_utf8_lossy(k).into_owned();
                flatten(c, out, &mut Vec::new(), depth + 1, &name)
            })
        }
        Some(b'[') => {
            cur.deeper(depth)?;
            cur.pos += 1;
            cur.ws();
            if cur.peek() == Some(b']') {
                cur.pos += 1;
                return Ok(());
            }
            loop {
                flatten(cur, out, key, depth + 1, field)?;
                cur.ws();
                match cur.peek() {
                    Some(b',') => cur.pos += 1,
                    Some(b']') => {
                        cur.pos += 1;
                        return Ok(());
                    }
                    _ => return Err(cur.unexpected("',' or ']'")),
                }
            }
        }
        Some(b'"' | b't' | b'f') => {
            let what = if cur.peek() == Some(b'"') {
                "a string"
            } else {
                "a boolean"
            };
            let at = cur.pos;
            cur.skip_value(depth)?;
            let name = if field.is_empty() {
                String::new()
            } else {
                format!(" {field:?}")
            };
            Err(Error::unsupported(format!(
                "the prediction field{name} holds {what}; only numeric prediction fields can be converted to rows"
            ))
            .at_byte(at as u64))
        }
        _ => {
            out.push(cur.number()?);
            Ok(())
        }
    }
}

/// Appends a parsed row to the batch, switching the batch to sparse (and
/// marking its dense rows) the first time a sparse row arrives.
fn push_row(out: &mut Batch, row: &Row) {
    if row.sparse && !out.sparse {
        out.dense_rows_to_sparse();
    }
    if out.sparse {
        if row.sparse {
            out.values.extend_from_slice(&row.values);
            out.indices.extend_from_slice(&row.keys);
            out.shapes.push(row.shape.unwrap_or(UNKNOWN_SHAPE));
            if !out.dense_rows.is_empty() {
                out.dense_rows.push(false);
            }
        } else {
            // A dense row in a sparse batch: its values other than +0 with
            // their keys, and its width as shape (as protobuf does).
            for (j, &v) in row.values.iter().enumerate() {
                if v.to_bits() != 0 {
                    out.values.push(v);
                    out.indices.push(j as u64);
                }
            }
            out.shapes.push(row.values.len() as u64);
            out.dense_rows.resize(out.len(), false);
            out.dense_rows.push(true);
        }
    } else {
        out.values.extend_from_slice(&row.values);
    }
    out.labels.extend_from_slice(&row.labels);
    out.end_row();
}

/// Checks that dense rows keep the width of the first dense row of the
/// chunk; `Err(msg)` otherwise.
fn check_width(first: &mut Option<usize>, row: &Row) -> std::result::Result<(), String> {
    if row.sparse {
        return Ok(());
    }
    let n = row.values.len();
    match *first {
        None => *first = Some(n),
        Some(w) if w != n => {
            return Err(format!(
                "expected {w} features like the first record of this block, found {n}"
            ));
        }
        _ => {}
    }
    Ok(())
}

fn reset(out: &mut Batch) {
    out.clear();
    out.dtype = Dtype::Float64;
    out.label_dtype = Dtype::Float64;
    out.sparse = false;
}

// ---------------------------------------------------------------------------
// JSON Lines.

/// Decodes chunks of JSON Lines into [`Batch`]es: one instance (or, with
/// [`JsonOptions::response`], one prediction) per non-blank line.
#[derive(Debug, Clone)]
pub struct LinesDecoder {
    opts: JsonOptions,
}

impl LinesDecoder {
    /// A decoder with the given options.
    pub fn new(opts: JsonOptions) -> LinesDecoder {
        LinesDecoder { opts }
    }
}

const JSONL: &str = "jsonl";
const JSON: &str = "json";

impl ChunkDecoder for LinesDecoder {
    fn decode(&self, chunk: &[u8], first: bool, out: &mut Batch) -> Result<()> {
        reset(out);
        let mut row = Row::default();
        let mut width = None;
        let mut lines = 0u64;
        for (line, start) in split_lines(chunk) {
            let n = lines;
            lines += 1;
            let skip = if first && n == 0 && line.starts_with(BOM) {
                BOM.len()
            } else {
                0
            };
            if line[skip..].iter().all(|&c| is_ws(c)) {
                continue;
            }
            let mut cur = Cur::new(line, skip, JSONL);
            let fix = |e: Error| e.shift(0, 0, start as u64).at_line(n);
            let r = if self.opts.response {
                prediction(&mut cur, &mut row)
            } else {
                instance(&mut cur, &self.opts, &mut row)
            };
            r.map_err(fix)?;
            cur.ws();
            if cur.pos < line.len() {
                return Err(fix(cur.err(format!(
                    "unexpected data after the JSON value of this line: {}",
                    cur.found()
                ))));
            }
            check_width(&mut width, &row)
                .map_err(|m| fix(Error::syntax(JSONL, m).at_byte(skip as u64)))?;
            push_row(out, &row);
        }
        out.lines = lines;
        Ok(())
    }

    /// The non-blank lines (the records `decode` would read), without
    /// parsing them: a JSON Lines file of any shape (DeepAR series,
    /// Object2Vec pairs, manifests) can be counted.
    fn count(&self, chunk: &[u8], first: bool) -> Result<u64> {
        let mut n = 0u64;
        for (k, (line, _)) in split_lines(chunk).enumerate() {
            let skip = if first && k == 0 && line.starts_with(BOM) {
                BOM.len()
            } else {
                0
            };
            n += u64::from(!line[skip..].iter().all(|&c| is_ws(c)));
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// JSON documents.

/// Where a JSON document's array of examples starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    /// Offset just after the array's `[`.
    pub array_start: usize,
    /// What the array holds.
    pub document: Document,
    /// True for a bare top-level array (no enclosing object).
    pub bare: bool,
}

const REQUEST_KEYS: [&[u8]; 1] = [b"instances"];
const RESPONSE_KEYS: [&[u8]; 3] = [b"predictions", b"projections", b"scores"];

/// Finds the array of a JSON document that starts at `buf[0]`: a bare
/// top-level array, or the `instances` (request) or `predictions`,
/// `projections`, `scores` (response) field of the top-level object; fields
/// before it are checked and skipped. `Ok(None)` when `buf` ends first and
/// `eof` is false.
pub fn scan_prefix(buf: &[u8], eof: bool) -> Result<Option<Prefix>> {
    if !eof && buf.len() < BOM.len() && BOM.starts_with(buf) {
        return Ok(None);
    }
    let start = if buf.starts_with(BOM) { BOM.len() } else { 0 };
    let mut cur = Cur::new(buf, start, JSON);
    let r = (|| {
        cur.ws();
        match cur.peek() {
            Some(b'[') => {
                return Ok(Some(Prefix {
                    array_start: cur.pos + 1,
                    document: Document::Request,
                    bare: true,
                }));
            }
            Some(b'{') => {}
            None => return Err(cur.end("a JSON document")),
            _ => {
                return Err(cur.unexpected(
                    "a JSON document: {\"instances\": [...]}, {\"predictions\": [...]} or an array",
                ));
            }
        }
        cur.pos += 1;
        let mut key = Vec::new();
        loop {
            cur.ws();
            match cur.peek() {
                Some(b'"') => {}
                Some(b'}') => {
                    return Err(cur.err(
                        "the document has no \"instances\" (request) or \"predictions\" (response) array",
                    ));
                }
                _ => return Err(cur.unexpected("a field name (a string)")),
            }
            cur.string_into(&mut key)?;
            cur.expect(b':', "':'")?;
            cur.ws();
            let doc = if REQUEST_KEYS.contains(&&key[..]) {
                Some(Document::Request)
            } else if RESPONSE_KEYS.contains(&&key[..]) {
                Some(Document::Response)
            } else {
                None
            };
            if let Some(document) = doc {
                if cur.peek() == Some(b'[') {
                    return Ok(Some(Prefix {
                        array_start: cur.pos + 1,
                        document,
                        bare: false,
                    }));
                }
                return Err(cur.unexpected(&format!(
                    "an array as the value of \"{}\"",
                    String::from_utf8_lossy(&key)
                )));
            }
            cur.skip_value(1)?;
            cur.ws();
            match cur.peek() {
                Some(b',') => cur.pos += 1,
                Some(b'}') => {}
                _ => return Err(cur.unexpected("',' or '}'")),
            }
        }
    })();
    match r {
        Err(e) if !eof && is_end_error(&e) => Ok(None),
        r => r,
    }
}

/// Splits a JSON document at the elements of its array (string- and
/// nesting-aware), so that chunks of elements decode in parallel. The first
/// chunk holds the document's prefix, the last its end; a cut is made only
/// after a comma between elements, and never before the last element, so
/// the end of the array is always in the last chunk.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocumentFramer;

impl Framer for DocumentFramer {
    fn boundary(&self, buf: &[u8], eof: bool) -> Result<usize> {
        self.boundary_at(buf, eof, 1)
    }

    fn boundary_at(&self, buf: &[u8], eof: bool, offset: u64) -> Result<usize> {
        let mut pos = 0;
        if offset == 0 {
            match scan_prefix(buf, eof)? {
                Some(p) => pos = p.array_start,
                None => return Ok(0),
            }
        }
        let mut depth = 0usize;
        let mut pending = None;
        let mut cut = 0;
        let mut closed = false;
        while pos < buf.len() {
            let c = buf[pos];
            match c {
                b'"' => {
                    if let Some(p) = pending.take() {
                        cut = p;
                    }
                    // Skip the string: find its closing quote.
                    pos += 1;
                    loop {
                        match memchr::memchr2(b'"', b'\\', &buf[pos.min(buf.len())..]) {
                            Some(i) if buf[pos + i] == b'\\' => pos += i + 2,
                            Some(i) => {
                                pos += i + 1;
                                break;
                            }
                            None => {
                                pos = buf.len() + 1;
                                break;
                            }
                        }
                    }
                    continue;
                }
                b'{' | b'[' => {
                    if let Some(p) = pending.take() {
                        cut = p;
                    }
                    depth += 1;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        closed = true;
                        break;
                    }
                    depth -= 1;
                }
                b',' if depth == 0 => pending = Some(pos + 1),
                c if is_ws(c) => {}
                _ => {
                    if let Some(p) = pending.take() {
                        cut = p;
                    }
                }
            }
            pos += 1;
        }
        if eof {
            if !closed {
                return Err(Error::syntax(
                    JSON,
                    "unexpected end of the input: the document's array is not closed",
                )
                .at_byte(buf.len() as u64));
            }
            return Ok(buf.len());
        }
        Ok(cut)
    }
}

/// Decodes chunks cut by [`DocumentFramer`]: the elements of a JSON
/// document's array, as instances (request) or predictions (response),
/// checking the document's prefix in the first chunk and its end in the
/// chunk that holds it.
#[derive(Debug, Clone)]
pub struct DocumentDecoder {
    opts: JsonOptions,
}

impl DocumentDecoder {
    /// A decoder with the given options ([`JsonOptions::document`] says
    /// what the array holds).
    pub fn new(opts: JsonOptions) -> DocumentDecoder {
        DocumentDecoder { opts }
    }
}

impl ChunkDecoder for DocumentDecoder {
    fn decode(&self, chunk: &[u8], first: bool, out: &mut Batch) -> Result<()> {
        reset(out);
        let mut document = self.opts.document.unwrap_or(Document::Request);
        let mut bare = self.opts.bare_array;
        let mut cur = Cur::new(chunk, 0, JSON);
        if first {
            let p = scan_prefix(chunk, true)?.expect("complete at eof");
            document = p.document;
            bare = p.bare;
            cur.pos = p.array_start;
        }
        let mut row = Row::default();
        let mut width = None;
        // A chunk other than the first starts just after a comma.
        let mut after_comma = !first;
        let mut record = 0u64;
        loop {
            cur.ws();
            match cur.peek() {
                None if after_comma => break,
                None => return Err(cur.end("an element or ']'")),
                Some(b']') if after_comma => {
                    return Err(cur.err("a trailing comma before ']'"));
                }
                Some(b']') => {
                    cur.pos += 1;
                    document_end(&mut cur, bare)?;
                    break;
                }
                _ => {}
            }
            let at = cur.pos;
            let r = match document {
                Document::Request => instance(&mut cur, &self.opts, &mut row),
                Document::Response => prediction(&mut cur, &mut row),
            };
            r.map_err(|e| e.at_record(record))?;
            check_width(&mut width, &row)
                .map_err(|m| Error::syntax(JSON, m).at_byte(at as u64).at_record(record))?;
            push_row(out, &row);
            record += 1;
            cur.ws();
            match cur.peek() {
                Some(b',') => {
                    cur.pos += 1;
                    after_comma = true;
                }
                Some(b']') => after_comma = false,
                _ => {
                    return Err(cur
                        .unexpected("',' or ']' after an element")
                        .at_record(record - 1));
                }
            }
        }
        Ok(())
    }

    fn count(&self, chunk: &[u8], first: bool) -> Result<u64> {
        let mut b = Batch::default();
        self.decode(chunk, first, &mut b)?;
        Ok(b.len() as u64)
    }
}

/// Checks the rest of the document after its array's `]`.
fn document_end(cur: &mut Cur<'_>, bare: bool) -> Result<()> {
    if !bare {
        let mut key = Vec::new();
        loop {
            cur.ws();
            match cur.peek() {
                Some(b'}') => {
                    cur.pos += 1;
                    break;
                }
                Some(b',') => {
                    cur.pos += 1;
                    cur.ws();
                    if cur.peek() != Some(b'"') {
                        return Err(cur.unexpected("a field name (a string)"));
                    }
                    cur.string_into(&mut key)?;
                    cur.expect(b':', "':'")?;
                    cur.skip_value(1)?;
                }
                _ => return Err(cur.unexpected("',' or '}'")),
            }
        }
    }
    cur.ws();
    if cur.peek().is_some() {
        return Err(cur.err(format!(
            "unexpected data after the end of the document: {}",
            cur.found()
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Writing.

/// Encodes batches as JSON Lines (one object per line) or as the instances
/// of a JSON request document.
#[derive(Debug, Clone)]
pub struct Encoder {
    opts: JsonOptions,
    document: bool,
    sparse: Option<bool>,
    num_features: Option<u64>,
}

impl Encoder {
    /// An encoder for `format` ([`Format::Jsonl`] or [`Format::Json`]).
    /// `sparse` forces sparse (`Some(true)`) or dense (`Some(false)`)
    /// features; `num_features` is the width of densified rows and the
    /// shape of sparse ones. Check the options first with
    /// [`JsonOptions::validate`].
    pub fn new(
        format: Format,
        opts: JsonOptions,
        sparse: Option<bool>,
        num_features: Option<u64>,
    ) -> Encoder {
        Encoder {
            opts,
            document: format == Format::Json,
            sparse,
            num_features,
        }
    }
}

impl JsonOptions {
    /// Checks the options for writing: the configuration, when given, must
    /// be one JSON object.
    pub fn validate(&self) -> Result<()> {
        if let Some(c) = &self.configuration {
            let mut cur = Cur::new(c.as_bytes(), 0, JSON);
            cur.ws();
            let ok = cur.peek() == Some(b'{') && cur.skip_value(0).is_ok() && {
                cur.ws();
                cur.pos == c.len()
            };
            if !ok {
                return Err(Error::config(format!(
                    "the configuration must be a JSON object, not {c:?}"
                )));
            }
            if self.response {
                return Err(Error::config(
                    "a configuration belongs to a request, not to predictions (--response)",
                ));
            }
        }
        let names: Vec<&str> = self
            .prediction_fields
            .iter()
            .map(|f| f.strip_suffix("[]").unwrap_or(f))
            .collect();
        if names.is_empty() || names.iter().any(|n| n.is_empty()) {
            return Err(Error::config(format!(
                "prediction field names must not be empty, got {:?}",
                self.prediction_fields
            )));
        }
        if let Some((_, n)) = names
            .iter()
            .enumerate()
            .find(|(i, n)| names[..*i].contains(n))
        {
            return Err(Error::config(format!(
                "the prediction field {n:?} is named twice"
            )));
        }
        if let Some(f) = self.prediction_fields[..self.prediction_fields.len() - 1]
            .iter()
            .find(|f| f.ends_with("[]"))
        {
            return Err(Error::config(format!(
                "only the last prediction field can take an array ({f:?} is not last)"
            )));
        }
        Ok(())
    }
}

/// Appends a number as JSON: NaN as `null`, ±infinity as `±1e999`.
#[inline]
fn write_num(out: &mut Vec<u8>, v: f64, dtype: Dtype) {
    if v.is_nan() {
        out.extend_from_slice(b"null");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"1e999" } else { b"-1e999" });
    } else {
        write_value(out, v, dtype);
    }
}

fn write_nums(out: &mut Vec<u8>, vals: impl IntoIterator<Item = f64>, dtype: Dtype) {
    out.push(b'[');
    for (k, v) in vals.into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        write_num(out, v, dtype);
    }
    out.push(b']');
}

fn write_ints(out: &mut Vec<u8>, vals: &[u64]) {
    out.push(b'[');
    for (k, &v) in vals.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        write_u64(out, v);
    }
    out.push(b']');
}

/// Appends `s` as a JSON string.
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out.push(b'"');
}

impl Encoder {
    fn write_row(
        &self,
        batch: &Batch,
        i: usize,
        out: &mut Vec<u8>,
        scratch: &mut (Vec<u64>, Vec<f64>),
    ) -> Result<()> {
        let data = self.opts.shape == JsonShape::Data;
        out.push(b'{');
        if data {
            out.extend_from_slice(b"\"data\":{");
        }
        write_str(out, &self.opts.features);
        out.push(b':');
        let vals = batch.row_values(i);
        let dtype = batch.row_dtype(i);
        let dense_in = batch.row_is_dense(i);
        let width = if dense_in && batch.sparse {
            batch.row_shape(i)
        } else if dense_in {
            Some(vals.len() as u64)
        } else {
            batch.row_shape(i)
        };
        let sparse_out = self.sparse.unwrap_or(!dense_in);
        if sparse_out {
            let shape = self.num_features.or(width);
            let (idx, v): (&[u64], &[f64]) = if batch.sparse {
                (batch.row_indices(i), vals)
            } else {
                // A dense row written sparse: its entries other than +0.
                scratch.0.clear();
                scratch.1.clear();
                for (j, &x) in vals.iter().enumerate() {
                    if x.to_bits() != 0 {
                        scratch.0.push(j as u64);
                        scratch.1.push(x);
                    }
                }
                (&scratch.0, &scratch.1)
            };
            if let Some(n) = shape
                && let Some(&bad) = idx.iter().find(|&&k| k >= n)
            {
                return Err(Error::unsupported(format!(
                    "feature index {bad} is not below the number of features ({n})"
                ))
                .at_record(i as u64));
            }
            out.extend_from_slice(b"{\"keys\":");
            write_ints(out, idx);
            out.extend_from_slice(b",\"values\":");
            write_nums(out, v.iter().copied(), dtype);
            if let Some(n) = shape {
                out.extend_from_slice(b",\"shape\":[");
                write_u64(out, n);
                out.push(b']');
            }
            out.push(b'}');
        } else {
            let n = match (self.num_features, width) {
                (Some(n), _) => n,
                (None, Some(w)) => w,
                (None, None) => {
                    return Err(Error::unsupported(
                        "a sparse record has no known number of features: pass --num-features",
                    )
                    .at_record(i as u64));
                }
            };
            crate::batch::check_dense_width(n).map_err(|e| e.at_record(i as u64))?;
            if data {
                out.extend_from_slice(b"{\"values\":");
            }
            if batch.sparse {
                scratch.1.clear();
                batch.densify_row(i, n, &mut scratch.1)?;
                write_nums(out, scratch.1.iter().copied(), dtype);
            } else {
                if vals.len() as u64 > n {
                    return Err(Error::unsupported(format!(
                        "a record has {} features, more than the number of features passed ({n})",
                        vals.len()
                    ))
                    .at_record(i as u64));
                }
                let pad = n as usize - vals.len();
                write_nums(
                    out,
                    vals.iter().copied().chain(std::iter::repeat_n(0.0, pad)),
                    dtype,
                );
            }
            if data {
                out.push(b'}');
            }
        }
        let labels = batch.row_labels(i);
        if !labels.is_empty() {
            out.push(b',');
            write_str(out, &self.opts.label);
            out.push(b':');
            if data {
                out.extend_from_slice(b"{\"values\":");
                write_nums(out, labels.iter().copied(), batch.row_label_dtype(i));
                out.push(b'}');
            } else if let [l] = labels {
                write_num(out, *l, batch.row_label_dtype(i));
            } else {
                write_nums(out, labels.iter().copied(), batch.row_label_dtype(i));
            }
        }
        if data {
            out.push(b'}');
        }
        out.push(b'}');
        Ok(())
    }
}

impl Encoder {
    /// Writes row `i` as a prediction: its labels, then its features,
    /// named by the prediction fields.
    fn write_prediction(
        &self,
        batch: &Batch,
        i: usize,
        vals: &mut Vec<f64>,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        vals.clear();
        vals.extend_from_slice(batch.row_labels(i));
        let dtype = batch.row_dtype(i);
        if batch.sparse {
            let n = match self.num_features.or_else(|| batch.row_shape(i)) {
                Some(n) => n,
                None => {
                    return Err(Error::unsupported(
                        "a sparse record has no known number of features: pass --num-features",
                    )
                    .at_record(i as u64));
                }
            };
            batch.densify_row(i, n, vals)?;
        } else {
            vals.extend_from_slice(batch.row_values(i));
        }
        let fields = &self.opts.prediction_fields;
        let scalars = fields.len() - 1;
        if vals.len() < fields.len() {
            return Err(Error::unsupported(format!(
                "a record has {} values but {} prediction fields are named ({})",
                vals.len(),
                fields.len(),
                fields.join(",")
            ))
            .at_record(i as u64));
        }
        out.push(b'{');
        for (k, name) in fields[..scalars].iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            write_str(out, name);
            out.push(b':');
            write_num(out, vals[k], dtype);
        }
        if scalars > 0 {
            out.push(b',');
        }
        let last = &fields[scalars];
        let rest = &vals[scalars..];
        match last.strip_suffix("[]") {
            Some(name) => {
                write_str(out, name);
                out.push(b':');
                write_nums(out, rest.iter().copied(), dtype);
            }
            None => {
                write_str(out, last);
                out.push(b':');
                if let [v] = rest {
                    write_num(out, *v, dtype);
                } else {
                    write_nums(out, rest.iter().copied(), dtype);
                }
            }
        }
        out.push(b'}');
        Ok(())
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, batch: &Batch, out: &mut Vec<u8>) -> Result<()> {
        let mut scratch = (Vec::new(), Vec::new());
        for i in 0..batch.len() {
            if self.document {
                out.extend_from_slice(b",\n");
            }
            if self.opts.response {
                self.write_prediction(batch, i, &mut scratch.1, out)?;
            } else {
                self.write_row(batch, i, out, &mut scratch)?;
            }
            if !self.document {
                out.push(b'\n');
            }
        }
        Ok(())
    }

    fn header(&self) -> Vec<u8> {
        if !self.document {
            return Vec::new();
        }
        let mut h = b"{".to_vec();
        if let Some(c) = &self.opts.configuration {
            h.extend_from_slice(b"\"configuration\":");
            h.extend_from_slice(c.trim().as_bytes());
            h.push(b',');
        }
        h.extend_from_slice(if self.opts.response {
            b"\"predictions\":["
        } else {
            b"\"instances\":["
        });
        h
    }

    fn footer(&self) -> Vec<u8> {
        if self.document {
            b"\n]}\n".to_vec()
        } else {
            Vec::new()
        }
    }

    fn separator(&self) -> &'static [u8] {
        if self.document { b"," } else { b"" }
    }
}

/// Recognises JSON from the first bytes of an input: `[` or an object
/// whose first field is `instances`, `predictions` (and the other response
/// keys) or `configuration` is a JSON document; another object is JSON
/// Lines.
pub fn sniff(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let i = head.iter().position(|&c| !is_ws(c))?;
    match head[i] {
        b'[' => Some(Format::Json),
        b'{' => {
            let mut cur = Cur::new(head, i + 1, JSON);
            cur.ws();
            let mut key = Vec::new();
            if cur.peek() == Some(b'"') && cur.string_into(&mut key).is_ok() {
                let doc = REQUEST_KEYS.contains(&&key[..])
                    || RESPONSE_KEYS.contains(&&key[..])
                    || key == b"configuration";
                return Some(if doc { Format::Json } else { Format::Jsonl });
            }
            Some(Format::Jsonl)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Result<Batch> {
        lines_with(JsonOptions::default(), s)
    }

    fn lines_with(o: JsonOptions, s: impl AsRef<[u8]>) -> Result<Batch> {
        let mut b = Batch::default();
        LinesDecoder::new(o).decode(s.as_ref(), true, &mut b)?;
        Ok(b)
    }

    fn doc(s: &str) -> Result<Batch> {
        let mut b = Batch::default();
        let p = scan_prefix(s.as_bytes(), true)?.unwrap();
        let o = JsonOptions {
            document: Some(p.document),
            bare_array: p.bare,
            ..JsonOptions::default()
        };
        DocumentDecoder::new(o).decode(s.as_bytes(), true, &mut b)?;
        Ok(b)
    }

    fn encode(format: Format, b: &Batch, o: JsonOptions) -> String {
        o.validate().unwrap();
        let e = Encoder::new(format, o, None, None);
        let mut out = e.header();
        let mut body = Vec::new();
        e.encode(b, &mut body).unwrap();
        out.extend_from_slice(&body[e.separator().len().min(body.len())..]);
        out.extend_from_slice(&e.footer());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_predictions_that_read_back_as_the_same_rows() {
        let b = lines("{\"features\": [0.25, 0]}\n{\"features\": [0.75, 1]}\n").unwrap();
        let two = JsonOptions {
            response: true,
            prediction_fields: vec!["score".into(), "predicted_label".into()],
            ..JsonOptions::default()
        };
        let text = encode(Format::Json, &b, two.clone());
        assert_eq!(
            text,
            "{\"predictions\":[\n{\"score\":0.25,\"predicted_label\":0},\n{\"score\":0.75,\"predicted_label\":1}\n]}\n"
        );
        let back = doc(&text).unwrap();
        assert_eq!(back.row_values(1), &[0.75, 1.0]);
        assert!(back.row_labels(1).is_empty());
        // JSON Lines; the default single field takes an array when more
        // than one value is left; "name[]" always takes the rest.
        let one = JsonOptions {
            response: true,
            ..JsonOptions::default()
        };
        let text = encode(Format::Jsonl, &b, one);
        assert_eq!(text, "{\"score\":[0.25,0]}\n{\"score\":[0.75,1]}\n");
        let back = lines_with(
            JsonOptions {
                response: true,
                ..JsonOptions::default()
            },
            &text,
        )
        .unwrap();
        assert_eq!(back.row_values(0), &[0.25, 0.0]);
        let proj = JsonOptions {
            response: true,
            prediction_fields: vec!["label".into(), "projection[]".into()],
            ..JsonOptions::default()
        };
        let b1 = lines("{\"features\": [2, 3], \"label\": 1}\n").unwrap();
        assert_eq!(
            encode(Format::Jsonl, &b1, proj),
            "{\"label\":1,\"projection\":[2,3]}\n"
        );
        // Too few values for the fields: an error naming the record.
        let e = Encoder::new(Format::Jsonl, two, None, None);
        let short = lines("{\"features\": [1]}\n").unwrap();
        let err = e.encode(&short, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("2 prediction fields"), "{err}");
        assert_eq!(err.position().record, Some(0));
    }

    #[test]
    fn bad_prediction_field_lists_are_refused() {
        for (fields, want) in [
            (vec![], "must not be empty"),
            (vec!["a".to_string(), "".to_string()], "must not be empty"),
            (vec!["a".to_string(), "a[]".to_string()], "named twice"),
            (vec!["a[]".to_string(), "b".to_string()], "last"),
        ] {
            let o = JsonOptions {
                response: true,
                prediction_fields: fields,
                ..JsonOptions::default()
            };
            let e = o.validate().unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
        let o = JsonOptions {
            response: true,
            configuration: Some("{}".into()),
            ..JsonOptions::default()
        };
        assert!(o.validate().unwrap_err().to_string().contains("request"));
    }

    #[test]
    fn reads_every_instance_shape() {
        let b = lines(concat!(
            "{\"features\": [1, 2.5, -0], \"label\": 1}\n",
            "\n",
            "{\"label\": [0, 1], \"uid\": {\"x\": [\"a\", {\"b\": null}]}, \"features\": [3e0, 4E-1, null]}\r\n",
            "{\"data\": {\"features\": {\"values\": [5, 6, 7]}}}\n",
            "{\"data\": {\"features\": {\"values\": [5, 6, 7], \"shape\": [3]}, \"label\": {\"values\": [2]}}}",
        ))
        .unwrap();
        assert!(!b.sparse);
        assert_eq!(b.len(), 4);
        assert_eq!(b.lines, 5);
        assert_eq!(b.row_values(0)[..2], [1.0, 2.5]);
        assert!(b.row_values(0)[2].is_sign_negative());
        assert_eq!(b.row_labels(1), &[0.0, 1.0]);
        assert!(b.row_values(1)[2].is_nan());
        assert_eq!(b.row_labels(2), &[] as &[f64]);
        assert_eq!(b.row_labels(3), &[2.0]);
        let b = lines(concat!(
            "{\"features\": [1, 0, 2]}\n",
            "{\"features\": {\"keys\": [1, 5], \"values\": [1, 2], \"shape\": [10]}, \"label\": 0}\n",
            "{\"data\": {\"features\": {\"keys\": [0], \"values\": [3]}}}\n",
        ))
        .unwrap();
        assert!(b.sparse);
        assert_eq!(b.dense_rows, vec![true, false, false]);
        assert_eq!(b.row_indices(0), &[0, 2]);
        assert_eq!(b.row_shape(0), Some(3));
        assert_eq!(b.row_indices(1), &[1, 5]);
        assert_eq!(b.row_shape(1), Some(10));
        assert_eq!(b.row_shape(2), None);
    }

    #[test]
    fn handles_escapes_and_configurable_names() {
        let o = JsonOptions {
            features: "x\"y".into(),
            label: "é".into(),
            ..JsonOptions::default()
        };
        let b = lines_with(
            o.clone(),
            "{\"\\u00e9\": 3, \"x\\\"y\": [1], \"s\": \"\\ud83d\\ude00\\n\\/\"}\n",
        )
        .unwrap();
        assert_eq!(b.row_labels(0), &[3.0]);
        assert_eq!(b.row_values(0), &[1.0]);
        let text = encode(Format::Jsonl, &b, o);
        assert_eq!(text, "{\"x\\\"y\":[1],\"é\":3}\n");
    }

    #[test]
    fn errors_name_line_and_offset() {
        let cases: &[(&str, u64, u64, &str)] = &[
            (
                "{\"features\": [1, 2]}\n{\"features\": [1]}\n",
                1,
                21,
                "expected 2 features",
            ),
            ("{\"features\": [1, 2,]}\n", 0, 19, "expected a number"),
            ("{\"features\": [\"1\"]}\n", 0, 14, "must not be quoted"),
            ("{\"feature\": [1]}\n", 0, 0, "no \"features\" field"),
            ("{\"features\": [01]}\n", 0, 15, "invalid number \"01]}\""),
            ("{\"features\": [1]} x\n", 0, 18, "unexpected data after"),
            (
                "{\"features\": [1], \"s\": \"\\x\"}\n",
                0,
                24,
                "invalid escape",
            ),
            (
                "{\"features\": [1], \"s\": \"\\udc00\"}\n",
                0,
                24,
                "lone low surrogate",
            ),
            ("{\"features\": [1]\n", 0, 16, "unexpected end of the input"),
            (
                "{\"features\": {\"keys\": [1], \"values\": []}}\n",
                0,
                13,
                "1 keys but 0 values",
            ),
            (
                "{\"features\": {\"keys\": [-1], \"values\": [1]}}\n",
                0,
                23,
                "non-negative integer",
            ),
            (
                "{\"features\": [1], \"label\": tru}\n",
                0,
                27,
                "expected a number",
            ),
        ];
        for &(text, line, byte, msg) in cases {
            let e = lines(text).unwrap_err();
            assert_eq!(e.position().line, Some(line), "{text}: {e}");
            assert_eq!(e.position().byte, Some(byte), "{text}: {e}");
            assert!(e.to_string().contains(msg), "{text}: {e}");
        }
        let e = lines_with(
            JsonOptions::default(),
            b"{\"features\": [1], \"s\": \"a\xff\"}\n",
        )
        .unwrap_err();
        assert_eq!(e.position().byte, Some(25), "{e}");
        assert!(e.to_string().contains("not valid UTF-8"), "{e}");
        let deep = format!("{{\"features\": [1], \"x\": {}}}\n", "[".repeat(200));
        assert!(
            lines(&deep)
                .unwrap_err()
                .to_string()
                .contains("nested deeper")
        );
    }

    #[test]
    fn reads_requests_and_responses() {
        let b = doc(concat!(
            "{\"configuration\": {\"k\": [1, {\"a\": \"]\"}]}, \"instances\": [",
            "{\"features\": [1, 2]}, [3, 4], {\"data\": {\"features\": {\"values\": [5, 6]}}}",
            "], \"other\": 1}\n"
        ))
        .unwrap();
        assert_eq!(b.values, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let b = doc("{\"predictions\": [{\"score\": 0.5, \"predicted_label\": 1}, {\"score\": 0.25, \"predicted_label\": 0}]}").unwrap();
        assert_eq!(b.values, vec![0.5, 1.0, 0.25, 0.0]);
        assert_eq!(b.labels, Vec::<f64>::new());
        let b = doc("{\"projections\": [{\"projection\": [1, 2]}]}").unwrap();
        assert_eq!(b.values, vec![1.0, 2.0]);
        assert_eq!(doc("{\"instances\": []}").unwrap().len(), 0);
        let e = doc("{\"predictions\": [{\"label\": \"cat\"}]}").unwrap_err();
        assert!(e.to_string().contains("\"label\" holds a string"), "{e}");
        for (bad, msg) in [
            ("{\"instances\": [[1],]}", "trailing comma"),
            ("{\"instances\": [[1]] x", "expected ',' or '}'"),
            ("{\"instances\": [[1]]} x", "after the end of the document"),
            ("{\"instances\": {}}", "an array as the value"),
            ("{\"other\": 1}", "no \"instances\""),
            ("[[1] [2]]", "',' or ']' after an element"),
        ] {
            let e = doc(bad).unwrap_err();
            assert!(e.to_string().contains(msg), "{bad}: {e}");
        }
    }

    #[test]
    fn the_framer_cuts_only_between_elements() {
        let text = b"{\"instances\": [{\"features\": [1, 2], \"s\": \"a,]}\\\"\"}, [3, 4] , [5, 6]], \"c\": [1, 2]}";
        let f = DocumentFramer;
        // Whole document at EOF.
        assert_eq!(f.boundary_at(text, true, 0).unwrap(), text.len());
        // Not at EOF: the last cut is after the comma before "[5, 6]".
        let cut = f.boundary_at(text, false, 0).unwrap();
        assert_eq!(text[cut - 1], b',');
        assert_eq!(&text[cut..cut + 7], b" [5, 6]");
        // An unclosed array at EOF is an error.
        let e = f.boundary_at(&text[..40], true, 0).unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
        // A prefix cut short asks for more.
        assert_eq!(f.boundary_at(b"{\"inst", false, 0).unwrap(), 0);
    }

    #[test]
    fn writes_lines_and_documents() {
        let b = lines(concat!(
            "{\"features\": [1, 0.1, null], \"label\": 1}\n",
            "{\"features\": [1e999, -0, 2], \"label\": [1, 2]}\n",
        ))
        .unwrap();
        let t = encode(Format::Jsonl, &b, JsonOptions::default());
        assert_eq!(
            t,
            "{\"features\":[1,0.1,null],\"label\":1}\n{\"features\":[1e999,-0,2],\"label\":[1,2]}\n"
        );
        assert_eq!(lines(&t).unwrap().values.len(), 6);
        let t = encode(
            Format::Json,
            &b,
            JsonOptions {
                shape: JsonShape::Data,
                configuration: Some("{\"k\": 2}".into()),
                ..JsonOptions::default()
            },
        );
        assert_eq!(
            t,
            "{\"configuration\":{\"k\": 2},\"instances\":[\n{\"data\":{\"features\":{\"values\":[1,0.1,null]},\"label\":{\"values\":[1]}}},\n{\"data\":{\"features\":{\"values\":[1e999,-0,2]},\"label\":{\"values\":[1,2]}}}\n]}\n"
        );
        let back = doc(&t).unwrap();
        assert_eq!(back.labels, vec![1.0, 1.0, 2.0]);
        assert_eq!(
            encode(Format::Json, &Batch::default(), JsonOptions::default()),
            "{\"instances\":[\n]}\n"
        );
        assert!(
            JsonOptions {
                configuration: Some("[1]".into()),
                ..JsonOptions::default()
            }
            .validate()
            .is_err()
        );
    }
}
