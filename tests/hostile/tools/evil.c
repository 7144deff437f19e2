/*
 * evil.c -- shared code of the hostile tools: open the repository with the
 * write key alone, and write a forged snapshot (see evil.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <xxhash.h>

#include "evil.h"
#include "geosnap/pack.h"

void
evil_die(const char *fmt, ...)
{
	va_list ap;

	fputs("evil: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
evil_open(struct evil *e, const char *repo_path, const char *wkey_path)
{
	memset(e, 0, sizeof(*e));
	gs_set_progname("evil");
	if (sodium_init() < 0)
		evil_die("sodium_init failed");
	if ((e->k = gs_wkey_load(wkey_path, NULL)) == NULL)
		exit(2);
	if ((e->r = gs_repo_open(repo_path)) == NULL)
		exit(2);
	e->tenant = e->k->tenant;
}

void
evil_close(struct evil *e)
{
	gs_repo_free(e->r);
	gs_wkey_free(e->k);
	memset(e, 0, sizeof(*e));
}

/* Add one chunk to the pack; its ID to ret. */
static void
add_chunk(struct evil *e, struct gs_pack_writer *pw, const uint8_t *p, size_t len, uint8_t type,
          uint8_t ret[GS_ID_LEN])
{
	if (len > GS_MAX_CHUNK)
		evil_die("chunk of %zu bytes is too large", len);
	gs_chunk_id(e->k->id_key, p, len, ret);
	if (gs_pack_writer_add(pw, ret, type, p, len, (uint32_t)len, 0))
		evil_die("cannot add a chunk");
}

int
evil_snapshot(struct evil *e, struct evil_entry *v, size_t n, int64_t time_ns, const char *host,
              char ret_name[GS_NAME_HEX])
{
	struct gs_pack_writer *pw;
	struct gs_buf man = {0}, refs = {0}, snap = {0}, ib = {0};
	struct gs_index_pack ip[2];
	struct gs_index idx;
	struct gs_snap_info info = {0};
	struct gs_snap_sealed sealed = {0};
	struct gs_pin pin, refpin;
	uint8_t metaid[GS_ID_LEN];
	uint8_t(*ids)[GS_ID_LEN] = calloc(n ? n : 1, GS_ID_LEN);
	char iname[GS_NAME_HEX];
	uint64_t bytes = 0, nrefs = 0;
	uint8_t mstart[GS_MANIFEST_START_LEN];

	/* The data and the manifest go into one pack, the reference stream
	 * (which pins them to that pack) into a second. */
	if (ids == NULL || (pw = gs_pack_writer_new(e->r, e->tenant, e->k, GS_ALG_XCHACHA)) == NULL)
		evil_die("cannot start a pack");
	gs_manifest_start(mstart);
	gs_buf_put(&man, mstart, sizeof(mstart));
	for (size_t i = 0; i < n; i++) {
		struct gs_mentry *m = &v[i].e;

		if (m->type == GS_FT_FILE && !v[i].keep_chunks) {
			XXH128_canonical_t c;

			XXH128_canonicalFromHash(&c, XXH3_128bits(v[i].content, v[i].len));
			memcpy(m->hash, c.digest, 16);
			m->size = v[i].len;
			m->nchunks = 0;
			m->chunks = NULL;
			if (v[i].len) {
				add_chunk(e, pw, v[i].content, v[i].len, GS_CT_DATA, ids[i]);
				m->chunks = &ids[i];
				m->nchunks = 1;
			}
		}
		if (m->type == GS_FT_FILE)
			bytes += m->size;
		gs_mentry_encode(&man, m);
	}
	gs_buf_u32(&man, 0);
	add_chunk(e, pw, man.p, man.len, GS_CT_META, metaid);
	if (man.oom || gs_pack_writer_commit(pw, &ip[0]))
		evil_die("cannot write the data pack");
	gs_pack_writer_free(pw);

	memcpy(pin.pack, ip[0].name, GS_NAME_LEN);
	for (size_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < v[i].e.nchunks; j++) {
			memcpy(pin.id, v[i].e.chunks[j], GS_ID_LEN);
			gs_pin_encode(&refs, &pin);
			nrefs++;
		}
	memcpy(pin.id, metaid, GS_ID_LEN);
	gs_pin_encode(&refs, &pin);
	nrefs++;
	if ((pw = gs_pack_writer_new(e->r, e->tenant, e->k, GS_ALG_XCHACHA)) == NULL)
		evil_die("cannot start a pack");
	add_chunk(e, pw, refs.p, refs.len, GS_CT_REFS, refpin.id);
	if (refs.oom || gs_pack_writer_commit(pw, &ip[1]))
		evil_die("cannot write the reference pack");
	gs_pack_writer_free(pw);
	memcpy(refpin.pack, ip[1].name, GS_NAME_LEN);

	idx.npacks = 2;
	idx.packs = ip;
	gs_index_encode(e->k->index_key, &idx, &ib);
	if (ib.oom || gs_repo_put(e->r, e->tenant, GS_OBJ_INDEX, ib.p, ib.len, iname))
		evil_die("cannot write the index segment");

	info.time_ns = time_ns;
	info.host = (char *)host;
	info.tenant = (char *)e->tenant;
	info.files = n;
	info.bytes = bytes;
	info.files_seen = n;
	info.bytes_seen = bytes;
	info.nrefs = nrefs;
	info.nrefchunks = 1;
	info.refchunks = &refpin;
	sealed.manifest_len = man.len;
	sealed.nmeta = 1;
	sealed.meta = &metaid;
	if (gs_snap_encode(e->k, &info, &sealed, &snap) ||
	    gs_repo_put(e->r, e->tenant, GS_OBJ_SNAP, snap.p, snap.len, ret_name))
		evil_die("cannot write the snapshot");
	free(ip[0].chunks);
	free(ip[1].chunks);
	free(ids);
	gs_buf_clear(&man);
	gs_buf_clear(&refs);
	gs_buf_clear(&snap);
	gs_buf_clear(&ib);
	return 0;
}
