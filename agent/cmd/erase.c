/*
 * erase.c -- the erasure of an offboarded tenant (expire and run), and the
 * orphaned-tenant report.
 *
 * An offboarded tenant is erased once its grace period (offboard_grace
 * after the offboarded date) and its legal hold, if any, are over: its
 * namespace tenants/<T>/ on the local repository (under the tenant's
 * lock) and on every remote (through the maintenance credentials,
 * gs_tp_open_maint), each object recorded (name and size) as it is
 * deleted, then listed again to verify that nothing remains; its state_dir
 * files and status lines; its write key (fingerprint first, then
 * overwritten and unlinked).  The progress is kept in state_dir/erasure/
 * <T> (state.h), so a copy that is unreachable stays pending and is
 * retried by the next run; once every copy is done the deletion
 * certificate is recorded (certificate.c).  Each night it writes one
 * "erase" record per copy it touched and one for the tenant, with the
 * dates (docs/AUDIT.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/state.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

#define KEY_FILE_MAX (64u * 1024)
#define DEPTH_MAX 8 /* tenants/T/packs/ab/... is 2 deep; quarantine 1 */

/* ---- records ------------------------------------------------------------ */

/* The states an "erase" record names. */
static const char *const state_words[] = {"scheduled", "grace", "hold", "pending", "erased"};
enum { ST_SCHEDULED, ST_GRACE, ST_HOLD, ST_PENDING, ST_ERASED };

/* record(o, t, remote, status, state, d, objects, bytes, msg): one "erase"
 * record (status table and audit log): the step's fields plus the state
 * and the dates.  The exit status it adds. */
static int
record(struct agent_opts *o, const struct gs_tenant_conf *t, const char *remote, int status,
       int state, const struct gs_erase_dates *d, uint64_t objects, uint64_t bytes, const char *msg)
{
	struct gs_step s = {.step = "erase",
	                    .tenant = t->name,
	                    .remote = remote,
	                    .status = status,
	                    .start_ns = gs_now_ns(),
	                    .files = objects,
	                    .bytes = bytes,
	                    .message = msg};
	struct gs_audit_conf ac;
	struct gs_audit_rec r;
	char a[GS_ISO_TIME_MAX];
	int rc = GS_EXIT_OK;

	if (o->dry_run)
		return GS_EXIT_OK;
	gs_audit_conf_of(o->cfg, &ac);
	if (ac.log != NULL) {
		if (gs_audit_rec_init(&r, "erase"))
			return GS_EXIT_PROBLEM;
		gs_audit_rec_str(&r, "tenant", t->name);
		gs_audit_rec_str(&r, "remote", remote);
		gs_audit_rec_int(&r, "status", status);
		gs_audit_rec_str(&r, "result", gs_step_result(status));
		gs_audit_rec_str(&r, "state", state_words[state]);
		gs_audit_rec_u64(&r, "files", objects);
		gs_audit_rec_u64(&r, "bytes", bytes);
		gs_iso_time(a, sizeof(a), d->offboarded);
		a[10] = '\0';
		gs_audit_rec_str(&r, "offboarded", a);
		gs_iso_time(a, sizeof(a), d->due);
		a[10] = '\0';
		gs_audit_rec_str(&r, "erasure_due", a);
		gs_iso_time(a, sizeof(a), d->deadline);
		a[10] = '\0';
		gs_audit_rec_str(&r, "deadline", a);
		gs_audit_rec_str(&r, "message", msg);
		if (gs_audit_write(&ac, &r) != 0)
			rc = GS_EXIT_PROBLEM;
	}
	if (gs_status_record(o->cfg->state_dir, &s))
		rc = GS_EXIT_FAIL;
	return rc;
}

/* hold_record(o, t, d): the signed "legal-hold" record.  0 or -1. */
static int
hold_record(struct agent_opts *o, const struct gs_tenant_conf *t, const struct gs_erase_dates *d)
{
	struct gs_audit_conf ac;
	struct gs_audit_rec r;
	char a[GS_ISO_TIME_MAX];

	gs_audit_conf_of(o->cfg, &ac);
	if (gs_audit_rec_init(&r, "legal-hold"))
		return -1;
	gs_audit_rec_str(&r, "tenant", t->name);
	gs_iso_time(a, sizeof(a), t->legal_hold);
	a[10] = '\0';
	gs_audit_rec_str(&r, "until", a);
	gs_audit_rec_str(&r, "reason", t->legal_hold_reason);
	gs_iso_time(a, sizeof(a), d->offboarded);
	a[10] = '\0';
	gs_audit_rec_str(&r, "offboarded", a);
	gs_iso_time(a, sizeof(a), d->deadline);
	a[10] = '\0';
	gs_audit_rec_str(&r, "deadline", a);
	return gs_audit_write(&ac, &r) < 0 ? -1 : 0;
}

