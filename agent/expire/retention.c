/*
 * retention.c -- the retention decision of retention.h: a tenant's
 * effective policy, the check that refuses a policy keeping nothing, and
 * the plan (keep or remove each snapshot, and why).  The calendar is UTC:
 * days since the epoch, civil dates by Howard Hinnant's algorithm, ISO
 * 8601 weeks (Monday first; week 1 holds the year's first Thursday).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/format.h"
#include "geosnap/retention.h"
#include "geosnap/util.h"

#define DAY_S 86400

/*
 * gs_retention_of(p, t, ret): the effective policy of tenant t (t may be
 * NULL: the policy's own): each of t's retention keys that is set, else
 * the policy's.  Borrows p and t.
 */
void
gs_retention_of(const struct gs_policy_conf *p, const struct gs_tenant_conf *t,
                struct gs_retention *ret)
{
	ret->keep_last = p->keep_last;
	ret->keep_daily = p->keep_daily;
	ret->keep_weekly = p->keep_weekly;
	ret->keep_monthly = p->keep_monthly;
	ret->keep_yearly = p->keep_yearly;
	ret->max_age_s = p->max_age_s;
	if (t == NULL)
		return;
	if (t->keep_last >= 0)
		ret->keep_last = (unsigned)t->keep_last;
	if (t->keep_daily >= 0)
		ret->keep_daily = (unsigned)t->keep_daily;
	if (t->keep_weekly >= 0)
		ret->keep_weekly = (unsigned)t->keep_weekly;
	if (t->keep_monthly >= 0)
		ret->keep_monthly = (unsigned)t->keep_monthly;
	if (t->keep_yearly >= 0)
		ret->keep_yearly = (unsigned)t->keep_yearly;
	if (t->max_age_s >= 0)
		ret->max_age_s = (uint64_t)t->max_age_s;
}

/*
 * gs_retention_check(pol): NULL when pol can stand, else a static message
 * saying why it is refused: no keep_* rule keeps anything (every keep_* is
 * 0), or max_age is set and shorter than a day.
 */
const char *
gs_retention_check(const struct gs_retention *pol)
{
	if (pol->keep_last == 0 && pol->keep_daily == 0 && pol->keep_weekly == 0 &&
	    pol->keep_monthly == 0 && pol->keep_yearly == 0)
		return "the retention policy keeps nothing: every keep_* is 0 (set keep_last, "
		       "keep_daily, keep_weekly, keep_monthly or keep_yearly)";
	if (pol->max_age_s != 0 && pol->max_age_s < DAY_S)
		return "max_age shorter than a day would remove every snapshot but the latest "
		       "each night (0 for none, or at least 1d)";
	return NULL;
}

/* floor division of a by b > 0 */
static int64_t
fdiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && a < 0);
}

