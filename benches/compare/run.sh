#!/usr/bin/env bash
# Whole-program comparison of sm-data with the SageMaker Python SDK peers
# and with the I/O limits of the machine (cat, wc -l, cp).
#
#   benches/compare/run.sh [--size-mb N] [--peer-size-mb M] [--runs R] [--seed S] [--timeout SECS] [--smoke]
#
# Run from anywhere; it works in the repository root. See
# benches/compare/README.md for what is measured and how to read the table.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: benches/compare/run.sh [--size-mb N] [--peer-size-mb M] [--runs R] [--seed S] [--timeout SECS] [--smoke]

  --size-mb N       size of the sm-data inputs in MB (10^6 bytes; default 1000)
  --peer-size-mb M  size of the inputs the SDK peers get (default 100; they are slow)
                    sm-data and the limits also run at this size, so MB/s compares
                    like with like
  --runs R          timed runs per measurement; the median is reported (default 3)
  --seed S          data generator seed (default 20240611)
  --timeout SECS    kill a command after SECS seconds and count it as a hang
                    (default: 30 s + 0.2 s/MB for sm-data and the limits,
                    60 s + 1 s/MB for the Python peers)
  --smoke           1 MB inputs, 1 run, and exit non-zero on any failure or wrong
                    output: a quick end-to-end check (< 2 min after the build)

Writes bench-data/results.md (bench-data/ is gitignored).
EOF
}

ORIG_ARGS=("$@")
SIZE_MB=1000
PEER_MB=100
RUNS=3
SEED=20240611
SMOKE=0
TIMEOUT=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --size-mb) SIZE_MB="${2:?--size-mb needs a value}"; shift 2 ;;
        --peer-size-mb) PEER_MB="${2:?--peer-size-mb needs a value}"; shift 2 ;;
        --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
        --seed) SEED="${2:?--seed needs a value}"; shift 2 ;;
        --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
        --smoke) SMOKE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
if [[ $SMOKE == 1 ]]; then
    SIZE_MB=1
    PEER_MB=1
    RUNS=1
fi
for v in "$SIZE_MB" "$PEER_MB" "$RUNS" "$SEED"; do
    [[ $v =~ ^[0-9]+$ && $v -gt 0 ]] || { echo "run.sh: sizes, runs and seed must be positive integers, got '$v'" >&2; exit 2; }
done
[[ -z $TIMEOUT || $TIMEOUT =~ ^[0-9]+$ ]] || { echo "run.sh: --timeout takes whole seconds" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE=benches/compare
DATA=bench-data
OUT=$DATA/out
mkdir -p "$DATA" "$OUT"
COMMAND="benches/compare/run.sh${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}"
START=$EPOCHREALTIME

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }
log() { printf '[run.sh %7.1fs] %s\n' "$(elapsed "$EPOCHREALTIME" "$START")" "$*" >&2; }
die() { echo "run.sh: FAILED: $*" >&2; exit 1; }

# --- build ------------------------------------------------------------------
# --smoke checks that the script and every tool still work and agree, and
# measures nothing worth reading: it uses the debug build (which CI has
# already made for the tests) instead of waiting on a release build.
if [[ $SMOKE == 1 ]]; then
    log "cargo build (debug, --smoke)"
    cargo build --quiet
    cargo build --quiet --example s3-server
    SM="${CARGO_TARGET_DIR:-target}/debug/sm-data"
    S3SERVER="${CARGO_TARGET_DIR:-target}/debug/examples/s3-server"
else
    log "cargo build --release"
    cargo build --release --quiet
    cargo build --release --quiet --example s3-server
    SM="${CARGO_TARGET_DIR:-target}/release/sm-data"
    S3SERVER="${CARGO_TARGET_DIR:-target}/release/examples/s3-server"
fi
[[ -x $SM ]] || die "no binary at $SM"

# --- python venv with the reference tools ---------------------------------
PY=.venv/bin/python
if [[ ! -x $PY ]]; then
    log "creating .venv"
    python3 -m venv .venv
fi
if ! SAGEMAKER_SUPPRESS_V2_WARNING=1 "$PY" -c 'import numpy, scipy, sklearn, sagemaker.amazon.common, pyarrow, polars, duckdb, xgboost' >/dev/null 2>&1; then
    log "pip install -r benches/compare/requirements.txt"
    "$PY" -m pip install --quiet -r benches/compare/requirements.txt
fi
export SAGEMAKER_SUPPRESS_V2_WARNING=1

# --- timer: /usr/bin/time for peak RSS, else getrusage in python ----------
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%M' -o /dev/null true 2>/dev/null; then
    TIMER=gnu-time
else
    TIMER=python
    log "/usr/bin/time (GNU time) not found: falling back to python resource.getrusage(RUSAGE_CHILDREN)"
    log "  (install it with: apt-get install time   /   dnf install time)"
fi

