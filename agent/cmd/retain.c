/*
 * retain.c -- the retention step of expire for a live tenant (stub until
 * the retention work lands; see agent.h).
 */
#include "agent.h"
#include "geosnap/util.h"

/*
 * agent_retain_tenant(o, r, t): apply the retention policy to a live
 * tenant (stub: keeps everything).  Its exit status.
 */
int
agent_retain_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t)
{
	(void)o;
	(void)r;
	(void)t;
	return GS_EXIT_OK;
}
