//! `s3://` paths against a real S3-compatible server: s3s-fs 0.14.1 (the
//! `s3s-fs` crate, files under a temporary folder), run inside this test
//! binary on 127.0.0.1 behind a small HTTP wrapper that logs every request
//! and can make the server go away. The requests are real HTTP with SigV4
//! signatures that the server checks.
//!
//! One server is shared by the tests of this binary, each test using its
//! own bucket; the fault test starts its own server. s3s-fs does not
//! implement ListMultipartUploads, so "no open multipart upload" is
//! checked where s3s-fs keeps uploads: `.upload-<id>.json`,
//! `.upload_id-<id>.part-<n>` and `...upload-<id>.metadata.json` files in
//! its root folder, which AbortMultipartUpload and CompleteMultipartUpload
//! delete.

use std::future::Future;
use std::io::{Read, Write};
use std::path::Path;
use std::pin::Pin;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use sm_data::convert::{ConvertOptions, convert_path};
use sm_data::store::{self, Input, ObjectInfo, Output as StoreOutput, S3Config};

use super::util::{Rng, dense_csv, read_testdata, stderr, testdata};

pub(crate) const KEY_ID: &str = "test";
pub(crate) const SECRET: &str = "testtest";
pub(crate) const MIB: usize = 1 << 20;
/// The part size the tests configure: S3's smallest.
pub(crate) const PART: usize = 5 * MIB;

/// One request as the server saw it, and the status it answered (0 when
/// the connection was dropped instead).
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) range: Option<String>,
    pub(crate) status: u16,
}

/// What the server does with the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Serves every request.
    Up,
    /// Serves, and goes away after the first successful UploadPart.
    GoAwayAfterFirstPart,
    /// Away: drops every connection without an answer, until it has
    /// dropped one AbortMultipartUpload; then it is back up.
    Away,
    /// Serves, and goes away for good after the first successful
    /// UploadPart.
    GoneAfterFirstPart,
    /// Drops every connection.
    Gone,
}

#[derive(Clone)]
struct Wrapper {
    inner: s3s::service::S3Service,
    log: Arc<Mutex<Vec<Req>>>,
    mode: Arc<Mutex<Mode>>,
    /// How many of the next requests to bucket `throttled` are answered
    /// 503 SlowDown, as S3 does when throttling.
    slow_down: Arc<Mutex<u32>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for Wrapper {
    type Response = s3s::HttpResponse;
    type Error = s3s::HttpError;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn call(&self, req: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        let mut entry = Req {
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            query: req.uri().query().unwrap_or("").to_string(),
            range: req
                .headers()
                .get("range")
                .map(|v| v.to_str().unwrap_or("?").to_string()),
            status: 0,
        };
        let is_part = entry.method == "PUT" && entry.query.contains("partNumber=");
        let is_abort = entry.method == "DELETE" && entry.query.contains("uploadId=");
        let (log, mode) = (self.log.clone(), self.mode.clone());
        {
            let mut m = mode.lock().unwrap();
            if *m == Mode::Away || *m == Mode::Gone {
                if is_abort && *m == Mode::Away {
                    *m = Mode::Up;
                }
                log.lock().unwrap().push(entry);
                return Box::pin(async {
                    Err(s3s::HttpError::new(Box::new(std::io::Error::other(
                        "the server went away",
                    ))))
                });
            }
        }
        if entry.path.starts_with("/throttled/") {
            let mut n = self.slow_down.lock().unwrap();
            if *n > 0 {
                *n -= 1;
                entry.status = 503;
                log.lock().unwrap().push(entry);
                let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>\
                            <Message>Please reduce your request rate.</Message></Error>";
                let res = hyper::Response::builder()
                    .status(503)
                    .header("content-type", "application/xml")
                    .body(s3s::Body::from(body.to_string()))
                    .unwrap();
                return Box::pin(async { Ok(res) });
            }
        }
        let fut = hyper::service::Service::call(&self.inner, req);
        Box::pin(async move {
            let res = fut.await;
            entry.status = res.as_ref().map_or(0, |r| r.status().as_u16());
            if is_part && entry.status == 200 {
                let mut m = mode.lock().unwrap();
                match *m {
                    Mode::GoAwayAfterFirstPart => *m = Mode::Away,
                    Mode::GoneAfterFirstPart => *m = Mode::Gone,
                    _ => {}
                }
            }
            log.lock().unwrap().push(entry);
            res
        })
    }
}

/// Bucket policy of the test server: signed requests may do anything,
/// except with the bucket named `forbidden` (AccessDenied).
struct DenyBucket;

#[async_trait::async_trait]
impl s3s::access::S3Access for DenyBucket {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        let bucket = match cx.s3_path() {
            s3s::path::S3Path::Bucket { bucket } | s3s::path::S3Path::Object { bucket, .. } => {
                Some(&**bucket)
            }
            s3s::path::S3Path::Root => None,
        };
        if cx.credentials().is_none() || bucket == Some("forbidden") {
            return Err(s3s::S3Error::with_message(
                s3s::S3ErrorCode::AccessDenied,
                "Access Denied",
            ));
        }
        Ok(())
    }
}

