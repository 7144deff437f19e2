/*
 * repo.c -- local repository layout, publishing, listing and reading.
 *
 * config object: "GSRP" u32 version, id[16]  (named "config", not hashed:
 * it is the one mutable-by-nobody object every copy shares).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <xxhash.h>

#include "geosnap/repo.h"
#include "geosnap/transport.h"

#define REPO_MAGIC "GSRP"

/* A repository is a local directory (path) or, read-only, a remote reached
 * through a transport (tp; path is then the remote's name, for messages). */
struct gs_repo {
	char *path;
	struct gs_transport *tp;
};

int
gs_repo_init(const char *path)
{
	uint8_t buf[24];
	char *cfg;
	int rc = -1;

	if (gs_mkdir_p(path, 0700))
		return -1;
	if ((cfg = gs_path_join(path, GS_LAYOUT_TENANTS)) == NULL)
		return -1;
	if (mkdir(cfg, 0700) && errno != EEXIST) {
		gs_warnp("mkdir %s", cfg);
		free(cfg);
		return -1;
	}
	free(cfg);
	if ((cfg = gs_path_join(path, GS_LAYOUT_CONFIG)) == NULL)
		return -1;
	if (access(cfg, F_OK) == 0) {
		struct gs_repo *r = gs_repo_open(path);

		rc = r ? 0 : -1;
		gs_repo_free(r);
		free(cfg);
		return rc;
	}
	memcpy(buf, REPO_MAGIC, 4);
	gs_le32(buf + 4, GS_FORMAT_VERSION);
	randombytes_buf(buf + 8, 16);
	rc = gs_publish(path, GS_LAYOUT_CONFIG, buf, sizeof(buf), 0444) < 0 ? -1 : 0;
	free(cfg);
	return rc;
}

/*
 * gs_repo_config_check(where, buf, len): check the bytes of a repository
 * config object (magic, version, length); where names the repository in
 * messages.  0, or -1 (warned).
 */
int
gs_repo_config_check(const char *where, const uint8_t *buf, size_t len)
{
	if (len != 24 || memcmp(buf, REPO_MAGIC, 4) != 0) {
		gs_warn("%s/config: not a geosnap repository config", where);
		return -1;
	}
	if (gs_get_le32(buf + 4) != GS_FORMAT_VERSION) {
		gs_warn("%s/config: unsupported repository version %u", where,
		        gs_get_le32(buf + 4));
		return -1;
	}
	return 0;
}

static struct gs_repo *
repo_new(const char *path, struct gs_transport *tp)
{
	struct gs_repo *r;

	if ((r = calloc(1, sizeof(*r))) == NULL || (r->path = gs_strdup(path)) == NULL) {
		free(r);
		return NULL;
	}
	r->tp = tp;
	return r;
}

struct gs_repo *
gs_repo_open(const char *path)
{
	uint8_t *buf;
	size_t len;
	char *cfg;
	int rc;

	if ((cfg = gs_path_join(path, GS_LAYOUT_CONFIG)) == NULL)
		return NULL;
	rc = gs_read_file(cfg, GS_MAX_CONFIG_OBJECT, &buf, &len);
	if (rc == 1)
		gs_warn("%s: no repository here (run geosnap-agent init)", path);
	free(cfg);
	if (rc)
		return NULL;
	rc = gs_repo_config_check(path, buf, len);
	free(buf);
	return rc ? NULL : repo_new(path, NULL);
}

struct gs_repo *
gs_repo_open_remote(const struct gs_remote_conf *rc)
{
	struct gs_transport *tp;
	struct gs_repo *r = NULL;
	uint8_t *buf;
	size_t len;
	int st;

	if ((tp = gs_tp_open(rc)) == NULL)
		return NULL;
	st = gs_tp_read_all(tp, GS_LAYOUT_CONFIG, GS_MAX_CONFIG_OBJECT, &buf, &len);
	if (st == 1)
		gs_warn("remote %s: no repository here (nothing was shipped to %s)", rc->name,
		        rc->url);
	if (st == 0) {
		if (gs_repo_config_check(rc->name, buf, len) == 0)
			r = repo_new(rc->name, tp);
		free(buf);
	}
	if (r == NULL)
		gs_tp_close(tp);
	return r;
}

void
gs_repo_free(struct gs_repo *r)
{
	if (r == NULL)
		return;
	gs_tp_close(r->tp);
	free(r->path);
	free(r);
}

const char *
gs_repo_path(const struct gs_repo *r)
{
	return r->path;
}

/* The absolute path of a layout path (relpath: malloc'd, freed here) in the
 * local copy at r->path; NULL when relpath is. */
