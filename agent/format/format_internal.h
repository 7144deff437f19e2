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

#endif
