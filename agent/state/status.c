/*
 * status.c -- the status table: the last result of each step in
 * state_dir/status.tsv (metrics.c turns it into Prometheus metrics).
 *
 * status.tsv: one line per (step, tenant, remote), tab-separated:
 *   step tenant remote status start_ns duration_ns last_ok_ns files bytes
 *   new_bytes snapshot message ack_ns ack_by
 * with "-" for an empty field; tabs and newlines in messages become spaces.
 * ack_ns and ack_by (geosnap-agent ack) are 0 and "-" until the result is
 * acknowledged; a line without them (written before they existed) loads
 * as not acknowledged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/state.h"
#include "geosnap/util.h"

#define NFIELDS 14
#define NFIELDS_OLD 12 /* without ack_ns and ack_by */
#define STATUS_MAX (16u << 20)

static char *
field_or_null(const char *s)
{
	return (s == NULL || strcmp(s, "-") == 0) ? NULL : strdup(s);
}

static int
same_key(const struct gs_status_line *l, const char *step, const char *tenant, const char *remote)
{
	return strcmp(l->step, step) == 0 &&
	       strcmp(l->tenant ? l->tenant : "", tenant ? tenant : "") == 0 &&
	       strcmp(l->remote ? l->remote : "", remote ? remote : "") == 0;
}

/* gs_status_free(v, n): free n loaded status lines and the array; v may be NULL. */
void
gs_status_free(struct gs_status_line *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].step);
		free(v[i].tenant);
		free(v[i].remote);
		free(v[i].message);
		free(v[i].snapshot);
		free(v[i].ack_by);
	}
	free(v);
}

/* gs_status_load(state_dir, ret, ret_n): 0 (no file = 0 lines) or -1. */
int
gs_status_load(const char *state_dir, struct gs_status_line **ret, size_t *ret_n)
{
	struct gs_status_line *v = NULL;
	size_t n = 0, len;
	char *path, *sp = NULL, *line;
	uint8_t *buf;
	int rc;

	*ret = NULL;
	*ret_n = 0;
	if ((path = gs_state_status_path(state_dir)) == NULL)
		return -1;
	rc = gs_read_file(path, STATUS_MAX, &buf, &len);
	if (rc) {
		free(path);
		return rc == 1 ? 0 : -1;
	}
	buf[len] = 0;
	for (line = strtok_r((char *)buf, "\n", &sp); line; line = strtok_r(NULL, "\n", &sp)) {
		char *f[NFIELDS], *fs = NULL, *t;
		int nf = 0;
		void *nv;

		for (t = strtok_r(line, "\t", &fs); t && nf < NFIELDS;
		     t = strtok_r(NULL, "\t", &fs))
			f[nf++] = t;
		if (nf != NFIELDS && nf != NFIELDS_OLD) {
			gs_warn("%s: malformed line ignored", path);
			continue;
		}
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			gs_status_free(v, n);
			free(buf);
			free(path);
			return -1;
		}
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].step = strdup(f[0]);
		v[n].tenant = field_or_null(f[1]);
		v[n].remote = field_or_null(f[2]);
		v[n].status = atoi(f[3]);
		v[n].start_ns = strtoll(f[4], NULL, 10);
		v[n].duration_ns = strtoll(f[5], NULL, 10);
		v[n].last_ok_ns = strtoll(f[6], NULL, 10);
		v[n].files = strtoull(f[7], NULL, 10);
		v[n].bytes = strtoull(f[8], NULL, 10);
		v[n].new_bytes = strtoull(f[9], NULL, 10);
		v[n].snapshot = field_or_null(f[10]);
		v[n].message = field_or_null(f[11]);
		if (nf == NFIELDS) {
			v[n].ack_ns = strtoll(f[12], NULL, 10);
			v[n].ack_by = field_or_null(f[13]);
		}
		n++;
	}
	free(buf);
	free(path);
	*ret = v;
	*ret_n = n;
	return 0;
}

