//! Parquet (`application/x-parquet`, XGBoost and DeepAR; spec §7, §8.5,
//! §8.7 rule 4).
//!
//! XGBoost reads a Parquet channel with `pyarrow.parquet.read_table(dir)`
//! and turns the table into one numpy matrix: **column 0 is the label** and
//! every column must be numeric, and every file of the channel should have
//! the same schema (pyarrow reads every file with the first file's schema,
//! dropping or casting what differs, and fails on a lossy cast).
//! The schema is checked from the footer; the label and features are
//! decoded row group by row group in parallel through
//! [`format::parquet::Reader`](crate::format::parquet::Reader) for the
//! label check (no null, NaN or infinite label) and the statistics
//! (`feature_dim`, records, label range, sparsity).
//!
//! DeepAR reads the same fields from Parquet as from JSON Lines: `start`
//! (a string or a timestamp), `target` (a list of numbers), optional `cat`
//! (a list of integers) and `dynamic_feat` (a list of lists of numbers);
//! they are checked in the schema, then row by row (row groups decoded in
//! parallel) with the rules of the JSON Lines series.

use arrow_schema::DataType;
use bytes::Bytes;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use rayon::prelude::*;

use super::finding::Collector;
use super::{Acc, Check, FileCtx, Finding, Schema, Severity, Work};
use crate::batch::Batch;
use crate::error::{Error, ErrorKind, Result};
use crate::format::parquet::read::column_start;
use crate::format::parquet::{LabelColumn, Layout, ParquetOptions, Reader, check_framing};
use crate::pipeline;
use crate::store::Input;

const LOAD_ERROR: &str = "XGBoost: \"Failed to load parquet data with exception:\n...\"";

/// Checks one Parquet file of the channel.
pub(super) fn check(
    acc: &mut Acc,
    ctx: &FileCtx<'_>,
    input: Input,
    popts: pipeline::Options,
) -> Result<()> {
    let (bytes, _) = crate::format::parquet::read::whole(input)?;
    acc.bytes += bytes.len() as u64;
    let unreadable = |acc: &mut Acc, e: Error| {
        let mut f = Finding::new(Check::ParquetRead, Severity::Error)
            .message(format!("the file is not readable Parquet: {}", e.kind()))
            .sagemaker(sagemaker_load(ctx))
            .fix("re-create the file with a Parquet writer (sm-data convert FILE OUT.parquet, or pyarrow)");
        f.position = e.position().clone();
        f.position.file = Some(ctx.name.to_string());
        acc.push(f);
    };
    if let Err(e) = check_framing(&bytes) {
        unreadable(acc, e);
        return Ok(());
    }
    let meta = match ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()) {
        Ok(m) => m,
        Err(e) => {
            let at = footer_start(&bytes);
            unreadable(acc, Error::syntax("parquet", e.to_string()).at_byte(at));
            return Ok(());
        }
    };
    let footer = footer_start(&bytes);
    let columns: Vec<(String, DataType)> = meta
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    check_schema_matches(acc, ctx, &columns, footer);
    let rows = meta.metadata().file_metadata().num_rows().max(0) as u64;
    if rows == 0 {
        acc.push(
            Finding::new(Check::EmptyFile, Severity::Warning)
                .file(ctx.name)
                .message("the Parquet file holds no rows")
                .sagemaker("the file adds no records")
                .fix(format!("delete {} or fill it", ctx.name)),
        );
    }
    match ctx.rules.schema {
        Schema::Deepar => {
            let fields = check_deepar(acc, ctx, &columns, footer);
            check_deepar_compression(acc, ctx, &meta);
            match fields {
                Some(fields) => check_deepar_rows(acc, ctx, bytes, &meta, &fields, popts),
                None => {
                    acc.stats.records += rows;
                    Ok(())
                }
            }
        }
        _ => check_numeric(acc, ctx, bytes, &columns, footer, popts),
    }
}

