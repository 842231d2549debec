//! Typed tables: CSV with a header row, or JSON Lines whose values are
//! scalars, to Parquet with inferred column types, and Parquet back to CSV
//! (with a header) or JSON Lines. This is the `--typed` mode of
//! `sm-data convert`; the numeric example path ([`crate::Batch`]) is not
//! involved.
//!
//! # Types and inference
//! Each column is one of `int64`, `float64`, `bool`, `string` and
//! `timestamp[us, UTC]`, and nullable. A cell is
//! - null: an empty CSV cell, a JSON `null`, or a key missing from a JSON line;
//! - int: an integer that fits i64 (JSON: a number without fraction or exponent);
//! - float: any other number (`1.5`, `1e3`, `nan`, `inf`);
//! - bool: `true`/`false` (any case in CSV);
//! - timestamp: `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]` (no zone is UTC);
//! - string: anything else.
//!
//! A column's type is the join of its cells' kinds over the **whole
//! input**: int and float give float, null gives way to anything, and
//! any other mix gives string (the cells keep their text). Inference is a
//! first parallel pass (cheap: cells are classified, not stored), so a
//! value never meets a type it does not fit, and there is no "type changed
//! at row 1,000,001" error. A stream (stdin) is spooled to an unlinked
//! temporary file first so that it can be read twice.
//!
//! JSON Lines columns are the keys in order of first appearance. A nested
//! value (array or object) is an error naming line and key.
//!
//! # Parallelism
//! Both passes run on the chunk pipeline ([`crate::pipeline`]): the input is
//! cut at record boundaries (quote-aware for CSV), chunks are parsed in
//! parallel into Arrow arrays, and each chunk becomes a record batch
//! written in input order; the Parquet writer groups them into row groups
//! of [`ParquetOptions::row_group_size`](crate::format::parquet::ParquetOptions) rows.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::codec::lines::LineFramer;
use crate::convert::{ConvertOptions, Summary};
use crate::error::{Error, Result};
use crate::format::parquet::read::no_panic;
use crate::format::{Format, FormatSpec};
use crate::pipeline::{self, Chunk, Chunker, Counted};
use crate::store::{Input, Output};

/// A format a typed table is read from or written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableFormat {
    /// CSV with a header row (`,` or the configured delimiter).
    Csv,
    /// JSON Lines: one object of scalar values per line.
    Jsonl,
    /// Parquet.
    Parquet,
}

impl TableFormat {
    /// The table format of a file name (`.csv`, `.jsonl`/`.ndjson`,
    /// `.parquet`/`.pq`; a trailing `.gz` is ignored).
    pub fn from_path(path: &str) -> Option<TableFormat> {
        let lower = path.to_ascii_lowercase();
        let name = lower.strip_suffix(".gz").unwrap_or(&lower);
        match name.rsplit_once('.')?.1 {
            "csv" => Some(TableFormat::Csv),
            "jsonl" | "ndjson" => Some(TableFormat::Jsonl),
            "parquet" | "pq" => Some(TableFormat::Parquet),
            _ => None,
        }
    }

    fn from_spec(spec: &FormatSpec) -> Result<TableFormat> {
        match spec.format {
            Format::Csv => Ok(TableFormat::Csv),
            Format::Jsonl => Ok(TableFormat::Jsonl),
            Format::Parquet => Ok(TableFormat::Parquet),
            f => Err(Error::config(format!(
                "typed tables are read from and written to csv, jsonl and parquet, not {f}"
            ))),
        }
    }
}

/// The inferred kind of a cell or column, joined over a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Only nulls so far (written as a nullable string column).
    Null,
    /// `true`/`false`.
    Bool,
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
    /// Timestamp in microseconds, UTC.
    Timestamp,
    /// Text.
    Str,
}

impl Kind {
    /// The narrowest kind holding both.
    pub fn join(self, other: Kind) -> Kind {
        use Kind::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Null, x) | (x, Null) => x,
            (Int, Float) | (Float, Int) => Float,
            _ => Str,
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Kind::Bool => DataType::Boolean,
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Null | Kind::Str => DataType::Utf8,
        }
    }
}

