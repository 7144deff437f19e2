/*
 * cmd_common.c -- what every geosnap-restore command shares: the one option
 * table and its parser, and printing.  Reaching a tenant is cmd_session.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "geosnap/util.h"
#include "extract/entry.h"
#include "read/reader.h"

/* ---- the option table ------------------------------------------------ */

/* Long option ids (short options use their letter). */
enum {
	OPT_TENANT = 256,
	OPT_FROM,
	OPT_REPO,
	OPT_KEY,
	OPT_IDENTITY,
	OPT_KNOWN_HOSTS,
	OPT_HOST_KEY,
	OPT_CONNECTIONS,
	OPT_STATS,
	OPT_JSON,
	OPT_SNAPSHOT,
	OPT_INCLUDE,
	OPT_TARGET,
	OPT_OVERWRITE,
	OPT_PRIVILEGED,
	OPT_FORMAT,
	OPT_OUTPUT,
	OPT_READ_DATA,
	OPT_OUT,
	OPT_AUDIT,
	OPT_SAMPLE,
	OPT_FULL,
	OPT_SEED,
	OPT_SCRATCH,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_LOG,
	OPT_PUBKEY,
	OPT_HELP,
	OPT_VERSION
};

/*
 * Every long option of the program, and the GS_OPT_* flag a command gives
 * to accept it (0: every command).  A command's getopt table is the part
 * its flags select, in this order, so that an abbreviation means what it
 * meant when each command had a table of its own, and getopt calls an
 * option the command does not take unrecognised, as it did.
 */
