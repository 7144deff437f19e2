/*
 * record.c -- the strict parser of one audit record line (record.h): a
 * bounded recursive-descent JSON reader over (line, len) that decodes the
 * top-level members into one arena and checks the common fields.  Nothing
 * in a line is trusted: every read is bounds-checked, every count and
 * length is capped, and the first problem is named with its byte offset.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/audit.h"
#include "geosnap/config.h"
#include "geosnap/util.h"
#include "report/record.h"

struct jp {
	const unsigned char *p;
	size_t len, off;
	char *out; /* the arena */
	size_t used, cap;
	char *why;
	size_t whylen;
};

static int fail(struct jp *j, const char *fmt, ...) GS_PRINTF(2, 3);

/* fail(j, fmt, ...): the reason, prefixed with the byte offset; -1. */
static int
fail(struct jp *j, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(j->why, j->whylen, "byte %zu: %s", j->off, msg);
	return -1;
}

/* put(j, p, n): append n bytes to the arena; -1 when it is full (cannot
 * happen: the arena is sized from the line, which is never shorter). */
static int
put(struct jp *j, const void *p, size_t n)
{
	if (n > j->cap - j->used)
		return fail(j, "record too large to decode");
	memcpy(j->out + j->used, p, n);
	j->used += n;
	return 0;
}

static int
peek(const struct jp *j)
{
	return j->off < j->len ? j->p[j->off] : -1;
}

static void
ws(struct jp *j)
{
	while (j->off < j->len &&
	       (j->p[j->off] == ' ' || j->p[j->off] == '\t' || j->p[j->off] == '\r'))
		j->off++;
}

/* hex4(j, ret): four hex digits at j->off. */
static int
hex4(struct jp *j, unsigned *ret)
{
	unsigned v = 0;
	int d, i;

	if (j->len - j->off < 4)
		return fail(j, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		if ((d = gs_hexval(j->p[j->off + i])) < 0)
			return fail(j, "bad \\u escape");
		v = v << 4 | (unsigned)d;
	}
	j->off += 4;
	*ret = v;
	return 0;
}

