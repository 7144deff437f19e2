/*
 * local.c -- the local-directory transport.
 *
 * Everything goes through *at() calls relative to a descriptor of the base
 * directory, so a rename of the base's path while we run does not send
 * writes elsewhere.  Publication is crash-safe: create with O_EXCL and mode
 * 0444, fsync, close, fsync the directory; rename never overwrites
 * (renameat2(RENAME_NOREPLACE), or link()+unlink() on filesystems without
 * it) and is made durable by an fsync of the directories involved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "geosnap/util.h"
#include "transport/transport_internal.h"

struct tp_local {
	struct gs_transport base;
	char *dir;
	int dfd;
};

struct file_local {
	struct gs_tp_file base;
	int fd;
};

static const struct gs_tp_ops local_ops;

/* kind_of(e): the GS_TP_ERR_* class of an errno value. */
static int
kind_of(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
		return GS_TP_ERR_SPACE;
	case EACCES:
	case EPERM:
	case EROFS:
		return GS_TP_ERR_REFUSED;
	case EEXIST:
		return GS_TP_ERR_EXISTS;
	default:
		return GS_TP_ERR_IO;
	}
}

/* fail(t, what, path): warn "NAME: what DIR/path: strerror" and return -1
 * with the errkind of errno. */
static int
fail(struct tp_local *t, const char *what, const char *path)
{
	int e = errno;

	gs_warnp("%s: %s %s/%s", t->base.name, what, t->dir, path);
	return gs_tp_fail(&t->base, kind_of(e));
}