/// Converts a typed table between files, writing `output` through a
/// temporary name. Formats come from `opts.from`/`opts.to` (csv, jsonl, parquet)
/// or the file extensions (`.jsonl`/`.ndjson` for JSON Lines).
pub fn convert_path(
    input: &str,
    output: &str,
    overwrite: bool,
    opts: &ConvertOptions,
) -> Result<Summary> {
    let from = match (&opts.from, TableFormat::from_path(input)) {
        (Some(s), _) => TableFormat::from_spec(s)?,
        (None, Some(f)) => f,
        (None, None) => {
            return Err(Error::config(format!(
                "cannot tell the table format of {input}: name it .csv, .jsonl or .parquet, or pass --from"
            )));
        }
    };
    let to = match (&opts.to, TableFormat::from_path(output)) {
        (Some(s), _) => TableFormat::from_spec(s)?,
        (None, Some(f)) => f,
        (None, None) => {
            return Err(Error::config(format!(
                "cannot tell the table format of {output}: name it .csv, .jsonl or .parquet, or pass --to"
            )));
        }
    };
    let input = Input::open(input)?;
    let mut out = Output::create(output, overwrite)?;
    let summary = convert_table(input, from, to, &mut |b: &[u8]| out.write_all(b), opts)?;
    out.commit()?;
    Ok(summary)
}

/// [`crate::convert::convert`] in typed mode (CSV and Parquet formats).
pub fn convert(
    input: Input,
    from: &FormatSpec,
    to: &FormatSpec,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    opts: &ConvertOptions,
    _summary: Summary,
) -> Result<Summary> {
    let from = TableFormat::from_spec(from)?;
    let to = TableFormat::from_spec(to)?;
    convert_table(input, from, to, sink, opts)
}

fn format_of(t: TableFormat) -> Format {
    match t {
        TableFormat::Csv => Format::Csv,
        TableFormat::Jsonl => Format::Jsonl,
        TableFormat::Parquet => Format::Parquet,
    }
}

/// Converts a typed table from `from` to `to`, handing output bytes to
/// `sink`. One side must be Parquet.
pub fn convert_table(
    input: Input,
    from: TableFormat,
    to: TableFormat,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    opts: &ConvertOptions,
) -> Result<Summary> {
    let mut summary = Summary {
        from: format_of(from),
        to: format_of(to),
        records: 0,
        bytes_in: 0,
        bytes_out: 0,
        frame_copy: false,
    };
    match (from, to) {
        (TableFormat::Parquet, TableFormat::Parquet) => Err(Error::config(
            "typed Parquet to Parquet is not supported: convert without --typed to rewrite numeric data",
        )),
        (TableFormat::Parquet, text) => from_parquet(input, text, sink, opts, summary),
        (text, TableFormat::Parquet) => {
            to_parquet(input, text, sink, opts, &mut summary)?;
            Ok(summary)
        }
        _ => Err(Error::config(
            "typed tables convert to or from Parquet: one side must be parquet",
        )),
    }
}

// ---------------------------------------------------------------------------
// Text → Parquet

/// A CSV or JSON Lines cell.
enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, to be classified (CSV cells, JSON strings).
    Text(std::borrow::Cow<'a, str>),
    /// A JSON number or bool kept as text for a string column.
    Raw(String),
}

fn classify_text(s: &str) -> Kind {
    if s.is_empty() {
        Kind::Null
    } else if s.parse::<i64>().is_ok() {
        Kind::Int
    } else if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") {
        Kind::Bool
    } else if crate::codec::text::parse_f64(s.as_bytes()).is_some() {
        Kind::Float
    } else if parse_timestamp(s).is_some() {
        Kind::Timestamp
    } else {
        Kind::Str
    }
}

impl Cell<'_> {
    fn kind(&self, csv: bool) -> Kind {
        match self {
            Cell::Null => Kind::Null,
            Cell::Bool(_) => Kind::Bool,
            Cell::Int(_) => Kind::Int,
            Cell::Float(_) => Kind::Float,
            Cell::Text(s) if csv => classify_text(s),
            Cell::Text(s) => {
                if parse_timestamp(s).is_some() {
                    Kind::Timestamp
                } else {
                    Kind::Str
                }
            }
            Cell::Raw(_) => Kind::Str,
        }
    }
}

