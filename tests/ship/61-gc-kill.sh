#!/usr/bin/env bash
# SIGKILL of expire at 50 random instants of garbage collection (local
# repacking, the new index, the relocation object, the deletions, the
# remote's shipping and deletions): after each kill both kept snapshots
# still restore exactly from the local repository and from the remote, and
# the next expire completes: the copies are then what an uninterrupted
# collection leaves (no dead chunk, parity), once the packs a killed
# collection wrote and named nowhere are past the grace.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "gc: SIGKILL at 50 random instants; kept snapshots restore; the next run completes"
gs_need timeout

AGENT_EXTRA="pack_size = 1M"
ship_config
mkdir -p "$T/data/acme/n"
snaps=()
for f in a b c; do head -c 200000 /dev/urandom >"$T/data/acme/n/$f.bin"; done
night 1
rm "$T/data/acme/n/a.bin"
head -c 200000 /dev/urandom >"$T/data/acme/n/d.bin"
night 2
rm "$T/data/acme/n/b.bin"
head -c 200000 /dev/urandom >"$T/data/acme/n/e.bin"
night 3
find "$GS_REPO/tenants/acme" -type f -exec touch -h -d '-2 hours' {} +
# retention's decision, by hand: the first snapshot goes from both copies
rm -f "$GS_REPO/tenants/acme/snapshots/${snaps[0]}" "$T/remote/tenants/acme/snapshots/${snaps[0]}"

# the state every attempt starts from
save() { rm -rf "$T/saved" && mkdir "$T/saved" && cp -a "$GS_REPO" "$T/remote" "$GS_STATE" "$T/saved/"; }
load() {
	rm -rf "$GS_REPO" "$T/remote" "$GS_STATE" &&
		cp -a "$T/saved/$(basename "$GS_REPO")" "$GS_REPO" &&
		cp -a "$T/saved/remote" "$T/remote" &&
		cp -a "$T/saved/$(basename "$GS_STATE")" "$GS_STATE"
}
save
local_objects >"$T/saved.local"

# how long one uninterrupted collection takes, and what it leaves
t0=$(date +%s%N)
gs_run 0 "an uninterrupted expire" "$GS_AGENT" expire
dur_us=$((($(date +%s%N) - t0) / 1000))
gs_out_has "[1-9] repacked" "it repacks"
# packs and snapshots by kind and size (new packs get new names each time)
shape() { grep -v '/index/\|/relocs/' | sed -E 's|^tenants/acme/([a-z]+)/.* |\1 |' | sort; }
local_objects | shape >"$T/want.local"
gs_say "one expire takes $((dur_us / 1000)) ms"

# restores SNAP from where ("" local, or fi1) into DIR; 0 when exact
restores() {
	local s=$1 from=$2 dir=$3 n=$4
	rm -rf "$dir"
	"$GS_RESTORE" restore --tenant acme ${from:+--from "$from"} --snapshot "$s" --target "$dir" \
		>"$T/r.out" 2>"$T/r.err" || return 1
	diff -r "$T/night$n" "$dir" >/dev/null
}

bad=0 before=0 during=0 remote=0 after=0
for i in $(seq 1 50); do
	load || gs_fatal "cannot reset the copies"
	# half of the kills within the first eighth, where the local work is
	span=$((i % 2 ? dur_us / 8 : dur_us))
	delay=$(printf '0.%06d' $(((RANDOM * 32768 + RANDOM) % (span + 1))))
	[ "$delay" \> "0.999999" ] && delay=0.5
	timeout -s KILL "$delay" "$GS_AGENT" expire >/dev/null 2>&1
	# where the kill landed
	if local_objects | cmp -s - "$T/saved.local"; then
		before=$((before + 1))
	elif ! local_objects | shape | cmp -s "$T/want.local" -; then
		during=$((during + 1))
	elif ! remote_objects | shape | cmp -s "$T/want.local" -; then
		remote=$((remote + 1))
	else
		after=$((after + 1))
	fi
	for n in 2 3; do
		for from in "" fi1; do
			restores "${snaps[$((n - 1))]}" "$from" "$T/r" "$n" && continue
			bad=$((bad + 1))
			gs_say "kill $i after ${delay}s: night $n does not restore exactly from ${from:-the local repository}"
			gs_show "$T/r.err"
		done
	done
	"$GS_AGENT" expire >"$T/next.out" 2>"$T/next.err" || {
		bad=$((bad + 1))
		gs_say "kill $i after ${delay}s: the next expire failed"
		gs_show "$T/next.err"
	}
	# packs the killed collection wrote and named nowhere are within the
	# grace: the first collection after it removes them
	find "$GS_REPO/tenants/acme" -type f -exec touch -h -d '-2 hours' {} +
	"$GS_AGENT" expire >"$T/next.out" 2>"$T/next.err" || bad=$((bad + 1))
	local_objects | shape | cmp -s "$T/want.local" - || {
		bad=$((bad + 1))
		gs_say "kill $i after ${delay}s: the next expires left other packs than an uninterrupted one"
	}
	"$GS_AGENT" expire --dry-run >"$T/dry.out" 2>&1
	grep -q ' 0 dead' "$T/dry.out" || {
		bad=$((bad + 1))
		gs_say "kill $i after ${delay}s: dead chunks left after the next expire"
		gs_show "$T/dry.out"
	}
	ship_parity "kill $i: parity after the next expire" >/dev/null || bad=$((bad + 1))
done
gs_say "50 kills: $before before gc changed anything, $during during the local collection, $remote during the remote's, $after after both"
[ "$bad" -eq 0 ] && gs_pass "every kept snapshot restored exactly after every kill, from both copies; every next expire completed" ||
	gs_fail "$bad failures after kills"
[ "$during" -gt 0 ] && [ "$remote" -gt 0 ] &&
	gs_pass "kills landed in the middle of both the local and the remote collection" ||
	gs_fail "the kills missed the local ($during) or the remote ($remote) collection"
gs_finish
