//! `shard`, `manifest` and `pipe feed` over `s3://`, end to end, against
//! the in-process s3s-fs server of `tests/it/s3.rs` (real HTTP, SigV4,
//! request log, fault injection). Each test uses its own bucket.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sm_data::codec::recordio;
use sm_data::convert::ConvertOptions;
use sm_data::manifest::Manifest;
use sm_data::pipe::reader::{ChannelReader, RecordFormat, Records};
use sm_data::pipeline;
use sm_data::shard::{ShardOptions, shard};
use sm_data::store::{self, Input};

use super::s3::{
    KEY_ID, MIB, Mode, PART, SECRET, Server, gzip, read_all, recordio_file, server, upload_ids,
};
use super::util::{Rng, dense_csv, stderr};

/// Small chunks and two threads, so that records cross chunk boundaries.
fn opts(instances: usize) -> ShardOptions {
    ShardOptions {
        instances,
        convert: ConvertOptions {
            pipeline: pipeline::Options {
                threads: 2,
                chunk_size: 997,
                window: 0,
            },
            ..ConvertOptions::default()
        },
        ..ShardOptions::default()
    }
}

/// `n` RecordIO records of 0 to 300 bytes (whole frames, padding included).
fn recordio_records(n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let len = rng.below(300) as usize;
            let payload: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            let mut frame = Vec::new();
            recordio::encode_record(&mut frame, &payload).unwrap();
            frame
        })
        .collect()
}

/// The whole frames of a RecordIO object.
fn frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    let d = recordio::Decoder::new();
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < bytes.len() {
        let f = d.next_record(&bytes[pos..], true).unwrap().unwrap();
        out.push(bytes[pos..pos + f.consumed].to_vec());
        pos += f.consumed;
    }
    out
}

