/*
 * pack_write.c -- encrypt chunks into a pack and publish it.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/pack.h"

struct gs_pack_writer {
	struct gs_objfile *f;
	const struct gs_wkey *k;
	uint8_t alg;
	uint8_t *dkey; /* sodium_malloc'd data key */
	uint8_t sealed[GS_SEALED_KEY_LEN];
	struct gs_chunk_ref *refs;
	uint32_t n, cap;
	uint8_t *scratch;
	size_t scratch_cap;
	int committed;
};

/* gs_pack_writer_new(r, tenant, k, alg): borrows r and k.  NULL on error. */
struct gs_pack_writer *
gs_pack_writer_new(const struct gs_repo *r, const char *tenant, const struct gs_wkey *k,
                   uint8_t alg)
{
	struct gs_pack_writer *w;
	uint8_t head[GS_PACK_START_LEN];

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		gs_warnp("calloc");
		return NULL;
	}
	w->k = k;
	w->alg = alg;
	if ((w->dkey = sodium_malloc(32)) == NULL) {
		gs_warnp("sodium_malloc");
		goto err;
	}
	randombytes_buf(w->dkey, 32);
	if (crypto_box_seal(w->sealed, w->dkey, 32, k->pk)) {
		gs_warn("tenant %s: cannot seal a data key", tenant);
		goto err;
	}
	if ((w->f = gs_objfile_new(r, tenant, GS_OBJ_PACK)) == NULL)
		goto err;
	gs_pack_start(head);
	if (gs_objfile_write(w->f, head, GS_PACK_START_LEN))
		goto err;
	return w;
err:
	gs_pack_writer_free(w);
	return NULL;
}

/*
 * gs_pack_writer_add(w, id, type, pt, pt_len, raw_len, flags): encrypt pt
 * (the chunk, zstd-compressed when flags has GS_CF_ZSTD; raw_len is the
 * uncompressed length) with the chunk ID and type as associated data and
 * append it.  0 or -1.
 */
int
gs_pack_writer_add(struct gs_pack_writer *w, const uint8_t id[GS_ID_LEN], uint8_t type,
                   const uint8_t *pt, size_t pt_len, uint32_t raw_len, uint8_t flags)
{
	/* The reference stream is sealed under the index key, see format.h. */
	int idx = type == GS_CT_REFS;
	uint8_t alg = idx ? GS_ALG_XCHACHA : w->alg;
	size_t nl = gs_aead_nonce_len(alg), need = nl + pt_len + GS_TAG_LEN;
	uint8_t ad[GS_ID_LEN + 1];
	unsigned long long clen;
	struct gs_chunk_ref *c;

	if (need > GS_MAX_STORED || raw_len > GS_MAX_CHUNK) {
		gs_warn("internal error: a chunk of %u bytes (%zu stored) exceeds the format's "
		        "limits",
		        (unsigned)raw_len, need);
		return -1;
	}
	if (need > w->scratch_cap) {
		uint8_t *ns = realloc(w->scratch, need);

		if (ns == NULL) {
			gs_warnp("realloc");
			return -1;
		}
		w->scratch = ns;
		w->scratch_cap = need;
	}
	if (w->n == w->cap) {
		uint32_t nc = w->cap ? w->cap * 2 : 256;
		void *nr = realloc(w->refs, (size_t)nc * sizeof(*w->refs));

		if (nr == NULL) {
			gs_warnp("realloc");
			return -1;
		}
		w->refs = nr;
		w->cap = nc;
	}
	gs_chunk_ad(ad, id, type);
	randombytes_buf(w->scratch, nl);
	if (alg == GS_ALG_AESGCM)
		crypto_aead_aes256gcm_encrypt(w->scratch + nl, &clen, pt, pt_len, ad, sizeof(ad),
		                              NULL, w->scratch, w->dkey);
	else
		crypto_aead_xchacha20poly1305_ietf_encrypt(w->scratch + nl, &clen, pt, pt_len, ad,
		                                           sizeof(ad), NULL, w->scratch,
		                                           idx ? w->k->index_key : w->dkey);
	c = &w->refs[w->n];
	memcpy(c->id, id, GS_ID_LEN);
	c->offset = gs_objfile_size(w->f);
	c->stored_len = (uint32_t)(nl + clen);
	c->raw_len = raw_len;
	c->key_idx = idx ? GS_KEYIDX_INDEX : 0;
	c->flags = flags;
	c->alg = alg;
	c->type = type;
	if (gs_objfile_write(w->f, w->scratch, nl + (size_t)clen))
		return -1;
	w->n++;
	return 0;
}

/* gs_pack_writer_size(w): bytes written so far; _count: chunks. */
uint64_t
gs_pack_writer_size(const struct gs_pack_writer *w)
{
	return gs_objfile_size(w->f);
}

/* gs_pack_writer_count(w): chunks added so far. */
uint32_t
gs_pack_writer_count(const struct gs_pack_writer *w)
{
	return w->n;
}

/*
 * gs_pack_writer_commit(w, ret): write the header, publish the pack, and
 * hand back its name and chunk refs (ret->chunks is malloc'd, caller frees).
 * 0 or -1.  The writer must still be freed.
 */
int
gs_pack_writer_commit(struct gs_pack_writer *w, struct gs_index_pack *ret)
{
	struct gs_pack_header h = {
	    .nkeys = 1, .sealed = &w->sealed, .nchunks = w->n, .chunks = w->refs};
	struct gs_buf ct = {0};
	char name[GS_NAME_HEX];
	int rc = -1;

	gs_pack_header_encode(w->k->index_key, &h, &ct);
	if (ct.oom) {
		gs_warn("pack header: out of memory");
		goto out;
	}
	if (gs_objfile_write(w->f, ct.p, ct.len))
		goto out;
	if (gs_objfile_commit(w->f, name))
		goto out;
	w->committed = 1;
	gs_unhex(ret->name, name, GS_NAME_LEN);
	ret->n = w->n;
	ret->chunks = w->refs;
	w->refs = NULL;
	w->n = w->cap = 0;
	rc = 0;
out:
	gs_buf_clear(&ct);
	return rc;
}

/* gs_pack_writer_free(w): wipe the data key; remove an uncommitted pack. */
void
gs_pack_writer_free(struct gs_pack_writer *w)
{
	if (w == NULL)
		return;
	gs_objfile_free(w->f);
	if (w->dkey)
		sodium_free(w->dkey);
	if (w->scratch)
		sodium_memzero(w->scratch, w->scratch_cap);
	free(w->scratch);
	free(w->refs);
	free(w);
}
