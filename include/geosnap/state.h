/*
 * state.h -- every file the agent keeps in state_dir, by name and format.
 *
 *   status.tsv                     the last result of each step (status.c)
 *   run.lock                       the nightly run's lock (gs_lock_take)
 *   <tenant>.files                 the files cache (agent/backup/fcache.c)
 *   <tenant>.scan                  the last backup's scan report: "snapshot
 *                                  ID", then one line per source file that
 *                                  vanished, changed or was unreadable
 *   pending-verify/<tenant>@<remote>  objects shipped since the last verify
 *   verify-next/<tenant>@<remote>     verify's rotating sample: next bucket
 *   pending-delete/<tenant>@<remote>  objects garbage collection deleted
 *                                  locally and still to delete on the remote
 *   pending-expire/<tenant>@<remote>  snapshots retention removed locally
 *                                  and not yet on that remote (expirepend.c)
 *   erasure/<tenant>               an offboarded tenant's erasure, copy by
 *                                  copy (erasure.c): no file name of its data
 *   erasure/<tenant>@<copy>.list   the objects erased on one copy ("SIZE
 *                                  PATH" lines, PATH under tenants/<tenant>/)
 *   certificates/<tenant>.<offboarded>.txt|.html[.minisig]  its deletion
 *                                  certificate, signed with the audit key
 *                                  (certificate.c)
 * and, outside state_dir, metrics_file (Prometheus text, metrics.c).
 *
 * Nothing else names a file in state_dir: a module that keeps state asks
 * gs_state_path() for its name, so that everything a tenant left here can
 * be listed (gs_state_tenant_paths) and erased in one call.
 */
#ifndef GEOSNAP_STATE_H
#define GEOSNAP_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/audit.h"
#include "geosnap/format.h"

/* The per-tenant files of state_dir (gs_state_path). */
enum gs_state_file {
	GS_STATE_FILES_CACHE,    /* <tenant>.files */
	GS_STATE_SCAN_REPORT,    /* <tenant>.scan */
	GS_STATE_PENDING_VERIFY, /* pending-verify/<tenant>@<remote> */
	GS_STATE_VERIFY_NEXT,    /* verify-next/<tenant>@<remote> */
	GS_STATE_PENDING_DELETE, /* pending-delete/<tenant>@<remote> */
	GS_STATE_PENDING_EXPIRE, /* pending-expire/<tenant>@<remote> */
	GS_STATE_NFILES
};

/*
 * gs_state_path(state_dir, which, tenant, remote): the malloc'd path of one
 * of a tenant's state files; remote is required for the per-remote files
 * (pending-verify, verify-next) and ignored otherwise.  NULL on allocation
 * failure (warned).
 */
char *gs_state_path(const char *state_dir, enum gs_state_file which, const char *tenant,
                    const char *remote);

/*
 * gs_state_dir(state_dir, which): the malloc'd directory that holds the
 * per-remote files of kind which (state_dir/pending-verify, .../verify-
 * next), or state_dir itself for the others.  NULL on allocation failure.
 */
char *gs_state_dir(const char *state_dir, enum gs_state_file which);

/* gs_state_status_path(state_dir): "state_dir/status.tsv", malloc'd. */
char *gs_state_status_path(const char *state_dir);

/* gs_state_run_lock_path(state_dir): "state_dir/run.lock", malloc'd. */
char *gs_state_run_lock_path(const char *state_dir);

/*
 * gs_state_tenant_paths(state_dir, tenant, ret, ret_n): every file of
 * state_dir that holds state of tenant and exists now (the files cache,
 * the scan report, and its pending-verify and verify-next file for every
 * remote), as a malloc'd array of malloc'd paths, sorted.  Free with
 * gs_state_paths_free.  0, or -1 (warned).  The status table's lines of
 * the tenant are not included: they are rows of a shared file.
 */
int gs_state_tenant_paths(const char *state_dir, const char *tenant, char ***ret, size_t *ret_n);

/* gs_state_paths_free(v, n): free what gs_state_tenant_paths() returned. */
void gs_state_paths_free(char **v, size_t n);

/* ---- the scan report (scanreport.c) ---------------------------------- */

