//! The feeder: streams each channel into `<dir>/<channel>_<epoch>` FIFOs,
//! one epoch after another, as SageMaker's Pipe mode does.
//!
//! # FIFO lifecycle
//! For each channel, on its own thread:
//! 1. Before epoch `e` is streamed, the FIFOs `<channel>_<e>` and (when
//!    another epoch follows) `<channel>_<e+1>` exist: the next epoch's FIFO
//!    is created in advance, as ml-io says the service does by default,
//!    so readers that check for the next FIFO right after an EOF find it.
//! 2. The feeder waits for a reader to open `<channel>_<e>` (see
//!    [`super::fifo`] for how; `open_timeout` bounds the wait), streams the
//!    epoch and closes the FIFO: the reader sees EOF.
//! 3. The finished FIFO is **removed**. The spec does not say whether
//!    SageMaker keeps old FIFOs; removing them means a reader that wrongly
//!    reopens a finished epoch gets "no such file" instead of hanging.
//! 4. A reader that closes the FIFO early ends the epoch (the write fails
//!    with `EPIPE`, which is not an error): by default the feeder moves on
//!    to the next epoch ([`EarlyClose::NextEpoch`]), or that channel stops
//!    ([`EarlyClose::Stop`]).
//!
//! An existing FIFO at a FIFO's path is reused; an existing regular file
//! or folder there is an error, never replaced. Only FIFOs the feeder
//! created are ever removed, and nothing outside the FIFO directory is
//! touched. [`StopHandle::abort`] removes every FIFO the feeder created
//! (for Ctrl-C).
//!
//! # What is streamed
//! - `RecordWrapperType=None`: the objects' bytes back to back, nothing in
//!   between (spec §4.2).
//! - `RecordWrapperType=RecordIO`: each object as one RecordIO record
//!   (cflag 0, padded to 4 bytes); an object of 2^29 bytes or more is an
//!   error, because one RecordIO header cannot describe it.
//! - Augmented manifests: each listed attribute of each line is one record
//!   (see [`super::augmented`]).
//! - `CompressionType=Gzip`: gzip objects (detected by their magic bytes)
//!   are decompressed, as SageMaker does; other objects are streamed as
//!   they are. `CompressionType=None` (the default, SageMaker's too):
//!   every object as stored, so a gzip object reaches the FIFO still
//!   compressed, as it would in a training job.
//!
//! Local files are memory-mapped and written to the FIFO straight from the
//! map in large writes; small records are gathered into a 1 MiB buffer so
//! that a manifest of short labels does not cost three system calls per
//! record. Streamed objects (gzip, S3) are copied through a reused 1 MiB
//! buffer. With the RecordIO wrapper a plain S3 object's header states
//! the object's stored size and its body is then streamed, so memory stays
//! bounded whatever its size; only a gzip object (whose decompressed length
//! is not known until it has been read) is read whole into a reused buffer
//! first, so memory grows to the largest such object (at most 2^29 - 1
//! bytes).
//!
//! # When something fails mid-epoch
//! A FIFO cannot carry an error: if an object cannot be read in the middle
//! of an epoch, the feeder closes the FIFO (the reader sees an EOF where
//! the epoch is short), stops every channel and returns the error, which
//! the CLI prints before exiting non-zero. Every listed object is checked
//! to exist when the feeder starts, so this needs an object to vanish or
//! break while the job runs.

use std::collections::BTreeSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::codec::recordio::{HEADER_LEN, MAX_PART_LEN, encode_header, padded};
use crate::error::{Error, ErrorKind, Result};
use crate::pipe::augmented::Attr;
use crate::pipe::config::{Channel, Compression, Distribution, RecordWrapper, check_channel_name};
use crate::pipe::fifo::{self, FifoWriter, WaitEnd};
use crate::pipe::fifo_path;
use crate::pipe::source::{self, Item};
use crate::store::{Input, Mapped};

/// What to do when a reader closes a FIFO before the epoch's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EarlyClose {
    /// End the epoch and go on with the next (SageMaker's behaviour: a
    /// reader may close a FIFO early and open the next one).
    #[default]
    NextEpoch,
    /// End the epoch and stop feeding this channel.
    Stop,
}

/// Options of a [`Feeder`].
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// Where the FIFOs are created (`/opt/ml/input/data` in a container).
    pub dir: PathBuf,
    /// Epochs per channel; `None` feeds until stopped.
    pub epochs: Option<u64>,
    /// How long to wait for a reader to open each FIFO; `None` waits
    /// forever.
    pub open_timeout: Option<Duration>,
    /// What a reader closing a FIFO early means.
    pub on_early_close: EarlyClose,
    /// This host's 0-based position among `hosts` (for ShardedByS3Key).
    pub host: usize,
    /// Number of hosts in the (emulated) cluster.
    pub hosts: usize,
}

