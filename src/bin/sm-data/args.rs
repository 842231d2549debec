//! Command-line flags, and their translation into library options.

use clap::{Args, Parser, Subcommand};
use sm_data::codec::csv::{CsvOptions, LabelColumns};
use sm_data::codec::recordio::SplitConvention;
use sm_data::convert::ConvertOptions;
use sm_data::pipeline;
use sm_data::{Dtype, FormatSpec};

/// Fast, correct conversion of Amazon SageMaker data formats.
#[derive(Debug, Parser)]
#[command(name = "sm-data", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert INPUT to OUTPUT (formats from extensions, --from/--to, or content types).
    Convert(ConvertArgs),
    /// Count the records of a file.
    Count(FileArgs),
    /// Show the format, record count, feature dimension, labels and first records of a file.
    Inspect(InspectArgs),
    /// Check files or folders for what would fail a SageMaker training job (exit 0 clean,
    /// 1 problems found, 2 could not run).
    Validate(ValidateArgs),
}

/// `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files or folders of one channel (folders are read recursively, hidden files included).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The algorithm: xgboost, linear-learner, factorization-machines, knn, kmeans, pca, rcf,
    /// lda, ntm, ip-insights, deepar, object2vec, blazingtext, seq2seq, or generic (format
    /// checks only).
    #[arg(long, short = 'a', value_name = "NAME")]
    pub algorithm: sm_data::validate::Algorithm,
    /// The channel's ContentType, e.g. text/csv or "text/csv;label_size=0" (default: each
    /// file's format from its extension or content).
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Findings shown per kind of problem (the rest are counted).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_per_kind: usize,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Chunk size in bytes for the parallel pipeline.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20, hide = true)]
    pub chunk_size: usize,
}

/// Flags that say how input is read.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Input format: csv, libsvm, recordio, recordio-protobuf, or a content type such as
    /// "text/csv;label_size=0". Default: from the extension, else sniffed.
    #[arg(long, value_name = "FORMAT")]
    pub from: Option<FormatSpec>,
    /// CSV input has a header row (skipped).
    #[arg(long)]
    pub header: bool,
    /// CSV input: 0-based column of the (first) label, or "none" for unlabeled data.
    #[arg(long, value_name = "N|none", default_value = "0")]
    pub label_column: String,
    /// CSV input: number of label columns (label_size). 0 means no label.
    #[arg(long, value_name = "N")]
    pub label_size: Option<usize>,
    /// CSV input delimiter: one character, or "tab".
    #[arg(long, value_name = "CHAR", default_value = ",")]
    pub delimiter: String,
    /// LibSVM input indices are 1-based (default: 0-based, as SageMaker XGBoost reads them).
    #[arg(long)]
    pub one_based: bool,
    /// How split RecordIO records (cflag 1/2/3) are joined: aws (plain concatenation, as
    /// SageMaker's readers do) or dmlc (magic re-inserted, as MXNet does).
    #[arg(long, value_name = "aws|dmlc", default_value = "aws")]
    pub split_convention: String,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Chunk size in bytes for the parallel pipeline.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20, hide = true)]
    pub chunk_size: usize,
}

/// `count`.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The file to read ("-" for stdin).
    pub input: String,
    /// How to read it.
    #[command(flatten)]
    pub read: ReadArgs,
}

/// `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The file to read ("-" for stdin).
    pub input: String,
    /// How to read it.
    #[command(flatten)]
    pub read: ReadArgs,
    /// How many of the first records to show.
    #[arg(long, short = 'n', default_value_t = 5)]
    pub head: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The file to read ("-" for stdin; gzip is detected by its magic).
    pub input: String,
    /// The file to write ("-" for stdout; a name ending in .gz is compressed).
    pub output: String,
    /// How to read the input.
    #[command(flatten)]
    pub read: ReadArgs,
    /// Output format (as --from). Default: from the output extension.
    #[arg(long, value_name = "FORMAT")]
    pub to: Option<FormatSpec>,
    /// Tensor type of RecordIO-protobuf output: float32 (what the built-in algorithms
    /// read), float64 or int32.
    #[arg(long, value_name = "DTYPE")]
    pub dtype: Option<Dtype>,
    /// Tensor type of RecordIO-protobuf labels (default: as --dtype).
    #[arg(long, value_name = "DTYPE")]
    pub label_dtype: Option<Dtype>,
    /// Write sparse RecordIO-protobuf tensors (keys + shape).
    #[arg(long, conflicts_with = "dense")]
    pub sparse: bool,
    /// Write dense RecordIO-protobuf tensors.
    #[arg(long)]
    pub dense: bool,
    /// Number of features: width of densified rows and shape of sparse tensors
    /// (default: stated by the input, or the largest LibSVM index + 1).
    #[arg(long, value_name = "N")]
    pub num_features: Option<u64>,
    /// CSV output delimiter.
    #[arg(long, value_name = "CHAR")]
    pub out_delimiter: Option<String>,
    /// Write LibSVM indices 1-based.
    #[arg(long)]
    pub one_based_out: bool,
    /// Overwrite OUTPUT if it exists.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// No progress bar and no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn delimiter(s: &str) -> anyhow::Result<u8> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "space" => Ok(b' '),
        s if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(sm_data::Error::config(format!(
            "the delimiter must be one ASCII character or \"tab\", not {s:?}"
        ))
        .into()),
    }
}

impl ReadArgs {
    /// The library options these flags describe.
    pub fn options(&self) -> anyhow::Result<ConvertOptions> {
        let label = match (self.label_column.as_str(), self.label_size) {
            ("none", _) | (_, Some(0)) => None,
            (col, size) => Some(LabelColumns {
                index: col.parse().map_err(|_| {
                    sm_data::Error::config(format!(
                        "--label-column takes a column number or \"none\", not {col:?}"
                    ))
                })?,
                size: size.unwrap_or(1),
            }),
        };
        let split = match self.split_convention.as_str() {
            "aws" => SplitConvention::Aws,
            "dmlc" => SplitConvention::Dmlc,
            other => {
                return Err(sm_data::Error::config(format!(
                    "--split-convention is aws or dmlc, not {other:?}"
                ))
                .into());
            }
        };
        Ok(ConvertOptions {
            from: self.from.clone(),
            csv: CsvOptions {
                delimiter: delimiter(&self.delimiter)?,
                has_header: self.header,
                label,
                ..CsvOptions::default()
            },
            libsvm_one_based_in: self.one_based,
            split,
            pipeline: pipeline::Options {
                threads: self.threads,
                chunk_size: self.chunk_size,
                window: 0,
            },
            ..ConvertOptions::default()
        })
    }
}

impl ConvertArgs {
    /// The library options these flags describe.
    pub fn options(&self) -> anyhow::Result<ConvertOptions> {
        let mut o = self.read.options()?;
        o.to = self.to.clone();
        o.dtype = self.dtype;
        o.label_dtype = self.label_dtype;
        o.sparse = if self.sparse {
            Some(true)
        } else if self.dense {
            Some(false)
        } else {
            None
        };
        o.num_features = self.num_features;
        o.csv_out_delimiter = self.out_delimiter.as_deref().map(delimiter).transpose()?;
        o.libsvm_one_based_out = self.one_based_out;
        Ok(o)
    }
}
