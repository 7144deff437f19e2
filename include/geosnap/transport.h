/*
 * transport.h -- where repository copies live: a local directory or an SFTP
 * server.  One interface, two implementations, one conformance suite
 * (tests/transport/).  Nothing here assumes a POSIX remote beyond create,
 * read, list, stat, rename-without-overwrite and delete, so an object store
 * can implement it later.
 *
 * Paths are relative to the transport's base directory, '/'-separated,
 * without "." or ".." components, empty ones or a leading '/' (refused as
 * errors).  Return values: 0 ok; 1 for the expected "not there" / "already
 * there" outcomes documented per call; -1 error (warned once, naming the
 * remote and the path).  gs_tp_last_errkind() tells a caller whether an
 * error was a connection problem (retry later) or a refusal (host key,
 * authentication, permission, no space).
 *
 * Threads: a transport and its open files belong to one thread at a time;
 * a program that wants parallel uploads opens one transport per thread
 * (libssh2 is initialised once, safely, by the first gs_tp_open).  The
 * local-directory transport (gs_tp_open_local) is the exception: its calls
 * are independent system calls, so threads may share it (each with its own
 * files), and gs_tp_last_errkind() reports each thread's own failures.
 *
 * Connections (SFTP): connect and I/O timeouts are rc->timeout_s (no sign
 * of life from the server for that long fails the call); keepalives are
 * sent while waiting for an answer.  When the connection drops, the next call reconnects
 * with a bounded backoff (a few attempts over about 15 s) and the calls that
 * are safe to repeat are repeated: mkdir, read, read_all, stat, list,
 * rename and delete resume where they were.  An upload cannot resume: a
 * gs_tp_file whose connection died fails its next write or commit with -1
 * and GS_TP_ERR_IO; the caller aborts it and restarts that upload under a
 * fresh temporary name (the partial file stays behind, as a recognisable
 * temporary, until swept).
 */
#ifndef GEOSNAP_TRANSPORT_H
#define GEOSNAP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/config.h"

struct gs_transport;
struct gs_tp_file;

struct gs_tp_entry {
	char *name; /* file name within the listed directory (malloc'd) */
	uint64_t size;
	int is_dir;
	int64_t mtime;    /* last modification, seconds since the epoch; 0 when
	                     the server did not say */
	int64_t mtime_ns; /* the same in nanoseconds, as finely as the copy
	                     keeps it (SFTP: whole seconds) */
};

#define GS_TP_ERR_NONE 0
#define GS_TP_ERR_IO 1      /* connection lost or timed out: may succeed later */
#define GS_TP_ERR_REFUSED 2 /* host key, authentication, permission: config */
#define GS_TP_ERR_SPACE 3   /* remote filesystem full or quota */
#define GS_TP_ERR_EXISTS 4  /* gs_tp_create: the name is already taken */
#define GS_TP_ERR_CONFIG                                                                           \
	5 /* our side's setup: identity or known_hosts file                                        \
	     missing, unsafe or unusable; no host key                                              \
	     configured (exit 2 rather than 3) */

/*
 * gs_tp_open(rc): connect to a remote.  "file:///path" opens a local
 * directory; "sftp://[user@]host[:port]/path" connects with libssh2:
 * key-file authentication only (rc->identity, ed25519, ECDSA or RSA
 * without a passphrase, refused when group/other readable; no agent),
 * strict host-key checking against rc->known_hosts (hashed entries too;
 * "[host]:port" entries for ports other than 22, as OpenSSH writes them)
 * and/or the pinned rc->fingerprint ("SHA256:..." as ssh-keygen -l prints
 * it; when both are set both must match): an unknown or changed key is
 * refused before any credential is sent, printing the fingerprint seen and
 * the one expected.  user defaults to the current user, port to 22; %XX
 * escapes are decoded; the path must be absolute.  The base directory
 * (the url's path) must exist.  Borrows rc for the transport's lifetime.
 * NULL on failure (warned; gs_tp_last_errkind(NULL) then gives the kind).
 */
struct gs_transport *gs_tp_open(const struct gs_remote_conf *rc);

