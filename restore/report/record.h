/*
 * record.h -- one audit record line (docs/AUDIT.md) parsed strictly, for
 * the auditor's report.  A log may be forged, so the parser trusts
 * nothing: a line is at most GS_AUDIT_LINE_MAX bytes of UTF-8 holding one
 * JSON object whose keys are [a-z0-9_]{1,64}, each once, at most
 * GS_AREC_MAX_FIELDS of them; strings may not hold control characters or
 * NUL (\u0000); numbers follow the JSON grammar and are at most
 * GS_AREC_NUM_MAX characters; nested objects and arrays (at most
 * GS_AREC_DEPTH deep) are checked and kept as their raw text.  The
 * common fields must be there with their types: v (1), seq, prev (64 hex
 * digits), time (YYYY-MM-DDTHH:MM:SSZ), time_ns, host and event
 * ([a-z0-9_-]{1,64}).  A string that held bytes that are not UTF-8 was
 * written with \udcXX escapes (gs_json_str); they are decoded back to the
 * bytes, so a value may not be UTF-8: escape before output.
 */
#ifndef GEOSNAP_REPORT_RECORD_H
#define GEOSNAP_REPORT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define GS_AREC_MAX_FIELDS 128
#define GS_AREC_NUM_MAX 40
#define GS_AREC_DEPTH 16
#define GS_AREC_KEY_MAX 64

enum gs_jtype {
	GS_J_NULL,
	GS_J_BOOL, /* i: 0 or 1 */
	GS_J_INT,  /* an integer that fits int64_t: i */
	GS_J_NUM,  /* any other number: s is its text */
	GS_J_STR,  /* s, decoded */
	GS_J_RAW,  /* an object or array: s is its text */
};

struct gs_afield {
	const char *key;
	enum gs_jtype type;
	const char *s; /* GS_J_STR, GS_J_NUM, GS_J_RAW: the text; else the raw token */
	int64_t i;     /* GS_J_INT, GS_J_BOOL */
};

/* A parsed record: everything points into mem (one allocation). */
struct gs_arec {
	uint64_t seq;
	int64_t time_ns;
	const char *time; /* as written, YYYY-MM-DDTHH:MM:SSZ */
	const char *host;
	const char *event;
	char hash[65]; /* SHA-256 (hex) of the line, as the next record's prev */
	struct gs_afield *f;
	size_t nf;
	char *mem;
};

/*
 * gs_arec_parse(line, len, ret, why, whylen): parse the len bytes at line
 * (borrowed; no newline) into *ret, which the caller clears with
 * gs_arec_clear().  0, or -1 with *ret untouched and the reason in why
 * ("byte 17: control character in a string"); out of memory is -1 too
 * ("out of memory").
 */
int gs_arec_parse(const char *line, size_t len, struct gs_arec *ret, char *why, size_t whylen);

/* gs_arec_clear(r): free what r holds and zero it (a zeroed r accepted). */
void gs_arec_clear(struct gs_arec *r);

/* gs_arec_field(r, key): the field named key, borrowed from r, or NULL. */
const struct gs_afield *gs_arec_field(const struct gs_arec *r, const char *key);

/* gs_arec_str(r, key): the string value of key (borrowed), or NULL when
 * key is missing, null or not a string. */
const char *gs_arec_str(const struct gs_arec *r, const char *key);

/* gs_arec_int(r, key, ret): 0 and *ret when key is an integer (or a
 * number with an integral value that fits), else -1, *ret untouched. */
int gs_arec_int(const struct gs_arec *r, const char *key, int64_t *ret);

/* gs_arec_num(r, key, ret): 0 and *ret when key is a finite number, else
 * -1, *ret untouched. */
int gs_arec_num(const struct gs_arec *r, const char *key, double *ret);

#endif
