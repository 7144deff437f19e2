/*
 * layout.c -- every name and path inside a repository copy (layout.h).
 */
#include <stdio.h>
#include <string.h>

#include "geosnap/layout.h"
#include "geosnap/util.h"

static const char *const kind_names[GS_OBJ_NKINDS] = {"packs", "index", "snapshots"};
static const char *const kind_nouns[GS_OBJ_NKINDS] = {"pack", "index", "snapshot"};

const char *
gs_layout_kind_name(int kind)
{
	return (kind >= 0 && kind < GS_OBJ_NKINDS) ? kind_names[kind] : "?";
}

const char *
gs_layout_kind_noun(int kind)
{
	return (kind >= 0 && kind < GS_OBJ_NKINDS) ? kind_nouns[kind] : "?";
}

char *
gs_layout_tenant_dir(const char *tenant)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s", tenant);
}

char *
gs_layout_kind_dir(const char *tenant, int kind)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s", tenant, gs_layout_kind_name(kind));
}

char *
gs_layout_fanout_dir(const char *tenant, unsigned i)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/%02x", tenant, kind_names[GS_OBJ_PACK],
	                   i % GS_LAYOUT_FANOUT);
}

char *
gs_layout_obj(const char *tenant, int kind, const char *name)
{
	if (kind == GS_OBJ_PACK)
		return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/%.2s/%s", tenant,
		                   kind_names[GS_OBJ_PACK], name, name);
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/%s", tenant, gs_layout_kind_name(kind), name);
}

char *
gs_layout_obj_dir(const char *tenant, int kind, const char *name)
{
	if (kind == GS_OBJ_PACK)
		return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/%.2s", tenant, kind_names[GS_OBJ_PACK],
		                   name);
	return gs_layout_kind_dir(tenant, kind);
}

char *
gs_layout_tmp(const char *tenant, int kind, const char *tag)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/%s/" GS_TMP_PREFIX "%s", tenant,
	                   gs_layout_kind_name(kind), tag);
}

char *
gs_layout_quarantine_dir(const char *tenant)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/quarantine", tenant);
}

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

char *
gs_layout_lock(const char *tenant)
{
	return gs_asprintf(GS_LAYOUT_TENANTS "/%s/lock", tenant);
}

int
gs_layout_is_objname(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 32;
}

int
gs_layout_is_fanout(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

int
gs_layout_is_tmp(const char *s)
{
	return strncmp(s, GS_TMP_PREFIX, strlen(GS_TMP_PREFIX)) == 0;
}
