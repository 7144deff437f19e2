/*
 * fetch.c -- the read engine running (fetch.h); fetch_plan.c builds the plan.
 *
 * The owning thread hands windows out (copying the keys their jobs need
 * into a sodium_malloc'd block, since the reader's key array may move) up
 * to GS_FETCH_AHEAD windows past the one it consumes, and releases a window
 * (waiting for its running jobs, cancelling those not yet taken) once it
 * consumes a later one.  Workers take jobs in plan order.
 *
 * Locking: f->mu guards next_job, handed, alive, stop, every job's state
 * and the statistics; a job's refs' ok flags and its arena are written by
 * the one worker running it and read by the owning thread only after it saw
 * the job done under f->mu.  The plan's arrays do not move once the
 * workers run.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "geosnap/repo.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "read/fetch.h"
#include "read/fetch_internal.h"

/* ---- workers ----------------------------------------------------------- */

static int
order_cmp(const void *a, const void *b, void *arg)
{
	const struct job *jb = arg;
	uint64_t x = jb->refs[*(const uint32_t *)a].ref->offset;
	uint64_t y = jb->refs[*(const uint32_t *)b].ref->offset;

	return x < y ? -1 : x > y;
}

/* Room for n bytes in w's read buffer (GS_FETCH_REQ, more only for a
 * larger chunk); 0 or -1. */
static int
rbuf_reserve(struct worker *w, size_t n)
{
	size_t cap = n > GS_FETCH_REQ ? n : GS_FETCH_REQ;
	uint8_t *p;

	if (n <= w->rcap)
		return 0;
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if (w->rbuf != NULL) {
		sodium_memzero(w->rbuf, w->rcap);
		munmap(w->rbuf, w->rcap);
	}
	w->rbuf = p;
	w->rcap = cap;
	return 0;
}

/*
 * Run job jb with keys (its window's block): read the ranges that cover its
 * chunks, decode each into the arena.  Failures leave ok at 0.
 */
