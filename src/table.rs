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
//! parallel into Arrow arrays, and by default each chunk (sized to hold
//! about half of [`TABLE_ROW_GROUP_BYTES`] of values) is encoded into a
//! row group by the worker that parsed it; row groups are appended in
//! input order. With an explicit
//! [`ParquetOptions::row_group_size`](crate::format::parquet::ParquetOptions),
//! the batches go to one writer in input order, which makes row groups of
//! exactly that many rows.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{
    Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::file::writer::SerializedFileWriter;

use crate::codec::lines::LineFramer;
use crate::convert::{ConvertOptions, Summary};
use crate::error::{Error, Result};
use crate::format::parquet::read::no_panic;
use crate::format::parquet::write::{
    ColumnParallelWriter, EncodedGroups, GroupEncoder, TABLE_ROW_GROUP_BYTES, append_groups,
    finish_file,
};
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
    let out = std::cell::RefCell::new(Some(Output::create(output, overwrite)?));
    let discardable = out.borrow().as_ref().is_some_and(Output::is_discardable);
    // Starting over replaces the output: the old one's temporary file or
    // upload is discarded as it drops (first: the new one may take the
    // same temporary name).
    let mut restart = || -> Result<()> {
        drop(out.take());
        *out.borrow_mut() = Some(Output::create(output, overwrite)?);
        Ok(())
    };
    let lost = || internal("the output was not recreated");
    let summary = convert_table_with(
        input,
        from,
        to,
        &mut |b: &[u8]| out.borrow_mut().as_mut().ok_or_else(lost)?.write_all(b),
        discardable.then_some(&mut restart as &mut dyn FnMut() -> Result<()>),
        opts,
    )?;
    out.into_inner().ok_or_else(lost)?.commit()?;
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
    convert_table_with(input, from, to, sink, None, opts)
}

/// [`convert_table`], with a way to start the output over: `restart`
/// discards everything handed to `sink` so far. Text → Parquet then runs
/// one pass over the input instead of two in the common case: it guesses
/// the column types from the first chunk, checks every cell against them
/// as it writes, and starts over with the two passes at the first cell
/// that does not fit. The output is the same either way.
pub fn convert_table_with(
    input: Input,
    from: TableFormat,
    to: TableFormat,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    restart: Option<&mut dyn FnMut() -> Result<()>>,
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
            to_parquet(input, text, sink, restart, opts, &mut summary)?;
            Ok(summary)
        }
        _ => Err(Error::config(
            "typed tables convert to or from Parquet: one side must be parquet",
        )),
    }
}

// ---------------------------------------------------------------------------
// Text → Parquet

/// A JSON Lines value (a scalar; arrays and objects are refused).
#[derive(Debug, Clone, PartialEq)]
enum JVal<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
}

impl JVal<'_> {
    fn kind(&self) -> Kind {
        match self {
            JVal::Null => Kind::Null,
            JVal::Bool(_) => Kind::Bool,
            JVal::Int(_) => Kind::Int,
            JVal::Float(_) => Kind::Float,
            JVal::Str(s) => {
                if parse_timestamp(s).is_some() {
                    Kind::Timestamp
                } else {
                    Kind::Str
                }
            }
        }
    }
}

/// An `i64` as `str::parse::<i64>` reads it (an optional sign, then
/// ASCII digits, no overflow), straight from bytes.
#[inline]
fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d as i64)?
        } else {
            v.checked_add(d as i64)?
        };
    }
    Some(v)
}

/// The bytes of `chunk` from where `field` starts, when `field` is a
/// slice of `chunk` (a cell read in place), so that number parsers can
/// read whole words past the cell's end (they stop at its delimiter, and
/// the caller checks that they did); `None` for any other slice.
#[inline]
fn tail_of<'c>(chunk: &'c [u8], field: &[u8]) -> Option<&'c [u8]> {
    let off = (field.as_ptr() as usize).checked_sub(chunk.as_ptr() as usize)?;
    (off.checked_add(field.len())? <= chunk.len()).then(|| &chunk[off..])
}

/// A CSV cell `b` of one to eight bytes as text when they are all ASCII,
/// `tail` being the input from the cell's start on: one word tested for
/// high bits instead of a call to the UTF-8 validator (categories and
/// codes are mostly short ASCII). `None` leaves the cell to
/// `str::from_utf8`.
#[inline(always)]
fn short_ascii<'b>(b: &'b [u8], tail: &[u8]) -> Option<&'b str> {
    let w = tail.get(..8)?;
    if !(1..=8).contains(&b.len()) {
        return None;
    }
    let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
    let cell = u64::MAX >> (64 - 8 * b.len());
    if w & cell & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    // SAFETY: the bytes of `b` are the first `b.len()` bytes of `tail`
    // (the caller's contract, checked in debug builds), just tested to
    // be ASCII, which is valid UTF-8.
    debug_assert_eq!(&tail[..b.len()], b);
    Some(unsafe { std::str::from_utf8_unchecked(b) })
}

/// `true` and `false` as the low bytes of a little-endian word.
const TRUE_WORD: u64 = u32::from_le_bytes(*b"true") as u64;
const FALSE_WORD: u64 = u32::from_le_bytes(*b"fals") as u64 | (b'e' as u64) << 32;

/// The value of a CSV cell `b` of a bool column (`true`/`false` in any
/// case), `tail` being the input from the cell's start on (past its end):
/// with eight bytes there, both words are compared at once, without a
/// branch on which it is (they come in random order).
#[inline(always)]
fn bool_cell(b: &[u8], tail: &[u8]) -> Option<bool> {
    if let Some(w) = tail.get(..8) {
        // | 0x20 lowers ASCII letters; a byte becomes a letter of `true`
        // or `false` only from that letter in either case.
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes")) | 0x2020_2020_2020_2020;
        let t = (b.len() == 4) & (w & 0xFFFF_FFFF == TRUE_WORD);
        let f = (b.len() == 5) & (w & 0xFF_FFFF_FFFF == FALSE_WORD);
        return (t | f).then_some(t);
    }
    is_bool(b).then(|| b.eq_ignore_ascii_case(b"true"))
}

#[inline]
fn is_bool(b: &[u8]) -> bool {
    b.eq_ignore_ascii_case(b"true") || b.eq_ignore_ascii_case(b"false")
}

/// The kind of a CSV cell's text (empty = null).
fn classify(b: &[u8]) -> Kind {
    if b.is_empty() {
        Kind::Null
    } else if parse_i64(b).is_some() {
        Kind::Int
    } else if is_bool(b) {
        Kind::Bool
    } else if crate::codec::text::parse_f64(b).is_some() {
        Kind::Float
    } else if parse_timestamp_bytes(b).is_some() {
        Kind::Timestamp
    } else {
        Kind::Str
    }
}

#[cfg(test)]
fn classify_text(s: &str) -> Kind {
    classify(s.as_bytes())
}

/// `k` joined with the kind of the CSV cell `b`: the same as
/// `k.join(classify(b))`, but a cell is first tried against the column's
/// kind so far, which is what almost every cell of a column is.
#[inline]
fn refine(k: Kind, b: &[u8]) -> Kind {
    match k {
        Kind::Str => Kind::Str,
        _ if b.is_empty() => k,
        // A number parse_f64 accepts is an int or a float: either joins
        // a float column to float.
        Kind::Float if plain_decimal(b) || crate::codec::text::parse_f64(b).is_some() => {
            Kind::Float
        }
        Kind::Int if parse_i64(b).is_some() => Kind::Int,
        Kind::Bool if is_bool(b) => Kind::Bool,
        Kind::Timestamp if parse_timestamp_bytes(b).is_some() => Kind::Timestamp,
        _ => k.join(classify(b)),
    }
}

/// `-?DIGITS(.DIGITS)?`: text that `parse_f64` surely reads, checked
/// without parsing it (the inference pass needs no value).
#[inline]
fn plain_decimal(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"-").unwrap_or(b);
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if int == 0 {
        return false;
    }
    match &b[int..] {
        [] => true,
        [b'.', frac @ ..] => !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Microseconds since the epoch of `YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±HH:MM]`.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    parse_timestamp_bytes(s.as_bytes())
}

fn parse_timestamp_bytes(b: &[u8]) -> Option<i64> {
    timestamp_with(b, |y, m| (days_from_civil(y, m, 1), days_in_month(y, m)))
}

/// The timestamps of one column: the days of the months of a year are
/// kept once two cells in a row fall in it, so that a cell of that year
/// costs no calendar arithmetic (cells of the same year usually come
/// together); a cell of another year is computed directly, so a column
/// whose years change from cell to cell (birth dates) costs what it did
/// without the table.
#[derive(Default)]
struct Calendar {
    year: Option<i64>,
    /// The year of the last cell computed directly.
    missed: Option<i64>,
    /// Days since 1970-01-01 of the first day of each month (1..=12).
    first: [i64; 13],
    /// Days in each month.
    days: [u8; 13],
}

impl Calendar {
    /// [`parse_timestamp_bytes`].
    #[inline]
    fn timestamp(&mut self, b: &[u8]) -> Option<i64> {
        timestamp_with(b, |y, m| {
            if self.year != Some(y) {
                return self.miss(y, m);
            }
            let m = m as usize;
            (self.first[m], self.days[m] as i64)
        })
    }

    /// A cell outside the kept year: computed directly, or, the second
    /// cell in a row of its year, from that year's table, now kept.
    #[cold]
    #[inline(never)]
    fn miss(&mut self, y: i64, m: i64) -> (i64, i64) {
        if self.missed.replace(y) != Some(y) {
            return (days_from_civil(y, m, 1), days_in_month(y, m));
        }
        self.year_of(y);
        let m = m as usize;
        (self.first[m], self.days[m] as i64)
    }

    fn year_of(&mut self, y: i64) {
        for m in 1..=12 {
            self.first[m] = days_from_civil(y, m as i64, 1);
            self.days[m] = days_in_month(y, m as i64) as u8;
        }
        self.year = Some(y);
    }
}

/// Microseconds since the epoch of `YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±HH:MM]`,
/// `month(y, m)` giving the day number of the first day of month `m`
/// (1..=12) of year `y` and its length. The fixed 19-byte prefix is read
/// as two words and two bytes (SWAR): separators compared under masks,
/// the 14 digits checked at once, each pair of digits combined in its
/// byte; one branch for all of it.
#[inline(always)]
fn timestamp_with(b: &[u8], month: impl FnOnce(i64, i64) -> (i64, i64)) -> Option<i64> {
    if b.len() < 19 {
        return None;
    }
    let load8 = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    // `YYYY-MM-` and `HH:MM:SS`; the day and the `T` or space between.
    let (date, time) = (load8(0), load8(11));
    const DATE_SEPS: u64 = 0xFF00_00FF_0000_0000;
    const TIME_SEPS: u64 = 0x0000_FF00_00FF_0000;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let seps = (date & DATE_SEPS == 0x2D00_002D_0000_0000)
        & (time & TIME_SEPS == 0x0000_3A00_003A_0000)
        & ((b[10] == b'T') | (b[10] == b' '));
    // The digits, the separators read as '0's.
    let date = (date & !DATE_SEPS) | (ZEROS & DATE_SEPS);
    let time = (time & !TIME_SEPS) | (ZEROS & TIME_SEPS);
    let day = u16::from_le_bytes([b[8], b[9]]) as u64 | (ZEROS << 16);
    // The high bit of every byte below '0' or above '9'.
    let non_digit = |w: u64| {
        (w.wrapping_sub(ZEROS) | w.wrapping_add(0x4646_4646_4646_4646)) & 0x8080_8080_8080_8080
    };
    if !seps | (non_digit(date) | non_digit(time) | non_digit(day) != 0) {
        return None;
    }
    // Byte k of `pairs(w)` is 10 d[k] + d[k + 1] (at most 99: no carry).
    let pairs = |w: u64| {
        let d = w.wrapping_sub(ZEROS);
        d.wrapping_mul(10).wrapping_add(d >> 8)
    };
    let (dp, tp) = (pairs(date), pairs(time));
    let byte = |w: u64, k: u32| ((w >> (8 * k)) & 0xFF) as i64;
    let y = byte(dp, 0) * 100 + byte(dp, 2);
    let (mo, d) = (byte(dp, 5), byte(pairs(day), 0));
    let (h, mi, sec) = (byte(tp, 0), byte(tp, 3), byte(tp, 6));
    // Months and days are data: one branch, not one per test.
    if ((mo.wrapping_sub(1) as u64) >= 12) | (h > 23) | (mi > 59) | (sec > 60) {
        return None;
    }
    let (first, days) = month(y, mo);
    if (d < 1) | (d > days) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + d as i64;
        }
        Some(v)
    };
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
    let days = first + d - 1;
    let secs = days * 86400 + h * 3600 + mi * 60 + sec - offset;
    Some(secs * 1_000_000 + micros)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    // A table and the leap day by arithmetic: months are data, a branch
    // on them mispredicts.
    const DAYS: [u8; 13] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0));
    DAYS[m.clamp(0, 12) as usize] as i64 + ((m == 2) & leap) as i64
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