/*
 * gs_state_scan_write(state_dir, tenant, snap, notes, len): replace the
 * tenant's scan report with one for snapshot snap (32 hex) holding len
 * bytes of notes (lines, each ending in a newline).  Best effort: a
 * failure is warned and otherwise ignored (it loses only names that verify
 * would list).
 */
void gs_state_scan_write(const char *state_dir, const char *tenant, const char *snap,
                         const void *notes, size_t len);

/*
 * gs_state_scan_snapshot(state_dir, tenant, ret): the snapshot the last
 * backup made, from the report's first line.  0 with ret filled (32 hex
 * digits); 1 when there is no report or no such line (warned when
 * the file is there but malformed); -1 when it cannot be read (warned).
 */
int gs_state_scan_snapshot(const char *state_dir, const char *tenant, char ret[GS_NAME_HEX]);

/*
 * gs_state_scan_notes(state_dir, tenant, snap): the notes of the tenant's
 * scan report, one malloc'd text of newline-ended lines ("" when there are
 * none), when the report is that of snapshot snap; NULL when there is no
 * report, it is another snapshot's, or it cannot be read.
 */
char *gs_state_scan_notes(const char *state_dir, const char *tenant, const char *snap);

/* ---- pending-verify and verify-next (pending.c) ----------------------- */

/* Their paths come from gs_state_path(GS_STATE_PENDING_VERIFY or
 * GS_STATE_VERIFY_NEXT).  Formats: a pending file holds "<kind> <name>\n"
 * per object ship published since the last completed verify; a verify-next
 * file holds "<bucket>\n". */
struct gs_state_pending;

/* gs_state_pending_open(state_dir, tenant, remote): open the pending file
 * of tenant and remote for appending (created 0600 with its directory,
 * never through a link).  NULL (warned). */
struct gs_state_pending *gs_state_pending_open(const char *state_dir, const char *tenant,
                                               const char *remote);
/* gs_state_pending_open_as(state_dir, which, tenant, remote): the same for
 * another per-remote file of the pending format (GS_STATE_PENDING_DELETE).
 * NULL (warned). */
struct gs_state_pending *gs_state_pending_open_as(const char *state_dir, enum gs_state_file which,
                                                  const char *tenant, const char *remote);
/* gs_state_pending_stamp(p): on a still empty file, a first line "# since
 * <ns>" that loading skips (gs_state_pending_since reads it). */
void gs_state_pending_stamp(struct gs_state_pending *p);
/* gs_state_pending_since(path): the "# since" time of a pending file, or 0
 * when it has none or does not exist. */
int64_t gs_state_pending_since(const char *path);
/* gs_state_pending_sync(p): flush and fsync what was appended.  0 or -1
 * (warned). */
int gs_state_pending_sync(struct gs_state_pending *p);
/* gs_state_pending_add(p, kind, name): append one published object and
 * flush.  Not thread-safe: the caller serialises. */
void gs_state_pending_add(struct gs_state_pending *p, int kind, const char *name);
/* gs_state_pending_close(p): close and free p (NULL: nothing).  0, or -1
 * warned when the file could not be written out. */
int gs_state_pending_close(struct gs_state_pending *p);
/* gs_state_pending_load(path, add, arg): call add(arg, kind, name) for each
 * object the pending file at path names; none when it does not exist.
 * Lines cut by a kill are skipped.  0, or -1 (warned, or add failed). */
int gs_state_pending_load(const char *path, int (*add)(void *arg, int kind, const char *name),
                          void *arg);
/* gs_state_pending_clear(path): remove the pending file once a verify has
 * read its objects back (warned when that fails; gone already is fine). */
void gs_state_pending_clear(const char *path);
/* gs_state_next_load(path, nb): the bucket saved in path, mod nb; 0 when nb
 * is 0 or there is none. */
unsigned gs_state_next_load(const char *path, unsigned nb);
/* gs_state_next_save(path, v): save bucket v for the next verify (best
 * effort: a lost counter only repeats a bucket). */
void gs_state_next_save(const char *path, unsigned v);

/* ---- pending-expire (expirepend.c) ------------------------------------ */

