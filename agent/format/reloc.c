/*
 * reloc.c -- relocation objects: which pack a garbage collection moved the
 * live chunks of an old pack into, so that the pins of kept snapshots
 * (which name the old pack) still lead to their chunks.
 */
#include <stdlib.h>
#include <string.h>

#include "format_internal.h"

/*
 * gs_reloc_encode(index_key, v, n, out): append a whole relocation object
 * (GS_RELOC_MAGIC, version, the n entries of v sealed under the index
 * key) to out.  On out of memory out->oom is set.
 */
void
gs_reloc_encode(const uint8_t index_key[GS_KEY_LEN], const struct gs_reloc *v, uint32_t n,
                struct gs_buf *out)
{
	struct gs_buf pt = {0};

	gs_buf_u32(&pt, n);
	for (uint32_t i = 0; i < n; i++) {
		gs_buf_put(&pt, v[i].from, GS_NAME_LEN);
		gs_buf_put(&pt, v[i].to, GS_NAME_LEN);
	}
	gs_obj_seal(index_key, GS_RELOC_MAGIC, out, &pt);
}

/*
 * gs_reloc_parse(index_key, name, buf, len, ret, ret_n): authenticate and
 * parse a relocation object into a malloc'd array (NULL when empty).  An
 * entry that moves a pack onto itself is malformed.  0, or -1 naming the
 * object.
 */
int
gs_reloc_parse(const uint8_t index_key[GS_KEY_LEN], const char *name, const uint8_t *buf,
               size_t len, struct gs_reloc **ret, uint32_t *ret_n)
{
	struct gs_reloc *v = NULL;
	struct gs_buf pt = {0};
	struct gs_rd r;
	uint32_t n;

	if (gs_obj_open(index_key, GS_RELOC_MAGIC, "relocation", name, buf, len,
	                GS_MAX_RELOC_OBJECT, &pt))
		return -1;
	gs_rd_init(&r, pt.p, pt.len);
	n = gs_rd_u32(&r);
	if (r.err || (uint64_t)n * 2 * GS_NAME_LEN != pt.len - r.off) {
		gs_warn("relocation %s: entry count out of range or trailing bytes", name);
		goto err;
	}
	if (n && (v = calloc(n, sizeof(*v))) == NULL) {
		gs_warnp("calloc");
		goto err;
	}
	for (uint32_t i = 0; i < n; i++) {
		gs_rd_copy(&r, v[i].from, GS_NAME_LEN);
		gs_rd_copy(&r, v[i].to, GS_NAME_LEN);
		if (memcmp(v[i].from, v[i].to, GS_NAME_LEN) == 0) {
			gs_warn("relocation %s: entry %u moves a pack onto itself", name, i);
			goto err;
		}
	}
	gs_buf_clear(&pt);
	*ret = v;
	*ret_n = n;
	return 0;
err:
	free(v);
	gs_buf_clear(&pt);
	return -1;
}
