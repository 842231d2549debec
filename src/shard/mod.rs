//! `shard`: balanced objects for `ShardedByS3Key`, channels, manifests and
//! channel configs.
//!
//! # Why objects of equal size
//! With `S3DataDistributionType=ShardedByS3Key`, SageMaker gives each of N
//! instances "approximately 1/N of the number of S3 objects" — by object
//! count, not bytes — and does not split objects (spec §5.4). Which
//! objects go to which instance (contiguous runs of keys, round robin, or
//! reshuffled each epoch with `ShuffleConfig`) is not documented. So the
//! plan makes the assignment irrelevant: every channel is written as
//! `N × K` objects whose record counts differ by at most one, so any
//! instance that gets K objects gets the same records (to within K, and to
//! within one under a contiguous assignment, where the objects holding one
//! record more are spread evenly) and, records being alike, the same bytes.
//! The [`Report`] shows records and bytes per object and per instance and
//! the worst-to-best ratio under any assignment.
//!
//! # Passes
//! 1. **Plan**: every input is counted with the fast framing-only path
//!    (or, with `--shuffle`, its records are scattered to temporary
//!    buckets while they are counted).
//! 2. **Write**: records are copied as frames or lines without decoding
//!    when the format does not change; with `to` set to another format they
//!    go through [`convert`](crate::convert::convert)'s parallel pipeline
//!    and the encoded records are cut apart again by the output's framing.
//!    Inputs are read again (opened anew), so a pipe (`-`) is refused.
//! 3. **Describe**: one `ManifestFile` per channel (`DEST/<channel>.manifest`)
//!    and `DEST/channels.json` with the `InputDataConfig` entries, written
//!    last, outside the channel prefixes (so `S3Prefix` never picks them up).
//!
//! # Layout
//! `DEST/<channel>/part-00000.<ext>` … for each channel (`train` when
//! there is no `--split`). Keys are zero-padded so that lexicographic
//! order is write order.
//!
//! # Splitting and shuffling
//! `--split` sizes channels exactly (largest remainder). Without
//! `--shuffle`, each record is sent to a channel drawn by a seeded
//! generator with probability proportional to the records the channel
//! still needs: exact sizes, input order kept within each channel, the
//! same split for the same seed. `--shuffle` scatters records to
//! temporary bucket files (a seeded random bucket per record), then
//! shuffles each bucket in memory and reads the buckets in order: a
//! uniformly random permutation, the same bytes for the same seed, with
//! memory bounded by one bucket (about [`ShardOptions::shuffle_bucket_bytes`]
//! plus 16 bytes per record in it, plus 64 KiB of write buffer per bucket).

pub mod plan;
mod records;
mod route;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::codec::{recordio, tfrecord};
use crate::convert::{self, ConvertOptions, input_format};
use crate::error::{Error, Result};
use crate::format::{Format, FormatSpec};
use crate::manifest::Manifest;
use crate::pipeline::{self, Chunk, Chunker, Counted};
use crate::store::{Input, Output};
use crate::store::{ObjectInfo, is_s3, join, list, local_path};
use records::{Framing, Span};
use route::{Buckets, ChannelOut, Router};

/// How many objects each instance gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectCount {
    /// Exactly K objects per instance (`--objects-per-instance`).
    PerInstance(usize),
    /// As many as make objects of about this many bytes, at least one per
    /// instance (`--target-object-size`; estimated from the input bytes).
    TargetSize(u64),
}

/// `S3DataDistributionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Distribution {
    /// Each instance gets about 1/N of the objects.
    ShardedByS3Key,
    /// Every instance gets every object.
    FullyReplicated,
}

/// `TrainingInputMode` of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InputMode {
    /// Objects are downloaded before training.
    File,
    /// A POSIX view that streams on demand (`S3Prefix` only).
    FastFile,
    /// Objects are streamed through a FIFO.
    Pipe,
}

/// `S3DataType` written to `channels.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum S3DataType {
    /// `S3Uri` is the channel's prefix (with a trailing `/`).
    S3Prefix,
    /// `S3Uri` is the channel's manifest.
    ManifestFile,
}

