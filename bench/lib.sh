# lib.sh -- what bench/run.sh, bench/ship.sh and bench/restore.sh share:
# messages, the command line, prerequisites, the work directory and keys,
# the JSON measurement writer, the page cache, timing, the test sshd, the
# pristine corpora of make_corpus.py, and the results' meta data and the
# Python helpers of the results code.  Sourced (after set -euo pipefail),
# never run.  Sets TOP, SSHD_SH, TENANT and the defaults of the options
# the scripts share (below).
#
#   note MSG / die MSG        "bench: MSG" on stderr; die exits 2
#   parse_opts ARG...         the command line, by the script's table OPTS
#   need_arg OPT [VALUE]      OPT has a non-empty value, or die
#   check_runs / check_connections / check_timeout
#                             $RUNS, $CONNECTIONS, $TIMEOUT are in range
#   set_corpora               CORPORA from $CORPUS (mixed, small or all)
#   need_packages [-u] PROGRAM=PACKAGE...
#                             die naming the packages of missing programs
#   check_build WHY KEYS      AGENT and RESTORE in BUILD; keygen works
#   probe_ship WHAT           HAVE_SHIP: whether geosnap-agent can ship
#   work_dirs / plain_path P / fresh_work
#                             WORK and CORPUS_DIR made absolute; P fits an
#                             INI file and a URL; C locale, empty logs
#   work_env                  PASSFILE, KEYS, MEAS, RESULTS, the tools' env
#   ensure_keys TENANT        the tenant's keys in KEYS (KEYS_MADE)
#   emit KEY=VALUE...         one JSON object per line into $MEAS
#   drop_caches_init FAIL_WHERE OFF_WHERE
#                             DROP_OK from $DROP (--no-drop-caches) and
#                             whether /proc/sys/vm/drop_caches is writable
#   drop_caches               sync, and drop the page cache when DROP_OK
#   now_ns, wall_s T0 T1      the ns clock; seconds between two readings
#   time_v_fields FILE        T_RSS, T_CPU, T_TWALL from /usr/bin/time -v
#   timed LOG DIR CMD...      CMD under /usr/bin/time -v: T_WALL, T_RC, ...
#   sshd_cpu, sshd_cpu_since C0   CPU seconds of the test sshd's sessions
#   sshd_up [DIR...]          start the test sshd: KEY, SSH_OPTS, SFTP_CMD
#   run_timed LOG [--warm] CMD...
#                             timed under --timeout, with the sshd's CPU
#                             and ciphers (ship.sh, restore.sh)
#   write_config FILE REPO STATE REMOTE_DIR
#                             an agent config with the sshd as its remote
#   same_tree SRC COPY OUT    COPY is SRC's copy (diff -r into OUT)
#   mbps BYTES SECONDS, src_stats DIR
#   corpus_complete NAME DIR, ensure_corpus NAME
#                             reuse or make $CORPUS_DIR/NAME
#   warn_free GIB             a note when WORK has less than GIB GiB free
#   build_meta PROGRAM KEY=VALUE...
#                             the results' meta data, a JSON object
#   run_py ARG...             python3: the shared helpers, then stdin
# shellcheck shell=bash disable=SC2034  # sets variables for the scripts

# TOP: the source tree; SSHD_SH: the test sshd harness; TENANT: the tenant
# the benchmarks back up; what make_corpus.py writes (corpus_complete);
# the defaults of the options more than one script has (see their usage).
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SSHD_SH=$TOP/tests/lib/sshd.sh
TENANT=bench
MIXED_RANDOM_BYTES=$((220 << 20)) # make_corpus.py RANDOM_BUDGET, written last
SMALL_FILES=200000                # make_corpus.py small default count
CORPUS_DIR=
DROP=1
CONNECTIONS=2
TIMEOUT=3600
KEEP=0

note() { printf 'bench: %s\n' "$*" >&2; }
die() {
    note "$*"
    exit 2
}

# need_arg OPT [VALUE]: called as need_arg "$@" while parsing options.
need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }

