/*
 * reader_internal.h -- the reader's state, shared by reader.c (the pack
 * cache and chunk decoding), reader_locate.c (where a chunk is found),
 * reader_snap.c (snapshots), reader_manifest.c (manifests) and the read
 * engine (fetch_plan.c, fetch.c).
 */
#ifndef GEOSNAP_READER_INTERNAL_H
#define GEOSNAP_READER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "read/reader.h"

struct pack_ent {
	uint8_t name[GS_NAME_LEN];
	size_t key_off; /* first key of this pack in rd->keys */
	uint16_t nkeys;
	int bad; /* the header could not be read (already warned) */
	/* The header's chunk refs, sorted by ID: the pack's own word on where
	 * its chunks are, which no later object can change. */
	struct gs_chunk_ref *chunks;
	uint32_t nchunks;
};

struct gs_reader {
	struct gs_repo *repo;
	const struct gs_rkey *k;
	struct gs_cindex *ci;

	struct pack_ent *packs;
	size_t npacks, cappacks;
	size_t *tab; /* pack index + 1; 0 = empty slot */
	size_t tabcap;
	uint8_t *keys;  /* sodium_malloc'd, capkeys x GS_KEY_LEN */
	uint8_t *keyok; /* 1 when the key was unsealed */
	size_t nkeys, capkeys;

	int index_pending;     /* ci is still to be loaded (need_index) */
	struct gs_cindex *pci; /* from pack headers, built on the first index miss */
	int scanned;
	int damaged;

	/* The pins of the snapshot being read (its reference stream), sorted
	 * by ID; npins 0 when it has none (version 1, or unreadable). */
	struct gs_pin *pins;
	size_t npins;
	char pinned_for[GS_NAME_HEX]; /* the snapshot they belong to, or "" */
	/* Where garbage collection moved pinned packs (loaded on first use). */
	struct gs_relocmap relocs;
	int relocs_loaded;

	uint64_t nread, read_bytes; /* chunk reads so far (gs_reader_read_stats) */
	int read_kind;              /* GS_TP_ERR_* of the last pack read, NONE when it worked
	                               (gs_reader_lost) */

	struct gs_buf blob; /* stored bytes of the current chunk, decrypted in place */
	ZSTD_DCtx *dctx;
};

/*
 * gs_reader_ref_check(rd, pe, ref, type, why, cap): whether ref (from the
 * header of pack pe) can be opened for a chunk of type: the type, cipher,
 * flags and lengths are known and in range, and its key exists and was
 * unsealed.  0, or -1 with the reason in why.
 */
int gs_reader_ref_check(const struct gs_reader *rd, const struct pack_ent *pe,
                        const struct gs_chunk_ref *ref, uint8_t type, char *why, size_t cap);

/*
 * gs_reader_ref_key(rd, pe, ref): the key ref (checked with
 * gs_reader_ref_check) is sealed under (borrowed; main thread only: the
 * array moves when more packs are opened).
 */
const uint8_t *gs_reader_ref_key(const struct gs_reader *rd, const struct pack_ent *pe,
                                 const struct gs_chunk_ref *ref);

/*
 * gs_chunk_decode(ref, key, id_key, blob, dctx, mid, out, why, cap):
 * decrypt blob (the ref->stored_len stored bytes of a ref that passed
 * gs_reader_ref_check) with key, decompress it through the scratch mid
 * when it is compressed (mid NULL: decrypt in place in blob, which is then
 * clobbered), into out (room for ref->raw_len bytes), and
 * verify the plaintext against the keyed ID.  Touches nothing shared: any
 * thread with its own dctx and mid may call it.  0, or -1 with the reason
 * in why.
 */
int gs_chunk_decode(const struct gs_chunk_ref *ref, const uint8_t *key,
                    const uint8_t id_key[GS_KEY_LEN], uint8_t *blob, ZSTD_DCtx *dctx,
                    struct gs_buf *mid, uint8_t *out, char *why, size_t cap);

/*
 * gs_reader_pack_peek(rd, name, hex): gs_reader_pack_get(), except that a
 * pack the copy does not have gives a bad entry without a warning.
 */
struct pack_ent *gs_reader_pack_peek(struct gs_reader *rd, const uint8_t name[GS_NAME_LEN],
                                     const char *hex);

/*
 * gs_reader_pack_get(rd, name, hex): the cache entry of pack name (binary,
 * and hex), reading its header and unsealing its data keys on first use.
 * NULL only when out of memory; an unreadable header gives an entry with
 * bad set.
 */
struct pack_ent *gs_reader_pack_get(struct gs_reader *rd, const uint8_t name[GS_NAME_LEN],
                                    const char *hex);

/*
 * gs_reader_chunk_open(rd, pe, hex, ref, type, out): read the stored bytes
 * of ref in pack pe (hex: its name) and decrypt, decompress and verify them
 * as a chunk of type into out (reset first).  0, or -1 (warned, naming
 * tenant, pack, chunk and what failed).
 */
int gs_reader_chunk_open(struct gs_reader *rd, struct pack_ent *pe, const char *hex,
                         const struct gs_chunk_ref *ref, uint8_t type, struct gs_buf *out);

/*
 * gs_reader_locate(rd, id, type, ret_pe, ret_ref): where chunk id lies by
 * the current snapshot's pin: the pinned pack's cache entry (its index in
 * rd->packs) and the ref in that pack's own header, when the ref passes
 * gs_reader_ref_check().  0, or -1 (silently: unpinned, the pack or its
 * header is unusable, or the header does not hold id; gs_reader_chunk()
 * then finds it another way and names what failed).
 */
int gs_reader_locate(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint8_t type,
                     size_t *ret_pe, const struct gs_chunk_ref **ret_ref);

/*
 * gs_reader_pack(rd, name, ret_pe): the cache entry of pack name (binary),
 * its header read and keys unsealed on first use; its index in rd->packs.
 * 0, or -1 when out of memory or the header is unusable.
 */
int gs_reader_pack(struct gs_reader *rd, const uint8_t name[GS_NAME_LEN], size_t *ret_pe);

/* Order snapshots by time, then name (qsort comparator). */
/* gs_reader_snap_cmp(a, b): by time, then name. */
int gs_reader_snap_cmp(const void *a, const void *b);

#endif
