/*
 * store.c -- storing chunks: the worker threads, the committer thread,
 * put_chunk and the bookkeeping of new packs (adopted orphans, the index
 * segments that name them).
 *
 * Each worker takes jobs (regular files) from the queue the walker fills,
 * chunks the file (gs_bk_read_file(), stream.c) into its own pack writer
 * (and so its own data key) and stores the encoded entry in its slot.  A
 * full pack goes to the committer, which fsyncs and publishes it while the
 * workers go on, and records its name: until then the chunks it holds are
 * claimed in the index at gs_bk_pending_pack, so a chunk two workers meet
 * at once is stored once.
 *
 * Locking (backup_internal.h has the whole rule): the queue (qhead, qtail,
 * qlen, done), the commit queue (cq, cqhead, cqlen, commit_done), failed,
 * ci, slots, newpacks, res and bytes_done are read and written under c->mu
 * by the walker, the workers and the committer alike.  Encoding,
 * compression, encryption, pack commits and file reads happen outside
 * it.  A struct writer belongs to one thread.  c->sync is set by the main
 * thread after joining every worker and the committer; from then on the
 * main thread flushes its packs itself (gs_bk_writer_flush()).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "backup_internal.h"

/* Shortest run of zeros remembered as a chunk (the next one of the same
 * length then needs no hash). */
#define ZERO_MIN 64
/* Compressed output is kept only when it saves more than 1/ZSTD_GAIN of
 * its own size. */
#define ZSTD_GAIN 32
/* A worker's read buffer holds a maximal chunk plus at least this much. */
#define READ_MIN (4u << 20)
/* First capacity of the new-pack list (it doubles). */
#define NEWPACKS_FIRST 16
/* In an index segment, a pack's record: name, u32 count, chunk refs. */
#define IDX_COUNT_LEN 4

/* The location of a chunk claimed by a pack that is not published yet
 * (record_pack() relocates it to the pack's name). */
const uint8_t gs_bk_pending_pack[GS_NAME_LEN] = {0};

/* add_newpack(c, p): append p (its chunks taken) to the packs the new
 * index segment names.  Called with c->mu held, or alone.  0 or -1
 * (warned). */
