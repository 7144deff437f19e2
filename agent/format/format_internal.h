/* format_internal.h -- shared between the format parsers and writers. */
#ifndef GS_FORMAT_INTERNAL_H
#define GS_FORMAT_INTERNAL_H

#include "geosnap/format.h"

/* gs_ref_encode(b, c): append the 53-byte chunk ref. */
void gs_ref_encode(struct gs_buf *b, const struct gs_chunk_ref *c);
/* gs_ref_decode(r, c, blob_end, nkeys): decode and range-check a ref
 * (offset and length within [8, blob_end), key_idx < nkeys unless nkeys
 * is 0).  0 or -1 (not warned). */
int gs_ref_decode(struct gs_rd *r, struct gs_chunk_ref *c, uint64_t blob_end, uint16_t nkeys);

/* gs_obj_seal(key, magic, out, pt): append the object made of pt to out:
 * magic, u32 GS_FORMAT_VERSION, then pt sealed under key (gs_meta_seal);
 * out->oom when pt ran out of memory.  pt is cleared.  (object.c) */
void gs_obj_seal(const uint8_t key[GS_KEY_LEN], const char *magic, struct gs_buf *out,
                 struct gs_buf *pt);
/* gs_obj_open(key, magic, what, name, buf, len, max, pt): check the magic,
 * the version and the size (at most max bytes; 0: no cap) of the object
 * buf and authenticate its plaintext into pt.  0, or -1 (warned as
 * "WHAT NAME: ...", pt cleared).  (object.c) */
int gs_obj_open(const uint8_t key[GS_KEY_LEN], const char *magic, const char *what,
                const char *name, const uint8_t *buf, size_t len, size_t max, struct gs_buf *pt);

#endif
