//! `validate`: the corpus under `testdata/validate/` (one file per rule),
//! clean files, the same rule in every format it applies to, chunking
//! invariance, and the real binary (exit codes, text and `--json`).

use std::path::Path;

use sm_data::validate::{Algorithm, Check, Finding, Options, Report, Severity, validate};

use super::util::{sm_data, stderr, testdata};

fn path(rel: &str) -> String {
    testdata(rel).to_str().unwrap().to_string()
}

fn run_opts(paths: &[String], alg: &str, ct: Option<&str>, opts: impl Fn(&mut Options)) -> Report {
    let mut o = Options::new(alg.parse::<Algorithm>().unwrap());
    o.content_type = ct.map(str::to_string);
    opts(&mut o);
    validate(paths, &o).unwrap_or_else(|e| panic!("{paths:?}: {e}"))
}

fn run(rel: &str, alg: &str, ct: Option<&str>) -> Report {
    run_opts(&[path(rel)], alg, ct, |_| {})
}

/// The ids of the checks that found something, sorted.
fn ids(r: &Report) -> Vec<&'static str> {
    let mut v: Vec<&str> = r.counts.keys().map(|c| c.id()).collect();
    v.sort_unstable();
    v
}

fn first<'a>(r: &'a Report, id: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.check.id() == id)
        .unwrap_or_else(|| panic!("no {id} finding in {:#?}", r.findings))
}

/// One corpus case: the file, algorithm, content type, and the one
/// finding it must produce (check, severity, 1-based line or record,
/// byte offset, a piece of the message, a piece of the SageMaker text).
struct Case {
    file: &'static str,
    alg: &'static str,
    ct: Option<&'static str>,
    check: &'static str,
    severity: Severity,
    line: Option<u64>,
    record: Option<u64>,
    byte: Option<u64>,
    message: &'static str,
    sagemaker: &'static str,
}

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

