#!/usr/bin/env bash
# Shipping to an SFTP remote: geosnap-agent ship against OpenSSH's sftp
# client, and backup + ship against restic's SFTP backend, all to one
# throwaway sshd on 127.0.0.1 (tests/lib/sshd.sh).  See the section
# "Shipping: bench/ship.sh" in bench/README.md for what is measured.
#
# Exit status: 0 all measured, 1 a tool failed or a copy did not match,
# 2 usage error or something missing (nothing is installed here).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh" # TOP, SSHD_SH, TENANT and shared option defaults
MAKE_CORPUS=${MAKE_CORPUS:-$TOP/../shared/bench/make_corpus.py}

BUILD=$TOP/build
WORK=/tmp/gsbench-ship
RUNS=3

usage() {
    cat <<EOF
usage: bench/ship.sh [--build DIR] [--work DIR] [--runs N] [--corpus-dir DIR]
                     [--connections N] [--timeout SEC] [--no-drop-caches] [--keep]

  --build DIR        where geosnap-agent and geosnap-restore are
                     (default $TOP/build)
  --work DIR         sshd, repositories, remote copies, logs, results.json
                     (default /tmp/gsbench-ship)
  --runs N           rounds; every tool runs once per round, the tables
                     show medians (default 3)
  --corpus-dir DIR   take the pristine corpus from DIR/mixed, generating it
                     there if missing (default WORK/corpus)
  --connections N    [remote] connections of geosnap-agent ship (default 2)
  --timeout SEC      a timed command running longer is killed and counts
                     as failed (default 3600)
  --no-drop-caches   keep the page cache between timed commands
  --keep             keep the repositories and remote copies at the end
EOF
}

declare -A OPTS=([--build]=BUILD [--work]=WORK [--runs]=RUNS [--corpus-dir]=CORPUS_DIR
    [--connections]=CONNECTIONS [--timeout]=TIMEOUT [--no-drop-caches]=DROP=0 [--keep]=KEEP=1)
parse_opts "$@"
check_runs
check_connections
check_timeout

# ------------------------------------------------------------ prerequisites

need_packages -u restic=restic sftp=openssh-client ssh-keygen=openssh-client \
    /usr/sbin/sshd=openssh-server /usr/bin/time=time timeout=coreutils python3=python3
[[ -f $MAKE_CORPUS ]] || die "corpus generator not found: $MAKE_CORPUS (set MAKE_CORPUS=PATH)"
[[ -f $SSHD_SH ]] || die "sshd harness not found: $SSHD_SH"

check_build "its keygen command makes the agent's write key" "the agent's write key"
probe_ship " yet: the geosnap columns are n/a"

work_dirs
plain_path "$WORK" ||
    die "--work must be an absolute path of letters, digits and . _ / + - only, not '$WORK'"
fresh_work

work_env
export GEOSNAP_PWHASH=interactive # sets the read key's cost; nothing here unseals it
RESTIC_CACHE=$WORK/cache/restic
FAILED=0

# ------------------------------------------------------------------ helpers

drop_caches_init "" ""
# run_timed (the sshd's CPU and ciphers too): lib.sh

# objects DIR: "PATH SIZE" of each repository object below DIR (the config,
# packs, index segments and snapshots of every tenant; no lock, no
# .gstmp- temporaries), sorted.
OBJ_RE='\./\(config\|tenants/[^/]*/\(packs/[0-9a-f][0-9a-f]\|index\|snapshots\)/[^/.][^/]*\)'
objects() {
    (cd -- "$1" && find . -type f -regex "$OBJ_RE" -printf '%P %s\n') | sort
}

