/*
 * verify.c -- object and checksum parity (docs/REPLICATION.md).
 *
 * The rotating sample: with verify_sample = P, an object belongs to bucket
 * (first 8 hex digits of its name) mod ceil(1/P); each completed verify of
 * a remote reads the next bucket (state_dir/verify-next/<tenant>@<remote>),
 * so every object is read back once every ceil(1/P) verifies.  Names are
 * hashes, so buckets are even.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geosnap/util.h"
#include "repl_internal.h"

int
repl_hash_remote_path(struct repl_worker *w, const char *path, uint64_t size,
                      char ret_hex[GS_NAME_HEX])
{
	return gs_tp_hash(w->tp, path, size, w->buf, REPL_PIECE, ret_hex);
}

int
repl_hash_remote(struct repl_worker *w, const char *tenant, const struct inv_obj *o,
                 char hex[GS_NAME_HEX])
{
	char *p = gs_layout_obj(tenant, o->kind, o->name);
	int rc;

	if (p == NULL)
		return -1;
	rc = repl_hash_remote_path(w, p, o->size, hex);
	free(p);
	if (rc == 1) /* deleted or cut since the listing: hashes to nothing */
		snprintf(hex, GS_NAME_HEX, "(missing)");
	return rc < 0 ? -1 : 0;
}

struct vctx {
	const struct gs_repo *local;
	const struct gs_remote_conf *rc;
	const char *tenant;
	struct gs_repl_result *res;
	pthread_mutex_t mu;
};

