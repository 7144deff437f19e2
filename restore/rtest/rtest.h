/*
 * rtest.h -- the parts of geosnap-restore test (restore/cmd_test.c): the
 * scratch directory and its removal (scratch.c), the sample of regular
 * files (sample.c), and the check of a restored tree against the manifest
 * and the live source (check.c).  docs/AUDIT.md, "restore-test".
 */
#ifndef GEOSNAP_RTEST_H
#define GEOSNAP_RTEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "read/reader.h"

/* ---- the scratch directory (scratch.c) ------------------------------- */

struct gs_scratch {
	char *path;    /* the directory made (absolute), or NULL */
	pid_t janitor; /* the process that removes it if we die, or 0 */
	int fd;        /* our end of the janitor's pipe, or -1 */
};

/*
 * gs_scratch_make(base, ret): a fresh directory base/geosnap-restore-test.
 * XXXXXX (mkdtemp, mode 0700) and a janitor process that removes it when
 * this process ends without having done so (a crash, SIGKILL).  base NULL:
 * $TMPDIR, else /var/tmp.  0 with *ret filled (free with
 * gs_scratch_remove()), or -1 (warned, naming the directory and why: it
 * is missing, not a directory, read-only or not writable) with *ret empty.
 */
int gs_scratch_make(const char *base, struct gs_scratch *ret);

/*
 * gs_scratch_remove(s): remove the scratch directory and everything under
 * it (restored directories made writable first, symbolic links never
 * followed, no other file system entered), stop the janitor and clear s.
 * 0, or -1 when something could not be removed (warned, naming it).
 * Does nothing for an empty s.
 */
int gs_scratch_remove(struct gs_scratch *s);

/* ---- the sample (sample.c) ------------------------------------------- */

/* GS_RTEST_SEED_MAX: the largest seed, 2^53 - 1, exact in any JSON reader. */
#define GS_RTEST_SEED_MAX 9007199254740991ULL

/*
 * Which entries a test restores and checks.  Full: all.  A sample: the
 * ceil(n * ppm / 10^6) regular files (at least one when n > 0) of the n in
 * the snapshot whose XXH3-64 of their path, seeded with the seed, are the
 * smallest; every directory, symlink and FIFO; a hard link when its first
 * name is sampled.
 */
struct gs_sample {
	int full;
	uint32_t ppm;       /* the share, in parts per million (sample only) */
	uint64_t seed;      /* sample only */
	uint64_t nfiles;    /* regular files in the snapshot (safe paths) */
	uint64_t nsampled;  /* of them, sampled (full: nfiles) */
	uint64_t threshold; /* a file is sampled when its hash <= threshold */
	int empty;          /* sample of a snapshot with no regular file */
};

/* gs_sample_seed(): a random seed in [0, GS_RTEST_SEED_MAX]. */
uint64_t gs_sample_seed(void);

/*
 * gs_sample_plan(rd, snap, sm): for a sample (sm->full 0, sm->ppm and
 * sm->seed set), walk the manifest of snap once and fill sm->nfiles,
 * sm->nsampled and sm->threshold.  For a full test it does nothing.
 * 0, or -1 (warned): the manifest is damaged or out of memory.
 */
int gs_sample_plan(struct gs_reader *rd, const struct gs_rsnap *snap, struct gs_sample *sm);

/*
 * gs_sample_select(arg, e): 1 when entry e is restored and checked by the
 * test whose struct gs_sample is arg, else 0 (the extract's selection).
 */
int gs_sample_select(void *arg, const struct gs_mentry *e);

/* ---- the check (check.c) --------------------------------------------- */

/* What gs_rtest_check() found. */
struct gs_rtest_res {
	uint64_t entries;        /* entries checked (any type) */
	uint64_t files;          /* regular files whose content was hashed */
	uint64_t bytes;          /* their bytes */
	uint64_t snap_files;     /* regular files in the snapshot */
	uint64_t mismatches;     /* entries wrong or missing (each named) */
	uint64_t src_compared;   /* files compared with the live source */
	uint64_t src_mismatches; /* of them, different (each named) */
	char list_hash[65];      /* sample: SHA-256 hex of the sorted sampled paths */
	char first[512];         /* the first problem, or "" */
};

/*
 * What to check: the restored tree under root (absolute), the selection
 * (sm), and the tenant's source directories (canonical paths; nsources 0:
 * no live comparison; multi: the configuration names several, of which
 * this host may have fewer).  lists_only: the restore stopped, so only the
 * sampled list is gathered (for list_hash) and nothing is checked.
 */
struct gs_rtest_opts {
	const char *root;
	struct gs_sample *sm;
	char **sources;
	size_t nsources;
	int multi;      /* the tenant has several sources (manifest paths are absolute) */
	int privileged; /* the restore was privileged: setuid bits and devices too */
	int lists_only;
};

/*
 * gs_rtest_check(rd, snap, o, ret): walk the manifest of snap and check
 * every entry the selection restored against the tree under o->root: its
 * type, a regular file's size and XXH3-128, mode (without the setuid and
 * setgid bits of non-directories unless o->privileged), mtime (not of
 * symlinks), a symlink's target, a hard link's inode and, when
 * o->privileged, a device node's number.  A
 * regular file the live source still holds with the same size and mtime
 * is hashed there too.  Each mismatch is one line on stderr naming the
 * path.  For a sample, ret->list_hash is the SHA-256 of the sampled
 * paths, each followed by "\n", in byte order.  0 all read (mismatches
 * counted in ret), -1 the manifest could not be read to its end or out of
 * memory (warned; ret holds what was counted).
 */
int gs_rtest_check(struct gs_reader *rd, const struct gs_rsnap *snap, const struct gs_rtest_opts *o,
                   struct gs_rtest_res *ret);

#endif