static void
put_field(FILE *f, const char *s, int last)
{
	if (s == NULL || *s == 0) {
		fputc('-', f);
	} else {
		for (; *s; s++)
			fputc((*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s, f);
	}
	fputc(last ? '\n' : '\t', f);
}

static void
put_line(FILE *f, const struct gs_status_line *l)
{
	put_field(f, l->step, 0);
	put_field(f, l->tenant, 0);
	put_field(f, l->remote, 0);
	fprintf(f, "%d\t%lld\t%lld\t%lld\t%llu\t%llu\t%llu\t", l->status, (long long)l->start_ns,
	        (long long)l->duration_ns, (long long)l->last_ok_ns, (unsigned long long)l->files,
	        (unsigned long long)l->bytes, (unsigned long long)l->new_bytes);
	put_field(f, l->snapshot, 0);
	put_field(f, l->message, 0);
	fprintf(f, "%lld\t", (long long)l->ack_ns);
	put_field(f, l->ack_by, 1);
}

/* Write lines v[0..n), except skip (may be NULL), then add (may be NULL),
 * to state_dir/status.tsv, atomically.  0 or -1. */
static int
save(const char *state_dir, const struct gs_status_line *v, size_t n,
     const struct gs_status_line *skip, const struct gs_status_line *add)
{
	char *path, *out = NULL;
	size_t len = 0;
	FILE *m;
	int rc = -1;

	if ((path = gs_state_status_path(state_dir)) == NULL)
		return -1;
	if ((m = open_memstream(&out, &len)) == NULL) {
		gs_warnp("open_memstream");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (&v[i] != skip)
			put_line(m, &v[i]);
	if (add != NULL)
		put_line(m, add);
	if (fclose(m) == 0)
		rc = gs_write_file_replace(path, out, len, 0600, 1);
done:
	free(out);
	free(path);
	return rc;
}

/*
 * gs_status_record(state_dir, s): replace the status line of (step, tenant,
 * remote) in state_dir/status.tsv with s (atomically; the line moves to the
 * end, and an acknowledgement of the result it replaces goes with it).
 * 0 or -1 (warned).
 */
int
gs_status_record(const char *state_dir, const struct gs_step *s)
{
	struct gs_status_line *v, *old = NULL;
	struct gs_status_line l = {
	    .step = (char *)s->step,
	    .tenant = (char *)s->tenant,
	    .remote = (char *)s->remote,
	    .message = (char *)s->message,
	    .snapshot = (char *)s->snapshot,
	    .status = s->status,
	    .start_ns = s->start_ns,
	    .duration_ns = s->duration_ns,
	    .files = s->files,
	    .bytes = s->bytes,
	    .new_bytes = s->new_bytes,
	};
	size_t n;
	int rc;

	if (gs_status_load(state_dir, &v, &n))
		return -1;
	for (size_t i = 0; i < n && old == NULL; i++)
		if (same_key(&v[i], s->step, s->tenant, s->remote))
			old = &v[i];
	if (old != NULL)
		l.last_ok_ns = old->last_ok_ns;
	if (s->status == GS_EXIT_OK || s->status == GS_EXIT_WARN)
		l.last_ok_ns = s->start_ns;
	rc = save(state_dir, v, n, old, &l);
	gs_status_free(v, n);
	return rc;
}

/*
 * prune(state_dir, tenant, step, keep): remove the status lines of tenant
 * whose step is step (keep 0), or is not step (keep 1; step NULL: every
 * line of tenant), atomically, the others staying in their order.  0 or
 * -1 (warned).
 */
static int
prune(const char *state_dir, const char *tenant, const char *step, int keep)
{
	struct gs_status_line *v;
	size_t n, j = 0;
	int rc;

	if (gs_status_load(state_dir, &v, &n))
		return -1;
	/* stable partition: the lines kept first, in their order */
	for (size_t i = 0; i < n; i++) {
		struct gs_status_line t = v[i];

		if (t.tenant != NULL && strcmp(t.tenant, tenant) == 0 &&
		    (step != NULL && strcmp(t.step, step) == 0) != keep)
			continue;
		v[i] = v[j];
		v[j++] = t;
	}
	rc = j < n ? save(state_dir, v, j, NULL, NULL) : 0;
	gs_status_free(v, n);
	return rc;
}

/*
 * gs_status_forget(state_dir, tenant, keep_step): remove every status line
 * of tenant except those of step keep_step (may be NULL), atomically (an
 * erased tenant leaves no message of its backups behind).  0 or -1 (warned).
 */
int
gs_status_forget(const char *state_dir, const char *tenant, const char *keep_step)
{
	return prune(state_dir, tenant, keep_step, 1);
}

/*
 * gs_status_drop(state_dir, step, tenant): remove the status lines of step
 * and tenant (every remote), atomically (an orphan that is one no more).
 * 0 or -1 (warned).
 */
int
gs_status_drop(const char *state_dir, const char *step, const char *tenant)
{
	return prune(state_dir, tenant, step, 0);
}

/*
 * gs_status_ack(state_dir, l, ack_ns, by): mark the status line of
 * (l->step, l->tenant, l->remote) acknowledged at ack_ns by by, when it
 * still holds the result that started at l->start_ns.  0 marked; 1 the
 * line is gone or holds a newer result; -1 (warned).
 */
int
gs_status_ack(const char *state_dir, const struct gs_status_line *l, int64_t ack_ns, const char *by)
{
	struct gs_status_line *v, *hit = NULL;
	size_t n;
	int rc = 1;

	if (gs_status_load(state_dir, &v, &n))
		return -1;
	for (size_t i = 0; i < n && hit == NULL; i++)
		if (same_key(&v[i], l->step, l->tenant, l->remote) && v[i].start_ns == l->start_ns)
			hit = &v[i];
	if (hit != NULL) {
		free(hit->ack_by);
		hit->ack_ns = ack_ns;
		rc = (hit->ack_by = gs_strdup(by)) == NULL ? -1 : save(state_dir, v, n, NULL, NULL);
	}
	gs_status_free(v, n);
	return rc;
}
