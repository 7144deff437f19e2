/*
 * agent.h -- shared by the geosnap-agent command files.
 *
 * Three layers, each calling only the ones below it:
 *   main.c          picks the command, loads the config;
 *   cmd_<verb>.c    one command: its options and usage, which tenants and
 *                   remotes, and which steps; never calls another cmd file;
 *   steps.c         the per-tenant steps (backup, ship, verify) and what
 *                   ends every step: its record (status table, audit log)
 *                   and the metrics file;
 *   opts.c          option parsing, selection, directory checks.
 * Exit statuses are those of docs/CLI.md.
 */
#ifndef GS_AGENT_H
#define GS_AGENT_H

#include "geosnap/config.h"
#include "geosnap/keys.h"
#include "geosnap/repo.h"

struct agent_opts {
	const char *config_path;
	int quiet, verbose, json;
	const char **tenants; /* --tenant, may repeat */
	size_t ntenants;
	const char **remotes; /* --remote, may repeat */
	size_t nremotes;
	int repair, full; /* ship --repair, verify --full */
	int dry_run;      /* expire --dry-run */
	const char *step; /* ack --step */
	const char *note; /* ack --note */
	char **args;      /* operands after the options (AO_ARGS) */
	size_t nargs;
	int in_run; /* the steps run inside `run` */
	struct gs_config *cfg;
};

/* ---- commands (cmd_<verb>.c) ----------------------------------------- */

/* Each command: parse its own argv (argv[0] is the command name), return an
 * exit status of docs/CLI.md. */
/* cmd_init(o, argc, argv): the init command (usage above); its exit status. */
int cmd_init(struct agent_opts *o, int argc, char **argv);
/* cmd_backup(o, argc, argv): the backup command (usage above); its exit status. */
int cmd_backup(struct agent_opts *o, int argc, char **argv);
/* cmd_snapshots(o, argc, argv): the snapshots command (usage above); its exit status. */
int cmd_snapshots(struct agent_opts *o, int argc, char **argv);
/* cmd_run(o, argc, argv): the run command (usage above); its exit status. */
int cmd_run(struct agent_opts *o, int argc, char **argv);
/* cmd_status(o, argc, argv): the status command (usage above); its exit status. */
int cmd_status(struct agent_opts *o, int argc, char **argv);
/* cmd_ship(o, argc, argv): the ship command (usage above); its exit status. */
int cmd_ship(struct agent_opts *o, int argc, char **argv);
/* cmd_verify(o, argc, argv): the verify command (usage above); its exit status. */
int cmd_verify(struct agent_opts *o, int argc, char **argv);
/* cmd_quarantine(o, argc, argv): the quarantine command (usage above); its exit status. */
int cmd_quarantine(struct agent_opts *o, int argc, char **argv);
/* cmd_ack(o, argc, argv): the ack command (usage above); its exit status. */
int cmd_ack(struct agent_opts *o, int argc, char **argv);
/* cmd_expire(o, argc, argv): the expire command (usage above); its exit status. */
int cmd_expire(struct agent_opts *o, int argc, char **argv);

/* ---- steps (steps.c) -------------------------------------------------- */

struct gs_step;
/* agent_record_step(o, s): s into the status table and the audit log.
 * The exit status this adds to the step's (warned): 0; GS_EXIT_PROBLEM
 * when the audit log could not be appended to or was found damaged (the
 * run goes on); GS_EXIT_FAIL when the status table could not be written. */
int agent_record_step(struct agent_opts *o, const struct gs_step *s);

/*
 * agent_ship_logs(o): close the audit log's open segment once, then
 * publish its closed segments and a signed checkpoint to every selected
 * remote (gs_audit_ship), one "ship-log" record each; the worst exit
 * status.  Without audit_log or audit_key there is nothing to anchor: 0.
 */
int agent_ship_logs(struct agent_opts *o);

/* ---- expiry (retain.c, erase.c) ---------------------------------------- */

struct gs_repo;
struct gs_tenant_conf;
/*
 * agent_retain_tenant(o, r, t): apply the retention policy to a live
 * tenant: list its snapshots, keep what the policy keeps, remove the rest
 * from the local repository and every remote (o->dry_run: only print),
 * printing what is kept and removed and why; one "expire" record per copy.
 * Its exit status.  (retain.c)
 */
int agent_retain_tenant(struct agent_opts *o, const struct gs_repo *r,
                        const struct gs_tenant_conf *t);

/*
 * agent_gc_tenant(o, r, t, skip, nskip): garbage collection of tenant t after
 * retention, on the local repository and then on every remote its region
 * policy allows (deletions there through the maintenance credentials);
 * the caller holds the tenant lock.  o->dry_run: only count and print,
 * as if the nskip snapshots in skip (sorted) were gone.
 * One "gc" step record per copy where something was deleted, is pending
 * or failed.  Its exit status.  (gc.c)
 */
int agent_gc_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
                    const char (*skip)[GS_NAME_HEX], size_t nskip);

