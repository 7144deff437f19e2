/*
 * cmd_snapshots.c -- what the write key shows of each snapshot: time, host,
 * counts.  Never names, never content: those are sealed to the read key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "agent.h"
#include "geosnap/format.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent snapshots [--tenant T]... [--json]\n"
    "List each snapshot's id, time, host, entries, bytes and new bytes.\n"
    "A snapshot dated more than an hour ahead of this host's clock is flagged\n"
    "FUTURE (\"future\":true) and named on stderr: its time may be forged.\n";

static int
list_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t)
{
	char(*names)[GS_NAME_HEX] = NULL;
	struct gs_wkey *k;
	int64_t now = gs_now_ns();
	char nowtm[GS_ISO_TIME_MAX];
	size_t n;
	int rc = GS_EXIT_OK;

	if ((k = gs_wkey_load(t->write_key, t->name)) == NULL)
		return GS_EXIT_USAGE;
	if (gs_repo_list(r, t->name, GS_OBJ_SNAP, &names, &n)) {
		gs_wkey_free(k);
		return GS_EXIT_FAIL;
	}
	if (!o->json && n > 0)
		printf("%-8s %-12s %-20s %-12s %10s %14s %14s  %s\n", "TENANT", "ID", "TIME",
		       "HOST", "ENTRIES", "BYTES", "NEW BYTES", "FLAGS");
	gs_iso_time(nowtm, sizeof(nowtm), now / GS_NS_PER_S);
	for (size_t i = 0; i < n; i++) {
		struct gs_snap_info s;
		char when[GS_ISO_TIME_MAX], host[256];
		int future;

		switch (gs_repo_snap_public(r, t->name, k->index_key, names[i], &s)) {
		case 0:
			break;
		case 2: /* corrupt or forged: named */
			rc = agent_worst(rc, GS_EXIT_PROBLEM);
			continue;
		default: /* gone since the listing, or unreadable */
			rc = agent_worst(rc, GS_EXIT_FAIL);
			continue;
		}
		gs_iso_time(when, sizeof(when), s.time_ns / GS_NS_PER_S);
		/* The time is the writer's word (docs/SECURITY.md). */
		if ((future = gs_snap_future(&s, now)) != 0)
			gs_warn(
			    "tenant %s: snapshot %s is dated %s, beyond this host's clock (%s) "
			    "and its %d-minute allowance for clock skew: its time may be forged "
			    "(geosnap-restore check flags it, and its \"latest\" refuses it)",
			    t->name, names[i], when, nowtm, GS_SNAP_FUTURE_SKEW_S / 60);
		if (o->json) {
			printf("{\"tenant\":");
			gs_json_str(stdout, t->name);
			printf(",\"id\":\"%s\",\"time\":\"%s\",\"time_ns\":%lld,\"host\":",
			       names[i], when, (long long)s.time_ns);
			gs_json_str(stdout, s.host);
			printf(",\"entries\":%llu,\"bytes\":%llu,\"new_bytes\":%llu,"
			       "\"stored_new_bytes\":%llu,\"new_chunks\":%llu,\"files_seen\":%llu,"
			       "\"bytes_seen\":%llu,\"vanished\":%u,\"changed\":%u,"
			       "\"unreadable\":%u,\"duration_s\":%.3f,\"chunks\":%llu,"
			       "\"future\":%s}\n",
			       (unsigned long long)s.files, (unsigned long long)s.bytes,
			       (unsigned long long)s.new_bytes,
			       (unsigned long long)s.stored_new_bytes,
			       (unsigned long long)s.new_chunks, (unsigned long long)s.files_seen,
			       (unsigned long long)s.bytes_seen, s.vanished, s.changed,
			       s.unreadable, (double)s.duration_ns / 1e9,
			       (unsigned long long)s.nrefs, future ? "true" : "false");
		} else /* the host name is whatever the writer put there: quoted */
			printf("%-8s %-12.12s %-20s %-12s %10llu %14llu %14llu%s\n", t->name,
			       names[i], when, gs_quote(s.host ? s.host : "", host, sizeof(host)),
			       (unsigned long long)s.files, (unsigned long long)s.bytes,
			       (unsigned long long)s.new_bytes, future ? "  FUTURE" : "");
		gs_snap_info_clear(&s);
	}
	free(names);
	gs_wkey_free(k);
	return rc;
}

/* cmd_snapshots(o, argc, argv): the snapshots command (usage above); its exit status. */
int
cmd_snapshots(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_common(o, argc, argv, usage)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if ((r = gs_repo_open(o->cfg->repository)) == NULL)
		return GS_EXIT_FAIL;
	for (size_t i = 0; i < o->cfg->ntenants; i++)
		if (agent_tenant_selected(o, o->cfg->tenants[i].name))
			rc = agent_worst(rc, list_tenant(o, r, &o->cfg->tenants[i]));
	gs_repo_free(r);
	return rc;
}
