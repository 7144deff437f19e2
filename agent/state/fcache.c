/*
 * fcache.c -- the files cache in state_dir/<tenant>.files.
 *
 *   "GSFC" u32 version, records, u64 XXH3-64 of everything before it.
 *   record: u64 dev, u64 ino, u64 size, u32 mode, i64 mtime_ns,
 *           i64 ctime_ns, i64 read_ns, u32 enclen,
 *           encoded manifest entry[enclen]
 * It lives on the primary host beside the data it describes, in plaintext.
 * Version 1 had no read_ns; its entries may be racily clean (see
 * fcache.h), so it is not loaded.
 *
 * No locks: a loaded cache is read-only, a writer belongs to one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <xxhash.h>

#include "geosnap/format.h"
#include "geosnap/smap.h"
#include "geosnap/state.h"
#include "geosnap/fcache.h"

#define FC_MAGIC "GSFC"
#define FC_MAGIC_LEN 4
#define FC_VERSION 2
#define FC_VERSION_NO_READ_NS 1 /* refused: may hold racily clean entries */
#define FC_MAX ((size_t)16 << 30)
#define FC_HEAD_LEN 8 /* magic, u32 version */
#define FC_SUM_LEN 8  /* u64 XXH3-64 */
#define FC_REC_LEN 56 /* a record before its encoded entry */
/* An encoded entry starts: u32 length, u8 type, u16 path length, path. */
#define FC_ENT_PATH_OFF 5
#define FC_ENT_MIN 7
/* First capacity of the record array (it doubles). */
#define FC_RECS_FIRST 1024

struct gs_fcache {
	uint8_t *buf;
	struct gs_fc_rec *recs;
	size_t n;
	struct gs_smap *byname;
};

struct gs_fcache_writer {
	char *path, *tmp;
	FILE *f;
	XXH3_state_t *xs;
	int err;
};

/* put(w, p, n): write and hash n bytes; an error is kept in w->err. */
static void
put(struct gs_fcache_writer *w, const void *p, size_t n)
{
	XXH3_64bits_update(w->xs, p, n);
	if (fwrite(p, 1, n, w->f) != n)
		w->err = 1;
}

/*
 * gs_fcache_now_ns(): CLOCK_REALTIME_COARSE in ns, the clock the kernel
 * stamps mtime and ctime with (then truncated to the filesystem's
 * granularity), so a write after this reading gets a stamp of at least
 * this reading minus the granularity.
 */
int64_t
gs_fcache_now_ns(void)
{
	struct timespec ts;

	/* Not CLOCK_REALTIME: it runs up to a tick ahead of the coarse clock,
	 * so a write just after our reading could be stamped earlier than it.
	 * Not the mtime of a file we touch: we may not write to the sources,
	 * and state_dir may be on another filesystem. */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * GS_NS_PER_S + ts.tv_nsec;
}

/*
 * gs_fcache_settled(st): 1 when st->mtime_ns and st->ctime_ns are both
 * strictly older than st->read_ns - GS_FC_MARGIN_NS, so the entry may be
 * kept in the cache and reused from it; 0 otherwise (also for stamps in the
 * future).
 */
int
gs_fcache_settled(const struct gs_fc_stat *st)
{
	int64_t limit;

	if (st->read_ns < INT64_MIN + GS_FC_MARGIN_NS)
		return 0;
	limit = st->read_ns - GS_FC_MARGIN_NS;
	return st->mtime_ns < limit && st->ctime_ns < limit;
}

/* gs_fcache_path(state_dir, tenant): "state_dir/<tenant>.files", malloc'd;
 * NULL (warned) when out of memory. */
char *
gs_fcache_path(const char *state_dir, const char *tenant)
{
	return gs_state_path(state_dir, GS_STATE_FILES_CACHE, tenant, NULL);
}

/*
 * gs_fcache_load(path): load a files cache.  NULL when there is none or it
 * is damaged (then warned: the backup reads every file, nothing is lost).
 */
