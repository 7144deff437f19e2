/*
 * pack.c -- chunk refs, pack headers and index segments (parse and encode).
 *
 * chunk ref (GS_CHUNK_REF_LEN = 53 bytes):
 *   id[32] u64 offset u32 stored_len u32 raw_len u16 key_idx u8 flags
 *   u8 alg u8 type
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "format_internal.h"

/* gs_ref_encode(b, c): append the 53-byte chunk ref. */
void
gs_ref_encode(struct gs_buf *b, const struct gs_chunk_ref *c)
{
	gs_buf_put(b, c->id, GS_ID_LEN);
	gs_buf_u64(b, c->offset);
	gs_buf_u32(b, c->stored_len);
	gs_buf_u32(b, c->raw_len);
	gs_buf_u16(b, c->key_idx);
	gs_buf_u8(b, c->flags);
	gs_buf_u8(b, c->alg);
	gs_buf_u8(b, c->type);
}

/* gs_ref_decode(r, c, blob_end, nkeys): decode and range-check a ref
 * (offset and length within [8, blob_end), key_idx < nkeys unless nkeys
 * is 0).  0 or -1 (not warned). */
int
gs_ref_decode(struct gs_rd *r, struct gs_chunk_ref *c, uint64_t blob_end, uint16_t nkeys)
{
	size_t nl;

	gs_rd_copy(r, c->id, GS_ID_LEN);
	c->offset = gs_rd_u64(r);
	c->stored_len = gs_rd_u32(r);
	c->raw_len = gs_rd_u32(r);
	c->key_idx = gs_rd_u16(r);
	c->flags = gs_rd_u8(r);
	c->alg = gs_rd_u8(r);
	c->type = gs_rd_u8(r);
	if (r->err)
		return -1;
	nl = gs_aead_nonce_len(c->alg);
	if (nl == 0 || c->type > GS_CT_REFS || (c->flags & ~GS_CF_ZSTD) != 0)
		return -1;
	/* Only the reference stream is under the index key, and always is. */
	if ((c->key_idx == GS_KEYIDX_INDEX) != (c->type == GS_CT_REFS))
		return -1;
	if (c->type == GS_CT_REFS && (c->alg != GS_ALG_XCHACHA || c->flags != 0))
		return -1;
	if (c->raw_len > GS_MAX_CHUNK || c->stored_len < nl + GS_TAG_LEN ||
	    c->stored_len > GS_MAX_STORED)
		return -1;
	if (c->offset < 8 || c->offset > blob_end || c->stored_len > blob_end - c->offset)
		return -1;
	if (nkeys != 0 && c->key_idx != GS_KEYIDX_INDEX && c->key_idx >= nkeys)
		return -1;
	return 0;
}

/* gs_pack_check_magic(name, head, len): first 8 bytes; 0 or -1. */
int
gs_pack_check_magic(const char *name, const uint8_t *head, size_t len)
{
	if (len < 8 || memcmp(head, GS_PACK_MAGIC, 4) != 0) {
		gs_warn("pack %s: bad magic", name);
		return -1;
	}
	if (gs_get_le32(head + 4) != GS_FORMAT_VERSION) {
		gs_warn("pack %s: unknown version %u", name, gs_get_le32(head + 4));
		return -1;
	}
	return 0;
}

/* gs_pack_header_len(name, trailer8, pack_len, ret): from the last 8 bytes
 * of a pack, the number of tail bytes to read (header + trailer); 0 or -1. */
int
gs_pack_header_len(const char *name, const uint8_t trailer[8], uint64_t pack_len, size_t *ret)
{
	uint32_t hl = gs_get_le32(trailer);

	if (memcmp(trailer + 4, GS_PACK_END_MAGIC, 4) != 0) {
		gs_warn("pack %s: bad end magic (truncated?)", name);
		return -1;
	}
	if (hl > GS_MAX_PACK_HEADER || pack_len < 16 || hl > pack_len - 16) {
		gs_warn("pack %s: header length %u out of range", name, hl);
		return -1;
	}
	*ret = (size_t)hl + 8;
	return 0;
}

