/*
 * fetch.c -- the read engine (fetch.h).
 *
 * Planning (owning thread): every planned chunk becomes a position that
 * names a job and a chunk of that job.  Positions are cut into windows;
 * within a window, the chunks of one pack form one job, and a chunk asked
 * for twice in a window is read once.  The plan is complete before any
 * worker starts, so its arrays never move while workers read them.
 *
 * Running: the owning thread hands windows out (copying the keys their jobs
 * need into a sodium_malloc'd block, since the reader's key array may move)
 * up to GS_FETCH_AHEAD windows past the one it consumes, and releases a
 * window (waiting for its running jobs, cancelling those not yet taken)
 * once it consumes a later one.  Workers take jobs in plan order.
 *
 * Locking: f->mu guards next_job, handed, alive, stop, every job's state
 * and the statistics; a job's refs' ok flags and its arena are written by
 * the one worker running it and read by the owning thread only after it saw
 * the job done under f->mu.
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

/* ---- planning ---------------------------------------------------------- */

/*
 * Grow the array whose pointer is at p (any T **, read and written with
 * memcpy so that no T * is accessed as a void *) from *cap elements of size
 * sz to hold n; 0 or -1 (warned; the array is unchanged).
 */
static int
grow(void *p, size_t sz, size_t *cap, size_t n)
{
	size_t ncap = *cap ? *cap : 64;
	void *old, *np;

	if (n <= *cap)
		return 0;
	while (ncap < n)
		ncap *= 2;
	memcpy(&old, p, sizeof(old));
	if ((np = reallocarray(old, ncap, sz)) == NULL) {
		gs_warnp("reallocarray");
		return -1;
	}
	memcpy(p, &np, sizeof(np));
	*cap = ncap;
	return 0;
}

/*
 * gs_fetch_new(rd, remote, workers): see fetch.h.
 */
struct gs_fetch *
gs_fetch_new(struct gs_reader *rd, const struct gs_remote_conf *remote, unsigned workers)
{
	struct gs_fetch *f;
	long ncpu;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->tab = calloc(TABCAP, sizeof(*f->tab))) == NULL) {
		gs_warnp("calloc");
		free(f);
		return NULL;
	}
	f->rd = rd;
	f->remote = remote;
	if (workers == 0) {
		if (remote != NULL) {
			workers = remote->connections ? remote->connections : 1;
		} else {
			ncpu = sysconf(_SC_NPROCESSORS_ONLN);
			workers = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (unsigned)ncpu;
		}
	}
	f->nworkers = workers;
	return f;
}

/* A new window for the chunks to come; 0 or -1. */
static int
new_window(struct gs_fetch *f)
{
	size_t cap = f->capwins;

	if (grow(&f->wins, sizeof(*f->wins), &cap, (size_t)f->nwins + 1) != 0)
		return -1;
	f->capwins = (uint32_t)cap;
	memset(&f->wins[f->nwins], 0, sizeof(*f->wins));
	f->wins[f->nwins].job0 = f->njobs;
	f->nwins++;
	return 0;
}

/* The job of pack entry pe in the current window, made if needed; NONE
 * when out of memory. */
static uint32_t
job_for(struct gs_fetch *f, size_t pe)
{
	struct gs_reader *rd = f->rd;
	uint32_t cur = f->nwins - 1, j;
	size_t cap, old;
	struct job *jb;

	if (pe >= f->cappackjob) {
		old = f->cappackjob;
		cap = old;
		if (grow(&f->packjob, sizeof(*f->packjob), &cap, pe + 1) != 0)
			return NONE;
		if (grow(&f->packseen, 1, &old, pe + 1) != 0)
			return NONE;
		memset(f->packjob + f->cappackjob, 0, (cap - f->cappackjob) * sizeof(*f->packjob));
		memset(f->packseen + f->cappackjob, 0, cap - f->cappackjob);
		f->cappackjob = cap;
	}
	j = f->packjob[pe];
	if (j != 0 && f->jobs[j - 1].win == cur)
		return j - 1;
	cap = f->capjobs;
	if (f->njobs == NONE - 1 ||
	    grow(&f->jobs, sizeof(*f->jobs), &cap, (size_t)f->njobs + 1) != 0)
		return NONE;
	f->capjobs = (uint32_t)cap;
	jb = &f->jobs[f->njobs];
	memset(jb, 0, sizeof(*jb));
	memcpy(jb->pack, rd->packs[pe].name, GS_NAME_LEN);
	jb->pe = pe;
	jb->win = cur;
	f->wins[cur].njobs++;
	f->packjob[pe] = ++f->njobs;
	if (!f->packseen[pe]) {
		f->packseen[pe] = 1;
		f->st.packs++;
	}
	return f->njobs - 1;
}

