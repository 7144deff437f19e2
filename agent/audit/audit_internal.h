/*
 * audit_internal.h -- what the log's writer (log.c), shipper (ship.c) and
 * checker (verify.c) share: segment names, the strict line scanner and the
 * trusted comment.  Formats are in geosnap/audit.h and docs/AUDIT.md.
 */
#ifndef GEOSNAP_AUDIT_INTERNAL_H
#define GEOSNAP_AUDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/minisig.h"

#define AL_SEQ_DIGITS 10
#define AL_CKPT_PREFIX "checkpoint."

/* The chain state at the end of some records. */
struct al_head {
	uint64_t seq;     /* last seq, 0 before the first record */
	uint8_t hash[32]; /* SHA-256 of the last line, zeros before the first */
};

/* What scanning a segment's bytes found. */
struct al_scan {
	uint64_t first;    /* seq of the first record, 0 if none */
	uint64_t records;  /* complete, well-formed, chained lines */
	uint64_t good_len; /* bytes of those lines */
	struct al_head head;
	char first_date[9]; /* YYYYMMDD of the first record's time */
	int torn;           /* ends in bytes without a newline (at good_len) */
	uint64_t bad_seq;   /* the first record that breaks the format or chain */
	char why[256];
	/* byte offset after record k (1-based) for k <= records, when asked */
	uint64_t *ends;
};

/*
 * al_scan(buf, len, start, want_ends, ret): check lines of a segment:
 * each {"v":1,"seq":N,"prev":"<hex>", with seq one more than the last and
 * prev the SHA-256 of the line before (start: the head it continues, or
 * NULL to accept any first record); lines are at most GS_AUDIT_LINE_MAX.
 * Stops at the first bad line (ret->bad_seq, ret->why: the seq the line
 * should have had).  0, or -1 out of memory.  Free ret->ends.
 */
int al_scan(const char *buf, size_t len, const struct al_head *start, int want_ends,
            struct al_scan *ret);

/* A closed segment's name: "<stem>.<YYYYMMDD>.<seq 10 digits>.jsonl". */
char *al_seg_name(const char *stem, const char *date, uint64_t first);

/* al_seg_parse(stem, name, ret_first): 0 and the first seq when name is a
 * closed segment of stem (not its .minisig), else -1. */
int al_seg_parse(const char *stem, const char *name, uint64_t *ret_first);

/*
 * al_trusted(host, first, records, head): the trusted comment of a
 * segment's signature (static buffer).  al_trusted_parse(t, ret_first,
 * ret_records, ret_head): 0, or -1 when t is not one of ours.
 */
const char *al_trusted(const char *host, uint64_t first, uint64_t records, const uint8_t head[32]);
int al_trusted_parse(const char *t, uint64_t *ret_first, uint64_t *ret_records,
                     uint8_t ret_head[32]);

/* al_stem(log): the file name of the open segment without ".jsonl", and
 * al_dir(log): its directory; both malloc'd. */
char *al_stem(const char *log);
char *al_dir(const char *log);

/* al_sign(k, host, buf, len, first, records, head, ret, ret_len): the
 * .minisig text for a segment of len bytes.  0 or -1. */
int al_sign(const struct gs_ms_sec *k, const char *host, const uint8_t *buf, size_t len,
            uint64_t first, uint64_t records, const uint8_t head[32], char **ret, size_t *ret_len);

#endif
