/*
 * repo.c -- a repository copy on a transport: the local repository on the
 * local-directory transport, a remote on its SFTP (or file://) transport.
 * Every read, listing and publication goes through the transport, with the
 * names of layout.h, so each operation exists once for every copy.  Only
 * the writer lock is local (flock on the local copy's lock file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <xxhash.h>

#include "geosnap/lock.h"
#include "geosnap/repo.h"
#include "geosnap/transport.h"

/* Temporaries older than this are swept (a writer that old is dead). */
#define SWEEP_AGE_S 3600

struct gs_repo {
	char *path; /* the local directory, or the remote's name (messages) */
	int local;  /* the local repository: writable, lockable */
	struct gs_transport *tp;
};

/*
 * gs_repo_init(path): create the repository at path if missing; idempotent.
 * 0 or -1 (warned).
 */
int
gs_repo_init(const char *path)
{
	uint8_t buf[GS_REPOCONF_LEN];
	char *p;
	int rc = -1;

	if (gs_mkdir_p(path, 0700))
		return -1;
	if ((p = gs_path_join(path, GS_LAYOUT_TENANTS)) == NULL)
		return -1;
	if (mkdir(p, 0700) && errno != EEXIST) {
		gs_warnp("mkdir %s", p);
		free(p);
		return -1;
	}
	free(p);
	if ((p = gs_path_join(path, GS_LAYOUT_CONFIG)) == NULL)
		return -1;
	if (access(p, F_OK) == 0) {
		struct gs_repo *r = gs_repo_open(path);

		rc = r ? 0 : -1;
		gs_repo_free(r);
		free(p);
		return rc;
	}
	gs_repoconf_new(buf);
	rc = gs_publish(path, GS_LAYOUT_CONFIG, buf, sizeof(buf), 0444) < 0 ? -1 : 0;
	free(p);
	return rc;
}

/* A repository on tp (taken over; closed on failure) after checking the
 * copy's config object; where names the copy.  NULL (warned). */
static struct gs_repo *
repo_on(struct gs_transport *tp, const char *where, int local)
{
	struct gs_repo *r = NULL;
	uint8_t *buf;
	size_t len;
	int st;

	st = gs_tp_read_all(tp, GS_LAYOUT_CONFIG, GS_MAX_CONFIG_OBJECT, &buf, &len);
	if (st == 1)
		gs_warn(local ? "%s: no repository here (run geosnap-agent init)"
		              : "remote %s: no repository here (nothing was shipped to it)",
		        where);
	if (st == 0) {
		if (gs_repoconf_check(where, buf, len) == 0 &&
		    (r = calloc(1, sizeof(*r))) != NULL && (r->path = gs_strdup(where)) == NULL) {
			free(r);
			r = NULL;
		}
		free(buf);
	}
	if (r == NULL) {
		gs_tp_close(tp);
		return NULL;
	}
	r->tp = tp;
	r->local = local;
	return r;
}

/*
 * gs_repo_open(path): the local repository at path, on the local-directory
 * transport (checks its config object).  NULL (warned) if missing or
 * malformed.
 */
struct gs_repo *
gs_repo_open(const char *path)
{
	struct gs_transport *tp = gs_tp_open_local("local", path);

	return tp ? repo_on(tp, path, 1) : NULL;
}

/*
 * gs_repo_open_remote(rc): the copy on a remote (SFTP or file://), read
 * only: everything but publishing, locking and sweeping works on it.  NULL
 * (warned) when it cannot connect or holds no repository.
 */
struct gs_repo *
gs_repo_open_remote(const struct gs_remote_conf *rc)
{
	struct gs_transport *tp = gs_tp_open(rc);

	return tp ? repo_on(tp, rc->name, 0) : NULL;
}

/* gs_repo_free(r): close a copy opened by gs_repo_open*(); NULL is ignored. */
void
gs_repo_free(struct gs_repo *r)
{
	if (r == NULL)
		return;
	gs_tp_close(r->tp);
	free(r->path);
	free(r);
}

