/*
 * extract.c -- restore a snapshot with archive_write_disk.
 *
 * The manifest is walked twice: the first walk plans the chunks to read
 * (read/fetch.h) and notes which paths hard links name; the second writes.
 * Regular files that hard links name are remembered in a link map so that
 * a hard link can be made to its first name, or, when that name was
 * not restored (excluded by --include, unsafe, failed), the content written
 * in its place from the chunk list kept for exactly that case.  With
 * --overwrite, what was written over an object kept in place gets the
 * xattrs of that object that its entry does not have removed (disk.c).
 *
 * A snapshot is written by the production host, which may be compromised,
 * so unless o->privileged nothing that grants privileges is recreated
 * (see unprivilege()): device nodes, setuid/setgid bits of anything but a
 * directory, the security.capability and trusted.* xattrs.  Each is named.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "extract/disk.h"
#include "extract/entry.h"
#include "extract/extract.h"
#include "extract/linkmap.h"
#include "geosnap/progress.h"

/* A directory whose times are set again at the end (see fix_dir_times). */
struct dirtime {
	char *path;
	int64_t sec;
	uint32_t nsec;
};

struct ctx {
	struct gs_reader *rd;
	struct dirtime *dirs;
	size_t ndirs, capdirs;
	const struct gs_extract_opts *o;
	struct gs_entry_writer w; /* the archive_write_disk, status, fatal */
	struct gs_linkmap *lm;
	struct gs_content content;
	struct gs_fetch *fetch;
	struct gs_progress pg;
	int leftout;     /* 1 once something only o->privileged restores was left out */
	char cause[160]; /* why the restore stopped (fatal), or "" */
};

/* Whether entry e is selected: under an include and chosen by o->select. */
static int
included(const struct gs_extract_opts *o, const struct gs_mentry *e)
{
	size_t i;

	if (o->select != NULL && !o->select(o->select_arg, e))
		return 0;
	if (o->nincludes == 0)
		return 1;
	for (i = 0; i < o->nincludes; i++)
		if (gs_reader_path_under(e->path, o->includes[i]))
			return 1;
	return 0;
}

/* 1 for the xattrs that grant privileges: file capabilities and trusted.*. */
static int
privileged_xattr(const char *name)
{
	return strcmp(name, "security.capability") == 0 || strncmp(name, "trusted.", 8) == 0;
}

/*
 * Unless o->privileged, take out of the entry filled from e (c->w.ae) what
 * would plant a privilege: the setuid and setgid bits of anything but a
 * directory (on a directory setgid only passes the group on, and setuid
 * means nothing), and the privileged xattrs.  Each is named and marks the
 * restore as left incomplete (c->leftout).
 */
static void
unprivilege(struct ctx *c, const struct gs_mentry *e)
{
	mode_t perm = archive_entry_perm(c->w.ae);
	uint32_t i, n = 0;

	if (c->o->privileged)
		return;
	if (e->type != GS_FT_DIR && (perm & 06000) != 0) {
		/* archive_entry_perm(), not e->mode: with an ACL its group bits
		 * are the ACL's group:: entry (gs_entry_fill). */
		gs_entry_warn(e->path, "mode %04o: %s not restored (only with --privileged)",
		              (unsigned)(e->mode & 07777),
		              (perm & 06000) == 06000 ? "setuid and setgid bits"
		              : (perm & 04000)        ? "setuid bit"
		                                      : "setgid bit");
		archive_entry_set_perm(c->w.ae, perm & ~(mode_t)06000);
		c->leftout = 1;
	}
	for (i = 0; i < e->nxattrs; i++)
		n += (uint32_t)privileged_xattr(e->xattrs[i].name);
	if (n == 0)
		return;
	archive_entry_xattr_clear(c->w.ae);
	for (i = 0; i < e->nxattrs; i++) {
		if (!privileged_xattr(e->xattrs[i].name)) {
			archive_entry_xattr_add_entry(c->w.ae, e->xattrs[i].name,
			                              e->xattrs[i].value, e->xattrs[i].len);
			continue;
		}
		gs_entry_warn(e->path, "xattr %s not restored (only with --privileged)",
		              e->xattrs[i].name);
	}
	c->leftout = 1;
}

/* lstat of path into ret when --overwrite may write over it: 1, else 0. */
static int
existing(const struct ctx *c, const char *path, struct stat *ret)
{
	return c->o->overwrite && lstat(path, ret) == 0;
}

