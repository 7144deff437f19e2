/*
 * transport.c -- the transport interface: dispatch to the local-directory
 * and SFTP implementations, and what they share (path checks, the bandwidth
 * limit, sorted listings, error kinds).  URLs are parsed in url.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "transport/transport_internal.h"

/* The kind of this thread's last failed gs_tp_open (there is no transport
 * to keep it in); like gs_last_error(), per thread. */
static _Thread_local int open_errkind;
/* The kind of this thread's last failed call on a transport that threads
 * share (the local directory): each thread sees its own failures. */
static _Thread_local int shared_errkind;

/* Longest relative path accepted (PATH_MAX of the remote, roughly). */
#define MAX_PATH_LEN 4000

/* Pacing: a write is cut into pieces of at most this much... */
#define BW_PIECE_MAX (1024 * 1024)
/* ...and idle time earns at most this much credit (a burst). */
#define BW_BURST_NS (250 * 1000 * 1000LL)

/* gs_tp_set_open_errkind(kind): what gs_tp_last_errkind(NULL) reports. */
void
gs_tp_set_open_errkind(int kind)
{
	open_errkind = kind;
}

/* gs_tp_fail(t, kind): record kind as the last error of t; returns -1. */
int
gs_tp_fail(struct gs_transport *t, int kind)
{
	if (t->shared)
		shared_errkind = kind;
	else
		t->errkind = kind;
	return -1;
}

/* gs_tp_base_init(t, ops, name): fill in the common part; 0 or -1. */
int
gs_tp_base_init(struct gs_transport *t, const struct gs_tp_ops *ops, const char *name)
{
	t->ops = ops;
	t->errkind = GS_TP_ERR_NONE;
	t->list_max_entries = GS_TP_LIST_MAX_ENTRIES;
	t->list_max_bytes = GS_TP_LIST_MAX_NAME_BYTES;
	t->bwlim = 0;
	t->bw_due = 0;
	t->own_rc = NULL;
	if ((t->name = gs_strdup(name)) == NULL)
		return -1;
	return 0;
}

/* gs_tp_base_free(t): free what gs_tp_base_init allocated. */
void
gs_tp_base_free(struct gs_transport *t)
{
	free(t->name);
	t->name = NULL;
}

/* gs_tp_file_init(f, t, path): 0 or -1 (warned). */
int
gs_tp_file_init(struct gs_tp_file *f, struct gs_transport *t, const char *path)
{
	f->t = t;
	f->off = 0;
	f->failed = 0;
	if ((f->path = gs_strdup(path)) == NULL)
		return -1;
	return 0;
}

/* gs_tp_file_clear(f): release what gs_tp_file_init() set up in f. */
void
gs_tp_file_clear(struct gs_tp_file *f)
{
	free(f->path);
	f->path = NULL;
}

/*
 * check_path(t, what, path, empty_ok): paths are relative, '/'-separated,
 * with no empty, "." or ".." component; "" (the base directory) only where
 * empty_ok.  0, or -1 (warned: a programmer error or a hostile name).
 */
static int
check_path(struct gs_transport *t, const char *what, const char *path, int empty_ok)
{
	const char *p, *c;
	size_t n;

	if (path == NULL) {
		gs_warn("%s: %s: no path", t->name, what);
		return gs_tp_fail(t, GS_TP_ERR_REFUSED);
	}
	if (*path == '\0') {
		if (empty_ok)
			return 0;
		gs_warn("%s: %s: empty path", t->name, what);
		return gs_tp_fail(t, GS_TP_ERR_REFUSED);
	}
	if (strlen(path) > MAX_PATH_LEN) {
		gs_warn("%s: %s: path longer than %d bytes", t->name, what, MAX_PATH_LEN);
		return gs_tp_fail(t, GS_TP_ERR_REFUSED);
	}
	for (p = path;; p = c + 1) {
		c = strchr(p, '/');
		n = c ? (size_t)(c - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			gs_warn("%s: %s %s: not a clean relative path", t->name, what, path);
			return gs_tp_fail(t, GS_TP_ERR_REFUSED);
		}
		if (c == NULL)
			break;
	}
	return 0;
}

/* gs_tp_set_list_limits(t, max_entries, max_name_bytes): for tests only:
 * lower t's listing caps (0 = the default cap). */
