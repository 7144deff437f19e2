#!/usr/bin/env bash
# A retention policy that would keep nothing is refused when the
# configuration is loaded: exit 2, the message naming file:line and the
# key, for [policy] and for a tenant's effective policy (its overrides on
# top of [policy]), and a max_age under a day.  Nothing runs: both copies
# are exactly as before.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
expire_begin "a policy that keeps nothing: exit 2 naming file:line and key"
version_backup
version_backup
gs_run 0 "ship" "$GS_AGENT" ship
copies_manifest >"$T/before.manifest"
INI=$T/geosnap.ini

# refused LINE KEY SECTION WHAT: expire, backup and run exit 2 naming
# geosnap.ini:LINE and the key; the copies are unchanged.
refused() {
	local line=$1 key=$2 sect=$3 what=$4 cmd
	for cmd in expire backup run; do
		gs_run 2 "$what: $cmd refused" "$GS_AGENT" "$cmd"
	done
	gs_err_has "geosnap\.ini:$line: \[$sect\] key '$key': $5" "$what: the message names geosnap.ini:$line and key '$key'"
	copies_manifest >"$T/after.manifest"
	cmp -s "$T/before.manifest" "$T/after.manifest" && gs_pass "$what: both copies unchanged" ||
		gs_fail "$what: a copy changed"
}

# [policy]: every keep_* 0
TENANT_EXTRA=
ship_config
sed -i 's/^verify_sample = 10%$/&\nkeep_last = 0\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0/' "$INI"
line=$(grep -n '^keep_monthly = 0' "$INI" | cut -d: -f1)
refused "$line" keep_monthly policy "[policy] keeps nothing" "the retention policy keeps nothing"

# a tenant's overrides make its effective policy keep nothing
TENANT_EXTRA="keep_daily = 0
keep_weekly = 0
keep_last = 0
keep_monthly = 0"
ship_config
line=$(grep -n '^keep_monthly = 0' "$INI" | cut -d: -f1)
refused "$line" keep_monthly 'tenant "acme"' "the tenant keeps nothing" "the retention policy keeps nothing"

# max_age under a day
TENANT_EXTRA="max_age = 2h"
ship_config
line=$(grep -n '^max_age = 2h' "$INI" | cut -d: -f1)
refused "$line" max_age 'tenant "acme"' "max_age = 2h" "max_age shorter than a day"

# the same policy with one rule left on is accepted
TENANT_EXTRA="keep_daily = 0
keep_weekly = 0
keep_last = 0
keep_monthly = 0
keep_yearly = 1"
ship_config
gs_run 0 "keep_yearly = 1 alone is accepted" "$GS_AGENT" expire --dry-run
gs_finish
