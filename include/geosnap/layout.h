/*
 * layout.h -- every name and path inside a repository copy, relative to the
 * copy's base: the same on the local repository and on every remote
 * (docs/FORMAT.md, "Layout").  Nothing else builds these strings.
 *
 *   config                                  the repository config object
 *   tenants/<tenant>/packs/<xx>/<name>      xx = the first 2 hex digits of name
 *   tenants/<tenant>/index/<name>
 *   tenants/<tenant>/snapshots/<name>
 *   tenants/<tenant>/relocs/<name>          made by the first garbage collection
 *   tenants/<tenant>/<kind>/.gstmp-<tag>    temporaries (packs/<xx>/ too)
 *   tenants/<tenant>/quarantine/<what>-<name>-<unix time>[-N]
 *   tenants/<tenant>/lock                   the writer lock (local copy)
 *
 * Every function returning char * returns a malloc'd string, or NULL when
 * out of memory (warned).
 */
#ifndef GEOSNAP_LAYOUT_H
#define GEOSNAP_LAYOUT_H

#include "geosnap/util.h" /* GS_TMP_PREFIX */

#define GS_OBJ_PACK 0
#define GS_OBJ_INDEX 1
#define GS_OBJ_SNAP 2
#define GS_OBJ_RELOC 3 /* relocation objects (garbage collection) */
#define GS_OBJ_NKINDS 4

/* The repository config object's name. */
#define GS_LAYOUT_CONFIG "config"
/* The directory of all tenants. */
#define GS_LAYOUT_TENANTS "tenants"
/* Pack directories fan out over the first two hex digits of the name. */
#define GS_LAYOUT_FANOUT 256

/* gs_layout_kind_name(kind): "packs", "index", "snapshots" or "relocs"
 * ("?"). */
const char *gs_layout_kind_name(int kind);
/* gs_layout_kind_noun(kind): "pack", "index", "snapshot" or "relocation",
 * for messages. */
const char *gs_layout_kind_noun(int kind);

/* gs_layout_tenant_dir(tenant): "tenants/T". */
char *gs_layout_tenant_dir(const char *tenant);
/* gs_layout_kind_dir(tenant, kind): "tenants/T/packs" and so on. */
char *gs_layout_kind_dir(const char *tenant, int kind);
/* gs_layout_fanout_dir(tenant, i): "tenants/T/packs/xx", xx = i in hex
 * (i < GS_LAYOUT_FANOUT). */
char *gs_layout_fanout_dir(const char *tenant, unsigned i);
/* gs_layout_obj(tenant, kind, name): the object's path. */
char *gs_layout_obj(const char *tenant, int kind, const char *name);
/* gs_layout_obj_dir(tenant, kind, name): the directory the object lives in
 * (its fan-out directory for a pack). */
char *gs_layout_obj_dir(const char *tenant, int kind, const char *name);
/* gs_layout_tmp(tenant, kind, tag): "tenants/T/<kind>/.gstmp-<tag>". */
char *gs_layout_tmp(const char *tenant, int kind, const char *tag);
/* gs_layout_quarantine_dir(tenant): "tenants/T/quarantine". */
char *gs_layout_quarantine_dir(const char *tenant);
/* gs_layout_quarantine(tenant, what, base, when, n): where a file moved
 * aside goes: "tenants/T/quarantine/<what>-<base>-<when>", and "-<n>" when
 * n > 0 (the name was taken). */
char *gs_layout_quarantine(const char *tenant, const char *what, const char *base, long long when,
                           unsigned n);
/* gs_layout_lock(tenant): "tenants/T/lock". */
char *gs_layout_lock(const char *tenant);

/* gs_layout_is_objname(s): 1 when s is an object name (32 lowercase hex). */
int gs_layout_is_objname(const char *s);
/* gs_layout_is_fanout(s): 1 when s names a pack fan-out directory (2
 * lowercase hex digits). */
int gs_layout_is_fanout(const char *s);
/* gs_layout_is_tmp(s): 1 when the file name s is a temporary's. */
int gs_layout_is_tmp(const char *s);

#endif