/* fsync_parent(t, path): fsync the directory that holds path; 0 or -1. */
static int
fsync_parent(struct tp_local *t, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *parent;
	int fd, rc = 0;

	if (slash == NULL)
		parent = gs_strdup(".");
	else
		parent = gs_asprintf("%.*s", (int)(slash - path), path);
	if (parent == NULL)
		return gs_tp_fail(&t->base, GS_TP_ERR_IO);
	if ((fd = openat(t->dfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = fail(t, "open directory", parent);
	} else {
		if (fsync(fd))
			rc = fail(t, "fsync directory", parent);
		close(fd);
	}
	free(parent);
	return rc;
}

/* gs_tp_local_open(name, dir): the local transport rooted at dir; NULL
 * (warned) on error. */
struct gs_transport *
gs_tp_local_open(const char *name, const char *dir)
{
	struct tp_local *t;
	int kind = GS_TP_ERR_IO;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		gs_warnp("malloc");
		goto err0;
	}
	if (gs_tp_base_init(&t->base, &local_ops, name))
		goto err1;
	t->base.shared = 1; /* independent system calls: threads may share it */
	if ((t->dir = gs_strdup(dir)) == NULL)
		goto err2;
	if ((t->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		/* a missing or wrong base directory is a configuration error */
		kind = errno == ENOENT || errno == ENOTDIR ? GS_TP_ERR_REFUSED : kind_of(errno);
		gs_warnp("%s: base directory %s", name, dir);
		goto err3;
	}
	return &t->base;
err3:
	free(t->dir);
err2:
	gs_tp_base_free(&t->base);
err1:
	free(t);
err0:
	gs_tp_set_open_errkind(kind);
	return NULL;
}

static void
local_close(struct gs_transport *bt)
{
	struct tp_local *t = (struct tp_local *)bt;

	close(t->dfd);
	free(t->dir);
	gs_tp_base_free(&t->base);
	free(t);
}

static int
local_mkdir(struct gs_transport *bt, const char *path)
{
	struct tp_local *t = (struct tp_local *)bt;
	struct stat st;
	char *p, *s;
	int rc = -1, last;

	if (*path == '\0')
		return 0;
	if ((p = gs_strdup(path)) == NULL)
		return gs_tp_fail(bt, GS_TP_ERR_IO);
	for (s = p;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		last = *s == '\0';
		*s = '\0';
		if (mkdirat(t->dfd, p, GS_TP_DIR_MODE) == 0) {
			/* a new directory entry: make it durable */
			if (fsync_parent(t, p))
				goto out;
		} else if (errno != EEXIST) {
			fail(t, "mkdir", p);
			goto out;
		} else if (fstatat(t->dfd, p, &st, 0) || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			fail(t, "mkdir", p);
			goto out;
		}
		if (last)
			break;
		*s = '/';
	}
	rc = 0;
out:
	free(p);
	return rc;
}

static struct gs_tp_file *
local_create(struct gs_transport *bt, const char *path)
{
	struct tp_local *t = (struct tp_local *)bt;
	struct file_local *f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		gs_warnp("malloc");
		gs_tp_fail(bt, GS_TP_ERR_IO);
		goto err0;
	}
	if (gs_tp_file_init(&f->base, bt, path)) {
		gs_tp_fail(bt, GS_TP_ERR_IO);
		goto err1;
	}
	f->fd = openat(t->dfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	               GS_TP_FILE_MODE);
	if (f->fd < 0) {
		fail(t, "create", path);
		goto err2;
	}
	/* exactly 0444 whatever the umask */
	if (fchmod(f->fd, GS_TP_FILE_MODE)) {
		fail(t, "chmod", path);
		goto err3;
	}
	return &f->base;
err3:
	close(f->fd);
	unlinkat(t->dfd, path, 0);
err2:
	gs_tp_file_clear(&f->base);
err1:
	free(f);
err0:
	return NULL;
}

static int
local_write(struct gs_tp_file *bf, const void *buf, size_t len)
{
	struct file_local *f = (struct file_local *)bf;
	struct tp_local *t = (struct tp_local *)bf->t;
	const uint8_t *p = buf;
	ssize_t w;
	int e;

	while (len > 0) {
		if ((w = write(f->fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			gs_warnp(
			    "%s: write %s/%s at offset %llu", t->base.name, t->dir, bf->path,
			    (unsigned long long)(bf->off + (uint64_t)(p - (const uint8_t *)buf)));
			return gs_tp_fail(bf->t, kind_of(e));
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void
file_free(struct file_local *f)
{
	gs_tp_file_clear(&f->base);
	free(f);
}

static int
local_commit(struct gs_tp_file *bf)
{
	struct file_local *f = (struct file_local *)bf;
	struct tp_local *t = (struct tp_local *)bf->t;
	int rc = -1;

	if (bf->failed) {
		close(f->fd);
		goto out;
	}
	if (fsync(f->fd)) {
		fail(t, "fsync", bf->path);
		close(f->fd);
		goto out;
	}
	if (close(f->fd)) {
		fail(t, "close", bf->path);
		goto out;
	}
	if (fsync_parent(t, bf->path))
		goto out;
	rc = 0;
out:
	file_free(f);
	return rc;
}

/* Publish: fsync the file, give it its name without replacing anything
 * (rename without replace, or link where that is missing), fsync the
 * directory that received it.  On a clash the temporary is removed. */
static int
local_publish(struct gs_tp_file *bf, const char *to)
{
	struct file_local *f = (struct file_local *)bf;
	struct tp_local *t = (struct tp_local *)bf->t;
	int rc = -1;

	if (bf->failed) {
		close(f->fd);
		goto out;
	}
	if (fsync(f->fd)) {
		fail(t, "fsync", bf->path);
		close(f->fd);
		goto out;
	}
	if (close(f->fd)) {
		fail(t, "close", bf->path);
		goto out;
	}
	if (renameat2(t->dfd, bf->path, t->dfd, to, RENAME_NOREPLACE) != 0) {
		if (errno == EEXIST) {
			unlinkat(t->dfd, bf->path, 0);
			rc = 1;
			goto out;
		}
		if (errno != EINVAL && errno != ENOSYS) {
			fail(t, "publish", to);
			goto out;
		}
		/* No RENAME_NOREPLACE here: link() never overwrites either. */
		if (linkat(t->dfd, bf->path, t->dfd, to, 0) != 0) {
			if (errno == EEXIST) {
				unlinkat(t->dfd, bf->path, 0);
				rc = 1;
			} else {
				fail(t, "publish", to);
			}
			goto out;
		}
		unlinkat(t->dfd, bf->path, 0);
	}
	rc = fsync_parent(t, to);
out:
	file_free(f);
	return rc;
}

static void
local_abort(struct gs_tp_file *bf)
{
	struct file_local *f = (struct file_local *)bf;

	close(f->fd);
	file_free(f);
}

static int
local_read(struct gs_transport *bt, const char *path, uint64_t off, size_t len, uint8_t *buf)
{
	struct tp_local *t = (struct tp_local *)bt;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = openat(t->dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		return fail(t, "open", path);
	}
	while (got < len) {
		r = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail(t, "read", path);
			close(fd);
			return -1;
		}
		if (r == 0) {
			gs_warn("%s: read %s/%s: short file (%zu of %zu bytes at offset %llu)",
			        t->base.name, t->dir, path, got, len, (unsigned long long)off);
			close(fd);
			return gs_tp_fail(bt, GS_TP_ERR_IO);
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

static int
local_stat(struct gs_transport *bt, const char *path, uint64_t *ret_size)
{
	struct tp_local *t = (struct tp_local *)bt;
	struct stat st;

	if (fstatat(t->dfd, path, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 1;
		return fail(t, "stat", path);
	}
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

static int
local_list(struct gs_transport *bt, const char *dir, struct gs_tp_entry **ret, size_t *ret_n)
{
	struct tp_local *t = (struct tp_local *)bt;
	struct gs_tp_listing l;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	/* not through a link: a listing (and a sweep) stays inside the base */
	if ((fd = openat(t->dfd, *dir ? dir : ".",
	                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			*ret = NULL;
			*ret_n = 0;
			return 1;
		}
		return fail(t, "list", dir);
	}
	if ((d = fdopendir(fd)) == NULL) {
		fail(t, "list", dir);
		close(fd);
		return -1;
	}
	/* the same caps as over SFTP: a copied or mounted directory may be
	 * as hostile as a server */
	gs_tp_listing_init(&l, bt, dir);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT) /* deleted meanwhile */
				continue;
			fail(t, "stat in", dir);
			goto err;
		}
		if (gs_tp_listing_add(&l, de->d_name, (uint64_t)st.st_size, S_ISDIR(st.st_mode),
		                      (int64_t)st.st_mtim.tv_sec * GS_NS_PER_S +
		                          st.st_mtim.tv_nsec))
			goto err;
	}
	if (errno != 0) {
		fail(t, "list", dir);
		goto err;
	}
	closedir(d);
	gs_tp_listing_done(&l, ret, ret_n);
	return 0;
err:
	closedir(d);
	gs_tp_listing_clear(&l);
	return -1;
}

/* same_dir(a, b): a and b have the same parent directory. */
static int
same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;

	return la == lb && memcmp(a, b, la) == 0;
}

static int
local_rename(struct gs_transport *bt, const char *from, const char *to)
{
	struct tp_local *t = (struct tp_local *)bt;

	if (renameat2(t->dfd, from, t->dfd, to, RENAME_NOREPLACE) != 0) {
		if (errno == EEXIST)
			return 1;
		if (errno != EINVAL && errno != ENOSYS)
			return fail(t, "rename", from);
		/* No RENAME_NOREPLACE here: link() never overwrites either. */
		if (linkat(t->dfd, from, t->dfd, to, 0) != 0) {
			if (errno == EEXIST)
				return 1;
			return fail(t, "link", from);
		}
		if (unlinkat(t->dfd, from, 0) != 0)
			return fail(t, "unlink", from);
	}
	if (fsync_parent(t, to))
		return -1;
	if (!same_dir(from, to) && fsync_parent(t, from))
		return -1;
	return 0;
}

static int
local_delete(struct gs_transport *bt, const char *path)
{
	struct tp_local *t = (struct tp_local *)bt;

	if (unlinkat(t->dfd, path, 0) != 0) {
		if (errno == ENOENT)
			return 1;
		return fail(t, "delete", path);
	}
	return fsync_parent(t, path);
}

static int
local_rmdir(struct gs_transport *bt, const char *path)
{
	struct tp_local *t = (struct tp_local *)bt;

	if (unlinkat(t->dfd, path, AT_REMOVEDIR) != 0) {
		if (errno == ENOENT)
			return 1;
		return fail(t, "rmdir", path);
	}
	return fsync_parent(t, path);
}

static const struct gs_tp_ops local_ops = {
    .close = local_close,
    .mkdir = local_mkdir,
    .create = local_create,
    .write = local_write,
    .commit = local_commit,
    .abort = local_abort,
    .read = local_read,
    .stat = local_stat,
    .list = local_list,
    .rename = local_rename,
    .publish = local_publish,
    .delete = local_delete,
    .rmdir = local_rmdir,
};
