/*
 * repo.h -- a repository copy: publishing, listing, reading, locking, and
 * the in-memory chunk index.  Names and paths inside a copy come from
 * layout.h and nowhere else.
 */
#ifndef GEOSNAP_REPO_H
#define GEOSNAP_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/format.h"
#include "geosnap/layout.h"

struct gs_repo;
struct gs_remote_conf;
struct gs_transport;

/* gs_repo_init(path): create the local repository at path if missing;
 * idempotent.  0 or -1 (warned). */
int gs_repo_init(const char *path);

/* gs_repo_open(path): the local repository at path, on the local-directory
 * transport (its config object checked).  NULL (warned) if missing or
 * malformed. */
struct gs_repo *gs_repo_open(const char *path);
/* gs_repo_open_remote(rc): the copy on a remote (SFTP or file://), read
 * only: everything but publishing, locking and sweeping works on it.  NULL
 * (warned) when it cannot connect or holds no repository. */
struct gs_repo *gs_repo_open_remote(const struct gs_remote_conf *rc);
/* gs_repo_free(r): close a copy opened by gs_repo_open*(); NULL is ignored. */
void gs_repo_free(struct gs_repo *r);
/* gs_repo_path(r): the local path, or the remote's name. */
const char *gs_repo_path(const struct gs_repo *r);
/* gs_repo_transport(r): the transport the copy is reached through
 * (borrowed); the local copy's may be shared by threads. */
struct gs_transport *gs_repo_transport(const struct gs_repo *r);

/* gs_repo_tenant_init(r, tenant): create the tenant's directories (kinds
 * and pack fan-out).  0 or -1 (warned). */
int gs_repo_tenant_init(const struct gs_repo *r, const char *tenant);

/* One published object as a listing shows it. */
struct gs_repo_obj {
	char name[GS_NAME_HEX];
	uint64_t size;
	int64_t mtime_ns; /* when the copy received it (its clock); 0 unknown */
};
/*
 * gs_repo_list_objs(r, tenant, kind, ret, ret_n): the published objects of
 * a kind with sizes and modification times, sorted by name, in a malloc'd
 * array.  Temporaries, other names and packs outside their fan-out
 * directory are left out.  A tenant without the directory has none.  0 or
 * -1.
 */
int gs_repo_list_objs(const struct gs_repo *r, const char *tenant, int kind,
                      struct gs_repo_obj **ret, size_t *ret_n);
/* gs_repo_list(r, tenant, kind, ret, ret_n): the same, names only (a
 * malloc'd array of GS_NAME_HEX strings).  0 or -1. */
int gs_repo_list(const struct gs_repo *r, const char *tenant, int kind, char (**ret)[GS_NAME_HEX],
                 size_t *ret_n);

/* gs_repo_read(r, tenant, kind, name, ret, ret_len): the whole object, of
 * at most its kind's cap (format.h: GS_MAX_INDEX_SEGMENT, GS_MAX_SNAP_OBJECT,
 * GS_MAX_OBJECT); a larger one is refused by its size before any allocation
 * for it.  0, 1 if missing, -1 (warned). */
int gs_repo_read(const struct gs_repo *r, const char *tenant, int kind, const char *name,
                 uint8_t **ret, size_t *ret_len);

/*
 * gs_repo_snap_public(r, tenant, index_key, name, ret): read snapshot name
 * and parse its public part (what the write key may see: time, host,
 * counts) into *ret, to be freed with gs_snap_info_clear.  0; 1 when it does
 * not exist; 2 when it is corrupt or forged (warned naming it); -1 when it
 * cannot be read (warned).  Every listing of snapshots on the write side
 * goes through here.
 */
int gs_repo_snap_public(const struct gs_repo *r, const char *tenant,
                        const uint8_t index_key[GS_KEY_LEN], const char *name,
                        struct gs_snap_info *ret);

/* gs_repo_stat(r, tenant, kind, name, ret_size): 0, 1 if missing, -1. */
int gs_repo_stat(const struct gs_repo *r, const char *tenant, int kind, const char *name,
                 uint64_t *ret_size);

/* gs_repo_read_range(r, tenant, kind, name, off, len, buf): exactly len
 * bytes at off.  0, or -1 naming the copy and object (short reads too). */
int gs_repo_read_range(const struct gs_repo *r, const char *tenant, int kind, const char *name,
                       uint64_t off, size_t len, uint8_t *buf);

