/*
 * cmd_report.c -- geosnap-restore report: the auditor's report.
 */
#include "cmd.h"
#include "geosnap/util.h"

static const char usage[] = "usage: geosnap-restore report\n  Not available yet.\n";

/* gs_cmd_report(g, argc, argv): the report command; returns the exit status. */
int
gs_cmd_report(struct gs_cli *g, int argc, char **argv)
{
	struct gs_cmd_args a;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage, 0)) >= 0)
		return rc;
	gs_warn("report: not available yet");
	return GS_EXIT_USAGE;
}
