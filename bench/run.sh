#!/usr/bin/env bash
# geosnap-agent against restic and borg on the deterministic corpora of
# ../shared/bench/make_corpus.py.  See bench/README.md for what is measured.
#
# Exit status: 0 all measured, 1 a tool failed or a restore did not match its
# source, 2 usage error or something missing (nothing is installed here).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"
MAKE_CORPUS=${MAKE_CORPUS:-$SCRIPT_DIR/../../shared/bench/make_corpus.py}
TOOLS=(geosnap restic borg)
NIGHTS=5

BUILD=/work/main/build
WORK=/tmp/gsbench
CORPUS=all
RUNS=1

usage() {
    cat <<EOF
usage: bench/run.sh [--build DIR] [--work DIR] [--corpus mixed|small|all]
                    [--runs N] [--corpus-dir DIR] [--no-drop-caches]

  --build DIR       where geosnap-agent and geosnap-restore are
                    (default /work/main/build)
  --work DIR        repositories, working copies, logs, results.json
                    (default /tmp/gsbench)
  --corpus C        mixed, small or all (default all)
  --runs N          repeat everything N times; the table shows medians
                    (default 1)
  --corpus-dir DIR  take the pristine corpora from DIR/mixed and DIR/small
                    (generated there if missing; default WORK/corpus)
  --no-drop-caches  keep the page cache between timed commands
EOF
}

declare -A OPTS=([--build]=BUILD [--work]=WORK [--corpus]=CORPUS [--runs]=RUNS
    [--corpus-dir]=CORPUS_DIR [--no-drop-caches]=DROP=0)
parse_opts "$@"
set_corpora
check_runs

# ------------------------------------------------------------ prerequisites

need_packages restic=restic borg=borgbackup /usr/bin/time=time python3=python3 diff=diffutils
[[ -f $MAKE_CORPUS ]] || die "corpus generator not found: $MAKE_CORPUS (set MAKE_CORPUS=PATH)"

check_build "the benchmark needs its keygen command to make the agent's write key" "the agent's write key"
HAVE_GS_RESTORE=1
if ! "$RESTORE" restore --help >/dev/null 2>&1; then
    HAVE_GS_RESTORE=0
    note "$RESTORE has no 'restore' command yet: geosnap restore reported as n/a"
fi

work_dirs
mkdir -p "$WORK" "$WORK/logs"

# Everything the tools need in their environment (work_env and borg's);
# nothing reads ~/.cache or ~/.config outside WORK.
work_env
export BORG_PASSPHRASE=geosnap-bench-passphrase
export BORG_BASE_DIR=$WORK/cache/borg
export BORG_DISPLAY_PASSPHRASE=no
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
RESTIC_CACHE=$WORK/cache/restic
FAILED=0

# ------------------------------------------------------------------ helpers

drop_caches_init "between phases" "between phases"

repo_bytes() { du -sb -- "$1" | cut -f1; }

# Exit statuses each tool uses for "finished, with warnings".
warn_rc() {
    case $1 in
    geosnap) [[ $2 -eq 4 ]] ;;
    restic) [[ $2 -eq 3 ]] ;;
    borg) [[ $2 -eq 1 ]] ;;
    *) return 1 ;;
    esac
}

# ------------------------------------------------------------------- corpus

# corpus_complete, ensure_corpus: lib.sh

# ------------------------------------------------------------------- tools

# Per corpus C: repositories below $WORK/repos/C, the directory backed up in
# SRC[C].
declare -A SRC BROKEN LAST_PHASE