struct gs_fcache *
gs_fcache_load(const char *path)
{
	struct gs_fcache *fc;
	struct gs_rd r;
	size_t len, cap = 0;
	uint8_t *buf;

	if (gs_read_file(path, FC_MAX, &buf, &len) != 0)
		return NULL;
	if (len >= FC_HEAD_LEN + FC_SUM_LEN && memcmp(buf, FC_MAGIC, FC_MAGIC_LEN) == 0 &&
	    gs_get_le32(buf + FC_MAGIC_LEN) == FC_VERSION_NO_READ_NS) {
		gs_warn("%s: files cache of an older geosnap, which may hold entries read in "
		        "the same second as their last change; ignoring it: this backup "
		        "reads every file",
		        path);
		free(buf);
		return NULL;
	}
	if (len < FC_HEAD_LEN + FC_SUM_LEN || memcmp(buf, FC_MAGIC, FC_MAGIC_LEN) != 0 ||
	    gs_get_le32(buf + FC_MAGIC_LEN) != FC_VERSION ||
	    XXH3_64bits(buf, len - FC_SUM_LEN) != gs_get_le64(buf + len - FC_SUM_LEN)) {
		gs_warn("%s: files cache damaged or of another version; ignoring it", path);
		free(buf);
		return NULL;
	}
	if ((fc = calloc(1, sizeof(*fc))) == NULL || (fc->byname = gs_smap_new()) == NULL) {
		free(fc);
		free(buf);
		return NULL;
	}
	fc->buf = buf;
	gs_rd_init(&r, buf + FC_HEAD_LEN, len - FC_HEAD_LEN - FC_SUM_LEN);
	while (r.off < r.len) {
		struct gs_fc_rec rec;
		struct gs_rd er;
		uint16_t plen;
		const uint8_t *p;
		char *name;

		rec.st.dev = gs_rd_u64(&r);
		rec.st.ino = gs_rd_u64(&r);
		rec.st.size = gs_rd_u64(&r);
		rec.st.mode = gs_rd_u32(&r);
		rec.st.mtime_ns = (int64_t)gs_rd_u64(&r);
		rec.st.ctime_ns = (int64_t)gs_rd_u64(&r);
		rec.st.read_ns = (int64_t)gs_rd_u64(&r);
		rec.enclen = gs_rd_u32(&r);
		rec.enc = gs_rd_bytes(&r, rec.enclen);
		if (r.err || rec.enclen < FC_ENT_MIN)
			goto bad;
		/* The path sits after u32 len and u8 type. */
		gs_rd_init(&er, rec.enc + FC_ENT_PATH_OFF, rec.enclen - FC_ENT_PATH_OFF);
		plen = gs_rd_u16(&er);
		if ((p = gs_rd_bytes(&er, plen)) == NULL || (name = malloc(plen + 1u)) == NULL)
			goto bad;
		memcpy(name, p, plen);
		name[plen] = 0;
		if (fc->n == cap) {
			size_t nc = cap ? cap * 2 : FC_RECS_FIRST;
			void *nv = realloc(fc->recs, nc * sizeof(*fc->recs));

			if (nv == NULL) {
				free(name);
				goto bad;
			}
			fc->recs = nv;
			cap = nc;
		}
		fc->recs[fc->n] = rec;
		/* Store the index + 1 so that index 0 is not NULL. */
		if (gs_smap_put(fc->byname, name, (void *)(uintptr_t)(fc->n + 1))) {
			free(name);
			goto bad;
		}
		free(name);
		fc->n++;
	}
	return fc;
bad:
	gs_warn("%s: files cache damaged; ignoring it", path);
	gs_fcache_free(fc);
	return NULL;
}

/* gs_fcache_get(fc, relpath): the record of relpath (borrowed) or NULL. */
const struct gs_fc_rec *
gs_fcache_get(const struct gs_fcache *fc, const char *relpath)
{
	uintptr_t i = (uintptr_t)gs_smap_get(fc->byname, relpath);

	return i ? &fc->recs[i - 1] : NULL;
}

/* gs_fcache_totals(fc, ret_bytes, ret_files): sizes and count of the
 * records (0 for NULL). */
