/*
 * relocmap.c -- the union of a tenant's relocation objects on one copy,
 * and where a pinned pack's chunks are now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/format.h"
#include "geosnap/layout.h"
#include "geosnap/repo.h"

/* gs_reloc_cmp(a, b): qsort order of relocation entries: by the pack
 * moved, then where to. */
int
gs_reloc_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct gs_reloc));
}

/*
 * gs_relocmap_load(m, r, tenant, index_key): read every relocation object
 * of the tenant into m (which must be zeroed), sorted by the pack moved.
 * An object that cannot be read or does not authenticate is named and
 * left out, and *ret_bad (may be NULL) is set: the pins it served then
 * fall back to the other locations of their chunks.  0, or -1 when the
 * objects cannot be listed or memory runs out (warned).
 */
int
gs_relocmap_load(struct gs_relocmap *m, const struct gs_repo *r, const char *tenant,
                 const uint8_t index_key[GS_KEY_LEN], int *ret_bad)
{
	char(*names)[GS_NAME_HEX] = NULL;
	char label[160];
	size_t n;

	if (gs_repo_list(r, tenant, GS_OBJ_RELOC, &names, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct gs_reloc *v;
		uint8_t *buf;
		size_t len;
		uint32_t nv;
		void *nm;

		snprintf(label, sizeof(label), "tenant %s relocation %s", tenant, names[i]);
		if (gs_repo_read(r, tenant, GS_OBJ_RELOC, names[i], &buf, &len) != 0) {
			gs_warn("%s: unreadable; its packs are looked up by chunk", label);
			if (ret_bad)
				*ret_bad = 1;
			continue;
		}
		if (gs_reloc_parse(index_key, label, buf, len, &v, &nv) != 0) {
			free(buf);
			if (ret_bad)
				*ret_bad = 1;
			continue;
		}
		free(buf);
		if (nv && (nm = reallocarray(m->v, m->n + nv, sizeof(*m->v))) == NULL) {
			gs_warnp("reallocarray");
			free(v);
			free(names);
			return -1;
		}
		if (nv) {
			m->v = nm;
			memcpy(m->v + m->n, v, nv * sizeof(*v));
			m->n += nv;
		}
		free(v);
	}
	free(names);
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), gs_reloc_cmp);
	return 0;
}

/* The first entry moving pack, or NULL. */
static const struct gs_reloc *
find(const struct gs_relocmap *m, const uint8_t pack[GS_NAME_LEN])
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(m->v[mid].from, pack, GS_NAME_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && memcmp(m->v[lo].from, pack, GS_NAME_LEN) == 0 ? &m->v[lo] : NULL;
}

/* gs_relocmap_next(m, pack): where the first entry moving pack sends it, or
 * NULL when none does (one step of gs_relocmap_resolve).  Borrowed. */
const uint8_t *
gs_relocmap_next(const struct gs_relocmap *m, const uint8_t pack[GS_NAME_LEN])
{
	const struct gs_reloc *e = find(m, pack);

	return e ? e->to : NULL;
}

/*
 * gs_relocmap_resolve(m, pack): where the chunks pinned to pack are now:
 * pack itself when no relocation moves it, else the end of its chain of
 * relocations (at most GS_RELOC_MAX_HOPS followed, so that a forged loop
 * ends).  The pointer is borrowed from m or is pack.
 */
const uint8_t *
gs_relocmap_resolve(const struct gs_relocmap *m, const uint8_t pack[GS_NAME_LEN])
{
	const uint8_t *cur = pack, *nx;

	for (int hop = 0; hop < GS_RELOC_MAX_HOPS && (nx = gs_relocmap_next(m, cur)) != NULL; hop++)
		cur = nx;
	return cur;
}

/* gs_relocmap_clear(m): free the members of m (not m itself). */
void
gs_relocmap_clear(struct gs_relocmap *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}
