/*
 * reader.c -- the reader itself: opening and freeing it, the pack cache
 * (headers and their data keys) and decoding a chunk from a pack.  The only
 * code that unseals pack data keys.  Where a chunk is found (pins, index
 * segments, pack headers) is reader_locate.c.
 *
 * Pack data keys are unsealed once per pack on first use and kept in one
 * sodium_malloc'd array (grown by copy, the old copy wiped) until the reader
 * is freed.  A small open-addressing table maps pack names to their keys.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "read/reader.h"
#include "read/reader_internal.h"

/*
 * gs_reader_idhex(id, out): the 64 hex digits of a chunk ID.
 */
void
gs_reader_idhex(const uint8_t id[GS_ID_LEN], char out[2 * GS_ID_LEN + 1])
{
	gs_hex(out, id, GS_ID_LEN);
}

/*
 * gs_reader_open(repo_path, k, flags, ret_why): see reader.h.
 */
struct gs_reader *
gs_reader_open(const char *repo_path, const struct gs_rkey *k, int flags, int *ret_why)
{
	struct gs_repo *r = gs_repo_open(repo_path);

	if (r == NULL) {
		if (ret_why != NULL)
			*ret_why = 3;
		return NULL;
	}
	return gs_reader_open_repo(r, k, flags, ret_why);
}

/*
 * gs_reader_open_repo(r, k, flags, ret_why): see reader.h.
 */
struct gs_reader *
gs_reader_open_repo(struct gs_repo *r, const struct gs_rkey *k, int flags, int *ret_why)
{
	struct gs_reader *rd;

	if ((rd = calloc(1, sizeof(*rd))) == NULL) {
		gs_warnp("calloc");
		gs_repo_free(r);
		goto err0;
	}
	rd->k = k;
	rd->repo = r;
	if ((rd->ci = gs_cindex_new()) == NULL)
		goto err2;
	if ((rd->dctx = ZSTD_createDCtx()) == NULL) {
		gs_warn("cannot allocate a zstd context");
		goto err3;
	}
	/* Pinned chunks never need the index: it is loaded when one does. */
	rd->index_pending = !(flags & GS_READER_NOINDEX);
	return rd;

err3:
	gs_cindex_free(rd->ci);
err2:
	gs_repo_free(rd->repo);
	free(rd);
err0:
	if (ret_why != NULL)
		*ret_why = 3;
	return NULL;
}

/* gs_reader_damaged(rd): 1 when an index segment or pack header was skipped. */
int
gs_reader_damaged(const struct gs_reader *rd)
{
	return rd->damaged;
}

/* gs_reader_free(rd): close, wiping the cached data keys (NULL accepted). */
void
gs_reader_free(struct gs_reader *rd)
{
	if (rd == NULL)
		return;
	if (rd->keys != NULL)
		sodium_free(rd->keys); /* sodium_free wipes */
	free(rd->keyok);
	for (size_t i = 0; i < rd->npacks; i++)
		free(rd->packs[i].chunks);
	free(rd->packs);
	free(rd->pins);
	gs_relocmap_clear(&rd->relocs);
	free(rd->tab);
	gs_buf_clear(&rd->blob);
	ZSTD_freeDCtx(rd->dctx);
	gs_cindex_free(rd->ci);
	gs_cindex_free(rd->pci);
	gs_repo_free(rd->repo);
	free(rd);
}

/* gs_reader_tenant(rd): the tenant name (borrowed). */
const char *
gs_reader_tenant(const struct gs_reader *rd)
{
	return rd->k->w.tenant;
}

/* gs_reader_key(rd): the read key (borrowed). */
const struct gs_rkey *
gs_reader_key(const struct gs_reader *rd)
{
	return rd->k;
}

/* gs_reader_repo(rd): the repository (borrowed). */
const struct gs_repo *
gs_reader_repo(const struct gs_reader *rd)
{
	return rd->repo;
}

/* gs_reader_cindex(rd): the chunk index (borrowed; check fills it). */
struct gs_cindex *
gs_reader_cindex(struct gs_reader *rd)
{
	return rd->ci;
}

/* ---- pack data keys ---------------------------------------------------- */

