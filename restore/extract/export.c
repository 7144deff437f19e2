/*
 * export.c -- a snapshot as a tar, pax or zip archive: the manifest is
 * collected, sorted depth first, and written member by member.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "extract/entry.h"
#include "extract/export.h"
#include "geosnap/progress.h"

/*
 * Entries are collected first and written in path order with '/' before
 * every other byte ("a" < "a/b" < "a/b/c" < "a-x"): depth first, each
 * directory immediately followed by its whole subtree.  The manifest is in
 * walk order, where a directory's children need not follow it; GNU tar sets
 * a directory's time when it leaves the directory, so any member that lands
 * in it later spoils the time.
 *
 * Each entry is kept re-encoded (gs_mentry_encode) behind its NUL-terminated
 * path in an arena of large blocks, and decoded again when it is written:
 * about twice the manifest's size plus one small record per entry.
 */
#define BLOCK_SIZE ((size_t)4 << 20)

struct block {
	struct block *next;
	size_t used, cap;
	uint8_t data[];
};

struct rec {
	const char *path; /* in the arena, followed by the encoded entry */
	size_t first;     /* files: 1 + index of the name written with the content */
	uint8_t type;
	uint8_t safe; /* 0: kept only for the hard links to it */
};

struct ctx {
	const struct gs_export_opts *o;
	struct gs_entry_writer w; /* the archive_write, status, fatal */
	struct block *blocks;
	struct rec *recs;
	size_t nrecs, caprecs;
	struct gs_content content;
	struct gs_fetch *fetch;
	struct gs_progress pg;
};

/* gs_export_format(name): GS_EXPORT_* for "tar", "pax" or "zip"; 0 if none. */
int
gs_export_format(const char *name)
{
	if (strcmp(name, "tar") == 0)
		return GS_EXPORT_TAR;
	if (strcmp(name, "pax") == 0)
		return GS_EXPORT_PAX;
	if (strcmp(name, "zip") == 0)
		return GS_EXPORT_ZIP;
	return 0;
}

/* ---- collecting ---------------------------------------------------- */

/* n bytes from the arena, or NULL (warned). */
static uint8_t *
arena_alloc(struct ctx *c, size_t n)
{
	struct block *b = c->blocks, *nb;
	uint8_t *p;

	if (b == NULL || b->cap - b->used < n) {
		/* A big entry gets a block of its own behind the current one,
		 * so that the current block's free space is not lost. */
		if ((nb = malloc(sizeof(*nb) + (n > BLOCK_SIZE / 2 ? n : BLOCK_SIZE))) == NULL) {
			gs_warnp("malloc");
			return NULL;
		}
		nb->used = 0;
		nb->cap = n > BLOCK_SIZE / 2 ? n : BLOCK_SIZE;
		if (b != NULL && n > BLOCK_SIZE / 2) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			c->blocks = nb;
		}
		b = nb;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

/* Free the arena, wiping it: it holds decrypted names and metadata. */
static void
arena_free(struct ctx *c)
{
	struct block *b;

	while ((b = c->blocks) != NULL) {
		c->blocks = b->next;
		sodium_memzero(b->data, b->used);
		free(b);
	}
}

/* Keep entry e (encoded into the scratch buffer enc); 0, or -1 (warned). */
static int
keep(struct ctx *c, const struct gs_mentry *e, int safe, struct gs_buf *enc)
{
	struct rec *nr;
	size_t plen = strlen(e->path) + 1, ncap;
	uint8_t *p;

	enc->len = 0;
	gs_mentry_encode(enc, e);
	if (enc->oom) {
		gs_warn("out of memory");
		return -1;
	}
	if (c->nrecs == c->caprecs) {
		ncap = c->caprecs ? c->caprecs * 2 : 1024;
		if ((nr = reallocarray(c->recs, ncap, sizeof(*nr))) == NULL) {
			gs_warnp("realloc");
			return -1;
		}
		c->recs = nr;
		c->caprecs = ncap;
	}
	if ((p = arena_alloc(c, plen + enc->len)) == NULL)
		return -1;
	memcpy(p, e->path, plen);
	memcpy(p + plen, enc->p, enc->len);
	nr = &c->recs[c->nrecs++];
	nr->path = (const char *)p;
	nr->first = 0;
	nr->type = e->type;
	nr->safe = (uint8_t)safe;
	return 0;
}

/*
 * Walk the manifest and keep what will be written: every safe entry but
 * sockets, and files with unsafe paths, whose content a hard link may need.
 * Returns 0, or -1 when out of memory (warned); a damaged manifest only
 * sets status (what came before it is exported).
 */
static int
collect(struct ctx *c, struct gs_manifest *m)
{
	struct gs_buf enc = {0};
	struct gs_mentry e;
	int safe, mrc, rc = 0;

	while ((mrc = gs_reader_manifest_next(m, &e)) == 0) {
		if (!(safe = gs_reader_path_ok(e.path))) {
			gs_entry_warn(e.path, "unsafe path in the manifest; skipped");
			c->w.status = 1;
		}
		if (safe ? e.type != GS_FT_SOCK : e.type == GS_FT_FILE)
			rc = keep(c, &e, safe, &enc);
		if (!safe || e.type == GS_FT_SOCK)
			gs_progress_add(&c->pg, 0, 1);
		gs_mentry_clear(&e);
		if (rc != 0)
			break;
	}
	if (mrc < 0)
		c->w.status = 1;
	gs_buf_clear(&enc);
	return rc;
}

/* Rank of a path byte: the end first, then '/', then every other byte. */
static int
rank(unsigned char ch)
{
	return ch == '\0' ? 0 : ch == '/' ? 1 : ch + 1;
}

static int
path_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

	while (*p == *q && *p != '\0') {
		p++;
		q++;
	}
	return rank(*p) - rank(*q);
}

