/*
 * extract.h -- restore a snapshot onto the local file system through
 * libarchive's archive_write_disk with its secure flags always on.
 */
#ifndef GEOSNAP_EXTRACT_H
#define GEOSNAP_EXTRACT_H

#include <stddef.h>

#include "read/fetch.h"
#include "read/reader.h"

struct gs_extract_opts {
	const char *const *includes; /* path prefixes (whole components), or none */
	size_t nincludes;
	int overwrite; /* replace existing files (ARCHIVE_EXTRACT_UNLINK), write over
	                  existing directories (dropping xattrs they no longer have) */
	int progress;  /* draw a progress bar on stderr */
	int verbose;   /* name every restored entry on stderr */
	const struct gs_remote_conf *remote; /* where rd reads from, for the read
	                                        engine's connections (NULL: local) */
	struct gs_fetch_stats *stats;        /* filled with what was read, or NULL */
	int privileged;                      /* also restore what grants privileges: device nodes,
	                                        setuid/setgid bits of non-directories, the
	                                        security.capability and trusted.* xattrs */
	/* A further selection (the restore test's sample): an entry under
	 * includes is restored only when select(select_arg, e) returns 1;
	 * NULL: every entry. */
	int (*select)(void *select_arg, const struct gs_mentry *e);
	void *select_arg;
	int64_t *first_byte_ns; /* set to gs_mono_ns() when the first content
	                           byte was written (0: none), or NULL */
};

/*
 * gs_extract(rd, s, o): restore snapshot s (or the parts of it under
 * o->includes) relative to the current working directory, which the caller
 * has made the (empty, unless o->overwrite) target directory.  Manifest paths
 * are used as they are, so libarchive's SECURE_NOABSOLUTEPATHS, NODOTDOT and
 * SYMLINKS checks all apply, after our own path check.  Every file is
 * verified against its XXH3-128 and every chunk against its keyed ID.
 * With o->select, only the entries it selects are restored (and planned).
 * Content, permissions, mtime, ownership (when euid is 0), symlinks, hard
 * links, FIFOs, xattrs and ACLs are restored; sockets are skipped.  What
 * grants privileges is restored only with o->privileged: device nodes, the
 * setuid and setgid bits of anything but a directory, and the
 * security.capability and trusted.* xattrs; otherwise each is named and left
 * out (a file is restored without the bits or xattrs).  A file whose
 * recorded size its chunks cannot have (gs_reader_size_check) is named and
 * not written at all; one whose content could not be restored exactly (an
 * unreadable chunk, a checksum that does not match, a failed write) is
 * removed again and named, so that every regular file the restore leaves
 * is exact.  The manifest is walked twice: first to plan every chunk the
 * restore reads (read/fetch.h), then to write.
 * With o->overwrite, an object kept in place (a directory) loses the user.,
 * trusted. and security. xattrs its entry does not have (not the kernel's
 * security labels; ACLs are left to the ACL restore), without following a
 * symlink.
 * Returns 0 when everything selected was restored exactly; 1 when some
 * entries were skipped or are wrong (each warned, naming the entry; the
 * rest was restored); 2 when everything was restored but what only
 * o->privileged restores (each warned); -1 when the restore could not run
 * or had to stop (warned).
 */
/*
 * gs_extract(rd, s, o): restore snapshot s relative to the current working
 * directory.  See extract.h.
 */
int gs_extract(struct gs_reader *rd, const struct gs_rsnap *s, const struct gs_extract_opts *o);

#endif
