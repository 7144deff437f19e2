/*
 * repoconf.c -- the repository config object, the one object every copy of
 * a repository shares under a fixed name (layout.h GS_LAYOUT_CONFIG):
 *
 *   "GSRP" | u32 version = 1 | id[16]        (GS_REPOCONF_LEN = 24 bytes)
 *
 * It is not named by its hash: it is written once, by init, and never
 * changed; ship copies it to a remote that has none and refuses a remote
 * whose config differs (another repository).
 */
#include <string.h>

#include <sodium.h>

#include "geosnap/format.h"

#define REPOCONF_MAGIC "GSRP"

/* gs_repoconf_new(out): a fresh config object with a random repository id. */
void
gs_repoconf_new(uint8_t out[GS_REPOCONF_LEN])
{
	memcpy(out, REPOCONF_MAGIC, 4);
	gs_le32(out + 4, GS_FORMAT_VERSION);
	randombytes_buf(out + 8, GS_REPOCONF_LEN - 8);
}

/* gs_repoconf_check(where, buf, len): check a config object's magic,
 * version and length; where names the copy in messages.  0 or -1 (warned). */
int
gs_repoconf_check(const char *where, const uint8_t *buf, size_t len)
{
	if (len < 8 || memcmp(buf, REPOCONF_MAGIC, 4) != 0) {
		gs_warn("%s/config: not a geosnap repository config", where);
		return -1;
	}
	if (gs_get_le32(buf + 4) != GS_FORMAT_VERSION) {
		gs_warn("%s/config: unsupported repository version %u", where,
		        gs_get_le32(buf + 4));
		return -1;
	}
	if (len != GS_REPOCONF_LEN) {
		gs_warn("%s/config: %zu bytes, not %u", where, len, (unsigned)GS_REPOCONF_LEN);
		return -1;
	}
	return 0;
}