/*
 * Note how the reader's last read of a pack went, for gs_reader_lost(): the
 * kind of a failure is taken right after the call that failed (the
 * transport keeps only the kind of its last failure, never clearing it), a
 * success clears it.
 */
static void
note_read(struct gs_reader *rd, int failed)
{
	rd->read_kind = failed ? gs_tp_last_errkind(gs_repo_transport(rd->repo)) : GS_TP_ERR_NONE;
}

/*
 * gs_reader_lost(rd): 1 when the reader's last read of a pack (a header or
 * a chunk's stored bytes) failed with a connection failure (GS_TP_ERR_IO)
 * that the transport's own reconnects did not overcome; 0 when it
 * succeeded, failed otherwise, or there was none.
 */
int
gs_reader_lost(const struct gs_reader *rd)
{
	return rd->read_kind == GS_TP_ERR_IO;
}

static size_t
name_hash(const uint8_t name[GS_NAME_LEN])
{
	/* Names are XXH3-128 digests: any 8 bytes are uniform. */
	return (size_t)gs_get_le64(name);
}

/* Put pack index i into the table (which has room). */
static void
tab_insert(size_t *tab, size_t cap, const struct pack_ent *packs, size_t i)
{
	size_t h = name_hash(packs[i].name) & (cap - 1);

	while (tab[h] != 0)
		h = (h + 1) & (cap - 1);
	tab[h] = i + 1;
}

/* Grow the pack table and array for one more pack; 0 or -1 (warned). */
static int
packs_grow(struct gs_reader *rd)
{
	struct pack_ent *np;
	size_t *nt, ncap, i;

	if (rd->npacks == rd->cappacks) {
		ncap = rd->cappacks ? rd->cappacks * 2 : 64;
		if ((np = reallocarray(rd->packs, ncap, sizeof(*np))) == NULL) {
			gs_warnp("reallocarray");
			return -1;
		}
		rd->packs = np;
		rd->cappacks = ncap;
	}
	if ((rd->npacks + 1) * 2 > rd->tabcap) {
		ncap = rd->tabcap ? rd->tabcap * 2 : 256;
		if ((nt = calloc(ncap, sizeof(*nt))) == NULL) {
			gs_warnp("calloc");
			return -1;
		}
		for (i = 0; i < rd->npacks; i++)
			tab_insert(nt, ncap, rd->packs, i);
		free(rd->tab);
		rd->tab = nt;
		rd->tabcap = ncap;
	}
	return 0;
}

/* Room for n more data keys; 0 or -1 (warned). */
static int
keys_grow(struct gs_reader *rd, size_t n)
{
	uint8_t *nk, *nok;
	size_t ncap;

	if (n <= rd->capkeys - rd->nkeys)
		return 0;
	ncap = rd->capkeys ? rd->capkeys : 64;
	while (ncap - rd->nkeys < n)
		ncap *= 2;
	if ((nk = sodium_allocarray(ncap, GS_KEY_LEN)) == NULL) {
		gs_warnp("cannot allocate secure memory for data keys");
		return -1;
	}
	if ((nok = realloc(rd->keyok, ncap)) == NULL) {
		gs_warnp("realloc");
		sodium_free(nk);
		return -1;
	}
	rd->keyok = nok;
	if (rd->keys != NULL) {
		memcpy(nk, rd->keys, rd->nkeys * GS_KEY_LEN);
		sodium_free(rd->keys);
	}
	rd->keys = nk;
	rd->capkeys = ncap;
	return 0;
}

static int
ref_cmp(const void *a, const void *b)
{
	return memcmp(((const struct gs_chunk_ref *)a)->id, ((const struct gs_chunk_ref *)b)->id,
	              GS_ID_LEN);
}

/* The cache entry of pack name, loaded on first use (gs_reader_pack_get);
 * quiet: a missing pack is a bad entry without a warning. */
