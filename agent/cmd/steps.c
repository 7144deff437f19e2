/*
 * steps.c -- the per-tenant steps of geosnap-agent (backup, ship, verify;
 * later expire and erase) and what every step does when it ends: its
 * record in the status table and the audit log, and the metrics file.
 *
 * The command files (cmd_<verb>.c) select tenants and remotes and call
 * these; they never call each other.  A step returns an exit status of
 * docs/CLI.md and has recorded itself, whatever happened.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/state.h"
#include "geosnap/backup.h"
#include "geosnap/keys.h"
#include "geosnap/minisig.h"
#include "geosnap/policy.h"
#include "geosnap/replicate.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

/* agent_record_step(o, s): s into the status table and the audit log.
 * The exit status this adds to the step's (warned): 0; GS_EXIT_PROBLEM
 * when the audit log could not be appended to or was found damaged (the
 * run goes on); GS_EXIT_FAIL when the status table could not be written. */
int
agent_record_step(struct agent_opts *o, const struct gs_step *s)
{
	struct gs_audit_conf ac;
	int rc = GS_EXIT_OK;

	gs_audit_conf_of(o->cfg, &ac);
	if (gs_audit_append(&ac, s) != 0)
		rc = GS_EXIT_PROBLEM;
	if (gs_status_record(o->cfg->state_dir, s))
		rc = GS_EXIT_FAIL;
	return rc;
}

/* agent_backup_tenant(o, r, t, ret_snap): back up one tenant and record the
 * step; returns its exit status.  ret_snap (may be NULL) receives the name
 * of the snapshot made, or "" when none was.  A failed step's record
 * carries the cause (e.g. the pid of the process holding the lock). */
int
agent_backup_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
                    char *ret_snap)
{
	struct gs_backup_result res = {0};
	struct gs_step s = {.step = "backup", .tenant = t->name, .start_ns = gs_now_ns()};
	int64_t t0 = gs_mono_ns();
	char msg[1024];
	struct gs_wkey *k;
	int b, lock;

	if (ret_snap != NULL)
		ret_snap[0] = '\0';
	if ((k = gs_wkey_load(t->write_key, t->name)) == NULL) {
		s.status = GS_EXIT_USAGE;
		goto out;
	}
	if (gs_repo_tenant_init(r, t->name) || (lock = gs_repo_lock(r, t->name)) < 0) {
		b = -1;
	} else {
		b = gs_backup(o->cfg, t, r, k, isatty(2) && !o->quiet, &res);
		gs_repo_unlock(lock);
	}
	gs_wkey_free(k);
	if (b < 0) {
		/* The record carries the cause, reported where it was found
		 * (a lock holder's pid, a full disk), not the summary below. */
		snprintf(msg, sizeof(msg), "%s", gs_last_error());
		s.message = msg;
		gs_warn("tenant %s: backup failed; no snapshot was made", t->name);
		s.status = GS_EXIT_FAIL;
		goto out;
	}
	s.snapshot = res.snapshot;
	if (ret_snap != NULL)
		memcpy(ret_snap, res.snapshot, GS_NAME_HEX);
	s.files = res.files_seen;
	s.bytes = res.bytes_seen;
	s.new_bytes = res.new_bytes;
	if (b == 1) {
		gs_warn("tenant %s: snapshot %.12s made with warnings: %u vanished, "
		        "%u changed, %u unreadable",
		        t->name, res.snapshot, res.vanished, res.changed, res.unreadable);
		s.status = GS_EXIT_WARN;
	}
	if (o->verbose)
		fprintf(stderr,
		        "tenant %s: snapshot %.12s: %llu entries, %llu bytes seen; "
		        "%llu files read; %llu new chunks, %llu new bytes, %llu stored; "
		        "%.2f s\n",
		        t->name, res.snapshot, (unsigned long long)res.files_stored,
		        (unsigned long long)res.bytes_seen, (unsigned long long)res.files_read,
		        (unsigned long long)res.new_chunks, (unsigned long long)res.new_bytes,
		        (unsigned long long)res.stored_new_bytes, res.duration_ns / 1e9);
out:
	s.duration_ns = gs_mono_ns() - t0;
	if (s.status != GS_EXIT_OK && s.message == NULL) {
		snprintf(msg, sizeof(msg), "%s", gs_last_error());
		s.message = msg;
	}
	return agent_worst(s.status, agent_record_step(o, &s));
}

/* agent_write_metrics(o): the metrics file from the status table, when
 * metrics_file is set.  0 or -1 (warned). */
