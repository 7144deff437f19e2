/*
 * chunkprobe.c -- how many chunks of a file a copy still stores, found
 * independently of garbage collection: the file is cut and its chunk IDs
 * computed the way a backup does (the tenant's chunker and ID key, from the
 * write key), and every pack header of the copy is read with the index key.
 *
 *   chunkprobe WRITE_KEY TENANT MIN AVG MAX BASE FILE...
 *
 * Prints "N M" per FILE: its distinct chunks, and how many of them some
 * pack of BASE/tenants/TENANT holds.  Exit 0, or 2 on bad arguments or an
 * unreadable pack.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/chunker.h"
#include "geosnap/format.h"
#include "geosnap/keys.h"
#include "geosnap/repo.h"

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, GS_ID_LEN);
}

/* Append the ID of chunk c to *v (n used); -1 when out of memory. */
static int
add_id(uint8_t (**v)[GS_ID_LEN], size_t *n, const uint8_t *id_key, const struct gs_buf *c)
{
	uint8_t(*nv)[GS_ID_LEN] = reallocarray(*v, *n + 1, GS_ID_LEN);

	if (nv == NULL)
		return -1;
	gs_chunk_id(id_key, c->p, c->len, nv[(*n)++]);
	*v = nv;
	return 0;
}

/* The distinct chunk IDs of file path into *ret (sorted); their count, or
 * -1. */
static long
file_ids(const struct gs_chunker_params *cp, const uint8_t *id_key, const char *path,
         uint8_t (**ret)[GS_ID_LEN])
{
	struct gs_chunker c;
	struct gs_buf chunk = {0};
	uint8_t buf[65536], (*v)[GS_ID_LEN] = NULL;
	size_t n = 0, got;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	gs_chunker_init(&c, cp);
	for (;;) {
		size_t off = 0;
		int eof;

		got = fread(buf, 1, sizeof(buf), f);
		eof = got == 0;
		while (off < got) {
			size_t cut = gs_chunker_scan(&c, buf + off, got - off);
			size_t take = cut == GS_CHUNKER_NONE ? got - off : cut;

			gs_buf_put(&chunk, buf + off, take);
			off += take;
			if (cut == GS_CHUNKER_NONE)
				break;
			if (add_id(&v, &n, id_key, &chunk))
				return -1;
			chunk.len = 0;
		}
		if (eof)
			break;
	}
	if (chunk.len > 0 && add_id(&v, &n, id_key, &chunk))
		return -1;
	fclose(f);
	gs_buf_clear(&chunk);
	if (n > 1) {
		size_t k = 0;

		qsort(v, n, GS_ID_LEN, cmp_id);
		for (size_t i = 1; i < n; i++)
			if (memcmp(v[k], v[i], GS_ID_LEN) != 0)
				memmove(v[++k], v[i], GS_ID_LEN);
		n = k + 1;
	}
	*ret = v;
	return (long)n;
}

int
main(int argc, char **argv)
{
	struct gs_chunker_params cp;
	struct gs_wkey *k;
	struct gs_repo *r;
	char(*names)[GS_NAME_HEX] = NULL;
	size_t npacks;

	if (argc < 8 || sodium_init() < 0) {
		fprintf(stderr, "usage: chunkprobe WRITE_KEY TENANT MIN AVG MAX BASE FILE...\n");
		return 2;
	}
	if ((k = gs_wkey_load(argv[1], argv[2])) == NULL ||
	    gs_chunker_params_init(&cp, k->id_key, strtoul(argv[3], NULL, 10),
	                           strtoul(argv[4], NULL, 10), strtoul(argv[5], NULL, 10)) != 0 ||
	    (r = gs_repo_open(argv[6])) == NULL ||
	    gs_repo_list(r, argv[2], GS_OBJ_PACK, &names, &npacks) != 0)
		return 2;
	for (int a = 7; a < argc; a++) {
		uint8_t(*ids)[GS_ID_LEN];
		uint8_t *seen;
		long n = file_ids(&cp, k->id_key, argv[a], &ids), held = 0;

		if (n < 0 || (seen = calloc((size_t)n + 1, 1)) == NULL)
			return 2;
		for (size_t p = 0; p < npacks; p++) {
			struct gs_pack_header h;

			if (gs_repo_read_pack_header(r, argv[2], names[p], k->index_key, NULL,
			                             &h) != 0)
				return 2;
			for (uint32_t c = 0; c < h.nchunks; c++) {
				uint8_t(*hit)[GS_ID_LEN] =
				    n ? bsearch(h.chunks[c].id, ids, (size_t)n, GS_ID_LEN, cmp_id)
				      : NULL;

				if (hit != NULL)
					seen[hit - ids] = 1;
			}
			gs_pack_header_clear(&h);
		}
		for (long i = 0; i < n; i++)
			held += seen[i];
		printf("%ld %ld\n", n, held);
		free(seen);
		free(ids);
	}
	free(names);
	gs_repo_free(r);
	gs_wkey_free(k);
	return 0;
}
