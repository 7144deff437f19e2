#!/usr/bin/env bash
# Disaster-recovery restore speed (issue 8): geosnap-restore from the local
# repository and from a loopback SFTP remote, restic's restore from a local
# and from an SFTP repository, and `cp -a` of the same tree, interleaved,
# with a cold page cache before each timed command.  One throwaway sshd on
# 127.0.0.1 (tests/lib/sshd.sh) serves both remotes.  See the section
# "Restore benchmark: bench/restore.sh" in bench/README.md.
#
# Exit status: 0 all measured, 1 a tool failed or a restore did not match the
# corpus, 2 usage error or something missing (nothing is installed here).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh" # TOP, SSHD_SH, TENANT and shared option defaults
MAKE_CORPUS=${MAKE_CORPUS:-$TOP/../shared/bench/make_corpus.py}
# the timed commands of one round; round N starts with the Nth (rotating)
TOOLS=(geosnap-local geosnap-sftp restic-local restic-sftp cp)

BUILD=$TOP/build
WORK=/tmp/gsbench-restore
CORPUS=all
RUNS=3
SETTLE_S=65

usage() {
    cat <<EOF
usage: bench/restore.sh [--build DIR] [--work DIR] [--corpus mixed|small|all]
                        [--runs N] [--corpus-dir DIR] [--connections N]
                        [--timeout SEC] [--settle SEC] [--no-drop-caches] [--keep]

  --build DIR        where geosnap-agent and geosnap-restore are
                     (default $TOP/build)
  --work DIR         sshd, repositories, remote copies, restore targets,
                     logs, results.json (default /tmp/gsbench-restore)
  --corpus C         mixed, small or all (default all)
  --runs N           rounds per corpus; every tool runs once per round, each
                     round starting one tool later; the tables show medians
                     (default 3)
  --corpus-dir DIR   take the pristine corpora from DIR/mixed and DIR/small
                     (generated there if missing; default WORK/corpus)
  --connections N    [remote] connections of the geosnap remote (default 2)
  --timeout SEC      a timed command running longer is killed and counts
                     as failed (default 3600)
  --settle SEC       wait after removing a round's restored trees (default 65:
                     ext4 without a journal avoids reusing inodes freed less
                     than 60 s ago, which slows the next restore down)
  --no-drop-caches   keep the page cache between timed commands
  --keep             keep the repositories and remote copies at the end
EOF
}

declare -A OPTS=([--build]=BUILD [--work]=WORK [--corpus]=CORPUS [--runs]=RUNS
    [--corpus-dir]=CORPUS_DIR [--connections]=CONNECTIONS [--timeout]=TIMEOUT
    [--settle]=SETTLE_S [--no-drop-caches]=DROP=0 [--keep]=KEEP=1)
parse_opts "$@"
set_corpora
check_runs
check_connections
check_timeout
[[ $SETTLE_S =~ ^[0-9]+$ ]] || die "--settle must be a number of seconds, not '$SETTLE_S'"

# ------------------------------------------------------------ prerequisites

need_packages -u restic=restic ssh=openssh-client ssh-keygen=openssh-client /usr/sbin/sshd=openssh-server \
    /usr/bin/time=time timeout=coreutils python3=python3 diff=diffutils
[[ -f $SSHD_SH ]] || die "sshd harness not found: $SSHD_SH"

check_build "" "the keys"
rhelp=$("$RESTORE" restore --help 2>&1) ||
    die "$RESTORE has no working 'restore' command: nothing to measure"
HAVE_STATS=0
if [[ $rhelp == *--stats* ]]; then
    HAVE_STATS=1
else
    note "geosnap-restore restore has no --stats: KDF and restore-only time and memory are n/a"
fi
probe_ship ": the geosnap SFTP restore is n/a"

work_dirs
for d in "$WORK" "$CORPUS_DIR"; do
    plain_path "$d" ||
        die "'$d': --work and --corpus-dir must be absolute paths of letters, digits and . _ / + - only"
done
fresh_work

