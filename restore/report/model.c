/*
 * model.c -- the report's records and logs: taking records in as the logs
 * are walked (parsed, their fields checked, kept when the period needs
 * them), then the analysis of gs_report_build(): duplicates across
 * sources, acknowledgements, each tenant's nights, figures, parity and
 * restore tests.  The gaps are gaps.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "geosnap/config.h"
#include "geosnap/util.h"
#include "report/report.h"

/*
 * gs_report_init(r, since, until, now, rt_max_age_s): an empty report for
 * the period [since, until) (seconds).
 */
void
gs_report_init(struct gs_report *r, int64_t since, int64_t until, int64_t now,
               uint64_t rt_max_age_s)
{
	memset(r, 0, sizeof(*r));
	r->since = since;
	r->until = until;
	r->now = now;
	r->rt_max_age_s = rt_max_age_s;
	r->day0 = since / 86400;
	r->ndays = until > since ? (size_t)((until - 1) / 86400 - r->day0 + 1) : 0;
}

/* gs_report_free(r): free everything r holds (not r). */
void
gs_report_free(struct gs_report *r)
{
	size_t i;

	for (i = 0; i < r->nlogs; i++) {
		free(r->logs[i].host);
		free(r->logs[i].source);
	}
	free(r->logs);
	for (i = 0; i < r->nitems; i++)
		gs_arec_clear(&r->items[i].r);
	free(r->items);
	for (i = 0; i < r->ntenants; i++) {
		free(r->tenants[i].name);
		free(r->tenants[i].cells);
		free(r->tenants[i].parity);
	}
	free(r->tenants);
	for (i = 0; i < r->ngaps; i++) {
		free(r->gaps[i].host);
		free(r->gaps[i].tenant);
		free(r->gaps[i].detail);
	}
	free(r->gaps);
	free(r->want_tenants);
	free(r->want_hosts);
	memset(r, 0, sizeof(*r));
}

/*
 * gs_report_log(r, host, source): a new log of r, its host (or NULL) and
 * source copied; vrc GS_RLOG_UNCHECKED.  Borrowed from r (valid until the
 * next call), or NULL (warned: out of memory).
 */
struct gs_rlog *
gs_report_log(struct gs_report *r, const char *host, const char *source)
{
	struct gs_rlog *v, *l;

	if ((v = realloc(r->logs, (r->nlogs + 1) * sizeof(*v))) == NULL) {
		gs_warnp("report");
		return NULL;
	}
	r->logs = v;
	l = &v[r->nlogs];
	memset(l, 0, sizeof(*l));
	l->vrc = GS_RLOG_UNCHECKED;
	l->first_time_ns = -1;
	if ((host != NULL && (l->host = gs_strdup(host)) == NULL) ||
	    (l->source = gs_strdup(source)) == NULL) {
		free(l->host);
		return NULL;
	}
	r->nlogs++;
	return l;
}

/* The fields the report reads, checked so that a forged value cannot make
 * a figure wrong: counts are non-negative integers, times non-negative
 * finite numbers, names are names. */
static const char *const count_keys[] = {
    "files",         "bytes",           "new_bytes",      "mismatches",      "files_checked",
    "bytes_checked", "entries_checked", "snapshot_files", "source_compared", "source_mismatches"};
static const char *const secs_keys[] = {"duration_s",       "ttfb_s",         "throughput",
                                        "throughput_mib_s", "throughput_bps", "bytes_per_s"};

