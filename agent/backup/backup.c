/*
 * backup.c -- one snapshot of one tenant.
 *
 * The main thread walks the sources with libarchive's read_disk and fills
 * one slot per entry in walk order.  Entries whose (dev, ino, size, mode,
 * mtime, ctime) match the files cache, and which had settled when they were
 * read (gs_fcache_settled()), are copied from it; regular files that must
 * be read go to a queue served by worker threads, each with its own pack
 * writer (and so its own data key).  When the walk and the queue are done,
 * the slots are concatenated into the manifest, which is chunked and stored
 * like file data; then the index segment and last the snapshot object are
 * published, so a crash at any point leaves only unreferenced packs that the
 * next run adopts (adopt_orphans()).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>
#include <xxhash.h>
#include <zstd.h>

#include "geosnap/backup.h"
#include "geosnap/chunker.h"
#include "geosnap/pack.h"
#include "geosnap/progress.h"
#include "geosnap/smap.h"
#include "fcache.h"

/* One manifest entry in walk order. */
struct slot {
	struct gs_buf enc;     /* encoded entry (u32 len + body), empty = dropped */
	const uint8_t *cached; /* or: the files cache's record, borrowed */
	size_t cachedlen;
	struct gs_fc_stat st; /* for the next files cache: the walker's lstat */
	int cacheable;        /* settled and read unchanged: keep in the cache */
};

/* slot_bytes(s, ret_len): the encoded entry of a slot, or NULL if dropped. */
static const uint8_t *
slot_bytes(const struct slot *s, size_t *ret_len)
{
	if (s->cached) {
		*ret_len = s->cachedlen;
		return s->cached;
	}
	*ret_len = s->enc.len;
	return s->enc.len ? s->enc.p : NULL;
}

struct job {
	size_t slot;
	char *srcpath;
	struct gs_mentry e; /* metadata filled by the walker */
	struct stat st;
	struct job *next;
};

/*
 * Locking.  The fields above mu are set before any thread starts and only
 * read after.  mu guards everything below it that more than one thread
 * touches: while the walker (main thread), the workers and the committer
 * run, each takes it for every read and write, and so do the functions
 * documented "called with c->mu held".  Exceptions: res.files_seen is
 * written and read only by the walker, pg only by the main thread, and
 * notes has its own notes_mu.  Once the workers and the committer are
 * joined (c->sync), the main thread is alone and needs no lock.  failed is
 * set only through set_failed(), which wakes every waiter.
 */
struct ctx {
	const struct gs_config *cfg;
	const struct gs_tenant_conf *t;
	const struct gs_repo *r;
	const struct gs_wkey *k;
	struct gs_chunker_params cp;
	uint8_t alg;

	pthread_mutex_t mu; /* guards everything below (see above) */
	pthread_cond_t cv_job, cv_space;
	struct gs_cindex *ci;
	struct slot *slots;
	size_t nslots, capslots;
	struct job *qhead, *qtail;
	size_t qlen;
	int done, failed;
	struct gs_index_pack *newpacks;
	uint32_t nnewpacks, capnewpacks;
	/* Finished packs wait here for the committer thread, which fsyncs and
	 * publishes them while the workers go on. */
	pthread_cond_t cv_commit, cv_commit_space;
	struct gs_pack_writer *cq[4];
	size_t cqhead, cqlen;
	int commit_done;
	/* Set once the workers and the committer have stopped: the manifest
	 * and reference streams are then committed by the main thread as
	 * their packs fill, so every chunk's pack is named before the
	 * reference stream pins it. */
	int sync;
	struct gs_backup_result res;
	uint64_t bytes_done;   /* read, or reused from the files cache */
	struct gs_progress pg; /* main thread only */
	/* Source files that vanished, changed or could not be read, one line
	 * each, kept in state_dir/<tenant>.scan for verify to list. */
	pthread_mutex_t notes_mu;
	struct gs_buf notes;
};

#define QUEUE_MAX 256

/* scan_note(c, fmt, ...): warn about a source file ("tenant T: ...") and
 * keep the line for the scan report. */
static void GS_PRINTF(2, 3) scan_note(struct ctx *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	gs_warn("tenant %s: %s", c->t->name, msg);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	pthread_mutex_lock(&c->notes_mu);
	gs_buf_put(&c->notes, msg, strlen(msg));
	gs_buf_u8(&c->notes, '\n');
	pthread_mutex_unlock(&c->notes_mu);
}
/* The location of a chunk claimed by a pack that is not published yet
 * (record_pack() relocates it to the pack's name). */
static const uint8_t pending_pack[GS_NAME_LEN];

/* state_dir/<tenant>.scan: "snapshot ID" then the scan's notes.  Losing
 * it loses only the names verify lists, so failures are warned, not fatal. */
static void
write_scan_report(const struct gs_config *cfg, const char *tenant, const char *snap,
                  const struct gs_buf *notes)
{
	struct gs_buf b = {0};
	char *path = gs_asprintf("%s/%s.scan", cfg->state_dir, tenant);
	char head[64];
	int n = snprintf(head, sizeof(head), "snapshot %s\n", snap);

	gs_buf_put(&b, head, (size_t)n);
	gs_buf_put(&b, notes->p, notes->len);
	if (path != NULL && !b.oom)
		gs_write_file_replace(path, b.p, b.len, 0600, 0);
	gs_buf_free(&b);
	free(path);
}

static int
add_newpack(struct ctx *c, struct gs_index_pack *p)
{
	if (c->nnewpacks == c->capnewpacks) {
		uint32_t nc = c->capnewpacks ? c->capnewpacks * 2 : 16;
		void *np = realloc(c->newpacks, (size_t)nc * sizeof(*c->newpacks));

		if (np == NULL) {
			gs_warnp("realloc");
			return -1;
		}
		c->newpacks = np;
		c->capnewpacks = nc;
	}
	c->newpacks[c->nnewpacks++] = *p;
	return 0;
}

