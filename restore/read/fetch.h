/*
 * fetch.h -- the read engine: a plan of every chunk a command will read, in
 * the order it will read them, served by worker threads that read each
 * needed part of a pack once, in large requests, and decrypt, decompress
 * and verify on every core while the command writes.
 *
 * Use: gs_fetch_new(), then gs_fetch_plan_file() for each file in the order the command will
 * consume them (files are identified by a strictly increasing ordinal), gs_fetch_start(), then
 * gs_fetch_chunk() for the chunks in that order (files and chunks may be
 * skipped, never revisited), gs_fetch_free().
 *
 * The plan is cut into windows of at most GS_FETCH_WINDOW plaintext bytes
 * of consecutive chunks; within a window, each pack's needed chunks form one
 * job, read as ranges that cover them (gaps up to GS_FETCH_GAP bytes are
 * read through, a request is at most GS_FETCH_REQ bytes).  Workers run the
 * jobs of at most GS_FETCH_AHEAD windows at a time, each window's plaintext
 * in one reused buffer, so the data takes GS_FETCH_AHEAD windows and one
 * request per worker whatever the snapshot's size (more only for a chunk
 * larger than a window).  The plan itself takes about 40 bytes a planned
 * chunk and 32 a file, besides the pack headers the reader keeps.
 *
 * Workers never warn: a chunk they could not read or verify is fetched
 * again by gs_fetch_chunk() on the calling thread through the reader, which
 * tries the other locations and names what failed.  Chunks the snapshot
 * does not pin, or whose pinned pack is unusable, are read that way too.
 *
 * Threads: one thread owns the gs_fetch and the reader; the workers touch
 * only their own jobs, their own connections (remote) or the thread-safe
 * local transport, and copies of the keys they need, which the owning
 * thread makes when it hands a window out.
 */
#ifndef GEOSNAP_FETCH_H
#define GEOSNAP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/config.h"
#include "geosnap/format.h"
#include "read/reader.h"

#define GS_FETCH_WINDOW (4u << 20) /* plaintext bytes of one window */
#define GS_FETCH_WREFS 16384u      /* chunks of one window at most */
#define GS_FETCH_AHEAD 2u          /* windows in memory at a time */
#define GS_FETCH_REQ (2u << 20)    /* bytes of one read request at most */
#define GS_FETCH_GAP (256u << 10)  /* unneeded bytes read through */

struct gs_fetch;

/* What the engine did (gs_fetch_stats()). */
struct gs_fetch_stats {
	uint64_t read_bytes; /* bytes the workers read from packs (the reader
	                        counts its own: gs_reader_read_stats()) */
	uint64_t requests;   /* the workers' read requests */
	uint64_t packs;      /* distinct packs the plan reads */
	uint64_t planned;    /* chunk positions planned */
	uint64_t direct;     /* chunks read one by one through the reader */
	unsigned workers;
};

/*
 * gs_fetch_new(rd, remote, workers): an empty plan over reader rd
 * (borrowed; it must outlive the engine and have the snapshot pinned,
 * gs_reader_pin(), before files are planned).  remote: the configuration
 * rd's repository was opened from, for the workers' own connections, or
 * NULL for a local repository (whose transport the workers share).
 * workers: how many threads; 0 picks remote->connections for a remote and
 * the number of CPUs (at most 4) otherwise.  NULL when out of memory
 * (warned).
 */
struct gs_fetch *gs_fetch_new(struct gs_reader *rd, const struct gs_remote_conf *remote,
                              unsigned workers);

/*
 * gs_fetch_plan_file(f, ord, chunks, n): plan the data chunks of one file
 * (unit ord, greater than every ordinal planned before), located by the
 * snapshot's pins.  0, or -1 when out of memory (warned).
 */
int gs_fetch_plan_file(struct gs_fetch *f, uint64_t ord, const uint8_t (*chunks)[GS_ID_LEN],
                       uint32_t n);

/*
 * gs_fetch_plan_pack(f, ord, pack, ret_n): plan every chunk of pack
 * (binary name) as unit ord, in the order they lie in the pack, each of its
 * own type; *ret_n is how many.
 * For check --read-data.  0; 1 when nothing was planned (the header is
 * unusable, named by the reader, or ord is out of order); -1 when out of
 * memory (warned).
 */
int gs_fetch_plan_pack(struct gs_fetch *f, uint64_t ord, const uint8_t pack[GS_NAME_LEN],
                       uint32_t *ret_n);

/*
 * gs_fetch_start(f): start the workers (a remote one connects first; a
 * worker that cannot connect leaves its share to the others, or, with none
 * left, to the fallback).  0, or -1 (warned).
 */
int gs_fetch_start(struct gs_fetch *f);

/*
 * gs_fetch_chunk(f, ord, i, id, type, ret, ret_len, buf): the plaintext of
 * chunk i of file ord, whose ID is id and type type, verified; *ret points
 * into the engine's memory or into buf, valid until the next call.  Files
 * before ord, and chunks before i of ord, that were not asked for are
 * dropped.  A chunk that is not planned there, or that the workers could
 * not deliver, is read through the reader into buf (gs_reader_chunk(), or
 * which warns).  0, or -1 (warned).
 */
int gs_fetch_chunk(struct gs_fetch *f, uint64_t ord, uint32_t i, const uint8_t id[GS_ID_LEN],
                   uint8_t type, const uint8_t **ret, size_t *ret_len, struct gs_buf *buf);

/*
 * gs_fetch_pack_chunk(f, ord, i, ret_ref, ret, ret_len, buf): the i-th
 * chunk (in plan order) of the pack planned as unit ord: *ret_ref its ref
 * in the pack's header
 * (borrowed from the reader), and, on success, its verified plaintext as
 * gs_fetch_chunk() gives it (not delivered: read with gs_reader_chunk_at(),
 * which warns).  0; -1 when it is unreadable or bad (warned) or ord/i were
 * not planned (*ret_ref then untouched).
 */
int gs_fetch_pack_chunk(struct gs_fetch *f, uint64_t ord, uint32_t i,
                        const struct gs_chunk_ref **ret_ref, const uint8_t **ret, size_t *ret_len,
                        struct gs_buf *buf);

/* gs_fetch_stats(f, ret): what the engine did so far. */
void gs_fetch_stats(const struct gs_fetch *f, struct gs_fetch_stats *ret);

/* gs_fetch_free(f): stop and join the workers, wipe and free (NULL ok). */
void gs_fetch_free(struct gs_fetch *f);

#endif
