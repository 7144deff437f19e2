/*
 * entry.c -- manifest entries to libarchive entries, writing them (header
 * and finish, for extract and export alike), and file content.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/format.h"
#include "geosnap/util.h"
#include "extract/entry.h"

/* gs_entry_type_name(type): "file", "dir", ... for messages and JSON. */
const char *
gs_entry_type_name(uint8_t type)
{
	switch (type) {
	case GS_FT_FILE:
		return "file";
	case GS_FT_DIR:
		return "dir";
	case GS_FT_SYMLINK:
		return "symlink";
	case GS_FT_HARDLINK:
		return "hardlink";
	case GS_FT_FIFO:
		return "fifo";
	case GS_FT_CHR:
		return "chardev";
	case GS_FT_BLK:
		return "blockdev";
	case GS_FT_SOCK:
		return "socket";
	default:
		return "unknown";
	}
}

/*
 * gs_entry_quote(path, out, cap): path (or any string from a snapshot) made
 * safe for a terminal and a log line; gs_quote() (util.h) says how.
 * Returns out.
 */
char *
gs_entry_quote(const char *path, char *out, size_t cap)
{
	return gs_quote(path, out, cap);
}

/*
 * gs_entry_warn(path, fmt, ...): gs_warn("PATH: message") with path and
 * message quoted (gs_entry_quote), so that names a message carries (an
 * xattr name, a libarchive error that repeats the path) are safe too.
 */
void
gs_entry_warn(const char *path, const char *fmt, ...)
{
	char q[1024], msg[1024], qmsg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gs_warn("%s: %s", gs_entry_quote(path, q, sizeof(q)),
	        gs_entry_quote(msg, qmsg, sizeof(qmsg)));
}

/* gs_entry_verbose(path): print the quoted path on its own line on stderr. */
void
gs_entry_verbose(const char *path)
{
	char q[4096];

	fprintf(stderr, "%s\n", gs_entry_quote(path, q, sizeof(q)));
}

/*
 * gs_entry_fill(ae, e, pathname): clear ae and describe the manifest entry e
 * in it under pathname (copied): type, permissions, owner, mtime, size,
 * rdev, symlink target, xattrs and ACL.  Hard links are left to the caller.
 * With an ACL that has a mask, the group permission bits of ae are those of
 * the ACL's group:: entry (libarchive's representation), not the mask.
 * Returns 0, or 1 when the ACL could not be carried over (warned).
 */
int
gs_entry_fill(struct archive_entry *ae, const struct gs_mentry *e, const char *pathname)
{
	unsigned ft;
	uint32_t i;
	int rc = 0;

	switch (e->type) {
	case GS_FT_DIR:
		ft = AE_IFDIR;
		break;
	case GS_FT_SYMLINK:
		ft = AE_IFLNK;
		break;
	case GS_FT_FIFO:
		ft = AE_IFIFO;
		break;
	case GS_FT_CHR:
		ft = AE_IFCHR;
		break;
	case GS_FT_BLK:
		ft = AE_IFBLK;
		break;
	case GS_FT_SOCK:
		ft = AE_IFSOCK;
		break;
	default:
		ft = AE_IFREG;
	}
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, pathname);
	archive_entry_set_filetype(ae, ft);
	archive_entry_set_perm(ae, (mode_t)(e->mode & 07777));
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	if (e->uname != NULL)
		archive_entry_set_uname(ae, e->uname);
	if (e->gname != NULL)
		archive_entry_set_gname(ae, e->gname);
	archive_entry_set_mtime(ae, (time_t)e->mtime_sec, (long)e->mtime_nsec);
	if (e->type == GS_FT_FILE)
		archive_entry_set_size(ae, (la_int64_t)e->size);
	else
		archive_entry_set_size(ae, 0);
	if (e->type == GS_FT_CHR || e->type == GS_FT_BLK)
		archive_entry_set_rdev(ae, (dev_t)e->rdev);
	if (e->type == GS_FT_SYMLINK && e->link != NULL)
		archive_entry_set_symlink(ae, e->link);
	for (i = 0; i < e->nxattrs; i++)
		archive_entry_xattr_add_entry(ae, e->xattrs[i].name, e->xattrs[i].value,
		                              e->xattrs[i].len);
	/*
	 * libarchive keeps the permission bits and the ACL's user::, group::
	 * and other:: entries in one place, so with a mask the group bits
	 * become those of group::, not the mask stat() shows.  Setting the
	 * mode again would change group:: instead.  Restore sets the ACL and
	 * the kernel puts the mask back into the mode; formats without ACLs
	 * set the mode again (export.c).
	 */
	if (e->acl != NULL && e->acl[0] != '\0' &&
	    archive_entry_acl_from_text(ae, e->acl, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E) != ARCHIVE_OK) {
		archive_entry_acl_clear(ae);
		if (archive_entry_acl_from_text(ae, e->acl, ARCHIVE_ENTRY_ACL_TYPE_NFS4) !=
		    ARCHIVE_OK) {
			archive_entry_acl_clear(ae);
			gs_entry_warn(e->path, "the recorded ACL cannot be parsed; not restored");
			rc = 1;
		}
	}
	return rc;
}

/*
 * gs_entry_header(w, path): write the header of the filled entry w->ae into
 * w->a.  A warning that w->warn_ok accepts passes silently; any other
 * problem is warned naming path and sets w->status.  Returns 0 when the
 * entry can go on (a warning included), 1 when it failed, -1 when the
 * archive cannot go on (w->fatal set).
 */
