//! The bad-input corpus `testdata/bad/` (made by `testdata/bad/make_bad.py`,
//! described in `testdata/bad/README.md`) through the real binary: every
//! file fails with exit code 1, an error that names the file, the exact
//! position and what is wrong, and leaves no output (nor a temporary file)
//! behind.
//!
//! The tests in `regression` at the end pin bugs found by the fuzz targets
//! in `fuzz/` and while building this corpus.

use std::path::Path;

use super::util::{sm_data, stderr, testdata};

/// One bad file: `(file under testdata/bad/, output name, extra flags,
/// position as printed, message fragment)`.
type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const CASES: &[Case] = &[
    // csv
    ("csv/ragged_short.csv", "out.libsvm", &[], "line 3, field 3, byte offset 15", "expected 3 fields like the first record of this block, found 2"),
    ("csv/ragged_long.csv", "out.pbr", &[], "line 2, field 3, byte offset 8", "expected 2 fields like the first record of this block, found 3"),
    ("csv/ragged_crlf.csv", "out.pbr", &[], "line 2, field 4, byte offset 13", "expected 3 fields like the first record of this block, found 4"),
    ("csv/non_numeric.csv", "out.pbr", &[], "line 2, field 2, byte offset 8", "invalid csv: expected a number in field 2, found \"abc\""),
    ("csv/bad_number.csv", "out.libsvm", &[], "line 2, field 2, byte offset 8", "expected a number in field 2, found \"1.2.3\""),
    ("csv/invalid_utf8.csv", "out.pbr", &[], "line 2, field 2, byte offset 6", "expected a number in field 2, found \"\u{fffd}\u{fffd}\""),
    ("csv/unclosed_quote.csv", "out.pbr", &[], "line 2, field 2, byte offset 6", "unclosed quote in field 2"),
    ("csv/quote_in_unquoted_field.csv", "out.pbr", &[], "line 1, field 2, byte offset 3", "quote inside unquoted field 2"),
    ("csv/text_after_closing_quote.csv", "out.pbr", &[], "line 1, field 1, byte offset 3", "after the closing quote of field 1"),
    ("csv/quoted_newline_text.csv", "out.pbr", &[], "line 2, field 2, byte offset 6", "expected a number in field 2, found \"2\\n3\""),
    ("csv/header_without_flag.csv", "out.pbr", &[], "line 1, field 1, byte offset 0", "read the input with a header"),
    ("csv/bom_blank_lines.csv", "out.pbr", &[], "line 4, field 2, byte offset 11", "expected a number in field 2, found \"x\""),
    ("csv/label_column_missing.csv", "out.pbr", &["--label-column", "3"], "line 1, byte offset 0", "the label is column 4 but the record has only 3 fields"),
    // libsvm
    ("libsvm/negative_index.libsvm", "out.pbr", &[], "line 2, field 2, byte offset 8", "non-negative integer feature index before ':' in field 2, found \"-3:2\""),
    ("libsvm/non_numeric_index.libsvm", "out.csv", &["--num-features", "10"], "line 1, field 2, byte offset 2", "non-negative integer feature index before ':' in field 2, found \"a:1\""),
    ("libsvm/fractional_index.libsvm", "out.csv", &[], "line 1, field 3, byte offset 6", "non-negative integer feature index before ':' in field 3, found \"1.5:2\""),
    ("libsvm/index_overflow.libsvm", "out.pbr", &["--num-features", "10"], "line 1, field 2, byte offset 2", "non-negative integer feature index"),
    ("libsvm/index_zero_one_based.libsvm", "out.csv", &["--one-based"], "line 2, field 2, byte offset 8", "feature index 0 in field 2 (\"0:2\"), but the indices of this input are 1-based"),
    ("libsvm/label_weight.libsvm", "out.pbr", &[], "line 2, field 1, byte offset 6", "instance weights are not supported: found \"1:0.5\""),
    ("libsvm/multi_label.libsvm", "out.csv", &["--num-features", "10"], "line 1, field 1, byte offset 0", "multi-label records are not supported"),
    ("libsvm/non_numeric_label.libsvm", "out.csv", &[], "line 1, field 1, byte offset 0", "expected a numeric label, found \"yes\""),
    ("libsvm/missing_colon.libsvm", "out.pbr", &[], "line 1, field 3, byte offset 6", "expected index:value in field 3, found \"3\""),
    ("libsvm/missing_value.libsvm", "out.csv", &[], "line 1, field 2, byte offset 2", "expected a number after ':' in field 2, found \"3:\""),
    ("libsvm/non_numeric_value.libsvm", "out.pbr", &["--num-features", "10"], "line 3, field 2, byte offset 14", "expected a number after ':' in field 2, found \"1:abc\""),
    ("libsvm/invalid_utf8_value.libsvm", "out.csv", &[], "line 1, field 2, byte offset 2", "expected a number after ':' in field 2"),
    ("libsvm/bad_qid.libsvm", "out.csv", &[], "line 1, field 2, byte offset 2", "expected qid:N with a non-negative integer N in field 2, found \"qid:x\""),
    ("libsvm/after_comments.libsvm", "out.pbr", &[], "line 4, field 3, byte offset 23", "feature index before ':' in field 3, found \"x:2\""),
    // recordio (framing); .rec to .pbr copies frames without decoding them
    ("recordio/bad_magic.rec", "out.pbr", &[], "record 1, byte offset 0", "expected the RecordIO magic 0a23d7ce, found 0a23d7cf"),
    ("recordio/bad_magic_second_record.rec", "out.pbr", &[], "record 2, byte offset 12", "expected the RecordIO magic 0a23d7ce, found ffffffff"),
    ("recordio/truncated_header.rec", "out.pbr", &[], "record 2, byte offset 12", "truncated recordio: the record needs 8 more bytes but only 5 are left"),
    ("recordio/length_past_end.rec", "out.libsvm", &[], "record 1, byte offset 0", "truncated recordio: the record needs 108 more bytes but only 18 are left"),
    ("recordio/invalid_cflag.rec", "out.csv", &[], "record 1, byte offset 4", "invalid continuation flag 4 (expected 0 to 3)"),
    ("recordio/continuation_without_begin.rec", "out.csv", &[], "record 1, byte offset 0", "a part with continuation flag 2 has no beginning (flag 1)"),
    ("recordio/split_never_ends.rec", "out.pbr", &[], "record 2, byte offset 24", "truncated recordio: the record needs 8 more bytes but only 0 are left"),
    ("recordio/split_interrupted.rec", "out.csv", &[], "record 1, byte offset 12", "expected a continuation part (flag 2 or 3), found flag 0"),
    ("recordio/trailing_bytes.rec", "out.pbr", &[], "record 2, byte offset 12", "truncated recordio: the record needs 8 more bytes but only 3 are left"),
    ("recordio/missing_padding_mid_file.rec", "out.pbr", &[], "record 2, byte offset 16", "expected the RecordIO magic 0a23d7ce, found ce020000"),
    ("recordio/payload_not_protobuf.rec", "out.csv", &[], "record 1, byte offset 8", "invalid recordio-protobuf: truncated varint"),
    ("recordio/empty_split_then_garbage.rec", "out.csv", &["--split-convention", "dmlc"], "record 1, byte offset 8", "expected the RecordIO magic 0a23d7ce, found 00000000"),
    // recordio-protobuf (payloads); the bad payload is record 2, at byte 64
    ("recordio-protobuf/wrong_wire_type_entry.pbr", "out.csv", &[], "record 2, byte offset 64", "wrong wire type 0 for a map entry"),
    ("recordio-protobuf/length_past_end.pbr", "out.csv", &[], "record 2, byte offset 65", "length 5 runs past the end of the message (2 bytes left)"),
    ("recordio-protobuf/invalid_utf8_key.pbr", "out.libsvm", &[], "record 2, byte offset 68", "a map key is not valid UTF-8"),
    ("recordio-protobuf/invalid_utf8_uid.pbr", "out.csv", &[], "record 2, byte offset 114", "a string field is not valid UTF-8"),
    ("recordio-protobuf/keys_without_values.pbr", "out.libsvm", &[], "record 2, byte offset 56", "the sparse tensor has 2 keys but 1 values"),
    ("recordio-protobuf/key_past_shape.pbr", "out.csv", &[], "record 2, byte offset 56", "key 5 is outside the tensor's shape (3 values)"),
    ("recordio-protobuf/packed_floats_ragged.pbr", "out.csv", &[], "record 2, byte offset 80", "packed float values are not a multiple of 4 bytes"),
    ("recordio-protobuf/varint_too_long.pbr", "out.libsvm", &[], "record 2, byte offset 64", "varint longer than 64 bits"),
    ("recordio-protobuf/invalid_wire_type.pbr", "out.csv", &[], "record 2, byte offset 65", "invalid wire type 7 for field 15"),
    ("recordio-protobuf/field_number_zero.pbr", "out.csv", &[], "record 2, byte offset 64", "invalid field number 0"),
    ("recordio-protobuf/wrong_wire_type_value.pbr", "out.csv", &[], "record 2, byte offset 76", "wrong wire type 0 for a Value member"),
    ("recordio-protobuf/unterminated_group.pbr", "out.libsvm", &[], "record 2, byte offset 113", "unterminated group"),
    ("recordio-protobuf/feature_not_values.pbr", "out.csv", &[], "record 2, byte offset 56", "the record has a feature named \"source\""),
    ("recordio-protobuf/bytes_features.pbr", "out.csv", &[], "record 2, byte offset 56", "the record's features are Bytes, not a tensor"),    // jsonl, json, tfrecord
    ("jsonl/invalid_json.jsonl", "out.pbr", &[], "line 2, byte offset 39", r#"invalid jsonl: expected ',' or ']' in an array of numbers, found "}""#),
    ("jsonl/ragged.jsonl", "out.csv", &[], "line 2, byte offset 21", "invalid jsonl: expected 2 features like the first record of this"),
    ("jsonl/no_features.jsonl", "out.pbr", &[], "line 2, byte offset 18", r#"invalid jsonl: the instance has no "features" field (nor "data":"#),
    ("jsonl/quoted_number.jsonl", "out.pbr", &[], "line 1, byte offset 17", r#"invalid jsonl: expected a number, found the string "\"2\"]}" (numbers"#),
    ("jsonl/trailing_comma.jsonl", "out.pbr", &[], "line 1, byte offset 19", r#"invalid jsonl: expected a number, found "]}""#),
    ("jsonl/leading_zero.jsonl", "out.pbr", &[], "line 1, byte offset 15", r#"invalid jsonl: invalid number "01]}""#),
    ("jsonl/invalid_utf8.jsonl", "out.pbr", &[], "line 1, byte offset 26", "invalid jsonl: a string is not valid UTF-8"),
    ("jsonl/bad_escape.jsonl", "out.pbr", &[], "line 1, byte offset 27", "invalid jsonl: invalid escape \\x"),
    ("jsonl/keys_values_mismatch.jsonl", "out.pbr", &[], "line 1, byte offset 13", "invalid jsonl: the sparse features have 2 keys but 1 values"),
    ("jsonl/key_past_shape.jsonl", "out.pbr", &[], "line 1, byte offset 13", "invalid jsonl: key 7 is outside the features' shape ([5])"),
    ("jsonl/negative_key.jsonl", "out.pbr", &[], "line 1, byte offset 23", "invalid jsonl: expected a non-negative integer, found -1"),
    ("jsonl/two_values_on_a_line.jsonl", "out.pbr", &[], "line 1, byte offset 18", "invalid jsonl: unexpected data after the JSON value of this line:"),
    ("jsonl/truncated.jsonl", "out.json", &[], "line 2, byte offset 33", "invalid jsonl: unexpected end of the input: expected ',' or ']' in an"),
    ("jsonl/string_label.jsonl", "out.pbr", &[], "line 1, byte offset 27", r#"invalid jsonl: expected a number, found the string "\"cat\"}""#),
    ("json/no_instances.json", "out.csv", &[], "byte offset 19", r#"invalid json: the document has no "instances" (request) or"#),
    ("json/instances_not_array.json", "out.csv", &[], "byte offset 14", r#"invalid json: expected an array as the value of "instances", found"#),
    ("json/trailing_comma.json", "out.csv", &[], "byte offset 30", "invalid json: a trailing comma before ']'"),
    ("json/missing_comma.json", "out.csv", &[], "record 1, byte offset 22", r#"invalid json: expected ',' or ']' after an element, found "[3, 4]]}""#),
    ("json/unclosed_array.json", "out.csv", &[], "byte offset 29", "invalid json: unexpected end of the input: the document's array is"),
    ("json/ragged.json", "out.jsonl", &[], "record 2, byte offset 37", "invalid json: expected 2 features like the first record of this"),
    ("json/bad_instance.json", "out.csv", &[], "record 2, byte offset 34", "invalid json: expected an instance (an object, or an array of"),
    ("json/data_without_values.json", "out.csv", &[], "record 1, byte offset 37", r#"invalid json: the features object has no "values" array"#),
    ("json/string_prediction.json", "out.csv", &[], "record 2, byte offset 43", r#"the prediction field "label" holds a string; only numeric prediction"#),
    ("json/garbage_after_document.json", "out.csv", &[], "byte offset 21", r#"invalid json: unexpected data after the end of the document: "[]""#),
    ("json/not_json.json", "out.csv", &[], "byte offset 0", r#"invalid json: expected a JSON document: {"instances": [...]},"#),
    ("json/unterminated_string.json", "out.csv", &[], "byte offset 48", "invalid json: unexpected end of the input: expected the end of a"),
    ("tfrecord/bad_header_crc.tfrecord", "out.rec", &[], "record 1, byte offset 0", "invalid tfrecord: CRC check on header failed: the length bytes have"),
    ("tfrecord/bad_data_crc_second_record.tfrecord", "out.rec", &[], "record 2, byte offset 38", "invalid tfrecord: CRC check on data failed: the 5 payload bytes have"),
    ("tfrecord/flipped_payload_bit.tfrecord", "out.tfrecord", &[], "record 1, byte offset 17", "invalid tfrecord: CRC check on data failed: the 5 payload bytes have"),
    ("tfrecord/truncated_header.tfrecord", "out.rec", &[], "record 2, byte offset 21", "truncated tfrecord: the record needs 12 more bytes but only 7 are"),
    ("tfrecord/truncated_payload.tfrecord", "out.rec", &[], "record 2, byte offset 21", "truncated tfrecord: the record needs 21 more bytes but only 15 are"),
    ("tfrecord/missing_data_crc.tfrecord", "out.rec", &[], "record 2, byte offset 21", "truncated tfrecord: the record needs 21 more bytes but only 17 are"),
    ("tfrecord/length_past_end.tfrecord", "out.rec", &[], "record 1, byte offset 0", "truncated tfrecord: the record needs 116 more bytes but only 21 are"),
    ("tfrecord/huge_length.tfrecord", "out.rec", &[], "record 1, byte offset 0", "record of 1099511627776 bytes is too large (the limit is 1073741824"),
    ("tfrecord/recordio_bytes.tfrecord", "out.rec", &[], "record 1, byte offset 0", "invalid tfrecord: CRC check on header failed: the length bytes have"),
    ("tfrecord/trailing_garbage.tfrecord", "out.rec", &[], "record 2, byte offset 21", "truncated tfrecord: the record needs 12 more bytes but only 3 are"),
    ("tfrecord/zero_length_bad_crc.tfrecord", "out.rec", &[], "record 2, byte offset 33", "invalid tfrecord: CRC check on data failed: the 0 payload bytes have"),
    ("tfrecord/text_not_tfrecord.tfrecord", "out.rec", &[], "record 1, byte offset 0", "invalid tfrecord: CRC check on header failed: the length bytes have"),
];

const FORMATS: [&str; 7] = [
    "csv",
    "libsvm",
    "recordio",
    "recordio-protobuf",
    "jsonl",
    "json",
    "tfrecord",
];

/// Parquet files (made by `make_bad_parquet.py`), when Parquet is built in.
#[cfg(feature = "parquet")]
#[rustfmt::skip]
const PARQUET_CASES: &[Case] = &[
    ("parquet/bad_magic_start.parquet", "out.csv", &[], "byte offset 0", "expected the Parquet magic \"PAR1\" at the start, found 50415230"),
    ("parquet/bad_magic_end.parquet", "out.pbr", &[], "byte offset 700", "expected the Parquet magic \"PAR1\" at the end, found 50415230"),
    ("parquet/truncated.parquet", "out.csv", &[], "byte offset 348", "at the end, found 0000e03f (a truncated or unfinished file?)"),
    ("parquet/too_short.parquet", "out.libsvm", &[], "byte offset 0", "truncated parquet: the record needs 12 more bytes but only 8 are left"),
    ("parquet/footer_length_past_start.parquet", "out.csv", &[], "byte offset 696", "the footer length 704 runs past the start of the file"),
    ("parquet/corrupt_footer.parquet", "out.pbr", &[], "byte offset 696", "cannot read the Parquet footer"),
    ("parquet/corrupt_page_header.parquet", "out.csv", &[], "record 1, byte offset 4", "cannot decode row group 0"),
    ("parquet/string_feature.parquet", "out.csv", &[], "byte offset 166", "column \"city\" has type Utf8, not a number: exclude it with --exclude-columns \"city\""),
    ("parquet/string_label.parquet", "out.libsvm", &[], "byte offset 182", "the label column \"label\" has type Utf8, not a number"),
    ("parquet/struct_column.parquet", "out.pbr", &[], "byte offset 298", "column \"point\" has type Struct"),
    ("parquet/keys_values_mismatch.parquet", "out.libsvm", &[], "record 2, byte offset 4", "the row has 2 keys but 1 values"),
    ("parquet/negative_key.parquet", "out.libsvm", &[], "record 2, byte offset 4", "column \"keys\": key -3 is not a non-negative integer index"),
    ("parquet/ragged_tensor_to_csv.parquet", "out.csv", &[], "record 3, byte offset 4", "record has 1 features but the records before it have 2"),
    ("parquet/fuzz_dictionary_index.parquet", "out.csv", &[], "record 1, byte offset 4", "cannot decode row group 0: the Parquet decoder failed on corrupt data"),
    ("parquet/fuzz_negative_column_offset.parquet", "out.csv", &[], "record 1, byte offset 4", "the Parquet decoder failed on corrupt data (column start and length should not be negative)"),
    ("parquet/fuzz_dictionary_count.parquet", "out.csv", &[], "record 1, byte offset 4", "cannot decode row group 0: Parquet argument error: Parquet error: column \"i\": the dictionary page states 612161954 values but holds 24 bytes (64 bits a value at least)"),
    ("parquet/fuzz_page_header_panic.parquet", "out.csv", &[], "record 4, byte offset 276", "cannot decode row group 1: Parquet argument error: Parquet error: Unexpected struct field type Struct"),
    ("parquet/fuzz_page_header_panic_typed.parquet", "out.jsonl", &["--typed"], "record 1", "cannot decode: Parquet argument error: Parquet error: Unexpected struct field type 15"),
    ("parquet/fuzz_page_header_list.parquet", "out.csv", &[], "record 1, byte offset 4", "cannot decode row group 0: Parquet argument error: External: a page header runs past the end of the file"),
    ("parquet/fuzz_level_slice.parquet", "out.csv", &[], "record 1, byte offset 4", "cannot decode row group 0: the Parquet decoder failed on corrupt data (range end out of bounds: 2 <= 0)"),
    ("parquet/dictionary_count.parquet", "out.pbr", &[], "record 1, byte offset 4", "cannot decode row group 0: Parquet argument error: Parquet error: column \"x\": the dictionary page states 63 values but holds 24 bytes (64 bits a value at least)"),
];

#[cfg(not(feature = "parquet"))]
const PARQUET_CASES: &[Case] = &[];

/// Every case, Parquet included when built in.
fn all_cases() -> impl Iterator<Item = &'static Case> {
    CASES.iter().chain(PARQUET_CASES)
}

/// Every format directory, `parquet` included when built in.
fn all_formats() -> impl Iterator<Item = &'static str> {
    FORMATS
        .into_iter()
        .chain(cfg!(feature = "parquet").then_some("parquet"))
}

/// Runs one case in a fresh directory; `Err` says what went wrong.
fn run_case(&(file, out, args, at, msg): &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let name = Path::new(file).file_name().unwrap().to_str().unwrap();
    std::fs::copy(testdata("bad").join(file), dir.path().join(name)).unwrap();
    let mut argv = vec!["convert", name, out];
    argv.extend_from_slice(args);
    let o = sm_data(dir.path(), &argv);
    let err = stderr(&o);
    let mut problems = Vec::new();
    if o.status.code() != Some(1) {
        problems.push(format!("exit code {:?}, expected 1", o.status.code()));
    }
    let want = format!("sm-data: error: {name}: {at}: ");
    if !err.contains(&want) {
        problems.push(format!("no {want:?}"));
    }
    if !err.contains(msg) {
        problems.push(format!("no {msg:?}"));
    }
    // One clear line, not a panic message and backtrace before it (arrow-rs
    // panics on some corrupt Parquet; the library catches and reports it).
    if err.contains("panicked") || err.lines().count() != 1 {
        problems.push("more than the one error line on stderr".into());
    }
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != name)
        .collect();
    left.sort();
    if !left.is_empty() {
        problems.push(format!("left behind: {left:?}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{file} -> {out} {args:?}: {}\n    stderr: {}",
            problems.join("; "),
            err.trim_end()
        ))
    }
}

#[test]
fn every_bad_file_fails_naming_file_position_and_problem() {
    let failures: Vec<String> = all_cases().filter_map(|c| run_case(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad files:\n{}",
        failures.len(),
        all_cases().count(),
        failures.join("\n")
    );
}

#[test]
fn the_table_the_files_and_the_readme_agree() {
    let readme = std::fs::read_to_string(testdata("bad/README.md")).unwrap();
    let mut on_disk = Vec::new();
    for format in all_formats() {
        let mut n = 0;
        for e in std::fs::read_dir(testdata("bad").join(format)).unwrap() {
            let file = format!("{format}/{}", e.unwrap().file_name().to_string_lossy());
            n += 1;
            on_disk.push(file);
        }
        assert!(n >= 10, "only {n} bad {format} files");
    }
    on_disk.sort();
    let mut in_table: Vec<String> = all_cases().map(|c| c.0.to_string()).collect();
    in_table.sort();
    assert_eq!(on_disk, in_table, "testdata/bad/ and CASES differ");
    for &(file, out, args, at, _) in all_cases() {
        assert!(
            readme.contains(&format!("`{file}`")),
            "README.md does not list {file}"
        );
        let row = readme
            .lines()
            .find(|l| l.contains(&format!("`{file}`")))
            .unwrap();
        assert!(row.contains(at), "README.md row of {file} lacks {at:?}");
        let ext = out.rsplit('.').next().unwrap();
        assert!(
            row.contains(&format!("→ {ext}")),
            "README.md row of {file} lacks → {ext}"
        );
        for a in args {
            assert!(row.contains(a), "README.md row of {file} lacks {a}");
        }
    }
}

// ---------------------------------------------------------------------------
// Regressions for bugs found by fuzzing (fuzz/) and while building this
// corpus. Each comment says what went wrong; "fixed" ones pass.

mod regression {
    use sm_data::codec::csv::CsvOptions;
    use sm_data::codec::protobuf::{Record, Tensor, TensorRef, Value, encode_example};
    use sm_data::codec::recordio;
    use sm_data::convert::ConvertOptions;
    use sm_data::{Dtype, pipeline};

    use super::super::util::{convert_bytes, sm_data, stderr};

    fn chunks(chunk_size: usize) -> pipeline::Options {
        pipeline::Options {
            threads: 1,
            chunk_size,
            window: 0,
        }
    }

    /// Bug (fixed): the CSV header is skipped only in the pipeline's first
    /// chunk (`chunk.index == 0` in `convert::convert`, passed as `first` to
    /// `csv::Decoder::decode`). When blank lines before the header fill the
    /// first chunk, the header lands in chunk 2 and is read as data. Fuzz
    /// target `convert` found it.
    #[test]
    fn csv_header_after_a_first_chunk_of_blank_lines_is_skipped() {
        let text = b"\n\n\n\nh1,h2\n1,2\n3,4\n";
        for chunk_size in [1 << 20, 2] {
            let opts = ConvertOptions {
                csv: CsvOptions {
                    has_header: true,
                    ..CsvOptions::default()
                },
                pipeline: chunks(chunk_size),
                ..ConvertOptions::default()
            };
            let out = convert_bytes(text, "h.csv", "libsvm", &opts)
                .unwrap_or_else(|e| panic!("chunk size {chunk_size}: {e}"));
            assert_eq!(out, b"1 0:2\n3 0:4\n", "chunk size {chunk_size}");
        }
    }

    /// Bug (open): the fix above grows the first chunk until
    /// `pipeline::has_content` sees more than blank lines, but a UTF-8 BOM
    /// counts as content: `EF BB BF 0A 0A 0A h1,h2 ...` with a small chunk
    /// size still puts the header in chunk 2 ("line 4, field 1, byte offset
    /// 6: ... found \"h1\""). Fuzz target `convert` found it.
    #[test]
    fn csv_header_after_a_bom_and_blank_lines_is_skipped() {
        let text = b"\xEF\xBB\xBF\n\n\nh1,h2\n1,2\n3,4\n";
        for chunk_size in [1 << 20, 2] {
            let opts = ConvertOptions {
                csv: CsvOptions {
                    has_header: true,
                    ..CsvOptions::default()
                },
                pipeline: chunks(chunk_size),
                ..ConvertOptions::default()
            };
            let out = convert_bytes(text, "b.csv", "libsvm", &opts)
                .unwrap_or_else(|e| panic!("chunk size {chunk_size}: {e}"));
            assert_eq!(out, b"1 0:2\n3 0:4\n", "chunk size {chunk_size}");
        }
    }

    /// Bug (fixed): `csv::Encoder` writes a row of several missing values with
    /// a tab delimiter as a line of tabs (`"\t\n"`), which every CSV reader
    /// here (and dmlc) skips as a blank line, so the row is lost on the way
    /// back. The encoder already quotes a lone missing value (`""`) for the
    /// same reason. Fuzz target `csv` found it.
    #[test]
    fn csv_tab_output_keeps_rows_of_missing_values() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.csv"), "1,2\n,\n").unwrap();
        let o = sm_data(
            dir.path(),
            &[
                "convert",
                "in.csv",
                "out.csv",
                "--out-delimiter",
                "tab",
                "-q",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let written = std::fs::read(dir.path().join("out.csv")).unwrap();
        let o = sm_data(dir.path(), &["count", "out.csv", "--delimiter", "tab"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "2\n",
            "rows lost; written: {:?}",
            String::from_utf8_lossy(&written)
        );
    }

    /// Bug (fixed): `protobuf::Decoder` turns a dense row into a sparse one
    /// (explicit keys 0..n, zeros kept) when a sparse record arrives later in
    /// the same chunk (`make_room_for_sparse`). So a dense record's output
    /// depends on the chunking: to LibSVM, `1 1:1.5` alone but `1 0:0 1:1.5`
    /// next to a sparse record; to RecordIO-protobuf, a dense or a sparse
    /// tensor. Fuzz target `convert` found it.
    #[test]
    fn mixed_dense_and_sparse_records_convert_the_same_in_any_chunking() {
        let mut pbr = Vec::new();
        for (values, keys, shape, label) in [
            (&[0.0, 1.5][..], &[][..], &[][..], 1.0),
            (&[2.0], &[1], &[2], 0.0),
        ] {
            let mut payload = Vec::new();
            let features = TensorRef {
                dtype: Dtype::Float32,
                values,
                keys,
                shape,
            };
            let label = TensorRef {
                dtype: Dtype::Float32,
                values: &[label],
                keys: &[],
                shape: &[],
            };
            encode_example(&mut payload, features, Some(label)).unwrap();
            recordio::encode_record(&mut pbr, &payload).unwrap();
        }
        for to in ["libsvm", "recordio-protobuf"] {
            let mut outs = Vec::new();
            for chunk_size in [1, 1 << 20] {
                let opts = ConvertOptions {
                    dtype: Some(Dtype::Float32),
                    pipeline: chunks(chunk_size),
                    ..ConvertOptions::default()
                };
                outs.push(convert_bytes(&pbr, "m.pbr", to, &opts).unwrap());
            }
            assert_eq!(
                String::from_utf8_lossy(&outs[0]),
                String::from_utf8_lossy(&outs[1]),
                "to {to}: one record per chunk vs one chunk"
            );
        }
    }

    /// Bug (fixed): with the fix of the test above, a dense row that shares a
    /// chunk with a sparse one is stored without its zeros (`decode_scanned`
    /// and `make_room_for_sparse` keep `v != 0.0`), which also drops `-0.0`:
    /// the record's `-0` is written as `0` to CSV (and as `+0.0` to
    /// RecordIO-protobuf) when a sparse record is in its chunk, as `-0`
    /// otherwise. Keeping entries whose bits are not zero would keep it.
    #[test]
    fn negative_zero_in_a_dense_record_survives_mixed_chunks() {
        let mut pbr = Vec::new();
        for (values, keys, shape) in [(&[-0.0, 1.5][..], &[][..], &[][..]), (&[2.0], &[1], &[2])] {
            let mut payload = Vec::new();
            let features = TensorRef {
                dtype: Dtype::Float32,
                values,
                keys,
                shape,
            };
            encode_example(&mut payload, features, None).unwrap();
            recordio::encode_record(&mut pbr, &payload).unwrap();
        }
        for to in ["csv", "recordio-protobuf"] {
            let mut outs = Vec::new();
            for chunk_size in [1, 1 << 20] {
                let opts = ConvertOptions {
                    dtype: Some(Dtype::Float32),
                    csv: CsvOptions {
                        label: None,
                        ..CsvOptions::default()
                    },
                    pipeline: chunks(chunk_size),
                    ..ConvertOptions::default()
                };
                outs.push(convert_bytes(&pbr, "z.pbr", to, &opts).unwrap());
            }
            assert_eq!(
                String::from_utf8_lossy(&outs[0]),
                String::from_utf8_lossy(&outs[1]),
                "to {to}: one record per chunk vs one chunk"
            );
        }
    }

    /// Bug (open): with `--num-features N` (N wider than a dense record),
    /// RecordIO-protobuf → CSV pads a dense record to N columns when a
    /// sparse record shares its chunk (the batch is sparse, and
    /// `csv::Encoder::write_sparse_row` uses `num_features`), but writes it
    /// at its own width when its chunk is all dense; the pipeline's
    /// cross-chunk width check then fails ("record 2: record has 4 features
    /// but the records before it have 2"). So the same file converts or
    /// fails depending on the chunk size. Fuzz target `convert` found it.
    #[test]
    fn num_features_treats_dense_records_the_same_in_any_chunking() {
        let mut pbr = Vec::new();
        for (values, keys, shape) in [(&[0.5, 1.5][..], &[][..], &[][..]), (&[2.0], &[1], &[2])] {
            let mut payload = Vec::new();
            let features = TensorRef {
                dtype: Dtype::Float32,
                values,
                keys,
                shape,
            };
            encode_example(&mut payload, features, None).unwrap();
            recordio::encode_record(&mut pbr, &payload).unwrap();
        }
        let mut outs = Vec::new();
        for chunk_size in [1, 1 << 20] {
            let opts = ConvertOptions {
                num_features: Some(4),
                csv: CsvOptions {
                    label: None,
                    ..CsvOptions::default()
                },
                pipeline: chunks(chunk_size),
                ..ConvertOptions::default()
            };
            outs.push(
                convert_bytes(&pbr, "n.pbr", "csv", &opts)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .map_err(|e| e.to_string()),
            );
        }
        match (&outs[0], &outs[1]) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("one record per chunk: {a:?}\none chunk: {b:?}"),
        }
    }

    /// Bug (open): densifying trusts the width. A LibSVM index near 2^61 (or a
    /// RecordIO-protobuf `shape`, or `--num-features`) written as dense rows
    /// makes `protobuf::Encoder::encode` call `dense.resize(width, 0.0)`
    /// (src/codec/protobuf.rs, the `(true, false)` arm): `capacity overflow` (a
    /// panic, reported as an internal error) for 2111111111111111111, and for
    /// 99999999999999 an 800 TB allocation that aborts the process (SIGABRT,
    /// exit 134) and leaves `.out.pbr.sm-data-PID.tmp` behind. To CSV the same
    /// input writes zeros until memory runs out (not run here). Fuzz target
    /// `convert` found it.
    #[test]
    fn huge_width_to_dense_output_is_an_error_not_an_abort() {
        for (text, flags) in [
            ("1 0:1\n0 2111111111111111111:1\n", &[][..]),
            ("1 0:1\n0 99999999999999:1\n", &[][..]),
            ("1 0:1\n0 3:1\n", &["--num-features", "99999999999999"][..]),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("big.libsvm"), text).unwrap();
            let mut args = vec!["convert", "big.libsvm", "out.pbr", "--dense", "-q"];
            args.extend_from_slice(flags);
            let o = sm_data(dir.path(), &args);
            let err = stderr(&o);
            let what = format!("{text:?} {flags:?}: exit {:?}: {err}", o.status.code());
            assert!(matches!(o.status.code(), Some(1 | 2)), "{what}");
            assert!(!err.contains("internal error"), "{what}");
            // The width comes from the whole file (its largest index), so
            // the error names the width and the first record written.
            assert!(err.contains("big.libsvm: "), "{what}");
            assert!(
                err.contains("is wider than the limit") || err.contains("more than"),
                "{what}"
            );
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(left, vec![std::ffi::OsString::from("big.libsvm")], "{what}");
        }
    }

    /// Bug (fixed): Float32 values go through `f64` on the way in and out
    /// (`decode_tensor`, `encode_value`'s `tensor` helper, `v as f32`), and the
    /// conversion quiets signaling NaNs: payload bits `0x7fa00000` come back as
    /// `0x7fe00000`, so decode → encode of an SDK record is not byte-exact.
    /// Fuzz target `protobuf` found it.
    #[test]
    fn record_encode_keeps_float32_nan_bits() {
        let snan = f32::from_bits(0x7fa0_0000);
        let rec = Record {
            features: vec![(
                "values".into(),
                Value::Float32(Tensor {
                    values: vec![1.0, snan],
                    keys: vec![],
                    shape: vec![],
                }),
            )],
            ..Record::default()
        };
        let mut bytes = Vec::new();
        rec.encode(&mut bytes).unwrap();
        assert!(
            bytes.windows(4).any(|w| w == 0x7fa0_0000u32.to_le_bytes()),
            "NaN bits changed by encode: {bytes:02x?}"
        );
        let back = Record::decode(&bytes).unwrap();
        let Some(Value::Float32(t)) = back.feature("values") else {
            panic!("{back:?}")
        };
        assert_eq!(
            t.values[1].to_bits(),
            0x7fa0_0000,
            "NaN bits changed by decode"
        );
    }
    /// Bug (fixed): every I/O error is printed twice, e.g. `sm-data: error:
    /// missing.csv: I/O error: No such file or directory (os error 2): No such
    /// file or directory (os error 2)`. `Error`'s `Display` already includes
    /// the `io::Error`, and `source()` returns it too, so `main`'s `{err:#}`
    /// (anyhow's chain) repeats it.
    #[test]
    fn io_error_messages_are_printed_once() {
        let dir = tempfile::tempdir().unwrap();
        let o = sm_data(dir.path(), &["convert", "missing.csv", "out.pbr"]);
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    }

    /// Bug (fixed): a corrupt or truncated gzip input fails with an error that
    /// names the file but no position (`t.csv.gz: I/O error: incomplete deflate
    /// stream`), although the pipeline knows how many decompressed bytes (and
    /// records) it read: `pipeline::Chunker::next_chunk` maps the read error
    /// with `in_file` only.
    #[test]
    fn truncated_gzip_input_error_says_where() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..2000)
            .map(|i| format!("{},{i},{}\n", i % 3, 2 * i))
            .collect();
        let mut gz = stored_gzip(text.as_bytes());
        gz.truncate(gz.len() - 20);
        std::fs::File::create(dir.path().join("t.csv.gz"))
            .unwrap()
            .write_all(&gz)
            .unwrap();
        let o = sm_data(dir.path(), &["convert", "t.csv.gz", "out.pbr"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("t.csv.gz: "), "{err}");
        assert!(err.contains("byte offset"), "no position: {err}");
    }

    /// A gzip member with one stored (uncompressed) deflate block, so the
    /// test needs no compression crate. CRC-32 computed bitwise.
    fn stored_gzip(data: &[u8]) -> Vec<u8> {
        assert!(data.len() < 65536);
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        let crc = !crc;
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        let n = data.len() as u16;
        out.push(1); // final stored block
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }

    /// Bug (fixed): `convert IN OUT --force` when OUT is a FIFO (or any
    /// non-regular file: a device such as `/dev/null` when run as root) writes
    /// a temporary file beside it and renames it over OUT, replacing the FIFO
    /// with a regular file instead of writing into it (`store::Output::create`
    /// only special-cases `-`).
    #[cfg(unix)]
    #[test]
    fn force_onto_a_fifo_writes_into_it_instead_of_replacing_it() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.csv"), "1,2\n").unwrap();
        let fifo = dir.path().join("p.libsvm");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo is not available: skipped");
            return;
        }
        // The reader blocks in open() until a writer comes; with the bug it
        // never does, and the thread is left behind (not joined).
        let path = fifo.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Ok(mut f) = std::fs::File::open(&path) {
                let _ = f.read_to_string(&mut s);
            }
            let _ = tx.send(s);
        });
        let o = sm_data(
            dir.path(),
            &["convert", "in.csv", "p.libsvm", "--force", "-q"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced by a {kind:?}");
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reader");
        assert_eq!(got, "1 0:2\n");
    }
}

/// The typed-table reader (`--typed`, its own decode path over arrow)
/// refuses an overstated dictionary page too.
#[cfg(feature = "parquet")]
#[test]
fn typed_tables_refuse_an_overstated_dictionary() {
    for out in ["out.jsonl", "out.csv"] {
        let case: Case = (
            "parquet/dictionary_count.parquet",
            out,
            &["--typed"],
            "record 1",
            "cannot decode: Parquet argument error: Parquet error: column \"x\": the dictionary page states 63 values but holds 24 bytes",
        );
        run_case(&case).unwrap();
    }
}
