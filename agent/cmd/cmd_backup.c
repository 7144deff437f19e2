/*
 * cmd_backup.c -- snapshot each selected tenant into the local repository.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/backup.h"
#include "geosnap/util.h"

static const char usage[] = "usage: geosnap-agent backup [--tenant T]...\n"
                            "Snapshot each tenant's sources into the local repository.\n"
                            "Exit 4 when source files vanished, changed or were unreadable.\n";

int
agent_record_step(struct agent_opts *o, const struct gs_step *s)
{
	int rc = 0;

	if (gs_status_record(o->cfg->state_dir, s))
		rc = -1;
	if (gs_audit_append(o->cfg->audit_log, o->cfg->host, s))
		rc = -1;
	return rc;
}

int
agent_backup_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
                    char *ret_snap)
{
	struct gs_backup_result res = {0};
	struct gs_step s = {.step = "backup", .tenant = t->name, .start_ns = gs_now_ns()};
	int64_t t0 = gs_mono_ns();
	char msg[1024];
	struct gs_wkey *k;
	int b;

	if (ret_snap != NULL)
		ret_snap[0] = '\0';
	if ((k = gs_wkey_load(t->write_key, t->name)) == NULL) {
		s.status = GS_EXIT_USAGE;
		goto out;
	}
	b = gs_backup(o->cfg, t, r, k, isatty(2) && !o->quiet, &res);
	gs_wkey_free(k);
	if (b < 0) {
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
	if (s.status != GS_EXIT_OK) {
		snprintf(msg, sizeof(msg), "%s", gs_last_error());
		s.message = msg;
	}
	if (agent_record_step(o, &s) && s.status == GS_EXIT_OK)
		s.status = GS_EXIT_FAIL;
	return s.status;
}

int
cmd_backup(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_common(o, argc, argv, usage)) >= 0)
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
	for (size_t i = 0; i < o->cfg->ntenants; i++)
		if (agent_tenant_selected(o, o->cfg->tenants[i].name))
			rc = worst(rc, agent_backup_tenant(o, r, &o->cfg->tenants[i], NULL));
	gs_repo_free(r);
	return rc;
}
