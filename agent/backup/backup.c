/*
 * backup.c -- one snapshot of one tenant: gs_backup() and the order of its
 * steps.
 *
 * The main thread walks the sources with libarchive's read_disk and fills
 * one slot per entry in walk order (scan.c).  Entries whose (dev, ino,
 * size, mode, mtime, ctime) match the files cache, and which had settled
 * when they were read (gs_fcache_settled()), are copied from it; regular
 * files that must be read go to a queue served by worker threads, each
 * with its own pack writer (and so its own data key), and a committer
 * thread publishes the packs they fill (store.c).  When the walk and the
 * queue are done, the slots are concatenated into the manifest, which is
 * chunked and stored like file data (stream.c); then the index segment and
 * last the snapshot object are published, so a crash at any point leaves
 * only unreferenced packs that the next run adopts
 * (gs_bk_adopt_orphans()).
 *
 * Locking: everything here runs on the main thread.  run() starts the
 * workers and the committer, sets c->done under c->mu when the walk ends,
 * and joins them all; after it returns (c->sync) the main thread is alone
 * and takes no lock.  The whole rule is in backup_internal.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/chunker.h"
#include "geosnap/progress.h"
#include "backup_internal.h"

/* Mode of state_dir when the backup creates it. */
#define STATE_DIR_MODE 0700

/* pick_alg(cfg, ret): the AEAD of the new packs (GS_ALG_*), as
 * cfg->cipher asks.  0, or -1 (warned) when it asks for AES-GCM on a CPU
 * without AES-NI. */
static int
pick_alg(const struct gs_config *cfg, uint8_t *ret)
{
	switch (cfg->cipher) {
	case GS_CIPHER_XCHACHA:
		*ret = GS_ALG_XCHACHA;
		break;
	case GS_CIPHER_AESGCM:
		if (gs_aead_default() != GS_ALG_AESGCM) {
			gs_warn("%s: cipher = aes256gcm, but this CPU has no AES-NI", cfg->path);
			return -1;
		}
		*ret = GS_ALG_AESGCM;
		break;
	default:
		*ret = gs_aead_default();
	}
	return 0;
}

/* ctx_init(c): initialise the mutexes and condition variables of c.  0, or
 * -1 (warned; none is left initialised). */
static int
ctx_init(struct ctx *c)
{
	if (pthread_mutex_init(&c->mu, NULL))
		goto err0;
	if (pthread_mutex_init(&c->notes_mu, NULL))
		goto err1;
	if (pthread_cond_init(&c->cv_job, NULL))
		goto err2;
	if (pthread_cond_init(&c->cv_space, NULL))
		goto err3;
	if (pthread_cond_init(&c->cv_commit, NULL))
		goto err4;
	if (pthread_cond_init(&c->cv_commit_space, NULL))
		goto err5;
	return 0;
err5:
	pthread_cond_destroy(&c->cv_commit);
err4:
	pthread_cond_destroy(&c->cv_space);
err3:
	pthread_cond_destroy(&c->cv_job);
err2:
	pthread_mutex_destroy(&c->notes_mu);
err1:
	pthread_mutex_destroy(&c->mu);
err0:
	gs_warn("tenant %s: cannot initialise the backup's locks", c->t->name);
	return -1;
}

/* ctx_destroy(c): destroy what ctx_init() initialised. */
static void
ctx_destroy(struct ctx *c)
{
	pthread_cond_destroy(&c->cv_commit_space);
	pthread_cond_destroy(&c->cv_commit);
	pthread_cond_destroy(&c->cv_space);
	pthread_cond_destroy(&c->cv_job);
	pthread_mutex_destroy(&c->notes_mu);
	pthread_mutex_destroy(&c->mu);
}

/* ctx_free(c): free what the run gathered in c (the threads stopped). */
static void
ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->nslots; i++)
		free(c->slots[i].enc.p);
	free(c->slots);
	for (uint32_t i = 0; i < c->nnewpacks; i++)
		free(c->newpacks[i].chunks);
	free(c->newpacks);
	gs_cindex_free(c->ci);
	gs_buf_clear(&c->notes);
}

/* load(c, ret_fcp, ret_fc): the chunker parameters, the chunk index (with
 * the orphan packs adopted) and the files cache (*ret_fc NULL when none is
 * usable: read every file) from its path *ret_fcp (to free).  0, or -1
 * (warned). */
