#!/usr/bin/env python3
"""Write the sm-data golden files with the reference tools.

Deterministic (fixed seed, fixed forced cells), no network. Run from anywhere:

    python3 -m venv .venv
    .venv/bin/pip install -r testdata/requirements.txt
    SAGEMAKER_SUPPRESS_V2_WARNING=1 .venv/bin/python testdata/make_golden.py

Every output file under testdata/ is overwritten. The files are committed; they
must not change unless this script (or testdata/requirements.txt) changes.
See testdata/README.md for what each file holds.
"""

import hashlib
import io
import os
import sys

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import numpy as np  # noqa: E402
import scipy.sparse  # noqa: E402
from sklearn.datasets import dump_svmlight_file, load_svmlight_file  # noqa: E402
from sagemaker.amazon.common import (  # noqa: E402
    read_records,
    write_numpy_to_dense_tensor,
    write_spmatrix_to_sparse_tensor,
)

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

written = []


def out_path(rel):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def save(rel, data):
    """Write bytes to testdata/<rel> (overwriting) and remember it for the summary."""
    assert isinstance(data, (bytes, bytearray))
    with open(out_path(rel), "wb") as f:
        f.write(data)
    written.append((rel, bytes(data)))


def fmt_f32(v):
    """Shortest decimal that round-trips float32; integer values print without '.0'."""
    s = np.format_float_positional(np.float32(v), unique=True, trim="-")
    assert np.float32(s) == np.float32(v) and float(s) == float(v), (v, s)
    assert s != "-0", "negative zero is not wanted in the goldens"
    return s


def eighths(rng, shape, lo=-64, hi=64):
    """Random multiples of 1/8 in [lo/8, hi/8] (exact in float32 and float64)."""
    return rng.integers(lo, hi + 1, size=shape).astype(np.float64) / 8.0


def sdk_dense(array, labels):
    buf = io.BytesIO()
    write_numpy_to_dense_tensor(buf, array, labels)
    return buf.getvalue()


def sdk_sparse(matrix, labels):
    buf = io.BytesIO()
    write_spmatrix_to_sparse_tensor(buf, matrix, labels)
    return buf.getvalue()


def sklearn_svmlight(matrix, labels, zero_based):
    buf = io.BytesIO()
    dump_svmlight_file(matrix, labels, buf, zero_based=zero_based)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# spec §2.2 test vector (asserted, not saved)
# ---------------------------------------------------------------------------

SPEC_DENSE_F32 = bytes.fromhex(
    "0a23d7ce 30000000"  # magic, length 48
    "0a1a 0a06 76616c756573 1210 120e 0a0c 0000c03f 00000040 00000000"
    "1212 0a06 76616c756573 1208 1206 0a04 0000803f".replace(" ", "")
)
got = sdk_dense(np.array([[1.5, 2, 0]], dtype=np.float32), np.array([1], dtype=np.float32))
assert got == SPEC_DENSE_F32, "spec §2.2 vector not reproduced: " + got.hex()
assert len(got) == 8 + 48

rng = np.random.default_rng(SEED)

# ---------------------------------------------------------------------------
# dense CSV: 6 rows, label in {0,1,2} + 5 float features (multiples of 1/8)
# ---------------------------------------------------------------------------

dense_y = np.array([1, 0, 2, 1, 2, 0], dtype=np.int64)
dense_X = eighths(rng, (6, 5))
dense_X[0, 0] = 0.0  # a zero
dense_X[0, 1] = -1.5  # negative with a fraction
dense_X[0, 2] = 2.0  # integer-valued
dense_X[0, 3] = 0.125  # small fraction
dense_X[5, 4] = -8.0  # the range end
assert (dense_X == dense_X.astype(np.float32).astype(np.float64)).all()
assert (dense_X == 0).any() and (dense_X < 0).any()
assert (dense_X != np.round(dense_X)).any() and ((dense_X == np.round(dense_X)) & (dense_X != 0)).any()

csv = "".join(
    "%d,%s\n" % (dense_y[i], ",".join(fmt_f32(v) for v in dense_X[i])) for i in range(6)
)
save("csv/dense.csv", csv.encode("ascii"))

# ---------------------------------------------------------------------------
# dense integer CSV: 4 rows, label + 4 int features (negatives, > 65535)
# ---------------------------------------------------------------------------

int_y = np.array([0, 2, 1, 1], dtype=np.int64)
int_X = rng.integers(-1000, 1001, size=(4, 4)).astype(np.int64)
int_X[0, 0] = 0
int_X[1, 1] = -40000
int_X[2, 2] = 70000  # > 65535
int_X[3, 3] = 2147483647  # int32 max (< 2^31)
int_X[3, 0] = -2147483648  # int32 min
assert (int_X < 0).any() and ((int_X > 65535) & (int_X < 2**31)).any()
csv_int = "".join(
    "%d,%s\n" % (int_y[i], ",".join("%d" % v for v in int_X[i])) for i in range(4)
)
save("csv/dense_int.csv", csv_int.encode("ascii"))

# ---------------------------------------------------------------------------
# sparse: 6 x 10, row 2 all-zero, some row uses column 9, values k/8 != 0
# ---------------------------------------------------------------------------

