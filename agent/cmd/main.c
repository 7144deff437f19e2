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
    "\n"
    "Config: -c FILE, else $GEOSNAP_CONFIG, else /etc/geosnap/geosnap.ini.\n"
    "Exit status: 0 ok, 1 problem found, 2 usage/config, 3 could not run, 4 warnings.\n";

int
worst(int a, int b)
{
	/* Severity order: 0 < 4 < 1 < 3 < 2. */
	static const int rank[] = {0, 2, 4, 3, 1};

	if (a < 0 || a > 4)
		return b;
	if (b < 0 || b > 4)
		return a;
	return rank[a] >= rank[b] ? a : b;
}

int
agent_tenant_selected(const struct agent_opts *o, const char *name)
{
	if (o->ntenants == 0)
		return 1;
	for (size_t i = 0; i < o->ntenants; i++)
		if (strcmp(o->tenants[i], name) == 0)
			return 1;
	return 0;
}

int
agent_check_tenants(const struct agent_opts *o)
{
	for (size_t i = 0; i < o->ntenants; i++)
		if (gs_config_tenant(o->cfg, o->tenants[i]) == NULL) {
			gs_warn("%s: no tenant '%s' is configured", o->cfg->path, o->tenants[i]);
			return GS_EXIT_USAGE;
		}
	return 0;
}

int
agent_remote_selected(const struct agent_opts *o, const char *name)
{
	if (o->nremotes == 0)
		return 1;
	for (size_t i = 0; i < o->nremotes; i++)
		if (strcmp(o->remotes[i], name) == 0)
			return 1;
	return 0;
}

/*
 * agent_check_dirs(o, which): each directory of which that exists must be
 * the agent's own and closed to others (gs_dir_check_private); a missing
 * one passes.  0, or GS_EXIT_USAGE (warned).
 */
int
agent_check_dirs(const struct agent_opts *o, int which)
{
	const struct gs_config *c = o->cfg;
	char *dir;
	int rc = 0;

	if ((which & AD_STATE) && gs_dir_check_private("state_dir", c->state_dir) < 0)
		rc = GS_EXIT_USAGE;
	if ((which & AD_REPO) && gs_dir_check_private("repository", c->repository) < 0)
		rc = GS_EXIT_USAGE;
	if ((which & AD_AUDIT) && c->audit_log != NULL && strrchr(c->audit_log, '/') != NULL) {
		if ((dir = gs_strdup(c->audit_log)) == NULL)
			return GS_EXIT_FAIL;
		if (strrchr(dir, '/') == dir)
			dir[1] = '\0';
		else
			*strrchr(dir, '/') = '\0';
		if (gs_dir_check_private("audit log directory", dir) < 0)
			rc = GS_EXIT_USAGE;
		free(dir);
	}
	return rc;
}

/* Append s to a NULL-less array of strings. */
static int
push(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

int
agent_parse_opts(struct agent_opts *o, int argc, char **argv, const char *cusage, int flags)
{
	static const struct option lo[] = {{"tenant", required_argument, NULL, 't'},
	                                   {"json", no_argument, NULL, 'j'},
	                                   {"remote", required_argument, NULL, 'r'},
	                                   {"repair", no_argument, NULL, 'R'},
	                                   {"full", no_argument, NULL, 'F'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "t:h", lo, NULL)) != -1) {
		int allowed =
		    (ch == 'r' && (flags & AO_REMOTE)) || (ch == 'R' && (flags & AO_REPAIR)) ||
		    (ch == 'F' && (flags & AO_FULL)) || ch == 't' || ch == 'j' || ch == 'h';

		if (!allowed) {
			if (ch != '?')
				gs_warn("%s takes no %s", argv[0], argv[optind - 1]);
			fputs(cusage, stderr);
			return GS_EXIT_USAGE;
		}
		switch (ch) {
		case 't':
			if (push(&o->tenants, &o->ntenants, optarg))
				return GS_EXIT_FAIL;
			break;
		case 'r':
			if (push(&o->remotes, &o->nremotes, optarg))
				return GS_EXIT_FAIL;
			break;
		case 'R':
			o->repair = 1;
			break;
		case 'F':
			o->full = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		default: /* 'h' */
			fputs(cusage, stdout);
			return GS_EXIT_OK;
		}
	}
	if (flags & AO_ARGS) {
		o->args = argv + optind;
		o->nargs = (size_t)(argc - optind);
	} else if (optind != argc) {
		gs_warn("unexpected argument '%s'", argv[optind]);
		fputs(cusage, stderr);
		return GS_EXIT_USAGE;
	}
	for (size_t i = 0; o->cfg != NULL && i < o->nremotes; i++)
		if (gs_config_remote(o->cfg, o->remotes[i]) == NULL) {
			gs_warn("%s: no remote '%s' is configured", o->cfg->path, o->remotes[i]);
			return GS_EXIT_USAGE;
		}
	return -1;
}

int
agent_parse_common(struct agent_opts *o, int argc, char **argv, const char *cusage)
{
	return agent_parse_opts(o, argc, argv, cusage, 0);
}

static const struct {
	const char *name;
	int (*fn)(struct agent_opts *, int, char **);
} commands[] = {
    {"init", cmd_init},     {"backup", cmd_backup},         {"snapshots", cmd_snapshots},
    {"ship", cmd_ship},     {"verify", cmd_verify},         {"run", cmd_run},
    {"status", cmd_status}, {"quarantine", cmd_quarantine},
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
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
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
