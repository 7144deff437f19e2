/*
 * repl.c -- what ship and verify share: listing a copy, the worker pool,
 * hashing a local object and the config check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/util.h"
#include "repl_internal.h"

/* ---- inventories ------------------------------------------------------ */

static int
cmp_obj(const void *a, const void *b)
{
	const struct inv_obj *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
inv_add(struct inv *iv, int kind, const char *name, uint64_t size, int64_t mtime_ns)
{
	if (iv->n == iv->cap) {
		size_t nc = iv->cap ? iv->cap * 2 : 256;
		void *nv = realloc(iv->v, nc * sizeof(*iv->v));

		if (nv == NULL) {
			gs_warnp("realloc");
			return -1;
		}
		iv->v = nv;
		iv->cap = nc;
	}
	memcpy(iv->v[iv->n].name, name, GS_NAME_HEX);
	iv->v[iv->n].kind = (uint8_t)kind;
	iv->v[iv->n].size = size;
	iv->v[iv->n].mtime_ns = mtime_ns;
	iv->n++;
	return 0;
}

static int
strv_add(char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL || (nv = realloc(*v, (*n + 1) * sizeof(**v))) == NULL) {
		free(s);
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* Take ownership of path (freed on failure). */
static int
temp_add(struct inv *iv, char *path, int kind, const char *fanout, const struct gs_tp_entry *e)
{
	struct inv_temp *nv;

	if (path == NULL || (nv = realloc(iv->temps, (iv->ntemps + 1) * sizeof(*nv))) == NULL) {
		free(path);
		return -1;
	}
	iv->temps = nv;
	nv += iv->ntemps++;
	memset(nv, 0, sizeof(*nv));
	nv->path = path;
	nv->kind = (uint8_t)kind;
	snprintf(nv->fanout, sizeof(nv->fanout), "%s", fanout ? fanout : "");
	nv->size = e->size;
	nv->mtime = e->mtime;
	return 0;
}

void
inv_free(struct inv *iv)
{
	for (size_t i = 0; i < iv->nextras; i++)
		free(iv->extras[i]);
	for (size_t i = 0; i < iv->ntemps; i++)
		free(iv->temps[i].path);
	free(iv->extras);
	free(iv->temps);
	free(iv->v);
	memset(iv, 0, sizeof(*iv));
}

void
inv_sort(struct inv *iv)
{
	if (iv->n)
		qsort(iv->v, iv->n, sizeof(*iv->v), cmp_obj);
}

const struct inv_obj *
inv_find(const struct inv *iv, int kind, const char *name)
{
	struct inv_obj key;

	if (iv->n == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.kind = (uint8_t)kind;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, iv->v, iv->n, sizeof(*iv->v), cmp_obj);
}

int
inv_local(const struct gs_repo *local, const char *tenant, struct inv *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (int kind = GS_OBJ_PACK; kind < GS_OBJ_NKINDS; kind++) {
		struct gs_repo_obj *v;
		size_t n;

		if (gs_repo_list_objs(local, tenant, kind, &v, &n))
			goto err;
		for (size_t i = 0; i < n; i++)
			if (inv_add(ret, kind, v[i].name, v[i].size, v[i].mtime_ns)) {
				free(v);
				goto err;
			}
		free(v);
	}
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), cmp_obj);
	return 0;
err:
	inv_free(ret);
	return -1;
}

static int
inv_remote_dir(struct gs_transport *tp, struct inv *iv, int kind, const char *dir,
               const char *prefix)
{
	struct gs_tp_entry *e;
	size_t ne;
	int rc;

	if ((rc = gs_tp_list(tp, dir, &e, &ne)) < 0)
		return -1;
	if (rc == 1)
		return 0;
	for (size_t i = 0; i < ne && rc == 0; i++) {
		const char *nm = e[i].name;
		char *p = gs_asprintf("%s/%s", dir, nm);

		if (gs_layout_is_tmp(nm) && !e[i].is_dir) {
			rc = temp_add(iv, p, kind, prefix, &e[i]);
		} else if (kind == GS_OBJ_PACK && prefix == NULL && e[i].is_dir &&
		           gs_layout_is_fanout(nm)) {
			free(p);
			iv->pack_dir[strtoul(nm, NULL, 16)] = 1;
			if ((p = gs_asprintf("%s/%s", dir, nm)) == NULL)
				rc = -1;
			else
				rc = inv_remote_dir(tp, iv, kind, p, nm);
			free(p);
		} else if (!e[i].is_dir && gs_layout_is_objname(nm) &&
		           (kind != GS_OBJ_PACK ||
		            (prefix != NULL && strncmp(nm, prefix, 2) == 0))) {
			free(p);
			rc = inv_add(iv, kind, nm, e[i].size, 0);
		} else {
			rc = strv_add(&iv->extras, &iv->nextras, p);
		}
	}
	gs_tp_list_free(e, ne);
	return rc;
}

