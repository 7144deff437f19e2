/*
 * scan.c -- the walk: libarchive's read_disk over each source, one slot per
 * entry in walk order.  An entry is recorded as a hard link to a name seen
 * before, copied from the files cache (same stat, settled, every chunk
 * still indexed), encoded here (not a regular file), or queued for the
 * workers (a regular file to read).  Files that vanish or cannot be
 * walked are noted and counted.
 *
 * Locking: everything here runs on the main thread while the workers and
 * the committer run.  The walk's own state (struct walk: the hard link
 * map, the metadata reader, the files cache) and res.files_seen and pg are
 * the main thread's alone.  slots (growing them, or writing one), res,
 * bytes_done and ci are shared: each access takes c->mu, and functions
 * documented "called with c->mu held" expect it taken.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "geosnap/smap.h"
#include "backup_internal.h"

/* First capacity of the slot array (it doubles). */
#define SLOTS_FIRST 1024
/* The bits of st_mode a manifest entry keeps: permissions, setuid,
 * setgid, sticky. */
#define MODE_BITS 07777

struct walk {
	struct ctx *c;
	struct archive *meta; /* full-metadata reader for changed entries */
	struct gs_smap *hardlinks;
	const struct gs_fcache *fc;
};

/* set_fcstat(f, st): what the files cache compares, from st. */
static void
set_fcstat(struct gs_fc_stat *f, const struct stat *st)
{
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->mode = (uint32_t)st->st_mode;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * GS_NS_PER_S + st->st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)st->st_ctim.tv_sec * GS_NS_PER_S + st->st_ctim.tv_nsec;
}

/* new_slot(c, st, read_ns, ret): append an empty slot for an entry with
 * stat st whose reading began at read_ns; its index goes to ret.  0 or -1
 * (warned). */
static int
new_slot(struct ctx *c, const struct stat *st, int64_t read_ns, size_t *ret)
{
	struct slot *s;

	/* Slots are only appended by the walker; workers hold indexes.  Growth
	 * reallocates, so take the lock the workers take to touch slots. */
	pthread_mutex_lock(&c->mu);
	if (c->nslots == c->capslots) {
		size_t nc = c->capslots ? c->capslots * 2 : SLOTS_FIRST;
		void *ns = realloc(c->slots, nc * sizeof(*c->slots));

		if (ns == NULL) {
			pthread_mutex_unlock(&c->mu);
			gs_warnp("realloc");
			return -1;
		}
		c->slots = ns;
		c->capslots = nc;
	}
	s = &c->slots[c->nslots];
	memset(s, 0, sizeof(*s));
	set_fcstat(&s->st, st);
	s->st.read_ns = read_ns;
	*ret = c->nslots++;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* ftype_of(m): the GS_FT_* of a st_mode, 0 for a type not kept. */
static uint8_t
ftype_of(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return GS_FT_FILE;
	case S_IFDIR:
		return GS_FT_DIR;
	case S_IFLNK:
		return GS_FT_SYMLINK;
	case S_IFIFO:
		return GS_FT_FIFO;
	case S_IFCHR:
		return GS_FT_CHR;
	case S_IFBLK:
		return GS_FT_BLK;
	case S_IFSOCK:
		return GS_FT_SOCK;
	default:
		return 0;
	}
}

