/*
 * minisig.h -- Ed25519 signatures in minisign's formats, so that Debian's
 * stock `minisign -V` checks what geosnap signs (the audit log, its
 * checkpoints, deletion certificates).  Only the prehashed "ED" algorithm
 * is written: the signature covers the BLAKE2b-512 of the file.
 *
 * Key files (minisign 0.11, `minisign -G -W` writes the same):
 *   audit.pub  "untrusted comment: minisign public key <KEYID>\n"
 *              base64("Ed" keyid[8] pk[32]) "\n"
 *   audit.key  "untrusted comment: minisign secret key (unencrypted)\n"
 *              base64("Ed" "\0\0" "B2" salt[32] ops[8] mem[8]
 *                     keyid[8] sk[64] chk[32]) "\n"
 *              kdf "\0\0": not encrypted (for unattended use; mode 0600);
 *              chk = BLAKE2b-256("Ed" keyid sk), or zeros as minisign -W
 *              leaves it.  A password-protected key ("Sc") is refused.
 * Signature file (FILE.minisig):
 *   "untrusted comment: <text>\n" base64("ED" keyid[8] sig[64]) "\n"
 *   "trusted comment: <text>\n" base64(global_sig[64]) "\n"
 *   sig = Ed25519(BLAKE2b-512(FILE)); global_sig = Ed25519(sig || text).
 */
#ifndef GEOSNAP_MINISIG_H
#define GEOSNAP_MINISIG_H

#include <stddef.h>
#include <stdint.h>

#define GS_MS_KEYID_LEN 8
#define GS_MS_HASH_LEN 64 /* BLAKE2b-512 */
#define GS_MS_TRUSTED_MAX 1024
#define GS_MS_SIGFILE_MAX 4096 /* a .minisig file larger than this is refused */

struct gs_ms_pub {
	uint8_t keyid[GS_MS_KEYID_LEN];
	uint8_t pk[32];
};

/* In locked, guarded memory (sodium_malloc); free with gs_ms_sec_free. */
struct gs_ms_sec {
	uint8_t keyid[GS_MS_KEYID_LEN];
	uint8_t sk[64];
};

/*
 * gs_ms_keygen(dir): write dir/audit.key (0600, unencrypted) and
 * dir/audit.pub (0644), refusing to overwrite either.  0, or -1 (warned,
 * nothing left behind).  *ret_keyid (17 bytes) gets the key id as minisign
 * prints it, when not NULL.
 */
int gs_ms_keygen(const char *dir, char ret_keyid[17]);

/*
 * gs_ms_sec_load(path): read a secret key file, refusing one that is
 * group/other-accessible, password-protected or damaged.  The key in
 * locked memory, or NULL (warned, naming path).
 * gs_ms_sec_free(k): wipe and free (NULL accepted).
 */
struct gs_ms_sec *gs_ms_sec_load(const char *path);
void gs_ms_sec_free(struct gs_ms_sec *k);

/*
 * gs_ms_pub_load(path, ret): read a public key file.  0, or -1 (warned,
 * naming path).
 * gs_ms_pub_of(sec, ret): the public half of a secret key.
 */
int gs_ms_pub_load(const char *path, struct gs_ms_pub *ret);
void gs_ms_pub_of(const struct gs_ms_sec *sec, struct gs_ms_pub *ret);

/* gs_ms_keyid_hex(keyid, out): the key id as minisign prints it. */
void gs_ms_keyid_hex(const uint8_t keyid[GS_MS_KEYID_LEN], char out[17]);

/*
 * gs_ms_sign(k, hash, untrusted, trusted, ret, ret_len): the text of a
 * .minisig file for a file whose BLAKE2b-512 is hash.  trusted is one
 * printable line (< GS_MS_TRUSTED_MAX bytes).  *ret is malloc'd.  0 or -1.
 */
int gs_ms_sign(const struct gs_ms_sec *k, const uint8_t hash[GS_MS_HASH_LEN], const char *untrusted,
               const char *trusted, char **ret, size_t *ret_len);

/*
 * gs_ms_verify(pk, hash, sig, sig_len, ret_trusted, why, whylen): check the
 * .minisig text sig (sig_len bytes, untrusted input) against a file whose
 * BLAKE2b-512 is hash: format, key id, signature and global signature.
 * On 0, ret_trusted (GS_MS_TRUSTED_MAX bytes) holds the trusted comment.
 * -1 with a reason in why: "malformed", "signed by another key (id ...)",
 * "signature does not match the file", "trusted comment was altered".
 * gs_ms_sig_trusted(sig, sig_len, ret_trusted): the trusted comment of a
 * .minisig without checking anything (to find what it claims to cover);
 * 0 or -1 when malformed.
 */
int gs_ms_verify(const struct gs_ms_pub *pk, const uint8_t hash[GS_MS_HASH_LEN], const char *sig,
                 size_t sig_len, char ret_trusted[GS_MS_TRUSTED_MAX], char *why, size_t whylen);
int gs_ms_sig_trusted(const char *sig, size_t sig_len, char ret_trusted[GS_MS_TRUSTED_MAX]);

/* gs_ms_hash_fd(fd, len, ret): BLAKE2b-512 of the first len bytes of fd
 * (pread, from offset 0).  0, or -1 (errno set; a short file too). */
int gs_ms_hash_fd(int fd, uint64_t len, uint8_t ret[GS_MS_HASH_LEN]);

#endif
