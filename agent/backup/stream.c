/*
 * stream.c -- turning a stream of bytes into a list of chunk IDs: a source
 * file (gs_bk_read_file(), on a worker thread), then the manifest and the
 * reference stream with the pins of every chunk the snapshot uses
 * (gs_bk_store_manifest(), on the main thread once the workers and the
 * committer have stopped).
 *
 * The chunker cuts; cut_all() emits every complete chunk of a buffer and
 * the caller keeps the tail for the next read.  A file is staged in the
 * worker's buffer (a maximal chunk plus a read's worth, so every cut is
 * complete); a stream that is not in one buffer (the manifest is the
 * slots, one after the other) goes through a struct sstream, which stages
 * two maximal chunks.
 *
 * Locking: a struct stream or sstream belongs to one thread.  What
 * gs_bk_read_file() shares (res.vanished, res.unreadable, bytes_done) it
 * changes under c->mu; gs_bk_put_chunk() takes c->mu itself; notes go
 * through gs_bk_scan_note().  gs_bk_store_manifest() runs alone (c->sync)
 * and takes no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "backup_internal.h"

/* First capacity of a chunk list (it doubles). */
#define IDLIST_FIRST 8
/* An sstream stages this many maximal chunks (a cut is forced every
 * maximal chunk, so each cut frees at least half). */
#define SS_STAGE_CHUNKS 2

/* idlist_add(l, id): append a copy of id.  0 or -1 (warned). */
static int
idlist_add(struct idlist *l, const uint8_t id[GS_ID_LEN])
{
	if (l->n == l->cap) {
		uint32_t nc = l->cap ? l->cap * 2 : IDLIST_FIRST;
		void *nv = realloc(l->v, (size_t)nc * GS_ID_LEN);

		if (nv == NULL) {
			gs_warnp("realloc");
			return -1;
		}
		l->v = nv;
		l->cap = nc;
	}
	memcpy(l->v[l->n++], id, GS_ID_LEN);
	return 0;
}

/* A stream being chunked: cut_all() emits the complete chunks of the
 * staged bytes, the caller emit()s the tail at the end. */
struct stream {
	struct writer *w;
	struct gs_chunker ch;
	uint8_t type;
	struct idlist ids;
	XXH3_state_t *xs;
};

/* emit(s, p, n): hash (when s->xs) and store p[0..n) as one chunk and
 * append its ID to s->ids.  0 or -1 (warned). */
static int
emit(struct stream *s, const uint8_t *p, size_t n)
{
	uint8_t id[GS_ID_LEN];

	if (s->xs)
		XXH3_128bits_update(s->xs, p, n);
	if (gs_bk_put_chunk(s->w, p, n, s->type, id))
		return -1;
	return idlist_add(&s->ids, id);
}

/* Cut and emit all complete chunks of buf[0..len); returns bytes consumed. */
static ssize_t
cut_all(struct stream *s, const uint8_t *buf, size_t len, size_t *scanned)
{
	size_t start = 0;

	for (;;) {
		size_t n = gs_chunker_scan(&s->ch, buf + *scanned, len - *scanned);

		if (n == GS_CHUNKER_NONE) {
			*scanned = len;
			return (ssize_t)start;
		}
		*scanned += n;
		if (emit(s, buf + start, *scanned - start))
			return -1;
		start = *scanned;
	}
}

/*
 * gs_bk_read_file(w, j, bufp, capp, ret, ret_hash, ret_size, ret_changed,
 * ret_moved): read and chunk the regular file of job j through w, staging
 * in *bufp (*capp bytes, borrowed).  Returns 0 (the chunk IDs in ret, to
 * free; the XXH3-128 of the content in ret_hash, its length in ret_size),
 * 1 if it vanished or could not be read (noted and counted), -1 on a fatal
 * error (warned).  On 0, *ret_changed is set when it was replaced or its
 * size, mtime or length moved while read (noted), and *ret_moved when only
 * its ctime did (not noted: a chmod, an xattr, a link or unlink, or a
 * writer that put mtime back; not to be cached).  On a worker thread.
 */
