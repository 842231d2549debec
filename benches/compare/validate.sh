#!/usr/bin/env bash
# Issue 8's yardstick: `sm-data validate` (every record checked) against `sm-data count`
# (records framed, nothing checked) on the benchmark files of run.sh, two threads each:
# dense CSV and sparse LibSVM with `-a xgboost`, RecordIO-protobuf with `-a linear-learner`,
# typed JSON Lines and dense `{"features": [...], "label": ...}` JSON Lines (converted from
# the CSV) with `-a generic`, DeepAR series (JSON Lines, `json.dumps` style) with
# `-a deepar`. Runs alternate (count, validate, count, ...); before
# each, the input is either warmed into the page cache (`cat IN > /dev/null`, the default:
# the checks are then CPU-bound) or, with --cold, dropped from it (`sync; echo 3 >
# /proc/sys/vm/drop_caches`, which needs root: both commands then read from the disk, as
# when a dataset is validated once), then the machine rests a second. Prints the median
# wall time of each and count/validate (1.00 = validate at the speed of count).
#
#   benches/compare/validate.sh [--size-mb N] [--runs R] [--sm PATH] [--cold]
#                               [--only "csv libsvm pbr jsonl features deepar"]
#
# Needs the release binary (cargo build --release); generates the inputs with gen.py
# (and the .pbr and the features JSON Lines with sm-data) when missing, as run.sh does.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."
SIZE_MB=1000 RUNS=5 COLD=0 ONLY="csv libsvm pbr jsonl features deepar" SEED=20240611
SM="${CARGO_TARGET_DIR:-target}/release/sm-data"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --size-mb) SIZE_MB="${2:?}"; shift 2 ;;
        --runs) RUNS="${2:?}"; shift 2 ;;
        --sm) SM="${2:?}"; shift 2 ;;
        --cold) COLD=1; shift ;;
        --only) ONLY="${2:?}"; shift 2 ;;
        -h|--help) sed -n 2,18p "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ -x $SM ]] || { echo "no binary at $SM (cargo build --release)" >&2; exit 2; }
if [[ $COLD == 1 && ! -w /proc/sys/vm/drop_caches ]]; then
    echo "--cold needs root (writes /proc/sys/vm/drop_caches)" >&2
    exit 2
fi
PY=.venv/bin/python
[[ -x $PY ]] || python3 -m venv .venv
"$PY" -c 'import numpy' 2>/dev/null || "$PY" -m pip install --quiet -r benches/compare/requirements.txt
D=bench-data
mkdir -p "$D"
need() { # kind path
    [[ -f $2 ]] || "$PY" benches/compare/gen.py "$1" "$SIZE_MB" "$2" --seed "$SEED"
}

prepare() { # path
    if [[ $COLD == 1 ]]; then
        sync
        echo 3 >/proc/sys/vm/drop_caches
    else
        cat "$1" >/dev/null
    fi
    sleep 1
}

wall() { # command...: seconds
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    echo "$e - $s" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-7s %10s %10s %8s   (%s, %s runs, median wall s, -j 2)\n' input count validate ratio \
    "$([[ $COLD == 1 ]] && echo "page cache dropped" || echo "page cache warm")" "$RUNS"
for kind in $ONLY; do
    case $kind in
        csv) in=$D/dense-${SIZE_MB}mb.csv; need csv "$in"; args=(-a xgboost --content-type text/csv) ;;
        libsvm) in=$D/sparse-${SIZE_MB}mb.libsvm; need libsvm "$in"; args=(-a xgboost --content-type text/libsvm) ;;
        pbr)
            in=$D/dense-${SIZE_MB}mb.pbr
            if [[ ! -f $in ]]; then
                need csv "$D/dense-${SIZE_MB}mb.csv"
                "$SM" convert "$D/dense-${SIZE_MB}mb.csv" "$in" -q -f
            fi
            args=(-a linear-learner) ;;
        jsonl) in=$D/mixed-${SIZE_MB}mb.jsonl; need jsonl "$in"; args=(-a generic) ;;
        features)
            in=$D/dense-${SIZE_MB}mb.jsonl
            if [[ ! -f $in ]]; then
                need csv "$D/dense-${SIZE_MB}mb.csv"
                "$SM" convert "$D/dense-${SIZE_MB}mb.csv" "$in" -q -f
            fi
            args=(-a generic) ;;
        deepar) in=$D/deepar-${SIZE_MB}mb.jsonl; need deepar "$in"; args=(-a deepar) ;;
        *) echo "unknown input $kind" >&2; exit 2 ;;
    esac
    # A clean file, or the timing would include findings.
    "$SM" validate "$in" "${args[@]}" -j 2 >/dev/null || { echo "$in does not validate clean" >&2; exit 1; }
    c=() v=()
    for _ in $(seq "$RUNS"); do
        prepare "$in"
        c+=("$(wall "$SM" count "$in" -j 2)")
        prepare "$in"
        v+=("$(wall "$SM" validate "$in" "${args[@]}" -j 2)")
    done
    cm=$(printf '%s\n' "${c[@]}" | median)
    vm=$(printf '%s\n' "${v[@]}" | median)
    printf '%-7s %10.3f %10.3f %8.2f\n' "$kind" "$cm" "$vm" "$(echo "scale=4; $cm / $vm" | bc)"
done
