/*
 * format.h -- repository object formats, version 1.  docs/FORMAT.md is the
 * byte-exact description; this header is the code's view of it.
 *
 * Every object starts with a 4-byte magic and a u32 little-endian version
 * and is named by the XXH3-128 of its bytes (32 hex digits, as xxh128sum
 * prints).  Parsers take (buf, len) and an object name for messages, bound
 * every read, and return -1 naming the object on any malformed input.
 *
 * Encryption of metadata (pack headers, index segments, the public part of
 * snapshots) is XChaCha20-Poly1305 under the index key with a random 24-byte
 * nonce, the object's magic and version as associated data.  Chunk data is
 * AES-256-GCM (when the CPU has AES-NI) or XChaCha20-Poly1305 under a
 * per-pack data key, with the chunk ID and type as associated data.
 */
#ifndef GEOSNAP_FORMAT_H
#define GEOSNAP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/keys.h"
#include "geosnap/util.h"

#define GS_FORMAT_VERSION 1 /* packs, index segments, the repository config */
#define GS_SNAP_VERSION 2   /* snapshots written now; version 1 is still read */
#define GS_ID_LEN 32        /* chunk ID: keyed BLAKE2b-256 */
#define GS_NAME_LEN 16      /* object name: XXH3-128, binary */
#define GS_NAME_HEX 33      /* 32 hex digits + NUL */

#define GS_PACK_MAGIC "GSPK"
#define GS_PACK_END_MAGIC "GSPE"
#define GS_INDEX_MAGIC "GSIX"
#define GS_SNAP_MAGIC "GSSN"
#define GS_RELOC_MAGIC "GSRL"
#define GS_MANIFEST_MAGIC "GSMF"

/* Hard limits every parser enforces. */
#define GS_MAX_CHUNK (64u << 20)        /* plaintext chunk */
#define GS_MAX_PACK_HEADER (256u << 20) /* encrypted pack header */
#define GS_MAX_OBJECT ((uint64_t)4 << 30)
#define GS_MAX_ENTRY (256u << 20) /* one manifest entry */
#define GS_SEALED_KEY_LEN 80      /* crypto_box_SEALBYTES + 32 */
#define GS_TAG_LEN 16             /* AEAD tag of a chunk (both algorithms) */
#define GS_MAX_NONCE_LEN 24       /* XChaCha20-Poly1305; AES-256-GCM has 12 */
/* Largest stored blob (nonce || ciphertext || tag) writer and reader
 * accept: a maximal chunk, stored compressed only when that is smaller,
 * with room to spare for a worst-case zstd frame. */
#define GS_MAX_STORED ((size_t)GS_MAX_CHUNK + GS_MAX_CHUNK / 64 + GS_MAX_NONCE_LEN + GS_TAG_LEN)

/*
 * Whole-object caps per kind: a reader refuses a larger object, naming it,
 * before allocating anything for it (a copy or a server may be hostile),
 * and gs_repo_put() refuses to publish one, so writer and reader agree.
 * Packs are never read whole (ranges, and a header of at most
 * GS_MAX_PACK_HEADER): their cap is GS_MAX_OBJECT.
 *   config: version 1 is 24 bytes; room for a later version, so that one
 *     is reported as an unknown version rather than as oversized.
 *   index segment: the agent splits a run's segment between packs to stay
 *     below it, and one pack's record (20 + 53 bytes a chunk) is smaller
 *     than that pack's header.  256 MiB is about 5 million chunk refs.
 *   snapshot: a sealed part of at most 64 MiB, a public part of a few KiB
 *     plus 32 bytes per reference-stream chunk; a real one is a few KiB.
 */
#define GS_MAX_CONFIG_OBJECT 4096u
#define GS_MAX_INDEX_SEGMENT (GS_MAX_PACK_HEADER + 4096u)
#define GS_MAX_SNAP_OBJECT ((128u << 20) + 4096u)
/* relocation object: 32 bytes an entry, about 2 million packs moved */
#define GS_MAX_RELOC_OBJECT ((64u << 20) + 4096u)

/* Chunk data AEADs. */
#define GS_ALG_XCHACHA 0 /* XChaCha20-Poly1305-IETF, 24-byte nonce */
#define GS_ALG_AESGCM 1  /* AES-256-GCM, 12-byte nonce */
/* Chunk types. */
#define GS_CT_DATA 0
#define GS_CT_META 1 /* manifest stream */
#define GS_CT_REFS 2 /* reference stream: chunk IDs, readable with the index key */
/* key_idx of a chunk encrypted under the index key (XChaCha20-Poly1305)
 * instead of a sealed data key: the reference stream, which the agent must
 * read back for garbage collection. */