static void
run_job(struct worker *w, struct job *jb, const uint8_t *keys)
{
	struct gs_fetch *f = w->f;
	const struct gs_repo *repo = w->own != NULL ? w->own : gs_reader_repo(f->rd);
	const char *tenant = gs_reader_tenant(f->rd);
	const uint8_t *id_key = gs_reader_key(f->rd)->w.id_key;
	uint64_t start, end, nbytes = 0, nreq = 0;
	char hex[GS_NAME_HEX], why[200];
	uint32_t i, k, first;
	size_t cap = w->ordercap;

	gs_hex(hex, jb->pack, GS_NAME_LEN);
	if (jb->arena == NULL)
		return;
	if (gs_fetch_grow(&w->order, sizeof(*w->order), &cap, jb->nrefs) != 0)
		return;
	w->ordercap = cap;
	for (i = 0; i < jb->nrefs; i++)
		w->order[i] = i;
	qsort_r(w->order, jb->nrefs, sizeof(*w->order), order_cmp, jb);
	for (k = 0; k < jb->nrefs; k = i) {
		first = k;
		start = jb->refs[w->order[k]].ref->offset;
		end = start + jb->refs[w->order[k]].ref->stored_len;
		for (i = k + 1; i < jb->nrefs; i++) {
			const struct gs_chunk_ref *r = jb->refs[w->order[i]].ref;
			uint64_t e = r->offset + r->stored_len;

			if (r->offset > end + GS_FETCH_GAP ||
			    (e > end ? e : end) - start > GS_FETCH_REQ)
				break;
			if (e > end)
				end = e;
		}
		if (rbuf_reserve(w, (size_t)(end - start)) != 0)
			continue;
		nreq++;
		nbytes += end - start;
		if (gs_repo_read_range(repo, tenant, GS_OBJ_PACK, hex, start, (size_t)(end - start),
		                       w->rbuf) != 0)
			continue;
		for (; first < i; first++) {
			struct fref *fr = &jb->refs[w->order[first]];

			fr->ok =
			    gs_chunk_decode(fr->ref, keys + (size_t)fr->key * GS_KEY_LEN, id_key,
			                    w->rbuf + (fr->ref->offset - start), w->dctx, NULL,
			                    jb->arena + fr->at, why, sizeof(why)) == 0;
		}
	}
	pthread_mutex_lock(&f->mu);
	f->st.read_bytes += nbytes;
	f->st.requests += nreq;
	pthread_mutex_unlock(&f->mu);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct gs_fetch *f = w->f;
	struct job *jb;
	int ok = 1;

	if (f->remote != NULL && (w->own = gs_repo_open_remote(f->remote)) == NULL)
		ok = 0; /* warned; the others, or the fallback, read its share */
	if (ok && (w->dctx = ZSTD_createDCtx()) == NULL)
		ok = 0;
	pthread_mutex_lock(&f->mu);
	while (ok && !f->stop) {
		if (f->next_job >= f->njobs)
			break;
		jb = &f->jobs[f->next_job];
		if (jb->state == J_CANCEL) {
			f->next_job++;
			continue;
		}
		if (jb->win >= f->handed) {
			pthread_cond_wait(&f->work, &f->mu);
			continue;
		}
		f->next_job++;
		jb->state = J_RUN;
		pthread_mutex_unlock(&f->mu);
		run_job(w, jb, f->wins[jb->win].keys);
		pthread_mutex_lock(&f->mu);
		jb->state = J_DONE;
		pthread_cond_broadcast(&f->done);
	}
	f->alive--;
	pthread_cond_broadcast(&f->done);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* ---- running ----------------------------------------------------------- */

/* Copy the keys of window wi's jobs into its own block; 0 or -1 (then its
 * jobs read nothing and the fallback reads their chunks). */
static int
hand_keys(struct gs_fetch *f, uint32_t wi)
{
	struct gs_reader *rd = f->rd;
	struct win *w = &f->wins[wi];
	uint16_t seen[MAX_KEYS_DEDUP];
	uint32_t j, i, s, nseen;
	size_t n = 0;

	for (j = w->job0; j < w->job0 + w->njobs; j++) {
		struct job *jb = &f->jobs[j];
		size_t base = n;

		nseen = 0;
		for (i = 0; i < jb->nrefs; i++) {
			struct fref *fr = &jb->refs[i];

			for (s = 0; s < nseen; s++)
				if (seen[s] == fr->ref->key_idx)
					break;
			if (s < nseen) {
				fr->key = (uint16_t)(base + s);
				continue;
			}
			/* A job's distinct keys take consecutive entries; past
			 * MAX_KEYS_DEDUP of them (forged) one entry per chunk. */
			if (nseen < MAX_KEYS_DEDUP)
				seen[nseen++] = fr->ref->key_idx;
			fr->key = (uint16_t)n++;
		}
	}
	if ((w->keys = sodium_allocarray(n ? n : 1, GS_KEY_LEN)) == NULL) {
		gs_warnp("cannot allocate secure memory for data keys");
		return -1;
	}
	w->nkeys = n;
	for (j = w->job0; j < w->job0 + w->njobs; j++) {
		struct job *jb = &f->jobs[j];

		for (i = 0; i < jb->nrefs; i++)
			memcpy(w->keys + (size_t)jb->refs[i].key * GS_KEY_LEN,
			       gs_reader_ref_key(rd, &rd->packs[jb->pe], jb->refs[i].ref),
			       GS_KEY_LEN);
	}
	/* The plaintext buffer: a pooled one, or its own for a window that
	 * one large chunk makes larger. */
	if (w->bytes <= GS_FETCH_WINDOW && f->npool > 0) {
		w->buf = f->pool[--f->npool];
		w->bufcap = GS_FETCH_WINDOW;
	} else {
		w->bufcap = w->bytes > GS_FETCH_WINDOW ? w->bytes : GS_FETCH_WINDOW;
		w->buf = mmap(NULL, w->bufcap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		              -1, 0);
		if (w->buf == MAP_FAILED) {
			w->buf = NULL;
			gs_warnp("mmap");
			return -1;
		}
	}
	for (j = w->job0, n = 0; j < w->job0 + w->njobs; j++) {
		f->jobs[j].arena = w->buf + n;
		n += f->jobs[j].arena_len;
	}
	return 0;
}

/* Hand windows out up to GS_FETCH_AHEAD past the one consumed. */
static void
hand_out(struct gs_fetch *f)
{
	uint32_t upto = f->cw + GS_FETCH_AHEAD, wi, j;

	if (upto > f->nwins)
		upto = f->nwins;
	/* Windows skipped over were released unhanded (their jobs cancelled). */
	wi = f->handed > f->cw ? f->handed : f->cw;
	for (; wi < upto; wi++) {
		if (hand_keys(f, wi) != 0) {
			pthread_mutex_lock(&f->mu);
			for (j = f->wins[wi].job0; j < f->wins[wi].job0 + f->wins[wi].njobs; j++)
				f->jobs[j].state = J_CANCEL;
			pthread_mutex_unlock(&f->mu);
		}
		pthread_mutex_lock(&f->mu);
		f->handed = wi + 1;
		pthread_cond_broadcast(&f->work);
		pthread_mutex_unlock(&f->mu);
	}
}

/* Release window wi: cancel its jobs not taken, wait for those running,
 * free their memory and its keys. */
static void
release(struct gs_fetch *f, uint32_t wi)
{
	struct win *w = &f->wins[wi];
	uint32_t j;

	pthread_mutex_lock(&f->mu);
	for (j = w->job0; j < w->job0 + w->njobs; j++) {
		if (f->jobs[j].state == J_WAIT)
			f->jobs[j].state = J_CANCEL;
		while (f->jobs[j].state == J_RUN)
			pthread_cond_wait(&f->done, &f->mu);
	}
	pthread_mutex_unlock(&f->mu);
	if (w->buf != NULL) {
		if (w->bufcap == GS_FETCH_WINDOW && f->npool < GS_FETCH_AHEAD + 1) {
			f->pool[f->npool++] = w->buf;
		} else {
			sodium_memzero(w->buf, w->bufcap);
			munmap(w->buf, w->bufcap);
		}
		w->buf = NULL;
	}
	for (j = w->job0; j < w->job0 + w->njobs; j++) {
		f->jobs[j].arena = NULL;
		free(f->jobs[j].refs);
		f->jobs[j].refs = NULL;
		f->jobs[j].nrefs = 0;
	}
	if (w->keys != NULL)
		sodium_free(w->keys);
	w->keys = NULL;
}

/*
 * gs_fetch_start(f): see fetch.h.
 */
int
gs_fetch_start(struct gs_fetch *f)
{
	unsigned i;

	if (f->started)
		return 0;
	f->started = 1;
	/* What planning freed (a whole walk of the manifest) goes back to the
	 * system, not on top of the windows. */
	malloc_trim(0);
	if (f->njobs == 0)
		return 0;
	if (pthread_mutex_init(&f->mu, NULL) != 0 || pthread_cond_init(&f->work, NULL) != 0 ||
	    pthread_cond_init(&f->done, NULL) != 0) {
		gs_warn("cannot set up the read engine's locks");
		return -1;
	}
	f->locks = 1;
	if ((f->w = calloc(f->nworkers, sizeof(*f->w))) == NULL) {
		gs_warnp("calloc");
		return -1;
	}
	hand_out(f);
	for (i = 0; i < f->nworkers; i++) {
		f->w[i].f = f;
		pthread_mutex_lock(&f->mu);
		f->alive++;
		pthread_mutex_unlock(&f->mu);
		if (pthread_create(&f->w[i].th, NULL, worker_main, &f->w[i]) != 0) {
			pthread_mutex_lock(&f->mu);
			f->alive--;
			pthread_mutex_unlock(&f->mu);
			gs_warn("cannot start a read thread; reading with fewer");
			continue;
		}
		f->w[i].started = 1;
		f->st.workers++;
	}
	return 0;
}

/* Read chunk id through the reader into buf. */
static int
direct(struct gs_fetch *f, const uint8_t id[GS_ID_LEN], uint8_t type, const uint8_t **ret,
       size_t *ret_len, struct gs_buf *buf)
{
	f->st.direct++;
	if (gs_reader_chunk(f->rd, id, type, buf) != 0)
		return -1;
	*ret = buf->p;
	*ret_len = buf->len;
	return 0;
}

/*
 * The delivered chunk i of unit ord, after releasing the windows before
 * it; NULL when it must be read through the reader (not planned there,
 * asked for out of order, or not delivered).
 */
static const struct fref *
ready_ref(struct gs_fetch *f, uint64_t ord, uint32_t i, const struct job **ret_job)
{
	const struct pos *p;
	struct fref *fr;
	struct job *jb;
	int ready;

	while (f->cu < f->nunits && f->units[f->cu].ord < ord)
		f->cu++;
	if (!f->locks || f->cu == f->nunits || f->units[f->cu].ord != ord || i >= f->units[f->cu].n)
		return NULL;
	p = &f->pos[f->units[f->cu].pos0 + i];
	if (p->job == NONE)
		return NULL;
	jb = &f->jobs[p->job];
	if (jb->win < f->cw)
		return NULL;
	while (f->cw < jb->win)
		release(f, f->cw++);
	hand_out(f);
	fr = &jb->refs[p->ref];
	pthread_mutex_lock(&f->mu);
	while (jb->state != J_DONE && jb->state != J_CANCEL && f->alive > 0)
		pthread_cond_wait(&f->done, &f->mu);
	ready = jb->state == J_DONE;
	pthread_mutex_unlock(&f->mu);
	if (!ready || !fr->ok || jb->arena == NULL)
		return NULL;
	*ret_job = jb;
	return fr;
}

/*
 * gs_fetch_chunk(f, ord, i, id, type, ret, ret_len, buf): see fetch.h.
 */
int
gs_fetch_chunk(struct gs_fetch *f, uint64_t ord, uint32_t i, const uint8_t id[GS_ID_LEN],
               uint8_t type, const uint8_t **ret, size_t *ret_len, struct gs_buf *buf)
{
	const struct fref *fr;
	const struct job *jb;

	fr = ready_ref(f, ord, i, &jb);
	if (fr == NULL || memcmp(fr->ref->id, id, GS_ID_LEN) != 0 || fr->ref->type != type)
		return direct(f, id, type, ret, ret_len, buf);
	*ret = jb->arena + fr->at;
	*ret_len = fr->ref->raw_len;
	return 0;
}

/*
 * gs_fetch_pack_chunk(f, ord, i, ret_ref, ret, ret_len, buf): see fetch.h.
 */
int
gs_fetch_pack_chunk(struct gs_fetch *f, uint64_t ord, uint32_t i,
                    const struct gs_chunk_ref **ret_ref, const uint8_t **ret, size_t *ret_len,
                    struct gs_buf *buf)
{
	struct gs_reader *rd = f->rd;
	const struct gs_chunk_ref *ref;
	const struct fref *fr;
	const struct job *jb;
	const struct pos *p;
	char hex[GS_NAME_HEX];
	size_t ipe;

	fr = ready_ref(f, ord, i, &jb); /* moves f->cu to the unit, if planned */
	if (f->cu == f->nunits || f->units[f->cu].ord != ord ||
	    (ipe = f->units[f->cu].pe) == NONE || i >= rd->packs[ipe].nchunks)
		return -1;
	/* The plan's chunk i: the engine's ref, or the header's when unplanned
	 * (see gs_fetch_plan_pack). */
	p = &f->pos[f->units[f->cu].pos0 + i];
	ref = p->job != NONE ? f->jobs[p->job].refs[p->ref].ref : &rd->packs[ipe].chunks[p->ref];
	*ret_ref = ref;
	if (fr != NULL) {
		*ret = jb->arena + fr->at;
		*ret_len = fr->ref->raw_len;
		return 0;
	}
	f->st.direct++;
	gs_hex(hex, rd->packs[ipe].name, GS_NAME_LEN);
	if (gs_reader_chunk_at(rd, hex, ref, buf) != 0)
		return -1;
	*ret = buf->p;
	*ret_len = buf->len;
	return 0;
}

/* gs_fetch_stats(f, ret): see fetch.h. */
void
gs_fetch_stats(const struct gs_fetch *f, struct gs_fetch_stats *ret)
{
	struct gs_fetch *mf = (struct gs_fetch *)f;

	if (f->locks)
		pthread_mutex_lock(&mf->mu);
	*ret = f->st;
	if (f->locks)
		pthread_mutex_unlock(&mf->mu);
}

/* gs_fetch_free(f): see fetch.h. */
void
gs_fetch_free(struct gs_fetch *f)
{
	unsigned i;
	uint32_t wi;

	if (f == NULL)
		return;
	if (f->locks) {
		pthread_mutex_lock(&f->mu);
		f->stop = 1;
		pthread_cond_broadcast(&f->work);
		pthread_mutex_unlock(&f->mu);
	}
	for (i = 0; f->w != NULL && i < f->nworkers; i++) {
		if (f->w[i].started)
			pthread_join(f->w[i].th, NULL);
		gs_repo_free(f->w[i].own);
		if (f->w[i].rbuf != NULL) {
			sodium_memzero(f->w[i].rbuf, f->w[i].rcap); /* decrypted in place */
			munmap(f->w[i].rbuf, f->w[i].rcap);
		}
		ZSTD_freeDCtx(f->w[i].dctx);
		free(f->w[i].order);
	}
	free(f->w);
	for (wi = 0; wi < f->nwins; wi++) {
		if (f->locks)
			release(f, wi);
		else
			for (uint32_t j = f->wins[wi].job0;
			     j < f->wins[wi].job0 + f->wins[wi].njobs; j++)
				free(f->jobs[j].refs);
	}
	while (f->npool > 0) {
		f->npool--;
		sodium_memzero(f->pool[f->npool], GS_FETCH_WINDOW);
		munmap(f->pool[f->npool], GS_FETCH_WINDOW);
	}
	if (f->locks) {
		pthread_cond_destroy(&f->work);
		pthread_cond_destroy(&f->done);
		pthread_mutex_destroy(&f->mu);
	}
	free(f->jobs);
	free(f->wins);
	free(f->pos);
	free(f->units);
	free(f->packjob);
	free(f->packseen);
	free(f->tab);
	free(f);
}
