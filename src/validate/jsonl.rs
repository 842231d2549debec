//! Chunk checker for JSON Lines: DeepAR series, Object2Vec pairs and
//! BlazingText augmented manifests (spec §7), and plain syntax for the
//! other algorithms, on the parallel line pipeline.
//!
//! The JSON Lines codec (`codec::json`) decodes numeric examples
//! (`{"features": [...], "label": x}`); the schemas checked here are other
//! shapes (series, token-id pairs, manifest lines). Each line first goes
//! through [`fast`], a validating scanner that reads the checked fields in
//! place without building a tree (allocating only to decode escaped text a
//! check needs); a line it cannot vouch for as clean is
//! parsed into a `serde_json::Value` and checked field by field
//! ([`reference_line`]), which writes the findings. Both paths record the
//! same statistics and tallies (tested against each other below).

use super::jsongrammar::parse_value;
use serde_json::{Map, Value};

use super::finding::{Check, Finding, Severity, Site};
use super::jsonscan::{self, Verdict};
use super::table::Schema;
use super::{FileCtx, Work};
use crate::codec::text::{snippet, trim};
use crate::pipeline::Chunk;
use std::fmt::Write;

/// Where the current line is, for findings.
#[derive(Clone, Copy)]
struct Here<'a> {
    rel: u64,
    at: u64,
    line: &'a [u8],
}

impl Here<'_> {
    fn finding(&self, check: Check, sev: Severity) -> Finding {
        Finding::new(check, sev)
            .line(self.rel)
            .byte(self.at)
            .snippet(self.line)
    }
}

/// Checks a chunk of JSON Lines.
pub(crate) fn check_jsonl(ctx: &FileCtx<'_>, chunk: &Chunk, w: &mut Work) {
    check_lines(ctx, chunk, chunk.offset, chunk.index == 0, Path::Fast, w);
}

/// How lines are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// The allocation-free scanner ([`fast`]); lines it cannot vouch for go
    /// the reference way.
    Fast,
    /// The reference: every line parsed into a `serde_json::Value`.
    #[cfg_attr(not(test), allow(dead_code))]
    Reference,
}

/// Checks the lines of `data`, which starts at absolute offset `base`
/// (`first`: at the start of the file, where a BOM is skipped).
///
/// Where the lines need only be JSON objects, the chunk first goes
/// through the whole-chunk scan ([`jsonscan::json_lines`]), and only
/// the lines it is unsure of are checked one by one. Lines with a schema
/// (DeepAR, Object2Vec, BlazingText) are read in one pass: the fast
/// scanner starts at each line and finds its end itself
/// ([`fast::line_at`]), so the chunk is not first split with `memchr`
/// (a second pass over every byte); only the lines it cannot vouch for are
/// cut at their newline and checked the usual way.
fn check_lines(ctx: &FileCtx<'_>, data: &[u8], base: u64, first: bool, path: Path, w: &mut Work) {
    let mut line_no = 0u64;
    let mut scratch = fast::Scratch::default();
    if path == Path::Fast && fast::syntax_only(ctx) {
        jsonscan::json_lines(data, &mut |start, end, verdict| {
            let rel = line_no;
            line_no += 1;
            match verdict {
                Verdict::Blank => {}
                Verdict::Clean => {
                    w.records += 1;
                    w.stats.records += 1;
                }
                Verdict::Unsure => {
                    let line = Line {
                        raw: &data[start..end],
                        start,
                        rel,
                    };
                    check_line(ctx, line, base, first, path, w, &mut scratch);
                }
            }
        });
    } else {
        // The reference path cuts every line at its newline first.
        let one_pass = path == Path::Fast;
        let mut start = 0;
        while start < data.len() {
            let rel = line_no;
            line_no += 1;
            // The first line of a file may start with a byte-order mark,
            // which check_line skips.
            if one_pass && !(first && start == 0) {
                if data[start] == b'\n' {
                    // A blank line.
                    start += 1;
                    continue;
                }
                if let Some(end) = fast::line_at(ctx, data, start, rel, base, w, &mut scratch) {
                    start = end + 1;
                    continue;
                }
            }
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |k| start + k);
            let raw = &data[start..end];
            check_line(
                ctx,
                Line { raw, start, rel },
                base,
                first,
                path,
                w,
                &mut scratch,
            );
            start = end + 1;
        }
    }
    w.lines = line_no;
    w.ends_with_newline = data.last() == Some(&b'\n');
}

/// A line of a chunk: its bytes (without the newline), where it starts in
/// the chunk and its number there.
#[derive(Clone, Copy)]
struct Line<'a> {
    raw: &'a [u8],
    start: usize,
    rel: u64,
}

