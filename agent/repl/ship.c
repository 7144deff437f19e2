/*
 * ship.c -- copy what a remote lacks (docs/REPLICATION.md).
 *
 * Order: packs and index segments oldest first (by their local mtime), and
 * only when all of them are on the remote, the snapshot records, oldest
 * first: a remote never holds a snapshot whose objects are missing.
 * Each upload: create .gstmp-<name>-<random> exclusively and read-only,
 * write while hashing the local bytes, fsync, rename (never overwrites).
 * With --repair, repair.c sorts the remote out first.
 *
 * Locking: uploads run on the worker pool; the ship's mutex guards the
 * result, the fan-out directories known to exist and the pending file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "geosnap/state.h"
#include "repl_internal.h"

#define UPLOAD_ATTEMPTS 3

struct ship_ctx {
	const struct gs_repo *local;
	const struct gs_remote_conf *rc;
	const char *tenant;
	struct gs_repl_result *res;
	pthread_mutex_t mu;
	uint8_t pack_dir[GS_LAYOUT_FANOUT];
	struct gs_state_pending *pending; /* names published, for the next verify */
};

/* Make packs/<xx> on the remote once.  0 or -1. */
static int
pack_dir(struct ship_ctx *c, struct gs_repl_worker *w, const char *name)
{
	unsigned d = gs_repl_fanout(name);
	char *p;
	int rc, have;

	pthread_mutex_lock(&c->mu);
	have = c->pack_dir[d];
	pthread_mutex_unlock(&c->mu);
	if (have)
		return 0;
	if ((p = gs_layout_fanout_dir(c->tenant, d)) == NULL)
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
send_bytes(struct ship_ctx *c, struct gs_repl_worker *w, const struct gs_repl_obj *o,
           struct gs_tp_file *f)
{
	XXH128_canonical_t can;
	char hex[GS_NAME_HEX];
	uint64_t off = 0;

	XXH3_128bits_reset(w->xs);
	while (off < o->size) {
		size_t n = o->size - off < GS_REPL_PIECE ? (size_t)(o->size - off) : GS_REPL_PIECE;

		if (gs_repo_read_range(c->local, c->tenant, o->kind, o->name, off, n, w->buf)) {
			gs_repl_problem(c->res, &c->mu,
			                "tenant %s: local %s %s: unreadable or shorter than when "
			                "listed; not shipped (run geosnap-restore check)",
			                c->tenant, gs_layout_kind_noun(o->kind), o->name);
			return 1;
		}
		XXH3_128bits_update(w->xs, w->buf, n);
		if (gs_tp_write(f, w->buf, n))
			return -2;
		off += n;
	}
	XXH128_canonicalFromHash(&can, XXH3_128bits_digest(w->xs));
	gs_hex(hex, can.digest, GS_NAME_LEN);
	if (strcmp(hex, o->name) != 0) {
		gs_repl_problem(
		    c->res, &c->mu,
		    "tenant %s: local %s %s is corrupt (its bytes hash to %s); not shipped "
		    "(run geosnap-restore check)",
		    c->tenant, gs_layout_kind_noun(o->kind), o->name, hex);
		return 1;
	}
	return 0;
}

/* One attempt at one upload: 0 done, 1 problem (counted), -1 fatal (errkind
 * set), 2 worth another attempt. */
static int
upload_once(struct ship_ctx *c, struct gs_repl_worker *w, const struct gs_repl_obj *o)
{
	struct gs_tp_file *f;
	char *tmp, *dst = NULL, tag[GS_NAME_HEX + 1 + GS_REPL_TAG_HEX];
	int rc, r;

	snprintf(tag, sizeof(tag), "%s-%08x", o->name, randombytes_random());
	if ((tmp = gs_layout_tmp(c->tenant, o->kind, tag)) == NULL)
		return -1;
	if ((f = gs_tp_create(w->tp, tmp)) == NULL) {
		rc = -1;
		goto fail;
	}
	if ((r = send_bytes(c, w, o, f)) != 0) {
		gs_tp_abort(f);
		rc = r == 1 ? 1 : -1;
		if (r == -2)
			goto fail;
		free(tmp);
		return rc;
	}
	if ((dst = gs_layout_obj(c->tenant, o->kind, o->name)) == NULL) {
		gs_tp_abort(f);
		free(tmp);
		return -1;
	}
	if ((r = gs_tp_publish(f, dst)) < 0) {
		rc = -1;
		goto fail;
	}
	if (r == 1) {
		uint64_t size = 0;

		/* Published meanwhile (a rename whose answer was lost in a cut
		 * connection, or another agent): the temporary stays behind
		 * for ship --repair to quarantine once it is old; verify
		 * checks the object. */
		if (gs_tp_stat(w->tp, dst, &size) == 0 && size != o->size)
			gs_repl_problem(c->res, &c->mu,
			                "remote %s: tenant %s: %s %s appeared with %llu bytes, "
			                "expected %llu",
			                c->rc->name, c->tenant, gs_layout_kind_noun(o->kind),
			                o->name, (unsigned long long)size,
			                (unsigned long long)o->size);
	}
	pthread_mutex_lock(&c->mu);
	c->res->objects++;
	c->res->bytes += o->size;
	if (c->pending)
		gs_state_pending_add(c->pending, o->kind, o->name);
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
upload(struct gs_repl_worker *w, const struct gs_repl_obj *o)
{
	struct ship_ctx *c = w->ctx;
	int rc = -1;

	if (o->kind == GS_OBJ_PACK && pack_dir(c, w, o->name)) {
		w->errkind = gs_tp_last_errkind(w->tp);
		return -1;
	}
	for (int attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt++) {
		rc = upload_once(c, w, o);
		if (rc != 2)
			break;
		if (attempt < UPLOAD_ATTEMPTS)
			gs_warn("remote %s: tenant %s: %s %s: upload cut; starting it again",
			        c->rc->name, c->tenant, gs_layout_kind_noun(o->kind), o->name);
		rc = -1;
	}
	return rc;
}

static int
cmp_mtime(const void *a, const void *b)
{
	const struct gs_repl_obj *x = *(const struct gs_repl_obj *const *)a;
	const struct gs_repl_obj *y = *(const struct gs_repl_obj *const *)b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * gs_ship(cfg, local, rc, tenant, repair, res): copy every object of the
 * tenant that the remote lacks, packs and index oldest first, snapshot
 * records last; rc->connections uploads in parallel.  With repair (NULL:
 * none), first read back everything on the remote and sort it out, deleting
 * nothing: a bad object (wrong size or checksum) or unknown file is moved
 * into the tenant's quarantine/ directory; an intact object the local copy
 * lacks is kept; a temporary holding a whole object of its directory's kind
 * that the remote lacks is renamed into place (never overwriting); any
 * other temporary is left alone when younger than GS_REPAIR_TMP_MIN_AGE_S,
 * else quarantined.  Each such action is one line on stderr and one call
 * of repair->record.  Then ship.  Each published object is appended to
 * state_dir/pending-verify/<tenant>@<remote>.
 */
int
gs_ship(const struct gs_config *cfg, const struct gs_repo *local, const struct gs_remote_conf *rc,
        const char *tenant, const struct gs_repair *repair_first, struct gs_repl_result *res)
{
	struct ship_ctx c = {.local = local, .rc = rc, .tenant = tenant, .res = res};
	struct gs_transport *tps[GS_REPL_MAX_CONNS] = {0};
	const struct gs_repl_obj **todo = NULL;
	struct gs_repl_inv li = {0}, ri = {0};
	size_t ntp, nobj = 0, nsnap = 0;
	char *dir;
	int st, kind, held = 0, r;

	memset(res, 0, sizeof(*res));
	/* repair moves objects aside: the maintenance account (ship alone
	 * needs no more than the nightly account, docs/SECURITY.md) */
	if ((tps[0] = gs_repl_open_check(
	         local, rc, GS_REPL_CREATE | (repair_first ? GS_REPL_MAINT : 0), &st)) == NULL) {
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
		return st;
	}
	ntp = gs_repl_conns_open_as(rc, tps, SIZE_MAX, repair_first ? GS_REPL_MAINT : 0);
	if (repair_first &&
	    (st = gs_repl_repair(local, tps, ntp, rc, tenant, repair_first, res)) != GS_EXIT_OK) {
		if (res->message[0] == 0)
			snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
		goto out;
	}
	st = GS_EXIT_FAIL;
	if (gs_repl_inv_local(local, tenant, &li))
		goto out;
	if (gs_repl_inv_remote(tps[0], tenant, &ri)) {
		st = gs_repl_fail_status(gs_tp_last_errkind(tps[0]));
		goto out;
	}
	memcpy(c.pack_dir, ri.pack_dir, sizeof(c.pack_dir));
	for (int k = GS_OBJ_PACK; k < GS_OBJ_NKINDS; k++) {
		if (ri.kind_dir[k])
			continue;
		if ((dir = gs_layout_kind_dir(tenant, k)) == NULL)
			goto out;
		r = gs_tp_mkdir(tps[0], dir);
		free(dir);
		if (r) {
			st = gs_repl_fail_status(gs_tp_last_errkind(tps[0]));
			goto out;
		}
	}
	if ((todo = calloc(li.n + 1, sizeof(*todo))) == NULL)
		goto out;
	/* Snapshot records and relocation objects (which send readers to new
	 * packs) go last, once every pack and index segment is there. */
	for (size_t i = 0; i < li.n; i++)
		if (li.v[i].kind != GS_OBJ_SNAP && li.v[i].kind != GS_OBJ_RELOC &&
		    gs_repl_inv_find(&ri, li.v[i].kind, li.v[i].name) == NULL)
			todo[nobj++] = &li.v[i];
	for (size_t i = 0; i < li.n; i++)
		if ((li.v[i].kind == GS_OBJ_SNAP || li.v[i].kind == GS_OBJ_RELOC) &&
		    gs_repl_inv_find(&ri, li.v[i].kind, li.v[i].name) == NULL)
			todo[nobj + nsnap++] = &li.v[i];
	qsort(todo, nobj, sizeof(*todo), cmp_mtime);
	qsort(todo + nobj, nsnap, sizeof(*todo), cmp_mtime);
	if (nobj + nsnap &&
	    (c.pending = gs_state_pending_open(cfg->state_dir, tenant, rc->name)) == NULL)
		goto out;
	pthread_mutex_init(&c.mu, NULL);
	st = gs_repl_pool_run(tps, ntp, todo, nobj, upload, &c, &kind, res);
	if (st == 0 && res->problems == 0)
		st = gs_repl_pool_run(tps, ntp, todo + nobj, nsnap, upload, &c, &kind, res);
	else if (st == 0)
		held = 1;
	pthread_mutex_destroy(&c.mu);
	if (st < 0)
		st = gs_repl_fail_status(kind);
	else
		st = res->problems ? GS_EXIT_PROBLEM : GS_EXIT_OK;
	if (held && nsnap)
		gs_warn("remote %s: tenant %s: %zu snapshot record(s) held back until their "
		        "objects are there",
		        rc->name, tenant, nsnap);
	if (st == GS_EXIT_FAIL && res->message[0] == 0)
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
out:
	gs_state_pending_close(c.pending);
	free(todo);
	gs_repl_inv_clear(&li);
	gs_repl_inv_clear(&ri);
	gs_repl_conns_close(tps);
	return st;
}
