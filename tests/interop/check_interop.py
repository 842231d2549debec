#!/usr/bin/env python3
"""Check that the reference tools read what the sm-data CLI writes.

Usage (from anywhere):

    .venv/bin/python tests/interop/check_interop.py path/to/sm-data

The venv comes from testdata/requirements.txt (sagemaker 2.x, numpy, scipy,
scikit-learn, pyarrow, polars). The script runs `sm-data convert` on the golden files in testdata/,
writes only into a fresh temporary directory, reads the results back with
sagemaker.amazon.common.read_records, sklearn's load_svmlight_file and numpy.loadtxt,
and compares them with the golden data. It exits 1 listing every mismatch, 2 on a
usage error, and prints "interop OK" when everything matches.
"""

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import numpy as np  # noqa: E402
from sklearn.datasets import load_svmlight_file  # noqa: E402
from sagemaker.amazon.common import read_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"
NUM_FEATURES = 10

failures = []


def fail(check, msg):
    failures.append("[%s] %s" % (check, msg))
    print("FAIL [%s] %s" % (check, msg), file=sys.stderr)


def run_convert(binary, check, src, dst, *flags):
    """Run `sm-data convert SRC DST FLAGS...`; return True when it succeeded and wrote DST."""
    assert not dst.exists(), "output path must be fresh: %s" % dst
    cmd = [str(binary), "convert", str(src), str(dst), *flags]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        fail(check, "could not run %s: %s" % (" ".join(cmd), e))
        return False
    if proc.returncode != 0:
        fail(
            check,
            "%s exited %d\nstdout: %s\nstderr: %s"
            % (" ".join(cmd), proc.returncode, proc.stdout.strip(), proc.stderr.strip()),
        )
        return False
    if not dst.is_file():
        fail(check, "%s exited 0 but wrote no %s" % (" ".join(cmd), dst))
        return False
    return True


def read_pbr(check, path):
    try:
        with open(path, "rb") as f:
            return read_records(f)
    except Exception as e:  # the reference reader rejecting our bytes is the failure we look for
        fail(check, "sagemaker read_records could not read %s: %r" % (path.name, e))
        return None


def same_bytes(check, path, golden):
    got = path.read_bytes()
    want = golden.read_bytes()
    if got == want:
        return
    n = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    fail(
        check,
        "%s is not byte-identical to testdata/%s (%d vs %d bytes; first difference at offset %d: "
        "got %s, want %s)"
        % (
            path.name,
            golden.relative_to(TESTDATA),
            len(got),
            len(want),
            n,
            got[n : n + 16].hex(),
            want[n : n + 16].hex(),
        ),
    )


def tensor(check, where, value, kind):
    """Return value.<kind> (e.g. float32_tensor), or None after reporting a wrong oneof."""
    which = value.WhichOneof("value")
    if which != kind:
        fail(check, "%s: expected %s, got %s" % (where, kind, which))
        return None
    return getattr(value, kind)


def check_dense_records(check, records, X, y, kind, np_dtype):
    if records is None:
        return
    if len(records) != len(X):
        fail(check, "expected %d records, got %d" % (len(X), len(records)))
    for i, (rec, row, label) in enumerate(zip(records, X, y)):
        where = "record %d" % i
        if list(rec.features.keys()) != ["values"]:
            fail(check, "%s: features keys %r, want ['values']" % (where, list(rec.features.keys())))
            continue
        t = tensor(check, where + " features", rec.features["values"], kind)
        if t is not None:
            want = [float(np_dtype(v)) for v in row]
            if list(t.values) != want:
                fail(check, "%s: feature values %r, want %r" % (where, list(t.values), want))
            if list(t.keys) or list(t.shape):
                fail(check, "%s: dense features carry keys %r / shape %r" % (where, list(t.keys), list(t.shape)))
        if list(rec.label.keys()) != ["values"]:
            fail(check, "%s: label keys %r, want ['values']" % (where, list(rec.label.keys())))
            continue
        t = tensor(check, where + " label", rec.label["values"], kind)
        if t is not None and list(t.values) != [float(np_dtype(label))]:
            fail(check, "%s: label %r, want [%r]" % (where, list(t.values), float(label)))


