/*
 * keys.h -- the tenant's write key (agent side) and key-file hygiene.
 *
 * A write key holds what the nightly agent needs and nothing that decrypts:
 *   id_key     32 bytes  keyed BLAKE2b key for chunk IDs; seeds the gear table
 *   index_key  32 bytes  XChaCha20-Poly1305 key for pack headers, index
 *                        segments and the public part of snapshot records
 *   pk         32 bytes  X25519 public key; per-pack data keys are sealed to it
 * The read key (restore/ only) adds the X25519 secret key.  File formats are
 * in docs/FORMAT.md.  Keys always live in sodium_malloc'd, mlock'ed memory.
 */
#ifndef GEOSNAP_KEYS_H
#define GEOSNAP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define GS_KEY_LEN 32
#define GS_TENANT_MAX 64

#define GS_WKEY_MAGIC "GSWK"
#define GS_RKEY_MAGIC "GSRK"
#define GS_KEYFILE_VERSION 1

struct gs_wkey {
	char tenant[GS_TENANT_MAX + 1];
	uint8_t id_key[GS_KEY_LEN];
	uint8_t index_key[GS_KEY_LEN];
	uint8_t pk[GS_KEY_LEN];
};

/*
 * gs_keyfile_open(path): open a key file for reading after checking that it
 * is a regular file not readable or writable by group or others.  Returns an
 * fd, or -1 (warned: "PATH: key file is group/other-accessible (mode 0644);
 * chmod 600 PATH").
 */
int gs_keyfile_open(const char *path);

/*
 * gs_wkey_new(): a zeroed write key in guarded, locked memory, or NULL.
 * gs_wkey_free(k): wipe and free (NULL accepted).
 */
struct gs_wkey *gs_wkey_new(void);
void gs_wkey_free(struct gs_wkey *k);

/*
 * gs_wkey_load(path, tenant): load and check a write key file.  tenant, when
 * not NULL, must match the tenant recorded in the file.  Returns the key or
 * NULL (warned, naming path).
 */
struct gs_wkey *gs_wkey_load(const char *path, const char *tenant);

/*
 * gs_wkey_decode(path, buf, len, tenant): parse and check a write key file
 * image; path names it in messages.  tenant, when not NULL, must match the
 * tenant recorded in it.  Returns the key or NULL (warned, naming path).
 */
struct gs_wkey *gs_wkey_decode(const char *path, const uint8_t *buf, size_t len,
                               const char *tenant);

/*
 * gs_wkey_encode(k, out, cap): serialise k as a write key file into out;
 * returns the length or 0 if cap is too small.  Used by keygen.
 */
size_t gs_wkey_encode(const struct gs_wkey *k, uint8_t *out, size_t cap);

/* Largest encoded write key file. */
#define GS_WKEY_FILE_MAX (4 + 4 + 2 + GS_TENANT_MAX + 3 * GS_KEY_LEN + 16)

#endif