static char *
dupnull(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* fill_meta(e, ae, rel, st): fill e's metadata from a libarchive entry
 * with full metadata.  0, or -1 when out of memory (e partly filled:
 * clear it). */
static int
fill_meta(struct gs_mentry *e, struct archive_entry *ae, const char *rel, const struct stat *st)
{
	const char *name;
	const void *val;
	size_t size;

	e->type = ftype_of(st->st_mode);
	e->path = strdup(rel);
	e->mode = st->st_mode & MODE_BITS;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->uname = dupnull(archive_entry_uname(ae));
	e->gname = dupnull(archive_entry_gname(ae));
	e->mtime_sec = st->st_mtim.tv_sec;
	e->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	e->rdev = (e->type == GS_FT_CHR || e->type == GS_FT_BLK) ? st->st_rdev : 0;
	if (e->type == GS_FT_SYMLINK)
		e->link = dupnull(archive_entry_symlink(ae));
	if (archive_entry_acl_count(ae, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E) > 0)
		e->acl = archive_entry_acl_to_text(ae, NULL, 0);
	e->nxattrs = (uint32_t)archive_entry_xattr_reset(ae);
	if (e->nxattrs && (e->xattrs = calloc(e->nxattrs, sizeof(*e->xattrs))) == NULL)
		return -1;
	for (uint32_t i = 0; i < e->nxattrs; i++) {
		if (archive_entry_xattr_next(ae, &name, &val, &size) != ARCHIVE_OK)
			break;
		e->xattrs[i].name = strdup(name);
		e->xattrs[i].len = (uint32_t)size;
		if ((e->xattrs[i].value = malloc(size ? size : 1)) == NULL || !e->xattrs[i].name)
			return -1;
		memcpy(e->xattrs[i].value, val, size);
	}
	if (e->path == NULL || (e->type == GS_FT_SYMLINK && e->link == NULL)) {
		if (e->type == GS_FT_SYMLINK && e->link == NULL && e->path)
			e->link = strdup("");
		if (e->path == NULL)
			return -1;
	}
	return 0;
}

/* hardlink(wk, si, st, rel): when st is a second name of a regular file
 * already walked, record slot si as a hard link to the first name and
 * return 1; otherwise remember rel as its first name and return 0.  -1
 * when out of memory (not warned: visit() warns). */
static int
hardlink(struct walk *wk, size_t si, const struct stat *st, const char *rel)
{
	struct ctx *c = wk->c;
	struct gs_mentry e = {0};
	char key[64];
	const char *first;
	int rc = -1;

	snprintf(key, sizeof(key), "%llx:%llx", (unsigned long long)st->st_dev,
	         (unsigned long long)st->st_ino);
	if ((first = gs_smap_get(wk->hardlinks, key)) == NULL)
		return gs_smap_put(wk->hardlinks, key, strdup(rel)) ? -1 : 0;
	e.type = GS_FT_HARDLINK;
	e.path = strdup(rel);
	e.link = strdup(first);
	e.mode = st->st_mode & MODE_BITS;
	e.uid = st->st_uid;
	e.gid = st->st_gid;
	e.mtime_sec = st->st_mtim.tv_sec;
	e.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	if (e.path == NULL || e.link == NULL)
		goto out;
	pthread_mutex_lock(&c->mu);
	gs_mentry_encode(&c->slots[si].enc, &e);
	gs_buf_shrink(&c->slots[si].enc);
	pthread_mutex_unlock(&c->mu);
	rc = 1;
out:
	gs_mentry_clear(&e);
	return rc;
}

/* same_stat(a, st): whether the cached stat a is st's. */
static int
same_stat(const struct gs_fc_stat *a, const struct stat *st)
{
	return a->dev == (uint64_t)st->st_dev && a->ino == (uint64_t)st->st_ino &&
	       a->size == (uint64_t)st->st_size && a->mode == (uint32_t)st->st_mode &&
	       a->mtime_ns == (int64_t)st->st_mtim.tv_sec * GS_NS_PER_S + st->st_mtim.tv_nsec &&
	       a->ctime_ns == (int64_t)st->st_ctim.tv_sec * GS_NS_PER_S + st->st_ctim.tv_nsec;
}

/* Reuse a cached entry when every chunk it names is still in the index.
 * The caller has checked its stat.  Called with c->mu held. */
static int
try_cache(struct ctx *c, const struct gs_fc_rec *rec, struct slot *s)
{
	const uint8_t *ids;
	struct gs_rd r;
	uint64_t size;
	uint32_t n;
	uint8_t type;

	gs_rd_init(&r, rec->enc, rec->enclen);
	if (gs_mentry_peek(&r, &type, &size, &ids, &n) != 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (gs_cindex_get(c->ci, ids + (size_t)i * GS_ID_LEN, NULL) == NULL)
			return 0;
	s->cached = rec->enc;
	s->cachedlen = rec->enclen;
	c->res.bytes_seen += size;
	c->bytes_done += size;
	return 1;
}

/* from_cache(wk, si, rel, st): fill slot si from the files cache when it
 * has rel under st's stat, settled, and every chunk it names is still
 * indexed.  1 when it did, else 0. */
static int
from_cache(struct walk *wk, size_t si, const char *rel, const struct stat *st)
{
	struct ctx *c = wk->c;
	const struct gs_fc_rec *rec;
	struct slot *s;
	int hit;

	/* A record that had not settled when it was read may hold older
	 * content than its stat says (a cache written by a geosnap without
	 * the rule, or damaged): never reuse it. */
	rec = wk->fc ? gs_fcache_get(wk->fc, rel) : NULL;
	if (rec == NULL || !same_stat(&rec->st, st) || !gs_fcache_settled(&rec->st))
		return 0;
	pthread_mutex_lock(&c->mu);
	s = &c->slots[si];
	hit = try_cache(c, rec, s);
	if (hit) {
		s->cacheable = 1;
		s->st.read_ns = rec->st.read_ns; /* the content is from then */
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

/* visit(wk, ae, rel, srcpath, read_ns): handle one walked entry; read_ns
 * is gs_fcache_now_ns() from before libarchive stat'ed it, so it precedes
 * everything read of the entry.  0 (also when the entry is noted as
 * unreadable), or -1 (warned). */
static int
visit(struct walk *wk, struct archive_entry *ae, const char *rel, const char *srcpath,
      int64_t read_ns)
{
	struct ctx *c = wk->c;
	const struct stat *st = archive_entry_stat(ae);
	struct archive_entry *full = NULL;
	struct gs_mentry e = {0};
	struct slot *s;
	size_t si;
	int rc = -1;

	if (ftype_of(st->st_mode) == 0)
		return 0;
	c->res.files_seen++;
	if (c->pg.on) {
		uint64_t done;

		pthread_mutex_lock(&c->mu);
		done = c->bytes_done;
		pthread_mutex_unlock(&c->mu);
		gs_progress_add(&c->pg, done - c->pg.bytes, 1);
	}
	if (new_slot(c, st, read_ns, &si))
		return -1;
	/* A second name of a file already seen: a hard link. */
	if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
		int hl = hardlink(wk, si, st, rel);

		if (hl != 0) {
			rc = hl > 0 ? 0 : -1;
			goto out;
		}
	}
	if (from_cache(wk, si, rel, st))
		return 0;

	/* Full metadata (xattrs, ACLs) only for entries the cache cannot give. */
	if ((full = archive_entry_new()) == NULL)
		goto out;
	archive_entry_copy_sourcepath(full, srcpath);
	if (archive_read_disk_entry_from_file(wk->meta, full, -1, st) < ARCHIVE_WARN) {
		gs_bk_scan_note(c, "%s: %s", srcpath, archive_error_string(wk->meta));
		pthread_mutex_lock(&c->mu);
		c->res.unreadable++;
		pthread_mutex_unlock(&c->mu);
		rc = 0;
		goto out;
	}
	if (fill_meta(&e, full, rel, st)) {
		gs_warnp("tenant %s: %s: metadata", c->t->name, srcpath);
		goto out;
	}
	if (e.type == GS_FT_FILE) {
		struct job *j = calloc(1, sizeof(*j));

		if (j == NULL || (j->srcpath = strdup(srcpath)) == NULL) {
			free(j);
			goto out;
		}
		j->slot = si;
		j->e = e;
		j->st = *st;
		memset(&e, 0, sizeof(e));
		archive_entry_free(full);
		return gs_bk_enqueue(c, j);
	}
	pthread_mutex_lock(&c->mu);
	s = &c->slots[si];
	gs_mentry_encode(&s->enc, &e);
	gs_buf_shrink(&s->enc);
	s->cacheable = gs_fcache_settled(&s->st);
	pthread_mutex_unlock(&c->mu);
	rc = 0;
out:
	if (rc < 0)
		gs_warn("tenant %s: %s: cannot record entry", c->t->name, srcpath);
	archive_entry_free(full);
	gs_mentry_clear(&e);
	return rc;
}

/*
 * libarchive reports files that vanished between readdir() and lstat() as
 * "PATH PATH ...: File removed before we read it", several at once.  Each
 * path starts with the source, so split there, and name each on its own
 * line.  Returns how many files the message names.
 */
static uint32_t
report_vanished(struct ctx *c, const char *msg, const char *source, size_t srclen)
{
	static const char tail[] = ": File removed before we read it";
	size_t len = strlen(msg), tl = sizeof(tail) - 1;
	const char *p, *end, *next;
	uint32_t n = 0;

	if (len < tl || strcmp(msg + len - tl, tail) != 0 || strncmp(msg, source, srclen) != 0) {
		gs_bk_scan_note(c, "%s (vanished during the backup)", msg);
		return 1;
	}
	end = msg + len - tl;
	for (p = msg; p < end; p = next + 1) {
		/* The next path begins at " <source>" before the end. */
		for (next = p + srclen; next < end; next++)
			if (*next == ' ' && next + 1 + srclen <= end &&
			    strncmp(next + 1, source, srclen) == 0 &&
			    (next[1 + srclen] == '/' || source[srclen - 1] == '/'))
				break;
		gs_bk_scan_note(c, "%.*s: vanished during the backup", (int)(next - p), p);
		n++;
		if (next >= end)
			break;
	}
	return n;
}

/* note_problem(c, a, source, srclen): note and count the files named by
 * libarchive's last message on a (a warning about an entry): vanished, or
 * else unreadable. */
static void
note_problem(struct ctx *c, struct archive *a, const char *source, size_t srclen)
{
	uint32_t nv = 0, nu = 0;

	if (archive_errno(a) == ENOENT)
		nv = report_vanished(c, archive_error_string(a), source, srclen);
	else {
		gs_bk_scan_note(c, "%s", archive_error_string(a));
		nu = 1;
	}
	pthread_mutex_lock(&c->mu);
	c->res.vanished += nv;
	c->res.unreadable += nu;
	pthread_mutex_unlock(&c->mu);
}

/* rel_of(path, source, srclen, multi): the manifest path of path.  One
 * source: relative to it; several: absolute without the leading '/'.
 * Never an absolute path.  NULL for the source root itself. */
static const char *
rel_of(const char *path, const char *source, size_t srclen, int multi)
{
	const char *rel = path;

	if (strncmp(path, source, srclen) == 0 && path[srclen] == 0)
		return NULL;
	if (!multi && strncmp(path, source, srclen) == 0 && (path[srclen] == '/' || srclen == 1))
		rel = path + srclen;
	while (*rel == '/')
		rel++;
	return *rel ? rel : NULL;
}

/* open_source(c, source, ret_a, ret_m): a libarchive disk reader opened on
 * source with the tenant's options, and its exclude patterns (*ret_m,
 * NULL when none).  0, or -1 (warned, but not when libarchive cannot
 * allocate). */
static int
open_source(struct ctx *c, const char *source, struct archive **ret_a, struct archive **ret_m)
{
	struct archive *a, *m = NULL;
	int flags = ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
	            ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE;

	if (c->t->one_file_system)
		flags |= ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS;
	if ((a = archive_read_disk_new()) == NULL)
		goto err0;
	archive_read_disk_set_symlink_physical(a);
	archive_read_disk_set_standard_lookup(a);
	archive_read_disk_set_behavior(a, flags);
	if (c->t->excludes.n) {
		if ((m = archive_match_new()) == NULL)
			goto err1;
		for (size_t i = 0; i < c->t->excludes.n; i++)
			if (archive_match_exclude_pattern(m, c->t->excludes.v[i]) != ARCHIVE_OK) {
				gs_warn("tenant %s: exclude '%s': %s", c->t->name,
				        c->t->excludes.v[i], archive_error_string(m));
				goto err1;
			}
		archive_read_disk_set_matching(a, m, NULL, NULL);
	}
	if (archive_read_disk_open(a, source) != ARCHIVE_OK) {
		gs_warn("tenant %s: source %s: %s", c->t->name, source, archive_error_string(a));
		goto err1;
	}
	*ret_a = a;
	*ret_m = m;
	return 0;
err1:
	archive_read_free(a);
	archive_match_free(m);
err0:
	return -1;
}

/* walk_resolved(wk, source, multi): walk the canonical path source (one of
 * several when multi), visiting every entry.  0, or -1 (warned). */
static int
walk_resolved(struct walk *wk, const char *source, int multi)
{
	struct ctx *c = wk->c;
	struct archive *a, *m;
	struct archive_entry *ae;
	size_t srclen = strlen(source);
	int rc = 0, r;

	while (srclen > 1 && source[srclen - 1] == '/')
		srclen--;
	if (open_source(c, source, &a, &m))
		return -1;
	ae = archive_entry_new();
	for (;;) {
		const char *path, *rel;
		int64_t read_ns = gs_fcache_now_ns();

		archive_entry_clear(ae);
		r = archive_read_next_header2(a, ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_FATAL) {
			gs_warn("tenant %s: walking %s: %s", c->t->name, source,
			        archive_error_string(a));
			rc = -1;
			break;
		}
		if (r == ARCHIVE_WARN || r == ARCHIVE_FAILED || r == ARCHIVE_RETRY) {
			/* libarchive's message names the path; the entry may
			 * still hold the previous one. */
			note_problem(c, a, source, srclen);
			if (r != ARCHIVE_WARN)
				continue;
		}
		path = archive_entry_pathname(ae);
		if (path == NULL)
			continue;
		if (archive_read_disk_can_descend(a))
			archive_read_disk_descend(a);
		if ((rel = rel_of(path, source, srclen, multi)) == NULL)
			continue;
		if (visit(wk, ae, rel, path, read_ns)) {
			rc = -1;
			break;
		}
	}
	archive_entry_free(ae);
	archive_read_close(a);
	archive_read_free(a);
	archive_match_free(m);
	return rc;
}

/* walk_source(wk, source, multi): walk a source by its canonical path, so
 * "..", "." and symlinks in the configured path never reach the manifest.
 * 0, or -1 (warned). */
static int
walk_source(struct walk *wk, const char *source, int multi)
{
	char *real = realpath(source, NULL);
	int rc;

	if (real == NULL) {
		gs_warnp("tenant %s: source %s", wk->c->t->name, source);
		return -1;
	}
	rc = walk_resolved(wk, real, multi);
	free(real);
	return rc;
}

/* gs_bk_scan(c, fc): walk every source of c->t in order, filling slots
 * from fc (borrowed, may be NULL) or queueing jobs.  Main thread, while
 * the workers run.  0, or -1 (warned). */
int
gs_bk_scan(struct ctx *c, const struct gs_fcache *fc)
{
	struct walk wk = {.c = c, .fc = fc};
	int rc = -1;

	if ((wk.hardlinks = gs_smap_new()) == NULL)
		goto err0;
	if ((wk.meta = archive_read_disk_new()) == NULL)
		goto err1;
	archive_read_disk_set_standard_lookup(wk.meta);
	archive_read_disk_set_behavior(wk.meta,
	                               ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE);
	rc = 0;
	for (size_t i = 0; i < c->t->sources.n && rc == 0; i++)
		rc = walk_source(&wk, c->t->sources.v[i], c->t->sources.n > 1);
	archive_read_free(wk.meta);
err1:
	gs_smap_free_all(wk.hardlinks);
err0:
	return rc;
}