def check_sparse_records(check, records, X_csr, y, kind, np_dtype):
    if records is None:
        return
    n_rows, n_cols = X_csr.shape
    if len(records) != n_rows:
        fail(check, "expected %d records, got %d" % (n_rows, len(records)))
    for i, rec in enumerate(records[:n_rows]):
        where = "record %d" % i
        row = X_csr.getrow(i)
        if list(rec.features.keys()) != ["values"]:
            fail(check, "%s: features keys %r, want ['values']" % (where, list(rec.features.keys())))
            continue
        t = tensor(check, where + " features", rec.features["values"], kind)
        if t is not None:
            want_keys = [int(k) for k in row.indices]
            want_vals = [float(np_dtype(v)) for v in row.data]
            if list(t.keys) != want_keys:
                fail(check, "%s: keys %r, want %r" % (where, list(t.keys), want_keys))
            if list(t.values) != want_vals:
                fail(check, "%s: values %r, want %r" % (where, list(t.values), want_vals))
            if list(t.shape) != [n_cols]:
                fail(check, "%s: shape %r, want [%d]" % (where, list(t.shape), n_cols))
        if list(rec.label.keys()) != ["values"]:
            fail(check, "%s: label keys %r, want ['values']" % (where, list(rec.label.keys())))
            continue
        t = tensor(check, where + " label", rec.label["values"], kind)
        if t is not None and list(t.values) != [float(np_dtype(y[i]))]:
            fail(check, "%s: label %r, want [%r]" % (where, list(t.values), float(y[i])))


