//! `shard`: balance, exact concatenation, shuffle, split, conversion,
//! manifests, dry runs and refusals, through the library and the binary.

use std::path::Path;

use sm_data::codec::{recordio, tfrecord};
use sm_data::convert::ConvertOptions;
use sm_data::manifest::Manifest;
use sm_data::pipeline;
use sm_data::shard::{
    Distribution, InputMode, ObjectCount, Report, S3DataType, ShardOptions, shard,
};

use super::util::{Rng, convert_bytes, dense_csv, sm_data, sparse_libsvm, stderr};

/// Small chunks and two threads, so that records cross chunk boundaries.
fn opts(instances: usize) -> ShardOptions {
    ShardOptions {
        instances,
        convert: ConvertOptions {
            pipeline: pipeline::Options {
                threads: 2,
                chunk_size: 97,
                window: 0,
            },
            ..ConvertOptions::default()
        },
        ..ShardOptions::default()
    }
}

/// Inputs of every format: (file name, bytes), 203 records each.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Rng(0x5eed);
    let csv = dense_csv(&mut rng, 203, 4).into_bytes();
    let svm = sparse_libsvm(&mut rng, 203, 40).into_bytes();
    let pbr = convert_bytes(
        &csv,
        "x.csv",
        "recordio-protobuf",
        &ConvertOptions::default(),
    )
    .unwrap();
    let mut rec = Vec::new();
    for i in 0..203 {
        let len = rng.below(40) as usize + (i % 3);
        let payload: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        recordio::encode_record(&mut rec, &payload).unwrap();
    }
    let mut tfr = Vec::new();
    for i in 0..203 {
        let len = rng.below(40) as usize + (i % 3);
        let payload: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        tfrecord::encode_record(&mut tfr, &payload);
    }
    let jsonl = convert_bytes(&csv, "x.csv", "jsonl", &ConvertOptions::default()).unwrap();
    vec![
        ("in.csv", csv),
        ("in.libsvm", svm),
        ("in.rec", rec),
        ("in.pbr", pbr),
        ("in.tfrecord", tfr),
        ("in.jsonl", jsonl),
    ]
}

/// The records of a file, as byte strings (lines, or whole frames).
fn records(name: &str, bytes: &[u8]) -> Vec<Vec<u8>> {
    if name.ends_with(".rec") || name.ends_with(".pbr") {
        let d = recordio::Decoder::new();
        let mut pos = 0;
        let mut out = Vec::new();
        while pos < bytes.len() {
            let f = d.next_record(&bytes[pos..], true).unwrap().unwrap();
            out.push(bytes[pos..pos + f.consumed].to_vec());
            pos += f.consumed;
        }
        out
    } else if name.ends_with(".tfrecord") {
        let d = tfrecord::Decoder::new();
        let mut pos = 0;
        let mut out = Vec::new();
        while pos < bytes.len() {
            let f = d.next_record(&bytes[pos..], true).unwrap().unwrap();
            out.push(bytes[pos..pos + f.consumed].to_vec());
            pos += f.consumed;
        }
        out
    } else {
        bytes
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    }
}

/// The objects of a channel, in key order: (key, bytes).
fn objects(dir: &Path, channel: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join(channel))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn run(input: &Path, dest: &Path, o: &ShardOptions) -> sm_data::Result<Report> {
    shard(&[input.display().to_string()], dest.to_str().unwrap(), o)
}

