/*
 * test_parse.c -- the strict configuration value parsers of util.h.
 */
#include <stdint.h>
#include <string.h>

#include "geosnap/util.h"
#include "tap.h"

#define SENTINEL64 0xdeadbeefcafef00dULL
#define SENTINEL32 0xdeadbeefU

/* size_ok(s, want): s parses as a size of want bytes. */
static int
size_ok(const char *s, uint64_t want)
{
	uint64_t v = SENTINEL64;

	return gs_parse_size(s, &v) == 0 && v == want;
}

/* size_bad(s): s is refused and the result left untouched. */
static int
size_bad(const char *s)
{
	uint64_t v = SENTINEL64;

	return gs_parse_size(s, &v) == -1 && v == SENTINEL64;
}

static int
dur_ok(const char *s, uint64_t want)
{
	uint64_t v = SENTINEL64;

	return gs_parse_duration(s, &v) == 0 && v == want;
}

static int
dur_bad(const char *s)
{
	uint64_t v = SENTINEL64;

	return gs_parse_duration(s, &v) == -1 && v == SENTINEL64;
}

static int
pct_ok(const char *s, uint32_t want)
{
	uint32_t v = SENTINEL32;

	return gs_parse_percent(s, &v) == 0 && v == want;
}

static int
pct_bad(const char *s)
{
	uint32_t v = SENTINEL32;

	return gs_parse_percent(s, &v) == -1 && v == SENTINEL32;
}

static int
uint_ok(const char *s, uint64_t max, uint64_t want)
{
	uint64_t v = SENTINEL64;

	return gs_parse_uint(s, max, &v) == 0 && v == want;
}

static int
uint_bad(const char *s, uint64_t max)
{
	uint64_t v = SENTINEL64;

	return gs_parse_uint(s, max, &v) == -1 && v == SENTINEL64;
}

static int
bool_is(const char *s, int want)
{
	int v = 42;

	return gs_parse_bool(s, &v) == 0 && v == want;
}

static int
bool_bad(const char *s)
{
	int v = 42;

	return gs_parse_bool(s, &v) == -1 && v == 42;
}

static int
date_ok(const char *s, int64_t want)
{
	int64_t v = -42;

	return gs_parse_date(s, &v) == 0 && v == want;
}

static int
date_bad(const char *s)
{
	int64_t v = -42;

	return gs_parse_date(s, &v) == -1 && v == -42;
}

static void
test_uint(void)
{
	CHECK(uint_ok("0", 10, 0));
	CHECK(uint_ok("10", 10, 10));
	CHECK(uint_ok("007", 10, 7));
	CHECK(uint_ok("18446744073709551615", UINT64_MAX, UINT64_MAX));
	CHECK(uint_bad("18446744073709551616", UINT64_MAX));
	CHECK(uint_bad("99999999999999999999999", UINT64_MAX));
	CHECK(uint_bad("11", 10));
	CHECK(uint_bad("", 10));
	CHECK(uint_bad("-1", 10));
	CHECK(uint_bad("+1", 10));
	CHECK(uint_bad(" 1", 10));
	CHECK(uint_bad("1 ", 10));
	CHECK(uint_bad("1x", 10));
	CHECK(uint_bad("0x10", 100));
	CHECK(uint_bad("1.0", 10));
	CHECK(uint_bad("1e3", 10000));
}

static void
test_size(void)
{
	CHECK(size_ok("0", 0));
	CHECK(size_ok("100", 100));
	CHECK(size_ok("16K", 16384));
	CHECK(size_ok("16KiB", 16384));
	CHECK(size_ok("16M", 16ULL << 20));
	CHECK(size_ok("16MiB", 16ULL << 20));
	CHECK(size_ok("1G", 1ULL << 30));
	CHECK(size_ok("1GiB", 1ULL << 30));
	CHECK(size_ok("2T", 2ULL << 40));
	CHECK(size_ok("2TiB", 2ULL << 40));
	CHECK(size_ok("18446744073709551615", UINT64_MAX));
	CHECK(size_ok("16777215T", 16777215ULL << 40));
	/* overflow, in the digits and in the unit */
	CHECK(size_bad("18446744073709551616"));
	CHECK(size_bad("16777216T"));
	CHECK(size_bad("17179869184G"));
	/* garbage */
	CHECK(size_bad(""));
	CHECK(size_bad("M"));
	CHECK(size_bad("-1"));
	CHECK(size_bad("-1M"));
	CHECK(size_bad("+1M"));
	CHECK(size_bad(" 16M"));
	CHECK(size_bad("16M "));
	CHECK(size_bad("16 M"));
	CHECK(size_bad("1.5M"));
	CHECK(size_bad("16MB"));
	CHECK(size_bad("16m"));
	CHECK(size_bad("16Mi"));
	CHECK(size_bad("16MiBx"));
	CHECK(size_bad("16iB"));
	CHECK(size_bad("16B"));
	CHECK(size_bad("16P"));
	CHECK(size_bad("16MM"));
	CHECK(size_bad("0x10"));
}

