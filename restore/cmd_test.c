/*
 * cmd_test.c -- geosnap-restore test: restore test: restore into a scratch directory, check every file, record it (issue 10).
 */
#include "cmd.h"
#include "geosnap/util.h"

static const char usage[] = "usage: geosnap-restore test\n  Not available yet.\n";

/* gs_cmd_test(g, argc, argv): the test command; returns the exit status. */
int
gs_cmd_test(struct gs_cli *g, int argc, char **argv)
{
	struct gs_cmd_args a;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage, 0)) >= 0)
		return rc;
	gs_warn("test: not available yet");
	return GS_EXIT_USAGE;
}
