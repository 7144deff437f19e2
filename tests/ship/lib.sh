# lib.sh -- helpers for the replication tests in tests/ship/: a tenant, a
# local repository, and a remote on a throwaway OpenSSH sshd on 127.0.0.1.
# Sourced, never run (CTest skips files named lib.sh).
#
# Everything of tests/scenario/lib.sh (gs_begin, gs_run, gs_err_has,
# gs_check, gs_pass, gs_fail, gs_finish, gs_bg, gs_wait_until ...) and of
# tests/transport/sshd.sh (gs_sshd_start, gs_sshd_kill_sessions ...), plus:
#
#   ship_begin TITLE [sshd_config line]...
#       gs_begin, start sshd in $T/sshd, make the tenant "acme" (keys in
#       $GS_KEYS, a small source tree in $T/data/acme), the remote
#       directory $T/remote, write $T/geosnap.ini (ship_config) and
#       export GEOSNAP_CONFIG; geosnap-agent init.  Fails the test loudly
#       when any of it does not work.
#   ship_config    (re)write $T/geosnap.ini from these variables, which
#                  ship_begin sets and a test may change first:
#       REMOTE_URL      sftp://USER@127.0.0.1:PORT$T/remote
#       REMOTE_ID       identity file ($GS_SSHD_ID_ED25519)
#       REMOTE_KH       known_hosts file ($T/known_hosts)
#       REMOTE_REGION   eu-north        AGENT_REGION   eu-central
#       ALLOWED         "eu-central, eu-north" (policy allowed_regions)
#       AGENT_EXTRA     more lines for the [agent] section (pack_size = 4M)
#       REMOTE_TIMEOUT  the remote's timeout (10s)
#       REMOTE_EXTRA    more lines for the [remote "fi1"] section
#       TENANT_EXTRA    more lines for the [tenant "acme"] section
#   ship_data_more N   add N MiB of random data (a new file) to the source
#   remote_objects     the remote's object files (relative paths), sorted
#   local_objects      the local repository's object files, same form
#   ship_parity WHAT   pass when the remote holds exactly the local objects
#                      (names under tenants/acme, sizes and xxh128sum)
#   flip_byte FILE     invert the byte in the middle of FILE, in place
#   obj_pick KIND      the relative path of one remote object of KIND
#                      (packs, index, snapshots)
#
# Paths: $T/remote is the remote's base; $T/remote/tenants/acme/... its
# objects; $GS_REPO the local repository; $GS_STATE the state_dir.

# shellcheck source=../scenario/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario/lib.sh"
# shellcheck source=../transport/sshd.sh
. "$(dirname "${BASH_SOURCE[0]}")/../transport/sshd.sh"

ship_config() {
	cat >"$T/geosnap.ini" <<INI
[agent]
host = testhost
region = $AGENT_REGION
repository = $GS_REPO
state_dir = $GS_STATE
audit_log = $T/audit.jsonl
metrics_file = $T/metrics.prom
${AGENT_EXTRA:-}

[policy]
allowed_regions = $ALLOWED
verify_sample = 10%

[remote "fi1"]
url = $REMOTE_URL
identity = $REMOTE_ID
known_hosts = $REMOTE_KH
region = $REMOTE_REGION
connections = 2
timeout = ${REMOTE_TIMEOUT:-10s}
$REMOTE_EXTRA

[tenant "acme"]
source = $T/data/acme
write_key = $GS_KEYS/acme.write
read_key = $GS_KEYS/acme.read
$TENANT_EXTRA
INI
}

ship_data_more() {
	local n=$1 f
	f=$T/data/acme/blob-$RANDOM$RANDOM.bin
	head -c "$((n * 1048576))" /dev/urandom >"$f" || gs_fatal "cannot write $f"
}

ship_begin() {
	local title=$1
	shift
	gs_begin "$title"
	gs_need ssh-keygen xxh128sum
	gs_sshd_start "$T/sshd" "$@" || gs_fatal "the test sshd did not start (see above)"
	cp "$GS_SSHD_KNOWN_HOSTS" "$T/known_hosts" || gs_fatal "known_hosts"
	REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$T/remote"
	REMOTE_ID=$GS_SSHD_ID_ED25519
	REMOTE_KH=$T/known_hosts
	REMOTE_REGION=eu-north
	AGENT_REGION=eu-central
	ALLOWED="eu-central, eu-north"
	REMOTE_EXTRA=
	TENANT_EXTRA=
	AGENT_EXTRA=
	mkdir -p "$T/remote" "$T/data/acme/docs" || gs_fatal "mkdir"
	cp -a /usr/share/doc/bash/. "$T/data/acme/docs/" 2>/dev/null
	seq 1 200000 >"$T/data/acme/numbers.txt"
	ship_data_more 3
	"$GS_RESTORE" keygen --tenant acme --out "$GS_KEYS" >"$T/keygen.out" 2>&1 ||
		{ gs_show "$T/keygen.out"; gs_fatal "keygen failed"; }
	ship_config
	export GEOSNAP_CONFIG=$T/geosnap.ini
	"$GS_AGENT" init >"$T/init.out" 2>&1 || { gs_show "$T/init.out"; gs_fatal "init failed"; }
}

# _objects DIR: "relpath size" of every object file under DIR/tenants/acme
# (temporaries and the quarantine excluded).
_objects() {
	[ -d "$1/tenants/acme" ] || return 0
	(cd "$1" && find tenants/acme \( -path 'tenants/acme/quarantine' -prune \) -o \
		-type f ! -name '.gstmp-*' ! -name lock -printf '%p %s\n' | sort)
}

remote_objects() { _objects "$T/remote"; }
local_objects() { _objects "$GS_REPO"; }

ship_parity() {
	local what=$1 l r bad=0 p
	l=$(local_objects)
	r=$(remote_objects)
	if [ "$l" != "$r" ]; then
		gs_fail "$what: the remote's objects differ from the local ones"
		diff <(echo "$l") <(echo "$r") | head -20 | sed 's/^/#   | /'
		return 1
	fi
	while read -r p _; do
		[ -n "$p" ] || continue
		[ "$(xxh128sum "$T/remote/$p" 2>/dev/null | cut -d' ' -f1)" = "$(basename "$p")" ] || {
			bad=1
			gs_say "bad bytes: $p"
		}
	done <<<"$r"
	[ -n "$r" ] || { gs_fail "$what: no object at all"; return 1; }
	[ "$bad" = 0 ] && gs_pass "$what" || gs_fail "$what: some remote object does not hash to its name"
}

obj_pick() {
	(cd "$T/remote" && find "tenants/acme/$1" -type f ! -name '.gstmp-*' | sort | head -n 1)
}

# flip_byte FILE: invert the byte in the middle of FILE, in place (the
# file may be read-only: we are root).
flip_byte() {
	local f=$1 n off b
	n=$(stat -c %s "$f") || return 1
	off=$((n / 2))
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ') || return 1
	[ -n "$b" ] || return 1
	# shellcheck disable=SC2059
	printf "\\$(printf '%03o' $((b ^ 255)))" |
		dd of="$f" bs=1 seek="$off" count=1 conv=notrunc status=none
}
