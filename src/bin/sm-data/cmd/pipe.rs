//! `sm-data pipe feed|read|config`: SageMaker Pipe mode on any machine.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use sm_data::codec::protobuf::{Record, Value};
use sm_data::pipe::config::{
    self, Channel, ChannelOverrides, Compression, Distribution, RecordWrapper, ResourceConfig,
    Source, SourceKind,
};
use sm_data::pipe::feeder::{EarlyClose, FeedOptions, Feeder};
use sm_data::pipe::reader::{ChannelReader, RecordFormat, Records};
use sm_data::pipe::{DEFAULT_CONFIG_DIR, DEFAULT_DATA_DIR};

/// `sm-data pipe`.
#[derive(Debug, Args)]
pub struct PipeArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PipeCommand,
}

/// The `pipe` subcommands.
#[derive(Debug, Subcommand)]
pub enum PipeCommand {
    /// Stream channels into <data-dir>/<channel>_<epoch> FIFOs, as SageMaker Pipe mode does.
    Feed(FeedArgs),
    /// Read a channel's FIFOs epoch by epoch; print counts or records.
    Read(ReadArgs),
    /// Write (or show) inputdataconfig.json and resourceconfig.json for an emulated job.
    Config(ConfigArgs),
}

/// Which channels, from where, with which settings; shared by `feed` and `config`.
#[derive(Debug, Args)]
pub struct ChannelArgs {
    /// A channel and its source: NAME=PATH|s3://PREFIX (S3Prefix), NAME=manifest:URI
    /// (ManifestFile), NAME=augmented:URI[#attr,attr...] (AugmentedManifestFile). Repeatable.
    #[arg(long = "channel", value_name = "NAME=SOURCE")]
    pub channels: Vec<String>,
    /// Channel -> source file: {"train": "s3://b/p/", ...} or a CreateTrainingJob InputDataConfig
    /// list. Default: <config-dir>/sm-data-sources.json if it exists.
    #[arg(long, value_name = "FILE")]
    pub sources: Option<PathBuf>,
    /// Where inputdataconfig.json and resourceconfig.json are.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_CONFIG_DIR)]
    pub config_dir: PathBuf,
    /// RecordWrapperType for every channel: None or RecordIO.
    #[arg(long, value_name = "TYPE")]
    pub record_wrapper: Option<String>,
    /// S3DataDistributionType for every channel: FullyReplicated or ShardedByS3Key.
    #[arg(long, value_name = "TYPE")]
    pub distribution: Option<String>,
    /// CompressionType for every channel: None (objects as stored, SageMaker's default: a
    /// gzip object reaches the FIFO still compressed) or Gzip (gzip objects decompressed).
    #[arg(long, value_name = "TYPE")]
    pub compression_type: Option<String>,
    /// ShuffleConfig seed for every channel: reshuffle objects each epoch.
    #[arg(long, value_name = "SEED", allow_hyphen_values = true)]
    pub shuffle_seed: Option<i64>,
    /// ContentType for every channel (written to inputdataconfig.json).
    #[arg(long, value_name = "MIME")]
    pub content_type: Option<String>,
    /// AttributeNames of augmented-manifest channels, comma-separated, in stream order.
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub attribute_names: Vec<String>,
    /// Emulate host K of N (algo-K among algo-1..algo-N), e.g. 2/3. Default: resourceconfig.json,
    /// else a single host.
    #[arg(long, value_name = "K/N")]
    pub host: Option<String>,
}

/// `pipe feed`.
#[derive(Debug, Args)]
pub struct FeedArgs {
    /// Channels and settings.
    #[command(flatten)]
    pub channels: ChannelArgs,
    /// Where the FIFOs are created.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Epochs per channel (default: until stopped with Ctrl-C or SIGTERM).
    #[arg(long, value_name = "N")]
    pub epochs: Option<u64>,
    /// Seconds to wait for a reader to open each FIFO; 0 waits forever.
    #[arg(long, value_name = "SECS", default_value_t = 7200.0)]
    pub open_timeout: f64,
    /// When a reader closes a FIFO early: next (go on with the next epoch) or stop (stop the
    /// channel).
    #[arg(long, value_name = "next|stop", default_value = "next")]
    pub on_early_close: String,
    /// Also write inputdataconfig.json and resourceconfig.json into --config-dir first.
    #[arg(long)]
    pub write_config: bool,
    /// No per-epoch lines on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `pipe read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The channel name.
    pub channel: String,
    /// Where the FIFOs are.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// First epoch to read.
    #[arg(long, value_name = "E", default_value_t = 0)]
    pub epoch: u64,
    /// Number of epochs to read; 0 reads until no next FIFO appears within the timeout.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub epochs: u64,
    /// Record framing: recordio, recordio-protobuf, tfrecord or lines.
    #[arg(long, value_name = "FORMAT", default_value = "recordio")]
    pub format: String,
    /// Print every record (payload bytes escaped; lines as they are; protobuf decoded).
    #[arg(long)]
    pub print: bool,
    /// Close each epoch's FIFO after this many records (an early close).
    #[arg(long, value_name = "K")]
    pub max_records: Option<u64>,
    /// Seconds to wait for a FIFO to appear and its first bytes to arrive.
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    pub timeout: f64,
}