/* utf8(cp, out): the UTF-8 bytes of code point cp; their count. */
static size_t
utf8(unsigned cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* escape(j): the escape after a backslash, decoded into the arena. */
static int
escape(struct jp *j)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned char u[4];
	unsigned cp = 0, lo = 0;
	const char *k;
	int c = peek(j);

	if (c < 0)
		return fail(j, "truncated escape");
	j->off++;
	if (c != 'u') {
		if (c == 0 || (k = strchr(from, c)) == NULL)
			return fail(j, "bad escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
		return put(j, &to[k - from], 1);
	}
	if (hex4(j, &cp))
		return -1;
	if (cp == 0)
		return fail(j, "\\u0000 in a string");
	if (cp >= 0xdc80 && cp <= 0xdcff) {
		u[0] = (unsigned char)(cp & 0xff); /* a byte that was not UTF-8 */
		return put(j, u, 1);
	}
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(j, "lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->len - j->off < 2 || j->p[j->off] != '\\' || j->p[j->off + 1] != 'u')
			return fail(j, "lone high surrogate");
		j->off += 2;
		if (hex4(j, &lo))
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(j, "bad surrogate pair");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return put(j, u, utf8(cp, u));
}

/* string(j, ret): a string literal decoded into the arena, NUL-terminated;
 * *ret points to it. */
static int
string(struct jp *j, const char **ret)
{
	size_t start = j->used, n;
	unsigned char tmp[5];
	int c;

	if (peek(j) != '"')
		return fail(j, "expected a string");
	j->off++;
	for (;;) {
		if ((c = peek(j)) < 0)
			return fail(j, "unterminated string");
		if (c == '"') {
			j->off++;
			break;
		}
		if (c < 0x20)
			return fail(j, "control character 0x%02x in a string", (unsigned)c);
		if (c == '\\') {
			j->off++;
			if (escape(j))
				return -1;
			continue;
		}
		if (c < 0x80) {
			if (put(j, &j->p[j->off], 1))
				return -1;
			j->off++;
			continue;
		}
		memset(tmp, 0, sizeof(tmp));
		n = j->len - j->off < 4 ? j->len - j->off : 4;
		memcpy(tmp, j->p + j->off, n);
		if ((n = gs_utf8_len(tmp)) == 0)
			return fail(j, "bytes that are not UTF-8");
		if (put(j, j->p + j->off, n))
			return -1;
		j->off += n;
	}
	if (put(j, "", 1))
		return -1;
	if (ret != NULL)
		*ret = j->out + start;
	return 0;
}

static int
digits(struct jp *j)
{
	size_t s = j->off;

	while (j->off < j->len && j->p[j->off] >= '0' && j->p[j->off] <= '9')
		j->off++;
	return j->off > s ? 0 : fail(j, "expected a digit");
}

/* number(j, f): a number by the JSON grammar, at most GS_AREC_NUM_MAX
 * characters; an integer that fits int64_t becomes GS_J_INT. */
static int
number(struct jp *j, struct gs_afield *f)
{
	size_t s = j->off, i;
	int integral = 1, neg = 0;
	uint64_t v = 0, lim;

	if (peek(j) == '-') {
		neg = 1;
		j->off++;
	}
	if (peek(j) == '0')
		j->off++;
	else if (digits(j))
		return -1;
	if (peek(j) == '.') {
		j->off++;
		integral = 0;
		if (digits(j))
			return -1;
	}
	if (peek(j) == 'e' || peek(j) == 'E') {
		j->off++;
		integral = 0;
		if (peek(j) == '+' || peek(j) == '-')
			j->off++;
		if (digits(j))
			return -1;
	}
	if (j->off - s > GS_AREC_NUM_MAX) {
		j->off = s;
		return fail(j, "number longer than %d characters", GS_AREC_NUM_MAX);
	}
	f->s = j->out + j->used;
	if (put(j, j->p + s, j->off - s) || put(j, "", 1))
		return -1;
	f->type = GS_J_NUM;
	if (!integral)
		return 0;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (i = s + neg; i < j->off; i++) {
		unsigned d = j->p[i] - '0';

		if (v > (lim - d) / 10)
			return 0; /* too large for int64_t: kept as text */
		v = v * 10 + d;
	}
	f->type = GS_J_INT;
	f->i = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

/* literal(j, word): true, false or null. */
static int
literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if (j->len - j->off < n || memcmp(j->p + j->off, word, n) != 0)
		return fail(j, "expected a value");
	j->off += n;
	return 0;
}

/* skip(j, depth): check a nested value (no arena use survives). */
static int
skip(struct jp *j, int depth)
{
	struct gs_afield f;
	size_t used = j->used;
	int c = peek(j), close, first = 1;

	if (c == '"' || c == '-' || (c >= '0' && c <= '9')) {
		if (c == '"' ? string(j, NULL) : number(j, &f))
			return -1;
		j->used = used;
		return 0;
	}
	if (c == 't' || c == 'f' || c == 'n')
		return literal(j, c == 't' ? "true" : c == 'f' ? "false" : "null");
	if (c != '{' && c != '[')
		return fail(j, "expected a value");
	if (depth >= GS_AREC_DEPTH)
		return fail(j, "nested deeper than %d", GS_AREC_DEPTH);
	close = c == '{' ? '}' : ']';
	j->off++;
	for (;;) {
		ws(j);
		if (first && peek(j) == close) {
			j->off++;
			return 0;
		}
		first = 0;
		if (c == '{') {
			if (string(j, NULL))
				return -1;
			j->used = used;
			ws(j);
			if (peek(j) != ':')
				return fail(j, "expected ':'");
			j->off++;
			ws(j);
		}
		if (skip(j, depth + 1))
			return -1;
		ws(j);
		if (peek(j) == ',') {
			j->off++;
			continue;
		}
		if (peek(j) == close) {
			j->off++;
			return 0;
		}
		return fail(j, "expected ',' or '%c'", close);
	}
}

/* value(j, f): a member's value into f. */
static int
value(struct jp *j, struct gs_afield *f)
{
	size_t s = j->off;
	int c = peek(j);

	f->type = GS_J_NULL;
	f->s = NULL;
	f->i = 0;
	switch (c) {
	case '"':
		f->type = GS_J_STR;
		return string(j, &f->s);
	case 't':
	case 'f':
		f->type = GS_J_BOOL;
		f->i = c == 't';
		f->s = c == 't' ? "true" : "false";
		return literal(j, f->s);
	case 'n':
		f->type = GS_J_NULL;
		f->s = "null";
		return literal(j, "null");
	case '{':
	case '[':
		if (skip(j, 1))
			return -1;
		f->type = GS_J_RAW;
		f->s = j->out + j->used;
		return put(j, j->p + s, j->off - s) || put(j, "", 1) ? -1 : 0;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return number(j, f);
		return fail(j, "expected a value");
	}
}

/* key_ok(k): [a-z0-9_]{1,GS_AREC_KEY_MAX}. */
static int
key_ok(const char *k)
{
	size_t n = strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return n > 0 && n <= GS_AREC_KEY_MAX && k[n] == '\0';
}

/* object(j, v, ret_n): the top-level object's members into v. */
static int
object(struct jp *j, struct gs_afield *v, size_t *ret_n)
{
	size_t n = 0, i, at;

	ws(j);
	if (peek(j) != '{')
		return fail(j, "not a JSON object");
	j->off++;
	ws(j);
	if (peek(j) == '}') {
		j->off++;
		goto done;
	}
	for (;;) {
		if (n == GS_AREC_MAX_FIELDS)
			return fail(j, "more than %d fields", GS_AREC_MAX_FIELDS);
		at = j->off;
		if (string(j, &v[n].key))
			return -1;
		if (!key_ok(v[n].key)) {
			j->off = at;
			return fail(j, "bad key (expected [a-z0-9_]{1,%d})", GS_AREC_KEY_MAX);
		}
		for (i = 0; i < n; i++) {
			if (strcmp(v[i].key, v[n].key) == 0) {
				j->off = at;
				return fail(j, "key '%s' given twice", v[n].key);
			}
		}
		ws(j);
		if (peek(j) != ':')
			return fail(j, "expected ':'");
		j->off++;
		ws(j);
		if (value(j, &v[n]))
			return -1;
		n++;
		ws(j);
		if (peek(j) == ',') {
			j->off++;
			ws(j);
			continue;
		}
		if (peek(j) == '}') {
			j->off++;
			break;
		}
		return fail(j, "expected ',' or '}'");
	}
done:
	ws(j);
	if (j->off != j->len)
		return fail(j, "data after the object");
	*ret_n = n;
	return 0;
}

static const struct gs_afield *
find(const struct gs_afield *v, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i].key, key) == 0)
			return &v[i];
	}
	return NULL;
}

