//! Chunk checkers for the line formats: CSV, LibSVM, plain text.

use super::finding::{Check, Finding, Severity, Site};
use super::number::{self, Class};
use super::table::Schema;
use super::{FileCtx, Work};
use crate::codec::lines::split_lines;
use crate::codec::text::{parse_f64, parse_u64, snippet, trim};
use crate::pipeline::Chunk;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The fields of a CSV line as ranges of `line` (quotes stripped from
/// quoted fields). Returns whether the line holds a quote character.
fn split_fields(line: &[u8], d: u8, out: &mut Vec<(usize, usize)>) -> bool {
    out.clear();
    if memchr::memchr(b'"', line).is_none() {
        let mut start = 0;
        for i in memchr::memchr_iter(d, line) {
            out.push((start, i));
            start = i + 1;
        }
        out.push((start, line.len()));
        return false;
    }
    // A quote opens a quoted field only at the field's start (after
    // blanks); elsewhere it is a literal character. `""` inside quotes is
    // an escaped quote. An unclosed quote runs to the end of the line.
    let mut i = 0;
    let mut start = 0;
    let mut open: Option<usize> = None;
    while i < line.len() {
        let c = line[i];
        match open {
            Some(q) if c == b'"' => {
                if line.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                out.push((q, i));
                open = None;
                match memchr::memchr(d, &line[i..]) {
                    Some(j) => {
                        i += j + 1;
                        start = i;
                        continue;
                    }
                    None => return true,
                }
            }
            Some(_) => {}
            None if c == b'"' && trim(&line[start..i]).is_empty() => open = Some(i + 1),
            None if c == d => {
                out.push((start, i));
                start = i + 1;
            }
            None => {}
        }
        i += 1;
    }
    match open {
        Some(q) => out.push((q, line.len())),
        None => out.push((start, line.len())),
    }
    true
}

fn num_key(buf: &mut String, n: usize, unit: &str) {
    buf.clear();
    buf.push_str(itoa::Buffer::new().format(n));
    buf.push(' ');
    buf.push_str(unit);
    if n != 1 {
        buf.push('s');
    }
}

/// Feature values counted in a chunk's fast path, added to the chunk's
/// statistics at its end (locals the compiler keeps in registers).
#[derive(Default)]
struct Values {
    stored: u64,
    nonzero: u64,
    missing: u64,
}

impl Values {
    #[inline]
    fn add(&mut self, c: Class) {
        self.stored += 1;
        self.missing += (c == Class::Nan) as u64;
        self.nonzero += matches!(c, Class::Positive | Class::Negative) as u64;
    }

    fn flush(self, w: &mut Work) {
        w.stats.stored += self.stored;
        w.stats.nonzero += self.nonzero;
        w.stats.missing += self.missing;
    }
}

/// Checks a chunk of CSV rows.
///
/// Rows without quotes take a one-pass path: each cell is split off and
/// classified by [`number::scan`] together (no conversion to a float, no
/// second pass over the bytes); a cell the scan does not end exactly at the
/// delimiter (spaces, `nan`, text, an empty cell) goes through the same
/// per-cell checks as every cell of a quoted row.
pub(crate) fn check_csv(ctx: &FileCtx<'_>, chunk: &Chunk, w: &mut Work) {
    let data: &[u8] = chunk;
    let base = chunk.offset;
    let first_chunk = chunk.index == 0;
    let xgb = ctx.rules.xgboost;
    let d = ctx.delimiter;
    let ip = ctx.rules.schema == Schema::IpInsights;
    // The one-pass split needs a delimiter that cannot be part of a number.
    let one_pass = !ip && !matches!(d, b'0'..=b'9' | b'.' | b'+' | b'-' | b'e' | b'E' | b'"');
    let mut seen_content = !first_chunk;
    let mut fields = Vec::new();
    let mut values = Values::default();
    let mut line_no = 0u64;
    let mut key = String::new();
    let mut key_width = usize::MAX;
    let mut last_start = 0usize;
    for (raw, start) in split_lines(data) {
        last_start = start;
        let rel = line_no;
        line_no += 1;
        let mut line = raw;
        let mut off = start;
        if first_chunk && start == 0 && line.starts_with(BOM) {
            w.out.add(Check::CsvBom, Severity::Warning, || {
                Finding::new(Check::CsvBom, Severity::Warning)
                    .line(rel)
                    .byte(base)
                    .message("the file starts with a UTF-8 byte-order mark")
                    .sagemaker("XGBoost's parser skips it; other readers see it as part of the first cell, which is then not a number")
                    .fix(format!("rewrite without it: sm-data convert {} FIXED.csv", ctx.name))
            });
            line = &line[BOM.len()..];
            off += BOM.len();
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let at = base + off as u64;
        if trim(line).is_empty() {
            let leading = !seen_content && rel == 0 && first_chunk;
            let sev = if xgb && leading {
                Severity::Error
            } else {
                Severity::Warning
            };
            w.out.add(Check::CsvBlankLine, sev, || {
                Finding::new(Check::CsvBlankLine, sev)
                    .line(rel)
                    .byte(at)
                    .message(if leading {
                        "the file starts with a blank line"
                    } else {
                        "a blank line"
                    })
                    .sagemaker(if xgb && leading {
                        "XGBoost sniffs the delimiter from the first line: \"Could not determine delimiter on line :\""
                    } else if xgb {
                        "XGBoost skips blank lines; in Pipe mode and at inference a blank line makes a ragged row"
                    } else {
                        "a blank line is an empty row for some readers (ragged rows, missing values)"
                    })
                    .fix(format!(
                        "remove blank lines: sm-data convert {} FIXED.csv drops them",
                        ctx.name
                    ))
            });
            continue;
        }
        let header_candidate = !seen_content;
        seen_content = true;
        if one_pass && !header_candidate && memchr::memchr(b'"', line).is_none() {
            w.records += 1;
            w.stats.records += 1;
            let n = one_pass_row(ctx, w, rel, at, line, &mut values);
            row_shape(ctx, w, rel, at, line, n, &mut key, &mut key_width);
            continue;
        }
        let quoted = split_fields(line, d, &mut fields);
        if quoted {
            let sev = if xgb {
                Severity::Error
            } else {
                Severity::Warning
            };
            w.out.add(Check::CsvQuotes, sev, || {
                Finding::new(Check::CsvQuotes, sev)
                    .line(rel)
                    .byte(at + memchr::memchr(b'"', line).unwrap_or(0) as u64)
                    .snippet(line)
                    .message("the row holds a quote character")
                    .sagemaker(if xgb {
                        "XGBoost's CSV parser does not handle quotes: a quoted number is read as a missing value, a quoted delimiter splits the cell"
                    } else {
                        "quoted cells are not numbers to every reader; a bare quote breaks the row (amazon-sagemaker-examples#898)"
                    })
                    .fix(format!(
                        "write plain numbers: sm-data convert {} FIXED.csv reads RFC 4180 quotes and writes none",
                        ctx.name
                    ))
            });
        }
        let cell = |i: usize| -> &[u8] {
            let (s, e) = fields[i];
            trim(&line[s..e.min(line.len())])
        };
        let cell_at = |i: usize| at + fields[i].0 as u64;
        if header_candidate && is_header(&fields, &cell, ctx.label_size, ip) {
            w.out.add(Check::CsvHeader, Severity::Error, || {
                Finding::new(Check::CsvHeader, Severity::Error)
                    .line(rel)
                    .byte(at)
                    .snippet(line)
                    .message("the first row is a header (its cells are not numbers)")
                    .sagemaker(if xgb {
                        "XGBoost accepts it and reads it as a data row: the label becomes 0 and the names missing values (silently wrong data)"
                    } else {
                        "\"could not convert string to float\" (\"Non-numeric value found in header\"): the built-in algorithms read no header"
                    })
                    .fix(format!(
                        "drop the header: sm-data convert {} FIXED.csv --header",
                        ctx.name
                    ))
            });
            continue;
        }
        w.records += 1;
        w.stats.records += 1;
        let n = fields.len();
        if ip {
            check_ip_row(w, rel, at, line, n, &cell, &cell_at);
            continue;
        }
        row_shape(ctx, w, rel, at, line, n, &mut key, &mut key_width);
        for i in 0..n {
            if i < ctx.label_size {
                label_cell(ctx, w, rel, i, cell_at(i), cell(i));
            } else {
                feature_cell(ctx, w, rel, i, cell_at(i), cell(i), line);
            }
        }
    }
    values.flush(w);
    w.lines = line_no;
    w.ends_with_newline = data.last() == Some(&b'\n');
    w.last_line = base + last_start as u64;
}

/// Splits and checks the cells of a row without quotes in one pass;
/// returns the number of cells. Past the labels, a row of plain numbers
/// is checked whole by [`number::plain_fields`]. Cells are split at every delimiter, as
/// [`split_fields`] does for such rows.
#[inline]
fn one_pass_row(
    ctx: &FileCtx<'_>,
    w: &mut Work,
    rel: u64,
    at: u64,
    line: &[u8],
    values: &mut Values,
) -> usize {
    let d = ctx.delimiter;
    let len = line.len();
    let counts = ctx.rules.counts;
    let mut p = 0;
    let mut i = 0;
    loop {
        // Once past the labels, the usual row (plain numbers only) is
        // checked 64 bytes at a time; otherwise cell by cell.
        if i == ctx.label_size
            && !counts
            && let Some((cells, nonzero)) = number::plain_fields(&line[p..], d)
        {
            values.stored += cells;
            values.nonzero += nonzero;
            return i + cells as usize;
        }
        // Most cells are short plain numbers: one 16-byte step; the rest
        // (exponents, long or last cells, anything else) a byte scan.
        let short = line
            .get(p..p + 16)
            .and_then(|w| number::short_number(w.try_into().expect("16 bytes")))
            .filter(|&(_, e)| line[p + e] == d);
        let (c, end) = match short {
            Some((c, e)) => (c, p + e),
            None => number::scan(line, p),
        };
        let clean = c != Class::NotNumber && (end == len || line[end] == d);
        let e = if clean {
            end
        } else {
            memchr::memchr(d, &line[p..]).map_or(len, |k| p + k)
        };
        if i < ctx.label_size {
            label_cell(ctx, w, rel, i, at + p as u64, trim(&line[p..e]));
        } else if clean {
            values.add(c);
            if counts && c == Class::Negative {
                negative_count(ctx, w, rel, i, at + p as u64, &line[p..e]);
            }
        } else {
            feature_cell(ctx, w, rel, i, at + p as u64, trim(&line[p..e]), line);
        }
        i += 1;
        if e >= len {
            return i;
        }
        p = e + 1;
    }
}

/// The row-level checks of a data row with `n` cells: the column-count
/// tally, a single column, the feature dimension.
#[allow(clippy::too_many_arguments)]
fn row_shape(
    ctx: &FileCtx<'_>,
    w: &mut Work,
    rel: u64,
    at: u64,
    line: &[u8],
    n: usize,
    key: &mut String,
    key_width: &mut usize,
) {
    let d = ctx.delimiter;
    let xgb = ctx.rules.xgboost;
    if *key_width != n {
        num_key(key, n, "column");
        *key_width = n;
    }
    let record = w.records - 1;
    w.tally(Check::CsvColumns, key, ctx.max, || Site {
        line: Some(rel),
        record,
        byte: at,
        snippet: Some(snippet(line, 60)),
    });
    if n <= ctx.label_size {
        w.out.add(Check::CsvSingleColumn, Severity::Error, || {
            Finding::new(Check::CsvSingleColumn, Severity::Error)
                .line(rel)
                .byte(at)
                .snippet(line)
                .message(if n == 1 {
                    format!(
                        "the row has one column (no {} found): a label and no features",
                        if d == b',' { "comma" } else { "delimiter" }
                    )
                } else {
                    format!(
                        "the row has {n} columns, all of them labels (label_size={}): no features",
                        ctx.label_size
                    )
                })
                .sagemaker(if xgb {
                    format!(
                        "XGBoost: \"Delimiter '{}' is not found in the line. Expected '{}' as the delimiter to separate fields.\"",
                        d as char, d as char
                    )
                } else {
                    "the algorithm reads a row without features and fails".to_string()
                })
                .fix("give every row a label and at least one feature (is the delimiter right?)")
        });
    }
    let labels = ctx.label_size.min(n);
    w.stats.dim = w.stats.dim.max((n - labels) as u64);
}

/// Checks label cell `i` (trimmed text `c` at byte `at`) and counts it.
fn label_cell(ctx: &FileCtx<'_>, w: &mut Work, rel: u64, i: usize, at: u64, c: &[u8]) {
    let xgb = ctx.rules.xgboost;
    match parse_f64(c) {
        Some(v) => {
            if !v.is_finite() {
                label_not_finite(ctx, w, rel, i, at, c);
            }
            w.stats.label(v)
        }
        None => {
            let empty = c.is_empty();
            w.out.add(Check::CsvLabel, Severity::Error, || {
                Finding::new(Check::CsvLabel, Severity::Error)
                    .line(rel)
                    .field(i)
                    .byte(at)
                    .snippet(c)
                    .message(if empty {
                        "the label cell is empty".to_string()
                    } else {
                        format!("the label {:?} is not a number", snippet(c, 40))
                    })
                    .sagemaker(if xgb {
                        "XGBoost reads a non-numeric or empty label as 0 or missing (silently wrong labels)".to_string()
                    } else {
                        format!("\"could not convert string to float: '{}'\"", snippet(c, 40))
                    })
                    .fix("put a numeric label in column 0 of every row (encode class names as 0..k-1)")
            });
        }
    }
}

/// A label that is a number but not a finite one (`nan`, `inf`), in the
/// data of an algorithm that trains on labels: field `i`, text `c` at
/// byte `at`.
fn label_not_finite(ctx: &FileCtx<'_>, w: &mut Work, rel: u64, i: usize, at: u64, c: &[u8]) {
    if !ctx.rules.trains_on_labels() {
        return;
    }
    let xgb = ctx.rules.xgboost;
    w.out.add(Check::LabelNotFinite, Severity::Error, || {
        Finding::new(Check::LabelNotFinite, Severity::Error)
            .line(rel)
            .field(i)
            .byte(at)
            .snippet(c)
            .message(format!(
                "the label {:?} is not a finite number: every record needs a label",
                snippet(c, 40)
            ))
            .sagemaker(if xgb {
                "XGBoost: a NaN or infinite label fails training (\"Label contains NaN, infinity or a value too large.\", or a base_score check), or a LibSVM 'nan' label is read as 0".to_string()
            } else {
                format!("{} needs a finite label in every record", ctx.algorithm.title())
            })
            .fix("fill or drop the rows without a label")
    });
}

/// Checks feature cell `i` (trimmed text `c` at byte `at` of `line`) and
/// counts it.
fn feature_cell(
    ctx: &FileCtx<'_>,
    w: &mut Work,
    rel: u64,
    i: usize,
    at: u64,
    c: &[u8],
    line: &[u8],
) {
    let xgb = ctx.rules.xgboost;
    if c.is_empty() {
        w.stats.value(f64::NAN);
        if !xgb && !ctx.rules.generic {
            w.out.add(Check::CsvEmptyCell, Severity::Warning, || {
                Finding::new(Check::CsvEmptyCell, Severity::Warning)
                    .line(rel)
                    .field(i)
                    .byte(at)
                    .snippet(line)
                    .message("an empty cell (a missing value)")
                    .sagemaker(format!(
                        "{} expects a number in every cell; missing values are read as NaN or rejected",
                        ctx.algorithm.title()
                    ))
                    .fix("impute missing values before training")
            });
        }
        return;
    }
    match number::classify(c) {
        Class::NotNumber => {
            w.stats.value(f64::NAN);
            let na = is_na_marker(c);
            w.out.add(Check::CsvNonNumeric, Severity::Error, || {
                Finding::new(Check::CsvNonNumeric, Severity::Error)
                    .line(rel)
                    .field(i)
                    .byte(at)
                    .snippet(c)
                    .message(if na {
                        format!(
                            "the cell {:?} is not a number (it looks like a missing-value marker)",
                            snippet(c, 40)
                        )
                    } else {
                        format!("the cell {:?} is not a number", snippet(c, 40))
                    })
                    .sagemaker(if xgb {
                        "XGBoost's CSV parser reads a non-numeric cell as a missing value (no error, wrong data)".to_string()
                    } else {
                        format!("\"could not convert string to float: '{}'\"", snippet(c, 40))
                    })
                    .fix(if na {
                        "write missing values as empty cells (XGBoost reads them as missing) or impute them"
                    } else {
                        "encode categorical columns as numbers (one-hot or ordinal) before training"
                    })
            });
        }
        class => {
            w.stats.class(class);
            if ctx.rules.counts && class == Class::Negative {
                negative_count(ctx, w, rel, i, at, c);
            }
        }
    }
}

/// Text that marks a missing value in exports (pandas, R, spreadsheets).
fn is_na_marker(c: &[u8]) -> bool {
    const MARKERS: [&[u8]; 9] = [
        b"na", b"n/a", b"null", b"none", b"?", b"-", b"nil", b"missing", b"#n/a",
    ];
    MARKERS.iter().any(|m| c.eq_ignore_ascii_case(m))
}

fn negative_count(ctx: &FileCtx<'_>, w: &mut Work, line: u64, field: usize, at: u64, c: &[u8]) {
    w.out.add(Check::NegativeCount, Severity::Warning, || {
        Finding::new(Check::NegativeCount, Severity::Warning)
            .line(line)
            .field(field)
            .byte(at)
            .snippet(c)
            .message("a negative word count")
            .sagemaker(format!(
                "{} models documents as word counts: negative values are invalid input",
                ctx.algorithm.title()
            ))
            .fix("use non-negative counts (bag of words)")
    });
}

/// True when the first data row of a file is a header: its label cell
/// is text, or at least half of its non-empty cells are.
fn is_header<'a>(
    fields: &[(usize, usize)],
    cell: &impl Fn(usize) -> &'a [u8],
    label_size: usize,
    ip: bool,
) -> bool {
    let text = |c: &[u8]| !c.is_empty() && parse_f64(c).is_none();
    if ip {
        return fields.len() >= 2
            && std::str::from_utf8(cell(1))
                .ok()
                .is_some_and(|s| s.parse::<std::net::IpAddr>().is_err())
            && cell(1).iter().any(|b| b.is_ascii_alphabetic());
    }
    if (0..label_size.min(fields.len())).any(|i| text(cell(i))) {
        return true;
    }
    let non_empty = (0..fields.len()).filter(|&i| !cell(i).is_empty()).count();
    let texts = (0..fields.len()).filter(|&i| text(cell(i))).count();
    texts > 0 && texts * 2 >= non_empty
}

fn check_ip_row<'a>(
    w: &mut Work,
    rel: u64,
    at: u64,
    line: &[u8],
    n: usize,
    cell: &impl Fn(usize) -> &'a [u8],
    cell_at: &impl Fn(usize) -> u64,
) {
    if n != 2 {
        w.out.add(Check::CsvColumns, Severity::Error, || {
            Finding::new(Check::CsvColumns, Severity::Error)
                .line(rel)
                .byte(at)
                .snippet(line)
                .message(format!("the row has {n} columns; IP Insights reads exactly 2"))
                .sagemaker("IP Insights trains on two columns, entity_id and IP address, and fails on other rows")
                .fix("write rows as entity_id,ip_address")
        });
        return;
    }
    let id = cell(0);
    let addr = cell(1);
    let ok = std::str::from_utf8(addr)
        .ok()
        .is_some_and(|s| s.parse::<std::net::IpAddr>().is_ok());
    if id.is_empty() || !ok {
        let field = if id.is_empty() { 0 } else { 1 };
        w.out.add(Check::IpAddress, Severity::Error, || {
            Finding::new(Check::IpAddress, Severity::Error)
                .line(rel)
                .field(field)
                .byte(cell_at(field))
                .snippet(line)
                .message(if id.is_empty() {
                    "the entity id is empty".to_string()
                } else {
                    format!("{:?} is not an IPv4 or IPv6 address", snippet(addr, 40))
                })
                .sagemaker("IP Insights cannot parse the row and fails")
                .fix("write rows as entity_id,ip_address (e.g. user_1,192.0.2.7)")
        });
    }
}

