/* repo_internal.h -- the files cache, private to the backup code. */
#ifndef GS_REPO_INTERNAL_H
#define GS_REPO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* What must be unchanged for a cached entry to be reused. */
struct gs_fc_stat {
	uint64_t dev, ino, size;
	uint32_t mode;
	int64_t mtime_ns, ctime_ns;
};

struct gs_fc_rec {
	struct gs_fc_stat st;
	const uint8_t *enc; /* encoded manifest entry: u32 len + body */
	size_t enclen;
};

struct gs_fcache;
struct gs_fcache_writer;

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
void gs_fcache_free(struct gs_fcache *fc);

/* gs_fcache_writer_new(path): stream a new cache to a temporary file beside
 * path.  NULL (warned) on error. */
struct gs_fcache_writer *gs_fcache_writer_new(const char *path);
/* gs_fcache_writer_add(w, st, enc, len): append a record. */
void gs_fcache_writer_add(struct gs_fcache_writer *w, const struct gs_fc_stat *st,
                          const uint8_t *enc, size_t len);
/* gs_fcache_writer_commit(w): finish and rename over path.  0 or -1. */
int gs_fcache_writer_commit(struct gs_fcache_writer *w);
void gs_fcache_writer_free(struct gs_fcache_writer *w);

#endif
