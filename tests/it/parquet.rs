//! Parquet: golden files written by pyarrow (testdata/parquet/make_parquet.py)
//! read correctly; what sm-data writes has the expected schema and values
//! (checked through the parquet crate itself); round trips; the CLI.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sm_data::convert::ConvertOptions;
use sm_data::format::parquet::{Compression, LabelColumn, Layout, ParquetOptions};
use sm_data::{Dtype, pipeline};

use super::util::{
    Rng, convert_bytes, convert_stream, dense_csv, read_testdata, sm_data, sparse_libsvm, stderr,
};

fn pq(opts: ParquetOptions) -> ConvertOptions {
    ConvertOptions {
        parquet: opts,
        ..ConvertOptions::default()
    }
}

fn to_csv(file: &str, opts: &ConvertOptions) -> String {
    let bytes = read_testdata(&format!("parquet/{file}"));
    String::from_utf8(convert_bytes(&bytes, file, "csv", opts).unwrap()).unwrap()
}

/// Reads Parquet bytes with the parquet crate: the schema and the batches.
fn read_back(bytes: &[u8]) -> (arrow_schema::SchemaRef, Vec<RecordBatch>, usize, String) {
    let b = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.to_vec())).unwrap();
    let schema = b.schema().clone();
    let meta = b.metadata().clone();
    let groups = meta.num_row_groups();
    let codec = if groups > 0 {
        format!("{:?}", meta.row_group(0).column(0).compression())
    } else {
        String::new()
    };
    let batches = b.build().unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    (schema, batches, groups, codec)
}

fn f64_column(batches: &[RecordBatch], name: &str) -> Vec<f64> {
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column_by_name(name).unwrap();
            match c.data_type() {
                DataType::Float64 => c.as_primitive::<Float64Type>().values().to_vec(),
                DataType::Float32 => c
                    .as_primitive::<Float32Type>()
                    .values()
                    .iter()
                    .map(|&v| v as f64)
                    .collect(),
                t => panic!("{name}: {t}"),
            }
        })
        .collect()
}

#[test]
fn pyarrow_v1_snappy_with_small_ints_and_nulls() {
    assert_eq!(
        to_csv("wide_v1_snappy.parquet", &ConvertOptions::default()),
        "1,-1,0,0.5,1\n0,2,65535,,2.5\n1,-3,7,-2.25,-0.1\n0,4,8,0.0010000000474974513,1e+300\n2,127,9,,0\n"
    );
}

#[test]
fn pyarrow_v2_zstd_dictionary_int64_uint64_decimal_bool() {
    assert_eq!(
        to_csv("wide_v2_zstd_dict.parquet", &ConvertOptions::default()),
        "0.5,1099511627776,9007199254740992,1.25,1\n1.5,-1099511627776,1,-3.5,0\n0.5,7,1,0.001,\n1.5,7,1,100,1\n0.5,7,3,0,0\n"
    );
}

#[test]
fn pyarrow_dictionary_columns_with_nulls() {
    assert_eq!(
        to_csv("dictionary.parquet", &ConvertOptions::default()),
        "1,1.5,10\n0,2.5,-20\n1,,-20\n0,1.5,10\n2,2.5,30\n"
    );
}

#[test]
fn pyarrow_tensor_layouts_are_detected() {
    assert_eq!(
        to_csv("tensor_dense.parquet", &ConvertOptions::default()),
        "1,1,2,3\n0,0,0,0\n1,-1.5,2.5,0\n0,4,5,6\n2,0.25,0,1\n"
    );
    let bytes = read_testdata("parquet/tensor_sparse.parquet");
    let libsvm = convert_bytes(&bytes, "s.parquet", "libsvm", &ConvertOptions::default()).unwrap();
    assert_eq!(
        String::from_utf8(libsvm).unwrap(),
        "1 0:1.5 5:2\n0\n1 9:-1\n0 1:1 2:2 3:3\n2 7:0.5\n"
    );
    // The shape column gives the width of densified rows.
    let csv = to_csv("tensor_sparse.parquet", &ConvertOptions::default());
    assert_eq!(csv.lines().next().unwrap(), "1,1.5,0,0,0,0,2,0,0,0,0");
    // Forcing the wide layout on a list column is an error naming it.
    let e = convert_bytes(
        &read_testdata("parquet/tensor_dense.parquet"),
        "t.parquet",
        "csv",
        &pq(ParquetOptions {
            layout: Some(Layout::Wide),
            ..ParquetOptions::default()
        }),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("column \"features\" has type List"), "{e}");
}

