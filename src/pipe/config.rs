//! The container's view of a training job — `/opt/ml/input/config/`
//! `inputdataconfig.json` and `resourceconfig.json` — and the small
//! *sources file* that tells the feeder where each channel's data is.
//!
//! # `inputdataconfig.json` (spec §4.6)
//! ```json
//! {"train": {"ContentType": "application/x-recordio-protobuf",
//!            "TrainingInputMode": "Pipe",
//!            "S3DistributionType": "FullyReplicated",
//!            "RecordWrapperType": "None"}}
//! ```
//! `ContentType` is left out when unset, as SageMaker does. When reading,
//! sm-data also accepts `ShuffleConfig: {"Seed": n}` and
//! `CompressionType` in an entry (SageMaker's own file is not documented to
//! carry them); they are never written.
//!
//! # `resourceconfig.json`
//! ```json
//! {"current_host": "algo-2", "current_instance_type": "ml.m5.xlarge",
//!  "current_group_name": "homogeneousCluster",
//!  "hosts": ["algo-1", "algo-2", "algo-3"],
//!  "instance_groups": [{"instance_group_name": "homogeneousCluster",
//!                       "instance_type": "ml.m5.xlarge",
//!                       "hosts": ["algo-1", "algo-2", "algo-3"]}],
//!  "network_interface_name": "eth0"}
//! ```
//!
//! # The sources file
//! SageMaker's container files do not say where the data comes from, so
//! the feeder takes a channel → source mapping. The file is JSON in either
//! of two shapes:
//! - a map from channel name to an S3 URI or local path (an `S3Prefix`), or
//!   to an `S3DataSource` object:
//!   `{"train": "s3://bucket/train/", "labels": {"S3DataType":
//!   "AugmentedManifestFile", "S3Uri": "file.manifest", "AttributeNames":
//!   ["source-ref", "class"]}}`;
//! - the `InputDataConfig` list of a CreateTrainingJob request (or an
//!   object with an `InputDataConfig` key), as `sm-data shard` writes in
//!   `channels.json`: each entry's `ChannelName`, `DataSource.S3DataSource`
//!   (`S3DataType`, `S3Uri`, `S3DataDistributionType`, `AttributeNames`),
//!   `ContentType`, `CompressionType`, `RecordWrapperType`, `InputMode` and
//!   `ShuffleConfig` are used.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// `TrainingInputMode` of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum InputMode {
    /// Files downloaded before training.
    File,
    /// FIFOs, one per epoch (what the feeder serves).
    #[default]
    Pipe,
    /// A lazily fetched POSIX view.
    FastFile,
}

/// `RecordWrapperType` of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RecordWrapper {
    /// Objects streamed as they are, back to back.
    #[default]
    None,
    /// Each object (or augmented-manifest attribute) as one RecordIO record.
    RecordIO,
}

/// `CompressionType` of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Compression {
    /// Objects are delivered as they are stored (a gzip object stays gzip).
    #[default]
    None,
    /// Gzip objects are decompressed before they are streamed (Pipe mode
    /// only, in SageMaker).
    Gzip,
}

/// `S3DataDistributionType` (`S3DistributionType` in the container file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Distribution {
    /// Every host gets every object.
    #[default]
    FullyReplicated,
    /// Each host gets its share of the objects (see
    /// [`super::source::host_share`]).
    ShardedByS3Key,
}

/// One channel's entry in `inputdataconfig.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChannelConfig {
    /// MIME type, omitted when unset.
    #[serde(
        rename = "ContentType",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub content_type: Option<String>,
    /// File, Pipe or FastFile.
    #[serde(rename = "TrainingInputMode", default)]
    pub input_mode: InputMode,
    /// FullyReplicated or ShardedByS3Key.
    #[serde(rename = "S3DistributionType", default)]
    pub distribution: Distribution,
    /// None or RecordIO.
    #[serde(rename = "RecordWrapperType", default)]
    pub record_wrapper: RecordWrapper,
    /// `ShuffleConfig.Seed` (read when present, never written).
    #[serde(rename = "ShuffleConfig", skip_serializing, default)]
    pub shuffle: Option<ShuffleConfig>,
    /// `CompressionType` (read when present, never written).
    #[serde(rename = "CompressionType", skip_serializing, default)]
    pub compression: Compression,
}