#define GS_KEYIDX_INDEX 0xffff
/* Chunk flags. */
#define GS_CF_ZSTD 1

/* One chunk inside a pack: the unit of pack headers and index segments. */
struct gs_chunk_ref {
	uint8_t id[GS_ID_LEN];
	uint64_t offset;     /* of the blob from the start of the pack */
	uint32_t stored_len; /* blob length: nonce + ciphertext + tag */
	uint32_t raw_len;    /* plaintext length */
	uint16_t key_idx;    /* which sealed data key of the pack */
	uint8_t flags;       /* GS_CF_* */
	uint8_t alg;         /* GS_ALG_* */
	uint8_t type;        /* GS_CT_* */
};
#define GS_CHUNK_REF_LEN (GS_ID_LEN + 8 + 4 + 4 + 2 + 1 + 1 + 1)

/* gs_aead_nonce_len(alg): 24 or 12; 0 for an unknown alg. */
size_t gs_aead_nonce_len(uint8_t alg);
/* gs_aead_default(): GS_ALG_AESGCM when the CPU supports it, else XCHACHA. */
uint8_t gs_aead_default(void);

/*
 * gs_meta_seal(key, magic, out, pt, len): append nonce || XChaCha20-Poly1305
 * (pt) to out, with the 4-byte magic and GS_FORMAT_VERSION as associated
 * data.  gs_meta_open(key, magic, name, ct, len, out): the inverse into out
 * (reset first); returns 0 or -1 ("object NAME: authentication failed").
 * The _v forms take the object's version for the associated data.
 */
void gs_meta_seal(const uint8_t key[GS_KEY_LEN], const char *magic, struct gs_buf *out,
                  const uint8_t *pt, size_t len);
int gs_meta_open(const uint8_t key[GS_KEY_LEN], const char *magic, const char *name,
                 const uint8_t *ct, size_t len, struct gs_buf *out);
/* gs_meta_seal_v(key, magic, version, out, pt, len): gs_meta_seal() with the
 * object's version in the associated data. */
void gs_meta_seal_v(const uint8_t key[GS_KEY_LEN], const char *magic, uint32_t version,
                    struct gs_buf *out, const uint8_t *pt, size_t len);
/* gs_meta_open_v(key, magic, version, name, ct, len, out): gs_meta_open() with
 * the object's version in the associated data; 0 or -1 (warned). */
int gs_meta_open_v(const uint8_t key[GS_KEY_LEN], const char *magic, uint32_t version,
                   const char *name, const uint8_t *ct, size_t len, struct gs_buf *out);

/* gs_chunk_id(k, buf, len, ret): keyed BLAKE2b-256 chunk ID. */
void gs_chunk_id(const uint8_t id_key[GS_KEY_LEN], const uint8_t *buf, size_t len,
                 uint8_t ret[GS_ID_LEN]);

/* gs_chunk_ad(ad, id, type): the 33 bytes of associated data of a chunk. */
void gs_chunk_ad(uint8_t ad[GS_ID_LEN + 1], const uint8_t id[GS_ID_LEN], uint8_t type);

/* ---- the repository config object (agent/format/repoconf.c) ----------
 *
 *   "GSRP" u32 version id[16]
 */
#define GS_REPOCONF_LEN 24
/* gs_repoconf_new(out): a fresh config object with a random repository id. */
void gs_repoconf_new(uint8_t out[GS_REPOCONF_LEN]);
/* gs_repoconf_check(where, buf, len): check a config object's magic,
 * version and length; where names the copy in messages.  0 or -1 (warned). */
int gs_repoconf_check(const char *where, const uint8_t *buf, size_t len);

/* ---- packs ------------------------------------------------------------
 *
 *   "GSPK" u32 version
 *   blob*                       nonce || AEAD(data key, zstd?(chunk))
 *   nonce[24] || header ct      XChaCha20-Poly1305(index key) of the header
 *   u32 header_len              length of nonce || header ct
 *   "GSPE"
 *
 * header plaintext: u16 nkeys, nkeys x sealed key[80], u32 nchunks,
 * nchunks x chunk ref (GS_CHUNK_REF_LEN bytes, layout in FORMAT.md).
 */
