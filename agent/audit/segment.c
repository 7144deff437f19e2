/*
 * segment.c -- the audit log's segments: their names, the strict scanner
 * of their lines (format, sequence, chain) and their signatures' trusted
 * comment.  Everything here reads untrusted bytes: a segment may come from
 * a remote or have been edited; each check is bounded by the line limit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit_internal.h"
#include "geosnap/audit.h"
#include "geosnap/util.h"

#define PREFIX_V "{\"v\":1,\"seq\":"
#define PREFIX_PREV ",\"prev\":\""
#define PREFIX_TIME "\",\"time\":\""

/* parse_line(p, n, ret_seq, ret_prev, ret_date): the fixed start of a
 * record line of n bytes (no newline).  0, or -1 with why. */
static int
parse_line(const char *p, size_t n, uint64_t *ret_seq, uint8_t ret_prev[32], char ret_date[9],
           const char **why)
{
	size_t i = strlen(PREFIX_V), d = 0;
	uint64_t seq = 0;

	*why = "not an audit record (bad start)";
	if (n < 2 || p[n - 1] != '}' || n < i || memcmp(p, PREFIX_V, i) != 0)
		return -1;
	while (i < n && p[i] >= '0' && p[i] <= '9' && d < 19) {
		seq = seq * 10 + (uint64_t)(p[i++] - '0');
		d++;
	}
	if (d == 0 || seq == 0 || (d > 1 && p[i - d] == '0')) {
		*why = "bad sequence number";
		return -1;
	}
	if (n - i < strlen(PREFIX_PREV) + 64 + strlen(PREFIX_TIME) + 10 ||
	    memcmp(p + i, PREFIX_PREV, strlen(PREFIX_PREV)) != 0) {
		*why = "no \"prev\" hash";
		return -1;
	}
	i += strlen(PREFIX_PREV);
	for (d = 0; d < 64; d++) {
		int v = gs_hexval(p[i + d]);

		if (v < 0 || (p[i + d] >= 'A' && p[i + d] <= 'F')) {
			*why = "bad \"prev\" hash";
			return -1;
		}
		ret_prev[d / 2] = (uint8_t)(d % 2 ? (ret_prev[d / 2] << 4) | v : v);
	}
	i += 64;
	if (memcmp(p + i, PREFIX_TIME, strlen(PREFIX_TIME)) != 0) {
		*why = "no \"time\"";
		return -1;
	}
	i += strlen(PREFIX_TIME);
	/* YYYY-MM-DD */
	for (d = 0; d < 10; d++)
		if ((d == 4 || d == 7) ? p[i + d] != '-' : (p[i + d] < '0' || p[i + d] > '9')) {
			*why = "bad \"time\"";
			return -1;
		}
	memcpy(ret_date, p + i, 4);
	memcpy(ret_date + 4, p + i + 5, 2);
	memcpy(ret_date + 6, p + i + 8, 2);
	ret_date[8] = 0;
	*ret_seq = seq;
	return 0;
}

/*
 * al_scan(buf, len, start, want_ends, ret): check the lines of a segment
 * (format, sequence, chain); stops at the first bad line.  0, or -1 out of
 * memory.
 */
int
al_scan(const char *buf, size_t len, const struct al_head *start, int want_ends,
        struct al_scan *ret)
{
	size_t off = 0, cap = 0;
	const char *why;
	char date[9];
	uint8_t prev[32];
	uint64_t seq;

	memset(ret, 0, sizeof(*ret));
	if (start != NULL)
		ret->head = *start;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		uint64_t want = ret->records ? ret->head.seq + 1 : (start ? start->seq + 1 : 0);

		if (nl == NULL) {
			ret->torn = 1;
			break;
		}
		if (n > GS_AUDIT_LINE_MAX) {
			why = "line too long";
			goto bad;
		}
		if (parse_line(buf + off, n, &seq, prev, date, &why))
			goto bad;
		if (want != 0 && seq != want) {
			snprintf(ret->why, sizeof(ret->why),
			         "seq %" PRIu64 " where %" PRIu64 " belongs", seq, want);
			ret->bad_seq = want;
			return 0;
		}
		if ((want != 0 || ret->records) && sodium_memcmp(prev, ret->head.hash, 32) != 0) {
			snprintf(ret->why, sizeof(ret->why),
			         "record %" PRIu64 " does not chain to the record before it", seq);
			ret->bad_seq = seq;
			return 0;
		}
		if (ret->records == 0) {
			ret->first = seq;
			memcpy(ret->first_date, date, 9);
		}
		crypto_hash_sha256(ret->head.hash, (const unsigned char *)buf + off, n);
		ret->head.seq = seq;
		ret->records++;
		off += n + 1;
		ret->good_len = off;
		if (want_ends) {
			if (ret->records > cap) {
				uint64_t *v;

				cap = cap ? cap * 2 : 256;
				if ((v = realloc(ret->ends, cap * sizeof(*v))) == NULL)
					return -1;
				ret->ends = v;
			}
			ret->ends[ret->records - 1] = off;
		}
	}
	return 0;