/*
 * gs_tp_open_maint(rc): connect to a remote with its maintenance
 * credentials, for the operations that remove or move objects (expire,
 * erasure, ship --repair, quarantine; the nightly account cannot delete,
 * docs/SECURITY.md): rc->maintenance_url instead of rc->url and
 * rc->maintenance_identity instead of rc->identity, each when set (the
 * host key checks are the same).  Without either, exactly gs_tp_open(rc).
 * The transport keeps its own copy of rc (freed by gs_tp_close) whose
 * strings point into rc: rc must outlive the transport, as for
 * gs_tp_open.  NULL on failure (warned; gs_tp_last_errkind(NULL) then
 * gives the kind).
 */
struct gs_transport *gs_tp_open_maint(const struct gs_remote_conf *rc);

/*
 * A remote's url, parsed: "sftp://[user@]host[:port]/path" or
 * "file:///path".  All strings malloc'd and %XX decoded; user NULL when
 * the url names none; host NULL for file://, else without the brackets of
 * an IPv6 literal; port 22 unless given (0 for file://); path absolute,
 * for sftp:// without a trailing '/' except for "/" itself.
 */
struct gs_tp_url {
	char *user;
	char *host;
	unsigned port;
	char *path;
};

/*
 * gs_tp_url_parse(url, ret, err, errlen): the one grammar of a remote's
 * url, used by gs_tp_open() and by the configuration (gs_valid_url):
 * sftp://[user@]host[:port]/path (no password, port 1-65535, "[v6]"
 * literals) or file:///path; blanks and control characters only as %XX
 * escapes, and no escape may decode to a control character.  On success
 * fills *ret (the caller frees it with gs_tp_url_clear) and returns 0; on
 * failure leaves *ret untouched, writes the reason into err (errlen
 * bytes, borrowed) and returns -1.
 */
int gs_tp_url_parse(const char *url, struct gs_tp_url *ret, char *err, size_t errlen);

/* gs_tp_url_clear(u): free the strings of *u (not u itself; NULL accepted)
 * and set them to NULL. */
void gs_tp_url_clear(struct gs_tp_url *u);

/* gs_tp_open_local(name, dir): a local-directory transport (for tests and
 * for the local repository); dir must exist.  Copies both strings.  NULL
 * on failure (warned). */
struct gs_transport *gs_tp_open_local(const char *name, const char *dir);

/* gs_tp_close(t): disconnect and free (NULL accepted). */
void gs_tp_close(struct gs_transport *t);

/* gs_tp_name(t): the remote's name for messages. */
const char *gs_tp_name(const struct gs_transport *t);

/* gs_tp_last_errkind(t): GS_TP_ERR_* of the last failed call on t (calls
 * on a gs_tp_file count as calls on its transport).  With t == NULL: the
 * kind of this thread's last failed gs_tp_open / gs_tp_open_local. */
int gs_tp_last_errkind(const struct gs_transport *t);

/* gs_tp_mkdir(t, path): create a directory and missing parents (mode
 * 0700; over SFTP 0770 less the server's umask, so that a maintenance
 * account in the group can manage them, conf/sshd_config.geosnap); an
 * existing directory is fine; "" is the base directory.  0 or -1.
 * Directories are a backend detail: callers create the ones the layout
 * names before publishing into them, and a backend without directories
 * (an object store) does nothing here and lists common prefixes as
 * directories. */
int gs_tp_mkdir(struct gs_transport *t, const char *path);

/*
 * gs_tp_create(t, path): create path exclusively (fails if it exists, with
 * GS_TP_ERR_EXISTS), read-only (mode 0444), for writing; the parent
 * directory must exist.  NULL on error.
 * gs_tp_write(f, buf, len): append; 0 or -1.  Writes are pipelined (SFTP
 * keeps a few MiB in flight) and paced by rc->bandwidth_limit: an error
 * can surface at a later write or at commit.  After the first error every
 * later write and the commit fail too.  Borrows buf for the call only.
 * gs_tp_commit(f): flush, fsync (fsync@openssh.com over SFTP), close, free.
 * 0 or -1; f is freed either way.  The file keeps its name: objects are
 * published with gs_tp_publish() instead.
 * gs_tp_abort(f): close and free without committing (NULL accepted); the
 * partial file is left for the caller to delete or leave as a recognisable
 * temporary.  Every gs_tp_file must be committed or aborted before
 * gs_tp_close() of its transport.
 */
