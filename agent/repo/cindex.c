/*
 * cindex.c -- in-memory chunk index: chunk ID -> (pack, chunk ref).
 *
 * Open addressing with linear probing; chunk IDs are keyed BLAKE2b output,
 * so their first 8 bytes are already a uniform hash.
 */
#include <stdlib.h>
#include <string.h>

#include "geosnap/repo.h"

/* Entries live in a dense array; the hash table holds their index + 1
 * (0 = empty), which keeps the table at 4 bytes a slot. */
struct ent {
	struct gs_chunk_ref ref;
	uint32_t pack; /* index into packs + 1 */
};

struct gs_cindex {
	uint32_t *tab;
	size_t cap; /* power of two */
	struct ent *v;
	size_t n, vcap;
	uint8_t (*packs)[GS_NAME_LEN];
	size_t npacks, packcap;
};

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
	for (size_t i = 0; i < ci->n; i++)
		*find(ci, ci->v[i].ref.id) = (uint32_t)(i + 1);
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
gs_cindex_add(struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN], const struct gs_chunk_ref *ref)
{
	uint32_t *slot, pn;

	if (ci->n >= UINT32_MAX - 1) {
		gs_warn("chunk index full");
		return -1;
	}
	if ((ci->n + 1) * 4 > ci->cap * 3 && grow(ci))
		return -1;
	slot = find(ci, ref->id);
	if (*slot != 0)
		return 1;
	if (ci->n == ci->vcap) {
		size_t nc = ci->vcap ? ci->vcap + ci->vcap / 2 : 1024;
		void *nv = realloc(ci->v, nc * sizeof(*ci->v));

		if (nv == NULL) {
			gs_warnp("realloc");
			return -1;
		}
		ci->v = nv;
		ci->vcap = nc;
	}
	if ((pn = pack_no(ci, pack)) == 0)
		return -1;
	ci->v[ci->n].ref = *ref;
	ci->v[ci->n].pack = pn;
	*slot = (uint32_t)++ci->n;
	return 0;
}

const struct gs_chunk_ref *
gs_cindex_get(const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN], const uint8_t **ret_pack)
{
	uint32_t i = *find(ci, id);

	if (i == 0)
		return NULL;
	if (ret_pack)
		*ret_pack = ci->packs[ci->v[i - 1].pack - 1];
	return &ci->v[i - 1].ref;
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
	char(*names)[GS_NAME_HEX] = NULL;
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
				if (gs_cindex_add(ci, idx.packs[p].name, &idx.packs[p].chunks[c]) <
				    0)
					rc = -1;
		gs_index_free(&idx);
	}
	free(names);
	return rc;
}
