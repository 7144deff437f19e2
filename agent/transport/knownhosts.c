/*
 * knownhosts.c -- strict host-key checking for the SFTP transport.
 *
 * The server's host key is checked right after the key exchange, before
 * the user name or any key is sent: against an OpenSSH known_hosts file
 * (plain and hashed "|1|salt|hash" entries, through libssh2's knownhost
 * API) and/or a pinned "SHA256:<base64>" fingerprint.  Anything else --
 * an unknown host, a changed key, a revoked key -- is a refusal that
 * prints the fingerprint seen and the one expected, so an operator can
 * compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on
 * the server.
 *
 * Host names are matched as OpenSSH writes them: "host" for port 22,
 * "[host]:port" otherwise (libssh2's checkp would also accept a plain
 * "host" entry for another port; we do not).  Wildcard host patterns are
 * not supported (such lines never match).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/util.h"
#include "transport/transport_internal.h"

/* A known_hosts file larger than this is not a known_hosts file. */
#define KH_MAX_SIZE (16 * 1024 * 1024)

struct revoked {
	uint8_t *blob;
	size_t len;
	unsigned line;
};

struct gs_tp_kh {
	LIBSSH2_KNOWNHOSTS *h;
	char *path;
	char *text; /* the file, for line numbers in messages */
	struct revoked *rev;
	size_t nrev;
	unsigned skipped; /* lines libssh2 could not parse */
};

/* The host key types we check, best first; RSA is last (libssh2 1.10
 * only has its SHA-1 "ssh-rsa" signatures, which OpenSSH 8.8 and later no
 * longer offer; they have an ed25519 host key, and usually ECDSA too). */
