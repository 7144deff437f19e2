/*
 * linkmap.h -- what the restore side remembers about regular files, so that
 * a hard link can be made to its first name, or, when that name was not
 * restored (excluded, unsafe, failed), the content restored in its place.
 *
 * Paths are kept as their 128-bit BLAKE2b digest, not as strings, to keep
 * the memory per file small.
 */
#ifndef GEOSNAP_LINKMAP_H
#define GEOSNAP_LINKMAP_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/format.h"

struct gs_link_ent {
	uint8_t key[16];
	int seen;  /* the file's own entry came by */
	int done;  /* the content exists under the file's own path */
	char *alt; /* or under this other path (malloc'd), or NULL */
	uint64_t size;
	uint8_t hash[16];
	uint8_t (*chunks)[GS_ID_LEN]; /* malloc'd; kept only while needed */
	uint32_t nchunks;
};

struct gs_linkmap;

/* gs_linkmap_new(): an empty map, or NULL (warned). */
struct gs_linkmap *gs_linkmap_new(void);
/* gs_linkmap_free(m): free m and everything its entries own (NULL accepted). */
void gs_linkmap_free(struct gs_linkmap *m);
/*
 * gs_linkmap_put(m, path): the entry of path, created zeroed (except key)
 * when new.  The pointer is valid until the next put.  NULL (warned) when
 * out of memory.
 */
struct gs_link_ent *gs_linkmap_put(struct gs_linkmap *m, const char *path);
/* gs_linkmap_get(m, path): the entry of path or NULL. */
struct gs_link_ent *gs_linkmap_get(struct gs_linkmap *m, const char *path);

#endif
