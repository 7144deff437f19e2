/*
 * check.c -- after a restore test's restore: every entry it restored, read
 * back from the scratch directory and compared with the manifest (type,
 * size, XXH3-128, mode, mtime, symlink target, hard link), and every
 * regular file the live source still holds unchanged (same size and
 * mtime) compared with the source too.  Also gathers the sampled paths
 * for the sample's list hash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <xxhash.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "extract/entry.h"
#include "rtest/rtest.h"

#define BUFSZ (1u << 20)

struct ctx {
	const struct gs_rtest_opts *o;
	struct gs_rtest_res *res;
	XXH3_state_t *xs;
	uint8_t *buf;
	char **list; /* the sampled paths (sample only) */
	size_t nlist, caplist;
};

/* Name a problem with path (quoted), keep the first one. */
static void GS_PRINTF(3, 4) problem(struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[400], q[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gs_entry_warn(path, "%s", msg);
	if (c->res->first[0] == '\0')
		snprintf(c->res->first, sizeof(c->res->first), "%s: %s",
		         gs_entry_quote(path, q, sizeof(q)), msg);
}

/*
 * The XXH3-128 (canonical bytes) of the regular file path, not following a
 * symlink, into out; with st, the file must still have st's size and mtime
 * afterwards.  0, 1 the file changed while it was read, -1 unreadable
 * (errno set).
 */
static int
hash_file(struct ctx *c, const char *path, const struct stat *st, uint8_t out[16])
{
	XXH128_canonical_t canon;
	struct stat after;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0)
		return -1;
	XXH3_128bits_reset(c->xs);
	while ((n = read(fd, c->buf, BUFSZ)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		XXH3_128bits_update(c->xs, c->buf, (size_t)n);
	}
	if (st != NULL && (fstat(fd, &after) != 0 || after.st_size != st->st_size ||
	                   after.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	                   after.st_mtim.tv_nsec != st->st_mtim.tv_nsec)) {
		close(fd);
		return 1;
	}
	close(fd);
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(c->xs));
	memcpy(out, canon.digest, 16);
	return 0;
}

/* The live source file of manifest path p (malloc'd), or NULL when the
 * tenant's sources (those this host has) do not hold it.  One source: the
 * path is relative to it; several: the path is absolute without its '/'
 * (agent/backup/scan.c). */
static char *
live_path(const struct gs_rtest_opts *o, const char *p)
{
	size_t i;

	if (!o->multi)
		return gs_path_join(o->sources[0], p);
	for (i = 0; i < o->nsources; i++)
		if (gs_reader_path_under(p, o->sources[i] + 1))
			return gs_asprintf("/%s", p);
	return NULL;
}

/* Compare the regular file e with the live source, when it holds e
 * unchanged since the snapshot (same size and mtime) and can read it. */
