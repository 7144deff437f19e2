/*
 * fuzz_index.c -- index segments: raw objects, and plaintexts sealed under
 * the fixed key so the parser behind authentication is reached too.
 */
#include <string.h>

#include "fuzz.h"
#include "geosnap/format.h"

static void
parse(const uint8_t *p, size_t n)
{
	struct gs_index idx;

	if (gs_index_parse(fuzz_key, "fuzz", p, n, &idx) == 0)
		gs_index_clear(&idx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_buf obj = {0};

	parse(data, size);
	gs_buf_put(&obj, GS_INDEX_MAGIC, 4);
	gs_buf_u32(&obj, GS_FORMAT_VERSION);
	gs_meta_seal(fuzz_key, GS_INDEX_MAGIC, &obj, data, size);
	parse(obj.p, obj.len);
	gs_buf_clear(&obj);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	struct gs_chunk_ref refs[2] = {{.offset = 8, .stored_len = 40, .raw_len = 10},
	                               {.offset = 48,
	                                .stored_len = 60,
	                                .raw_len = 30,
	                                .alg = GS_ALG_AESGCM,
	                                .flags = GS_CF_ZSTD}};
	struct gs_index_pack p = {.n = 2, .chunks = refs};

	if (i == 1) {
		/* The whole object, as the agent writes it. */
		struct gs_index idx = {.npacks = 1, .packs = &p};

		gs_index_encode(fuzz_key, &idx, out);
		return 0;
	}
	if (i > 1)
		return 1;
	/* The plaintext the target seals: npacks, name, n, refs. */
	gs_buf_u32(out, 1);
	gs_buf_put(out, p.name, GS_NAME_LEN);
	gs_buf_u32(out, p.n);
	for (int j = 0; j < 2; j++) {
		gs_buf_put(out, refs[j].id, GS_ID_LEN);
		gs_buf_u64(out, refs[j].offset);
		gs_buf_u32(out, refs[j].stored_len);
		gs_buf_u32(out, refs[j].raw_len);
		gs_buf_u16(out, refs[j].key_idx);
		gs_buf_u8(out, refs[j].flags);
		gs_buf_u8(out, refs[j].alg);
		gs_buf_u8(out, refs[j].type);
	}
	return 0;
}
