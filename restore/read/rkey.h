/*
 * rkey.h -- the tenant's read key: the write key plus the X25519 secret key,
 * sealed in a file with a passphrase.  restore/ only.
 *
 * Read key file, version 1 (all integers little-endian):
 *
 *   "GSRK"                 magic
 *   u32    version         1
 *   u16    tenant_len      then tenant_len bytes of tenant name
 *   u64    opslimit        crypto_pwhash parameters used for this file
 *   u64    memlimit
 *   u32    alg             crypto_pwhash_ALG_ARGON2ID13 (2)
 *   u8     salt[16]
 *   u32    ct_len          144
 *   u8     nonce[24]
 *   u8     ct[ct_len]      XChaCha20-Poly1305-IETF, key = crypto_pwhash(pass,
 *                          salt, opslimit, memlimit, alg), associated data =
 *                          every byte of the file before ct, of the 128-byte
 *                          plaintext id_key[32] | index_key[32] | pk[32] | sk[32]
 *
 * Nothing follows ct.
 */
#ifndef GEOSNAP_RKEY_H
#define GEOSNAP_RKEY_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/keys.h"

struct gs_rkey {
	struct gs_wkey w;
	uint8_t sk[GS_KEY_LEN];
};

#define GS_RKEY_PLAIN_LEN (4 * GS_KEY_LEN)
#define GS_RKEY_CT_LEN (GS_RKEY_PLAIN_LEN + 16)
/* Largest read key file. */
#define GS_RKEY_FILE_MAX (4 + 4 + 2 + GS_TENANT_MAX + 8 + 8 + 4 + 16 + 4 + 24 + GS_RKEY_CT_LEN)

/*
 * gs_rkey_new(): a zeroed read key in guarded, locked memory, or NULL
 * (warned).  gs_rkey_free(k): wipe and free (NULL accepted).
 */
struct gs_rkey *gs_rkey_new(void);
void gs_rkey_free(struct gs_rkey *k);

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
int gs_keygen(const char *tenant, const char *outdir, const char *pass, size_t passlen);

/*
 * gs_rkey_encode(k, pass, passlen, opslimit, memlimit, out, cap): serialise k
 * as a read key file sealed with pass.  Returns the length, or 0 when cap is
 * too small or key derivation fails (warned).
 */
size_t gs_rkey_encode(const struct gs_rkey *k, const char *pass, size_t passlen, uint64_t opslimit,
                      uint64_t memlimit, uint8_t *out, size_t cap);

/*
 * gs_rkey_decode(path, buf, len, tenant, pass, passlen): parse and open a
 * read key file image; path names it in messages.  tenant, when not NULL,
 * must match.  Returns the key, or NULL (warned; a wrong passphrase is
 * "PATH: wrong passphrase (or the key file is damaged)").
 */
struct gs_rkey *gs_rkey_decode(const char *path, const uint8_t *buf, size_t len, const char *tenant,
                               const char *pass, size_t passlen);

/*
 * gs_rkey_load(path, tenant, pass, passlen): open path with gs_keyfile_open()
 * (which refuses files readable by group or others) and gs_rkey_decode() it.
 * Returns the key or NULL (warned, naming path).
 */
struct gs_rkey *gs_rkey_load(const char *path, const char *tenant, const char *pass,
                             size_t passlen);

/*
 * gs_rkey_kdf_stats(ret_seconds, ret_peak_kib): the wall time the Argon2id
 * derivations of this process took and the peak resident size of the
 * short-lived process each ran in (0 when none ran in a child).
 */
void gs_rkey_kdf_stats(double *ret_seconds, long *ret_peak_kib);

#endif