# check_copy LOG LOCAL REMOTE [full]: REMOTE holds exactly LOCAL's objects
# (names and sizes; with "full" also the bytes), and nothing else but
# .gstmp- temporaries, which are counted.  Sets C_TMP.
check_copy() {
    local log=$1 loc=$2 rem=$3 full=${4:-} bad=0 p
    C_TMP=$(find "$rem" -type f -name '.gstmp-*' | wc -l)
    if ! diff <(objects "$loc") <(objects "$rem") >"$log.check" 2>&1; then
        note "  $rem does not hold the same objects as $loc ($log.check)"
        return 1
    fi
    if [[ -n $(cd -- "$rem" && find . -type f ! -regex "$OBJ_RE" ! -name '.gstmp-*' -print -quit) ]]; then
        (cd -- "$rem" && find . -type f ! -regex "$OBJ_RE" ! -name '.gstmp-*') >"$log.check"
        note "  $rem holds files that are not objects ($log.check)"
        return 1
    fi
    if [[ $full == full ]]; then
        while read -r p _; do
            cmp -s -- "$loc/$p" "$rem/$p" || {
                echo "differs: $p" >>"$log.check"
                bad=1
            }
        done < <(objects "$loc")
        [[ $bad -eq 0 ]] || {
            note "  $rem: some objects differ from $loc ($log.check)"
            return 1
        }
    fi
    return 0
}

# ------------------------------------------------------------------- corpus

# corpus_complete, ensure_corpus: lib.sh (the mixed corpus only here)
CORPUS_TAKES="a minute or more"

# -------------------------------------------------------------------- setup

ensure_corpus mixed
SRC=$CORPUS_DIR/mixed
read -r SRC_FILES SRC_BYTES < <(src_stats "$SRC")

ensure_keys "$TENANT"

# the sshd, and an EXIT trap that stops it and, unless --keep, removes the
# repositories and remote copies (no scratch directories here);
# write_config: lib.sh
# shellcheck disable=SC2119
sshd_up

# The repository whose objects measurement 1 moves: one backup of the
# corpus, made once (not timed).
BASE=$WORK/repos/base
SHIP_G=$WORK/remote/ship-geosnap
SHIP_S=$WORK/remote/ship-sftp
# init may check that the remote's base directory exists
mkdir -p -- "$BASE" "$SHIP_G"
write_config "$BASE/geosnap.ini" "$BASE/repo" "$BASE/state" "$SHIP_G"
note "making the repository to ship: geosnap-agent backup of $SRC ($SRC_FILES files, $(awk -v b="$SRC_BYTES" 'BEGIN {printf "%.2f", b / 1073741824}') GiB)"
"$AGENT" -c "$BASE/geosnap.ini" init </dev/null >"$WORK/logs/base-init.log" 2>&1 ||
    die "geosnap-agent init failed (log: $WORK/logs/base-init.log)"
rc=0
"$AGENT" -v -c "$BASE/geosnap.ini" backup </dev/null >"$WORK/logs/base-backup.log" 2>&1 || rc=$?
[[ $rc -eq 0 || $rc -eq 4 ]] || die "geosnap-agent backup failed (exit $rc, log: $WORK/logs/base-backup.log)"
objects "$BASE/repo" >"$WORK/ship-set.txt"
read -r SHIP_FILES SHIP_BYTES < <(awk '{n++; s+=$2} END {printf "%d %d\n", n, s}' "$WORK/ship-set.txt")
note "ship set: $SHIP_FILES objects, $(awk -v b="$SHIP_BYTES" 'BEGIN {printf "%.1f", b / 1048576}') MiB"

# sftp batch files for the same objects: the directories, then one put per
# object in the order ship sends them (config, packs, index, snapshots).
# put_batch FILE FLAGS
put_batch() {
    local out=$1 flags=$2 p
    {
        printf 'mkdir "%s/tenants"\nmkdir "%s/tenants/%s"\n' "$SHIP_S" "$SHIP_S" "$TENANT"
        sed -n 's|^tenants/[^/]*/\([a-z]*\)/.*|\1|p' "$WORK/ship-set.txt" | sort -u |
            while read -r p; do printf 'mkdir "%s/tenants/%s/%s"\n' "$SHIP_S" "$TENANT" "$p"; done
        sed -n 's|^\(tenants/[^/]*/packs/[0-9a-f][0-9a-f]\)/.*|\1|p' "$WORK/ship-set.txt" | sort -u |
            while read -r p; do printf 'mkdir "%s/%s"\n' "$SHIP_S" "$p"; done
        for kind in config '/packs/' '/index/' '/snapshots/'; do
            awk -v k="$kind" 'index($1, k)' "$WORK/ship-set.txt" | while read -r p _; do
                printf 'put %s "%s/%s" "%s/%s"\n' "$flags" "$BASE/repo" "$p" "$SHIP_S" "$p"
            done
        done
    } >"$out"
}
put_batch "$WORK/sftp-put.batch" ""
put_batch "$WORK/sftp-put-f.batch" "-f"

