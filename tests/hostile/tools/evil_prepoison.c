/*
 * evil_prepoison REPO WRITE_KEY [--no-index] FILE...
 *
 * A write-key holder knows the chunk-ID key, so it can compute the ID of
 * content it expects the tenant to have later (each FILE: small files are
 * one chunk) and store garbage under that ID first.  A backup that
 * deduplicates against the garbage never stores the real content: the
 * compromised host spoils backups made while it is compromised.  Writes one
 * pack and (unless --no-index) an index segment naming it; prints them as
 * "pack NAME" and "index NAME" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "evil.h"
#include "geosnap/pack.h"

int
main(int argc, char **argv)
{
	struct evil e;
	struct gs_pack_writer *pw;
	struct gs_index_pack ip;
	struct gs_index idx;
	struct gs_buf b = {0};
	char name[GS_NAME_HEX];
	uint8_t garbage[64];
	int no_index = 0, nfiles = 0;

	if (argc < 4)
		evil_die("usage: evil_prepoison REPO WRITE_KEY [--no-index] FILE...");
	evil_open(&e, argv[1], argv[2]);
	if ((pw = gs_pack_writer_new(e.r, e.tenant, e.k, GS_ALG_XCHACHA)) == NULL)
		evil_die("cannot start a pack");
	for (int i = 3; i < argc; i++) {
		uint8_t *buf, id[GS_ID_LEN];
		size_t len;

		if (strcmp(argv[i], "--no-index") == 0) {
			no_index = 1;
			continue;
		}
		if (gs_read_file(argv[i], GS_MAX_CHUNK, &buf, &len) != 0)
			evil_die("cannot read %s", argv[i]);
		gs_chunk_id(e.k->id_key, buf, len, id);
		free(buf);
		randombytes_buf(garbage, sizeof(garbage));
		if (gs_pack_writer_add(pw, id, GS_CT_DATA, garbage, sizeof(garbage),
		                       (uint32_t)sizeof(garbage), 0))
			evil_die("cannot add a chunk");
		nfiles++;
	}
	if (nfiles == 0)
		evil_die("no file given");
	if (gs_pack_writer_commit(pw, &ip))
		evil_die("cannot publish the pack");
	gs_pack_writer_free(pw);
	gs_hex(name, ip.name, GS_NAME_LEN);
	printf("pack %s\n", name);
	if (!no_index) {
		idx.npacks = 1;
		idx.packs = &ip;
		gs_index_encode(e.k->index_key, &idx, &b);
		if (b.oom || gs_repo_put(e.r, e.tenant, GS_OBJ_INDEX, b.p, b.len, name))
			evil_die("cannot publish the index segment");
		printf("index %s\n", name);
	}
	free(ip.chunks);
	gs_buf_clear(&b);
	evil_close(&e);
	return 0;
}