/// An in-process s3s-fs server on an ephemeral port.
pub(crate) struct Server {
    pub(crate) endpoint: String,
    pub(crate) root: tempfile::TempDir,
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) log: Arc<Mutex<Vec<Req>>>,
    pub(crate) mode: Arc<Mutex<Mode>>,
    slow_down: Arc<Mutex<u32>>,
    pub(crate) client: aws_sdk_s3::Client,
}

impl Server {
    pub(crate) fn start(mode: Mode) -> Server {
        let root = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut b = s3s::service::S3ServiceBuilder::new(fs);
        b.set_auth(s3s::auth::SimpleAuth::from_single(KEY_ID, SECRET));
        b.set_access(DenyBucket);
        let log = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(mode));
        let slow_down = Arc::new(Mutex::new(0));
        let service = Wrapper {
            inner: b.build(),
            log: log.clone(),
            mode: mode.clone(),
            slow_down: slow_down.clone(),
        };
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        rt.spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(socket);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .force_path_style(true)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(KEY_ID, SECRET, None, None, "test"))
            .build();
        Server {
            endpoint,
            root,
            rt,
            log,
            mode,
            slow_down,
            client: aws_sdk_s3::Client::from_conf(config),
        }
    }

    pub(crate) fn bucket(&self, name: &str) {
        self.rt
            .block_on(self.client.create_bucket().bucket(name).send())
            .unwrap();
    }

    pub(crate) fn put(&self, bucket: &str, key: &str, bytes: &[u8]) {
        self.rt
            .block_on(
                self.client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(ByteStream::from(bytes.to_vec()))
                    .send(),
            )
            .unwrap();
    }

    /// The object's bytes, or `None` when it does not exist.
    pub(crate) fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let r = self
            .rt
            .block_on(self.client.get_object().bucket(bucket).key(key).send());
        match r {
            Ok(out) => Some(
                self.rt
                    .block_on(out.body.collect())
                    .unwrap()
                    .into_bytes()
                    .to_vec(),
            ),
            Err(e) => {
                let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e);
                assert_eq!(code, Some("NoSuchKey"), "{e:?}");
                None
            }
        }
    }

    pub(crate) fn etag(&self, bucket: &str, key: &str) -> String {
        let out = self
            .rt
            .block_on(self.client.head_object().bucket(bucket).key(key).send())
            .unwrap();
        out.e_tag().unwrap().trim_matches('"').to_string()
    }

    /// Requests for `/bucket/key`.
    pub(crate) fn requests(&self, bucket: &str, key: &str) -> Vec<Req> {
        let path = format!("/{bucket}/{key}");
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Files of the server's root that belong to a multipart upload still
    /// open: all of them, or those of the given upload ids.
    pub(crate) fn open_upload_files(&self, ids: Option<&[String]>) -> Vec<String> {
        std::fs::read_dir(self.root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".upload"))
            .filter(|n| ids.is_none_or(|ids| ids.iter().any(|id| n.contains(id.as_str()))))
            .collect()
    }

    /// Runs the real binary against this server, with credentials in the
    /// environment (the standard chain) and no other AWS configuration.
    pub(crate) fn sm_data(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sm-data"));
        cmd.args(args)
            .args(["--endpoint-url", &self.endpoint])
            .current_dir(dir);
        for var in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
            "AWS_MAX_ATTEMPTS",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.join("no-aws-credentials"),
            );
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run sm-data")
    }
}

