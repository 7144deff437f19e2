/*
 * fuzz_refs.c -- a snapshot's reference stream as check reads it: u64
 * nrefs, then the concatenated reference chunks.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "read/refs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t absent[GS_ID_LEN];
	uint64_t nrefs;
	uint8_t *s;
	size_t len;

	if (size < 8)
		return 0;
	nrefs = gs_get_le64(data);
	len = size - 8;
	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data + 8, len);
	if (gs_refs_parse("fuzz", "fuzz", s, len, nrefs) == 0) {
		/* Every entry is found again, and the entries are sorted. */
		for (size_t i = 0; i < len; i += GS_REF_LEN) {
			if (!gs_refs_has(s, len, s + i))
				__builtin_trap();
			if (i > 0 && memcmp(s + i - GS_REF_LEN, s + i, GS_ID_LEN) > 0)
				__builtin_trap();
		}
		/* An ID below the smallest one is absent. */
		if (len > 0 && s[0] > 0) {
			memset(absent, 0, sizeof(absent));
			if (gs_refs_has(s, len, absent))
				__builtin_trap();
		}
	}
	free(s);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	uint8_t ent[GS_REF_LEN];
	int n;

	if (i > 2)
		return 1;
	/* 0, 3 and 40 entries, in descending order so the sort has work. */
	n = i == 0 ? 0 : i == 1 ? 3 : 40;
	gs_buf_u64(out, (uint64_t)n);
	for (int j = n; j > 0; j--) {
		memset(ent, j, sizeof(ent));
		ent[GS_ID_LEN - 1] = (uint8_t)(j * 7);
		gs_buf_put(out, ent, sizeof(ent));
	}
	return 0;
}