static char *
local_path(const struct gs_repo *r, char *relpath)
{
	char *p = relpath ? gs_path_join(r->path, relpath) : NULL;

	free(relpath);
	return p;
}

char *
gs_repo_kind_dir(const struct gs_repo *r, const char *tenant, int kind)
{
	return local_path(r, gs_layout_kind_dir(tenant, kind));
}

char *
gs_repo_obj_path(const struct gs_repo *r, const char *tenant, int kind, const char *name)
{
	return local_path(r, gs_layout_obj(tenant, kind, name));
}

int
gs_repo_tenant_init(const struct gs_repo *r, const char *tenant)
{
	char *d;
	int rc = 0;

	for (int k = GS_OBJ_PACK; k <= GS_OBJ_SNAP && rc == 0; k++) {
		if ((d = gs_repo_kind_dir(r, tenant, k)) == NULL)
			return -1;
		rc = gs_mkdir_p(d, 0700);
		free(d);
	}
	for (int i = 0; i < 256 && rc == 0; i++) {
		if ((d = local_path(r, gs_layout_fanout_dir(tenant, (unsigned)i))) == NULL)
			return -1;
		if (mkdir(d, 0700) && errno != EEXIST) {
			gs_warnp("mkdir %s", d);
			rc = -1;
		}
		free(d);
	}
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Append the object names in dir to *v. */
static int
list_dir(const char *dir, char (**v)[GS_NAME_HEX], size_t *n, size_t *cap)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		gs_warnp("opendir %s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!gs_layout_is_objname(de->d_name))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			void *nv = realloc(*v, nc * GS_NAME_HEX);

			if (nv == NULL) {
				gs_warnp("realloc");
				closedir(d);
				return -1;
			}
			*v = nv;
			*cap = nc;
		}
		memcpy((*v)[(*n)++], de->d_name, GS_NAME_HEX);
	}
	closedir(d);
	return 0;
}

/* Append the object names of a remote directory to *v. */
static int
list_remote(struct gs_transport *tp, const char *dir, char (**v)[GS_NAME_HEX], size_t *n,
            size_t *cap)
{
	struct gs_tp_entry *e;
	size_t ne;

	if (gs_tp_list(tp, dir, &e, &ne) < 0)
		return -1;
	for (size_t i = 0; i < ne; i++) {
		if (e[i].is_dir || !gs_layout_is_objname(e[i].name))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			void *nv = realloc(*v, nc * GS_NAME_HEX);

			if (nv == NULL) {
				gs_warnp("realloc");
				gs_tp_list_free(e, ne);
				return -1;
			}
			*v = nv;
			*cap = nc;
		}
		memcpy((*v)[(*n)++], e[i].name, GS_NAME_HEX);
	}
	gs_tp_list_free(e, ne);
	return 0;
}

/* gs_repo_list through a transport: packs live in 2-hex subdirectories. */
static int
list_remote_kind(const struct gs_repo *r, const char *tenant, int kind, char (**v)[GS_NAME_HEX],
                 size_t *n, size_t *cap)
{
	struct gs_tp_entry *e;
	size_t ne;
	char *dir;
	int rc = 0;

	if ((dir = gs_layout_kind_dir(tenant, kind)) == NULL)
		return -1;
	if (kind != GS_OBJ_PACK) {
		rc = list_remote(r->tp, dir, v, n, cap);
		free(dir);
		return rc;
	}
	if (gs_tp_list(r->tp, dir, &e, &ne) < 0) {
		free(dir);
		return -1;
	}
	for (size_t i = 0; i < ne && rc == 0; i++) {
		char *sub;

		if (!e[i].is_dir || !gs_layout_is_fanout(e[i].name))
			continue;
		if ((sub = gs_asprintf("%s/%s", dir, e[i].name)) == NULL) {
			rc = -1;
			break;
		}
		rc = list_remote(r->tp, sub, v, n, cap);
		free(sub);
	}
	gs_tp_list_free(e, ne);
	free(dir);
	return rc;
}

