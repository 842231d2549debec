//! `text/csv`: numeric CSV as the SageMaker built-in algorithms read it.
//!
//! # Conventions
//!
//! The defaults ([`CsvOptions::default`]) follow the SageMaker training
//! convention (spec §7): comma separated, **no header row**, and **the label
//! in the first column**. `text/csv;label_size=N` maps to
//! [`LabelColumns`]` { index: 0, size: N }`; `label_size=0` (unsupervised
//! data, inference requests) is `label: None`. Label columns go to
//! [`Batch::labels`], every other column to [`Batch::values`], in file order.
//! Every value is read as `f64` ([`Dtype::Float64`]) and the batch is dense.
//!
//! # Reading (RFC 4180 and its deviations)
//!
//! - Records end at `\n`; a `\r` before it is dropped, so CRLF files read
//!   like LF files. A final line without a newline is a record.
//! - Blank lines (empty, or only spaces, tabs and `\r`) are skipped, as the
//!   dmlc parser behind the XGBoost container does. They still count as
//!   lines for error positions and [`Batch::lines`].
//! - A UTF-8 byte-order mark is skipped at the start of the input.
//! - With [`CsvOptions::has_header`], the first non-blank record of the
//!   input is skipped ([`Decoder::header_names`] returns its fields).
//! - Fields are trimmed of spaces and tabs (unless the delimiter is one of
//!   them). An **empty field is missing**: it reads as NaN, like pandas and
//!   dmlc.
//! - A **non-numeric field is an error**, naming the line, field and byte
//!   offset. This deviates from dmlc, which silently reads such a field as
//!   missing (and a non-numeric label as 0, spec §8.3).
//! - Quoting follows RFC 4180: a field that starts with the quote byte
//!   (after optional spaces) runs to the matching closing quote, may contain
//!   the delimiter and newlines, and `""` inside it is a literal quote. A
//!   quoted field is still parsed as a number (`"1.5"` is 1.5, `""` is
//!   missing). Stricter than RFC 4180 readers such as Python's `csv`: a quote
//!   byte inside an unquoted field, anything but spaces before the delimiter
//!   after a closing quote, and an unclosed quote are syntax errors. This
//!   keeps the decoder in step with [`LineFramer::quoted`], which counts
//!   quote parity to find record boundaries.
//! - Every record of a chunk must have as many fields as the chunk's first
//!   record (a chunk is one block of the parallel pipeline; the pipeline
//!   compares widths across blocks).
//!
//! Lines without the quote byte take a fast path: one `memchr` pass per
//! field, parsed straight into the batch without allocating.
//!
//! # Writing
//!
//! [`Encoder`] writes, per row, the labels then the features, joined by the
//! delimiter, and `\n`. Values are the shortest text that reads back to the
//! same value at the batch's precision ([`write_value`]). NaN is written as
//! an empty field (the pandas `to_csv` convention), which reads back as
//! missing; a record made of a single empty field is written `""` so it does
//! not read back as a blank line (as Python's `csv` module does). Sparse rows
//! are densified. Numbers are never quoted; header names are quoted when
//! they need it.
//!
//! [`LineFramer::quoted`]: crate::codec::lines::LineFramer::quoted

use crate::batch::{Batch, Dtype};
use crate::codec::text::{parse_f64, snippet, trim, write_fields, write_value};
use crate::codec::{BatchEncoder, ChunkDecoder};
use crate::error::{Error, Result};

const FORMAT: &str = "csv";
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Which columns of a CSV record hold the label(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LabelColumns {
    /// 0-based column of the first label.
    pub index: usize,
    /// Number of label columns (the `label_size` of
    /// `text/csv;label_size=N`). 0 means no label, like `label: None`.
    pub size: usize,
}

/// Options for reading CSV.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CsvOptions {
    /// Field separator. Must differ from `quote`, `\n` and `\r`.
    pub delimiter: u8,
    /// Quote byte (RFC 4180 `"`).
    pub quote: u8,
    /// True when the first record of the input is a header row to skip.
    pub has_header: bool,
    /// The label columns; `None` when the records carry no label.
    pub label: Option<LabelColumns>,
}

impl Default for CsvOptions {
    /// The SageMaker training convention: `,` separated, `"` quoted, no
    /// header, one label in column 0.
    fn default() -> CsvOptions {
        CsvOptions {
            delimiter: b',',
            quote: b'"',
            has_header: false,
            label: Some(LabelColumns { index: 0, size: 1 }),
        }
    }
}

/// Decodes chunks of CSV records into dense [`Batch`]es.
#[derive(Debug, Clone)]
pub struct Decoder {
    opts: CsvOptions,
    /// First label column.
    label_lo: usize,
    /// Number of label columns (0 = none).
    label_size: usize,
}

/// One field found by the quote-aware record parser.
struct Field<'a> {
    /// 0-based index in the record.
    index: usize,
    /// The text between the quotes, or the raw unquoted field (untrimmed).
    content: &'a [u8],
    /// Byte offset of the field start (before any leading spaces and the
    /// opening quote).
    start: usize,
    /// Line (relative to the chunk) where the field starts.
    line: u64,
    /// True when the field was quoted.
    quoted: bool,
    /// True when `content` holds a doubled (escaped) quote.
    escaped: bool,
}

/// Where a record parsed by [`Decoder::parse_record`] ends.
struct RecordEnd {
    /// Offset just after the record (after its `\n`, or the chunk end).
    next: usize,
    /// Lines spanned by the record, its last line included.
    lines: u64,
    /// Offset of the end of the record's text (before `\r\n`).
    end: usize,
    /// Number of fields.
    fields: usize,
}

/// Per-chunk decoding state.
struct State {
    /// Field count of the chunk's first record, once known.
    width: Option<usize>,
}

#[inline]
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// The value of a field's text: a number, NaN when empty, `None` when
/// neither.
#[inline]
fn field_value(content: &[u8], escaped: bool) -> Option<f64> {
    if escaped {
        return None;
    }
    match parse_f64(content) {
        Some(v) => Some(v),
        None if trim(content).is_empty() => Some(f64::NAN),
        None => None,
    }
}