# ---------------------------------------------------------------- measures

SHIP_TOOLS=(geosnap sftp sftp-fsync)
E2E_TOOLS=(geosnap restic)

# rotate N WORDS...: the words, rotated left by N (the order of one round)
rotate() {
    local n=$1
    shift
    local a=("$@")
    n=$((n % ${#a[@]}))
    printf '%s\n' "${a[@]:n}" "${a[@]:0:n}"
}

status_of() { # TOOL RC
    if [[ $2 -eq 0 ]]; then
        echo ok
    elif [[ $1 == geosnap-backup && $2 -eq 4 ]] || [[ $1 == restic && $2 -eq 3 ]]; then
        echo warn
    else
        echo failed
    fi
}

# ship_one RUN TOOL: measurement 1, one tool, into an empty remote directory.
ship_one() {
    local run=$1 tool=$2 log=$WORK/logs/run$1/ship-$2.log rem status full=
    [[ $run -eq 1 ]] && full=full
    case $tool in
    geosnap)
        rem=$SHIP_G
        if [[ $HAVE_SHIP -eq 0 ]]; then
            emit run="$run" bench=ship tool="$tool" status=na
            return 0
        fi
        rm -rf -- "$rem" "$BASE/state/pending-verify"
        mkdir -p -- "$rem"
        run_timed "$log" "$AGENT" -v -c "$BASE/geosnap.ini" ship
        ;;
    sftp | sftp-fsync)
        rem=$SHIP_S
        rm -rf -- "$rem"
        mkdir -p -- "$rem"
        local batch=$WORK/sftp-put.batch
        [[ $tool == sftp ]] || batch=$WORK/sftp-put-f.batch
        run_timed "$log" sftp -q -b "$batch" -P "$GS_SSHD_PORT" "${SSH_OPTS[@]}" "$GS_SSHD_USER@127.0.0.1"
        ;;
    esac
    status=$(status_of "$tool" "$T_RC")
    C_TMP=0
    if [[ $status == ok ]] && ! check_copy "$log" "$BASE/repo" "$rem" $full; then
        status=mismatch
    fi
    [[ $status == ok ]] || FAILED=1
    [[ $status != failed ]] || note "run $run ship: $tool FAILED (exit $T_RC, log: $log)"
    emit run="$run" bench=ship tool="$tool" status="$status" rc="$T_RC" wall_s="$T_WALL" \
        cpu_s="$T_CPU" sshd_cpu_s="$T_SCPU" rss_kib="$T_RSS" load1="$T_LOAD" bytes="$SHIP_BYTES" files="$SHIP_FILES" \
        gstmp_left="$C_TMP" content_checked="$([[ -n $full ]] && echo true || echo false)" \
        ciphers="$T_CIPHERS" log="$log"
    printf 'bench: run %d ship %-10s %8.2f s %8s MB/s  cpu %.2f s, sshd %.2f s  %s  %s\n' "$run" "$tool" \
        "$T_WALL" "$(mbps "$SHIP_BYTES" "$T_WALL")" "$T_CPU" "$T_SCPU" "${T_CIPHERS:-?}" "$status" >&2
    rm -rf -- "$rem"
}

# e2e_one RUN TOOL: measurement 2, one tool: backup of the corpus into fresh
# repositories, ending on the remote.
e2e_one() {
    local run=$1 tool=$2 d=$WORK/repos/e2e log=$WORK/logs/run$1/e2e-$2 status rb=0
    local rem=$WORK/remote/e2e-$tool rc
    rm -rf -- "$d" "$rem" "$RESTIC_CACHE"
    case $tool in
    geosnap)
        if [[ $HAVE_SHIP -eq 0 ]]; then
            emit run="$run" bench=e2e tool="$tool" status=na
            return 0
        fi
        mkdir -p -- "$d" "$rem"
        write_config "$d/geosnap.ini" "$d/repo" "$d/state" "$rem"
        rc=0
        "$AGENT" -c "$d/geosnap.ini" init </dev/null >"$log-init.log" 2>&1 || rc=$?
        if [[ $rc -ne 0 ]]; then
            note "run $run e2e: geosnap init failed (exit $rc, log: $log-init.log)"
            FAILED=1
            emit run="$run" bench=e2e tool="$tool" status=failed rc="$rc" log="$log-init.log"
            return 0
        fi
        run_timed "$log-backup.log" "$AGENT" -v -c "$d/geosnap.ini" backup
        local b_wall=$T_WALL b_cpu=$T_CPU b_rss=$T_RSS b_rc=$T_RC load=$T_LOAD
        status=$(status_of geosnap-backup "$b_rc")
        local s_wall=0 s_cpu=0 s_rss=0 s_rc=-1 s_scpu=0 ciphers=
        if [[ $status != failed ]]; then
            # straight after the backup, as in the nightly run: no sync, no drop
            run_timed "$log-ship.log" --warm "$AGENT" -v -c "$d/geosnap.ini" ship
            s_wall=$T_WALL s_cpu=$T_CPU s_rss=$T_RSS s_rc=$T_RC s_scpu=$T_SCPU ciphers=$T_CIPHERS
            [[ $s_rc -eq 0 ]] || status=failed
        fi
        C_TMP=0
        if [[ $status != failed ]] && ! check_copy "$log-ship.log" "$d/repo" "$rem"; then
            status=mismatch
        fi
        [[ $status == failed ]] && note "run $run e2e: geosnap FAILED (backup exit $b_rc, ship exit $s_rc, logs: $log-*.log)"
        [[ $status == ok || $status == warn ]] || FAILED=1
        rb=$(du -sb -- "$rem" | cut -f1)
        emit run="$run" bench=e2e tool="$tool" status="$status" rc="$b_rc" ship_rc="$s_rc" \
            wall_s="$(awk -v a="$b_wall" -v b="$s_wall" 'BEGIN {printf "%.3f", a + b}')" \
            backup_s="$b_wall" ship_s="$s_wall" cpu_s="$(awk -v a="$b_cpu" -v b="$s_cpu" 'BEGIN {printf "%.2f", a + b}')" \
            backup_cpu_s="$b_cpu" ship_cpu_s="$s_cpu" sshd_cpu_s="$s_scpu" rss_kib="$((b_rss > s_rss ? b_rss : s_rss))" \
            backup_rss_kib="$b_rss" ship_rss_kib="$s_rss" load1="$load" src_bytes="$SRC_BYTES" \
            src_files="$SRC_FILES" remote_bytes="$rb" gstmp_left="$C_TMP" ciphers="$ciphers" \
            log="$log-backup.log"
        printf 'bench: run %d e2e  %-10s %8.2f s %8s MB/s  (backup %.2f s + ship %.2f s)  remote %.1f MiB  %s\n' \
            "$run" geosnap "$(awk -v a="$b_wall" -v b="$s_wall" 'BEGIN {print a + b}')" \
            "$(mbps "$SRC_BYTES" "$(awk -v a="$b_wall" -v b="$s_wall" 'BEGIN {print a + b}')")" \
            "$b_wall" "$s_wall" "$(awk -v b="$rb" 'BEGIN {print b / 1048576}')" "$status" >&2
        ;;
    restic)
        mkdir -p -- "$RESTIC_CACHE"
        local repo=sftp:$GS_SSHD_USER@127.0.0.1:$rem
        R=(restic -r "$repo" -o sftp.command="$SFTP_CMD" --cache-dir "$RESTIC_CACHE")
        rc=0
        "${R[@]}" init --repository-version 2 </dev/null >"$log-init.log" 2>&1 || rc=$?
        if [[ $rc -ne 0 ]]; then
            note "run $run e2e: restic init failed (exit $rc, log: $log-init.log)"
            FAILED=1
            emit run="$run" bench=e2e tool="$tool" status=failed rc="$rc" log="$log-init.log"
            return 0
        fi
        run_timed "$log-backup.log" "${R[@]}" backup --compression auto --host bench "$SRC"
        status=$(status_of restic "$T_RC")
        if [[ $status != failed ]]; then
            # not timed: one snapshot must be listed
            if ! "${R[@]}" snapshots --json </dev/null 2>"$log-snapshots.err" |
                python3 -c 'import json,sys; sys.exit(len(json.load(sys.stdin)) != 1)'; then
                note "run $run e2e: restic lists no snapshot after its backup ($log-snapshots.err)"
                status=mismatch
            fi
        else
            note "run $run e2e: restic FAILED (exit $T_RC, log: $log-backup.log)"
        fi
        [[ $status == ok || $status == warn ]] || FAILED=1
        rb=$(du -sb -- "$rem" | cut -f1)
        emit run="$run" bench=e2e tool="$tool" status="$status" rc="$T_RC" wall_s="$T_WALL" \
            cpu_s="$T_CPU" sshd_cpu_s="$T_SCPU" rss_kib="$T_RSS" load1="$T_LOAD" src_bytes="$SRC_BYTES" \
            src_files="$SRC_FILES" remote_bytes="$rb" ciphers="$T_CIPHERS" log="$log-backup.log"
        printf 'bench: run %d e2e  %-10s %8.2f s %8s MB/s  remote %.1f MiB  %s\n' "$run" restic \
            "$T_WALL" "$(mbps "$SRC_BYTES" "$T_WALL")" "$(awk -v b="$rb" 'BEGIN {print b / 1048576}')" "$status" >&2
        ;;
    esac
    rm -rf -- "$d" "$rem" "$RESTIC_CACHE"
}