/// `ShuffleConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShuffleConfig {
    /// The seed (a Java long in the API).
    #[serde(rename = "Seed")]
    pub seed: i64,
}

/// `inputdataconfig.json`: channel name → configuration.
pub type InputDataConfig = BTreeMap<String, ChannelConfig>;

/// One instance group of a heterogeneous cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceGroup {
    /// Group name.
    pub instance_group_name: String,
    /// Instance type, e.g. `ml.m5.xlarge`.
    pub instance_type: String,
    /// Hosts of the group.
    pub hosts: Vec<String>,
}

/// `resourceconfig.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceConfig {
    /// This host, e.g. `algo-1`.
    pub current_host: String,
    /// Instance type of this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_instance_type: Option<String>,
    /// Instance group of this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_group_name: Option<String>,
    /// All hosts, sorted.
    pub hosts: Vec<String>,
    /// Instance groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_groups: Vec<InstanceGroup>,
    /// Network interface, `eth0` by default.
    #[serde(default = "eth0")]
    pub network_interface_name: String,
}

fn eth0() -> String {
    "eth0".into()
}

impl ResourceConfig {
    /// The emulated cluster `algo-1` … `algo-<count>` seen from host
    /// `algo-<current>` (1-based), shaped as SageMaker writes it for a
    /// homogeneous cluster.
    pub fn emulated(current: usize, count: usize, instance_type: &str) -> Result<ResourceConfig> {
        if count == 0 || current == 0 || current > count {
            return Err(Error::config(format!(
                "host {current} of {count} does not exist (hosts are numbered 1 to {count})"
            )));
        }
        let hosts: Vec<String> = (1..=count).map(|i| format!("algo-{i}")).collect();
        Ok(ResourceConfig {
            current_host: format!("algo-{current}"),
            current_instance_type: Some(instance_type.to_string()),
            current_group_name: Some("homogeneousCluster".into()),
            hosts: hosts.clone(),
            instance_groups: vec![InstanceGroup {
                instance_group_name: "homogeneousCluster".into(),
                instance_type: instance_type.to_string(),
                hosts,
            }],
            network_interface_name: eth0(),
        })
    }

    /// This host's 0-based position in `hosts` and the number of hosts.
    pub fn host_position(&self) -> Result<(usize, usize)> {
        let i = self
            .hosts
            .iter()
            .position(|h| *h == self.current_host)
            .ok_or_else(|| {
                Error::config(format!(
                    "current_host {:?} is not in hosts {:?}",
                    self.current_host, self.hosts
                ))
            })?;
        Ok((i, self.hosts.len()))
    }
}

/// `S3DataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// Every object under a prefix (a local file or folder).
    #[default]
    S3Prefix,
    /// A JSON manifest listing objects.
    ManifestFile,
    /// JSON Lines whose listed attributes are streamed.
    AugmentedManifestFile,
}

impl std::str::FromStr for SourceKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<SourceKind> {
        match s {
            "S3Prefix" => Ok(SourceKind::S3Prefix),
            "ManifestFile" => Ok(SourceKind::ManifestFile),
            "AugmentedManifestFile" => Ok(SourceKind::AugmentedManifestFile),
            _ => Err(Error::config(format!(
                "S3DataType is S3Prefix, ManifestFile or AugmentedManifestFile, not {s:?}"
            ))),
        }
    }
}

/// Where a channel's data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// How `uri` is interpreted.
    pub kind: SourceKind,
    /// `s3://bucket/prefix`, a local file or folder, or a manifest.
    pub uri: String,
    /// For augmented manifests: the attributes streamed, in order.
    pub attribute_names: Vec<String>,
}

/// A channel to feed: its name, source and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Channel name (`train`, `validation`, …).
    pub name: String,
    /// Where the data is.
    pub source: Source,
    /// Mode, wrapper, distribution, shuffle seed, content type.
    pub config: ChannelConfig,
}

/// Settings a sources file or flags give explicitly; unset fields leave
/// what `inputdataconfig.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelOverrides {
    /// `ContentType`.
    pub content_type: Option<String>,
    /// `InputMode`.
    pub input_mode: Option<InputMode>,
    /// `S3DataDistributionType`.
    pub distribution: Option<Distribution>,
    /// `RecordWrapperType`.
    pub record_wrapper: Option<RecordWrapper>,
    /// `ShuffleConfig.Seed`.
    pub shuffle_seed: Option<i64>,
    /// `CompressionType`.
    pub compression: Option<Compression>,
}

