//! Command-line flags, and their translation into library options.

use clap::{Args, Parser, Subcommand};
use sm_data::codec::csv::{CsvOptions, LabelColumns};
use sm_data::codec::json::{JsonOptions, JsonShape};
use sm_data::codec::recordio::SplitConvention;
use sm_data::convert::ConvertOptions;
use sm_data::format::parquet::{Compression, LabelColumn, ParquetOptions};
use sm_data::pipeline;
use sm_data::{Dtype, FormatSpec};

/// Fast, correct conversion of Amazon SageMaker data formats.
#[derive(Debug, Parser)]
#[command(name = "sm-data", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// How s3:// paths are reached (flags accepted by every command).
    #[command(flatten)]
    pub s3: S3Args,
}

/// S3 flags, global so that every command that takes paths accepts them.
#[derive(Debug, Args)]
pub struct S3Args {
    /// Endpoint of an S3-compatible store, e.g. http://127.0.0.1:9000 (path-style addressing).
    /// Default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL, then AWS.
    #[arg(long, value_name = "URL", global = true)]
    pub endpoint_url: Option<String>,
    /// Part size of S3 multipart uploads and ranged reads, e.g. 8MiB, 64M (at least 5MiB for
    /// uploads).
    #[arg(long, value_name = "SIZE", default_value = "8MiB", global = true)]
    pub s3_part_size: String,
    /// Parts uploaded or ranges read at once per S3 object.
    #[arg(long, value_name = "N", default_value_t = 4, global = true)]
    pub s3_concurrency: usize,
}

impl S3Args {
    /// The store configuration these flags describe.
    pub fn config(&self) -> anyhow::Result<sm_data::store::S3Config> {
        Ok(sm_data::store::S3Config {
            endpoint_url: self.endpoint_url.clone(),
            part_size: byte_size(&self.s3_part_size)?,
            concurrency: self.s3_concurrency.max(1),
            ..sm_data::store::S3Config::default()
        })
    }
}

/// `8388608`, `8MiB`, `8M`, `64k`, `1GiB` (binary units).
fn byte_size(s: &str) -> anyhow::Result<usize> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => 64,
    };
    num.parse::<usize>()
        .ok()
        .filter(|&n| shift < 64 && n > 0)
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| {
            sm_data::Error::config(format!(
                "a size is a positive number of bytes with an optional unit (8MiB, 64k), not {s:?}"
            ))
            .into()
        })
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
    /// Write balanced objects for ShardedByS3Key (a multiple of --instances), channel splits,
    /// manifests and channels.json, and print the balance report.
    Shard(Box<crate::cmd::shard::ShardArgs>),
    /// Build, expand or check a SageMaker ManifestFile.
    Manifest(crate::cmd::manifest::ManifestArgs),
    /// SageMaker Pipe mode: feed channels into FIFOs, read them, write the container config.
    Pipe(crate::cmd::pipe::PipeArgs),
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
    /// Input format: csv, libsvm, recordio, recordio-protobuf, jsonl, json, tfrecord, or a
    /// content type such as "text/csv;label_size=0". Default: from the extension, else sniffed.
    #[arg(long, value_name = "FORMAT")]
    pub from: Option<FormatSpec>,
    /// CSV input has a header row (skipped).
    #[arg(long)]
    pub header: bool,
    /// CSV input: 0-based column of the (first) label, or "none" for unlabeled data
    /// (default 0). Parquet input: a column index or name, or "none" (default: the first
    /// column of the wide layout, the "label" column of the tensor layout).
    #[arg(long, value_name = "N|NAME|none")]
    pub label_column: Option<String>,
    /// Parquet input: columns to skip (comma-separated names), e.g. string ids.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub exclude_columns: Vec<String>,
    /// Parquet layout: wide (label column, then one column per feature; what XGBoost
    /// reads) or tensor (label + features list, or keys/values lists). Reading: default
    /// detected from the schema; writing: default wide.
    #[arg(long, value_name = "wide|tensor")]
    pub parquet_layout: Option<sm_data::format::parquet::Layout>,
    /// Typed tables: CSV with a header or JSON Lines with scalar fields to Parquet with
    /// inferred column types (int64, float64, bool, string, timestamp), and back.
    #[arg(long)]
    pub typed: bool,
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
    /// JSON Lines / JSON: name of the features field, read and written.
    #[arg(long, value_name = "NAME", default_value = "features")]
    pub features_field: String,
    /// JSON Lines / JSON: name of the label field, read and written.
    #[arg(long, value_name = "NAME", default_value = "label")]
    pub label_field: String,
    /// Predictions (responses such as {"score":0.3}), not instances: JSON Lines input
    /// lines are read as rows of their numeric fields, and JSON / JSON Lines output is
    /// written as predictions ({"predictions":[...]} documents, one per line).
    #[arg(long)]
    pub response: bool,
    /// Field names of written predictions (with --response), given each row's values in
    /// order (labels, then features): one value each; the last takes the rest as an array
    /// when more are left or when it ends in [] (e.g. score,predicted_label or projection[]).
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        default_value = "score"
    )]
    pub prediction_fields: Vec<String>,
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
    /// The file or s3://bucket/key to read ("-" for stdin).
    pub input: String,
    /// How to read it.
    #[command(flatten)]
    pub read: ReadArgs,
}

