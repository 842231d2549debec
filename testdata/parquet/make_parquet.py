#!/usr/bin/env python3
"""Writes the Parquet golden files in testdata/parquet/ with pyarrow (pinned in
testdata/requirements.txt). Deterministic: run it again and the bytes are the
same.  Run from anywhere:  .venv/bin/python testdata/parquet/make_parquet.py

Every file holds the same 5 examples (label, then 4 features) unless said
otherwise; tests/it/parquet.rs asserts the values sm-data reads from each.

  wide_v1_snappy.parquet    label int32; features int8, uint16, float32 (nulls), float64; v1 pages, snappy
  wide_v2_zstd_dict.parquet label float64; int64, uint64, decimal128(9,3), bool (nulls);
                            v2 data pages, zstd, dictionary encoding on
  dictionary.parquet        label int64; a dictionary<int32, float64> column with nulls,
                            a dictionary<int8, int16> column; gzip
  tensor_dense.parquet      label float32; features list<float32> (3 per row); snappy
  tensor_sparse.parquet     label float64; keys list<uint64>, values list<float32>,
                            shape uint64; zstd
  strings.parquet           id string, label int32, x float64, name string (sm-data must
                            name the string column unless excluded)
  row_groups.parquet        20 rows in row groups of 3 (7 row groups); label int32,
                            a = row, b = row / 4; no compression
  typed.parquet             a typed table: int64, float64, bool, string, timestamp[us]
                            (UTC) columns with nulls
"""
import datetime
import decimal
import os

import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, table, **kw):
    pq.write_table(table, os.path.join(HERE, name), **kw)


LABEL = [1, 0, 1, 0, 2]

write(
    "wide_v1_snappy.parquet",
    pa.table(
        {
            "label": pa.array(LABEL, pa.int32()),
            "a": pa.array([-1, 2, -3, 4, 127], pa.int8()),
            "b": pa.array([0, 65535, 7, 8, 9], pa.uint16()),
            "c": pa.array([0.5, None, -2.25, 1e-3, None], pa.float32()),
            "d": pa.array([1.0, 2.5, -0.1, 1e300, 0.0], pa.float64()),
        }
    ),
    compression="snappy",
    data_page_version="1.0",
    use_dictionary=False,
)

write(
    "wide_v2_zstd_dict.parquet",
    pa.table(
        {
            "y": pa.array([0.5, 1.5, 0.5, 1.5, 0.5], pa.float64()),
            "i": pa.array([2**40, -(2**40), 7, 7, 7], pa.int64()),
            "u": pa.array([2**53, 1, 1, 1, 3], pa.uint64()),
            "dec": pa.array(
                [decimal.Decimal(s) for s in ["1.250", "-3.500", "0.001", "100.000", "0"]],
                pa.decimal128(9, 3),
            ),
            "flag": pa.array([True, False, None, True, False], pa.bool_()),
        }
    ),
    compression="zstd",
    data_page_version="2.0",
    use_dictionary=True,
)

write(
    "dictionary.parquet",
    pa.table(
        {
            "label": pa.array(LABEL, pa.int64()),
            "d1": pa.array([1.5, 2.5, None, 1.5, 2.5], pa.float64()).dictionary_encode(),
            "d2": pa.DictionaryArray.from_arrays(
                pa.array([0, 1, 1, 0, 2], pa.int8()), pa.array([10, -20, 30], pa.int16())
            ),
        }
    ),
    compression="gzip",
)

write(
    "tensor_dense.parquet",
    pa.table(
        {
            "label": pa.array(LABEL, pa.float32()),
            "features": pa.array(
                [[1, 2, 3], [0, 0, 0], [-1.5, 2.5, 0], [4, 5, 6], [0.25, 0, 1]],
                pa.list_(pa.float32()),
            ),
        }
    ),
    compression="snappy",
)

write(
    "tensor_sparse.parquet",
    pa.table(
        {
            "label": pa.array(LABEL, pa.float64()),
            "keys": pa.array([[0, 5], [], [9], [1, 2, 3], [7]], pa.list_(pa.uint64())),
            "values": pa.array(
                [[1.5, 2], [], [-1], [1, 2, 3], [0.5]], pa.list_(pa.float32())
            ),
            "shape": pa.array([10] * 5, pa.uint64()),
        }
    ),
    compression="zstd",
)

write(
    "strings.parquet",
    pa.table(
        {
            "id": pa.array(["a", "b", "c", "d", "e"]),
            "label": pa.array(LABEL, pa.int32()),
            "x": pa.array([0.5, 1.5, 2.5, 3.5, 4.5], pa.float64()),
            "name": pa.array(["p", "q", "r", "s", "t"]),
        }
    ),
)

write(
    "row_groups.parquet",
    pa.table(
        {
            "label": pa.array([r % 2 for r in range(20)], pa.int32()),
            "a": pa.array(list(range(20)), pa.int32()),
            "b": pa.array([r / 4 for r in range(20)], pa.float64()),
        }
    ),
    row_group_size=3,
    compression="none",
)

UTC = datetime.timezone.utc
write(
    "typed.parquet",
    pa.table(
        {
            "id": pa.array([1, 2, None, -4], pa.int64()),
            "score": pa.array([0.5, None, 1e-7, -2.0], pa.float64()),
            "ok": pa.array([True, False, None, True], pa.bool_()),
            "name": pa.array(["alpha", 'with "quotes", comma', None, ""], pa.string()),
            "at": pa.array(
                [
                    datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                    None,
                    datetime.datetime(1999, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
                    datetime.datetime(2024, 1, 2, 0, 0, 0, tzinfo=UTC),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    ),
)