/* dates(o, t, ret): the tenant's erasure timeline. */
static void
dates(const struct agent_opts *o, const struct gs_tenant_conf *t, struct gs_erase_dates *ret)
{
	ret->offboarded = t->offboarded;
	ret->grace_end = t->offboarded + (int64_t)o->cfg->policy.offboard_grace_s;
	ret->hold = t->legal_hold;
	ret->hold_reason = t->legal_hold_reason;
	ret->due = ret->hold > ret->grace_end ? ret->hold : ret->grace_end;
	ret->deadline = ret->due + (int64_t)o->cfg->policy.erasure_deadline_s;
}

/* ---- one copy ----------------------------------------------------------- */

/* walk(tp, dir, rel, f, depth): delete every file under dir (a path on tp)
 * depth first, each as "SIZE REL/NAME" into f, and remove the directories
 * below dir.  0 or -1 (warned by the transport). */
static int
walk(struct gs_transport *tp, const char *dir, const char *rel, FILE *f, int depth)
{
	struct gs_tp_entry *v = NULL;
	size_t n = 0;
	int rc = 0;

	if (depth > DEPTH_MAX) {
		gs_warn("%s: %s: too deep", gs_tp_name(tp), dir);
		return -1;
	}
	if (gs_tp_list(tp, dir, &v, &n) < 0)
		return -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *p = gs_asprintf("%s/%s", dir, v[i].name);
		char *q = gs_asprintf("%s%s%s", rel, rel[0] ? "/" : "", v[i].name);
		int d;

		if (p == NULL || q == NULL) {
			rc = -1;
		} else if (v[i].is_dir) {
			rc = walk(tp, p, q, f, depth + 1);
			if (rc == 0 && gs_tp_rmdir(tp, p) < 0)
				rc = -1;
		} else if ((d = gs_tp_delete(tp, p)) < 0) {
			rc = -1;
		} else if (d == 0) {
			fprintf(f, "%llu %s\n", (unsigned long long)v[i].size, q);
			if (fflush(f) != 0)
				rc = -1;
		}
		free(p);
		free(q);
	}
	gs_tp_list_free(v, n);
	return rc;
}

/* count_list(path, c): objects, bytes and SHA-256 of a copy's list.  0 or
 * -1 (warned). */
static int
count_list(const char *path, struct gs_erase_copy *c)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	uint8_t *buf = NULL;
	size_t len = 0;

	if (gs_read_file(path, (size_t)256 << 20, &buf, &len) < 0)
		return -1;
	c->objects = c->bytes = 0;
	for (size_t i = 0; i < len;) {
		char *nl = memchr(buf + i, '\n', len - i);

		if (nl == NULL)
			break;
		c->objects++;
		c->bytes += strtoull((const char *)buf + i, NULL, 10);
		i = (size_t)(nl - (char *)buf) + 1;
	}
	crypto_hash_sha256(h, buf != NULL ? buf : (const uint8_t *)"", len);
	sodium_bin2hex(c->list_sha256, sizeof(c->list_sha256), h, sizeof(h));
	free(buf);
	return 0;
}

/*
 * erase_copy(o, tp, tenant, c, why, whylen): erase tenants/<tenant>/ on tp
 * (appending each object removed to the copy's list), then list to verify
 * that nothing is left.  0 done (c filled); -1 not done (why says why).
 */
static int
erase_copy(struct agent_opts *o, struct gs_transport *tp, const char *tenant,
           struct gs_erase_copy *c, char *why, size_t whylen)
{
	char *ns = gs_asprintf("tenants/%s", tenant);
	char *lp = gs_erasure_list_path(o->cfg->state_dir, tenant, c->name), *dir = NULL;
	struct gs_tp_entry *v = NULL;
	size_t n = 0;
	FILE *f = NULL;
	int rc = -1, l, fd;

