/*
 * out_text.c -- the report as Markdown (the same parts as the HTML, the
 * calendar as a block of one letter per night), JSON (one object, for
 * machines) and CSV (one row per record of the period).  Every string
 * from a log is escaped for its format: gs_rout_text then Markdown's
 * specials; gs_json_str; CSV quoting, with a leading ' before = + - @ so
 * that a spreadsheet does not take a cell for a formula.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/util.h"
#include "report/report.h"

/* ---- Markdown ---- */

/* md(f, s): s (NULL: nothing) safe in a Markdown table cell. */
static void
md(FILE *f, const char *s)
{
	char *q, *p;

	if (s == NULL)
		return;
	if ((q = gs_rout_text(s)) == NULL)
		return;
	for (p = q; *p != '\0'; p++) {
		if (*p == '<')
			fputs("&lt;", f);
		else if (*p == '>')
			fputs("&gt;", f);
		else if (*p == '&')
			fputs("&amp;", f);
		else {
			if (strchr("|\\`*_[]#~", *p) != NULL)
				fputc('\\', f);
			fputc(*p, f);
		}
	}
	free(q);
}

/* md_head(f, cols): a table header; cols separated by '|'. */
static void
md_head(FILE *f, const char *cols)
{
	const char *p;

	fprintf(f, "\n| %s |\n|", cols);
	for (p = cols; p != NULL; p = strchr(p + 1, '|'))
		fputs("---|", f);
	fputs("\n", f);
}

/* md_rec(f, it): the seq, hash, time and host cells of a row. */
static void
md_rec(FILE *f, const struct gs_ritem *it)
{
	fprintf(f, "| %llu | `%s` | %s | ", (unsigned long long)it->r.seq, it->r.hash, it->r.time);
	md(f, it->r.host);
	fputs(" | ", f);
}

static void
md_result(FILE *f, const struct gs_ritem *it)
{
	md(f, gs_rout_result(it));
	if (it->ack_seq)
		fprintf(f, ", acknowledged by %llu", (unsigned long long)it->ack_seq);
}

static void
md_calendar(const struct gs_report *r, FILE *f)
{
	size_t i, d;

	fputs("\n## 3. Nightly runs, per tenant and day (UTC)\n\n"
	      "One letter per day from the first: `o` ok, `w` warning, `F` failed, `a` "
	      "acknowledged, `.` no run, `-` not over yet; `R` a passed restore test that "
	      "day, `X` a failed one (over the night's letter).\n\n```\n",
	      f);
	for (i = 0; i < r->ntenants; i++) {
		const struct gs_rtenant *t = &r->tenants[i];
		char *name = gs_rout_text(t->name);

		fprintf(f, "%-20.20s ", name ? name : "?");
		free(name);
		for (d = 0; d < r->ndays; d++) {
			int c = t->cells[d];

			fputc(c & GS_CELL_RTEST_FAIL ? 'X'
			      : c & GS_CELL_RTEST
			          ? 'R'
			          : "o.owFa-"[(c & 0x0f) == GS_OUT_NONE ? 1 : (c & 0x0f) + 1],
			      f);
		}
		fputs("\n", f);
	}
	fputs("```\n", f);
}

