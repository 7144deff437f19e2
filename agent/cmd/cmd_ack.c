/*
 * cmd_ack.c -- an operator records that a failed or warned step was seen
 * and handled (R3): one "ack" audit record per acknowledged result (the
 * evidence: it needs the audit log), then the mark in the status table
 * that `status` and the metrics show until the step's next result.  The
 * record's fields are in docs/AUDIT.md.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "geosnap/audit.h"
#include "geosnap/state.h"
#include "geosnap/util.h"

#define NOTE_MAX 1000 /* bytes */
#define OPERATOR_MAX 64

static const char usage[] =
    "usage: geosnap-agent ack --step STEP [--tenant T] [--remote R]... --note TEXT\n"
    "Record that the last result of STEP (backup, ship, verify or run), failed or\n"
    "with warnings, was seen and handled: one audit record per result (so\n"
    "audit_log must be set), and status shows it acknowledged until the step\n"
    "runs again.  backup, ship and verify need one --tenant; run takes none.\n"
    "--remote: only the results of ship or verify with those remotes.\n"
    "TEXT: one line of UTF-8, at most 1000 bytes, no control characters.\n"
    "Exit 2 when there is nothing to acknowledge (the last result was ok).\n";

static const struct {
	const char *name;
	int per_tenant, per_remote;
} steps[] = {
    {"backup", 1, 0},
    {"ship", 1, 1},
    {"verify", 1, 1},
    {"run", 0, 0},
};

/* The note: one line of printable UTF-8, 1 to NOTE_MAX bytes.  0, or -1
 * (warned, saying what is wrong with it). */
static int
check_note(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), k;

	if (strspn(s, " ") == len) {
		gs_warn("--note is empty: say what was done about it");
		return -1;
	}
	if (len > NOTE_MAX) {
		gs_warn("--note is %zu bytes long; at most %u", len, NOTE_MAX);
		return -1;
	}
	for (; *p; p += k) {
		if (*p == '\n' || *p == '\r') {
			gs_warn("--note holds a line break at byte %zu: it must be one line",
			        (size_t)(p - (const unsigned char *)s) + 1);
			return -1;
		}
		k = gs_utf8_len(p);
		if (k == 0) {
			gs_warn("--note is not UTF-8 (byte %zu)",
			        (size_t)(p - (const unsigned char *)s) + 1);
			return -1;
		}
		if (*p < 0x20 || *p == 0x7f || (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			gs_warn("--note holds a control character at byte %zu",
			        (size_t)(p - (const unsigned char *)s) + 1);
			return -1;
		}
	}
	return 0;
}

/* A user name that may go into a record and onto a terminal as it is. */
static int
plain_name(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	return len > 0 && len < OPERATOR_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@$-") ==
	           len;
}

/* Who acknowledges: the user sudo was run by, else the login name, else the
 * real uid's name, else "uid N". */
static void
operator_name(char *out, size_t cap)
{
	const char *s = getenv("SUDO_USER");
	const struct passwd *pw;

	if (!plain_name(s))
		s = getlogin();
	if (!plain_name(s)) {
		pw = getpwuid(getuid());
		s = pw ? pw->pw_name : NULL;
	}
	if (plain_name(s))
		snprintf(out, cap, "%s", s);
	else
		snprintf(out, cap, "uid %u", (unsigned)getuid());
}

/* Whether status line l is one of those --step, --tenant and --remote name. */
static int
selected(const struct agent_opts *o, const struct gs_status_line *l)
{
	if (strcmp(l->step, o->step) != 0)
		return 0;
	if (o->ntenants && (l->tenant == NULL || strcmp(l->tenant, o->tenants[0]) != 0))
		return 0;
	if (o->nremotes && (l->remote == NULL || !agent_remote_selected(o, l->remote)))
		return 0;
	return 1;
}

/* "backup of acme to remote b", "run" */
static void
what(char *out, size_t cap, const struct gs_status_line *l)
{
	snprintf(out, cap, "%s%s%s%s%s", l->step, l->tenant ? " of " : "",
	         l->tenant ? l->tenant : "", l->remote ? " with remote " : "",
	         l->remote ? l->remote : "");
}

/*
 * ack_one(o, ac, l, by): the ack record of status line l, then its mark in
 * the status table.  The exit status it adds: 0; GS_EXIT_PROBLEM when the
 * log needed repair; GS_EXIT_FAIL when the record could not be appended
 * (then nothing is marked) or the status table not written.
 */
