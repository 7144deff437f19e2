/*
 * cmd_backup.c -- snapshot each selected tenant into the local repository.
 */
#include <stdio.h>
#include <unistd.h>

#include "agent.h"
#include "geosnap/backup.h"
#include "geosnap/util.h"

static const char usage[] = "usage: geosnap-agent backup [--tenant T]...\n"
			    "Snapshot each tenant's sources into the local repository.\n"
			    "Exit 4 when source files vanished, changed or were unreadable.\n";

int
cmd_backup(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_common(o, argc, argv, usage)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if ((r = gs_repo_open(o->cfg->repository)) == NULL)
		return GS_EXIT_FAIL;
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < o->cfg->ntenants; i++) {
		const struct gs_tenant_conf *t = &o->cfg->tenants[i];
		struct gs_backup_result res;
		struct gs_wkey *k;
		int b;

		if (!agent_tenant_selected(o, t->name))
			continue;
		if ((k = gs_wkey_load(t->write_key, t->name)) == NULL) {
			rc = worst(rc, GS_EXIT_USAGE);
			continue;
		}
		b = gs_backup(o->cfg, t, r, k, isatty(2) && !o->quiet, &res);
		gs_wkey_free(k);
		if (b < 0) {
			gs_warn("tenant %s: backup failed; no snapshot was made", t->name);
			rc = worst(rc, GS_EXIT_FAIL);
			continue;
		}
		if (b == 1) {
			gs_warn("tenant %s: snapshot %.12s made with warnings: %u vanished, "
				"%u changed, %u unreadable",
				t->name, res.snapshot, res.vanished, res.changed, res.unreadable);
			rc = worst(rc, GS_EXIT_WARN);
		}
		if (o->verbose)
			fprintf(stderr,
				"tenant %s: snapshot %.12s: %llu entries, %llu bytes seen; "
				"%llu files read; %llu new chunks, %llu new bytes, %llu stored; "
				"%.2f s\n",
				t->name, res.snapshot, (unsigned long long)res.files_stored,
				(unsigned long long)res.bytes_seen,
				(unsigned long long)res.files_read,
				(unsigned long long)res.new_chunks,
				(unsigned long long)res.new_bytes,
				(unsigned long long)res.stored_new_bytes, res.duration_ns / 1e9);
	}
	gs_repo_free(r);
	return rc;
}