#[rustfmt::skip]
const CASES: &[Case] = &[
    // CSV, XGBoost (spec §8.3, §8.7)
    Case { file: "csv/header.csv", alg: "xgboost", ct: Some("text/csv"), check: "csv-header", severity: E, line: Some(1), record: None, byte: Some(0), message: "header", sagemaker: "label becomes 0" },
    Case { file: "csv/header.csv", alg: "linear-learner", ct: None, check: "csv-header", severity: E, line: Some(1), record: None, byte: Some(0), message: "header", sagemaker: "could not convert string to float" },
    Case { file: "csv/non_numeric.csv", alg: "linear-learner", ct: None, check: "csv-non-numeric", severity: E, line: Some(3), record: None, byte: Some(26), message: "\"red\" is not a number", sagemaker: "could not convert string to float: 'red'" },
    Case { file: "csv/label_text.csv", alg: "xgboost", ct: Some("text/csv"), check: "csv-label", severity: E, line: Some(2), record: None, byte: Some(10), message: "\"yes\" is not a number", sagemaker: "as 0" },
    Case { file: "csv/ragged.csv", alg: "knn", ct: None, check: "csv-columns", severity: E, line: Some(3), record: None, byte: Some(20), message: "3 columns, but the first record", sagemaker: "column count" },
    Case { file: "csv/semicolon.csv", alg: "linear-learner", ct: None, check: "csv-delimiter", severity: E, line: Some(1), record: None, byte: Some(0), message: "semicolons", sagemaker: "comma-separated values only" },
    Case { file: "csv/semicolon.csv", alg: "xgboost", ct: Some("text/csv"), check: "csv-delimiter", severity: W, line: Some(1), record: None, byte: Some(0), message: "semicolons", sagemaker: "first file's delimiter" },
    Case { file: "csv/tab.csv", alg: "kmeans", ct: None, check: "csv-delimiter", severity: E, line: Some(1), record: None, byte: Some(0), message: "tabs", sagemaker: "comma-separated" },
    Case { file: "csv/pipe.csv", alg: "xgboost", ct: Some("text/csv"), check: "csv-delimiter", severity: E, line: Some(1), record: None, byte: Some(0), message: "pipes", sagemaker: "it picks '0'" },
    Case { file: "csv/quotes.csv", alg: "xgboost", ct: Some("text/csv"), check: "csv-quotes", severity: E, line: Some(2), record: None, byte: Some(10), message: "quote", sagemaker: "does not handle quotes" },
    Case { file: "csv/quotes.csv", alg: "linear-learner", ct: None, check: "csv-quotes", severity: W, line: Some(2), record: None, byte: Some(10), message: "quote", sagemaker: "#898" },
    Case { file: "csv/leading_blank.csv", alg: "xgboost", ct: Some("text/csv"), check: "csv-blank-line", severity: E, line: Some(1), record: None, byte: Some(0), message: "starts with a blank line", sagemaker: "Could not determine delimiter on line" },
    Case { file: "csv/no_final_newline.csv", alg: "xgboost", ct: Some("text/csv"), check: "csv-final-newline", severity: W, line: Some(2), record: None, byte: Some(8), message: "newline", sagemaker: "Pipe mode" },
    Case { file: "csv/bom.csv", alg: "xgboost", ct: Some("text/csv"), check: "csv-bom", severity: W, line: Some(1), record: None, byte: Some(0), message: "byte-order mark", sagemaker: "first cell" },
    Case { file: "csv/empty_cell.csv", alg: "pca", ct: None, check: "csv-empty-cell", severity: W, line: Some(1), record: None, byte: Some(6), message: "empty cell", sagemaker: "PCA expects a number" },
    Case { file: "csv/negative_count.csv", alg: "lda", ct: None, check: "negative-count", severity: W, line: Some(2), record: None, byte: Some(10), message: "negative word count", sagemaker: "word counts" },
    Case { file: "csv/empty.csv", alg: "xgboost", ct: Some("text/csv"), check: "empty-file", severity: E, line: None, record: None, byte: None, message: "empty (0 bytes)", sagemaker: "Could not determine delimiter" },
    Case { file: "ip/bad_ip.csv", alg: "ip-insights", ct: None, check: "ip-address", severity: E, line: Some(2), record: None, byte: Some(24), message: "\"192.0.2.999\" is not an IPv4 or IPv6 address", sagemaker: "IP Insights" },
    // Channels (spec §8.2)
    Case { file: "channel_hidden", alg: "xgboost", ct: Some("text/csv"), check: "hidden-file", severity: E, line: None, record: None, byte: None, message: "\".keep\" starts with '.'", sagemaker: "Hidden file found in the data path! Remove that before training." },
    Case { file: "channel_deep", alg: "xgboost", ct: Some("text/csv"), check: "folder-depth", severity: W, line: None, record: None, byte: None, message: "4 folders below", sagemaker: "skips the file" },
    Case { file: "channel_mixed_delimiter", alg: "xgboost", ct: Some("text/csv"), check: "csv-delimiter-mixed", severity: E, line: Some(1), record: None, byte: Some(0), message: "semicolons, but the first file", sagemaker: "delimiter of the first file" },
    Case { file: "channel_mixed_columns", alg: "linear-learner", ct: None, check: "csv-columns", severity: E, line: Some(1), record: None, byte: Some(0), message: "4 columns, but the first record", sagemaker: "column count" },
    Case { file: "channel_mixed_formats", alg: "xgboost", ct: None, check: "mixed-formats", severity: E, line: None, record: None, byte: None, message: "looks like libsvm", sagemaker: "one ContentType" },
    Case { file: "deepar_channel", alg: "deepar", ct: None, check: "skipped-file", severity: W, line: None, record: None, byte: None, message: "_SUCCESS", sagemaker: "DeepAR skips" },
    // LibSVM (spec §8.4)
    Case { file: "libsvm/bad_token.libsvm", alg: "xgboost", ct: None, check: "libsvm-syntax", severity: E, line: Some(3), record: None, byte: Some(31), message: "the value \"x\" is not a number", sagemaker: "Blankspace and colon not found" },
    Case { file: "libsvm/double_space.libsvm", alg: "xgboost", ct: None, check: "libsvm-whitespace", severity: E, line: Some(1), record: None, byte: Some(7), message: "double space", sagemaker: "First line '1 0:0.5  2:1.5' of file 'double_space.libsvm' is not 'LIBSVM' format." },
    Case { file: "libsvm/late_tab.libsvm", alg: "xgboost", ct: None, check: "libsvm-whitespace", severity: W, line: Some(2), record: None, byte: Some(19), message: "tab", sagemaker: "tolerated" },
    Case { file: "libsvm/comment_first.libsvm", alg: "xgboost", ct: None, check: "libsvm-comment", severity: E, line: Some(1), record: None, byte: Some(0), message: "comment before the first data line", sagemaker: "is not 'LIBSVM' format" },
    Case { file: "libsvm/one_based.libsvm", alg: "xgboost", ct: None, check: "libsvm-index-base", severity: W, line: None, record: None, byte: None, message: "smallest: 1", sagemaker: "0-based" },
    Case { file: "blazingtext/bom.txt", alg: "blazingtext", ct: None, check: "text-bom", severity: E, line: Some(1), record: None, byte: Some(0), message: "byte-order mark", sagemaker: "read as a word, not a label" },
    Case { file: "csv/nan_label.csv", alg: "xgboost", ct: Some("text/csv"), check: "label-not-finite", severity: E, line: Some(2), record: None, byte: Some(6), message: "\"nan\" is not a finite number", sagemaker: "Label contains NaN" },
    Case { file: "csv/nan_label.csv", alg: "linear-learner", ct: None, check: "label-not-finite", severity: E, line: Some(2), record: None, byte: Some(6), message: "\"nan\" is not a finite number", sagemaker: "finite label" },
    Case { file: "libsvm/nan_label.libsvm", alg: "xgboost", ct: None, check: "label-not-finite", severity: E, line: Some(2), record: None, byte: Some(10), message: "\"nan\" is not a finite number", sagemaker: "read as 0" },
    Case { file: "csv/clean.csv", alg: "linear-learner", ct: Some("text/csv;label_size=0"), check: "label-missing", severity: E, line: None, record: None, byte: None, message: "label_size=0", sagemaker: "fails without labels" },
    Case { file: "csv/clean.csv", alg: "knn", ct: Some("text/csv;label_size=4"), check: "csv-single-column", severity: E, line: Some(1), record: None, byte: Some(0), message: "4 columns, all of them labels", sagemaker: "without features" },
    Case { file: "csv/gzipped.csv.gz", alg: "xgboost", ct: Some("text/csv"), check: "compressed", severity: E, line: None, record: None, byte: Some(0), message: "gzip-compressed", sagemaker: "UnicodeDecodeError" },
    Case { file: "csv/cr_only.csv", alg: "xgboost", ct: Some("text/csv"), check: "line-endings", severity: E, line: Some(1), record: None, byte: Some(5), message: "carriage return alone", sagemaker: "one long row" },
    Case { file: "csv/cr_only.csv", alg: "linear-learner", ct: None, check: "line-endings", severity: E, line: Some(1), record: None, byte: Some(5), message: "carriage return alone", sagemaker: "one long row" },
    Case { file: "deepar/impossible_start.json", alg: "deepar", ct: None, check: "deepar-start", severity: E, line: Some(2), record: None, byte: Some(54), message: "February 2023 has 28 days, not 29", sagemaker: "YYYY-MM-DD HH:MM:SS" },
    Case { file: "libsvm/index_order.libsvm", alg: "xgboost", ct: None, check: "libsvm-index-order", severity: W, line: Some(2), record: None, byte: Some(20), message: "index 1 follows index 2", sagemaker: "should be sorted and unique" },
    Case { file: "libsvm/index_too_large.libsvm", alg: "xgboost", ct: None, check: "libsvm-index-range", severity: E, line: None, record: None, byte: None, message: "largest feature index is 4294967296", sagemaker: "4294967295 features or greater" },
    Case { file: "libsvm/bom.libsvm", alg: "xgboost", ct: None, check: "libsvm-bom", severity: E, line: Some(1), record: None, byte: Some(0), message: "byte-order mark", sagemaker: "is not 'LIBSVM' format" },
    Case { file: "libsvm/bom.libsvm", alg: "generic", ct: None, check: "libsvm-bom", severity: W, line: Some(1), record: None, byte: Some(0), message: "byte-order mark", sagemaker: "part of the first label" },
    Case { file: "libsvm/trailing_comment.libsvm", alg: "xgboost", ct: None, check: "libsvm-syntax", severity: E, line: Some(1), record: None, byte: Some(10), message: "'#' comment on the line XGBoost validates", sagemaker: "is not 'LIBSVM' format" },
    Case { file: "csv/blank_lines.csv", alg: "linear-learner", ct: None, check: "no-records", severity: E, line: None, record: None, byte: None, message: "no records (", sagemaker: "no records" },
    Case { file: "csv/blank_lines.csv", alg: "kmeans", ct: Some("text/csv;label_size=0"), check: "no-records", severity: E, line: None, record: None, byte: None, message: "no records (", sagemaker: "no records" },
    // The default content type of XGBoost is LibSVM (amazon-sagemaker-examples#668).
    Case { file: "csv/clean.csv", alg: "xgboost", ct: Some("text/libsvm"), check: "format-mismatch", severity: E, line: Some(1), record: None, byte: Some(0), message: "says libsvm, but the file looks like csv", sagemaker: "Blankspace and colon not found" },
    Case { file: "csv/clean.csv", alg: "xgboost", ct: None, check: "content-type-default", severity: W, line: None, record: None, byte: None, message: "default is text/libsvm", sagemaker: "Blankspace and colon not found" },
    // RecordIO-protobuf (spec §2, §7, §8.5)
    Case { file: "../recordio-protobuf/dense_f64_label.pbr", alg: "linear-learner", ct: None, check: "protobuf-dtype", severity: E, line: None, record: Some(1), byte: Some(0), message: "Float64Tensor; Linear Learner reads Float32Tensor only", sagemaker: "Float32" },
    Case { file: "../recordio-protobuf/dense_int32_label.pbr", alg: "factorization-machines", ct: None, check: "protobuf-dtype", severity: E, line: None, record: Some(1), byte: Some(0), message: "Int32Tensor", sagemaker: "Float32" },
    Case { file: "../recordio-protobuf/dense_f32_nolabel.pbr", alg: "linear-learner", ct: None, check: "label-missing", severity: E, line: None, record: None, byte: None, message: "no record has a label", sagemaker: "label" },
    Case { file: "../recordio-protobuf/dense_f32_nolabel.pbr", alg: "xgboost", ct: Some("application/x-recordio-protobuf"), check: "label-missing", severity: E, line: None, record: None, byte: None, message: "no record has a label", sagemaker: "Got input data without labels." },
    Case { file: "pbr/mixed_dtype.pbr", alg: "knn", ct: None, check: "protobuf-dtype-mixed", severity: E, line: None, record: Some(3), byte: Some(112), message: "Float64Tensor, but the first record", sagemaker: "has the data type Float64Tensor while it is expected" },
    Case { file: "pbr/mixed_width.pbr", alg: "pca", ct: None, check: "feature-dim", severity: E, line: None, record: Some(3), byte: Some(112), message: "4 features, but the first record", sagemaker: "while it is expected to have the shape" },
    Case { file: "pbr/nan_label.pbr", alg: "xgboost", ct: Some("application/x-recordio-protobuf"), check: "label-not-finite", severity: E, line: None, record: Some(2), byte: Some(56), message: "NaN (label[\"values\"][0]) is not a finite number", sagemaker: "Label contains NaN" },
    Case { file: "pbr/nan_label.pbr", alg: "linear-learner", ct: None, check: "label-not-finite", severity: E, line: None, record: Some(2), byte: Some(56), message: "is not a finite number", sagemaker: "finite label" },
    Case { file: "pbr/sparse_key_order.pbr", alg: "factorization-machines", ct: None, check: "protobuf-key-order", severity: W, line: None, record: Some(2), byte: Some(60), message: "key 2 follows key 5", sagemaker: "sorted and unique" },
    Case { file: "pbr/partial_label.pbr", alg: "linear-learner", ct: None, check: "label-partial", severity: E, line: None, record: Some(3), byte: Some(112), message: "no label, but the first record", sagemaker: "feature(s) while it is expected" },
    Case { file: "pbr/sparse_no_shape.pbr", alg: "factorization-machines", ct: None, check: "protobuf-sparse", severity: E, line: None, record: Some(2), byte: Some(60), message: "has no shape specified", sagemaker: "The sparse feature 'values' ... has no shape specified." },
    Case { file: "pbr/no_values_key.pbr", alg: "kmeans", ct: None, check: "protobuf-missing-values", severity: E, line: None, record: Some(1), byte: Some(0), message: "[\"data\"]", sagemaker: "ml-io" },
    Case { file: "pbr/no_values_key.pbr", alg: "xgboost", ct: Some("recordio-protobuf"), check: "protobuf-missing-values", severity: E, line: None, record: Some(1), byte: Some(0), message: "[\"data\"]", sagemaker: "XGBoost skips records" },
    Case { file: "pbr/seq2seq_float.pbr", alg: "seq2seq", ct: None, check: "seq2seq-tokens", severity: E, line: None, record: Some(2), byte: Some(48), message: "Float32Tensor, not an Int32Tensor", sagemaker: "Int32Tensor" },
    Case { file: "pbr/no_final_pad.pbr", alg: "xgboost", ct: Some("recordio-protobuf"), check: "recordio-padding", severity: E, line: None, record: None, byte: Some(87), message: "not a multiple of 4", sagemaker: "Failed to load recordio-protobuf data" },
    Case { file: "pbr/split_record.pbr", alg: "xgboost", ct: Some("recordio-protobuf"), check: "recordio-split", severity: E, line: None, record: Some(1), byte: Some(0), message: "split into 2 parts", sagemaker: "cflag 0" },
    Case { file: "../bad/recordio/bad_magic_second_record.rec", alg: "generic", ct: None, check: "recordio-framing", severity: E, line: None, record: Some(2), byte: Some(12), message: "cannot be read", sagemaker: "magic number" },
    // JSON Lines (spec §7)
    Case { file: "deepar/bad_start.json", alg: "deepar", ct: None, check: "deepar-start", severity: E, line: Some(2), record: None, byte: Some(51), message: "\"2024-01-01T00:00:00Z\"", sagemaker: "without a time zone" },
    Case { file: "deepar/bad_target.json", alg: "deepar", ct: None, check: "deepar-target", severity: E, line: Some(2), record: None, byte: Some(51), message: "target[1] is \"two\"", sagemaker: "DeepAR" },
    Case { file: "deepar/bad_cat.json", alg: "deepar", ct: None, check: "deepar-cat", severity: E, line: Some(2), record: None, byte: Some(63), message: "cat[0] is -1", sagemaker: "0-based integers" },
    Case { file: "deepar/cat_length.json", alg: "deepar", ct: None, check: "deepar-cat-length", severity: E, line: Some(2), record: None, byte: Some(66), message: "1 'cat' value, but the first record", sagemaker: "same number of categorical features" },
    Case { file: "deepar/dynamic_short.json", alg: "deepar", ct: None, check: "deepar-dynamic-feat", severity: E, line: Some(2), record: None, byte: Some(83), message: "fewer than the 3 of 'target'", sagemaker: "as long as 'target'" },
    Case { file: "deepar/dynamic_count.json", alg: "deepar", ct: None, check: "deepar-dynamic-feat-count", severity: E, line: Some(2), record: None, byte: Some(77), message: "2 dynamic features, but the first record", sagemaker: "num_dynamic_feat" },
    Case { file: "deepar/not_json.json", alg: "deepar", ct: None, check: "json-syntax", severity: E, line: Some(2), record: None, byte: Some(99), message: "EOF while parsing an object", sagemaker: "one complete JSON object per line" },
    Case { file: "object2vec/bad.jsonl", alg: "object2vec", ct: None, check: "object2vec-fields", severity: E, line: Some(2), record: None, byte: Some(49), message: "'in0' is a string", sagemaker: "\"in0\": [ids]" },
    Case { file: "blazingtext/manifest_bad.jsonl", alg: "blazingtext", ct: None, check: "blazingtext-fields", severity: E, line: Some(2), record: None, byte: Some(47), message: "no 'source'", sagemaker: "'source'" },
    Case { file: "blazingtext/mixed_labels.txt", alg: "blazingtext", ct: None, check: "blazingtext-label", severity: E, line: Some(2), record: None, byte: Some(34), message: "no __label__ prefix, but the first record", sagemaker: "__label__" },
    Case { file: "blazingtext/latin1.txt", alg: "blazingtext", ct: None, check: "text-encoding", severity: E, line: Some(1), record: None, byte: Some(16), message: "not valid UTF-8", sagemaker: "UTF-8" },
    // Content types (spec §7, §8.1)
    Case { file: "csv/clean.csv", alg: "factorization-machines", ct: None, check: "content-type", severity: E, line: None, record: None, byte: None, message: "does not train on text/csv", sagemaker: "application/x-recordio-protobuf" },
    Case { file: "csv/clean.csv", alg: "xgboost", ct: Some("text/csv;label_size=0"), check: "content-type", severity: E, line: None, record: None, byte: None, message: "label_size=0", sagemaker: "text/csv;label_size=0 is not an accepted csv ContentType. Optional parameter label_size must be equal to 1" },
    Case { file: "csv/clean.csv", alg: "xgboost", ct: Some("application/x-image"), check: "content-type", severity: E, line: None, record: None, byte: None, message: "not a content type", sagemaker: "application/x-image is not an accepted ContentType: csv, libsvm, parquet, recordio-protobuf" },
    Case { file: "../recordio-protobuf/dense_f32_label.pbr", alg: "ip-insights", ct: None, check: "content-type", severity: E, line: None, record: None, byte: None, message: "IP Insights does not train on application/x-recordio-protobuf", sagemaker: "text/csv" },
];

