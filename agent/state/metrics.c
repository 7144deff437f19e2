/*
 * metrics.c -- the Prometheus textfile metrics (node_exporter's textfile
 * collector) made from the status table: one gauge per step field, driven
 * by a table, plus parity per tenant and remote.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/state.h"
#include "geosnap/util.h"

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

/* The per-step gauges: each line's value, or NAN to leave the line out. */
static double
m_start(const struct gs_status_line *l)
{
	return (double)l->start_ns / 1e9;
}

static double
m_last_ok(const struct gs_status_line *l)
{
	return (double)l->last_ok_ns / 1e9;
}

static double
m_status(const struct gs_status_line *l)
{
	return l->status;
}

static double
m_duration(const struct gs_status_line *l)
{
	return (double)l->duration_ns / 1e9;
}

static double
m_bytes(const struct gs_status_line *l)
{
	return (double)l->bytes;
}

static double
m_files(const struct gs_status_line *l)
{
	return (double)l->files;
}

static double
m_new_bytes(const struct gs_status_line *l)
{
	return strcmp(l->step, "backup") == 0 ? (double)l->new_bytes : NAN;
}

/* Only lines whose last result was acknowledged (geosnap-agent ack). */
static double
m_ack(const struct gs_status_line *l)
{
	return l->ack_ns > 0 ? (double)l->ack_ns / 1e9 : NAN;
}

static const struct {
	const char *name, *help;
	double (*value)(const struct gs_status_line *);
} step_metrics[] = {
    {"geosnap_last_run_timestamp_seconds", "Start of the last run of the step.", m_start},
    {"geosnap_last_success_timestamp_seconds",
     "Start of the last run of the step that succeeded (status 0 or 4).", m_last_ok},
    {"geosnap_last_status", "Exit status of the last run (0 ok, 1 problem, 3 failed, 4 warnings).",
     m_status},
    {"geosnap_last_duration_seconds", "Duration of the last run of the step.", m_duration},
    {"geosnap_last_bytes", "Bytes seen (backup), shipped (ship) or read back (verify).", m_bytes},
    {"geosnap_last_files", "Entries (backup) or objects (ship, verify) of the last run.", m_files},
    {"geosnap_last_new_bytes", "New plaintext bytes stored by the last backup.", m_new_bytes},
    {"geosnap_last_acknowledged_timestamp_seconds",
     "When the last run's result was acknowledged (geosnap-agent ack); absent until it is.", m_ack},
};

/*
 * gs_metrics_write(path, lines, n, now_ns): Prometheus text format for
 * node_exporter's textfile collector, written atomically.  0 or -1.
 */
int
gs_metrics_write(const char *path, const struct gs_status_line *v, size_t n, int64_t now_ns)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (path == NULL)
		return 0;
	if ((f = open_memstream(&out, &len)) == NULL)
		return -1;
	for (size_t k = 0; k < GS_NELEM(step_metrics); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", step_metrics[k].name,
		        step_metrics[k].help, step_metrics[k].name);
		for (size_t i = 0; i < n; i++) {
			double val = step_metrics[k].value(&v[i]);

			if (!isnan(val))
				metric(f, step_metrics[k].name, &v[i], val);
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
