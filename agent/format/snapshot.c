/*
 * snapshot.c -- snapshot objects: a public part under the index key (what
 * the agent may see) and a part sealed to the tenant's public key.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/format.h"

#define SEALED_MAGIC "GSSR"
#define MAX_SEALED (64u << 20)

/* gs_snap_ref_len(version): bytes of one reference stream entry. */
size_t
gs_snap_ref_len(uint32_t version)
{
	return version >= 2 ? GS_PIN_LEN : GS_ID_LEN;
}

/* gs_pin_decode(p, version, ret): one reference stream entry. */
void
gs_pin_decode(const uint8_t *p, uint32_t version, struct gs_pin *ret)
{
	memcpy(ret->id, p, GS_ID_LEN);
	if (version >= 2)
		memcpy(ret->pack, p + GS_ID_LEN, GS_NAME_LEN);
	else
		memset(ret->pack, 0, GS_NAME_LEN);
}

/* gs_pin_encode(out, pin): append a version 2 entry. */
void
gs_pin_encode(struct gs_buf *out, const struct gs_pin *pin)
{
	gs_buf_put(out, pin->id, GS_ID_LEN);
	gs_buf_put(out, pin->pack, GS_NAME_LEN);
}

/*
 * gs_snap_encode(k, info, sealed, out): build a snapshot object; seals the
 * sealed part to k->pk after filling sealed->pub_hash.  0 or -1.
 */
int
gs_snap_encode(const struct gs_wkey *k, const struct gs_snap_info *s, struct gs_snap_sealed *sealed,
               struct gs_buf *out)
{
	struct gs_buf pub = {0}, pubct = {0}, sp = {0};
	uint8_t *sct = NULL;
	int rc = -1;

	gs_buf_u64(&pub, (uint64_t)s->time_ns);
	gs_buf_str16(&pub, s->host);
	gs_buf_str16(&pub, s->tenant);
	gs_buf_u64(&pub, s->files);
	gs_buf_u64(&pub, s->bytes);
	gs_buf_u64(&pub, s->new_bytes);
	gs_buf_u64(&pub, s->stored_new_bytes);
	gs_buf_u64(&pub, s->new_chunks);
	gs_buf_u64(&pub, s->files_seen);
	gs_buf_u64(&pub, s->bytes_seen);
	gs_buf_u32(&pub, s->vanished);
	gs_buf_u32(&pub, s->changed);
	gs_buf_u32(&pub, s->unreadable);
	gs_buf_u64(&pub, (uint64_t)s->duration_ns);
	gs_buf_u64(&pub, s->nrefs);
	gs_buf_u32(&pub, s->nrefchunks);
	for (uint32_t i = 0; i < s->nrefchunks; i++)
		gs_pin_encode(&pub, &s->refchunks[i]);
	if (pub.oom)
		goto out;
	gs_meta_seal_v(k->index_key, GS_SNAP_MAGIC, GS_SNAP_VERSION, &pubct, pub.p, pub.len);
	if (pubct.oom)
		goto out;
	crypto_generichash(sealed->pub_hash, 32, pubct.p, pubct.len, NULL, 0);

	gs_buf_put(&sp, SEALED_MAGIC, 4);
	gs_buf_put(&sp, sealed->pub_hash, 32);
	gs_buf_u64(&sp, sealed->manifest_len);
	gs_buf_u32(&sp, sealed->nmeta);
	gs_buf_put(&sp, sealed->meta, (size_t)sealed->nmeta * GS_ID_LEN);
	if (sp.oom || sp.len > MAX_SEALED)
		goto out;
	if ((sct = malloc(sp.len + crypto_box_SEALBYTES)) == NULL)
		goto out;
	if (crypto_box_seal(sct, sp.p, sp.len, k->pk))
		goto out;

	gs_buf_put(out, GS_SNAP_MAGIC, 4);
	gs_buf_u32(out, GS_SNAP_VERSION);
	gs_buf_u32(out, (uint32_t)pubct.len);
	gs_buf_put(out, pubct.p, pubct.len);
	gs_buf_u32(out, (uint32_t)(sp.len + crypto_box_SEALBYTES));
	gs_buf_put(out, sct, sp.len + crypto_box_SEALBYTES);
	rc = out->oom ? -1 : 0;
out:
	if (rc)
		gs_warn("snapshot: cannot encode (out of memory)");
	free(sct);
	gs_buf_clear(&pub);
	gs_buf_clear(&pubct);
	gs_buf_clear(&sp);
	return rc;
}

/*
 * gs_snap_parse_public(index_key, name, buf, len, ret, ret_sealed_ct,
 * ret_sealed_len, ret_pub_hash): parse and decrypt the public part; hand back
 * the sealed ciphertext (borrowed from buf) for the read side, and the
 * BLAKE2b-256 of the public ciphertext it must carry.  0 or -1 naming name.
 */
