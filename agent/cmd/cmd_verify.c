/*
 * cmd_verify.c -- volume, object and checksum parity (docs/REPLICATION.md).
 */
#include <stdio.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/backup.h"
#include "geosnap/policy.h"
#include "geosnap/replicate.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent verify [--tenant T]... [--remote R]... [--full]\n"
    "Volume parity of the snapshot each tenant's last backup made (recorded in\n"
    "state_dir/<tenant>.scan; without it, the newest not dated in the future);\n"
    "object parity (names, sizes) with every remote; checksum parity of what was\n"
    "shipped since the last verify plus a rotating verify_sample of the rest\n"
    "(--full: all).\n"
    "Each mismatch is named on stderr; exit 1.\n";

int
agent_verify_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
                    const struct gs_remote_conf *rc, const char *snap)
{
	struct gs_step s = {.step = "verify",
	                    .tenant = t->name,
	                    .remote = rc ? rc->name : NULL,
	                    .start_ns = gs_now_ns()};
	struct gs_repl_result res = {0};
	int64_t t0 = gs_mono_ns();
	int lock;

	if (rc == NULL) {
		struct gs_wkey *k;

		if ((k = gs_wkey_load(t->write_key, t->name)) == NULL) {
			s.status = GS_EXIT_USAGE;
			snprintf(res.message, sizeof(res.message), "%s", gs_last_error());
		} else {
			/* run's backup step has just named them */
			s.status = gs_verify_volume(r, t->name, k, o->cfg->state_dir, snap,
			                            !o->in_run, &res);
			gs_wkey_free(k);
		}
		s.files = res.compared;
		/* The step record names the snapshot whose parity it states. */
		if (res.snapshot[0])
			s.snapshot = res.snapshot;
	} else if ((s.status = gs_region_check(o->cfg, t, rc)) != GS_EXIT_OK) {
		snprintf(res.message, sizeof(res.message), "%s", gs_last_error());
	} else if (gs_repo_tenant_init(r, t->name) || (lock = gs_repo_lock(r, t->name)) < 0) {
		s.status = GS_EXIT_FAIL;
		snprintf(res.message, sizeof(res.message), "%s", gs_last_error());
	} else {
		s.status = gs_verify(o->cfg, r, rc, t->name, o->full, &res);
		gs_repo_unlock(lock);
		s.files = res.objects;
	}
	s.duration_ns = gs_mono_ns() - t0;
	s.bytes = res.bytes;
	if (s.status != GS_EXIT_OK)
		s.message = res.message[0] ? res.message : "see stderr";
	if (o->verbose && rc != NULL)
		fprintf(stderr,
		        "remote %s: tenant %s: %llu objects compared, %llu read back (%llu "
		        "bytes), %u problems, %.2f s\n",
		        rc->name, t->name, (unsigned long long)res.compared,
		        (unsigned long long)res.objects, (unsigned long long)res.bytes,
		        res.problems, s.duration_ns / 1e9);
	else if (o->verbose)
		fprintf(stderr,
		        "tenant %s: volume parity of snapshot %s: %llu entries, %llu bytes: %s\n",
		        t->name, res.snapshot[0] ? res.snapshot : "(none)",
		        (unsigned long long)res.compared, (unsigned long long)res.bytes,
		        gs_step_result(s.status));
	if (agent_record_step(o, &s))
		s.status = worst(s.status, GS_EXIT_FAIL);
	return s.status;
}

int
cmd_verify(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_opts(o, argc, argv, usage, AO_REMOTE | AO_FULL)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if (gs_mkdir_p(o->cfg->state_dir, 0700))
		return GS_EXIT_FAIL;
	if ((rc = agent_check_dirs(o, AD_STATE | AD_REPO | AD_AUDIT)) != 0)
		return rc;
	if ((r = gs_repo_open(o->cfg->repository)) == NULL)
		return GS_EXIT_FAIL;
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < o->cfg->ntenants; i++) {
		const struct gs_tenant_conf *t = &o->cfg->tenants[i];

		if (!agent_tenant_selected(o, t->name))
			continue;
		if (o->nremotes == 0)
			rc = worst(rc, agent_verify_tenant(o, r, t, NULL, NULL));
		for (size_t j = 0; j < o->cfg->nremotes; j++)
			if (agent_remote_selected(o, o->cfg->remotes[j].name))
				rc = worst(rc,
				           agent_verify_tenant(o, r, t, &o->cfg->remotes[j], NULL));
	}
	gs_repo_free(r);
	if (agent_write_metrics(o))
		rc = worst(rc, GS_EXIT_FAIL);
	return rc;
}