/// Options of [`shard`].
#[derive(Debug, Clone)]
pub struct ShardOptions {
    /// Training instances N (≥ 1).
    pub instances: usize,
    /// Objects per instance.
    pub objects: ObjectCount,
    /// How the input is read and, with `convert.to` set to another
    /// format, how the output is encoded.
    pub convert: ConvertOptions,
    /// Channels and their fractions (summing to 1); empty for one channel
    /// named [`ShardOptions::channel`].
    pub split: Vec<(String, f64)>,
    /// The channel name without `split`.
    pub channel: String,
    /// Shuffle the records.
    pub shuffle: bool,
    /// Seed of the split and the shuffle.
    pub seed: u64,
    /// Target size of a shuffle bucket (memory bound of the shuffle).
    pub shuffle_bucket_bytes: u64,
    /// Where shuffle buckets go (default: the system temporary folder).
    pub tmp_dir: Option<PathBuf>,
    /// Distribution per channel; by default `ShardedByS3Key` for `train`
    /// and `training` (and the only channel), `FullyReplicated` for others.
    pub distribution: BTreeMap<String, Distribution>,
    /// Input mode written to `channels.json`.
    pub input_mode: InputMode,
    /// S3 data type written to `channels.json`.
    pub data_type: S3DataType,
    /// Where DEST will be (or is) in S3, for the URIs of manifests and
    /// `channels.json`; default: DEST itself (`file://` for a local DEST).
    pub s3_uri_prefix: Option<String>,
    /// `ContentType` for `channels.json` (default: from the output format).
    pub content_type: Option<String>,
    /// Write into a non-empty DEST, replacing objects of the same names.
    pub overwrite: bool,
    /// Plan and report only; write nothing.
    pub dry_run: bool,
}

impl Default for ShardOptions {
    fn default() -> ShardOptions {
        ShardOptions {
            instances: 1,
            objects: ObjectCount::PerInstance(1),
            convert: ConvertOptions::default(),
            split: Vec::new(),
            channel: "train".into(),
            shuffle: false,
            seed: 0,
            shuffle_bucket_bytes: 64 << 20,
            tmp_dir: None,
            distribution: BTreeMap::new(),
            input_mode: InputMode::File,
            data_type: S3DataType::S3Prefix,
            s3_uri_prefix: None,
            content_type: None,
            overwrite: false,
            dry_run: false,
        }
    }
}

/// Records and bytes of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectReport {
    /// Key relative to the channel prefix (`part-00000.csv`).
    pub key: String,
    /// Full URI.
    pub uri: String,
    /// Records.
    pub records: u64,
    /// Bytes.
    pub bytes: u64,
}

/// What one instance reads under a contiguous assignment of keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceReport {
    /// 0-based instance (`algo-1` is 0).
    pub instance: usize,
    /// Keys it gets.
    pub objects: Vec<String>,
    /// Records.
    pub records: u64,
    /// Bytes.
    pub bytes: u64,
}

/// Largest over smallest (1.0 is perfect balance).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    /// Of records.
    pub records: f64,
    /// Of bytes.
    pub bytes: f64,
}

/// One channel of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelReport {
    /// Channel name.
    pub name: String,
    /// Distribution in `channels.json`.
    pub distribution: Distribution,
    /// The channel's prefix (`S3Uri` of `S3Prefix`).
    pub prefix: String,
    /// The channel's manifest URI.
    pub manifest: String,
    /// Records in the channel.
    pub records: u64,
    /// Bytes in the channel.
    pub bytes: u64,
    /// Objects in key order.
    pub objects: Vec<ObjectReport>,
    /// Per instance, each getting a run of K consecutive keys
    /// (`ShardedByS3Key`) or every object (`FullyReplicated`).
    pub instances: Vec<InstanceReport>,
    /// Worst-to-best instance under that assignment.
    pub ratio: Ratio,
    /// Worst-to-best instance under any assignment of K objects each: the K
    /// largest objects against the K smallest.
    pub worst_case_ratio: Ratio,
}

