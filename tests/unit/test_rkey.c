/*
 * test_rkey.c -- read keys: keygen, round trip, wrong passphrase, tampering,
 * limits, permissions, refusal to overwrite.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/keys.h"
#include "geosnap/util.h"
#include "read/rkey.h"
#include "tap.h"

static char dir[] = "/tmp/gs-test-rkey-XXXXXX";

static int
decodes(const uint8_t *buf, size_t len, const char *pass)
{
	struct gs_rkey *k = gs_rkey_decode("mem", buf, len, "acme", pass, strlen(pass));

	gs_rkey_free(k);
	return k != NULL;
}

int
main(void)
{
	char wpath[256], rpath[256], cmd[300];
	uint8_t *buf, copy[GS_RKEY_FILE_MAX + 1], chk[32];
	struct gs_rkey *k, *k2;
	struct gs_wkey *w;
	struct stat st;
	size_t len, n;
	size_t off[] = {0, 5, 9, 12, 15, 23, 34, 40, 55, 60, 100, 150, 200};
	size_t i;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	gs_set_quiet(1);
	setenv("GEOSNAP_PWHASH", "interactive", 1);
	snprintf(wpath, sizeof(wpath), "%s/acme.write", dir);
	snprintf(rpath, sizeof(rpath), "%s/acme.read", dir);

	CHECK(gs_keygen("acme", dir, "secret pass", 11) == 0);
	CHECK(stat(wpath, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(rpath, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* Never overwrite; a bad tenant name or cost setting writes nothing. */
	CHECK(gs_keygen("acme", dir, "other", 5) == 1);
	CHECK(strstr(gs_last_error(), "already exists") != NULL);
	CHECK(gs_keygen("../evil", dir, "x", 1) == 1);
	setenv("GEOSNAP_PWHASH", "bogus", 1);
	CHECK(gs_keygen("beta", dir, "x", 1) == 1);
	snprintf(cmd, sizeof(cmd), "%s/beta.write", dir);
	CHECK(access(cmd, F_OK) != 0);
	setenv("GEOSNAP_PWHASH", "interactive", 1);

	/* Round trip; the read key holds exactly the write key plus sk. */
	k = gs_rkey_load(rpath, "acme", "secret pass", 11);
	w = gs_wkey_load(wpath, "acme");
	CHECK(k != NULL && w != NULL);
	if (k != NULL && w != NULL) {
		CHECK(strcmp(k->w.tenant, "acme") == 0);
		CHECK(memcmp(k->w.id_key, w->id_key, 32) == 0);
		CHECK(memcmp(k->w.index_key, w->index_key, 32) == 0);
		CHECK(memcmp(k->w.pk, w->pk, 32) == 0);
		CHECK(crypto_scalarmult_base(chk, k->sk) == 0 && memcmp(chk, k->w.pk, 32) == 0);
		CHECK(sodium_is_zero(k->w.id_key, 32) == 0);
	}
	gs_wkey_free(w);

	/* Wrong passphrase, wrong tenant. */
	CHECK(gs_rkey_load(rpath, "acme", "secret pasS", 11) == NULL);
	CHECK(strstr(gs_last_error(), "wrong passphrase") != NULL);
	CHECK(gs_rkey_load(rpath, "beta", "secret pass", 11) == NULL);
	CHECK(strstr(gs_last_error(), "tenant acme") != NULL);

	/* Any flipped byte, truncation or extension is refused. */
	CHECK(gs_read_file(rpath, 4096, &buf, &len) == 0);
	CHECK(len == 4 + 4 + 2 + 4 + 8 + 8 + 4 + 16 + 4 + 24 + 144);
	CHECK(decodes(buf, len, "secret pass"));
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		memcpy(copy, buf, len);
		copy[off[i]] ^= 0x01;
		CHECK(!decodes(copy, len, "secret pass"));
	}
	for (n = 0; n < len; n += 37)
		CHECK(!decodes(buf, n, "secret pass"));
	memcpy(copy, buf, len);
	copy[len] = 0;
	CHECK(!decodes(copy, len + 1, "secret pass"));
	/* Limits beyond SENSITIVE are refused before any work is done. */
	memcpy(copy, buf, len);
	gs_le64(copy + 14, (uint64_t)crypto_pwhash_OPSLIMIT_SENSITIVE + 1);
	CHECK(!decodes(copy, len, "secret pass"));
	CHECK(strstr(gs_last_error(), "limits") != NULL);
	memcpy(copy, buf, len);
	gs_le64(copy + 22, (uint64_t)crypto_pwhash_MEMLIMIT_SENSITIVE * 2);
	CHECK(!decodes(copy, len, "secret pass"));

	/* Re-encoding with another passphrase round-trips. */
	if (k != NULL) {
		n = gs_rkey_encode(k, "new", 3, crypto_pwhash_OPSLIMIT_INTERACTIVE,
		                   crypto_pwhash_MEMLIMIT_INTERACTIVE, copy, sizeof(copy));
		CHECK(n == len);
		k2 = gs_rkey_decode("mem", copy, n, NULL, "new", 3);
		CHECK(k2 != NULL && memcmp(k2->sk, k->sk, 32) == 0);
		gs_rkey_free(k2);
		CHECK(gs_rkey_encode(k, "new", 3, 2, 1 << 26, copy, 10) == 0);
	}
	free(buf);
	gs_rkey_free(k);

	/* A key file readable by others is refused. */
	CHECK(chmod(rpath, 0640) == 0);
	CHECK(gs_rkey_load(rpath, "acme", "secret pass", 11) == NULL);
	CHECK(strstr(gs_last_error(), "group or others") != NULL);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
