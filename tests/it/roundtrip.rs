//! A → B → A for every pair of formats that loses nothing.

use sm_data::Dtype;
use sm_data::convert::ConvertOptions;

use super::util::{Rng, convert_bytes, dense_csv, sparse_libsvm};

fn o() -> ConvertOptions {
    ConvertOptions::default()
}

#[test]
fn csv_through_recordio_protobuf_is_lossless() {
    let csv = dense_csv(&mut Rng(7), 200, 13);
    for dtype in [Dtype::Float32, Dtype::Float64] {
        let opts = ConvertOptions {
            dtype: Some(dtype),
            ..o()
        };
        for to in ["recordio-protobuf", "recordio"] {
            let pbr = convert_bytes(csv.as_bytes(), "a.csv", to, &opts).unwrap();
            let back = convert_bytes(&pbr, "a.pbr", "csv", &o()).unwrap();
            assert_eq!(String::from_utf8(back).unwrap(), csv, "{dtype} via {to}");
        }
        // Sparse tensors too: zeros dropped, restored from the shape.
        let sparse = ConvertOptions {
            dtype: Some(dtype),
            sparse: Some(true),
            ..o()
        };
        let pbr = convert_bytes(csv.as_bytes(), "a.csv", "recordio-protobuf", &sparse).unwrap();
        let back = convert_bytes(&pbr, "a.pbr", "csv", &o()).unwrap();
        assert_eq!(String::from_utf8(back).unwrap(), csv, "sparse {dtype}");
    }
}

#[test]
fn recordio_protobuf_through_csv_is_lossless() {
    let csv = dense_csv(&mut Rng(11), 150, 9);
    let pbr = convert_bytes(csv.as_bytes(), "a.csv", "recordio-protobuf", &o()).unwrap();
    let csv2 = convert_bytes(&pbr, "a.pbr", "csv", &o()).unwrap();
    let pbr2 = convert_bytes(&csv2, "b.csv", "recordio-protobuf", &o()).unwrap();
    assert_eq!(pbr2, pbr);
}

#[test]
fn libsvm_through_recordio_protobuf_is_lossless() {
    let svm = sparse_libsvm(&mut Rng(3), 300, 1000);
    let opts = ConvertOptions {
        num_features: Some(1000),
        ..o()
    };
    for dtype in [Dtype::Float32, Dtype::Float64] {
        let pbr = convert_bytes(
            svm.as_bytes(),
            "a.libsvm",
            "recordio-protobuf",
            &ConvertOptions {
                dtype: Some(dtype),
                ..opts.clone()
            },
        )
        .unwrap();
        let back = convert_bytes(&pbr, "a.pbr", "libsvm", &o()).unwrap();
        assert_eq!(String::from_utf8(back).unwrap(), svm, "{dtype}");
        // And the other way: pbr → libsvm → pbr.
        let svm2 = convert_bytes(&pbr, "a.pbr", "libsvm", &o()).unwrap();
        let pbr2 = convert_bytes(
            &svm2,
            "b.libsvm",
            "recordio-protobuf",
            &ConvertOptions {
                dtype: Some(dtype),
                ..opts.clone()
            },
        )
        .unwrap();
        assert_eq!(pbr2, pbr, "{dtype}");
    }
}

#[test]
fn csv_through_libsvm_is_lossless_given_the_width() {
    let csv = dense_csv(&mut Rng(5), 100, 6);
    let svm = convert_bytes(csv.as_bytes(), "a.csv", "libsvm", &o()).unwrap();
    let back = convert_bytes(
        &svm,
        "a.libsvm",
        "csv",
        &ConvertOptions {
            num_features: Some(6),
            ..o()
        },
    )
    .unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), csv);
    // One-based on both sides.
    let one = ConvertOptions {
        libsvm_one_based_out: true,
        ..o()
    };
    let svm1 = convert_bytes(csv.as_bytes(), "a.csv", "libsvm", &one).unwrap();
    assert_ne!(svm1, svm);
    let read1 = ConvertOptions {
        libsvm_one_based_in: true,
        num_features: Some(6),
        ..o()
    };
    let back = convert_bytes(&svm1, "a.libsvm", "csv", &read1).unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), csv);
}

#[test]
fn int32_tensors_round_trip() {
    let csv = "3,1,-2,2147483647,-2147483648\n0,0,5,6,7\n";
    let opts = ConvertOptions {
        dtype: Some(Dtype::Int32),
        ..o()
    };
    let pbr = convert_bytes(csv.as_bytes(), "i.csv", "recordio-protobuf", &opts).unwrap();
    let back = convert_bytes(&pbr, "i.pbr", "csv", &o()).unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), csv);
    // Non-integers cannot be written as int32: a clear error, not truncation.
    let e = convert_bytes(b"1,1.5\n", "x.csv", "recordio-protobuf", &opts).unwrap_err();
    assert!(e.to_string().contains("Int32Tensor"), "{e}");
}

#[test]
fn missing_values_and_multiple_labels_survive() {
    // Empty cells are missing (NaN); label_size=2 keeps two label columns.
    let csv = "1,2,,4\n5,6,7,\n";
    let opts = ConvertOptions {
        from: Some("text/csv;label_size=2".parse().unwrap()),
        dtype: Some(Dtype::Float64),
        ..o()
    };
    let pbr = convert_bytes(csv.as_bytes(), "m.csv", "recordio-protobuf", &opts).unwrap();
    let back = convert_bytes(&pbr, "m.pbr", "csv", &o()).unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), csv);
}

#[test]
fn inspect_counts_negative_zero_and_every_nan_as_one_class() {
    use sm_data::inspect::inspect;
    use sm_data::store::Input;
    let csv = b"0,1\n-0,2\n1,3\nnan,4\n-nan,5\n1,6\n".to_vec();
    let r = inspect(
        Input::from_bytes(csv, "labels.csv"),
        &ConvertOptions::default(),
        0,
    )
    .unwrap();
    let classes = r.label_classes.expect("few distinct labels are classes");
    let got: Vec<(&str, u64)> = classes.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    assert_eq!(got.iter().map(|(_, n)| n).sum::<u64>(), 6, "{got:?}");
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.contains(&("0", 2)), "{got:?}");
    assert!(got.contains(&("1", 2)), "{got:?}");
}
