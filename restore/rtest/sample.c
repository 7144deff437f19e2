/*
 * sample.c -- which regular files a sampled restore test restores and
 * checks.  Each file's path is hashed with XXH3-64 seeded with the test's
 * seed; the files with the smallest hashes are the sample.  The choice
 * depends only on the seed and the snapshot's paths, not on their order,
 * so the same seed picks the same files of the same snapshot again
 * (docs/AUDIT.md, "restore-test").
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <xxhash.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "rtest/rtest.h"

/* gs_sample_seed(): a random seed in [0, GS_RTEST_SEED_MAX]. */
uint64_t
gs_sample_seed(void)
{
	uint64_t v;

	randombytes_buf(&v, sizeof(v));
	return v & GS_RTEST_SEED_MAX;
}

/* A path's place in the sample order. */
static uint64_t
rank_of(const struct gs_sample *sm, const char *path)
{
	return XXH3_64bits_withSeed(path, strlen(path), sm->seed);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Append v to the array *v (*n used, *cap allocated).  0 or -1 (warned). */
static int
push(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	uint64_t *nv;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 4096;
		if ((nv = reallocarray(*v, ncap, sizeof(**v))) == NULL) {
			gs_warnp("malloc");
			return -1;
		}
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
	return 0;
}

/* gs_sample_plan(rd, snap, sm): count the files and fix the threshold. */
int
gs_sample_plan(struct gs_reader *rd, const struct gs_rsnap *snap, struct gs_sample *sm)
{
	struct gs_manifest *m;
	struct gs_mentry e;
	uint64_t *ranks = NULL, k;
	size_t n = 0, cap = 0;
	int r, rc = -1;

	if (sm->full)
		return 0;
	if ((m = gs_reader_manifest_open(rd, snap)) == NULL)
		return -1;
	while ((r = gs_reader_manifest_next(m, &e)) == 0) {
		int bad = e.type == GS_FT_FILE && gs_reader_path_ok(e.path) &&
		          push(&ranks, &n, &cap, rank_of(sm, e.path)) != 0;

		gs_mentry_clear(&e);
		if (bad)
			goto err0;
	}
	if (r < 0)
		goto err0;
	sm->nfiles = n;
	/* ceil(n * ppm / 10^6), at least one file; ppm <= 10^6 and n < 2^40
	 * in practice, so the product cannot overflow. */
	k = ((uint64_t)n * sm->ppm + 999999) / 1000000;
	if (k == 0 && n > 0)
		k = 1;
	if (k > n)
		k = n;
	sm->nsampled = k;
	sm->empty = k == 0;
	if (k > 0) {
		qsort(ranks, n, sizeof(*ranks), cmp_u64);
		sm->threshold = ranks[k - 1];
	}
	rc = 0;
err0:
	free(ranks);
	gs_reader_manifest_free(m);
	return rc;
}

/* gs_sample_select(arg, e): whether the test restores and checks e. */
int
gs_sample_select(void *arg, const struct gs_mentry *e)
{
	const struct gs_sample *sm = arg;

	if (sm->full)
		return 1;
	switch (e->type) {
	case GS_FT_FILE:
		return !sm->empty && rank_of(sm, e->path) <= sm->threshold;
	case GS_FT_HARDLINK:
		/* restored as a link to its first name, when that is sampled */
		return e->link != NULL && !sm->empty && rank_of(sm, e->link) <= sm->threshold;
	default:
		return 1;
	}
}
