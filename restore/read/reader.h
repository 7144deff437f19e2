/*
 * reader.h -- the read side of a tenant's repository: snapshots, chunks and
 * manifests, decrypted and verified with the read key.  restore/ only.
 *
 * Everything read is checked before it is handed out: snapshot objects
 * against their name and the hash the sealed part carries, chunks against
 * their keyed ID, manifests against their declared length.  Every error is
 * warned once, naming the tenant and the object ("tenant T pack NAME chunk
 * ID: ...").
 */
#ifndef GEOSNAP_READER_H
#define GEOSNAP_READER_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "read/rkey.h"

struct gs_reader;

/* One snapshot, fully opened: the public and the sealed part. */
struct gs_rsnap {
	char name[GS_NAME_HEX];
	struct gs_snap_info info;
	struct gs_snap_sealed sealed;
};

/* Flags of gs_reader_open(). */
#define GS_READER_NOINDEX 1 /* do not load the chunk index (check builds its own) */

/*
 * gs_reader_open(repo_path, k, flags, ret_why): open the repository at
 * repo_path (an absolute path when the caller will chdir later) for tenant
 * k->w.tenant.  Unless GS_READER_NOINDEX, its chunk index is loaded the
 * first time a chunk is needed that the snapshot being read does not pin
 * (or whose pin fails).  A damaged index segment is named and skipped:
 * chunks the index does not know are looked up in the pack headers (see
 * gs_reader_damaged()).  Borrows k, which
 * must outlive the reader.  Returns the reader, or NULL (warned) with
 * *ret_why set to the exit status to use (ret_why may be NULL).
 */
struct gs_reader *gs_reader_open(const char *repo_path, const struct gs_rkey *k, int flags,
                                 int *ret_why);
/* gs_reader_open_repo(r, k, flags, ret_why): the same on an opened
 * repository (local or gs_repo_open_remote()), which the reader takes over
 * (freed on failure too). */
struct gs_reader *gs_reader_open_repo(struct gs_repo *r, const struct gs_rkey *k, int flags,
                                      int *ret_why);
/*
 * gs_reader_damaged(rd): 1 when an index segment or a pack header had to be
 * skipped so far (each was named), 0 otherwise.  Commands turn this into
 * exit status 1 even when everything could still be restored.
 */
int gs_reader_damaged(const struct gs_reader *rd);

/*
 * gs_reader_lost(rd): 1 when the reader's last read of a pack (a header or
 * a chunk's stored bytes) failed with a connection failure (GS_TP_ERR_IO)
 * that the transport's own reconnects did not overcome; 0 when it
 * succeeded, failed otherwise, or there was none.  The kind is the one the
 * transport reported right after that read failed, so a failure it
 * recovered from earlier does not count.
 */
int gs_reader_lost(const struct gs_reader *rd);

/* gs_reader_free(rd): close, wiping the cached data keys (NULL accepted). */
void gs_reader_free(struct gs_reader *rd);

/* Borrowed views of the reader's parts. */
/* gs_reader_tenant(rd): the tenant name (borrowed). */
const char *gs_reader_tenant(const struct gs_reader *rd);
/* gs_reader_key(rd): the read key (borrowed). */
const struct gs_rkey *gs_reader_key(const struct gs_reader *rd);
/* gs_reader_repo(rd): the repository (borrowed). */
const struct gs_repo *gs_reader_repo(const struct gs_reader *rd);
/* gs_reader_cindex(rd): the chunk index (borrowed; check fills it). */
struct gs_cindex *gs_reader_cindex(struct gs_reader *rd);

/*
 * gs_reader_snap_load(rd, name, ret): read, check and open the snapshot
 * object name.  Returns 0 with *ret filled (release it with
 * gs_reader_snap_clear()), 1 if the object does not exist, -1 (warned,
 * naming the snapshot) if it is unreadable or corrupt.
 */
int gs_reader_snap_load(struct gs_reader *rd, const char *name, struct gs_rsnap *ret);
/* gs_reader_snap_clear(s): free the members of s and zero it. */
void gs_reader_snap_clear(struct gs_rsnap *s);

