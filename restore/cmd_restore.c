/*
 * cmd_restore.c -- geosnap-restore restore --tenant T --target DIR
 *
 * The library extracts relative to the current directory (libarchive's
 * SECURE_NOABSOLUTEPATHS refuses "/abs/target/..." and SECURE_SYMLINKS
 * refuses a target reached through a symlink), so this program resolves the
 * target with realpath() and changes into it, as bsdtar -C does.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "geosnap/util.h"
#include "extract/extract.h"
#include "read/reader.h"

static const char usage[] =
    "usage: geosnap-restore restore --tenant T [--key FILE]\n"
    "                               [--from local|REMOTE|URL] [--repo PATH]\n"
    "                               [--identity FILE] [--known-hosts FILE]\n"
    "                               [--host-key SHA256:...] [--connections N]\n"
    "                               [--snapshot ID|latest] [--include PATH]...\n"
    "                               --target DIR [--overwrite] [--privileged]\n"
    "  Restore a snapshot (default: the latest) into DIR, which must be empty or\n"
    "  missing unless --overwrite is given.  --include restores only the given\n"
    "  paths (whole components) and what lies below them.  Every file is checked\n"
    "  against its recorded XXH3-128; each wrong or skipped entry is named and the\n"
    "  exit status is 1.\n"
    "  Device nodes, setuid/setgid bits (of anything but a directory), and the\n"
    "  security.capability and trusted.* xattrs are restored only with\n"
    "  --privileged (a full-system restore as root); without it each one left\n"
    "  out is named and the exit status is 4 (if nothing worse happened).\n"
    "  The chosen snapshot's ID, time and host are printed on stderr (also with\n"
    "  -q).  \"latest\" is refused (exit 1) when the newest snapshot is dated more\n"
    "  than an hour ahead of this host's clock: its time may be forged; choose\n"
    "  one with --snapshot ID (see the snapshots command).\n" GS_CMD_TARGET_USAGE;

#define MAX_INCLUDES 1024

/* 0 empty or missing, 1 not empty, -1 error (warned). */
static int
target_state(const char *dir)
{
	struct dirent *d;
	struct stat st;
	DIR *dp;
	int rc = 0;

	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		gs_warnp("%s", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
		gs_warn("%s: not a directory", dir);
		return -1;
	}
	if ((dp = opendir(dir)) == NULL) {
		gs_warnp("%s", dir);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
			rc = 1;
			break;
		}
	}
	closedir(dp);
	return rc;
}

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

/* gs_cmd_restore(g, argc, argv): restore a snapshot; returns the exit status. */
int
gs_cmd_restore(struct gs_cli *g, int argc, char **argv)
{
	static const struct option longopts[] = {
	    GS_CMD_TARGET_LONGOPTS,
	    {"snapshot", required_argument, NULL, OPT_SNAPSHOT},
	    {"include", required_argument, NULL, OPT_INCLUDE},
	    {"target", required_argument, NULL, OPT_TARGET},
	    {"overwrite", no_argument, NULL, OPT_OVERWRITE},
	    {"privileged", no_argument, NULL, OPT_PRIVILEGED},
	    {"config", required_argument, NULL, 'c'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0}};
	char *includes[MAX_INCLUDES];
	struct gs_extract_opts eo = {0};
	struct gs_rsnap snap;
	const char *spec = NULL, *target = NULL;
	struct gs_target t = {0};
	struct gs_session s;
	size_t ninc = 0, i;
	char *abs = NULL;
	int64_t t0;
	int opt, rc = GS_EXIT_USAGE, others_bad = 0, st;

	while ((opt = getopt_long(argc, argv, "c:qv", longopts, NULL)) != -1) {
		if (gs_cmd_common_opt(g, opt, optarg) || gs_cmd_target_opt(&t, opt, optarg))
			continue;
		switch (opt) {
		case OPT_SNAPSHOT:
			spec = optarg;
			break;
		case OPT_INCLUDE:
			if (ninc == MAX_INCLUDES) {
				gs_warn("restore: too many --include options");
				goto out;
			}
			if ((includes[ninc] = norm_include(optarg)) == NULL)
				goto out;
			if (!gs_reader_path_ok(includes[ninc])) {
				gs_warn("restore: --include '%s': not a relative path inside the "
				        "snapshot",
				        optarg);
				free(includes[ninc]);
				goto out;
			}
			ninc++;
			break;
		case OPT_TARGET:
			target = optarg;
			break;
		case OPT_OVERWRITE:
			eo.overwrite = 1;
			break;
		case OPT_PRIVILEGED:
			eo.privileged = 1;
			break;
		case OPT_HELP:
			fputs(usage, stdout);
			rc = GS_EXIT_OK;
			goto out;
		default:
			fputs(usage, stderr);
			goto out;
		}
	}
	if (optind < argc) {
		rc = gs_cmd_usage_error(usage, "restore: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (t.tenant == NULL || target == NULL) {
		rc = gs_cmd_usage_error(usage, "restore: --tenant and --target are required");
		goto out;
	}
	if ((st = target_state(target)) < 0)
		goto out;
	if (st == 1 && !eo.overwrite) {
		gs_warn("%s: not empty (use --overwrite to restore over existing files)", target);
		goto out;
	}

	if ((rc = gs_cmd_open(g, &t, 0, &s)) != GS_EXIT_OK)
		goto out;
	if ((rc = gs_cmd_snapshot(&s, spec, &snap, &others_bad)) != GS_EXIT_OK) {
		gs_cmd_close(&s);
		goto out;
	}
	rc = GS_EXIT_FAIL;
	if (gs_mkdir_p(target, 0700) != 0)
		goto close;
	if ((abs = realpath(target, NULL)) == NULL) {
		gs_warnp("%s", target);
		goto close;
	}
	if (chdir(abs) != 0) {
		gs_warnp("%s: chdir", abs);
		goto close;
	}
	eo.includes = (const char *const *)includes;
	eo.nincludes = ninc;
	eo.progress = !g->quiet && isatty(STDERR_FILENO);
	eo.verbose = g->verbose;
	eo.remote = s.remote;
	eo.stats = &s.fst;
	s.has_fst = 1;
	t0 = gs_mono_ns();
	switch (gs_extract(s.rd, &snap, &eo)) {
	case 0:
		rc = others_bad ? GS_EXIT_PROBLEM : GS_EXIT_OK;
		break;
	case 1:
		rc = GS_EXIT_PROBLEM;
		break;
	case 2:
		/* Only what --privileged restores was left out (each named). */
		rc = others_bad ? GS_EXIT_PROBLEM : GS_EXIT_WARN;
		break;
	default:
		rc = GS_EXIT_FAIL;
	}
	if (g->verbose || (!g->quiet && isatty(STDERR_FILENO)))
		fprintf(stderr,
		        "geosnap-restore: snapshot %.12s of tenant %s restored into %s in "
		        "%.1f s: %s\n",
		        snap.name, t.tenant, abs, (double)(gs_mono_ns() - t0) / 1e9,
		        rc == GS_EXIT_OK     ? "every file verified"
		        : rc == GS_EXIT_WARN ? "every file verified, privileged items left out"
		                             : "PROBLEMS (see above)");
close:
	free(abs);
	gs_reader_snap_clear(&snap);
	rc = gs_cmd_finish(&s, rc);
out:
	for (i = 0; i < ninc; i++)
		free(includes[i]);
	return rc;
}