/// Upload ids seen in requests for `/bucket/key`.
pub(crate) fn upload_ids(reqs: &[Req]) -> Vec<String> {
    let mut ids: Vec<String> = reqs
        .iter()
        .filter_map(|r| {
            r.query
                .split('&')
                .find_map(|kv| kv.strip_prefix("uploadId="))
                .map(str::to_owned)
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The shared server; the library is configured to use it (5 MiB parts,
/// two keys per listing page, quick retries).
pub(crate) fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let s = Server::start(Mode::Up);
        store::configure(S3Config {
            endpoint_url: Some(s.endpoint.clone()),
            region: Some("us-east-1".into()),
            credentials: Some((KEY_ID.into(), SECRET.into())),
            part_size: PART,
            concurrency: 3,
            max_attempts: Some(3),
            initial_backoff: Duration::from_millis(20),
            list_page_size: Some(2),
        });
        s
    })
}

/// Deterministic bytes that no format sniffs as text.
pub(crate) fn blob(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        v.extend_from_slice(&rng.next().to_le_bytes());
    }
    v.truncate(len);
    v
}

/// All bytes of an input, whichever kind it is.
pub(crate) fn read_all(input: Input) -> Vec<u8> {
    match input {
        Input::Mapped { map, .. } => map.to_vec(),
        Input::Stream {
            mut reader, head, ..
        } => {
            let mut v = head;
            reader.read_to_end(&mut v).unwrap();
            v
        }
    }
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn convert_round_trips_through_s3_in_both_directions() {
    let s = server();
    s.bucket("roundtrip");
    let dir = tempfile::tempdir().unwrap();
    let src = testdata("csv/dense.csv");
    let src = src.to_str().unwrap();
    // Local CSV -> S3 RecordIO-protobuf: the SDK's bytes.
    let o = s.sm_data(
        dir.path(),
        &["convert", src, "s3://roundtrip/train/data.pbr"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("s3://roundtrip/train/data.pbr 6 records"));
    assert_eq!(
        s.get("roundtrip", "train/data.pbr").unwrap(),
        read_testdata("recordio-protobuf/dense_f32_label.pbr")
    );
    // count and inspect read S3.
    let o = s.sm_data(dir.path(), &["count", "s3://roundtrip/train/data.pbr"], &[]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "6\n", "{}", stderr(&o));
    let o = s.sm_data(
        dir.path(),
        &["inspect", "s3://roundtrip/train/data.pbr", "--json"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["records"], 6);
    assert_eq!(report["format"], "recordio-protobuf");
    assert_eq!(report["file"], "s3://roundtrip/train/data.pbr");
    // S3 -> S3, then S3 -> local CSV: the original bytes.
    let o = s.sm_data(
        dir.path(),
        &[
            "convert",
            "s3://roundtrip/train/data.pbr",
            "s3://roundtrip/copy/data.libsvm",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.sm_data(
        dir.path(),
        &[
            "convert",
            "s3://roundtrip/copy/data.libsvm",
            "back.csv",
            "--num-features",
            "5",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let local = sm_data_local(dir.path(), src, "direct.csv");
    assert_eq!(std::fs::read(dir.path().join("back.csv")).unwrap(), local);
    assert_eq!(local, read_testdata("csv/dense.csv"));
}

/// csv -> libsvm -> csv without S3, for comparison.
fn sm_data_local(dir: &Path, src: &str, out: &str) -> Vec<u8> {
    let o = super::util::sm_data(dir, &["convert", src, "direct.libsvm", "-f"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = super::util::sm_data(
        dir,
        &["convert", "direct.libsvm", out, "-f", "--num-features", "5"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read(dir.join(out)).unwrap()
}

#[test]
fn large_objects_use_multipart_upload_and_parallel_ranged_reads() {
    let s = server();
    s.bucket("large");
    let data = blob(2 * PART + PART / 2 + 12_345, 7);
    let mut out = StoreOutput::create("s3://large/blob.bin", false).unwrap();
    // Odd write sizes, so parts are cut across writes.
    for chunk in data.chunks(1_000_003) {
        out.write_all(chunk).unwrap();
    }
    out.commit().unwrap();
    let reqs = s.requests("large", "blob.bin");
    let ok = |m: &str, q: &str| {
        reqs.iter()
            .filter(|r| r.method == m && r.query.contains(q) && r.status / 100 == 2)
            .count()
    };
    assert_eq!(ok("POST", "uploads"), 1, "CreateMultipartUpload: {reqs:#?}");
    assert_eq!(ok("PUT", "partNumber="), 3, "UploadPart: {reqs:#?}");
    assert_eq!(ok("POST", "uploadId="), 1, "CompleteMultipartUpload");
    // The server assembled three parts: a multipart ETag "<md5>-3".
    assert!(s.etag("large", "blob.bin").ends_with("-3"));
    assert_eq!(s.get("large", "blob.bin").unwrap(), data);
    assert!(s.open_upload_files(Some(&upload_ids(&reqs))).is_empty());

    // Reading back: one ranged GET per part, the bytes in order.
    let input = Input::open("s3://large/blob.bin").unwrap();
    assert_eq!(input.size(), Some(data.len() as u64));
    assert!(!input.is_mapped());
    assert_eq!(read_all(input), data);
    let ranges: Vec<String> = s
        .requests("large", "blob.bin")
        .into_iter()
        .filter(|r| r.method == "GET" && r.status == 206)
        .filter_map(|r| r.range)
        .collect();
    let n = data.len();
    let want: Vec<String> = (0..n)
        .step_by(PART)
        .map(|a| format!("bytes={a}-{}", (a + PART).min(n) - 1))
        .collect();
    let mut got = ranges.clone();
    got.sort_by_key(|r| r[6..].split('-').next().unwrap().parse::<usize>().unwrap());
    assert_eq!(got, want);
}

#[test]
fn the_pipeline_streams_multi_part_objects_to_the_same_bytes_as_local_files() {
    let s = server();
    s.bucket("pipeline");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(99);
    let mut csv = String::new();
    while csv.len() < PART + MIB {
        csv.push_str(&dense_csv(&mut rng, 2000, 12));
    }
    let local_csv = dir.path().join("in.csv");
    std::fs::write(&local_csv, &csv).unwrap();
    let local_csv = local_csv.to_str().unwrap();
    let local_pbr = dir.path().join("out.pbr");
    let opts = ConvertOptions::default();
    let none = &mut |_, _| {};
    let a = convert_path(local_csv, local_pbr.to_str().unwrap(), false, &opts, none).unwrap();
    // Up through the library, S3 -> S3 conversion, down again.
    let b = convert_path(local_csv, "s3://pipeline/in.csv", false, &opts, none).unwrap();
    assert_eq!(b.bytes_out, csv.len() as u64);
    let c = convert_path(
        "s3://pipeline/in.csv",
        "s3://pipeline/out.pbr",
        false,
        &opts,
        none,
    )
    .unwrap();
    assert_eq!((a.records, a.bytes_out), (c.records, c.bytes_out));
    assert_eq!(
        s.get("pipeline", "out.pbr").unwrap(),
        std::fs::read(&local_pbr).unwrap()
    );
    let ranged = s
        .requests("pipeline", "in.csv")
        .iter()
        .filter(|r| r.method == "GET" && r.status == 206)
        .count();
    assert_eq!(ranged, 2);
}

#[test]
fn gzip_objects_are_detected_by_magic_and_gz_keys_are_compressed() {
    let s = server();
    s.bucket("gzip");
    let csv = read_testdata("csv/dense.csv");
    s.put("gzip", "train.csv.gz", &gzip(&csv));
    s.put("gzip", "no-extension", &gzip(&csv));
    let dir = tempfile::tempdir().unwrap();
    let o = s.sm_data(
        dir.path(),
        &["convert", "s3://gzip/train.csv.gz", "a.pbr"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.sm_data(
        dir.path(),
        &[
            "convert",
            "s3://gzip/no-extension",
            "b.pbr",
            "--from",
            "csv",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let golden = read_testdata("recordio-protobuf/dense_f32_label.pbr");
    assert_eq!(std::fs::read(dir.path().join("a.pbr")).unwrap(), golden);
    assert_eq!(std::fs::read(dir.path().join("b.pbr")).unwrap(), golden);
    // An output key ending in .gz is written compressed.
    let o = s.sm_data(
        dir.path(),
        &["convert", "a.pbr", "s3://gzip/out/back.csv.gz"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let stored = s.get("gzip", "out/back.csv.gz").unwrap();
    assert_eq!(stored[..2], sm_data::store::GZIP_MAGIC);
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(&stored[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, csv);
}

#[test]
fn listing_follows_pages_and_prefixes() {
    let s = server();
    s.bucket("listing");
    let names = [
        ("data/_SUCCESS", 0),
        ("data/part-0.csv", 10),
        ("data/part-1.csv", 11),
        ("data/sub/part-2.csv", 12),
        ("data/.hidden", 3),
        ("data2/other.csv", 4),
        ("elsewhere.csv", 5),
    ];
    for (key, len) in names {
        s.put("listing", key, &vec![b'1'; len]);
    }
    let want = |keys: &[&str]| -> Vec<ObjectInfo> {
        keys.iter()
            .map(|k| ObjectInfo {
                uri: format!("s3://listing/{k}"),
                size: names.iter().find(|(n, _)| n == k).unwrap().1 as u64,
            })
            .collect()
    };
    let before = s.log.lock().unwrap().len();
    let folder = store::list("s3://listing/data/").unwrap();
    assert_eq!(
        folder,
        want(&[
            "data/.hidden",
            "data/_SUCCESS",
            "data/part-0.csv",
            "data/part-1.csv",
            "data/sub/part-2.csv",
        ])
    );
    // Two keys per page: five objects take three ListObjectsV2 calls.
    let pages: Vec<Req> = s.log.lock().unwrap()[before..]
        .iter()
        .filter(|r| r.path == "/listing/" || r.path == "/listing")
        .filter(|r| r.query.contains("list-type=2") && r.query.contains("prefix=data%2F"))
        .cloned()
        .collect();
    assert_eq!(pages.len(), 3, "{pages:#?}");
    assert_eq!(
        pages
            .iter()
            .filter(|r| r.query.contains("continuation-token="))
            .count(),
        2
    );
    // A plain prefix matches as SageMaker's S3Prefix does.
    let prefix = store::list("s3://listing/data").unwrap();
    assert_eq!(prefix.len(), 6);
    assert_eq!(prefix.last().unwrap().uri, "s3://listing/data2/other.csv");
    assert_eq!(store::list("s3://listing").unwrap().len(), names.len());
    let data: Vec<&str> = folder
        .iter()
        .filter(|o| !store::is_hidden(&o.uri))
        .map(|o| o.uri.as_str())
        .collect();
    assert_eq!(
        data,
        [
            "s3://listing/data/part-0.csv",
            "s3://listing/data/part-1.csv",
            "s3://listing/data/sub/part-2.csv"
        ]
    );
    assert!(
        store::list("s3://listing/nothing-here/")
            .unwrap()
            .is_empty()
    );
    assert!(store::exists(&store::join("s3://listing/data", "part-0.csv")).unwrap());
    assert!(!store::exists("s3://listing/data/part-9.csv").unwrap());
    assert!(!store::exists("s3://listing/data/part").unwrap());
}

#[test]
fn existing_objects_are_kept_unless_forced() {
    let s = server();
    s.bucket("keep");
    s.put("keep", "out.pbr", b"precious");
    let dir = tempfile::tempdir().unwrap();
    let src = testdata("csv/dense.csv");
    let src = src.to_str().unwrap();
    let o = s.sm_data(dir.path(), &["convert", src, "s3://keep/out.pbr"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("s3://keep/out.pbr already exists; pass --force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(s.get("keep", "out.pbr").unwrap(), b"precious");
    let e = StoreOutput::create("s3://keep/out.pbr", false).unwrap_err();
    assert!(e.is_config(), "{e}");
    let o = s.sm_data(
        dir.path(),
        &["convert", src, "s3://keep/out.pbr", "--force"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        s.get("keep", "out.pbr").unwrap(),
        read_testdata("recordio-protobuf/dense_f32_label.pbr")
    );
    // Someone else creates the object after create() checked: the
    // conditional PutObject refuses to replace it.
    let mut out = StoreOutput::create("s3://keep/race.csv", false).unwrap();
    out.write_all(b"1,2\n").unwrap();
    s.put("keep", "race.csv", b"theirs");
    let e = out.commit().unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(s.get("keep", "race.csv").unwrap(), b"theirs");
}

#[test]
fn errors_name_the_uri_and_the_s3_error_code() {
    let s = server();
    s.bucket("errors");
    s.put("errors", "data.csv", b"1,2,3\n");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)], want: &[&str]| {
        let o = s.sm_data(dir.path(), args, env);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        for w in want {
            assert!(
                stderr(&o).contains(w),
                "{args:?}: want {w:?} in {}",
                stderr(&o)
            );
        }
    };
    run(
        &["count", "s3://errors/missing.csv"],
        &[],
        &["s3://errors/missing.csv", "NoSuchKey"],
    );
    run(
        &["count", "s3://no-such-bucket/data.csv"],
        &[],
        &["s3://no-such-bucket/data.csv", "NoSuchBucket"],
    );
    run(
        &["count", "s3://forbidden/data.csv"],
        &[],
        &["s3://forbidden/data.csv", "AccessDenied"],
    );
    run(
        &["convert", "s3://errors/data.csv", "s3://forbidden/out.csv"],
        &[],
        &["s3://forbidden/out.csv", "AccessDenied"],
    );
    run(
        &["count", "s3://errors/data.csv"],
        &[("AWS_SECRET_ACCESS_KEY", "wrong")],
        &["s3://errors/data.csv", "SignatureDoesNotMatch"],
    );
    run(
        &[
            "convert",
            "s3://errors/data.csv",
            "s3://no-such-bucket/out.pbr",
        ],
        &[],
        &["s3://no-such-bucket/out.pbr", "NoSuchBucket"],
    );
    // Nothing listens there: the retries end in a clear error.
    let o = Command::new(env!("CARGO_BIN_EXE_sm-data"))
        .args(["count", "s3://errors/data.csv", "--endpoint-url"])
        .arg(closed_port_endpoint())
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "2")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("s3://errors/data.csv") && stderr(&o).contains("DispatchFailure"),
        "{}",
        stderr(&o)
    );
    // A bad size is a usage error.
    let o = s.sm_data(
        dir.path(),
        &["count", "s3://errors/data.csv", "--s3-part-size", "lots"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("\"lots\""), "{}", stderr(&o));
    // The library error carries the code.
    let e = Input::open("s3://errors/nothing.csv").unwrap_err();
    assert_eq!(e.s3_code(), Some("NoSuchKey"));
    assert_eq!(
        e.position().file.as_deref(),
        Some("s3://errors/nothing.csv")
    );
}

/// An endpoint on 127.0.0.1 where nothing listens.
fn closed_port_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

#[test]
fn failed_or_abandoned_uploads_leave_no_object_and_no_upload() {
    let s = server();
    s.bucket("abandon");
    // Dropped without commit after two parts went up: aborted.
    let mut out = StoreOutput::create("s3://abandon/big.bin", false).unwrap();
    out.write_all(&blob(2 * PART + 1, 3)).unwrap();
    drop(out);
    let reqs = s.requests("abandon", "big.bin");
    assert!(
        reqs.iter()
            .any(|r| r.method == "PUT" && r.query.contains("partNumber=2") && r.status == 200),
        "{reqs:#?}"
    );
    assert!(
        reqs.iter()
            .any(|r| r.method == "DELETE" && r.query.contains("uploadId=") && r.status == 204),
        "no AbortMultipartUpload: {reqs:#?}"
    );
    assert_eq!(s.get("abandon", "big.bin"), None);
    let ids = upload_ids(&reqs);
    assert_eq!(ids.len(), 1);
    assert!(s.open_upload_files(Some(&ids)).is_empty());

    // Bad input after more than a part of good records (a RecordIO file
    // whose last frame is cut short): exit 1, nothing stored.
    let dir = tempfile::tempdir().unwrap();
    let mut bad = recordio_file(2 * PART);
    let good_len = bad.len();
    bad.extend_from_slice(&0xced7_230a_u32.to_le_bytes());
    bad.extend_from_slice(&1000u32.to_le_bytes());
    bad.extend_from_slice(&[7; 10]);
    std::fs::write(dir.path().join("bad.rec"), &bad).unwrap();
    let o = s.sm_data(
        dir.path(),
        &[
            "convert",
            "bad.rec",
            "s3://abandon/bad.rec",
            "--s3-part-size",
            "5MiB",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("byte offset {good_len}")),
        "{}",
        stderr(&o)
    );
    assert_eq!(s.get("abandon", "bad.rec"), None);
    let reqs = s.requests("abandon", "bad.rec");
    assert!(
        reqs.iter()
            .any(|r| r.method == "PUT" && r.query.contains("partNumber=1")),
        "a part was uploaded before the bad row: {reqs:#?}"
    );
    assert!(s.open_upload_files(Some(&upload_ids(&reqs))).is_empty());
}

#[test]
fn a_typed_table_whose_guess_fails_starts_its_upload_over() {
    // A column of ints for 400k rows, then a float: the one-pass guess
    // (the first chunk's types) fails at the end, after parts of the
    // first upload went up; that upload is aborted and the two passes
    // upload the object the local conversion writes.
    let s = server();
    s.bucket("typed");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = super::util::Rng(11);
    let mut csv = String::from("id,a,b,c\n");
    for i in 0..400_000u64 {
        let late = if i == 399_999 { ".5" } else { "" };
        csv += &format!(
            "{i}{late},{},{},{}\n",
            // Near-unique 60-bit ints: delta-encoded they still take
            // almost 8 bytes each, so the object spans several parts.
            rng.next() >> 4,
            rng.next() >> 4,
            rng.next() >> 4
        );
    }
    std::fs::write(dir.path().join("t.csv"), &csv).unwrap();
    let args = [
        "--typed",
        "--chunk-size",
        "1048576",
        "--row-group-size",
        "20000",
        "-q",
    ];
    let o = super::util::sm_data(
        dir.path(),
        &[&["convert", "t.csv", "local.parquet"][..], &args].concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.sm_data(
        dir.path(),
        &[
            &[
                "convert",
                "t.csv",
                "s3://typed/t.parquet",
                "--s3-part-size",
                "5MiB",
            ][..],
            &args,
        ]
        .concat(),
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let local = std::fs::read(dir.path().join("local.parquet")).unwrap();
    assert!(local.len() > 8 << 20, "{}", local.len());
    assert_eq!(s.get("typed", "t.parquet").unwrap(), local);
    let reqs = s.requests("typed", "t.parquet");
    let ids = upload_ids(&reqs);
    assert_eq!(ids.len(), 2, "{reqs:#?}");
    let aborted: Vec<&String> = ids
        .iter()
        .filter(|id| {
            reqs.iter()
                .any(|r| r.method == "DELETE" && r.query.contains(id.as_str()))
        })
        .collect();
    assert_eq!(aborted.len(), 1, "one upload aborted: {reqs:#?}");
    assert!(
        reqs.iter()
            .any(|r| r.method == "PUT" && r.query.contains(aborted[0].as_str()) && r.status == 200),
        "no part of the abandoned upload went up: {reqs:#?}"
    );
    assert!(s.open_upload_files(Some(&ids)).is_empty());
}

/// MXNet RecordIO frames (cflag 0) of opaque payloads, `len` bytes or a
/// little more; RecordIO to RecordIO copies frames without decoding them.
pub(crate) fn recordio_file(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 70_000);
    let mut seed = 1;
    while out.len() < len {
        let payload = blob(65_521, seed);
        seed += 1;
        out.extend_from_slice(&0xced7_230a_u32.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&payload);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    out
}

#[test]
fn the_server_going_away_mid_upload_leaves_no_object_and_no_upload() {
    // Its own server: it goes away after the first part is stored, drops
    // every connection until the client, having given up on the upload,
    // tries to abort it, and is back for the abort's next attempt.
    let s = Server::start(Mode::GoAwayAfterFirstPart);
    s.bucket("fault");
    let dir = tempfile::tempdir().unwrap();
    let data = recordio_file(3 * PART);
    std::fs::write(dir.path().join("big.rec"), &data).unwrap();
    let o = s.sm_data(
        dir.path(),
        &[
            "convert",
            "big.rec",
            "s3://fault/big.rec",
            "--s3-part-size",
            "5MiB",
            "--s3-concurrency",
            "1",
        ],
        &[("AWS_MAX_ATTEMPTS", "2")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("s3://fault/big.rec") && stderr(&o).contains("UploadPart"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        *s.mode.lock().unwrap(),
        Mode::Up,
        "the client never tried to abort"
    );
    let reqs = s.requests("fault", "big.rec");
    let count = |m: &str, q: &str, status: u16| {
        reqs.iter()
            .filter(|r| r.method == m && r.query.contains(q) && r.status == status)
            .count()
    };
    assert_eq!(count("PUT", "partNumber=1", 200), 1, "{reqs:#?}");
    assert!(
        count("PUT", "partNumber=2", 0) >= 2,
        "part 2 retried: {reqs:#?}"
    );
    assert_eq!(count("DELETE", "uploadId=", 0), 1, "{reqs:#?}");
    assert_eq!(count("DELETE", "uploadId=", 204), 1, "{reqs:#?}");
    assert_eq!(count("POST", "uploadId=", 200), 0, "never completed");
    // No object, and no multipart upload left open on the server.
    assert_eq!(s.get("fault", "big.rec"), None);
    assert_eq!(s.open_upload_files(None), Vec::<String>::new());
    assert_eq!(
        std::fs::read_dir(s.root.path().join("fault"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn the_endpoint_can_come_from_the_environment() {
    let s = server();
    s.bucket("envendpoint");
    s.put("envendpoint", "in.csv", &read_testdata("csv/dense.csv"));
    let dir = tempfile::tempdir().unwrap();
    for var in ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"] {
        // No --endpoint-url flag: the variable alone points at the server.
        let o = Command::new(env!("CARGO_BIN_EXE_sm-data"))
            .args(["count", "s3://envendpoint/in.csv"])
            .current_dir(dir.path())
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_S3")
            .env_remove("AWS_PROFILE")
            .env(var, &s.endpoint)
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        assert!(o.status.success(), "{var}: {}", stderr(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout), "6\n");
    }
}

#[test]
fn throttling_is_retried_with_backoff_up_to_the_attempt_limit() {
    let s = server();
    s.bucket("throttled");
    let data = blob(1000, 17);
    s.put("throttled", "x.bin", &data);
    // Two 503 SlowDown answers, then success: within 3 attempts.
    *s.slow_down.lock().unwrap() = 2;
    assert_eq!(read_all(Input::open("s3://throttled/x.bin").unwrap()), data);
    let statuses: Vec<u16> = s
        .requests("throttled", "x.bin")
        .iter()
        .filter(|r| r.method == "HEAD")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
    // More throttling than attempts: the error names the code (a HEAD
    // answer has no body, so there only the status).
    *s.slow_down.lock().unwrap() = 3;
    let e = store::list("s3://throttled/").unwrap_err();
    assert_eq!(e.s3_code(), Some("SlowDown"), "{e}");
    assert!(e.to_string().contains("reduce your request rate"), "{e}");
    *s.slow_down.lock().unwrap() = 3;
    let e = Input::open("s3://throttled/x.bin").unwrap_err();
    assert_eq!(e.s3_code(), Some("HTTP503"), "{e}");
    assert!(e.to_string().contains("s3://throttled/x.bin"), "{e}");
    assert_eq!(*s.slow_down.lock().unwrap(), 0);
}

#[test]
fn an_upload_that_cannot_be_aborted_is_reported_with_its_id() {
    // The server goes away for good after the first part: the upload and
    // its abort both fail, and the error tells how to remove the upload.
    let s = Server::start(Mode::GoneAfterFirstPart);
    s.bucket("gone");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.rec"), recordio_file(2 * PART)).unwrap();
    let o = s.sm_data(
        dir.path(),
        &[
            "convert",
            "big.rec",
            "s3://gone/big.rec",
            "--s3-part-size",
            "5MiB",
            "--s3-concurrency",
            "1",
        ],
        &[("AWS_MAX_ATTEMPTS", "1")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let ids = upload_ids(&s.requests("gone", "big.rec"));
    assert_eq!(ids.len(), 1);
    let hint = format!(
        "aws s3api abort-multipart-upload --bucket gone --key big.rec --upload-id {}",
        ids[0]
    );
    let err = stderr(&o);
    assert!(
        err.contains("AbortMultipartUpload") && err.contains("UploadPart") && err.contains(&hint),
        "{err}"
    );
    let aborts = s
        .requests("gone", "big.rec")
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(aborts, 3, "three abort rounds of one attempt each");
    // The upload really is still open on the server.
    assert!(!s.open_upload_files(Some(&ids)).is_empty());
}