static void
md_logs_gaps(const struct gs_report *r, FILE *f)
{
	size_t i;

	fputs("\n## 1. Verification of the logs\n", f);
	md_head(f, "host | source | result | records | first seq | last seq | head | segments | "
	           "checkpoints | unsigned (crash) | key id | problem");
	for (i = 0; i < r->nlogs; i++) {
		const struct gs_rlog *l = &r->logs[i];

		fputs("| ", f);
		md(f, l->host ? l->host : "?");
		fputs(" | ", f);
		md(f, l->source);
		fprintf(f, " | **%s** | %llu | %llu | %llu | `%s` | %llu | %llu | %llu%s | %s | ",
		        gs_rout_vresult(l), (unsigned long long)l->v.records,
		        (unsigned long long)l->v.first_seq, (unsigned long long)l->v.last_seq,
		        l->v.head, (unsigned long long)l->v.segments,
		        (unsigned long long)l->v.checkpoints, (unsigned long long)l->v.unsigned_n,
		        l->v.torn ? " + torn line" : "", l->keyid);
		if (l->vrc == GS_RLOG_UNCHECKED)
			md(f, l->note);
		else if (l->vrc != 0 && l->vrc != 4)
			md(f, l->v.why);
		if (l->malformed)
			fprintf(f, " %llu malformed record(s), the first %llu",
			        (unsigned long long)l->malformed,
			        (unsigned long long)l->malformed_seq);
		if (l->dropped)
			fprintf(f,
			        " %llu record(s) near the period not used: not covered by the "
			        "verification",
			        (unsigned long long)l->dropped);
		if (l->conflicts)
			fprintf(f, " %llu record(s) differ from another copy, the first %llu",
			        (unsigned long long)l->conflicts,
			        (unsigned long long)l->conflict_seq);
		fputs(" |\n", f);
	}
	fprintf(f, "\n## 2. Gaps\n\n%llu gap(s) called out.\n",
	        (unsigned long long)gs_report_gaps(r));
	if (r->ngaps == 0)
		return;
	md_head(f, "gap | date | host | tenant | seq | detail");
	for (i = 0; i < r->ngaps; i++) {
		const struct gs_rgap *g = &r->gaps[i];

		fprintf(f, "| %s | %s | ", gs_rout_gap(g->kind), g->date);
		md(f, g->host);
		fputs(" | ", f);
		md(f, g->tenant);
		fprintf(f, " | %s%.0llu | ", "", (unsigned long long)g->seq);
		md(f, g->detail);
		fputs(" |\n", f);
	}
}

static void
md_tenants(const struct gs_report *r, FILE *f)
{
	size_t i;

	fputs("\n## 4. Per tenant\n", f);
	md_head(f, "tenant | nights ok | warning | failed | acknowledged | no run | backups | "
	           "bytes seen | new bytes | backup s (mean / max) | shipped bytes | restore "
	           "tests (failed) | last passed restore test");
	for (i = 0; i < r->ntenants; i++) {
		const struct gs_rtenant *t = &r->tenants[i];

		fputs("| ", f);
		md(f, t->name);
		fprintf(f,
		        " | %llu | %llu | %llu | %llu | %llu | %llu | %llu | %llu | %.1f / %.1f | "
		        "%llu | %llu (%llu) | %s |\n",
		        (unsigned long long)t->nights[GS_OUT_OK],
		        (unsigned long long)t->nights[GS_OUT_WARN],
		        (unsigned long long)t->nights[GS_OUT_FAIL],
		        (unsigned long long)t->nights[GS_OUT_ACK],
		        (unsigned long long)t->nights[GS_OUT_NONE], (unsigned long long)t->backups,
		        (unsigned long long)t->backup_bytes,
		        (unsigned long long)t->backup_new_bytes,
		        t->backups ? t->backup_s / (double)t->backups : 0.0, t->backup_s_max,
		        (unsigned long long)t->ship_bytes, (unsigned long long)t->rtests,
		        (unsigned long long)t->rtests_failed,
		        t->last_rtest ? t->last_rtest->r.time : "none");
	}
}

/* md_parity(r, f): the parity of each tenant on each copy. */
static void
md_parity(const struct gs_report *r, FILE *f)
{
	size_t i, j;

	fputs("\n## 6. Parity per copy\n", f);
	md_head(f, "tenant | copy | checks | ok | failed | objects | bytes | last check | its seq");
	for (i = 0; i < r->ntenants; i++) {
		for (j = 0; j < r->tenants[i].nparity; j++) {
			const struct gs_rparity *p = &r->tenants[i].parity[j];

			fputs("| ", f);
			md(f, r->tenants[i].name);
			fputs(" | ", f);
			md(f, p->remote[0] ? p->remote : "local (volume)");
			fprintf(f, " | %llu | %llu | %llu | %llu | %llu | %s | %llu |\n",
			        (unsigned long long)p->checks, (unsigned long long)p->ok,
			        (unsigned long long)p->failed, (unsigned long long)p->objects,
			        (unsigned long long)p->bytes, p->last->r.time,
			        (unsigned long long)p->last->r.seq);
		}
	}
}