/// `pipe config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Channels and settings.
    #[command(flatten)]
    pub channels: ChannelArgs,
    /// Write the files into --config-dir (otherwise print them).
    #[arg(long)]
    pub write: bool,
    /// Replace existing files.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Instance type written to resourceconfig.json.
    #[arg(long, value_name = "TYPE", default_value = "ml.m5.xlarge")]
    pub instance_type: String,
}

/// Runs a `pipe` subcommand.
pub fn run(args: PipeArgs) -> anyhow::Result<()> {
    match args.command {
        PipeCommand::Feed(a) => feed(a),
        PipeCommand::Read(a) => read(a),
        PipeCommand::Config(a) => config_cmd(a),
    }
}

fn cfg_err(msg: String) -> anyhow::Error {
    sm_data::Error::config(msg).into()
}

/// Parses a SageMaker enum value, ignoring case (`recordio` = `RecordIO`).
fn parse_enum<T: serde::de::DeserializeOwned>(
    flag: &str,
    s: &str,
    variants: &[&str],
) -> anyhow::Result<T> {
    let v = variants
        .iter()
        .find(|v| v.eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            cfg_err(format!(
                "{flag} is one of {}, not {s:?}",
                variants.join(", ")
            ))
        })?;
    serde_json::from_value(serde_json::Value::String(v.to_string()))
        .map_err(|_| cfg_err(format!("{flag}: unknown value {s:?}")))
}

fn parse_channel(
    spec: &str,
    attrs: &[String],
) -> anyhow::Result<(String, Source, ChannelOverrides)> {
    let (name, src) = spec
        .split_once('=')
        .ok_or_else(|| cfg_err(format!("--channel takes NAME=SOURCE, not {spec:?}")))?;
    let source = if let Some(uri) = src.strip_prefix("manifest:") {
        Source {
            kind: SourceKind::ManifestFile,
            uri: uri.into(),
            attribute_names: Vec::new(),
        }
    } else if let Some(rest) = src.strip_prefix("augmented:") {
        let (uri, names) = match rest.rsplit_once('#') {
            Some((u, n)) => (u, n.split(',').map(str::to_string).collect()),
            None => (rest, attrs.to_vec()),
        };
        Source {
            kind: SourceKind::AugmentedManifestFile,
            uri: uri.into(),
            attribute_names: names,
        }
    } else {
        Source {
            kind: SourceKind::S3Prefix,
            uri: src.into(),
            attribute_names: Vec::new(),
        }
    };
    Ok((name.to_string(), source, ChannelOverrides::default()))
}

/// Channels, host position and the resource config, from files and flags.
struct Resolved {
    channels: Vec<Channel>,
    resource: Option<ResourceConfig>,
    host: (usize, usize),
}