/// Where the footer (and the schema it holds) starts.
fn footer_start(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().expect("4 bytes")) as u64;
    (n as u64).saturating_sub(8 + len)
}

fn sagemaker_load(ctx: &FileCtx<'_>) -> String {
    if ctx.rules.xgboost {
        LOAD_ERROR.to_string()
    } else {
        format!("{} cannot read the file", ctx.algorithm.title())
    }
}

/// Numbers XGBoost's numpy conversion takes (and the Reader decodes).
fn is_numeric(dt: &DataType) -> bool {
    match dt {
        DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..) => true,
        DataType::Dictionary(_, v) => is_numeric(v),
        _ => false,
    }
}

fn list_item(dt: &DataType) -> Option<&DataType> {
    match dt {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            Some(f.data_type())
        }
        _ => None,
    }
}

/// Whether every value of type `from` has an exact value of type `to`
/// (the same type, integer widening, integers of up to 24 or 53 bits to
/// `Float32` or `Float64`, `Float32` to `Float64`): pyarrow's safe cast
/// then never fails. Casts that depend on the values (a double with a
/// fraction to an integer, an int64 beyond 2^53 to a double) are not.
fn casts_exactly(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    // (signed, bits) of an integer type.
    let int = |t: &DataType| match t {
        Int8 => Some((true, 8)),
        Int16 => Some((true, 16)),
        Int32 => Some((true, 32)),
        Int64 => Some((true, 64)),
        UInt8 => Some((false, 8)),
        UInt16 => Some((false, 16)),
        UInt32 => Some((false, 32)),
        UInt64 => Some((false, 64)),
        _ => None,
    };
    if from == to {
        return true;
    }
    match (int(from), int(to), to) {
        (Some((fs, fb)), Some((ts, tb)), _) => (fs == ts && tb > fb) || (!fs && ts && tb > fb),
        (Some((_, fb)), None, Float64) => fb <= 32,
        (Some((_, fb)), None, Float32) => fb <= 16,
        _ => matches!(
            (from, to),
            (Float32, Float64) | (Float16, Float32 | Float64)
        ),
    }
}