/*
 * 1 when the repository's copy can no longer be reached: the reader's last
 * read of a pack failed with a connection failure that the transport's own
 * reconnects did not overcome (gs_reader_lost: the kind that read reported,
 * not one left over from a failure the transport recovered from).  Going
 * on would only name every later file.
 */
static int
lost(const struct ctx *c)
{
	return gs_reader_lost(c->rd);
}

/*
 * Restore a regular file e under its path with content (chunks, size, hash).
 * Returns 1 when the file now exists with its content, 0 when it could not
 * be created, was refused (a size its chunks cannot have), or was removed
 * again because its content is not exact.
 */
static int
put_file(struct ctx *c, const struct gs_mentry *e, const uint8_t (*chunks)[GS_ID_LEN],
         uint32_t nchunks, uint64_t size, const uint8_t hash[16])
{
	struct stat before;
	char why[160];
	int r, old;

	if (gs_reader_size_check(c->rd, chunks, nchunks, size, why, sizeof(why)) != 0) {
		gs_entry_warn(e->path, "%s; not restored", why);
		c->w.status = 1;
		return 0;
	}
	old = existing(c, e->path, &before);
	if (gs_entry_fill(c->w.ae, e, e->path) != 0)
		c->w.status = 1;
	unprivilege(c, e);
	archive_entry_set_filetype(c->w.ae, AE_IFREG);
	archive_entry_set_size(c->w.ae, (la_int64_t)size);
	if ((r = gs_entry_header(&c->w, e->path)) != 0)
		return 0;
	r = gs_entry_content(&c->content, c->w.a, e->path, chunks, nchunks, size, hash,
	                     GS_CONTENT_DISK);
	if (r != 0) {
		c->w.status = 1;
		if (r < 0) {
			c->w.fatal = 1;
			snprintf(c->cause, sizeof(c->cause), "%s",
			         archive_errno(c->w.a) > 0 ? strerror(archive_errno(c->w.a))
			                                   : archive_error_string(c->w.a));
		} else if (lost(c)) {
			c->w.fatal = 1;
			snprintf(c->cause, sizeof(c->cause), "the connection to %s was lost",
			         gs_tp_name(gs_repo_transport(gs_reader_repo(c->rd))));
		}
	}
	if (gs_entry_finish(&c->w, e->path) == 0 && old && r == 0 &&
	    gs_disk_prune_xattrs(e, &before) != 0)
		c->w.status = 1;
	if (r != 0) {
		gs_disk_discard(e->path);
		return 0;
	}
	return 1;
}

