/* agent.h -- shared by the geosnap-agent command files. */
#ifndef GS_AGENT_H
#define GS_AGENT_H

#include "geosnap/config.h"
#include "geosnap/keys.h"
#include "geosnap/repo.h"

struct agent_opts {
	const char *config_path;
	int quiet, verbose, json;
	const char **tenants; /* --tenant, may repeat */
	size_t ntenants;
	struct gs_config *cfg;
};

/* Each command: parse its own argv (argv[0] is the command name), return an
 * exit status of CLI.md. */
int cmd_init(struct agent_opts *o, int argc, char **argv);
int cmd_backup(struct agent_opts *o, int argc, char **argv);
int cmd_snapshots(struct agent_opts *o, int argc, char **argv);

/* agent_tenant_selected(o, name): 1 when no --tenant was given or name was
 * one of them. */
int agent_tenant_selected(const struct agent_opts *o, const char *name);
/* agent_check_tenants(o): every --tenant names a configured tenant; 0 or
 * GS_EXIT_USAGE (warned). */
int agent_check_tenants(const struct agent_opts *o);
/* agent_parse_common(o, argc, argv, usage): handle --tenant/--json/--help
 * for a command; returns -1 to continue, or an exit status. */
int agent_parse_common(struct agent_opts *o, int argc, char **argv, const char *usage);
/* worst(a, b): the exit status to report when two steps ended a and b. */
int worst(int a, int b);

#endif