int
gs_snap_parse_public(const uint8_t index_key[GS_KEY_LEN], const char *name, const uint8_t *buf,
                     size_t len, struct gs_snap_info *ret, const uint8_t **ret_sealed_ct,
                     size_t *ret_sealed_len, uint8_t ret_pub_hash[32])
{
	struct gs_snap_info s = {0};
	struct gs_buf pt = {0};
	struct gs_rd r, p;
	const uint8_t *pubct, *sct;
	uint32_t publen, slen, version;
	size_t elen;

	gs_rd_init(&r, buf, len);
	if (len < 8 || memcmp(buf, GS_SNAP_MAGIC, 4) != 0) {
		gs_warn("snapshot %s: bad magic", name);
		return -1;
	}
	gs_rd_bytes(&r, 4);
	version = gs_rd_u32(&r);
	if (version != 1 && version != GS_SNAP_VERSION) {
		gs_warn("snapshot %s: unknown version %u", name, version);
		return -1;
	}
	elen = gs_snap_ref_len(version);
	publen = gs_rd_u32(&r);
	pubct = gs_rd_bytes(&r, publen);
	slen = gs_rd_u32(&r);
	sct = gs_rd_bytes(&r, slen);
	if (r.err || r.off != len || slen > MAX_SEALED + crypto_box_SEALBYTES ||
	    slen < crypto_box_SEALBYTES) {
		gs_warn("snapshot %s: truncated or bad length field", name);
		return -1;
	}
	if (gs_meta_open_v(index_key, GS_SNAP_MAGIC, version, name, pubct, publen, &pt)) {
		gs_buf_clear(&pt);
		return -1;
	}
	gs_rd_init(&p, pt.p, pt.len);
	s.version = version;
	s.time_ns = (int64_t)gs_rd_u64(&p);
	s.host = gs_rd_str16(&p);
	s.tenant = gs_rd_str16(&p);
	s.files = gs_rd_u64(&p);
	s.bytes = gs_rd_u64(&p);
	s.new_bytes = gs_rd_u64(&p);
	s.stored_new_bytes = gs_rd_u64(&p);
	s.new_chunks = gs_rd_u64(&p);
	s.files_seen = gs_rd_u64(&p);
	s.bytes_seen = gs_rd_u64(&p);
	s.vanished = gs_rd_u32(&p);
	s.changed = gs_rd_u32(&p);
	s.unreadable = gs_rd_u32(&p);
	s.duration_ns = (int64_t)gs_rd_u64(&p);
	s.nrefs = gs_rd_u64(&p);
	s.nrefchunks = gs_rd_u32(&p);
	if (p.err || (uint64_t)s.nrefchunks * elen != pt.len - p.off) {
		gs_warn("snapshot %s: malformed public part", name);
		goto err;
	}
	if (s.nrefchunks && (s.refchunks = calloc(s.nrefchunks, sizeof(*s.refchunks))) == NULL) {
		gs_warn("snapshot %s: out of memory", name);
		goto err;
	}
	for (uint32_t i = 0; i < s.nrefchunks; i++)
		gs_pin_decode(gs_rd_bytes(&p, elen), version, &s.refchunks[i]);
	crypto_generichash(ret_pub_hash, 32, pubct, publen, NULL, 0);
	gs_buf_clear(&pt);
	*ret = s;
	*ret_sealed_ct = sct;
	*ret_sealed_len = slen;
	return 0;
err:
	gs_buf_clear(&pt);
	gs_snap_info_clear(&s);
	return -1;
}

/* gs_snap_parse_sealed(name, pt, len, ret): parse a decrypted sealed part. */
int
gs_snap_parse_sealed(const char *name, const uint8_t *pt, size_t len, struct gs_snap_sealed *ret)
{
	struct gs_snap_sealed s = {0};
	struct gs_rd r;

	gs_rd_init(&r, pt, len);
	if (len < 4 || memcmp(pt, SEALED_MAGIC, 4) != 0) {
		gs_warn("snapshot %s: sealed part has a bad magic", name);
		return -1;
	}
	gs_rd_bytes(&r, 4);
	gs_rd_copy(&r, s.pub_hash, 32);
	s.manifest_len = gs_rd_u64(&r);
	s.nmeta = gs_rd_u32(&r);
	if (r.err || (uint64_t)s.nmeta * GS_ID_LEN != len - r.off || s.nmeta == 0) {
		gs_warn("snapshot %s: malformed sealed part", name);
		return -1;
	}
	if ((s.meta = malloc((size_t)s.nmeta * GS_ID_LEN)) == NULL) {
		gs_warn("snapshot %s: out of memory", name);
		return -1;
	}
	gs_rd_copy(&r, s.meta, (size_t)s.nmeta * GS_ID_LEN);
	*ret = s;
	return 0;
}

/* gs_snap_info_clear(s): free the members of s (not s itself). */
void
gs_snap_info_clear(struct gs_snap_info *s)
{
	free(s->host);
	free(s->tenant);
	free(s->refchunks);
	memset(s, 0, sizeof(*s));
}

/* gs_snap_sealed_clear(s): wipe and free the members of s (not s itself). */
void
gs_snap_sealed_clear(struct gs_snap_sealed *s)
{
	free(s->meta);
	memset(s, 0, sizeof(*s));
}

/*
 * gs_snap_future(s, now_ns): 1 when s->time_ns lies more than
 * GS_SNAP_FUTURE_SKEW_S seconds after now_ns, else 0.
 */
int
gs_snap_future(const struct gs_snap_info *s, int64_t now_ns)
{
	/* now_ns is this host's clock, far from INT64_MAX: no overflow. */
	return s->time_ns > now_ns + (int64_t)GS_SNAP_FUTURE_SKEW_S * GS_NS_PER_S;
}