static void
do_file(struct ctx *c, struct gs_mentry *e, int want)
{
	struct gs_link_ent *le;
	int made = 0;

	if (want)
		made = put_file(c, e, (const uint8_t(*)[GS_ID_LEN])e->chunks, e->nchunks, e->size,
		                e->hash);
	if ((le = gs_linkmap_get(c->lm, e->path)) == NULL)
		return; /* no hard link names it */
	le->seen = 1;
	free(le->chunks);
	free(le->alt);
	le->alt = NULL;
	le->chunks = NULL;
	le->nchunks = 0;
	le->done = made;
	if (!made) {
		/* Keep what a later hard link to this name needs. */
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
	const char *target;

	if (e->link == NULL || (le = gs_linkmap_get(c->lm, e->link)) == NULL || !le->seen) {
		gs_entry_warn(e->path, "hard link to a file that is not in the snapshot");
		c->w.status = 1;
		return;
	}
	if (le->done || le->alt != NULL) {
		target = le->done ? e->link : le->alt;
		if (gs_entry_fill(c->w.ae, e, e->path) != 0)
			c->w.status = 1;
		unprivilege(c, e);
		archive_entry_set_filetype(c->w.ae, AE_IFREG);
		archive_entry_set_size(c->w.ae, 0);
		archive_entry_set_hardlink(c->w.ae, target);
		if (gs_entry_header(&c->w, e->path) == 0)
			gs_entry_finish(&c->w, e->path);
		return;
	}
	if (le->chunks == NULL && le->size > 0) {
		gs_entry_warn(e->path, "hard link target was not restored and its content is lost");
		c->w.status = 1;
		return;
	}
	/* The first name was not restored: this name gets the content. */
	if (put_file(c, e, (const uint8_t(*)[GS_ID_LEN])le->chunks, le->nchunks, le->size,
	             le->hash)) {
		if ((le->alt = gs_strdup(e->path)) == NULL) {
			c->w.fatal = 1;
			return;
		}
		free(le->chunks);
		le->chunks = NULL;
		le->nchunks = 0;
	}
}

/* Remember a restored directory's mtime; out of memory only loses that. */
static void
note_dir(struct ctx *c, const struct gs_mentry *e)
{
	struct dirtime *nd;
	size_t ncap;

	if (c->ndirs == c->capdirs) {
		ncap = c->capdirs ? c->capdirs * 2 : 64;
		if ((nd = reallocarray(c->dirs, ncap, sizeof(*nd))) == NULL)
			return;
		c->dirs = nd;
		c->capdirs = ncap;
	}
	if ((c->dirs[c->ndirs].path = gs_strdup(e->path)) == NULL)
		return;
	c->dirs[c->ndirs].sec = e->mtime_sec;
	c->dirs[c->ndirs].nsec = e->mtime_nsec;
	c->ndirs++;
}

/*
 * libarchive defers the times of directories it creates until the end, but
 * sets those of directories that already existed at once, so restoring over
 * an existing tree leaves them with the time of their last change.  Set them
 * again once everything is written.
 */
static void
fix_dir_times(struct ctx *c)
{
	struct timespec ts[2];
	size_t i;

	for (i = 0; i < c->ndirs; i++) {
		ts[0].tv_sec = ts[1].tv_sec = (time_t)c->dirs[i].sec;
		ts[0].tv_nsec = ts[1].tv_nsec = (long)c->dirs[i].nsec;
		if (gs_disk_utimens(c->dirs[i].path, ts) != 0) {
			gs_entry_warn(c->dirs[i].path, "cannot set the time: %s", strerror(errno));
			c->w.status = 1;
		}
	}
}

static void
do_other(struct ctx *c, const struct gs_mentry *e)
{
	struct stat before;
	int old;

	if (e->type == GS_FT_SYMLINK && e->link == NULL) {
		gs_entry_warn(e->path, "symlink without a target");
		c->w.status = 1;
		return;
	}
	old = existing(c, e->path, &before);
	if (gs_entry_fill(c->w.ae, e, e->path) != 0)
		c->w.status = 1;
	unprivilege(c, e);
	if (gs_entry_header(&c->w, e->path) == 0) {
		if (gs_entry_finish(&c->w, e->path) == 0 && old &&
		    gs_disk_prune_xattrs(e, &before) != 0)
			c->w.status = 1;
		if (e->type == GS_FT_DIR && c->o->overwrite)
			note_dir(c, e);
	}
}

static void
one(struct ctx *c, struct gs_mentry *e)
{
	int want = included(c->o, e);
	int safe = gs_reader_path_ok(e->path);

	if (want && !safe) {
		gs_entry_warn(e->path, "unsafe path in the manifest; skipped");
		c->w.status = 1;
	}
	if (want && safe && c->o->verbose)
		gs_entry_verbose(e->path);
	if (e->type == GS_FT_FILE) {
		do_file(c, e, want && safe);
	} else if (want && safe) {
		switch (e->type) {
		case GS_FT_HARDLINK:
			do_hardlink(c, e);
			break;
		case GS_FT_SOCK:
			/* A socket is recreated by its server, not by a restore. */
			break;
		case GS_FT_CHR:
		case GS_FT_BLK:
			if (c->o->privileged) {
				do_other(c, e);
				break;
			}
			gs_entry_warn(e->path,
			              "%s device %u,%u not restored (only with --privileged)",
			              e->type == GS_FT_CHR ? "character" : "block",
			              major((dev_t)e->rdev), minor((dev_t)e->rdev));
			c->leftout = 1;
			break;
		default:
			do_other(c, e);
		}
	}
	if (want)
		gs_progress_add(&c->pg, 0, 1);
}

/*
 * The first walk: plan the chunks of every regular file the second walk
 * will write, under its ordinal in the manifest.  Returns 1 at the end of
 * the manifest, -1 when it is damaged (named; *ret_n entries were read
 * intact), -2 when out of memory (warned).
 */
static int
plan(struct ctx *c, struct gs_manifest *m, uint64_t *ret_n)
{
	struct gs_mentry e;
	int rc;

	while ((rc = gs_reader_manifest_next(m, &e)) == 0) {
		/* Only the files hard links name are remembered (do_file). */
		if (e.type == GS_FT_HARDLINK && e.link != NULL &&
		    gs_linkmap_put(c->lm, e.link) == NULL) {
			gs_mentry_clear(&e);
			return -2;
		}
		if (e.type == GS_FT_FILE && e.nchunks > 0 && included(c->o, &e) &&
		    gs_reader_path_ok(e.path) &&
		    gs_fetch_plan_file(c->fetch, gs_reader_manifest_count(m),
		                       (const uint8_t(*)[GS_ID_LEN])e.chunks, e.nchunks) != 0) {
			gs_mentry_clear(&e);
			return -2;
		}
		gs_mentry_clear(&e);
		*ret_n = gs_reader_manifest_count(m);
	}
	return rc;
}

/*
 * gs_extract(rd, s, o): restore snapshot s relative to the current working
 * directory.  See extract.h.
 */
int
gs_extract(struct gs_reader *rd, const struct gs_rsnap *s, const struct gs_extract_opts *o)
{
	struct gs_manifest *m;
	struct gs_mentry e;
	uint64_t nplanned = 0;
	struct ctx c;
	int flags, r, part, rc = -1;

	memset(&c, 0, sizeof(c));
	c.rd = rd;
	c.o = o;
	flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	        ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
	        ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
	        ARCHIVE_EXTRACT_SPARSE;
	if (geteuid() == 0)
		flags |= ARCHIVE_EXTRACT_OWNER;
	if (o->overwrite)
		flags |= ARCHIVE_EXTRACT_UNLINK;
	if ((c.w.a = archive_write_disk_new()) == NULL) {
		gs_warn("cannot allocate an archive writer");
		goto err0;
	}
	if (archive_write_disk_set_options(c.w.a, flags) != ARCHIVE_OK ||
	    archive_write_disk_set_standard_lookup(c.w.a) != ARCHIVE_OK) {
		gs_warn("archive_write_disk: %s", archive_error_string(c.w.a));
		goto err1;
	}
	if ((c.w.ae = archive_entry_new()) == NULL) {
		gs_warn("cannot allocate an archive entry");
		goto err1;
	}
	if ((c.lm = gs_linkmap_new()) == NULL)
		goto err2;
	part = o->nincludes > 0 || o->select != NULL; /* totals unknown */
	gs_progress_init(&c.pg, o->progress, part ? 0 : s->info.bytes, part ? 0 : s->info.files);
	if (gs_entry_content_init(&c.content, rd, &c.pg) != 0)
		goto err3;
	if ((c.fetch = gs_fetch_new(rd, o->remote, 0)) == NULL)
		goto err4;
	if ((m = gs_reader_manifest_open(rd, s)) == NULL)
		goto err5;
	if ((rc = plan(&c, m, &nplanned)) == -2) {
		rc = -1;
		goto err6;
	}
	gs_reader_manifest_free(m);
	if ((m = gs_reader_manifest_open(rd, s)) == NULL || gs_fetch_start(c.fetch) != 0) {
		rc = -1;
		goto err6;
	}
	c.content.fetch = c.fetch;
	/* A damaged manifest was named by the first walk: stop before it. */
	while (!c.w.fatal && (rc == 1 || gs_reader_manifest_count(m) < nplanned)) {
		if ((r = gs_reader_manifest_next(m, &e)) != 0) {
			if (r < 0)
				c.w.status = 1; /* unreadable this time (named) */
			break;
		}
		c.content.ord = gs_reader_manifest_count(m);
		one(&c, &e);
		gs_mentry_clear(&e);
	}
	if (rc < 0)
		c.w.status = 1; /* the manifest is damaged: what came before is restored */
	/* Directory permissions and times are applied here, deepest first. */
	if (archive_write_close(c.w.a) != ARCHIVE_OK) {
		gs_warn("finishing the restore: %s", archive_error_string(c.w.a));
		c.w.status = 1;
	}
	fix_dir_times(&c);
	gs_progress_done(&c.pg);
	if (o->first_byte_ns != NULL)
		*o->first_byte_ns = c.pg.first_ns;
	if (c.w.fatal) {
		uint64_t at = gs_reader_manifest_count(m);

		gs_warn("restore stopped%s%s: %llu of %llu entries not restored; run it again "
		        "with --overwrite once that is fixed",
		        c.cause[0] ? ": " : "", c.cause,
		        (unsigned long long)(nplanned >= at ? nplanned - at + 1 : 1),
		        (unsigned long long)nplanned);
	}
	rc = c.w.fatal ? -1 : c.w.status ? 1 : c.leftout ? 2 : 0;

	while (c.ndirs > 0)
		free(c.dirs[--c.ndirs].path);
	free(c.dirs);
err6:
	gs_reader_manifest_free(m);
err5:
	if (o->stats != NULL)
		gs_fetch_stats(c.fetch, o->stats);
	gs_fetch_free(c.fetch);
err4:
	gs_entry_content_free(&c.content);
err3:
	gs_linkmap_free(c.lm);
err2:
	archive_entry_free(c.w.ae);
err1:
	archive_write_free(c.w.a);
err0:
	return rc;
}
