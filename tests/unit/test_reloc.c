/*
 * test_reloc.c -- relocation objects (format) and where a pin leads
 * through them (gs_relocmap_resolve): round trip, authentication, bounds,
 * chains, forged loops.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "tap.h"

static uint8_t key[GS_KEY_LEN];

static void
name(uint8_t out[GS_NAME_LEN], char c)
{
	memset(out, 0, GS_NAME_LEN);
	out[0] = (uint8_t)c;
}

static void
test_roundtrip(void)
{
	struct gs_reloc v[2], *got = NULL;
	struct gs_buf b = {0};
	uint8_t other[GS_KEY_LEN];
	uint32_t n = 99;

	name(v[0].from, 'a'), name(v[0].to, 'b');
	name(v[1].from, 'c'), name(v[1].to, 'd');
	gs_reloc_encode(key, v, 2, &b);
	CHECK(!b.oom && memcmp(b.p, GS_RELOC_MAGIC, 4) == 0);
	CHECK(gs_reloc_parse(key, "t", b.p, b.len, &got, &n) == 0 && n == 2);
	CHECK(got != NULL && memcmp(got, v, sizeof(v)) == 0);
	free(got);
	/* another key, a flipped byte, a cut object, a wrong magic: refused */
	randombytes_buf(other, sizeof(other));
	CHECK(gs_reloc_parse(other, "t", b.p, b.len, &got, &n) == -1);
	b.p[b.len / 2] ^= 1;
	CHECK(gs_reloc_parse(key, "t", b.p, b.len, &got, &n) == -1);
	b.p[b.len / 2] ^= 1;
	CHECK(gs_reloc_parse(key, "t", b.p, b.len - 1, &got, &n) == -1);
	b.p[0] = 'X';
	CHECK(gs_reloc_parse(key, "t", b.p, b.len, &got, &n) == -1);
	gs_buf_clear(&b);

	/* an empty object parses to nothing */
	gs_reloc_encode(key, NULL, 0, &b);
	CHECK(gs_reloc_parse(key, "t", b.p, b.len, &got, &n) == 0 && n == 0 && got == NULL);
	gs_buf_clear(&b);

	/* a pack moved onto itself is malformed */
	name(v[0].to, 'a');
	gs_reloc_encode(key, v, 1, &b);
	CHECK(gs_reloc_parse(key, "t", b.p, b.len, &got, &n) == -1);
	gs_buf_clear(&b);
}

static void
test_resolve(void)
{
	struct gs_reloc v[5];
	struct gs_relocmap m = {.v = v, .n = 5};
	uint8_t x[GS_NAME_LEN];

	/* a -> b -> c; d -> e -> d (forged loop) */
	name(v[0].from, 'a'), name(v[0].to, 'b');
	name(v[1].from, 'b'), name(v[1].to, 'c');
	name(v[2].from, 'd'), name(v[2].to, 'e');
	name(v[3].from, 'e'), name(v[3].to, 'd');
	name(v[4].from, 'f'), name(v[4].to, 'g');
	qsort(v, 5, sizeof(*v), gs_reloc_cmp);
	name(x, 'a');
	CHECK(gs_relocmap_resolve(&m, x)[0] == 'c');
	name(x, 'b');
	CHECK(gs_relocmap_resolve(&m, x)[0] == 'c');
	name(x, 'c');
	CHECK(gs_relocmap_resolve(&m, x) == x); /* not moved: itself */
	name(x, 'z');
	CHECK(gs_relocmap_resolve(&m, x) == x && gs_relocmap_next(&m, x) == NULL);
	name(x, 'd');
	CHECK(gs_relocmap_resolve(&m, x) != NULL); /* a loop ends */
	name(x, 'f');
	CHECK(gs_relocmap_next(&m, x)[0] == 'g');
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(key, sizeof(key));
	test_roundtrip();
	test_resolve();
	return tap_done();
}