/// What [`shard`] planned and wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Nothing was written.
    pub dry_run: bool,
    /// Instances N.
    pub instances: usize,
    /// Input format.
    pub from: String,
    /// Output format.
    pub to: String,
    /// Records were copied without decoding.
    pub frame_copy: bool,
    /// Records were shuffled.
    pub shuffled: bool,
    /// Seed of split and shuffle.
    pub seed: u64,
    /// False when byte counts are estimates (`--dry-run --shuffle`).
    pub bytes_exact: bool,
    /// Input objects read.
    pub inputs: usize,
    /// The destination.
    pub destination: String,
    /// `channels.json` (written unless a dry run).
    pub channels_json: String,
    /// The channels.
    pub channels: Vec<ChannelReport>,
    /// Adjustments made to the plan.
    pub notes: Vec<String>,
}

/// One `InputDataConfig` entry of `channels.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChannelConfig {
    /// Channel name.
    pub channel_name: String,
    /// Where the data is.
    pub data_source: DataSource,
    /// MIME type, with `label_size` for CSV.
    pub content_type: String,
    /// Always `None`: the objects are already framed.
    pub record_wrapper_type: String,
    /// `File`, `FastFile` or `Pipe`.
    pub input_mode: InputMode,
}

/// `DataSource` of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSource {
    /// The S3 source.
    pub s3_data_source: S3DataSource,
}

/// `S3DataSource` of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3DataSource {
    /// `S3Prefix` or `ManifestFile`.
    pub s3_data_type: S3DataType,
    /// The prefix or the manifest.
    pub s3_uri: String,
    /// `ShardedByS3Key` or `FullyReplicated`.
    pub s3_data_distribution_type: Distribution,
}

/// Channel names as SageMaker allows them: 1–64 of `[A-Za-z0-9.\-_]`.
pub fn check_channel_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && name != "."
        && name != "..";
    if ok {
        Ok(())
    } else {
        Err(Error::config(format!(
            "channel name {name:?} is not valid: SageMaker takes 1 to 64 characters of A-Z a-z 0-9 . - _"
        )))
    }
}

