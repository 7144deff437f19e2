/*
 * backup_internal.h -- what the files of agent/backup/ share: the context of
 * one run (struct ctx), its slots and jobs, and the chunk writers.
 *
 *   backup.c      gs_backup(): the order of the steps, the threads' start
 *                 and stop, the files cache and the snapshot object
 *   scan.c        the walk (main thread): one slot per entry, the files
 *                 cache lookup, jobs for the workers
 *   store.c       the workers and the committer, put_chunk, the new packs
 *                 and the index segments naming them
 *   stream.c      chunking a stream: a file (on a worker), the manifest and
 *                 the reference stream (main thread, after the threads stop)
 *   scanreport.c  the notes on files that vanished, changed or could not
 *                 be read, and state_dir/<tenant>.scan
 *   fcache.c      the files cache (fcache.h)
 *
 * Threads.  The main thread walks the sources while the workers read the
 * regular files it queues and the committer publishes the packs they
 * fill; then it stops them all and finishes alone.
 *
 * Locking (the rule of every file here).  The fields of struct ctx above mu
 * are set before any thread starts and only read after.  mu guards
 * everything below it that more than one thread touches: while the walker
 * (main thread), the workers and the committer run, each takes it for
 * every read and write, and so do the functions documented "called with
 * c->mu held".  Exceptions: res.files_seen is written and read only by the
 * walker, pg only by the main thread, and notes has its own notes_mu.  Once
 * the workers and the committer are joined (c->sync), the main thread is
 * alone and needs no lock.  failed is set only through gs_bk_set_failed(),
 * which wakes every waiter.
 */
#ifndef GS_BACKUP_INTERNAL_H
#define GS_BACKUP_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <zstd.h>

#include "geosnap/backup.h"
#include "geosnap/chunker.h"
#include "geosnap/format.h"
#include "geosnap/pack.h"
#include "geosnap/progress.h"
#include "geosnap/util.h"
#include "geosnap/fcache.h"

/* Jobs (regular files to read) waiting for a worker; the walker waits
 * while this many are queued. */
#define BK_QUEUE_MAX 256
/* Finished packs waiting for the committer; a worker with a full pack
 * waits while this many are queued. */
#define BK_COMMIT_QUEUE 4
/* Length of a file's content hash (XXH3-128, struct gs_mentry's hash). */
#define BK_HASH_LEN 16

/* One manifest entry in walk order. */
struct slot {
	struct gs_buf enc;     /* encoded entry (u32 len + body), empty = dropped */
	const uint8_t *cached; /* or: the files cache's record, borrowed */
	size_t cachedlen;
	struct gs_fc_stat st; /* for the next files cache: the walker's lstat */
	int cacheable;        /* settled and read unchanged: keep in the cache */
};

/* slot_bytes(s, ret_len): the encoded entry of a slot, or NULL if dropped. */
static inline const uint8_t *
slot_bytes(const struct slot *s, size_t *ret_len)
{
	if (s->cached) {
		*ret_len = s->cachedlen;
		return s->cached;
	}
	*ret_len = s->enc.len;
	return s->enc.len ? s->enc.p : NULL;
}

/* A regular file for a worker to read into slot number slot. */
struct job {
	size_t slot;
	char *srcpath;
	struct gs_mentry e; /* metadata filled by the walker */
	struct stat st;
	struct job *next;
};

/* The run.  See the locking rule above. */
struct ctx {
	const struct gs_config *cfg;
	const struct gs_tenant_conf *t;
	const struct gs_repo *r;
	const struct gs_wkey *k;
	struct gs_chunker_params cp;
	uint8_t alg;

	pthread_mutex_t mu; /* guards everything below (see above) */
	pthread_cond_t cv_job, cv_space;
	struct gs_cindex *ci;
	struct slot *slots;
	size_t nslots, capslots;
	struct job *qhead, *qtail;
	size_t qlen;
	int done, failed;
	struct gs_index_pack *newpacks;
	uint32_t nnewpacks, capnewpacks;
	/* Finished packs wait here for the committer thread, which fsyncs and
	 * publishes them while the workers go on. */
	pthread_cond_t cv_commit, cv_commit_space;
	struct gs_pack_writer *cq[BK_COMMIT_QUEUE];
	size_t cqhead, cqlen;
	int commit_done;
	/* Set once the workers and the committer have stopped: the manifest
	 * and reference streams are then committed by the main thread as
	 * their packs fill, so every chunk's pack is named before the
	 * reference stream pins it. */
	int sync;
	struct gs_backup_result res;
	uint64_t bytes_done;   /* read, or reused from the files cache */
	struct gs_progress pg; /* main thread only */
	/* Source files that vanished, changed or could not be read, one line
	 * each, kept in state_dir/<tenant>.scan for verify to list. */
	pthread_mutex_t notes_mu;
	struct gs_buf notes;
};

/* Per-thread state for storing chunks (each worker has one, and so has
 * each stream the main thread stores after the threads stop). */
struct writer {
	struct ctx *c;
	struct gs_pack_writer *pw;
	ZSTD_CCtx *zc;
	uint8_t *zbuf;
	size_t zcap;
	uint8_t zero_id[GS_ID_LEN]; /* ID of the last all-zero chunk */
	size_t zero_len;
};

/* Chunk list under construction. */
struct idlist {
	uint8_t (*v)[GS_ID_LEN];
	uint32_t n, cap;
};

/* ---- store.c ------------------------------------------------------- */

