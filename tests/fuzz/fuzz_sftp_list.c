/*
 * fuzz_sftp_list.c -- the entries of an SFTP directory listing, as the
 * server sends them and do_list() in agent/transport/sftp.c keeps them.
 * Input: entries of u16 name length, name, u32 attribute flags, u64 size,
 * u32 permissions.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "geosnap/repo.h"
#include "transport/sftp_internal.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The listing counts entries against a transport's caps: any will do. */
	static struct gs_transport *tp;
	struct gs_tp_listing l;
	struct gs_tp_entry *v = NULL;
	size_t n = 0;
	struct gs_rd r;

	if (tp == NULL && (tp = gs_tp_open_local("fuzz", "/")) == NULL)
		__builtin_trap();
	gs_tp_listing_init(&l, tp, "fuzz");
	gs_rd_init(&r, data, size);
	for (;;) {
		LIBSSH2_SFTP_ATTRIBUTES a;
		const uint8_t *p;
		uint16_t len;
		char name[4096];
		uint64_t sz = 0;
		int is_dir = 0, rc;

		len = gs_rd_u16(&r);
		p = gs_rd_bytes(&r, len);
		memset(&a, 0, sizeof(a));
		a.flags = gs_rd_u32(&r);
		a.filesize = gs_rd_u64(&r);
		a.permissions = gs_rd_u32(&r);
		if (r.err || len >= sizeof(name))
			break; /* libssh2 refuses names that do not fit */
		memcpy(name, p, len);
		name[len] = '\0'; /* as libssh2_sftp_readdir_ex leaves it */
		rc = gs_tp_sftp_entry(name, len, &a, &sz, &is_dir);
		if (rc == 1)
			continue;
		if (rc < 0)
			break;
		/* What is kept is a plain name of its full length. */
		if (strlen(name) != len || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0)
			__builtin_trap();
		if (gs_tp_listing_add(&l, name, sz, is_dir, 0))
			break;
	}
	gs_tp_listing_done(&l, &v, &n);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i - 1].name, v[i].name) > 0)
			__builtin_trap();
		(void)gs_layout_is_objname(v[i].name); /* what the repository layer asks next */
	}
	gs_tp_list_free(v, n);
	return 0;
}

static void
entry(struct gs_buf *out, const char *name, uint32_t flags, uint64_t size, uint32_t perm)
{
	gs_buf_u16(out, (uint16_t)strlen(name));
	gs_buf_put(out, name, strlen(name));
	gs_buf_u32(out, flags);
	gs_buf_u64(out, size);
	gs_buf_u32(out, perm);
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	const uint32_t all = LIBSSH2_SFTP_ATTR_SIZE | LIBSSH2_SFTP_ATTR_UIDGID |
	                     LIBSSH2_SFTP_ATTR_PERMISSIONS | LIBSSH2_SFTP_ATTR_ACMODTIME;

	if (i == 0) { /* a pack directory */
		entry(out, ".", all, 4096, LIBSSH2_SFTP_S_IFDIR | 0700);
		entry(out, "..", all, 4096, LIBSSH2_SFTP_S_IFDIR | 0700);
		entry(out, "3f", all, 4096, LIBSSH2_SFTP_S_IFDIR | 0700);
		entry(out, "3f0c1a2b3c4d5e6f708192a3b4c5d6e7", all, 33554432,
		      LIBSSH2_SFTP_S_IFREG | 0444);
		entry(out, ".gstmp-3f0c1a2b", all, 1000, LIBSSH2_SFTP_S_IFREG | 0600);
		return 0;
	}
	if (i == 1) { /* a server that sends few attributes */
		entry(out, "0123456789abcdef0123456789abcdef", LIBSSH2_SFTP_ATTR_SIZE, 24, 0);
		entry(out, "index", LIBSSH2_SFTP_ATTR_PERMISSIONS, 0, LIBSSH2_SFTP_S_IFDIR | 0755);
		entry(out, "link", all, 7, LIBSSH2_SFTP_S_IFLNK | 0777);
		return 0;
	}
	return 1;
}
