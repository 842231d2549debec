//! Chunk-boundary invariance: the same input, cut into chunks of any size
//! (down to one byte), read mapped or as a stream, on 1 or 2 threads, gives
//! identical output.

use sm_data::Dtype;
use sm_data::codec::recordio::{self, MAGIC_BYTES};
use sm_data::convert::ConvertOptions;
use sm_data::pipeline;

use super::util::{Rng, convert_bytes, convert_stream, dense_csv, sparse_libsvm};

fn with(chunk_size: usize, threads: usize, base: &ConvertOptions) -> ConvertOptions {
    ConvertOptions {
        pipeline: pipeline::Options {
            threads,
            chunk_size,
            window: 0,
        },
        ..base.clone()
    }
}

fn assert_invariant(input: &[u8], name: &str, to: &str, base: &ConvertOptions) {
    let expected = convert_bytes(input, name, to, base).unwrap();
    assert!(!expected.is_empty());
    for size in [1, 2, 3, 5, 8, 13, 64, 100, 1000, 1 << 16] {
        for threads in [1, 2] {
            let o = with(size, threads, base);
            assert_eq!(
                convert_bytes(input, name, to, &o).unwrap(),
                expected,
                "{name}->{to} mapped size {size} threads {threads}"
            );
            assert_eq!(
                convert_stream(input, name, to, &o).unwrap(),
                expected,
                "{name}->{to} stream size {size} threads {threads}"
            );
        }
    }
}

#[test]
fn csv_with_quotes_crlf_and_blank_lines() {
    let mut csv = dense_csv(&mut Rng(1), 40, 4);
    csv.push_str("\"1\",\"2.5\",3,\"4\",5\r\n\n");
    csv.push_str("\"2\",1,\" 3 \",4,\"\"\n");
    csv.push_str("0,1,2,3,4\n");
    let o = ConvertOptions::default();
    assert_invariant(csv.as_bytes(), "q.csv", "recordio-protobuf", &o);
    assert_invariant(csv.as_bytes(), "q.csv", "libsvm", &o);
}

#[test]
fn csv_with_header_and_label_in_the_middle() {
    // The header's quoted names hold a delimiter and a newline.
    let mut csv = String::from("a,\"b,\nb\",target,\"c\"\"\"\n");
    csv.push_str(&dense_csv(&mut Rng(2), 30, 3));
    let o = ConvertOptions {
        csv: sm_data::codec::csv::CsvOptions {
            has_header: true,
            label: Some(sm_data::codec::csv::LabelColumns { index: 2, size: 1 }),
            ..Default::default()
        },
        ..ConvertOptions::default()
    };
    assert_invariant(csv.as_bytes(), "h.csv", "csv", &o);
}

#[test]
fn libsvm_with_comments() {
    let mut svm = String::from("# a comment\n");
    svm.push_str(&sparse_libsvm(&mut Rng(4), 50, 40));
    svm.push_str("1 qid:3 2:1.5 7:2 # trailing\n\n");
    let o = ConvertOptions {
        num_features: Some(40),
        ..ConvertOptions::default()
    };
    assert_invariant(svm.as_bytes(), "c.libsvm", "recordio-protobuf", &o);
    assert_invariant(svm.as_bytes(), "c.libsvm", "csv", &o);
}

#[test]
fn recordio_protobuf_with_split_records() {
    let csv = dense_csv(&mut Rng(9), 30, 5);
    let pbr = convert_bytes(
        csv.as_bytes(),
        "a.csv",
        "recordio-protobuf",
        &ConvertOptions::default(),
    )
    .unwrap();
    // Re-frame every third record as AWS begin/middle/end parts.
    let d = recordio::Decoder::new();
    let mut scratch = Vec::new();
    let mut split = Vec::new();
    let mut i = 0;
    d.for_each(&pbr, &mut scratch, |p, _| {
        if i % 3 == 0 && p.len() >= 3 {
            let cuts = [0, p.len() / 3, 2 * p.len() / 3, p.len()];
            for (k, flag) in [1u32, 2, 3].iter().enumerate() {
                let part = &p[cuts[k]..cuts[k + 1]];
                split.extend_from_slice(&MAGIC_BYTES);
                split.extend_from_slice(&((flag << 29) | part.len() as u32).to_le_bytes());
                split.extend_from_slice(part);
                split.resize(recordio::padded(split.len()), 0);
            }
        } else {
            recordio::encode_record(&mut split, p)?;
        }
        i += 1;
        Ok(())
    })
    .unwrap();
    assert_ne!(split, pbr);
    let o = ConvertOptions::default();
    // Joined records decode to the same CSV, and frame copy rewrites them whole.
    assert_eq!(
        convert_bytes(&split, "s.pbr", "csv", &o).unwrap(),
        csv.as_bytes()
    );
    assert_eq!(
        convert_bytes(&split, "s.pbr", "recordio-protobuf", &o).unwrap(),
        pbr
    );
    assert_invariant(&split, "s.pbr", "csv", &o);
    assert_invariant(&split, "s.pbr", "recordio", &o);
}

/// RecordIO-protobuf records of `csv`'s rows, features and labels of
/// tensor type `dtype`.
fn pbr_of(csv: &str, dtype: Dtype) -> Vec<u8> {
    pbr_with(csv, dtype, dtype)
}

/// [`pbr_of`] with labels of their own type.
fn pbr_with(csv: &str, dtype: Dtype, label_dtype: Dtype) -> Vec<u8> {
    let o = ConvertOptions {
        dtype: Some(dtype),
        label_dtype: Some(label_dtype),
        ..ConvertOptions::default()
    };
    convert_bytes(csv.as_bytes(), "p.csv", "recordio-protobuf", &o).unwrap()
}