/// The records of a CSV chunk: `(record bytes without the line end,
/// offset, lines spanned)`. A newline inside quotes does not end a record.
struct CsvRecords<'a> {
    chunk: &'a [u8],
    pos: usize,
    quote: u8,
}

impl<'a> Iterator for CsvRecords<'a> {
    type Item = (&'a [u8], usize, u64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let chunk = self.chunk;
        let start = self.pos;
        if start >= chunk.len() {
            return None;
        }
        let mut quoted = false;
        let mut lines = 0;
        let mut i = start;
        while let Some(k) = memchr::memchr2(self.quote, b'\n', &chunk[i..]) {
            let j = i + k;
            i = j + 1;
            if chunk[j] == self.quote {
                quoted = !quoted;
                continue;
            }
            lines += 1;
            if !quoted {
                let mut rec = &chunk[start..j];
                if rec.last() == Some(&b'\r') {
                    rec = &rec[..rec.len() - 1];
                }
                self.pos = i;
                return Some((rec, start, lines));
            }
        }
        self.pos = chunk.len();
        Some((&chunk[start..], start, lines + 1))
    }
}

impl CsvSplit {
    fn records<'a>(&self, chunk: &'a [u8]) -> CsvRecords<'a> {
        CsvRecords {
            chunk,
            pos: 0,
            quote: self.quote,
        }
    }

    /// The fields of a record, unquoted (a quoted field is `Owned`, even
    /// when empty). `Err((field, offset, msg))`.
    fn fields<'a>(
        &self,
        rec: &'a [u8],
        out: &mut Vec<Cow<'a, [u8]>>,
    ) -> std::result::Result<(), (usize, usize, &'static str)> {
        out.clear();
        let mut i = 0;
        loop {
            let field = out.len();
            if rec.get(i) == Some(&self.quote) {
                let mut buf = Vec::new();
                let mut j = i + 1;
                loop {
                    let Some(k) = memchr::memchr(self.quote, &rec[j.min(rec.len())..]) else {
                        return Err((field, i, "unclosed quote"));
                    };
                    buf.extend_from_slice(&rec[j..j + k]);
                    j += k;
                    if rec.get(j + 1) == Some(&self.quote) {
                        buf.push(self.quote);
                        j += 2;
                    } else {
                        j += 1;
                        break;
                    }
                }
                out.push(Cow::Owned(buf));
                match rec.get(j) {
                    None => return Ok(()),
                    Some(&c) if c == self.delimiter => i = j + 1,
                    Some(_) => return Err((field, j, "text after the closing quote")),
                }
            } else {
                let rest = &rec[i..];
                match memchr::memchr2(self.delimiter, self.quote, rest) {
                    Some(k) if rest[k] == self.quote => {
                        return Err((field, i, "a quote inside an unquoted field"));
                    }
                    Some(k) => {
                        out.push(Cow::Borrowed(&rest[..k]));
                        i += k + 1;
                    }
                    None => {
                        out.push(Cow::Borrowed(rest));
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// The bit mask of the bytes of `b` equal to `x` or `y` (bit `i` for
/// byte `i`).
#[inline(always)]
fn eq2_mask(b: &[u8; 64], x: u8, y: u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        let mut m = 0u64;
        for k in 0..4 {
            // SAFETY: SSE2 is part of every x86-64 CPU; the unaligned load
            // reads bytes 16k..16k+16 of the 64-byte array (k < 4).
            let bits = unsafe {
                let v = _mm_loadu_si128(b.as_ptr().add(16 * k).cast::<__m128i>());
                let e = _mm_or_si128(
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(x as i8)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(y as i8)),
                );
                _mm_movemask_epi8(e) as u16
            };
            m |= u64::from(bits) << (16 * k);
        }
        m
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        eq2_mask_portable(b, x, y)
    }
}

/// [`eq2_mask`] a byte at a time.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn eq2_mask_portable(b: &[u8], x: u8, y: u8) -> u64 {
    b.iter()
        .enumerate()
        .fold(0, |m, (i, &c)| m | (u64::from(c == x || c == y) << i))
}

/// The offsets in `data` of every byte equal to `x` or `y`, ascending,
/// found 64 bytes at a time.
struct Seps<'a> {
    data: &'a [u8],
    /// Where the block of `mask` starts.
    block: usize,
    /// The hits of the current block not handed out yet.
    mask: u64,
    x: u8,
    y: u8,
}

impl<'a> Seps<'a> {
    fn new(data: &'a [u8], x: u8, y: u8) -> Seps<'a> {
        let mut s = Seps {
            data,
            block: 0,
            mask: 0,
            x,
            y,
        };
        s.load(0);
        s
    }

    /// Loads the block at `at`.
    #[inline(always)]
    fn load(&mut self, at: usize) {
        self.block = at;
        self.mask = match self.data.get(at..at + 64) {
            Some(b) => eq2_mask(b.try_into().expect("64 bytes"), self.x, self.y),
            None => eq2_mask_portable(self.data.get(at..).unwrap_or(&[]), self.x, self.y),
        };
    }
}

impl Iterator for Seps<'_> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            if self.block + 64 >= self.data.len() {
                return None;
            }
            self.load(self.block + 64);
        }
        let i = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.block + i)
    }
}

/// What a chunk of text parses to.
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

/// Calls `each(fields)` for every record of a CSV chunk; the first record
/// of the input (`first`) is the header and goes to `header` instead.
/// Returns `(records, lines)`.
fn csv_records<'c>(
    csv: &CsvSplit,
    chunk: &'c [u8],
    first: bool,
    header: &mut dyn FnMut(Vec<String>) -> Result<()>,
    each: impl FnMut(&[Cow<'c, [u8]>]) -> Result<()>,
) -> Result<(u64, u64)> {
    csv_records_via(csv, chunk, first, header, each, true)
}

/// `text` without the UTF-8 byte order mark it may start with, when it
/// is at the start of the input (`first`), and the mark's length (0 or 3).
fn strip_bom(text: &[u8], first: bool) -> (&[u8], usize) {
    match text.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) if first => (rest, 3),
        _ => (text, 0),
    }
}

/// A typed CSV chunk without quotes (and with a delimiter that is not
/// blank space), its cells pushed into `builders` as the one pass that
/// finds delimiters and newlines meets them: no record of fields in
/// between ([`csv_records`] then a push per field, ~5% of a run in the
/// vector of fields alone). The same records, lines, skipped header and
/// blank lines, nulls for short records and located errors as
/// [`csv_records`] with [`ColumnBuilder::push_csv`] (tested against it);
/// `None` for the chunks it does not take (quotes, space or tab as the
/// delimiter, a newline or CR as the delimiter), for the general way.
fn csv_cells_into(
    csv: &CsvSplit,
    chunk: &[u8],
    first: bool,
    builders: &mut [ColumnBuilder],
) -> Option<Result<(u64, u64)>> {
    if matches!(csv.delimiter, b'\n' | b'\r' | b' ' | b'\t')
        || memchr::memchr(csv.quote, chunk).is_some()
    {
        return None;
    }
    let (chunk, bom) = strip_bom(chunk, first);
    let mut r = DirectCsv {
        chunk,
        builders,
        // The first record of the input is the header: not data.
        header: first,
        records: 0,
        line: 0,
        rec_start: 0,
    };
    Some(r.run(csv.delimiter, bom).map(|()| (r.records, r.line)))
}

/// The state of [`csv_cells_into`].
struct DirectCsv<'a, 'b> {
    chunk: &'a [u8],
    builders: &'b mut [ColumnBuilder],
    header: bool,
    records: u64,
    line: u64,
    rec_start: usize,
}

impl DirectCsv<'_, '_> {
    fn run(&mut self, delimiter: u8, bom: usize) -> Result<()> {
        let chunk = self.chunk;
        let (mut field_start, mut j) = (0, 0);
        for p in Seps::new(chunk, delimiter, b'\n') {
            if chunk[p] == delimiter {
                if !self.header {
                    self.cell(j, field_start, p)
                        .map_err(|e| self.located(e, delimiter, bom))?;
                }
                j += 1;
                field_start = p + 1;
                continue;
            }
            // A newline; a carriage return before it is not data.
            let end = if p > self.rec_start && chunk[p - 1] == b'\r' {
                p - 1
            } else {
                p
            };
            self.end(j, field_start, end)
                .map_err(|e| self.located(e, delimiter, bom))?;
            self.line += 1;
            self.rec_start = p + 1;
            field_start = p + 1;
            j = 0;
        }
        if self.rec_start < chunk.len() {
            self.end(j, field_start, chunk.len())
                .map_err(|e| self.located(e, delimiter, bom))?;
            self.line += 1;
        }
        Ok(())
    }

    /// The error of the current record, at its line and byte; a record
    /// wider than the columns is that error first, whatever its cells
    /// (as [`csv_records`], which sees all the fields before any cell).
    #[cold]
    fn located(&self, e: Error, delimiter: u8, bom: usize) -> Error {
        let rest = &self.chunk[self.rec_start..];
        let record = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
        let fields = 1 + memchr::memchr_iter(delimiter, record).count();
        let e = if fields > self.builders.len() {
            internal("a record wider than the inferred columns")
        } else {
            e
        };
        e.at_line(self.line).at_byte((self.rec_start + bom) as u64)
    }

    /// Cell `j` of a data record, `chunk[start..end]`.
    #[inline(always)]
    fn cell(&mut self, j: usize, start: usize, end: usize) -> Result<()> {
        let chunk = self.chunk;
        self.builders
            .get_mut(j)
            .ok_or_else(|| internal("a record wider than the inferred columns"))?
            .push_csv(&chunk[start..end], &chunk[start..], false)
    }

    /// The record's last cell, cell `j` at `chunk[start..end]`, then its
    /// end: a short record's other columns are null.
    fn end(&mut self, j: usize, start: usize, end: usize) -> Result<()> {
        // Without a delimiter a record may be blank (spaces and tabs are
        // not delimiters here), which is no record.
        if j == 0
            && self.chunk[self.rec_start..end]
                .iter()
                .all(|c| matches!(c, b' ' | b'\t'))
        {
            return Ok(());
        }
        if self.header {
            self.header = false;
            return Ok(());
        }
        self.cell(j, start, end)?;
        for b in &mut self.builders[j + 1..] {
            b.push_null();
        }
        self.records += 1;
        Ok(())
    }
}

