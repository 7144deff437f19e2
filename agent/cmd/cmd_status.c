/*
 * cmd_status.c -- the last result of each step, for people and monitoring.
 * The exit status is the worst status of the last run of every step.
 */
#include <stdio.h>
#include <time.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/state.h"
#include "geosnap/util.h"

static const char usage[] = "usage: geosnap-agent status [--json]\n"
                            "Last run of each step per tenant and remote: result, bytes,\n"
                            "duration and age; a result acknowledged with geosnap-agent ack\n"
                            "says by whom and when.  Exit status: the worst of those results\n"
                            "(acknowledged or not).\n";

static void
iso(char *out, size_t cap, int64_t ns)
{
	if (ns <= 0)
		snprintf(out, cap, "never");
	else
		gs_iso_time(out, cap, ns / GS_NS_PER_S);
}

/* cmd_status(o, argc, argv): the status command (usage above); its exit status. */
int
cmd_status(struct agent_opts *o, int argc, char **argv)
{
	struct gs_status_line *v;
	int64_t now = gs_now_ns();
	size_t n;
	int rc;

	if ((rc = agent_parse_common(o, argc, argv, usage)) >= 0)
		return rc;
	if ((rc = agent_check_dirs(o, AD_STATE)) != 0)
		return rc;
	if (gs_status_load(o->cfg->state_dir, &v, &n))
		return GS_EXIT_FAIL;
	if (n == 0) {
		gs_warn("no step has run yet (%s/status.tsv is missing)", o->cfg->state_dir);
		return GS_EXIT_FAIL;
	}
	if (!o->json)
		printf("%-8s %-12s %-10s %-9s %-20s %10s %14s %9s\n", "STEP", "TENANT", "REMOTE",
		       "RESULT", "LAST RUN", "AGE", "BYTES", "DURATION");
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		char when[32], ok[32], acked[32];
		double age = (double)(now - v[i].start_ns) / 1e9;

		iso(when, sizeof(when), v[i].start_ns);
		iso(ok, sizeof(ok), v[i].last_ok_ns);
		iso(acked, sizeof(acked), v[i].ack_ns);
		rc = agent_worst(rc, v[i].status);
		if (o->json) {
			printf("{\"step\":");
			gs_json_str(stdout, v[i].step);
			printf(",\"tenant\":");
			v[i].tenant ? gs_json_str(stdout, v[i].tenant)
			            : (void)fputs("null", stdout);
			printf(",\"remote\":");
			v[i].remote ? gs_json_str(stdout, v[i].remote)
			            : (void)fputs("null", stdout);
			printf(
			    ",\"status\":%d,\"result\":\"%s\",\"last_run\":\"%s\",\"age_s\":%.0f,"
			    "\"last_success\":\"%s\",\"duration_s\":%.3f,\"files\":%llu,"
			    "\"bytes\":%llu,\"new_bytes\":%llu,\"message\":",
			    v[i].status, gs_step_result(v[i].status), when, age, ok,
			    (double)v[i].duration_ns / 1e9, (unsigned long long)v[i].files,
			    (unsigned long long)v[i].bytes, (unsigned long long)v[i].new_bytes);
			v[i].message ? gs_json_str(stdout, v[i].message)
			             : (void)fputs("null", stdout);
			if (v[i].ack_ns > 0) {
				printf(",\"acknowledged\":\"%s\",\"acknowledged_by\":", acked);
				gs_json_str(stdout, v[i].ack_by ? v[i].ack_by : "");
			} else {
				printf(",\"acknowledged\":null,\"acknowledged_by\":null");
			}
			printf("}\n");
		} else {
			printf("%-8s %-12s %-10s %-9s %-20s %9.0fs %14llu %8.1fs\n", v[i].step,
			       v[i].tenant ? v[i].tenant : "-", v[i].remote ? v[i].remote : "-",
			       gs_step_result(v[i].status), when, age,
			       (unsigned long long)v[i].bytes, (double)v[i].duration_ns / 1e9);
			if (v[i].message && v[i].status != GS_EXIT_OK)
				printf("         %s\n", v[i].message);
			if (v[i].ack_ns > 0)
				printf("         acknowledged by %s at %s\n",
				       v[i].ack_by ? v[i].ack_by : "?", acked);
		}
	}
	gs_status_free(v, n);
	return rc;
}
