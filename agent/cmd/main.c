/*
 * main.c -- geosnap-agent: the nightly agent.  It holds write keys only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent [-c FILE] [-q] [-v] COMMAND [ARGS]\n"
    "       geosnap-agent --version | --help\n"
    "\n"
    "commands:\n"
    "  init                       create the local repository and check keys\n"
    "  backup [--tenant T]...     snapshot each tenant's sources\n"
    "  ship [--tenant T]... [--remote R]... [--repair]\n"
    "                             copy what each remote lacks over SFTP\n"
    "  verify [--tenant T]... [--remote R]... [--full]\n"
    "                             volume, object and checksum parity\n"
    "  snapshots [--tenant T] [--json]\n"
    "                             list what the agent may see of each snapshot\n"
    "  run                        the nightly job (cron): backup, ship, verify\n"
    "  status [--json]            last result of each step; exit status = worst\n"
    "  quarantine --tenant T [--remote R]... KIND/NAME...\n"
    "                             set forged objects aside on every copy\n"
    "  ack --step STEP [--tenant T] [--remote R]... --note TEXT\n"
    "                             record that a failed step was seen and handled\n"
    "  expire [--tenant T]... [--dry-run]\n"
    "                             retention and erasure of departed tenants\n"
    "\n"
    "Config: -c FILE, else $GEOSNAP_CONFIG, else /etc/geosnap/geosnap.ini.\n"
    "Exit status: 0 ok, 1 problem found, 2 usage/config, 3 could not run, 4 warnings.\n";

static const struct {
	const char *name;
	int (*fn)(struct agent_opts *, int, char **);
} commands[] = {
    {"init", cmd_init},     {"backup", cmd_backup},         {"snapshots", cmd_snapshots},
    {"ship", cmd_ship},     {"verify", cmd_verify},         {"run", cmd_run},
    {"status", cmd_status}, {"quarantine", cmd_quarantine}, {"ack", cmd_ack},
    {"expire", cmd_expire},
};

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'}, {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},      {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	struct agent_opts o = {0};
	int ch, rc;

	gs_set_progname("geosnap-agent");
	/* Options before the command only; the command parses the rest. */
	while ((ch = getopt_long(argc, argv, "+c:qvh", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'V':
			printf("geosnap-agent %s\n", GS_VERSION);
			return GS_EXIT_OK;
		case 'h':
			fputs(usage, stdout);
			return GS_EXIT_OK;
		default:
			fputs(usage, stderr);
			return GS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return GS_EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		gs_warn("libsodium failed to initialise");
		return GS_EXIT_FAIL;
	}
	for (size_t i = 0; i < GS_NELEM(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (o.config_path == NULL)
			o.config_path = gs_config_default_path();
		/* --help of a command needs no config. */
		for (int a = optind + 1; a < argc; a++)
			if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
				return commands[i].fn(&o, argc - optind, argv + optind);
		if ((o.cfg = gs_config_load(o.config_path)) == NULL)
			return GS_EXIT_USAGE;
		rc = commands[i].fn(&o, argc - optind, argv + optind);
		gs_config_free(o.cfg);
		free(o.tenants);
		free(o.remotes);
		return rc;
	}
	gs_warn("unknown command '%s'", argv[optind]);
	fputs(usage, stderr);
	return GS_EXIT_USAGE;
}
