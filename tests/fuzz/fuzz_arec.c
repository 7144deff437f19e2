/*
 * fuzz_arec.c -- one audit record line as the auditor's report reads it
 * (restore/report/record.c), then through the report: its field checks,
 * the analysis and the HTML and CSV writers, which must escape whatever
 * the line holds.  The seeds are records of each kind the report knows.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "geosnap/audit.h"
#include "report/record.h"
#include "report/report.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gs_report r;
	struct gs_arec a;
	char why[256];
	FILE *f;
	size_t i;

	if (size > GS_AUDIT_LINE_MAX + 1)
		return 0;
	if (gs_arec_parse((const char *)data, size, &a, why, sizeof(why)) == 0) {
		for (i = 0; i < a.nf; i++)
			if (a.f[i].key == NULL || gs_arec_field(&a, a.f[i].key) != &a.f[i])
				__builtin_trap();
		if (strlen(a.hash) != 64 || a.seq == 0)
			__builtin_trap();
		gs_arec_clear(&a);
	} else if (why[0] == '\0') {
		__builtin_trap(); /* a refusal always says why */
	}
	/* 2026-03-01 .. 03-03, "now" after it */
	gs_report_init(&r, 1772323200, 1772323200 + 3 * 86400, 1772323200 + 4 * 86400, 86400);
	if (gs_report_log(&r, NULL, "fuzz") == NULL)
		return 0;
	r.logs[0].vrc = 0;
	for (i = 1; i <= 2; i++)
		gs_report_record(&r, 0, i, (const char *)data, size);
	if (gs_report_build(&r) == 0 && (f = fopen("/dev/null", "w")) != NULL) {
		gs_report_html(&r, f);
		gs_report_csv(&r, f);
		gs_report_md(&r, f);
		gs_report_json(&r, f);
		fclose(f);
	}
	gs_report_free(&r);
	return 0;
}

#define HEAD(seq, t, ev)                                                                           \
	"{\"v\":1,\"seq\":" #seq ",\"prev\":\"000000000000000000000000000000000000000000000000000" \
	"0000000000000\",\"time\":\"2026-03-01T02:00:0" #t "Z\",\"time_ns\":177233040" #t          \
	"000000000,\"host\":\"web1\",\"event\":\"" ev "\""

static const char *const seeds[] = {
    HEAD(1, 0, "backup") ",\"tenant\":\"acme\",\"remote\":null,\"status\":0,\"result\":\"ok\","
                         "\"duration_s\":1.250,\"files\":10,\"bytes\":1000,\"new_bytes\":100,"
                         "\"snapshot\":\"abc\",\"message\":null}",
    HEAD(1, 1, "verify") ",\"tenant\":\"acme\",\"remote\":\"fi1\",\"status\":1,\"result\":"
                         "\"problem\",\"message\":\"a \\\"quoted\\\" </script> \\u20ac "
                         "\\ud83d\\ude00 \\udcff\"}",
    HEAD(1, 2, "run") ",\"tenant\":null,\"remote\":null,\"status\":3,\"result\":\"failed\"}",
    HEAD(1, 3, "ack") ",\"step\":\"run\",\"tenant\":null,\"note\":\"seen\"}",
    HEAD(1, 4, "restore-test") ",\"tenant\":\"acme\",\"from\":\"fi1\",\"snapshot\":\"s\","
                               "\"status\":0,\"files\":7,\"bytes\":777,\"mismatches\":0,"
                               "\"ttfb_s\":0.1,\"duration_s\":0.7,\"throughput\":1110.0}",
    HEAD(1, 5, "expire") ",\"tenant\":\"acme\",\"list\":[1,-2.5e3,{\"a\":[true,false,null]}],"
                         "\"n\":-9223372036854775808}",
};

int
fuzz_seed(int i, struct gs_buf *out)
{
	if (i >= (int)(sizeof(seeds) / sizeof(seeds[0])))
		return 1;
	gs_buf_put(out, seeds[i], strlen(seeds[i]));
	return 0;
}