static struct pack_ent *
pack_load(struct gs_reader *rd, const uint8_t name[GS_NAME_LEN], const char *hex, int quiet)
{
	struct gs_pack_header h;
	struct pack_ent *pe;
	uint64_t size;
	size_t slot, i;

	if (rd->tabcap != 0) {
		slot = name_hash(name) & (rd->tabcap - 1);
		while (rd->tab[slot] != 0) {
			pe = &rd->packs[rd->tab[slot] - 1];
			if (memcmp(pe->name, name, GS_NAME_LEN) == 0)
				return pe;
			slot = (slot + 1) & (rd->tabcap - 1);
		}
	}
	if (packs_grow(rd) != 0)
		return NULL;
	pe = &rd->packs[rd->npacks];
	memset(pe, 0, sizeof(*pe));
	memcpy(pe->name, name, GS_NAME_LEN);
	memset(&h, 0, sizeof(h));
	if (quiet && gs_repo_stat(rd->repo, rd->k->w.tenant, GS_OBJ_PACK, hex, &size) == 1) {
		pe->bad = 1;
	} else if (gs_repo_read_pack_header(rd->repo, rd->k->w.tenant, hex, rd->k->w.index_key,
	                                    &size, &h) != 0) {
		note_read(rd, 1);
		pe->bad = 1;
	} else {
		note_read(rd, 0);
		if (keys_grow(rd, h.nkeys) != 0) {
			gs_pack_header_clear(&h);
			return NULL;
		}
		pe->key_off = rd->nkeys;
		pe->nkeys = h.nkeys;
		for (i = 0; i < h.nkeys; i++) {
			rd->keyok[rd->nkeys + i] =
			    crypto_box_seal_open(rd->keys + (rd->nkeys + i) * GS_KEY_LEN,
			                         h.sealed[i], GS_SEALED_KEY_LEN, rd->k->w.pk,
			                         rd->k->sk) == 0;
		}
		rd->nkeys += h.nkeys;
		pe->chunks = h.chunks;
		pe->nchunks = h.nchunks;
		h.chunks = NULL;
		if (pe->nchunks > 1)
			qsort(pe->chunks, pe->nchunks, sizeof(*pe->chunks), ref_cmp);
		gs_pack_header_clear(&h);
	}
	tab_insert(rd->tab, rd->tabcap, rd->packs, rd->npacks);
	rd->npacks++;
	return pe;
}

/*
 * gs_reader_pack_get(rd, name, hex): the cache entry of pack name (binary,
 * and hex), reading its header and unsealing its data keys on first use.
 * NULL only when out of memory; an unreadable header gives an entry with
 * bad set.
 */
struct pack_ent *
gs_reader_pack_get(struct gs_reader *rd, const uint8_t name[GS_NAME_LEN], const char *hex)
{
	return pack_load(rd, name, hex, 0);
}

/*
 * gs_reader_pack_peek(rd, name, hex): gs_reader_pack_get(), except that a
 * pack the copy does not have gives a bad entry without a warning (a pack
 * garbage collection moved: its pins are followed elsewhere).
 */
struct pack_ent *
gs_reader_pack_peek(struct gs_reader *rd, const uint8_t name[GS_NAME_LEN], const char *hex)
{
	return pack_load(rd, name, hex, 1);
}

/* ---- chunks ------------------------------------------------------------ */

/*
 * gs_reader_ref_check(rd, pe, ref, type, why, cap): whether ref (from the
 * header of pack pe) can be opened for a chunk of type: the type, cipher,
 * flags and lengths are known and in range, and its key exists and was
 * unsealed.  0, or -1 with the reason in why.
 */