/// Checks a chunk of LibSVM lines. XGBoost's validator checks only the
/// first line with at least two features (and the lines before it) with a
/// strict single-space split (spec §8.4): problems there are errors, later
/// ones warnings. [`FileCtx::strict_until`] is where that line ends.
pub(crate) fn check_libsvm(ctx: &FileCtx<'_>, chunk: &Chunk, w: &mut Work) {
    libsvm_lines(ctx, chunk, chunk.offset, chunk.index == 0, w, true);
}

/// [`check_libsvm`] of the lines of `data` (at offset `base` of the
/// file), with or without the one-pass check of the usual line
/// ([`plain_libsvm_line`]; the tests compare both).
fn libsvm_lines(
    ctx: &FileCtx<'_>,
    data: &[u8],
    base: u64,
    first_chunk: bool,
    w: &mut Work,
    fast: bool,
) {
    let xgb = ctx.rules.xgboost;
    let mut line_no = 0u64;
    let mut last_start = 0usize;
    let mut values = Values::default();
    let mut min_index = u64::MAX;
    let mut dim = 0u64;
    let mut pos = 0;
    while pos < data.len() {
        let start = pos;
        last_start = start;
        let rel = line_no;
        line_no += 1;
        // The usual line — a label, one space, `idx:val` tokens with single
        // spaces, `\n` — is checked in one pass that finds its end too
        // (no separate search for the newline); the lines checked strictly
        // (XGBoost's first lines) and the file's first line (a BOM) go the
        // general way below, as does any line the one pass refuses.
        if fast
            && !(first_chunk && start == 0)
            && !(xgb && base + (start as u64) < ctx.strict_until)
            && let Some((label, pairs, end)) = plain_libsvm_line(data, start)
        {
            w.records += 1;
            w.stats.records += 1;
            w.stats.label(label);
            values.stored += pairs.count;
            values.nonzero += pairs.nonzero;
            min_index = min_index.min(pairs.min_index);
            dim = dim.max(pairs.max_index + 1);
            pos = end + 1;
            continue;
        }
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |k| start + k);
        pos = end + 1;
        let raw = &data[start..end];
        let mut line = raw;
        let mut off = start;
        if first_chunk && start == 0 && line.starts_with(BOM) {
            // XGBoost's validator reads the file as text: the mark is part
            // of the first token, which is then not a number.
            let sev = if xgb {
                Severity::Error
            } else {
                Severity::Warning
            };
            w.out.add(Check::LibsvmBom, sev, || {
                Finding::new(Check::LibsvmBom, sev)
                    .line(rel)
                    .byte(base)
                    .snippet(line)
                    .message("the file starts with a UTF-8 byte-order mark")
                    .sagemaker(if xgb {
                        format!(
                            "XGBoost's validator reads '\\ufeff' as part of the label: \"First line '{}' of file '{}' is not 'LIBSVM' format. Please ensure the file is in 'LIBSVM' format.\"",
                            snippet(&line[BOM.len()..], 44),
                            file_name(ctx.name)
                        )
                    } else {
                        "readers that do not skip it see it as part of the first label, which is then not a number".to_string()
                    })
                    .fix(format!(
                        "rewrite without it: sm-data convert {} FIXED.libsvm",
                        ctx.name
                    ))
            });
            line = &line[BOM.len()..];
            off += BOM.len();
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let at = base + off as u64;
        let t = trim(line);
        let strict = xgb && at < ctx.strict_until;
        if t.is_empty() || t.starts_with(b"#") {
            if strict {
                w.out.add(Check::LibsvmComment, Severity::Error, || {
                    Finding::new(Check::LibsvmComment, Severity::Error)
                        .line(rel)
                        .byte(at)
                        .snippet(line)
                        .message(if t.is_empty() {
                            "a blank line before the first data line"
                        } else {
                            "a comment before the first data line"
                        })
                        .sagemaker(format!(
                            "XGBoost: \"First line '{}' of file '{}' is not 'LIBSVM' format. Please ensure the file is in 'LIBSVM' format.\"",
                            snippet(line, 50),
                            file_name(ctx.name)
                        ))
                        .fix(format!(
                            "remove it: sm-data convert {} FIXED.libsvm drops comments and blank lines",
                            ctx.name
                        ))
                });
            }
            continue;
        }
        w.records += 1;
        w.stats.records += 1;
        // Tokens are split at spaces and tabs. One pass: each `idx:val`
        // token is split off and checked together (`number::short_number`
        // or `number::scan` for the value, no float conversion); anything
        // else (qid, comments, odd text) goes through the per-token checks.
        let len = line.len();
        let (mut i, mut odd_ws) = skip_blanks(line, 0);
        let s0 = i;
        while i < len && !matches!(line[i], b' ' | b'\t') {
            i += 1;
        }
        let label = &line[s0..i];
        // (token number, its offset in the line, what is wrong)
        let mut bad: Option<(usize, usize, String)> = None;
        // `label` or `label:weight`; each is parsed once.
        let value = match label.iter().position(|&b| b == b':') {
            Some(c) => parse_f64(&label[..c]).filter(|_| parse_f64(&label[c + 1..]).is_some()),
            None => parse_f64(label),
        };
        match value {
            Some(v) => {
                if !v.is_finite() {
                    let c = label.iter().position(|&b| b == b':').unwrap_or(label.len());
                    label_not_finite(ctx, w, rel, 0, at + s0 as u64, &label[..c]);
                }
                w.stats.label(v)
            }
            None => {
                bad = Some((
                    0,
                    s0,
                    format!("the label {:?} is not a number", snippet(label, 40)),
                ))
            }
        }
        let mut k = 0;
        // The index before, and the first token (offset, index before,
        // index) whose index is not above it.
        let mut prev: Option<u64> = None;
        let mut order: Option<(usize, u64, u64)> = None;
        let mut follow = |s: usize, idx: u64| {
            if let Some(p) = prev
                && idx <= p
                && order.is_none()
            {
                order = Some((s, p, idx));
            }
            prev = Some(idx);
        };
        while bad.is_none() {
            let (next, odd) = skip_blanks(line, i);
            odd_ws |= odd;
            i = next;
            if i >= len {
                break;
            }
            // The usual line: every feature token checked at once.
            if k == 0
                && let Some(pairs) = number::plain_pairs(&line[i..]).filter(|p| p.ascending)
            {
                values.stored += pairs.count;
                values.nonzero += pairs.nonzero;
                min_index = min_index.min(pairs.min_index);
                dim = dim.max(pairs.max_index + 1);
                break;
            }
            k += 1;
            let s = i;
            if let Some((idx, end, class)) = libsvm_pair(line, s) {
                follow(s, idx);
                values.add(class);
                min_index = min_index.min(idx);
                dim = dim.max(idx + 1);
                i = end;
                continue;
            }
            while i < len && !matches!(line[i], b' ' | b'\t') {
                i += 1;
            }
            let t = &line[s..i];
            if t.starts_with(b"#") {
                // XGBoost's validator wants ':' in every token of the lines
                // it checks; its loader drops a comment on the others.
                if strict {
                    bad = Some((
                        k,
                        s,
                        "a '#' comment on the line XGBoost validates (every token after the label must be idx:val)".to_string(),
                    ));
                }
                break;
            }
            if k == 1 && t.starts_with(b"qid:") {
                if parse_u64(&t[4..]).is_none() {
                    bad = Some((k, s, format!("{:?} is not qid:N", snippet(t, 40))));
                }
                continue;
            }
            let Some(c) = t.iter().position(|&b| b == b':') else {
                bad = Some((
                    k,
                    s,
                    format!("{:?} has no ':' (expected idx:val)", snippet(t, 40)),
                ));
                break;
            };
            let Some(idx) = parse_u64(&t[..c]) else {
                bad = Some((
                    k,
                    s,
                    format!(
                        "the index {:?} is not a non-negative integer",
                        snippet(&t[..c], 40)
                    ),
                ));
                break;
            };
            let class = number::classify(&t[c + 1..]);
            if class == Class::NotNumber {
                bad = Some((
                    k,
                    s,
                    format!("the value {:?} is not a number", snippet(&t[c + 1..], 40)),
                ));
                break;
            }
            follow(s, idx);
            w.stats.class(class);
            w.stats.min_index = Some(w.stats.min_index.map_or(idx, |m| m.min(idx)));
            w.stats.dim = w.stats.dim.max(idx.saturating_add(1));
        }
        // After the validated line, XGBoost's loader splits on any
        // whitespace: only tabs and double spaces are worth a warning
        // (scikit-learn writes `label \n` for rows without features).
        // The token pass saw every blank run when no token was bad: the
        // search is needed only when one held a tab or two blanks, or on
        // the strictly checked lines.
        let ws = if strict || odd_ws || bad.is_some() {
            memchr::memchr(b'\t', line)
                .or_else(|| memchr::memmem::find(line, b"  "))
                .or_else(|| (strict && line.ends_with(b" ")).then(|| line.len() - 1))
                .or_else(|| (strict && line.starts_with(b" ")).then_some(0))
        } else {
            None
        };
        if let Some(p) = ws {
            let sev = if strict {
                Severity::Error
            } else {
                Severity::Warning
            };
            w.out.add(Check::LibsvmWhitespace, sev, || {
                Finding::new(Check::LibsvmWhitespace, sev)
                    .line(rel)
                    .byte(at + p as u64)
                    .snippet(line)
                    .message("a tab, a double space, or a leading or trailing space")
                    .sagemaker(if strict {
                        format!(
                            "XGBoost's validator splits on single spaces: \"First line '{}' of file '{}' is not 'LIBSVM' format. Please ensure the file is in 'LIBSVM' format.\"",
                            snippet(line, 50),
                            file_name(ctx.name)
                        )
                    } else {
                        "tolerated by XGBoost's loader after the first validated line; stricter LibSVM readers reject it".to_string()
                    })
                    .fix(format!(
                        "normalise spacing: sm-data convert {} FIXED.libsvm writes single spaces",
                        ctx.name
                    ))
            });
        }
        if let (None, Some((tok_at, before, idx))) = (&bad, order) {
            index_order(w, rel, at + tok_at as u64, line, before, idx);
        }
        if let Some((k, tok_at, msg)) = bad {
            let looks_csv =
                memchr::memchr(b':', line).is_none() && memchr::memchr(b',', line).is_some();
            w.out.add(Check::LibsvmSyntax, Severity::Error, || {
                let sagemaker = if !xgb {
                    "LibSVM readers fail on this line".to_string()
                } else if strict {
                    format!(
                        "XGBoost: \"First line '{}' of file '{}' is not 'LIBSVM' format. Please ensure the file is in 'LIBSVM' format.\" (older images: \"Blankspace and colon not found\")",
                        snippet(line, 50),
                        file_name(ctx.name)
                    )
                } else {
                    "XGBoost's LibSVM loader fails on this line (a dmlc strtonum check; older images: \"Blankspace and colon not found\")".to_string()
                };
                Finding::new(Check::LibsvmSyntax, Severity::Error)
                    .line(rel)
                    .field(k)
                    .byte(at + tok_at as u64)
                    .snippet(line)
                    .message(if looks_csv {
                        format!("{msg}: the line looks like CSV")
                    } else {
                        msg
                    })
                    .sagemaker(sagemaker)
                    .fix(if looks_csv {
                        format!(
                            "the data is CSV: use ContentType text/csv (and --content-type text/csv here), or convert: sm-data convert {} OUT.libsvm --from csv",
                            ctx.name
                        )
                    } else {
                        "write 'label idx:val idx:val' with single spaces, 0-based integer indices and numeric values".to_string()
                    })
            });
        }
    }
    values.flush(w);
    if min_index != u64::MAX {
        w.stats.min_index = Some(w.stats.min_index.map_or(min_index, |m| m.min(min_index)));
    }
    w.stats.dim = w.stats.dim.max(dim);
    w.lines = line_no;
    w.ends_with_newline = data.last() == Some(&b'\n');
    w.last_line = base + last_start as u64;
}