/// `n` and `word`, with `word` in the plural unless `n` is 1.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Decoder {
    /// A decoder with the given options.
    pub fn new(opts: CsvOptions) -> Decoder {
        let (label_lo, label_size) = match opts.label {
            Some(l) => (l.index, l.size),
            None => (0, 0),
        };
        Decoder {
            opts,
            label_lo,
            label_size,
        }
    }

    /// The options this decoder was built with.
    pub fn options(&self) -> &CsvOptions {
        &self.opts
    }

    /// The fields of the first non-blank record of `chunk` (the start of the
    /// input: a byte-order mark is skipped), unquoted and trimmed, with
    /// invalid UTF-8 replaced. Empty when `chunk` holds no record.
    pub fn header_names(&self, chunk: &[u8]) -> Result<Vec<String>> {
        let mut pos = if chunk.starts_with(BOM) { BOM.len() } else { 0 };
        let mut line = 0u64;
        let mut names = Vec::new();
        while pos < chunk.len() {
            let (l, next) = line_at(chunk, pos);
            if is_blank(l) {
                pos = next;
                line += 1;
                continue;
            }
            let quote = self.opts.quote;
            self.parse_record(chunk, pos, line, 0, |f| {
                let text = if f.escaped {
                    let mut v = Vec::with_capacity(f.content.len());
                    let mut i = 0;
                    while i < f.content.len() {
                        v.push(f.content[i]);
                        i += if f.content[i] == quote { 2 } else { 1 };
                    }
                    String::from_utf8_lossy(&v).into_owned()
                } else if f.quoted {
                    // Keep the text between the quotes as is.
                    String::from_utf8_lossy(f.content).into_owned()
                } else {
                    String::from_utf8_lossy(trim(f.content)).into_owned()
                };
                names.push(text);
                Ok(())
            })?;
            break;
        }
        Ok(names)
    }

    #[inline]
    fn push(&self, out: &mut Batch, field: usize, v: f64) {
        if field.wrapping_sub(self.label_lo) < self.label_size {
            out.labels.push(v);
        } else {
            out.values.push(v);
        }
    }

    /// Parses one record that starts at `pos` (not on a blank line),
    /// quote-aware, calling `on_field` for each field in order.
    fn parse_record<'a>(
        &self,
        chunk: &'a [u8],
        pos: usize,
        line: u64,
        record: u64,
        mut on_field: impl FnMut(Field<'a>) -> Result<()>,
    ) -> Result<RecordEnd> {
        let delim = self.opts.delimiter;
        let quote = self.opts.quote;
        let n = chunk.len();
        let is_space = |b: u8| (b == b' ' || b == b'\t') && b != delim;
        let mut p = pos;
        let mut line = line;
        let first_line = line;
        let mut index = 0usize;
        loop {
            let start = p;
            let mut q = p;
            while q < n && is_space(chunk[q]) {
                q += 1;
            }
            if q < n && chunk[q] == quote {
                // A quoted field: find the closing quote, skipping `""`.
                let field_line = line;
                let cstart = q + 1;
                let mut r = cstart;
                let mut escaped = false;
                let cend = loop {
                    let Some(k) = memchr::memchr(quote, &chunk[r..]) else {
                        return Err(Error::syntax(
                            FORMAT,
                            format!(
                                "unclosed quote in field {}: the block ends inside a quoted field",
                                index + 1
                            ),
                        )
                        .at_line(field_line)
                        .at_record(record)
                        .at_field(index as u64)
                        .at_byte(q as u64));
                    };
                    let qpos = r + k;
                    line += memchr::memchr_iter(b'\n', &chunk[r..qpos]).count() as u64;
                    if qpos + 1 < n && chunk[qpos + 1] == quote {
                        escaped = true;
                        r = qpos + 2;
                    } else {
                        p = qpos + 1;
                        break qpos;
                    }
                };
                while p < n && (is_space(chunk[p]) || chunk[p] == b'\r') && chunk[p] != delim {
                    p += 1;
                }
                on_field(Field {
                    index,
                    content: &chunk[cstart..cend],
                    start,
                    line: field_line,
                    quoted: true,
                    escaped,
                })?;
                if p >= n {
                    return Ok(RecordEnd {
                        next: n,
                        lines: line - first_line + 1,
                        end: n,
                        fields: index + 1,
                    });
                }
                let b = chunk[p];
                if b == delim {
                    p += 1;
                    index += 1;
                    continue;
                }
                if b == b'\n' {
                    let end = if p > 0 && chunk[p - 1] == b'\r' {
                        p - 1
                    } else {
                        p
                    };
                    return Ok(RecordEnd {
                        next: p + 1,
                        lines: line - first_line + 1,
                        end,
                        fields: index + 1,
                    });
                }
                return Err(Error::syntax(
                    FORMAT,
                    format!(
                        "unexpected {:?} after the closing quote of field {}: expected the delimiter or the end of the line",
                        snippet(&chunk[p..], 1),
                        index + 1
                    ),
                )
                .at_line(line)
                .at_record(record)
                .at_field(index as u64)
                .at_byte(p as u64));
            }
            // An unquoted field: up to the delimiter or the end of the line.
            let e = match memchr::memchr3(delim, b'\n', quote, &chunk[start..]) {
                Some(k) => start + k,
                None => n,
            };
            if e < n && chunk[e] == quote && quote != delim && quote != b'\n' {
                return Err(Error::syntax(
                    FORMAT,
                    format!(
                        "quote inside unquoted field {}: quote the whole field and double the quotes inside it",
                        index + 1
                    ),
                )
                .at_line(line)
                .at_record(record)
                .at_field(index as u64)
                .at_byte(e as u64));
            }
            on_field(Field {
                index,
                content: &chunk[start..e],
                start,
                line,
                quoted: false,
                escaped: false,
            })?;
            if e < n && chunk[e] == delim {
                p = e + 1;
                index += 1;
                continue;
            }
            let end = if e > start && chunk[e - 1] == b'\r' {
                e - 1
            } else {
                e
            };
            return Ok(RecordEnd {
                next: if e < n { e + 1 } else { n },
                lines: line - first_line + 1,
                end,
                fields: index + 1,
            });
        }
    }

    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn number_error(
        &self,
        content: &[u8],
        escaped: bool,
        index: usize,
        start: usize,
        line: u64,
        record: u64,
        first: bool,
    ) -> Error {
        let mut found = snippet(trim(content), 40);
        if escaped {
            let q = self.opts.quote as char;
            found = found.replace(&format!("{q}{q}"), &q.to_string());
        }
        let mut msg = format!("expected a number in field {}, found {found:?}", index + 1);
        if first && record == 0 && !self.opts.has_header {
            msg.push_str(" (if the first line is a header row, read the input with a header)");
        }
        Error::syntax(FORMAT, msg)
            .at_line(line)
            .at_record(record)
            .at_field(index as u64)
            .at_byte(start as u64)
    }

    /// Checks the field count of a finished record against the chunk's
    /// first record (or records it, for the first one).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn check_width(
        &self,
        st: &mut State,
        fields: usize,
        extra_start: usize,
        end: usize,
        record_start: usize,
        line: u64,
        record: u64,
    ) -> Result<()> {
        match st.width {
            Some(w) if w == fields => Ok(()),
            Some(w) => {
                let msg = format!(
                    "expected {} like the first record of this block, found {fields}",
                    plural(w, "field")
                );
                let (field, byte) = if fields > w {
                    (w, extra_start)
                } else {
                    (fields, end)
                };
                Err(Error::syntax(FORMAT, msg)
                    .at_line(line)
                    .at_record(record)
                    .at_field(field as u64)
                    .at_byte(byte as u64))
            }
            None => {
                let hi = self.label_lo + self.label_size;
                if self.label_size > 0 && fields < hi {
                    let cols = if self.label_size == 1 {
                        format!("the label is column {}", hi)
                    } else {
                        format!("the labels are columns {} to {}", self.label_lo + 1, hi)
                    };
                    return Err(Error::syntax(
                        FORMAT,
                        format!("{cols} but the record has only {}", plural(fields, "field")),
                    )
                    .at_line(line)
                    .at_record(record)
                    .at_byte(record_start as u64));
                }
                st.width = Some(fields);
                Ok(())
            }
        }
    }

    /// Decodes one line without quotes (`l` has no `\r\n`) starting at
    /// chunk offset `base`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn fast_line(
        &self,
        l: &[u8],
        base: usize,
        line: u64,
        first: bool,
        st: &mut State,
        out: &mut Batch,
    ) -> Result<()> {
        let delim = self.opts.delimiter;
        let record = out.len() as u64;
        let limit = st.width.unwrap_or(usize::MAX);
        let mut f = 0usize;
        let mut s = 0usize;
        loop {
            let e = match memchr::memchr(delim, &l[s..]) {
                Some(k) => s + k,
                None => l.len(),
            };
            if f == limit {
                // Too many fields: count the rest for the message.
                let found = f + 1 + memchr::memchr_iter(delim, &l[s..]).count();
                return self.check_width(st, found, base + s, base + l.len(), base, line, record);
            }
            let field = &l[s..e];
            let v = match field_value(field, false) {
                Some(v) => v,
                None => {
                    return Err(self.number_error(field, false, f, base + s, line, record, first));
                }
            };
            self.push(out, f, v);
            f += 1;
            if e == l.len() {
                break;
            }
            s = e + 1;
        }
        self.check_width(st, f, base + l.len(), base + l.len(), base, line, record)?;
        out.end_row();
        Ok(())
    }

    /// Decodes one record containing the quote byte.
    fn slow_record(
        &self,
        chunk: &[u8],
        pos: usize,
        line: u64,
        first: bool,
        st: &mut State,
        out: &mut Batch,
    ) -> Result<RecordEnd> {
        let record = out.len() as u64;
        let limit = st.width.unwrap_or(usize::MAX);
        let mut extra_start = 0usize;
        let rec = self.parse_record(chunk, pos, line, record, |f| {
            if f.index >= limit {
                if f.index == limit {
                    extra_start = f.start;
                }
                return Ok(());
            }
            match field_value(f.content, f.escaped) {
                Some(v) => {
                    self.push(out, f.index, v);
                    Ok(())
                }
                None => Err(self.number_error(
                    f.content, f.escaped, f.index, f.start, f.line, record, first,
                )),
            }
        })?;
        self.check_width(st, rec.fields, extra_start, rec.end, pos, line, record)?;
        out.end_row();
        Ok(rec)
    }
}

