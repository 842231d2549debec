//! Chunk checker for RecordIO-protobuf (spec §2, §8.5, §8.7).
//!
//! Two paths over each record. The fast path ([`Fast`]) walks the
//! payload's wire format with the codec's [`RecordWalker`], reading only
//! what the checks need (dtypes, value and key counts, shape, the first
//! label, the counts behind the statistics) without building a
//! [`Record`]; it handles every record it can classify as clean. Any
//! record it cannot (a decode error, or anything to report) goes to the
//! full path, which decodes the [`Record`] and produces the findings, so
//! their texts come from one place. Both paths give the same findings,
//! tallies and statistics (tested below against the full path alone).

use super::finding::{Check, Finding, Severity, Site};
#[cfg(target_arch = "x86_64")]
use super::number;
use super::stats::Part;
use super::table::Schema;
use super::{FileCtx, Work};
use crate::batch::Dtype;
use crate::codec::protobuf::{
    Discard, Map, Record, RecordWalker, Tensor, TensorSink, VALUES_KEY, Value, ValueKind,
};
use crate::codec::recordio;
use crate::error::Result;
use crate::pipeline::Chunk;
use std::ops::Range;

/// Checks every record of a chunk of whole RecordIO records. Framing
/// errors are returned (they end the file); payload problems are findings.
pub(crate) fn check_records(
    ctx: &FileCtx<'_>,
    rio: &recordio::Decoder,
    chunk: &Chunk,
    w: &mut Work,
) -> Result<()> {
    check_bytes(ctx, rio, chunk, chunk.offset, w, true).map(|_| ())
}

/// [`check_records`] over `data` (whole records starting at absolute
/// offset `base`), with or without the fast path. Returns the number of
/// records the fast path handled, and how many of those it read through
/// a [`Shape`] instead of walking them.
fn check_bytes(
    ctx: &FileCtx<'_>,
    rio: &recordio::Decoder,
    data: &[u8],
    base: u64,
    w: &mut Work,
    fast: bool,
) -> Result<(u64, u64)> {
    let mut fast = fast.then(Fast::default);
    let mut handled = 0u64;
    let mut pos = 0;
    let mut n = 0u64;
    let mut scratch = Vec::new();
    while pos < data.len() {
        let found = rio
            .next_record(&data[pos..], true)
            .map_err(|e| {
                let b = e.position().byte.unwrap_or(0) + pos as u64;
                let mut e = e.at_record(n);
                e.position_mut().byte = Some(b);
                e
            })?
            .expect("next_record never asks for more at eof");
        let at = base + pos as u64;
        let payload = rio.payload(&data[pos..], found, &mut scratch);
        if found.parts > 1 && ctx.rules.xgboost {
            w.out.add(Check::RecordioSplit, Severity::Error, || {
                Finding::new(Check::RecordioSplit, Severity::Error)
                    .record(n)
                    .byte(at)
                    .message(format!(
                        "the record is split into {} parts (cflag 1/2/3)",
                        found.parts
                    ))
                    .sagemaker("XGBoost's RecordIO-protobuf reader expects whole records (cflag 0): \"Failed to load recordio-protobuf data with exception: ...\"")
                    .fix(format!(
                        "rewrite with whole records: sm-data convert {} FIXED.pbr",
                        ctx.name
                    ))
            });
        }
        let done = match &mut fast {
            Some(f) => {
                let done = f.record(ctx, payload, n, at, w);
                handled += done as u64;
                if !done {
                    // Keep the order in which labels reach the statistics.
                    f.labels.flush(&mut w.stats);
                }
                done
            }
            None => false,
        };
        if !done {
            check_full(ctx, payload, n, at, w);
        }
        pos += found.consumed;
        n += 1;
    }
    let mut same_shape = 0;
    if let Some(f) = &mut fast {
        f.finish(w);
        same_shape = f.same_shape;
    }
    w.records = n;
    Ok((handled, same_shape))
}

