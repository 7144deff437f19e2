/*
 * linkmap.c -- path digest -> regular file facts, for hard links.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/util.h"
#include "extract/linkmap.h"

struct gs_linkmap {
	struct gs_link_ent *v; /* open addressing; key all-zero = empty slot */
	size_t cap, n;
};

static const uint8_t zero_key[16];

static void
digest(uint8_t key[16], const char *path)
{
	crypto_generichash(key, 16, (const unsigned char *)path, strlen(path), NULL, 0);
	/* All-zero marks an empty slot; a real digest of zero is astronomically
	 * unlikely, but keep the invariant anyway. */
	if (memcmp(key, zero_key, 16) == 0)
		key[0] = 1;
}

/* gs_linkmap_new(): an empty map, or NULL (warned). */
struct gs_linkmap *
gs_linkmap_new(void)
{
	struct gs_linkmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		gs_warnp("calloc");
		return NULL;
	}
	return m;
}

/* gs_linkmap_free(m): free m and everything its entries own (NULL accepted). */
void
gs_linkmap_free(struct gs_linkmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++) {
		free(m->v[i].alt);
		free(m->v[i].chunks);
	}
	free(m->v);
	free(m);
}

static struct gs_link_ent *
find(struct gs_link_ent *v, size_t cap, const uint8_t key[16], int *found)
{
	size_t h = (size_t)gs_get_le64(key) & (cap - 1);

	while (memcmp(v[h].key, zero_key, 16) != 0) {
		if (memcmp(v[h].key, key, 16) == 0) {
			*found = 1;
			return &v[h];
		}
		h = (h + 1) & (cap - 1);
	}
	*found = 0;
	return &v[h];
}

static int
grow(struct gs_linkmap *m)
{
	struct gs_link_ent *nv, *slot;
	size_t ncap = m->cap ? m->cap * 2 : 1024, i;
	int found;

	if ((nv = calloc(ncap, sizeof(*nv))) == NULL) {
		gs_warnp("calloc");
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		if (memcmp(m->v[i].key, zero_key, 16) == 0)
			continue;
		slot = find(nv, ncap, m->v[i].key, &found);
		*slot = m->v[i];
	}
	free(m->v);
	m->v = nv;
	m->cap = ncap;
	return 0;
}

/*
 * gs_linkmap_put(m, path): the entry of path, created zeroed (except key)
 * when new.  The pointer is valid until the next put.  NULL (warned) when
 * out of memory.
 */
struct gs_link_ent *
gs_linkmap_put(struct gs_linkmap *m, const char *path)
{
	struct gs_link_ent *e;
	uint8_t key[16];
	int found;

	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) != 0)
		return NULL;
	digest(key, path);
	e = find(m->v, m->cap, key, &found);
	if (!found) {
		memcpy(e->key, key, 16);
		m->n++;
	}
	return e;
}

/* gs_linkmap_get(m, path): the entry of path or NULL. */
struct gs_link_ent *
gs_linkmap_get(struct gs_linkmap *m, const char *path)
{
	struct gs_link_ent *e;
	uint8_t key[16];
	int found;

	if (m->cap == 0)
		return NULL;
	digest(key, path);
	e = find(m->v, m->cap, key, &found);
	return found ? e : NULL;
}
