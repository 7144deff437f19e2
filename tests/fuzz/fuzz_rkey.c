/*
 * fuzz_rkey.c -- read key files (restore/read/rkey.c).  Argon2id is kept at
 * its minimum cost so the target stays fast: an input whose limits are in
 * the accepted range gets them lowered to the minimum before decoding (the
 * limits are associated data, so only files written at the minimum cost,
 * like the seeds, decrypt).  Inputs of at least 128 bytes are also used as
 * key material and a tenant name for an encode/decode round trip.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "geosnap/config.h"
#include "read/rkey.h"

#define PASS "fuzz passphrase"

/* The offset of opslimit in a read key file image, or 0 if it has none. */
static size_t
limits_at(const uint8_t *p, size_t n)
{
	size_t off;

	if (n < 10 || memcmp(p, GS_RKEY_MAGIC, 4) != 0)
		return 0;
	off = 10 + (size_t)(p[8] | (p[9] << 8));
	return off + 16 <= n ? off : 0;
}

static void
decode(const uint8_t *data, size_t size)
{
	uint8_t copy[GS_RKEY_FILE_MAX + 64];
	uint64_t ops, mem;
	size_t off;

	if (size > sizeof(copy))
		return; /* gs_rkey_load() reads at most GS_RKEY_FILE_MAX + 1 bytes */
	memcpy(copy, data, size);
	if ((off = limits_at(copy, size)) != 0) {
		ops = gs_get_le64(copy + off);
		mem = gs_get_le64(copy + off + 8);
		if (ops >= crypto_pwhash_OPSLIMIT_MIN && ops <= crypto_pwhash_OPSLIMIT_SENSITIVE &&
		    mem >= crypto_pwhash_MEMLIMIT_MIN && mem <= crypto_pwhash_MEMLIMIT_SENSITIVE) {
			gs_le64(copy + off, crypto_pwhash_OPSLIMIT_MIN);
			gs_le64(copy + off + 8, crypto_pwhash_MEMLIMIT_MIN);
		}
	}
	gs_rkey_free(gs_rkey_decode("fuzz", copy, size, NULL, PASS, strlen(PASS)));
	gs_rkey_free(gs_rkey_decode("fuzz", copy, size, "acme", PASS, strlen(PASS)));
}

/* Key material from the input: encode, decode, compare. */
static void
round_trip(const uint8_t *data, size_t size)
{
	uint8_t file[GS_RKEY_FILE_MAX];
	struct gs_rkey *k, *k2;
	size_t tl, n;

	if (size < 4 * GS_KEY_LEN || (k = gs_rkey_new()) == NULL)
		return;
	memcpy(k->w.id_key, data, GS_KEY_LEN);
	memcpy(k->w.index_key, data + GS_KEY_LEN, GS_KEY_LEN);
	memcpy(k->sk, data + 3 * GS_KEY_LEN, GS_KEY_LEN);
	if (data[0] & 1)
		memcpy(k->w.pk, data + 2 * GS_KEY_LEN, GS_KEY_LEN); /* likely not sk's */
	else
		crypto_scalarmult_base(k->w.pk, k->sk);
	tl = size - 4 * GS_KEY_LEN < GS_TENANT_MAX ? size - 4 * GS_KEY_LEN : GS_TENANT_MAX;
	memcpy(k->w.tenant, data + 4 * GS_KEY_LEN, tl);
	k->w.tenant[tl] = '\0';
	n = gs_rkey_encode(k, PASS, strlen(PASS), crypto_pwhash_OPSLIMIT_MIN,
	                   crypto_pwhash_MEMLIMIT_MIN, file, sizeof(file));
	if (n == 0)
		goto done;
	k2 = gs_rkey_decode("fuzz", file, n, NULL, PASS, strlen(PASS));
	/* A good key survives the round trip. */
	if (gs_valid_name(k->w.tenant) && !(data[0] & 1) &&
	    (k2 == NULL || strcmp(k->w.tenant, k2->w.tenant) != 0 ||
	     memcmp(k->w.id_key, k2->w.id_key, GS_KEY_LEN) != 0 ||
	     memcmp(k->w.index_key, k2->w.index_key, GS_KEY_LEN) != 0 ||
	     memcmp(k->w.pk, k2->w.pk, GS_KEY_LEN) != 0 || memcmp(k->sk, k2->sk, GS_KEY_LEN) != 0))
		__builtin_trap();
	gs_rkey_free(k2);
done:
	gs_rkey_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode(data, size);
	round_trip(data, size);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	uint8_t file[GS_RKEY_FILE_MAX];
	struct gs_rkey *k;
	size_t n;

	if (i > 1)
		return 1;
	if ((k = gs_rkey_new()) == NULL)
		return 1;
	strcpy(k->w.tenant, "acme");
	memcpy(k->w.id_key, fuzz_key, GS_KEY_LEN);
	memcpy(k->w.index_key, fuzz_key, GS_KEY_LEN);
	crypto_box_seed_keypair(k->w.pk, k->sk, fuzz_key);
	if (i == 0) {
		/* 0: a read key file at the minimum cost, which decodes. */
		n = gs_rkey_encode(k, PASS, strlen(PASS), crypto_pwhash_OPSLIMIT_MIN,
		                   crypto_pwhash_MEMLIMIT_MIN, file, sizeof(file));
		gs_buf_put(out, file, n);
	} else {
		/* 1: key material and tenant for the round trip (an even first
		 * byte: the public key is computed from the secret key). */
		k->w.id_key[0] = 0;
		gs_buf_put(out, k->w.id_key, GS_KEY_LEN);
		gs_buf_put(out, k->w.index_key, GS_KEY_LEN);
		gs_buf_put(out, k->w.pk, GS_KEY_LEN);
		gs_buf_put(out, k->sk, GS_KEY_LEN);
		gs_buf_put(out, "acme", 4);
	}
	gs_rkey_free(k);
	return 0;
}
