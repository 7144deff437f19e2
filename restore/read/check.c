/*
 * check.c -- the read-key repository check.
 *
 * Order: packs first (their headers are the ground truth for where chunks
 * are), then index segments against those headers, then snapshots against
 * the index.  A bad object is named and skipped; the check always goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "geosnap/util.h"
#include "read/check.h"
#include "read/fetch.h"
#include "geosnap/progress.h"
#include "read/reader.h"
#include "read/refs.h"

#define MAX_NAMED 10 /* chunk problems named per object before summarising */

struct ctx {
	struct gs_reader *rd;
	const struct gs_check_opts *o;
	const char *tenant;
	/* (pack, chunk) -> ref from the pack headers, keyed by hdr_key(): a chunk
	 * may legitimately be stored in more than one pack. */
	struct gs_cindex *hdr;
	struct gs_cindex *ids;    /* chunk ID -> the packs whose header holds it */
	struct gs_cindex *badhdr; /* (pack, chunk) keyed like hdr: failed to read */
	struct gs_progress pg;
	uint8_t *io;
	int bad;
	uint64_t nchunks, nbad_chunks;
	struct gs_buf aside; /* "kind/name\n" of each forged or damaged object */
};

/* Remember an object that should be set aside (listed once at the end). */
static void
aside_add(struct ctx *c, int kind, const char *name)
{
	char line[64];

	snprintf(line, sizeof(line), "%s/%s\n", gs_layout_kind_name(kind), name);
	gs_buf_put(&c->aside, line, strlen(line));
}

#define IO_LEN (8u << 20)

/* Hash the object and compare with its name; 0 ok, -1 wrong (warned).
 * Through the repository layer, so the same for a local and a remote copy. */
static int
check_name(struct ctx *c, int kind, const char *name, uint64_t *ret_size)
{
	const struct gs_repo *r = gs_reader_repo(c->rd);
	const char *what = gs_layout_kind_noun(kind);
	char hex[GS_NAME_HEX];
	uint64_t size;

	switch (gs_repo_stat(r, c->tenant, kind, name, &size)) {
	case 0:
		break;
	case 1:
		gs_warn("tenant %s: %s %s: missing", c->tenant, what, name);
		return -1;
	default:
		return -1;
	}
	switch (gs_repo_obj_hash(r, c->tenant, kind, name, size, c->io, IO_LEN, hex)) {
	case 0:
		break;
	case 1:
		gs_warn("tenant %s: %s %s: vanished or shrank during the check", c->tenant, what,
		        name);
		return -1;
	default:
		return -1;
	}
	if (strcmp(hex, name) != 0) {
		gs_warn("tenant %s: %s %s: content does not match its name (xxh128 %s)", c->tenant,
		        what, name, hex);
		return -1;
	}
	if (ret_size != NULL)
		*ret_size = size;
	return 0;
}

/* ---- packs ------------------------------------------------------------- */

/* The key of (pack, id) in c->hdr: BLAKE2b-256 of both. */
static void
hdr_key(const uint8_t pack[GS_NAME_LEN], const uint8_t id[GS_ID_LEN], uint8_t ret[GS_ID_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, GS_ID_LEN);
	crypto_generichash_update(&st, pack, GS_NAME_LEN);
	crypto_generichash_update(&st, id, GS_ID_LEN);
	crypto_generichash_final(&st, ret, GS_ID_LEN);
}

