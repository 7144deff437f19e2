/*
 * transport_internal.h -- what the transports (local.c, sftp.c) share with
 * the dispatch in transport.c.  Private to agent/transport/.
 *
 * Each implementation embeds struct gs_transport (and struct gs_tp_file)
 * as the first member of its own struct and fills in an ops table.  The
 * dispatch checks paths, applies the bandwidth limit and keeps errkind, so
 * an implementation only sees valid relative paths ("" = the base
 * directory, where allowed).
 */
#ifndef GS_TRANSPORT_INTERNAL_H
#define GS_TRANSPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libssh2.h>

#include "geosnap/transport.h"

struct gs_tp_ops {
	void (*close)(struct gs_transport *t);
	int (*mkdir)(struct gs_transport *t, const char *path);
	struct gs_tp_file *(*create)(struct gs_transport *t, const char *path);
	int (*write)(struct gs_tp_file *f, const void *buf, size_t len);
	int (*commit)(struct gs_tp_file *f);
	/* optional: commit and publish in one step (else commit + rename) */
	int (*publish)(struct gs_tp_file *f, const char *to);
	void (*abort)(struct gs_tp_file *f);
	int (*read)(struct gs_transport *t, const char *path, uint64_t off, size_t len,
	            uint8_t *buf);
	int (*stat)(struct gs_transport *t, const char *path, uint64_t *ret_size);
	int (*list)(struct gs_transport *t, const char *dir, struct gs_tp_entry **ret,
	            size_t *ret_n);
	int (*rename)(struct gs_transport *t, const char *from, const char *to);
	int (*delete)(struct gs_transport *t, const char *path);
	int (*rmdir)(struct gs_transport *t, const char *path);
};

struct gs_transport {
	const struct gs_tp_ops *ops;
	char *name;                    /* the remote's name, for messages */
	int errkind;                   /* GS_TP_ERR_* of the last failed call */
	int shared;                    /* threads may share it: errkind is kept per thread */
	size_t list_max_entries;       /* GS_TP_LIST_MAX_ENTRIES unless a test lowered it */
	size_t list_max_bytes;         /* GS_TP_LIST_MAX_NAME_BYTES, likewise */
	uint64_t bwlim;                /* bytes per second, 0 = unlimited */
	int64_t bw_due;                /* token bucket: CLOCK_MONOTONIC ns when the bytes
	                                  written so far are "paid for" */
	struct gs_remote_conf *own_rc; /* gs_tp_open_maint's copy of the remote
	                                  (the transport borrows it), freed by
	                                  gs_tp_close; NULL otherwise */
};

struct gs_tp_file {
	struct gs_transport *t;
	char *path;   /* relative path, for messages */
	uint64_t off; /* bytes accepted by gs_tp_write so far */
	int failed;   /* a write failed: every later call fails */
};

/* Dirs are created private: the remote holds only ciphertext, but names
 * and sizes are nobody else's business either. */
#define GS_TP_DIR_MODE 0700
/* Over SFTP the group may enter and change them too, so that the backup
 * host's maintenance account (another user in the directory's group,
 * conf/sshd_config.geosnap) can remove what the nightly account wrote;
 * the server's umask (internal-sftp -u) and the base directory's group
 * decide what the group gets: with the default umask 022, 0750. */
#define GS_TP_SFTP_DIR_MODE 0770
/* Published objects are read-only. */
#define GS_TP_FILE_MODE 0444

/* gs_tp_base_init(t, ops, name): fill in the common part; 0 or -1. */
int gs_tp_base_init(struct gs_transport *t, const struct gs_tp_ops *ops, const char *name);
/* gs_tp_base_free(t): free what gs_tp_base_init allocated. */
void gs_tp_base_free(struct gs_transport *t);
/* gs_tp_file_init(f, t, path): 0 or -1 (warned). */
int gs_tp_file_init(struct gs_tp_file *f, struct gs_transport *t, const char *path);
/* gs_tp_file_clear(f): release what gs_tp_file_init() set up in f. */
void gs_tp_file_clear(struct gs_tp_file *f);

/* gs_tp_fail(t, kind): record kind as the last error of t; returns -1. */
int gs_tp_fail(struct gs_transport *t, int kind);
/* gs_tp_set_open_errkind(kind): what gs_tp_last_errkind(NULL) reports. */
void gs_tp_set_open_errkind(int kind);

/*
 * Caps on one directory listing, so that a hostile server cannot make us
 * allocate without bound.  No repository directory comes near them: packs
 * fan out over 256 directories (a million packs each would be 8 PiB at the
 * default pack size), and a tenant gains an index segment or a few and one
 * snapshot per run.  Names of objects are 32 bytes.
 */
#define GS_TP_LIST_MAX_ENTRIES 1000000
#define GS_TP_LIST_MAX_NAME_BYTES (64u << 20)

/* A listing under construction (gs_tp_listing_*): entries of one
 * directory, counted against the transport's caps. */
struct gs_tp_listing {
	struct gs_transport *t;
	const char *dir; /* relative path, for messages (borrowed) */
	struct gs_tp_entry *v;
	size_t n, cap;
	size_t name_bytes; /* sum of the names' lengths so far */
};