setup_corpus() {
    local c=$1 run=$2 base=$WORK/repos/$1 logd=$WORK/logs/run$2
    rm -rf -- "$base" "$RESTIC_CACHE" "$BORG_BASE_DIR"
    mkdir -p -- "$base" "$logd" "$RESTIC_CACHE" "$BORG_BASE_DIR"
    if [[ $c == mixed ]]; then
        # make_corpus.py mutate works in place: the nights run on a copy.
        SRC[$c]=$WORK/data/mixed
        rm -rf -- "${SRC[$c]}"
        mkdir -p -- "$WORK/data"
        note "run $run mixed: copying the pristine corpus to ${SRC[$c]}"
        cp -a -- "$CORPUS_DIR/mixed" "${SRC[$c]}"
    else
        SRC[$c]=$CORPUS_DIR/$c
    fi

    ensure_keys "$TENANT"
    cat >"$base/geosnap.ini" <<EOF
[agent]
region = eu-central
repository = $base/geosnap
state_dir = $base/geosnap-state

[tenant "bench"]
source = ${SRC[$c]}
write_key = $KEYS/bench.write
EOF
    local tool rc
    for tool in "${TOOLS[@]}"; do
        BROKEN[$c.$tool]=
        rc=0
        case $tool in
        geosnap) "$AGENT" -c "$base/geosnap.ini" init ;;
        restic) restic init --repo "$base/restic" --repository-version 2 ;;
        borg) borg init --encryption=repokey-blake2 "$base/borg" ;;
        esac </dev/null >"$logd/$c-$tool-init.log" 2>&1 || rc=$?
        if [[ $rc -ne 0 ]]; then
            note "run $run $c: $tool init failed (exit $rc, log: $logd/$c-$tool-init.log); $tool skipped"
            BROKEN[$c.$tool]=1
            FAILED=1
        fi
    done
}

# tool_cmd TOOL C PHASE ACTION [TARGET]: print nothing, set CMD array.
tool_cmd() {
    local tool=$1 c=$2 phase=$3 action=$4 target=${5:-} base=$WORK/repos/$2
    case $tool.$action in
    geosnap.backup) CMD=("$AGENT" -c "$base/geosnap.ini" backup) ;;
    restic.backup) CMD=(restic -r "$base/restic" --cache-dir "$RESTIC_CACHE"
        backup --compression auto --host bench "${SRC[$c]}") ;;
    borg.backup) CMD=(borg create --compression lz4 "$base/borg::$phase" "${SRC[$c]}") ;;
    geosnap.restore) CMD=("$RESTORE" -c "$base/geosnap.ini" restore --tenant bench
        --key "$KEYS/bench.read" --snapshot latest --target "$target") ;;
    restic.restore) CMD=(restic -r "$base/restic" --cache-dir "$RESTIC_CACHE"
        restore latest --target "$target") ;;
    borg.restore) CMD=(borg extract "$base/borg::${LAST_PHASE[$c]}") ;;
    esac
}

tool_repo() {
    case $1 in
    geosnap) echo "$WORK/repos/$2/geosnap" ;;
    *) echo "$WORK/repos/$2/$1" ;;
    esac
}

# backup_phase RUN C PHASE: each tool backs up SRC[C] once, interleaved.
backup_phase() {
    local run=$1 c=$2 phase=$3 tool log status nf nb rb
    read -r nf nb < <(src_stats "${SRC[$c]}")
    for tool in "${TOOLS[@]}"; do
        if [[ -n ${BROKEN[$c.$tool]} ]]; then
            emit type=measure run="$run" corpus="$c" tool="$tool" phase="$phase" status=skipped
            continue
        fi
        log=$WORK/logs/run$run/$c-$tool-$phase.log
        tool_cmd "$tool" "$c" "$phase" backup
        drop_caches
        timed "$log" "$WORK" "${CMD[@]}"
        if [[ $T_RC -eq 0 ]]; then
            status=ok
        elif warn_rc "$tool" "$T_RC"; then
            status=warn
        else
            status=failed
            BROKEN[$c.$tool]=1
            FAILED=1
            note "run $run $c $phase: $tool FAILED (exit $T_RC, log: $log); $tool skipped from now on"
        fi
        rb=$(repo_bytes "$(tool_repo "$tool" "$c")")
        emit type=measure run="$run" corpus="$c" tool="$tool" phase="$phase" action=backup \
            status="$status" rc="$T_RC" wall_s="$T_WALL" time_wall_s="$T_TWALL" load1="$T_LOAD" \
            rss_kib="$T_RSS" src_files="$nf" src_bytes="$nb" repo_bytes="$rb" log="$log"
        printf 'bench: run %d %-5s %-7s %-7s %8.2f s %15s  rss %6.1f MiB  repo %8.1f MiB  %s\n' \
            "$run" "$c" "$phase" "$tool" "$T_WALL" \
            "$([[ $phase == first ]] && awk -v b="$nb" -v s="$T_WALL" 'BEGIN {printf "%.1f MB/s", (s > 0 ? b / 1e6 / s : 0)}')" \
            "$(awk -v k="$T_RSS" 'BEGIN {print k / 1024}')" \
            "$(awk -v b="$rb" 'BEGIN {print b / 1048576}')" "$status" >&2
    done
    LAST_PHASE[$c]=$phase
}

