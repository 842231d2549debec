#!/usr/bin/env python3
"""Writes the committed seed corpora fuzz/seeds/<target>/ from testdata/.

Deterministic, pure Python, no dependencies. Run from anywhere:
    python3 fuzz/make_seeds.py
Each target gets the inputs it expects: raw RecordIO files (recordio), bare
Record payloads (protobuf), and text or binary files behind the selector
byte(s) that choose options (csv, libsvm: one byte; convert: two bytes).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "testdata")
SEEDS = os.path.join(HERE, "seeds")
MAGIC = struct.pack("<I", 0xCED7230A)


def read(rel):
    with open(os.path.join(TESTDATA, rel), "rb") as f:
        return f.read()


def write(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def part(cflag, payload):
    pad = (-len(payload)) % 4
    return MAGIC + struct.pack("<I", (cflag << 29) | len(payload)) + payload + b"\0" * pad


def payloads(rec):
    out, pos = [], 0
    while pos + 8 <= len(rec):
        (lrec,) = struct.unpack_from("<I", rec, pos + 4)
        n = lrec & 0x1FFFFFFF
        out.append(rec[pos + 8 : pos + 8 + n])
        pos += 8 + n + (-n) % 4
    return out


PBR = [
    "dense_f32_label.pbr",
    "dense_f32_nolabel.pbr",
    "dense_f64_label.pbr",
    "dense_int32_label.pbr",
    "sparse_f32_label.pbr",
    "sparse_f32_zero_row.pbr",
    "sparse_f64_label.pbr",
]
CSV = ["dense.csv", "dense_int.csv"]
LIBSVM = ["sparse.libsvm", "sparse_1based.libsvm", "zero_row.libsvm"]

# recordio: whole files, plus split records in both conventions.
for name in PBR:
    write("recordio", name, read("recordio-protobuf/" + name))
write("recordio", "split_aws.rec", part(1, b"abc") + part(2, b"de") + part(3, b"f") + part(0, b"next"))
write("recordio", "split_dmlc.rec", part(1, b"ABCD") + part(3, b"EF"))
write("recordio", "empty_parts.rec", part(1, b"") + part(3, b"") + part(0, b""))
write("recordio", "no_final_pad.rec", part(0, b"hello")[:-3])

# protobuf: the first and last payload of each file.
for name in PBR:
    ps = payloads(read("recordio-protobuf/" + name))
    stem = name[:-4]
    write("protobuf", stem + "_0.bin", ps[0])
    write("protobuf", stem + "_last.bin", ps[-1])

# csv: selector byte (bit 0 header, bits 1-2 label, bits 3-4 delimiter, bit 7 not first).
for name in CSV:
    text = read("csv/" + name)
    write("csv", name, b"\x02" + text)
    write("csv", "header_" + name, b"\x03" + b"y,a,b,c,d,e\n" + text)
    write("csv", "semicolon_" + name, b"\x0a" + text.replace(b",", b";"))
    write("csv", "tab_nolabel_" + name, b"\x10" + text.replace(b",", b"\t"))
write("csv", "quoted.csv", b"\x02" + b'"1",2,"3"\r\n\n"4","","6"\n7,8,9')

# libsvm: selector byte (bit 0 one-based, bit 1 not first).
write("libsvm", "sparse.libsvm", b"\x00" + read("libsvm/sparse.libsvm"))
write("libsvm", "sparse_1based.libsvm", b"\x01" + read("libsvm/sparse_1based.libsvm"))
write("libsvm", "zero_row.libsvm", b"\x00" + read("libsvm/zero_row.libsvm"))
write("libsvm", "comments.libsvm", b"\x00" + b"# c\n1 qid:3 0:1 2:nan # x\r\n\n-1 7:1e-3\n")

# convert: three selector bytes (from = bits 0-1 of the first, to = bits 2-3;
# formats csv=0 libsvm=1 recordio=2 recordio-protobuf=3; see convert.rs).
FMT = {"csv": 0, "libsvm": 1, "rec": 2, "pbr": 3}
for name in CSV:
    for to in ("libsvm", "pbr"):
        write("convert", f"{name}_to_{to}", bytes([FMT["csv"] | FMT[to] << 2, 0, 0]) + read("csv/" + name))
write("convert", "header_dense.csv_to_pbr", bytes([FMT["csv"] | FMT["pbr"] << 2, 0, 1]) + b"y,a,b,c,d,e\n" + read("csv/dense.csv"))
for name in LIBSVM:
    one = 0x10 if "1based" in name else 0
    for to in ("csv", "pbr"):
        write("convert", f"{name}_to_{to}", bytes([FMT["libsvm"] | FMT[to] << 2 | one, 0, 0]) + read("libsvm/" + name))
for name in PBR:
    for to in ("csv", "libsvm", "rec"):
        write("convert", f"{name}_to_{to}", bytes([FMT["pbr"] | FMT[to] << 2, 0, 0]) + read("recordio-protobuf/" + name))

# Reproducers of bugs these targets found (fixed in 0bb8846; the tests in
# tests/it/bad_corpus.rs, `regression`, pin them too): every run starts
# with them, so a regression crashes at once.
# csv: tab delimiter, 2 label columns, a row of two missing values.
write("csv", "regression_tab_missing_row.csv", b"\xbf" + b'""\t')
# protobuf: a Float32 signaling NaN (0x7fa00000) that encoding quiets.
write("protobuf", "regression_snan.bin", b"\x0a\x12\x0a\x06values\x12\x08\x12\x06\x0a\x04" + struct.pack("<I", 0x7FA00000))
# convert: csv with --header whose header follows 64+ bytes of blank lines.
write("convert", "regression_header_after_blank_chunk", bytes([FMT["csv"] | FMT["libsvm"] << 2, 0, 1]) + b"\n" * 70 + b"h1,h2\n1,2\n")
# convert: a dense then a sparse record, to libsvm (dense rows of mixed chunks keep zeros).
def f32_value(vals, keys=(), shape=()):
    body = b"\x0a" + bytes([4 * len(vals)]) + b"".join(struct.pack("<f", v) for v in vals)
    if keys:
        body += b"\x12" + bytes([len(keys)]) + bytes(keys)
    if shape:
        body += b"\x1a" + bytes([len(shape)]) + bytes(shape)
    return b"\x12" + bytes([len(body)]) + body
def example(value):
    entry = b"\x0a\x06values\x12" + bytes([len(value)]) + value
    return b"\x0a" + bytes([len(entry)]) + entry
mixed = part(0, example(f32_value([0.0, 1.5]))) + part(0, example(f32_value([2.0], [1], [2])))
write("convert", "regression_mixed_dense_sparse", bytes([FMT["pbr"] | FMT["libsvm"] << 2, 0, 0]) + mixed)
write("convert", "mixed_dense_sparse_to_csv", bytes([FMT["pbr"] | FMT["csv"] << 2, 0, 2]) + mixed)

# jsonl: selector byte (bit 0 lines are predictions).
for name in ["dense.jsonl", "sparse.jsonl", "inference.jsonl"]:
    write("jsonl", name, b"\x00" + read("json/" + name))
write("jsonl", "escapes.jsonl", b"\x00" + b'\xef\xbb\xbf{"uid": "a\\"\\u00e9\\ud83d\\ude00", "features": [1e0, -0, null, NaN], "label": [1, 2]}\r\n\n')
write("jsonl", "response.jsonl", b"\x01" + b'{"score": 0.5, "predicted_label": 1}\n{"score": [0.1, 0.9]}\n')

# json: selector byte (chunk size 1 + sel % 32 for the chunked decode).
for i, name in enumerate(["request.json", "ndarray.json", "response.json", "projections.json"]):
    write("json", name, bytes([i * 5]) + read("json/" + name))

# tfrecord: selector byte (bit 0: 12-byte record limit; bits 3-7: read size).
for name in ["vectors.tfrecord", "dense_f32_label.tfrecord", "sparse_f32_label.tfrecord"]:
    write("tfrecord", name, b"\x28" + read("tfrecord/" + name))

# parquet: selector byte (bits 0-1: layout detected/wide/tensor; bit 2: no
# label), then the file.
import glob
for path in sorted(glob.glob(os.path.join(TESTDATA, "parquet", "*.parquet"))):
    name = os.path.basename(path)
    write("parquet", name, b"\x00" + read("parquet/" + name))
write("parquet", "nolabel_wide_v1_snappy.parquet", b"\x05" + read("parquet/wide_v1_snappy.parquet"))
write("parquet", "forced_tensor_dense.parquet", b"\x02" + read("parquet/tensor_dense.parquet"))
for name in ["corrupt_page_header.parquet", "keys_values_mismatch.parquet", "negative_key.parquet", "struct_column.parquet"]:
    write("parquet", "bad_" + name, b"\x00" + read("bad/parquet/" + name))

# manifest: the raw manifest JSON.
write("manifest", "sdk.manifest", b'[{"prefix": "s3://bucket/train/"}, "part-00000.pbr", "part-00001.pbr"]')
write("manifest", "escapes.manifest", b'[{"prefix": "s3://b/p/"}, "a\\u00e9\\"\\\\\\n\\ud83d\\ude00", "x"]')
write("manifest", "bad_keys.manifest", b'[ {"prefix": "s3://b/p/"} ,"", "/abs", "a/../b", "ok", "ok"]')
write("manifest", "no_slash.manifest", b'[{"prefix": "s3://bucket"}, "k"]')
write("manifest", "local.manifest", b'[{"prefix": "no-such-local-dir/"}, "a.csv", "sub/b.csv"]')
write("manifest", "not_a_key.manifest", b'[\n{"prefix": "s3://b/"},\n "a", 3]')

# augmented: selector byte (bit 0: resolve relative refs against /base),
# a line of comma-separated AttributeNames, then the manifest.
aug = (b'{"source-ref": "s3://b/img1.jpg", "class": "0", "box": {"a": 1,  "b": [2]}}\n'
       b'\n'
       b'{"class": 1.50, "source-ref": "img2.jpg", "extra": null}\r\n')
write("augmented", "ref_class.manifest", b"\x01source-ref,class\n" + aug)
write("augmented", "box.manifest", b"\x00box,class\n" + aug)
write("augmented", "missing.manifest", b"\x00source-ref,box\n" + aug)
write("augmented", "escaped_key.manifest", b"\x00caf\xc3\xa9\n" + b'\xef\xbb\xbf{"caf\\u00e9": "\\u00e9t\\u00e9", "x-ref": 3}\n')

# config: selector byte (0 inputdataconfig.json, 1 resourceconfig.json,
# 2 a sources file, 3 a sources file, NUL, inputdataconfig.json; bits 2-4
# flags), then JSON.
idc = (b'{"train": {"ContentType": "application/x-recordio-protobuf", "TrainingInputMode": "Pipe",'
       b' "S3DistributionType": "ShardedByS3Key", "RecordWrapperType": "RecordIO"},'
       b' "validation": {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",'
       b' "RecordWrapperType": "None", "ShuffleConfig": {"Seed": 7}}}')
rc = (b'{"current_host": "algo-2", "current_instance_type": "ml.m5.xlarge",'
      b' "current_group_name": "homogeneousCluster", "hosts": ["algo-1", "algo-2", "algo-3"],'
      b' "instance_groups": [{"instance_group_name": "homogeneousCluster",'
      b' "instance_type": "ml.m5.xlarge", "hosts": ["algo-1", "algo-2", "algo-3"]}],'
      b' "network_interface_name": "eth0"}')
sources_map = (b'{"train": "s3://bucket/train/", "validation": "data/val.csv", "labels": {"S3DataType":'
               b' "AugmentedManifestFile", "S3Uri": "file.manifest", "AttributeNames": ["source-ref", "class"],'
               b' "RecordWrapperType": "RecordIO", "ShuffleConfig": {"Seed": 3}}}')
sources_list = (b'{"InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource":'
                b' {"S3DataType": "ManifestFile", "S3Uri": "s3://b/train.manifest",'
                b' "S3DataDistributionType": "ShardedByS3Key"}}, "ContentType": "text/csv",'
                b' "InputMode": "Pipe", "RecordWrapperType": "None"}]}')
write("config", "inputdataconfig.json", b"\x00" + idc)
write("config", "resourceconfig.json", b"\x01" + rc)
write("config", "sources_map.json", b"\x02" + sources_map)
write("config", "sources_list_with_idc.json", b"\x1f" + sources_list + b"\x00" + idc)
write("config", "sources_map_with_idc.json", b"\x03" + sources_map + b"\x00" + idc)

# table: selector byte (0 CSV → Parquet, 1 JSON Lines → Parquet, 2 Parquet
# → CSV, 3 Parquet → JSON Lines), then the input.
write("table", "typed.csv", b"\x00" + b'id,name,score,ok,when\n1,a,1.5,true,2024-01-02T03:04:05Z\n2,"b,""c""",,FALSE,2024-01-02 03:04:05.5+01:00\n3,,1e3,true,\n')
write("table", "typed.jsonl", b"\x01" + b'{"id": 1, "name": "a\\u00e9", "score": 1.5, "ok": true}\n{"id": 2, "score": null, "when": "2024-01-02T03:04:05Z"}\n')
for name in ["typed.parquet", "strings.parquet", "wide_v1_snappy.parquet"]:
    write("table", "csv_" + name, b"\x02" + read("parquet/" + name))
