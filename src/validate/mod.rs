//! `validate`: find what would fail a SageMaker training job before it
//! starts (spec §7, §8; users' pain point 3).
//!
//! Unlike the containers' first-line sniffing, every record of every file is
//! checked, in parallel chunks on the same pipeline as `convert` and
//! `count`. Each [`Finding`] names its [`Check`], file, line or record, byte
//! offset and the offending text, says what SageMaker would do with it
//! (quoting the container's message where the spec records it) and how to
//! fix it. At most [`Options::max_per_kind`] findings are kept per check;
//! [`Report::counts`] has the totals. A clean validation also yields
//! [`Stats`]: `feature_dim`, record count, labels, sparsity and the
//! hyperparameters they determine.
//!
//! Which rules apply is a table: [`Algorithm::accepts`] lists, per
//! algorithm, the [`InputKind`]s it trains on and the [`Rules`] for each.
//!
//! ```
//! use sm_data::validate::{validate, Algorithm, Options};
//! let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/csv/dense.csv");
//! let report = validate(&[csv.to_string()], &Options::new(Algorithm::LinearLearner))?;
//! assert!(report.is_clean());
//! assert_eq!(report.stats.feature_dim, 5);
//! # Ok::<(), sm_data::Error>(())
//! ```

use std::collections::BTreeMap;
use std::io::Read;

use crate::codec::Framer;
use crate::codec::lines::LineFramer;
use crate::codec::recordio;
use crate::error::{Error, ErrorKind, Position, Result};
use crate::pipeline::{self, Chunk, Chunker, Counted};
use crate::store::Input;

mod files;
mod finding;
mod jsongrammar;
mod jsonl;
mod jsonscan;
mod number;
#[cfg(feature = "parquet")]
mod parquet;
mod records;
mod stats;
mod table;
mod text;

pub use files::Object;
pub use finding::{Check, Finding, Severity};
pub use stats::{Hint, MAX_CLASSES, Stats};
pub use table::{Accepts, Algorithm, ContentType, InputKind, LabelRule, Rules, Schema};

/// The whole-chunk JSON Lines scan of the syntax-only checks, for the
/// fuzz target that holds it to `serde_json`: `(start, end, verdict)` for
/// every line of `data` (the newline excluded), the verdict `"blank"`,
/// `"clean"` (one valid JSON object) or `"unsure"` (checked line by line).
#[doc(hidden)]
pub fn json_lines_scan(data: &[u8]) -> Vec<(usize, usize, &'static str)> {
    let mut out = Vec::new();
    jsonscan::json_lines(data, &mut |start, end, v| {
        out.push((
            start,
            end,
            match v {
                jsonscan::Verdict::Blank => "blank",
                jsonscan::Verdict::Clean => "clean",
                jsonscan::Verdict::Unsure => "unsure",
            },
        ));
    });
    out
}

use finding::{Collector, Site, Tally};

/// Options of a validation.
#[derive(Debug, Clone)]
pub struct Options {
    /// The algorithm whose rules apply.
    pub algorithm: Algorithm,
    /// The channel's `ContentType` (`text/csv;label_size=0`); when `None`,
    /// each file's format comes from its extension or content.
    pub content_type: Option<String>,
    /// Findings kept per check (the rest are counted).
    pub max_per_kind: usize,
    /// Parallelism and chunking.
    pub pipeline: pipeline::Options,
}

impl Options {
    /// Defaults for `algorithm`: 10 findings per check, all cores.
    pub fn new(algorithm: Algorithm) -> Options {
        Options {
            algorithm,
            content_type: None,
            max_per_kind: 10,
            pipeline: pipeline::Options::default(),
        }
    }
}

/// The result of a validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The algorithm checked for.
    pub algorithm: Algorithm,
    /// The content type given, if any.
    pub content_type: Option<String>,
    /// Each file read and the input kind it was checked as.
    pub files: Vec<(String, InputKind)>,
    /// Findings kept (at most `max_per_kind` per check), grouped by check
    /// in input order.
    pub findings: Vec<Finding>,
    /// Per check: (errors, warnings) found in all, kept or not.
    pub counts: BTreeMap<Check, (u64, u64)>,
    /// What the data holds.
    pub stats: Stats,
}

impl Report {
    /// Number of error findings.
    pub fn errors(&self) -> u64 {
        self.counts.values().map(|c| c.0).sum()
    }

    /// Number of warning findings.
    pub fn warnings(&self) -> u64 {
        self.counts.values().map(|c| c.1).sum()
    }

    /// True when no error was found (warnings allowed).
    pub fn is_clean(&self) -> bool {
        self.errors() == 0
    }
}

/// Per-file facts the chunk checkers read.
pub(crate) struct FileCtx<'a> {
    pub(crate) name: &'a str,
    pub(crate) rules: Rules,
    pub(crate) algorithm: Algorithm,
    pub(crate) max: usize,
    /// CSV: the delimiter the file uses.
    pub(crate) delimiter: u8,
    /// CSV: label columns at the start of each row.
    pub(crate) label_size: usize,
    /// LibSVM (XGBoost): lines starting before this offset are checked as
    /// strictly as the container's validator does.
    pub(crate) strict_until: u64,
}

/// What a chunk checker reports.
pub(crate) struct Work {
    pub(crate) records: u64,
    pub(crate) lines: u64,
    pub(crate) out: Collector,
    pub(crate) tallies: BTreeMap<Check, Tally>,
    pub(crate) stats: stats::Part,
    /// The chunk's last byte is a newline.
    pub(crate) ends_with_newline: bool,
    /// Absolute offset of the start of the chunk's last line.
    pub(crate) last_line: u64,
}

impl Work {
    pub(crate) fn new(max: usize) -> Work {
        Work {
            records: 0,
            lines: 0,
            out: Collector::new(max),
            tallies: BTreeMap::new(),
            stats: stats::Part::default(),
            ends_with_newline: true,
            last_line: 0,
        }
    }

    /// Tallies `key` for consistency check `check`.
    #[inline]
    pub(crate) fn tally(
        &mut self,
        check: Check,
        key: &str,
        max: usize,
        site: impl FnOnce() -> Site,
    ) {
        self.tallies.entry(check).or_default().add(key, max, site);
    }
}

impl Counted for Work {
    fn records(&self) -> u64 {
        self.records
    }
    fn lines(&self) -> u64 {
        self.lines
    }
}

