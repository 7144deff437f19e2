/*
 * entry.h -- turning manifest entries into libarchive entries and content,
 * shared by extract (archive_write_disk) and export (archive_write).
 */
#ifndef GEOSNAP_ENTRY_H
#define GEOSNAP_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include <archive.h>
#include <archive_entry.h>
#include <xxhash.h>

#include "geosnap/format.h"
#include "geosnap/progress.h"
#include "read/fetch.h"
#include "read/reader.h"

/*
 * gs_entry_fill(ae, e, pathname): clear ae and describe the manifest entry e
 * in it under pathname (copied): type, permissions, owner, mtime, size,
 * rdev, symlink target, xattrs and ACL.  Hard links are left to the caller.
 * With an ACL that has a mask, the group permission bits of ae are those of
 * the ACL's group:: entry (libarchive's representation), not the mask.
 * Returns 0, or 1 when the ACL could not be carried over (warned).
 */
int gs_entry_fill(struct archive_entry *ae, const struct gs_mentry *e, const char *pathname);

/*
 * gs_entry_quote(path, out, cap): path (or any string from a snapshot) made
 * safe for a terminal and a log line; gs_quote() (util.h) says how.
 * Returns out.
 */
char *gs_entry_quote(const char *path, char *out, size_t cap);

/*
 * gs_entry_warn(path, fmt, ...): gs_warn("PATH: message") with path and
 * message quoted (gs_entry_quote), so that names a message carries (an
 * xattr name, a libarchive error that repeats the path) are safe too.
 */
void gs_entry_warn(const char *path, const char *fmt, ...) GS_PRINTF(2, 3);

/* gs_entry_verbose(path): print the quoted path on its own line on stderr. */
void gs_entry_verbose(const char *path);

/* gs_entry_type_name(type): "file", "dir", ... for messages and JSON. */
const char *gs_entry_type_name(uint8_t type);

/*
 * The archive an extract (archive_write_disk) or an export (archive_write)
 * writes, and how its entries went; gs_entry_header() and
 * gs_entry_finish() keep status and fatal.
 */
struct gs_entry_writer {
	struct archive *a;        /* the caller's */
	struct archive_entry *ae; /* the entry being written, the caller's */
	int status;               /* 1 once an entry failed or is wrong */
	int fatal;                /* 1 once the archive cannot go on */
	/* Whether the warning archive_write_header() just gave is expected
	 * and no problem (export: pax names kept as their bytes); NULL: none
	 * is. */
	int (*warn_ok)(const struct gs_entry_writer *w);
};

/*
 * gs_entry_header(w, path): write the header of the filled entry w->ae into
 * w->a.  A warning that w->warn_ok accepts passes silently; any other
 * problem is warned naming path and sets w->status.  Returns 0 when the
 * entry can go on (a warning included), 1 when it failed, -1 when the
 * archive cannot go on (w->fatal set).
 */
int gs_entry_header(struct gs_entry_writer *w, const char *path);

/*
 * gs_entry_finish(w, path): finish the current entry of w->a; a problem is
 * warned naming path and sets w->status.  Returns 0, or -1 when the archive
 * cannot go on (w->fatal set).
 */
int gs_entry_finish(struct gs_entry_writer *w, const char *path);

/* Scratch state reused for every file's content. */
struct gs_content {
	struct gs_reader *rd;
	struct gs_buf buf;
	XXH3_state_t *xs;
	struct gs_progress *pg; /* may be NULL */
	/* The read engine serving the chunks, and the ordinal the current
	 * file was planned under (read/fetch.h); NULL: read through the
	 * reader one chunk at a time. */
	struct gs_fetch *fetch;
	uint64_t ord;
};

/* gs_entry_content_init(c, rd, pg): 0 or -1 (warned).  gs_entry_content_free(c). */
int gs_entry_content_init(struct gs_content *c, struct gs_reader *rd, struct gs_progress *pg);
void gs_entry_content_free(struct gs_content *c);

#define GS_CONTENT_DISK 1 /* archive_write_disk: positioned writes, holes for zeros */

/*
 * gs_entry_content(c, a, path, chunks, nchunks, size, hash, flags): write the
 * content made of chunks (size bytes, XXH3-128 hash) into the current entry
 * of a, fetching and verifying every chunk.  With GS_CONTENT_DISK all-zero
 * chunks are skipped to leave holes; otherwise every byte is written and a
 * short content is padded with zeros to size.  Returns 0 when the content
 * is exact, 1 when it is not (warned, naming path: unreadable chunk, wrong
 * length, or "PATH: content does not match its checksum"), -1 when a write
 * into a failed (warned).  The padding is bounded only by size: callers
 * refuse an entry that fails gs_reader_size_check() before its header.
 */
int gs_entry_content(struct gs_content *c, struct archive *a, const char *path,
                     const uint8_t (*chunks)[GS_ID_LEN], uint32_t nchunks, uint64_t size,
                     const uint8_t hash[16], int flags);

#endif