impl Default for FeedOptions {
    fn default() -> FeedOptions {
        FeedOptions {
            dir: PathBuf::from(super::DEFAULT_DATA_DIR),
            epochs: None,
            open_timeout: Some(super::DEFAULT_OPEN_TIMEOUT),
            on_early_close: EarlyClose::NextEpoch,
            host: 0,
            hosts: 1,
        }
    }
}

/// What one epoch of one channel delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochReport {
    /// Channel name.
    pub channel: String,
    /// Epoch number (0-based).
    pub epoch: u64,
    /// Objects or manifest lines fully or partly streamed.
    pub items: u64,
    /// Records written (objects, or attributes of manifest lines).
    pub records: u64,
    /// Bytes written into the FIFO.
    pub bytes: u64,
    /// The reader closed the FIFO before the end of the epoch.
    pub closed_early: bool,
}

/// The FIFOs a feeder created, so that they can be removed on exit or on
/// a signal. After [`FifoRegistry::remove_all`] nothing more is created.
#[derive(Debug, Default)]
struct FifoRegistry {
    state: Mutex<(BTreeSet<PathBuf>, bool)>,
}

impl FifoRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, (BTreeSet<PathBuf>, bool)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates the FIFO (or reuses an existing FIFO). `Ok(false)` once the
    /// registry is closed.
    fn create(&self, path: &Path) -> Result<bool> {
        let mut st = self.lock();
        if st.1 {
            return Ok(false);
        }
        if fifo::create(path)? {
            st.0.insert(path.to_path_buf());
        }
        Ok(true)
    }

    fn remove(&self, path: &Path) {
        let mut st = self.lock();
        if st.0.remove(path) {
            let _ = std::fs::remove_file(path);
        }
    }

    fn remove_all(&self) {
        let mut st = self.lock();
        st.1 = true;
        for p in std::mem::take(&mut st.0) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Stops a running [`Feeder`] from another thread or a signal handler
/// thread.
#[derive(Debug, Clone)]
pub struct StopHandle {
    stop: Arc<AtomicBool>,
    fifos: Arc<FifoRegistry>,
}

impl StopHandle {
    /// Asks every channel to stop: waits for readers end, writes stop
    /// within 200 ms, and [`Feeder::run`] returns after removing its FIFOs.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Stops and removes every FIFO the feeder created, at once; no new
    /// FIFO is created afterwards. For Ctrl-C: call it, then exit.
    pub fn abort(&self) {
        self.stop();
        self.fifos.remove_all();
    }
}

/// Streams channels into FIFOs. See the module docs.
#[derive(Debug)]
pub struct Feeder {
    opts: FeedOptions,
    channels: Vec<Channel>,
    stop: Arc<AtomicBool>,
    fifos: Arc<FifoRegistry>,
}

impl Feeder {
    /// A feeder for `channels` (all streamed, whatever their input mode).
    pub fn new(opts: FeedOptions, channels: Vec<Channel>) -> Result<Feeder> {
        if channels.is_empty() {
            return Err(Error::config("no channel to feed"));
        }
        if opts.hosts == 0 || opts.host >= opts.hosts {
            return Err(Error::config(format!(
                "host position {} is outside the {} hosts",
                opts.host, opts.hosts
            )));
        }
        let mut seen = BTreeSet::new();
        for c in &channels {
            check_channel_name(&c.name)?;
            if !seen.insert(c.name.as_str()) {
                return Err(Error::config(format!("channel {} is given twice", c.name)));
            }
        }
        Ok(Feeder {
            opts,
            channels,
            stop: Arc::new(AtomicBool::new(false)),
            fifos: Arc::new(FifoRegistry::default()),
        })
    }

    /// A handle that stops the feeder.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            stop: self.stop.clone(),
            fifos: self.fifos.clone(),
        }
    }

    /// Lists every channel's items, then feeds all channels concurrently
    /// (a thread each) until their epochs are done, they are stopped or one
    /// fails. `report` is called after each epoch. Returns every epoch's
    /// report; FIFOs the feeder created are removed before it returns.
    pub fn run(&self, report: &(dyn Fn(&EpochReport) + Sync)) -> Result<Vec<EpochReport>> {
        let dir = &self.opts.dir;
        if !dir.is_dir() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::from(e).in_file(dir.display().to_string()))?;
        }
        let mut listed = Vec::with_capacity(self.channels.len());
        for c in &self.channels {
            let items = source::items(&c.source)?;
            check_objects(
                &items,
                c.config.record_wrapper == RecordWrapper::RecordIO,
                c.config.compression == Compression::Gzip,
            )?;
            listed.push(items);
        }
        let results: Vec<Result<Vec<EpochReport>>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .channels
                .iter()
                .zip(&listed)
                .map(|(c, items)| {
                    s.spawn(move || {
                        let r = self.feed_channel(c, items, report);
                        if r.is_err() {
                            self.stop.store(true, Ordering::SeqCst);
                        }
                        r
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::new(ErrorKind::Internal(
                            "a feeder thread panicked".into(),
                        )))
                    })
                })
                .collect()
        });
        self.fifos.remove_all();
        let mut all = Vec::new();
        for r in results {
            all.extend(r?);
        }
        Ok(all)
    }

    fn feed_channel(
        &self,
        c: &Channel,
        items: &[Item],
        report: &(dyn Fn(&EpochReport) + Sync),
    ) -> Result<Vec<EpochReport>> {
        fifo::block_sigpipe();
        let mut reports = Vec::new();
        let mut out = Out::new(&self.stop);
        let seed = c.config.shuffle.map(|s| s.seed);
        let (host, hosts) = match c.config.distribution {
            Distribution::FullyReplicated => (0, 1),
            Distribution::ShardedByS3Key => (self.opts.host, self.opts.hosts),
        };
        let wrap = c.config.record_wrapper == RecordWrapper::RecordIO;
        out.gunzip = c.config.compression == Compression::Gzip;
        let mut epoch = 0u64;
        while self.opts.epochs.is_none_or(|n| epoch < n) && !self.stop.load(Ordering::SeqCst) {
            let path = fifo_path(&self.opts.dir, &c.name, epoch);
            if !self.fifos.create(&path)? {
                break;
            }
            if self.opts.epochs.is_none_or(|n| epoch + 1 < n)
                && !self
                    .fifos
                    .create(&fifo_path(&self.opts.dir, &c.name, epoch + 1))?
            {
                break;
            }
            let writer = match fifo::open_write(&path, self.opts.open_timeout, &self.stop)? {
                Ok(w) => w,
                Err(WaitEnd::Stopped) => break,
                Err(WaitEnd::TimedOut) => {
                    return Err(Error::new(ErrorKind::Io(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "no reader opened the FIFO of channel {} epoch {epoch} within {:.1} s \
                             (is the training code reading this channel, from this directory?)",
                            c.name,
                            self.opts.open_timeout.unwrap_or_default().as_secs_f64()
                        ),
                    )))
                    .in_file(path.display().to_string()));
                }
            };
            out.begin(writer);
            let order = source::epoch_order(items.len(), seed, epoch);
            let share = source::host_share(&order, host, hosts);
            let mut rep = EpochReport {
                channel: c.name.clone(),
                epoch,
                items: 0,
                records: 0,
                bytes: 0,
                closed_early: false,
            };
            let result = stream_items(&mut out, items, &share, wrap, &mut rep);
            let flushed = result.and_then(|()| out.flush());
            rep.bytes = out.written;
            out.end();
            self.fifos.remove(&path);
            match flushed {
                Ok(()) => {}
                Err(e) if e.is_broken_pipe() => rep.closed_early = true,
                Err(e)
                    if e.io_error()
                        .is_some_and(|e| e.kind() == io::ErrorKind::Interrupted)
                        && self.stop.load(Ordering::SeqCst) =>
                {
                    break;
                }
                Err(e) => return Err(e.in_file(path.display().to_string())),
            }
            report(&rep);
            let stop_here = rep.closed_early && self.opts.on_early_close == EarlyClose::Stop;
            reports.push(rep);
            if stop_here {
                break;
            }
            epoch += 1;
        }
        // Remove this channel's next-epoch FIFO created in advance.
        self.fifos
            .remove(&fifo_path(&self.opts.dir, &c.name, epoch + 1));
        self.fifos
            .remove(&fifo_path(&self.opts.dir, &c.name, epoch));
        Ok(reports)
    }
}