void
gs_tp_set_list_limits(struct gs_transport *t, size_t max_entries, size_t max_name_bytes)
{
	t->list_max_entries = max_entries ? max_entries : GS_TP_LIST_MAX_ENTRIES;
	t->list_max_bytes = max_name_bytes ? max_name_bytes : GS_TP_LIST_MAX_NAME_BYTES;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct gs_tp_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* gs_tp_listing_init(l, t, dir): start an empty listing of dir (borrows
 * both for the listing's life). */
void
gs_tp_listing_init(struct gs_tp_listing *l, struct gs_transport *t, const char *dir)
{
	memset(l, 0, sizeof(*l));
	l->t = t;
	l->dir = dir;
}

/* gs_tp_listing_add(l, name, size, is_dir, mtime_ns): append an entry
 * (copies name); mtime_ns in nanoseconds since the epoch, 0 unknown.
 * 0, or -1 (warned, errkind set) when out of memory or over a cap: the
 * listing is then refused as a whole. */
int
gs_tp_listing_add(struct gs_tp_listing *l, const char *name, uint64_t size, int is_dir,
                  int64_t mtime_ns)
{
	struct gs_transport *t = l->t;
	struct gs_tp_entry *nv;
	size_t ncap, len = strlen(name);

	/* Refuse before allocating: the server decides how much it sends. */
	if (l->n >= t->list_max_entries) {
		gs_warn("%s: list %s: more than %zu entries; refused (no repository directory "
		        "holds that many: a broken or hostile server?)",
		        t->name, *l->dir ? l->dir : "(base directory)", t->list_max_entries);
		return gs_tp_fail(t, GS_TP_ERR_IO);
	}
	if (len > t->list_max_bytes - l->name_bytes) {
		gs_warn("%s: list %s: more than %zu bytes of names (after %zu entries); refused "
		        "(a broken or hostile server?)",
		        t->name, *l->dir ? l->dir : "(base directory)", t->list_max_bytes, l->n);
		return gs_tp_fail(t, GS_TP_ERR_IO);
	}
	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 16;
		if (ncap > SIZE_MAX / sizeof(*l->v) ||
		    (nv = realloc(l->v, ncap * sizeof(*l->v))) == NULL) {
			gs_warn("%s: list %s: out of memory", t->name, l->dir);
			return gs_tp_fail(t, GS_TP_ERR_IO);
		}
		l->v = nv;
		l->cap = ncap;
	}
	if ((l->v[l->n].name = gs_strdup(name)) == NULL)
		return gs_tp_fail(t, GS_TP_ERR_IO);
	l->v[l->n].size = size;
	l->v[l->n].is_dir = is_dir;
	l->v[l->n].mtime = mtime_ns / GS_NS_PER_S;
	l->v[l->n].mtime_ns = mtime_ns;
	l->n++;
	l->name_bytes += len;
	return 0;
}

/* gs_tp_listing_done(l, ret, ret_n): sort the entries by name (bytewise)
 * and hand them over (ret owns them; l is left empty). */
void
gs_tp_listing_done(struct gs_tp_listing *l, struct gs_tp_entry **ret, size_t *ret_n)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	*ret = l->v;
	*ret_n = l->n;
	l->v = NULL;
	l->n = l->cap = l->name_bytes = 0;
}

/* gs_tp_listing_clear(l): drop the entries of an abandoned listing. */
void
gs_tp_listing_clear(struct gs_tp_listing *l)
{
	gs_tp_list_free(l->v, l->n);
	l->v = NULL;
	l->n = l->cap = l->name_bytes = 0;
}