static void
live(struct ctx *c, const struct gs_mentry *e)
{
	uint8_t h[16];
	struct stat st;
	char *lp, q[256];

	if (c->o->nsources == 0 || (lp = live_path(c->o, e->path)) == NULL)
		return;
	if (lstat(lp, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size ||
	    st.st_mtim.tv_sec != e->mtime_sec || (uint32_t)st.st_mtim.tv_nsec != e->mtime_nsec ||
	    hash_file(c, lp, &st, h) != 0) {
		free(lp); /* changed since, gone, unreadable: not compared */
		return;
	}
	c->res->src_compared++;
	if (memcmp(h, e->hash, 16) != 0) {
		c->res->src_mismatches++;
		problem(c, e->path,
		        "the live source %s has the snapshot's size and mtime but other content",
		        gs_entry_quote(lp, q, sizeof(q)));
	}
	free(lp);
}

/* Mode and mtime of the restored e (st).  1 when they match, else 0 (named). */
static int
meta_ok(struct ctx *c, const struct gs_mentry *e, const struct stat *st, int mtime)
{
	uint32_t want = e->mode & 07777, got = (uint32_t)st->st_mode & 07777;

	/* Without privileges they are not restored (extract.h). */
	if (e->type != GS_FT_DIR && !c->o->privileged)
		want &= ~(uint32_t)06000;
	if (want != got) {
		problem(c, e->path, "restored with mode %04o, the manifest records %04o",
		        (unsigned)got, (unsigned)want);
		return 0;
	}
	if (mtime && (st->st_mtim.tv_sec != e->mtime_sec ||
	              (uint32_t)st->st_mtim.tv_nsec != e->mtime_nsec)) {
		problem(c, e->path,
		        "restored with mtime %lld.%09ld, the manifest records %lld.%09u",
		        (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec, (long long)e->mtime_sec,
		        (unsigned)e->mtime_nsec);
		return 0;
	}
	return 1;
}

/* A regular file: type, size, content, mode, mtime; then the live source. */
static int
check_file(struct ctx *c, const struct gs_mentry *e, const char *rp, const struct stat *st)
{
	uint8_t h[16];

	if ((uint64_t)st->st_size != e->size) {
		problem(c, e->path, "restored with %llu bytes, the manifest records %llu",
		        (unsigned long long)st->st_size, (unsigned long long)e->size);
		return 0;
	}
	if (hash_file(c, rp, NULL, h) != 0) {
		problem(c, e->path, "cannot read the restored file: %s", strerror(errno));
		return 0;
	}
	c->res->files++;
	c->res->bytes += e->size;
	if (memcmp(h, e->hash, 16) != 0) {
		problem(c, e->path, "restored content does not match the manifest's XXH3-128");
		return 0;
	}
	return meta_ok(c, e, st, 1);
}

/* A hard link: a regular file, the same inode as its first name when that
 * was restored (otherwise it holds the content itself). */
static int
check_hardlink(struct ctx *c, const struct gs_mentry *e, const struct stat *st)
{
	struct stat first;
	char *fp;
	int ok;

	if (!S_ISREG(st->st_mode)) {
		problem(c, e->path, "restored as something else than a hard link to a file");
		return 0;
	}
	if (e->link == NULL || (fp = gs_path_join(c->o->root, e->link)) == NULL)
		return 0;
	ok = lstat(fp, &first) != 0 || (first.st_ino == st->st_ino && first.st_dev == st->st_dev);
	free(fp);
	if (!ok)
		problem(c, e->path, "not restored as a hard link to its first name");
	return ok;
}

/* The restored entry of e against e.  1 when it matches, 0 (named) if not. */
static int
check_entry(struct ctx *c, const struct gs_mentry *e, const char *rp)
{
	static const struct {
		uint8_t type;
		mode_t fmt;
	} fmts[] = {{GS_FT_FILE, S_IFREG},
	            {GS_FT_DIR, S_IFDIR},
	            {GS_FT_SYMLINK, S_IFLNK},
	            {GS_FT_HARDLINK, S_IFREG},
	            {GS_FT_FIFO, S_IFIFO}};
	char target[4096];
	struct stat st;
	ssize_t n;
	size_t i;

	if (lstat(rp, &st) != 0) {
		problem(c, e->path, "missing from the restore");
		return 0;
	}
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (fmts[i].type == e->type && (st.st_mode & S_IFMT) != fmts[i].fmt) {
			problem(c, e->path, "restored as another type than the manifest's %s",
			        gs_entry_type_name(e->type));
			return 0;
		}
	switch (e->type) {
	case GS_FT_FILE:
		return check_file(c, e, rp, &st);
	case GS_FT_HARDLINK:
		return check_hardlink(c, e, &st);
	case GS_FT_SYMLINK:
		n = readlink(rp, target, sizeof(target) - 1);
		if (n < 0 || e->link == NULL || (target[n] = '\0', strcmp(target, e->link) != 0)) {
			problem(c, e->path, "symlink target differs from the manifest's");
			return 0;
		}
		return 1;
	case GS_FT_CHR:
	case GS_FT_BLK:
		if ((uint64_t)st.st_rdev != e->rdev) {
			problem(c, e->path, "restored as another device than the manifest's");
			return 0;
		}
		return meta_ok(c, e, &st, 1);
	default: /* directory, FIFO */
		return meta_ok(c, e, &st, 1);
	}
}

/* Keep a sampled path for the list hash.  0 or -1 (warned). */
static int
keep(struct ctx *c, const char *path)
{
	char **nl;
	size_t ncap;

	if (c->nlist == c->caplist) {
		ncap = c->caplist ? c->caplist * 2 : 256;
		if ((nl = reallocarray(c->list, ncap, sizeof(*nl))) == NULL) {
			gs_warnp("malloc");
			return -1;
		}
		c->list = nl;
		c->caplist = ncap;
	}
	if ((c->list[c->nlist] = gs_strdup(path)) == NULL)
		return -1;
	c->nlist++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The SHA-256 hex of the sorted sampled paths, each followed by "\n". */
static void
list_hash(struct ctx *c)
{
	crypto_hash_sha256_state h;
	uint8_t d[crypto_hash_sha256_BYTES];
	size_t i;

	qsort(c->list, c->nlist, sizeof(*c->list), cmp_str);
	crypto_hash_sha256_init(&h);
	for (i = 0; i < c->nlist; i++) {
		crypto_hash_sha256_update(&h, (const uint8_t *)c->list[i], strlen(c->list[i]));
		crypto_hash_sha256_update(&h, (const uint8_t *)"\n", 1);
	}
	crypto_hash_sha256_final(&h, d);
	gs_hex(c->res->list_hash, d, sizeof(d));
}

/* One manifest entry.  0, or -1 out of memory (warned). */
static int
one(struct ctx *c, const struct gs_mentry *e)
{
	int file = e->type == GS_FT_FILE;
	char *rp;
	int ok;

	if (file && gs_reader_path_ok(e->path))
		c->res->snap_files++;
	if (!gs_sample_select(c->o->sm, e))
		return 0;
	/* Sockets are never restored, device nodes only with privileges. */
	if (e->type == GS_FT_SOCK ||
	    ((e->type == GS_FT_CHR || e->type == GS_FT_BLK) && !c->o->privileged))
		return 0;
	if (!gs_reader_path_ok(e->path)) {
		if (!c->o->lists_only) {
			c->res->entries++;
			c->res->mismatches++;
			problem(c, e->path, "unsafe path in the manifest, cannot be restored");
		}
		return 0;
	}
	if (file && !c->o->sm->full && keep(c, e->path) != 0)
		return -1;
	if (c->o->lists_only)
		return 0;
	if ((rp = gs_path_join(c->o->root, e->path)) == NULL)
		return -1;
	c->res->entries++;
	ok = check_entry(c, e, rp);
	free(rp);
	if (!ok)
		c->res->mismatches++;
	else if (file)
		live(c, e);
	return 0;
}

/* gs_rtest_check(rd, snap, o, ret): check the restored tree; see rtest.h. */
int
gs_rtest_check(struct gs_reader *rd, const struct gs_rsnap *snap, const struct gs_rtest_opts *o,
               struct gs_rtest_res *ret)
{
	struct gs_manifest *m;
	struct gs_mentry e;
	struct ctx c;
	int r, rc = -1;

	memset(ret, 0, sizeof(*ret));
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.res = ret;
	if ((c.xs = XXH3_createState()) == NULL || (c.buf = malloc(BUFSZ)) == NULL) {
		gs_warnp("malloc");
		goto err0;
	}
	if ((m = gs_reader_manifest_open(rd, snap)) == NULL)
		goto err0;
	while ((r = gs_reader_manifest_next(m, &e)) == 0) {
		r = one(&c, &e);
		gs_mentry_clear(&e);
		if (r != 0)
			break;
	}
	gs_reader_manifest_free(m);
	if (r == 1) {
		if (!o->sm->full)
			list_hash(&c);
		rc = 0;
	}
err0:
	while (c.nlist > 0)
		free(c.list[--c.nlist]);
	free(c.list);
	free(c.buf);
	XXH3_freeState(c.xs);
	return rc;
}