/// [`csv_records`]; `one_pass` allows the one-pass split of quote-free
/// chunks (the tests compare it with the general split).
fn csv_records_via<'c>(
    csv: &CsvSplit,
    chunk: &'c [u8],
    first: bool,
    header: &mut dyn FnMut(Vec<String>) -> Result<()>,
    mut each: impl FnMut(&[Cow<'c, [u8]>]) -> Result<()>,
    one_pass: bool,
) -> Result<(u64, u64)> {
    let mut records = 0;
    let mut line = 0u64;
    let (chunk, bom) = strip_bom(chunk, first);
    let mut fields = Vec::new();
    let mut need_header = first;
    // A record that is not blank: the header (the first one of the input),
    // else data for `each`.
    let mut deliver = |fields: &[Cow<'c, [u8]>], here: u64, off: usize| -> Result<()> {
        if need_header {
            need_header = false;
            return header(
                fields
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            );
        }
        each(fields).map_err(|e| e.at_line(here).at_byte((off + bom) as u64))?;
        records += 1;
        Ok(())
    };
    let blank = |rec: &[u8]| rec.iter().all(|c| matches!(c, b' ' | b'\t'));
    if one_pass
        && memchr::memchr(csv.quote, chunk).is_none()
        && !matches!(csv.delimiter, b'\n' | b'\r')
    {
        // No quotes: records end at newlines, fields at delimiters, all
        // found in one pass.
        let (mut rec_start, mut field_start) = (0, 0);
        for p in Seps::new(chunk, csv.delimiter, b'\n') {
            if chunk[p] == csv.delimiter {
                fields.push(Cow::Borrowed(&chunk[field_start..p]));
                field_start = p + 1;
                continue;
            }
            // A newline; a carriage return before it is not data (nor a
            // delimiter, which is neither CR nor LF here).
            let end = if p > rec_start && chunk[p - 1] == b'\r' {
                p - 1
            } else {
                p
            };
            let here = line;
            line += 1;
            if !blank(&chunk[rec_start..end]) {
                fields.push(Cow::Borrowed(&chunk[field_start..end]));
                deliver(&fields, here, rec_start)?;
            }
            fields.clear();
            rec_start = p + 1;
            field_start = p + 1;
        }
        if rec_start < chunk.len() {
            let here = line;
            line += 1;
            if !blank(&chunk[rec_start..]) {
                fields.push(Cow::Borrowed(&chunk[field_start..]));
                deliver(&fields, here, rec_start)?;
            }
        }
        return Ok((records, line));
    }
    for (rec, off, spanned) in csv.records(chunk) {
        let here = line;
        line += spanned;
        if blank(rec) {
            continue;
        }
        csv.fields(rec, &mut fields).map_err(|(f, at, msg)| {
            Error::syntax("csv", format!("{msg} in field {}", f + 1))
                .at_line(here)
                .at_field(f as u64)
                .at_byte((off + at + bom) as u64)
        })?;
        deliver(&fields, here, off)?;
    }
    Ok((records, line))
}

/// A JSON Lines record being read: [`jsonl_records`] hands it the cells
/// of one line, then ends it.
trait JsonRow {
    /// One key and its value.
    fn cell(&mut self, key: &str, v: JVal<'_>) -> Result<()>;
    /// The line is complete.
    fn end(&mut self) -> Result<()>;
    /// The row's columns, if it has them: then a key may be found by
    /// [`KeyIndex::expected`].
    fn keys(&mut self) -> Option<&mut KeyIndex> {
        None
    }
    /// Whether the key whose opening quote is `b[i]` is the one this row
    /// expects next (lines usually repeat the previous line's keys in
    /// order): its column and the position after its closing quote, found
    /// by comparing the raw bytes, without decoding the string or looking
    /// it up.
    #[inline]
    fn expected(&mut self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        self.keys()?.expected(b, i)
    }
    /// The value of the key [`JsonRow::expected`] matched, in column `j`.
    fn cell_at(&mut self, _j: usize, _v: JVal<'_>) -> Result<()> {
        Err(internal("a JSON row without expected keys"))
    }
    /// A fast path over the members of the object whose first key's
    /// opening quote is `text[i]`: the members it takes, and the position
    /// after them; `true` when that is after the closing brace (the line's
    /// members are all taken), else the position of the first member it
    /// left, at its key, for the general scan to go on from. It takes only
    /// what the general scan would accept, with the same values.
    #[inline]
    fn fast(&mut self, _text: &str, i: usize) -> (usize, bool) {
        (i, false)
    }
}

/// A [`JsonRow`] of a closure (every key decoded; no end of line work).
#[cfg(test)]
struct Cells<F>(F);

#[cfg(test)]
impl<F: FnMut(&str, JVal<'_>) -> Result<()>> JsonRow for Cells<F> {
    fn cell(&mut self, key: &str, v: JVal<'_>) -> Result<()> {
        (self.0)(key, v)
    }
    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Reads every line of a JSON Lines chunk into `row`. Returns
/// `(records, lines)`.
fn jsonl_records(
    chunk: &[u8],
    first: bool,
    floats: bool,
    row: &mut impl JsonRow,
) -> Result<(u64, u64)> {
    let mut records = 0;
    let mut line = 0u64;
    let mut scan = JsonScan {
        floats,
        // One check of the whole chunk (lines end at newlines, which are
        // ASCII, so a valid chunk has valid lines): each line's own check
        // is then skipped. A chunk that is not valid UTF-8 has each line
        // checked, for the error's place.
        utf8: std::str::from_utf8(chunk).is_ok(),
        ..JsonScan::default()
    };
    for (raw, off) in crate::codec::lines::split_lines(chunk) {
        let here = line;
        line += 1;
        let (raw, bom) = strip_bom(raw, first && here == 0);
        let off = off + bom;
        if raw.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        scan.line(raw, off, row)
            .and_then(|()| row.end())
            .map_err(|e| e.at_line(here).at_byte(off as u64))?;
        records += 1;
    }
    Ok((records, line))
}

/// A scanner for JSON Lines lines holding one flat object of scalars. It
/// follows RFC 8259 as serde_json does (no `NaN`, no trailing commas, no
/// lone surrogates, control characters escaped); strings without escapes
/// are borrowed, not copied.
#[derive(Default)]
struct JsonScan {
    key: String,
    value: String,
    /// Whether float values are needed (the inference pass only needs
    /// to know that a number is a float, and that it is in range).
    floats: bool,
    /// Whether the lines are known to be valid UTF-8.
    utf8: bool,
}

fn json_error(at: usize, msg: impl std::fmt::Display) -> Error {
    Error::syntax("jsonl", format!("invalid JSON object: {msg}")).at_byte(at as u64)
}

/// The first position at or after `i` that is not JSON blank space.
/// Compact JSON (no blank space between tokens) is the common case: it
/// costs one test of one byte.
#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    if b.get(i).is_some_and(|&c| c > b' ') {
        return i;
    }
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

fn found(b: &[u8], i: usize) -> String {
    match b.get(i) {
        None => "the end of the line".to_string(),
        Some(_) => {
            let rest = &b[i..];
            let n = rest.len().min(20);
            format!("{:?}", String::from_utf8_lossy(&rest[..n]))
        }
    }
}

impl JsonScan {
    /// Scans `b` (a line at offset `base` of its chunk), handing `row`
    /// every key and value in order.
    fn line(&mut self, b: &[u8], base: usize, row: &mut impl JsonRow) -> Result<()> {
        // One check of the whole line (unless of its chunk), so that
        // strings are slices of it.
        let text = if self.utf8 {
            // SAFETY: `utf8` is set only when the chunk this line is cut
            // from (at newlines) is valid UTF-8.
            unsafe { std::str::from_utf8_unchecked(b) }
        } else {
            std::str::from_utf8(b)
                .map_err(|e| json_error(base + e.valid_up_to(), "the line is not valid UTF-8"))?
        };
        let mut i = skip_ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return Err(json_error(
                base + i,
                format!("expected '{{', found {}", found(b, i)),
            ));
        }
        i = skip_ws(b, i + 1);
        if b.get(i) == Some(&b'}') {
            i += 1;
        } else {
            let (at, done) = row.fast(text, i);
            i = at;
            if !done {
                loop {
                    if b.get(i) != Some(&b'"') {
                        return Err(json_error(
                            base + i,
                            format!("expected a key (a string), found {}", found(b, i)),
                        ));
                    }
                    // The expected key (its column), or any key (decoded).
                    let (column, key, next) = match row.expected(b, i) {
                        // No escape in an expected key: its text is the raw bytes.
                        Some((j, next)) => (Some(j), &text[i + 1..next - 1], next),
                        None => {
                            let (key, next) = string(text, i, base, &mut self.key)?;
                            (None, key, next)
                        }
                    };
                    i = skip_ws(b, next);
                    if b.get(i) != Some(&b':') {
                        return Err(json_error(
                            base + i,
                            format!("expected ':' after a key, found {}", found(b, i)),
                        ));
                    }
                    i = skip_ws(b, i + 1);
                    let (v, next) = match b.get(i) {
                        Some(b'"') => {
                            let (s, next) = string(text, i, base, &mut self.value)?;
                            (JVal::Str(Cow::Borrowed(s)), next)
                        }
                        Some(b'-' | b'0'..=b'9') => number(b, i, base, self.floats)?,
                        Some(b't') => (JVal::Bool(true), literal(b, i, base, b"true")?),
                        Some(b'f') => (JVal::Bool(false), literal(b, i, base, b"false")?),
                        Some(b'n') => (JVal::Null, literal(b, i, base, b"null")?),
                        Some(b'[' | b'{') => {
                            return Err(Error::unsupported(format!(
                                "the value of {key:?} is an array or object; typed tables hold scalars only"
                            ))
                            .at_byte(base as u64));
                        }
                        _ => {
                            return Err(json_error(
                                base + i,
                                format!("expected a value, found {}", found(b, i)),
                            ));
                        }
                    };
                    match column {
                        Some(j) => row.cell_at(j, v)?,
                        None => row.cell(key, v)?,
                    }
                    i = skip_ws(b, next);
                    match b.get(i) {
                        Some(b',') => i = skip_ws(b, i + 1),
                        Some(b'}') => {
                            i += 1;
                            break;
                        }
                        _ => {
                            return Err(json_error(
                                base + i,
                                format!("expected ',' or '}}', found {}", found(b, i)),
                            ));
                        }
                    }
                }
            }
        }
        i = skip_ws(b, i);
        if i < b.len() {
            return Err(json_error(
                base + i,
                format!("trailing characters after the object: {}", found(b, i)),
            ));
        }
        Ok(())
    }
}

/// The string whose opening quote is at `text[start]`, unescaped
/// (borrowed from `text` when it has no escape, else built in `scratch`),
/// and the position after its closing quote.
#[inline]
fn string<'s>(
    text: &'s str,
    start: usize,
    base: usize,
    scratch: &'s mut String,
) -> Result<(&'s str, usize)> {
    let b = text.as_bytes();
    // The end of the run of plain characters from `i`: eight bytes at a
    // time while they are plain (SWAR: a byte is flagged when it is a
    // quote, a backslash or below 0x20; the lowest flag is always a true
    // one), then byte by byte from the first that is not.
    let run = |mut i: usize| -> Result<usize> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        while let Some(w) = b.get(i..i + 8) {
            let v = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            let m = zero(v ^ (ONES * b'"' as u64))
                | zero(v ^ (ONES * b'\\' as u64))
                | (v.wrapping_sub(ONES * 0x20) & !v & HIGH);
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        while i < b.len() {
            match b[i] {
                b'"' | b'\\' => return Ok(i),
                c if c < 0x20 => {
                    return Err(json_error(
                        base + i,
                        format!("control character 0x{c:02x} inside a string (it must be escaped)"),
                    ));
                }
                _ => i += 1,
            }
        }
        Err(json_error(base + i, "a string is not terminated"))
    };
    let mut i = start + 1;
    let j = run(i)?;
    if b[j] == b'"' {
        // Quotes are ASCII, so `i..j` falls on character boundaries.
        return Ok((&text[i..j], j + 1));
    }
    scratch.clear();
    loop {
        let j = run(i)?;
        scratch.push_str(&text[i..j]);
        i = j;
        if b[i] == b'"' {
            i += 1;
            break;
        }
        // An escape.
        let Some(&c) = b.get(i + 1) else {
            return Err(json_error(base + b.len(), "a string is not terminated"));
        };
        let simple = match c {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'u' => None,
            _ => {
                return Err(json_error(
                    base + i,
                    format!("invalid escape \\{}", c as char),
                ));
            }
        };
        if let Some(v) = simple {
            scratch.push(v);
            i += 2;
            continue;
        }
        let hex4 = |at: usize| -> Result<u32> {
            let h = b
                .get(at..at + 4)
                .ok_or_else(|| json_error(base + at, "expected four hex digits after \\u"))?;
            let mut v = 0u32;
            for &c in h {
                let d = (c as char)
                    .to_digit(16)
                    .ok_or_else(|| json_error(base + at, "expected four hex digits after \\u"))?;
                v = v * 16 + d;
            }
            Ok(v)
        };
        let hi = hex4(i + 2)?;
        let (ch, len) = if (0xD800..0xDC00).contains(&hi) {
            if b.get(i + 6) != Some(&b'\\') || b.get(i + 7) != Some(&b'u') {
                return Err(json_error(
                    base + i,
                    "a high surrogate \\u escape without its low surrogate",
                ));
            }
            let lo = hex4(i + 8)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(json_error(
                    base + i,
                    "a high surrogate \\u escape without its low surrogate",
                ));
            }
            (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), 12)
        } else if (0xDC00..0xE000).contains(&hi) {
            return Err(json_error(base + i, "a lone low surrogate \\u escape"));
        } else {
            (hi, 6)
        };
        scratch.push(char::from_u32(ch).expect("a valid scalar value"));
        i += len;
    }
    Ok((scratch.as_str(), i))
}

/// `word` at `b[i]`, and the position after it.
#[inline]
fn literal(b: &[u8], i: usize, base: usize, word: &[u8]) -> Result<usize> {
    if b.len() - i >= word.len() && same_bytes(&b[i..i + word.len()], word) {
        Ok(i + word.len())
    } else {
        Err(json_error(
            base + i,
            format!(
                "expected {}, found {}",
                String::from_utf8_lossy(word),
                found(b, i)
            ),
        ))
    }
}

/// `a == b`, for the short slices of keys and literals: fixed-size loads
/// inlined instead of a call to `memcmp` (which was 8% of a JSON Lines →
/// Parquet run, called twice a cell).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let load8 =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let load4 =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    match n {
        0 => true,
        1..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => load4(a, 0) == load4(b, 0) && load4(a, n - 4) == load4(b, n - 4),
        8..=16 => load8(a, 0) == load8(b, 0) && load8(a, n - 8) == load8(b, n - 8),
        _ => a == b,
    }
}