/* check_fields(it, why, whylen): 0, or -1 with the reason. */
static int
check_fields(struct gs_ritem *it, char *why, size_t whylen)
{
	const struct gs_arec *a = &it->r;
	const struct gs_afield *f;
	static const char *const names[] = {"tenant", "remote"};
	int64_t v;
	double d;
	size_t i;

	for (i = 0; i < GS_NELEM(names); i++) {
		if ((f = gs_arec_field(a, names[i])) == NULL || f->type == GS_J_NULL)
			continue;
		if (f->type != GS_J_STR || !gs_valid_name(f->s)) {
			snprintf(why, whylen, "field '%s' is not a name", names[i]);
			return -1;
		}
	}
	it->tenant = gs_arec_str(a, "tenant");
	it->remote = gs_arec_str(a, "remote");
	it->status = -1;
	if ((f = gs_arec_field(a, "status")) != NULL) {
		if (f->type != GS_J_INT || f->i < 0 || f->i > 255) {
			snprintf(why, whylen, "field 'status' is not an exit status");
			return -1;
		}
		it->status = (int)f->i;
	}
	for (i = 0; i < GS_NELEM(count_keys); i++) {
		if ((f = gs_arec_field(a, count_keys[i])) == NULL || f->type == GS_J_NULL)
			continue;
		if (gs_arec_int(a, count_keys[i], &v) || v < 0) {
			snprintf(why, whylen, "field '%s' is not a count", count_keys[i]);
			return -1;
		}
	}
	for (i = 0; i < GS_NELEM(secs_keys); i++) {
		if ((f = gs_arec_field(a, secs_keys[i])) == NULL || f->type == GS_J_NULL)
			continue;
		if (gs_arec_num(a, secs_keys[i], &d) || d < 0) {
			snprintf(why, whylen, "field '%s' is not a non-negative number",
			         secs_keys[i]);
			return -1;
		}
	}
	if (strcmp(a->event, "run") == 0)
		it->kind = GS_RK_RUN;
	else if (strcmp(a->event, "backup") == 0 || strcmp(a->event, "ship") == 0 ||
	         strcmp(a->event, "verify") == 0)
		it->kind = GS_RK_STEP;
	else if (strcmp(a->event, "restore-test") == 0)
		it->kind = GS_RK_RTEST;
	else if (strcmp(a->event, "ack") == 0)
		it->kind = GS_RK_ACK;
	else
		it->kind = GS_RK_OTHER;
	if ((it->kind == GS_RK_STEP || it->kind == GS_RK_RUN || it->kind == GS_RK_RTEST) &&
	    it->status < 0) {
		snprintf(why, whylen, "a '%s' record without a status", a->event);
		return -1;
	}
	if (it->kind == GS_RK_ACK && gs_arec_str(a, "step") == NULL) {
		snprintf(why, whylen, "an 'ack' record without a step");
		return -1;
	}
	return 0;
}

/* refuse(l, seq, why): count a malformed record of log l. */
static void
refuse(struct gs_rlog *l, uint64_t seq, const char *why)
{
	if (l->malformed++ == 0) {
		l->malformed_seq = seq;
		snprintf(l->malformed_why, sizeof(l->malformed_why), "%s", why);
		gs_warn("audit log %s: record %llu is malformed: %s", l->source,
		        (unsigned long long)seq, why);
	}
}

/*
 * gs_report_record(r, log, seq, line, len): one record of the log at index
 * log, as gs_audit_verify's on_record gives it: parsed (record.h), its
 * fields checked, and kept when the report can need it.  A malformed line
 * is counted in the log (and warned, naming the seq) and skipped.  0, or
 * -1 when the report cannot hold more (warned).
 */