#[test]
fn every_corpus_file_produces_its_finding() {
    for c in CASES {
        let r = run(&format!("validate/{}", c.file), c.alg, c.ct);
        let f = first(&r, c.check);
        let what = format!("{} ({}, {:?}): {f:#?}", c.file, c.alg, c.ct);
        assert_eq!(f.severity, c.severity, "{what}");
        assert_eq!(f.position.line.map(|l| l + 1), c.line, "{what}");
        assert_eq!(f.position.record.map(|l| l + 1), c.record, "{what}");
        assert_eq!(f.position.byte, c.byte, "{what}");
        assert!(f.message.contains(c.message), "{what}");
        assert!(f.sagemaker.contains(c.sagemaker), "{what}");
        assert!(!f.fix.is_empty(), "{what}");
        if c.line.is_some() || c.record.is_some() || c.byte.is_some() {
            assert!(f.position.file.is_some(), "{what}");
        }
        assert_eq!(
            r.is_clean(),
            c.severity == Severity::Warning && r.errors() == 0,
            "{what}"
        );
    }
}

#[test]
fn corpus_files_produce_only_their_findings() {
    // The findings beside the one each file is for are listed, so that a
    // new false positive fails here.
    let cases: &[(&str, &str, Option<&str>, &[&str])] = &[
        (
            "csv/header.csv",
            "xgboost",
            Some("text/csv"),
            &["csv-header"],
        ),
        (
            "csv/non_numeric.csv",
            "linear-learner",
            None,
            &["csv-non-numeric"],
        ),
        ("csv/ragged.csv", "knn", None, &["csv-columns"]),
        (
            "csv/single_column.csv",
            "xgboost",
            Some("text/csv"),
            &["csv-columns", "csv-single-column"],
        ),
        (
            "csv/quotes.csv",
            "xgboost",
            Some("text/csv"),
            &["csv-quotes"],
        ),
        (
            "csv/pipe.csv",
            "xgboost",
            Some("text/csv"),
            &["csv-delimiter"],
        ),
        (
            "csv/empty.csv",
            "xgboost",
            Some("text/csv"),
            &["empty-channel", "empty-file"],
        ),
        ("libsvm/bom.libsvm", "xgboost", None, &["libsvm-bom"]),
        (
            "csv/nan_label.csv",
            "xgboost",
            Some("text/csv"),
            &["label-not-finite"],
        ),
        (
            "libsvm/nan_label.libsvm",
            "xgboost",
            None,
            &["label-not-finite"],
        ),
        (
            "pbr/sparse_key_order.pbr",
            "generic",
            None,
            &["protobuf-key-order"],
        ),
        (
            "pbr/nan_label.pbr",
            "xgboost",
            Some("application/x-recordio-protobuf"),
            &["label-not-finite"],
        ),
        (
            "csv/clean.csv",
            "linear-learner",
            Some("text/csv;label_size=0"),
            &["label-missing"],
        ),
        (
            "csv/gzipped.csv.gz",
            "xgboost",
            Some("text/csv"),
            &["compressed"],
        ),
        ("blazingtext/bom.txt", "blazingtext", None, &["text-bom"]),
        (
            "csv/cr_only.csv",
            "xgboost",
            Some("text/csv"),
            &["line-endings"],
        ),
        (
            "libsvm/index_order.libsvm",
            "generic",
            None,
            &["libsvm-index-order"],
        ),
        (
            "libsvm/index_too_large.libsvm",
            "xgboost",
            None,
            &["libsvm-index-range"],
        ),
        (
            "libsvm/trailing_comment.libsvm",
            "xgboost",
            Some("text/libsvm"),
            &["libsvm-syntax"],
        ),
        (
            "csv/blank_lines.csv",
            "linear-learner",
            None,
            &["csv-blank-line", "empty-file", "no-records"],
        ),
        (
            "channel_empty",
            "linear-learner",
            None,
            &["empty-channel", "empty-file"],
        ),
        (
            "channel_hidden",
            "xgboost",
            Some("text/csv"),
            &["hidden-file"],
        ),
        (
            "channel_mixed_delimiter",
            "xgboost",
            Some("text/csv"),
            &["csv-delimiter", "csv-delimiter-mixed"],
        ),
        (
            "deepar_channel",
            "deepar",
            None,
            &["hidden-file", "skipped-file"],
        ),
        (
            "libsvm/bad_token.libsvm",
            "xgboost",
            None,
            &["libsvm-syntax"],
        ),
        (
            "csv/clean.csv",
            "xgboost",
            Some("text/libsvm"),
            &["format-mismatch", "libsvm-syntax"],
        ),
        (
            "pbr/sparse_no_shape.pbr",
            "factorization-machines",
            None,
            &["protobuf-sparse"],
        ),
        (
            "pbr/seq2seq.pbr",
            "xgboost",
            Some("recordio-protobuf"),
            &["label-missing", "protobuf-missing-values"],
        ),
        ("deepar/bad_start.json", "deepar", None, &["deepar-start"]),
    ];
    for (file, alg, ct, want) in cases {
        let r = run(&format!("validate/{file}"), alg, *ct);
        assert_eq!(ids(&r), *want, "{file} ({alg}): {:#?}", r.findings);
    }
}