/// Microseconds since the epoch of `YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±HH:MM]`.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = &b[r];
        if t.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(t).ok()?.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 6 {
                micros = micros * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..6 {
            micros *= 10;
        }
    }
    let offset = match &b[i..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86400 + h * 3600 + mi * 60 + sec - offset;
    Some(secs * 1_000_000 + micros)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Writes `micros` since the epoch as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`.
fn write_timestamp(out: &mut Vec<u8>, micros: i64) {
    use std::io::Write;
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let s = secs.rem_euclid(86400);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    if frac != 0 {
        let _ = write!(out, ".{frac:06}");
    }
    out.push(b'Z');
}

/// Splits CSV records (quote-aware) and their fields.
struct CsvSplit {
    delimiter: u8,
    quote: u8,
}

impl CsvSplit {
    /// Records of a chunk: `(record bytes without the line end, offset,
    /// lines spanned)`.
    fn records<'a>(&self, chunk: &'a [u8]) -> Vec<(&'a [u8], usize, u64)> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut quoted = false;
        let mut lines = 0;
        for (i, &c) in chunk.iter().enumerate() {
            if c == self.quote {
                quoted = !quoted;
            } else if c == b'\n' {
                lines += 1;
                if !quoted {
                    let mut rec = &chunk[start..i];
                    if rec.last() == Some(&b'\r') {
                        rec = &rec[..rec.len() - 1];
                    }
                    out.push((rec, start, lines));
                    lines = 0;
                    start = i + 1;
                }
            }
        }
        if start < chunk.len() {
            out.push((&chunk[start..], start, lines + 1));
        }
        out
    }

    /// The fields of a record, unquoted. `Err((field, offset, msg))`.
    fn fields<'a>(
        &self,
        rec: &'a [u8],
        out: &mut Vec<std::borrow::Cow<'a, [u8]>>,
    ) -> std::result::Result<(), (usize, usize, &'static str)> {
        out.clear();
        let mut i = 0;
        loop {
            let field = out.len();
            if rec.get(i) == Some(&self.quote) {
                let mut buf = Vec::new();
                let mut j = i + 1;
                loop {
                    match rec.get(j) {
                        None => return Err((field, i, "unclosed quote")),
                        Some(&c) if c == self.quote => {
                            if rec.get(j + 1) == Some(&self.quote) {
                                buf.push(c);
                                j += 2;
                            } else {
                                j += 1;
                                break;
                            }
                        }
                        Some(&c) => {
                            buf.push(c);
                            j += 1;
                        }
                    }
                }
                out.push(std::borrow::Cow::Owned(buf));
                match rec.get(j) {
                    None => return Ok(()),
                    Some(&c) if c == self.delimiter => i = j + 1,
                    Some(_) => return Err((field, j, "text after the closing quote")),
                }
            } else {
                let end = memchr::memchr(self.delimiter, &rec[i..]).map(|k| i + k);
                let f = &rec[i..end.unwrap_or(rec.len())];
                if memchr::memchr(self.quote, f).is_some() {
                    return Err((field, i, "a quote inside an unquoted field"));
                }
                out.push(std::borrow::Cow::Borrowed(f));
                match end {
                    Some(e) => i = e + 1,
                    None => return Ok(()),
                }
            }
        }
    }
}

/// What a chunk of text parses to: per record, cells by column.
struct Parsed<T> {
    value: T,
    records: u64,
    lines: u64,
}

impl<T> Counted for Parsed<T> {
    fn records(&self) -> u64 {
        self.records
    }
    fn lines(&self) -> u64 {
        self.lines
    }
}

