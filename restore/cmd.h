/*
 * cmd.h -- the geosnap-restore program: shared option handling and the
 * commands, one per cmd_<verb>.c.  Each command returns an exit status of
 * CLI.md (GS_EXIT_*).
 */
#ifndef GEOSNAP_RESTORE_CMD_H
#define GEOSNAP_RESTORE_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "geosnap/config.h"
#include "read/fetch.h"
#include "read/reader.h"
#include "read/rkey.h"

/* Options common to every command (may be given before or after it). */
struct gs_cli {
	const char *config; /* -c FILE, or NULL */
	int quiet;
	int verbose;
	int stats; /* --stats: one line of figures at the end */
};

/* Long option ids shared by the commands (short options use their letter). */
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
	OPT_HELP,
	OPT_VERSION
};

/*
 * The long options of gs_cmd_target_opt(), for the option table of every
 * command that reads a repository.
 */
/* clang-format off */
#define GS_CMD_TARGET_LONGOPTS                                                                     \
	{"tenant", required_argument, NULL, OPT_TENANT},                                           \
	{"from", required_argument, NULL, OPT_FROM},                                               \
	{"repo", required_argument, NULL, OPT_REPO},                                               \
	{"key", required_argument, NULL, OPT_KEY},                                                 \
	{"identity", required_argument, NULL, OPT_IDENTITY},                                       \
	{"known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS},                                 \
	{"host-key", required_argument, NULL, OPT_HOST_KEY},                                       \
	{"connections", required_argument, NULL, OPT_CONNECTIONS},                                 \
	{"stats", no_argument, NULL, OPT_STATS}
/* clang-format on */

/* Their help, for the usage text of those commands. */
#define GS_CMD_TARGET_USAGE                                                                        \
	"  Where from: --from local (the default: the configuration's repository, or\n"            \
	"  --repo PATH), --from REMOTE (a remote of the configuration), or --from\n"               \
	"  sftp://USER@HOST[:PORT]/PATH with --identity FILE (the SSH private key)\n"              \
	"  and --known-hosts FILE and/or --host-key SHA256:... (the remote's host key,\n"          \
	"  checked strictly), optionally --connections N (1-16, default 2): no\n"                  \
	"  configuration needed.  --key FILE: the tenant's read key, unless the\n"                 \
	"  configuration names it; its passphrase comes from $GEOSNAP_PASSPHRASE_FILE\n"           \
	"  or a prompt.  --stats: print the key derivation's and the command's time,\n"            \
	"  peak memory and reads on one line at the end.\n"

/* What a command needs to reach a tenant's repository. */
struct gs_target {
	const char *tenant;
	const char *from;        /* NULL, "local", a configured remote or a URL */
	const char *repo;        /* --repo */
	const char *key;         /* --key */
	const char *identity;    /* --identity, with --from URL */
	const char *known_hosts; /* --known-hosts, with --from URL */
	const char *host_key;    /* --host-key, with --from URL */
	const char *connections; /* --connections, with --from URL (checked by gs_cmd_open) */
};

/* An opened tenant: config (if any), key, reader. */
struct gs_session {
	struct gs_config *cfg;
	struct gs_rkey *key;
	struct gs_reader *rd;
	char *repo_path; /* absolute */
	/* The remote read from (--from), or NULL for a local repository; the
	 * read engine opens its extra connections from it.  Valid until
	 * gs_cmd_close(). */
	const struct gs_remote_conf *remote;
	/* The remote of --from URL, which remote points to; NULL otherwise. */
	struct gs_remote_conf *url_remote;
	/* --stats: when the key was ready, and what the read engine did (a
	 * command that runs it fills fst; has_fst says so). */
	int stats, has_fst;
	int64_t t_ready;
	struct gs_fetch_stats fst;
};

/*
 * gs_cmd_common_opt(g, opt, arg): handle -c/-q/-v given after a command;
 * 1 if opt was one of them, 0 otherwise.
 */
int gs_cmd_common_opt(struct gs_cli *g, int opt, const char *arg);

/*
 * gs_cmd_target_opt(t, opt, arg): handle the options of
 * GS_CMD_TARGET_LONGOPTS (--tenant, --from, --repo, --key, --identity,
 * --known-hosts, --host-key, --connections); 1 if opt was one of them, 0
 * otherwise.  Their values are checked by gs_cmd_open().
 */
int gs_cmd_target_opt(struct gs_target *t, int opt, const char *arg);

/*
 * gs_cmd_open(g, t, flags, s): load the configuration if there is one (the
 * keys only geosnap-agent uses are optional), resolve the repository (the
 * local one, a configured remote, or --from sftp://... with --identity and
 * --known-hosts and/or --host-key, which needs no configuration) and the
 * read key, ask for the passphrase, load the key and open a reader
 * (GS_READER_* flags).  Returns GS_EXIT_OK with s filled, or the exit
 * status to use (warned): GS_EXIT_USAGE for bad or missing options and
 * for our own identity or known_hosts being unusable, GS_EXIT_FAIL when
 * the remote cannot be reached or its host key is refused.
 */
int gs_cmd_open(const struct gs_cli *g, const struct gs_target *t, int flags, struct gs_session *s);
/* gs_cmd_close(s): release everything gs_cmd_open() acquired. */
void gs_cmd_close(struct gs_session *s);
/*
 * gs_cmd_stats(s): with --stats, one line on stderr: the read key
 * derivation's time and peak memory (it runs in a child process), the
 * command's time since the key was ready and its own peak memory, the bytes
 * and requests read from the repository (all, and by the read engine's
 * workers alone: data_read_bytes), the packs planned, the worker threads and
 * the chunks read one by one instead.  Nothing without --stats.
 */
void gs_cmd_stats(const struct gs_session *s);

/* gs_cmd_finish(s, rc): rc (GS_EXIT_OK or GS_EXIT_WARN raised to
 * GS_EXIT_PROBLEM when the reader had to skip a damaged object), then
 * gs_cmd_close(s). */
int gs_cmd_finish(struct gs_session *s, int rc);

/*
 * gs_cmd_snapshot(s, spec, ret, ret_others_bad): gs_reader_resolve() with its
 * outcome as an exit status: GS_EXIT_OK with *ret filled and the chosen
 * snapshot named on stderr (always, -q included: "PROG: tenant T: snapshot
 * ID (TIME, host H) chosen as the latest|by its ID"), GS_EXIT_USAGE (no such
 * or ambiguous snapshot), GS_EXIT_PROBLEM (unreadable or corrupt, or "latest"
 * refused because the newest snapshot is dated in the future).
 */
int gs_cmd_snapshot(struct gs_session *s, const char *spec, struct gs_rsnap *ret,
                    int *ret_others_bad);

/* gs_cmd_usage_error(usage, fmt, ...): print a message and the usage on
 * stderr; returns GS_EXIT_USAGE. */
int gs_cmd_usage_error(const char *usage, const char *fmt, ...) GS_PRINTF(2, 3);

/* gs_cmd_iso_time(out, cap, sec): "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
void gs_cmd_iso_time(char *out, size_t cap, int64_t sec);

/* The commands: argv[0] is the command name. */
int gs_cmd_keygen(struct gs_cli *g, int argc, char **argv);
int gs_cmd_snapshots(struct gs_cli *g, int argc, char **argv);
int gs_cmd_ls(struct gs_cli *g, int argc, char **argv);
int gs_cmd_restore(struct gs_cli *g, int argc, char **argv);
int gs_cmd_export(struct gs_cli *g, int argc, char **argv);
int gs_cmd_check(struct gs_cli *g, int argc, char **argv);

#endif
