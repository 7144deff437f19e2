# lib.sh -- helpers for the erasure tests in tests/erase/: an offboarded
# tenant's erasure on the local repository and a remote on a throwaway
# OpenSSH sshd, its certificate, orphans.  Sourced, never run (CTest skips
# files named lib.sh).
#
# Everything of tests/ship/lib.sh (ship_begin, ship_config, log_lines,
# local_objects, remote_objects ...), plus:
#
#   erase_begin TITLE  ship_begin, a source file named $MARK, an audit key
#                      made by stock minisign ($T/audit.key, $T/audit.pub)
#                      in the configuration, one nightly run, and a backup
#                      once $MARK is old enough for the files cache
#   day N              the UTC date N days from today (negative: ago)
#   offboard DATE [LINE]...  the tenant's section gets offboarded = DATE and
#                      the LINEs; the configuration is rewritten
#   tenant_files BASE  every file under BASE/tenants/acme (the lock and
#                      the quarantine included), one per line
#   last_rec EVENT FIELD  FIELD of the last EVENT record of the log (JSON
#                      for arrays and objects, strings bare, null as null)
#   nrecs EVENT        how many EVENT records the log holds
#   status_json        `geosnap-agent status --json` into $T/status.json
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../ship/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ship/lib.sh"

MARK=quokka-zebra-7731.txt

erase_begin() {
	ship_begin "$1"
	gs_need minisign b2sum
	echo "the file whose name must not survive the erasure" >"$T/data/acme/$MARK"
	minisign -G -W -p "$T/audit.pub" -s "$T/audit.key" >"$T/minisign-G.out" 2>&1 ||
		{ gs_show "$T/minisign-G.out"; gs_fatal "minisign -G failed"; }
	chmod 600 "$T/audit.key"
	AGENT_EXTRA="audit_key = $T/audit.key"
	ship_config
	gs_run 0 "the nightly run (backup, ship to fi1, verify)" "$GS_AGENT" run ||
		gs_fatal "the nightly run failed"
	# the files cache keeps an entry (and its name) only once its stat is
	# more than 2 s old (GS_FC_MARGIN_NS): a later backup then records it
	gs_wait_until 10 settled "$T/data/acme/$MARK" || gs_fatal "the clock does not move"
	gs_run 0 "a backup that writes the files cache" "$GS_AGENT" backup ||
		gs_fatal "the backup failed"
}

settled() { [ $(($(date +%s) - $(stat -c %Z "$1"))) -ge 3 ]; }

day() { date -u -d "$1 days" +%F; }

offboard() {
	local d=$1 l
	shift
	TENANT_EXTRA="offboarded = $d"
	for l in "$@"; do
		TENANT_EXTRA="$TENANT_EXTRA
$l"
	done
	ship_config
}

tenant_files() { [ -d "$1/tenants/acme" ] && (cd "$1/tenants/acme" && find . -type f | sort); }

last_rec() {
	log_lines | grep "\"event\":\"$1\"" | tail -n 1 | python3 -c '
import json, sys
line = sys.stdin.read().strip()
v = json.loads(line).get(sys.argv[1], "(absent)") if line else "(no record)"
print("null" if v is None else v if isinstance(v, str) else json.dumps(v))
' "$2"
}

nrecs() { log_lines | grep -c "\"event\":\"$1\""; }

status_json() { "$GS_AGENT" status --json >"$T/status.json" 2>/dev/null; }
