/*
 * audit.h -- what each step did: the audit log (JSON Lines, append-only,
 * hash-chained).  The status table and the metrics made from the same
 * records are in state.h.
 *
 * One record per step per tenant (and remote): backup, ship, verify, run;
 * and one "repair" record (audit log only) per action of ship --repair.
 * Every record carries "seq" and "prev", the SHA-256 of the previous line,
 * so a later signature over the file covers the whole chain (docs/AUDIT.md).
 */
#ifndef GEOSNAP_AUDIT_H
#define GEOSNAP_AUDIT_H

#include <stdint.h>

#include "geosnap/config.h"

struct gs_step {
	const char *step;   /* "backup", "ship", "verify", "run" */
	const char *tenant; /* or NULL */
	const char *remote; /* or NULL */
	int status;         /* exit status of docs/CLI.md: 0 ok, 1 problem, 3 failed, 4 warn */
	int64_t start_ns;   /* CLOCK_REALTIME */
	int64_t duration_ns;
	uint64_t files;       /* entries (backup), objects (ship/verify) */
	uint64_t bytes;       /* bytes seen (backup), shipped or read back */
	uint64_t new_bytes;   /* backup: new plaintext bytes */
	const char *snapshot; /* backup: snapshot made; volume verify: checked; or NULL */
	const char *message;  /* first problem, or NULL */
	/* "repair" records, one per action of ship --repair (NULL otherwise:
	 * then the record has none of these fields) */
	const char *object; /* the file on the remote, relative to its base */
	const char *action; /* "restored", "left", "kept" or "quarantined" */
	const char *to;     /* where it was renamed to, or NULL */
	const char *reason;
};

/* gs_step_result(status): "ok", "problem", "usage", "failed" or "warnings". */
const char *gs_step_result(int status);

/*
 * gs_audit_append(path, host, s): append one JSON line for s to the audit
 * log at path (created 0600), with the next seq and the SHA-256 of the
 * previous line; fsync'd.  0 or -1 (warned).  A NULL path does nothing.
 */
int gs_audit_append(const char *path, const char *host, const struct gs_step *s);

#endif
