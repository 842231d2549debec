//! JSON Lines and JSON: the SageMaker SDK's serialized payloads read
//! correctly, lossless round trips with CSV and RecordIO-protobuf,
//! chunk-boundary invariance, valid JSON out, and the CLI flags.

use sm_data::codec::json::{JsonOptions, JsonShape};
use sm_data::convert::ConvertOptions;
use sm_data::{Dtype, pipeline};

use super::util::{
    Rng, convert_bytes, convert_stream, dense_csv, read_testdata, sm_data, sm_data_stdin, stderr,
    testdata,
};

fn o() -> ConvertOptions {
    ConvertOptions::default()
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap()
}

#[test]
fn sdk_json_lines_read_like_the_golden_csv_and_recordio_protobuf() {
    let csv = read_testdata("csv/dense.csv");
    let jl = read_testdata("json/dense.jsonl");
    assert_eq!(convert_bytes(&jl, "d.jsonl", "csv", &o()).unwrap(), csv);
    assert_eq!(
        convert_bytes(&jl, "d.jsonl", "recordio-protobuf", &o()).unwrap(),
        read_testdata("recordio-protobuf/dense_f32_label.pbr")
    );
    let sparse = read_testdata("json/sparse.jsonl");
    assert_eq!(
        convert_bytes(&sparse, "s.jsonl", "recordio-protobuf", &o()).unwrap(),
        read_testdata("recordio-protobuf/sparse_f32_label.pbr")
    );
    assert_eq!(
        convert_bytes(&sparse, "s.jsonl", "libsvm", &o()).unwrap(),
        read_testdata("libsvm/sparse.libsvm")
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .flat_map(|l| {
                // sklearn writes "2 " for a row without features; sm-data "2".
                let mut l = l.to_vec();
                while l.last() == Some(&b' ') {
                    l.pop();
                }
                l.push(b'\n');
                l
            })
            .collect::<Vec<u8>>()
    );
}

#[test]
fn round_trips_are_lossless_with_csv_and_recordio_protobuf() {
    let csv = read_testdata("csv/dense.csv");
    let jl = convert_bytes(&csv, "d.csv", "jsonl", &o()).unwrap();
    assert_eq!(convert_bytes(&jl, "d.jsonl", "csv", &o()).unwrap(), csv);
    let js = convert_bytes(&csv, "d.csv", "json", &o()).unwrap();
    assert_eq!(convert_bytes(&js, "d.json", "csv", &o()).unwrap(), csv);
    for (name, dtype) in [
        ("dense_f32_label", None),
        ("dense_f32_nolabel", None),
        ("sparse_f32_label", None),
        ("sparse_f32_zero_row", None),
        ("dense_f64_label", Some(Dtype::Float64)),
        ("sparse_f64_label", Some(Dtype::Float64)),
        ("dense_int32_label", Some(Dtype::Int32)),
    ] {
        let pbr = read_testdata(&format!("recordio-protobuf/{name}.pbr"));
        let back = ConvertOptions { dtype, ..o() };
        for to in ["jsonl", "json"] {
            let j = convert_bytes(&pbr, "a.pbr", to, &o()).unwrap();
            let again = convert_bytes(&j, &format!("a.{to}"), "recordio-protobuf", &back)
                .unwrap_or_else(|e| panic!("{name} {to}: {e}"));
            assert_eq!(again, pbr, "{name} via {to}");
        }
    }
    // Random dense data with missing values: valid JSON (NaN is null).
    let mut text_csv = dense_csv(&mut Rng(11), 50, 6);
    text_csv.push_str("1,,nan,3,0,-0,nan\n");
    let j = convert_bytes(text_csv.as_bytes(), "r.csv", "json", &o()).unwrap();
    serde_json::from_slice::<serde_json::Value>(&j).expect("valid JSON");
    let back = convert_bytes(&j, "r.json", "csv", &o()).unwrap();
    assert_eq!(text(back), text_csv.replace(",nan", ","));
    // Infinities are written as ±1e999, which Python's json reads as ±inf.
    let j = convert_bytes(b"1,inf,-inf\n", "i.csv", "jsonl", &o()).unwrap();
    assert_eq!(
        text(j.clone()),
        "{\"features\":[1e999,-1e999],\"label\":1}\n"
    );
    assert_eq!(
        convert_bytes(&j, "i.jsonl", "csv", &o()).unwrap(),
        b"1,inf,-inf\n"
    );
}

