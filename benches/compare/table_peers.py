#!/usr/bin/env python3
"""The dataframe-library side of benches/compare/run.sh: text to Parquet the
way a user of each library does it, and LibSVM loading with xgboost, each as
one whole process.

    table_peers.py TOOL csv2parquet    IN.csv   OUT.parquet [--no-header]
    table_peers.py TOOL jsonl2parquet  IN.jsonl OUT.parquet
    table_peers.py xgboost svmparse    IN.libsvm            # prints the row count

TOOL is polars, pyarrow or duckdb. Every writer uses snappy compression (the
Parquet default of pyarrow and duckdb, and sm-data's; polars defaults to zstd
and is told otherwise) and infers column types from the data, including the
timestamp column of the mixed table. polars runs its streaming engine
(`scan_* → sink_parquet`), pyarrow its multi-threaded readers, duckdb
`COPY (SELECT * FROM read_*) TO ... (FORMAT parquet)`.
"""

import sys


def polars_csv(src, dst, header):
    import polars as pl

    pl.scan_csv(src, has_header=header, try_parse_dates=True).sink_parquet(dst, compression="snappy")


def polars_jsonl(src, dst):
    import polars as pl

    pl.scan_ndjson(src).with_columns(pl.col("ts").str.to_datetime()).sink_parquet(dst, compression="snappy")


def pyarrow_csv(src, dst, header):
    import pyarrow.csv as pv
    import pyarrow.parquet as pq

    read = pv.ReadOptions(autogenerate_column_names=not header)
    pq.write_table(pv.read_csv(src, read_options=read), dst, compression="snappy")


def pyarrow_jsonl(src, dst):
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    pq.write_table(pj.read_json(src), dst, compression="snappy")


def duckdb_copy(source, dst):
    import duckdb

    duckdb.sql(f"COPY (SELECT * FROM {source}) TO '{dst}' (FORMAT parquet, COMPRESSION snappy)")


def duckdb_csv(src, dst, header):
    duckdb_copy(f"read_csv('{src}', header={'true' if header else 'false'})", dst)


def duckdb_jsonl(src, dst):
    duckdb_copy(f"read_json('{src}', format='newline_delimited')", dst)


def xgboost_svmparse(src):
    import xgboost as xgb

    print(xgb.DMatrix(f"{src}?format=libsvm", silent=True).num_row())


CSV = {"polars": polars_csv, "pyarrow": pyarrow_csv, "duckdb": duckdb_csv}
JSONL = {"polars": polars_jsonl, "pyarrow": pyarrow_jsonl, "duckdb": duckdb_jsonl}


def main():
    a = sys.argv[1:]
    header = "--no-header" not in a
    a = [x for x in a if x != "--no-header"]
    if len(a) == 4 and a[1] == "csv2parquet" and a[0] in CSV:
        CSV[a[0]](a[2], a[3], header)
    elif len(a) == 4 and a[1] == "jsonl2parquet" and a[0] in JSONL:
        JSONL[a[0]](a[2], a[3])
    elif len(a) == 3 and a[:2] == ["xgboost", "svmparse"]:
        xgboost_svmparse(a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