bad:
	ret->bad_seq = ret->records ? ret->head.seq + 1 : (start ? start->seq + 1 : 1);
	snprintf(ret->why, sizeof(ret->why), "record %" PRIu64 ": %s", ret->bad_seq, why);
	return 0;
}

/* A closed segment's name: "<stem>.<YYYYMMDD>.<seq 10 digits>.jsonl". */
char *
al_seg_name(const char *stem, const char *date, uint64_t first)
{
	return gs_asprintf("%s.%s.%0*" PRIu64 ".jsonl", stem, date, AL_SEQ_DIGITS, first);
}

/* al_seg_parse(stem, name, ret_first): 0 and the first seq when name is a
 * closed segment of stem (not its .minisig), else -1. */
int
al_seg_parse(const char *stem, const char *name, uint64_t *ret_first)
{
	size_t sl = strlen(stem), i;
	const char *p = name + sl;
	uint64_t v = 0;

	if (strncmp(name, stem, sl) != 0 || strlen(p) != 1 + 8 + 1 + AL_SEQ_DIGITS + 6 ||
	    p[0] != '.' || p[9] != '.' || strcmp(p + 10 + AL_SEQ_DIGITS, ".jsonl") != 0)
		return -1;
	for (i = 1; i < 9; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	for (i = 10; i < 10 + AL_SEQ_DIGITS; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v == 0)
		return -1;
	*ret_first = v;
	return 0;
}

/* al_trusted(host, first, records, head): the trusted comment of a
 * segment's signature (static buffer). */
const char *
al_trusted(const char *host, uint64_t first, uint64_t records, const uint8_t head[32])
{
	static _Thread_local char t[GS_MS_TRUSTED_MAX];
	char hex[65];

	gs_hex(hex, head, 32);
	snprintf(t, sizeof(t),
	         "geosnap-audit v1 host=%s first=%" PRIu64 " records=%" PRIu64 " head=%s",
	         host ? host : "-", first, records, hex);
	return t;
}

/* al_trusted_parse(t, ret_first, ret_records, ret_head): 0, or -1 when t is
 * not one of ours. */
int
al_trusted_parse(const char *t, uint64_t *ret_first, uint64_t *ret_records, uint8_t ret_head[32])
{
	const char *p;
	char *end;

	if (strncmp(t, "geosnap-audit v1 host=", 22) != 0 || (p = strstr(t, " first=")) == NULL)
		return -1;
	*ret_first = strtoull(p + 7, &end, 10);
	if (strncmp(end, " records=", 9) != 0)
		return -1;
	*ret_records = strtoull(end + 9, &end, 10);
	if (strncmp(end, " head=", 6) != 0 || strlen(end + 6) != 64 ||
	    gs_unhex(ret_head, end + 6, 32))
		return -1;
	return 0;
}

/* al_stem(log): the file name of the open segment without ".jsonl". */
char *
al_stem(const char *log)
{
	const char *b = strrchr(log, '/');
	char *s = gs_strdup(b ? b + 1 : log);
	size_t n;

	if (s != NULL && (n = strlen(s)) > 6 && strcmp(s + n - 6, ".jsonl") == 0)
		s[n - 6] = 0;
	return s;
}

/* al_dir(log): its directory. */
char *
al_dir(const char *log)
{
	const char *b = strrchr(log, '/');

	if (b == NULL)
		return gs_strdup(".");
	if (b == log)
		return gs_strdup("/");
	return gs_asprintf("%.*s", (int)(b - log), log);
}

/* al_sign(k, host, buf, len, first, records, head, ret, ret_len): the
 * .minisig text for a segment of len bytes.  0 or -1. */
int
al_sign(const struct gs_ms_sec *k, const char *host, const uint8_t *buf, size_t len, uint64_t first,
        uint64_t records, const uint8_t head[32], char **ret, size_t *ret_len)
{
	uint8_t h[GS_MS_HASH_LEN];
	char untrusted[128];

	crypto_generichash(h, sizeof(h), buf, len, NULL, 0);
	snprintf(untrusted, sizeof(untrusted), "geosnap audit log, records %" PRIu64 "-%" PRIu64,
	         first, first + records - 1);
	return gs_ms_sign(k, h, untrusted, al_trusted(host, first, records, head), ret, ret_len);
}
