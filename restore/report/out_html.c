/*
 * out_html.c -- the report as one self-contained HTML file: inline CSS
 * (print-friendly: A4 landscape, each part after the summary on a new
 * page, colours kept), the period's calendar as inline SVG, and tables an
 * auditor can sample from, each row carrying the record's seq and hash.
 * No script, no external resource; a Content-Security-Policy forbids both,
 * and every string from a log is escaped (gs_rout_html).
 */
#include <stdio.h>
#include <string.h>

#include "geosnap/util.h"
#include "report/report.h"

static const char css[] =
    "@page{size:A4 landscape;margin:12mm}\n"
    "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;color:#111;margin:1em}\n"
    "h1{font-size:18pt;margin:0 0 .2em}h2{font-size:13pt;margin:1.2em 0 .4em;"
    "border-bottom:1px solid #999}\n"
    "table{border-collapse:collapse;margin:.3em 0 1em;font-size:8.5pt}\n"
    "th,td{border:1px solid #bbb;padding:2px 4px;text-align:left;vertical-align:top}\n"
    "th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.t{white-space:nowrap}\n"
    "code.h{font-size:6.5pt;word-break:break-all;display:inline-block;max-width:26em}\n"
    ".verdict{font-size:12pt;font-weight:bold;padding:.3em .6em;display:inline-block}\n"
    ".good{background:#d9f2d9}.bad{background:#f9d6d5}.warn{background:#fcefc7}\n"
    "svg .ok{fill:#3c9a48}svg .warning{fill:#e8b21d}svg .failed{fill:#d0342c}\n"
    "svg .acknowledged{fill:#4a78c2}svg .norun{fill:#fff;stroke:#d0342c;stroke-width:1.5}\n"
    "svg .na{fill:#e4e4e4}svg .rt{fill:#fff;stroke:#111}svg .rtf{fill:#111}\n"
    "svg text{font-size:9px;fill:#333}\n"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "@media print{body{margin:0;font-size:8.5pt}h1{font-size:14pt}h2{font-size:11pt;"
    "margin:.8em 0 .3em}table{font-size:7.5pt;margin-bottom:.6em}.page{break-before:page}"
    "tr{break-inside:avoid}thead{display:table-header-group}}\n";

/* td(f, s): a cell of text from a log (NULL: empty). */
static void
td(FILE *f, const char *s)
{
	fputs("<td>", f);
	gs_rout_html(f, s);
	fputs("</td>", f);
}

static void
tdn(FILE *f, uint64_t v)
{
	fprintf(f, "<td class=\"n\">%llu</td>", (unsigned long long)v);
}

/* tdd(f, it, key): a decimal field of it, or an empty cell. */
static void
tdd(FILE *f, const struct gs_ritem *it, const char *key)
{
	double d;

	if (gs_rout_dbl(it, key, &d))
		fprintf(f, "<td class=\"n\">%.3f</td>", d);
	else
		fputs("<td></td>", f);
}

/* head(f, cols): a table's header row; cols separated by '|'. */
static void
head(FILE *f, const char *cols)
{
	const char *p = cols, *q;

	fputs("<table><thead><tr>", f);
	for (;;) {
		q = strchr(p, '|');
		fprintf(f, "<th>%.*s</th>", q ? (int)(q - p) : (int)strlen(p), p);
		if (q == NULL)
			break;
		p = q + 1;
	}
	fputs("</tr></thead><tbody>\n", f);
}

/* rec_cells(f, it): the seq, hash, time and host cells of a row. */
static void
rec_cells(FILE *f, const struct gs_ritem *it)
{
	fprintf(f,
	        "<tr id=\"seq-%s-%llu\"><td class=\"n\">%llu</td><td><code class=\"h\">%s</code>"
	        "</td>",
	        it->r.host, (unsigned long long)it->r.seq, (unsigned long long)it->r.seq,
	        it->r.hash);
	fprintf(f, "<td class=\"t\">%s</td>", it->r.time); /* checked: YYYY-MM-DDTHH:MM:SSZ */
	td(f, it->r.host);
}

/* result_cell(f, it): the result, and the acknowledgement if any. */
static void
result_cell(FILE *f, const struct gs_ritem *it)
{
	fputs("<td>", f);
	gs_rout_html(f, gs_rout_result(it));
	if (it->ack_seq != 0) {
		fprintf(f, "<br>acknowledged%s by %llu (", it->ack_via_steps ? " (its steps)" : "",
		        (unsigned long long)it->ack_seq);
		gs_rout_html(f, it->ack_time);
		fputs(")", f);
	}
	fputs("</td>", f);
}

