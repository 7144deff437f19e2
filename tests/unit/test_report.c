/*
 * test_report.c -- the auditor's report without a log on disk: the strict
 * record parser (restore/report/record.c) on good and hostile lines, and
 * the analysis (model.c, gaps.c) and writers on an in-memory list of
 * records: nights, acknowledgements, gaps, and escaping in every format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/util.h"
#include "report/record.h"
#include "report/report.h"
#include "tap.h"

#define DAY 86400LL
/* 2026-03-01T00:00:00Z */
#define T0 1772323200LL

static char line[GS_AUDIT_LINE_MAX + 64];

/* mk(seq, t, event, extra): a record line with the common fields. */
static const char *
mk(uint64_t seq, int64_t t, const char *host, const char *event, const char *extra)
{
	char iso[GS_ISO_TIME_MAX];

	gs_iso_time(iso, sizeof(iso), t);
	snprintf(
	    line, sizeof(line),
	    "{\"v\":1,\"seq\":%llu,\"prev\":\"%064d\",\"time\":\"%s\",\"time_ns\":%lld000000000,"
	    "\"host\":\"%s\",\"event\":\"%s\"%s}",
	    (unsigned long long)seq, 0, iso, (long long)t, host, event, extra);
	return line;
}

/* parses(s, why_part): 1 when s parses (why_part NULL) or is refused with
 * a reason containing why_part. */
static int
parses(const char *s, size_t len, const char *why_part)
{
	struct gs_arec a;
	char why[256];
	int rc = gs_arec_parse(s, len, &a, why, sizeof(why));

	if (rc == 0)
		gs_arec_clear(&a);
	if (why_part == NULL)
		return rc == 0;
	if (rc == 0 || strstr(why, why_part) == NULL) {
		fprintf(stderr, "  wanted '%s', got '%s' for %.120s\n", why_part,
		        rc ? why : "(parsed)", s);
		return 0;
	}
	return 1;
}

#define GOOD(s) CHECK(parses(s, strlen(s), NULL))
#define REFUSED(s, why) CHECK(parses(s, strlen(s), why))