/// Shards `inputs` (files, folders, S3 prefixes or manifest files) into
/// `dest` (a folder or an `s3://` prefix) as `opts` says, and reports.
pub fn shard(inputs: &[String], dest: &str, opts: &ShardOptions) -> Result<Report> {
    // Options.
    if opts.instances == 0 {
        return Err(Error::config("--instances must be at least 1"));
    }
    if let ObjectCount::PerInstance(0) | ObjectCount::TargetSize(0) = opts.objects {
        return Err(Error::config(
            "--objects-per-instance and --target-object-size must be at least 1",
        ));
    }
    let channels: Vec<(String, f64)> = if opts.split.is_empty() {
        vec![(opts.channel.clone(), 1.0)]
    } else {
        plan::check_fractions(&opts.split)?;
        opts.split.clone()
    };
    if channels.len() > 20 {
        return Err(Error::config("SageMaker allows at most 20 channels"));
    }
    for (i, (name, _)) in channels.iter().enumerate() {
        check_channel_name(name)?;
        if channels[..i].iter().any(|c| &c.0 == name) {
            return Err(Error::config(format!("channel {name:?} is named twice")));
        }
    }
    for name in opts.distribution.keys() {
        if !channels.iter().any(|c| &c.0 == name) {
            return Err(Error::config(format!(
                "--distribution names channel {name:?}, which is not being written"
            )));
        }
    }
    if opts.input_mode == InputMode::FastFile && opts.data_type == S3DataType::ManifestFile {
        return Err(Error::config(
            "FastFile input mode supports S3Prefix only, not ManifestFile",
        ));
    }
    if dest == "-" || dest.is_empty() {
        return Err(Error::config("--out must be a folder or an s3:// prefix"));
    }
    let dest = if is_s3(dest) {
        dest.to_string()
    } else {
        local_path(dest).to_string()
    };

    // Inputs and formats.
    let files = expand_inputs(inputs)?;
    let first = Input::open(&files[0].uri)?;
    let from = input_format(&first, opts.convert.from.as_ref())?;
    drop(first);
    let to: FormatSpec = opts.convert.to.clone().unwrap_or_else(|| from.clone());
    let reencode = opts.convert.dtype.is_some()
        || opts.convert.label_dtype.is_some()
        || opts.convert.sparse.is_some()
        || opts.convert.num_features.is_some()
        || opts.convert.csv_out_delimiter.is_some()
        || opts.convert.libsvm_one_based_out != opts.convert.libsvm_one_based_in;
    let same_framing = if from.format.is_recordio() {
        to.format.is_recordio()
    } else {
        to.format == from.format
    };
    let copy = same_framing && !reencode;
    if !copy
        && from.format == Format::Libsvm
        && to.format != Format::Libsvm
        && opts.convert.num_features.is_none()
        && files.len() > 1
    {
        return Err(Error::config(
            "converting several LibSVM inputs needs --num-features, so that every object states the same width",
        ));
    }
    let mut conv = opts.convert.clone();
    conv.from = Some(from.clone());
    conv.to = Some(to.clone());
    let in_framing = framing(from.format, &conv, true)?;
    let out_framing = if copy {
        in_framing
    } else {
        framing(to.format, &conv, false)?
    };

    // The destination: refuse to mix with what is there.
    let existing = list_dest(&dest)?;
    if !existing.is_empty() && !opts.overwrite {
        return Err(Error::config(format!(
            "{dest} is not empty ({} objects, such as {}): pass --force to write into it",
            existing.len(),
            existing[0].uri
        )));
    }
    let dest_prefix = join(&dest, "");
    for f in &files {
        let inside = if is_s3(&dest) {
            f.uri.starts_with(&dest_prefix)
        } else {
            Path::new(&f.uri).starts_with(&dest)
        };
        if inside {
            return Err(Error::config(format!(
                "the input {} is inside the destination {dest}",
                f.uri
            )));
        }
    }

    // Pass 1: count (or scatter).
    let input_bytes: u64 = files.iter().map(|f| f.size).sum();
    let scatter = opts.shuffle && !opts.dry_run;
    let mut buckets = None;
    let (total, total_bytes) = if scatter {
        let tmp = opts.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let n = input_bytes
            .div_ceil(opts.shuffle_bucket_bytes.max(1))
            .clamp(1, 1024) as usize;
        let mut b = Buckets::new(&tmp, n, opts.seed)?;
        for_each_record(
            &files,
            copy,
            &conv,
            in_framing,
            out_framing,
            &mut |data, spans| b.scatter(data, spans, &out_framing),
        )?;
        let totals = (b.records.iter().sum(), b.bytes.iter().sum());
        buckets = Some(b);
        totals
    } else if copy {
        let mut n = 0u64;
        let mut bytes = 0u64;
        for f in &files {
            let (r, b) = count_records(&f.uri, &conv, in_framing)?;
            n += r;
            bytes += b;
        }
        (n, bytes)
    } else {
        let mut n = 0u64;
        for f in &files {
            n += crate::inspect::count(Input::open(&f.uri)?, &conv)?.1;
        }
        (n, input_bytes)
    };

    // The plan.
    let counts = plan::split_counts(total, &channels.iter().map(|c| c.1).collect::<Vec<_>>());
    let base = uri_base(&dest, opts.s3_uri_prefix.as_deref())?;
    let ext = to.format.extension();
    let mut notes = Vec::new();
    let mut outs = Vec::new();
    let mut meta = Vec::new();
    for ((name, _), &records) in channels.iter().zip(&counts) {
        let dist = opts.distribution.get(name).copied().unwrap_or(
            if channels.len() == 1 || name == "train" || name == "training" {
                Distribution::ShardedByS3Key
            } else {
                Distribution::FullyReplicated
            },
        );
        let n = opts.instances;
        if records == 0 {
            return Err(Error::config(format!(
                "channel {name} would be empty ({total} records in all): nothing to write"
            )));
        }
        if dist == Distribution::ShardedByS3Key && records < n as u64 {
            return Err(Error::config(format!(
                "channel {name} has {records} records for {n} instances: with ShardedByS3Key an instance would get no data; use fewer instances or FullyReplicated"
            )));
        }
        let est_bytes = (total_bytes as f64 * records as f64 / total.max(1) as f64) as u64;
        let mut k = match opts.objects {
            ObjectCount::PerInstance(k) => k,
            ObjectCount::TargetSize(t) => {
                ((est_bytes as f64 / (n as f64 * t as f64)).round() as usize).max(1)
            }
        };
        let per_object = if records < (n * k) as u64 {
            let fit = (records / n as u64).max(1) as usize;
            notes.push(format!(
                "channel {name}: {records} records cannot fill {} objects; {} objects per instance instead of {k}",
                n * k,
                fit
            ));
            k = fit;
            if records < n as u64 {
                // FullyReplicated with fewer records than instances.
                vec![1; records as usize]
            } else {
                plan::object_records(records, n, k)
            }
        } else {
            plan::object_records(records, n, k)
        };
        let width = 5.max(per_object.len().saturating_sub(1).to_string().len());
        let keys: Vec<String> = (0..per_object.len())
            .map(|i| format!("part-{i:0width$}.{ext}"))
            .collect();
        let prefix = join(&dest, &format!("{name}/"));
        let uris: Vec<String> = keys.iter().map(|k| join(&prefix, k)).collect();
        outs.push(ChannelOut::new(uris, per_object));
        meta.push((name.clone(), dist, k, keys));
    }
    // With --force, nothing may stay behind under a channel prefix that the
    // plan does not write: S3Prefix would read it.
    let planned: std::collections::HashSet<&str> = outs
        .iter()
        .flat_map(|o| o.uris.iter().map(String::as_str))
        .collect();
    let manifest_uris: Vec<String> = meta
        .iter()
        .map(|m| join(&dest, &format!("{}.manifest", m.0)))
        .collect();
    let channels_json = join(&dest, "channels.json");
    for o in &existing {
        let in_channel = meta
            .iter()
            .any(|m| o.uri.starts_with(&join(&dest, &format!("{}/", m.0))));
        if in_channel && !planned.contains(o.uri.as_str()) {
            return Err(Error::config(format!(
                "{} is under a channel prefix but is not part of this plan, and S3Prefix would read it: remove it or choose another destination",
                o.uri
            )));
        }
    }

    // Pass 2: write.
    if !opts.dry_run && !is_s3(&dest) {
        for m in &meta {
            let d = Path::new(&dest).join(&m.0);
            std::fs::create_dir_all(&d)
                .map_err(|e| Error::from(e).in_file(d.display().to_string()))?;
        }
    }
    let mut router = Router::new(outs, opts.seed, out_framing, opts.dry_run, opts.overwrite);
    let bytes_exact = !(opts.dry_run && opts.shuffle);
    if let Some(b) = buckets {
        b.drain(&mut router)?;
    } else if opts.dry_run && opts.shuffle {
        // Records per object are exact; bytes are estimated below.
    } else {
        for_each_record(
            &files,
            copy,
            &conv,
            in_framing,
            out_framing,
            &mut |data, spans| router.push(data, spans),
        )?;
    }
    let outs = if opts.dry_run && opts.shuffle {
        let mean = total_bytes as f64 / total.max(1) as f64;
        let mut outs = router.into_channels();
        for o in &mut outs {
            for (b, r) in o.bytes.iter_mut().zip(&o.plan) {
                *b = (*r as f64 * mean).round() as u64;
            }
        }
        outs
    } else {
        router.finish()?
    };

    // Reports, manifests and channels.json.
    let mut reports = Vec::new();
    let mut configs = Vec::new();
    for (((name, dist, k, keys), out), manifest_uri) in
        meta.into_iter().zip(outs).zip(&manifest_uris)
    {
        let prefix = format!("{base}{name}/");
        let manifest_at = format!("{base}{name}.manifest");
        let objects: Vec<ObjectReport> = keys
            .iter()
            .zip(out.uris.iter().zip(out.plan.iter().zip(&out.bytes)))
            .map(|(key, (uri, (&records, &bytes)))| ObjectReport {
                key: key.clone(),
                uri: uri.clone(),
                records,
                bytes,
            })
            .collect();
        if !opts.dry_run {
            let m = Manifest {
                prefix: prefix.clone(),
                keys: keys.clone(),
            };
            write_small(manifest_uri, m.to_json().as_bytes(), opts.overwrite)?;
        }
        let content_type = opts
            .content_type
            .clone()
            .unwrap_or_else(|| content_type(&to, &conv));
        configs.push(ChannelConfig {
            channel_name: name.clone(),
            data_source: DataSource {
                s3_data_source: S3DataSource {
                    s3_data_type: opts.data_type,
                    s3_uri: match opts.data_type {
                        S3DataType::S3Prefix => prefix.clone(),
                        S3DataType::ManifestFile => manifest_at.clone(),
                    },
                    s3_data_distribution_type: dist,
                },
            },
            content_type,
            record_wrapper_type: "None".into(),
            input_mode: opts.input_mode,
        });
        reports.push(channel_report(
            name,
            dist,
            prefix,
            manifest_at,
            objects,
            opts.instances,
            k,
        ));
    }
    if !opts.dry_run {
        let mut json = serde_json::to_string_pretty(&configs)
            .map_err(|e| Error::new(crate::error::ErrorKind::Internal(e.to_string())))?;
        json.push('\n');
        write_small(&channels_json, json.as_bytes(), opts.overwrite)?;
    }
    Ok(Report {
        dry_run: opts.dry_run,
        instances: opts.instances,
        from: from.format.name().into(),
        to: to.format.name().into(),
        frame_copy: copy,
        shuffled: opts.shuffle,
        seed: opts.seed,
        bytes_exact,
        inputs: files.len(),
        destination: dest,
        channels_json,
        channels: reports,
        notes,
    })
}