int
gs_bk_read_file(struct writer *w, struct job *j, uint8_t **bufp, size_t *capp, struct idlist *ret,
                uint8_t ret_hash[BK_HASH_LEN], uint64_t *ret_size, int *ret_changed, int *ret_moved)
{
	struct ctx *c = w->c;
	struct stream s = {.w = w, .type = GS_CT_DATA};
	struct stat st;
	size_t have = 0, scanned = 0;
	uint64_t total = 0;
	XXH128_canonical_t canon;
	int fd, eof = 0, rc = -1;

	if ((fd = open(j->srcpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME)) < 0 &&
	    errno == EPERM)
		fd = open(j->srcpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			gs_bk_scan_note(c, "%s: vanished during the backup", j->srcpath);
			pthread_mutex_lock(&c->mu);
			c->res.vanished++;
		} else {
			gs_bk_scan_note(c, "%s: cannot read: %s", j->srcpath, strerror(errno));
			pthread_mutex_lock(&c->mu);
			c->res.unreadable++;
		}
		pthread_mutex_unlock(&c->mu);
		return 1;
	}
	if (fstat(fd, &st) || st.st_ino != j->st.st_ino || st.st_dev != j->st.st_dev) {
		gs_bk_scan_note(c, "%s: replaced during the backup", j->srcpath);
		*ret_changed = 1;
	}
	if ((s.xs = XXH3_createState()) == NULL) {
		gs_warnp("xxh3");
		goto out;
	}
	XXH3_128bits_reset(s.xs);
	gs_chunker_init(&s.ch, &c->cp);
	while (!eof) {
		ssize_t used;

		while (have < *capp) {
			ssize_t n = read(fd, *bufp + have, *capp - have);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				gs_bk_scan_note(c, "%s: read error: %s", j->srcpath,
				                strerror(errno));
				pthread_mutex_lock(&c->mu);
				c->res.unreadable++;
				pthread_mutex_unlock(&c->mu);
				rc = 1;
				goto out;
			}
			if (n == 0) {
				eof = 1;
				break;
			}
			have += (size_t)n;
			total += (uint64_t)n;
			pthread_mutex_lock(&c->mu);
			c->bytes_done += (uint64_t)n;
			pthread_mutex_unlock(&c->mu);
		}
		if ((used = cut_all(&s, *bufp, have, &scanned)) < 0)
			goto out;
		if (eof) {
			if ((size_t)used < have && emit(&s, *bufp + used, have - (size_t)used))
				goto out;
			break;
		}
		memmove(*bufp, *bufp + used, have - (size_t)used);
		have -= (size_t)used;
		scanned -= (size_t)used;
	}
	/* Everything the files cache compares must be as the walker saw it,
	 * ctime too: a writer can put mtime back (touch -r, cp -p), not ctime.
	 * A ctime that alone moved is no warning (an unlink moves it too). */
	if (fstat(fd, &st) != 0 || st.st_size != j->st.st_size ||
	    st.st_mtim.tv_sec != j->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != j->st.st_mtim.tv_nsec || (uint64_t)st.st_size != total) {
		gs_bk_scan_note(c, "%s: changed while being read (stored %llu bytes as read)",
		                j->srcpath, (unsigned long long)total);
		*ret_changed = 1;
	} else if (st.st_ctim.tv_sec != j->st.st_ctim.tv_sec ||
	           st.st_ctim.tv_nsec != j->st.st_ctim.tv_nsec)
		*ret_moved = 1;
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(s.xs));
	memcpy(ret_hash, canon.digest, BK_HASH_LEN);
	*ret_size = total;
	*ret = s.ids;
	s.ids.v = NULL;
	rc = 0;
out:
	if (s.xs)
		XXH3_freeState(s.xs);
	free(s.ids.v);
	close(fd);
	return rc;
}

