/*
 * ship.c -- copy what a remote lacks (docs/REPLICATION.md).
 *
 * Order: packs and index segments oldest first (by their local mtime), and
 * only when all of them are on the remote, the snapshot records, oldest
 * first: a remote never holds a snapshot whose objects are missing.
 * Each upload: create .gstmp-<name>-<random> exclusively and read-only,
 * write while hashing the local bytes, fsync, rename (never overwrites).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/util.h"
#include "repl_internal.h"

#define UPLOAD_ATTEMPTS 3

struct ship_ctx {
	const struct gs_repo *local;
	const struct gs_remote_conf *rc;
	const char *tenant;
	struct gs_repl_result *res;
	pthread_mutex_t mu;
	uint8_t pack_dir[256];
	FILE *pending; /* names published, for the next verify */
};

/* Make packs/<xx> on the remote once.  0 or -1. */
static int
pack_dir(struct ship_ctx *c, struct repl_worker *w, const char *name)
{
	unsigned d = (unsigned)strtoul((char[3]){name[0], name[1], 0}, NULL, 16);
	char *p;
	int rc, have;

	pthread_mutex_lock(&c->mu);
	have = c->pack_dir[d];
	pthread_mutex_unlock(&c->mu);
	if (have)
		return 0;
	if ((p = gs_asprintf("tenants/%s/packs/%02x", c->tenant, d)) == NULL)
		return -1;
	rc = gs_tp_mkdir(w->tp, p);
	free(p);
	if (rc == 0) {
		pthread_mutex_lock(&c->mu);
		c->pack_dir[d] = 1;
		pthread_mutex_unlock(&c->mu);
	}
	return rc;
}

/* Stream the local object into f while hashing it.  0, 1 when the local
 * bytes do not match the name (counted), -1 local read error, -2 remote
 * write error. */
static int
send_bytes(struct ship_ctx *c, struct repl_worker *w, const struct inv_obj *o, int fd,
           struct gs_tp_file *f)
{
	XXH128_canonical_t can;
	char hex[GS_NAME_HEX];
	uint64_t off = 0;

	XXH3_128bits_reset(w->xs);
	while (off < o->size) {
		size_t want = o->size - off < REPL_PIECE ? (size_t)(o->size - off) : REPL_PIECE;
		ssize_t n = pread(fd, w->buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			repl_problem(c->res, &c->mu,
			             "tenant %s: local %s %s: %s; not shipped (run geosnap-restore "
			             "check)",
			             c->tenant, gs_repo_kind_noun(o->kind), o->name,
			             n == 0 ? "shorter than when listed" : strerror(errno));
			return 1;
		}
		XXH3_128bits_update(w->xs, w->buf, (size_t)n);
		if (gs_tp_write(f, w->buf, (size_t)n))
			return -2;
		off += (uint64_t)n;
	}
	XXH128_canonicalFromHash(&can, XXH3_128bits_digest(w->xs));
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", can.digest[i]);
	if (strcmp(hex, o->name) != 0) {
		repl_problem(
		    c->res, &c->mu,
		    "tenant %s: local %s %s is corrupt (its bytes hash to %s); not shipped "
		    "(run geosnap-restore check)",
		    c->tenant, gs_repo_kind_noun(o->kind), o->name, hex);
		return 1;
	}
	return 0;
}

/* One attempt at one upload: 0 done, 1 problem (counted), -1 fatal (errkind
 * set), 2 worth another attempt. */