fn channel_report(
    name: String,
    dist: Distribution,
    prefix: String,
    manifest: String,
    objects: Vec<ObjectReport>,
    n: usize,
    k: usize,
) -> ChannelReport {
    let records: u64 = objects.iter().map(|o| o.records).sum();
    let bytes: u64 = objects.iter().map(|o| o.bytes).sum();
    let sharded = dist == Distribution::ShardedByS3Key && objects.len() == n * k;
    let instances: Vec<InstanceReport> = (0..n)
        .map(|i| {
            let mine: &[ObjectReport] = if sharded {
                &objects[i * k..(i + 1) * k]
            } else {
                &objects
            };
            InstanceReport {
                instance: i,
                objects: mine.iter().map(|o| o.key.clone()).collect(),
                records: mine.iter().map(|o| o.records).sum(),
                bytes: mine.iter().map(|o| o.bytes).sum(),
            }
        })
        .collect();
    let ratio_of = |v: &[u64]| -> f64 {
        let lo = *v.iter().min().unwrap_or(&0);
        let hi = *v.iter().max().unwrap_or(&0);
        if lo == 0 {
            if hi == 0 { 1.0 } else { f64::INFINITY }
        } else {
            hi as f64 / lo as f64
        }
    };
    let ratio = Ratio {
        records: ratio_of(&instances.iter().map(|i| i.records).collect::<Vec<_>>()),
        bytes: ratio_of(&instances.iter().map(|i| i.bytes).collect::<Vec<_>>()),
    };
    let worst = |key: fn(&ObjectReport) -> u64| -> f64 {
        if !sharded {
            return 1.0;
        }
        let mut v: Vec<u64> = objects.iter().map(key).collect();
        v.sort_unstable();
        let lo: u64 = v[..k].iter().sum();
        let hi: u64 = v[v.len() - k..].iter().sum();
        if lo == 0 {
            if hi == 0 { 1.0 } else { f64::INFINITY }
        } else {
            hi as f64 / lo as f64
        }
    };
    let worst_case_ratio = Ratio {
        records: worst(|o| o.records),
        bytes: worst(|o| o.bytes),
    };
    ChannelReport {
        name,
        distribution: dist,
        prefix,
        manifest,
        records,
        bytes,
        objects,
        instances,
        ratio,
        worst_case_ratio,
    }
}

