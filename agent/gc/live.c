/*
 * live.c -- which chunks are live: every chunk a snapshot of the copy
 * pins, at the pack its pin names after relocation, read from the
 * reference streams with the index key (they are sealed under it for
 * this purpose, FORMAT.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gc/gc_internal.h"
#include "geosnap/layout.h"

/* Grow *v (of *n used, *cap allocated) by one element of size sz; the new
 * element's pointer or NULL (warned). */
static void *
grow(void *vv, size_t *n, size_t *cap, size_t sz)
{
	void **v = vv;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		void *nv = reallocarray(*v, nc, sz);

		if (nv == NULL) {
			gs_warnp("reallocarray");
			return NULL;
		}
		*v = nv;
		*cap = nc;
	}
	return (uint8_t *)*v + (*n)++ * sz;
}

/* Remember that pins name pack (as written). */
static int
add_pinned(struct gc *g, const uint8_t pack[GS_NAME_LEN])
{
	uint8_t *p = grow(&g->pinned, &g->npinned, &g->cappinned, GS_NAME_LEN);

	if (p == NULL)
		return -1;
	memcpy(p, pack, GS_NAME_LEN);
	return 0;
}

/* Mark id live in every pack holding it (a version 1 pin, or a pin whose
 * pack chain does not hold the chunk: keep every copy). */
static int
add_any(struct gc *g, const uint8_t id[GS_ID_LEN])
{
	uint8_t *p = grow(&g->anyid, &g->nany, &g->capany, GS_ID_LEN);

	if (p == NULL)
		return -1;
	memcpy(p, id, GS_ID_LEN);
	return 0;
}

/*
 * Mark the chunk a pin (id, pack) names live where a reader finds it: the
 * end of pack's relocation chain when that pack holds it, else the last
 * pack along the chain that does, else (damage or forgery) every copy of
 * the chunk.  *ret (may be NULL) receives the pack marked, or NULL.
 */
static int
mark(struct gc *g, const uint8_t id[GS_ID_LEN], const uint8_t pack[GS_NAME_LEN],
     const struct gc_pack **ret)
{
	const uint8_t *chain[GS_RELOC_MAX_HOPS + 1], *nx;
	const struct gc_pack *p = NULL;
	struct gs_pin *pin;
	size_t n = 0;

	if (ret)
		*ret = NULL;
	if (add_pinned(g, pack))
		return -1;
	chain[n++] = pack;
	while (n <= GS_RELOC_MAX_HOPS && (nx = gs_relocmap_next(&g->rm, chain[n - 1])) != NULL)
		chain[n++] = nx;
	while (n-- > 0) {
		p = gc_pack_find(g, chain[n]);
		if (p != NULL && gc_chunk_find(p, id) != NULL)
			break;
		p = NULL;
	}
	if (p == NULL)
		return add_any(g, id);
	if ((pin = grow(&g->live, &g->nlive, &g->caplive, sizeof(*pin))) == NULL)
		return -1;
	memcpy(pin->id, id, GS_ID_LEN);
	memcpy(pin->pack, p->name, GS_NAME_LEN);
	if (ret)
		*ret = p;
	return 0;
}

/*
 * Read reference chunk id from pack p into out (appended): it is sealed
 * under the index key (XChaCha20-Poly1305, the ID and type as associated
 * data) and never compressed; its keyed ID is checked.  0, or 1 (warned,
 * naming snapshot, pack and chunk) when it cannot be read or is forged.
 */
static int
read_ref_chunk(struct gc *g, const char *snap, const struct gc_pack *p, const uint8_t id[GS_ID_LEN],
               struct gs_buf *out)
{
	const struct gs_chunk_ref *ref = gc_chunk_find(p, id);
	uint8_t ad[GS_ID_LEN + 1], got[GS_ID_LEN], *blob = NULL, *pt = NULL;
	unsigned long long ptlen;
	const size_t nl = 24;
	int rc = 1;

	if (ref == NULL || ref->type != GS_CT_REFS || ref->key_idx != GS_KEYIDX_INDEX ||
	    ref->alg != GS_ALG_XCHACHA || ref->flags != 0 || ref->stored_len < nl + GS_TAG_LEN ||
	    ref->stored_len - nl - GS_TAG_LEN != ref->raw_len) {
		gs_warn("tenant %s snapshot %s: reference chunk in pack %s: not a reference chunk "
		        "of that pack",
		        g->tenant, snap, p->hex);
		return 1;
	}
	if ((blob = malloc(ref->stored_len)) == NULL || (pt = malloc(ref->raw_len + 1)) == NULL) {
		gs_warnp("malloc");
		rc = -1;
		goto out;
	}
	if (gs_repo_read_range(g->r, g->tenant, GS_OBJ_PACK, p->hex, ref->offset, ref->stored_len,
	                       blob))
		goto out;
	gs_chunk_ad(ad, id, GS_CT_REFS);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL, blob + nl,
	                                               ref->stored_len - nl, ad, sizeof(ad), blob,
	                                               g->k->index_key) != 0 ||
	    ptlen != ref->raw_len) {
		gs_warn("tenant %s snapshot %s: reference chunk in pack %s: authentication failed",
		        g->tenant, snap, p->hex);
		goto out;
	}
	gs_chunk_id(g->k->id_key, pt, ptlen, got);
	if (sodium_memcmp(got, id, GS_ID_LEN) != 0) {
		gs_warn("tenant %s snapshot %s: reference chunk in pack %s: does not match its ID",
		        g->tenant, snap, p->hex);
		goto out;
	}
	gs_buf_put(out, pt, ptlen);
	rc = out->oom ? -1 : 0;
