/*
 * fuzz_wkey.c -- write key files.  The input is decoded as it is, and as a
 * file body followed by its correct BLAKE2b-128 check, so that mutations
 * get past the checksum.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "geosnap/keys.h"

static void
decode(const uint8_t *p, size_t n)
{
	gs_wkey_free(gs_wkey_decode("fuzz", p, n, NULL));
	gs_wkey_free(gs_wkey_decode("fuzz", p, n, "acme"));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_buf b = {0};
	uint8_t check[16];

	decode(data, size);
	crypto_generichash(check, sizeof(check), data, size, NULL, 0);
	gs_buf_put(&b, data, size);
	gs_buf_put(&b, check, sizeof(check));
	decode(b.p, b.len);
	gs_buf_clear(&b);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	uint8_t file[GS_WKEY_FILE_MAX];
	struct gs_wkey k;
	size_t n;

	if (i > 1)
		return 1;
	memset(&k, 0, sizeof(k));
	strcpy(k.tenant, "acme");
	memcpy(k.id_key, fuzz_key, GS_KEY_LEN);
	memcpy(k.index_key, fuzz_key, GS_KEY_LEN);
	k.pk[0] = 9;
	if ((n = gs_wkey_encode(&k, file, sizeof(file))) == 0)
		return 1;
	/* 0: the whole file; 1: the body, which the target completes. */
	gs_buf_put(out, file, i == 0 ? n : n - 16);
	return 0;
}
