/*
 * pack.h -- the pack writer (write path only).
 *
 * A pack writer owns one fresh random data key, sealed to the tenant's
 * public key at creation; the plaintext key is wiped at free.  Chunks are
 * encrypted and streamed into a temporary object; commit appends the header
 * encrypted under the index key and publishes the pack under its XXH3-128.
 */
#ifndef GEOSNAP_PACK_H
#define GEOSNAP_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"

struct gs_pack_writer;

/* gs_pack_writer_new(r, tenant, k, alg): borrows r and k.  NULL on error. */
struct gs_pack_writer *gs_pack_writer_new(const struct gs_repo *r, const char *tenant,
                                          const struct gs_wkey *k, uint8_t alg);

/*
 * gs_pack_writer_add(w, id, type, pt, pt_len, raw_len, flags): encrypt pt
 * (the chunk, zstd-compressed when flags has GS_CF_ZSTD; raw_len is the
 * uncompressed length) with the chunk ID and type as associated data and
 * append it.  0 or -1.
 */
int gs_pack_writer_add(struct gs_pack_writer *w, const uint8_t id[GS_ID_LEN], uint8_t type,
                       const uint8_t *pt, size_t pt_len, uint32_t raw_len, uint8_t flags);

/* gs_pack_writer_size(w): bytes written so far; _count: chunks. */
uint64_t gs_pack_writer_size(const struct gs_pack_writer *w);
/* gs_pack_writer_count(w): chunks added so far. */
uint32_t gs_pack_writer_count(const struct gs_pack_writer *w);

/*
 * gs_pack_writer_commit(w, ret): write the header, publish the pack, and
 * hand back its name and chunk refs (ret->chunks is malloc'd, caller frees).
 * 0 or -1.  The writer must still be freed.
 */
int gs_pack_writer_commit(struct gs_pack_writer *w, struct gs_index_pack *ret);

/* gs_pack_writer_free(w): wipe the data key; remove an uncommitted pack. */
void gs_pack_writer_free(struct gs_pack_writer *w);

#endif