/* Check one pack; 1 when its header could be read (its chunks can be). */
static int
check_pack(struct ctx *c, const char *name)
{
	struct gs_pack_header h;
	uint8_t head[8], bin[GS_NAME_LEN], shadowed[GS_NAME_LEN];
	char shex[GS_NAME_HEX];
	uint64_t size;
	uint32_t i, nshadow = 0;
	int r;

	if (check_name(c, GS_OBJ_PACK, name, NULL) != 0)
		c->bad = 1; /* still look inside: the header may say more */
	if (gs_repo_read_range(gs_reader_repo(c->rd), c->tenant, GS_OBJ_PACK, name, 0, 8, head) !=
	        0 ||
	    gs_pack_check_magic(name, head, 8) != 0) {
		gs_warn("tenant %s: pack %s: bad or unreadable start", c->tenant, name);
		c->bad = 1;
		return 0;
	}
	memset(&h, 0, sizeof(h));
	if (gs_repo_read_pack_header(gs_reader_repo(c->rd), c->tenant, name,
	                             gs_reader_key(c->rd)->w.index_key, &size, &h) != 0) {
		gs_warn("tenant %s: pack %s: header unreadable", c->tenant, name);
		c->bad = 1;
		return 0;
	}
	gs_unhex(bin, name, GS_NAME_LEN);
	for (i = 0; i < h.nchunks; i++) {
		struct gs_chunk_ref keyed = h.chunks[i];
		const uint8_t *other;

		/* A chunk ID another pack holds too: a second copy, or a pack
		 * forged to shadow the first. */
		if (gs_cindex_get(c->ids, h.chunks[i].id, &other) != NULL &&
		    memcmp(other, bin, GS_NAME_LEN) != 0) {
			if (nshadow++ == 0)
				memcpy(shadowed, other, GS_NAME_LEN);
		}
		if (gs_cindex_add(c->ids, bin, &h.chunks[i]) < 0) {
			c->bad = 1;
			break;
		}

		hdr_key(bin, h.chunks[i].id, keyed.id);
		r = gs_cindex_add(c->hdr, bin, &keyed);
		if (r < 0) {
			gs_warn("out of memory");
			c->bad = 1;
			break;
		}
		if (r == 1) {
			gs_warn("tenant %s: pack %s: chunk %u is stored twice in the pack",
			        c->tenant, name, (unsigned)i);
			c->bad = 1;
		}
	}
	c->nchunks += h.nchunks;
	if (nshadow > 0) {
		gs_hex(shex, shadowed, GS_NAME_LEN);
		gs_warn("tenant %s: pack %s: %u of its %u chunks are also in pack %s%s: a second "
		        "copy, or a pack written to shadow the first%s",
		        c->tenant, name, (unsigned)nshadow, (unsigned)h.nchunks, shex,
		        nshadow > 1 ? " (or others)" : "",
		        c->o->read_data ? "" : "; check --read-data tells which copy is bad");
		if (!c->o->read_data)
			c->bad = 1;
	}
	gs_pack_header_clear(&h);
	return 1;
}

/*
 * With --read-data: decrypt and verify every chunk of every pack whose
 * header could be read (usable[i]) through the read engine, each pack's
 * chunks read once in large requests.  A pack with bad chunks is named and
 * set aside; its bad chunks are remembered (c->badhdr) for the index and
 * snapshot checks.
 */