/// The content type of `to` for `channels.json`: CSV gets its
/// `label_size` (from the output spec, else the CSV input's label
/// columns, else 1).
fn content_type(to: &FormatSpec, conv: &ConvertOptions) -> String {
    match to.format {
        Format::Csv => {
            let from_csv = conv.from.as_ref().is_some_and(|f| f.format == Format::Csv);
            let n = to
                .label_size
                .or(if from_csv {
                    conv.from
                        .as_ref()
                        .and_then(|f| f.label_size)
                        .or(Some(conv.csv.label.map_or(0, |l| l.size)))
                } else {
                    None
                })
                .unwrap_or(1);
            format!("text/csv;label_size={n}")
        }
        f => f.content_type().into(),
    }
}

fn framing(format: Format, conv: &ConvertOptions, input: bool) -> Result<Framing> {
    Ok(match format {
        Format::Csv => Framing::Lines {
            quote: Some(conv.csv.quote),
            comment: false,
            header: input && conv.csv.has_header,
        },
        Format::Libsvm => Framing::Lines {
            quote: None,
            comment: true,
            header: false,
        },
        // One JSON object a line; a blank line is not a record.
        Format::Jsonl => Framing::Lines {
            quote: None,
            comment: false,
            header: false,
        },
        Format::Tfrecord => {
            let mut d = tfrecord::Decoder::new();
            if let Some(m) = conv.max_record_len {
                d.max_record_len(m);
            }
            Framing::Tfrecord(d)
        }
        Format::Parquet => {
            return Err(Error::unsupported(
                "shard copies or re-encodes records one by one and cannot cut Parquet files yet; convert the Parquet file to RecordIO-protobuf, CSV or JSON Lines first, or shard from one of them",
            ));
        }
        Format::Json => {
            return Err(Error::unsupported(
                "a JSON document cannot be split into objects that stand alone; shard JSON Lines (--to jsonl) instead",
            ));
        }
        Format::Recordio | Format::RecordioProtobuf => {
            let mut d = recordio::Decoder::new();
            d.convention(conv.split);
            if let Some(m) = conv.max_record_len {
                d.max_record_len(m);
            }
            Framing::Recordio(d)
        }
    })
}

