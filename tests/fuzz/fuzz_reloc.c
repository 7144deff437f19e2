/*
 * fuzz_reloc.c -- relocation objects: raw objects, and plaintexts sealed
 * under the fixed key so the parser behind authentication is reached too;
 * whatever parses is then resolved through, so a forged chain (loops, long
 * chains) must end.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "geosnap/format.h"
#include "geosnap/repo.h"

static void
parse(const uint8_t *p, size_t n)
{
	struct gs_relocmap m = {0};
	uint32_t nv;

	if (gs_reloc_parse(fuzz_key, "fuzz", p, n, &m.v, &nv) != 0)
		return;
	m.n = nv;
	if (m.n > 1)
		qsort(m.v, m.n, sizeof(*m.v), gs_reloc_cmp);
	for (size_t i = 0; i < m.n; i++)
		(void)gs_relocmap_resolve(&m, m.v[i].from);
	gs_relocmap_clear(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_buf obj = {0};

	parse(data, size);
	gs_buf_put(&obj, GS_RELOC_MAGIC, 4);
	gs_buf_u32(&obj, GS_FORMAT_VERSION);
	gs_meta_seal(fuzz_key, GS_RELOC_MAGIC, &obj, data, size);
	parse(obj.p, obj.len);
	gs_buf_clear(&obj);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	/* a chain a -> b -> c and a loop d -> e -> d */
	struct gs_reloc v[4];

	memset(v, 0, sizeof(v));
	v[0].from[0] = 'a', v[0].to[0] = 'b';
	v[1].from[0] = 'b', v[1].to[0] = 'c';
	v[2].from[0] = 'd', v[2].to[0] = 'e';
	v[3].from[0] = 'e', v[3].to[0] = 'd';
	if (i == 1) {
		gs_reloc_encode(fuzz_key, v, 4, out);
		return 0;
	}
	if (i > 1)
		return 1;
	gs_buf_u32(out, 4);
	for (int j = 0; j < 4; j++) {
		gs_buf_put(out, v[j].from, GS_NAME_LEN);
		gs_buf_put(out, v[j].to, GS_NAME_LEN);
	}
	return 0;
}
