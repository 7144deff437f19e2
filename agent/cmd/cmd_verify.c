/*
 * cmd_verify.c -- volume, object and checksum parity (docs/REPLICATION.md).
 */
#include <stdio.h>

#include "agent.h"
#include "geosnap/backup.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent verify [--tenant T]... [--remote R]... [--full]\n"
    "Volume parity of the snapshot each tenant's last backup made (recorded in\n"
    "state_dir/<tenant>.scan; without it, the newest not dated in the future);\n"
    "object parity (names, sizes) with every remote; checksum parity of what was\n"
    "shipped since the last verify plus a rotating verify_sample of the rest\n"
    "(--full: all).\n"
    "Each mismatch is named on stderr; exit 1.\n";

/* cmd_verify(o, argc, argv): the verify command (usage above); its exit status. */
int
cmd_verify(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_opts(o, argc, argv, usage, AO_REMOTE | AO_FULL)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if ((rc = agent_open_repo(o, &r)) != GS_EXIT_OK)
		return rc;
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < o->cfg->ntenants; i++) {
		const struct gs_tenant_conf *t = &o->cfg->tenants[i];

		if (!agent_tenant_selected(o, t->name))
			continue;
		if (o->nremotes == 0)
			rc = agent_worst(rc, agent_verify_tenant(o, r, t, NULL, NULL));
		for (size_t j = 0; j < o->cfg->nremotes; j++)
			if (agent_remote_selected(o, o->cfg->remotes[j].name))
				rc = agent_worst(
				    rc, agent_verify_tenant(o, r, t, &o->cfg->remotes[j], NULL));
	}
	gs_repo_free(r);
	if (agent_write_metrics(o))
		rc = agent_worst(rc, GS_EXIT_FAIL);
	return rc;
}