/* ---- the interface ------------------------------------------------- */

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
struct gs_transport *
gs_tp_open(const struct gs_remote_conf *rc)
{
	struct gs_transport *t;
	struct gs_tp_url u;
	const char *name = rc->name ? rc->name : "remote";
	char err[200];

	if (rc->url == NULL) {
		gs_warn("remote %s: no url", name);
		gs_tp_set_open_errkind(GS_TP_ERR_REFUSED);
		return NULL;
	}
	if (strncmp(rc->url, "file://", 7) == 0) {
		if (gs_tp_url_parse(rc->url, &u, err, sizeof(err))) {
			gs_warn("remote %s: url %s: expected file:///absolute/path", name, rc->url);
			gs_tp_set_open_errkind(GS_TP_ERR_REFUSED);
			return NULL;
		}
		t = gs_tp_local_open(name, u.path);
		gs_tp_url_clear(&u);
	} else if (strncmp(rc->url, "sftp://", 7) == 0) {
		if (gs_tp_url_parse(rc->url, &u, err, sizeof(err))) {
			gs_warn("remote %s: url %s: %s", name, rc->url, err);
			gs_tp_set_open_errkind(GS_TP_ERR_REFUSED);
			return NULL;
		}
		t = gs_tp_sftp_open(rc, &u);
		gs_tp_url_clear(&u);
	} else {
		gs_warn("remote %s: url %s: unsupported scheme (sftp:// or file://)", name,
		        rc->url);
		gs_tp_set_open_errkind(GS_TP_ERR_REFUSED);
		return NULL;
	}
	if (t != NULL)
		t->bwlim = rc->bandwidth_limit;
	return t;
}

/*
 * gs_tp_open_maint(rc): connect to a remote with its maintenance
 * credentials, for the operations that remove or move objects (expire,
 * erasure, ship --repair, quarantine): rc->maintenance_url instead of
 * rc->url and rc->maintenance_identity instead of rc->identity, each when
 * set (the host key checks are the same).  Without either, exactly
 * gs_tp_open(rc).  The transport keeps its own copy of rc (freed by
 * gs_tp_close) whose strings point into rc: rc must outlive the
 * transport, as for gs_tp_open.  NULL on failure (warned, naming the
 * maintenance account; gs_tp_last_errkind(NULL) gives the kind).
 */
struct gs_transport *
gs_tp_open_maint(const struct gs_remote_conf *rc)
{
	struct gs_remote_conf *m;
	struct gs_transport *t;

	if (rc->maintenance_url == NULL && rc->maintenance_identity == NULL)
		return gs_tp_open(rc);
	if ((m = malloc(sizeof(*m))) == NULL) {
		gs_warnp("malloc");
		gs_tp_set_open_errkind(GS_TP_ERR_IO);
		return NULL;
	}
	*m = *rc;
	if (rc->maintenance_url != NULL)
		m->url = rc->maintenance_url;
	if (rc->maintenance_identity != NULL)
		m->identity = rc->maintenance_identity;
	if ((t = gs_tp_open(m)) == NULL) {
		gs_warn("remote %s: the maintenance account (%s) is not usable",
		        rc->name ? rc->name : "remote", m->url ? m->url : "no url");
		free(m);
		return NULL;
	}
	t->own_rc = m;
	return t;
}

/* gs_tp_open_local(name, dir): a local-directory transport (for tests and
 * for the local repository); dir must exist.  Copies both strings.  NULL
 * on failure (warned). */
struct gs_transport *
gs_tp_open_local(const char *name, const char *dir)
{
	return gs_tp_local_open(name, dir);
}

/* gs_tp_close(t): disconnect and free (NULL accepted). */
void
gs_tp_close(struct gs_transport *t)
{
	struct gs_remote_conf *own;

	if (t == NULL)
		return;
	own = t->own_rc;
	t->ops->close(t);
	free(own);
}

/* gs_tp_name(t): the remote's name for messages. */
const char *
gs_tp_name(const struct gs_transport *t)
{
	return t->name;
}

/* gs_tp_last_errkind(t): GS_TP_ERR_* of the last failed call on t (calls
 * on a gs_tp_file count as calls on its transport).  With t == NULL: the
 * kind of this thread's last failed gs_tp_open / gs_tp_open_local. */
int
gs_tp_last_errkind(const struct gs_transport *t)
{
	if (t == NULL)
		return open_errkind;
	return t->shared ? shared_errkind : t->errkind;
}

/* gs_tp_mkdir(t, path): create a directory and missing parents (mode
 * 0700; over SFTP 0770 less the server's umask, so that a maintenance
 * account in the group can manage them, conf/sshd_config.geosnap); an
 * existing directory is fine; "" is the base directory.  0 or -1.
 * Directories are a backend detail: callers create the ones the layout
 * names before publishing into them, and a backend without directories
 * (an object store) does nothing here and lists common prefixes as
 * directories. */
int
gs_tp_mkdir(struct gs_transport *t, const char *path)
{
	if (check_path(t, "mkdir", path, 1))
		return -1;
	return t->ops->mkdir(t, path);
}

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
struct gs_tp_file *
gs_tp_create(struct gs_transport *t, const char *path)
{
	if (check_path(t, "create", path, 0))
		return NULL;
	return t->ops->create(t, path);
}

