/*
 * policy.c -- the decisions the configuration's policy states, apart from
 * parsing it (config.c): today the region rule (R10: a copy goes only to an
 * approved region, never the primary's own); retention selection and
 * offboarding deadlines will live here too.  Pure functions of the
 * configuration: nothing is contacted, nothing is locked.
 */
#include <string.h>

#include "geosnap/policy.h"
#include "geosnap/util.h"

/*
 * gs_region_check(cfg, t, rc): R10.  The remote must name a region other
 * than the agent's own, and one the tenant (or, when the tenant lists none,
 * the policy) allows.  Borrows everything.  0, or GS_EXIT_USAGE warned
 * naming the config file and the remote's line.  Nothing is contacted.
 */
int
gs_region_check(const struct gs_config *cfg, const struct gs_tenant_conf *t,
                const struct gs_remote_conf *rc)
{
	if (gs_region_ok(cfg, t, rc))
		return GS_EXIT_OK;
	const struct gs_strlist *allowed =
	    t->allowed_regions.n ? &t->allowed_regions : &cfg->policy.allowed_regions;

	if (rc->region == NULL) {
		gs_warn("%s:%d: [remote \"%s\"] has no region: set region = ... (R10: data is "
		        "copied only to approved regions)",
		        cfg->path, rc->line, rc->name);
		return GS_EXIT_USAGE;
	}
	if (cfg->region != NULL && strcmp(cfg->region, rc->region) == 0) {
		gs_warn("%s:%d: remote %s is in region %s, the primary's own region: a copy "
		        "there does not survive a regional disaster; not shipping",
		        cfg->path, rc->line, rc->name, rc->region);
		return GS_EXIT_USAGE;
	}
	for (size_t i = 0; i < allowed->n; i++)
		if (strcmp(allowed->v[i], rc->region) == 0)
			return GS_EXIT_OK;
	gs_warn("%s:%d: remote %s is in region %s, which tenant %s does not allow (%s "
	        "allowed_regions: %s%s); not shipping",
	        cfg->path, rc->line, rc->name, rc->region, t->name,
	        t->allowed_regions.n ? "the tenant's" : "the policy's", allowed->n ? "" : "none",
	        allowed->n ? allowed->v[0] : "");
	return GS_EXIT_USAGE;
}

/*
 * gs_region_ok(cfg, t, rc): 1 when gs_region_check() passes, else 0;
 * silent (for steps that follow one that already said why).
 */
int
gs_region_ok(const struct gs_config *cfg, const struct gs_tenant_conf *t,
             const struct gs_remote_conf *rc)
{
	const struct gs_strlist *allowed =
	    t->allowed_regions.n ? &t->allowed_regions : &cfg->policy.allowed_regions;

	if (rc->region == NULL || (cfg->region != NULL && strcmp(cfg->region, rc->region) == 0))
		return 0;
	for (size_t i = 0; i < allowed->n; i++)
		if (strcmp(allowed->v[i], rc->region) == 0)
			return 1;
	return 0;
}