/*
 * gs_state_expire_load(state_dir, tenant, remote, ret, ret_n): the
 * snapshot names of the tenant's pending-expire file for remote (one
 * "<32 hex>\n" per snapshot retention has decided to remove and that is
 * not yet deleted on that remote), sorted and without duplicates, as a
 * malloc'd array (NULL and 0 when there is no file); malformed lines are
 * skipped.  0, or -1 (warned).
 */
int gs_state_expire_load(const char *state_dir, const char *tenant, const char *remote,
                         char (**ret)[GS_NAME_HEX], size_t *ret_n);

/*
 * gs_state_expire_save(state_dir, tenant, remote, names, n): replace the
 * pending-expire file of tenant and remote with the n names, atomically
 * and durably (a kill leaves the old file or the new one); n == 0 removes
 * it.  Borrows names.  0, or -1 (warned).
 */
int gs_state_expire_save(const char *state_dir, const char *tenant, const char *remote,
                         const char (*names)[GS_NAME_HEX], size_t n);

/* ---- the status table (status.c) -------------------------------------- */

/*
 * gs_status_record(state_dir, s): replace the status line of (step, tenant,
 * remote) in state_dir/status.tsv with s (atomically).  0 or -1 (warned).
 */
int gs_status_record(const char *state_dir, const struct gs_step *s);

/*
 * gs_status_forget(state_dir, tenant, keep_step): remove every status line
 * of tenant except those of step keep_step (may be NULL), atomically.  0
 * or -1 (warned).
 */
int gs_status_forget(const char *state_dir, const char *tenant, const char *keep_step);

/*
 * gs_status_drop(state_dir, step, tenant): remove the status lines of step
 * and tenant (every remote), atomically.  0 or -1 (warned).
 */
int gs_status_drop(const char *state_dir, const char *step, const char *tenant);

/* One loaded status line; strings are malloc'd. */
struct gs_status_line {
	char *step, *tenant, *remote, *message, *snapshot;
	int status;
	int64_t start_ns, duration_ns;
	int64_t last_ok_ns; /* start of the last run with status 0 or 4, or 0 */
	uint64_t files, bytes, new_bytes;
	int64_t ack_ns; /* when this result was acknowledged (geosnap-agent ack), or 0 */
	char *ack_by;   /* by whom, or NULL */
};

/*
 * gs_status_ack(state_dir, l, ack_ns, by): mark the status line of
 * (l->step, l->tenant, l->remote) acknowledged at ack_ns by operator by,
 * provided it still holds the result that started at l->start_ns (the
 * next result of the step clears the mark).  Replaces the file
 * atomically.  0 marked; 1 the line is gone or holds a newer result
 * (nothing changed); -1 (warned).
 */
int gs_status_ack(const char *state_dir, const struct gs_status_line *l, int64_t ack_ns,
                  const char *by);

/*
 * gs_status_load(state_dir, ret, ret_n): every line of state_dir/status.tsv
 * into a malloc'd array (malformed lines are warned and skipped).  0 (no
 * file: 0 lines) or -1 (warned).
 */
int gs_status_load(const char *state_dir, struct gs_status_line **ret, size_t *ret_n);

/* gs_status_free(v, n): free n loaded status lines and the array; v may be
 * NULL. */
void gs_status_free(struct gs_status_line *v, size_t n);

/* ---- metrics (metrics.c) ---------------------------------------------- */

/*
 * gs_metrics_write(path, lines, n, now_ns): Prometheus text format for
 * node_exporter's textfile collector, written atomically (0644).  0, or -1.
 * A NULL path does nothing.
 */
int gs_metrics_write(const char *path, const struct gs_status_line *lines, size_t n,
                     int64_t now_ns);

/* ---- an offboarded tenant's erasure (erasure.c, certificate.c) -------- */

/* One copy's erasure: "local" (the local repository) or a remote. */
struct gs_erase_copy {
	char *name;
	int64_t time_ns;      /* when its namespace was erased and verified; 0 pending */
	uint64_t objects;     /* objects removed */
	uint64_t bytes;       /* their bytes */
	char list_sha256[65]; /* SHA-256 (hex) of its .list file */
};