/* gs_repo_path(r): the local path, or the remote's name. */
const char *
gs_repo_path(const struct gs_repo *r)
{
	return r->path;
}

/* gs_repo_transport(r): the transport the copy is reached through
 * (borrowed).  The local copy's may be shared by threads. */
struct gs_transport *
gs_repo_transport(const struct gs_repo *r)
{
	return r->tp;
}

/* A write needs the local copy. */
static int
writable(const struct gs_repo *r, const char *what)
{
	if (r->local)
		return 1;
	gs_warn("remote %s: %s: only the local repository is written here", r->path, what);
	return 0;
}

/*
 * gs_repo_tenant_init(r, tenant): create the tenant's directories (the
 * kind directories and the pack fan-out).  0 or -1 (warned).
 */
int
gs_repo_tenant_init(const struct gs_repo *r, const char *tenant)
{
	char *d;
	int rc = 0;

	for (int k = GS_OBJ_PACK; k < GS_OBJ_NKINDS && rc == 0; k++) {
		if ((d = gs_layout_kind_dir(tenant, k)) == NULL)
			return -1;
		rc = gs_tp_mkdir(r->tp, d);
		free(d);
	}
	for (unsigned i = 0; i < GS_LAYOUT_FANOUT && rc == 0; i++) {
		if ((d = gs_layout_fanout_dir(tenant, i)) == NULL)
			return -1;
		rc = gs_tp_mkdir(r->tp, d);
		free(d);
	}
	return rc;
}

/* ---- listing ---------------------------------------------------------- */

/* Append the objects of one directory to *v (n used, cap allocated).  An
 * entry with an object's name that is not a regular file stays in: reading
 * it fails, naming it, which is how check reports it. */
static int
list_dir(struct gs_transport *tp, const char *dir, struct gs_repo_obj **v, size_t *n, size_t *cap)
{
	struct gs_tp_entry *e;
	size_t ne;

	if (gs_tp_list(tp, dir, &e, &ne) < 0)
		return -1;
	for (size_t i = 0; i < ne; i++) {
		if (!gs_layout_is_objname(e[i].name))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			void *nv = reallocarray(*v, nc, sizeof(**v));

			if (nv == NULL) {
				gs_warnp("reallocarray");
				gs_tp_list_free(e, ne);
				return -1;
			}
			*v = nv;
			*cap = nc;
		}
		memcpy((*v)[*n].name, e[i].name, GS_NAME_HEX);
		(*v)[*n].size = e[i].size;
		(*v)[*n].mtime_ns = e[i].mtime_ns;
		(*n)++;
	}
	gs_tp_list_free(e, ne);
	return 0;
}

static int
cmp_obj(const void *a, const void *b)
{
	return strcmp(((const struct gs_repo_obj *)a)->name, ((const struct gs_repo_obj *)b)->name);
}

/*
 * gs_repo_list_objs(r, tenant, kind, ret, ret_n): the published objects of
 * a kind with their sizes and modification times (seconds, the copy's
 * clock), sorted by name, in a malloc'd array.  Temporaries and names that
 * are not object names are left out; a pack outside its fan-out directory
 * is not an object.  A tenant without the directory has none.  0 or -1.
 */
int
gs_repo_list_objs(const struct gs_repo *r, const char *tenant, int kind, struct gs_repo_obj **ret,
                  size_t *ret_n)
{
	struct gs_repo_obj *v = NULL;
	struct gs_tp_entry *e = NULL;
	size_t n = 0, cap = 0, ne = 0;
	char *dir;
	int rc = 0;

	if ((dir = gs_layout_kind_dir(tenant, kind)) == NULL)
		return -1;
	if (kind != GS_OBJ_PACK) {
		rc = list_dir(r->tp, dir, &v, &n, &cap);
	} else if (gs_tp_list(r->tp, dir, &e, &ne) < 0) {
		rc = -1;
	} else {
		for (size_t i = 0; i < ne && rc == 0; i++) {
			size_t first = n, keep = n;
			char *sub;

			if (!e[i].is_dir || !gs_layout_is_fanout(e[i].name))
				continue;
			if ((sub = gs_asprintf("%s/%s", dir, e[i].name)) == NULL) {
				rc = -1;
				break;
			}
			rc = list_dir(r->tp, sub, &v, &n, &cap);
			/* a pack named for another fan-out directory is misplaced */
			for (size_t j = first; rc == 0 && j < n; j++)
				if (strncmp(v[j].name, e[i].name, 2) == 0)
					v[keep++] = v[j];
			n = rc == 0 ? keep : n;
			free(sub);
		}
		gs_tp_list_free(e, ne);
	}
	free(dir);
	if (rc) {
		free(v);
		return -1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_obj);
	*ret = v;
	*ret_n = n;
	return 0;
}

