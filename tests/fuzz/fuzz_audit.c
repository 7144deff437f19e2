/*
 * fuzz_audit.c -- what log verify reads from a copy or a remote: audit log
 * segments (the strict line scanner, with and without the chain it must
 * continue), minisign signature files and their trusted comments.  The
 * input is a segment, then "\n--sig--\n", then a .minisig; the segment is
 * also checked against the signature with the fuzz key, so mutations of a
 * valid pair reach the signature's arithmetic.
 */
#include <string.h>

#include <sodium.h>

#include "audit/audit_internal.h"
#include "fuzz.h"
#include "geosnap/audit.h"

#define SEP "\n--sig--\n"

/* The fuzz key as a minisign pair. */
static void
keys(struct gs_ms_sec *sec, struct gs_ms_pub *pub)
{
	uint8_t pk[32];

	memset(sec->keyid, 7, GS_MS_KEYID_LEN);
	crypto_sign_seed_keypair(pk, sec->sk, fuzz_key);
	gs_ms_pub_of(sec, pub);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memmem(data, size, SEP, strlen(SEP));
	size_t seglen = sep ? (size_t)(sep - data) : size;
	char trusted[GS_MS_TRUSTED_MAX], why[256];
	uint8_t h[GS_MS_HASH_LEN], head[32];
	struct gs_ms_sec sec;
	struct gs_ms_pub pub;
	struct al_head start = {.seq = 41};
	struct al_scan s;
	uint64_t first, n;

	if (al_scan((const char *)data, seglen, NULL, 1, &s) == 0)
		free(s.ends);
	if (al_scan((const char *)data, seglen, &start, 0, &s) == 0)
		free(s.ends);
	if (sep != NULL) {
		const char *sig = (const char *)sep + strlen(SEP);
		size_t siglen = size - seglen - strlen(SEP);

		keys(&sec, &pub);
		crypto_generichash(h, sizeof(h), data, seglen, NULL, 0);
		if (gs_ms_verify(&pub, h, sig, siglen, trusted, why, sizeof(why)) == 0 ||
		    gs_ms_sig_trusted(sig, siglen, trusted) == 0)
			(void)al_trusted_parse(trusted, &first, &n, head);
	}
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	struct gs_ms_sec sec;
	struct gs_ms_pub pub;
	uint8_t prev[32] = {0};
	char hex[65], line[512], *sig = NULL;
	struct gs_buf seg = {0};
	size_t siglen;
	int k;

	if (i > 1)
		return 1;
	for (k = 1; k <= 3; k++) {
		gs_hex(hex, prev, 32);
		snprintf(
		    line, sizeof(line),
		    "{\"v\":1,\"seq\":%d,\"prev\":\"%s\",\"time\":\"2026-12-07T01:00:0%dZ\","
		    "\"time_ns\":1796605200000000000,\"host\":\"h\",\"event\":\"test\",\"i\":%d}",
		    k, hex, k, k);
		crypto_hash_sha256(prev, (const uint8_t *)line, strlen(line));
		gs_buf_put(&seg, line, strlen(line));
		gs_buf_put(&seg, "\n", 1);
	}
	gs_buf_put(out, seg.p, seg.len);
	if (i == 1) {
		keys(&sec, &pub);
		if (al_sign(&sec, "h", seg.p, seg.len, 1, 3, prev, &sig, &siglen) == 0) {
			gs_buf_put(out, SEP, strlen(SEP));
			gs_buf_put(out, sig, siglen);
		}
		free(sig);
	}
	gs_buf_clear(&seg);
	return 0;
}