#[test]
fn clean_files_produce_no_findings() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("validate/csv/clean.csv", "xgboost", Some("text/csv")),
        ("validate/csv/clean.csv", "linear-learner", None),
        (
            "validate/csv/clean.csv",
            "knn",
            Some("text/csv;label_size=1"),
        ),
        (
            "validate/csv/clean.csv",
            "kmeans",
            Some("text/csv;label_size=0"),
        ),
        ("validate/csv/clean.csv", "generic", None),
        // Exponent forms are numbers (sagemaker-python-sdk#141).
        ("validate/csv/exponent.csv", "xgboost", Some("text/csv")),
        ("validate/csv/exponent.csv", "linear-learner", None),
        (
            "validate/csv/counts.csv",
            "lda",
            Some("text/csv;label_size=0"),
        ),
        (
            "validate/csv/negative_count.csv",
            "xgboost",
            Some("text/csv"),
        ),
        ("validate/csv/empty_cell.csv", "xgboost", Some("text/csv")),
        ("validate/ip/clean.csv", "ip-insights", None),
        ("validate/libsvm/clean.libsvm", "xgboost", None),
        ("validate/libsvm/clean.libsvm", "generic", None),
        // A label-only first row is a LibSVM row without features, not CSV.
        (
            "validate/libsvm/label_only_first.libsvm",
            "xgboost",
            Some("text/libsvm"),
        ),
        ("validate/libsvm/label_only_first.libsvm", "xgboost", None),
        ("validate/channel_deep/a", "xgboost", Some("text/csv")),
        ("csv/dense.csv", "xgboost", Some("text/csv")),
        ("libsvm/sparse.libsvm", "xgboost", Some("text/x-libsvm")),
        (
            "recordio-protobuf/dense_f32_label.pbr",
            "linear-learner",
            None,
        ),
        (
            "recordio-protobuf/dense_f32_label.pbr",
            "xgboost",
            Some("application/x-recordio-protobuf"),
        ),
        (
            "recordio-protobuf/sparse_f32_label.pbr",
            "factorization-machines",
            None,
        ),
        (
            "recordio-protobuf/sparse_f32_zero_row.pbr",
            "factorization-machines",
            None,
        ),
        ("recordio-protobuf/dense_f32_nolabel.pbr", "kmeans", None),
        ("recordio-protobuf/dense_f64_label.pbr", "knn", None),
        ("validate/pbr/seq2seq.pbr", "seq2seq", None),
        ("validate/deepar/clean.json", "deepar", None),
        ("validate/deepar/clean.json", "generic", None),
        ("validate/object2vec/clean.jsonl", "object2vec", None),
        ("validate/blazingtext/supervised.txt", "blazingtext", None),
        (
            "validate/blazingtext/manifest.jsonl",
            "blazingtext",
            Some("application/jsonlines"),
        ),
    ];
    for (file, alg, ct) in cases {
        let r = run(file, alg, *ct);
        assert!(r.counts.is_empty(), "{file} ({alg}): {:#?}", r.findings);
        assert!(r.stats.num_records > 0, "{file}");
    }
}

/// Copies corpus files into a fresh folder.
fn channel(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (src, dst) in files {
        let to = dir.path().join(dst);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if src.is_empty() {
            std::fs::write(&to, b"").unwrap();
        } else {
            std::fs::copy(testdata(src), &to).unwrap();
        }
    }
    dir
}

fn run_dir(dir: &Path, alg: &str, ct: Option<&str>) -> Report {
    run_opts(&[dir.to_str().unwrap().to_string()], alg, ct, |_| {})
}

#[test]
fn hidden_files_and_depth_apply_to_every_format() {
    for (src, name, ct) in [
        ("csv/dense.csv", "train.csv", "text/csv"),
        ("libsvm/sparse.libsvm", "train.libsvm", "text/libsvm"),
        (
            "recordio-protobuf/dense_f32_label.pbr",
            "train.pbr",
            "application/x-recordio-protobuf",
        ),
    ] {
        let dir = channel(&[
            (src, name),
            (src, &format!(".cache/{name}")),
            (src, &format!("a/b/c/d/{name}")),
        ]);
        let r = run_dir(dir.path(), "xgboost", Some(ct));
        assert_eq!(
            ids(&r),
            ["folder-depth", "hidden-file"],
            "{ct}: {:#?}",
            r.findings
        );
        let f = first(&r, "hidden-file");
        assert!(
            f.position
                .file
                .as_deref()
                .unwrap()
                .ends_with(&format!(".cache/{name}"))
        );
        assert_eq!(f.severity, Severity::Error);
        // Only the visible, shallow file is read.
        assert_eq!(r.files.len(), 1, "{ct}");
        // Other algorithms read hidden files as data: a warning.
        if ct != "text/libsvm" {
            let r = run_dir(dir.path(), "generic", None);
            assert_eq!(first(&r, "hidden-file").severity, Severity::Warning);
            assert!(!r.counts.contains_key(&Check::FolderDepth));
        }
    }
}

#[test]
fn empty_files_apply_to_every_format() {
    for (name, alg, sev) in [
        ("x.csv", "xgboost", Severity::Error),
        ("x.csv", "linear-learner", Severity::Warning),
        ("x.libsvm", "xgboost", Severity::Warning),
        ("x.pbr", "factorization-machines", Severity::Warning),
        ("x.json", "deepar", Severity::Warning),
    ] {
        let dir = channel(&[("", name), ("csv/dense.csv", "keep/ok.csv")]);
        let r = run_opts(
            &[dir.path().join(name).to_str().unwrap().to_string()],
            alg,
            None,
            |_| {},
        );
        let f = first(&r, "empty-file");
        assert_eq!(f.severity, sev, "{name} {alg}");
        assert!(r.counts.contains_key(&Check::EmptyChannel), "{name} {alg}");
    }
}

#[test]
fn feature_dimension_must_agree_in_every_format() {
    // CSV columns, RecordIO-protobuf widths, and across files of a channel.
    let r = run("validate/csv/ragged.csv", "linear-learner", None);
    assert_eq!(r.counts[&Check::CsvColumns], (1, 0));
    let r = run("validate/pbr/mixed_width.pbr", "linear-learner", None);
    assert_eq!(r.counts[&Check::FeatureDim], (1, 0));
    let dir = channel(&[
        ("recordio-protobuf/dense_f32_label.pbr", "a.pbr"),
        ("recordio-protobuf/sparse_f32_label.pbr", "b.pbr"),
    ]);
    let r = run_dir(dir.path(), "linear-learner", None);
    // dense 5 features vs sparse shape 10, and dense vs sparse records.
    let f = first(&r, "feature-dim");
    assert!(
        f.position.file.as_deref().unwrap().ends_with("b.pbr"),
        "{f:#?}"
    );
    assert_eq!(f.position.record, Some(0));
    assert!(
        f.message.contains("10 features") && f.message.contains("a.pbr"),
        "{f:#?}"
    );
    assert_eq!(r.counts[&Check::FeatureDim], (6, 0));
    assert_eq!(r.counts[&Check::ProtobufKindMixed], (6, 0));
    // XGBoost makes the whole matrix sparse: a warning there.
    let r = run_dir(dir.path(), "xgboost", Some("recordio-protobuf"));
    assert_eq!(r.counts[&Check::ProtobufKindMixed], (0, 6));
}

#[test]
fn binary_data_declared_as_text_is_one_finding() {
    let pbr = "recordio-protobuf/dense_f32_label.pbr";
    let r = run(pbr, "linear-learner", Some("text/csv"));
    assert_eq!(ids(&r), ["format-mismatch"], "{:#?}", r.findings);
    let r = run(
        "validate/csv/clean.csv",
        "linear-learner",
        Some("application/x-recordio-protobuf"),
    );
    assert_eq!(ids(&r), ["format-mismatch"], "{:#?}", r.findings);
    // Labels in some records only are a finding for every algorithm.
    let r = run("validate/pbr/partial_label.pbr", "kmeans", None);
    assert_eq!(ids(&r), ["label-partial"], "{:#?}", r.findings);
    // A NaN label is not a finding where labels are not trained on.
    for alg in ["kmeans", "generic"] {
        let r = run("validate/pbr/nan_label.pbr", alg, None);
        assert!(r.findings.is_empty(), "{alg}: {:#?}", r.findings);
    }
}

#[test]
fn non_numbers_are_found_in_every_format() {
    let r = run("validate/csv/non_numeric.csv", "xgboost", Some("text/csv"));
    assert_eq!(first(&r, "csv-non-numeric").position.field, Some(2));
    let r = run("validate/libsvm/bad_token.libsvm", "generic", None);
    assert_eq!(first(&r, "libsvm-syntax").position.field, Some(2));
    let r = run("validate/deepar/bad_target.json", "deepar", None);
    assert!(r.counts.contains_key(&Check::DeeparTarget));
}

