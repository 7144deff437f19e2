/*
 * cmd_quarantine.c -- set objects aside on every copy, after a compromise
 * of the production host (docs/OPERATIONS.md, "The production host was
 * compromised").
 *
 * `geosnap-restore check` (read key) names the forged or damaged objects
 * as KIND/NAME; this command renames each into tenants/T/quarantine/ on the
 * local repository and on every remote (or the --remote ones), so that no
 * restore reads them and the agent no longer deduplicates against them.
 * Nothing is deleted.  Each move is one line on stderr and one
 * "quarantine" record in the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/repo.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-agent quarantine --tenant T [--remote R]... KIND/NAME...\n"
    "Move each object (KIND is packs, index or snapshots, as `geosnap-restore\n"
    "check` lists them) into tenants/T/quarantine/ on the local repository and\n"
    "on every remote (only the --remote ones, when given).  Nothing is deleted;\n"
    "each move is one line on stderr and one audit record.  Exit 1 when an\n"
    "object is on no copy, 3 when a copy cannot be reached.\n";

/* One operand: "packs/NAME", "index/NAME" or "snapshots/NAME". */
struct obj {
	int kind;
	char name[GS_NAME_HEX];
	int found;
};

static int
parse_obj(const char *s, struct obj *ret)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL || !gs_layout_is_objname(slash + 1))
		return -1;
	for (int k = GS_OBJ_PACK; k < GS_OBJ_NKINDS; k++)
		if (strlen(gs_layout_kind_name(k)) == (size_t)(slash - s) &&
		    strncmp(s, gs_layout_kind_name(k), (size_t)(slash - s)) == 0) {
			ret->kind = k;
			memcpy(ret->name, slash + 1, GS_NAME_HEX);
			ret->found = 0;
			return 0;
		}
	return -1;
}

/* Set every object aside on one copy; its exit status. */
static int
on_copy(struct agent_opts *o, struct gs_transport *tp, const char *where, const char *tenant,
        struct obj *v, size_t n)
{
	struct gs_audit_conf ac;
	int rc = GS_EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		struct gs_step s = {.step = "quarantine",
		                    .tenant = tenant,
		                    .remote = where,
		                    .start_ns = gs_now_ns(),
		                    .files = 1,
		                    .action = "quarantined"};
		char *from = gs_layout_obj(tenant, v[i].kind, v[i].name), *to = NULL;
		int r = from ? gs_repo_set_aside(tp, tenant, v[i].kind, v[i].name, &to) : -1;

		if (r == 1) {
			if (!o->quiet)
				fprintf(stderr, "%s: %s: not on this copy\n", where, from);
		} else if (r == 0) {
			v[i].found = 1;
			fprintf(stderr, "%s: %s: set aside as %s\n", where, from, to);
			s.object = from;
			s.to = to;
			s.reason = "named by geosnap-restore check as forged or damaged";
			gs_audit_conf_of(o->cfg, &ac);
			if (gs_audit_append(&ac, &s) != 0)
				rc = agent_worst(rc, GS_EXIT_PROBLEM);
		} else {
			rc = agent_worst(rc, GS_EXIT_FAIL);
		}
		free(from);
		free(to);
	}
	return rc;
}

/* cmd_quarantine(o, argc, argv): the quarantine command (usage above); its exit status. */
int
cmd_quarantine(struct agent_opts *o, int argc, char **argv)
{
	const struct gs_tenant_conf *t;
	struct gs_transport *tp;
	struct gs_repo *r = NULL;
	struct obj *v = NULL;
	int rc, lock = -1;

	if ((rc = agent_parse_opts(o, argc, argv, usage, AO_REMOTE | AO_ARGS)) >= 0)
		return rc;
	if ((rc = agent_check_tenants(o)) != 0)
		return rc;
	if (o->ntenants != 1 || o->nargs == 0) {
		gs_warn("quarantine needs exactly one --tenant and at least one KIND/NAME");
		fputs(usage, stderr);
		return GS_EXIT_USAGE;
	}
	t = gs_config_tenant(o->cfg, o->tenants[0]);
	if ((v = calloc(o->nargs, sizeof(*v))) == NULL) {
		gs_warnp("calloc");
		return GS_EXIT_FAIL;
	}
	for (size_t i = 0; i < o->nargs; i++)
		if (parse_obj(o->args[i], &v[i]) != 0) {
			gs_warn("'%s' is not an object (KIND/NAME: packs, index or snapshots, then "
			        "32 hex digits)",
			        o->args[i]);
			free(v);
			return GS_EXIT_USAGE;
		}

	/* It moves objects in the repository and appends to the audit log. */
	if ((rc = agent_check_dirs(o, AD_REPO | AD_AUDIT)) != 0)
		goto out;
	/* No backup or ship of the tenant may run meanwhile. */
	if ((r = gs_repo_open(o->cfg->repository)) == NULL ||
	    (lock = gs_repo_lock(r, t->name)) < 0) {
		rc = GS_EXIT_FAIL;
		goto out;
	}
	rc = on_copy(o, gs_repo_transport(r), "local", t->name, v, o->nargs);
	for (size_t j = 0; j < o->cfg->nremotes; j++) {
		const struct gs_remote_conf *rc_ = &o->cfg->remotes[j];

		if (!agent_remote_selected(o, rc_->name))
			continue;
		/* moving objects is maintenance (docs/SECURITY.md) */
		if ((tp = gs_tp_open_maint(rc_)) == NULL) {
			rc = agent_worst(rc, gs_tp_last_errkind(NULL) == GS_TP_ERR_CONFIG
			                         ? GS_EXIT_USAGE
			                         : GS_EXIT_FAIL);
			continue;
		}
		rc = agent_worst(rc, on_copy(o, tp, rc_->name, t->name, v, o->nargs));
		gs_tp_close(tp);
	}
	for (size_t i = 0; i < o->nargs; i++)
		if (!v[i].found) {
			gs_warn("tenant %s: %s/%s is on no copy", t->name,
			        gs_layout_kind_name(v[i].kind), v[i].name);
			rc = agent_worst(rc, GS_EXIT_PROBLEM);
		}
out:
	if (lock >= 0)
		gs_repo_unlock(lock);
	gs_repo_free(r);
	free(v);
	return rc;
}
