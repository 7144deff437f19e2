/*
 * sftp_write.c -- uploads over SFTP: create (CREAT|EXCL, 0444), pipelined
 * writes, commit (drain, fsync@openssh.com, close), abort.  See
 * sftp_internal.h for the pipeline and for why a dead connection fails
 * the upload instead of resuming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/sftp_internal.h"

/* ---- uploading ----------------------------------------------------- */

static void
file_unlink(struct file_sftp *f)
{
	if (f->prevp == NULL)
		return;
	*f->prevp = f->next;
	if (f->next != NULL)
		f->next->prevp = f->prevp;
	f->prevp = NULL;
	f->next = NULL;
}

static void
file_free(struct file_sftp *f)
{
	file_unlink(f);
	free(f->pipe);
	free(f->rpath);
	gs_tp_file_clear(&f->base);
	free(f);
}

/*
 * space_kind(t, rp, detail, dlen): an SSH_FX_FAILURE while writing rp:
 * ask the server (statvfs@openssh.com) how much room is left.
 * GS_TP_ERR_SPACE when less than what was in flight plus a margin,
 * GS_TP_ERR_IO otherwise, LOST if the session died meanwhile; detail says
 * which.
 */
static int
space_kind(struct tp_sftp *t, const char *rp, char *detail, size_t dlen)
{
	LIBSSH2_SFTP_STATVFS st;
	const char *slash = strrchr(rp, '/');
	size_t dl = slash && slash != rp ? (size_t)(slash - rp) : 1;
	unsigned long long avail;
	int rc;

	rc = libssh2_sftp_statvfs(t->sftp, rp, dl, &st);
	if (rc == 0) {
		avail = (unsigned long long)st.f_bavail * st.f_frsize;
		if (avail < PIPE_CAP + WRITE_PIECE || st.f_favail == 0) {
			snprintf(detail, dlen,
			         "no space left on the remote filesystem (%llu bytes free)", avail);
			return GS_TP_ERR_SPACE;
		}
		snprintf(detail, dlen,
		         "failure (the server gives no reason; %llu bytes free there: a quota?)",
		         avail);
		return GS_TP_ERR_IO;
	}
	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
		snprintf(detail, dlen,
		         "failure (the server gives no reason and cannot report free space: "
		         "disk full or quota?)");
		return GS_TP_ERR_IO;
	}
	gs_tp_sftp_ssh_why(t, GS_TP_ERR_IO, "connection lost");
	return LOST;
}

/*
 * upload_fail(t, f, what, rc): a libssh2 call on f's handle failed with rc.
 * Warn (naming the file and the bytes written) and return -1 with the error kind; a
 * lost connection is torn down (the file is dead: its upload must restart).
 */
static int
upload_fail(struct tp_sftp *t, struct file_sftp *f, const char *what, int rc)
{
	char detail[300];
	unsigned long fx;
	int kind;

	if (gs_tp_sftp_status(t, rc, &fx) == LOST) {
		gs_tp_sftp_drop(t, 1);
		gs_warn("%s: %s %s after %llu bytes: %s; the upload must be restarted",
		        t->base.name, what, f->rpath, (unsigned long long)f->base.off, t->why);
		return gs_tp_fail(&t->base, GS_TP_ERR_IO);
	}
	kind = gs_tp_sftp_fx_kind(fx);
	snprintf(detail, sizeof(detail), "%s", gs_tp_sftp_fx_str(fx));
	if (fx == LIBSSH2_FX_FAILURE) {
		if ((kind = space_kind(t, f->rpath, detail, sizeof(detail))) == LOST) {
			gs_tp_sftp_drop(t, 1);
			gs_warn("%s: %s %s after %llu bytes: %s; the upload must be restarted",
			        t->base.name, what, f->rpath, (unsigned long long)f->base.off,
			        t->why);
			return gs_tp_fail(&t->base, GS_TP_ERR_IO);
		}
	} else if (fx == LIBSSH2_FX_OP_UNSUPPORTED) {
		kind = GS_TP_ERR_REFUSED;
	}
	gs_warn("%s: %s %s after %llu bytes: %s (SFTP status %lu)", t->base.name, what, f->rpath,
	        (unsigned long long)f->base.off, detail, fx);
	return gs_tp_fail(&t->base, kind);
}

