/*
 * cindex.c -- in-memory chunk index: chunk ID -> (pack, chunk ref).
 *
 * Open addressing with linear probing; chunk IDs are keyed BLAKE2b output,
 * so their first 8 bytes are already a uniform hash.
 */
#include <stdlib.h>
#include <string.h>

#include "geosnap/repo.h"

struct slot {
	struct gs_chunk_ref ref;
	uint32_t pack; /* index into packs + 1; 0 = empty slot */
};

struct gs_cindex {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t n;
	uint8_t (*packs)[GS_NAME_LEN];
	size_t npacks, packcap;
};

struct gs_cindex *
gs_cindex_new(void)
{
	struct gs_cindex *ci = calloc(1, sizeof(*ci));

	if (ci == NULL || (ci->slots = calloc(1024, sizeof(*ci->slots))) == NULL) {
		gs_warnp("calloc");
		free(ci);
		return NULL;
	}
	ci->cap = 1024;
	return ci;
}

void
gs_cindex_free(struct gs_cindex *ci)
{
	if (ci == NULL)
		return;
	free(ci->slots);
	free(ci->packs);
	free(ci);
}

static size_t
hash_id(const uint8_t id[GS_ID_LEN])
{
	return (size_t)gs_get_le64(id);
}

static struct slot *
find(const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN])
{
	size_t i = hash_id(id) & (ci->cap - 1);

	while (ci->slots[i].pack != 0) {
		if (memcmp(ci->slots[i].ref.id, id, GS_ID_LEN) == 0)
			return &ci->slots[i];
		i = (i + 1) & (ci->cap - 1);
	}
	return &ci->slots[i];
}

static int
grow(struct gs_cindex *ci)
{
	struct slot *old = ci->slots;
	size_t oldcap = ci->cap;

	if ((ci->slots = calloc(oldcap * 2, sizeof(*ci->slots))) == NULL) {
		ci->slots = old;
		gs_warnp("calloc");
		return -1;
	}
	ci->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].pack != 0)
			*find(ci, old[i].ref.id) = old[i];
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

int
gs_cindex_add(struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN],
	      const struct gs_chunk_ref *ref)
{
	struct slot *s;
	uint32_t pn;

	if ((ci->n + 1) * 4 > ci->cap * 3 && grow(ci))
		return -1;
	s = find(ci, ref->id);
	if (s->pack != 0)
		return 1;
	if ((pn = pack_no(ci, pack)) == 0)
		return -1;
	s->ref = *ref;
	s->pack = pn;
	ci->n++;
	return 0;
}

const struct gs_chunk_ref *
gs_cindex_get(const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN], const uint8_t **ret_pack)
{
	const struct slot *s = find(ci, id);

	if (s->pack == 0)
		return NULL;
	if (ret_pack)
		*ret_pack = ci->packs[s->pack - 1];
	return &s->ref;
}

size_t
gs_cindex_count(const struct gs_cindex *ci)
{
	return ci->n;
}

int
gs_cindex_has_pack(const struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN])
{
	for (size_t i = 0; i < ci->npacks; i++)
		if (memcmp(ci->packs[i], pack, GS_NAME_LEN) == 0)
			return 1;
	return 0;
}

int
gs_cindex_load(struct gs_cindex *ci, const struct gs_repo *r, const char *tenant,
	       const uint8_t index_key[GS_KEY_LEN])
{
	char (*names)[GS_NAME_HEX] = NULL;
	size_t n;
	int rc = 0;

	if (gs_repo_list(r, tenant, GS_OBJ_INDEX, &names, &n))
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct gs_index idx;
		uint8_t *buf;
		size_t len;

		if (gs_repo_read(r, tenant, GS_OBJ_INDEX, names[i], &buf, &len)) {
			rc = -1;
			break;
		}
		if (gs_index_parse(index_key, names[i], buf, len, &idx)) {
			gs_warn("tenant %s: index %s is unusable", tenant, names[i]);
			free(buf);
			rc = -1;
			break;
		}
		free(buf);
		for (uint32_t p = 0; p < idx.npacks && rc == 0; p++)
			for (uint32_t c = 0; c < idx.packs[p].n && rc == 0; c++)
				if (gs_cindex_add(ci, idx.packs[p].name, &idx.packs[p].chunks[c]) < 0)
					rc = -1;
		gs_index_free(&idx);
	}
	free(names);
	return rc;
}