/*
 * gs_reader_snap_future(s, now_ns, why): when s is dated more than
 * GS_SNAP_FUTURE_SKEW_S seconds after now_ns (this host's clock), warn naming
 * it (ID, host, claimed time, this host's time) and why it matters, and
 * return 1; else return 0.
 */
int gs_reader_snap_future(const struct gs_rsnap *s, int64_t now_ns, const char *why);

/*
 * gs_reader_snapshots(rd, ret, ret_n): open every snapshot of the tenant and
 * return them sorted by time (oldest first) in a malloc'd array.  Returns 0;
 * 1 when some snapshots could not be opened (each warned and left out); -1
 * when the list itself could not be read (warned).
 */
int gs_reader_snapshots(struct gs_reader *rd, struct gs_rsnap **ret, size_t *ret_n);
/* gs_reader_snapshots_free(v, n): free an array from gs_reader_snapshots(). */
void gs_reader_snapshots_free(struct gs_rsnap *v, size_t n);

/*
 * gs_reader_find(v, n, spec): the snapshot "latest" (greatest time; refused
 * when it is dated more than GS_SNAP_FUTURE_SKEW_S after this host's clock)
 * or the one whose name starts with spec (at least 6 hex digits, unique).
 * Returns a pointer into v, or NULL (warned: none, future-dated "latest",
 * ambiguous or malformed).
 */
const struct gs_rsnap *gs_reader_find(const struct gs_rsnap *v, size_t n, const char *spec);

/*
 * gs_reader_resolve(rd, spec, ret, ret_others_bad): open the snapshot named
 * by spec: NULL or "latest" (greatest time; every snapshot is opened to find
 * it, and *ret_others_bad is set when some could not be) or 6 to 32 hex
 * digits of its ID (only that object is opened).  Returns 0 with *ret filled
 * (release with gs_reader_snap_clear()); 1 when spec is malformed, matches
 * nothing or is ambiguous (warned); 2 when spec is "latest" and the newest
 * snapshot is dated more than GS_SNAP_FUTURE_SKEW_S after this host's clock
 * (warned, naming it and telling to choose one by ID: its time may be
 * forged, and the one before it is not picked silently either); -1 when the
 * snapshot is unreadable or corrupt (warned).
 */
int gs_reader_resolve(struct gs_reader *rd, const char *spec, struct gs_rsnap *ret,
                      int *ret_others_bad);

/*
 * gs_reader_chunk(rd, id, type, out): fetch chunk id of type GS_CT_*,
 * decrypt, decompress and verify it against its keyed ID.  out is reset and
 * receives the plaintext.  The chunk is read from the pack the current
 * snapshot pins it to (gs_reader_pin()); only when that fails, or the
 * snapshot pins nothing, are the other locations the index segments and
 * then the pack headers know tried (a bounded number), each checked the
 * same way.  A chunk found only that way marks the reader damaged.
 * Returns 0, or -1 (warned, naming tenant, pack and chunk).
 */
int gs_reader_chunk(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint8_t type,
                    struct gs_buf *out);

/*
 * gs_reader_pin(rd, s): read the reference stream of snapshot s and make
 * its pins (chunk ID -> the pack that held it when s was made) the ones
 * gs_reader_chunk() follows; gs_reader_manifest_open() calls it.  A
 * snapshot of version 1 lists bare IDs, which pin nothing.  When the
 * stream cannot be read the snapshot is read unpinned and the reader is
 * marked damaged.  Returns 0, or -1 (warned, naming the snapshot) when the
 * stream is unreadable or malformed.
 */
int gs_reader_pin(struct gs_reader *rd, const struct gs_rsnap *s);

/*
 * gs_reader_relocated(rd, pack): the pack that holds what a pin to pack
 * names: pack itself while the copy has it, else where garbage collection
 * moved its live chunks (the tenant's relocation objects, loaded on the
 * first call).  Borrowed.
 */
