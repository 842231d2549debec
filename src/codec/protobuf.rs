//! SageMaker's RecordIO-protobuf payload: the `aialgs.data.Record` message
//! (`application/x-recordio-protobuf`, spec §2).
//!
//! ```text
//! Float32Tensor { repeated float  values = 1 [packed]; repeated uint64 keys = 2 [packed]; repeated uint64 shape = 3 [packed]; }
//! Float64Tensor { repeated double values = 1 [packed]; ... }
//! Int32Tensor   { repeated int32  values = 1 [packed]; ... }
//! Bytes         { repeated bytes value = 1; optional string content_type = 2; }
//! Value         { oneof value { Float32Tensor float32_tensor = 2; Float64Tensor float64_tensor = 3;
//!                               Int32Tensor int32_tensor = 7; Bytes bytes = 9; } }
//! Record        { map<string,Value> features = 1; map<string,Value> label = 2;
//!                 optional string uid = 3; optional string metadata = 4; optional string configuration = 5; }
//! ```
//!
//! **Encoding** produces exactly the bytes of the SageMaker Python SDK 2.x
//! (`write_numpy_to_dense_tensor`, `write_spmatrix_to_sparse_tensor`):
//! fields in field-number order, repeated scalars packed, empty repeated
//! fields omitted, map entries as key then value, maps in insertion order.
//!
//! **Decoding** accepts any valid proto2 encoding: packed or unpacked
//! repeated fields, unknown fields (skipped), map entries with the value
//! before the key or a field missing, a message field that occurs several
//! times (merged), a `oneof` member replaced by a later one, and a map key
//! that occurs twice (the last entry wins). Strings must be UTF-8.
//!
//! Two APIs: [`Record`] is the whole message, owned; [`Decoder`] and
//! [`Encoder`] convert between payloads and the columnar [`Batch`] of the
//! conversion pipeline, using the conventional `"values"` keys.

use crate::batch::{Batch, Dtype, UNKNOWN_SHAPE};
use crate::codec::recordio;
use crate::codec::{BatchEncoder, ChunkDecoder};
use crate::error::{Error, Result};
use std::ops::Range;

const FORMAT: &str = "recordio-protobuf";

/// The conventional map key of features and labels.
pub const VALUES_KEY: &str = "values";

// ---------------------------------------------------------------------------
// Owned message model

/// A tensor: values with optional sparse keys and shape.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tensor<T> {
    /// The stored values.
    pub values: Vec<T>,
    /// For sparse tensors, the row-major flat index of each value.
    pub keys: Vec<u64>,
    /// The dense shape; required when `keys` is not empty.
    pub shape: Vec<u64>,
}

/// The `Bytes` value: opaque byte strings with an optional content type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BytesValue {
    /// The byte strings.
    pub value: Vec<Vec<u8>>,
    /// Their content type, if given.
    pub content_type: Option<String>,
}

/// The `Value` message: one of three tensor types or bytes.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No member of the `oneof` was set.
    #[default]
    Empty,
    /// `Float32Tensor`.
    Float32(Tensor<f32>),
    /// `Float64Tensor`.
    Float64(Tensor<f64>),
    /// `Int32Tensor`.
    Int32(Tensor<i32>),
    /// `Bytes`.
    Bytes(BytesValue),
}

/// The `aialgs.data.Record` message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// The `features` map, in the order keys first appeared.
    pub features: Vec<(String, Value)>,
    /// The `label` map, in the order keys first appeared.
    pub label: Vec<(String, Value)>,
    /// Optional unique id.
    pub uid: Option<String>,
    /// Optional metadata string.
    pub metadata: Option<String>,
    /// Optional configuration string (JSON by convention).
    pub configuration: Option<String>,
}

impl Record {
    /// Decodes a payload. Error offsets are relative to `payload`.
    pub fn decode(payload: &[u8]) -> Result<Record> {
        let mut scan = RecordScan::default();
        scan.scan(payload)?;
        let mut rec = Record {
            uid: scan.string(payload, &scan.uid),
            metadata: scan.string(payload, &scan.metadata),
            configuration: scan.string(payload, &scan.configuration),
            ..Record::default()
        };
        for (map, entries) in [
            (&mut rec.features, &scan.features),
            (&mut rec.label, &scan.label),
        ] {
            for entry in entries {
                let value = decode_value_owned(payload, &scan.values[entry.values.clone()])?;
                map.push((scan.key(payload, entry).to_owned(), value));
            }
        }
        Ok(rec)
    }

    /// Appends the encoding of the record to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        for (tag, map) in [(0x0a, &self.features), (0x12, &self.label)] {
            for (key, value) in map {
                let vlen = value_len(value);
                let entry_len = 1
                    + varint_len(key.len() as u64)
                    + key.len()
                    + 1
                    + varint_len(vlen as u64)
                    + vlen;
                out.push(tag);
                put_varint(out, entry_len as u64);
                put_bytes_field(out, 0x0a, key.as_bytes());
                out.push(0x12);
                put_varint(out, vlen as u64);
                encode_value(out, value)?;
            }
        }
        for (tag, s) in [
            (0x1a, &self.uid),
            (0x22, &self.metadata),
            (0x2a, &self.configuration),
        ] {
            if let Some(s) = s {
                put_bytes_field(out, tag, s.as_bytes());
            }
        }
        Ok(())
    }

    /// The value under `key` in the features map.
    pub fn feature(&self, key: &str) -> Option<&Value> {
        self.features.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value under `key` in the label map.
    pub fn label(&self, key: &str) -> Option<&Value> {
        self.label.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

// ---------------------------------------------------------------------------
// Wire primitives

#[inline]
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[inline]
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes_field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn err(msg: impl Into<String>, at: usize) -> Error {
    Error::syntax(FORMAT, msg).at_byte(at as u64)
}

/// Reads a varint: one-byte varints (tags, short lengths) inline, longer
/// ones out of line.
#[inline(always)]
fn get_varint(buf: &[u8], pos: &mut usize) -> Result<u64> {
    if let Some(&b) = buf.get(*pos)
        && b < 0x80
    {
        *pos += 1;
        return Ok(b as u64);
    }
    get_varint_long(buf, pos)
}

#[inline(never)]
fn get_varint_long(buf: &[u8], pos: &mut usize) -> Result<u64> {
    let start = *pos;
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let Some(&b) = buf.get(*pos) else {
            return Err(err("truncated varint", start));
        };
        *pos += 1;
        if shift == 63 && b > 1 {
            return Err(err("varint longer than 64 bits", start));
        }
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(err("varint longer than 10 bytes", start))
}

/// Reads a length-delimited field body; returns its range in `buf`.
#[inline]
fn get_len(buf: &[u8], pos: &mut usize) -> Result<Range<usize>> {
    let at = *pos;
    let len = get_varint(buf, pos)?;
    let start = *pos;
    if len > (buf.len() - start) as u64 {
        return Err(err(
            format!(
                "length {len} runs past the end of the message ({} bytes left)",
                buf.len() - start
            ),
            at,
        ));
    }
    *pos = start + len as usize;
    Ok(start..*pos)
}

const WIRE_VARINT: u8 = 0;
const WIRE_I64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_SGROUP: u8 = 3;
const WIRE_EGROUP: u8 = 4;
const WIRE_I32: u8 = 5;

#[inline]
fn get_tag(buf: &[u8], pos: &mut usize) -> Result<(u64, u8)> {
    let at = *pos;
    let key = get_varint(buf, pos)?;
    let field = key >> 3;
    let wire = (key & 7) as u8;
    if field == 0 || field > u32::MAX as u64 >> 3 {
        return Err(err(format!("invalid field number {field}"), at));
    }
    Ok((field, wire))
}

fn skip_field(buf: &[u8], pos: &mut usize, field: u64, wire: u8, depth: u32) -> Result<()> {
    let at = *pos;
    match wire {
        WIRE_VARINT => {
            get_varint(buf, pos)?;
        }
        WIRE_I64 | WIRE_I32 => {
            let n = if wire == WIRE_I64 { 8 } else { 4 };
            if buf.len() - *pos < n {
                return Err(err("truncated fixed-width field", at));
            }
            *pos += n;
        }
        WIRE_LEN => {
            get_len(buf, pos)?;
        }
        WIRE_SGROUP => {
            if depth > 64 {
                return Err(err("groups nested too deeply", at));
            }
            loop {
                if *pos >= buf.len() {
                    return Err(err("unterminated group", at));
                }
                let (f, w) = get_tag(buf, pos)?;
                if w == WIRE_EGROUP {
                    if f != field {
                        return Err(err("mismatched end of group", at));
                    }
                    break;
                }
                skip_field(buf, pos, f, w, depth + 1)?;
            }
        }
        _ => {
            return Err(err(
                format!("invalid wire type {wire} for field {field}"),
                at,
            ));
        }
    }
    Ok(())
}

fn wire_mismatch(what: &str, wire: u8, at: usize) -> Error {
    err(format!("wrong wire type {wire} for {what}"), at)
}

fn utf8<'a>(buf: &'a [u8], range: Range<usize>, what: &str) -> Result<&'a str> {
    let bytes = &buf[range.clone()];
    // Keys and names are short ASCII: a byte loop the compiler inlines
    // beats `from_utf8`'s call and set-up.
    if bytes.len() <= 16 && bytes.iter().all(|&b| b < 0x80) {
        // SAFETY: ASCII bytes are valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|e| {
        err(
            format!("{what} is not valid UTF-8: {e}"),
            range.start + e.valid_up_to(),
        )
    })
}