/* civil(days, y, m, d): the UTC date of days since 1970-01-01. */
static void
civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = fdiv(z, 146097);
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* days_of(y, m, d): days since 1970-01-01 of a civil date. */
static int64_t
days_of(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = fdiv(y, 400);
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* iso_week(days, ret_year, ret_week): the ISO 8601 week of a day. */
static void
iso_week(int64_t days, int64_t *ret_year, unsigned *ret_week)
{
	/* the Thursday of its week: day 0 was a Thursday */
	int64_t thu = fdiv(days + 3, 7) * 7;
	unsigned m, d;

	civil(thu, ret_year, &m, &d);
	*ret_week = (unsigned)((thu - days_of(*ret_year, 1, 1)) / 7 + 1);
}

enum { R_LAST, R_DAILY, R_WEEKLY, R_MONTHLY, R_YEARLY, R_N };

/* bucket(rule, t_ns, i, label, n): the bucket of a snapshot under rule (a
 * number equal for snapshots sharing it) and its label ("2026-W49"). */
static int64_t
bucket(int rule, int64_t t_ns, size_t i, char *label, size_t n)
{
	int64_t days = fdiv(t_ns, (int64_t)GS_NS_PER_S * DAY_S), y;
	unsigned m, d, w;

	civil(days, &y, &m, &d);
	switch (rule) {
	case R_LAST:
		return (int64_t)i;
	case R_DAILY:
		snprintf(label, n, "%04lld-%02u-%02u", (long long)y, m, d);
		return days;
	case R_WEEKLY:
		iso_week(days, &y, &w);
		snprintf(label, n, "%04lld-W%02u", (long long)y, w);
		return y * 100 + w;
	case R_MONTHLY:
		snprintf(label, n, "%04lld-%02u", (long long)y, m);
		return y * 100 + m;
	default:
		snprintf(label, n, "%04lld", (long long)y);
		return y;
	}
}

struct ord {
	size_t i;
	int64_t t, recv;
	const char *name;
};

/* newest first; equal times by name, greater first */
static int
cmp_ord(const void *a, const void *b)
{
	const struct ord *x = a, *y = b;

	if (x->t != y->t)
		return x->t > y->t ? -1 : 1;
	return -strcmp(x->name, y->name);
}

/* add_reason(v, text): append text to v's reasons, comma-separated. */
static void
add_reason(struct gs_retention_verdict *v, const char *text)
{
	size_t len = strlen(v->reasons);

	snprintf(v->reasons + len, sizeof(v->reasons) - len, "%s%s", len ? ", " : "", text);
}

/*
 * gs_retention_plan(pol, snaps, n, now_ns, grace_s, out): decide on each
 * of the n snapshots (any order; equal times are ordered by name, the
 * greater one counting as the newer) into out[i] (n entries, the
 * caller's); a snapshot younger than grace_s seconds is kept.  Returns the
 * number removed; out of memory: everything is kept (0).
 */
size_t
gs_retention_plan(const struct gs_retention *pol, const struct gs_retention_snap *snaps, size_t n,
                  int64_t now_ns, uint64_t grace_s, struct gs_retention_verdict *out)
{
	static const char *const word[R_N] = {"last", "daily", "weekly", "monthly", "yearly"};
	const unsigned count[R_N] = {pol->keep_last, pol->keep_daily, pol->keep_weekly,
	                             pol->keep_monthly, pol->keep_yearly};
	struct ord *o;
	size_t no = 0, removed = 0;

	memset(out, 0, n * sizeof(*out));
	if ((o = calloc(n ? n : 1, sizeof(*o))) == NULL) {
		/* Keep everything rather than decide on less than all. */
		for (size_t i = 0; i < n; i++) {
			out[i].keep = 1;
			add_reason(&out[i], "out of memory: nothing removed");
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (snaps[i].time_ns > now_ns &&
		    (snaps[i].time_ns - now_ns) / GS_NS_PER_S > GS_SNAP_FUTURE_SKEW_S) {
			out[i].keep = out[i].future = 1;
			add_reason(&out[i], "dated in the future (time may be forged)");
			continue;
		}
		o[no++] = (struct ord){i, snaps[i].time_ns, snaps[i].recv_ns, snaps[i].name};
	}
	qsort(o, no, sizeof(*o), cmp_ord);

	for (int rule = 0; rule < R_N; rule++) {
		unsigned left = count[rule];
		int have = 0;
		int64_t last = 0;

		for (size_t j = 0; j < no && left > 0; j++) {
			char label[32], text[48];
			int64_t b = bucket(rule, o[j].t, j, label, sizeof(label));

			if (have && b == last)
				continue;
			have = 1;
			last = b;
			left--;
			out[o[j].i].keep = 1;
			if (rule == R_LAST)
				snprintf(text, sizeof(text), "last %zu", j + 1);
			else
				snprintf(text, sizeof(text), "%s %s", word[rule], label);
			add_reason(&out[o[j].i], text);
		}
	}
	for (size_t j = 0; j < no; j++) {
		struct gs_retention_verdict *v = &out[o[j].i];
		int old = pol->max_age_s != 0 && now_ns - o[j].t > 0 &&
		          (uint64_t)((now_ns - o[j].t) / GS_NS_PER_S) > pol->max_age_s;

		int64_t seen = o[j].recv > o[j].t ? o[j].recv : o[j].t;

		if (now_ns - seen < (int64_t)grace_s * GS_NS_PER_S) {
			v->young = 1;
			if (old || !v->keep) {
				v->reasons[0] = '\0';
				add_reason(v, "younger than the grace period");
			}
			v->keep = 1;
		} else if (j == 0) { /* the latest: never removed */
			if (!v->keep)
				add_reason(v, "latest");
			if (old)
				add_reason(v, "max_age exceeded but the latest");
			v->keep = 1;
		} else if (old) {
			v->keep = 0;
			v->reasons[0] = '\0';
			add_reason(v, "max_age exceeded");
		} else if (!v->keep) {
			add_reason(v, "not kept by any rule");
		}
		removed += !v->keep;
	}
	free(o);
	return removed;
}