const uint8_t *gs_reader_relocated(struct gs_reader *rd, const uint8_t pack[GS_NAME_LEN]);

/*
 * gs_reader_pins(rd, ret_n): the current snapshot's pins, sorted by chunk
 * ID (borrowed until the next gs_reader_pin()); NULL with *ret_n 0 when it
 * has none.
 */
const struct gs_pin *gs_reader_pins(const struct gs_reader *rd, size_t *ret_n);

/*
 * gs_reader_chunk_len(rd, id, ret_len): the plaintext length of chunk id as
 * recorded where gs_reader_chunk() will fetch it from (the header of the
 * pack the current snapshot pins it to; unpinned, the length every known
 * location agrees on), without reading the chunk, so that a manifest
 * entry's size can be checked before anything is written.  Returns 0 with
 * *ret_len set, or 1 when the length is unknown (no location knows the
 * chunk, or the locations disagree).
 */
int gs_reader_chunk_len(struct gs_reader *rd, const uint8_t id[GS_ID_LEN], uint32_t *ret_len);

/*
 * gs_reader_size_check(rd, chunks, nchunks, size, why, whycap): whether a
 * file of size bytes can be made of chunks, by the plaintext lengths that
 * the index or the pack headers record for them (gs_reader_chunk_len), so
 * that a forged size is refused before anything is written.  A chunk that
 * nothing knows (it will be reported as unreadable) may hold up to
 * GS_MAX_CHUNK bytes.  Returns 0 when the size agrees; 1 when it cannot,
 * with the reason in why ("the manifest records N bytes, its chunks hold
 * M").
 */
int gs_reader_size_check(struct gs_reader *rd, const uint8_t (*chunks)[GS_ID_LEN], uint32_t nchunks,
                         uint64_t size, char *why, size_t whycap);

/*
 * gs_reader_chunk_at(rd, pack, ref, out): the same for the chunk described
 * by ref inside pack (hex name), without consulting the index; for check.
 */
int gs_reader_chunk_at(struct gs_reader *rd, const char *pack, const struct gs_chunk_ref *ref,
                       struct gs_buf *out);

/*
 * Manifest walker.  gs_reader_manifest_open(rd, s) borrows rd and s.
 * gs_reader_manifest_next(m, ret) returns 0 with the next entry in *ret
 * (the caller releases it with gs_mentry_clear()), 1 at the end after the
 * stream's length and end marker have been checked, or -1 (warned, naming
 * the snapshot) on any error; after -1 or 1 it keeps returning the same.
 */
struct gs_manifest;
struct gs_manifest *gs_reader_manifest_open(struct gs_reader *rd, const struct gs_rsnap *s);
int gs_reader_manifest_next(struct gs_manifest *m, struct gs_mentry *ret);
/* gs_reader_manifest_count(m): entries returned so far. */
uint64_t gs_reader_manifest_count(const struct gs_manifest *m);
/* gs_reader_manifest_free(m): free the walker (NULL accepted). */
void gs_reader_manifest_free(struct gs_manifest *m);

/*
 * gs_reader_path_ok(path): 1 when a manifest path is safe to restore: not
 * empty, relative, no empty, "." or ".." component.  0 otherwise.
 */
int gs_reader_path_ok(const char *path);

/*
 * gs_reader_path_under(path, prefix): 1 when path equals prefix or lies
 * below it (whole components: "a/b" is under "a", "ab" is not).
 */
int gs_reader_path_under(const char *path, const char *prefix);

/*
 * gs_reader_read_stats(rd, ret_bytes, ret_requests): the bytes and read
 * requests gs_reader_chunk() and its kin sent to the repository so far
 * (the read engine counts its own; read/fetch.h).
 */
void gs_reader_read_stats(const struct gs_reader *rd, uint64_t *ret_bytes, uint64_t *ret_requests);

/* gs_reader_idhex(id, out): the 64 hex digits of a chunk ID. */
void gs_reader_idhex(const uint8_t id[GS_ID_LEN], char out[2 * GS_ID_LEN + 1]);

#endif