/* common(v, n, r, why, whylen): the common fields into r. */
static int
common(const struct gs_afield *v, size_t n, struct gs_arec *r, char *why, size_t whylen)
{
	const struct gs_afield *f;
	char iso[GS_ISO_TIME_MAX];
	size_t i;

#define NEED(key, t)                                                                               \
	if ((f = find(v, n, key)) == NULL || f->type != (t)) {                                     \
		snprintf(why, whylen, "field '%s' missing or not %s", key,                         \
		         (t) == GS_J_INT ? "an integer" : "a string");                             \
		return -1;                                                                         \
	}
	NEED("v", GS_J_INT);
	if (f->i != GS_AUDIT_VERSION) {
		snprintf(why, whylen, "unknown format version %lld", (long long)f->i);
		return -1;
	}
	NEED("seq", GS_J_INT);
	if (f->i < 1) {
		snprintf(why, whylen, "bad seq %lld", (long long)f->i);
		return -1;
	}
	r->seq = (uint64_t)f->i;
	NEED("prev", GS_J_STR);
	for (i = 0; f->s[i] != '\0' && strchr("0123456789abcdef", f->s[i]) != NULL; i++)
		;
	if (i != 64 || f->s[i] != '\0') {
		snprintf(why, whylen, "field 'prev' is not 64 hex digits");
		return -1;
	}
	NEED("time_ns", GS_J_INT);
	if (f->i < 0) {
		snprintf(why, whylen, "negative time_ns");
		return -1;
	}
	r->time_ns = f->i;
	NEED("time", GS_J_STR);
	r->time = f->s;
	gs_iso_time(iso, sizeof(iso), r->time_ns / GS_NS_PER_S);
	if (strcmp(iso, r->time) != 0) {
		snprintf(why, whylen, "field 'time' does not match time_ns");
		return -1;
	}
	NEED("host", GS_J_STR);
	if (!gs_valid_name(f->s)) {
		snprintf(why, whylen, "field 'host' is not a host name");
		return -1;
	}
	r->host = f->s;
	NEED("event", GS_J_STR);
	i = strspn(f->s, "abcdefghijklmnopqrstuvwxyz0123456789_-");
	if (i == 0 || i > 64 || f->s[i] != '\0') {
		snprintf(why, whylen, "field 'event' is not [a-z0-9_-]{1,64}");
		return -1;
	}
	r->event = f->s;
#undef NEED
	return 0;
}