	snprintf(why, whylen, "cannot erase tenants/%s/ on %s (see above)", tenant, c->name);
	if (ns == NULL || lp == NULL || (dir = gs_erasure_dir(o->cfg->state_dir)) == NULL ||
	    gs_mkdir_p(dir, 0700))
		goto out;
	/* append: what an interrupted attempt removed stays listed */
	if ((fd = gs_open_private(lp, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
		goto out;
	if ((f = fdopen(fd, "a")) == NULL) {
		gs_warnp("%s", lp);
		close(fd);
		goto out;
	}
	if (walk(tp, ns, "", f, 0) || (gs_tp_rmdir(tp, ns) < 0))
		goto out;
	if (fsync(fileno(f)) != 0 || fclose(f) != 0) {
		f = NULL;
		gs_warnp("%s", lp);
		goto out;
	}
	f = NULL;
	/* the verification listing: the namespace is gone, and tenants/ does
	 * not name it */
	if ((l = gs_tp_list(tp, ns, &v, &n)) < 0)
		goto out;
	if (l != 1 || n != 0) {
		snprintf(why, whylen, "tenants/%s/ on %s still lists %zu entries after erasure",
		         tenant, c->name, n);
		gs_tp_list_free(v, n);
		goto out;
	}
	if (gs_tp_list(tp, "tenants", &v, &n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, tenant) == 0) {
			snprintf(why, whylen, "tenants/ on %s still names %s after erasure",
			         c->name, tenant);
			gs_tp_list_free(v, n);
			goto out;
		}
	gs_tp_list_free(v, n);
	if (count_list(lp, c))
		goto out;
	c->time_ns = gs_now_ns();
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(dir);
	free(lp);
	free(ns);
	return rc;
}

/* ---- state_dir and the key ----------------------------------------------- */

/* erase_local_state(o, t): the tenant's state_dir files and status lines
 * (all but its "erase" lines).  0 or -1 (warned). */
static int
erase_local_state(struct agent_opts *o, const struct gs_tenant_conf *t)
{
	char **v = NULL;
	size_t n = 0;
	int rc = 0;

	if (gs_state_tenant_paths(o->cfg->state_dir, t->name, &v, &n))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (unlink(v[i]) != 0 && errno != ENOENT) {
			gs_warnp("%s", v[i]);
			rc = -1;
		}
	gs_state_paths_free(v, n);
	v = NULL;
	n = 0;
	if (gs_status_forget(o->cfg->state_dir, t->name, "erase"))
		rc = -1;
	/* and check: nothing of the tenant is left */
	if (rc == 0 && (gs_state_tenant_paths(o->cfg->state_dir, t->name, &v, &n) || n != 0)) {
		gs_warn("tenant %s: state_dir still holds %zu of its files", t->name, n);
		rc = -1;
	}
	gs_state_paths_free(v, n);
	return rc;
}

/* destroy_key(o, e, path): fingerprint (BLAKE2b-256 of the file, saved in
 * the erasure state first), then overwrite with zeros, fsync, unlink.  A
 * missing file is recorded as absent.  0 or -1 (warned). */
static int
destroy_key(struct agent_opts *o, struct gs_erasure *e, const char *path)
{
	unsigned char h[32];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r, fd, rc = -1;

	if (e->key_path == NULL && (e->key_path = gs_strdup(path)) == NULL)
		return -1;
	if ((r = gs_read_file(path, KEY_FILE_MAX, &buf, &len)) < 0)
		return -1;
	if (r == 1) {
		if (e->key_fp[0] == '\0')
			snprintf(e->key_fp, sizeof(e->key_fp), "absent");
		e->key_done = 1;
		return gs_erasure_save(o->cfg->state_dir, e);
	}
	if (e->key_fp[0] == '\0' || strcmp(e->key_fp, "absent") == 0) {
		crypto_generichash(h, sizeof(h), buf, len, NULL, 0);
		sodium_bin2hex(e->key_fp, sizeof(e->key_fp), h, sizeof(h));
		if (gs_erasure_save(o->cfg->state_dir, e))
			goto out;
	}
	sodium_memzero(buf, len);
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (len > 0 && write(fd, buf, len) != (ssize_t)len) || fsync(fd) != 0) {
		gs_warnp("%s: cannot overwrite the key file", path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (unlink(path) != 0) {
		gs_warnp("%s", path);
		goto out;
	}
	e->key_done = 1;
	rc = gs_erasure_save(o->cfg->state_dir, e);
out:
	free(buf);
	return rc;
}

/* ---- the tenant ----------------------------------------------------------- */

/* not_yet(o, t, d, now): before the erasure is due: say when.  Its exit
 * status. */
static int
not_yet(struct agent_opts *o, const struct gs_tenant_conf *t, const struct gs_erase_dates *d,
        int64_t now)
{
	char a[GS_ISO_TIME_MAX], g[GS_ISO_TIME_MAX], h[GS_ISO_TIME_MAX], u[GS_ISO_TIME_MAX],
	    dl[GS_ISO_TIME_MAX], msg[1024];
	int state;

	gs_iso_time(a, sizeof(a), d->offboarded);
	gs_iso_time(g, sizeof(g), d->grace_end);
	gs_iso_time(h, sizeof(h), d->hold);
	gs_iso_time(u, sizeof(u), d->due);
	gs_iso_time(dl, sizeof(dl), d->deadline);
	a[10] = g[10] = h[10] = u[10] = dl[10] = '\0';
	if (now < d->offboarded) {
		state = ST_SCHEDULED;
		snprintf(msg, sizeof(msg),
		         "offboarded from %s (in the future): nothing erased; erasure due %s, "
		         "deadline %s",
		         a, u, dl);
	} else if (now < d->grace_end) {
		state = ST_GRACE;
		snprintf(msg, sizeof(msg),
		         "offboarded %s: in grace until %s%s%s; erasure due %s, deadline %s", a, g,
		         d->hold > d->grace_end ? ", then legal hold until " : "",
		         d->hold > d->grace_end ? h : "", u, dl);
	} else {
		state = ST_HOLD;
		snprintf(msg, sizeof(msg),
		         "offboarded %s: legal hold until %s (%s); erasure due %s, deadline %s", a,
		         h, d->hold_reason != NULL ? d->hold_reason : "", u, dl);
	}
	/* run is quiet on success: there the status table says it */
	if (!o->quiet && (!o->in_run || o->verbose))
		printf("tenant %s: %s\n", t->name, msg);
	return record(o, t, NULL, GS_EXIT_OK, state, d, 0, 0, msg);
}

/* erase_remote(o, t, e, rc, d, now, ret_pending): one remote's copy. */
static int
erase_remote(struct agent_opts *o, const struct gs_tenant_conf *t, struct gs_erasure *e,
             const struct gs_remote_conf *rc, const struct gs_erase_dates *d, int64_t now,
             int *ret_pending)
{
	struct gs_erase_copy *c = gs_erasure_copy(e, rc->name);
	struct gs_transport *tp;
	char why[512], msg[768], dl[GS_ISO_TIME_MAX];
	int st;

	if (c == NULL)
		return GS_EXIT_FAIL;
	if (c->time_ns != 0)
		return GS_EXIT_OK;
	if ((tp = gs_tp_open_maint(rc)) == NULL) {
		snprintf(why, sizeof(why), "cannot connect to %s", rc->name);
	} else if (erase_copy(o, tp, t->name, c, why, sizeof(why)) == 0) {
		gs_tp_close(tp);
		if (gs_erasure_save(o->cfg->state_dir, e))
			return GS_EXIT_FAIL;
		snprintf(msg, sizeof(msg), "erased tenants/%s/ on %s: %llu objects, %llu bytes",
		         t->name, rc->name, (unsigned long long)c->objects,
		         (unsigned long long)c->bytes);
		return record(o, t, rc->name, GS_EXIT_OK, ST_ERASED, d, c->objects, c->bytes, msg);
	}
	gs_tp_close(tp);
	*ret_pending = 1;
	gs_iso_time(dl, sizeof(dl), d->deadline);
	dl[10] = '\0';
	st = now > d->deadline ? GS_EXIT_PROBLEM : GS_EXIT_WARN;
	snprintf(msg, sizeof(msg), "erasure pending on %s: %s; retried by the next run; %s %s",
	         rc->name, why, st == GS_EXIT_PROBLEM ? "deadline passed on" : "deadline", dl);
	gs_warn("tenant %s: %s", t->name, msg);
	return agent_worst(st, record(o, t, rc->name, st, ST_PENDING, d, 0, 0, msg));
}

/* erase_here(o, r, t, e, why, whylen): the local repository's copy, the
 * state_dir files and the write key.  Its exit status (why, whylen bytes,
 * says what is not done). */
static int
erase_here(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
           struct gs_erasure *e, char *why, size_t whylen)
{
	struct gs_erase_copy *c = gs_erasure_copy(e, "local");
	struct gs_tp_entry *v = NULL;
	size_t n = 0;
	int lock = -1, l;

	if (c == NULL)
		return GS_EXIT_FAIL;
	if (c->time_ns == 0) {
		/* the tenant's lock lives in its namespace: held while it goes */
		l = gs_tp_list(gs_repo_transport(r), "tenants", &v, &n);
		for (size_t i = 0; l == 0 && i < n; i++)
			if (strcmp(v[i].name, t->name) == 0 &&
			    (lock = gs_repo_lock(r, t->name)) < 0) {
				gs_tp_list_free(v, n);
				snprintf(why, whylen, "cannot take the tenant's lock");
				return GS_EXIT_FAIL;
			}
		gs_tp_list_free(v, n);
		l = erase_copy(o, gs_repo_transport(r), t->name, c, why, whylen);
		gs_repo_unlock(lock);
		if (l || gs_erasure_save(o->cfg->state_dir, e))
			return GS_EXIT_FAIL;
	}
	if (!e->local_done) {
		if (erase_local_state(o, t)) {
			snprintf(why, whylen, "cannot erase its files in state_dir");
			return GS_EXIT_FAIL;
		}
		e->local_done = 1;
		if (gs_erasure_save(o->cfg->state_dir, e))
			return GS_EXIT_FAIL;
	}
	if (!e->key_done && destroy_key(o, e, t->write_key)) {
		snprintf(why, whylen, "cannot destroy its write key %s", t->write_key);
		return GS_EXIT_FAIL;
	}
	return GS_EXIT_OK;
}

/*
 * agent_departed(t): 1 when tenant t has left: its offboarded date is set
 * and has come (UTC); then it is no longer backed up, only erased.  A date
 * in the future: 0 (backed up as before until then).
 */
int
agent_departed(const struct gs_tenant_conf *t)
{
	return t->offboarded >= 0 && t->offboarded <= gs_now_ns() / 1000000000;
}

/*
 * agent_erase_tenant(o, r, t): an offboarded tenant: nothing during its
 * grace period or a legal hold (status says until when); after it, erase
 * its namespace on the local repository and every remote, its state_dir
 * files and its write key, verify by listing, and record the deletion
 * certificate.  o->dry_run: only print.  Its exit status.
 */
int
agent_erase_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t)
{
	struct gs_erase_dates d;
	struct gs_erasure e;
	struct gs_audit_conf ac;
	int64_t now = gs_now_ns() / GS_NS_PER_S;
	char why[512] = "", msg[768], dl[GS_ISO_TIME_MAX], *stem = NULL;
	int rc = GS_EXIT_OK, pending = 0, late, c;

	dates(o, t, &d);
	if (gs_erasure_load(o->cfg->state_dir, t->name, &e))
		return record(o, t, NULL, GS_EXIT_FAIL, ST_PENDING, &d, 0, 0,
		              "cannot read its erasure state");
	if (e.certified_ns != 0 && e.offboarded != t->offboarded) {
		/* certified for an earlier offboarding; the tenant came back and
		 * left again: a new erasure */
		char *name = e.tenant;

		e.tenant = NULL;
		gs_erasure_clear(&e);
		e.tenant = name;
	}
	e.offboarded = t->offboarded;
	if (e.certified_ns != 0) {
		snprintf(msg, sizeof(msg), "erased; deletion certificate recorded");
		rc =
		    o->dry_run ? GS_EXIT_OK
		    : gs_status_record(o->cfg->state_dir, &(struct gs_step){.step = "erase",
		                                                            .tenant = t->name,
		                                                            .start_ns = gs_now_ns(),
		                                                            .message = msg})
		        ? GS_EXIT_FAIL
		        : GS_EXIT_OK;
		goto out;
	}
	if (t->legal_hold >= 0 && e.hold_recorded != t->legal_hold && !o->dry_run) {
		if (hold_record(o, t, &d))
			rc = GS_EXIT_PROBLEM;
		e.hold_recorded = t->legal_hold;
		if (gs_erasure_save(o->cfg->state_dir, &e))
			rc = GS_EXIT_FAIL;
	}
	if (now < d.due) {
		rc = agent_worst(rc, not_yet(o, t, &d, now));
		goto out;
	}
	if (o->dry_run) {
		printf("tenant %s: would erase tenants/%s/ on the local repository and %zu "
		       "remote%s, its state_dir files and its write key %s\n",
		       t->name, t->name, o->cfg->nremotes, o->cfg->nremotes == 1 ? "" : "s",
		       t->write_key);
		goto out;
	}
	if ((c = erase_here(o, r, t, &e, why, sizeof(why))) != GS_EXIT_OK) {
		gs_warn("tenant %s: erasure on the local host not finished: %s; retried by the "
		        "next run",
		        t->name, why);
		rc = agent_worst(rc,
		                 agent_worst(c, record(o, t, NULL, c, ST_PENDING, &d, 0, 0, why)));
		goto out;
	}
	for (size_t i = 0; i < o->cfg->nremotes; i++)
		rc =
		    agent_worst(rc, erase_remote(o, t, &e, &o->cfg->remotes[i], &d, now, &pending));
	gs_iso_time(dl, sizeof(dl), d.deadline);
	dl[10] = '\0';
	if (pending) {
		snprintf(msg, sizeof(msg), "erasure pending on some remote; deadline %s", dl);
		c = now > d.deadline ? GS_EXIT_PROBLEM : GS_EXIT_WARN;
		rc = agent_worst(rc,
		                 agent_worst(c, record(o, t, NULL, c, ST_PENDING, &d, 0, 0, msg)));
		goto out;
	}
	gs_audit_conf_of(o->cfg, &ac);
	if ((c = gs_erasure_certify(o->cfg->state_dir, &ac, &e, &d)) < 0) {
		rc = agent_worst(rc, record(o, t, NULL, GS_EXIT_FAIL, ST_PENDING, &d, 0, 0,
		                            "erased, but the certificate could not be recorded"));
		goto out;
	}
	e.certified_ns = gs_now_ns();
	if (gs_erasure_save(o->cfg->state_dir, &e))
		rc = GS_EXIT_FAIL;
	/* beside the shipped log, for a restore host without this state_dir;
	 * a failure is warned, and each later ship of the log retries it
	 * (gs_cert_ship_all) */
	stem = gs_cert_doc_stem(t->name, t->offboarded);
	for (size_t i = 0; stem != NULL && i < o->cfg->nremotes; i++) {
		struct gs_transport *tp = gs_tp_open(&o->cfg->remotes[i]);

		if (tp == NULL || gs_erasure_ship_docs(o->cfg->state_dir, o->cfg->host, stem, tp)) {
			gs_warn(
			    "tenant %s: the certificate documents are not on %s yet (they are in "
			    "state_dir/certificates; the next ship or run publishes them)",
			    t->name, o->cfg->remotes[i].name);
			rc = agent_worst(rc, GS_EXIT_WARN);
		}
		gs_tp_close(tp);
	}
	late = now > d.deadline;
	snprintf(msg, sizeof(msg), "erased from %zu copies; deletion certificate recorded%s%s%s",
	         e.ncopies, c == 1 ? " (not signed: no audit_key)" : "",
	         late ? "; deadline missed: " : "", late ? dl : "");
	/* run is quiet on success: the certificate is in the audit log */
	if (!o->quiet && (!o->in_run || o->verbose))
		printf("tenant %s: %s\n", t->name, msg);
	if (late)
		gs_warn("tenant %s: erased after its deadline %s", t->name, dl);
	c = c == 1 || late ? GS_EXIT_PROBLEM : GS_EXIT_OK;
	rc = agent_worst(rc, agent_worst(c, record(o, t, NULL, c, ST_ERASED, &d, 0, 0, msg)));
out:
	free(stem);
	gs_erasure_clear(&e);
	return rc;
}

/* ---- orphans ---------------------------------------------------------------- */

struct names {
	char **v;
	size_t n;
};

/* add(ns, name, len): name (len bytes) once, when it is a tenant name that
 * the configuration lacks. */
static void
add(const struct agent_opts *o, struct names *ns, const char *name, size_t len)
{
	char buf[80], **nv;

	if (len == 0 || len >= sizeof(buf))
		return;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (!gs_valid_name(buf) || gs_config_tenant(o->cfg, buf) != NULL)
		return;
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], buf) == 0)
			return;
	if ((nv = realloc(ns->v, (ns->n + 1) * sizeof(*nv))) == NULL)
		return;
	ns->v = nv;
	if ((ns->v[ns->n] = strdup(buf)) != NULL)
		ns->n++;
}