/*
 * gs_pack_header_parse(index_key, name, tail, tail_len, pack_len, ret):
 * parse a pack header from the last tail_len bytes of a pack of pack_len
 * bytes (tail must end at the end of the pack and hold the whole header;
 * gs_pack_header_len() tells how much that is).  Checks every chunk lies
 * inside the blob area.  Returns 0, or -1 naming the pack.
 */
int
gs_pack_header_parse(const uint8_t index_key[GS_KEY_LEN], const char *name, const uint8_t *tail,
                     size_t tail_len, uint64_t pack_len, struct gs_pack_header *ret)
{
	struct gs_pack_header h = {0};
	struct gs_buf pt = {0};
	struct gs_rd r;
	uint64_t blob_end;
	size_t need;

	if (tail_len < 8 || gs_pack_header_len(name, tail + tail_len - 8, pack_len, &need))
		return -1;
	if (need > tail_len) {
		gs_warn("pack %s: header truncated", name);
		return -1;
	}
	blob_end = pack_len - need;
	if (gs_meta_open(index_key, GS_PACK_MAGIC, name, tail + tail_len - need, need - 8, &pt))
		goto err;
	gs_rd_init(&r, pt.p, pt.len);
	h.nkeys = gs_rd_u16(&r);
	if (h.nkeys == 0 || (size_t)h.nkeys * GS_SEALED_KEY_LEN > pt.len) {
		gs_warn("pack %s: bad key count %u", name, h.nkeys);
		goto err;
	}
	if ((h.sealed = malloc((size_t)h.nkeys * GS_SEALED_KEY_LEN)) == NULL)
		goto oom;
	gs_rd_copy(&r, h.sealed, (size_t)h.nkeys * GS_SEALED_KEY_LEN);
	h.nchunks = gs_rd_u32(&r);
	if (r.err || (uint64_t)h.nchunks * GS_CHUNK_REF_LEN != pt.len - r.off) {
		gs_warn("pack %s: header length does not match its chunk count", name);
		goto err;
	}
	if (h.nchunks && (h.chunks = calloc(h.nchunks, sizeof(*h.chunks))) == NULL)
		goto oom;
	for (uint32_t i = 0; i < h.nchunks; i++) {
		if (gs_ref_decode(&r, &h.chunks[i], blob_end, h.nkeys)) {
			gs_warn("pack %s: chunk entry %u malformed", name, i);
			goto err;
		}
	}
	gs_buf_clear(&pt);
	*ret = h;
	return 0;
oom:
	gs_warn("pack %s: out of memory", name);
err:
	gs_buf_clear(&pt);
	gs_pack_header_clear(&h);
	return -1;
}

/* gs_pack_start(out): the first GS_PACK_START_LEN bytes of a pack. */
void
gs_pack_start(uint8_t out[GS_PACK_START_LEN])
{
	memcpy(out, GS_PACK_MAGIC, 4);
	gs_le32(out + 4, GS_FORMAT_VERSION);
}

/*
 * gs_pack_header_encode(index_key, h, out): append a pack's tail to out:
 * nonce || the header h encrypted under the index key, u32 its length,
 * "GSPE".  On out of memory out->oom is set.
 */
void
gs_pack_header_encode(const uint8_t index_key[GS_KEY_LEN], const struct gs_pack_header *h,
                      struct gs_buf *out)
{
	struct gs_buf pt = {0};
	size_t start = out->len;