/// The callback of [`for_each_record`]: line, offset, the record's cells.
type EachRecord<'f> =
    dyn FnMut(u64, usize, &mut dyn Iterator<Item = (Col, Cell<'_>)>) -> Result<()> + 'f;

/// The column of a cell: its position (CSV) or its key (JSON Lines).
enum Col {
    Pos(usize),
    Key(String),
}

/// Calls `each(line, offset, cells)` for every record of a chunk. For
/// CSV the first record of the input is the header and is passed with
/// `line == u64::MAX`.
fn for_each_record(
    text: TableFormat,
    csv: &CsvSplit,
    chunk: &[u8],
    first: bool,
    each: &mut EachRecord<'_>,
    header: &mut dyn FnMut(Vec<String>) -> Result<()>,
) -> Result<(u64, u64)> {
    let mut records = 0;
    let mut line = 0u64;
    match text {
        TableFormat::Csv => {
            let (chunk, bom) = match chunk.strip_prefix(b"\xEF\xBB\xBF") {
                Some(rest) if first => (rest, 3),
                _ => (chunk, 0),
            };
            let mut fields = Vec::new();
            let mut need_header = first;
            for (rec, off, spanned) in csv.records(chunk) {
                let here = line;
                line += spanned;
                if rec.iter().all(|c| matches!(c, b' ' | b'\t')) {
                    continue;
                }
                csv.fields(rec, &mut fields).map_err(|(f, at, msg)| {
                    Error::syntax("csv", format!("{msg} in field {}", f + 1))
                        .at_line(here)
                        .at_field(f as u64)
                        .at_byte((off + at + bom) as u64)
                })?;
                if need_header {
                    need_header = false;
                    header(
                        fields
                            .iter()
                            .map(|f| String::from_utf8_lossy(f).into_owned())
                            .collect(),
                    )?;
                    continue;
                }
                let mut it = fields.iter().enumerate().map(|(j, f)| {
                    let s = match f {
                        std::borrow::Cow::Borrowed(b) => String::from_utf8_lossy(b),
                        std::borrow::Cow::Owned(v) => {
                            std::borrow::Cow::Owned(String::from_utf8_lossy(v).into_owned())
                        }
                    };
                    // An empty quoted field ("") is an empty string, not null.
                    let quoted = matches!(f, std::borrow::Cow::Owned(_));
                    let cell = match (s.is_empty(), quoted) {
                        (true, false) => Cell::Null,
                        (true, true) => Cell::Raw(String::new()),
                        _ => Cell::Text(s),
                    };
                    (Col::Pos(j), cell)
                });
                each(here, off, &mut it)
                    .map_err(|e| e.at_line(here).at_byte((off + bom) as u64))?;
                records += 1;
            }
        }
        TableFormat::Jsonl => {
            for (raw, off) in crate::codec::lines::split_lines(chunk) {
                let here = line;
                line += 1;
                let raw = if first && here == 0 {
                    raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
                } else {
                    raw
                };
                if raw.iter().all(|c| c.is_ascii_whitespace()) {
                    continue;
                }
                let obj: Object = serde_json::from_slice(raw).map_err(|e| {
                    Error::syntax("jsonl", format!("expected a JSON object: {e}"))
                        .at_line(here)
                        .at_byte(off as u64 + e.column().saturating_sub(1) as u64)
                })?;
                let mut bad = None;
                if let Some(k) = obj.duplicate() {
                    return Err(Error::syntax(
                        "jsonl",
                        format!("key {k:?} appears twice in the object"),
                    )
                    .at_line(here)
                    .at_byte(off as u64));
                }
                let mut it = obj.0.into_iter().map(|(k, v)| {
                    let cell = match v {
                        serde_json::Value::Null => Cell::Null,
                        serde_json::Value::Bool(b) => Cell::Bool(b),
                        serde_json::Value::Number(n) => match n.as_i64() {
                            Some(i) => Cell::Int(i),
                            None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
                        },
                        serde_json::Value::String(s) => Cell::Text(std::borrow::Cow::Owned(s)),
                        other => {
                            if bad.is_none() {
                                bad = Some(k.clone());
                            }
                            Cell::Raw(other.to_string())
                        }
                    };
                    (Col::Key(k), cell)
                });
                let r = each(here, off, &mut it);
                drop(it);
                if let Some(k) = bad {
                    return Err(Error::unsupported(format!(
                        "the value of {k:?} is an array or object; typed tables hold scalars only"
                    ))
                    .at_line(here)
                    .at_byte(off as u64));
                }
                r.map_err(|e| e.at_line(here).at_byte(off as u64))?;
                records += 1;
            }
        }
        TableFormat::Parquet => unreachable!("text formats only"),
    }
    Ok((records, line))
}

/// A JSON object with its keys in order.
struct Object(Vec<(String, serde_json::Value)>);

impl Object {
    fn duplicate(&self) -> Option<&str> {
        let mut keys: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    }
}

impl<'de> serde::Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Object, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Object, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = m.next_entry()? {
                    v.push(e);
                }
                Ok(Object(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// The columns found by the inference pass.
#[derive(Debug, Default, Clone)]
struct Columns {
    names: Vec<String>,
    kinds: Vec<Kind>,
}

impl Columns {
    /// The slot of a cell's column, added (as still null) when new. CSV
    /// columns are named by position until the header names them.
    fn slot(&mut self, col: &Col) -> usize {
        match col {
            Col::Pos(j) => {
                while self.names.len() <= *j {
                    self.names.push(self.names.len().to_string());
                    self.kinds.push(Kind::Null);
                }
                *j
            }
            Col::Key(name) => self.index(name),
        }
    }

    fn index(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_string());
                self.kinds.push(Kind::Null);
                self.names.len() - 1
            }
        }
    }

    fn merge(&mut self, other: &Columns) {
        for (n, &k) in other.names.iter().zip(&other.kinds) {
            let i = self.index(n);
            self.kinds[i] = self.kinds[i].join(k);
        }
    }
}