// ---------------------------------------------------------------------------
// Scanning: find the map entries and strings of a Record without decoding
// the tensors, so that tensors can then be decoded straight into their
// destination (a Batch or an owned Tensor).

#[derive(Debug, Clone)]
struct Entry {
    /// Range of the key bytes (validated UTF-8).
    key: Range<usize>,
    /// Indices into [`RecordScan::values`] of the Value message occurrences
    /// (merged in order).
    values: Range<usize>,
}

/// The top-level structure of a Record: map entries and strings as ranges
/// of the payload. Reused record after record without allocating.
#[derive(Debug, Default)]
struct RecordScan {
    features: Vec<Entry>,
    label: Vec<Entry>,
    values: Vec<Range<usize>>,
    uid: Option<Range<usize>>,
    metadata: Option<Range<usize>>,
    configuration: Option<Range<usize>>,
}

impl RecordScan {
    fn clear(&mut self) {
        self.features.clear();
        self.label.clear();
        self.values.clear();
        self.uid = None;
        self.metadata = None;
        self.configuration = None;
    }

    fn scan(&mut self, buf: &[u8]) -> Result<()> {
        self.clear();
        let mut pos = 0;
        while pos < buf.len() {
            let at = pos;
            let (field, wire) = get_tag(buf, &mut pos)?;
            match field {
                1 | 2 => {
                    if wire != WIRE_LEN {
                        return Err(wire_mismatch("a map entry", wire, at));
                    }
                    let range = get_len(buf, &mut pos)?;
                    let entry = self.scan_entry(buf, range)?;
                    let map = if field == 1 {
                        &mut self.features
                    } else {
                        &mut self.label
                    };
                    // proto map semantics: a later entry with the same key wins.
                    match map
                        .iter_mut()
                        .find(|e| buf[e.key.clone()] == buf[entry.key.clone()])
                    {
                        Some(slot) => *slot = entry,
                        None => map.push(entry),
                    }
                }
                3..=5 => {
                    if wire != WIRE_LEN {
                        return Err(wire_mismatch("a string field", wire, at));
                    }
                    let range = get_len(buf, &mut pos)?;
                    utf8(buf, range.clone(), "a string field")?;
                    match field {
                        3 => self.uid = Some(range),
                        4 => self.metadata = Some(range),
                        _ => self.configuration = Some(range),
                    }
                }
                _ => skip_field(buf, &mut pos, field, wire, 0)?,
            }
        }
        Ok(())
    }

    fn scan_entry(&mut self, buf: &[u8], range: Range<usize>) -> Result<Entry> {
        let first = self.values.len();
        let mut key = 0..0;
        let mut pos = range.start;
        let end = range.end;
        let body = &buf[..end];
        while pos < end {
            let at = pos;
            let (field, wire) = get_tag(body, &mut pos)?;
            match field {
                1 => {
                    if wire != WIRE_LEN {
                        return Err(wire_mismatch("a map key", wire, at));
                    }
                    let r = get_len(body, &mut pos)?;
                    utf8(buf, r.clone(), "a map key")?;
                    key = r;
                }
                2 => {
                    if wire != WIRE_LEN {
                        return Err(wire_mismatch("a map value", wire, at));
                    }
                    let r = get_len(body, &mut pos)?;
                    self.values.push(r);
                }
                _ => skip_field(body, &mut pos, field, wire, 0)?,
            }
        }
        Ok(Entry {
            key,
            values: first..self.values.len(),
        })
    }

    fn key<'a>(&self, buf: &'a [u8], e: &Entry) -> &'a str {
        utf8(buf, e.key.clone(), "a map key").expect("validated while scanning")
    }

    fn string(&self, buf: &[u8], r: &Option<Range<usize>>) -> Option<String> {
        r.as_ref()
            .map(|r| String::from_utf8_lossy(&buf[r.clone()]).into_owned())
    }
}

/// Which member of `Value` a field number selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    F32,
    F64,
    I32,
    Bytes,
}

/// Finds the effective `oneof` member of a Value given as several merged
/// occurrences, and the ranges of that member's message occurrences (a
/// later different member clears the earlier ones).
fn scan_value(
    buf: &[u8],
    occurrences: &[Range<usize>],
    members: &mut Vec<Range<usize>>,
) -> Result<Option<Kind>> {
    members.clear();
    let mut kind = None;
    for occ in occurrences {
        let body = &buf[..occ.end];
        let mut pos = occ.start;
        while pos < occ.end {
            let at = pos;
            let (field, wire) = get_tag(body, &mut pos)?;
            let k = match field {
                2 => Kind::F32,
                3 => Kind::F64,
                7 => Kind::I32,
                9 => Kind::Bytes,
                _ => {
                    skip_field(body, &mut pos, field, wire, 0)?;
                    continue;
                }
            };
            if wire != WIRE_LEN {
                return Err(wire_mismatch("a Value member", wire, at));
            }
            let r = get_len(body, &mut pos)?;
            if kind != Some(k) {
                members.clear();
                kind = Some(k);
            }
            members.push(r);
        }
    }
    Ok(kind)
}

