/*
 * cmd_expire.c -- geosnap-agent expire [--tenant T]... [--dry-run]:
 * retention for live tenants (retain.c) and erasure of offboarded ones
 * (erase.c), on the local repository and every remote; tenants that are
 * no longer configured are reported as orphaned.  `run` does the same
 * after verify.
 */
#include <stdio.h>

#include "agent.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent expire [--tenant T]... [--dry-run]\n"
    "Apply the retention policy (keep_last, keep_daily, keep_weekly,\n"
    "keep_monthly, keep_yearly, max_age) to every live tenant on the local\n"
    "repository and every remote, and erase offboarded tenants whose grace\n"
    "period (and legal hold) is over, with a signed deletion certificate.\n"
    "Prints what it keeps and removes, and why; --dry-run only prints.\n";

/* cmd_expire(o, argc, argv): the expire command (usage above); its exit status. */
int
cmd_expire(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_opts(o, argc, argv, usage, AO_DRYRUN)) >= 0)
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
		/* retention until the tenant leaves (its offboarded date), then
		 * only the erasure; before that date erase says when it is due */
		if (!agent_departed(t))
			rc = agent_worst(rc, agent_retain_tenant(o, r, t));
		if (t->offboarded >= 0)
			rc = agent_worst(rc, agent_erase_tenant(o, r, t));
	}
	if (o->ntenants == 0)
		rc = agent_worst(rc, agent_orphans(o, r));
	gs_repo_free(r);
	if (!o->dry_run && agent_write_metrics(o))
		rc = agent_worst(rc, GS_EXIT_FAIL);
	return rc;
}
