/*
 * cmd_init.c -- create the local repository and check every tenant's key.
 */
#include <stdio.h>

#include "agent.h"
#include "geosnap/util.h"

static const char usage[] = "usage: geosnap-agent init\n"
                            "Create the local repository (idempotent) and check each tenant's\n"
                            "write key and its file permissions.\n";

int
cmd_init(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_common(o, argc, argv, usage)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if (gs_mkdir_p(o->cfg->state_dir, 0700))
		return GS_EXIT_FAIL;
	if (gs_repo_init(o->cfg->repository) || (r = gs_repo_open(o->cfg->repository)) == NULL)
		return GS_EXIT_FAIL;
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < o->cfg->ntenants; i++) {
		const struct gs_tenant_conf *t = &o->cfg->tenants[i];
		struct gs_wkey *k;

		if (!agent_tenant_selected(o, t->name))
			continue;
		if ((k = gs_wkey_load(t->write_key, t->name)) == NULL) {
			rc = worst(rc, GS_EXIT_USAGE);
			continue;
		}
		gs_wkey_free(k);
		if (gs_repo_tenant_init(r, t->name))
			rc = worst(rc, GS_EXIT_FAIL);
	}
	gs_repo_free(r);
	return rc;
}
