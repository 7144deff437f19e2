/*
 * gc.h -- garbage collection with the write key alone (agent/gc/).
 *
 * Live chunks are those the reference streams of the snapshots a copy
 * still holds pin (after retention removed the others), each at the pack
 * its pin names, followed through the relocation objects.  A pack with no
 * live chunk is deleted; a pack with dead chunks is repacked: the live
 * chunks' ciphertext and their sealed data keys are copied into a new
 * pack, never decrypted, a relocation object records where they went, and
 * the old pack is deleted.  The index is rewritten to name only what is
 * left.  So no chunk that kept snapshots stopped referencing survives a
 * collection of the local repository, and the remotes follow in the same
 * run (gs_gc_remote), or in a later one when a remote is unreachable.
 *
 * Order (crash safety): new packs, the new index segment(s), deletion of
 * the old segments, the relocation object, deletion of the old relocation
 * objects, then of the old packs.  A kill at any instant leaves at most
 * extra objects, which the next collection removes; no pin ever leads to
 * a pack without its chunk.  Objects younger than GS_GC_GRACE_S are never
 * deleted or repacked: another writer may be about to name them.
 */
#ifndef GEOSNAP_GC_H
#define GEOSNAP_GC_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/keys.h"

struct gs_repo;
struct gs_config;
struct gs_remote_conf;

/* Objects younger than this (by the copy's clock) are left alone. */
#define GS_GC_GRACE_S 3600

struct gs_gc_stats {
	uint64_t snapshots;                     /* snapshots whose references were read */
	uint64_t packs;                         /* packs on the copy before */
	uint64_t packs_young;                   /* left alone: younger than the grace */
	uint64_t packs_deleted, packs_repacked; /* no live chunk; some dead chunks */
	uint64_t packs_written;                 /* new packs holding repacked chunks */
	uint64_t chunks_live, chunks_dead;      /* chunks in the packs examined */
	uint64_t bytes_before, bytes_after;     /* stored bytes of all packs */
	uint64_t bytes_dead;                    /* stored bytes of dead chunks removed */
	uint64_t bytes_copied;                  /* ciphertext copied into new packs */
	uint64_t objects_deleted;               /* packs, index segments, relocation objects */
	uint64_t index_written, relocs_written;
};

/*
 * gs_gc_local(r, k, tenant, pack_size, state_dir, remotes, nremotes,
 * skip, nskip, dry_run, st): collect the tenant's garbage on the local
 * repository r with write key k (borrowed), under the tenant lock the
 * caller holds.  The nskip snapshots named in skip (sorted; may be NULL)
 * count as removed: a dry run after retention's dry run.
 * New packs are cut at pack_size bytes.  Before anything is deleted,
 * every object to delete is appended (fsynced) to the pending-delete file
 * of each remote named in remotes, for gs_gc_remote().  dry_run: only
 * count, into *st.  Returns 0 done (possibly with nothing to do), 1
 * refused because something it must read is unreadable or forged (warned,
 * nothing deleted), -1 on error (warned).
 */
int gs_gc_local(const struct gs_repo *r, const struct gs_wkey *k, const char *tenant,
                uint64_t pack_size, const char *state_dir, const char *const *remotes,
                size_t nremotes, const char (*skip)[33], size_t nskip, int dry_run,
                struct gs_gc_stats *st);

/*
 * gs_gc_remote(cfg, local, rc, tenant, ret_objects, ret_bytes,
 * ret_pending_since): bring remote rc up to date with the local
 * repository (gs_ship), then delete there, through the maintenance
 * credentials (gs_tp_open_maint), every object of the tenant's
 * pending-delete file for rc that the local repository no longer has; the
 * file is removed when all are gone.  *ret_objects and *ret_bytes count
 * what was deleted; *ret_pending_since (ns, 0 when nothing was pending)
 * is when the oldest pending deletion was recorded.  Returns GS_EXIT_*.
 */
int gs_gc_remote(const struct gs_config *cfg, const struct gs_repo *local,
                 const struct gs_remote_conf *rc, const char *tenant, uint64_t *ret_objects,
                 uint64_t *ret_bytes, int64_t *ret_pending_since);

#endif
