/*
 * erase.c -- the erasure step of expire for an offboarded tenant, and the
 * orphaned-tenant report (stubs until the offboarding work lands; see
 * agent.h).
 */
#include "agent.h"
#include "geosnap/util.h"

/*
 * agent_erase_tenant(o, r, t): an offboarded tenant's erasure (stub:
 * nothing).  Its exit status.
 */
int
agent_erase_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t)
{
	(void)o;
	(void)r;
	(void)t;
	return GS_EXIT_OK;
}

/*
 * agent_orphans(o, r): tenants with data but no [tenant] section (stub:
 * none).  GS_EXIT_WARN when there is one, else 0.
 */
int
agent_orphans(struct agent_opts *o, const struct gs_repo *r)
{
	(void)o;
	(void)r;
	return GS_EXIT_OK;
}