/*
 * Chunking a stream that is not in one buffer (the manifest is the slots,
 * one after the other): bytes are staged in a buffer of two maximal chunks
 * and cut as it fills, so the stream is never held whole in memory.
 */
struct sstream {
	struct writer w;
	struct stream s;
	uint8_t *buf;
	size_t cap, have, scanned;
	uint64_t total;
	int err;
};

/* ss_open(ss, c, type): start a stream of chunks of type GS_CT_*, with its
 * own writer.  0, or -1 (warned; ss_close() reports it and frees). */
static int
ss_open(struct sstream *ss, struct ctx *c, uint8_t type)
{
	memset(ss, 0, sizeof(*ss));
	ss->cap = SS_STAGE_CHUNKS * c->cp.max;
	if (gs_bk_writer_init(&ss->w, c) || (ss->buf = malloc(ss->cap)) == NULL) {
		ss->err = 1;
		return -1;
	}
	ss->s.w = &ss->w;
	ss->s.type = type;
	gs_chunker_init(&ss->s.ch, &c->cp);
	return 0;
}

/* ss_feed(ss, p, n): append n bytes (copied), storing every chunk they
 * complete.  An error is kept for ss_close(). */
static void
ss_feed(struct sstream *ss, const void *p, size_t n)
{
	const uint8_t *b = p;

	ss->total += n;
	while (n > 0 && !ss->err) {
		size_t take = ss->cap - ss->have < n ? ss->cap - ss->have : n;
		ssize_t used;

		memcpy(ss->buf + ss->have, b, take);
		ss->have += take;
		b += take;
		n -= take;
		if (ss->have < ss->cap)
			break;
		/* A cut is forced every max bytes: at least half is freed. */
		if ((used = cut_all(&ss->s, ss->buf, ss->have, &ss->scanned)) < 0) {
			ss->err = 1;
			break;
		}
		memmove(ss->buf, ss->buf + used, ss->have - (size_t)used);
		ss->have -= (size_t)used;
		ss->scanned -= (size_t)used;
	}
}

/* Cut and store the rest; the chunk IDs in order go to ret.  0 or -1. */
static int
ss_close(struct sstream *ss, struct idlist *ret)
{
	ssize_t used = -1;
	int rc = -1;

	if (!ss->err && (used = cut_all(&ss->s, ss->buf, ss->have, &ss->scanned)) >= 0 &&
	    ((size_t)used == ss->have ||
	     emit(&ss->s, ss->buf + used, ss->have - (size_t)used) == 0) &&
	    gs_bk_writer_flush(&ss->w) == 0) {
		*ret = ss->s.ids;
		ss->s.ids.v = NULL;
		rc = 0;
	}
	free(ss->s.ids.v);
	free(ss->buf);
	gs_bk_writer_free(&ss->w);
	return rc;
}

/* Append the pin (ID, pack that holds it) of each of n chunk IDs to out.
 * Single-threaded (workers and committer stopped).  0 or -1 (warned). */
static int
pin_ids(struct ctx *c, const uint8_t *ids, uint32_t n, struct gs_buf *out)
{
	struct gs_pin pin;
	const uint8_t *pack;

	for (uint32_t i = 0; i < n; i++) {
		memcpy(pin.id, ids + (size_t)i * GS_ID_LEN, GS_ID_LEN);
		if (gs_cindex_get(c->ci, pin.id, &pack) == NULL ||
		    memcmp(pack, gs_bk_pending_pack, GS_NAME_LEN) == 0) {
			gs_warn("internal error: tenant %s: a chunk has no published pack",
			        c->t->name);
			return -1;
		}
		memcpy(pin.pack, pack, GS_NAME_LEN);
		gs_pin_encode(out, &pin);
	}
	return out->oom ? -1 : 0;
}

/* pin_cmp(a, b): qsort order of pins: by ID, then pack. */
static int
pin_cmp(const void *a, const void *b)
{
	return memcmp(a, b, GS_PIN_LEN);
}

