/*
 * backup.h -- take one snapshot of one tenant into the local repository.
 */
#ifndef GEOSNAP_BACKUP_H
#define GEOSNAP_BACKUP_H

#include <stdint.h>

#include "geosnap/config.h"
#include "geosnap/keys.h"
#include "geosnap/repo.h"

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
 * was published (warned), -2 when the tenant is locked by another writer.
 */
int gs_backup(const struct gs_config *cfg, const struct gs_tenant_conf *t, const struct gs_repo *r,
              const struct gs_wkey *k, int progress, struct gs_backup_result *ret);

#endif
