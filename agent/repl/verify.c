/*
 * verify.c -- object and checksum parity of a remote (docs/REPLICATION.md).
 *
 * Object parity: every object of the local copy is on the remote with the
 * same size, and the remote holds nothing else but temporaries (and the
 * snapshots retention has still to remove there, state_dir/pending-
 * expire/, agent/cmd/retain.c).  Checksum
 * parity: a set of objects is read back on both copies and hashed.
 *
 * The rotating sample: with verify_sample = P, an object belongs to bucket
 * (first 8 hex digits of its name) mod ceil(1/P); each completed verify of
 * a remote reads the next bucket (state_dir/verify-next/<tenant>@<remote>),
 * so every object is read back once every ceil(1/P) verifies.  Names are
 * hashes, so buckets are even.  Everything shipped since the last verify
 * (state_dir/pending-verify/, pending.c) is read back too.
 *
 * Locking: the read-back runs on the worker pool; the verify's mutex guards
 * its result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/util.h"
#include "geosnap/state.h"
#include "repl_internal.h"

/* verify_sample is given in parts per million. */
#define PPM 1000000u
/* Hex digits of a name that choose its bucket. */
#define BUCKET_DIGITS 8

struct vctx {
	const struct gs_repo *local;
	const struct gs_remote_conf *rc;
	const char *tenant;
	struct gs_repl_result *res;
	pthread_mutex_t mu;
};

/* Read one object back on the remote and locally. */
static int
readback(struct gs_repl_worker *w, const struct gs_repl_obj *o)
{
	struct vctx *v = w->ctx;
	char hex[GS_NAME_HEX];
	int bad = 0;

	if (gs_repl_hash_remote(w, v->tenant, o, hex)) {
		w->errkind = gs_tp_last_errkind(w->tp);
		return -1;
	}
	if (strcmp(hex, o->name) != 0) {
		gs_repl_problem(v->res, &v->mu,
		                "remote %s: tenant %s: %s %s: checksum mismatch (its bytes hash to "
		                "%s); run geosnap-agent ship --repair",
		                v->rc->name, v->tenant, gs_layout_kind_noun(o->kind), o->name, hex);
		bad = 1;
	}
	if (gs_repl_hash_local(v->local, v->tenant, o, w, hex) || strcmp(hex, o->name) != 0) {
		gs_repl_problem(v->res, &v->mu,
		                "tenant %s: local %s %s: checksum mismatch or unreadable; run "
		                "geosnap-restore check",
		                v->tenant, gs_layout_kind_noun(o->kind), o->name);
		bad = 1;
	}
	pthread_mutex_lock(&v->mu);
	v->res->objects++;
	v->res->bytes += o->size;
	pthread_mutex_unlock(&v->mu);
	return bad;
}

/* The bucket count of the rotating sample (0: no sample). */
static unsigned
buckets(uint32_t ppm)
{
	return ppm == 0 ? 0 : (unsigned)((PPM + ppm - 1) / ppm);
}

/* The bucket of an object name: its first BUCKET_DIGITS hex digits, mod
 * nb (nb > 0). */
static unsigned long
bucket_of(const char *name, unsigned nb)
{
	char head[BUCKET_DIGITS + 1];

	memcpy(head, name, BUCKET_DIGITS);
	head[BUCKET_DIGITS] = 0;
	return strtoul(head, NULL, 16) % nb;
}

/* gs_state_pending_load's callback: one object into the inventory. */
static int
pending_add(void *arg, int kind, const char *name)
{
	return gs_repl_inv_add(arg, kind, name, 0, 0);
}

/* load_pending(path, ret): the objects the pending file at path names,
 * into a sorted *ret (no sizes).  0, or -1 (warned; *ret empty). */
static int
load_pending(const char *path, struct gs_repl_inv *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (gs_state_pending_load(path, pending_add, ret)) {
		gs_repl_inv_clear(ret);
		return -1;
	}
	gs_repl_inv_sort(ret);
	return 0;
}

/*
 * gs_verify(cfg, local, rc, tenant, full, res): object parity (names and
 * sizes, nothing missing, nothing extra but temporaries and what garbage
 * collection has still to delete there) and checksum
 * parity (the objects shipped since the last verify, plus the next bucket
 * of the rotating verify_sample, or everything with full, read back on the
 * remote and locally and hashed).
 */
