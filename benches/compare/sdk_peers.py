#!/usr/bin/env python3
"""The reference-tool side of benches/compare/run.sh: each task done the way
a SageMaker Python SDK user would do it, as one whole process.

    sdk_peers.py csv2pbr  IN.csv    OUT.pbr  # np.loadtxt(float32) -> write_numpy_to_dense_tensor
    sdk_peers.py svm2pbr  IN.libsvm OUT.pbr  # load_svmlight_file(float32) -> write_spmatrix_to_sparse_tensor
    sdk_peers.py pbr2csv  IN.pbr    OUT.csv  # read_records -> numpy -> np.savetxt('%.9g')
    sdk_peers.py svmparse IN.libsvm          # load_svmlight_file, prints the row count

Conventions match sm-data's defaults so that outputs are comparable: CSV
label in column 0, float32 features and labels, LibSVM indices 0-based.
The SDK has no CSV writer; `%.9g` is the shortest printf format that
round-trips every float32.
"""

import os
import sys

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import logging  # noqa: E402

logging.disable(logging.INFO)  # the "Not applying SDK defaults" lines

import numpy as np  # noqa: E402


def csv2pbr(src, dst):
    from sagemaker.amazon.common import write_numpy_to_dense_tensor

    data = np.loadtxt(src, delimiter=",", dtype=np.float32, ndmin=2)
    labels = np.ascontiguousarray(data[:, 0])
    features = np.ascontiguousarray(data[:, 1:])
    del data
    with open(dst, "wb") as f:
        write_numpy_to_dense_tensor(f, features, labels)


def svm2pbr(src, dst):
    from sagemaker.amazon.common import write_spmatrix_to_sparse_tensor
    from sklearn.datasets import load_svmlight_file

    X, y = load_svmlight_file(src, dtype=np.float32, zero_based=True)
    with open(dst, "wb") as f:
        write_spmatrix_to_sparse_tensor(f, X, y.astype(np.float32))


def pbr2csv(src, dst):
    from sagemaker.amazon.common import read_records

    with open(src, "rb") as f:
        records = read_records(f)
    labels = np.array([r.label["values"].float32_tensor.values[0] for r in records], dtype=np.float32)
    features = np.array([r.features["values"].float32_tensor.values for r in records], dtype=np.float32)
    del records
    with open(dst, "wb") as f:
        np.savetxt(f, np.column_stack([labels, features]), fmt="%.9g", delimiter=",")


def svmparse(src):
    from sklearn.datasets import load_svmlight_file

    X, _ = load_svmlight_file(src, dtype=np.float32, zero_based=True)
    print(X.shape[0])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    task, args = sys.argv[1], sys.argv[2:]
    tasks = {"csv2pbr": (csv2pbr, 2), "svm2pbr": (svm2pbr, 2), "pbr2csv": (pbr2csv, 2), "svmparse": (svmparse, 1)}
    if task not in tasks or len(args) != tasks[task][1]:
        sys.exit(__doc__)
    tasks[task][0](*args)


if __name__ == "__main__":
    main()