/// The full path: decodes the whole [`Record`] and checks it.
fn check_full(ctx: &FileCtx<'_>, payload: &[u8], n: u64, at: u64, w: &mut Work) {
    match Record::decode(payload) {
        Err(e) => {
            let b = at + 8 + e.position().byte.unwrap_or(0);
            w.out.add(Check::ProtobufDecode, Severity::Error, || {
                Finding::new(Check::ProtobufDecode, Severity::Error)
                    .record(n)
                    .byte(b)
                    .message(format!("the payload is not an aialgs.data.Record: {}", e.kind()))
                    .sagemaker(if ctx.rules.xgboost {
                        "XGBoost: \"Failed to load recordio-protobuf data with exception: ...\""
                    } else {
                        "the algorithm fails to parse the record"
                    })
                    .fix("write the records with the SageMaker SDK 2.x or sm-data convert (plain RecordIO of other payloads is application/x-recordio)")
            });
        }
        Ok(r) => {
            w.stats.records += 1;
            if ctx.rules.schema == Schema::Seq2seq {
                check_seq2seq(ctx, &r, n, at, w);
            } else {
                check_record(ctx, &r, n, at, w);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The fast path

/// What the checks need from `features["values"]`, gathered value by value.
#[derive(Debug, Clone, Copy)]
struct Features {
    values: u64,
    keys: u64,
    max_key: u64,
    dims: u64,
    /// The product of the shape (saturating), 1 without one.
    size: u64,
    nan: u64,
    /// Values other than zero, NaN included.
    not_zero: u64,
    negative: bool,
    /// The key before.
    last_key: u64,
    /// A key was not above the one before it.
    unordered: bool,
    /// Where the values came from.
    packed: Packed,
}

impl Default for Features {
    fn default() -> Features {
        Features {
            values: 0,
            keys: 0,
            max_key: 0,
            dims: 0,
            size: 1,
            nan: 0,
            not_zero: 0,
            negative: false,
            last_key: 0,
            unordered: false,
            packed: Packed::Nothing,
        }
    }
}

impl Features {
    #[inline]
    fn tally(&mut self, v: f64) {
        self.values += 1;
        self.nan += v.is_nan() as u64;
        self.not_zero += (v != 0.0) as u64;
        self.negative |= v < 0.0;
    }
}

impl TensorSink for Features {
    #[inline]
    fn value(&mut self, v: f64) {
        self.packed = Packed::Other;
        self.tally(v);
    }
    #[inline]
    fn value_f32(&mut self, v: f32) {
        // The same tests as on `v as f64`, which is exact.
        self.packed = Packed::Other;
        self.tally(v as f64);
    }
    #[inline]
    fn values_f64(&mut self, bytes: &[u8]) {
        self.packed.saw(bytes, 8);
        for c in bytes.as_chunks::<8>().0 {
            self.tally(f64::from_le_bytes(*c));
        }
    }
    #[inline]
    fn values_f32(&mut self, bytes: &[u8]) {
        self.packed.saw(bytes, 4);
        let (words, _) = bytes.as_chunks::<4>();
        for block in words.chunks(1 << 20) {
            let (nan, not_zero, negative) = f32_tallies(block);
            self.nan += nan as u64;
            self.not_zero += not_zero as u64;
            self.negative |= negative;
        }
        self.values += words.len() as u64;
    }
    #[inline]
    fn key(&mut self, k: u64) {
        self.unordered |= self.keys > 0 && k <= self.last_key;
        self.last_key = k;
        self.keys += 1;
        self.max_key = self.max_key.max(k);
    }
    #[inline]
    fn shape(&mut self, s: u64) {
        self.dims += 1;
        self.size = self.size.saturating_mul(s);
    }
}

/// The NaN, non-zero and negative counts of `value_f32` over little-endian
/// floats (fewer than 2^32), on their bits, in a loop the compiler
/// vectorizes: compiled for AVX-512 and AVX2 as well, the copy chosen at
/// run time ([`number::level`]).
#[inline]
fn f32_tallies(words: &[[u8; 4]]) -> (u32, u32, bool) {
    #[inline(always)]
    fn tallies(words: &[[u8; 4]]) -> (u32, u32, bool) {
        let (mut nan, mut not_zero, mut negative) = (0u32, 0u32, 0u32);
        for &w in words {
            let bits = u32::from_le_bytes(w);
            // As i32 (the sign bit cleared): SSE2 compares signed lanes.
            let abs = (bits & 0x7FFF_FFFF) as i32;
            nan += (abs > 0x7F80_0000) as u32;
            not_zero += (abs != 0) as u32;
            // v < 0.0: bits in 0x8000_0001..=0xFF80_0000 (the sign set on
            // a non-zero, non-NaN value).
            negative |= (bits.wrapping_sub(0x8000_0001) < 0x7F80_0000) as u32;
        }
        (nan, not_zero, negative != 0)
    }
    #[cfg(target_arch = "x86_64")]
    {
        use number::Level;
        #[target_feature(enable = "avx2")]
        fn avx2(words: &[[u8; 4]]) -> (u32, u32, bool) {
            tallies(words)
        }
        #[target_feature(enable = "avx512f,avx512bw")]
        fn avx512(words: &[[u8; 4]]) -> (u32, u32, bool) {
            tallies(words)
        }
        match number::level() {
            // SAFETY: `level` detected AVX-512BW on this CPU.
            Level::Avx512 | Level::Avx512Vbmi => unsafe { avx512(words) },
            // SAFETY: `level` detected AVX2 on this CPU.
            Level::Avx2 => unsafe { avx2(words) },
            Level::Sse2 => tallies(words),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    tallies(words)
}

/// The first value of a tensor (the label), and where the values came
/// from.
#[derive(Debug, Default)]
struct First {
    value: Option<f64>,
    packed: Packed,
}

impl TensorSink for First {
    #[inline]
    fn value(&mut self, v: f64) {
        self.packed = Packed::Other;
        self.value.get_or_insert(v);
    }
    #[inline]
    fn value_f32(&mut self, v: f32) {
        self.packed = Packed::Other;
        self.value.get_or_insert(v as f64);
    }
    #[inline]
    fn values_f32(&mut self, bytes: &[u8]) {
        self.packed.saw(bytes, 4);
        if let Some(b) = bytes.first_chunk::<4>() {
            self.value.get_or_insert(f32::from_le_bytes(*b) as f64);
        }
    }
    #[inline]
    fn values_f64(&mut self, bytes: &[u8]) {
        self.packed.saw(bytes, 8);
        if let Some(b) = bytes.first_chunk::<8>() {
            self.value.get_or_insert(f64::from_le_bytes(*b));
        }
    }
    fn key(&mut self, _: u64) {}
    fn shape(&mut self, _: u64) {}
}

/// Where a sink's values came from: nothing yet, one packed field (its
/// bytes' address and length, and the width of a value), or anything else
/// (unpacked values, several fields).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Packed {
    #[default]
    Nothing,
    One {
        addr: usize,
        len: usize,
        width: usize,
    },
    Other,
}

impl Packed {
    /// A packed field of `bytes` with values of `width` bytes.
    #[inline]
    fn saw(&mut self, bytes: &[u8], width: usize) {
        *self = match self {
            Packed::Nothing if !bytes.is_empty() => Packed::One {
                addr: bytes.as_ptr() as usize,
                len: bytes.len(),
                width,
            },
            _ => Packed::Other,
        };
    }

    /// The one packed field as a range of `payload` (which it was read
    /// from), with the width of a value.
    fn range(self, payload: &[u8]) -> Option<(Range<usize>, usize)> {
        let Packed::One { addr, len, width } = self else {
            return None;
        };
        let start = addr.checked_sub(payload.as_ptr() as usize)?;
        (start + len <= payload.len()).then_some((start..start + len, width))
    }
}

/// A clean record that the next ones may repeat byte for byte except in
/// their packed feature and label values: the usual dense file, where
/// every record has the same keys, tensor type, shape and value count
/// (the SDK's `write_numpy_to_dense_tensor`, `convert`). A payload of the
/// same length whose other bytes are the same is walked exactly as this
/// one was (every tag, length and key is among those bytes; the packed
/// values are read only as values), so the walk is skipped and only what
/// the values decide (their tallies, the label) is read, from the same
/// ranges.
#[derive(Debug)]
struct Shape {
    payload: Vec<u8>,
    /// The feature values' bytes and value width.
    features: (Range<usize>, usize),
    /// The label values' bytes and value width, if the record has any.
    label: Option<(Range<usize>, usize)>,
    /// The two ranges in order (an empty one at the end without a label).
    holes: [Range<usize>; 2],
    /// What the walk found, the value tallies zeroed.
    found: Features,
    dtype: Dtype,
}

impl Shape {
    /// `payload` differs from this record's at most in the value ranges.
    #[inline]
    fn matches(&self, payload: &[u8]) -> bool {
        let [a, b] = &self.holes;
        let t = &self.payload;
        payload.len() == t.len()
            && payload[..a.start] == t[..a.start]
            && payload[a.end..b.start] == t[a.end..b.start]
            && payload[b.end..] == t[b.end..]
    }

    /// The feature tallies and the label of a matching `payload`.
    #[inline]
    fn read(&self, payload: &[u8]) -> (Features, First) {
        let mut f = self.found;
        let (r, width) = &self.features;
        if *width == 4 {
            f.values_f32(&payload[r.clone()]);
        } else {
            f.values_f64(&payload[r.clone()]);
        }
        let mut label = First::default();
        if let Some((r, width)) = &self.label {
            if *width == 4 {
                label.values_f32(&payload[r.clone()]);
            } else {
                label.values_f64(&payload[r.clone()]);
            }
        }
        (f, label)
    }

    /// The shape of a clean, walked record, if its feature values (and
    /// label values, if any) each came in one packed field. Reuses
    /// `old`'s buffer.
    fn of(
        old: Option<Shape>,
        payload: &[u8],
        f: &Features,
        label: &First,
        dtype: Dtype,
    ) -> Option<Shape> {
        let features = f.packed.range(payload)?;
        let label = match label.packed {
            Packed::Nothing if label.value.is_none() => None,
            p => Some(p.range(payload)?),
        };
        let end = payload.len()..payload.len();
        let l = label.as_ref().map_or(end, |l| l.0.clone());
        let holes = if features.0.start <= l.start {
            [features.0.clone(), l]
        } else {
            [l, features.0.clone()]
        };
        if holes[0].end > holes[1].start {
            return None;
        }
        let mut buf = old.map(|o| o.payload).unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(payload);
        Some(Shape {
            payload: buf,
            features,
            label,
            holes,
            found: Features {
                values: 0,
                nan: 0,
                not_zero: 0,
                negative: false,
                packed: Packed::Nothing,
                ..*f
            },
            dtype,
        })
    }
}

/// Seq2seq token ids: count, largest, any negative.
#[derive(Debug, Default)]
struct Tokens {
    len: u64,
    max: i32,
    negative: bool,
}

impl TensorSink for Tokens {
    #[inline]
    fn value(&mut self, v: f64) {
        // As `Tensor<i32>` stores it.
        let t = v as i32;
        self.len += 1;
        self.max = self.max.max(t);
        self.negative |= t < 0;
    }
    fn key(&mut self, _: u64) {}
    fn shape(&mut self, _: u64) {}
}

/// Labels of clean records, counted per distinct value before they reach
/// [`Part`]: the statistics are the same as label by label (flushed in
/// order of first appearance, and before any record of the full path),
/// for a fraction of the map lookups.
#[derive(Debug, Default)]
struct Labels {
    seen: [(u64, u64); 8],
    len: usize,
}

impl Labels {
    /// The label of the record last counted in `part.records`.
    #[inline]
    fn add(&mut self, v: f64, part: &mut Part) {
        // As `Part::label` notes it.
        part.labeled_at = Some(part.records);
        let bits = v.to_bits();
        if let Some(e) = self.seen[..self.len].iter_mut().find(|e| e.0 == bits) {
            e.1 += 1;
            return;
        }
        if self.len == self.seen.len() {
            self.flush(part);
        }
        self.seen[self.len] = (bits, 1);
        self.len += 1;
    }

    fn flush(&mut self, part: &mut Part) {
        for &(bits, n) in &self.seen[..self.len] {
            part.labels(f64::from_bits(bits), n);
        }
        self.len = 0;
    }
}

/// The tallied properties of a clean record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sig {
    labeled: bool,
    dtype: Dtype,
    sparse: bool,
    dim: u64,
}

/// Tallies of clean records. A record like the previous one, whose tally
/// entries already hold all the sites they keep, is only counted, and the
/// count added to the entries later: the same tallies for four lookups
/// per run of alike records instead of four per record.
#[derive(Debug, Default)]
struct Run {
    sig: Option<Sig>,
    /// Every entry of `sig` is full (or cannot be added).
    saturated: bool,
    pending: u64,
    dim_key: String,
}

impl Run {
    fn keys(&self, sig: Sig) -> [(Check, &str); 4] {
        [
            (
                Check::LabelPartial,
                if sig.labeled { "a label" } else { "no label" },
            ),
            (Check::ProtobufDtypeMixed, tensor_dtype_name(sig.dtype)),
            (
                Check::ProtobufKindMixed,
                if sig.sparse {
                    "sparse features"
                } else {
                    "dense features"
                },
            ),
            (Check::FeatureDim, &self.dim_key),
        ]
    }

    #[inline]
    fn tally(&mut self, w: &mut Work, max: usize, sig: Sig, site: impl Fn() -> Site + Copy) {
        if self.saturated && self.sig == Some(sig) {
            self.pending += 1;
            return;
        }
        self.flush(w);
        if self.sig.is_none_or(|s| s.dim != sig.dim) {
            self.dim_key.clear();
            self.dim_key.push_str(itoa::Buffer::new().format(sig.dim));
            self.dim_key.push_str(if sig.dim == 1 {
                " feature"
            } else {
                " features"
            });
        }
        self.sig = Some(sig);
        let keys = self.keys(sig);
        for (check, key) in keys {
            w.tally(check, key, max, site);
        }
        self.saturated = keys.iter().all(|&(check, key)| {
            w.tallies
                .get(&check)
                .and_then(|t| t.entries.iter().find(|e| e.0 == key))
                .is_none_or(|e| e.2.len() >= max.max(1))
        });
    }

    fn flush(&mut self, w: &mut Work) {
        if self.pending == 0 {
            return;
        }
        let sig = self.sig.expect("pending records have a signature");
        for (check, key) in self.keys(sig) {
            if let Some(e) = w
                .tallies
                .get_mut(&check)
                .and_then(|t| t.entries.iter_mut().find(|e| e.0 == key))
            {
                e.1 += self.pending;
            }
        }
        self.pending = 0;
    }
}

/// The fast path's state for one chunk.
#[derive(Debug, Default)]
struct Fast {
    walker: RecordWalker,
    labels: Labels,
    run: Run,
    /// The last walked clean record with packed values.
    shape: Option<Shape>,
    /// Records read through `shape` without a walk.
    same_shape: u64,
}

impl Fast {
    /// Checks a record; false when it must go to the full path (nothing
    /// of it has then been recorded).
    #[inline]
    fn record(&mut self, ctx: &FileCtx<'_>, payload: &[u8], n: u64, at: u64, w: &mut Work) -> bool {
        if ctx.rules.schema == Schema::Seq2seq {
            self.seq2seq(payload, w)
        } else {
            self.numeric(ctx, payload, n, at, w)
        }
    }

    /// Walks the whole record (every value is checked as the decoder
    /// would), feeding `features[key]` to `features[i]` for the `i`-th
    /// key and `label["values"]` to `label`; returns what the selected
    /// features hold (`None`: no such key).
    fn walk<S: TensorSink, const K: usize>(
        &mut self,
        payload: &[u8],
        keys: [&str; K],
        features: &mut [S; K],
        label: &mut First,
    ) -> Result<([Option<ValueKind>; K], Option<ValueKind>)> {
        let walker = &mut self.walker;
        walker.scan(payload)?;
        let mut kinds = [None; K];
        for i in 0..walker.len(Map::Features) {
            let key = walker.key(payload, Map::Features, i);
            match keys.iter().position(|k| k.as_bytes() == key) {
                Some(j) => {
                    kinds[j] = Some(walker.value(payload, Map::Features, i, &mut features[j])?)
                }
                None => {
                    walker.value(payload, Map::Features, i, &mut Discard)?;
                }
            }
        }
        let mut label_kind = None;
        for i in 0..walker.len(Map::Label) {
            if walker.key(payload, Map::Label, i) == VALUES_KEY.as_bytes() {
                label_kind = Some(walker.value(payload, Map::Label, i, label)?);
            } else {
                walker.value(payload, Map::Label, i, &mut Discard)?;
            }
        }
        Ok((kinds, label_kind))
    }

    /// The fast [`check_record`].
    fn numeric(
        &mut self,
        ctx: &FileCtx<'_>,
        payload: &[u8],
        n: u64,
        at: u64,
        w: &mut Work,
    ) -> bool {
        let (f, label, dtype, walked) = match self.shape.as_ref().filter(|s| s.matches(payload)) {
            Some(s) => {
                let (f, label) = s.read(payload);
                (f, label, s.dtype, false)
            }
            None => {
                let mut f = [Features::default()];
                let mut label = First::default();
                let Ok(([Some(ValueKind::Tensor(dtype))], _)) =
                    self.walk(payload, [VALUES_KEY], &mut f, &mut label)
                else {
                    return false;
                };
                let [f] = f;
                (f, label, dtype, true)
            }
        };
        if ctx.rules.dtype.is_some_and(|want| want != dtype) {
            return false;
        }
        if ctx.rules.trains_on_labels() && label.value.is_some_and(|v| !v.is_finite()) {
            return false;
        }
        let sparse = f.keys > 0 || (f.values == 0 && f.dims > 0);
        let bad = if sparse {
            f.dims == 0 || f.keys != f.values || (f.keys > 0 && f.max_key >= f.size)
        } else {
            f.dims > 0 && f.size != f.values
        };
        if bad || (f.negative && ctx.rules.counts) || f.unordered {
            return false;
        }
        if walked {
            if let Some(shape) = Shape::of(self.shape.take(), payload, &f, &label, dtype) {
                self.shape = Some(shape);
            }
        } else {
            self.same_shape += 1;
        }
        let dim = if sparse { f.size } else { f.values };
        w.stats.records += 1;
        if let Some(v) = label.value {
            self.labels.add(v, &mut w.stats);
        }
        let site = || Site {
            line: None,
            record: n,
            byte: at,
            snippet: None,
        };
        let sig = Sig {
            labeled: label.value.is_some(),
            dtype,
            sparse,
            dim,
        };
        self.run.tally(w, ctx.max, sig, site);
        w.stats.dim = w.stats.dim.max(dim);
        w.stats.stored += f.values;
        w.stats.missing += f.nan;
        w.stats.nonzero += f.not_zero - f.nan;
        true
    }

    /// The fast [`check_seq2seq`].
    fn seq2seq(&mut self, payload: &[u8], w: &mut Work) -> bool {
        let mut t = [Tokens::default(), Tokens::default()];
        let Ok((kinds, _)) =
            self.walk(payload, ["source", "target"], &mut t, &mut First::default())
        else {
            return false;
        };
        let clean = kinds
            .iter()
            .zip(&t)
            .all(|(k, t)| *k == Some(ValueKind::Tensor(Dtype::Int32)) && t.len > 0 && !t.negative);
        if !clean {
            return false;
        }
        w.stats.records += 1;
        for (i, t) in t.iter().enumerate() {
            w.stats.vocab[i] = w.stats.vocab[i].max(t.max as u64 + 1);
            w.stats.max_len[i] = w.stats.max_len[i].max(t.len);
        }
        w.stats.seq(t[0].len);
        true
    }

    /// Hands what is still held to `w` at the end of the chunk.
    fn finish(&mut self, w: &mut Work) {
        self.labels.flush(&mut w.stats);
        self.run.flush(w);
    }
}

// ---------------------------------------------------------------------------
// The full path

fn dtype_name(v: &Value) -> &'static str {
    match v {
        Value::Float32(_) => "Float32Tensor",
        Value::Float64(_) => "Float64Tensor",
        Value::Int32(_) => "Int32Tensor",
        Value::Bytes(_) => "Bytes",
        Value::Empty => "an empty Value",
    }
}

fn tensor_dtype_name(d: Dtype) -> &'static str {
    match d {
        Dtype::Float32 => "Float32Tensor",
        Dtype::Float64 => "Float64Tensor",
        Dtype::Int32 => "Int32Tensor",
    }
}

/// The values of a tensor, borrowed.
#[derive(Clone, Copy)]
enum Values<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    I32(&'a [i32]),
}

impl Values<'_> {
    fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::I32(v) => v.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, i: usize) -> f64 {
        match self {
            Values::F32(v) => v[i] as f64,
            Values::F64(v) => v[i],
            Values::I32(v) => v[i] as f64,
        }
    }

    fn for_each(&self, mut f: impl FnMut(f64)) {
        match self {
            Values::F32(v) => v.iter().for_each(|&x| f(x as f64)),
            Values::F64(v) => v.iter().for_each(|&x| f(x)),
            Values::I32(v) => v.iter().for_each(|&x| f(x as f64)),
        }
    }
}