static const struct {
	struct option o;
	unsigned flag;
} options[] = {
    {{"tenant", required_argument, NULL, OPT_TENANT}, GS_OPT_TENANT},
    {{"from", required_argument, NULL, OPT_FROM}, GS_OPT_FROM},
    {{"repo", required_argument, NULL, OPT_REPO}, GS_OPT_FROM},
    {{"key", required_argument, NULL, OPT_KEY}, GS_OPT_FROM},
    {{"identity", required_argument, NULL, OPT_IDENTITY}, GS_OPT_FROM},
    {{"known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS}, GS_OPT_FROM},
    {{"host-key", required_argument, NULL, OPT_HOST_KEY}, GS_OPT_FROM},
    {{"connections", required_argument, NULL, OPT_CONNECTIONS}, GS_OPT_FROM},
    {{"stats", no_argument, NULL, OPT_STATS}, GS_OPT_FROM},
    {{"json", no_argument, NULL, OPT_JSON}, GS_OPT_JSON},
    {{"snapshot", required_argument, NULL, OPT_SNAPSHOT}, GS_OPT_SNAPSHOT},
    {{"include", required_argument, NULL, OPT_INCLUDE}, GS_OPT_INCLUDE},
    {{"target", required_argument, NULL, OPT_TARGET}, GS_OPT_TARGET},
    {{"overwrite", no_argument, NULL, OPT_OVERWRITE}, GS_OPT_OVERWRITE},
    {{"privileged", no_argument, NULL, OPT_PRIVILEGED}, GS_OPT_PRIVILEGED},
    {{"format", required_argument, NULL, OPT_FORMAT}, GS_OPT_FORMAT},
    {{"output", required_argument, NULL, OPT_OUTPUT}, GS_OPT_OUTPUT},
    {{"read-data", no_argument, NULL, OPT_READ_DATA}, GS_OPT_READ_DATA},
    {{"out", required_argument, NULL, OPT_OUT}, GS_OPT_OUT},
    {{"audit", no_argument, NULL, OPT_AUDIT}, GS_OPT_AUDIT},
    {{"sample", required_argument, NULL, OPT_SAMPLE}, GS_OPT_SAMPLE},
    {{"full", no_argument, NULL, OPT_FULL}, GS_OPT_SAMPLE},
    {{"seed", required_argument, NULL, OPT_SEED}, GS_OPT_SAMPLE},
    {{"scratch", required_argument, NULL, OPT_SCRATCH}, GS_OPT_SAMPLE},
    {{"since", required_argument, NULL, OPT_SINCE}, GS_OPT_PERIOD},
    {{"until", required_argument, NULL, OPT_UNTIL}, GS_OPT_PERIOD},
    {{"log", required_argument, NULL, OPT_LOG}, GS_OPT_LOG},
    {{"pubkey", required_argument, NULL, OPT_PUBKEY}, GS_OPT_LOG},
    {{"config", required_argument, NULL, 'c'}, 0},
    {{"quiet", no_argument, NULL, 'q'}, 0},
    {{"verbose", no_argument, NULL, 'v'}, 0},
    {{"help", no_argument, NULL, OPT_HELP}, 0},
    {{"version", no_argument, NULL, OPT_VERSION}, GS_OPT_VERSION},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* Normalise an --include: strip "./" and "/" in front and "/" behind. */
static char *
norm_include(const char *s)
{
	char *p;
	size_t n;

	while (s[0] == '/' || (s[0] == '.' && s[1] == '/'))
		s += s[0] == '/' ? 1 : 2;
	if ((p = gs_strdup(s)) == NULL)
		return NULL;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

/* --include arg of command cmd into a: -1, or GS_EXIT_USAGE (warned). */
static int
add_include(struct gs_cmd_args *a, const char *cmd, const char *arg)
{
	char *p;

	if (a->nincludes == GS_CMD_MAX_INCLUDES) {
		gs_warn("%s: too many --include options", cmd);
		return GS_EXIT_USAGE;
	}
	if ((p = norm_include(arg)) == NULL)
		return GS_EXIT_USAGE;
	if (!gs_reader_path_ok(p)) {
		gs_warn("%s: --include '%s': not a relative path inside the snapshot", cmd, arg);
		free(p);
		return GS_EXIT_USAGE;
	}
	a->includes[a->nincludes++] = p;
	return -1;
}

/* Where the value of option opt goes (in g or a), or NULL. */
static const char **
value_of(struct gs_cli *g, struct gs_cmd_args *a, int opt)
{
	switch (opt) {
	case 'c':
		return &g->config;
	case OPT_TENANT:
		return &a->t.tenant;
	case OPT_FROM:
		return &a->t.from;
	case OPT_REPO:
		return &a->t.repo;
	case OPT_KEY:
		return &a->t.key;
	case OPT_IDENTITY:
		return &a->t.identity;
	case OPT_KNOWN_HOSTS:
		return &a->t.known_hosts;
	case OPT_HOST_KEY:
		return &a->t.host_key;
	case OPT_CONNECTIONS:
		return &a->t.connections;
	case OPT_SNAPSHOT:
		return &a->snapshot;
	case OPT_TARGET:
		return &a->target;
	case OPT_FORMAT:
		return &a->format;
	case OPT_OUTPUT:
		return &a->output;
	case OPT_OUT:
		return &a->out;
	case OPT_SAMPLE:
		return &a->sample;
	case OPT_SEED:
		return &a->seed;
	case OPT_SCRATCH:
		return &a->scratch;
	case OPT_SINCE:
		return &a->since;
	case OPT_UNTIL:
		return &a->until;
	case OPT_LOG:
		return &a->log;
	case OPT_PUBKEY:
		return &a->pubkey;
	default:
		return NULL;
	}
}

/* The flag option opt sets to 1 (in g or a), or NULL. */
static int *
flag_of(struct gs_cli *g, struct gs_cmd_args *a, int opt)
{
	switch (opt) {
	case 'q':
		return &g->quiet;
	case OPT_STATS:
		return &g->stats;
	case OPT_JSON:
		return &a->json;
	case OPT_OVERWRITE:
		return &a->overwrite;
	case OPT_PRIVILEGED:
		return &a->privileged;
	case OPT_READ_DATA:
		return &a->read_data;
	case OPT_AUDIT:
		return &a->audit;
	case OPT_FULL:
		return &a->full;
	default:
		return NULL;
	}
}

/*
 * One option that getopt_long() returned while parsing argv (argv[0]: the
 * command): -1 to go on, or the exit status to return.
 */
static int
one_option(struct gs_cli *g, struct gs_cmd_args *a, int opt, char **argv, const char *usage)
{
	const char **v;
	int *f;

	if ((v = value_of(g, a, opt)) != NULL) {
		*v = optarg;
		return -1;
	}
	if ((f = flag_of(g, a, opt)) != NULL) {
		*f = 1;
		return -1;
	}
	switch (opt) {
	case 'v':
		g->verbose++;
		return -1;
	case OPT_INCLUDE:
		return add_include(a, argv[0], optarg);
	case OPT_HELP:
		fputs(usage, stdout);
		return GS_EXIT_OK;
	case OPT_VERSION:
		printf("geosnap-restore %s\n", GS_VERSION);
		return GS_EXIT_OK;
	default: /* unknown, or its argument is missing: getopt_long() said so */
		fputs(usage, stderr);
		return GS_EXIT_USAGE;
	}
}

/*
 * gs_cmd_parse(g, a, argc, argv, usage, flags): parse the options of a
 * command (argv[0] is its name) or, with GS_OPT_COMMAND, of the program,
 * from the one option table: -c FILE, -q, -v and --help always, and the
 * options flags names (GS_OPT_*); -c, -q, -v and --stats go into g, the
 * rest into a (cleared first).  Without GS_OPT_OPERANDS or GS_OPT_COMMAND
 * an operand is refused.  Returns -1 to go on, or the exit status to
 * return: GS_EXIT_OK after --help (the usage on stdout) or --version,
 * GS_EXIT_USAGE (warned, and the usage on stderr for an unknown option or
 * an operand) for a bad option; a is then cleared.
 */
int
gs_cmd_parse(struct gs_cli *g, struct gs_cmd_args *a, int argc, char **argv, const char *usage,
             unsigned flags)
{
	struct option lo[NOPTIONS + 1];
	/* '+': the program's options end at the command, which parses its own. */
	const char *shortopts = (flags & GS_OPT_COMMAND) ? "+c:qv" : "c:qv";
	size_t i, n = 0;
	int opt, rc;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < NOPTIONS; i++)
		if (options[i].flag == 0 || (options[i].flag & flags) != 0)
			lo[n++] = options[i].o;
	memset(&lo[n], 0, sizeof(lo[n]));
	optind = 0; /* (re)initialise getopt: the program's options came first */
	while ((opt = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		if ((rc = one_option(g, a, opt, argv, usage)) >= 0) {
			gs_cmd_args_clear(a);
			return rc;
		}
	}
	if (optind < argc && !(flags & (GS_OPT_OPERANDS | GS_OPT_COMMAND))) {
		gs_cmd_args_clear(a);
		return gs_cmd_usage_error(usage, "%s: unexpected argument '%s'", argv[0],
		                          argv[optind]);
	}
	a->args = argv + optind;
	a->nargs = (size_t)(argc - optind);
	return -1;
}

/* gs_cmd_args_clear(a): free what gs_cmd_parse() allocated (the includes). */
void
gs_cmd_args_clear(struct gs_cmd_args *a)
{
	while (a->nincludes > 0)
		free(a->includes[--a->nincludes]);
}

/* ---- printing ---------------------------------------------------------- */

/* gs_cmd_usage_error(usage, fmt, ...): message and usage; GS_EXIT_USAGE. */
int
gs_cmd_usage_error(const char *usage, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gs_warn("%s", msg);
	fprintf(stderr, "%s", usage);
	return GS_EXIT_USAGE;
}

/*
 * gs_cmd_snapshot(s, spec, ret, ret_others_bad): gs_reader_resolve() with its
 * outcome as an exit status: GS_EXIT_OK with *ret filled and the chosen
 * snapshot named on stderr (always, -q included, unless s->quiet_choice),
 * GS_EXIT_USAGE (no such or
 * ambiguous snapshot), GS_EXIT_PROBLEM (unreadable or corrupt, or "latest"
 * refused because the newest snapshot is dated in the future).
 */
int
gs_cmd_snapshot(struct gs_session *s, const char *spec, struct gs_rsnap *ret, int *ret_others_bad)
{
	int latest = spec == NULL || strcmp(spec, "latest") == 0;
	char when[64], host[256];

	switch (gs_reader_resolve(s->rd, spec, ret, ret_others_bad)) {
	case 0:
		break;
	case 1:
		return GS_EXIT_USAGE;
	default: /* -1 unreadable, 2 a future-dated "latest" refused */
		return GS_EXIT_PROBLEM;
	}
	if (s->quiet_choice)
		return GS_EXIT_OK;
	/* The time and host are the writer's word: say which snapshot this is,
	 * so that the operator can tell a forged "latest" from last night's. */
	gs_iso_time(when, sizeof(when), ret->info.time_ns / GS_NS_PER_S);
	fprintf(stderr, "geosnap-restore: tenant %s: snapshot %s (%s, host %s) chosen %s%s\n",
	        gs_reader_tenant(s->rd), ret->name, when,
	        gs_entry_quote(ret->info.host ? ret->info.host : "", host, sizeof(host)),
	        latest ? "as the latest" : "by its ID",
	        gs_snap_future(&ret->info, gs_now_ns())
	            ? "; it is dated in the future of this host's clock, its time may be forged"
	            : "");
	return GS_EXIT_OK;
}

/*
 * gs_cmd_open_snapshot(g, t, spec, s, ret, ret_others_bad): the session and
 * the chosen snapshot; GS_EXIT_OK with both held, or the exit status.
 */
int
gs_cmd_open_snapshot(const struct gs_cli *g, const struct gs_target *t, const char *spec,
                     struct gs_session *s, struct gs_rsnap *ret, int *ret_others_bad)
{
	int rc;

	if ((rc = gs_cmd_open(g, t, 0, s)) != GS_EXIT_OK)
		return rc;
	if ((rc = gs_cmd_snapshot(s, spec, ret, ret_others_bad)) != GS_EXIT_OK)
		gs_cmd_close(s);
	return rc;
}

/*
 * gs_cmd_outcome(r, others_bad): 0 -> GS_EXIT_OK (GS_EXIT_PROBLEM when
 * others_bad), 1 -> GS_EXIT_PROBLEM, else GS_EXIT_FAIL.
 */
int
gs_cmd_outcome(int r, int others_bad)
{
	if (r == 0)
		return others_bad ? GS_EXIT_PROBLEM : GS_EXIT_OK;
	return r == 1 ? GS_EXIT_PROBLEM : GS_EXIT_FAIL;
}