/*
 * gs_bk_store_manifest(c, info, sealed, meta, refpins): store the manifest
 * (its chunk IDs into meta, its length into sealed) and the reference
 * stream (the pins of its chunks into refpins); fills the counts of info.
 * After the threads stop (c->sync).  0, or -1 (warned).
 *
 * The manifest is the slots in walk order (dropped entries are empty)
 * and then the reference stream: the pin (ID and pack) of every chunk the
 * manifest names and of the manifest's own chunks, sorted by ID, each once.
 * Sorted, the stream tells the agent which chunks the snapshot uses but not
 * in which order or how often, and a change in one file still changes
 * only the stretches of the stream around its chunks' IDs, so the rest
 * dedups against the last snapshot's.  The pins of the reference chunks
 * themselves go to refpins.  Runs after the workers and the committer have
 * stopped (c->sync), so every pack is named.  Fills the counts of info.
 */
int
gs_bk_store_manifest(struct ctx *c, struct gs_snap_info *info, struct gs_snap_sealed *sealed,
                     struct idlist *meta, struct gs_buf *refpins)
{
	struct sstream ms, rs;
	struct idlist refchunks = {0};
	struct gs_buf pins = {0};
	uint8_t head[GS_MANIFEST_START_LEN], end[GS_MANIFEST_END_LEN];
	size_t n = 0;
	int rc = -1;

	gs_manifest_start(head);
	gs_manifest_end(end);
	ss_open(&ms, c, GS_CT_META);
	ss_feed(&ms, head, sizeof(head));
	for (size_t i = 0; i < c->nslots; i++) {
		const uint8_t *p;
		size_t len;

		if ((p = slot_bytes(&c->slots[i], &len)) == NULL)
			continue;
		ss_feed(&ms, p, len);
		c->res.files_stored++;
	}
	ss_feed(&ms, end, sizeof(end));
	sealed->manifest_len = ms.total;
	if (ss_close(&ms, meta))
		return -1;

	info->bytes = 0;
	for (size_t i = 0; i < c->nslots; i++) {
		const uint8_t *p, *ids;
		struct gs_rd r;
		uint64_t size;
		uint32_t nids;
		uint8_t type;
		size_t len;

		if ((p = slot_bytes(&c->slots[i], &len)) == NULL)
			continue;
		gs_rd_init(&r, p, len);
		if (gs_mentry_peek(&r, &type, &size, &ids, &nids) != 0) {
			gs_warn("internal error: manifest entry does not parse");
			goto out;
		}
		if (type == GS_FT_FILE)
			info->bytes += size;
		if (pin_ids(c, ids, nids, &pins))
			goto out;
	}
	if (pin_ids(c, meta->v[0], meta->n, &pins))
		goto out;
	/* A set: sorted, each ID once (an ID has one preferred location). */
	if (pins.len > 0) {
		qsort(pins.p, pins.len / GS_PIN_LEN, GS_PIN_LEN, pin_cmp);
		for (size_t i = 0; i < pins.len / GS_PIN_LEN; i++)
			if (n == 0 || memcmp(pins.p + (n - 1) * GS_PIN_LEN, pins.p + i * GS_PIN_LEN,
			                     GS_ID_LEN) != 0)
				memmove(pins.p + n++ * GS_PIN_LEN, pins.p + i * GS_PIN_LEN,
				        GS_PIN_LEN);
	}
	info->nrefs = n;
	ss_open(&rs, c, GS_CT_REFS);
	ss_feed(&rs, pins.p, n * GS_PIN_LEN);
	if (ss_close(&rs, &refchunks) == 0) {
		refpins->len = 0;
		rc = pin_ids(c, refchunks.v[0], refchunks.n, refpins);
		info->nrefchunks = refchunks.n;
	}
out:
	free(refchunks.v);
	gs_buf_clear(&pins);
	return rc;
}
