//! Findings, the checks that produce them, and their per-chunk collection.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::Position;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The training job would fail, or silently read wrong data.
    Error,
    /// Worth fixing, but the job would run (files skipped, tolerated
    /// quirks, likely mistakes).
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! checks {
    ($($variant:ident => $id:literal, $title:literal;)*) => {
        /// A rule `validate` checks. Each finding names the check that
        /// produced it; [`Check::id`] is its stable name (in `--json`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Check {
            $(#[doc = $title] $variant,)*
        }

        impl Check {
            /// Every check.
            pub const ALL: &'static [Check] = &[$(Check::$variant,)*];

            /// The stable name, e.g. `csv-header`.
            pub fn id(self) -> &'static str {
                match self { $(Check::$variant => $id,)* }
            }

            /// A one-line description.
            pub fn title(self) -> &'static str {
                match self { $(Check::$variant => $title,)* }
            }
        }
    };
}

checks! {
    ContentType => "content-type", "the content type is not accepted by the algorithm for training";
    ContentTypeDefault => "content-type-default", "XGBoost's default content type (text/libsvm) does not match the data";
    FormatMismatch => "format-mismatch", "the file's content is not in the declared format";
    MixedFormats => "mixed-formats", "files of one channel hold different formats";
    EmptyChannel => "empty-channel", "the channel holds no data";
    EmptyFile => "empty-file", "a file holds no records";
    NoRecords => "no-records", "the channel's files hold no records (blank lines, empty tables)";
    HiddenFile => "hidden-file", "a file or folder name starts with '.'";
    SkippedFile => "skipped-file", "a file name starts with '_' (e.g. _SUCCESS)";
    FolderDepth => "folder-depth", "a file is nested deeper than XGBoost looks (3 folder levels)";
    Compressed => "compressed", "XGBoost: a file is gzip-compressed (XGBoost does not decompress)";
    LineEndings => "line-endings", "lines end with a carriage return alone (classic Mac OS)";
    CsvHeader => "csv-header", "the first row is a header";
    CsvLabel => "csv-label", "the label cell is not a number";
    CsvNonNumeric => "csv-non-numeric", "a feature cell is not a number";
    CsvEmptyCell => "csv-empty-cell", "a cell is empty (a missing value)";
    CsvColumns => "csv-columns", "rows have different numbers of columns";
    CsvDelimiter => "csv-delimiter", "the file is not comma-separated";
    CsvDelimiterMixed => "csv-delimiter-mixed", "files use different delimiters";
    CsvSingleColumn => "csv-single-column", "a row has no feature column";
    CsvQuotes => "csv-quotes", "a row holds quote characters";
    CsvBlankLine => "csv-blank-line", "a blank line";
    CsvFinalNewline => "csv-final-newline", "the file does not end with a newline";
    CsvLabelSize => "csv-label-size", "an unsupervised algorithm reads CSV column 0 as a label (label_size defaults to 1)";
    CsvBom => "csv-bom", "the file starts with a UTF-8 byte-order mark";
    IpAddress => "ip-address", "IP Insights: the second column is not an IP address";
    NegativeCount => "negative-count", "LDA/NTM: a word count is negative or not an integer";
    LibsvmSyntax => "libsvm-syntax", "a line is not 'label idx:val ...'";
    LibsvmWhitespace => "libsvm-whitespace", "tabs, double or trailing spaces in a LibSVM line";
    LibsvmComment => "libsvm-comment", "a comment or blank line before the first data line";
    LibsvmIndexBase => "libsvm-index-base", "LibSVM indices look 1-based";
    LibsvmIndexOrder => "libsvm-index-order", "a LibSVM row's indices are not increasing (out of order or repeated)";
    LibsvmIndexRange => "libsvm-index-range", "a LibSVM index is 2^32 - 2 or more (XGBoost takes fewer than 2^32 - 1 features)";
    LibsvmBom => "libsvm-bom", "the LibSVM file starts with a UTF-8 byte-order mark";
    RecordioFraming => "recordio-framing", "the RecordIO framing is broken";
    RecordioSplit => "recordio-split", "a record is split into parts (cflag 1/2/3)";
    RecordioPadding => "recordio-padding", "the file length is not a multiple of 4";
    ProtobufDecode => "protobuf-decode", "a payload is not an aialgs.data.Record";
    ProtobufMissingValues => "protobuf-missing-values", "a record has no features[\"values\"] tensor";
    ProtobufBytes => "protobuf-bytes", "a record holds a Bytes value";
    ProtobufDtype => "protobuf-dtype", "the tensor type is not the one the algorithm reads";
    ProtobufDtypeMixed => "protobuf-dtype-mixed", "records have different tensor types";
    ProtobufKindMixed => "protobuf-kind-mixed", "dense and sparse records are mixed";
    ProtobufKeyOrder => "protobuf-key-order", "a sparse RecordIO-protobuf tensor's keys are not increasing (out of order or repeated)";
    ProtobufSparse => "protobuf-sparse", "a sparse tensor has a bad shape or keys";
    FeatureDim => "feature-dim", "records have different feature dimensions";
    LabelPartial => "label-partial", "some records have a label and others do not";
    LabelMissing => "label-missing", "the algorithm needs labels and the data has none";
    LabelNotFinite => "label-not-finite", "a label is NaN or infinite";
    Seq2seqTokens => "seq2seq-tokens", "Seq2Seq: source/target are not non-empty Int32 token ids";
    JsonSyntax => "json-syntax", "a line is not a JSON object";
    DeeparStart => "deepar-start", "DeepAR: 'start' is missing or not 'YYYY-MM-DD HH:MM:SS'";
    DeeparTarget => "deepar-target", "DeepAR: 'target' is missing or not an array of numbers";
    DeeparCat => "deepar-cat", "DeepAR: 'cat' is not an array of non-negative integers";
    DeeparCatLength => "deepar-cat-length", "DeepAR: series have different numbers of 'cat' values";
    DeeparDynamicFeat => "deepar-dynamic-feat", "DeepAR: 'dynamic_feat' is not arrays of numbers as long as 'target'";
    DeeparDynamicFeatCount => "deepar-dynamic-feat-count", "DeepAR: series have different numbers of dynamic features";
    Object2vecFields => "object2vec-fields", "Object2Vec: 'label', 'in0', 'in1' missing or not token-id arrays";
    BlazingtextFields => "blazingtext-fields", "BlazingText: a manifest line has no string 'source'";
    BlazingtextLabel => "blazingtext-label", "BlazingText: some lines have __label__ prefixes (labels) and others do not";
    TextEncoding => "text-encoding", "a line is not valid UTF-8";
    TextBom => "text-bom", "a text file starts with a UTF-8 byte-order mark";
    ParquetRead => "parquet-read", "a Parquet file cannot be read (framing, footer or pages)";
    ParquetColumn => "parquet-column", "a Parquet column is not numeric";
    ParquetLabel => "parquet-label", "a Parquet label (column 0) is null, NaN or infinite";
    ParquetCompression => "parquet-compression", "DeepAR: a Parquet column uses a codec other than gzip or snappy";
    ParquetSchema => "parquet-schema", "Parquet files of the channel have different schemas";
    ManifestMissing => "manifest-missing", "a manifest lists an object that does not exist";
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One problem found in the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule that found it.
    pub check: Check,
    /// Error or warning.
    pub severity: Severity,
    /// File, line (text) or record (binary), byte offset, field.
    pub position: Position,
    /// The offending text, shortened (`None` for binary data).
    pub snippet: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What SageMaker does with it: the container's message where the
    /// spec records it (quoted), else the effect.
    pub sagemaker: String,
    /// How to fix it, often an `sm-data convert` command line.
    pub fix: String,
}