static const struct keytype {
	int hostkey_type; /* LIBSSH2_HOSTKEY_TYPE_* */
	int kh_type;      /* LIBSSH2_KNOWNHOST_KEY_* */
	const char *name; /* as in known_hosts */
	const char *algs; /* host key algorithms for it, best first */
} keytypes[] = {
    {LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519", "ssh-ed25519"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256",
     "ecdsa-sha2-nistp256"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384",
     "ecdsa-sha2-nistp384"},
    {LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521",
     "ecdsa-sha2-nistp521"},
    {LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA, "ssh-rsa",
     "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
};
#define NKEYTYPES GS_NELEM(keytypes)

static const struct keytype *
by_hostkey_type(int t)
{
	size_t i;

	for (i = 0; i < NKEYTYPES; i++)
		if (keytypes[i].hostkey_type == t)
			return &keytypes[i];
	return NULL;
}

static const char *
kh_type_name(int typemask)
{
	size_t i;

	for (i = 0; i < NKEYTYPES; i++)
		if (keytypes[i].kh_type == (typemask & LIBSSH2_KNOWNHOST_KEY_MASK))
			return keytypes[i].name;
	return "key";
}

/* gs_tp_fingerprint(blob, len, out): "SHA256:<base64 without padding>" of
 * a public key blob, as ssh-keygen -l prints it. */
void
gs_tp_fingerprint(const uint8_t *blob, size_t len, char out[GS_TP_FPR_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, blob, len);
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, GS_TP_FPR_LEN - 7, h, sizeof(h),
	                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

/* b64_fingerprint(b64, out): the fingerprint of a base64 key blob as
 * known_hosts stores it; "SHA256:?" when it does not decode. */
static void
b64_fingerprint(const char *b64, char out[GS_TP_FPR_LEN])
{
	size_t n = strlen(b64), len;
	uint8_t *blob;

	snprintf(out, GS_TP_FPR_LEN, "SHA256:?");
	if ((blob = malloc(n / 4 * 3 + 3)) == NULL)
		return;
	if (sodium_base642bin(blob, n / 4 * 3 + 3, b64, n, " \t\r\n", &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) == 0)
		gs_tp_fingerprint(blob, len, out);
	free(blob);
}

/* line_of(kh, b64): the number of the first line mentioning the key b64,
 * 0 when not found. */
static unsigned
line_of(const struct gs_tp_kh *kh, const char *b64)
{
	const char *p = kh->text, *hit;
	unsigned line = 1;

	if (b64 == NULL || *b64 == '\0' || (hit = strstr(kh->text, b64)) == NULL)
		return 0;
	for (; p < hit; p++)
		if (*p == '\n')
			line++;
	return line;
}

/* read_text(path, ret, err, errlen): the whole file, NUL-terminated. */
static int
read_text(const char *path, char **ret, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "cannot read known_hosts %s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(KH_MAX_SIZE + 1)) == NULL) {
		snprintf(err, errlen, "out of memory reading %s", path);
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, KH_MAX_SIZE + 1, f);
	if (ferror(f) || n > KH_MAX_SIZE) {
		snprintf(err, errlen, "cannot read known_hosts %s: %s", path,
		         ferror(f) ? strerror(errno) : "larger than 16 MiB");
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	*ret = buf;
	return 0;
}

/* add_revoked(kh, line, lineno): "@revoked hosts keytype base64 ..." */
static int
add_revoked(struct gs_tp_kh *kh, const char *line, unsigned lineno)
{
	char *copy, *save = NULL, *tok, *b64 = NULL;
	struct revoked *nr;
	size_t n, len;
	uint8_t *blob;
	int i;

	if ((copy = strdup(line)) == NULL)
		return -1;
	for (i = 0, tok = strtok_r(copy, " \t", &save); tok && i < 3;
	     i++, tok = strtok_r(NULL, " \t", &save))
		;
	b64 = tok; /* the fourth field */
	if (b64 == NULL) {
		free(copy);
		return 0;
	}
	n = strlen(b64);
	if ((blob = malloc(n / 4 * 3 + 3)) == NULL ||
	    (nr = realloc(kh->rev, (kh->nrev + 1) * sizeof(*nr))) == NULL) {
		free(blob);
		free(copy);
		return -1;
	}
	kh->rev = nr;
	if (sodium_base642bin(blob, n / 4 * 3 + 3, b64, n, NULL, &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(blob);
		free(copy);
		kh->skipped++;
		return 0;
	}
	kh->rev[kh->nrev].blob = blob;
	kh->rev[kh->nrev].len = len;
	kh->rev[kh->nrev].line = lineno;
	kh->nrev++;
	free(copy);
	return 0;
}

/* fill(kh, s, err, errlen): load kh->text into a new libssh2 knownhost
 * collection of session s, collecting @revoked keys; 0 or -1 (err). */
static int
fill(struct gs_tp_kh *kh, LIBSSH2_SESSION *s, char *err, size_t errlen)
{
	char *line, *end, *p;
	unsigned lineno = 0;
	char *work;

	if ((kh->h = libssh2_knownhost_init(s)) == NULL) {
		snprintf(err, errlen, "libssh2_knownhost_init failed");
		return -1;
	}
	if ((work = strdup(kh->text)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (line = work; line != NULL && *line != '\0'; line = end) {
		lineno++;
		if ((end = strchr(line, '\n')) != NULL)
			*end++ = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#' || *p == '\r')
			continue;
		if (*p == '@') {
			/* markers: only @revoked matters to us; we trust no CA */
			if (strncmp(p, "@revoked", 8) == 0 && (p[8] == ' ' || p[8] == '\t')) {
				if (add_revoked(kh, p, lineno)) {
					snprintf(err, errlen, "out of memory");
					free(work);
					return -1;
				}
			}
			continue;
		}
		if (libssh2_knownhost_readline(kh->h, p, strlen(p),
		                               LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
			kh->skipped++;
	}
	free(work);
	return 0;
}

/* kh_new(path, err, errlen): an empty struct gs_tp_kh named path. */
static struct gs_tp_kh *
kh_new(const char *path, char *err, size_t errlen)
{
	struct gs_tp_kh *kh;

	if ((kh = calloc(1, sizeof(*kh))) == NULL || (kh->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(kh);
		return NULL;
	}
	return kh;
}

/* gs_tp_kh_load(s, path, err, errlen): NULL on error (reason in err). */
struct gs_tp_kh *
gs_tp_kh_load(LIBSSH2_SESSION *s, const char *path, char *err, size_t errlen)
{
	struct gs_tp_kh *kh;

	if ((kh = kh_new(path, err, errlen)) == NULL)
		return NULL;
	if (read_text(path, &kh->text, err, errlen) || fill(kh, s, err, errlen)) {
		gs_tp_kh_free(kh);
		return NULL;
	}
	return kh;
}

/* gs_tp_kh_parse(s, name, text, len, err, errlen): gs_tp_kh_load() from the
 * len bytes at text (borrowed), named name in messages. */
struct gs_tp_kh *
gs_tp_kh_parse(LIBSSH2_SESSION *s, const char *name, const char *text, size_t len, char *err,
               size_t errlen)
{
	struct gs_tp_kh *kh;

	if ((kh = kh_new(name, err, errlen)) == NULL)
		return NULL;
	if (len > KH_MAX_SIZE) {
		snprintf(err, errlen, "cannot read known_hosts %s: larger than 16 MiB", name);
		goto err;
	}
	if ((kh->text = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory reading %s", name);
		goto err;
	}
	memcpy(kh->text, text, len);
	kh->text[len] = '\0';
	if (fill(kh, s, err, errlen))
		goto err;
	return kh;
err:
	gs_tp_kh_free(kh);
	return NULL;
}

/* gs_tp_kh_free(kh): free a parsed known_hosts list; NULL is ignored. */
void
gs_tp_kh_free(struct gs_tp_kh *kh)
{
	size_t i;

	if (kh == NULL)
		return;
	if (kh->h != NULL)
		libssh2_knownhost_free(kh->h);
	for (i = 0; i < kh->nrev; i++)
		free(kh->rev[i].blob);
	free(kh->rev);
	free(kh->text);
	free(kh->path);
	free(kh);
}

/* probe(kh, hostname, kt, ret): does known_hosts hold a key of type kt for
 * hostname?  A dummy key that cannot match makes checkp say MISMATCH
 * exactly when an entry of that type exists (it compares types first);
 * *ret then points at that entry. */
static int
probe(struct gs_tp_kh *kh, const char *hostname, const struct keytype *kt,
      struct libssh2_knownhost **ret)
{
	int rc = libssh2_knownhost_checkp(
	    kh->h, hostname, -1, "AAAA", 4,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_BASE64 | kt->kh_type, ret);

	return rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
}

/* gs_tp_kh_prefer(kh, s, hostname): before the handshake, ask for the host
 * key types known_hosts has for hostname first (as OpenSSH does), so that
 * a server with several host keys shows one we can check. */
void
gs_tp_kh_prefer(struct gs_tp_kh *kh, LIBSSH2_SESSION *s, const char *hostname)
{
	char pref[256];
	int known[NKEYTYPES];
	size_t i, n = 0;
	struct libssh2_knownhost *e;
	int pass;

	for (i = 0; i < NKEYTYPES; i++)
		known[i] = kh != NULL && probe(kh, hostname, &keytypes[i], &e);
	pref[0] = '\0';
	/* first the types known_hosts has for this host, then the others */
	for (pass = 1; pass >= 0; pass--) {
		for (i = 0; i < NKEYTYPES; i++) {
			if (known[i] != pass || n >= sizeof(pref) - 1)
				continue;
			n += (size_t)snprintf(pref + n, sizeof(pref) - n, "%s%s", n ? "," : "",
			                      keytypes[i].algs);
		}
	}
	/* failure leaves libssh2's default order, which only costs a clearer
	 * error message */
	(void)gs_tp_ssh_method_pref(s, LIBSSH2_METHOD_HOSTKEY, pref);
}

/* known_for(kh, hostname, skip, out, outlen): "TYPE SHA256:... (line N)"
 * for each key type known_hosts has for hostname, except skip. */
static void
known_for(struct gs_tp_kh *kh, const char *hostname, const struct keytype *skip, char *out,
          size_t outlen)
{
	struct libssh2_knownhost *e;
	char fpr[GS_TP_FPR_LEN];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < NKEYTYPES && n < outlen; i++) {
		if (&keytypes[i] == skip || !probe(kh, hostname, &keytypes[i], &e))
			continue;
		b64_fingerprint(e->key, fpr);
		n += (size_t)snprintf(out + n, outlen - n, "%s%s %s (line %u)", n ? ", " : "",
		                      keytypes[i].name, fpr, line_of(kh, e->key));
	}
}

/*
 * gs_tp_hostkey_verify(s, kh, pin, hostname, err, errlen): after the
 * handshake and before any authentication, check the server's host key
 * against kh (when not NULL) and the pinned fingerprint pin (when not
 * NULL).  hostname is "host" for port 22, else "[host]:port".  0 when
 * accepted; -1 when refused, err saying why with the fingerprint seen and
 * the one(s) expected.
 */
int
gs_tp_hostkey_verify(LIBSSH2_SESSION *s, struct gs_tp_kh *kh, const char *pin, const char *hostname,
                     char *err, size_t errlen)
{
	char seen[GS_TP_FPR_LEN];
	const char *key, *hash;
	size_t klen;
	int type;

	if ((key = libssh2_session_hostkey(s, &klen, &type)) == NULL) {
		snprintf(err, errlen, "%s: the server sent no host key", hostname);
		return -1;
	}
	/* libssh2 computed the SHA-256 of the key blob during the key
	 * exchange; base64 it as ssh-keygen -l does */
	if ((hash = libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256)) != NULL) {
		memcpy(seen, "SHA256:", 7);
		sodium_bin2base64(seen + 7, sizeof(seen) - 7, (const unsigned char *)hash, 32,
		                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	} else {
		gs_tp_fingerprint((const uint8_t *)key, klen, seen);
	}
	return gs_tp_kh_check(kh, pin, hostname, type, key, klen, seen, err, errlen);
}

/* gs_tp_kh_check(kh, pin, hostname, type, key, klen, seen, err, errlen):
 * the check of gs_tp_hostkey_verify() on a host key blob key[0..klen) of
 * LIBSSH2_HOSTKEY_TYPE_* type whose fingerprint is seen; same results. */
int
gs_tp_kh_check(struct gs_tp_kh *kh, const char *pin, const char *hostname, int type,
               const char *key, size_t klen, const char *seen, char *err, size_t errlen)
{
	const struct keytype *kt;
	struct libssh2_knownhost *e = NULL;
	char want[GS_TP_FPR_LEN], others[400];
	size_t i;
	int rc;

	if ((kt = by_hostkey_type(type)) == NULL) {
		snprintf(err, errlen,
		         "%s: the server's host key (%s) is of a type we cannot check; "
		         "refusing to connect",
		         hostname, seen);
		return -1;
	}
	if (kh != NULL) {
		for (i = 0; i < kh->nrev; i++) {
			if (kh->rev[i].len == klen && memcmp(kh->rev[i].blob, key, klen) == 0) {
				snprintf(err, errlen,
				         "%s: the server's host key %s %s is marked @revoked in "
				         "%s line %u; refusing to connect",
				         hostname, kt->name, seen, kh->path, kh->rev[i].line);
				return -1;
			}
		}
		rc = libssh2_knownhost_checkp(
		    kh->h, hostname, -1, key, klen,
		    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kt->kh_type, &e);
		switch (rc) {
		case LIBSSH2_KNOWNHOST_CHECK_MATCH:
			break;
		case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
			b64_fingerprint(e->key, want);
			snprintf(err, errlen,
			         "HOST KEY CHANGED for %s: the server presented %s %s, but "
			         "known_hosts %s (line %u) expects %s %s; refusing to connect "
			         "(an attack, or a reinstalled server: check with its "
			         "administrator before you edit %s)",
			         hostname, kt->name, seen, kh->path, line_of(kh, e->key),
			         kh_type_name(e->typemask), want, kh->path);
			return -1;
		case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
			known_for(kh, hostname, kt, others, sizeof(others));
			snprintf(err, errlen,
			         "host key for %s is not in known_hosts %s: the server presented "
			         "%s %s, expected %s%s; refusing to connect (check the "
			         "fingerprint with the server's administrator, then add the key, "
			         "e.g. from ssh-keyscan)%s",
			         hostname, kh->path, kt->name, seen,
			         others[0] ? "one of " : "no key (no entry for this host)", others,
			         kh->skipped ? " [some lines of the file were not understood and "
			                       "ignored]"
			                     : "");
			return -1;
		default:
			snprintf(err, errlen, "%s: checking the host key against %s failed",
			         hostname, kh->path);
			return -1;
		}
	}
	if (pin != NULL && strcmp(pin, seen) != 0) {
		snprintf(err, errlen,
		         "host key of %s does not match the pinned fingerprint: the server "
		         "presented %s %s, expected %s; refusing to connect",
		         hostname, kt->name, seen, pin);
		return -1;
	}
	return 0;
}
