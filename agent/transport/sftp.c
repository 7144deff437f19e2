/*
 * sftp.c -- the SFTP transport's operations other than uploads: stat,
 * mkdir, list, rename, delete, rmdir, read; each repeated on a new session
 * when the connection drops under it (with_retry).  See sftp_internal.h.
 */
#include <stdlib.h>
#include <string.h>

#include "transport/sftp_internal.h"

static void
sftp_close(struct gs_transport *bt)
{
	struct tp_sftp *t = (struct tp_sftp *)bt;

	gs_tp_sftp_drop(t, 0);
	free(t->khname);
	free(t->root);
	free(t->host);
	free(t->user);
	gs_tp_base_free(&t->base);
	free(t);
}

/*
 * with_retry(t, what, path, op, arg): run op(t, rp, arg, retried) on a live
 * session, rp being the remote path of path (writable: op may cut it, but
 * restores it before returning); when the session dies under op (LOST),
 * drop it and run op again on a new one (gs_tp_sftp_begin reconnects with
 * a bounded backoff), up to OP_ATTEMPTS times.  retried: an earlier attempt
 * was cut off, and may have done the work already.  op's result (0, 1 or
 * -1), or -1 (warned, errkind set).
 */
static int
with_retry(struct tp_sftp *t, const char *what, const char *path,
           int (*op)(struct tp_sftp *t, char *rp, void *arg, int retried), void *arg)
{
	int rc, attempt = 0;
	char *rp;

	if ((rp = gs_tp_sftp_rpath(t, path)) == NULL)
		return gs_tp_fail(&t->base, GS_TP_ERR_IO);
	for (;;) {
		rc = gs_tp_sftp_begin(t) ? -1 : op(t, rp, arg, attempt > 0);
		if (rc != LOST)
			break;
		if (gs_tp_sftp_again(t, &attempt, what, rp) < 0) {
			rc = -1;
			break;
		}
	}
	free(rp);
	return rc;
}

/* ---- metadata operations -------------------------------------------- */

/* gs_tp_sftp_do_stat(t, rp, ret_a): 0, 1 missing, -1, LOST. */
int
gs_tp_sftp_do_stat(struct tp_sftp *t, const char *rp, LIBSSH2_SFTP_ATTRIBUTES *ret_a)
{
	unsigned long fx;
	int rc;

	rc = libssh2_sftp_stat_ex(t->sftp, rp, (unsigned)strlen(rp), LIBSSH2_SFTP_LSTAT, ret_a);
	if (rc == 0)
		return 0;
	if (gs_tp_sftp_status(t, rc, &fx) == LOST)
		return LOST;
	if (gs_tp_sftp_missing(fx))
		return 1;
	return gs_tp_sftp_fx_fail(t, "stat", rp, fx);
}

/* do_stat: arg is the LIBSSH2_SFTP_ATTRIBUTES to fill. */
static int
do_stat(struct tp_sftp *t, char *rp, void *arg, int retried)
{
	return gs_tp_sftp_do_stat(t, rp, arg);
}

static int
sftp_stat(struct gs_transport *bt, const char *path, uint64_t *ret_size)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	int rc;

	rc = with_retry((struct tp_sftp *)bt, "stat", path, do_stat, &a);
	if (rc == 0)
		*ret_size = (a.flags & LIBSSH2_SFTP_ATTR_SIZE) ? a.filesize : 0;
	return rc;
}

/* mkdir_one(t, rp): create the directory rp unless it is there already. */
static int
mkdir_one(struct tp_sftp *t, const char *rp)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	unsigned long fx;
	int rc;

	rc = libssh2_sftp_mkdir_ex(t->sftp, rp, (unsigned)strlen(rp), GS_TP_SFTP_DIR_MODE);
	if (rc == 0)
		return 0;
	if (gs_tp_sftp_status(t, rc, &fx) == LOST)
		return LOST;
	/* exists already (OpenSSH says FAILURE)? */
	if ((rc = gs_tp_sftp_do_stat(t, rp, &a)) == LOST || rc == -1)
		return rc;
	if (rc != 0 ||
	    ((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISDIR(a.permissions)))
		return gs_tp_sftp_fx_fail(t, "mkdir", rp, fx);
	return 0;
}

/* do_mkdir: mkdir -p of the relative part of rp below the root (rp is cut
 * at each '/' in turn, and restored). */