	gs_buf_u16(&pt, h->nkeys);
	gs_buf_put(&pt, h->sealed, (size_t)h->nkeys * GS_SEALED_KEY_LEN);
	gs_buf_u32(&pt, h->nchunks);
	for (uint32_t i = 0; i < h->nchunks; i++)
		gs_ref_encode(&pt, &h->chunks[i]);
	if (pt.oom) {
		out->oom = 1;
	} else {
		gs_meta_seal(index_key, GS_PACK_MAGIC, out, pt.p, pt.len);
		gs_buf_u32(out, (uint32_t)(out->len - start));
		gs_buf_put(out, GS_PACK_END_MAGIC, 4);
	}
	gs_buf_clear(&pt);
}

/* gs_pack_header_clear(h): free the members of h (not h itself). */
void
gs_pack_header_clear(struct gs_pack_header *h)
{
	free(h->sealed);
	free(h->chunks);
	memset(h, 0, sizeof(*h));
}

/* gs_index_encode(index_key, idx, out): append the whole object to out. */
void
gs_index_encode(const uint8_t index_key[GS_KEY_LEN], const struct gs_index *idx, struct gs_buf *out)
{
	struct gs_buf pt = {0};

	gs_buf_u32(&pt, idx->npacks);
	for (uint32_t i = 0; i < idx->npacks; i++) {
		gs_buf_put(&pt, idx->packs[i].name, GS_NAME_LEN);
		gs_buf_u32(&pt, idx->packs[i].n);
		for (uint32_t j = 0; j < idx->packs[i].n; j++)
			gs_ref_encode(&pt, &idx->packs[i].chunks[j]);
	}
	gs_obj_seal(index_key, GS_INDEX_MAGIC, out, &pt);
}

/* gs_index_parse(index_key, name, buf, len, ret): 0 or -1 naming the object. */
int
gs_index_parse(const uint8_t index_key[GS_KEY_LEN], const char *name, const uint8_t *buf,
               size_t len, struct gs_index *ret)
{
	struct gs_index idx = {0};
	struct gs_buf pt = {0};
	struct gs_rd r;

	if (gs_obj_open(index_key, GS_INDEX_MAGIC, "index", name, buf, len, 0, &pt))
		return -1;
	gs_rd_init(&r, pt.p, pt.len);
	idx.npacks = gs_rd_u32(&r);
	if ((uint64_t)idx.npacks * (GS_NAME_LEN + 4) > pt.len) {
		gs_warn("index %s: pack count %u out of range", name, idx.npacks);
		goto err;
	}
	if (idx.npacks && (idx.packs = calloc(idx.npacks, sizeof(*idx.packs))) == NULL)
		goto oom;
	for (uint32_t i = 0; i < idx.npacks; i++) {
		struct gs_index_pack *p = &idx.packs[i];

		gs_rd_copy(&r, p->name, GS_NAME_LEN);
		p->n = gs_rd_u32(&r);
		if (r.err || (uint64_t)p->n * GS_CHUNK_REF_LEN > pt.len - r.off) {
			gs_warn("index %s: pack %u: chunk count out of range", name, i);
			goto err;
		}
		if (p->n && (p->chunks = calloc(p->n, sizeof(*p->chunks))) == NULL)
			goto oom;
		for (uint32_t j = 0; j < p->n; j++) {
			if (gs_ref_decode(&r, &p->chunks[j], GS_MAX_OBJECT, 0)) {
				gs_warn("index %s: pack %u entry %u malformed", name, i, j);
				goto err;
			}
		}
	}
	if (r.err || r.off != pt.len) {
		gs_warn("index %s: trailing or missing bytes", name);
		goto err;
	}
	gs_buf_clear(&pt);
	*ret = idx;
	return 0;
oom:
	gs_warn("index %s: out of memory", name);
err:
	gs_buf_clear(&pt);
	gs_index_clear(&idx);
	return -1;
}

/* gs_index_clear(idx): free the members of idx (not idx itself). */
void
gs_index_clear(struct gs_index *idx)
{
	for (uint32_t i = 0; idx->packs && i < idx->npacks; i++)
		free(idx->packs[i].chunks);
	free(idx->packs);
	memset(idx, 0, sizeof(*idx));
}
