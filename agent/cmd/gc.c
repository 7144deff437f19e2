/*
 * gc.c -- the garbage-collection step of expire for one tenant: collect
 * on the local repository, then on every remote the tenant ships to, and
 * record one "gc" step per copy (docs/AUDIT.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/config.h"
#include "geosnap/gc.h"
#include "geosnap/keys.h"
#include "geosnap/policy.h"
#include "geosnap/repo.h"
#include "geosnap/util.h"

#define NS 1000000000LL

/* The local collection and its record; its exit status. */
static int
gc_local(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
         const struct gs_wkey *k, const char (*skip)[GS_NAME_HEX], size_t nskip)
{
	struct gs_step s = {.step = "gc", .tenant = t->name, .start_ns = gs_now_ns()};
	const char **remotes = calloc(o->cfg->nremotes + 1, sizeof(*remotes));
	struct gs_gc_stats st;
	char msg[256];
	size_t nr = 0;
	int64_t t0 = gs_mono_ns();
	int rc;

	if (remotes == NULL) {
		gs_warnp("calloc");
		return GS_EXIT_FAIL;
	}
	for (size_t j = 0; j < o->cfg->nremotes; j++)
		if (gs_region_ok(o->cfg, t, &o->cfg->remotes[j]))
			remotes[nr++] = o->cfg->remotes[j].name;
	rc = gs_gc_local(r, k, t->name, o->cfg->pack_size, o->cfg->state_dir, remotes, nr, skip,
	                 nskip, o->dry_run, &st);
	free(remotes);
	s.status = rc == 0 ? GS_EXIT_OK : rc == 1 ? GS_EXIT_PROBLEM : GS_EXIT_FAIL;
	if (rc >= 0 && !o->quiet && (!o->in_run || o->verbose))
		printf("tenant %s: gc%s: %llu snapshots, %llu packs (%llu left alone, younger "
		       "than %d s): %llu %s, %llu %s; %llu live chunks, %llu dead (%llu bytes); "
		       "%llu objects deleted; packs %llu -> %llu bytes\n",
		       t->name, o->dry_run ? " (dry run)" : "", (unsigned long long)st.snapshots,
		       (unsigned long long)st.packs, (unsigned long long)st.packs_young,
		       GS_GC_GRACE_S, (unsigned long long)st.packs_deleted,
		       o->dry_run ? "to delete" : "deleted", (unsigned long long)st.packs_repacked,
		       o->dry_run ? "to repack" : "repacked", (unsigned long long)st.chunks_live,
		       (unsigned long long)st.chunks_dead, (unsigned long long)st.bytes_dead,
		       (unsigned long long)st.objects_deleted, (unsigned long long)st.bytes_before,
		       (unsigned long long)st.bytes_after);
	if (o->dry_run)
		return s.status;
	s.duration_ns = gs_mono_ns() - t0;
	s.files = st.objects_deleted;
	s.bytes =
	    st.bytes_before - (st.bytes_after < st.bytes_before ? st.bytes_after : st.bytes_before);
	if (s.status != GS_EXIT_OK) {
		snprintf(msg, sizeof(msg), "%s", gs_last_error());
		s.message = msg;
	} else if (st.objects_deleted == 0) {
		return GS_EXIT_OK; /* nothing to collect: no record */
	}
	return agent_worst(s.status, agent_record_step(o, &s));
}

/* The remote collection on rc and its record; its exit status: with
 * deletions left pending GS_EXIT_WARN, and GS_EXIT_PROBLEM once the erasure
 * deadline (from the first of them) has passed. */
static int
gc_remote(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
          const struct gs_remote_conf *rc)
{
	struct gs_step s = {
	    .step = "gc", .tenant = t->name, .remote = rc->name, .start_ns = gs_now_ns()};
	int64_t t0 = gs_mono_ns(), since;
	uint64_t objects, bytes;
	char msg[256];

	s.status = gs_gc_remote(o->cfg, r, rc, t->name, &objects, &bytes, &since);
	if (since == 0 && s.status == GS_EXIT_OK)
		return GS_EXIT_OK; /* nothing was pending there: no record */
	s.duration_ns = gs_mono_ns() - t0;
	s.files = objects;
	s.bytes = bytes;
	if (s.status != GS_EXIT_OK) {
		int64_t due = since + (int64_t)o->cfg->policy.erasure_deadline_s * NS;
		char when[40];

		gs_iso_time(when, sizeof(when), due / NS);
		/* pending (the remote unreachable or refusing): a warning until
		 * the erasure deadline, a problem from then on */
		if (since != 0 && gs_now_ns() > due) {
			snprintf(msg, sizeof(msg),
			         "deletions pending: the erasure deadline (%s) has passed: %s",
			         when, gs_last_error());
			s.status = GS_EXIT_PROBLEM;
		} else {
			snprintf(msg, sizeof(msg), "deletions pending, due by %s: %s", when,
			         gs_last_error());
			s.status = GS_EXIT_WARN;
		}
		gs_warn("remote %s: tenant %s: %s", rc->name, t->name, msg);
		s.message = msg;
	} else if (!o->quiet && (!o->in_run || o->verbose) && objects > 0) {
		printf("remote %s: tenant %s: gc: %llu objects deleted, %llu bytes freed\n",
		       rc->name, t->name, (unsigned long long)objects, (unsigned long long)bytes);
	}
	return agent_worst(s.status, agent_record_step(o, &s));
}

/*
 * agent_gc_tenant(o, r, t, skip, nskip): garbage collection of tenant t after
 * retention, on the local repository and then on every remote its region
 * policy allows (deletions there through the maintenance credentials);
 * the caller holds the tenant lock.  o->dry_run: only count and print,
 * as if the nskip snapshots in skip (sorted; retention's dry run) were
 * gone.
 * One "gc" step record per copy where something was deleted, is pending
 * or failed.  Its exit status: GS_EXIT_PROBLEM when
 * the collection was refused (an unreadable snapshot or pack) or a
 * remote's deletions are pending past the erasure deadline.
 */
int
agent_gc_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
                const char (*skip)[GS_NAME_HEX], size_t nskip)
{
	struct gs_wkey *k;
	int rc;

	if ((k = gs_wkey_load(t->write_key, t->name)) == NULL)
		return GS_EXIT_USAGE;
	rc = gc_local(o, r, t, k, skip, nskip);
	gs_wkey_free(k);
	if (o->dry_run || rc == GS_EXIT_FAIL)
		return rc;
	for (size_t j = 0; j < o->cfg->nremotes; j++) {
		const struct gs_remote_conf *rc_remote = &o->cfg->remotes[j];

		if (!gs_region_ok(o->cfg, t, rc_remote))
			continue; /* not shipped there (the ship step says why) */
		rc = agent_worst(rc, gc_remote(o, r, t, rc_remote));
	}
	return rc;
}
