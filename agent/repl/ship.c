/*
 * ship.c -- copy what a remote lacks (docs/REPLICATION.md).
 *
 * Order: packs and index segments oldest first (by their local mtime), and
 * only when all of them are on the remote, the snapshot records, oldest
 * first: a remote never holds a snapshot whose objects are missing.
 * Each upload: create .gstmp-<name>-<random> exclusively and read-only,
 * write while hashing the local bytes, fsync, rename (never overwrites).
 *
 * Repair deletes nothing: whoever can rename on the remote (publishing
 * needs rename, so even an "append-only" server allows it) can make an
 * object look like a temporary, and the local copy may be gone.  So a
 * temporary holding a whole object is put back, and anything else is
 * left alone or moved into the quarantine for a human.
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

#include "geosnap/format.h"
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
send_bytes(struct ship_ctx *c, struct repl_worker *w, const struct inv_obj *o, struct gs_tp_file *f)
{
	XXH128_canonical_t can;
	char hex[GS_NAME_HEX];
	uint64_t off = 0;

	XXH3_128bits_reset(w->xs);
	while (off < o->size) {
		size_t n = o->size - off < REPL_PIECE ? (size_t)(o->size - off) : REPL_PIECE;

		if (gs_repo_read_range(c->local, c->tenant, o->kind, o->name, off, n, w->buf)) {
			repl_problem(c->res, &c->mu,
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
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", can.digest[i]);
	if (strcmp(hex, o->name) != 0) {
		repl_problem(
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
upload_once(struct ship_ctx *c, struct repl_worker *w, const struct inv_obj *o)
{
	struct gs_tp_file *f;
	char *tmp, *dst = NULL, tag[GS_NAME_HEX + 9];
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
			repl_problem(c->res, &c->mu,
			             "remote %s: tenant %s: %s %s appeared with %llu bytes, "
			             "expected %llu",
			             c->rc->name, c->tenant, gs_layout_kind_noun(o->kind), o->name,
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

/* The largest index segment or snapshot record repair reads whole to check
 * that a temporary holds one (the size of the largest pack header). */
#define REPAIR_META_MAX ((uint64_t)GS_MAX_PACK_HEADER)

struct repair_ctx {
	struct gs_transport *tp;
	const struct gs_remote_conf *rc;
	const char *tenant;
	const struct gs_repair *how;
	struct gs_repl_result *res;
};

/* Print one action's line and have it recorded.  0, or -1 when the record
 * could not be written (the repair stops). */
static int
report(struct repair_ctx *c, const char *path, uint64_t size, const char *action, const char *to,
       const char *reason)
{
	struct gs_repair_action a = {
	    .path = path, .action = action, .to = to, .reason = reason, .size = size};

	if (strcmp(action, "restored") == 0)
		gs_warn("remote %s: tenant %s: %s: restored to %s: %s", c->rc->name, c->tenant,
		        path, to, reason);
	else if (strcmp(action, "quarantined") == 0)
		gs_warn("remote %s: tenant %s: %s: moved aside to %s: %s", c->rc->name, c->tenant,
		        path, to, reason);
	else
		gs_warn("remote %s: tenant %s: %s: %s: %s", c->rc->name, c->tenant, path,
		        strcmp(action, "left") == 0 ? "left alone" : action, reason);
	if (c->how->record != NULL && c->how->record(c->how->arg, &a) != 0) {
		gs_warn("remote %s: tenant %s: cannot record the repair of %s; stopping",
		        c->rc->name, c->tenant, path);
		return -1;
	}
	return 0;
}

/* Move a remote file into the tenant's quarantine (never over another
 * file) and report it.  0 or -1 (warned). */