fn resolve(a: &ChannelArgs, instance_type: &str) -> anyhow::Result<Resolved> {
    let idc_path = a.config_dir.join("inputdataconfig.json");
    let idc = if idc_path.exists() {
        Some(config::read_input_data_config(&idc_path)?)
    } else {
        None
    };
    let mut sources = Vec::new();
    let default_sources = a.config_dir.join("sm-data-sources.json");
    let sources_file = a
        .sources
        .clone()
        .or_else(|| default_sources.exists().then_some(default_sources));
    if let Some(f) = &sources_file {
        sources.extend(config::read_sources(f)?);
    }
    for c in &a.channels {
        let parsed = parse_channel(c, &a.attribute_names)?;
        sources.retain(|(n, _, _)| *n != parsed.0);
        sources.push(parsed);
    }
    if !a.attribute_names.is_empty() {
        for (_, s, _) in &mut sources {
            if s.kind == SourceKind::AugmentedManifestFile && s.attribute_names.is_empty() {
                s.attribute_names = a.attribute_names.clone();
            }
        }
    }
    if sources.is_empty() {
        return Err(cfg_err(format!(
            "no channel sources: pass --channel NAME=SOURCE or --sources FILE \
             (looked for {})",
            a.config_dir.join("sm-data-sources.json").display()
        )));
    }
    let flags = ChannelOverrides {
        content_type: a.content_type.clone(),
        input_mode: None,
        distribution: a
            .distribution
            .as_deref()
            .map(|s| {
                parse_enum::<Distribution>(
                    "--distribution",
                    s,
                    &["FullyReplicated", "ShardedByS3Key"],
                )
            })
            .transpose()?,
        record_wrapper: a
            .record_wrapper
            .as_deref()
            .map(|s| parse_enum::<RecordWrapper>("--record-wrapper", s, &["None", "RecordIO"]))
            .transpose()?,
        shuffle_seed: a.shuffle_seed,
        compression: a
            .compression_type
            .as_deref()
            .map(|s| parse_enum::<Compression>("--compression-type", s, &["None", "Gzip"]))
            .transpose()?,
    };
    let (channels, notes) = config::resolve_channels(idc.as_ref(), sources, &flags)?;
    for n in notes {
        eprintln!("sm-data: note: {n}");
    }
    let rc_path = a.config_dir.join("resourceconfig.json");
    let resource = match &a.host {
        Some(h) => {
            let (k, n) = h
                .split_once('/')
                .and_then(|(k, n)| Some((k.parse().ok()?, n.parse().ok()?)))
                .ok_or_else(|| cfg_err(format!("--host takes K/N (e.g. 2/3), not {h:?}")))?;
            Some(ResourceConfig::emulated(k, n, instance_type)?)
        }
        None if rc_path.exists() => Some(config::read_resource_config(&rc_path)?),
        None => None,
    };
    let host = match &resource {
        Some(r) => r.host_position()?,
        None => (0, 1),
    };
    Ok(Resolved {
        channels,
        resource,
        host,
    })
}

fn feed(a: FeedArgs) -> anyhow::Result<()> {
    let r = resolve(&a.channels, "ml.m5.xlarge")?;
    if a.write_config {
        for f in ["inputdataconfig.json", "resourceconfig.json"] {
            let p = a.channels.config_dir.join(f);
            if p.exists() {
                return Err(cfg_err(format!(
                    "{} already exists; --write-config does not replace it \
                     (use `sm-data pipe config --write --force`)",
                    p.display()
                )));
            }
        }
        let resource = r
            .resource
            .clone()
            .map_or_else(|| ResourceConfig::emulated(1, 1, "ml.m5.xlarge"), Ok)?;
        config::write_config(&a.channels.config_dir, &r.channels, Some(&resource))?;
    }
    let on_early_close = match a.on_early_close.as_str() {
        "next" => EarlyClose::NextEpoch,
        "stop" => EarlyClose::Stop,
        o => {
            return Err(cfg_err(format!(
                "--on-early-close is next or stop, not {o:?}"
            )));
        }
    };
    if !(a.open_timeout >= 0.0 && a.open_timeout.is_finite()) {
        return Err(cfg_err("--open-timeout must be a number of seconds".into()));
    }
    let opts = FeedOptions {
        dir: a.data_dir.clone(),
        epochs: a.epochs,
        open_timeout: (a.open_timeout > 0.0).then(|| Duration::from_secs_f64(a.open_timeout)),
        on_early_close,
        host: r.host.0,
        hosts: r.host.1,
    };
    if !a.quiet {
        for c in &r.channels {
            eprintln!(
                "sm-data: feeding {} from {} ({:?}, RecordWrapperType={:?}, CompressionType={:?}, {:?}{}) into {}",
                c.name,
                c.source.uri,
                c.source.kind,
                c.config.record_wrapper,
                c.config.compression,
                c.config.distribution,
                c.config
                    .shuffle
                    .map(|s| format!(", shuffle seed {}", s.seed))
                    .unwrap_or_default(),
                sm_data::pipe::fifo_path(&a.data_dir, &c.name, 0).display(),
            );
        }
    }
    let feeder = Feeder::new(opts, r.channels)?;
    install_signal_handler(feeder.stop_handle())?;
    let quiet = a.quiet;
    feeder.run(&|rep| {
        if !quiet {
            eprintln!(
                "sm-data: {}_{}: {} records, {} bytes{}",
                rep.channel,
                rep.epoch,
                rep.records,
                rep.bytes,
                if rep.closed_early {
                    " (the reader closed the FIFO early)"
                } else {
                    ""
                }
            );
        }
    })?;
    Ok(())
}

