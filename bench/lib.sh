# lib.sh -- what bench/run.sh, bench/ship.sh and bench/restore.sh share:
# messages, option checks, the JSON measurement writer, the page cache,
# timing, the sshd's CPU, and the pristine corpora of make_corpus.py.
# Sourced (after set -euo pipefail), never run.
#
#   note MSG / die MSG        "bench: MSG" on stderr; die exits 2
#   need_arg OPT [VALUE]      OPT has a non-empty value, or die
#   check_runs / check_connections / check_timeout
#                             $RUNS, $CONNECTIONS, $TIMEOUT are in range
#   set_corpora               CORPORA from $CORPUS (mixed, small or all)
#   emit KEY=VALUE...         one JSON object per line into $MEAS
#   drop_caches_init FAIL_WHERE OFF_WHERE
#                             DROP_OK from $DROP (--no-drop-caches) and
#                             whether /proc/sys/vm/drop_caches is writable
#   drop_caches               sync, and drop the page cache when DROP_OK
#   now_ns, wall_s T0 T1      the ns clock; seconds between two readings
#   time_v_fields FILE        T_RSS, T_CPU, T_TWALL from /usr/bin/time -v
#   sshd_cpu, sshd_cpu_since C0   CPU seconds of the test sshd's sessions
#   mbps BYTES SECONDS, src_stats DIR
#   corpus_complete NAME DIR, ensure_corpus NAME
#                             reuse or make $CORPUS_DIR/NAME
# shellcheck shell=bash disable=SC2034  # sets variables for the scripts

note() { printf 'bench: %s\n' "$*" >&2; }
die() {
    note "$*"
    exit 2
}

# need_arg OPT [VALUE]: called as need_arg "$@" while parsing options.
need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }

check_runs() {
    [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, not '$RUNS'"
}
check_connections() {
    [[ $CONNECTIONS =~ ^([1-9]|1[0-6])$ ]] || die "--connections must be 1 to 16, not '$CONNECTIONS'"
}
check_timeout() {
    [[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive number of seconds, not '$TIMEOUT'"
}

# set_corpora: the corpora that --corpus names, in CORPORA.
set_corpora() {
    case $CORPUS in
    mixed | small) CORPORA=("$CORPUS") ;;
    all) CORPORA=(mixed small) ;;
    *) die "--corpus must be mixed, small or all, not '$CORPUS'" ;;
    esac
}