/* dead(t, f): the file's session is gone (-1, warned) or not (0). */
static int
dead(struct tp_sftp *t, struct file_sftp *f)
{
	if (f->h != NULL && f->gen == t->gen && t->sess != NULL)
		return 0;
	gs_warn("%s: upload of %s: the connection was lost after %llu bytes; the upload must be "
	        "restarted",
	        t->base.name, f->rpath, (unsigned long long)f->base.off);
	return gs_tp_fail(&t->base, GS_TP_ERR_IO);
}

/* gs_tp_sftp_create(bt, path): the create op: open a temporary beside path
 * for upload; NULL (warned) on error. */
struct gs_tp_file *
gs_tp_sftp_create(struct gs_transport *bt, const char *path)
{
	struct tp_sftp *t = (struct tp_sftp *)bt;
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct file_sftp *f;
	unsigned long fx;
	int rc, attempt = 0;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		gs_warnp("malloc");
		gs_tp_fail(bt, GS_TP_ERR_IO);
		goto err0;
	}
	if (gs_tp_file_init(&f->base, bt, path)) {
		gs_tp_fail(bt, GS_TP_ERR_IO);
		goto err1;
	}
	if ((f->rpath = gs_tp_sftp_rpath(t, path)) == NULL) {
		gs_tp_fail(bt, GS_TP_ERR_IO);
		goto err2;
	}
	if ((f->pipe = malloc(PIPE_CAP)) == NULL) {
		gs_warnp("malloc");
		gs_tp_fail(bt, GS_TP_ERR_IO);
		goto err3;
	}
	for (;;) {
		if (gs_tp_sftp_begin(t))
			goto err4;
		f->h =
		    libssh2_sftp_open_ex(t->sftp, f->rpath, (unsigned)strlen(f->rpath),
		                         LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL,
		                         GS_TP_FILE_MODE, LIBSSH2_SFTP_OPENFILE);
		if (f->h != NULL)
			break;
		rc = gs_tp_sftp_status(t, libssh2_session_last_errno(t->sess), &fx);
		if (rc == 0 && (fx == LIBSSH2_FX_FAILURE || fx == LIBSSH2_FX_FILE_ALREADY_EXISTS)) {
			/* OpenSSH reports EEXIST as a plain failure */
			if ((rc = gs_tp_sftp_do_stat(t, f->rpath, &a)) == 0) {
				gs_warn("%s: create %s: already exists", t->base.name, f->rpath);
				gs_tp_fail(bt, GS_TP_ERR_EXISTS);
				goto err4;
			}
			if (rc == 1)
				gs_tp_sftp_fx_fail(t, "create", f->rpath, fx);
			if (rc != LOST)
				goto err4;
		} else if (rc == 0) {
			gs_tp_sftp_fx_fail(t, "create", f->rpath, fx);
			goto err4;
		}
		/* LOST: if the open reached the server, the retry finds the
		 * file and says "already exists"; the caller picks a new name */
		if (gs_tp_sftp_again(t, &attempt, "create", f->rpath) < 0)
			goto err4;
	}
	f->gen = t->gen;
	f->next = t->files;
	if (f->next != NULL)
		f->next->prevp = &f->next;
	f->prevp = &t->files;
	t->files = f;
	return &f->base;
err4:
	free(f->pipe);
err3:
	free(f->rpath);
err2:
	gs_tp_file_clear(&f->base);
err1:
	free(f);
err0:
	return NULL;
}

/* pump(t, f): wait for at least one acknowledgement; 0 or -1 (warned). */
static int
pump(struct tp_sftp *t, struct file_sftp *f)
{
	ssize_t r;

	gs_tp_sftp_keepalive(t, 0);
	r = libssh2_sftp_write(f->h, (const char *)f->pipe, f->inflight);
	gs_tp_sftp_keepalive(t, 1);
	if (r < 0)
		return upload_fail(t, f, "write", (int)r);
	f->inflight -= (size_t)r;
	return 0;
}

/*
 * write_direct(t, f, p, len): a large write straight from the caller's
 * buffer, saving the copy into the pipe: the pipe is drained first, then
 * up to PIPE_CAP bytes of p are kept in flight, and all of p is
 * acknowledged before returning (p is only borrowed).  The two drains
 * cost a round trip each, little next to PIPE_CAP * 2 bytes.
 */
