/*
 * cmd_log.c -- geosnap-restore log verify [--log FILE] [--pubkey FILE]
 * [--from REMOTE]: check the audit log's signatures and hash chain, and
 * with --from compare it with the segments and checkpoints shipped to a
 * remote (gs_audit_verify).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "geosnap/audit.h"
#include "geosnap/config.h"
#include "geosnap/minisig.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-restore log verify [--log FILE] [--pubkey FILE] [--from REMOTE]\n"
    "  Check the audit log: every segment's minisign signature, the hash chain\n"
    "  and the sequence across segments (FILE, default [agent] audit_log, and\n"
    "  the closed segments beside it).  --pubkey FILE: the host's audit.pub\n"
    "  (default: audit_pubkey of the [host] section of [agent] host, else the\n"
    "  public half of [agent] audit_key).  --from REMOTE also\n"
    "  checks the segments and signed checkpoints shipped to that remote and\n"
    "  compares them record by record with the local log; without a local log\n"
    "  (no --log and no audit_log) it checks the remote's copy alone.\n"
    "  Exit 0 when it verifies; 1 naming the first bad sequence number; 4 when\n"
    "  it ends in records written after the last signature or a torn line (a\n"
    "  crash: the next append repairs it).\n";

/* pubkey(a, cfg, ret): the key to check with: --pubkey, the audit_pubkey
 * of the configuration's own host's [host] section, or the public half of
 * its audit_key.  GS_EXIT_OK or USAGE (warned). */
static int
pubkey(const struct gs_cmd_args *a, const struct gs_config *cfg, struct gs_ms_pub *ret)
{
	const struct gs_host_conf *h;
	struct gs_ms_sec *k;

	if (a->pubkey != NULL)
		return gs_ms_pub_load(a->pubkey, ret) ? GS_EXIT_USAGE : GS_EXIT_OK;
	if (cfg != NULL && cfg->host != NULL && (h = gs_config_host(cfg, cfg->host)) != NULL &&
	    h->audit_pubkey != NULL)
		return gs_ms_pub_load(h->audit_pubkey, ret) ? GS_EXIT_USAGE : GS_EXIT_OK;
	if (cfg == NULL || cfg->audit_key == NULL) {
		gs_warn("log verify: give --pubkey FILE (the host's audit.pub)");
		return GS_EXIT_USAGE;
	}
	if ((k = gs_ms_sec_load(cfg->audit_key)) == NULL)
		return GS_EXIT_USAGE;
	gs_ms_pub_of(k, ret);
	gs_ms_sec_free(k);
	return GS_EXIT_OK;
}

/* say(o, res, rc, from): the verdict, on stdout (ok) or stderr. */
static void
say(const struct gs_audit_vopts *o, const struct gs_audit_vres *res, int rc, const char *from,
    int quiet)
{
	const char *what = o->log ? o->log : "the shipped log";
	char ck[64] = "";

	if (from != NULL)
		snprintf(ck, sizeof(ck), ", %" PRIu64 " checkpoint%s on %s", res->checkpoints,
		         res->checkpoints == 1 ? "" : "s", from);
	if (rc == 1) {
		if (res->bad_seq)
			fprintf(stderr,
			        "geosnap-restore: audit log %s: first bad record %" PRIu64 ": %s\n",
			        what, res->bad_seq, res->why);
		else
			fprintf(stderr, "geosnap-restore: audit log %s: %s\n", what, res->why);
		return;
	}
	if (rc == 4)
		fprintf(stderr, "geosnap-restore: audit log %s: %s\n", what, res->why);
	if (!quiet)
		printf("%s: %" PRIu64 " record%s (%" PRIu64 "-%" PRIu64 ") in %" PRIu64
		       " segment%s%s: signatures and chain verified%s; head %s\n",
		       what, res->records, res->records == 1 ? "" : "s", res->first_seq,
		       res->last_seq, res->segments, res->segments == 1 ? "" : "s", ck,
		       rc == 4 ? " up to the crash" : "", res->head);
}

/* gs_cmd_log(g, argc, argv): the log command; returns the exit status. */
int
gs_cmd_log(struct gs_cli *g, int argc, char **argv)
{
	struct gs_audit_vopts o = {0};
	struct gs_audit_vres res;
	struct gs_config *cfg = NULL;
	struct gs_transport *tp = NULL;
	const struct gs_remote_conf *rc_remote = NULL;
	struct gs_cmd_args a;
	struct gs_ms_pub pub;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_LOG | GS_OPT_FROM | GS_OPT_OPERANDS)) >= 0)
		return rc;
	if (a.nargs != 1 || strcmp(a.args[0], "verify") != 0)
		return gs_cmd_usage_error(usage, "log: the only subcommand is verify");
	if ((rc = gs_cmd_config(g, &cfg)) != GS_EXIT_OK)
		return rc;
	rc = GS_EXIT_USAGE;
	o.log = a.log != NULL ? a.log : cfg != NULL ? cfg->audit_log : NULL;
	if (a.t.from != NULL && strcmp(a.t.from, "local") != 0) {
		if (cfg == NULL || (rc_remote = gs_config_remote(cfg, a.t.from)) == NULL) {
			gs_warn("log verify: --from %s: no such remote in the configuration",
			        a.t.from);
			goto out;
		}
	}
	if (o.log == NULL && rc_remote == NULL) {
		gs_warn(
		    "log verify: no log: give --log FILE, set [agent] audit_log, or --from REMOTE");
		goto out;
	}
	if ((rc = pubkey(&a, cfg, &pub)) != GS_EXIT_OK)
		goto out;
	o.pub = &pub;
	o.host = a.log == NULL && cfg != NULL ? cfg->host : NULL;
	if (rc_remote != NULL && (tp = gs_tp_open(rc_remote)) == NULL) {
		rc = gs_tp_last_errkind(NULL) == GS_TP_ERR_CONFIG ? GS_EXIT_USAGE : GS_EXIT_FAIL;
		goto out;
	}
	o.remote = tp;
	switch ((rc = gs_audit_verify(&o, &res))) {
	case 0:
	case 1:
	case 4:
		say(&o, &res, rc, rc_remote ? rc_remote->name : NULL, g->quiet);
		break;
	default:
		rc = GS_EXIT_FAIL;
	}
out:
	gs_tp_close(tp);
	gs_config_free(cfg);
	gs_cmd_args_clear(&a);
	return rc;
}
