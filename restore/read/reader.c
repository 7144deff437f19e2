/*
 * reader.c -- opening snapshots, fetching and verifying chunks, walking
 * manifests.  The only code that unseals pack data keys.
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
#include "geosnap/util.h"
#include "read/reader.h"
#include "read/reader_internal.h"
#include "read/refs.h"

/*
 * gs_reader_idhex(id, out): the 64 hex digits of a chunk ID.
 */
void
gs_reader_idhex(const uint8_t id[GS_ID_LEN], char out[2 * GS_ID_LEN + 1])
{
	gs_hex(out, id, GS_ID_LEN);
}

/*
 * Add every usable index segment to rd->ci.  A segment that cannot be read
 * or parsed is named and skipped (rd->damaged): its chunks are found later
 * in the pack headers.  0, or -1 when the list cannot be read (warned).
 */
static int
load_index(struct gs_reader *rd)
{
	const char *tenant = rd->k->w.tenant;
	char(*names)[GS_NAME_HEX] = NULL;
	struct gs_index idx;
	char label[128];
	uint8_t *buf;
	size_t n, i, len;
	uint32_t p, c;

	if (gs_repo_list(rd->repo, tenant, GS_OBJ_INDEX, &names, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "tenant %s index %s", tenant, names[i]);
		if (gs_repo_read(rd->repo, tenant, GS_OBJ_INDEX, names[i], &buf, &len) != 0) {
			gs_warn("%s: unreadable; falling back to pack headers", label);
			rd->damaged = 1;
			continue;
		}
		memset(&idx, 0, sizeof(idx));
		if (gs_index_parse(rd->k->w.index_key, label, buf, len, &idx) != 0) {
			gs_warn("%s: unusable; falling back to pack headers", label);
			rd->damaged = 1;
			free(buf);
			continue;
		}
		free(buf);
		for (p = 0; p < idx.npacks; p++) {
			for (c = 0; c < idx.packs[p].n; c++) {
				if (gs_cindex_add(rd->ci, idx.packs[p].name,
				                  &idx.packs[p].chunks[c]) < 0) {
					gs_index_free(&idx);
					free(names);
					return -1;
				}
			}
		}
		gs_index_free(&idx);
	}
	free(names);
	return 0;
}