/*
 * agent_departed(t): 1 when tenant t has left (its offboarded date is set
 * and has come): no longer backed up, only erased.  (erase.c)
 */
int agent_departed(const struct gs_tenant_conf *t);

/*
 * agent_erase_tenant(o, r, t): an offboarded tenant: nothing during its
 * grace period or a legal hold (status says until when); after it, erase
 * its namespace on the local repository and every remote, its state_dir
 * files and its write key, verify by listing, and record the deletion
 * certificate.  o->dry_run: only print.  Its exit status.  (erase.c)
 */
int agent_erase_tenant(struct agent_opts *o, const struct gs_repo *r,
                       const struct gs_tenant_conf *t);

/*
 * agent_orphans(o, r): tenants with data on a copy or in state_dir but no
 * [tenant] section: each reported (stderr, status), never erased.  GS_EXIT_WARN
 * when there is one, else 0.  (erase.c)
 */
int agent_orphans(struct agent_opts *o, const struct gs_repo *r);

/* agent_write_metrics(o): the metrics file from the status table, when
 * metrics_file is set.  0 or -1 (warned). */
int agent_write_metrics(struct agent_opts *o);

/* agent_backup_tenant(o, r, t, ret_snap): back up one tenant and record the
 * step; returns its exit status.  ret_snap (may be NULL) receives the name
 * of the snapshot made, or "" when none was.  A failed step's record
 * carries the cause (e.g. the pid of the process holding the lock). */
int agent_backup_tenant(struct agent_opts *o, const struct gs_repo *r,
                        const struct gs_tenant_conf *t, char *ret_snap);

/* agent_ship_tenant(o, r, t, rc): ship (o->repair: repair first) one
 * tenant to one remote, after the region check, and record the step;
 * its exit status. */
int agent_ship_tenant(struct agent_opts *o, const struct gs_repo *r, const struct gs_tenant_conf *t,
                      const struct gs_remote_conf *rc);

/* agent_verify_tenant(o, r, t, rc, snap): verify one tenant on one remote
 * (or, with rc NULL, the volume parity of snapshot snap: the one this run
 * made, or with snap NULL the last backup's, see gs_verify_volume()) and
 * record the step; its exit status. */
int agent_verify_tenant(struct agent_opts *o, const struct gs_repo *r,
                        const struct gs_tenant_conf *t, const struct gs_remote_conf *rc,
                        const char *snap);

/* ---- options, selection, checks (opts.c) ------------------------------ */

/* agent_tenant_selected(o, name): 1 when no --tenant was given or name was
 * one of them. */
int agent_tenant_selected(const struct agent_opts *o, const char *name);
/* agent_remote_selected(o, name): 1 when no --remote was given or name was
 * one of them. */
int agent_remote_selected(const struct agent_opts *o, const char *name);
/* agent_check_tenants(o): every --tenant names a configured tenant; 0 or
 * GS_EXIT_USAGE (warned). */
int agent_check_tenants(const struct agent_opts *o);
/* Directories agent_check_dirs() checks. */
#define AD_STATE 1 /* state_dir */
#define AD_REPO 2  /* the local repository */
#define AD_AUDIT 4 /* the directory of audit_log, when one is set */
/* agent_check_dirs(o, which): each directory of which that exists must be
 * the agent's own and closed to others (gs_dir_check_private), since the
 * agent, often root, writes its state, locks and log there; a missing one
 * passes (the command creates it or says it is missing).  0, or
 * GS_EXIT_USAGE (warned naming the directory, its owner, mode and fix). */
int agent_check_dirs(const struct agent_opts *o, int which);
/* agent_open_repo(o, ret): create state_dir, check every configured
 * directory and open the local repository into *ret (the caller frees it
 * with gs_repo_free).  GS_EXIT_OK, or the command's exit status (warned). */
int agent_open_repo(struct agent_opts *o, struct gs_repo **ret);
/* Extra options a command accepts (agent_parse_opts flags). */
#define AO_REMOTE 1  /* --remote R, may repeat */
#define AO_REPAIR 2  /* --repair */
#define AO_FULL 4    /* --full */
#define AO_ARGS 8    /* operands after the options, into o->args */
#define AO_ACK 16    /* --step STEP and --note TEXT (once each) */
#define AO_DRYRUN 32 /* --dry-run */
/* agent_parse_opts(o, argc, argv, usage, flags): parse a command's options
 * (--tenant, --json, --help and those of flags) into o; returns -1 to go on,
 * or the exit status to end with (--help printed usage: 0; a bad option:
 * GS_EXIT_USAGE, warned and usage on stderr). */
int agent_parse_opts(struct agent_opts *o, int argc, char **argv, const char *usage, int flags);
/* agent_parse_common(o, argc, argv, usage): agent_parse_opts with no extra
 * options. */
int agent_parse_common(struct agent_opts *o, int argc, char **argv, const char *usage);
/* agent_worst(a, b): the exit status to report when two steps ended a and
 * b (severity 2 > 3 > 1 > 4 > 0). */
int agent_worst(int a, int b);

#endif