/// The line starting at `pos` without its `\n` (a `\r` before it is kept),
/// and the offset of the next line.
#[inline]
fn line_at(chunk: &[u8], pos: usize) -> (&[u8], usize) {
    match memchr::memchr(b'\n', &chunk[pos..]) {
        Some(k) => (&chunk[pos..pos + k], pos + k + 1),
        None => (&chunk[pos..], chunk.len()),
    }
}

/// Finds the next quote byte at or after `from`; `usize::MAX` when none.
#[inline]
fn next_quote(chunk: &[u8], quote: u8, from: usize) -> usize {
    match memchr::memchr(quote, &chunk[from..]) {
        Some(k) => from + k,
        None => usize::MAX,
    }
}

impl ChunkDecoder for Decoder {
    fn decode(&self, chunk: &[u8], first: bool, out: &mut Batch) -> Result<()> {
        out.clear();
        out.dtype = Dtype::Float64;
        out.label_dtype = Dtype::Float64;
        out.sparse = false;
        let quote = self.opts.quote;
        let mut pos = if first && chunk.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let mut line = 0u64;
        let mut skip_header = first && self.opts.has_header;
        let mut st = State { width: None };
        let mut quote_at = next_quote(chunk, quote, pos);
        while pos < chunk.len() {
            let (mut l, next) = line_at(chunk, pos);
            if let [rest @ .., b'\r'] = l {
                l = rest;
            }
            if is_blank(l) {
                line += 1;
                pos = next;
                continue;
            }
            if quote_at < pos {
                quote_at = next_quote(chunk, quote, pos);
            }
            if skip_header {
                skip_header = false;
                let rec = self.parse_record(chunk, pos, line, 0, |_| Ok(()))?;
                line += rec.lines;
                pos = rec.next;
                continue;
            }
            if quote_at >= pos + l.len() {
                self.fast_line(l, pos, line, first, &mut st, out)?;
                line += 1;
                pos = next;
            } else {
                let rec = self.slow_record(chunk, pos, line, first, &mut st, out)?;
                line += rec.lines;
                pos = rec.next;
            }
        }
        out.lines = line;
        Ok(())
    }

    fn count(&self, chunk: &[u8], first: bool) -> Result<u64> {
        let quote = self.opts.quote;
        let mut pos = if first && chunk.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let mut line = 0u64;
        let mut records = 0u64;
        let mut skip_header = first && self.opts.has_header;
        let mut quote_at = next_quote(chunk, quote, pos);
        while pos < chunk.len() {
            let (l, next) = line_at(chunk, pos);
            if is_blank(l) {
                line += 1;
                pos = next;
                continue;
            }
            if quote_at < pos {
                quote_at = next_quote(chunk, quote, pos);
            }
            if quote_at >= pos + l.len() {
                line += 1;
                pos = next;
            } else {
                let rec = self.parse_record(chunk, pos, line, records, |_| Ok(()))?;
                line += rec.lines;
                pos = rec.next;
            }
            if skip_header {
                skip_header = false;
            } else {
                records += 1;
            }
        }
        Ok(records)
    }
}

/// Options for writing CSV.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CsvWriteOptions {
    /// Field separator.
    pub delimiter: u8,
    /// Column names to write as a first line; `None` (the SageMaker
    /// convention) or an empty list writes no header.
    pub header: Option<Vec<String>>,
    /// Number of feature columns of sparse rows when densifying; when
    /// `None`, each row's stated shape ([`Batch::row_shape`]) is used.
    pub num_features: Option<u64>,
}

