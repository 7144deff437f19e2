/*
 * cmd_report.c -- geosnap-restore report: the auditor's report of a period
 * (restore/report/, docs/AUDIT.md "The auditor's report"): the options,
 * the period, the configuration, then gather, build and write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "geosnap/util.h"
#include "report/report.h"

static const char usage[] =
    "usage: geosnap-restore report --format html|md|json|csv --output FILE\n"
    "         [--since DATE] [--until DATE] [--from REMOTE] [--log FILE] [--pubkey FILE]\n"
    "  The auditor's report of a period (DATE: YYYY-MM-DD, UTC, both days\n"
    "  included; by default the 30 days before today and today): the\n"
    "  verification of every audit log, the gaps (a night with no run, a failure\n"
    "  never acknowledged, a tenant not restore-tested within\n"
    "  restore_test_max_age, a log that does not verify), each tenant's nights,\n"
    "  parity per copy, restore tests, acknowledgements and other records.\n"
    "  The logs: --log FILE (else the configuration's audit_log), checked with\n"
    "  --pubkey FILE or its [host \"NAME\"] audit_pubkey; with --from REMOTE (a\n"
    "  configured remote) also checked against the copy shipped there, and the\n"
    "  log of every other host found under the remote's log/.  --output -\n"
    "  writes to stdout.  Exit 0: no gap; 1: gaps called out; 2: usage; 3: the\n"
    "  remote or the output could not be reached or written.\n";

#define DAY 86400

/* period(a, now, ret_since, ret_until): [since, until) in seconds. */
static int
period(const struct gs_cmd_args *a, int64_t now, int64_t *ret_since, int64_t *ret_until)
{
	int64_t since, until;

	if (a->until != NULL) {
		if (gs_parse_date(a->until, &until)) {
			gs_warn("report: --until %s: expected YYYY-MM-DD", a->until);
			return -1;
		}
		until += DAY;
	} else {
		until = now;
	}
	if (a->since != NULL) {
		if (gs_parse_date(a->since, &since)) {
			gs_warn("report: --since %s: expected YYYY-MM-DD", a->since);
			return -1;
		}
	} else {
		since = ((until - 1) / DAY - 30) * DAY;
		if (since < 0)
			since = 0;
	}
	if (since >= until) {
		gs_warn("report: the period is empty (--since after --until)");
		return -1;
	}
	if ((until - since) / DAY > GS_REPORT_DAYS_MAX) {
		gs_warn("report: the period is longer than %d days", GS_REPORT_DAYS_MAX);
		return -1;
	}
	*ret_since = since;
	*ret_until = until;
	return 0;
}

/* wanted(r, cfg): the configuration's tenants and hosts, which the report
 * covers even when they recorded nothing.  0 or -1. */
static int
wanted(struct gs_report *r, const struct gs_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return 0;
	r->config = cfg->path;
	if (cfg->ntenants > 0 &&
	    (r->want_tenants = calloc(cfg->ntenants, sizeof(*r->want_tenants))) == NULL)
		return -1;
	for (i = 0; i < cfg->ntenants; i++)
		r->want_tenants[r->nwant_tenants++] = cfg->tenants[i].name;
	if (cfg->nhosts > 0 &&
	    (r->want_hosts = calloc(cfg->nhosts, sizeof(*r->want_hosts))) == NULL)
		return -1;
	for (i = 0; i < cfg->nhosts; i++)
		r->want_hosts[r->nwant_hosts++] = cfg->hosts[i].name;
	return 0;
}

/* write_out(r, format, path): the report into path (a temporary file
 * renamed over it) or stdout ("-").  GS_EXIT_OK or GS_EXIT_FAIL (warned). */
static int
write_out(const struct gs_report *r, const char *format, const char *path)
{
	int (*fn)(const struct gs_report *, FILE *) = strcmp(format, "html") == 0   ? gs_report_html
	                                              : strcmp(format, "md") == 0   ? gs_report_md
	                                              : strcmp(format, "json") == 0 ? gs_report_json
	                                                                            : gs_report_csv;
	char *tmp;
	FILE *f;
	int fd;

	if (strcmp(path, "-") == 0) {
		if (fn(r, stdout) || fflush(stdout)) {
			gs_warnp("report: writing to stdout");
			return GS_EXIT_FAIL;
		}
		return GS_EXIT_OK;
	}
	if ((tmp = gs_asprintf("%s.tmp-XXXXXX", path)) == NULL)
		return GS_EXIT_FAIL;
	if ((fd = mkstemp(tmp)) < 0) {
		gs_warnp("report: %s", path);
		free(tmp);
		return GS_EXIT_FAIL;
	}
	if (fchmod(fd, 0644) != 0 || (f = fdopen(fd, "w")) == NULL) {
		gs_warnp("report: %s", tmp);
		close(fd);
		goto err;
	}
	if (fn(r, f) || fflush(f) || fsync(fileno(f))) {
		gs_warnp("report: writing %s", path);
		fclose(f);
		goto err;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		gs_warnp("report: writing %s", path);
		goto err;
	}
	free(tmp);
	return GS_EXIT_OK;
err:
	unlink(tmp);
	free(tmp);
	return GS_EXIT_FAIL;
}

