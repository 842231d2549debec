//! Where bytes live: local files (memory-mapped when they are regular
//! files), standard input, FIFOs, gzip streams and `s3://` objects;
//! outputs that appear only whole, on [`Output::commit`].
//!
//! Everything here is synchronous. The S3 code is the only async code in
//! the crate: it runs on a private tokio runtime that the store creates
//! once, on first use, and drives with `block_on`. So the store must not
//! be called from inside an async task (use `spawn_blocking` there).
//!
//! # Memory-mapped input
//! A regular, uncompressed local file is mapped read-only with `memmap2`,
//! so chunks handed to the parallel decoders are borrowed slices of the
//! page cache, not copies. If another process truncates or rewrites the
//! file while it is mapped, the results are undefined at the OS level:
//! reads past a truncation raise `SIGBUS` and rewritten pages show the new
//! bytes. Do not convert files that are still being written; use `-` (a
//! stream) for those.
//!
//! # S3 (feature `s3`)
//! `s3://bucket/key` works wherever a path does:
//! - [`Input::open`] reads an object as a stream of parallel ranged GETs
//!   of [`S3Config::part_size`] bytes, [`S3Config::concurrency`] in
//!   flight, handed over in order (memory stays at about
//!   `part_size × (concurrency + 1)`). Each range asks for the ETag seen
//!   by the first HeadObject (`If-Match`), so an object replaced while it
//!   is read fails with `PreconditionFailed` instead of mixing versions.
//! - [`Output::create`] buffers one part; output that fits in one part is
//!   a single PutObject on commit, larger output a multipart upload with
//!   up to [`S3Config::concurrency`] parts uploading at once. Part `n` is
//!   `part_size × 2^((n-1)/1000)` bytes (capped at 5 GiB), so the 10,000
//!   part limit never caps an object below S3's 5 TiB maximum. Without
//!   `overwrite` an existing object is refused (HeadObject at create, and
//!   `If-None-Match: *` on the final request, so a racing writer is
//!   refused too). Any failure, and a drop without commit, waits for the
//!   parts in flight and aborts the multipart upload
//!   (AbortMultipartUpload, retried), so nothing half-written stays
//!   behind; an abort that still fails is reported with the upload id.
//! - [`list`], [`exists`] and [`join`] work on local paths and `s3://`
//!   URIs alike.
//!
//! Credentials and region come from the standard AWS chain (environment,
//! `~/.aws` profiles with `credential_process` and role assumption, web
//! identity, ECS and EC2 metadata; not SSO profiles, whose client the lean
//! build leaves out), or from [`S3Config::credentials`]. The
//! endpoint is [`S3Config::endpoint_url`], else `AWS_ENDPOINT_URL_S3`, else
//! `AWS_ENDPOINT_URL`, else AWS's own; any override switches to path-style
//! addressing, which S3-compatible stores expect. Requests are retried in
//! the SDK's standard mode (exponential backoff with jitter on throttling,
//! 5xx and connection errors). Set everything once with [`configure`].
//! Errors are [`ErrorKind::S3`](crate::ErrorKind::S3), naming the URI,
//! the operation and the S3 error code.
//!
//! Without the `s3` feature every `s3://` path is an
//! [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) error that
//! names the feature.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use memmap2::Mmap;

use crate::error::{Error, Result};

mod filewrite;
mod local;
#[cfg(feature = "s3")]
mod s3;

/// Whether `uri` names an S3 object or prefix (`s3://...`).
pub fn is_s3(uri: &str) -> bool {
    uri.starts_with("s3://")
}

/// An `s3://bucket/key` URI split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key or key prefix (may be empty).
    pub key: String,
}