int
agent_write_metrics(struct agent_opts *o)
{
	struct gs_status_line *lines;
	size_t n;
	int rc;

	if (o->cfg->metrics_file == NULL)
		return 0;
	if (gs_status_load(o->cfg->state_dir, &lines, &n))
		return -1;
	rc = gs_metrics_write(o->cfg->metrics_file, lines, n, gs_now_ns());
	gs_status_free(lines, n);
	return rc;
}

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

	struct gs_audit_conf ac;

	gs_audit_conf_of(r->o->cfg, &ac);
	return gs_audit_append(&ac, &s) < 0 ? -1 : 0;
}

/*
 * remote_begin(o, r, t, rc, ret_key, ret_lock, res): what a step against
 * remote rc does first: the region check (before connecting), the tenant's
 * write key into *ret_key when ret_key is not NULL, the tenant's layout on
 * the local copy, and its writer lock into *ret_lock.  GS_EXIT_OK with the
 * key loaded and the lock held, or the step's status with res->message
 * saying why (nothing held).
 */
static int
remote_begin(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
             const struct gs_remote_conf *rc, struct gs_wkey **ret_key, int *ret_lock,
             struct gs_repl_result *res)
{
	struct gs_wkey *k = NULL;
	int status;

	if ((status = gs_region_check(o->cfg, t, rc)) != GS_EXIT_OK)
		goto err0;
	status = GS_EXIT_USAGE;
	if (ret_key != NULL && (k = gs_wkey_load(t->write_key, t->name)) == NULL)
		goto err0;
	status = GS_EXIT_FAIL;
	if (gs_repo_tenant_init(r, t->name) || (*ret_lock = gs_repo_lock(r, t->name)) < 0)
		goto err1;
	if (ret_key != NULL)
		*ret_key = k;

	/* Success! */
	return GS_EXIT_OK;

err1:
	gs_wkey_free(k);
err0:
	/* Failure! */
	snprintf(res->message, sizeof(res->message), "%s", gs_last_error());
	return status;
}

/*
 * finish(o, s, t0, res): end a replication step begun at t0: its duration,
 * its message when it did not succeed, and its record.  The step's status,
 * made worse when it could not be recorded.
 */
static int
finish(struct agent_opts *o, struct gs_step *s, int64_t t0, const struct gs_repl_result *res)
{
	s->duration_ns = gs_mono_ns() - t0;
	s->bytes = res->bytes;
	if (s->status != GS_EXIT_OK)
		s->message = res->message[0] ? res->message : "see stderr";
	s->status = agent_worst(s->status, agent_record_step(o, s));
	return s->status;
}

/*
 * agent_ship_tenant(o, r, t, rc): ship (o->repair: repair first) one tenant
 * to one remote, after the region check, and record the step; its exit
 * status.
 */
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

	/* repair tells whole objects from partial uploads with the index key */
	if ((s.status = remote_begin(o, r, t, rc, o->repair ? &k : NULL, &lock, &res)) ==
	    GS_EXIT_OK) {
		rp.key = k;
		s.status = gs_ship(o->cfg, r, rc, t->name, o->repair ? &rp : NULL, &res);
		gs_repo_unlock(lock);
		gs_wkey_free(k);
	}
	s.files = res.objects;
	if (o->verbose) {
		double secs = (gs_mono_ns() - t0) / 1e9;

		fprintf(stderr,
		        "remote %s: tenant %s: shipped %llu objects, %llu bytes in %.2f s "
		        "(%.1f MB/s)%s\n",
		        rc->name, t->name, (unsigned long long)res.objects,
		        (unsigned long long)res.bytes, secs,
		        secs > 0 ? (double)res.bytes / 1e6 / secs : 0.0,
		        res.repaired ? "; repaired" : "");
	}
	return finish(o, &s, t0, &res);
}

/* The volume parity step (agent_verify_tenant with no remote). */
static int
verify_volume(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
              const char *snap)
{
	struct gs_step s = {.step = "verify", .tenant = t->name, .start_ns = gs_now_ns()};
	struct gs_repl_result res = {0};
	int64_t t0 = gs_mono_ns();
	struct gs_wkey *k;

	if ((k = gs_wkey_load(t->write_key, t->name)) == NULL) {
		s.status = GS_EXIT_USAGE;
		snprintf(res.message, sizeof(res.message), "%s", gs_last_error());
	} else {
		/* run's backup step has just named them */
		s.status =
		    gs_verify_volume(r, t->name, k, o->cfg->state_dir, snap, !o->in_run, &res);
		gs_wkey_free(k);
	}
	s.files = res.compared;
	/* The step record names the snapshot whose parity it states. */
	if (res.snapshot[0])
		s.snapshot = res.snapshot;
	if (o->verbose)
		fprintf(stderr,
		        "tenant %s: volume parity of snapshot %s: %llu entries, %llu bytes: %s\n",
		        t->name, res.snapshot[0] ? res.snapshot : "(none)",
		        (unsigned long long)res.compared, (unsigned long long)res.bytes,
		        gs_step_result(s.status));
	return finish(o, &s, t0, &res);
}

