/*
 * repl_internal.h -- what the files of agent/repl/ share: inventories of a
 * copy (inventory.c), connections and the worker pool (pool.c), the repair
 * pass (repair.c) and the state files of verify (pending.c).  Nothing
 * outside agent/repl/ includes it; the public entry points are in
 * include/geosnap/replicate.h.
 */
#ifndef GS_REPL_INTERNAL_H
#define GS_REPL_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <xxhash.h>

#include "geosnap/replicate.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

/* Bytes per local read, remote write or remote read of an object. */
#define GS_REPL_PIECE (8u << 20)

/* Most connections to one remote at once (a remote's connections = N is
 * capped here). */
#define GS_REPL_MAX_CONNS 64

/* Hex digits of the random part of a temporary's name ("%08x" of
 * randombytes_random()). */
#define GS_REPL_TAG_HEX 8

/* ---- inventories (inventory.c) ---------------------------------------- */

/* One object of a copy. */
struct gs_repl_obj {
	char name[GS_NAME_HEX];
	uint8_t kind; /* GS_OBJ_* */
	uint64_t size;
	int64_t mtime_ns; /* the copy's clock (ship sends oldest first) */
};

/* A temporary (".gstmp-*") in one of a tenant's kind directories. */
struct gs_repl_temp {
	char *path;     /* relative to the remote's base */
	uint8_t kind;   /* GS_OBJ_* of the directory it lies in */
	char fanout[3]; /* packs/<xx>/: xx; "" for the kind's own directory */
	uint64_t size;  /* as listed */
	int64_t mtime;  /* as listed (server clock, s); 0 unknown */
};

/* What a copy of one tenant holds. */
struct gs_repl_inv {
	struct gs_repl_obj *v; /* sorted by (kind, name) */
	size_t n, cap;
	char **extras; /* relative paths of files that are neither objects nor temporaries */
	size_t nextras;
	struct gs_repl_temp *temps; /* temporaries (remote listings only) */
	size_t ntemps;
	uint8_t kind_dir[GS_OBJ_NKINDS];    /* the kind's directory exists */
	uint8_t pack_dir[GS_LAYOUT_FANOUT]; /* packs/<xx> exists */
};

/* gs_repl_inv_local(local, tenant, ret): list the local copy into *ret
 * (sorted; free with gs_repl_inv_clear).  0, or -1 warned (*ret empty). */
int gs_repl_inv_local(const struct gs_repo *local, const char *tenant, struct gs_repl_inv *ret);
/* gs_repl_inv_remote(tp, tenant, ret): list the remote copy behind tp into
 * *ret (sorted, with temporaries and extras).  0, or -1 warned (errkind on
 * tp; *ret empty). */
int gs_repl_inv_remote(struct gs_transport *tp, const char *tenant, struct gs_repl_inv *ret);
/* gs_repl_inv_add(iv, kind, name, size, mtime_ns): append one object (name
 * copied); iv is unsorted until gs_repl_inv_sort.  0, or -1 warned. */
int gs_repl_inv_add(struct gs_repl_inv *iv, int kind, const char *name, uint64_t size,
                    int64_t mtime_ns);
/* gs_repl_inv_clear(iv): free what iv holds and empty it (iv itself is the
 * caller's). */
void gs_repl_inv_clear(struct gs_repl_inv *iv);
/* gs_repl_inv_sort(iv): sort the objects by (kind, name), as
 * gs_repl_inv_find needs. */
void gs_repl_inv_sort(struct gs_repl_inv *iv);
/* gs_repl_inv_find(iv, kind, name): the object (borrowed from iv) or NULL. */
const struct gs_repl_obj *gs_repl_inv_find(const struct gs_repl_inv *iv, int kind,
                                           const char *name);
/* gs_repl_fanout(name): the pack fan-out directory of an object name, or
 * the number a fan-out directory's name stands for (its first two hex
 * digits), < GS_LAYOUT_FANOUT. */
unsigned gs_repl_fanout(const char *name);

/* ---- connections, problems and the worker pool (pool.c) --------------- */

/* gs_repl_fail_status(errkind): the exit status for a transport failure of
 * that kind (GS_TP_ERR_*). */
int gs_repl_fail_status(int errkind);

/* gs_repl_problem(res, mu, fmt, ...): count a problem in res, warn it, keep
 * the first as the record's message.  mu (may be NULL) guards res. */
void gs_repl_problem(struct gs_repl_result *res, pthread_mutex_t *mu, const char *fmt, ...)
    GS_PRINTF(3, 4);

