//! `text/libsvm`: sparse examples, one per line, as `label idx:val ...`.
//!
//! # Conventions
//!
//! - A line is `label [qid:N] idx:val idx:val ... [# comment]`. Tokens are
//!   separated by runs of spaces or tabs; trailing spaces, tabs and a `\r`
//!   (CRLF files) are fine. Blank lines and lines whose first non-blank
//!   character is `#` are skipped but counted in [`Batch::lines`]. A
//!   UTF-8 byte-order mark at the start of the input is skipped.
//! - **Indices are 0-based by default**, as SageMaker XGBoost training reads
//!   them (dmlc `indexing_mode=0`, spec §8.4). With
//!   [`LibsvmOptions::one_based`] (libsvm's own tools, `zero_based=False` in
//!   scikit-learn) index 0 is an error and every index is shifted down by
//!   one, so a decoded [`Batch`] always holds 0-based column indices. No
//!   guessing, unlike the 2026 XGBoost inference path.
//! - The label is one number (`nan` and `inf` allowed). Instance weights
//!   (`label:weight`, which the XGBoost validator accepts) and multi-label
//!   lists (`1,3`, scikit-learn's `multilabel=True`) are errors. A `qid:N`
//!   token right after the label (ranking data) is checked and ignored.
//! - Entries are kept in file order: indices are neither sorted nor
//!   de-duplicated, and explicit zeros and `nan` values are kept. The batch
//!   is sparse with an unknown width ([`Batch::shapes`] is empty): the
//!   width of a LibSVM file is not stated anywhere, so callers that need it
//!   pass it in (`--num-features`) or take [`Batch::max_columns`]. A line
//!   with only a label is a record without features (an all-zero row).
//! - Values and labels are read as `f64` ([`Dtype::Float64`]).
//!
//! # Writing
//!
//! [`Encoder`] writes `label idx:val idx:val\n` like scikit-learn's
//! `dump_svmlight_file`, except that a record without features is written as
//! `label\n` (scikit-learn writes `label \n`; both read back the same).
//! Sparse rows are written entry by entry as stored; dense rows skip exact
//! zeros and keep NaN as an explicit `idx:nan`. Every record needs exactly
//! one label.

use crate::batch::{Batch, Dtype};
use crate::codec::text::{parse_f64, parse_u64, snippet, write_u64, write_value};
use crate::codec::{BatchEncoder, ChunkDecoder};
use crate::error::{Error, Result};

const FORMAT: &str = "libsvm";
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Options for reading and writing LibSVM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LibsvmOptions {
    /// True when the file's feature indices start at 1 (libsvm's tools);
    /// false (the default) for 0-based indices, which SageMaker XGBoost
    /// training reads.
    pub one_based: bool,
}

/// Decodes chunks of LibSVM lines into sparse [`Batch`]es.
#[derive(Debug, Clone)]
pub struct Decoder {
    opts: LibsvmOptions,
}

#[inline]
fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

/// The entry at the start of `t` when it is `D+:` (at most 18 digits) then
/// a plain decimal ([`parse_plain_prefix`](crate::codec::text::parse_plain_prefix))
/// ending at a separator or the end of `t`: (index, value, entry length).
#[inline(always)]
fn plain_entry(t: &[u8]) -> Option<(u64, f64, usize)> {
    let mut j = 0;
    let mut idx = 0u64;
    while let Some(&b) = t.get(j) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        idx = idx * 10 + d as u64;
        j += 1;
        if j > 18 {
            return None;
        }
    }
    if j == 0 || t.get(j) != Some(&b':') {
        return None;
    }
    let (val, n) = crate::codec::text::parse_plain_prefix(&t[j + 1..])?;
    let end = j + 1 + n;
    match t.get(end) {
        None => Some((idx, val, end)),
        Some(&b) if is_sep(b) => Some((idx, val, end)),
        _ => None,
    }
}

/// Offset of the first non-separator byte of `l` at or after `i`.
#[inline]
fn skip_seps(l: &[u8], mut i: usize) -> usize {
    while i < l.len() && is_sep(l[i]) {
        i += 1;
    }
    i
}

/// The end of the token starting at `i`, and the offset of its first `:`
/// (`usize::MAX` when none).
#[inline]
fn token_end(l: &[u8], mut i: usize) -> (usize, usize) {
    let mut colon = usize::MAX;
    while i < l.len() {
        let b = l[i];
        if is_sep(b) {
            break;
        }
        if b == b':' && colon == usize::MAX {
            colon = i;
        }
        i += 1;
    }
    (i, colon)
}