/// The number at `b[i]` and the position after it. As serde_json reads
/// it: an integer token in i64 range is an int, except `-0`; any other
/// number is a float, and one beyond the f64 range is an error. Without
/// `floats`, a float that cannot be out of range is `Float(0.0)`.
#[inline]
fn number(b: &[u8], start: usize, base: usize, floats: bool) -> Result<(JVal<'static>, usize)> {
    use crate::codec::text::{digits, plain_value};
    let mut i = start;
    let neg = b[i] == b'-';
    if neg {
        i += 1;
    }
    // The digits, integer and fraction, as one integer (exact up to 19
    // digits).
    let mut sig: u64 = 0;
    let digits_start = i;
    let ndigits = digits(b, &mut i, &mut sig);
    let overflow = ndigits > 19;
    let int_sig = sig;

    if ndigits == 0 {
        return Err(json_error(base + i, "expected a digit"));
    }
    if ndigits > 1 && b[digits_start] == b'0' {
        return Err(json_error(
            base + digits_start,
            "a number with a leading zero",
        ));
    }
    let mut integer = true;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        integer = false;
        i += 1;
        frac = digits(b, &mut i, &mut sig);
        if frac == 0 {
            return Err(json_error(
                base + i,
                "expected a digit after the decimal point",
            ));
        }
    }
    let exponent = matches!(b.get(i), Some(b'e' | b'E'));
    if exponent {
        integer = false;
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return Err(json_error(base + i, "expected a digit in the exponent"));
        }
    }
    if integer && !overflow {
        if !neg && int_sig <= i64::MAX as u64 {
            return Ok((JVal::Int(int_sig as i64), i));
        }
        if neg && int_sig != 0 && int_sig <= 1 << 63 {
            return Ok((JVal::Int((int_sig as i64).wrapping_neg()), i));
        }
    }
    if !floats && !exponent && ndigits < 300 {
        return Ok((JVal::Float(0.0), i));
    }
    // Most floats are plain decimals of at most 15 digits: an integer
    // below 2^53 over an exact power of ten, one correctly rounded
    // division, the bits fast_float2 gives (Clinger's fast path, as
    // `text::parse_plain`).
    if !exponent && let Some(v) = plain_value(sig, frac, neg, ndigits + frac) {
        return Ok((JVal::Float(v), i));
    }
    let v: f64 =
        fast_float2::parse(&b[start..i]).map_err(|_| json_error(base + start, "invalid number"))?;
    if v.is_infinite() {
        return Err(json_error(base + start, "number out of range"));
    }
    Ok((JVal::Float(v), i))
}

/// The column slots of JSON keys: the key that followed the previous one
/// on the line before is tried first (lines usually repeat the same keys
/// in the same order), then a hash map.
#[derive(Debug, Default)]
struct KeyIndex {
    names: Vec<String>,
    /// Each name as a JSON string token (`"name"`), or empty when the
    /// name would need an escape (such a key is always decoded).
    raw: Vec<Vec<u8>>,
    map: HashMap<String, usize>,
    next: usize,
}

impl KeyIndex {
    fn of(names: &[String]) -> KeyIndex {
        let mut k = KeyIndex::default();
        for n in names {
            k.add(n);
        }
        k
    }

    /// A new line starts: its first key is expected to be the first column.
    fn rewind(&mut self) {
        self.next = 0;
    }

    #[inline]
    fn get(&mut self, key: &str) -> Option<usize> {
        let j = match self.names.get(self.next) {
            Some(n) if same_bytes(n.as_bytes(), key.as_bytes()) => self.next,
            _ => *self.map.get(key)?,
        };
        self.next = j + 1;
        Some(j)
    }

    /// [`JsonRow::expected`]: whether `b[i..]` starts with the next
    /// name's token.
    #[inline]
    fn expected(&mut self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        let j = self.next;
        let raw = self.raw.get(j)?;
        let end = i + raw.len();
        if raw.is_empty() || end > b.len() || !same_bytes(&b[i..end], raw) {
            return None;
        }
        self.next = j + 1;
        Some((j, end))
    }

    fn add(&mut self, key: &str) -> usize {
        let j = self.names.len();
        let plain = !key.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20);
        self.raw.push(if plain {
            format!("\"{key}\"").into_bytes()
        } else {
            Vec::new()
        });
        self.names.push(key.to_string());
        self.map.insert(key.to_string(), j);
        self.next = j + 1;
        j
    }
}

/// The inference pass over JSON Lines: columns in order of first
/// appearance and their kinds; a key seen twice on a line is an error.
struct InferJson {
    keys: KeyIndex,
    kinds: Vec<Kind>,
    /// The record (counted from 1) in which each column was last seen.
    seen: Vec<u64>,
    row: u64,
}

impl InferJson {
    fn new() -> InferJson {
        InferJson {
            keys: KeyIndex::default(),
            kinds: Vec::new(),
            seen: Vec::new(),
            row: 1,
        }
    }
}

fn duplicate_key(key: &str) -> Error {
    Error::syntax("jsonl", format!("key {key:?} appears twice in the object"))
}

impl JsonRow for InferJson {
    #[inline]
    fn cell(&mut self, key: &str, v: JVal<'_>) -> Result<()> {
        let j = match self.keys.get(key) {
            Some(j) => j,
            None => {
                self.kinds.push(Kind::Null);
                self.seen.push(0);
                self.keys.add(key)
            }
        };
        self.cell_at(j, v)
    }

    #[inline]
    fn keys(&mut self) -> Option<&mut KeyIndex> {
        Some(&mut self.keys)
    }

    #[inline]
    fn cell_at(&mut self, j: usize, v: JVal<'_>) -> Result<()> {
        if self.seen[j] == self.row {
            return Err(duplicate_key(&self.keys.names[j]));
        }
        self.seen[j] = self.row;
        let k = self.kinds[j];
        if k != Kind::Str {
            self.kinds[j] = k.join(v.kind());
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.row += 1;
        self.keys.rewind();
        Ok(())
    }
}

/// The columns found by the inference pass.
#[derive(Debug, Default, Clone)]
struct Columns {
    names: Vec<String>,
    kinds: Vec<Kind>,
}

impl Columns {
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

    /// Adds the columns of a later chunk: new names go last, kinds join.
    fn merge(&mut self, names: &[String], kinds: &[Kind]) {
        for (n, &k) in names.iter().zip(kinds) {
            let i = self.index(n);
            self.kinds[i] = self.kinds[i].join(k);
        }
    }
}

/// Pass 2 over JSON Lines: values into the column builders.
struct BuildJson<'k> {
    keys: KeyIndex,
    builders: &'k mut [ColumnBuilder],
    seen: Vec<bool>,
    /// The fast path took the whole line (every builder has its cell).
    complete: bool,
    /// Unescaped strings of the fast path.
    scratch: String,
    /// Tests: every line by the general scan alone.
    #[cfg(test)]
    general_only: bool,
}

impl<'k> BuildJson<'k> {
    fn new(names: &[String], builders: &'k mut [ColumnBuilder]) -> BuildJson<'k> {
        BuildJson {
            keys: KeyIndex::of(names),
            seen: vec![false; builders.len()],
            builders,
            complete: false,
            scratch: String::new(),
            #[cfg(test)]
            general_only: false,
        }
    }
}

impl JsonRow for BuildJson<'_> {
    #[inline]
    fn cell(&mut self, key: &str, v: JVal<'_>) -> Result<()> {
        let j = self
            .keys
            .get(key)
            .ok_or_else(|| internal("a key the inference pass did not see"))?;
        self.cell_at(j, v)
    }

    #[inline]
    fn keys(&mut self) -> Option<&mut KeyIndex> {
        Some(&mut self.keys)
    }

    #[inline]
    fn cell_at(&mut self, j: usize, v: JVal<'_>) -> Result<()> {
        if std::mem::replace(&mut self.seen[j], true) {
            return Err(duplicate_key(&self.keys.names[j]));
        }
        self.builders[j].push_json(v)
    }

    /// The line's members while they are the columns in order, each
    /// value straight into its builder (most lines: no key decoded or
    /// looked up, no value built to be matched to its column).
    #[inline]
    fn fast(&mut self, text: &str, mut i: usize) -> (usize, bool) {
        #[cfg(test)]
        if self.general_only {
            return (i, false);
        }
        let b = text.as_bytes();
        let n = self.builders.len();
        let mut j = 0;
        while j < n {
            let raw = &self.keys.raw[j];
            let end = i + raw.len();
            if raw.is_empty() || end > b.len() || !same_bytes(&b[i..end], raw) {
                break;
            }
            let k = skip_ws(b, end);
            if b.get(k) != Some(&b':') {
                break;
            }
            let k = skip_ws(b, k + 1);
            let Some(p) = self.builders[j].push_fast_json(text, k, &mut self.scratch) else {
                break;
            };
            j += 1;
            if b[p] == b'}' {
                for builder in &mut self.builders[j..] {
                    builder.push_null();
                }
                self.complete = true;
                return (p + 1, true);
            }
            i = skip_ws(b, p + 1);
        }
        // The general scan goes on at column j's key (or a key past the
        // columns), the columns before it seen.
        self.seen[..j].fill(true);
        self.keys.next = j;
        (i, false)
    }

    fn end(&mut self) -> Result<()> {
        if std::mem::take(&mut self.complete) {
            return Ok(());
        }
        for (b, s) in self.builders.iter_mut().zip(self.seen.iter_mut()) {
            if !std::mem::replace(s, false) {
                b.push_null();
            }
        }
        self.keys.rewind();
        Ok(())
    }
}

/// How [`to_parquet`] reads one text format: the splitter and framer.
struct TextTable {
    text: TableFormat,
    csv: CsvSplit,
    framer: LineFramer,
}

/// The inference closure's result for one chunk: the columns it saw (CSV
/// columns named by position) and their kinds.
type ChunkColumns = Parsed<(Vec<String>, Vec<Kind>)>;

impl TextTable {
    /// The columns and kinds of one chunk; the CSV header, if `chunk` is
    /// the first, goes to `header`.
    fn chunk_columns(
        &self,
        chunk: &Chunk,
        header: &mut dyn FnMut(Vec<String>) -> Result<()>,
    ) -> Result<ChunkColumns> {
        let first = chunk.index == 0;
        let (names, kinds, records, lines) = match self.text {
            TableFormat::Csv => {
                let mut kinds: Vec<Kind> = Vec::new();
                let (records, lines) = csv_records(&self.csv, chunk, first, header, |fields| {
                    if kinds.len() < fields.len() {
                        kinds.resize(fields.len(), Kind::Null);
                    }
                    for (k, f) in kinds.iter_mut().zip(fields) {
                        *k = match f {
                            // An empty quoted field ("") is an empty
                            // string, not null.
                            Cow::Owned(v) if v.is_empty() => Kind::Str,
                            _ => refine(*k, f),
                        };
                    }
                    Ok(())
                })?;
                // CSV columns are named by position until the header
                // names them.
                let names = (0..kinds.len()).map(|j| j.to_string()).collect();
                (names, kinds, records, lines)
            }
            _ => {
                let mut infer = InferJson::new();
                let (records, lines) = jsonl_records(chunk, first, false, &mut infer)?;
                (infer.keys.names, infer.kinds, records, lines)
            }
        };
        Ok(Parsed {
            value: (names, kinds),
            records,
            lines,
        })
    }