/// `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The file or s3://bucket/key to read ("-" for stdin).
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
    /// The file or s3://bucket/key to read ("-" for stdin; gzip is detected by its magic).
    pub input: String,
    /// The file or s3://bucket/key to write ("-" for stdout; a name ending in .gz is
    /// compressed).
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
    /// JSON Lines / JSON output shape: features ({"features":[...],"label":x}) or data
    /// ({"data":{"features":{"values":[...]}}}, the inference request shape).
    #[arg(long, value_name = "features|data", default_value = "features")]
    pub json_shape: String,
    /// JSON output: a JSON object written as the request's "configuration".
    #[arg(long, value_name = "JSON")]
    pub configuration: Option<String>,
    /// Parquet output compression: snappy, zstd[:LEVEL], gzip[:LEVEL] or none.
    #[arg(long, value_name = "CODEC", default_value = "snappy")]
    pub compression: Compression,
    /// Parquet output: rows per row group.
    #[arg(long, value_name = "ROWS", default_value_t = sm_data::format::parquet::DEFAULT_ROW_GROUP_SIZE)]
    pub row_group_size: usize,
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
        let label_column = self.label_column.as_deref().unwrap_or("0");
        // Parquet columns have names; CSV takes only numbers (a name is
        // refused when CSV is read).
        let parquet_label = match label_column {
            _ if self.label_column.is_none() => None,
            "none" => Some(LabelColumn::None),
            c => Some(match c.parse::<usize>() {
                Ok(i) => LabelColumn::Index(i),
                Err(_) => LabelColumn::Name(c.to_string()),
            }),
        };
        let label_column = match &parquet_label {
            Some(LabelColumn::Name(_)) => "0",
            _ => label_column,
        };
        let label = match (label_column, self.label_size) {
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
            json: JsonOptions {
                features: self.features_field.clone(),
                label: self.label_field.clone(),
                response: self.response,
                prediction_fields: self.prediction_fields.clone(),
                ..JsonOptions::default()
            },
            split,
            pipeline: pipeline::Options {
                threads: self.threads,
                chunk_size: self.chunk_size,
                window: 0,
            },
            parquet: ParquetOptions {
                layout: self.parquet_layout,
                label: parquet_label,
                exclude: self.exclude_columns.clone(),
                ..ParquetOptions::default()
            },
            typed: self.typed,
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
        o.json.shape = match self.json_shape.as_str() {
            "features" => JsonShape::Features,
            "data" => JsonShape::Data,
            other => {
                return Err(sm_data::Error::config(format!(
                    "--json-shape is features or data, not {other:?}"
                ))
                .into());
            }
        };
        o.json.configuration = self.configuration.clone();
        o.parquet.compression = self.compression;
        o.parquet.row_group_size = self.row_group_size;
        Ok(o)
    }
}
