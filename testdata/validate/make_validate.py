"""Writes the RecordIO-protobuf files of testdata/validate/pbr/ with the
SageMaker Python SDK 2.x (sagemaker==2.257.7, protobuf as pinned in
testdata/requirements.txt). Deterministic; run from the repository root:

    SAGEMAKER_SUPPRESS_V2_WARNING=1 .venv/bin/python testdata/validate/make_validate.py

Files the SDK cannot write (a sparse tensor without a shape, Int32
source/target records for Seq2Seq, a split record) are built from the SDK's
own Record message (sagemaker.amazon.record_pb2) and its RecordIO framing
(sagemaker.amazon.common._write_recordio), byte by byte where noted.
"""
import hashlib
import io
import os
import struct

import numpy as np
from sagemaker.amazon.common import (
    _write_recordio,
    read_records,
    write_numpy_to_dense_tensor,
    write_spmatrix_to_sparse_tensor,
)
from sagemaker.amazon.record_pb2 import Record

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pbr")
os.makedirs(OUT, exist_ok=True)


def dense(array, labels=None):
    buf = io.BytesIO()
    write_numpy_to_dense_tensor(buf, np.asarray(array), None if labels is None else np.asarray(labels))
    return buf.getvalue()


def framed(records):
    buf = io.BytesIO()
    for r in records:
        # deterministic=True sorts map keys (features "source" before "target");
        # without it the order of a two-key map changes from run to run.
        _write_recordio(buf, r.SerializeToString(deterministic=True))
    return buf.getvalue()


files = {}
f32 = np.array([[0.5, 1.0, 2.0], [1.5, 0.0, 4.0]], dtype="float32")
f64 = f32.astype("float64")
lab = np.array([1, 0], dtype="float32")
# Float32 rows, then Float64 rows: the tensor type changes at record 3.
files["mixed_dtype.pbr"] = dense(f32, lab) + dense(f64, lab.astype("float64"))
# Three features, then four: the feature dimension changes at record 3.
files["mixed_width.pbr"] = dense(f32, lab) + dense(np.array([[1, 2, 3, 4]], dtype="float32"), np.array([1], dtype="float32"))
# Labeled rows, then a row without a label (record 3).
files["partial_label.pbr"] = dense(f32, lab) + dense(np.array([[9, 9, 9]], dtype="float32"))
# A NaN label in record 2 (pandas' missing value reaches the SDK as NaN).
files["nan_label.pbr"] = dense(np.vstack([f32, f32[:1]]), np.array([1, np.nan, 0], dtype="float32"))

# A sparse tensor with keys but no shape (record 2).
ok = Record()
ok.features["values"].float32_tensor.values.extend([1.0, 2.0])
ok.features["values"].float32_tensor.keys.extend([0, 5])
ok.features["values"].float32_tensor.shape.extend([10])
ok.label["values"].float32_tensor.values.extend([1.0])
noshape = Record()
noshape.features["values"].float32_tensor.values.extend([3.0])
noshape.features["values"].float32_tensor.keys.extend([4])
noshape.label["values"].float32_tensor.values.extend([0.0])
files["sparse_no_shape.pbr"] = framed([ok, noshape])
# Keys 5 then 2 in record 2, key 3 twice in record 3: a scipy CSR matrix
# whose indices are not sorted (and not merged), written by the SDK as it is.
import scipy.sparse


def sparse_sdk(data, indices, indptr, labels):
    m = scipy.sparse.csr_matrix(
        (np.array(data, dtype="float32"), np.array(indices), np.array(indptr)), shape=(len(indptr) - 1, 10))
    buf = io.BytesIO()
    write_spmatrix_to_sparse_tensor(buf, m, np.array(labels, dtype="float32"))
    return buf.getvalue()


files["sparse_key_order.pbr"] = sparse_sdk([1, 1, 1, 1, 1, 1], [0, 5, 5, 2, 3, 3], [0, 2, 4, 6], [1, 0, 1])

# Features under another key than "values" (record 1).
other = Record()
other.features["data"].float32_tensor.values.extend([1.0, 2.0])
other.label["values"].float32_tensor.values.extend([1.0])
files["no_values_key.pbr"] = framed([other])


def seq(source, target, dtype="int32"):
    r = Record()
    if dtype == "int32":
        r.features["source"].int32_tensor.values.extend(source)
        r.features["target"].int32_tensor.values.extend(target)
    else:
        r.features["source"].float32_tensor.values.extend(source)
        r.features["target"].float32_tensor.values.extend(target)
    return r


# Seq2Seq as the AWS example's create_vocab_proto.py writes it: Int32 ids.
files["seq2seq.pbr"] = framed([seq([4, 5, 6, 3], [7, 8, 3]), seq([9, 3], [10, 11, 12, 3])])
# The same, with Float32 tensors in record 2.
files["seq2seq_float.pbr"] = framed([seq([4, 5, 6, 3], [7, 8, 3]), seq([9, 3], [10, 11], "float32")])

# The SDK's int64 example (spec §2.2: a 35-byte payload and 1 pad byte per
# record), with the last pad byte dropped: the file length is not a
# multiple of 4.
files["no_final_pad.pbr"] = dense(np.array([[1, 2], [3, 4]]), np.array([3, 4]))[:-1]

# One record split into two parts (cflag 1 then 3), as AWS readers join
# them: the magic, then the word (cflag << 29 | length), data, padding.
payload = ok.SerializeToString()
a, b = payload[:8], payload[8:]