int
gs_reader_ref_check(const struct gs_reader *rd, const struct pack_ent *pe,
                    const struct gs_chunk_ref *ref, uint8_t type, char *why, size_t cap)
{
	size_t nlen;

#define REF_ERR(...)                                                                               \
	do {                                                                                       \
		snprintf(why, cap, __VA_ARGS__);                                                   \
		return -1;                                                                         \
	} while (0)
	if (pe->bad)
		REF_ERR("the pack header cannot be read");
	if (ref->type != type)
		REF_ERR("chunk type %u where %u was expected", (unsigned)ref->type, (unsigned)type);
	if ((nlen = gs_aead_nonce_len(ref->alg)) == 0)
		REF_ERR("unknown cipher %u", (unsigned)ref->alg);
	if (ref->flags & ~GS_CF_ZSTD)
		REF_ERR("unknown flags 0x%x", (unsigned)ref->flags);
	if (ref->raw_len > GS_MAX_CHUNK)
		REF_ERR("length %u exceeds the limit", (unsigned)ref->raw_len);
	if (ref->stored_len < nlen + GS_TAG_LEN || ref->stored_len > GS_MAX_STORED)
		REF_ERR("stored length %u out of range", (unsigned)ref->stored_len);
	if (ref->key_idx == GS_KEYIDX_INDEX) {
		/* The reference stream: under the index key (format.h). */
		if (ref->type != GS_CT_REFS || ref->alg != GS_ALG_XCHACHA)
			REF_ERR("only reference chunks are under the index key");
	} else {
		if (ref->key_idx >= pe->nkeys)
			REF_ERR("data key %u does not exist (pack has %u)", (unsigned)ref->key_idx,
			        (unsigned)pe->nkeys);
		if (!rd->keyok[pe->key_off + ref->key_idx])
			REF_ERR("data key %u cannot be unsealed with this read key",
			        (unsigned)ref->key_idx);
	}
	if (ref->alg == GS_ALG_AESGCM && !crypto_aead_aes256gcm_is_available())
		REF_ERR("AES-256-GCM needs a CPU with AES-NI; this host cannot decrypt it");
	return 0;
#undef REF_ERR
}

/*
 * gs_reader_ref_key(rd, pe, ref): the key ref (checked with
 * gs_reader_ref_check) is sealed under (borrowed; main thread only).
 */
const uint8_t *
gs_reader_ref_key(const struct gs_reader *rd, const struct pack_ent *pe,
                  const struct gs_chunk_ref *ref)
{
	if (ref->key_idx == GS_KEYIDX_INDEX)
		return rd->k->w.index_key;
	return rd->keys + (pe->key_off + ref->key_idx) * GS_KEY_LEN;
}

/*
 * gs_chunk_decode(ref, key, id_key, blob, dctx, mid, out, why, cap): see
 * reader_internal.h.
 */
int
gs_chunk_decode(const struct gs_chunk_ref *ref, const uint8_t *key,
                const uint8_t id_key[GS_KEY_LEN], uint8_t *blob, ZSTD_DCtx *dctx,
                struct gs_buf *mid, uint8_t *out, char *why, size_t cap)
{
	size_t nlen = gs_aead_nonce_len(ref->alg);
	size_t ctlen = ref->stored_len - nlen, plen = ctlen - GS_TAG_LEN, n;
	uint8_t ad[GS_ID_LEN + 1];
	uint8_t calc[GS_ID_LEN];
	unsigned long long mlen;
	uint8_t *dst;
	int rc;

	if (!(ref->flags & GS_CF_ZSTD) && plen != ref->raw_len) {
		snprintf(why, cap, "%zu bytes instead of %u", plen, (unsigned)ref->raw_len);
		return -1;
	}
	if ((ref->flags & GS_CF_ZSTD) && mid == NULL) {
		dst = blob + nlen; /* in place: libsodium's AEADs allow m == c */
	} else if (ref->flags & GS_CF_ZSTD) {
		mid->len = 0;
		if (gs_buf_reserve(mid, plen + 1) != 0) {
			snprintf(why, cap, "out of memory");
			return -1;
		}
		dst = mid->p;
	} else {
		dst = out;
	}
	gs_chunk_ad(ad, ref->id, ref->type);
	if (ref->alg == GS_ALG_AESGCM)
		rc = crypto_aead_aes256gcm_decrypt(dst, &mlen, NULL, blob + nlen, ctlen, ad,
		                                   sizeof(ad), blob, key);
	else
		rc = crypto_aead_xchacha20poly1305_ietf_decrypt(dst, &mlen, NULL, blob + nlen,
		                                                ctlen, ad, sizeof(ad), blob, key);
	if (rc != 0) {
		snprintf(why, cap, "authentication failed");
		return -1;
	}
	if (ref->flags & GS_CF_ZSTD) {
		n = ZSTD_decompressDCtx(dctx, out, ref->raw_len, dst, (size_t)mlen);
		if (ZSTD_isError(n)) {
			snprintf(why, cap, "zstd: %s", ZSTD_getErrorName(n));
			return -1;
		}
		if (n != ref->raw_len) {
			snprintf(why, cap, "decompressed to %zu bytes instead of %u", n,
			         (unsigned)ref->raw_len);
			return -1;
		}
	}
	gs_chunk_id(id_key, out, ref->raw_len, calc);
	if (memcmp(calc, ref->id, GS_ID_LEN) != 0) {
		snprintf(why, cap, "content does not match its ID");
		return -1;
	}
	return 0;
}

