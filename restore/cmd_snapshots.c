/*
 * cmd_snapshots.c -- geosnap-restore snapshots --tenant T [--json]
 */
#include <stdio.h>

#include "cmd.h"
#include "geosnap/util.h"
#include "extract/entry.h"
#include "read/reader.h"

static const char usage[] =
    "usage: geosnap-restore snapshots --tenant T [--key FILE]\n"
    "                                 [--from local|REMOTE|URL] [--repo PATH]\n"
    "                                 [--identity FILE] [--known-hosts FILE]\n"
    "                                 [--host-key SHA256:...] [--connections N]\n"
    "                                 [--json]\n"
    "  List the tenant's snapshots, oldest first: ID, time, host, entries, bytes and\n"
    "  new bytes.  --json prints one JSON object per line with every detail.\n"
    "  A snapshot dated more than an hour ahead of this host's clock is flagged\n"
    "  FUTURE (\"future\":true) and named on stderr: its time may be forged, and\n"
    "  \"latest\" refuses it.\n" GS_CMD_TARGET_USAGE;

/* The agent's "snapshots --json" fields, plus what only the read key shows. */
static void
print_json(const struct gs_rsnap *s, int future)
{
	char t[64];

	gs_iso_time(t, sizeof(t), s->info.time_ns / GS_NS_PER_S);
	printf("{\"tenant\":");
	gs_json_str(stdout, s->info.tenant ? s->info.tenant : "");
	printf(",\"id\":\"%s\",\"time\":\"%s\",\"time_ns\":%lld,\"host\":", s->name, t,
	       (long long)s->info.time_ns);
	gs_json_str(stdout, s->info.host ? s->info.host : "");
	printf(",\"entries\":%llu,\"bytes\":%llu,\"new_bytes\":%llu,\"stored_new_bytes\":%llu,"
	       "\"new_chunks\":%llu,\"files_seen\":%llu,\"bytes_seen\":%llu,\"vanished\":%u,"
	       "\"changed\":%u,\"unreadable\":%u,\"duration_s\":%.3f,\"chunks\":%llu,"
	       "\"manifest_bytes\":%llu,\"manifest_chunks\":%u,\"future\":%s}\n",
	       (unsigned long long)s->info.files, (unsigned long long)s->info.bytes,
	       (unsigned long long)s->info.new_bytes, (unsigned long long)s->info.stored_new_bytes,
	       (unsigned long long)s->info.new_chunks, (unsigned long long)s->info.files_seen,
	       (unsigned long long)s->info.bytes_seen, s->info.vanished, s->info.changed,
	       s->info.unreadable, (double)s->info.duration_ns / 1e9,
	       (unsigned long long)s->info.nrefs, (unsigned long long)s->sealed.manifest_len,
	       (unsigned)s->sealed.nmeta, future ? "true" : "false");
}

/* List the snapshots v[0..n) on stdout, flagging those dated in the future. */
static void
list(const struct gs_rsnap *v, size_t n, int json)
{
	char tm[64], host[256];
	int64_t now;
	size_t i;

	if (!json)
		printf("%-12s  %-20s  %-16s %10s %16s %16s  %s\n", "ID", "TIME", "HOST", "ENTRIES",
		       "BYTES", "NEW BYTES", "FLAGS");
	now = gs_now_ns();
	for (i = 0; i < n; i++) {
		int future = gs_reader_snap_future(&v[i], now, "\"latest\" refuses it");

		gs_iso_time(tm, sizeof(tm), v[i].info.time_ns / GS_NS_PER_S);
		if (json) {
			print_json(&v[i], future);
			continue;
		}
		/* The host name is whatever the production host wrote. */
		gs_entry_quote(v[i].info.host ? v[i].info.host : "", host, sizeof(host));
		printf("%.12s  %-20s  %-16s %10llu %16llu %16llu%s\n", v[i].name, tm, host,
		       (unsigned long long)v[i].info.files, (unsigned long long)v[i].info.bytes,
		       (unsigned long long)v[i].info.new_bytes, future ? "  FUTURE" : "");
	}
}

/* gs_cmd_snapshots(g, argc, argv): list snapshots; returns the exit status. */
int
gs_cmd_snapshots(struct gs_cli *g, int argc, char **argv)
{
	struct gs_cmd_args a;
	struct gs_session s;
	struct gs_rsnap *v;
	size_t n;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage, GS_OPT_READS | GS_OPT_JSON)) >= 0)
		return rc;
	if (a.t.tenant == NULL)
		return gs_cmd_usage_error(usage, "snapshots: --tenant is required");
	if ((rc = gs_cmd_open(g, &a.t, 0, &s)) != GS_EXIT_OK)
		return rc;
	switch (gs_reader_snapshots(s.rd, &v, &n)) {
	case 0:
		rc = GS_EXIT_OK;
		break;
	case 1:
		rc = GS_EXIT_PROBLEM;
		break;
	default:
		gs_cmd_close(&s);
		return GS_EXIT_FAIL;
	}
	list(v, n, a.json);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		gs_warnp("stdout");
		rc = GS_EXIT_FAIL;
	}
	gs_reader_snapshots_free(v, n);
	rc = gs_cmd_finish(&s, rc);
	return rc;
}