/// The line at `data[start..]` when it is the usual one — a plain label
/// (no `:weight`), one space, then tokens [`number::plain_pairs_line`]
/// vouches for up to the newline: the label's value, the pairs and where
/// the line ends (its newline, or the end of `data`). `None` for
/// anything else, which [`check_libsvm`]'s general path then checks.
#[inline]
fn plain_libsvm_line(data: &[u8], start: usize) -> Option<(f64, number::Pairs, usize)> {
    // Labels are short: give up past 32 bytes.
    let window = &data[start..data.len().min(start + 32)];
    let space = window.iter().position(|&b| b == b' ')?;
    let label = &window[..space];
    if label.is_empty()
        || label
            .iter()
            .any(|&b| matches!(b, b':' | b'\t' | b'\n' | b'\r'))
    {
        return None;
    }
    // A NaN or infinite label is a finding: the general path says it.
    let value = parse_f64(label).filter(|v| v.is_finite())?;
    let from = start + space + 1;
    let (pairs, len) = number::plain_pairs_line(&data[from..])?;
    // Indices out of order: the general path finds which.
    pairs.ascending.then_some((value, pairs, from + len))
}

/// A LibSVM line whose index `idx` (at byte `at`) is not above the
/// `before` it: XGBoost sorts a row's entries, and keeps both of a
/// repeated index; scikit-learn refuses the file.
fn index_order(w: &mut Work, rel: u64, at: u64, line: &[u8], before: u64, idx: u64) {
    w.out.add(Check::LibsvmIndexOrder, Severity::Warning, || {
        Finding::new(Check::LibsvmIndexOrder, Severity::Warning)
            .line(rel)
            .byte(at)
            .snippet(line)
            .message(if idx == before {
                format!("index {idx} appears twice in the row")
            } else {
                format!("index {idx} follows index {before}: the row's indices are not in increasing order")
            })
            .sagemaker(if idx == before {
                "XGBoost keeps both entries of the feature in the row (which value the trees use is not defined); scikit-learn's load_svmlight_file refuses the file: \"Feature indices in SVMlight/LibSVM data file should be sorted and unique.\""
            } else {
                "XGBoost sorts the row's entries as it loads them; scikit-learn's load_svmlight_file (and the tools built on it) refuses the file: \"Feature indices in SVMlight/LibSVM data file should be sorted and unique.\""
            })
            .fix("write each row's idx:val tokens in increasing index order, one value per index")
    });
}

