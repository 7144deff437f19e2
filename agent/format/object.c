/*
 * object.c -- the frame of a sealed metadata object (an index segment, a
 * relocation object): 4-byte magic, u32 GS_FORMAT_VERSION, then nonce ||
 * XChaCha20-Poly1305 of the plaintext under the index key, with the magic
 * and the version as associated data (docs/FORMAT.md).
 */
#include <string.h>

#include "format_internal.h"

/* gs_obj_seal(key, magic, out, pt): see format_internal.h. */
void
gs_obj_seal(const uint8_t key[GS_KEY_LEN], const char *magic, struct gs_buf *out, struct gs_buf *pt)
{
	gs_buf_put(out, magic, 4);
	gs_buf_u32(out, GS_FORMAT_VERSION);
	if (pt->oom)
		out->oom = 1;
	else
		gs_meta_seal(key, magic, out, pt->p, pt->len);
	gs_buf_clear(pt);
}

/* gs_obj_open(key, magic, what, name, buf, len, max, pt): see
 * format_internal.h. */
int
gs_obj_open(const uint8_t key[GS_KEY_LEN], const char *magic, const char *what, const char *name,
            const uint8_t *buf, size_t len, size_t max, struct gs_buf *pt)
{
	if (len < 8 || memcmp(buf, magic, 4) != 0) {
		gs_warn("%s %s: bad magic", what, name);
		return -1;
	}
	if (gs_get_le32(buf + 4) != GS_FORMAT_VERSION) {
		gs_warn("%s %s: unknown version %u", what, name, gs_get_le32(buf + 4));
		return -1;
	}
	if (max != 0 && len > max) {
		gs_warn("%s %s: %zu bytes, more than the format allows", what, name, len);
		return -1;
	}
	if (gs_meta_open(key, magic, name, buf + 8, len - 8, pt)) {
		gs_buf_clear(pt);
		return -1;
	}
	return 0;
}
