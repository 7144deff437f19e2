/*
 * retention.h -- which snapshots a live tenant's retention policy keeps
 * (keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly,
 * max_age), as restic's `forget` decides it: snapshots newest first, each
 * rule keeps the newest snapshot of each of its N newest buckets (a
 * snapshot for keep_last; a UTC day, ISO 8601 week, month or year for the
 * others); a snapshot any rule keeps is kept.  max_age is a cap: a
 * snapshot older than it is removed whatever the rules say.  The latest
 * snapshot is never removed.  A snapshot dated more than
 * GS_SNAP_FUTURE_SKEW_S ahead of now is kept, flagged, and takes no bucket
 * (its time may be forged: it must not push real snapshots out).  A
 * snapshot younger than the grace period (by its time or by when the copy
 * received it) is kept whatever the rules and max_age say: another host
 * may be writing it, or have just written it.
 *
 * Pure functions: nothing is read, written or contacted.
 */
#ifndef GEOSNAP_RETENTION_H
#define GEOSNAP_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/config.h"

/* The grace period: a snapshot younger than this is never removed. */
#define GS_RETENTION_GRACE_S 3600

/* A tenant's effective policy. */
struct gs_retention {
	unsigned keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly;
	uint64_t max_age_s; /* 0 = none */
};

/* One snapshot to decide on (borrowed strings). */
struct gs_retention_snap {
	const char *name;
	int64_t time_ns; /* its time, UTC */
	int64_t recv_ns; /* when the copy received it (file mtime), 0 unknown */
};

/* What the plan decided for one snapshot. */
struct gs_retention_verdict {
	int keep;          /* 1 kept, 0 removed */
	int future;        /* dated beyond now and the skew allowance */
	int young;         /* younger than the grace period */
	char reasons[200]; /* "last 1, daily 2026-12-05", "max_age exceeded", ... */
};

/*
 * gs_retention_of(p, t, ret): the effective policy of tenant t (t may be
 * NULL: the policy's own): each of t's retention keys that is set, else
 * the policy's.  Borrows p and t.
 */
void gs_retention_of(const struct gs_policy_conf *p, const struct gs_tenant_conf *t,
                     struct gs_retention *ret);

/*
 * gs_retention_check(pol): NULL when pol can stand, else a static message
 * saying why it is refused: no keep_* rule keeps anything (every keep_* is
 * 0), or max_age is set and shorter than a day.
 */
const char *gs_retention_check(const struct gs_retention *pol);

/*
 * gs_retention_plan(pol, snaps, n, now_ns, grace_s, out): decide on each
 * of the n snapshots (any order; equal times are ordered by name, the
 * greater one counting as the newer) into out[i] (n entries, the
 * caller's); a snapshot younger than grace_s seconds is kept.  The same
 * input gives the same output.  Returns the number removed.  Out of
 * memory: everything is kept (0).
 */
size_t gs_retention_plan(const struct gs_retention *pol, const struct gs_retention_snap *snaps,
                         size_t n, int64_t now_ns, uint64_t grace_s,
                         struct gs_retention_verdict *out);

#endif