/*
 * gs_repo_list(r, tenant, kind, ret, ret_n): names of the published objects
 * of a kind, sorted (gs_repo_list_objs without sizes).  0 or -1.
 */
int
gs_repo_list(const struct gs_repo *r, const char *tenant, int kind, char (**ret)[GS_NAME_HEX],
             size_t *ret_n)
{
	struct gs_repo_obj *v;
	char(*names)[GS_NAME_HEX] = NULL;
	size_t n;

	if (gs_repo_list_objs(r, tenant, kind, &v, &n))
		return -1;
	if (n > 0 && (names = calloc(n, GS_NAME_HEX)) == NULL) {
		gs_warnp("calloc");
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(names[i], v[i].name, GS_NAME_HEX);
	free(v);
	*ret = names;
	*ret_n = n;
	return 0;
}

/* ---- reading ---------------------------------------------------------- */

/* The largest object of a kind that may be read whole or published
 * (format.h). */
static size_t
kind_max(int kind)
{
	switch (kind) {
	case GS_OBJ_INDEX:
		return GS_MAX_INDEX_SEGMENT;
	case GS_OBJ_SNAP:
		return GS_MAX_SNAP_OBJECT;
	case GS_OBJ_RELOC:
		return GS_MAX_RELOC_OBJECT;
	default:
		return (size_t)(GS_MAX_OBJECT < SIZE_MAX ? GS_MAX_OBJECT : SIZE_MAX);
	}
}

/*
 * gs_repo_read(r, tenant, kind, name, ret, ret_len): the whole object, of
 * at most its kind's cap (format.h); a larger one is refused before any
 * allocation for it, warned naming the copy, tenant and object.  0, 1 if
 * missing, -1 (warned).
 */
int
gs_repo_read(const struct gs_repo *r, const char *tenant, int kind, const char *name, uint8_t **ret,
             size_t *ret_len)
{
	char *p = gs_layout_obj(tenant, kind, name);
	int rc;

	if (p == NULL)
		return -1;
	rc = gs_tp_read_all(r->tp, p, kind_max(kind), ret, ret_len);
	free(p);
	return rc;
}

/*
 * gs_repo_snap_public(r, tenant, index_key, name, ret): snapshot name's
 * public part into *ret.  0; 1 missing; 2 corrupt (warned); -1 (warned).
 */
int
gs_repo_snap_public(const struct gs_repo *r, const char *tenant,
                    const uint8_t index_key[GS_KEY_LEN], const char *name, struct gs_snap_info *ret)
{
	const uint8_t *sct;
	uint8_t *buf, ph[32]; /* gs_snap_parse_public's hash, unused here */
	size_t len, slen;
	int rc;

	if ((rc = gs_repo_read(r, tenant, GS_OBJ_SNAP, name, &buf, &len)) != 0)
		return rc;
	rc = gs_snap_parse_public(index_key, name, buf, len, ret, &sct, &slen, ph) ? 2 : 0;
	free(buf);
	return rc;
}

/* gs_repo_stat(r, tenant, kind, name, ret_size): 0, 1 if missing, -1. */
int
gs_repo_stat(const struct gs_repo *r, const char *tenant, int kind, const char *name,
             uint64_t *ret_size)
{
	char *p = gs_layout_obj(tenant, kind, name);
	int rc;

	if (p == NULL)
		return -1;
	rc = gs_tp_stat(r->tp, p, ret_size);
	free(p);
	return rc;
}

/*
 * gs_repo_read_range(r, tenant, kind, name, off, len, buf): exactly len
 * bytes at off.  0, or -1 naming the copy and object (a missing object or a
 * short read too).
 */
int
gs_repo_read_range(const struct gs_repo *r, const char *tenant, int kind, const char *name,
                   uint64_t off, size_t len, uint8_t *buf)
{
	char *p = gs_layout_obj(tenant, kind, name);
	int rc;

	if (p == NULL)
		return -1;
	if ((rc = gs_tp_read(r->tp, p, off, len, buf)) == 1)
		gs_warn("%s: tenant %s: %s %s: missing", r->path, tenant, gs_layout_kind_noun(kind),
		        name);
	free(p);
	return rc ? -1 : 0;
}

/*
 * gs_repo_obj_hash(r, tenant, kind, name, size, buf, buflen, ret_hex): the
 * XXH3-128 of the object's first size bytes (its listed size), as
 * xxh128sum prints it, read through buf (buflen bytes, the caller's).
 * "Is this object whole?" is strcmp(ret_hex, name) == 0: the one place an
 * object is hashed against its name, for every copy.  0, 1 when the object
 * is missing or shorter than size, -1 on error (warned).
 */
int
gs_repo_obj_hash(const struct gs_repo *r, const char *tenant, int kind, const char *name,
                 uint64_t size, uint8_t *buf, size_t buflen, char ret_hex[GS_NAME_HEX])
{
	return gs_repo_obj_hash_tp(r->tp, tenant, kind, name, size, buf, buflen, ret_hex);
}

/*
 * gs_repo_obj_hash_tp(tp, tenant, kind, name, size, buf, buflen, ret_hex):
 * gs_repo_obj_hash on the copy behind tp (a remote's connection, borrowed),
 * for callers that hold a connection rather than a gs_repo (replication's
 * workers, one connection each).  0, 1 when the object is missing or
 * shorter than size, -1 on error (warned).
 */
int
gs_repo_obj_hash_tp(struct gs_transport *tp, const char *tenant, int kind, const char *name,
                    uint64_t size, uint8_t *buf, size_t buflen, char ret_hex[GS_NAME_HEX])
{
	char *p = gs_layout_obj(tenant, kind, name);
	int rc;

	if (p == NULL)
		return -1;
	rc = gs_tp_hash(tp, p, size, buf, buflen, ret_hex);
	free(p);
	return rc;
}

/* ---- publishing --------------------------------------------------------- */

/*
 * gs_repo_put(r, tenant, kind, buf, len, ret_name): publish a small object
 * named by its XXH3-128 (gs_tp_publish: never over an existing name, which
 * holds the same bytes); one over its kind's cap (see gs_repo_read) is
 * refused.  0 (also when it already existed) or -1 (warned).
 */
int
gs_repo_put(const struct gs_repo *r, const char *tenant, int kind, const uint8_t *buf, size_t len,
            char ret_name[GS_NAME_HEX])
{
	struct gs_objfile *f;
	int rc;

	if (len > kind_max(kind)) {
		gs_warn("tenant %s: %s of %zu bytes: more than the %zu bytes a reader accepts; "
		        "not published",
		        tenant, gs_layout_kind_noun(kind), len, kind_max(kind));
		return -1;
	}
	if ((f = gs_objfile_new(r, tenant, kind)) == NULL)
		return -1;
	rc = gs_objfile_write(f, buf, len) || gs_objfile_commit(f, ret_name) ? -1 : 0;
	gs_objfile_free(f);
	return rc;
}

struct gs_objfile {
	const struct gs_repo *r;
	char *tenant;
	int kind;
	char *tmp; /* the temporary's path, while it may exist */
	struct gs_tp_file *f;
	uint64_t size;
	XXH3_state_t *xs;
	uint8_t *wbuf;
	size_t wlen;
};

/* Bytes gathered before one transport write. */
#define WBUF_SIZE (1u << 20)

/*
 * gs_objfile_new(r, tenant, kind): a streaming writer of one object of the
 * local copy: bytes go to a temporary while their XXH3-128 is computed;
 * gs_objfile_commit publishes the object under it.  Borrows r.  NULL
 * (warned).
 */
struct gs_objfile *
gs_objfile_new(const struct gs_repo *r, const char *tenant, int kind)
{
	struct gs_objfile *f;
	uint8_t rnd[8];
	char tag[17];

	if (!writable(r, "write an object"))
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		gs_warnp("calloc");
		return NULL;
	}
	f->r = r;
	f->kind = kind;
	randombytes_buf(rnd, sizeof(rnd));
	gs_hex(tag, rnd, sizeof(rnd));
	if ((f->tenant = gs_strdup(tenant)) == NULL ||
	    (f->tmp = gs_layout_tmp(tenant, kind, tag)) == NULL)
		goto err;
	if ((f->xs = XXH3_createState()) == NULL || (f->wbuf = malloc(WBUF_SIZE)) == NULL) {
		gs_warnp("malloc");
		goto err;
	}
	XXH3_128bits_reset(f->xs);
	if ((f->f = gs_tp_create(r->tp, f->tmp)) == NULL)
		goto err;
	return f;
err:
	free(f->tmp);
	f->tmp = NULL; /* nothing was created */
	gs_objfile_free(f);
	return NULL;
}