static void
read_data(struct ctx *c, char (*packs)[GS_NAME_HEX], size_t npacks, const uint8_t *usable)
{
	const struct gs_chunk_ref *ref;
	struct gs_buf buf = {0};
	struct gs_fetch *f;
	uint8_t bin[GS_NAME_LEN];
	const uint8_t *p;
	uint32_t *cnt, k, nbad;
	size_t i, len;
	int r;

	if ((cnt = calloc(npacks ? npacks : 1, sizeof(*cnt))) == NULL ||
	    (f = gs_fetch_new(c->rd, c->o->remote, 0)) == NULL) {
		free(cnt);
		gs_warn("out of memory");
		c->bad = 1;
		return;
	}
	for (i = 0; i < npacks; i++) {
		if (!usable[i] || gs_unhex(bin, packs[i], GS_NAME_LEN) != 0)
			continue;
		if (gs_fetch_plan_pack(f, i, bin, &cnt[i]) < 0) {
			c->bad = 1;
			goto out;
		}
	}
	if (gs_fetch_start(f) != 0) {
		c->bad = 1;
		goto out;
	}
	for (i = 0; i < npacks; i++) {
		nbad = 0;
		for (k = 0; k < cnt[i]; k++) {
			ref = NULL;
			r = gs_fetch_pack_chunk(f, i, k, &ref, &p, &len, &buf);
			if (ref == NULL)
				break;
			if (r != 0) {
				struct gs_chunk_ref keyed = *ref;

				nbad++;
				gs_unhex(bin, packs[i], GS_NAME_LEN);
				hdr_key(bin, ref->id, keyed.id);
				if (gs_cindex_add(c->badhdr, bin, &keyed) < 0)
					c->bad = 1;
			}
			gs_progress_add(&c->pg, ref->stored_len, 0);
		}
		if (nbad > 0) {
			gs_warn("tenant %s: pack %s: %u of %u chunks are bad", c->tenant, packs[i],
			        (unsigned)nbad, (unsigned)cnt[i]);
			c->bad = 1;
			c->nbad_chunks += nbad;
			aside_add(c, GS_OBJ_PACK, packs[i]);
		}
	}
out:
	if (c->o->stats != NULL)
		gs_fetch_stats(f, c->o->stats);
	gs_fetch_free(f);
	gs_buf_clear(&buf);
	free(cnt);
}

/* ---- index segments ---------------------------------------------------- */

static int
same_ref(const struct gs_chunk_ref *a, const struct gs_chunk_ref *b)
{
	return memcmp(a->id, b->id, GS_ID_LEN) == 0 && a->offset == b->offset &&
	       a->stored_len == b->stored_len && a->raw_len == b->raw_len &&
	       a->key_idx == b->key_idx && a->flags == b->flags && a->alg == b->alg &&
	       a->type == b->type;
}

static void
check_index(struct ctx *c, const char *name)
{
	const struct gs_chunk_ref *href;
	const uint8_t *hpack;
	struct gs_index idx;
	char label[160], phex[GS_NAME_HEX], idhex[2 * GS_ID_LEN + 1];
	uint8_t *buf;
	size_t len;
	uint32_t i, j, named = 0, nwrong = 0;

	if (check_name(c, GS_OBJ_INDEX, name, NULL) != 0) {
		c->bad = 1;
		return;
	}
	if (gs_repo_read(gs_reader_repo(c->rd), c->tenant, GS_OBJ_INDEX, name, &buf, &len) != 0) {
		c->bad = 1;
		return;
	}
	snprintf(label, sizeof(label), "tenant %s: index %s", c->tenant, name);
	memset(&idx, 0, sizeof(idx));
	if (gs_index_parse(gs_reader_key(c->rd)->w.index_key, label, buf, len, &idx) != 0) {
		free(buf);
		c->bad = 1;
		return;
	}
	free(buf);
	for (i = 0; i < idx.npacks; i++) {
		gs_hex(phex, idx.packs[i].name, GS_NAME_LEN);
		for (j = 0; j < idx.packs[i].n; j++) {
			const struct gs_chunk_ref *ref = &idx.packs[i].chunks[j];
			struct gs_chunk_ref keyed = *ref;
			const char *why = NULL;

			hdr_key(idx.packs[i].name, ref->id, keyed.id);
			href = gs_cindex_get(c->hdr, keyed.id, &hpack);
			if (href == NULL)
				why = "is not in that pack's header (or the pack is missing)";
			else if (!same_ref(href, &keyed))
				why = "differs from the pack header";
			else if (gs_cindex_get(c->badhdr, keyed.id, NULL) != NULL)
				why = "fails authentication in that pack";
			if (why != NULL) {
				nwrong++;
				if (named++ < MAX_NAMED) {
					gs_reader_idhex(ref->id, idhex);
					gs_warn("%s: chunk %s of pack %s %s", label, idhex, phex,
					        why);
				}
				continue;
			}
			if (gs_cindex_add(gs_reader_cindex(c->rd), idx.packs[i].name, ref) < 0) {
				gs_warn("out of memory");
				c->bad = 1;
				goto done;
			}
		}
	}
	if (nwrong > 0) {
		gs_warn("%s: %u entries disagree with the packs or name bad chunks", label,
		        (unsigned)nwrong);
		c->bad = 1;
		aside_add(c, GS_OBJ_INDEX, name);
	}
done:
	gs_index_clear(&idx);
}