/// The whole-run accumulator.
struct Acc {
    alg: Algorithm,
    max: usize,
    kept: BTreeMap<Check, Vec<Finding>>,
    counts: BTreeMap<Check, (u64, u64)>,
    expected: BTreeMap<Check, (String, Position)>,
    stats: stats::Part,
    files: Vec<(String, InputKind)>,
    bytes: u64,
    /// A content-type finding was made for this kind already.
    kinds_reported: Vec<InputKind>,
    /// A finding about the CSV `label_size` was made already: the
    /// `csv-label-size` warning (unsupervised) or the `label-missing` error
    /// for `label_size=0` (supervised); one run can only give one of them,
    /// once.
    label_size_reported: bool,
    /// Parquet: the first file's name and columns (names and types).
    #[cfg(feature = "parquet")]
    parquet_schema: Option<(String, Vec<(String, arrow_schema::DataType)>)>,
}

impl Acc {
    fn push(&mut self, f: Finding) {
        let c = self.counts.entry(f.check).or_default();
        match f.severity {
            Severity::Error => c.0 += 1,
            Severity::Warning => c.1 += 1,
        }
        let kept = self.kept.entry(f.check).or_default();
        if kept.len() < self.max {
            kept.push(f);
        }
    }

    /// Takes in a chunk's results; `bases` are the file's records and
    /// lines before the chunk.
    fn absorb(&mut self, ctx: &FileCtx<'_>, bases: (u64, u64), w: Work) {
        let shift = |mut f: Finding| {
            let p = &mut f.position;
            p.file = Some(ctx.name.to_string());
            if let Some(r) = p.record.as_mut() {
                *r += bases.0;
            }
            if let Some(l) = p.line.as_mut() {
                *l += bases.1;
            }
            f
        };
        for (check, (e, wn)) in w.out.counts {
            let c = self.counts.entry(check).or_default();
            c.0 += e;
            c.1 += wn;
        }
        for f in w.out.findings {
            let f = shift(f);
            let kept = self.kept.entry(f.check).or_default();
            if kept.len() < self.max {
                kept.push(f);
            }
        }
        for (check, tally) in w.tallies {
            if let std::collections::btree_map::Entry::Vacant(slot) = self.expected.entry(check) {
                let first = tally
                    .entries
                    .iter()
                    .filter_map(|e| e.2.first().map(|s| (s.record, &e.0, s)))
                    .min_by_key(|x| x.0);
                if let Some((_, key, site)) = first {
                    let pos = Position {
                        file: Some(ctx.name.to_string()),
                        record: site.line.is_none().then_some(site.record + bases.0),
                        line: site.line.map(|l| l + bases.1),
                        byte: Some(site.byte),
                        field: None,
                    };
                    slot.insert((key.clone(), pos));
                }
            }
            let Some((want, at)) = self.expected.get(&check).cloned() else {
                continue;
            };
            let mut sites: Vec<(&str, &Site)> = Vec::new();
            for (key, count, s) in &tally.entries {
                if *key == want {
                    continue;
                }
                let sev = tally_severity(check, ctx.rules);
                let c = self.counts.entry(check).or_default();
                match sev {
                    Severity::Error => c.0 += count,
                    Severity::Warning => c.1 += count,
                }
                sites.extend(s.iter().map(|s| (key.as_str(), s)));
            }
            sites.sort_by_key(|s| s.1.record);
            for (key, s) in sites {
                let kept = self.kept.entry(check).or_default();
                if kept.len() >= self.max {
                    break;
                }
                let mut f = tally_finding(check, key, &want, &at, ctx);
                f.severity = tally_severity(check, ctx.rules);
                f.position = Position {
                    file: None,
                    record: s.line.is_none().then_some(s.record),
                    line: s.line,
                    byte: Some(s.byte),
                    field: None,
                };
                f.snippet = s.snippet.clone();
                kept.push(shift(f));
            }
        }
        self.stats.merge(w.stats);
    }
}

fn tally_severity(check: Check, rules: Rules) -> Severity {
    match check {
        // XGBoost makes the whole matrix sparse when any record is.
        Check::ProtobufKindMixed if rules.xgboost || rules.generic => Severity::Warning,
        _ => Severity::Error,
    }
}

/// The finding for a record whose `check` property is `found` where the
/// first record (at `at`) had `want`.
fn tally_finding(
    check: Check,
    found: &str,
    want: &str,
    at: &Position,
    ctx: &FileCtx<'_>,
) -> Finding {
    let f = Finding::new(check, Severity::Error).message(format!(
        "this record has {found}, but the first record ({at}) has {want}"
    ));
    let xgb = ctx.rules.xgboost;
    match check {
        Check::CsvColumns => f
            .sagemaker(if xgb {
                "XGBoost builds its matrix from ragged rows without complaint: short rows get missing values, and columns shift (silently wrong data)"
            } else {
                "the built-in algorithms' CSV reader fails on a row whose column count differs from the first row's"
            })
            .fix("make every row (in every file of the channel) have the same columns; `sm-data convert FILE OUT.csv` reports the first ragged row with its position"),
        Check::CsvDelimiterMixed => f
            .message(format!(
                "this file is separated by {found}, but the first file ({at}) by {want}"
            ))
            .sagemaker("XGBoost sniffs the delimiter of the first file and loads every file with it (spec §8.3); the other files are parsed wrongly")
            .fix(format!(
                "rewrite the file comma-separated: sm-data convert {} FIXED.csv --delimiter {}",
                ctx.name,
                delimiter_flag(ctx.delimiter)
            )),
        Check::ProtobufDtypeMixed => f
            .sagemaker(format!(
                "ml-io: \"... has the data type {found} while it is expected to have the data type {want}\""
            ))
            .fix(format!(
                "re-encode with one tensor type: sm-data convert {} FIXED.pbr --dtype float32",
                ctx.name
            )),
        Check::ProtobufKindMixed => f
            .sagemaker(if xgb {
                "XGBoost makes the whole matrix sparse when any record is sparse (works, but check that this is intended)"
            } else {
                "ml-io: \"... is sparse while it is expected to be dense\" (or the reverse)"
            })
            .fix(format!(
                "write every record the same way: sm-data convert {} FIXED.pbr --sparse (or --dense)",
                ctx.name
            )),
        Check::FeatureDim => f
            .sagemaker("ml-io: \"... has the shape (...) while it is expected to have the shape (...)\"; XGBoost reads the rows with different widths into one matrix (columns shift)")
            .fix(format!(
                "write every record with the same width: sm-data convert {} FIXED.pbr --num-features N",
                ctx.name
            )),
        Check::LabelPartial => f
            .sagemaker("ml-io: \"... has N feature(s) while it is expected to have M\" (label_values missing); XGBoost drops the labels or fails with \"Got input data without labels...\"")
            .fix("give every record a label (or none, for unsupervised algorithms)"),
        Check::DeeparCatLength => f
            .sagemaker("DeepAR requires the same number of categorical features in every series (and as many as `cardinality` has entries)")
            .fix("give every series the same number of 'cat' values"),
        Check::DeeparDynamicFeatCount => f
            .sagemaker("DeepAR requires the same number of dynamic features in every series (`num_dynamic_feat`)")
            .fix("give every series the same number of 'dynamic_feat' arrays"),
        Check::BlazingtextLabel => f
            .sagemaker("BlazingText supervised mode needs a __label__ prefix on every line; word2vec mode reads labels as words")
            .fix("label every line (supervised) or no line (word2vec)"),
        _ => f,
    }
}

