/*
 * scratch.c -- the restore test's scratch directory: made fresh with
 * mkdtemp, removed afterwards whatever happened.  A janitor process,
 * forked before anything is restored, waits on a pipe and removes the
 * directory when the test process dies without having removed it itself
 * (a crash, SIGKILL, the OOM killer); it runs in its own session, so that
 * a signal to the test's process group does not stop it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "geosnap/util.h"
#include "rtest/rtest.h"

#define TEMPLATE "geosnap-restore-test.XXXXXX"

/* The base directory: base, else $TMPDIR, else /var/tmp. */
static const char *
base_of(const char *base)
{
	const char *env = getenv("TMPDIR");

	if (base != NULL)
		return base;
	return env != NULL && *env == '/' ? env : "/var/tmp";
}

/*
 * Remove the entry name of directory dfd, whose device is dev, and
 * everything under it: directories are made writable and searchable first
 * (a restored directory may be 0555), symlinks are never followed, and a
 * mount point (another device) is not entered.  0, or -1 (warned).
 */
static int
rm_at(int dfd, const char *name, dev_t dev, const char *top)
{
	struct dirent *d;
	struct stat st;
	DIR *dp;
	int fd, rc = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : (gs_warnp("%s: %s", top, name), -1);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
			return 0;
		gs_warnp("%s: cannot remove %s", top, name);
		return -1;
	}
	if (st.st_dev != dev) {
		gs_warn("%s: %s is a mount point; left in place", top, name);
		return -1;
	}
	if ((st.st_mode & 0700) != 0700)
		(void)fchmodat(dfd, name, 0700, 0);
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		gs_warnp("%s: %s", top, name);
		return -1;
	}
	if ((dp = fdopendir(fd)) == NULL) {
		gs_warnp("%s: %s", top, name);
		close(fd);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (rm_at(fd, d->d_name, dev, top) != 0)
			rc = -1;
	}
	closedir(dp);
	if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
		if (rc == 0)
			gs_warnp("%s: cannot remove %s", top, name);
		rc = -1;
	}
	return rc;
}

/* Remove the directory path and everything under it.  0 or -1 (warned). */
static int
rm_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (gs_warnp("%s", path), -1);
	return rm_at(AT_FDCWD, path, st.st_dev, path);
}

/* The janitor: wait until the test process closes its end of the pipe
 * (by exiting, however), then remove path if it is still there. */
static void
janitor(int fd, const char *path)
{
	char c;
	int devnull;

	/* Out of the test's process group: a SIGKILL sent to the group (timeout,
	 * kill -- -PGID) does not take the janitor with it. */
	(void)setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* No descriptor of the test's output stays open (a pipe reader
	 * would wait for us); warnings still go to stderr. */
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(rm_tree(path) == 0 ? 0 : 1);
}

/* gs_scratch_make(base, ret): the scratch directory and its janitor. */
int
gs_scratch_make(const char *base, struct gs_scratch *ret)
{
	const char *dir = base_of(base);
	struct stat st;
	char *abs;
	int pfd[2];
	pid_t pid;

	ret->path = NULL;
	ret->janitor = 0;
	ret->fd = -1;
	/* Absolute: the restore changes into it. */
	if ((abs = realpath(dir, NULL)) == NULL) {
		gs_warnp("scratch directory %s", dir);
		return -1;
	}
	if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
		gs_warn("scratch directory %s: not a directory", dir);
		free(abs);
		return -1;
	}
	ret->path = gs_path_join(abs, TEMPLATE);
	free(abs);
	if (ret->path == NULL)
		return -1;
	if (mkdtemp(ret->path) == NULL) {
		int io = errno == ENOSPC || errno == EDQUOT || errno == EIO;

		gs_warnp("scratch directory %s: cannot make a directory in it", dir);
		free(ret->path);
		ret->path = NULL;
		return io ? -2 : -1;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		gs_warnp("pipe");
		goto err0;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		gs_warnp("fork");
		close(pfd[0]);
		close(pfd[1]);
		goto err0;
	}
	if (pid == 0) {
		close(pfd[1]);
		janitor(pfd[0], ret->path);
	}
	close(pfd[0]);
	ret->janitor = pid;
	ret->fd = pfd[1];
	return 0;
err0:
	rmdir(ret->path);
	free(ret->path);
	ret->path = NULL;
	return -2;
}

/* gs_scratch_remove(s): remove the scratch directory, stop the janitor. */
int
gs_scratch_remove(struct gs_scratch *s)
{
	int rc = 0, st;

	if (s->path != NULL)
		rc = rm_tree(s->path);
	if (s->fd >= 0)
		close(s->fd); /* the janitor wakes up, finds nothing, exits */
	if (s->janitor > 0) {
		while (waitpid(s->janitor, &st, 0) < 0 && errno == EINTR)
			;
	}
	free(s->path);
	s->path = NULL;
	s->fd = -1;
	s->janitor = 0;
	return rc;
}