/* Flags of gs_repl_open_check and gs_repl_conns_open_as. */
#define GS_REPL_CREATE 1 /* copy the config object when the remote has none */
#define GS_REPL_MAINT 2  /* the maintenance account (gs_tp_open_maint) */

/* gs_repl_open_check(local, rc, flags, ret_status): connect (with
 * GS_REPL_MAINT in flags: as the maintenance account) and compare the
 * remote's config object with the local one (copying it when the remote
 * has none and GS_REPL_CREATE is in flags).  The transport (the caller
 * closes it), or NULL with *ret_status (warned). */
struct gs_transport *gs_repl_open_check(const struct gs_repo *local,
                                        const struct gs_remote_conf *rc, int flags,
                                        int *ret_status);

/* gs_repl_conns_open(rc, tps, nitems): with tps[0] open, open more
 * connections to rc, up to its connections (at least 1, at most
 * GS_REPL_MAX_CONNS) and no more than nitems (at least 1); fewer when one
 * cannot be opened (warned).  Returns how many of tps are open. */
size_t gs_repl_conns_open(const struct gs_remote_conf *rc,
                          struct gs_transport *tps[GS_REPL_MAX_CONNS], size_t nitems);
/* gs_repl_conns_open_as(rc, tps, nitems, flags): gs_repl_conns_open, as
 * the maintenance account when flags has GS_REPL_MAINT. */
size_t gs_repl_conns_open_as(const struct gs_remote_conf *rc,
                             struct gs_transport *tps[GS_REPL_MAX_CONNS], size_t nitems, int flags);
/* gs_repl_conns_close(tps): close every connection in tps (NULLs too). */
void gs_repl_conns_close(struct gs_transport *tps[GS_REPL_MAX_CONNS]);

/*
 * A pool of workers, one transport each, taking objects from a list in
 * order.  fn returns 0 (done), 1 (a problem, already counted: go on) or -1
 * (fatal: the pool stops taking objects; the worker set *errkind).
 */
struct gs_repl_worker {
	struct gs_transport *tp;
	uint8_t *buf; /* GS_REPL_PIECE bytes */
	XXH3_state_t *xs;
	void *ctx;
	int errkind;
};
typedef int (*gs_repl_fn)(struct gs_repl_worker *w, const struct gs_repl_obj *o);

/* gs_repl_pool_run(tps, ntp, items, n, fn, ctx, ret_errkind, res): run fn
 * on every item with ntp workers (tps borrowed; the first runs on the
 * calling thread).  0 when every call returned 0 or 1, -1 when one was
 * fatal (*ret_errkind; its message, warned on the worker's thread, into
 * res->message if empty; res may be NULL). */
int gs_repl_pool_run(struct gs_transport **tps, size_t ntp, const struct gs_repl_obj **items,
                     size_t n, gs_repl_fn fn, void *ctx, int *ret_errkind,
                     struct gs_repl_result *res);

/* gs_repl_hash_local(local, tenant, o, w, ret_hex): XXH3-128 of the local
 * object's bytes (exactly o->size of them; gs_repo_obj_hash through
 * w->buf).  0, or -1 warned. */
int gs_repl_hash_local(const struct gs_repo *local, const char *tenant, const struct gs_repl_obj *o,
                       struct gs_repl_worker *w, char ret_hex[GS_NAME_HEX]);

/* gs_repl_hash_remote(w, tenant, o, ret_hex): XXH3-128 of the remote
 * object's first o->size bytes (gs_repo_obj_hash_tp through w->tp and
 * w->buf; "(missing)" when it vanished or shrank since the listing).  0,
 * or -1 (errkind on w->tp). */
int gs_repl_hash_remote(struct gs_repl_worker *w, const char *tenant, const struct gs_repl_obj *o,
                        char ret_hex[GS_NAME_HEX]);

/* ---- repair (repair.c) ------------------------------------------------- */

/* gs_repl_repair(local, tps, ntp, rc, tenant, how, res): ship --repair's
 * first pass over the remote behind tps (ntp connections, borrowed): read
 * back everything and sort it out, deleting nothing (gs_ship).  Exit
 * status; problems and actions counted in res. */
int gs_repl_repair(const struct gs_repo *local, struct gs_transport **tps, size_t ntp,
                   const struct gs_remote_conf *rc, const char *tenant, const struct gs_repair *how,
                   struct gs_repl_result *res);

#endif
