//! A local S3-compatible server for benchmarks and manual tests: s3s-fs
//! (objects are files under `--root`, one folder per bucket) over HTTP
//! with SigV4, on 127.0.0.1.
//!
//! ```text
//! cargo run --release --example s3-server -- --root /tmp/s3 --port 9000 --bucket bench
//! AWS_ACCESS_KEY_ID=sm-data AWS_SECRET_ACCESS_KEY=sm-data-secret AWS_REGION=us-east-1 \
//!   sm-data shard data.csv -n 4 --out s3://bench/shards/ --endpoint-url http://127.0.0.1:9000
//! ```
//!
//! It prints `listening on http://ADDR` once it accepts connections and
//! serves until killed. The credentials are `sm-data` / `sm-data-secret`
//! unless `--key-id` / `--secret` say otherwise.

use std::path::PathBuf;

fn main() {
    let mut root: Option<PathBuf> = None;
    let mut port = 0u16;
    let mut buckets = Vec::new();
    let (mut key_id, mut secret) = ("sm-data".to_string(), "sm-data-secret".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--root" => root = Some(value().into()),
            "--port" => port = value().parse().unwrap_or_else(|_| usage("bad --port")),
            "--bucket" => buckets.push(value()),
            "--key-id" => key_id = value(),
            "--secret" => secret = value(),
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    let root = root.unwrap_or_else(|| usage("--root is required"));
    for b in &buckets {
        // s3s-fs keeps a bucket as a folder under the root.
        std::fs::create_dir_all(root.join(b)).expect("create the bucket folder");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let fs = s3s_fs::FileSystem::new(&root).expect("s3s-fs root");
    let mut b = s3s::service::S3ServiceBuilder::new(fs);
    b.set_auth(s3s::auth::SimpleAuth::from_single(key_id, secret));
    let service = b.build();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        println!(
            "listening on http://{}",
            listener.local_addr().expect("address")
        );
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
}

fn usage(msg: &str) -> ! {
    eprintln!("s3-server: {msg}");
    eprintln!(
        "usage: s3-server --root DIR [--port N] [--bucket NAME]... [--key-id ID] [--secret S]"
    );
    std::process::exit(2);
}