for ((run = 1; run <= RUNS; run++)); do
    mkdir -p -- "$WORK/logs/run$run"
    # the order rotates from round to round, so no tool always goes first
    while read -r tool; do ship_one "$run" "$tool"; done < <(rotate $((run - 1)) "${SHIP_TOOLS[@]}")
    while read -r tool; do e2e_one "$run" "$tool"; done < <(rotate $((run - 1)) "${E2E_TOOLS[@]}")
done

# ------------------------------------------------------------------ results

META=$(build_meta "$AGENT" \
    libssh2_version="$(dpkg-query -W -f='${Version}' libssh2-1 2>/dev/null || echo '?')" \
    runs="$RUNS" connections="$CONNECTIONS" drop_caches="$DROP_OK" have_ship="$HAVE_SHIP" \
    corpus="$SRC" corpus_files="$SRC_FILES" corpus_bytes="$SRC_BYTES" \
    ship_files="$SHIP_FILES" ship_bytes="$SHIP_BYTES" sshd_port="$GS_SSHD_PORT")

run_py "$MEAS" "$RESULTS" "$META" <<'PY'
meas_path, results_path = sys.argv[1], sys.argv[2]
meta = read_meta(sys.argv[3], ("corpus_files", "corpus_bytes", "ship_files", "ship_bytes"),
                 ("have_ship",))