/* The erasure state of a tenant (state_dir/erasure/<tenant>). */
struct gs_erasure {
	char *tenant;
	int64_t offboarded;    /* the offboarded date it was made for, or -1 */
	int64_t hold_recorded; /* the legal_hold date whose record is written, or -1 */
	int64_t certified_ns;  /* when the certificate was recorded, or 0 */
	char *key_path;        /* the write key destroyed, or NULL */
	char key_fp[65];       /* its BLAKE2b-256 (hex), "absent" if it was gone, or "" */
	int key_done;          /* 1 once the key file is destroyed */
	int local_done;        /* 1 once the state_dir files are erased */
	struct gs_erase_copy *copies;
	size_t ncopies;
};

/* The dates of an erasure (unix seconds; hold -1 when none). */
struct gs_erase_dates {
	int64_t offboarded, grace_end, hold, due, deadline;
	const char *hold_reason; /* borrowed, or NULL */
};

/*
 * gs_erasure_load(state_dir, tenant, ret): the tenant's erasure state into
 * *ret (an empty one when there is no file).  Free with gs_erasure_clear.
 * 0, or -1 (warned: unreadable or malformed).
 */
int gs_erasure_load(const char *state_dir, const char *tenant, struct gs_erasure *ret);

/* gs_erasure_save(state_dir, e): replace the file atomically and durably.
 * 0 or -1 (warned). */
int gs_erasure_save(const char *state_dir, const struct gs_erasure *e);

/* gs_erasure_clear(e): free what e holds and zero it. */
void gs_erasure_clear(struct gs_erasure *e);

/* gs_erasure_copy(e, name): the copy named name, added (pending) when e has
 * none; borrowed from e.  NULL out of memory (warned). */
struct gs_erase_copy *gs_erasure_copy(struct gs_erasure *e, const char *name);

/* gs_erasure_list_path(state_dir, tenant, copy): the malloc'd path of a
 * copy's list of erased objects; NULL (warned). */
char *gs_erasure_list_path(const char *state_dir, const char *tenant, const char *copy);

/* gs_erasure_dir(state_dir): "state_dir/erasure", malloc'd. */
char *gs_erasure_dir(const char *state_dir);

/*
 * gs_erasure_certify(state_dir, ac, e, d): write the deletion certificate
 * of e (every copy done) as state_dir/certificates/<stem>.txt and .html
 * (gs_cert_doc_stem), each signed with ac->key (.minisig, minisign format), append
 * the "deletion-certificate" record (docs/AUDIT.md) and remove the copies'
 * .list files (their content is in the documents).  0 recorded and signed;
 * 1 recorded but not signed (no audit_key; warned); -1 (warned).
 */
struct gs_audit_conf;
int gs_erasure_certify(const char *state_dir, const struct gs_audit_conf *ac,
                       const struct gs_erasure *e, const struct gs_erase_dates *d);

/*
 * gs_erasure_ship_docs(state_dir, host, stem, tp): publish the
 * certificate documents of stem (gs_cert_doc_stem) and their signatures
 * (those that exist) to tp under log/<host>/certificates/, beside the
 * shipped audit log, never overwriting.  0, or -1 (warned, naming the
 * remote).
 */
struct gs_transport;
int gs_erasure_ship_docs(const char *state_dir, const char *host, const char *stem,
                         struct gs_transport *tp);

/*
 * gs_cert_ship_all(state_dir, host, tp, sent): publish the documents of
 * every certificate in state_dir/certificates/ whose record is written
 * (the tenant's erasure state says so) that tp's log/<host>/certificates/
 * lacks, never overwriting; each ship of the audit log calls it, so a
 * publication that failed at the erasure is retried.  *sent += the files
 * published.  0, or -1 (warned).
 */
int gs_cert_ship_all(const char *state_dir, const char *host, struct gs_transport *tp,
                     uint64_t *sent);

/* gs_cert_doc_stem(tenant, offboarded): the documents' name without its
 * extension, "<tenant>.<YYYY-MM-DD>" of the offboarded date (a tenant that
 * returns and leaves again gets a new one), malloc'd, or NULL (warned). */
char *gs_cert_doc_stem(const char *tenant, int64_t offboarded);

/* gs_cert_doc_path(state_dir, stem, ext): "state_dir/certificates/
 * <stem>.<ext>", malloc'd, or NULL (warned). */
char *gs_cert_doc_path(const char *state_dir, const char *stem, const char *ext);

#endif