/* scan_dir(o, ns, dir, sep): the tenant part of each entry of dir: before
 * sep ('@'), or before ".files" / ".scan" when sep is 0. */
static void
scan_dir(const struct agent_opts *o, struct names *ns, const char *dir, int sep)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *p = de->d_name;
		size_t l = strlen(p);

		if (sep != 0) {
			const char *at = strchr(p, sep);

			if (at != NULL)
				add(o, ns, p, (size_t)(at - p));
		} else if (l > 6 && strcmp(p + l - 6, ".files") == 0) {
			add(o, ns, p, l - 6);
		} else if (l > 5 && strcmp(p + l - 5, ".scan") == 0) {
			add(o, ns, p, l - 5);
		}
	}
	closedir(d);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* stale_lines(o, ns): drop the "orphan" status lines of tenants that are
 * orphans no more (their section is back, or their data gone).  0 or -1. */
static int
stale_lines(const struct agent_opts *o, const struct names *ns)
{
	struct gs_status_line *v;
	size_t n;
	int rc = 0;

	if (gs_status_load(o->cfg->state_dir, &v, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (strcmp(v[i].step, "orphan") != 0 || v[i].tenant == NULL)
			continue;
		for (k = 0; k < ns->n && strcmp(ns->v[k], v[i].tenant) != 0; k++)
			;
		if (k == ns->n && gs_status_drop(o->cfg->state_dir, "orphan", v[i].tenant))
			rc = -1;
	}
	gs_status_free(v, n);
	return rc;
}

/*
 * agent_orphans(o, r): tenants with data in the local repository's
 * tenants/ or in state_dir but no [tenant] section: each reported (stderr,
 * an "orphan" status line and record), never erased.  GS_EXIT_WARN when
 * there is one, else 0.
 */
int
agent_orphans(struct agent_opts *o, const struct gs_repo *r)
{
	struct names ns = {0};
	struct gs_tp_entry *v = NULL;
	size_t n = 0;
	char *d;
	int rc = GS_EXIT_OK;

	if (gs_tp_list(gs_repo_transport(r), "tenants", &v, &n) >= 0)
		for (size_t i = 0; i < n; i++)
			if (v[i].is_dir)
				add(o, &ns, v[i].name, strlen(v[i].name));
	gs_tp_list_free(v, n);
	scan_dir(o, &ns, o->cfg->state_dir, 0);
	for (int k = GS_STATE_PENDING_VERIFY; k <= GS_STATE_VERIFY_NEXT; k++)
		if ((d = gs_state_dir(o->cfg->state_dir, (enum gs_state_file)k)) != NULL) {
			scan_dir(o, &ns, d, '@');
			free(d);
		}
	if (ns.n > 0)
		qsort(ns.v, ns.n, sizeof(*ns.v), cmp_str);
	if (!o->dry_run && stale_lines(o, &ns))
		rc = GS_EXIT_FAIL;
	for (size_t i = 0; i < ns.n; i++) {
		struct gs_step s = {.step = "orphan",
		                    .tenant = ns.v[i],
		                    .status = GS_EXIT_WARN,
		                    .start_ns = gs_now_ns(),
		                    .message =
		                        "orphaned: data in the local repository or state_dir "
		                        "but no [tenant] section; never erased"};

		gs_warn("tenant %s: orphaned: its data is in the local repository or state_dir but "
		        "the configuration has no [tenant \"%s\"] section; nothing is erased (add "
		        "the section back, with offboarded = DATE to erase it)",
		        ns.v[i], ns.v[i]);
		rc = GS_EXIT_WARN;
		if (!o->dry_run)
			rc = agent_worst(rc, agent_record_step(o, &s));
		free(ns.v[i]);
	}
	free(ns.v);
	return rc;
}