static int
do_mkdir(struct tp_sftp *t, char *rp, void *arg, int retried)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	char *s;
	int rc;

	/* usually it is there already: one round trip */
	if ((rc = gs_tp_sftp_do_stat(t, rp, &a)) != 1) {
		if (rc == 0 && (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
		    !LIBSSH2_SFTP_S_ISDIR(a.permissions)) {
			gs_warn("%s: mkdir %s: exists and is not a directory", t->base.name, rp);
			return gs_tp_fail(&t->base, GS_TP_ERR_IO);
		}
		return rc;
	}
	for (s = rp + strlen(t->root) + 1;; s++) {
		if (*s == '\0')
			return mkdir_one(t, rp);
		if (*s != '/')
			continue;
		*s = '\0';
		rc = mkdir_one(t, rp);
		*s = '/';
		if (rc != 0)
			return rc;
	}
}

static int
sftp_mkdir(struct gs_transport *bt, const char *path)
{
	if (*path == '\0')
		return 0;
	return with_retry((struct tp_sftp *)bt, "mkdir", path, do_mkdir, NULL);
}

/*
 * gs_tp_sftp_entry(name, namelen, a, ret_size, ret_is_dir): judge one entry
 * of a directory listing: name[0..namelen) and a as libssh2_sftp_readdir_ex
 * gave them (namelen is its return value).  0 to keep it, with its size (0
 * when the server sent none) and whether it is a directory; 1 to skip it
 * ("." and ".."); -1 for a name no directory can hold (empty, with a '/' or
 * a NUL byte), which only a broken or hostile server sends.
 */