/* ---- snapshots --------------------------------------------------------- */

static const uint8_t no_pack[GS_NAME_LEN];

/* Does an index segment (that agrees with the packs) list id in pack? */
static int
indexed_in(struct ctx *c, const uint8_t id[GS_ID_LEN], const uint8_t pack[GS_NAME_LEN])
{
	const struct gs_chunk_ref *refs[16];
	const uint8_t *packs[16];
	size_t n = gs_cindex_locations(gs_reader_cindex(c->rd), id, refs, packs, 16);

	for (size_t i = 0; i < n; i++)
		if (memcmp(packs[i], pack, GS_NAME_LEN) == 0)
			return 1;
	return 0;
}

/* One referenced chunk, pinned to pack (all zero: not pinned, version 1);
 * counts and names problems. */
static void
check_pin(struct ctx *c, const struct gs_rsnap *s, const uint8_t id[GS_ID_LEN],
          const uint8_t pack[GS_NAME_LEN], uint32_t *named, uint64_t *nmissing)
{
	char idhex[2 * GS_ID_LEN + 1], phex[GS_NAME_HEX];
	uint8_t key[GS_ID_LEN];
	const char *why = NULL;

	if (memcmp(pack, no_pack, GS_NAME_LEN) == 0) {
		if (gs_cindex_get(c->ids, id, NULL) == NULL)
			why = "is in no pack";
	} else {
		pack = gs_reader_relocated(c->rd, pack); /* moved by garbage collection */
		hdr_key(pack, id, key);
		if (gs_cindex_get(c->hdr, key, NULL) == NULL)
			why = "is pinned to a pack that does not hold it (or is missing)";
		else if (gs_cindex_get(c->badhdr, key, NULL) != NULL)
			why = "is pinned to a pack where it fails authentication";
		else if (!indexed_in(c, id, pack))
			why = "is pinned to a pack that no index segment lists it in (the agent's "
			      "next backup indexes it again)";
	}
	if (why == NULL)
		return;
	(*nmissing)++;
	if ((*named)++ < MAX_NAMED) {
		gs_reader_idhex(id, idhex);
		gs_hex(phex, pack, GS_NAME_LEN);
		gs_warn("tenant %s: snapshot %s: chunk %s %s%s%s", c->tenant, s->name, idhex, why,
		        memcmp(pack, no_pack, GS_NAME_LEN) ? ": pack " : "",
		        memcmp(pack, no_pack, GS_NAME_LEN) ? phex : "");
	}
}

/* A chunk the manifest names must be in the reference stream. */
static void
check_listed(struct ctx *c, const struct gs_rsnap *s, const struct gs_pin *pins, size_t npins,
             const uint8_t id[GS_ID_LEN], uint32_t *named, uint64_t *nmissing)
{
	char idhex[2 * GS_ID_LEN + 1];

	if (gs_refs_find(pins, npins, id) != NULL)
		return;
	(*nmissing)++;
	if ((*named)++ < MAX_NAMED) {
		gs_reader_idhex(id, idhex);
		gs_warn("tenant %s: snapshot %s: chunk %s is missing from the snapshot's "
		        "reference list",
		        c->tenant, s->name, idhex);
	}
}

/*
 * A file entry whose size its chunks cannot have: export would pad it with
 * zeros up to that size (a forged 2^50 bytes), restore refuses it.
 */