/*
 * gs_reader_chunk_open(rd, pe, hex, ref, type, out): read the stored bytes
 * of ref in pack pe (hex: its name) and decrypt, decompress and verify them
 * as a chunk of type into out (reset first).  0, or -1 (warned, naming
 * tenant, pack, chunk and what failed).
 */
int
gs_reader_chunk_open(struct gs_reader *rd, struct pack_ent *pe, const char *hex,
                     const struct gs_chunk_ref *ref, uint8_t type, struct gs_buf *out)
{
	char idhex[2 * GS_ID_LEN + 1], why[200];

	gs_reader_idhex(ref->id, idhex);
	if (gs_reader_ref_check(rd, pe, ref, type, why, sizeof(why)) != 0)
		goto fail;
	rd->blob.len = 0;
	out->len = 0;
	if (gs_buf_reserve(&rd->blob, ref->stored_len) != 0 ||
	    gs_buf_reserve(out, (size_t)ref->raw_len + 1) != 0) {
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	rd->nread++;
	rd->read_bytes += ref->stored_len;
	if (gs_repo_read_range(rd->repo, rd->k->w.tenant, GS_OBJ_PACK, hex, ref->offset,
	                       ref->stored_len, rd->blob.p) != 0) {
		note_read(rd, 1);
		snprintf(why, sizeof(why), "cannot read the stored bytes");
		goto fail;
	}
	note_read(rd, 0);
	/* Decrypted in place: rd->blob is scratch. */
	if (gs_chunk_decode(ref, gs_reader_ref_key(rd, pe, ref), rd->k->w.id_key, rd->blob.p,
	                    rd->dctx, NULL, out->p, why, sizeof(why)) != 0)
		goto fail;
	out->len = ref->raw_len;
	return 0;
fail:
	gs_warn("tenant %s pack %s chunk %s: %s", rd->k->w.tenant, hex, idhex, why);
	return -1;
}

/*
 * gs_reader_pack(rd, name, ret_pe): the cache entry of pack name (binary),
 * its header read and keys unsealed on first use; its index in rd->packs.
 * 0, or -1 when out of memory or the header is unusable (warned then by
 * gs_repo_read_pack_header).
 */
int
gs_reader_pack(struct gs_reader *rd, const uint8_t name[GS_NAME_LEN], size_t *ret_pe)
{
	char hex[GS_NAME_HEX];
	struct pack_ent *pe;

	gs_hex(hex, name, GS_NAME_LEN);
	if ((pe = gs_reader_pack_get(rd, name, hex)) == NULL || pe->bad)
		return -1;
	*ret_pe = (size_t)(pe - rd->packs);
	return 0;
}

/* gs_reader_read_stats(rd, ret_bytes, ret_requests): see reader.h. */
void
gs_reader_read_stats(const struct gs_reader *rd, uint64_t *ret_bytes, uint64_t *ret_requests)
{
	*ret_bytes = rd->read_bytes;
	*ret_requests = rd->nread;
}

/*
 * gs_reader_chunk_at(rd, pack, ref, out): the same for the chunk described
 * by ref inside pack (hex name), without consulting the index; for check.
 */
int
gs_reader_chunk_at(struct gs_reader *rd, const char *pack, const struct gs_chunk_ref *ref,
                   struct gs_buf *out)
{
	uint8_t name[GS_NAME_LEN];
	struct pack_ent *pe;

	if (gs_unhex(name, pack, GS_NAME_LEN) != 0) {
		gs_warn("tenant %s: invalid pack name %s", rd->k->w.tenant, pack);
		return -1;
	}
	if ((pe = gs_reader_pack_get(rd, name, pack)) == NULL)
		return -1;
	return gs_reader_chunk_open(rd, pe, pack, ref, ref->type, out);
}
