#!/usr/bin/env bash
# Typed tables only: `sm-data convert IN OUT.parquet --typed` against duckdb, polars and
# pyarrow (as table_peers.py runs them) on the mixed 20-column table, CSV with header and
# JSON Lines, in interleaved runs (the order rotating each round). Before every run, for
# every tool alike: the previous output is synced, the machine rests --cooldown seconds
# (default 5) and the input's page cache is warmed (`cat IN > /dev/null`). On the 2-vCPU VM
# of the README's measurements a run that starts right after several seconds of both cores
# busy is 15-20% slower than after a pause (user time too: 2.85 s after duckdb vs 2.33 s
# after 5 s, the same sm-data run), which weighs most on the shortest runs. Prints median
# wall time and peak RSS per tool, and each tool's ratio to sm-data. The quick, focused
# form of run.sh's typed rows (which rerun everything else too).
#
#   benches/compare/typed.sh [--size-mb N] [--runs R] [--sm PATH] [--cooldown S]
#                            [--peers "duckdb polars pyarrow"]
#
# Needs GNU time, the release binary (cargo build --release) and the inputs that run.sh
# generates (bench-data/mixed-${N}mb.csv and .jsonl; made here with gen.py when missing).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."
SIZE_MB=1000 RUNS=3 COOLDOWN=5 SM="${CARGO_TARGET_DIR:-target}/release/sm-data" PEERS="duckdb polars pyarrow"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --size-mb) SIZE_MB="${2:?}"; shift 2 ;;
        --runs) RUNS="${2:?}"; shift 2 ;;
        --sm) SM="${2:?}"; shift 2 ;;
        --peers) PEERS="${2:?}"; shift 2 ;;
        --cooldown) COOLDOWN="${2:?}"; shift 2 ;;
        -h|--help) sed -n 2,17p "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ -x $SM ]] || { echo "no binary at $SM (cargo build --release)" >&2; exit 2; }
PY=.venv/bin/python
[[ -x $PY ]] || python3 -m venv .venv
"$PY" -c 'import pyarrow, polars, duckdb' 2>/dev/null ||
    "$PY" -m pip install --quiet -r benches/compare/requirements.txt
mkdir -p bench-data
for kind in mixed jsonl; do
    ext=$([[ $kind == mixed ]] && echo csv || echo jsonl)
    f=bench-data/mixed-${SIZE_MB}mb.$ext
    [[ -f $f ]] || "$PY" "$HERE/gen.py" "$kind" "$SIZE_MB" "$f" --seed 20240611
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/sm-typed.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
T=$OUT/times.tsv
# The order of the tools rotates from round to round, so that no tool always
# runs right after the same one (on this VM a run that follows one that freed
# gigabytes is measurably slower: the freed memory is handed back to the host).
read -r -a TOOLS <<<"sm-data $PEERS"
for r in $(seq 0 $((RUNS - 1))); do
    for ext in csv jsonl; do
        in=bench-data/mixed-${SIZE_MB}mb.$ext
        for k in $(seq 0 $((${#TOOLS[@]} - 1))); do
            p=${TOOLS[$(((r + k) % ${#TOOLS[@]}))]}
            rm -rf "$OUT/o.parquet"; sync; sleep "$COOLDOWN"; cat "$in" >/dev/null
            if [[ $p == sm-data ]]; then
                /usr/bin/time -f "sm-data	$ext	%e	%M" -a -o "$T" "$SM" convert "$in" "$OUT/o.parquet" --typed -q
            else
                /usr/bin/time -f "$p	$ext	%e	%M" -a -o "$T" \
                    "$PY" "$HERE/table_peers.py" "$p" "${ext}2parquet" "$in" "$OUT/o.parquet"
            fi
        done
    done
done
"$PY" - "$T" "$SIZE_MB" "$RUNS" <<'P'
import collections, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    tool, ext, secs, rss = line.rstrip("\n").split("\t")
    d[(ext, tool)].append((float(secs), int(rss)))
print(f"{sys.argv[2]} MB inputs, {sys.argv[3]} interleaved runs, median wall seconds")
for ext in ("csv", "jsonl"):
    sm = statistics.median(s for s, _ in d[(ext, "sm-data")])
    for (e, tool), v in d.items():
        if e != ext:
            continue
        med = statistics.median(s for s, _ in v)
        print(f"{ext:5} {tool:8} {med:7.2f} s  {med / sm:5.2f}x sm-data's time  "
              f"peak RSS {max(r for _, r in v) // 1024} MiB  runs {[s for s, _ in v]}")
P