static int
quarantine(struct repair_ctx *c, const char *path, uint64_t size, const char *what,
           const char *reason)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *dir = gs_layout_quarantine_dir(c->tenant), *dst = NULL;
	int r = -1;

	if (dir == NULL || gs_tp_mkdir(c->tp, dir))
		goto out;
	for (unsigned i = 0; i < 100; i++) {
		free(dst);
		if ((dst = gs_layout_quarantine(c->tenant, what, base, (long long)time(NULL), i)) ==
		    NULL)
			goto out;
		if ((r = gs_tp_rename(c->tp, path, dst)) != 1)
			break;
	}
	if (r == 0) {
		c->res->repaired++;
		r = report(c, path, size, "quarantined", dst, reason);
	} else if (r == 1) {
		gs_warn("remote %s: tenant %s: no free name in %s for %s", c->rc->name, c->tenant,
		        dir, path);
		r = -1;
	}
out:
	free(dir);
	free(dst);
	return r == 0 ? 0 : -1;
}

struct readback {
	const char *tenant;
	const struct inv_obj *v; /* the remote inventory's objects */
	char (*hex)[GS_NAME_HEX];
};

static int
check_one(struct repl_worker *w, const struct inv_obj *o)
{
	struct readback *b = w->ctx;

	/* each object has its own slot: no lock */
	if (repl_hash_remote(w, b->tenant, o, b->hex[o - b->v])) {
		w->errkind = gs_tp_last_errkind(w->tp);
		return -1;
	}
	return 0;
}

/* Does the remote lack (kind, name)?  gone marks the objects moved aside. */
static int
lacks(const struct inv *ri, const uint8_t *gone, int kind, const char *name)
{
	const struct inv_obj *o = inv_find(ri, kind, name);

	return o == NULL || gone[o - ri->v];
}

/* Read len bytes at off of a remote file into a fresh buffer.  0, 1 when
 * the file is gone, -1. */