#[test]
fn balanced_within_one_record_and_concatenation_gives_back_the_input() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in inputs() {
        let input = dir.path().join(name);
        std::fs::write(&input, &bytes).unwrap();
        let total = records(name, &bytes).len() as u64;
        for (n, k) in [(1, 1), (3, 1), (4, 1), (16, 1), (3, 4)] {
            let dest = dir.path().join(format!("out-{name}-{n}-{k}"));
            let mut o = opts(n);
            o.objects = ObjectCount::PerInstance(k);
            let report = run(&input, &dest, &o).unwrap();
            assert!(report.frame_copy, "{name}");
            let objs = objects(&dest, "train");
            assert_eq!(objs.len(), n * k, "{name} N={n} K={k}");
            let counts: Vec<u64> = objs
                .iter()
                .map(|(key, b)| records(key, b).len() as u64)
                .collect();
            let (lo, hi) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
            assert!(hi - lo <= 1, "{name} N={n} K={k}: {counts:?}");
            assert_eq!(counts.iter().sum::<u64>(), total);
            // Per instance (runs of K keys): within one record too.
            let per: Vec<u64> = counts.chunks(k).map(|c| c.iter().sum()).collect();
            let (lo, hi) = (*per.iter().min().unwrap(), *per.iter().max().unwrap());
            assert!(hi - lo <= 1, "{name} N={n} K={k}: {per:?}");
            // The report says what is on disk.
            let ch = &report.channels[0];
            for ((key, b), (o, &c)) in objs.iter().zip(ch.objects.iter().zip(&counts)) {
                assert_eq!((&o.key, o.bytes, o.records), (key, b.len() as u64, c));
            }
            assert_eq!(ch.instances.len(), n);
            assert!(ch.ratio.records <= (total / n as u64 + 1) as f64 / (total / n as u64) as f64);
            // Key order is input order.
            let cat: Vec<u8> = objs.iter().flat_map(|o| o.1.clone()).collect();
            assert!(cat == bytes, "{name} N={n} K={k}: concatenation differs");
        }
    }
}

#[test]
fn shuffle_is_a_seeded_permutation() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in inputs() {
        let input = dir.path().join(name);
        std::fs::write(&input, &bytes).unwrap();
        let mut outs = Vec::new();
        for (tag, seed) in [("a", 7), ("b", 7), ("c", 8)] {
            let dest = dir.path().join(format!("sh-{name}-{tag}"));
            let mut o = opts(3);
            o.shuffle = true;
            o.seed = seed;
            // Tiny buckets: many of them.
            o.shuffle_bucket_bytes = 512;
            o.tmp_dir = Some(dir.path().join("tmp"));
            std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
            run(&input, &dest, &o).unwrap();
            let cat: Vec<u8> = objects(&dest, "train")
                .into_iter()
                .flat_map(|o| o.1)
                .collect();
            outs.push(cat);
        }
        assert_eq!(outs[0], outs[1], "{name}: same seed, same bytes");
        assert_ne!(outs[0], outs[2], "{name}: another seed, another order");
        assert_ne!(outs[0], bytes, "{name}: shuffled");
        let mut want = records(name, &bytes);
        want.sort();
        for out in &outs {
            let mut got = records(name, out);
            got.sort();
            assert!(
                got == want,
                "{name}: not a permutation of the input records"
            );
        }
        // The buckets are gone.
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
}

#[test]
fn split_sizes_are_exact_and_order_is_kept_without_shuffle() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(42);
    let csv = dense_csv(&mut rng, 1003, 3);
    let input = dir.path().join("in.csv");
    std::fs::write(&input, &csv).unwrap();
    let mut o = opts(4);
    o.split = vec![
        ("train".into(), 0.8),
        ("validation".into(), 0.1),
        ("test".into(), 0.1),
    ];
    o.seed = 11;
    let dest = dir.path().join("out");
    let report = run(&input, &dest, &o).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let mut all = Vec::new();
    for (ch, want) in [("train", 803), ("validation", 100), ("test", 100)] {
        let text: String = objects(&dest, ch)
            .into_iter()
            .map(|o| String::from_utf8(o.1).unwrap())
            .collect();
        let got: Vec<&str> = text.lines().collect();
        assert_eq!(got.len(), want, "{ch}");
        // A subsequence of the input: order kept.
        let mut it = lines.iter();
        assert!(
            got.iter().all(|g| it.any(|l| l == g)),
            "{ch}: order changed"
        );
        all.extend(got.iter().map(|s| s.to_string()));
    }
    let mut want: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    all.sort();
    want.sort();
    assert_eq!(all, want);
    let d: Vec<Distribution> = report.channels.iter().map(|c| c.distribution).collect();
    assert_eq!(
        d,
        [
            Distribution::ShardedByS3Key,
            Distribution::FullyReplicated,
            Distribution::FullyReplicated
        ]
    );
    // The same seed splits the same way; another seed differently.
    let again = dir.path().join("again");
    run(&input, &again, &o).unwrap();
    assert_eq!(objects(&dest, "test"), objects(&again, "test"));
    o.seed = 12;
    let other = dir.path().join("other");
    run(&input, &other, &o).unwrap();
    assert_ne!(objects(&dest, "test"), objects(&other, "test"));
}

