/*
 * parse.c -- strict value parsers for the configuration.
 *
 * Every parser accepts the whole string or nothing: no sign, no blanks, no
 * trailing text, no empty string, and arithmetic overflow is an error.  The
 * configuration reader names the key and quotes the value; these functions
 * only say yes or no and never print.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "geosnap/util.h"

/*
 * digits(sp, ret): parse one or more decimal digits at *sp into *ret and
 * advance *sp past them.  Returns 0, or -1 (nothing changed) when *sp does
 * not start with a digit or the number does not fit in 64 bits.
 */
static int
digits(const char **sp, uint64_t *ret)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*sp = s;
	*ret = v;
	return 0;
}

/*
 * gs_parse_uint(s, max, ret): decimal integer in [0, max].  Returns 0, or
 * -1 with *ret untouched.
 */
int
gs_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v;

	if (digits(&s, &v) || *s != '\0' || v > max)
		return -1;
	*ret = v;
	return 0;
}

/*
 * gs_parse_size(s, ret): "100" (bytes), "512K", "16M", "1G", "2T", or the
 * same with "iB" after the unit ("16MiB").  Units are binary (K = 1024)
 * and case-sensitive; "MB" is refused because it is ambiguous.  Returns 0,
 * or -1 with *ret untouched.
 */
int
gs_parse_size(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
	    {"", 0},   {"K", 10},   {"KiB", 10}, {"M", 20},   {"MiB", 20},
	    {"G", 30}, {"GiB", 30}, {"T", 40},   {"TiB", 40},
	};
	uint64_t v;
	size_t i;

	if (digits(&s, &v))
		return -1;
	for (i = 0; i < GS_NELEM(units); i++) {
		if (strcmp(s, units[i].suffix) != 0)
			continue;
		if (v > (UINT64_MAX >> units[i].shift))
			return -1;
		*ret = v << units[i].shift;
		return 0;
	}
	return -1;
}

/*
 * gs_parse_duration(s, ret): an integer and one unit s, m, h, d or w
 * ("90d", "12h", "30m", "45s", "2w"), or a bare "0"; the result is in
 * seconds.  Returns 0, or -1 with *ret untouched.
 */
int
gs_parse_duration(const char *s, uint64_t *ret)
{
	uint64_t v, mult;

	if (digits(&s, &v))
		return -1;
	if (*s == '\0') {
		/* A bare number has no obvious unit; only zero is unambiguous. */
		if (v != 0)
			return -1;
		*ret = 0;
		return 0;
	}
	if (s[1] != '\0')
		return -1;
	switch (*s) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (v > UINT64_MAX / mult)
		return -1;
	*ret = v * mult;
	return 0;
}

/*
 * gs_parse_percent(s, ret_ppm): "3%", "0.5%", "100%": an integer part, an
 * optional '.' with one to six decimals, and a mandatory '%'; the value
 * must lie in [0, 100] and be a whole number of parts per million (a
 * multiple of 0.0001%, so "0.00005%" is refused rather than rounded).  The
 * result is in parts per million of the whole (3% = 30000).  Returns 0, or
 * -1 with *ret_ppm untouched.
 */
int
gs_parse_percent(const char *s, uint32_t *ret_ppm)
{
	uint64_t ip, frac = 0, micro; /* micro: millionths of a percent */

	if (digits(&s, &ip) || ip > 100)
		return -1;
	if (*s == '.') {
		unsigned nd = 0;

		s++;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (++nd > 6)
				return -1;
			frac = frac * 10 + (uint64_t)(*s - '0');
		}
		if (nd == 0)
			return -1;
		for (; nd < 6; nd++)
			frac *= 10;
	}
	if (strcmp(s, "%") != 0)
		return -1;
	micro = ip * 1000000 + frac;
	/* 1 ppm = 0.0001% = 100 millionths of a percent. */
	if (micro > 100 * 1000000 || micro % 100 != 0)
		return -1;
	*ret_ppm = (uint32_t)(micro / 100);
	return 0;
}

/*
 * gs_parse_bool(s, ret): yes/no, true/false, on/off, 1/0 (letters in any
 * case).  Sets *ret to 1 or 0 and returns 0, or returns -1 with *ret
 * untouched.
 */
int
gs_parse_bool(const char *s, int *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < GS_NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	return -1;
}

/*
 * gs_parse_date(s, ret): "YYYY-MM-DD", a real calendar day from 1970-01-01
 * to 9999-12-31, to the unix time of its UTC midnight.  Returns 0, or -1
 * with *ret untouched.
 */
int
gs_parse_date(const char *s, int64_t *ret)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int year = 0, mon = 0, day = 0, leap, dim;
	struct tm tm;
	time_t t;
	size_t i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (i < 4)
			year = year * 10 + (s[i] - '0');
		else if (i < 7)
			mon = mon * 10 + (s[i] - '0');
		else
			day = day * 10 + (s[i] - '0');
	}
	if (year < 1970 || mon < 1 || mon > 12 || day < 1)
		return -1;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	dim = mdays[mon - 1] + (mon == 2 && leap);
	if (day > dim)
		return -1;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ret = (int64_t)t;
	return 0;
}
