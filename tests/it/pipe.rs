//! Pipe mode with real FIFOs, the real `sm-data` binary as the feeder, and
//! real readers: `cat`, sm-data's own reader (library and `pipe read`),
//! and the `count`/`convert` commands through `pipe://`. The SageMaker SDK
//! reader runs in `tests/interop/check_pipe.py` (it needs the Python venv).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sm_data::pipe::reader::{ChannelReader, RecordFormat, Records};

use super::util::{sm_data, stderr, testdata};

const BIN: &str = env!("CARGO_BIN_EXE_sm-data");

/// Starts `sm-data pipe feed` with `args` (stderr captured).
fn feed(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(["pipe", "feed"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sm-data pipe feed")
}

/// Waits for the feeder to exit (30 s at most; then it is killed and the
/// test fails).
fn finish(mut child: Child) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("feeder did not exit: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for the feeder, which must succeed.
#[track_caller]
fn finish_ok(child: Child) -> Output {
    let out = finish(child);
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

/// Asserts that the stderr of `out` contains `text`.
#[track_caller]
fn assert_stderr_has(out: &Output, text: &str) {
    assert!(stderr(out).contains(text), "{}", stderr(out));
}

fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A folder of objects `obj-00` … named so that list order is numeric.
fn objects(root: &Path, n: usize, size: impl Fn(usize) -> usize) -> (PathBuf, Vec<Vec<u8>>) {
    let dir = root.join("src");
    std::fs::create_dir_all(&dir).unwrap();
    let mut all = Vec::new();
    for i in 0..n {
        let mut body = format!("obj-{i:02}\n").into_bytes();
        let target = size(i).max(body.len());
        let mut k = 0u8;
        while body.len() < target {
            body.push(b'a' + k % 26);
            k = k.wrapping_add(7);
        }
        std::fs::write(dir.join(format!("obj-{i:02}")), &body).unwrap();
        all.push(body);
    }
    (dir, all)
}

/// Starts the feeder of one `--channel` spec into `data`, with its
/// config directory `<root>/cfg` and the `extra` flags.
fn feed_channel(root: &Path, channel: &str, data: &Path, extra: &[&str]) -> Child {
    let cfg = root.join("cfg");
    let mut args = vec![
        "--channel",
        channel,
        "--data-dir",
        s(data),
        "--config-dir",
        s(&cfg),
    ];
    args.extend_from_slice(extra);
    feed(&args)
}

/// A reader of `channel` in `data` that waits 20 s for each epoch.
fn channel_reader(data: &Path, channel: &str) -> ChannelReader {
    let mut reader = ChannelReader::new(data, channel);
    reader.timeout(Duration::from_secs(20));
    reader
}

/// Waits for the FIFO of `epoch` of `channel` and reads it with `cat`.
fn cat_epoch(data: &Path, channel: &str, epoch: u64) -> Output {
    let fifo = data.join(format!("{channel}_{epoch}"));
    wait_for(&fifo);
    Command::new("cat").arg(&fifo).output().unwrap()
}

/// Reads `epochs` epochs of `channel` as RecordIO payloads.
fn read_records(data: &Path, channel: &str, epochs: u64) -> Vec<Vec<Vec<u8>>> {
    let reader = channel_reader(data, channel);
    let mut out: Vec<Vec<Vec<u8>>> = vec![Vec::new(); epochs as usize];
    let records = Records::new(reader, RecordFormat::RecordIO, Some(epochs)).unwrap();
    for r in records {
        let r = r.unwrap();
        out[r.epoch as usize].push(r.payload);
    }
    out
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cat_reads_objects_back_to_back_for_three_epochs() {
    let t = tempfile::tempdir().unwrap();
    let (src, objs) = objects(t.path(), 5, |i| 100 + i * 3000);
    let data = t.path().join("data");
    let channel = format!("train={}", s(&src));
    let child = feed_channel(t.path(), &channel, &data, &["--epochs", "3"]);
    let expected: Vec<u8> = objs.concat();
    for epoch in 0..3 {
        let got = cat_epoch(&data, "train", epoch);
        assert!(got.status.success());
        assert_eq!(got.stdout, expected, "epoch {epoch}");
    }
    let out = finish_ok(child);
    assert_stderr_has(&out, "train_2: 5 records");
    // Every FIFO is gone, nothing else was created in the data directory.
    assert!(dir_names(&data).is_empty(), "{:?}", dir_names(&data));
}

#[test]
fn recordio_wrapper_frames_each_object_for_the_library_and_cli_readers() {
    let t = tempfile::tempdir().unwrap();
    let (src, objs) = objects(t.path(), 4, |i| [0, 5, 1 << 20, 3][i]);
    let data = t.path().join("data");
    let channel = format!("train={}", s(&src));
    let child = feed_channel(
        t.path(),
        &channel,
        &data,
        &["--epochs", "4", "--record-wrapper", "RecordIO"],
    );
    let epochs = read_records(&data, "train", 3);
    for (e, recs) in epochs.iter().enumerate() {
        assert_eq!(recs, &objs, "epoch {e}");
    }
    // The fourth epoch through the CLI reader.
    let out = sm_data(
        t.path(),
        &[
            "pipe",
            "read",
            "train",
            "--data-dir",
            s(&data),
            "--epoch",
            "3",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let total: usize = objs.iter().map(Vec::len).sum();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("train_3: 4 records, {total} bytes\n")
    );
    let out = finish_ok(child);
    // On the wire: 8-byte headers and padding to 4 bytes.
    let framed: usize = objs.iter().map(|o| 8 + o.len().div_ceil(4) * 4).sum();
    assert_stderr_has(&out, &format!("train_0: 4 records, {framed} bytes"));
}

#[test]
fn augmented_manifest_streams_each_listed_attribute_as_a_record() {
    let t = tempfile::tempdir().unwrap();
    let imgs = t.path().join("images");
    std::fs::create_dir_all(&imgs).unwrap();
    std::fs::write(imgs.join("cat.jpg"), b"\xff\xd8 cat bytes").unwrap();
    std::fs::write(imgs.join("dog.jpg"), b"\xff\xd8 dog").unwrap();
    let manifest = t.path().join("train.manifest");
    std::fs::write(
        &manifest,
        format!(
            "{{\"source-ref\": \"images/cat.jpg\", \"class\": \"1\", \"extra\": 5}}\n\
             {{\"class\": 0, \"source-ref\": \"{}\", \"box\": {{\"w\": 2}}}}\n",
            s(&imgs.join("dog.jpg"))
        ),
    )
    .unwrap();
    let data = t.path().join("data");
    let channel = format!("train=augmented:{}#source-ref,class", s(&manifest));
    let child = feed_channel(
        t.path(),
        &channel,
        &data,
        &["--epochs", "3", "--record-wrapper", "RecordIO"],
    );
    let expected: Vec<Vec<u8>> = vec![
        b"\xff\xd8 cat bytes".to_vec(),
        b"1".to_vec(),
        b"\xff\xd8 dog".to_vec(),
        b"0".to_vec(),
    ];
    for (e, recs) in read_records(&data, "train", 3).iter().enumerate() {
        assert_eq!(recs, &expected, "epoch {e}");
    }
    finish_ok(child);

    // A line missing a listed attribute is refused before any FIFO exists.
    let channel = format!("train=augmented:{}#source-ref,box", s(&manifest));
    let out = finish(feed_channel(t.path(), &channel, &data, &[]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("train.manifest: line 1")
            && stderr(&out).contains("\"box\" is missing"),
        "{}",
        stderr(&out)
    );
    assert!(dir_names(&data).is_empty());
}

/// Runs a feeder over `src` with extra `args` for 3 epochs and returns the
/// object numbers each epoch delivered.
fn epoch_orders(t: &Path, src: &Path, data: &str, args: &[&str]) -> Vec<Vec<usize>> {
    let data = t.join(data);
    let channel = format!("train={}", s(src));
    let cfg = t.join("cfg");
    let mut all = vec![
        "--channel",
        &channel,
        "--data-dir",
        s(&data),
        "--config-dir",
        s(&cfg),
        "--epochs",
        "3",
        "--record-wrapper",
        "RecordIO",
    ];
    all.extend_from_slice(args);
    let child = feed(&all);
    let epochs = read_records(&data, "train", 3);
    finish_ok(child);
    epochs
        .into_iter()
        .map(|recs| {
            recs.iter()
                .map(|r| std::str::from_utf8(&r[4..6]).unwrap().parse().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn shuffle_gives_the_same_order_for_the_same_seed_and_a_new_one_each_epoch() {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = objects(t.path(), 12, |_| 10);
    let a = epoch_orders(t.path(), &src, "a", &["--shuffle-seed", "7"]);
    let b = epoch_orders(t.path(), &src, "b", &["--shuffle-seed", "7"]);
    let c = epoch_orders(t.path(), &src, "c", &["--shuffle-seed", "8"]);
    assert_eq!(a, b, "same seed, same orders");
    assert_ne!(a, c, "another seed, other orders");
    let sorted: Vec<usize> = (0..12).collect();
    for order in &a {
        let mut o = order.clone();
        o.sort();
        assert_eq!(o, sorted, "each epoch streams every object once");
        assert_ne!(*order, sorted, "shuffled");
    }
    assert_ne!(a[0], a[1]);
    assert_ne!(a[1], a[2]);
    assert_ne!(a[0], a[2]);
    // Without a seed: S3 list order every epoch.
    let plain = epoch_orders(t.path(), &src, "d", &[]);
    assert_eq!(plain, vec![sorted.clone(); 3]);
}

#[test]
fn sharded_by_s3_key_host_2_of_3_gets_exactly_its_share() {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = objects(t.path(), 10, |_| 10);
    let got = epoch_orders(
        t.path(),
        &src,
        "a",
        &["--distribution", "ShardedByS3Key", "--host", "2/3"],
    );
    assert_eq!(got, vec![vec![1, 4, 7]; 3]);
    // FullyReplicated ignores the host.
    let got = epoch_orders(t.path(), &src, "b", &["--host", "2/3"]);
    assert_eq!(got, vec![(0..10).collect::<Vec<_>>(); 3]);
    // With a seed the shares move between hosts each epoch, and the three
    // hosts together get every object exactly once per epoch.
    let shares: Vec<Vec<Vec<usize>>> = (1..=3)
        .map(|h| {
            let host = format!("{h}/3");
            epoch_orders(
                t.path(),
                &src,
                &format!("h{h}"),
                &[
                    "--distribution",
                    "ShardedByS3Key",
                    "--host",
                    &host,
                    "--shuffle-seed",
                    "42",
                ],
            )
        })
        .collect();
    for e in 0..3 {
        let mut union: Vec<usize> = shares.iter().flat_map(|h| h[e].clone()).collect();
        assert_eq!(
            [shares[0][e].len(), shares[1][e].len(), shares[2][e].len()],
            [4, 3, 3]
        );
        union.sort();
        assert_eq!(union, (0..10).collect::<Vec<_>>(), "epoch {e}");
    }
    assert_ne!(
        shares[1][0], shares[1][1],
        "host 2 gets other objects in epoch 1"
    );
}

#[test]
fn a_reader_that_closes_early_ends_the_epoch_and_the_feeder_moves_on() {
    let t = tempfile::tempdir().unwrap();
    // Larger than the pipe buffer, so the feeder is mid-write when the
    // reader leaves.
    let (src, objs) = objects(t.path(), 2, |_| 6 << 20);
    let data = t.path().join("data");
    let channel = format!("train={}", s(&src));
    let child = feed_channel(t.path(), &channel, &data, &["--epochs", "3"]);
    let mut reader = channel_reader(&data, "train");
    let mut first = reader.next_epoch().unwrap();
    let mut head = [0u8; 100];
    first.read_exact(&mut head).unwrap();
    assert_eq!(&head[..], &objs[0][..100]);
    drop(first);
    for epoch in 1..3 {
        let mut all = Vec::new();
        let mut stream = reader.next_epoch().unwrap();
        assert_eq!(stream.epoch(), epoch);
        stream.read_to_end(&mut all).unwrap();
        assert_eq!(all, objs.concat(), "epoch {epoch}");
    }
    let out = finish_ok(child);
    let err = stderr(&out);
    assert!(
        err.contains("train_0:") && err.contains("(the reader closed the FIFO early)"),
        "{err}"
    );
    assert!(
        !err.contains("train_1: 2 records, 12582912 bytes (the reader"),
        "{err}"
    );
    assert!(dir_names(&data).is_empty());

    // The CLI reader closing early, with --on-early-close stop: the channel
    // ends after epoch 0 and the FIFO made in advance for epoch 1 is gone.
    let child = feed_channel(t.path(), &channel, &data, &["--on-early-close", "stop"]);
    let out = sm_data(
        t.path(),
        &[
            "pipe",
            "read",
            "train",
            "--data-dir",
            s(&data),
            "--format",
            "lines",
            "--max-records",
            "1",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = finish_ok(child);
    assert_stderr_has(&out, "closed the FIFO early");
    assert!(dir_names(&data).is_empty(), "{:?}", dir_names(&data));
}

#[test]
fn no_reader_gives_a_clear_timeout_and_removes_the_fifos() {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = objects(t.path(), 1, |_| 10);
    let data = t.path().join("data");
    let channel = format!("train={}", s(&src));
    let out = finish(feed_channel(
        t.path(),
        &channel,
        &data,
        &["--open-timeout", "0.3"],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_has(
        &out,
        "no reader opened the FIFO of channel train epoch 0 within 0.3 s",
    );
    assert!(dir_names(&data).is_empty());

    // And the reader's side: no feeder, a clear timeout.
    let out = sm_data(
        t.path(),
        &[
            "pipe",
            "read",
            "train",
            "--data-dir",
            s(&data),
            "--timeout",
            "0.2",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_has(&out, "train_0");
    assert_stderr_has(&out, "did not appear within 0.2 s");
}

#[test]
fn sigint_removes_the_fifos_and_touches_nothing_else() {
    signal_removes_fifos("-INT", 130);
}

#[test]
fn sigterm_as_from_docker_stop_removes_the_fifos_too() {
    signal_removes_fifos("-TERM", 143);
}

fn signal_removes_fifos(signal: &str, code: i32) {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = objects(t.path(), 2, |_| 4 << 20);
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("keep.txt"), b"mine").unwrap();
    let channel = format!("train={}", s(&src));
    let other = format!("validation={}", s(&src));
    let child = feed(&[
        "--channel",
        &channel,
        "--channel",
        &other,
        "--data-dir",
        s(&data),
        "--config-dir",
        s(&t.path().join("cfg")),
    ]);
    // A reader in the middle of epoch 0 of train, validation not opened.
    let mut reader = channel_reader(&data, "train");
    let mut stream = reader.next_epoch().unwrap();
    let mut head = [0u8; 10];
    stream.read_exact(&mut head).unwrap();
    wait_for(&data.join("validation_1"));
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = finish(child);
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    assert_stderr_has(&out, "removed the FIFOs");
    assert_eq!(dir_names(&data), ["keep.txt"]);
    assert_eq!(std::fs::read(data.join("keep.txt")).unwrap(), b"mine");
    // The open stream ends (EOF) instead of hanging.
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
}

#[test]
fn an_existing_regular_file_is_never_replaced() {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = objects(t.path(), 1, |_| 10);
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("train_0"), b"precious").unwrap();
    let channel = format!("train={}", s(&src));
    let out = finish(feed_channel(t.path(), &channel, &data, &[]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_stderr_has(&out, "exists and is a regular file");
    assert_eq!(std::fs::read(data.join("train_0")).unwrap(), b"precious");
    assert_eq!(dir_names(&data), ["train_0"]);
}

#[test]
fn gzip_objects_are_decompressed_with_compression_type_gzip_only() {
    use std::io::Write;
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let plain: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let stored = gz.finish().unwrap();
    std::fs::write(src.join("a.gz"), &stored).unwrap();
    std::fs::write(src.join("b"), b"tail").unwrap();
    let data = t.path().join("data");
    // CompressionType=Gzip: SageMaker decompresses; None (the default, and
    // SageMaker's): the objects as stored, still gzip.
    for (compression, first) in [
        (Some("Gzip"), &plain),
        (Some("None"), &stored),
        (None, &stored),
    ] {
        for wrapper in ["None", "RecordIO"] {
            let channel = format!("train={}", s(&src));
            let mut args = vec!["--epochs", "1", "--record-wrapper", wrapper];
            if let Some(c) = compression {
                args.extend(["--compression-type", c]);
            }
            let child = feed_channel(t.path(), &channel, &data, &args);
            if wrapper == "None" {
                let mut all = Vec::new();
                let mut r = channel_reader(&data, "train");
                r.next_epoch().unwrap().read_to_end(&mut all).unwrap();
                assert!(
                    all == [&first[..], b"tail"].concat(),
                    "{compression:?} {wrapper}"
                );
            } else {
                let recs = read_records(&data, "train", 1);
                assert!(
                    recs[0] == [first.clone(), b"tail".to_vec()],
                    "{compression:?} {wrapper}"
                );
            }
            finish_ok(child);
        }
    }
}

#[test]
fn objects_too_large_for_one_recordio_record_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    // A sparse file of exactly 2^29 bytes: one more than a header can say.
    let f = std::fs::File::create(src.join("huge")).unwrap();
    f.set_len(1 << 29).unwrap();
    let data = t.path().join("data");
    let channel = format!("train={}", s(&src));
    let out = finish(feed_channel(
        t.path(),
        &channel,
        &data,
        &["--record-wrapper", "RecordIO"],
    ));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("huge")
            && err.contains("536870912 bytes is too large")
            && err.contains("2^29 - 1"),
        "{err}"
    );
    assert!(!data.exists() || dir_names(&data).is_empty());
}

#[test]
fn count_inspect_and_convert_read_a_pipe_channel() {
    let t = tempfile::tempdir().unwrap();
    let pbr = testdata("recordio-protobuf/dense_f32_label.pbr");
    let data = t.path().join("data");
    let channel = format!("train={}", s(&pbr));
    let child = feed_channel(t.path(), &channel, &data, &["--epochs", "4"]);
    let direct = sm_data(t.path(), &["count", s(&pbr)]);
    assert!(direct.status.success());
    let uri = format!("pipe://{}/train", s(&data));
    let counted = sm_data(t.path(), &["count", &uri]);
    assert!(counted.status.success(), "{}", stderr(&counted));
    assert_eq!(counted.stdout, direct.stdout);
    let inspected = sm_data(t.path(), &["inspect", &format!("{uri}:1"), "--json"]);
    assert!(inspected.status.success(), "{}", stderr(&inspected));
    let v: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert_eq!(v["format"], "recordio-protobuf");
    assert_eq!(
        v["records"].to_string(),
        String::from_utf8_lossy(&direct.stdout).trim()
    );
    let out_csv = t.path().join("out.csv");
    let converted = sm_data(t.path(), &["convert", &format!("{uri}:2"), s(&out_csv)]);
    assert!(converted.status.success(), "{}", stderr(&converted));
    let want = t.path().join("want.csv");
    assert!(
        sm_data(t.path(), &["convert", s(&pbr), s(&want)])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read(&out_csv).unwrap(),
        std::fs::read(&want).unwrap()
    );
    let printed = sm_data(
        t.path(),
        &[
            "pipe",
            "read",
            "train",
            "--data-dir",
            s(&data),
            "--epoch",
            "3",
            "--format",
            "recordio-protobuf",
            "--print",
        ],
    );
    assert!(printed.status.success(), "{}", stderr(&printed));
    let text = String::from_utf8(printed.stdout.clone()).unwrap();
    let n: usize = String::from_utf8_lossy(&direct.stdout)
        .trim()
        .parse()
        .unwrap();
    assert_eq!(text.lines().count(), n, "{text}");
    assert!(
        text.lines()
            .all(|l| l.starts_with("label values=[") && l.contains(" features values=[")),
        "{text}"
    );
    assert!(stderr(&printed).contains(&format!("train_3: {n} records")));
    finish_ok(child);
}

#[test]
fn container_config_files_drive_the_feeder() {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = objects(t.path(), 6, |_| 10);
    let cfg = t.path().join("config");
    let data = t.path().join("data");
    // An emulated job: host 3 of 3, ShardedByS3Key with the RecordIO wrapper.
    let channel = format!("train={}", s(&src));
    let out = sm_data(
        t.path(),
        &[
            "pipe",
            "config",
            "--write",
            "--config-dir",
            s(&cfg),
            "--channel",
            &channel,
            "--record-wrapper",
            "RecordIO",
            "--distribution",
            "ShardedByS3Key",
            "--content-type",
            "application/x-recordio",
            "--host",
            "3/3",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let idc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cfg.join("inputdataconfig.json")).unwrap()).unwrap();
    assert_eq!(
        idc,
        serde_json::json!({"train": {"ContentType": "application/x-recordio", "TrainingInputMode": "Pipe",
            "S3DistributionType": "ShardedByS3Key", "RecordWrapperType": "RecordIO"}})
    );
    let rc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cfg.join("resourceconfig.json")).unwrap()).unwrap();
    assert_eq!(rc["current_host"], "algo-3");
    assert_eq!(
        rc["hosts"],
        serde_json::json!(["algo-1", "algo-2", "algo-3"])
    );
    assert_eq!(rc["network_interface_name"], "eth0");
    // Writing again needs --force.
    let again = sm_data(
        t.path(),
        &[
            "pipe",
            "config",
            "--write",
            "--config-dir",
            s(&cfg),
            "--channel",
            &channel,
        ],
    );
    assert_eq!(again.status.code(), Some(2));
    // The source mapping in the config directory; then no channel flags.
    std::fs::write(
        cfg.join("sm-data-sources.json"),
        serde_json::json!({"train": s(&src)}).to_string(),
    )
    .unwrap();
    let child = feed(&[
        "--config-dir",
        s(&cfg),
        "--data-dir",
        s(&data),
        "--epochs",
        "3",
    ]);
    let epochs = read_records(&data, "train", 3);
    for recs in &epochs {
        let names: Vec<&[u8]> = recs.iter().map(|r| &r[..6]).collect();
        assert_eq!(names, [&b"obj-02"[..], b"obj-05"]);
    }
    finish_ok(child);
    // A Pipe channel without a source is a configuration error.
    std::fs::write(cfg.join("sm-data-sources.json"), b"{}").unwrap();
    let out = finish(feed(&["--config-dir", s(&cfg), "--data-dir", s(&data)]));
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_has(&out, "no channel sources");
}

#[test]
fn an_object_that_breaks_mid_run_stops_the_feeder_with_its_name() {
    let t = tempfile::tempdir().unwrap();
    let (src, objs) = objects(t.path(), 3, |_| 100);
    let data = t.path().join("data");
    let channel = format!("train={}", s(&src));
    let child = feed_channel(
        t.path(),
        &channel,
        &data,
        &["--epochs", "3", "--record-wrapper", "RecordIO"],
    );
    let mut reader = channel_reader(&data, "train");
    let recs = Records::new(reader.clone(), RecordFormat::RecordIO, Some(1))
        .unwrap()
        .map(|r| r.unwrap().payload)
        .collect::<Vec<_>>();
    assert_eq!(recs, objs);
    std::fs::remove_file(src.join("obj-01")).unwrap();
    // Epoch 1 ends short (a FIFO cannot carry the error)...
    let mut short = Vec::new();
    reader.start_epoch(1);
    reader
        .next_epoch()
        .unwrap()
        .read_to_end(&mut short)
        .unwrap();
    let full = 3 * (8 + 100);
    assert!(short.len() < full, "{} bytes", short.len());
    // ...and the feeder says why, exits non-zero and removes its FIFOs.
    let out = finish(child);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_stderr_has(&out, "obj-01");
    assert!(dir_names(&data).is_empty(), "{:?}", dir_names(&data));
}

#[test]
fn library_feeder_stops_on_request_and_the_reader_ends_when_no_epoch_follows() {
    use sm_data::pipe::config::{Channel, ChannelConfig, Source};
    use sm_data::pipe::feeder::{FeedOptions, Feeder};
    let t = tempfile::tempdir().unwrap();
    let (src, objs) = objects(t.path(), 3, |i| 10 + i);
    let data = t.path().join("data");
    let text: Vec<u8> = objs.concat();
    let channel = Channel {
        name: "train".into(),
        source: Source {
            uri: s(&src).into(),
            ..Source::default()
        },
        config: ChannelConfig::default(),
    };
    let opts = FeedOptions {
        dir: data.clone(),
        epochs: None,
        open_timeout: Some(Duration::from_secs(20)),
        ..FeedOptions::default()
    };
    let feeder = Feeder::new(opts, vec![channel]).unwrap();
    let stop = feeder.stop_handle();
    std::thread::scope(|scope| {
        let run = scope.spawn(|| feeder.run(&|_| {}));
        // Two epochs as text lines, then the feeder is stopped while it
        // waits for a reader of epoch 2.
        let reader = channel_reader(&data, "train");
        let lines: Vec<(u64, Vec<u8>)> = Records::new(reader, RecordFormat::Lines, Some(2))
            .unwrap()
            .map(|r| {
                let r = r.unwrap();
                (r.epoch, r.payload)
            })
            .collect();
        let want: Vec<Vec<u8>> = text
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(lines.len(), 2 * want.len());
        for (i, (epoch, line)) in lines.iter().enumerate() {
            assert_eq!(*epoch, (i / want.len()) as u64);
            assert_eq!(line, &want[i % want.len()]);
        }
        wait_for(&data.join("train_2"));
        stop.stop();
        let reports = run.join().unwrap().unwrap();
        assert_eq!(reports.len(), 2);
        assert!(reports.iter().all(|r| r.records == 3 && !r.closed_early));
    });
    assert!(dir_names(&data).is_empty(), "{:?}", dir_names(&data));
    // Reading "until no next epoch appears" ends cleanly after the timeout.
    let mut reader = ChannelReader::new(&data, "train");
    reader.timeout(Duration::from_millis(200));
    let mut none = Records::new(reader, RecordFormat::RecordIO, None).unwrap();
    assert!(none.read_record().unwrap().is_none());
}

#[test]
fn a_host_with_no_share_gets_empty_epochs() {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = objects(t.path(), 2, |_| 10);
    let data = t.path().join("data");
    let channel = format!("train={}", s(&src));
    let child = feed_channel(
        t.path(),
        &channel,
        &data,
        &[
            "--epochs",
            "2",
            "--distribution",
            "ShardedByS3Key",
            "--host",
            "3/3",
        ],
    );
    let out = sm_data(
        t.path(),
        &[
            "pipe",
            "read",
            "train",
            "--data-dir",
            s(&data),
            "--epochs",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "train_0: 0 records, 0 bytes\ntrain_1: 0 records, 0 bytes\n"
    );
    finish_ok(child);
}

#[test]
fn a_manifest_file_streams_its_objects_in_manifest_order() {
    let t = tempfile::tempdir().unwrap();
    let (src, objs) = objects(t.path(), 4, |i| 50 + i * 700);
    // Manifest order differs from listing order, and leaves one object out.
    let prefix = format!("file://{}/", s(&src));
    let manifest = t.path().join("train.manifest");
    std::fs::write(
        &manifest,
        format!(r#"[{{"prefix": "{prefix}"}}, "obj-02", "obj-00", "obj-03"]"#),
    )
    .unwrap();
    let data = t.path().join("data");
    let channel = format!("train=manifest:{}", s(&manifest));
    let child = feed_channel(t.path(), &channel, &data, &["--epochs", "3"]);
    let expected = [objs[2].clone(), objs[0].clone(), objs[3].clone()].concat();
    for epoch in 0..3 {
        let got = cat_epoch(&data, "train", epoch);
        assert_eq!(got.stdout, expected, "epoch {epoch}");
    }
    finish_ok(child);
}

#[test]
fn tfrecord_frames_are_read_from_the_pipe_with_their_crcs_checked() {
    let t = tempfile::tempdir().unwrap();
    let file = testdata("tfrecord/dense_f32_label.tfrecord");
    let bytes = std::fs::read(&file).unwrap();
    let mut want = Vec::new();
    let mut r = sm_data::format::tfrecord::SliceReader::new(
        &bytes,
        sm_data::codec::tfrecord::Decoder::new(),
    );
    while let Some(p) = r.next_record().unwrap() {
        want.push(p.to_vec());
    }
    assert!(want.len() > 1);
    let data = t.path().join("data");
    let channel = format!("train={}", s(&file));
    let child = feed_channel(t.path(), &channel, &data, &["--epochs", "3"]);
    let reader = channel_reader(&data, "train");
    let mut got: Vec<Vec<Vec<u8>>> = vec![Vec::new(); 3];
    for r in Records::new(reader, RecordFormat::TFRecord, Some(3)).unwrap() {
        let r = r.unwrap();
        got[r.epoch as usize].push(r.payload);
    }
    for (epoch, g) in got.iter().enumerate() {
        assert_eq!(g, &want, "epoch {epoch}");
    }
    finish_ok(child);
}