static int
upload_once(struct ship_ctx *c, struct repl_worker *w, const struct inv_obj *o, int fd)
{
	struct gs_tp_file *f;
	char *tmp, *dst = NULL;
	int rc, r;

	tmp = gs_asprintf("tenants/%s/%s/%s%s-%08x", c->tenant, gs_repo_kind_name(o->kind),
	                  GS_TMP_PREFIX, o->name, randombytes_random());
	if (tmp == NULL)
		return -1;
	if ((f = gs_tp_create(w->tp, tmp)) == NULL) {
		rc = -1;
		goto fail;
	}
	if ((r = send_bytes(c, w, o, fd, f)) != 0) {
		gs_tp_abort(f);
		rc = r == 1 ? 1 : -1;
		if (r == -2)
			goto fail;
		free(tmp);
		return rc;
	}
	if (gs_tp_commit(f)) {
		rc = -1;
		goto fail;
	}
	if ((dst = gs_repo_obj_relpath(c->tenant, o->kind, o->name)) == NULL) {
		free(tmp);
		return -1;
	}
	if ((r = gs_tp_rename(w->tp, tmp, dst)) < 0) {
		rc = -1;
		goto fail;
	}
	if (r == 1) {
		uint64_t size = 0;

		/* Published meanwhile (a rename whose answer was lost in a cut
		 * connection, or another agent): the temporary stays behind
		 * for ship --repair to sweep; verify checks the object. */
		if (gs_tp_stat(w->tp, dst, &size) == 0 && size != o->size)
			repl_problem(c->res, &c->mu,
			             "remote %s: tenant %s: %s %s appeared with %llu bytes, "
			             "expected %llu",
			             c->rc->name, c->tenant, gs_repo_kind_noun(o->kind), o->name,
			             (unsigned long long)size, (unsigned long long)o->size);
	}
	pthread_mutex_lock(&c->mu);
	c->res->objects++;
	c->res->bytes += o->size;
	if (c->pending) {
		fprintf(c->pending, "%d %s\n", o->kind, o->name);
		fflush(c->pending);
	}
	pthread_mutex_unlock(&c->mu);
	free(tmp);
	free(dst);
	return 0;
fail:
	w->errkind = gs_tp_last_errkind(w->tp);
	free(tmp);
	free(dst);
	return w->errkind == GS_TP_ERR_IO ? 2 : -1;
}

static int
upload(struct repl_worker *w, const struct inv_obj *o)
{
	struct ship_ctx *c = w->ctx;
	char *p;
	int fd, rc = -1;

	if (o->kind == GS_OBJ_PACK && pack_dir(c, w, o->name)) {
		w->errkind = gs_tp_last_errkind(w->tp);
		return -1;
	}
	if ((p = gs_repo_obj_path(c->local, c->tenant, o->kind, o->name)) == NULL)
		return -1;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
		repl_problem(c->res, &c->mu, "tenant %s: local %s %s: %s; not shipped", c->tenant,
		             gs_repo_kind_noun(o->kind), o->name, strerror(errno));
		free(p);
		return 1;
	}
	free(p);
	for (int attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt++) {
		rc = upload_once(c, w, o, fd);
		if (rc != 2)
			break;
		if (attempt < UPLOAD_ATTEMPTS)
			gs_warn("remote %s: tenant %s: %s %s: upload cut; starting it again",
			        c->rc->name, c->tenant, gs_repo_kind_noun(o->kind), o->name);
		rc = -1;
	}
	close(fd);
	return rc;
}

static int
cmp_mtime(const void *a, const void *b)
{
	const struct inv_obj *x = *(const struct inv_obj *const *)a;
	const struct inv_obj *y = *(const struct inv_obj *const *)b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Open the extra connections (the first is tps[0]); fewer on failure. */
static size_t
open_more(const struct gs_remote_conf *rc, struct gs_transport **tps, size_t want)
{
	size_t n = 1;

	while (n < want && (tps[n] = gs_tp_open(rc)) != NULL)
		n++;
	return n;
}

/* ---- repair ----------------------------------------------------------- */

/* Move a remote path into the tenant's quarantine.  0 or -1. */
static int
quarantine(struct gs_transport *tp, const char *tenant, const char *path, const char *what,
           struct gs_repl_result *res, const struct gs_remote_conf *rc)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *dir = gs_asprintf("tenants/%s/quarantine", tenant), *dst = NULL;
	int r = -1;

	if (dir == NULL || gs_tp_mkdir(tp, dir))
		goto out;
	for (unsigned i = 0; i < 100; i++) {
		free(dst);
		if ((dst = gs_asprintf("%s/%s-%s-%lld%s%.0u", dir, what, base,
		                       (long long)time(NULL), i ? "-" : "", i)) == NULL)
			goto out;
		if ((r = gs_tp_rename(tp, path, dst)) != 1)
			break;
	}
	if (r == 0) {
		gs_warn("remote %s: tenant %s: moved %s aside to %s", rc->name, tenant, path, dst);
		res->repaired++;
	}
out:
	free(dir);
	free(dst);
	return r == 0 ? 0 : -1;
}

