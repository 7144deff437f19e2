/*
 * export.c -- a snapshot as a tar, pax or zip archive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "read/entry.h"
#include "read/export.h"
#include "read/linkmap.h"
#include "geosnap/progress.h"

struct ctx {
	const struct gs_export_opts *o;
	struct archive *a;
	struct archive_entry *ae;
	struct gs_linkmap *lm;
	struct gs_content content;
	struct gs_progress pg;
	int status;
	int fatal;
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

/* Write the header of the filled entry: 0 go on, 1 entry failed, -1 fatal. */
static int
put_header(struct ctx *c, const char *path)
{
	int r = archive_write_header(c->a, c->ae);

	if (r == ARCHIVE_OK)
		return 0;
	gs_entry_warn(path, "%s", archive_error_string(c->a));
	c->status = 1;
	if (r == ARCHIVE_WARN)
		return 0;
	if (r == ARCHIVE_FATAL) {
		c->fatal = 1;
		return -1;
	}
	return 1;
}

static void
finish(struct ctx *c, const char *path)
{
	int r = archive_write_finish_entry(c->a);

	if (r == ARCHIVE_OK)
		return;
	gs_entry_warn(path, "%s", archive_error_string(c->a));
	c->status = 1;
	if (r == ARCHIVE_FATAL)
		c->fatal = 1;
}

/* A regular file with the given content under e->path; 1 if it was written. */
static int
put_file(struct ctx *c, const struct gs_mentry *e, const uint8_t (*chunks)[GS_ID_LEN],
         uint32_t nchunks, uint64_t size, const uint8_t hash[16])
{
	int r;

	if (gs_entry_fill(c->ae, e, e->path) != 0)
		c->status = 1;
	archive_entry_set_filetype(c->ae, AE_IFREG);
	archive_entry_set_size(c->ae, (la_int64_t)size);
	if (put_header(c, e->path) != 0)
		return 0;
	r = gs_entry_content(&c->content, c->a, e->path, chunks, nchunks, size, hash, 0);
	if (r != 0) {
		c->status = 1;
		if (r < 0)
			c->fatal = 1;
	}
	finish(c, e->path);
	return 1;
}

static void
do_file(struct ctx *c, struct gs_mentry *e, int safe)
{
	struct gs_link_ent *le;
	int made = 0;

	if (safe)
		made = put_file(c, e, (const uint8_t(*)[GS_ID_LEN])e->chunks, e->nchunks, e->size,
		                e->hash);
	if ((le = gs_linkmap_put(c->lm, e->path)) == NULL) {
		c->fatal = 1;
		return;
	}
	free(le->chunks);
	free(le->alt);
	memset(le->hash, 0, sizeof(le->hash));
	le->alt = NULL;
	le->chunks = NULL;
	le->nchunks = 0;
	/* Zip has no hard links: every later name gets a copy of the content. */
	le->done = made && c->o->format != GS_EXPORT_ZIP;
	if (!le->done) {
		le->size = e->size;
		memcpy(le->hash, e->hash, 16);
		le->chunks = e->chunks;
		le->nchunks = e->nchunks;
		e->chunks = NULL;
		e->nchunks = 0;
	}
}

static void
do_hardlink(struct ctx *c, const struct gs_mentry *e)
{
	struct gs_link_ent *le;

	if (e->link == NULL || (le = gs_linkmap_get(c->lm, e->link)) == NULL) {
		gs_entry_warn(e->path, "hard link to a file that is not in the snapshot");
		c->status = 1;
		return;
	}
	if (le->done || le->alt != NULL) {
		if (gs_entry_fill(c->ae, e, e->path) != 0)
			c->status = 1;
		archive_entry_set_filetype(c->ae, AE_IFREG);
		archive_entry_set_size(c->ae, 0);
		archive_entry_set_hardlink(c->ae, le->done ? e->link : le->alt);
		if (put_header(c, e->path) == 0)
			finish(c, e->path);
		return;
	}
	if (le->chunks == NULL && le->size > 0) {
		gs_entry_warn(e->path, "hard link target was not exported and its content is lost");
		c->status = 1;
		return;
	}
	if (put_file(c, e, (const uint8_t(*)[GS_ID_LEN])le->chunks, le->nchunks, le->size,
	             le->hash) &&
	    c->o->format != GS_EXPORT_ZIP) {
		if ((le->alt = gs_strdup(e->path)) == NULL) {
			c->fatal = 1;
			return;
		}
		free(le->chunks);
		le->chunks = NULL;
		le->nchunks = 0;
	}
}

static void
one(struct ctx *c, struct gs_mentry *e)
{
	int safe = gs_reader_path_ok(e->path);

	if (!safe) {
		gs_entry_warn(e->path, "unsafe path in the manifest; skipped");
		c->status = 1;
	} else if (c->o->verbose) {
		gs_entry_verbose(e->path);
	}
	if (e->type == GS_FT_FILE) {
		do_file(c, e, safe);
	} else if (safe && e->type == GS_FT_HARDLINK) {
		do_hardlink(c, e);
	} else if (safe && e->type != GS_FT_SOCK) {
		if (e->type == GS_FT_SYMLINK && e->link == NULL) {
			gs_entry_warn(e->path, "symlink without a target");
			c->status = 1;
		} else {
			if (gs_entry_fill(c->ae, e, e->path) != 0)
				c->status = 1;
			if (put_header(c, e->path) == 0)
				finish(c, e->path);
		}
	}
	gs_progress_add(&c->pg, 0, 1);
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
	struct gs_mentry e;
	struct ctx c;
	int to_stdout = strcmp(o->output, "-") == 0;
	int fd, rc = -1, mrc = 0;

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
	if ((c.a = archive_write_new()) == NULL) {
		gs_warn("cannot allocate an archive writer");
		goto err0;
	}
	if (set_format(c.a, o->format) != ARCHIVE_OK ||
	    archive_write_open_fd(c.a, fd) != ARCHIVE_OK) {
		gs_warn("%s: %s", o->output, archive_error_string(c.a));
		goto err1;
	}
	if ((c.ae = archive_entry_new()) == NULL) {
		gs_warn("cannot allocate an archive entry");
		goto err1;
	}
	if ((c.lm = gs_linkmap_new()) == NULL)
		goto err2;
	gs_progress_init(&c.pg, o->progress, s->info.bytes, s->info.files);
	if (gs_entry_content_init(&c.content, rd, &c.pg) != 0)
		goto err3;
	if ((m = gs_reader_manifest_open(rd, s)) == NULL)
		goto err4;

	while (!c.fatal && (mrc = gs_reader_manifest_next(m, &e)) == 0) {
		one(&c, &e);
		gs_mentry_clear(&e);
	}
	if (mrc < 0)
		c.status = 1;
	gs_progress_done(&c.pg);
	if (!c.fatal && archive_write_close(c.a) != ARCHIVE_OK) {
		gs_warn("%s: %s", o->output, archive_error_string(c.a));
		c.fatal = 1;
	}
	if (!c.fatal && !to_stdout && fsync(fd) != 0) {
		gs_warnp("%s: fsync", o->output);
		c.fatal = 1;
	}
	rc = c.fatal ? -1 : c.status;

	gs_reader_manifest_free(m);
err4:
	gs_entry_content_free(&c.content);
err3:
	gs_linkmap_free(c.lm);
err2:
	archive_entry_free(c.ae);
err1:
	archive_write_free(c.a);
err0:
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
