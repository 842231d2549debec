//! S3 through aws-sdk-s3 on a private tokio runtime: ranged parallel
//! reads, multipart uploads with concurrent parts and abort on failure,
//! paginated listing. Everything here is called synchronously; see the
//! parent module's docs for the behaviour.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use super::{Input, ObjectInfo, S3Config, S3Url, current_config};
use crate::error::{Error, ErrorKind, Result};

/// S3's smallest part (all but the last part of an upload).
const MIN_PART: usize = 5 << 20;
/// S3's largest part.
const MAX_PART: usize = 5 << 30;
/// S3's largest part number.
const MAX_PARTS: i32 = 10_000;

/// The runtime every S3 request runs on, created on first use.
fn runtime() -> Result<&'static Runtime> {
    static RT: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(
                std::thread::available_parallelism()
                    .map_or(2, |n| n.get())
                    .clamp(2, 4),
            )
            .thread_name("sm-data-s3")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| {
        Error::new(ErrorKind::Internal(format!(
            "cannot start the S3 runtime: {e}"
        )))
    })
}

/// Runs `fut` to completion on the store's runtime.
fn block_on<F: Future>(fut: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(fut))
}

/// A client and the configuration it was built from.
pub(super) struct Shared {
    client: Client,
    cfg: S3Config,
    attempts: u32,
}

/// The client for the current configuration, built once per
/// [`configure`](super::configure) call.
fn shared() -> Result<Arc<Shared>> {
    static CLIENT: Mutex<Option<(u64, Arc<Shared>)>> = Mutex::new(None);
    let (generation, cfg) = current_config();
    let mut slot = CLIENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((g, shared)) = slot.as_ref()
        && *g == generation
    {
        return Ok(shared.clone());
    }
    let shared = Arc::new(block_on(build(cfg))?);
    *slot = Some((generation, shared.clone()));
    Ok(shared)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

async fn build(cfg: S3Config) -> Shared {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &cfg.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some((id, secret)) = &cfg.credentials {
        loader = loader.credentials_provider(Credentials::new(
            id.clone(),
            secret.clone(),
            None,
            None,
            "sm-data",
        ));
    }
    let sdk = loader.load().await;
    let mut b = aws_sdk_s3::config::Builder::from(&sdk);
    let endpoint = cfg
        .endpoint_url
        .clone()
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env("AWS_ENDPOINT_URL"));
    if let Some(endpoint) = endpoint {
        b = b.endpoint_url(endpoint).force_path_style(true);
    }
    if sdk.region().is_none() {
        b = b.region(Region::new("us-east-1"));
    }
    let attempts = cfg
        .max_attempts
        .or_else(|| env("AWS_MAX_ATTEMPTS").and_then(|v| v.trim().parse().ok()))
        .unwrap_or(5)
        .max(1);
    b = b.retry_config(
        RetryConfig::standard()
            .with_max_attempts(attempts)
            .with_initial_backoff(cfg.initial_backoff)
            .with_max_backoff(Duration::from_secs(20)),
    );
    Shared {
        client: Client::from_conf(b.build()),
        cfg,
        attempts,
    }
}

/// An error and its causes, joined by ": " (without the debug dump that
/// `DisplayErrorContext` appends).
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

/// An S3 error naming the URI, the operation and the S3 error code.
fn s3_error<E>(uri: &str, operation: &'static str, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, message) = match &err {
        SdkError::ServiceError(_) => {
            let code = err.code().map(str::to_owned).unwrap_or_else(|| {
                // HEAD responses have no body, so no code: name the status.
                match status {
                    Some(404) => "NotFound".into(),
                    Some(403) => "Forbidden".into(),
                    Some(412) => "PreconditionFailed".into(),
                    Some(s) => format!("HTTP{s}"),
                    None => "ServiceError".into(),
                }
            });
            let message = err
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| match status {
                    Some(503) => "HTTP status 503: the service is unavailable or throttling".into(),
                    Some(s) => format!("HTTP status {s}"),
                    None => causes(&err),
                });
            (code, message)
        }
        SdkError::DispatchFailure(_) => (
            "DispatchFailure".to_string(),
            format!("could not reach the S3 endpoint: {}", causes(&err)),
        ),
        SdkError::TimeoutError(_) => ("Timeout".to_string(), causes(&err)),
        SdkError::ResponseError(_) => ("ResponseError".to_string(), causes(&err)),
        _ => ("ClientError".to_string(), causes(&err)),
    };
    Error::new(ErrorKind::S3 {
        operation,
        code,
        message,
    })
    .in_file(uri)
}