#[test]
fn string_columns_are_named_unless_excluded() {
    let bytes = read_testdata("parquet/strings.parquet");
    let e = convert_bytes(
        &bytes,
        "strings.parquet",
        "csv",
        &pq(ParquetOptions {
            label: Some(LabelColumn::Name("label".into())),
            ..ParquetOptions::default()
        }),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("strings.parquet: ") && e.contains("column \"id\" has type Utf8"),
        "{e}"
    );
    let ok = pq(ParquetOptions {
        exclude: vec!["id".into(), "name".into()],
        ..ParquetOptions::default()
    });
    let out = convert_bytes(&bytes, "strings.parquet", "csv", &ok).unwrap();
    assert_eq!(out, b"1,0.5\n0,1.5\n1,2.5\n0,3.5\n2,4.5\n");
    // The label by index or by name, or none.
    for (label, want) in [
        (LabelColumn::Index(2), "0.5,1\n"),
        (LabelColumn::Name("x".into()), "0.5,1\n"),
        (LabelColumn::None, "1,0.5\n"),
    ] {
        let o = pq(ParquetOptions {
            label: Some(label.clone()),
            ..ok.parquet.clone()
        });
        let out =
            String::from_utf8(convert_bytes(&bytes, "s.parquet", "csv", &o).unwrap()).unwrap();
        assert!(out.starts_with(want), "{label:?}: {out}");
    }
}

#[test]
fn many_row_groups_read_in_order_with_any_thread_count() {
    let want: String = (0..20)
        .map(|r| {
            let b = r as f64 / 4.0;
            format!("{},{r},{}\n", r % 2, super::util::show(b))
        })
        .collect();
    for threads in [1, 2, 3] {
        let opts = ConvertOptions {
            pipeline: pipeline::Options {
                threads,
                ..pipeline::Options::default()
            },
            ..ConvertOptions::default()
        };
        assert_eq!(
            to_csv("row_groups.parquet", &opts),
            want,
            "{threads} threads"
        );
    }
    // A stream (not mapped) is spooled and read the same way.
    let bytes = read_testdata("parquet/row_groups.parquet");
    let out = convert_stream(&bytes, "-", "csv", &pq(ParquetOptions::default())).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), want);
}

#[test]
fn written_wide_parquet_has_the_expected_schema_and_values() {
    let csv = "1,0.5,2,,3.25\n0,1.5,-2,7,0\n";
    for (compression, name) in [
        (Compression::Snappy, "SNAPPY"),
        (Compression::Zstd(3), "ZSTD"),
        (Compression::Gzip(6), "GZIP"),
        (Compression::None, "UNCOMPRESSED"),
    ] {
        let opts = pq(ParquetOptions {
            compression,
            ..ParquetOptions::default()
        });
        let out = convert_bytes(csv.as_bytes(), "a.csv", "parquet", &opts).unwrap();
        let (schema, batches, groups, codec) = read_back(&out);
        assert!(codec.starts_with(name), "{codec} for {compression:?}");
        assert_eq!(groups, 1);
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["label", "f0", "f1", "f2", "f3"]);
        assert!(
            schema
                .fields()
                .iter()
                .all(|f| f.data_type() == &DataType::Float64)
        );
        assert_eq!(f64_column(&batches, "label"), [1.0, 0.0]);
        assert_eq!(f64_column(&batches, "f3"), [3.25, 0.0]);
        let f2 = f64_column(&batches, "f2");
        assert!(f2[0].is_nan() && f2[1] == 7.0, "{f2:?}");
    }
    // --dtype float32 writes float columns.
    let opts = ConvertOptions {
        dtype: Some(Dtype::Float32),
        ..ConvertOptions::default()
    };
    let out = convert_bytes(csv.as_bytes(), "a.csv", "parquet", &opts).unwrap();
    let (schema, ..) = read_back(&out);
    assert!(
        schema
            .fields()
            .iter()
            .all(|f| f.data_type() == &DataType::Float32)
    );
}

