/*
 * cmd.h -- the geosnap-restore program: the one option table and what the
 * commands share (cmd_common.c), and the commands, one per cmd_<verb>.c.
 * Each command returns an exit status of docs/CLI.md (GS_EXIT_*).
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

/*
 * The options a command accepts besides -c FILE, -q, -v and --help, which
 * every command takes (gs_cmd_parse flags).  There is one option table, in
 * cmd_common.c; each command names its part of it.
 */
#define GS_OPT_TENANT 0x0001u /* --tenant T */
#define GS_OPT_FROM                                                                                \
	0x0002u                   /* --from, --repo, --key, --identity, --known-hosts,             \
	                             --host-key, --connections, --stats */
#define GS_OPT_JSON 0x0004u       /* --json */
#define GS_OPT_SNAPSHOT 0x0008u   /* --snapshot ID */
#define GS_OPT_INCLUDE 0x0010u    /* --include PATH, repeatable */
#define GS_OPT_TARGET 0x0020u     /* --target DIR */
#define GS_OPT_OVERWRITE 0x0040u  /* --overwrite */
#define GS_OPT_PRIVILEGED 0x0080u /* --privileged */
#define GS_OPT_FORMAT 0x0100u     /* --format F */
#define GS_OPT_OUTPUT 0x0200u     /* --output FILE */
#define GS_OPT_READ_DATA 0x0400u  /* --read-data */
#define GS_OPT_OUT 0x0800u        /* --out DIR */
#define GS_OPT_AUDIT 0x1000u      /* --audit */
#define GS_OPT_VERSION 0x2000u    /* --version (the program's own options) */
#define GS_OPT_OPERANDS 0x4000u   /* operands after the options (else refused) */
#define GS_OPT_COMMAND 0x8000u    /* stop at the first operand, the command (main) */
#define GS_OPT_SAMPLE 0x10000u    /* --sample PCT, --full, --seed N, --scratch DIR (test) */
#define GS_OPT_PERIOD 0x20000u    /* --since DATE, --until DATE (report) */
#define GS_OPT_LOG 0x40000u       /* --log FILE, --pubkey FILE (log verify, report) */
/* What every command that reads a tenant's repository takes. */
#define GS_OPT_READS (GS_OPT_TENANT | GS_OPT_FROM)

/* --include options at most. */
#define GS_CMD_MAX_INCLUDES 1024

/* The help of GS_OPT_FROM's options, for the usage text of the commands
 * that take them. */
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

/* What gs_cmd_parse() found. */
struct gs_cmd_args {
	struct gs_target t;   /* --tenant and where from */
	const char *snapshot; /* --snapshot */
	const char *target;   /* --target */
	const char *format;   /* --format */
	const char *output;   /* --output */
	const char *out;      /* --out */
	const char *sample;   /* --sample PCT */
	const char *seed;     /* --seed N */
	const char *scratch;  /* --scratch DIR */
	const char *since;    /* --since DATE */
	const char *until;    /* --until DATE */
	const char *log;      /* --log FILE */
	const char *pubkey;   /* --pubkey FILE */
	/* --include, normalised ("./" and "/" in front, "/" behind, taken off)
	 * and checked (gs_reader_path_ok); malloc'd, gs_cmd_args_clear() frees
	 * them */
	char *includes[GS_CMD_MAX_INCLUDES];
	size_t nincludes;
	int json, overwrite, privileged, read_data, audit, full;
	/* GS_OPT_OPERANDS, GS_OPT_COMMAND: the operands (borrowed from argv) */
	char **args;
	size_t nargs;
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
	/* gs_cmd_snapshot() names the chosen snapshot only when this is 0
	 * (the test command with -q sets it; the record names it). */
	int quiet_choice;
	int64_t t_ready;
	struct gs_fetch_stats fst;
};

/*
 * gs_cmd_config(g, ret): the configuration (-c, $GEOSNAP_CONFIG or the
 * default file when it exists), loaded for geosnap-restore, into *ret (NULL
 * when there is none).  GS_EXIT_OK, or GS_EXIT_USAGE (warned, naming file,
 * line and key).  Free with gs_config_free.
 */
struct gs_config;
int gs_cmd_config(const struct gs_cli *g, struct gs_config **ret);

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
int gs_cmd_parse(struct gs_cli *g, struct gs_cmd_args *a, int argc, char **argv, const char *usage,
                 unsigned flags);

/* gs_cmd_args_clear(a): free what gs_cmd_parse() allocated (the includes). */
void gs_cmd_args_clear(struct gs_cmd_args *a);

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
 * snapshot named on stderr (always, -q included, unless s->quiet_choice:
 * "PROG: tenant T: snapshot ID (TIME, host H) chosen as the latest|by its
 * ID"), GS_EXIT_USAGE (no such
 * or ambiguous snapshot), GS_EXIT_PROBLEM (unreadable or corrupt, or "latest"
 * refused because the newest snapshot is dated in the future).
 */
int gs_cmd_snapshot(struct gs_session *s, const char *spec, struct gs_rsnap *ret,
                    int *ret_others_bad);

/*
 * gs_cmd_open_snapshot(g, t, spec, s, ret, ret_others_bad): gs_cmd_open()
 * then gs_cmd_snapshot(): the session and the chosen snapshot, as the
 * commands that read one snapshot start.  GS_EXIT_OK with both held (free
 * with gs_reader_snap_clear(ret), then gs_cmd_finish or gs_cmd_close), or
 * the exit status with nothing held.
 */
int gs_cmd_open_snapshot(const struct gs_cli *g, const struct gs_target *t, const char *spec,
                         struct gs_session *s, struct gs_rsnap *ret, int *ret_others_bad);

/*
 * gs_cmd_outcome(r, others_bad): the exit status of a read-path result r
 * (0 all done, 1 problems found and named, else could not run):
 * GS_EXIT_OK, or GS_EXIT_PROBLEM for r == 1 or when others_bad (other
 * snapshots were unreadable), GS_EXIT_FAIL for anything else.
 */
int gs_cmd_outcome(int r, int others_bad);

/* gs_cmd_usage_error(usage, fmt, ...): print a message and the usage on
 * stderr; returns GS_EXIT_USAGE. */
int gs_cmd_usage_error(const char *usage, const char *fmt, ...) GS_PRINTF(2, 3);

/* The commands: argv[0] is the command name. */
/* gs_cmd_keygen(g, argc, argv): make a tenant's key pair; returns the exit status. */
int gs_cmd_keygen(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_snapshots(g, argc, argv): list snapshots; returns the exit status. */
int gs_cmd_snapshots(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_ls(g, argc, argv): list a snapshot's entries; returns the exit status. */
int gs_cmd_ls(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_restore(g, argc, argv): restore a snapshot; returns the exit status. */
int gs_cmd_restore(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_export(g, argc, argv): write a snapshot as an archive; returns the exit status. */
int gs_cmd_export(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_check(g, argc, argv): check a tenant's repository; returns the exit status. */
int gs_cmd_check(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_test(g, argc, argv): the test command; returns the exit status. */
int gs_cmd_test(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_log(g, argc, argv): the log command; returns the exit status. */
int gs_cmd_log(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_report(g, argc, argv): the report command; returns the exit status. */
int gs_cmd_report(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_certificate(g, argc, argv): write a tenant's signed deletion
 * certificate; returns the exit status. */
int gs_cmd_certificate(struct gs_cli *g, int argc, char **argv);
/* gs_cmd_shred(g, argc, argv): destroy a certified tenant's read keys;
 * returns the exit status. */
int gs_cmd_shred(struct gs_cli *g, int argc, char **argv);

#endif