/// Checks one line of a chunk that starts at absolute offset `base`.
fn check_line(
    ctx: &FileCtx<'_>,
    line: Line<'_>,
    base: u64,
    first: bool,
    path: Path,
    w: &mut Work,
    scratch: &mut fast::Scratch,
) {
    let Line { raw, start, rel } = line;
    let mut line = raw;
    let mut off = start;
    if first && start == 0 && line.starts_with(b"\xEF\xBB\xBF") {
        line = &line[3..];
        off += 3;
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if trim(line).is_empty() {
        return;
    }
    w.records += 1;
    w.stats.records += 1;
    let here = Here {
        rel,
        at: base + off as u64,
        line,
    };
    if path == Path::Fast && fast::line(ctx, &here, w, scratch) {
        return;
    }
    reference_line(ctx, &here, w);
}

/// Checks one line by parsing it into a `Value`: the reference the fast
/// path must agree with, and the path of every line the fast path cannot
/// vouch for (so findings keep these texts).
fn reference_line(ctx: &FileCtx<'_>, here: &Here<'_>, w: &mut Work) {
    let (rel, line) = (here.rel, here.line);
    let obj = match parse_value(line) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            w.out.add(Check::JsonSyntax, Severity::Error, || {
                here.finding(Check::JsonSyntax, Severity::Error)
                    .message(format!(
                        "the line is a JSON {}, not an object",
                        kind(&other)
                    ))
                    .sagemaker(format!(
                        "{} reads one JSON object per line",
                        ctx.algorithm.title()
                    ))
                    .fix("write one JSON object per line")
            });
            return;
        }
        Err(e) => {
            let col = e.column().saturating_sub(1).min(line.len());
            w.out.add(Check::JsonSyntax, Severity::Error, || {
                Finding::new(Check::JsonSyntax, Severity::Error)
                    .line(rel)
                    .byte(here.at + col as u64)
                    .snippet(line)
                    .message(format!("invalid JSON: {e}"))
                    .sagemaker(format!(
                        "{} fails to parse the line (JSON Lines: one complete JSON object per line, no pretty-printing)",
                        ctx.algorithm.title()
                    ))
                    .fix("write one complete JSON object per line (json.dumps(obj) + \"\\n\")")
            });
            return;
        }
    };
    match ctx.rules.schema {
        Schema::Deepar => deepar(ctx, &obj, here, w),
        Schema::Object2vec => object2vec(ctx, &obj, here, w),
        Schema::BlazingtextManifest => blazingtext(ctx, &obj, here, w),
        _ => {}
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What is wrong with a DeepAR `start` ([`start_error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StartError {
    /// Not `YYYY-MM-DD`, optionally followed by ` HH:MM[:SS]` (or `T`).
    Format,
    /// No such month.
    Month(u32),
    /// No such day: year, month, day.
    Day(u32, u32, u32),
    Hour(u32),
    Minute(u32),
    Second(u32),
}

impl StartError {
    /// The finding's message for the `start` text `s`.
    pub(super) fn message(self, s: &str) -> String {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let why = match self {
            StartError::Format => {
                return format!("'start' is {s:?}, not \"YYYY-MM-DD HH:MM:SS\" (no time zone)");
            }
            StartError::Month(m) => format!("there is no month {m}"),
            StartError::Day(_, _, 0) => "there is no day 0".to_string(),
            StartError::Day(y, m, d) => format!(
                "{} {y} has {} days, not {d}",
                MONTHS[m as usize - 1],
                days_in_month(y, m)
            ),
            StartError::Hour(h) => format!("the hour is {h}, not 0 to 23"),
            StartError::Minute(m) => format!("the minute is {m}, not 0 to 59"),
            StartError::Second(x) => format!("the second is {x}, not 0 to 59"),
        };
        format!("'start' is {s:?}: {why}")
    }
}

/// Days in `month` (1 to 12) of `year`, in the Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What is wrong with a DeepAR `start`, if anything: it is `YYYY-MM-DD`,
/// optionally followed by ` HH:MM[:SS]` (or `T`), without a time zone,
/// and names a time that exists (as `pandas.Timestamp` reads it: no
/// February 30, no second 60).
pub(super) fn start_error(s: &str) -> Option<StartError> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if b.len() < 10
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return Some(StartError::Format);
    }
    let time = b.len() > 10;
    if time
        && !(matches!(b[10], b' ' | b'T')
            && b.len() >= 16
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && match b.len() {
                16 => true,
                19 => b[16] == b':' && digits(17..19),
                _ => false,
            })
    {
        return Some(StartError::Format);
    }
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    if !(1..=12).contains(&month) {
        return Some(StartError::Month(month));
    }
    if !(1..=days_in_month(year, month)).contains(&day) {
        return Some(StartError::Day(year, month, day));
    }
    if time {
        let (hour, minute) = (num(11..13), num(14..16));
        if hour > 23 {
            return Some(StartError::Hour(hour));
        }
        if minute > 59 {
            return Some(StartError::Minute(minute));
        }
        if b.len() == 19 && num(17..19) > 59 {
            return Some(StartError::Second(num(17..19)));
        }
    }
    None
}

/// [`start_error`] finds nothing wrong.
fn valid_start(s: &str) -> bool {
    start_error(s).is_none()
}

/// The `deepar-cat-length` key of a series without `cat`.
pub(super) const NO_CAT: &str = "no 'cat'";
/// The `deepar-dynamic-feat-count` key of a series without `dynamic_feat`.
pub(super) const NO_DYNAMIC_FEAT: &str = "no 'dynamic_feat'";

/// Appends the `deepar-cat-length` key of a series with `n` `cat` values.
pub(super) fn cat_key(out: &mut String, n: usize) {
    let _ = write!(out, "{n} 'cat' value{}", if n == 1 { "" } else { "s" });
}

/// Appends the `deepar-dynamic-feat-count` key of a series with `n`
/// dynamic features.
pub(super) fn dynamic_feat_key(out: &mut String, n: usize) {
    let _ = write!(out, "{n} dynamic feature{}", if n == 1 { "" } else { "s" });
}

fn deepar(ctx: &FileCtx<'_>, obj: &Map<String, Value>, here: &Here<'_>, w: &mut Work) {
    let max = ctx.max;
    let record = w.records - 1;
    let site = || Site {
        line: Some(here.rel),
        record,
        byte: here.at,
        snippet: Some(snippet(here.line, 60)),
    };
    let start_error = match obj.get("start") {
        Some(Value::String(s)) => start_error(s),
        _ => Some(StartError::Format),
    };
    if let Some(e) = start_error {
        w.out.add(Check::DeeparStart, Severity::Error, || {
            here.finding(Check::DeeparStart, Severity::Error)
                .message(match obj.get("start") {
                    None => "the series has no 'start'".to_string(),
                    Some(Value::String(s)) => e.message(s),
                    Some(v) => format!("'start' is a {}, not a string", kind(v)),
                })
                .sagemaker("DeepAR needs 'start' as \"YYYY-MM-DD HH:MM:SS\" without a time zone; the job fails to read the series")
                .fix("write \"start\": \"2024-01-31 00:00:00\"")
        });
    }
    let target_len = match obj.get("target") {
        Some(Value::Array(a)) if !a.is_empty() => {
            let bad = a.iter().position(|v| {
                !(v.is_number() || v.is_null() || v.as_str().is_some_and(|s| s == "NaN"))
            });
            if let Some(i) = bad {
                w.out.add(Check::DeeparTarget, Severity::Error, || {
                    here.finding(Check::DeeparTarget, Severity::Error)
                        .message(format!(
                            "target[{i}] is {}, not a number (null or \"NaN\" mark missing values)",
                            a[i]
                        ))
                        .sagemaker("DeepAR fails to read the series")
                        .fix("write target values as numbers; use null or \"NaN\" for missing values")
                });
            }
            Some(a.len())
        }
        other => {
            w.out.add(Check::DeeparTarget, Severity::Error, || {
                here.finding(Check::DeeparTarget, Severity::Error)
                    .message(match other {
                        None => "the series has no 'target'".to_string(),
                        Some(Value::Array(_)) => "'target' is empty".to_string(),
                        Some(v) => format!("'target' is a {}, not an array of numbers", kind(v)),
                    })
                    .sagemaker("DeepAR needs a non-empty 'target' array in every series")
                    .fix("write \"target\": [1.0, 2.5, null, ...]")
            });
            None
        }
    };
    if let Some(n) = target_len {
        w.stats.seq(n as u64);
    }
    let cat_key = match obj.get("cat") {
        None => NO_CAT.to_string(),
        Some(Value::Array(a)) => {
            let bad = a.iter().position(|v| v.as_u64().is_none());
            match bad {
                Some(i) => {
                    w.out.add(Check::DeeparCat, Severity::Error, || {
                        here.finding(Check::DeeparCat, Severity::Error)
                            .message(format!("cat[{i}] is {}, not a non-negative integer", a[i]))
                            .sagemaker("DeepAR reads categorical features as 0-based integers and fails on other values")
                            .fix("encode each categorical feature as 0, 1, 2, ...")
                    });
                }
                None => {
                    let c = &mut w.stats.cardinality;
                    if c.len() < a.len() {
                        c.resize(a.len(), 0);
                    }
                    for (slot, v) in c.iter_mut().zip(a) {
                        *slot = (*slot).max(v.as_u64().unwrap_or(0).saturating_add(1));
                    }
                }
            }
            let mut k = String::new();
            cat_key(&mut k, a.len());
            k
        }
        Some(v) => {
            w.out.add(Check::DeeparCat, Severity::Error, || {
                here.finding(Check::DeeparCat, Severity::Error)
                    .message(format!("'cat' is a {}, not an array of integers", kind(v)))
                    .sagemaker("DeepAR reads 'cat' as an array of 0-based integers")
                    .fix("write \"cat\": [0, 3]")
            });
            "a malformed 'cat'".to_string()
        }
    };
    w.tally(Check::DeeparCatLength, &cat_key, max, site);
    let dyn_key = match obj.get("dynamic_feat") {
        None => NO_DYNAMIC_FEAT.to_string(),
        Some(Value::Array(feats)) => {
            w.stats.dynamic_feat = w.stats.dynamic_feat.max(Some(feats.len() as u64));
            for (i, f) in feats.iter().enumerate() {
                let problem = match f {
                    Value::Array(vals) => {
                        if let Some(j) = vals.iter().position(|v| !v.is_number()) {
                            Some(format!(
                                "dynamic_feat[{i}][{j}] is {}, not a number",
                                vals[j]
                            ))
                        } else {
                            target_len.filter(|&t| vals.len() < t).map(|t| {
                                format!(
                                    "dynamic_feat[{i}] has {} values, fewer than the {t} of 'target'",
                                    vals.len()
                                )
                            })
                        }
                    }
                    v => Some(format!(
                        "dynamic_feat[{i}] is a {}, not an array of numbers",
                        kind(v)
                    )),
                };
                if let Some(p) = problem {
                    w.out.add(Check::DeeparDynamicFeat, Severity::Error, || {
                        here.finding(Check::DeeparDynamicFeat, Severity::Error)
                            .message(p)
                            .sagemaker("DeepAR needs every dynamic feature as long as 'target' (training), with a number at every time step")
                            .fix("write one array of numbers per dynamic feature, as long as 'target'")
                    });
                    break;
                }
            }
            let mut k = String::new();
            dynamic_feat_key(&mut k, feats.len());
            k
        }
        Some(v) => {
            w.out.add(Check::DeeparDynamicFeat, Severity::Error, || {
                here.finding(Check::DeeparDynamicFeat, Severity::Error)
                    .message(format!(
                        "'dynamic_feat' is a {}, not an array of arrays",
                        kind(v)
                    ))
                    .sagemaker("DeepAR reads 'dynamic_feat' as an array of number arrays")
                    .fix("write \"dynamic_feat\": [[0.1, 0.2, ...]]")
            });
            "a malformed 'dynamic_feat'".to_string()
        }
    };
    w.tally(Check::DeeparDynamicFeatCount, &dyn_key, max, site);
}

fn object2vec(ctx: &FileCtx<'_>, obj: &Map<String, Value>, here: &Here<'_>, w: &mut Work) {
    let mut problem = None;
    match obj.get("label").and_then(Value::as_f64) {
        Some(v) => w.stats.label(v),
        None => problem = Some("'label' is missing or not a number".to_string()),
    }
    for (i, key) in ["in0", "in1"].into_iter().enumerate() {
        match obj.get(key) {
            Some(Value::Array(a)) if !a.is_empty() => {
                if let Some(j) = a.iter().position(|v| v.as_u64().is_none()) {
                    problem.get_or_insert(format!(
                        "{key}[{j}] is {}, not a token id (a non-negative integer)",
                        a[j]
                    ));
                } else {
                    let top = a.iter().filter_map(Value::as_u64).max().unwrap_or(0);
                    w.stats.vocab[i] = w.stats.vocab[i].max(top.saturating_add(1));
                    w.stats.max_len[i] = w.stats.max_len[i].max(a.len() as u64);
                    if i == 0 {
                        w.stats.seq(a.len() as u64);
                    }
                }
            }
            Some(Value::Array(_)) => {
                problem.get_or_insert(format!("'{key}' is empty"));
            }
            Some(v) => {
                problem.get_or_insert(format!(
                    "'{key}' is a {}, not an array of token ids",
                    kind(v)
                ));
            }
            None => {
                problem.get_or_insert(format!("'{key}' is missing"));
            }
        }
    }
    if let Some(p) = problem {
        w.out.add(Check::Object2vecFields, Severity::Error, || {
            here.finding(Check::Object2vecFields, Severity::Error)
                .message(p)
                .sagemaker(format!(
                    "{} reads {{\"label\": n, \"in0\": [ids], \"in1\": [ids]}} per line and fails on this one",
                    ctx.algorithm.title()
                ))
                .fix("write {\"label\": 1, \"in0\": [774, 14, 21], \"in1\": [21, 366]} (token ids from your vocabulary)")
        });
    }
}

fn blazingtext(ctx: &FileCtx<'_>, obj: &Map<String, Value>, here: &Here<'_>, w: &mut Work) {
    match obj.get("source") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            w.stats.seq(s.split_whitespace().count() as u64);
        }
        other => {
            w.out.add(Check::BlazingtextFields, Severity::Error, || {
                here.finding(Check::BlazingtextFields, Severity::Error)
                    .message(match other {
                        None => "the line has no 'source'".to_string(),
                        Some(Value::String(_)) => "'source' is empty".to_string(),
                        Some(v) => format!("'source' is a {}, not a string", kind(v)),
                    })
                    .sagemaker(format!(
                        "{} reads the sentence from 'source' in augmented manifests",
                        ctx.algorithm.title()
                    ))
                    .fix("write {\"source\": \"a sentence\", \"label\": 1}")
            });
        }
    }
    let label = obj.get("label");
    if let Some(l) = label {
        match l {
            Value::String(s) => w.stats.text_label(s),
            other => w.stats.text_label(&other.to_string()),
        }
    }
    let record = w.records - 1;
    w.tally(
        Check::BlazingtextLabel,
        if label.is_some() {
            "a 'label'"
        } else {
            "no 'label'"
        },
        ctx.max,
        || Site {
            line: Some(here.rel),
            record,
            byte: here.at,
            snippet: Some(snippet(here.line, 60)),
        },
    );
}

/// The fast path: a validating scanner as strict as `serde_json` that reads
/// the fields the checks need in place, without building a `Value` tree (it
/// allocates only to decode a checked field's escaped text).
///
/// [`fast::line`] handles a line only when it is sure that `serde_json`
/// parses it into an object on which the schema's checks find nothing; it
/// then records exactly the statistics and tallies the reference path
/// records. Whatever it cannot cheaply be sure of (a problem of any kind, a
/// line that is not an object, a `"NaN"` in `target` written with escapes,
/// `\u` surrogates that are not a valid pair, numbers near the `f64` range,
/// nesting deeper than [`super::jsongrammar::MAX_DEPTH`], a checked field given twice)
/// goes to [`reference_line`], so findings and their texts stay those of
/// the reference path.
mod fast {
    use std::borrow::Cow;

    use super::{
        Check, FileCtx, Here, NO_CAT, NO_DYNAMIC_FEAT, Schema, Site, Work, cat_key,
        dynamic_feat_key, snippet, valid_start,
    };
    use crate::validate::jsongrammar::{MAX_DEPTH, escape_end, number_end, parse_value};
    use crate::validate::number;

    /// Buffers reused from line to line.
    #[derive(Default)]
    pub(super) struct Scratch {
        cat: Vec<u64>,
        key: String,
    }

    const PLAIN: u8 = 0;
    const QUOTE: u8 = 1;
    const ESCAPE: u8 = 2;
    const CONTROL: u8 = 3;
    const HIGH: u8 = 4;

    /// The class of each byte inside a JSON string.
    static STR_CLASS: [u8; 256] = {
        let mut t = [PLAIN; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = if i < 0x20 {
                CONTROL
            } else if i == b'"' as usize {
                QUOTE
            } else if i == b'\\' as usize {
                ESCAPE
            } else if i >= 0x80 {
                HIGH
            } else {
                PLAIN
            };
            i += 1;
        }
        t
    };

    /// A number, as `serde_json` would store it.
    enum Num {
        /// A non-negative integer that fits a `u64` (`Value::as_u64`).
        U64(u64),
        /// Any other number.
        Other,
    }

    /// The scanner over one line. Every method returns `None` both for
    /// invalid JSON and for input it leaves to the reference path.
    struct Scan<'a> {
        b: &'a [u8],
        i: usize,
        depth: u32,
        /// A byte above 0x7F was seen (in a string): UTF-8 to be checked.
        high: bool,
        /// `b` goes on past the line (the rest of a chunk): the line ends
        /// at its first newline, which [`Scan::line`] finds.
        open: bool,
    }

    impl<'a> Scan<'a> {
        /// A scanner over `b`: one line (without its newline), or with
        /// `open` the bytes from a line's start to the chunk's end.
        fn new(b: &'a [u8], open: bool) -> Scan<'a> {
            Scan {
                b,
                i: 0,
                depth: 0,
                high: false,
                open,
            }
        }

        /// Where `here` (whose `line` is this scanner's bytes) really is,
        /// once [`Scan::line`] has read the line: for an open scanner, its
        /// text up to the newline, less one `\r` (as lines are cut).
        fn here<'h>(&self, here: &Here<'h>) -> Here<'h>
        where
            'a: 'h,
        {
            if !self.open {
                return *here;
            }
            let line = &self.b[..self.i];
            Here {
                line: line.strip_suffix(b"\r").unwrap_or(line),
                ..*here
            }
        }

        #[inline]
        fn peek(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }

        /// JSON's whitespace but the newline: a line holds none (it was
        /// cut there), and an open scanner must stop at the line's end.
        #[inline]
        fn ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\r') = self.peek() {
                self.i += 1;
            }
        }

        fn literal(&mut self, lit: &[u8]) -> Option<()> {
            if self.b[self.i..].starts_with(lit) {
                self.i += lit.len();
                Some(())
            } else {
                None
            }
        }

        /// A string at `"`: its token (quotes included) and whether it
        /// has escapes.
        #[inline]
        fn string(&mut self) -> Option<(&'a [u8], bool)> {
            let b = self.b;
            let start = self.i;
            if b.get(start) != Some(&b'"') {
                return None;
            }
            let mut i = start + 1;
            let mut escaped = false;
            loop {
                i = super::plain_run(b, i);
                let c = *b.get(i)?;
                // Usually the closing quote: tested first, a branch that
                // predicts well (the table's jump does not).
                if c == b'"' {
                    self.i = i + 1;
                    return Some((&b[start..=i], escaped));
                }
                match STR_CLASS[c as usize] {
                    PLAIN => i += 1,
                    QUOTE => {
                        self.i = i + 1;
                        return Some((&b[start..=i], escaped));
                    }
                    ESCAPE => {
                        escaped = true;
                        i = escape_end(b, i + 1)?;
                    }
                    HIGH => {
                        self.high = true;
                        i += 1;
                    }
                    _ => return None,
                }
            }
        }

        /// A number (the grammar of [`number_end`]).
        #[inline]
        fn number(&mut self) -> Option<Num> {
            let start = self.i;
            self.i = number_end(self.b, start)?;
            let mut v = 0u64;
            for &c in &self.b[start..self.i] {
                if !c.is_ascii_digit() {
                    // A sign, fraction or exponent.
                    return Some(Num::Other);
                }
                match v
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(c - b'0')))
                {
                    Some(n) => v = n,
                    // serde_json reads it as an f64.
                    None => return Some(Num::Other),
                }
            }
            Some(Num::U64(v))
        }

        /// Any value.
        fn value(&mut self) -> Option<()> {
            match self.peek()? {
                b'"' => self.string().map(drop),
                b'{' => self.object(|s, _, _| s.value()),
                b'[' => self.array(Scan::value).map(drop),
                b't' => self.literal(b"true"),
                b'f' => self.literal(b"false"),
                b'n' => self.literal(b"null"),
                _ => self.number().map(drop),
            }
        }

        /// An array at `[`, each element read by `elem` (which starts at
        /// the element's first byte); returns the number of elements.
        #[inline]
        fn array(&mut self, mut elem: impl FnMut(&mut Self) -> Option<()>) -> Option<usize> {
            if self.peek() != Some(b'[') {
                return None;
            }
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            self.i += 1;
            self.ws();
            let mut n = 0;
            if self.peek() == Some(b']') {
                self.i += 1;
            } else {
                loop {
                    elem(self)?;
                    n += 1;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            self.depth -= 1;
            Some(n)
        }

        /// An array of numbers at `[`, checked 64 bytes at a time
        /// ([`number::json_numbers`]): its length; `None`, with nothing
        /// read, when that check cannot vouch for it (the caller then
        /// reads it element by element).
        #[inline]
        fn numbers(&mut self) -> Option<usize> {
            let b = self.b;
            if b.get(self.i) != Some(&b'[') {
                return None;
            }
            let (n, end) = number::json_array_end(b, self.i)?;
            self.i = end;
            Some(n as usize)
        }

        /// An object at `{`, each value read by `field(scan, key token,
        /// key has escapes)` (which starts at the value's first byte).
        fn object(
            &mut self,
            mut field: impl FnMut(&mut Self, &'a [u8], bool) -> Option<()>,
        ) -> Option<()> {
            if self.peek() != Some(b'{') {
                return None;
            }
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            self.i += 1;
            self.ws();
            if self.peek() == Some(b'}') {
                self.i += 1;
            } else {
                loop {
                    let (key, escaped) = self.string()?;
                    self.ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.i += 1;
                    self.ws();
                    field(self, key, escaped)?;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            self.depth -= 1;
            Some(())
        }

        /// The whole line: one object between optional whitespace, valid
        /// UTF-8. An open scanner is left at the line's newline (or at the
        /// end of its bytes).
        fn line(
            &mut self,
            field: impl FnMut(&mut Self, &'a [u8], bool) -> Option<()>,
        ) -> Option<()> {
            self.ws();
            self.object(field)?;
            self.ws();
            let end = self.i == self.b.len() || (self.open && self.b[self.i] == b'\n');
            (end && (!self.high || std::str::from_utf8(&self.b[..self.i]).is_ok())).then_some(())
        }

        /// A string field's text.
        fn text(&mut self) -> Option<Cow<'a, str>> {
            let (tok, escaped) = self.string()?;
            text(tok, escaped)
        }
    }

    /// The text of a string token (quotes included).
    fn text(tok: &[u8], escaped: bool) -> Option<Cow<'_, str>> {
        if escaped {
            serde_json::from_slice::<String>(tok).ok().map(Cow::Owned)
        } else {
            std::str::from_utf8(&tok[1..tok.len() - 1])
                .ok()
                .map(Cow::Borrowed)
        }
    }

    /// Marks field `bit` as seen; `None` when it was seen before
    /// (`serde_json` keeps the last, the reference path decides).
    fn first(seen: &mut u8, bit: u8) -> Option<()> {
        let was = *seen & bit;
        *seen |= bit;
        (was == 0).then_some(())
    }

    /// Checks `here.line` the fast way; true when it was handled (clean,
    /// statistics and tallies recorded), false when the reference path
    /// must check it (and nothing was recorded).
    pub(super) fn line(
        ctx: &FileCtx<'_>,
        here: &Here<'_>,
        w: &mut Work,
        scratch: &mut Scratch,
    ) -> bool {
        schema_line(ctx, &mut Scan::new(here.line, false), here, w, scratch)
    }

    /// [`line`] for the line that starts at `data[start]` (not at the
    /// start of a file: no byte-order mark), found and checked in one
    /// pass: `Some(end)` when it was handled, where `end` is the index of
    /// its newline (or `data.len()`); `None` (nothing recorded) when the
    /// line must be cut and checked the usual way. Counts the record as
    /// [`super::check_line`] does.
    pub(super) fn line_at(
        ctx: &FileCtx<'_>,
        data: &[u8],
        start: usize,
        rel: u64,
        base: u64,
        w: &mut Work,
        scratch: &mut Scratch,
    ) -> Option<usize> {
        let rest = &data[start..];
        let here = Here {
            rel,
            at: base + start as u64,
            line: rest,
        };
        let mut s = Scan::new(rest, true);
        // Counted first: the checks number the record from the count.
        w.records += 1;
        w.stats.records += 1;
        if schema_line(ctx, &mut s, &here, w, scratch) {
            return Some(start + s.i);
        }
        w.records -= 1;
        w.stats.records -= 1;
        None
    }

    /// The line `s` scans (of `here`), by the file's schema.
    fn schema_line<'a>(
        ctx: &FileCtx<'_>,
        s: &mut Scan<'a>,
        here: &Here<'a>,
        w: &mut Work,
        scratch: &mut Scratch,
    ) -> bool {
        match ctx.rules.schema {
            Schema::Deepar => deepar(ctx, s, here, w, scratch),
            Schema::Object2vec => object2vec(s, here, w),
            Schema::BlazingtextManifest => blazingtext(ctx, s, here, w),
            _ => s.line(|s, _, _| s.value()).is_some(),
        }
    }

    /// Whether the lines of `ctx`'s files need only be JSON objects (no
    /// schema of their own): what [`super::jsonscan`] vouches for.
    pub(super) fn syntax_only(ctx: &FileCtx<'_>) -> bool {
        !matches!(
            ctx.rules.schema,
            Schema::Deepar | Schema::Object2vec | Schema::BlazingtextManifest
        )
    }

    fn site(here: &Here<'_>, record: u64) -> Site {
        Site {
            line: Some(here.rel),
            record,
            byte: here.at,
            snippet: Some(snippet(here.line, 60)),
        }
    }

    fn deepar<'a>(
        ctx: &FileCtx<'_>,
        s: &mut Scan<'a>,
        here: &Here<'a>,
        w: &mut Work,
        scratch: &mut Scratch,
    ) -> bool {
        let Scratch { cat, key } = scratch;
        let mut seen = 0u8;
        let mut target = 0usize;
        let mut cats: Option<usize> = None;
        let mut dynamic: Option<(usize, usize)> = None;
        let parsed = s.line(|s, k, escaped| {
            let name = if escaped {
                text(k, true)?
            } else {
                Cow::Borrowed("")
            };
            let k = if escaped {
                name.as_bytes()
            } else {
                &k[1..k.len() - 1]
            };
            match k {
                b"start" => {
                    first(&mut seen, 1)?;
                    valid_start(&s.text()?).then_some(())
                }
                b"target" => {
                    first(&mut seen, 2)?;
                    target = match s.numbers() {
                        Some(n) => n,
                        None => s.array(|s| match s.peek()? {
                            b'n' => s.literal(b"null"),
                            b'"' => (s.string()? == (b"\"NaN\"".as_slice(), false)).then_some(()),
                            _ => s.number().map(drop),
                        })?,
                    };
                    (target > 0).then_some(())
                }
                b"cat" => {
                    first(&mut seen, 4)?;
                    cat.clear();
                    let n = s.array(|s| match s.number()? {
                        Num::U64(v) => {
                            cat.push(v);
                            Some(())
                        }
                        Num::Other => None,
                    })?;
                    cats = Some(n);
                    Some(())
                }
                b"dynamic_feat" => {
                    first(&mut seen, 8)?;
                    let mut shortest = usize::MAX;
                    let n = s.array(|s| {
                        let m = match s.numbers() {
                            Some(m) => m,
                            None => s.array(|s| s.number().map(drop))?,
                        };
                        shortest = shortest.min(m);
                        Some(())
                    })?;
                    dynamic = Some((n, shortest));
                    Some(())
                }
                _ => s.value(),
            }
        });
        if parsed.is_none()
            || seen & 3 != 3
            || dynamic.is_some_and(|(_, shortest)| shortest < target)
        {
            return false;
        }
        let here = &s.here(here);
        let max = ctx.max;
        let record = w.records - 1;
        w.stats.seq(target as u64);
        key.clear();
        match cats {
            None => key.push_str(NO_CAT),
            Some(n) => {
                let c = &mut w.stats.cardinality;
                if c.len() < n {
                    c.resize(n, 0);
                }
                for (slot, v) in c.iter_mut().zip(cat.iter()) {
                    *slot = (*slot).max(v.saturating_add(1));
                }
                cat_key(key, n);
            }
        }
        w.tally(Check::DeeparCatLength, key, max, || site(here, record));
        key.clear();
        match dynamic {
            None => key.push_str(NO_DYNAMIC_FEAT),
            Some((n, _)) => {
                w.stats.dynamic_feat = w.stats.dynamic_feat.max(Some(n as u64));
                dynamic_feat_key(key, n);
            }
        }
        w.tally(Check::DeeparDynamicFeatCount, key, max, || {
            site(here, record)
        });
        true
    }

    fn object2vec<'a>(s: &mut Scan<'a>, here: &Here<'a>, w: &mut Work) -> bool {
        let mut seen = 0u8;
        let mut label: &[u8] = b"";
        // (length, largest id) of in0 and in1
        let mut ins = [(0usize, 0u64); 2];
        let b = here.line;
        let parsed = s.line(|s, k, escaped| {
            let name = if escaped {
                text(k, true)?
            } else {
                Cow::Borrowed("")
            };
            let k = if escaped {
                name.as_bytes()
            } else {
                &k[1..k.len() - 1]
            };
            let i = match k {
                b"label" => {
                    first(&mut seen, 1)?;
                    let at = s.i;
                    s.number()?;
                    label = &b[at..s.i];
                    return Some(());
                }
                b"in0" => 0,
                b"in1" => 1,
                _ => return s.value(),
            };
            first(&mut seen, 2 << i)?;
            let mut top = 0u64;
            let n = s.array(|s| match s.number()? {
                Num::U64(v) => {
                    top = top.max(v);
                    Some(())
                }
                Num::Other => None,
            })?;
            ins[i] = (n, top);
            (n > 0).then_some(())
        });
        if parsed.is_none() || seen != 7 {
            return false;
        }
        // The label as the reference reads it (a number: no allocation).
        let Some(v) = parse_value(label).ok().and_then(|v| v.as_f64()) else {
            return false;
        };
        w.stats.label(v);
        for (i, &(n, top)) in ins.iter().enumerate() {
            w.stats.vocab[i] = w.stats.vocab[i].max(top.saturating_add(1));
            w.stats.max_len[i] = w.stats.max_len[i].max(n as u64);
            if i == 0 {
                w.stats.seq(n as u64);
            }
        }
        true
    }

    fn blazingtext<'a>(ctx: &FileCtx<'_>, s: &mut Scan<'a>, here: &Here<'a>, w: &mut Work) -> bool {
        let mut seen = 0u8;
        let mut source: Option<Cow<'_, str>> = None;
        // The label's token and whether it is a string with escapes.
        let mut label: Option<(&[u8], bool)> = None;
        let b = here.line;
        let parsed = s.line(|s, k, escaped| {
            let name = if escaped {
                text(k, true)?
            } else {
                Cow::Borrowed("")
            };
            let k = if escaped {
                name.as_bytes()
            } else {
                &k[1..k.len() - 1]
            };
            match k {
                b"source" => {
                    first(&mut seen, 1)?;
                    source = Some(s.text()?);
                    Some(())
                }
                b"label" => {
                    first(&mut seen, 2)?;
                    let at = s.i;
                    let escaped = if s.peek()? == b'"' {
                        s.string()?.1
                    } else {
                        s.value()?;
                        false
                    };
                    label = Some((&b[at..s.i], escaped));
                    Some(())
                }
                _ => s.value(),
            }
        });
        let Some(source) = source.filter(|t| parsed.is_some() && !t.trim().is_empty()) else {
            return false;
        };
        // The label's text as the reference takes it: a string's content,
        // any other value printed back as JSON.
        let label = match label {
            None => None,
            Some((tok, escaped)) if tok[0] == b'"' => match text(tok, escaped) {
                Some(t) => Some(t),
                None => return false,
            },
            Some((tok, _)) => match parse_value(tok) {
                Ok(v) => Some(Cow::Owned(v.to_string())),
                Err(_) => return false,
            },
        };
        w.stats.seq(source.split_whitespace().count() as u64);
        if let Some(l) = &label {
            w.stats.text_label(l);
        }
        let here = &s.here(here);
        let record = w.records - 1;
        w.tally(
            Check::BlazingtextLabel,
            if label.is_some() {
                "a 'label'"
            } else {
                "no 'label'"
            },
            ctx.max,
            || site(here, record),
        );
        true
    }
}