impl ChannelOverrides {
    /// Applies the set fields to `config`.
    pub fn apply(&self, config: &mut ChannelConfig) {
        if let Some(c) = &self.content_type {
            config.content_type = Some(c.clone());
        }
        if let Some(m) = self.input_mode {
            config.input_mode = m;
        }
        if let Some(d) = self.distribution {
            config.distribution = d;
        }
        if let Some(w) = self.record_wrapper {
            config.record_wrapper = w;
        }
        if let Some(s) = self.shuffle_seed {
            config.shuffle = Some(ShuffleConfig { seed: s });
        }
        if let Some(c) = self.compression {
            config.compression = c;
        }
    }
}

fn read_file(path: &Path) -> Result<(Vec<u8>, String)> {
    let name = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| Error::from(e).in_file(&name))?;
    Ok((text, name))
}

fn parse_json(text: &[u8], name: &str) -> Result<Value> {
    serde_json::from_slice(text).map_err(|e| {
        Error::syntax("json", e.to_string())
            .at_line(e.line().saturating_sub(1) as u64)
            .in_file(name)
    })
}

fn from_value<T: serde::de::DeserializeOwned>(v: Value, name: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::config(format!("{name}: {e}")))
}

/// Reads `inputdataconfig.json`.
pub fn read_input_data_config(path: &Path) -> Result<InputDataConfig> {
    let (text, name) = read_file(path)?;
    parse_input_data_config(&text, &name)
}

/// Parses the bytes of an `inputdataconfig.json` (named `name` in errors).
pub fn parse_input_data_config(text: &[u8], name: &str) -> Result<InputDataConfig> {
    from_value(parse_json(text, name)?, name)
}

/// Reads `resourceconfig.json`.
pub fn read_resource_config(path: &Path) -> Result<ResourceConfig> {
    let (text, name) = read_file(path)?;
    parse_resource_config(&text, &name)
}

/// Parses the bytes of a `resourceconfig.json` (named `name` in errors).
pub fn parse_resource_config(text: &[u8], name: &str) -> Result<ResourceConfig> {
    from_value(parse_json(text, name)?, name)
}

/// Writes `inputdataconfig.json` for `channels` (pretty-printed JSON) into
/// `dir`, and `resourceconfig.json` when `resource` is given. The
/// directory is created if needed; the files are replaced.
pub fn write_config(
    dir: &Path,
    channels: &[Channel],
    resource: Option<&ResourceConfig>,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::from(e).in_file(dir.display().to_string()))?;
    let map: InputDataConfig = channels
        .iter()
        .map(|c| (c.name.clone(), c.config.clone()))
        .collect();
    write_json(&dir.join("inputdataconfig.json"), &map)?;
    if let Some(r) = resource {
        write_json(&dir.join("resourceconfig.json"), r)?;
    }
    Ok(())
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let mut text = serde_json::to_vec_pretty(v).map_err(|e| Error::config(e.to_string()))?;
    text.push(b'\n');
    std::fs::write(path, text).map_err(|e| Error::from(e).in_file(path.display().to_string()))
}

fn enum_field<T: serde::de::DeserializeOwned>(
    v: &Value,
    key: &str,
    path: &str,
) -> Result<Option<T>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => serde_json::from_value(x.clone())
            .map(Some)
            .map_err(|e| Error::config(format!("{}: {key}: {e}", path))),
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn source_from_object(v: &Value, path: &str, channel: &str) -> Result<Source> {
    let uri = str_field(v, "S3Uri")
        .ok_or_else(|| Error::config(format!("{}: channel {channel}: S3Uri is missing", path)))?;
    let kind = match str_field(v, "S3DataType") {
        Some(k) => k
            .parse()
            .map_err(|e: Error| Error::config(format!("{path}: channel {channel}: {e}")))?,
        None => SourceKind::S3Prefix,
    };
    let attribute_names = match v.get("AttributeNames") {
        None | Some(Value::Null) => Vec::new(),
        Some(a) => serde_json::from_value(a.clone()).map_err(|e| {
            Error::config(format!("{}: channel {channel}: AttributeNames: {e}", path))
        })?,
    };
    Ok(Source {
        kind,
        uri,
        attribute_names,
    })
}

