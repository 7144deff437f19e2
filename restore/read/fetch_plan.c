/*
 * fetch_plan.c -- the read engine's plan (fetch.h): an empty engine, and
 * the files and packs planned into it.
 *
 * Every planned chunk becomes a position that names a job and a chunk of
 * that job.  Positions are cut into windows; within a window, the chunks of
 * one pack form one job, and a chunk asked for twice in a window is read
 * once.  The plan is complete before any worker starts (gs_fetch_start(),
 * fetch.c), so its arrays never move while workers read them.
 *
 * Locking: none; only the owning thread plans, and only before the
 * workers start (a file planned later is read through the reader).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geosnap/util.h"
#include "read/fetch.h"
#include "read/fetch_internal.h"

/*
 * gs_fetch_grow(p, sz, cap, n): grow the array whose pointer is at p (any
 * T **, read and written with memcpy so that no T * is accessed as a
 * void *) from *cap elements of size sz to hold n; 0 or -1 (warned; the
 * array is unchanged).
 */
int
gs_fetch_grow(void *p, size_t sz, size_t *cap, size_t n)
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

	if (gs_fetch_grow(&f->wins, sizeof(*f->wins), &cap, (size_t)f->nwins + 1) != 0)
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
		if (gs_fetch_grow(&f->packjob, sizeof(*f->packjob), &cap, pe + 1) != 0)
			return NONE;
		if (gs_fetch_grow(&f->packseen, 1, &old, pe + 1) != 0)
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
	    gs_fetch_grow(&f->jobs, sizeof(*f->jobs), &cap, (size_t)f->njobs + 1) != 0)
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
	if (gs_fetch_grow(&jb->refs, sizeof(*jb->refs), &cap, (size_t)jb->nrefs + 1) != 0)
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
	if (gs_fetch_grow(&f->units, sizeof(*f->units), &cap, f->nunits + 1) != 0)
		return -1;
	f->capunits = cap;
	cap = f->cappos;
	if (gs_fetch_grow(&f->pos, sizeof(*f->pos), &cap, f->npos + n) != 0)
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
	if (gs_fetch_grow(&f->units, sizeof(*f->units), &cap, f->nunits + 1) != 0)
		return -1;
	f->capunits = cap;
	cap = f->cappos;
	if (gs_fetch_grow(&f->pos, sizeof(*f->pos), &cap, f->npos + pe->nchunks) != 0)
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
