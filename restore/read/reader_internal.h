/*
 * reader_internal.h -- the reader's state, shared by reader.c (chunks),
 * reader_snap.c (snapshots) and reader_manifest.c (manifests).
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

	struct gs_cindex *pci; /* from pack headers, built on the first index miss */
	int scanned;
	int damaged;

	/* The pins of the snapshot being read (its reference stream), sorted
	 * by ID; npins 0 when it has none (version 1, or unreadable). */
	struct gs_pin *pins;
	size_t npins;
	char pinned_for[GS_NAME_HEX]; /* the snapshot they belong to, or "" */

	struct gs_buf blob; /* stored bytes of the current chunk */
	struct gs_buf mid;  /* decrypted, still compressed */
	ZSTD_DCtx *dctx;
};

/* Order snapshots by time, then name (qsort comparator). */
int gs_reader_snap_cmp(const void *a, const void *b);

#endif