void
gs_fcache_totals(const struct gs_fcache *fc, uint64_t *ret_bytes, uint64_t *ret_files)
{
	*ret_bytes = 0;
	*ret_files = fc ? fc->n : 0;
	for (size_t i = 0; fc && i < fc->n; i++)
		if (S_ISREG(fc->recs[i].st.mode))
			*ret_bytes += fc->recs[i].st.size;
}

/* gs_fcache_count(fc): number of records (0 for NULL). */
size_t
gs_fcache_count(const struct gs_fcache *fc)
{
	return fc ? fc->n : 0;
}

/* gs_fcache_free(fc): free a loaded cache (NULL is fine); the records it
 * lent are gone with it. */
void
gs_fcache_free(struct gs_fcache *fc)
{
	if (fc == NULL)
		return;
	gs_smap_free(fc->byname);
	free(fc->recs);
	free(fc->buf);
	free(fc);
}

/* gs_fcache_writer_new(path): stream a new cache to a temporary file beside
 * path.  NULL (warned) on error. */
struct gs_fcache_writer *
gs_fcache_writer_new(const char *path)
{
	struct gs_fcache_writer *w = calloc(1, sizeof(*w));
	uint8_t head[FC_HEAD_LEN];
	int fd;

	if (w == NULL || (w->path = gs_strdup(path)) == NULL ||
	    (w->tmp = gs_asprintf("%s.tmp-XXXXXX", path)) == NULL ||
	    (w->xs = XXH3_createState()) == NULL)
		goto err;
	if ((fd = mkstemp(w->tmp)) < 0) {
		gs_warnp("create %s", w->tmp);
		free(w->tmp);
		w->tmp = NULL;
		goto err;
	}
	if ((w->f = fdopen(fd, "wb")) == NULL) {
		gs_warnp("fdopen %s", w->tmp);
		close(fd);
		goto err;
	}
	XXH3_64bits_reset(w->xs);
	memcpy(head, FC_MAGIC, FC_MAGIC_LEN);
	gs_le32(head + FC_MAGIC_LEN, FC_VERSION);
	put(w, head, sizeof(head));
	return w;
err:
	gs_fcache_writer_free(w);
	return NULL;
}

/* gs_fcache_writer_add(w, st, enc, len): append a record (copied); an
 * error is kept for gs_fcache_writer_commit(). */
void
gs_fcache_writer_add(struct gs_fcache_writer *w, const struct gs_fc_stat *st, const uint8_t *enc,
                     size_t len)
{
	uint8_t rec[FC_REC_LEN];

	gs_le64(rec, st->dev);
	gs_le64(rec + 8, st->ino);
	gs_le64(rec + 16, st->size);
	gs_le32(rec + 24, st->mode);
	gs_le64(rec + 28, (uint64_t)st->mtime_ns);
	gs_le64(rec + 36, (uint64_t)st->ctime_ns);
	gs_le64(rec + 44, (uint64_t)st->read_ns);
	gs_le32(rec + 52, (uint32_t)len);
	put(w, rec, sizeof(rec));
	put(w, enc, len);
}

/* gs_fcache_writer_commit(w): finish and rename over path.  0 or -1
 * (warned). */
int
gs_fcache_writer_commit(struct gs_fcache_writer *w)
{
	uint8_t sum[FC_SUM_LEN];
	FILE *f = w->f;

	gs_le64(sum, XXH3_64bits_digest(w->xs));
	put(w, sum, sizeof(sum));
	w->f = NULL;
	/* The cache checks itself (XXH3 trailer): no fsync needed. */
	if (fclose(f) != 0 || w->err) {
		gs_warn("%s: cannot write the files cache", w->tmp);
		return -1;
	}
	if (rename(w->tmp, w->path)) {
		gs_warnp("rename %s", w->path);
		return -1;
	}
	free(w->tmp);
	w->tmp = NULL;
	return 0;
}

/* gs_fcache_writer_free(w): free w (NULL is fine), removing its temporary
 * file when it was not committed. */
void
gs_fcache_writer_free(struct gs_fcache_writer *w)
{
	if (w == NULL)
		return;
	if (w->f)
		fclose(w->f);
	if (w->tmp)
		unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	if (w->xs)
		XXH3_freeState(w->xs);
	free(w);
}