/// The line starting at `pos` without its `\n`, and the offset of the next
/// line.
#[inline]
fn line_at(chunk: &[u8], pos: usize) -> (&[u8], usize) {
    match memchr::memchr(b'\n', &chunk[pos..]) {
        Some(k) => (&chunk[pos..pos + k], pos + k + 1),
        None => (&chunk[pos..], chunk.len()),
    }
}

/// Where a token is, for error positions.
#[derive(Clone, Copy)]
struct At {
    line: u64,
    record: u64,
    field: u64,
    byte: usize,
}

#[cold]
#[inline(never)]
fn err(msg: String, at: At) -> Error {
    Error::syntax(FORMAT, msg)
        .at_line(at.line)
        .at_record(at.record)
        .at_field(at.field)
        .at_byte(at.byte as u64)
}

#[cold]
#[inline(never)]
fn label_error(tok: &[u8], at: At) -> Error {
    let s = snippet(tok, 40);
    let numeric_before =
        |sep: u8| memchr::memchr(sep, tok).is_some_and(|k| parse_f64(&tok[..k]).is_some());
    let msg = if numeric_before(b':') {
        format!(
            "instance weights are not supported: found {s:?} (label:weight) where a label was expected; remove the weight"
        )
    } else if numeric_before(b',') {
        format!(
            "multi-label records are not supported: found {s:?} where one label was expected (or is this CSV?)"
        )
    } else {
        format!("expected a numeric label, found {s:?}")
    };
    err(msg, at)
}

#[cold]
#[inline(never)]
fn entry_error(tok: &[u8], colon: usize, one_based: bool, at: At) -> Error {
    let s = snippet(tok, 40);
    let n = at.field + 1;
    let msg = if colon == usize::MAX {
        format!("expected index:value in field {n}, found {s:?}")
    } else if parse_u64(&tok[..colon]).is_none() {
        format!(
            "expected a non-negative integer feature index before ':' in field {n}, found {s:?}"
        )
    } else if one_based && parse_u64(&tok[..colon]) == Some(0) {
        format!(
            "feature index 0 in field {n} ({s:?}), but the indices of this input are 1-based (read it as 0-based if index 0 is a feature)"
        )
    } else {
        format!("expected a number after ':' in field {n}, found {s:?}")
    };
    err(msg, at)
}

impl Decoder {
    /// A decoder with the given options.
    pub fn new(opts: LibsvmOptions) -> Decoder {
        Decoder { opts }
    }

    /// The options this decoder was built with.
    pub fn options(&self) -> &LibsvmOptions {
        &self.opts
    }

    /// Decodes one line starting at chunk offset `base` into `out` (nothing
    /// when the line is blank or a comment).
    #[inline]
    fn line(&self, l: &[u8], base: usize, line: u64, out: &mut Batch) -> Result<()> {
        let l = match memchr::memchr(b'#', l) {
            Some(k) => &l[..k],
            None => l,
        };
        let mut i = skip_seps(l, 0);
        if i == l.len() {
            return Ok(());
        }
        let mut at = At {
            line,
            record: out.len() as u64,
            field: 0,
            byte: base + i,
        };
        let (e, _) = token_end(l, i);
        let label = match parse_f64(&l[i..e]) {
            Some(v) => v,
            None => return Err(label_error(&l[i..e], at)),
        };
        i = skip_seps(l, e);
        // An optional query id right after the label.
        if l[i..].starts_with(b"qid:") {
            let (e, _) = token_end(l, i);
            if parse_u64(&l[i + 4..e]).is_none() {
                at.field = 1;
                at.byte = base + i;
                return Err(err(
                    format!(
                        "expected qid:N with a non-negative integer N in field 2, found {:?}",
                        snippet(&l[i..e], 40)
                    ),
                    at,
                ));
            }
            i = skip_seps(l, e);
            at.field = 1;
        }
        let one_based = self.opts.one_based;
        while i < l.len() {
            at.field += 1;
            // The common entry, `digits:plain-decimal` then a separator or
            // the end, read in one pass; anything else (and every error)
            // takes the general path below.
            if let Some((idx, val, e)) = plain_entry(&l[i..])
                && !(one_based && idx == 0)
            {
                out.indices.push(idx - one_based as u64);
                out.values.push(val);
                i = skip_seps(l, i + e);
                continue;
            }
            let (e, colon) = token_end(l, i);
            let tok = &l[i..e];
            let idx = if colon == usize::MAX {
                None
            } else {
                match parse_u64(&l[i..colon]) {
                    Some(0) if one_based => None,
                    Some(j) => Some(j - one_based as u64),
                    None => None,
                }
            };
            let val = if colon == usize::MAX {
                None
            } else {
                parse_f64(&l[colon + 1..e])
            };
            let (Some(idx), Some(val)) = (idx, val) else {
                at.byte = base + i;
                let colon = if colon == usize::MAX {
                    colon
                } else {
                    colon - i
                };
                return Err(entry_error(tok, colon, one_based, at));
            };
            out.indices.push(idx);
            out.values.push(val);
            i = skip_seps(l, e);
        }
        out.labels.push(label);
        out.end_row();
        Ok(())
    }
}