struct readback {
	const char *tenant;
	pthread_mutex_t mu;
	const struct inv_obj **bad;
	size_t nbad;
};

static int
check_one(struct repl_worker *w, const struct inv_obj *o)
{
	struct readback *b = w->ctx;
	char hex[GS_NAME_HEX];

	if (repl_hash_remote(w, b->tenant, o, hex)) {
		w->errkind = gs_tp_last_errkind(w->tp);
		return -1;
	}
	if (strcmp(hex, o->name) != 0) {
		pthread_mutex_lock(&b->mu);
		b->bad[b->nbad++] = o;
		pthread_mutex_unlock(&b->mu);
	}
	return 0;
}

/* Read back everything on the remote; move bad, unknown and foreign files
 * aside and remove temporaries.  Exit status. */
static int
repair(const struct gs_repo *local, struct gs_transport **tps, size_t ntp,
       const struct gs_remote_conf *rc, const char *tenant, struct gs_repl_result *res)
{
	struct inv li, ri;
	struct readback b = {.tenant = tenant};
	const struct inv_obj **items = NULL;
	size_t n = 0;
	int st = GS_EXIT_FAIL, kind;

	if (inv_local(local, tenant, &li))
		return GS_EXIT_FAIL;
	if (inv_remote(tps[0], tenant, &ri)) {
		inv_free(&li);
		return repl_fail_status(gs_tp_last_errkind(tps[0]));
	}
	if ((items = calloc(ri.n + 1, sizeof(*items))) == NULL ||
	    (b.bad = calloc(ri.n + 1, sizeof(*b.bad))) == NULL)
		goto out;
	for (size_t i = 0; i < ri.n; i++) {
		const struct inv_obj *l = inv_find(&li, ri.v[i].kind, ri.v[i].name);

		if (l == NULL || l->size != ri.v[i].size)
			b.bad[b.nbad++] = &ri.v[i];
		else
			items[n++] = &ri.v[i];
	}
	pthread_mutex_init(&b.mu, NULL);
	if (repl_pool_run(tps, ntp, items, n, check_one, &b, &kind, res)) {
		pthread_mutex_destroy(&b.mu);
		st = repl_fail_status(kind);
		goto out;
	}
	pthread_mutex_destroy(&b.mu);
	st = GS_EXIT_OK;
	for (size_t i = 0; i < b.nbad && st == GS_EXIT_OK; i++) {
		char *p = gs_repo_obj_relpath(tenant, b.bad[i]->kind, b.bad[i]->name);

		if (p == NULL ||
		    quarantine(tps[0], tenant, p, gs_repo_kind_noun(b.bad[i]->kind), res, rc))
			st = repl_fail_status(gs_tp_last_errkind(tps[0]));
		free(p);
	}
	for (size_t i = 0; i < ri.nextras && st == GS_EXIT_OK; i++)
		if (quarantine(tps[0], tenant, ri.extras[i], "unknown", res, rc))
			st = repl_fail_status(gs_tp_last_errkind(tps[0]));
	for (size_t i = 0; i < ri.ntemps && st == GS_EXIT_OK; i++)
		if (gs_tp_delete(tps[0], ri.temps[i]) < 0)
			st = repl_fail_status(gs_tp_last_errkind(tps[0]));
out:
	free(items);
	free(b.bad);
	inv_free(&li);
	inv_free(&ri);
	return st;
}

/* ---- ship ------------------------------------------------------------- */

