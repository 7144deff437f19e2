/*
 * policy.h -- what the configuration's policy decides, apart from reading
 * it (config.c): where copies may go (the region rule, R10), and later
 * retention and offboarding.  Nothing here contacts a remote or reads a
 * repository.
 */
#ifndef GEOSNAP_POLICY_H
#define GEOSNAP_POLICY_H

#include "geosnap/config.h"

/*
 * gs_region_check(cfg, t, rc): R10.  The remote must name a region other
 * than the agent's own, and one the tenant (or, when the tenant lists none,
 * the policy) allows.  Borrows everything.  0, or GS_EXIT_USAGE warned
 * naming the config file and the remote's line.  Nothing is contacted.
 */
int gs_region_check(const struct gs_config *cfg, const struct gs_tenant_conf *t,
                    const struct gs_remote_conf *rc);

/* gs_region_ok(cfg, t, rc): 1 when gs_region_check() would pass, else 0;
 * silent. */
int gs_region_ok(const struct gs_config *cfg, const struct gs_tenant_conf *t,
                 const struct gs_remote_conf *rc);

#endif