/// RecordIO-protobuf records each carry their tensor type: a file whose
/// records mix float32 and float64 (features and labels) prints each
/// record at its own type, whichever records share a chunk (the `convert`
/// fuzz target found text that changed with the chunk size: a float32
/// value alone in its chunk printed as `8.9233e-41`, beside float64
/// records as `8.923328490974003e-41`).
#[test]
fn recordio_protobuf_mixing_tensor_types_prints_each_record_at_its_own() {
    let mut pbr = pbr_of("0.1,0.2,8.9233e-41\n", Dtype::Float32);
    pbr.extend(pbr_of("0.1,0.2,0.3\n2.5,-1.25,7\n", Dtype::Float64));
    pbr.extend(pbr_of("0.7,0.3,0.1\n", Dtype::Float32));
    let o = ConvertOptions::default();
    for to in ["libsvm", "csv", "jsonlines"] {
        assert_invariant(&pbr, "m.pbr", to, &o);
    }
    let csv = String::from_utf8(convert_bytes(&pbr, "m.pbr", "csv", &o).unwrap()).unwrap();
    assert_eq!(
        csv,
        "0.1,0.2,8.9233e-41\n\
         0.1,0.2,0.3\n\
         2.5,-1.25,7\n\
         0.7,0.3,0.1\n"
    );
}

#[test]
fn recordio_protobuf_mixing_tensor_types_to_parquet_rounds_nothing() {
    let o = ConvertOptions::default();
    let back = |parquet: &[u8]| {
        String::from_utf8(convert_bytes(parquet, "b.parquet", "csv", &o).unwrap()).unwrap()
    };
    // float64 first: float64 columns (the first record's type, whatever
    // the first batch holds); the float32 records widen exactly.
    let mut wide = pbr_of("0.1,0.2,0.30000000000000004\n2.5,-1.25,7\n", Dtype::Float64);
    wide.extend(pbr_of("0.7,0.3,8.9233e-41\n", Dtype::Float32));
    assert_invariant(&wide, "w.pbr", "parquet", &o);
    let csv = back(&convert_bytes(&wide, "w.pbr", "parquet", &o).unwrap());
    assert!(
        csv.starts_with("0.1,0.2,0.30000000000000004\n2.5,-1.25,7\n0.699999988079071,"),
        "{csv}"
    );
    // float32 first: a float64 record would be rounded into the float32
    // columns (it was, when the first batch was float32 only): refused at
    // that record, whatever the chunks, unless --dtype asks for a type.
    // Refused at the second record, whatever the chunks and threads.
    let refused = |pbr: &[u8], sizes: &[usize], says: &[&str]| {
        for &size in sizes {
            for threads in [1, 2] {
                let e =
                    convert_bytes(pbr, "n.pbr", "parquet", &with(size, threads, &o)).unwrap_err();
                let text = e.to_string();
                assert!(
                    text.contains("record 2") && says.iter().all(|s| text.contains(s)),
                    "size {size} threads {threads}: {text}"
                );
            }
        }
    };
    let mut narrow = pbr_of("0.1,0.2,8.9233e-41\n", Dtype::Float32);
    narrow.extend(pbr_of("0.1,0.2,0.30000000000000004\n", Dtype::Float64));
    refused(
        &narrow,
        &[1, 8, 64, 1 << 16],
        &["float64 but the Parquet columns are float32"],
    );
    let asked = ConvertOptions {
        dtype: Some(Dtype::Float64),
        ..ConvertOptions::default()
    };
    assert_invariant(&narrow, "n.pbr", "parquet", &asked);
    let csv = back(&convert_bytes(&narrow, "n.pbr", "parquet", &asked).unwrap());
    assert!(csv.ends_with("0.1,0.2,0.30000000000000004\n"), "{csv}");
    // int32 values after float32 ones: 16777217 has no float32 (it would
    // become 16777216), so refused the same way.
    let mut ints = pbr_of("1,0.5,2\n", Dtype::Float32);
    ints.extend(pbr_of("3,16777217,4\n", Dtype::Int32));
    refused(
        &ints,
        &[1, 1 << 16],
        &["values are int32 but the Parquet columns are float32"],
    );
    // (--dtype alone is not enough: the labels are int32 after float32 too.)
    let both = ConvertOptions {
        label_dtype: Some(Dtype::Float64),
        ..asked.clone()
    };
    let csv = back(&convert_bytes(&ints, "i.pbr", "parquet", &both).unwrap());
    assert!(csv.ends_with("3,16777217,4\n"), "{csv}");
    // Labels narrow on their own: float64 features throughout, a float64
    // label after float32 ones is refused, with the flag for labels.
    let mut labels = pbr_with("0.5,0.1,0.2\n", Dtype::Float64, Dtype::Float32);
    labels.extend(pbr_with("0.1,0.1,0.2\n", Dtype::Float64, Dtype::Float64));
    refused(
        &labels,
        &[1, 1 << 16],
        &[
            "labels are float64 but the Parquet columns are float32",
            "--label-dtype float64",
        ],
    );
    let labels_asked = ConvertOptions {
        label_dtype: Some(Dtype::Float64),
        ..ConvertOptions::default()
    };
    assert_invariant(&labels, "l.pbr", "parquet", &labels_asked);
    let csv = back(&convert_bytes(&labels, "l.pbr", "parquet", &labels_asked).unwrap());
    assert_eq!(csv, "0.5,0.1,0.2\n0.1,0.1,0.2\n");
}
