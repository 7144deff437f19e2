/*
 * rkey.c -- read keys: generation, passphrase sealing, loading.
 *
 * The read key file layout is drawn in rkey.h.  The passphrase-derived key
 * and every plaintext copy of the key material live in sodium_malloc'd
 * memory and are wiped before they are released.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/config.h"
#include "geosnap/keys.h"
#include "geosnap/util.h"
#include "read/rkey.h"

#define SALT_LEN 16
#define NONCE_LEN 24

/* Bytes of the file before the tenant name and after it, up to ct. */
#define HEAD_LEN (4 + 4 + 2)
#define MID_LEN (8 + 8 + 4 + SALT_LEN + 4 + NONCE_LEN)

/*
 * gs_rkey_new(): a zeroed read key in guarded, locked memory, or NULL
 * (warned).
 */
struct gs_rkey *
gs_rkey_new(void)
{
	struct gs_rkey *k;

	if ((k = sodium_malloc(sizeof(*k))) == NULL) {
		gs_warnp("cannot allocate secure memory for a key");
		return NULL;
	}
	sodium_memzero(k, sizeof(*k));
	return k;
}

/* gs_rkey_free(k): wipe and free (NULL accepted). */
void
gs_rkey_free(struct gs_rkey *k)
{
	if (k == NULL)
		return;
	sodium_memzero(k, sizeof(*k));
	sodium_free(k);
}

/* What the derivations of this process cost (gs_rkey_kdf_stats). */
static double kdf_seconds;
static long kdf_peak_kib;

#define KDF_SHARED 4096 /* the page the child hands the derived key back in */

/*
 * Derive the file key from the passphrase into key (GS_KEY_LEN bytes of
 * secure memory).  0 or -1 (not warned: the caller names the file).
 *
 * Argon2id needs its memory cost (up to 1 GiB) for a moment; it runs in a
 * short-lived child process, so that this process never holds that memory
 * and its peak stays that of the work that follows.  The child writes the
 * key into a locked, shared, never-dumped page that is wiped after the copy.
 * Without fork or the shared page it runs here.
 */
static int
derive(uint8_t *key, const char *pass, size_t passlen, const uint8_t salt[SALT_LEN],
       uint64_t opslimit, uint64_t memlimit)
{
	int64_t t0 = gs_mono_ns();
	volatile uint8_t *done;
	struct rusage ru;
	uint8_t *shared;
	int status, rc = -1;
	pid_t pid = -1;

	shared = mmap(NULL, KDF_SHARED, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared != MAP_FAILED) {
		(void)mlock(shared, KDF_SHARED);
		(void)madvise(shared, KDF_SHARED, MADV_DONTDUMP);
		done = shared;
		*done = 0;
		pid = fork();
		if (pid == 0) {
			*done = crypto_pwhash(shared + 1, GS_KEY_LEN, pass, passlen, salt,
			                      (unsigned long long)opslimit, (size_t)memlimit,
			                      crypto_pwhash_ALG_ARGON2ID13) == 0
			            ? 1
			            : 2;
			_exit(0);
		}
	}
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (*done == 1) {
			memcpy(key, shared + 1, GS_KEY_LEN);
			rc = 0;
		} else if (*done != 2) {
			pid = -1; /* the child died (out of memory?): try here */
		}
		if (getrusage(RUSAGE_CHILDREN, &ru) == 0 && ru.ru_maxrss > kdf_peak_kib)
			kdf_peak_kib = ru.ru_maxrss;
	}
	if (shared != MAP_FAILED) {
		sodium_memzero(shared, KDF_SHARED);
		munmap(shared, KDF_SHARED);
	}
	if (pid <= 0)
		rc = crypto_pwhash(key, GS_KEY_LEN, pass, passlen, salt,
		                   (unsigned long long)opslimit, (size_t)memlimit,
		                   crypto_pwhash_ALG_ARGON2ID13) == 0
		         ? 0
		         : -1;
	kdf_seconds += (double)(gs_mono_ns() - t0) / 1e9;
	return rc;
}

/* gs_rkey_kdf_stats(ret_seconds, ret_peak_kib): see rkey.h. */
void
gs_rkey_kdf_stats(double *ret_seconds, long *ret_peak_kib)
{
	*ret_seconds = kdf_seconds;
	*ret_peak_kib = kdf_peak_kib;
}

/*
 * gs_rkey_encode(k, pass, passlen, opslimit, memlimit, out, cap): serialise k
 * as a read key file sealed with pass.  Returns the length, or 0 when cap is
 * too small or key derivation fails (warned).
 */
