#!/usr/bin/env python3
"""Writes the Parquet part of the bad-input corpus, testdata/bad/parquet/.

Needs pyarrow (pinned in testdata/requirements.txt) for the valid files the
broken ones start from; deterministic. Run from anywhere:
    .venv/bin/python testdata/bad/make_bad_parquet.py
README.md lists the error sm-data must report for each file, and
tests/it/bad_corpus.rs checks that it does.
"""
import os
import struct

import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parquet")
os.makedirs(HERE, exist_ok=True)


def table_bytes(table, **kw):
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **kw)
    return sink.getvalue().to_pybytes()


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


GOOD = table_bytes(
    pa.table(
        {
            "label": pa.array([1, 0, 1], pa.int32()),
            "x": pa.array([0.5, 1.5, 2.5], pa.float64()),
        }
    ),
    compression="none",
    use_dictionary=False,
)
n = len(GOOD)
footer_len = struct.unpack("<I", GOOD[-8:-4])[0]

write("bad_magic_start.parquet", b"PAR0" + GOOD[4:])
write("bad_magic_end.parquet", GOOD[:-4] + b"PAR0")
write("truncated.parquet", GOOD[: n // 2])
write("too_short.parquet", b"PAR1PAR1")
write("footer_length_past_start.parquet", GOOD[:-8] + struct.pack("<I", n) + b"PAR1")
# The footer's thrift bytes replaced by garbage of the same length.
write(
    "corrupt_footer.parquet",
    GOOD[: n - 8 - footer_len] + b"\xff" * footer_len + GOOD[-8:],
)
# The first data page header (at byte 4) overwritten: the footer is fine,
# decoding row group 0 fails.
write("corrupt_page_header.parquet", GOOD[:4] + b"\xff" * 8 + GOOD[12:])

write(
    "string_feature.parquet",
    table_bytes(
        pa.table(
            {
                "label": pa.array([1, 0], pa.int32()),
                "city": pa.array(["Paris", "Oslo"]),
            }
        )
    ),
)
write(
    "string_label.parquet",
    table_bytes(
        pa.table(
            {
                "label": pa.array(["yes", "no"]),
                "x": pa.array([1.0, 2.0]),
            }
        )
    ),
)
write(
    "struct_column.parquet",
    table_bytes(
        pa.table(
            {
                "label": pa.array([1, 0], pa.int32()),
                "point": pa.array([{"x": 1, "y": 2}, {"x": 3, "y": 4}]),
            }
        )
    ),
)
write(
    "keys_values_mismatch.parquet",
    table_bytes(
        pa.table(
            {
                "label": pa.array([1.0, 0.0]),
                "keys": pa.array([[0, 1], [2, 3]], pa.list_(pa.uint64())),
                "values": pa.array([[1.0, 2.0], [3.0]], pa.list_(pa.float32())),
            }
        )
    ),
)
write(
    "negative_key.parquet",
    table_bytes(
        pa.table(
            {
                "label": pa.array([1.0, 0.0]),
                "keys": pa.array([[0], [-3]], pa.list_(pa.int64())),
                "values": pa.array([[1.0], [3.0]], pa.list_(pa.float32())),
            }
        )
    ),
)
write(
    "ragged_tensor_to_csv.parquet",
    table_bytes(
        pa.table(
            {
                "label": pa.array([1.0, 0.0, 1.0]),
                "features": pa.array([[1.0, 2.0], [3.0, 4.0], [5.0]], pa.list_(pa.float64())),
            }
        )
    ),
)


def dictionary_count(data, values):
    """Sets the value count of the first dictionary page (uncompressed file,
    PageHeader in thrift compact: type=DICTIONARY_PAGE, the two sizes, then
    dictionary_page_header.num_values) to `values`, a varint of the same
    length as the original."""
    m = pa.py_buffer(data)
    meta = pq.ParquetFile(pa.BufferReader(m)).metadata
    at = meta.row_group(0).column(1).dictionary_page_offset
    assert data[at : at + 2] == b"\x15\x04", "a dictionary page header"
    i = at + 2
    for _ in range(2):  # uncompressed_page_size, compressed_page_size
        assert data[i] == 0x15
        i += 1
        while data[i] & 0x80:
            i += 1
        i += 1
    assert data[i : i + 2] == b"\x4c\x15", "dictionary_page_header.num_values"
    i += 2
    old = data[i]
    assert old < 0x80, "a one-byte varint"
    new = values * 2  # zigzag
    assert new < 0x80
    return data[:i] + bytes([new]) + data[i + 1 :]


# A dictionary page of 3 INT64 values (24 bytes) whose header states 63: the
# parquet crate sizes the dictionary from that count before decoding (the
# `parquet` fuzz target found a 1.3 KB file stating 612 M values, a 4.9 GB
# allocation: fuzz_dictionary_count.parquet); sm-data refuses the count.
write(
    "dictionary_count.parquet",
    dictionary_count(
        table_bytes(
            pa.table(
                {
                    "label": pa.array([1, 0, 1, 1], pa.int64()),
                    "x": pa.array([10, 20, 30, 10], pa.int64()),
                }
            ),
            compression="none",
            use_dictionary=["x"],
        ),
        63,
    ),
)