/// Reads a sources file (both shapes, see the module docs). Relative local
/// paths in it are resolved against the file's directory.
pub fn read_sources(path: &Path) -> Result<Vec<(String, Source, ChannelOverrides)>> {
    let (text, name) = read_file(path)?;
    parse_sources(&text, &name, path.parent().unwrap_or(Path::new(".")))
}

/// Parses the bytes of a sources file (named `name` in errors); relative
/// local paths in it are resolved against `base`.
pub fn parse_sources(
    text: &[u8],
    name: &str,
    base: &Path,
) -> Result<Vec<(String, Source, ChannelOverrides)>> {
    let path = name;
    let v = parse_json(text, name)?;
    let list = match &v {
        Value::Array(a) => Some(a.clone()),
        Value::Object(o) => o.get("InputDataConfig").and_then(Value::as_array).cloned(),
        _ => None,
    };
    let mut out = Vec::new();
    if let Some(list) = list {
        for entry in list {
            let name = str_field(&entry, "ChannelName").ok_or_else(|| {
                Error::config(format!(
                    "{}: an InputDataConfig entry has no ChannelName",
                    path
                ))
            })?;
            let s3 = entry
                .get("DataSource")
                .and_then(|d| d.get("S3DataSource"))
                .ok_or_else(|| {
                    Error::config(format!(
                        "{}: channel {name}: only DataSource.S3DataSource is supported",
                        path
                    ))
                })?;
            let mut source = source_from_object(s3, path, &name)?;
            source.uri = resolve(base, &source.uri);
            let overrides = ChannelOverrides {
                content_type: str_field(&entry, "ContentType"),
                input_mode: enum_field(&entry, "InputMode", path)?,
                distribution: enum_field(s3, "S3DataDistributionType", path)?,
                record_wrapper: enum_field(&entry, "RecordWrapperType", path)?,
                compression: enum_field(&entry, "CompressionType", path)?,
                shuffle_seed: entry
                    .get("ShuffleConfig")
                    .and_then(|s| s.get("Seed"))
                    .and_then(Value::as_i64),
            };
            out.push((name, source, overrides));
        }
        return Ok(out);
    }
    let Value::Object(map) = v else {
        return Err(Error::config(format!(
            "{}: expected a JSON object (channel -> source) or an InputDataConfig list",
            path
        )));
    };
    for (name, s) in map {
        let (mut source, overrides) = match &s {
            Value::String(uri) => (
                Source {
                    uri: uri.clone(),
                    ..Source::default()
                },
                ChannelOverrides::default(),
            ),
            Value::Object(_) => (
                source_from_object(&s, path, &name)?,
                ChannelOverrides {
                    content_type: str_field(&s, "ContentType"),
                    input_mode: enum_field(&s, "InputMode", path)?,
                    distribution: enum_field(&s, "S3DataDistributionType", path)?,
                    record_wrapper: enum_field(&s, "RecordWrapperType", path)?,
                    compression: enum_field(&s, "CompressionType", path)?,
                    shuffle_seed: s
                        .get("ShuffleConfig")
                        .and_then(|x| x.get("Seed"))
                        .and_then(Value::as_i64),
                },
            ),
            _ => {
                return Err(Error::config(format!(
                    "{}: channel {name}: expected a URI string or an S3DataSource object",
                    path
                )));
            }
        };
        source.uri = resolve(base, &source.uri);
        out.push((name, source, overrides));
    }
    Ok(out)
}

/// A relative local path is taken relative to `base`; URIs and absolute
/// paths are kept.
pub(crate) fn resolve(base: &Path, uri: &str) -> String {
    if uri.contains("://") || Path::new(uri).is_absolute() {
        uri.to_string()
    } else {
        base.join(uri).display().to_string()
    }
}

/// Checks a channel name against SageMaker's rule: 1–64 characters of
/// `[A-Za-z0-9.\-_]`.
pub fn check_channel_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::config(format!(
            "channel name {name:?} is invalid: SageMaker allows 1 to 64 characters of A-Z a-z 0-9 . - _"
        )))
    }
}