# timed CMD OUTFILE TIMEOUT: runs `bash -c CMD` (stdout to OUTFILE) and prints
# "seconds peak_rss_kib", or "TIMEOUT" if it ran longer than TIMEOUT seconds
# (a hang). Dies if the command fails. Wall time comes from $EPOCHREALTIME
# (microseconds) around the process.
HAVE_TIMEOUT=0
command -v timeout >/dev/null && HAVE_TIMEOUT=1
timed() {
    local cmd=$1 out=$2 limit=$3 tf t0 t1 rss rc=0
    tf=$(mktemp)
    if [[ $TIMER == gnu-time ]]; then
        local guard=()
        [[ $HAVE_TIMEOUT == 1 ]] && guard=(timeout -k 5 "$limit")
        t0=$EPOCHREALTIME
        /usr/bin/time -f '%M' -o "$tf" "${guard[@]}" bash -c "$cmd" >"$out" 2>"$tf.err" || rc=$?
        t1=$EPOCHREALTIME
        if [[ $rc == 124 || $rc == 137 ]] && [[ $HAVE_TIMEOUT == 1 ]]; then
            rm -f "$tf" "$tf.err"
            echo TIMEOUT
            return
        fi
        if [[ $rc != 0 ]]; then
            cat "$tf.err" >&2
            rm -f "$tf" "$tf.err"
            die "command failed (exit $rc): $cmd"
        fi
        rss=$(tail -n 1 "$tf")
        rm -f "$tf" "$tf.err"
        echo "$(elapsed "$t1" "$t0") $rss"
    else
        if ! "$PY" - "$cmd" "$out" "$limit" >"$tf" <<'PYEOF'
import resource, subprocess, sys, time
cmd, out, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(out, "wb") as f:
    t0 = time.perf_counter()
    try:
        rc = subprocess.run(["bash", "-c", cmd], stdout=f, timeout=limit).returncode
    except subprocess.TimeoutExpired:
        print("TIMEOUT")
        sys.exit(0)
    t1 = time.perf_counter()
if rc != 0:
    sys.exit(rc)
print(f"{t1 - t0:.6f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
PYEOF
        then
            rm -f "$tf"
            die "command failed: $cmd"
        fi
        cat "$tf"
        rm -f "$tf"
    fi
}

# --- data -----------------------------------------------------------------
SIZES=("$PEER_MB")
[[ $SIZE_MB != "$PEER_MB" ]] && SIZES+=("$SIZE_MB")

GEN_SUM=$(sha256sum "$HERE/gen.py" | cut -c1-16)
gen() { # kind size path
    local stamp="$3.stamp" want="gen.py $GEN_SUM seed $SEED size $2"
    if [[ -f $3 && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        return
    fi
    log "generating $3"
    rm -f "$stamp"
    "$PY" "$HERE/gen.py" "$1" "$2" "$3" --seed "$SEED"
    echo "$want" >"$stamp"
}
for s in "${SIZES[@]}"; do
    gen csv "$s" "$DATA/dense-${s}mb.csv"
    gen libsvm "$s" "$DATA/sparse-${s}mb.libsvm"
    gen mixed "$s" "$DATA/mixed-${s}mb.csv"
    gen jsonl "$s" "$DATA/mixed-${s}mb.jsonl"
    # RecordIO-protobuf input: the CSV converted by this build of sm-data
    # (checked against the SDK below).
    log "making $DATA/dense-${s}mb.pbr with sm-data"
    "$SM" convert "$DATA/dense-${s}mb.csv" "$DATA/dense-${s}mb.pbr" -q -f
done

# --- a local S3-compatible server (s3s-fs; examples/s3-server.rs) ---------
# Objects are files under $DATA/s3/<bucket>/, so an old run's objects are
# removed like any other output. The figure measures sm-data's S3 path
# (multipart upload, concurrent parts) against this server on 127.0.0.1.
S3ROOT=$DATA/s3
rm -rf "$S3ROOT"
mkdir -p "$S3ROOT"
"$S3SERVER" --root "$S3ROOT" --bucket bench >"$DATA/s3-server.log" 2>&1 &
S3PID=$!
trap 'kill $S3PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q '^listening on ' "$DATA/s3-server.log" && break
    kill -0 $S3PID 2>/dev/null || die "the S3 server did not start: $(cat "$DATA/s3-server.log")"
    sleep 0.1
done
S3EP=$(sed -n 's/^listening on //p' "$DATA/s3-server.log")
[[ -n $S3EP ]] || die "the S3 server did not start"
export AWS_ACCESS_KEY_ID=sm-data AWS_SECRET_ACCESS_KEY=sm-data-secret AWS_REGION=us-east-1
log "S3 server (s3s-fs) at $S3EP"

# --- the measurements -----------------------------------------------------
NPROC=$(nproc)
J_IDS=() J_TASK=() J_TOOL=() J_KIND=() J_SIZE=() J_IN=() J_CMD=() J_OUT=() J_PRODUCT=() J_LIMIT=()
HANGS=()
# add ID TASK TOOL KIND SIZE INPUT CMD [STDOUT [PRODUCT]]: PRODUCT is an output
# file removed before each run (so no tool pays for unlinking an old one).
add() {
    J_IDS+=("$1"); J_TASK+=("$2"); J_TOOL+=("$3"); J_KIND+=("$4"); J_SIZE+=("$5")
    J_IN+=("$6"); J_CMD+=("$7"); J_OUT+=("${8:-/dev/null}"); J_PRODUCT+=("${9:-}")
    # Hang guard: generous for what each tool needs (sm-data and the limits
    # take well under 0.02 s/MB here, the Python peers ~0.15 s/MB).
    if [[ -n $TIMEOUT ]]; then
        J_LIMIT+=("$TIMEOUT")
    elif [[ $1 == sdk-* || $1 == peer-* ]]; then
        J_LIMIT+=($((60 + $5)))
    else
        J_LIMIT+=($((30 + $5 / 5)))
    fi
}
SDK="$PY $HERE/sdk_peers.py"
for s in "${SIZES[@]}"; do
    csv="$DATA/dense-${s}mb.csv" svm="$DATA/sparse-${s}mb.libsvm" pbr="$DATA/dense-${s}mb.pbr"
    for in in "$csv" "$svm" "$pbr"; do
        kind=${in##*.}
        add "cat-$kind-$s" "limit ($kind)" "cat IN > /dev/null" "$kind" "$s" "$in" "cat $in"
        add "wc-$kind-$s" "limit ($kind)" "wc -l IN" "$kind" "$s" "$in" "wc -l $in"
        add "cp-$kind-$s" "limit ($kind)" "cp IN OUT" "$kind" "$s" "$in" "cp $in $OUT/cp-$kind-$s" /dev/null "$OUT/cp-$kind-$s"
    done
    for j in 1 0; do
        tool="sm-data -j$j"
        [[ $j == 0 ]] && tool="sm-data -j0 ($NPROC threads)"
        add "sm-c2p-j$j-$s" "CSV → RecordIO-protobuf" "$tool" csv "$s" "$csv" \
            "$SM convert $csv $OUT/sm-c2p-j$j-$s.pbr -q -f -j $j" /dev/null "$OUT/sm-c2p-j$j-$s.pbr"
        add "sm-s2p-j$j-$s" "LibSVM → sparse RecordIO-protobuf" "$tool" libsvm "$s" "$svm" \
            "$SM convert $svm $OUT/sm-s2p-j$j-$s.pbr -q -f -j $j" /dev/null "$OUT/sm-s2p-j$j-$s.pbr"
        add "sm-p2c-j$j-$s" "RecordIO-protobuf → CSV" "$tool" pbr "$s" "$pbr" \
            "$SM convert $pbr $OUT/sm-p2c-j$j-$s.csv -q -f -j $j" /dev/null "$OUT/sm-p2c-j$j-$s.csv"
        add "sm-cnt-j$j-$s" "LibSVM parse" "${tool/sm-data/sm-data count}" libsvm "$s" "$svm" \
            "$SM count $svm -j $j" "$OUT/sm-cnt-j$j-$s.txt"
        add "sm-s2s-j$j-$s" "LibSVM parse" "${tool/sm-data/sm-data convert --to libsvm -} > /dev/null" libsvm "$s" "$svm" \
            "$SM convert $svm - --to libsvm -q -j $j"
    done
    # validate checks every record (XGBoost's rules, 2 threads); count on the
    # same file in the same run (framing only) gives the ratio issue 8 asks
    # about ("at the speed of count").
    # RecordIO-protobuf for Linear Learner (Float32 tensors, one dimension),
    # the typed JSON Lines file with the format checks alone.
    for in in "$csv" "$svm" "$pbr" "$DATA/mixed-${s}mb.jsonl"; do
        kind=${in##*.}
        case $kind in
            csv | libsvm) alg=xgboost ct="--content-type text/$kind" ;;
            pbr) alg=linear-learner ct="" ;;
            jsonl) alg=generic ct="" ;;
        esac
        add "sm-val-$kind-$s" "validate (every record)" "sm-data validate -a $alg -j2 ($kind)" "$kind" "$s" "$in" \
            "$SM validate $in -a $alg $ct -j 2" "$OUT/sm-val-$kind-$s.txt"
        add "sm-valcnt-$kind-$s" "validate (every record)" "sm-data count -j2 ($kind: framing only)" "$kind" "$s" "$in" \
            "$SM count $in -j 2"
    done
    # Streamed from stdin (no memory map): peak RSS is then the working set
    # alone, not the mapped input pages (which count as RSS, see README).
    tool="sm-data -j0 ($NPROC threads) < IN (stdin)"
    add "sm-c2p-stdin-$s" "CSV → RecordIO-protobuf" "$tool" csv "$s" "$csv" \
        "$SM convert - $OUT/sm-c2p-stdin-$s.pbr --from csv --to recordio-protobuf -q -f < $csv" /dev/null "$OUT/sm-c2p-stdin-$s.pbr"
    add "sm-s2p-stdin-$s" "LibSVM → sparse RecordIO-protobuf" "$tool, --num-features 100000" libsvm "$s" "$svm" \
        "$SM convert - $OUT/sm-s2p-stdin-$s.pbr --from libsvm --to recordio-protobuf --num-features 100000 -q -f < $svm" /dev/null "$OUT/sm-s2p-stdin-$s.pbr"
    add "sm-p2c-stdin-$s" "RecordIO-protobuf → CSV" "$tool" pbr "$s" "$pbr" \
        "$SM convert - $OUT/sm-p2c-stdin-$s.csv --from recordio-protobuf --to csv -q -f < $pbr" /dev/null "$OUT/sm-p2c-stdin-$s.csv"
    # RecordIO-protobuf → CSV into a pipe to /dev/null: the formatting alone,
    # without the page-cache cost of writing 2× the input to a file.
    add "sm-p2cnull-j0-$s" "RecordIO-protobuf → CSV" "sm-data -j0 ($NPROC threads) > /dev/null" pbr "$s" "$pbr" \
        "$SM convert $pbr - --to csv -q"
    mcsv="$DATA/mixed-${s}mb.csv" mjson="$DATA/mixed-${s}mb.jsonl"
    add "cat-mixedcsv-$s" "limit (mixed csv)" "cat IN > /dev/null" mixedcsv "$s" "$mcsv" "cat $mcsv"
    add "cat-jsonl-$s" "limit (jsonl)" "cat IN > /dev/null" jsonl "$s" "$mjson" "cat $mjson"
    for j in 1 0; do
        tool="sm-data -j$j"
        [[ $j == 0 ]] && tool="sm-data -j0 ($NPROC threads)"
        add "sm-c2q-j$j-$s" "CSV → Parquet (dense, 101 float columns)" "$tool" csv "$s" "$csv" \
            "$SM convert $csv $OUT/sm-c2q-j$j-$s.parquet -q -f -j $j" /dev/null "$OUT/sm-c2q-j$j-$s.parquet"
        add "sm-m2q-j$j-$s" "CSV → Parquet (mixed, typed, with header)" "$tool --header --typed" mixedcsv "$s" "$mcsv" \
            "$SM convert $mcsv $OUT/sm-m2q-j$j-$s.parquet --header --typed -q -f -j $j" /dev/null "$OUT/sm-m2q-j$j-$s.parquet"
        add "sm-j2q-j$j-$s" "JSON Lines → Parquet (typed)" "$tool --typed" jsonl "$s" "$mjson" \
            "$SM convert $mjson $OUT/sm-j2q-j$j-$s.parquet --typed -q -f -j $j" /dev/null "$OUT/sm-j2q-j$j-$s.parquet"
    done
    for t in polars pyarrow duckdb; do
        add "peer-c2q-$t-$s" "CSV → Parquet (dense, 101 float columns)" "$t" csv "$s" "$csv" \
            "$PY $HERE/table_peers.py $t csv2parquet $csv $OUT/peer-c2q-$t-$s.parquet --no-header" /dev/null "$OUT/peer-c2q-$t-$s.parquet"
        add "peer-m2q-$t-$s" "CSV → Parquet (mixed, typed, with header)" "$t" mixedcsv "$s" "$mcsv" \
            "$PY $HERE/table_peers.py $t csv2parquet $mcsv $OUT/peer-m2q-$t-$s.parquet" /dev/null "$OUT/peer-m2q-$t-$s.parquet"
        add "peer-j2q-$t-$s" "JSON Lines → Parquet (typed)" "$t" jsonl "$s" "$mjson" \
            "$PY $HERE/table_peers.py $t jsonl2parquet $mjson $OUT/peer-j2q-$t-$s.parquet" /dev/null "$OUT/peer-j2q-$t-$s.parquet"
    done
    add "peer-svm-xgb-$s" "LibSVM parse" "xgboost DMatrix(uri?format=libsvm)" libsvm "$s" "$svm" \
        "$PY $HERE/table_peers.py xgboost svmparse $svm 2>/dev/null" "$OUT/peer-svm-xgb-$s.txt"
    # shard without conversion (4 instances, records copied undecoded) vs cp.
    for in in "$csv" "$pbr"; do
        kind=${in##*.}
        add "sm-shard-$kind-$s" "shard, no conversion (→ local folder)" "sm-data shard -n 4" "$kind" "$s" "$in" \
            "$SM shard $in -n 4 --out $OUT/shard-$kind-$s -q" /dev/null "$OUT/shard-$kind-$s"
        add "peer-shardcp-$kind-$s" "shard, no conversion (→ local folder)" "cp IN OUT (one file)" "$kind" "$s" "$in" \
            "cp $in $OUT/shardcp-$kind-$s" /dev/null "$OUT/shardcp-$kind-$s"
        add "sm-shards3-$kind-$s" "shard, no conversion (→ S3: local s3s-fs server)" "sm-data shard -n 4 --out s3://…" "$kind" "$s" "$in" \
            "$SM shard $in -n 4 --out s3://bench/shard-$kind-$s/ --endpoint-url $S3EP -q" /dev/null "$S3ROOT/bench/shard-$kind-$s"
    done
    # Pipe mode: one epoch of the RecordIO-protobuf file through a FIFO to cat.
    add "sm-pipe-$s" "pipe feed → cat > /dev/null (1 epoch)" "sm-data pipe feed" pbr "$s" "$pbr" \
        "rm -rf $OUT/pipe-$s && mkdir -p $OUT/pipe-$s && { $SM pipe feed --channel train=$pbr --data-dir $OUT/pipe-$s --config-dir $OUT/pipe-$s/cfg --epochs 1 -q & while [[ ! -p $OUT/pipe-$s/train_0 ]]; do sleep 0.001; done; cat $OUT/pipe-$s/train_0 > /dev/null; wait; }"
    add "peer-pipecat-$s" "pipe feed → cat > /dev/null (1 epoch)" "cat IN > fifo" pbr "$s" "$pbr" \
        "rm -f $OUT/fifo-$s && mkfifo $OUT/fifo-$s && { cat $pbr > $OUT/fifo-$s & cat $OUT/fifo-$s > /dev/null; wait; }"
    if [[ $s == "$PEER_MB" ]]; then
        add "sdk-c2p-$s" "CSV → RecordIO-protobuf" "SDK: np.loadtxt + write_numpy_to_dense_tensor" csv "$s" "$csv" \
            "$SDK csv2pbr $csv $OUT/sdk-c2p-$s.pbr" /dev/null "$OUT/sdk-c2p-$s.pbr"
        add "sdk-s2p-$s" "LibSVM → sparse RecordIO-protobuf" "SDK: load_svmlight_file + write_spmatrix_to_sparse_tensor" libsvm "$s" "$svm" \
            "$SDK svm2pbr $svm $OUT/sdk-s2p-$s.pbr" /dev/null "$OUT/sdk-s2p-$s.pbr"
        add "sdk-p2c-$s" "RecordIO-protobuf → CSV" "SDK: read_records + np.savetxt" pbr "$s" "$pbr" \
            "$SDK pbr2csv $pbr $OUT/sdk-p2c-$s.csv" /dev/null "$OUT/sdk-p2c-$s.csv"
        add "sdk-cnt-$s" "LibSVM parse" "sklearn load_svmlight_file" libsvm "$s" "$svm" \
            "$SDK svmparse $svm" "$OUT/sdk-cnt-$s.txt"
    fi
done

# Warm the page cache so the first measurement is not the only cold one.
for s in "${SIZES[@]}"; do
    cat "$DATA/dense-${s}mb.csv" "$DATA/sparse-${s}mb.libsvm" "$DATA/dense-${s}mb.pbr" \
        "$DATA/mixed-${s}mb.csv" "$DATA/mixed-${s}mb.jsonl" >/dev/null
done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
RAW=$DATA/raw.tsv
printf 'id\ttask\ttool\tkind\tsize_mb\tinput_bytes\trun\tseconds\tpeak_rss_kib\n' >"$RAW"
log "timing ${#J_IDS[@]} commands × $RUNS runs, interleaved (timer: $TIMER)"
for ((r = 1; r <= RUNS; r++)); do
    for i in "${!J_IDS[@]}"; do
        [[ -n ${J_PRODUCT[$i]} ]] && rm -rf "${J_PRODUCT[$i]}"
        # Every command starts from a warm page cache: some hosts reclaim
        # idle cache between runs (kdamond), which made whichever command
        # read a file first after a pause pay for disk reads.
        cat "${J_IN[$i]}" >/dev/null
        # A command that runs far longer than it should is a hang: it is
        # reported (and makes the script fail at the end), then retried so
        # that the other measurements can still be made.
        limit=${J_LIMIT[$i]}
        for attempt in 1 2 3; do
            secs='' rss=''
            read -r secs rss < <(timed "${J_CMD[$i]}" "${J_OUT[$i]}" "$limit")
            [[ -n ${secs:-} ]] || die "no timing for ${J_CMD[$i]}"
            [[ $secs != TIMEOUT ]] && break
            HANGS+=("${J_CMD[$i]} (run $r, attempt $attempt: killed after ${limit}s)")
            log "HANG: ${J_IDS[$i]} killed after ${limit}s; retrying"
            [[ -n ${J_PRODUCT[$i]} ]] && rm -rf "${J_PRODUCT[$i]}"
        done
        [[ $secs == TIMEOUT ]] && die "${J_CMD[$i]} hung 3 times"
        bytes=$(stat -c %s "${J_IN[$i]}")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${J_IDS[$i]}" "${J_TASK[$i]}" "${J_TOOL[$i]}" \
            "${J_KIND[$i]}" "${J_SIZE[$i]}" "$bytes" "$r" "$secs" "$rss" >>"$RAW"
        log "run $r: ${J_IDS[$i]}: ${secs}s, ${rss} KiB"
        [[ ${J_IDS[$i]} == cp-* ]] && rm -f "${J_PRODUCT[$i]}"
    done
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

# --- correctness ----------------------------------------------------------
log "checking outputs"
fail=0
check() { # description, then a command that must succeed
    local what=$1; shift
    if "$@"; then
        echo "ok   $what" >&2
    else
        echo "FAIL $what" >&2
        fail=1
    fi
}
same() { cmp -s "$1" "$2"; }
lines_are() { [[ $(tr -d '[:space:]' <"$1") == "$2" ]]; }
numeric_csv_equal() {
    "$PY" - "$1" "$2" <<'PYEOF'
import sys
import numpy as np
a = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float32, ndmin=2)
b = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float32, ndmin=2)
sys.exit(0 if a.shape == b.shape and np.array_equal(a, b) else 1)
PYEOF
}
parquet_same() { # two Parquet files hold the same table: by column position, values compared
    # as float32 for floats, timestamps as microseconds (time zones ignored), string = large_string
    "$PY" - "$1" "$2" <<'PYEOF'
import sys
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
a, b = (pq.read_table(f) for f in sys.argv[1:3])
if a.num_rows != b.num_rows or a.num_columns != b.num_columns:
    sys.exit(f"shape {a.shape} != {b.shape}")
for i in range(a.num_columns):
    x, y = a.column(i).combine_chunks(), b.column(i).combine_chunks()
    norm = []
    for c in (x, y):
        if pa.types.is_timestamp(c.type):
            c = pc.cast(pc.cast(c, pa.timestamp("us")), pa.int64())
        elif pa.types.is_large_string(c.type):
            c = pc.cast(c, pa.string())
        elif pa.types.is_floating(c.type) or pa.types.is_integer(c.type):
            c = pc.cast(c, pa.float32() if pa.types.is_floating(x.type) or pa.types.is_floating(y.type) else pa.int64())
        norm.append(c)
    x, y = norm
    if x.type != y.type:
        sys.exit(f"column {i}: {a.schema.field(i)} vs {b.schema.field(i)}")
    if x.null_count != y.null_count or not x.equals(y):
        xs, ys = x.to_numpy(zero_copy_only=False), y.to_numpy(zero_copy_only=False)
        if not (x.null_count == y.null_count and np.array_equal(xs, ys, equal_nan=True)):
            sys.exit(f"column {i} ({a.schema.field(i).name}) differs")
PYEOF
}
P=$PEER_MB
check "sm-data CSV→pbr (-j1) = SDK write_numpy_to_dense_tensor, byte for byte (${P} MB)" \
    same "$OUT/sm-c2p-j1-$P.pbr" "$OUT/sdk-c2p-$P.pbr"
check "sm-data CSV→pbr (-j0) = SDK write_numpy_to_dense_tensor, byte for byte (${P} MB)" \
    same "$OUT/sm-c2p-j0-$P.pbr" "$OUT/sdk-c2p-$P.pbr"
check "sm-data LibSVM→pbr (-j1) = SDK write_spmatrix_to_sparse_tensor, byte for byte (${P} MB)" \
    same "$OUT/sm-s2p-j1-$P.pbr" "$OUT/sdk-s2p-$P.pbr"
check "sm-data LibSVM→pbr (-j0) = SDK write_spmatrix_to_sparse_tensor, byte for byte (${P} MB)" \
    same "$OUT/sm-s2p-j0-$P.pbr" "$OUT/sdk-s2p-$P.pbr"
check "sm-data pbr→CSV gives the original CSV's float32 values (${P} MB)" \
    numeric_csv_equal "$OUT/sm-p2c-j1-$P.csv" "$DATA/dense-${P}mb.csv"
check "SDK read_records + savetxt gives the original CSV's float32 values (${P} MB)" \
    numeric_csv_equal "$OUT/sdk-p2c-$P.csv" "$DATA/dense-${P}mb.csv"
check "sklearn load_svmlight_file row count = wc -l (${P} MB)" \
    lines_are "$OUT/sdk-cnt-$P.txt" "$(wc -l <"$DATA/sparse-${P}mb.libsvm")"
for s in "${SIZES[@]}"; do
    lines=$(wc -l <"$DATA/sparse-${s}mb.libsvm")
    for j in 1 0; do
        check "sm-data count -j$j = wc -l = $lines (${s} MB LibSVM)" lines_are "$OUT/sm-cnt-j$j-$s.txt" "$lines"
    done
    csvlines=$(wc -l <"$DATA/dense-${s}mb.csv")
    for kind in csv libsvm pbr jsonl; do
        check "sm-data validate finds the generated ${s} MB $kind clean" \
            grep -q "^result: clean" "$OUT/sm-val-$kind-$s.txt"
    done
    check "sm-data count = wc -l = $csvlines (${s} MB CSV)" \
        lines_are <("$SM" count "$DATA/dense-${s}mb.csv") "$csvlines"
    check "sm-data count = $csvlines records (${s} MB pbr)" \
        lines_are <("$SM" count "$DATA/dense-${s}mb.pbr") "$csvlines"
    check "sm-data CSV→pbr from stdin = from the mapped file (${s} MB)" \
        same "$OUT/sm-c2p-stdin-$s.pbr" "$OUT/sm-c2p-j0-$s.pbr"
    check "sm-data pbr→CSV from stdin = from the mapped file (${s} MB)" \
        same "$OUT/sm-p2c-stdin-$s.csv" "$OUT/sm-p2c-j0-$s.csv"
    check "sm-data LibSVM→pbr from stdin has $lines records (${s} MB)" \
        lines_are <("$SM" count "$OUT/sm-s2p-stdin-$s.pbr") "$lines"
    for t in c2p.pbr s2p.pbr p2c.csv; do
        check "sm-data ${t%.*} output: -j1 = -j0 (${s} MB)" \
            same "$OUT/sm-${t%.*}-j1-$s.${t#*.}" "$OUT/sm-${t%.*}-j0-$s.${t#*.}"
    done
    for t in polars pyarrow duckdb; do
        check "sm-data CSV→Parquet (dense) = $t's values (${s} MB)" \
            parquet_same "$OUT/sm-c2q-j0-$s.parquet" "$OUT/peer-c2q-$t-$s.parquet"
        check "sm-data CSV→Parquet (mixed, typed) = $t's table (${s} MB)" \
            parquet_same "$OUT/sm-m2q-j0-$s.parquet" "$OUT/peer-m2q-$t-$s.parquet"
        check "sm-data JSON Lines→Parquet (typed) = $t's table (${s} MB)" \
            parquet_same "$OUT/sm-j2q-j0-$s.parquet" "$OUT/peer-j2q-$t-$s.parquet"
    done
    for t in c2q m2q j2q; do
        check "sm-data $t output: -j1 = -j0 (${s} MB)" same "$OUT/sm-$t-j1-$s.parquet" "$OUT/sm-$t-j0-$s.parquet"
    done
    check "xgboost DMatrix row count = wc -l (${s} MB LibSVM)" lines_are "$OUT/peer-svm-xgb-$s.txt" "$lines"
    for kind in csv pbr; do
        in="$DATA/dense-${s}mb.$kind"
        check "sm-data shard: the 4 objects in key order = the input (${s} MB $kind)" \
            bash -c "cat '$OUT/shard-$kind-$s'/train/part-* | cmp -s - '$in'"
        check "sm-data shard to S3: the 4 objects in key order = the input (${s} MB $kind)" \
            bash -c "cat '$S3ROOT/bench/shard-$kind-$s'/train/part-* | cmp -s - '$in'"
    done
    check "sm-data pbr→CSV > /dev/null: same bytes as into a file (${s} MB)" \
        bash -c "'$SM' convert '$DATA/dense-${s}mb.pbr' - --to csv -q | cmp -s - '$OUT/sm-p2c-j0-$s.csv'"
    check "sm-data pbr→CSV→pbr round trip is exact (${s} MB)" \
        bash -c "'$SM' convert '$OUT/sm-p2c-j0-$s.csv' '$OUT/rt-$s.pbr' -q -f && cmp -s '$OUT/rt-$s.pbr' '$DATA/dense-${s}mb.pbr'"
done

# --- report ---------------------------------------------------------------
MODEL=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
MEM=$(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB"}')
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src Cargo.toml 2>/dev/null || REV="$REV (+ uncommitted changes)"
"$PY" - "$RAW" "$DATA/results.md" <<PYEOF
import csv, statistics, sys
from collections import OrderedDict

raw, dst = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(raw), delimiter="\t"))
jobs = OrderedDict()
for r in rows:
    j = jobs.setdefault(r["id"], dict(r, secs=[], rss=[]))
    j["secs"].append(float(r["seconds"]))
    j["rss"].append(int(r["peak_rss_kib"]))
