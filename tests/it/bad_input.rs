//! Bad input: a specific error with file, line or record, and byte offset;
//! a non-zero exit; no output left behind.

use sm_data::ErrorKind;
use sm_data::codec::recordio;
use sm_data::convert::ConvertOptions;
use sm_data::pipeline;

use super::util::{convert_bytes, convert_stream, read_testdata, sm_data, stderr};

fn small_chunks() -> ConvertOptions {
    ConvertOptions {
        pipeline: pipeline::Options {
            threads: 2,
            chunk_size: 16,
            window: 0,
        },
        ..ConvertOptions::default()
    }
}

#[test]
fn csv_errors_name_line_field_and_offset() {
    let csv = b"1,2,3\n4,5,6\n7,x8,9\n";
    for o in [ConvertOptions::default(), small_chunks()] {
        let e = convert_bytes(csv, "bad.csv", "recordio-protobuf", &o).unwrap_err();
        let p = e.position();
        assert_eq!(p.file.as_deref(), Some("bad.csv"));
        assert_eq!(p.line, Some(2), "{e}");
        assert_eq!(p.field, Some(1), "{e}");
        assert_eq!(p.byte, Some(14), "{e}");
        assert!(e.to_string().contains("\"x8\""), "{e}");
    }
}

#[test]
fn ragged_csv_rows_are_caught_across_chunks() {
    let mut csv = String::new();
    for i in 0..50 {
        csv.push_str(&format!("{i},1,2\n"));
    }
    csv.push_str("9,1\n");
    for o in [ConvertOptions::default(), small_chunks()] {
        let e = convert_bytes(csv.as_bytes(), "r.csv", "libsvm", &o).unwrap_err();
        assert_eq!(e.position().record, Some(50), "{e}");
        // Inside one chunk the CSV decoder counts fields; across chunks the
        // pipeline counts features. Either way the bad row is named.
        let msg = e.to_string();
        assert!(
            msg.contains("expected 3 fields like the first record of this block, found 2")
                || msg.contains("has 1 features but the records before it have 2"),
            "{e}"
        );
    }
}