/// Merges what the container files, a sources file and flags say into the
/// channels to feed.
///
/// - Each channel with a source is fed. Its settings start from its
///   `inputdataconfig.json` entry (if any; otherwise Pipe mode,
///   FullyReplicated, no wrapper), then the sources file's settings, then
///   `flags` (explicit flags win).
/// - A channel whose final mode is not `Pipe` is skipped (a note says so).
/// - A Pipe channel of `inputdataconfig.json` that has no source is an
///   error; a source for a channel that `inputdataconfig.json` lacks is
///   fed with a note (PipeModeDataset would refuse to read it).
///
/// Returns the channels and the notes.
pub fn resolve_channels(
    input_data: Option<&InputDataConfig>,
    sources: Vec<(String, Source, ChannelOverrides)>,
    flags: &ChannelOverrides,
) -> Result<(Vec<Channel>, Vec<String>)> {
    let mut notes = Vec::new();
    let mut channels = Vec::new();
    for (name, source, overrides) in sources {
        check_channel_name(&name)?;
        let mut config = match input_data.and_then(|c| c.get(&name)) {
            Some(c) => c.clone(),
            None => {
                if input_data.is_some() {
                    notes.push(format!(
                        "channel {name} is not in inputdataconfig.json; feeding it anyway \
                         (PipeModeDataset and the SageMaker toolkit will not know it)"
                    ));
                }
                ChannelConfig::default()
            }
        };
        overrides.apply(&mut config);
        flags.apply(&mut config);
        if config.input_mode != InputMode::Pipe {
            notes.push(format!(
                "channel {name} is in {:?} mode, not Pipe; not fed",
                config.input_mode
            ));
            continue;
        }
        channels.push(Channel {
            name,
            source,
            config,
        });
    }
    if let Some(idc) = input_data {
        for (name, c) in idc {
            if c.input_mode == InputMode::Pipe && !channels.iter().any(|ch| ch.name == *name) {
                return Err(Error::config(format!(
                    "channel {name} is a Pipe channel in inputdataconfig.json but has no source: \
                     pass --channel {name}=URI or list it in the sources file"
                )));
            }
        }
    }
    Ok((channels, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_data_config_round_trips_in_sagemakers_shape() {
        let text = r#"{"train": {"TrainingInputMode": "Pipe", "S3DistributionType": "ShardedByS3Key", "RecordWrapperType": "RecordIO"},
                       "validation": {"ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None", "ShuffleConfig": {"Seed": 7}}}"#;
        let c: InputDataConfig = serde_json::from_str(text).unwrap();
        assert_eq!(c["train"].distribution, Distribution::ShardedByS3Key);
        assert_eq!(c["train"].record_wrapper, RecordWrapper::RecordIO);
        assert_eq!(c["validation"].input_mode, InputMode::File);
        assert_eq!(c["validation"].shuffle, Some(ShuffleConfig { seed: 7 }));
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(
            back["train"],
            serde_json::json!({"TrainingInputMode": "Pipe", "S3DistributionType": "ShardedByS3Key", "RecordWrapperType": "RecordIO"})
        );
        assert_eq!(back["validation"]["ContentType"], "text/csv");
        assert!(back["validation"].get("ShuffleConfig").is_none());
    }

    #[test]
    fn bytes_entry_points_parse_and_name_the_input() {
        let idc = parse_input_data_config(
            br#"{"train": {"TrainingInputMode": "Pipe", "RecordWrapperType": "RecordIO"}}"#,
            "idc.json",
        )
        .unwrap();
        assert_eq!(idc["train"].record_wrapper, RecordWrapper::RecordIO);
        let e = parse_input_data_config(b"{\n\"train\": 3}", "idc.json").unwrap_err();
        assert!(e.to_string().contains("idc.json"), "{e}");
        assert!(e.is_config(), "{e}");
        let e = parse_input_data_config(b"{\n\"train\": ", "idc.json").unwrap_err();
        assert_eq!(e.position().line, Some(1), "{e}");
        assert_eq!(e.position().file.as_deref(), Some("idc.json"), "{e}");
        let r = parse_resource_config(
            br#"{"current_host": "algo-1", "hosts": ["algo-1", "algo-2"]}"#,
            "rc.json",
        )
        .unwrap();
        assert_eq!(r.host_position().unwrap(), (0, 2));
        assert_eq!(r.network_interface_name, "eth0");
        let s = parse_sources(
            br#"{"train": "data/", "labels": {"S3Uri": "s3://b/m", "S3DataType": "ManifestFile", "InputMode": "File"}}"#,
            "src.json",
            Path::new("/base"),
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        let train = s.iter().find(|c| c.0 == "train").unwrap();
        assert_eq!(train.1.uri, "/base/data/");
        let labels = s.iter().find(|c| c.0 == "labels").unwrap();
        assert_eq!(labels.1.kind, SourceKind::ManifestFile);
        assert_eq!(labels.2.input_mode, Some(InputMode::File));
        assert_eq!(labels.2.compression, None);
        // CompressionType, in both shapes of the sources file.
        let s = parse_sources(
            br#"{"train": {"S3Uri": "s3://b/p/", "CompressionType": "Gzip"}}"#,
            "src.json",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(s[0].2.compression, Some(Compression::Gzip));
        let s = parse_sources(
            br#"[{"ChannelName": "train", "CompressionType": "None", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/p/"}}}]"#,
            "src.json",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(s[0].2.compression, Some(Compression::None));
        let e = parse_sources(
            br#"{"train": {"S3Uri": "s3://b/p/", "CompressionType": "Zip"}}"#,
            "src.json",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.to_string().contains("CompressionType"), "{e}");
        let e = parse_sources(br#"{"train": 3}"#, "src.json", Path::new(".")).unwrap_err();
        assert!(e.to_string().contains("src.json: channel train"), "{e}");
        // Found by the `config` fuzz target: a bad S3DataType did not name
        // the file or the channel.
        let e = parse_sources(
            br#"{"train": {"S3Uri": "s3://b/", "S3DataType": "Manifest"}}"#,
            "src.json",
            Path::new("."),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("src.json: channel train: S3DataType is S3Prefix"),
            "{e}"
        );
    }

    #[test]
    fn emulated_resource_config_names_hosts_like_sagemaker() {
        let r = ResourceConfig::emulated(2, 3, "ml.m5.xlarge").unwrap();
        assert_eq!(r.current_host, "algo-2");
        assert_eq!(r.hosts, ["algo-1", "algo-2", "algo-3"]);
        assert_eq!(r.host_position().unwrap(), (1, 3));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["network_interface_name"], "eth0");
        assert_eq!(v["instance_groups"][0]["hosts"][2], "algo-3");
        assert!(ResourceConfig::emulated(4, 3, "x").is_err());
    }

    #[test]
    fn channel_names_follow_the_api_rule() {
        assert!(check_channel_name("train-1.a_b").is_ok());
        assert!(check_channel_name("").is_err());
        assert!(check_channel_name("a/b").is_err());
        assert!(check_channel_name(&"x".repeat(65)).is_err());
    }

    #[test]
    fn channels_merge_container_file_sources_and_flags() {
        let idc: InputDataConfig = serde_json::from_str(
            r#"{"train": {"TrainingInputMode": "Pipe", "S3DistributionType": "ShardedByS3Key", "RecordWrapperType": "None"},
                "test": {"TrainingInputMode": "File"}}"#,
        )
        .unwrap();
        let src = |u: &str| Source {
            uri: u.into(),
            ..Source::default()
        };
        let flags = ChannelOverrides {
            record_wrapper: Some(RecordWrapper::RecordIO),
            ..ChannelOverrides::default()
        };
        let (ch, notes) = resolve_channels(
            Some(&idc),
            vec![
                ("train".into(), src("a"), ChannelOverrides::default()),
                ("test".into(), src("b"), ChannelOverrides::default()),
                (
                    "extra".into(),
                    src("c"),
                    ChannelOverrides {
                        shuffle_seed: Some(3),
                        ..Default::default()
                    },
                ),
            ],
            &flags,
        )
        .unwrap();
        assert_eq!(ch.len(), 2);
        assert_eq!(ch[0].config.distribution, Distribution::ShardedByS3Key);
        assert_eq!(ch[0].config.record_wrapper, RecordWrapper::RecordIO);
        assert_eq!(ch[1].name, "extra");
        assert_eq!(ch[1].config.shuffle, Some(ShuffleConfig { seed: 3 }));
        assert_eq!(notes.len(), 2, "{notes:?}");
        let e = resolve_channels(Some(&idc), vec![], &flags).unwrap_err();
        assert!(
            e.to_string().contains("channel train is a Pipe channel"),
            "{e}"
        );
    }
}
