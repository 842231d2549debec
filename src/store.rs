//! Where bytes live: input files (memory-mapped when they are regular
//! files), standard input, FIFOs and gzip streams; output files written to
//! a temporary name and renamed only on success.
//!
//! # Memory-mapped input
//! A regular, uncompressed local file is mapped read-only with `memmap2`,
//! so chunks handed to the parallel decoders are borrowed slices of the
//! page cache, not copies. If another process truncates or rewrites the
//! file while it is mapped, the results are undefined at the OS level:
//! reads past a truncation raise `SIGBUS` and rewritten pages show the new
//! bytes. Do not convert files that are still being written; use `-` (a
//! stream) for those.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use crate::error::{Error, Result};

/// The first bytes of a gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An opened input: either mapped bytes or a stream.
pub enum Input {
    /// A regular file mapped into memory (or read whole when empty).
    Mapped {
        /// The bytes.
        map: Arc<Mapped>,
        /// Name for error messages.
        name: String,
    },
    /// A stream: stdin, a FIFO, a gzip-decoded file.
    Stream {
        /// The reader.
        reader: Box<dyn Read + Send>,
        /// Name for error messages.
        name: String,
        /// Size of the underlying file if known (for progress).
        size_hint: Option<u64>,
        /// The first bytes of the stream, already read for sniffing.
        head: Vec<u8>,
    },
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Mapped { map, name } => write!(f, "Input::Mapped({name}, {} bytes)", map.len()),
            Input::Stream { name, .. } => write!(f, "Input::Stream({name})"),
        }
    }
}

/// Bytes of a mapped file. An empty file has no mapping.
#[derive(Debug)]
pub enum Mapped {
    /// A read-only memory map.
    Map(Mmap),
    /// Bytes held in memory (empty files, tests).
    Owned(Vec<u8>),
}

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Mapped::Map(m) => m,
            Mapped::Owned(v) => v,
        }
    }
}

impl Input {
    /// Opens `path`: `-` is standard input; a gzip file (detected by its
    /// magic bytes, whatever its name) is decompressed as a stream; another
    /// regular file is memory-mapped; anything else (a FIFO, a device) is
    /// read as a stream. `pipe://CHANNEL[:EPOCH]` waits for that epoch's
    /// Pipe-mode FIFO (see [`crate::pipe::PipeUri`]).
    pub fn open(path: &str) -> Result<Input> {
        if path == "-" {
            return Input::from_reader(Box::new(io::stdin()), "<stdin>", None);
        }
        if path.starts_with("pipe://") {
            return crate::pipe::open_uri(path);
        }
        // `file:///abs/path`, as manifests and SageMaker local mode write.
        let path = path.strip_prefix("file://").unwrap_or(path);
        let name = path.to_string();
        let file = File::open(path).map_err(|e| Error::from(e).in_file(&name))?;
        let meta = file.metadata().map_err(|e| Error::from(e).in_file(&name))?;
        if !meta.is_file() {
            if meta.is_dir() {
                return Err(Error::config(format!("{name} is a directory, not a file")));
            }
            return Input::from_reader(Box::new(file), &name, None);
        }
        if meta.len() == 0 {
            return Ok(Input::Mapped {
                map: Arc::new(Mapped::Owned(Vec::new())),
                name,
            });
        }
        // SAFETY: the map is read-only and private to this process. The
        // module docs state what happens if the file changes underneath.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::from(e).in_file(&name))?;
        if map.starts_with(&GZIP_MAGIC) {
            let size = meta.len();
            drop(map);
            let gz = flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 20, file));
            return Input::from_reader(Box::new(gz), &name, Some(size));
        }
        #[cfg(unix)]
        {
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        Ok(Input::Mapped {
            map: Arc::new(Mapped::Map(map)),
            name,
        })
    }

    /// Wraps a stream, decompressing it when it starts with the gzip magic.
    pub fn from_reader(
        mut reader: Box<dyn Read + Send>,
        name: &str,
        size_hint: Option<u64>,
    ) -> Result<Input> {
        let mut head = Vec::with_capacity(2);
        (&mut reader)
            .take(2)
            .read_to_end(&mut head)
            .map_err(|e| Error::from(e).in_file(name))?;
        if head == GZIP_MAGIC {
            let chained = io::Cursor::new(head).chain(reader);
            let mut gz: Box<dyn Read + Send> = Box::new(flate2::read::MultiGzDecoder::new(chained));
            let mut head = Vec::new();
            (&mut gz)
                .take(64)
                .read_to_end(&mut head)
                .map_err(|e| Error::from(e).in_file(name))?;
            return Ok(Input::Stream {
                reader: gz,
                name: name.to_string(),
                size_hint,
                head,
            });
        }
        let mut rest = Vec::new();
        (&mut reader)
            .take(62)
            .read_to_end(&mut rest)
            .map_err(|e| Error::from(e).in_file(name))?;
        head.extend_from_slice(&rest);
        Ok(Input::Stream {
            reader,
            name: name.to_string(),
            size_hint,
            head,
        })
    }

    /// In-memory bytes, as if mapped from a file called `name`.
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> Input {
        Input::Mapped {
            map: Arc::new(Mapped::Owned(bytes)),
            name: name.to_string(),
        }
    }

    /// The name used in error messages.
    pub fn name(&self) -> &str {
        match self {
            Input::Mapped { name, .. } | Input::Stream { name, .. } => name,
        }
    }

    /// The first bytes of the input (up to 64), for format sniffing.
    pub fn head(&self) -> &[u8] {
        match self {
            Input::Mapped { map, .. } => &map[..map.len().min(64)],
            Input::Stream { head, .. } => head,
        }
    }

    /// Total size in bytes when known.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::Mapped { map, .. } => Some(map.len() as u64),
            Input::Stream { size_hint, .. } => *size_hint,
        }
    }

    /// True for mapped input, which can be read more than once.
    pub fn is_mapped(&self) -> bool {
        matches!(self, Input::Mapped { .. })
    }
}