int
gs_repo_list(const struct gs_repo *r, const char *tenant, int kind, char (**ret)[GS_NAME_HEX],
             size_t *ret_n)
{
	char(*v)[GS_NAME_HEX] = NULL;
	size_t n = 0, cap = 0;
	char *dir;
	int rc = 0;

	if (r->tp != NULL) {
		dir = NULL;
		rc = list_remote_kind(r, tenant, kind, &v, &n, &cap);
	} else if ((dir = gs_repo_kind_dir(r, tenant, kind)) == NULL) {
		return -1;
	} else if (kind == GS_OBJ_PACK) {
		for (unsigned i = 0; i < GS_LAYOUT_FANOUT && rc == 0; i++) {
			char *sub = local_path(r, gs_layout_fanout_dir(tenant, i));

			if (sub == NULL) {
				rc = -1;
				break;
			}
			rc = list_dir(sub, &v, &n, &cap);
			free(sub);
		}
	} else {
		rc = list_dir(dir, &v, &n, &cap);
	}
	free(dir);
	if (rc) {
		free(v);
		return -1;
	}
	if (n)
		qsort(v, n, GS_NAME_HEX, cmp_names);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The object's path: relative through a transport, else absolute. */
static char *
obj_path(const struct gs_repo *r, const char *tenant, int kind, const char *name)
{
	if (r->tp != NULL)
		return gs_layout_obj(tenant, kind, name);
	return gs_repo_obj_path(r, tenant, kind, name);
}

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
	char *p = obj_path(r, tenant, kind, name);
	int rc;

	if (p == NULL)
		return -1;
	if (r->tp != NULL)
		rc = gs_tp_read_all(r->tp, p, kind_max(kind), ret, ret_len);
	else
		rc = gs_read_file(p, kind_max(kind), ret, ret_len);
	free(p);
	return rc;
}

int
gs_repo_stat(const struct gs_repo *r, const char *tenant, int kind, const char *name,
             uint64_t *ret_size)
{
	char *p = obj_path(r, tenant, kind, name);
	struct stat st;
	int rc = 0;

	if (p == NULL)
		return -1;
	if (r->tp != NULL) {
		rc = gs_tp_stat(r->tp, p, ret_size);
	} else if (stat(p, &st)) {
		if (errno == ENOENT) {
			rc = 1;
		} else {
			gs_warnp("stat %s", p);
			rc = -1;
		}
	} else {
		*ret_size = (uint64_t)st.st_size;
	}
	free(p);
	return rc;
}

/*
 * gs_repo_mtime(r, tenant, kind, name, ret_ns): when this copy received the
 * object (its file's mtime: objects are never modified).  0; 1 when the
 * copy cannot tell (a remote) or the object is missing; -1 on error
 * (warned).
 */
int
gs_repo_mtime(const struct gs_repo *r, const char *tenant, int kind, const char *name,
              int64_t *ret_ns)
{
	struct stat st;
	char *p;
	int rc = 0;

	if (r->tp != NULL)
		return 1;
	if ((p = gs_repo_obj_path(r, tenant, kind, name)) == NULL)
		return -1;
	if (stat(p, &st) != 0) {
		rc = errno == ENOENT ? 1 : -1;
		if (rc < 0)
			gs_warnp("stat %s", p);
	} else {
		*ret_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	free(p);
	return rc;
}

int
gs_repo_put(const struct gs_repo *r, const char *tenant, int kind, const uint8_t *buf, size_t len,
            char ret_name[GS_NAME_HEX])
{
	char name[GS_NAME_HEX], *dir;
	int rc;

	if (len > kind_max(kind)) {
		gs_warn("tenant %s: %s of %zu bytes: more than the %zu bytes a reader accepts; "
		        "not published",
		        tenant, gs_layout_kind_noun(kind), len, kind_max(kind));
		return -1;
	}
	gs_xxh128_hex(buf, len, name);
	dir = local_path(r, gs_layout_obj_dir(tenant, kind, name));
	if (dir == NULL)
		return -1;
	rc = gs_publish(dir, name, buf, len, 0444);
	free(dir);
	if (rc < 0)
		return -1;
	memcpy(ret_name, name, GS_NAME_HEX);
	return 0;
}

struct gs_objfile {
	char *dir; /* kind directory: temporaries live here */
	char *tmp;
	char *base; /* repository object path prefix for the final link */
	const struct gs_repo *r;
	char *tenant;
	int kind;
	int fd;
	uint64_t size;
	XXH3_state_t *xs;
	uint8_t *wbuf;
	size_t wlen;
};

#define WBUF_SIZE (1u << 20)

struct gs_objfile *
gs_objfile_new(const struct gs_repo *r, const char *tenant, int kind)
{
	struct gs_objfile *f;
	uint8_t rnd[8];
	char hex[17];

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		gs_warnp("calloc");
		return NULL;
	}
	f->fd = -1;
	f->r = r;
	f->kind = kind;
	randombytes_buf(rnd, sizeof(rnd));
	gs_hex(hex, rnd, sizeof(rnd));
	if ((f->tenant = gs_strdup(tenant)) == NULL ||
	    (f->dir = gs_repo_kind_dir(r, tenant, kind)) == NULL ||
	    (f->tmp = local_path(r, gs_layout_tmp(tenant, kind, hex))) == NULL)
		goto err;
	if ((f->xs = XXH3_createState()) == NULL || (f->wbuf = malloc(WBUF_SIZE)) == NULL) {
		gs_warnp("malloc");
		goto err;
	}
	XXH3_128bits_reset(f->xs);
	if ((f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0) {
		gs_warnp("create %s", f->tmp);
		goto err;
	}
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
	size_t off = 0;

	while (off < f->wlen) {
		ssize_t w = write(f->fd, f->wbuf + off, f->wlen - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			gs_warnp("write %s", f->tmp);
			return -1;
		}
		off += (size_t)w;
	}
	f->wlen = 0;
	return 0;
}

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

uint64_t
gs_objfile_size(const struct gs_objfile *f)
{
	return f->size;
}

int
gs_objfile_commit(struct gs_objfile *f, char ret_name[GS_NAME_HEX])
{
	XXH128_canonical_t c;
	char name[GS_NAME_HEX], *dst, *dstdir;
	int rc = -1;

	if (flush_wbuf(f))
		return -1;
	if (fsync(f->fd)) {
		gs_warnp("fsync %s", f->tmp);
		return -1;
	}
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(f->xs));
	gs_hex(name, c.digest, 16);
	if ((dst = gs_repo_obj_path(f->r, f->tenant, f->kind, name)) == NULL)
		return -1;
	if (link(f->tmp, dst) && errno != EEXIST) {
		gs_warnp("publish %s", dst);
		goto out;
	}
	if ((dstdir = gs_strdup(dst)) == NULL)
		goto out;
	*strrchr(dstdir, '/') = 0;
	rc = gs_fsync_dir(dstdir);
	free(dstdir);
	if (rc == 0)
		memcpy(ret_name, name, GS_NAME_HEX);
out:
	free(dst);
	return rc;
}