static void
md_records(const struct gs_report *r, FILE *f, enum gs_rkind kind)
{
	size_t i;
	double d;

	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (!it->in_period ||
		    (it->kind != kind && !(kind == GS_RK_STEP && it->kind == GS_RK_RUN)))
			continue;
		md_rec(f, it);
		if (kind == GS_RK_STEP) {
			md(f, it->r.event);
			fputs(" | ", f);
			md(f, it->tenant);
			fputs(" | ", f);
			md(f, it->remote);
			fputs(" | ", f);
			md_result(f, it);
			fprintf(f, " | %llu | %llu | %llu | ",
			        (unsigned long long)gs_rout_u64(it, "files"),
			        (unsigned long long)gs_rout_u64(it, "bytes"),
			        (unsigned long long)gs_rout_u64(it, "new_bytes"));
			if (gs_rout_dbl(it, "duration_s", &d))
				fprintf(f, "%.3f", d);
			fputs(" | ", f);
			md(f, gs_arec_str(&it->r, "message"));
		} else if (kind == GS_RK_RTEST) {
			md(f, it->tenant);
			fputs(" | ", f);
			md(f, gs_arec_str(&it->r, "from"));
			fputs(" | ", f);
			md(f, gs_arec_str(&it->r, "snapshot"));
			fputs(" | ", f);
			md_result(f, it);
			fprintf(f, " | %llu | %llu | %llu | ",
			        (unsigned long long)gs_rout_u64_or(it, "files_checked", "files"),
			        (unsigned long long)gs_rout_u64_or(it, "bytes_checked", "bytes"),
			        (unsigned long long)gs_rout_u64(it, "mismatches"));
			if (gs_rout_dbl(it, "ttfb_s", &d))
				fprintf(f, "%.3f", d);
			fputs(" | ", f);
			if (gs_rout_dbl(it, "duration_s", &d))
				fprintf(f, "%.3f", d);
			fputs(" | ", f);
			if (gs_rout_throughput(it, &d))
				fprintf(f, "%.0f", d);
		} else if (kind == GS_RK_ACK) {
			md(f, gs_arec_str(&it->r, "step"));
			fputs(" | ", f);
			md(f, it->tenant);
			fputs(" | ", f);
			md(f, gs_arec_str(&it->r, "note"));
			fputs(" | ", f);
			md(f, gs_arec_str(&it->r, "operator"));
			fprintf(f, " | %.0llu", (unsigned long long)it->acks);
		} else {
			md(f, it->r.event);
			fputs(" | ", f);
			md(f, it->tenant);
			fputs(" | ", f);
			md(f, it->remote);
			fputs(" | ", f);
			md(f, gs_rout_result(it));
		}
		fputs(" |\n", f);
	}
}

/* gs_report_md(r, f): the report as Markdown.  0, or -1 (errno set). */
int
gs_report_md(const struct gs_report *r, FILE *f)
{
	char since[11], until[11], now[GS_ISO_TIME_MAX];

	gs_rout_period(r, since, until);
	gs_iso_time(now, sizeof(now), r->now);
	fprintf(f,
	        "# geosnap audit report\n\nPeriod: **%s** to **%s** (UTC days, inclusive); made "
	        "%s; %llu records in the period; restore_test_max_age %llu days.\n\n"
	        "**%llu gap(s) called out.**\n",
	        since, until, now, (unsigned long long)r->in_period,
	        (unsigned long long)(r->rt_max_age_s / 86400),
	        (unsigned long long)gs_report_gaps(r));
	md_logs_gaps(r, f);
	md_calendar(r, f);
	md_tenants(r, f);
	fputs("\n## 5. Nightly runs and steps\n", f);
	md_head(f, "seq | hash | time | host | step | tenant | remote | result | files | bytes | "
	           "new bytes | duration s | message");
	md_records(r, f, GS_RK_STEP);
	md_parity(r, f);
	fputs("\n## 7. Restore tests\n", f);
	md_head(f, "seq | hash | time | host | tenant | from | snapshot | result | files | bytes | "
	           "mismatches | ttfb s | duration s | throughput B/s");
	md_records(r, f, GS_RK_RTEST);
	fputs("\n## 8. Acknowledgements\n", f);
	md_head(f, "seq | hash | time | host | step | tenant | note | operator | acknowledges");
	md_records(r, f, GS_RK_ACK);
	fputs("\n## 9. Other records\n", f);
	md_head(f, "seq | hash | time | host | event | tenant | remote | result");
	md_records(r, f, GS_RK_OTHER);
	if (gs_report_erasures_md(r, f))
		return -1;
	return ferror(f) ? -1 : 0;
}

