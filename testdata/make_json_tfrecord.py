#!/usr/bin/env python3
"""Writes testdata/json/ and testdata/tfrecord/ (see testdata/README.md).

JSON and JSON Lines are serialized by the SageMaker Python SDK's own
serializers (sagemaker.serializers.JSONSerializer / JSONLinesSerializer,
2.257.7), the bytes an endpoint client sends. TFRecord is framed by the
pure-Python writer below, checked against the spec §3.1 test vectors
(TensorFlow itself is not installed here: it is a 500 MB wheel).

Run from the repository root:
  SAGEMAKER_SUPPRESS_V2_WARNING=1 .venv/bin/python testdata/make_json_tfrecord.py
"""
import hashlib
import json
import os
import struct

from sagemaker.serializers import JSONLinesSerializer, JSONSerializer
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def path(rel):
    p = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(rel, data):
    if isinstance(data, str):
        data = data.encode()
    with open(path(rel), "wb") as f:
        f.write(data)
    print(rel, len(data), hashlib.sha256(data).hexdigest())


def num(v):
    """An int when the float is integral (as the CSV golden file prints it)."""
    return int(v) if float(v).is_integer() else float(v)


# --- the data sets of make_golden.py ------------------------------------------

dense = [[float(x) for x in l.split(",")] for l in open(path("csv/dense.csv")).read().split()]
labels = [num(r[0]) for r in dense]
rows = [[num(x) for x in r[1:]] for r in dense]

sparse = []
for line in open(path("libsvm/sparse.libsvm")).read().splitlines():
    toks = line.split()
    ent = [t.split(":") for t in toks[1:]]
    sparse.append((num(float(toks[0])), [int(k) for k, _ in ent], [num(float(v)) for _, v in ent]))

# --- JSON Lines ----------------------------------------------------------------

jl = JSONLinesSerializer()
write("json/dense.jsonl", jl.serialize([{"features": r, "label": l} for r, l in zip(rows, labels)]) + "\n")
write(
    "json/sparse.jsonl",
    jl.serialize(
        [{"features": {"keys": k, "values": v, "shape": [10]}, "label": l} for l, k, v in sparse]
    )
    + "\n",
)
# The inference shapes, one per line, no label.
write(
    "json/inference.jsonl",
    jl.serialize(
        [{"features": rows[0]}, {"data": {"features": {"values": rows[1]}}}]
        + [{"data": {"features": {"keys": k, "shape": [10], "values": v}}} for _, k, v in sparse[:2]]
    )
    + "\n",
)

# --- JSON documents --------------------------------------------------------------

js = JSONSerializer()
write(
    "json/request.json",
    js.serialize(
        {
            "instances": [{"features": r} for r in rows[:3]]
            + [{"data": {"features": {"values": r}}} for r in rows[3:]],
            "configuration": {"k": 2},
        }
    ),
)
# A numpy matrix, as JSONSerializer sends it: a bare array of arrays.
write("json/ndarray.json", js.serialize(np.array(rows, dtype=np.float32)))
# Responses as the built-in algorithms write them (spec §7): Linear Learner,
# then PCA.
write(
    "json/response.json",
    json.dumps({"predictions": [{"score": s, "predicted_label": int(s >= 0.5)} for s in [0.25, 0.75, 0.5]]}),
)
write("json/projections.json", json.dumps({"projections": [{"projection": r[:2]} for r in rows[:2]]}))

# --- TFRecord --------------------------------------------------------------------

POLY = 0x82F63B78
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(payload):
    n = struct.pack("<Q", len(payload))
    return n + struct.pack("<I", masked(n)) + payload + struct.pack("<I", masked(payload))


assert crc32c(b"123456789") == 0xE3069283
assert tfrecord(b"").hex() == "0000000000000000" "29039807" "d8ea82a2"
assert tfrecord(b"hello").hex() == "0500000000000000" "eab2043e" "68656c6c6f" "bb1f1c19"

write("tfrecord/vectors.tfrecord", tfrecord(b"") + tfrecord(b"hello"))


def recordio_payloads(data):
    out, pos = [], 0
    while pos < len(data):
        magic, lrec = struct.unpack_from("<II", data, pos)
        assert magic == 0xCED7230A and lrec >> 29 == 0
        n = lrec & 0x1FFFFFFF
        out.append(data[pos + 8 : pos + 8 + n])
        pos += 8 + n + (-n % 4)
    return out


for name in ["dense_f32_label", "sparse_f32_label"]:
    pbr = open(path(f"recordio-protobuf/{name}.pbr"), "rb").read()
    write(f"tfrecord/{name}.tfrecord", b"".join(tfrecord(p) for p in recordio_payloads(pbr)))