int
gs_report_record(struct gs_report *r, size_t log, uint64_t seq, const char *line, size_t len)
{
	struct gs_rlog *l = &r->logs[log];
	struct gs_ritem it, *v;
	char why[256];
	int64_t t, keep_from;
	size_t n;

	l->seen++;
	memset(&it, 0, sizeof(it));
	if (gs_arec_parse(line, len, &it.r, why, sizeof(why))) {
		refuse(l, seq, why);
		return 0;
	}
	if (it.r.seq != seq) {
		snprintf(why, sizeof(why), "its seq is %llu", (unsigned long long)it.r.seq);
		goto bad;
	}
	if (l->host != NULL && strcmp(l->host, it.r.host) != 0) {
		snprintf(why, sizeof(why), "host '%s' in the log of host '%s'", it.r.host, l->host);
		goto bad;
	}
	if (check_fields(&it, why, sizeof(why)))
		goto bad;
	if (l->host == NULL && (l->host = gs_strdup(it.r.host)) == NULL)
		goto oom;
	if (l->first_time_ns < 0)
		l->first_time_ns = it.r.time_ns;
	it.log = log;

	/* Kept: the period, the restore_test_max_age before it (the last
	 * restore test, the failures an ack in the period may name), and what
	 * follows it (acknowledgements made later, and the failures before
	 * them, so that an ack is never matched to the wrong record). */
	t = it.r.time_ns / GS_NS_PER_S;
	keep_from = r->since - (int64_t)(r->rt_max_age_s > (uint64_t)r->since ? (uint64_t)r->since
	                                                                      : r->rt_max_age_s);
	if (t < keep_from) {
		gs_arec_clear(&it.r);
		return 0;
	}
	n = len + it.r.nf * sizeof(struct gs_afield) + sizeof(it);
	if (r->mem + n > GS_REPORT_MEM_MAX) {
		gs_warn("report: more than %zu MiB of records; give a shorter period",
		        GS_REPORT_MEM_MAX >> 20);
		gs_arec_clear(&it.r);
		return -1;
	}
	if (r->nitems == r->capitems) {
		size_t cap = r->capitems ? r->capitems * 2 : 256;

		if ((v = realloc(r->items, cap * sizeof(*v))) == NULL)
			goto oom;
		r->items = v;
		r->capitems = cap;
	}
	r->mem += n;
	r->items[r->nitems++] = it;
	return 0;

bad:
	refuse(l, seq, why);
	gs_arec_clear(&it.r);
	return 0;
oom:
	gs_warnp("report");
	gs_arec_clear(&it.r);
	return -1;
}

/* trusted(l, seq): record seq of log l is evidence: the log verified up
 * to it, and it is covered by a signature. */
static int
trusted(const struct gs_rlog *l, uint64_t seq)
{
	if (l->vrc == 0)
		return 1;
	if (l->vrc == 4)
		return l->v.unsigned_n == 0 || seq + l->v.unsigned_n <= l->v.last_seq;
	if (l->vrc == 1)
		return l->v.bad_seq != 0 && seq < l->v.bad_seq;
	return 0;
}

/* drop_untrusted(r): the records that gs_audit_verify handed over but
 * that are not evidence: from a log's first bad record on, after its last
 * signature, or of a log that could not be checked. */
static void
drop_untrusted(struct gs_report *r)
{
	size_t i, o = 0;

	for (i = 0; i < r->nitems; i++) {
		struct gs_ritem *it = &r->items[i];
		struct gs_rlog *l = &r->logs[it->log];

		if (!trusted(l, it->r.seq)) {
			l->dropped++;
			gs_arec_clear(&it->r);
			continue;
		}
		r->items[o++] = *it;
	}
	r->nitems = o;
}

static int
by_host_seq(const void *a, const void *b)
{
	const struct gs_ritem *x = a, *y = b;
	int c = strcmp(x->r.host, y->r.host);

	if (c != 0)
		return c;
	if (x->r.seq != y->r.seq)
		return x->r.seq < y->r.seq ? -1 : 1;
	return x->log < y->log ? -1 : x->log > y->log;
}

static int
by_time(const void *a, const void *b)
{
	const struct gs_ritem *x = a, *y = b;

	if (x->r.time_ns != y->r.time_ns)
		return x->r.time_ns < y->r.time_ns ? -1 : 1;
	return by_host_seq(a, b);
}

/* dedup(r): one item per (host, seq); a record two sources hold
 * differently is a conflict of the later source.  Items by host and seq. */