impl S3Url {
    /// Splits `s3://bucket/key`. The key may be empty (`s3://bucket` or
    /// `s3://bucket/`, the whole bucket as a prefix).
    pub fn parse(uri: &str) -> Result<S3Url> {
        let rest = uri
            .strip_prefix("s3://")
            .ok_or_else(|| Error::config(format!("{uri} is not an s3:// URI")))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::config(format!("{uri} names no bucket")));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// An error unless the key names an object (non-empty, not ending in
    /// `/`).
    fn require_key(&self) -> Result<()> {
        if self.key.is_empty() || self.key.ends_with('/') {
            return Err(Error::config(format!(
                "{self} is a prefix, not an object; name an object (s3://bucket/key)"
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// One object found by [`list`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectInfo {
    /// The object's URI (`s3://bucket/key`) or the file's path, usable
    /// with [`Input::open`].
    pub uri: String,
    /// Size in bytes.
    pub size: u64,
}

/// Lists objects, sorted by URI.
///
/// - `s3://bucket/prefix`: every object whose key starts with `prefix`,
///   by plain string comparison as SageMaker's `S3Prefix` data type does
///   (so `s3://b/train` also finds `s3://b/train2/x`; end the prefix with
///   `/` to mean a folder). ListObjectsV2, all pages.
/// - a local folder: every file below it, recursively (symbolic links to
///   files are followed, links to folders are not entered).
/// - a local file: the file itself.
/// - another local path: the files of its folder (recursively) whose path
///   starts with it, the same prefix rule as S3's; none is an empty list.
///
/// Local paths may be written `file:///abs/path`; results are plain paths.
///
/// Everything is included: hidden files (`.name`), markers such as
/// `_SUCCESS`, and zero-byte "folder" objects whose key ends in `/`.
/// Filter them with [`is_hidden`] where they are not data.
pub fn list(uri: &str) -> Result<Vec<ObjectInfo>> {
    let mut out = if is_s3(uri) {
        s3_list(&S3Url::parse(uri)?)?
    } else {
        local::list(local_path(uri))?
    };
    out.sort();
    Ok(out)
}

/// Whether a file or an S3 object exists. For S3 this is HeadObject on the
/// exact key (a prefix with objects under it is not an object; use
/// [`list`] for that).
pub fn exists(uri: &str) -> Result<bool> {
    if is_s3(uri) {
        let url = S3Url::parse(uri)?;
        url.require_key()?;
        return s3_exists(&url);
    }
    local::exists(local_path(uri))
}

/// Opens the bytes of a file or S3 object as they are stored, without the
/// gzip detection of [`Input::open`]: a reader and the size in bytes (an
/// S3 object is read by the same parallel ranged GETs). For callers that
/// must know an object's exact length before streaming it.
pub fn open_raw(uri: &str) -> Result<(Box<dyn Read + Send>, u64)> {
    if is_s3(uri) {
        let url = S3Url::parse(uri)?;
        url.require_key()?;
        return s3_open_raw(&url);
    }
    let path = local_path(uri);
    let file = std::fs::File::open(path).map_err(|e| Error::from(e).in_file(path))?;
    let meta = file.metadata().map_err(|e| Error::from(e).in_file(path))?;
    if !meta.is_file() {
        return Err(Error::config(format!("{path} is not a regular file")));
    }
    Ok((Box::new(file), meta.len()))
}

/// The local path of a local URI: `file:///abs/path` (what manifests and
/// SageMaker local mode write) is `/abs/path`; other strings are paths.
pub fn local_path(uri: &str) -> &str {
    uri.strip_prefix("file://").unwrap_or(uri)
}

/// Joins a prefix (a folder or an `s3://` prefix) and a name with exactly
/// one `/` between them: `join("s3://b/out", "part-0.csv")` and
/// `join("s3://b/out/", "/part-0.csv")` are both `s3://b/out/part-0.csv`.
/// An empty prefix gives the name alone.
pub fn join(prefix: &str, name: &str) -> String {
    let name = name.trim_start_matches('/');
    if prefix.is_empty() {
        return name.to_string();
    }
    let mut out = String::with_capacity(prefix.len() + 1 + name.len());
    out.push_str(prefix);
    if !prefix.ends_with('/') {
        out.push('/');
    }
    out.push_str(name);
    out
}

/// True when the last component of `uri` starts with `.` or `_` (hidden
/// files, `_SUCCESS`, `_metadata`, `.crc` side files) or when `uri` ends
/// in `/` (an S3 "folder" marker). These are usually not data.
pub fn is_hidden(uri: &str) -> bool {
    if uri.ends_with('/') {
        return true;
    }
    let last = uri.rsplit('/').next().unwrap_or(uri);
    last.starts_with('.') || last.starts_with('_')
}

/// How the store talks to S3. Set it with [`configure`] before the first
/// `s3://` access (a later call applies to the operations that start after
/// it). The default reads everything from the standard AWS configuration.
///
/// ```
/// use sm_data::store::{S3Config, configure};
/// configure(S3Config {
///     endpoint_url: Some("http://127.0.0.1:9000".into()),
///     part_size: 16 << 20,
///     ..S3Config::default()
/// });
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Endpoint of an S3-compatible store (`http://127.0.0.1:9000`). When
    /// `None`, `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then AWS's
    /// regional endpoint. Any override uses path-style addressing.
    pub endpoint_url: Option<String>,
    /// Region. When `None`, the AWS chain (`AWS_REGION`, profile, EC2
    /// metadata), else `us-east-1`.
    pub region: Option<String>,
    /// Static credentials: (access key id, secret access key). When
    /// `None`, the standard AWS credential chain.
    pub credentials: Option<(String, String)>,
    /// Bytes per multipart-upload part and per ranged GET. Default 8 MiB.
    /// Uploads use at least 5 MiB, S3's smallest part.
    pub part_size: usize,
    /// Parts uploaded or ranges fetched at once, per object. Default 4.
    pub concurrency: usize,
    /// Attempts per request, standard retry mode. When `None`,
    /// `AWS_MAX_ATTEMPTS`, else 5.
    pub max_attempts: Option<u32>,
    /// First retry backoff (doubling, with jitter, up to 20 s). Default 1 s.
    pub initial_backoff: Duration,
    /// Keys per ListObjectsV2 page. When `None`, the service's default
    /// (1000 on AWS).
    pub list_page_size: Option<i32>,
}

impl Default for S3Config {
    fn default() -> S3Config {
        S3Config {
            endpoint_url: None,
            region: None,
            credentials: None,
            part_size: 8 << 20,
            concurrency: 4,
            max_attempts: None,
            initial_backoff: Duration::from_secs(1),
            list_page_size: None,
        }
    }
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint_url", &self.endpoint_url)
            .field("region", &self.region)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(id, _)| (id, "<secret>")),
            )
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .field("list_page_size", &self.list_page_size)
            .finish()
    }
}

/// The configuration and a counter that changes with every [`configure`].
static CONFIG: Mutex<(u64, Option<S3Config>)> = Mutex::new((0, None));

/// Sets how the store talks to S3 (endpoint, credentials, part size,
/// retries). Operations that start afterwards use it; uploads and reads
/// already open keep the configuration they started with.
pub fn configure(config: S3Config) {
    let mut slot = CONFIG.lock().unwrap_or_else(|e| e.into_inner());
    slot.0 += 1;
    slot.1 = Some(config);
}

/// The configuration set by [`configure`] (or the default) and its
/// generation number.
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
fn current_config() -> (u64, S3Config) {
    let slot = CONFIG.lock().unwrap_or_else(|e| e.into_inner());
    (slot.0, slot.1.clone().unwrap_or_default())
}

#[cfg(feature = "s3")]
fn s3_open(url: &S3Url) -> Result<Input> {
    s3::open(url)
}

#[cfg(feature = "s3")]
fn s3_open_raw(url: &S3Url) -> Result<(Box<dyn Read + Send>, u64)> {
    s3::open_raw(url)
}

#[cfg(feature = "s3")]
fn s3_create(url: &S3Url, overwrite: bool) -> Result<Output> {
    let upload = s3::Upload::create(url, overwrite)?;
    let name = url.to_string();
    let writer = if url.key.ends_with(".gz") {
        Sink::S3Gzip(flate2::write::GzEncoder::new(
            upload,
            flate2::Compression::default(),
        ))
    } else {
        Sink::S3(upload)
    };
    Ok(Output {
        writer: Some(writer),
        tmp: None,
        path: None,
        name,
    })
}

#[cfg(feature = "s3")]
fn s3_list(url: &S3Url) -> Result<Vec<ObjectInfo>> {
    s3::list(url)
}

#[cfg(feature = "s3")]
fn s3_exists(url: &S3Url) -> Result<bool> {
    s3::exists(url)
}

#[cfg(not(feature = "s3"))]
fn no_s3(url: &S3Url) -> Error {
    Error::unsupported(format!(
        "{url}: s3:// paths need sm-data built with the `s3` cargo feature"
    ))
}

#[cfg(not(feature = "s3"))]
fn s3_open(url: &S3Url) -> Result<Input> {
    Err(no_s3(url))
}

#[cfg(not(feature = "s3"))]
fn s3_open_raw(url: &S3Url) -> Result<(Box<dyn Read + Send>, u64)> {
    Err(no_s3(url))
}

#[cfg(not(feature = "s3"))]
fn s3_create(url: &S3Url, _overwrite: bool) -> Result<Output> {
    Err(no_s3(url))
}

#[cfg(not(feature = "s3"))]
fn s3_list(url: &S3Url) -> Result<Vec<ObjectInfo>> {
    Err(no_s3(url))
}

#[cfg(not(feature = "s3"))]
fn s3_exists(url: &S3Url) -> Result<bool> {
    Err(no_s3(url))
}

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

impl Mapped {
    /// Lets the pages of `range` go once they are no longer needed, so
    /// that resident memory stays at what is in use instead of growing to
    /// the file's size. Reading them again later is still fine (they fault
    /// back in from the page cache).
    ///
    /// The range is widened to whole [`RELEASE_ALIGN`] blocks: a read fault
    /// maps the whole page-cache folio it hits (Linux caches files in
    /// folios of up to 2 MiB), so touching the first byte of the next range
    /// maps back pages of this one, which nothing would release again
    /// (a 1 GB conversion on one thread kept 134 MiB of the input resident,
    /// with 1 MiB ranges 456 MiB). Pages still in use by a neighbour simply
    /// fault back in.
    pub fn release(&self, range: std::ops::Range<usize>) {
        #[cfg(unix)]
        if let Mapped::Map(map) = self {
            let (start, end) = release_span(range, map.len());
            // SAFETY: the map is a read-only, file-backed shared mapping.
            // MADV_DONTNEED only drops its page-table entries; the addresses
            // stay mapped and any later read faults the same file bytes
            // back in. No slice is invalidated.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
        #[cfg(not(unix))]
        let _ = range;
    }
}

impl Mapped {
    /// Asks the kernel to start reading the pages of `range` now
    /// (`MADV_WILLNEED`, which queues the reads and returns), so that the
    /// bytes are in the page cache when a worker gets there instead of
    /// each worker waiting on its own page faults: reading from the disk
    /// then overlaps with checking or converting the bytes before it.
    ///
    /// When the range's last page is in the page cache already (a file
    /// read before, or the kernel's own read-ahead got there), the advice
    /// is skipped: looking up every page of a cached range costs more than
    /// it saves (about 6 ms a gigabyte, on the thread that cuts chunks).
    pub fn will_need(&self, range: std::ops::Range<usize>) {
        #[cfg(target_os = "linux")]
        if let Mapped::Map(map) = self {
            let end = range.end.min(map.len());
            let start = range.start.min(end) & !(PAGE - 1);
            if end > start && !resident(map, end - 1) {
                let _ = map.advise_range(memmap2::Advice::WillNeed, start, end - start);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = range;
    }
}

/// The page size [`Mapped::will_need`] aligns to (4 KiB; a larger page
/// only makes the alignment finer than needed).
#[cfg(target_os = "linux")]
const PAGE: usize = 4096;

/// Whether the page holding `map[at]` is in the page cache (`mincore`).
#[cfg(target_os = "linux")]
fn resident(map: &Mmap, at: usize) -> bool {
    let mut vec = 0u8;
    let offset = at & !(PAGE - 1);
    // SAFETY: `offset` lies in the mapping (`at < map.len()`) and is
    // page-aligned within it (mappings start at a page boundary); one
    // page's status is written to `vec`. mincore only reads page tables.
    let rc = unsafe { libc::mincore(map.as_ptr().add(offset) as *mut libc::c_void, 1, &mut vec) };
    rc == 0 && vec & 1 == 1
}

/// The block that [`Mapped::release`] widens its ranges to: the largest
/// page-cache folio (a PMD, 2 MiB on x86-64 and arm64 with 4 KiB pages);
/// folios are aligned to their size in the file, so each lies in one block.
pub const RELEASE_ALIGN: usize = 2 << 20;

/// `range` widened to whole [`RELEASE_ALIGN`] blocks, within `0..len`.
fn release_span(range: std::ops::Range<usize>, len: usize) -> (usize, usize) {
    let start = range.start & !(RELEASE_ALIGN - 1);
    let end = range
        .end
        .checked_next_multiple_of(RELEASE_ALIGN)
        .unwrap_or(len)
        .min(len);
    (start.min(end), end)
}

#[cfg(test)]
mod release_tests {
    use super::*;

    #[test]
    fn release_spans_cover_whole_blocks_within_the_map() {
        const A: usize = RELEASE_ALIGN;
        assert_eq!(release_span(0..10, 100 * A), (0, A));
        assert_eq!(release_span(A + 5..3 * A - 1, 100 * A), (A, 3 * A));
        assert_eq!(release_span(A..2 * A, 100 * A), (A, 2 * A));
        // The end is clamped to the map; an empty range stays in bounds.
        assert_eq!(
            release_span(5 * A + 1..5 * A + 9, 5 * A + 9),
            (5 * A, 5 * A + 9)
        );
        assert_eq!(release_span(7..7, 7), (0, 7));
        assert_eq!(
            release_span(usize::MAX - 3..usize::MAX, usize::MAX),
            (usize::MAX & !(A - 1), usize::MAX)
        );
        // Every range lies inside its span.
        for (s, e) in [(0, 1), (A - 1, A + 1), (3 * A, 3 * A + 7)] {
            let (a, b) = release_span(s..e, 10 * A);
            assert!(a <= s && e <= b && a % A == 0 && (b % A == 0 || b == 10 * A));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn read_ahead_advice_leaves_the_bytes_alone_and_sees_cached_pages() {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let bytes: Vec<u8> = (0..3 * PAGE + 100).map(|i| (i % 251) as u8).collect();
        f.write_all(&bytes).unwrap();
        f.flush().unwrap();
        // SAFETY: a private temporary file nothing else writes.
        let map = unsafe { Mmap::map(f.as_file()) }.unwrap();
        // Just written, so cached; and a page just read is resident.
        assert_eq!(map[PAGE + 7], bytes[PAGE + 7]);
        assert!(resident(&map, PAGE + 7));
        assert!(resident(&map, map.len() - 1));
        let mapped = Mapped::Map(map);
        // Ranges past the end, empty, reversed or unaligned are fine.
        for r in [
            0..10,
            5..3 * PAGE + 1,
            2 * PAGE + 1..usize::MAX,
            9..9,
            #[allow(clippy::reversed_empty_ranges)]
            (50..7),
        ] {
            mapped.will_need(r);
        }
        let Mapped::Map(map) = &mapped else {
            unreachable!()
        };
        assert_eq!(&map[..], &bytes[..]);
        Mapped::Owned(bytes.clone()).will_need(0..usize::MAX);
    }
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
    /// Opens `path`: `-` is standard input; `s3://bucket/key` is an S3
    /// object read by parallel ranged GETs (see the module docs); a gzip
    /// file or object (detected by its magic bytes, whatever its name) is
    /// decompressed as a stream; another regular file is memory-mapped;
    /// anything else (a FIFO, a device) is read as a stream.
    pub fn open(path: &str) -> Result<Input> {
        if path == "-" {
            return Input::from_reader(Box::new(io::stdin()), "<stdin>", None);
        }
        if path.starts_with("pipe://") {
            return crate::pipe::open_uri(path);
        }
        if is_s3(path) {
            let url = S3Url::parse(path)?;
            url.require_key()?;
            return s3_open(&url);
        }
        local::open(local_path(path), true)
    }

    /// Like [`Input::open`], but a gzip file or object is not decompressed:
    /// its bytes as stored (a local file is still mapped, an S3 object
    /// still read by parallel ranged GETs).
    pub fn open_stored(path: &str) -> Result<Input> {
        if is_s3(path) {
            let (reader, size) = open_raw(path)?;
            return Ok(Input::Stream {
                reader,
                name: path.to_string(),
                size_hint: Some(size),
                head: Vec::new(),
            });
        }
        if path == "-" || path.starts_with("pipe://") {
            return Input::open(path);
        }
        local::open(local_path(path), false)
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
/// complete. An `s3://` output is a multipart upload that
/// [`Output::commit`] completes and that a failure or a drop without
/// commit aborts (see the module docs).
pub struct Output {
    writer: Option<Sink>,
    tmp: Option<PathBuf>,
    path: Option<PathBuf>,
    name: String,
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    /// A FIFO or a device, written in place.
    File(BufWriter<File>),
    /// A temporary file to be renamed into place.
    Local(filewrite::FileWriter),
    Gzip(flate2::write::GzEncoder<filewrite::FileWriter>),
    #[cfg(feature = "s3")]
    S3(s3::Upload),
    #[cfg(feature = "s3")]
    S3Gzip(flate2::write::GzEncoder<s3::Upload>),
}

impl Sink {
    fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        let w: &mut dyn Write = match self {
            Sink::Stdout(w) => w,
            Sink::File(w) => w,
            Sink::Local(w) => w,
            Sink::Gzip(w) => w,
            #[cfg(feature = "s3")]
            Sink::S3(w) => return w.write_bytes(buf),
            #[cfg(feature = "s3")]
            Sink::S3Gzip(w) => w,
        };
        w.write_all(buf).map_err(from_io)
    }

    /// Flushes everything (completes an S3 upload) and returns the file,
    /// if any, for syncing.
    fn finish(self) -> Result<Option<File>> {
        match self {
            Sink::Stdout(mut w) => w.flush().map(|_| None).map_err(from_io),
            Sink::File(w) => w
                .into_inner()
                .map_err(|e| from_io(e.into_error()))
                .map(Some),
            Sink::Local(w) => w.finish().map_err(from_io).map(Some),
            Sink::Gzip(w) => w
                .finish()
                .map_err(from_io)?
                .finish()
                .map_err(from_io)
                .map(Some),
            #[cfg(feature = "s3")]
            Sink::S3(w) => w.complete().map(|_| None),
            #[cfg(feature = "s3")]
            Sink::S3Gzip(w) => w.finish().map_err(from_io)?.complete().map(|_| None),
        }
    }
}

/// An I/O error, or the library error that an `io::Write` adapter (the S3
/// upload under a gzip encoder) wrapped into one.
fn from_io(e: io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        let inner = e.into_inner().expect("checked above");
        return *inner.downcast::<Error>().expect("checked above");
    }
    Error::from(e)
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Output({})", self.name)
    }
}

impl Output {
    /// Creates `path` (`-` is standard output; `s3://bucket/key` an S3
    /// object). An existing file or object is an error unless `overwrite`
    /// is true. A name ending in `.gz` is gzip-compressed.
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
        if is_s3(path) {
            let url = S3Url::parse(path)?;
            url.require_key()?;
            return s3_create(&url, overwrite);
        }
        local::create(local_path(path), overwrite)
    }

    /// The name used in error messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether nothing written is visible before [`Output::commit`]: a
    /// local file written to a temporary name, or an S3 multipart upload.
    /// Such an output can be started over by dropping it (which discards
    /// what it holds) and creating it again; standard output, a FIFO or a
    /// device cannot.
    pub fn is_discardable(&self) -> bool {
        match &self.writer {
            #[cfg(feature = "s3")]
            Some(Sink::S3(_) | Sink::S3Gzip(_)) => true,
            _ => self.tmp.is_some(),
        }
    }

    /// Writes all of `buf`. Errors name the output.
    pub fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        let w = self.writer.as_mut().expect("output used after commit");
        w.write_all(buf).map_err(|e| e.in_file(&self.name))
    }

    /// Flushes, syncs and renames the temporary file over the final name;
    /// for S3, uploads the last part and completes the upload (the object
    /// appears only now, whole).
    pub fn commit(mut self) -> Result<()> {
        let sink = self.writer.take().expect("committed twice");
        let file = sink.finish().map_err(|e| e.in_file(&self.name))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_split_into_bucket_and_key() {
        let u = S3Url::parse("s3://bkt/a/b.csv").unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("bkt", "a/b.csv"));
        assert_eq!(u.to_string(), "s3://bkt/a/b.csv");
        assert_eq!(S3Url::parse("s3://bkt").unwrap().key, "");
        assert!(S3Url::parse("s3:///key").unwrap_err().is_config());
        assert!(S3Url::parse("/local").unwrap_err().is_config());
        let prefix = Input::open("s3://bkt/dir/").unwrap_err();
        assert!(prefix.is_config(), "{prefix}");
        assert!(prefix.to_string().contains("s3://bkt/dir/"), "{prefix}");
    }

    #[test]
    fn join_puts_one_slash_between() {
        assert_eq!(join("s3://b/out", "x.csv"), "s3://b/out/x.csv");
        assert_eq!(join("s3://b/out/", "/x.csv"), "s3://b/out/x.csv");
        assert_eq!(join("s3://b", "x.csv"), "s3://b/x.csv");
        assert_eq!(join("dir", "x.csv"), "dir/x.csv");
        assert_eq!(join("", "x.csv"), "x.csv");
    }

    #[test]
    fn hidden_names_are_dot_underscore_and_folder_markers() {
        for h in ["s3://b/p/_SUCCESS", "dir/.x.crc", "s3://b/p/", ".hidden"] {
            assert!(is_hidden(h), "{h}");
        }
        for v in ["s3://b/p/part-0.csv", "dir/a_b.csv", "x"] {
            assert!(!is_hidden(v), "{v}");
        }
    }

    #[test]
    fn local_listing_is_recursive_sorted_and_complete() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        std::fs::create_dir_all(dir.path().join("sub/deeper")).unwrap();
        for (name, len) in [
            ("b.csv", 3),
            ("a.csv", 1),
            ("_SUCCESS", 0),
            ("sub/.hidden", 2),
            ("sub/deeper/c.csv", 5),
        ] {
            std::fs::write(dir.path().join(name), vec![b'x'; len]).unwrap();
        }
        let got = list(root).unwrap();
        let want: Vec<ObjectInfo> = [
            ("_SUCCESS", 0),
            ("a.csv", 1),
            ("b.csv", 3),
            ("sub/.hidden", 2),
            ("sub/deeper/c.csv", 5),
        ]
        .iter()
        .map(|(n, s)| ObjectInfo {
            uri: format!("{root}/{n}"),
            size: *s,
        })
        .collect();
        assert_eq!(got, want);
        let file = join(root, "b.csv");
        assert_eq!(
            list(&file).unwrap(),
            vec![ObjectInfo {
                uri: file.clone(),
                size: 3
            }]
        );
        assert!(exists(&file).unwrap());
        assert!(!exists(&join(root, "nope")).unwrap());
        assert!(exists(&format!("file://{file}")).unwrap());
        assert_eq!(list(&format!("file://{root}")).unwrap(), want);
        // A path that is neither file nor folder is a prefix, as on S3.
        let uris =
            |p: &str| -> Vec<String> { list(p).unwrap().into_iter().map(|o| o.uri).collect() };
        assert_eq!(
            uris(&join(root, "sub/deep")),
            [format!("{root}/sub/deeper/c.csv")]
        );
        assert_eq!(uris(&join(root, "sub/.h")), [format!("{root}/sub/.hidden")]);
        assert!(uris(&join(root, "nope")).is_empty());
        assert!(uris(&join(root, "no/such/folder/x")).is_empty());
    }

    #[cfg(not(feature = "s3"))]
    #[test]
    fn s3_without_the_feature_is_unsupported_and_names_it() {
        let errors = [
            Input::open("s3://b/k.csv").unwrap_err(),
            Output::create("s3://b/k.csv", false).unwrap_err(),
            list("s3://b/p/").unwrap_err(),
            exists("s3://b/k").unwrap_err(),
        ];
        for e in errors {
            assert!(
                matches!(e.kind(), crate::ErrorKind::Unsupported(_)),
                "{e:?}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains("`s3` cargo feature") && msg.contains("s3://b/"),
                "{msg}"
            );
        }
    }
}