int
gs_tp_sftp_entry(const char *name, size_t namelen, const LIBSSH2_SFTP_ATTRIBUTES *a,
                 uint64_t *ret_size, int *ret_is_dir)
{
	if (namelen == 0 || memchr(name, '\0', namelen) != NULL ||
	    memchr(name, '/', namelen) != NULL)
		return -1;
	if ((namelen == 1 && name[0] == '.') || (namelen == 2 && memcmp(name, "..", 2) == 0))
		return 1;
	*ret_size = (a->flags & LIBSSH2_SFTP_ATTR_SIZE) ? a->filesize : 0;
	*ret_is_dir =
	    (a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && LIBSSH2_SFTP_S_ISDIR(a->permissions);
	return 0;
}

struct list_arg {
	const char *dir; /* relative, for messages */
	struct gs_tp_entry **ret;
	size_t *ret_n;
};

/* do_list: the entries of rp into a listing capped by the transport's
 * limits (a server can send any number of names). */
static int
do_list(struct tp_sftp *t, char *rp, void *arg, int retried)
{
	const struct list_arg *la = arg;
	struct gs_tp_listing l;
	LIBSSH2_SFTP_HANDLE *h;
	LIBSSH2_SFTP_ATTRIBUTES a;
	unsigned long fx;
	uint64_t size;
	char name[4096];
	int64_t mtime;
	int rc, keep, is_dir;

	h = libssh2_sftp_open_ex(t->sftp, rp, (unsigned)strlen(rp), 0, 0, LIBSSH2_SFTP_OPENDIR);
	if (h == NULL) {
		if (gs_tp_sftp_status(t, libssh2_session_last_errno(t->sess), &fx) == LOST)
			return LOST;
		if (gs_tp_sftp_missing(fx)) {
			*la->ret = NULL;
			*la->ret_n = 0;
			return 1;
		}
		return gs_tp_sftp_fx_fail(t, "list", rp, fx);
	}
	gs_tp_listing_init(&l, &t->base, la->dir);
	for (;;) {
		rc = libssh2_sftp_readdir_ex(h, name, sizeof(name), NULL, 0, &a);
		if (rc == 0)
			break;
		if (rc < 0) {
			gs_tp_listing_clear(&l);
			if (rc == LIBSSH2_ERROR_BUFFER_TOO_SMALL) {
				libssh2_sftp_close_handle(h);
				gs_warn("%s: list %s: a name is too long", t->base.name, rp);
				return gs_tp_fail(&t->base, GS_TP_ERR_IO);
			}
			if (gs_tp_sftp_status(t, rc, &fx) == LOST)
				return gs_tp_sftp_lost_handle(t, h);
			libssh2_sftp_close_handle(h);
			return gs_tp_sftp_fx_fail(t, "list", rp, fx);
		}
		if ((keep = gs_tp_sftp_entry(name, (size_t)rc, &a, &size, &is_dir)) == 1)
			continue;
		if (keep < 0) {
			gs_tp_listing_clear(&l);
			libssh2_sftp_close_handle(h);
			gs_warn("%s: list %s: the server sent a malformed name (empty, or with "
			        "'/' or a NUL byte)",
			        t->base.name, rp);
			return gs_tp_fail(&t->base, GS_TP_ERR_IO);
		}
		mtime =
		    (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) ? (int64_t)a.mtime * GS_NS_PER_S : 0;
		if (gs_tp_listing_add(&l, name, size, is_dir, mtime)) {
			gs_tp_listing_clear(&l);
			libssh2_sftp_close_handle(h);
			return -1;
		}
	}
	if ((rc = libssh2_sftp_close_handle(h)) != 0 && gs_tp_sftp_status(t, rc, &fx) == LOST) {
		gs_tp_listing_clear(&l);
		return LOST;
	}
	gs_tp_listing_done(&l, la->ret, la->ret_n);
	return 0;
}

static int
sftp_list(struct gs_transport *bt, const char *dir, struct gs_tp_entry **ret, size_t *ret_n)
{
	struct list_arg la = {dir, ret, ret_n};

	return with_retry((struct tp_sftp *)bt, "list", dir, do_list, &la);
}

/* do_rename: arg is the remote path to rename rp to; retried says an
 * earlier attempt may have done it already. */
static int
do_rename(struct tp_sftp *t, char *from, void *arg, int retried)
{
	const char *to = arg;
	LIBSSH2_SFTP_ATTRIBUTES a;
	unsigned long fx;
	int rc, rc_to, rc_from;

	/* flags 0: the plain SSH_FXP_RENAME of version 3 (libssh2 sends no
	 * flags below version 5), which never overwrites on OpenSSH */
	rc = libssh2_sftp_rename_ex(t->sftp, from, (unsigned)strlen(from), to, (unsigned)strlen(to),
	                            0);
	if (rc == 0)
		return 0;
	if (gs_tp_sftp_status(t, rc, &fx) == LOST)
		return LOST;
	if (gs_tp_sftp_fx_kind(fx) == GS_TP_ERR_REFUSED)
		return gs_tp_sftp_fx_fail(t, "rename", from, fx);
	/* Why did it fail?  "to" exists, or "from" does not. */
	if ((rc_to = gs_tp_sftp_do_stat(t, to, &a)) == LOST || rc_to == -1)
		return rc_to;
	if ((rc_from = gs_tp_sftp_do_stat(t, from, &a)) == LOST || rc_from == -1)
		return rc_from;
	if (rc_to == 0) {
		/* an earlier attempt renamed it before the connection broke */
		if (retried && rc_from == 1)
			return 0;
		return 1;
	}
	if (rc_from == 1 && !gs_tp_sftp_missing(fx))
		fx = LIBSSH2_FX_NO_SUCH_FILE;
	gs_warn("%s: rename %s to %s: %s (SFTP status %lu)", t->base.name, from, to,
	        gs_tp_sftp_fx_str(fx), fx);
	return gs_tp_fail(&t->base, gs_tp_sftp_fx_kind(fx));
}

static int
sftp_rename(struct gs_transport *bt, const char *from, const char *to)
{
	struct tp_sftp *t = (struct tp_sftp *)bt;
	char *rt;
	int rc;

	if ((rt = gs_tp_sftp_rpath(t, to)) == NULL)
		return gs_tp_fail(bt, GS_TP_ERR_IO);
	rc = with_retry(t, "rename", from, do_rename, rt);
	free(rt);
	return rc;
}

/* removal_denied(t, what, rp, fx): a delete or rmdir the server refused:
 * warn, and when it said "permission denied", say that this account may
 * be a nightly one that is not meant to delete.  -1 (errkind set). */
static int
removal_denied(struct tp_sftp *t, const char *what, const char *rp, unsigned long fx)
{
	int rc = gs_tp_sftp_fx_fail(t, what, rp, fx);

	if (fx == LIBSSH2_FX_PERMISSION_DENIED)
		gs_warn("%s: the account %s may not remove files there: removing objects needs "
		        "the remote's maintenance account (maintenance_url, maintenance_identity; "
		        "docs/SECURITY.md, \"The remote accounts\")",
		        t->base.name, t->user);
	return rc;
}

static int
do_delete(struct tp_sftp *t, char *rp, void *arg, int retried)
{
	unsigned long fx;
	int rc;

	rc = libssh2_sftp_unlink_ex(t->sftp, rp, (unsigned)strlen(rp));
	if (rc == 0)
		return 0;
	if (gs_tp_sftp_status(t, rc, &fx) == LOST)
		return LOST;
	if (gs_tp_sftp_missing(fx))
		return retried ? 0 : 1; /* an earlier attempt may have done it */
	return removal_denied(t, "delete", rp, fx);
}

static int
sftp_delete(struct gs_transport *bt, const char *path)
{
	return with_retry((struct tp_sftp *)bt, "delete", path, do_delete, NULL);
}

static int
do_rmdir(struct tp_sftp *t, char *rp, void *arg, int retried)
{
	unsigned long fx;
	int rc;

	rc = libssh2_sftp_rmdir_ex(t->sftp, rp, (unsigned)strlen(rp));
	if (rc == 0)
		return 0;
	if (gs_tp_sftp_status(t, rc, &fx) == LOST)
		return LOST;
	if (gs_tp_sftp_missing(fx))
		return retried ? 0 : 1;
	return removal_denied(t, "rmdir", rp, fx);
}

static int
sftp_rmdir(struct gs_transport *bt, const char *path)
{
	return with_retry((struct tp_sftp *)bt, "rmdir", path, do_rmdir, NULL);
}

/* ---- reading ------------------------------------------------------- */

struct read_arg {
	uint64_t off;
	size_t len;
	uint8_t *buf;
};

static int
do_read(struct tp_sftp *t, char *rp, void *arg, int retried)
{
	const struct read_arg *ra = arg;
	uint64_t off = ra->off;
	size_t len = ra->len, got = 0;
	uint8_t *buf = ra->buf;
	LIBSSH2_SFTP_HANDLE *h;
	unsigned long fx;

	h = libssh2_sftp_open_ex(t->sftp, rp, (unsigned)strlen(rp), LIBSSH2_FXF_READ, 0,
	                         LIBSSH2_SFTP_OPENFILE);
	if (h == NULL) {
		if (gs_tp_sftp_status(t, libssh2_session_last_errno(t->sess), &fx) == LOST)
			return LOST;
		if (gs_tp_sftp_missing(fx))
			return 1;
		return gs_tp_sftp_fx_fail(t, "open", rp, fx);
	}
	libssh2_sftp_seek64(h, off);
	while (got < len) {
		/* libssh2 asks for 4x what we ask for ahead of us: ask for a
		 * quarter of the rest so it does not read far past it */
		size_t ask = (len - got) / 4;
		ssize_t r;

		if (ask < 32768)
			ask = 32768;
		if (ask > READ_PIECE)
			ask = READ_PIECE;
		if (ask > len - got)
			ask = len - got;
		r = libssh2_sftp_read(h, (char *)buf + got, ask);
		if (r == 0) {
			libssh2_sftp_close_handle(h);
			gs_warn("%s: read %s: short file (%zu of %zu bytes at offset %llu)",
			        t->base.name, rp, got, len, (unsigned long long)off);
			return gs_tp_fail(&t->base, GS_TP_ERR_IO);
		}
		if (r < 0) {
			if (gs_tp_sftp_status(t, (int)r, &fx) == LOST)
				return gs_tp_sftp_lost_handle(t, h);
			libssh2_sftp_close_handle(h);
			return gs_tp_sftp_fx_fail(t, "read", rp, fx);
		}
		got += (size_t)r;
	}
	libssh2_sftp_close_handle(h);
	return 0;
}

static int
sftp_read(struct gs_transport *bt, const char *path, uint64_t off, size_t len, uint8_t *buf)
{
	struct read_arg ra = {off, len, buf};

	return with_retry((struct tp_sftp *)bt, "read", path, do_read, &ra);
}

const struct gs_tp_ops gs_tp_sftp_ops = {
    .close = sftp_close,
    .mkdir = sftp_mkdir,
    .create = gs_tp_sftp_create,
    .write = gs_tp_sftp_write,
    .commit = gs_tp_sftp_commit,
    .abort = gs_tp_sftp_abort,
    .read = sftp_read,
    .stat = sftp_stat,
    .list = sftp_list,
    .rename = sftp_rename,
    .delete = sftp_delete,
    .rmdir = sftp_rmdir,
};