static void
logs(const struct gs_report *r, FILE *f)
{
	size_t i;

	fputs("<section id=\"logs\"><h2>1. Verification of the logs</h2>\n", f);
	if (r->nlogs == 0)
		fputs("<p>No log.</p>", f);
	else
		head(f, "host|source|result|records|first seq|last seq|head (SHA-256 of the last "
		        "line)|segments|remote checkpoints|unsigned (crash)|key id|problem");
	for (i = 0; i < r->nlogs; i++) {
		const struct gs_rlog *l = &r->logs[i];

		fprintf(f, "<tr class=\"%s\">", gs_report_log_ok(l) ? "good" : "bad");
		td(f, l->host ? l->host : "?");
		td(f, l->source);
		fprintf(f, "<td><b>%s</b></td>", gs_rout_vresult(l));
		tdn(f, l->v.records);
		tdn(f, l->v.first_seq);
		tdn(f, l->v.last_seq);
		fprintf(f, "<td><code class=\"h\">%s</code></td>", l->v.head);
		tdn(f, l->v.segments);
		tdn(f, l->v.checkpoints);
		fprintf(f, "<td class=\"n\">%llu%s</td>", (unsigned long long)l->v.unsigned_n,
		        l->v.torn ? " + torn line" : "");
		td(f, l->keyid);
		fputs("<td>", f);
		if (l->vrc == GS_RLOG_UNCHECKED)
			gs_rout_html(f, l->note);
		else if (l->vrc != 0 && l->vrc != 4) {
			gs_rout_html(f, l->v.why);
			if (l->v.bad_seq)
				fprintf(f, " (first bad record %llu)",
				        (unsigned long long)l->v.bad_seq);
		}
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
		fputs("</td></tr>\n", f);
	}
	if (r->nlogs)
		fputs("</tbody></table>", f);
	fputs("</section>\n", f);
}