#[test]
fn libsvm_errors_name_the_token() {
    for (text, what, line) in [
        (&b"1 0:1\n0 -3:2\n"[..], "-3:2", 1),
        (b"1 0:1\n1 2:1\n0 1:abc\n", "1:abc", 2),
        (b"1 0:1 3\n", "3", 0),
        (b"x 0:1\n", "x", 0),
    ] {
        let e = convert_bytes(
            text,
            "b.libsvm",
            "recordio-protobuf",
            &ConvertOptions {
                num_features: Some(10),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.position().line, Some(line), "{e}");
        assert!(e.position().byte.is_some(), "{e}");
        assert!(e.to_string().contains(what), "{e}");
    }
    // 1-based input with index 0.
    let o = ConvertOptions {
        libsvm_one_based_in: true,
        num_features: Some(5),
        ..Default::default()
    };
    let e = convert_bytes(b"1 0:1\n", "b.libsvm", "csv", &o).unwrap_err();
    assert!(e.to_string().contains('0'), "{e}");
}

#[test]
fn recordio_errors_name_record_and_offset() {
    let good = read_testdata("recordio-protobuf/dense_f32_label.pbr");
    // Bad magic at the third record.
    let d = recordio::Decoder::new();
    let first = d.next_record(&good, true).unwrap().unwrap().consumed;
    let mut bad = good.clone();
    bad[2 * first] ^= 0xff;
    for o in [ConvertOptions::default(), small_chunks()] {
        let e = convert_bytes(&bad, "m.pbr", "csv", &o).unwrap_err();
        assert_eq!(e.position().byte, Some(2 * first as u64), "{e}");
        assert!(e.to_string().contains("magic"), "{e}");
        assert_eq!(e.position().file.as_deref(), Some("m.pbr"));
    }
    // Truncated in the middle of the last record, mapped and streamed.
    let cut = &good[..good.len() - 10];
    for e in [
        convert_bytes(cut, "t.pbr", "csv", &ConvertOptions::default()).unwrap_err(),
        convert_stream(cut, "t.pbr", "csv", &small_chunks()).unwrap_err(),
    ] {
        assert!(matches!(e.kind(), ErrorKind::Truncated { .. }), "{e}");
        assert_eq!(e.position().byte, Some((good.len() - first) as u64), "{e}");
    }
    // A payload that is not a protobuf Record.
    let mut junk = Vec::new();
    recordio::encode_record(&mut junk, &good[8..first]).unwrap();
    recordio::encode_record(&mut junk, b"\xff\xff\xff").unwrap();
    let e = convert_bytes(&junk, "j.pbr", "csv", &ConvertOptions::default()).unwrap_err();
    assert_eq!(e.position().record, Some(1), "{e}");
    // The payload starts after the record's 8-byte header.
    assert_eq!(e.position().byte, Some(first as u64 + 8), "{e}");
    assert!(e.to_string().contains("varint"), "{e}");
}

#[test]
fn the_cli_leaves_no_output_on_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.csv"), "1,2\n3,oops\n").unwrap();
    let o = sm_data(dir.path(), &["convert", "bad.csv", "out.pbr"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("bad.csv: line 2, field 2, byte offset 6"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("bad.csv")],
        "temporary output left behind"
    );
}

#[test]
fn the_cli_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        super::util::testdata("csv/dense.csv"),
        dir.path().join("d.csv"),
    )
    .unwrap();
    std::fs::write(dir.path().join("out.pbr"), b"precious").unwrap();
    let o = sm_data(dir.path(), &["convert", "d.csv", "out.pbr"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("out.pbr")).unwrap(),
        b"precious"
    );
    // A failed run with --force keeps the old file too.
    std::fs::write(dir.path().join("bad.csv"), "1,x\n").unwrap();
    let o = sm_data(dir.path(), &["convert", "bad.csv", "out.pbr", "--force"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read(dir.path().join("out.pbr")).unwrap(),
        b"precious"
    );
    let o = sm_data(dir.path(), &["convert", "d.csv", "out.pbr", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("out.pbr")).unwrap(),
        read_testdata("recordio-protobuf/dense_f32_label.pbr")
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        super::util::testdata("libsvm/sparse.libsvm"),
        dir.path().join("s.libsvm"),
    )
    .unwrap();
    for args in [
        &["convert", "s.libsvm", "out.unknown"][..],
        &["convert", "s.libsvm", "o.pbr", "--dtype", "float16"],
        &[
            "convert",
            "s.libsvm",
            "o.pbr",
            "--from",
            "text/csv;label_size=x",
        ],
        &["convert", "missing.csv", "o.pbr"],
    ] {
        let o = sm_data(dir.path(), args);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert!(!stderr(&o).is_empty());
        assert!(!dir.path().join("o.pbr").exists());
    }
    let o = sm_data(dir.path(), &["convert", "s.libsvm", "out.unknown"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--to"), "{}", stderr(&o));
}

#[test]
fn a_stream_of_libsvm_needs_the_number_of_features_for_dense_output() {
    let dir = tempfile::tempdir().unwrap();
    let o = super::util::sm_data_stdin(
        dir.path(),
        &["convert", "-", "-", "--from", "libsvm", "--to", "csv"],
        b"1 3:1\n",
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--num-features"), "{}", stderr(&o));
    let o = super::util::sm_data_stdin(
        dir.path(),
        &[
            "convert",
            "-",
            "-",
            "--from",
            "libsvm",
            "--to",
            "csv",
            "--num-features",
            "5",
        ],
        b"1 3:1\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, b"1,0,0,0,1,0\n");
}

/// Found by the `convert` fuzz target: with `--num-features`, ragged CSV
/// rows in different chunks were padded instead of reported.
#[test]
fn ragged_csv_rows_are_caught_across_chunks_with_num_features() {
    let csv = "1,2,3\n1,2,3\n1,2,3\n1,2,3,4,5,6\n";
    for chunk_size in [4, 1 << 20] {
        let o = ConvertOptions {
            num_features: Some(21),
            pipeline: pipeline::Options {
                threads: 1,
                chunk_size,
                window: 0,
            },
            ..ConvertOptions::default()
        };
        let e = convert_bytes(csv.as_bytes(), "r.csv", "recordio-protobuf", &o).unwrap_err();
        assert_eq!(e.position().record, Some(3), "chunk size {chunk_size}: {e}");
    }
}