#[test]
fn conversion_equals_convert_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(9);
    let csv = dense_csv(&mut rng, 301, 5).into_bytes();
    let svm = sparse_libsvm(&mut rng, 301, 30).into_bytes();
    for (name, bytes, to, ext) in [
        ("c.csv", &csv, "recordio-protobuf", "pbr"),
        ("s.libsvm", &svm, "recordio-protobuf", "pbr"),
        ("s2.libsvm", &svm, "csv", "csv"),
    ] {
        let input = dir.path().join(name);
        std::fs::write(&input, bytes).unwrap();
        let want = convert_bytes(bytes, name, to, &ConvertOptions::default()).unwrap();
        let mut o = opts(3);
        o.convert.to = Some(to.parse().unwrap());
        let dest = dir.path().join(format!("out-{name}"));
        let report = run(&input, &dest, &o).unwrap();
        assert!(!report.frame_copy);
        let objs = objects(&dest, "train");
        assert!(objs.iter().all(|o| o.0.ends_with(ext)), "{objs:?}");
        let counts: Vec<usize> = objs.iter().map(|(k, b)| records(k, b).len()).collect();
        assert_eq!(counts, vec![101, 100, 100], "{name}");
        let cat: Vec<u8> = objs.into_iter().flat_map(|o| o.1).collect();
        assert!(cat == want, "{name} -> {to}: differs from convert");
    }
}

#[test]
fn manifests_and_channels_json_resolve_to_the_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (name, bytes) = inputs().remove(3);
    let input = dir.path().join(name);
    std::fs::write(&input, &bytes).unwrap();
    let dest = dir.path().join("out");
    let mut o = opts(2);
    o.split = vec![("train".into(), 0.5), ("validation".into(), 0.5)];
    o.objects = ObjectCount::PerInstance(2);
    run(&input, &dest, &o).unwrap();
    for ch in ["train", "validation"] {
        let m = Manifest::read(dest.join(format!("{ch}.manifest")).to_str().unwrap()).unwrap();
        let want: Vec<String> = objects(&dest, ch)
            .into_iter()
            .map(|o| format!("file://{}/{ch}/{}", dest.display(), o.0))
            .collect();
        assert_eq!(m.uris(), want);
        let check = sm_data::manifest::check(dest.join(format!("{ch}.manifest")).to_str().unwrap())
            .unwrap();
        assert!(check.ok(), "{:?}", check.errors);
    }
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest.join("channels.json")).unwrap()).unwrap();
    assert_eq!(cfg[0]["ChannelName"], "train");
    assert_eq!(cfg[0]["ContentType"], "application/x-recordio-protobuf");
    assert_eq!(cfg[0]["RecordWrapperType"], "None");
    assert_eq!(cfg[0]["InputMode"], "File");
    let s3 = &cfg[0]["DataSource"]["S3DataSource"];
    assert_eq!(s3["S3DataType"], "S3Prefix");
    assert_eq!(s3["S3DataDistributionType"], "ShardedByS3Key");
    assert_eq!(s3["S3Uri"], format!("file://{}/train/", dest.display()));
    assert_eq!(
        cfg[1]["DataSource"]["S3DataSource"]["S3DataDistributionType"],
        "FullyReplicated"
    );

    // Where DEST will be uploaded; ManifestFile; Pipe.
    let dest2 = dir.path().join("out2");
    o.s3_uri_prefix = Some("s3://bucket/data".into());
    o.data_type = S3DataType::ManifestFile;
    o.input_mode = InputMode::Pipe;
    run(&input, &dest2, &o).unwrap();
    let m = std::fs::read_to_string(dest2.join("train.manifest")).unwrap();
    assert_eq!(
        m,
        r#"[{"prefix": "s3://bucket/data/train/"}, "part-00000.pbr", "part-00001.pbr", "part-00002.pbr", "part-00003.pbr"]"#
    );
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest2.join("channels.json")).unwrap()).unwrap();
    assert_eq!(
        cfg[1]["DataSource"]["S3DataSource"]["S3Uri"],
        "s3://bucket/data/validation.manifest"
    );
    assert_eq!(cfg[1]["InputMode"], "Pipe");

    // A manifest as input: the objects it lists, in its order.
    let dest3 = dir.path().join("out3");
    let report = shard(
        &[dest.join("train.manifest").display().to_string()],
        dest3.to_str().unwrap(),
        &opts(1),
    )
    .unwrap();
    assert_eq!(report.inputs, 4);
    let cat: Vec<u8> = objects(&dest3, "train")
        .into_iter()
        .flat_map(|o| o.1)
        .collect();
    let want: Vec<u8> = objects(&dest, "train")
        .into_iter()
        .flat_map(|o| o.1)
        .collect();
    assert_eq!(cat, want);
}