static int
rec_cmp(const void *a, const void *b)
{
	return path_cmp(((const struct rec *)a)->path, ((const struct rec *)b)->path);
}

/* The index of the (sorted) file record named path, or SIZE_MAX. */
static size_t
find_file(const struct ctx *c, const char *path)
{
	size_t lo = 0, hi = c->nrecs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (path_cmp(c->recs[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nrecs && strcmp(c->recs[lo].path, path) == 0; lo++)
		if (c->recs[lo].type == GS_FT_FILE)
			return lo;
	return SIZE_MAX;
}

/* Decode the kept entry of r; 0, or -1 (warned: only out of memory). */
static int
load(const struct rec *r, struct gs_mentry *ret)
{
	const uint8_t *p = (const uint8_t *)r->path + strlen(r->path) + 1;
	struct gs_rd rd;

	gs_rd_init(&rd, p, (size_t)gs_get_le32(p) + 4);
	if (gs_mentry_decode(&rd, ret) != 0) {
		gs_warn("out of memory");
		return -1;
	}
	return 0;
}

/* ---- writing ------------------------------------------------------- */

/*
 * Describe e in c->w.ae under its own path.  libarchive keeps the permission
 * bits and the ACL's owner, owning-group and other entries in one place, so
 * adding an ACL with a mask turns the group bits into those of the
 * owning-group entry instead of the mask (which stat() shows).  pax carries
 * the ACL, and an extractor that applies it (bsdtar, GNU tar --acls) sets
 * the group bits from the mask again; tar and zip do not carry it, so there
 * the recorded mode is put back after the ACL.
 */
static void
fill(struct ctx *c, const struct gs_mentry *e)
{
	if (gs_entry_fill(c->w.ae, e, e->path) != 0)
		c->w.status = 1;
	if (c->o->format != GS_EXPORT_PAX) {
		archive_entry_acl_clear(c->w.ae);
		archive_entry_set_perm(c->w.ae, (mode_t)(e->mode & 07777));
	}
	/* zip's unix time is read back as unsigned: a time before 1970 would
	 * come back after 2100.  1970 is the nearest it can hold (the GNU tar
	 * writer does the same); docs/EXPORT.md. */
	if (c->o->format == GS_EXPORT_ZIP && e->mtime_sec < 0)
		archive_entry_set_mtime(c->w.ae, 0, 0);
}

/* 1 when s has a byte above 0x7f. */
static int
eight_bit(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s > 0x7f)
			return 1;
	return 0;
}

/*
 * pax keeps names in UTF-8, converted from the locale, which is C here (see
 * gs_export): a member with a name that has any byte above 0x7f gets its
 * names stored as they are, marked "hdrcharset=BINARY", and libarchive says
 * so with a warning.  The names are then exact, so that warning is no
 * problem: 1 when it is what the last header got.  (An archive-wide
 * hdrcharset=BINARY would mark every member, and GNU tar 1.34 complains
 * about the keyword for each member it reads.)  Any other warning of the
 * header, an ACL that could not be converted, say, comes after these and
 * replaces the message.
 */
static int
names_as_bytes(const struct gs_entry_writer *w)
{
	static const char *const what[] = {"pathname ", "uname ", "gname ", "linkname "};
	const char *msg = archive_error_string(w->a);
	struct archive_entry *ae = w->ae;
	size_t i;

	/* The writer asks only for pax (gs_export). */
	if (msg == NULL || strncmp(msg, "Can't translate ", 16) != 0)
		return 0;
	if (!eight_bit(archive_entry_pathname(ae)) && !eight_bit(archive_entry_symlink(ae)) &&
	    !eight_bit(archive_entry_hardlink(ae)) && !eight_bit(archive_entry_uname(ae)) &&
	    !eight_bit(archive_entry_gname(ae)))
		return 0;
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++)
		if (strncmp(msg + 16, what[i], strlen(what[i])) == 0)
			return 1;
	return 0;
}

