/*
 * cmd_export.c -- geosnap-restore export --tenant T --format F --output FILE|-
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "geosnap/util.h"
#include "extract/export.h"
#include "read/reader.h"

static const char usage[] =
    "usage: geosnap-restore export --tenant T [--key FILE]\n"
    "                              [--from local|REMOTE|URL] [--repo PATH]\n"
    "                              [--identity FILE] [--known-hosts FILE]\n"
    "                              [--host-key SHA256:...] [--connections N]\n"
    "                              [--snapshot ID|latest] --format tar|pax|zip\n"
    "                              --output FILE|-\n"
    "  Write a snapshot (default: the latest) as a standard archive for hand-back:\n"
    "  tar (GNU), pax (keeps xattrs and ACLs) or zip (hard links become copies).\n"
    "  FILE must not exist; '-' writes to standard output.  Every file is checked\n"
    "  against its recorded XXH3-128; each wrong entry is named and the exit\n"
    "  status is 1.\n"
    "  The chosen snapshot's ID, time and host are printed on stderr (also with\n"
    "  -q).  \"latest\" is refused (exit 1) when the newest snapshot is dated more\n"
    "  than an hour ahead of this host's clock: its time may be forged; choose\n"
    "  one with --snapshot ID (see the snapshots command).\n" GS_CMD_TARGET_USAGE;

/* The export options of a, checked; GS_EXIT_OK or the exit status (warned). */
static int
export_opts(const struct gs_cli *g, const struct gs_cmd_args *a, struct gs_export_opts *xo)
{
	if (a->t.tenant == NULL || a->format == NULL || a->output == NULL)
		return gs_cmd_usage_error(usage,
		                          "export: --tenant, --format and --output are required");
	if ((xo->format = gs_export_format(a->format)) == 0)
		return gs_cmd_usage_error(usage, "export: unknown format '%s'", a->format);
	xo->output = a->output;
	if (strcmp(xo->output, "-") == 0 && isatty(STDOUT_FILENO)) {
		gs_warn("export: refusing to write an archive to a terminal");
		return GS_EXIT_USAGE;
	}
	if (strcmp(xo->output, "-") != 0 && access(xo->output, F_OK) == 0) {
		gs_warn("%s: already exists; refusing to overwrite", xo->output);
		return GS_EXIT_USAGE;
	}
	xo->progress = !g->quiet && isatty(STDERR_FILENO);
	xo->verbose = g->verbose;
	return GS_EXIT_OK;
}

/* gs_cmd_export(g, argc, argv): write a snapshot as an archive; returns the exit status. */
int
gs_cmd_export(struct gs_cli *g, int argc, char **argv)
{
	struct gs_export_opts xo = {0};
	struct gs_cmd_args a;
	struct gs_rsnap snap;
	struct gs_session s;
	int rc, others_bad;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_READS | GS_OPT_SNAPSHOT | GS_OPT_FORMAT | GS_OPT_OUTPUT)) >=
	    0)
		return rc;
	if ((rc = export_opts(g, &a, &xo)) != GS_EXIT_OK)
		return rc;
	if ((rc = gs_cmd_open_snapshot(g, &a.t, a.snapshot, &s, &snap, &others_bad)) != GS_EXIT_OK)
		return rc;
	xo.remote = s.remote;
	xo.stats = &s.fst;
	s.has_fst = 1;
	rc = gs_cmd_outcome(gs_export(s.rd, &snap, &xo), others_bad);
	gs_reader_snap_clear(&snap);
	rc = gs_cmd_finish(&s, rc);
	return rc;
}