def check_parquet(binary, tmp, dense_X, dense_y, sp_X, sp_y):
    """sm-data's Parquet read by pyarrow and polars: schema and values."""
    import pyarrow.parquet as pq
    import polars as pl

    for codec in ["snappy", "zstd", "gzip", "none"]:
        check = "csv->parquet wide %s" % codec
        out = tmp / ("wide_%s.parquet" % codec)
        if not run_convert(binary, check, TESTDATA / "csv" / "dense.csv", out, "--compression", codec):
            continue
        t = pq.read_table(out)
        names = ["label"] + ["f%d" % j for j in range(dense_X.shape[1])]
        if t.column_names != names:
            fail(check, "pyarrow columns %s, expected %s" % (t.column_names, names))
            continue
        if any(str(f.type) != "double" for f in t.schema):
            fail(check, "pyarrow types %s" % t.schema)
        got = np.column_stack([t.column(n).to_numpy() for n in names])
        want = np.column_stack([dense_y, dense_X])
        if not np.array_equal(got, want):
            fail(check, "pyarrow values differ")
        want_codec = "UNCOMPRESSED" if codec == "none" else codec.upper()
        c = pq.ParquetFile(out).metadata.row_group(0).column(0).compression
        if c != want_codec:
            fail(check, "compression %s, expected %s" % (c, want_codec))
        df = pl.read_parquet(out)
        if df.columns != names or not np.array_equal(df.to_numpy(), want):
            fail(check, "polars columns %s or values differ" % df.columns)

    check = "libsvm->parquet tensor"
    out = tmp / "sparse_tensor.parquet"
    if run_convert(
        binary, check, TESTDATA / "libsvm" / "sparse.libsvm", out,
        "--num-features", str(NUM_FEATURES), "--parquet-layout", "tensor",
    ):
        t = pq.read_table(out)
        if t.column_names != ["label", "keys", "values", "shape"]:
            fail(check, "columns %s" % t.column_names)
        else:
            keys = t.column("keys").to_pylist()
            values = t.column("values").to_pylist()
            for i in range(sp_X.shape[0]):
                row = sp_X.getrow(i)
                if list(row.indices) != keys[i] or list(row.data) != values[i]:
                    fail(check, "row %d: %s %s vs %s %s" % (i, keys[i], values[i], row.indices, row.data))
                    break
            if t.column("shape").to_pylist() != [NUM_FEATURES] * sp_X.shape[0]:
                fail(check, "shape column %s" % t.column("shape").to_pylist()[:5])
            if not np.array_equal(t.column("label").to_numpy(), sp_y):
                fail(check, "labels differ")
        df = pl.read_parquet(out)
        if df.columns != ["label", "keys", "values", "shape"] or df.height != sp_X.shape[0]:
            fail(check, "polars: %s rows %d" % (df.columns, df.height))

    check = "csv->parquet typed"
    src = tmp / "typed.csv"
    src.write_text("id,score,ok,name,at\n1,0.5,true,a,2024-01-02T03:04:05Z\n,2,false,,\n")
    out = tmp / "typed.parquet"
    if run_convert(binary, check, src, out, "--typed"):
        t = pq.read_table(out)
        types = [str(f.type) for f in t.schema]
        if types != ["int64", "double", "bool", "string", "timestamp[us, tz=UTC]"]:
            fail(check, "pyarrow types %s" % types)
        if t.column("id").to_pylist() != [1, None] or t.column("name").to_pylist() != ["a", None]:
            fail(check, "values %s" % t.to_pylist())
        df = pl.read_parquet(out)
        if df["score"].to_list() != [0.5, 2.0] or df["ok"].to_list() != [True, False]:
            fail(check, "polars values %s" % df.to_dicts())

    # Enough distinct ints and times that they skip the dictionary and are
    # written DELTA_BINARY_PACKED: pyarrow and polars read them back.
    check = "csv->parquet typed, delta-encoded ints"
    src = tmp / "typed-delta.csv"
    rng = np.random.default_rng(7)
    n = 5000
    ids = list(range(n))
    ints = [int(v) for v in rng.integers(-10**6, 10**6, n)]
    secs = [int(v) for v in rng.integers(0, 365 * 86400, n)]
    ts = [np.datetime64("2024-01-01T00:00:00") + np.timedelta64(s, "s") for s in secs]
    lines = ["id,v,at"] + ["%d,%d,%s" % (i, v, str(t).replace("T", " ")) for i, v, t in zip(ids, ints, ts)]
    src.write_text("\n".join(lines) + "\n")
    out = tmp / "typed-delta.parquet"
    if run_convert(binary, check, src, out, "--typed"):
        meta = pq.ParquetFile(out).metadata
        for c in range(3):
            enc = meta.row_group(0).column(c).encodings
            if "DELTA_BINARY_PACKED" not in enc:
                fail(check, "column %d encodings %s" % (c, enc))
        t = pq.read_table(out)
        if t.column("id").to_pylist() != ids or t.column("v").to_pylist() != ints:
            fail(check, "pyarrow int values differ")
        got = [int(v) for v in t.column("at").cast("int64").to_pylist()]
        if got != [(1704067200 + s) * 10**6 for s in secs]:
            fail(check, "pyarrow timestamps differ")
        df = pl.read_parquet(out)
        if df["id"].to_list() != ids or df["v"].to_list() != ints:
            fail(check, "polars int values differ")


