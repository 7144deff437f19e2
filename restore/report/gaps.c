/*
 * gaps.c -- the gaps the report calls out (docs/AUDIT.md): a log that does
 * not verify (or could not be checked, or holds malformed or conflicting
 * records), a configured host with no log, a night with no run, a failure
 * never acknowledged, and too long without a passed restore test.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/util.h"
#include "report/report.h"

#define DAY 86400

static int gap(struct gs_report *r, enum gs_gap_kind kind, const char *host, const char *tenant,
               int64_t day, uint64_t seq, const char *fmt, ...) GS_PRINTF(7, 8);

/* gap(r, kind, host, tenant, day, seq, fmt, ...): one gap (day -1: none).
 * 0, or -1 out of memory (warned). */
static int
gap(struct gs_report *r, enum gs_gap_kind kind, const char *host, const char *tenant, int64_t day,
    uint64_t seq, const char *fmt, ...)
{
	struct gs_rgap *v, *g;
	va_list ap;
	int n;

	r->gap_count[kind]++;
	if (r->ngaps == GS_REPORT_GAPS_MAX)
		return 0;
	if ((v = realloc(r->gaps, (r->ngaps + 1) * sizeof(*v))) == NULL)
		goto oom;
	r->gaps = v;
	g = &v[r->ngaps];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->seq = seq;
	if (day >= 0)
		gs_rout_day(day, g->date);
	va_start(ap, fmt);
	n = vasprintf(&g->detail, fmt, ap);
	va_end(ap);
	if (n < 0) {
		g->detail = NULL;
		goto oom;
	}
	if ((host != NULL && (g->host = strdup(host)) == NULL) ||
	    (tenant != NULL && (g->tenant = strdup(tenant)) == NULL)) {
		free(g->host);
		free(g->detail);
		goto oom;
	}
	r->ngaps++;
	return 0;
oom:
	gs_warnp("report");
	return -1;
}

/* log_gaps(r): every log that is not clean, and configured hosts without
 * a log. */
static int
log_gaps(struct gs_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nlogs; i++) {
		const struct gs_rlog *l = &r->logs[i];
		int rc = 0;

		if (l->vrc == GS_RLOG_UNCHECKED)
			rc = gap(r, GS_GAP_LOG, l->host, NULL, -1, 0, "%s: not verified: %s",
			         l->source, l->note);
		else if (l->vrc == 1)
			rc = gap(r, GS_GAP_LOG, l->host, NULL, -1, l->v.bad_seq,
			         "%s: does not verify: %s (first bad record %llu)", l->source,
			         l->v.why, (unsigned long long)l->v.bad_seq);
		else if (l->vrc != 0 && l->vrc != 4)
			rc =
			    gap(r, GS_GAP_LOG, l->host, NULL, -1, 0, "%s: could not be checked: %s",
			        l->source, l->v.why[0] ? l->v.why : l->note);
		if (rc == 0 && l->malformed > 0)
			rc = gap(r, GS_GAP_LOG, l->host, NULL, -1, l->malformed_seq,
			         "%s: %llu malformed record(s), the first %llu: %s", l->source,
			         (unsigned long long)l->malformed,
			         (unsigned long long)l->malformed_seq, l->malformed_why);
		if (rc == 0 && l->conflicts > 0)
			rc = gap(r, GS_GAP_LOG, l->host, NULL, -1, l->conflict_seq,
			         "%s: %llu record(s) differ from another copy of the log, the "
			         "first %llu",
			         l->source, (unsigned long long)l->conflicts,
			         (unsigned long long)l->conflict_seq);
		if (rc)
			return -1;
	}
	for (i = 0; i < r->nwant_hosts; i++) {
		for (j = 0; j < r->nlogs; j++) {
			if (r->logs[j].host != NULL &&
			    strcmp(r->logs[j].host, r->want_hosts[i]) == 0)
				break;
		}
		if (j == r->nlogs &&
		    gap(r, GS_GAP_NOLOG, r->want_hosts[i], NULL, -1, 0,
		        "no audit log of host %s was found (configured in [host \"%s\"])",
		        r->want_hosts[i], r->want_hosts[i]))
			return -1;
	}
	return 0;
}

/* last_day(r): the index of the last day of the period that is over, or
 * -1. */
static int64_t
last_day(const struct gs_report *r)
{
	int64_t end = r->until < r->now ? r->until : r->now;

	return end / DAY - 1 - r->day0;
}

/* host_nights(r, host): each day of the period, from the host's first
 * record on, that has no run record of host. */
static int
host_nights(struct gs_report *r, const char *host)
{
	int64_t first = -1, d, last = last_day(r);
	unsigned char *ran;
	size_t i;
	int rc = 0;

	if (last < 0 || r->ndays == 0)
		return 0;
	for (i = 0; i < r->nlogs; i++) {
		const struct gs_rlog *l = &r->logs[i];

		if (l->host != NULL && strcmp(l->host, host) == 0 && l->first_time_ns >= 0 &&
		    (first < 0 || l->first_time_ns / GS_NS_PER_S / DAY < first))
			first = l->first_time_ns / GS_NS_PER_S / DAY;
	}
	first = first < r->day0 ? 0 : first - r->day0;
	if ((ran = calloc(r->ndays, 1)) == NULL) {
		gs_warnp("report");
		return -1;
	}
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (it->in_period && it->kind == GS_RK_RUN && strcmp(it->r.host, host) == 0)
			ran[it->r.time_ns / GS_NS_PER_S / DAY - r->day0] = 1;
	}
	for (d = first; d <= last && d < (int64_t)r->ndays && rc == 0; d++) {
		if (!ran[d])
			rc = gap(r, GS_GAP_NIGHT, host, NULL, r->day0 + d, 0,
			         "host %s: no run recorded on this night", host);
	}
	free(ran);
	return rc;
}