static void
check_size(struct ctx *c, const struct gs_rsnap *s, const struct gs_mentry *e, uint64_t *nbad)
{
	char why[160], q[1024];

	if (gs_reader_size_check(c->rd, (const uint8_t(*)[GS_ID_LEN])e->chunks, e->nchunks, e->size,
	                         why, sizeof(why)) == 0)
		return;
	if ((*nbad)++ < MAX_NAMED)
		gs_warn("tenant %s: snapshot %s: %s: %s", c->tenant, s->name,
		        gs_quote(e->path, q, sizeof(q)), why);
}

static void
check_snap(struct ctx *c, const char *name)
{
	struct gs_manifest *m;
	struct gs_mentry e;
	struct gs_rsnap s;
	const struct gs_pin *pins;
	size_t npins;
	uint64_t nmissing = 0, nsize = 0;
	uint32_t i, named = 0;
	int rc;

	/* gs_reader_snap_load() also checks the name against the content. */
	if ((rc = gs_reader_snap_load(c->rd, name, &s)) != 0) {
		if (rc == 1)
			gs_warn("tenant %s: snapshot %s: vanished during the check", c->tenant,
			        name);
		c->bad = 1;
		return;
	}
	/* M3: a time ahead of our clock would stay "latest" for ever. */
	if (gs_reader_snap_future(&s, gs_now_ns(),
	                          "\"latest\" refuses it; unless a clock was that wrong, the "
	                          "host that holds the write key wrote it"))
		c->bad = 1;
	for (i = 0; i < s.info.nrefchunks; i++)
		check_pin(c, &s, s.info.refchunks[i].id, s.info.refchunks[i].pack, &named,
		          &nmissing);
	if (gs_reader_pin(c->rd, &s) != 0) {
		c->bad = 1;
		goto done;
	}
	pins = gs_reader_pins(c->rd, &npins);
	for (size_t j = 0; j < npins; j++)
		check_pin(c, &s, pins[j].id, pins[j].pack, &named, &nmissing);
	for (i = 0; i < s.sealed.nmeta; i++)
		check_listed(c, &s, pins, npins, s.sealed.meta[i], &named, &nmissing);
	if ((m = gs_reader_manifest_open(c->rd, &s)) == NULL) {
		c->bad = 1;
		goto done;
	}
	while ((rc = gs_reader_manifest_next(m, &e)) == 0) {
		for (i = 0; i < e.nchunks; i++)
			check_listed(c, &s, pins, npins, e.chunks[i], &named, &nmissing);
		if (e.type == GS_FT_FILE)
			check_size(c, &s, &e, &nsize);
		gs_mentry_clear(&e);
	}
	if (rc < 0)
		c->bad = 1;
	else if (gs_reader_manifest_count(m) != s.info.files && c->o->verbose)
		gs_warn("tenant %s: snapshot %s: %llu manifest entries, %llu files recorded",
		        c->tenant, name, (unsigned long long)gs_reader_manifest_count(m),
		        (unsigned long long)s.info.files);
	gs_reader_manifest_free(m);
	if (nmissing > 0) {
		gs_warn("tenant %s: snapshot %s: %llu chunk references are broken", c->tenant, name,
		        (unsigned long long)nmissing);
		c->bad = 1;
	}
	if (nsize > 0) {
		gs_warn("tenant %s: snapshot %s: %llu file entries record a size their chunks "
		        "cannot have (refused by restore and export)",
		        c->tenant, name, (unsigned long long)nsize);
		c->bad = 1;
	}
done:
	gs_reader_snap_clear(&s);
}

/* ---- driver ------------------------------------------------------------ */

/*
 * gs_check(rd, o): check every object of the reader's tenant.  See check.h.
 */