/// The URI base for manifests and `channels.json`, ending in `/`.
fn uri_base(dest: &str, s3_uri_prefix: Option<&str>) -> Result<String> {
    let base = match s3_uri_prefix {
        Some(p) => {
            if !is_s3(p) || p.len() <= 5 || p[5..].starts_with('/') {
                return Err(Error::config(format!(
                    "--s3-uri-prefix must be an s3://bucket/prefix URI, not {p:?}"
                )));
            }
            p.to_string()
        }
        None if is_s3(dest) => dest.to_string(),
        None => {
            let abs = std::path::absolute(dest).map_err(|e| Error::from(e).in_file(dest))?;
            format!("file://{}", abs.display())
        }
    };
    Ok(if base.ends_with('/') {
        base
    } else {
        format!("{base}/")
    })
}

fn write_small(uri: &str, bytes: &[u8], overwrite: bool) -> Result<()> {
    let mut out = Output::create(uri, overwrite)?;
    out.write_all(bytes)?;
    out.commit()
}

/// What is under the destination now.
fn list_dest(dest: &str) -> Result<Vec<ObjectInfo>> {
    if is_s3(dest) {
        let prefix = if dest.ends_with('/') {
            dest.to_string()
        } else {
            format!("{dest}/")
        };
        return list(&prefix);
    }
    let p = Path::new(dest);
    if p.exists() && !p.is_dir() {
        return Err(Error::config(format!("{dest} exists and is not a folder")));
    }
    if !p.exists() {
        return Ok(Vec::new());
    }
    list(dest)
}

/// Input files, folders, prefixes and manifests, expanded to objects.
fn expand_inputs(inputs: &[String]) -> Result<Vec<ObjectInfo>> {
    if inputs.is_empty() {
        return Err(Error::config("no input given"));
    }
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            return Err(Error::config(
                "shard reads its input twice (to plan, then to write), which standard input cannot be: save it to a file first",
            ));
        }
        let before = out.len();
        let local = !is_s3(input);
        let path = local_path(input);
        let is_dir = local && Path::new(path).is_dir();
        let is_file = local && Path::new(path).is_file();
        if is_file || (!local && !input.ends_with('/') && crate::store::exists(input)?) {
            if looks_like_manifest(input)? {
                let m = Manifest::read(input)?;
                for uri in m.uris() {
                    let uri = if is_s3(&uri) {
                        uri
                    } else {
                        local_path(&uri).to_string()
                    };
                    let size = list(&uri)?
                        .into_iter()
                        .find(|o| o.uri == uri)
                        .map(|o| o.size);
                    let size = size.ok_or_else(|| {
                        Error::config(format!(
                            "{uri}, listed in the manifest {input}, does not exist"
                        ))
                    })?;
                    out.push(ObjectInfo { uri, size });
                }
            } else {
                let size = list(path)?.first().map_or(0, |o| o.size);
                out.push(ObjectInfo {
                    uri: if local {
                        path.to_string()
                    } else {
                        input.clone()
                    },
                    size,
                });
            }
        } else if is_dir || !local {
            let mut objs = list(if local { path } else { input })?;
            objs.retain(|o| {
                let name = o.uri.rsplit('/').next().unwrap_or(&o.uri);
                !name.starts_with('.')
                    && name != "_SUCCESS"
                    && !name.ends_with(".manifest")
                    && name != "channels.json"
            });
            out.extend(objs);
        } else {
            return Err(Error::config(format!("{input}: no such file or folder")));
        }
        if out.len() == before {
            return Err(Error::config(format!("{input}: no input objects found")));
        }
    }
    Ok(out)
}

