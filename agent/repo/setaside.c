/*
 * setaside.c -- moving an object out of a copy's namespace into the
 * tenant's quarantine, on any copy (the local repository through the
 * local-directory transport, a remote through its own).
 *
 * Used after a compromise of the production host: `geosnap-restore check`
 * names the forged objects, and `geosnap-agent quarantine` sets them aside
 * on every copy, so that no restore or backup consults them again.  Nothing
 * is deleted: a rename keeps the bytes for the investigation, and renaming
 * is all an append-only SFTP account may do.
 */
#include <stdlib.h>
#include <time.h>

#include "geosnap/repo.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

/* Most "-N" suffixes tried when quarantine names collide. */
#define MAX_SUFFIX 100

/*
 * gs_repo_set_aside(tp, tenant, kind, name, ret_to): rename the object
 * tenants/T/<kind>/<name> of the copy behind tp to
 * tenants/T/quarantine/<noun>-<name>-<unix time>[-N] (never over another
 * file).  *ret_to (malloc'd, caller frees) is where it went.  Returns 0, 1
 * when the copy does not hold the object, -1 (warned, naming the copy).
 */
int
gs_repo_set_aside(struct gs_transport *tp, const char *tenant, int kind, const char *name,
                  char **ret_to)
{
	char *from = gs_layout_obj(tenant, kind, name);
	char *dir = gs_layout_quarantine_dir(tenant), *to = NULL;
	uint64_t size;
	int r = -1;

	if (from == NULL || dir == NULL)
		goto out;
	if ((r = gs_tp_stat(tp, from, &size)) != 0)
		goto out; /* 1: not on this copy */
	if ((r = gs_tp_mkdir(tp, dir)) != 0)
		goto out;
	for (unsigned i = 0; i < MAX_SUFFIX; i++) {
		free(to);
		if ((to = gs_layout_quarantine(tenant, gs_layout_kind_noun(kind), name,
		                               (long long)time(NULL), i)) == NULL) {
			r = -1;
			goto out;
		}
		if ((r = gs_tp_rename(tp, from, to)) != 1)
			break;
	}
	if (r == 1) {
		gs_warn("%s: tenant %s: no free name in %s for %s", gs_tp_name(tp), tenant, dir,
		        from);
		r = -1;
	}
	if (r == 0) {
		*ret_to = to;
		to = NULL;
	}
out:
	if (r < 0)
		gs_warn("%s: tenant %s: cannot set %s %s aside", gs_tp_name(tp), tenant,
		        gs_layout_kind_noun(kind), name);
	free(from);
	free(dir);
	free(to);
	return r;
}
