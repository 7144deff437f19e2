/*
 * cmd_log.c -- geosnap-restore log: the audit log: log verify.
 */
#include "cmd.h"
#include "geosnap/util.h"

static const char usage[] = "usage: geosnap-restore log\n  Not available yet.\n";

/* gs_cmd_log(g, argc, argv): the log command; returns the exit status. */
int
gs_cmd_log(struct gs_cli *g, int argc, char **argv)
{
	struct gs_cmd_args a;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage, 0)) >= 0)
		return rc;
	gs_warn("log: not available yet");
	return GS_EXIT_USAGE;
}
