/*
 * cert.c -- the erasures of departed tenants in a report's records: the
 * deletion certificates ("deletion-certificate") and the erasures still
 * pending ("erase" records whose tenant has no certificate yet), for the
 * report's section and for geosnap-restore certificate and shred, which
 * look a certificate up in verified logs this way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/util.h"
#include "report/report.h"

/* ok_item(r, it): it comes from a log that verified cleanly. */
static int
ok_item(const struct gs_report *r, const struct gs_ritem *it)
{
	return gs_report_log_ok(&r->logs[it->log]);
}

/*
 * gs_report_certificate(r, tenant): the latest "deletion-certificate"
 * record of tenant in a log that verified (gs_report_build has dropped
 * what is not evidence), borrowed from r, or NULL.
 */
const struct gs_ritem *
gs_report_certificate(const struct gs_report *r, const char *tenant)
{
	const struct gs_ritem *found = NULL;

	for (size_t i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (strcmp(it->r.event, "deletion-certificate") == 0 && it->tenant != NULL &&
		    strcmp(it->tenant, tenant) == 0 && ok_item(r, it))
			found = it;
	}
	return found;
}

static const char *
str_or(const struct gs_ritem *it, const char *key)
{
	const char *s = it != NULL ? gs_arec_str(&it->r, key) : NULL;

	return s != NULL ? s : "-";
}

/* fill(e): what the report shows of e. */
static void
fill(struct gs_rerasure *e)
{
	const struct gs_ritem *src = e->cert != NULL ? e->cert : e->last;
	const struct gs_afield *m;

	e->state = e->cert != NULL ? "certified" : str_or(e->last, "state");
	e->offboarded = str_or(src, "offboarded");
	e->deadline = str_or(src, "deadline");
	e->certified = e->cert != NULL ? e->cert->r.time : "-";
	m = e->cert != NULL ? gs_arec_field(&e->cert->r, "deadline_met") : NULL;
	e->met = m == NULL || m->type != GS_J_BOOL ? "-" : m->i ? "yes" : "no";
	e->message = e->cert != NULL ? "-" : str_or(e->last, "message");
}

/*
 * gs_report_cert_lookup(r, src, tenant, ret): every log src names,
 * verified and analysed into r, and the tenant's latest certificate in a
 * log that verified (NULL: none).  GS_EXIT_OK or gather's exit status.
 */
int
gs_report_cert_lookup(struct gs_report *r, const struct gs_report_src *src, const char *tenant,
                      const struct gs_ritem **ret)
{
	int64_t now = gs_now_ns() / GS_NS_PER_S, until = (now / 86400 + 1) * 86400;
	int rc;

	*ret = NULL;
	gs_report_init(r, until - (int64_t)GS_REPORT_DAYS_MAX * 86400, until, now, 0);
	if ((rc = gs_report_gather(r, src)) != GS_EXIT_OK)
		return rc;
	if (gs_report_build(r))
		return GS_EXIT_FAIL;
	*ret = gs_report_certificate(r, tenant);
	return GS_EXIT_OK;
}

/*
 * gs_report_erasures(r, ret, ret_n): one entry per tenant that has an
 * "erase" or "deletion-certificate" record, in the order first seen, into
 * a malloc'd array (free it; the entries borrow from r).  0, or -1 out of
 * memory (warned).
 */
