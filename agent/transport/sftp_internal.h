/*
 * sftp_internal.h -- the SFTP transport (libssh2, blocking mode, one
 * session per transport, one transport per thread), shared by
 *   sftp_conn.c   connecting, host key and key checks, timeouts,
 *                 reconnection, error mapping
 *   sftp.c        metadata operations and reads, the ops table
 *   sftp_write.c  uploads: create, pipelined writes, commit, abort
 *
 * Connecting: TCP with a deadline (non-blocking connect + poll), the SSH
 * handshake with a hardened algorithm list, the host key checked against
 * known_hosts and/or a pinned fingerprint (knownhosts.c) BEFORE the user
 * name or any key is sent, then public-key authentication from the key
 * file only (no agent, no password, no passphrase), then the SFTP channel.
 *
 * Timeouts: libssh2_session_set_timeout(timeout_s) bounds every blocking
 * call; with keepalives configured (libssh2_keepalive_config) a call only
 * fails when the server gave no sign of life for timeout_s, so a slow
 * fsync on a live server does not.  Around sftp_write calls keepalives are
 * switched off: libssh2 1.10 sends a due keepalive from its wait loop, and
 * when an outgoing packet is half sent at that moment (the socket buffer
 * is full: any link slower than us) its send_existing() refuses the new
 * packet with LIBSSH2_ERROR_BAD_USE, failing the write; a write call
 * handles at most a few MiB, so the plain per-call timeout is right there.
 *
 * Failures: an SFTP status is an answer (mapped to 1 or an error kind);
 * anything else (socket error, timeout, protocol error) means the session
 * is gone.  The session is then torn down and the operation, when it can
 * be repeated, is repeated on a new one (reconnecting with a bounded
 * backoff).  Uploads are not resumed: see transport.h.
 *
 * Writes are pipelined: libssh2's sftp_write cuts what it is given into
 * 30000-byte SSH_FXP_WRITE requests, sends them all and returns when the
 * first is acknowledged; the bytes it has sent but not seen acknowledged
 * ("in flight") must be passed again, as the head of the next call's
 * buffer (it skips them without reading them).  We keep up to PIPE_CAP
 * bytes in flight across gs_tp_write calls, so the link and not the round
 * trips is the limit, and drain the pipe at commit.
 *
 * Remote status codes: OpenSSH's sftp-server speaks SFTP version 3, where
 * "file exists", "no space" and "quota" all arrive as SSH_FX_FAILURE.  A
 * failed create or rename is therefore followed by a stat to tell "already
 * there" (1 / GS_TP_ERR_EXISTS) from other failures, and a failed write,
 * fsync or close by a statvfs@openssh.com query to tell a full filesystem
 * (GS_TP_ERR_SPACE) from other trouble.
 *
 * Publishing uses only open(CREAT|EXCL, 0444), write, fsync@openssh.com,
 * close and the plain SSH_FXP_RENAME (which OpenSSH implements with
 * link()+unlink() and refuses when the target exists); the nightly path
 * never sends remove or setstat.
 */
#ifndef GS_SFTP_INTERNAL_H
#define GS_SFTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "geosnap/util.h"
#include "transport/transport_internal.h"

/* Bytes kept in flight while uploading, and the largest piece handed to
 * one libssh2_sftp_write call (tests/transport/throughput measures). */
#define PIPE_CAP (8 * 1024 * 1024)
#define WRITE_PIECE (1024 * 1024)
/* Largest read asked for in one libssh2_sftp_read call; libssh2 reads up
 * to 4x ahead of it. */
#define READ_PIECE (2 * 1024 * 1024)
/* Attempts of one operation when its connection drops under it. */
#define OP_ATTEMPTS 3

/* What an attempt returns when the session died under it (the reason is in
 * t->why); never returned by the ops themselves. */
#define LOST (-2)

struct file_sftp;
union sftp_mem;

struct tp_sftp {
	struct gs_transport base;
	const struct gs_remote_conf *rc;
	char *user;
	char *host;
	unsigned port;
	char *root;   /* the url's path: "/" or "/a/b" */
	char *khname; /* "host" or "[host]:port", as in known_hosts */
	unsigned timeout_s;
	int sock;
	LIBSSH2_SESSION *sess;
	LIBSSH2_SFTP *sftp;
	unsigned gen; /* bumped each time a session is torn down */
	struct file_sftp *files;
	char why[1024]; /* why the last connection attempt failed or died */
	int why_kind;
	/* Every block libssh2 holds for this transport's session (sftp_mem.c),
	 * freed when the session is: libssh2 1.10 never frees an SFTP handle
	 * whose close the dead server did not acknowledge. */
	union sftp_mem *mem;
};

struct file_sftp {
	struct gs_tp_file base;
	char *rpath;
	LIBSSH2_SFTP_HANDLE *h; /* NULL once its session is gone */
	unsigned gen;
	uint8_t *pipe;   /* PIPE_CAP bytes; see the comment at the top */
	size_t inflight; /* bytes sent but not acknowledged yet */
	struct file_sftp *next, **prevp;
};

extern const struct gs_tp_ops gs_tp_sftp_ops;

/* ---- sftp_mem.c: the sessions' allocator ---- */
/* gs_tp_sftp_mem_alloc(n, abstract): libssh2's malloc; *abstract is the
 * session's transport, whose list keeps the block. */