impl ChunkDecoder for Decoder {
    fn decode(&self, chunk: &[u8], first: bool, out: &mut Batch) -> Result<()> {
        out.clear();
        out.dtype = Dtype::Float64;
        out.label_dtype = Dtype::Float64;
        out.sparse = true;
        let mut pos = if first && chunk.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let mut line = 0u64;
        while pos < chunk.len() {
            let (l, next) = line_at(chunk, pos);
            self.line(l, pos, line, out)?;
            line += 1;
            pos = next;
        }
        out.lines = line;
        Ok(())
    }

    fn count(&self, chunk: &[u8], first: bool) -> Result<u64> {
        let mut pos = if first && chunk.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let mut records = 0u64;
        while pos < chunk.len() {
            let (l, next) = line_at(chunk, pos);
            let i = skip_seps(l, 0);
            if i < l.len() && l[i] != b'#' {
                records += 1;
            }
            pos = next;
        }
        Ok(records)
    }

    /// Scans only the indices (values are not parsed): much cheaper than
    /// `decode` for the width pre-pass. Malformed tokens are skipped here;
    /// the decoding pass reports them.
    fn columns(&self, chunk: &[u8], _first: bool) -> Result<u64> {
        if memchr::memchr(b'#', chunk).is_some() {
            return Ok(self.columns_by_line(chunk));
        }
        // No comments: every index is the run of digits right before a
        // colon, starting a token. memchr finds the colons (SIMD), so this
        // touches a few bytes per entry instead of every byte of the chunk.
        let mut max = 0u64;
        for_each_byte(chunk, b':', |colon| {
            // Parse the digits right to left while finding where they start.
            let mut start = colon;
            let (mut idx, mut scale) = (0u64, 1u64);
            while start > 0 && colon - start < 19 {
                let d = chunk[start - 1].wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                idx += d as u64 * scale;
                scale *= 10;
                start -= 1;
            }
            if start == colon {
                return;
            }
            if start > 0 && chunk[start - 1].is_ascii_digit() {
                // 20 digits or more: rare, let the strict parser decide.
                while start > 0 && chunk[start - 1].is_ascii_digit() {
                    start -= 1;
                }
                match parse_u64(&chunk[start..colon]) {
                    Some(v) => idx = v,
                    None => return,
                }
            }
            let before = if start == 0 { b'\n' } else { chunk[start - 1] };
            if (before == b'\n' || is_sep(before)) && !line_head(chunk, start) {
                max = max.max(self.width_of(idx));
            }
        });
        Ok(max)
    }
}

/// Calls `f` with the offset of every `b` in `s`, in order. For bytes that
/// occur every few bytes (the colons of LibSVM entries) this is much
/// cheaper than `memchr_iter`, which restarts its vector search after each
/// match: here 64 bytes at a time become a bit mask (SSE2 compares), whose
/// set bits are visited.
#[inline]
fn for_each_byte(s: &[u8], b: u8, mut f: impl FnMut(usize)) {
    let (blocks, rest) = s.as_chunks::<64>();
    for (k, block) in blocks.iter().enumerate() {
        let mut m = eq_mask64(block, b);
        while m != 0 {
            f(k * 64 + m.trailing_zeros() as usize);
            m &= m - 1;
        }
    }
    let base = blocks.len() * 64;
    for (i, &c) in rest.iter().enumerate() {
        if c == b {
            f(base + i);
        }
    }
}