/* Per-thread state for storing chunks. */
struct writer {
	struct ctx *c;
	struct gs_pack_writer *pw;
	ZSTD_CCtx *zc;
	uint8_t *zbuf;
	size_t zcap;
	uint8_t zero_id[GS_ID_LEN]; /* ID of the last all-zero chunk */
	size_t zero_len;
};

static int
writer_init(struct writer *w, struct ctx *c)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->zcap = ZSTD_compressBound(c->cp.max);
	if ((w->zc = ZSTD_createCCtx()) == NULL || (w->zbuf = malloc(w->zcap)) == NULL) {
		gs_warnp("zstd context");
		return -1;
	}
	ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, c->cfg->compression_level);
	return 0;
}

#define CQ_MAX (sizeof(((struct ctx *)0)->cq) / sizeof(((struct ctx *)0)->cq[0]))

/* A pack is published: its chunks' locations become its name, and it goes
 * into the new index segment.  Called with c->mu held; takes p's chunks.
 * 0 or -1 (warned). */
static int
record_pack(struct ctx *c, struct gs_index_pack *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		if (gs_cindex_relocate(c->ci, pending_pack, p->name, &p->chunks[i])) {
			free(p->chunks);
			return -1;
		}
	if (add_newpack(c, p)) {
		free(p->chunks);
		return -1;
	}
	return 0;
}

/* Hand the current pack to the committer thread (or, once c->sync is set,
 * publish it here). */
static int
writer_flush(struct writer *w)
{
	struct ctx *c = w->c;
	int rc = 0;

	if (w->pw == NULL)
		return 0;
	if (gs_pack_writer_count(w->pw) == 0) {
		gs_pack_writer_free(w->pw);
		w->pw = NULL;
		return 0;
	}
	if (c->sync) {
		struct gs_index_pack p;

		rc = gs_pack_writer_commit(w->pw, &p);
		gs_pack_writer_free(w->pw);
		w->pw = NULL;
		if (rc == 0) {
			pthread_mutex_lock(&c->mu);
			rc = record_pack(c, &p);
			pthread_mutex_unlock(&c->mu);
		}
		return rc;
	}
	pthread_mutex_lock(&c->mu);
	while (c->cqlen == CQ_MAX && !c->failed)
		pthread_cond_wait(&c->cv_commit_space, &c->mu);
	if (c->failed) {
		gs_pack_writer_free(w->pw);
		rc = -1;
	} else {
		c->cq[(c->cqhead + c->cqlen++) % CQ_MAX] = w->pw;
		pthread_cond_signal(&c->cv_commit);
	}
	pthread_mutex_unlock(&c->mu);
	w->pw = NULL;
	return rc;
}

static void
set_failed(struct ctx *c)
{
	c->failed = 1;
	pthread_cond_broadcast(&c->cv_job);
	pthread_cond_broadcast(&c->cv_space);
	pthread_cond_broadcast(&c->cv_commit_space);
}