fn delimiter_flag(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        b';' => "';'".into(),
        b'|' => "'|'".into(),
        b' ' => "space".into(),
        d => format!("'{}'", d as char),
    }
}

fn delimiter_name(d: u8) -> &'static str {
    match d {
        b',' => "commas",
        b'\t' => "tabs",
        b';' => "semicolons",
        b'|' => "pipes",
        _ => "another character",
    }
}

/// Validates the channel made of `paths` (files or folders) for
/// `opts.algorithm`.
///
/// Each path is a local file or folder, an `s3://` object or prefix
/// (every key that starts with it, as SageMaker's `S3Prefix`), or a
/// `ManifestFile` (a `*.manifest` path, or any file whose content is a
/// manifest: the objects it lists are validated, and a listed object that
/// does not exist is a [`Check::ManifestMissing`] finding).
///
/// Errors (`Err`) mean validation could not run: an unreadable file,
/// folder, object or manifest, a malformed option, or Parquet in a build
/// without the `parquet` feature. Problems in the data are findings in the
/// [`Report`].
pub fn validate(paths: &[String], opts: &Options) -> Result<Report> {
    let alg = opts.algorithm;
    let mut acc = Acc {
        alg,
        max: opts.max_per_kind,
        kept: BTreeMap::new(),
        counts: BTreeMap::new(),
        expected: BTreeMap::new(),
        stats: stats::Part::default(),
        files: Vec::new(),
        bytes: 0,
        kinds_reported: Vec::new(),
        label_size_reported: false,
        #[cfg(feature = "parquet")]
        parquet_schema: None,
    };
    let declared = opts
        .content_type
        .as_deref()
        .map(ContentType::parse)
        .transpose()?;
    let declared_kind = match &declared {
        Some(ct) => check_content_type(&mut acc, ct),
        None => None,
    };
    let label_size = match declared.as_ref().and_then(|c| c.param("label_size")) {
        Some(v) => Some(v.parse::<usize>().map_err(|_| {
            Error::config(format!(
                "label_size must be a non-negative integer, not {v:?}"
            ))
        })?),
        None => None,
    };
    if paths.is_empty() {
        return Err(Error::config("no input given"));
    }
    let mut objects = Vec::new();
    for p in paths {
        let listed = if p.ends_with(".manifest") {
            None
        } else {
            Some(files::list_objects(p)?)
        };
        if is_manifest(p, listed.as_deref())? {
            let (found, missing) = files::manifest_objects(p)?;
            for (element, uri) in missing {
                acc.push(
                    Finding::new(Check::ManifestMissing, Severity::Error)
                        .file(p)
                        .record(element as u64)
                        .message(format!(
                            "the manifest lists {uri} (element {element} of its array), which does not exist"
                        ))
                        .sagemaker("the training job fails when SageMaker cannot download an object of the ManifestFile")
                        .fix(format!(
                            "upload the object, or rebuild the manifest from what exists: sm-data manifest build PREFIX -o {} --force",
                            p.rsplit('/').next().unwrap_or(p)
                        )),
                );
            }
            objects.extend(found);
        } else {
            objects.extend(listed.unwrap_or_default());
        }
    }
    let mut data = Vec::new();
    for o in &objects {
        if channel_checks(&mut acc, o, paths, declared_kind) {
            data.push(o);
        }
    }
    let total: u64 = data.iter().map(|o| o.size).sum();
    let all: u64 = objects.iter().map(|o| o.size).sum();
    if data.is_empty() || total == 0 {
        let xgb = alg == Algorithm::Xgboost;
        acc.push(
            Finding::new(Check::EmptyChannel, Severity::Error)
                .file(&paths.join(" "))
                .message(if objects.is_empty() {
                    "the channel holds no files"
                } else if all == 0 {
                    "every file of the channel is empty"
                } else {
                    "the channel holds no data files (every file is skipped)"
                })
                .sagemaker(if xgb {
                    "XGBoost: \"No data in training channel path ...\" (or \"No data in validation channel path ...\")"
                } else {
                    "the training job fails: the channel has no records"
                })
                .fix("point the channel at the folder or prefix that holds the data"),
        );
    }
    let mut first_kind: Option<(InputKind, String)> = None;
    for o in data {
        let mut input = Input::open(&o.uri)?;
        if alg == Algorithm::Xgboost && is_gzip(&o.uri)? {
            acc.push(
                Finding::new(Check::Compressed, Severity::Error)
                    .file(&o.uri)
                    .byte(0)
                    .message("the file is gzip-compressed (checked below as decompressed)")
                    .sagemaker("XGBoost reads the files as they are: its validator fails to read the first line as text (UnicodeDecodeError) and its CSV/LibSVM parser sees binary data (\"Delimiter ',' is not found in the line\")")
                    .fix(format!("decompress it before the upload: gunzip -k {}", o.uri)),
            );
        }
        let detected = detect_kind(&input, alg);
        let kind = declared_kind.unwrap_or(detected);
        if matches!(kind, InputKind::Csv | InputKind::Libsvm) && cr_only(input.head()) {
            // Every check below works on '\n'-ended lines: the whole file
            // would be one line, and its findings noise.
            acc.push(
                Finding::new(Check::LineEndings, Severity::Error)
                    .file(&o.uri)
                    .line(0)
                    .byte(memchr::memchr(b'\r', input.head()).unwrap_or(0) as u64)
                    .message("the lines end with a carriage return alone ('\\r', classic Mac OS; Excel's \"CSV (Macintosh)\"): the rows were not checked")
                    .sagemaker("XGBoost's parser ends rows at '\\r' too; the other algorithms' readers (and sm-data) see one long row")
                    .fix(format!(
                        "end the lines with '\\n': tr '\\r' '\\n' < {0} > FIXED.{1}, then validate FIXED.{1}",
                        o.uri,
                        ext_of(kind)
                    )),
            );
            acc.files.push((o.uri.clone(), kind));
            acc.bytes += o.size;
            continue;
        }
        if let Some(d) = declared_kind {
            if !check_declared_matches(&mut acc, o, &input, d) {
                // Binary data checked as text (or the reverse) only gives
                // noise: the mismatch finding says it all.
                acc.files.push((o.uri.clone(), d));
                continue;
            }
        } else if let Some((k, f)) = &first_kind
            && *k != kind
        {
            acc.push(
                Finding::new(Check::MixedFormats, Severity::Error)
                    .file(&o.uri)
                    .message(format!("this file looks like {kind}, but {f} looks like {k}"))
                    .sagemaker("a channel has one ContentType: files in another format fail to parse or are read as garbage")
                    .fix(format!(
                        "convert it: sm-data convert {} OUT.{} (or move it to another channel)",
                        o.uri,
                        ext_of(*k)
                    )),
            );
        }
        if first_kind.is_none() {
            first_kind = Some((kind, o.uri.clone()));
        }
        let rules = match alg.rules_for(kind) {
            Some(r) => r,
            None => {
                if declared_kind.is_none() && !acc.kinds_reported.contains(&kind) {
                    acc.kinds_reported.push(kind);
                    acc.push(content_type_finding(
                        alg,
                        &o.uri,
                        kind.content_types()[0],
                        kind,
                    ));
                }
                Rules::generic(kind)
            }
        };
        if alg == Algorithm::Xgboost
            && declared.is_none()
            && kind != InputKind::Libsvm
            && !acc.kinds_reported.contains(&kind)
        {
            acc.kinds_reported.push(kind);
            acc.push(
                Finding::new(Check::ContentTypeDefault, Severity::Warning)
                    .file(&o.uri)
                    .message(format!(
                        "this file is {kind}, and no --content-type was given: XGBoost's default is text/libsvm"
                    ))
                    .sagemaker("with the default content type, XGBoost parses the file as LibSVM: \"Blankspace and colon not found\" (older images) or \"First line '...' of file '...' is not 'LIBSVM' format\"")
                    .fix(format!(
                        "set content_type='{}' on the channel (TrainingInput), and pass --content-type {} here",
                        kind.content_types()[0],
                        kind.content_types()[0]
                    )),
            );
        }
        acc.files.push((o.uri.clone(), kind));
        // `text/csv` means `label_size=1` to every algorithm (spec §7), the
        // unsupervised ones included: column 0 is then a label, not a
        // feature, unless the channel says `label_size=0`. Schemas of their
        // own (IP Insights) have no label column.
        let label_size = match rules.label {
            LabelRule::Required => {
                if label_size == Some(0)
                    && kind == InputKind::Csv
                    && rules.trains_on_labels()
                    && !acc.label_size_reported
                {
                    acc.label_size_reported = true;
                    acc.push(
                        Finding::new(Check::LabelMissing, Severity::Error)
                            .file(&o.uri)
                            .message(format!(
                                "the content type says label_size=0 (no label column), and {} trains on labeled data",
                                alg.title()
                            ))
                            .sagemaker(format!(
                                "{} fails without labels (with label_size=0 every column is a feature)",
                                alg.title()
                            ))
                            .fix("put the label in column 0 and declare text/csv (label_size=1)"),
                    );
                }
                label_size.unwrap_or(1)
            }
            LabelRule::Ignored if kind == InputKind::Csv && rules.schema == Schema::Numeric => {
                if label_size.is_none() && !acc.label_size_reported {
                    acc.label_size_reported = true;
                    acc.push(label_size_finding(alg, &o.uri));
                }
                label_size.unwrap_or(1)
            }
            LabelRule::Ignored => label_size.unwrap_or(0),
        };
        let delimiter = if kind == InputKind::Csv {
            csv_delimiter(&mut acc, &mut input, o, rules)?
        } else {
            b','
        };
        let strict_until = if kind == InputKind::Libsvm && rules.xgboost {
            text::libsvm_strict_until(prefix(&mut input, 256 << 10)?)
        } else {
            0
        };
        let ctx = FileCtx {
            name: &o.uri,
            rules,
            algorithm: alg,
            max: opts.max_per_kind,
            delimiter,
            label_size,
            strict_until,
        };
        run_file(&mut acc, &ctx, input, kind, opts.pipeline, o.size)?;
    }
    finish(&mut acc, declared_kind);
    let stats = acc.stats.finish(alg, acc.files.len() as u64, acc.bytes);
    let findings = acc.kept.into_values().flatten().collect();
    Ok(Report {
        algorithm: alg,
        content_type: opts.content_type.clone(),
        files: acc.files,
        findings,
        counts: acc.counts,
        stats,
    })
}