/// On SIGINT or SIGTERM: remove every FIFO the feeder created, then exit
/// with 128 + the signal number.
fn install_signal_handler(handle: sm_data::pipe::feeder::StopHandle) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            handle.abort();
            eprintln!("sm-data: stopped by signal {sig}; removed the FIFOs this feeder created");
            std::process::exit(128 + sig);
        }
    });
    Ok(())
}

fn read(a: ReadArgs) -> anyhow::Result<()> {
    let format: RecordFormat = a.format.parse()?;
    if !(a.timeout >= 0.0 && a.timeout.is_finite()) {
        return Err(cfg_err("--timeout must be a number of seconds".into()));
    }
    let mut channel = ChannelReader::new(&a.data_dir, &a.channel);
    channel
        .timeout(Duration::from_secs_f64(a.timeout))
        .start_epoch(a.epoch);
    let mut records = Records::new(channel, format, (a.epochs > 0).then_some(a.epochs))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let channel_name = a.channel.clone();
    let print = a.print;
    let summaries = |out: &mut dyn Write, records: &mut Records| -> std::io::Result<()> {
        for e in records.take_ended() {
            let line = format!(
                "{channel_name}_{}: {} records, {} bytes{}",
                e.epoch,
                e.records,
                e.bytes,
                if e.closed_early {
                    " (closed early)"
                } else {
                    ""
                }
            );
            if print {
                eprintln!("sm-data: {line}");
            } else {
                writeln!(out, "{line}")?;
            }
        }
        Ok(())
    };
    loop {
        let index = if format == RecordFormat::RecordIOProtobuf {
            let Some((_, index, r)) = records.read_example()? else {
                break;
            };
            if print {
                writeln!(out, "{}", record_text(&r))?;
            }
            index
        } else {
            let Some(r) = records.read_record()? else {
                break;
            };
            if print {
                if format == RecordFormat::Lines {
                    out.write_all(r.payload)?;
                    out.write_all(b"\n")?;
                } else {
                    writeln!(out, "{}", r.payload.escape_ascii())?;
                }
            }
            r.index
        };
        if a.max_records.is_some_and(|k| index + 1 >= k) {
            records.next_epoch();
        }
        summaries(&mut out, &mut records)?;
    }
    summaries(&mut out, &mut records)?;
    out.flush()?;
    Ok(())
}

fn value_text(v: &Value) -> String {
    fn tensor<T: std::fmt::Display>(t: &sm_data::codec::protobuf::Tensor<T>) -> String {
        let vals: Vec<String> = t.values.iter().map(|v| v.to_string()).collect();
        if t.keys.is_empty() {
            format!("[{}]", vals.join(", "))
        } else {
            format!(
                "keys {:?} values [{}] shape {:?}",
                t.keys,
                vals.join(", "),
                t.shape
            )
        }
    }
    match v {
        Value::Empty => "empty".into(),
        Value::Float32(t) => tensor(t),
        Value::Float64(t) => tensor(t),
        Value::Int32(t) => tensor(t),
        Value::Bytes(b) => format!("{} byte strings", b.value.len()),
    }
}

fn record_text(r: &Record) -> String {
    let map = |m: &[(String, Value)]| -> String {
        m.iter()
            .map(|(k, v)| format!("{k}={}", value_text(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("label {} features {}", map(&r.label), map(&r.features))
}

fn config_cmd(a: ConfigArgs) -> anyhow::Result<()> {
    let r = resolve(&a.channels, &a.instance_type)?;
    let resource = r
        .resource
        .clone()
        .map_or_else(|| ResourceConfig::emulated(1, 1, &a.instance_type), Ok)?;
    if a.write {
        let dir: &Path = &a.channels.config_dir;
        for f in ["inputdataconfig.json", "resourceconfig.json"] {
            if dir.join(f).exists() && !a.force {
                return Err(cfg_err(format!(
                    "{} already exists; pass --force to replace it",
                    dir.join(f).display()
                )));
            }
        }
        config::write_config(dir, &r.channels, Some(&resource))?;
        eprintln!(
            "sm-data: wrote {} and {}",
            dir.join("inputdataconfig.json").display(),
            dir.join("resourceconfig.json").display()
        );
    } else {
        let map: config::InputDataConfig = r
            .channels
            .iter()
            .map(|c| (c.name.clone(), c.config.clone()))
            .collect();
        println!(
            "inputdataconfig.json:\n{}",
            serde_json::to_string_pretty(&map)?
        );
        println!(
            "resourceconfig.json:\n{}",
            serde_json::to_string_pretty(&resource)?
        );
    }
    Ok(())
}