#[test]
fn dry_run_writes_nothing_and_reports_the_same_plan() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(3);
    let input = dir.path().join("in.libsvm");
    std::fs::write(&input, sparse_libsvm(&mut rng, 500, 50)).unwrap();
    let mut o = opts(4);
    o.objects = ObjectCount::PerInstance(2);
    o.dry_run = true;
    let dest = dir.path().join("out");
    let dry = run(&input, &dest, &o).unwrap();
    assert!(!dest.exists());
    o.dry_run = false;
    let real = run(&input, &dest, &o).unwrap();
    assert_eq!(dry.channels, real.channels);
    assert!(dry.dry_run && !real.dry_run);
    // With --shuffle, records are exact and bytes estimated; still nothing written.
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    o.dry_run = true;
    o.shuffle = true;
    o.tmp_dir = Some(tmp.clone());
    let dest2 = dir.path().join("out2");
    let dry = run(&input, &dest2, &o).unwrap();
    assert!(!dry.bytes_exact && !dest2.exists());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    let recs: Vec<u64> = dry.channels[0].objects.iter().map(|o| o.records).collect();
    assert_eq!(recs, vec![63, 62, 63, 62, 63, 62, 63, 62]);
}

#[test]
fn refusals() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "1,2\n0,3\n1,4\n").unwrap();
    let dest = dir.path().join("out");
    let msg = |o: &ShardOptions| run(&input, &dest, o).unwrap_err().to_string();
    // Fewer records than instances.
    let e = msg(&opts(4));
    assert!(e.contains("3 records for 4 instances"), "{e}");
    // A channel that would be empty.
    let mut o = opts(1);
    o.split = vec![("train".into(), 0.9), ("validation".into(), 0.1)];
    let e = msg(&o);
    assert!(e.contains("channel validation would be empty"), "{e}");
    // Fractions that do not add up; bad channel names.
    o.split = vec![("train".into(), 0.9), ("validation".into(), 0.2)];
    assert!(msg(&o).contains("add up to"));
    o.split = vec![("tr/ain".into(), 1.0)];
    assert!(msg(&o).contains("not valid"));
    // FastFile reads S3Prefix only.
    let mut o = opts(1);
    o.input_mode = InputMode::FastFile;
    o.data_type = S3DataType::ManifestFile;
    assert!(msg(&o).contains("FastFile"));
    assert!(!dest.exists(), "nothing was written");
    // A non-empty destination, without and with --force.
    run(&input, &dest, &opts(3)).unwrap();
    let e = msg(&opts(3));
    assert!(e.contains("is not empty") && e.contains("--force"), "{e}");
    let mut o = opts(1);
    o.overwrite = true;
    let e = msg(&o);
    assert!(
        e.contains("part-00001.csv") && e.contains("not part of this plan"),
        "{e}"
    );
    let mut o = opts(3);
    o.overwrite = true;
    run(&input, &dest, &o).unwrap();
    // Standard input cannot be read twice; the input inside DEST.
    let e = shard(&["-".into()], dest.to_str().unwrap(), &opts(1)).unwrap_err();
    assert!(
        e.is_config() && e.to_string().contains("standard input"),
        "{e}"
    );
    let inner = dest.join("train/part-00000.csv").display().to_string();
    let mut o = opts(1);
    o.overwrite = true;
    let e = shard(&[inner], dest.to_str().unwrap(), &o).unwrap_err();
    assert!(e.to_string().contains("inside the destination"), "{e}");
}