/* The position of the chunk ref of pack entry pe; 0 or -1. */
static int
add_ref(struct gs_fetch *f, size_t pe, const struct gs_chunk_ref *ref, struct pos *ret)
{
	uint32_t gen = f->nwins, h, j;
	struct win *w = &f->wins[f->nwins - 1];
	struct job *jb;
	size_t cap;

	h = (uint32_t)gs_get_le64(ref->id) & (TABCAP - 1);
	for (; f->tab[h].gen == gen; h = (h + 1) & (TABCAP - 1)) {
		jb = &f->jobs[f->tab[h].job];
		if (jb->pe == pe &&
		    memcmp(jb->refs[f->tab[h].ref].ref->id, ref->id, GS_ID_LEN) == 0) {
			ret->job = f->tab[h].job;
			ret->ref = f->tab[h].ref;
			return 0;
		}
	}
	if (w->nrefs > 0 &&
	    (w->bytes + ref->raw_len > GS_FETCH_WINDOW || w->nrefs >= GS_FETCH_WREFS)) {
		if (new_window(f) != 0)
			return -1;
		gen = f->nwins;
		w = &f->wins[f->nwins - 1];
		h = (uint32_t)gs_get_le64(ref->id) & (TABCAP - 1); /* the table is empty again */
	}
	if ((j = job_for(f, pe)) == NONE)
		return -1;
	jb = &f->jobs[j];
	cap = jb->cap;
	if (grow(&jb->refs, sizeof(*jb->refs), &cap, (size_t)jb->nrefs + 1) != 0)
		return -1;
	jb->cap = (uint32_t)cap;
	memset(&jb->refs[jb->nrefs], 0, sizeof(*jb->refs));
	jb->refs[jb->nrefs].ref = ref;
	jb->refs[jb->nrefs].at = (uint32_t)jb->arena_len;
	jb->arena_len += ref->raw_len;
	w->bytes += ref->raw_len;
	w->nrefs++;
	f->tab[h].gen = gen;
	f->tab[h].job = j;
	f->tab[h].ref = jb->nrefs;
	ret->job = j;
	ret->ref = jb->nrefs++;
	return 0;
}

/*
 * gs_fetch_plan_file(f, ord, chunks, n): see fetch.h.
 */
int
gs_fetch_plan_file(struct gs_fetch *f, uint64_t ord, const uint8_t (*chunks)[GS_ID_LEN], uint32_t n)
{
	const struct gs_chunk_ref *ref;
	struct unit *u;
	size_t cap, pe;
	uint32_t i;

	if (f->started || (f->nunits > 0 && ord <= f->units[f->nunits - 1].ord))
		return 0; /* never planned: read through the reader */
	if (f->nwins == 0 && new_window(f) != 0)
		return -1;
	cap = f->capunits;
	if (grow(&f->units, sizeof(*f->units), &cap, f->nunits + 1) != 0)
		return -1;
	f->capunits = cap;
	cap = f->cappos;
	if (grow(&f->pos, sizeof(*f->pos), &cap, f->npos + n) != 0)
		return -1;
	f->cappos = cap;
	u = &f->units[f->nunits++];
	u->ord = ord;
	u->pos0 = f->npos;
	u->n = n;
	u->pe = NONE;
	for (i = 0; i < n; i++) {
		struct pos *p = &f->pos[f->npos++];

		p->job = NONE;
		if (gs_reader_locate(f->rd, chunks[i], GS_CT_DATA, &pe, &ref) != 0)
			continue;
		if (add_ref(f, pe, ref, p) != 0)
			return -1;
	}
	f->st.planned += n;
	return 0;
}

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
	if (grow(&w->order, sizeof(*w->order), &cap, jb->nrefs) != 0)
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

/* Order chunk indexes of a pack entry by offset (qsort_r). */
static int
pe_order_cmp(const void *a, const void *b, void *arg)
{
	const struct pack_ent *pe = arg;
	uint64_t x = pe->chunks[*(const uint32_t *)a].offset;
	uint64_t y = pe->chunks[*(const uint32_t *)b].offset;

	return x < y ? -1 : x > y;
}

/*
 * gs_fetch_plan_pack(f, ord, pack, ret_n): see fetch.h.
 */
int
gs_fetch_plan_pack(struct gs_fetch *f, uint64_t ord, const uint8_t pack[GS_NAME_LEN],
                   uint32_t *ret_n)
{
	struct gs_reader *rd = f->rd;
	const struct pack_ent *pe;
	uint32_t i, *order;
	char why[200];
	struct unit *u;
	size_t cap, ipe;

	*ret_n = 0;
	if (f->started || (f->nunits > 0 && ord <= f->units[f->nunits - 1].ord) ||
	    gs_reader_pack(rd, pack, &ipe) != 0 || ipe >= NONE)
		return 1;
	if (f->nwins == 0 && new_window(f) != 0)
		return -1;
	pe = &rd->packs[ipe];
	cap = f->capunits;
	if (grow(&f->units, sizeof(*f->units), &cap, f->nunits + 1) != 0)
		return -1;
	f->capunits = cap;
	cap = f->cappos;
	if (grow(&f->pos, sizeof(*f->pos), &cap, f->npos + pe->nchunks) != 0)
		return -1;
	f->cappos = cap;
	u = &f->units[f->nunits++];
	u->ord = ord;
	u->pos0 = f->npos;
	u->n = pe->nchunks;
	u->pe = (uint32_t)ipe;
	/* In the order the chunks lie in the pack, so that each window reads
	 * a stretch of it. */
	if ((order = malloc(((size_t)u->n + 1) * sizeof(*order))) == NULL) {
		gs_warnp("malloc");
		return -1;
	}
	for (i = 0; i < u->n; i++)
		order[i] = i;
	qsort_r(order, u->n, sizeof(*order), pe_order_cmp, (void *)pe);
	for (i = 0; i < u->n; i++) {
		const struct gs_chunk_ref *ref = &rd->packs[ipe].chunks[order[i]];
		struct pos *p = &f->pos[f->npos++];

		/* Unplanned: ref says which chunk, for gs_fetch_pack_chunk(). */
		p->job = NONE;
		p->ref = order[i];
		if (gs_reader_ref_check(rd, &rd->packs[ipe], ref, ref->type, why, sizeof(why)) != 0)
			continue;
		if (add_ref(f, ipe, ref, p) != 0) {
			free(order);
			return -1;
		}
	}
	free(order);
	f->st.planned += u->n;
	*ret_n = u->n;
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