impl Finding {
    /// A finding with empty texts.
    pub fn new(check: Check, severity: Severity) -> Finding {
        Finding {
            check,
            severity,
            position: Position::default(),
            snippet: None,
            message: String::new(),
            sagemaker: String::new(),
            fix: String::new(),
        }
    }

    /// Sets the file.
    pub fn file(mut self, file: &str) -> Finding {
        self.position.file = (!file.is_empty()).then(|| file.to_string());
        self
    }

    /// Sets the 0-based line (relative to the chunk inside workers).
    pub fn line(mut self, line: u64) -> Finding {
        self.position.line = Some(line);
        self
    }

    /// Sets the 0-based record (relative to the chunk inside workers).
    pub fn record(mut self, record: u64) -> Finding {
        self.position.record = Some(record);
        self
    }

    /// Sets the absolute byte offset.
    pub fn byte(mut self, byte: u64) -> Finding {
        self.position.byte = Some(byte);
        self
    }

    /// Sets the 0-based field.
    pub fn field(mut self, field: usize) -> Finding {
        self.position.field = Some(field as u64);
        self
    }

    /// Sets the offending text (shortened to 60 bytes).
    pub fn snippet(mut self, text: &[u8]) -> Finding {
        self.snippet = Some(crate::codec::text::snippet(text, 60));
        self
    }