/// Receives the fields of a tensor as they are decoded, in wire order.
pub(crate) trait TensorSink {
    /// Room for `n` more values.
    fn reserve(&mut self, _n: usize) {}
    /// A Float64 value, or an Int32 value (`varint as i32 as f64`).
    fn value(&mut self, v: f64);
    /// A Float32 value; sinks that store `f32` keep its exact bits.
    fn value_f32(&mut self, v: f32) {
        self.value(v as f64);
    }
    /// Packed Float32 values: `bytes` holds little-endian floats (its
    /// length is a multiple of 4).
    fn values_f32(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len() / 4);
        for c in bytes.chunks_exact(4) {
            self.value_f32(f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        }
    }
    /// Packed Float64 values: `bytes` holds little-endian doubles (its
    /// length is a multiple of 8).
    fn values_f64(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len() / 8);
        for c in bytes.chunks_exact(8) {
            self.value(f64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
    }
    /// A sparse key.
    fn key(&mut self, k: u64);
    /// A dimension of the shape.
    fn shape(&mut self, s: u64);
}

/// A sink that keeps nothing: decoding into it only checks the tensor.
pub(crate) struct Discard;

impl TensorSink for Discard {
    #[inline]
    fn value(&mut self, _: f64) {}
    #[inline]
    fn value_f32(&mut self, _: f32) {}
    #[inline]
    fn values_f32(&mut self, _: &[u8]) {}
    #[inline]
    fn values_f64(&mut self, _: &[u8]) {}
    #[inline]
    fn key(&mut self, _: u64) {}
    #[inline]
    fn shape(&mut self, _: u64) {}
}

impl<T: FromF64> TensorSink for Tensor<T> {
    #[inline]
    fn value(&mut self, v: f64) {
        self.values.push(T::from_f64(v));
    }
    #[inline]
    fn value_f32(&mut self, v: f32) {
        self.values.push(T::from_f32(v));
    }
    #[inline]
    fn key(&mut self, k: u64) {
        self.keys.push(k);
    }
    #[inline]
    fn shape(&mut self, s: u64) {
        self.shape.push(s);
    }
}

trait FromF64 {
    fn from_f64(v: f64) -> Self;
    fn from_f32(v: f32) -> Self
    where
        Self: Sized,
    {
        Self::from_f64(v as f64)
    }
}
impl FromF64 for f32 {
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn from_f32(v: f32) -> f32 {
        v
    }
}
impl FromF64 for f64 {
    fn from_f64(v: f64) -> f64 {
        v
    }
}
impl FromF64 for i32 {
    fn from_f64(v: f64) -> i32 {
        v as i32
    }
}

/// Decodes the tensor message occurrences in `ranges` into `sink`.
fn decode_tensor(
    buf: &[u8],
    ranges: &[Range<usize>],
    kind: Kind,
    sink: &mut impl TensorSink,
) -> Result<()> {
    for r in ranges {
        let body = &buf[..r.end];
        let mut pos = r.start;
        while pos < r.end {
            let at = pos;
            let (field, wire) = get_tag(body, &mut pos)?;
            match (field, wire) {
                (1, WIRE_LEN) => {
                    let vr = get_len(body, &mut pos)?;
                    let bytes = &buf[vr.clone()];
                    match kind {
                        Kind::F32 => {
                            if !bytes.len().is_multiple_of(4) {
                                return Err(err(
                                    "packed float values are not a multiple of 4 bytes",
                                    vr.start,
                                ));
                            }
                            sink.values_f32(bytes);
                        }
                        Kind::F64 => {
                            if !bytes.len().is_multiple_of(8) {
                                return Err(err(
                                    "packed double values are not a multiple of 8 bytes",
                                    vr.start,
                                ));
                            }
                            sink.values_f64(bytes);
                        }
                        Kind::I32 => {
                            let mut p = vr.start;
                            while p < vr.end {
                                sink.value(get_varint(&buf[..vr.end], &mut p)? as i32 as f64);
                            }
                        }
                        Kind::Bytes => unreachable!("bytes are not tensors"),
                    }
                }
                (1, WIRE_I32) if kind == Kind::F32 => {
                    let b = body
                        .get(pos..pos + 4)
                        .ok_or_else(|| err("truncated float", at))?;
                    sink.value_f32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                    pos += 4;
                }
                (1, WIRE_I64) if kind == Kind::F64 => {
                    let b = body
                        .get(pos..pos + 8)
                        .ok_or_else(|| err("truncated double", at))?;
                    sink.value(f64::from_le_bytes(b.try_into().expect("8 bytes")));
                    pos += 8;
                }
                (1, WIRE_VARINT) if kind == Kind::I32 => {
                    sink.value(get_varint(body, &mut pos)? as i32 as f64);
                }
                (2 | 3, WIRE_LEN) => {
                    let vr = get_len(body, &mut pos)?;
                    let mut p = vr.start;
                    while p < vr.end {
                        let v = get_varint(&buf[..vr.end], &mut p)?;
                        if field == 2 {
                            sink.key(v)
                        } else {
                            sink.shape(v)
                        }
                    }
                }
                (2 | 3, WIRE_VARINT) => {
                    let v = get_varint(body, &mut pos)?;
                    if field == 2 {
                        sink.key(v)
                    } else {
                        sink.shape(v)
                    }
                }
                (1..=3, _) => return Err(wire_mismatch("a tensor field", wire, at)),
                _ => skip_field(body, &mut pos, field, wire, 0)?,
            }
        }
    }
    Ok(())
}

fn decode_bytes_value(buf: &[u8], ranges: &[Range<usize>]) -> Result<BytesValue> {
    let mut out = BytesValue::default();
    walk_bytes_value(buf, ranges, Some(&mut out))?;
    Ok(out)
}

/// Checks the `Bytes` message occurrences in `ranges`, storing them in
/// `out` when given (the one walk behind decoding and checking).
fn walk_bytes_value(
    buf: &[u8],
    ranges: &[Range<usize>],
    mut out: Option<&mut BytesValue>,
) -> Result<()> {
    for r in ranges {
        let body = &buf[..r.end];
        let mut pos = r.start;
        while pos < r.end {
            let at = pos;
            let (field, wire) = get_tag(body, &mut pos)?;
            match (field, wire) {
                (1, WIRE_LEN) => {
                    let vr = get_len(body, &mut pos)?;
                    if let Some(out) = out.as_deref_mut() {
                        out.value.push(buf[vr].to_vec());
                    }
                }
                (2, WIRE_LEN) => {
                    let vr = get_len(body, &mut pos)?;
                    let ct = utf8(buf, vr, "a content type")?;
                    if let Some(out) = out.as_deref_mut() {
                        out.content_type = Some(ct.to_owned());
                    }
                }
                (1 | 2, _) => return Err(wire_mismatch("a Bytes field", wire, at)),
                _ => skip_field(body, &mut pos, field, wire, 0)?,
            }
        }
    }
    Ok(())
}

fn decode_value_owned(buf: &[u8], occurrences: &[Range<usize>]) -> Result<Value> {
    let mut members = Vec::new();
    Ok(match scan_value(buf, occurrences, &mut members)? {
        None => Value::Empty,
        Some(Kind::F32) => {
            let mut t = Tensor::default();
            decode_tensor(buf, &members, Kind::F32, &mut t)?;
            Value::Float32(t)
        }
        Some(Kind::F64) => {
            let mut t = Tensor::default();
            decode_tensor(buf, &members, Kind::F64, &mut t)?;
            Value::Float64(t)
        }
        Some(Kind::I32) => {
            let mut t = Tensor::default();
            decode_tensor(buf, &members, Kind::I32, &mut t)?;
            Value::Int32(t)
        }
        Some(Kind::Bytes) => Value::Bytes(decode_bytes_value(buf, &members)?),
    })
}

// ---------------------------------------------------------------------------
// Walking a Record without building it

/// What a map entry's `Value` holds, as [`RecordWalker::value`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// No member of the `oneof` was set ([`Value::Empty`]).
    Empty,
    /// A tensor of this type.
    Tensor(Dtype),
    /// [`Value::Bytes`].
    Bytes,
}

/// Which map of a Record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Map {
    /// `features`.
    Features,
    /// `label`.
    Label,
}

/// Reads a Record payload the way [`Record::decode`] does, with the same
/// wire rules and errors, but without building it: the map entries are
/// found as ranges of the payload and each value is decoded into a caller's
/// [`TensorSink`]. Reused record after record, it does not allocate once
/// its buffers have grown.
///
/// The contract, which validation relies on: `Record::decode(p)` succeeds
/// exactly when [`scan`](Self::scan)`(p)` and then
/// [`value`](Self::value) for every entry of both maps succeed; entries are
/// in the order (and with the duplicate-key rule) of [`Record::features`]
/// and [`Record::label`].
#[derive(Debug, Default)]
pub(crate) struct RecordWalker {
    scan: RecordScan,
    members: Vec<Range<usize>>,
}

