//! `sm-data shard INPUT... --instances N --out DEST`: balanced objects for
//! ShardedByS3Key, channel splits, manifests and channels.json.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Args;
use sm_data::shard::{
    ChannelReport, Distribution, InputMode, ObjectCount, Report, S3DataType, ShardOptions,
};
use sm_data::{Dtype, FormatSpec};

use crate::args::ReadArgs;

/// `shard`.
#[derive(Debug, Args)]
pub struct ShardArgs {
    /// Input files, folders, S3 prefixes or manifest files (any supported format, all the same).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Number of training instances N: each channel is written as a multiple of N objects.
    #[arg(long, short = 'n', value_name = "N")]
    pub instances: usize,
    /// Destination folder or s3://bucket/prefix/.
    #[arg(long, short = 'o', value_name = "DEST")]
    pub out: String,
    /// Objects per instance K (default 1).
    #[arg(long, value_name = "K", conflicts_with = "target_object_size")]
    pub objects_per_instance: Option<usize>,
    /// Choose K so that objects are about this size (e.g. 256M, 1G; estimated from the input).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub target_object_size: Option<u64>,
    /// How to read the input.
    #[command(flatten)]
    pub read: ReadArgs,
    /// Output format (default: the input's; records are then copied without decoding).
    #[arg(long, value_name = "FORMAT")]
    pub to: Option<FormatSpec>,
    /// Tensor type of RecordIO-protobuf output (float32, float64, int32).
    #[arg(long, value_name = "DTYPE")]
    pub dtype: Option<Dtype>,
    /// Tensor type of RecordIO-protobuf labels (default: as --dtype).
    #[arg(long, value_name = "DTYPE")]
    pub label_dtype: Option<Dtype>,
    /// Write sparse RecordIO-protobuf tensors.
    #[arg(long, conflicts_with = "dense")]
    pub sparse: bool,
    /// Write dense RecordIO-protobuf tensors.
    #[arg(long)]
    pub dense: bool,
    /// Number of features (width of dense rows, shape of sparse tensors).
    #[arg(long, value_name = "N")]
    pub num_features: Option<u64>,
    /// Channels and their fractions, e.g. train=0.8,validation=0.1,test=0.1.
    #[arg(long, value_name = "NAME=FRACTION,...")]
    pub split: Option<String>,
    /// Name of the one channel without --split.
    #[arg(long, value_name = "NAME", default_value = "train")]
    pub channel: String,
    /// Shuffle the records (reproducibly for a --seed, in bounded memory).
    #[arg(long)]
    pub shuffle: bool,
    /// Seed of --split and --shuffle.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Memory bound of --shuffle: the size of one temporary bucket.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64M")]
    pub shuffle_memory: u64,
    /// Folder for the temporary shuffle buckets (default: the system temp folder).
    #[arg(long, value_name = "DIR")]
    pub tmp_dir: Option<std::path::PathBuf>,
    /// S3DataDistributionType of a channel, e.g. validation=ShardedByS3Key (repeatable).
    /// Default: ShardedByS3Key for train (and a lone channel), FullyReplicated for others.
    #[arg(long, value_name = "CHANNEL=TYPE")]
    pub distribution: Vec<String>,
    /// InputMode written to channels.json: File, FastFile or Pipe.
    #[arg(long, value_name = "MODE", default_value = "File")]
    pub input_mode: String,
    /// S3DataType written to channels.json: S3Prefix or ManifestFile.
    #[arg(long, value_name = "TYPE", default_value = "S3Prefix")]
    pub s3_data_type: String,
    /// Where DEST will be uploaded (s3://bucket/prefix/), for the URIs in manifests and
    /// channels.json. Default: DEST itself (file:// URIs for a local folder).
    #[arg(long, value_name = "URI")]
    pub s3_uri_prefix: Option<String>,
    /// ContentType for channels.json (default: from the output format).
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// Plan and print the balance report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write into a non-empty DEST, replacing objects of the same names.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Print nothing on success.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Sizes such as 4096, 64K, 256M, 1G, 1GiB (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(digits);
    let n: u64 = n.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("not a size: {s:?} (use e.g. 512M or 1G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s:?}"))
}

fn config(msg: String) -> anyhow::Error {
    sm_data::Error::config(msg).into()
}

fn distribution(s: &str) -> anyhow::Result<Distribution> {
    match s.to_ascii_lowercase().as_str() {
        "shardedbys3key" | "sharded" => Ok(Distribution::ShardedByS3Key),
        "fullyreplicated" | "replicated" => Ok(Distribution::FullyReplicated),
        _ => Err(config(format!(
            "distribution is ShardedByS3Key or FullyReplicated, not {s:?}"
        ))),
    }
}