/* The location of a chunk claimed by a pack that is not published yet
 * (the committer relocates it to the pack's name). */
extern const uint8_t gs_bk_pending_pack[GS_NAME_LEN];

/* gs_bk_set_failed(c): mark the run failed and wake every thread that
 * waits on c.  Called with c->mu held. */
void gs_bk_set_failed(struct ctx *c);

/* gs_bk_writer_init(w, c): a writer for c (borrowed) with its own zstd
 * context; no pack until the first new chunk.  0, or -1 (warned; free w
 * with gs_bk_writer_free() all the same). */
int gs_bk_writer_init(struct writer *w, struct ctx *c);
/* gs_bk_writer_flush(w): hand w's pack to the committer (before c->sync;
 * waits while its queue is full) or, once c->sync is set, publish it
 * here.  0, or -1 (warned, or the run has failed). */
int gs_bk_writer_flush(struct writer *w);
/* gs_bk_writer_free(w): drop an unflushed pack and w's buffers. */
void gs_bk_writer_free(struct writer *w);

/* gs_bk_put_chunk(w, buf, len, type, ret_id): store one chunk (GS_CT_*)
 * unless the tenant already has it; its ID goes to ret_id either way.
 * Borrows buf.  Takes c->mu itself.  0, or -1 (warned). */
int gs_bk_put_chunk(struct writer *w, const uint8_t *buf, size_t len, uint8_t type,
                    uint8_t ret_id[GS_ID_LEN]);

/* gs_bk_enqueue(c, j): queue j for the workers, waiting while
 * BK_QUEUE_MAX jobs are queued.  Takes ownership of j.  Main thread.  0,
 * or -1 when the run has failed (j freed). */
int gs_bk_enqueue(struct ctx *c, struct job *j);

/* gs_bk_worker_main(c): a worker thread (pthread_create argument c):
 * read, chunk and store queued files into their slots until c->done and
 * the queue is empty, or c->failed.  Returns NULL. */
void *gs_bk_worker_main(void *arg);
/* gs_bk_committer_main(c): the committer thread: commit and record the
 * packs the workers queue until gs_bk_committer_stop().  Returns NULL. */
void *gs_bk_committer_main(void *arg);
/* gs_bk_committer_stop(c, th): let the committer th finish what is queued
 * and join it. */
void gs_bk_committer_stop(struct ctx *c, pthread_t th);

/* gs_bk_adopt_orphans(c): add the packs no index names (left by a killed
 * run) to c->ci and c->newpacks.  Before the threads start.  0, or -1
 * (warned). */
int gs_bk_adopt_orphans(struct ctx *c);
/* gs_bk_publish_index(c): publish the index segment(s) naming
 * c->newpacks.  After the threads stop.  0, or -1 (warned). */
int gs_bk_publish_index(struct ctx *c);

/* ---- stream.c ------------------------------------------------------ */

/*
 * gs_bk_read_file(w, j, bufp, capp, ret, ret_hash, ret_size, ret_changed,
 * ret_moved): read and chunk the regular file of job j through w, staging
 * in *bufp (*capp bytes, borrowed).  Returns 0 (the chunk IDs in ret, to
 * free; the XXH3-128 of the content in ret_hash, its length in ret_size),
 * 1 if it vanished or could not be read (noted and counted), -1 on a fatal
 * error (warned).  On 0, *ret_changed is set when it was replaced or its
 * size, mtime or length moved while read (noted), and *ret_moved when only
 * its ctime did (not noted: a chmod, an xattr, a link or unlink, or a
 * writer that put mtime back; not to be cached).  On a worker thread.
 */
int gs_bk_read_file(struct writer *w, struct job *j, uint8_t **bufp, size_t *capp,
                    struct idlist *ret, uint8_t ret_hash[BK_HASH_LEN], uint64_t *ret_size,
                    int *ret_changed, int *ret_moved);

/*
 * gs_bk_store_manifest(c, info, sealed, meta, refpins): store the manifest
 * (its chunk IDs into meta, its length into sealed) and the reference
 * stream (the pins of its chunks into refpins); fills the counts of info.
 * After the threads stop (c->sync).  0, or -1 (warned).
 */
int gs_bk_store_manifest(struct ctx *c, struct gs_snap_info *info, struct gs_snap_sealed *sealed,
                         struct idlist *meta, struct gs_buf *refpins);

/* ---- scan.c -------------------------------------------------------- */

/* gs_bk_scan(c, fc): walk every source of c->t in order, filling slots
 * from fc (borrowed, may be NULL) or queueing jobs.  Main thread, while
 * the workers run.  0, or -1 (warned). */
int gs_bk_scan(struct ctx *c, const struct gs_fcache *fc);

/* ---- scanreport.c -------------------------------------------------- */

/* gs_bk_scan_note(c, fmt, ...): warn about a source file ("tenant T: ...")
 * and keep the line for the scan report.  Any thread (takes notes_mu). */
void gs_bk_scan_note(struct ctx *c, const char *fmt, ...) GS_PRINTF(2, 3);

/* gs_bk_scanreport_write(cfg, tenant, snap, notes): replace
 * state_dir/<tenant>.scan with "snapshot SNAP" and the notes.  Failures
 * are warned, not returned: losing it loses only the names verify lists. */
void gs_bk_scanreport_write(const struct gs_config *cfg, const char *tenant, const char *snap,
                            const struct gs_buf *notes);

#endif