# parse_opts ARG...: the command line, by the script's table OPTS (an
# associative array): OPTS[--NAME]=VAR takes a value into VAR (need_arg),
# OPTS[--NAME]=VAR=VALUE is a flag that sets VAR to VALUE.  -h or --help
# prints the script's usage and exits 0; any other argument prints the
# usage on stderr and dies.
parse_opts() {
    local spec k
    while [[ $# -gt 0 ]]; do
        spec=
        for k in "${!OPTS[@]}"; do
            [[ $k != "$1" ]] || spec=${OPTS[$k]}
        done
        case $spec in
        *=*) printf -v "${spec%%=*}" '%s' "${spec#*=}"; shift ;;
        ?*) need_arg "$@"; printf -v "$spec" '%s' "$2"; shift 2 ;;
        *)
            case $1 in
            -h | --help) usage; exit 0 ;;
            *) usage >&2; die "unknown argument: $1" ;;
            esac
            ;;
        esac
    done
}

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

# need_packages [-u] PROGRAM=PACKAGE...: die naming the Debian PACKAGEs
# whose PROGRAM is missing (a PROGRAM with a '/' must be an executable
# file, any other is looked up with command -v) and how to install them:
# in the order given, or with -u sorted and each once.
need_packages() {
    local uniq=0 p missing=()
    if [[ $1 == -u ]]; then
        uniq=1
        shift
    fi
    for p in "$@"; do
        if [[ ${p%%=*} == */* ]]; then
            [[ -x ${p%%=*} ]] || missing+=("${p#*=}")
        else
            command -v "${p%%=*}" >/dev/null 2>&1 || missing+=("${p#*=}")
        fi
    done
    [[ ${#missing[@]} -gt 0 ]] || return 0
    [[ $uniq -eq 0 ]] || mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    die "missing Debian packages: ${missing[*]} (install them with: apt-get install -y ${missing[*]})"
}

# check_build WHY KEYS: BUILD made absolute; AGENT and RESTORE, its
# geosnap-agent and geosnap-restore.  Dies unless both are there and
# geosnap-restore has a working keygen command: WHY says why
# geosnap-restore is needed (empty: the message only says "build it"),
# KEYS what keygen makes.
check_build() {
    BUILD=$(realpath -m -- "$BUILD")
    AGENT=$BUILD/geosnap-agent
    RESTORE=$BUILD/geosnap-restore
    [[ -x $AGENT ]] || die "$AGENT not found; build it: cmake --build $BUILD --target geosnap-agent"
    if [[ ! -x $RESTORE ]]; then
        [[ -n $1 ]] || die "$RESTORE not found; build it: cmake --build $BUILD --target geosnap-restore"
        die "$RESTORE not found; $1 (cmake --build $BUILD --target geosnap-restore)"
    fi
    "$RESTORE" keygen --help >/dev/null 2>&1 ||
        die "$RESTORE has no working 'keygen' command; it is needed to make $2"
}

# probe_ship WHAT: HAVE_SHIP=1 when geosnap-agent has a 'ship' command;
# else HAVE_SHIP=0 and the note "AGENT has no 'ship' commandWHAT".
probe_ship() {
    local rc=0 out
    HAVE_SHIP=1
    out=$("$AGENT" ship --help 2>&1) || rc=$?
    if [[ $rc -ne 0 && $out != *"geosnap-agent ship"* ]]; then
        HAVE_SHIP=0
        note "$AGENT has no 'ship' command$1"
    fi
}

# work_dirs: WORK and CORPUS_DIR (default WORK/corpus) made absolute.
work_dirs() {
    WORK=$(realpath -m -- "$WORK")
    [[ -n $CORPUS_DIR ]] || CORPUS_DIR=$WORK/corpus
    CORPUS_DIR=$(realpath -m -- "$CORPUS_DIR")
}

# plain_path PATH: PATH is absolute, of letters, digits and . _ / + - only
# (it goes into an INI file, an sftp batch file, a URL or a command line).
plain_path() { [[ $1 =~ ^/[A-Za-z0-9._/+-]+$ ]]; }

# fresh_work: the C locale; WORK/logs made and emptied, and the last run's
# measurements and results removed.
fresh_work() {
    export LC_ALL=C
    mkdir -p "$WORK" "$WORK/logs"
    rm -rf -- "$WORK/logs"/* "$WORK/measurements.jsonl" "$WORK/results.json"
}

# work_env: PASSFILE, the passphrase (WORK/passphrase, mode 0600, made once
# per work dir), KEYS (the keys' directory), MEAS and RESULTS (the
# measurements and results files); geosnap takes the passphrase from its
# file and no config from GEOSNAP_CONFIG, restic from RESTIC_PASSWORD.
work_env() {
    PASSFILE=$WORK/passphrase
    KEYS=$WORK/keys
    MEAS=$WORK/measurements.jsonl
    RESULTS=$WORK/results.json
    umask 077
    [[ -s $PASSFILE ]] || printf 'geosnap-bench-passphrase\n' >"$PASSFILE"
    chmod 600 "$PASSFILE"
    umask 022
    unset GEOSNAP_CONFIG
    export GEOSNAP_PASSPHRASE_FILE=$PASSFILE
    export RESTIC_PASSWORD=geosnap-bench-passphrase
}

# ensure_keys TENANT: TENANT's write and read keys in KEYS; unless both are
# there, KEYS is made anew by geosnap-restore keygen (KEYS_MADE=1, else 0).
# Dies when keygen fails.
ensure_keys() {
    KEYS_MADE=0
    [[ ! -f $KEYS/$1.write || ! -f $KEYS/$1.read ]] || return 0
    rm -rf -- "$KEYS"
    "$RESTORE" keygen --tenant "$1" --out "$KEYS" >"$WORK/logs/keygen.log" 2>&1 || {
        cat "$WORK/logs/keygen.log" >&2
        die "geosnap-restore keygen failed (log: $WORK/logs/keygen.log)"
    }
    KEYS_MADE=1
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

# timed LOG DIR CMD...: run CMD (in DIR; here when DIR is empty) under
# /usr/bin/time -v, its report in LOG.time, with stdin from /dev/null and
# all output in LOG.  Sets T_LOAD (the 1-minute load average just before),
# T_RC (CMD's exit status), T_WALL (seconds, ns clock) and, from the
# report, T_RSS, T_CPU and T_TWALL.
timed() {
    local log=$1 dir=$2 tf=$1.time t0 t1
    shift 2
    rm -f -- "$tf"
    read -r T_LOAD _ </proc/loadavg
    t0=$(now_ns)
    set +e
    if [[ -n $dir ]]; then
        (cd -- "$dir" && exec /usr/bin/time -v -o "$tf" "$@") </dev/null >"$log" 2>&1
    else
        /usr/bin/time -v -o "$tf" "$@" </dev/null >"$log" 2>&1
    fi
    T_RC=$?
    set -e
    t1=$(now_ns)
    T_WALL=$(wall_s "$t0" "$t1")
    time_v_fields "$tf"
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

# sshd_up [DIR...]: source $SSHD_SH (tests/lib/sshd.sh) and start its
# throwaway sshd in WORK/sshd, with WORK/repos, WORK/remote, WORK/cache
# and the DIRs made empty.  The EXIT trap stops sshd (the harness adds its
# own only when the trap in place does not name gs_sshd_stop) and removes
# the DIRs and, unless --keep (KEEP=1), WORK/repos, remote and cache; it
# runs without errexit.  Sets KEY (the client key), SSH_OPTS (ssh options
# that trust this sshd only) and SFTP_CMD (ssh running its sftp subsystem,
# for restic's sftp.command).
sshd_up() {
    SCRATCH=("$@")
    # shellcheck source-path=SCRIPTDIR/.. source=tests/lib/sshd.sh
    . "$SSHD_SH"
    # shellcheck disable=SC2154
    trap '_bench_rc=$?; set +e; gs_sshd_stop; cleanup; exit "$_bench_rc"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    rm -rf -- "$WORK/sshd" "$WORK/repos" "$WORK/remote" "$WORK/cache" "${SCRATCH[@]}"
    mkdir -p -- "$WORK/repos" "$WORK/remote" "$WORK/cache" "${SCRATCH[@]}"
    gs_sshd_start "$WORK/sshd" || die "the throwaway sshd did not start (log: $WORK/sshd/sshd.log)"
    note "sshd on 127.0.0.1:$GS_SSHD_PORT (pid $GS_SSHD_PID, user $GS_SSHD_USER)"
    KEY=$GS_SSHD_ID_ED25519
    SSH_OPTS=(-F /dev/null -i "$KEY" -o IdentitiesOnly=yes -o BatchMode=yes
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$GS_SSHD_KNOWN_HOSTS"
        -o GlobalKnownHostsFile=/dev/null)
    SFTP_CMD="ssh -p $GS_SSHD_PORT ${SSH_OPTS[*]} $GS_SSHD_USER@127.0.0.1 -s sftp"
}

# cleanup: the EXIT trap of sshd_up, without errexit.
# shellcheck disable=SC2317  # invoked from the trap
cleanup() {
    set +e
    gs_sshd_stop
    rm -rf -- "${SCRATCH[@]}"
    if [[ $KEEP -eq 0 ]]; then
        rm -rf -- "$WORK/repos" "$WORK/remote" "$WORK/cache"
    fi
}

# run_timed LOG [--warm] CMD...: for ship.sh and restore.sh, after sshd_up:
# unless --warm, sync and drop the page cache (drop_caches); then timed,
# with CMD under timeout --timeout (when killed, LOG says so and T_RC is
# timeout's).  Also sets T_SCPU (CPU seconds of sshd's sessions meanwhile)
# and T_CIPHERS (the cipher+MAC pairs sshd negotiated meanwhile, comma
# separated).
run_timed() {
    local log=$1 off c0
    shift
    if [[ $1 == --warm ]]; then
        shift
    else
        drop_caches
    fi
    off=$(stat -c %s -- "$GS_SSHD_LOG")
    c0=$(sshd_cpu)
    timed "$log" "" timeout -k 30 "$TIMEOUT" "$@"
    sshd_cpu_since "$c0"
    [[ $T_RC -ne 124 && $T_RC -ne 137 ]] || echo "bench: killed after --timeout $TIMEOUT s" >>"$log"
    # "debug1: kex: client->server cipher: C MAC: M compression: none"
    T_CIPHERS=$(tail -c +"$((off + 1))" -- "$GS_SSHD_LOG" |
        sed -n 's/.*kex: client->server cipher: \([^ ]*\) MAC: \([^ ]*\).*/\1 \2/p' |
        sed 's/ <implicit>$//; s/ /+/' | sort -u | paste -sd, -)
}

# write_config FILE REPO STATE REMOTE_DIR: an agent config in FILE: the
# repository REPO (its state in STATE) in eu-central, backing up $SRC for
# $TENANT, and the remote "bench" in eu-north: REMOTE_DIR on the test sshd
# over SFTP, with $CONNECTIONS connections.
write_config() {
    cat >"$1" <<EOF
[agent]
region = eu-central
repository = $2
state_dir = $3

[policy]
allowed_regions = eu-central, eu-north

[remote "bench"]
url = sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$4
identity = $KEY
known_hosts = $GS_SSHD_KNOWN_HOSTS
region = eu-north
connections = $CONNECTIONS

[tenant "$TENANT"]
source = $SRC
write_key = $KEYS/$TENANT.write
EOF
}

# same_tree SRC COPY OUT: COPY holds the same tree as SRC (diff -r, symbolic
# links compared as links); the differences, or diff's errors, in OUT.
same_tree() { diff -r --no-dereference -q -- "$1" "$2" >"$3" 2>&1; }

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

# warn_free GIB: a note when WORK has less than GIB GiB free, what the
# mixed corpus needs.
warn_free() {
    local free
    free=$(df -Pk -- "$WORK" | awk 'NR == 2 {print $4}')
    if [[ $free -lt $(($1 * 1024 * 1024)) ]]; then
        note "warning: only $((free / 1024 / 1024)) GiB free in $WORK; the mixed corpus needs about $1 GiB"
    fi
}

# build_meta PROGRAM KEY=VALUE...: print the results' "meta", one JSON
# object of strings: the date, host, cores, memory, the first line of
# PROGRAM --version (geosnap_version), BUILD with its build type, the
# sources it was made from and their commit if a git checkout, restic's
# and ssh's versions, then the KEY=VALUE pairs, in this order.
build_meta() {
    local prog=$1 src commit="not a git checkout"
    shift
    src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
    if [[ -n $src ]] && git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1; then
        commit=$(git -C "$src" log -1 --format='%h %s')
        [[ -z $(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null) ]] ||
            commit+=" (with uncommitted changes)"
    fi
    python3 - \
        date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" host="$(hostname)" nproc="$(nproc)" \
        mem_kib="$(awk '/MemTotal/ {print $2}' /proc/meminfo)" \
        geosnap_version="$("$prog" --version 2>&1 | head -n 1)" build="$BUILD" \
        build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)" \
        source_dir="$src" git_head="$commit" \
        restic_version="$(restic version 2>&1 | head -n 1)" ssh_version="$(ssh -V 2>&1)" \
        "$@" <<'PY'
import json, sys
print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))
PY
}