/// Skips the bytes of a JSON string from `i` that need no check (ASCII,
/// not `"`, `\` or a control character) eight at a time (SWAR) and
/// returns where the first other byte (or the last short word) starts.
/// Per byte lane of `x`: `q` and `s` are zero at a quote or backslash
/// (`(v - 1) & !v` sets the high bit of a zero byte), `x - 0x20` borrows
/// at a control character and `x` has the high bit at non-ASCII; borrows
/// only run upwards from a real hit, so the lowest flagged lane is exact.
#[inline(always)]
fn plain_run(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(w) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        let q = x ^ (b'"' as u64 * ONES);
        let s = x ^ (b'\\' as u64 * ONES);
        let m = ((q.wrapping_sub(ONES) & !q)
            | (s.wrapping_sub(ONES) & !s)
            | (x.wrapping_sub(0x20 * ONES) & !x)
            | x)
            & HIGH;
        if m != 0 {
            return i + m.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_runs_stop_at_the_first_byte_to_check() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let alphabet = b"ab \"\\\x00\x1f\x20\x7f\x80\xc3\xff#!]";
        for _ in 0..20_000 {
            let len = (x % 40) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    x = crate::testutil::xorshift(x);
                    if x.is_multiple_of(5) {
                        alphabet[(x >> 8) as usize % alphabet.len()]
                    } else {
                        b'a' + (x >> 8) as u8 % 26
                    }
                })
                .collect();
            for start in 0..=text.len() {
                let got = plain_run(&text, start);
                // Every byte skipped needs no check, and the run stops at
                // the first that does or in the last 7 bytes.
                let first = (start..text.len())
                    .find(|&k| matches!(text[k], b'"' | b'\\' | 0..=0x1f | 0x80..=0xff))
                    .unwrap_or(text.len());
                assert!(got <= first, "{text:?} from {start}: {got} > {first}");
                assert!(
                    got == first || got + 8 > text.len(),
                    "{text:?} from {start}: {got}"
                );
            }
        }
    }
    use crate::validate::table::{Algorithm, InputKind};

    const ALGORITHMS: [Algorithm; 4] = [
        Algorithm::Generic,
        Algorithm::Deepar,
        Algorithm::Object2vec,
        Algorithm::Blazingtext,
    ];

    fn ctx(algorithm: Algorithm) -> FileCtx<'static> {
        FileCtx {
            name: "t.jsonl",
            rules: algorithm.rules_for(InputKind::JsonLines).unwrap(),
            algorithm,
            max: 3,
            delimiter: b',',
            label_size: 1,
            strict_until: 0,
        }
    }

    /// Everything a chunk check reports, printed.
    fn report(ctx: &FileCtx<'_>, data: &[u8], first: bool, path: Path) -> String {
        let mut w = Work::new(ctx.max);
        check_lines(ctx, data, 1000, first, path, &mut w);
        format!(
            "{:?}",
            (
                w.records,
                w.lines,
                w.ends_with_newline,
                &w.out.findings,
                &w.out.counts,
                &w.tallies,
                &w.stats
            )
        )
    }

    /// Whether the fast path handles `line` on its own.
    fn fast_handles(algorithm: Algorithm, line: &[u8]) -> bool {
        let ctx = ctx(algorithm);
        let mut w = Work::new(ctx.max);
        w.records = 1;
        let here = Here {
            rel: 0,
            at: 0,
            line,
        };
        fast::line(&ctx, &here, &mut w, &mut fast::Scratch::default())
    }

    fn corpus() -> Vec<(String, Vec<u8>)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/validate");
        let mut files = Vec::new();
        for sub in ["deepar", "deepar_channel", "object2vec", "blazingtext"] {
            for e in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
                let p = e.unwrap().path();
                if matches!(
                    p.extension().and_then(|x| x.to_str()),
                    Some("json" | "jsonl")
                ) {
                    files.push((p.display().to_string(), std::fs::read(&p).unwrap()));
                }
            }
        }
        files.sort();
        assert!(files.len() >= 12, "{files:?}");
        files
    }

    /// Lines made to sit on the edges of `serde_json` and of the checks.
    fn edge_lines() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = [
            r#"{"start":"2020-01-01 00:00:00","target":[1,2.5,-3e2,null,"NaN",0.0,-0.0,1E+2],"cat":[0,18446744073709551615],"dynamic_feat":[[1,2,3,4,5,6,7,8],[0,0,0,0,0,0,0,0,0]]}"#,
            r#"{"start":"2020-01-01","target":[1],"cat":[18446744073709551616]}"#,
            r#"{"start":"2020-01-01","target":[1],"cat":[1.0]}"#,
            r#"{"start":"2020-01-01","target":[1],"cat":[-0]}"#,
            r#"{"start":"2020-01-01","target":[1],"cat":[],"dynamic_feat":[]}"#,
            r#"{"start":"2020-01-01","target":[],"cat":[]}"#,
            r#"{"start":"2020-01-01","target":[1,2,3],"cat":[5],"target":[1],"cat":[1,2]}"#,
            r#"{"label":1,"in0":[1],"in1":[2,3]}"#,
            r#"{"start":"2020-01-01","target":[1],"dynamic_feat":[[]]}"#,
            r#"{"start":"2020-01-01","target":[1, 2],"dynamic_feat":[[1,2],[1,2,3]]}"#,
            r#"{"st\u0061rt":"2020-01-01","target":[1]}"#,
            r#"{"start":"2020-01-01 00:00:0\u0030","target":[1]}"#,
            r#"{"start":"2020-02-30 00:00:00","target":[1]}"#,
            r#"{"start":"2021-02-29 00:00:00","target":[1]}"#,
            r#"{"start":"2020-04-31 00:00:00","target":[1]}"#,
            r#"{"start":"2020-01-01 00:00:60","target":[1]}"#,
            r#"{"start":"2020-02-29 23:59:59","target":[1]}"#,
            r#"{"start":"1900-02-29","target":[1]}"#,
            r#"{"start":"2020-01-01","target":["N\u0061N"]}"#,
            r#"{"start":"2020-01-01","target":["nan"]}"#,
            r#"{"start":"2020-01-01","target":[1e400]}"#,
            r#"{"start":"2020-01-01","target":[1e308]}"#,
            r#"{"start":"2020-01-01","target":[9e308]}"#,
            r#"{"start":"2020-01-01","target":[1.7976931348623157e308]}"#,
            r#"{"start":"2020-01-01","target":[1e-400,0e999999,-1E-99999999999]}"#,
            r#"{"start":"2020-01-01","target":[123456789012345678901234567890]}"#,
            r#"{"start":"2020-01-01","target":[1],"target":"x"}"#,
            r#"{"start":"bad","start":"2020-01-01","target":[1]}"#,
            r#"{"start":"2020-01-01","target":[1],"extra":{"a":[{"b":null}],"c":true,"d":false}}"#,
            r#"{"start":"2020-01-01","target":[1],"name":"caf\u00e9 \ud83d\ude00 ü 😀 \"q\" \\ \/ \b\f\n\r\t"}"#,
            r#"{"start":"2020-01-01","target":[1],"name":"\ud800"}"#,
            r#"{"start":"2020-01-01","target":[1],"name":"\udc00"}"#,
            r#"{"start":"2020-01-01","target":[1],"name":"\ud800\u0041"}"#,
            r#"{"start":"2020-01-01","target":[1],"name":"\u12"}"#,
            r#"{"start":"2020-01-01","target":[1],"name":"\x"}"#,
            "  { \"start\" : \"2020-01-01\" ,\r\"target\" : [ 1 , 2 ]\t}  ",
            "\x0c{\"start\":\"2020-01-01\",\"target\":[1]}",
            // JSON only across a newline: two lines, each a problem.
            "{\"start\":\"2020-01-01\",\n\"target\":[1]}",
            "{\n\"label\":1,\"in0\":[1],\"in1\":[2]}",
            "{\"source\":\"a\"\n}",
            "\u{feff}{\"start\":\"2020-01-01\",\"target\":[1]}",
            r#"{}"#,
            r#"[]"#,
            r#""x""#,
            r#"1"#,
            r#"null"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":+1}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":tru}"#,
            r#"{"a":1} x"#,
            r#"{"a":1}{"b":2}"#,
            r#"{"label":1,"in0":[1,2],"in1":[3]}"#,
            r#"{"label":-0,"in0":[0],"in1":[18446744073709551615]}"#,
            r#"{"label":1.5,"in0":[1],"in1":[2],"label":2}"#,
            r#"{"label":1e2,"in0":[1],"in1":[2]}"#,
            r#"{"label":-3,"in0":[1],"in1":[2],"x":[]}"#,
            r#"{"label":12345678901234567890123,"in0":[1],"in1":[2]}"#,
            r#"{"label":"1","in0":[1],"in1":[2]}"#,
            r#"{"label":1,"in0":[],"in1":[2]}"#,
            r#"{"label":1,"in0":[1.5],"in1":[2]}"#,
            r#"{"label":1,"in\u0030":[1],"in1":[2]}"#,
            r#"{"source":"a b  c","label":1}"#,
            r#"{"source":"a","label":"x"}"#,
            r#"{"source":"a","label":1.5}"#,
            r#"{"source":"a","label":1e2}"#,
            r#"{"source":"a","label":-0}"#,
            r#"{"source":"a","label":[1, 2]}"#,
            r#"{"source":"a","label":{"b":1, "a":[2, "x"]}}"#,
            r#"{"source":"a","label":null}"#,
            r#"{"source":"a","label":true}"#,
            r#"{"source":"a","label":"caf\u00e9"}"#,
            r#"{"source":"a\tb\nc\u00a0d","label":"x"}"#,
            r#"{"source":"   "}"#,
            r#"{"source":"\u00a0"}"#,
            r#"{"source":"über alles ünd"}"#,
            r#"{"source":"","label":1}"#,
            r#"{"source":1,"label":1}"#,
            // Arrays of numbers the block check reads (`,` and `, `,
            // crossing 64-byte blocks), and near misses of its grammar.
            r#"{"start":"2020-01-01","target":[1.5,-0.25,0,10,-0,3.0,0.001,-7,12.75,100,2,3,4,5,6,7,8,9,10,11,12],"dynamic_feat":[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21]]}"#,
            r#"{"start": "2020-01-01", "target": [1.5, -0.25, 0, 10, -0, 3.0, 0.001, -7, 12.75, 100, 2], "dynamic_feat": [[0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]}"#,
            r#"{"start":"2020-01-01","target":[0.1,01,2]}"#,
            r#"{"start":"2020-01-01","target":[1.,2]}"#,
            r#"{"start":"2020-01-01","target":[.5,-.5,-0.5]}"#,
            r#"{"start":"2020-01-01","target":[1.2.3,4]}"#,
            r#"{"start":"2020-01-01","target":[1, 2,3]}"#,
            r#"{"start":"2020-01-01","target":[1 ,2]}"#,
            r#"{"start":"2020-01-01","target":[1,  2]}"#,
            r#"{"start":"2020-01-01","target":[ 1, 2]}"#,
            r#"{"start":"2020-01-01","target":[--1,1-2]}"#,
            r#"{"start":"2020-01-01","target":[1,2e3]}"#,
            r#"{"start":"2020-01-01","target":[123456789012345678901234567890123456789012345678901234567890123,1]}"#,
            r#"{"start":"2020-01-01","target":[1234567890123456789012345678901234567890123456789012345678901234567890,1]}"#,
            r#"{"start":"2020-01-01","target":[0.1234567890123456789012345678901234567890123456789012345678901234567890]}"#,
        ]
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
        v.push(b"{\"start\":\"2020-01-01\",\"target\":[1],\"x\":\"\xff\"}".to_vec());
        v.push(b"{\"source\":\"caf\xc3\xa9\",\"label\":\"\xc3\"}".to_vec());
        v.push(b"{\"source\":\"a\x01b\"}".to_vec());
        for depth in [98, 99, 100, 101, 126, 127, 128, 129] {
            let mut l = br#"{"start":"2020-01-01","target":[1],"deep":"#.to_vec();
            l.extend(std::iter::repeat_n(b'[', depth - 1));
            l.extend(std::iter::repeat_n(b']', depth - 1));
            l.push(b'}');
            v.push(l);
        }
        v
    }

    /// Variants of a line: cut short, a byte replaced, something
    /// inserted, one token swapped for another type.
    fn mutations(line: &[u8], out: &mut Vec<Vec<u8>>) {
        const BYTES: &[u8] = b"\"\\,]}0-.\x01\xff";
        const INSERTS: [&str; 7] = [
            "\\u00e9", "\\ud800", "1e400", ",", "{}", "\"NaN\"", "\u{e9}",
        ];
        const SWAPS: [(&str, &str); 11] = [
            ("[", "[["),
            ("]", "]]"),
            ("1", "\"1\""),
            ("1", "1.0"),
            ("1", "-1"),
            ("1", "1e400"),
            ("1", "18446744073709551616"),
            ("2", "null"),
            ("[1]", "[]"),
            ("\"2", "\"x2"),
            (":", ":{\"k\":[null]},\"_\":"),
        ];
        out.push(line.to_vec());
        for k in 0..line.len() {
            out.push(line[..k].to_vec());
            for &b in BYTES {
                let mut m = line.to_vec();
                m[k] = b;
                out.push(m);
            }
            for ins in INSERTS {
                let mut m = line[..k].to_vec();
                m.extend_from_slice(ins.as_bytes());
                m.extend_from_slice(&line[k..]);
                out.push(m);
            }
        }
        for (from, to) in SWAPS {
            let from = from.as_bytes();
            for k in 0..line.len() {
                if line[k..].starts_with(from) {
                    let mut m = line[..k].to_vec();
                    m.extend_from_slice(to.as_bytes());
                    m.extend_from_slice(&line[k + from.len()..]);
                    out.push(m);
                }
            }
        }
        let mut crlf = line.to_vec();
        crlf.extend_from_slice(b"\r");
        out.push(crlf);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(line);
        out.push(bom);
    }

    /// The fast path reports what the `Value` path reports: same findings
    /// (texts, lines, byte offsets), counts, tallies and statistics, line
    /// by line over the corpus, edge cases and their mutations, and file
    /// by file over the corpus.
    #[test]
    fn fast_path_agrees_with_the_value_path() {
        let files = corpus();
        let mut lines = edge_lines();
        for (_, data) in &files {
            lines.extend(
                data.split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(<[u8]>::to_vec),
            );
        }
        let mut bases = lines.clone();
        bases.sort();
        bases.dedup();
        let mut all = Vec::new();
        for l in &bases {
            mutations(l, &mut all);
        }
        all.sort();
        all.dedup();
        assert!(all.len() > 10_000, "{}", all.len());
        let mut handled = [0usize; 4];
        let mut inner = Vec::new();
        for m in &all {
            for (a, &alg) in ALGORITHMS.iter().enumerate() {
                let ctx = ctx(alg);
                // Not at the start of the file, a BOM is not skipped.
                let firsts: &[bool] = if m.starts_with(b"\xEF\xBB\xBF") {
                    &[true, false]
                } else {
                    &[true]
                };
                for &first in firsts {
                    let fast = report(&ctx, m, first, Path::Fast);
                    let reference = report(&ctx, m, first, Path::Reference);
                    assert_eq!(
                        fast,
                        reference,
                        "{alg:?}, line {:?}",
                        String::from_utf8_lossy(m)
                    );
                }
                // Inside a chunk, where the fast path finds each line's
                // end itself: after a blank line, followed by a newline
                // (and the rest of the chunk, the same line again with a
                // CRLF), and at the chunk's end without one.
                inner.clear();
                inner.push(b'\n');
                inner.extend_from_slice(m);
                inner.push(b'\n');
                inner.extend_from_slice(m);
                inner.extend_from_slice(b"\r\n");
                inner.extend_from_slice(m);
                assert_eq!(
                    report(&ctx, &inner, false, Path::Fast),
                    report(&ctx, &inner, false, Path::Reference),
                    "{alg:?}, inside a chunk, line {:?}",
                    String::from_utf8_lossy(m)
                );
                handled[a] += usize::from(fast_handles(alg, m));
            }
        }
        // Both paths are exercised: many lines are clean for each schema.
        for (n, alg) in handled.iter().zip(ALGORITHMS) {
            assert!(*n > 200, "{alg:?}: the fast path handled only {n} lines");
        }
        // Whole files (tallies across lines, statistics merged), and the
        // edge lines as one chunk.
        let mut joined = lines.join(&b'\n');
        joined.push(b'\n');
        for alg in ALGORITHMS {
            let ctx = ctx(alg);
            for (name, data) in files
                .iter()
                .map(|(n, d)| (n.as_str(), d))
                .chain([("edge", &joined)])
            {
                for first in [true, false] {
                    assert_eq!(
                        report(&ctx, data, first, Path::Fast),
                        report(&ctx, data, first, Path::Reference),
                        "{alg:?}, {name}, first {first}"
                    );
                }
            }
        }
    }

    /// Clean lines are the fast path's own (not silently handed to the
    /// reference path); lines with a problem are not.
    #[test]
    fn serde_jsons_raw_value_key_is_an_ordinary_key() {
        // serde_json's `Value` (raw_value feature) reads an object whose
        // first key is this as a raw value: `[]` failed and `"1"` read as
        // the number 1, so such lines were reported as not JSON objects.
        let key = "$serde_json::private::RawValue";
        for line in [
            format!(r#"{{"{key}":[]}}"#),
            format!(r#"{{"{key}":"1"}}"#),
            format!(r#"{{"a":{{"{key}":{{}}}}}}"#),
        ] {
            for path in [Path::Fast, Path::Reference] {
                let r = report(&ctx(Algorithm::Generic), line.as_bytes(), true, path);
                assert!(!r.contains("JsonSyntax"), "{line} {path:?}: {r}");
            }
        }
        let deepar = format!(r#"{{"{key}":"1","start":"2024-01-01 00:00:00","target":[1.0]}}"#);
        for path in [Path::Fast, Path::Reference] {
            let r = report(&ctx(Algorithm::Deepar), deepar.as_bytes(), true, path);
            assert!(
                !r.contains("JsonSyntax") && r.contains("seq: Some((1, 1))"),
                "{path:?}: {r}"
            );
        }
    }

    #[test]
    fn fast_path_takes_clean_lines_only() {
        let deepar = [
            r#"{"start": "2024-01-01 00:00:00", "target": [1.0, 2.0, null, 4.0], "cat": [0, 2], "dynamic_feat": [[0.1, 0.2, 0.3, 0.4]]}"#,
            r#"{"start":"2020-01-01","target":[1,"NaN",-2.5e-3],"other":{"a":[true,false,null,"\u00e9\ud83d\ude00"]}}"#,
        ];
        for l in deepar {
            assert!(fast_handles(Algorithm::Deepar, l.as_bytes()), "{l}");
            assert!(fast_handles(Algorithm::Generic, l.as_bytes()), "{l}");
        }
        assert!(fast_handles(
            Algorithm::Object2vec,
            br#"{"label": 1, "in0": [774, 14], "in1": [21, 366]}"#
        ));
        assert!(fast_handles(
            Algorithm::Blazingtext,
            br#"{"source": "this movie was great", "label": 1}"#
        ));
        for (alg, l) in [
            (Algorithm::Generic, r#"[1]"#),
            (Algorithm::Generic, r#"{"a":1e400}"#),
            (Algorithm::Generic, r#"{"a":"\ud800"}"#),
            (Algorithm::Deepar, r#"{"start":"2020-01-01","target":[]}"#),
            (
                Algorithm::Deepar,
                r#"{"start":"2020-01-01","target":[1],"cat":[-1]}"#,
            ),
            (
                Algorithm::Deepar,
                r#"{"start":"2020-01-01","target":[1,2],"dynamic_feat":[[1]]}"#,
            ),
            (Algorithm::Object2vec, r#"{"label":1,"in0":[1],"in1":"x"}"#),
            (Algorithm::Blazingtext, r#"{"label":1}"#),
        ] {
            assert!(!fast_handles(alg, l.as_bytes()), "{alg:?} {l}");
        }
    }

    #[test]
    fn start_timestamps() {
        for ok in [
            "2024-01-31 00:00:00",
            "2024-01-31",
            "2024-12-01 23:59",
            "2024-01-31T10:00:00",
        ] {
            assert!(valid_start(ok), "{ok}");
        }
        for bad in [
            "2024-13-01",
            "31/01/2024",
            "2024-01-31 00:00:00+01:00",
            "2024-01-31Z",
            "",
            "2024-01-31 25:00:00",
        ] {
            assert!(!valid_start(bad), "{bad}");
        }
    }

    /// Dates and times that do not exist are rejected, as
    /// `pandas.Timestamp` rejects them, and the message says why.
    #[test]
    fn start_dates_and_times_must_exist() {
        for ok in [
            "2020-02-29 23:59:59",
            "2000-02-29 00:00:00",
            "2024-12-31 23:59",
            "2023-04-30",
            "2023-01-31T00:00:00",
        ] {
            assert_eq!(start_error(ok), None, "{ok}");
        }
        for (bad, why) in [
            ("2020-02-30 00:00:00", "February 2020 has 29 days, not 30"),
            ("2021-02-29 00:00:00", "February 2021 has 28 days, not 29"),
            ("2020-04-31 00:00:00", "April 2020 has 30 days, not 31"),
            ("2020-01-01 00:00:60", "the second is 60, not 0 to 59"),
            ("1900-02-29 00:00:00", "February 1900 has 28 days, not 29"),
            ("2020-06-00", "there is no day 0"),
            ("2020-13-01 00:00:00", "there is no month 13"),
            ("2020-01-01 25:00:00", "the hour is 25, not 0 to 23"),
            ("2020-01-01 00:60", "the minute is 60, not 0 to 59"),
            ("2020-02-30Z", "not \"YYYY-MM-DD HH:MM:SS\""),
        ] {
            assert!(!valid_start(bad), "{bad}");
            let m = start_error(bad).unwrap().message(bad);
            assert!(m.contains(why), "{bad}: {m}");
            assert!(m.contains(&format!("{bad:?}")), "{bad}: {m}");
        }
        // Both paths report it, with the message.
        let ctx = ctx(Algorithm::Deepar);
        let line = br#"{"start":"2021-02-29 00:00:00","target":[1]}"#;
        for path in [Path::Fast, Path::Reference] {
            let r = report(&ctx, line, true, path);
            assert!(r.contains("February 2021 has 28 days"), "{path:?}: {r}");
        }
    }
}
