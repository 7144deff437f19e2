/*
 * layout.c -- every name and path inside a repository copy (layout.h).
 */
#include <stdio.h>
#include <string.h>

#include "geosnap/layout.h"
#include "geosnap/util.h"

static const char *const kind_names[GS_OBJ_NKINDS] = {"packs", "index", "snapshots", "relocs"};
static const char *const kind_nouns[GS_OBJ_NKINDS] = {"pack", "index", "snapshot", "relocation"};

/* gs_layout_kind_name(kind): "packs", "index" or "snapshots" ("?"). */
const char *
gs_layout_kind_name(int kind)
{
	return (kind >= 0 && kind < GS_OBJ_NKINDS) ? kind_names[kind] : "?";
}

/* gs_layout_kind_noun(kind): "pack", "index" or "snapshot", for messages. */
const char *
gs_layout_kind_noun(int kind)
{
	return (kind >= 0 && kind < GS_OBJ_NKINDS) ? kind_nouns[kind] : "?";
}

/* gs_layout_tenant_dir(tenant): "tenants/T". */
char *
gs_layout_tenant_dir(const char *tenant)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s", tenant);
}

/* gs_layout_kind_dir(tenant, kind): "tenants/T/packs" and so on. */
char *
gs_layout_kind_dir(const char *tenant, int kind)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s", tenant, gs_layout_kind_name(kind));
}

/* gs_layout_fanout_dir(tenant, i): "tenants/T/packs/xx", xx = i in hex
 * (i < GS_LAYOUT_FANOUT). */
char *
gs_layout_fanout_dir(const char *tenant, unsigned i)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/%02x", tenant, kind_names[GS_OBJ_PACK],
	                   i % GS_LAYOUT_FANOUT);
}

/* gs_layout_obj(tenant, kind, name): the object's path. */
char *
gs_layout_obj(const char *tenant, int kind, const char *name)
{
	if (kind == GS_OBJ_PACK)
		return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/%.2s/%s", tenant,
		                   kind_names[GS_OBJ_PACK], name, name);
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/%s", tenant, gs_layout_kind_name(kind), name);
}

/* gs_layout_obj_dir(tenant, kind, name): the directory the object lives in
 * (its fan-out directory for a pack). */
char *
gs_layout_obj_dir(const char *tenant, int kind, const char *name)
{
	if (kind == GS_OBJ_PACK)
		return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/%.2s", tenant, kind_names[GS_OBJ_PACK],
		                   name);
	return gs_layout_kind_dir(tenant, kind);
}

/* gs_layout_tmp(tenant, kind, tag): "tenants/T/<kind>/.gstmp-<tag>". */
char *
gs_layout_tmp(const char *tenant, int kind, const char *tag)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/" GS_TMP_PREFIX "%s", tenant,
	                   gs_layout_kind_name(kind), tag);
}

/* gs_layout_quarantine_dir(tenant): "tenants/T/quarantine". */
char *
gs_layout_quarantine_dir(const char *tenant)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/quarantine", tenant);
}

/* gs_layout_quarantine(tenant, what, base, when, n): where a file moved
 * aside goes: "tenants/T/quarantine/<what>-<base>-<when>", and "-<n>" when
 * n > 0 (the name was taken). */
char *
gs_layout_quarantine(const char *tenant, const char *what, const char *base, long long when,
                     unsigned n)
{
	if (n == 0)
		return gs_asprintf(GS_LAYOUT_TENANTS "/%s/quarantine/%s-%s-%lld", tenant, what,
		                   base, when);
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/quarantine/%s-%s-%lld-%u", tenant, what, base,
	                   when, n);
}

/* gs_layout_lock(tenant): "tenants/T/lock". */
char *
gs_layout_lock(const char *tenant)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/lock", tenant);
}

/* gs_layout_is_objname(s): 1 when s is an object name (32 lowercase hex). */
int
gs_layout_is_objname(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 32;
}

/* gs_layout_is_fanout(s): 1 when s names a pack fan-out directory (2
 * lowercase hex digits). */
int
gs_layout_is_fanout(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

/* gs_layout_is_tmp(s): 1 when the file name s is a temporary's. */
int
gs_layout_is_tmp(const char *s)
{
	return strncmp(s, GS_TMP_PREFIX, strlen(GS_TMP_PREFIX)) == 0;
}
