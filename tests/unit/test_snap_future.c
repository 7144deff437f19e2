/*
 * test_snap_future.c -- a snapshot's time is the writer's word (M3 of the
 * December 2026 review): gs_snap_future() and its clock-skew allowance, and
 * gs_reader_find() refusing a future-dated "latest" without falling back.
 */
#include <stdint.h>
#include <string.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "read/reader.h"
#include "tap.h"

#define SEC 1000000000LL

int
main(void)
{
	const int64_t now = 1765000000LL * SEC; /* December 2025 */
	const int64_t skew = (int64_t)GS_SNAP_FUTURE_SKEW_S * SEC;
	struct gs_snap_info s = {0};
	struct gs_rsnap v[3];
	char host[] = "testhost", tenant[] = "t1";

	gs_set_quiet(1);
	CHECK(GS_SNAP_FUTURE_SKEW_S == 3600);
	s.time_ns = now;
	CHECK(gs_snap_future(&s, now) == 0);
	s.time_ns = now + skew; /* at the allowance: still fine */
	CHECK(gs_snap_future(&s, now) == 0);
	s.time_ns = now + skew + 1;
	CHECK(gs_snap_future(&s, now) == 1);
	s.time_ns = 4102444800LL * SEC; /* 2100-01-01 */
	CHECK(gs_snap_future(&s, now) == 1);
	s.time_ns = INT64_MAX;
	CHECK(gs_snap_future(&s, now) == 1);
	s.time_ns = INT64_MIN;
	CHECK(gs_snap_future(&s, now) == 0);
	s.time_ns = 0;
	CHECK(gs_snap_future(&s, now) == 0);

	/* Sorted by time as gs_reader_snapshots() returns them. */
	memset(v, 0, sizeof(v));
	strcpy(v[0].name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	strcpy(v[1].name, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	strcpy(v[2].name, "cccccccccccccccccccccccccccccccc");
	for (int i = 0; i < 3; i++) {
		v[i].info.host = host;
		v[i].info.tenant = tenant;
	}
	v[0].info.time_ns = gs_now_ns() - 86400 * SEC;
	v[1].info.time_ns = gs_now_ns() - 60 * SEC;
	v[2].info.time_ns = gs_now_ns() + 30 * 60 * SEC; /* within the allowance */
	CHECK(gs_reader_find(v, 3, "latest") == &v[2]);
	CHECK(gs_reader_find(v, 3, NULL) == &v[2]);
	v[2].info.time_ns = 4102444800LL * SEC;
	/* Refused, and the one before it is not picked silently either. */
	CHECK(gs_reader_find(v, 3, "latest") == NULL);
	CHECK(strstr(gs_last_error(), v[2].name) != NULL);
	CHECK(strstr(gs_last_error(), "2100-01-01T00:00:00Z") != NULL);
	CHECK(strstr(gs_last_error(), "--snapshot ID") != NULL);
	CHECK(gs_reader_find(v, 3, NULL) == NULL);
	/* By its ID it can still be chosen, as can the others. */
	CHECK(gs_reader_find(v, 3, "cccccc") == &v[2]);
	CHECK(gs_reader_find(v, 3, "bbbbbbbb") == &v[1]);
	CHECK(gs_reader_snap_future(&v[2], gs_now_ns(), "why") == 1);
	CHECK(strstr(gs_last_error(), "why") != NULL);
	CHECK(gs_reader_snap_future(&v[1], gs_now_ns(), "why") == 0);
	return tap_done();
}
