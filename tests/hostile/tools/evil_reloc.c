/*
 * evil_reloc REPO WRITE_KEY
 *
 * A forged relocation object: every pack of the tenant "moved" into the
 * next one (by name, the last into the first), and a loop besides, all
 * sealed under the index key as garbage collection writes them.  Prints
 * "reloc NAME".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"

int
main(int argc, char **argv)
{
	struct evil e;
	char(*names)[GS_NAME_HEX] = NULL;
	struct gs_reloc *v;
	struct gs_buf b = {0};
	char out[GS_NAME_HEX];
	size_t n;

	if (argc != 3)
		evil_die("usage: evil_reloc REPO WRITE_KEY");
	evil_open(&e, argv[1], argv[2]);
	if (gs_repo_list(e.r, e.tenant, GS_OBJ_PACK, &names, &n) != 0 || n < 2)
		evil_die("cannot list two packs");
	if ((v = calloc(n, sizeof(*v))) == NULL)
		evil_die("out of memory");
	for (size_t i = 0; i < n; i++) {
		gs_unhex(v[i].from, names[i], GS_NAME_LEN);
		gs_unhex(v[i].to, names[(i + 1) % n], GS_NAME_LEN);
	}
	gs_reloc_encode(e.k->index_key, v, (uint32_t)n, &b);
	if (b.oom || gs_repo_put(e.r, e.tenant, GS_OBJ_RELOC, b.p, b.len, out) != 0)
		evil_die("cannot publish the relocation object");
	printf("reloc %s\n", out);
	gs_buf_clear(&b);
	free(v);
	free(names);
	evil_close(&e);
	return 0;
}
