/*
 * audit_append.c -- append records to an audit log through the agent's own
 * writer (gs_audit_write), so that a test can build a log of many nights
 * in a moment.  Used by the tests in tests/audit/.
 *
 *   audit_append LOG KEY HOST < SPEC
 *
 * KEY is the minisign secret key that signs the log ("-": unsigned).  Each
 * SPEC line is TAB-separated: TIME, EVENT, then fields key=value (a
 * string), key:=json (a raw JSON value: numbers, null, objects).  TIME is
 * seconds since the epoch or YYYY-MM-DDTHH:MM:SSZ.  Exit 0, or 1 naming
 * the line that failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "geosnap/audit.h"
#include "geosnap/util.h"

/* when(s, ret): TIME as nanoseconds since the epoch. */
static int
when(const char *s, int64_t *ret)
{
	struct tm tm;
	char *end;
	long long v;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end != NULL && *end == '\0') {
		*ret = (int64_t)timegm(&tm) * GS_NS_PER_S;
		return 0;
	}
	v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s)
		return -1;
	*ret = (int64_t)v * GS_NS_PER_S;
	return 0;
}

int
main(int argc, char **argv)
{
	struct gs_audit_conf c = {0};
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;

	if (argc != 4) {
		fprintf(stderr, "usage: audit_append LOG KEY HOST < SPEC\n");
		return 2;
	}
	gs_set_progname("audit_append");
	if (sodium_init() < 0)
		return 1;
	c.log = argv[1];
	c.key = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	c.host = argv[3];
	while ((len = getline(&line, &cap, stdin)) > 0) {
		struct gs_audit_rec r;
		char *save = NULL, *tok, *ev, *eq;
		int64_t t;

		lineno++;
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		tok = strtok_r(line, "\t", &save);
		ev = strtok_r(NULL, "\t", &save);
		if (tok == NULL || ev == NULL || when(tok, &t) || gs_audit_rec_init(&r, ev)) {
			fprintf(stderr, "audit_append: line %zu: bad TIME or EVENT\n", lineno);
			return 1;
		}
		r.time_ns = t;
		while ((tok = strtok_r(NULL, "\t", &save)) != NULL) {
			if ((eq = strchr(tok, '=')) == NULL) {
				fprintf(stderr, "audit_append: line %zu: no '=' in %s\n", lineno,
				        tok);
				return 1;
			}
			*eq = '\0';
			if (eq > tok && eq[-1] == ':') {
				eq[-1] = '\0';
				gs_audit_rec_raw(&r, tok, eq + 1);
			} else {
				gs_audit_rec_str(&r, tok, eq + 1);
			}
		}
		if (gs_audit_write(&c, &r) < 0) {
			fprintf(stderr, "audit_append: line %zu: not appended\n", lineno);
			return 1;
		}
	}
	free(line);
	return 0;
}