/// Bit i set when `block[i] == b`.
#[inline(always)]
fn eq_mask64(block: &[u8; 64], b: u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        let mut m = 0u64;
        // SAFETY: SSE2 is part of x86_64; each load reads 16 of the
        // block's 64 bytes.
        unsafe {
            let needle = _mm_set1_epi8(b as i8);
            for j in 0..4 {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * j).cast::<__m128i>());
                m |= (_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle)) as u16 as u64) << (16 * j);
            }
        }
        m
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut m = 0u64;
        for (i, &c) in block.iter().enumerate() {
            m |= ((c == b) as u64) << i;
        }
        m
    }
}

/// Whether the token at `start` is the first of its line (the label, whose
/// colon, if any, is not an index).
#[inline]
fn line_head(chunk: &[u8], start: usize) -> bool {
    let mut i = start;
    while i > 0 && is_sep(chunk[i - 1]) {
        i -= 1;
    }
    i == 0 || chunk[i - 1] == b'\n'
}

impl Decoder {
    /// The width an index gives: one past its 0-based value.
    #[inline]
    fn width_of(&self, idx: u64) -> u64 {
        let zero_based = if self.opts.one_based {
            idx.saturating_sub(1)
        } else {
            idx
        };
        zero_based.saturating_add(1)
    }

    /// `columns` line by line, for chunks with comments.
    fn columns_by_line(&self, chunk: &[u8]) -> u64 {
        let mut max = 0u64;
        let mut pos = 0;
        while pos < chunk.len() {
            let (l, next) = line_at(chunk, pos);
            pos = next;
            let l = match memchr::memchr(b'#', l) {
                Some(h) => &l[..h],
                None => l,
            };
            let mut i = skip_seps(l, 0);
            if i >= l.len() {
                continue;
            }
            i = token_end(l, i).0;
            loop {
                i = skip_seps(l, i);
                if i >= l.len() {
                    break;
                }
                let (end, colon) = token_end(l, i);
                if colon != usize::MAX
                    && let Some(idx) = parse_u64(&l[i..colon])
                {
                    max = max.max(self.width_of(idx));
                }
                i = end;
            }
        }
        max
    }
}

/// Encodes batches as LibSVM lines.
#[derive(Debug, Clone)]
pub struct Encoder {
    opts: LibsvmOptions,
}

impl Encoder {
    /// An encoder with the given options (`one_based` writes every index
    /// plus one).
    pub fn new(opts: LibsvmOptions) -> Encoder {
        Encoder { opts }
    }

    /// The options this encoder was built with.
    pub fn options(&self) -> &LibsvmOptions {
        &self.opts
    }
}

/// Appends ` idx:val`.
#[inline]
fn write_entry(out: &mut Vec<u8>, idx: u64, v: f64, dtype: Dtype) {
    out.push(b' ');
    write_u64(out, idx);
    out.push(b':');
    write_value(out, v, dtype);
}