#[test]
fn content_types_are_checked_for_every_algorithm() {
    // Each algorithm accepts its own types and rejects the others.
    let csv = "validate/csv/clean.csv";
    for (alg, ok) in [
        ("xgboost", true),
        ("linear-learner", true),
        ("factorization-machines", false),
        ("knn", true),
        ("kmeans", true),
        ("pca", true),
        ("rcf", true),
        ("lda", true),
        ("ntm", true),
        ("deepar", false),
        ("object2vec", false),
        ("seq2seq", false),
    ] {
        let r = run(csv, alg, Some("text/csv"));
        assert_eq!(
            !r.counts.contains_key(&Check::ContentType),
            ok,
            "{alg}: {:#?}",
            r.findings
        );
    }
    for (alg, ok) in [
        ("xgboost", true),
        ("linear-learner", true),
        ("factorization-machines", true),
        ("ip-insights", false),
        ("deepar", false),
        ("seq2seq", true),
    ] {
        let r = run(
            "recordio-protobuf/dense_f32_label.pbr",
            alg,
            Some("application/x-recordio-protobuf"),
        );
        assert_eq!(!r.counts.contains_key(&Check::ContentType), ok, "{alg}");
    }
    let r = run(
        "libsvm/sparse.libsvm",
        "linear-learner",
        Some("text/libsvm"),
    );
    assert!(
        first(&r, "content-type")
            .message
            .contains("does not train on text/libsvm")
    );
}

#[test]
fn dtype_rules_apply_per_algorithm() {
    let f64 = "recordio-protobuf/dense_f64_label.pbr";
    for (alg, bad) in [
        ("linear-learner", true),
        ("factorization-machines", true),
        ("kmeans", false),
        ("xgboost", false),
    ] {
        let r = run(f64, alg, Some("application/x-recordio-protobuf"));
        assert_eq!(
            r.counts.get(&Check::ProtobufDtype).map(|c| c.0),
            bad.then_some(6),
            "{alg}"
        );
    }
    let f = first(&run(f64, "linear-learner", None), "protobuf-dtype").clone();
    assert!(f.fix.contains("--dtype float32"), "{f:#?}");
}

#[test]
fn findings_are_limited_per_kind_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.csv");
    let mut text = String::new();
    for i in 0..500 {
        text.push_str(&format!("{},x{i},2\n", i % 2));
    }
    std::fs::write(&p, text).unwrap();
    let paths = [p.to_str().unwrap().to_string()];
    let r = run_opts(&paths, "linear-learner", None, |o| o.max_per_kind = 3);
    assert_eq!(r.counts[&Check::CsvNonNumeric], (500, 0));
    let shown: Vec<u64> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::CsvNonNumeric)
        .map(|f| f.position.line.unwrap())
        .collect();
    assert_eq!(shown, [0, 1, 2]);
    assert_eq!(r.errors(), 500);
}

#[test]
fn results_do_not_depend_on_chunking_or_threads() {
    // Bad rows scattered through a file large enough for many chunks.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("\u{feff}");
    let mut libsvm = String::from("# comment\n1 0:1  1:2\n");
    for i in 0..3000 {
        match i % 997 {
            5 => csv.push_str("1,oops,3\n"),
            7 => csv.push_str("1,2\n"),
            9 => csv.push('\n'),
            _ => csv.push_str(&format!("{},{}.5,{}\n", i % 3, i, i % 7)),
        }
        match i % 991 {
            3 => libsvm.push_str("1 0:1 bad\n"),
            4 => libsvm.push_str("0 2:1\t3:1\n"),
            _ => libsvm.push_str(&format!("{} {}:1 {}:2\n", i % 2, i % 5, 5 + i % 11)),
        }
    }
    let mut json = String::new();
    for i in 0..2000 {
        if i % 613 == 1 {
            json.push_str("{\"start\": \"2024-01-01\", \"target\": [1, \"x\"], \"cat\": [1]}\n");
        } else {
            json.push_str(&format!(
                "{{\"start\": \"2024-01-01 00:00:00\", \"target\": [{i}, 2], \"cat\": [{}, 1]}}\n",
                i % 4
            ));
        }
    }
    let pbr = std::fs::read(testdata("validate/pbr/mixed_dtype.pbr"))
        .unwrap()
        .repeat(50);
    for (name, data, alg, ct) in [
        ("a.csv", csv.as_bytes(), "xgboost", Some("text/csv")),
        ("a.libsvm", libsvm.as_bytes(), "xgboost", None),
        ("a.json", json.as_bytes(), "deepar", None),
        ("a.pbr", &pbr[..], "linear-learner", None),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        let paths = [p.to_str().unwrap().to_string()];
        let base = run_opts(&paths, alg, ct, |o| {
            o.pipeline.threads = 1;
            o.pipeline.chunk_size = 1 << 20;
        });
        assert!(!base.is_clean(), "{name}");
        for chunk in [1, 7, 64, 4096] {
            for threads in [1, 2, 3] {
                let r = run_opts(&paths, alg, ct, |o| {
                    o.pipeline.threads = threads;
                    o.pipeline.chunk_size = chunk;
                });
                assert_eq!(r, base, "{name}: chunk {chunk}, {threads} threads");
            }
        }
        // A gzip stream gives the same findings (and reads the same bytes).
        let gz_path = dir.path().join(format!("{name}.gz"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, data).unwrap();
        std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
        let r = run_opts(&[gz_path.to_str().unwrap().to_string()], alg, ct, |o| {
            o.pipeline.chunk_size = 64;
        });
        // (XGBoost does not decompress: one `compressed` error on top.)
        let mut counts = r.counts.clone();
        if alg == "xgboost" {
            assert_eq!(counts.remove(&Check::Compressed), Some((1, 0)), "{name}.gz");
        }
        assert_eq!(counts, base.counts, "{name}.gz");
        assert_eq!(r.stats, base.stats, "{name}.gz");
        let lines = |r: &Report| {
            r.findings
                .iter()
                .map(|f| (f.check, f.position.line, f.position.record, f.position.byte))
                .collect::<Vec<_>>()
        };
        let lines_of = |r: &Report| {
            let mut l = lines(r);
            l.retain(|f| f.0 != Check::Compressed);
            l
        };
        assert_eq!(lines_of(&r), lines(&base), "{name}.gz");
    }
}

#[test]
fn stats_and_hyperparameters() {
    let r = run("csv/dense.csv", "linear-learner", None);
    assert!(r.is_clean());
    let s = &r.stats;
    assert_eq!((s.num_records, s.feature_dim, s.labeled_records), (6, 5, 6));
    assert_eq!(s.label_range, Some((0.0, 2.0)));
    let classes = s.label_classes.as_ref().unwrap();
    assert_eq!(
        classes
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect::<Vec<_>>(),
        [("0", 2), ("1", 2), ("2", 2)]
    );
    let hint = |r: &Report, name: &str| {
        r.stats
            .hyperparameters
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("no {name} hint: {:?}", r.stats.hyperparameters))
            .value
            .clone()
    };
    assert_eq!(hint(&r, "feature_dim"), "5");
    assert_eq!(hint(&r, "predictor_type"), "multiclass_classifier");
    assert_eq!(hint(&r, "num_classes"), "3");
    // Sparsity: dense.csv has 30 cells; count the non-zero ones.
    let text = std::fs::read_to_string(testdata("csv/dense.csv")).unwrap();
    let nonzero = text
        .lines()
        .flat_map(|l| l.split(',').skip(1))
        .filter(|c| c.parse::<f64>().unwrap() != 0.0)
        .count() as u64;
    assert_eq!(s.nonzero_values, nonzero);
    assert!((s.sparsity.unwrap() - (1.0 - nonzero as f64 / 30.0)).abs() < 1e-12);

    // LibSVM: feature_dim is the largest index + 1.
    let r = run("validate/libsvm/clean.libsvm", "xgboost", None);
    assert_eq!((r.stats.feature_dim, r.stats.min_index), (4, Some(0)));
    assert_eq!(hint(&r, "objective"), "binary:logistic");

    // Sparse RecordIO-protobuf: the shape; FM num_factors bounds.
    let r = run(
        "recordio-protobuf/sparse_f32_label.pbr",
        "factorization-machines",
        None,
    );
    assert_eq!(r.stats.feature_dim, 10);
    assert!(hint(&r, "num_factors").contains("2..1000"));
    // k-means: every column is a feature with label_size=0; text/csv
    // alone means label_size=1 to SageMaker (spec §7), for unsupervised
    // algorithms too: column 0 is dropped, and a warning says so (once per
    // channel, only when the content type does not give label_size).
    let r = run(
        "validate/csv/clean.csv",
        "kmeans",
        Some("text/csv;label_size=0"),
    );
    assert_eq!(r.stats.feature_dim, 4);
    assert_eq!(hint(&r, "k"), "2..4");
    assert!(r.counts.is_empty(), "{:#?}", r.findings);
    for (file, alg, ct, dim) in [
        ("clean.csv", "kmeans", None, 3),
        ("clean.csv", "kmeans", Some("text/csv"), 3),
        ("clean.csv", "pca", None, 3),
        ("clean.csv", "rcf", Some("text/csv"), 3),
        ("counts.csv", "lda", None, 3),
        ("counts.csv", "ntm", None, 3),
    ] {
        let r = run(&format!("validate/csv/{file}"), alg, ct);
        assert_eq!(r.stats.feature_dim, dim, "{alg} {ct:?}");
        assert_eq!(ids(&r), ["csv-label-size"], "{alg} {ct:?}");
        let f = first(&r, "csv-label-size");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("column 0 is taken as a label"), "{f:#?}");
        assert!(f.fix.contains("text/csv;label_size=0"), "{f:#?}");
        assert!(r.is_clean());
    }
    let r = run(
        "validate/csv/clean.csv",
        "kmeans",
        Some("text/csv;label_size=1"),
    );
    assert_eq!(r.stats.feature_dim, 3);
    assert!(r.counts.is_empty(), "{:#?}", r.findings);
    // IP Insights has no label column whatever the content type.
    let r = run("validate/ip/clean.csv", "ip-insights", Some("text/csv"));
    assert!(r.counts.is_empty(), "{:#?}", r.findings);

    // DeepAR: cardinality and dynamic features.
    let r = run("validate/deepar/clean.json", "deepar", None);
    assert_eq!(hint(&r, "cardinality"), "[2, 3]");
    assert_eq!(hint(&r, "num_dynamic_feat"), "1");
    assert_eq!(r.stats.sequence_length, Some((3, 4)));
    let r = run("validate/object2vec/clean.jsonl", "object2vec", None);
    assert_eq!(hint(&r, "enc0_vocab_size"), "775");
    assert_eq!(hint(&r, "enc1_max_seq_len"), "4");
    let r = run("validate/pbr/seq2seq.pbr", "seq2seq", None);
    assert_eq!(hint(&r, "max_seq_len_target"), "4");
}