static void
test_parse(void)
{
	struct gs_arec a;
	char why[256], hex[65], *big;
	uint8_t h[32];
	int64_t v;
	double d;

	mk(7, T0, "web1", "backup",
	   ",\"tenant\":\"acme\",\"remote\":null,\"status\":0,\"bytes\":123456789012,"
	   "\"duration_s\":1.250,\"ok\":true,\"nested\":{\"a\":[1,2,{\"b\":\"\\u00e9\"}]},"
	   "\"msg\":\"a\\\"b\\\\c\\n\\u20ac\\ud83d\\ude00 \\udcff\"");
	CHECK(gs_arec_parse(line, strlen(line), &a, why, sizeof(why)) == 0);
	crypto_hash_sha256(h, (const uint8_t *)line, strlen(line));
	gs_hex(hex, h, 32);
	CHECK(a.seq == 7 && a.time_ns == T0 * 1000000000LL && strcmp(a.host, "web1") == 0);
	CHECK(strcmp(a.event, "backup") == 0 && strcmp(a.time, "2026-03-01T00:00:00Z") == 0);
	CHECK(strcmp(a.hash, hex) == 0);
	CHECK(strcmp(gs_arec_str(&a, "tenant"), "acme") == 0 && gs_arec_str(&a, "remote") == NULL);
	CHECK(gs_arec_int(&a, "bytes", &v) == 0 && v == 123456789012LL);
	CHECK(gs_arec_num(&a, "duration_s", &d) == 0 && d == 1.25);
	CHECK(gs_arec_int(&a, "duration_s", &v) == -1);
	CHECK(gs_arec_field(&a, "ok")->type == GS_J_BOOL && gs_arec_field(&a, "ok")->i == 1);
	CHECK(gs_arec_field(&a, "nested")->type == GS_J_RAW &&
	      strcmp(gs_arec_field(&a, "nested")->s, "{\"a\":[1,2,{\"b\":\"\\u00e9\"}]}") == 0);
	/* escapes decoded: \u20ac, a surrogate pair, and \udcff back to byte 0xff */
	CHECK(strcmp(gs_arec_str(&a, "msg"), "a\"b\\c\n\xe2\x82\xac\xf0\x9f\x98\x80 \xff") == 0);
	gs_arec_clear(&a);

	/* what a log may hold that is malformed */
	REFUSED("", "not a JSON object");
	REFUSED("[1]", "not a JSON object");
	REFUSED(mk(1, T0, "web1", "run", ",\"status\":0,}"), "expected a string");
	REFUSED(mk(1, T0, "web1", "run", ",\"status\" 0"), "expected ':'");
	REFUSED(mk(1, T0, "web1", "run", ",\"status\":01"), "expected ',' or '}'");
	REFUSED(mk(1, T0, "web1", "run", ",\"status\":-"), "expected a digit");
	REFUSED(mk(1, T0, "web1", "run", ",\"status\":1.e5"), "expected a digit");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":tru"), "expected a value");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":'a'"), "expected a value");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"a\tb\""), "control character 0x09");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"a\x1b[2Jb\""), "control character 0x1b");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"\\u0000\""), "\\u0000");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"\\ud800\""), "lone high surrogate");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"\\udc10\""), "lone low surrogate");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"\\x41\""), "bad escape");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"\xc3\x28\""), "not UTF-8");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"\xed\xa0\x80\""), "not UTF-8");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":1,\"x\":2"), "key 'x' given twice");
	REFUSED(mk(1, T0, "web1", "run", ",\"Status\":0"), "bad key");
	REFUSED(mk(1, T0, "web1", "run", ",\"a b\":0"), "bad key");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]"),
	        "nested deeper than 16");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":[1,]"), "expected a value");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":{\"a\"}"), "expected ':'");
	REFUSED(mk(1, T0, "web1", "run", "} {"), "data after the object");
	REFUSED(mk(1, T0, "web1", "run", ",\"x\":\"abc"), "unterminated string");
	/* huge numbers: too long refused; long but valid kept as text */
	REFUSED(mk(1, T0, "web1", "run", ",\"bytes\":1234567890123456789012345678901234567890123"),
	        "number longer than 40");
	mk(1, T0, "web1", "run", ",\"bytes\":99999999999999999999999,\"f\":1e400");
	CHECK(gs_arec_parse(line, strlen(line), &a, why, sizeof(why)) == 0);
	CHECK(gs_arec_field(&a, "bytes")->type == GS_J_NUM);
	CHECK(gs_arec_int(&a, "bytes", &v) == -1 && gs_arec_num(&a, "f", &d) == -1);
	gs_arec_clear(&a);
	GOOD(mk(1, T0, "web1", "run", ",\"n\":-9223372036854775808,\"m\":-0.5e-3"));
	/* the common fields */
	REFUSED("{\"v\":2,\"seq\":1}", "unknown format version 2");
	REFUSED("{\"v\":1,\"seq\":0}", "bad seq 0");
	REFUSED("{\"v\":1,\"seq\":\"1\"}", "field 'seq' missing or not an integer");
	REFUSED(mk(1, T0, "web 1", "run", ""), "not a host name");
	REFUSED(mk(1, T0, "web1", "Run!", ""), "field 'event'");
	REFUSED("{\"v\":1,\"seq\":1,\"prev\":\"00\",\"time\":\"x\",\"time_ns\":0,\"host\":\"h\","
	        "\"event\":\"e\"}",
	        "field 'prev' is not 64 hex digits");
	snprintf(line, sizeof(line),
	         "{\"v\":1,\"seq\":1,\"prev\":\"%064d\",\"time\":\"2026-03-01T00:00:00Z\","
	         "\"time_ns\":5,\"host\":\"h\",\"event\":\"e\"}",
	         0);
	REFUSED(line, "does not match time_ns");
	/* a line over GS_AUDIT_LINE_MAX */
	big = malloc(GS_AUDIT_LINE_MAX + 2);
	memset(big, ' ', GS_AUDIT_LINE_MAX + 1);
	big[GS_AUDIT_LINE_MAX + 1] = '\0';
	CHECK(parses(big, GS_AUDIT_LINE_MAX + 1, "longer than"));
	free(big);
	/* 129 fields */
	{
		char extra[129 * 12 + 1], *p = extra;
		int i;

		for (i = 0; i < 122; i++)
			p += sprintf(p, ",\"k%d\":1", i);
		REFUSED(mk(1, T0, "web1", "run", extra), "more than 128 fields");
	}
}