/* night_gaps(r): host_nights() for each host that records runs. */
static int
night_gaps(struct gs_report *r)
{
	const char *hosts[GS_REPORT_HOSTS_MAX];
	size_t nh = 0, i, j;

	for (i = 0; i < r->nitems; i++) {
		const char *h = r->items[i].r.host;

		if (r->items[i].kind != GS_RK_RUN)
			continue;
		for (j = 0; j < nh && strcmp(hosts[j], h) != 0; j++)
			;
		if (j < nh)
			continue;
		if (nh == GS_REPORT_HOSTS_MAX) {
			gs_warn("report: more than %d hosts", GS_REPORT_HOSTS_MAX);
			return -1;
		}
		hosts[nh++] = h;
	}
	for (i = 0; i < nh; i++) {
		if (host_nights(r, hosts[i]))
			return -1;
	}
	return 0;
}

/* unack_gaps(r): every record of the period that failed and was never
 * acknowledged. */
static int
unack_gaps(struct gs_report *r)
{
	size_t i;

	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];
		const char *msg = gs_arec_str(&it->r, "message");

		if (!it->in_period || it->kind == GS_RK_ACK || it->status <= 0 ||
		    it->status == GS_EXIT_WARN || it->ack_seq != 0)
			continue;
		if (gap(r, GS_GAP_UNACK, it->r.host, it->tenant, it->r.time_ns / GS_NS_PER_S / DAY,
		        it->r.seq, "%s%s%s%s%s ended %s (status %d), never acknowledged%s%.200s",
		        it->r.event, it->tenant ? " of tenant " : "", it->tenant ? it->tenant : "",
		        it->remote ? " on " : "", it->remote ? it->remote : "", gs_rout_result(it),
		        it->status, msg ? ": " : "", msg ? msg : ""))
			return -1;
	}
	return 0;
}

/* rtest_gaps(r): for each tenant, every stretch longer than
 * restore_test_max_age without a passed restore test, or none at all; not
 * at the end of the period for a tenant erased with a certificate. */
static int
rtest_gaps(struct gs_report *r)
{
	int64_t *prev, end = r->until < r->now ? r->until : r->now;
	int64_t max = (int64_t)(r->rt_max_age_s > INT64_MAX / 2 ? INT64_MAX / 2 : r->rt_max_age_s);
	size_t i, k;
	int rc = -1;

	if (r->ntenants == 0)
		return 0;
	if ((prev = malloc(r->ntenants * sizeof(*prev))) == NULL) {
		gs_warnp("report");
		return -1;
	}
	for (k = 0; k < r->ntenants; k++)
		prev[k] = -1;
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];
		int64_t t = it->r.time_ns / GS_NS_PER_S, from;

		if (it->kind != GS_RK_RTEST || it->tenant == NULL ||
		    (it->status != 0 && it->status != GS_EXIT_WARN))
			continue;
		for (k = 0; k < r->ntenants && strcmp(r->tenants[k].name, it->tenant) != 0; k++)
			;
		if (k == r->ntenants || t >= r->until)
			continue;
		from = prev[k] >= 0 ? prev[k] : r->since;
		if (t >= r->since && t - from > max &&
		    gap(r, GS_GAP_RTEST, NULL, it->tenant, t / DAY, it->r.seq,
		        "tenant %s: %lld days without a passed restore test before this one "
		        "(restore_test_max_age is %lld days)",
		        it->tenant, (long long)((t - from) / DAY), (long long)(max / DAY)))
			goto out;
		prev[k] = t;
	}
	for (k = 0; k < r->ntenants; k++) {
		const char *name = r->tenants[k].name;

		/* an erased tenant (its deletion certificate in a verified log)
		 * owes no more restore tests */
		if (gs_report_certificate(r, name) != NULL)
			continue;
		if (prev[k] < 0) {
			if (gap(r, GS_GAP_RTEST, NULL, name, -1, 0,
			        "tenant %s: no passed restore test in the period or the %lld days "
			        "before it",
			        name, (long long)(max / DAY)))
				goto out;
		} else if (end - prev[k] > max) {
			if (gap(r, GS_GAP_RTEST, NULL, name, end / DAY, 0,
			        "tenant %s: %lld days since the last passed restore test at the "
			        "end "
			        "of the period (restore_test_max_age is %lld days)",
			        name, (long long)((end - prev[k]) / DAY), (long long)(max / DAY)))
				goto out;
		}
	}
	rc = 0;
out:
	free(prev);
	return rc;
}

/* gs_report_find_gaps(r): the gaps of a report gs_report_build() has
 * analysed (called by it).  0, or -1 out of memory (warned). */
int
gs_report_find_gaps(struct gs_report *r)
{
	if (log_gaps(r) || night_gaps(r) || unack_gaps(r) || rtest_gaps(r))
		return -1;
	return 0;
}