static void
gaps(const struct gs_report *r, FILE *f)
{
	uint64_t n = gs_report_gaps(r);
	size_t i;
	int k;

	fputs("<section id=\"gaps\"><h2>2. Gaps</h2>\n", f);
	if (n == 0) {
		fputs(
		    "<p class=\"verdict good\">No gaps: every log verifies, every night ran, every "
		    "failure was acknowledged and every tenant was restore-tested in time.</p>",
		    f);
		fputs("</section>\n", f);
		return;
	}
	fputs("<p>", f);
	for (k = 0; k < GS_GAP_MAX; k++)
		fprintf(f, "%s%s: <b>%llu</b>", k ? " &middot; " : "", gs_rout_gap(k),
		        (unsigned long long)r->gap_count[k]);
	fputs("</p>", f);
	head(f, "gap|date|host|tenant|seq|detail");
	for (i = 0; i < r->ngaps; i++) {
		const struct gs_rgap *g = &r->gaps[i];

		fprintf(f, "<tr class=\"bad\"><td>%s</td>", gs_rout_gap(g->kind));
		td(f, g->date);
		td(f, g->host);
		td(f, g->tenant);
		if (g->seq)
			tdn(f, g->seq);
		else
			td(f, NULL);
		td(f, g->detail);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>", f);
	if (r->ngaps < n)
		fprintf(f, "<p>Only the first %zu gaps are listed.</p>", r->ngaps);
	fputs("</section>\n", f);
}

/* calendar(r, f): one cell per day per tenant, in blocks of up to 62
 * days, coloured by outcome; a ring marks a restore test (filled: one
 * failed). */
static void
calendar(const struct gs_report *r, FILE *f)
{
	static const struct {
		const char *cls, *what;
	} legend[] = {{"ok", "ok"},
	              {"warning", "warning"},
	              {"failed", "failed, not acknowledged"},
	              {"acknowledged", "failed or warned, acknowledged"},
	              {"norun", "no run"},
	              {"na", "not over yet"}};
	size_t per = r->ndays > 62 ? 62 : r->ndays, b, i, d;
	int cell = per > 31 ? 11 : 18, lw = 120, y = 0, w, h, x;

	fputs("<section id=\"calendar\"><h2>3. Nightly runs, per tenant and day (UTC)</h2>\n", f);
	if (r->ntenants == 0 || r->ndays == 0) {
		fputs("<p>No tenant.</p></section>\n", f);
		return;
	}
	w = lw + (int)per * cell + 10;
	h = (int)((r->ndays + per - 1) / per) * ((int)r->ntenants * cell + 26) + 24;
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" "
	        "height=\"%d\" viewBox=\"0 0 %d %d\" style=\"max-width:100%%;height:auto\">\n",
	        w, h, w, h);
	for (b = 0; b < r->ndays; b += per) {
		size_t n = r->ndays - b < per ? r->ndays - b : per;

		for (d = 0; d < n; d += 7) {
			char day[11];

			gs_rout_day(r->day0 + (int64_t)(b + d), day);
			fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>", lw + (int)d * cell, y + 12,
			        day + 5);
		}
		y += 18;
		for (i = 0; i < r->ntenants; i++) {
			const struct gs_rtenant *t = &r->tenants[i];

			fprintf(f, "<text x=\"0\" y=\"%d\">", y + cell - 5);
			gs_rout_html(f, t->name);
			fputs("</text>\n", f);
			for (d = 0; d < n; d++) {
				int c = t->cells[b + d], cx = lw + (int)d * cell;
				const char *o = gs_rout_outcome(c);
				const char *cls = (c & 0x0f) == GS_OUT_NONE ? "norun"
				                  : (c & 0x0f) == GS_OUT_NA ? "na"
				                                            : o;
				char day[11];

				gs_rout_day(r->day0 + (int64_t)(b + d), day);
				fprintf(f,
				        "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
				        "height=\"%d\"><title>",
				        cls, cx + 1, y + 1, cell - 2, cell - 2);
				gs_rout_html(f, t->name);
				fprintf(f, " %s: %s%s</title></rect>", day, o,
				        c & GS_CELL_RTEST_FAIL ? ", restore test failed"
				        : c & GS_CELL_RTEST    ? ", restore test passed"
				                               : "");
				if (c & (GS_CELL_RTEST | GS_CELL_RTEST_FAIL))
					fprintf(
					    f,
					    "<circle class=\"%s\" cx=\"%d\" cy=\"%d\" r=\"%d\"/>",
					    c & GS_CELL_RTEST_FAIL ? "rtf" : "rt", cx + cell / 2,
					    y + cell / 2, cell / 5);
			}
			fputs("\n", f);
			y += cell;
		}
		y += 8;
	}
	fputs("</svg>\n", f);
	/* The legend, as a second small SVG; about 6 px a character. */
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"20\" "
	      "viewBox=\"0 0 900 20\" style=\"max-width:100%;height:auto\">",
	      f);
	for (i = 0, x = 1; i < GS_NELEM(legend); i++) {
		fprintf(f,
		        "<rect class=\"%s\" x=\"%d\" y=\"4\" width=\"12\" height=\"12\"/>"
		        "<text x=\"%d\" y=\"14\">%s</text>",
		        legend[i].cls, x, x + 16, legend[i].what);
		x += 16 + 6 * (int)strlen(legend[i].what) + 14;
	}
	fprintf(f,
	        "<circle class=\"rt\" cx=\"%d\" cy=\"10\" r=\"4\"/><text x=\"%d\" y=\"14\">"
	        "restore test (filled: failed)</text></svg>\n",
	        x + 6, x + 16);
	fputs("</section>\n", f);
}