# Keys and passphrase as in bench/run.sh (work_env, ensure_keys): made once
# per work dir (the keys again when the Argon2id cost asked for changes).
# The read key's cost is GEOSNAP_PWHASH (default moderate, the product
# default): unsealing it is the KDF the restore pays once.
PWHASH=${GEOSNAP_PWHASH:-moderate}
work_env
export GEOSNAP_PWHASH=$PWHASH
FAILED=0

# ------------------------------------------------------------------ helpers

drop_caches_init "" "between timed commands"

# run_timed LOG CMD...: lib.sh.  T_RSS is the largest process of CMD's
# tree: the KDF child of geosnap-restore included.

# gs_stats LOG: the fields of geosnap-restore's last "stats:" line in LOG as
# stats_KEY=VALUE words (numbers only), or nothing.
gs_stats() {
    local line w
    line=$(grep '^geosnap-restore: stats: ' -- "$1" | tail -n 1 || true)
    [[ -n $line ]] || return 0
    for w in ${line#geosnap-restore: stats: }; do
        [[ $w =~ ^[a-z_]+=[0-9]+(\.[0-9]+)?$ ]] && printf 'stats_%s\n' "$w"
    done
    return 0
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# ------------------------------------------------------------------- corpus
# corpus_complete, ensure_corpus: lib.sh (a corpus is reused when
# DIR/NAME.complete exists or it passes the completeness check; otherwise
# make_corpus.py makes it)

# -------------------------------------------------------------------- setup

for c in "${CORPORA[@]}"; do
    ensure_corpus "$c"
done

if [[ -f $KEYS/$TENANT.write && -f $KEYS/$TENANT.read && $(cat "$KEYS/pwhash" 2>/dev/null) != "$PWHASH" ]]; then
    note "keys in $KEYS were made with another GEOSNAP_PWHASH: making new ones ($PWHASH)"
    rm -rf -- "$KEYS"
fi
ensure_keys "$TENANT"
[[ $KEYS_MADE -eq 0 ]] || echo "$PWHASH" >"$KEYS/pwhash"

# the sshd, and an EXIT trap that stops it, removes the restore targets
# and, unless --keep, the repositories and remote copies
sshd_up "$WORK/restore"

# Per corpus C: SRC (the pristine corpus, only read), BASE (local
# repositories and the geosnap config), REM (the remote copies, read over
# SFTP), BROKEN[tool] when its setup failed.
declare -A BROKEN

# restic_cmd local|sftp: set R to restic with the repository and a fresh,
# empty cache directory (a bare restore host has no cache).
restic_cmd() {
    local cache=$WORK/cache/restic-$1
    rm -rf -- "$cache"
    mkdir -p -- "$cache"
    case $1 in
    local) R=(restic -r "$BASE/restic" --cache-dir "$cache") ;;
    sftp) R=(restic -r "sftp:$GS_SSHD_USER@127.0.0.1:$REM/restic" -o sftp.command="$SFTP_CMD"
        --cache-dir "$cache") ;;
    esac
}

# setup_step C TOOL... -- CMD...: run CMD (not timed) into a log; when it
# fails, mark each TOOL broken.  Exit 0 and restic's 3 (some files could not
# be read) and geosnap-agent's 4 (finished with warnings) count as done.
setup_step() {
    local c=$1 name=$2 tools=() rc=0 log
    shift 2
    while [[ $1 != -- ]]; do
        tools+=("$1")
        shift
    done
    shift
    log=$WORK/logs/setup-$c-$name.log
    "$@" </dev/null >"$log" 2>&1 || rc=$?
    if [[ $rc -eq 0 ]] || [[ $rc -eq 3 && $1 == restic && $name == *backup* ]] ||
        [[ $rc -eq 4 && $1 == "$AGENT" ]]; then
        [[ $rc -eq 0 ]] || note "$c setup: $name finished with warnings (exit $rc, log: $log)"
        return 0
    fi
    note "$c setup: $name FAILED (exit $rc, log: $log); ${tools[*]} not measured"
    local t
    for t in "${tools[@]}"; do BROKEN[$t]=1; done
    FAILED=1
    return 0
}

