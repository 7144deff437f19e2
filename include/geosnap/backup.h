/*
 * backup.h -- take one snapshot of one tenant into the local repository.
 */
#ifndef GEOSNAP_BACKUP_H
#define GEOSNAP_BACKUP_H

#include <stdint.h>

#include "geosnap/config.h"
#include "geosnap/keys.h"
#include "geosnap/repo.h"

/* The result of a replication or verify step (replicate.h). */
struct gs_repl_result;

struct gs_backup_result {
	char snapshot[GS_NAME_HEX];          /* name of the published snapshot */
	uint64_t files_seen, bytes_seen;     /* what the scan saw */
	uint64_t files_stored, bytes_stored; /* what the snapshot holds */
	uint64_t files_read;                 /* files whose content was read */
	uint64_t new_chunks, new_bytes, stored_new_bytes;
	uint32_t vanished, changed, unreadable;
	int64_t duration_ns;
};

/*
 * gs_backup(cfg, t, r, k, progress, ret): walk the tenant's sources, store
 * new chunks, publish a snapshot.  Borrows everything.  Returns 0 on a clean
 * snapshot, 1 when a snapshot was published but some source files vanished,
 * changed or could not be read (each named on stderr), -1 when no snapshot
 * was published (warned).  The caller has made the tenant's layout
 * (gs_repo_tenant_init) and holds its writer lock (gs_repo_lock).
 */
int gs_backup(const struct gs_config *cfg, const struct gs_tenant_conf *t, const struct gs_repo *r,
              const struct gs_wkey *k, int progress, struct gs_backup_result *ret);

/*
 * gs_verify_volume(local, tenant, k, state_dir, snap, list, res): volume
 * parity of one snapshot: the entries and bytes it stores against what its
 * scan saw, less what vanished or could not be read.  The snapshot is snap
 * (the one `run`'s backup step just made), or with snap NULL the one the last
 * backup recorded in state_dir/<tenant>.scan, or, when there is no such
 * record, the newest snapshot not dated in the future (said on stderr).
 * Never simply the greatest time: that is the writer's word, and a forged
 * snapshot dated in the future would be checked instead of real ones.
 * res->snapshot names the snapshot checked.  GS_EXIT_OK, GS_EXIT_WARN when
 * the scan had vanished/changed/unreadable files (counted in the message;
 * with list, each named on stderr from state_dir/<tenant>.scan),
 * GS_EXIT_PROBLEM on a mismatch or when the snapshot is missing or
 * unreadable, GS_EXIT_FAIL when the repository or the record cannot be read.
 * Borrows everything; res is cleared first and filled for the step record.
 */
int gs_verify_volume(const struct gs_repo *local, const char *tenant, const struct gs_wkey *k,
                     const char *state_dir, const char *snap, int list, struct gs_repl_result *res);

#endif