write("table", "jsonl_typed.parquet", b"\x03" + read("parquet/typed.parquet"))

# Reproducers of bugs these targets found (regression tests in
# src/pipe/augmented.rs and src/pipe/config.rs).
# augmented: a key written with an escape made the whole line fail.
write("augmented", "regression_escaped_key.manifest", b"\x00a\n" + b'{"x\\"y": 1, "a": 2}\n')
# config: a bad S3DataType did not name the file or the channel.
write("config", "regression_bad_s3datatype.json", b"\x02" + b'{"train": {"S3Uri": "s3://b/", "S3DataType": "Manifest"}}')
# parquet: a dictionary index out of range, on which arrow-rs panics (also
# testdata/bad/parquet/fuzz_dictionary_index.parquet).
write("parquet", "regression_dictionary_index.parquet", b"\x00" + read("bad/parquet/fuzz_dictionary_index.parquet"))
# table: JSON Lines records without any key (no columns: an internal error).
write("table", "regression_no_columns.jsonl", b"\x01" + b"{}\n")
# parquet: a negative column offset in the footer (byte_range() panicked).
write("parquet", "regression_negative_column_offset.parquet", b"\x00" + read("bad/parquet/fuzz_negative_column_offset.parquet"))
# A dictionary page stating 612 M values in 24 bytes: a 4.9 GB allocation in
# the parquet crate before sm-data bounded the count (found by this target;
# testdata/bad/parquet/fuzz_dictionary_count.parquet).
write("parquet", "regression_dictionary_count.parquet", b"\x00" + read("bad/parquet/fuzz_dictionary_count.parquet"))
# parquet and table: a data page header the page reader panics on, reached
# by the dictionary check's page walk outside the panic guard.
write("parquet", "regression_page_header_panic.parquet", b"\x00" + read("bad/parquet/fuzz_page_header_panic.parquet"))
write("table", "regression_page_header_panic.parquet", b"\x02" + read("bad/parquet/fuzz_page_header_panic_typed.parquet"))
# parquet: page headers whose skipped lists run past the end of the file
# (the crate's header parser looped on them: timeouts).
write("parquet", "regression_page_header_list.parquet", b"\x02" + read("bad/parquet/fuzz_page_header_list.parquet"))
# parquet: a data page whose level buffer is shorter than stated; the
# parquet crate slices a `bytes::Bytes` out of range (a panic in `bytes`,
# which the fuzz targets' hook first took for one of sm-data's own).
write("parquet", "regression_level_slice.parquet", b"\x00" + read("bad/parquet/fuzz_level_slice.parquet"))