for j in jobs.values():
    j["med"] = statistics.median(j["secs"])
    j["mb"] = int(j["input_bytes"]) / 1e6
    j["mbps"] = j["mb"] / max(j["med"], 1e-6)
    j["rss_mib"] = max(j["rss"]) / 1024

def num(x):
    """Three significant digits, no exponent."""
    return "{:.0f}".format(x) if x >= 100 else "{:.3g}".format(x)

best_peer = {}
for j in jobs.values():
    if j["id"].startswith(("sdk-", "peer-")):
        key = (j["task"], j["size_mb"], j["kind"]) if j["id"].startswith("peer-") else j["task"]
        best_peer[key] = max(best_peer.get(key, 0), j["mbps"])
cat = {(j["kind"], j["size_mb"]): j["mbps"] for j in jobs.values() if j["id"].startswith("cat-")}
# The mixed table and JSON Lines have their own cat rows; the rest by extension.

order = ["CSV → RecordIO-protobuf", "LibSVM → sparse RecordIO-protobuf", "RecordIO-protobuf → CSV",
         "LibSVM parse", "validate (every record)", "CSV → Parquet (dense, 101 float columns)", "CSV → Parquet (mixed, typed, with header)",
         "JSON Lines → Parquet (typed)", "shard, no conversion (→ local folder)",
         "shard, no conversion (→ S3: local s3s-fs server)",
         "pipe feed → cat > /dev/null (1 epoch)",
         "limit (csv)", "limit (libsvm)", "limit (pbr)", "limit (mixed csv)", "limit (jsonl)"]