size_t
gs_rkey_encode(const struct gs_rkey *k, const char *pass, size_t passlen, uint64_t opslimit,
               uint64_t memlimit, uint8_t *out, size_t cap)
{
	size_t tlen = strlen(k->w.tenant);
	size_t len = HEAD_LEN + tlen + MID_LEN + GS_RKEY_CT_LEN;
	uint8_t salt[SALT_LEN], nonce[NONCE_LEN];
	uint8_t *sec, *key, *pt;
	size_t off = 0;

	if (tlen > GS_TENANT_MAX || len > cap)
		return 0;
	if ((sec = sodium_malloc(GS_KEY_LEN + GS_RKEY_PLAIN_LEN)) == NULL) {
		gs_warnp("cannot allocate secure memory for a key");
		return 0;
	}
	key = sec;
	pt = sec + GS_KEY_LEN;
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if (derive(key, pass, passlen, salt, opslimit, memlimit)) {
		gs_warn("key derivation failed (out of memory?)");
		goto err0;
	}
	memcpy(pt, k->w.id_key, GS_KEY_LEN);
	memcpy(pt + GS_KEY_LEN, k->w.index_key, GS_KEY_LEN);
	memcpy(pt + 2 * GS_KEY_LEN, k->w.pk, GS_KEY_LEN);
	memcpy(pt + 3 * GS_KEY_LEN, k->sk, GS_KEY_LEN);

	memcpy(out + off, GS_RKEY_MAGIC, 4);
	off += 4;
	gs_le32(out + off, GS_KEYFILE_VERSION);
	off += 4;
	gs_le16(out + off, (uint16_t)tlen);
	off += 2;
	memcpy(out + off, k->w.tenant, tlen);
	off += tlen;
	gs_le64(out + off, opslimit);
	off += 8;
	gs_le64(out + off, memlimit);
	off += 8;
	gs_le32(out + off, crypto_pwhash_ALG_ARGON2ID13);
	off += 4;
	memcpy(out + off, salt, SALT_LEN);
	off += SALT_LEN;
	gs_le32(out + off, GS_RKEY_CT_LEN);
	off += 4;
	memcpy(out + off, nonce, NONCE_LEN);
	off += NONCE_LEN;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + off, NULL, pt, GS_RKEY_PLAIN_LEN, out, off,
	                                           NULL, nonce, key);
	off += GS_RKEY_CT_LEN;
	sodium_free(sec);
	return off;

err0:
	sodium_free(sec);
	return 0;
}

/*
 * gs_rkey_decode(path, buf, len, tenant, pass, passlen): parse and open a
 * read key file image; path names it in messages.  tenant, when not NULL,
 * must match.  Returns the key, or NULL (warned; a wrong passphrase is
 * "PATH: wrong passphrase (or the key file is damaged)").
 */