/// Whether the object is stored gzip-compressed: its first bytes (a local
/// file), or its name (an S3 object, not fetched twice).
fn is_gzip(uri: &str) -> Result<bool> {
    if crate::store::is_s3(uri) {
        return Ok(uri.ends_with(".gz") || uri.ends_with(".gzip"));
    }
    let input = Input::open_stored(uri)?;
    Ok(input.head().starts_with(&crate::store::GZIP_MAGIC))
}

/// Text whose lines end with `\r` alone: no `\n` in the head, and a
/// `\r` with something after it.
fn cr_only(head: &[u8]) -> bool {
    memchr::memchr(b'\n', head).is_none()
        && memchr::memchr(b'\r', head).is_some_and(|i| i + 1 < head.len())
}

/// An unsupervised algorithm given CSV without `label_size`: SageMaker
/// reads column 0 as a label and leaves it out of the features.
fn label_size_finding(alg: Algorithm, file: &str) -> Finding {
    Finding::new(Check::CsvLabelSize, Severity::Warning)
        .file(file)
        .message(format!(
            "{} reads text/csv as label_size=1 unless told otherwise: column 0 is taken as a label and left out of the features (the statistics below count the other columns)",
            alg.title()
        ))
        .sagemaker("\"text/csv; label_size=n ... The default value for n is 1\"; unsupervised data declares text/csv;label_size=0: otherwise the first feature is dropped, and a feature_dim that counts it fails the job")
        .fix("if every column is a feature, set ContentType text/csv;label_size=0 on the channel and pass --content-type 'text/csv;label_size=0' here; if column 0 is a label or an id, say label_size=1 to silence this")
}

