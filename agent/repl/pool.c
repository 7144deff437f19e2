/*
 * pool.c -- connections to a remote and the workers that use them: opening
 * one and checking that it holds this repository (its config object),
 * `init`'s remote layout, the extra connections of ship and verify, the
 * pool of worker threads (one connection each) taking objects from a list,
 * hashing an object on either copy through a worker's buffer, and counting
 * problems into the step's result.
 *
 * Locking: the pool's mutex guards its list cursor and its fatal error
 * only; each worker owns its connection, buffer and hash state.  A step's
 * result is shared by the workers, so gs_repl_problem takes the caller's
 * mutex; anything else a worker function touches is its own business.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/util.h"
#include "repl_internal.h"

/* ---- messages and status ---------------------------------------------- */

/* gs_repl_fail_status(errkind): the exit status for a transport failure of
 * that kind (GS_TP_ERR_*). */
int
gs_repl_fail_status(int errkind)
{
	return errkind == GS_TP_ERR_CONFIG ? GS_EXIT_USAGE : GS_EXIT_FAIL;
}

/* gs_repl_problem(res, mu, fmt, ...): count a problem in res, warn it, keep
 * the first as the record's message.  mu (may be NULL) guards res. */
void
gs_repl_problem(struct gs_repl_result *res, pthread_mutex_t *mu, const char *fmt, ...)
{
	char msg[GS_REPL_MESSAGE_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (mu)
		pthread_mutex_lock(mu);
	gs_warn("%s", msg);
	if (res->problems++ == 0)
		snprintf(res->message, sizeof(res->message), "%s", msg);
	if (mu)
		pthread_mutex_unlock(mu);
}

/* ---- connections ------------------------------------------------------ */

/* gs_repl_open_check(local, rc, flags, ret_status): connect (with
 * GS_REPL_MAINT in flags: as the maintenance account) and compare the
 * remote's config object with the local one (copying it when the remote
 * has none and GS_REPL_CREATE is in flags).  The transport (the caller
 * closes it), or NULL with *ret_status (warned). */
struct gs_transport *
gs_repl_open_check(const struct gs_repo *local, const struct gs_remote_conf *rc, int flags,
                   int *ret_status)
{
	int create = flags & GS_REPL_CREATE;
	struct gs_transport *tp;
	uint8_t *mine = NULL, *theirs = NULL;
	size_t mlen, tlen;
	char *path;
	int st;

	*ret_status = GS_EXIT_FAIL;
	if ((tp = (flags & GS_REPL_MAINT) ? gs_tp_open_maint(rc) : gs_tp_open(rc)) == NULL) {
		*ret_status = gs_repl_fail_status(gs_tp_last_errkind(NULL));
		return NULL;
	}
	if ((path = gs_path_join(gs_repo_path(local), GS_LAYOUT_CONFIG)) == NULL ||
	    gs_read_file(path, GS_MAX_CONFIG_OBJECT, &mine, &mlen) != 0)
		goto err;
again:
	st = gs_tp_read_all(tp, GS_LAYOUT_CONFIG, GS_MAX_CONFIG_OBJECT, &theirs, &tlen);
	if (st < 0)
		goto err;
	if (st == 1 && !create) {
		gs_warn("remote %s: no repository at %s (nothing was shipped there yet)", rc->name,
		        rc->url);
		*ret_status = GS_EXIT_PROBLEM;
		goto err;
	}
	if (st == 1) {
		struct gs_tp_file *f;
		char tmp[sizeof(GS_TMP_PREFIX GS_LAYOUT_CONFIG "-") + GS_REPL_TAG_HEX];
		int r;

		snprintf(tmp, sizeof(tmp), GS_TMP_PREFIX GS_LAYOUT_CONFIG "-%08x",
		         randombytes_random());
		if ((f = gs_tp_create(tp, tmp)) == NULL)
			goto err_kind;
		if (gs_tp_write(f, mine, mlen)) {
			gs_tp_abort(f);
			goto err_kind;
		}
		if (gs_tp_commit(f) || (r = gs_tp_rename(tp, tmp, GS_LAYOUT_CONFIG)) < 0)
			goto err_kind;
		if (r == 1) { /* another agent was first: check theirs */
			create = 0;
			goto again;
		}
	} else if (tlen != mlen || memcmp(mine, theirs, mlen) != 0) {
		gs_warn("remote %s: %s holds a different repository (its config object differs "
		        "from %s): is the url's path right?",
		        rc->name, rc->url, path);
		*ret_status = GS_EXIT_FAIL;
		goto err;
	}
	free(mine);
	free(theirs);
	free(path);
	*ret_status = GS_EXIT_OK;
	return tp;
err_kind:
	*ret_status = gs_repl_fail_status(gs_tp_last_errkind(tp));
err:
	free(mine);
	free(theirs);
	free(path);
	gs_tp_close(tp);
	return NULL;
}

/* gs_repl_conns_open(rc, tps, nitems): with tps[0] open, open more
 * connections to rc, up to its connections (at least 1, at most
 * GS_REPL_MAX_CONNS) and no more than nitems (at least 1); fewer when one
 * cannot be opened (warned).  Returns how many of tps are open. */
size_t
gs_repl_conns_open(const struct gs_remote_conf *rc, struct gs_transport *tps[GS_REPL_MAX_CONNS],
                   size_t nitems)
{
	return gs_repl_conns_open_as(rc, tps, nitems, 0);
}

/* gs_repl_conns_open_as(rc, tps, nitems, flags): gs_repl_conns_open, as
 * the maintenance account when flags has GS_REPL_MAINT. */
size_t
gs_repl_conns_open_as(const struct gs_remote_conf *rc, struct gs_transport *tps[GS_REPL_MAX_CONNS],
                      size_t nitems, int flags)
{
	size_t want = rc->connections ? rc->connections : 1, n = 1;

	if (want > GS_REPL_MAX_CONNS)
		want = GS_REPL_MAX_CONNS;
	if (want > nitems)
		want = nitems ? nitems : 1;
	while (n < want &&
	       (tps[n] = (flags & GS_REPL_MAINT) ? gs_tp_open_maint(rc) : gs_tp_open(rc)) != NULL)
		n++;
	return n;
}

/* gs_repl_conns_close(tps): close every connection in tps (NULLs too). */
void
gs_repl_conns_close(struct gs_transport *tps[GS_REPL_MAX_CONNS])
{
	for (size_t i = 0; i < GS_REPL_MAX_CONNS; i++)
		gs_tp_close(tps[i]);
}

/*
 * gs_remote_init(local, rc, tenants, n): connect (host key, identity),
 * copy the repository's config object or check that the remote's is the
 * same, and create each tenant's directories.  Exit status.
 */
int
gs_remote_init(const struct gs_repo *local, const struct gs_remote_conf *rc,
               const char *const *tenants, size_t n)
{
	struct gs_transport *tp;
	int st = GS_EXIT_OK;

	if ((tp = gs_repl_open_check(local, rc, 1, &st)) == NULL)
		return st;
	for (size_t i = 0; i < n && st == GS_EXIT_OK; i++)
		for (int k = GS_OBJ_PACK; k < GS_OBJ_NKINDS && st == GS_EXIT_OK; k++) {
			char *dir = gs_layout_kind_dir(tenants[i], k);

			if (dir == NULL || gs_tp_mkdir(tp, dir))
				st = dir ? gs_repl_fail_status(gs_tp_last_errkind(tp))
				         : GS_EXIT_FAIL;
			free(dir);
		}
	gs_tp_close(tp);
	return st;
}

/* ---- the worker pool -------------------------------------------------- */

struct pool {
	pthread_mutex_t mu;
	const struct gs_repl_obj **items;
	size_t n, next;
	int stop, errkind;
	char msg[GS_REPL_MESSAGE_LEN]; /* the fatal error's message, from its worker thread */
	gs_repl_fn fn;
};

struct pool_arg {
	struct pool *p;
	struct gs_repl_worker w;
};

static void *
pool_main(void *arg)
{
	struct pool_arg *a = arg;
	struct pool *p = a->p;

	for (;;) {
		const struct gs_repl_obj *o;

		pthread_mutex_lock(&p->mu);
		if (p->stop || p->next == p->n) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		o = p->items[p->next++];
		pthread_mutex_unlock(&p->mu);
		a->w.errkind = GS_TP_ERR_NONE;
		if (p->fn(&a->w, o) < 0) {
			pthread_mutex_lock(&p->mu);
			if (!p->stop) {
				p->stop = 1;
				p->errkind = a->w.errkind;
				snprintf(p->msg, sizeof(p->msg), "%s", gs_last_error());
			}
			pthread_mutex_unlock(&p->mu);
			break;
		}
	}
	return NULL;
}

/* gs_repl_pool_run(tps, ntp, items, n, fn, ctx, ret_errkind, res): run fn
 * on every item with ntp workers (tps borrowed; the first runs on the
 * calling thread).  0 when every call returned 0 or 1, -1 when one was
 * fatal (*ret_errkind; its message, warned on the worker's thread, into
 * res->message if empty; res may be NULL). */
int
gs_repl_pool_run(struct gs_transport **tps, size_t ntp, const struct gs_repl_obj **items, size_t n,
                 gs_repl_fn fn, void *ctx, int *ret_errkind, struct gs_repl_result *res)
{
	struct pool p = {.items = items, .n = n, .fn = fn};
	struct pool_arg *args;
	pthread_t *th;
	size_t started = 0;
	int rc = 0;

	*ret_errkind = GS_TP_ERR_NONE;
	if (n == 0)
		return 0;
	if (ntp > n)
		ntp = n;
	args = calloc(ntp, sizeof(*args));
	th = calloc(ntp, sizeof(*th));
	if (args == NULL || th == NULL) {
		gs_warnp("calloc");
		free(args);
		free(th);
		return -1;
	}
	pthread_mutex_init(&p.mu, NULL);
	for (size_t i = 0; i < ntp; i++) {
		args[i].p = &p;
		args[i].w.tp = tps[i];
		args[i].w.ctx = ctx;
		if ((args[i].w.buf = malloc(GS_REPL_PIECE)) == NULL ||
		    (args[i].w.xs = XXH3_createState()) == NULL) {
			gs_warnp("malloc");
			rc = -1;
			break;
		}
	}
	/* The first worker runs on this thread: one connection, no thread. */
	for (size_t i = 1; rc == 0 && i < ntp; i++) {
		if (pthread_create(&th[i], NULL, pool_main, &args[i]) != 0) {
			gs_warn("cannot start a worker thread");
			break;
		}
		started = i;
	}
	if (rc == 0)
		pool_main(&args[0]);
	for (size_t i = 1; i <= started; i++)
		pthread_join(th[i], NULL);
	if (rc == 0 && p.stop) {
		rc = -1;
		*ret_errkind = p.errkind;
		if (res != NULL && res->message[0] == 0)
			snprintf(res->message, sizeof(res->message), "%s", p.msg);
	}
	for (size_t i = 0; i < ntp; i++) {
		free(args[i].w.buf);
		if (args[i].w.xs)
			XXH3_freeState(args[i].w.xs);
	}
	pthread_mutex_destroy(&p.mu);
	free(args);
	free(th);
	return rc;
}

/* ---- hashing ---------------------------------------------------------- */

/* gs_repl_hash_local(local, tenant, o, w, ret_hex): XXH3-128 of the local
 * object's bytes (exactly o->size of them; gs_repo_obj_hash through
 * w->buf).  0, or -1 warned. */
int
gs_repl_hash_local(const struct gs_repo *local, const char *tenant, const struct gs_repl_obj *o,
                   struct gs_repl_worker *w, char ret_hex[GS_NAME_HEX])
{
	int rc = gs_repo_obj_hash(local, tenant, o->kind, o->name, o->size, w->buf, GS_REPL_PIECE,
	                          ret_hex);

	if (rc == 1)
		gs_warn("tenant %s: local %s %s: missing or shorter than its listed %llu bytes",
		        tenant, gs_layout_kind_noun(o->kind), o->name, (unsigned long long)o->size);
	return rc ? -1 : 0;
}

/* gs_repl_hash_remote(w, tenant, o, ret_hex): XXH3-128 of the remote
 * object's first o->size bytes (gs_repo_obj_hash_tp through w->tp and
 * w->buf; "(missing)" when it vanished or shrank since the listing).  0,
 * or -1 (errkind on w->tp). */
int
gs_repl_hash_remote(struct gs_repl_worker *w, const char *tenant, const struct gs_repl_obj *o,
                    char ret_hex[GS_NAME_HEX])
{
	int rc = gs_repo_obj_hash_tp(w->tp, tenant, o->kind, o->name, o->size, w->buf,
	                             GS_REPL_PIECE, ret_hex);

	if (rc == 1) /* deleted or cut since the listing: hashes to nothing */
		snprintf(ret_hex, GS_NAME_HEX, "(missing)");
	return rc < 0 ? -1 : 0;
}
