/* gc_internal.h -- shared between the garbage collector's files. */
#ifndef GS_GC_INTERNAL_H
#define GS_GC_INTERNAL_H

#include "geosnap/format.h"
#include "geosnap/gc.h"
#include "geosnap/repo.h"

enum { FATE_KEEP, FATE_DELETE, FATE_REPACK };

/* One pack of the copy, its header sorted by chunk ID. */
struct gc_pack {
	uint8_t name[GS_NAME_LEN];
	char hex[GS_NAME_HEX];
	uint64_t size;
	int64_t mtime_ns;
	int young;
	struct gs_pack_header h;
	uint8_t *live; /* per chunk of h: 1 when live */
	uint32_t nlive;
	int fate;
};

struct gc {
	const struct gs_repo *r;
	const struct gs_wkey *k;
	const char *tenant;
	int64_t now_ns;
	const char (*skip)[GS_NAME_HEX]; /* snapshots that count as removed, sorted */
	size_t nskip;

	struct gc_pack *packs; /* sorted by name */
	size_t npacks;
	struct gs_relocmap rm;

	struct gs_pin *live; /* (id, pack holding it), sorted: live chunks */
	size_t nlive, caplive;
	uint8_t (*anyid)[GS_ID_LEN]; /* version 1 pins: live in every pack */
	size_t nany, capany;
	uint8_t (*pinned)[GS_NAME_LEN]; /* packs named by pins, as written */
	size_t npinned, cappinned;
};

/* gc_pack_find(g, name): the pack of that binary name, or NULL. */
struct gc_pack *gc_pack_find(const struct gc *g, const uint8_t name[GS_NAME_LEN]);
/* gc_chunk_find(p, id): the ref of id in p's sorted header, or NULL. */
const struct gs_chunk_ref *gc_chunk_find(const struct gc_pack *p, const uint8_t id[GS_ID_LEN]);

/*
 * gc_live_load(g, st): read every snapshot of the copy and mark the chunks
 * its references pin as live (g->live, g->anyid, g->pinned, sorted).
 * 0, 1 when a snapshot or one of its reference chunks is unreadable or
 * forged (warned: nothing may be deleted), -1 on error.
 */
int gc_live_load(struct gc *g, struct gs_gc_stats *st);
/* gc_is_live(g, pack, id): 1 when chunk id is live in pack. */
int gc_is_live(const struct gc *g, const uint8_t pack[GS_NAME_LEN], const uint8_t id[GS_ID_LEN]);

#endif