out:
	free(blob);
	free(pt);
	return rc;
}

/* Read snapshot name's reference stream and mark what it pins.  0, 1
 * unreadable or forged (warned), -1 error. */
static int
load_snap(struct gc *g, const char *name)
{
	struct gs_snap_info si = {0};
	struct gs_buf stream = {0};
	size_t rl;
	int rc;

	if ((rc = gs_repo_snap_public(g->r, g->tenant, g->k->index_key, name, &si)) != 0) {
		if (rc == 1)
			return 0; /* deleted meanwhile */
		gs_warn("tenant %s snapshot %s: cannot be read; nothing is collected until it is "
		        "repaired or set aside",
		        g->tenant, name);
		return rc == 2 ? 1 : -1;
	}
	rc = 0;
	for (uint32_t i = 0; i < si.nrefchunks && rc == 0; i++) {
		const struct gs_pin *rp = &si.refchunks[i];
		const struct gc_pack *p = NULL;

		if (si.version < 2) {
			/* unpinned: keep every copy, read the first that works */
			rc = add_any(g, rp->id);
			for (size_t j = 0; j < g->npacks && rc == 0; j++)
				if (gc_chunk_find(&g->packs[j], rp->id) != NULL) {
					p = &g->packs[j];
					break;
				}
		} else {
			rc = mark(g, rp->id, rp->pack, &p);
		}
		if (rc == 0 && p == NULL) {
			gs_warn(
			    "tenant %s snapshot %s: reference chunk %u is in no pack; nothing is "
			    "collected until the snapshot is repaired or set aside",
			    g->tenant, name, i);
			rc = 1;
		}
		if (rc == 0)
			rc = read_ref_chunk(g, name, p, rp->id, &stream);
	}
	rl = gs_snap_ref_len(si.version);
	if (rc == 0 && (stream.len % rl != 0 || stream.len / rl != si.nrefs)) {
		gs_warn("tenant %s snapshot %s: its reference stream holds %zu bytes, not %llu "
		        "entries",
		        g->tenant, name, stream.len, (unsigned long long)si.nrefs);
		rc = 1;
	}
	for (size_t off = 0; rc == 0 && off < stream.len; off += rl) {
		struct gs_pin pin;

		gs_pin_decode(stream.p + off, si.version, &pin);
		rc = si.version < 2 ? add_any(g, pin.id) : mark(g, pin.id, pin.pack, NULL);
	}
	gs_buf_clear(&stream);
	gs_snap_info_clear(&si);
	return rc;
}

static int
cmp_pin(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct gs_pin));
}

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, GS_ID_LEN);
}

static int
cmp_name(const void *a, const void *b)
{
	return memcmp(a, b, GS_NAME_LEN);
}

/* Sort v (n elements of sz) and drop duplicates; the new count. */
static size_t
sort_uniq(void *v, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
	uint8_t *b = v;
	size_t k = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sz, cmp);
	for (size_t i = 1; i < n; i++)
		if (cmp(b + k * sz, b + i * sz) != 0)
			memmove(b + ++k * sz, b + i * sz, sz);
	return k + 1;
}

/*
 * gc_live_load(g, st): read every snapshot of the copy and mark the chunks
 * its references pin as live (g->live, g->anyid, g->pinned, sorted).  0, 1
 * when a snapshot or one of its reference chunks is unreadable or forged
 * (warned: nothing may be deleted), -1 on error.
 */
int
gc_live_load(struct gc *g, struct gs_gc_stats *st)
{
	char(*names)[GS_NAME_HEX] = NULL;
	size_t n;
	int rc = 0;

	if (gs_repo_list(g->r, g->tenant, GS_OBJ_SNAP, &names, &n) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (g->nskip && bsearch(names[i], g->skip, g->nskip, GS_NAME_HEX,
		                        (int (*)(const void *, const void *))strcmp) != NULL)
			continue;
		rc = load_snap(g, names[i]);
		st->snapshots++;
		/* duplicates across snapshots go as they come: memory stays
		 * about the number of chunks, not snapshots times chunks */
		g->nlive = sort_uniq(g->live, g->nlive, sizeof(*g->live), cmp_pin);
		g->nany = sort_uniq(g->anyid, g->nany, GS_ID_LEN, cmp_id);
		g->npinned = sort_uniq(g->pinned, g->npinned, GS_NAME_LEN, cmp_name);
	}
	free(names);
	g->nlive = sort_uniq(g->live, g->nlive, sizeof(*g->live), cmp_pin);
	g->nany = sort_uniq(g->anyid, g->nany, GS_ID_LEN, cmp_id);
	g->npinned = sort_uniq(g->pinned, g->npinned, GS_NAME_LEN, cmp_name);
	return rc;
}

/* gc_is_live(g, pack, id): 1 when chunk id is live in pack. */
int
gc_is_live(const struct gc *g, const uint8_t pack[GS_NAME_LEN], const uint8_t id[GS_ID_LEN])
{
	struct gs_pin key = {0};

	memcpy(key.id, id, GS_ID_LEN);
	memcpy(key.pack, pack, GS_NAME_LEN);
	if (g->nlive && bsearch(&key, g->live, g->nlive, sizeof(key), cmp_pin) != NULL)
		return 1;
	return g->nany && bsearch(id, g->anyid, g->nany, GS_ID_LEN, cmp_id) != NULL;
}
