//! Reading a Pipe-mode channel from training code: open `<channel>_0`,
//! `<channel>_1`, … in turn and yield records.
//!
//! - [`ChannelReader`] opens the epochs' FIFOs one after another, waiting
//!   (up to a timeout) for each to appear, and hands out each epoch as a
//!   byte stream ([`EpochStream`], a [`Read`]).
//! - [`Records`] frames those streams: RecordIO records, RecordIO-protobuf
//!   records (decode them with [`Records::read_example`]), or text lines,
//!   across any number of epochs. Payloads are borrowed from one reused
//!   buffer ([`Records::read_record`]); the [`Iterator`] impl hands out
//!   owned copies for convenience.
//!
//! Closing an epoch early is allowed (SageMaker's rule): drop the stream,
//! or call [`Records::next_epoch`], and the feeder moves on.
//!
//! ```no_run
//! use sm_data::pipe::reader::{ChannelReader, RecordFormat, Records};
//! let channel = ChannelReader::new("/opt/ml/input/data", "train");
//! let mut records = Records::new(channel, RecordFormat::RecordIO, Some(3))?;
//! while let Some(r) = records.read_record()? {
//!     println!("epoch {} record {}: {} bytes", r.epoch, r.index, r.payload.len());
//! }
//! # Ok::<(), sm_data::Error>(())
//! ```

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::codec::protobuf::Record;
use crate::codec::{FrameCodec, recordio, tfrecord};
use crate::error::{Error, Result};
use crate::format::frames;
use crate::pipe::{DEFAULT_READ_TIMEOUT, fifo, fifo_path};

/// Opens a channel's epoch FIFOs in turn.
#[derive(Debug, Clone)]
pub struct ChannelReader {
    dir: PathBuf,
    channel: String,
    next_epoch: u64,
    timeout: Duration,
}

impl ChannelReader {
    /// A reader of `channel` in `dir` (`/opt/ml/input/data` in a
    /// container), starting at epoch 0 with a 120 s timeout.
    pub fn new(dir: impl AsRef<Path>, channel: &str) -> ChannelReader {
        ChannelReader {
            dir: dir.as_ref().to_path_buf(),
            channel: channel.to_string(),
            next_epoch: 0,
            timeout: DEFAULT_READ_TIMEOUT,
        }
    }

    /// How long to wait for an epoch's FIFO to appear and its first bytes
    /// (or its end) to arrive.
    pub fn timeout(&mut self, timeout: Duration) -> &mut ChannelReader {
        self.timeout = timeout;
        self
    }

    /// The epoch the next [`ChannelReader::next_epoch`] opens.
    pub fn start_epoch(&mut self, epoch: u64) -> &mut ChannelReader {
        self.next_epoch = epoch;
        self
    }

    /// The channel name.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The FIFO path of `epoch`.
    pub fn path(&self, epoch: u64) -> PathBuf {
        fifo_path(&self.dir, &self.channel, epoch)
    }

    /// Opens the next epoch's FIFO, waiting for it up to the timeout.
    pub fn next_epoch(&mut self) -> Result<EpochStream> {
        let epoch = self.next_epoch;
        let path = self.path(epoch);
        let file = fifo::open_read(&path, self.timeout)?;
        self.next_epoch += 1;
        Ok(EpochStream {
            file,
            epoch,
            name: path.display().to_string(),
        })
    }
}

/// One epoch of a channel: the open FIFO.
#[derive(Debug)]
pub struct EpochStream {
    file: File,
    epoch: u64,
    name: String,
}

impl EpochStream {
    /// The epoch number.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The FIFO's path, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Read for EpochStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

/// How the records of a channel are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// MXNet RecordIO records (what `RecordWrapperType=RecordIO` produces,
    /// or RecordIO objects streamed as they are).
    RecordIO,
    /// RecordIO records holding `aialgs.data.Record` protobufs.
    RecordIOProtobuf,
    /// TFRecord frames.
    TFRecord,
    /// Lines of text; the `\n` (and a `\r` before it) is dropped, and a
    /// final line without a newline is still a record (as
    /// PipeModeDataset's `TextLine`).
    Lines,
}

impl std::str::FromStr for RecordFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<RecordFormat> {
        match s.to_ascii_lowercase().as_str() {
            "recordio" | "application/x-recordio" => Ok(RecordFormat::RecordIO),
            "recordio-protobuf" | "application/x-recordio-protobuf" => {
                Ok(RecordFormat::RecordIOProtobuf)
            }
            "tfrecord" => Ok(RecordFormat::TFRecord),
            "lines" | "textline" | "text" => Ok(RecordFormat::Lines),
            _ => Err(Error::config(format!(
                "record format is recordio, recordio-protobuf, tfrecord or lines, not {s:?}"
            ))),
        }
    }
}

/// A record read from a channel, borrowed until the next read.
#[derive(Debug)]
pub struct RecordRef<'a> {
    /// The epoch it belongs to.
    pub epoch: u64,
    /// Its 0-based index within the epoch.
    pub index: u64,
    /// The payload (RecordIO framing or newline removed).
    pub payload: &'a [u8],
}

/// A record read from a channel, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRecord {
    /// The epoch it belongs to.
    pub epoch: u64,
    /// Its 0-based index within the epoch.
    pub index: u64,
    /// The payload.
    pub payload: Vec<u8>,
}

/// An epoch stream framed through one reused buffer; payloads are lent
/// without copying.
type FrameStream<C> = frames::Reader<EpochStream, C>;

/// Finds the next frame of an epoch stream; errors name the FIFO.
fn advance<C: FrameCodec>(r: &mut FrameStream<C>) -> Result<bool> {
    r.advance()
        .map_err(|e| e.in_file(r.get_ref().name().to_string()))
}