out = []
out.append("# sm-data whole-program comparison\n")
out.append("Command: \`$COMMAND\` (sizes: sm-data $SIZE_MB MB and $PEER_MB MB, SDK peers $PEER_MB MB, "
           "runs $RUNS, seed $SEED)  ")
out.append("Machine: $NPROC CPUs (nproc), $MODEL, $MEM RAM; timer: $TIMER; sm-data $REV  ")
out.append("Load average (1/5/15 min) before timing: $LOAD_BEFORE, after: $LOAD_AFTER "
           "(well above 0 before, or above $NPROC after, means something else was running)  ")
out.append("MB = 10^6 bytes of input. Seconds are the median of $RUNS interleaved runs of the whole "
           "process (page cache warm). Ratios are throughput ratios (MB/s ÷ MB/s, > 1 = faster): "
           "*vs best peer* against the fastest peer process for the task: the SDK/sklearn ones ran on the "
           "$PEER_MB MB input, polars/pyarrow/duckdb/xgboost, \`cp\` (for shard) and \`cat > fifo\` (for pipe) on the "
           "same input as the row, *vs cat* against \`cat IN > /dev/null\` on the same input file. "
           "Compare tools by MB/s, not by seconds: the peers ran on a smaller file.\n")
out.append("| task | tool | input MB | seconds (median) | MB/s | vs best peer | vs cat | peak RSS MiB |")
out.append("|---|---|---:|---:|---:|---:|---:|---:|")
for task in order:
    for j in sorted((j for j in jobs.values() if j["task"] == task), key=lambda j: int(j["size_mb"])):
        bp = best_peer.get((task, j["size_mb"], j["kind"])) or best_peer.get(task)
        c = cat.get((j["kind"], j["size_mb"]))
        out.append("| {} | {} | {} | {:.3f} | {} | {} | {} | {:.0f} |".format(
            task, j["tool"], num(j["mb"]), j["med"], num(j["mbps"]),
            "{:.1f}×".format(j["mbps"] / bp) if bp else "–",
            "{:.2f}".format(j["mbps"] / c) if c else "–",
            j["rss_mib"]))