#[test]
fn bad_input_is_located_and_leaves_no_objects_or_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = Vec::new();
    for i in 0..10u8 {
        recordio::encode_record(&mut rec, &[i; 9]).unwrap();
    }
    rec[20 * 4] = 0; // the magic of record 5
    let input = dir.path().join("bad.rec");
    std::fs::write(&input, &rec).unwrap();
    let dest = dir.path().join("out");
    let e = run(&input, &dest, &opts(2)).unwrap_err();
    let s = e.to_string();
    assert!(s.contains("bad.rec") && s.contains("byte offset 80"), "{s}");
    assert!(!dest.join("train.manifest").exists() && !dest.join("channels.json").exists());
}

#[test]
fn cli_shards_reports_json_and_refuses_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(5);
    std::fs::write(dir.path().join("a.csv"), dense_csv(&mut rng, 50, 2)).unwrap();
    std::fs::write(dir.path().join("b.csv"), dense_csv(&mut rng, 51, 2)).unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    std::fs::rename(dir.path().join("b.csv"), dir.path().join("in/b.csv")).unwrap();
    let o = sm_data(
        dir.path(),
        &[
            "shard",
            "a.csv",
            "in",
            "--instances",
            "4",
            "--out",
            "dest",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["inputs"], 2);
    assert_eq!(r["channels"][0]["records"], 101);
    assert_eq!(r["channels"][0]["objects"].as_array().unwrap().len(), 4);
    assert_eq!(r["channels"][0]["worst_case_ratio"]["records"], 26.0 / 25.0);
    let o = sm_data(dir.path(), &["manifest", "check", "dest/train.manifest"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sm_data(dir.path(), &["manifest", "expand", "dest/train.manifest"]);
    let lines = String::from_utf8(o.stdout).unwrap();
    assert_eq!(lines.lines().count(), 4);
    assert!(
        lines
            .lines()
            .all(|l| l.starts_with("file://") && l.contains("/dest/train/part-0000"))
    );
    // Text report; dry run with a target size.
    let o = sm_data(
        dir.path(),
        &[
            "shard",
            "a.csv",
            "-n",
            "2",
            "-o",
            "dry",
            "--dry-run",
            "--target-object-size",
            "200",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with("dry run (nothing written): 50 records csv -> csv"),
        "{text}"
    );
    assert!(
        text.contains("algo-2") && text.contains("worst/best instance"),
        "{text}"
    );
    assert!(!dir.path().join("dry").exists());
    // Refusals exit with 2 and say why.
    let o = sm_data(dir.path(), &["shard", "a.csv", "-n", "4", "-o", "dest"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not empty"), "{}", stderr(&o));
    let o = sm_data(dir.path(), &["shard", "a.csv", "-n", "64", "-o", "d2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("50 records for 64 instances"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_json_document_is_refused_with_a_pointer_to_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    std::fs::write(&input, br#"{"instances":[[1,2],[3,4]]}"#).unwrap();
    let err = run(&input, &dir.path().join("out"), &opts(2)).unwrap_err();
    assert!(err.to_string().contains("JSON Lines"), "{err}");
    assert!(!dir.path().join("out").exists());
}