#[test]
fn requests_and_responses_read_as_rows() {
    let features: String = text(read_testdata("csv/dense.csv"))
        .lines()
        .map(|l| format!("{}\n", l.split_once(',').unwrap().1))
        .collect();
    for f in ["json/request.json", "json/ndarray.json"] {
        let out = convert_bytes(&read_testdata(f), "r.json", "csv", &o()).unwrap();
        assert_eq!(text(out), features, "{f}");
    }
    let out = convert_bytes(&read_testdata("json/response.json"), "p.json", "csv", &o()).unwrap();
    assert_eq!(text(out), "0.25,0\n0.75,1\n0.5,1\n");
    let out = convert_bytes(
        &read_testdata("json/projections.json"),
        "p.json",
        "jsonl",
        &o(),
    )
    .unwrap();
    assert_eq!(
        text(out),
        "{\"features\":[0,-1.5]}\n{\"features\":[1.375,7.5]}\n"
    );
    // JSON Lines responses need --response.
    let lines = b"{\"score\": 0.5}\n{\"score\": 0.25}\n";
    let e = convert_bytes(lines, "p.jsonl", "csv", &o()).unwrap_err();
    assert!(e.to_string().contains("no \"features\" field"), "{e}");
    let r = ConvertOptions {
        json: JsonOptions {
            response: true,
            ..JsonOptions::default()
        },
        ..o()
    };
    assert_eq!(
        text(convert_bytes(lines, "p.jsonl", "csv", &r).unwrap()),
        "0.5\n0.25\n"
    );
    // The inference shapes, dense and sparse mixed, one per line.
    let inf = read_testdata("json/inference.jsonl");
    let out = text(convert_bytes(&inf, "i.jsonl", "jsonl", &o()).unwrap());
    assert_eq!(
        out,
        concat!(
            "{\"features\":[0,-1.5,2,0.125,-3.5]}\n",
            "{\"features\":[1.375,7.5,5.375,-4.125,-3.75]}\n",
            "{\"features\":{\"keys\":[0,1,2,5,9],\"values\":[0.375,3.375,-1.625,-1.25,-1.75],\"shape\":[10]}}\n",
            "{\"features\":{\"keys\":[3,9],\"values\":[-3.625,3.5],\"shape\":[10]}}\n",
        )
    );
}

#[test]
fn writes_requests_as_valid_json_even_when_empty() {
    assert_eq!(
        text(convert_bytes(b"", "e.csv", "json", &o()).unwrap()),
        "{\"instances\":[\n]}\n"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&convert_bytes(b"", "e.csv", "json", &o()).unwrap()).unwrap();
    assert_eq!(v["instances"].as_array().unwrap().len(), 0);
    let opts = ConvertOptions {
        json: JsonOptions {
            shape: JsonShape::Data,
            configuration: Some("{\"k\": 3}".into()),
            ..JsonOptions::default()
        },
        ..o()
    };
    let out = convert_bytes(b"1,2,3\n0,4,5\n", "a.csv", "json", &opts).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["configuration"]["k"], 3);
    assert_eq!(v["instances"][1]["data"]["features"]["values"][1], 5);
    assert_eq!(v["instances"][1]["data"]["label"]["values"][0], 0);
    // Sparse output from dense input, and dense output from sparse input.
    let sparse = ConvertOptions {
        sparse: Some(true),
        ..o()
    };
    assert_eq!(
        text(convert_bytes(b"1,0,2\n", "a.csv", "jsonl", &sparse).unwrap()),
        "{\"features\":{\"keys\":[1],\"values\":[2],\"shape\":[2]},\"label\":1}\n"
    );
    let dense = ConvertOptions {
        sparse: Some(false),
        num_features: Some(4),
        ..o()
    };
    assert_eq!(
        text(convert_bytes(b"1 2:5\n", "a.libsvm", "jsonl", &dense).unwrap()),
        "{\"features\":[0,0,5,0],\"label\":1}\n"
    );
}

fn with(chunk_size: usize, threads: usize) -> ConvertOptions {
    ConvertOptions {
        pipeline: pipeline::Options {
            threads,
            chunk_size,
            window: 0,
        },
        ..o()
    }
}