# restore_phase RUN C: each tool restores its latest snapshot; the result is
# compared with SRC[C] by diff -r.
restore_phase() {
    local run=$1 c=$2 tool log target root status verified nf nb
    read -r nf nb < <(src_stats "${SRC[$c]}")
    for tool in "${TOOLS[@]}"; do
        if [[ -n ${BROKEN[$c.$tool]} ]]; then
            emit type=measure run="$run" corpus="$c" tool="$tool" phase=restore status=skipped
            continue
        fi
        if [[ $tool == geosnap && $HAVE_GS_RESTORE -eq 0 ]]; then
            emit type=measure run="$run" corpus="$c" tool="$tool" phase=restore status=na
            continue
        fi
        log=$WORK/logs/run$run/$c-$tool-restore.log
        target=$WORK/restore/$tool
        rm -rf -- "$target"
        mkdir -p -- "$target"
        tool_cmd "$tool" "$c" restore restore "$target"
        drop_caches
        timed "$log" "$target" "${CMD[@]}"
        case $tool in
        geosnap) root=$target ;;        # the source's content, at the top
        *) root=$target${SRC[$c]} ;;    # the source's absolute path below it
        esac
        verified=false
        if [[ $T_RC -ne 0 ]]; then
            status=failed
            note "run $run $c restore: $tool FAILED (exit $T_RC, log: $log)"
        elif [[ ! -d $root ]]; then
            status=failed
            note "run $run $c restore: $tool restored nothing at $root (log: $log)"
        elif same_tree "${SRC[$c]}" "$root" "$log.diff"; then
            status=ok
            verified=true
        else
            status=failed
            note "run $run $c restore: $tool restore DIFFERS from the source ($(wc -l <"$log.diff") lines in $log.diff)"
        fi
        [[ $status == ok ]] || FAILED=1
        emit type=measure run="$run" corpus="$c" tool="$tool" phase=restore action=restore \
            status="$status" verified="$verified" rc="$T_RC" wall_s="$T_WALL" \
            time_wall_s="$T_TWALL" load1="$T_LOAD" rss_kib="$T_RSS" src_files="$nf" src_bytes="$nb" log="$log"
        printf 'bench: run %d %-5s %-7s %-7s %8.2f s %15s  rss %6.1f MiB  %s\n' \
            "$run" "$c" restore "$tool" "$T_WALL" \
            "$(awk -v b="$nb" -v s="$T_WALL" 'BEGIN {printf "%.1f MB/s", (s > 0 ? b / 1e6 / s : 0)}')" \
            "$(awk -v k="$T_RSS" 'BEGIN {print k / 1024}')" "$status" >&2
        rm -rf -- "$target"
    done
}

