/*
 * manifest.c -- the manifest stream: its framing and its entries.
 *
 *   u32 len, then: u8 type, str16 path, u32 mode, u32 uid, u32 gid,
 *   str16 uname, str16 gname, i64 mtime_sec, u32 mtime_nsec, u64 size,
 *   u64 rdev, str16 link, u32 acl_len + acl text, u32 nxattrs,
 *   nxattrs x { str16 name, u32 len, value }, hash[16],
 *   u32 nchunks, nchunks x id[32]
 * A len of 0 ends the manifest.
 */
#include <stdlib.h>
#include <string.h>

#include "geosnap/format.h"

#define MAX_ACL (1u << 20)
#define MAX_XATTRS 65536u
#define MAX_XATTR_VALUE (16u << 20)

/* gs_manifest_start(out) / gs_manifest_end(out): the stream's first and
 * last bytes. */
void
gs_manifest_start(uint8_t out[GS_MANIFEST_START_LEN])
{
	memcpy(out, GS_MANIFEST_MAGIC, 4);
	gs_le32(out + 4, GS_FORMAT_VERSION);
}

/* gs_manifest_start(out) / gs_manifest_end(out): the stream's first and
 * last bytes. */
void
gs_manifest_end(uint8_t out[GS_MANIFEST_END_LEN])
{
	gs_le32(out, 0);
}

/* gs_manifest_check_start(label, p): p holds GS_MANIFEST_START_LEN bytes;
 * 0, or -1 (warned, naming label) on a wrong magic or version. */
int
gs_manifest_check_start(const char *label, const uint8_t *p)
{
	if (memcmp(p, GS_MANIFEST_MAGIC, 4) != 0) {
		gs_warn("%s: bad magic", label);
		return -1;
	}
	if (gs_get_le32(p + 4) != GS_FORMAT_VERSION) {
		gs_warn("%s: unsupported version %u", label, (unsigned)gs_get_le32(p + 4));
		return -1;
	}
	return 0;
}

/* gs_mentry_encode(out, e): append u32 len + entry to out. */
void
gs_mentry_encode(struct gs_buf *out, const struct gs_mentry *e)
{
	size_t start = out->len, acl_len = e->acl ? strlen(e->acl) : 0;

	gs_buf_u32(out, 0); /* patched below */
	gs_buf_u8(out, e->type);
	gs_buf_str16(out, e->path);
	gs_buf_u32(out, e->mode);
	gs_buf_u32(out, e->uid);
	gs_buf_u32(out, e->gid);
	gs_buf_str16(out, e->uname);
	gs_buf_str16(out, e->gname);
	gs_buf_u64(out, (uint64_t)e->mtime_sec);
	gs_buf_u32(out, e->mtime_nsec);
	gs_buf_u64(out, e->size);
	gs_buf_u64(out, e->rdev);
	gs_buf_str16(out, e->link);
	gs_buf_u32(out, (uint32_t)acl_len);
	gs_buf_put(out, e->acl, acl_len);
	gs_buf_u32(out, e->nxattrs);
	for (uint32_t i = 0; i < e->nxattrs; i++) {
		gs_buf_str16(out, e->xattrs[i].name);
		gs_buf_u32(out, e->xattrs[i].len);
		gs_buf_put(out, e->xattrs[i].value, e->xattrs[i].len);
	}
	gs_buf_put(out, e->hash, 16);
	gs_buf_u32(out, e->nchunks);
	gs_buf_put(out, e->chunks, (size_t)e->nchunks * GS_ID_LEN);
	if (!out->oom)
		gs_le32(out->p + start, (uint32_t)(out->len - start - 4));
}

