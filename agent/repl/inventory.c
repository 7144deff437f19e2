/*
 * inventory.c -- what a copy of one tenant holds: the objects (kind, name,
 * size, and on the local copy its mtime), and on a remote also its
 * temporaries, the files that are neither, and which kind and fan-out
 * directories exist.  Listings go through the repository layer (local) and
 * the transport (remote); nothing here writes.  No shared state: an
 * inventory belongs to its caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/util.h"
#include "repl_internal.h"

/* Objects an inventory makes room for first (doubled as it grows). */
#define INV_FIRST_CAP 256

/* gs_repl_fanout(name): the pack fan-out directory of an object name, or
 * the number a fan-out directory's name stands for (its first two hex
 * digits), < GS_LAYOUT_FANOUT. */
unsigned
gs_repl_fanout(const char *name)
{
	return (unsigned)strtoul((char[3]){name[0], name[1], 0}, NULL, 16);
}

static int
cmp_obj(const void *a, const void *b)
{
	const struct gs_repl_obj *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* gs_repl_inv_add(iv, kind, name, size, mtime_ns): append one object (name
 * copied); iv is unsorted until gs_repl_inv_sort.  0, or -1 warned. */
int
gs_repl_inv_add(struct gs_repl_inv *iv, int kind, const char *name, uint64_t size, int64_t mtime_ns)
{
	if (iv->n == iv->cap) {
		size_t nc = iv->cap ? iv->cap * 2 : INV_FIRST_CAP;
		void *nv = realloc(iv->v, nc * sizeof(*iv->v));

		if (nv == NULL) {
			gs_warnp("realloc");
			return -1;
		}
		iv->v = nv;
		iv->cap = nc;
	}
	memcpy(iv->v[iv->n].name, name, GS_NAME_HEX);
	iv->v[iv->n].kind = (uint8_t)kind;
	iv->v[iv->n].size = size;
	iv->v[iv->n].mtime_ns = mtime_ns;
	iv->n++;
	return 0;
}

static int
strv_add(char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL || (nv = realloc(*v, (*n + 1) * sizeof(**v))) == NULL) {
		free(s);
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* Take ownership of path (freed on failure). */
static int
temp_add(struct gs_repl_inv *iv, char *path, int kind, const char *fanout,
         const struct gs_tp_entry *e)
{
	struct gs_repl_temp *nv;

	if (path == NULL || (nv = realloc(iv->temps, (iv->ntemps + 1) * sizeof(*nv))) == NULL) {
		free(path);
		return -1;
	}
	iv->temps = nv;
	nv += iv->ntemps++;
	memset(nv, 0, sizeof(*nv));
	nv->path = path;
	nv->kind = (uint8_t)kind;
	snprintf(nv->fanout, sizeof(nv->fanout), "%s", fanout ? fanout : "");
	nv->size = e->size;
	nv->mtime = e->mtime;
	return 0;
}

/* gs_repl_inv_clear(iv): free what iv holds and empty it (iv itself is the
 * caller's). */
void
gs_repl_inv_clear(struct gs_repl_inv *iv)
{
	for (size_t i = 0; i < iv->nextras; i++)
		free(iv->extras[i]);
	for (size_t i = 0; i < iv->ntemps; i++)
		free(iv->temps[i].path);
	free(iv->extras);
	free(iv->temps);
	free(iv->v);
	memset(iv, 0, sizeof(*iv));
}

/* gs_repl_inv_sort(iv): sort the objects by (kind, name), as
 * gs_repl_inv_find needs. */
void
gs_repl_inv_sort(struct gs_repl_inv *iv)
{
	if (iv->n)
		qsort(iv->v, iv->n, sizeof(*iv->v), cmp_obj);
}

/* gs_repl_inv_find(iv, kind, name): the object (borrowed from iv) or NULL. */
const struct gs_repl_obj *
gs_repl_inv_find(const struct gs_repl_inv *iv, int kind, const char *name)
{
	struct gs_repl_obj key;

	if (iv->n == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.kind = (uint8_t)kind;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, iv->v, iv->n, sizeof(*iv->v), cmp_obj);
}

/* gs_repl_inv_local(local, tenant, ret): list the local copy into *ret
 * (sorted; free with gs_repl_inv_clear).  0, or -1 warned (*ret empty). */
int
gs_repl_inv_local(const struct gs_repo *local, const char *tenant, struct gs_repl_inv *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (int kind = GS_OBJ_PACK; kind < GS_OBJ_NKINDS; kind++) {
		struct gs_repo_obj *v;
		size_t n;

		if (gs_repo_list_objs(local, tenant, kind, &v, &n))
			goto err;
		for (size_t i = 0; i < n; i++)
			if (gs_repl_inv_add(ret, kind, v[i].name, v[i].size, v[i].mtime_ns)) {
				free(v);
				goto err;
			}
		free(v);
	}
	gs_repl_inv_sort(ret);
	return 0;
err:
	gs_repl_inv_clear(ret);
	return -1;
}

static int
inv_remote_dir(struct gs_transport *tp, struct gs_repl_inv *iv, int kind, const char *dir,
               const char *prefix)
{
	struct gs_tp_entry *e;
	size_t ne;
	int rc;

	if ((rc = gs_tp_list(tp, dir, &e, &ne)) < 0)
		return -1;
	if (rc == 1)
		return 0;
	for (size_t i = 0; i < ne && rc == 0; i++) {
		const char *nm = e[i].name;
		char *p = gs_asprintf("%s/%s", dir, nm);

		if (gs_layout_is_tmp(nm) && !e[i].is_dir) {
			rc = temp_add(iv, p, kind, prefix, &e[i]);
		} else if (kind == GS_OBJ_PACK && prefix == NULL && e[i].is_dir &&
		           gs_layout_is_fanout(nm)) {
			free(p);
			iv->pack_dir[gs_repl_fanout(nm)] = 1;
			if ((p = gs_asprintf("%s/%s", dir, nm)) == NULL)
				rc = -1;
			else
				rc = inv_remote_dir(tp, iv, kind, p, nm);
			free(p);
		} else if (!e[i].is_dir && gs_layout_is_objname(nm) &&
		           (kind != GS_OBJ_PACK ||
		            (prefix != NULL && strncmp(nm, prefix, 2) == 0))) {
			free(p);
			rc = gs_repl_inv_add(iv, kind, nm, e[i].size, 0);
		} else {
			rc = strv_add(&iv->extras, &iv->nextras, p);
		}
	}
	gs_tp_list_free(e, ne);
	return rc;
}

/* gs_repl_inv_remote(tp, tenant, ret): list the remote copy behind tp into
 * *ret (sorted, with temporaries and extras).  0, or -1 warned (errkind on
 * tp; *ret empty). */
int
gs_repl_inv_remote(struct gs_transport *tp, const char *tenant, struct gs_repl_inv *ret)
{
	struct gs_tp_entry *e;
	size_t ne;
	char *dir;
	int rc;

	memset(ret, 0, sizeof(*ret));
	if ((dir = gs_layout_tenant_dir(tenant)) == NULL)
		return -1;
	rc = gs_tp_list(tp, dir, &e, &ne);
	free(dir);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < ne; i++)
		for (int k = GS_OBJ_PACK; k < GS_OBJ_NKINDS; k++)
			if (e[i].is_dir && strcmp(e[i].name, gs_layout_kind_name(k)) == 0)
				ret->kind_dir[k] = 1;
	gs_tp_list_free(e, ne);
	for (int k = GS_OBJ_PACK; k < GS_OBJ_NKINDS; k++) {
		if (!ret->kind_dir[k])
			continue;
		if ((dir = gs_layout_kind_dir(tenant, k)) == NULL)
			goto err;
		rc = inv_remote_dir(tp, ret, k, dir, NULL);
		free(dir);
		if (rc)
			goto err;
	}
	gs_repl_inv_sort(ret);
	return 0;
err:
	gs_repl_inv_clear(ret);
	return -1;
}
