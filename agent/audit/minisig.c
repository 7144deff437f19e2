/*
 * minisig.c -- minisign's key and signature formats over libsodium
 * (formats in geosnap/minisig.h).  No primitive of our own: Ed25519 is
 * crypto_sign, BLAKE2b is crypto_generichash, base64 is sodium's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/keys.h"
#include "geosnap/minisig.h"
#include "geosnap/util.h"

#define UNTRUSTED "untrusted comment: "
#define TRUSTED "trusted comment: "
#define SEC_LEN (2 + 2 + 2 + 32 + 8 + 8 + GS_MS_KEYID_LEN + 64 + 32)
#define PUB_LEN (2 + GS_MS_KEYID_LEN + 32)
#define SIG_LEN (2 + GS_MS_KEYID_LEN + 64)
#define KEYFILE_MAX 1024

/* gs_ms_keyid_hex(keyid, out): the key id as minisign prints it. */
void
gs_ms_keyid_hex(const uint8_t keyid[GS_MS_KEYID_LEN], char out[17])
{
	snprintf(out, 17, "%016llX", (unsigned long long)gs_get_le64(keyid));
}

/* b64(bin, len): a malloc'd base64 (original variant) string, or NULL. */
static char *
b64(const uint8_t *bin, size_t len)
{
	size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(cap);

	if (s != NULL)
		sodium_bin2base64(s, cap, bin, len, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

/* unb64(line, len, out, want): decode exactly want bytes; 0 or -1. */
static int
unb64(const char *line, size_t len, uint8_t *out, size_t want)
{
	size_t got = 0;

	if (sodium_base642bin(out, want, line, len, NULL, &got, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return got == want ? 0 : -1;
}

/*
 * lines(buf, len, v, n): split buf into at most n lines (v[i] points into
 * buf, '\n' replaced by NUL, a trailing '\r' dropped).  The count, or -1
 * when buf has more lines or a NUL byte.
 */
static int
lines(char *buf, size_t len, char **v, int n)
{
	int k = 0;
	size_t i, start = 0;

	if (memchr(buf, 0, len) != NULL)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if (k == n)
			return -1;
		v[k++] = buf + start;
		if (i < len)
			buf[i] = 0;
		if (i > start && buf[i - 1] == '\r')
			buf[i - 1] = 0;
		start = i + 1;
	}
	return k;
}

/* read_key(path, fd, line2, ret, want): the base64 second line of a key
 * file, decoded.  0 or -1 (warned). */
static int
read_key(const char *path, int fd, uint8_t *ret, size_t want)
{
	char buf[KEYFILE_MAX + 1], *v[3];
	ssize_t n;
	int k, rc = -1;

	n = read(fd, buf, KEYFILE_MAX + 1);
	if (n < 0) {
		gs_warnp("key file %s", path);
		return -1;
	}
	if (n > KEYFILE_MAX) {
		gs_warn("key file %s: larger than a minisign key (%d bytes)", path, KEYFILE_MAX);
		return -1;
	}
	k = lines(buf, (size_t)n, v, 3);
	if (k < 2 || strncmp(v[0], UNTRUSTED, strlen(UNTRUSTED)) != 0 ||
	    unb64(v[1], strlen(v[1]), ret, want) != 0)
		gs_warn("key file %s: not a minisign key", path);
	else
		rc = 0;
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/*
 * gs_ms_sec_load(path): read a secret key file, refusing one that is
 * group/other-accessible, password-protected or damaged.  The key in
 * locked memory, or NULL (warned, naming path).
 */
struct gs_ms_sec *
gs_ms_sec_load(const char *path)
{
	uint8_t *raw, chk[32];
	struct gs_ms_sec *k;
	const uint8_t *ks;
	int fd;

	if ((fd = gs_keyfile_open(path)) < 0)
		return NULL;
	k = sodium_malloc(sizeof(*k));
	raw = sodium_malloc(SEC_LEN);
	if (k == NULL || raw == NULL) {
		gs_warnp("sodium_malloc");
		goto err;
	}
	if (read_key(path, fd, raw, SEC_LEN))
		goto err;
	if (memcmp(raw, "Ed", 2) != 0 || memcmp(raw + 4, "B2", 2) != 0) {
		gs_warn("key file %s: not an Ed25519 minisign secret key", path);
		goto err;
	}
	if (memcmp(raw + 2, "\0\0", 2) != 0) {
		gs_warn("key file %s: the key is password-protected; the agent signs unattended: "
		        "make one with `geosnap-restore keygen --audit` or `minisign -G -W`",
		        path);
		goto err;
	}
	ks = raw + 2 + 2 + 2 + 32 + 8 + 8;
	{
		crypto_generichash_state hs;

		crypto_generichash_init(&hs, NULL, 0, 32);
		crypto_generichash_update(&hs, raw, 2);
		crypto_generichash_update(&hs, ks, GS_MS_KEYID_LEN + 64);
		crypto_generichash_final(&hs, chk, 32);
	}
	if (!gs_all_zero(ks + GS_MS_KEYID_LEN + 64, 32) &&
	    sodium_memcmp(chk, ks + GS_MS_KEYID_LEN + 64, 32) != 0) {
		gs_warn("key file %s: checksum mismatch (damaged key)", path);
		goto err;
	}
	memcpy(k->keyid, ks, GS_MS_KEYID_LEN);
	memcpy(k->sk, ks + GS_MS_KEYID_LEN, 64);
	sodium_free(raw);
	close(fd);
	return k;
err:
	sodium_free(raw);
	sodium_free(k);
	close(fd);
	return NULL;
}

/* gs_ms_sec_free(k): wipe and free (NULL accepted). */
void
gs_ms_sec_free(struct gs_ms_sec *k)
{
	sodium_free(k);
}

/* gs_ms_pub_load(path, ret): read a public key file.  0, or -1 (warned,
 * naming path). */
int
gs_ms_pub_load(const char *path, struct gs_ms_pub *ret)
{
	uint8_t raw[PUB_LEN];
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		gs_warnp("public key %s", path);
		return -1;
	}
	rc = read_key(path, fd, raw, PUB_LEN);
	close(fd);
	if (rc)
		return -1;
	if (memcmp(raw, "Ed", 2) != 0) {
		gs_warn("public key %s: not an Ed25519 minisign public key", path);
		return -1;
	}
	memcpy(ret->keyid, raw + 2, GS_MS_KEYID_LEN);
	memcpy(ret->pk, raw + 2 + GS_MS_KEYID_LEN, 32);
	return 0;
}

/* gs_ms_pub_of(sec, ret): the public half of a secret key. */
void
gs_ms_pub_of(const struct gs_ms_sec *sec, struct gs_ms_pub *ret)
{
	memcpy(ret->keyid, sec->keyid, GS_MS_KEYID_LEN);
	crypto_sign_ed25519_sk_to_pk(ret->pk, sec->sk);
}

/* write_new(path, text, mode): create path exclusively with text; fsync.
 * 0 or -1 (warned; nothing left). */
static int
write_new(const char *path, const char *text, unsigned mode)
{
	size_t len = strlen(text);
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)) < 0) {
		gs_warnp("%s", path);
		return -1;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd)) {
		gs_warnp("%s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * gs_ms_keygen(dir): write dir/audit.key (0600, unencrypted) and
 * dir/audit.pub (0644), refusing to overwrite either.  0, or -1 (warned,
 * nothing left behind).  *ret_keyid (17 bytes) gets the key id as minisign
 * prints it, when not NULL.
 */
int
gs_ms_keygen(const char *dir, char ret_keyid[17])
{
	uint8_t *raw = NULL, pub[PUB_LEN], *ks;
	char *skpath = NULL, *pkpath = NULL, *s64 = NULL, *p64 = NULL, *text = NULL, id[17];
	crypto_generichash_state hs;
	int rc = -1;

	skpath = gs_path_join(dir, "audit.key");
	pkpath = gs_path_join(dir, "audit.pub");
	if (skpath == NULL || pkpath == NULL)
		goto out;
	if (access(skpath, F_OK) == 0 || access(pkpath, F_OK) == 0) {
		gs_warn("%s: audit.key or audit.pub already exists; refusing to overwrite", dir);
		goto out;
	}
	if ((raw = sodium_malloc(SEC_LEN)) == NULL) {
		gs_warnp("sodium_malloc");
		goto out;
	}
	memset(raw, 0, SEC_LEN);
	memcpy(raw, "Ed", 2); /* kdf "\0\0": unencrypted, salt and limits 0 */
	memcpy(raw + 4, "B2", 2);
	ks = raw + 2 + 2 + 2 + 32 + 8 + 8;
	randombytes_buf(ks, GS_MS_KEYID_LEN);
	memcpy(pub, "Ed", 2);
	memcpy(pub + 2, ks, GS_MS_KEYID_LEN);
	crypto_sign_keypair(pub + 2 + GS_MS_KEYID_LEN, ks + GS_MS_KEYID_LEN);
	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, raw, 2);
	crypto_generichash_update(&hs, ks, GS_MS_KEYID_LEN + 64);
	crypto_generichash_final(&hs, ks + GS_MS_KEYID_LEN + 64, 32);
	gs_ms_keyid_hex(ks, id);
	if ((s64 = b64(raw, SEC_LEN)) == NULL || (p64 = b64(pub, PUB_LEN)) == NULL)
		goto out;
	if ((text = gs_asprintf(UNTRUSTED "minisign secret key (unencrypted)\n%s\n", s64)) == NULL)
		goto out;
	if (write_new(skpath, text, 0600))
		goto out;
	free(text);
	if ((text = gs_asprintf(UNTRUSTED "minisign public key %s\n%s\n", id, p64)) == NULL ||
	    write_new(pkpath, text, 0644)) {
		unlink(skpath);
		goto out;
	}
	if (gs_fsync_dir(dir))
		goto out;
	if (ret_keyid != NULL)
		memcpy(ret_keyid, id, 17);
	rc = 0;
out:
	if (s64 != NULL)
		sodium_memzero(s64, strlen(s64));
	free(s64);
	free(p64);
	if (text != NULL)
		sodium_memzero(text, strlen(text));
	free(text);
	sodium_free(raw);
	free(skpath);
	free(pkpath);
	return rc;
}

/*
 * gs_ms_sign(k, hash, untrusted, trusted, ret, ret_len): the text of a
 * .minisig file for a file whose BLAKE2b-512 is hash.  trusted is one
 * printable line (< GS_MS_TRUSTED_MAX bytes).  *ret is malloc'd.  0 or -1.
 */
int
gs_ms_sign(const struct gs_ms_sec *k, const uint8_t hash[GS_MS_HASH_LEN], const char *untrusted,
           const char *trusted, char **ret, size_t *ret_len)
{
	uint8_t sig[SIG_LEN], global[64], *m;
	size_t tlen = strlen(trusted);
	char *s64 = NULL, *g64 = NULL;
	int rc = -1;

	*ret = NULL;
	if (tlen >= GS_MS_TRUSTED_MAX || strpbrk(trusted, "\r\n") != NULL)
		return -1;
	memcpy(sig, "ED", 2);
	memcpy(sig + 2, k->keyid, GS_MS_KEYID_LEN);
	crypto_sign_detached(sig + 2 + GS_MS_KEYID_LEN, NULL, hash, GS_MS_HASH_LEN, k->sk);
	if ((m = malloc(64 + tlen)) == NULL)
		return -1;
	memcpy(m, sig + 2 + GS_MS_KEYID_LEN, 64);
	memcpy(m + 64, trusted, tlen);
	crypto_sign_detached(global, NULL, m, 64 + tlen, k->sk);
	free(m);
	if ((s64 = b64(sig, SIG_LEN)) == NULL || (g64 = b64(global, 64)) == NULL)
		goto out;
	*ret = gs_asprintf(UNTRUSTED "%s\n%s\n" TRUSTED "%s\n%s\n", untrusted, s64, trusted, g64);
	if (*ret != NULL) {
		*ret_len = strlen(*ret);
		rc = 0;
	}
out:
	free(s64);
	free(g64);
	return rc;
}

/* parse_sig(sig, len, raw, global, trusted): split a .minisig; 0 or -1. */
static int
parse_sig(const char *sig, size_t len, uint8_t raw[SIG_LEN], uint8_t global[64],
          char trusted[GS_MS_TRUSTED_MAX])
{
	char buf[GS_MS_SIGFILE_MAX + 1], *v[5];
	const unsigned char *p;
	size_t tl = strlen(TRUSTED);
	int n;

	if (len > GS_MS_SIGFILE_MAX)
		return -1;
	memcpy(buf, sig, len);
	buf[len] = 0;
	n = lines(buf, len, v, 5);
	if (n != 4 || strncmp(v[0], UNTRUSTED, strlen(UNTRUSTED)) != 0 ||
	    strncmp(v[2], TRUSTED, tl) != 0 || strlen(v[2] + tl) >= GS_MS_TRUSTED_MAX)
		return -1;
	for (p = (const unsigned char *)v[2] + tl; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return -1;
	if (unb64(v[1], strlen(v[1]), raw, SIG_LEN) || unb64(v[3], strlen(v[3]), global, 64))
		return -1;
	if (memcmp(raw, "ED", 2) != 0)
		return -1;
	snprintf(trusted, GS_MS_TRUSTED_MAX, "%s", v[2] + tl);
	return 0;
}

/* gs_ms_sig_trusted(sig, sig_len, ret_trusted): the trusted comment of a
 * .minisig without checking anything; 0 or -1 when malformed. */
int
gs_ms_sig_trusted(const char *sig, size_t sig_len, char ret_trusted[GS_MS_TRUSTED_MAX])
{
	uint8_t raw[SIG_LEN], global[64];

	return parse_sig(sig, sig_len, raw, global, ret_trusted);
}

/*
 * gs_ms_verify(pk, hash, sig, sig_len, ret_trusted, why, whylen): check the
 * .minisig text sig against a file whose BLAKE2b-512 is hash.  0, or -1
 * with a reason in why.
 */
int
gs_ms_verify(const struct gs_ms_pub *pk, const uint8_t hash[GS_MS_HASH_LEN], const char *sig,
             size_t sig_len, char ret_trusted[GS_MS_TRUSTED_MAX], char *why, size_t whylen)
{
	uint8_t raw[SIG_LEN], global[64], *m;
	char id[17];
	size_t tlen;
	int ok;

	if (parse_sig(sig, sig_len, raw, global, ret_trusted)) {
		snprintf(why, whylen, "malformed signature file");
		return -1;
	}
	if (memcmp(raw + 2, pk->keyid, GS_MS_KEYID_LEN) != 0) {
		gs_ms_keyid_hex(raw + 2, id);
		snprintf(why, whylen, "signed by another key (key id %s)", id);
		return -1;
	}
	if (crypto_sign_verify_detached(raw + 2 + GS_MS_KEYID_LEN, hash, GS_MS_HASH_LEN, pk->pk)) {
		snprintf(why, whylen, "signature does not match the file");
		return -1;
	}
	tlen = strlen(ret_trusted);
	if ((m = malloc(64 + tlen)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(m, raw + 2 + GS_MS_KEYID_LEN, 64);
	memcpy(m + 64, ret_trusted, tlen);
	ok = crypto_sign_verify_detached(global, m, 64 + tlen, pk->pk) == 0;
	free(m);
	if (!ok) {
		snprintf(why, whylen, "trusted comment was altered");
		return -1;
	}
	return 0;
}

/* gs_ms_hash_fd(fd, len, ret): BLAKE2b-512 of the first len bytes of fd.
 * 0, or -1 (errno set; a short file too). */
int
gs_ms_hash_fd(int fd, uint64_t len, uint8_t ret[GS_MS_HASH_LEN])
{
	crypto_generichash_state hs;
	uint8_t buf[65536];
	uint64_t off = 0;
	ssize_t n;

	crypto_generichash_init(&hs, NULL, 0, GS_MS_HASH_LEN);
	while (off < len) {
		size_t want = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);

		n = pread(fd, buf, want, (off_t)off);
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		crypto_generichash_update(&hs, buf, (size_t)n);
		off += (uint64_t)n;
	}
	crypto_generichash_final(&hs, ret, GS_MS_HASH_LEN);
	return 0;
}