static void
tenant_summary(const struct gs_report *r, FILE *f)
{
	char b1[32], b2[32], b3[32];
	size_t i;

	fputs("<section id=\"tenants\"><h2>4. Per tenant</h2>\n", f);
	head(f, "tenant|nights ok|warning|failed|acknowledged|no run|backups|bytes seen|new "
	        "bytes|backup time (mean / max)|shipped|restore tests (failed)|last passed "
	        "restore test");
	for (i = 0; i < r->ntenants; i++) {
		const struct gs_rtenant *t = &r->tenants[i];

		fputs("<tr>", f);
		td(f, t->name);
		tdn(f, t->nights[GS_OUT_OK]);
		tdn(f, t->nights[GS_OUT_WARN]);
		tdn(f, t->nights[GS_OUT_FAIL]);
		tdn(f, t->nights[GS_OUT_ACK]);
		tdn(f, t->nights[GS_OUT_NONE]);
		tdn(f, t->backups);
		fprintf(f, "<td class=\"n\">%s<br>%llu</td><td class=\"n\">%s<br>%llu</td>",
		        gs_rout_bytes(t->backup_bytes, b1, sizeof(b1)),
		        (unsigned long long)t->backup_bytes,
		        gs_rout_bytes(t->backup_new_bytes, b2, sizeof(b2)),
		        (unsigned long long)t->backup_new_bytes);
		fprintf(f, "<td class=\"n\">%.1f s / %.1f s</td>",
		        t->backups ? t->backup_s / (double)t->backups : 0.0, t->backup_s_max);
		fprintf(f, "<td class=\"n\">%s<br>%llu</td>",
		        gs_rout_bytes(t->ship_bytes, b3, sizeof(b3)),
		        (unsigned long long)t->ship_bytes);
		fprintf(f, "<td class=\"n\">%llu (%llu)</td>", (unsigned long long)t->rtests,
		        (unsigned long long)t->rtests_failed);
		if (t->last_rtest != NULL)
			fprintf(f, "<td>%s (%llu)</td>", t->last_rtest->r.time,
			        (unsigned long long)t->last_rtest->r.seq);
		else
			fputs("<td class=\"bad\">none</td>", f);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static void
steps(const struct gs_report *r, FILE *f)
{
	size_t i;

	fputs("<section id=\"steps\" class=\"page\"><h2>5. Nightly runs and steps</h2>\n"
	      "<p>Every run, backup, ship and verify record of the period.  <i>bytes</i>: "
	      "backup: seen; ship: uploaded; verify: read back.</p>\n",
	      f);
	head(f, "seq|hash (SHA-256 of the line)|time|host|step|tenant|remote|result|files|bytes|"
	        "new bytes|duration s|snapshot / message");
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];
		const char *m = gs_arec_str(&it->r, "message");

		if (!it->in_period || (it->kind != GS_RK_STEP && it->kind != GS_RK_RUN))
			continue;
		rec_cells(f, it);
		td(f, it->r.event);
		td(f, it->tenant);
		td(f, it->remote);
		result_cell(f, it);
		tdn(f, gs_rout_u64(it, "files"));
		tdn(f, gs_rout_u64(it, "bytes"));
		tdn(f, gs_rout_u64(it, "new_bytes"));
		tdd(f, it, "duration_s");
		td(f, m != NULL ? m : gs_arec_str(&it->r, "snapshot"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static void
parity(const struct gs_report *r, FILE *f)
{
	size_t i, j;

	fputs("<section id=\"parity\" class=\"page\"><h2>6. Parity per copy</h2>\n<p>From the "
	      "verify records: <i>local (volume)</i> is the local snapshot's volume parity, "
	      "each remote its checksum parity.</p>\n",
	      f);
	head(f, "tenant|copy|checks|ok|failed|objects read back|bytes|last check|its seq|its "
	        "result");
	for (i = 0; i < r->ntenants; i++) {
		const struct gs_rtenant *t = &r->tenants[i];

		for (j = 0; j < t->nparity; j++) {
			const struct gs_rparity *p = &t->parity[j];

			fprintf(f, "<tr class=\"%s\">", p->failed ? "bad" : "");
			td(f, t->name);
			td(f, p->remote[0] ? p->remote : "local (volume)");
			tdn(f, p->checks);
			tdn(f, p->ok);
			tdn(f, p->failed);
			tdn(f, p->objects);
			tdn(f, p->bytes);
			td(f, p->last->r.time);
			tdn(f, p->last->r.seq);
			result_cell(f, p->last);
			fputs("</tr>\n", f);
		}
	}
	fputs("</tbody></table></section>\n", f);
}

static void
rtests(const struct gs_report *r, FILE *f)
{
	size_t i;
	double d;

	fputs("<section id=\"rtests\"><h2>7. Restore tests</h2>\n", f);
	head(f, "seq|hash|time|host|tenant|from|snapshot|sample (seed)|result|files checked|bytes "
	        "checked|mismatches|time to first byte s|duration s|throughput B/s");
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (!it->in_period || it->kind != GS_RK_RTEST)
			continue;
		rec_cells(f, it);
		td(f, it->tenant);
		td(f, gs_arec_str(&it->r, "from"));
		td(f, gs_arec_str(&it->r, "snapshot"));
		fputs("<td>", f);
		gs_rout_html(f, gs_arec_str(&it->r, "sample"));
		if (gs_arec_field(&it->r, "seed") != NULL &&
		    gs_arec_field(&it->r, "seed")->type == GS_J_INT)
			fprintf(f, " (%lld)", (long long)gs_arec_field(&it->r, "seed")->i);
		fputs("</td>", f);
		result_cell(f, it);
		tdn(f, gs_rout_u64_or(it, "files_checked", "files"));
		tdn(f, gs_rout_u64_or(it, "bytes_checked", "bytes"));
		tdn(f, gs_rout_u64(it, "mismatches"));
		tdd(f, it, "ttfb_s");
		tdd(f, it, "duration_s");
		if (gs_rout_throughput(it, &d))
			fprintf(f, "<td class=\"n\">%.0f</td>", d);
		else
			td(f, NULL);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

/* other_fields(f, it): the fields after the common ones, as k=v. */
static void
other_fields(FILE *f, const struct gs_ritem *it)
{
	static const char *const common[] = {"v",       "seq",  "prev", "time",
	                                     "time_ns", "host", "event"};
	size_t i, j, shown = 0;

	fputs("<td>", f);
	for (i = 0; i < it->r.nf && shown < 24; i++) {
		const struct gs_afield *x = &it->r.f[i];

		for (j = 0; j < GS_NELEM(common) && strcmp(common[j], x->key) != 0; j++)
			;
		if (j < GS_NELEM(common))
			continue;
		fputs(shown++ ? "; " : "", f);
		gs_rout_html(f, x->key);
		fputs("=", f);
		if (x->type == GS_J_INT)
			fprintf(f, "%lld", (long long)x->i);
		else if (x->s != NULL && strlen(x->s) > 300)
			fputs("(long value)", f);
		else
			gs_rout_html(f, x->s);
	}
	fputs("</td>", f);
}

static void
acks_and_others(const struct gs_report *r, FILE *f)
{
	size_t i;
	int any = 0;

	fputs("<section id=\"acks\" class=\"page\"><h2>8. Acknowledgements</h2>\n", f);
	head(f, "seq|hash|time|host|step|tenant|note|operator|acknowledges");
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (it->kind != GS_RK_ACK || !it->in_period)
			continue;
		rec_cells(f, it);
		td(f, gs_arec_str(&it->r, "step"));
		td(f, it->tenant);
		td(f, gs_arec_str(&it->r, "note"));
		td(f, gs_arec_str(&it->r, "operator"));
		if (it->acks)
			tdn(f, it->acks);
		else
			td(f, "nothing found to acknowledge");
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
	fputs("<section id=\"other\"><h2>9. Other records</h2>\n<p>Repairs, quarantines, log "
	      "repairs, and any other event (expiry, deletion), as recorded.</p>\n",
	      f);
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (!it->in_period || it->kind != GS_RK_OTHER)
			continue;
		if (!any++)
			head(f, "seq|hash|time|host|event|fields");
		rec_cells(f, it);
		td(f, it->r.event);
		other_fields(f, it);
		fputs("</tr>\n", f);
	}
	fputs(any ? "</tbody></table>" : "<p>None.</p>", f);
	fputs("</section>\n", f);
}

/* gs_report_html(r, f): the report as one self-contained HTML file.  0,
 * or -1 when writing failed (errno set; not warned). */
int
gs_report_html(const struct gs_report *r, FILE *f)
{
	char since[11], until[11], now[GS_ISO_TIME_MAX];
	uint64_t n = gs_report_gaps(r);

	gs_rout_period(r, since, until);
	gs_iso_time(now, sizeof(now), r->now);
	fprintf(f,
	        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	        "style-src 'unsafe-inline'\">\n"
	        "<title>geosnap audit report %s to %s</title>\n<style>\n%s</style></head>\n"
	        "<body>\n<header><h1>geosnap audit report</h1>\n"
	        "<p>Period: <b>%s</b> to <b>%s</b> (UTC days, inclusive) &middot; made %s "
	        "&middot; %llu records in the period &middot; restore_test_max_age %llu days",
	        since, until, css, since, until, now, (unsigned long long)r->in_period,
	        (unsigned long long)(r->rt_max_age_s / 86400));
	if (r->config != NULL) {
		fputs(" &middot; configuration ", f);
		gs_rout_html(f, r->config);
	}
	fprintf(f, "</p>\n<p class=\"verdict %s\">%llu gap%s called out</p></header>\n",
	        n ? "bad" : "good", (unsigned long long)n, n == 1 ? "" : "s");
	logs(r, f);
	gaps(r, f);
	calendar(r, f);
	tenant_summary(r, f);
	steps(r, f);
	parity(r, f);
	rtests(r, f);
	acks_and_others(r, f);
	if (gs_report_erasures_html(r, f))
		return -1;
	fputs("<footer><p>Each row's <i>hash</i> is the SHA-256 of the record's line in the log "
	      "(without its newline), the value the next record carries as <i>prev</i>: "
	      "<code>sed -n 'Np' audit.jsonl | tr -d '\\n' | sha256sum</code> finds it for "
	      "the record on line N.  docs/AUDIT.md says what each record proves.</p></footer>\n"
	      "</body></html>\n",
	      f);
	return ferror(f) ? -1 : 0;
}
