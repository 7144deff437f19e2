/*
 * status.c -- the status table: the last result of each step in
 * state_dir/status.tsv (metrics.c turns it into Prometheus metrics).
 *
 * status.tsv: one line per (step, tenant, remote), tab-separated:
 *   step tenant remote status start_ns duration_ns last_ok_ns files bytes
 *   new_bytes snapshot message
 * with "-" for an empty field; tabs and newlines in messages become spaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/state.h"
#include "geosnap/util.h"

#define NFIELDS 12
#define STATUS_MAX (16u << 20)

static char *
field_or_null(const char *s)
{
	return (s == NULL || strcmp(s, "-") == 0) ? NULL : strdup(s);
}

static int
same_key(const struct gs_status_line *l, const struct gs_step *s)
{
	return strcmp(l->step, s->step) == 0 &&
	       strcmp(l->tenant ? l->tenant : "", s->tenant ? s->tenant : "") == 0 &&
	       strcmp(l->remote ? l->remote : "", s->remote ? s->remote : "") == 0;
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
	}
	free(v);
}

/* gs_status_load(state_dir, ret, ret_n): 0 (no file = 0 lines) or -1. */
int
gs_status_load(const char *state_dir, struct gs_status_line **ret, size_t *ret_n)
{
	struct gs_status_line *v = NULL;
	size_t n = 0, len;
	char *path, *save = NULL, *line;
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
	for (line = strtok_r((char *)buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[NFIELDS], *fs = NULL, *t;
		int nf = 0;
		void *nv;

		for (t = strtok_r(line, "\t", &fs); t && nf < NFIELDS;
		     t = strtok_r(NULL, "\t", &fs))
			f[nf++] = t;
		if (nf != NFIELDS) {
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
put_line(FILE *f, const char *step, const char *tenant, const char *remote, int status,
         int64_t start, int64_t dur, int64_t ok, uint64_t files, uint64_t bytes, uint64_t nb,
         const char *snap, const char *msg)
{
	put_field(f, step, 0);
	put_field(f, tenant, 0);
	put_field(f, remote, 0);
	fprintf(f, "%d\t%lld\t%lld\t%lld\t%llu\t%llu\t%llu\t", status, (long long)start,
	        (long long)dur, (long long)ok, (unsigned long long)files, (unsigned long long)bytes,
	        (unsigned long long)nb);
	put_field(f, snap, 0);
	put_field(f, msg, 1);
}

/*
 * gs_status_record(state_dir, s): replace the status line of (step, tenant,
 * remote) in state_dir/status.tsv with s (atomically).  0 or -1 (warned).
 */
int
gs_status_record(const char *state_dir, const struct gs_step *s)
{
	struct gs_status_line *v;
	size_t n, len = 0;
	int64_t last_ok = 0;
	char *path, *out = NULL;
	FILE *m;
	int rc = -1;

	if (gs_status_load(state_dir, &v, &n))
		return -1;
	if ((path = gs_state_status_path(state_dir)) == NULL ||
	    (m = open_memstream(&out, &len)) == NULL)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (same_key(&v[i], s)) {
			last_ok = v[i].last_ok_ns;
			continue;
		}
		put_line(m, v[i].step, v[i].tenant, v[i].remote, v[i].status, v[i].start_ns,
		         v[i].duration_ns, v[i].last_ok_ns, v[i].files, v[i].bytes, v[i].new_bytes,
		         v[i].snapshot, v[i].message);
	}
	if (s->status == GS_EXIT_OK || s->status == GS_EXIT_WARN)
		last_ok = s->start_ns;
	put_line(m, s->step, s->tenant, s->remote, s->status, s->start_ns, s->duration_ns, last_ok,
	         s->files, s->bytes, s->new_bytes, s->snapshot, s->message);
	if (fclose(m) == 0)
		rc = gs_write_file_replace(path, out, len, 0600, 1);
done:
	free(out);
	free(path);
	gs_status_free(v, n);
	return rc;
}
