/*
 * test_retention.c -- the retention decision (retention.h): each keep_*
 * rule on the UTC calendar (days, ISO 8601 weeks across a year's end,
 * months, years), max_age as a cap with the latest always kept, the grace
 * period, future-dated snapshots, ties by name, determinism under any
 * input order, the effective policy of a tenant and the check that
 * refuses a policy keeping nothing.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "geosnap/retention.h"
#include "geosnap/util.h"
#include "tap.h"

#define MAXN 64
#define H ((int64_t)3600 * GS_NS_PER_S)
#define D (24 * H)

static struct gs_retention_snap snaps[MAXN];
static struct gs_retention_verdict out[MAXN];
static char names[MAXN][33];
static size_t n;

/* at(y, m, d, hh): nanoseconds since the epoch of a UTC date and hour. */
static int64_t
at(int y, int m, int d, int hh)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = hh};

	return (int64_t)timegm(&tm) * GS_NS_PER_S;
}

/* add(t): one more snapshot at t, named by its position ("...0001"). */
static void
add(int64_t t)
{
	snprintf(names[n], sizeof(names[n]), "%032zx", n + 1);
	snaps[n] = (struct gs_retention_snap){.name = names[n], .time_ns = t};
	n++;
}

/* kept_set(): the kept snapshots as a bit mask (position i: bit i). */
static uint64_t
kept_set(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)(out[i].keep != 0) << i;
	return m;
}

static uint64_t
plan(const struct gs_retention *p, int64_t now)
{
	gs_retention_plan(p, snaps, n, now, GS_RETENTION_GRACE_S, out);
	return kept_set();
}

static int
has_reason(size_t i, const char *text)
{
	return strstr(out[i].reasons, text) != NULL;
}

static void
test_last_and_daily(void)
{
	struct gs_retention p = {.keep_last = 2};
	int64_t now = at(2026, 12, 7, 12);

	n = 0;
	for (int i = 0; i < 5; i++)
		add(now - (5 - i) * D); /* oldest first: 0 .. 4 */
	CHECK(plan(&p, now) == 0x18);
	CHECK(has_reason(4, "last 1") && has_reason(3, "last 2"));
	CHECK(has_reason(0, "not kept by any rule"));
	CHECK(gs_retention_plan(&p, snaps, n, now, GS_RETENTION_GRACE_S, out) == 3);

	/* three a day: the newest of each of the 2 newest days */
	p = (struct gs_retention){.keep_daily = 2};
	n = 0;
	for (int d = 1; d <= 3; d++)
		for (int hh = 6; hh <= 18; hh += 6)
			add(at(2026, 12, d, hh));
	CHECK(plan(&p, at(2026, 12, 6, 0)) == ((1u << 8) | (1u << 5)));
	CHECK(has_reason(8, "daily 2026-12-03") && has_reason(5, "daily 2026-12-02"));
}

