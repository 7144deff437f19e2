/*
 * cmd_export.c -- geosnap-restore export --tenant T --format F --output FILE|-
 */
#include <getopt.h>
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

/* gs_cmd_export(g, argc, argv): write a snapshot as an archive; returns the exit status. */
int
gs_cmd_export(struct gs_cli *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	    GS_CMD_TARGET_LONGOPTS,
	    {"snapshot", required_argument, NULL, OPT_SNAPSHOT},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    {"config", required_argument, NULL, 'c'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0}};
	struct gs_export_opts xo = {0};
	struct gs_rsnap snap;
	const char *spec = NULL, *format = NULL;
	struct gs_target t = {0};
	struct gs_session s;
	int opt, rc, others_bad;

	while ((opt = getopt_long(argc, argv, "c:qv", longopts, NULL)) != -1) {
		if (gs_cmd_common_opt(g, opt, optarg) || gs_cmd_target_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case OPT_SNAPSHOT:
			spec = optarg;
			break;
		case OPT_FORMAT:
			format = optarg;
			break;
		case OPT_OUTPUT:
			xo.output = optarg;
			break;
		case OPT_HELP:
			fputs(usage, stdout);
			return GS_EXIT_OK;
		default:
			fputs(usage, stderr);
			return GS_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return gs_cmd_usage_error(usage, "export: unexpected argument '%s'", argv[optind]);
	if (t.tenant == NULL || format == NULL || xo.output == NULL)
		return gs_cmd_usage_error(usage,
		                          "export: --tenant, --format and --output are required");
	if ((xo.format = gs_export_format(format)) == 0)
		return gs_cmd_usage_error(usage, "export: unknown format '%s'", format);
	if (strcmp(xo.output, "-") == 0 && isatty(STDOUT_FILENO)) {
		gs_warn("export: refusing to write an archive to a terminal");
		return GS_EXIT_USAGE;
	}
	if (strcmp(xo.output, "-") != 0 && access(xo.output, F_OK) == 0) {
		gs_warn("%s: already exists; refusing to overwrite", xo.output);
		return GS_EXIT_USAGE;
	}
	xo.progress = !g->quiet && isatty(STDERR_FILENO);
	xo.verbose = g->verbose;

	if ((rc = gs_cmd_open(g, &t, 0, &s)) != GS_EXIT_OK)
		return rc;
	if ((rc = gs_cmd_snapshot(&s, spec, &snap, &others_bad)) != GS_EXIT_OK) {
		gs_cmd_close(&s);
		return rc;
	}
	xo.remote = s.remote;
	xo.stats = &s.fst;
	s.has_fst = 1;
	switch (gs_export(s.rd, &snap, &xo)) {
	case 0:
		rc = others_bad ? GS_EXIT_PROBLEM : GS_EXIT_OK;
		break;
	case 1:
		rc = GS_EXIT_PROBLEM;
		break;
	default:
		rc = GS_EXIT_FAIL;
	}
	gs_reader_snap_clear(&snap);
	rc = gs_cmd_finish(&s, rc);
	return rc;
}
