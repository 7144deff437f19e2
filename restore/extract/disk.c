/*
 * disk.c -- what a restore does on the disk beside libarchive's
 * archive_write_disk, always relative to the current directory (the target)
 * and never following a symlink in a path: setting a directory's times
 * again, removing the xattrs an object kept in place (--overwrite) no
 * longer has, and removing a file whose content is not exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "geosnap/util.h"
#include "extract/disk.h"
#include "extract/entry.h"

/*
 * Open the directory that holds path (relative to the current directory)
 * without following a symlink in any component.  Returns the descriptor,
 * with *ret_copy a malloc'd copy of path and *ret_name its last component
 * inside it; or -1 (errno set, nothing to free).
 */
static int
open_parent(const char *path, char **ret_copy, const char **ret_name)
{
	char *copy, *p, *slash;
	int fd, nfd, e;

	if ((copy = strdup(path)) == NULL)
		return -1;
	if ((fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto fail;
	for (p = copy; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		*slash = '\0';
		nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if ((fd = nfd) < 0)
			goto fail;
	}
	*ret_copy = copy;
	*ret_name = p;
	return fd;
fail:
	e = errno;
	free(copy);
	errno = e;
	return -1;
}

/*
 * gs_disk_utimens(path, ts): set the times of path (relative to the current
 * directory) without following a symlink in any component.  0 or -1
 * (errno set).
 */
int
gs_disk_utimens(const char *path, const struct timespec ts[2])
{
	const char *name;
	char *copy;
	int fd, rc, e;

	if ((fd = open_parent(path, &copy, &name)) < 0)
		return -1;
	rc = utimensat(fd, name, ts, AT_SYMLINK_NOFOLLOW);
	e = errno;
	close(fd);
	free(copy);
	errno = e;
	return rc;
}

/* ---- xattrs left over from an existing tree (--overwrite) ------------ */

/*
 * With --overwrite, libarchive replaces what is in the way of a file,
 * symlink or special file (ARCHIVE_EXTRACT_UNLINK), but writes over an
 * existing directory in place, and only ever adds xattrs.  An object kept
 * in place must lose the xattrs its manifest entry does not have, so that
 * it ends up like a freshly created one.
 */

/* Where the xattrs are reached: an open descriptor, or a path for l*(). */
struct xobj {
	int fd;
	char path[PATH_MAX];
};

static ssize_t
x_list(const struct xobj *x, char *buf, size_t n)
{
	return x->fd >= 0 ? flistxattr(x->fd, buf, n) : llistxattr(x->path, buf, n);
}

static int
x_remove(const struct xobj *x, const char *name)
{
	return x->fd >= 0 ? fremovexattr(x->fd, name) : lremovexattr(x->path, name);
}

/*
 * 1 for the xattrs a restore owns: user.*, trusted.* and security.*, but
 * not the labels the kernel gives every new object (a fresh one has them
 * too), nor system.* (POSIX ACLs belong to the ACL restore).
 */
static int
prunable(const char *name)
{
	if (strncmp(name, "user.", 5) == 0 || strncmp(name, "trusted.", 8) == 0)
		return 1;
	if (strncmp(name, "security.", 9) != 0)
		return 0;
	return strcmp(name, "security.selinux") != 0 &&
	       strncmp(name, "security.SMACK64", 16) != 0 &&
	       strcmp(name, "security.apparmor") != 0 && strcmp(name, "security.ima") != 0 &&
	       strcmp(name, "security.evm") != 0;
}

static int
in_entry(const struct gs_mentry *e, const char *name)
{
	uint32_t i;

	for (i = 0; i < e->nxattrs; i++)
		if (strcmp(e->xattrs[i].name, name) == 0)
			return 1;
	return 0;
}

/* Remove the prunable xattrs of x that e does not have: 0, or 1 when
 * something could not be done (warned). */
static int
prune_list(const struct gs_mentry *e, const struct xobj *x)
{
	char *buf = NULL, *nb, *p;
	ssize_t n;
	size_t cap = 0;
	int rc = 0;

	for (;;) {
		if ((n = x_list(x, NULL, 0)) < 0)
			goto fail;
		if (n == 0)
			return 0;
		if ((size_t)n > cap) {
			if ((nb = realloc(buf, (size_t)n)) == NULL) {
				free(buf);
				gs_warnp("realloc");
				return 1;
			}
			buf = nb;
			cap = (size_t)n;
		}
		if ((n = x_list(x, buf, cap)) >= 0)
			break;
		if (errno != ERANGE)
			goto fail;
		/* The list grew in between: ask again. */
	}
	for (p = buf; p < buf + n; p += strlen(p) + 1) {
		if (memchr(p, '\0', (size_t)(buf + n - p)) == NULL)
			break;
		if (!prunable(p) || in_entry(e, p))
			continue;
		if (x_remove(x, p) != 0 && errno != ENODATA) {
			gs_entry_warn(e->path, "cannot remove the xattr %s it no longer has: %s", p,
			              strerror(errno));
			rc = 1;
		}
	}
	free(buf);
	return rc;
fail:
	free(buf);
	if (errno == ENOTSUP || errno == ENOENT)
		return 0; /* no xattrs here; ENOENT: no /proc (see gs_disk_prune_xattrs) */
	gs_entry_warn(e->path, "cannot list the xattrs: %s", strerror(errno));
	return 1;
}

/*
 * gs_disk_prune_xattrs(e, before): e has just been written over the object
 * that was at its path before (before: its lstat).  When that object was
 * kept in place, remove the xattrs e does not have.  No component of the
 * path is followed if it is a symlink, nor the object itself: a directory
 * is opened with O_NOFOLLOW, anything else is reached as
 * /proc/self/fd/PARENT/NAME with the l*() calls.  Without /proc only
 * directories are pruned; the rest was replaced.  Returns 0, or 1 when
 * something could not be checked or removed (warned, naming e).
 */
int
gs_disk_prune_xattrs(const struct gs_mentry *e, const struct stat *before)
{
	struct stat st;
	struct xobj x;
	const char *name;
	char *copy;
	int dfd, rc = 0;

	if (lstat(e->path, &st) != 0 || st.st_dev != before->st_dev || st.st_ino != before->st_ino)
		return 0; /* a new object: it has only what was restored */
	if ((dfd = open_parent(e->path, &copy, &name)) < 0) {
		gs_entry_warn(e->path, "cannot check its xattrs: %s", strerror(errno));
		return 1;
	}
	x.fd = -1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		x.fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x.fd >= 0) {
		rc = prune_list(e, &x);
		close(x.fd);
	} else if ((size_t)snprintf(x.path, sizeof(x.path), "/proc/self/fd/%d/%s", dfd, name) <
	           sizeof(x.path)) {
		rc = prune_list(e, &x);
	}
	close(dfd);
	free(copy);
	return rc;
}

/*
 * gs_disk_discard(path): remove the file just written at path (relative to
 * the current directory, no symlink followed) because its content is not
 * exact, so that nothing is left looking restored; named on stderr.
 */
void
gs_disk_discard(const char *path)
{
	const char *name;
	char *copy;
	int fd;

	if ((fd = open_parent(path, &copy, &name)) < 0 || unlinkat(fd, name, 0) != 0) {
		if (errno != ENOENT)
			gs_entry_warn(path, "cannot remove the incomplete file: %s",
			              strerror(errno));
	} else {
		gs_entry_warn(path, "not restored: its content could not be restored exactly "
		                    "(the partial file was removed)");
	}
	if (fd >= 0) {
		close(fd);
		free(copy);
	}
}
