/*
 * retain.c -- the retention step of expire (and run) for a live tenant:
 * list its snapshots on the local repository (their public part, which
 * the write key reads), decide with gs_retention_plan (retention.h),
 * print what is kept and removed and why, and unless --dry-run delete the
 * removed snapshot records: first on the local repository, then on each
 * remote through its maintenance transport (gs_tp_open_maint).
 *
 * Order and crash safety, under the tenant's writer lock (backup, ship and
 * verify take it too):
 *   1. each remote's pending-expire file (state.h) gets the snapshots to
 *      remove there, written whole before anything is deleted;
 *   2. the local records are deleted (ship copies only what the local copy
 *      has, so nothing removed here comes back);
 *   3. each remote deletes what its file lists and the local copy no
 *      longer holds; what was done leaves the file.
 * A kill at any instant leaves every decision in a pending file or still
 * to be taken again from the same listing; an unreachable remote keeps its
 * deletions pending for the next expire or run (warned, exit 3).  A
 * snapshot younger than GS_RETENTION_GRACE_S is never removed.  One
 * "expire" audit record and status line per copy (docs/AUDIT.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/retention.h"
#include "geosnap/state.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

typedef char name_t[GS_NAME_HEX];

/* grace_s(): GS_RETENTION_GRACE_S, or for the tests only a shorter grace
 * period from GEOSNAP_TEST_EXPIRE_GRACE (whole seconds, 0 up to the
 * default; anything else is ignored): it can only let the policy remove a
 * young snapshot it does not keep, never change what the policy keeps. */
static uint64_t
grace_s(void)
{
	const char *e = getenv("GEOSNAP_TEST_EXPIRE_GRACE");
	char *end;
	unsigned long long v;

	if (e == NULL || *e < '0' || *e > '9')
		return GS_RETENTION_GRACE_S;
	v = strtoull(e, &end, 10);
	return *end == '\0' && v < GS_RETENTION_GRACE_S ? v : GS_RETENTION_GRACE_S;
}

/* The tenant's snapshots on the local copy and the decision on each. */
struct plan {
	struct gs_repo_obj *objs; /* the listing, by name */
	size_t n;
	int64_t *time_ns;                     /* per object; its public time */
	int *bad;                             /* corrupt or forged: kept, not planned */
	struct gs_retention_verdict *verdict; /* per object */
	name_t *removed;                      /* names to remove, sorted */
	size_t nremoved, nkept;
};

static void
plan_free(struct plan *p)
{
	free(p->objs);
	free(p->time_ns);
	free(p->bad);
	free(p->verdict);
	free(p->removed);
}

/* has_name(v, n, name): 1 when the sorted v holds name. */
static int
has_name(const name_t *v, size_t n, const char *name)
{
	return n > 0 &&
	       bsearch(name, v, n, sizeof(*v), (int (*)(const void *, const void *))strcmp);
}

