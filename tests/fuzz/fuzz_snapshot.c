/*
 * fuzz_snapshot.c -- snapshot objects (public part) and sealed parts.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "geosnap/format.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_snap_info s;
	struct gs_snap_sealed se;
	struct gs_buf obj = {0}, pub = {0};
	const uint8_t *sct;
	uint8_t ph[32];
	size_t slen;

	if (gs_snap_parse_public(fuzz_key, "fuzz", data, size, &s, &sct, &slen, ph) == 0)
		gs_snap_info_clear(&s);
	if (gs_snap_parse_sealed("fuzz", data, size, &se) == 0)
		gs_snap_sealed_clear(&se);
	/* The input as a public part of either version, sealed under the
	 * fixed key. */
	for (uint32_t v = 1; v <= GS_SNAP_VERSION; v++) {
		obj.len = pub.len = 0;
		gs_meta_seal_v(fuzz_key, GS_SNAP_MAGIC, v, &pub, data, size);
		gs_buf_put(&obj, GS_SNAP_MAGIC, 4);
		gs_buf_u32(&obj, v);
		gs_buf_u32(&obj, (uint32_t)pub.len);
		gs_buf_put(&obj, pub.p, pub.len);
		gs_buf_u32(&obj, 48);
		gs_buf_put(&obj, ph, sizeof(ph));
		gs_buf_put(&obj, ph, 16);
		if (gs_snap_parse_public(fuzz_key, "fuzz", obj.p, obj.len, &s, &sct, &slen, ph) ==
		    0)
			gs_snap_info_clear(&s);
	}
	gs_buf_clear(&obj);
	gs_buf_clear(&pub);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	uint8_t id[GS_ID_LEN] = {7};
	struct gs_pin pin = {.id = {7}, .pack = {9}};

	if (i == 0) { /* public part plaintext (version 2) */
		gs_buf_u64(out, 1);
		gs_buf_str16(out, "host");
		gs_buf_str16(out, "tenant");
		for (int j = 0; j < 7; j++)
			gs_buf_u64(out, (uint64_t)j);
		for (int j = 0; j < 3; j++)
			gs_buf_u32(out, 0);
		gs_buf_u64(out, 5);
		gs_buf_u64(out, 9);
		gs_buf_u32(out, 1);
		gs_pin_encode(out, &pin);
		return 0;
	}
	if (i == 2) { /* the whole object, as the agent writes it */
		uint8_t sk[32];
		uint8_t meta[1][GS_ID_LEN] = {{7}};
		struct gs_wkey k = {.tenant = "fuzz"};
		struct gs_snap_info info = {.time_ns = 1,
		                            .host = "host",
		                            .tenant = "fuzz",
		                            .files = 1,
		                            .nrefs = 1,
		                            .nrefchunks = 1,
		                            .refchunks = &pin};
		struct gs_snap_sealed se = {.manifest_len = 100, .nmeta = 1, .meta = meta};

		memcpy(k.index_key, fuzz_key, GS_KEY_LEN);
		crypto_box_seed_keypair(k.pk, sk, fuzz_key);
		return gs_snap_encode(&k, &info, &se, out) ? 1 : 0;
	}
	if (i == 1) { /* sealed part plaintext */
		gs_buf_put(out, "GSSR", 4);
		gs_buf_put(out, id, 32);
		gs_buf_u64(out, 100);
		gs_buf_u32(out, 1);
		gs_buf_put(out, id, sizeof(id));
		return 0;
	}
	return 1;
}