#[test]
fn inputs_that_cannot_be_checked_are_errors() {
    let o = Options::new(Algorithm::Xgboost);
    let e = validate(&["/no/such/file.csv".to_string()], &o).unwrap_err();
    assert!(e.io_error().is_some(), "{e}");
    // A manifest that is not valid JSON cannot be expanded.
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("bad.manifest");
    std::fs::write(&m, b"[{\"prefix\": 1}]").unwrap();
    let e = validate(&[m.to_str().unwrap().to_string()], &o).unwrap_err();
    assert!(e.to_string().contains("bad.manifest"), "{e}");
    let mut o = Options::new(Algorithm::Xgboost);
    o.content_type = Some("text/csv;label_size".into());
    assert!(
        validate(&[path("validate/csv/clean.csv")], &o)
            .unwrap_err()
            .is_config()
    );
}

// --- The real binary -------------------------------------------------------

#[test]
fn cli_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clean = path("validate/csv/clean.csv");
    let o = sm_data(
        d,
        &[
            "validate",
            &clean,
            "--algorithm",
            "xgboost",
            "--content-type",
            "text/csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("result: clean"), "{text}");
    assert!(
        text.contains("num_records:     4") && text.contains("feature_dim:     3"),
        "{text}"
    );
    // Warnings only: still 0.
    let o = sm_data(
        d,
        &[
            "validate",
            &path("validate/libsvm/one_based.libsvm"),
            "-a",
            "xgboost",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    // Problems: 1.
    let o = sm_data(
        d,
        &[
            "validate",
            &path("validate/csv/header.csv"),
            "-a",
            "linear-learner",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("error [csv-header]") && text.contains("line 1, byte offset 0"),
        "{text}"
    );
    assert!(
        text.contains("fix:       drop the header: sm-data convert"),
        "{text}"
    );
    // Could not run: 2 (unreadable input, unknown algorithm, bad content
    // type, s3 prefix, missing --algorithm).
    for args in [
        &["validate", "missing.csv", "-a", "xgboost"][..],
        &["validate", &clean, "-a", "nope"][..],
        &[
            "validate",
            &clean,
            "-a",
            "xgboost",
            "--content-type",
            "text/csv;x",
        ][..],
        &["validate", "s3://b/p/", "-a", "xgboost"][..],
        &["validate", &clean][..],
    ] {
        let o = sm_data(d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty());
    }
}

#[test]
fn cli_json_shape() {
    let dir = tempfile::tempdir().unwrap();
    let o = sm_data(
        dir.path(),
        &[
            "validate",
            &path("validate/csv/non_numeric.csv"),
            &path("validate/csv/ragged.csv"),
            "-a",
            "linear-learner",
            "--json",
            "--max-per-kind",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["algorithm"], "linear-learner");
    assert_eq!(v["clean"], false);
    assert_eq!(v["errors"], 2);
    assert_eq!(v["files"][0]["kind"], "csv");
    assert_eq!(v["counts"]["csv-non-numeric"]["errors"], 1);
    assert_eq!(v["counts"]["csv-columns"]["shown"], 1);
    let f = &v["findings"][0];
    for key in [
        "check",
        "severity",
        "file",
        "line",
        "record",
        "field",
        "byte",
        "snippet",
        "message",
        "sagemaker",
        "fix",
    ] {
        assert!(f.get(key).is_some(), "{key} missing in {f}");
    }
    assert_eq!(f["check"], "csv-non-numeric");
    assert_eq!(f["line"], 3);
    assert_eq!(f["field"], 3);
    assert_eq!(f["byte"], 26);
    assert_eq!(f["snippet"], "red");
    assert!(f["file"].as_str().unwrap().ends_with("non_numeric.csv"));
    assert_eq!(v["stats"]["num_records"], 7);
    assert!(v["stats"]["hyperparameters"].is_array());

    let o = sm_data(
        dir.path(),
        &[
            "validate",
            &path("csv/dense.csv"),
            "-a",
            "kmeans",
            "--content-type",
            "text/csv;label_size=0",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["clean"], true);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["stats"]["feature_dim"], 6);
    assert_eq!(v["stats"]["hyperparameters"][0]["name"], "feature_dim");
    assert_eq!(v["stats"]["hyperparameters"][0]["value"], "6");
}

#[test]
fn cli_summarises_findings_beyond_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.libsvm");
    std::fs::write(&p, "1,2,3\n".repeat(25)).unwrap();
    let o = sm_data(
        dir.path(),
        &[
            "validate",
            "bad.libsvm",
            "-a",
            "xgboost",
            "--max-per-kind",
            "2",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.matches("error [libsvm-syntax]").count(), 2, "{text}");
    assert!(
        text.contains("... and 23 more [libsvm-syntax] (25 in all)"),
        "{text}"
    );
    assert!(
        text.contains("libsvm-syntax            25 errors"),
        "{text}"
    );
    assert!(text.contains("the line looks like CSV"), "{text}");
}

// --- Manifests, S3 and Parquet ---------------------------------------------

/// Findings of one check.
fn all<'a>(r: &'a Report, id: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.check.id() == id).collect()
}

#[test]
fn a_local_manifest_validates_the_objects_it_lists() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("data")).unwrap();
    std::fs::copy(testdata("validate/csv/clean.csv"), d.join("data/p0.csv")).unwrap();
    std::fs::copy(testdata("validate/csv/header.csv"), d.join("data/p1.csv")).unwrap();
    // Not listed: never read.
    std::fs::write(d.join("data/other.csv"), "label,x\n").unwrap();
    let prefix = format!("{}/data/", d.display());
    let m = d.join("train.manifest");
    std::fs::write(
        &m,
        format!("[{{\"prefix\": \"{prefix}\"}}, \"p0.csv\", \"p1.csv\", \"p9.csv\"]"),
    )
    .unwrap();
    let r = run_opts(
        &[m.to_str().unwrap().to_string()],
        "xgboost",
        Some("text/csv"),
        |_| {},
    );
    let files: Vec<&str> = r.files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        files,
        [format!("{prefix}p0.csv"), format!("{prefix}p1.csv")]
    );
    assert_eq!(ids(&r), ["csv-header", "manifest-missing"]);
    let f = first(&r, "manifest-missing");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.position.file.as_deref(), Some(m.to_str().unwrap()));
    assert_eq!(f.position.record, Some(3));
    assert!(
        f.message.contains(&format!("{prefix}p9.csv")),
        "{}",
        f.message
    );
    assert!(f.fix.contains("sm-data manifest build"), "{}", f.fix);
    assert_eq!(
        first(&r, "csv-header").position.file.as_deref(),
        Some(format!("{prefix}p1.csv").as_str())
    );
    assert_eq!(r.stats.num_records, 4 + 2); // the header row is no record

    // The same manifest under a data-like name, with a file:// prefix, is
    // recognised by its content; every key present is a clean channel.
    let m2 = d.join("train.json");
    std::fs::write(
        &m2,
        format!("[{{\"prefix\": \"file://{prefix}\"}}, \"p0.csv\"]"),
    )
    .unwrap();
    let r = run_opts(
        &[m2.to_str().unwrap().to_string()],
        "xgboost",
        Some("text/csv"),
        |_| {},
    );
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.files.len(), 1);
    assert_eq!(r.stats.num_records, 4);
}