/// Skips the spaces and tabs at `line[i..]`; returns where they end and
/// whether the run held a tab or more than one byte.
#[inline]
fn skip_blanks(line: &[u8], mut i: usize) -> (usize, bool) {
    let start = i;
    let mut tab = false;
    while let Some(&b) = line.get(i) {
        match b {
            b' ' => {}
            b'\t' => tab = true,
            _ => break,
        }
        i += 1;
    }
    (i, tab || i - start > 1)
}

/// A plain `idx:val` token at `line[s..]` (at most 19 index digits, so no
/// overflow; a value that ends at a blank or the line's end): its index,
/// where it ends and the value's class. `None` for anything else, which
/// the per-token checks then look at.
#[inline]
fn libsvm_pair(line: &[u8], s: usize) -> Option<(u64, usize, Class)> {
    let mut i = s;
    let mut idx = 0u64;
    while let Some(&b) = line.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        if i - s == 19 {
            return None;
        }
        idx = idx * 10 + d as u64;
        i += 1;
    }
    if i == s || line.get(i) != Some(&b':') {
        return None;
    }
    let v = i + 1;
    let blank = |e: usize| line.get(e).is_none_or(|&b| b == b' ' || b == b'\t');
    let (class, end) = match line
        .get(v..v + 16)
        .and_then(|w| number::short_number(w.try_into().expect("16 bytes")))
    {
        Some((c, e)) if blank(v + e) => (c, v + e),
        _ => number::scan(line, v),
    };
    (class != Class::NotNumber && blank(end)).then_some((idx, end, class))
}

