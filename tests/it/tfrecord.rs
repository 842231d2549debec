//! TFRecord: the spec §3.1 test vectors byte for byte, frame copy to and
//! from RecordIO, CRC checks with located errors, count and inspect.

use sm_data::codec::tfrecord;
use sm_data::convert::ConvertOptions;
use sm_data::format::tfrecord::{Reader, SliceReader, Writer};
use sm_data::pipeline;

use super::util::{convert_bytes, convert_stream, read_testdata, sm_data, sm_data_stdin, stderr};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn writer_matches_the_spec_vectors_and_the_golden_file() {
    let mut w = Writer::new(Vec::new());
    w.write_record(b"").unwrap();
    w.write_record(b"hello").unwrap();
    let (bytes, n, len) = w.finish().unwrap();
    assert_eq!((n, len), (2, 37));
    assert_eq!(
        bytes,
        hex("0000000000000000 29039807 d8ea82a2 0500000000000000 eab2043e 68656c6c6f bb1f1c19")
    );
    assert_eq!(bytes, read_testdata("tfrecord/vectors.tfrecord"));
    let got: Vec<&[u8]> = SliceReader::new(&bytes, tfrecord::Decoder::new())
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(got, vec![&b""[..], b"hello"]);
    let mut r = Reader::new(&bytes[..], tfrecord::Decoder::new());
    assert_eq!(r.read_record().unwrap().unwrap(), b"");
    assert_eq!(r.read_record().unwrap().unwrap(), b"hello");
    assert!(r.read_record().unwrap().is_none());
}

#[test]
fn recordio_and_tfrecord_convert_both_ways_by_frame_copy() {
    for name in ["dense_f32_label", "sparse_f32_label"] {
        let pbr = read_testdata(&format!("recordio-protobuf/{name}.pbr"));
        let tf = read_testdata(&format!("tfrecord/{name}.tfrecord"));
        let o = ConvertOptions::default();
        assert_eq!(
            convert_bytes(&pbr, "a.pbr", "tfrecord", &o).unwrap(),
            tf,
            "{name}"
        );
        assert_eq!(
            convert_bytes(&tf, "a.tfrecord", "recordio-protobuf", &o).unwrap(),
            pbr
        );
        assert_eq!(
            convert_bytes(&tf, "a.tfrecord", "recordio", &o).unwrap(),
            pbr
        );
        assert_eq!(
            convert_bytes(&tf, "a.tfrecord", "tfrecord", &o).unwrap(),
            tf
        );
        // Chunk boundaries, streams and threads change nothing.
        for chunk_size in [1, 7, 64, 1 << 20] {
            for threads in [1, 2] {
                let o = ConvertOptions {
                    pipeline: pipeline::Options {
                        threads,
                        chunk_size,
                        window: 0,
                    },
                    ..ConvertOptions::default()
                };
                assert_eq!(
                    convert_stream(&tf, "s", "recordio", &{
                        let mut o = o.clone();
                        o.from = Some("tfrecord".parse().unwrap());
                        o
                    })
                    .unwrap(),
                    pbr
                );
                assert_eq!(convert_bytes(&pbr, "a.pbr", "tfrecord", &o).unwrap(), tf);
            }
        }
    }
}

#[test]
fn cli_counts_inspects_and_sniffs_tfrecord() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("noext"),
        read_testdata("tfrecord/dense_f32_label.tfrecord"),
    )
    .unwrap();
    let o = sm_data(dir.path(), &["count", "noext"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "6\n", "{}", stderr(&o));
    let o = sm_data(dir.path(), &["inspect", "noext", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "tfrecord");
    assert_eq!(v["content_type"], "application/x-tfrecord");
    assert_eq!(v["records"], 6);
    assert_eq!(v["payload_bytes"]["min"], 56);
    let o = sm_data(dir.path(), &["convert", "noext", "out.rec", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("out.rec")).unwrap(),
        read_testdata("recordio-protobuf/dense_f32_label.pbr")
    );
    // From stdin, with a content type.
    let o = sm_data_stdin(
        dir.path(),
        &[
            "convert",
            "-",
            "-",
            "--from",
            "application/x-tfrecord",
            "--to",
            "recordio",
        ],
        &read_testdata("tfrecord/sparse_f32_label.tfrecord"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        o.stdout,
        read_testdata("recordio-protobuf/sparse_f32_label.pbr")
    );
}

#[test]
fn payload_conversions_are_refused_clearly_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.tfrecord"),
        read_testdata("tfrecord/dense_f32_label.tfrecord"),
    )
    .unwrap();
    std::fs::copy(
        super::util::testdata("csv/dense.csv"),
        dir.path().join("d.csv"),
    )
    .unwrap();
    for (args, msg) in [
        (
            &["convert", "a.tfrecord", "x.csv"][..],
            "cannot convert tfrecord to csv",
        ),
        (
            &["convert", "d.csv", "x.tfrecord"][..],
            "cannot convert csv to tfrecord",
        ),
        (
            &["convert", "a.tfrecord", "x.pbr", "--dtype", "float64"][..],
            "TFRecord frames are copied as they are",
        ),
    ] {
        let o = sm_data(dir.path(), args);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert!(stderr(&o).contains(msg), "{args:?}: {}", stderr(&o));
        assert!(!dir.path().join(args[2]).exists(), "{args:?} left output");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}
