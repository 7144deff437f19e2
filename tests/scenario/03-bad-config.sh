#!/bin/bash
# 03-bad-config: a missing or malformed configuration makes both programs
# exit 2 with a message naming the file and, where there is one, the line;
# nothing is created on the way.  A key only the agent uses (repository,
# state_dir, a tenant's source and write_key, the [agent] section itself)
# is required by the agent, named with the file and line, and optional for
# geosnap-restore.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "missing or malformed configuration: file:line named, exit 2"

gs_keygen acme
mkdir -p "$T/src" && echo data >"$T/src/f"
REPO=$T/repo
GOOD="[agent]
region = eu-central
repository = $REPO
state_dir = $T/state

[tenant \"acme\"]
source = $T/src
write_key = $GS_KEYS/acme.write
read_key = $GS_KEYS/acme.read"

# bad NAME LINE CONTENT: CONTENT as bad.ini; each program must exit 2 naming
# bad.ini:LINE (or just the file when LINE is empty), and create nothing.
bad() {
	local name=$1 line=$2 f=$T/cfg/bad.ini want
	mkdir -p "$T/cfg"
	printf '%s\n' "$3" >"$f"
	if [ -n "$line" ]; then
		want="bad\.ini:$line:"
	else
		want="bad\.ini"
	fi
	gs_run 2 "$name: agent backup" "$GS_AGENT" -c "$f" backup &&
		gs_err_has "$want" "$name: agent names ${f##*/}${line:+:$line}"
	gs_run 2 "$name: agent init" "$GS_AGENT" -c "$f" init
	gs_run 2 "$name: restore check" "$GS_RESTORE" -c "$f" check --tenant acme &&
		gs_err_has "$want" "$name: restore names ${f##*/}${line:+:$line}"
	[ ! -e "$REPO" ] && [ ! -e "$T/state" ] ||
		gs_fail "$name: the repository or state directory was created from a bad configuration"
}

bad "unknown key" 3 "${GOOD/region = eu-central/region = eu-central
colour = blue}"
bad "misspelt key" 4 "${GOOD/state_dir/statedir}"
bad "unterminated section header" 1 "${GOOD/\[agent\]/[agent}"
bad "unknown section" 11 "$GOOD

[bogus]
x = 1"
bad "line without '='" 3 "${GOOD/region = eu-central/region = eu-central
just some words}"
bad "key set twice" 3 "${GOOD/region = eu-central/region = eu-central
region = eu-north}"
bad "relative source path" 7 "${GOOD/source = $T\/src/source = relative/path}"
bad "bad number" 12 "$GOOD

