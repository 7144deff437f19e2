/*
 * aead.c -- metadata encryption under the index key, chunk IDs.
 *
 * Only encryption-side helpers and index-key (write key) operations live
 * here; nothing in libgeosnap can open a sealed data key.
 */
#include <string.h>

#include <sodium.h>

#include "geosnap/format.h"

/* gs_aead_nonce_len(alg): 24 or 12; 0 for an unknown alg. */
size_t
gs_aead_nonce_len(uint8_t alg)
{
	switch (alg) {
	case GS_ALG_XCHACHA:
		return crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	case GS_ALG_AESGCM:
		return crypto_aead_aes256gcm_NPUBBYTES;
	default:
		return 0;
	}
}

/* gs_aead_default(): GS_ALG_AESGCM when the CPU supports it, else XCHACHA. */
uint8_t
gs_aead_default(void)
{
	return crypto_aead_aes256gcm_is_available() ? GS_ALG_AESGCM : GS_ALG_XCHACHA;
}

static void
meta_ad(uint8_t ad[8], const char *magic, uint32_t version)
{
	memcpy(ad, magic, 4);
	gs_le32(ad + 4, version);
}

/*
 * gs_meta_seal(key, magic, out, pt, len): append nonce || XChaCha20-Poly1305
 * (pt) to out, with the 4-byte magic and GS_FORMAT_VERSION as associated
 * data.  gs_meta_open(key, magic, name, ct, len, out): the inverse into out
 * (reset first); returns 0 or -1 ("object NAME: authentication failed").
 * The _v forms take the object's version for the associated data.
 */
void
gs_meta_seal(const uint8_t key[GS_KEY_LEN], const char *magic, struct gs_buf *out,
             const uint8_t *pt, size_t len)
{
	gs_meta_seal_v(key, magic, GS_FORMAT_VERSION, out, pt, len);
}

/*
 * gs_meta_seal(key, magic, out, pt, len): append nonce || XChaCha20-Poly1305
 * (pt) to out, with the 4-byte magic and GS_FORMAT_VERSION as associated
 * data.  gs_meta_open(key, magic, name, ct, len, out): the inverse into out
 * (reset first); returns 0 or -1 ("object NAME: authentication failed").
 * The _v forms take the object's version for the associated data.
 */
int
gs_meta_open(const uint8_t key[GS_KEY_LEN], const char *magic, const char *name, const uint8_t *ct,
             size_t len, struct gs_buf *out)
{
	return gs_meta_open_v(key, magic, GS_FORMAT_VERSION, name, ct, len, out);
}

/* gs_meta_seal_v(key, magic, version, out, pt, len): gs_meta_seal() with the
 * object's version in the associated data. */
void
gs_meta_seal_v(const uint8_t key[GS_KEY_LEN], const char *magic, uint32_t version,
               struct gs_buf *out, const uint8_t *pt, size_t len)
{
	const size_t nl = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	const size_t tl = crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned long long clen;
	uint8_t ad[8];

	if (gs_buf_reserve(out, nl + len + tl))
		return;
	meta_ad(ad, magic, version);
	randombytes_buf(out->p + out->len, nl);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out->p + out->len + nl, &clen, pt, len, ad,
	                                           sizeof(ad), NULL, out->p + out->len, key);
	out->len += nl + (size_t)clen;
}

/* gs_meta_open_v(key, magic, version, name, ct, len, out): gs_meta_open() with
 * the object's version in the associated data; 0 or -1 (warned). */
int
gs_meta_open_v(const uint8_t key[GS_KEY_LEN], const char *magic, uint32_t version, const char *name,
               const uint8_t *ct, size_t len, struct gs_buf *out)
{
	const size_t nl = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	const size_t tl = crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned long long plen;
	uint8_t ad[8];

	out->len = 0;
	if (len < nl + tl) {
		gs_warn("object %s: encrypted part truncated", name);
		return -1;
	}
	if (gs_buf_reserve(out, len - nl - tl)) {
		gs_warn("object %s: out of memory", name);
		return -1;
	}
	meta_ad(ad, magic, version);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out->p, &plen, NULL, ct + nl, len - nl, ad,
	                                               sizeof(ad), ct, key) != 0) {
		gs_warn("object %s: authentication failed (corrupt, or not this tenant's)", name);
		return -1;
	}
	out->len = (size_t)plen;
	return 0;
}

/* gs_chunk_id(k, buf, len, ret): keyed BLAKE2b-256 chunk ID. */
void
gs_chunk_id(const uint8_t id_key[GS_KEY_LEN], const uint8_t *buf, size_t len,
            uint8_t ret[GS_ID_LEN])
{
	crypto_generichash(ret, GS_ID_LEN, buf, len, id_key, GS_KEY_LEN);
}

/* gs_chunk_ad(ad, id, type): the 33 bytes of associated data of a chunk. */
void
gs_chunk_ad(uint8_t ad[GS_ID_LEN + 1], const uint8_t id[GS_ID_LEN], uint8_t type)
{
	memcpy(ad, id, GS_ID_LEN);
	ad[GS_ID_LEN] = type;
}