/* Load the index segments the first time something needs them. */
static void
need_index(struct gs_reader *rd)
{
	if (!rd->index_pending)
		return;
	rd->index_pending = 0;
	if (load_index(rd) != 0) {
		gs_warn("tenant %s: the index segments cannot be listed; falling back to pack "
		        "headers",
		        rd->k->w.tenant);
		rd->damaged = 1;
	}
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
	free(rd->tab);
	gs_buf_free(&rd->blob);
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

/* The ref of chunk id in pack pe's own header, or NULL. */
static const struct gs_chunk_ref *
pack_find(const struct pack_ent *pe, const uint8_t id[GS_ID_LEN])
{
	size_t lo = 0, hi = pe->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(pe->chunks[mid].id, id, GS_ID_LEN);

		if (c == 0)
			return &pe->chunks[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The cache entry of pack name (hex), reading its header and unsealing its
 * data keys on first use.  NULL only when out of memory; an unreadable
 * header gives an entry with bad set.
 */
static struct pack_ent *
pack_get(struct gs_reader *rd, const uint8_t name[GS_NAME_LEN], const char *hex)
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
	if (gs_repo_read_pack_header(rd->repo, rd->k->w.tenant, hex, rd->k->w.index_key, &size,
	                             &h) != 0) {
		pe->bad = 1;
	} else {
		if (keys_grow(rd, h.nkeys) != 0) {
			gs_pack_header_free(&h);
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
		gs_pack_header_free(&h);
	}
	tab_insert(rd->tab, rd->tabcap, rd->packs, rd->npacks);
	rd->npacks++;
	return pe;
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

/* Decrypt and verify the chunk ref of pack (pe, hex) into out; 0 or -1. */
static int
chunk_open(struct gs_reader *rd, struct pack_ent *pe, const char *hex,
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
		snprintf(why, sizeof(why), "cannot read the stored bytes");
		goto fail;
	}
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
 * Build rd->pci from every pack header of the tenant, once, after a chunk
 * was not found in the index (a damaged or missing segment, or a pack a
 * killed run published without its segment).  Unreadable headers are named
 * and skipped.
 */
static void
scan_packs(struct gs_reader *rd)
{
	const char *tenant = rd->k->w.tenant;
	char(*names)[GS_NAME_HEX] = NULL;
	struct gs_pack_header h;
	uint8_t bin[GS_NAME_LEN];
	uint64_t size;
	size_t n, i;
	uint32_t c;

	rd->scanned = 1;
	need_index(rd);
	if ((rd->pci = gs_cindex_new()) == NULL)
		return;
	if (gs_repo_list(rd->repo, tenant, GS_OBJ_PACK, &names, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (gs_unhex(bin, names[i], GS_NAME_LEN) != 0 ||
		    (!rd->damaged && gs_cindex_has_pack(rd->ci, bin)))
			continue; /* an intact index already covers this pack */
		memset(&h, 0, sizeof(h));
		if (gs_repo_read_pack_header(rd->repo, tenant, names[i], rd->k->w.index_key, &size,
		                             &h) != 0) {
			rd->damaged = 1;
			continue;
		}
		for (c = 0; c < h.nchunks; c++)
			if (gs_cindex_add(rd->pci, bin, &h.chunks[c]) < 0)
				break;
		gs_pack_header_free(&h);
	}
	free(names);
}

/* Most locations of one chunk tried before giving up (a write-key holder
 * can add any number). */
#define MAX_LOCATIONS 16

/* Read chunk id from pack (binary name) by the pack's own header; 0 or -1
 * (warned). */
static int
chunk_in(struct gs_reader *rd, const uint8_t pack[GS_NAME_LEN], const uint8_t id[GS_ID_LEN],
         uint8_t type, struct gs_buf *out)
{
	const struct gs_chunk_ref *ref;
	char hex[GS_NAME_HEX], idhex[2 * GS_ID_LEN + 1];
	struct pack_ent *pe;

	gs_hex(hex, pack, GS_NAME_LEN);
	if ((pe = pack_get(rd, pack, hex)) == NULL)
		return -1;
	if (pe->bad) {
		gs_reader_idhex(id, idhex);
		gs_warn("tenant %s pack %s chunk %s: the pack is missing or its header cannot be "
		        "read",
		        rd->k->w.tenant, hex, idhex);
		return -1;
	}
	if ((ref = pack_find(pe, id)) == NULL) {
		gs_reader_idhex(id, idhex);
		gs_warn("tenant %s pack %s chunk %s: not in the pack's header", rd->k->w.tenant,
		        hex, idhex);
		return -1;
	}
	return chunk_open(rd, pe, hex, ref, type, out);
}

static const uint8_t no_pack[GS_NAME_LEN];

/* The pinned pack of id in the current snapshot, or NULL (not in the
 * reference stream, or a version 1 entry, which pins nothing). */
static const uint8_t *
pinned_pack(const struct gs_reader *rd, const uint8_t id[GS_ID_LEN], int *ret_listed)
{
	const struct gs_pin *p = gs_refs_find(rd->pins, rd->npins, id);

	*ret_listed = p != NULL;
	if (p == NULL || memcmp(p->pack, no_pack, GS_NAME_LEN) == 0)
		return NULL;
	return p->pack;
}

/* Try each location of id that ci knows and that is not in tried[]; 0 when
 * one works. */
static int
try_locations(struct gs_reader *rd, const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN],
              uint8_t type, struct gs_buf *out, const uint8_t **tried, size_t *ntried)
{
	const struct gs_chunk_ref *refs[MAX_LOCATIONS];
	const uint8_t *packs[MAX_LOCATIONS];
	size_t n = gs_cindex_locations(ci, id, refs, packs, MAX_LOCATIONS);

	for (size_t i = 0; i < n && *ntried < MAX_LOCATIONS; i++) {
		size_t j;

		for (j = 0; j < *ntried; j++)
			if (memcmp(tried[j], packs[i], GS_NAME_LEN) == 0)
				break;
		if (j < *ntried)
			continue;
		tried[(*ntried)++] = packs[i];
		if (chunk_in(rd, packs[i], id, type, out) == 0)
			return 0;
	}
	return -1;
}

/*
 * gs_reader_chunk(rd, id, type, out): fetch chunk id of type GS_CT_*,
 * decrypt, decompress and verify it against its keyed ID.  out is reset and
 * receives the plaintext.  The chunk is read from the pack the current
 * snapshot pins it to (gs_reader_pin()); only when that fails, or the
 * snapshot pins nothing, are the other locations the index segments and
 * then the pack headers know tried, at most MAX_LOCATIONS of them, each
 * checked the same way.  A chunk found only that way marks the reader
 * damaged.  Returns 0, or -1 (warned, naming tenant, pack and chunk).
 */
int
gs_reader_chunk(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint8_t type, struct gs_buf *out)
{
	const uint8_t *tried[MAX_LOCATIONS];
	char idhex[2 * GS_ID_LEN + 1], hex[GS_NAME_HEX];
	int listed;
	const uint8_t *pin = pinned_pack(rd, id, &listed);
	size_t ntried = 0;
	int failed = 0;

	if (pin != NULL) {
		if (chunk_in(rd, pin, id, type, out) == 0)
			return 0;
		tried[ntried++] = pin;
		failed = 1;
	} else if (rd->npins > 0 && !listed) {
		gs_reader_idhex(id, idhex);
		gs_warn("tenant %s snapshot %s chunk %s: not in the snapshot's reference stream",
		        rd->k->w.tenant, rd->pinned_for, idhex);
		failed = 1;
	}
	need_index(rd);
	if (try_locations(rd, rd->ci, id, type, out, tried, &ntried) != 0) {
		/* Index segments are a cache of the pack headers: ask those. */
		if (!rd->scanned)
			scan_packs(rd);
		if (rd->pci == NULL ||
		    try_locations(rd, rd->pci, id, type, out, tried, &ntried) != 0) {
			gs_reader_idhex(id, idhex);
			if (ntried == 0)
				gs_warn(
				    "tenant %s chunk %s: in no index segment and no pack header",
				    rd->k->w.tenant, idhex);
			else
				gs_warn("tenant %s chunk %s: none of its %zu locations holds it",
				        rd->k->w.tenant, idhex, ntried);
			return -1;
		}
		failed |= ntried > 1;
	} else {
		failed |= ntried > 1;
	}
	if (failed) {
		gs_reader_idhex(id, idhex);
		gs_hex(hex, tried[ntried - 1], GS_NAME_LEN);
		gs_warn("tenant %s chunk %s: read from pack %s after the locations above failed",
		        rd->k->w.tenant, idhex, hex);
		rd->damaged = 1;
	}
	return 0;
}

/*
 * gs_reader_pin(rd, s): read the reference stream of snapshot s and make
 * its pins the ones gs_reader_chunk() follows.  A snapshot of version 1
 * has entries without a pack, which pin nothing.  When the stream cannot
 * be read the snapshot is read unpinned and the reader is marked damaged.
 * Returns 0, or -1 (warned, naming the snapshot) when the stream is
 * unreadable or malformed.
 */
int
gs_reader_pin(struct gs_reader *rd, const struct gs_rsnap *s)
{
	struct gs_buf stream = {0}, chunk = {0};
	struct gs_pin *pins = NULL;
	size_t n = 0;
	int rc = -1;

	if (strcmp(rd->pinned_for, s->name) == 0)
		return 0;
	free(rd->pins);
	rd->pins = NULL;
	rd->npins = 0;
	rd->pinned_for[0] = 0;
	for (uint32_t i = 0; i < s->info.nrefchunks; i++) {
		const struct gs_pin *p = &s->info.refchunks[i];

		if (s->info.version < 2) {
			/* Version 1 pins nothing: look the chunk up by ID. */
			if (gs_reader_chunk(rd, p->id, GS_CT_REFS, &chunk) != 0) {
				gs_warn("tenant %s: snapshot %s: reference chunk %u is unreadable",
				        rd->k->w.tenant, s->name, i);
				goto out;
			}
		} else if (chunk_in(rd, p->pack, p->id, GS_CT_REFS, &chunk) != 0) {
			rd->damaged = 1; /* the pinned location failed (warned) */
			if (gs_reader_chunk(rd, p->id, GS_CT_REFS, &chunk) != 0) {
				gs_warn("tenant %s: snapshot %s: reference chunk %u is unreadable",
				        rd->k->w.tenant, s->name, i);
				goto out;
			}
		}
		gs_buf_put(&stream, chunk.p, chunk.len);
	}
	if (stream.oom) {
		gs_warn("tenant %s: snapshot %s: out of memory", rd->k->w.tenant, s->name);
		goto out;
	}
	if (gs_refs_parse(rd->k->w.tenant, s->name, stream.p, stream.len, s->info.version,
	                  s->info.nrefs, &pins, &n) != 0)
		goto out;
	rd->pins = pins;
	rd->npins = n;
	memcpy(rd->pinned_for, s->name, GS_NAME_HEX);
	rc = 0;
out:
	if (rc != 0) {
		gs_warn("tenant %s: snapshot %s: reading its chunks by ID instead", rd->k->w.tenant,
		        s->name);
		rd->damaged = 1;
		memcpy(rd->pinned_for, s->name, GS_NAME_HEX);
	}
	gs_buf_free(&stream);
	gs_buf_free(&chunk);
	return rc;
}

/*
 * gs_reader_pins(rd, ret_n): the current snapshot's pins, sorted by chunk
 * ID (borrowed until the next gs_reader_pin()); NULL with *ret_n 0 when it
 * has none.
 */
const struct gs_pin *
gs_reader_pins(const struct gs_reader *rd, size_t *ret_n)
{
	*ret_n = rd->npins;
	return rd->pins;
}

/*
 * gs_reader_chunk_len(rd, id, ret_len): the plaintext length of chunk id as
 * recorded where gs_reader_chunk() will fetch it from (the header of the
 * pack the current snapshot pins it to; unpinned, the length every known
 * location agrees on), without reading the chunk, so that a manifest
 * entry's size can be checked before anything is written.  Returns 0 with
 * *ret_len set, or 1 when the length is unknown (no location knows the
 * chunk, or the locations disagree).
 */
int
gs_reader_chunk_len(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint32_t *ret_len)
{
	const struct gs_chunk_ref *refs[MAX_LOCATIONS];
	const uint8_t *packs[MAX_LOCATIONS];
	const struct gs_chunk_ref *ref;
	char hex[GS_NAME_HEX];
	struct pack_ent *pe;
	int listed;
	const uint8_t *pin = pinned_pack(rd, id, &listed);
	size_t n;

	/* The pinned pack's own header is where the chunk will be read. */
	if (pin != NULL) {
		gs_hex(hex, pin, GS_NAME_LEN);
		if ((pe = pack_get(rd, pin, hex)) != NULL && !pe->bad &&
		    (ref = pack_find(pe, id)) != NULL) {
			*ret_len = ref->raw_len;
			return 0;
		}
	}
	/* Unpinned, or the pin is broken: the length is known only when every
	 * location agrees (a forged one may record any length). */
	need_index(rd);
	if ((n = gs_cindex_locations(rd->ci, id, refs, packs, MAX_LOCATIONS)) == 0) {
		if (!rd->scanned)
			scan_packs(rd);
		if (rd->pci == NULL ||
		    (n = gs_cindex_locations(rd->pci, id, refs, packs, MAX_LOCATIONS)) == 0)
			return 1;
	}
	for (size_t i = 1; i < n; i++)
		if (refs[i]->raw_len != refs[0]->raw_len)
			return 1;
	*ret_len = refs[0]->raw_len;
	return 0;
}

/*
 * gs_reader_locate(rd, id, type, ret_pe, ret_ref): where chunk id lies by
 * the current snapshot's pin: the pinned pack's cache entry (its index in
 * rd->packs) and the ref in that pack's own header, when the ref passes
 * gs_reader_ref_check().  0, or -1 (silently: unpinned, the pack or its
 * header is unusable, or the header does not hold id; gs_reader_chunk()
 * then finds it another way and names what failed).
 */
int
gs_reader_locate(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint8_t type, size_t *ret_pe,
                 const struct gs_chunk_ref **ret_ref)
{
	const struct gs_chunk_ref *ref;
	char hex[GS_NAME_HEX], why[200];
	struct pack_ent *pe;
	int listed;
	const uint8_t *pin = pinned_pack(rd, id, &listed);

	if (pin == NULL)
		return -1;
	gs_hex(hex, pin, GS_NAME_LEN);
	if ((pe = pack_get(rd, pin, hex)) == NULL || pe->bad || (ref = pack_find(pe, id)) == NULL ||
	    gs_reader_ref_check(rd, pe, ref, type, why, sizeof(why)) != 0)
		return -1;
	*ret_pe = (size_t)(pe - rd->packs);
	*ret_ref = ref;
	return 0;
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
	if ((pe = pack_get(rd, name, hex)) == NULL || pe->bad)
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
	if ((pe = pack_get(rd, name, pack)) == NULL)
		return -1;
	return chunk_open(rd, pe, pack, ref, ref->type, out);
}
