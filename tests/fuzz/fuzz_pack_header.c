/*
 * fuzz_pack_header.c -- pack trailers and headers.  The input is taken as
 * a header plaintext, sealed under the fixed key and framed as a pack whose
 * blob area is 4 KiB, then parsed; the raw input is parsed as a tail too.
 */
#include <string.h>

#include "fuzz.h"
#include "geosnap/format.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_pack_header h;
	struct gs_buf tail = {0};
	size_t need;

	if (size >= 8 && gs_pack_header_len("fuzz", data + size - 8, 4096 + size, &need) == 0 &&
	    need <= size &&
	    gs_pack_header_parse(fuzz_key, "fuzz", data, size, 4096 + size, &h) == 0)
		gs_pack_header_clear(&h);
	gs_meta_seal(fuzz_key, GS_PACK_MAGIC, &tail, data, size);
	gs_buf_u32(&tail, (uint32_t)tail.len);
	gs_buf_put(&tail, GS_PACK_END_MAGIC, 4);
	if (gs_pack_header_parse(fuzz_key, "fuzz", tail.p, tail.len, 4096 + tail.len, &h) == 0)
		gs_pack_header_clear(&h);
	gs_buf_clear(&tail);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	uint8_t sealed[GS_SEALED_KEY_LEN] = {0}, id[GS_ID_LEN] = {3};

	if (i > 0)
		return 1;
	gs_buf_u16(out, 1);
	gs_buf_put(out, sealed, sizeof(sealed));
	gs_buf_u32(out, 1);
	gs_buf_put(out, id, sizeof(id));
	gs_buf_u64(out, 8);
	gs_buf_u32(out, 100);
	gs_buf_u32(out, 80);
	gs_buf_u16(out, 0);
	gs_buf_u8(out, 0);
	gs_buf_u8(out, GS_ALG_XCHACHA);
	gs_buf_u8(out, GS_CT_DATA);
	return 0;
}
