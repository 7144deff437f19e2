/*
 * evil.h -- the compromised production host, played in tests/hostile/.
 *
 * The tools in this folder link libgeosnap only (the write side, like
 * geosnap-agent) and load nothing but the tenant's write key: whatever they
 * can do, a ransomed production host can do.  Each tool is one program
 * (tools/<name>.c with a main()); this file is what they share.
 */
#ifndef GS_TEST_EVIL_H
#define GS_TEST_EVIL_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/format.h"
#include "geosnap/keys.h"
#include "geosnap/repo.h"

/* What a forger needs: the repository and the write key. */
struct evil {
	struct gs_repo *r;
	struct gs_wkey *k;
	const char *tenant; /* k->tenant */
};

/* evil_open(e, repo_path, write_key_path): open both or exit(2). */
void evil_open(struct evil *e, const char *repo_path, const char *wkey_path);
/* evil_close(e): release both. */
void evil_close(struct evil *e);

/* One manifest entry of a forged snapshot, with its content (files only). */
struct evil_entry {
	struct gs_mentry e; /* type, path, mode, uid ... (chunks/hash are filled) */
	const uint8_t *content;
	size_t len;
	int keep_chunks; /* 1: use e.chunks/e.nchunks/e.size/e.hash as given */
};

/*
 * evil_snapshot(e, entries, n, time_ns, host, ret_name): write a complete,
 * well-formed snapshot of the given entries the way the agent does (data in
 * a fresh pack, the manifest and the reference stream, an index segment,
 * the snapshot object), with the time and host the forger chooses.  Each
 * file's content becomes one chunk (at most GS_MAX_CHUNK bytes) unless
 * keep_chunks.  Returns 0 with the snapshot's name in ret_name, or exits 1.
 */
int evil_snapshot(struct evil *e, struct evil_entry *entries, size_t n, int64_t time_ns,
                  const char *host, char ret_name[GS_NAME_HEX]);

/* evil_die(fmt, ...): print "evil: message" and exit(1). */
void evil_die(const char *fmt, ...) GS_PRINTF(1, 2) __attribute__((noreturn));

#endif