/// The absolute offset where the line XGBoost's LibSVM validator checks
/// ends: the first line with at least two feature tokens (spec §8.4), found
/// in `head`, the start of the file. Lines before it and it are checked
/// strictly. `head.len()` when no such line is in `head`.
pub(crate) fn libsvm_strict_until(head: &[u8]) -> u64 {
    for (line, start) in split_lines(head) {
        let t = trim(line);
        if t.is_empty() {
            continue;
        }
        let tokens = t
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|x| !x.is_empty())
            .count();
        if tokens >= 3 {
            return (start + line.len()) as u64;
        }
    }
    head.len() as u64
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Checks a chunk of plain text (BlazingText: one sentence per line,
/// space-separated tokens, `__label__X` prefixes in supervised mode).
pub(crate) fn check_text(ctx: &FileCtx<'_>, chunk: &Chunk, w: &mut Work) {
    let data: &[u8] = chunk;
    let base = chunk.offset;
    let mut line_no = 0u64;
    for (raw, start) in split_lines(data) {
        let rel = line_no;
        line_no += 1;
        let mut line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let mut at = base + start as u64;
        if chunk.index == 0 && start == 0 && line.starts_with(BOM) {
            // fastText reads the mark as part of the first word: a label
            // there is then a word.
            line = &line[BOM.len()..];
            let label = line.starts_with(b"__label__");
            let sev = if label {
                Severity::Error
            } else {
                Severity::Warning
            };
            w.out.add(Check::TextBom, sev, || {
                Finding::new(Check::TextBom, sev)
                    .line(rel)
                    .byte(at)
                    .snippet(line)
                    .message("the file starts with a UTF-8 byte-order mark")
                    .sagemaker(if label {
                        "BlazingText reads the mark as part of the first word: the first line's __label__ is read as a word, not a label"
                    } else {
                        "BlazingText reads the mark as part of the first word"
                    })
                    .fix(format!(
                        "remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' {}",
                        ctx.name
                    ))
            });
            at += BOM.len() as u64;
        }
        if trim(line).is_empty() {
            continue;
        }
        w.records += 1;
        w.stats.records += 1;
        let Ok(text) = std::str::from_utf8(line) else {
            let e = std::str::from_utf8(line).unwrap_err();
            w.out.add(Check::TextEncoding, Severity::Error, || {
                Finding::new(Check::TextEncoding, Severity::Error)
                    .line(rel)
                    .byte(at + e.valid_up_to() as u64)
                    .snippet(line)
                    .message("the line is not valid UTF-8")
                    .sagemaker(format!(
                        "{} reads UTF-8 text and fails or mangles the line",
                        ctx.algorithm.title()
                    ))
                    .fix("re-encode the file as UTF-8 (iconv -f LATIN1 -t UTF-8)")
            });
            continue;
        };
        let mut words = text.split_whitespace();
        let first = words.next().unwrap_or("");
        let labeled = first.starts_with("__label__");
        let mut n = 1u64;
        if labeled {
            w.stats.text_label(first);
            n = 0;
            for word in words {
                if word.starts_with("__label__") {
                    w.stats.text_label(word);
                } else {
                    n += 1;
                }
            }
        } else {
            n += words.count() as u64;
        }
        w.stats.seq(n);
        if ctx.rules.schema == Schema::BlazingtextText {
            let record = w.records - 1;
            w.tally(
                Check::BlazingtextLabel,
                if labeled {
                    "a __label__ prefix"
                } else {
                    "no __label__ prefix"
                },
                ctx.max,
                || Site {
                    line: Some(rel),
                    record,
                    byte: at,
                    snippet: Some(snippet(line, 60)),
                },
            );
        }
    }
    w.lines = line_no;
    w.ends_with_newline = data.last() == Some(&b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        split_fields(line.as_bytes(), b',', &mut out);
        out.iter()
            .map(|&(s, e)| line[s..e.min(line.len())].to_string())
            .collect()
    }

    #[test]
    fn finds_the_line_xgboost_validates() {
        // Comments, blank lines and lines with fewer than two features come
        // before it; it ends at its newline.
        let head = b"# c\n\n1 0:1\n1 0:1 2:3\n0 1:1 2:2\n";
        assert_eq!(libsvm_strict_until(head), 20);
        // None in the head: all of it.
        assert_eq!(libsvm_strict_until(b"1 0:1\n"), 6);
        // The container does not skip comments: a long one is "the line".
        assert_eq!(libsvm_strict_until(b"# a b c\n1 0:1 1:1\n"), 7);
    }

    #[test]
    fn tells_headers_from_data() {
        let header = |line: &str, label_size: usize, ip: bool| {
            let mut f = Vec::new();
            split_fields(line.as_bytes(), b',', &mut f);
            let cell = |i: usize| trim(&line.as_bytes()[f[i].0..f[i].1]);
            is_header(&f, &cell, label_size, ip)
        };
        assert!(header("label,f1,f2", 1, false));
        assert!(header("y,1,2", 1, false));
        assert!(header("1,a,b", 1, false));
        assert!(!header("1,a,2,3", 1, false));
        assert!(!header("1,1e-10,nan", 1, false));
        assert!(!header("1,,2", 1, false));
        assert!(header("user,ip_address", 0, true));
        assert!(!header("user_1,192.0.2.1", 0, true));
        assert!(is_na_marker(b"N/A") && !is_na_marker(b"red"));
    }

    #[test]
    fn reads_plain_libsvm_pairs_and_leaves_the_rest() {
        let pair = |s: &str| libsvm_pair(s.as_bytes(), 0);
        assert_eq!(pair("12:0.5 3:1"), Some((12, 6, Class::Positive)));
        assert_eq!(pair("7:-0.000"), Some((7, 8, Class::Zero)));
        assert_eq!(pair("7:-1.5e-3\t"), Some((7, 9, Class::Negative)));
        assert_eq!(
            pair("9999999999999999999:1"),
            Some((9_999_999_999_999_999_999, 21, Class::Positive))
        );
        // Left to the per-token checks: 20-digit indices, nan, qid,
        // comments, missing parts, trailing text.
        for t in [
            "18446744073709551615:1",
            "1:nan",
            "qid:3",
            "#c",
            "1:",
            ":1",
            "1",
            "1:2:3",
            "1:2\r",
            "1:0x1",
            "-1:2",
        ] {
            assert_eq!(pair(t), None, "{t}");
        }
        assert_eq!(skip_blanks(b"  1", 0), (2, true));
        assert_eq!(skip_blanks(b" 1", 0), (1, false));
        assert_eq!(skip_blanks(b"\t1", 0), (1, true));
        assert_eq!(skip_blanks(b"1", 0), (0, false));
    }

    /// The one-pass check of the usual LibSVM line and the general path
    /// give the same findings, counts and statistics, on lines of every
    /// kind (plain, weighted, qid, comments, tabs, double spaces, `\r\n`,
    /// bad tokens, odd labels), in chunks cut anywhere, strict or not.
    #[test]
    fn plain_libsvm_lines_agree_with_the_general_path() {
        use super::super::table::InputKind;
        use crate::validate::Algorithm;
        let kinds: [&str; 16] = [
            "1 0:0.5 3:1.25 17:-2",
            "0 2:0 5:0.000 9:7",
            "-1 1:1",
            "+1 4:3.5",
            "1.5e3 2:1",
            "1:0.5 3:1",
            "2 qid:7 1:1 3:2",
            "# a comment",
            "",
            "1\t2:1 3:4",
            "1 2:1  3:4",
            "1 2:1 3:4 ",
            "1 2:1 3:4\r",
            "1 2:x 3:4",
            "nan 2:1",
            "0 12345678901234567890:1 3:4",
        ];
        let mut rng = crate::testutil::XorShift(0x5EED_0F11_B5B0_0001);
        for round in 0..300 {
            let mut data = Vec::new();
            for _ in 0..rng.next_u64() % 40 {
                let r = rng.next_u64();
                // Mostly plain lines, as in real files.
                let k = if r.is_multiple_of(3) {
                    (r >> 8) as usize % kinds.len()
                } else {
                    (r >> 8) as usize % 3
                };
                data.extend_from_slice(kinds[k].as_bytes());
                data.push(b'\n');
            }
            if round % 2 == 0 {
                data.pop();
            }
            for alg in [Algorithm::Xgboost, Algorithm::Generic] {
                let rules = alg.rules_for(InputKind::Libsvm).expect("reads LibSVM");
                for strict_until in [0, 30] {
                    let ctx = FileCtx {
                        name: "t.libsvm",
                        rules,
                        algorithm: alg,
                        max: 3,
                        delimiter: b',',
                        label_size: 0,
                        strict_until,
                    };
                    let run = |fast: bool| {
                        let mut w = Work::new(ctx.max);
                        libsvm_lines(&ctx, &data, 0, true, &mut w, fast);
                        format!(
                            "findings {:#?}\ncounts {:?}\ntallies {:?}\nstats {:?}\nrecords {} lines {} last {}",
                            w.out.findings,
                            w.out.counts,
                            w.tallies,
                            w.stats,
                            w.records,
                            w.lines,
                            w.last_line
                        )
                    };
                    assert_eq!(run(true), run(false), "{}", String::from_utf8_lossy(&data));
                }
            }
        }
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(fields("1,2,,3"), ["1", "2", "", "3"]);
        assert_eq!(fields("\"1\",2"), ["1", "2"]);
        assert_eq!(fields("1,\"a,b\",3"), ["1", "a,b", "3"]);
        assert_eq!(fields("1,\"x\""), ["1", "x"]);
        assert_eq!(fields("1,\"x\","), ["1", "x", ""]);
        assert_eq!(fields("1,a\"b,3"), ["1", "a\"b", "3"]);
    }
}