struct gs_pack_header {
	uint16_t nkeys;
	uint8_t (*sealed)[GS_SEALED_KEY_LEN];
	uint32_t nchunks;
	struct gs_chunk_ref *chunks;
};

/*
 * gs_pack_header_parse(index_key, name, tail, tail_len, pack_len, ret):
 * parse a pack header from the last tail_len bytes of a pack of pack_len
 * bytes (tail must end at the end of the pack and hold the whole header;
 * gs_pack_header_len() tells how much that is).  Checks every chunk lies
 * inside the blob area.  Returns 0, or -1 naming the pack.
 */
int gs_pack_header_parse(const uint8_t index_key[GS_KEY_LEN], const char *name, const uint8_t *tail,
                         size_t tail_len, uint64_t pack_len, struct gs_pack_header *ret);
#define GS_PACK_START_LEN 8 /* "GSPK" u32 version */
/* gs_pack_start(out): the first GS_PACK_START_LEN bytes of a pack. */
void gs_pack_start(uint8_t out[GS_PACK_START_LEN]);
/*
 * gs_pack_header_encode(index_key, h, out): append a pack's tail to out:
 * nonce || the header h encrypted under the index key, u32 its length,
 * "GSPE".  On out of memory out->oom is set.
 */
void gs_pack_header_encode(const uint8_t index_key[GS_KEY_LEN], const struct gs_pack_header *h,
                           struct gs_buf *out);
/* gs_pack_header_len(name, trailer8, pack_len, ret): from the last 8 bytes
 * of a pack, the number of tail bytes to read (header + trailer); 0 or -1. */
int gs_pack_header_len(const char *name, const uint8_t trailer[8], uint64_t pack_len, size_t *ret);
/* gs_pack_header_clear(h): free the members of h (not h itself). */
void gs_pack_header_clear(struct gs_pack_header *h);
/* gs_pack_check_magic(name, head, len): first 8 bytes; 0 or -1. */
int gs_pack_check_magic(const char *name, const uint8_t *head, size_t len);

/* ---- index segments ---------------------------------------------------
 *
 *   "GSIX" u32 version, nonce[24] || XChaCha20-Poly1305(index key) of:
 *   u32 npacks, npacks x { name[16], u32 n, n x chunk ref }
 */
struct gs_index_pack {
	uint8_t name[GS_NAME_LEN];
	uint32_t n;
	struct gs_chunk_ref *chunks;
};
struct gs_index {
	uint32_t npacks;
	struct gs_index_pack *packs;
};
/* gs_index_encode(index_key, idx, out): append the whole object to out. */
void gs_index_encode(const uint8_t index_key[GS_KEY_LEN], const struct gs_index *idx,
                     struct gs_buf *out);
/* gs_index_parse(index_key, name, buf, len, ret): 0 or -1 naming the object. */
int gs_index_parse(const uint8_t index_key[GS_KEY_LEN], const char *name, const uint8_t *buf,
                   size_t len, struct gs_index *ret);
/* gs_index_clear(idx): free the members of idx (not idx itself). */
void gs_index_clear(struct gs_index *idx);

/* ---- relocation objects (agent/format/reloc.c) -----------------------
 *
 *   "GSRL" u32 version, nonce[24] || XChaCha20-Poly1305(index key) of:
 *   u32 n, n x { from[16], to[16] }
 *
 * Written by garbage collection when it copies the live chunks of pack
 * `from` into pack `to` and deletes `from`: a snapshot pinning a chunk to
 * `from` finds it in `to` (possibly through further entries).  A forged
 * entry can only point at a pack that does not hold the chunk, which the
 * chunk's keyed ID exposes as always.
 */
struct gs_reloc {
	uint8_t from[GS_NAME_LEN];
	uint8_t to[GS_NAME_LEN];
};
/* gs_reloc_encode(index_key, v, n, out): append a whole relocation object
 * for the n entries of v to out (out->oom on out of memory). */
void gs_reloc_encode(const uint8_t index_key[GS_KEY_LEN], const struct gs_reloc *v, uint32_t n,
                     struct gs_buf *out);
/* gs_reloc_parse(index_key, name, buf, len, ret, ret_n): authenticate and
 * parse a relocation object into a malloc'd array (*ret NULL when empty);
 * 0 or -1 naming the object. */
int gs_reloc_parse(const uint8_t index_key[GS_KEY_LEN], const char *name, const uint8_t *buf,
                   size_t len, struct gs_reloc **ret, uint32_t *ret_n);