fn assert_invariant(input: &[u8], name: &str, from: &str, to: &str) {
    let expected = convert_bytes(input, name, to, &o()).unwrap();
    assert!(!expected.is_empty());
    for size in [1, 2, 3, 5, 8, 13, 64, 100, 1000, 1 << 16] {
        for threads in [1, 2] {
            let mut opts = with(size, threads);
            assert_eq!(
                convert_bytes(input, name, to, &opts).unwrap(),
                expected,
                "{name}->{to} mapped size {size} threads {threads}"
            );
            opts.from = Some(from.parse().unwrap());
            assert_eq!(
                convert_stream(input, "stdin", to, &opts).unwrap(),
                expected,
                "{name}->{to} stream size {size} threads {threads}"
            );
        }
    }
}

#[test]
fn chunk_boundaries_change_nothing() {
    let mut jl = text(read_testdata("json/dense.jsonl"));
    jl.push_str("\n  \r\n{\"x\": \"a,]}\\\"\", \"features\": [1, 2, 3, 4, 5], \"label\": [3]}\r\n");
    jl.push_str("{\"label\": 1, \"features\": {\"values\": [1, 2, 3, 4, 5]}}");
    assert_invariant(jl.as_bytes(), "a.jsonl", "jsonl", "csv");
    assert_invariant(
        &read_testdata("json/sparse.jsonl"),
        "s.jsonl",
        "jsonl",
        "recordio-protobuf",
    );
    for f in [
        "json/request.json",
        "json/ndarray.json",
        "json/response.json",
    ] {
        assert_invariant(&read_testdata(f), "r.json", "json", "jsonl");
    }
    // A document whose elements hold strings with brackets and commas,
    // nested objects and a configuration after the array.
    let mut doc = String::from("\u{feff}{\"instances\" : [\n");
    for i in 0..40 {
        if i > 0 {
            doc.push_str(" ,\n");
        }
        doc.push_str(&format!(
            "{{\"uid\": \"[{i}],{{\\\"\", \"meta\": {{\"a\": [[], {{}}]}}, \"features\": [{i}, {}, 0.5e1]}}",
            i * 2
        ));
    }
    doc.push_str("], \"configuration\": {\"x\": [1, \"]\"]}}\n");
    assert_invariant(doc.as_bytes(), "d.json", "json", "csv");
    let out = text(convert_bytes(doc.as_bytes(), "d.json", "csv", &o()).unwrap());
    assert_eq!(out.lines().count(), 40);
    assert_eq!(out.lines().nth(7).unwrap(), "7,14,5");
}

#[test]
fn errors_in_later_chunks_have_absolute_positions() {
    let mut doc = String::from("{\"instances\": [");
    for i in 0..30 {
        doc.push_str(&format!("{{\"features\": [{i}, 1]}}, "));
    }
    let at = doc.len();
    doc.push_str("{\"features\": [1, 2, 3]}]}");
    for size in [1 << 20, 16] {
        for threads in [1, 2] {
            let e =
                convert_bytes(doc.as_bytes(), "d.json", "csv", &with(size, threads)).unwrap_err();
            // Within a chunk the decoder says it; across chunks convert does.
            assert!(e.to_string().contains("features"), "{e}");
            if size > 1000 {
                assert_eq!(e.position().record, Some(30), "{e}");
                assert_eq!(e.position().byte, Some(at as u64), "{e}");
            } else {
                assert_eq!(e.position().file.as_deref(), Some("d.json"), "{e}");
            }
        }
    }
    let mut jl = String::new();
    for i in 0..30 {
        jl.push_str(&format!("{{\"features\": [{i}]}}\n"));
    }
    let at = jl.len();
    jl.push_str("{\"features\": [1, x]}\n");
    for size in [1 << 20, 16] {
        let e = convert_bytes(jl.as_bytes(), "l.jsonl", "csv", &with(size, 2)).unwrap_err();
        assert_eq!(e.position().line, Some(30), "{e}");
        assert_eq!(e.position().byte, Some(at as u64 + 17), "{e}");
    }
}