impl RecordWalker {
    /// Scans the message's structure: map entries, keys and strings.
    #[inline]
    pub(crate) fn scan(&mut self, payload: &[u8]) -> Result<()> {
        self.scan.scan(payload)
    }

    fn entries(&self, map: Map) -> &[Entry] {
        match map {
            Map::Features => &self.scan.features,
            Map::Label => &self.scan.label,
        }
    }

    /// Number of entries of `map` in the last scanned payload.
    #[inline]
    pub(crate) fn len(&self, map: Map) -> usize {
        self.entries(map).len()
    }

    /// The key of entry `i` of `map` (valid UTF-8).
    #[inline]
    pub(crate) fn key<'p>(&self, payload: &'p [u8], map: Map, i: usize) -> &'p [u8] {
        &payload[self.entries(map)[i].key.clone()]
    }

    /// Decodes the value of entry `i` of `map` into `sink` when it is a
    /// tensor (checks it when it is `Bytes`) and says what it holds.
    pub(crate) fn value(
        &mut self,
        payload: &[u8],
        map: Map,
        i: usize,
        sink: &mut impl TensorSink,
    ) -> Result<ValueKind> {
        let entry = match map {
            Map::Features => &self.scan.features[i],
            Map::Label => &self.scan.label[i],
        };
        let occurrences = &self.scan.values[entry.values.clone()];
        Ok(match scan_value(payload, occurrences, &mut self.members)? {
            None => ValueKind::Empty,
            Some(Kind::Bytes) => {
                walk_bytes_value(payload, &self.members, None)?;
                ValueKind::Bytes
            }
            Some(kind) => {
                decode_tensor(payload, &self.members, kind, sink)?;
                ValueKind::Tensor(dtype_of(kind))
            }
        })
    }
}

// ---------------------------------------------------------------------------
// Encoding

/// A tensor to encode, borrowing its data. Values are given as `f64` and
/// narrowed to `dtype` (which must represent them: integral and in range
/// for `Int32`).
#[derive(Debug, Clone, Copy)]
pub struct TensorRef<'a> {
    /// Tensor type to write.
    pub dtype: Dtype,
    /// Values.
    pub values: &'a [f64],
    /// Sparse keys (empty for dense).
    pub keys: &'a [u64],
    /// Shape (empty for dense).
    pub shape: &'a [u64],
}

fn int32_of(v: f64) -> Result<i32> {
    if v.fract() == 0.0 && (i32::MIN as f64..=i32::MAX as f64).contains(&v) {
        Ok(v as i32)
    } else {
        Err(Error::unsupported(format!(
            "value {v} cannot be stored in an Int32Tensor (it must be an integer between -2^31 and 2^31-1)"
        )))
    }
}

fn packed_varints_len(vals: &[u64]) -> usize {
    vals.iter().map(|&v| varint_len(v)).sum()
}

/// Length of a tensor message body: `vl` bytes of packed values, then the
/// packed keys and shape (each field omitted when empty, as protobuf does).
fn tensor_body_len(vl: usize, keys: &[u64], shape: &[u64]) -> usize {
    let mut n = 0;
    if vl > 0 {
        n += 1 + varint_len(vl as u64) + vl;
    }
    for field in [keys, shape] {
        if !field.is_empty() {
            let l = packed_varints_len(field);
            n += 1 + varint_len(l as u64) + l;
        }
    }
    n
}

/// Writes a `Value` member holding a tensor: `tag`, the body length, the
/// `vl` bytes of packed values written by `values`, then keys and shape.
/// The one tensor writer behind both the batch and the `Record` encoders.
fn put_tensor(
    out: &mut Vec<u8>,
    tag: u8,
    vl: usize,
    keys: &[u64],
    shape: &[u64],
    values: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    out.push(tag);
    put_varint(out, tensor_body_len(vl, keys, shape) as u64);
    if vl > 0 {
        out.push(0x0a);
        put_varint(out, vl as u64);
        values(out)?;
    }
    for (tag, field) in [(0x12, keys), (0x1a, shape)] {
        if !field.is_empty() {
            out.push(tag);
            put_varint(out, packed_varints_len(field) as u64);
            for &k in field {
                put_varint(out, k);
            }
        }
    }
    Ok(())
}

/// The `Value` field tag of each tensor type.
fn tensor_tag(dtype: Dtype) -> u8 {
    match dtype {
        Dtype::Float32 => 0x12,
        Dtype::Float64 => 0x1a,
        Dtype::Int32 => 0x3a,
    }
}

impl TensorRef<'_> {
    fn values_len(&self) -> Result<usize> {
        Ok(match self.dtype {
            Dtype::Float32 => 4 * self.values.len(),
            Dtype::Float64 => 8 * self.values.len(),
            Dtype::Int32 => {
                let mut n = 0;
                for &v in self.values {
                    n += varint_len(int32_of(v)? as i64 as u64);
                }
                n
            }
        })
    }

    /// Length of the `Value` message holding this tensor.
    fn value_len(&self) -> Result<usize> {
        let b = tensor_body_len(self.values_len()?, self.keys, self.shape);
        Ok(1 + varint_len(b as u64) + b)
    }

    fn encode_value(&self, out: &mut Vec<u8>) -> Result<()> {
        let vl = self.values_len()?;
        put_tensor(
            out,
            tensor_tag(self.dtype),
            vl,
            self.keys,
            self.shape,
            |out| {
                match self.dtype {
                    Dtype::Float32 => {
                        let start = out.len();
                        out.resize(start + vl, 0);
                        for (dst, &v) in out[start..].chunks_exact_mut(4).zip(self.values) {
                            dst.copy_from_slice(&(v as f32).to_le_bytes());
                        }
                    }
                    Dtype::Float64 => {
                        let start = out.len();
                        out.resize(start + vl, 0);
                        for (dst, &v) in out[start..].chunks_exact_mut(8).zip(self.values) {
                            dst.copy_from_slice(&v.to_le_bytes());
                        }
                    }
                    Dtype::Int32 => {
                        for &v in self.values {
                            put_varint(out, int32_of(v)? as i64 as u64);
                        }
                    }
                }
                Ok(())
            },
        )
    }
}

/// Bytes of packed values of an owned tensor.
fn owned_values_len(value: &Value) -> usize {
    match value {
        Value::Float32(t) => 4 * t.values.len(),
        Value::Float64(t) => 8 * t.values.len(),
        Value::Int32(t) => t.values.iter().map(|&v| varint_len(v as i64 as u64)).sum(),
        Value::Empty | Value::Bytes(_) => 0,
    }
}

/// Length of the body of an owned `Bytes` message.
fn bytes_body_len(b: &BytesValue) -> usize {
    b.value
        .iter()
        .map(|v| 1 + varint_len(v.len() as u64) + v.len())
        .sum::<usize>()
        + b.content_type
            .as_ref()
            .map_or(0, |c| 1 + varint_len(c.len() as u64) + c.len())
}

/// Length of an owned `Value` message body.
fn value_len(value: &Value) -> usize {
    let vl = owned_values_len(value);
    let body = match value {
        Value::Empty => return 0,
        Value::Float32(t) => tensor_body_len(vl, &t.keys, &t.shape),
        Value::Float64(t) => tensor_body_len(vl, &t.keys, &t.shape),
        Value::Int32(t) => tensor_body_len(vl, &t.keys, &t.shape),
        Value::Bytes(b) => bytes_body_len(b),
    };
    1 + varint_len(body as u64) + body
}