/* The committer: fsync and publish finished packs, record them. */
static void *
committer_main(void *arg)
{
	struct ctx *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct gs_pack_writer *pw;
		struct gs_index_pack p;
		int ok;

		while (c->cqlen == 0 && !c->commit_done)
			pthread_cond_wait(&c->cv_commit, &c->mu);
		if (c->cqlen == 0)
			break;
		pw = c->cq[c->cqhead];
		c->cqhead = (c->cqhead + 1) % CQ_MAX;
		c->cqlen--;
		pthread_cond_signal(&c->cv_commit_space);
		ok = !c->failed;
		pthread_mutex_unlock(&c->mu);
		if (ok)
			ok = gs_pack_writer_commit(pw, &p) == 0;
		gs_pack_writer_free(pw);
		pthread_mutex_lock(&c->mu);
		if (ok && record_pack(c, &p))
			ok = 0;
		if (!ok)
			set_failed(c);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Let the committer finish what is queued and stop it. */
static void
stop_committer(struct ctx *c, pthread_t th)
{
	pthread_mutex_lock(&c->mu);
	c->commit_done = 1;
	pthread_cond_signal(&c->cv_commit);
	pthread_mutex_unlock(&c->mu);
	pthread_join(th, NULL);
}

static void
writer_free(struct writer *w)
{
	gs_pack_writer_free(w->pw);
	ZSTD_freeCCtx(w->zc);
	free(w->zbuf);
}

static int
all_zero(const uint8_t *p, size_t n)
{
	return n > 0 && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/*
 * Store one chunk unless the tenant already has it; its ID goes to ret_id.
 */
static int
put_chunk(struct writer *w, const uint8_t *buf, size_t len, uint8_t type, uint8_t ret_id[GS_ID_LEN])
{
	struct ctx *c = w->c;
	struct gs_chunk_ref pend;
	const uint8_t *pt = buf;
	size_t ptlen = len;
	uint8_t flags = 0;
	int isnew;

	if (type == GS_CT_DATA && len == w->zero_len && all_zero(buf, len)) {
		memcpy(ret_id, w->zero_id, GS_ID_LEN);
		return 0;
	}
	gs_chunk_id(c->k->id_key, buf, len, ret_id);
	if (type == GS_CT_DATA && len >= 64 && all_zero(buf, len)) {
		memcpy(w->zero_id, ret_id, GS_ID_LEN);
		w->zero_len = len;
	}
	memset(&pend, 0, sizeof(pend));
	memcpy(pend.id, ret_id, GS_ID_LEN);
	pthread_mutex_lock(&c->mu);
	isnew = gs_cindex_claim(c->ci, pending_pack, &pend);
	pthread_mutex_unlock(&c->mu);
	if (isnew < 0)
		return -1;
	if (isnew == 1)
		return 0;

	/* New chunk: compress when it pays, encrypt, append to our pack. */
	if (c->cfg->compression_level > 0 && type != GS_CT_REFS) {
		size_t z = ZSTD_compress2(w->zc, w->zbuf, w->zcap, buf, len);

		if (!ZSTD_isError(z) && z + z / 32 < len) {
			pt = w->zbuf;
			ptlen = z;
			flags = GS_CF_ZSTD;
		}
	}
	if (w->pw == NULL && (w->pw = gs_pack_writer_new(c->r, c->t->name, c->k, c->alg)) == NULL)
		return -1;
	if (gs_pack_writer_add(w->pw, ret_id, type, pt, ptlen, (uint32_t)len, flags))
		return -1;
	pthread_mutex_lock(&c->mu);
	c->res.new_chunks++;
	c->res.new_bytes += len;
	c->res.stored_new_bytes += ptlen + gs_aead_nonce_len(c->alg) + GS_TAG_LEN;
	pthread_mutex_unlock(&c->mu);
	if (gs_pack_writer_size(w->pw) >= c->cfg->pack_size)
		return writer_flush(w);
	return 0;
}

/* Chunk list under construction. */
struct idlist {
	uint8_t (*v)[GS_ID_LEN];
	uint32_t n, cap;
};

static int
idlist_add(struct idlist *l, const uint8_t id[GS_ID_LEN])
{
	if (l->n == l->cap) {
		uint32_t nc = l->cap ? l->cap * 2 : 8;
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

/*
 * Chunk a stream: feed() slices; finish() emits the tail.  The buffer holds
 * at least one maximal chunk plus a read's worth, so every cut is complete.
 */
struct stream {
	struct writer *w;
	struct gs_chunker ch;
	uint8_t type;
	struct idlist ids;
	XXH3_state_t *xs;
};

static int
emit(struct stream *s, const uint8_t *p, size_t n)
{
	uint8_t id[GS_ID_LEN];

	if (s->xs)
		XXH3_128bits_update(s->xs, p, n);
	if (put_chunk(s->w, p, n, s->type, id))
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

/* Read and chunk one regular file.  Returns 0, 1 if it vanished or could
 * not be read (warned), -1 on a fatal error.  On 0, *ret_changed is set when
 * it was replaced or its size, mtime or length moved while read (warned),
 * and *ret_moved when only its ctime did (not warned: a chmod, an xattr, a
 * link or unlink, or a writer that put mtime back; not to be cached). */
static int
read_file(struct writer *w, struct job *j, uint8_t **bufp, size_t *capp, struct idlist *ret,
          uint8_t ret_hash[16], uint64_t *ret_size, int *ret_changed, int *ret_moved)
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
			scan_note(c, "%s: vanished during the backup", j->srcpath);
			pthread_mutex_lock(&c->mu);
			c->res.vanished++;
		} else {
			scan_note(c, "%s: cannot read: %s", j->srcpath, strerror(errno));
			pthread_mutex_lock(&c->mu);
			c->res.unreadable++;
		}
		pthread_mutex_unlock(&c->mu);
		return 1;
	}
	if (fstat(fd, &st) || st.st_ino != j->st.st_ino || st.st_dev != j->st.st_dev) {
		scan_note(c, "%s: replaced during the backup", j->srcpath);
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
				scan_note(c, "%s: read error: %s", j->srcpath, strerror(errno));
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
		scan_note(c, "%s: changed while being read (stored %llu bytes as read)", j->srcpath,
		          (unsigned long long)total);
		*ret_changed = 1;
	} else if (st.st_ctim.tv_sec != j->st.st_ctim.tv_sec ||
	           st.st_ctim.tv_nsec != j->st.st_ctim.tv_nsec)
		*ret_moved = 1;
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(s.xs));
	memcpy(ret_hash, canon.digest, 16);
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

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->srcpath);
	gs_mentry_clear(&j->e);
	free(j);
}

static void *
worker_main(void *arg)
{
	struct writer w;
	struct ctx *c = arg;
	size_t cap = c->cp.max + (c->cp.max > (4u << 20) ? c->cp.max : (4u << 20));
	uint8_t *buf = malloc(cap);
	int ok = buf != NULL && writer_init(&w, c) == 0;

	for (;;) {
		struct idlist ids = {0};
		struct job *j;
		int changed = 0, moved = 0, r = -1;

		pthread_mutex_lock(&c->mu);
		while (c->qhead == NULL && !c->done && !c->failed)
			pthread_cond_wait(&c->cv_job, &c->mu);
		if (c->qhead == NULL || c->failed) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		j = c->qhead;
		c->qhead = j->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		c->qlen--;
		pthread_cond_signal(&c->cv_space);
		pthread_mutex_unlock(&c->mu);

		if (ok)
			r = read_file(&w, j, &buf, &cap, &ids, j->e.hash, &j->e.size, &changed,
			              &moved);
		pthread_mutex_lock(&c->mu);
		if (r < 0) {
			set_failed(c);
		} else if (r == 0) {
			struct gs_buf enc = {0};

			j->e.chunks = ids.v;
			j->e.nchunks = ids.n;
			ids.v = NULL;
			/* The walker may grow (move) the slot array: encode
			 * outside, store under the lock. */
			pthread_mutex_unlock(&c->mu);
			gs_mentry_encode(&enc, &j->e);
			pthread_mutex_lock(&c->mu);
			if (enc.oom) {
				gs_warn("tenant %s: out of memory", c->t->name);
				set_failed(c);
				gs_buf_free(&enc);
			} else {
				struct slot *s = &c->slots[j->slot];

				gs_buf_shrink(&enc);
				s->enc = enc;
				/* Cached only if nothing moved while it was read and
				 * no write in the same tick can hide behind its stat. */
				s->cacheable = !changed && !moved && gs_fcache_settled(&s->st);
			}
			c->res.files_read++;
			c->res.bytes_seen += j->e.size;
			if (changed)
				c->res.changed++;
		}
		pthread_mutex_unlock(&c->mu);
		free(ids.v);
		job_free(j);
	}
	if (!ok || writer_flush(&w)) {
		pthread_mutex_lock(&c->mu);
		set_failed(c);
		pthread_mutex_unlock(&c->mu);
	}
	if (buf)
		writer_free(&w);
	free(buf);
	return NULL;
}