static void
dedup(struct gs_report *r)
{
	size_t i, o = 0;

	if (r->nitems > 1) /* (qsort of NULL, 0 is undefined) */
		qsort(r->items, r->nitems, sizeof(*r->items), by_host_seq);
	for (i = 0; i < r->nitems; i++) {
		struct gs_ritem *it = &r->items[i], *last = o ? &r->items[o - 1] : NULL;

		if (last != NULL && strcmp(last->r.host, it->r.host) == 0 &&
		    last->r.seq == it->r.seq) {
			if (strcmp(last->r.hash, it->r.hash) != 0) {
				struct gs_rlog *l = &r->logs[it->log];

				if (l->conflicts++ == 0)
					l->conflict_seq = it->r.seq;
			}
			gs_arec_clear(&it->r);
			continue;
		}
		r->items[o++] = *it;
	}
	r->nitems = o;
}

/* failing(it): it ended with a status other than ok and warnings. */
static int
failing(const struct gs_ritem *it)
{
	return it->status > 0 && it->status != GS_EXIT_WARN;
}

/* not_ok(it): it ended with a status other than ok. */
static int
not_ok(const struct gs_ritem *it)
{
	return it->status > 0;
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* same_or_null(a, b): both NULL, or equal strings. */
static int
same_or_null(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* matches(a, s, step, tenant, remote, at): ack a names record s.  With
 * at >= 0 (its acked_time_ns, as geosnap-agent ack writes it) exactly:
 * step, tenant, remote and start time; else s is the last record of that
 * step (and tenant and remote, when the ack names them) that failed or
 * warned and is not acknowledged yet. */
static int
matches(const struct gs_ritem *s, const char *step, const char *tenant, const char *remote,
        int64_t at)
{
	if (s->kind == GS_RK_ACK || !not_ok(s) || strcmp(s->r.event, step) != 0)
		return 0;
	if (at >= 0)
		return s->r.time_ns == at && same_or_null(tenant, s->tenant) &&
		       same_or_null(remote, s->remote);
	return s->ack_seq == 0 && (tenant == NULL || same(tenant, s->tenant)) &&
	       (remote == NULL || same(remote, s->remote));
}

/*
 * acks(r): each ack acknowledges one earlier record of its host that
 * failed or warned (matches()); acknowledging one again (a follow-up
 * note) leaves the first ack in place.  A failed run whose failed steps
 * are all acknowledged is acknowledged through them.  Items by host and
 * seq.
 */
static void
acks(struct gs_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nitems; i++) {
		struct gs_ritem *a = &r->items[i];
		const char *step, *tenant, *remote;
		int64_t at;

		if (a->kind != GS_RK_ACK)
			continue;
		step = gs_arec_str(&a->r, "step");
		tenant = gs_arec_str(&a->r, "tenant");
		remote = gs_arec_str(&a->r, "remote");
		if (gs_arec_int(&a->r, "acked_time_ns", &at) || at < 0)
			at = -1;
		for (j = i; j-- > 0 && strcmp(r->items[j].r.host, a->r.host) == 0;) {
			struct gs_ritem *s = &r->items[j];

			if (!matches(s, step, tenant, remote, at))
				continue;
			if (s->ack_seq == 0) {
				s->ack_seq = a->r.seq;
				s->ack_time = a->r.time;
				s->ack_note = gs_arec_str(&a->r, "note");
			}
			a->acks = s->r.seq;
			break;
		}
	}
	for (i = 0; i < r->nitems; i++) {
		struct gs_ritem *run = &r->items[i];
		uint64_t bad = 0, acked = 0, last = 0;

		if (run->kind != GS_RK_RUN || !not_ok(run) || run->ack_seq != 0)
			continue;
		/* The run's record follows its steps, which started after it. */
		for (j = i; j-- > 0 && strcmp(r->items[j].r.host, run->r.host) == 0 &&
		            r->items[j].r.time_ns >= run->r.time_ns;) {
			const struct gs_ritem *s = &r->items[j];

			if (s->kind != GS_RK_STEP || !not_ok(s))
				continue;
			bad++;
			if (s->ack_seq != 0) {
				acked++;
				if (s->ack_seq > last) {
					last = s->ack_seq;
					run->ack_time = s->ack_time;
					run->ack_note = s->ack_note;
				}
			}
		}
		if (bad > 0 && acked == bad) {
			run->ack_seq = last;
			run->ack_via_steps = 1;
		}
	}
}

/* tenant_add(r, name): the tenant named name (found or added), or NULL
 * (warned). */
static struct gs_rtenant *
tenant_add(struct gs_report *r, const char *name)
{
	struct gs_rtenant *v, *t;
	size_t i;

	for (i = 0; i < r->ntenants; i++) {
		if (strcmp(r->tenants[i].name, name) == 0)
			return &r->tenants[i];
	}
	if (r->ntenants == GS_REPORT_TENANTS_MAX) {
		gs_warn("report: more than %d tenants", GS_REPORT_TENANTS_MAX);
		return NULL;
	}
	if ((v = realloc(r->tenants, (r->ntenants + 1) * sizeof(*v))) == NULL)
		goto oom;
	r->tenants = v;
	t = &v[r->ntenants];
	memset(t, 0, sizeof(*t));
	if ((t->name = gs_strdup(name)) == NULL)
		return NULL;
	if (r->ndays > 0 && (t->cells = calloc(r->ndays, 1)) == NULL) {
		free(t->name);
		goto oom;
	}
	r->ntenants++;
	return t;
oom:
	gs_warnp("report");
	return NULL;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct gs_rtenant *)a)->name, ((const struct gs_rtenant *)b)->name);
}