/* local_has(p, name): 1 when the local listing holds snapshot name. */
static int
local_has(const struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->objs[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * decide(o, r, t, k, p): list and read the local snapshots, plan.  The
 * status: GS_EXIT_OK; GS_EXIT_PROBLEM when some record is corrupt or
 * forged (kept, named); GS_EXIT_FAIL when the listing or a record cannot
 * be read (nothing is decided: p is emptied).
 */
static int
decide(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
       const struct gs_wkey *k, struct plan *p)
{
	struct gs_retention_snap *s = NULL;
	struct gs_retention pol;
	size_t ns = 0;
	int status = GS_EXIT_OK;

	gs_retention_of(&o->cfg->policy, t, &pol);
	if (gs_repo_list_objs(r, t->name, GS_OBJ_SNAP, &p->objs, &p->n))
		return GS_EXIT_FAIL;
	if ((p->time_ns = calloc(p->n + 1, sizeof(*p->time_ns))) == NULL ||
	    (p->bad = calloc(p->n + 1, sizeof(*p->bad))) == NULL ||
	    (p->verdict = calloc(p->n + 1, sizeof(*p->verdict))) == NULL ||
	    (p->removed = calloc(p->n + 1, sizeof(*p->removed))) == NULL ||
	    (s = calloc(p->n + 1, sizeof(*s))) == NULL) {
		gs_warn("tenant %s: out of memory", t->name);
		goto fail;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct gs_snap_info si;

		switch (gs_repo_snap_public(r, t->name, k->index_key, p->objs[i].name, &si)) {
		case 0:
			p->time_ns[i] = si.time_ns;
			gs_snap_info_clear(&si);
			break;
		case 2: /* corrupt or forged (named): never decided on, kept */
			p->bad[i] = 1;
			status = GS_EXIT_PROBLEM;
			continue;
		default: /* vanished under the lock, or unreadable: decide nothing */
			goto fail;
		}
		s[ns++] = (struct gs_retention_snap){.name = p->objs[i].name,
		                                     .time_ns = p->time_ns[i],
		                                     .recv_ns = p->objs[i].mtime_ns};
	}
	{
		struct gs_retention_verdict *v = calloc(ns + 1, sizeof(*v));
		size_t j = 0;

		if (v == NULL) {
			gs_warn("tenant %s: out of memory", t->name);
			goto fail;
		}
		gs_retention_plan(&pol, s, ns, gs_now_ns(), grace_s(), v);
		for (size_t i = 0; i < p->n; i++) {
			if (p->bad[i]) {
				p->verdict[i].keep = 1;
				snprintf(p->verdict[i].reasons, sizeof(p->verdict[i].reasons),
				         "corrupt or forged record: never removed by retention");
			} else {
				p->verdict[i] = v[j++];
			}
			if (p->verdict[i].keep)
				p->nkept++;
			else
				memcpy(p->removed[p->nremoved++], p->objs[i].name, GS_NAME_HEX);
		}
		free(v);
	}
	free(s);
	return status; /* the listing is sorted by name: so is removed */

fail:
	free(s);
	plan_free(p);
	memset(p, 0, sizeof(*p));
	gs_warn("tenant %s: retention not applied: the snapshots could not all be read", t->name);
	return GS_EXIT_FAIL;
}

/* print_plan(o, t, p): one line per snapshot on stdout. */
static void
print_plan(const struct agent_opts *o, const struct gs_tenant_conf *t, const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		char when[GS_ISO_TIME_MAX] = "?";

		if (!p->bad[i])
			gs_iso_time(when, sizeof(when), p->time_ns[i] / GS_NS_PER_S);
		if (o->json) {
			printf("{\"tenant\":");
			gs_json_str(stdout, t->name);
			printf(",\"id\":\"%s\",\"time\":\"%s\",\"action\":\"%s\",\"reasons\":",
			       p->objs[i].name, when, p->verdict[i].keep ? "keep" : "remove");
			gs_json_str(stdout, p->verdict[i].reasons);
			printf(",\"dry_run\":%s}\n", o->dry_run ? "true" : "false");
		} else {
			printf("%-8s %-6s %s %-20s %s\n", t->name,
			       p->verdict[i].keep ? "KEEP" : "REMOVE", p->objs[i].name, when,
			       p->verdict[i].reasons);
		}
	}
}

/* names_json(v, n): a malloc'd JSON array of the names, or NULL. */
static char *
names_json(const name_t *v, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (m == NULL)
		return NULL;
	fputc('[', m);
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s\"%s\"", i ? "," : "", v[i]);
	fputc(']', m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* What one remote is to lose (remote_pending). */
struct pending {
	name_t *v;
	size_t n;
};

/* The outcome of one copy, for its record. */
struct copy_out {
	const char *remote; /* NULL: the local repository */
	int status;
	const name_t *removed; /* removed now from this copy */
	size_t nremoved;
	const name_t *pending; /* still to remove there (remotes) */
	size_t npending;
	const char *message;
};

/*
 * record(o, t, p, c, start_ns, t0): one "expire" audit record and status
 * line for copy c.  c->status made worse when it could not be recorded.
 */
static int
record(struct agent_opts *o, const struct gs_tenant_conf *t, const struct plan *p,
       const struct copy_out *c, int64_t start_ns, int64_t t0)
{
	struct gs_step s = {.step = "expire",
	                    .tenant = t->name,
	                    .remote = c->remote,
	                    .status = c->status,
	                    .start_ns = start_ns,
	                    .duration_ns = gs_mono_ns() - t0,
	                    .files = c->nremoved,
	                    .message = c->message};
	name_t *kept = calloc(p->n + 1, sizeof(*kept));
	char *jk = NULL, *jr = NULL, *jp = NULL;
	struct gs_audit_conf ac;
	struct gs_audit_rec rec;
	size_t nk = 0;
	int rc = GS_EXIT_OK;

	for (size_t i = 0; kept != NULL && i < p->n; i++)
		if (p->verdict[i].keep)
			memcpy(kept[nk++], p->objs[i].name, GS_NAME_HEX);
	gs_audit_conf_of(o->cfg, &ac);
	if (kept == NULL || (jk = names_json((const name_t *)kept, nk)) == NULL ||
	    (jr = names_json(c->removed, c->nremoved)) == NULL ||
	    (jp = names_json(c->pending, c->npending)) == NULL) {
		gs_warn("tenant %s: out of memory: no expire record", t->name);
		rc = GS_EXIT_PROBLEM;
	} else if (ac.log != NULL) {
		if (gs_audit_rec_init(&rec, "expire") == 0) {
			rec.time_ns = start_ns;
			gs_audit_rec_str(&rec, "tenant", t->name);
			gs_audit_rec_str(&rec, "remote", c->remote);
			gs_audit_rec_str(&rec, "copy", c->remote ? c->remote : "local");
			gs_audit_rec_int(&rec, "status", c->status);
			gs_audit_rec_str(&rec, "result", gs_step_result(c->status));
			gs_audit_rec_dbl(&rec, "duration_s", (double)s.duration_ns / 1e9, 3);
			gs_audit_rec_u64(&rec, "kept", nk);
			gs_audit_rec_u64(&rec, "removed", c->nremoved);
			gs_audit_rec_u64(&rec, "pending", c->npending);
			gs_audit_rec_raw(&rec, "kept_snapshots", jk);
			gs_audit_rec_raw(&rec, "removed_snapshots", jr);
			gs_audit_rec_raw(&rec, "pending_snapshots", jp);
			gs_audit_rec_str(&rec, "message", c->message);
		}
		if (gs_audit_write(&ac, &rec) != 0)
			rc = GS_EXIT_PROBLEM;
	}
	if (gs_status_record(o->cfg->state_dir, &s))
		rc = GS_EXIT_FAIL;
	free(kept);
	free(jk);
	free(jr);
	free(jp);
	return agent_worst(c->status, rc);
}

/* delete_local(r, t, p, ret_n): delete the removed records on the local
 * copy; *ret_n gets how many are gone.  Its status (a failure warned). */
static int
delete_local(const struct gs_repo *r, const struct gs_tenant_conf *t, const struct plan *p,
             size_t *ret_n)
{
	struct gs_transport *tp = gs_repo_transport(r);
	int status = GS_EXIT_OK;

	*ret_n = 0;
	for (size_t i = 0; i < p->nremoved; i++) {
		char *path = gs_layout_obj(t->name, GS_OBJ_SNAP, p->removed[i]);

		if (path != NULL && gs_tp_delete(tp, path) >= 0)
			(*ret_n)++;
		else
			status = GS_EXIT_FAIL;
		free(path);
	}
	return status;
}

/* gone_locally(r, t, name): 1 when the local copy no longer holds
 * snapshot name (only then may a remote's be deleted). */
static int
gone_locally(const struct gs_repo *r, const struct gs_tenant_conf *t, const char *name)
{
	uint64_t size;

	return gs_repo_stat(r, t->name, GS_OBJ_SNAP, name, &size) == 1;
}

/*
 * expire_remote(o, r, t, rc, v, n, c): delete on remote rc the n pending
 * snapshots v (sorted) that the local copy no longer holds, through its
 * maintenance transport; v keeps, compacted, what is still pending, and
 * the pending file is rewritten.  Fills c (c->removed points into v's
 * tail).  Its status.
 */
static int
expire_remote(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
              const struct gs_remote_conf *rc, name_t *v, size_t n, struct copy_out *c)
{
	struct gs_transport *tp;
	size_t keep = 0, done = 0;
	int reached = 0;
	name_t *gone;

	c->status = GS_EXIT_OK;
	if (n == 0)
		return GS_EXIT_OK;
	if ((gone = calloc(n, sizeof(*gone))) == NULL) {
		gs_warn("tenant %s: out of memory", t->name);
		return c->status = GS_EXIT_FAIL;
	}
	if ((tp = gs_tp_open_maint(rc)) == NULL) {
		c->status =
		    gs_tp_last_errkind(NULL) == GS_TP_ERR_CONFIG ? GS_EXIT_USAGE : GS_EXIT_FAIL;
		keep = n;
	} else {
		reached = 1;
		for (size_t i = 0; i < n; i++) {
			char *path = NULL;
			int d = -1;

			if (gone_locally(r, t, v[i]) &&
			    (path = gs_layout_obj(t->name, GS_OBJ_SNAP, v[i])) != NULL)
				d = gs_tp_delete(tp, path);
			free(path);
			if (d >= 0)
				memcpy(gone[done++], v[i], GS_NAME_HEX);
			else
				memmove(v[keep++], v[i], GS_NAME_HEX);
		}
		gs_tp_close(tp);
		if (keep > 0)
			c->status = GS_EXIT_FAIL;
	}
	if (gs_state_expire_save(o->cfg->state_dir, t->name, rc->name, (const name_t *)v, keep))
		c->status = GS_EXIT_FAIL;
	if (keep > 0) {
		gs_warn("tenant %s: remote %s: %zu snapshot deletion%s pending (%s); the next "
		        "expire or run retries",
		        t->name, rc->name, keep, keep == 1 ? "" : "s",
		        reached ? "not all could be deleted" : "unreachable");
		c->message = reached ? "some deletions failed: pending"
		                     : "remote unreachable: deletions pending";
	}
	/* the record lists what went; its arrays are borrowed until then */
	memcpy(v + keep, gone, done * sizeof(*gone));
	free(gone);
	c->removed = (const name_t *)(v + keep);
	c->nremoved = done;
	c->pending = (const name_t *)v;
	c->npending = keep;
	return c->status;
}

/*
 * remote_pending(o, t, rc, p, ret, ret_n): what remote rc is to lose: its
 * pending-expire file's names that the local copy no longer holds (one it
 * still holds is decided anew), and every snapshot removed now; sorted,
 * malloc'd.  0 or -1 (warned).
 */
static int
remote_pending(const struct agent_opts *o, const struct gs_tenant_conf *t,
               const struct gs_remote_conf *rc, const struct plan *p, name_t **ret, size_t *ret_n)
{
	name_t *old, *v;
	size_t nold, n = 0;

	if (gs_state_expire_load(o->cfg->state_dir, t->name, rc->name, &old, &nold))
		return -1;
	if ((v = calloc(nold + p->nremoved + 1, sizeof(*v))) == NULL) {
		gs_warn("tenant %s: out of memory", t->name);
		free(old);
		return -1;
	}
	for (size_t i = 0; i < nold; i++)
		if (!local_has(p, old[i]) &&
		    !has_name((const name_t *)p->removed, p->nremoved, old[i]))
			memcpy(v[n++], old[i], GS_NAME_HEX);
	memcpy(v + n, p->removed, p->nremoved * sizeof(*v));
	n += p->nremoved;
	qsort(v, n, sizeof(*v), (int (*)(const void *, const void *))strcmp);
	free(old);
	*ret = v;
	*ret_n = n;
	return 0;
}

/*
 * agent_retain_tenant(o, r, t): apply the retention policy to a live
 * tenant: keep what the policy keeps, remove the rest from the local
 * repository, then from every remote (o->dry_run: only print); one
 * "expire" record per copy.  Its exit status.
 */
int
agent_retain_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t)
{
	struct plan p = {0};
	struct pending *pend = NULL;
	size_t nrem = o->cfg->nremotes;
	int64_t start = gs_now_ns(), t0 = gs_mono_ns();
	struct gs_wkey *k;
	int lock = -1, status, s;

	if ((k = gs_wkey_load(t->write_key, t->name)) == NULL)
		return GS_EXIT_USAGE;
	if (!o->dry_run &&
	    (gs_repo_tenant_init(r, t->name) || (lock = gs_repo_lock(r, t->name)) < 0)) {
		gs_wkey_free(k);
		gs_warn("tenant %s: expire not done", t->name);
		return GS_EXIT_FAIL;
	}
	status = decide(o, r, t, k, &p);
	gs_wkey_free(k);
	if (status == GS_EXIT_FAIL)
		goto out;
	/* run is quiet on success: its decisions are in the records */
	if (!o->in_run || o->verbose)
		print_plan(o, t, &p);
	if ((pend = calloc(nrem + 1, sizeof(*pend))) == NULL) {
		status = GS_EXIT_FAIL;
		goto out;
	}
	/* 1. every remote's deletions are on disk before any is done */
	for (size_t j = 0; j < nrem; j++) {
		const struct gs_remote_conf *rc = &o->cfg->remotes[j];

		if (remote_pending(o, t, rc, &p, &pend[j].v, &pend[j].n) ||
		    (!o->dry_run && gs_state_expire_save(o->cfg->state_dir, t->name, rc->name,
		                                         (const name_t *)pend[j].v, pend[j].n))) {
			gs_warn("tenant %s: nothing removed: the pending deletions of remote %s "
			        "could not be saved",
			        t->name, rc->name);
			status = GS_EXIT_FAIL;
			goto out;
		}
	}
	if (o->dry_run) {
		for (size_t j = 0; j < nrem; j++)
			fprintf(stderr, "tenant %s: remote %s: would delete %zu snapshot%s\n",
			        t->name, o->cfg->remotes[j].name, pend[j].n,
			        pend[j].n == 1 ? "" : "s");
		fprintf(stderr,
		        "tenant %s: dry run: %zu kept, %zu would be removed; nothing changed\n",
		        t->name, p.nkept, p.nremoved);
		status = agent_worst(
		    status, agent_gc_tenant(o, r, t, (const name_t *)p.removed, p.nremoved));
		goto out;
	}
	/* 2. the local copy */
	{
		struct copy_out c = {.removed = (const name_t *)p.removed};

		c.status = delete_local(r, t, &p, &c.nremoved);
		if (c.status != GS_EXIT_OK)
			c.message = "some local deletions failed (see stderr)";
		status = agent_worst(status, record(o, t, &p, &c, start, t0));
	}
	/* 3. each remote */
	for (size_t j = 0; j < nrem; j++) {
		struct copy_out c = {.remote = o->cfg->remotes[j].name};

		s = expire_remote(o, r, t, &o->cfg->remotes[j], pend[j].v, pend[j].n, &c);
		status = agent_worst(status, s);
		status = agent_worst(status, record(o, t, &p, &c, start, t0));
	}
	if (o->verbose)
		fprintf(stderr, "tenant %s: %zu snapshot%s kept, %zu removed\n", t->name, p.nkept,
		        p.nkept == 1 ? "" : "s", p.nremoved);
	/* 4. garbage collection: what only the removed snapshots used leaves
	 * every copy (gc.c) */
	status = agent_worst(status, agent_gc_tenant(o, r, t, NULL, 0));
out:
	for (size_t j = 0; pend != NULL && j < nrem; j++)
		free(pend[j].v);
	free(pend);
	plan_free(&p);
	gs_repo_unlock(lock);
	return status;
}