#[test]
fn row_group_size_is_honoured_and_rows_stay_in_order() {
    let csv = dense_csv(&mut Rng(5), 1000, 4);
    for threads in [1, 2] {
        let opts = ConvertOptions {
            parquet: ParquetOptions {
                row_group_size: 128,
                ..ParquetOptions::default()
            },
            pipeline: pipeline::Options {
                threads,
                chunk_size: 1000,
                window: 0,
            },
            ..ConvertOptions::default()
        };
        let out = convert_bytes(csv.as_bytes(), "a.csv", "parquet", &opts).unwrap();
        let (_, batches, groups, _) = read_back(&out);
        assert_eq!(groups, 8, "1000 rows in groups of 128");
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1000);
        let back = convert_bytes(&out, "a.parquet", "csv", &opts).unwrap();
        assert_eq!(String::from_utf8(back).unwrap(), csv, "{threads} threads");
    }
}

#[test]
fn tensor_layout_is_written_dense_and_sparse() {
    let tensor = pq(ParquetOptions {
        layout: Some(Layout::Tensor),
        ..ParquetOptions::default()
    });
    let out = convert_bytes(b"1,2,3\n0,4,5\n", "a.csv", "parquet", &tensor).unwrap();
    let (schema, batches, ..) = read_back(&out);
    assert_eq!(schema.field(1).name(), "features");
    let l = batches[0].column(1).as_list::<i32>();
    assert_eq!(l.value_offsets(), &[0, 2, 4]);
    let libsvm = b"1 0:1.5 7:2\n0\n";
    let o = ConvertOptions {
        num_features: Some(10),
        ..tensor.clone()
    };
    let out = convert_bytes(libsvm, "a.libsvm", "parquet", &o).unwrap();
    let (schema, batches, ..) = read_back(&out);
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["label", "keys", "values", "shape"]);
    let keys = batches[0].column(1).as_list::<i32>();
    assert_eq!(
        keys.values().as_primitive::<UInt64Type>().values().as_ref(),
        &[0, 7]
    );
    let shape = batches[0].column(3).as_primitive::<UInt64Type>();
    assert_eq!(shape.value(0), 10);
    let back = convert_bytes(&out, "a.parquet", "libsvm", &o).unwrap();
    assert_eq!(back, libsvm);
}

#[test]
fn csv_through_parquet_is_lossless_in_both_layouts() {
    let csv = dense_csv(&mut Rng(3), 300, 7);
    for layout in [Layout::Wide, Layout::Tensor] {
        let opts = pq(ParquetOptions {
            layout: Some(layout),
            ..ParquetOptions::default()
        });
        let p = convert_bytes(csv.as_bytes(), "a.csv", "parquet", &opts).unwrap();
        let back = convert_bytes(&p, "a.parquet", "csv", &ConvertOptions::default()).unwrap();
        assert_eq!(String::from_utf8(back).unwrap(), csv, "{layout:?}");
    }
}

#[test]
fn recordio_protobuf_through_parquet_is_byte_identical() {
    for (file, layout) in [
        ("dense_f32_label.pbr", Layout::Wide),
        ("dense_f64_label.pbr", Layout::Wide),
        ("dense_f32_nolabel.pbr", Layout::Wide),
        ("dense_f32_label.pbr", Layout::Tensor),
        ("sparse_f32_label.pbr", Layout::Tensor),
        ("sparse_f64_label.pbr", Layout::Tensor),
    ] {
        let pbr = read_testdata(&format!("recordio-protobuf/{file}"));
        let opts = pq(ParquetOptions {
            layout: Some(layout),
            ..ParquetOptions::default()
        });
        let p = convert_bytes(&pbr, file, "parquet", &opts).unwrap();
        let back_opts = ConvertOptions {
            dtype: Some(if file.contains("f64") {
                Dtype::Float64
            } else {
                Dtype::Float32
            }),
            ..ConvertOptions::default()
        };
        let back = convert_bytes(&p, "x.parquet", "recordio-protobuf", &back_opts).unwrap();
        assert!(back == pbr, "{file} via {layout:?} is not byte-identical");
    }
}