/*
 * gs_repo_obj_hash(r, tenant, kind, name, size, buf, buflen, ret_hex): the
 * XXH3-128 of the object's first size bytes, as xxh128sum prints it, read
 * through the caller's buf (buflen bytes).  An object is whole when the
 * hash is its name: the one place that is checked, for every copy.  0, 1
 * when the object is missing or shorter than size, -1 (warned).
 */
int gs_repo_obj_hash(const struct gs_repo *r, const char *tenant, int kind, const char *name,
                     uint64_t size, uint8_t *buf, size_t buflen, char ret_hex[GS_NAME_HEX]);
/* gs_repo_obj_hash_tp(tp, tenant, kind, name, size, buf, buflen, ret_hex):
 * the same on the copy behind tp (a remote's connection, borrowed; one
 * thread at a time), for callers that hold a connection rather than a
 * gs_repo.  0, 1 when missing or shorter than size, -1 (warned). */
int gs_repo_obj_hash_tp(struct gs_transport *tp, const char *tenant, int kind, const char *name,
                        uint64_t size, uint8_t *buf, size_t buflen, char ret_hex[GS_NAME_HEX]);

/* gs_repo_put(r, tenant, kind, buf, len, ret_name): publish a small object
 * named by its XXH3-128 on the local copy (never over an existing name,
 * which holds the same bytes); one over its kind's cap is refused.  0 (also
 * when it already existed) or -1. */
int gs_repo_put(const struct gs_repo *r, const char *tenant, int kind, const uint8_t *buf,
                size_t len, char ret_name[GS_NAME_HEX]);

/*
 * Streaming object writer (packs) on the local copy: bytes go to a
 * temporary while their XXH3-128 is computed; commit publishes the object
 * under it (gs_tp_publish: durable, never over an existing name).  free
 * without commit removes the temporary.
 */
struct gs_objfile;
/*
 * gs_objfile_new(r, tenant, kind): a streaming writer of one object of the
 * local copy: bytes go to a temporary while their XXH3-128 is computed;
 * gs_objfile_commit publishes the object under it.  Borrows r.  NULL
 * (warned).
 */
struct gs_objfile *gs_objfile_new(const struct gs_repo *r, const char *tenant, int kind);
/* gs_objfile_write(f, buf, len): append; 0 or -1 (warned). */
int gs_objfile_write(struct gs_objfile *f, const void *buf, size_t len);
/* gs_objfile_size(f): bytes written so far. */
uint64_t gs_objfile_size(const struct gs_objfile *f);
/* gs_objfile_commit(f, ret_name): 0 or -1; f must still be freed. */
int gs_objfile_commit(struct gs_objfile *f, char ret_name[GS_NAME_HEX]);
/* gs_objfile_free(f): release; without a commit, the temporary is removed
 * (NULL accepted). */
void gs_objfile_free(struct gs_objfile *f);

/*
 * gs_repo_set_aside(tp, tenant, kind, name, ret_to): rename the object
 * tenants/T/<kind>/<name> of the copy behind tp (a remote, or the local
 * repository through gs_tp_open_local()) to
 * tenants/T/quarantine/<noun>-<name>-<unix time>[-N], never over another
 * file; *ret_to (malloc'd) is where it went.  0, 1 when the copy does not
 * hold the object, -1 (warned, naming the copy).
 */
int gs_repo_set_aside(struct gs_transport *tp, const char *tenant, int kind, const char *name,
                      char **ret_to);

/* gs_repo_lock(r, tenant): take the tenant's writer lock on the local copy
 * (flock, released when the process dies).  Returns an fd, -1 on error, -2 when another
 * process holds it (warned naming the holder's pid). */
int gs_repo_lock(const struct gs_repo *r, const char *tenant);
/* gs_repo_unlock(fd): release a lock gs_repo_lock() took (fd < 0: nothing). */
void gs_repo_unlock(int fd);

/* gs_repo_sweep(r, tenant): remove the local copy's temporaries older than
 * an hour (their writer died). */
void gs_repo_sweep(const struct gs_repo *r, const char *tenant);

/* ---- chunk index: ID -> every (pack, chunk ref) holding it ------------
 *
 * Anyone with the write key can add packs and index segments that claim any
 * chunk ID, so the index keeps every location of an ID in the order they
 * were added: the first is the preferred one, and a reader that finds a
 * location unusable tries the next (see agent/repo/cindex.c). */
struct gs_cindex;

/* gs_cindex_new(): an empty chunk index; NULL (warned) when out of memory. */
struct gs_cindex *gs_cindex_new(void);
/* gs_cindex_free(ci): free the index (NULL accepted). */
void gs_cindex_free(struct gs_cindex *ci);
/* gs_cindex_add(ci, pack, ref): add the location (pack, ref) of ref->id
 * after any it has.  0 added, 1 when the ID already has a location in that
 * pack (the first is kept), -1 no memory (warned). */
