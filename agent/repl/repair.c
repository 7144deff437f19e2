/*
 * repair.c -- ship --repair's first pass (docs/REPLICATION.md): read back
 * everything on a remote and sort it out before shipping.
 *
 * Repair deletes nothing: whoever can rename on the remote (publishing
 * needs rename, so even an "append-only" server allows it) can make an
 * object look like a temporary, and the local copy may be gone.  So a
 * temporary holding a whole object is put back, a bad object or unknown
 * file is moved into the tenant's quarantine for a human, an intact object
 * the local copy lacks is kept, and anything else is left alone.  Each
 * action is one line on stderr and one call of the caller's record hook.
 *
 * Locking: the read-back runs on the worker pool, each object hashing into
 * its own slot; everything else runs on the calling thread over the first
 * connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "repl_internal.h"

/* The largest index segment or snapshot record repair reads whole to check
 * that a temporary holds one (the size of the largest pack header). */
#define REPAIR_META_MAX ((uint64_t)GS_MAX_PACK_HEADER)
/* A pack's trailer: u32 header length, "GSPE" (gs_pack_header_len). */
#define PACK_TRAILER_LEN 8
/* The smallest pack: its start and its trailer. */
#define PACK_MIN_SIZE (GS_PACK_START_LEN + PACK_TRAILER_LEN)
/* The BLAKE2b-256 gs_snap_parse_public hands back (unused here). */
#define SNAP_PUB_HASH_LEN 32
/* Names tried in the quarantine (plain, then "-1", "-2", ...) before giving up. */
#define QUARANTINE_TRIES 100
/* Seconds, for ages in messages. */
#define S_PER_MIN 60
#define S_PER_HOUR 3600
#define S_PER_DAY 86400

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
	for (unsigned i = 0; i < QUARANTINE_TRIES; i++) {
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
	const struct gs_repl_obj *v; /* the remote inventory's objects */
	char (*hex)[GS_NAME_HEX];
};

static int
check_one(struct gs_repl_worker *w, const struct gs_repl_obj *o)
{
	struct readback *b = w->ctx;

	/* each object has its own slot: no lock */
	if (gs_repl_hash_remote(w, b->tenant, o, b->hex[o - b->v])) {
		w->errkind = gs_tp_last_errkind(w->tp);
		return -1;
	}
	return 0;
}

/* Does the remote lack (kind, name)?  gone marks the objects moved aside. */
static int
lacks(const struct gs_repl_inv *ri, const uint8_t *gone, int kind, const char *name)
{
	const struct gs_repl_obj *o = gs_repl_inv_find(ri, kind, name);

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
whole_object(struct repair_ctx *c, const struct gs_repl_temp *t, const char *hex)
{
	uint8_t head[GS_PACK_START_LEN], tr[PACK_TRAILER_LEN], *buf = NULL;
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
		gs_pack_header_clear(&h);
	} else {
		char again[GS_NAME_HEX];

		if ((r = read_range(c->tp, t->path, 0, (size_t)t->size, &buf)) != 0)
			return r == 1 ? 2 : -1;
		/* parse the very bytes that were hashed */
		gs_xxh128_hex(buf, (size_t)t->size, again);
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
			gs_index_clear(&idx);
		} else {
			struct gs_snap_info si = {0};
			const uint8_t *sct;
			size_t slen;
			uint8_t ph[SNAP_PUB_HASH_LEN];

			ok = gs_snap_parse_public(c->how->key->index_key, hex, buf, (size_t)t->size,
			                          &si, &sct, &slen, ph) == 0;
			gs_snap_info_clear(&si);
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
	if (secs < 2 * S_PER_HOUR)
		snprintf(buf, len, "%lld min", (long long)(secs / S_PER_MIN));
	else if (secs < 2 * S_PER_DAY)
		snprintf(buf, len, "%lld h", (long long)(secs / S_PER_HOUR));
	else
		snprintf(buf, len, "%lld days", (long long)(secs / S_PER_DAY));
	return buf;
}

/* Sort out one temporary: restore it, leave it, or quarantine it.  0, or -1
 * (errkind on the transport). */
static int
repair_temp(struct repair_ctx *c, struct gs_repl_worker *w, struct gs_repl_inv *ri,
            const uint8_t *gone, const struct gs_repl_temp *t)
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
	           (t->kind == GS_OBJ_PACK && t->size < PACK_MIN_SIZE)) {
		snprintf(why, sizeof(why), "%llu bytes: no %s has that size",
		         (unsigned long long)t->size, noun);
	} else if ((r = gs_tp_hash(w->tp, t->path, t->size, w->buf, GS_REPL_PIECE, hex)) < 0) {
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
		unsigned d = gs_repl_fanout(hex);

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
		         GS_REPAIR_TMP_MIN_AGE_S / S_PER_HOUR);
	return report(c, t->path, t->size, "left", NULL, reason);
}