fn is_not_found(e: &Error) -> bool {
    matches!(e.s3_code(), Some("NotFound" | "NoSuchKey"))
}

/// HeadObject: size and ETag. HEAD responses have no body, so a 404 or
/// 403 carries no S3 error code; a second request finds it: ListObjectsV2 tells `NoSuchBucket` from `NoSuchKey`, a one-byte GET
/// names the cause of a 403 (`AccessDenied`, `SignatureDoesNotMatch`,
/// `InvalidAccessKeyId`).
async fn head(shared: &Shared, url: &S3Url, uri: &str) -> Result<(u64, Option<String>)> {
    let r = shared
        .client
        .head_object()
        .bucket(&url.bucket)
        .key(&url.key)
        .send()
        .await;
    let err = match r {
        Ok(out) => {
            return Ok((
                out.content_length().unwrap_or(0).max(0) as u64,
                out.e_tag().map(str::to_owned),
            ));
        }
        Err(err) => s3_error(uri, "HeadObject", err),
    };
    match err.s3_code() {
        Some("NotFound") => {
            let probe = shared
                .client
                .list_objects_v2()
                .bucket(&url.bucket)
                .prefix(&url.key)
                .max_keys(1)
                .send()
                .await;
            match probe {
                Err(e) if e.code() == Some("NoSuchBucket") => {
                    Err(s3_error(uri, "ListObjectsV2", e))
                }
                _ => Err(Error::new(ErrorKind::S3 {
                    operation: "HeadObject",
                    code: "NoSuchKey".into(),
                    message: "The specified key does not exist.".into(),
                })
                .in_file(uri)),
            }
        }
        Some("Forbidden") => {
            let probe = shared
                .client
                .get_object()
                .bucket(&url.bucket)
                .key(&url.key)
                .range("bytes=0-0")
                .send()
                .await;
            match probe {
                Err(e @ SdkError::ServiceError(_)) if e.code().is_some() => {
                    Err(s3_error(uri, "GetObject", e))
                }
                _ => Err(err),
            }
        }
        _ => Err(err),
    }
}

/// Opens an object as a stream of ranged GETs.
pub(super) fn open(url: &S3Url) -> Result<Input> {
    let (reader, size) = open_raw(url)?;
    Input::from_reader(reader, &url.to_string(), Some(size))
}

/// The object's stored bytes as a stream of ranged GETs, and its size.
pub(super) fn open_raw(url: &S3Url) -> Result<(Box<dyn std::io::Read + Send>, u64)> {
    let shared = shared()?;
    let uri = url.to_string();
    let (size, etag) = block_on(head(&shared, url, &uri))??;
    let reader = RangeReader {
        part: shared.cfg.part_size.max(1) as u64,
        window: VecDeque::new(),
        depth: shared.cfg.concurrency.max(1),
        shared,
        bucket: url.bucket.clone(),
        key: url.key.clone(),
        uri: uri.clone(),
        size,
        etag,
        next: 0,
        cur: Bytes::new(),
        pos: 0,
    };
    Ok((Box::new(reader), size))
}

/// Reads an object in order through a window of parallel ranged GETs.
struct RangeReader {
    shared: Arc<Shared>,
    bucket: String,
    key: String,
    uri: String,
    size: u64,
    etag: Option<String>,
    /// Range length.
    part: u64,
    /// Ranges in flight at most.
    depth: usize,
    /// Offset of the next range to request.
    next: u64,
    /// Ranges requested, oldest first.
    window: VecDeque<JoinHandle<Result<Bytes>>>,
    /// The range being handed out, and the position in it.
    cur: Bytes,
    pos: usize,
}

impl RangeReader {
    /// Requests ranges until the window is full or the object is covered.
    fn fill(&mut self) -> Result<()> {
        let rt = runtime()?;
        while self.window.len() < self.depth && self.next < self.size {
            let start = self.next;
            let end = (start + self.part).min(self.size);
            self.next = end;
            let shared = self.shared.clone();
            let (bucket, key, uri, etag) = (
                self.bucket.clone(),
                self.key.clone(),
                self.uri.clone(),
                self.etag.clone(),
            );
            self.window.push_back(rt.spawn(async move {
                get_range(&shared, &bucket, &key, &uri, etag, start, end).await
            }));
        }
        Ok(())
    }