/* add(r, log, seq, t, host, event, extra): a record into r through the
 * callback's path. */
static void
add(struct gs_report *r, size_t log, uint64_t seq, int64_t t, const char *host, const char *event,
    const char *extra)
{
	const char *s = mk(seq, t, host, event, extra);

	CHECK(gs_report_record(r, log, seq, s, strlen(s)) == 0);
}

/* out(r, fn): what a writer wrote, malloc'd. */
static char *
out(const struct gs_report *r, int (*fn)(const struct gs_report *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL && fn(r, f) == 0);
	fclose(f);
	return buf;
}

static const struct gs_rgap *
find_gap(const struct gs_report *r, enum gs_gap_kind k, const char *date, const char *part)
{
	size_t i;

	for (i = 0; i < r->ngaps; i++) {
		const struct gs_rgap *g = &r->gaps[i];

		if (g->kind == k && (date == NULL || strcmp(g->date, date) == 0) &&
		    (part == NULL || strstr(g->detail, part) != NULL))
			return g;
	}
	return NULL;
}

static void
test_model(void)
{
	struct gs_report r;
	struct gs_rlog *l;
	const struct gs_rtenant *t;
	char *s, text[512];
	int64_t night;
	uint64_t seq = 0;
	int d;

	/* Five days, 2026-03-01..05, all over by "now". */
	gs_report_init(&r, T0, T0 + 5 * DAY, T0 + 10 * DAY, 30 * DAY);
	CHECK(r.ndays == 5);
	l = gs_report_log(&r, NULL, "test log");
	l->vrc = 0;
	l = gs_report_log(&r, "bad", "forged log");
	l->vrc = 1;
	l->v.bad_seq = 3;
	snprintf(l->v.why, sizeof(l->v.why), "signature does not match the file");
	/* a restore test 10 days before the period: within max_age */
	add(&r, 0, ++seq, T0 - 10 * DAY, "web1", "restore-test",
	    ",\"tenant\":\"acme\",\"status\":0,\"bytes\":100,\"duration_s\":2");
	for (d = 0; d < 5; d++) {
		night = T0 + d * DAY + 7200;
		if (d == 2)
			continue; /* no run on 2026-03-03 */
		add(&r, 0, ++seq, night, "web1", "backup",
		    d == 1 ? ",\"tenant\":\"acme\",\"status\":3,\"result\":\"failed\",\"message\":"
		             "\"disk </script><b>full\""
		    : d == 3 ? ",\"tenant\":\"acme\",\"status\":4,\"bytes\":1000,\"new_bytes\":10"
		             : ",\"tenant\":\"acme\",\"status\":0,\"bytes\":1000,\"new_bytes\":10,"
		               "\"duration_s\":1.5");
		add(&r, 0, ++seq, night + 10, "web1", "verify",
		    d == 4 ? ",\"tenant\":\"acme\",\"remote\":\"fi1\",\"status\":1,\"files\":3"
		           : ",\"tenant\":\"acme\",\"remote\":\"fi1\",\"status\":0,\"files\":3,"
		             "\"bytes\":300");
		add(&r, 0, ++seq, night, "web1", "run",
		    d == 1 || d == 4 ? ",\"status\":3" : ",\"status\":0");
		if (d == 1)
			add(&r, 0, ++seq, night + 3600, "web1", "ack",
			    ",\"step\":\"backup\",\"tenant\":\"acme\",\"note\":\"disk replaced\"");
	}
	/* malformed records are counted, not kept */
	s = strdup(
	    mk(++seq, T0 + 3 * DAY, "web1", "backup", ",\"tenant\":\"acme\",\"status\":\"x\""));
	CHECK(gs_report_record(&r, 0, seq, s, strlen(s)) == 0);
	free(s);
	s = strdup(mk(++seq, T0 + 3 * DAY, "web1", "backup", ",\"bytes\":99999999999999999999999"));
	CHECK(gs_report_record(&r, 0, seq, s, strlen(s)) == 0);
	free(s);
	CHECK(gs_report_record(&r, 0, ++seq, "{\"v\":1", 6) == 0);
	/* an unknown event, listed generically */
	add(&r, 0, ++seq, T0 + 4 * DAY + 9000, "web1", "expire",
	    ",\"tenant\":\"acme\",\"snapshots\":3,\"note\":\"=cmd|' /C calc'!A0\"");
	CHECK(r.logs[0].malformed == 3 && r.logs[0].malformed_seq == seq - 3);
	CHECK(strcmp(r.logs[0].host, "web1") == 0);

	CHECK(gs_report_build(&r) == 0);
	CHECK(r.ntenants == 1);
	t = &r.tenants[0];
	CHECK(strcmp(t->name, "acme") == 0);
	CHECK((t->cells[0] & 0x0f) == GS_OUT_OK);
	CHECK((t->cells[1] & 0x0f) == GS_OUT_ACK);
	CHECK((t->cells[2] & 0x0f) == GS_OUT_NONE);
	CHECK((t->cells[3] & 0x0f) == GS_OUT_WARN);
	CHECK((t->cells[4] & 0x0f) == GS_OUT_FAIL);
	CHECK(t->nights[GS_OUT_OK] == 1 && t->nights[GS_OUT_NONE] == 1);
	CHECK(t->backups == 4 && t->backup_bytes == 3000 && t->backup_new_bytes == 30);
	CHECK(t->nparity == 1 && t->parity[0].checks == 4 && t->parity[0].failed == 1 &&
	      t->parity[0].objects == 12 && t->parity[0].bytes == 900);
	CHECK(t->last_rtest != NULL && t->last_rtest->r.seq == 1);
	/* gaps: the forged log, the malformed records, the missing night, the
	 * failed verify and run of 03-05 (the run of 03-02 is acknowledged
	 * through its backup), and no restore test in 15 days of the period */
	CHECK(r.gap_count[GS_GAP_LOG] == 2);
	CHECK(find_gap(&r, GS_GAP_LOG, NULL, "does not verify: signature does not match") != NULL);
	CHECK(find_gap(&r, GS_GAP_LOG, NULL, "3 malformed record(s)") != NULL);
	CHECK(r.gap_count[GS_GAP_NIGHT] == 1 && find_gap(&r, GS_GAP_NIGHT, "2026-03-03", NULL));
	CHECK(r.gap_count[GS_GAP_UNACK] == 2);
	CHECK(find_gap(&r, GS_GAP_UNACK, "2026-03-05", "verify of tenant acme on fi1") != NULL);
	CHECK(find_gap(&r, GS_GAP_UNACK, "2026-03-05", "run ended failed") != NULL);
	CHECK(r.gap_count[GS_GAP_RTEST] == 0);

	/* escaping: no markup from the log survives in HTML or Markdown */
	s = out(&r, gs_report_html);
	CHECK(strstr(s, "</script>") == NULL && strstr(s, "<b>full") == NULL);
	CHECK(strstr(s, "disk &lt;/script&gt;&lt;b&gt;full") != NULL);
	CHECK(strstr(s, "<script") == NULL && strstr(s, "http://") == strstr(s, "http://www.w3"));
	CHECK(strstr(s, "default-src 'none'") != NULL);
	free(s);
	s = out(&r, gs_report_md);
	CHECK(strstr(s, "</script>") == NULL && strstr(s, "&lt;/script&gt;") != NULL);
	CHECK(strstr(s, "acme                 oa.wF") != NULL);
	free(s);
	s = out(&r, gs_report_csv);
	CHECK(strstr(s, "\"disk </script><b>full\"") != NULL);
	CHECK(strstr(s, "\"'=cmd|' /C calc'!A0\"") != NULL);
	free(s);
	s = out(&r, gs_report_json);
	CHECK(strstr(s, "\"message\":\"disk </script><b>full\"") != NULL);
	CHECK(strstr(s, "\"gap_count\":5") != NULL);
	free(s);
	gs_report_free(&r);

	/* no restore test at all, and a stale one */
	gs_report_init(&r, T0, T0 + 60 * DAY, T0 + 61 * DAY, 30 * DAY);
	gs_report_log(&r, NULL, "log")->vrc = 0;
	add(&r, 0, 1, T0 + DAY, "web1", "restore-test", ",\"tenant\":\"a\",\"status\":0");
	add(&r, 0, 2, T0 + 2 * DAY, "web1", "backup", ",\"tenant\":\"b\",\"status\":0");
	add(&r, 0, 3, T0 + 3 * DAY, "web1", "restore-test", ",\"tenant\":\"b\",\"status\":1");
	add(&r, 0, 4, T0 + 4 * DAY, "web1", "ack", ",\"step\":\"restore-test\",\"note\":\"n\"");
	/* after the period: kept (for acks) but not evidence for it */
	add(&r, 0, 5, T0 + 70 * DAY, "web1", "restore-test", ",\"tenant\":\"a\",\"status\":0");
	CHECK(gs_report_build(&r) == 0);
	CHECK(r.ntenants == 2 && r.tenants[0].last_rtest != NULL &&
	      r.tenants[0].last_rtest->r.seq == 1 && r.tenants[0].rtests == 1);
	CHECK(r.gap_count[GS_GAP_RTEST] == 2 && r.gap_count[GS_GAP_UNACK] == 0);
	CHECK(find_gap(&r, GS_GAP_RTEST, NULL, "tenant a: 59 days since the last") != NULL);
	CHECK(find_gap(&r, GS_GAP_RTEST, NULL, "tenant b: no passed restore test") != NULL);
	CHECK(r.gap_count[GS_GAP_NIGHT] == 0); /* no run records: not a nightly host */
	gs_report_free(&r);

	/* geosnap-agent ack names its record exactly (acked_time_ns): the
	 * older of two failures; a second ack of it is a follow-up */
	gs_report_init(&r, T0, T0 + 5 * DAY, T0 + 6 * DAY, 30 * DAY);
	gs_report_log(&r, NULL, "log")->vrc = 0;
	add(&r, 0, 1, T0 + DAY, "web1", "backup", ",\"tenant\":\"a\",\"remote\":null,\"status\":3");
	add(&r, 0, 2, T0 + 2 * DAY, "web1", "backup",
	    ",\"tenant\":\"a\",\"remote\":null,\"status\":3");
	snprintf(text, sizeof(text),
	         ",\"step\":\"backup\",\"tenant\":\"a\",\"remote\":null,\"acked_status\":3,"
	         "\"acked_time_ns\":%lld000000000,\"note\":\"first\",\"operator\":\"ops\"",
	         (long long)(T0 + DAY));
	add(&r, 0, 3, T0 + 3 * DAY, "web1", "ack", text);
	strcpy(strstr(text, "\"ops\""), "\"ops2\""); /* the follow-up, by ops2 */
	add(&r, 0, 4, T0 + 3 * DAY + 60, "web1", "ack", text);
	CHECK(gs_report_build(&r) == 0);
	CHECK(r.nitems == 4 && r.items[0].r.seq == 1 && r.items[0].ack_seq == 3);
	CHECK(r.items[1].r.seq == 2 && r.items[1].ack_seq == 0);
	CHECK(r.items[2].acks == 1 && r.items[3].acks == 1);
	CHECK(r.gap_count[GS_GAP_UNACK] == 1 && find_gap(&r, GS_GAP_UNACK, "2026-03-03", NULL));
	s = out(&r, gs_report_html);
	CHECK(strstr(s, "<td>ops2</td>") != NULL);
	free(s);
	gs_report_free(&r);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	gs_set_quiet(1);
	test_parse();
	test_model();
	return tap_done();
}