static int
write_direct(struct tp_sftp *t, struct file_sftp *f, const uint8_t *p, size_t len)
{
	size_t acked = 0, n;
	ssize_t r;

	while (f->inflight > 0)
		if (pump(t, f))
			return -1;
	while (acked < len) {
		/* libssh2 skips what it already sent from the head of this */
		n = len - acked < PIPE_CAP ? len - acked : PIPE_CAP;
		gs_tp_sftp_keepalive(t, 0);
		r = libssh2_sftp_write(f->h, (const char *)p + acked, n);
		gs_tp_sftp_keepalive(t, 1);
		if (r < 0)
			return upload_fail(t, f, "write", (int)r);
		acked += (size_t)r;
	}
	return 0;
}

/* gs_tp_sftp_write(bf, buf, len): the write op: send len bytes; 0 or -1. */
int
gs_tp_sftp_write(struct gs_tp_file *bf, const void *buf, size_t len)
{
	struct file_sftp *f = (struct file_sftp *)bf;
	struct tp_sftp *t = (struct tp_sftp *)bf->t;
	const uint8_t *p = buf;
	size_t n;
	ssize_t r;

	if (dead(t, f))
		return -1;
	if (len >= 2 * PIPE_CAP)
		return write_direct(t, f, p, len);
	while (len > 0) {
		n = len < WRITE_PIECE ? len : WRITE_PIECE;
		while (f->inflight + n > PIPE_CAP)
			if (pump(t, f))
				return -1;
		/* the first f->inflight bytes are skipped unread by libssh2 */
		memcpy(f->pipe + f->inflight, p, n);
		gs_tp_sftp_keepalive(t, 0);
		r = libssh2_sftp_write(f->h, (const char *)f->pipe, f->inflight + n);
		gs_tp_sftp_keepalive(t, 1);
		if (r < 0)
			return upload_fail(t, f, "write", (int)r);
		f->inflight = f->inflight + n - (size_t)r;
		p += n;
		len -= n;
	}
	return 0;
}

/* gs_tp_sftp_commit(bf): the commit op: publish the upload under its
 * name without overwriting; 0 or -1 (warned). */
int
gs_tp_sftp_commit(struct gs_tp_file *bf)
{
	struct file_sftp *f = (struct file_sftp *)bf;
	struct tp_sftp *t = (struct tp_sftp *)bf->t;
	LIBSSH2_SFTP_HANDLE *h;
	int rc;

	if (bf->failed || dead(t, f))
		goto err;
	while (f->inflight > 0)
		if (pump(t, f))
			goto err;
	if ((rc = libssh2_sftp_fsync(f->h)) != 0) {
		upload_fail(t, f, "fsync", rc);
		goto err;
	}
	h = f->h;
	f->h = NULL;
	/* freed whatever it returns */
	if ((rc = libssh2_sftp_close_handle(h)) != 0) {
		upload_fail(t, f, "close", rc);
		goto err;
	}
	file_free(f);
	return 0;
err:
	if (f->h != NULL && t->sess != NULL && f->gen == t->gen)
		libssh2_sftp_close_handle(f->h);
	f->h = NULL;
	file_free(f);
	if (t->base.errkind == GS_TP_ERR_NONE)
		gs_tp_fail(&t->base, GS_TP_ERR_IO);
	return -1;
}

/* gs_tp_sftp_abort(bf): the abort op: remove the temporary upload. */
void
gs_tp_sftp_abort(struct gs_tp_file *bf)
{
	struct file_sftp *f = (struct file_sftp *)bf;
	struct tp_sftp *t = (struct tp_sftp *)bf->t;
	unsigned long fx;
	int rc;

	/* libssh2 1.10 does not forget writes in flight: closing the handle
	 * with some outstanding waits for the I/O timeout and leaks them.  So
	 * a healthy upload is drained first (the bytes land in the temporary,
	 * which is abandoned anyway). */
	while (!bf->failed && f->inflight > 0 && f->h != NULL && f->gen == t->gen &&
	       t->sess != NULL)
		if (pump(t, f))
			break;
	if (f->h != NULL && t->sess != NULL && f->gen == t->gen) {
		if ((rc = libssh2_sftp_close_handle(f->h)) != 0 &&
		    gs_tp_sftp_status(t, rc, &fx) == LOST) {
			f->h = NULL;
			gs_tp_sftp_drop(t, 1);
		}
	}
	f->h = NULL;
	file_free(f);
}
