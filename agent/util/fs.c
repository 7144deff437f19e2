/*
 * fs.c -- crash-safe file publication and small file helpers, and the
 * checks that keep the agent's own files out of other users' reach.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/util.h"

/* gs_mkdir_p(path, mode): create path and its parents; 0 or -1.  An
 * existing directory (of any owner and mode, or a link to one) is
 * accepted: check the ones that must be private with
 * gs_dir_check_private(). */
int
gs_mkdir_p(const char *path, unsigned mode)
{
	char *p, *s;
	int rc = -1;

	if ((p = gs_strdup(path)) == NULL)
		return -1;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) && errno != EEXIST) {
			gs_warnp("mkdir %s", p);
			goto out;
		}
		*s = '/';
	}
	if (mkdir(p, mode) && errno != EEXIST) {
		gs_warnp("mkdir %s", p);
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/*
 * gs_read_file(path, max, ret, ret_len): see util.h.  A symbolic link is
 * refused, not followed (O_NOFOLLOW): the agent's state files and
 * repository objects are never links, so one is somebody's plant.
 */
int
gs_read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP)
			gs_warn("%s: is a symbolic link; refused, not followed", path);
		else
			gs_warnp("open %s", path);
		return -1;
	}
	if (fstat(fd, &st)) {
		gs_warnp("stat %s", path);
		goto err0;
	}
	if (!S_ISREG(st.st_mode)) {
		gs_warn("%s: not a regular file", path);
		goto err0;
	}
	if ((uint64_t)st.st_size > max) {
		gs_warn("%s: %lld bytes, more than the %zu this file may have; refused, not read",
		        path, (long long)st.st_size, max);
		goto err0;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		gs_warnp("malloc");
		goto err0;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			gs_warnp("read %s", path);
			goto err1;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	*ret = buf;
	*ret_len = off;
	return 0;
err1:
	free(buf);
err0:
	close(fd);
	return -1;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* gs_fsync_dir(dir): 0 or -1 (warned). */
int
gs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		gs_warnp("open %s", dir);
		return -1;
	}
	if (fsync(fd)) {
		gs_warnp("fsync %s", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Create dir/.gstmp-<random> with buf in it, fsync'd; returns its path. */
static char *
write_temp(const char *dir, const void *buf, size_t len, unsigned mode, int durable)
{
	uint8_t rnd[8];
	char hex[17];
	char *tmp;
	int fd;

	randombytes_buf(rnd, sizeof(rnd));
	gs_hex(hex, rnd, sizeof(rnd));
	if ((tmp = gs_asprintf("%s/" GS_TMP_PREFIX "%s", dir, hex)) == NULL)
		return NULL;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0) {
		gs_warnp("create %s", tmp);
		goto err0;
	}
	if (write_all(fd, buf, len)) {
		gs_warnp("write %s", tmp);
		goto err1;
	}
	if (durable && fsync(fd)) {
		gs_warnp("fsync %s", tmp);
		goto err1;
	}
	if (close(fd)) {
		gs_warnp("close %s", tmp);
		unlink(tmp);
		goto err0;
	}
	return tmp;
err1:
	close(fd);
	unlink(tmp);
err0:
	free(tmp);
	return NULL;
}

/*
 * gs_publish(dir, name, buf, len, mode): write buf to dir/.gstmp-<random>,
 * fsync, link it to dir/name without overwriting, unlink the temporary
 * name and fsync dir.  Returns 0, 1 if dir/name already exists (same name =
 * same content for content-addressed objects, so this is not an error), -1
 * on error (warned, the temporary file removed).
 */
int
gs_publish(const char *dir, const char *name, const void *buf, size_t len, unsigned mode)
{
	char *tmp, *dst;
	int rc = -1;

	if ((tmp = write_temp(dir, buf, len, mode, 1)) == NULL)
		return -1;
	if ((dst = gs_path_join(dir, name)) == NULL)
		goto out;
	/* link(2) never overwrites: an existing name stays as it was. */
	if (link(tmp, dst)) {
		if (errno == EEXIST)
			rc = 1;
		else
			gs_warnp("publish %s", dst);
	} else {
		rc = 0;
	}
	free(dst);
out:
	unlink(tmp);
	free(tmp);
	if (rc == 0 && gs_fsync_dir(dir))
		rc = -1;
	return rc;
}

/* gs_write_file_replace(path, buf, len, mode, durable): atomically replace
 * path (temporary file, rename).  With durable, the file and the directory
 * are fsync'd too; without, a crash may leave the old file, the new one, or
 * (for some filesystems) an empty one: only for caches that check
 * themselves.  For state files, not repository objects.  0 or -1. */
int
gs_write_file_replace(const char *path, const void *buf, size_t len, unsigned mode, int durable)
{
	char *dir, *slash, *tmp;
	int rc = -1;

	if ((dir = gs_strdup(path)) == NULL)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	if ((tmp = write_temp(dir, buf, len, mode, durable)) == NULL)
		goto out;
	if (rename(tmp, path)) {
		gs_warnp("rename %s", path);
		unlink(tmp);
	} else {
		rc = durable ? gs_fsync_dir(dir) : 0;
	}
	free(tmp);
out:
	free(dir);
	return rc;
}

/* user_name(uid, buf, cap): the user's name, or "uid N". */
static const char *
user_name(uid_t uid, char *buf, size_t cap)
{
	struct passwd pw, *res = NULL;
	char pwbuf[1024];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res != NULL)
		snprintf(buf, cap, "%s", res->pw_name);
	else
		snprintf(buf, cap, "uid %lu", (unsigned long)uid);
	return buf;
}