    fn next_range(&mut self) -> Result<bool> {
        self.fill()?;
        let Some(handle) = self.window.pop_front() else {
            return Ok(false);
        };
        self.cur = block_on(handle)?.map_err(|e| {
            Error::new(ErrorKind::Internal(format!("S3 read task failed: {e}"))).in_file(&self.uri)
        })??;
        self.pos = 0;
        self.fill()?;
        Ok(true)
    }
}

impl Read for RangeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.cur.len() {
                let n = out.len().min(self.cur.len() - self.pos);
                out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if out.is_empty() || !self.next_range()? {
                return Ok(0);
            }
        }
    }
}

impl Drop for RangeReader {
    fn drop(&mut self) {
        for handle in self.window.drain(..) {
            handle.abort();
        }
    }
}

/// GETs `[start, end)`. The SDK retries failed requests; a body that
/// breaks off while streaming is fetched again here.
async fn get_range(
    shared: &Shared,
    bucket: &str,
    key: &str,
    uri: &str,
    etag: Option<String>,
    start: u64,
    end: u64,
) -> Result<Bytes> {
    let mut attempt = 1;
    loop {
        let out = shared
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .range(format!("bytes={start}-{}", end - 1))
            .set_if_match(etag.clone())
            .send()
            .await
            .map_err(|e| s3_error(uri, "GetObject", e).at_byte(start))?;
        match out.body.collect().await {
            Ok(body) => {
                let body = body.into_bytes();
                if body.len() as u64 != end - start {
                    return Err(Error::new(ErrorKind::S3 {
                        operation: "GetObject",
                        code: "ShortRange".into(),
                        message: format!(
                            "asked for bytes {start}..{end} and got {} bytes; the object changed while it was read",
                            body.len()
                        ),
                    })
                    .in_file(uri)
                    .at_byte(start));
                }
                return Ok(body);
            }
            Err(e) if attempt < shared.attempts => {
                attempt += 1;
                let _ = e;
                tokio::time::sleep(shared.cfg.initial_backoff * attempt).await;
            }
            Err(e) => {
                return Err(Error::new(ErrorKind::S3 {
                    operation: "GetObject",
                    code: "ResponseError".into(),
                    message: format!(
                        "the body broke off after {attempt} attempts: {}",
                        causes(&e)
                    ),
                })
                .in_file(uri)
                .at_byte(start));
            }
        }
    }
}

/// Whether the object exists (HeadObject).
pub(super) fn exists(url: &S3Url) -> Result<bool> {
    let shared = shared()?;
    let uri = url.to_string();
    match block_on(head(&shared, url, &uri))? {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Every object under the prefix (ListObjectsV2, all pages).
pub(super) fn list(url: &S3Url) -> Result<Vec<ObjectInfo>> {
    let shared = shared()?;
    let uri = url.to_string();
    block_on(async {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = shared
                .client
                .list_objects_v2()
                .bucket(&url.bucket)
                .prefix(&url.key)
                .set_max_keys(shared.cfg.list_page_size)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| s3_error(&uri, "ListObjectsV2", e))?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    out.push(ObjectInfo {
                        uri: format!("s3://{}/{key}", url.bucket),
                        size: object.size().unwrap_or(0).max(0) as u64,
                    });
                }
            }
            token = page.next_continuation_token().map(str::to_owned);
            if page.is_truncated() != Some(true) || token.is_none() {
                return Ok(out);
            }
        }
    })?
}

/// Part `n` (1-based): the configured size, doubled every 1000 parts.
fn part_size(base: usize, n: i32) -> usize {
    let doublings = ((n.max(1) - 1) / 1000) as u32;
    base.clamp(MIN_PART, MAX_PART)
        .saturating_mul(1 << doublings)
        .min(MAX_PART)
}

/// An object being written: one buffered part, then a multipart upload
/// with bounded concurrent parts. See the parent module's docs.
pub(super) struct Upload {
    shared: Arc<Shared>,
    bucket: String,
    key: String,
    uri: String,
    overwrite: bool,
    buf: Vec<u8>,
    /// Size of the part being filled.
    target: usize,
    upload_id: Option<String>,
    /// Number of the part being filled.
    part_number: i32,
    in_flight: VecDeque<JoinHandle<Result<CompletedPart>>>,
    parts: Vec<CompletedPart>,
    /// Completed, aborted or failed: nothing is left to clean up.
    closed: bool,
}

