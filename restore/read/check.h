/*
 * check.h -- full repository check of one tenant with the read key.
 */
#ifndef GEOSNAP_CHECK_H
#define GEOSNAP_CHECK_H

#include "read/fetch.h"
#include "read/reader.h"

struct gs_check_opts {
	int read_data;                       /* decrypt and verify every chunk of every pack */
	int progress;                        /* draw a progress bar on stderr */
	int verbose;                         /* report orphan packs and a summary on stderr */
	const struct gs_remote_conf *remote; /* where rd reads from, for the read
	                                        engine's connections (NULL: local) */
	struct gs_fetch_stats *stats;        /* with read_data: what was read, or NULL */
};

/*
 * gs_check(rd, o): check every object of the reader's tenant.  rd must have
 * been opened with GS_READER_NOINDEX: the check loads the index itself so
 * that one bad segment does not hide the rest.
 *   every object: its bytes hash (XXH3-128) to its name;
 *   packs: magic, header (decrypted and parsed); with read_data, every chunk
 *     decrypted, decompressed and checked against its keyed ID;
 *   index segments: parsed, and every entry agrees with its pack's header;
 *   snapshots: public and sealed parts, the manifest parsed to its end, every
 *     chunk a snapshot references present in the index and listed among the
 *     snapshot's references, every file's recorded size one its chunks can
 *     have (gs_reader_size_check), and a time not ahead of this host's clock
 *     by more than GS_SNAP_FUTURE_SKEW_S (a future-dated snapshot is a
 *     problem).
 * Each bad object is warned ("tenant T: pack NAME: ...") and the check goes
 * on.  Returns 0 when all is well, 1 when something is wrong, -1 when the
 * check could not run (warned).
 */
int gs_check(struct gs_reader *rd, const struct gs_check_opts *o);

#endif