/* pace(t, n): sleep until n more bytes fit the bandwidth limit. */
static void
pace(struct gs_transport *t, size_t n)
{
	int64_t now = gs_mono_ns();
	struct timespec ts;

	if (t->bw_due < now - BW_BURST_NS)
		t->bw_due = now - BW_BURST_NS;
	t->bw_due += (int64_t)((uint64_t)n * 1000000000ULL / t->bwlim);
	while ((now = gs_mono_ns()) < t->bw_due) {
		ts.tv_sec = (time_t)((t->bw_due - now) / 1000000000LL);
		ts.tv_nsec = (long)((t->bw_due - now) % 1000000000LL);
		if (nanosleep(&ts, NULL) && errno != EINTR)
			break;
	}
}

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
int
gs_tp_write(struct gs_tp_file *f, const void *buf, size_t len)
{
	struct gs_transport *t = f->t;
	const uint8_t *p = buf;
	size_t piece, n;

	if (f->failed)
		return -1;
	if (t->bwlim == 0) {
		if (len > 0 && t->ops->write(f, buf, len)) {
			f->failed = 1;
			return -1;
		}
		f->off += len;
		return 0;
	}
	/* Pieces of about 1/8 s at the limit keep the pace smooth. */
	piece = t->bwlim / 8;
	if (piece < 16384)
		piece = 16384;
	if (piece > BW_PIECE_MAX)
		piece = BW_PIECE_MAX;
	while (len > 0) {
		n = len < piece ? len : piece;
		pace(t, n);
		if (t->ops->write(f, p, n)) {
			f->failed = 1;
			return -1;
		}
		f->off += n;
		p += n;
		len -= n;
	}
	return 0;
}

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
int
gs_tp_commit(struct gs_tp_file *f)
{
	return f->t->ops->commit(f);
}

/*
 * gs_tp_publish(f, to): see transport.h.  A transport with its own way to
 * publish (the local directory: link or rename without replace, one fsync
 * of the directory) does it in one step; the others commit f and rename it
 * without overwriting.
 */
int
gs_tp_publish(struct gs_tp_file *f, const char *to)
{
	struct gs_transport *t = f->t;
	char *tmp;
	int r;

	if (check_path(t, "publish", to, 0)) {
		gs_tp_abort(f);
		return -1;
	}
	if (t->ops->publish != NULL)
		return t->ops->publish(f, to);
	if ((tmp = gs_strdup(f->path)) == NULL) {
		gs_tp_abort(f);
		return gs_tp_fail(t, GS_TP_ERR_IO);
	}
	r = gs_tp_commit(f);
	if (r == 0)
		r = gs_tp_rename(t, tmp, to);
	free(tmp);
	return r;
}

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
void
gs_tp_abort(struct gs_tp_file *f)
{
	if (f != NULL)
		f->t->ops->abort(f);
}

/* gs_tp_read(t, path, off, len, buf): read exactly len bytes at off into
 * buf.  0, 1 if path does not exist, -1 (also when the file ends before
 * off + len). */
int
gs_tp_read(struct gs_transport *t, const char *path, uint64_t off, size_t len, uint8_t *buf)
{
	if (check_path(t, "read", path, 0))
		return -1;
	return t->ops->read(t, path, off, len, buf);
}

/* gs_tp_hash(t, path, size, buf, buflen, ret_hex): see transport.h. */
int
gs_tp_hash(struct gs_transport *t, const char *path, uint64_t size, uint8_t *buf, size_t buflen,
           char ret_hex[33])
{
	XXH128_canonical_t c;
	XXH3_state_t *xs;
	uint64_t off = 0, now;
	int rc = 0;

	if ((xs = XXH3_createState()) == NULL) {
		gs_warn("%s: %s: cannot allocate a hash state", t->name, path);
		return -1;
	}
	XXH3_128bits_reset(xs);
	while (off < size && rc == 0) {
		size_t n = size - off < buflen ? (size_t)(size - off) : buflen;

		if ((rc = gs_tp_read(t, path, off, n, buf)) == 0) {
			XXH3_128bits_update(xs, buf, n);
			off += n;
		}
	}
	if (rc < 0 && gs_tp_last_errkind(t) == GS_TP_ERR_IO) {
		int st = gs_tp_stat(t, path, &now);

		if (st == 1 || (st == 0 && now < size))
			rc = 1; /* it shrank or vanished since it was listed */
	}
	if (rc == 0) {
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(xs));
		gs_hex(ret_hex, c.digest, 16);
	}
	XXH3_freeState(xs);
	return rc;
}

