#!/usr/bin/env bash
# The README's first command: install, build, and run a demo on a throwaway
# tenant: make keys, back up, change some files, back up again, restore both
# snapshots and show that each matches the tree as it was.
set -euo pipefail
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
mkdir -p keys data/demo
printf 'demo passphrase %s\n' "$RANDOM$RANDOM" > passphrase
export GEOSNAP_PASSPHRASE_FILE=$demo/passphrase

echo "== keygen: write key for the agent, passphrase-sealed read key for restores"
"$restore" keygen --tenant demo --out keys
ls -l keys

cat > geosnap.ini <<INI
[agent]
region = eu-central
repository = $demo/repo
state_dir = $demo/state

[tenant "demo"]
source = $demo/data/demo
write_key = $demo/keys/demo.write
read_key = $demo/keys/demo.read
INI
export GEOSNAP_CONFIG=$demo/geosnap.ini

echo "== a demo tenant: documentation, a few generated files"
cp -a /usr/share/doc/bash /usr/share/doc/tar data/demo/ 2>/dev/null || true
mkdir -p data/demo/reports
for i in 1 2 3 4 5; do
  seq 1 $((i * 20000)) > "data/demo/reports/report-$i.txt"
done
head -c 8M /dev/urandom > data/demo/blob.bin
ln -s reports/report-1.txt data/demo/latest-report

snapshot_tree() { (cd "$1" && find . -printf '%y %m %s %p %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

"$agent" init
echo "== backup 1"
"$agent" -v backup
snapshot_tree data/demo > tree1.txt

echo "== change some files"
echo "appended line" >> data/demo/reports/report-2.txt
rm data/demo/reports/report-5.txt
head -c 1M /dev/urandom | dd of=data/demo/blob.bin bs=1M seek=3 conv=notrunc status=none
mkdir data/demo/new && seq 1 1000 > data/demo/new/numbers.txt

echo "== backup 2"
"$agent" -v backup
snapshot_tree data/demo > tree2.txt
"$agent" snapshots

ids=$("$restore" snapshots --tenant demo --json | python3 -c '
import json, sys
for s in sorted((json.loads(l) for l in sys.stdin if l.strip()), key=lambda s: s["time_ns"]):
    print(s["id"])')
n=0
for id in $ids; do
  n=$((n + 1))
  echo "== restore snapshot $n ($id)"
  "$restore" restore --tenant demo --snapshot "$id" --target "restore$n"
  snapshot_tree "restore$n" > "restored$n.txt"
  if cmp -s "tree$n.txt" "restored$n.txt"; then
    echo "snapshot $n matches the tree as it was at backup $n"
  else
    echo "snapshot $n DIFFERS:"; diff "tree$n.txt" "restored$n.txt" | head -20; exit 1
  fi
done
"$restore" check --tenant demo --read-data
echo "== demo done; everything is in $demo"