impl BatchEncoder for Encoder {
    fn encode(&self, batch: &Batch, out: &mut Vec<u8>) -> Result<()> {
        let shift = self.opts.one_based as u64;
        for i in 0..batch.len() {
            let labels = batch.row_labels(i);
            let [label] = labels else {
                return Err(Error::unsupported(format!(
                    "LibSVM needs exactly one label per record, but this record has {}; give the input a label (for CSV, a label column: label_size=1)",
                    labels.len()
                ))
                .at_record(i as u64));
            };
            write_value(out, *label, batch.row_label_dtype(i));
            let vals = batch.row_values(i);
            if batch.sparse {
                for (&j, &v) in batch.row_indices(i).iter().zip(vals) {
                    let Some(j) = j.checked_add(shift) else {
                        return Err(Error::unsupported(format!(
                            "feature index {j} is too large to write 1-based"
                        ))
                        .at_record(i as u64));
                    };
                    write_entry(out, j, v, batch.row_dtype(i));
                }
            } else {
                for (j, &v) in vals.iter().enumerate() {
                    if v != 0.0 {
                        write_entry(out, j as u64 + shift, v, batch.row_dtype(i));
                    }
                }
            }
            out.push(b'\n');
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const ZERO: LibsvmOptions = LibsvmOptions { one_based: false };
    const ONE: LibsvmOptions = LibsvmOptions { one_based: true };

    fn decode_with(o: LibsvmOptions, s: &[u8]) -> Batch {
        let d = Decoder::new(o);
        let mut b = Batch::default();
        d.decode(s, true, &mut b).unwrap();
        assert_eq!(d.count(s, true).unwrap(), b.len() as u64, "count disagrees");
        b
    }

    fn decode(s: &[u8]) -> Batch {
        decode_with(ZERO, s)
    }

    fn decode_err_with(o: LibsvmOptions, s: &[u8]) -> Error {
        let mut b = Batch::default();
        Decoder::new(o).decode(s, false, &mut b).unwrap_err()
    }

    fn decode_err(s: &[u8]) -> Error {
        decode_err_with(ZERO, s)
    }

    /// (line, record, field, byte) of an error.
    fn pos(e: &Error) -> (Option<u64>, Option<u64>, Option<u64>, Option<u64>) {
        let p = e.position();
        (p.line, p.record, p.field, p.byte)
    }

    fn msg(e: &Error) -> String {
        match e.kind() {
            ErrorKind::Syntax { format, msg } => {
                assert_eq!(*format, "libsvm");
                msg.clone()
            }
            ErrorKind::Unsupported(m) => m.clone(),
            k => panic!("unexpected error kind {k:?}"),
        }
    }

    /// Rows as (label, [(index, value)]).
    fn rows(b: &Batch) -> Vec<(f64, Vec<(u64, f64)>)> {
        (0..b.len())
            .map(|i| {
                let [label] = b.row_labels(i) else {
                    panic!("row {i}")
                };
                let e = b
                    .row_indices(i)
                    .iter()
                    .copied()
                    .zip(b.row_values(i).iter().copied());
                (*label, e.collect())
            })
            .collect()
    }

    fn sparse(dtype: Dtype, data: &[(f64, &[(u64, f64)])]) -> Batch {
        let mut b = Batch::new(dtype);
        b.sparse = true;
        for (label, entries) in data {
            b.labels.push(*label);
            for &(j, v) in *entries {
                b.indices.push(j);
                b.values.push(v);
            }
            b.end_row();
        }
        b
    }

    fn encode_with(o: LibsvmOptions, b: &Batch) -> Result<String> {
        let mut out = Vec::new();
        let e = Encoder::new(o);
        assert!(e.header().is_empty());
        assert!(!e.needs_uniform_width());
        e.encode(b, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn encode(b: &Batch) -> String {
        encode_with(ZERO, b).unwrap()
    }

    #[test]
    fn decodes_zero_based_sparse_rows() {
        let b = decode(b"1 0:0.5 3:-2\n0 2:1e3\n");
        assert!(b.sparse);
        assert!(b.shapes.is_empty());
        assert_eq!((b.dtype, b.label_dtype), (Dtype::Float64, Dtype::Float64));
        assert_eq!(
            rows(&b),
            vec![(1.0, vec![(0, 0.5), (3, -2.0)]), (0.0, vec![(2, 1000.0)])]
        );
        assert_eq!(b.lines, 2);
        assert_eq!(b.max_columns(), 4);
        let b = decode(b"1 0:1\n2 1:2");
        assert_eq!((b.len(), b.lines), (2, 2));
        let b = decode(b"");
        assert_eq!((b.len(), b.lines), (0, 0));
    }

    #[test]
    fn the_colon_scan_finds_the_width_the_line_scan_finds() {
        let cases: &[&[u8]] = &[
            b"1 0:0.5 3:-2\n0 2:1e3\n",
            b"1 qid:7 12:1 5:2\r\n0 99999:1\r\n",
            b"  1   40:1\t41:2  \n\n\t\n0 1:1",
            b"1:9 3:1\n",  // a label with a colon is not an index
            b"a7:1 3:1\n", // neither is a first token that is not a label
            b"1 3:4:5 +8:1 x9:1 7x:1 :4 6:\n",
            b"\xEF\xBB\xBF1 4:1\n",
            b"",
            b"1\n0\n",
            b"1 18446744073709551615:1\n",
            b"1 18446744073709551616:1 2:1\n",
        ];
        for o in [ZERO, ONE] {
            let d = Decoder::new(o);
            for c in cases {
                assert_eq!(
                    d.columns(c, true).unwrap(),
                    d.columns_by_line(c),
                    "{:?} one_based={}",
                    String::from_utf8_lossy(c),
                    o.one_based
                );
            }
        }
        let d = Decoder::new(ZERO);
        assert_eq!(d.columns(b"1 0:0.5 3:-2\n0 2:1e3\n", true).unwrap(), 4);
        assert_eq!(d.columns(b"1:9 3:1\n", true).unwrap(), 4);
        // With a comment the line scan is used; the comment is ignored.
        assert_eq!(d.columns(b"1 3:1 # 99:1\n", true).unwrap(), 4);
    }

    #[test]
    fn the_one_pass_entry_reader_takes_only_plain_entries() {
        assert_eq!(plain_entry(b"12:3.5 7:1"), Some((12, 3.5, 6)));
        assert_eq!(plain_entry(b"0:-0.25"), Some((0, -0.25, 7)));
        assert_eq!(plain_entry(b"3:1\t"), Some((3, 1.0, 3)));
        // Everything else is the general path's (which parses or reports it).
        for t in [
            "3:1e5",
            "3:1.",
            "3:.5",
            "3:nan",
            ":1",
            "a:1",
            "1:2:3",
            "-1:2",
            "1:",
            "1",
            "1234567890123456789:1",
        ] {
            assert_eq!(plain_entry(t.as_bytes()), None, "{t}");
        }
        // Decoding takes the same values either way.
        let b = decode(b"1 2:1e1 3:0.5 4:1. 5:7\n");
        assert_eq!(
            rows(&b),
            vec![(1.0, vec![(2, 10.0), (3, 0.5), (4, 1.0), (5, 7.0)])]
        );
    }

    #[test]
    fn for_each_byte_visits_every_match_in_order() {
        for len in [0usize, 1, 63, 64, 65, 128, 200] {
            let s: Vec<u8> = (0..len)
                .map(|i| {
                    if i % 7 == 3 || i % 64 == 63 {
                        b':'
                    } else {
                        b'1'
                    }
                })
                .collect();
            let mut got = Vec::new();
            for_each_byte(&s, b':', |i| got.push(i));
            let want: Vec<usize> = memchr::memchr_iter(b':', &s).collect();
            assert_eq!(got, want, "{len}");
        }
    }

    #[test]
    fn one_based_indices_are_shifted_down() {
        let b = decode_with(ONE, b"1 1:0.5 4:-2\n");
        assert_eq!(rows(&b), vec![(1.0, vec![(0, 0.5), (3, -2.0)])]);
        let e = decode_err_with(ONE, b"1 1:2\n0 2:1 0:3\n");
        assert_eq!(pos(&e), (Some(1), Some(1), Some(2), Some(12)));
        assert!(msg(&e).contains("1-based"), "{}", msg(&e));
    }

    #[test]
    fn reads_the_golden_files() {
        let a = decode(include_bytes!("../../testdata/libsvm/sparse.libsvm"));
        let b = decode_with(
            ONE,
            include_bytes!("../../testdata/libsvm/sparse_1based.libsvm"),
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 6);
        assert_eq!(a.labels, vec![1.0, 0.0, 2.0, 0.0, 1.0, 2.0]);
        assert_eq!(a.row_values(2), &[] as &[f64]);
        assert_eq!(rows(&a)[1], (0.0, vec![(3, -3.625), (9, 3.5)]));
        assert_eq!(a.max_columns(), 10);
        let z = decode(include_bytes!("../../testdata/libsvm/zero_row.libsvm"));
        assert_eq!(rows(&z), vec![(0.0, vec![]), (1.0, vec![(4, 1.5)])]);
    }

    #[test]
    fn qid_is_accepted_and_ignored() {
        let b = decode(b"3 qid:7 0:1 2:2\n1 qid:7\n");
        assert_eq!(
            rows(&b),
            vec![(3.0, vec![(0, 1.0), (2, 2.0)]), (1.0, vec![])]
        );
        let e = decode_err(b"3 qid:x 0:1\n");
        assert_eq!(pos(&e), (Some(0), Some(0), Some(1), Some(2)));
        // Field numbers count the qid token.
        let e = decode_err(b"3 qid:1 0:1 zz\n");
        assert_eq!(pos(&e), (Some(0), Some(0), Some(3), Some(12)));
        assert!(msg(&e).contains("field 4"), "{}", msg(&e));
    }

    #[test]
    fn comments_blank_lines_and_whitespace() {
        let s = b"# a header comment\n\n   \n1 0:1 # trailing: 3:4\n\t# indented\n2\t1:2 \t 3:4 \t\r\n0 \r\n1#x\n";
        let b = decode(s);
        assert_eq!(
            rows(&b),
            vec![
                (1.0, vec![(0, 1.0)]),
                (2.0, vec![(1, 2.0), (3, 4.0)]),
                (0.0, vec![]),
                (1.0, vec![]),
            ]
        );
        assert_eq!(b.lines, 8);
        assert_eq!(Decoder::new(ZERO).count(s, false).unwrap(), 4);
        // Positions after skipped lines.
        let e = decode_err(b"# c\n\n1 0:1\n1 x\n");
        assert_eq!(pos(&e), (Some(3), Some(1), Some(1), Some(13)));
    }

    #[test]
    fn a_bom_is_skipped_at_the_start() {
        let b = decode(b"\xEF\xBB\xBF1 0:2\n");
        assert_eq!(rows(&b), vec![(1.0, vec![(0, 2.0)])]);
        let e = decode_err(b"\xEF\xBB\xBF1 0:2\n");
        assert_eq!(pos(&e), (Some(0), Some(0), Some(0), Some(0)));
    }

    #[test]
    fn keeps_file_order_zeros_and_nan() {
        let b = decode(b"1 5:1 2:0 5:3 0:nan\n-inf 1:-0\n");
        let r = rows(&b);
        assert_eq!(
            r[0].1.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![5, 2, 5, 0]
        );
        assert_eq!(&b.values[..3], &[1.0, 0.0, 3.0]);
        assert!(b.values[3].is_nan());
        assert_eq!(b.labels[1], f64::NEG_INFINITY);
        assert!(b.values[4].is_sign_negative());
        let b = decode(b"nan 0:1\n");
        assert!(b.labels[0].is_nan());
    }

    #[test]
    fn entry_errors_quote_the_token_with_positions() {
        let cases: [(&[u8], &str, u64, u64); 6] = [
            (b"1 0:1 -1:2\n", "non-negative integer feature index", 2, 6),
            (
                b"1 0:1 1:\n",
                "expected a number after ':' in field 3, found \"1:\"",
                2,
                6,
            ),
            (b"1 :1\n", "non-negative integer feature index", 1, 2),
            (
                b"1  abc\n",
                "expected index:value in field 2, found \"abc\"",
                1,
                3,
            ),
            (b"1 1:x\n", "found \"1:x\"", 1, 2),
            (b"1 1.5:2\n", "non-negative integer", 1, 2),
        ];
        for (s, want, field, byte) in cases {
            let e = decode_err(s);
            assert!(msg(&e).contains(want), "{:?}: {}", s, msg(&e));
            assert_eq!(
                pos(&e),
                (Some(0), Some(0), Some(field), Some(byte)),
                "{s:?}"
            );
        }
        let e = decode_err(b"1 0:1\n0 99999999999999999999:1\n");
        assert_eq!(pos(&e), (Some(1), Some(1), Some(1), Some(8)));
    }

    #[test]
    fn label_errors() {
        let e = decode_err(b"1 0:1\n 1:0.5 0:1\n");
        assert!(
            msg(&e).contains("instance weights are not supported"),
            "{}",
            msg(&e)
        );
        assert_eq!(pos(&e), (Some(1), Some(1), Some(0), Some(7)));
        let e = decode_err(b"1,2 0:1\n");
        assert!(msg(&e).contains("multi-label"), "{}", msg(&e));
        let e = decode_err(b"abc 0:1\n");
        assert_eq!(msg(&e), "expected a numeric label, found \"abc\"");
        assert_eq!(pos(&e), (Some(0), Some(0), Some(0), Some(0)));
        let e = decode_err(b"0:1 1:1\n");
        assert!(msg(&e).contains("weights"), "{}", msg(&e));
        let e = decode_err(b"x:1\n");
        assert!(msg(&e).contains("numeric label"), "{}", msg(&e));
    }

    #[test]
    fn count_does_not_parse_numbers() {
        let d = Decoder::new(ZERO);
        assert_eq!(d.count(b"a b c\n\n# x\n  #y\nq\n", false).unwrap(), 2);
        assert_eq!(d.count(b"", true).unwrap(), 0);
        assert_eq!(d.count(b"1", true).unwrap(), 1);
    }

    #[test]
    fn encodes_sparse_rows_as_stored() {
        let b = sparse(
            Dtype::Float64,
            &[
                (1.0, &[(0, 0.5), (3, -2.0)]),
                (0.0, &[]),
                (2.0, &[(7, 0.0), (1, f64::NAN)]),
            ],
        );
        assert_eq!(encode(&b), "1 0:0.5 3:-2\n0\n2 7:0 1:nan\n");
        assert_eq!(
            encode_with(ONE, &b).unwrap(),
            "1 1:0.5 4:-2\n0\n2 8:0 2:nan\n"
        );
        let mut b = sparse(Dtype::Float32, &[(1.0, &[(2, 0.1f32 as f64)])]);
        b.label_dtype = Dtype::Float64;
        b.labels[0] = 0.1;
        assert_eq!(encode(&b), "0.1 2:0.1\n");
        assert_eq!(encode(&Batch::default()), "");
        let b = sparse(Dtype::Float64, &[(1.0, &[(u64::MAX, 1.0)])]);
        assert!(encode_with(ONE, &b).is_err());
    }

    #[test]
    fn dense_rows_skip_zeros_and_keep_nan() {
        let mut b = Batch::new(Dtype::Float64);
        b.labels.push(1.0);
        b.values.extend([0.0, 2.5, -0.0, f64::NAN, 0.0, -1.0]);
        b.end_row();
        b.labels.push(0.0);
        b.values.extend([0.0; 6]);
        b.end_row();
        assert_eq!(encode(&b), "1 1:2.5 3:nan 5:-1\n0\n");
        assert_eq!(encode_with(ONE, &b).unwrap(), "1 2:2.5 4:nan 6:-1\n0\n");
    }

    #[test]
    fn every_record_needs_one_label() {
        let mut b = sparse(Dtype::Float64, &[(1.0, &[(0, 1.0)])]);
        b.values.push(1.0);
        b.indices.push(0);
        b.end_row();
        let e = encode_with(ZERO, &b).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Unsupported(_)));
        assert_eq!(e.position().record, Some(1));
        assert!(msg(&e).contains("exactly one label"), "{}", msg(&e));
        b.labels.extend([1.0, 2.0]);
        b.label_ends[1] = 3;
        assert!(msg(&encode_with(ZERO, &b).unwrap_err()).contains("has 2"));
    }

    #[test]
    fn decode_of_encode_is_identity() {
        let b = sparse(
            Dtype::Float64,
            &[
                (1.0, &[(0, 0.1), (9, -2.5e-300), (3, 1e300)]),
                (-0.5, &[]),
                (2.0, &[(4, 0.0), (4, 7.0), (1, f64::INFINITY)]),
            ],
        );
        for o in [ZERO, ONE] {
            let text = encode_with(o, &b).unwrap();
            let mut back = decode_with(o, text.as_bytes());
            assert_eq!(back.lines, 3);
            back.lines = 0;
            assert_eq!(back, b, "{text}");
        }
        // NaN survives as an explicit entry.
        let b = sparse(Dtype::Float64, &[(1.0, &[(2, f64::NAN)])]);
        let back = decode(encode(&b).as_bytes());
        assert_eq!(back.indices, vec![2]);
        assert!(back.values[0].is_nan());
    }

    #[test]
    fn arbitrary_input_never_panics_and_count_agrees() {
        let alphabet = b"0123456789.::: \t\n\r#-qidnax,";
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut b = Batch::default();
        for n in 0..6000usize {
            let s: Vec<u8> = (0..n % 48)
                .map(|_| {
                    x = crate::testutil::xorshift(x);
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            for o in [ZERO, ONE] {
                let d = Decoder::new(o);
                if d.decode(&s, n % 2 == 0, &mut b).is_ok() {
                    assert_eq!(d.count(&s, n % 2 == 0).unwrap(), b.len() as u64);
                    // Whatever decodes re-encodes to the same batch.
                    let mut text = Vec::new();
                    Encoder::new(o).encode(&b, &mut text).unwrap();
                    let mut back = Batch::default();
                    d.decode(&text, false, &mut back).unwrap();
                    assert_eq!(back.indices, b.indices);
                    assert_eq!(back.row_ends, b.row_ends);
                    assert_eq!(back.values.len(), b.values.len());
                }
            }
        }
    }

    #[test]
    fn golden_file_round_trips_byte_for_byte_except_empty_rows() {
        for (o, golden) in [
            (
                ZERO,
                &include_bytes!("../../testdata/libsvm/sparse.libsvm")[..],
            ),
            (
                ONE,
                &include_bytes!("../../testdata/libsvm/sparse_1based.libsvm")[..],
            ),
        ] {
            let text = encode_with(o, &decode_with(o, golden)).unwrap();
            // scikit-learn writes "2 \n" for a row without features.
            let want = String::from_utf8(golden.to_vec())
                .unwrap()
                .replace(" \n", "\n");
            assert_eq!(text, want);
        }
    }
}