/// Writes an owned `Value` from its typed values, so that every bit (a
/// signaling NaN's payload too) is written back as it was read.
fn encode_value(out: &mut Vec<u8>, value: &Value) -> Result<()> {
    let vl = owned_values_len(value);
    match value {
        Value::Empty => Ok(()),
        Value::Float32(t) => put_tensor(out, 0x12, vl, &t.keys, &t.shape, |o| {
            t.values
                .iter()
                .for_each(|v| o.extend_from_slice(&v.to_bits().to_le_bytes()));
            Ok(())
        }),
        Value::Float64(t) => put_tensor(out, 0x1a, vl, &t.keys, &t.shape, |o| {
            t.values
                .iter()
                .for_each(|v| o.extend_from_slice(&v.to_bits().to_le_bytes()));
            Ok(())
        }),
        Value::Int32(t) => put_tensor(out, 0x3a, vl, &t.keys, &t.shape, |o| {
            t.values
                .iter()
                .for_each(|&v| put_varint(o, v as i64 as u64));
            Ok(())
        }),
        Value::Bytes(b) => {
            out.push(0x4a);
            put_varint(out, bytes_body_len(b) as u64);
            for v in &b.value {
                put_bytes_field(out, 0x0a, v);
            }
            if let Some(c) = &b.content_type {
                put_bytes_field(out, 0x12, c.as_bytes());
            }
            Ok(())
        }
    }
}

/// Appends a Record payload with `features["values"] = features` and, when
/// given, `label["values"] = label`: what the SDK writes for one row.
pub fn encode_example(
    out: &mut Vec<u8>,
    features: TensorRef<'_>,
    label: Option<TensorRef<'_>>,
) -> Result<()> {
    const KEY: &[u8] = VALUES_KEY.as_bytes();
    let entry = |out: &mut Vec<u8>, tag: u8, t: TensorRef<'_>| -> Result<()> {
        let vlen = t.value_len()?;
        let entry_len = 2 + KEY.len() + 1 + varint_len(vlen as u64) + vlen;
        out.push(tag);
        put_varint(out, entry_len as u64);
        put_bytes_field(out, 0x0a, KEY);
        out.push(0x12);
        put_varint(out, vlen as u64);
        t.encode_value(out)
    };
    entry(out, 0x0a, features)?;
    if let Some(l) = label {
        entry(out, 0x12, l)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Batch codecs

/// Sink that appends a tensor's values and keys to a [`Batch`] row.
struct BatchFeatures<'b> {
    batch: &'b mut Batch,
    shape: u64,
    dims: usize,
}

impl TensorSink for BatchFeatures<'_> {
    fn reserve(&mut self, n: usize) {
        self.batch.values.reserve(n);
    }
    #[inline]
    fn value(&mut self, v: f64) {
        self.batch.values.push(v);
    }
    #[inline]
    fn values_f32(&mut self, bytes: &[u8]) {
        // One exact-size extend, which the compiler vectorizes, instead
        // of a capacity check per value.
        let (words, _) = bytes.as_chunks::<4>();
        self.batch
            .values
            .extend(words.iter().map(|&w| f32::from_le_bytes(w) as f64));
    }
    #[inline]
    fn key(&mut self, k: u64) {
        self.batch.indices.push(k);
    }
    #[inline]
    fn shape(&mut self, s: u64) {
        self.shape = if self.dims == 0 {
            s
        } else {
            self.shape.saturating_mul(s)
        };
        self.dims += 1;
    }
}

struct BatchLabels<'b>(&'b mut Batch);

impl TensorSink for BatchLabels<'_> {
    fn value(&mut self, v: f64) {
        self.0.labels.push(v);
    }
    fn key(&mut self, _: u64) {}
    fn shape(&mut self, _: u64) {}
}

fn dtype_of(kind: Kind) -> Dtype {
    match kind {
        Kind::F32 => Dtype::Float32,
        Kind::F64 => Dtype::Float64,
        Kind::I32 => Dtype::Int32,
        Kind::Bytes => unreachable!(),
    }
}

/// Decodes RecordIO-framed Record payloads into batches, reading
/// `features["values"]` and `label["values"]`.
///
/// Records whose features hold other keys (seq2seq's `source`/`target`),
/// `Bytes` values, or labels that are not a single `"values"` tensor cannot
/// be represented as one example row and are reported as unsupported.
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    framing: recordio::Decoder,
}

impl Decoder {
    /// A decoder over the given RecordIO framing.
    pub fn new(framing: recordio::Decoder) -> Decoder {
        Decoder { framing }
    }

    /// Appends one Record payload as a row of `out`. Use one `Scratch` per
    /// batch: it remembers whether the batch's dtypes were set.
    pub fn decode_payload(payload: &[u8], out: &mut Batch, scratch: &mut Scratch) -> Result<()> {
        decode_scanned(
            payload,
            out,
            &mut scratch.scan,
            &mut scratch.members,
            &mut scratch.typed,
        )
    }
}

fn decode_scanned(
    payload: &[u8],
    out: &mut Batch,
    scan: &mut RecordScan,
    members: &mut Vec<Range<usize>>,
    typed: &mut (bool, bool),
) -> Result<()> {
    scan.scan(payload)?;
    let (row, before) = (out.len(), (out.dtype, out.label_dtype));
    let mut own: (Option<Dtype>, Option<Dtype>) = (None, None);
    // Features.
    let mut row_sparse = false;
    let row_start = out.values.len();
    for entry in &scan.features {
        let key = scan.key(payload, entry);
        if key != VALUES_KEY {
            return Err(Error::unsupported(format!(
                "the record has a feature named {key:?}; only \"values\" can be converted to rows (use recordio output to copy records as they are)"
            )));
        }
        match scan_value(payload, &scan.values[entry.values.clone()], members)? {
            None => {}
            Some(Kind::Bytes) => {
                return Err(Error::unsupported(
                    "the record's features are Bytes, not a tensor; they cannot be converted to rows",
                ));
            }
            Some(kind) => {
                let dtype = dtype_of(kind);
                own.0 = Some(dtype);
                out.dtype = if std::mem::replace(&mut typed.0, true) {
                    out.dtype.widen(dtype)
                } else {
                    dtype
                };
                let idx_start = out.indices.len();
                let mut sink = BatchFeatures {
                    batch: out,
                    shape: 0,
                    dims: 0,
                };
                decode_tensor(payload, members, kind, &mut sink)?;
                let (shape, dims) = (sink.shape, sink.dims);
                let nkeys = out.indices.len() - idx_start;
                let nvals = out.values.len() - row_start;
                row_sparse = nkeys > 0 || dims > 0;
                if row_sparse {
                    if nkeys != nvals {
                        return Err(Error::syntax(
                            FORMAT,
                            format!("the sparse tensor has {nkeys} keys but {nvals} values"),
                        ));
                    }
                    let width = if dims > 0 { shape } else { UNKNOWN_SHAPE };
                    if let Some(&bad) = out.indices[idx_start..]
                        .iter()
                        .find(|&&k| width != UNKNOWN_SHAPE && k >= width)
                    {
                        return Err(Error::syntax(
                            FORMAT,
                            format!("key {bad} is outside the tensor's shape ({width} values)"),
                        ));
                    }
                    make_room_for_sparse(out, row_start);
                    out.shapes.push(width);
                }
            }
        }
    }
    if out.sparse {
        if !row_sparse {
            // A dense row in a sparse batch: keep its values other than +0
            // (-0 keeps its sign) with their keys, and its width as shape;
            // `dense_rows` marks it.
            let n = out.values.len() - row_start;
            let mut kept = row_start;
            for j in 0..n {
                let v = out.values[row_start + j];
                if v.to_bits() != 0 {
                    out.values[kept] = v;
                    out.indices.push(j as u64);
                    kept += 1;
                }
            }
            out.values.truncate(kept);
            out.shapes.push(n as u64);
        }
        if !row_sparse || !out.dense_rows.is_empty() {
            out.dense_rows.resize(out.len(), false);
            out.dense_rows.push(!row_sparse);
        }
    }
    // Labels.
    for entry in &scan.label {
        let key = scan.key(payload, entry);
        if key != VALUES_KEY {
            return Err(Error::unsupported(format!(
                "the record has a label named {key:?}; only \"values\" can be converted to rows"
            )));
        }
        match scan_value(payload, &scan.values[entry.values.clone()], members)? {
            None => {}
            Some(Kind::Bytes) => {
                return Err(Error::unsupported(
                    "the record's label is Bytes, not a tensor",
                ));
            }
            Some(kind) => {
                let dtype = dtype_of(kind);
                own.1 = Some(dtype);
                out.label_dtype = if std::mem::replace(&mut typed.1, true) {
                    out.label_dtype.widen(dtype)
                } else {
                    dtype
                };
                decode_tensor(payload, members, kind, &mut BatchLabels(out))?;
            }
        }
    }
    out.end_row();
    out.note_row_dtypes(row, before, own.0, own.1);
    Ok(())
}

