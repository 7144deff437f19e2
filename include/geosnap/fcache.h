/*
 * fcache.h -- the files cache (state_dir/<tenant>.files; agent/state/
 * fcache.c owns its format), which only the backup reads and writes: what
 * a file's entry was the last time it was read, so that an unchanged file
 * is not read again.
 *
 * Threads: a loaded cache is read-only, so the walker may look records up
 * while workers run; gs_fcache_now_ns() and gs_fcache_settled() may be
 * called from any thread.  A writer belongs to one thread.
 */
#ifndef GEOSNAP_FCACHE_H
#define GEOSNAP_FCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/util.h"

/* What must be unchanged for a cached entry to be reused (the stat taken
 * before the entry was read), and when reading it began. */
struct gs_fc_stat {
	uint64_t dev, ino, size;
	uint32_t mode;
	int64_t mtime_ns, ctime_ns;
	int64_t read_ns; /* gs_fcache_now_ns() when reading the entry began */
};

struct gs_fc_rec {
	struct gs_fc_stat st;
	const uint8_t *enc; /* encoded manifest entry: u32 len + body */
	size_t enclen;
};

struct gs_fcache;
struct gs_fcache_writer;

/*
 * The files cache must never keep content older than the stat it is filed
 * under ("racily clean" entries).  A file rewritten with the same size in
 * the same timestamp tick as the read that stored it keeps its size, mtime
 * and ctime, so an entry is kept and reused only when its mtime and ctime
 * are more than GS_FC_MARGIN_NS older than the moment its read began: a
 * later write would then have moved them.  2 s covers the coarsest
 * granularity in use (FAT's 2 s mtime; ext2/3, ext4 with 128-byte inodes
 * and HFS+ have 1 s), and with it the kernel clock's tick.
 */
#define GS_FC_MARGIN_NS (2 * (int64_t)GS_NS_PER_S)

/*
 * gs_fcache_now_ns(): CLOCK_REALTIME_COARSE in ns, the clock the kernel
 * stamps mtime and ctime with (then truncated to the filesystem's
 * granularity), so a write after this reading gets a stamp of at least
 * this reading minus the granularity.
 */
int64_t gs_fcache_now_ns(void);
/*
 * gs_fcache_settled(st): 1 when st->mtime_ns and st->ctime_ns are both
 * strictly older than st->read_ns - GS_FC_MARGIN_NS, so the entry may be
 * kept in the cache and reused from it; 0 otherwise (also for stamps in the
 * future).
 */
int gs_fcache_settled(const struct gs_fc_stat *st);

/* gs_fcache_path(state_dir, tenant): "state_dir/<tenant>.files", malloc'd;
 * NULL (warned) when out of memory. */
char *gs_fcache_path(const char *state_dir, const char *tenant);

/*
 * gs_fcache_load(path): load a files cache.  NULL when there is none or it
 * is damaged (then warned: the backup reads every file, nothing is lost).
 */
struct gs_fcache *gs_fcache_load(const char *path);
/* gs_fcache_get(fc, relpath): the record of relpath (borrowed) or NULL. */
const struct gs_fc_rec *gs_fcache_get(const struct gs_fcache *fc, const char *relpath);
/* gs_fcache_totals(fc, ret_bytes, ret_files): sizes and count of the
 * records (0 for NULL). */
void gs_fcache_totals(const struct gs_fcache *fc, uint64_t *ret_bytes, uint64_t *ret_files);
/* gs_fcache_count(fc): number of records (0 for NULL). */
size_t gs_fcache_count(const struct gs_fcache *fc);
/* gs_fcache_free(fc): free a loaded cache (NULL is fine); the records it
 * lent are gone with it. */
void gs_fcache_free(struct gs_fcache *fc);

/* gs_fcache_writer_new(path): stream a new cache to a temporary file beside
 * path.  NULL (warned) on error. */
struct gs_fcache_writer *gs_fcache_writer_new(const char *path);
/* gs_fcache_writer_add(w, st, enc, len): append a record (copied); an
 * error is kept for gs_fcache_writer_commit(). */
void gs_fcache_writer_add(struct gs_fcache_writer *w, const struct gs_fc_stat *st,
                          const uint8_t *enc, size_t len);
/* gs_fcache_writer_commit(w): finish and rename over path.  0 or -1
 * (warned). */
int gs_fcache_writer_commit(struct gs_fcache_writer *w);
/* gs_fcache_writer_free(w): free w (NULL is fine), removing its temporary
 * file when it was not committed. */
void gs_fcache_writer_free(struct gs_fcache_writer *w);

#endif