int
inv_remote(struct gs_transport *tp, const char *tenant, struct inv *ret)
{
	struct gs_tp_entry *e;
	size_t ne;
	char *dir;
	int rc;

	memset(ret, 0, sizeof(*ret));
	if ((dir = gs_layout_tenant_dir(tenant)) == NULL)
		return -1;
	rc = gs_tp_list(tp, dir, &e, &ne);
	free(dir);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < ne; i++)
		for (int k = GS_OBJ_PACK; k <= GS_OBJ_SNAP; k++)
			if (e[i].is_dir && strcmp(e[i].name, gs_layout_kind_name(k)) == 0)
				ret->kind_dir[k] = 1;
	gs_tp_list_free(e, ne);
	for (int k = GS_OBJ_PACK; k <= GS_OBJ_SNAP; k++) {
		if (!ret->kind_dir[k])
			continue;
		if ((dir = gs_layout_kind_dir(tenant, k)) == NULL)
			goto err;
		rc = inv_remote_dir(tp, ret, k, dir, NULL);
		free(dir);
		if (rc)
			goto err;
	}
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), cmp_obj);
	return 0;
err:
	inv_free(ret);
	return -1;
}

/* ---- messages and status ---------------------------------------------- */

int
repl_fail_status(int errkind)
{
	return errkind == GS_TP_ERR_CONFIG ? GS_EXIT_USAGE : GS_EXIT_FAIL;
}

void
repl_problem(struct gs_repl_result *res, pthread_mutex_t *mu, const char *fmt, ...)
{
	char msg[512];
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

/* ---- the config object ------------------------------------------------ */

struct gs_transport *
repl_open_check(const struct gs_repo *local, const struct gs_remote_conf *rc, int create,
                int *ret_status)
{
	struct gs_transport *tp;
	uint8_t *mine = NULL, *theirs = NULL;
	size_t mlen, tlen;
	char *path;
	int st;

	*ret_status = GS_EXIT_FAIL;
	if ((tp = gs_tp_open(rc)) == NULL) {
		*ret_status = repl_fail_status(gs_tp_last_errkind(NULL));
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
		char tmp[64];
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
	*ret_status = repl_fail_status(gs_tp_last_errkind(tp));
err:
	free(mine);
	free(theirs);
	free(path);
	gs_tp_close(tp);
	return NULL;
}

/* ---- the worker pool -------------------------------------------------- */

struct pool {
	pthread_mutex_t mu;
	const struct inv_obj **items;
	size_t n, next;
	int stop, errkind;
	char msg[512]; /* the fatal error's message, from its worker thread */
	repl_fn fn;
};

struct pool_arg {
	struct pool *p;
	struct repl_worker w;
};

static void *
pool_main(void *arg)
{
	struct pool_arg *a = arg;
	struct pool *p = a->p;

	for (;;) {
		const struct inv_obj *o;

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

int
repl_pool_run(struct gs_transport **tps, size_t ntp, const struct inv_obj **items, size_t n,
              repl_fn fn, void *ctx, int *ret_errkind, struct gs_repl_result *res)
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
		if ((args[i].w.buf = malloc(REPL_PIECE)) == NULL ||
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

int
repl_hash_local(const struct gs_repo *local, const char *tenant, const struct inv_obj *o,
                struct repl_worker *w, char ret_hex[GS_NAME_HEX])
{
	int rc =
	    gs_repo_obj_hash(local, tenant, o->kind, o->name, o->size, w->buf, REPL_PIECE, ret_hex);

	if (rc == 1)
		gs_warn("tenant %s: local %s %s: missing or shorter than its listed %llu bytes",
		        tenant, gs_layout_kind_noun(o->kind), o->name, (unsigned long long)o->size);
	return rc ? -1 : 0;
}

char *
repl_pending_path(const struct gs_config *cfg, const char *tenant, const struct gs_remote_conf *rc)
{
	return gs_asprintf("%s/pending-verify/%s@%s", cfg->state_dir, tenant, rc->name);
}

int
gs_remote_init(const struct gs_repo *local, const struct gs_remote_conf *rc,
               const char *const *tenants, size_t n)
{
	struct gs_transport *tp;
	int st = GS_EXIT_OK;

	if ((tp = repl_open_check(local, rc, 1, &st)) == NULL)
		return st;
	for (size_t i = 0; i < n && st == GS_EXIT_OK; i++)
		for (int k = GS_OBJ_PACK; k <= GS_OBJ_SNAP && st == GS_EXIT_OK; k++) {
			char *dir = gs_layout_kind_dir(tenants[i], k);

			if (dir == NULL || gs_tp_mkdir(tp, dir))
				st = dir ? repl_fail_status(gs_tp_last_errkind(tp)) : GS_EXIT_FAIL;
			free(dir);
		}
	gs_tp_close(tp);
	return st;
}
