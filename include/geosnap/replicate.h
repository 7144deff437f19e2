/*
 * replicate.h -- copies of the local repository on remotes: ship what a
 * remote lacks, verify that it holds the same objects with the same bytes,
 * and repair it from the local copy.  docs/REPLICATION.md is the contract.
 *
 * Every function here works on one tenant and one remote, returns an exit
 * status of docs/CLI.md (0 ok, 1 problem found, 2 configuration, 3 could not
 * run), warns one line per problem naming the remote, tenant, kind and
 * object, and fills a result for the step's record.
 */
#ifndef GEOSNAP_REPLICATE_H
#define GEOSNAP_REPLICATE_H

#include <stdint.h>

#include "geosnap/config.h"
#include "geosnap/keys.h"
#include "geosnap/repo.h"

/* Bytes of a step's message, its terminating NUL included. */
#define GS_REPL_MESSAGE_LEN 512

struct gs_repl_result {
	uint64_t objects;  /* shipped (ship) or read back (verify) */
	uint64_t bytes;    /* their bytes */
	uint64_t compared; /* verify: objects compared by name and size */
	uint64_t repaired; /* ship --repair: files moved aside or restored */
	unsigned problems;
	char message[GS_REPL_MESSAGE_LEN]; /* the first problem, for the step record */
	char snapshot[GS_NAME_HEX];        /* verify volume: the snapshot checked, or "" */
};

/*
 * gs_remote_init(local, rc, tenants, n): connect (host key, identity),
 * copy the repository's config object or check that the remote's is the
 * same, and create each tenant's directories.  Exit status.
 */
int gs_remote_init(const struct gs_repo *local, const struct gs_remote_conf *rc,
                   const char *const *tenants, size_t n);

/* One thing ship --repair did to a file on a remote (docs/REPLICATION.md). */
struct gs_repair_action {
	const char *path;   /* the file, relative to the remote's base */
	const char *action; /* "restored": a temporary holding a whole object the
	                       remote lacked, renamed into place;
	                       "quarantined": moved into tenants/T/quarantine/;
	                       "left": a temporary left alone (too young);
	                       "kept": an intact object the local copy lacks */
	const char *to;     /* where it went (restored, quarantined), else NULL */
	const char *reason; /* why, one phrase */
	uint64_t size;      /* the file's size as listed */
};

/* What ship --repair needs from its caller. */
struct gs_repair {
	/* The tenant's write key (borrowed): its index key tells a whole
	 * object from a partial upload or a stranger's file. */
	const struct gs_wkey *key;
	/* record(arg, a): called after each action, once its line is printed;
	 * non-zero stops the repair (exit 3), so nothing is done unrecorded.
	 * May be NULL. */
	int (*record)(void *arg, const struct gs_repair_action *a);
	void *arg;
};

/* A temporary younger than this (by the remote's modification time) is
 * left alone by ship --repair: it may be an upload in progress. */
#define GS_REPAIR_TMP_MIN_AGE_S (24 * 3600)

/*
 * gs_ship(cfg, local, rc, tenant, repair, res): copy every object of the
 * tenant that the remote lacks, packs and index oldest first, snapshot
 * records and relocation objects last; rc->connections uploads in parallel.  With repair (NULL:
 * none), first read back everything on the remote and sort it out, deleting
 * nothing: a bad object (wrong size or checksum) or unknown file is moved
 * into the tenant's quarantine/ directory; an intact object the local copy
 * lacks is kept; a temporary holding a whole object of its directory's kind
 * that the remote lacks is renamed into place (never overwriting); any
 * other temporary is left alone when younger than GS_REPAIR_TMP_MIN_AGE_S,
 * else quarantined.  Each such action is one line on stderr and one call
 * of repair->record.  Then ship.  Each published object is appended to
 * state_dir/pending-verify/<tenant>@<remote>.
 */
int gs_ship(const struct gs_config *cfg, const struct gs_repo *local,
            const struct gs_remote_conf *rc, const char *tenant, const struct gs_repair *repair,
            struct gs_repl_result *res);

/*
 * gs_verify(cfg, local, rc, tenant, full, res): object parity (names and
 * sizes, nothing missing, nothing extra but temporaries and what garbage
 * collection has still to delete there) and checksum
 * parity (the objects shipped since the last verify, plus the next bucket
 * of the rotating verify_sample, or everything with full, read back on the
 * remote and locally and hashed).
 */
int gs_verify(const struct gs_config *cfg, const struct gs_repo *local,
              const struct gs_remote_conf *rc, const char *tenant, int full,
              struct gs_repl_result *res);

#endif