/* ---- JSON ---- */

static void
js(FILE *f, const char *s)
{
	if (s == NULL)
		fputs("null", f);
	else
		gs_json_str(f, s);
}

/* json_value(f, x): a field's value as JSON (its text was checked). */
static void
json_value(FILE *f, const struct gs_afield *x)
{
	if (x->type == GS_J_STR)
		gs_json_str(f, x->s);
	else if (x->type == GS_J_INT)
		fprintf(f, "%lld", (long long)x->i);
	else
		fputs(x->s, f);
}

static void
json_logs(const struct gs_report *r, FILE *f)
{
	size_t i;

	fputs(",\"logs\":[", f);
	for (i = 0; i < r->nlogs; i++) {
		const struct gs_rlog *l = &r->logs[i];

		fputs(i ? ",{\"host\":" : "{\"host\":", f);
		js(f, l->host);
		fputs(",\"source\":", f);
		js(f, l->source);
		fprintf(f,
		        ",\"result\":\"%s\",\"ok\":%s,\"verify_status\":%d,\"records\":%llu,"
		        "\"first_seq\":%llu,\"last_seq\":%llu,\"head\":\"%s\",\"bad_seq\":%llu,"
		        "\"unsigned\":%llu,\"torn\":%s,\"segments\":%llu,\"checkpoints\":%llu,"
		        "\"key_id\":\"%s\",\"malformed\":%llu,\"malformed_seq\":%llu,"
		        "\"not_used\":%llu,\"conflicts\":%llu,\"conflict_seq\":%llu,\"why\":",
		        gs_rout_vresult(l), gs_report_log_ok(l) ? "true" : "false", l->vrc,
		        (unsigned long long)l->v.records, (unsigned long long)l->v.first_seq,
		        (unsigned long long)l->v.last_seq, l->v.head,
		        (unsigned long long)l->v.bad_seq, (unsigned long long)l->v.unsigned_n,
		        l->v.torn ? "true" : "false", (unsigned long long)l->v.segments,
		        (unsigned long long)l->v.checkpoints, l->keyid,
		        (unsigned long long)l->malformed, (unsigned long long)l->malformed_seq,
		        (unsigned long long)l->dropped, (unsigned long long)l->conflicts,
		        (unsigned long long)l->conflict_seq);
		js(f, l->vrc == GS_RLOG_UNCHECKED ? l->note : l->v.why);
		fputs(",\"malformed_why\":", f);
		js(f, l->malformed_why);
		fputs("}", f);
	}
	fputs("],\"gaps\":[", f);
	for (i = 0; i < r->ngaps; i++) {
		const struct gs_rgap *g = &r->gaps[i];

		fprintf(f, "%s{\"kind\":\"%s\",\"date\":", i ? "," : "", gs_rout_gap(g->kind));
		js(f, g->date[0] ? g->date : NULL);
		fputs(",\"host\":", f);
		js(f, g->host);
		fputs(",\"tenant\":", f);
		js(f, g->tenant);
		fprintf(f, ",\"seq\":%llu,\"detail\":", (unsigned long long)g->seq);
		js(f, g->detail);
		fputs("}", f);
	}
	fputs("]", f);
}

