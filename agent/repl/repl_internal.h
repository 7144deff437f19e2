/* repl_internal.h -- what ship.c, verify.c and repl.c share. */
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
#define REPL_PIECE (8u << 20)

/* One object of a copy. */
struct inv_obj {
	char name[GS_NAME_HEX];
	uint8_t kind; /* GS_OBJ_* */
	uint64_t size;
	int64_t mtime_ns; /* the copy's clock (ship sends oldest first) */
};

/* A temporary (".gstmp-*") in one of a tenant's kind directories. */
struct inv_temp {
	char *path;     /* relative to the remote's base */
	uint8_t kind;   /* GS_OBJ_* of the directory it lies in */
	char fanout[3]; /* packs/<xx>/: xx; "" for the kind's own directory */
	uint64_t size;  /* as listed */
	int64_t mtime;  /* as listed (server clock, s); 0 unknown */
};

/* What a copy of one tenant holds. */
struct inv {
	struct inv_obj *v; /* sorted by (kind, name) */
	size_t n, cap;
	char **extras; /* relative paths of files that are neither objects nor temporaries */
	size_t nextras;
	struct inv_temp *temps; /* temporaries (remote listings only) */
	size_t ntemps;
	uint8_t kind_dir[3];   /* the kind's directory exists */
	uint8_t pack_dir[256]; /* packs/<xx> exists */
};

/* inv_local(local, tenant, ret): list the local copy.  0 or -1. */
int inv_local(const struct gs_repo *local, const char *tenant, struct inv *ret);
/* inv_remote(tp, tenant, ret): list the remote copy.  0 or -1 (errkind on tp). */
int inv_remote(struct gs_transport *tp, const char *tenant, struct inv *ret);
void inv_free(struct inv *iv);
/* inv_sort(iv): sort the objects by (kind, name), as inv_find needs. */
void inv_sort(struct inv *iv);
/* inv_find(iv, kind, name): the object or NULL. */
const struct inv_obj *inv_find(const struct inv *iv, int kind, const char *name);

/* repl_fail_status(errkind): exit status for a transport failure. */
int repl_fail_status(int errkind);

/* repl_problem(res, mu, fmt, ...): count a problem, warn it, keep the first
 * as the record's message.  mu may be NULL. */
void repl_problem(struct gs_repl_result *res, pthread_mutex_t *mu, const char *fmt, ...)
    GS_PRINTF(3, 4);

/* repl_open_check(local, rc, tenant, ret_status): connect and compare the
 * remote's config object with the local one (copying it when the remote
 * has none and create is set).  The transport, or NULL with *ret_status. */
struct gs_transport *repl_open_check(const struct gs_repo *local, const struct gs_remote_conf *rc,
                                     int create, int *ret_status);

/*
 * A pool of workers, one transport each, taking objects from a list in
 * order.  fn returns 0 (done), 1 (a problem, already counted: go on) or -1
 * (fatal: the pool stops taking objects; the worker set *errkind).
 */
struct repl_worker {
	struct gs_transport *tp;
	uint8_t *buf; /* REPL_PIECE bytes */
	XXH3_state_t *xs;
	void *ctx;
	int errkind;
};
typedef int (*repl_fn)(struct repl_worker *w, const struct inv_obj *o);

/* repl_pool_run(tps, ntp, items, n, fn, ctx, ret_errkind, res): 0 when
 * every call returned 0 or 1, -1 when one was fatal (*ret_errkind; its
 * message, warned on the worker's thread, into res->message if empty). */
int repl_pool_run(struct gs_transport **tps, size_t ntp, const struct inv_obj **items, size_t n,
                  repl_fn fn, void *ctx, int *ret_errkind, struct gs_repl_result *res);

/* repl_hash_local(local, tenant, o, w, ret_hex): XXH3-128 of the local
 * object's bytes (exactly o->size of them; gs_repo_obj_hash).  0, or -1
 * warned. */
int repl_hash_local(const struct gs_repo *local, const char *tenant, const struct inv_obj *o,
                    struct repl_worker *w, char ret_hex[GS_NAME_HEX]);

/* repl_hash_remote(w, tenant, o, ret_hex): XXH3-128 of the remote object's
 * first o->size bytes (read through w->tp; "(missing)" when it vanished or
 * shrank since the listing).  0, or -1 (errkind on w->tp). */
int repl_hash_remote(struct repl_worker *w, const char *tenant, const struct inv_obj *o,
                     char ret_hex[GS_NAME_HEX]);

/* repl_hash_remote_path(w, path, size, ret_hex): XXH3-128 of the first size
 * bytes of the remote file path (gs_tp_hash).  0; 1 when the file vanished
 * or shrank since the listing; -1 (errkind on w->tp). */
int repl_hash_remote_path(struct repl_worker *w, const char *path, uint64_t size,
                          char ret_hex[GS_NAME_HEX]);

/* repl_pending_path(cfg, tenant, rc): state_dir/pending-verify/T@R. */
char *repl_pending_path(const struct gs_config *cfg, const char *tenant,
                        const struct gs_remote_conf *rc);

#endif
