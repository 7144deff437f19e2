/*
 * reader_locate.c -- where the reader finds a chunk: the pack the current
 * snapshot pins it to (its reference stream), else every location the index
 * segments know, else every pack header (scanned once).  A write-key holder
 * can add locations, so at most MAX_LOCATIONS are tried, each verified the
 * same way.  Also the plaintext length of a chunk and the size check of a
 * file built from them, for refusing a forged size before writing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "geosnap/util.h"
#include "read/reader.h"
#include "read/reader_internal.h"
#include "read/refs.h"

/*
 * Add every usable index segment to rd->ci.  A segment that cannot be read
 * or parsed is named and skipped (rd->damaged): its chunks are found later
 * in the pack headers.  0, or -1 when the list cannot be read (warned).
 */
static int
load_index(struct gs_reader *rd)
{
	const char *tenant = rd->k->w.tenant;
	char(*names)[GS_NAME_HEX] = NULL;
	struct gs_index idx;
	char label[128];
	uint8_t *buf;
	size_t n, i, len;
	uint32_t p, c;

	if (gs_repo_list(rd->repo, tenant, GS_OBJ_INDEX, &names, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "tenant %s index %s", tenant, names[i]);
		if (gs_repo_read(rd->repo, tenant, GS_OBJ_INDEX, names[i], &buf, &len) != 0) {
			gs_warn("%s: unreadable; falling back to pack headers", label);
			rd->damaged = 1;
			continue;
		}
		memset(&idx, 0, sizeof(idx));
		if (gs_index_parse(rd->k->w.index_key, label, buf, len, &idx) != 0) {
			gs_warn("%s: unusable; falling back to pack headers", label);
			rd->damaged = 1;
			free(buf);
			continue;
		}
		free(buf);
		for (p = 0; p < idx.npacks; p++) {
			for (c = 0; c < idx.packs[p].n; c++) {
				if (gs_cindex_add(rd->ci, idx.packs[p].name,
				                  &idx.packs[p].chunks[c]) < 0) {
					gs_index_clear(&idx);
					free(names);
					return -1;
				}
			}
		}
		gs_index_clear(&idx);
	}
	free(names);
	return 0;
}

/* Load the index segments the first time something needs them. */
static void
need_index(struct gs_reader *rd)
{
	if (!rd->index_pending)
		return;
	rd->index_pending = 0;
	if (load_index(rd) != 0) {
		gs_warn("tenant %s: the index segments cannot be listed; falling back to pack "
		        "headers",
		        rd->k->w.tenant);
		rd->damaged = 1;
	}
}

/*
 * Build rd->pci from every pack header of the tenant, once, after a chunk
 * was not found in the index (a damaged or missing segment, or a pack a
 * killed run published without its segment).  Unreadable headers are named
 * and skipped.
 */