static void
json_tenants(const struct gs_report *r, FILE *f)
{
	size_t i, j;

	fputs(",\"tenants\":[", f);
	for (i = 0; i < r->ntenants; i++) {
		const struct gs_rtenant *t = &r->tenants[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		js(f, t->name);
		fprintf(
		    f,
		    ",\"nights\":{\"ok\":%llu,\"warning\":%llu,\"failed\":%llu,"
		    "\"acknowledged\":%llu,\"no_run\":%llu,\"not_over\":%llu},"
		    "\"backup\":{\"runs\":%llu,\"bytes\":%llu,\"new_bytes\":%llu,"
		    "\"duration_s\":%.3f,\"duration_s_max\":%.3f},"
		    "\"ship\":{\"runs\":%llu,\"bytes\":%llu,\"duration_s\":%.3f},"
		    "\"restore_tests\":{\"count\":%llu,\"failed\":%llu,\"last_passed_seq\":%llu},",
		    (unsigned long long)t->nights[GS_OUT_OK],
		    (unsigned long long)t->nights[GS_OUT_WARN],
		    (unsigned long long)t->nights[GS_OUT_FAIL],
		    (unsigned long long)t->nights[GS_OUT_ACK],
		    (unsigned long long)t->nights[GS_OUT_NONE],
		    (unsigned long long)t->nights[GS_OUT_NA], (unsigned long long)t->backups,
		    (unsigned long long)t->backup_bytes, (unsigned long long)t->backup_new_bytes,
		    t->backup_s, t->backup_s_max, (unsigned long long)t->ships,
		    (unsigned long long)t->ship_bytes, t->ship_s, (unsigned long long)t->rtests,
		    (unsigned long long)t->rtests_failed,
		    (unsigned long long)(t->last_rtest ? t->last_rtest->r.seq : 0));
		fputs("\"parity\":[", f);
		for (j = 0; j < t->nparity; j++) {
			const struct gs_rparity *p = &t->parity[j];

			fprintf(f, "%s{\"remote\":", j ? "," : "");
			js(f, p->remote[0] ? p->remote : NULL);
			fprintf(f,
			        ",\"checks\":%llu,\"ok\":%llu,\"failed\":%llu,\"objects\":%llu,"
			        "\"bytes\":%llu,\"last_seq\":%llu,\"last_time\":\"%s\"}",
			        (unsigned long long)p->checks, (unsigned long long)p->ok,
			        (unsigned long long)p->failed, (unsigned long long)p->objects,
			        (unsigned long long)p->bytes, (unsigned long long)p->last->r.seq,
			        p->last->r.time);
		}
		fputs("],\"days\":[", f);
		for (j = 0; j < r->ndays; j++) {
			char day[11];

			gs_rout_day(r->day0 + (int64_t)j, day);
			fprintf(f, "%s{\"date\":\"%s\",\"outcome\":\"%s\",\"restore_test\":%s}",
			        j ? "," : "", day, gs_rout_outcome(t->cells[j]),
			        t->cells[j] & GS_CELL_RTEST_FAIL ? "\"failed\""
			        : t->cells[j] & GS_CELL_RTEST    ? "\"passed\""
			                                         : "null");
		}
		fputs("]}", f);
	}
	fputs("]", f);
}

/* gs_report_json(r, f): the report as one JSON object.  0, or -1. */
int
gs_report_json(const struct gs_report *r, FILE *f)
{
	char since[11], until[11], now[GS_ISO_TIME_MAX];
	size_t i, j;
	int k, n = 0;

	gs_rout_period(r, since, until);
	gs_iso_time(now, sizeof(now), r->now);
	fprintf(f,
	        "{\"report\":\"geosnap audit report\",\"version\":1,\"made\":\"%s\","
	        "\"since\":\"%s\",\"until\":\"%s\",\"restore_test_max_age_s\":%llu,"
	        "\"records_in_period\":%llu,\"gap_count\":%llu,\"gaps_by_kind\":{",
	        now, since, until, (unsigned long long)r->rt_max_age_s,
	        (unsigned long long)r->in_period, (unsigned long long)gs_report_gaps(r));
	for (k = 0; k < GS_GAP_MAX; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", gs_rout_gap(k),
		        (unsigned long long)r->gap_count[k]);
	fputs("}", f);
	json_logs(r, f);
	json_tenants(r, f);
	if (gs_report_erasures_json(r, f))
		return -1;
	fputs(",\"records\":[", f);
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (!it->in_period)
			continue;
		fprintf(f, "%s{\"seq\":%llu,\"hash\":\"%s\",\"host\":", n++ ? "," : "",
		        (unsigned long long)it->r.seq, it->r.hash);
		js(f, it->r.host);
		fprintf(f, ",\"time\":\"%s\",\"event\":", it->r.time);
		js(f, it->r.event);
		fprintf(f, ",\"acknowledged_by\":%llu,\"acknowledges\":%llu,\"fields\":{",
		        (unsigned long long)it->ack_seq, (unsigned long long)it->acks);
		for (j = 0; j < it->r.nf; j++) {
			fputs(j ? "," : "", f);
			gs_json_str(f, it->r.f[j].key);
			fputs(":", f);
			json_value(f, &it->r.f[j]);
		}
		fputs("}}", f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -1 : 0;
}

/* ---- CSV ---- */

/* csv(f, s): a comma and one quoted text cell (NULL: empty). */
static void
csv(FILE *f, const char *s)
{
	char *q, *p;

	fputc(',', f);
	if (s == NULL || (q = gs_rout_text(s)) == NULL)
		return;
	fputc('"', f);
	if (q[0] != '\0' && strchr("=+-@", q[0]) != NULL)
		fputc('\'', f);
	for (p = q; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
	free(q);
}

/* csv_num(f, it, key): a comma and a number cell (empty when none). */
static void
csv_num(FILE *f, const struct gs_ritem *it, const char *key)
{
	const struct gs_afield *x = gs_arec_field(&it->r, key);
	double d;

	if (x != NULL && x->type == GS_J_INT)
		fprintf(f, ",%lld", (long long)x->i);
	else if (x != NULL && gs_rout_dbl(it, key, &d))
		fprintf(f, ",%.3f", d);
	else
		fputc(',', f);
}

/* gs_report_csv(r, f): one row per record of the period.  0, or -1. */
int
gs_report_csv(const struct gs_report *r, FILE *f)
{
	size_t i;
	double d;

	fputs("seq,hash,host,time,event,tenant,remote,status,result,acknowledged_by,files,bytes,"
	      "new_bytes,duration_s,mismatches,ttfb_s,throughput_bps,from,snapshot,step,note,"
	      "operator,message\n",
	      f);
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (!it->in_period)
			continue;
		fprintf(f, "%llu,%s", (unsigned long long)it->r.seq, it->r.hash);
		csv(f, it->r.host);
		fprintf(f, ",%s", it->r.time);
		csv(f, it->r.event);
		csv(f, it->tenant);
		csv(f, it->remote);
		if (it->status >= 0)
			fprintf(f, ",%d", it->status);
		else
			fputc(',', f);
		csv(f, gs_rout_result(it));
		if (it->ack_seq)
			fprintf(f, ",%llu", (unsigned long long)it->ack_seq);
		else
			fputc(',', f);
		/* a restore test's: what it checked */
		csv_num(f, it, gs_arec_field(&it->r, "files_checked") ? "files_checked" : "files");
		csv_num(f, it, gs_arec_field(&it->r, "bytes_checked") ? "bytes_checked" : "bytes");
		csv_num(f, it, "new_bytes");
		csv_num(f, it, "duration_s");
		csv_num(f, it, "mismatches");
		csv_num(f, it, "ttfb_s");
		if (it->kind == GS_RK_RTEST && gs_rout_throughput(it, &d))
			fprintf(f, ",%.0f", d);
		else
			fputc(',', f);
		csv(f, gs_arec_str(&it->r, "from"));
		csv(f, gs_arec_str(&it->r, "snapshot"));
		csv(f, gs_arec_str(&it->r, "step"));
		csv(f, gs_arec_str(&it->r, "note"));
		csv(f, gs_arec_str(&it->r, "operator"));
		csv(f, gs_arec_str(&it->r, "message"));
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}