/*
 * gs_repl_repair(local, tps, ntp, rc, tenant, how, res): ship --repair's
 * first pass over the remote behind tps (ntp connections, borrowed): read
 * back everything and sort it out, deleting nothing: bad objects and
 * unknown files go into the quarantine, intact objects the local copy
 * lacks stay, temporaries are restored, left or quarantined (gs_ship).
 * Exit status; problems and actions counted in res.
 */
int
gs_repl_repair(const struct gs_repo *local, struct gs_transport **tps, size_t ntp,
               const struct gs_remote_conf *rc, const char *tenant, const struct gs_repair *how,
               struct gs_repl_result *res)
{
	struct repair_ctx c = {.tp = tps[0], .rc = rc, .tenant = tenant, .how = how, .res = res};
	struct gs_repl_worker w = {.tp = tps[0]};
	struct gs_repl_inv li, ri;
	struct readback b = {.tenant = tenant};
	const struct gs_repl_obj **items = NULL;
	uint8_t *gone = NULL;
	char reason[256];
	size_t n = 0;
	int st = GS_EXIT_FAIL, kind;

	if (gs_repl_inv_local(local, tenant, &li))
		return GS_EXIT_FAIL;
	if (gs_repl_inv_remote(tps[0], tenant, &ri)) {
		gs_repl_inv_clear(&li);
		return gs_repl_fail_status(gs_tp_last_errkind(tps[0]));
	}
	b.v = ri.v;
	if ((items = calloc(ri.n + 1, sizeof(*items))) == NULL ||
	    (gone = calloc(ri.n + 1, 1)) == NULL ||
	    (b.hex = calloc(ri.n + 1, sizeof(*b.hex))) == NULL ||
	    (w.buf = malloc(GS_REPL_PIECE)) == NULL || (w.xs = XXH3_createState()) == NULL) {
		gs_warnp("malloc");
		goto out;
	}
	/* Read back all but the objects whose size already says they are bad. */
	for (size_t i = 0; i < ri.n; i++) {
		const struct gs_repl_obj *l = gs_repl_inv_find(&li, ri.v[i].kind, ri.v[i].name);

		if (l == NULL || l->size == ri.v[i].size)
			items[n++] = &ri.v[i];
	}
	if (gs_repl_pool_run(tps, ntp, items, n, check_one, &b, &kind, res)) {
		st = gs_repl_fail_status(kind);
		goto out;
	}
	st = GS_EXIT_OK;
	for (size_t i = 0; i < ri.n && st == GS_EXIT_OK; i++) {
		const struct gs_repl_obj *o = &ri.v[i],
		                         *l = gs_repl_inv_find(&li, o->kind, o->name);
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
			st = gs_repl_fail_status(gs_tp_last_errkind(tps[0]));
		} else {
			gone[i] = 1;
		}
		free(p);
	}
	for (size_t i = 0; i < ri.nextras && st == GS_EXIT_OK; i++)
		if (quarantine(&c, ri.extras[i], 0, "unknown",
		               "not an object, nor a temporary, in its place"))
			st = gs_repl_fail_status(gs_tp_last_errkind(tps[0]));
	for (size_t i = 0; i < ri.ntemps && st == GS_EXIT_OK; i++)
		if (repair_temp(&c, &w, &ri, gone, &ri.temps[i]))
			st = gs_repl_fail_status(gs_tp_last_errkind(tps[0]));
out:
	if (w.xs)
		XXH3_freeState(w.xs);
	free(w.buf);
	free(items);
	free(gone);
	free(b.hex);
	gs_repl_inv_clear(&li);
	gs_repl_inv_clear(&ri);
	return st;
}