impl Default for CsvWriteOptions {
    /// `,` separated, no header, widths from the data.
    fn default() -> CsvWriteOptions {
        CsvWriteOptions {
            delimiter: b',',
            header: None,
            num_features: None,
        }
    }
}

/// Encodes batches as CSV: labels first, then features.
#[derive(Debug, Clone)]
pub struct Encoder {
    opts: CsvWriteOptions,
}

impl Encoder {
    /// An encoder with the given options.
    pub fn new(opts: CsvWriteOptions) -> Encoder {
        Encoder { opts }
    }

    /// The options this encoder was built with.
    pub fn options(&self) -> &CsvWriteOptions {
        &self.opts
    }
}

/// Writes a value, or nothing for NaN (an empty field).
#[inline]
fn write_field(out: &mut Vec<u8>, v: f64, dtype: Dtype) {
    if !v.is_nan() {
        write_value(out, v, dtype);
    }
}

impl Encoder {
    /// Writes the features of sparse row `i` as a dense list.
    fn write_sparse_row(
        &self,
        batch: &Batch,
        i: usize,
        mut nfields: usize,
        scratch: &mut Vec<f64>,
        out: &mut Vec<u8>,
    ) -> Result<usize> {
        let delim = self.opts.delimiter;
        let width = match self.opts.num_features.or_else(|| batch.row_shape(i)) {
            Some(w) => w,
            None => {
                return Err(Error::unsupported(
                    "a sparse record has no known number of features: pass --num-features",
                )
                .at_record(i as u64));
            }
        };
        crate::batch::check_dense_width(width).map_err(|e| e.at_record(i as u64))?;
        let idx = batch.row_indices(i);
        let vals = batch.row_values(i);
        let mut increasing = true;
        let mut prev: Option<u64> = None;
        for &j in idx {
            if j >= width {
                let hint = if self.opts.num_features.is_some() {
                    "the number of features passed"
                } else {
                    "the record's shape"
                };
                return Err(Error::unsupported(format!(
                    "a sparse record has feature index {j} but {hint} is {width}"
                ))
                .at_record(i as u64));
            }
            if prev.is_some_and(|p| p >= j) {
                increasing = false;
            }
            prev = Some(j);
        }
        let dtype = batch.row_dtype(i);
        if increasing {
            // One walk over the columns, merging in the stored entries.
            let mut k = 0;
            for col in 0..width {
                if nfields > 0 {
                    out.push(delim);
                }
                nfields += 1;
                if k < idx.len() && idx[k] == col {
                    write_field(out, vals[k], dtype);
                    k += 1;
                } else {
                    out.push(b'0');
                }
            }
        } else {
            // Unsorted or repeated indices: scatter into a reused row (the
            // last entry of a repeated index wins).
            scratch.clear();
            scratch.resize(width as usize, 0.0);
            for (&j, &v) in idx.iter().zip(vals) {
                scratch[j as usize] = v;
            }
            for &v in scratch.iter() {
                if nfields > 0 {
                    out.push(delim);
                }
                nfields += 1;
                write_field(out, v, dtype);
            }
        }
        Ok(nfields)
    }
}

impl BatchEncoder for Encoder {
    fn encode(&self, batch: &Batch, out: &mut Vec<u8>) -> Result<()> {
        let n = batch.len();
        if n == 0 {
            return Ok(());
        }
        let delim = self.opts.delimiter;
        let nlabels = batch.row_labels(0).len();
        let mut scratch = Vec::new();
        for i in 0..n {
            let labels = batch.row_labels(i);
            if labels.len() != nlabels {
                return Err(Error::unsupported(format!(
                    "a record has {} but the first record of its block has {}: CSV needs the same number of label columns in every record",
                    plural(labels.len(), "label"),
                    nlabels
                ))
                .at_record(i as u64));
            }
            let row_start = out.len();
            let mut nfields = 0usize;
            for &v in labels {
                if nfields > 0 {
                    out.push(delim);
                }
                nfields += 1;
                write_field(out, v, batch.row_label_dtype(i));
            }
            if batch.sparse {
                nfields = self.write_sparse_row(batch, i, nfields, &mut scratch, out)?;
            } else {
                let values = batch.row_values(i);
                write_fields(out, values, batch.row_dtype(i), delim, nfields == 0);
                nfields += values.len();
                // With a stated number of features, dense rows are padded
                // with zeros to it, as densified sparse rows are.
                if let Some(n) = self.opts.num_features {
                    let len = values.len() as u64;
                    if len > n {
                        return Err(Error::unsupported(format!(
                            "a record has {len} features, more than the number of features passed ({n})"
                        ))
                        .at_record(i as u64));
                    }
                    crate::batch::check_dense_width(n).map_err(|e| e.at_record(i as u64))?;
                    for _ in len..n {
                        if nfields > 0 {
                            out.push(delim);
                        }
                        nfields += 1;
                        out.push(b'0');
                    }
                }
            }
            // A row of missing values only would read back as a blank line
            // (a lone empty field, or only whitespace delimiters): quote its
            // first field.
            let all_empty = nfields > 0 && out.len() - row_start == nfields - 1;
            if all_empty && (nfields == 1 || matches!(delim, b' ' | b'\t')) {
                out.splice(row_start..row_start, *b"\"\"");
            }
            out.push(b'\n');
        }
        Ok(())
    }

    fn header(&self) -> Vec<u8> {
        let Some(names) = self.opts.header.as_ref().filter(|h| !h.is_empty()) else {
            return Vec::new();
        };
        let delim = self.opts.delimiter;
        let mut out = Vec::new();
        for (k, name) in names.iter().enumerate() {
            if k > 0 {
                out.push(delim);
            }
            let b = name.as_bytes();
            let needs_quotes = b.is_empty()
                || b.iter()
                    .any(|&c| c == delim || c == b'"' || c == b'\n' || c == b'\r')
                || matches!(b.first(), Some(b' ' | b'\t'))
                || matches!(b.last(), Some(b' ' | b'\t'));
            if needs_quotes {
                out.push(b'"');
                for &c in b {
                    if c == b'"' {
                        out.push(b'"');
                    }
                    out.push(c);
                }
                out.push(b'"');
            } else {
                out.extend_from_slice(b);
            }
        }
        out.push(b'\n');
        out
    }