# run_py ARG...: python3 with ARGs, running the program on stdin after the
# helpers the scripts' results code shares.  Imports json, statistics and
# sys; med(xs), the median of the xs that are not None (None if none);
# read_meta(text, ints, bools), the meta of build_meta with nproc, mem_kib,
# runs, connections, sshd_port and the ints as numbers, drop_caches and
# the bools as booleans ("1" is true); write_results(path, obj), obj as
# indented JSON and a newline; print_table(title, hdr, body), the rows
# hdr and body in aligned columns (the first left-aligned) under title;
# print_head(name, meta), the report's first two lines (ship.sh,
# restore.sh); print_loads(meas, nproc), the load averages of meas.
run_py() {
    {
        cat <<'PY'
import json
import statistics
import sys


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def read_meta(text, ints=(), bools=()):
    meta = json.loads(text)
    for k in ("nproc", "mem_kib", "runs", "connections", "sshd_port") + tuple(ints):
        meta[k] = int(meta[k])
    for k in ("drop_caches",) + tuple(bools):
        meta[k] = meta[k] == "1"
    return meta


def write_results(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def print_table(title, hdr, body):
    w = [max(len(r[i]) for r in [hdr] + body) for i in range(len(hdr))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w[0]) if i == 0 else h.rjust(w[i]) for i, h in enumerate(hdr)))
    print("  ".join("-" * x for x in w))
    for r in body:
        print("  ".join(v.ljust(w[0]) if i == 0 else v.rjust(w[i]) for i, v in enumerate(r)))


def print_head(name, meta):
    runs = meta["runs"]
    print(f"\ngeosnap {name} benchmark  {meta['date']}  {meta['nproc']} cores  runs={runs}"
          f"{' (medians)' if runs > 1 else ''}  page cache "
          f"{'dropped before each timed command' if meta['drop_caches'] else 'NOT dropped'}")
    print(f"  {meta['geosnap_version']} ({meta['build_type'] or '?'} build of {meta['source_dir'] or '?'}: "
          f"{meta['git_head']})")


def print_loads(meas, nproc):
    loads = [m["load1"] for m in meas if "load1" in m]
    if loads:
        print(f"  1-min load average before the timed commands: median {statistics.median(loads):.2f}, "
              f"max {max(loads):.2f} (the tools alone bring it to about {nproc}; "
              f"much more means other jobs share the machine)")
PY
        cat
    } | python3 - "$@"
}
