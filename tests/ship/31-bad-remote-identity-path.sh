#!/usr/bin/env bash
# A remote that is wrongly configured, continued from 30-bad-remote-config.sh:
# a missing identity file, or one readable by its group, is a configuration
# error (exit 2) found before any connection is made; a url path that does
# not exist is refused (exit 3) naming the path, and one that holds a
# different repository is refused (exit 3, docs/REPLICATION.md) saying so.
# In every case nothing at all appears on the remote (nor in the other
# repository), and the next `run` once the cause is fixed exits 0 with the
# remote in parity with the local copy.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "bad remote config: identity file, remote path, a different repository"
gs_need pgrep sed tail cmp

# ---- helpers (ere, mark, since_mark, nothing_new ...: lib.sh) ------------

# connections_since_mark: how many connections sshd accepted since the
# mark, not counting a probe made now.  The probe is accepted after any
# connection made before it (the listen queue is in order); once every
# session has ended, all their "Connection from" lines are in the log.
connections_since_mark() {
	local line='' n
	if { exec 3<>"/dev/tcp/127.0.0.1/$GS_SSHD_PORT"; } 2>/dev/null; then
		read -r -t 10 line <&3
		exec 3<&- 3>&-
	fi
	[[ $line == SSH-2.0-* ]] || { echo "the probe connection to sshd got no banner" >&2; return 1; }
	sshd_settle
	since_mark
	n=$(grep -c '^Connection from ' "$T/since.log")
	echo $((n - 1))
}

# no_connection WHAT: since the mark, sshd accepted no connection.
no_connection() {
	local n
	n=$(connections_since_mark) || { gs_fail "$1: cannot count the connections"; return 1; }
	if [ "$n" = 0 ]; then
		gs_pass "$1: no connection was made (sshd saw only the probe)"
	else
		gs_fail "$1: sshd saw $n connection(s) from the agent"
		grep '^Connection from ' "$T/since.log" | sed 's/^/#   | /'
	fi
}

GOOD_ID=$REMOTE_ID
GOOD_URL=$REMOTE_URL

# ---- a working remote first ---------------------------------------------

gs_run 0 "the first run with the right configuration" "$GS_AGENT" run
ship_parity "the first run fills the remote"

# ---- identity file ------------------------------------------------------

gs_say "identity file missing"
pending_work "missing identity"
REMOTE_ID=$T/keys-ssh/id_ed25519
ship_config
mark
gs_run 2 "a missing identity file: ship refuses (configuration error)" "$GS_AGENT" ship
gs_err_has "$(ere "$REMOTE_ID")" "missing identity: the message names the file"
gs_err_has "No such file" "missing identity: the message says it does not exist"
no_connection "missing identity"
nothing_new "missing identity"
# the fix: put the key where the configuration says
mkdir -p "$T/keys-ssh" && cp "$GOOD_ID" "$REMOTE_ID" && chmod 600 "$REMOTE_ID" ||
	gs_fatal "cannot install the key at $REMOTE_ID"
fixed_run "missing identity"

gs_say "identity file readable by its group"
pending_work "group-readable identity"
cp "$GOOD_ID" "$T/id_group" && chmod 640 "$T/id_group" || gs_fatal "cannot copy the key"
REMOTE_ID=$T/id_group
ship_config
mark
gs_run 2 "a group-readable identity (mode 0640): ship refuses (configuration error)" "$GS_AGENT" ship
gs_err_has "$(ere "$T/id_group")" "group-readable identity: the message names the file"
gs_err_has "group or others" "group-readable identity: the message says group/others may read it"
gs_err_has "0640" "group-readable identity: the message shows the mode"
no_connection "group-readable identity"
nothing_new "group-readable identity"
chmod 600 "$T/id_group" || gs_fatal "chmod 600"
fixed_run "group-readable identity (now mode 0600)"
REMOTE_ID=$GOOD_ID

# ---- remote path --------------------------------------------------------

gs_say "a url path that does not exist"
pending_work "wrong path"
WRONG=$T/remote-typo
REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$WRONG"
ship_config
mark
gs_run 3 "a url path that does not exist: ship refuses" "$GS_AGENT" ship
gs_err_has "$(ere "$WRONG")" "wrong path: the message names the path"
# control for no_connection above: the connection the agent made here counts
n=$(connections_since_mark) && [ "$n" -ge 1 ] &&
	gs_pass "wrong path: the connection count sees the agent's connection (control)" ||
	gs_fail "wrong path: the connection count missed the agent's connection: the 'no connection' checks prove nothing"
[ ! -e "$WRONG" ] && gs_pass "wrong path: the agent did not create it" ||
	gs_fail "wrong path: $WRONG was created"
nothing_new "wrong path"
REMOTE_URL=$GOOD_URL
fixed_run "wrong path"

gs_say "a url path that holds a different repository"
pending_work "different repository"
OTHER=$T/other-repo
mkdir -p "$OTHER" || gs_fatal "mkdir $OTHER"
{ printf 'GSRP\001\000\000\000'; head -c 16 /dev/urandom; } >"$OTHER/config" && chmod 0444 "$OTHER/config" ||
	gs_fatal "cannot write $OTHER/config"
# same magic and format version as ours: only the repository id differs
[ "$(stat -c %s "$OTHER/config")" = "$(stat -c %s "$GS_REPO/config")" ] &&
	cmp -s -n 8 "$OTHER/config" "$GS_REPO/config" && ! cmp -s "$OTHER/config" "$GS_REPO/config" &&
	gs_pass "the other repository's config has our format, another id" ||
	gs_fatal "the fake repository config does not look like ours (format changed?)"
OTHER_BEFORE=$(manifest "$OTHER")
REMOTE_URL="sftp://$GS_SSHD_USER@127.0.0.1:$GS_SSHD_PORT$OTHER"
ship_config
mark
gs_run 3 "a path holding a different repository: ship refuses (exit 3 per docs/REPLICATION.md)" \
	"$GS_AGENT" ship
[ "$GS_RC" != 0 ] && gs_pass "different repository: ship did not succeed (exit $GS_RC)" ||
	gs_fail "different repository: ship exited 0"
gs_err_has "different repository" "different repository: the message says so"
gs_err_has "$(ere "$OTHER")" "different repository: the message names the url"
[ "$(manifest "$OTHER")" = "$OTHER_BEFORE" ] &&
	gs_pass "different repository: nothing at all new in the other repository" ||
	{ gs_fail "different repository: the other repository changed"; diff <(echo "$OTHER_BEFORE") <(manifest "$OTHER") | head -20 | sed 's/^/#   | /'; }
nothing_new "different repository"
REMOTE_URL=$GOOD_URL
fixed_run "different repository"

gs_run 0 "status after the last clean run exits 0" "$GS_AGENT" status
gs_finish