void *gs_tp_sftp_mem_alloc(size_t n, void **abstract);
/* gs_tp_sftp_mem_free(p, abstract): libssh2's free. */
void gs_tp_sftp_mem_free(void *p, void **abstract);
/* gs_tp_sftp_mem_realloc(p, n, abstract): libssh2's realloc. */
void *gs_tp_sftp_mem_realloc(void *p, size_t n, void **abstract);
/* gs_tp_sftp_mem_sweep(t): after libssh2_session_free(), free what it left
 * behind. */
void gs_tp_sftp_mem_sweep(struct tp_sftp *t);

/* ---- sftp_conn.c ---- */

/* gs_tp_sftp_why(t, kind, fmt, ...): record why the session failed or
 * died (t->why, t->why_kind); nothing is printed. */
void gs_tp_sftp_why(struct tp_sftp *t, int kind, const char *fmt, ...) GS_PRINTF(3, 4);
/* gs_tp_sftp_ssh_why(t, kind, what): the same with libssh2's last error. */
void gs_tp_sftp_ssh_why(struct tp_sftp *t, int kind, const char *what);
/* SFTP status codes: text, GS_TP_ERR_* kind, "no such file". */
/* gs_tp_sftp_fx_str(code): the text of an SFTP status code. */
const char *gs_tp_sftp_fx_str(unsigned long fx);
/* gs_tp_sftp_fx_kind(code): the GS_TP_ERR_* kind of an SFTP status code. */
int gs_tp_sftp_fx_kind(unsigned long fx);
/* gs_tp_sftp_missing(code): 1 when the SFTP status says "no such file". */
int gs_tp_sftp_missing(unsigned long fx);
/* gs_tp_sftp_status(t, rc, ret_fx): after a libssh2 call failed with rc:
 * 0 and the server's status in *ret_fx, or LOST (reason recorded). */
int gs_tp_sftp_status(struct tp_sftp *t, int rc, unsigned long *ret_fx);
/* gs_tp_sftp_fx_fail(t, what, rpath, fx): warn about a status; -1. */
int gs_tp_sftp_fx_fail(struct tp_sftp *t, const char *what, const char *rpath, unsigned long fx);
/* gs_tp_sftp_rpath(t, rel): the remote path of rel (malloc'd) or NULL. */
char *gs_tp_sftp_rpath(struct tp_sftp *t, const char *rel);
/* gs_tp_sftp_drop(t, dead): tear the session down (open files die). */
void gs_tp_sftp_drop(struct tp_sftp *t, int dead);
/* gs_tp_sftp_keepalive(t, on): keepalives while libssh2 waits, or not. */
void gs_tp_sftp_keepalive(struct tp_sftp *t, int on);
/* gs_tp_sftp_begin(t): a live session, reconnecting if need be; 0 or -1
 * (warned, errkind set). */
int gs_tp_sftp_begin(struct tp_sftp *t);
/* gs_tp_sftp_again(t, attempt, what, rp): an attempt returned LOST: drop
 * the session; 1 to try again, -1 (warned) when out of attempts. */
int gs_tp_sftp_again(struct tp_sftp *t, int *attempt, const char *what, const char *rp);
/* gs_tp_sftp_lost_handle(t, h): free h of a dead session; LOST. */
int gs_tp_sftp_lost_handle(struct tp_sftp *t, LIBSSH2_SFTP_HANDLE *h);

/* ---- sftp.c ---- */

/* gs_tp_sftp_do_stat(t, rp, ret_a): lstat; 0, 1 missing, -1 (warned), LOST. */
int gs_tp_sftp_do_stat(struct tp_sftp *t, const char *rp, LIBSSH2_SFTP_ATTRIBUTES *ret_a);
/* gs_tp_sftp_entry(name, namelen, a, ret_size, ret_is_dir): judge one entry
 * of a directory listing: name[0..namelen) and a as libssh2_sftp_readdir_ex
 * gave them (namelen is its return value).  0 to keep it, with its size (0
 * when the server sent none) and whether it is a directory; 1 to skip it
 * ("." and ".."); -1 for a name no directory can hold (empty, with a '/' or
 * a NUL byte), which only a broken or hostile server sends. */
int gs_tp_sftp_entry(const char *name, size_t namelen, const LIBSSH2_SFTP_ATTRIBUTES *a,
                     uint64_t *ret_size, int *ret_is_dir);

/* ---- sftp_write.c: the upload ops ---- */
/* gs_tp_sftp_create(bt, path): the create op: open a temporary beside path
 * for upload; NULL (warned) on error. */
struct gs_tp_file *gs_tp_sftp_create(struct gs_transport *bt, const char *path);
/* gs_tp_sftp_write(bf, buf, len): the write op: send len bytes; 0 or -1. */
int gs_tp_sftp_write(struct gs_tp_file *bf, const void *buf, size_t len);
/* gs_tp_sftp_commit(bf): the commit op: publish the upload under its
 * name without overwriting; 0 or -1 (warned). */
int gs_tp_sftp_commit(struct gs_tp_file *bf);
/* gs_tp_sftp_abort(bf): the abort op: remove the temporary upload. */
void gs_tp_sftp_abort(struct gs_tp_file *bf);

#endif