impl ShardArgs {
    /// The library options these flags describe.
    pub fn options(&self) -> anyhow::Result<ShardOptions> {
        let mut conv = self.read.options()?;
        conv.to = self.to.clone();
        conv.dtype = self.dtype;
        conv.label_dtype = self.label_dtype;
        conv.sparse = if self.sparse {
            Some(true)
        } else if self.dense {
            Some(false)
        } else {
            None
        };
        conv.num_features = self.num_features;
        conv.libsvm_one_based_out = conv.libsvm_one_based_in;
        let mut split = Vec::new();
        if let Some(s) = &self.split {
            for part in s.split(',').filter(|p| !p.trim().is_empty()) {
                let (name, frac) = part.split_once('=').ok_or_else(|| {
                    config(format!("--split takes NAME=FRACTION,..., not {part:?}"))
                })?;
                let frac: f64 = frac
                    .trim()
                    .parse()
                    .map_err(|_| config(format!("--split: {frac:?} is not a fraction")))?;
                split.push((name.trim().to_string(), frac));
            }
        }
        let mut dist = BTreeMap::new();
        for d in &self.distribution {
            let (ch, ty) = d
                .split_once('=')
                .ok_or_else(|| config(format!("--distribution takes CHANNEL=TYPE, not {d:?}")))?;
            dist.insert(ch.trim().to_string(), distribution(ty.trim())?);
        }
        let input_mode = match self.input_mode.to_ascii_lowercase().as_str() {
            "file" => InputMode::File,
            "fastfile" => InputMode::FastFile,
            "pipe" => InputMode::Pipe,
            m => {
                return Err(config(format!(
                    "--input-mode is File, FastFile or Pipe, not {m:?}"
                )));
            }
        };
        let data_type = match self.s3_data_type.to_ascii_lowercase().as_str() {
            "s3prefix" => S3DataType::S3Prefix,
            "manifestfile" => S3DataType::ManifestFile,
            t => {
                return Err(config(format!(
                    "--s3-data-type is S3Prefix or ManifestFile, not {t:?}"
                )));
            }
        };
        Ok(ShardOptions {
            instances: self.instances,
            objects: match (self.objects_per_instance, self.target_object_size) {
                (_, Some(t)) => ObjectCount::TargetSize(t),
                (k, None) => ObjectCount::PerInstance(k.unwrap_or(1)),
            },
            convert: conv,
            split,
            channel: self.channel.clone(),
            shuffle: self.shuffle,
            seed: self.seed,
            shuffle_bucket_bytes: self.shuffle_memory,
            tmp_dir: self.tmp_dir.clone(),
            distribution: dist,
            input_mode,
            data_type,
            s3_uri_prefix: self.s3_uri_prefix.clone(),
            content_type: self.content_type.clone(),
            overwrite: self.force,
            dry_run: self.dry_run,
        })
    }
}

/// Shards and prints the balance report.
pub fn run(args: ShardArgs) -> anyhow::Result<()> {
    let opts = args.options()?;
    let report = sm_data::shard::shard(&args.inputs, &args.out, &opts)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else if !args.quiet {
        print_report(&mut out, &report)?;
    }
    out.flush()?;
    Ok(())
}

fn ratio(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.3}")
    } else {
        "inf".into()
    }
}

fn print_report(out: &mut dyn Write, r: &Report) -> std::io::Result<()> {
    let records: u64 = r.channels.iter().map(|c| c.records).sum();
    writeln!(
        out,
        "{}{} records {} -> {} ({}), {} input objects, {} instances{}",
        if r.dry_run {
            "dry run (nothing written): "
        } else {
            ""
        },
        records,
        r.from,
        r.to,
        if r.frame_copy {
            "copied without decoding"
        } else {
            "converted"
        },
        r.inputs,
        r.instances,
        if r.shuffled {
            format!(", shuffled with seed {}", r.seed)
        } else {
            String::new()
        },
    )?;
    for n in &r.notes {
        writeln!(out, "note: {n}")?;
    }
    for c in &r.channels {
        print_channel(out, c, r.bytes_exact)?;
    }
    if !r.dry_run {
        writeln!(out, "\nchannel config: {}", r.channels_json)?;
    }
    Ok(())
}

fn print_channel(out: &mut dyn Write, c: &ChannelReport, exact: bool) -> std::io::Result<()> {
    let est = if exact { "" } else { " (estimated)" };
    writeln!(
        out,
        "\nchannel {} ({:?}): {} records, {} bytes{est}, {} objects under {}",
        c.name,
        c.distribution,
        c.records,
        c.bytes,
        c.objects.len(),
        c.prefix
    )?;
    writeln!(out, "  manifest {}", c.manifest)?;
    let w = c
        .objects
        .iter()
        .map(|o| o.key.len())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        out,
        "  {:<w$}  {:>12}  {:>14}",
        "object", "records", "bytes"
    )?;
    for o in &c.objects {
        writeln!(out, "  {:<w$}  {:>12}  {:>14}", o.key, o.records, o.bytes)?;
    }
    if c.distribution == Distribution::ShardedByS3Key {
        writeln!(
            out,
            "  {:<w$}  {:>12}  {:>14}  objects",
            "instance", "records", "bytes"
        )?;
        for i in &c.instances {
            let objs = match (i.objects.first(), i.objects.last()) {
                (Some(a), Some(b)) if a != b => format!("{a} .. {b}"),
                (Some(a), _) => a.clone(),
                _ => String::new(),
            };
            writeln!(
                out,
                "  {:<w$}  {:>12}  {:>14}  {objs}",
                format!("algo-{}", i.instance + 1),
                i.records,
                i.bytes
            )?;
        }
        writeln!(
            out,
            "  worst/best instance: records {}, bytes {}; under any assignment of objects: records {}, bytes {}",
            ratio(c.ratio.records),
            ratio(c.ratio.bytes),
            ratio(c.worst_case_ratio.records),
            ratio(c.worst_case_ratio.bytes)
        )?;
    } else {
        writeln!(
            out,
            "  every instance reads all {} objects",
            c.objects.len()
        )?;
    }
    Ok(())
}