    fn needs_uniform_width(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::UNKNOWN_SHAPE;
    use crate::error::ErrorKind;

    fn opts() -> CsvOptions {
        CsvOptions::default()
    }

    fn with_label(index: usize, size: usize) -> CsvOptions {
        CsvOptions {
            label: Some(LabelColumns { index, size }),
            ..CsvOptions::default()
        }
    }

    fn decode_with(o: CsvOptions, s: &[u8], first: bool) -> Batch {
        let d = Decoder::new(o);
        let mut b = Batch::default();
        d.decode(s, first, &mut b).unwrap();
        let n = d.count(s, first).unwrap();
        assert_eq!(n, b.len() as u64, "count disagrees with decode");
        b
    }

    fn decode(s: &[u8]) -> Batch {
        decode_with(opts(), s, true)
    }

    fn decode_err_with(o: CsvOptions, s: &[u8], first: bool) -> Error {
        let mut b = Batch::default();
        Decoder::new(o).decode(s, first, &mut b).unwrap_err()
    }

    fn decode_err(s: &[u8]) -> Error {
        decode_err_with(opts(), s, true)
    }

    /// (line, record, field, byte) of an error.
    fn pos(e: &Error) -> (Option<u64>, Option<u64>, Option<u64>, Option<u64>) {
        let p = e.position();
        (p.line, p.record, p.field, p.byte)
    }

    fn msg(e: &Error) -> String {
        match e.kind() {
            ErrorKind::Syntax { format, msg } => {
                assert_eq!(*format, "csv");
                msg.clone()
            }
            ErrorKind::Unsupported(m) => m.clone(),
            k => panic!("unexpected error kind {k:?}"),
        }
    }

    /// Rows as vectors, NaN shown as `None`, for easy comparison.
    /// Labels and features of a row, NaN shown as `None`.
    type Row = (Vec<Option<f64>>, Vec<Option<f64>>);

    fn rows(b: &Batch) -> Vec<Row> {
        let f = |v: &[f64]| v.iter().map(|x| (!x.is_nan()).then_some(*x)).collect();
        (0..b.len())
            .map(|i| (f(b.row_labels(i)), f(b.row_values(i))))
            .collect()
    }

    fn dense(dtype: Dtype, data: &[(&[f64], &[f64])]) -> Batch {
        let mut b = Batch::new(dtype);
        for (labels, values) in data {
            b.labels.extend_from_slice(labels);
            b.values.extend_from_slice(values);
            b.end_row();
        }
        b
    }

    /// Label, entries and shape of a sparse row.
    type SparseRow<'a> = (f64, &'a [(u64, f64)], Option<u64>);

    fn sparse(data: &[SparseRow]) -> Batch {
        let mut b = Batch::new(Dtype::Float64);
        b.sparse = true;
        for (label, entries, shape) in data {
            b.labels.push(*label);
            for &(j, v) in *entries {
                b.indices.push(j);
                b.values.push(v);
            }
            b.shapes.push(shape.unwrap_or(UNKNOWN_SHAPE));
            b.end_row();
        }
        b
    }