fn ext_of(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Csv => "csv",
        InputKind::Libsvm => "libsvm",
        InputKind::RecordioProtobuf => "pbr",
        InputKind::JsonLines => "jsonl",
        InputKind::Text => "txt",
        InputKind::Parquet => "parquet",
    }
}

fn content_type_finding(alg: Algorithm, file: &str, ct: &str, kind: InputKind) -> Finding {
    let accepted = alg.accepted_content_types().join(", ");
    let sagemaker = if alg == Algorithm::Xgboost {
        format!(
            "XGBoost: \"{ct} is not an accepted ContentType: csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, application/x-parquet, application/x-recordio-protobuf.\""
        )
    } else {
        format!(
            "CreateTrainingJob or the algorithm rejects the channel: {} trains on {accepted}",
            alg.title()
        )
    };
    let fix = match (kind, alg.accepts().first().map(|a| a.kind)) {
        (InputKind::Csv | InputKind::Libsvm, Some(InputKind::RecordioProtobuf)) => format!(
            "convert it: sm-data convert {file} OUT.pbr (float32 RecordIO-protobuf), then use ContentType application/x-recordio-protobuf"
        ),
        (InputKind::RecordioProtobuf | InputKind::Libsvm, Some(InputKind::Csv)) => {
            format!("convert it: sm-data convert {file} OUT.csv, then use ContentType text/csv")
        }
        _ => format!("use one of: {accepted}"),
    };
    Finding::new(Check::ContentType, Severity::Error)
        .file(file)
        .message(format!(
            "{} does not train on {ct} ({kind}); it accepts {accepted}",
            alg.title()
        ))
        .sagemaker(sagemaker)
        .fix(fix)
}

/// Checks the declared content type; returns the kind it names when the
/// data can be checked as that kind.
fn check_content_type(acc: &mut Acc, ct: &ContentType) -> Option<InputKind> {
    let alg = acc.alg;
    let kind = InputKind::from_content_type(&ct.base);
    let Some(kind) = kind else {
        let accepted = alg.accepted_content_types().join(", ");
        acc.push(
            Finding::new(Check::ContentType, Severity::Error)
                .message(format!("{:?} is not a content type sm-data knows", ct.raw))
                .sagemaker(if alg == Algorithm::Xgboost {
                    format!("XGBoost: \"{} is not an accepted ContentType: csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, application/x-parquet, application/x-recordio-protobuf.\"", ct.raw)
                } else {
                    format!("{} trains on {accepted}", alg.title())
                })
                .fix(format!("use one of: {accepted}")),
        );
        return None;
    };
    if alg.rules_for(kind).is_none() {
        acc.kinds_reported.push(kind);
        acc.push(content_type_finding(alg, "", &ct.raw, kind));
    }
    if alg == Algorithm::Xgboost
        && kind == InputKind::Csv
        && let Some(n) = ct.param("label_size")
        && n != "1"
    {
        acc.push(
            Finding::new(Check::ContentType, Severity::Error)
                .message(format!("XGBoost reads exactly one label column, not label_size={n}"))
                .sagemaker(format!(
                    "XGBoost: \"{} is not an accepted csv ContentType. Optional parameter label_size must be equal to 1\"",
                    ct.raw.to_ascii_lowercase()
                ))
                .fix("use ContentType text/csv (one label, in column 0)"),
        );
    }
    Some(kind)
}

/// File-level checks (hidden names, `_` names, depth, empty files).
/// Returns whether the file's content is read as data.
fn channel_checks(
    acc: &mut Acc,
    o: &Object,
    roots: &[String],
    declared: Option<InputKind>,
) -> bool {
    let alg = acc.alg;
    let xgb = alg == Algorithm::Xgboost;
    let skips = alg.accepts().iter().any(|a| a.rules.skips_hidden);
    if let Some(h) = o.hidden_component() {
        let in_root = roots.iter().any(|r| r == &o.uri);
        let f = Finding::new(Check::HiddenFile, Severity::Error)
            .file(&o.uri)
            .message(format!(
                "{:?} starts with '.' (S3 folder markers such as .keep, editor and OS files such as .DS_Store)",
                h
            ));
        let f = if xgb {
            f.sagemaker(
                "XGBoost: \"Hidden file found in the data path! Remove that before training.\"",
            )
            .fix(format!("delete {} (or move it out of the channel)", o.uri))
        } else if skips {
            let mut f = f
                .sagemaker(format!(
                    "{} skips files whose names start with '.'",
                    alg.title()
                ))
                .fix(format!(
                    "delete {} if it holds data you meant to train on",
                    o.uri
                ));
            f.severity = Severity::Warning;
            f
        } else {
            let mut f = f
                .sagemaker("the file is downloaded with the channel and may be read as data")
                .fix(format!("delete {} (or move it out of the channel)", o.uri));
            f.severity = Severity::Warning;
            f
        };
        let sev = f.severity;
        acc.push(f);
        // A hidden file named on the command line is still checked.
        return !(sev == Severity::Error || skips) || in_root;
    }
    if o.name().starts_with('_') && (xgb || skips) {
        acc.push(
            Finding::new(Check::SkippedFile, Severity::Warning)
                .file(&o.uri)
                .message(format!("{:?} starts with '_' (e.g. Spark's _SUCCESS)", o.name()))
                .sagemaker(if xgb {
                    "XGBoost's validation skips names starting with '_' but its loader reads every file: a non-empty one is trained on unchecked"
                } else {
                    "DeepAR skips _SUCCESS files"
                })
                .fix(format!("delete {} if it is not data", o.uri)),
        );
        if skips {
            return false;
        }
    }
    if xgb && o.depth > 3 {
        acc.push(
            Finding::new(Check::FolderDepth, Severity::Warning)
                .file(&o.uri)
                .message(format!(
                    "the file is {} folders below the channel root; XGBoost walks at most 3 levels",
                    o.depth
                ))
                .sagemaker("XGBoost skips the file with a warning: its records are not trained on")
                .fix("move the file up, at most 3 folders below the channel root"),
        );
        return false;
    }
    if o.size == 0 {
        // The XGBoost CSV sniffer fails on an empty file (spec §8.3).
        let csv = declared.or_else(|| InputKind::from_path(&o.uri)) == Some(InputKind::Csv);
        let xgb = xgb && csv;
        let sev = if xgb {
            Severity::Error
        } else {
            Severity::Warning
        };
        acc.push(
            Finding::new(Check::EmptyFile, sev)
                .file(&o.uri)
                .message("the file is empty (0 bytes)")
                .sagemaker(if xgb {
                    "XGBoost (CSV): \"Could not determine delimiter on line :\" — the sniffer fails on an empty first line"
                } else {
                    "the file adds no records; a shard of one host may end up empty"
                })
                .fix(format!("delete {}", o.uri)),
        );
        return false;
    }
    true
}