/* rank(o): how bad an outcome is, to keep the worst of a night. */
static int
rank(int o)
{
	static const int ranks[] = {[GS_OUT_NONE] = 0, [GS_OUT_OK] = 1,   [GS_OUT_ACK] = 2,
	                            [GS_OUT_WARN] = 3, [GS_OUT_FAIL] = 4, [GS_OUT_NA] = 0};
	return ranks[o & 0x0f];
}

/* parity_of(t, remote): the parity entry of tenant t for remote ("" for
 * the volume parity), found or added; NULL (warned). */
static struct gs_rparity *
parity_of(struct gs_rtenant *t, const char *remote)
{
	struct gs_rparity *v;
	size_t i;

	for (i = 0; i < t->nparity; i++) {
		if (strcmp(t->parity[i].remote, remote) == 0)
			return &t->parity[i];
	}
	if ((v = realloc(t->parity, (t->nparity + 1) * sizeof(*v))) == NULL) {
		gs_warnp("report");
		return NULL;
	}
	t->parity = v;
	memset(&v[t->nparity], 0, sizeof(*v));
	v[t->nparity].remote = remote;
	return &v[t->nparity++];
}

/* figures(r, t, it): what a step or restore test adds to tenant t. */
static int
figures(struct gs_report *r, struct gs_rtenant *t, const struct gs_ritem *it)
{
	const char *ev = it->r.event;
	struct gs_rparity *p;
	double d = 0;
	size_t day = (size_t)(it->r.time_ns / GS_NS_PER_S / 86400 - r->day0);
	int o;

	if (it->kind == GS_RK_RTEST) {
		t->rtests++;
		t->cells[day] |= failing(it) ? GS_CELL_RTEST_FAIL : GS_CELL_RTEST;
		t->rtests_failed += failing(it);
		return 0;
	}
	o = it->status == 0              ? GS_OUT_OK
	    : it->ack_seq != 0           ? GS_OUT_ACK
	    : it->status == GS_EXIT_WARN ? GS_OUT_WARN
	                                 : GS_OUT_FAIL;
	if (rank(o) > rank(t->cells[day]))
		t->cells[day] = (unsigned char)((t->cells[day] & 0xf0) | o);
	gs_rout_dbl(it, "duration_s", &d);
	if (strcmp(ev, "backup") == 0) {
		t->backups++;
		t->backup_bytes += gs_rout_u64(it, "bytes");
		t->backup_new_bytes += gs_rout_u64(it, "new_bytes");
		t->backup_s += d;
		if (d > t->backup_s_max)
			t->backup_s_max = d;
	} else if (strcmp(ev, "ship") == 0) {
		t->ships++;
		t->ship_bytes += gs_rout_u64(it, "bytes");
		t->ship_s += d;
	} else if (strcmp(ev, "verify") == 0) {
		if ((p = parity_of(t, it->remote ? it->remote : "")) == NULL)
			return -1;
		p->checks++;
		if (failing(it))
			p->failed++;
		else
			p->ok++;
		p->objects += gs_rout_u64(it, "files");
		p->bytes += gs_rout_u64(it, "bytes");
		p->last = it;
	}
	return 0;
}