struct gs_rkey *
gs_rkey_decode(const char *path, const uint8_t *buf, size_t len, const char *tenant,
               const char *pass, size_t passlen)
{
	struct gs_rd r;
	struct gs_rkey *k;
	uint8_t salt[SALT_LEN];
	uint8_t chk[GS_KEY_LEN];
	const uint8_t *nonce, *ct;
	uint8_t *sec, *key, *pt;
	uint64_t opslimit, memlimit;
	uint32_t version, alg, ct_len;
	char *name;
	size_t ad_len;

	gs_rd_init(&r, buf, len);
	if (len < 8 || memcmp(gs_rd_bytes(&r, 4), GS_RKEY_MAGIC, 4) != 0) {
		gs_warn("%s: not a geosnap read key file", path);
		return NULL;
	}
	if ((version = gs_rd_u32(&r)) != GS_KEYFILE_VERSION) {
		gs_warn("%s: unsupported read key file version %u", path, (unsigned)version);
		return NULL;
	}
	if ((name = gs_rd_str16(&r)) == NULL) {
		gs_warn("%s: read key file is truncated or malformed", path);
		return NULL;
	}
	opslimit = gs_rd_u64(&r);
	memlimit = gs_rd_u64(&r);
	alg = gs_rd_u32(&r);
	gs_rd_copy(&r, salt, SALT_LEN);
	ct_len = gs_rd_u32(&r);
	nonce = gs_rd_bytes(&r, NONCE_LEN);
	ad_len = r.off;
	ct = gs_rd_bytes(&r, GS_RKEY_CT_LEN);
	if (r.err || ct == NULL || nonce == NULL) {
		gs_warn("%s: read key file is truncated", path);
		goto err0;
	}
	if (r.off != len) {
		gs_warn("%s: read key file has %zu trailing bytes", path, len - r.off);
		goto err0;
	}
	if (!gs_valid_name(name) || strlen(name) > GS_TENANT_MAX) {
		gs_warn("%s: read key file holds an invalid tenant name", path);
		goto err0;
	}
	if (tenant != NULL && strcmp(tenant, name) != 0) {
		gs_warn("%s: this is the read key of tenant %s, not %s", path, name, tenant);
		goto err0;
	}
	if (alg != crypto_pwhash_ALG_ARGON2ID13 || ct_len != GS_RKEY_CT_LEN) {
		gs_warn("%s: unsupported key derivation algorithm %u or length %u", path,
		        (unsigned)alg, (unsigned)ct_len);
		goto err0;
	}
	if (opslimit < crypto_pwhash_OPSLIMIT_MIN || opslimit > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    memlimit < crypto_pwhash_MEMLIMIT_MIN || memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE) {
		gs_warn("%s: key derivation limits out of range (ops %llu, mem %llu)", path,
		        (unsigned long long)opslimit, (unsigned long long)memlimit);
		goto err0;
	}
	if ((sec = sodium_malloc(GS_KEY_LEN + GS_RKEY_PLAIN_LEN)) == NULL) {
		gs_warnp("cannot allocate secure memory for a key");
		goto err0;
	}
	key = sec;
	pt = sec + GS_KEY_LEN;
	if (derive(key, pass, passlen, salt, opslimit, memlimit)) {
		gs_warn("%s: key derivation failed (out of memory?)", path);
		goto err1;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct, GS_RKEY_CT_LEN, buf,
	                                               ad_len, nonce, key) != 0) {
		gs_warn("%s: wrong passphrase (or the key file is damaged)", path);
		goto err1;
	}
	if ((k = gs_rkey_new()) == NULL)
		goto err1;
	memcpy(k->w.tenant, name, strlen(name) + 1);
	memcpy(k->w.id_key, pt, GS_KEY_LEN);
	memcpy(k->w.index_key, pt + GS_KEY_LEN, GS_KEY_LEN);
	memcpy(k->w.pk, pt + 2 * GS_KEY_LEN, GS_KEY_LEN);
	memcpy(k->sk, pt + 3 * GS_KEY_LEN, GS_KEY_LEN);
	if (crypto_scalarmult_base(chk, k->sk) != 0 || sodium_memcmp(chk, k->w.pk, GS_KEY_LEN)) {
		gs_warn("%s: the public key does not belong to the secret key", path);
		goto err2;
	}
	sodium_memzero(chk, sizeof(chk));
	sodium_free(sec);
	free(name);
	return k;

err2:
	sodium_memzero(chk, sizeof(chk));
	gs_rkey_free(k);
err1:
	sodium_free(sec);
err0:
	free(name);
	return NULL;
}

/*
 * gs_rkey_load(path, tenant, pass, passlen): open path with gs_keyfile_open()
 * (which refuses files readable by group or others) and gs_rkey_decode() it.
 * Returns the key or NULL (warned, naming path).
 */
struct gs_rkey *
gs_rkey_load(const char *path, const char *tenant, const char *pass, size_t passlen)
{
	uint8_t buf[GS_RKEY_FILE_MAX + 1];
	struct gs_rkey *k = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = gs_keyfile_open(path)) < 0)
		return NULL;
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			gs_warnp("%s: read", path);
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > GS_RKEY_FILE_MAX) {
		gs_warn("%s: too large for a read key file", path);
		goto done;
	}
	k = gs_rkey_decode(path, buf, len, tenant, pass, passlen);
done:
	close(fd);
	return k;
}

