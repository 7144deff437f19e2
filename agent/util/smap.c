/*
 * smap.c -- string-keyed hash map with linear probing and XXH3 hashing.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "geosnap/smap.h"
#include "geosnap/util.h"

struct ent {
	char *key;
	void *val;
	uint64_t h;
};

struct gs_smap {
	struct ent *v;
	size_t cap, n;
};

/* gs_smap_new(): an empty map; NULL (warned) when out of memory. */
struct gs_smap *
gs_smap_new(void)
{
	struct gs_smap *m = calloc(1, sizeof(*m));

	if (m == NULL || (m->v = calloc(256, sizeof(*m->v))) == NULL) {
		gs_warnp("calloc");
		free(m);
		return NULL;
	}
	m->cap = 256;
	return m;
}

/* gs_smap_free(m): free the map and its key copies, not the values. */
void
gs_smap_free(struct gs_smap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	free(m);
}

/* gs_smap_free_all(m): free the map, its keys, and free() every value. */
void
gs_smap_free_all(struct gs_smap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++)
		if (m->v[i].key)
			free(m->v[i].val);
	gs_smap_free(m);
}

static struct ent *
find(const struct gs_smap *m, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	while (m->v[i].key) {
		if (m->v[i].h == h && strcmp(m->v[i].key, key) == 0)
			break;
		i = (i + 1) & (m->cap - 1);
	}
	return &m->v[i];
}

static int
grow(struct gs_smap *m)
{
	struct ent *old = m->v;
	size_t oldcap = m->cap;

	if ((m->v = calloc(oldcap * 2, sizeof(*m->v))) == NULL) {
		m->v = old;
		gs_warnp("calloc");
		return -1;
	}
	m->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].h) = old[i];
	free(old);
	return 0;
}

/* gs_smap_put(m, key, val): insert or replace; copies key.  0 or -1. */
int
gs_smap_put(struct gs_smap *m, const char *key, void *val)
{
	uint64_t h = XXH3_64bits(key, strlen(key));
	struct ent *e;

	if ((m->n + 1) * 4 > m->cap * 3 && grow(m))
		return -1;
	e = find(m, key, h);
	if (e->key == NULL) {
		if ((e->key = gs_strdup(key)) == NULL)
			return -1;
		e->h = h;
		m->n++;
	}
	e->val = val;
	return 0;
}

/* gs_smap_get(m, key): the value or NULL. */
void *
gs_smap_get(const struct gs_smap *m, const char *key)
{
	struct ent *e = find(m, key, XXH3_64bits(key, strlen(key)));

	return e->key ? e->val : NULL;
}

/* gs_smap_count(m): the number of keys in m. */
size_t
gs_smap_count(const struct gs_smap *m)
{
	return m->n;
}
