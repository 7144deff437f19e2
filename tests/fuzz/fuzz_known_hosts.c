/*
 * fuzz_known_hosts.c -- OpenSSH known_hosts files (agent/transport/
 * knownhosts.c on libssh2's knownhost parser): load the input, then, as a
 * connection would, ask for the preferred host key types and check a host
 * key: an ed25519 key for "example.org", an ECDSA key for
 * "[example.org]:2222".
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "transport/transport_internal.h"

/* The host key of the seeds: ssh-ed25519 with the key bytes 1..32. */
static const char ed25519_b64[] =
    "AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g";
static const char ecdsa_b64[] =
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJsumzHpOfJNSi2ljM22avFV2PziRik/"
    "5EHL/iJQ35SJF8Mqah+ujWefonotRlZRy7Rxb6BR4/1BgpTmKa3CMdM=";

static LIBSSH2_SESSION *sess;

const char *__lsan_default_suppressions(void);

/* A leak of Debian 12's libssh2 1.10, not ours: knownhost_check() never
 * frees the HMAC context (HMAC_CTX_new) of a hashed "|1|" entry (libssh2
 * PR #2245).  Only libssh2 uses OpenSSL here, and the fast unwinder stops
 * inside libcrypto, so the suppression names the library. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcrypto.so\n";
}

static void
check(struct gs_tp_kh *kh, const char *host, int type, const char *b64)
{
	uint8_t blob[256];
	char seen[GS_TP_FPR_LEN], err[1024];
	size_t len;

	if (sodium_base642bin(blob, sizeof(blob), b64, strlen(b64), NULL, &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		__builtin_trap();
	gs_tp_fingerprint(blob, len, seen);
	gs_tp_kh_check(kh, NULL, host, type, (const char *)blob, len, seen, err, sizeof(err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = {"example.org", "[example.org]:2222"};
	struct gs_tp_kh *kh;
	char err[1024];

	if (sess == NULL) {
		if (libssh2_init(0) != 0 || (sess = libssh2_session_init()) == NULL)
			abort();
	}
	if ((kh = gs_tp_kh_parse(sess, "fuzz", (const char *)data, size, err, sizeof(err))) == NULL)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		gs_tp_kh_prefer(kh, sess, hosts[i]);
		if (i == 0)
			check(kh, hosts[i], LIBSSH2_HOSTKEY_TYPE_ED25519, ed25519_b64);
		else
			check(kh, hosts[i], LIBSSH2_HOSTKEY_TYPE_ECDSA_256, ecdsa_b64);
	}
	gs_tp_kh_free(kh);
	return 0;
}

int
fuzz_seed(int i, struct gs_buf *out)
{
	static const char *const seeds[] = {
	    /* plain entries, one per form */
	    "# known_hosts\n"
	    "example.org ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n"
	    "[example.org]:2222,192.0.2.7 ecdsa-sha2-nistp256 "
	    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJsumzHpOfJNSi2ljM22avFV2PziRik/"
	    "5EHL/iJQ35SJF8Mqah+ujWefonotRlZRy7Rxb6BR4/1BgpTmKa3CMdM= a comment\n"
	    "\n"
	    "other.example ssh-rsa "
	    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQCmNPmM/2ClHkzlH0hVQ1DcVRqsRrC+yjmKpev0UV2WDUIr+0+"
	    "r6qUumYq7TlXCUJjhzjfeR5JKvJikD8EiO5qnYPc6yNk3gaQEfUBpdkcjyi29ndiPL+"
	    "i73zIDEwhV5lZROY2vK/6XyvULaqMcTJTZyiykDwnXBQyakCc8tqK6KQ==\r\n",
	    /* hashed names (ssh-keygen -H) of example.org and [example.org]:2222 */
	    "|1|jXDwJN7q6/syDf2AE7uBPIjP8Ek=|RTZAojsZ5v7ezwSflLvVxbIadMg= ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n"
	    "|1|Xm5OmYebekgdPggt3jTA3ETXtgI=|hLm2KOEQV3LW/Qm1bBcTi8sBZvY= ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
	    /* markers, a wildcard, a changed key for example.org */
	    "@revoked * ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n"
	    "@cert-authority *.example.org ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n"
	    "*.example.org ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n"
	    "\texample.org ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIP8CAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
	};

	if (i >= (int)(sizeof(seeds) / sizeof(seeds[0])))
		return 1;
	gs_buf_put(out, seeds[i], strlen(seeds[i]));
	return 0;
}
