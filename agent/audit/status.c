/*
 * status.c -- the last result of each step in state_dir/status.tsv, and
 * the Prometheus textfile metrics made from it.
 *
 * status.tsv: one line per (step, tenant, remote), tab-separated:
 *   step tenant remote status start_ns duration_ns last_ok_ns files bytes
 *   new_bytes snapshot message
 * with "-" for an empty field; tabs and newlines in messages become spaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/audit.h"
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
	if ((path = gs_path_join(state_dir, "status.tsv")) == NULL)
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
	if ((path = gs_path_join(state_dir, "status.tsv")) == NULL ||
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

/* Prometheus label value: escape backslash, quote and newline. */
static void
label(FILE *f, const char *k, const char *v, int first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", k);
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
	fputc('"', f);
}

static void
metric(FILE *f, const char *name, const struct gs_status_line *l, double value)
{
	fprintf(f, "%s{", name);
	label(f, "step", l->step, 1);
	label(f, "tenant", l->tenant, 0);
	label(f, "remote", l->remote, 0);
	fprintf(f, "} %.17g\n", value);
}

static void
parity_metric(FILE *f, const char *name, const struct gs_status_line *l, double value)
{
	fprintf(f, "%s{", name);
	label(f, "tenant", l->tenant, 1);
	label(f, "remote", l->remote, 0);
	fprintf(f, "} %.17g\n", value);
}

int
gs_metrics_write(const char *path, const struct gs_status_line *v, size_t n, int64_t now_ns)
{
	static const struct {
		const char *name, *help;
	} m[] = {
	    {"geosnap_last_run_timestamp_seconds", "Start of the last run of the step."},
	    {"geosnap_last_success_timestamp_seconds",
	     "Start of the last run of the step that succeeded (status 0 or 4)."},
	    {"geosnap_last_status", "Exit status of the last run (0 ok, 1 problem, 3 failed, 4 "
	                            "warnings)."},
	    {"geosnap_last_duration_seconds", "Duration of the last run of the step."},
	    {"geosnap_last_bytes", "Bytes seen (backup), shipped (ship) or read back (verify)."},
	    {"geosnap_last_files", "Entries (backup) or objects (ship, verify) of the last run."},
	    {"geosnap_last_new_bytes", "New plaintext bytes stored by the last backup."},
	};
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (path == NULL)
		return 0;
	if ((f = open_memstream(&out, &len)) == NULL)
		return -1;
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", m[k].name, m[k].help, m[k].name);
		for (size_t i = 0; i < n; i++) {
			const struct gs_status_line *l = &v[i];
			double val = 0;

			switch (k) {
			case 0:
				val = (double)l->start_ns / 1e9;
				break;
			case 1:
				val = (double)l->last_ok_ns / 1e9;
				break;
			case 2:
				val = l->status;
				break;
			case 3:
				val = (double)l->duration_ns / 1e9;
				break;
			case 4:
				val = (double)l->bytes;
				break;
			case 5:
				val = (double)l->files;
				break;
			default:
				if (strcmp(l->step, "backup") != 0)
					continue;
				val = (double)l->new_bytes;
			}
			metric(f, m[k].name, l, val);
		}
	}
	/* Parity per tenant and remote (remote "" = the volume parity of the
	 * last backup's snapshot), from the last verify. */
	fputs("# HELP geosnap_parity_ok 1 when the last verify found parity (remote \"\": volume "
	      "parity of the last backup's snapshot), else 0.\n# TYPE geosnap_parity_ok gauge\n",
	      f);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].step, "verify") == 0)
			parity_metric(f, "geosnap_parity_ok", &v[i],
			              v[i].status == 0 || v[i].status == 4 ? 1 : 0);
	fputs("# HELP geosnap_objects_verified Objects read back and hashed by the last verify "
	      "of a remote.\n# TYPE geosnap_objects_verified gauge\n",
	      f);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].step, "verify") == 0 && v[i].remote != NULL)
			parity_metric(f, "geosnap_objects_verified", &v[i], (double)v[i].files);
	fprintf(f,
	        "# HELP geosnap_metrics_written_timestamp_seconds When this file was written.\n"
	        "# TYPE geosnap_metrics_written_timestamp_seconds gauge\n"
	        "geosnap_metrics_written_timestamp_seconds %.17g\n",
	        (double)now_ns / 1e9);
	if (fclose(f) != 0) {
		free(out);
		return -1;
	}
	rc = gs_write_file_replace(path, out, len, 0644, 1);
	free(out);
	return rc;
}