impl Upload {
    /// Starts writing `url`; an existing object is refused unless
    /// `overwrite`.
    pub(super) fn create(url: &S3Url, overwrite: bool) -> Result<Upload> {
        let shared = shared()?;
        let uri = url.to_string();
        // Also finds a missing bucket or bad credentials before any data
        // is produced. Without s3:ListBucket permission S3 answers
        // AccessDenied for a missing key: then the conditional final
        // request (If-None-Match: *) is what keeps an existing object.
        match block_on(head(&shared, url, &uri))? {
            Ok(_) if !overwrite => return Err(already_exists(&uri)),
            Ok(_) => {}
            Err(e) if is_not_found(&e) || e.s3_code() == Some("AccessDenied") => {}
            Err(e) => return Err(e),
        }
        Ok(Upload {
            target: part_size(shared.cfg.part_size, 1),
            shared,
            bucket: url.bucket.clone(),
            key: url.key.clone(),
            uri,
            overwrite,
            buf: Vec::new(),
            upload_id: None,
            part_number: 1,
            in_flight: VecDeque::new(),
            parts: Vec::new(),
            closed: false,
        })
    }

    /// Appends `data`, sending each part as it fills.
    pub(super) fn write_bytes(&mut self, mut data: &[u8]) -> Result<()> {
        if self.closed {
            return Err(Error::config(format!(
                "{}: the upload already failed or finished",
                self.uri
            )));
        }
        while !data.is_empty() {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(self.target);
            }
            let n = (self.target - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.buf.len() == self.target {
                self.send_part()?;
            }
        }
        Ok(())
    }

    /// Uploads the buffer as the next part (starting the multipart upload
    /// if needed) and waits while too many parts are in flight.
    fn send_part(&mut self) -> Result<()> {
        if let Err(e) = self.try_send_part() {
            return Err(self.fail(e));
        }
        Ok(())
    }

