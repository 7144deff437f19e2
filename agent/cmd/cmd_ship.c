/*
 * cmd_ship.c -- copy each tenant to each remote (docs/REPLICATION.md).
 */
#include <stdio.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/keys.h"
#include "geosnap/policy.h"
#include "geosnap/replicate.h"
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
    "on stderr and one \"repair\" record in the audit log.\n";

struct repair_rec {
	struct agent_opts *o;
	const char *tenant, *remote;
};

/* One audit record per action of ship --repair (gs_repair.record). */
static int
record_repair(void *arg, const struct gs_repair_action *a)
{
	const struct repair_rec *r = arg;
	struct gs_step s = {.step = "repair",
	                    .tenant = r->tenant,
	                    .remote = r->remote,
	                    .start_ns = gs_now_ns(),
	                    .files = 1,
	                    .bytes = a->size,
	                    .object = a->path,
	                    .action = a->action,
	                    .to = a->to,
	                    .reason = a->reason};

	return gs_audit_append(r->o->cfg->audit_log, r->o->cfg->host, &s);
}

int
agent_ship_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
                  const struct gs_remote_conf *rc)
{
	struct gs_step s = {
	    .step = "ship", .tenant = t->name, .remote = rc->name, .start_ns = gs_now_ns()};
	struct gs_repl_result res = {0};
	struct repair_rec rr = {.o = o, .tenant = t->name, .remote = rc->name};
	struct gs_repair rp = {.record = record_repair, .arg = &rr};
	struct gs_wkey *k = NULL;
	int64_t t0 = gs_mono_ns();
	int lock;

	if ((s.status = gs_region_check(o->cfg, t, rc)) != GS_EXIT_OK) {
		snprintf(res.message, sizeof(res.message), "%s", gs_last_error());
	} else if (o->repair && (k = gs_wkey_load(t->write_key, t->name)) == NULL) {
		/* repair tells whole objects from partial uploads with the index key */
		s.status = GS_EXIT_USAGE;
		snprintf(res.message, sizeof(res.message), "%s", gs_last_error());
	} else if (gs_repo_tenant_init(r, t->name) || (lock = gs_repo_lock(r, t->name)) < 0) {
		s.status = GS_EXIT_FAIL;
		snprintf(res.message, sizeof(res.message), "%s", gs_last_error());
	} else {
		rp.key = k;
		s.status = gs_ship(o->cfg, r, rc, t->name, o->repair ? &rp : NULL, &res);
		gs_repo_unlock(lock);
	}
	gs_wkey_free(k);
	s.duration_ns = gs_mono_ns() - t0;
	s.files = res.objects;
	s.bytes = res.bytes;
	if (s.status != GS_EXIT_OK)
		s.message = res.message[0] ? res.message : "see stderr";
	if (o->verbose)
		fprintf(stderr,
		        "remote %s: tenant %s: shipped %llu objects, %llu bytes in %.2f s "
		        "(%.1f MB/s)%s\n",
		        rc->name, t->name, (unsigned long long)res.objects,
		        (unsigned long long)res.bytes, s.duration_ns / 1e9,
		        s.duration_ns ? (double)res.bytes / 1e6 / (s.duration_ns / 1e9) : 0.0,
		        res.repaired ? "; repaired" : "");
	if (agent_record_step(o, &s))
		s.status = worst(s.status, GS_EXIT_FAIL);
	return s.status;
}

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
	if (gs_mkdir_p(o->cfg->state_dir, 0700))
		return GS_EXIT_FAIL;
	if ((rc = agent_check_dirs(o, AD_STATE | AD_REPO | AD_AUDIT)) != 0)
		return rc;
	if ((r = gs_repo_open(o->cfg->repository)) == NULL)
		return GS_EXIT_FAIL;
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < o->cfg->ntenants; i++) {
		if (!agent_tenant_selected(o, o->cfg->tenants[i].name))
			continue;
		for (size_t j = 0; j < o->cfg->nremotes; j++)
			if (agent_remote_selected(o, o->cfg->remotes[j].name))
				rc = worst(rc, agent_ship_tenant(o, r, &o->cfg->tenants[i],
				                                 &o->cfg->remotes[j]));
	}
	gs_repo_free(r);
	if (agent_write_metrics(o))
		rc = worst(rc, GS_EXIT_FAIL);
	return rc;
}