static int
flush_wbuf(struct gs_objfile *f)
{
	int rc = f->wlen ? gs_tp_write(f->f, f->wbuf, f->wlen) : 0;

	f->wlen = 0;
	return rc;
}

/* gs_objfile_write(f, buf, len): append; 0 or -1 (warned). */
int
gs_objfile_write(struct gs_objfile *f, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	XXH3_128bits_update(f->xs, buf, len);
	f->size += len;
	while (len > 0) {
		size_t n = WBUF_SIZE - f->wlen;

		if (n > len)
			n = len;
		memcpy(f->wbuf + f->wlen, p, n);
		f->wlen += n;
		p += n;
		len -= n;
		if (f->wlen == WBUF_SIZE && flush_wbuf(f))
			return -1;
	}
	return 0;
}

/* gs_objfile_size(f): bytes written so far. */
uint64_t
gs_objfile_size(const struct gs_objfile *f)
{
	return f->size;
}

/*
 * gs_objfile_commit(f, ret_name): make the object durable and publish it
 * under the XXH3-128 of its bytes (an existing object of that name holds
 * the same bytes: fine).  0 or -1 (warned); f must still be freed.
 */
int
gs_objfile_commit(struct gs_objfile *f, char ret_name[GS_NAME_HEX])
{
	XXH128_canonical_t c;
	char name[GS_NAME_HEX], *dst;
	struct gs_tp_file *tf = f->f;
	int rc;

	if (tf == NULL)
		return -1;
	if (flush_wbuf(f))
		return -1;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(f->xs));
	gs_hex(name, c.digest, 16);
	if ((dst = gs_layout_obj(f->tenant, f->kind, name)) == NULL)
		return -1;
	f->f = NULL; /* gs_tp_publish frees it either way */
	rc = gs_tp_publish(tf, dst);
	free(dst);
	if (rc < 0)
		return -1;
	free(f->tmp); /* published, or removed as a duplicate */
	f->tmp = NULL;
	memcpy(ret_name, name, GS_NAME_HEX);
	return 0;
}