fn to_parquet(
    input: Input,
    text: TableFormat,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    opts: &ConvertOptions,
    summary: &mut Summary,
) -> Result<()> {
    let input = spool(input)?;
    let csv = CsvSplit {
        delimiter: opts.csv.delimiter,
        quote: opts.csv.quote,
    };
    let framer = match text {
        TableFormat::Csv => LineFramer::quoted(opts.csv.quote),
        _ => LineFramer::new(),
    };
    let again = match &input {
        Input::Mapped { map, name } => Input::Mapped {
            map: map.clone(),
            name: name.clone(),
        },
        Input::Stream { .. } => unreachable!("spooled"),
    };
    // Pass 1: the header (CSV) and every column's kind.
    let mut header: Option<Vec<String>> = None;
    let mut cols = Columns::default();
    {
        let mut chunker = Chunker::new(input, &framer, opts.pipeline.chunk_size);
        let header_slot = std::sync::Mutex::new(None::<Vec<String>>);
        pipeline::run(
            &mut chunker,
            opts.pipeline,
            |chunk: &Chunk| {
                let mut c = Columns::default();
                let (records, lines) = for_each_record(
                    text,
                    &csv,
                    chunk,
                    chunk.index == 0,
                    &mut |_, _, cells| {
                        for (col, cell) in cells {
                            let i = c.slot(&col);
                            c.kinds[i] = c.kinds[i].join(cell.kind(text == TableFormat::Csv));
                        }
                        Ok(())
                    },
                    &mut |h| {
                        *header_slot.lock().expect("lock") = Some(h);
                        Ok(())
                    },
                )?;
                Ok(Parsed {
                    value: c,
                    records,
                    lines,
                })
            },
            |p: Parsed<Columns>| {
                cols.merge(&p.value);
                Ok(())
            },
            &mut |_| {},
        )?;
        if let Some(h) = header_slot.into_inner().expect("lock") {
            header = Some(h);
        }
    }
    if text == TableFormat::Csv {
        let names = header.unwrap_or_default();
        // CSV columns were keyed by position; give them the header's names.
        let mut kinds = vec![Kind::Null; names.len()];
        for (n, &k) in cols.names.iter().zip(&cols.kinds) {
            let j: usize = n.parse().expect("positional");
            if j >= names.len() {
                return Err(Error::syntax(
                    "csv",
                    format!(
                        "a record has more fields ({}) than the header ({})",
                        j + 1,
                        names.len()
                    ),
                )
                .in_file(again.name().to_string()));
            }
            kinds[j] = k;
        }
        cols = Columns { names, kinds };
    }
    let schema: SchemaRef = Arc::new(Schema::new(
        cols.names
            .iter()
            .zip(&cols.kinds)
            .map(|(n, k)| Field::new(n, k.data_type(), true))
            .collect::<Vec<_>>(),
    ));
    // Pass 2: parse into Arrow arrays, chunks in parallel.
    let mut writer = crate::format::parquet::write::arrow_writer(schema.clone(), &opts.parquet)?;
    let mut chunker = Chunker::new(again, &framer, opts.pipeline.chunk_size);
    let positions: Vec<String> = cols.names.clone();
    let kinds = cols.kinds.clone();
    pipeline::run(
        &mut chunker,
        opts.pipeline,
        |chunk: &Chunk| {
            let mut builders: Vec<ColumnBuilder> =
                kinds.iter().map(|&k| ColumnBuilder::new(k)).collect();
            let mut seen = vec![false; kinds.len()];
            let (records, lines) = for_each_record(
                text,
                &csv,
                chunk,
                chunk.index == 0,
                &mut |_, _, cells| {
                    seen.iter_mut().for_each(|s| *s = false);
                    for (col, cell) in cells {
                        let j = match col {
                            Col::Pos(j) => j,
                            Col::Key(name) => {
                                positions.iter().position(|n| *n == name).expect("inferred")
                            }
                        };
                        builders[j].push(cell)?;
                        seen[j] = true;
                    }
                    for (j, s) in seen.iter().enumerate() {
                        if !s {
                            builders[j].push(Cell::Null)?;
                        }
                    }
                    Ok(())
                },
                &mut |_| Ok(()),
            )?;
            let arrays: Vec<ArrayRef> = builders.into_iter().map(ColumnBuilder::finish).collect();
            if arrays.is_empty() && records > 0 {
                // Found by the `table` fuzz target (an internal error before).
                return Err(Error::unsupported(
                    "the table has records but no columns (an empty header line, or JSON objects without keys): typed tables need at least one column",
                ));
            }
            let rb = if arrays.is_empty() {
                RecordBatch::new_empty(schema.clone())
            } else {
                RecordBatch::try_new(schema.clone(), arrays)
                    .map_err(|e| internal(&format!("record batch: {e}")))?
            };
            Ok(Parsed {
                value: rb,
                records,
                lines,
            })
        },
        |p: Parsed<RecordBatch>| {
            writer
                .write(&p.value)
                .map_err(|e| Error::unsupported(format!("cannot write Parquet: {e}")))?;
            summary.records += p.records;
            let bytes = std::mem::take(writer.inner_mut());
            summary.bytes_out += bytes.len() as u64;
            sink(&bytes)
        },
        &mut |_| {},
    )?;
    summary.bytes_in = chunker.position();
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::unsupported(format!("cannot write Parquet: {e}")))?;
    summary.bytes_out += bytes.len() as u64;
    sink(&bytes)
}

