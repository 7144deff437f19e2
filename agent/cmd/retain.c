/*
 * retain.c -- the retention step of expire for a live tenant (stub until
 * the retention work lands; see agent.h).
 */
#include "agent.h"
#include "geosnap/config.h"
#include "geosnap/repo.h"
#include "geosnap/util.h"

/*
 * agent_retain_tenant(o, r, t): apply the retention policy to a live
 * tenant (stub: keeps every snapshot), then collect its garbage.  Its exit
 * status.
 */
int
agent_retain_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t)
{
	int lock, rc;

	if (gs_repo_tenant_init(r, t->name) || (lock = gs_repo_lock(r, t->name)) < 0)
		return GS_EXIT_FAIL;
	rc = agent_gc_tenant(o, r, t);
	gs_repo_unlock(lock);
	return rc;
}
