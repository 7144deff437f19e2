/*
 * keys.c -- write-key files and key-file permission checks.
 *
 * Write key file:
 *   "GSWK" u32 version, str16 tenant, id_key[32], index_key[32], pk[32],
 *   check[16] = BLAKE2b-128 of all preceding bytes (detects damage).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/keys.h"
#include "geosnap/util.h"

/*
 * gs_keyfile_open(path): open a key file for reading after checking that it
 * is a regular file not readable or writable by group or others.  Returns an
 * fd, or -1 (warned: "PATH: key file is group/other-accessible (mode 0644);
 * chmod 600 PATH").
 */
int
gs_keyfile_open(const char *path)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		gs_warnp("key file %s", path);
		return -1;
	}
	if (fstat(fd, &st)) {
		gs_warnp("key file %s", path);
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		gs_warn("key file %s: not a regular file", path);
		goto err;
	}
	if (st.st_mode & 077) {
		gs_warn(
		    "key file %s is accessible by group or others (mode %04o); run: chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

/*
 * gs_wkey_new(): a zeroed write key in guarded, locked memory, or NULL.
 * gs_wkey_free(k): wipe and free (NULL accepted).
 */
struct gs_wkey *
gs_wkey_new(void)
{
	struct gs_wkey *k = sodium_malloc(sizeof(*k));

	if (k == NULL) {
		gs_warnp("sodium_malloc");
		return NULL;
	}
	sodium_memzero(k, sizeof(*k));
	return k;
}

/*
 * gs_wkey_new(): a zeroed write key in guarded, locked memory, or NULL.
 * gs_wkey_free(k): wipe and free (NULL accepted).
 */
void
gs_wkey_free(struct gs_wkey *k)
{
	/* sodium_free wipes the memory before releasing it. */
	if (k)
		sodium_free(k);
}

/*
 * gs_wkey_encode(k, out, cap): serialise k as a write key file into out;
 * returns the length or 0 if cap is too small.  Used by keygen.
 */
size_t
gs_wkey_encode(const struct gs_wkey *k, uint8_t *out, size_t cap)
{
	size_t tl = strlen(k->tenant), n = 0;

	if (cap < GS_WKEY_FILE_MAX || tl == 0 || tl > GS_TENANT_MAX)
		return 0;
	memcpy(out, GS_WKEY_MAGIC, 4);
	gs_le32(out + 4, GS_KEYFILE_VERSION);
	gs_le16(out + 8, (uint16_t)tl);
	n = 10;
	memcpy(out + n, k->tenant, tl);
	n += tl;
	memcpy(out + n, k->id_key, GS_KEY_LEN);
	n += GS_KEY_LEN;
	memcpy(out + n, k->index_key, GS_KEY_LEN);
	n += GS_KEY_LEN;
	memcpy(out + n, k->pk, GS_KEY_LEN);
	n += GS_KEY_LEN;
	crypto_generichash(out + n, 16, out, n, NULL, 0);
	return n + 16;
}

/*
 * gs_wkey_decode(path, buf, len, tenant): parse and check a write key file
 * image; path names it in messages.  tenant, when not NULL, must match the
 * tenant recorded in it.  Returns the key or NULL (warned, naming path).
 */
struct gs_wkey *
gs_wkey_decode(const char *path, const uint8_t *buf, size_t len, const char *tenant)
{
	uint8_t check[16];
	struct gs_wkey *k;
	struct gs_rd r;
	uint16_t tl;

	if ((k = gs_wkey_new()) == NULL)
		return NULL;
	gs_rd_init(&r, buf, len);
	if (len < 10 || memcmp(buf, GS_WKEY_MAGIC, 4) != 0) {
		if (len >= 4 && memcmp(buf, "GSRK", 4) == 0)
			gs_warn("key file %s is a read key; the agent takes the tenant's "
			        "write key (T.write)",
			        path);
		else
			gs_warn("key file %s: not a geosnap write key", path);
		goto err;
	}
	gs_rd_bytes(&r, 4);
	if (gs_rd_u32(&r) != GS_KEYFILE_VERSION) {
		gs_warn("key file %s: unsupported version", path);
		goto err;
	}
	tl = gs_rd_u16(&r);
	if (tl == 0 || tl > GS_TENANT_MAX) {
		gs_warn("key file %s: malformed", path);
		goto err;
	}
	gs_rd_copy(&r, k->tenant, tl);
	k->tenant[tl] = 0;
	gs_rd_copy(&r, k->id_key, GS_KEY_LEN);
	gs_rd_copy(&r, k->index_key, GS_KEY_LEN);
	gs_rd_copy(&r, k->pk, GS_KEY_LEN);
	if (r.err || r.off + 16 != len) {
		gs_warn("key file %s: truncated or malformed", path);
		goto err;
	}
	crypto_generichash(check, 16, buf, r.off, NULL, 0);
	if (sodium_memcmp(check, buf + r.off, 16) != 0) {
		gs_warn("key file %s: checksum mismatch (damaged)", path);
		goto err;
	}
	if (tenant && strcmp(tenant, k->tenant) != 0) {
		gs_warn("key file %s belongs to tenant '%s', not '%s'", path, k->tenant, tenant);
		goto err;
	}
	return k;
err:
	gs_wkey_free(k);
	return NULL;
}

/*
 * gs_wkey_load(path, tenant): load and check a write key file.  tenant, when
 * not NULL, must match the tenant recorded in the file.  Returns the key or
 * NULL (warned, naming path).
 */
struct gs_wkey *
gs_wkey_load(const char *path, const char *tenant)
{
	uint8_t buf[GS_WKEY_FILE_MAX + 1];
	struct gs_wkey *k;
	ssize_t len;
	int fd;

	if ((fd = gs_keyfile_open(path)) < 0)
		return NULL;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0) {
		gs_warnp("key file %s", path);
		return NULL;
	}
	k = gs_wkey_decode(path, buf, (size_t)len, tenant);
	sodium_memzero(buf, sizeof(buf));
	return k;
}
