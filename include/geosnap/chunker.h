/*
 * chunker.h -- content-defined chunking, FastCDC-style normalized gear hash.
 *
 * The gear table is derived from the tenant's chunk-ID key, so cut points
 * depend on a secret and do not fingerprint content across tenants.
 *
 * Usage: no callbacks and no copies.  The caller feeds the stream in any
 * slices it likes; gs_chunker_scan() reports how many bytes of the slice
 * belong to the current chunk before a cut, or that there is no cut in it:
 *
 *	size_t n = gs_chunker_scan(&c, buf, len);
 *	if (n == GS_CHUNKER_NONE)  -> all of buf belongs to the current chunk
 *	else                       -> buf[0..n) ends the current chunk; a new
 *	                              chunk starts at buf[n]; scan buf+n next.
 *
 * At end of stream whatever was fed since the last cut is the last chunk.
 */
#ifndef GEOSNAP_CHUNKER_H
#define GEOSNAP_CHUNKER_H

#include <stddef.h>
#include <stdint.h>

#define GS_CHUNKER_NONE ((size_t)-1)

/* Limits on the parameters accepted by gs_chunker_params_init(). */
#define GS_CHUNK_MIN_LIMIT (4u * 1024)         /* smallest allowed min */
#define GS_CHUNK_MAX_LIMIT (64u * 1024 * 1024) /* largest allowed max */

/* Shared, read-only parameters: one per tenant per run. */
struct gs_chunker_params {
	uint64_t gear[256];
	uint64_t mask_s; /* stricter mask, used below avg */
	uint64_t mask_l; /* looser mask, used from avg to max */
	size_t min, avg, max;
};

/* Per-stream state; small, can live on the stack. */
struct gs_chunker {
	const struct gs_chunker_params *p;
	uint64_t h;
	size_t pos; /* bytes fed since the last cut */
};

/*
 * gs_chunker_params_init(p, key32, min, avg, max): derive the gear table
 * from the 32-byte key (libsodium crypto_kdf + crypto_stream, so no home-made
 * primitive) and set the masks for an average of avg.  Requires
 * GS_CHUNK_MIN_LIMIT <= min < avg < max <= GS_CHUNK_MAX_LIMIT and avg a power
 * of two.  Returns 0, or -1 on bad parameters (not warned; the caller names
 * the config key).
 */
int gs_chunker_params_init(struct gs_chunker_params *p, const uint8_t key[32], size_t min,
                           size_t avg, size_t max);

/* gs_chunker_init(c, p): start a new stream with params p (borrowed). */
void gs_chunker_init(struct gs_chunker *c, const struct gs_chunker_params *p);

/*
 * gs_chunker_scan(c, buf, len): see the usage above.  Returns the number of
 * bytes (1..len) that complete the current chunk, or GS_CHUNKER_NONE.
 */
size_t gs_chunker_scan(struct gs_chunker *c, const uint8_t *buf, size_t len);

#endif
