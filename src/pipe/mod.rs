//! SageMaker Pipe mode, both ends: a [`feeder`] that streams channels into
//! `<dir>/<channel>_<epoch>` FIFOs as SageMaker does (spec §4), and a
//! [`reader`] for training code that reads those FIFOs epoch by epoch.
//!
//! - [`config`]: `inputdataconfig.json`, `resourceconfig.json` and the
//!   channel → source file.
//! - [`source`]: listing, per-epoch shuffle (`ShuffleConfig`) and
//!   per-host share (`ShardedByS3Key`).
//! - [`augmented`]: augmented manifests (`AttributeNames`).
//! - [`fifo`]: creating, opening and writing FIFOs without blocking
//!   forever.
//!
//! A channel's FIFOs can also be read by every command that takes an input
//! path, through a `pipe://` URI (see [`PipeUri`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::store::Input;

pub mod augmented;
pub mod config;
pub mod feeder;
pub mod fifo;
pub mod reader;
pub mod source;

/// Where SageMaker puts channel data in a container.
pub const DEFAULT_DATA_DIR: &str = "/opt/ml/input/data";
/// Where SageMaker puts `inputdataconfig.json` and `resourceconfig.json`.
pub const DEFAULT_CONFIG_DIR: &str = "/opt/ml/input/config";
/// How long the feeder waits, by default, for a reader to open a FIFO: 2 h,
/// about as long as PipeModeDataset waits for a FIFO to appear.
pub const DEFAULT_OPEN_TIMEOUT: Duration = Duration::from_secs(2 * 3600);
/// How long readers wait, by default, for a FIFO to appear and its first
/// bytes to arrive.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// The FIFO of `channel` for `epoch`: `<dir>/<channel>_<epoch>`.
pub fn fifo_path(dir: &Path, channel: &str, epoch: u64) -> PathBuf {
    dir.join(format!("{channel}_{epoch}"))
}

/// A `pipe://` input: one epoch of one channel.
///
/// - `pipe://CHANNEL` — epoch 0 of `CHANNEL` in the data directory
///   (`$SM_DATA_PIPE_DIR`, else `/opt/ml/input/data`);
/// - `pipe://CHANNEL:EPOCH` — that epoch;
/// - `pipe://DIR/CHANNEL[:EPOCH]` — in `DIR` (`pipe:///abs/dir/train:2`,
///   `pipe://./data/train`).
///
/// Channel names cannot hold `:` or `/`, so the forms do not collide. The
/// wait for the FIFO is bounded by `$SM_DATA_PIPE_TIMEOUT` seconds (default
/// 120).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeUri {
    /// The data directory.
    pub dir: PathBuf,
    /// The channel.
    pub channel: String,
    /// The epoch.
    pub epoch: u64,
}

impl PipeUri {
    /// Parses a `pipe://` URI; `None` if `s` does not start with `pipe://`.
    pub fn parse(s: &str) -> Option<Result<PipeUri>> {
        let rest = s.strip_prefix("pipe://")?;
        Some(Self::parse_rest(s, rest))
    }

    fn parse_rest(full: &str, rest: &str) -> Result<PipeUri> {
        let (dir, tail) = match rest.rfind('/') {
            Some(i) => (PathBuf::from(&rest[..i.max(1)]), &rest[i + 1..]),
            None => (
                std::env::var_os("SM_DATA_PIPE_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
                rest,
            ),
        };
        let (channel, epoch) = match tail.split_once(':') {
            Some((c, e)) => (
                c,
                e.parse::<u64>().map_err(|_| {
                    Error::config(format!(
                        "{full}: the epoch after ':' must be a number, not {e:?}"
                    ))
                })?,
            ),
            None => (tail, 0),
        };
        config::check_channel_name(channel).map_err(|e| Error::config(format!("{full}: {e}")))?;
        Ok(PipeUri {
            dir,
            channel: channel.to_string(),
            epoch,
        })
    }

    /// The FIFO path.
    pub fn path(&self) -> PathBuf {
        fifo_path(&self.dir, &self.channel, self.epoch)
    }

    /// Waits for the FIFO (up to `timeout`) and opens it as a stream input.
    pub fn open(&self, timeout: Duration) -> Result<Input> {
        let path = self.path();
        let file = fifo::open_read(&path, timeout)?;
        Input::from_reader(Box::new(file), &path.display().to_string(), None)
    }
}

/// Opens a `pipe://` URI with the timeout from `$SM_DATA_PIPE_TIMEOUT`
/// (seconds, default 120). Used by [`Input::open`].
pub fn open_uri(uri: &str) -> Result<Input> {
    let parsed = PipeUri::parse(uri)
        .ok_or_else(|| Error::config(format!("{uri} is not a pipe:// URI")))??;
    let timeout = match std::env::var("SM_DATA_PIPE_TIMEOUT") {
        Ok(s) => Duration::from_secs_f64(s.trim().parse::<f64>().map_err(|_| {
            Error::config(format!(
                "SM_DATA_PIPE_TIMEOUT must be a number of seconds, not {s:?}"
            ))
        })?),
        Err(_) => DEFAULT_READ_TIMEOUT,
    };
    parsed.open(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_uris() {
        let u = PipeUri::parse("pipe:///tmp/d/train:2").unwrap().unwrap();
        assert_eq!(u.dir, Path::new("/tmp/d"));
        assert_eq!((u.channel.as_str(), u.epoch), ("train", 2));
        assert_eq!(u.path(), Path::new("/tmp/d/train_2"));
        let u = PipeUri::parse("pipe://./rel/validation").unwrap().unwrap();
        assert_eq!(u.path(), Path::new("./rel/validation_0"));
        let u = PipeUri::parse("pipe://train_a.b").unwrap().unwrap();
        assert_eq!((u.channel.as_str(), u.epoch), ("train_a.b", 0));
        assert!(PipeUri::parse("pipe://train:x").unwrap().is_err());
        assert!(PipeUri::parse("pipe:///d/").unwrap().is_err());
        assert!(PipeUri::parse("/tmp/x").is_none());
    }
}