setup_corpus() {
    local c=$1 t
    SRC=$CORPUS_DIR/$c
    BASE=$WORK/repos/$c
    REM=$WORK/remote/$c
    for t in "${TOOLS[@]}"; do BROKEN[$t]=; done
    rm -rf -- "$BASE" "$REM"
    # ship and restic's init need the remote's base directory
    mkdir -p -- "$BASE" "$REM/geosnap"
    read -r SRC_FILES SRC_BYTES < <(src_stats "$SRC")
    write_config "$BASE/geosnap.ini" "$BASE/geosnap" "$BASE/geosnap-state" "$REM/geosnap"
    note "$c setup (not timed): $SRC_FILES files, $(awk -v b="$SRC_BYTES" 'BEGIN {printf "%.3f", b / 2^30}') GiB: geosnap backup + ship, restic backup local and over SFTP"
    setup_step "$c" geosnap-init geosnap-local geosnap-sftp -- "$AGENT" -c "$BASE/geosnap.ini" init
    [[ -n ${BROKEN[geosnap-local]} ]] ||
        setup_step "$c" geosnap-backup geosnap-local geosnap-sftp -- "$AGENT" -v -c "$BASE/geosnap.ini" backup
    if [[ $HAVE_SHIP -eq 0 ]]; then
        BROKEN[geosnap-sftp]=na
    elif [[ -z ${BROKEN[geosnap-sftp]} ]]; then
        setup_step "$c" geosnap-ship geosnap-sftp -- "$AGENT" -v -c "$BASE/geosnap.ini" ship
    fi
    restic_cmd local
    setup_step "$c" restic-local-init restic-local -- "${R[@]}" init --repository-version 2
    [[ -n ${BROKEN[restic-local]} ]] ||
        setup_step "$c" restic-local-backup restic-local -- "${R[@]}" backup --compression auto --host bench "$SRC"
    restic_cmd sftp
    setup_step "$c" restic-sftp-init restic-sftp -- "${R[@]}" init --repository-version 2
    [[ -n ${BROKEN[restic-sftp]} ]] ||
        setup_step "$c" restic-sftp-backup restic-sftp -- "${R[@]}" backup --compression auto --host bench "$SRC"
    rm -rf -- "$WORK/cache"/*
}

# ---------------------------------------------------------------- measures

# measure_one RUN C TOOL: one timed restore into an empty target, then the
# target compared with the corpus (diff -r, not timed).
measure_one() {
    local run=$1 c=$2 tool=$3 log=$WORK/logs/run$1/$2-$3.log target=$WORK/restore/$3
    local root status verified=false stats=() extra=()
    if [[ -n ${BROKEN[$tool]} ]]; then
        status=failed
        [[ ${BROKEN[$tool]} != na ]] || status=na
        emit run="$run" corpus="$c" tool="$tool" status="$status"
        return 0
    fi
    [[ $HAVE_STATS -eq 0 ]] || extra=(--stats)
    rm -rf -- "$target"
    mkdir -p -- "$target"
    root=$target
    case $tool in
    geosnap-local)
        run_timed "$log" "$RESTORE" restore --repo "$BASE/geosnap" --tenant "$TENANT" \
            --key "$KEYS/$TENANT.read" --snapshot latest --target "$target" "${extra[@]}"
        ;;
    geosnap-sftp)
        run_timed "$log" "$RESTORE" -c "$BASE/geosnap.ini" restore --tenant "$TENANT" --from bench \
            --key "$KEYS/$TENANT.read" --snapshot latest --target "$target" "${extra[@]}"
        ;;
    restic-local | restic-sftp)
        restic_cmd "${tool#restic-}"
        run_timed "$log" "${R[@]}" restore latest --target "$target"
        root=$target$SRC # restic restores the source's absolute path below the target
        ;;
    cp)
        run_timed "$log" cp -a -- "$SRC/." "$target"
        ;;
    esac
    if [[ $T_RC -eq 0 ]] || [[ $T_RC -eq 4 && $tool == geosnap-* ]]; then
        status=ok
        [[ $T_RC -eq 0 ]] || status=warn
        if [[ ! -d $root ]]; then
            status=failed
            note "$c run $run: $tool restored nothing at $root (log: $log)"
        elif same_tree "$SRC" "$root" "$log.diff"; then
            verified=true
        else
            status=mismatch
            note "$c run $run: $tool: the restored tree DIFFERS from $SRC ($(wc -l <"$log.diff") lines in $log.diff)"
        fi
    else
        status=failed
        note "$c run $run: $tool FAILED (exit $T_RC, log: $log)"
    fi
    [[ $status == ok || $status == warn ]] || FAILED=1
    [[ $tool != geosnap-* ]] || mapfile -t stats < <(gs_stats "$log")
    emit run="$run" corpus="$c" tool="$tool" status="$status" verified="$verified" rc="$T_RC" \
        wall_s="$T_WALL" cpu_s="$T_CPU" sshd_cpu_s="$T_SCPU" rss_kib="$T_RSS" load1="$T_LOAD" \
        src_files="$SRC_FILES" src_bytes="$SRC_BYTES" has_stats="$([[ ${#stats[@]} -gt 0 ]] && echo true || echo false)" \
        "${stats[@]}" log="$log"
    local kdf='' w
    for w in "${stats[@]}"; do
        case $w in
        stats_kdf_s=*) kdf+=" kdf ${w#*=} s" ;;
        stats_kdf_peak_kib=*) kdf+=" $(mib "${w#*=}") MiB" ;;
        stats_run_s=*) kdf+=", restore ${w#*=} s" ;;
        stats_peak_kib=*) kdf+=" $(mib "${w#*=}") MiB" ;;
        esac
    done
    printf 'bench: %-5s run %d %-13s %8.2f s %8s MB/s  rss %7s MiB %s  %s\n' "$c" "$run" "$tool" \
        "$T_WALL" "$(mbps "$SRC_BYTES" "$T_WALL")" "$(mib "$T_RSS")" "$kdf" "$status" >&2
    # The target stays until the round ends (settle): deleting a tree just
    # before the next tool runs would slow that tool's file creation down.
}

# settle: remove the round's restored trees, then wait SETTLE_S seconds.
# ext4 without a journal (this machine's root) skips inodes deleted less
# than 60 s ago (300 s more while their bitmap is dirty) when it allocates
# new ones, so a tool that runs right after a large tree was deleted
# creates its files measurably slower.  Keeping every target of a round
# until the round ends, then syncing and letting that window pass, gives
# every timed command the same start.
settle() {
    rm -rf -- "$WORK/restore"
    sync
    note "settling ${SETTLE_S}s after removing the restored trees (ext4 inode reuse)"
    sleep "$SETTLE_S"
}

warn_free 12

: >"$MEAS"
for c in "${CORPORA[@]}"; do
    setup_corpus "$c"
    settle
    for ((run = 1; run <= RUNS; run++)); do
        mkdir -p -- "$WORK/logs/run$run"
        # Each round starts one tool later, so no tool always goes first.
        for ((k = 0; k < ${#TOOLS[@]}; k++)); do
            tool=${TOOLS[$(((k + run - 1) % ${#TOOLS[@]}))]}
            measure_one "$run" "$c" "$tool"
        done
        settle
    done
    emit type=corpus corpus="$c" files="$SRC_FILES" bytes="$SRC_BYTES" path="$SRC"
    [[ $KEEP -eq 1 ]] || rm -rf -- "$BASE" "$REM"
done

# ------------------------------------------------------------------ results

META=$(build_meta "$RESTORE" \
    runs="$RUNS" connections="$CONNECTIONS" drop_caches="$DROP_OK" have_stats="$HAVE_STATS" \
    have_ship="$HAVE_SHIP" pwhash="$PWHASH" corpus_dir="$CORPUS_DIR" sshd_port="$GS_SSHD_PORT")

run_py "$MEAS" "$WORK/results.json" "$META" <<'PY'
meas_path, results_path = sys.argv[1], sys.argv[2]
meta = read_meta(sys.argv[3], (), ("have_stats", "have_ship"))
rows = [json.loads(l) for l in open(meas_path) if l.strip()]
corpus_info = {r["corpus"]: r for r in rows if r.get("type") == "corpus"}
meas = [r for r in rows if "type" not in r]

TOOLS = ["geosnap-local", "geosnap-sftp", "restic-local", "restic-sftp", "cp"]
LABEL = {"geosnap-local": "geosnap-restore (local)",
         "geosnap-sftp": "geosnap-restore --from (SFTP)",
         "restic-local": "restic restore (local)",
         "restic-sftp": "restic restore (SFTP)",
         "cp": "cp -a"}
corpora = [c for c in ("mixed", "small") if c in corpus_info]


def summarize(c, tool):
    ms = [m for m in meas if m["corpus"] == c and m["tool"] == tool]
    ok = [m for m in ms if m["status"] in ("ok", "warn")]
    if ms and all(m["status"] == "na" for m in ms):
        status = "n/a"
    elif ms and len(ok) == len(ms):
        status = "verified"
    else:
        status = "FAILED" if ms else "n/a"
    s = {"status": status, "runs": len(ms), "runs_measured": len(ok),
         "failed_runs": [m["run"] for m in ms if m["status"] not in ("ok", "warn", "na")],
         "warnings": any(m["status"] == "warn" for m in ms)}
    s["seconds"] = med([m["wall_s"] for m in ok])
    nb = corpus_info[c]["bytes"]
    s["MBps"] = nb / 1e6 / s["seconds"] if s["seconds"] else None
    s["per_run_s"] = [m["wall_s"] for m in ok]
    s["rss_MiB"] = med([m["rss_kib"] / 1024 for m in ok])
    s["cpu_s"] = med([m["cpu_s"] for m in ok])
    s["sshd_cpu_s"] = med([m["sshd_cpu_s"] for m in ok])
    st = [m for m in ok if m.get("has_stats")]
    s["stats_runs"] = len(st)

    def sm(key, f=lambda v: v):
        return med([f(m[key]) for m in st if key in m])

    s["kdf_s"] = sm("stats_kdf_s")
    s["kdf_MiB"] = sm("stats_kdf_peak_kib", lambda v: v / 1024)
    s["restore_s"] = sm("stats_run_s")
    s["restore_rss_MiB"] = sm("stats_peak_kib", lambda v: v / 1024)
    s["read_MiB"] = sm("stats_read_bytes", lambda v: v / 2**20)
    s["read_requests"] = sm("stats_read_requests")
    s["packs"] = sm("stats_packs")
    # the wall time less the one-off key derivation
    s["seconds_without_kdf"] = med([m["wall_s"] - m["stats_kdf_s"] for m in st
                                    if "stats_kdf_s" in m])
    return s


summary = {c: {t: summarize(c, t) for t in TOOLS} for c in corpora}


def div(a, b):
    return a / b if a is not None and b else None


targets = []
for c in corpora:
    S = summary[c]
    g, gr = S["geosnap-local"], S["geosnap-sftp"]

    def t(name, value, need, strict, unit="", info=None):
        ok = None if value is None else (value < need if strict else value <= need)
        targets.append({"corpus": c, "target": name, "value": value, "need": need,
                        "cmp": "<" if strict else "<=", "unit": unit, "met": ok,
                        "without_kdf": info})

    t("geosnap restore: SFTP / local", div(gr["seconds"], g["seconds"]), 1.2, False,
      info=div(gr["seconds_without_kdf"], g["seconds_without_kdf"]))
    t("geosnap local restore / cp -a", div(g["seconds"], S["cp"]["seconds"]),
      1.1 if c == "mixed" else 1.2, False,
      info=div(g["seconds_without_kdf"], S["cp"]["seconds"]))
    t("geosnap / restic, local", div(g["seconds"], S["restic-local"]["seconds"]), 1.0, True,
      info=div(g["seconds_without_kdf"], S["restic-local"]["seconds"]))
    t("geosnap / restic, SFTP", div(gr["seconds"], S["restic-sftp"]["seconds"]), 1.0, True,
      info=div(gr["seconds_without_kdf"], S["restic-sftp"]["seconds"]))
    t("geosnap peak RSS without KDF, local", g["restore_rss_MiB"], 64, False, " MiB")
    t("geosnap peak RSS without KDF, SFTP", gr["restore_rss_MiB"], 64, False, " MiB")

write_results(results_path, {"meta": meta, "corpora": corpus_info, "summary": summary,
                              "targets": targets, "measurements": meas})

# ---- printing


def fmt(v, nd):
    return "n/a" if v is None else f"{v:.{nd}f}"


def table(title, rows, cols):
    hdr = ["restore"] + [h for h, _ in cols]
    body = [[name] + [fn(s) for _, fn in cols] for name, s in rows]
    print_table(title, hdr, body)


def cell(s, key, nd):
    if s["status"] != "verified":
        return s["status"]
    return fmt(s.get(key), nd)


def gcell(tool, key, nd):
    return lambda s: cell(s, key, nd) if s["_tool"].startswith("geosnap") else ""


print_head("restore", meta)
print(f"  {meta['restic_version']}; {meta['ssh_version']}")
print(f"  sshd 127.0.0.1:{meta['sshd_port']}; geosnap connections = {meta['connections']}; "
      f"read key Argon2id cost {meta['pwhash']}; --stats {'given' if meta['have_stats'] else 'not supported: KDF columns n/a'}")
print_loads(meas, meta["nproc"])

for c in corpora:
    ci = corpus_info[c]
    for tname, s in summary[c].items():
        s["_tool"] = tname
    cols = [("seconds", lambda s: cell(s, "seconds", 2)),
            ("MB/s", lambda s: cell(s, "MBps", 1)),
            ("RSS MiB", lambda s: cell(s, "rss_MiB", 1)),
            ("CPU s", lambda s: cell(s, "cpu_s", 2)),
            ("sshd CPU s", lambda s: cell(s, "sshd_cpu_s", 2) if s["_tool"].endswith("sftp") else ""),
            ("KDF s", gcell(None, "kdf_s", 2)),
            ("KDF MiB", gcell(None, "kdf_MiB", 1)),
            ("restore s", gcell(None, "restore_s", 2)),
            ("restore MiB", gcell(None, "restore_rss_MiB", 1)),
            ("read MiB", gcell(None, "read_MiB", 1)),
            ("requests", gcell(None, "read_requests", 0)),
            ("packs", gcell(None, "packs", 0)),
            ("per round s", lambda s: ", ".join(f"{x:.2f}" for x in s["per_run_s"]) or "-")]
    table(f"{c}: {ci['files']} files, {ci['bytes'] / 2**30:.3f} GiB ({ci['path']}), "
          f"into an empty directory",
          [(LABEL[t], summary[c][t]) for t in TOOLS], cols)
    for tname, s in summary[c].items():
        del s["_tool"]
        if s["failed_runs"]:
            print(f"  {LABEL[tname]}: FAILED or did not match the corpus in round(s) "
                  f"{s['failed_runs']} (see logs)")
        if s["warnings"]:
            print(f"  {LABEL[tname]}: finished with warnings (see logs)")
print("\n  seconds and RSS: the whole command (RSS: its largest process, the KDF child included);"
      "\n  KDF: the read key's Argon2id derivation; restore s / MiB: the restore after it"
      "\n  (geosnap-restore --stats); MB/s: corpus bytes / seconds")

print("\ntargets (issue 8)")
for t in targets:
    v = "n/a    " if t["met"] is None else ("met    " if t["met"] else "NOT met")
    val = "n/a" if t["value"] is None else fmt(t["value"], 1 if t["unit"] else 3) + t["unit"]
    extra = "" if t["without_kdf"] is None else f"  (without the KDF: {t['without_kdf']:.3f})"
    print(f"  {v}  {t['corpus']:<5}  {t['target']:<38} {val:>9} (need {t['cmp']} {t['need']}{t['unit']}){extra}")
print(f"\nresults: {results_path}")
PY

exit "$FAILED"
