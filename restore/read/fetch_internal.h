/*
 * fetch_internal.h -- the read engine's state, shared by fetch_plan.c
 * (building the plan, owning thread only, before the workers start) and
 * fetch.c (the workers and the owning thread's hand-out and consumption).
 * fetch.c states the locking rule.
 */
#ifndef GEOSNAP_FETCH_INTERNAL_H
#define GEOSNAP_FETCH_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "geosnap/format.h"
#include "read/fetch.h"
#include "read/reader_internal.h"

#define NONE UINT32_MAX
#define TABCAP (2 * GS_FETCH_WREFS) /* the window's dedup table: a power of 2 */
#define MAX_KEYS_DEDUP 64           /* distinct keys looked for per job */

enum { J_WAIT, J_RUN, J_DONE, J_CANCEL };

struct fref {
	/* In its pack's header, which the reader keeps, unchanged, until it is
	 * freed: read by the workers too. */
	const struct gs_chunk_ref *ref;
	uint32_t at;  /* of its plaintext in the job's arena (a window is at
	                 most GS_FETCH_WINDOW plus one chunk) */
	uint16_t key; /* its key in the window's key block (hand-out) */
	uint8_t ok;   /* delivered (the worker) */
};

struct job {
	uint8_t pack[GS_NAME_LEN];
	size_t pe; /* its pack's entry in the reader */
	uint32_t win;
	struct fref *refs;
	uint32_t nrefs, cap;
	uint64_t arena_len;
	uint8_t *arena; /* its part of the window's buffer, while handed out */
	int state;
};

struct win {
	uint32_t job0, njobs;
	uint64_t bytes;
	uint32_t nrefs;
	uint8_t *keys; /* sodium_malloc'd while handed out */
	size_t nkeys;
	uint8_t *buf; /* the plaintext of its chunks, while handed out */
	size_t bufcap;
};

struct pos {
	uint32_t job, ref; /* job NONE: read through the reader */
};

struct unit {
	uint64_t ord;
	uint64_t pos0;
	uint32_t n;
	uint32_t pe; /* a pack unit's pack (gs_fetch_plan_pack), else NONE */
};

struct slot {
	uint32_t gen, job, ref; /* gen: window + 1; an older one is empty */
};

struct worker {
	struct gs_fetch *f;
	pthread_t th;
	int started;
	struct gs_repo *own; /* a remote worker's connection */
	uint8_t *rbuf;       /* mapped: the current read request */
	size_t rcap;
	ZSTD_DCtx *dctx;
	uint32_t *order;
	size_t ordercap;
};

struct gs_fetch {
	struct gs_reader *rd;
	const struct gs_remote_conf *remote;
	unsigned nworkers;
	struct worker *w;

	struct unit *units;
	size_t nunits, capunits;
	struct pos *pos;
	uint64_t npos, cappos;
	struct job *jobs;
	uint32_t njobs, capjobs;
	struct win *wins;
	uint32_t nwins, capwins;
	uint32_t *packjob; /* reader pack entry -> job + 1 */
	uint8_t *packseen;
	size_t cappackjob;
	struct slot *tab;

	/* running */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	int locks;
	uint32_t next_job;
	uint32_t handed; /* windows [0, handed) were handed out */
	uint32_t cw;     /* the window being consumed; those before are released */
	unsigned alive;  /* workers that may still run jobs */
	int stop, started;
	size_t cu; /* unit cursor */
	/* Window buffers of GS_FETCH_WINDOW bytes, mapped once and reused, so
	 * that the pages are not faulted in and zeroed again for each window. */
	uint8_t *pool[GS_FETCH_AHEAD + 1];
	unsigned npool;

	struct gs_fetch_stats st;
};

/*
 * gs_fetch_grow(p, sz, cap, n): grow the array whose pointer is at p (any
 * T **, read and written with memcpy so that no T * is accessed as a
 * void *) from *cap elements of size sz to hold n; 0 or -1 (warned; the
 * array is unchanged).
 */
int gs_fetch_grow(void *p, size_t sz, size_t *cap, size_t n);

#endif
