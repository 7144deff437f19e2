/*
 * cmd_ship.c -- copy each tenant to each remote (docs/REPLICATION.md).
 */
#include <stdio.h>

#include "agent.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent ship [--tenant T]... [--remote R]... [--repair]\n"
    "Copy every object each remote lacks: packs and index first, snapshot\n"
    "records last; resumable.  A remote outside the tenant's allowed regions,\n"
    "or in the primary's own region, is refused before connecting (exit 2).\n"
    "--repair reads back everything on the remote, moves bad or unknown files\n"
    "into tenants/T/quarantine/, puts back temporaries that hold a whole object\n"
    "the remote lacks, quarantines other temporaries older than 24 h, and\n"
    "re-sends from the local copy.  It deletes nothing; each action is one line\n"
    "on stderr and one \"repair\" record in the audit log.  Then, with\n"
    "audit_key set, the audit log's closed segments and a signed checkpoint go\n"
    "to each remote (under log/HOST/, never overwritten).\n";

/* cmd_ship(o, argc, argv): the ship command (usage above); its exit status. */
int
cmd_ship(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_opts(o, argc, argv, usage, AO_REMOTE | AO_REPAIR)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if (o->cfg->nremotes == 0) {
		gs_warn("%s: no [remote \"NAME\"] section: nowhere to ship to", o->cfg->path);
		return GS_EXIT_USAGE;
	}
	if ((rc = agent_open_repo(o, &r)) != GS_EXIT_OK)
		return rc;
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < o->cfg->ntenants; i++) {
		if (!agent_tenant_selected(o, o->cfg->tenants[i].name))
			continue;
		for (size_t j = 0; j < o->cfg->nremotes; j++)
			if (agent_remote_selected(o, o->cfg->remotes[j].name))
				rc = agent_worst(rc, agent_ship_tenant(o, r, &o->cfg->tenants[i],
				                                       &o->cfg->remotes[j]));
	}
	rc = agent_worst(rc, agent_ship_logs(o));
	gs_repo_free(r);
	if (agent_write_metrics(o))
		rc = agent_worst(rc, GS_EXIT_FAIL);
	return rc;
}
