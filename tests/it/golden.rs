//! Byte-exact agreement with the files the SageMaker Python SDK 2.x and
//! scikit-learn wrote (see testdata/README.md), in both directions.

use sm_data::codec::ChunkDecoder;
use sm_data::codec::csv::CsvOptions;
use sm_data::codec::libsvm;
use sm_data::convert::ConvertOptions;
use sm_data::{Batch, Dtype};

use super::util::{convert_bytes, read_testdata};

fn opts(dtype: Option<Dtype>, num_features: Option<u64>) -> ConvertOptions {
    ConvertOptions {
        dtype,
        num_features,
        ..ConvertOptions::default()
    }
}

fn assert_bytes_eq(actual: &[u8], expected: &[u8], what: &str) {
    if actual != expected {
        let at = actual
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(actual.len().min(expected.len()));
        panic!(
            "{what}: {} bytes vs golden {} bytes, first difference at byte {at}",
            actual.len(),
            expected.len()
        );
    }
}

#[test]
fn writes_dense_tensors_exactly_like_the_sdk() {
    let csv = read_testdata("csv/dense.csv");
    for (dtype, golden) in [
        (None, "recordio-protobuf/dense_f32_label.pbr"),
        (
            Some(Dtype::Float32),
            "recordio-protobuf/dense_f32_label.pbr",
        ),
        (
            Some(Dtype::Float64),
            "recordio-protobuf/dense_f64_label.pbr",
        ),
    ] {
        let out =
            convert_bytes(&csv, "dense.csv", "recordio-protobuf", &opts(dtype, None)).unwrap();
        assert_bytes_eq(&out, &read_testdata(golden), golden);
    }
    let ints = read_testdata("csv/dense_int.csv");
    let out = convert_bytes(
        &ints,
        "dense_int.csv",
        "recordio-protobuf",
        &opts(Some(Dtype::Int32), None),
    )
    .unwrap();
    assert_bytes_eq(
        &out,
        &read_testdata("recordio-protobuf/dense_int32_label.pbr"),
        "int32",
    );
}

#[test]
fn writes_unlabeled_dense_tensors_exactly_like_the_sdk() {
    // The SDK file holds dense.csv's features without labels.
    let csv = String::from_utf8(read_testdata("csv/dense.csv")).unwrap();
    let features: String = csv
        .lines()
        .map(|l| format!("{}\n", l.split_once(',').unwrap().1))
        .collect();
    let o = ConvertOptions {
        csv: CsvOptions {
            label: None,
            ..CsvOptions::default()
        },
        ..ConvertOptions::default()
    };
    let out = convert_bytes(features.as_bytes(), "f.csv", "recordio-protobuf", &o).unwrap();
    assert_bytes_eq(
        &out,
        &read_testdata("recordio-protobuf/dense_f32_nolabel.pbr"),
        "no label",
    );
    let o = ConvertOptions::default();
    let back = convert_bytes(
        &read_testdata("recordio-protobuf/dense_f32_nolabel.pbr"),
        "x.pbr",
        "csv",
        &o,
    )
    .unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), features);
}

#[test]
fn writes_sparse_tensors_exactly_like_the_sdk() {
    let svm = read_testdata("libsvm/sparse.libsvm");
    for (dtype, golden) in [
        (None, "recordio-protobuf/sparse_f32_label.pbr"),
        (
            Some(Dtype::Float64),
            "recordio-protobuf/sparse_f64_label.pbr",
        ),
    ] {
        // The number of features comes from the largest index (9) + 1.
        let out = convert_bytes(
            &svm,
            "sparse.libsvm",
            "recordio-protobuf",
            &opts(dtype, None),
        )
        .unwrap();
        assert_bytes_eq(&out, &read_testdata(golden), golden);
        let out = convert_bytes(
            &svm,
            "sparse.libsvm",
            "recordio-protobuf",
            &opts(dtype, Some(10)),
        )
        .unwrap();
        assert_bytes_eq(&out, &read_testdata(golden), golden);
    }
    // 1-based input gives the same tensors.
    let one = read_testdata("libsvm/sparse_1based.libsvm");
    let o = ConvertOptions {
        libsvm_one_based_in: true,
        ..ConvertOptions::default()
    };
    let out = convert_bytes(&one, "s.libsvm", "recordio-protobuf", &o).unwrap();
    assert_bytes_eq(
        &out,
        &read_testdata("recordio-protobuf/sparse_f32_label.pbr"),
        "1-based",
    );
    // An all-zero row is a tensor with only a shape.
    let zero = read_testdata("libsvm/zero_row.libsvm");
    let out = convert_bytes(
        &zero,
        "z.libsvm",
        "recordio-protobuf",
        &opts(None, Some(10)),
    )
    .unwrap();
    assert_bytes_eq(
        &out,
        &read_testdata("recordio-protobuf/sparse_f32_zero_row.pbr"),
        "zero row",
    );
}