fn describe(columns: &[(String, DataType)]) -> String {
    let shown: Vec<String> = columns
        .iter()
        .take(8)
        .map(|(n, t)| format!("{n} {t}"))
        .collect();
    let more = columns.len().saturating_sub(8);
    if more > 0 {
        format!("{}, and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Every file of the channel must have the first file's columns (names,
/// order and types): pyarrow's `read_table` of a folder reads each file
/// with the first one's schema. A type it casts exactly whatever the
/// values is a warning; anything else an error (it fails, or drops or
/// invents columns).
fn check_schema_matches(
    acc: &mut Acc,
    ctx: &FileCtx<'_>,
    columns: &[(String, DataType)],
    footer: u64,
) {
    let Some((first, want)) = &acc.parquet_schema else {
        acc.parquet_schema = Some((ctx.name.to_string(), columns.to_vec()));
        return;
    };
    if want.as_slice() == columns {
        return;
    }
    let what = if want.len() != columns.len() {
        format!(
            "this file has {} columns ({}), but the first file ({first}) has {} ({})",
            columns.len(),
            describe(columns),
            want.len(),
            describe(want)
        )
    } else {
        let (i, (have, expect)) = columns
            .iter()
            .zip(want.iter())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .expect("the schemas differ");
        format!(
            "column {} is {:?} {}, but in the first file ({first}) it is {:?} {}",
            i + 1,
            have.0,
            have.1,
            expect.0,
            expect.1
        )
    };
    // Same columns, and each type that differs casts to the first file's
    // exactly, whatever the values: pyarrow reads the file (a warning).
    let exact = want.len() == columns.len()
        && columns
            .iter()
            .zip(want.iter())
            .all(|(have, expect)| have.0 == expect.0 && casts_exactly(&have.1, &expect.1));
    let (sev, what) = if exact {
        (
            Severity::Warning,
            format!("{what}: read_table casts it exactly, every value fits"),
        )
    } else {
        (Severity::Error, what)
    };
    let f = Finding::new(Check::ParquetSchema, sev)
        .file(ctx.name)
        .byte(footer)
        .message(what)
        .sagemaker(if ctx.rules.xgboost {
            format!(
                "pyarrow's read_table reads every file with the first file's schema: columns a later file adds are dropped, missing ones become missing values, other types are cast, and a lossy cast fails: {LOAD_ERROR} (ArrowInvalid)"
            )
        } else {
            format!(
                "{} reads every file of the channel with one schema",
                ctx.algorithm.title()
            )
        })
        .fix("write every file of the channel with the same columns, in the same order and of the same types");
    acc.push(f);
}

/// XGBoost (and `generic`): column 0 the label, every column a number, no
/// missing label; statistics from every row.
fn check_numeric(
    acc: &mut Acc,
    ctx: &FileCtx<'_>,
    bytes: Bytes,
    columns: &[(String, DataType)],
    footer: u64,
    popts: pipeline::Options,
) -> Result<()> {
    if columns.is_empty() {
        return Ok(());
    }
    let xgb = ctx.rules.xgboost;
    // Format checks only: sm-data's tensor layout (list columns) is fine.
    let tensor = !xgb && columns.iter().any(|c| list_item(&c.1).is_some());
    let mut excluded = Vec::new();
    for (i, (name, dt)) in columns.iter().enumerate() {
        if is_numeric(dt) || tensor {
            continue;
        }
        excluded.push(name.clone());
        let label = i == 0;
        let list = list_item(dt).is_some();
        let fix = if label {
            "put the numeric label in column 0 (XGBoost takes the first column as the label): sm-data convert FILE FIXED.parquet --label-column NAME".to_string()
        } else {
            format!(
                "drop the column: sm-data convert {} FIXED.parquet --exclude-columns {name}",
                ctx.name
            )
        };
        acc.push(
            Finding::new(Check::ParquetColumn, Severity::Error)
                .file(ctx.name)
                .field(i)
                .byte(footer)
                .message(format!(
                    "{}column {:?} has type {dt}, not a number{}",
                    if label { "the label " } else { "" },
                    name,
                    if list && !xgb {
                        " (list columns are read as the tensor layout only when they are the features)"
                    } else {
                        ""
                    }
                ))
                .sagemaker(if xgb {
                    format!(
                        "{LOAD_ERROR} (every column must be numeric: \"could not convert string to float\")"
                    )
                } else {
                    format!("{} reads numeric columns only", ctx.algorithm.title())
                })
                .fix(fix),
        );
    }
    // The numeric columns are still read for the label check and the
    // statistics; XGBoost's label is column 0 whatever it is.
    let label_ok = is_numeric(&columns[0].1) || tensor;
    let popts_pq = if tensor {
        ParquetOptions::default()
    } else {
        ParquetOptions {
            layout: Some(Layout::Wide),
            label: Some(if label_ok {
                LabelColumn::Index(0)
            } else {
                LabelColumn::None
            }),
            exclude: excluded,
            ..ParquetOptions::default()
        }
    };
    let reader = match Reader::from_bytes(bytes, ctx.name.to_string(), &popts_pq) {
        Ok(r) => r,
        Err(e) if matches!(e.kind(), ErrorKind::Io(_) | ErrorKind::Internal(_)) => return Err(e),
        Err(e) => {
            let mut f = Finding::new(Check::ParquetRead, Severity::Error)
                .message(e.kind().to_string())
                .sagemaker(sagemaker_load(ctx))
                .fix("re-create the file with a Parquet writer (sm-data convert FILE OUT.parquet)");
            f.position = e.position().clone();
            f.position.file = Some(ctx.name.to_string());
            acc.push(f);
            return Ok(());
        }
    };
    let offsets: Vec<u64> = (0..reader.num_row_groups())
        .map(|rg| reader.row_group_offset(rg))
        .collect();
    let max = ctx.max;
    let run_group = |rg: usize| -> Result<Work> {
        let mut w = Work::new(max);
        let mut batch = Batch::default();
        reader.read_row_group(rg, &mut batch, &mut |b, first| {
            check_batch(ctx, b, first, rg, offsets[rg], label_ok, &mut w);
            Ok(())
        })?;
        Ok(w)
    };
    row_groups(acc, ctx, reader.num_row_groups(), popts, run_group)
}

/// Runs `run_group` on every row group, in parallel, a window of them at
/// a time (bounded memory), and absorbs what each found in file order. A
/// row group that cannot be decoded ends the file with a `parquet-read`
/// finding.
fn row_groups(
    acc: &mut Acc,
    ctx: &FileCtx<'_>,
    groups: usize,
    popts: pipeline::Options,
    run_group: impl Fn(usize) -> Result<Work> + Sync,
) -> Result<()> {
    let threads = if popts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        popts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("sm-data-validate-pq-{i}"))
        .build()
        .map_err(|e| Error::config(format!("cannot start {threads} worker threads: {e}")))?;
    let window = threads + 1;
    let mut rg = 0;
    while rg < groups {
        let end = (rg + window).min(groups);
        let results: Vec<Result<Work>> =
            pool.install(|| (rg..end).into_par_iter().map(&run_group).collect());
        for r in results {
            match r {
                Ok(w) => acc.absorb(ctx, (0, 0), w),
                Err(e) if matches!(e.kind(), ErrorKind::Io(_) | ErrorKind::Internal(_)) => {
                    return Err(e);
                }
                Err(e) => {
                    let mut f = Finding::new(Check::ParquetRead, Severity::Error)
                        .message(format!("{}; the rest of the file cannot be read", e.kind()))
                        .sagemaker(sagemaker_load(ctx))
                        .fix("re-create the file with a Parquet writer (sm-data convert FILE OUT.parquet)");
                    f.position = e.position().clone();
                    f.position.file = Some(ctx.name.to_string());
                    acc.push(f);
                    return Ok(());
                }
            }
        }
        rg = end;
    }
    Ok(())
}

/// One decoded record batch: labels, values, statistics.
fn check_batch(
    ctx: &FileCtx<'_>,
    b: &Batch,
    first: u64,
    rg: usize,
    at: u64,
    label_ok: bool,
    w: &mut Work,
) {
    let n = b.row_ends.len();
    w.records += n as u64;
    w.stats.records += n as u64;
    let mut start = 0;
    for i in 0..n {
        let end = b.row_ends[i];
        let row = &b.values[start..end];
        start = end;
        w.stats.dim = w.stats.dim.max(row.len() as u64);
        for &v in row {
            w.stats.value(v);
        }
        if !label_ok {
            continue;
        }
        let lo = if i == 0 { 0 } else { b.label_ends[i - 1] };
        let Some(&label) = b.labels[lo..b.label_ends[i]].first() else {
            continue;
        };
        if label.is_finite() {
            // One record of the batch, all counted in `records` above.
            w.stats.labels(label, 1);
            continue;
        }
        let record = first + i as u64;
        let xgb = ctx.rules.xgboost;
        add_label_finding(&mut w.out, ctx, record, rg, at, label, xgb);
    }
}

fn add_label_finding(
    out: &mut Collector,
    ctx: &FileCtx<'_>,
    record: u64,
    rg: usize,
    at: u64,
    label: f64,
    xgb: bool,
) {
    out.add(Check::ParquetLabel, Severity::Error, || {
        let what = if label.is_nan() {
            "null (or NaN)".to_string()
        } else {
            format!("{label}")
        };
        Finding::new(Check::ParquetLabel, Severity::Error)
            .record(record)
            .field(0)
            .byte(at)
            .message(format!(
                "the label (column 0) is {what} in row group {rg}: every record needs a finite label"
            ))
            .sagemaker(if xgb {
                "XGBoost: \"Label contains NaN, infinity or a value too large.\" when it builds the DMatrix".to_string()
            } else {
                format!("{} needs a label in every record", ctx.algorithm.title())
            })
            .fix("fill or drop the rows without a label before writing the file")
    });
}

/// DeepAR's documentation lists gzip and snappy for Parquet (spec §7):
/// another codec in any column chunk is a warning, named once per file.
fn check_deepar_compression(acc: &mut Acc, ctx: &FileCtx<'_>, meta: &ArrowReaderMetadata) {
    use parquet::basic::Compression;
    let other = meta
        .metadata()
        .row_groups()
        .iter()
        .flat_map(|rg| rg.columns())
        .find(|c| {
            !matches!(
                c.compression(),
                Compression::UNCOMPRESSED | Compression::SNAPPY | Compression::GZIP(_)
            )
        });
    if let Some(c) = other {
        let codec = format!("{:?}", c.compression());
        let codec = codec.split('(').next().unwrap_or_default().to_string();
        acc.push(
            Finding::new(Check::ParquetCompression, Severity::Warning)
                .file(ctx.name)
                .byte(c.byte_range().0)
                .message(format!(
                    "column {:?} is compressed with {codec}",
                    c.column_path().string()
                ))
                .sagemaker("DeepAR's documentation lists gzip and snappy compression for Parquet; other codecs are not documented to work")
                .fix(format!(
                    "rewrite it with snappy: pyarrow.parquet.write_table(pyarrow.parquet.read_table('{}'), 'FIXED.parquet', compression='snappy')",
                    ctx.name
                )),
        );
    }
}

/// DeepAR's fields in the schema: the columns whose types are right, for
/// the row checks (`None` when there is no usable `target`).
fn check_deepar(
    acc: &mut Acc,
    ctx: &FileCtx<'_>,
    columns: &[(String, DataType)],
    footer: u64,
) -> Option<Deepar<Option<usize>>> {
    let mut fields = Deepar::<Option<usize>>::default();
    let find = |n: &str| columns.iter().position(|c| c.0 == n);
    let base = |check: Check, i: Option<usize>| {
        let f = Finding::new(check, Severity::Error)
            .file(ctx.name)
            .byte(footer)
            .sagemaker("DeepAR fails to read the series (it expects the fields start, target, and optionally cat and dynamic_feat)");
        match i {
            Some(i) => f.field(i),
            None => f,
        }
    };
    let is_int = |dt: &DataType| {
        matches!(
            dt,
            DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
        )
    };
    match find("start") {
        None => acc.push(
            base(Check::DeeparStart, None)
                .message(format!(
                    "there is no 'start' column (columns: {})",
                    describe(columns)
                ))
                .fix("add a 'start' column: a string 'YYYY-MM-DD HH:MM:SS' or a timestamp"),
        ),
        Some(i) => {
            let dt = &columns[i].1;
            if !matches!(
                dt,
                DataType::Utf8
                    | DataType::LargeUtf8
                    | DataType::Utf8View
                    | DataType::Timestamp(..)
                    | DataType::Date32
                    | DataType::Date64
            ) {
                acc.push(
                    base(Check::DeeparStart, Some(i))
                        .message(format!(
                            "'start' has type {dt}, not a string or a timestamp"
                        ))
                        .fix("write 'start' as a string 'YYYY-MM-DD HH:MM:SS' or a timestamp"),
                );
            } else {
                fields.start = Some(i);
            }
        }
    }
    match find("target") {
        None => acc.push(
            base(Check::DeeparTarget, None)
                .message(format!(
                    "there is no 'target' column (columns: {})",
                    describe(columns)
                ))
                .fix("add a 'target' column: a list of numbers (nulls allowed)"),
        ),
        Some(i) => {
            let dt = &columns[i].1;
            if !list_item(dt).is_some_and(is_numeric) {
                acc.push(
                    base(Check::DeeparTarget, Some(i))
                        .message(format!("'target' has type {dt}, not a list of numbers"))
                        .fix("write 'target' as a list of numbers (list<double>)"),
                );
            } else {
                fields.target = Some(i);
            }
        }
    }
    if let Some(i) = find("cat") {
        let dt = &columns[i].1;
        if !(is_int(dt) || list_item(dt).is_some_and(is_int)) {
            acc.push(
                base(Check::DeeparCat, Some(i))
                    .message(format!("'cat' has type {dt}, not a list of integers"))
                    .fix("write 'cat' as a list of non-negative integers (list<int64>)"),
            );
        } else {
            fields.cat = Some(i);
        }
    }
    if let Some(i) = find("dynamic_feat") {
        let dt = &columns[i].1;
        if !list_item(dt).and_then(list_item).is_some_and(is_numeric) {
            acc.push(
                base(Check::DeeparDynamicFeat, Some(i))
                    .message(format!("'dynamic_feat' has type {dt}, not a list of lists of numbers"))
                    .fix("write 'dynamic_feat' as list<list<double>>, one list per feature, each as long as 'target'"),
            );
        } else {
            fields.dynamic_feat = Some(i);
        }
    }
    fields.target.is_some().then_some(fields)
}

/// One thing per DeepAR field: the column index (`None`: absent or of
/// the wrong type; `target` is always there for the row checks), its
/// first leaf, where its column chunk starts in a row group, its decoded
/// column.
#[derive(Debug, Default)]
struct Deepar<T> {
    start: T,
    target: T,
    cat: T,
    dynamic_feat: T,
}

impl<T> Deepar<T> {
    fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> Deepar<U> {
        Deepar {
            start: f(&self.start),
            target: f(&self.target),
            cat: f(&self.cat),
            dynamic_feat: f(&self.dynamic_feat),
        }
    }
}

/// DeepAR series row by row, as the JSON Lines checks read them: `start`
/// present and a date that exists, `target` present and not empty, `cat`
/// non-negative and of one length, `dynamic_feat` without missing values,
/// as long as `target` and of one count; the statistics and hints
/// (`cardinality`, `num_dynamic_feat`, series lengths). Row groups are
/// decoded in parallel.
fn check_deepar_rows(
    acc: &mut Acc,
    ctx: &FileCtx<'_>,
    bytes: Bytes,
    meta: &ArrowReaderMetadata,
    fields: &Deepar<Option<usize>>,
    popts: pipeline::Options,
) -> Result<()> {
    use parquet::arrow::ProjectionMask;
    let mut roots: Vec<usize> = [fields.target, fields.start, fields.cat, fields.dynamic_feat]
        .into_iter()
        .flatten()
        .collect();
    roots.sort_unstable();
    let mask = ProjectionMask::roots(meta.parquet_schema(), roots);
    let names: Vec<String> = meta
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    // The first leaf of each root column, for the byte offsets.
    let leaf = |root: usize| {
        meta.parquet_schema()
            .columns()
            .iter()
            .position(|c| c.path().parts().first() == Some(&names[root]))
    };
    let leaves = fields.map(|c| c.and_then(leaf));
    let mut firsts = Vec::with_capacity(meta.metadata().num_row_groups());
    let mut row = 0u64;
    for rg in meta.metadata().row_groups() {
        firsts.push(row);
        row += rg.num_rows().max(0) as u64;
    }
    let max = ctx.max;
    let run_group = |rg: usize| -> Result<Work> {
        let mut w = Work::new(max);
        let group = meta.metadata().row_group(rg);
        let at = |l: Option<usize>| l.map_or(0, |l| column_start(group.column(l)));
        let offsets = leaves.map(|&l| at(l));
        let reader =
            crate::format::parquet::read::batches(&bytes, meta, vec![rg], mask.clone(), 4096)
                .map_err(|e| Error::syntax("parquet", e.to_string()).at_byte(offsets.target))?;
        let mut record = firsts[rg];
        let mut key = String::new();
        for batch in reader {
            let batch = batch
                .map_err(|e| Error::syntax("parquet", e.to_string()).at_byte(offsets.target))?;
            let column = |name: Option<usize>| name.and_then(|i| batch.column_by_name(&names[i]));
            let cols = fields.map(|&c| column(c));
            for i in 0..batch.num_rows() {
                deepar_row(ctx, &cols, fields, &offsets, i, record, &mut key, &mut w);
                record += 1;
            }
        }
        Ok(w)
    };
    row_groups(acc, ctx, meta.metadata().num_row_groups(), popts, run_group)
}

/// Row `i` of a list column (`None`: null).
fn list_at(a: &dyn arrow_array::Array, i: usize) -> Option<arrow_array::ArrayRef> {
    use arrow_array::cast::AsArray;
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::List(_) => Some(a.as_list::<i32>().value(i)),
        DataType::LargeList(_) => Some(a.as_list::<i64>().value(i)),
        DataType::FixedSizeList(..) => Some(a.as_fixed_size_list().value(i)),
        _ => None,
    }
}

/// Item `i` of an integer array (`None`: null, or not an integer type).
fn int_at(a: &dyn arrow_array::Array, i: usize) -> Option<i128> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Int8 => a.as_primitive::<Int8Type>().value(i) as i128,
        DataType::Int16 => a.as_primitive::<Int16Type>().value(i) as i128,
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i) as i128,
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i) as i128,
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i) as i128,
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(i) as i128,
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i) as i128,
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(i) as i128,
        _ => return None,
    })
}