static void
scan_packs(struct gs_reader *rd)
{
	const char *tenant = rd->k->w.tenant;
	char(*names)[GS_NAME_HEX] = NULL;
	struct gs_pack_header h;
	uint8_t bin[GS_NAME_LEN];
	uint64_t size;
	size_t n, i;
	uint32_t c;

	rd->scanned = 1;
	need_index(rd);
	if ((rd->pci = gs_cindex_new()) == NULL)
		return;
	if (gs_repo_list(rd->repo, tenant, GS_OBJ_PACK, &names, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (gs_unhex(bin, names[i], GS_NAME_LEN) != 0 ||
		    (!rd->damaged && gs_cindex_has_pack(rd->ci, bin)))
			continue; /* an intact index already covers this pack */
		memset(&h, 0, sizeof(h));
		if (gs_repo_read_pack_header(rd->repo, tenant, names[i], rd->k->w.index_key, &size,
		                             &h) != 0) {
			rd->damaged = 1;
			continue;
		}
		for (c = 0; c < h.nchunks; c++)
			if (gs_cindex_add(rd->pci, bin, &h.chunks[c]) < 0)
				break;
		gs_pack_header_clear(&h);
	}
	free(names);
}

/* Most locations of one chunk tried before giving up (a write-key holder
 * can add any number). */
#define MAX_LOCATIONS 16

/* The ref of chunk id in pack pe's own header, or NULL. */
static const struct gs_chunk_ref *
pack_find(const struct pack_ent *pe, const uint8_t id[GS_ID_LEN])
{
	size_t lo = 0, hi = pe->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(pe->chunks[mid].id, id, GS_ID_LEN);

		if (c == 0)
			return &pe->chunks[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Read chunk id from pack (binary name) by the pack's own header; 0 or -1
 * (warned). */
static int
chunk_in(struct gs_reader *rd, const uint8_t pack[GS_NAME_LEN], const uint8_t id[GS_ID_LEN],
         uint8_t type, struct gs_buf *out)
{
	const struct gs_chunk_ref *ref;
	char hex[GS_NAME_HEX], idhex[2 * GS_ID_LEN + 1];
	struct pack_ent *pe;

	gs_hex(hex, pack, GS_NAME_LEN);
	if ((pe = gs_reader_pack_get(rd, pack, hex)) == NULL)
		return -1;
	if (pe->bad) {
		gs_reader_idhex(id, idhex);
		gs_warn("tenant %s pack %s chunk %s: the pack is missing or its header cannot be "
		        "read",
		        rd->k->w.tenant, hex, idhex);
		return -1;
	}
	if ((ref = pack_find(pe, id)) == NULL) {
		gs_reader_idhex(id, idhex);
		gs_warn("tenant %s pack %s chunk %s: not in the pack's header", rd->k->w.tenant,
		        hex, idhex);
		return -1;
	}
	return gs_reader_chunk_open(rd, pe, hex, ref, type, out);
}

static const uint8_t no_pack[GS_NAME_LEN];

/*
 * gs_reader_relocated(rd, pack): the pack that holds what a pin to pack
 * names: pack itself while the copy has it, else where garbage collection
 * moved its live chunks (the relocation objects, loaded on the first call;
 * gs_relocmap_resolve).  So a relocation object, forged or not, changes
 * nothing for a pack that is there.  An unusable relocation object marks
 * the reader damaged.  Borrowed.
 */
const uint8_t *
gs_reader_relocated(struct gs_reader *rd, const uint8_t pack[GS_NAME_LEN])
{
	const struct pack_ent *pe;
	char hex[GS_NAME_HEX];

	if (!rd->relocs_loaded) {
		rd->relocs_loaded = 1;
		if (gs_relocmap_load(&rd->relocs, rd->repo, rd->k->w.tenant, rd->k->w.index_key,
		                     &rd->damaged) != 0)
			rd->damaged = 1;
	}
	if (gs_relocmap_next(&rd->relocs, pack) == NULL)
		return pack;
	gs_hex(hex, pack, GS_NAME_LEN);
	if ((pe = gs_reader_pack_peek(rd, pack, hex)) != NULL && !pe->bad)
		return pack;
	return gs_relocmap_resolve(&rd->relocs, pack);
}

/* The pinned pack of id in the current snapshot (after relocation), or
 * NULL (not in the reference stream, or a version 1 entry, which pins
 * nothing). */
static const uint8_t *
pinned_pack(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], int *ret_listed)
{
	const struct gs_pin *p = gs_refs_find(rd->pins, rd->npins, id);

	*ret_listed = p != NULL;
	if (p == NULL || memcmp(p->pack, no_pack, GS_NAME_LEN) == 0)
		return NULL;
	return gs_reader_relocated(rd, p->pack);
}

/* Try each location of id that ci knows and that is not in tried[]; 0 when
 * one works. */
static int
try_locations(struct gs_reader *rd, const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN],
              uint8_t type, struct gs_buf *out, const uint8_t **tried, size_t *ntried)
{
	const struct gs_chunk_ref *refs[MAX_LOCATIONS];
	const uint8_t *packs[MAX_LOCATIONS];
	size_t n = gs_cindex_locations(ci, id, refs, packs, MAX_LOCATIONS);

	for (size_t i = 0; i < n && *ntried < MAX_LOCATIONS; i++) {
		size_t j;

		for (j = 0; j < *ntried; j++)
			if (memcmp(tried[j], packs[i], GS_NAME_LEN) == 0)
				break;
		if (j < *ntried)
			continue;
		tried[(*ntried)++] = packs[i];
		if (chunk_in(rd, packs[i], id, type, out) == 0)
			return 0;
	}
	return -1;
}

/*
 * gs_reader_chunk(rd, id, type, out): fetch chunk id of type GS_CT_*,
 * decrypt, decompress and verify it against its keyed ID.  out is reset and
 * receives the plaintext.  The chunk is read from the pack the current
 * snapshot pins it to (gs_reader_pin()); only when that fails, or the
 * snapshot pins nothing, are the other locations the index segments and
 * then the pack headers know tried, at most MAX_LOCATIONS of them, each
 * checked the same way.  A chunk found only that way marks the reader
 * damaged.  Returns 0, or -1 (warned, naming tenant, pack and chunk).
 */
int
gs_reader_chunk(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint8_t type, struct gs_buf *out)
{
	const uint8_t *tried[MAX_LOCATIONS];
	char idhex[2 * GS_ID_LEN + 1], hex[GS_NAME_HEX];
	int listed;
	const uint8_t *pin = pinned_pack(rd, id, &listed);
	size_t ntried = 0;
	int failed = 0;

	if (pin != NULL) {
		if (chunk_in(rd, pin, id, type, out) == 0)
			return 0;
		tried[ntried++] = pin;
		failed = 1;
	} else if (rd->npins > 0 && !listed) {
		gs_reader_idhex(id, idhex);
		gs_warn("tenant %s snapshot %s chunk %s: not in the snapshot's reference stream",
		        rd->k->w.tenant, rd->pinned_for, idhex);
		failed = 1;
	}
	need_index(rd);
	if (try_locations(rd, rd->ci, id, type, out, tried, &ntried) != 0) {
		/* Index segments are a cache of the pack headers: ask those. */
		if (!rd->scanned)
			scan_packs(rd);
		if (rd->pci == NULL ||
		    try_locations(rd, rd->pci, id, type, out, tried, &ntried) != 0) {
			gs_reader_idhex(id, idhex);
			if (ntried == 0)
				gs_warn(
				    "tenant %s chunk %s: in no index segment and no pack header",
				    rd->k->w.tenant, idhex);
			else
				gs_warn("tenant %s chunk %s: none of its %zu locations holds it",
				        rd->k->w.tenant, idhex, ntried);
			return -1;
		}
		failed |= ntried > 1;
	} else {
		failed |= ntried > 1;
	}
	if (failed) {
		gs_reader_idhex(id, idhex);
		gs_hex(hex, tried[ntried - 1], GS_NAME_LEN);
		gs_warn("tenant %s chunk %s: read from pack %s after the locations above failed",
		        rd->k->w.tenant, idhex, hex);
		rd->damaged = 1;
	}
	return 0;
}

/*
 * gs_reader_pin(rd, s): read the reference stream of snapshot s and make
 * its pins the ones gs_reader_chunk() follows.  A snapshot of version 1
 * has entries without a pack, which pin nothing.  When the stream cannot
 * be read the snapshot is read unpinned and the reader is marked damaged.
 * Returns 0, or -1 (warned, naming the snapshot) when the stream is
 * unreadable or malformed.
 */
int
gs_reader_pin(struct gs_reader *rd, const struct gs_rsnap *s)
{
	struct gs_buf stream = {0}, chunk = {0};
	struct gs_pin *pins = NULL;
	size_t n = 0;
	int rc = -1;

	if (strcmp(rd->pinned_for, s->name) == 0)
		return 0;
	free(rd->pins);
	rd->pins = NULL;
	rd->npins = 0;
	rd->pinned_for[0] = 0;
	for (uint32_t i = 0; i < s->info.nrefchunks; i++) {
		const struct gs_pin *p = &s->info.refchunks[i];

		if (s->info.version < 2) {
			/* Version 1 pins nothing: look the chunk up by ID. */
			if (gs_reader_chunk(rd, p->id, GS_CT_REFS, &chunk) != 0) {
				gs_warn("tenant %s: snapshot %s: reference chunk %u is unreadable",
				        rd->k->w.tenant, s->name, i);
				goto out;
			}
		} else if (chunk_in(rd, gs_reader_relocated(rd, p->pack), p->id, GS_CT_REFS,
		                    &chunk) != 0) {
			rd->damaged = 1; /* the pinned location failed (warned) */
			if (gs_reader_chunk(rd, p->id, GS_CT_REFS, &chunk) != 0) {
				gs_warn("tenant %s: snapshot %s: reference chunk %u is unreadable",
				        rd->k->w.tenant, s->name, i);
				goto out;
			}
		}
		gs_buf_put(&stream, chunk.p, chunk.len);
	}
	if (stream.oom) {
		gs_warn("tenant %s: snapshot %s: out of memory", rd->k->w.tenant, s->name);
		goto out;
	}
	if (gs_refs_parse(rd->k->w.tenant, s->name, stream.p, stream.len, s->info.version,
	                  s->info.nrefs, &pins, &n) != 0)
		goto out;
	rd->pins = pins;
	rd->npins = n;
	memcpy(rd->pinned_for, s->name, GS_NAME_HEX);
	rc = 0;
out:
	if (rc != 0) {
		gs_warn("tenant %s: snapshot %s: reading its chunks by ID instead", rd->k->w.tenant,
		        s->name);
		rd->damaged = 1;
		memcpy(rd->pinned_for, s->name, GS_NAME_HEX);
	}
	gs_buf_clear(&stream);
	gs_buf_clear(&chunk);
	return rc;
}

/*
 * gs_reader_pins(rd, ret_n): the current snapshot's pins, sorted by chunk
 * ID (borrowed until the next gs_reader_pin()); NULL with *ret_n 0 when it
 * has none.
 */
const struct gs_pin *
gs_reader_pins(const struct gs_reader *rd, size_t *ret_n)
{
	*ret_n = rd->npins;
	return rd->pins;
}

/*
 * gs_reader_chunk_len(rd, id, ret_len): the plaintext length of chunk id as
 * recorded where gs_reader_chunk() will fetch it from (the header of the
 * pack the current snapshot pins it to; unpinned, the length every known
 * location agrees on), without reading the chunk, so that a manifest
 * entry's size can be checked before anything is written.  Returns 0 with
 * *ret_len set, or 1 when the length is unknown (no location knows the
 * chunk, or the locations disagree).
 */
int
gs_reader_chunk_len(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint32_t *ret_len)
{
	const struct gs_chunk_ref *refs[MAX_LOCATIONS];
	const uint8_t *packs[MAX_LOCATIONS];
	const struct gs_chunk_ref *ref;
	char hex[GS_NAME_HEX];
	struct pack_ent *pe;
	int listed;
	const uint8_t *pin = pinned_pack(rd, id, &listed);
	size_t n;

	/* The pinned pack's own header is where the chunk will be read. */
	if (pin != NULL) {
		gs_hex(hex, pin, GS_NAME_LEN);
		if ((pe = gs_reader_pack_get(rd, pin, hex)) != NULL && !pe->bad &&
		    (ref = pack_find(pe, id)) != NULL) {
			*ret_len = ref->raw_len;
			return 0;
		}
	}
	/* Unpinned, or the pin is broken: the length is known only when every
	 * location agrees (a forged one may record any length). */
	need_index(rd);
	if ((n = gs_cindex_locations(rd->ci, id, refs, packs, MAX_LOCATIONS)) == 0) {
		if (!rd->scanned)
			scan_packs(rd);
		if (rd->pci == NULL ||
		    (n = gs_cindex_locations(rd->pci, id, refs, packs, MAX_LOCATIONS)) == 0)
			return 1;
	}
	for (size_t i = 1; i < n; i++)
		if (refs[i]->raw_len != refs[0]->raw_len)
			return 1;
	*ret_len = refs[0]->raw_len;
	return 0;
}

/*
 * gs_reader_locate(rd, id, type, ret_pe, ret_ref): where chunk id lies by
 * the current snapshot's pin: the pinned pack's cache entry (its index in
 * rd->packs) and the ref in that pack's own header, when the ref passes
 * gs_reader_ref_check().  0, or -1 (silently: unpinned, the pack or its
 * header is unusable, or the header does not hold id; gs_reader_chunk()
 * then finds it another way and names what failed).
 */
int
gs_reader_locate(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint8_t type, size_t *ret_pe,
                 const struct gs_chunk_ref **ret_ref)
{
	const struct gs_chunk_ref *ref;
	char hex[GS_NAME_HEX], why[200];
	struct pack_ent *pe;
	int listed;
	const uint8_t *pin = pinned_pack(rd, id, &listed);

	if (pin == NULL)
		return -1;
	gs_hex(hex, pin, GS_NAME_LEN);
	if ((pe = gs_reader_pack_get(rd, pin, hex)) == NULL || pe->bad ||
	    (ref = pack_find(pe, id)) == NULL ||
	    gs_reader_ref_check(rd, pe, ref, type, why, sizeof(why)) != 0)
		return -1;
	*ret_pe = (size_t)(pe - rd->packs);
	*ret_ref = ref;
	return 0;
}

/*
 * gs_reader_size_check(rd, chunks, nchunks, size, why, whycap): whether a
 * file of size bytes can be made of chunks, by the plaintext lengths that
 * the index or the pack headers record for them (gs_reader_chunk_len), so
 * that a forged size is refused before anything is written.  A chunk that
 * nothing knows (it will be reported as unreadable) may hold up to
 * GS_MAX_CHUNK bytes.  Returns 0 when the size agrees; 1 when it cannot,
 * with the reason in why ("the manifest records N bytes, its chunks hold
 * M").
 */
int
gs_reader_size_check(struct gs_reader *rd, const uint8_t (*chunks)[GS_ID_LEN], uint32_t nchunks,
                     uint64_t size, char *why, size_t whycap)
{
	uint64_t held = 0;
	uint32_t i, len, unknown = 0;

	for (i = 0; i < nchunks; i++) {
		if (gs_reader_chunk_len(rd, chunks[i], &len) == 0)
			held += len;
		else
			unknown++;
	}
	/* held <= 2^32 * 2^32 and unknown * GS_MAX_CHUNK < 2^58: no overflow. */
	if (unknown == 0 && held == size)
		return 0;
	if (unknown > 0 && size >= held && size - held <= (uint64_t)unknown * GS_MAX_CHUNK)
		return 0;
	if (unknown == 0)
		snprintf(why, whycap, "the manifest records %llu bytes, its chunks hold %llu",
		         (unsigned long long)size, (unsigned long long)held);
	else
		snprintf(why, whycap,
		         "the manifest records %llu bytes, its chunks hold %llu and %u of unknown "
		         "length at most %llu",
		         (unsigned long long)size, (unsigned long long)held, (unsigned)unknown,
		         (unsigned long long)unknown * GS_MAX_CHUNK);
	return 1;
}