meas = [json.loads(l) for l in open(meas_path) if l.strip()]


def summarize(bench, tool, nbytes_key):
    ms = [m for m in meas if m["bench"] == bench and m["tool"] == tool]
    ok = [m for m in ms if m["status"] in ("ok", "warn")]
    s = {"runs_measured": len(ok), "runs": len(ms),
         "status": "n/a" if ms and all(m["status"] == "na" for m in ms)
         else ("ok" if ok and len(ok) == len(ms) else ("FAILED" if ms else "n/a")),
         "failed_runs": [m["run"] for m in ms if m["status"] not in ("ok", "warn", "na")],
         "warnings": any(m["status"] == "warn" for m in ms)}
    s["seconds"] = med([m["wall_s"] for m in ok])
    nb = med([m.get(nbytes_key) for m in ok])
    s["MBps"] = nb / 1e6 / s["seconds"] if nb and s["seconds"] else None
    s["per_run_MBps"] = [round(m[nbytes_key] / 1e6 / m["wall_s"], 1) for m in ok if m["wall_s"]]
    s["per_run_s"] = [m["wall_s"] for m in ok]
    s["cpu_s"] = med([m.get("cpu_s") for m in ok])
    s["sshd_cpu_s"] = med([m.get("sshd_cpu_s") for m in ok])
    s["rss_MiB"] = med([m["rss_kib"] / 1024 for m in ok])
    s["ciphers"] = sorted({c for m in ok for c in m.get("ciphers", "").split(",") if c})
    for k in ("backup_s", "ship_s", "backup_cpu_s", "ship_cpu_s"):
        if any(k in m for m in ok):
            s[k] = med([m.get(k) for m in ok])
    if any("remote_bytes" in m for m in ok):
        s["remote_MiB"] = med([m["remote_bytes"] / 2**20 for m in ok])
    if any("gstmp_left" in m for m in ok):
        s["gstmp_left_max"] = max(m.get("gstmp_left", 0) for m in ok)
    return s


