#!/usr/bin/env python3
"""Seeded benchmark inputs for benches/compare/run.sh.

    gen.py csv    SIZE_MB OUT [--seed S]   # label + 100 float columns
    gen.py libsvm SIZE_MB OUT [--seed S]   # label + ~30 of 100k features
    gen.py mixed  SIZE_MB OUT [--seed S]   # 20 typed columns with a header
    gen.py jsonl  SIZE_MB OUT [--seed S]   # the same table as JSON Lines
    gen.py deepar SIZE_MB OUT [--seed S]   # DeepAR series as JSON Lines

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
Mixed:  a 20-column table with a header, as users export before XGBoost or
        Autopilot: id (int64), ts (`2024-MM-DD HH:MM:SS`), f0..f7 (6-decimal
        floats), i0..i4 (ints within ±99 999), b0, b1 (`true`/`false`), c0,
        c1 (one of 8 words), score (a float, empty in ~1 row of 10).
JSONL:  the same table (same seed → same values) as one JSON object per
        line, strings quoted, the missing score as `null`.
DeepAR: one series per line as `json.dumps` writes it (`, ` and `: `):
        `{"start": "2024-MM-DD HH:MM:SS", "target": [...], "cat": [c0, c1],
        "dynamic_feat": [[...]]}` with 200 target values in [0, 10) with 6
        decimals, one dynamic feature of 200 such values, c0 < 8, c1 < 4.
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


def const(rows, text):
    """A fixed text in every row: (cells, keep)."""
    b = np.frombuffer(text.encode(), dtype=np.uint8)
    return np.broadcast_to(b, (rows, len(b))).copy(), np.ones((rows, len(b)), dtype=bool)


def int_cells(v, width):
    """Signed ints |v| < 10^width, no leading zeros: (cells, keep)."""
    cells = np.empty((len(v), width + 1), dtype=np.uint8)
    cells[:, 0] = ord("-")
    cells[:, 1:] = digits(np.abs(v), width)
    keep = np.ones(cells.shape, dtype=bool)
    keep[:, 0] = v < 0
    a = np.abs(v)
    for j in range(width - 1):  # digit j (from the left) is kept if a >= 10^(width-1-j)
        keep[:, 1 + j] = a >= 10 ** (width - 1 - j)
    return cells, keep


def float6_cells(m):
    """Signed `d.dddddd` from micro-units |m| < 10^7: (cells, keep)."""
    cells = np.empty((len(m), 9), dtype=np.uint8)
    cells[:, 0] = ord("-")
    cells[:, 1:] = fixed6(np.abs(m))
    keep = np.ones(cells.shape, dtype=bool)
    keep[:, 0] = m < 0
    return cells, keep


def choice_cells(idx, words):
    """Words chosen by idx, variable length: (cells, keep)."""
    w = max(len(x) for x in words)
    table = np.zeros((len(words), w), dtype=np.uint8)
    lens = np.array([len(x) for x in words])
    for i, x in enumerate(words):
        table[i, : len(x)] = np.frombuffer(x.encode(), dtype=np.uint8)
    cells = table[idx]
    keep = np.arange(w)[None, :] < lens[idx][:, None]
    return cells, keep


def timestamp_cells(rng, rows):
    """`2024-MM-DD HH:MM:SS`: (cells, keep)."""
    parts = [(rng.integers(1, 13, rows), "-"), (rng.integers(1, 29, rows), " "),
             (rng.integers(0, 24, rows), ":"), (rng.integers(0, 60, rows), ":"),
             (rng.integers(0, 60, rows), "")]
    cells = [const(rows, "2024-")[0]]
    for v, sep in parts:
        cells.append(digits(v, 2))
        if sep:
            cells.append(const(rows, sep)[0])
    c = np.concatenate(cells, axis=1)
    return c, np.ones(c.shape, dtype=bool)


MIXED_COLUMNS = (["id", "ts"] + [f"f{i}" for i in range(8)] + [f"i{i}" for i in range(5)]
                 + ["b0", "b1", "c0", "c1", "score"])
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]


def mixed_cells(rng, rows, first_id):
    """The 20 columns of the mixed table, each (cells, keep, kind)."""
    cols = [int_cells(np.arange(first_id, first_id + rows), 10) + ("num",),
            timestamp_cells(rng, rows) + ("str",)]
    for _ in range(8):
        cols.append(float6_cells(rng.integers(-9_999_999, 10_000_000, rows)) + ("num",))
    for _ in range(5):
        cols.append(int_cells(rng.integers(-99_999, 100_000, rows), 5) + ("num",))
    for _ in range(2):
        cols.append(choice_cells(rng.integers(0, 2, rows), ["false", "true"]) + ("bool",))
    for _ in range(2):
        cols.append(choice_cells(rng.integers(0, len(WORDS), rows), WORDS) + ("str",))
    # A nullable float: about 1 in 10 missing.
    c, k = float6_cells(rng.integers(-9_999_999, 10_000_000, rows))
    missing = rng.random(rows) < 0.1
    cols.append((c, k & ~missing[:, None], "num", missing))
    return cols


def mixed_block(rng, rows, first_id, as_json):
    pieces = []
    for i, (name, col) in enumerate(zip(MIXED_COLUMNS, mixed_cells(rng, rows, first_id))):
        c, k, kind = col[:3]
        missing = col[3] if len(col) > 3 else None
        if as_json:
            pieces.append(const(rows, ("{" if i == 0 else ",") + f'"{name}":'))
            if missing is not None:
                null_c, null_k = const(rows, "null")
                null_k = null_k & missing[:, None]
                pieces.append((null_c, null_k))
            if kind == "str":
                pieces.append(const(rows, '"'))
                pieces.append((c, k))
                pieces.append(const(rows, '"'))
            else:
                pieces.append((c, k))
        else:
            if i:
                pieces.append(const(rows, ","))
            pieces.append((c, k))
    pieces.append(const(rows, "}\n" if as_json else "\n"))
    body = np.concatenate([p[0] for p in pieces], axis=1)
    keep = np.concatenate([p[1] for p in pieces], axis=1)
    return body, keep


SERIES = 200


def number_list(m):
    """`d.dddddd, d.dddddd, ...` from micro-units 0 <= m < 10^7, shape (rows, n): (cells, keep)."""
    rows, n = m.shape
    cell = np.empty((rows, n, 10), dtype=np.uint8)
    cell[..., :8] = fixed6(m)
    cell[..., 8] = ord(",")
    cell[..., 9] = ord(" ")
    keep = np.ones(cell.shape, dtype=bool)
    keep[:, -1, 8:] = False
    return cell.reshape(rows, -1), keep.reshape(rows, -1)


def deepar_block(rng, rows):
    pieces = [const(rows, '{"start": "'), timestamp_cells(rng, rows), const(rows, '", "target": [')]
    pieces.append(number_list(rng.integers(0, 10_000_000, size=(rows, SERIES))))
    pieces.append(const(rows, '], "cat": ['))
    pieces.append((ZERO + rng.integers(0, 8, size=(rows, 1)).astype(np.uint8), np.ones((rows, 1), dtype=bool)))
    pieces.append(const(rows, ", "))
    pieces.append((ZERO + rng.integers(0, 4, size=(rows, 1)).astype(np.uint8), np.ones((rows, 1), dtype=bool)))
    pieces.append(const(rows, '], "dynamic_feat": [['))
    pieces.append(number_list(rng.integers(0, 10_000_000, size=(rows, SERIES))))
    pieces.append(const(rows, "]]}\n"))
    body = np.concatenate([p[0] for p in pieces], axis=1)
    keep = np.concatenate([p[1] for p in pieces], axis=1)
    return body, keep


KINDS = {"csv": (1, csv_block), "libsvm": (2, libsvm_block), "mixed": (3, None), "jsonl": (3, None),
         "deepar": (4, deepar_block)}


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
        if a.kind == "mixed":
            f.write((",".join(MIXED_COLUMNS) + "\n").encode())
        while written < target:
            rng = np.random.default_rng([a.seed, kind_id, b])
            if block is None:  # the mixed table, as CSV or as JSON Lines
                body, keep = mixed_block(rng, BLOCK_ROWS, b * BLOCK_ROWS, a.kind == "jsonl")
            else:
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
