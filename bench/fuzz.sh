#!/usr/bin/env bash
# Fuzz every parser of hostile input with libFuzzer, one target after the
# other, each for MINUTES minutes, and print each target's coverage and
# findings.  See bench/README.md.
#
# Exit status: 0 no findings, 1 a target found something (crash, leak,
# timeout, out-of-memory) or failed to run, 2 usage error or something
# missing.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SRC=$(cd "$SCRIPT_DIR/.." && pwd -P)
FUZZ_DIR=$SRC/tests/fuzz

BUILD=$SRC/build-fuzz
WORK=/tmp/gsfuzz
JOBS=$(nproc)
NICE=19
MINUTES=10
TARGETS=()

usage() {
    cat <<EOF
usage: bench/fuzz.sh [--build DIR] [--work DIR] [--jobs N] [--nice N]
                     [MINUTES] [TARGET...]

  MINUTES      fuzzing time per target (default 10; decimals allowed)
  TARGET       parser names as in tests/fuzz/fuzz_<parser>.c, e.g. index
               manifest (default: every target)
  --build DIR  the fuzz build (clang, GS_FUZZ=ON), configured and built here
               (default $SRC/build-fuzz)
  --work DIR   working corpora, logs and findings (default /tmp/gsfuzz;
               emptied for each target run)
  --jobs N     parallel compile jobs (default: nproc); fuzzing itself runs
               one target at a time, on one core
  --nice N     niceness of the fuzzers (default 19)

Available targets: $(cd "$FUZZ_DIR" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | tr '\n' ' ')
EOF
}

note() { printf 'fuzz: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }
need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }

while [[ $# -gt 0 ]]; do
    case $1 in
    --build) need_arg "$@"; BUILD=$2; shift 2 ;;
    --work) need_arg "$@"; WORK=$2; shift 2 ;;
    --jobs) need_arg "$@"; JOBS=$2; shift 2 ;;
    --nice) need_arg "$@"; NICE=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option: $1" ;;
    *)
        if [[ ${#TARGETS[@]} -eq 0 && $1 =~ ^[0-9]+(\.[0-9]+)?$ && -z ${MINUTES_SET:-} ]]; then
            MINUTES=$1
            MINUTES_SET=1
        else
            TARGETS+=("$1")
        fi
        shift
        ;;
    esac
done
[[ $MINUTES =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "MINUTES must be a number, not '$MINUTES'"
SECONDS_PER=$(awk -v m="$MINUTES" 'BEGIN { s = int(m * 60 + 0.5); print (s < 1 ? 1 : s) }')
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive integer, not '$JOBS'"
[[ $NICE =~ ^-?[0-9]+$ ]] || die "--nice must be an integer, not '$NICE'"

if [[ ${#TARGETS[@]} -eq 0 ]]; then
    mapfile -t TARGETS < <(cd "$FUZZ_DIR" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
for t in "${TARGETS[@]}"; do
    [[ -f $FUZZ_DIR/fuzz_$t.c ]] || die "no target '$t' (tests/fuzz/fuzz_$t.c); see --help"
done

# ------------------------------------------------------------ prerequisites

# clang with libFuzzer (Debian 12: the clang package, clang 14).
mkdir -p "$WORK"
WORK=$(realpath -- "$WORK")
have_libfuzzer() {
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' |
        clang -fsanitize=fuzzer -x c - -o "$WORK/probe" >/dev/null 2>&1
}
if ! have_libfuzzer || ! command -v cmake >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        note "installing clang and cmake (libFuzzer)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            clang cmake >/dev/null || die "apt-get install clang cmake failed"
    fi
    have_libfuzzer || die "clang with libFuzzer is missing: apt-get install -y clang"
    command -v cmake >/dev/null 2>&1 || die "cmake is missing: apt-get install -y cmake"
fi
rm -f "$WORK/probe"

# ------------------------------------------------------------ build

BUILD=$(realpath -m -- "$BUILD")
note "building the fuzz targets in $BUILD (clang, GS_FUZZ=ON)"
CC=clang cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGS_TESTS=ON \
    -DGS_FUZZ=ON >"$WORK/cmake.log" 2>&1 ||
    { tail -20 "$WORK/cmake.log" >&2; die "cmake failed (log: $WORK/cmake.log)"; }
progs=()
for t in "${TARGETS[@]}"; do progs+=(--target "fuzz_$t"); done
nice -n 10 cmake --build "$BUILD" -j"$JOBS" "${progs[@]}" >"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }

# ------------------------------------------------------------ fuzz

findings=0
rows=()
# "cov: 123 ft: 456 corp: ..." -> "123 456"
covft() { sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/p' | tail -1; }

for t in "${TARGETS[@]}"; do
    prog=$BUILD/tests/fuzz_$t
    dir=$WORK/$t
    rm -rf -- "$dir"
    mkdir -p "$dir/corpus" "$dir/findings"
    # The committed corpus is only the seed: it grows by hand (see README).
    if [[ -d $FUZZ_DIR/corpus/$t ]]; then
        cp -- "$FUZZ_DIR"/corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
    fi
    opts=(-max_total_time="$SECONDS_PER" -timeout=10 -print_final_stats=1
        -artifact_prefix="$dir/findings/")
    [[ -f $FUZZ_DIR/$t.dict ]] && opts+=(-dict="$FUZZ_DIR/$t.dict")
    if [[ -f $FUZZ_DIR/$t.options ]]; then
        while read -r o; do
            [[ -z $o || $o == \#* ]] || opts+=("$o")
        done <"$FUZZ_DIR/$t.options"
    fi
    note "$t: ${MINUTES} min (${opts[*]:3})"
    rc=0
    nice -n "$NICE" "$prog" "${opts[@]}" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
    read -r cov0 ft0 < <(grep -a 'INITED' "$dir/log" | covft) || true
    read -r cov ft < <(grep -a -E '^#[0-9]+' "$dir/log" | covft) || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
    ncorp=$(find "$dir/corpus" -type f | wc -l)
    found=()
    while IFS= read -r f; do found+=("$f"); done < <(find "$dir/findings" -type f | sort)
    status=ok
    if [[ ${#found[@]} -gt 0 ]]; then
        status="${#found[@]} finding(s)"
        findings=$((findings + ${#found[@]}))
    elif [[ $rc -ne 0 ]]; then
        status="exit $rc"
        findings=$((findings + 1))
    fi
    rows+=("$(printf '%-12s %8s %9s %9s %7s %11s %8s  %s' "$t" "${cov0:-?}/${ft0:-?}" \
        "${cov:-?}" "${ft:-?}" "$ncorp" "${execs:-?}" "${rate:-?}" "$status")")
    for f in "${found[@]}"; do
        rows+=("             finding: $f")
        rows+=("             $(grep -a -m1 -E 'ERROR: |SUMMARY: |runtime error: ' "$dir/log" | cut -c1-150)")
    done
    [[ $status == ok ]] || rows+=("             log: $dir/log")
done

echo
echo "libFuzzer, ${MINUTES} min per target, nice ${NICE}; build $BUILD; work $WORK"
printf '%-12s %8s %9s %9s %7s %11s %8s  %s\n' target "start" cov ft corpus execs "exec/s" findings
printf '%-12s %8s %9s %9s %7s %11s %8s  %s\n' "" "cov/ft" "" "" "" "" "" ""
for r in "${rows[@]}"; do echo "$r"; done
echo
echo "cov: coverage points (edges) reached; ft: features; start: with the seed corpus only."
if [[ $findings -gt 0 ]]; then
    echo "FINDINGS: $findings; reproduce with: $BUILD/tests/fuzz_TARGET FILE"
    echo "Fix the bug, then add the input as a regression: cp FILE tests/fuzz/corpus/TARGET/"
    exit 1
fi
echo "no findings"