sizes = sorted({int(j["size_mb"]) for j in jobs.values()})
if len(sizes) == 2:
    small, big = (str(s) for s in sizes)
    out.append("\n## sm-data peak RSS: {} MB vs {} MB input\n".format(small, big))
    out.append("| task | tool | RSS MiB @ {} MB | RSS MiB @ {} MB |".format(small, big))
    out.append("|---|---|---:|---:|")
    for j in jobs.values():
        if j["id"].startswith("sm-") and j["size_mb"] == small:
            k = j["id"].rsplit("-", 1)[0] + "-" + big
            if k in jobs:
                out.append("| {} | {} | {:.0f} | {:.0f} |".format(j["task"], j["tool"], j["rss_mib"], jobs[k]["rss_mib"]))
text = "\n".join(out) + "\n"
open(dst, "w").write(text)
print(text)
PYEOF

if [[ ${#HANGS[@]} -gt 0 ]]; then
    {
        echo
        echo "## HANGS: ${#HANGS[@]} command(s) were killed and re-run"
        echo
        for h in "${HANGS[@]}"; do echo "- \`$h\`"; done
    } | tee -a "$DATA/results.md"
    echo "FAIL ${#HANGS[@]} hang(s), see $DATA/results.md" >&2
    fail=1
fi
rm -rf "$OUT"
if [[ $fail != 0 ]]; then
    die "some outputs are wrong or commands hung (see FAIL lines above)"
fi
log "done: $DATA/results.md"
