/*
 * cmd_check.c -- geosnap-restore check --tenant T [--read-data]
 */
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "geosnap/util.h"
#include "read/check.h"
#include "read/reader.h"

static const char usage[] =
    "usage: geosnap-restore check --tenant T [--key FILE]\n"
    "                             [--from local|REMOTE|URL] [--repo PATH]\n"
    "                             [--identity FILE] [--known-hosts FILE]\n"
    "                             [--host-key SHA256:...] [--connections N]\n"
    "                             [--read-data]\n"
    "  Check every object of the tenant: names against content (XXH3-128), pack\n"
    "  headers, index segments against the packs, snapshots and their manifests,\n"
    "  that every referenced chunk is indexed and every file's size is the sum of\n"
    "  its chunks.  --read-data also decrypts and verifies every chunk.  A\n"
    "  snapshot dated more than an hour ahead of this host's clock is a problem\n"
    "  too (its time may be forged).  Each bad object is named; exit status 1 if\n"
    "  any.\n" GS_CMD_TARGET_USAGE;

/* gs_cmd_check(g, argc, argv): check a tenant's repository; returns the exit status. */
int
gs_cmd_check(struct gs_cli *g, int argc, char **argv)
{
	struct gs_check_opts co = {0};
	struct gs_cmd_args a;
	struct gs_session s;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage, GS_OPT_READS | GS_OPT_READ_DATA)) >= 0)
		return rc;
	if (a.t.tenant == NULL)
		return gs_cmd_usage_error(usage, "check: --tenant is required");
	co.read_data = a.read_data;
	co.progress = !g->quiet && isatty(STDERR_FILENO);
	co.verbose = g->verbose;
	if ((rc = gs_cmd_open(g, &a.t, GS_READER_NOINDEX, &s)) != GS_EXIT_OK)
		return rc;
	co.remote = s.remote;
	if (co.read_data) {
		co.stats = &s.fst;
		s.has_fst = 1;
	}
	rc = gs_cmd_outcome(gs_check(s.rd, &co), 0);
	gs_cmd_stats(&s);
	gs_cmd_close(&s);
	return rc;
}
