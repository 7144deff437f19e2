# repo.sh -- where a repository keeps a tenant's objects, for the shell
# tests (docs/FORMAT.md is the authority; these helpers only read).
# Sourced, never run.  Needs tests/lib/harness.sh for $GS_REPO's default.
#
#   BASE/tenants/TENANT/packs/<first 2 hex>/NAME    packs
#   BASE/tenants/TENANT/index/NAME                  index segments
#   BASE/tenants/TENANT/snapshots/NAME              snapshot records
#   BASE/tenants/TENANT/quarantine/, lock, .gstmp-* temporaries
# NAME is the 32-hex xxh128 of the object's bytes.
#
#   gs_tenant_dir TENANT [BASE]     BASE/tenants/TENANT
#   gs_obj_relpath KIND NAME        KIND/NAME, or packs/<2 hex>/NAME
#   gs_snaps TENANT [BASE]          snapshot names, sorted
#   gs_objects TENANT KIND [BASE]   paths of the published objects of KIND
#   gs_new_snap TENANT BEFORE...    the one snapshot name not among BEFORE
#   gs_object_list BASE TENANT      "relpath size" of every object file
#   gs_obj_pick BASE TENANT KIND    relative path of one object of KIND
# BASE defaults to $GS_REPO.
# shellcheck shell=bash source-path=SCRIPTDIR

[ -z "${GS_REPO_SH_LOADED:-}" ] || return 0
GS_REPO_SH_LOADED=1

gs_tenant_dir() { printf '%s/tenants/%s\n' "${2:-$GS_REPO}" "$1"; }

# gs_obj_relpath KIND NAME: the object's path below its tenant's directory.
gs_obj_relpath() {
	case $1 in
	packs) printf 'packs/%s/%s\n' "${2:0:2}" "$2" ;;
	*) printf '%s/%s\n' "$1" "$2" ;;
	esac
}

# gs_snaps TENANT [BASE]: the tenant's snapshot object names, sorted.
gs_snaps() {
	local d
	d=$(gs_tenant_dir "$1" "${2:-}")/snapshots
	[ -d "$d" ] || return 0
	find "$d" -maxdepth 1 -type f -printf '%f\n' | grep -E '^[0-9a-f]{32}$' | sort
}

# gs_objects TENANT KIND [BASE]: paths of the published objects of a kind
# (packs, index, snapshots), sorted.
gs_objects() {
	local d
	d=$(gs_tenant_dir "$1" "${3:-}")/$2
	[ -d "$d" ] || return 0
	find "$d" -type f -regextype posix-extended -regex '.*/[0-9a-f]{32}' | sort
}

# gs_new_snap TENANT BEFORE...: the one snapshot name not among BEFORE.
gs_new_snap() {
	local t=$1 s b found=
	shift
	for s in $(gs_snaps "$t"); do
		for b in "$@"; do
			[ "$s" = "$b" ] && continue 2
		done
		[ -z "$found" ] || { echo "more than one new snapshot" >&2; return 1; }
		found=$s
	done
	[ -n "$found" ] || { echo "no new snapshot" >&2; return 1; }
	echo "$found"
}

# gs_object_list BASE TENANT: "relpath size" of every object file under
# BASE/tenants/TENANT (temporaries, the lock and the quarantine excluded),
# sorted; relpath starts with tenants/TENANT/.
gs_object_list() {
	[ -d "$1/tenants/$2" ] || return 0
	(cd "$1" && find "tenants/$2" \( -path "tenants/$2/quarantine" -prune \) -o \
		-type f ! -name '.gstmp-*' ! -name lock -printf '%p %s\n' | sort)
}

# gs_obj_pick BASE TENANT KIND: the relative path (tenants/TENANT/KIND/...)
# of the first object of KIND in sorted order.
gs_obj_pick() {
	(cd "$1" && find "tenants/$2/$3" -type f ! -name '.gstmp-*' | sort | head -n 1)
}