/// An output destination. Files are written to a hidden temporary name in
/// the same directory and renamed over the final name by
/// [`Output::commit`]; dropped without a commit, the temporary file is
/// removed, so a failed run never leaves a truncated file that looks
/// complete.
pub struct Output {
    writer: Option<Sink>,
    tmp: Option<PathBuf>,
    path: Option<PathBuf>,
    name: String,
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
}

impl Sink {
    fn get(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File(w) => w,
            Sink::Gzip(w) => w,
        }
    }

    /// Flushes everything and returns the file, if any, for syncing.
    fn finish(self) -> io::Result<Option<File>> {
        match self {
            Sink::Stdout(mut w) => w.flush().map(|_| None),
            Sink::File(w) => w.into_inner().map_err(|e| e.into_error()).map(Some),
            Sink::Gzip(w) => w
                .finish()?
                .into_inner()
                .map_err(|e| e.into_error())
                .map(Some),
        }
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Output({})", self.name)
    }
}

impl Output {
    /// Creates `path` (`-` is standard output). An existing file is an
    /// error unless `overwrite` is true. A name ending in `.gz` is
    /// gzip-compressed.
    pub fn create(path: &str, overwrite: bool) -> Result<Output> {
        if path == "-" {
            return Ok(Output {
                writer: Some(Sink::Stdout(BufWriter::with_capacity(
                    1 << 20,
                    io::stdout(),
                ))),
                tmp: None,
                path: None,
                name: "<stdout>".into(),
            });
        }
        let final_path = PathBuf::from(path);
        // A FIFO or a device is written into, never replaced.
        if let Ok(meta) = std::fs::metadata(&final_path)
            && !meta.is_file()
            && !meta.is_dir()
        {
            let file = File::options()
                .write(true)
                .open(&final_path)
                .map_err(|e| Error::from(e).in_file(path))?;
            return Ok(Output {
                writer: Some(Sink::File(BufWriter::with_capacity(1 << 20, file))),
                tmp: None,
                path: None,
                name: path.to_string(),
            });
        }
        if !overwrite && final_path.exists() {
            return Err(Error::config(format!(
                "{path} already exists; pass --force to overwrite it"
            )));
        }
        if final_path.is_dir() {
            return Err(Error::config(format!("{path} is a directory")));
        }
        let dir = final_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file_name = final_path
            .file_name()
            .ok_or_else(|| Error::config(format!("{path} is not a file name")))?
            .to_string_lossy()
            .into_owned();
        let tmp = dir.join(format!(".{file_name}.sm-data-{}.tmp", std::process::id()));
        let file =
            File::create(&tmp).map_err(|e| Error::from(e).in_file(tmp.display().to_string()))?;
        let buffered = BufWriter::with_capacity(1 << 20, file);
        let writer = if file_name.ends_with(".gz") {
            Sink::Gzip(flate2::write::GzEncoder::new(
                buffered,
                flate2::Compression::default(),
            ))
        } else {
            Sink::File(buffered)
        };
        Ok(Output {
            writer: Some(writer),
            tmp: Some(tmp),
            path: Some(final_path),
            name: path.to_string(),
        })
    }

    /// The name used in error messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Writes all of `buf`. Errors name the output.
    pub fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        let w = self.writer.as_mut().expect("output used after commit");
        w.get()
            .write_all(buf)
            .map_err(|e| Error::from(e).in_file(&self.name))
    }

    /// Flushes, syncs and renames the temporary file over the final name.
    pub fn commit(mut self) -> Result<()> {
        let sink = self.writer.take().expect("committed twice");
        let file = sink
            .finish()
            .map_err(|e| Error::from(e).in_file(&self.name))?;
        // Only a file about to be renamed into place is synced (a FIFO or
        // a device cannot be).
        if let (Some(file), Some(_)) = (file, &self.tmp) {
            file.sync_all()
                .map_err(|e| Error::from(e).in_file(&self.name))?;
        }
        if let (Some(tmp), Some(path)) = (self.tmp.take(), self.path.as_ref())
            && let Err(e) = std::fs::rename(&tmp, path)
        {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::from(e).in_file(&self.name));
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            drop(self.writer.take());
            let _ = std::fs::remove_file(tmp);
        }
    }
}