#[test]
fn sparse_libsvm_to_wide_needs_and_finds_a_width() {
    let text = sparse_libsvm(&mut Rng(9), 50, 12);
    let p = convert_bytes(
        text.as_bytes(),
        "a.libsvm",
        "parquet",
        &ConvertOptions::default(),
    )
    .unwrap();
    let (schema, ..) = read_back(&p);
    let max = text
        .split_whitespace()
        .filter_map(|t| t.split_once(':'))
        .map(|(i, _)| i.parse::<usize>().unwrap())
        .max()
        .unwrap();
    assert_eq!(schema.fields().len(), 1 + max + 1);
    let back = convert_bytes(&p, "a.parquet", "libsvm", &ConvertOptions::default()).unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), text);
}

#[test]
fn an_empty_input_writes_a_valid_empty_file() {
    let p = convert_bytes(b"", "a.csv", "parquet", &ConvertOptions::default()).unwrap();
    let (schema, batches, ..) = read_back(&p);
    assert_eq!(schema.fields().len(), 0);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
}

#[test]
fn cli_converts_counts_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "1,2,3\n0,4,5\n1,6,7\n").unwrap();
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            "a.csv",
            "a.pq",
            "--compression",
            "zstd",
            "--row-group-size",
            "2",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(dir.path().join("a.pq")).unwrap();
    let (_, _, groups, codec) = read_back(&bytes);
    assert_eq!((groups, codec.starts_with("ZSTD")), (2, true));
    let o = sm_data(dir.path(), &["count", "a.pq"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "3\n");
    let o = sm_data(dir.path(), &["convert", "a.pq", "b.csv", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.csv")).unwrap(),
        "1,2,3\n0,4,5\n1,6,7\n"
    );
    let o = sm_data(dir.path(), &["convert", "a.csv", "a.pq"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    // Sniffed by its magic without an extension, and read from stdin.
    std::fs::copy(dir.path().join("a.pq"), dir.path().join("noext")).unwrap();
    let o = sm_data(
        dir.path(),
        &["convert", "noext", "-", "--to", "libsvm", "-q"],
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "1 0:2 1:3\n0 0:4 1:5\n1 0:6 1:7\n"
    );
    let o = super::util::sm_data_stdin(
        dir.path(),
        &[
            "convert", "-", "-", "--from", "parquet", "--to", "csv", "-q",
        ],
        &bytes,
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), "1,2,3\n0,4,5\n1,6,7\n");
    // Label by name on CSV input is a usage error.
    let o = sm_data(
        dir.path(),
        &["convert", "a.csv", "x.pbr", "--label-column", "y"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn typed_csv_and_jsonl_to_parquet_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id,score,ok,name,at\n1,0.5,true,alpha,2024-01-02T03:04:05Z\n2,,false,\"with \"\"quotes\"\", comma\",\n,1e-7,,,1999-12-31T23:59:59.5Z\n-4,-2,TRUE,\"\",2024-01-02 00:00:00\n";
    std::fs::write(dir.path().join("t.csv"), csv).unwrap();
    // Small chunks: inference and parsing cross chunk boundaries.
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            "t.csv",
            "t.parquet",
            "--typed",
            "--chunk-size",
            "16",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (schema, batches, ..) = read_back(&std::fs::read(dir.path().join("t.parquet")).unwrap());
    let types: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{}:{}", f.name(), f.data_type()))
        .collect();
    assert_eq!(
        types,
        [
            "id:Int64",
            "score:Float64",
            "ok:Boolean",
            "name:Utf8",
            "at:Timestamp(µs, \"UTC\")"
        ]
    );
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 4);
    let want = "id,score,ok,name,at\n1,0.5,true,alpha,2024-01-02T03:04:05Z\n2,,false,\"with \"\"quotes\"\", comma\",\n,1e-7,,,1999-12-31T23:59:59.500000Z\n-4,-2.0,true,\"\",2024-01-02T00:00:00Z\n";
    let o = sm_data(
        dir.path(),
        &["convert", "t.parquet", "-", "--to", "csv", "--typed", "-q"],
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), want, "{}", stderr(&o));
    let o = sm_data(
        dir.path(),
        &["convert", "t.parquet", "t.jsonl", "--typed", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let jsonl = std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap();
    assert_eq!(
        jsonl.lines().nth(1).unwrap(),
        r#"{"id":2,"score":null,"ok":false,"name":"with \"quotes\", comma","at":null}"#
    );
    let o = sm_data(
        dir.path(),
        &["convert", "t.jsonl", "t2.parquet", "--typed", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sm_data(
        dir.path(),
        &["convert", "t2.parquet", "-", "--to", "csv", "--typed", "-q"],
    );
    // JSON Lines has no empty string/null distinction problem: "" stays "".
    assert_eq!(String::from_utf8_lossy(&o.stdout), want, "{}", stderr(&o));
    // A late cell widens the column (two passes): int then float then text.
    std::fs::write(dir.path().join("w.csv"), "a,b\n1,1\n2,2.5\n3,x\n").unwrap();
    let o = sm_data(
        dir.path(),
        &["convert", "w.csv", "w.parquet", "--typed", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (schema, ..) = read_back(&std::fs::read(dir.path().join("w.parquet")).unwrap());
    assert_eq!(schema.field(0).data_type(), &DataType::Int64);
    assert_eq!(schema.field(1).data_type(), &DataType::Utf8);
    // Nested JSON is a located error and leaves no output.
    std::fs::write(dir.path().join("n.jsonl"), "{\"a\":1}\n{\"a\":[1]}\n").unwrap();
    let o = sm_data(dir.path(), &["convert", "n.jsonl", "n.parquet", "--typed"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("n.jsonl: line 2, byte offset 8"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("n.parquet").exists());
    // Bytes that are not UTF-8 in a later line (the chunk's check fails,
    // each line's finds it): located at the line and the bad byte.
    std::fs::write(
        dir.path().join("u.jsonl"),
        b"{\"a\":\"x\"}\n{\"a\":\"y\"}\n{\"a\":\"\xff\"}\n",
    )
    .unwrap();
    let o = sm_data(dir.path(), &["convert", "u.jsonl", "u.parquet", "--typed"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("u.jsonl: line 3, byte offset 26") && stderr(&o).contains("UTF-8"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("u.parquet").exists());
}

/// Runs a typed text → Parquet conversion through the library, with or
/// without a way to start the output over; returns the bytes (or the
/// error text), the summary's record count and the restarts.
fn typed_to_parquet(
    text: &[u8],
    from: sm_data::table::TableFormat,
    opts: &ConvertOptions,
    restartable: bool,
) -> (Result<Vec<u8>, String>, u64, usize) {
    use sm_data::table::{TableFormat, convert_table_with};
    let out = std::cell::RefCell::new(Vec::new());
    let mut restarts = 0;
    let mut restart = || {
        restarts += 1;
        out.borrow_mut().clear();
        Ok(())
    };
    let got = convert_table_with(
        sm_data::store::Input::from_bytes(text.to_vec(), "t"),
        from,
        TableFormat::Parquet,
        &mut |b: &[u8]| {
            out.borrow_mut().extend_from_slice(b);
            Ok(())
        },
        restartable.then_some(&mut restart as &mut dyn FnMut() -> sm_data::Result<()>),
        opts,
    );
    let records = got.as_ref().map_or(0, |s| s.records);
    let bytes = got.map(|_| out.into_inner()).map_err(|e| e.to_string());
    (bytes, records, restarts)
}

#[test]
fn the_one_pass_guess_writes_what_the_two_passes_write() {
    use sm_data::table::TableFormat;
    // 300 rows each; `late` rows from 250 on differ from the first ones.
    let csv = |late: &dyn Fn(usize) -> String| -> Vec<u8> {
        let mut t = String::from("id,x,name,maybe\n");
        for i in 0..300 {
            t += &late(i);
        }
        t.into_bytes()
    };
    let jsonl = |late: &dyn Fn(usize) -> String| -> Vec<u8> {
        (0..300).map(late).collect::<String>().into_bytes()
    };
    let cases: Vec<(&str, TableFormat, Vec<u8>, bool)> = vec![
        (
            "steady",
            TableFormat::Csv,
            csv(&|i| format!("{i},{}.5,n{},\n", i % 7, i % 3)),
            false,
        ),
        (
            "int column turns float",
            TableFormat::Csv,
            csv(&|i| {
                format!(
                    "{i},{},n,\n",
                    if i < 250 {
                        "1".into()
                    } else {
                        format!("{i}.25")
                    }
                )
            }),
            true,
        ),
        (
            "float column turns text",
            TableFormat::Csv,
            csv(&|i| format!("{i},{},n,\n", if i < 250 { "0.5" } else { "x" })),
            true,
        ),
        (
            "empty column gets ints",
            TableFormat::Csv,
            csv(&|i| {
                format!(
                    "{i},1.5,n,{}\n",
                    if i < 250 {
                        String::new()
                    } else {
                        i.to_string()
                    }
                )
            }),
            true,
        ),
        (
            "quoted empty string in an int column",
            TableFormat::Csv,
            csv(&|i| {
                format!(
                    "{},1.5,n,\n",
                    if i < 250 {
                        i.to_string()
                    } else {
                        "\"\"".into()
                    }
                )
            }),
            true,
        ),
        (
            "a record wider than the header",
            TableFormat::Csv,
            csv(&|i| format!("{i},1.5,n,{}\n", if i == 280 { "1,2" } else { "" })),
            true,
        ),
        (
            "text after a closing quote late",
            TableFormat::Csv,
            csv(&|i| format!("{i},1.5,{},\n", if i == 280 { "\"a\"b" } else { "n" })),
            true,
        ),
        (
            "json objects without keys first",
            TableFormat::Jsonl,
            jsonl(&|i| {
                if i < 250 {
                    "{}\n".into()
                } else {
                    format!("{{\"id\":{i}}}\n")
                }
            }),
            true,
        ),
        (
            "steady json",
            TableFormat::Jsonl,
            jsonl(&|i| format!("{{\"id\":{i},\"x\":{}.5,\"ok\":true}}\n", i % 5)),
            false,
        ),
        (
            "json int turns float, a new key",
            TableFormat::Jsonl,
            jsonl(&|i| {
                if i < 250 {
                    format!("{{\"id\":{i},\"x\":2}}\n")
                } else {
                    format!("{{\"id\":{i},\"x\":2.5,\"late\":\"t\"}}\n")
                }
            }),
            true,
        ),
        (
            "json string turns timestamp-free",
            TableFormat::Jsonl,
            jsonl(&|i| {
                let at = if i < 250 {
                    "2024-01-02 03:04:05"
                } else {
                    "soon"
                };
                format!("{{\"id\":{i},\"at\":\"{at}\"}}\n")
            }),
            true,
        ),
    ];
    for (what, from, text, changes) in &cases {
        for (chunk_size, threads) in [(64, 1), (512, 2), (1 << 20, 2)] {
            let mut opts = ConvertOptions {
                typed: true,
                ..ConvertOptions::default()
            };
            opts.pipeline.chunk_size = chunk_size;
            opts.pipeline.threads = threads;
            let (two, two_records, _) = typed_to_parquet(text, *from, &opts, false);
            let (one, one_records, restarts) = typed_to_parquet(text, *from, &opts, true);
            let at = format!("{what}, chunks of {chunk_size}, {threads} threads");
            assert_eq!(one, two, "{at}");
            assert_eq!(one_records, two_records, "{at}");
            // The guess fails only where the first chunk does not show the
            // change (a 1 MiB chunk holds the whole input).
            assert_eq!(
                restarts,
                usize::from(*changes && chunk_size < text.len()),
                "{at}"
            );
            if *what == "a record wider than the header" {
                let e = one.unwrap_err();
                assert!(
                    e.contains("more fields (5) than the header (4)"),
                    "{at}: {e}"
                );
            } else if what.starts_with("text after") {
                let e = one.unwrap_err();
                assert!(e.contains("line 282"), "{at}: {e}");
            } else {
                let (schema, batches, ..) = read_back(&one.unwrap());
                let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
                assert_eq!(rows, 300, "{at}");
                assert!(!schema.fields().is_empty(), "{at}");
            }
        }
    }
}

#[test]
fn typed_row_groups_are_the_chunks_whoever_encodes_them() {
    use arrow_array::types::Int64Type;
    use sm_data::table::TableFormat;
    // Row groups are encoded by the worker that parsed the chunk, or by
    // the ordering thread when the encoder did not exist yet: the file
    // must be the same bytes whatever the thread count, each chunk whole
    // row groups, the rows in order.
    let mut text = String::from("id,x,word,flag\n");
    for i in 0..5000 {
        text += &format!("{i},{}.25,w{},{}\n", i % 97, i % 7, i % 2 == 0);
    }
    let text = text.into_bytes();
    for chunk_size in [700, 9000, 1 << 20] {
        let mut first: Option<Vec<u8>> = None;
        for threads in [1, 2, 3] {
            let mut opts = ConvertOptions {
                typed: true,
                ..ConvertOptions::default()
            };
            opts.pipeline.chunk_size = chunk_size;
            opts.pipeline.threads = threads;
            for restartable in [false, true] {
                let at = format!("chunks of {chunk_size}, {threads} threads, guess {restartable}");
                let (bytes, records, _) =
                    typed_to_parquet(&text, TableFormat::Csv, &opts, restartable);
                let bytes = bytes.unwrap();
                assert_eq!(records, 5000, "{at}");
                let (schema, batches, groups, _) = read_back(&bytes);
                assert_eq!(schema.fields().len(), 4, "{at}");
                let ids: Vec<i64> = batches
                    .iter()
                    .flat_map(|b| {
                        let c = b.column(0).as_primitive::<Int64Type>();
                        assert_eq!(c.null_count(), 0);
                        c.values().to_vec()
                    })
                    .collect();
                assert_eq!(ids, (0..5000).collect::<Vec<i64>>(), "{at}");
                // ~100 KB of text: one row group in one chunk, many in many.
                if chunk_size == 1 << 20 {
                    assert_eq!(groups, 1, "{at}");
                } else {
                    assert!(
                        groups >= text.len() / chunk_size / 2,
                        "{at}: {groups} groups"
                    );
                }
                match &first {
                    None => first = Some(bytes),
                    Some(f) => assert!(f == &bytes, "{at}: not the bytes of 1 thread"),
                }
            }
        }
    }
}

#[test]
fn typed_parquet_from_pyarrow_prints_every_type() {
    let bytes = read_testdata("parquet/typed.parquet");
    let opts = ConvertOptions {
        typed: true,
        ..ConvertOptions::default()
    };
    let out = convert_bytes(&bytes, "typed.parquet", "csv", &opts).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "id,score,ok,name,at\n1,0.5,true,alpha,2024-01-02T03:04:05Z\n2,,false,\"with \"\"quotes\"\", comma\",\n,1e-7,,,1999-12-31T23:59:59.500000Z\n-4,-2.0,true,\"\",2024-01-02T00:00:00Z\n"
    );
}

#[test]
fn inspect_reads_parquet_like_the_csv_it_came_from() {
    use sm_data::inspect::inspect;
    use sm_data::store::Input;
    let csv = super::util::read_testdata("csv/dense.csv");
    let pq_bytes =
        super::util::convert_bytes(&csv, "x.csv", "parquet", &ConvertOptions::default()).unwrap();
    let from_csv = inspect(
        Input::from_bytes(csv, "dense.csv"),
        &ConvertOptions::default(),
        3,
    )
    .unwrap();
    for threads in [1, 2] {
        let mut o = ConvertOptions::default();
        o.pipeline.threads = threads;
        let from_pq = inspect(Input::from_bytes(pq_bytes.clone(), "dense.parquet"), &o, 3).unwrap();
        assert_eq!(from_pq.format, sm_data::Format::Parquet);
        assert_eq!(from_pq.records, from_csv.records);
        assert_eq!(from_pq.feature_dim, from_csv.feature_dim);
        assert_eq!(from_pq.label_range, from_csv.label_range);
        assert_eq!(from_pq.label_classes, from_csv.label_classes);
        assert_eq!(from_pq.head, from_csv.head);
    }
}