/* gs_tp_listing_init(l, t, dir): start an empty listing of dir (borrows
 * both for the listing's life). */
void gs_tp_listing_init(struct gs_tp_listing *l, struct gs_transport *t, const char *dir);
/* gs_tp_listing_add(l, name, size, is_dir, mtime_ns): append an entry (copies
 * name).  0, or -1 (warned, errkind set) when out of memory or when the
 * directory has more entries or more bytes of names than the caps allow:
 * the listing is then refused as a whole. */
int gs_tp_listing_add(struct gs_tp_listing *l, const char *name, uint64_t size, int is_dir,
                      int64_t mtime_ns);
/* gs_tp_listing_done(l, ret, ret_n): sort the entries by name (bytewise)
 * and hand them over (ret owns them; l is left empty). */
void gs_tp_listing_done(struct gs_tp_listing *l, struct gs_tp_entry **ret, size_t *ret_n);
/* gs_tp_listing_clear(l): drop the entries of an abandoned listing. */
void gs_tp_listing_clear(struct gs_tp_listing *l);

/* gs_tp_set_list_limits(t, max_entries, max_name_bytes): for tests only:
 * lower t's listing caps so that the refusal can be shown without a
 * million files (0 = the default cap). */
void gs_tp_set_list_limits(struct gs_transport *t, size_t max_entries, size_t max_name_bytes);

/* Implementations. */
/* gs_tp_local_open(name, dir): the local transport rooted at dir; NULL
 * (warned) on error. */
struct gs_transport *gs_tp_local_open(const char *name, const char *dir);
/* gs_tp_sftp_open(rc, u): the SFTP transport of remote rc at URL u (not
 * connected yet); NULL (warned) on error. */
struct gs_transport *gs_tp_sftp_open(const struct gs_remote_conf *rc, const struct gs_tp_url *u);

/*
 * knownhosts.c: host-key checking for sftp.c.
 *
 * struct gs_tp_kh is an OpenSSH known_hosts file loaded into a libssh2
 * session.  Lines libssh2 cannot parse (certificate authorities, key types
 * it lacks, host patterns with wildcards) are skipped as OpenSSH skips
 * what it does not understand; "@revoked" keys are refused for any host.
 */
struct gs_tp_kh;

/* gs_tp_kh_load(s, path, err, errlen): NULL on error (reason in err). */
struct gs_tp_kh *gs_tp_kh_load(LIBSSH2_SESSION *s, const char *path, char *err, size_t errlen);
/* gs_tp_kh_parse(s, name, text, len, err, errlen): the same from the len
 * bytes at text (borrowed), named name in messages. */
struct gs_tp_kh *gs_tp_kh_parse(LIBSSH2_SESSION *s, const char *name, const char *text, size_t len,
                                char *err, size_t errlen);
/* gs_tp_kh_free(kh): free a parsed known_hosts list; NULL is ignored. */
void gs_tp_kh_free(struct gs_tp_kh *kh);

/* gs_tp_kh_prefer(kh, s, hostname): before the handshake, ask for the host
 * key types known_hosts has for hostname first (as OpenSSH does), so that
 * a server with several host keys shows one we can check. */
void gs_tp_kh_prefer(struct gs_tp_kh *kh, LIBSSH2_SESSION *s, const char *hostname);

/*
 * gs_tp_hostkey_verify(s, kh, pin, hostname, err, errlen): after the
 * handshake and before any authentication, check the server's host key
 * against kh (when not NULL) and the pinned fingerprint pin (when not
 * NULL).  hostname is "host" for port 22, else "[host]:port".  0 when
 * accepted; -1 when refused, err saying why with the fingerprint seen and
 * the one(s) expected.
 */
int gs_tp_hostkey_verify(LIBSSH2_SESSION *s, struct gs_tp_kh *kh, const char *pin,
                         const char *hostname, char *err, size_t errlen);
/* gs_tp_kh_check(kh, pin, hostname, type, key, klen, seen, err, errlen):
 * the check of gs_tp_hostkey_verify() on a host key blob key[0..klen) of
 * LIBSSH2_HOSTKEY_TYPE_* type whose fingerprint is seen; same results. */
int gs_tp_kh_check(struct gs_tp_kh *kh, const char *pin, const char *hostname, int type,
                   const char *key, size_t klen, const char *seen, char *err, size_t errlen);

/* gs_tp_ssh_method_pref(s, type, want): prefer the algorithms of the comma
 * list want (best first) that this libssh2 has, leaving out the others
 * (libssh2 1.10 would strip unknown names itself, but with an overlapping
 * memcpy).  0, or -1 when it has none of them.  (sftp_conn.c) */
int gs_tp_ssh_method_pref(LIBSSH2_SESSION *s, int type, const char *want);

/* Length of "SHA256:" + 43 base64 characters + NUL. */
#define GS_TP_FPR_LEN 51

/* gs_tp_fingerprint(blob, len, out): "SHA256:<base64 without padding>" of
 * a public key blob, as ssh-keygen -l prints it. */
void gs_tp_fingerprint(const uint8_t *blob, size_t len, char out[GS_TP_FPR_LEN]);

#endif