int gs_cindex_add(struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN],
                  const struct gs_chunk_ref *ref);
/* gs_cindex_claim(ci, pack, ref): add (pack, ref) only when ref->id has no
 * location yet: 0 added, 1 the ID is known (nothing added), -1 no memory. */
int gs_cindex_claim(struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN],
                    const struct gs_chunk_ref *ref);
/* gs_cindex_relocate(ci, from, to, ref): the location of ref->id in pack
 * from becomes ref in pack to (a pack's name is known once it is written).
 * 0, or -1 when the ID has no location in from (warned). */
int gs_cindex_relocate(struct gs_cindex *ci, const uint8_t from[GS_NAME_LEN],
                       const uint8_t to[GS_NAME_LEN], const struct gs_chunk_ref *ref);
/* gs_cindex_get(ci, id, ret_pack): the preferred (first added) location of
 * id: its ref, its pack's name in *ret_pack (may be NULL); both borrowed,
 * valid until the next add.  NULL when id is unknown. */
const struct gs_chunk_ref *gs_cindex_get(const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN],
                                         const uint8_t **ret_pack);
/* gs_cindex_locations(ci, id, ret_refs, ret_packs, max): up to max
 * locations of id in preference order (borrowed, valid until the next
 * add); returns how many, 0 when id is unknown. */
size_t gs_cindex_locations(const struct gs_cindex *ci, const uint8_t id[GS_ID_LEN],
                           const struct gs_chunk_ref **ret_refs, const uint8_t **ret_packs,
                           size_t max);
/* gs_cindex_count(ci): distinct chunk IDs. */
size_t gs_cindex_count(const struct gs_cindex *ci);
/*
 * gs_cindex_load(ci, r, tenant, index_key): add every entry of every index
 * segment of the tenant, the segment the copy received first first (file
 * mtime, then name), so a segment written later never takes precedence
 * over an earlier one.  0 or -1 (a corrupt segment is named).
 */
int gs_cindex_load(struct gs_cindex *ci, const struct gs_repo *r, const char *tenant,
                   const uint8_t index_key[GS_KEY_LEN]);
/* gs_cindex_has_pack(ci, pack): 1 when some entry lives in pack. */
int gs_cindex_has_pack(const struct gs_cindex *ci, const uint8_t pack[GS_NAME_LEN]);

/* gs_repo_read_pack_header(r, tenant, name, index_key, ret_size, ret): read
 * and parse a pack's header from its tail.  0 or -1 naming the pack. */
int gs_repo_read_pack_header(const struct gs_repo *r, const char *tenant, const char *name,
                             const uint8_t index_key[GS_KEY_LEN], uint64_t *ret_size,
                             struct gs_pack_header *ret);

/* ---- relocations (agent/repo/relocmap.c) -------------------------------
 * Garbage collection moves the live chunks of a pack into a new one and
 * records it in a relocation object (format.h); readers follow it from
 * the pack a snapshot pins. */
#define GS_RELOC_MAX_HOPS 16
struct gs_relocmap {
	struct gs_reloc *v; /* sorted by from, then to */
	size_t n;
};
/*
 * gs_relocmap_load(m, r, tenant, index_key, ret_bad): every relocation
 * object of the tenant into m (zeroed by the caller); one that cannot be
 * read or authenticated is named, left out and sets *ret_bad (may be
 * NULL).  0, or -1 (warned) when they cannot be listed.
 */
int gs_relocmap_load(struct gs_relocmap *m, const struct gs_repo *r, const char *tenant,
                     const uint8_t index_key[GS_KEY_LEN], int *ret_bad);
/* gs_relocmap_resolve(m, pack): the pack now holding what pack held (pack
 * itself when not moved), following at most GS_RELOC_MAX_HOPS entries;
 * borrowed from m or pack. */
const uint8_t *gs_relocmap_resolve(const struct gs_relocmap *m, const uint8_t pack[GS_NAME_LEN]);
/* gs_reloc_cmp(a, b): qsort order of struct gs_reloc: by from, then to. */
int gs_reloc_cmp(const void *a, const void *b);
/* gs_relocmap_next(m, pack): one step: where the first entry moving pack
 * sends it, or NULL. */
const uint8_t *gs_relocmap_next(const struct gs_relocmap *m, const uint8_t pack[GS_NAME_LEN]);
/* gs_relocmap_clear(m): free the members of m. */
void gs_relocmap_clear(struct gs_relocmap *m);

#endif