def part(cflag, data):
    pad = (4 - len(data) % 4) % 4
    return struct.pack("<II", 0xCED7230A, (cflag << 29) | len(data)) + data + b"\0" * pad


files["split_record.pbr"] = part(1, a) + part(3, b)

for name, data in sorted(files.items()):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    if name != "split_record.pbr":
        # The SDK reads back what it (or record_pb2) wrote.
        assert len(read_records(io.BytesIO(data))) > 0, name
    print(name, len(data), hashlib.sha256(data).hexdigest())


# --- Parquet (spec §8.5, §8.7 rule 4), written by pyarrow as pinned in
# testdata/requirements.txt: XGBoost's reader is pyarrow.parquet.read_table.
import pyarrow as pa
import pyarrow.parquet as pq

PQ = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parquet")
os.makedirs(os.path.join(PQ, "mixed_schema"), exist_ok=True)
os.makedirs(os.path.join(PQ, "widening_schema"), exist_ok=True)


def write_pq(rel, table, row_group_size=2):
    path = os.path.join(PQ, rel)
    pq.write_table(table, path, row_group_size=row_group_size, compression="snappy")
    # pyarrow reads back what it wrote.
    assert pq.read_table(path).equals(table), rel
    data = open(path, "rb").read()
    print("parquet/" + rel, len(data), hashlib.sha256(data).hexdigest())


labels = pa.array([0.0, 1.0, 1.0, 0.0, 1.0])
f0 = pa.array([1.5, 2.0, 0.0, 4.25, 5.0])
f1 = pa.array([0, 1, 0, 3, 0], type=pa.int32())
f2 = pa.array([0.5, None, 2.5, 3.5, 0.0])
# Label first, every column numeric, five rows in three row groups (a
# missing feature value is allowed: XGBoost reads it as missing).
write_pq("clean.parquet", pa.table({"label": labels, "f0": f0, "f1": f1, "f2": f2}))
# A string column (an id) among the features.
write_pq("string_column.parquet", pa.table({
    "label": labels, "f0": f0, "city": pa.array(["a", "b", "c", "d", "e"]), "f1": f1}))
# The label of record 4 (row group 1) is null.
write_pq("null_label.parquet", pa.table({
    "label": pa.array([0.0, 1.0, 1.0, None, 1.0]), "f0": f0, "f1": f1}))
# A channel of two files whose column types differ (f1 int32 vs double).
write_pq("mixed_schema/part-0.parquet", pa.table({"label": labels, "f0": f0, "f1": f1}))
write_pq("mixed_schema/part-1.parquet", pa.table({
    "label": labels, "f0": f0, "f1": pa.array([0.0, 1.0, 0.0, 3.0, 0.0])}))
# The other way round: int32 in a later file, double in the first, a cast
# that is exact for every value (read_table reads both files).
write_pq("widening_schema/part-0.parquet", pa.table({
    "label": labels, "f0": f0, "f1": pa.array([0.0, 1.0, 0.0, 3.0, 0.0])}))
write_pq("widening_schema/part-1.parquet", pa.table({"label": labels, "f0": f0, "f1": f1}))
# Columns but no rows.
write_pq("no_rows.parquet", pa.table({
    "label": pa.array([], type=pa.float64()), "f0": pa.array([], type=pa.float64())}))
# DeepAR series: start strings, target lists (a null item allowed), cat.
write_pq("deepar_clean.parquet", pa.table({
    "start": pa.array(["2024-01-01 00:00:00", "2024-01-02 00:00:00"]),
    "target": pa.array([[1.0, 2.0, None], [3.0, 4.0, 5.0, 6.0]]),
    "cat": pa.array([[0, 1], [1, 2]]),
    "dynamic_feat": pa.array([[[0.5, 0.5, 1.0]], [[1.0, 0.0, 0.0, 1.0]]]),
}), row_group_size=1)
# DeepAR series with one problem a row (record 1 is clean), two rows a row
# group: the row checks find each by record.
write_pq("deepar_rows.parquet", pa.table({
    "start": pa.array(["2024-01-01 00:00:00", "2024-02-30 00:00:00", None] + ["2024-01-01"] * 7),
    "target": pa.array([[1.0, 2.0, 3.0]] * 3 + [[]] + [[1.0, 2.0, 3.0]] * 5 + [None],
                       type=pa.list_(pa.float64())),
    "cat": pa.array([[0, 1]] * 4 + [[-1, 0], [1]] + [[0, 1]] * 4),
    "dynamic_feat": pa.array([[[1.0, 2.0, 3.0]]] * 6
                             + [[[1.0, None, 3.0]], [[1.0, 2.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]
                             + [[[1.0, 2.0, 3.0]]]),
}))
# The same series compressed with zstd (DeepAR documents gzip and snappy).
pq.write_table(pa.table({
    "start": pa.array(["2024-01-01 00:00:00", "2024-01-02 00:00:00"]),
    "target": pa.array([[1.0, 2.0, None], [3.0, 4.0, 5.0, 6.0]]),
    "cat": pa.array([[0, 1], [1, 2]]),
}), os.path.join(PQ, "deepar_zstd.parquet"), row_group_size=1, compression="zstd")
# DeepAR with 'target' a plain number and no 'start' column.
write_pq("deepar_bad.parquet", pa.table({
    "timestamp": pa.array(["2024-01-01 00:00:00", "2024-01-02 00:00:00"]),
    "target": pa.array([1.0, 2.0]),
}), row_group_size=1)