static void
test_weekly_monthly_yearly(void)
{
	struct gs_retention p = {.keep_weekly = 3};
	int64_t now = at(2027, 1, 20, 0);

	/* 2026 has 53 ISO weeks: Fri 2027-01-01 is in 2026-W53 with Mon
	 * 2026-12-28; Mon 2027-01-04 starts 2027-W01. */
	n = 0;
	add(at(2026, 12, 21, 10)); /* 0: W52 */
	add(at(2026, 12, 28, 10)); /* 1: W53 */
	add(at(2027, 1, 1, 10));   /* 2: W53, newer */
	add(at(2027, 1, 3, 23));   /* 3: W53 (Sunday), newest of it */
	add(at(2027, 1, 4, 0));    /* 4: W01 */
	CHECK(plan(&p, now) == ((1u << 0) | (1u << 3) | (1u << 4)));
	CHECK(has_reason(3, "weekly 2026-W53") && has_reason(4, "weekly 2027-W01"));
	CHECK(has_reason(0, "weekly 2026-W52"));
	/* Mon 2024-12-30 is in 2025-W01 */
	n = 0;
	add(at(2024, 12, 30, 1));
	p = (struct gs_retention){.keep_weekly = 1};
	plan(&p, now);
	CHECK(has_reason(0, "weekly 2025-W01"));

	p = (struct gs_retention){.keep_monthly = 2, .keep_yearly = 3};
	n = 0;
	add(at(2024, 3, 1, 0));   /* 0: 2024 */
	add(at(2025, 11, 30, 0)); /* 1: 2025-11 */
	add(at(2025, 12, 1, 0));  /* 2: 2025-12, newest of 2025 */
	add(at(2026, 1, 31, 0));  /* 3: 2026-01 */
	add(at(2026, 2, 28, 0));  /* 4: 2026-02 */
	add(at(2026, 2, 1, 0));   /* 5: 2026-02, older */
	CHECK(plan(&p, now) == ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 4)));
	CHECK(has_reason(4, "monthly 2026-02") && has_reason(4, "yearly 2026"));
	CHECK(has_reason(3, "monthly 2026-01") && has_reason(2, "yearly 2025"));
	CHECK(has_reason(0, "yearly 2024") && !out[5].keep && !out[1].keep);
	/* leap day and the epoch's neighbours */
	n = 0;
	add(at(2024, 2, 29, 12));
	add(at(1969, 12, 31, 23));
	p = (struct gs_retention){.keep_daily = 5};
	plan(&p, now);
	CHECK(has_reason(0, "daily 2024-02-29") && has_reason(1, "daily 1969-12-31"));
}

static void
test_max_age_grace_future(void)
{
	struct gs_retention p = {.keep_daily = 30, .max_age_s = 10 * 86400};
	int64_t now = at(2026, 12, 7, 12);

	/* max_age caps the rules; the latest stays even when older than it */
	n = 0;
	for (int i = 0; i < 20; i++)
		add(now - (20 - i) * D);
	CHECK(plan(&p, now) == ((1ull << 20) - 1) - ((1ull << 10) - 1));
	CHECK(has_reason(0, "max_age exceeded") && has_reason(10, "daily"));
	n = 0;
	add(now - 40 * D);
	add(now - 50 * D);
	CHECK(plan(&p, now) == 1);
	CHECK(has_reason(0, "latest") && has_reason(1, "max_age exceeded"));

	/* younger than the grace period: kept whatever the rules say */
	p = (struct gs_retention){.keep_last = 1};
	n = 0;
	add(now - 3 * H);                          /* 0 */
	add(now - 2 * H);                          /* 1 */
	add(now - H / 2);                          /* 2: within the grace period */
	add(now - H / 4);                          /* 3: the newest */
	snaps[0].recv_ns = now - 60 * GS_NS_PER_S; /* just received: young */
	CHECK(plan(&p, now) == 0xd);
	CHECK(out[2].young && out[0].young && !out[1].young);
	CHECK(has_reason(2, "grace period") && has_reason(1, "not kept"));

	/* a future-dated snapshot is kept, flagged and takes no bucket */
	p = (struct gs_retention){.keep_last = 2};
	n = 0;
	add(now - 3 * D);
	add(now - 2 * D);
	add(now - 1 * D);
	add(now + 2 * D);
	CHECK(plan(&p, now) == 0xe);
	CHECK(out[3].future && has_reason(3, "future") && has_reason(2, "last 1"));
	CHECK(has_reason(1, "last 2"));
}

/* ties in time are broken by name, whatever the input order; any
 * permutation of the input gives the same decisions */