    fn encode_with(o: CsvWriteOptions, b: &Batch) -> Result<String> {
        let e = Encoder::new(o);
        let mut out = e.header();
        e.encode(b, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn encode(b: &Batch) -> String {
        encode_with(CsvWriteOptions::default(), b).unwrap()
    }

    #[test]
    fn defaults_follow_the_sagemaker_convention() {
        let o = CsvOptions::default();
        assert_eq!(o.delimiter, b',');
        assert_eq!(o.quote, b'"');
        assert!(!o.has_header);
        assert_eq!(o.label, Some(LabelColumns { index: 0, size: 1 }));
        let w = CsvWriteOptions::default();
        assert_eq!((w.delimiter, w.header, w.num_features), (b',', None, None));
    }

    #[test]
    fn decodes_label_first_dense_rows() {
        let b = decode(b"1,2,3.5\n0,-4,5e-1\n");
        assert_eq!(b.len(), 2);
        assert_eq!(b.labels, vec![1.0, 0.0]);
        assert_eq!(b.values, vec![2.0, 3.5, -4.0, 0.5]);
        assert_eq!(b.row_values(1), &[-4.0, 0.5]);
        assert_eq!(b.lines, 2);
        assert!(!b.sparse);
        assert!(b.indices.is_empty() && b.shapes.is_empty());
        assert_eq!((b.dtype, b.label_dtype), (Dtype::Float64, Dtype::Float64));
    }

    #[test]
    fn final_line_without_newline_counts() {
        let b = decode(b"1,2\n3,4");
        assert_eq!(b.len(), 2);
        assert_eq!(b.lines, 2);
        assert_eq!(b.values, vec![2.0, 4.0]);
        let b = decode(b"");
        assert_eq!((b.len(), b.lines), (0, 0));
    }

    #[test]
    fn decode_clears_the_batch_and_resets_its_kind() {
        let d = Decoder::new(opts());
        let mut b = Batch::new(Dtype::Float32);
        b.sparse = true;
        b.values.push(9.0);
        b.indices.push(3);
        b.end_row();
        d.decode(b"1,2\n", false, &mut b).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b.values, vec![2.0]);
        assert!(b.indices.is_empty());
        assert!(!b.sparse);
        assert_eq!(b.dtype, Dtype::Float64);
    }

    #[test]
    fn reads_the_golden_dense_file() {
        let b = decode(include_bytes!("../../testdata/csv/dense.csv"));
        assert_eq!(b.len(), 6);
        assert_eq!(b.labels, vec![1.0, 0.0, 2.0, 1.0, 2.0, 0.0]);
        assert_eq!(b.row_values(0), &[0.0, -1.5, 2.0, 0.125, -3.5]);
        assert_eq!(b.row_values(5), &[2.875, 5.5, 4.5, -2.875, -8.0]);
        assert_eq!(b.uniform_width(), Ok(Some(5)));
        let b = decode(include_bytes!("../../testdata/csv/dense_int.csv"));
        assert_eq!(
            b.row_values(3),
            &[-2147483648.0, 293.0, -524.0, 2147483647.0]
        );
    }

    #[test]
    fn crlf_line_ends_are_trimmed() {
        let b = decode(b"1,2,3\r\n0,4,\r\n");
        assert_eq!(
            rows(&b),
            vec![
                (vec![Some(1.0)], vec![Some(2.0), Some(3.0)]),
                (vec![Some(0.0)], vec![Some(4.0), None]),
            ]
        );
        assert_eq!(b.lines, 2);
    }

    #[test]
    fn blank_lines_are_skipped_but_counted() {
        let s = b"\n1,2\n  \n\t\r\n\r\n3,4\n\n";
        let b = decode(s);
        assert_eq!(b.len(), 2);
        assert_eq!(b.lines, 7);
        assert_eq!(b.values, vec![2.0, 4.0]);
        // Positions after blank lines are still right.
        let e = decode_err(b"\n\n1,2\n\n3,x\n");
        assert_eq!(pos(&e), (Some(4), Some(1), Some(1), Some(9)));
    }

    #[test]
    fn empty_fields_and_spaces() {
        let b = decode(b" 1 , 2.5 ,,\t-3\t\n,,,\n");
        assert_eq!(
            rows(&b),
            vec![
                (vec![Some(1.0)], vec![Some(2.5), None, Some(-3.0)]),
                (vec![None], vec![None, None, None]),
            ]
        );
        let b = decode(b"1,nan,inf,-Infinity,+7\n");
        assert!(b.values[0].is_nan());
        assert_eq!(&b.values[1..], &[f64::INFINITY, f64::NEG_INFINITY, 7.0]);
    }

    #[test]
    fn skips_a_bom_only_at_the_start() {
        let b = decode(b"\xEF\xBB\xBF1,2\n3,4\n");
        assert_eq!(b.labels, vec![1.0, 3.0]);
        let e = decode_err_with(opts(), b"\xEF\xBB\xBF1,2\n", false);
        assert_eq!(pos(&e), (Some(0), Some(0), Some(0), Some(0)));
        // Byte offsets count the BOM.
        let e = decode_err(b"\xEF\xBB\xBF1,x\n");
        assert_eq!(pos(&e).3, Some(5));
    }

    #[test]
    fn header_is_skipped_in_the_first_chunk_only() {
        let o = CsvOptions {
            has_header: true,
            ..opts()
        };
        let s = b"\xEF\xBB\xBFlabel,f1,f2\r\n1,2,3\r\n4,5,6\r\n";
        let b = decode_with(o.clone(), s, true);
        assert_eq!(b.len(), 2);
        assert_eq!(b.lines, 3);
        assert_eq!(b.labels, vec![1.0, 4.0]);
        let b = decode_with(o.clone(), b"1,2,3\n", false);
        assert_eq!(b.len(), 1);
        let d = Decoder::new(o.clone());
        assert_eq!(d.header_names(s).unwrap(), vec!["label", "f1", "f2"]);
        assert!(d.header_names(b"\n\n").unwrap().is_empty());
        // A header-only input has no records.
        let b = decode_with(o.clone(), b"a,b\n", true);
        assert_eq!((b.len(), b.lines), (0, 1));
        // Without the option, a header is a clear error.
        let e = decode_err(s);
        assert_eq!(pos(&e), (Some(0), Some(0), Some(0), Some(3)));
        assert!(msg(&e).contains("found \"label\""), "{}", msg(&e));
        assert!(msg(&e).contains("header"), "{}", msg(&e));
    }

    #[test]
    fn quoted_header_with_delimiters_newlines_and_doubled_quotes() {
        let o = CsvOptions {
            has_header: true,
            ..opts()
        };
        let s = b"\n \"a,b\" ,\"c\nd\",\"e\"\"f\", g \n1,2,3,4\n";
        let d = Decoder::new(o.clone());
        assert_eq!(d.header_names(s).unwrap(), vec!["a,b", "c\nd", "e\"f", "g"]);
        let b = decode_with(o.clone(), s, true);
        assert_eq!(b.len(), 1);
        assert_eq!(b.lines, 4);
        assert_eq!(b.values, vec![2.0, 3.0, 4.0]);
        // Lines after a multi-line header are counted correctly.
        let e = decode_err_with(o, b"\"a\nb\",c\n1,2\n1,z\n", true);
        assert_eq!(pos(&e), (Some(3), Some(1), Some(1), Some(14)));
    }

    #[test]
    fn quoted_numbers_are_numbers() {
        let b = decode(b"\"1\",\" 2.5 \",\"\", \"3\" \n4,5,6,7\n");
        assert_eq!(
            rows(&b),
            vec![
                (vec![Some(1.0)], vec![Some(2.5), None, Some(3.0)]),
                (vec![Some(4.0)], vec![Some(5.0), Some(6.0), Some(7.0)]),
            ]
        );
        let b = decode(b"\"1\"\r\n\"2\"\r\n");
        assert_eq!((b.labels.clone(), b.lines), (vec![1.0, 2.0], 2));
    }

    #[test]
    fn quoted_text_in_data_is_an_error_with_its_position() {
        // Embedded delimiter.
        let e = decode_err(b"1,2\n1,\"2,5\"\n");
        assert_eq!(pos(&e), (Some(1), Some(1), Some(1), Some(6)));
        assert!(msg(&e).contains("field 2, found \"2,5\""), "{}", msg(&e));
        // Doubled quotes are shown unescaped.
        let e = decode_err(b"1,\"a\"\"b\"\n");
        assert!(msg(&e).contains(r#"found "a\"b""#), "{}", msg(&e));
        // Embedded newline: the record spans two lines.
        let e = decode_err(b"1,\"2\n3\"\n");
        assert_eq!(pos(&e), (Some(0), Some(0), Some(1), Some(2)));
    }

    #[test]
    fn quote_syntax_errors() {
        let e = decode_err(b"1,2\n3,\"4\n");
        assert!(msg(&e).contains("unclosed quote"), "{}", msg(&e));
        assert_eq!(pos(&e), (Some(1), Some(1), Some(1), Some(6)));
        let e = decode_err(b"1,2\"3\n");
        assert!(
            msg(&e).contains("quote inside unquoted field 2"),
            "{}",
            msg(&e)
        );
        assert_eq!(pos(&e).3, Some(3));
        let e = decode_err(b"\"1\"x,2\n");
        assert!(msg(&e).contains("after the closing quote"), "{}", msg(&e));
        assert_eq!(pos(&e), (Some(0), Some(0), Some(0), Some(3)));
        let d = Decoder::new(opts());
        assert!(d.count(b"1,\"2\n", false).is_err());
    }

    #[test]
    fn label_columns_anywhere() {
        let b = decode_with(with_label(2, 1), b"1,2,3,4\n5,6,7,8\n", true);
        assert_eq!(b.labels, vec![3.0, 7.0]);
        assert_eq!(b.values, vec![1.0, 2.0, 4.0, 5.0, 6.0, 8.0]);
        let b = decode_with(with_label(3, 1), b"1,2,3,4\n", true);
        assert_eq!(
            (b.labels.clone(), b.values.clone()),
            (vec![4.0], vec![1.0, 2.0, 3.0])
        );
        let b = decode_with(with_label(0, 2), b"1,2,3,4\n5,6,7,8\n", true);
        assert_eq!(b.row_labels(1), &[5.0, 6.0]);
        assert_eq!(b.row_values(1), &[7.0, 8.0]);
        for o in [
            with_label(0, 0),
            CsvOptions {
                label: None,
                ..opts()
            },
        ] {
            let b = decode_with(o, b"1,2\n3,4\n", true);
            assert!(b.labels.is_empty());
            assert_eq!(b.label_ends, vec![0, 0]);
            assert_eq!(b.values, vec![1.0, 2.0, 3.0, 4.0]);
        }
        // A label-only file.
        let b = decode(b"1\n0\n");
        assert_eq!((b.labels.clone(), b.values.len()), (vec![1.0, 0.0], 0));
    }

    #[test]
    fn too_few_fields_for_the_labels() {
        let e = decode_err_with(with_label(5, 1), b"\n1,2,3\n", true);
        assert!(msg(&e).contains("label is column 6"), "{}", msg(&e));
        assert!(msg(&e).contains("only 3 fields"), "{}", msg(&e));
        assert_eq!(pos(&e), (Some(1), Some(0), None, Some(1)));
        let e = decode_err_with(with_label(1, 2), b"1,2\n", true);
        assert!(msg(&e).contains("columns 2 to 3"), "{}", msg(&e));
    }

    #[test]
    fn ragged_rows_are_errors_with_positions() {
        // Too few: the missing field is at the end of the line.
        let e = decode_err(b"1,2,3\n\n4,5\n");
        assert_eq!(
            msg(&e),
            "expected 3 fields like the first record of this block, found 2"
        );
        assert_eq!(pos(&e), (Some(2), Some(1), Some(2), Some(10)));
        // Too many: points at the first extra field.
        let e = decode_err(b"1,2\n3,4,x,6\r\n");
        assert_eq!(
            msg(&e),
            "expected 2 fields like the first record of this block, found 4"
        );
        assert_eq!(pos(&e), (Some(1), Some(1), Some(2), Some(8)));
        // The same through the quoted path.
        let e = decode_err(b"1,2\n\"3\",4,\"x\"\n");
        assert!(msg(&e).ends_with("found 3"), "{}", msg(&e));
        assert_eq!(pos(&e), (Some(1), Some(1), Some(2), Some(10)));
        let e = decode_err(b"1,2,3\n\"3\",4\r\n");
        assert!(msg(&e).ends_with("found 2"), "{}", msg(&e));
        assert_eq!(pos(&e), (Some(1), Some(1), Some(2), Some(11)));
        // One field expected.
        let e = decode_err(b"1\n2,3\n");
        assert!(msg(&e).starts_with("expected 1 field like"), "{}", msg(&e));
    }

    #[test]
    fn non_numeric_fields_are_errors_with_positions() {
        let e = decode_err(b"1,2,3\n4,abc,6\n");
        assert_eq!(msg(&e), "expected a number in field 2, found \"abc\"");
        assert_eq!(pos(&e), (Some(1), Some(1), Some(1), Some(8)));
        // The label column too, and long fields are shortened.
        let long = format!("{},1\n", "y".repeat(100));
        let e = decode_err_with(opts(), long.as_bytes(), false);
        assert!(
            msg(&e).contains(&format!("\"{}...\"", "y".repeat(40))),
            "{}",
            msg(&e)
        );
        assert!(!msg(&e).contains("header"));
        assert_eq!(pos(&e), (Some(0), Some(0), Some(0), Some(0)));
        for bad in [&b"1,1.2.3\n"[..], b"1,0x10\n", b"1,1e\n", b"1,- 1\n"] {
            assert!(
                Decoder::new(opts())
                    .decode(bad, false, &mut Batch::default())
                    .is_err()
            );
        }
    }

    #[test]
    fn other_delimiters() {
        let o = CsvOptions {
            delimiter: b'\t',
            ..opts()
        };
        let b = decode_with(o, b"1\t 2 \t\t3\n", true);
        assert_eq!(
            rows(&b),
            vec![(vec![Some(1.0)], vec![Some(2.0), None, Some(3.0)])]
        );
        let o = CsvOptions {
            delimiter: b';',
            quote: b'\'',
            ..opts()
        };
        let b = decode_with(o.clone(), b"1;'2';'3'\n", true);
        assert_eq!(b.values, vec![2.0, 3.0]);
        let e = decode_err_with(o, b"1;'2';3,5\n", true);
        assert!(msg(&e).contains("found \"3,5\""));
    }

    #[test]
    fn count_matches_decode() {
        let d = Decoder::new(CsvOptions {
            has_header: true,
            ..opts()
        });
        let s = b"\xEF\xBB\xBF\n\"h\n1\",h2\n1,2\n\n\"3\",\"4\"\r\n5,6";
        assert_eq!(d.count(s, true).unwrap(), 3);
        // Not the first chunk: the BOM line is a record and no header.
        assert_eq!(d.count(s, false).unwrap(), 5);
        let d = Decoder::new(opts());
        assert_eq!(d.count(b"", true).unwrap(), 0);
        assert_eq!(d.count(b"\n \n", true).unwrap(), 0);
        // count does not parse numbers.
        assert_eq!(d.count(b"a,b\nc,d\n", true).unwrap(), 2);
    }

    #[test]
    fn encodes_labels_then_features() {
        let b = dense(
            Dtype::Float64,
            &[
                (&[1.0], &[0.5, -2.0, 0.0]),
                (&[0.0], &[1e-7, f64::NAN, 3.0]),
            ],
        );
        assert_eq!(encode(&b), "1,0.5,-2,0\n0,1e-7,,3\n");
        let b = dense(Dtype::Float32, &[(&[], &[0.1f32 as f64, 16777216.0])]);
        assert_eq!(encode(&b), "0.1,16777216\n");
        let mut b = dense(Dtype::Float32, &[(&[1.5, f64::NAN], &[2.0])]);
        b.label_dtype = Dtype::Float64;
        let o = CsvWriteOptions {
            delimiter: b'\t',
            ..Default::default()
        };
        assert_eq!(encode_with(o, &b).unwrap(), "1.5\t\t2\n");
        assert_eq!(encode(&Batch::default()), "");
        assert!(Encoder::new(CsvWriteOptions::default()).needs_uniform_width());
    }

    #[test]
    fn a_lone_missing_value_is_quoted() {
        let b = dense(Dtype::Float64, &[(&[], &[f64::NAN]), (&[], &[1.0])]);
        let s = encode(&b);
        assert_eq!(s, "\"\"\n1\n");
        let back = decode_with(
            CsvOptions {
                label: None,
                ..opts()
            },
            s.as_bytes(),
            true,
        );
        assert_eq!(rows(&back), rows(&b));
    }

    #[test]
    fn label_count_must_be_uniform() {
        let b = dense(
            Dtype::Float64,
            &[(&[1.0], &[2.0]), (&[1.0], &[2.0]), (&[], &[2.0, 3.0])],
        );
        let e = encode_with(CsvWriteOptions::default(), &b).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Unsupported(_)));
        assert_eq!(e.position().record, Some(2));
        assert!(msg(&e).contains("0 labels"), "{}", msg(&e));
    }

    #[test]
    fn header_line_is_quoted_when_needed() {
        let o = CsvWriteOptions {
            header: Some(vec![
                "label".into(),
                "a,b".into(),
                "say \"hi\"".into(),
                " pad".into(),
                "".into(),
            ]),
            ..Default::default()
        };
        let e = Encoder::new(o);
        let h = e.header();
        assert_eq!(h, b"label,\"a,b\",\"say \"\"hi\"\"\",\" pad\",\"\"\n");
        let names = Decoder::new(opts()).header_names(&h).unwrap();
        assert_eq!(names, vec!["label", "a,b", "say \"hi\"", " pad", ""]);
        let none = CsvWriteOptions {
            header: Some(vec![]),
            ..Default::default()
        };
        assert!(Encoder::new(none).header().is_empty());
        assert!(Encoder::new(CsvWriteOptions::default()).header().is_empty());
    }

    #[test]
    fn sparse_rows_are_densified() {
        let b = sparse(&[
            (1.0, &[(0, 0.5), (3, -1.0)], Some(5)),
            (0.0, &[], Some(5)),
            (2.0, &[(4, 2.0), (1, 7.0), (4, 3.0)], Some(5)),
            (3.0, &[(2, f64::NAN)], Some(5)),
        ]);
        assert_eq!(
            encode(&b),
            "1,0.5,0,0,-1,0\n0,0,0,0,0,0\n2,0,7,0,0,3\n3,0,0,,0,0\n"
        );
        // num_features overrides the shape.
        let o = CsvWriteOptions {
            num_features: Some(6),
            ..Default::default()
        };
        assert_eq!(
            encode_with(o, &sparse(&[(1.0, &[(5, 1.0)], None)])).unwrap(),
            "1,0,0,0,0,0,1\n"
        );
    }

    #[test]
    fn sparse_rows_need_a_width() {
        let b = sparse(&[(1.0, &[(0, 1.0)], Some(2)), (1.0, &[(0, 1.0)], None)]);
        let e = encode_with(CsvWriteOptions::default(), &b).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Unsupported(_)));
        assert!(msg(&e).contains("--num-features"));
        assert_eq!(e.position().record, Some(1));
        let b = sparse(&[(1.0, &[(0, 1.0)], Some(2)), (1.0, &[(2, 1.0)], Some(2))]);
        let e = encode_with(CsvWriteOptions::default(), &b).unwrap_err();
        assert!(msg(&e).contains("feature index 2"), "{}", msg(&e));
        assert_eq!(e.position().record, Some(1));
        let o = CsvWriteOptions {
            num_features: Some(1),
            ..Default::default()
        };
        let e = encode_with(o, &sparse(&[(1.0, &[(0, 1.0), (1, 2.0)], Some(9))])).unwrap_err();
        assert!(
            msg(&e).contains("number of features passed is 1"),
            "{}",
            msg(&e)
        );
    }

    /// Deterministic pseudo-random bytes from a small CSV-ish alphabet.
    fn noise(seed: u64, len: usize, alphabet: &[u8]) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x = crate::testutil::xorshift(x);
                alphabet[(x % alphabet.len() as u64) as usize]
            })
            .collect()
    }

    #[test]
    fn arbitrary_input_never_panics_and_count_agrees() {
        let alphabet = b"0123456789.,,,\"\"\n\n\r \t-eax";
        for (k, o) in [
            opts(),
            with_label(1, 2),
            CsvOptions {
                has_header: true,
                label: None,
                ..opts()
            },
        ]
        .into_iter()
        .enumerate()
        {
            let d = Decoder::new(o);
            let mut b = Batch::default();
            for seed in 0..3000u64 {
                let s = noise(seed * 3 + k as u64, (seed % 40) as usize, alphabet);
                for first in [true, false] {
                    let decoded = d.decode(&s, first, &mut b);
                    let counted = d.count(&s, first);
                    let _ = d.header_names(&s);
                    if decoded.is_ok() {
                        assert_eq!(
                            counted.ok(),
                            Some(b.len() as u64),
                            "{:?}",
                            String::from_utf8_lossy(&s)
                        );
                        assert_eq!(
                            b.lines as usize,
                            s.iter().filter(|&&c| c == b'\n').count()
                                + (!s.is_empty() && !s.ends_with(b"\n")) as usize
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn decoding_line_by_line_gives_the_same_rows() {
        let s = b"1,2,3\r\n\n4,,6\n\"7\",8,9\n10,11,12";
        let whole = decode(s);
        let mut parts = Vec::new();
        for (l, _) in crate::codec::lines::split_lines(s) {
            let mut l = l.to_vec();
            l.push(b'\n');
            parts.extend(rows(&decode_with(opts(), &l, false)));
        }
        assert_eq!(rows(&whole), parts);
    }

    fn assert_round_trip(b: &Batch, label_size: usize, header: Option<Vec<String>>) {
        let wo = CsvWriteOptions {
            header: header.clone(),
            ..Default::default()
        };
        let text = encode_with(wo, b).unwrap();
        let o = CsvOptions {
            has_header: header.is_some(),
            label: Some(LabelColumns {
                index: 0,
                size: label_size,
            }),
            ..opts()
        };
        let back = decode_with(o.clone(), text.as_bytes(), true);
        assert_eq!(rows(&back), rows(b), "{text}");
        assert_eq!(back.row_ends, b.row_ends);
        assert_eq!(back.label_ends, b.label_ends);
        if let Some(h) = header {
            assert_eq!(Decoder::new(o).header_names(text.as_bytes()).unwrap(), h);
        }
    }

    #[test]
    fn decode_of_encode_is_identity() {
        let b = dense(
            Dtype::Float64,
            &[
                (&[1.0], &[0.1, -2.5e-300, 1e300, 0.0]),
                (&[0.0], &[f64::NAN, 123456789.125, -0.0, f64::INFINITY]),
            ],
        );
        assert_round_trip(&b, 1, None);
        let back = decode(encode(&b).as_bytes());
        assert!(back.values[6].is_sign_negative());
        let b = dense(
            Dtype::Float64,
            &[(&[1.0, 2.0], &[3.0]), (&[4.0, f64::NAN], &[5.0])],
        );
        assert_round_trip(
            &b,
            2,
            Some(vec!["y1".into(), "y2, really".into(), "x".into()]),
        );
        let b = dense(Dtype::Float64, &[(&[], &[1.0, 2.0]), (&[], &[3.0, 4.0])]);
        assert_round_trip(&b, 0, None);
        let exact = decode(b"1,0.5,0,0,-1,0\n0,0,0,0,0,0\n");
        assert_eq!(decode(encode(&exact).as_bytes()), exact);
    }
}
