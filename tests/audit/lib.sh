# lib.sh -- helpers for the audit-log tests in tests/audit/: everything of
# tests/ship/lib.sh (a tenant, a local repository, a remote on a throwaway
# sshd), plus a signing pair and a config that signs the audit log.
# Sourced, never run.
#
#   audit_begin TITLE   ship_begin, then `geosnap-restore keygen --audit
#                       --out $T/akey` and audit_key in the config
#   LOG                 the open segment ($T/audit.jsonl)
#   PUB, KEY            $T/akey/audit.pub and audit.key
#   segments            the closed segments beside LOG, oldest first
#   stock_ok FILE WHAT  pass when stock minisign verifies FILE
#   stock_bad FILE WHAT pass when stock minisign refuses FILE
#   verify_is RC WHAT [ARGS]  log verify (with --pubkey) exits RC
#   line_of N FILE      the line with seq N of FILE
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../ship/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ship/lib.sh"

audit_begin() {
	ship_begin "$@"
	gs_need minisign
	LOG=$T/audit.jsonl
	KEY=$T/akey/audit.key
	PUB=$T/akey/audit.pub
	mkdir -p "$T/akey" || gs_fatal "mkdir"
	"$GS_RESTORE" keygen --audit --out "$T/akey" 2>"$T/keygen.err" ||
		{ cat "$T/keygen.err"; gs_fatal "keygen --audit failed"; }
	AGENT_EXTRA="audit_key = $KEY"
	ship_config
}

segments() {
	find "$T" -maxdepth 1 -name 'audit.????????.??????????.jsonl' | sort
}

stock_ok() {
	if minisign -Vm "$1" -p "$PUB" >"$T/minisign.out" 2>&1; then
		gs_pass "$2"
	else
		gs_fail "$2"
		gs_show "$T/minisign.out"
	fi
}

stock_bad() {
	if minisign -Vm "$1" -p "$PUB" >"$T/minisign.out" 2>&1; then
		gs_fail "$2"
	else
		gs_pass "$2"
	fi
}

verify_is() {
	local want=$1 what=$2
	shift 2
	gs_run "$want" "$what" "$GS_RESTORE" log verify --pubkey "$PUB" "$@"
}

line_of() {
	grep "^{\"v\":1,\"seq\":$1," "$2"
}
