/*
 * cmd_init.c -- create the local repository, check every tenant's key, and
 * connect to every remote and create its layout.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "geosnap/minisig.h"
#include "geosnap/policy.h"
#include "geosnap/replicate.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent init [--tenant T]... [--remote R]...\n"
    "Create the local repository (idempotent), check each tenant's write key\n"
    "and its file permissions, and the audit signing key (audit_key), check\n"
    "each remote's region for every tenant, connect to it (host key,\n"
    "identity) and create its layout.\n";

/* cmd_init(o, argc, argv): the init command (usage above); its exit status. */
int
cmd_init(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_opts(o, argc, argv, usage, AO_REMOTE)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if (gs_mkdir_p(o->cfg->state_dir, 0700))
		return GS_EXIT_FAIL;
	if ((rc = agent_check_dirs(o, AD_STATE | AD_REPO | AD_AUDIT)) != 0)
		return rc;
	if (o->cfg->audit_key != NULL) {
		struct gs_ms_sec *k = gs_ms_sec_load(o->cfg->audit_key);

		if (k == NULL)
			return GS_EXIT_USAGE;
		gs_ms_sec_free(k);
	}
	if (gs_repo_init(o->cfg->repository) || (r = gs_repo_open(o->cfg->repository)) == NULL)
		return GS_EXIT_FAIL;
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < o->cfg->ntenants; i++) {
		const struct gs_tenant_conf *t = &o->cfg->tenants[i];
		struct gs_wkey *k;

		if (!agent_tenant_selected(o, t->name))
			continue;
		if ((k = gs_wkey_load(t->write_key, t->name)) == NULL) {
			rc = agent_worst(rc, GS_EXIT_USAGE);
			continue;
		}
		gs_wkey_free(k);
		if (gs_repo_tenant_init(r, t->name))
			rc = agent_worst(rc, GS_EXIT_FAIL);
	}
	for (size_t j = 0; j < o->cfg->nremotes; j++) {
		const struct gs_remote_conf *rc_remote = &o->cfg->remotes[j];
		const char **names;
		size_t n = 0;
		int bad = 0;

		if (!agent_remote_selected(o, rc_remote->name))
			continue;
		if ((names = calloc(o->cfg->ntenants + 1, sizeof(*names))) == NULL) {
			rc = agent_worst(rc, GS_EXIT_FAIL);
			break;
		}
		for (size_t i = 0; i < o->cfg->ntenants; i++) {
			const struct gs_tenant_conf *t = &o->cfg->tenants[i];

			if (!agent_tenant_selected(o, t->name))
				continue;
			if (gs_region_check(o->cfg, t, rc_remote) != GS_EXIT_OK)
				bad = 1;
			else
				names[n++] = t->name;
		}
		if (bad)
			rc = agent_worst(rc, GS_EXIT_USAGE);
		rc = agent_worst(rc, gs_remote_init(r, rc_remote, names, n));
		free(names);
	}
	gs_repo_free(r);
	return rc;
}
