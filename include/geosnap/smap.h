/*
 * smap.h -- a small string-keyed hash map (open addressing).
 */
#ifndef GEOSNAP_SMAP_H
#define GEOSNAP_SMAP_H

#include <stddef.h>

struct gs_smap;

/* gs_smap_new(): an empty map; NULL (warned) when out of memory. */
struct gs_smap *gs_smap_new(void);
/* gs_smap_free(m): free the map and its key copies, not the values. */
void gs_smap_free(struct gs_smap *m);
/* gs_smap_free_all(m): free the map, its keys, and free() every value. */
void gs_smap_free_all(struct gs_smap *m);
/* gs_smap_put(m, key, val): insert or replace; copies key.  0 or -1. */
int gs_smap_put(struct gs_smap *m, const char *key, void *val);
/* gs_smap_get(m, key): the value or NULL. */
void *gs_smap_get(const struct gs_smap *m, const char *key);
/* gs_smap_count(m): the number of keys in m. */
size_t gs_smap_count(const struct gs_smap *m);

#endif
