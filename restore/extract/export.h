/*
 * export.h -- write a snapshot as a standard archive (GNU tar, pax or zip)
 * for hand-back to the customer.
 */
#ifndef GEOSNAP_EXPORT_H
#define GEOSNAP_EXPORT_H

#include "read/fetch.h"
#include "read/reader.h"

#define GS_EXPORT_TAR 1 /* GNU tar */
#define GS_EXPORT_PAX 2 /* POSIX pax, with xattrs and ACLs */
#define GS_EXPORT_ZIP 3 /* zip; hard links become copies */

struct gs_export_opts {
	int format;         /* GS_EXPORT_* */
	const char *output; /* file to create (must not exist), or "-" for stdout */
	int progress;       /* draw a progress bar on stderr */
	int verbose;        /* name every entry on stderr */
	const struct gs_remote_conf *remote; /* where rd reads from, for the read
	                                        engine's connections (NULL: local) */
	struct gs_fetch_stats *stats;        /* filled with what was read, or NULL */
};

/*
 * gs_export_format(name): GS_EXPORT_* for "tar", "pax" or "zip"; 0 if none.
 */
int gs_export_format(const char *name);

/*
 * gs_export(rd, s, o): write every entry of snapshot s into a new archive.
 * Paths are checked as for a restore (unsafe ones skipped and named), a
 * file whose recorded size its chunks cannot have (gs_reader_size_check) is
 * left out and named, every file's content is verified against its
 * XXH3-128 and every chunk against its keyed ID.  Privileged entries
 * (devices, setuid files, capabilities) are kept: an archive plants nothing
 * until someone extracts it.  Members are written depth first in path order ('/' before
 * every other byte: each directory is followed by its whole subtree); of a
 * group of hard links the first name in that order gets the content, the
 * others link to it (zip: every name gets a copy).  Names are stored as
 * their bytes.  The entries are held in memory meanwhile (about twice the
 * manifest's size; docs/EXPORT.md).  Returns 0 when the archive is exact and complete; 1 when
 * some entries were skipped or are wrong (each warned, the archive is
 * otherwise complete); -1 when the archive could not be written (warned;
 * a partly written output file is removed).
 */
int gs_export(struct gs_reader *rd, const struct gs_rsnap *s, const struct gs_export_opts *o);

#endif
