/*
 * conformance.h -- what the conformance suite's files share: the state of
 * the run (set up by main() in conformance.c), CHECK(), and the helpers
 * the cases use; the cases that live in conformance_caps.c.
 */
#ifndef GS_CONFORMANCE_H
#define GS_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "geosnap/config.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

extern int case_failed;          /* set by a failed CHECK() in the current case */
extern struct gs_remote_conf rc; /* the remote under test */
extern const char *serverdir;    /* the base directory on this machine */
extern char prefix[64];          /* conf-<random>, below the base */

/* CHECK(cond): when cond is false, report it and the last message on
 * stderr and fail the current case. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  check failed: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			fprintf(stderr, "    last message: %s\n", gs_last_error());                \
			case_failed = 1;                                                           \
		}                                                                                  \
	} while (0)

/* P(fmt, ...): a path below the prefix, in one of 8 static buffers used in
 * rotation (valid until 8 more calls). */
const char *P(const char *fmt, ...) GS_PRINTF(1, 2);

/* put(t, path, buf, len, piece): create path (borrowed) on t, write buf
 * (len bytes, borrowed) in pieces of piece bytes, commit.  Returns 0, or
 * -1 with a message (the upload aborted). */
int put(struct gs_transport *t, const char *path, const uint8_t *buf, size_t len, size_t piece);

/* The caps cases (conformance_caps.c): each takes the suite's transport t
 * (borrowed) and reports through CHECK(). */
void c_list_caps(struct gs_transport *t);
void c_read_caps(struct gs_transport *t);
void c_repo_caps(struct gs_transport *t);

#endif
