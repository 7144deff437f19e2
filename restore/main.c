/*
 * main.c -- geosnap-restore: the program that holds read keys.
 *
 *   geosnap-restore [-c FILE] [-q] [-v] [--version] COMMAND [ARGS]
 *
 * Commands are in cmd_<verb>.c; exit statuses follow CLI.md.
 */
#include <getopt.h>
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
    "Each command takes --help.  Common: [--from local|REMOTE|URL] [--repo PATH]\n"
    "[--key FILE].  With --from sftp://USER@HOST[:PORT]/PATH, --identity FILE and\n"
    "--known-hosts FILE and/or --host-key SHA256:..., no configuration is needed.\n";

static const struct {
	const char *name;
	int (*fn)(struct gs_cli *, int, char **);
} commands[] = {
    {"keygen", gs_cmd_keygen},   {"snapshots", gs_cmd_snapshots}, {"ls", gs_cmd_ls},
    {"restore", gs_cmd_restore}, {"export", gs_cmd_export},       {"check", gs_cmd_check},
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},         {"help", no_argument, NULL, OPT_HELP},
	    {"version", no_argument, NULL, OPT_VERSION}, {NULL, 0, NULL, 0}};
	struct gs_cli g = {0};
	size_t i;
	int opt;

	gs_set_progname("geosnap-restore");
	no_core_dumps();
	if (sodium_init() < 0) {
		gs_warn("libsodium cannot be initialised");
		return GS_EXIT_FAIL;
	}
	/* '+': stop at the command; its own options are parsed by the command. */
	while ((opt = getopt_long(argc, argv, "+c:qv", longopts, NULL)) != -1) {
		if (gs_cmd_common_opt(&g, opt, optarg))
			continue;
		switch (opt) {
		case OPT_HELP:
			fputs(usage, stdout);
			return GS_EXIT_OK;
		case OPT_VERSION:
			printf("geosnap-restore %s\n", GS_VERSION);
			return GS_EXIT_OK;
		default:
			fputs(usage, stderr);
			return GS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return GS_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			argv += optind;
			argc -= optind;
			optind = 0; /* re-initialise getopt for the command */
			return commands[i].fn(&g, argc, argv);
		}
	}
	if (strcmp(argv[optind], "test") == 0 || strcmp(argv[optind], "log") == 0 ||
	    strcmp(argv[optind], "report") == 0) {
		gs_warn("%s: not available yet", argv[optind]);
		return GS_EXIT_USAGE;
	}
	gs_warn("unknown command '%s'", argv[optind]);
	fputs(usage, stderr);
	return GS_EXIT_USAGE;
}