#[cfg(feature = "parquet")]
fn pq(rel: &str, alg: &str) -> Report {
    run(
        &format!("validate/parquet/{rel}"),
        alg,
        Some("application/x-parquet"),
    )
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_clean_wide_file_gives_its_stats() {
    let r = pq("clean.parquet", "xgboost");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.files[0].1, sm_data::validate::InputKind::Parquet);
    assert_eq!(r.stats.num_records, 5);
    assert_eq!(r.stats.feature_dim, 3);
    assert_eq!(r.stats.labeled_records, 5);
    assert_eq!(r.stats.label_range, Some((0.0, 1.0)));
    assert_eq!(r.stats.missing_values, 1);
    assert_eq!(r.stats.stored_values, 15);
    // Found by its magic bytes too, whatever the name.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("part-0");
    std::fs::copy(testdata("validate/parquet/clean.parquet"), &p).unwrap();
    let r = run_opts(&[p.to_str().unwrap().to_string()], "xgboost", None, |_| {});
    assert_eq!(ids(&r), ["content-type-default"]);
    assert_eq!(r.stats.num_records, 5);
    // One thread or many: the same report.
    let one = run_opts(
        &[path("validate/parquet/null_label.parquet")],
        "xgboost",
        Some("application/x-parquet"),
        |o| o.pipeline.threads = 1,
    );
    assert_eq!(one, pq("null_label.parquet", "xgboost"));
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_string_column_is_named_with_the_exclude_fix() {
    let r = pq("string_column.parquet", "xgboost");
    assert_eq!(ids(&r), ["parquet-column"]);
    let f = first(&r, "parquet-column");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.position.field, Some(2));
    assert!(f.message.contains("\"city\""), "{}", f.message);
    assert!(f.message.contains("Utf8"), "{}", f.message);
    assert!(f.fix.contains("--exclude-columns city"), "{}", f.fix);
    assert!(
        f.sagemaker.contains("Failed to load parquet data"),
        "{}",
        f.sagemaker
    );
    let len = std::fs::metadata(testdata("validate/parquet/string_column.parquet"))
        .unwrap()
        .len();
    assert!(f.position.byte.unwrap() > 4 && f.position.byte.unwrap() < len);
    // The numeric columns are still read.
    assert_eq!(r.stats.num_records, 5);
    assert_eq!(r.stats.feature_dim, 2);
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_null_label_is_located_by_record_row_group_and_byte() {
    let r = pq("null_label.parquet", "xgboost");
    assert_eq!(ids(&r), ["parquet-label"]);
    assert_eq!(r.counts[&Check::ParquetLabel], (1, 0));
    let f = first(&r, "parquet-label");
    assert_eq!(f.position.record, Some(3));
    assert_eq!(f.position.field, Some(0));
    // Row group 1 starts at byte 298 (pyarrow's metadata: the dictionary
    // page of its first column).
    assert_eq!(f.position.byte, Some(298));
    assert!(f.message.contains("row group 1"), "{}", f.message);
    assert!(
        f.sagemaker.contains("Label contains NaN"),
        "{}",
        f.sagemaker
    );
    assert_eq!(r.stats.labeled_records, 4);
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_schemas_must_match_across_files() {
    let r = pq("mixed_schema", "xgboost");
    assert_eq!(ids(&r), ["parquet-schema"]);
    let f = first(&r, "parquet-schema");
    assert!(
        f.position
            .file
            .as_deref()
            .unwrap()
            .ends_with("part-1.parquet"),
        "{f:?}"
    );
    assert!(
        f.message.contains("column 3 is \"f1\" Float64")
            && f.message.contains("it is \"f1\" Int32"),
        "{}",
        f.message
    );
    assert_eq!(r.stats.num_records, 10);
    // A different column count, in a file written by sm-data.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(
        testdata("validate/parquet/clean.parquet"),
        d.join("a.parquet"),
    )
    .unwrap();
    let o = sm_data(
        d,
        &[
            "convert",
            testdata("csv/dense.csv").to_str().unwrap(),
            d.join("b.parquet").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r = run_opts(
        &[d.to_str().unwrap().to_string()],
        "xgboost",
        Some("application/x-parquet"),
        |_| {},
    );
    assert_eq!(ids(&r), ["parquet-schema"]);
    let f = first(&r, "parquet-schema");
    assert!(f.message.contains("has 6 columns"), "{}", f.message);
    assert!(f.message.contains("has 4"), "{}", f.message);
    assert_eq!(f.severity, Severity::Error);
    // An int32 column where the first file has a double: read_table casts
    // it exactly (pyarrow reads the folder), so only a warning.
    let r = pq("widening_schema", "xgboost");
    assert_eq!(ids(&r), ["parquet-schema"]);
    let f = first(&r, "parquet-schema");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("casts it exactly"), "{}", f.message);
    assert!(r.is_clean());
    assert_eq!(r.stats.num_records, 10);
}

#[cfg(feature = "parquet")]
#[test]
fn a_parquet_channel_without_rows_is_an_error() {
    let r = pq("no_rows.parquet", "xgboost");
    assert_eq!(ids(&r), ["empty-file", "no-records"]);
    let f = first(&r, "no-records");
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.sagemaker.contains("Got input data without labels"),
        "{}",
        f.sagemaker
    );
    assert!(!r.is_clean());
}

/// (check, 1-based record or line, byte) of every finding.
fn sites(r: &Report) -> Vec<(&'static str, u64)> {
    let mut v: Vec<(&str, u64)> = r
        .findings
        .iter()
        .map(|f| {
            let p = &f.position;
            (f.check.id(), p.record.or(p.line).expect("a record") + 1)
        })
        .collect();
    v.sort_unstable();
    v
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_deepar_rows_are_checked_like_json_lines() {
    let r = pq("deepar_rows.parquet", "deepar");
    let want = [
        ("deepar-cat", 5),
        ("deepar-cat-length", 6),
        ("deepar-dynamic-feat", 7),
        ("deepar-dynamic-feat", 8),
        ("deepar-dynamic-feat-count", 9),
        ("deepar-start", 2),
        ("deepar-start", 3),
        ("deepar-target", 4),
        ("deepar-target", 10),
    ];
    assert_eq!(sites(&r), want, "{:#?}", r.findings);
    assert_eq!(r.stats.num_records, 10);
    // Each finding names the field and where its column chunk starts (two
    // rows a row group: record 3 is in the second).
    let start = r.findings.iter().filter(|f| f.check.id() == "deepar-start");
    let starts: Vec<_> = start.map(|f| (f.position.field, f.position.byte)).collect();
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0].0, Some(0));
    assert!(starts[0].1 < starts[1].1, "{starts:?}");
    assert!(first(&r, "deepar-start").message.contains("29 days"));
    // The same series as JSON Lines: the same findings at the same records.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("series.json");
    let rows = [
        r#"{"start": "2024-01-01 00:00:00", "target": [1, 2, 3], "cat": [0, 1], "dynamic_feat": [[1, 2, 3]]}"#,
        r#"{"start": "2024-02-30 00:00:00", "target": [1, 2, 3], "cat": [0, 1], "dynamic_feat": [[1, 2, 3]]}"#,
        r#"{"start": null, "target": [1, 2, 3], "cat": [0, 1], "dynamic_feat": [[1, 2, 3]]}"#,
        r#"{"start": "2024-01-01", "target": [], "cat": [0, 1], "dynamic_feat": [[1, 2, 3]]}"#,
        r#"{"start": "2024-01-01", "target": [1, 2, 3], "cat": [-1, 0], "dynamic_feat": [[1, 2, 3]]}"#,
        r#"{"start": "2024-01-01", "target": [1, 2, 3], "cat": [1], "dynamic_feat": [[1, 2, 3]]}"#,
        r#"{"start": "2024-01-01", "target": [1, 2, 3], "cat": [0, 1], "dynamic_feat": [[1, null, 3]]}"#,
        r#"{"start": "2024-01-01", "target": [1, 2, 3], "cat": [0, 1], "dynamic_feat": [[1, 2]]}"#,
        r#"{"start": "2024-01-01", "target": [1, 2, 3], "cat": [0, 1], "dynamic_feat": [[1, 2, 3], [4, 5, 6]]}"#,
        r#"{"start": "2024-01-01", "target": null, "cat": [0, 1], "dynamic_feat": [[1, 2, 3]]}"#,
    ];
    std::fs::write(&p, rows.join("\n") + "\n").unwrap();
    let j = run_opts(&[p.to_str().unwrap().to_string()], "deepar", None, |_| {});
    assert_eq!(sites(&j), want, "{:#?}", j.findings);
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_deepar_fields_and_unreadable_files() {
    let r = pq("deepar_clean.parquet", "deepar");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.stats.num_records, 2);
    let hint = |name: &str| {
        let h = r.stats.hyperparameters.iter().find(|h| h.name == name);
        h.unwrap_or_else(|| panic!("no {name}: {:?}", r.stats.hyperparameters))
            .value
            .clone()
    };
    assert_eq!(hint("cardinality"), "[2, 3]");
    assert_eq!(hint("num_dynamic_feat"), "1");
    assert!(hint("context_length + prediction_length").contains('3'));
    let r = pq("deepar_zstd.parquet", "deepar");
    assert_eq!(ids(&r), ["parquet-compression"]);
    let f = first(&r, "parquet-compression");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("ZSTD"), "{}", f.message);
    assert!(r.is_clean());
    let r = pq("deepar_bad.parquet", "deepar");
    assert_eq!(ids(&r), ["deepar-start", "deepar-target"]);
    assert!(
        first(&r, "deepar-start")
            .message
            .contains("no 'start' column")
    );
    let t = first(&r, "deepar-target");
    assert_eq!(t.position.field, Some(1));
    assert!(t.message.contains("not a list of numbers"), "{}", t.message);
    // Not Parquet past its first magic: a finding at byte 0, not a failure.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.parquet");
    std::fs::write(&p, b"PAR1").unwrap();
    let r = run_opts(
        &[p.to_str().unwrap().to_string()],
        "xgboost",
        Some("application/x-parquet"),
        |_| {},
    );
    assert_eq!(ids(&r), ["parquet-read"]);
    assert_eq!(first(&r, "parquet-read").position.byte, Some(0));
    // CSV declared, Parquet found.
    let r = run(
        "validate/parquet/clean.parquet",
        "xgboost",
        Some("text/csv"),
    );
    assert_eq!(ids(&r), ["format-mismatch"]);
}

