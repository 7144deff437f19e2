/*
 * cindex.c -- in-memory chunk index: chunk ID -> every (pack, chunk ref)
 * that holds it, in the order they were added.
 *
 * A chunk may be stored in more than one pack, and anyone holding the write
 * key can add packs and index segments that claim any chunk ID.  So the
 * index never drops a location: the first one added is the preferred one
 * (callers add in a trustworthy order), and readers that find a location
 * unusable try the next.  Open addressing with linear probing on the first
 * location of each ID; further locations are chained through the dense
 * entry array.  Chunk IDs are keyed BLAKE2b output, so their first 8 bytes
 * are already a uniform hash.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "geosnap/repo.h"

/* Entries live in a dense array; the hash table holds the index + 1 of the
 * first entry of each ID (0 = empty), which keeps the table at 4 bytes a
 * slot. */
struct ent {
	struct gs_chunk_ref ref;
	uint32_t pack; /* index into packs + 1 */
	uint32_t next; /* next location of the same ID: entry index + 1, 0 = none */
};

struct gs_cindex {
	uint32_t *tab;
	size_t cap; /* power of two */
	size_t nids;
	struct ent *v;
	size_t n, vcap;
	uint8_t (*packs)[GS_NAME_LEN];
	size_t npacks, packcap;
};

/* gs_cindex_new(): an empty chunk index; NULL (warned) when out of memory. */
struct gs_cindex *
gs_cindex_new(void)
{
	struct gs_cindex *ci = calloc(1, sizeof(*ci));

	if (ci == NULL || (ci->tab = calloc(1024, sizeof(*ci->tab))) == NULL) {
		gs_warnp("calloc");
		free(ci);
		return NULL;
	}
	ci->cap = 1024;
	return ci;
}

/* gs_cindex_free(ci): free the index (NULL accepted). */
void
gs_cindex_free(struct gs_cindex *ci)
{
	if (ci == NULL)
		return;
	free(ci->tab);
	free(ci->v);
	free(ci->packs);
	free(ci);
}

static size_t
hash_id(const uint8_t id[GS_ID_LEN])
{
	return (size_t)gs_get_le64(id);
}

/* The table slot holding id, or the empty slot where it would go. */
static uint32_t *
find(const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN])
{
	size_t i = hash_id(id) & (ci->cap - 1);

	while (ci->tab[i] != 0) {
		if (memcmp(ci->v[ci->tab[i] - 1].ref.id, id, GS_ID_LEN) == 0)
			return &ci->tab[i];
		i = (i + 1) & (ci->cap - 1);
	}
	return &ci->tab[i];
}

static int
grow(struct gs_cindex *ci)
{
	uint32_t *old = ci->tab;

	if ((ci->tab = calloc(ci->cap * 2, sizeof(*ci->tab))) == NULL) {
		ci->tab = old;
		gs_warnp("calloc");
		return -1;
	}
	ci->cap *= 2;
	for (size_t i = 0; i < ci->n; i++) {
		uint32_t *slot = find(ci, ci->v[i].ref.id);

		if (*slot == 0) /* the first entry of each ID comes first */
			*slot = (uint32_t)(i + 1);
	}
	free(old);
	return 0;
}

/* The pack number of name, adding it when new (the last one is the
 * likeliest, so look there first). */
static uint32_t
pack_no(struct gs_cindex *ci, const uint8_t name[GS_NAME_LEN])
{
	if (ci->npacks && memcmp(ci->packs[ci->npacks - 1], name, GS_NAME_LEN) == 0)
		return (uint32_t)ci->npacks;
	if (ci->npacks == ci->packcap) {
		size_t nc = ci->packcap ? ci->packcap * 2 : 64;
		void *np = realloc(ci->packs, nc * GS_NAME_LEN);

		if (np == NULL) {
			gs_warnp("realloc");
			return 0;
		}
		ci->packs = np;
		ci->packcap = nc;
	}
	memcpy(ci->packs[ci->npacks++], name, GS_NAME_LEN);
	return (uint32_t)ci->npacks;
}

static const uint8_t *
ent_pack(const struct gs_cindex *ci, const struct ent *e)
{
	return ci->packs[e->pack - 1];
}

/* Append a new entry; its index + 1, or 0 (warned). */
static uint32_t
new_ent(struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN], const struct gs_chunk_ref *ref)
{
	uint32_t pn;

	if (ci->n >= UINT32_MAX - 1) {
		gs_warn("chunk index full");
		return 0;
	}
	if (ci->n == ci->vcap) {
		size_t nc = ci->vcap ? ci->vcap + ci->vcap / 2 : 1024;
		void *nv = realloc(ci->v, nc * sizeof(*ci->v));

		if (nv == NULL) {
			gs_warnp("realloc");
			return 0;
		}
		ci->v = nv;
		ci->vcap = nc;
	}
	if ((pn = pack_no(ci, pack)) == 0)
		return 0;
	ci->v[ci->n].ref = *ref;
	ci->v[ci->n].pack = pn;
	ci->v[ci->n].next = 0;
	return (uint32_t)++ci->n;
}

/* Add a location; only_new: not when the ID has one already. */
static int
add(struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN], const struct gs_chunk_ref *ref,
    int only_new)
{
	uint32_t *slot, e, i;

	if ((ci->nids + 1) * 4 > ci->cap * 3 && grow(ci))
		return -1;
	slot = find(ci, ref->id);
	if (*slot == 0) {
		if ((e = new_ent(ci, pack, ref)) == 0)
			return -1;
		*slot = e;
		ci->nids++;
		return 0;
	}
	if (only_new)
		return 1;
	for (i = *slot;; i = ci->v[i - 1].next) {
		if (memcmp(ent_pack(ci, &ci->v[i - 1]), pack, GS_NAME_LEN) == 0)
			return 1; /* this location is known: keep the first */
		if (ci->v[i - 1].next == 0)
			break;
	}
	if ((e = new_ent(ci, pack, ref)) == 0)
		return -1;
	ci->v[i - 1].next = e;
	return 0;
}