/* Read one object back on the remote and locally. */
static int
readback(struct repl_worker *w, const struct inv_obj *o)
{
	struct vctx *v = w->ctx;
	char hex[GS_NAME_HEX];
	int bad = 0;

	if (repl_hash_remote(w, v->tenant, o, hex)) {
		w->errkind = gs_tp_last_errkind(w->tp);
		return -1;
	}
	if (strcmp(hex, o->name) != 0) {
		repl_problem(v->res, &v->mu,
		             "remote %s: tenant %s: %s %s: checksum mismatch (its bytes hash to "
		             "%s); run geosnap-agent ship --repair",
		             v->rc->name, v->tenant, gs_layout_kind_noun(o->kind), o->name, hex);
		bad = 1;
	}
	if (repl_hash_local(v->local, v->tenant, o, w, hex) || strcmp(hex, o->name) != 0) {
		repl_problem(v->res, &v->mu,
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

/* Load the names shipped since the last verify into a sorted inventory. */
static int
load_pending(const char *path, struct inv *ret)
{
	char line[128];
	FILE *f;
	int fd;

	memset(ret, 0, sizeof(*ret));
	/* a state file: never read through a link */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (f = fdopen(fd, "r")) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			return 0;
		errno = e;
		if (e == ELOOP)
			gs_warn("%s: is a symbolic link; refused, not followed", path);
		else
			gs_warnp("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[GS_NAME_HEX];
		int kind;

		if (sscanf(line, "%d %32s", &kind, name) != 2 || kind < GS_OBJ_PACK ||
		    kind > GS_OBJ_SNAP || !gs_layout_is_objname(name))
			continue; /* a line cut by a kill: that object is sampled later */
		if (ret->n == ret->cap) {
			size_t nc = ret->cap ? ret->cap * 2 : 64;
			void *nv = realloc(ret->v, nc * sizeof(*ret->v));

			if (nv == NULL) {
				fclose(f);
				inv_free(ret);
				return -1;
			}
			ret->v = nv;
			ret->cap = nc;
		}
		memset(&ret->v[ret->n], 0, sizeof(ret->v[0]));
		memcpy(ret->v[ret->n].name, name, GS_NAME_HEX);
		ret->v[ret->n].kind = (uint8_t)kind;
		ret->n++;
	}
	fclose(f);
	inv_sort(ret);
	return 0;
}

/* The bucket count and the next bucket of the rotating sample. */
static unsigned
buckets(uint32_t ppm)
{
	return ppm == 0 ? 0 : (unsigned)((1000000u + ppm - 1) / ppm);
}

static char *
next_path(const struct gs_config *cfg, const char *tenant, const struct gs_remote_conf *rc)
{
	return gs_asprintf("%s/verify-next/%s@%s", cfg->state_dir, tenant, rc->name);
}

static unsigned
load_next(const char *path, unsigned nb)
{
	uint8_t *buf;
	size_t len;
	unsigned v = 0;

	if (nb == 0 || gs_read_file(path, 64, &buf, &len) != 0)
		return 0;
	if (len > 0 && len < 64) {
		char s[64];

		memcpy(s, buf, len);
		s[len] = 0;
		v = (unsigned)strtoul(s, NULL, 10);
	}
	free(buf);
	return v % nb;
}

static void
save_next(const char *path, unsigned v)
{
	char s[32], *dir = gs_strdup(path);
	int n = snprintf(s, sizeof(s), "%u\n", v);

	if (dir != NULL && strrchr(dir, '/') != NULL) {
		*strrchr(dir, '/') = 0;
		if (gs_mkdir_p(dir, 0700) == 0)
			gs_write_file_replace(path, s, (size_t)n, 0600, 1);
	}
	free(dir);
}

int
gs_verify(const struct gs_config *cfg, const struct gs_repo *local, const struct gs_remote_conf *rc,
          const char *tenant, int full, struct gs_repl_result *res)
{
	struct vctx v = {.local = local, .rc = rc, .tenant = tenant, .res = res};
	struct gs_transport *tps[64] = {0};
	const struct inv_obj **todo = NULL;
	struct inv li = {0}, ri = {0}, pend = {0};
	unsigned nb = buckets(cfg->policy.verify_sample_ppm), next;
	char *ppath = NULL, *npath = NULL;
	size_t ntp, n = 0;
	int st, kind, rb;

	memset(res, 0, sizeof(*res));
	if ((tps[0] = repl_open_check(local, rc, 0, &st)) == NULL) {
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
		if (st == GS_EXIT_PROBLEM)
			res->problems = 1;
		return st;
	}
	st = GS_EXIT_FAIL;
	if ((ppath = repl_pending_path(cfg, tenant, rc)) == NULL ||
	    (npath = next_path(cfg, tenant, rc)) == NULL || load_pending(ppath, &pend) ||
	    inv_local(local, tenant, &li))
		goto out;
	if (inv_remote(tps[0], tenant, &ri)) {
		st = repl_fail_status(gs_tp_last_errkind(tps[0]));
		goto out;
	}
	/* Object parity: names and sizes, both ways. */
	for (size_t i = 0; i < li.n; i++) {
		const struct inv_obj *l = &li.v[i], *r = inv_find(&ri, l->kind, l->name);

		res->compared++;
		if (r == NULL)
			repl_problem(res, NULL,
			             "remote %s: tenant %s: %s %s: missing on the remote", rc->name,
			             tenant, gs_layout_kind_noun(l->kind), l->name);
		else if (r->size != l->size)
			repl_problem(res, NULL,
			             "remote %s: tenant %s: %s %s: %llu bytes on the remote, %llu "
			             "here",
			             rc->name, tenant, gs_layout_kind_noun(l->kind), l->name,
			             (unsigned long long)r->size, (unsigned long long)l->size);
	}
	for (size_t i = 0; i < ri.n; i++)
		if (inv_find(&li, ri.v[i].kind, ri.v[i].name) == NULL)
			repl_problem(
			    res, NULL,
			    "remote %s: tenant %s: %s %s: on the remote but not in the local "
			    "repository",
			    rc->name, tenant, gs_layout_kind_noun(ri.v[i].kind), ri.v[i].name);
	for (size_t i = 0; i < ri.nextras; i++)
		repl_problem(res, NULL, "remote %s: tenant %s: unexpected file %s on the remote",
		             rc->name, tenant, ri.extras[i]);
	/* Checksum parity: what was shipped since the last verify, and a
	 * bucket of the rest (or all of it). */
	next = load_next(npath, nb);
	if ((todo = calloc(li.n + 1, sizeof(*todo))) == NULL)
		goto out;
	for (size_t i = 0; i < li.n; i++) {
		const struct inv_obj *l = &li.v[i], *r = inv_find(&ri, l->kind, l->name);
		int take = full || inv_find(&pend, l->kind, l->name) != NULL;

		if (!take && nb)
			take = strtoul((char[9]){l->name[0], l->name[1], l->name[2], l->name[3],
			                         l->name[4], l->name[5], l->name[6], l->name[7], 0},
			               NULL, 16) %
			           nb ==
			       next;
		if (take && r != NULL && r->size == l->size)
			todo[n++] = l;
	}
	ntp = rc->connections ? rc->connections : 1;
	if (ntp > sizeof(tps) / sizeof(tps[0]))
		ntp = sizeof(tps) / sizeof(tps[0]);
	for (size_t i = 1; i < ntp && i < n; i++)
		if ((tps[i] = gs_tp_open(rc)) == NULL) {
			ntp = i;
			break;
		}
	if (ntp > n)
		ntp = n ? n : 1;
	pthread_mutex_init(&v.mu, NULL);
	rb = repl_pool_run(tps, ntp, todo, n, readback, &v, &kind, res);
	pthread_mutex_destroy(&v.mu);
	if (rb) {
		st = repl_fail_status(kind);
		goto out;
	}
	/* Completed: the pending names are read, the sample moves on. */
	if (unlink(ppath) && errno != ENOENT)
		gs_warnp("%s", ppath);
	if (nb)
		save_next(npath, (next + 1) % nb);
	st = res->problems ? GS_EXIT_PROBLEM : GS_EXIT_OK;
out:
	if (st == GS_EXIT_FAIL && res->message[0] == 0)
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
	free(todo);
	free(ppath);
	free(npath);
	inv_free(&li);
	inv_free(&ri);
	inv_free(&pend);
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++)
		gs_tp_close(tps[i]);
	return st;
}
