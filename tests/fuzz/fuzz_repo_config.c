/*
 * fuzz_repo_config.c -- the repository config object ("config" at the top
 * of every copy, local or remote).
 */
#include <string.h>

#include "fuzz.h"
#include "geosnap/repo.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gs_repoconf_check("fuzz", data, size);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	uint8_t id[16] = {0x5a, 1, 2, 3};

	if (i > 0)
		return 1;
	/* What gs_repo_init() writes: "GSRP" u32 version, id[16]. */
	gs_buf_put(out, "GSRP", 4);
	gs_buf_u32(out, GS_FORMAT_VERSION);
	gs_buf_put(out, id, sizeof(id));
	return 0;
}
