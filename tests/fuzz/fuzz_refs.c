/*
 * fuzz_refs.c -- a snapshot's reference stream as restore and check decode
 * it: u8 version selector (odd: 2, even: 1), u64 nrefs, then the
 * concatenated reference chunks.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "read/refs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t absent[GS_ID_LEN];
	struct gs_pin *pins = NULL;
	uint32_t version;
	uint64_t nrefs;
	size_t n;

	if (size < 9)
		return 0;
	version = (data[0] & 1) ? 2 : 1;
	nrefs = gs_get_le64(data + 1);
	if (gs_refs_parse("fuzz", "fuzz", data + 9, size - 9, version, nrefs, &pins, &n) == 0) {
		/* Every entry is found again, and the entries are sorted. */
		for (size_t i = 0; i < n; i++) {
			if (gs_refs_find(pins, n, pins[i].id) == NULL)
				__builtin_trap();
			if (i > 0 && memcmp(pins[i - 1].id, pins[i].id, GS_ID_LEN) > 0)
				__builtin_trap();
		}
		/* An ID below the smallest one is absent. */
		if (n > 0 && pins[0].id[0] > 0) {
			memset(absent, 0, sizeof(absent));
			if (gs_refs_find(pins, n, absent) != NULL)
				__builtin_trap();
		}
	}
	free(pins);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	struct gs_pin pin;
	int n;

	if (i > 3)
		return 1;
	/* 0, 3 and 40 entries, in descending order so the sort has work;
	 * version 2 pins, and one version 1 stream. */
	n = i == 0 ? 0 : i == 1 ? 3 : 40;
	gs_buf_u8(out, i == 3 ? 0 : 1);
	gs_buf_u64(out, (uint64_t)n);
	for (int j = n; j > 0; j--) {
		memset(pin.id, j, sizeof(pin.id));
		pin.id[GS_ID_LEN - 1] = (uint8_t)(j * 7);
		memset(pin.pack, 0x40 + j, sizeof(pin.pack));
		if (i == 3)
			gs_buf_put(out, pin.id, GS_ID_LEN);
		else
			gs_pin_encode(out, &pin);
	}
	return 0;
}
