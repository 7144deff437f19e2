/*
 * gc.c -- garbage collection of one tenant on the local repository: read
 * the packs' headers, mark the live chunks (live.c), then delete the packs
 * without one and repack those with dead chunks (copying ciphertext and
 * sealed data keys, never decrypting), rewrite the index and the
 * relocation objects, in the crash-safe order gc.h gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc/gc_internal.h"
#include "geosnap/layout.h"
#include "geosnap/state.h"
#include "geosnap/transport.h"

/* A new index segment is cut before its records pass this (format.h). */
#define SEG_MAX ((uint64_t)GS_MAX_PACK_HEADER)
/* Most sealed data keys one new pack carries (u16, 0xffff reserved). */
#define MAX_KEYS 65000u

static int
cmp_ref(const void *a, const void *b)
{
	return memcmp(((const struct gs_chunk_ref *)a)->id, ((const struct gs_chunk_ref *)b)->id,
	              GS_ID_LEN);
}

/* gc_pack_find(g, name): the pack of that binary name, or NULL. */
struct gc_pack *
gc_pack_find(const struct gc *g, const uint8_t name[GS_NAME_LEN])
{
	size_t lo = 0, hi = g->npacks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(g->packs[mid].name, name, GS_NAME_LEN);

		if (c == 0)
			return &g->packs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* gc_chunk_find(p, id): the ref of id in p's sorted header, or NULL. */
const struct gs_chunk_ref *
gc_chunk_find(const struct gc_pack *p, const uint8_t id[GS_ID_LEN])
{
	struct gs_chunk_ref key = {0};

	if (p->h.nchunks == 0)
		return NULL;
	memcpy(key.id, id, GS_ID_LEN);
	return bsearch(&key, p->h.chunks, p->h.nchunks, sizeof(key), cmp_ref);
}

/* Read every pack header.  0, 1 when one is unreadable (warned: nothing is
 * collected), -1 on error. */
static int
load_packs(struct gc *g, struct gs_gc_stats *st)
{
	struct gs_repo_obj *v;
	size_t n;
	int rc = 0;

	if (gs_repo_list_objs(g->r, g->tenant, GS_OBJ_PACK, &v, &n) != 0)
		return -1;
	if (n && (g->packs = calloc(n, sizeof(*g->packs))) == NULL) {
		gs_warnp("calloc");
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct gc_pack *p = &g->packs[g->npacks];

		memcpy(p->hex, v[i].name, GS_NAME_HEX);
		gs_unhex(p->name, p->hex, GS_NAME_LEN);
		p->mtime_ns = v[i].mtime_ns;
		p->young = v[i].mtime_ns > g->now_ns - (int64_t)GS_GC_GRACE_S * 1000000000;
		if (gs_repo_read_pack_header(g->r, g->tenant, p->hex, g->k->index_key, &p->size,
		                             &p->h) != 0) {
			gs_warn(
			    "tenant %s pack %s: its header cannot be read; nothing is collected "
			    "until it is repaired or set aside",
			    g->tenant, p->hex);
			rc = 1;
			break;
		}
		g->npacks++;
		if (p->h.nchunks > 1)
			qsort(p->h.chunks, p->h.nchunks, sizeof(*p->h.chunks), cmp_ref);
		st->packs++;
		st->bytes_before += p->size;
	}
	free(v);
	return rc;
}

/* Decide each pack's fate from its live chunks. */
static void
classify(struct gc *g, struct gs_gc_stats *st)
{
	for (size_t i = 0; i < g->npacks; i++) {
		struct gc_pack *p = &g->packs[i];

		if (p->h.nchunks && (p->live = calloc(p->h.nchunks, 1)) == NULL) {
			p->young = 1; /* out of memory: leave it alone */
		}
		for (uint32_t c = 0; p->live && c < p->h.nchunks; c++)
			if (gc_is_live(g, p->name, p->h.chunks[c].id)) {
				p->live[c] = 1;
				p->nlive++;
			}
		if (p->young) {
			p->fate = FATE_KEEP;
			st->packs_young++;
			continue;
		}
		st->chunks_live += p->nlive;
		st->chunks_dead += p->h.nchunks - p->nlive;
		for (uint32_t c = 0; c < p->h.nchunks; c++)
			if (!p->live[c])
				st->bytes_dead += p->h.chunks[c].stored_len;
		if (p->nlive == p->h.nchunks) {
			p->fate = FATE_KEEP;
		} else if (p->nlive == 0) {
			p->fate = FATE_DELETE;
			st->packs_deleted++;
		} else {
			p->fate = FATE_REPACK;
			st->packs_repacked++;
		}
	}
}

/* ---- repacking ---------------------------------------------------------- */

struct npack {
	struct gs_objfile *f;
	uint8_t (*sealed)[GS_SEALED_KEY_LEN];
	uint8_t (*keysrc)[GS_NAME_LEN + 2]; /* old pack name, u16 key_idx */
	uint16_t nkeys;
	struct gs_chunk_ref *refs;
	uint32_t n, cap;
	size_t *from; /* the old packs moved into it (indices into g->packs) */
	size_t nfrom;
};

/* The new pack's key index for old pack p's key kidx (added when new). */
static int
key_for(struct npack *np, const struct gc_pack *p, uint16_t kidx, uint16_t *ret)
{
	uint8_t src[GS_NAME_LEN + 2];

	if (kidx == GS_KEYIDX_INDEX) {
		*ret = GS_KEYIDX_INDEX;
		return 0;
	}
	memcpy(src, p->name, GS_NAME_LEN);
	src[GS_NAME_LEN] = (uint8_t)(kidx & 0xff);
	src[GS_NAME_LEN + 1] = (uint8_t)(kidx >> 8);
	for (uint16_t i = 0; i < np->nkeys; i++)
		if (memcmp(np->keysrc[i], src, sizeof(src)) == 0) {
			*ret = i;
			return 0;
		}
	{
		void *a = reallocarray(np->sealed, np->nkeys + 1u, GS_SEALED_KEY_LEN);
		void *b;

		if (a == NULL)
			return -1;
		np->sealed = a;
		if ((b = reallocarray(np->keysrc, np->nkeys + 1u, sizeof(src))) == NULL)
			return -1;
		np->keysrc = b;
	}
	memcpy(np->sealed[np->nkeys], p->h.sealed[kidx], GS_SEALED_KEY_LEN);
	memcpy(np->keysrc[np->nkeys], src, sizeof(src));
	*ret = np->nkeys++;
	return 0;
}

static void
npack_clear(struct npack *np)
{
	gs_objfile_free(np->f);
	free(np->sealed);
	free(np->keysrc);
	free(np->refs);
	free(np->from);
	memset(np, 0, sizeof(*np));
}

/* Copy the live chunks of old pack p into np.  0 or -1 (warned). */
static int
copy_live(struct gc *g, struct npack *np, size_t pi, struct gs_gc_stats *st)
{
	const struct gc_pack *p = &g->packs[pi];
	uint8_t *buf = NULL;
	size_t cap = 0;
	void *nf;

	if ((nf = reallocarray(np->from, np->nfrom + 1, sizeof(*np->from))) == NULL)
		goto oom;
	np->from = nf;
	np->from[np->nfrom++] = pi;
	for (uint32_t c = 0; c < p->h.nchunks; c++) {
		const struct gs_chunk_ref *ref = &p->h.chunks[c];
		struct gs_chunk_ref *nr;

		if (!p->live[c])
			continue;
		if (ref->stored_len > cap) {
			void *nb = realloc(buf, ref->stored_len);

			if (nb == NULL)
				goto oom;
			buf = nb;
			cap = ref->stored_len;
		}
		if (np->n == np->cap) {
			uint32_t nc = np->cap ? np->cap * 2 : 256;
			void *nv = reallocarray(np->refs, nc, sizeof(*np->refs));

			if (nv == NULL)
				goto oom;
			np->refs = nv;
			np->cap = nc;
		}
		nr = &np->refs[np->n];
		*nr = *ref;
		if (key_for(np, p, ref->key_idx, &nr->key_idx))
			goto oom;
		nr->offset = gs_objfile_size(np->f);
		if (gs_repo_read_range(g->r, g->tenant, GS_OBJ_PACK, p->hex, ref->offset,
		                       ref->stored_len, buf) ||
		    gs_objfile_write(np->f, buf, ref->stored_len))
			goto err;
		np->n++;
		st->bytes_copied += ref->stored_len;
	}
	free(buf);
	return 0;
oom:
	gs_warnp("memory");
err:
	free(buf);
	return -1;
}

/* Publish np; add its relocations to *rel (n used, cap).  0 or -1. */
static int
npack_commit(struct gc *g, struct npack *np, struct gs_reloc **rel, size_t *nrel, size_t *caprel,
             struct gs_index_pack *ret)
{
	struct gs_pack_header h = {
	    .nkeys = np->nkeys, .sealed = np->sealed, .nchunks = np->n, .chunks = np->refs};
	struct gs_buf tail = {0};
	char name[GS_NAME_HEX];
	int rc = -1;

	gs_pack_header_encode(g->k->index_key, &h, &tail);
	if (tail.oom || gs_objfile_write(np->f, tail.p, tail.len) || gs_objfile_commit(np->f, name))
		goto out;
	gs_unhex(ret->name, name, GS_NAME_LEN);
	ret->n = np->n;
	ret->chunks = np->refs;
	np->refs = NULL;
	for (size_t i = 0; i < np->nfrom; i++) {
		if (*nrel == *caprel) {
			size_t nc = *caprel ? *caprel * 2 : 64;
			void *nv = reallocarray(*rel, nc, sizeof(**rel));

			if (nv == NULL) {
				gs_warnp("reallocarray");
				goto out;
			}
			*rel = nv;
			*caprel = nc;
		}
		memcpy((*rel)[*nrel].from, g->packs[np->from[i]].name, GS_NAME_LEN);
		memcpy((*rel)[*nrel].to, ret->name, GS_NAME_LEN);
		(*nrel)++;
	}
	rc = 0;
out:
	gs_buf_clear(&tail);
	return rc;
}

/* Repack every pack whose fate is FATE_REPACK into new packs of about
 * pack_size bytes; their index records into *newp, the moves into *rel.
 * 0 or -1 (warned; what was published stays, unnamed, for the next run). */
static int
repack(struct gc *g, uint64_t pack_size, struct gs_index_pack **newp, size_t *nnew,
       struct gs_reloc **rel, size_t *nrel, struct gs_gc_stats *st)
{
	struct npack np = {0};
	size_t capnew = 0, caprel = 0;
	uint8_t head[GS_PACK_START_LEN];
	int rc = 0;

	gs_pack_start(head);
	for (size_t i = 0; i <= g->npacks && rc == 0; i++) {
		const struct gc_pack *p = i < g->npacks ? &g->packs[i] : NULL;
		int last = p == NULL;

		if (!last && p->fate != FATE_REPACK)
			continue;
		if (np.f != NULL && (last || gs_objfile_size(np.f) >= pack_size ||
		                     (size_t)np.nkeys + p->h.nkeys > MAX_KEYS)) {
			if (*nnew == capnew) {
				size_t nc = capnew ? capnew * 2 : 16;
				void *nv = reallocarray(*newp, nc, sizeof(**newp));

				if (nv == NULL) {
					gs_warnp("reallocarray");
					rc = -1;
					break;
				}
				*newp = nv;
				capnew = nc;
			}
			if ((rc = npack_commit(g, &np, rel, nrel, &caprel, &(*newp)[*nnew])) == 0) {
				(*nnew)++;
				st->packs_written++;
			}
			npack_clear(&np);
		}
		if (last || rc)
			break;
		if (np.f == NULL) {
			if ((np.f = gs_objfile_new(g->r, g->tenant, GS_OBJ_PACK)) == NULL ||
			    gs_objfile_write(np.f, head, sizeof(head))) {
				rc = -1;
				break;
			}
		}
		rc = copy_live(g, &np, i, st);
	}
	npack_clear(&np);
	return rc;
}

/* Publish the index of every pack that stays and every new one, in
 * segments under the cap; their names into *ret (n).  0 or -1. */
static int
write_index(struct gc *g, const struct gs_index_pack *newp, size_t nnew, char (**ret)[GS_NAME_HEX],
            size_t *ret_n, struct gs_gc_stats *st)
{
	size_t total = g->npacks + nnew, k = 0;
	struct gs_index_pack *all;
	int rc = 0;

	*ret = NULL;
	*ret_n = 0;
	if ((all = calloc(total ? total : 1, sizeof(*all))) == NULL) {
		gs_warnp("calloc");
		return -1;
	}
	for (size_t i = 0; i < g->npacks; i++)
		if (g->packs[i].fate == FATE_KEEP) {
			memcpy(all[k].name, g->packs[i].name, GS_NAME_LEN);
			all[k].n = g->packs[i].h.nchunks;
			all[k++].chunks = g->packs[i].h.chunks;
		}
	for (size_t i = 0; i < nnew; i++)
		all[k++] = newp[i];
	for (size_t first = 0; first < k && rc == 0;) {
		struct gs_index idx = {.packs = all + first};
		struct gs_buf b = {0};
		uint64_t sum = 0;
		void *nv;
		size_t end;

		for (end = first; end < k; end++) {
			uint64_t rec = GS_NAME_LEN + 4 + (uint64_t)all[end].n * GS_CHUNK_REF_LEN;

			if (end > first && sum + rec > SEG_MAX)
				break;
			sum += rec;
		}
		idx.npacks = (uint32_t)(end - first);
		gs_index_encode(g->k->index_key, &idx, &b);
		if ((nv = reallocarray(*ret, *ret_n + 1, GS_NAME_HEX)) == NULL || b.oom) {
			gs_warnp("memory");
			rc = -1;
		} else {
			*ret = nv;
			rc = gs_repo_put(g->r, g->tenant, GS_OBJ_INDEX, b.p, b.len, (*ret)[*ret_n]);
			if (rc == 0) {
				(*ret_n)++;
				st->index_written++;
			}
		}
		gs_buf_clear(&b);
		first = end;
	}
	free(all);
	return rc;
}

/* The relocations kept snapshots need after this collection: for every
 * pack a pin names, where its chain (old entries and the new moves) ends.
 * *ret sorted; 0 or -1. */
static int
new_relocs(struct gc *g, const struct gs_reloc *moves, size_t nmoves, struct gs_reloc **ret,
           size_t *ret_n)
{
	struct gs_relocmap all = {0};
	struct gs_reloc *v = NULL;
	size_t n = 0;

	*ret = NULL;
	*ret_n = 0;
	if (g->rm.n + nmoves == 0)
		return 0;
	if ((all.v = calloc(g->rm.n + nmoves, sizeof(*all.v))) == NULL ||
	    (g->npinned && (v = calloc(g->npinned, sizeof(*v))) == NULL)) {
		gs_warnp("calloc");
		free(all.v);
		return -1;
	}
	if (g->rm.n)
		memcpy(all.v, g->rm.v, g->rm.n * sizeof(*all.v));
	if (nmoves)
		memcpy(all.v + g->rm.n, moves, nmoves * sizeof(*all.v));
	all.n = g->rm.n + nmoves;
	qsort(all.v, all.n, sizeof(*all.v), gs_reloc_cmp);
	for (size_t i = 0; i < g->npinned; i++) {
		const uint8_t *to = gs_relocmap_resolve(&all, g->pinned[i]);
		const struct gc_pack *p = gc_pack_find(g, g->pinned[i]);

		/* a pack that stays holds its chunks itself: an entry moving it
		 * (forged, or left by a killed collection) is not carried on */
		if (to == g->pinned[i] || (p != NULL && p->fate == FATE_KEEP))
			continue;
		memcpy(v[n].from, g->pinned[i], GS_NAME_LEN);
		memcpy(v[n++].to, to, GS_NAME_LEN);
	}
	gs_relocmap_clear(&all);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- deleting ------------------------------------------------------------ */

struct victim {
	int kind;
	char name[GS_NAME_HEX];
};

struct victims {
	struct victim *v;
	size_t n, cap;
};

static int
victim_add(struct victims *vs, int kind, const char *name)
{
	if (vs->n == vs->cap) {
		size_t nc = vs->cap ? vs->cap * 2 : 64;
		void *nv = reallocarray(vs->v, nc, sizeof(*vs->v));

		if (nv == NULL) {
			gs_warnp("reallocarray");
			return -1;
		}
		vs->v = nv;
		vs->cap = nc;
	}
	vs->v[vs->n].kind = kind;
	snprintf(vs->v[vs->n].name, GS_NAME_HEX, "%s", name);
	vs->n++;
	return 0;
}

/* The objects of kind not in keep[] (nkeep).  No grace here: only a
 * collection (under the tenant lock) writes relocation objects, and every
 * index segment is replaced, since one naming a deleted pack would make
 * the next backup pin chunks to it. */
static int
old_objects(struct gc *g, int kind, char (*keep)[GS_NAME_HEX], size_t nkeep, struct victims *vs)
{
	struct gs_repo_obj *v;
	size_t n;
	int rc = 0;

	if (gs_repo_list_objs(g->r, g->tenant, kind, &v, &n) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t j;

		for (j = 0; j < nkeep; j++)
			if (strcmp(keep[j], v[i].name) == 0)
				break;
		if (j == nkeep)
			rc = victim_add(vs, kind, v[i].name);
	}
	free(v);
	return rc;
}

/* Append every victim to each remote's pending-delete file, fsynced,
 * before anything is deleted.  0 or -1. */
static int
record_pending(const char *state_dir, const char *tenant, const char *const *remotes,
               size_t nremotes, const struct victims *vs)
{
	for (size_t r = 0; r < nremotes; r++) {
		struct gs_state_pending *p;
		int rc;

		if ((p = gs_state_pending_open_as(state_dir, GS_STATE_PENDING_DELETE, tenant,
		                                  remotes[r])) == NULL)
			return -1;
		gs_state_pending_stamp(p);
		for (size_t i = 0; i < vs->n; i++)
			gs_state_pending_add(p, vs->v[i].kind, vs->v[i].name);
		rc = gs_state_pending_sync(p);
		if (gs_state_pending_close(p) || rc)
			return -1;
	}
	return 0;
}

/* Delete the victims of kind on the local copy.  0 or -1 (warned). */
static int
delete_kind(struct gc *g, const struct victims *vs, int kind, struct gs_gc_stats *st)
{
	struct gs_transport *tp = gs_repo_transport(g->r);

	for (size_t i = 0; i < vs->n; i++) {
		char *path;
		int rc;

		if (vs->v[i].kind != kind)
			continue;
		if ((path = gs_layout_obj(g->tenant, kind, vs->v[i].name)) == NULL)
			return -1;
		rc = gs_tp_delete(tp, path);
		free(path);
		if (rc < 0) {
			gs_warn("tenant %s %s %s: cannot be deleted", g->tenant,
			        gs_layout_kind_noun(kind), vs->v[i].name);
			return -1;
		}
		st->objects_deleted++;
	}
	return 0;
}

/* Whether the relocations a collection needs differ from those stored. */
static int
relocs_differ(const struct gc *g, const struct gs_reloc *v, size_t n)
{
	size_t k = 0;

	/* g->rm is sorted; equal entries may repeat across objects */
	for (size_t i = 0; i < g->rm.n; i++)
		if (i == 0 || gs_reloc_cmp(&g->rm.v[i - 1], &g->rm.v[i]) != 0) {
			if (k >= n || gs_reloc_cmp(&g->rm.v[i], &v[k]) != 0)
				return 1;
			k++;
		}
	return k != n;
}

static void
gc_clear(struct gc *g)
{
	for (size_t i = 0; i < g->npacks; i++) {
		gs_pack_header_clear(&g->packs[i].h);
		free(g->packs[i].live);
	}
	free(g->packs);
	gs_relocmap_clear(&g->rm);
	free(g->live);
	free(g->anyid);
	free(g->pinned);
}

/*
 * gs_gc_local(r, k, tenant, pack_size, state_dir, remotes, nremotes, skip,
 * nskip, dry_run, st): collect the tenant's garbage on the local repository (see
 * gc.h for the order and the guarantees).  0 done, 1 refused (something
 * it must read is unreadable or forged; nothing deleted), -1 error.
 */
int
gs_gc_local(const struct gs_repo *r, const struct gs_wkey *k, const char *tenant,
            uint64_t pack_size, const char *state_dir, const char *const *remotes, size_t nremotes,
            const char (*skip)[33], size_t nskip, int dry_run, struct gs_gc_stats *st)
{
	struct gc g = {
	    .r = r, .k = k, .tenant = tenant, .now_ns = gs_now_ns(), .skip = skip, .nskip = nskip};
	struct gs_index_pack *newp = NULL;
	struct gs_reloc *moves = NULL, *rel = NULL;
	char(*segs)[GS_NAME_HEX] = NULL, relname[GS_NAME_HEX] = "";
	struct victims vs = {0};
	size_t nnew = 0, nmoves = 0, nrel = 0, nsegs = 0;
	int bad = 0, rc, packs_change, relocs_change;

	memset(st, 0, sizeof(*st));
	if ((rc = load_packs(&g, st)) != 0)
		goto out;
	if (gs_relocmap_load(&g.rm, r, tenant, k->index_key, &bad) != 0) {
		rc = -1;
		goto out;
	}
	if (bad) {
		gs_warn("tenant %s: a relocation object is unreadable; nothing is collected until "
		        "it is repaired or set aside",
		        tenant);
		rc = 1;
		goto out;
	}
	if ((rc = gc_live_load(&g, st)) != 0)
		goto out;
	classify(&g, st);
	st->bytes_after = st->bytes_before;
	packs_change = st->packs_deleted + st->packs_repacked > 0;
	if (dry_run)
		goto out;
	/* 1. new packs */
	if (packs_change && (rc = repack(&g, pack_size, &newp, &nnew, &moves, &nmoves, st)) != 0)
		goto out;
	if ((rc = new_relocs(&g, moves, nmoves, &rel, &nrel)) != 0)
		goto out;
	relocs_change = relocs_differ(&g, rel, nrel);
	if (!packs_change && !relocs_change)
		goto out;
	/* 2. the new index, while the old one still stands */
	if (packs_change && (rc = write_index(&g, newp, nnew, &segs, &nsegs, st)) != 0)
		goto out;
	/* what goes, recorded for the remotes before anything does */
	if (packs_change && (rc = old_objects(&g, GS_OBJ_INDEX, segs, nsegs, &vs)) != 0)
		goto out;
	for (size_t i = 0; i < g.npacks && rc == 0; i++)
		if (g.packs[i].fate != FATE_KEEP)
			rc = victim_add(&vs, GS_OBJ_PACK, g.packs[i].hex);
	if (rc == 0 && relocs_change) {
		struct gs_buf b = {0};

		if (nrel) {
			gs_reloc_encode(k->index_key, rel, (uint32_t)nrel, &b);
			rc = b.oom ? -1 : 0;
		}
		/* its name is known before it is published: never delete it */
		if (rc == 0 && nrel)
			gs_xxh128_hex(b.p, b.len, relname);
		if (rc == 0)
			rc = old_objects(&g, GS_OBJ_RELOC, nrel ? &relname : NULL, nrel ? 1 : 0,
			                 &vs);
		if (rc == 0)
			rc = record_pending(state_dir, tenant, remotes, nremotes, &vs);
		/* 3. old segments go before the relocation names the new packs */
		if (rc == 0)
			rc = delete_kind(&g, &vs, GS_OBJ_INDEX, st);
		/* 4. the relocation object, then the ones it replaces */
		if (rc == 0 && nrel) {
			rc = gs_repo_put(r, tenant, GS_OBJ_RELOC, b.p, b.len, relname);
			st->relocs_written += rc == 0;
		}
		if (rc == 0)
			rc = delete_kind(&g, &vs, GS_OBJ_RELOC, st);
		gs_buf_clear(&b);
	} else if (rc == 0) {
		rc = record_pending(state_dir, tenant, remotes, nremotes, &vs);
		if (rc == 0)
			rc = delete_kind(&g, &vs, GS_OBJ_INDEX, st);
	}
	/* 5. the old packs */
	if (rc == 0)
		rc = delete_kind(&g, &vs, GS_OBJ_PACK, st);
	if (rc == 0) {
		st->bytes_after = 0;
		for (size_t i = 0; i < g.npacks; i++)
			if (g.packs[i].fate == FATE_KEEP)
				st->bytes_after += g.packs[i].size;
		for (size_t i = 0; i < nnew; i++) {
			char hex[GS_NAME_HEX];
			uint64_t sz = 0;

			gs_hex(hex, newp[i].name, GS_NAME_LEN);
			if (gs_repo_stat(r, tenant, GS_OBJ_PACK, hex, &sz) == 0)
				st->bytes_after += sz;
		}
	}
out:
	for (size_t i = 0; i < nnew; i++)
		free(newp[i].chunks);
	free(newp);
	free(moves);
	free(rel);
	free(segs);
	free(vs.v);
	gc_clear(&g);
	return rc;
}