/// Whether the channel path `p`, listed as `objects`, is a `ManifestFile`:
/// named `*.manifest`, or one file or object (`p` itself) whose content is
/// a manifest (only looked at when its extension names no data format
/// other than JSON).
fn is_manifest(p: &str, objects: Option<&[Object]>) -> Result<bool> {
    if p.ends_with(".manifest") {
        return Ok(true);
    }
    let Some([only]) = objects else {
        return Ok(false);
    };
    if only.uri != crate::store::local_path(p)
        || !matches!(InputKind::from_path(p), None | Some(InputKind::JsonLines))
        || std::fs::metadata(&only.uri).is_ok_and(|m| !m.is_file())
    {
        return Ok(false);
    }
    let input = Input::open(&only.uri)?;
    Ok(files::looks_like_manifest(input.head()))
}

/// The input kind by extension, else by content.
fn detect_kind(input: &Input, alg: Algorithm) -> InputKind {
    if let Some(k) = InputKind::from_path(input.name()) {
        return k;
    }
    sniff_kind(input.head(), alg)
}

fn sniff_kind(head: &[u8], alg: Algorithm) -> InputKind {
    if head.starts_with(&recordio::MAGIC_BYTES) {
        return InputKind::RecordioProtobuf;
    }
    if head.starts_with(crate::format::parquet::MAGIC) {
        return InputKind::Parquet;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return InputKind::JsonLines;
    }
    match crate::format::Format::sniff(head) {
        Some(crate::format::Format::Libsvm) => InputKind::Libsvm,
        _ if alg == Algorithm::Blazingtext => InputKind::Text,
        _ => InputKind::Csv,
    }
}

/// A file whose content is plainly another format than the declared one.
/// Returns false when the content cannot be checked as the declared kind
/// at all (RecordIO data declared as text, or the reverse).
fn check_declared_matches(acc: &mut Acc, o: &Object, input: &Input, declared: InputKind) -> bool {
    let sniffed = sniff_kind(input.head(), acc.alg);
    let text = |k: InputKind| {
        matches!(
            k,
            InputKind::Csv | InputKind::Libsvm | InputKind::Text | InputKind::JsonLines
        )
    };
    let binary = |k: InputKind| matches!(k, InputKind::RecordioProtobuf | InputKind::Parquet);
    let mismatch = match (declared, sniffed) {
        (d, s) if d == s => false,
        (InputKind::Text, InputKind::Csv | InputKind::Libsvm) => false,
        (d, s) => !(d == InputKind::Csv && s == InputKind::Text) && (text(d) || text(s) || d != s),
    };
    if mismatch {
        let head = input.head();
        let shown = if binary(sniffed) {
            None
        } else {
            Some(&head[..head.iter().position(|&b| b == b'\n').unwrap_or(head.len())])
        };
        let mut f = Finding::new(Check::FormatMismatch, Severity::Error)
            .file(&o.uri)
            .line(0)
            .byte(0)
            .message(format!(
                "the channel's content type says {declared}, but the file looks like {sniffed}"
            ))
            .sagemaker(match declared {
                InputKind::Libsvm => "XGBoost: \"Blankspace and colon not found\" (older images) or \"First line '...' of file '...' is not 'LIBSVM' format. Please ensure the file is in 'LIBSVM' format.\"".to_string(),
                InputKind::Csv => "the CSV reader fails or reads garbage (\"could not convert string to float\")".to_string(),
                _ => format!("the {declared} reader fails on this file"),
            })
            .fix(format!(
                "set the channel's content type to {} (and pass --content-type {} here), or convert: sm-data convert {} OUT.{} --from {}",
                sniffed.content_types()[0],
                sniffed.content_types()[0],
                o.uri,
                ext_of(declared),
                sniffed.name()
            ));
        if let Some(s) = shown {
            f = f.snippet(s);
        }
        acc.push(f);
        return binary(declared) == binary(sniffed);
    }
    true
}

/// Reads up to `want` bytes of the start of `input` (extending a stream's
/// head, which the chunker hands out first) and returns them.
fn prefix(input: &mut Input, want: usize) -> Result<&[u8]> {
    match input {
        Input::Mapped { map, .. } => Ok(&map[..map.len().min(want)]),
        Input::Stream {
            reader, head, name, ..
        } => {
            while head.len() < want {
                let old = head.len();
                head.resize(want.min(old + (64 << 10)), 0);
                match reader.read(&mut head[old..]) {
                    Ok(0) => {
                        head.truncate(old);
                        break;
                    }
                    Ok(n) => head.truncate(old + n),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => head.truncate(old),
                    Err(e) => {
                        head.truncate(old);
                        return Err(Error::from(e).in_file(name.clone()));
                    }
                }
                if memchr::memchr_iter(b'\n', head).count() > 20 {
                    break;
                }
            }
            Ok(head)
        }
    }
}

