/*
 * evil_escapes.c -- forge a snapshot whose strings carry terminal escapes.
 *
 *   evil_escapes REPO WRITE_KEY
 *
 * Every string the restore side shows comes from the snapshot, so the
 * production host chooses it: the host name, owner and group names, paths,
 * a symlink target and an xattr name here hold ESC [ 2 J (clear screen), a
 * raw 0x9b byte (CSI in ISO 8859 terminals), the UTF-8 C1 control U+009B
 * (C2 9B) and BEL.  The entries also make restore and check talk about
 * them: a setuid file, a device node, a trusted.* xattr and a file whose
 * size its chunks cannot have.  Prints the snapshot's name on stdout.
 */
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "evil.h"

/* ESC [ 2 J, raw CSI 31m, BEL, UTF-8 CSI 0m (C strings: a \x escape runs on
 * over hex digits, hence the splits). */
#define NASTY                                                                                      \
	"\x1b[2J\x9b"                                                                              \
	"31m\x07\xc2\x9b"                                                                          \
	"0m"

static struct evil_entry
ent(uint8_t type, const char *path, uint32_t mode, const char *content)
{
	struct evil_entry v;

	memset(&v, 0, sizeof(v));
	v.e.type = type;
	v.e.path = (char *)path;
	v.e.mode = mode;
	v.e.uid = 1234;
	v.e.gid = 5678;
	v.e.uname = (char *)"u" NASTY;
	v.e.gname = (char *)"g" NASTY;
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
	static uint8_t val[] = "x";
	struct gs_xattr x[1];
	struct evil_entry v[8];
	struct evil e;
	struct timespec now;
	char name[GS_NAME_HEX];
	size_t n = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: evil_escapes REPO WRITE_KEY\n");
		return 2;
	}
	evil_open(&e, argv[1], argv[2]);

	v[n++] = ent(GS_FT_DIR, "d" NASTY, 0755, NULL);
	v[n] = ent(GS_FT_FILE, "d" NASTY "/file" NASTY ".txt", 0644, "content\n");
	x[0].name = (char *)"trusted." NASTY;
	x[0].value = val;
	x[0].len = 1;
	v[n].e.xattrs = x;
	v[n++].e.nxattrs = 1;
	v[n++] = ent(GS_FT_FILE, "d" NASTY "/setuid" NASTY, 04755, "#!/bin/sh\n");
	v[n] = ent(GS_FT_CHR, "d" NASTY "/dev" NASTY, 0600, NULL);
	v[n++].e.rdev = makedev(1, 3);
	v[n] = ent(GS_FT_SYMLINK, "d" NASTY "/link" NASTY, 0777, NULL);
	v[n++].e.link = (char *)"target" NASTY;
	/* 1 TiB claimed, no chunks: restore and check name it. */
	v[n] = ent(GS_FT_FILE, "d" NASTY "/huge" NASTY, 0644, NULL);
	v[n].keep_chunks = 1;
	v[n++].e.size = (uint64_t)1 << 40;

	clock_gettime(CLOCK_REALTIME, &now);
	evil_snapshot(&e, v, n, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, "web1" NASTY, name);
	printf("%s\n", name);
	evil_close(&e);
	return 0;
}