static void
test_duration(void)
{
	CHECK(dur_ok("0", 0));
	CHECK(dur_ok("0s", 0));
	CHECK(dur_ok("0d", 0));
	CHECK(dur_ok("45s", 45));
	CHECK(dur_ok("30m", 1800));
	CHECK(dur_ok("12h", 43200));
	CHECK(dur_ok("90d", 90 * 86400));
	CHECK(dur_ok("2w", 14 * 86400));
	CHECK(dur_ok("18446744073709551615s", UINT64_MAX));
	CHECK(dur_ok("30500568904943w", 30500568904943ULL * 604800));
	/* overflow */
	CHECK(dur_bad("18446744073709551616s"));
	CHECK(dur_bad("30500568904944w"));
	CHECK(dur_bad("213503982334602d"));
	/* a bare number other than 0 has no unit */
	CHECK(dur_bad("90"));
	CHECK(dur_bad("1"));
	/* garbage */
	CHECK(dur_bad(""));
	CHECK(dur_bad("d"));
	CHECK(dur_bad("-1d"));
	CHECK(dur_bad("+1d"));
	CHECK(dur_bad("90 days"));
	CHECK(dur_bad("90days"));
	CHECK(dur_bad("90 d"));
	CHECK(dur_bad(" 90d"));
	CHECK(dur_bad("90d "));
	CHECK(dur_bad("90D"));
	CHECK(dur_bad("1y"));
	CHECK(dur_bad("1.5h"));
	CHECK(dur_bad("1h30m"));
	CHECK(dur_bad("00x"));
}

static void
test_percent(void)
{
	CHECK(pct_ok("0%", 0));
	CHECK(pct_ok("0.0%", 0));
	CHECK(pct_ok("3%", 30000));
	CHECK(pct_ok("0.5%", 5000));
	CHECK(pct_ok("0.0001%", 1));
	CHECK(pct_ok("0.000100%", 1));
	CHECK(pct_ok("12.3456%", 123456));
	CHECK(pct_ok("12.345600%", 123456));
	CHECK(pct_ok("100%", 1000000));
	CHECK(pct_ok("100.000000%", 1000000));
	CHECK(pct_ok("003%", 30000));
	CHECK(pct_ok("99.9999%", 999999));
	/* range */
	CHECK(pct_bad("100.0001%"));
	CHECK(pct_bad("100.000001%"));
	CHECK(pct_bad("101%"));
	CHECK(pct_bad("18446744073709551616%"));
	/* finer than one part per million, or more than six decimals */
	CHECK(pct_bad("0.00005%"));
	CHECK(pct_bad("0.000001%"));
	CHECK(pct_bad("12.345678%"));
	CHECK(pct_bad("0.0000001%"));
	CHECK(pct_bad("3.0000000%"));
	/* garbage */
	CHECK(pct_bad(""));
	CHECK(pct_bad("%"));
	CHECK(pct_bad("3"));
	CHECK(pct_bad("0.5"));
	CHECK(pct_bad("-3%"));
	CHECK(pct_bad("+3%"));
	CHECK(pct_bad(".5%"));
	CHECK(pct_bad("5.%"));
	CHECK(pct_bad("3 %"));
	CHECK(pct_bad(" 3%"));
	CHECK(pct_bad("3% "));
	CHECK(pct_bad("3%%"));
	CHECK(pct_bad("3%x"));
	CHECK(pct_bad("0,5%"));
	CHECK(pct_bad("1.2.3%"));
}

static void
test_bool(void)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "YES", "True", "ON"};
	static const char *const no[] = {"no", "false", "off", "0", "NO", "False", "Off"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(bool_is(yes[i], 1));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(bool_is(no[i], 0));
	CHECK(bool_bad(""));
	CHECK(bool_bad("y"));
	CHECK(bool_bad("n"));
	CHECK(bool_bad("2"));
	CHECK(bool_bad("01"));
	CHECK(bool_bad("yes "));
	CHECK(bool_bad(" yes"));
	CHECK(bool_bad("yesno"));
	CHECK(bool_bad("enabled"));
}

static void
test_date(void)
{
	CHECK(date_ok("1970-01-01", 0));
	CHECK(date_ok("1970-01-02", 86400));
	CHECK(date_ok("2000-03-01", 951868800));
	CHECK(date_ok("2024-02-29", 1709164800));
	CHECK(date_ok("2000-02-29", 951782400));
	CHECK(date_ok("2026-10-01", 1790812800));
	CHECK(date_ok("2038-01-19", 2147472000));
	CHECK(date_ok("2100-01-01", 4102444800));
	CHECK(date_ok("9999-12-31", 253402214400));
	/* calendar */
	CHECK(date_bad("2023-02-29"));
	CHECK(date_bad("1900-02-29"));
	CHECK(date_bad("2100-02-29"));
	CHECK(date_bad("2024-02-30"));
	CHECK(date_bad("2024-04-31"));
	CHECK(date_bad("2024-13-01"));
	CHECK(date_bad("2024-00-10"));
	CHECK(date_bad("2024-01-00"));
	CHECK(date_bad("2024-01-32"));
	CHECK(date_bad("1969-12-31"));
	CHECK(date_bad("0000-01-01"));
	/* shape */
	CHECK(date_bad(""));
	CHECK(date_bad("2024-1-01"));
	CHECK(date_bad("2024-01-1"));
	CHECK(date_bad("24-01-01"));
	CHECK(date_bad("2024/01/01"));
	CHECK(date_bad("2024-01-01 "));
	CHECK(date_bad(" 2024-01-01"));
	CHECK(date_bad("2024-01-01T00:00"));
	CHECK(date_bad("+024-01-01"));
	CHECK(date_bad("2024-+1-01"));
	CHECK(date_bad("2024-01--1"));
	CHECK(date_bad("20240101"));
	CHECK(date_bad("2024-0a-01"));
}

int
main(void)
{
	test_uint();
	test_size();
	test_duration();
	test_percent();
	test_bool();
	test_date();
	return tap_done();
}