#[test]
fn cli_flags_formats_and_content_types() {
    let dir = tempfile::tempdir().unwrap();
    let src = testdata("csv/dense.csv");
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            src.to_str().unwrap(),
            "req.json",
            "--json-shape",
            "data",
            "--configuration",
            "{\"k\":2}",
            "--label-field",
            "target",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("req.json")).unwrap()).unwrap();
    assert_eq!(v["instances"].as_array().unwrap().len(), 6);
    assert_eq!(v["instances"][0]["data"]["target"]["values"][0], 1);
    let o = sm_data(dir.path(), &["count", "req.json"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "6\n", "{}", stderr(&o));
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            "req.json",
            "back.csv",
            "--label-field",
            "target",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("back.csv")).unwrap(),
        read_testdata("csv/dense.csv")
    );
    // Content types, stdin, sniffing and inspect.
    let o = sm_data_stdin(
        dir.path(),
        &[
            "convert",
            "-",
            "-",
            "--to",
            "application/jsonlines",
            "--features-field",
            "x",
        ],
        b"1,2\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "{\"x\":[2],\"label\":1}\n",
        "{}",
        stderr(&o)
    );
    std::fs::write(dir.path().join("noext"), read_testdata("json/dense.jsonl")).unwrap();
    let o = sm_data(dir.path(), &["inspect", "noext", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "jsonl");
    assert_eq!(v["content_type"], "application/jsonlines");
    assert_eq!(v["records"], 6);
    assert_eq!(v["feature_dim"], 5);
    std::fs::write(dir.path().join("resp"), read_testdata("json/response.json")).unwrap();
    let o = sm_data(dir.path(), &["convert", "resp", "p.csv", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("p.csv")).unwrap(),
        "0.25,0\n0.75,1\n0.5,1\n"
    );
    let o = sm_data(
        dir.path(),
        &["convert", "resp", "x.json", "--configuration", "[1]"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!dir.path().join("x.json").exists());
}

#[test]
fn cli_writes_responses_that_read_back() {
    // Mock endpoint output for client tests: scores and labels as
    // {"predictions":[...]} and as JSON Lines, parsed back into the CSV.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.csv"), "0.25,0\n0.75,1\n0.5,1\n").unwrap();
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            "p.csv",
            "resp.json",
            "--label-size",
            "0",
            "--response",
            "--prediction-fields",
            "score,predicted_label",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("resp.json")).unwrap()).unwrap();
    assert_eq!(v["predictions"][1]["score"], 0.75);
    assert_eq!(v["predictions"][2]["predicted_label"], 1);
    let o = sm_data(dir.path(), &["convert", "resp.json", "back.csv", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("back.csv")).unwrap(),
        std::fs::read(dir.path().join("p.csv")).unwrap()
    );
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            "p.csv",
            "resp.jsonl",
            "--label-size",
            "0",
            "--response",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        text(std::fs::read(dir.path().join("resp.jsonl")).unwrap()),
        "{\"score\":[0.25,0]}\n{\"score\":[0.75,1]}\n{\"score\":[0.5,1]}\n"
    );
    let o = sm_data(
        dir.path(),
        &["convert", "resp.jsonl", "back2.csv", "--response", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("back2.csv")).unwrap(),
        std::fs::read(dir.path().join("p.csv")).unwrap()
    );
    // More fields than values: a located error, exit 1, no output.
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            "p.csv",
            "bad.json",
            "--label-size",
            "0",
            "--response",
            "--prediction-fields",
            "a,b,c",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 prediction fields"), "{}", stderr(&o));
    assert!(!dir.path().join("bad.json").exists());
}

#[test]
fn count_reads_json_lines_of_any_shape_by_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    // DeepAR series: not numeric examples, but records all the same. A
    // byte-order mark, blank and whitespace-only lines and CRLF endings
    // are skipped as convert skips them; no final newline.
    let deepar = "\u{feff}{\"start\":\"2020-01-01\",\"target\":[1,2]}\r\n\n  \t\r\n{\"start\":\"2020-01-02\",\"target\":[3]}\n\n{\"start\":\"2020-01-03\",\"target\":[]}";
    std::fs::write(dir.path().join("series.jsonl"), deepar).unwrap();
    let o = sm_data(dir.path(), &["count", "series.jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "3\n");
    // Numeric examples with the same layout: count = what convert reads.
    let examples = "\u{feff}{\"features\":[1,2],\"label\":0}\r\n\n \n{\"features\":[3,4],\"label\":1}\n{\"features\":[5,6],\"label\":0}";
    std::fs::write(dir.path().join("ex.jsonl"), examples).unwrap();
    let o = sm_data(dir.path(), &["count", "ex.jsonl"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "3\n", "{}", stderr(&o));
    let o = sm_data(dir.path(), &["convert", "ex.jsonl", "ex.csv", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("ex.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3);
    // The same counts streamed from stdin in small chunks (BOM only at
    // the very start).
    let o = sm_data_stdin(
        dir.path(),
        &["count", "-", "--from", "jsonl", "--chunk-size", "7"],
        deepar.as_bytes(),
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), "3\n", "{}", stderr(&o));
}