void
gs_objfile_free(struct gs_objfile *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->tenant);
	free(f->wbuf);
	if (f->xs)
		XXH3_freeState(f->xs);
	free(f);
}

int
gs_repo_lock(const struct gs_repo *r, const char *tenant)
{
	char *p = local_path(r, gs_layout_lock(tenant));
	char pid[32];
	int fd, n;

	if (p == NULL)
		return -1;
	if ((fd = gs_open_private(p, O_RDWR | O_CREAT, 0600)) < 0) {
		free(p);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		close(fd);
		if (e == EWOULDBLOCK) {
			gs_warn(
			    "tenant %s: repository is locked by another writer (pid %s, lock %s)",
			    tenant, pid[0] ? pid : "?", p);
			free(p);
			return -2;
		}
		errno = e;
		gs_warnp("flock %s", p);
		free(p);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		gs_warnp("%s: cannot record the holder's pid", p);
	free(p);
	return fd;
}

void
gs_repo_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

void
gs_repo_sweep(const struct gs_repo *r, const char *tenant)
{
	time_t now = time(NULL);

	for (int k = GS_OBJ_PACK; k <= GS_OBJ_SNAP; k++) {
		char *dir = gs_repo_kind_dir(r, tenant, k);
		struct dirent *de;
		struct stat st;
		DIR *d = NULL;
		int fd = -1;

		/* not through a link: it would sweep some other directory */
		if (dir == NULL ||
		    (fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    (d = fdopendir(fd)) == NULL) {
			if (fd >= 0)
				close(fd);
			free(dir);
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (!gs_layout_is_tmp(de->d_name))
				continue;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode) && now - st.st_mtime > 3600)
				unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
		free(dir);
	}
}

int
gs_repo_read_range(const struct gs_repo *r, const char *tenant, int kind, const char *name,
                   uint64_t off, size_t len, uint8_t *buf)
{
	char *p = obj_path(r, tenant, kind, name);
	size_t got = 0;
	int fd;

	if (p == NULL)
		return -1;
	if (r->tp != NULL) {
		int rc = gs_tp_read(r->tp, p, off, len, buf);

		if (rc == 1)
			gs_warn("remote %s: %s %s: missing", r->path, gs_layout_kind_name(kind),
			        name);
		free(p);
		return rc ? -1 : 0;
	}
	if ((fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		gs_warnp("%s %s", gs_layout_kind_name(kind), name);
		free(p);
		return -1;
	}
	free(p);
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				gs_warn("%s %s: truncated (wanted %zu bytes at offset %llu)",
				        gs_layout_kind_name(kind), name, len,
				        (unsigned long long)off);
			else
				gs_warnp("%s %s: read", gs_layout_kind_name(kind), name);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	return 0;
}

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