    /// Sets what is wrong.
    pub fn message(mut self, m: impl Into<String>) -> Finding {
        self.message = m.into();
        self
    }

    /// Sets what SageMaker does with it.
    pub fn sagemaker(mut self, s: impl Into<String>) -> Finding {
        self.sagemaker = s.into();
        self
    }

    /// Sets the fix.
    pub fn fix(mut self, s: impl Into<String>) -> Finding {
        self.fix = s.into();
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pos = self.position.to_string();
        write!(f, "{} [{}] ", self.severity.name(), self.check.id())?;
        if !pos.is_empty() {
            write!(f, "{pos}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Findings of one chunk, at most `max` kept per check (the rest only
/// counted), so that a file with a million bad lines stays small in memory.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    max: usize,
    pub(crate) findings: Vec<Finding>,
    pub(crate) counts: BTreeMap<Check, (u64, u64)>,
}

impl Collector {
    pub(crate) fn new(max: usize) -> Collector {
        Collector {
            max,
            findings: Vec::new(),
            counts: BTreeMap::new(),
        }
    }

    /// Counts a finding of `check`; builds it (with `make`) only when it
    /// is among the first `max` of its kind.
    #[inline]
    pub(crate) fn add(&mut self, check: Check, severity: Severity, make: impl FnOnce() -> Finding) {
        let c = self.counts.entry(check).or_default();
        match severity {
            Severity::Error => c.0 += 1,
            Severity::Warning => c.1 += 1,
        }
        if c.0 + c.1 <= self.max as u64 {
            let mut f = make();
            f.check = check;
            f.severity = severity;
            self.findings.push(f);
        }
    }
}

/// A consistency tally: how many records have each value of a property
/// (column count, dtype, dense/sparse, ...) and where the first few are.
/// The first value seen in the input is the expected one; every record
/// with another value is a finding.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// (value, count, first sites), in order of first appearance.
    pub(crate) entries: Vec<(String, u64, Vec<Site>)>,
}

/// Where a tallied record is.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub(crate) line: Option<u64>,
    pub(crate) record: u64,
    pub(crate) byte: u64,
    pub(crate) snippet: Option<String>,
}

impl Tally {
    /// Counts `key` for the record at `site` (built only when kept).
    #[inline]
    pub(crate) fn add(&mut self, key: &str, max: usize, site: impl FnOnce() -> Site) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.0 == key) {
            e.1 += 1;
            if e.2.len() < max.max(1) {
                e.2.push(site());
            }
            return;
        }
        if self.entries.len() < 256 {
            self.entries.push((key.to_string(), 1, vec![site()]));
        }
    }
}