/* ---- snapshots --------------------------------------------------------
 *
 *   "GSSN" u32 version (2; 1 is still read)
 *   u32 pub_len, nonce[24] || XChaCha20-Poly1305(index key, AD "GSSN" ||
 *     version) of the public part
 *   u32 sealed_len, crypto_box_seal(pk) of the sealed part
 *
 * public part (agent-readable): i64 time_ns, str16 host, str16 tenant,
 *   u64 files, u64 bytes, u64 new_bytes, u64 stored_new_bytes, u64 new_chunks,
 *   u64 files_seen, u64 bytes_seen, u32 vanished, u32 changed, u32 unreadable,
 *   i64 duration_ns, u64 nrefs, u32 nrefchunks, nrefchunks x pin
 * The reference stream (the chunks the manifest names and the manifest's
 * own chunks; version 2: sorted by ID, each once) is stored as GS_CT_REFS
 * chunks, so an unchanged snapshot adds no new reference bytes.  In version
 * 2 each of its entries, and each of the reference chunks listed above, is
 * a pin: the
 * chunk ID and the pack that held the chunk when the snapshot was made.  A
 * restore reads each chunk from its pinned pack first, so nothing written
 * to the repository later can change what the snapshot restores.  Version
 * 1 entries are the bare ID (pack all zero).
 * sealed part (read key only): "GSSR", u8 hash of public ciphertext [32],
 *   u64 manifest_len, u32 nmeta, nmeta x id[32] (the manifest's chunks)
 */
struct gs_pin {
	uint8_t id[GS_ID_LEN];
	uint8_t pack[GS_NAME_LEN]; /* all zero: not pinned (version 1) */
};
#define GS_PIN_LEN (GS_ID_LEN + GS_NAME_LEN)
/* gs_snap_ref_len(version): bytes of one reference stream entry. */
size_t gs_snap_ref_len(uint32_t version);
/* gs_pin_decode(p, version, ret): one reference stream entry. */
void gs_pin_decode(const uint8_t *p, uint32_t version, struct gs_pin *ret);
/* gs_pin_encode(out, pin): append a version 2 entry. */
void gs_pin_encode(struct gs_buf *out, const struct gs_pin *pin);

struct gs_snap_info {
	uint32_t version; /* GS_SNAP_VERSION when encoding */
	int64_t time_ns;
	char *host;
	char *tenant;
	uint64_t files;            /* entries in the manifest */
	uint64_t bytes;            /* bytes of regular file content */
	uint64_t new_bytes;        /* plaintext bytes of chunks new in this snapshot */
	uint64_t stored_new_bytes; /* their stored (compressed, encrypted) size */
	uint64_t new_chunks;
	uint64_t files_seen;                    /* entries the scan saw (volume parity) */
	uint64_t bytes_seen;                    /* regular-file bytes the scan saw */
	uint32_t vanished, changed, unreadable; /* source files, each warned */
	int64_t duration_ns;
	uint64_t nrefs;      /* entries in the reference stream */
	uint32_t nrefchunks; /* the GS_CT_REFS chunks holding that stream */
	struct gs_pin *refchunks;
};
struct gs_snap_sealed {
	uint8_t pub_hash[32];
	uint64_t manifest_len;
	uint32_t nmeta;
	uint8_t (*meta)[GS_ID_LEN];
};

/*
 * gs_snap_encode(k, info, sealed, out): build a snapshot object; seals the
 * sealed part to k->pk after filling sealed->pub_hash.  0 or -1.
 */
int gs_snap_encode(const struct gs_wkey *k, const struct gs_snap_info *info,
                   struct gs_snap_sealed *sealed, struct gs_buf *out);
/*
 * gs_snap_parse_public(index_key, name, buf, len, ret, ret_sealed_ct,
 * ret_sealed_len, ret_pub_hash): parse and decrypt the public part; hand back
 * the sealed ciphertext (borrowed from buf) for the read side, and the
 * BLAKE2b-256 of the public ciphertext it must carry.  0 or -1 naming name.
 */
int gs_snap_parse_public(const uint8_t index_key[GS_KEY_LEN], const char *name, const uint8_t *buf,
                         size_t len, struct gs_snap_info *ret, const uint8_t **ret_sealed_ct,
                         size_t *ret_sealed_len, uint8_t ret_pub_hash[32]);
/* gs_snap_parse_sealed(name, pt, len, ret): parse a decrypted sealed part. */
int gs_snap_parse_sealed(const char *name, const uint8_t *pt, size_t len,
                         struct gs_snap_sealed *ret);