mutate() {
    local run=$1 c=$2 night=$3 log=$WORK/logs/run$1/$2-mutate$3.log stats
    python3 "$MAKE_CORPUS" mutate "${SRC[$c]}" "$night" >"$log" 2>&1 ||
        die "mutate night $night failed (log: $log)"
    stats=$(tail -n 1 "$log")
    [[ $stats == \{* ]] || stats='{}'
    emit type=mutate run="$run" corpus="$c" night="$night" stats="$stats"
}

# ---------------------------------------------------------------------- run

for c in "${CORPORA[@]}"; do
    ensure_corpus "$c"
done

warn_free 16

: >"$MEAS"
emit type=meta date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" host="$(hostname)" \
    kernel="$(uname -r)" nproc="$(nproc)" \
    mem_kib="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" \
    geosnap_version="$("$AGENT" --version 2>&1 | head -n 1)" \
    restic_version="$(restic version 2>&1 | head -n 1)" \
    borg_version="$(borg --version 2>&1 | head -n 1)" \
    loadavg="$(cut -d' ' -f1-3 /proc/loadavg)" build="$BUILD" work="$WORK" corpus_dir="$CORPUS_DIR" runs="$RUNS" \
    drop_caches="$([[ $DROP_OK -eq 1 ]] && echo true || echo false)" \
    geosnap_restore="$([[ $HAVE_GS_RESTORE -eq 1 ]] && echo true || echo false)"

for ((run = 1; run <= RUNS; run++)); do
    for c in "${CORPORA[@]}"; do
        setup_corpus "$c" "$run"
        backup_phase "$run" "$c" first
        backup_phase "$run" "$c" rerun
        if [[ $c == mixed ]]; then
            for ((n = 1; n <= NIGHTS; n++)); do
                mutate "$run" "$c" "$n"
                backup_phase "$run" "$c" "night$n"
            done
            restore_phase "$run" "$c"
        fi
    done
done

# -------------------------------------------------------------------- table

run_py "$MEAS" "$RESULTS" "$NIGHTS" <<'PY'
meas_path, results_path, nights = sys.argv[1], sys.argv[2], int(sys.argv[3])
TOOLS = ["geosnap", "restic", "borg"]
OTHERS = ["restic", "borg"]
NIGHT_PH = [f"night{n}" for n in range(1, nights + 1)]

rows = [json.loads(line) for line in open(meas_path) if line.strip()]
meta = next((r for r in rows if r["type"] == "meta"), {})
meas = [r for r in rows if r["type"] == "measure"]
mutations = [r for r in rows if r["type"] == "mutate"]
corpora = [c for c in ("mixed", "small") if any(m["corpus"] == c for m in meas)]
runs = sorted({m["run"] for m in meas})


def get(c, tool, phase, run):
    for m in meas:
        if (m["corpus"], m["tool"], m["phase"], m["run"]) == (c, tool, phase, run):
            return m
    return None


def measured(m):
    return m is not None and m.get("status") in ("ok", "warn")


summary = {}
for c in corpora:
    phases = ["first", "rerun"] + (NIGHT_PH if c == "mixed" else [])
    summary[c] = {}
    for tool in TOOLS:
        s = {"warnings": False, "failed": [], "restore": "n/a"}
        for ph in phases:
            secs, rb = [], []
            for r in runs:
                m = get(c, tool, ph, r)
                if measured(m):
                    secs.append(m["wall_s"])
                    rb.append(m["repo_bytes"])
                    s["warnings"] |= m["status"] == "warn"
                    if ph == "first":
                        s.setdefault("_bytes", []).append(m["src_bytes"])
                        s.setdefault("_files", []).append(m["src_files"])
                elif m is not None and m.get("status") == "failed":
                    s["failed"].append(ph)
            s[f"{ph}_s"] = med(secs)
            s[f"repo_MiB_{ph}"] = med([b / 2**20 for b in rb])
        # throughput from the median time (the corpus is the same in every run)
        nb, nf, t = med(s.pop("_bytes", [])), med(s.pop("_files", [])), s["first_s"]
        s["first_MBps"] = nb / 1e6 / t if nb is not None and t else None
        s["first_files_per_sec"] = nf / t if nf is not None and t else None
        # peak RSS: per run the maximum over phases, then the median over runs
        s["rss_MiB_first"] = med([get(c, tool, "first", r)["rss_kib"] / 1024
                                  for r in runs if measured(get(c, tool, "first", r))])
        s["rss_MiB_rerun"] = med([get(c, tool, "rerun", r)["rss_kib"] / 1024
                                  for r in runs if measured(get(c, tool, "rerun", r))])
        if c == "mixed":
            s["rss_MiB_nights"] = med([
                max(get(c, tool, ph, r)["rss_kib"] for ph in NIGHT_PH)
                / 1024 for r in runs
                if all(measured(get(c, tool, ph, r)) for ph in NIGHT_PH)])
        s["rss_MiB_backup"] = med([
            max(get(c, tool, ph, r)["rss_kib"] for ph in phases) / 1024
            for r in runs if all(measured(get(c, tool, ph, r)) for ph in phases)])
        if c == "mixed":
            res = [get(c, tool, "restore", r) for r in runs]
            res = [m for m in res if m is not None]
            if any(m["status"] == "failed" for m in res):
                s["restore"] = "FAILED"
            elif res and all(m["status"] == "ok" for m in res):
                s["restore"] = "verified"
            else:
                s["restore"] = "n/a"
            ok = [m for m in res if m["status"] == "ok"]
            s["restore_s"] = med([m["wall_s"] for m in ok]) if s["restore"] == "verified" else None
            nb = med([m["src_bytes"] for m in ok])
            s["restore_MBps"] = nb / 1e6 / s["restore_s"] \
                if nb is not None and s["restore_s"] else None
            s["rss_MiB_restore"] = med([m["rss_kib"] / 1024 for m in ok]) \
                if s["restore"] == "verified" else None
        summary[c][tool] = s
    info = [m for m in meas if m["corpus"] == c and m["phase"] == "first" and "src_bytes" in m]
    if info:
        summary[c]["_corpus"] = {"files": info[0]["src_files"], "bytes": info[0]["src_bytes"]}

# ratios: throughput g/o (>1 better); time o/g = "x faster"; size and RSS g/o (<1 better)
HIGHER = ("first_MBps", "first_files_per_sec", "restore_MBps")


def ratio(c, key, other):
    g, o = summary[c]["geosnap"].get(key), summary[c][other].get(key)
    if g is None or o is None or g == 0 or o == 0:
        return None
    if key.endswith("_s"):
        return o / g     # speed-up of geosnap
    return g / o


for c in corpora:
    summary[c]["ratios"] = {}
    for o in OTHERS:
        keys = [k for k in summary[c]["geosnap"] if isinstance(summary[c]["geosnap"][k], (int, float))
                and not isinstance(summary[c]["geosnap"][k], bool)]
        # time keys become "..._speedup" (other's seconds / geosnap's seconds)
        summary[c]["ratios"][f"geosnap/{o}"] = {
            (k[:-2] + "_speedup" if k.endswith("_s") else k): ratio(c, k, o) for k in keys}

# targets of the issue
targets = []


def target(name, c, key, need, cmp):
    if c not in summary:
        return
    r = ratio(c, key, "restic")
    ok = None if r is None else cmp(r, need)
    if "restore" in key and summary[c]["geosnap"].get("restore") == "FAILED":
        ok = False
    targets.append({"target": name, "corpus": c, "metric": key, "ratio_vs_restic": r,
                    "need": need, "pass": ok})


ge = lambda r, n: r >= n
le = lambda r, n: r <= n
target("first backup >= 1.5x restic throughput", "mixed", "first_MBps", 1.5, ge)
target("unchanged re-run >= 4x faster than restic", "mixed", "rerun_s", 4.0, ge)
target("unchanged re-run >= 4x faster than restic", "small", "rerun_s", 4.0, ge)
target(f"repository after {nights} nights <= restic", "mixed", f"repo_MiB_night{nights}", 1.0, le)
target("restore throughput >= restic", "mixed", "restore_MBps", 1.0, ge)
for c in corpora:
    target("peak RSS of backup <= restic", c, "rss_MiB_backup", 1.0, le)
target("peak RSS of restore <= restic", "mixed", "rss_MiB_restore", 1.0, le)

write_results(results_path, {"meta": meta, "summary": summary, "targets": targets,
                              "mutations": mutations, "measurements": meas})

# ---- printing


def fmt_num(v, nd):
    return "-" if v is None else f"{v:.{nd}f}"


def fmt_ratio(c, key, other):
    r = ratio(c, key, other)
    if r is None:
        return "-"
    if key.endswith("_s"):
        return f"{r:.2f}x faster" if r >= 1 else f"{1 / r:.2f}x slower"
    return f"{r:.2f}x"


def table(title, c, cols):
    """cols: list of (header, key, decimals)."""
    hdr = ["tool"] + [h for h, _, _ in cols]
    body = []
    for tool in TOOLS:
        s = summary[c][tool]
        name = tool + ("*" if s["warnings"] else "")
        line = [name]
        for _, key, nd in cols:
            if key in ("restore_MBps", "restore_s", "rss_MiB_restore") and s["restore"] != "verified":
                line.append(s["restore"])
            else:
                line.append(fmt_num(s.get(key), nd))
        body.append(line)
    for o in OTHERS:
        body.append([f"geosnap/{o}"] + [fmt_ratio(c, key, o) for _, key, _ in cols])
    print_table(title, hdr, body)


print(f"\ngeosnap benchmark  {meta.get('date', '')}  {meta.get('nproc', '?')} cores  "
      f"runs={meta.get('runs', 1)}{' (medians)' if len(runs) > 1 else ''}  "
      f"page cache {'dropped before each timed command' if meta.get('drop_caches') else 'NOT dropped'}")
print(f"  {meta.get('geosnap_version', '')} ({meta.get('build', '')}); "
      f"{meta.get('restic_version', '')}; {meta.get('borg_version', '')}")
loads = [m["load1"] for m in meas if "load1" in m]
if loads:
    print(f"  1-min load average before the timed commands: median {statistics.median(loads):.2f}, "
          f"max {max(loads):.2f} (more than the tools' own load means a noisy machine)")
for c in corpora:
    ci = summary[c].get("_corpus", {})
    desc = f"{c}: {ci.get('files', 0)} files, {ci.get('bytes', 0) / 2**30:.3f} GiB"
    if c == "mixed":
        table(f"{desc} -- time (MB/s = 10^6 bytes/s; re-run and nights in seconds)", c,
              [("first MB/s", "first_MBps", 1), ("first s", "first_s", 2),
               ("re-run s", "rerun_s", 2)]
              + [(f"night{n} s", f"night{n}_s", 2) for n in range(1, nights + 1)]
              + [("restore MB/s", "restore_MBps", 1)])
        table(f"{c} -- repository size (MiB) after each backup", c,
              [("first", "repo_MiB_first", 1), ("re-run", "repo_MiB_rerun", 1)]
              + [(f"night{n}", f"repo_MiB_night{n}", 1) for n in range(1, nights + 1)])
        table(f"{c} -- peak RSS (MiB)", c,
              [("first backup", "rss_MiB_first", 1), ("re-run", "rss_MiB_rerun", 1),
               ("nights (max)", "rss_MiB_nights", 1), ("all backups", "rss_MiB_backup", 1),
               ("restore", "rss_MiB_restore", 1)])
        ideal = [m["stats"].get("ideal_new_bytes", 0) for m in mutations
                 if m["corpus"] == c and m["run"] == runs[0]]
        if ideal:
            print(f"  (new bytes a perfect byte-level dedup would store per night, MiB: "
                  + ", ".join(f"{b / 2**20:.1f}" for b in ideal) + ")")
    else:
        table(f"{desc} -- first backup and unchanged re-run", c,
              [("first MB/s", "first_MBps", 1), ("first s", "first_s", 2),
               ("files/s", "first_files_per_sec", 0), ("re-run s", "rerun_s", 2),
               ("repo MiB", "repo_MiB_first", 1), ("RSS first MiB", "rss_MiB_first", 1),
               ("RSS re-run MiB", "rss_MiB_rerun", 1)])
    bad = [(t, summary[c][t]["failed"]) for t in TOOLS if summary[c][t]["failed"]]
    for t, phs in bad:
        print(f"  {t} FAILED in: {', '.join(phs)} (see logs)")
if any(summary[c][t]["warnings"] for c in corpora for t in TOOLS):
    print("  * exited with warnings in some phase (see logs)")

print("\ntargets (geosnap against restic)")
for t in targets:
    r = t["ratio_vs_restic"]
    verdict = "n/a " if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")
    rs = "-" if r is None else f"{r:.2f}"
    print(f"  {verdict}  {t['corpus']:<5}  {t['target']:<45} ratio {rs} (need "
          f"{'>=' if t['metric'] in HIGHER or t['metric'].endswith('_s') else '<='} {t['need']})")
print(f"\nresults: {results_path}")
PY

exit "$FAILED"
