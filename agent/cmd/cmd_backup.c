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

/* cmd_backup(o, argc, argv): the backup command (usage above); its exit status. */
int
cmd_backup(struct agent_opts *o, int argc, char **argv)
{
	struct gs_repo *r;
	int rc;

	if ((rc = agent_parse_common(o, argc, argv, usage)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if ((rc = agent_open_repo(o, &r)) != GS_EXIT_OK)
		return rc;
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < o->cfg->ntenants; i++) {
		const struct gs_tenant_conf *t = &o->cfg->tenants[i];

		if (!agent_tenant_selected(o, t->name))
			continue;
		if (agent_departed(t)) {
			/* it left: no new backup of it (its data is being erased) */
			gs_warn("tenant %s is offboarded (%s:%d): it is no longer backed up",
			        t->name, o->cfg->path, t->line);
			if (o->ntenants)
				rc = agent_worst(rc, GS_EXIT_USAGE);
			continue;
		}
		rc = agent_worst(rc, agent_backup_tenant(o, r, t, NULL));
	}
	gs_repo_free(r);
	return rc;
}