/* gs_objfile_free(f): release; without a commit, the temporary is removed
 * (NULL accepted). */
void
gs_objfile_free(struct gs_objfile *f)
{
	if (f == NULL)
		return;
	if (f->f != NULL)
		gs_tp_abort(f->f);
	if (f->tmp != NULL)
		gs_tp_delete(f->r->tp, f->tmp);
	free(f->tmp);
	free(f->tenant);
	free(f->wbuf);
	if (f->xs)
		XXH3_freeState(f->xs);
	free(f);
}

/* ---- the writer lock and the sweep (local copy) ---------------------- */

/*
 * gs_repo_lock(r, tenant): take the tenant's writer lock on the local copy
 * (gs_lock_take: flock, released when the process dies).  Returns an fd,
 * -1 on error, -2 when another process holds it (warned naming the
 * holder's pid).
 */
int
gs_repo_lock(const struct gs_repo *r, const char *tenant)
{
	char *rel = gs_layout_lock(tenant), *p = NULL;
	long holder = 0;
	int fd;

	if (rel == NULL || !writable(r, "take the writer lock") ||
	    (p = gs_path_join(r->path, rel)) == NULL) {
		free(rel);
		return -1;
	}
	free(rel);
	fd = gs_lock_take(p, &holder);
	if (fd == GS_LOCK_BUSY) {
		if (holder > 0)
			gs_warn(
			    "tenant %s: repository is locked by another writer (pid %ld, lock %s)",
			    tenant, holder, p);
		else
			gs_warn(
			    "tenant %s: repository is locked by another writer (pid ?, lock %s)",
			    tenant, p);
	}
	free(p);
	return fd;
}