/*
 * agent_verify_tenant(o, r, t, rc, snap): verify one tenant on one remote
 * (or, with rc NULL, the volume parity of snapshot snap: the one this run
 * made, or with snap NULL the last backup's, see gs_verify_volume()) and
 * record the step; its exit status.
 */
int
agent_verify_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
                    const struct gs_remote_conf *rc, const char *snap)
{
	struct gs_step s = {
	    .step = "verify", .tenant = t->name, .remote = NULL, .start_ns = gs_now_ns()};
	struct gs_repl_result res = {0};
	int64_t t0 = gs_mono_ns();
	int lock;

	if (rc == NULL)
		return verify_volume(o, r, t, snap);
	s.remote = rc->name;
	if ((s.status = remote_begin(o, r, t, rc, NULL, &lock, &res)) == GS_EXIT_OK) {
		s.status = gs_verify(o->cfg, r, rc, t->name, o->full, &res);
		gs_repo_unlock(lock);
		s.files = res.objects;
	}
	if (o->verbose)
		fprintf(stderr,
		        "remote %s: tenant %s: %llu objects compared, %llu read back (%llu "
		        "bytes), %u problems, %.2f s\n",
		        rc->name, t->name, (unsigned long long)res.compared,
		        (unsigned long long)res.objects, (unsigned long long)res.bytes,
		        res.problems, (gs_mono_ns() - t0) / 1e9);
	return finish(o, &s, t0, &res);
}

/* ship_log(o, ac, rc): one remote's part of agent_ship_logs. */
static int
ship_log(struct agent_opts *o, const struct gs_audit_conf *ac, const struct gs_remote_conf *rc)
{
	struct gs_step s = {.step = "ship-log", .remote = rc->name, .start_ns = gs_now_ns()};
	struct gs_transport *tp;
	int64_t t0 = gs_mono_ns();

	if ((tp = gs_tp_open(rc)) == NULL) {
		s.status =
		    gs_tp_last_errkind(NULL) == GS_TP_ERR_CONFIG ? GS_EXIT_USAGE : GS_EXIT_FAIL;
		s.message = "cannot connect";
	} else {
		if (gs_audit_ship(ac, tp, &s.files)) {
			s.status = GS_EXIT_FAIL;
			s.message = "the audit log could not be shipped; see stderr";
		}
		/* deletion certificates the erasure could not publish */
		if (gs_cert_ship_all(o->cfg->state_dir, o->cfg->host, tp, &s.files)) {
			s.status = GS_EXIT_FAIL;
			if (s.message == NULL)
				s.message =
				    "deletion certificates could not be published; see stderr";
		}
		gs_tp_close(tp);
	}
	s.duration_ns = gs_mono_ns() - t0;
	return agent_worst(s.status, agent_record_step(o, &s));
}

/*
 * agent_ship_logs(o): close the audit log's open segment once, then
 * publish its closed segments and a signed checkpoint to every selected
 * remote (gs_audit_ship), one "ship-log" record each; the worst exit
 * status.  Without audit_log or audit_key there is nothing to anchor: 0.
 */
int
agent_ship_logs(struct agent_opts *o)
{
	struct gs_audit_conf ac;
	int rc = GS_EXIT_OK;

	struct gs_ms_sec *k;

	gs_audit_conf_of(o->cfg, &ac);
	if (ac.log == NULL || ac.key == NULL || o->cfg->nremotes == 0)
		return GS_EXIT_OK;
	/* a key that cannot be loaded is a damaged log's problem (exit 1) */
	if ((k = gs_ms_sec_load(ac.key)) == NULL) {
		gs_warn("audit log %s: not shipped: the audit key cannot be loaded", ac.log);
		return GS_EXIT_PROBLEM;
	}
	gs_ms_sec_free(k);
	if (gs_audit_cut(&ac) < 0)
		rc = GS_EXIT_PROBLEM;
	for (size_t j = 0; j < o->cfg->nremotes; j++)
		if (agent_remote_selected(o, o->cfg->remotes[j].name))
			rc = agent_worst(rc, ship_log(o, &ac, &o->cfg->remotes[j]));
	return rc;
}
