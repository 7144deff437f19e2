# lib.sh -- helpers for the retention tests in tests/expire/: the tenant
# "acme" of tests/ship/lib.sh with a local repository and a remote "fi1" on
# a throwaway OpenSSH sshd, backed up several times with different data.
# Sourced, never run (CTest skips files named lib.sh).
#
# Everything of tests/ship/lib.sh (ship_begin, ship_config, remote_objects,
# local_objects, manifest, ...), plus:
#
#   expire_begin TITLE   ship_begin with a policy of keep_last = 2 (the
#                        calendar rules off: they are unit-tested in
#                        tests/unit/test_retention.c) and the test-only
#                        GEOSNAP_TEST_EXPIRE_GRACE=0, so that snapshots made
#                        seconds ago may be removed (docs/CLI.md)
#   version_backup       change the source (a new version file), back up,
#                        and keep a copy of the source as $T/versions/SNAP;
#                        SNAP (the new snapshot's name) in $SNAP
#   four_backups         version_backup four times, their names in S[0..3]
#   local_snaps, remote_snaps    the snapshot names of each copy, sorted
#   copies_manifest      every entry of both copies (type, size, mode, mtime)
#   restores_exactly WHAT FROM SNAP   geosnap-restore restore --from FROM
#                        --snapshot SNAP equals the source it was made of
#   expire_records       the "expire" records of the audit log, oldest first
#   rec_field N FIELD    FIELD of the N-th last "expire" record (1 = last)
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../ship/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ship/lib.sh"

RETAIN_POLICY="keep_last = 2
keep_daily = 0
keep_weekly = 0
keep_monthly = 0"

expire_begin() {
	ship_begin "$1"
	TENANT_EXTRA=$RETAIN_POLICY
	ship_config
	export GEOSNAP_TEST_EXPIRE_GRACE=0
	mkdir -p "$T/versions"
	VERSION=0
}

version_backup() {
	local before
	before=$(local_snaps)
	VERSION=$((VERSION + 1))
	echo "version $VERSION $RANDOM" >"$T/data/acme/version.txt"
	head -c 65536 /dev/urandom >"$T/data/acme/v$VERSION.bin"
	"$GS_AGENT" backup >"$T/backup.out" 2>&1 || { gs_show "$T/backup.out"; gs_fatal "backup $VERSION failed"; }
	# shellcheck disable=SC2086  # names are 32 hex digits
	SNAP=$(gs_new_snap acme $before) || gs_fatal "backup $VERSION made no new snapshot"
	cp -a "$T/data/acme" "$T/versions/$SNAP" || gs_fatal "cp"
}

four_backups() {
	for _ in 1 2 3 4; do
		version_backup
		S+=("$SNAP")
	done
}

local_snaps() { gs_snaps acme; }
remote_snaps() { gs_snaps acme "$T/remote"; }

copies_manifest() {
	manifest "$GS_REPO"
	manifest "$T/remote"
}

restores_exactly() {
	local what=$1 from=$2 snap=$3 dir=$T/restored.$RANDOM
	if "$GS_RESTORE" restore --tenant acme --from "$from" --snapshot "$snap" --target "$dir" \
		>"$T/restore.out" 2>&1; then
		if diff -r "$T/versions/$snap" "$dir" >"$T/restore.diff" 2>&1; then
			gs_pass "$what: snapshot ${snap:0:12} from $from restores exactly"
		else
			gs_fail "$what: snapshot ${snap:0:12} from $from restores other content"
			gs_show "$T/restore.diff"
		fi
	else
		gs_fail "$what: snapshot ${snap:0:12} from $from does not restore"
		gs_show "$T/restore.out"
	fi
	rm -rf "$dir"
}

expire_records() { grep -h '"event":"expire"' "$T"/audit.*.jsonl "$T/audit.jsonl" 2>/dev/null; }

rec_field() {
	expire_records | tail -n "$1" | head -n 1 | python3 -c '
import json, sys
v = json.loads(sys.stdin.read()).get(sys.argv[1], "(absent)")
print(" ".join(v) if isinstance(v, list) else "null" if v is None else v)' "$2"
}