/*
 * A regular file described by e with the content of f (e itself, or the
 * file e is a hard link of) under e->path; 1 if it was written.  A size
 * the chunks cannot have is refused before the header: tar must then be
 * given that many bytes, and a forged 2^50 would stream zeros forever.
 */
static int
put_file(struct ctx *c, const struct gs_mentry *e, const struct gs_mentry *f)
{
	char why[160];
	int r;

	if (gs_reader_size_check(c->content.rd, (const uint8_t(*)[GS_ID_LEN])f->chunks, f->nchunks,
	                         f->size, why, sizeof(why)) != 0) {
		gs_entry_warn(e->path, "%s; left out of the archive", why);
		c->w.status = 1;
		return 0;
	}
	fill(c, e);
	archive_entry_set_filetype(c->w.ae, AE_IFREG);
	archive_entry_set_size(c->w.ae, (la_int64_t)f->size);
	if (gs_entry_header(&c->w, e->path) != 0)
		return 0;
	r = gs_entry_content(&c->content, c->w.a, e->path, (const uint8_t(*)[GS_ID_LEN])f->chunks,
	                     f->nchunks, f->size, f->hash, 0);
	if (r != 0) {
		c->w.status = 1;
		if (r < 0)
			c->w.fatal = 1;
	}
	gs_entry_finish(&c->w, e->path);
	return 1;
}

/*
 * e (record i) is a name of the file in record f: a file's own entry or a
 * hard link to it.  The first of its names in archive order is written with
 * the content, every later one as a hard link to that name (tar needs the
 * target before the link); zip has no hard links, so every name gets a copy.
 */
static void
put_name(struct ctx *c, const struct gs_mentry *e, size_t i, size_t f)
{
	struct rec *fr = &c->recs[f];
	struct gs_mentry fe;

	if (fr->first != 0) {
		fill(c, e);
		archive_entry_set_filetype(c->w.ae, AE_IFREG);
		archive_entry_set_size(c->w.ae, 0);
		archive_entry_set_hardlink(c->w.ae, c->recs[fr->first - 1].path);
		if (gs_entry_header(&c->w, e->path) == 0)
			gs_entry_finish(&c->w, e->path);
		return;
	}
	if (f == i) {
		/* A file's own entry: planned under its record number. */
		c->content.fetch = c->fetch;
		c->content.ord = i;
		if (put_file(c, e, e) && c->o->format != GS_EXPORT_ZIP)
			fr->first = i + 1;
		c->content.fetch = NULL;
		return;
	}
	memset(&fe, 0, sizeof(fe));
	if (load(fr, &fe) != 0) {
		c->w.fatal = 1;
		return;
	}
	if (put_file(c, e, &fe) && c->o->format != GS_EXPORT_ZIP)
		fr->first = i + 1;
	gs_mentry_clear(&fe);
}

/* Write the kept entry i (safe, not a socket). */
static void
one(struct ctx *c, size_t i)
{
	struct gs_mentry e;
	size_t f;

	memset(&e, 0, sizeof(e));
	if (load(&c->recs[i], &e) != 0) {
		c->w.fatal = 1;
		return;
	}
	if (c->o->verbose)
		gs_entry_verbose(e.path);
	if (e.type == GS_FT_FILE) {
		put_name(c, &e, i, i);
	} else if (e.type == GS_FT_HARDLINK) {
		if (e.link == NULL || (f = find_file(c, e.link)) == SIZE_MAX) {
			gs_entry_warn(e.path, "hard link to a file that is not in the snapshot");
			c->w.status = 1;
		} else {
			put_name(c, &e, i, f);
		}
	} else if (e.type == GS_FT_SYMLINK && e.link == NULL) {
		gs_entry_warn(e.path, "symlink without a target");
		c->w.status = 1;
	} else {
		fill(c, &e);
		if (gs_entry_header(&c->w, e.path) == 0)
			gs_entry_finish(&c->w, e.path);
	}
	gs_mentry_clear(&e);
	gs_progress_add(&c->pg, 0, 1);
}

/*
 * Plan the content of every file record in archive order (read/fetch.h);
 * the content written under a hard link's name (zip copies, a first name
 * left out) is read chunk by chunk instead.  0, or -1 (warned).
 */