int
gs_verify(const struct gs_config *cfg, const struct gs_repo *local, const struct gs_remote_conf *rc,
          const char *tenant, int full, struct gs_repl_result *res)
{
	struct vctx v = {.local = local, .rc = rc, .tenant = tenant, .res = res};
	struct gs_transport *tps[GS_REPL_MAX_CONNS] = {0};
	const struct gs_repl_obj **todo = NULL;
	struct gs_repl_inv li = {0}, ri = {0}, pend = {0}, pdel = {0};
	unsigned nb = buckets(cfg->policy.verify_sample_ppm), next;
	char *ppath = NULL, *npath = NULL, *dpath = NULL, (*expiring)[GS_NAME_HEX] = NULL;
	size_t ntp, n = 0, nexpiring = 0;
	int st, kind, rb;

	memset(res, 0, sizeof(*res));
	if ((tps[0] = gs_repl_open_check(local, rc, 0, &st)) == NULL) {
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
		if (st == GS_EXIT_PROBLEM)
			res->problems = 1;
		return st;
	}
	st = GS_EXIT_FAIL;
	if ((ppath = gs_state_path(cfg->state_dir, GS_STATE_PENDING_VERIFY, tenant, rc->name)) ==
	        NULL ||
	    (npath = gs_state_path(cfg->state_dir, GS_STATE_VERIFY_NEXT, tenant, rc->name)) ==
	        NULL ||
	    (dpath = gs_state_path(cfg->state_dir, GS_STATE_PENDING_DELETE, tenant, rc->name)) ==
	        NULL ||
	    load_pending(ppath, &pend) || load_pending(dpath, &pdel) ||
	    gs_repl_inv_local(local, tenant, &li))
		goto out;
	if (gs_repl_inv_remote(tps[0], tenant, &ri)) {
		st = gs_repl_fail_status(gs_tp_last_errkind(tps[0]));
		goto out;
	}
	/* Object parity: names and sizes, both ways. */
	for (size_t i = 0; i < li.n; i++) {
		const struct gs_repl_obj *l = &li.v[i],
		                         *r = gs_repl_inv_find(&ri, l->kind, l->name);

		res->compared++;
		if (r == NULL)
			gs_repl_problem(res, NULL,
			                "remote %s: tenant %s: %s %s: missing on the remote",
			                rc->name, tenant, gs_layout_kind_noun(l->kind), l->name);
		else if (r->size != l->size)
			gs_repl_problem(
			    res, NULL,
			    "remote %s: tenant %s: %s %s: %llu bytes on the remote, %llu "
			    "here",
			    rc->name, tenant, gs_layout_kind_noun(l->kind), l->name,
			    (unsigned long long)r->size, (unsigned long long)l->size);
	}
	/* a snapshot that retention removed here and has still to remove
	 * there (pending-expire), and what garbage collection deleted here and
	 * has still to delete there (pending-delete), are expected there */
	if (gs_state_expire_load(cfg->state_dir, tenant, rc->name, &expiring, &nexpiring))
		goto out;
	for (size_t i = 0; i < ri.n; i++)
		if (gs_repl_inv_find(&li, ri.v[i].kind, ri.v[i].name) == NULL &&
		    gs_repl_inv_find(&pdel, ri.v[i].kind, ri.v[i].name) == NULL &&
		    !(ri.v[i].kind == GS_OBJ_SNAP && nexpiring > 0 &&
		      bsearch(ri.v[i].name, expiring, nexpiring, sizeof(*expiring),
		              (int (*)(const void *, const void *))strcmp) != NULL))
			gs_repl_problem(
			    res, NULL,
			    "remote %s: tenant %s: %s %s: on the remote but not in the local "
			    "repository",
			    rc->name, tenant, gs_layout_kind_noun(ri.v[i].kind), ri.v[i].name);
	for (size_t i = 0; i < ri.nextras; i++)
		gs_repl_problem(res, NULL, "remote %s: tenant %s: unexpected file %s on the remote",
		                rc->name, tenant, ri.extras[i]);
	/* Checksum parity: what was shipped since the last verify, and a
	 * bucket of the rest (or all of it). */
	next = gs_state_next_load(npath, nb);
	if ((todo = calloc(li.n + 1, sizeof(*todo))) == NULL)
		goto out;
	for (size_t i = 0; i < li.n; i++) {
		const struct gs_repl_obj *l = &li.v[i],
		                         *r = gs_repl_inv_find(&ri, l->kind, l->name);
		int take = full || gs_repl_inv_find(&pend, l->kind, l->name) != NULL;

		if (!take && nb)
			take = bucket_of(l->name, nb) == next;
		if (take && r != NULL && r->size == l->size)
			todo[n++] = l;
	}
	ntp = gs_repl_conns_open(rc, tps, n);
	pthread_mutex_init(&v.mu, NULL);
	rb = gs_repl_pool_run(tps, ntp, todo, n, readback, &v, &kind, res);
	pthread_mutex_destroy(&v.mu);
	if (rb) {
		st = gs_repl_fail_status(kind);
		goto out;
	}
	/* Completed: the pending names are read, the sample moves on. */
	gs_state_pending_clear(ppath);
	if (nb)
		gs_state_next_save(npath, (next + 1) % nb);
	st = res->problems ? GS_EXIT_PROBLEM : GS_EXIT_OK;
out:
	if (st == GS_EXIT_FAIL && res->message[0] == 0)
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
	free(todo);
	free(expiring);
	free(ppath);
	free(dpath);
	free(npath);
	gs_repl_inv_clear(&li);
	gs_repl_inv_clear(&ri);
	gs_repl_inv_clear(&pend);
	gs_repl_inv_clear(&pdel);
	gs_repl_conns_close(tps);
	return st;
}