/// Every object under `s3://bucket/prefix`, in key order: (URI, bytes).
fn objects_under(uri: &str) -> Vec<(String, Vec<u8>)> {
    store::list(uri)
        .unwrap()
        .into_iter()
        .map(|o| {
            let bytes = read_all(Input::open(&o.uri).unwrap());
            assert_eq!(bytes.len() as u64, o.size, "{}", o.uri);
            (o.uri, bytes)
        })
        .collect()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn shard_to_s3_reads_back_as_the_input_with_manifests_and_channels_json() {
    let s = server();
    s.bucket("e2e-shard");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.rec");
    let recs = recordio_records(500, 11);
    std::fs::write(&input, recs.concat()).unwrap();
    let o = s.sm_data(
        dir.path(),
        &[
            "shard",
            "in.rec",
            "--instances",
            "3",
            "--objects-per-instance",
            "2",
            "--out",
            "s3://e2e-shard/out/",
            "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["destination"], "s3://e2e-shard/out/");
    assert_eq!(report["channels"][0]["prefix"], "s3://e2e-shard/out/train/");

    // Six objects under train/, in key order, that concatenate to the input.
    let objs = objects_under("s3://e2e-shard/out/train/");
    let keys: Vec<&str> = objs.iter().map(|o| o.0.as_str()).collect();
    let want: Vec<String> = (0..6)
        .map(|i| format!("s3://e2e-shard/out/train/part-{i:05}.rec"))
        .collect();
    assert_eq!(keys, want);
    assert!(
        objs.iter()
            .map(|o| o.1.clone())
            .collect::<Vec<_>>()
            .concat()
            == recs.concat()
    );
    let counts: Vec<usize> = objs.iter().map(|o| frames(&o.1).len()).collect();
    assert!(
        counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1,
        "{counts:?}"
    );
    for (i, (uri, b)) in objs.iter().enumerate() {
        let r = &report["channels"][0]["objects"][i];
        assert_eq!(r["uri"], uri.as_str());
        assert_eq!(r["bytes"], b.len() as u64);
        assert_eq!(r["records"], counts[i] as u64);
    }

    // The manifest resolves to exactly these objects.
    let m = Manifest::read("s3://e2e-shard/out/train.manifest").unwrap();
    assert_eq!(m.prefix, "s3://e2e-shard/out/train/");
    assert_eq!(m.uris(), want);
    let o = s.sm_data(
        dir.path(),
        &["manifest", "check", "s3://e2e-shard/out/train.manifest"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "s3://e2e-shard/out/train.manifest: ok, 6 keys, all present\n"
    );
    let o = s.sm_data(
        dir.path(),
        &["manifest", "expand", "s3://e2e-shard/out/train.manifest"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        want.iter().map(|u| format!("{u}\n")).collect::<String>()
    );

    // channels.json points at the prefix just written.
    let json = read_all(Input::open("s3://e2e-shard/out/channels.json").unwrap());
    let channels: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let src = &channels[0]["DataSource"]["S3DataSource"];
    assert_eq!(channels[0]["ChannelName"], "train");
    assert_eq!(src["S3Uri"], "s3://e2e-shard/out/train/");
    assert_eq!(src["S3DataType"], "S3Prefix");
    assert_eq!(src["S3DataDistributionType"], "ShardedByS3Key");
    assert_eq!(
        store::list(src["S3Uri"].as_str().unwrap()).unwrap().len(),
        6
    );

    // A deleted object makes the check fail, naming it.
    s.rt.block_on(
        s.client
            .delete_object()
            .bucket("e2e-shard")
            .key("out/train/part-00004.rec")
            .send(),
    )
    .unwrap();
    let o = s.sm_data(
        dir.path(),
        &["manifest", "check", "s3://e2e-shard/out/train.manifest"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("part-00004.rec"), "{}", stderr(&o));
}

#[test]
fn shard_to_s3_is_balanced_within_one_record_for_1_3_4_and_16_instances() {
    let s = server();
    s.bucket("e2e-balance");
    let dir = tempfile::tempdir().unwrap();
    let recs = recordio_records(203, 5);
    let max_frame = recs.iter().map(Vec::len).max().unwrap() as u64;
    let rec_path = dir.path().join("in.rec");
    std::fs::write(&rec_path, recs.concat()).unwrap();
    let csv = dense_csv(&mut Rng(9), 203, 4);
    let csv_path = dir.path().join("in.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    for (name, path, bytes) in [
        ("rec", &rec_path, recs.concat()),
        ("csv", &csv_path, csv.clone().into_bytes()),
    ] {
        for n in [1, 3, 4, 16] {
            let dest = format!("s3://e2e-balance/{name}-{n}/");
            let report = shard(&[path.to_str().unwrap().to_string()], &dest, &opts(n)).unwrap();
            assert!(report.frame_copy);
            let objs = objects_under(&format!("{dest}train/"));
            assert_eq!(objs.len(), n, "{name} N={n}");
            let counts: Vec<usize> = objs
                .iter()
                .map(|(_, b)| {
                    if name == "rec" {
                        frames(b).len()
                    } else {
                        b.iter().filter(|&&c| c == b'\n').count()
                    }
                })
                .collect();
            let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            assert!(hi - lo <= 1, "{name} N={n}: {counts:?}");
            assert_eq!(counts.iter().sum::<usize>(), 203);
            if name == "rec" {
                let sizes: Vec<u64> = objs.iter().map(|o| o.1.len() as u64).collect();
                let spread = sizes.iter().max().unwrap() - sizes.iter().min().unwrap();
                // Equal record counts of records up to `max_frame` bytes.
                assert!(spread <= max_frame * (203 / n as u64 + 1), "{sizes:?}");
            }
            // The report describes what is stored, and the input comes back.
            let ch = &report.channels[0];
            for ((uri, b), (o, &c)) in objs.iter().zip(ch.objects.iter().zip(&counts)) {
                assert_eq!(
                    (&o.uri, o.bytes, o.records),
                    (uri, b.len() as u64, c as u64)
                );
            }
            let cat: Vec<u8> = objs.iter().flat_map(|o| o.1.clone()).collect();
            assert!(cat == bytes, "{name} N={n}: concatenation differs");
        }
    }
}

#[test]
fn manifest_build_lists_an_s3_prefix() {
    let s = server();
    s.bucket("e2e-mbuild");
    for k in ["p/b.csv", "p/a.csv", "p/sub/c.csv", "other/x.csv"] {
        s.put("e2e-mbuild", k, b"1,2\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let o = s.sm_data(
        dir.path(),
        &["manifest", "build", "s3://e2e-mbuild/p/"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let m = Manifest::parse(&o.stdout, "stdout").unwrap();
    assert_eq!(m.prefix, "s3://e2e-mbuild/p/");
    assert_eq!(m.keys, ["a.csv", "b.csv", "sub/c.csv"]);
    // Written to S3 and checked there.
    let o = s.sm_data(
        dir.path(),
        &[
            "manifest",
            "build",
            "s3://e2e-mbuild/p/",
            "-o",
            "s3://e2e-mbuild/p.manifest",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.sm_data(
        dir.path(),
        &["manifest", "check", "s3://e2e-mbuild/p.manifest"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("ok, 3 keys"), "{}", stdout(&o));
}

#[test]
fn an_s3_prefix_or_manifest_is_a_shard_input() {
    let s = server();
    s.bucket("e2e-input");
    let recs = recordio_records(120, 21);
    // Three input objects plus things that are not data.
    s.put("e2e-input", "in/a.rec", &recs[..50].concat());
    s.put("e2e-input", "in/b.rec", &recs[50..51].concat());
    s.put("e2e-input", "in/c/d.rec", &recs[51..].concat());
    s.put("e2e-input", "in/_SUCCESS", b"");
    s.put("e2e-input", "in/.hidden", b"not data");
    // S3 -> local.
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("out");
    let r = shard(
        &["s3://e2e-input/in/".to_string()],
        local.to_str().unwrap(),
        &opts(4),
    )
    .unwrap();
    assert_eq!(r.inputs, 3);
    let mut cat = Vec::new();
    for i in 0..4 {
        cat.extend(std::fs::read(local.join(format!("train/part-{i:05}.rec"))).unwrap());
    }
    assert!(cat == recs.concat());
    // S3 -> S3, through the binary.
    let o = s.sm_data(
        dir.path(),
        &[
            "shard",
            "s3://e2e-input/in/",
            "-n",
            "2",
            "-o",
            "s3://e2e-input/out",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let objs = objects_under("s3://e2e-input/out/train/");
    assert_eq!(objs.len(), 2);
    assert!(objs.iter().flat_map(|o| o.1.clone()).collect::<Vec<_>>() == recs.concat());
    // The manifest just written on S3, as the input of another shard.
    let r = shard(
        &["s3://e2e-input/out/train.manifest".to_string()],
        "s3://e2e-input/again/",
        &opts(3),
    )
    .unwrap();
    assert_eq!(r.inputs, 2);
    let objs = objects_under("s3://e2e-input/again/train/");
    assert_eq!(objs.len(), 3);
    assert!(objs.iter().flat_map(|o| o.1.clone()).collect::<Vec<_>>() == recs.concat());
    // One object named exactly.
    let r = shard(
        &["s3://e2e-input/in/a.rec".to_string()],
        "s3://e2e-input/one/",
        &opts(2),
    )
    .unwrap();
    assert_eq!((r.inputs, r.channels[0].records), (1, 50));
    // An input inside the destination is refused.
    let e = shard(
        &["s3://e2e-input/in/".to_string()],
        "s3://e2e-input/",
        &ShardOptions {
            overwrite: true,
            ..opts(2)
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("inside the destination"), "{e}");
}

#[test]
fn shard_uploads_objects_above_the_part_size_in_parts() {
    let s = server();
    s.bucket("e2e-multipart");
    let dir = tempfile::tempdir().unwrap();
    // Two objects of about 1.5 parts each.
    let data = recordio_file(3 * PART);
    std::fs::write(dir.path().join("big.rec"), &data).unwrap();
    let o = s.sm_data(
        dir.path(),
        &[
            "shard",
            "big.rec",
            "-n",
            "2",
            "-o",
            "s3://e2e-multipart/out/",
            "--s3-part-size",
            "5MiB",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut cat = Vec::new();
    for i in 0..2 {
        let key = format!("out/train/part-{i:05}.rec");
        let reqs = s.requests("e2e-multipart", &key);
        let parts = reqs
            .iter()
            .filter(|r| r.method == "PUT" && r.query.contains("partNumber=") && r.status == 200)
            .count();
        assert_eq!(parts, 2, "{key}: {reqs:#?}");
        assert!(s.etag("e2e-multipart", &key).ends_with("-2"));
        assert!(s.open_upload_files(Some(&upload_ids(&reqs))).is_empty());
        let obj = s.get("e2e-multipart", &key).unwrap();
        assert!(obj.len() > PART);
        cat.extend(obj);
    }
    assert!(cat == data);
}

#[test]
fn shard_refuses_a_non_empty_s3_destination_without_force() {
    let s = server();
    s.bucket("e2e-force");
    s.put("e2e-force", "out/notes.txt", b"mine");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.rec"), recordio_records(10, 3).concat()).unwrap();
    let args = ["shard", "in.rec", "-n", "2", "-o", "s3://e2e-force/out/"];
    let o = s.sm_data(dir.path(), &args, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("s3://e2e-force/out/ is not empty")
            && stderr(&o).contains("s3://e2e-force/out/notes.txt")
            && stderr(&o).contains("--force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(store::list("s3://e2e-force/out/").unwrap().len(), 1);
    // A dry run lists the destination too and writes nothing.
    let o = s.sm_data(
        dir.path(),
        &[&args[..], &["--dry-run", "--force"]].concat(),
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(store::list("s3://e2e-force/out/").unwrap().len(), 1);
    // With --force: written next to what was there, which is kept.
    let o = s.sm_data(dir.path(), &[&args[..], &["--force"]].concat(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(s.get("e2e-force", "out/notes.txt").unwrap(), b"mine");
    assert_eq!(store::list("s3://e2e-force/out/train/").unwrap().len(), 2);
    // A stray object under a channel prefix is refused even with --force.
    s.put("e2e-force", "out/train/stray.rec", b"");
    let o = s.sm_data(dir.path(), &[&args[..], &["--force"]].concat(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("s3://e2e-force/out/train/stray.rec"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_server_going_away_during_shard_leaves_no_object_and_no_upload() {
    // Its own server, which goes away after the first part is stored and
    // comes back for the abort (see tests/it/s3.rs).
    let s = Server::start(Mode::GoAwayAfterFirstPart);
    s.bucket("e2e-fault");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.rec"), recordio_file(3 * PART)).unwrap();
    let o = s.sm_data(
        dir.path(),
        &[
            "shard",
            "big.rec",
            "-n",
            "1",
            "-o",
            "s3://e2e-fault/out/",
            "--s3-part-size",
            "5MiB",
            "--s3-concurrency",
            "1",
        ],
        &[("AWS_MAX_ATTEMPTS", "2")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("s3://e2e-fault/out/train/part-00000.rec"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        *s.mode.lock().unwrap(),
        Mode::Up,
        "the client never aborted"
    );
    let reqs = s.requests("e2e-fault", "out/train/part-00000.rec");
    assert!(
        reqs.iter()
            .any(|r| r.method == "PUT" && r.query.contains("partNumber=1") && r.status == 200),
        "{reqs:#?}"
    );
    assert!(
        reqs.iter()
            .any(|r| r.method == "DELETE" && r.query.contains("uploadId=") && r.status == 204),
        "{reqs:#?}"
    );
    // No object (no data, manifest or channels.json) and no open upload.
    assert_eq!(s.get("e2e-fault", "out/train/part-00000.rec"), None);
    assert_eq!(s.open_upload_files(None), Vec::<String>::new());
    assert_eq!(
        std::fs::read_dir(s.root.path().join("e2e-fault"))
            .unwrap()
            .count(),
        0
    );
}

/// `sm-data pipe feed` against `s`, spawned (stderr captured).
fn feed(s: &Server, dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sm-data"))
        .args(["pipe", "feed"])
        .args(args)
        .args(["--endpoint-url", &s.endpoint])
        .current_dir(dir)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "3")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sm-data pipe feed")
}

/// Waits (60 s at most) for the feeder, which must succeed.
#[track_caller]
fn finish_ok(mut child: Child) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("feeder did not exit: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn cat_epoch(data: &Path, channel: &str, epoch: u64) -> Vec<u8> {
    let fifo = data.join(format!("{channel}_{epoch}"));
    wait_for(&fifo);
    let o = Command::new("cat").arg(&fifo).output().unwrap();
    assert!(o.status.success());
    o.stdout
}

fn read_records(data: &Path, channel: &str, epochs: u64) -> Vec<Vec<Vec<u8>>> {
    let mut reader = ChannelReader::new(data, channel);
    reader.timeout(Duration::from_secs(30));
    let mut out = vec![Vec::new(); epochs as usize];
    for r in Records::new(reader, RecordFormat::RecordIO, Some(epochs)).unwrap() {
        let r = r.unwrap();
        out[r.epoch as usize].push(r.payload);
    }
    out
}

/// Objects `obj-0`, `obj-1`, … of the given sizes under `s3://bucket/src/`.
fn put_objects(s: &Server, bucket: &str, sizes: &[usize]) -> Vec<Vec<u8>> {
    sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let mut body = format!("obj-{i}\n").into_bytes();
            let mut rng = Rng(i as u64 + 1);
            while body.len() < n {
                body.push(b'a' + rng.below(26) as u8);
            }
            s.put(bucket, &format!("src/obj-{i}"), &body);
            body
        })
        .collect()
}

#[test]
fn pipe_feed_streams_an_s3_prefix_back_to_back_and_wrapped() {
    let s = server();
    s.bucket("e2e-pipe");
    let objs = put_objects(s, "e2e-pipe", &[10, 0, 70_000, 3]);
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let cfg = t.path().join("cfg");
    let (data_s, cfg_s) = (data.to_str().unwrap(), cfg.to_str().unwrap());
    // No wrapper: objects back to back, three epochs, read by cat.
    let child = feed(
        s,
        t.path(),
        &[
            "--channel",
            "train=s3://e2e-pipe/src/",
            "--data-dir",
            data_s,
            "--config-dir",
            cfg_s,
            "--epochs",
            "3",
        ],
    );
    for epoch in 0..3 {
        assert!(
            cat_epoch(&data, "train", epoch) == objs.concat(),
            "epoch {epoch}"
        );
    }
    let out = finish_ok(child);
    assert!(
        stderr(&out).contains("train_2: 4 records"),
        "{}",
        stderr(&out)
    );

    // RecordIO wrapper: one record per object, read by the library reader;
    // the source is a ManifestFile on S3 listing three of them in its order.
    let m = Manifest {
        prefix: "s3://e2e-pipe/src/".into(),
        keys: vec!["obj-2".into(), "obj-0".into(), "obj-1".into()],
    };
    s.put("e2e-pipe", "src.manifest", m.to_json().as_bytes());
    for (channel, want) in [
        ("train=s3://e2e-pipe/src/", objs.clone()),
        (
            "train=manifest:s3://e2e-pipe/src.manifest",
            vec![objs[2].clone(), objs[0].clone(), objs[1].clone()],
        ),
    ] {
        let child = feed(
            s,
            t.path(),
            &[
                "--channel",
                channel,
                "--data-dir",
                data_s,
                "--config-dir",
                cfg_s,
                "--epochs",
                "2",
                "--record-wrapper",
                "RecordIO",
            ],
        );
        let epochs = read_records(&data, "train", 2);
        for (e, recs) in epochs.iter().enumerate() {
            assert!(recs == &want, "{channel} epoch {e}");
        }
        finish_ok(child);
    }

    // An augmented manifest on S3 whose `-ref` attributes name S3 objects.
    let lines = "{\"source-ref\": \"s3://e2e-pipe/src/obj-2\", \"class\": \"7\"}\n\
                 {\"source-ref\": \"s3://e2e-pipe/src/obj-3\", \"class\": \"1\"}\n";
    s.put("e2e-pipe", "aug.manifest", lines.as_bytes());
    let child = feed(
        s,
        t.path(),
        &[
            "--channel",
            "train=augmented:s3://e2e-pipe/aug.manifest#source-ref,class",
            "--data-dir",
            data_s,
            "--config-dir",
            cfg_s,
            "--epochs",
            "2",
            "--record-wrapper",
            "RecordIO",
        ],
    );
    let want = vec![
        objs[2].clone(),
        b"7".to_vec(),
        objs[3].clone(),
        b"1".to_vec(),
    ];
    for (e, recs) in read_records(&data, "train", 2).iter().enumerate() {
        assert!(recs == &want, "augmented epoch {e}");
    }
    finish_ok(child);
}

#[test]
fn pipe_feed_wraps_objects_larger_than_a_part_without_holding_them() {
    let s = server();
    s.bucket("e2e-pipebig");
    let big = super::s3::blob(4 * PART + 12_345, 77);
    s.put("e2e-pipebig", "src/big", &big);
    s.put("e2e-pipebig", "src/small", b"tail");
    // A gzip object is decompressed (CompressionType=Gzip), its record as
    // long as its contents.
    s.put("e2e-pipebig", "src/z.gz", &gzip(b"zipped"));
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let cfg = t.path().join("cfg");
    let child = feed(
        s,
        t.path(),
        &[
            "--channel",
            "train=s3://e2e-pipebig/src/",
            "--data-dir",
            data.to_str().unwrap(),
            "--config-dir",
            cfg.to_str().unwrap(),
            "--epochs",
            "1",
            "--record-wrapper",
            "RecordIO",
            "--compression-type",
            "Gzip",
            "--s3-part-size",
            "5MiB",
            "--s3-concurrency",
            "1",
        ],
    );
    let fifo = data.join("train_0");
    wait_for(&fifo);
    let mut f = std::fs::File::open(&fifo).unwrap();
    // The header states the object's size before its body has been read.
    let mut head = vec![0u8; 8 + MIB];
    f.read_exact(&mut head).unwrap();
    assert_eq!(
        u32::from_le_bytes(head[0..4].try_into().unwrap()),
        0xced7_230a
    );
    assert_eq!(
        u32::from_le_bytes(head[4..8].try_into().unwrap()) as usize,
        big.len()
    );
    assert!(head[8..] == big[..MIB]);
    // With the reader paused after 1 MiB, the feeder is blocked on the
    // FIFO: it has fetched at most a window of ranges, not all five.
    std::thread::sleep(Duration::from_millis(300));
    let fetched = s
        .requests("e2e-pipebig", "src/big")
        .iter()
        .filter(|r| r.method == "GET" && r.status / 100 == 2)
        .count();
    assert!(
        fetched < 5,
        "{fetched} ranged GETs before the body was read"
    );
    let mut rest = Vec::new();
    f.read_to_end(&mut rest).unwrap();
    let padded = big.len().next_multiple_of(4);
    assert!(rest[..big.len() - MIB] == big[MIB..]);
    let tail = &rest[padded - MIB..];
    assert_eq!(&tail[4..12], [4, 0, 0, 0, b't', b'a', b'i', b'l']);
    assert_eq!(
        &tail[16..26],
        [6, 0, 0, 0, b'z', b'i', b'p', b'p', b'e', b'd']
    );
    assert_eq!(tail.len(), 12 + 16);
    finish_ok(child);
}

#[test]
fn pipe_feed_streams_s3_gzip_objects_as_stored_by_default() {
    // CompressionType=None (the default, as in SageMaker): a gzip object
    // reaches the FIFO still compressed, with and without the wrapper.
    let s = server();
    s.bucket("e2e-pipegz");
    let stored = gzip(b"zipped");
    s.put("e2e-pipegz", "src/a.gz", &stored);
    s.put("e2e-pipegz", "src/b", b"tail");
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let cfg = t.path().join("cfg");
    let (data_s, cfg_s) = (data.to_str().unwrap(), cfg.to_str().unwrap());
    let base = [
        "--channel",
        "train=s3://e2e-pipegz/src/",
        "--data-dir",
        data_s,
        "--config-dir",
        cfg_s,
        "--epochs",
        "1",
    ];
    let child = feed(s, t.path(), &base);
    assert!(cat_epoch(&data, "train", 0) == [&stored[..], b"tail"].concat());
    finish_ok(child);
    let mut args = base.to_vec();
    args.extend(["--record-wrapper", "RecordIO"]);
    let child = feed(s, t.path(), &args);
    let recs = read_records(&data, "train", 1);
    assert!(recs[0] == [stored.clone(), b"tail".to_vec()]);
    finish_ok(child);
}
