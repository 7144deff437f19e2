#!/usr/bin/env bash
# The README's first command: install, build, and run a full nightly cycle on
# a throwaway tenant against a throwaway OpenSSH server on 127.0.0.1:
# make keys; `geosnap-agent run` (backup, ship to the remote "secondary" in
# another region, verify); change some files; run again; status; verify
# --full; then restore both snapshots FROM THE REMOTE and show that each
# matches the tree as it was, and check the remote copy with the read key.
# Last, the production host is compromised: with the write key alone it
# forges an index segment that shadows every chunk, and the next run ships
# it; both snapshots still restore exactly from the remote, check names the
# forged objects, and `geosnap-agent quarantine` sets them aside on both
# copies (docs/OPERATIONS.md, "The production host was compromised").
# Then disaster recovery on a bare host: a directory holding only the read
# key, the SSH identity and the remote's host key restores the latest
# snapshot from the remote with no configuration file (--from sftp://...),
# and prints the restore's figures (--stats).  At the end the signed audit
# log: stock minisign verifies each segment, log verify --from checks it
# against the segments and checkpoints shipped to the remote, and a
# rewrite re-signed with the host's own key is exposed by that comparison.
# Then a restore-test host with its own signing pair runs the weekly
# restore test from the remote (its record shipped there too), and the
# auditor's report gathers both hosts' logs from the remote, each verified
# with its own key, into report.html.  Before those two: expire --dry-run
# shows retention and garbage collection, and a second tenant leaves: it is
# offboarded, handed back (export), erased from every copy once its grace
# period is over, and its signed deletion certificate is checked with stock
# minisign; then its read key is shredded.
#
# Runs as root without a terminal (CI): the read key's passphrase comes from
# GEOSNAP_PASSPHRASE_FILE.  Exits non-zero when any step fails.  sshd is
# stopped on exit by the trap of tests/lib/sshd.sh.
set -eEuo pipefail
# Say where it failed; the EXIT trap of sshd.sh then stops the server.
# shellcheck disable=SC2317  # invoked by the ERR trap
demo_failed() {
  trap - ERR
  echo "demo: FAILED (exit $1) at line $2 of tests/demo.sh" >&2
  exit "$1"
}
trap 'demo_failed $? $LINENO' ERR
cd "$(dirname "$0")/.."
src=$PWD

bash tests/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
agent=$src/build/geosnap-agent
restore=$src/build/geosnap-restore

demo=$(mktemp -d /tmp/geosnap-demo.XXXXXX)
echo "== demo directory: $demo"
cd "$demo"
umask 077
mkdir -p keys data/demo remote
printf 'demo passphrase %s\n' "$RANDOM$RANDOM" > passphrase
export GEOSNAP_PASSPHRASE_FILE=$demo/passphrase

echo "== the backup host: a throwaway sshd on 127.0.0.1 (own host key, authorized_keys)"
# shellcheck source=tests/lib/sshd.sh
. "$src/tests/lib/sshd.sh"
gs_sshd_start "$demo/sshd" || { echo "demo: the throwaway sshd did not start (see above)" >&2; demo_failed 3 "$LINENO"; }
echo "sshd pid $GS_SSHD_PID on 127.0.0.1:$GS_SSHD_PORT, host key $GS_SSHD_FPR"
echo "remote base directory: $demo/remote (region eu-north)"

echo "== keygen: write key for the agent, passphrase-sealed read key for restores"
"$restore" keygen --tenant demo --out keys
echo "== keygen --audit: the pair that signs the audit log (minisign's formats)"
"$restore" keygen --audit --out keys
ls -l keys

cat > geosnap.ini <<INI
[agent]
host = web1
region = eu-central
repository = $demo/repo
state_dir = $demo/state
audit_log = $demo/audit.jsonl
audit_key = $demo/keys/audit.key
metrics_file = $demo/metrics.prom

[policy]
allowed_regions = eu-central, eu-north