/// Turns a dense batch into a sparse one (explicit keys for every value of
/// the earlier rows) the first time a sparse row arrives. The current row's
/// keys, already appended to `indices`, stay at the end.
fn make_room_for_sparse(out: &mut Batch, row_start: usize) {
    if out.sparse {
        return;
    }
    // The current row's values and keys, appended after the dense rows.
    let keys = std::mem::take(&mut out.indices);
    let current: Vec<f64> = out.values.drain(row_start..).collect();
    // Rewrite the dense rows in place without their +0 values.
    out.dense_rows_to_sparse();
    out.values.extend_from_slice(&current);
    out.indices.extend_from_slice(&keys);
}

/// Reusable scratch space for [`Decoder::decode_payload`].
#[derive(Debug, Default)]
pub struct Scratch {
    scan: RecordScan,
    members: Vec<Range<usize>>,
    /// Whether the batch's feature and label dtypes were set by a record
    /// yet (a reused batch keeps the previous chunk's values).
    typed: (bool, bool),
}

impl ChunkDecoder for Decoder {
    fn decode(&self, chunk: &[u8], _first: bool, out: &mut Batch) -> Result<()> {
        out.clear();
        out.sparse = false;
        let mut scratch = Scratch::default();
        let mut joined = Vec::new();
        self.framing.for_each(chunk, &mut joined, |payload, _| {
            Decoder::decode_payload(payload, out, &mut scratch)
        })?;
        Ok(())
    }

    fn count(&self, chunk: &[u8], _first: bool) -> Result<u64> {
        let mut pos = 0;
        let mut n = 0;
        while pos < chunk.len() {
            let found = self
                .framing
                .next_record(&chunk[pos..], true)
                .map_err(|e| e.at_record(n))?
                .expect("complete at eof");
            pos += found.consumed;
            n += 1;
        }
        Ok(n)
    }
}

/// Encodes batches as RecordIO-framed Record payloads, one per row.
#[derive(Debug, Clone, Copy)]
pub struct Encoder {
    dtype: Dtype,
    label_dtype: Option<Dtype>,
    sparse: Option<bool>,
    num_features: Option<u64>,
}

impl Default for Encoder {
    fn default() -> Encoder {
        Encoder::new()
    }
}

impl Encoder {
    /// Float32 tensors, dense or sparse as the input is.
    pub fn new() -> Encoder {
        Encoder {
            dtype: Dtype::Float32,
            label_dtype: None,
            sparse: None,
            num_features: None,
        }
    }

    /// Sets the tensor type of features (and of labels unless
    /// [`Encoder::label_dtype`] is set).
    pub fn dtype(&mut self, dtype: Dtype) -> &mut Encoder {
        self.dtype = dtype;
        self
    }

    /// Sets the tensor type of labels.
    pub fn label_dtype(&mut self, dtype: Dtype) -> &mut Encoder {
        self.label_dtype = Some(dtype);
        self
    }

    /// Forces sparse (`Some(true)`) or dense (`Some(false)`) tensors;
    /// `None` keeps the input's kind.
    pub fn sparse(&mut self, sparse: Option<bool>) -> &mut Encoder {
        self.sparse = sparse;
        self
    }