/// Row `i` of a string column (`None`: null or not a string type).
fn str_at(a: &dyn arrow_array::Array, i: usize) -> Option<&str> {
    use arrow_array::cast::AsArray;
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(i)),
        DataType::Utf8View => Some(a.as_string_view().value(i)),
        _ => None,
    }
}

/// Checks series `i` of a batch (record `record` of the file) and counts
/// it.
#[allow(clippy::too_many_arguments)]
fn deepar_row(
    ctx: &FileCtx<'_>,
    cols: &Deepar<Option<&arrow_array::ArrayRef>>,
    fields: &Deepar<Option<usize>>,
    at: &Deepar<u64>,
    i: usize,
    record: u64,
    key: &mut String,
    w: &mut Work,
) {
    use super::jsonl::{NO_CAT, NO_DYNAMIC_FEAT, cat_key, dynamic_feat_key, start_error};
    let max = ctx.max;
    w.records += 1;
    w.stats.records += 1;
    let finding = |check: Check, field: Option<usize>, byte: u64| {
        let f = Finding::new(check, Severity::Error)
            .record(record)
            .byte(byte);
        match field {
            Some(c) => f.field(c),
            None => f,
        }
    };
    let site = |byte: u64| {
        move || super::finding::Site {
            line: None,
            record,
            byte,
            snippet: None,
        }
    };
    if let Some(a) = cols.start {
        let problem = if a.is_null(i) {
            Some("the series has no 'start' (null)".to_string())
        } else {
            str_at(a.as_ref(), i).and_then(|s| start_error(s).map(|e| e.message(s)))
        };
        if let Some(p) = problem {
            w.out.add(Check::DeeparStart, Severity::Error, || {
                finding(Check::DeeparStart, fields.start, at.start)
                    .message(p)
                    .sagemaker("DeepAR needs 'start' as \"YYYY-MM-DD HH:MM:SS\" without a time zone (or a timestamp); the job fails to read the series")
                    .fix("give every series a start: \"2024-01-31 00:00:00\"")
            });
        }
    }
    let target = cols.target.and_then(|a| list_at(a.as_ref(), i));
    let target_len = match &target {
        Some(t) if !t.is_empty() => Some(t.len()),
        other => {
            let empty = other.is_some();
            w.out.add(Check::DeeparTarget, Severity::Error, || {
                finding(Check::DeeparTarget, fields.target, at.target)
                    .message(if empty {
                        "'target' is empty"
                    } else {
                        "the series has no 'target' (null)"
                    })
                    .sagemaker("DeepAR needs a non-empty 'target' array in every series")
                    .fix("give every series a non-empty 'target' list (null items mark missing values)")
            });
            None
        }
    };
    if let Some(n) = target_len {
        w.stats.seq(n as u64);
    }
    key.clear();
    let cat = cols.cat.and_then(|a| {
        if a.is_null(i) {
            None
        } else if list_item(a.data_type()).is_some() {
            list_at(a.as_ref(), i)
        } else {
            Some(a.slice(i, 1))
        }
    });
    match cat {
        None => key.push_str(NO_CAT),
        Some(c) => {
            let bad = (0..c.len()).find_map(|j| match int_at(c.as_ref(), j) {
                Some(v) if v >= 0 => None,
                Some(v) => Some((j, v.to_string())),
                None => Some((j, "null".to_string())),
            });
            match bad {
                Some((j, v)) => w.out.add(Check::DeeparCat, Severity::Error, || {
                    finding(Check::DeeparCat, fields.cat, at.cat)
                        .message(format!("cat[{j}] is {v}, not a non-negative integer"))
                        .sagemaker("DeepAR reads categorical features as 0-based integers and fails on other values")
                        .fix("encode each categorical feature as 0, 1, 2, ...")
                }),
                None => {
                    let card = &mut w.stats.cardinality;
                    if card.len() < c.len() {
                        card.resize(c.len(), 0);
                    }
                    for (j, slot) in card.iter_mut().enumerate().take(c.len()) {
                        let v = int_at(c.as_ref(), j).unwrap_or(0);
                        *slot = (*slot).max(u64::try_from(v).unwrap_or(u64::MAX).saturating_add(1));
                    }
                }
            }
            cat_key(key, c.len());
        }
    }
    w.tally(Check::DeeparCatLength, key, max, site(at.cat));
    key.clear();
    match cols.dynamic_feat.and_then(|a| list_at(a.as_ref(), i)) {
        None => key.push_str(NO_DYNAMIC_FEAT),
        Some(feats) => {
            w.stats.dynamic_feat = w.stats.dynamic_feat.max(Some(feats.len() as u64));
            for f in 0..feats.len() {
                let problem = match list_at(feats.as_ref(), f) {
                    None => Some(format!("dynamic_feat[{f}] is null, not a list of numbers")),
                    Some(vals) if vals.null_count() > 0 => {
                        let j = (0..vals.len()).find(|&j| vals.is_null(j)).unwrap_or(0);
                        Some(format!("dynamic_feat[{f}][{j}] is null, not a number"))
                    }
                    Some(vals) => target_len.filter(|&t| vals.len() < t).map(|t| {
                        format!(
                            "dynamic_feat[{f}] has {} values, fewer than the {t} of 'target'",
                            vals.len()
                        )
                    }),
                };
                if let Some(p) = problem {
                    w.out.add(Check::DeeparDynamicFeat, Severity::Error, || {
                        finding(Check::DeeparDynamicFeat, fields.dynamic_feat, at.dynamic_feat)
                            .message(p)
                            .sagemaker("DeepAR needs every dynamic feature as long as 'target' (training), with a number at every time step")
                            .fix("write one list of numbers per dynamic feature, as long as 'target'")
                    });
                    break;
                }
            }
            dynamic_feat_key(key, feats.len());
        }
    }
    w.tally(
        Check::DeeparDynamicFeatCount,
        key,
        max,
        site(at.dynamic_feat),
    );
}