static void
test_ties_and_order(void)
{
	struct gs_retention p = {.keep_last = 3, .keep_daily = 4, .keep_weekly = 2};
	struct gs_retention_snap perm[MAXN];
	struct gs_retention_verdict o2[MAXN];
	int64_t now = at(2026, 12, 7, 12);
	unsigned seed = 12345;
	int same = 1, latest = 1;

	n = 0;
	add(now - 2 * D);
	add(now - 2 * D); /* same time: "...2" > "...1", so 1 is the newer */
	p.keep_last = 1;
	p.keep_daily = p.keep_weekly = 0;
	CHECK(plan(&p, now) == 2);
	for (int round = 0; round < 200; round++) {
		size_t m, idx[MAXN];

		n = 0;
		m = 1 + (size_t)(rand_r(&seed) % 40);
		for (size_t i = 0; i < m; i++)
			add(now - (int64_t)(rand_r(&seed) % 60) * D / 2 - 2 * H);
		p = (struct gs_retention){.keep_last = rand_r(&seed) % 4,
		                          .keep_daily = rand_r(&seed) % 5,
		                          .keep_weekly = rand_r(&seed) % 3,
		                          .keep_monthly = 1 + rand_r(&seed) % 2,
		                          .max_age_s = (rand_r(&seed) % 2) * 20 * 86400};
		gs_retention_plan(&p, snaps, n, now, GS_RETENTION_GRACE_S, out);
		for (size_t i = 0; i < m; i++)
			idx[i] = i;
		for (size_t i = m; i > 1; i--) {
			size_t j = (size_t)rand_r(&seed) % i, t = idx[i - 1];

			idx[i - 1] = idx[j];
			idx[j] = t;
		}
		for (size_t i = 0; i < m; i++)
			perm[i] = snaps[idx[i]];
		gs_retention_plan(&p, perm, m, now, GS_RETENTION_GRACE_S, o2);
		for (size_t i = 0; i < m; i++)
			if (o2[i].keep != out[idx[i]].keep ||
			    strcmp(o2[i].reasons, out[idx[i]].reasons) != 0)
				same = 0;
		/* the newest (greatest time, then name) is always kept */
		size_t best = 0;
		for (size_t i = 1; i < m; i++)
			if (snaps[i].time_ns > snaps[best].time_ns ||
			    (snaps[i].time_ns == snaps[best].time_ns &&
			     strcmp(snaps[i].name, snaps[best].name) > 0))
				best = i;
		if (!out[best].keep)
			latest = 0;
	}
	CHECK(same);
	CHECK(latest);
	n = 0;
	CHECK(gs_retention_plan(&p, snaps, 0, now, GS_RETENTION_GRACE_S, out) == 0);
}

static void
test_of_and_check(void)
{
	struct gs_policy_conf pc = {.keep_last = 1, .keep_daily = 7, .max_age_s = 0};
	struct gs_tenant_conf tc = {.keep_last = -1,
	                            .keep_daily = 0,
	                            .keep_weekly = -1,
	                            .keep_monthly = 5,
	                            .keep_yearly = -1,
	                            .max_age_s = 86400};
	struct gs_retention r;

	gs_retention_of(&pc, NULL, &r);
	CHECK(r.keep_last == 1 && r.keep_daily == 7 && r.max_age_s == 0);
	CHECK(gs_retention_check(&r) == NULL);
	gs_retention_of(&pc, &tc, &r);
	CHECK(r.keep_last == 1 && r.keep_daily == 0 && r.keep_monthly == 5);
	CHECK(r.max_age_s == 86400 && gs_retention_check(&r) == NULL);
	r = (struct gs_retention){0};
	CHECK(gs_retention_check(&r) != NULL && strstr(gs_retention_check(&r), "keeps nothing"));
	r.keep_yearly = 1;
	CHECK(gs_retention_check(&r) == NULL);
	r.max_age_s = 3600;
	CHECK(gs_retention_check(&r) != NULL);
}

int
main(void)
{
	test_last_and_daily();
	test_weekly_monthly_yearly();
	test_max_age_grace_future();
	test_ties_and_order();
	test_of_and_check();
	return tap_done();
}