static int
enqueue(struct ctx *c, struct job *j)
{
	pthread_mutex_lock(&c->mu);
	while (c->qlen >= QUEUE_MAX && !c->failed)
		pthread_cond_wait(&c->cv_space, &c->mu);
	if (c->failed) {
		pthread_mutex_unlock(&c->mu);
		job_free(j);
		return -1;
	}
	j->next = NULL;
	if (c->qtail)
		c->qtail->next = j;
	else
		c->qhead = j;
	c->qtail = j;
	c->qlen++;
	pthread_cond_signal(&c->cv_job);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* ---- walking ------------------------------------------------------- */

static int
new_slot(struct ctx *c, size_t *ret)
{
	/* Slots are only appended by the walker; workers hold indexes.  Growth
	 * reallocates, so take the lock the workers take to touch slots. */
	pthread_mutex_lock(&c->mu);
	if (c->nslots == c->capslots) {
		size_t nc = c->capslots ? c->capslots * 2 : 1024;
		void *ns = realloc(c->slots, nc * sizeof(*c->slots));

		if (ns == NULL) {
			pthread_mutex_unlock(&c->mu);
			gs_warnp("realloc");
			return -1;
		}
		c->slots = ns;
		c->capslots = nc;
	}
	memset(&c->slots[c->nslots], 0, sizeof(*c->slots));
	*ret = c->nslots++;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

static uint8_t
ftype_of(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return GS_FT_FILE;
	case S_IFDIR:
		return GS_FT_DIR;
	case S_IFLNK:
		return GS_FT_SYMLINK;
	case S_IFIFO:
		return GS_FT_FIFO;
	case S_IFCHR:
		return GS_FT_CHR;
	case S_IFBLK:
		return GS_FT_BLK;
	case S_IFSOCK:
		return GS_FT_SOCK;
	default:
		return 0;
	}
}

static char *
dupnull(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Fill e's metadata from a libarchive entry with full metadata. */
static int
fill_meta(struct gs_mentry *e, struct archive_entry *ae, const char *rel, const struct stat *st)
{
	const char *name;
	const void *val;
	size_t size;

	e->type = ftype_of(st->st_mode);
	e->path = strdup(rel);
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->uname = dupnull(archive_entry_uname(ae));
	e->gname = dupnull(archive_entry_gname(ae));
	e->mtime_sec = st->st_mtim.tv_sec;
	e->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	e->rdev = (e->type == GS_FT_CHR || e->type == GS_FT_BLK) ? st->st_rdev : 0;
	if (e->type == GS_FT_SYMLINK)
		e->link = dupnull(archive_entry_symlink(ae));
	if (archive_entry_acl_count(ae, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E) > 0)
		e->acl = archive_entry_acl_to_text(ae, NULL, 0);
	e->nxattrs = (uint32_t)archive_entry_xattr_reset(ae);
	if (e->nxattrs && (e->xattrs = calloc(e->nxattrs, sizeof(*e->xattrs))) == NULL)
		return -1;
	for (uint32_t i = 0; i < e->nxattrs; i++) {
		if (archive_entry_xattr_next(ae, &name, &val, &size) != ARCHIVE_OK)
			break;
		e->xattrs[i].name = strdup(name);
		e->xattrs[i].len = (uint32_t)size;
		if ((e->xattrs[i].value = malloc(size ? size : 1)) == NULL || !e->xattrs[i].name)
			return -1;
		memcpy(e->xattrs[i].value, val, size);
	}
	if (e->path == NULL || (e->type == GS_FT_SYMLINK && e->link == NULL)) {
		if (e->type == GS_FT_SYMLINK && e->link == NULL && e->path)
			e->link = strdup("");
		if (e->path == NULL)
			return -1;
	}
	return 0;
}

struct walk {
	struct ctx *c;
	struct archive *meta; /* full-metadata reader for changed entries */
	struct gs_smap *hardlinks;
	const struct gs_fcache *fc;
};

static int
same_stat(const struct gs_fc_stat *a, const struct stat *st)
{
	return a->dev == (uint64_t)st->st_dev && a->ino == (uint64_t)st->st_ino &&
	       a->size == (uint64_t)st->st_size && a->mode == (uint32_t)st->st_mode &&
	       a->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec &&
	       a->ctime_ns == (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* Reuse a cached entry when every chunk it names is still in the index.
 * The caller has checked its stat.  Called with c->mu held. */
static int
try_cache(struct ctx *c, const struct gs_fc_rec *rec, struct slot *s)
{
	const uint8_t *ids;
	struct gs_rd r;
	uint64_t size;
	uint32_t n;
	uint8_t type;

	gs_rd_init(&r, rec->enc, rec->enclen);
	if (gs_mentry_peek(&r, &type, &size, &ids, &n) != 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (gs_cindex_get(c->ci, ids + (size_t)i * GS_ID_LEN, NULL) == NULL)
			return 0;
	s->cached = rec->enc;
	s->cachedlen = rec->enclen;
	c->res.bytes_seen += size;
	c->bytes_done += size;
	return 1;
}

static void
set_fcstat(struct gs_fc_stat *f, const struct stat *st)
{
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->mode = (uint32_t)st->st_mode;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* Handle one walked entry; read_ns is gs_fcache_now_ns() from before
 * libarchive stat'ed it, so it precedes everything read of the entry. */
static int
visit(struct walk *wk, struct archive_entry *ae, const char *rel, const char *srcpath,
      int64_t read_ns)
{
	struct ctx *c = wk->c;
	const struct stat *st = archive_entry_stat(ae);
	const struct gs_fc_rec *rec;
	struct archive_entry *full = NULL;
	struct gs_mentry e = {0};
	struct slot *s;
	size_t si;
	int rc = -1;

	if (ftype_of(st->st_mode) == 0)
		return 0;
	c->res.files_seen++;
	if (c->pg.on) {
		uint64_t done;

		pthread_mutex_lock(&c->mu);
		done = c->bytes_done;
		pthread_mutex_unlock(&c->mu);
		gs_progress_add(&c->pg, done - c->pg.bytes, 1);
	}
	if (new_slot(c, &si))
		return -1;
	pthread_mutex_lock(&c->mu);
	s = &c->slots[si];
	set_fcstat(&s->st, st);
	s->st.read_ns = read_ns;
	pthread_mutex_unlock(&c->mu);

	/* A second name of a file already seen: a hard link. */
	if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
		char key[64];
		const char *first;

		snprintf(key, sizeof(key), "%llx:%llx", (unsigned long long)st->st_dev,
		         (unsigned long long)st->st_ino);
		if ((first = gs_smap_get(wk->hardlinks, key)) != NULL) {
			e.type = GS_FT_HARDLINK;
			e.path = strdup(rel);
			e.link = strdup(first);
			e.mode = st->st_mode & 07777;
			e.uid = st->st_uid;
			e.gid = st->st_gid;
			e.mtime_sec = st->st_mtim.tv_sec;
			e.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
			if (e.path == NULL || e.link == NULL)
				goto out;
			pthread_mutex_lock(&c->mu);
			gs_mentry_encode(&c->slots[si].enc, &e);
			gs_buf_shrink(&c->slots[si].enc);
			pthread_mutex_unlock(&c->mu);
			rc = 0;
			goto out;
		}
		if (gs_smap_put(wk->hardlinks, key, strdup(rel)))
			goto out;
	}

	/* A record that had not settled when it was read may hold older
	 * content than its stat says (a cache written by a geosnap without
	 * the rule, or damaged): never reuse it. */
	rec = wk->fc ? gs_fcache_get(wk->fc, rel) : NULL;
	if (rec && same_stat(&rec->st, st) && gs_fcache_settled(&rec->st)) {
		int hit;

		pthread_mutex_lock(&c->mu);
		s = &c->slots[si];
		hit = try_cache(c, rec, s);
		if (hit) {
			s->cacheable = 1;
			s->st.read_ns = rec->st.read_ns; /* the content is from then */
		}
		pthread_mutex_unlock(&c->mu);
		if (hit)
			return 0;
	}

	/* Full metadata (xattrs, ACLs) only for entries the cache cannot give. */
	if ((full = archive_entry_new()) == NULL)
		goto out;
	archive_entry_copy_sourcepath(full, srcpath);
	if (archive_read_disk_entry_from_file(wk->meta, full, -1, st) < ARCHIVE_WARN) {
		scan_note(c, "%s: %s", srcpath, archive_error_string(wk->meta));
		pthread_mutex_lock(&c->mu);
		c->res.unreadable++;
		pthread_mutex_unlock(&c->mu);
		rc = 0;
		goto out;
	}
	if (fill_meta(&e, full, rel, st)) {
		gs_warnp("tenant %s: %s: metadata", c->t->name, srcpath);
		goto out;
	}
	if (e.type == GS_FT_FILE) {
		struct job *j = calloc(1, sizeof(*j));

		if (j == NULL || (j->srcpath = strdup(srcpath)) == NULL) {
			free(j);
			goto out;
		}
		j->slot = si;
		j->e = e;
		j->st = *st;
		memset(&e, 0, sizeof(e));
		archive_entry_free(full);
		return enqueue(c, j);
	}
	pthread_mutex_lock(&c->mu);
	s = &c->slots[si];
	gs_mentry_encode(&s->enc, &e);
	gs_buf_shrink(&s->enc);
	s->cacheable = gs_fcache_settled(&s->st);
	pthread_mutex_unlock(&c->mu);
	rc = 0;
out:
	if (rc < 0)
		gs_warn("tenant %s: %s: cannot record entry", c->t->name, srcpath);
	archive_entry_free(full);
	gs_mentry_clear(&e);
	return rc;
}

/*
 * libarchive reports files that vanished between readdir() and lstat() as
 * "PATH PATH ...: File removed before we read it", several at once.  Each
 * path starts with the source, so split there, and name each on its own
 * line.  Returns how many files the message names.
 */
static uint32_t
report_vanished(struct ctx *c, const char *msg, const char *source, size_t srclen)
{
	static const char tail[] = ": File removed before we read it";
	size_t len = strlen(msg), tl = sizeof(tail) - 1;
	const char *p, *end, *next;
	uint32_t n = 0;

	if (len < tl || strcmp(msg + len - tl, tail) != 0 || strncmp(msg, source, srclen) != 0) {
		scan_note(c, "%s (vanished during the backup)", msg);
		return 1;
	}
	end = msg + len - tl;
	for (p = msg; p < end; p = next + 1) {
		/* The next path begins at " <source>" before the end. */
		for (next = p + srclen; next < end; next++)
			if (*next == ' ' && next + 1 + srclen <= end &&
			    strncmp(next + 1, source, srclen) == 0 &&
			    (next[1 + srclen] == '/' || source[srclen - 1] == '/'))
				break;
		scan_note(c, "%.*s: vanished during the backup", (int)(next - p), p);
		n++;
		if (next >= end)
			break;
	}
	return n;
}

static int walk_resolved(struct walk *wk, const char *source, int multi);

/* Walk a source by its canonical path, so "..", "." and symlinks in the
 * configured path never reach the manifest. */
static int
walk_source(struct walk *wk, const char *source, int multi)
{
	char *real = realpath(source, NULL);
	int rc;

	if (real == NULL) {
		gs_warnp("tenant %s: source %s", wk->c->t->name, source);
		return -1;
	}
	rc = walk_resolved(wk, real, multi);
	free(real);
	return rc;
}

static int
walk_resolved(struct walk *wk, const char *source, int multi)
{
	struct ctx *c = wk->c;
	struct archive *a;
	struct archive *m = NULL;
	struct archive_entry *ae;
	size_t srclen = strlen(source);
	int flags = ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
	            ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE;
	int rc = 0, r;

	while (srclen > 1 && source[srclen - 1] == '/')
		srclen--;
	if (c->t->one_file_system)
		flags |= ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS;
	if ((a = archive_read_disk_new()) == NULL)
		return -1;
	archive_read_disk_set_symlink_physical(a);
	archive_read_disk_set_standard_lookup(a);
	archive_read_disk_set_behavior(a, flags);
	if (c->t->excludes.n) {
		if ((m = archive_match_new()) == NULL)
			goto fail;
		for (size_t i = 0; i < c->t->excludes.n; i++)
			if (archive_match_exclude_pattern(m, c->t->excludes.v[i]) != ARCHIVE_OK) {
				gs_warn("tenant %s: exclude '%s': %s", c->t->name,
				        c->t->excludes.v[i], archive_error_string(m));
				goto fail;
			}
		archive_read_disk_set_matching(a, m, NULL, NULL);
	}
	if (archive_read_disk_open(a, source) != ARCHIVE_OK) {
		gs_warn("tenant %s: source %s: %s", c->t->name, source, archive_error_string(a));
		goto fail;
	}
	ae = archive_entry_new();
	for (;;) {
		const char *path, *rel;
		int64_t read_ns = gs_fcache_now_ns();

		archive_entry_clear(ae);
		r = archive_read_next_header2(a, ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_FATAL) {
			gs_warn("tenant %s: walking %s: %s", c->t->name, source,
			        archive_error_string(a));
			rc = -1;
			break;
		}
		if (r == ARCHIVE_WARN || r == ARCHIVE_FAILED || r == ARCHIVE_RETRY) {
			/* libarchive's message names the path; the entry may
			 * still hold the previous one. */
			uint32_t nv = 0, nu = 0;

			if (archive_errno(a) == ENOENT)
				nv = report_vanished(c, archive_error_string(a), source, srclen);
			else {
				scan_note(c, "%s", archive_error_string(a));
				nu = 1;
			}
			pthread_mutex_lock(&c->mu);
			c->res.vanished += nv;
			c->res.unreadable += nu;
			pthread_mutex_unlock(&c->mu);
			if (r != ARCHIVE_WARN)
				continue;
		}
		path = archive_entry_pathname(ae);
		if (path == NULL)
			continue;
		if (archive_read_disk_can_descend(a))
			archive_read_disk_descend(a);
		if (strncmp(path, source, srclen) == 0 && path[srclen] == 0)
			continue; /* the source root itself */
		/* One source: paths relative to it; several: absolute paths
		 * without the leading '/'.  Never an absolute path. */
		rel = path;
		if (!multi && strncmp(path, source, srclen) == 0 &&
		    (path[srclen] == '/' || srclen == 1))
			rel = path + srclen;
		while (*rel == '/')
			rel++;
		if (*rel == 0)
			continue;
		if (visit(wk, ae, rel, path, read_ns)) {
			rc = -1;
			break;
		}
	}
	archive_entry_free(ae);
	archive_read_close(a);
	archive_read_free(a);
	archive_match_free(m);
	return rc;
fail:
	archive_read_free(a);
	archive_match_free(m);
	return -1;
}

/* ---- finishing ------------------------------------------------------ */

/* Adopt packs that no index names (left by a killed run) into newpacks. */
static int
adopt_orphans(struct ctx *c)
{
	char(*names)[GS_NAME_HEX] = NULL;
	size_t n;

	if (gs_repo_list(c->r, c->t->name, GS_OBJ_PACK, &names, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct gs_pack_header h;
		struct gs_index_pack p;
		uint8_t bin[GS_NAME_LEN];

		gs_unhex(bin, names[i], GS_NAME_LEN);
		if (gs_cindex_has_pack(c->ci, bin))
			continue;
		if (gs_repo_read_pack_header(c->r, c->t->name, names[i], c->k->index_key, NULL,
		                             &h)) {
			gs_warn("tenant %s: pack %s has no index entry and an unreadable header; "
			        "leaving it alone",
			        c->t->name, names[i]);
			continue;
		}
		memcpy(p.name, bin, GS_NAME_LEN);
		p.n = h.nchunks;
		p.chunks = h.chunks;
		h.chunks = NULL;
		gs_pack_header_free(&h);
		for (uint32_t j = 0; j < p.n; j++)
			gs_cindex_add(c->ci, p.name, &p.chunks[j]);
		if (add_newpack(c, &p)) {
			free(p.chunks);
			free(names);
			return -1;
		}
	}
	free(names);
	return 0;
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

static int
ss_open(struct sstream *ss, struct ctx *c, uint8_t type)
{
	memset(ss, 0, sizeof(*ss));
	ss->cap = 2 * c->cp.max;
	if (writer_init(&ss->w, c) || (ss->buf = malloc(ss->cap)) == NULL) {
		ss->err = 1;
		return -1;
	}
	ss->s.w = &ss->w;
	ss->s.type = type;
	gs_chunker_init(&ss->s.ch, &c->cp);
	return 0;
}

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
	    writer_flush(&ss->w) == 0) {
		*ret = ss->s.ids;
		ss->s.ids.v = NULL;
		rc = 0;
	}
	free(ss->s.ids.v);
	free(ss->buf);
	writer_free(&ss->w);
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
		    memcmp(pack, pending_pack, GS_NAME_LEN) == 0) {
			gs_warn("internal error: tenant %s: a chunk has no published pack",
			        c->t->name);
			return -1;
		}
		memcpy(pin.pack, pack, GS_NAME_LEN);
		gs_pin_encode(out, &pin);
	}
	return out->oom ? -1 : 0;
}

static int
pin_cmp(const void *a, const void *b)
{
	return memcmp(a, b, GS_PIN_LEN);
}

/*
 * Store the manifest (the slots in walk order; dropped entries are empty)
 * and then the reference stream: the pin (ID and pack) of every chunk the
 * manifest names and of the manifest's own chunks, sorted by ID, each once.
 * Sorted, the stream tells the agent which chunks the snapshot uses but not
 * in which order or how often, and a change in one file still changes
 * only the stretches of the stream around its chunks' IDs, so the rest
 * dedups against the last snapshot's.  The pins of the reference chunks
 * themselves go to refpins.  Runs after the workers and the committer have
 * stopped (c->sync), so every pack is named.  Fills the counts of info.
 */
static int
store_manifest(struct ctx *c, struct gs_snap_info *info, struct gs_snap_sealed *sealed,
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
	gs_buf_free(&pins);
	return rc;
}

/* The index segment(s) naming this run's packs.  A segment holds packs
 * whose records add up to at most GS_MAX_PACK_HEADER bytes, so with its
 * few bytes of framing it stays under GS_MAX_INDEX_SEGMENT, which readers
 * enforce; a big first backup gets several segments. */
static int
publish_index(struct ctx *c)
{
	struct gs_index idx;
	char name[GS_NAME_HEX];
	uint32_t first = 0, end;
	uint64_t sum, rec;
	int rc = 0;

	while (rc == 0 && first < c->nnewpacks) {
		struct gs_buf b = {0};

		sum = 0;
		for (end = first; end < c->nnewpacks; end++) {
			rec = GS_NAME_LEN + 4 + (uint64_t)c->newpacks[end].n * GS_CHUNK_REF_LEN;
			if (end > first && sum + rec > GS_MAX_PACK_HEADER)
				break;
			sum += rec;
		}
		idx.npacks = end - first;
		idx.packs = c->newpacks + first;
		gs_index_encode(c->k->index_key, &idx, &b);
		if (b.oom) {
			gs_warn("tenant %s: index: out of memory", c->t->name);
			rc = -1;
		} else {
			rc = gs_repo_put(c->r, c->t->name, GS_OBJ_INDEX, b.p, b.len, name);
		}
		gs_buf_free(&b);
		first = end;
	}
	return rc;
}

/* Whether the next files cache differs from the one loaded. */
static int
cache_changed(const struct ctx *c, const struct gs_fcache *fc)
{
	size_t hits = 0;

	for (size_t i = 0; i < c->nslots; i++) {
		if (c->slots[i].cached)
			hits++;
		else if (c->slots[i].cacheable && c->slots[i].enc.len)
			return 1;
	}
	return fc == NULL || hits != gs_fcache_count(fc);
}

static char *
fcache_path(const struct gs_config *cfg, const char *tenant)
{
	return gs_asprintf("%s/%s.files", cfg->state_dir, tenant);
}

int
gs_backup(const struct gs_config *cfg, const struct gs_tenant_conf *t, const struct gs_repo *r,
          const struct gs_wkey *k, int progress, struct gs_backup_result *ret)
{
	struct ctx c;
	struct walk wk = {0};
	struct gs_fcache *fc = NULL;
	struct idlist meta = {0};
	struct gs_buf refpins = {0};
	struct gs_snap_info info = {0};
	struct gs_snap_sealed sealed = {0};
	struct gs_buf snap = {0};
	pthread_t *th = NULL, committer;
	unsigned nth = cfg->threads < 1 ? 1 : cfg->threads, started = 0;
	int64_t t0 = gs_mono_ns(), now = gs_now_ns();
	char *fcp = NULL;
	int lockfd, rc = -1;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.t = t;
	c.r = r;
	c.k = k;
	switch (cfg->cipher) {
	case GS_CIPHER_XCHACHA:
		c.alg = GS_ALG_XCHACHA;
		break;
	case GS_CIPHER_AESGCM:
		if (gs_aead_default() != GS_ALG_AESGCM) {
			gs_warn("%s: cipher = aes256gcm, but this CPU has no AES-NI", cfg->path);
			return -1;
		}
		c.alg = GS_ALG_AESGCM;
		break;
	default:
		c.alg = gs_aead_default();
	}
	pthread_mutex_init(&c.mu, NULL);
	pthread_mutex_init(&c.notes_mu, NULL);
	pthread_cond_init(&c.cv_job, NULL);
	pthread_cond_init(&c.cv_space, NULL);
	pthread_cond_init(&c.cv_commit, NULL);
	pthread_cond_init(&c.cv_commit_space, NULL);

	if (gs_repo_tenant_init(r, t->name))
		return -1;
	if ((lockfd = gs_repo_lock(r, t->name)) < 0)
		return lockfd == -2 ? -2 : -1;
	gs_repo_sweep(r, t->name);
	if (gs_chunker_params_init(&c.cp, k->id_key, cfg->chunk_min, cfg->chunk_avg,
	                           cfg->chunk_max)) {
		gs_warn("%s: chunk_min/chunk_avg/chunk_max are not usable", cfg->path);
		goto err0;
	}
	if ((c.ci = gs_cindex_new()) == NULL || gs_cindex_load(c.ci, r, t->name, k->index_key) ||
	    adopt_orphans(&c))
		goto err0;
	if (gs_mkdir_p(cfg->state_dir, 0700) || (fcp = fcache_path(cfg, t->name)) == NULL)
		goto err0;
	fc = gs_fcache_load(fcp); /* NULL = no usable cache: read everything */

	if ((th = calloc(nth, sizeof(*th))) == NULL)
		goto err0;
	if (pthread_create(&committer, NULL, committer_main, &c)) {
		gs_warn("cannot start the pack committer thread");
		goto err0;
	}
	for (started = 0; started < nth; started++)
		if (pthread_create(&th[started], NULL, worker_main, &c)) {
			gs_warn("cannot start worker threads");
			break;
		}
	{
		uint64_t est_bytes, est_files;

		/* The previous run's totals are the estimate for the ETA. */
		gs_fcache_totals(fc, &est_bytes, &est_files);
		gs_progress_init(&c.pg, progress, est_bytes, est_files);
	}
	wk.c = &c;
	wk.fc = fc;
	if ((wk.hardlinks = gs_smap_new()) == NULL || (wk.meta = archive_read_disk_new()) == NULL)
		rc = -1;
	else {
		archive_read_disk_set_standard_lookup(wk.meta);
		archive_read_disk_set_behavior(wk.meta, ARCHIVE_READDISK_NO_FFLAGS |
		                                            ARCHIVE_READDISK_NO_SPARSE);
		rc = started == nth ? 0 : -1;
	}
	for (size_t i = 0; i < t->sources.n && rc == 0; i++)
		rc = walk_source(&wk, t->sources.v[i], t->sources.n > 1);
	pthread_mutex_lock(&c.mu);
	c.done = 1;
	if (rc)
		set_failed(&c);
	pthread_cond_broadcast(&c.cv_job);
	pthread_mutex_unlock(&c.mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	gs_progress_add(&c.pg, c.bytes_done - c.pg.bytes, 0);
	gs_progress_done(&c.pg);
	/* Every data pack is durable and named before anything pins it; from
	 * here on this thread is the only one. */
	stop_committer(&c, committer);
	c.sync = 1;
	if (rc || c.failed) {
		rc = -1;
		goto err1;
	}

	/* The files cache is an optimisation, rewritten only when some entry
	 * did not come from it unchanged.  Writing it before the snapshot is
	 * safe: a cached entry is reused only if its chunks are indexed. */
	if (cache_changed(&c, fc)) {
		struct gs_fcache_writer *fw = gs_fcache_writer_new(fcp);

		for (size_t i = 0; fw && i < c.nslots; i++) {
			const uint8_t *p;
			size_t len;

			if (c.slots[i].cacheable && (p = slot_bytes(&c.slots[i], &len)))
				gs_fcache_writer_add(fw, &c.slots[i].st, p, len);
		}
		if (fw == NULL || gs_fcache_writer_commit(fw))
			gs_warn("tenant %s: files cache not updated; the next backup will "
			        "re-read every file",
			        t->name);
		gs_fcache_writer_free(fw);
	}

	rc = -1;
	if (store_manifest(&c, &info, &sealed, &meta, &refpins))
		goto err1;
	gs_fcache_free(fc);
	fc = NULL;
	/* Every pack is durable and named before the index names it. */
	if (publish_index(&c))
		goto err1;

	info.time_ns = now;
	info.host = cfg->host;
	info.tenant = (char *)t->name;
	info.files = c.res.files_stored;
	info.new_bytes = c.res.new_bytes;
	info.stored_new_bytes = c.res.stored_new_bytes;
	info.new_chunks = c.res.new_chunks;
	info.files_seen = c.res.files_seen;
	info.bytes_seen = c.res.bytes_seen;
	info.vanished = c.res.vanished;
	info.changed = c.res.changed;
	info.unreadable = c.res.unreadable;
	info.duration_ns = gs_mono_ns() - t0;
	info.refchunks = (struct gs_pin *)refpins.p;
	c.res.bytes_stored = info.bytes;
	sealed.nmeta = meta.n;
	sealed.meta = meta.v;
	if (gs_snap_encode(k, &info, &sealed, &snap) ||
	    gs_repo_put(r, t->name, GS_OBJ_SNAP, snap.p, snap.len, c.res.snapshot))
		goto err1;
	write_scan_report(cfg, t->name, c.res.snapshot, &c.notes);

	c.res.duration_ns = gs_mono_ns() - t0;
	*ret = c.res;
	rc = (c.res.vanished || c.res.changed || c.res.unreadable) ? 1 : 0;
err1:
	if (wk.meta)
		archive_read_free(wk.meta);
	gs_smap_free_all(wk.hardlinks);
err0:
	free(th);
	for (size_t i = 0; i < c.nslots; i++)
		free(c.slots[i].enc.p);
	free(c.slots);
	for (uint32_t i = 0; i < c.nnewpacks; i++)
		free(c.newpacks[i].chunks);
	free(c.newpacks);
	gs_cindex_free(c.ci);
	gs_fcache_free(fc);
	gs_buf_free(&snap);
	free(meta.v);
	gs_buf_free(&refpins);
	free(fcp);
	gs_repo_unlock(lockfd);
	pthread_mutex_destroy(&c.mu);
	pthread_mutex_destroy(&c.notes_mu);
	gs_buf_free(&c.notes);
	pthread_cond_destroy(&c.cv_job);
	pthread_cond_destroy(&c.cv_space);
	pthread_cond_destroy(&c.cv_commit);
	pthread_cond_destroy(&c.cv_commit_space);
	return rc;
}