int
gs_entry_header(struct gs_entry_writer *w, const char *path)
{
	int r = archive_write_header(w->a, w->ae);

	if (r == ARCHIVE_OK || (r == ARCHIVE_WARN && w->warn_ok != NULL && w->warn_ok(w)))
		return 0;
	gs_entry_warn(path, "%s", archive_error_string(w->a));
	w->status = 1;
	if (r == ARCHIVE_WARN)
		return 0;
	if (r == ARCHIVE_FATAL) {
		w->fatal = 1;
		return -1;
	}
	return 1;
}

/*
 * gs_entry_finish(w, path): finish the current entry of w->a; a problem is
 * warned naming path and sets w->status.  Returns 0, or -1 when the archive
 * cannot go on (w->fatal set).
 */
int
gs_entry_finish(struct gs_entry_writer *w, const char *path)
{
	int r = archive_write_finish_entry(w->a);

	if (r == ARCHIVE_OK)
		return 0;
	gs_entry_warn(path, "%s", archive_error_string(w->a));
	w->status = 1;
	if (r == ARCHIVE_FATAL) {
		w->fatal = 1;
		return -1;
	}
	return 0;
}

/* gs_entry_content_init(c, rd, pg): 0 or -1 (warned). */
int
gs_entry_content_init(struct gs_content *c, struct gs_reader *rd, struct gs_progress *pg)
{
	memset(c, 0, sizeof(*c));
	c->rd = rd;
	c->pg = pg;
	if ((c->xs = XXH3_createState()) == NULL) {
		gs_warn("cannot allocate a hash state");
		return -1;
	}
	return 0;
}

/* gs_entry_content_free(c): release the scratch state. */
void
gs_entry_content_free(struct gs_content *c)
{
	gs_buf_clear(&c->buf);
	if (c->xs != NULL)
		XXH3_freeState(c->xs);
	c->xs = NULL;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Write n zero bytes at the current position of a streaming archive. */
static int
write_zeros(struct archive *a, uint64_t n)
{
	static const uint8_t z[65536];
	size_t k;

	while (n > 0) {
		k = n > sizeof(z) ? sizeof(z) : (size_t)n;
		if (archive_write_data(a, z, k) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/*
 * gs_entry_content(c, a, path, chunks, nchunks, size, hash, flags): see
 * entry.h.
 */
int
gs_entry_content(struct gs_content *c, struct archive *a, const char *path,
                 const uint8_t (*chunks)[GS_ID_LEN], uint32_t nchunks, uint64_t size,
                 const uint8_t hash[16], int flags)
{
	XXH128_canonical_t canon;
	uint64_t off = 0, len;
	uint32_t i, rlen;
	int bad = 0;

	XXH3_128bits_reset(c->xs);
	for (i = 0; i < nchunks; i++) {
		const uint8_t *p;
		size_t plen;
		int r;

		if (c->fetch != NULL) {
			r = gs_fetch_chunk(c->fetch, c->ord, i, chunks[i], GS_CT_DATA, &p, &plen,
			                   &c->buf);
		} else {
			r = gs_reader_chunk(c->rd, chunks[i], GS_CT_DATA, &c->buf);
			p = c->buf.p;
			plen = c->buf.len;
		}
		if (r != 0) {
			/* Leave a gap of the right size when the index knows it. */
			gs_entry_warn(path, "chunk %u of %u unreadable; the file is incomplete",
			              (unsigned)i + 1, (unsigned)nchunks);
			bad = 1;
			if (gs_reader_chunk_len(c->rd, chunks[i], &rlen) != 0)
				break;
			len = rlen;
			if (!(flags & GS_CONTENT_DISK) && off + len <= size &&
			    write_zeros(a, len) != 0)
				goto fail;
			off += len;
			continue;
		}
		len = plen;
		XXH3_128bits_update(c->xs, p, plen);
		if (off + len > size) {
			/* Reported below; never write past the recorded size. */
			len = off < size ? size - off : 0;
		}
		if (flags & GS_CONTENT_DISK) {
			if (len > 0 && !all_zero(p, (size_t)len) &&
			    archive_write_data_block(a, p, (size_t)len, (la_int64_t)off) <
			        ARCHIVE_OK)
				goto fail;
		} else if (len > 0 && archive_write_data(a, p, (size_t)len) < 0) {
			goto fail;
		}
		off += plen;
		if (c->pg != NULL)
			gs_progress_add(c->pg, plen, 0);
	}
	if (!(flags & GS_CONTENT_DISK) && off < size && write_zeros(a, size - off) != 0)
		goto fail;
	if (bad)
		return 1;
	if (off != size) {
		gs_entry_warn(path, "chunks hold %llu bytes, the manifest records %llu",
		              (unsigned long long)off, (unsigned long long)size);
		return 1;
	}
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(c->xs));
	if (memcmp(canon.digest, hash, 16) != 0) {
		gs_entry_warn(path, "content does not match its checksum");
		return 1;
	}
	return 0;

fail:
	if (archive_errno(a) > 0)
		gs_entry_warn(path, "%s: %s", archive_error_string(a), strerror(archive_errno(a)));
	else
		gs_entry_warn(path, "%s", archive_error_string(a));
	return -1;
}