sp_y = np.array([1, 0, 2, 0, 1, 2], dtype=np.float64)
vals = eighths(rng, (6, 10), -32, 32)
vals[vals == 0] = 0.375  # no explicit zeros: every kept cell is stored
mask = rng.random((6, 10)) < 0.35
mask[2, :] = False  # row 2: no features at all
mask[0, 9] = True  # last index used
mask[4, 0] = True  # first index used
mask[1, :] = False
mask[1, [3, 9]] = True  # a row with exactly two features
sp_dense = np.where(mask, vals, 0.0)
sp_csr = scipy.sparse.csr_matrix(sp_dense)  # float64, canonical (sorted indices)
sp_csr.sort_indices()
assert sp_csr.shape == (6, 10) and sp_csr.has_canonical_format
assert sp_csr.getrow(2).nnz == 0 and 9 in sp_csr.indices and (sp_csr.data != 0).all()

libsvm0 = sklearn_svmlight(sp_csr, sp_y, zero_based=True)
libsvm1 = sklearn_svmlight(sp_csr, sp_y, zero_based=False)
save("libsvm/sparse.libsvm", libsvm0)
save("libsvm/sparse_1based.libsvm", libsvm1)
# the reference reader reads them back to the same data
for data, zb in ((libsvm0, True), (libsvm1, False)):
    X2, y2 = load_svmlight_file(io.BytesIO(data), n_features=10, zero_based=zb)
    assert (X2.toarray() == sp_dense).all() and (y2 == sp_y).all()

# ---------------------------------------------------------------------------
# RecordIO-protobuf with the SDK writers
# ---------------------------------------------------------------------------

f32 = dense_X.astype(np.float32)
save("recordio-protobuf/dense_f32_label.pbr", sdk_dense(f32, dense_y.astype(np.float32)))
save("recordio-protobuf/dense_f32_nolabel.pbr", sdk_dense(f32, None))
save(
    "recordio-protobuf/dense_f64_label.pbr",
    sdk_dense(dense_X.astype(np.float64), dense_y.astype(np.float64)),
)
# int64 -> Int32Tensor (int32 arrays are rejected by the SDK)
save("recordio-protobuf/dense_int32_label.pbr", sdk_dense(int_X.astype(np.int64), int_y.astype(np.int64)))

save(
    "recordio-protobuf/sparse_f32_label.pbr",
    sdk_sparse(sp_csr.astype(np.float32), sp_y.astype(np.float32)),
)
save(
    "recordio-protobuf/sparse_f64_label.pbr",
    sdk_sparse(sp_csr.astype(np.float64), sp_y.astype(np.float64)),
)

zr_dense = np.zeros((2, 10), dtype=np.float32)
zr_dense[1, 4] = 1.5
zr_csr = scipy.sparse.csr_matrix(zr_dense)
zr_y = np.array([0, 1], dtype=np.float32)
assert zr_csr.nnz == 1 and zr_csr.dtype == np.float32
save("recordio-protobuf/sparse_f32_zero_row.pbr", sdk_sparse(zr_csr, zr_y))
save("libsvm/zero_row.libsvm", sklearn_svmlight(zr_csr, zr_y, zero_based=True))

# ---------------------------------------------------------------------------
# sanity: the SDK reader reads back what the SDK wrote, with the quirks we document
# ---------------------------------------------------------------------------

files = dict(written)


def recs(rel):
    return read_records(io.BytesIO(files[rel]))


r = recs("recordio-protobuf/dense_f32_label.pbr")
assert len(r) == 6
for i, rec in enumerate(r):
    t = rec.features["values"].float32_tensor
    assert list(t.values) == list(dense_X[i]) and not t.keys and not t.shape
    assert list(rec.label["values"].float32_tensor.values) == [dense_y[i]]
assert all(not rec.label for rec in recs("recordio-protobuf/dense_f32_nolabel.pbr"))
for rec in recs("recordio-protobuf/dense_f64_label.pbr"):
    assert rec.features["values"].WhichOneof("value") == "float64_tensor"
    assert rec.label["values"].WhichOneof("value") == "float64_tensor"
for i, rec in enumerate(recs("recordio-protobuf/dense_int32_label.pbr")):
    assert list(rec.features["values"].int32_tensor.values) == list(int_X[i])
    assert list(rec.label["values"].int32_tensor.values) == [int_y[i]]
for name, kind in (("sparse_f32_label", "float32_tensor"), ("sparse_f64_label", "float64_tensor")):
    r = recs("recordio-protobuf/%s.pbr" % name)
    assert len(r) == 6
    for i, rec in enumerate(r):
        t = getattr(rec.features["values"], kind)
        row = sp_csr.getrow(i)
        assert list(t.keys) == list(row.indices) and list(t.values) == list(row.data)
        assert list(t.shape) == [10]
        assert list(getattr(rec.label["values"], kind).values) == [sp_y[i]]
r = recs("recordio-protobuf/sparse_f32_zero_row.pbr")
t0 = r[0].features["values"].float32_tensor
assert not t0.values and not t0.keys and list(t0.shape) == [10]

# ---------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------

for rel, data in written:
    print("%-52s %5d  %s" % ("testdata/" + rel, len(data), hashlib.sha256(data).hexdigest()))
print("spec §2.2 dense f32 vector: OK", file=sys.stderr)