/// A manifest by name (`.manifest`) or, for a local file, content (JSON
/// starting with `[`, which no data format does).
fn looks_like_manifest(uri: &str) -> Result<bool> {
    if uri.ends_with(".manifest") {
        return Ok(true);
    }
    if is_s3(uri) {
        return Ok(false);
    }
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(local_path(uri))
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| Error::from(e).in_file(uri))?;
    Ok(head[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'['))
}

/// Receives records in order: the bytes and the spans of the records in them.
type RecordSink<'a> = dyn FnMut(&[u8], &[Span]) -> Result<()> + 'a;

/// The records of one chunk.
struct ChunkSpans {
    chunk: Chunk,
    spans: Vec<Span>,
}

impl Counted for ChunkSpans {
    fn records(&self) -> u64 {
        self.spans.len() as u64
    }
    fn lines(&self) -> u64 {
        0
    }
}

/// How many records one chunk holds, and their bytes (tails included).
struct Tally {
    records: u64,
    bytes: u64,
}

impl Counted for Tally {
    fn records(&self) -> u64 {
        self.records
    }
    fn lines(&self) -> u64 {
        0
    }
}

/// Counts the records (and their bytes, tails included) of one input.
fn count_records(uri: &str, conv: &ConvertOptions, framing: Framing) -> Result<(u64, u64)> {
    let input = Input::open(uri)?;
    let framer = framing.framer();
    let mut chunker = Chunker::new(input, framer.as_ref(), conv.pipeline.chunk_size);
    let (mut n, mut bytes) = (0u64, 0u64);
    pipeline::run(
        &mut chunker,
        conv.pipeline,
        |chunk: &Chunk| {
            let mut spans = Vec::new();
            framing.spans(chunk, chunk.index == 0, &mut spans)?;
            let bytes = spans
                .iter()
                .map(|&(s, e)| (e - s + framing.tail(&chunk[s..e]).len()) as u64)
                .sum();
            Ok(Tally {
                records: spans.len() as u64,
                bytes,
            })
        },
        |t: Tally| {
            n += t.records;
            bytes += t.bytes;
            Ok(())
        },
        &mut |_| {},
    )?;
    Ok((n, bytes))
}

/// Feeds every record of every input, in order, to `f` as (bytes, spans):
/// copied frames or lines when `copy`, else converted records cut apart
/// by the output framing.
fn for_each_record(
    files: &[ObjectInfo],
    copy: bool,
    conv: &ConvertOptions,
    in_framing: Framing,
    out_framing: Framing,
    f: &mut RecordSink<'_>,
) -> Result<()> {
    for file in files {
        let input = Input::open(&file.uri)?;
        if !copy {
            let mut spans = Vec::new();
            convert::convert(
                input,
                &mut |bytes: &[u8]| {
                    spans.clear();
                    out_framing.spans(bytes, false, &mut spans)?;
                    f(bytes, &spans)
                },
                conv,
                &mut |_, _| {},
            )?;
            continue;
        }
        let framer = in_framing.framer();
        let mut chunker = Chunker::new(input, framer.as_ref(), conv.pipeline.chunk_size);
        // Each result keeps its chunk until the records are written: no
        // copy of streamed bytes, and mapped pages are released (when the
        // chunk drops) only after they were copied out.
        pipeline::run_owned(
            &mut chunker,
            conv.pipeline,
            |chunk: Chunk| {
                let mut spans = Vec::new();
                in_framing.spans(&chunk, chunk.index == 0, &mut spans)?;
                Ok(ChunkSpans { chunk, spans })
            },
            |s: ChunkSpans| f(&s.chunk, &s.spans),
            &mut |_| {},
        )?;
    }
    Ok(())
}
