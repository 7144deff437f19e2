/*
 * out_util.c -- what the report's writers share: making text from a log
 * safe (every string in a record may be hostile), numbers and days in
 * words, and the figures read from a record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "geosnap/util.h"
#include "report/report.h"

/* gs_rout_text(s): s made safe for any output (gs_quote: controls, bidi
 * controls and bytes that are not UTF-8 as \ooo), malloc'd, or NULL. */
char *
gs_rout_text(const char *s)
{
	size_t n = strlen(s);
	char *out;

	/* Every byte at most 4 (\ooo), and the NUL. */
	if (n > (SIZE_MAX - 1) / 4 || (out = malloc(4 * n + 1)) == NULL)
		return NULL;
	return gs_quote(s, out, 4 * n + 1);
}

/* gs_rout_html(f, s): s (may be NULL: nothing) HTML-escaped after
 * gs_rout_text. */
void
gs_rout_html(FILE *f, const char *s)
{
	char *q;

	if (s == NULL)
		return;
	if ((q = gs_rout_text(s)) == NULL) {
		fputs("(out of memory)", f);
		return;
	}
	gs_html_str(f, q);
	free(q);
}

/* gs_rout_bytes(v, out, cap): v bytes as "1.5 GiB" (binary units). */
char *
gs_rout_bytes(uint64_t v, char *out, size_t cap)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)v;
	size_t u = 0;

	while (d >= 1024 && u + 1 < GS_NELEM(units)) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu B", (unsigned long long)v);
	else
		snprintf(out, cap, "%.1f %s", d, units[u]);
	return out;
}

/* gs_rout_day(day, out): day (days since the epoch) as YYYY-MM-DD. */
void
gs_rout_day(int64_t day, char out[11])
{
	char iso[GS_ISO_TIME_MAX];

	gs_iso_time(iso, sizeof(iso), day * 86400);
	snprintf(out, 11, "%.10s", iso);
}

/* gs_rout_outcome(o): "ok", "warning", "failed", "acknowledged", "no run", "-". */
const char *
gs_rout_outcome(int o)
{
	switch (o & 0x0f) {
	case GS_OUT_OK:
		return "ok";
	case GS_OUT_WARN:
		return "warning";
	case GS_OUT_FAIL:
		return "failed";
	case GS_OUT_ACK:
		return "acknowledged";
	case GS_OUT_NONE:
		return "no run";
	default:
		return "-";
	}
}

/* gs_rout_gap(kind): the gap kind's name ("log", "missing-night", ...). */
const char *
gs_rout_gap(enum gs_gap_kind kind)
{
	switch (kind) {
	case GS_GAP_LOG:
		return "log-not-verified";
	case GS_GAP_NIGHT:
		return "missing-night";
	case GS_GAP_UNACK:
		return "unacknowledged-failure";
	case GS_GAP_RTEST:
		return "restore-test-overdue";
	case GS_GAP_NOLOG:
		return "no-log";
	default:
		return "?";
	}
}

/* gs_rout_vresult(l): the log's verification in a word or two. */
const char *
gs_rout_vresult(const struct gs_rlog *l)
{
	if (l->vrc == GS_RLOG_UNCHECKED)
		return "NOT VERIFIED";
	if (l->vrc == 1)
		return "DOES NOT VERIFY";
	if (l->vrc != 0 && l->vrc != 4)
		return "NOT CHECKED";
	if (l->malformed > 0 || l->conflicts > 0)
		return "VERIFIED, RECORDS REFUSED";
	return l->vrc == 4 ? "verified (crash tail)" : "verified";
}

/* gs_rout_result(it): the record's result word (its "result", else from
 * its status), and " (acknowledged)" is not added: see it->ack_seq. */
const char *
gs_rout_result(const struct gs_ritem *it)
{
	const char *s = gs_arec_str(&it->r, "result");

	if (s != NULL)
		return s;
	return it->status < 0 ? "" : gs_step_result(it->status);
}

/* gs_rout_u64(it, key): a non-negative integer field, or 0. */
uint64_t
gs_rout_u64(const struct gs_ritem *it, const char *key)
{
	int64_t v;

	return gs_arec_int(&it->r, key, &v) == 0 && v > 0 ? (uint64_t)v : 0;
}

/* gs_rout_u64_or(it, key, alt): gs_rout_u64 of key when it is there,
 * else of alt (a restore test's files_checked, else files). */
uint64_t
gs_rout_u64_or(const struct gs_ritem *it, const char *key, const char *alt)
{
	return gs_rout_u64(it, gs_arec_field(&it->r, key) != NULL ? key : alt);
}

/* gs_rout_dbl(it, key, ret): 1 and *ret when key is a number, else 0. */
int
gs_rout_dbl(const struct gs_ritem *it, const char *key, double *ret)
{
	return gs_arec_num(&it->r, key, ret) == 0;
}

/* gs_rout_throughput(it, ret): a restore test's bytes per second: its
 * "throughput_mib_s" (in MiB/s), "throughput", "throughput_bps" or
 * "bytes_per_s", else bytes_checked (or bytes) over duration_s.  1 and
 * *ret, or 0 when unknown. */
int
gs_rout_throughput(const struct gs_ritem *it, double *ret)
{
	double d;

	if (gs_rout_dbl(it, "throughput_mib_s", &d)) {
		*ret = d * 1048576.0;
		return 1;
	}
	if (gs_rout_dbl(it, "throughput", ret) || gs_rout_dbl(it, "throughput_bps", ret) ||
	    gs_rout_dbl(it, "bytes_per_s", ret))
		return 1;
	if (gs_rout_dbl(it, "duration_s", &d) && d > 0) {
		*ret = (double)gs_rout_u64_or(it, "bytes_checked", "bytes") / d;
		return 1;
	}
	return 0;
}

/* gs_rout_period(r, since, until): the period's first and last day. */
void
gs_rout_period(const struct gs_report *r, char since[11], char until[11])
{
	gs_rout_day(r->since / 86400, since);
	gs_rout_day((r->until - 1) / 86400, until);
}
