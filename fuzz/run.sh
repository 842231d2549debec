#!/usr/bin/env bash
# Builds and runs every fuzz target of sm-data for a bounded time.
#
#   fuzz/run.sh                 # every target, 20 s each
#   FUZZ_SECONDS=300 fuzz/run.sh csv convert
#
# Environment:
#   FUZZ_SECONDS     seconds per target (default 20)
#   FUZZ_SANITIZER   address or none (default: address on nightly, none on
#                    stable, where cargo-fuzz cannot pass -Zsanitizer)
#   FUZZ_TOOLCHAIN   stable forces the stable fallback even when nightly exists
#   FUZZ_KEEP        1 keeps the scratch corpora and logs (printed at the end)
#
# With nightly (`cargo +nightly`) this is `cargo +nightly fuzz run T SEEDS --
# -max_total_time=N`; without it, `cargo fuzz run -s none` on stable. Each run
# starts from a scratch copy of fuzz/seeds/T, so the committed seeds stay
# clean. A crash or a timeout (one input over 10 s) makes the script exit 1
# and print the artifact to reproduce it with:
#   cargo +nightly fuzz run T fuzz/artifacts/T/crash-...
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

seconds="${FUZZ_SECONDS:-20}"
if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=(recordio protobuf csv libsvm convert jsonl json tfrecord parquet manifest augmented config table validate jsonscan)
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

if [[ "${FUZZ_TOOLCHAIN:-}" != stable ]] && cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
    tc_name=nightly
else
    echo "run.sh: fuzzing on stable, without a sanitizer" >&2
    toolchain=()
    tc_name=stable
fi

sanitizer_of() {
    if [[ -n "${FUZZ_SANITIZER:-}" ]]; then
        echo "$FUZZ_SANITIZER"
    elif [[ $tc_name == stable ]]; then
        echo none
    else
        echo address
    fi
}

# One target dir per toolchain and sanitizer: switching flags in one dir
# rebuilds everything (and a stable run caches rustc probes, deps.md §4).
target_dir_of() {
    echo "$here/target/$tc_name-$1"
}

fuzz() {
    cargo "${toolchain[@]}" fuzz "$@"
}

# Build first, one cargo call per sanitizer, so build time is not fuzz time.
declare -A groups=()
for t in "${targets[@]}"; do
    s="$(sanitizer_of)"
    groups[$s]="${groups[$s]:-} $t"
done
build_start=$(date +%s)
for s in "${!groups[@]}"; do
    for t in ${groups[$s]}; do
        echo "run.sh: building $t ($tc_name, sanitizer $s)" >&2
        fuzz build -s "$s" --target-dir "$(target_dir_of "$s")" "$t"
    done
done
build_secs=$(( $(date +%s) - build_start ))

scratch="$(mktemp -d "${TMPDIR:-/tmp}/sm-data-fuzz.XXXXXX")"
cleanup() {
    if [[ "${FUZZ_KEEP:-0}" == 1 ]]; then
        echo "run.sh: kept corpora and logs in $scratch" >&2
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT

declare -a rows=()
failed=0
for t in "${targets[@]}"; do
    s="$(sanitizer_of)"
    corpus="$scratch/corpus/$t"
    log="$scratch/$t.log"
    mkdir -p "$corpus"
    cp "$here/seeds/$t/"* "$corpus/"
    echo "run.sh: fuzzing $t for ${seconds}s (sanitizer $s)" >&2
    start=$(date +%s)
    status=ok
    if ! fuzz run -s "$s" --target-dir "$(target_dir_of "$s")" "$t" "$corpus" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 >"$log" 2>&1; then
        status=CRASH
        failed=1
    fi
    secs=$(( $(date +%s) - start ))
    # Fuzzing time as libFuzzer counts it ("Done N runs in S second(s)"),
    # which leaves out a rebuild when src/ changed since the build above.
    fuzzed="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)"
    secs="${fuzzed:-$secs}"
    # Executions: libFuzzer's final stats line, else its last "#N DONE".
    execs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)"
    if [[ -z "$execs" ]]; then
        execs="$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -n 1)"
    fi
    rows+=("$t|$s|$secs|${execs:-?}|$status")
    if [[ $status != ok ]]; then
        echo "run.sh: $t FAILED; the end of its log:" >&2
        grep -v '^#[0-9]' "$log" | tail -n 40 >&2 || true
        artifacts="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")"
        if [[ -n "$artifacts" ]]; then
            for a in $artifacts; do
                echo "run.sh: artifact: $a" >&2
                echo "run.sh: reproduce: cargo ${toolchain[*]} fuzz run -s $s $t $a" >&2
            done
        else
            echo "run.sh: no artifact was written (see the log above)" >&2
        fi
    fi
done

echo
echo "fuzz run: $tc_name, ${seconds}s per target, build ${build_secs}s"
printf '%-10s %-9s %8s %14s  %s\n' target sanitizer seconds executions result
for r in "${rows[@]}"; do
    IFS='|' read -r t s secs execs status <<<"$r"
    printf '%-10s %-9s %8s %14s  %s\n' "$t" "$s" "$secs" "$execs" "$status"
done
exit "$failed"
