/*
 * volume.c -- volume parity of one snapshot (`verify --volume`, and `run`
 * after each backup): the entries and bytes the snapshot stores against
 * what its scan saw, less what vanished or could not be read.  It reads the
 * local repository and the tenant's scan report in state_dir (state.h:
 * which snapshot the last backup made, and the files it had to pass over).
 * Single-threaded; nothing is locked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/backup.h"
#include "geosnap/replicate.h"
#include "geosnap/state.h"
#include "geosnap/util.h"

/* Count a problem in res, warn it, keep the first as the record's message
 * (what the replication steps do with theirs). */
static void problem(struct gs_repl_result *res, const char *fmt, ...) GS_PRINTF(2, 3);

static void
problem(struct gs_repl_result *res, const char *fmt, ...)
{
	char msg[sizeof(res->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gs_warn("%s", msg);
	if (res->problems++ == 0)
		snprintf(res->message, sizeof(res->message), "%s", msg);
}

/* Warn each note of the tenant's scan report when it is the report of
 * snapshot `name`. */
static void
list_scan_report(const char *state_dir, const char *tenant, const char *name)
{
	char *text = gs_state_scan_notes(state_dir, tenant, name), *nl;

	if (text == NULL)
		return;
	for (char *p = text; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = 0;
		gs_warn("tenant %s: snapshot %.12s: %s", tenant, name, p);
	}
	free(text);
}

/*
 * Without a record of the last backup: the newest snapshot that is not dated
 * in the future (a forged time would otherwise choose it for ever).  0 with
 * ret_name and ret filled, 1 when there is none; *ret_future counts the
 * future-dated ones passed over.  Unreadable snapshots are problems in res;
 * *st becomes GS_EXIT_FAIL when one could not be read at all.
 */
static int
newest_not_future(const struct gs_repo *local, const char *tenant, const struct gs_wkey *k,
                  struct gs_repl_result *res, int *st, char ret_name[GS_NAME_HEX],
                  struct gs_snap_info *ret, unsigned *ret_future)
{
	char(*names)[GS_NAME_HEX] = NULL;
	int64_t now = gs_now_ns();
	int have = 0;
	size_t n;

	*ret_future = 0;
	if (gs_repo_list(local, tenant, GS_OBJ_SNAP, &names, &n)) {
		*st = GS_EXIT_FAIL;
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct gs_snap_info s;

		switch (gs_repo_snap_public(local, tenant, k->index_key, names[i], &s)) {
		case 0:
			break;
		case 1: /* removed since the listing */
			continue;
		case 2:
			problem(res, "tenant %s: snapshot %s: unreadable (see above)", tenant,
			        names[i]);
			continue;
		default:
			*st = GS_EXIT_FAIL;
			continue;
		}
		if (gs_snap_future(&s, now)) {
			(*ret_future)++;
			gs_snap_info_clear(&s);
		} else if (!have || s.time_ns > ret->time_ns) {
			if (have)
				gs_snap_info_clear(ret);
			*ret = s;
			memcpy(ret_name, names[i], GS_NAME_HEX);
			have = 1;
		} else {
			gs_snap_info_clear(&s);
		}
	}
	free(names);
	return have ? 0 : 1;
}

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
int
gs_verify_volume(const struct gs_repo *local, const char *tenant, const struct gs_wkey *k,
                 const char *state_dir, const char *snap, int list, struct gs_repl_result *res)
{
	struct gs_snap_info best = {0};
	char name[GS_NAME_HEX], whose[512];
	unsigned future;
	int st = GS_EXIT_OK, r;

	memset(res, 0, sizeof(*res));
	if (snap != NULL) {
		snprintf(whose, sizeof(whose), "made by this run");
		snprintf(name, sizeof(name), "%s", snap);
		r = 0;
	} else {
		snprintf(whose, sizeof(whose), "recorded by the last backup in %s/%s.scan",
		         state_dir, tenant);
		r = gs_state_scan_snapshot(state_dir, tenant, name);
	}
	if (r < 0) {
		snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
		return GS_EXIT_FAIL;
	}
	if (r == 0) {
		switch (gs_repo_snap_public(local, tenant, k->index_key, name, &best)) {
		case 0:
			break;
		case 1:
			problem(res, "tenant %s: snapshot %s, %s, is not in the local repository",
			        tenant, name, whose);
			return GS_EXIT_PROBLEM;
		case 2:
			problem(res, "tenant %s: snapshot %s, %s: unreadable (see above)", tenant,
			        name, whose);
			return GS_EXIT_PROBLEM;
		default:
			snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
			return GS_EXIT_FAIL;
		}
	} else {
		/* No record (a new state_dir): never trust the greatest time. */
		if (newest_not_future(local, tenant, k, res, &st, name, &best, &future) != 0) {
			if (res->problems == 0 && st == GS_EXIT_OK)
				snprintf(res->message, sizeof(res->message), "no snapshot%s yet",
				         future ? " that is not dated in the future" : "");
			if (future)
				gs_warn("tenant %s: every snapshot (%u) is dated in the future; "
				        "volume parity not checked",
				        tenant, future);
			return res->problems ? GS_EXIT_PROBLEM : st;
		}
		gs_warn("tenant %s: no record of the last backup in %s/%s.scan: checking the "
		        "newest snapshot not dated in the future, %s%s",
		        tenant, state_dir, tenant, name,
		        future ? " (passing over snapshots dated in the future)" : "");
	}
	memcpy(res->snapshot, name, GS_NAME_HEX);
	res->compared = best.files;
	res->bytes = best.bytes;
	/* Every entry the scan saw is stored unless it vanished or could not be
	 * read; every byte it saw is stored unless such a file (or one that
	 * changed while read) accounts for the difference. */
	if (best.files + best.vanished + best.unreadable < best.files_seen ||
	    best.files > best.files_seen)
		problem(res,
		        "tenant %s: snapshot %s: volume parity: %llu entries stored, the scan "
		        "saw %llu (%u vanished, %u unreadable)",
		        tenant, name, (unsigned long long)best.files,
		        (unsigned long long)best.files_seen, best.vanished, best.unreadable);
	else if (best.bytes != best.bytes_seen &&
	         best.vanished + best.unreadable + best.changed == 0)
		problem(res,
		        "tenant %s: snapshot %s: volume parity: %llu bytes stored, the scan "
		        "saw %llu",
		        tenant, name, (unsigned long long)best.bytes,
		        (unsigned long long)best.bytes_seen);
	else if (best.vanished + best.unreadable + best.changed) {
		snprintf(res->message, sizeof(res->message),
		         "snapshot %.12s: %u vanished, %u changed, %u unreadable during the scan "
		         "(each named by that backup)",
		         name, best.vanished, best.changed, best.unreadable);
		if (st == GS_EXIT_OK)
			st = GS_EXIT_WARN;
		if (list)
			list_scan_report(state_dir, tenant, name);
	}
	gs_snap_info_clear(&best);
	return res->problems ? GS_EXIT_PROBLEM : st;
}