struct gs_tp_file *gs_tp_create(struct gs_transport *t, const char *path);
int gs_tp_write(struct gs_tp_file *f, const void *buf, size_t len);
int gs_tp_commit(struct gs_tp_file *f);
void gs_tp_abort(struct gs_tp_file *f);

/*
 * gs_tp_publish(f, to): the one way an object appears on a copy: flush f,
 * make it durable and give it the name `to`, never overwriting an existing
 * file (local: fsync, rename without replace or link, fsync the directory;
 * SFTP: fsync@openssh.com, then a rename the server refuses over an
 * existing name; an object store: a conditional create).  0 published; 1
 * `to` already exists (on a local copy the temporary is removed; on a
 * remote, whose nightly account may not remove, it stays behind as a
 * recognisable temporary); -1 error (the temporary stays behind).  f is
 * freed either way.
 */
int gs_tp_publish(struct gs_tp_file *f, const char *to);

/* gs_tp_read(t, path, off, len, buf): read exactly len bytes at off into
 * buf.  0, 1 if path does not exist, -1 (also when the file ends before
 * off + len). */
int gs_tp_read(struct gs_transport *t, const char *path, uint64_t off, size_t len, uint8_t *buf);

/* gs_tp_read_all(t, path, max, ret, ret_len): a whole file of at most max
 * bytes, malloc'd; a larger one is refused by its size before anything is
 * allocated (warned naming the remote and path: the size is whatever the
 * server says).  0, 1 if missing, -1. */
int gs_tp_read_all(struct gs_transport *t, const char *path, size_t max, uint8_t **ret,
                   size_t *ret_len);

/*
 * gs_tp_hash(t, path, size, buf, buflen, ret_hex): the XXH3-128 of the
 * first size bytes of path, as xxh128sum prints it (32 hex digits and a
 * NUL), read in pieces through the caller's buf of buflen bytes.  The one
 * hashing loop over a stored file: repository objects (gs_repo_obj_hash)
 * and a remote's temporaries.  0; 1 when the file is missing or shorter
 * than size (it vanished or shrank since it was listed); -1 (warned).
 */
int gs_tp_hash(struct gs_transport *t, const char *path, uint64_t size, uint8_t *buf, size_t buflen,
               char ret_hex[33]);

/* gs_tp_stat(t, path, ret_size): 0, 1 if missing, -1. */
int gs_tp_stat(struct gs_transport *t, const char *path, uint64_t *ret_size);

/* gs_tp_list(t, dir, ret, ret_n): entries of dir ("" = the base directory)
 * except "." and "..", sorted by name (bytewise), with their sizes and
 * modification times (by the server's clock).  A missing dir gives 0
 * entries and returns 1.  A directory of more than 1,000,000 entries or
 * 64 MiB of names is refused (-1, warned): no repository directory comes
 * near that.  0, 1, -1.  Free with
 * gs_tp_list_free(). */
int gs_tp_list(struct gs_transport *t, const char *dir, struct gs_tp_entry **ret, size_t *ret_n);
void gs_tp_list_free(struct gs_tp_entry *v, size_t n);

/* gs_tp_rename(t, from, to): rename without overwriting.  0, 1 if `to`
 * already exists (from is left in place), -1 (a missing `from` too). */
int gs_tp_rename(struct gs_transport *t, const char *from, const char *to);

/* gs_tp_delete(t, path): remove a file.  0, 1 if missing, -1. */
int gs_tp_delete(struct gs_transport *t, const char *path);

/* gs_tp_rmdir(t, path): remove an empty directory (for erasing a tenant's
 * namespace so that a listing shows it gone).  0, 1 if missing, -1 (not
 * empty too). */
int gs_tp_rmdir(struct gs_transport *t, const char *path);

#endif
