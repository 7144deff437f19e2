/*
 * opts.c -- what every geosnap-agent command shares before its steps run:
 * option parsing, --tenant/--remote selection, the checks of the
 * configured directories, and the worst of two exit statuses.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "geosnap/util.h"

/* agent_worst(a, b): the exit status to report when two steps ended a and
 * b (severity 2 > 3 > 1 > 4 > 0). */
int
agent_worst(int a, int b)
{
	/* Severity order: 0 < 4 < 1 < 3 < 2. */
	static const int rank[] = {0, 2, 4, 3, 1};

	if (a < 0 || a > 4)
		return b;
	if (b < 0 || b > 4)
		return a;
	return rank[a] >= rank[b] ? a : b;
}

/* agent_tenant_selected(o, name): 1 when no --tenant was given or name was
 * one of them. */
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

/* agent_check_tenants(o): every --tenant names a configured tenant; 0 or
 * GS_EXIT_USAGE (warned). */
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

/* agent_remote_selected(o, name): 1 when no --remote was given or name was
 * one of them. */
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

/*
 * agent_open_repo(o, ret): what a command that runs steps does first:
 * create state_dir, check every configured directory (agent_check_dirs
 * with AD_STATE | AD_REPO | AD_AUDIT) and open the local repository into
 * *ret.  GS_EXIT_OK, or the command's exit status (warned).
 */
int
agent_open_repo(struct agent_opts *o, struct gs_repo **ret)
{
	int rc;

	if (gs_mkdir_p(o->cfg->state_dir, 0700))
		return GS_EXIT_FAIL;
	if ((rc = agent_check_dirs(o, AD_STATE | AD_REPO | AD_AUDIT)) != 0)
		return rc;
	if ((*ret = gs_repo_open(o->cfg->repository)) == NULL)
		return GS_EXIT_FAIL;
	return GS_EXIT_OK;
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

/* agent_parse_opts(o, argc, argv, usage, flags): parse a command's options
 * (--tenant, --json, --help and those of flags) into o; returns -1 to go on,
 * or the exit status to end with (--help printed usage: 0; a bad option:
 * GS_EXIT_USAGE, warned and usage on stderr). */
int
agent_parse_opts(struct agent_opts *o, int argc, char **argv, const char *cusage, int flags)
{
	static const struct option lo[] = {
	    {"tenant", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
	    {"remote", required_argument, NULL, 'r'}, {"repair", no_argument, NULL, 'R'},
	    {"full", no_argument, NULL, 'F'},         {"step", required_argument, NULL, 'S'},
	    {"note", required_argument, NULL, 'N'},   {"dry-run", no_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "t:h", lo, NULL)) != -1) {
		int allowed =
		    (ch == 'r' && (flags & AO_REMOTE)) || (ch == 'R' && (flags & AO_REPAIR)) ||
		    (ch == 'F' && (flags & AO_FULL)) || (ch == 'D' && (flags & AO_DRYRUN)) ||
		    ((ch == 'S' || ch == 'N') && (flags & AO_ACK)) || ch == 't' || ch == 'j' ||
		    ch == 'h';

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
		case 'D':
			o->dry_run = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'S':
		case 'N':
			if ((ch == 'S' ? o->step : o->note) != NULL) {
				gs_warn("%s takes one %s", argv[0],
				        ch == 'S' ? "--step" : "--note");
				fputs(cusage, stderr);
				return GS_EXIT_USAGE;
			}
			*(ch == 'S' ? &o->step : &o->note) = optarg;
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

/* agent_parse_common(o, argc, argv, usage): agent_parse_opts with no extra
 * options. */
int
agent_parse_common(struct agent_opts *o, int argc, char **argv, const char *cusage)
{
	return agent_parse_opts(o, argc, argv, cusage, 0);
}