summary = {"ship": {t: summarize("ship", t, "bytes") for t in ("geosnap", "sftp", "sftp-fsync")},
           "e2e": {t: summarize("e2e", t, "src_bytes") for t in ("geosnap", "restic")}}
sh, e2 = summary["ship"], summary["e2e"]


def div(a, b):
    return a / b if a is not None and b else None


summary["ratios"] = {
    "ship_MBps_geosnap/sftp": div(sh["geosnap"]["MBps"], sh["sftp"]["MBps"]),
    "ship_MBps_geosnap/sftp-fsync": div(sh["geosnap"]["MBps"], sh["sftp-fsync"]["MBps"]),
    "e2e_seconds_restic/geosnap": div(e2["restic"]["seconds"], e2["geosnap"]["seconds"]),
}


def cpu_total(s):
    if s["cpu_s"] is None or s["sshd_cpu_s"] is None:
        return None
    return s["cpu_s"] + s["sshd_cpu_s"]


# CPU seconds of client + sshd for the same work: less sensitive to other
# jobs than wall time, and what bounds a CPU-bound loopback transfer
summary["ratios"]["ship_cpu_geosnap/sftp"] = div(cpu_total(sh["geosnap"]), cpu_total(sh["sftp"]))
summary["ratios"]["e2e_cpu_restic/geosnap"] = div(cpu_total(e2["restic"]), cpu_total(e2["geosnap"]))
targets = []
for name, key, need in (("ship throughput >= 0.8x OpenSSH sftp put", "ship_MBps_geosnap/sftp", 0.8),
                        ("backup + ship >= 1.5x faster than restic over SFTP",
                         "e2e_seconds_restic/geosnap", 1.5)):
    r = summary["ratios"][key]
    targets.append({"target": name, "ratio": key, "value": r, "need": need,
                    "pass": None if r is None else r >= need})

write_results(results_path, {"meta": meta, "summary": summary, "targets": targets,
                              "measurements": meas})


def fmt(v, nd):
    return "-" if v is None else f"{v:.{nd}f}"


def table(title, rows, cols):
    hdr = ["tool"] + [c[0] for c in cols]
    body = [[name] + [c[1](s) for c in cols] for name, s in rows]
    print_table(title, hdr, body)