    /// CSV: the positional columns of the chunks given the header's names
    /// (a record wider than the header is an error).
    fn named(&self, cols: Columns, header: Option<Vec<String>>, name: &str) -> Result<Columns> {
        if self.text != TableFormat::Csv {
            return Ok(cols);
        }
        let names = header.unwrap_or_default();
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
                .in_file(name.to_string()));
            }
            kinds[j] = k;
        }
        Ok(Columns { names, kinds })
    }

    /// Pass 1: every column's kind over the whole input, and the records
    /// per MiB of input.
    fn infer(&self, input: Input, opts: &ConvertOptions) -> Result<(Columns, u64)> {
        let name = input.name().to_string();
        let mut cols = Columns::default();
        let mut records = 0u64;
        let header_slot = std::sync::Mutex::new(None::<Vec<String>>);
        let mut chunker = Chunker::new(input, &self.framer, opts.pipeline.chunk_size);
        pipeline::run(
            &mut chunker,
            opts.pipeline,
            |chunk: &Chunk| {
                self.chunk_columns(chunk, &mut |h| {
                    *header_slot.lock().expect("lock") = Some(h);
                    Ok(())
                })
            },
            |p: ChunkColumns| {
                cols.merge(&p.value.0, &p.value.1);
                records += p.records;
                Ok(())
            },
            &mut |_| {},
        )?;
        let per_mib = rows_per_mib(records, chunker.position());
        let header = header_slot.into_inner().expect("lock");
        Ok((self.named(cols, header, &name)?, per_mib))
    }

    /// The kinds of the first chunk alone, as a guess at the whole input's
    /// (see [`to_parquet`]); `None` when that chunk cannot tell (an error,
    /// a record wider than the header: the full first pass reports it).
    fn probe(&self, input: Input, opts: &ConvertOptions) -> Option<(Columns, u64)> {
        let name = input.name().to_string();
        let mut chunker = Chunker::new(input, &self.framer, opts.pipeline.chunk_size);
        let chunk = chunker.next_chunk().ok()??;
        let mut header = None;
        let p = self
            .chunk_columns(&chunk, &mut |h| {
                header = Some(h);
                Ok(())
            })
            .ok()?;
        let mut cols = Columns::default();
        cols.merge(&p.value.0, &p.value.1);
        let per_mib = rows_per_mib(p.records, chunk.len() as u64);
        Some((self.named(cols, header, &name).ok()?, per_mib))
    }

    /// Pass 2: the records into Arrow arrays of `cols`' kinds, chunks in
    /// parallel, and those into Parquet. A cell that does not fit its
    /// column is an internal error.
    fn write(
        &self,
        input: Input,
        cols: &Columns,
        per_mib: u64,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
        opts: &ConvertOptions,
        summary: &mut Summary,
    ) -> Result<()> {
        let schema: SchemaRef = Arc::new(Schema::new(
            cols.names
                .iter()
                .zip(&cols.kinds)
                .map(|(n, k)| Field::new(n, k.data_type(), true))
                .collect::<Vec<_>>(),
        ));
        if opts.parquet.row_group_size != crate::format::parquet::DEFAULT_ROW_GROUP_SIZE {
            return self.write_sized(input, cols, schema, per_mib, sink, opts, summary);
        }
        // Each chunk becomes whole row groups, encoded by the worker that
        // parsed it once the encoder exists: the worker of chunk 0 starts
        // it from its batch (the first batch with rows decides the
        // dictionary columns and the row group size); a batch that
        // arrives unencoded (parsed before that, or when chunk 0 has no
        // rows) is encoded here, the same way, so the file does not
        // depend on timing. Chunks are sized to hold about a row group.
        let encoder: OnceLock<GroupEncoder> = OnceLock::new();
        // The encoder, started from `batch` if it is not yet.
        let ready = |batch: &RecordBatch| -> Result<&GroupEncoder> {
            if let Some(e) = encoder.get() {
                return Ok(e);
            }
            let e = GroupEncoder::start(schema.clone(), &opts.parquet, batch)?;
            Ok(encoder.get_or_init(|| e))
        };
        let mut popts = opts.pipeline;
        if popts.chunk_size == pipeline::Options::default().chunk_size {
            popts.chunk_size = group_chunk_bytes(&cols.kinds, per_mib);
        }
        if popts.window == 0 {
            // Each result in flight holds a row group's arrays and pages.
            popts.window = popts.threads() + 2;
        }
        let mut chunker = Chunker::new(input, &self.framer, popts.chunk_size);
        let mut out: Option<SerializedFileWriter<Vec<u8>>> = None;
        pipeline::run(
            &mut chunker,
            popts,
            |chunk: &Chunk| {
                let p = self.chunk_batch(chunk, cols, &schema, per_mib)?;
                let batch = p.value;
                let encoder = match encoder.get() {
                    _ if batch.num_rows() == 0 => None,
                    None if chunk.index == 0 => Some(ready(&batch)?),
                    e => e,
                };
                let value = match encoder {
                    Some(e) => Rows::Encoded(e.encode(&batch)?),
                    None => Rows::Batch(batch),
                };
                Ok(Parsed {
                    value,
                    records: p.records,
                    lines: p.lines,
                })
            },
            |p: Parsed<Rows>| {
                summary.records += p.records;
                let groups = match p.value {
                    Rows::Encoded(g) => g,
                    Rows::Batch(b) if b.num_rows() == 0 => return Ok(()),
                    Rows::Batch(b) => ready(&b)?.encode(&b)?,
                };
                let f = match &mut out {
                    Some(f) => f,
                    None => out.insert(
                        encoder
                            .get()
                            .ok_or_else(|| internal("row groups encoded before the encoder"))?
                            .file()?,
                    ),
                };
                append_groups(f, groups)?;
                // The file's buffer is emptied into the sink and kept, so
                // the next row groups are copied into memory already
                // grown and mapped (a new buffer each time would grow by
                // doubling, copying what it held at each step).
                let buf = f.inner_mut();
                send(buf, summary, sink)?;
                buf.clear();
                Ok(())
            },
            &mut |_| {},
        )?;
        summary.bytes_in = chunker.position();
        let bytes = match out {
            Some(f) => finish_file(f)?,
            None => ColumnParallelWriter::new(schema.clone(), &opts.parquet, 1, None)?.finish()?,
        };
        send(&bytes, summary, sink)
    }

    /// [`TextTable::write`] with an explicit row group size: rows go into
    /// row groups of exactly that many rows across chunks, the columns of
    /// each encoded in parallel.
    #[allow(clippy::too_many_arguments)]
    fn write_sized(
        &self,
        input: Input,
        cols: &Columns,
        schema: SchemaRef,
        per_mib: u64,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
        opts: &ConvertOptions,
        summary: &mut Summary,
    ) -> Result<()> {
        let new_writer = |first: Option<&RecordBatch>| {
            ColumnParallelWriter::new(schema.clone(), &opts.parquet, opts.pipeline.threads, first)
        };
        let mut writer: Option<ColumnParallelWriter> = None;
        let mut chunker = Chunker::new(input, &self.framer, opts.pipeline.chunk_size);
        pipeline::run(
            &mut chunker,
            opts.pipeline,
            |chunk: &Chunk| self.chunk_batch(chunk, cols, &schema, per_mib),
            |p: Parsed<RecordBatch>| {
                let batch = p.value;
                summary.records += p.records;
                if batch.num_rows() == 0 {
                    return Ok(());
                }
                let w = match &mut writer {
                    Some(w) => w,
                    None => writer.insert(new_writer(Some(&batch))?),
                };
                w.write(&batch)?;
                send(&w.take_bytes(), summary, sink)
            },
            &mut |_| {},
        )?;
        summary.bytes_in = chunker.position();
        let writer = match writer {
            Some(w) => w,
            None => new_writer(None)?,
        };
        send(&writer.finish()?, summary, sink)
    }

    /// One chunk's records as a record batch of `schema` (`cols`' kinds).
    fn chunk_batch(
        &self,
        chunk: &Chunk,
        cols: &Columns,
        schema: &SchemaRef,
        per_mib: u64,
    ) -> Result<Parsed<RecordBatch>> {
        // Rows expected in this chunk (a little over, so that a typical
        // chunk fits).
        let rows = (chunk.len() as u128 * per_mib as u128 / (1 << 20)) as usize;
        let rows = rows + rows / 16 + 16;
        let mut builders: Vec<ColumnBuilder> = cols
            .kinds
            .iter()
            .map(|&k| ColumnBuilder::new(k, rows))
            .collect();
        let first = chunk.index == 0;
        let direct = match self.text {
            TableFormat::Csv => csv_cells_into(&self.csv, chunk, first, &mut builders),
            _ => None,
        };
        let (records, lines) = match self.text {
            _ if direct.is_some() => direct.expect("just tested")?,
            TableFormat::Csv => csv_records(&self.csv, chunk, first, &mut |_| Ok(()), |fields| {
                push_record(&mut builders, chunk, fields)
            })?,
            _ => {
                let mut build = BuildJson::new(&cols.names, &mut builders);
                jsonl_records(chunk, first, true, &mut build)?
            }
        };
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
    }
}

/// Appends one CSV record of `chunk` (its fields, as the general split
/// gives them) to the builders, a cell each; a short record's other
/// columns are null. The path of chunks with quotes (and of separators
/// the one-pass split does not take); [`csv_cells_into`] is the other.
fn push_record(builders: &mut [ColumnBuilder], chunk: &[u8], fields: &[Cow<[u8]>]) -> Result<()> {
    if fields.len() > builders.len() {
        return Err(internal("a record wider than the inferred columns"));
    }
    for (b, f) in builders.iter_mut().zip(fields) {
        let tail = match f {
            Cow::Borrowed(f) => tail_of(chunk, f).unwrap_or(f),
            Cow::Owned(f) => f,
        };
        b.push_csv(f, tail, matches!(f, Cow::Owned(_)))?;
    }
    for b in &mut builders[fields.len()..] {
        b.push_null();
    }
    Ok(())
}

/// Counts `bytes` as output and hands them to `sink`.
fn send(
    bytes: &[u8],
    summary: &mut Summary,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    summary.bytes_out += bytes.len() as u64;
    sink(bytes)
}

/// A chunk's rows on their way to the Parquet writer.
enum Rows {
    /// Parsed, not yet encoded.
    Batch(RecordBatch),
    /// Encoded into row groups.
    Encoded(EncodedGroups),
}

/// Bytes of values a typed table's chunk is sized to hold when each chunk
/// becomes a row group: half the row group cap ([`TABLE_ROW_GROUP_BYTES`]),
/// so that an estimate off by up to 2× still gives one row group per
/// chunk. (Chunks sized to the cap itself were no faster and took 40–80
/// MiB more memory: a window of chunks is in flight.)
const GROUP_CHUNK_VALUE_BYTES: usize = TABLE_ROW_GROUP_BYTES / 2;

/// Input bytes per chunk when each chunk becomes row groups: about
/// [`GROUP_CHUNK_VALUE_BYTES`] of values at `per_mib` rows per MiB of
/// input, judged by the column kinds (8 bytes per number or timestamp, a
/// byte per bool, 12 per string: offset and a short text), between 1 and
/// 32 MiB.
fn group_chunk_bytes(kinds: &[Kind], per_mib: u64) -> usize {
    let row: u64 = kinds
        .iter()
        .map(|k| match k {
            Kind::Int | Kind::Float | Kind::Timestamp => 8,
            Kind::Bool | Kind::Null => 1,
            Kind::Str => 12,
        })
        .sum::<u64>()
        .max(1);
    let rows = GROUP_CHUNK_VALUE_BYTES as u64 / row;
    let mib = 1u64 << 20;
    (rows.saturating_mul(mib) / per_mib.max(1)).clamp(mib, 32 * mib) as usize
}

/// Records per MiB of input.
fn rows_per_mib(records: u64, bytes: u64) -> u64 {
    (records as u128 * (1 << 20) / bytes.max(1) as u128) as u64
}