int
gs_ship(const struct gs_config *cfg, const struct gs_repo *local, const struct gs_remote_conf *rc,
        const char *tenant, int repair_first, struct gs_repl_result *res)
{
	struct ship_ctx c = {.local = local, .rc = rc, .tenant = tenant, .res = res};
	struct gs_transport *tps[64] = {0};
	const struct inv_obj **todo = NULL;
	struct inv li = {0}, ri = {0};
	size_t ntp, nobj = 0, nsnap = 0;
	char *pend = NULL, *dir;
	int st, kind, held = 0;

	memset(res, 0, sizeof(*res));
	if ((tps[0] = repl_open_check(local, rc, 1, &st)) == NULL) {
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
		return st;
	}
	ntp = rc->connections ? rc->connections : 1;
	if (ntp > sizeof(tps) / sizeof(tps[0]))
		ntp = sizeof(tps) / sizeof(tps[0]);
	ntp = open_more(rc, tps, ntp);
	if (repair_first && (st = repair(local, tps, ntp, rc, tenant, res)) != GS_EXIT_OK)
		goto out;
	st = GS_EXIT_FAIL;
	if (inv_local(local, tenant, &li))
		goto out;
	if (inv_remote(tps[0], tenant, &ri)) {
		st = repl_fail_status(gs_tp_last_errkind(tps[0]));
		goto out;
	}
	memcpy(c.pack_dir, ri.pack_dir, sizeof(c.pack_dir));
	for (int k = GS_OBJ_PACK; k <= GS_OBJ_SNAP; k++) {
		if (ri.kind_dir[k])
			continue;
		if ((dir = gs_asprintf("tenants/%s/%s", tenant, gs_repo_kind_name(k))) == NULL)
			goto out;
		kind = gs_tp_mkdir(tps[0], dir);
		free(dir);
		if (kind) {
			st = repl_fail_status(gs_tp_last_errkind(tps[0]));
			goto out;
		}
	}
	if ((todo = calloc(li.n + 1, sizeof(*todo))) == NULL)
		goto out;
	for (size_t i = 0; i < li.n; i++)
		if (li.v[i].kind != GS_OBJ_SNAP &&
		    inv_find(&ri, li.v[i].kind, li.v[i].name) == NULL)
			todo[nobj++] = &li.v[i];
	for (size_t i = 0; i < li.n; i++)
		if (li.v[i].kind == GS_OBJ_SNAP &&
		    inv_find(&ri, li.v[i].kind, li.v[i].name) == NULL)
			todo[nobj + nsnap++] = &li.v[i];
	qsort(todo, nobj, sizeof(*todo), cmp_mtime);
	qsort(todo + nobj, nsnap, sizeof(*todo), cmp_mtime);
	if (nobj + nsnap) {
		if ((pend = repl_pending_path(cfg, tenant, rc)) == NULL)
			goto out;
		if ((dir = gs_path_join(cfg->state_dir, "pending-verify")) == NULL)
			goto out;
		kind = gs_mkdir_p(dir, 0700);
		free(dir);
		if (kind || (c.pending = fopen(pend, "ae")) == NULL) {
			gs_warnp("%s", pend);
			goto out;
		}
	}
	pthread_mutex_init(&c.mu, NULL);
	/* Snapshot records only once every pack and index segment is there. */
	st = repl_pool_run(tps, ntp, todo, nobj, upload, &c, &kind, res);
	if (st == 0 && res->problems == 0)
		st = repl_pool_run(tps, ntp, todo + nobj, nsnap, upload, &c, &kind, res);
	else if (st == 0)
		held = 1;
	pthread_mutex_destroy(&c.mu);
	if (st < 0)
		st = repl_fail_status(kind);
	else
		st = res->problems ? GS_EXIT_PROBLEM : GS_EXIT_OK;
	if (held && nsnap)
		gs_warn("remote %s: tenant %s: %zu snapshot record(s) held back until their "
		        "objects are there",
		        rc->name, tenant, nsnap);
	if (st == GS_EXIT_FAIL && res->message[0] == 0)
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
out:
	if (c.pending && fclose(c.pending))
		gs_warnp("%s", pend);
	free(pend);
	free(todo);
	inv_free(&li);
	inv_free(&ri);
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++)
		gs_tp_close(tps[i]);
	return st;
}