/// Finds the delimiter of a CSV file from its first lines and reports a
/// non-comma one (spec §8.3, §8.7).
fn csv_delimiter(acc: &mut Acc, input: &mut Input, o: &Object, rules: Rules) -> Result<u8> {
    let head = prefix(input, 256 << 10)?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let complete = match memchr::memrchr(b'\n', head) {
        Some(i) => &head[..i],
        None => head,
    };
    let lines: Vec<&[u8]> = complete
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !crate::codec::text::trim(l).is_empty())
        .take(20)
        .collect();
    let Some(first) = lines.first().copied() else {
        return Ok(b',');
    };
    let count = |l: &[u8], d: u8| memchr::memchr_iter(d, l).count();
    let candidates = [b',', b'\t', b';', b'|'];
    let consistent = |d: u8| {
        let n = count(first, d);
        n > 0 && lines.iter().all(|l| count(l, d) == n)
    };
    let chosen = if count(first, b',') > 0 {
        b','
    } else if let Some(&d) = candidates
        .iter()
        .filter(|&&d| consistent(d))
        .max_by_key(|&&d| count(first, d))
    {
        d
    } else if let Some(&d) = candidates
        .iter()
        .filter(|&&d| count(first, d) > 0)
        .max_by_key(|&&d| count(first, d))
    {
        d
    } else {
        b','
    };
    // Every file of the channel must use the first file's delimiter.
    let here = Position {
        file: Some(o.uri.clone()),
        line: Some(0),
        byte: Some(0),
        ..Position::default()
    };
    let name = delimiter_name(chosen).to_string();
    match acc.expected.get(&Check::CsvDelimiterMixed).cloned() {
        None => {
            acc.expected
                .insert(Check::CsvDelimiterMixed, (name.clone(), here.clone()));
        }
        Some((want, at)) if want != name => {
            let ctx = FileCtx {
                name: &o.uri,
                rules,
                algorithm: acc.alg,
                max: acc.max,
                delimiter: chosen,
                label_size: 0,
                strict_until: 0,
            };
            let mut f = tally_finding(Check::CsvDelimiterMixed, &name, &want, &at, &ctx);
            f.position = here;
            f.snippet = Some(crate::codec::text::snippet(first, 60));
            acc.push(f);
        }
        Some(_) => {}
    }
    if chosen != b',' && matches!(rules.schema, Schema::Numeric | Schema::IpInsights) {
        let xgb = rules.xgboost;
        // Python's csv.Sniffer prefers , \t ; space : — a pipe is not
        // among them, and `12.0|3.0|4.0` is sniffed as '0' (spec §0.5).
        let sev = if xgb && chosen != b'|' {
            Severity::Warning
        } else {
            Severity::Error
        };
        let snippet = first.to_vec();
        acc.push(
            Finding::new(Check::CsvDelimiter, sev)
                .file(&o.uri)
                .line(0)
                .byte(0)
                .snippet(&snippet)
                .message(format!(
                    "the file is separated by {}, not commas",
                    delimiter_name(chosen)
                ))
                .sagemaker(if xgb && chosen == b'|' {
                    "XGBoost's delimiter sniffer does not know '|': on `12.0|3.0|4.0` it picks '0' and every row is parsed wrongly (or fails: \"Could not determine delimiter on line ...\")".to_string()
                } else if xgb {
                    format!("XGBoost sniffs {} from the first line and uses the first file's delimiter for every file: works only while every file uses the same one; other tools and the built-in algorithms expect commas", delimiter_name(chosen))
                } else {
                    "the built-in algorithms read comma-separated values only: each row is one non-numeric cell (\"could not convert string to float\")".to_string()
                })
                .fix(format!(
                    "rewrite it comma-separated: sm-data convert {} FIXED.csv --delimiter {}",
                    o.uri,
                    delimiter_flag(chosen)
                )),
        );
    }
    Ok(chosen)
}

/// Checks one file on the parallel pipeline.
fn run_file(
    acc: &mut Acc,
    ctx: &FileCtx<'_>,
    input: Input,
    kind: InputKind,
    popts: pipeline::Options,
    size: u64,
) -> Result<()> {
    let line_framer = LineFramer::new();
    let rio = recordio::Decoder::new();
    let framer: &dyn Framer = match kind {
        InputKind::RecordioProtobuf => &rio,
        #[cfg(feature = "parquet")]
        InputKind::Parquet => return parquet::check(acc, ctx, input, popts),
        #[cfg(not(feature = "parquet"))]
        InputKind::Parquet => {
            return Err(crate::format::parquet::not_built().in_file(ctx.name.to_string()));
        }
        _ => &line_framer,
    };
    if kind == InputKind::RecordioProtobuf && ctx.rules.xgboost && !size.is_multiple_of(4) {
        acc.push(
            Finding::new(Check::RecordioPadding, Severity::Error)
                .file(ctx.name)
                .byte(size)
                .message(format!(
                    "the file is {size} bytes, not a multiple of 4: the last record lacks its padding"
                ))
                .sagemaker("XGBoost joins all RecordIO-protobuf files into one buffer: the next file's first record is misaligned (\"Failed to load recordio-protobuf data with exception: ...\")")
                .fix(format!("rewrite it: sm-data convert {} FIXED.pbr", ctx.name)),
        );
    }
    let mut chunker = Chunker::new(input, framer, popts.chunk_size);
    let (mut records, mut lines) = (0u64, 0u64);
    let mut last_newline = true;
    let mut last_line = 0u64;
    let result = pipeline::run(
        &mut chunker,
        popts,
        |chunk: &Chunk| {
            let mut w = Work::new(ctx.max);
            match kind {
                InputKind::Csv => text::check_csv(ctx, chunk, &mut w),
                InputKind::Libsvm => text::check_libsvm(ctx, chunk, &mut w),
                InputKind::Text => text::check_text(ctx, chunk, &mut w),
                InputKind::JsonLines => jsonl::check_jsonl(ctx, chunk, &mut w),
                InputKind::RecordioProtobuf => records::check_records(ctx, &rio, chunk, &mut w)?,
                InputKind::Parquet => unreachable!("checked by parquet::check above"),
            }
            Ok(w)
        },
        |w: Work| {
            let (r, l) = (w.records, w.lines);
            last_newline = w.ends_with_newline;
            last_line = w.last_line;
            acc.absorb(ctx, (records, lines), w);
            records += r;
            lines += l;
            Ok(())
        },
        &mut |_| {},
    );
    let bytes = chunker.position();
    acc.bytes += bytes;
    if let Err(e) = result {
        match e.kind() {
            ErrorKind::Io(_) | ErrorKind::Config(_) | ErrorKind::Internal(_) => return Err(e),
            _ => {
                let xgb = ctx.rules.xgboost;
                let mut f = Finding::new(Check::RecordioFraming, Severity::Error)
                    .message(format!(
                        "{}; the rest of the file cannot be read",
                        e.kind()
                    ))
                    .sagemaker(if xgb {
                        "XGBoost: \"Failed to load recordio-protobuf data with exception: ...\""
                    } else {
                        "the algorithm stops reading the channel (e.g. \"Record IO header does not start with the magic number\")"
                    })
                    .fix("re-create the file with a RecordIO writer (sm-data convert writes cflag-0 records, 4-byte aligned)");
                f.position = e.position().clone();
                f.position.record = f.position.record.or(Some(records));
                acc.push(f);
            }
        }
    }
    if records == 0 && bytes > 0 {
        acc.push(
            Finding::new(Check::EmptyFile, Severity::Warning)
                .file(ctx.name)
                .message("the file holds no records (only blank lines, comments or a header)")
                .sagemaker("the file adds no records")
                .fix(format!("delete {} or fill it", ctx.name)),
        );
    }
    if kind == InputKind::Csv && bytes > 0 && !last_newline {
        acc.push(
            Finding::new(Check::CsvFinalNewline, Severity::Warning)
                .file(ctx.name)
                .line(lines.saturating_sub(1))
                .byte(last_line)
                .message("the last line does not end with a newline")
                .sagemaker("in Pipe mode, or when files are concatenated, the last row of this file and the first row of the next become one row")
                .fix(format!("append a newline: sm-data convert {} FIXED.csv writes one after every row", ctx.name)),
        );
    }
    Ok(())
}