int
gs_report_erasures(const struct gs_report *r, struct gs_rerasure **ret, size_t *ret_n)
{
	struct gs_rerasure *v = NULL, *e;
	size_t n = 0;

	for (size_t i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];
		int cert = strcmp(it->r.event, "deletion-certificate") == 0;
		size_t k;

		if ((!cert && strcmp(it->r.event, "erase") != 0) || it->tenant == NULL)
			continue;
		if (!cert && it->remote != NULL)
			continue; /* the tenant's own line says where it stands */
		for (k = 0; k < n && strcmp(v[k].tenant, it->tenant) != 0; k++)
			;
		if (k == n) {
			if ((e = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
				gs_warnp("report");
				free(v);
				return -1;
			}
			v = e;
			memset(&v[n], 0, sizeof(v[n]));
			v[n++].tenant = it->tenant;
		}
		if (cert)
			v[k].cert = it;
		else
			v[k].last = it;
	}
	for (size_t k = 0; k < n; k++)
		fill(&v[k]);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* gs_report_erasures_md(r, f): the "Departed tenants" section as
 * Markdown.  0 or -1 (warned). */
int
gs_report_erasures_md(const struct gs_report *r, FILE *f)
{
	struct gs_rerasure *v;
	size_t n;

	if (gs_report_erasures(r, &v, &n))
		return -1;
	fputs("\n## 10. Departed tenants\n\nDeletion certificates and erasures still "
	      "pending, with their deadlines.\n\n",
	      f);
	fputs("| tenant | state | offboarded | deadline | certified | deadline met | "
	      "last message |\n|---|---|---|---|---|---|---|\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const char *cols[] = {v[i].tenant,    v[i].state, v[i].offboarded, v[i].deadline,
		                      v[i].certified, v[i].met,   v[i].message};

		for (size_t k = 0; k < GS_NELEM(cols); k++) {
			char *s = gs_rout_text(cols[k]);

			fputs("| ", f);
			for (const char *p = s != NULL ? s : "?"; *p; p++)
				fprintf(f, *p == '|' ? "\\|" : "%c", *p);
			fputc(' ', f);
			free(s);
		}
		fputs("|\n", f);
	}
	if (n == 0)
		fputs("| (none) | | | | | | |\n", f);
	free(v);
	return 0;
}

/* gs_report_erasures_html(r, f): the "Departed tenants" section as HTML.
 * 0 or -1 (warned). */
int
gs_report_erasures_html(const struct gs_report *r, FILE *f)
{
	struct gs_rerasure *v;
	size_t n;

	if (gs_report_erasures(r, &v, &n))
		return -1;
	fputs("<section id=\"erasures\"><h2>10. Departed tenants</h2>\n<p>Deletion "
	      "certificates and erasures still pending, with their deadlines.</p>\n"
	      "<table><tr><th>tenant</th><th>state</th><th>offboarded</th><th>deadline</th>"
	      "<th>certified</th><th>deadline met</th><th>last message</th></tr>\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const char *cols[] = {v[i].tenant,    v[i].state, v[i].offboarded, v[i].deadline,
		                      v[i].certified, v[i].met,   v[i].message};

		fputs("<tr>", f);
		for (size_t k = 0; k < GS_NELEM(cols); k++) {
			fputs("<td>", f);
			gs_rout_html(f, cols[k]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	if (n == 0)
		fputs("<tr><td colspan=\"7\">none</td></tr>\n", f);
	fputs("</table></section>\n", f);
	free(v);
	return 0;
}

/* gs_report_erasures_json(r, f): ,"erasures":[{...}] (strings as the
 * records hold them; "-" where unknown).  0 or -1 (warned). */
int
gs_report_erasures_json(const struct gs_report *r, FILE *f)
{
	static const char *const keys[] = {"tenant",    "state",        "offboarded", "deadline",
	                                   "certified", "deadline_met", "message"};
	struct gs_rerasure *v;
	size_t n;

	if (gs_report_erasures(r, &v, &n))
		return -1;
	fputs(",\"erasures\":[", f);
	for (size_t i = 0; i < n; i++) {
		const char *cols[] = {v[i].tenant,    v[i].state, v[i].offboarded, v[i].deadline,
		                      v[i].certified, v[i].met,   v[i].message};

		fputs(i ? ",{" : "{", f);
		for (size_t k = 0; k < GS_NELEM(cols); k++) {
			fprintf(f, "%s\"%s\":", k ? "," : "", keys[k]);
			gs_json_str(f, cols[k]);
		}
		fprintf(f, ",\"certificate_seq\":%llu}",
		        v[i].cert != NULL ? (unsigned long long)v[i].cert->r.seq : 0ULL);
	}
	fputc(']', f);
	free(v);
	return 0;
}