/// Text → Parquet. The column kinds must be known before the first row
/// group is written, and they depend on every cell, so the exact way is
/// two passes: [`TextTable::infer`] over the whole input, then
/// [`TextTable::write`]. When the output can be started over (`restart`
/// discards what was written), the first pass is skipped on a guess: the
/// first chunk's kinds are used and every cell is checked against them as
/// it is written (a cell fits its column exactly when joining its kind
/// leaves the column's kind as it is). At the first cell that does not
/// fit (a column that turns from int to float, or was empty at first) or
/// any other error, `restart` is called and the two passes run, so that
/// the outcome is always theirs: if every cell fits, the guessed kinds are
/// the joins of all cells, the two passes' kinds, and the bytes are the
/// same; errors are the two passes' errors.
fn to_parquet(
    input: Input,
    text: TableFormat,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    restart: Option<&mut dyn FnMut() -> Result<()>>,
    opts: &ConvertOptions,
    summary: &mut Summary,
) -> Result<()> {
    let input = spool(input)?;
    let table = TextTable {
        text,
        csv: CsvSplit {
            delimiter: opts.csv.delimiter,
            quote: opts.csv.quote,
        },
        framer: match text {
            TableFormat::Csv => LineFramer::quoted(opts.csv.quote),
            _ => LineFramer::new(),
        },
    };
    let again = || match &input {
        Input::Mapped { map, name } => Input::Mapped {
            map: map.clone(),
            name: name.clone(),
        },
        Input::Stream { .. } => unreachable!("spooled"),
    };
    let fresh = *summary;
    if let Some(restart) = restart
        && let Some((cols, per_mib)) = table.probe(again(), opts)
    {
        if table
            .write(again(), &cols, per_mib, sink, opts, summary)
            .is_ok()
        {
            return Ok(());
        }
        restart()?;
        *summary = fresh;
    }
    let (cols, per_mib) = table.infer(again(), opts)?;
    table.write(input, &cols, per_mib, sink, opts, summary)
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

/// A column being built from text cells. Inference saw every cell, so a
/// cell that does not fit is a bug; it is still reported as an error, not
/// a panic.
enum ColumnBuilder {
    Null(StringBuilder),
    Bool(BoolColumn),
    Int(Int64Builder),
    Float(Float64Builder),
    Ts(TimestampMicrosecondBuilder, Calendar),
    Str(StringBuilder),
}

/// `m` (at most 18 digits) negated when `neg`, without a branch (signs of
/// data are random: a branch on them mispredicts half the time).
#[inline(always)]
fn signed(m: u64, neg: bool) -> i64 {
    let mask = -(neg as i64);
    (m as i64 ^ mask).wrapping_sub(mask)
}

/// Whether `c` may start a number: one test, where `c == b'-' ||
/// c.is_ascii_digit()` branches on the (random) sign first.
#[inline(always)]
fn numeric(c: u8) -> bool {
    (c == b'-') | c.is_ascii_digit()
}

/// A bool column being built: values one byte each, packed into bits at
/// the end, 64 at a time. Arrow's `BooleanBuilder` sets each bit behind a
/// branch on the value, which mispredicts half the time on real data.
struct BoolColumn {
    values: Vec<bool>,
    nulls: arrow_buffer::NullBufferBuilder,
}

impl BoolColumn {
    fn with_capacity(rows: usize) -> BoolColumn {
        BoolColumn {
            values: Vec::with_capacity(rows),
            nulls: arrow_buffer::NullBufferBuilder::new(rows),
        }
    }

    #[inline]
    fn append_value(&mut self, v: bool) {
        self.values.push(v);
        self.nulls.append_non_null();
    }

    #[inline]
    fn append_null(&mut self) {
        self.values.push(false);
        self.nulls.append_null();
    }

    fn finish(mut self) -> arrow_array::BooleanArray {
        let values = &self.values;
        let bits = arrow_buffer::BooleanBuffer::collect_bool(values.len(), |i| values[i]);
        arrow_array::BooleanArray::new(bits, self.nulls.finish())
    }
}

fn mismatch() -> Error {
    internal("a cell does not fit its inferred column type")
}

impl ColumnBuilder {
    /// A builder of kind `k` with room for `rows` values (an estimate:
    /// the builders grow past it), so that a chunk's columns are not
    /// reallocated and copied as they fill.
    fn new(k: Kind, rows: usize) -> ColumnBuilder {
        match k {
            Kind::Null => ColumnBuilder::Null(StringBuilder::new()),
            Kind::Bool => ColumnBuilder::Bool(BoolColumn::with_capacity(rows)),
            Kind::Int => ColumnBuilder::Int(Int64Builder::with_capacity(rows)),
            Kind::Float => ColumnBuilder::Float(Float64Builder::with_capacity(rows)),
            Kind::Timestamp => ColumnBuilder::Ts(
                TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
                Calendar::default(),
            ),
            Kind::Str => ColumnBuilder::Str(StringBuilder::with_capacity(rows, rows * 8)),
        }
    }

    #[inline]
    fn push_null(&mut self) {
        match self {
            ColumnBuilder::Null(b) | ColumnBuilder::Str(b) => b.append_null(),
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Float(b) => b.append_null(),
            ColumnBuilder::Ts(b, _) => b.append_null(),
        }
    }

    /// Appends a CSV cell: an unquoted empty cell is null, a `quoted` one
    /// an empty string; text that is not UTF-8 is kept with
    /// replacement characters. `tail` starts with `b` and may go on past
    /// it (see [`tail_of`]): numbers are read from it whole words at a
    /// time, and taken when they end exactly where `b` does (else `b` is
    /// parsed alone, as before).
    #[inline(always)]
    fn push_csv(&mut self, b: &[u8], tail: &[u8], quoted: bool) -> Result<()> {
        if b.is_empty() && !quoted {
            self.push_null();
            return Ok(());
        }
        match self {
            ColumnBuilder::Str(s) => match short_ascii(b, tail) {
                Some(t) => s.append_value(t),
                None => match std::str::from_utf8(b) {
                    Ok(t) => s.append_value(t),
                    Err(_) => s.append_value(String::from_utf8_lossy(b)),
                },
            },
            ColumnBuilder::Float(f) => {
                f.append_value(match crate::codec::text::parse_plain_prefix(tail) {
                    Some((v, len)) if len == b.len() => v,
                    _ => crate::codec::text::parse_f64(b).ok_or_else(mismatch)?,
                })
            }
            ColumnBuilder::Int(x) => {
                let neg = b.first() == Some(&b'-');
                let (mut at, mut m) = (neg as usize, 0u64);
                let n = crate::codec::text::digits(tail, &mut at, &mut m);
                x.append_value(if at == b.len() && (1..=18).contains(&n) {
                    signed(m, neg)
                } else {
                    parse_i64(b).ok_or_else(mismatch)?
                })
            }
            ColumnBuilder::Bool(v) => v.append_value(bool_cell(b, tail).ok_or_else(mismatch)?),
            ColumnBuilder::Ts(t, cal) => t.append_value(cal.timestamp(b).ok_or_else(mismatch)?),
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    /// Appends a JSON value; numbers and bools in a string column keep
    /// their text (an int as written, a float as Rust prints it).
    #[inline]
    fn push_json(&mut self, v: JVal<'_>) -> Result<()> {
        match (self, v) {
            (b, JVal::Null) => b.push_null(),
            (ColumnBuilder::Str(b), JVal::Str(s)) => b.append_value(&*s),
            (ColumnBuilder::Str(b), JVal::Int(v)) => b.append_value(itoa::Buffer::new().format(v)),
            (ColumnBuilder::Str(b), JVal::Float(v)) => b.append_value(v.to_string()),
            (ColumnBuilder::Str(b), JVal::Bool(v)) => {
                b.append_value(if v { "true" } else { "false" })
            }
            (ColumnBuilder::Bool(b), JVal::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Int(b), JVal::Int(v)) => b.append_value(v),
            (ColumnBuilder::Float(b), JVal::Float(v)) => b.append_value(v),
            (ColumnBuilder::Float(b), JVal::Int(v)) => b.append_value(v as f64),
            (ColumnBuilder::Ts(b, cal), JVal::Str(s)) => {
                b.append_value(cal.timestamp(s.as_bytes()).ok_or_else(mismatch)?)
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    /// [`BuildJson::fast`]'s value: the JSON value at `text[k]` appended,
    /// if it is of the forms the general scan reads as this column's
    /// values (a plain number of at most 15 digits, an integer of at most
    /// 18, a literal, a string) and a `,` or `}` follows it: the position
    /// of that. `None` (nothing appended) leaves the value to the general
    /// scan, which reads it or reports the error.
    #[inline]
    fn push_fast_json(&mut self, text: &str, k: usize, scratch: &mut String) -> Option<usize> {
        #[inline(always)]
        fn then(b: &[u8], at: usize) -> Option<usize> {
            let p = skip_ws(b, at);
            matches!(b.get(p), Some(b',' | b'}')).then_some(p)
        }
        #[inline(always)]
        fn word(b: &[u8], k: usize, w: &[u8]) -> Option<usize> {
            let end = k + w.len();
            (end <= b.len() && same_bytes(&b[k..end], w)).then_some(end)
        }
        // The digits of a number at `b[k]` (after its sign) do not start
        // with a 0 followed by a digit (JSON has no leading zeros).
        #[inline(always)]
        fn no_leading_zero(b: &[u8], k: usize) -> bool {
            let d = k + (b[k] == b'-') as usize;
            !((b.get(d) == Some(&b'0')) & b.get(d + 1).is_some_and(u8::is_ascii_digit))
        }
        let b = text.as_bytes();
        let c = *b.get(k)?;
        if c == b'n' {
            let p = then(b, word(b, k, b"null")?)?;
            self.push_null();
            return Some(p);
        }
        match self {
            ColumnBuilder::Float(f) if numeric(c) => {
                let (v, len) = crate::codec::text::parse_plain_prefix(&b[k..])?;
                let p = then(b, k + len)?;
                if !no_leading_zero(b, k) {
                    return None;
                }
                f.append_value(v);
                Some(p)
            }
            ColumnBuilder::Int(x) if numeric(c) => {
                let neg = c == b'-';
                let (mut at, mut m) = (k + neg as usize, 0u64);
                let n = crate::codec::text::digits(b, &mut at, &mut m);
                // `-0` is a float (as the general scan reads it).
                // One branch: `neg` and a leading 0 are data, in random
                // order.
                if (n.wrapping_sub(1) >= 18) | (neg & (m == 0)) | !no_leading_zero(b, k) {
                    return None;
                }
                let p = then(b, at)?;
                x.append_value(signed(m, neg));
                Some(p)
            }
            ColumnBuilder::Bool(x) => {
                let (v, end) = match b.get(k..k + 8) {
                    // Both literals tested at once, no branch on which
                    // (true and false come in random order).
                    Some(w) => {
                        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
                        let t = w & 0xFFFF_FFFF == TRUE_WORD;
                        let f = w & 0xFF_FFFF_FFFF == FALSE_WORD;
                        if !(t | f) {
                            return None;
                        }
                        (t, k + 5 - t as usize)
                    }
                    None => match c {
                        b't' => (true, word(b, k, b"true")?),
                        b'f' => (false, word(b, k, b"false")?),
                        _ => return None,
                    },
                };
                let p = then(b, end)?;
                x.append_value(v);
                Some(p)
            }
            ColumnBuilder::Str(x) if c == b'"' => {
                let (v, end) = string(text, k, 0, scratch).ok()?;
                let p = then(b, end)?;
                x.append_value(v);
                Some(p)
            }
            ColumnBuilder::Ts(x, cal) if c == b'"' => {
                let (v, end) = string(text, k, 0, scratch).ok()?;
                let p = then(b, end)?;
                x.append_value(cal.timestamp(v.as_bytes())?);
                Some(p)
            }
            _ => None,
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            ColumnBuilder::Null(mut b) | ColumnBuilder::Str(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Float(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Ts(mut b, _) => Arc::new(b.finish()),
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
    let meta = no_panic(footer, || {
        ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new())
            .map_err(|e| Error::syntax("parquet", format!("{footer}: {e}")))
    })
    .and_then(|r| r)
    .map_err(|e| located(e.at_byte(bytes.len() as u64 - 8)))?;
    let schema = meta.schema().clone();
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
        let row_groups = (0..meta.metadata().num_row_groups()).collect();
        crate::format::parquet::read::batches(
            &bytes,
            &meta,
            row_groups,
            ProjectionMask::all(),
            64 * 1024,
        )
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

    #[test]
    fn month_lengths_and_leap_days() {
        for (y, feb) in [(1900, 28), (2000, 29), (2023, 28), (2024, 29), (2100, 28)] {
            assert_eq!(days_in_month(y, 2), feb, "{y}");
            assert_eq!(
                parse_timestamp(&format!("{y}-02-29 00:00:00")).is_some(),
                feb == 29
            );
        }
        let lengths: Vec<i64> = (1..=12).map(|m| days_in_month(2023, m)).collect();
        assert_eq!(lengths, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
        for bad in [
            "2024-13-01 00:00:00",
            "2024-00-01 00:00:00",
            "2024-04-31 00:00:00",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        // A non-digit at each digit's place.
        let good = *b"2024-06-07 07:50:22";
        for i in [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18] {
            for c in [b'/', b':', b'a', b' '] {
                let mut t = good;
                t[i] = c;
                assert_eq!(
                    parse_timestamp_bytes(&t),
                    None,
                    "{}",
                    String::from_utf8_lossy(&t)
                );
            }
        }
        assert_eq!(
            parse_timestamp_bytes(&good),
            Some((days_from_civil(2024, 6, 7) * 86400 + 7 * 3600 + 50 * 60 + 22) * 1_000_000)
        );
    }

    /// A plain reading of `YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±HH:MM]`, field by
    /// field, for the word-at-a-time parser to be checked against.
    fn plain_timestamp(b: &[u8]) -> Option<i64> {
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let t = b.get(r)?;
            t.iter()
                .all(u8::is_ascii_digit)
                .then(|| t.iter().fold(0, |v, &c| v * 10 + i64::from(c - b'0')))
        };
        let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
        if !(at(4, b"-") && at(7, b"-") && at(10, b"T ") && at(13, b":") && at(16, b":")) {
            return None;
        }
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let len = match mo {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => return None,
        };
        if d < 1 || d > len || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let mut rest = &b[19..];
        let mut micros = 0;
        if let Some(f) = rest.strip_prefix(b".") {
            let n = f.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let mut digits = f[..n.min(6)].to_vec();
            digits.resize(6, b'0');
            micros = digits.iter().fold(0, |v, &c| v * 10 + i64::from(c - b'0'));
            rest = &f[n..];
        }
        let offset = match rest {
            b"" | b"Z" | b"z" => 0,
            [s @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let two = |a: u8, b: u8| {
                    (a.is_ascii_digit() && b.is_ascii_digit())
                        .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
                };
                let o = two(*h1, *h2)? * 3600 + two(*m1, *m2)? * 60;
                if *s == b'+' { o } else { -o }
            }
            _ => return None,
        };
        let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
        Some(secs * 1_000_000 + micros)
    }

    #[test]
    fn timestamps_read_word_at_a_time_are_the_plain_reading() {
        let mut cal = Calendar::default();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Every day of years around the leap rules and the epoch, in
        // order and with the year changing at each cell.
        for y in [1600, 1899, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 9999] {
            for mo in 1..=12 {
                for d in [0, 1, 15, 28, 29, 30, 31, 32] {
                    let r = next();
                    let sep = if r & 1 == 0 { 'T' } else { ' ' };
                    let tail = [
                        "", "Z", ".5", ".1234567", "+05:30", "-00:45", ".25z", "+5:30",
                    ][(r >> 8) as usize % 8];
                    cases.push(
                        format!(
                            "{y:04}-{mo:02}-{d:02}{sep}{:02}:{:02}:{:02}{tail}",
                            (r >> 16) % 25,
                            (r >> 24) % 61,
                            (r >> 32) % 62
                        )
                        .into_bytes(),
                    );
                }
            }
        }
        let n = cases.len();
        for _ in 0..n {
            let j = (next() as usize) % n;
            cases.push(cases[j].clone());
        }
        // One byte changed at each place of a good cell.
        let good = b"2024-06-07 07:50:22.5+01:00";
        for i in 0..good.len() {
            for c in [
                b'0', b'9', b'/', b':', b'-', b'T', b' ', b'a', 0x80, 0x2F, 0x3A,
            ] {
                let mut t = good.to_vec();
                t[i] = c;
                cases.push(t.clone());
                t.truncate(i + 1);
                cases.push(t);
            }
        }
        for t in &cases {
            let want = plain_timestamp(t);
            let text = String::from_utf8_lossy(t);
            assert_eq!(parse_timestamp_bytes(t), want, "{text}");
            assert_eq!(cal.timestamp(t), want, "{text}");
        }
    }

    #[test]
    fn signs_and_short_cells_without_branches_agree_with_the_plain_forms() {
        for m in [0u64, 1, 42, 999_999_999_999_999_999] {
            assert_eq!(signed(m, false), m as i64);
            assert_eq!(signed(m, true), -(m as i64));
        }
        for c in 0..=255u8 {
            assert_eq!(numeric(c), c == b'-' || c.is_ascii_digit(), "{c}");
        }
        // Cells within a longer input (the tail) and alone (no 8 bytes).
        let cells: [&[u8]; 14] = [
            b"true", b"TRUE", b"True", b"false", b"FALSE", b"fAlSe", b"tru", b"truee", b"fals",
            b"t", b"", b"yes", b"\xf4rue", b"0",
        ];
        for cell in cells {
            let expect = is_bool(cell).then(|| cell.eq_ignore_ascii_case(b"true"));
            for after in [&b",false,x\n"[..], b"\n", b""] {
                let tail = [cell, after].concat();
                assert_eq!(bool_cell(cell, &tail), expect, "{:?}{:?}", cell, after);
            }
        }
        let texts: [&[u8]; 6] = [
            b"a",
            b"delta",
            b"12345678",
            b"123456789",
            "d\u{e9}lta".as_bytes(),
            b"x\xff",
        ];
        for cell in texts {
            for after in [&b",1,2,3,4,5,6,7\n"[..], b""] {
                let tail = [cell, after].concat();
                let got = short_ascii(cell, &tail);
                match got {
                    Some(t) => assert_eq!(t.as_bytes(), cell),
                    // Left to from_utf8: longer than a word, not ASCII, or
                    // no word to load.
                    None => assert!(cell.len() > 8 || !cell.is_ascii() || tail.len() < 8),
                }
                if cell.is_ascii() && cell.len() <= 8 && tail.len() >= 8 {
                    assert!(got.is_some(), "{cell:?}");
                }
            }
        }
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;

    /// What serde_json makes of a line, in the scanner's terms.
    fn oracle(line: &str) -> std::result::Result<Vec<(String, JVal<'static>)>, ()> {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|_| ())?;
        let serde_json::Value::Object(m) = v else {
            return Err(());
        };
        let mut out = Vec::new();
        for (k, v) in m {
            out.push((
                k,
                match v {
                    serde_json::Value::Null => JVal::Null,
                    serde_json::Value::Bool(b) => JVal::Bool(b),
                    serde_json::Value::Number(n) => match n.as_i64() {
                        Some(i) => JVal::Int(i),
                        None => JVal::Float(n.as_f64().unwrap()),
                    },
                    serde_json::Value::String(s) => JVal::Str(Cow::Owned(s)),
                    _ => return Err(()),
                },
            ));
        }
        Ok(out)
    }

    fn scan(line: &str) -> std::result::Result<Vec<(String, JVal<'static>)>, Error> {
        let mut out = Vec::new();
        let mut scan = JsonScan {
            floats: true,
            ..JsonScan::default()
        };
        scan.line(
            line.as_bytes(),
            0,
            &mut Cells(|k: &str, v: JVal<'_>| {
                let v = match v {
                    JVal::Str(s) => JVal::Str(Cow::Owned(s.into_owned())),
                    JVal::Null => JVal::Null,
                    JVal::Bool(b) => JVal::Bool(b),
                    JVal::Int(i) => JVal::Int(i),
                    JVal::Float(f) => JVal::Float(f),
                };
                out.push((k.to_string(), v));
                Ok(())
            }),
        )?;
        Ok(out)
    }

    #[test]
    fn the_json_scanner_reads_what_serde_json_reads() {
        // serde_json (features: raw_value, no preserve_order) sorts keys;
        // compare as sorted maps. Floats: serde_json's default parser may
        // be one ulp off where fast_float2 is exact, so values are
        // compared to 1 ulp.
        let lines = [
            r#"{}"#,
            r#" { } "#,
            r#"{"a":1,"b":-2,"c":1.5,"d":-0.0,"e":1e3,"f":true,"g":false,"h":null}"#,
            r#"{"s":"plain","t":"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00","u":""}"#,
            r#"{"big":9223372036854775807,"bigger":9223372036854775808,"min":-9223372036854775808,"under":-9223372036854775809}"#,
            r#"{"huge":123456789012345678901234567890,"neg0":-0,"z":0,"e":2E-3,"p":1e+2}"#,
            r#"{"k\u0041y":1, "x" : "é ü 日本" }"#,
            "{\"tab\"\t:\t1\r}",
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":+1}"#,
            r#"{"a":NaN}"#,
            r#"{"a":Infinity}"#,
            r#"{"a":1e400}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":1,}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"{"a":1}x"#,
            r#"{"a":1}}"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            "{\"a\":\"ctl\u{1}\"}",
            r#"[1,2]"#,
            r#""s""#,
            r#"{"a":1"#,
            r#"{"#,
        ];
        for line in lines {
            let want = oracle(line);
            let got = scan(line);
            match (&want, &got) {
                (Ok(w), Ok(g)) => {
                    let mut g = g.clone();
                    g.sort_by(|a, b| a.0.cmp(&b.0));
                    assert_eq!(w.len(), g.len(), "{line}");
                    for ((wk, wv), (gk, gv)) in w.iter().zip(&g) {
                        assert_eq!(wk, gk, "{line}");
                        match (wv, gv) {
                            (JVal::Float(a), JVal::Float(b)) => assert!(
                                (a.to_bits() as i64 - b.to_bits() as i64).abs() <= 1,
                                "{line}: {a} vs {b}"
                            ),
                            _ => assert_eq!(wv, gv, "{line}"),
                        }
                    }
                }
                (Err(()), Err(e)) => {
                    assert!(e.position().byte.is_some(), "{line}: {e}");
                }
                _ => panic!("{line}: serde_json {want:?}, scanner {got:?}"),
            }
        }
        // Not UTF-8 inside a string, and a nested value naming its key.
        let mut out = Vec::new();
        let e = JsonScan::default()
            .line(
                b"{\"a\":\"\xff\"}",
                10,
                &mut Cells(|k: &str, _: JVal<'_>| {
                    out.push(k.to_string());
                    Ok(())
                }),
            )
            .unwrap_err();
        assert!(e.to_string().contains("UTF-8"), "{e}");
        assert_eq!(e.position().byte, Some(16));
        let e = scan(r#"{"a":1,"n":{"b":2}}"#).unwrap_err();
        assert!(e.to_string().contains("\"n\" is an array or object"), "{e}");
    }

    #[test]
    fn csv_numbers_read_past_the_cell_are_the_cell_s_numbers() {
        // A cell followed by more bytes (its delimiter and the next cells,
        // which the parsers may read ahead into) gives the value, or the
        // error, of the cell alone.
        let mut rng = crate::testutil::XorShift(0x94D0_49BB_1331_11EB);
        let alphabet = b"0123456789-+.eE ,;\r\n\"x";
        for kind in [Kind::Float, Kind::Int] {
            for _ in 0..20_000 {
                let r = rng.next_u64();
                let cell: Vec<u8> = (0..(r % 22) as usize)
                    .map(|_| match rng.next_u64() % 4 {
                        0 => alphabet[(rng.next_u64() % alphabet.len() as u64) as usize],
                        _ => b'0' + (rng.next_u64() % 10) as u8,
                    })
                    .collect();
                let after: Vec<u8> = (0..(r >> 32) % 12)
                    .map(|_| alphabet[(rng.next_u64() % alphabet.len() as u64) as usize])
                    .collect();
                let tail = [&cell[..], &after[..]].concat();
                let quoted = r & (1 << 60) != 0;
                let (mut alone, mut ahead) =
                    (ColumnBuilder::new(kind, 1), ColumnBuilder::new(kind, 1));
                let a = alone
                    .push_csv(&cell, &cell, quoted)
                    .map_err(|e| e.to_string());
                let b = ahead
                    .push_csv(&cell, &tail, quoted)
                    .map_err(|e| e.to_string());
                assert_eq!(
                    a,
                    b,
                    "{:?} then {:?}",
                    String::from_utf8_lossy(&cell),
                    String::from_utf8_lossy(&after)
                );
                assert_eq!(
                    alone.finish().to_data(),
                    ahead.finish().to_data(),
                    "{cell:?}"
                );
            }
        }
        // Only a slice of the chunk has a tail.
        let chunk = b"12,34\n";
        assert_eq!(tail_of(chunk, &chunk[3..5]), Some(&b"34\n"[..]));
        assert_eq!(tail_of(chunk, b"12"), None);
    }

    #[test]
    fn the_fast_path_takes_what_the_general_scan_takes_with_the_same_values() {
        // Every value around the fast path's edges, in a column of every
        // kind, first, in the middle and last on its line, in objects with
        // the columns in order, out of order, short, long, with spaces:
        // the batch (or the error) must be the general scan's.
        let values = [
            "1.5",
            "-1.5",
            "0",
            "-0",
            "0.0",
            "-0.0",
            "01",
            "01.5",
            "-01",
            "00",
            "1.",
            ".5",
            "-",
            "-.5",
            "+1",
            "1e5",
            "1E+5",
            "2e-3",
            "1.5e3",
            "1.5.3",
            "1.5x",
            "123456789012345",
            "1234567890123456",
            "9007199254740993",
            "123456789012345678",
            "1234567890123456789",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "0.1234567890123",
            "0.12345678901234567",
            "null",
            "nul",
            "nullx",
            "true",
            "false",
            "tru",
            "truex",
            r#""a""#,
            r#""""#,
            r#""a\nb""#,
            r#""\u00e9""#,
            r#""é""#,
            r#""2024-06-07 07:50:22""#,
            r#""2024-06-07T07:50:22Z""#,
            r#""2024-13-07 07:50:22""#,
            r#""unterminated"#,
            "\"ctl\u{1}\"",
            "[1]",
            "{}",
            "",
        ];
        let kinds = [
            Kind::Float,
            Kind::Int,
            Kind::Bool,
            Kind::Str,
            Kind::Timestamp,
            Kind::Null,
        ];
        let names: Vec<String> = ["a", "x", "b"].map(String::from).to_vec();
        let run = |text: &str, kinds: &[Kind], general_only: bool| {
            let mut builders: Vec<ColumnBuilder> =
                kinds.iter().map(|&k| ColumnBuilder::new(k, 4)).collect();
            let mut build = BuildJson::new(&names, &mut builders);
            build.general_only = general_only;
            let r = jsonl_records(text.as_bytes(), true, true, &mut build);
            r.map(|n| {
                let arrays: Vec<ArrayRef> =
                    builders.into_iter().map(ColumnBuilder::finish).collect();
                (n, arrays)
            })
            .map_err(|e| e.to_string())
        };
        let mut taken = 0;
        for &kind in &kinds {
            for v in values {
                let lines = [
                    format!(r#"{{"a":{v},"x":1.5,"b":"s"}}"#),
                    format!(r#"{{"a":1,"x":{v},"b":"s"}}"#),
                    format!(r#"{{"a":1,"x":2,"b":{v}}}"#),
                    format!(r#"{{ "a" : {v} , "x" : 2 }}"#),
                    format!(r#"{{"x":{v},"a":1}}"#),
                    format!(r#"{{"a":1,"x":{v}}}"#),
                    format!(r#"{{"a":1,"x":{v},"b":"s","y":1}}"#),
                    format!(r#"{{"a":1,"x":{v},"a":2}}"#),
                    format!("{{\"a\":1,\"x\":{v}}}\n{{\"x\":{v}}}\n{{}}\n"),
                ];
                for line in lines {
                    // Column x has the kind under test; a and b hold the
                    // other cells.
                    let cols = [Kind::Float, kind, Kind::Str];
                    let (fast, general) = (run(&line, &cols, false), run(&line, &cols, true));
                    match (&fast, &general) {
                        (Ok((nf, af)), Ok((ng, ag))) => {
                            taken += 1;
                            assert_eq!(nf, ng, "{line} as {kind:?}");
                            for (f, g) in af.iter().zip(ag) {
                                assert_eq!(f.to_data(), g.to_data(), "{line} as {kind:?}");
                            }
                        }
                        (Err(f), Err(g)) => assert_eq!(f, g, "{line} as {kind:?}"),
                        _ => panic!("{line} as {kind:?}: {fast:?} vs {general:?}"),
                    }
                }
            }
        }
        assert!(taken > 100, "{taken}");
    }

    #[test]
    fn duplicate_keys_are_located_errors() {
        let run = |text: &[u8]| {
            convert_table(
                Input::from_bytes(text.to_vec(), "d.jsonl"),
                TableFormat::Jsonl,
                TableFormat::Parquet,
                &mut |_| Ok(()),
                &ConvertOptions::default(),
            )
        };
        let e = run(b"{\"a\":1,\"b\":2}\n{\"b\":1,\"a\":2,\"b\":3}\n").unwrap_err();
        assert!(e.to_string().contains("\"b\" appears twice"), "{e}");
        assert_eq!(e.position().line, Some(1));
        assert_eq!(e.position().byte, Some(14));
        // The same key on different lines, in any order, is fine.
        assert_eq!(
            run(b"{\"a\":1,\"b\":2}\n{\"b\":1,\"a\":2}\n{}\n{\"a\":1}\n")
                .unwrap()
                .records,
            4
        );
    }

    #[test]
    fn json_floats_have_fast_float2_s_bits_and_short_compares_are_eq() {
        let mut rng = crate::testutil::XorShift(0xA076_1D64_78BD_642F);
        let mut text = Vec::new();
        for _ in 0..100_000 {
            text.clear();
            if rng.next_u64().is_multiple_of(2) {
                text.push(b'-');
            }
            let whole = 1 + rng.next_u64() % 12;
            let frac = 1 + rng.next_u64() % 12;
            for k in 0..whole + frac + 1 {
                if k == whole {
                    text.push(b'.');
                } else {
                    text.push(b'0' + (rng.next_u64() % 10) as u8);
                }
            }
            if text[usize::from(text[0] == b'-')] == b'0' && whole > 1 {
                continue; // a leading zero: not JSON
            }
            text.push(b',');
            let want: f64 = fast_float2::parse(&text[..text.len() - 1]).unwrap();
            match number(&text, 0, 0, true).unwrap() {
                (JVal::Float(v), end) => {
                    assert_eq!(
                        v.to_bits(),
                        want.to_bits(),
                        "{}",
                        String::from_utf8_lossy(&text)
                    );
                    assert_eq!(end, text.len() - 1);
                }
                other => panic!("{other:?}"),
            }
        }
        let words: Vec<Vec<u8>> = (0..400)
            .map(|i| {
                (0..i % 21)
                    .map(|_| b"ab"[(rng.next_u64() % 2) as usize])
                    .collect()
            })
            .collect();
        for a in &words {
            for b in &words {
                assert_eq!(same_bytes(a, b), a == b);
            }
        }
    }

    #[test]
    fn parse_i64_is_str_parse() {
        for s in [
            "0",
            "-0",
            "+0",
            "12",
            "-12",
            "+12",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "",
            "-",
            "+",
            "1.0",
            " 1",
            "1 ",
            "0x10",
            "--1",
            "+-1",
            "١",
            "00012",
        ] {
            assert_eq!(parse_i64(s.as_bytes()), s.parse::<i64>().ok(), "{s:?}");
        }
    }

    #[test]
    fn refine_is_the_join_with_the_cell_kind() {
        let cells = [
            "",
            "1",
            "-7",
            "+3",
            "1.5",
            "1e3",
            "nan",
            "inf",
            " 2.5 ",
            "true",
            "FALSE",
            "2024-01-02T03:04:05Z",
            "2024-01-02 03:04:05.123+01:00",
            "2024-13-02T03:04:05",
            "x",
            "1,5",
            "99999999999999999999",
        ];
        for c in cells {
            if plain_decimal(c.as_bytes()) {
                assert!(
                    crate::codec::text::parse_f64(c.as_bytes()).is_some(),
                    "{c:?}"
                );
            }
        }
        assert!(plain_decimal(b"-12.50") && plain_decimal(b"7"));
        assert!(!plain_decimal(b"1.") && !plain_decimal(b"-") && !plain_decimal(b"1e3"));
        use Kind::*;
        for k in [Null, Bool, Int, Float, Timestamp, Str] {
            for c in cells {
                assert_eq!(
                    refine(k, c.as_bytes()),
                    k.join(classify(c.as_bytes())),
                    "{k:?} {c:?}"
                );
            }
        }
    }

    #[test]
    fn separators_are_found_in_order_at_every_offset() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for len in (0..300).chain([1000, 4099]) {
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    x = crate::testutil::xorshift(x);
                    b",\n;a0\r\x00\xff"[(x % 8) as usize]
                })
                .collect();
            for (a, b) in [(b',', b'\n'), (b';', b'\n'), (0, 0xff)] {
                let want: Vec<usize> = (0..len).filter(|&i| text[i] == a || text[i] == b).collect();
                let got: Vec<usize> = Seps::new(&text, a, b).collect();
                assert_eq!(got, want, "len {len}, {a} {b}");
            }
            if let Some(block) = text.get(..64) {
                let block: &[u8; 64] = block.try_into().unwrap();
                assert_eq!(
                    eq2_mask(block, b',', b'\n'),
                    eq2_mask_portable(block, b',', b'\n')
                );
            }
        }
    }

    #[test]
    fn the_one_pass_split_of_quote_free_chunks_is_the_general_one() {
        // (header?, each record's fields with its line and byte, header
        // names, counts), or the error, from either split.
        fn split(text: &[u8], delim: u8, first: bool, one_pass: bool) -> String {
            let csv = CsvSplit {
                delimiter: delim,
                quote: b'"',
            };
            let mut out = String::new();
            let mut names = None;
            let mut n = 0;
            let r = csv_records_via(
                &csv,
                text,
                first,
                &mut |h| {
                    names = Some(h);
                    Ok(())
                },
                |fields| {
                    n += 1;
                    if fields.len() == 3 && fields[0].as_ref() == b"x" {
                        return Err(Error::syntax("csv", "three fields starting with x"));
                    }
                    out.push_str(&format!("{fields:?}|"));
                    Ok(())
                },
                one_pass,
            );
            format!("{out} {names:?} {n} {r:?}")
        }
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let pieces: [&[u8]; 12] = [
            b"1",
            b"ab",
            b",",
            b";",
            b"\t",
            b" ",
            b"\n",
            b"\r\n",
            b"\r",
            b"\n\n",
            b"x",
            b"\xEF\xBB\xBF",
        ];
        for round in 0..4000 {
            let len = (x % 40) as usize;
            let mut text = Vec::new();
            for _ in 0..len {
                x = crate::testutil::xorshift(x);
                text.extend_from_slice(pieces[(x >> 7) as usize % pieces.len()]);
            }
            if round % 3 == 0 {
                text.splice(0..0, *b"\xEF\xBB\xBF");
            }
            for delim in [b',', b';', b'\t', b' '] {
                for first in [true, false] {
                    assert_eq!(
                        split(&text, delim, first, true),
                        split(&text, delim, first, false),
                        "{:?} delimiter {:?} first {first}",
                        String::from_utf8_lossy(&text),
                        delim as char
                    );
                }
            }
        }
    }

    #[test]
    fn cells_pushed_straight_from_the_split_are_what_records_of_fields_push() {
        // The arrays built, records and lines, or the error (with its
        // place), both ways.
        fn build(text: &[u8], kinds: &[Kind], delim: u8, first: bool, direct: bool) -> String {
            let csv = CsvSplit {
                delimiter: delim,
                quote: b'"',
            };
            let mut builders: Vec<ColumnBuilder> =
                kinds.iter().map(|&k| ColumnBuilder::new(k, 4)).collect();
            let r = if direct {
                match csv_cells_into(&csv, text, first, &mut builders) {
                    Some(r) => r,
                    None => return "not taken".to_string(),
                }
            } else {
                if matches!(delim, b' ' | b'\t') || text.contains(&b'"') {
                    return "not taken".to_string();
                }
                csv_records(&csv, text, first, &mut |_| Ok(()), |fields| {
                    push_record(&mut builders, text, fields)
                })
            };
            let arrays: Vec<String> = builders
                .into_iter()
                .map(|b| format!("{:?}", b.finish()))
                .collect();
            match r {
                Ok(counts) => format!("{counts:?} {arrays:?}"),
                Err(e) => format!("error {e}"),
            }
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let pieces: [&[u8]; 16] = [
            b"1",
            b"-2",
            b".5",
            b"0",
            b"true",
            b"FALSE",
            b"ab",
            b",",
            b";",
            b" ",
            b"\n",
            b"\r\n",
            b"\r",
            b"2024-01-02 03:04:05",
            b"\xEF\xBB\xBF",
            b"\"",
        ];
        let kinds = [
            Kind::Int,
            Kind::Float,
            Kind::Bool,
            Kind::Str,
            Kind::Timestamp,
        ];
        let mut taken = 0;
        for round in 0..6000 {
            let len = (x % 30) as usize;
            let mut text = Vec::new();
            for _ in 0..len {
                x = crate::testutil::xorshift(x);
                text.extend_from_slice(pieces[(x >> 7) as usize % pieces.len()]);
            }
            if round % 5 == 0 {
                // Mostly well-formed records, for cells that parse.
                text = b"a,b\n1,2.5\n-3,\n\n4\r\n".to_vec();
                text.extend_from_slice(pieces[(x >> 11) as usize % 8]);
            }
            x = crate::testutil::xorshift(x);
            let cols: Vec<Kind> = (0..1 + (x % 3) as usize)
                .map(|c| kinds[((x >> (8 + 3 * c)) % 5) as usize])
                .collect();
            for delim in [b',', b';', b' '] {
                for first in [true, false] {
                    let direct = build(&text, &cols, delim, first, true);
                    taken += (direct != "not taken") as usize;
                    assert_eq!(
                        direct,
                        build(&text, &cols, delim, first, false),
                        "{:?} kinds {cols:?} delimiter {:?} first {first}",
                        String::from_utf8_lossy(&text),
                        delim as char
                    );
                }
            }
        }
        assert!(taken > 10_000, "{taken}");
    }

    #[test]
    fn csv_records_split_like_a_byte_loop() {
        // The byte-at-a-time splitter this replaced.
        fn naive(chunk: &[u8], quote: u8) -> Vec<(&[u8], usize, u64)> {
            let mut out = Vec::new();
            let (mut start, mut quoted, mut lines) = (0, false, 0);
            for (i, &c) in chunk.iter().enumerate() {
                if c == quote {
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
        let split = CsvSplit {
            delimiter: b',',
            quote: b'"',
        };
        for text in [
            &b""[..],
            b"a,b\n1,2\n",
            b"a,b\r\n1,2",
            b"\"x\ny\",1\n\n2,\"\"\"\"\n",
            b"\"unclosed\n1,2\n",
            b"\n\n\n",
        ] {
            let got: Vec<_> = split.records(text).collect();
            assert_eq!(
                got,
                naive(text, b'"'),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        let mut f = Vec::new();
        split.fields(b"a,\"b,\"\"c\"\"\",,\"\"", &mut f).unwrap();
        assert_eq!(
            f,
            [
                Cow::Borrowed(&b"a"[..]),
                Cow::Owned(b"b,\"c\"".to_vec()),
                Cow::Borrowed(&b""[..]),
                Cow::Owned(Vec::new())
            ]
        );
        assert_eq!(
            split.fields(b"a,b\"c", &mut f).unwrap_err(),
            (1, 2, "a quote inside an unquoted field")
        );
        assert_eq!(
            split.fields(b"\"ab\"c", &mut f).unwrap_err(),
            (0, 4, "text after the closing quote")
        );
        assert_eq!(
            split.fields(b"x,\"ab", &mut f).unwrap_err(),
            (1, 2, "unclosed quote")
        );
    }
}