/*
 * gs_dir_check_private(what, path): path must be a directory (lstat: not
 * a symbolic link to one), owned by the effective uid and not writable by
 * group or others.  what names the setting in messages.  0 when it is; 1
 * when path does not exist (not warned); -1 when refused (warned naming
 * the directory, its owner and mode, and the fix).
 */
int
gs_dir_check_private(const char *what, const char *path)
{
	char target[256], owner[64], me[64];
	struct stat st;
	size_t n = strlen(path);
	char *p;
	ssize_t tl;
	int rc = -1;

	/* "dir/" would make lstat follow a link named dir */
	if ((p = gs_strdup(path)) == NULL)
		return -1;
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if (lstat(p, &st)) {
		if (errno == ENOENT)
			rc = 1;
		else
			gs_warnp("%s %s", what, p);
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		tl = readlink(p, target, sizeof(target) - 1);
		target[tl > 0 ? tl : 0] = '\0';
		gs_warn("%s %s is a symbolic link (to %s); refused: set %s to the directory "
		        "itself",
		        what, p, tl > 0 ? target : "?", what);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		gs_warn("%s %s is not a directory", what, p);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		gs_warn("%s %s is owned by %s (mode %04o), not by %s, whom the agent runs as; "
		        "refused: chown %s %s",
		        what, p, user_name(st.st_uid, owner, sizeof(owner)),
		        (unsigned)(st.st_mode & 07777), user_name(geteuid(), me, sizeof(me)), me,
		        p);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		gs_warn("%s %s (owner %s) has mode %04o: group or others may write into it; "
		        "refused: chmod go-w %s",
		        what, p, user_name(st.st_uid, owner, sizeof(owner)),
		        (unsigned)(st.st_mode & 07777), p);
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/*
 * gs_open_private(path, flags, mode): open a state, lock or log file of the
 * agent with O_NOFOLLOW and O_CLOEXEC added to flags (never O_TRUNC:
 * truncate after the checks), creating it with mode; it must be a regular
 * file owned by the effective uid with a single link (a hard link to a
 * victim is refused too).  An fd, or -1 (warned naming the file).
 */
int
gs_open_private(const char *path, int flags, unsigned mode)
{
	char owner[64];
	struct stat st;
	int fd;

	assert((flags & O_TRUNC) == 0);
	if ((fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode)) < 0) {
		if (errno == ELOOP)
			gs_warn("%s: is a symbolic link; refused, not followed (remove it)", path);
		else
			gs_warnp("open %s", path);
		return -1;
	}
	if (fstat(fd, &st)) {
		gs_warnp("stat %s", path);
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		gs_warn("%s: not a regular file; refused (remove it)", path);
		goto err;
	}
	if (st.st_uid != geteuid()) {
		gs_warn("%s: owned by %s, not by the agent's user; refused (remove it)", path,
		        user_name(st.st_uid, owner, sizeof(owner)));
		goto err;
	}
	if (st.st_nlink != 1) {
		gs_warn("%s: has %lu links (a hard link to another file?); refused (remove it)",
		        path, (unsigned long)st.st_nlink);
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}