# emit KEY=VALUE...: one JSON object per line into $MEAS.  Numbers and
# true/false stay as they are; VALUE starting with '{' is embedded as raw
# JSON; anything else is a string.
emit() {
    local kv k v out='' sep=''
    for kv in "$@"; do
        k=${kv%%=*}
        v=${kv#*=}
        if [[ $v =~ ^-?(0|[1-9][0-9]*)(\.[0-9]+)?$ || $v == \{* || $v == true || $v == false ]]; then
            out+="$sep\"$k\":$v"
        else
            v=${v//\\/\\\\}
            v=${v//\"/\\\"}
            out+="$sep\"$k\":\"$v\""
        fi
        sep=,
    done
    printf '{%s}\n' "$out" >>"$MEAS"
}

# drop_caches_init FAIL_WHERE OFF_WHERE: DROP_OK=1 when $DROP is 1 and the
# page cache can be dropped; otherwise a note says "page cache NOT
# dropped [FAIL_WHERE]", and with --no-drop-caches (DROP=0) and a
# non-empty OFF_WHERE, "page cache kept OFF_WHERE".
drop_caches_init() {
    DROP_OK=0
    if [[ $DROP -eq 1 ]]; then
        if sync && { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
            DROP_OK=1
        else
            note "cannot write /proc/sys/vm/drop_caches (needs root and a writable /proc): page cache NOT dropped${1:+ $1}"
        fi
    elif [[ -n $2 ]]; then
        note "--no-drop-caches: page cache kept $2 (warm-cache numbers; dirty pages are still synced)"
    fi
}

# drop_caches: before each timed command, flush dirty pages (so no tool
# pays for the previous one's writeback) and, unless --no-drop-caches,
# drop the page cache.
drop_caches() {
    sync
    [[ $DROP_OK -eq 1 ]] || return 0
    echo 3 >/proc/sys/vm/drop_caches
}

now_ns() { date +%s%N; }

# wall_s T0 T1: seconds (3 decimals) between two now_ns readings.
wall_s() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b - a) / 1e9}'; }

# time_v_fields FILE: from the report of /usr/bin/time -v in FILE, T_RSS
# (maximum resident set, KiB), T_CPU (user + system seconds) and T_TWALL
# (elapsed seconds); each 0 when FILE is missing.
time_v_fields() {
    local tf=$1 u s el
    T_RSS=0 T_CPU=0 T_TWALL=0
    [[ -f $tf ]] || return 0
    T_RSS=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *//p' "$tf")
    u=$(sed -n 's/^[[:space:]]*User time (seconds): *//p' "$tf")
    s=$(sed -n 's/^[[:space:]]*System time (seconds): *//p' "$tf")
    T_CPU=$(awk -v u="${u:-0}" -v s="${s:-0}" 'BEGIN {printf "%.2f", u + s}')
    el=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$tf")
    # h:mm:ss or m:ss.cc
    T_TWALL=$(awk -v e="$el" 'BEGIN {n = split(e, p, ":"); s = 0;
        for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}')
    [[ -n $T_RSS ]] || T_RSS=0
}

CLK_TCK=$(getconf CLK_TCK)
# sshd_cpu: CPU seconds (user + sys) of the sshd sessions that have ended:
# the listener's reaped children, whose own children (sftp) are in them.
sshd_cpu() { awk -v t="$CLK_TCK" '{printf "%.2f", ($16 + $17) / t}' "/proc/$GS_SSHD_PID/stat"; }

# sshd_cpu_since C0: wait (up to 10 s) for the sessions to end -- they end
# just after the client, and their CPU counts once they are reaped -- and
# set T_SCPU to the sessions' CPU seconds since sshd_cpu said C0.
sshd_cpu_since() {
    local i
    for ((i = 0; i < 400; i++)); do
        [[ -z $(gs_sshd_sessions) ]] && break
        sleep 0.025
    done
    T_SCPU=$(awk -v a="$1" -v b="$(sshd_cpu)" 'BEGIN {printf "%.2f", b - a}')
}

mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.1f", (s > 0 ? b / 1e6 / s : 0)}'; }

# src_stats DIR: "FILES BYTES" of the regular files below DIR.
src_stats() {
    find "$1" -type f -printf '%s\n' | awk '{n++; s+=$1} END {printf "%d %d\n", n, s}'
}

# corpus_complete NAME DIR: the corpus NAME in DIR is whole: DIR.complete
# exists, or no make_corpus.py is writing it and it has all its random
# bytes (mixed, $MIXED_RANDOM_BYTES) or all its files (small,
# $SMALL_FILES).  A corpus mutated in place (DIR/.night) is not.
corpus_complete() {
    local name=$1 dir=$2 got
    [[ -f $dir.complete ]] && return 0
    [[ -d $dir && ! -e $dir/.night ]] || return 1
    if command -v pgrep >/dev/null 2>&1 &&
        pgrep -f -- "make_corpus\.py $name $dir/?\$" >/dev/null 2>&1; then
        return 1
    fi
    case $name in
    mixed)
        [[ -d $dir/random ]] || return 1
        got=$(find "$dir/random" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
        [[ $got -eq $MIXED_RANDOM_BYTES ]]
        ;;
    small)
        got=$(find "$dir" -type f | wc -l)
        [[ $got -eq $SMALL_FILES ]]
        ;;
    esac
}

# ensure_corpus NAME: reuse $CORPUS_DIR/NAME when it is complete, else
# make it with $MAKE_CORPUS (an incomplete one is made again only when it
# is below WORK); DIR.complete marks a finished one.  $CORPUS_TAKES says
# how long making it takes (default "minutes").
ensure_corpus() {
    local name=$1 dir=$CORPUS_DIR/$1
    [[ ! -e $dir/.night ]] ||
        die "pristine corpus $dir has been mutated in place ($dir/.night exists); remove it and rerun"
    if corpus_complete "$name" "$dir"; then
        note "corpus $name: reusing $dir"
        return 0
    fi
    if [[ -d $dir && -n $(ls -A -- "$dir") ]]; then
        if [[ $CORPUS_DIR == "$WORK/corpus" ]]; then
            note "corpus $name: $dir is incomplete, regenerating it"
            rm -rf -- "$dir" "$dir.complete"
        else
            die "corpus $dir exists but is not complete (still being generated? no $dir.complete marker); wait for it or remove it"
        fi
    fi
    # needed only here: complete corpora are reused without it
    [[ -f $MAKE_CORPUS ]] || die "corpus generator not found: $MAKE_CORPUS (set MAKE_CORPUS=PATH)"
    mkdir -p -- "$CORPUS_DIR"
    note "corpus $name: generating $dir (takes ${CORPUS_TAKES:-minutes})"
    if ! python3 "$MAKE_CORPUS" "$name" "$dir" >"$dir.gen.log" 2>&1; then
        cat "$dir.gen.log" >&2
        die "corpus generation failed: python3 $MAKE_CORPUS $name $dir"
    fi
    cp -- "$dir.gen.log" "$dir.complete"
}