def cell(s, key, nd):
    if s["status"] in ("n/a",) or s["runs_measured"] == 0:
        return s["status"] if s["status"] != "ok" else "-"
    return fmt(s.get(key), nd)


print_head("ship", meta)
print(f"  "
      f"{meta['restic_version']}; {meta['ssh_version']}; libssh2 {meta['libssh2_version']}")
print(f"  sshd 127.0.0.1:{meta['sshd_port']}; geosnap connections = {meta['connections']}")
print_loads(meas, meta["nproc"])

cols = [("MB/s", lambda s: cell(s, "MBps", 1)), ("seconds", lambda s: cell(s, "seconds", 2)),
        ("client CPU s", lambda s: cell(s, "cpu_s", 2)), ("sshd CPU s", lambda s: cell(s, "sshd_cpu_s", 2)),
        ("RSS MiB", lambda s: cell(s, "rss_MiB", 1)),
        ("per round MB/s", lambda s: ", ".join(f"{x:.1f}" for x in s["per_run_MBps"]) or "-"),
        ("cipher+MAC", lambda s: ",".join(s["ciphers"]) or "-")]
table(f"1. ship: {meta['ship_files']} objects, {meta['ship_bytes'] / 2**20:.1f} MiB "
      f"(one geosnap backup of the corpus) into an empty remote directory",
      [("geosnap ship", sh["geosnap"]), ("sftp put", sh["sftp"]),
       ("sftp put -f (fsync)", sh["sftp-fsync"])], cols)
r = summary["ratios"]
def x(v):
    return "n/a" if v is None else f"{v:.2f}x"


print(f"  geosnap/sftp {x(r['ship_MBps_geosnap/sftp'])},  "
      f"geosnap/sftp-fsync {x(r['ship_MBps_geosnap/sftp-fsync'])}  (throughput; above 1, geosnap is faster)")
print(f"  CPU seconds, client + sshd: geosnap/sftp {x(r['ship_cpu_geosnap/sftp'])}  (below 1, geosnap needs less)")

cols = [("seconds", lambda s: cell(s, "seconds", 2)), ("MB/s", lambda s: cell(s, "MBps", 1)),
        ("backup s", lambda s: cell(s, "backup_s", 2) if "backup_s" in s else "-"),
        ("ship s", lambda s: cell(s, "ship_s", 2) if "ship_s" in s else "-"),
        ("client CPU s", lambda s: cell(s, "cpu_s", 2)), ("sshd CPU s", lambda s: cell(s, "sshd_cpu_s", 2)),
        ("RSS MiB", lambda s: cell(s, "rss_MiB", 1)),
        ("per round s", lambda s: ", ".join(f"{x:.1f}" for x in s["per_run_s"]) or "-"), ("remote MiB", lambda s: cell(s, "remote_MiB", 1))]
table(f"2. backup + ship of the mixed corpus: {meta['corpus_files']} files, "
      f"{meta['corpus_bytes'] / 2**30:.3f} GiB, fresh repositories",
      [("geosnap backup+ship", e2["geosnap"]), ("restic sftp:", e2["restic"])], cols)
print(f"  restic/geosnap time {x(r['e2e_seconds_restic/geosnap'])}  (above 1, geosnap is faster)")
print(f"  CPU seconds, client + sshd: restic/geosnap {x(r['e2e_cpu_restic/geosnap'])}  (above 1, geosnap needs less)")

for b in summary:
    if b == "ratios":
        continue
    for t, s in summary[b].items():
        if s["failed_runs"]:
            print(f"  {b} {t} FAILED or mismatched in round(s) {s['failed_runs']} (see logs)")
        if s.get("gstmp_left_max"):
            print(f"  {b} {t}: up to {s['gstmp_left_max']} .gstmp- temporaries left on the remote")

print("\ntargets")
for t in targets:
    v = "n/a " if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")
    print(f"  {v}  {t['target']:<52} {fmt(t['value'], 2)} (need >= {t['need']})")
print(f"\nresults: {results_path}")
PY

exit "$FAILED"