/* gs_snap_info_clear(s): free the members of s (not s itself). */
void gs_snap_info_clear(struct gs_snap_info *s);
/* gs_snap_sealed_clear(s): wipe and free the members of s (not s itself). */
void gs_snap_sealed_clear(struct gs_snap_sealed *s);

/*
 * A snapshot's time is whatever its writer put there: a write-key holder can
 * date one in the year 2100, and it would stay the newest for ever.  Readers
 * compare it with their own clock; more than GS_SNAP_FUTURE_SKEW_S seconds
 * ahead (clock skew between hosts allowed) is "dated in the future", which
 * "latest" refuses and `snapshots`, `check` and `verify` flag
 * (docs/SECURITY.md, "Snapshot times").
 */
#define GS_SNAP_FUTURE_SKEW_S 3600
/*
 * gs_snap_future(s, now_ns): 1 when s->time_ns lies more than
 * GS_SNAP_FUTURE_SKEW_S seconds after now_ns (CLOCK_REALTIME, gs_now_ns()),
 * else 0.
 */
int gs_snap_future(const struct gs_snap_info *s, int64_t now_ns);

/* ---- manifest ---------------------------------------------------------
 *
 * The manifest is a byte stream, chunked and stored like file data:
 *   "GSMF" u32 version, then entries each as u32 len + entry bytes,
 *   ended by u32 0.
 */
#define GS_FT_FILE 1
#define GS_FT_DIR 2
#define GS_FT_SYMLINK 3
#define GS_FT_HARDLINK 4 /* link = path of the first name, earlier in the stream */
#define GS_FT_FIFO 5
#define GS_FT_CHR 6
#define GS_FT_BLK 7
#define GS_FT_SOCK 8

struct gs_xattr {
	char *name;
	uint8_t *value;
	uint32_t len;
};

struct gs_mentry {
	uint8_t type;
	char *path;    /* relative, '/'-separated, no leading '/' */
	uint32_t mode; /* permission bits incl. suid/sgid/sticky */
	uint32_t uid, gid;
	char *uname, *gname; /* may be NULL */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint64_t size; /* regular files: content length */
	uint64_t rdev;
	char *link; /* symlink target, or hard link's first path */
	char *acl;  /* libarchive ACL text, or NULL */
	struct gs_xattr *xattrs;
	uint32_t nxattrs;
	uint8_t hash[16]; /* XXH3-128 of the content (canonical bytes) */
	uint8_t (*chunks)[GS_ID_LEN];
	uint32_t nchunks;
};

#define GS_MANIFEST_START_LEN 8 /* "GSMF" u32 version */
#define GS_MANIFEST_END_LEN 4   /* u32 0 */
/* gs_manifest_start(out) / gs_manifest_end(out): the stream's first and
 * last bytes. */
void gs_manifest_start(uint8_t out[GS_MANIFEST_START_LEN]);
void gs_manifest_end(uint8_t out[GS_MANIFEST_END_LEN]);
/* gs_manifest_check_start(label, p): p holds GS_MANIFEST_START_LEN bytes;
 * 0, or -1 (warned, naming label) on a wrong magic or version. */
int gs_manifest_check_start(const char *label, const uint8_t *p);

/* gs_mentry_encode(out, e): append u32 len + entry to out. */
void gs_mentry_encode(struct gs_buf *out, const struct gs_mentry *e);
/*
 * gs_mentry_decode(r, ret): decode the next u32-framed entry.  Returns 0 with
 * *ret filled (caller clears it), 1 at the end marker, -1 on malformed input
 * (the caller names the object).  Rejects empty paths and unknown types;
 * path safety (.., absolute) is for the restore side to judge.
 */
int gs_mentry_decode(struct gs_rd *r, struct gs_mentry *ret);
/*
 * gs_mentry_peek(r, ret_type, ret_size, ret_chunks, ret_n): like
 * gs_mentry_decode() but without allocating: hands back the type, size and
 * the chunk IDs (borrowed from r's buffer, unaligned bytes).  0, 1 at the
 * end marker, -1 when malformed.
 */
int gs_mentry_peek(struct gs_rd *r, uint8_t *ret_type, uint64_t *ret_size,
                   const uint8_t **ret_chunks, uint32_t *ret_n);

/* gs_mentry_clear(e): free the members and zero e. */
void gs_mentry_clear(struct gs_mentry *e);

#endif