    fn try_send_part(&mut self) -> Result<()> {
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let out = block_on(
                    self.shared
                        .client
                        .create_multipart_upload()
                        .bucket(&self.bucket)
                        .key(&self.key)
                        .checksum_algorithm(ChecksumAlgorithm::Crc32)
                        .send(),
                )?
                .map_err(|e| s3_error(&self.uri, "CreateMultipartUpload", e))?;
                let id = out.upload_id().map(str::to_owned).ok_or_else(|| {
                    Error::new(ErrorKind::S3 {
                        operation: "CreateMultipartUpload",
                        code: "NoUploadId".into(),
                        message: "the response has no upload id".into(),
                    })
                    .in_file(&self.uri)
                })?;
                self.upload_id = Some(id.clone());
                id
            }
        };
        let number = self.part_number;
        if number > MAX_PARTS {
            return Err(Error::unsupported(format!(
                "{}: more than {MAX_PARTS} parts; raise the part size",
                self.uri
            )));
        }
        self.part_number += 1;
        self.target = part_size(self.shared.cfg.part_size, self.part_number);
        // At most `concurrency` parts in flight (and in memory, besides
        // the one being filled): wait for the oldest first.
        while self.in_flight.len() >= self.shared.cfg.concurrency.max(1) {
            let handle = self.in_flight.pop_front().expect("not empty");
            self.parts.push(join(handle, &self.uri)?);
        }
        let body = std::mem::take(&mut self.buf);
        let shared = self.shared.clone();
        let (bucket, key, uri) = (self.bucket.clone(), self.key.clone(), self.uri.clone());
        self.in_flight.push_back(runtime()?.spawn(async move {
            let out = shared
                .client
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| s3_error(&uri, "UploadPart", e))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(str::to_owned))
                .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                .build())
        }));
        // Collect the parts that are done, so that errors show early.
        while self.in_flight.front().is_some_and(|h| h.is_finished()) {
            let handle = self.in_flight.pop_front().expect("front exists");
            self.parts.push(join(handle, &self.uri)?);
        }
        Ok(())
    }

    /// Finishes the object: one PutObject when it fits in one part, else
    /// the last part and CompleteMultipartUpload. Consumes the upload;
    /// any failure aborts it.
    pub(super) fn complete(mut self) -> Result<()> {
        if self.closed {
            return Err(Error::config(format!(
                "{}: the upload already failed or finished",
                self.uri
            )));
        }
        if self.upload_id.is_none() {
            let body = std::mem::take(&mut self.buf);
            let mut put = self
                .shared
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .body(ByteStream::from(body));
            if !self.overwrite {
                put = put.if_none_match("*");
            }
            self.closed = true;
            return match block_on(put.send())? {
                Ok(_) => Ok(()),
                Err(e) => Err(self.refused_or(s3_error(&self.uri, "PutObject", e))),
            };
        }
        if !self.buf.is_empty() {
            self.send_part()?;
        }
        let result = self.finish_multipart();
        match result {
            Ok(()) => {
                self.closed = true;
                Ok(())
            }
            Err(e) => {
                let e = self.refused_or(e);
                Err(self.fail(e))
            }
        }
    }

    fn finish_multipart(&mut self) -> Result<()> {
        while let Some(handle) = self.in_flight.pop_front() {
            self.parts.push(join(handle, &self.uri)?);
        }
        let mut parts = std::mem::take(&mut self.parts);
        parts.sort_by_key(|p| p.part_number());
        let mut complete = self
            .shared
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(self.upload_id.clone().expect("multipart upload started"))
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        if !self.overwrite {
            complete = complete.if_none_match("*");
        }
        block_on(complete.send())?
            .map_err(|e| s3_error(&self.uri, "CompleteMultipartUpload", e))?;
        Ok(())
    }

    /// `PreconditionFailed` from `If-None-Match: *` means someone else
    /// created the object meanwhile.
    fn refused_or(&self, e: Error) -> Error {
        if e.s3_code() == Some("PreconditionFailed") {
            return already_exists(&self.uri);
        }
        e
    }

    /// Waits for the parts in flight, aborts the multipart upload and
    /// returns the error to report: `e`, or an error saying that the
    /// upload could not be aborted.
    fn fail(&mut self, e: Error) -> Error {
        self.closed = true;
        match self.abort() {
            Ok(()) => e,
            Err(abort) => {
                let id = self.upload_id.as_deref().unwrap_or("?");
                Error::new(ErrorKind::S3 {
                    operation: "AbortMultipartUpload",
                    code: abort.s3_code().unwrap_or("Unknown").to_string(),
                    message: format!(
                        "the upload failed ({e}) and aborting it failed too ({abort}); \
                         its parts stay stored (and billed) until removed: \
                         aws s3api abort-multipart-upload --bucket {} --key {} --upload-id {id}",
                        self.bucket, self.key
                    ),
                })
                .in_file(&self.uri)
            }
        }
    }

    /// Aborts the multipart upload, if one was started, after the parts in
    /// flight have finished (S3 may keep a part that lands after the
    /// abort). The abort is tried three times, each with the SDK's retries.
    fn abort(&mut self) -> Result<()> {
        self.buf = Vec::new();
        while let Some(handle) = self.in_flight.pop_front() {
            let _ = block_on(handle);
        }
        let Some(id) = self.upload_id.clone() else {
            return Ok(());
        };
        let mut last = None;
        for round in 0..3u32 {
            if round > 0 {
                std::thread::sleep(Duration::from_secs(u64::from(round)));
            }
            let r = block_on(
                self.shared
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .upload_id(&id)
                    .send(),
            )?;
            match r {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let e = s3_error(&self.uri, "AbortMultipartUpload", e);
                    // Already gone: completed or aborted by someone else.
                    if e.s3_code() == Some("NoSuchUpload") {
                        return Ok(());
                    }
                    last = Some(e);
                }
            }
        }
        Err(last.expect("three attempts"))
    }
}

/// The result of a part-upload task.
fn join(handle: JoinHandle<Result<CompletedPart>>, uri: &str) -> Result<CompletedPart> {
    block_on(handle)?.map_err(|e| {
        Error::new(ErrorKind::Internal(format!("S3 upload task failed: {e}"))).in_file(uri)
    })?
}

fn already_exists(uri: &str) -> Error {
    Error::config(format!(
        "{uri} already exists; pass --force to overwrite it"
    ))
}

impl io::Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_bytes(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.closed {
            self.closed = true;
            let _ = self.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_so_ten_thousand_reach_five_tib() {
        assert_eq!(part_size(8 << 20, 1), 8 << 20);
        assert_eq!(part_size(8 << 20, 1000), 8 << 20);
        assert_eq!(part_size(8 << 20, 1001), 16 << 20);
        assert_eq!(part_size(1, 1), MIN_PART);
        assert_eq!(part_size(8 << 20, MAX_PARTS), MAX_PART.min((8 << 20) << 9));
        let total: u64 = (1..=MAX_PARTS).map(|n| part_size(8 << 20, n) as u64).sum();
        assert!(total >= 5 << 40, "{total}");
    }
}