/// Checks that every local object exists and is readable (S3 objects were
/// just listed) and, when each is wrapped in one RecordIO record, that no
/// uncompressed one is too large for it (gzip objects to be decompressed
/// are checked as they are streamed).
fn check_objects(items: &[Item], wrap: bool, gunzip: bool) -> Result<()> {
    let check = |uri: &str| -> Result<()> {
        if uri.contains("://") {
            return Ok(());
        }
        let mut f = std::fs::File::open(uri).map_err(|e| Error::from(e).in_file(uri))?;
        if wrap {
            let len = f.metadata().map_err(|e| Error::from(e).in_file(uri))?.len();
            let mut magic = [0u8; 2];
            let gz =
                gunzip && f.read_exact(&mut magic).is_ok() && magic == crate::store::GZIP_MAGIC;
            if len > MAX_PART_LEN as u64 && !gz {
                return Err(too_large(uri, len));
            }
        }
        Ok(())
    };
    for item in items {
        match item {
            Item::Object(uri) => check(uri)?,
            Item::Entry(e) => {
                for a in &e.attrs {
                    if let Attr::Ref(uri) = a {
                        check(uri)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn stream_items(
    out: &mut Out<'_>,
    items: &[Item],
    share: &[usize],
    wrap: bool,
    rep: &mut EpochReport,
) -> Result<()> {
    for &i in share {
        rep.items += 1;
        match &items[i] {
            Item::Object(uri) => {
                out.object(uri, wrap)?;
                rep.records += 1;
            }
            Item::Entry(entry) => {
                for attr in &entry.attrs {
                    match attr {
                        Attr::Ref(uri) => out.object(uri, wrap)?,
                        Attr::Inline(bytes) => out.record(bytes, wrap)?,
                    }
                    rep.records += 1;
                }
            }
        }
    }
    Ok(())
}

fn too_large(uri: &str, len: u64) -> Error {
    Error::new(ErrorKind::TooLarge {
        len,
        max: MAX_PART_LEN as u64,
    })
    .in_file(format!(
        "{uri} (RecordWrapperType=RecordIO wraps each object in one RecordIO record, \
         which holds at most 2^29 - 1 bytes)"
    ))
}

/// Below this size a piece is copied into the gather buffer; above, it is
/// written straight from where it is.
const GATHER_MAX: usize = 64 << 10;
const GATHER_CAP: usize = 1 << 20;

/// The FIFO being written, with a gather buffer for small pieces and a
/// reused buffer for streamed objects.
struct Out<'a> {
    writer: Option<FifoWriter>,
    stop: &'a AtomicBool,
    gather: Vec<u8>,
    scratch: Vec<u8>,
    written: u64,
    /// Decompress gzip objects (`CompressionType=Gzip`).
    gunzip: bool,
}

impl<'a> Out<'a> {
    fn new(stop: &'a AtomicBool) -> Out<'a> {
        Out {
            writer: None,
            stop,
            gather: Vec::with_capacity(GATHER_CAP),
            scratch: Vec::new(),
            written: 0,
            gunzip: false,
        }
    }

    fn begin(&mut self, w: FifoWriter) {
        self.writer = Some(w);
        self.gather.clear();
        self.written = 0;
    }

    fn end(&mut self) {
        self.writer = None;
        self.gather.clear();
    }

    fn raw(&mut self, buf: &[u8]) -> Result<()> {
        let w = self.writer.as_mut().expect("an open FIFO");
        w.write_all_or_stop(buf, self.stop)?;
        self.written += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.gather.is_empty() {
            let g = std::mem::take(&mut self.gather);
            let r = self.raw(&g);
            self.gather = g;
            self.gather.clear();
            r?;
        }
        Ok(())
    }

    /// Writes `buf`: small pieces are gathered, large ones written directly.
    fn put(&mut self, buf: &[u8]) -> Result<()> {
        if buf.len() <= GATHER_MAX {
            if self.gather.len() + buf.len() > GATHER_CAP {
                self.flush()?;
            }
            self.gather.extend_from_slice(buf);
            Ok(())
        } else {
            self.flush()?;
            self.raw(buf)
        }
    }

    /// One record: `payload` alone or wrapped in a RecordIO frame.
    fn record(&mut self, payload: &[u8], wrap: bool) -> Result<()> {
        self.framed(payload.len(), wrap, |out| out.put(payload))
    }

    /// A record of `len` bytes that `body` writes: wrapped in a RecordIO
    /// frame (header before, padding after) when `wrap`.
    fn framed(
        &mut self,
        len: usize,
        wrap: bool,
        body: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        if wrap {
            let mut header = Vec::with_capacity(HEADER_LEN);
            encode_header(&mut header, len)?;
            self.put(&header)?;
        }
        body(self)?;
        if wrap {
            self.put(&[0u8; 3][..padded(len) - len])?;
        }
        Ok(())
    }

    /// A mapped object as one record. A large one is written in pieces
    /// whose pages are let go once written, so resident memory does not
    /// grow to the file.
    fn mapped(&mut self, map: &Mapped, wrap: bool) -> Result<()> {
        if map.len() <= GATHER_MAX {
            return self.record(map, wrap);
        }
        self.framed(map.len(), wrap, |out| {
            out.flush()?;
            const PIECE: usize = 8 << 20;
            let mut at = 0;
            while at < map.len() {
                let end = (at + PIECE).min(map.len());
                out.raw(&map[at..end])?;
                map.release(at..end);
                at = end;
            }
            Ok(())
        })
    }

    /// Streams the object at `uri`.
    fn object(&mut self, uri: &str, wrap: bool) -> Result<()> {
        let too_large = |len: u64| too_large(uri, len);
        let input = if wrap && crate::store::is_s3(uri) {
            // The stored size is the record's length unless the object is
            // gzip: look at its first bytes before writing the header.
            let (mut reader, size) = crate::store::open_raw(uri)?;
            let mut magic = Vec::with_capacity(2);
            (&mut reader)
                .take(2)
                .read_to_end(&mut magic)
                .map_err(|e| Error::from(e).in_file(uri))?;
            if !self.gunzip || magic != crate::store::GZIP_MAGIC {
                return self.sized(reader, magic, size, uri);
            }
            let chained = io::Cursor::new(magic).chain(reader);
            Input::from_reader(Box::new(chained), uri, Some(size))?
        } else if self.gunzip {
            Input::open(uri)?
        } else {
            Input::open_stored(uri)?
        };
        match input {
            Input::Mapped { map, .. } => {
                if wrap && map.len() > MAX_PART_LEN {
                    return Err(too_large(map.len() as u64));
                }
                self.mapped(&map, wrap)
            }
            Input::Stream {
                mut reader,
                head,
                name,
                ..
            } => {
                let mut buf = std::mem::take(&mut self.scratch);
                buf.clear();
                buf.extend_from_slice(&head);
                let r = if wrap {
                    match (&mut reader)
                        .take((MAX_PART_LEN + 1 - buf.len()) as u64)
                        .read_to_end(&mut buf)
                    {
                        Err(e) => Err(Error::from(e).in_file(&name)),
                        Ok(_) if buf.len() > MAX_PART_LEN => Err(too_large(buf.len() as u64)),
                        Ok(_) => self.record(&buf, true),
                    }
                } else {
                    self.stream(&mut reader, &mut buf, &name)
                };
                self.scratch = buf;
                r
            }
        }
    }

    /// One RecordIO record of `size` bytes: `head`, then the rest of
    /// `reader`, streamed through the reused buffer. A stream that ends
    /// early or goes on (the object changed while it was read) is an error.
    fn sized(
        &mut self,
        reader: Box<dyn Read + Send>,
        head: Vec<u8>,
        size: u64,
        uri: &str,
    ) -> Result<()> {
        if size > MAX_PART_LEN as u64 {
            return Err(too_large(uri, size));
        }
        let mut header = Vec::with_capacity(HEADER_LEN);
        encode_header(&mut header, size as usize)?;
        self.put(&header)?;
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        buf.extend_from_slice(&head);
        let before = self.written + self.gather.len() as u64;
        // One byte more than announced, to notice an object that grew.
        let mut body = reader.take(size + 1 - head.len() as u64);
        let r = self.stream(&mut body, &mut buf, uri);
        self.scratch = buf;
        r?;
        let got = self.written + self.gather.len() as u64 - before;
        if got != size {
            return Err(Error::from(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the object was {size} bytes when opened but {got} bytes were read"),
            ))
            .in_file(uri));
        }
        self.put(&[0u8; 3][..padded(size as usize) - size as usize])
    }

    /// Copies a stream through `buf` (which holds its first bytes).
    fn stream(&mut self, reader: &mut dyn Read, buf: &mut Vec<u8>, name: &str) -> Result<()> {
        const CHUNK: usize = 1 << 20;
        loop {
            if buf.len() >= CHUNK {
                self.put(buf)?;
                buf.clear();
            }
            let start = buf.len();
            buf.resize(CHUNK, 0);
            match reader.read(&mut buf[start..]) {
                Ok(0) => {
                    buf.truncate(start);
                    break;
                }
                Ok(n) => buf.truncate(start + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(start),
                Err(e) => return Err(Error::from(e).in_file(name)),
            }
        }
        self.put(buf)
    }
}