static int
read_range(struct gs_transport *tp, const char *path, uint64_t off, size_t len, uint8_t **ret)
{
	uint8_t *buf = malloc(len ? len : 1);
	int r;

	if (buf == NULL) {
		gs_warnp("malloc");
		return -1;
	}
	if ((r = gs_tp_read(tp, path, off, len, buf)) != 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

/*
 * Is temporary t a whole object of its directory's kind named hex (its
 * bytes' hash), authentic under the tenant's index key?  0 yes; 1 no (why,
 * from the parser, in gs_last_error()); 2 the file is gone; -1 error.  A
 * partial upload fails here: a pack lacks its trailer, an index segment
 * its authentication tag, a snapshot record its length fields.  Only the
 * first t->size bytes are read, which an upload in progress never changes.
 */
static int
whole_object(struct repair_ctx *c, const struct inv_temp *t, const char *hex)
{
	uint8_t head[8], tr[8], *buf = NULL;
	size_t need = 0;
	int r, q, ok;

	if (t->kind == GS_OBJ_PACK) {
		struct gs_pack_header h = {0};

		if ((r = gs_tp_read(c->tp, t->path, 0, sizeof(head), head)) != 0 ||
		    (r = gs_tp_read(c->tp, t->path, t->size - sizeof(tr), sizeof(tr), tr)) != 0)
			return r == 1 ? 2 : -1;
		/* the parsers' messages are the reason, not lines of their own */
		q = gs_set_quiet(1);
		ok = gs_pack_check_magic(hex, head, sizeof(head)) == 0 &&
		     gs_pack_header_len(hex, tr, t->size, &need) == 0;
		gs_set_quiet(q);
		if (!ok)
			return 1;
		if ((r = read_range(c->tp, t->path, t->size - need, need, &buf)) != 0)
			return r == 1 ? 2 : -1;
		q = gs_set_quiet(1);
		ok = gs_pack_header_parse(c->how->key->index_key, hex, buf, need, t->size, &h) == 0;
		gs_set_quiet(q);
		gs_pack_header_free(&h);
	} else {
		XXH128_canonical_t can;
		char again[GS_NAME_HEX];

		if ((r = read_range(c->tp, t->path, 0, (size_t)t->size, &buf)) != 0)
			return r == 1 ? 2 : -1;
		/* parse the very bytes that were hashed */
		XXH128_canonicalFromHash(&can, XXH3_128bits(buf, (size_t)t->size));
		for (int i = 0; i < 16; i++)
			snprintf(again + 2 * i, 3, "%02x", can.digest[i]);
		if (strcmp(again, hex) != 0) {
			gs_warn("%s changed while being read", t->path);
			free(buf);
			return 1;
		}
		q = gs_set_quiet(1);
		if (t->kind == GS_OBJ_INDEX) {
			struct gs_index idx = {0};

			ok = gs_index_parse(c->how->key->index_key, hex, buf, (size_t)t->size,
			                    &idx) == 0;
			gs_index_free(&idx);
		} else {
			struct gs_snap_info si = {0};
			const uint8_t *sct;
			size_t slen;
			uint8_t ph[32];

			ok = gs_snap_parse_public(c->how->key->index_key, hex, buf, (size_t)t->size,
			                          &si, &sct, &slen, ph) == 0;
			gs_snap_info_free(&si);
		}
		gs_set_quiet(q);
	}
	free(buf);
	return ok ? 0 : 1;
}

/* "N min", "N h" or "N days" (rounded down), into buf. */
static const char *
age_str(char *buf, size_t len, int64_t secs)
{
	if (secs < 2 * 3600)
		snprintf(buf, len, "%lld min", (long long)(secs / 60));
	else if (secs < 2 * 86400)
		snprintf(buf, len, "%lld h", (long long)(secs / 3600));
	else
		snprintf(buf, len, "%lld days", (long long)(secs / 86400));
	return buf;
}

/* Sort out one temporary: restore it, leave it, or quarantine it.  0, or -1
 * (errkind on the transport). */
static int
repair_temp(struct repair_ctx *c, struct repl_worker *w, struct inv *ri, const uint8_t *gone,
            const struct inv_temp *t)
{
	const char *noun = gs_layout_kind_noun(t->kind);
	char hex[GS_NAME_HEX] = "", why[768], reason[1024], age[32];
	char *dst = NULL, *dir = NULL;
	int64_t secs;
	int r;

	if (t->size == 0) {
		snprintf(why, sizeof(why), "empty");
	} else if (t->size > GS_MAX_OBJECT ||
	           (t->kind != GS_OBJ_PACK && t->size > REPAIR_META_MAX) ||
	           (t->kind == GS_OBJ_PACK && t->size < 16)) {
		snprintf(why, sizeof(why), "%llu bytes: no %s has that size",
		         (unsigned long long)t->size, noun);
	} else if ((r = repl_hash_remote_path(w, t->path, t->size, hex)) < 0) {
		return -1;
	} else if (r == 1) {
		return 0; /* gone since the listing: nothing to do */
	} else if (t->fanout[0] && strncmp(hex, t->fanout, 2) != 0) {
		snprintf(why, sizeof(why),
		         "its bytes hash to %s, which does not belong in packs/%s/", hex,
		         t->fanout);
	} else if (!lacks(ri, gone, t->kind, hex)) {
		snprintf(why, sizeof(why), "a copy of %s %s, which the remote has", noun, hex);
	} else if ((r = whole_object(c, t, hex)) < 0) {
		return -1;
	} else if (r == 2) {
		return 0;
	} else if (r == 1) {
		snprintf(why, sizeof(why), "not a whole %s (%s)", noun, gs_last_error());
	} else {
		unsigned d = (unsigned)strtoul((char[3]){hex[0], hex[1], 0}, NULL, 16);

		if ((dst = gs_layout_obj(c->tenant, t->kind, hex)) == NULL)
			return -1;
		if (t->kind == GS_OBJ_PACK && !ri->pack_dir[d]) {
			if ((dir = gs_layout_obj_dir(c->tenant, t->kind, hex)) == NULL ||
			    gs_tp_mkdir(c->tp, dir)) {
				free(dir);
				free(dst);
				return -1;
			}
			free(dir);
			ri->pack_dir[d] = 1;
		}
		if ((r = gs_tp_rename(c->tp, t->path, dst)) < 0) {
			free(dst);
			return -1;
		}
		if (r == 0) {
			snprintf(
			    reason, sizeof(reason),
			    "its bytes are a whole %s (authentic under the index key) that the "
			    "remote lacked",
			    noun);
			c->res->repaired++;
			r = report(c, t->path, t->size, "restored", dst, reason);
			free(dst);
			return r;
		}
		free(dst);
		snprintf(why, sizeof(why), "a copy of %s %s, which the remote has", noun, hex);
	}
	/* Not an object to restore: its age decides.  An unknown age counts
	 * as young: leaving a file alone is always safe. */
	secs = (int64_t)time(NULL) - t->mtime;
	if (t->mtime != 0 && secs >= GS_REPAIR_TMP_MIN_AGE_S) {
		snprintf(reason, sizeof(reason), "%s; modified %s ago", why,
		         age_str(age, sizeof(age), secs));
		return quarantine(c, t->path, t->size, "temporary", reason);
	}
	if (t->mtime == 0)
		snprintf(reason, sizeof(reason),
		         "%s; its age is unknown (the server gave no modification time)", why);
	else
		snprintf(reason, sizeof(reason),
		         "%s; modified %s ago, less than %d h: it may be an upload in progress",
		         why, age_str(age, sizeof(age), secs < 0 ? 0 : secs),
		         GS_REPAIR_TMP_MIN_AGE_S / 3600);
	return report(c, t->path, t->size, "left", NULL, reason);
}

/* Read back everything on the remote and sort it out, deleting nothing:
 * bad objects and unknown files go into the quarantine, intact objects the
 * local copy lacks stay, temporaries are restored, left or quarantined
 * (gs_ship).  Exit status. */
static int
repair(const struct gs_repo *local, struct gs_transport **tps, size_t ntp,
       const struct gs_remote_conf *rc, const char *tenant, const struct gs_repair *how,
       struct gs_repl_result *res)
{
	struct repair_ctx c = {.tp = tps[0], .rc = rc, .tenant = tenant, .how = how, .res = res};
	struct repl_worker w = {.tp = tps[0]};
	struct inv li, ri;
	struct readback b = {.tenant = tenant};
	const struct inv_obj **items = NULL;
	uint8_t *gone = NULL;
	char reason[256];
	size_t n = 0;
	int st = GS_EXIT_FAIL, kind;

	if (inv_local(local, tenant, &li))
		return GS_EXIT_FAIL;
	if (inv_remote(tps[0], tenant, &ri)) {
		inv_free(&li);
		return repl_fail_status(gs_tp_last_errkind(tps[0]));
	}
	b.v = ri.v;
	if ((items = calloc(ri.n + 1, sizeof(*items))) == NULL ||
	    (gone = calloc(ri.n + 1, 1)) == NULL ||
	    (b.hex = calloc(ri.n + 1, sizeof(*b.hex))) == NULL ||
	    (w.buf = malloc(REPL_PIECE)) == NULL || (w.xs = XXH3_createState()) == NULL) {
		gs_warnp("malloc");
		goto out;
	}
	/* Read back all but the objects whose size already says they are bad. */
	for (size_t i = 0; i < ri.n; i++) {
		const struct inv_obj *l = inv_find(&li, ri.v[i].kind, ri.v[i].name);

		if (l == NULL || l->size == ri.v[i].size)
			items[n++] = &ri.v[i];
	}
	if (repl_pool_run(tps, ntp, items, n, check_one, &b, &kind, res)) {
		st = repl_fail_status(kind);
		goto out;
	}
	st = GS_EXIT_OK;
	for (size_t i = 0; i < ri.n && st == GS_EXIT_OK; i++) {
		const struct inv_obj *o = &ri.v[i], *l = inv_find(&li, o->kind, o->name);
		const char *noun = gs_layout_kind_noun(o->kind);
		char *p;

		if (l != NULL && l->size != o->size)
			snprintf(reason, sizeof(reason), "%llu bytes, the local %s has %llu",
			         (unsigned long long)o->size, noun, (unsigned long long)l->size);
		else if (strcmp(b.hex[i], o->name) != 0)
			snprintf(reason, sizeof(reason), "checksum mismatch (its bytes hash to %s)",
			         b.hex[i]);
		else if (l != NULL)
			continue; /* intact, and the local copy has it */
		else
			snprintf(
			    reason, sizeof(reason),
			    "intact (its bytes hash to its name), but the local repository has "
			    "no such %s: if it was lost there, copy it back from here",
			    noun);
		if ((p = gs_layout_obj(tenant, o->kind, o->name)) == NULL) {
			st = GS_EXIT_FAIL;
			break;
		}
		if (l == NULL && strcmp(b.hex[i], o->name) == 0) {
			if (report(&c, p, o->size, "kept", NULL, reason))
				st = GS_EXIT_FAIL;
		} else if (quarantine(&c, p, o->size, noun, reason)) {
			st = repl_fail_status(gs_tp_last_errkind(tps[0]));
		} else {
			gone[i] = 1;
		}
		free(p);
	}
	for (size_t i = 0; i < ri.nextras && st == GS_EXIT_OK; i++)
		if (quarantine(&c, ri.extras[i], 0, "unknown",
		               "not an object, nor a temporary, in its place"))
			st = repl_fail_status(gs_tp_last_errkind(tps[0]));
	for (size_t i = 0; i < ri.ntemps && st == GS_EXIT_OK; i++)
		if (repair_temp(&c, &w, &ri, gone, &ri.temps[i]))
			st = repl_fail_status(gs_tp_last_errkind(tps[0]));
out:
	if (w.xs)
		XXH3_freeState(w.xs);
	free(w.buf);
	free(items);
	free(gone);
	free(b.hex);
	inv_free(&li);
	inv_free(&ri);
	return st;
}

/* ---- ship ------------------------------------------------------------- */

int
gs_ship(const struct gs_config *cfg, const struct gs_repo *local, const struct gs_remote_conf *rc,
        const char *tenant, const struct gs_repair *repair_first, struct gs_repl_result *res)
{
	struct ship_ctx c = {.local = local, .rc = rc, .tenant = tenant, .res = res};
	struct gs_transport *tps[64] = {0};
	const struct inv_obj **todo = NULL;
	struct inv li = {0}, ri = {0};
	size_t ntp, nobj = 0, nsnap = 0;
	char *pend = NULL, *dir;
	int st, kind, held = 0, pfd;

	memset(res, 0, sizeof(*res));
	if ((tps[0] = repl_open_check(local, rc, 1, &st)) == NULL) {
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
		return st;
	}
	ntp = rc->connections ? rc->connections : 1;
	if (ntp > sizeof(tps) / sizeof(tps[0]))
		ntp = sizeof(tps) / sizeof(tps[0]);
	ntp = open_more(rc, tps, ntp);
	if (repair_first &&
	    (st = repair(local, tps, ntp, rc, tenant, repair_first, res)) != GS_EXIT_OK) {
		if (res->message[0] == 0)
			snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
		goto out;
	}
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
		if ((dir = gs_layout_kind_dir(tenant, k)) == NULL)
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
		/* mode 0600 whatever the umask; never through a link */
		if (kind || (pfd = gs_open_private(pend, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
			goto out;
		if ((c.pending = fdopen(pfd, "a")) == NULL) {
			gs_warnp("%s", pend);
			close(pfd);
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