/* Write all of buf to fd; 0 or -1. */
static int
write_all(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Choose the Argon2id cost from $GEOSNAP_PWHASH; 0 or -1 (warned). */
static int
pwhash_cost(uint64_t *ops, uint64_t *mem)
{
	const char *s = getenv("GEOSNAP_PWHASH");

	if (s == NULL || *s == '\0' || strcmp(s, "moderate") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
	} else if (strcmp(s, "interactive") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	} else if (strcmp(s, "sensitive") == 0) {
		*ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
	} else {
		gs_warn("GEOSNAP_PWHASH: expected interactive, moderate or sensitive, not '%s'", s);
		return -1;
	}
	return 0;
}

/* Create path exclusively with mode 0600; fd, -1 (warned), -2 if it exists. */
static int
create_excl(const char *path)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		if (errno == EEXIST) {
			gs_warn("%s: already exists; refusing to overwrite a key file", path);
			return -2;
		}
		gs_warnp("%s: create", path);
		return -1;
	}
	if (fchmod(fd, 0600) != 0) {
		gs_warnp("%s: chmod", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* Write, fsync and close fd (path names it); 0 or -1 (warned). */
static int
finish_file(int fd, const char *path, const uint8_t *buf, size_t len)
{
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		gs_warnp("%s: write", path);
		close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		gs_warnp("%s: close", path);
		return -1;
	}
	return 0;
}

/*
 * gs_keygen(tenant, outdir, pass, passlen): make a new key pair for tenant
 * and write ${outdir}/${tenant}.write (the agent's write key) and
 * ${outdir}/${tenant}.read (the read key sealed with the passphrase), both
 * mode 0600, created exclusively, fsynced, then the directory fsynced.  The
 * Argon2id cost is MODERATE unless $GEOSNAP_PWHASH says "interactive" or
 * "sensitive".  Returns 0; 1 when either file already exists or the tenant
 * name or $GEOSNAP_PWHASH is invalid (warned, nothing written); -1 on I/O
 * error (warned, files created by this call removed).
 */
int
gs_keygen(const char *tenant, const char *outdir, const char *pass, size_t passlen)
{
	uint8_t *wbuf, *rbuf;
	char *wpath, *rpath;
	struct gs_rkey *k;
	uint64_t ops, mem;
	size_t wlen, rlen;
	int wfd, rfd;
	int rc = -1;

	if (!gs_valid_name(tenant) || strlen(tenant) > GS_TENANT_MAX) {
		gs_warn("invalid tenant name '%s'", tenant);
		return 1;
	}
	if (pwhash_cost(&ops, &mem))
		return 1;
	if (gs_mkdir_p(outdir, 0700) != 0)
		return -1;
	if ((wpath = gs_asprintf("%s/%s.write", outdir, tenant)) == NULL)
		goto err0;
	if ((rpath = gs_asprintf("%s/%s.read", outdir, tenant)) == NULL)
		goto err1;
	if ((k = gs_rkey_new()) == NULL)
		goto err2;
	/* One secure area for both encoded files: the write key is secret too. */
	if ((wbuf = sodium_malloc(GS_WKEY_FILE_MAX + GS_RKEY_FILE_MAX)) == NULL) {
		gs_warnp("cannot allocate secure memory for a key");
		goto err3;
	}
	rbuf = wbuf + GS_WKEY_FILE_MAX;

	memcpy(k->w.tenant, tenant, strlen(tenant) + 1);
	randombytes_buf(k->w.id_key, GS_KEY_LEN);
	randombytes_buf(k->w.index_key, GS_KEY_LEN);
	if (crypto_box_keypair(k->w.pk, k->sk) != 0) {
		gs_warn("key pair generation failed");
		goto err4;
	}
	if ((wlen = gs_wkey_encode(&k->w, wbuf, GS_WKEY_FILE_MAX)) == 0) {
		gs_warn("cannot encode the write key of tenant %s", tenant);
		goto err4;
	}
	if ((rlen = gs_rkey_encode(k, pass, passlen, ops, mem, rbuf, GS_RKEY_FILE_MAX)) == 0)
		goto err4;

	/* Claim both names before writing either, so that nothing is half made. */
	if ((wfd = create_excl(wpath)) < 0) {
		rc = (wfd == -2) ? 1 : -1;
		goto err4;
	}
	if ((rfd = create_excl(rpath)) < 0) {
		rc = (rfd == -2) ? 1 : -1;
		close(wfd);
		goto err5;
	}
	if (finish_file(wfd, wpath, wbuf, wlen) != 0) {
		close(rfd);
		goto err6;
	}
	if (finish_file(rfd, rpath, rbuf, rlen) != 0)
		goto err6;
	if (gs_fsync_dir(outdir) != 0)
		goto err6;
	rc = 0;
	goto done;

err6:
	unlink(rpath);
err5:
	unlink(wpath);
done:
err4:
	sodium_free(wbuf);
err3:
	gs_rkey_free(k);
err2:
	free(rpath);
err1:
	free(wpath);
err0:
	return rc;
}