/// A mapped input: a stream is spooled to an unlinked temporary file.
fn spool(input: Input) -> Result<Input> {
    match input {
        Input::Mapped { .. } => Ok(input),
        Input::Stream {
            reader, name, head, ..
        } => Ok(Input::Mapped {
            map: crate::format::parquet::read::spool(reader, &head, &name)?,
            name,
        }),
    }
}

fn internal(msg: &str) -> Error {
    Error::new(crate::error::ErrorKind::Internal(msg.to_string()))
}

enum ColumnBuilder {
    Null(StringBuilder),
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Ts(TimestampMicrosecondBuilder),
    Str(StringBuilder),
}

impl ColumnBuilder {
    fn new(k: Kind) -> ColumnBuilder {
        match k {
            Kind::Null => ColumnBuilder::Null(StringBuilder::new()),
            Kind::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            Kind::Int => ColumnBuilder::Int(Int64Builder::new()),
            Kind::Float => ColumnBuilder::Float(Float64Builder::new()),
            Kind::Timestamp => {
                ColumnBuilder::Ts(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            Kind::Str => ColumnBuilder::Str(StringBuilder::new()),
        }
    }

    /// Appends a cell. Inference saw every cell, so a mismatch is a bug;
    /// it is still reported as an error, not a panic.
    fn push(&mut self, cell: Cell<'_>) -> Result<()> {
        let mismatch = || internal("a cell does not fit its inferred column type");
        match (self, cell) {
            (ColumnBuilder::Null(b) | ColumnBuilder::Str(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Null(_), _) => return Err(mismatch()),
            (ColumnBuilder::Bool(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Int(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Float(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Ts(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Str(b), Cell::Text(s)) => b.append_value(&*s),
            (ColumnBuilder::Str(b), Cell::Raw(s)) => b.append_value(&s),
            (ColumnBuilder::Str(b), Cell::Bool(v)) => {
                b.append_value(if v { "true" } else { "false" })
            }
            (ColumnBuilder::Str(b), Cell::Int(v)) => b.append_value(v.to_string()),
            (ColumnBuilder::Str(b), Cell::Float(v)) => b.append_value(v.to_string()),
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Bool(b), Cell::Text(s)) => {
                b.append_value(s.eq_ignore_ascii_case("true"))
            }
            (ColumnBuilder::Int(b), Cell::Int(v)) => b.append_value(v),
            (ColumnBuilder::Int(b), Cell::Text(s)) => {
                b.append_value(s.parse().map_err(|_| mismatch())?)
            }
            (ColumnBuilder::Float(b), Cell::Float(v)) => b.append_value(v),
            (ColumnBuilder::Float(b), Cell::Int(v)) => b.append_value(v as f64),
            (ColumnBuilder::Float(b), Cell::Text(s)) => {
                b.append_value(crate::codec::text::parse_f64(s.as_bytes()).ok_or_else(mismatch)?)
            }
            (ColumnBuilder::Ts(b), Cell::Text(s)) => {
                b.append_value(parse_timestamp(&s).ok_or_else(mismatch)?)
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    fn finish(self) -> ArrayRef {
        match self {
            ColumnBuilder::Null(mut b) | ColumnBuilder::Str(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Int(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Float(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Ts(mut b) => Arc::new(b.finish()),
        }
    }
}

// ---------------------------------------------------------------------------
// Parquet → text

fn from_parquet(
    input: Input,
    text: TableFormat,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    opts: &ConvertOptions,
    mut summary: Summary,
) -> Result<Summary> {
    let (bytes, name) = crate::format::parquet::read::whole(input)?;
    summary.bytes_in = bytes.len() as u64;
    let located = |e: Error| e.in_file(name.clone());
    crate::format::parquet::check_framing(&bytes).map_err(located)?;
    let footer = "cannot read the Parquet footer";
    let builder = no_panic(footer, || {
        ParquetRecordBatchReaderBuilder::try_new(Bytes::clone(&bytes))
            .map_err(|e| Error::syntax("parquet", format!("{footer}: {e}")))
    })
    .and_then(|r| r)
    .map_err(|e| located(e.at_byte(bytes.len() as u64 - 8)))?;
    let schema = builder.schema().clone();
    for f in schema.fields() {
        if !printable(f.data_type()) {
            return Err(located(Error::unsupported(format!(
                "column {:?} has type {}, which typed tables do not print",
                f.name(),
                f.data_type()
            ))));
        }
    }
    let delimiter = opts.csv_out_delimiter.unwrap_or(b',');
    let mut out = Vec::new();
    if text == TableFormat::Csv {
        for (i, f) in schema.fields().iter().enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            csv_string(&mut out, f.name(), delimiter);
        }
        out.push(b'\n');
    }
    let mut reader = no_panic("cannot decode", || {
        builder.with_batch_size(64 * 1024).build()
    })
    .map_err(&located)?
    .map_err(|e| located(Error::syntax("parquet", e.to_string())))?;
    while let Some(rb) = no_panic("cannot decode", || reader.next())
        .map_err(|e| located(e.at_record(summary.records)))?
    {
        let rb = rb.map_err(|e| {
            located(
                Error::syntax("parquet", format!("cannot decode: {e}")).at_record(summary.records),
            )
        })?;
        for i in 0..rb.num_rows() {
            if text == TableFormat::Jsonl {
                out.push(b'{');
            }
            for (j, col) in rb.columns().iter().enumerate() {
                match text {
                    TableFormat::Jsonl => {
                        if j > 0 {
                            out.push(b',');
                        }
                        serde_json::to_writer(&mut out, schema.field(j).name()).expect("vec");
                        out.push(b':');
                        write_cell(&mut out, col.as_ref(), i, Text::Json);
                    }
                    _ => {
                        if j > 0 {
                            out.push(delimiter);
                        }
                        write_cell(&mut out, col.as_ref(), i, Text::Csv(delimiter));
                    }
                }
            }
            if text == TableFormat::Jsonl {
                out.push(b'}');
            }
            out.push(b'\n');
        }
        summary.records += rb.num_rows() as u64;
        summary.bytes_out += out.len() as u64;
        sink(&out)?;
        out.clear();
    }
    if !out.is_empty() {
        summary.bytes_out += out.len() as u64;
        sink(&out)?;
    }
    Ok(summary)
}

fn printable(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Null
            | DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Timestamp(..)
            | DataType::Date32
    )
}

#[derive(Clone, Copy)]
enum Text {
    Csv(u8),
    Json,
}

fn csv_string(out: &mut Vec<u8>, s: &str, delimiter: u8) {
    let needs = s.is_empty()
        || s.bytes()
            .any(|c| c == delimiter || c == b'"' || c == b'\n' || c == b'\r');
    if needs {
        out.push(b'"');
        for c in s.bytes() {
            if c == b'"' {
                out.push(b'"');
            }
            out.push(c);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

fn write_float(out: &mut Vec<u8>, v: f64, json: bool) {
    if v.is_finite() {
        let mut b = zmij::Buffer::new();
        out.extend_from_slice(b.format_finite(v).as_bytes());
    } else if json {
        out.extend_from_slice(b"null");
    } else if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
    }
}

fn write_cell(out: &mut Vec<u8>, col: &dyn Array, i: usize, text: Text) {
    let json = matches!(text, Text::Json);
    if col.is_null(i) {
        if json {
            out.extend_from_slice(b"null");
        }
        return;
    }
    let mut int = |v: i128| {
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(v).as_bytes());
    };
    match col.data_type() {
        DataType::Int8 => int(col.as_primitive::<Int8Type>().value(i) as i128),
        DataType::Int16 => int(col.as_primitive::<Int16Type>().value(i) as i128),
        DataType::Int32 => int(col.as_primitive::<Int32Type>().value(i) as i128),
        DataType::Int64 => int(col.as_primitive::<Int64Type>().value(i) as i128),
        DataType::UInt8 => int(col.as_primitive::<UInt8Type>().value(i) as i128),
        DataType::UInt16 => int(col.as_primitive::<UInt16Type>().value(i) as i128),
        DataType::UInt32 => int(col.as_primitive::<UInt32Type>().value(i) as i128),
        DataType::UInt64 => int(col.as_primitive::<UInt64Type>().value(i) as i128),
        DataType::Float32 => {
            let v = col.as_primitive::<Float32Type>().value(i);
            if v.is_finite() {
                let mut b = zmij::Buffer::new();
                out.extend_from_slice(b.format_finite(v).as_bytes());
            } else {
                write_float(out, v as f64, json);
            }
        }
        DataType::Float64 => write_float(out, col.as_primitive::<Float64Type>().value(i), json),
        DataType::Boolean => out.extend_from_slice(if col.as_boolean().value(i) {
            b"true"
        } else {
            b"false"
        }),
        DataType::Utf8 | DataType::LargeUtf8 => {
            let s = if matches!(col.data_type(), DataType::Utf8) {
                col.as_string::<i32>().value(i)
            } else {
                col.as_string::<i64>().value(i)
            };
            match text {
                Text::Json => serde_json::to_writer(&mut *out, s).expect("vec"),
                Text::Csv(d) => csv_string(out, s, d),
            }
        }
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Second => col
                    .as_primitive::<TimestampSecondType>()
                    .value(i)
                    .saturating_mul(1_000_000),
                TimeUnit::Millisecond => col
                    .as_primitive::<TimestampMillisecondType>()
                    .value(i)
                    .saturating_mul(1000),
                TimeUnit::Microsecond => col.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => {
                    col.as_primitive::<TimestampNanosecondType>().value(i) / 1000
                }
            };
            if json {
                out.push(b'"');
            }
            write_timestamp(out, v);
            if json {
                out.push(b'"');
            }
        }
        DataType::Date32 => {
            let (y, m, d) = civil_from_days(col.as_primitive::<Date32Type>().value(i) as i64);
            let s = format!("{y:04}-{m:02}-{d:02}");
            if json {
                out.push(b'"');
            }
            out.extend_from_slice(s.as_bytes());
            if json {
                out.push(b'"');
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_table_without_columns_is_an_error_not_a_panic() {
        // Found by the `table` fuzz target: records without any column
        // were an internal error (Arrow refuses a batch with no column).
        let run = |text: &[u8], from| {
            let mut out = Vec::new();
            convert_table(
                Input::from_bytes(text.to_vec(), "t"),
                from,
                TableFormat::Parquet,
                &mut |b: &[u8]| {
                    out.extend_from_slice(b);
                    Ok(())
                },
                &ConvertOptions::default(),
            )
        };
        let e = run(b"{}\n{}\n", TableFormat::Jsonl).unwrap_err();
        assert!(e.to_string().contains("records but no columns"), "{e}");
        assert!(
            !matches!(e.kind(), crate::error::ErrorKind::Internal(_)),
            "{e}"
        );
        assert_eq!(run(b"\n \n", TableFormat::Csv).unwrap().records, 0);
        assert_eq!(run(b"", TableFormat::Jsonl).unwrap().records, 0);
    }
    use super::*;

    #[test]
    fn kinds_join() {
        assert_eq!(Kind::Int.join(Kind::Float), Kind::Float);
        assert_eq!(Kind::Null.join(Kind::Bool), Kind::Bool);
        assert_eq!(Kind::Int.join(Kind::Bool), Kind::Str);
        assert_eq!(classify_text("12"), Kind::Int);
        assert_eq!(classify_text("1.5e3"), Kind::Float);
        assert_eq!(classify_text("TRUE"), Kind::Bool);
        assert_eq!(classify_text("2024-01-02T03:04:05Z"), Kind::Timestamp);
        assert_eq!(classify_text("2024-02-30T03:04:05Z"), Kind::Str);
        assert_eq!(classify_text("x"), Kind::Str);
    }

    #[test]
    fn timestamps_parse_and_print() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01 00:00:01.5"), Some(1_500_000));
        assert_eq!(
            parse_timestamp("2024-01-02T03:04:05+01:00"),
            parse_timestamp("2024-01-02T02:04:05Z")
        );
        let t = parse_timestamp("1999-12-31T23:59:59.5Z").unwrap();
        let mut out = Vec::new();
        write_timestamp(&mut out, t);
        assert_eq!(out, b"1999-12-31T23:59:59.500000Z");
        let mut out = Vec::new();
        write_timestamp(&mut out, -1);
        assert_eq!(out, b"1969-12-31T23:59:59.999999Z");
    }
}