    /// The number of features: the `shape` of sparse tensors and the width
    /// of densified rows.
    pub fn num_features(&mut self, n: Option<u64>) -> &mut Encoder {
        self.num_features = n;
        self
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, batch: &Batch, out: &mut Vec<u8>) -> Result<()> {
        let label_dtype = self.label_dtype.unwrap_or(self.dtype);
        let mut dense = Vec::new();
        let mut keys = Vec::new();
        let mut vals = Vec::new();
        for i in 0..batch.len() {
            let labels = batch.row_labels(i);
            let label = (!labels.is_empty()).then_some(TensorRef {
                dtype: label_dtype,
                values: labels,
                keys: &[],
                shape: &[],
            });
            let values = batch.row_values(i);
            // The payload is encoded in place after a header whose length
            // is patched once known: no copy per record.
            let start = out.len();
            out.extend_from_slice(&recordio::MAGIC_BYTES);
            out.extend_from_slice(&[0; 4]);
            let payload = &mut *out;
            // Without --sparse/--dense each row keeps the kind it was read as.
            let sparse = self.sparse.unwrap_or(!batch.row_is_dense(i));
            let res = match (batch.sparse, sparse) {
                (false, false) => {
                    // With a stated number of features, dense rows are
                    // padded with zeros to it, as densified sparse rows are.
                    let values = match self.num_features {
                        Some(n) if (values.len() as u64) < n => {
                            crate::batch::check_dense_width(n)
                                .map_err(|e| e.at_record(i as u64))?;
                            dense.clear();
                            dense.extend_from_slice(values);
                            dense.resize(n as usize, 0.0);
                            &dense[..]
                        }
                        Some(n) if (values.len() as u64) > n => {
                            return Err(Error::unsupported(format!(
                                "a record has {} features, more than the number of features passed ({n})",
                                values.len()
                            ))
                            .at_record(i as u64));
                        }
                        _ => values,
                    };
                    encode_example(
                        payload,
                        TensorRef {
                            dtype: self.dtype,
                            values,
                            keys: &[],
                            shape: &[],
                        },
                        label,
                    )
                }
                (true, true) => {
                    let width = self.num_features.or(batch.row_shape(i)).ok_or_else(|| {
                        Error::unsupported(
                            "a sparse record has no known number of features: pass --num-features",
                        )
                        .at_record(i as u64)
                    })?;
                    let idx = batch.row_indices(i);
                    if let Some(&bad) = idx.iter().find(|&&k| k >= width) {
                        return Err(Error::unsupported(format!(
                            "feature index {bad} is not below the number of features ({width})"
                        ))
                        .at_record(i as u64));
                    }
                    encode_example(
                        payload,
                        TensorRef {
                            dtype: self.dtype,
                            values,
                            keys: idx,
                            shape: &[width],
                        },
                        label,
                    )
                }
                (false, true) => {
                    keys.clear();
                    vals.clear();
                    for (j, &v) in values.iter().enumerate() {
                        if v != 0.0 {
                            keys.push(j as u64);
                            vals.push(v);
                        }
                    }
                    let width = self.num_features.unwrap_or(values.len() as u64);
                    if (values.len() as u64) > width {
                        return Err(Error::unsupported(format!(
                            "the record has {} features, more than --num-features {width}",
                            values.len()
                        ))
                        .at_record(i as u64));
                    }
                    encode_example(
                        payload,
                        TensorRef {
                            dtype: self.dtype,
                            values: &vals,
                            keys: &keys,
                            shape: &[width],
                        },
                        label,
                    )
                }
                (true, false) => {
                    let width = self.num_features.or(batch.row_shape(i)).ok_or_else(|| {
                        Error::unsupported(
                            "a sparse record has no known number of features: pass --num-features to write dense tensors",
                        )
                        .at_record(i as u64)
                    })?;
                    dense.clear();
                    batch.densify_row(i, width, &mut dense)?;
                    encode_example(
                        payload,
                        TensorRef {
                            dtype: self.dtype,
                            values: &dense,
                            keys: &[],
                            shape: &[],
                        },
                        label,
                    )
                }
            };
            let len = out.len() - start - recordio::HEADER_LEN;
            if let Err(e) = res {
                out.truncate(start);
                return Err(e.at_record(i as u64));
            }
            if len > recordio::MAX_PART_LEN {
                out.truncate(start);
                return Err(Error::new(crate::error::ErrorKind::TooLarge {
                    len: len as u64,
                    max: recordio::MAX_PART_LEN as u64,
                })
                .at_record(i as u64));
            }
            out[start + 4..start + 8].copy_from_slice(&(len as u32).to_le_bytes());
            out.resize(out.len() + recordio::padded(len) - len, 0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Spec §2.2: dense f32 `[[1.5,2,0]]`, label f32 `[1]`, as the SDK writes it.
    const SDK_DENSE: &str = "0a1a0a0676616c756573 1210 120e 0a0c 0000c03f 00000040 00000000 \
                             1212 0a0676616c756573 1208 1206 0a04 0000803f";

    #[test]
    fn encodes_a_dense_row_like_the_sdk() {
        let mut out = Vec::new();
        encode_example(
            &mut out,
            TensorRef {
                dtype: Dtype::Float32,
                values: &[1.5, 2.0, 0.0],
                keys: &[],
                shape: &[],
            },
            Some(TensorRef {
                dtype: Dtype::Float32,
                values: &[1.0],
                keys: &[],
                shape: &[],
            }),
        )
        .unwrap();
        assert_eq!(out, hex(SDK_DENSE));
        let rec = Record::decode(&out).unwrap();
        let mut again = Vec::new();
        rec.encode(&mut again).unwrap();
        assert_eq!(again, out);
    }

    #[test]
    fn encodes_int32_and_sparse_like_the_sdk() {
        // int64 [[1,2]] with label [3] (spec §2.2).
        let mut out = Vec::new();
        encode_example(
            &mut out,
            TensorRef {
                dtype: Dtype::Int32,
                values: &[1.0, 2.0],
                keys: &[],
                shape: &[],
            },
            Some(TensorRef {
                dtype: Dtype::Int32,
                values: &[3.0],
                keys: &[],
                shape: &[],
            }),
        )
        .unwrap();
        assert_eq!(
            out,
            hex(
                "0a10 0a0676616c756573 1206 3a04 0a02 0102 120f 0a0676616c756573 1205 3a03 0a01 03"
            )
        );
        // Sparse row: 2.0 at column 1 of 4 → tensor `0a04 00000040 1201 01 1a01 04`.
        let mut out = Vec::new();
        encode_example(
            &mut out,
            TensorRef {
                dtype: Dtype::Float32,
                values: &[2.0],
                keys: &[1],
                shape: &[4],
            },
            None,
        )
        .unwrap();
        assert!(
            out.ends_with(&hex("0a04 00000040 1201 01 1a01 04")),
            "{out:02x?}"
        );
        // Negative int32 values are 10-byte varints, as protobuf writes them.
        let mut out = Vec::new();
        TensorRef {
            dtype: Dtype::Int32,
            values: &[-1.0],
            keys: &[],
            shape: &[],
        }
        .encode_value(&mut out)
        .unwrap();
        assert_eq!(out, hex("3a0c 0a0a ffffffffffffffffff01"));
        let e = TensorRef {
            dtype: Dtype::Int32,
            values: &[1.5],
            keys: &[],
            shape: &[],
        }
        .encode_value(&mut Vec::new())
        .unwrap_err();
        assert!(e.to_string().contains("Int32Tensor"), "{e}");
    }

    #[test]
    fn decodes_unpacked_fields_swapped_entries_and_unknown_fields() {
        // features: entry with value before key, the f32 tensor unpacked
        // (two `0d` fixed32 fields), keys unpacked, shape packed, plus an
        // unknown varint field 15 in the record and field 9 in the tensor.
        let mut payload = Vec::new();
        let tensor = hex("0d 0000c03f 0d 00000040 10 03 10 05 1a01 0a 4801");
        let mut value = vec![0x12, tensor.len() as u8];
        value.extend_from_slice(&tensor);
        let mut entry = vec![0x12, value.len() as u8];
        entry.extend_from_slice(&value);
        entry.extend_from_slice(&hex("0a0676616c756573"));
        payload.push(0x0a);
        payload.push(entry.len() as u8);
        payload.extend_from_slice(&entry);
        payload.extend_from_slice(&hex("7801"));
        payload.extend_from_slice(&hex("1a03 616263"));
        let rec = Record::decode(&payload).unwrap();
        assert_eq!(rec.uid.as_deref(), Some("abc"));
        assert_eq!(
            rec.feature("values"),
            Some(&Value::Float32(Tensor {
                values: vec![1.5, 2.0],
                keys: vec![3, 5],
                shape: vec![10]
            }))
        );
        let mut batch = Batch::default();
        Decoder::decode_payload(&payload, &mut batch, &mut Scratch::default()).unwrap();
        assert!(batch.sparse);
        assert_eq!(batch.row_indices(0), &[3, 5]);
        assert_eq!(batch.row_shape(0), Some(10));
        assert_eq!(batch.dtype, Dtype::Float32);
    }

    #[test]
    fn merges_repeated_messages_and_applies_oneof_and_map_rules() {
        // Value with f32 tensor [1], then f64 tensor [2] (replaces), then
        // f64 tensor [3] (merged): effective Float64 [2, 3].
        let value = hex("1206 0a04 0000803f 1a0a 0a08 0000000000000040 1a0a 0a08 0000000000000840");
        let mut entry = hex("0a0676616c756573");
        entry.push(0x12);
        entry.push(value.len() as u8);
        entry.extend_from_slice(&value);
        let mut payload = vec![0x12, entry.len() as u8];
        payload.extend_from_slice(&entry);
        let rec = Record::decode(&payload).unwrap();
        assert_eq!(
            rec.label("values"),
            Some(&Value::Float64(Tensor {
                values: vec![2.0, 3.0],
                ..Tensor::default()
            }))
        );
        // The same key twice in a map: the last entry wins.
        let first = hex("12 0d 0a0676616c756573 1203 1201 00");
        let mut twice = first.clone();
        twice.extend_from_slice(&payload);
        let rec = Record::decode(&twice).unwrap();
        assert_eq!(rec.label.len(), 1);
        assert!(matches!(rec.label("values"), Some(Value::Float64(_))));
    }

    #[test]
    fn rejects_malformed_payloads_with_offsets() {
        for (bytes, what) in [
            ("0a 05 0a03", "runs past the end"),
            ("7f", "invalid wire type"),
            ("0b", "wrong wire type 3"),
            ("08 01", "wrong wire type"),
            ("1a 02 ff fe", "UTF-8"),
            ("0a 07 0a0676616c75", "runs past the end"),
            ("ffffffffffffffffffff01", "varint"),
            ("00", "field number"),
        ] {
            let e = Record::decode(&hex(bytes)).unwrap_err();
            assert!(e.to_string().contains(what), "{bytes}: {e}");
            assert!(e.position().byte.is_some(), "{bytes}: {e}");
        }
        // Sparse tensor with more keys than values.
        let payload = hex("0a16 0a0676616c756573 120c 120a 0a04 0000803f 1202 0102");
        let e = Decoder::decode_payload(&payload, &mut Batch::default(), &mut Scratch::default())
            .unwrap_err();
        assert!(e.to_string().contains("2 keys but 1 values"), "{e}");
    }

    /// The walker's contract: it fails exactly where `Record::decode`
    /// does and sees the same entries and values.
    #[test]
    fn the_walker_reads_what_decode_reads() {
        let mut payloads = vec![
            hex("0a16 0a0676616c756573 120c 120a 0a04 0000803f 1202 0102"),
            hex("12 0d 0a0676616c756573 1203 1201 00 7801 1a03 616263"),
        ];
        let mut rec = Vec::new();
        Record {
            features: vec![
                (
                    "values".into(),
                    Value::Int32(Tensor {
                        values: vec![-1, 5, 300],
                        keys: vec![0, 2, 9],
                        shape: vec![10],
                    }),
                ),
                (
                    "b".into(),
                    Value::Bytes(BytesValue {
                        value: vec![b"x".to_vec()],
                        content_type: Some("t".into()),
                    }),
                ),
            ],
            label: vec![(
                "values".into(),
                Value::Float64(Tensor {
                    values: vec![0.5],
                    ..Tensor::default()
                }),
            )],
            ..Record::default()
        }
        .encode(&mut rec)
        .unwrap();
        // Every truncation and every single-byte change of the record.
        for i in 0..rec.len() {
            payloads.push(rec[..i].to_vec());
            for b in [0x00, 0x01, 0x08, 0x0a, 0x12, 0x80, 0xff] {
                let mut m = rec.clone();
                m[i] = b;
                payloads.push(m);
            }
        }
        let mut walker = RecordWalker::default();
        let (mut ok, mut failed) = (0, 0);
        for p in &payloads {
            let walked = (|| -> Result<Vec<(String, ValueKind, Tensor<f64>)>> {
                walker.scan(p)?;
                let mut out = Vec::new();
                for map in [Map::Features, Map::Label] {
                    for i in 0..walker.len(map) {
                        let key = String::from_utf8(walker.key(p, map, i).to_vec()).unwrap();
                        let mut t = Tensor::<f64>::default();
                        let kind = walker.value(p, map, i, &mut t)?;
                        out.push((key, kind, t));
                    }
                }
                Ok(out)
            })();
            match (Record::decode(p), walked) {
                (Ok(r), Ok(w)) => {
                    ok += 1;
                    let want: Vec<_> = r
                        .features
                        .iter()
                        .chain(&r.label)
                        .map(|(k, v)| {
                            let t = |values: Vec<f64>, keys: &[u64], shape: &[u64]| Tensor {
                                values,
                                keys: keys.to_vec(),
                                shape: shape.to_vec(),
                            };
                            let (kind, t) = match v {
                                Value::Empty => (ValueKind::Empty, Tensor::default()),
                                Value::Bytes(_) => (ValueKind::Bytes, Tensor::default()),
                                Value::Float32(x) => (
                                    ValueKind::Tensor(Dtype::Float32),
                                    t(
                                        x.values.iter().map(|&v| v as f64).collect(),
                                        &x.keys,
                                        &x.shape,
                                    ),
                                ),
                                Value::Float64(x) => (
                                    ValueKind::Tensor(Dtype::Float64),
                                    t(x.values.clone(), &x.keys, &x.shape),
                                ),
                                Value::Int32(x) => (
                                    ValueKind::Tensor(Dtype::Int32),
                                    t(
                                        x.values.iter().map(|&v| v as f64).collect(),
                                        &x.keys,
                                        &x.shape,
                                    ),
                                ),
                            };
                            (k.clone(), kind, t)
                        })
                        .collect();
                    // Compare bit patterns: NaN payloads included.
                    let bits = |v: &[(String, ValueKind, Tensor<f64>)]| {
                        v.iter()
                            .map(|(k, kind, t)| {
                                let vals: Vec<u64> = t.values.iter().map(|v| v.to_bits()).collect();
                                format!("{k} {kind:?} {vals:?} {:?} {:?}", t.keys, t.shape)
                            })
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(bits(&w), bits(&want), "{p:02x?}");
                }
                (Err(_), Err(_)) => failed += 1,
                (d, w) => panic!("{p:02x?}: decode {:?}, walker {:?}", d.is_ok(), w.is_ok()),
            }
        }
        assert!(ok > 20 && failed > 20, "{ok} {failed}");
    }

    #[test]
    fn round_trips_bytes_values_and_strings() {
        let rec = Record {
            features: vec![(
                "image".into(),
                Value::Bytes(BytesValue {
                    value: vec![b"\x00\x01".to_vec(), vec![]],
                    content_type: Some("image/png".into()),
                }),
            )],
            label: vec![(
                "values".into(),
                Value::Int32(Tensor {
                    values: vec![-7, 9],
                    keys: vec![],
                    shape: vec![],
                }),
            )],
            uid: Some("u1".into()),
            metadata: Some("m".into()),
            configuration: Some("{}".into()),
        };
        let mut out = Vec::new();
        rec.encode(&mut out).unwrap();
        assert_eq!(Record::decode(&out).unwrap(), rec);
        let e = Decoder::decode_payload(&out, &mut Batch::default(), &mut Scratch::default())
            .unwrap_err();
        assert!(e.to_string().contains("\"image\""), "{e}");
    }

    #[test]
    fn mixes_dense_and_sparse_rows_in_one_batch() {
        let mut batch = Batch::default();
        let mut scratch = Scratch::default();
        for (vals, keys, shape) in [
            (&[1.0, 0.0][..], &[][..], &[][..]),
            (&[5.0], &[2], &[3]),
            (&[7.0, 8.0], &[], &[]),
        ] {
            let mut p = Vec::new();
            encode_example(
                &mut p,
                TensorRef {
                    dtype: Dtype::Float32,
                    values: vals,
                    keys,
                    shape,
                },
                None,
            )
            .unwrap();
            Decoder::decode_payload(&p, &mut batch, &mut scratch).unwrap();
        }
        // Dense rows lose their zeros, keep their width as shape, and are
        // marked so that writers can give them back as dense rows.
        assert!(batch.sparse);
        assert_eq!(batch.indices, vec![0, 2, 0, 1]);
        assert_eq!(batch.values, vec![1.0, 5.0, 7.0, 8.0]);
        assert_eq!(batch.row_ends, vec![1, 2, 4]);
        assert_eq!(batch.shapes, vec![2, 3, 2]);
        assert_eq!(batch.dense_rows, vec![true, false, true]);
        let mut out = Vec::new();
        Encoder::new().encode(&batch, &mut out).unwrap();
        let rows: Vec<Record> = {
            let mut v = Vec::new();
            recordio::Decoder::new()
                .for_each(&out, &mut Vec::new(), |p, _| {
                    v.push(Record::decode(p)?);
                    Ok(())
                })
                .unwrap();
            v
        };
        assert_eq!(
            rows[0].feature("values"),
            Some(&Value::Float32(Tensor {
                values: vec![1.0, 0.0],
                ..Tensor::default()
            }))
        );
        assert_eq!(
            rows[1].feature("values"),
            Some(&Value::Float32(Tensor {
                values: vec![5.0],
                keys: vec![2],
                shape: vec![3]
            }))
        );
    }

    #[test]
    fn a_reused_batch_takes_its_dtype_from_its_own_records() {
        let frame = |values: &[f64], dtype: Dtype| {
            let mut p = Vec::new();
            if !values.is_empty() {
                encode_example(
                    &mut p,
                    TensorRef {
                        dtype,
                        values,
                        keys: &[],
                        shape: &[],
                    },
                    None,
                )
                .unwrap();
            }
            let mut out = Vec::new();
            recordio::encode_record(&mut out, &p).unwrap();
            out
        };
        let d = Decoder::default();
        let mut batch = Batch::default();
        d.decode(&frame(&[1.0], Dtype::Float64), true, &mut batch)
            .unwrap();
        assert_eq!(batch.dtype, Dtype::Float64);
        batch.clear();
        // First record without features, then a float32 one.
        let mut chunk = frame(&[], Dtype::Float32);
        chunk.extend_from_slice(&frame(&[0.1f32 as f64], Dtype::Float32));
        d.decode(&chunk, false, &mut batch).unwrap();
        assert_eq!(batch.dtype, Dtype::Float32);
        assert_eq!(batch.len(), 2);
    }
}