[remote "secondary"]
url = sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$demo/remote
identity = $GS_SSHD_ID_ED25519
known_hosts = $GS_SSHD_KNOWN_HOSTS
region = eu-north

[tenant "demo"]
source = $demo/data/demo
write_key = $demo/keys/demo.write
read_key = $demo/keys/demo.read
INI
export GEOSNAP_CONFIG=$demo/geosnap.ini
echo "== configuration ($GEOSNAP_CONFIG)"
cat geosnap.ini

echo "== a demo tenant: documentation, a few generated files"
cp -a /usr/share/doc/bash /usr/share/doc/tar data/demo/ 2>/dev/null || true
mkdir -p data/demo/reports
for i in 1 2 3 4 5; do
  seq 1 $((i * 20000)) > "data/demo/reports/report-$i.txt"
done
head -c 8M /dev/urandom > data/demo/blob.bin
ln -s reports/report-1.txt data/demo/latest-report

snapshot_tree() { (cd "$1" && find . -printf '%y %m %s %p %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# objects DIR: "path size" of every object of the tenant under DIR (a
# repository or the remote's base), without temporaries and quarantine.
objects() {
  (cd "$1" && find tenants/demo \( -path tenants/demo/quarantine -prune \) -o \
    -type f ! -name '.gstmp-*' ! -name lock -printf '%p %s\n' | sort)
}

# nightly N: the cron job, which must print nothing when all is well.
nightly() {
  echo "== nightly run $1: geosnap-agent run (backup, ship, verify; quiet on success)"
  local rc=0 l r
  "$agent" run > "run$1.out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] || [ -s "run$1.out" ]; then
    echo "run $1 exited $rc and printed (cron would mail this):"; cat "run$1.out"
    "$agent" status || true
    return 1
  fi
  l=$(objects repo) r=$(objects remote)
  if [ -z "$l" ] || [ "$l" != "$r" ]; then
    echo "the remote does not hold the local objects:"; diff <(echo "$l") <(echo "$r") | head -20; return 1
  fi
  echo "run $1 printed nothing; the remote holds the same $(echo "$r" | wc -l) objects as the local repository"
}

"$agent" init
nightly 1
snapshot_tree data/demo > tree1.txt

echo "== change some files"
echo "appended line" >> data/demo/reports/report-2.txt
rm data/demo/reports/report-5.txt
head -c 1M /dev/urandom | dd of=data/demo/blob.bin bs=1M seek=3 conv=notrunc status=none
mkdir data/demo/new && seq 1 1000 > data/demo/new/numbers.txt

nightly 2
snapshot_tree data/demo > tree2.txt

echo "== geosnap-agent snapshots (what the write key may see)"
"$agent" snapshots
echo "== geosnap-agent status (exit status for monitoring: worst of the last steps)"
"$agent" status
echo "== parity metrics, written by run 2 ($demo/metrics.prom)"
grep -E '^geosnap_(parity_ok|objects_verified)\{' metrics.prom
echo "== geosnap-agent verify --full (read back every object on the remote)"
"$agent" -v verify --full

echo "== snapshots on the remote (read key)"
"$restore" snapshots --tenant demo --from secondary
ids=$("$restore" snapshots --tenant demo --from secondary --json | python3 -c '
import json, sys
for s in sorted((json.loads(l) for l in sys.stdin if l.strip()), key=lambda s: s["time_ns"]):
    print(s["id"])')
n=0
for id in $ids; do
  n=$((n + 1))
  echo "== restore snapshot $n ($id) from the remote"
  "$restore" restore --tenant demo --from secondary --snapshot "$id" --target "restore$n"
  snapshot_tree "restore$n" > "restored$n.txt"
  if cmp -s "tree$n.txt" "restored$n.txt"; then
    echo "snapshot $n matches the tree as it was at run $n"
  else
    echo "snapshot $n DIFFERS:"; diff "tree$n.txt" "restored$n.txt" | head -20; false
  fi
done
[ "$n" -eq 2 ] || { echo "expected 2 snapshots on the remote, found $n"; false; }

echo "== geosnap-restore check --read-data of the remote copy"
"$restore" check --tenant demo --from secondary --read-data

# restore_all WHEN: restore both snapshots from the remote and compare.
restore_all() {
  local n=0 id
  for id in $ids; do
    n=$((n + 1))
    rm -rf "again$n"
    "$restore" -q restore --tenant demo --from secondary --snapshot "$id" --target "again$n" 2>/dev/null
    snapshot_tree "again$n" > "again$n.txt"
    cmp -s "tree$n.txt" "again$n.txt" || { echo "snapshot $n DIFFERS $1"; false; }
    echo "snapshot $n still matches the tree as it was at run $n ($1)"
  done
}

echo "== the production host is compromised: with the write key alone it forges an index"
echo "   segment that shadows every chunk with garbage (tests/hostile/tools/evil_shadow)"
"$src/build/tests/hostile/evil_shadow" repo keys/demo.write > forged.txt 2> forged.err
cat forged.txt
nightly 3
restore_all "after the forgery, from the remote"
echo "== geosnap-restore check --read-data of the remote names the forged objects"
rc=0
"$restore" check --tenant demo --from secondary --read-data 2> check3.err || rc=$?
[ "$rc" -eq 1 ] || { echo "check exited $rc, wanted 1"; cat check3.err; false; }
grep 'set aside' check3.err
aside=$(sed -n 's/.*: set aside: //p' check3.err)
echo "== geosnap-agent quarantine sets them aside on the local repository and the remote"
# shellcheck disable=SC2086  # one KIND/NAME per word
"$agent" quarantine --tenant demo $aside
"$restore" check --tenant demo --from secondary --read-data
echo "check of the remote is clean again"
restore_all "after the clean-up"

echo "== disaster recovery on a bare host: no configuration, three files and the passphrase, one command"
mkdir -p bare
cp keys/demo.read "$GS_SSHD_ID_ED25519" "$GS_SSHD_KNOWN_HOSTS" bare/
ls bare
(
  cd bare
  # Nothing but these files: no configuration file anywhere.
  env -u GEOSNAP_CONFIG "$restore" restore --tenant demo --key demo.read \
    --from "sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$demo/remote" \
    --identity id_ed25519 --known-hosts known_hosts --target restored --stats
)
snapshot_tree bare/restored > bare.txt
if cmp -s "tree2.txt" bare.txt; then
  echo "the bare host restored the latest snapshot exactly (figures on the stats line above)"
else
  echo "the bare-host restore DIFFERS:"; diff tree2.txt bare.txt | head -20; false
fi
echo "== retention and garbage collection: what expire would keep, remove and free (changes nothing)"
"$agent" expire --dry-run --tenant demo

echo "== a customer leaves: tenant oldco, backed up like demo until its offboarding"
"$restore" keygen --tenant oldco --out keys > /dev/null
mkdir -p data/oldco && cp -a /usr/share/doc/gzip data/oldco/ 2>/dev/null || true
seq 1 50000 > data/oldco/customers-oldco.csv
cat >> geosnap.ini <<INI

[tenant "oldco"]
source = $demo/data/oldco
write_key = $demo/keys/oldco.write
read_key = $demo/keys/oldco.read
INI
nightly 4
oldco_objects=$(find remote/tenants/oldco -type f | wc -l)
echo "oldco has $oldco_objects objects on the remote"
echo "== offboarded today: no longer backed up; its data stays restorable for offboard_grace (14 days)"
echo "offboarded = $(date -u +%F)" >> geosnap.ini
nightly 5
"$agent" status | grep oldco
echo "== the hand-back (R8): the latest snapshot as a tar archive, from the remote"
"$restore" export --tenant oldco --from secondary --format tar --output oldco-handback.tar
tar tf oldco-handback.tar | grep -c . | sed 's/$/ entries in the hand-back archive/'
echo "== the grace period is over (offboarded 20 days ago): the nightly run erases oldco everywhere"
sed -i "s/^offboarded = .*/offboarded = $(date -u -d '20 days ago' +%F)/" geosnap.ini
nightly 6
for copy in repo remote; do
  left=$(find "$copy/tenants" -path '*/oldco*' | wc -l)
  echo "$copy: $left files or directories of oldco left"
  [ "$left" -eq 0 ] || false
done
[ ! -e keys/oldco.write ] && echo "the write key keys/oldco.write is destroyed"
! grep -rqs customers-oldco state && echo "no trace of its file names in the state directory"
echo "== the signed deletion certificate, for the customer, checked with stock minisign"
"$restore" certificate --tenant oldco --output oldco-certificate.txt
minisign -Vm oldco-certificate.txt -p keys/audit.pub
sed -n 1,40p oldco-certificate.txt
echo "== the signed audit log: every segment verifies with stock minisign and the audit public key"
for f in audit.*.jsonl audit.jsonl; do
  minisign -Vm "$f" -p keys/audit.pub
done
echo "== the log left the host: segments and signed checkpoints on the remote"
ls remote/log/*/
"$restore" log verify --pubkey keys/audit.pub --from secondary
echo "== a compromised host rewrites a record of its local log and re-signs it with its own key"
seg=$(ls audit.*.jsonl | head -1)
mkdir -p log-before-forgery && cp -p audit.* log-before-forgery/
python3 "$src/tests/audit/forge.py" rewrite "$demo/audit.jsonl" 2 keys/audit.key
minisign -Vm "$seg" -p keys/audit.pub
"$restore" log verify --pubkey keys/audit.pub && echo "(the local log alone cannot tell)"
rc=0
"$restore" log verify --pubkey keys/audit.pub --from secondary || rc=$?
[ "$rc" -eq 1 ] || { echo "log verify --from exited $rc, wanted 1"; false; }
echo "log verify --from the remote names the rewritten record (exit 1)"
# the rewrite re-chained every later segment too: put the whole log back
rm -f audit.* && cp -p log-before-forgery/* . && "$restore" log verify --pubkey keys/audit.pub

echo "== a restore-test host: its own audit signing pair and log, the read key, the remote"
"$restore" keygen --audit --out rt-keys
mkdir -p rt
cat > restore-host.ini <<INI
[agent]
host = restore1
audit_log = $demo/rt/audit.jsonl
audit_key = $demo/rt-keys/audit.key

[remote "secondary"]
url = sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$demo/remote
identity = $GS_SSHD_ID_ED25519
known_hosts = $GS_SSHD_KNOWN_HOSTS

[tenant "demo"]
read_key = $demo/keys/demo.read

; the hosts whose audit logs the report gathers, each with its own key
[host "web1"]
audit_pubkey = $demo/keys/audit.pub

[host "restore1"]
audit_pubkey = $demo/rt-keys/audit.pub
INI
cat restore-host.ini
echo "== oldco's erasure is certified: its read key is shredded (a signed record on the restore host)"
"$restore" -c restore-host.ini shred --tenant oldco --pubkey keys/audit.pub --log audit.jsonl keys/oldco.read
[ ! -e keys/oldco.read ] && echo "keys/oldco.read is destroyed"
echo "== the weekly restore test, from the remote: every file checked, timed, a signed record shipped"
"$restore" -c restore-host.ini test --tenant demo
ls remote/log/
"$restore" -c restore-host.ini log verify --from secondary
echo "== the auditor's report: both hosts' logs from the remote, each verified with its own key"
rc=0
"$restore" -c restore-host.ini report --from secondary --since "$(date -u +%F)" \
  --format html --output report.html || rc=$?
[ "$rc" -le 1 ] || { echo "report exited $rc"; false; }
"$restore" -c restore-host.ini report --from secondary --since "$(date -u +%F)" \
  --format md --output - | head -40 || true
ls -l report.html
echo "open $demo/report.html in a browser (one self-contained file; it prints too)"
echo "== demo done; everything is in $demo (sshd stops now)"
set +e
trap - ERR
exit 0
