#!/usr/bin/env python3
"""Seeded benchmark inputs for benches/compare/run.sh.

    gen.py csv    SIZE_MB OUT [--seed S]   # label + 100 float columns
    gen.py libsvm SIZE_MB OUT [--seed S]   # label + ~30 of 100k features

SIZE_MB is in units of 10^6 bytes; the file ends at the first whole row at
or past that size. Rows come in blocks of BLOCK_ROWS, each from its own
generator seeded with (seed, kind, block number), so a smaller file is a
prefix of a larger one made with the same seed. Formatting is vectorised
with numpy (no per-value Python), so 1 GB takes seconds, not minutes.

CSV:    `1,-3.141593,0.123456,...` – label 0 or 1, then 100 values in
        (-10, 10) with exactly 6 decimals (sign only when negative).
LibSVM: `0 17:0.500000 2211:9.123456 ...` – label 0 or 1, then on average
        30 (binomial(40, 0.75)) strictly increasing 0-based indices below
        100 000, values in (0, 10) with 6 decimals (never 0).
"""

import argparse
import sys

import numpy as np

BLOCK_ROWS = 4096
COLS = 100
FEATURES = 100_000
SLOTS = 40
KEEP = 0.75

ZERO = ord("0")


def digits(a, n):
    """The n decimal digits of the non-negative ints a, as uint8 ASCII, shape a.shape + (n,)."""
    out = np.empty(a.shape + (n,), dtype=np.uint8)
    a = a.copy()
    for j in range(n - 1, -1, -1):
        out[..., j] = ZERO + (a % 10)
        a //= 10
    return out


def fixed6(m):
    """`d.dddddd` for 0 <= m < 10^7 micro-units: shape m.shape + (8,)."""
    d = digits(m, 7)
    out = np.empty(m.shape + (8,), dtype=np.uint8)
    out[..., 0] = d[..., 0]
    out[..., 1] = ord(".")
    out[..., 2:] = d[..., 1:]
    return out


def csv_block(rng, rows):
    labels = rng.integers(0, 2, size=rows)
    m = rng.integers(-9_999_999, 10_000_000, size=(rows, COLS))
    cell = np.empty((rows, COLS, 10), dtype=np.uint8)
    cell[..., 0] = ord("-")
    cell[..., 1:9] = fixed6(np.abs(m))
    cell[..., 9] = ord(",")
    cell[:, -1, 9] = ord("\n")
    keep = np.ones(cell.shape, dtype=bool)
    keep[..., 0] = m < 0
    head = np.empty((rows, 2), dtype=np.uint8)
    head[:, 0] = ZERO + labels
    head[:, 1] = ord(",")
    body = np.concatenate([head, cell.reshape(rows, -1)], axis=1)
    keep = np.concatenate([np.ones((rows, 2), dtype=bool), keep.reshape(rows, -1)], axis=1)
    return body, keep


def libsvm_block(rng, rows):
    labels = rng.integers(0, 2, size=rows)
    idx = np.sort(rng.integers(0, FEATURES - SLOTS + 1, size=(rows, SLOTS)), axis=1)
    idx += np.arange(SLOTS)  # strictly increasing, < FEATURES
    present = rng.random((rows, SLOTS)) < KEEP
    m = rng.integers(1, 10_000_000, size=(rows, SLOTS))
    cell = np.empty((rows, SLOTS, 15), dtype=np.uint8)
    cell[..., 0] = ord(" ")
    cell[..., 1:6] = digits(idx, 5)
    cell[..., 6] = ord(":")
    cell[..., 7:15] = fixed6(m)
    ndig = 1 + (idx >= 10) + (idx >= 100) + (idx >= 1000) + (idx >= 10000)
    keep = np.ones(cell.shape, dtype=bool)
    for j in range(5):  # drop leading zeros of the index
        keep[..., 1 + j] = j >= 5 - ndig
    keep &= present[..., None]
    head = np.empty((rows, 1), dtype=np.uint8)
    head[:, 0] = ZERO + labels
    tail = np.full((rows, 1), ord("\n"), dtype=np.uint8)
    body = np.concatenate([head, cell.reshape(rows, -1), tail], axis=1)
    keep = np.concatenate(
        [np.ones((rows, 1), dtype=bool), keep.reshape(rows, -1), np.ones((rows, 1), dtype=bool)],
        axis=1,
    )
    return body, keep


KINDS = {"csv": (1, csv_block), "libsvm": (2, libsvm_block)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=sorted(KINDS))
    p.add_argument("size_mb", type=float)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=20240611)
    a = p.parse_args()
    kind_id, block = KINDS[a.kind]
    target = int(a.size_mb * 1_000_000)
    written = rows_total = 0
    b = 0
    with open(a.out, "wb") as f:
        while written < target:
            rng = np.random.default_rng([a.seed, kind_id, b])
            body, keep = block(rng, BLOCK_ROWS)
            row_len = keep.sum(axis=1)
            ends = np.cumsum(row_len)
            rows = int(np.searchsorted(ends, target - written)) + 1
            rows = min(rows, BLOCK_ROWS)
            data = body[:rows][keep[:rows]].tobytes()
            f.write(data)
            written += len(data)
            rows_total += rows
            b += 1
    print(f"{a.out}: {written} bytes, {rows_total} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