static int
ack_one(struct agent_opts *o, const struct gs_audit_conf *ac, const struct gs_status_line *l,
        const char *by)
{
	struct gs_audit_rec r;
	char when[GS_ISO_TIME_MAX], name[256];
	int64_t now = gs_now_ns();
	int w, rc = GS_EXIT_OK;

	what(name, sizeof(name), l);
	gs_iso_time(when, sizeof(when), l->start_ns / GS_NS_PER_S);
	if (gs_audit_rec_init(&r, "ack"))
		return GS_EXIT_FAIL;
	r.time_ns = now;
	gs_audit_rec_str(&r, "step", l->step);
	gs_audit_rec_str(&r, "tenant", l->tenant);
	gs_audit_rec_str(&r, "remote", l->remote);
	gs_audit_rec_int(&r, "acked_status", l->status);
	gs_audit_rec_str(&r, "acked_result", gs_step_result(l->status));
	gs_audit_rec_str(&r, "acked_time", when);
	gs_audit_rec_int(&r, "acked_time_ns", l->start_ns);
	gs_audit_rec_str(&r, "acked_message", l->message);
	gs_audit_rec_str(&r, "note", o->note);
	gs_audit_rec_str(&r, "operator", by);
	gs_audit_rec_u64(&r, "uid", (uint64_t)getuid());
	if ((w = gs_audit_write(ac, &r)) < 0) {
		gs_warn("the acknowledgement of the %s was not recorded", name);
		return GS_EXIT_FAIL;
	}
	if (w == 1)
		rc = GS_EXIT_PROBLEM;
	switch (gs_status_ack(o->cfg->state_dir, l, now, by)) {
	case 0:
		break;
	case 1:
		gs_warn("the %s has a newer result than the one acknowledged (%s); the "
		        "audit record stands, status shows the newer result",
		        name, when);
		break;
	default:
		return GS_EXIT_FAIL;
	}
	if (!o->quiet)
		printf("acknowledged: %s, %s at %s\n", name, gs_step_result(l->status), when);
	return rc;
}

/* The --step, --tenant, --remote and --note rules.  0 or GS_EXIT_USAGE
 * (warned). */
static int
check_args(const struct agent_opts *o)
{
	size_t i;

	if (o->step == NULL) {
		gs_warn("ack needs --step STEP (backup, ship, verify or run)");
		return GS_EXIT_USAGE;
	}
	for (i = 0; i < GS_NELEM(steps) && strcmp(steps[i].name, o->step) != 0; i++)
		;
	if (i == GS_NELEM(steps)) {
		gs_warn("unknown step '%s': backup, ship, verify or run", o->step);
		return GS_EXIT_USAGE;
	}
	if (steps[i].per_tenant && o->ntenants != 1) {
		gs_warn("ack --step %s needs one --tenant", o->step);
		return GS_EXIT_USAGE;
	}
	if (!steps[i].per_tenant && o->ntenants) {
		gs_warn("ack --step %s takes no --tenant: the step is the whole host's", o->step);
		return GS_EXIT_USAGE;
	}
	if (!steps[i].per_remote && o->nremotes) {
		gs_warn("ack --step %s takes no --remote", o->step);
		return GS_EXIT_USAGE;
	}
	if (o->note == NULL) {
		gs_warn("ack needs --note TEXT: what was seen and done about it");
		return GS_EXIT_USAGE;
	}
	return check_note(o->note) ? GS_EXIT_USAGE : 0;
}

/* cmd_ack(o, argc, argv): the ack command (usage above); its exit status. */
int
cmd_ack(struct agent_opts *o, int argc, char **argv)
{
	struct gs_audit_conf ac;
	struct gs_status_line *v;
	char by[OPERATOR_MAX + 16], name[256];
	size_t n, matched = 0, todo = 0;
	int rc;

	if ((rc = agent_parse_opts(o, argc, argv, usage, AO_REMOTE | AO_ACK)) >= 0)
		return rc;
	if ((rc = check_args(o)) != 0) {
		fputs(usage, stderr);
		return rc;
	}
	gs_audit_conf_of(o->cfg, &ac);
	if (ac.log == NULL) {
		gs_warn("%s: no audit_log is configured; an acknowledgement is an audit "
		        "record, so there is nowhere to put it",
		        o->cfg->path);
		return GS_EXIT_USAGE;
	}
	if ((rc = agent_check_dirs(o, AD_STATE | AD_AUDIT)) != 0)
		return rc;
	if (gs_status_load(o->cfg->state_dir, &v, &n))
		return GS_EXIT_FAIL;
	for (size_t i = 0; i < n; i++)
		if (selected(o, &v[i])) {
			matched++;
			todo += v[i].status != GS_EXIT_OK;
		}
	snprintf(name, sizeof(name), "%s%s%s%s%s", o->step, o->ntenants ? " of " : "",
	         o->ntenants ? o->tenants[0] : "",
	         o->nremotes == 1 ? " with remote "
	         : o->nremotes    ? " with the remotes given"
	                          : "",
	         o->nremotes == 1 ? o->remotes[0] : "");
	if (matched == 0 || todo == 0) {
		gs_warn(matched ? "nothing to acknowledge: the last %s ended ok"
		                : "nothing to acknowledge: no %s has been recorded",
		        name);
		gs_status_free(v, n);
		return GS_EXIT_USAGE;
	}
	operator_name(by, sizeof(by));
	rc = GS_EXIT_OK;
	for (size_t i = 0; i < n; i++)
		if (selected(o, &v[i]) && v[i].status != GS_EXIT_OK)
			rc = agent_worst(rc, ack_one(o, &ac, &v[i], by));
	gs_status_free(v, n);
	if (agent_write_metrics(o))
		rc = agent_worst(rc, GS_EXIT_FAIL);
	return rc;
}