def main(argv):
    if len(argv) != 2:
        print("usage: %s path/to/sm-data" % argv[0], file=sys.stderr)
        return 2
    binary = Path(argv[1]).resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        print("error: %s is not an executable file" % binary, file=sys.stderr)
        return 2

    # Golden data, read with the reference tools.
    dense = np.loadtxt(TESTDATA / "csv" / "dense.csv", delimiter=",", ndmin=2)
    dense_y, dense_X = dense[:, 0], dense[:, 1:]
    sp_X, sp_y = load_svmlight_file(
        str(TESTDATA / "libsvm" / "sparse.libsvm"), n_features=NUM_FEATURES, zero_based=True
    )
    sp_X = sp_X.tocsr()
    sp_X.sort_indices()

    with tempfile.TemporaryDirectory(prefix="sm-data-interop-") as tmp:
        tmp = Path(tmp)

        check_parquet(binary, tmp, dense_X, dense_y, sp_X, sp_y)

        # 1. CSV -> RecordIO-protobuf (default: dense float32, label float32)
        check = "csv->pbr"
        out = tmp / "out1_dense.pbr"
        if run_convert(binary, check, TESTDATA / "csv" / "dense.csv", out):
            check_dense_records(check, read_pbr(check, out), dense_X, dense_y, "float32_tensor", np.float32)
            same_bytes(check, out, TESTDATA / "recordio-protobuf" / "dense_f32_label.pbr")

        # 2. LibSVM -> RecordIO-protobuf (default: sparse float32), then --dtype float64
        check = "libsvm->pbr f32"
        out = tmp / "out2_sparse_f32.pbr"
        if run_convert(
            binary, check, TESTDATA / "libsvm" / "sparse.libsvm", out, "--num-features", str(NUM_FEATURES)
        ):
            check_sparse_records(check, read_pbr(check, out), sp_X, sp_y, "float32_tensor", np.float32)
            same_bytes(check, out, TESTDATA / "recordio-protobuf" / "sparse_f32_label.pbr")

        check = "libsvm->pbr f64"
        out = tmp / "out2_sparse_f64.pbr"
        if run_convert(
            binary,
            check,
            TESTDATA / "libsvm" / "sparse.libsvm",
            out,
            "--num-features",
            str(NUM_FEATURES),
            "--dtype",
            "float64",
        ):
            check_sparse_records(check, read_pbr(check, out), sp_X, sp_y, "float64_tensor", np.float64)
            same_bytes(check, out, TESTDATA / "recordio-protobuf" / "sparse_f64_label.pbr")

        # 3. RecordIO-protobuf (sparse f32) -> LibSVM, read by sklearn
        check = "pbr->libsvm"
        out = tmp / "out3_sparse.libsvm"
        if run_convert(binary, check, TESTDATA / "recordio-protobuf" / "sparse_f32_label.pbr", out):
            try:
                X3, y3 = load_svmlight_file(str(out), n_features=NUM_FEATURES, zero_based=True)
            except Exception as e:
                fail(check, "sklearn load_svmlight_file could not read the output: %r\n%s" % (e, out.read_text()))
            else:
                X3 = X3.tocsr()
                X3.sort_indices()
                if X3.shape != sp_X.shape:
                    fail(check, "shape %r, want %r" % (X3.shape, sp_X.shape))
                elif not (
                    np.array_equal(X3.indptr, sp_X.indptr)
                    and np.array_equal(X3.indices, sp_X.indices)
                    and np.array_equal(X3.data, sp_X.data)
                ):
                    fail(
                        check,
                        "matrix differs from sparse.libsvm:\ngot:\n%s\nwant:\n%s\noutput file:\n%s"
                        % (X3.toarray(), sp_X.toarray(), out.read_text()),
                    )
                if not np.array_equal(y3, sp_y):
                    fail(check, "labels %r, want %r" % (y3.tolist(), sp_y.tolist()))

        # 4. RecordIO-protobuf (dense f64) -> CSV, read by numpy
        check = "pbr->csv"
        out = tmp / "out4_dense.csv"
        if run_convert(binary, check, TESTDATA / "recordio-protobuf" / "dense_f64_label.pbr", out):
            try:
                got = np.loadtxt(out, delimiter=",", ndmin=2)
            except Exception as e:
                fail(check, "numpy.loadtxt could not read the output: %r\n%s" % (e, out.read_text()))
            else:
                want = np.column_stack([dense_y, dense_X])
                if got.shape != want.shape or not np.array_equal(got, want):
                    fail(
                        check,
                        "CSV differs from [label, features] of dense.csv:\ngot:\n%s\nwant:\n%s\noutput file:\n%s"
                        % (got, want, out.read_text()),
                    )

    if failures:
        print("\ninterop FAILED: %d mismatch(es)" % len(failures), file=sys.stderr)
        for f in failures:
            print("  - " + f.splitlines()[0], file=sys.stderr)
        return 1
    print("interop OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