[remote \"r\"]
connections = many"
bad "bad duration" 12 "$GOOD

[remote \"r\"]
timeout = 30 secs"
bad "a policy that keeps nothing" 15 "$GOOD

[policy]
keep_last = 0
keep_daily = 0
keep_weekly = 0
keep_monthly = 0" &&
	gs_err_has "bad\.ini:15: \[policy\] key 'keep_monthly': the retention policy keeps nothing" \
		"a retention policy that keeps nothing is refused naming the key"
bad "number out of range" 5 "${GOOD/state_dir = $T\/state/state_dir = $T/state
threads = 0}"
bad "bad tenant name" 6 "${GOOD/\[tenant \"acme\"\]/[tenant \"bad name\"]}"
bad "tenant defined twice" 10 "$GOOD
[tenant \"acme\"]
source = $T/src
write_key = $GS_KEYS/acme.write"
# agent_only NAME WANT CONTENT [RESTORE ARGS]...: CONTENT lacks what only
# the agent needs: the agent must exit 2 with a message matching WANT
# (file, line, key) and create nothing; geosnap-restore check (with RESTORE
# ARGS) must accept it once the repository exists (see below).
AGENT_ONLY=()
agent_only() {
	local name=$1 want=$2 f
	f=$T/cfg/agent-only-${#AGENT_ONLY[@]}.ini
	mkdir -p "$T/cfg"
	printf '%s\n' "$3" >"$f"
	shift 3
	gs_run 2 "$name: agent backup" "$GS_AGENT" -c "$f" backup &&
		gs_err_has "$want" "$name: agent names the file, line and key"
	gs_run 2 "$name: agent init" "$GS_AGENT" -c "$f" init
	[ ! -e "$REPO" ] && [ ! -e "$T/state" ] ||
		gs_fail "$name: the repository or state directory was created from a bad configuration"
	AGENT_ONLY+=("$name|$f|$*")
}

agent_only "tenant without write_key" "agent-only-0\.ini:6: \[tenant \"acme\"\] missing required key 'write_key'" \
	"${GOOD/write_key = $GS_KEYS\/acme.write/}"
agent_only "tenant without source" "agent-only-1\.ini:6: \[tenant \"acme\"\] missing required key 'source'" \
	"${GOOD/source = $T\/src/}"
agent_only "missing repository" "agent-only-2\.ini:1: \[agent\] missing required key 'repository'" \
	"${GOOD/repository = $REPO/}" --repo "$REPO"
agent_only "missing state_dir" "agent-only-3\.ini:1: \[agent\] missing required key 'state_dir'" \
	"${GOOD/state_dir = $T\/state/}"
agent_only "missing [agent] section" "agent-only-4\.ini: missing required section \[agent\]" \
	"[tenant \"acme\"]
read_key = $GS_KEYS/acme.read" --repo "$REPO"
agent_only "empty file" "agent-only-5\.ini: missing required section \[agent\]" "" \
	--repo "$REPO" --key "$GS_KEYS/acme.read"
bad "binary garbage" 1 "$(head -c 3000 /dev/urandom | tr -d '\0\n' | head -c 150)"
bad "NUL byte in a line" 3 "$(printf '[agent]\nregion = eu\nrepo\001sitory = x')"

gs_say "a configuration file that does not exist"
gs_run 2 "agent: -c of a missing file" "$GS_AGENT" -c "$T/nonexistent.ini" backup &&
	gs_err_has "$T/nonexistent.ini" "agent names the missing file"
gs_run 2 "restore: -c of a missing file" "$GS_RESTORE" -c "$T/nonexistent.ini" check --tenant acme &&
	gs_err_has "$T/nonexistent.ini" "restore names the missing file"
gs_run 2 "agent: \$GEOSNAP_CONFIG names a missing file" env GEOSNAP_CONFIG="$T/env.ini" "$GS_AGENT" backup &&
	gs_err_has "$T/env.ini" "agent names the file from \$GEOSNAP_CONFIG"
gs_run 2 "agent: -c of a directory" "$GS_AGENT" -c "$T" backup &&
	gs_err_has "$T" "agent names the directory"

gs_say "and the good configuration works, so the cases above failed for their own reason"
printf '%s\n' "$GOOD" >"$T/cfg/good.ini"
gs_run 0 "agent init with the good configuration" "$GS_AGENT" -c "$T/cfg/good.ini" init
gs_run 0 "agent backup with the good configuration" "$GS_AGENT" -c "$T/cfg/good.ini" backup
gs_run 0 "restore check with the good configuration" "$GS_RESTORE" -c "$T/cfg/good.ini" check --tenant acme

gs_say "geosnap-restore does not need the keys only the agent uses"
for case in "${AGENT_ONLY[@]}"; do
	IFS='|' read -r name f args <<<"$case"
	# shellcheck disable=SC2086 # args: words without blanks
	gs_run 0 "$name: restore check accepts it" "$GS_RESTORE" -c "$f" check --tenant acme $args
done

gs_say "a valid configuration whose key file is missing"
printf '%s\n' "${GOOD//acme.write/nothere.write}" >"$T/cfg/nokey.ini"
gs_run 2 "agent backup with a missing write key file" "$GS_AGENT" -c "$T/cfg/nokey.ini" backup &&
	gs_err_has "nothere\.write" "agent names the missing key file"
printf '%s\n' "${GOOD//acme.read/nothere.read}" >"$T/cfg/noread.ini"
gs_run 2 "restore check with a missing read key file" "$GS_RESTORE" -c "$T/cfg/noread.ini" check --tenant acme &&
	gs_err_has "nothere\.read" "restore names the missing key file"
gs_run 2 "backup --tenant of an unconfigured tenant" "$GS_AGENT" -c "$T/cfg/good.ini" backup --tenant ghost &&
	gs_err_has "ghost" "agent names the unknown tenant"
gs_run 2 "restore check --tenant of an unconfigured tenant" "$GS_RESTORE" -c "$T/cfg/good.ini" check --tenant ghost &&
	gs_err_has "ghost" "restore names the unknown tenant"
gs_run 2 "agent: unknown command" "$GS_AGENT" -c "$T/cfg/good.ini" frobnicate
gs_run 2 "agent: unknown option" "$GS_AGENT" -c "$T/cfg/good.ini" backup --frobnicate
gs_run 2 "restore: unknown option" "$GS_RESTORE" -c "$T/cfg/good.ini" check --tenant acme --frobnicate
gs_finish
