/*
 * main.c -- geosnap-restore: the program that holds read keys.
 *
 *   geosnap-restore [-c FILE] [-q] [-v] [--version] COMMAND [ARGS]
 *
 * Commands are in cmd_<verb>.c; exit statuses follow docs/CLI.md.
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <sodium.h>

#include "cmd.h"
#include "geosnap/util.h"

static const char usage[] =
    "usage: geosnap-restore [-c FILE] [-q] [-v] [--version] COMMAND [ARGS]\n"
    "commands:\n"
    "  keygen     --tenant T --out DIR          make T.write and the sealed T.read\n"
    "  snapshots  --tenant T [--json]           list snapshots\n"
    "  ls         --tenant T [SNAPSHOT] [PATH]  list files in a snapshot\n"
    "  restore    --tenant T --target DIR       restore a snapshot, verified\n"
    "  export     --tenant T --format F --output FILE|-\n"
    "                                           write a tar, pax or zip archive\n"
    "  check      --tenant T [--read-data]      check the tenant's repository\n"
    "  keygen     --audit --out DIR             make the audit signing pair\n"
    "  test       --tenant T [--sample PCT]     a restore test, checked, timed, recorded\n"
    "  log verify [--from R] [--pubkey FILE]    check the signed audit log\n"
    "  report     --format F --output FILE|-    the auditor's report of the audit logs\n"
    "  certificate --tenant T --output FILE     a departed tenant's signed deletion certificate\n"
    "  shred      --tenant T KEYFILE...         destroy a certified tenant's read keys\n"
    "Each command takes --help.  Common: [--from local|REMOTE|URL] [--repo PATH]\n"
    "[--key FILE].  With --from sftp://USER@HOST[:PORT]/PATH, --identity FILE and\n"
    "--known-hosts FILE and/or --host-key SHA256:..., no configuration is needed.\n";

static const struct {
	const char *name;
	int (*fn)(struct gs_cli *, int, char **);
} commands[] = {
    {"keygen", gs_cmd_keygen}, {"snapshots", gs_cmd_snapshots},
    {"ls", gs_cmd_ls},         {"restore", gs_cmd_restore},
    {"export", gs_cmd_export}, {"check", gs_cmd_check},
    {"test", gs_cmd_test},     {"log", gs_cmd_log},
    {"report", gs_cmd_report}, {"certificate", gs_cmd_certificate},
    {"shred", gs_cmd_shred},
};

/*
 * This program holds read keys and decrypted file content and names: a
 * crash must not leave them in a core file (systemd-coredump keeps cores
 * of root processes too).  Keys are in sodium_malloc memory, which is kept
 * out of cores anyway; the rest is not.  RLIMIT_CORE 0 stops the kernel's
 * own core files and systemd-coredump, which honours the limit;
 * non-dumpable also stops ptrace by the same user and /proc/PID/mem.
 * Sanitizer builds stay dumpable: LeakSanitizer stops the world with
 * ptrace, which fails for a non-dumpable process without CAP_SYS_PTRACE.
 */
#if defined(__SANITIZE_ADDRESS__)
#define GS_KEEP_DUMPABLE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define GS_KEEP_DUMPABLE 1
#endif
#endif

static void
no_core_dumps(void)
{
	const struct rlimit zero = {0, 0};

	if (setrlimit(RLIMIT_CORE, &zero) != 0)
		gs_warnp("setrlimit(RLIMIT_CORE)");
#ifndef GS_KEEP_DUMPABLE
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		gs_warnp("prctl(PR_SET_DUMPABLE)");
#endif
}

/* main: the program's options, then the command's (cmd_<verb>.c). */
int
main(int argc, char **argv)
{
	struct gs_cmd_args a;
	struct gs_cli g = {0};
	const char *cmd;
	size_t i;
	int rc;

	gs_set_progname("geosnap-restore");
	no_core_dumps();
	if (sodium_init() < 0) {
		gs_warn("libsodium cannot be initialised");
		return GS_EXIT_FAIL;
	}
	/* The program's own options end at the command, which parses its own. */
	if ((rc = gs_cmd_parse(&g, &a, argc, argv, usage, GS_OPT_VERSION | GS_OPT_COMMAND)) >= 0)
		return rc;
	if (a.nargs == 0) {
		fputs(usage, stderr);
		return GS_EXIT_USAGE;
	}
	cmd = a.args[0];
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(&g, (int)a.nargs, a.args);
	gs_warn("unknown command '%s'", cmd);
	fputs(usage, stderr);
	return GS_EXIT_USAGE;
}