enum Framed {
    RecordIO(FrameStream<recordio::Decoder>),
    /// TFRecord frames (CRCs checked).
    TFRecord(FrameStream<tfrecord::Decoder>),
    Lines(BufReader<EpochStream>, Vec<u8>, u64),
}

/// Records of a channel across epochs. See the module docs.
pub struct Records {
    channel: ChannelReader,
    format: RecordFormat,
    epochs_left: Option<u64>,
    current: Option<(u64, Framed)>,
    index: u64,
    bytes: u64,
    done: bool,
    ended: Vec<EpochEnd>,
}

/// What one epoch delivered to a [`Records`] reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEnd {
    /// The epoch.
    pub epoch: u64,
    /// Records read from it.
    pub records: u64,
    /// Payload bytes read from it (framing not counted).
    pub bytes: u64,
    /// The reader closed it before its end ([`Records::next_epoch`]).
    pub closed_early: bool,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Records({}, {:?})", self.channel.channel, self.format)
    }
}

impl Records {
    /// Reads `epochs` epochs (`None`: until the next epoch's FIFO does not
    /// appear within the timeout, which then ends the iteration cleanly).
    pub fn new(
        channel: ChannelReader,
        format: RecordFormat,
        epochs: Option<u64>,
    ) -> Result<Records> {
        Ok(Records {
            channel,
            format,
            epochs_left: epochs,
            current: None,
            index: 0,
            bytes: 0,
            done: false,
            ended: Vec::new(),
        })
    }

    /// Closes the current epoch's FIFO now (the feeder sees the reader
    /// leave early); the next read opens the next epoch.
    pub fn next_epoch(&mut self) {
        self.end_epoch(true);
    }

    fn end_epoch(&mut self, closed_early: bool) {
        if let Some((epoch, _)) = self.current.take() {
            self.ended.push(EpochEnd {
                epoch,
                records: self.index,
                bytes: self.bytes,
                closed_early,
            });
        }
    }

    /// The epochs finished since the last call, in order, empty ones
    /// included.
    pub fn take_ended(&mut self) -> Vec<EpochEnd> {
        std::mem::take(&mut self.ended)
    }

    /// The epoch being read, if one is open.
    pub fn epoch(&self) -> Option<u64> {
        self.current.as_ref().map(|(e, _)| *e)
    }

    fn open(&mut self) -> Result<bool> {
        if self.done || self.epochs_left == Some(0) {
            return Ok(false);
        }
        let stream = match self.channel.next_epoch() {
            Ok(s) => s,
            Err(e)
                if self.epochs_left.is_none()
                    && e.io_error()
                        .is_some_and(|e| e.kind() == io::ErrorKind::TimedOut) =>
            {
                self.done = true;
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        if let Some(n) = self.epochs_left.as_mut() {
            *n -= 1;
        }
        let epoch = stream.epoch();
        let framed = match self.format {
            RecordFormat::Lines => {
                Framed::Lines(BufReader::with_capacity(1 << 20, stream), Vec::new(), 0)
            }
            RecordFormat::TFRecord => {
                Framed::TFRecord(FrameStream::new(stream, tfrecord::Decoder::new()))
            }
            _ => Framed::RecordIO(FrameStream::new(stream, recordio::Decoder::new())),
        };
        self.current = Some((epoch, framed));
        self.index = 0;
        self.bytes = 0;
        Ok(true)
    }

    /// The next record, or `None` when every epoch has been read.
    pub fn read_record(&mut self) -> Result<Option<RecordRef<'_>>> {
        loop {
            if self.current.is_none() && !self.open()? {
                return Ok(None);
            }
            let got = match &mut self.current.as_mut().expect("open epoch").1 {
                Framed::RecordIO(r) => advance(r)?,
                Framed::TFRecord(r) => advance(r)?,
                Framed::Lines(r, buf, offset) => {
                    buf.clear();
                    let n = r.read_until(b'\n', buf).map_err(|e| {
                        Error::from(e)
                            .at_byte(*offset)
                            .in_file(r.get_ref().name().to_string())
                    })?;
                    *offset += n as u64;
                    n > 0
                }
            };
            if !got {
                self.end_epoch(false);
                continue;
            }
            let index = self.index;
            self.index += 1;
            let (epoch, framed) = self.current.as_mut().expect("open epoch");
            let payload: &[u8] = match framed {
                Framed::RecordIO(r) => r.payload(),
                Framed::TFRecord(r) => r.payload(),
                Framed::Lines(_, buf, _) => {
                    let mut line: &[u8] = buf;
                    if let Some(l) = line.strip_suffix(b"\n") {
                        line = l.strip_suffix(b"\r").unwrap_or(l);
                    }
                    line
                }
            };
            self.bytes += payload.len() as u64;
            return Ok(Some(RecordRef {
                epoch: *epoch,
                index,
                payload,
            }));
        }
    }

    /// The next record decoded as a SageMaker `aialgs.data.Record`.
    pub fn read_example(&mut self) -> Result<Option<(u64, u64, Record)>> {
        match self.read_record()? {
            None => Ok(None),
            Some(r) => {
                let (epoch, index) = (r.epoch, r.index);
                let rec = Record::decode(r.payload).map_err(|e| e.at_record(index))?;
                Ok(Some((epoch, index, rec)))
            }
        }
    }
}

impl Iterator for Records {
    type Item = Result<OwnedRecord>;

    fn next(&mut self) -> Option<Result<OwnedRecord>> {
        match self.read_record() {
            Ok(Some(r)) => Some(Ok(OwnedRecord {
                epoch: r.epoch,
                index: r.index,
                payload: r.payload.to_vec(),
            })),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                self.current = None;
                Some(Err(e))
            }
        }
    }
}