/* gs_repo_unlock(fd): release a lock gs_repo_lock() took (fd < 0: nothing). */
void
gs_repo_unlock(int fd)
{
	gs_lock_release(fd);
}

/*
 * gs_repo_sweep(r, tenant): remove the tenant's temporaries older than
 * SWEEP_AGE_S (their writer died) from the kind directories of the local
 * copy.  Best effort: failures are warned and skipped.
 */
void
gs_repo_sweep(const struct gs_repo *r, const char *tenant)
{
	time_t now = time(NULL);

	if (!r->local)
		return;
	for (int k = GS_OBJ_PACK; k < GS_OBJ_NKINDS; k++) {
		struct gs_tp_entry *e;
		size_t ne;
		char *dir = gs_layout_kind_dir(tenant, k);

		if (dir == NULL || gs_tp_list(r->tp, dir, &e, &ne) != 0) {
			free(dir);
			continue;
		}
		for (size_t i = 0; i < ne; i++) {
			char *p;

			if (e[i].is_dir || !gs_layout_is_tmp(e[i].name) ||
			    now - e[i].mtime <= SWEEP_AGE_S)
				continue;
			if ((p = gs_asprintf("%s/%s", dir, e[i].name)) != NULL)
				gs_tp_delete(r->tp, p);
			free(p);
		}
		gs_tp_list_free(e, ne);
		free(dir);
	}
}

/* gs_repo_read_pack_header(r, tenant, name, index_key, ret_size, ret): read
 * and parse a pack's header from its tail.  0 or -1 naming the pack. */
int
gs_repo_read_pack_header(const struct gs_repo *r, const char *tenant, const char *name,
                         const uint8_t index_key[GS_KEY_LEN], uint64_t *ret_size,
                         struct gs_pack_header *ret)
{
	uint8_t head[8], trailer[8], *tail;
	uint64_t size;
	size_t tl;
	int rc;

	if ((rc = gs_repo_stat(r, tenant, GS_OBJ_PACK, name, &size)) != 0) {
		if (rc == 1)
			gs_warn("pack %s: missing", name);
		return -1;
	}
	if (size < 16) {
		gs_warn("pack %s: truncated (%llu bytes)", name, (unsigned long long)size);
		return -1;
	}
	if (gs_repo_read_range(r, tenant, GS_OBJ_PACK, name, 0, 8, head) ||
	    gs_pack_check_magic(name, head, 8))
		return -1;
	if (gs_repo_read_range(r, tenant, GS_OBJ_PACK, name, size - 8, 8, trailer) ||
	    gs_pack_header_len(name, trailer, size, &tl))
		return -1;
	if ((tail = malloc(tl)) == NULL) {
		gs_warnp("malloc");
		return -1;
	}
	rc = gs_repo_read_range(r, tenant, GS_OBJ_PACK, name, size - tl, tl, tail);
	if (rc == 0)
		rc = gs_pack_header_parse(index_key, name, tail, tl, size, ret);
	free(tail);
	if (rc == 0 && ret_size)
		*ret_size = size;
	return rc;
}