static int
load(struct ctx *c, char **ret_fcp, struct gs_fcache **ret_fc)
{
	const struct gs_config *cfg = c->cfg;

	if (gs_chunker_params_init(&c->cp, c->k->id_key, cfg->chunk_min, cfg->chunk_avg,
	                           cfg->chunk_max)) {
		gs_warn("%s: chunk_min/chunk_avg/chunk_max are not usable", cfg->path);
		return -1;
	}
	if ((c->ci = gs_cindex_new()) == NULL ||
	    gs_cindex_load(c->ci, c->r, c->t->name, c->k->index_key) || gs_bk_adopt_orphans(c))
		return -1;
	if (gs_mkdir_p(cfg->state_dir, STATE_DIR_MODE) ||
	    (*ret_fcp = gs_fcache_path(cfg->state_dir, c->t->name)) == NULL)
		return -1;
	*ret_fc = gs_fcache_load(*ret_fcp);
	return 0;
}

/*
 * run(c, fc, progress): start the committer and the workers, walk the
 * sources (files cache fc, borrowed) while they read and store, then let
 * them finish and stop them.  From then on every data pack is durable and
 * named, and the main thread is alone (c->sync).  0, or -1 (warned).
 */
static int
run(struct ctx *c, const struct gs_fcache *fc, int progress)
{
	unsigned nth = c->cfg->threads < 1 ? 1 : c->cfg->threads, started;
	uint64_t est_bytes, est_files;
	pthread_t *th, committer;
	int rc = -1;

	if ((th = calloc(nth, sizeof(*th))) == NULL)
		goto err0;
	if (pthread_create(&committer, NULL, gs_bk_committer_main, c)) {
		gs_warn("cannot start the pack committer thread");
		goto err1;
	}
	for (started = 0; started < nth; started++)
		if (pthread_create(&th[started], NULL, gs_bk_worker_main, c)) {
			gs_warn("cannot start worker threads");
			break;
		}
	/* The previous run's totals are the estimate for the ETA. */
	gs_fcache_totals(fc, &est_bytes, &est_files);
	gs_progress_init(&c->pg, progress, est_bytes, est_files);
	rc = started == nth ? gs_bk_scan(c, fc) : -1;
	pthread_mutex_lock(&c->mu);
	c->done = 1;
	if (rc)
		gs_bk_set_failed(c);
	pthread_cond_broadcast(&c->cv_job);
	pthread_mutex_unlock(&c->mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	gs_progress_add(&c->pg, c->bytes_done - c->pg.bytes, 0);
	gs_progress_done(&c->pg);
	/* Every data pack is durable and named before anything pins it; from
	 * here on this thread is the only one. */
	gs_bk_committer_stop(c, committer);
	c->sync = 1;
	if (c->failed)
		rc = -1;
err1:
	free(th);
err0:
	return rc;
}

/* cache_changed(c, fc): whether the next files cache differs from fc, the
 * one loaded. */
static int
cache_changed(const struct ctx *c, const struct gs_fcache *fc)
{
	size_t hits = 0;

	for (size_t i = 0; i < c->nslots; i++) {
		if (c->slots[i].cached)
			hits++;
		else if (c->slots[i].cacheable && c->slots[i].enc.len)
			return 1;
	}
	return fc == NULL || hits != gs_fcache_count(fc);
}

/* save_fcache(c, fc, path): write the slots that may be cached as the next
 * files cache at path, unless it would be fc again.  Failure is warned:
 * the next backup then reads every file. */
static void
save_fcache(const struct ctx *c, const struct gs_fcache *fc, const char *path)
{
	struct gs_fcache_writer *fw;

	if (!cache_changed(c, fc))
		return;
	fw = gs_fcache_writer_new(path);
	for (size_t i = 0; fw && i < c->nslots; i++) {
		const uint8_t *p;
		size_t len;

		if (c->slots[i].cacheable && (p = slot_bytes(&c->slots[i], &len)))
			gs_fcache_writer_add(fw, &c->slots[i].st, p, len);
	}
	if (fw == NULL || gs_fcache_writer_commit(fw))
		gs_warn("tenant %s: files cache not updated; the next backup will re-read every "
		        "file",
		        c->t->name);
	gs_fcache_writer_free(fw);
}

/* publish_snapshot(c, info, sealed, meta, refpins, now, t0): complete info
 * and sealed (meta and refpins borrowed) with the run's counts, taken at
 * now and begun at t0 (gs_mono_ns()), and publish the snapshot object; its
 * name goes to c->res.snapshot.  0, or -1 (warned). */
static int
publish_snapshot(struct ctx *c, struct gs_snap_info *info, struct gs_snap_sealed *sealed,
                 const struct idlist *meta, const struct gs_buf *refpins, int64_t now, int64_t t0)
{
	struct gs_buf snap = {0};
	int rc = -1;

	info->time_ns = now;
	info->host = c->cfg->host;
	info->tenant = (char *)c->t->name;
	info->files = c->res.files_stored;
	info->new_bytes = c->res.new_bytes;
	info->stored_new_bytes = c->res.stored_new_bytes;
	info->new_chunks = c->res.new_chunks;
	info->files_seen = c->res.files_seen;
	info->bytes_seen = c->res.bytes_seen;
	info->vanished = c->res.vanished;
	info->changed = c->res.changed;
	info->unreadable = c->res.unreadable;
	info->duration_ns = gs_mono_ns() - t0;
	info->refchunks = (struct gs_pin *)refpins->p;
	c->res.bytes_stored = info->bytes;
	sealed->nmeta = meta->n;
	sealed->meta = meta->v;
	if (gs_snap_encode(c->k, info, sealed, &snap) == 0 &&
	    gs_repo_put(c->r, c->t->name, GS_OBJ_SNAP, snap.p, snap.len, c->res.snapshot) == 0)
		rc = 0;
	gs_buf_clear(&snap);
	return rc;
}

/*
 * gs_backup(cfg, t, r, k, progress, ret): walk the tenant's sources, store
 * new chunks, publish a snapshot.  Borrows everything.  Returns 0 on a clean
 * snapshot, 1 when a snapshot was published but some source files vanished,
 * changed or could not be read (each named on stderr), -1 when no snapshot
 * was published (warned).  The caller has made the tenant's layout
 * (gs_repo_tenant_init) and holds its writer lock (gs_repo_lock).
 */
int
gs_backup(const struct gs_config *cfg, const struct gs_tenant_conf *t, const struct gs_repo *r,
          const struct gs_wkey *k, int progress, struct gs_backup_result *ret)
{
	struct ctx c = {.cfg = cfg, .t = t, .r = r, .k = k};
	struct gs_fcache *fc = NULL;
	struct idlist meta = {0};
	struct gs_buf refpins = {0};
	struct gs_snap_info info = {0};
	struct gs_snap_sealed sealed = {0};
	int64_t t0 = gs_mono_ns(), now = gs_now_ns();
	char *fcp = NULL;
	int rc = -1;

	if (pick_alg(cfg, &c.alg) || ctx_init(&c))
		goto err0;
	gs_repo_sweep(r, t->name);
	if (load(&c, &fcp, &fc) || run(&c, fc, progress))
		goto err1;
	/* The files cache is an optimisation, rewritten only when some entry
	 * did not come from it unchanged.  Writing it before the snapshot is
	 * safe: a cached entry is reused only if its chunks are indexed. */
	save_fcache(&c, fc, fcp);
	if (gs_bk_store_manifest(&c, &info, &sealed, &meta, &refpins))
		goto err2;
	gs_fcache_free(fc); /* the manifest held the last borrowed records */
	fc = NULL;
	/* Every pack is durable and named before the index names it, and the
	 * index is before the snapshot that needs it. */
	if (gs_bk_publish_index(&c) ||
	    publish_snapshot(&c, &info, &sealed, &meta, &refpins, now, t0))
		goto err2;
	gs_bk_scanreport_write(cfg, t->name, c.res.snapshot, &c.notes);
	c.res.duration_ns = gs_mono_ns() - t0;
	*ret = c.res;
	rc = (c.res.vanished || c.res.changed || c.res.unreadable) ? 1 : 0;
err2:
	free(meta.v);
	gs_buf_clear(&refpins);
err1:
	ctx_free(&c);
	gs_fcache_free(fc);
	free(fcp);
	ctx_destroy(&c);
err0:
	return rc;
}