/// A tensor's parts, borrowed from the decoded record.
struct View<'a> {
    dtype: Dtype,
    values: Values<'a>,
    keys: &'a [u64],
    shape: &'a [u64],
}

fn view<'a, T>(t: &'a Tensor<T>, dtype: Dtype, values: Values<'a>) -> View<'a> {
    View {
        dtype,
        values,
        keys: &t.keys,
        shape: &t.shape,
    }
}

fn tensor(v: &Value) -> Option<View<'_>> {
    match v {
        Value::Float32(t) => Some(view(t, Dtype::Float32, Values::F32(&t.values))),
        Value::Float64(t) => Some(view(t, Dtype::Float64, Values::F64(&t.values))),
        Value::Int32(t) => Some(view(t, Dtype::Int32, Values::I32(&t.values))),
        _ => None,
    }
}

fn check_record(ctx: &FileCtx<'_>, r: &Record, n: u64, at: u64, w: &mut Work) {
    let xgb = ctx.rules.xgboost;
    let max = ctx.max;
    let site = || Site {
        line: None,
        record: n,
        byte: at,
        snippet: None,
    };
    let labeled = r
        .label("values")
        .and_then(tensor)
        .filter(|t| !t.values.is_empty());
    if let Some(t) = &labeled {
        let v = t.values.get(0);
        if !v.is_finite() && ctx.rules.trains_on_labels() {
            w.out.add(Check::LabelNotFinite, Severity::Error, || {
                Finding::new(Check::LabelNotFinite, Severity::Error)
                    .record(n)
                    .byte(at)
                    .message(format!(
                        "the label {v} (label[\"values\"][0]) is not a finite number: every record needs a label"
                    ))
                    .sagemaker(if xgb {
                        "XGBoost: a NaN or infinite label fails training (\"Label contains NaN, infinity or a value too large.\")".to_string()
                    } else {
                        format!("{} needs a finite label in every record", ctx.algorithm.title())
                    })
                    .fix("fill or drop the records without a label before writing RecordIO-protobuf")
            });
        }
        w.stats.label(v);
    }
    {
        w.tally(
            Check::LabelPartial,
            if labeled.is_some() {
                "a label"
            } else {
                "no label"
            },
            max,
            site,
        );
    }
    let value = r.feature("values");
    let Some(value) = value.filter(|v| !matches!(v, Value::Empty)) else {
        let keys: Vec<&str> = r.features.iter().map(|(k, _)| k.as_str()).collect();
        w.out.add(Check::ProtobufMissingValues, Severity::Error, || {
            Finding::new(Check::ProtobufMissingValues, Severity::Error)
                .record(n)
                .byte(at)
                .message(if keys.is_empty() {
                    "the record has no features".to_string()
                } else {
                    format!("the record has no features[\"values\"] (it has {keys:?})")
                })
                .sagemaker(if xgb {
                    "XGBoost skips records without features[\"values\"] (silently fewer rows)"
                } else {
                    "ml-io: \"... has N feature(s) while it is expected to have M\" / \"unknown feature named ...\""
                })
                .fix("write the features under the key \"values\", as the SDK and sm-data convert do")
        });
        return;
    };
    let Some(t) = tensor(value) else {
        w.out.add(Check::ProtobufBytes, Severity::Error, || {
            Finding::new(Check::ProtobufBytes, Severity::Error)
                .record(n)
                .byte(at)
                .message("features[\"values\"] holds Bytes, not a tensor")
                .sagemaker("ml-io: \"The RecordIO-protobuf binary data format is not supported.\"")
                .fix("write numeric tensors (Float32Tensor)")
        });
        return;
    };
    if let Some(want) = ctx.rules.dtype
        && want != t.dtype
    {
        w.out.add(Check::ProtobufDtype, Severity::Error, || {
            Finding::new(Check::ProtobufDtype, Severity::Error)
                .record(n)
                .byte(at)
                .message(format!(
                    "features[\"values\"] is a {}; {} reads {} only",
                    dtype_name(value),
                    ctx.algorithm.title(),
                    tensor_dtype_name(want)
                ))
                .sagemaker(format!(
                    "{} accepts {} only (spec §7); the SDK writes float64 numpy arrays as Float64Tensor",
                    ctx.algorithm.title(),
                    tensor_dtype_name(want)
                ))
                .fix(format!(
                    "re-encode: sm-data convert {} FIXED.pbr --dtype {}",
                    ctx.name,
                    want.name()
                ))
        });
    }
    w.tally(Check::ProtobufDtypeMixed, dtype_name(value), max, site);
    let sparse = !t.keys.is_empty() || (t.values.is_empty() && !t.shape.is_empty());
    w.tally(
        Check::ProtobufKindMixed,
        if sparse {
            "sparse features"
        } else {
            "dense features"
        },
        max,
        site,
    );
    let size: u64 = t.shape.iter().fold(1u64, |a, &b| a.saturating_mul(b));
    let problem = if sparse && t.shape.is_empty() {
        Some("The sparse feature 'values' ... has no shape specified.".to_string())
    } else if sparse && t.keys.len() != t.values.len() {
        Some(format!(
            "has {} key(s) but {} value(s)",
            t.keys.len(),
            t.values.len()
        ))
    } else if sparse && t.keys.iter().any(|&k| k >= size) {
        Some("has one or more invalid keys".to_string())
    } else if !sparse && !t.shape.is_empty() && size != t.values.len() as u64 {
        Some(format!(
            "has {} values(s) but a shape of ({})",
            t.values.len(),
            t.shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    } else {
        None
    };
    if let Some(i) = (1..t.keys.len()).find(|&i| t.keys[i] <= t.keys[i - 1]) {
        let (before, key) = (t.keys[i - 1], t.keys[i]);
        w.out.add(Check::ProtobufKeyOrder, Severity::Warning, || {
            Finding::new(Check::ProtobufKeyOrder, Severity::Warning)
                .record(n)
                .byte(at)
                .message(if key == before {
                    format!("key {key} appears twice in features[\"values\"] (keys[{i}])")
                } else {
                    format!("key {key} follows key {before} in features[\"values\"] (keys[{i}]): the keys are not in increasing order")
                })
                .sagemaker("the sparse tensor becomes a row of a CSR matrix, whose column indices readers expect sorted and unique (MXNet's CSR arrays; scikit-learn's load_svmlight_file refuses the same in LibSVM); the SDK's write_spmatrix_to_sparse_tensor writes a scipy matrix's indices as they are")
                .fix("sort and merge each row's indices before writing (scipy: m.sum_duplicates(); m.sort_indices(); then write_spmatrix_to_sparse_tensor)")
        });
    }
    if let Some(p) = problem {
        w.out.add(Check::ProtobufSparse, Severity::Error, || {
            Finding::new(Check::ProtobufSparse, Severity::Error)
                .record(n)
                .byte(at)
                .message(format!(
                    "features[\"values\"] {}",
                    p.trim_start_matches("The sparse feature 'values' ... ")
                ))
                .sagemaker(format!("ml-io: \"{p}\""))
                .fix(format!(
                    "re-encode: sm-data convert {} FIXED.pbr --sparse --num-features N",
                    ctx.name
                ))
        });
    }
    // A sparse tensor without a shape has no stated dimension (reported
    // above); its largest key still bounds feature_dim.
    let dim = match (sparse, t.shape.is_empty()) {
        (true, true) => None,
        (true, false) => Some(size),
        (false, _) => Some(t.values.len() as u64),
    };
    let seen = t.keys.iter().max().map_or(0, |k| k.saturating_add(1));
    w.stats.dim = w.stats.dim.max(dim.unwrap_or(seen));
    if let Some(dim) = dim {
        let mut key = String::new();
        key.push_str(itoa::Buffer::new().format(dim));
        key.push_str(if dim == 1 { " feature" } else { " features" });
        w.tally(Check::FeatureDim, &key, max, site);
    }
    let mut negative = false;
    t.values.for_each(|v| {
        w.stats.value(v);
        negative |= v < 0.0;
    });
    if negative && ctx.rules.counts {
        w.out.add(Check::NegativeCount, Severity::Warning, || {
            Finding::new(Check::NegativeCount, Severity::Warning)
                .record(n)
                .byte(at)
                .message("a negative word count")
                .sagemaker(format!(
                    "{} models documents as word counts: negative values are invalid input",
                    ctx.algorithm.title()
                ))
                .fix("use non-negative counts (bag of words)")
        });
    }
}

fn check_seq2seq(ctx: &FileCtx<'_>, r: &Record, n: u64, at: u64, w: &mut Work) {
    for (i, key) in ["source", "target"].into_iter().enumerate() {
        let problem = match r.feature(key) {
            None => Some(format!("the record has no features[\"{key}\"]")),
            Some(Value::Int32(t)) if t.values.is_empty() => {
                Some(format!("features[\"{key}\"] is empty"))
            }
            Some(Value::Int32(t)) => {
                if t.values.iter().any(|&v| v < 0) {
                    Some(format!("features[\"{key}\"] holds a negative token id"))
                } else {
                    let len = t.values.len() as u64;
                    let top = t.values.iter().copied().max().unwrap_or(0) as u64 + 1;
                    w.stats.vocab[i] = w.stats.vocab[i].max(top);
                    w.stats.max_len[i] = w.stats.max_len[i].max(len);
                    if i == 0 {
                        w.stats.seq(len);
                    }
                    None
                }
            }
            Some(v) => Some(format!(
                "features[\"{key}\"] is a {}, not an Int32Tensor of token ids",
                dtype_name(v)
            )),
        };
        if let Some(p) = problem {
            w.out.add(Check::Seq2seqTokens, Severity::Error, || {
                Finding::new(Check::Seq2seqTokens, Severity::Error)
                    .record(n)
                    .byte(at)
                    .message(p)
                    .sagemaker(format!(
                        "{} reads features[\"source\"] and features[\"target\"] as non-empty Int32Tensor token-id lists (spec §2.3)",
                        ctx.algorithm.title()
                    ))
                    .fix("write the records with the vocabulary script of the AWS example (create_vocab_proto.py): Int32 ids, empty lines skipped")
            });
        }
    }
}

#[cfg(test)]
mod tests {
    //! The fast path against the full path alone: the same findings,
    //! tallies, statistics and errors, for every algorithm that reads
    //! RecordIO-protobuf, over the test corpus and generated records.

    use super::*;
    use crate::validate::{Algorithm, InputKind};

    #[test]
    fn packed_f32_tallies_are_the_value_by_value_tallies() {
        let specials = [
            0.0f32,
            -0.0,
            1.0,
            -1.0,
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MIN_POSITIVE / 2.0,
            -f32::MIN_POSITIVE / 2.0,
            f32::MAX,
            -3.5e-20,
        ];
        let mut rng = Rng(7);
        for round in 0..200 {
            let len = (rng.below(300) + round % 3) as usize;
            let vals: Vec<f32> = (0..len)
                .map(|_| match rng.below(3) {
                    0 => specials[rng.below(specials.len() as u64) as usize],
                    1 => f32::from_bits(rng.next() as u32),
                    _ => 0.0,
                })
                .collect();
            let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
            let (mut bulk, mut each) = (Features::default(), Features::default());
            bulk.values_f32(&bytes);
            for &v in &vals {
                each.value_f32(v);
            }
            assert_eq!(
                (bulk.values, bulk.nan, bulk.not_zero, bulk.negative),
                (each.values, each.nan, each.not_zero, each.negative),
                "{vals:?}"
            );
        }
    }

    /// A deterministic xorshift64* generator.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn one_in(&mut self, n: u64) -> bool {
            self.below(n) == 0
        }
    }

    /// Everything a chunk check leaves, as text, and the records the fast
    /// path handled.
    fn outcome(alg: Algorithm, max: usize, data: &[u8], fast: bool) -> (String, u64, u64) {
        let rules = alg
            .rules_for(InputKind::RecordioProtobuf)
            .expect("reads RecordIO-protobuf");
        let ctx = FileCtx {
            name: "t.pbr",
            rules,
            algorithm: alg,
            max,
            delimiter: b',',
            label_size: 0,
            strict_until: 0,
        };
        let mut w = Work::new(max);
        let r = check_bytes(&ctx, &recordio::Decoder::new(), data, 64, &mut w, fast);
        let handled = r.as_ref().map_or(0, |h| h.0);
        let text = format!(
            "result {:?}\nfindings {:#?}\ncounts {:?}\ntallies {:#?}\nstats {:?}\nrecords {}",
            r.map(|_| ()).map_err(|e| e.to_string()),
            w.out.findings,
            w.out.counts,
            w.tallies,
            w.stats,
            w.records
        );
        (text, handled, w.records)
    }

    /// Asserts that both paths agree on `data` for every algorithm reading
    /// RecordIO-protobuf and several limits; returns the records handled
    /// by the fast path, per algorithm.
    fn assert_same(what: &str, data: &[u8]) -> Vec<(Algorithm, u64)> {
        let mut handled = Vec::new();
        for alg in Algorithm::ALL {
            if alg.rules_for(InputKind::RecordioProtobuf).is_none() {
                continue;
            }
            let mut h = 0;
            for max in [0, 1, 3, 10] {
                let (full, none, _) = outcome(alg, max, data, false);
                assert_eq!(none, 0);
                let (fast, n, _) = outcome(alg, max, data, true);
                if fast != full {
                    let line = fast
                        .lines()
                        .zip(full.lines())
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    panic!(
                        "{what}: {alg:?}, max {max}: the fast path differs from line {line}\n--- fast\n{fast}\n--- full\n{full}"
                    );
                }
                h += n;
            }
            handled.push((alg, h));
        }
        handled
    }

    fn handled_by(h: &[(Algorithm, u64)], alg: Algorithm) -> u64 {
        h.iter().find(|x| x.0 == alg).map_or(0, |x| x.1)
    }

    fn pbr_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                pbr_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "pbr") {
                out.push(p);
            }
        }
    }

    #[test]
    fn fast_path_agrees_on_every_test_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut files = Vec::new();
        pbr_files(&root, &mut files);
        let mut goldens = 0;
        files.sort();
        assert!(files.len() >= 16, "{files:?}");
        let mut fast = 0;
        for f in &files {
            let data = std::fs::read(f).unwrap();
            let h = assert_same(&f.display().to_string(), &data);
            fast += h.iter().map(|x| x.1).sum::<u64>();
            // The SDK's goldens are clean for the generic checks: every
            // record takes the fast path.
            if f.parent() == Some(&root.join("recordio-protobuf")) {
                let (_, n, records) = outcome(Algorithm::Generic, 10, &data, true);
                assert_eq!(n, records, "{}", f.display());
                goldens += 1;
            }
        }
        assert_eq!(goldens, 7);
        assert!(fast > 0);
    }

    // -----------------------------------------------------------------
    // A protobuf writer with the freedom the wire format allows.

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn tag(out: &mut Vec<u8>, field: u64, wire: u64) {
        varint(out, field << 3 | wire);
    }

    fn len_field(out: &mut Vec<u8>, field: u64, body: &[u8]) {
        tag(out, field, 2);
        varint(out, body.len() as u64);
        out.extend_from_slice(body);
    }

    /// Sometimes an unknown field of a random wire type.
    fn noise(out: &mut Vec<u8>, rng: &mut Rng) {
        if !rng.one_in(6) {
            return;
        }
        let field = 20 + rng.below(5);
        match rng.below(5) {
            0 => {
                tag(out, field, 0);
                varint(out, rng.next() >> rng.below(64));
            }
            1 => {
                tag(out, field, 1);
                out.extend_from_slice(&rng.next().to_le_bytes());
            }
            2 => len_field(out, field, b"xyz"),
            3 => {
                tag(out, field, 5);
                out.extend_from_slice(&[1, 2, 3, 4]);
            }
            _ => {
                tag(out, field, 3);
                tag(out, field + 1, 0);
                varint(out, 7);
                tag(out, field, 4);
            }
        }
    }

    /// A record's features and label maps.
    type Maps = (Vec<(&'static str, V)>, Vec<(&'static str, V)>);

    #[derive(Debug, Clone)]
    enum V {
        Empty,
        Bytes,
        Tensor {
            dtype: Dtype,
            values: Vec<f64>,
            keys: Vec<u64>,
            shape: Vec<u64>,
        },
    }

    /// The tensor's fields as separately emitted pieces, each packed or
    /// not and possibly split in two.
    fn tensor_pieces(
        dtype: Dtype,
        values: &[f64],
        keys: &[u64],
        shape: &[u64],
        rng: &mut Rng,
    ) -> Vec<Vec<u8>> {
        let mut pieces = Vec::new();
        let put_value = |out: &mut Vec<u8>, v: f64| match dtype {
            Dtype::Float32 => out.extend_from_slice(&(v as f32).to_le_bytes()),
            Dtype::Float64 => out.extend_from_slice(&v.to_le_bytes()),
            Dtype::Int32 => varint(out, v as i32 as i64 as u64),
        };
        let wire = match dtype {
            Dtype::Float32 => 5,
            Dtype::Float64 => 1,
            Dtype::Int32 => 0,
        };
        let split = |n: usize, rng: &mut Rng| {
            if n > 1 && rng.one_in(3) {
                rng.below(n as u64) as usize
            } else {
                n
            }
        };
        let at = split(values.len(), rng);
        for part in [&values[..at], &values[at..]] {
            if part.is_empty() {
                continue;
            }
            if rng.one_in(4) {
                for &v in part {
                    let mut p = Vec::new();
                    tag(&mut p, 1, wire);
                    put_value(&mut p, v);
                    pieces.push(p);
                }
            } else {
                let mut body = Vec::new();
                part.iter().for_each(|&v| put_value(&mut body, v));
                let mut p = Vec::new();
                len_field(&mut p, 1, &body);
                pieces.push(p);
            }
        }
        for (field, vals) in [(2, keys), (3, shape)] {
            let at = split(vals.len(), rng);
            for part in [&vals[..at], &vals[at..]] {
                if part.is_empty() {
                    continue;
                }
                if rng.one_in(4) {
                    for &v in part {
                        let mut p = Vec::new();
                        tag(&mut p, field, 0);
                        varint(&mut p, v);
                        pieces.push(p);
                    }
                } else {
                    let mut body = Vec::new();
                    part.iter().for_each(|&v| varint(&mut body, v));
                    let mut p = Vec::new();
                    len_field(&mut p, field, &body);
                    pieces.push(p);
                }
            }
        }
        // Fields of different numbers in any order; the order of one
        // field's pieces stays.
        if rng.one_in(3) {
            let (mut a, mut b): (Vec<_>, Vec<_>) = pieces.into_iter().partition(|p| p[0] >> 3 == 1);
            b.append(&mut a);
            pieces = b;
        }
        pieces
    }

    /// The occurrences of the `Value` message for `v` (merged by the
    /// decoder), possibly after a replaced `oneof` member.
    fn value_occurrences(v: &V, rng: &mut Rng) -> Vec<Vec<u8>> {
        let mut decoy = Vec::new();
        if rng.one_in(5) {
            // A member that a later one replaces.
            len_field(
                &mut decoy,
                [2, 3, 7, 9][rng.below(4) as usize],
                &[0x0a, 0x00],
            );
        }
        let mut occs = Vec::new();
        match v {
            V::Empty => {
                let mut o = Vec::new();
                noise(&mut o, rng);
                occs.push(o);
            }
            V::Bytes => {
                let mut body = Vec::new();
                len_field(&mut body, 1, b"\x00\x01");
                if rng.one_in(2) {
                    len_field(&mut body, 2, b"text/plain");
                }
                let mut o = decoy;
                len_field(&mut o, 9, &body);
                occs.push(o);
            }
            V::Tensor {
                dtype,
                values,
                keys,
                shape,
            } => {
                let member = match dtype {
                    Dtype::Float32 => 2,
                    Dtype::Float64 => 3,
                    Dtype::Int32 => 7,
                };
                let pieces = tensor_pieces(*dtype, values, keys, shape, rng);
                let cut = if pieces.len() > 1 && rng.one_in(3) {
                    rng.below(pieces.len() as u64) as usize
                } else {
                    pieces.len()
                };
                for (i, group) in [&pieces[..cut], &pieces[cut..]].into_iter().enumerate() {
                    if i == 1 && group.is_empty() {
                        continue;
                    }
                    let mut body = Vec::new();
                    for p in group {
                        noise(&mut body, rng);
                        body.extend_from_slice(p);
                    }
                    noise(&mut body, rng);
                    let mut o = if i == 0 { decoy.clone() } else { Vec::new() };
                    noise(&mut o, rng);
                    len_field(&mut o, member, &body);
                    occs.push(o);
                }
            }
        }
        occs
    }

    fn entry(key: &str, v: &V, rng: &mut Rng) -> Vec<u8> {
        let mut e = Vec::new();
        let key_last = rng.one_in(3);
        if !key_last {
            len_field(&mut e, 1, key.as_bytes());
        }
        for o in value_occurrences(v, rng) {
            noise(&mut e, rng);
            len_field(&mut e, 2, &o);
        }
        if key_last {
            len_field(&mut e, 1, key.as_bytes());
        }
        e
    }

    /// A payload with the given maps, in one of the many encodings the
    /// decoder accepts.
    fn payload(features: &[(&str, V)], label: &[(&str, V)], rng: &mut Rng) -> Vec<u8> {
        let mut entries: Vec<(u64, Vec<u8>)> = Vec::new();
        for (field, map) in [(1, features), (2, label)] {
            for (k, v) in map {
                if rng.one_in(6) {
                    // An earlier entry of the same key, which the last wins over.
                    entries.push((field, entry(k, &V::Bytes, rng)));
                }
                entries.push((field, entry(k, v, rng)));
            }
        }
        // Labels before features, or interleaved: map order is per map.
        if rng.one_in(3) {
            entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        }
        let mut out = Vec::new();
        for (field, e) in entries {
            noise(&mut out, rng);
            len_field(&mut out, field, &e);
        }
        if rng.one_in(5) {
            len_field(&mut out, 3 + rng.below(3), b"record-1");
        }
        noise(&mut out, rng);
        out
    }

    fn value(rng: &mut Rng, dtype: Dtype) -> f64 {
        let v = match rng.below(12) {
            0 => -1.0,
            1 => -0.0,
            2 => f64::NAN,
            3 => 0.5,
            4 => 1e10,
            5..=7 => 0.0,
            _ => (rng.below(4)) as f64,
        };
        if dtype == Dtype::Int32 && (v.is_nan() || v.fract() != 0.0 || v.abs() > 1e9) {
            return 3.0;
        }
        v
    }

    fn dtype(rng: &mut Rng) -> Dtype {
        [Dtype::Float32, Dtype::Float32, Dtype::Float64, Dtype::Int32][rng.below(4) as usize]
    }

    /// A random features tensor: mostly well formed, dense or sparse.
    fn features(rng: &mut Rng, width: u64) -> V {
        let d = dtype(rng);
        if rng.one_in(2) {
            let n = if rng.one_in(8) { rng.below(6) } else { width };
            let shape = match rng.below(8) {
                0 => vec![n],
                1 => vec![n + 1],
                2 if n % 2 == 0 => vec![2, n / 2],
                _ => vec![],
            };
            V::Tensor {
                dtype: d,
                values: (0..n).map(|_| value(rng, d)).collect(),
                keys: vec![],
                shape,
            }
        } else {
            let mut keys: Vec<u64> = (0..width).filter(|_| rng.one_in(3)).collect();
            if rng.one_in(10) {
                keys.push(width + rng.below(3));
            }
            let n = if rng.one_in(10) {
                keys.len() as u64 + 1
            } else {
                keys.len() as u64
            };
            let shape = match rng.below(10) {
                0 => vec![],
                1 => vec![2, width.div_ceil(2)],
                _ => vec![width],
            };
            V::Tensor {
                dtype: d,
                values: (0..n).map(|_| value(rng, d)).collect(),
                keys,
                shape,
            }
        }
    }

    /// A random numeric record (features, label).
    fn numeric_record(rng: &mut Rng) -> Maps {
        let width = [4, 4, 4, 1, 7][rng.below(5) as usize];
        let mut f = Vec::new();
        match rng.below(20) {
            0 => {}
            1 => f.push(("values", V::Empty)),
            2 => f.push(("values", V::Bytes)),
            3 => f.push(("other", features(rng, width))),
            _ => f.push(("values", features(rng, width))),
        }
        if rng.one_in(8) {
            f.insert(
                rng.below(f.len() as u64 + 1) as usize,
                ("extra", features(rng, 2)),
            );
        }
        let mut l = Vec::new();
        let ld = dtype(rng);
        match rng.below(12) {
            0 => {}
            1 => l.push(("values", V::Empty)),
            2 => l.push(("values", V::Bytes)),
            3 => l.push((
                "values",
                V::Tensor {
                    dtype: ld,
                    values: vec![],
                    keys: vec![],
                    shape: vec![],
                },
            )),
            4 => l.push(("score", features(rng, 1))),
            _ => {
                let v = if rng.one_in(6) {
                    value(rng, ld)
                } else {
                    rng.below(2) as f64
                };
                let extra = if rng.one_in(8) { vec![7.0] } else { vec![] };
                l.push((
                    "values",
                    V::Tensor {
                        dtype: ld,
                        values: std::iter::once(v).chain(extra).collect(),
                        keys: vec![],
                        shape: vec![],
                    },
                ))
            }
        }
        (f, l)
    }

    fn tokens(rng: &mut Rng) -> V {
        let d = if rng.one_in(10) {
            Dtype::Float32
        } else {
            Dtype::Int32
        };
        let n = if rng.one_in(10) { 0 } else { 1 + rng.below(6) };
        V::Tensor {
            dtype: d,
            values: (0..n)
                .map(|_| {
                    if rng.one_in(30) {
                        -2.0
                    } else {
                        rng.below(50) as f64
                    }
                })
                .collect(),
            keys: vec![],
            shape: vec![],
        }
    }

    /// A random seq2seq record.
    fn seq2seq_record(rng: &mut Rng) -> Maps {
        let mut f = Vec::new();
        if !rng.one_in(15) {
            f.push(("source", tokens(rng)));
        }
        if !rng.one_in(15) {
            f.push(("target", tokens(rng)));
        }
        if rng.one_in(2) {
            f.reverse();
        }
        if rng.one_in(10) {
            f.push(("values", features(rng, 3)));
        }
        (f, vec![])
    }

    /// A file of records made by `make`, each repeated a few times (new
    /// encodings of the same record, so that alike records run).
    fn corpus(
        rng: &mut Rng,
        records: usize,
        make: fn(&mut Rng) -> Maps,
    ) -> (Vec<u8>, Vec<Vec<u8>>) {
        let mut file = Vec::new();
        let mut payloads = Vec::new();
        while payloads.len() < records {
            let (f, l) = make(rng);
            for _ in 0..1 + rng.below(8) {
                let p = payload(&f, &l, rng);
                recordio::encode_record(&mut file, &p).unwrap();
                payloads.push(p);
            }
        }
        (file, payloads)
    }

    #[test]
    fn fast_path_agrees_on_generated_records() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for round in 0..6 {
            let (file, _) = corpus(&mut rng, 250, numeric_record);
            let h = assert_same(&format!("numeric round {round}"), &file);
            assert!(handled_by(&h, Algorithm::LinearLearner) > 0, "{h:?}");
            assert!(handled_by(&h, Algorithm::Generic) > 0, "{h:?}");
            let (file, _) = corpus(&mut rng, 120, seq2seq_record);
            let h = assert_same(&format!("seq2seq round {round}"), &file);
            assert!(handled_by(&h, Algorithm::Seq2seq) > 0, "{h:?}");
        }
    }

    #[test]
    fn fast_path_agrees_on_mutated_records() {
        let mut rng = Rng(0x0bad_cafe_0000_0002);
        for round in 0..4 {
            let make = if round % 2 == 0 {
                numeric_record
            } else {
                seq2seq_record
            };
            let (_, payloads) = corpus(&mut rng, 60, make);
            let mut file = Vec::new();
            for p in &payloads {
                let mut m = p.clone();
                let i = rng.below(m.len().max(1) as u64) as usize;
                match rng.below(5) {
                    0 => m.truncate(i),
                    1 if !m.is_empty() => m[i] ^= 1 << rng.below(8),
                    2 if !m.is_empty() => m[i] = rng.next() as u8,
                    3 => m.insert(i, rng.next() as u8),
                    _ if !m.is_empty() => {
                        m.remove(i);
                    }
                    _ => {}
                }
                recordio::encode_record(&mut file, &m).unwrap();
                // Clean records between the broken ones.
                if rng.one_in(2) {
                    recordio::encode_record(&mut file, p).unwrap();
                }
            }
            assert_same(&format!("mutated round {round}"), &file);
        }
    }

    #[test]
    fn records_of_one_shape_agree_with_the_walk() {
        // Runs of records encoded alike (the same encoding choices, as
        // from one writer) whose values and labels differ, some with a
        // flipped bit anywhere: those read through the first one's Shape
        // must give what walking each gives.
        let mut rng = Rng(0x5eed_0000_0000_0011);
        let (mut shaped, mut fast) = (0, 0);
        for round in 0..60 {
            let seed = rng.next();
            let dtype = [Dtype::Float32, Dtype::Float64, Dtype::Int32][round % 3];
            let width = 1 + rng.below(40);
            let labeled = round % 4 != 0;
            let mut file = Vec::new();
            for _ in 0..30 {
                let tensor = |values: Vec<f64>, shape: Vec<u64>| V::Tensor {
                    dtype,
                    values,
                    keys: vec![],
                    shape,
                };
                let values = (0..width).map(|_| value(&mut rng, dtype)).collect();
                let features = [("values", tensor(values, vec![width]))];
                let label = [("values", tensor(vec![value(&mut rng, dtype)], vec![]))];
                let label: &[(&str, V)] = if labeled { &label } else { &[] };
                let mut p = payload(&features, label, &mut Rng(seed));
                if rng.one_in(8) && !p.is_empty() {
                    let i = rng.below(p.len() as u64) as usize;
                    p[i] ^= 1 << rng.below(8);
                }
                recordio::encode_record(&mut file, &p).unwrap();
            }
            assert_same(&format!("one shape, round {round}"), &file);
            let ctx = FileCtx {
                name: "t.pbr",
                rules: Algorithm::Generic
                    .rules_for(InputKind::RecordioProtobuf)
                    .unwrap(),
                algorithm: Algorithm::Generic,
                max: 10,
                delimiter: b',',
                label_size: 0,
                strict_until: 0,
            };
            let mut w = Work::new(10);
            if let Ok((f, s)) = check_bytes(&ctx, &recordio::Decoder::new(), &file, 0, &mut w, true)
            {
                fast += f;
                shaped += s;
            }
        }
        // Most records of a run (all but its first, the flipped ones and
        // runs of unpacked or split values) go through a Shape.
        assert!(shaped > 200 && shaped < fast, "{shaped} of {fast}");
    }

    #[test]
    fn fast_path_checks_every_value_as_the_decoder_does() {
        let mut rng = Rng(3);
        let good = V::Tensor {
            dtype: Dtype::Float32,
            values: vec![1.0, 0.0, 2.0],
            keys: vec![],
            shape: vec![],
        };
        let label = V::Tensor {
            dtype: Dtype::Float32,
            values: vec![1.0],
            keys: vec![],
            shape: vec![],
        };
        let mut base = Vec::new();
        len_field(&mut base, 1, &entry("values", &good, &mut Rng(1)));
        len_field(&mut base, 2, &entry("values", &label, &mut Rng(1)));
        // Broken values under keys the checks do not read, and a broken
        // entry that a later one of the same key replaces (never decoded).
        let f32_of_3_bytes = {
            let mut t = Vec::new();
            len_field(&mut t, 1, &[0, 0, 0]);
            let mut v = Vec::new();
            len_field(&mut v, 2, &t);
            v
        };
        let truncated_int = {
            let mut t = Vec::new();
            len_field(&mut t, 1, &[0x80]);
            let mut v = Vec::new();
            len_field(&mut v, 7, &t);
            v
        };
        let bad_content_type = {
            let mut b = Vec::new();
            len_field(&mut b, 2, &[0xff, 0xfe]);
            let mut v = Vec::new();
            len_field(&mut v, 9, &b);
            v
        };
        let mut cases = Vec::new();
        for (map, broken) in [
            (1, &f32_of_3_bytes),
            (2, &f32_of_3_bytes),
            (1, &truncated_int),
            (2, &bad_content_type),
            (1, &bad_content_type),
        ] {
            let mut e = Vec::new();
            len_field(&mut e, 1, b"extra");
            len_field(&mut e, 2, broken);
            let mut p = base.clone();
            len_field(&mut p, map, &e);
            cases.push((p.clone(), false));
            // The same entry replaced by a good one: decoded fine.
            let mut fixed = Vec::new();
            len_field(&mut fixed, 1, b"extra");
            len_field(&mut fixed, 2, &value_occurrences(&V::Bytes, &mut rng)[0]);
            len_field(&mut p, map, &fixed);
            cases.push((p, true));
        }
        for (i, (p, clean)) in cases.iter().enumerate() {
            assert_eq!(Record::decode(p).is_ok(), *clean, "case {i}");
            let mut file = Vec::new();
            recordio::encode_record(&mut file, &base).unwrap();
            recordio::encode_record(&mut file, p).unwrap();
            let h = assert_same(&format!("case {i}"), &file);
            let expected = 4 * if *clean { 2 } else { 1 };
            assert_eq!(handled_by(&h, Algorithm::Generic), expected, "case {i}");
        }
    }

    #[test]
    fn labels_reach_the_statistics_in_record_order() {
        // -0 and +0 compare equal: the label range keeps whichever came
        // first, so a record of the full path must not overtake labels
        // the fast path still holds.
        let tensor = |values: Vec<f64>| V::Tensor {
            dtype: Dtype::Float64,
            values,
            keys: vec![],
            shape: vec![],
        };
        let mut rng = Rng(9);
        let mut file = Vec::new();
        for (features, label) in [
            (vec![("values", tensor(vec![1.0]))], 0.0),
            (vec![], -0.0),
            (vec![("values", tensor(vec![1.0]))], -0.0),
        ] {
            let p = payload(&features, &[("values", tensor(vec![label]))], &mut rng);
            recordio::encode_record(&mut file, &p).unwrap();
        }
        assert_same("signed zeros", &file);
        let (text, _, _) = outcome(Algorithm::Generic, 10, &file, true);
        assert!(text.contains("label_range: Some((0.0, 0.0))"), "{text}");
    }

    #[test]
    fn a_key_of_u64_max_is_reported_not_a_panic() {
        let features = V::Tensor {
            dtype: Dtype::Float32,
            values: vec![1.0],
            keys: vec![u64::MAX],
            shape: vec![],
        };
        let mut file = Vec::new();
        let p = payload(&[("values", features)], &[], &mut Rng(5));
        recordio::encode_record(&mut file, &p).unwrap();
        assert_same("u64::MAX key", &file);
        let (text, _, _) = outcome(Algorithm::Generic, 10, &file, true);
        assert!(text.contains("no shape specified"), "{text}");
        assert!(text.contains(&format!("dim: {}", u64::MAX)), "{text}");
    }
}