/// Whole-channel checks once every file is read.
fn finish(acc: &mut Acc, declared: Option<InputKind>) {
    let alg = acc.alg;
    let kinds: Vec<InputKind> = acc.files.iter().map(|f| f.1).collect();
    // Files with bytes but no record among them (blank lines, comments, a
    // header, Parquet tables without rows): the channel is as empty as one
    // without bytes, which `empty-channel` reports. Not said on top of an
    // error, which explains the missing records better.
    let errors = acc.counts.values().any(|c| c.0 > 0);
    if acc.stats.records == 0 && acc.bytes > 0 && !errors {
        let n = acc.files.len();
        acc.push(
            Finding::new(Check::NoRecords, Severity::Error)
                .message(format!(
                    "the channel's {n} file{} hold{} no records ({} bytes of blank lines, comments, headers or empty tables)",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "s" } else { "" },
                    acc.bytes
                ))
                .sagemaker(if alg == Algorithm::Xgboost {
                    "XGBoost: \"Got input data without labels. Please check the input data set. ...\""
                } else {
                    "the training job fails: the channel has no records"
                })
                .fix("point the channel at the folder or prefix that holds the data"),
        );
    }
    let needs_labels = kinds.iter().any(|&k| {
        alg.rules_for(k)
            .is_some_and(|r| r.label == LabelRule::Required && !r.generic)
            && k == InputKind::RecordioProtobuf
    });
    if needs_labels && acc.stats.records > 0 && acc.stats.labeled == 0 {
        acc.push(
            Finding::new(Check::LabelMissing, Severity::Error)
                .message(format!("no record has a label, and {} trains on labeled data", alg.title()))
                .sagemaker(if alg == Algorithm::Xgboost {
                    "XGBoost: \"Got input data without labels. Please check the input data set. ...\""
                } else {
                    "the algorithm fails: training needs label[\"values\"] in every record"
                })
                .fix("write the labels too: sm-data convert DATA.csv OUT.pbr (label in CSV column 0)"),
        );
    }
    let libsvm = declared == Some(InputKind::Libsvm) || kinds.contains(&InputKind::Libsvm);
    // The first LibSVM file, named by the channel-wide LibSVM findings.
    let name = acc
        .files
        .iter()
        .find(|f| f.1 == InputKind::Libsvm)
        .map(|f| f.0.clone())
        .unwrap_or_default();
    // XGBoost's feature indices are 32-bit (`bst_feature_t`; its LibSVM
    // parser is `dmlc::Parser<uint32_t>`), as are scikit-learn's.
    if libsvm && acc.stats.dim >= u64::from(u32::MAX) {
        let sev = if alg == Algorithm::Xgboost {
            Severity::Error
        } else {
            Severity::Warning
        };
        acc.push(
            Finding::new(Check::LibsvmIndexRange, sev)
                .file(&name)
                .message(format!(
                    "the largest feature index is {}: {} features, XGBoost's limit is fewer than 4294967295 (2^32 - 1)",
                    acc.stats.dim - 1,
                    acc.stats.dim
                ))
                .sagemaker("XGBoost: \"XGBoost does not support data matrices with 4294967295 features or greater\" (indices are 32-bit: bst_feature_t; a larger one wraps onto another feature); scikit-learn's reader fails (\"value too large\")")
                .fix("renumber the features below 2^32 (hash or map them to a dense range)"),
        );
    }
    if libsvm
        && let Some(min) = acc.stats.min_index
        && min >= 1
    {
        acc.push(
            Finding::new(Check::LibsvmIndexBase, Severity::Warning)
                .file(&name)
                .message(format!(
                    "no feature index is 0 (smallest: {min}): the indices look 1-based"
                ))
                .sagemaker("XGBoost training reads indices as 0-based: feature 0 is empty and every feature moves one column; the 2026 inference path shifts 1-based requests down by one, so training and inference disagree")
                .fix(format!(
                    "rewrite 0-based: sm-data convert {name} FIXED.libsvm --one-based (reads 1-based, writes 0-based)"
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_ended_by_a_carriage_return_alone() {
        assert!(cr_only(b"1,2\r0,3\r"));
        assert!(cr_only(b"1,2\r0,3"));
        // One row ended by '\r' (stripped like a CRLF's), CRLF, '\n'.
        assert!(!cr_only(b"1,2\r"));
        assert!(!cr_only(b"1,2\r\n0,3\r\n"));
        assert!(!cr_only(b"1,2\n0,3\r"));
        assert!(!cr_only(b""));
    }

    #[test]
    fn sniffs_kinds() {
        assert_eq!(
            sniff_kind(b"{\"a\":1}\n", Algorithm::Generic),
            InputKind::JsonLines
        );
        assert_eq!(
            sniff_kind(b"1 0:1\n", Algorithm::Generic),
            InputKind::Libsvm
        );
        assert_eq!(sniff_kind(b"1,2\n", Algorithm::Generic), InputKind::Csv);
        assert_eq!(
            sniff_kind(b"hello world\n", Algorithm::Blazingtext),
            InputKind::Text
        );
        assert_eq!(
            sniff_kind(&recordio::MAGIC_BYTES, Algorithm::Generic),
            InputKind::RecordioProtobuf
        );
    }
}
