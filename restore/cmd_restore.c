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

/*
 * Check the target directory before anything is read: it must be empty or
 * missing unless --overwrite.  GS_EXIT_OK, or GS_EXIT_USAGE (warned).
 */
static int
check_target(const struct gs_cmd_args *a)
{
	int st;

	if ((st = target_state(a->target)) < 0)
		return GS_EXIT_USAGE;
	if (st == 1 && !a->overwrite) {
		gs_warn("%s: not empty (use --overwrite to restore over existing files)",
		        a->target);
		return GS_EXIT_USAGE;
	}
	return GS_EXIT_OK;
}

/*
 * Make the target directory, resolve it and change into it (see the top of
 * the file); the absolute path (malloc'd), or NULL (warned).
 */
static char *
enter_target(const char *target)
{
	char *abs;

	if (gs_mkdir_p(target, 0700) != 0)
		return NULL;
	if ((abs = realpath(target, NULL)) == NULL) {
		gs_warnp("%s", target);
		return NULL;
	}
	if (chdir(abs) != 0) {
		gs_warnp("%s: chdir", abs);
		free(abs);
		return NULL;
	}
	return abs;
}

/* Restore snap of session s into the current directory (abs, for the
 * summary); the exit status. */
static int
run(const struct gs_cli *g, const struct gs_cmd_args *a, struct gs_session *s,
    const struct gs_rsnap *snap, int others_bad, const char *abs)
{
	struct gs_extract_opts eo = {0};
	int64_t t0;
	int rc;

	eo.includes = (const char *const *)a->includes;
	eo.nincludes = a->nincludes;
	eo.overwrite = a->overwrite;
	eo.privileged = a->privileged;
	eo.progress = !g->quiet && isatty(STDERR_FILENO);
	eo.verbose = g->verbose;
	eo.remote = s->remote;
	eo.stats = &s->fst;
	s->has_fst = 1;
	t0 = gs_mono_ns();
	switch (gs_extract(s->rd, snap, &eo)) {
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
		        snap->name, a->t.tenant, abs, (double)(gs_mono_ns() - t0) / 1e9,
		        rc == GS_EXIT_OK     ? "every file verified"
		        : rc == GS_EXIT_WARN ? "every file verified, privileged items left out"
		                             : "PROBLEMS (see above)");
	return rc;
}

/* gs_cmd_restore(g, argc, argv): restore a snapshot; returns the exit status. */
int
gs_cmd_restore(struct gs_cli *g, int argc, char **argv)
{
	struct gs_cmd_args a;
	struct gs_rsnap snap;
	struct gs_session s;
	char *abs;
	int rc, others_bad = 0;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_READS | GS_OPT_SNAPSHOT | GS_OPT_INCLUDE | GS_OPT_TARGET |
	                           GS_OPT_OVERWRITE | GS_OPT_PRIVILEGED)) >= 0)
		return rc;
	if (a.t.tenant == NULL || a.target == NULL) {
		rc = gs_cmd_usage_error(usage, "restore: --tenant and --target are required");
		goto err0;
	}
	if ((rc = check_target(&a)) != GS_EXIT_OK)
		goto err0;
	if ((rc = gs_cmd_open_snapshot(g, &a.t, a.snapshot, &s, &snap, &others_bad)) != GS_EXIT_OK)
		goto err0;
	rc = GS_EXIT_FAIL;
	if ((abs = enter_target(a.target)) != NULL) {
		rc = run(g, &a, &s, &snap, others_bad, abs);
		free(abs);
	}
	gs_reader_snap_clear(&snap);
	rc = gs_cmd_finish(&s, rc);
err0:
	gs_cmd_args_clear(&a);
	return rc;
}