/* gs_tp_read_all(t, path, max, ret, ret_len): a whole file of at most max
 * bytes, malloc'd; a larger one is refused by its size before anything is
 * allocated (warned naming the remote and path).  0, 1 if missing, -1. */
int
gs_tp_read_all(struct gs_transport *t, const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	uint64_t size;
	uint8_t *buf;
	int rc;

	if (check_path(t, "read", path, 0))
		return -1;
	/* Objects are immutable: the size cannot change between the calls. */
	if ((rc = t->ops->stat(t, path, &size)) != 0)
		return rc;
	/* Refuse before allocating: the size is whatever the server says. */
	if (size > max) {
		gs_warn("%s: %s: %llu bytes, more than the %zu this object may have; refused, "
		        "not read",
		        t->name, path, (unsigned long long)size, max);
		return gs_tp_fail(t, GS_TP_ERR_IO);
	}
	if ((buf = malloc((size_t)size + 1)) == NULL) {
		gs_warnp("%s: %s: malloc", t->name, path);
		return gs_tp_fail(t, GS_TP_ERR_IO);
	}
	if (size > 0 && (rc = t->ops->read(t, path, 0, (size_t)size, buf)) != 0) {
		free(buf);
		return rc;
	}
	*ret = buf;
	*ret_len = (size_t)size;
	return 0;
}

/* gs_tp_stat(t, path, ret_size): 0, 1 if missing, -1. */
int
gs_tp_stat(struct gs_transport *t, const char *path, uint64_t *ret_size)
{
	if (check_path(t, "stat", path, 0))
		return -1;
	return t->ops->stat(t, path, ret_size);
}

/* gs_tp_list(t, dir, ret, ret_n): entries of dir ("" = the base directory)
 * except "." and "..", sorted by name (bytewise), with their sizes and
 * modification times (by the server's clock).  A missing dir gives 0
 * entries and returns 1.  A directory of more than 1,000,000 entries or
 * 64 MiB of names is refused (-1, warned): no repository directory comes
 * near that.  0, 1, -1.  Free with
 * gs_tp_list_free(). */
int
gs_tp_list(struct gs_transport *t, const char *dir, struct gs_tp_entry **ret, size_t *ret_n)
{
	if (check_path(t, "list", dir, 1))
		return -1;
	return t->ops->list(t, dir, ret, ret_n);
}

/* gs_tp_list(t, dir, ret, ret_n): entries of dir ("" = the base directory)
 * except "." and "..", sorted by name (bytewise), with their sizes and
 * modification times (by the server's clock).  A missing dir gives 0
 * entries and returns 1.  A directory of more than 1,000,000 entries or
 * 64 MiB of names is refused (-1, warned): no repository directory comes
 * near that.  0, 1, -1.  Free with
 * gs_tp_list_free(). */
void
gs_tp_list_free(struct gs_tp_entry *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* gs_tp_rename(t, from, to): rename without overwriting.  0, 1 if `to`
 * already exists (from is left in place), -1 (a missing `from` too). */
int
gs_tp_rename(struct gs_transport *t, const char *from, const char *to)
{
	if (check_path(t, "rename", from, 0) || check_path(t, "rename", to, 0))
		return -1;
	return t->ops->rename(t, from, to);
}

/* gs_tp_delete(t, path): remove a file.  0, 1 if missing, -1. */
int
gs_tp_delete(struct gs_transport *t, const char *path)
{
	if (check_path(t, "delete", path, 0))
		return -1;
	return t->ops->delete (t, path);
}

/* gs_tp_rmdir(t, path): remove an empty directory (for erasing a tenant's
 * namespace so that a listing shows it gone).  0, 1 if missing, -1 (not
 * empty too). */
int
gs_tp_rmdir(struct gs_transport *t, const char *path)
{
	if (check_path(t, "rmdir", path, 0))
		return -1;
	return t->ops->rmdir(t, path);
}