#[cfg(feature = "s3")]
#[test]
fn s3_prefixes_are_listed_and_read_like_folders() {
    let s = super::s3::server();
    s.bucket("validate-prefix");
    let put = |key: &str, rel: &str| {
        s.put(
            "validate-prefix",
            key,
            &std::fs::read(testdata(rel)).unwrap(),
        )
    };
    put("train/part-0.csv", "validate/csv/clean.csv");
    put("train/part-1.csv", "validate/csv/header.csv");
    put("train/a/b/c/d/deep.csv", "validate/csv/clean.csv");
    s.put("validate-prefix", "train/.keep", b"");
    s.put("validate-prefix", "train/sub/", b"");
    for prefix in ["s3://validate-prefix/train/", "s3://validate-prefix/train"] {
        let r = run_opts(&[prefix.to_string()], "xgboost", Some("text/csv"), |_| {});
        assert_eq!(
            ids(&r),
            ["csv-header", "folder-depth", "hidden-file"],
            "{prefix}"
        );
        assert_eq!(
            first(&r, "hidden-file").position.file.as_deref(),
            Some("s3://validate-prefix/train/.keep")
        );
        assert!(first(&r, "folder-depth").message.contains("4 folders"));
        let h = first(&r, "csv-header");
        assert_eq!(
            h.position.file.as_deref(),
            Some("s3://validate-prefix/train/part-1.csv")
        );
        assert_eq!((h.position.line, h.position.byte), (Some(0), Some(0)));
        let files: Vec<&str> = r.files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            files,
            [
                "s3://validate-prefix/train/part-0.csv",
                "s3://validate-prefix/train/part-1.csv"
            ]
        );
        assert_eq!(r.stats.num_records, 4 + 2); // the header row is no record
    }
    // An empty prefix is an empty channel; a missing bucket an error.
    let r = run_opts(
        &["s3://validate-prefix/nothing/".to_string()],
        "xgboost",
        Some("text/csv"),
        |_| {},
    );
    assert_eq!(ids(&r), ["empty-channel"]);
    let e = validate(
        &["s3://no-such-validate-bucket/x/".to_string()],
        &Options::new(Algorithm::Xgboost),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no-such-validate-bucket"), "{e}");
}

#[cfg(all(feature = "s3", feature = "parquet"))]
#[test]
fn s3_parquet_objects_are_checked() {
    let s = super::s3::server();
    s.bucket("validate-parquet");
    for name in ["clean.parquet", "null_label.parquet"] {
        let bytes = std::fs::read(testdata(&format!("validate/parquet/{name}"))).unwrap();
        s.put("validate-parquet", &format!("pq/{name}"), &bytes);
    }
    let r = run_opts(
        &["s3://validate-parquet/pq/".to_string()],
        "xgboost",
        Some("application/x-parquet"),
        |_| {},
    );
    assert_eq!(ids(&r), ["parquet-label", "parquet-schema"]);
    let f = first(&r, "parquet-label");
    assert_eq!(
        f.position.file.as_deref(),
        Some("s3://validate-parquet/pq/null_label.parquet")
    );
    assert_eq!((f.position.record, f.position.byte), (Some(3), Some(298)));
    assert_eq!(r.stats.num_records, 10);
}

#[cfg(feature = "s3")]
#[test]
fn s3_manifests_list_objects_and_missing_ones_are_findings() {
    let s = super::s3::server();
    s.bucket("validate-manifest");
    let clean = std::fs::read(testdata("validate/csv/clean.csv")).unwrap();
    s.put("validate-manifest", "data/p0.csv", &clean);
    s.put("validate-manifest", "data/p1.csv", &clean);
    s.put(
        "validate-manifest",
        "m/train.manifest",
        br#"[{"prefix": "s3://validate-manifest/data/"}, "p0.csv", "p1.csv", "gone.csv"]"#,
    );
    let m = "s3://validate-manifest/m/train.manifest";
    let r = run_opts(&[m.to_string()], "xgboost", Some("text/csv"), |_| {});
    assert_eq!(ids(&r), ["manifest-missing"]);
    let missing = all(&r, "manifest-missing");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].position.file.as_deref(), Some(m));
    assert!(
        missing[0]
            .message
            .contains("s3://validate-manifest/data/gone.csv")
    );
    assert_eq!(r.files.len(), 2);
    assert_eq!(r.stats.num_records, 8);
    // The binary: exit 1, the finding in --json.
    let dir = tempfile::tempdir().unwrap();
    let o = s.sm_data(
        dir.path(),
        &[
            "validate",
            m,
            "-a",
            "xgboost",
            "--content-type",
            "text/csv",
            "--json",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("manifest-missing"), "{out}");
}

/// A corrupt footer with a negative column-chunk offset: reported as a
/// Parquet read problem, not a panic (validate asked the parquet crate for
/// the chunk's `byte_range()`, which asserts; the `validate` fuzz target
/// found it, with the same file `convert` already reported).
#[cfg(feature = "parquet")]
#[test]
fn a_negative_column_offset_is_a_finding_not_a_panic() {
    for alg in ["generic", "xgboost", "linear-learner"] {
        let r = run(
            "bad/parquet/fuzz_negative_column_offset.parquet",
            alg,
            Some("application/x-parquet"),
        );
        let f = first(&r, "parquet-read");
        assert_eq!(f.severity, Severity::Error, "{alg}");
    }
}

/// A dictionary page stating more values than it holds: a Parquet read
/// finding naming the count, not an out-of-memory abort (the parquet crate
/// sizes the dictionary from the header's count before decoding it; the
/// `parquet` fuzz target's file states 612 M values in 24 bytes, which made
/// it allocate 4.9 GB).
#[cfg(feature = "parquet")]
#[test]
fn an_overstated_dictionary_is_a_finding_not_an_allocation() {
    for (file, count) in [
        ("bad/parquet/fuzz_dictionary_count.parquet", "612161954"),
        ("bad/parquet/dictionary_count.parquet", "63"),
    ] {
        for alg in ["generic", "xgboost"] {
            let r = run(file, alg, Some("application/x-parquet"));
            let f = first(&r, "parquet-read");
            assert_eq!(f.severity, Severity::Error, "{alg}");
            let want = format!("the dictionary page states {count} values but holds 24 bytes");
            assert!(f.message.contains(&want), "{alg} {file}: {}", f.message);
        }
    }
}

#[test]
fn libsvm_index_order_is_found_on_every_path() {
    let r = run("validate/libsvm/index_order.libsvm", "xgboost", None);
    let found: Vec<(u64, u64, bool)> = r
        .findings
        .iter()
        .filter(|f| f.check.id() == "libsvm-index-order")
        .map(|f| {
            let p = &f.position;
            (
                p.line.unwrap() + 1,
                p.byte.unwrap(),
                f.message.contains("twice"),
            )
        })
        .collect();
    assert_eq!(found, [(2, 20, false), (3, 36, true)], "{:#?}", r.findings);
    // Long rows of plain tokens (the 64-byte checks, eight indices at a
    // time) in many chunks: one step down or repeat anywhere is found at
    // its token, and sorted rows, also past eight digits, are clean.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let mut want = Vec::new();
    let mut at = 0usize;
    for line in 0..200usize {
        let mut toks: Vec<String> = (0..40).map(|i| format!("{}:0.5", 3 * i + 1)).collect();
        if line % 50 == 7 {
            toks.push("1234567890:1".to_string());
        }
        let bad = (line % 3 == 1).then_some(line % 39 + 1);
        if let Some(b) = bad {
            toks[b] = if line % 2 == 0 {
                toks[b - 1].clone()
            } else {
                "0:0.5".to_string()
            };
        }
        let row = format!("1 {}\n", toks.join(" "));
        if let Some(b) = bad {
            let before: usize = 2 + toks[..b].iter().map(|t| t.len() + 1).sum::<usize>();
            want.push((line as u64 + 1, (at + before) as u64));
        }
        at += row.len();
        text.push_str(&row);
    }
    let p = dir.path().join("rows.libsvm");
    std::fs::write(&p, &text).unwrap();
    for (threads, chunk) in [(1, 1 << 20), (2, 4096)] {
        let r = run_opts(&[p.to_str().unwrap().to_string()], "generic", None, |o| {
            o.max_per_kind = 1000;
            o.pipeline.threads = threads;
            o.pipeline.chunk_size = chunk;
        });
        let got: Vec<(u64, u64)> = r
            .findings
            .iter()
            .filter(|f| f.check.id() == "libsvm-index-order")
            .map(|f| (f.position.line.unwrap() + 1, f.position.byte.unwrap()))
            .collect();
        assert_eq!(got, want, "{threads} threads");
        assert_eq!(ids(&r), ["libsvm-index-order"]);
    }
}