/* refused(a, g): an option of the where-from set that report does not
 * take: its name, or NULL. */
static const char *
refused(const struct gs_cmd_args *a, const struct gs_cli *g)
{
	return a->t.repo          ? "--repo"
	       : a->t.key         ? "--key"
	       : a->t.identity    ? "--identity"
	       : a->t.known_hosts ? "--known-hosts"
	       : a->t.host_key    ? "--host-key"
	       : a->t.connections ? "--connections"
	       : g->stats         ? "--stats"
	                          : NULL;
}

/* gs_cmd_report(g, argc, argv): the report command; returns the exit status. */
int
gs_cmd_report(struct gs_cli *g, int argc, char **argv)
{
	struct gs_report_src src = {0};
	struct gs_cmd_args a;
	struct gs_report r;
	struct gs_config *cfg = NULL;
	const char *bad;
	int64_t now = gs_now_ns() / GS_NS_PER_S, since, until;
	uint64_t n;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_PERIOD | GS_OPT_FROM | GS_OPT_FORMAT | GS_OPT_OUTPUT |
	                           GS_OPT_LOG)) >= 0)
		return rc;
	rc = GS_EXIT_USAGE;
	if ((bad = refused(&a, g)) != NULL) {
		rc = gs_cmd_usage_error(usage, "report: %s is not an option of report", bad);
		goto out0;
	}
	if (a.format == NULL || (strcmp(a.format, "html") != 0 && strcmp(a.format, "md") != 0 &&
	                         strcmp(a.format, "json") != 0 && strcmp(a.format, "csv") != 0)) {
		rc =
		    gs_cmd_usage_error(usage, "report: --format html, md, json or csv is required");
		goto out0;
	}
	if (a.output == NULL) {
		rc = gs_cmd_usage_error(usage, "report: --output FILE is required");
		goto out0;
	}
	if (a.t.from != NULL && (strcmp(a.t.from, "local") == 0 || strstr(a.t.from, "://"))) {
		gs_warn("report: --from %s: expected the name of a configured remote", a.t.from);
		goto out0;
	}
	if (period(&a, now, &since, &until))
		goto out0;
	if ((rc = gs_cmd_config(g, &cfg)) != GS_EXIT_OK)
		goto out0;

	gs_report_init(&r, since, until, now,
	               cfg ? cfg->policy.restore_test_max_age_s
	                   : GS_CONFIG_DEFAULT_RESTORE_TEST_MAX_AGE_S);
	rc = GS_EXIT_FAIL;
	if (wanted(&r, cfg)) {
		gs_warnp("report");
		goto out1;
	}
	src.cfg = cfg;
	src.log = a.log;
	src.pubkey = a.pubkey;
	src.from = a.t.from;
	if ((rc = gs_report_gather(&r, &src)) != GS_EXIT_OK)
		goto out1;
	rc = GS_EXIT_FAIL;
	if (gs_report_build(&r) || (rc = write_out(&r, a.format, a.output)) != GS_EXIT_OK)
		goto out1;
	if ((n = gs_report_gaps(&r)) > 0) {
		gs_warn("report: %llu gap(s) called out (%llu log, %llu missing night, %llu "
		        "unacknowledged failure, %llu restore test overdue, %llu host without a "
		        "log)",
		        (unsigned long long)n, (unsigned long long)r.gap_count[GS_GAP_LOG],
		        (unsigned long long)r.gap_count[GS_GAP_NIGHT],
		        (unsigned long long)r.gap_count[GS_GAP_UNACK],
		        (unsigned long long)r.gap_count[GS_GAP_RTEST],
		        (unsigned long long)r.gap_count[GS_GAP_NOLOG]);
		rc = GS_EXIT_PROBLEM;
	} else if (g->verbose) {
		fprintf(stderr, "report: %llu records in the period, %zu log(s), no gap\n",
		        (unsigned long long)r.in_period, r.nlogs);
	}
out1:
	gs_report_free(&r);
	gs_config_free(cfg);
out0:
	gs_cmd_args_clear(&a);
	return rc;
}
