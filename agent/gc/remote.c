/*
 * remote.c -- garbage collection on a remote: ship what the local
 * collection wrote, then delete there what it deleted locally, through
 * the maintenance credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc/gc_internal.h"
#include "geosnap/config.h"
#include "geosnap/layout.h"
#include "geosnap/replicate.h"
#include "geosnap/state.h"
#include "geosnap/transport.h"

struct rdel {
	const struct gs_repo *local;
	struct gs_transport *tp;
	const char *tenant, *remote;
	uint64_t objects, bytes;
	int failed;
};

/* One pending deletion: only what the local repository no longer has
 * (the local deletion is the decision; a killed collection may have
 * recorded objects it then kept). */
static int
del_one(void *arg, int kind, const char *name)
{
	struct rdel *d = arg;
	uint64_t size = 0;
	char *path;
	int rc;

	if (d->failed)
		return 0;
	if (gs_repo_stat(d->local, d->tenant, kind, name, &size) != 1)
		return 0; /* still here (or unreadable): not garbage */
	if ((path = gs_layout_obj(d->tenant, kind, name)) == NULL)
		return -1;
	if ((rc = gs_tp_stat(d->tp, path, &size)) == 0)
		rc = gs_tp_delete(d->tp, path);
	free(path);
	if (rc < 0) {
		gs_warn("remote %s: tenant %s %s %s: cannot be deleted", d->remote, d->tenant,
		        gs_layout_kind_noun(kind), name);
		d->failed = 1;
		return 0;
	}
	if (rc == 0) {
		d->objects++;
		d->bytes += size;
	}
	return 0;
}

/*
 * gs_gc_remote(cfg, local, rc, tenant, ret_objects, ret_bytes,
 * ret_pending_since): ship, then delete on rc (maintenance credentials)
 * what the tenant's pending-delete file for rc names and the local
 * repository no longer has; the file is removed once all are gone.
 * GS_EXIT_*.
 */
int
gs_gc_remote(const struct gs_config *cfg, const struct gs_repo *local,
             const struct gs_remote_conf *rc, const char *tenant, uint64_t *ret_objects,
             uint64_t *ret_bytes, int64_t *ret_pending_since)
{
	struct rdel d = {.local = local, .tenant = tenant, .remote = rc->name};
	struct gs_repl_result res = {0};
	char *path;
	int st;

	*ret_objects = *ret_bytes = 0;
	*ret_pending_since = 0;
	if ((path = gs_state_path(cfg->state_dir, GS_STATE_PENDING_DELETE, tenant, rc->name)) ==
	    NULL)
		return GS_EXIT_FAIL;
	*ret_pending_since = gs_state_pending_since(path);
	if (*ret_pending_since == 0) {
		free(path);
		return GS_EXIT_OK;
	}
	/* the new packs, index and relocations first: nothing a remote reader
	 * needs may go before they are there */
	if ((st = gs_ship(cfg, local, rc, tenant, NULL, &res)) != GS_EXIT_OK) {
		gs_warn("remote %s: tenant %s: deletions stay pending: %s", rc->name, tenant,
		        res.message[0] ? res.message : "shipping failed");
		free(path);
		return st;
	}
	if ((d.tp = gs_tp_open_maint(rc)) == NULL) {
		gs_warn("remote %s: tenant %s: deletions stay pending: cannot connect", rc->name,
		        tenant);
		free(path);
		return GS_EXIT_FAIL;
	}
	if (gs_state_pending_load(path, del_one, &d) != 0 || d.failed) {
		st = GS_EXIT_FAIL;
	} else {
		gs_state_pending_clear(path);
	}
	gs_tp_close(d.tp);
	free(path);
	*ret_objects = d.objects;
	*ret_bytes = d.bytes;
	return st;
}