static int
plan(struct ctx *c, struct gs_reader *rd, const struct gs_export_opts *o)
{
	struct gs_mentry e;
	size_t i;
	int r = 0;

	if ((c->fetch = gs_fetch_new(rd, o->remote, 0)) == NULL)
		return -1;
	for (i = 0; i < c->nrecs && r == 0; i++) {
		if (!c->recs[i].safe || c->recs[i].type != GS_FT_FILE)
			continue;
		memset(&e, 0, sizeof(e));
		if (load(&c->recs[i], &e) != 0)
			return -1;
		if (e.nchunks > 0)
			r = gs_fetch_plan_file(c->fetch, i, (const uint8_t(*)[GS_ID_LEN])e.chunks,
			                       e.nchunks);
		gs_mentry_clear(&e);
	}
	return r == 0 ? gs_fetch_start(c->fetch) : -1;
}

static int
set_format(struct archive *a, int format)
{
	switch (format) {
	case GS_EXPORT_TAR:
		return archive_write_set_format_gnutar(a);
	case GS_EXPORT_PAX:
		return archive_write_set_format_pax(a);
	case GS_EXPORT_ZIP:
		/* Names are stored as their bytes, without the UTF-8 flag:
		 * that is exact for every name (see gs_export). */
		return archive_write_set_format_zip(a);
	default:
		return ARCHIVE_FATAL;
	}
}

/*
 * gs_export(rd, s, o): write every entry of snapshot s into a new archive.
 * See export.h.
 */
int
gs_export(struct gs_reader *rd, const struct gs_rsnap *s, const struct gs_export_opts *o)
{
	struct gs_manifest *m;
	struct ctx c;
	locale_t cloc, prev = (locale_t)0;
	int to_stdout = strcmp(o->output, "-") == 0;
	int fd, rc = -1;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.o = o;
	if (to_stdout) {
		fd = STDOUT_FILENO;
	} else if ((fd = open(o->output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		if (errno == EEXIST)
			gs_warn("%s: already exists; refusing to overwrite", o->output);
		else
			gs_warnp("%s: create", o->output);
		return -1;
	}
	/*
	 * Names are exact only when libarchive does not convert them: in the
	 * C locale, pax stores every name that is not ASCII as its bytes (see
	 * names_as_bytes); in a UTF-8 locale it would store valid UTF-8 as
	 * such, which bsdtar extracts normalised to NFC.  The program never
	 * sets a locale, but make sure of it.
	 */
	if ((cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0)) != (locale_t)0)
		prev = uselocale(cloc);
	if ((c.w.a = archive_write_new()) == NULL) {
		gs_warn("cannot allocate an archive writer");
		goto err0;
	}
	if (set_format(c.w.a, o->format) != ARCHIVE_OK ||
	    archive_write_open_fd(c.w.a, fd) != ARCHIVE_OK) {
		gs_warn("%s: %s", o->output, archive_error_string(c.w.a));
		goto err1;
	}
	if ((c.w.ae = archive_entry_new()) == NULL) {
		gs_warn("cannot allocate an archive entry");
		goto err1;
	}
	if (o->format == GS_EXPORT_PAX)
		c.w.warn_ok = names_as_bytes;
	gs_progress_init(&c.pg, o->progress, s->info.bytes, s->info.files);
	if (gs_entry_content_init(&c.content, rd, &c.pg) != 0)
		goto err2;
	if ((m = gs_reader_manifest_open(rd, s)) == NULL)
		goto err3;
	if (collect(&c, m) != 0)
		c.w.fatal = 1;
	gs_reader_manifest_free(m);

	if (c.nrecs > 0)
		qsort(c.recs, c.nrecs, sizeof(*c.recs), rec_cmp);
	if (!c.w.fatal && plan(&c, rd, o) != 0)
		c.w.fatal = 1;
	for (i = 0; i < c.nrecs && !c.w.fatal; i++)
		if (c.recs[i].safe)
			one(&c, i);
	gs_progress_done(&c.pg);
	if (!c.w.fatal && archive_write_close(c.w.a) != ARCHIVE_OK) {
		gs_warn("%s: %s", o->output, archive_error_string(c.w.a));
		c.w.fatal = 1;
	}
	if (!c.w.fatal && !to_stdout && fsync(fd) != 0) {
		gs_warnp("%s: fsync", o->output);
		c.w.fatal = 1;
	}
	rc = c.w.fatal ? -1 : c.w.status;

	if (o->stats != NULL && c.fetch != NULL)
		gs_fetch_stats(c.fetch, o->stats);
	gs_fetch_free(c.fetch);
	free(c.recs);
	arena_free(&c);
err3:
	gs_entry_content_free(&c.content);
err2:
	archive_entry_free(c.w.ae);
err1:
	archive_write_free(c.w.a);
err0:
	if (cloc != (locale_t)0) {
		uselocale(prev);
		freelocale(cloc);
	}
	if (!to_stdout) {
		if (close(fd) != 0 && rc >= 0) {
			gs_warnp("%s: close", o->output);
			rc = -1;
		}
		if (rc < 0)
			unlink(o->output);
	}
	return rc;
}