/*
 * gs_arec_parse(line, len, ret, why, whylen): parse the len bytes at line
 * (borrowed; no newline) into *ret, which the caller clears with
 * gs_arec_clear().  0, or -1 with *ret untouched and the reason in why
 * ("byte 17: control character in a string"); out of memory is -1 too
 * ("out of memory").
 */
int
gs_arec_parse(const char *line, size_t len, struct gs_arec *ret, char *why, size_t whylen)
{
	struct gs_afield v[GS_AREC_MAX_FIELDS];
	struct gs_arec r;
	struct jp j;
	uint8_t h[crypto_hash_sha256_BYTES];
	size_t n = 0;

	memset(&r, 0, sizeof(r));
	if (len > GS_AUDIT_LINE_MAX) {
		snprintf(why, whylen, "line longer than %u bytes", GS_AUDIT_LINE_MAX);
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.p = (const unsigned char *)line;
	j.len = len;
	j.why = why;
	j.whylen = whylen;
	/* Decoded text is never longer than its source, and each key and
	 * value's NUL fits in the ':' or ',' before it. */
	j.cap = len + 2;
	if ((r.mem = malloc(j.cap)) == NULL)
		goto oom;
	j.out = r.mem;
	if (object(&j, v, &n) || common(v, n, &r, why, whylen))
		goto err;
	if (n > 0) {
		if ((r.f = calloc(n, sizeof(*r.f))) == NULL)
			goto oom;
		memcpy(r.f, v, n * sizeof(*v));
	}
	r.nf = n;
	crypto_hash_sha256(h, (const unsigned char *)line, len);
	gs_hex(r.hash, h, sizeof(h));
	*ret = r;
	return 0;

oom:
	snprintf(why, whylen, "out of memory");
err:
	free(r.mem);
	return -1;
}

/* gs_arec_clear(r): free what r holds and zero it (a zeroed r accepted). */
void
gs_arec_clear(struct gs_arec *r)
{
	free(r->f);
	free(r->mem);
	memset(r, 0, sizeof(*r));
}

/* gs_arec_field(r, key): the field named key, borrowed from r, or NULL. */
const struct gs_afield *
gs_arec_field(const struct gs_arec *r, const char *key)
{
	return find(r->f, r->nf, key);
}

/* gs_arec_str(r, key): the string value of key (borrowed), or NULL when
 * key is missing, null or not a string. */
const char *
gs_arec_str(const struct gs_arec *r, const char *key)
{
	const struct gs_afield *f = find(r->f, r->nf, key);

	return f != NULL && f->type == GS_J_STR ? f->s : NULL;
}

/* gs_arec_num(r, key, ret): 0 and *ret when key is a finite number, else
 * -1, *ret untouched. */
int
gs_arec_num(const struct gs_arec *r, const char *key, double *ret)
{
	const struct gs_afield *f = find(r->f, r->nf, key);
	double d;
	char *end;

	if (f == NULL)
		return -1;
	if (f->type == GS_J_INT) {
		*ret = (double)f->i;
		return 0;
	}
	if (f->type != GS_J_NUM)
		return -1;
	errno = 0;
	d = strtod(f->s, &end);
	if (*end != '\0' || errno != 0 || !isfinite(d))
		return -1;
	*ret = d;
	return 0;
}

/* gs_arec_int(r, key, ret): 0 and *ret when key is an integer (or a
 * number with an integral value that fits), else -1, *ret untouched. */
int
gs_arec_int(const struct gs_arec *r, const char *key, int64_t *ret)
{
	const struct gs_afield *f = find(r->f, r->nf, key);
	double d;

	if (f != NULL && f->type == GS_J_INT) {
		*ret = f->i;
		return 0;
	}
	if (gs_arec_num(r, key, &d) || d < -9.2e18 || d > 9.2e18 || (double)(int64_t)d != d)
		return -1;
	*ret = (int64_t)d;
	return 0;
}