#[test]
fn reads_sdk_dense_files_back_to_the_source_csv() {
    let o = ConvertOptions::default();
    for golden in [
        "recordio-protobuf/dense_f32_label.pbr",
        "recordio-protobuf/dense_f64_label.pbr",
    ] {
        let csv = convert_bytes(&read_testdata(golden), golden, "csv", &o).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            String::from_utf8(read_testdata("csv/dense.csv")).unwrap(),
            "{golden}"
        );
    }
    let csv = convert_bytes(
        &read_testdata("recordio-protobuf/dense_int32_label.pbr"),
        "i.pbr",
        "csv",
        &o,
    )
    .unwrap();
    assert_eq!(csv, read_testdata("csv/dense_int.csv"));
}

fn libsvm_batch(text: &[u8], one_based: bool) -> Batch {
    let mut b = Batch::default();
    libsvm::Decoder::new(libsvm::LibsvmOptions { one_based })
        .decode(text, true, &mut b)
        .unwrap();
    b
}

#[test]
fn reads_sdk_sparse_files_back_to_the_scikit_learn_libsvm() {
    let o = ConvertOptions::default();
    let expected = libsvm_batch(&read_testdata("libsvm/sparse.libsvm"), false);
    for golden in [
        "recordio-protobuf/sparse_f32_label.pbr",
        "recordio-protobuf/sparse_f64_label.pbr",
    ] {
        let text = convert_bytes(&read_testdata(golden), golden, "libsvm", &o).unwrap();
        let got = libsvm_batch(&text, false);
        assert_eq!(got.values, expected.values, "{golden}");
        assert_eq!(got.indices, expected.indices, "{golden}");
        assert_eq!(got.row_ends, expected.row_ends, "{golden}");
        assert_eq!(got.labels, expected.labels, "{golden}");
        // scikit-learn writes "2 " for a row without features; we write "2".
        let sk = String::from_utf8(read_testdata("libsvm/sparse.libsvm"))
            .unwrap()
            .replace(" \n", "\n");
        assert_eq!(String::from_utf8(text).unwrap(), sk, "{golden}");
    }
    // 1-based output matches scikit-learn's zero_based=False file.
    let o1 = ConvertOptions {
        libsvm_one_based_out: true,
        ..ConvertOptions::default()
    };
    let text = convert_bytes(
        &read_testdata("recordio-protobuf/sparse_f32_label.pbr"),
        "s.pbr",
        "libsvm",
        &o1,
    )
    .unwrap();
    let sk = String::from_utf8(read_testdata("libsvm/sparse_1based.libsvm"))
        .unwrap()
        .replace(" \n", "\n");
    assert_eq!(String::from_utf8(text).unwrap(), sk);
    // Sparse → dense CSV uses the tensors' shape.
    let csv = convert_bytes(
        &read_testdata("recordio-protobuf/sparse_f32_zero_row.pbr"),
        "z.pbr",
        "csv",
        &o,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "0,0,0,0,0,0,0,0,0,0,0\n1,0,0,0,0,1.5,0,0,0,0,0\n"
    );
}

#[test]
fn copies_recordio_frames_unchanged() {
    let o = ConvertOptions::default();
    for golden in [
        "recordio-protobuf/dense_f32_label.pbr",
        "recordio-protobuf/sparse_f64_label.pbr",
        "recordio-protobuf/dense_int32_label.pbr",
    ] {
        let bytes = read_testdata(golden);
        assert_eq!(
            convert_bytes(&bytes, golden, "recordio-protobuf", &o).unwrap(),
            bytes,
            "{golden}"
        );
        assert_eq!(
            convert_bytes(&bytes, golden, "recordio", &o).unwrap(),
            bytes,
            "{golden}"
        );
    }
}

#[test]
fn decodes_every_sdk_record_with_the_full_message_api() {
    use sm_data::codec::protobuf::{Record, Value};
    use sm_data::codec::recordio;
    let bytes = read_testdata("recordio-protobuf/sparse_f32_zero_row.pbr");
    let d = recordio::Decoder::new();
    let mut scratch = Vec::new();
    let mut records = Vec::new();
    d.for_each(&bytes, &mut scratch, |p, _| {
        records.push(Record::decode(p)?);
        Ok(())
    })
    .unwrap();
    assert_eq!(records.len(), 2);
    match records[0].feature("values") {
        Some(Value::Float32(t)) => {
            assert!(t.values.is_empty() && t.keys.is_empty());
            assert_eq!(t.shape, vec![10]);
        }
        other => panic!("{other:?}"),
    }
    // Re-encoding each record gives the SDK's payload back.
    let mut out = Vec::new();
    for r in &records {
        let mut p = Vec::new();
        r.encode(&mut p).unwrap();
        recordio::encode_record(&mut out, &p).unwrap();
    }
    assert_eq!(out, bytes);
}