static char *
empty_to_null(char *s)
{
	if (s && *s == 0) {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * gs_mentry_decode(r, ret): decode the next u32-framed entry.  Returns 0 with
 * *ret filled (caller clears it), 1 at the end marker, -1 on malformed input
 * (the caller names the object).  Rejects empty paths and unknown types;
 * path safety (.., absolute) is for the restore side to judge.
 */
int
gs_mentry_decode(struct gs_rd *outer, struct gs_mentry *ret)
{
	struct gs_mentry e = {0};
	const uint8_t *body;
	struct gs_rd r;
	uint32_t len, acl_len;

	len = gs_rd_u32(outer);
	if (outer->err)
		return -1;
	if (len == 0)
		return 1;
	if (len > GS_MAX_ENTRY || (body = gs_rd_bytes(outer, len)) == NULL)
		return -1;
	gs_rd_init(&r, body, len);
	e.type = gs_rd_u8(&r);
	e.path = gs_rd_str16(&r);
	e.mode = gs_rd_u32(&r);
	e.uid = gs_rd_u32(&r);
	e.gid = gs_rd_u32(&r);
	e.uname = empty_to_null(gs_rd_str16(&r));
	e.gname = empty_to_null(gs_rd_str16(&r));
	e.mtime_sec = (int64_t)gs_rd_u64(&r);
	e.mtime_nsec = gs_rd_u32(&r);
	e.size = gs_rd_u64(&r);
	e.rdev = gs_rd_u64(&r);
	e.link = empty_to_null(gs_rd_str16(&r));
	acl_len = gs_rd_u32(&r);
	if (r.err || acl_len > MAX_ACL || acl_len > len - r.off)
		goto err;
	if (acl_len) {
		const uint8_t *a = gs_rd_bytes(&r, acl_len);

		if (a == NULL || memchr(a, 0, acl_len) || (e.acl = malloc(acl_len + 1)) == NULL)
			goto err;
		memcpy(e.acl, a, acl_len);
		e.acl[acl_len] = 0;
	}
	e.nxattrs = gs_rd_u32(&r);
	if (r.err || e.nxattrs > MAX_XATTRS || (uint64_t)e.nxattrs * 6 > len - r.off)
		goto err;
	if (e.nxattrs && (e.xattrs = calloc(e.nxattrs, sizeof(*e.xattrs))) == NULL)
		goto err;
	for (uint32_t i = 0; i < e.nxattrs; i++) {
		struct gs_xattr *x = &e.xattrs[i];
		const uint8_t *v;

		x->name = gs_rd_str16(&r);
		x->len = gs_rd_u32(&r);
		if (r.err || x->name == NULL || *x->name == 0 || x->len > MAX_XATTR_VALUE)
			goto err;
		if ((v = gs_rd_bytes(&r, x->len)) == NULL)
			goto err;
		if ((x->value = malloc(x->len ? x->len : 1)) == NULL)
			goto err;
		memcpy(x->value, v, x->len);
	}
	gs_rd_copy(&r, e.hash, 16);
	e.nchunks = gs_rd_u32(&r);
	if (r.err || (uint64_t)e.nchunks * GS_ID_LEN != len - r.off)
		goto err;
	if (e.nchunks) {
		if ((e.chunks = malloc((size_t)e.nchunks * GS_ID_LEN)) == NULL)
			goto err;
		gs_rd_copy(&r, e.chunks, (size_t)e.nchunks * GS_ID_LEN);
	}
	if (e.type < GS_FT_FILE || e.type > GS_FT_SOCK || e.path == NULL || *e.path == 0 ||
	    e.mtime_nsec >= (uint64_t)GS_NS_PER_S)
		goto err;
	if ((e.type == GS_FT_SYMLINK || e.type == GS_FT_HARDLINK) && e.link == NULL)
		goto err;
	if (e.type != GS_FT_FILE && e.nchunks != 0)
		goto err;
	*ret = e;
	return 0;
err:
	gs_mentry_clear(&e);
	return -1;
}

static void
skip_str16(struct gs_rd *r)
{
	gs_rd_bytes(r, gs_rd_u16(r));
}

/*
 * gs_mentry_peek(r, ret_type, ret_size, ret_chunks, ret_n): like
 * gs_mentry_decode() but without allocating: hands back the type, size and
 * the chunk IDs (borrowed from r's buffer, unaligned bytes).  0, 1 at the
 * end marker, -1 when malformed.
 */
int
gs_mentry_peek(struct gs_rd *outer, uint8_t *ret_type, uint64_t *ret_size,
               const uint8_t **ret_chunks, uint32_t *ret_n)
{
	const uint8_t *body;
	struct gs_rd r;
	uint32_t len, n;
	uint64_t size;
	uint8_t type;

	len = gs_rd_u32(outer);
	if (outer->err)
		return -1;
	if (len == 0)
		return 1;
	if (len > GS_MAX_ENTRY || (body = gs_rd_bytes(outer, len)) == NULL)
		return -1;
	gs_rd_init(&r, body, len);
	type = gs_rd_u8(&r);
	skip_str16(&r);      /* path */
	gs_rd_bytes(&r, 12); /* mode, uid, gid */
	skip_str16(&r);      /* uname */
	skip_str16(&r);      /* gname */
	gs_rd_bytes(&r, 12); /* mtime */
	size = gs_rd_u64(&r);
	gs_rd_bytes(&r, 8);             /* rdev */
	skip_str16(&r);                 /* link */
	gs_rd_bytes(&r, gs_rd_u32(&r)); /* acl */
	n = gs_rd_u32(&r);
	for (uint32_t i = 0; i < n && !r.err; i++) {
		skip_str16(&r);
		gs_rd_bytes(&r, gs_rd_u32(&r));
	}
	gs_rd_bytes(&r, 16); /* hash */
	n = gs_rd_u32(&r);
	if (r.err || (uint64_t)n * GS_ID_LEN != len - r.off)
		return -1;
	*ret_type = type;
	*ret_size = size;
	*ret_chunks = body + r.off;
	*ret_n = n;
	return 0;
}

/* gs_mentry_clear(e): free the members and zero e. */
void
gs_mentry_clear(struct gs_mentry *e)
{
	free(e->path);
	free(e->uname);
	free(e->gname);
	free(e->link);
	free(e->acl);
	for (uint32_t i = 0; e->xattrs && i < e->nxattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	free(e->chunks);
	memset(e, 0, sizeof(*e));
}
