/*
 * cmd_run.c -- the nightly job: every step for every tenant under one lock.
 *
 * The lock is state_dir/run.lock, held with flock() (released by the kernel
 * when the holder dies) and holding the holder's pid, so a second run can
 * say who holds it and a stale pid left by a killed run is reported when
 * taken over.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/lock.h"
#include "geosnap/state.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent run\n"
    "The nightly job: for every tenant, back up, ship to every remote, verify\n"
    "every remote and the new snapshot's volume parity; each step recorded in\n"
    "the audit log and the status table; then the audit log's closed segments\n"
    "and a signed checkpoint go to every remote; metrics written when\n"
    "configured.\n"
    "Quiet on success; exit status the worst of the steps.\n";

/* Take state_dir/run.lock: an fd, or -1 (warned; *ret_busy set when held). */
static int
take_lock(const char *state_dir, int *ret_busy)
{
	char *path = gs_state_run_lock_path(state_dir);
	long pid = 0;
	int fd;

	*ret_busy = 0;
	if (path == NULL)
		return -1;
	fd = gs_lock_take(path, &pid);
	if (fd == GS_LOCK_BUSY) {
		if (pid > 0)
			gs_warn("another geosnap-agent run holds %s (pid %ld); not starting", path,
			        pid);
		else
			gs_warn("another geosnap-agent run holds %s (pid unknown); not starting",
			        path);
		*ret_busy = 1;
		fd = -1;
	} else if (fd >= 0 && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
		gs_warn("taking over the stale lock %s of pid %ld, which is no longer running",
		        path, pid);
	}
	free(path);
	return fd;
}

/* One tenant's night: backup, then ship to and verify every remote (a
 * remote that could not be shipped to is not verified: the ship step's
 * record says why), then the volume parity of the snapshot this run made
 * (not the one with the greatest time, which a forger can choose; when the
 * backup made none, the last backup's). */
static int
run_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t)
{
	char snap[GS_NAME_HEX];
	int rc = agent_backup_tenant(o, r, t, snap);

	for (size_t j = 0; j < o->cfg->nremotes; j++) {
		const struct gs_remote_conf *rc_remote = &o->cfg->remotes[j];
		int s = agent_ship_tenant(o, r, t, rc_remote);

		rc = agent_worst(rc, s);
		if (s == GS_EXIT_OK || s == GS_EXIT_PROBLEM)
			rc = agent_worst(rc, agent_verify_tenant(o, r, t, rc_remote, NULL));
	}
	rc = agent_worst(rc, agent_verify_tenant(o, r, t, NULL, snap[0] ? snap : NULL));
	return agent_worst(rc, agent_retain_tenant(o, r, t));
}

/* cmd_run(o, argc, argv): the run command (usage above); its exit status. */
int
cmd_run(struct agent_opts *o, int argc, char **argv)
{
	struct gs_step s = {.step = "run", .start_ns = gs_now_ns()};
	struct gs_repo *r;
	int64_t t0 = gs_mono_ns();
	int busy, lockfd, rc;

	if ((rc = agent_parse_common(o, argc, argv, usage)) >= 0)
		return rc;
	if (o->ntenants) {
		gs_warn("run takes no --tenant: it is the whole nightly job");
		return GS_EXIT_USAGE;
	}
	if (gs_mkdir_p(o->cfg->state_dir, 0700))
		return GS_EXIT_FAIL;
	if ((rc = agent_check_dirs(o, AD_STATE | AD_REPO | AD_AUDIT)) != 0)
		return rc;
	if ((lockfd = take_lock(o->cfg->state_dir, &busy)) < 0)
		return GS_EXIT_FAIL;
	o->in_run = 1;
	rc = GS_EXIT_OK;
	if ((r = gs_repo_open(o->cfg->repository)) == NULL) {
		rc = GS_EXIT_FAIL;
	} else {
		for (size_t i = 0; i < o->cfg->ntenants; i++) {
			const struct gs_tenant_conf *t = &o->cfg->tenants[i];

			/* a departed tenant is no longer backed up, only erased; one
			 * whose offboarded date is still to come is backed up as
			 * before, and status says when its erasure is due */
			if (!agent_departed(t))
				rc = agent_worst(rc, run_tenant(o, r, t));
			if (t->offboarded >= 0)
				rc = agent_worst(rc, agent_erase_tenant(o, r, t));
		}
		rc = agent_worst(rc, agent_orphans(o, r));
		gs_repo_free(r);
	}
	/* the night's records leave the host: every remote gets the log */
	rc = agent_worst(rc, agent_ship_logs(o));
	s.status = rc;
	s.duration_ns = gs_mono_ns() - t0;
	if (rc != GS_EXIT_OK)
		s.message = "see the step records of this run";
	rc = agent_worst(rc, agent_record_step(o, &s));
	if (agent_write_metrics(o))
		rc = agent_worst(rc, GS_EXIT_FAIL);
	gs_lock_release(lockfd);
	return rc;
}