int
gs_check(struct gs_reader *rd, const struct gs_check_opts *o)
{
	char(*packs)[GS_NAME_HEX] = NULL, (*index)[GS_NAME_HEX] = NULL,
	(*snaps)[GS_NAME_HEX] = NULL;
	size_t npacks, nindex, nsnaps, i;
	uint64_t total = 0, size;
	uint8_t *usable;
	struct ctx c;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.rd = rd;
	c.o = o;
	c.tenant = gs_reader_tenant(rd);
	if ((c.io = malloc(IO_LEN)) == NULL) {
		gs_warnp("malloc");
		goto err0;
	}
	if ((c.hdr = gs_cindex_new()) == NULL || (c.ids = gs_cindex_new()) == NULL ||
	    (c.badhdr = gs_cindex_new()) == NULL)
		goto err2;
	if (gs_repo_list(gs_reader_repo(rd), c.tenant, GS_OBJ_PACK, &packs, &npacks) != 0 ||
	    gs_repo_list(gs_reader_repo(rd), c.tenant, GS_OBJ_INDEX, &index, &nindex) != 0 ||
	    gs_repo_list(gs_reader_repo(rd), c.tenant, GS_OBJ_SNAP, &snaps, &nsnaps) != 0)
		goto err2;
	if (o->read_data) {
		for (i = 0; i < npacks; i++)
			if (gs_repo_stat(gs_reader_repo(rd), c.tenant, GS_OBJ_PACK, packs[i],
			                 &size) == 0)
				total += size;
	}
	gs_progress_init(&c.pg, o->progress, total, npacks + nindex + nsnaps);

	if ((usable = calloc(npacks ? npacks : 1, 1)) == NULL) {
		gs_warnp("calloc");
		goto err2;
	}
	for (i = 0; i < npacks; i++) {
		usable[i] = (uint8_t)check_pack(&c, packs[i]);
		gs_progress_add(&c.pg, 0, 1);
	}
	if (o->read_data)
		read_data(&c, packs, npacks, usable);
	free(usable);
	for (i = 0; i < nindex; i++) {
		check_index(&c, index[i]);
		gs_progress_add(&c.pg, 0, 1);
	}
	if (o->verbose) {
		for (i = 0; i < npacks; i++) {
			uint8_t bin[GS_NAME_LEN];

			if (gs_unhex(bin, packs[i], GS_NAME_LEN) == 0 &&
			    !gs_cindex_has_pack(gs_reader_cindex(rd), bin))
				gs_warn("tenant %s: pack %s: not in any index segment (orphan, "
				        "removed by garbage collection)",
				        c.tenant, packs[i]);
		}
	}
	for (i = 0; i < nsnaps; i++) {
		check_snap(&c, snaps[i]);
		gs_progress_add(&c.pg, 0, 1);
	}
	gs_progress_done(&c.pg);
	if (c.aside.len > 0 && !c.aside.oom) {
		char *line = (char *)c.aside.p, *nl;

		gs_warn("tenant %s: forged or damaged objects to set aside on every copy (see "
		        "\"The production host was compromised\" in docs/OPERATIONS.md):",
		        c.tenant);
		for (; (nl = memchr(line, '\n', (size_t)((char *)c.aside.p + c.aside.len - line)));
		     line = nl + 1)
			gs_warn("tenant %s: set aside: %.*s", c.tenant, (int)(nl - line), line);
	}
	if (o->verbose)
		fprintf(stderr,
		        "tenant %s: %zu packs, %zu index segments, %zu snapshots, %llu chunks%s: "
		        "%s\n",
		        c.tenant, npacks, nindex, nsnaps, (unsigned long long)c.nchunks,
		        o->read_data ? " (data read)" : "", c.bad ? "PROBLEMS FOUND" : "ok");
	rc = c.bad;

err2:
	free(packs);
	free(index);
	free(snaps);
	gs_cindex_free(c.hdr);
	gs_cindex_free(c.ids);
	gs_cindex_free(c.badhdr);
	gs_buf_clear(&c.aside);
	free(c.io);
err0:
	return rc;
}