/* tenants(r): each tenant's nights, figures, parity and restore tests.
 * Items by time. */
static int
tenants(struct gs_report *r)
{
	struct gs_rtenant *t;
	size_t i, d;

	for (i = 0; i < r->nwant_tenants; i++) {
		if (tenant_add(r, r->want_tenants[i]) == NULL)
			return -1;
	}
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (it->in_period && it->tenant != NULL &&
		    (it->kind == GS_RK_STEP || it->kind == GS_RK_RTEST) &&
		    tenant_add(r, it->tenant) == NULL)
			return -1;
	}
	if (r->ntenants == 0)
		return 0;
	if (r->ntenants > 1)
		qsort(r->tenants, r->ntenants, sizeof(*r->tenants), by_name);
	for (i = 0; i < r->nitems; i++) {
		const struct gs_ritem *it = &r->items[i];

		if (it->tenant == NULL || (it->kind != GS_RK_STEP && it->kind != GS_RK_RTEST))
			continue;
		t = bsearch(&(struct gs_rtenant){.name = (char *)it->tenant}, r->tenants,
		            r->ntenants, sizeof(*r->tenants), by_name);
		if (t == NULL)
			continue; /* before the period */
		if (it->kind == GS_RK_RTEST && !failing(it) &&
		    it->r.time_ns / GS_NS_PER_S < r->until)
			t->last_rtest = it;
		if (it->in_period && figures(r, t, it))
			return -1;
	}
	/* Nights not over by the period's end (or now) are not judged. */
	for (i = 0; i < r->ntenants; i++) {
		for (d = 0; d < r->ndays; d++) {
			unsigned char *c = &r->tenants[i].cells[d];
			int64_t end = (r->day0 + (int64_t)d + 1) * 86400;

			if ((*c & 0x0f) == GS_OUT_NONE && (end > r->until || end > r->now))
				*c = (unsigned char)((*c & 0xf0) | GS_OUT_NA);
			r->tenants[i].nights[*c & 0x0f]++;
		}
	}
	return 0;
}

/*
 * gs_report_build(r): the analysis: duplicates across sources, the
 * acknowledgements, each tenant's nights, parity and restore tests, and
 * the gaps.  0, or -1 out of memory (warned).
 */
int
gs_report_build(struct gs_report *r)
{
	size_t i;

	if (r->ndays > GS_REPORT_DAYS_MAX) {
		gs_warn("report: the period is longer than %d days", GS_REPORT_DAYS_MAX);
		return -1;
	}
	drop_untrusted(r);
	dedup(r);
	acks(r);
	if (r->nitems > 1)
		qsort(r->items, r->nitems, sizeof(*r->items), by_time);
	for (i = 0; i < r->nitems; i++) {
		int64_t t = r->items[i].r.time_ns / GS_NS_PER_S;

		r->items[i].in_period = t >= r->since && t < r->until;
		r->in_period += r->items[i].in_period;
	}
	if (tenants(r))
		return -1;
	return gs_report_find_gaps(r);
}

/* gs_report_log_ok(l): 1 when log l verified (possibly with a crash's
 * unsigned tail), had no malformed record and no conflict, else 0. */
int
gs_report_log_ok(const struct gs_rlog *l)
{
	return (l->vrc == 0 || l->vrc == 4) && l->malformed == 0 && l->conflicts == 0;
}

/* gs_report_gaps(r): the number of gaps found (listed or not). */
uint64_t
gs_report_gaps(const struct gs_report *r)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k < GS_GAP_MAX; k++)
		n += r->gap_count[k];
	return n;
}