static int
add_newpack(struct ctx *c, struct gs_index_pack *p)
{
	if (c->nnewpacks == c->capnewpacks) {
		uint32_t nc = c->capnewpacks ? c->capnewpacks * 2 : NEWPACKS_FIRST;
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

/* gs_bk_writer_init(w, c): a writer for c (borrowed) with its own zstd
 * context; no pack until the first new chunk.  0, or -1 (warned; free w
 * with gs_bk_writer_free() all the same). */
int
gs_bk_writer_init(struct writer *w, struct ctx *c)
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

/* A pack is published: its chunks' locations become its name, and it goes
 * into the new index segment.  Called with c->mu held; takes p's chunks.
 * 0 or -1 (warned). */
static int
record_pack(struct ctx *c, struct gs_index_pack *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		if (gs_cindex_relocate(c->ci, gs_bk_pending_pack, p->name, &p->chunks[i])) {
			free(p->chunks);
			return -1;
		}
	if (add_newpack(c, p)) {
		free(p->chunks);
		return -1;
	}
	return 0;
}

/* gs_bk_writer_flush(w): hand w's pack to the committer (before c->sync;
 * waits while its queue is full) or, once c->sync is set, publish it
 * here.  0, or -1 (warned, or the run has failed). */
int
gs_bk_writer_flush(struct writer *w)
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
	while (c->cqlen == BK_COMMIT_QUEUE && !c->failed)
		pthread_cond_wait(&c->cv_commit_space, &c->mu);
	if (c->failed) {
		gs_pack_writer_free(w->pw);
		rc = -1;
	} else {
		c->cq[(c->cqhead + c->cqlen++) % BK_COMMIT_QUEUE] = w->pw;
		pthread_cond_signal(&c->cv_commit);
	}
	pthread_mutex_unlock(&c->mu);
	w->pw = NULL;
	return rc;
}

/* gs_bk_set_failed(c): mark the run failed and wake every thread that
 * waits on c.  Called with c->mu held. */
void
gs_bk_set_failed(struct ctx *c)
{
	c->failed = 1;
	pthread_cond_broadcast(&c->cv_job);
	pthread_cond_broadcast(&c->cv_space);
	pthread_cond_broadcast(&c->cv_commit_space);
}

/* gs_bk_committer_main(c): the committer thread: commit (fsync and
 * publish) the packs the workers queue and record them, until
 * gs_bk_committer_stop().  Returns NULL. */
void *
gs_bk_committer_main(void *arg)
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
		c->cqhead = (c->cqhead + 1) % BK_COMMIT_QUEUE;
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
			gs_bk_set_failed(c);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* gs_bk_committer_stop(c, th): let the committer th finish what is queued
 * and join it. */
void
gs_bk_committer_stop(struct ctx *c, pthread_t th)
{
	pthread_mutex_lock(&c->mu);
	c->commit_done = 1;
	pthread_cond_signal(&c->cv_commit);
	pthread_mutex_unlock(&c->mu);
	pthread_join(th, NULL);
}

/* gs_bk_writer_free(w): drop an unflushed pack and w's buffers. */
void
gs_bk_writer_free(struct writer *w)
{
	gs_pack_writer_free(w->pw);
	ZSTD_freeCCtx(w->zc);
	free(w->zbuf);
}

/* gs_bk_put_chunk(w, buf, len, type, ret_id): store one chunk (GS_CT_*)
 * unless the tenant already has it; its ID goes to ret_id either way.
 * Borrows buf.  Takes c->mu itself.  0, or -1 (warned). */
int
gs_bk_put_chunk(struct writer *w, const uint8_t *buf, size_t len, uint8_t type,
                uint8_t ret_id[GS_ID_LEN])
{
	struct ctx *c = w->c;
	struct gs_chunk_ref pend;
	const uint8_t *pt = buf;
	size_t ptlen = len;
	uint8_t flags = 0;
	int isnew;

	if (type == GS_CT_DATA && len > 0 && len == w->zero_len && gs_all_zero(buf, len)) {
		memcpy(ret_id, w->zero_id, GS_ID_LEN);
		return 0;
	}
	gs_chunk_id(c->k->id_key, buf, len, ret_id);
	if (type == GS_CT_DATA && len >= ZERO_MIN && gs_all_zero(buf, len)) {
		memcpy(w->zero_id, ret_id, GS_ID_LEN);
		w->zero_len = len;
	}
	memset(&pend, 0, sizeof(pend));
	memcpy(pend.id, ret_id, GS_ID_LEN);
	pthread_mutex_lock(&c->mu);
	isnew = gs_cindex_claim(c->ci, gs_bk_pending_pack, &pend);
	pthread_mutex_unlock(&c->mu);
	if (isnew < 0)
		return -1;
	if (isnew == 1)
		return 0;

	/* New chunk: compress when it pays, encrypt, append to our pack. */
	if (c->cfg->compression_level > 0 && type != GS_CT_REFS) {
		size_t z = ZSTD_compress2(w->zc, w->zbuf, w->zcap, buf, len);

		if (!ZSTD_isError(z) && z + z / ZSTD_GAIN < len) {
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
		return gs_bk_writer_flush(w);
	return 0;
}

/* job_free(j): free j and what it holds (NULL is fine). */
static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->srcpath);
	gs_mentry_clear(&j->e);
	free(j);
}

/* gs_bk_worker_main(c): a worker thread (pthread_create argument c):
 * read, chunk and store queued files into their slots until c->done and
 * the queue is empty, or c->failed.  Returns NULL. */
void *
gs_bk_worker_main(void *arg)
{
	struct writer w;
	struct ctx *c = arg;
	size_t cap = c->cp.max + (c->cp.max > READ_MIN ? c->cp.max : READ_MIN);
	uint8_t *buf = malloc(cap);
	int ok = buf != NULL && gs_bk_writer_init(&w, c) == 0;

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
			r = gs_bk_read_file(&w, j, &buf, &cap, &ids, j->e.hash, &j->e.size,
			                    &changed, &moved);
		pthread_mutex_lock(&c->mu);
		if (r < 0) {
			gs_bk_set_failed(c);
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
				gs_bk_set_failed(c);
				gs_buf_clear(&enc);
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
	if (!ok || gs_bk_writer_flush(&w)) {
		pthread_mutex_lock(&c->mu);
		gs_bk_set_failed(c);
		pthread_mutex_unlock(&c->mu);
	}
	if (buf)
		gs_bk_writer_free(&w);
	free(buf);
	return NULL;
}

/* gs_bk_enqueue(c, j): queue j for the workers, waiting while
 * BK_QUEUE_MAX jobs are queued.  Takes ownership of j.  Main thread.  0,
 * or -1 when the run has failed (j freed). */
int
gs_bk_enqueue(struct ctx *c, struct job *j)
{
	pthread_mutex_lock(&c->mu);
	while (c->qlen >= BK_QUEUE_MAX && !c->failed)
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

/* gs_bk_adopt_orphans(c): add the packs no index names (left by a killed
 * run) to c->ci and c->newpacks.  Before the threads start.  0, or -1
 * (warned). */
int
gs_bk_adopt_orphans(struct ctx *c)
{
	char(*names)[GS_NAME_HEX] = NULL;
	struct gs_relocmap rm = {0};
	size_t n;

	if (gs_repo_list(c->r, c->t->name, GS_OBJ_PACK, &names, &n))
		return -1;
	/* A pack garbage collection moved is garbage left by a killed
	 * collection: pinning a chunk to it would send readers to where its
	 * live chunks went, which may not hold that chunk. */
	if (gs_relocmap_load(&rm, c->r, c->t->name, c->k->index_key, NULL)) {
		free(names);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct gs_pack_header h;
		struct gs_index_pack p;
		uint8_t bin[GS_NAME_LEN];

		gs_unhex(bin, names[i], GS_NAME_LEN);
		if (gs_cindex_has_pack(c->ci, bin) || gs_relocmap_next(&rm, bin) != NULL)
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
		gs_pack_header_clear(&h);
		for (uint32_t j = 0; j < p.n; j++)
			gs_cindex_add(c->ci, p.name, &p.chunks[j]);
		if (add_newpack(c, &p)) {
			free(p.chunks);
			free(names);
			gs_relocmap_clear(&rm);
			return -1;
		}
	}
	free(names);
	gs_relocmap_clear(&rm);
	return 0;
}

/* gs_bk_publish_index(c): publish the index segment(s) naming
 * c->newpacks.  After the threads stop.  0, or -1 (warned).
 * A segment holds packs whose records add up to at most
 * GS_MAX_PACK_HEADER bytes, so with its few bytes of framing it stays
 * under GS_MAX_INDEX_SEGMENT, which readers enforce; a big first backup
 * gets several segments. */
int
gs_bk_publish_index(struct ctx *c)
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
			rec = GS_NAME_LEN + IDX_COUNT_LEN +
			      (uint64_t)c->newpacks[end].n * GS_CHUNK_REF_LEN;
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
		gs_buf_clear(&b);
		first = end;
	}
	return rc;
}