/*
 * gs_cindex_add(ci, pack, ref): add the location (pack, ref) of the chunk
 * ref->id after any it already has.  Returns 0 when added, 1 when the ID
 * already has a location in that pack (the first one is kept), -1 when out
 * of memory (warned).
 */
int
gs_cindex_add(struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN], const struct gs_chunk_ref *ref)
{
	return add(ci, pack, ref, 0);
}

/*
 * gs_cindex_claim(ci, pack, ref): add (pack, ref) only when ref->id has no
 * location yet.  Returns 0 when added, 1 when the ID is known (nothing is
 * added), -1 when out of memory (warned).
 */
int
gs_cindex_claim(struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN],
                const struct gs_chunk_ref *ref)
{
	return add(ci, pack, ref, 1);
}

/*
 * gs_cindex_relocate(ci, from, to, ref): the location of ref->id in pack
 * from becomes ref in pack to (the name of a pack is known only once it is
 * written).  Returns 0, or -1 when the ID has no location in from or out of
 * memory (warned).
 */
int
gs_cindex_relocate(struct gs_cindex *ci, const uint8_t from[GS_NAME_LEN],
                   const uint8_t to[GS_NAME_LEN], const struct gs_chunk_ref *ref)
{
	uint32_t i = *find(ci, ref->id), pn;

	for (; i != 0; i = ci->v[i - 1].next) {
		if (memcmp(ent_pack(ci, &ci->v[i - 1]), from, GS_NAME_LEN) != 0)
			continue;
		if ((pn = pack_no(ci, to)) == 0)
			return -1;
		ci->v[i - 1].ref = *ref;
		ci->v[i - 1].pack = pn;
		return 0;
	}
	gs_warn("internal error: a chunk to relocate is not in the index");
	return -1;
}

/*
 * gs_cindex_get(ci, id, ret_pack): the preferred (first added) location of
 * id: its ref, and its pack's name in *ret_pack (ret_pack may be NULL).
 * Both are borrowed and valid until the next add.  NULL when id is unknown.
 */
const struct gs_chunk_ref *
gs_cindex_get(const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN], const uint8_t **ret_pack)
{
	uint32_t i = *find(ci, id);

	if (i == 0)
		return NULL;
	if (ret_pack)
		*ret_pack = ent_pack(ci, &ci->v[i - 1]);
	return &ci->v[i - 1].ref;
}

/*
 * gs_cindex_locations(ci, id, ret_refs, ret_packs, max): up to max
 * locations of id in preference order into ret_refs[] and ret_packs[]
 * (borrowed, valid until the next add).  Returns how many; 0 when unknown.
 */
size_t
gs_cindex_locations(const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN],
                    const struct gs_chunk_ref **ret_refs, const uint8_t **ret_packs, size_t max)
{
	size_t n = 0;

	for (uint32_t i = *find(ci, id); i != 0 && n < max; i = ci->v[i - 1].next, n++) {
		ret_refs[n] = &ci->v[i - 1].ref;
		ret_packs[n] = ent_pack(ci, &ci->v[i - 1]);
	}
	return n;
}

/* gs_cindex_count(ci): distinct chunk IDs. */
size_t
gs_cindex_count(const struct gs_cindex *ci)
{
	return ci->nids;
}

/* gs_cindex_has_pack(ci, pack): 1 when some location lies in pack. */
int
gs_cindex_has_pack(const struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN])
{
	for (size_t i = 0; i < ci->npacks; i++)
		if (memcmp(ci->packs[i], pack, GS_NAME_LEN) == 0)
			return 1;
	return 0;
}

/* Index segments in the order the copy received them, then by name. */
static int
seg_cmp(const void *a, const void *b)
{
	const struct gs_repo_obj *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * gs_cindex_load(ci, r, tenant, index_key): add every entry of every index
 * segment of the tenant, oldest segment first (by the time the repository
 * received it, then by name), so a chunk's preferred location is the one
 * published first: a segment written later cannot take precedence over an
 * earlier one.  0 or -1 (a corrupt segment is named).
 */
int
gs_cindex_load(struct gs_cindex *ci, const struct gs_repo *r, const char *tenant,
               const uint8_t index_key[GS_KEY_LEN])
{
	struct gs_repo_obj *segs = NULL;
	size_t n;
	int rc = 0;

	if (gs_repo_list_objs(r, tenant, GS_OBJ_INDEX, &segs, &n))
		return -1;
	if (n > 1)
		qsort(segs, n, sizeof(*segs), seg_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct gs_index idx;
		uint8_t *buf;
		size_t len;

		if (gs_repo_read(r, tenant, GS_OBJ_INDEX, segs[i].name, &buf, &len)) {
			rc = -1;
			break;
		}
		if (gs_index_parse(index_key, segs[i].name, buf, len, &idx)) {
			gs_warn("tenant %s: index %s is unusable", tenant, segs[i].name);
			free(buf);
			rc = -1;
			break;
		}
		free(buf);
		for (uint32_t p = 0; p < idx.npacks && rc == 0; p++)
			for (uint32_t c = 0; c < idx.packs[p].n && rc == 0; c++)
				if (gs_cindex_add(ci, idx.packs[p].name, &idx.packs[p].chunks[c]) <
				    0)
					rc = -1;
		gs_index_clear(&idx);
	}
	free(segs);
	return rc;
}
