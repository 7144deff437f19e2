/*
 * util.c -- error reporting, byte buffers and little-endian codecs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <xxhash.h>

#include "geosnap/util.h"

/* Process-wide settings made once by main() before any thread starts. */
static const char *progname = "geosnap";
static int quiet;
/* The last message of each thread, for audit records. */
static _Thread_local char last_error[1024];

/* gs_set_progname(name): name used as the prefix of messages (borrows). */
void
gs_set_progname(const char *name)
{
	progname = name;
}

/* gs_set_quiet(q): when q is non-zero, gs_warn() only records, not prints
 * (process-wide: call it while no other thread warns).  Returns the
 * previous setting. */
int
gs_set_quiet(int q)
{
	int old = quiet;

	quiet = q;
	return old;
}

/* gs_last_error(): the last message recorded on this thread ("" if none). */
const char *
gs_last_error(void)
{
	return last_error;
}

static void vwarn(int with_errno, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
vwarn(int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n;

	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	if (with_errno) {
		n = strlen(last_error);
		snprintf(last_error + n, sizeof(last_error) - n, ": %s", strerror(saved));
	}
	if (!quiet)
		fprintf(stderr, "%s: %s\n", progname, last_error);
	errno = saved;
}

/*
 * gs_warn(fmt, ...): print "PROG: message" on stderr and remember it as the
 * last error of this thread.  gs_warnp() appends ": strerror(errno)".
 */
void
gs_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
}

/*
 * gs_warn(fmt, ...): print "PROG: message" on stderr and remember it as the
 * last error of this thread.  gs_warnp() appends ": strerror(errno)".
 */
void
gs_warnp(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(1, fmt, ap);
	va_end(ap);
}

/*
 * Move b into a new block of ncap (>= b->len) bytes: allocate, copy, wipe
 * and free the old block.  Never realloc(): a buffer may hold decrypted
 * plaintext, and realloc() would leave the old copy unwiped in freed heap.
 * 0, or -1 (b unchanged).
 */
static int
buf_move(struct gs_buf *b, size_t ncap)
{
	uint8_t *np;

	if ((np = malloc(ncap)) == NULL)
		return -1;
	if (b->p != NULL) {
		memcpy(np, b->p, b->len);
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

/* gs_buf_reserve(b, n): make room for n more bytes; 0 or -1 (and b->oom). */
int
gs_buf_reserve(struct gs_buf *b, size_t n)
{
	size_t ncap;

	if (b->oom)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		goto oom;
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + n)
		ncap *= 2;
	if (buf_move(b, ncap) != 0)
		goto oom;
	return 0;
oom:
	b->oom = 1;
	return -1;
}

/* gs_buf_put(b, p, n): append n bytes of p (ignored once b->oom is set). */
void
gs_buf_put(struct gs_buf *b, const void *p, size_t n)
{
	if (n == 0 || gs_buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* gs_buf_u8(b, v): append one byte. */
void
gs_buf_u8(struct gs_buf *b, uint8_t v)
{
	gs_buf_put(b, &v, 1);
}

/* gs_buf_u16(b, v): append v little-endian (2 bytes). */
void
gs_buf_u16(struct gs_buf *b, uint16_t v)
{
	uint8_t t[2];

	gs_le16(t, v);
	gs_buf_put(b, t, 2);
}

/* gs_buf_u32(b, v): append v little-endian (4 bytes). */
void
gs_buf_u32(struct gs_buf *b, uint32_t v)
{
	uint8_t t[4];

	gs_le32(t, v);
	gs_buf_put(b, t, 4);
}

/* gs_buf_u64(b, v): append v little-endian (8 bytes). */
void
gs_buf_u64(struct gs_buf *b, uint64_t v)
{
	uint8_t t[8];

	gs_le64(t, v);
	gs_buf_put(b, t, 8);
}

/* gs_buf_str16(b, s): u16 length then the bytes of s (s may be NULL = ""). */
void
gs_buf_str16(struct gs_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > UINT16_MAX) {
		b->oom = 1;
		return;
	}
	gs_buf_u16(b, (uint16_t)n);
	gs_buf_put(b, s, n);
}

/* gs_buf_shrink(b): drop unused capacity (best effort). */
void
gs_buf_shrink(struct gs_buf *b)
{
	if (b->len == 0 || b->len == b->cap)
		return;
	(void)buf_move(b, b->len); /* best effort: b stays as it was */
}

/* gs_buf_clear(b): release the memory (wiping it first) and zero b. */
void
gs_buf_clear(struct gs_buf *b)
{
	if (b->p)
		sodium_memzero(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* gs_rd_init(r, p, len): a reader over the len bytes at p (borrowed). */
void
gs_rd_init(struct gs_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

/* gs_rd_bytes(r, n): pointer to the next n bytes (borrowed) or NULL. */
const uint8_t *
gs_rd_bytes(struct gs_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

/* gs_rd_copy(r, dst, n): copy the next n bytes into dst; zeros on error. */
void
gs_rd_copy(struct gs_rd *r, void *dst, size_t n)
{
	const uint8_t *p = gs_rd_bytes(r, n);

	if (n == 0)
		return;
	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

/* gs_rd_u8(r): the next byte; 0 and r->err set when none is left. */
uint8_t
gs_rd_u8(struct gs_rd *r)
{
	const uint8_t *p = gs_rd_bytes(r, 1);

	return p ? p[0] : 0;
}

/* gs_rd_u16(r): the next 2 bytes, little-endian; 0 and r->err when short. */
uint16_t
gs_rd_u16(struct gs_rd *r)
{
	const uint8_t *p = gs_rd_bytes(r, 2);

	return p ? (uint16_t)(p[0] | (p[1] << 8)) : 0;
}

/* gs_rd_u32(r): the next 4 bytes, little-endian; 0 and r->err when short. */
uint32_t
gs_rd_u32(struct gs_rd *r)
{
	const uint8_t *p = gs_rd_bytes(r, 4);

	return p ? gs_get_le32(p) : 0;
}

/* gs_rd_u64(r): the next 8 bytes, little-endian; 0 and r->err when short. */
uint64_t
gs_rd_u64(struct gs_rd *r)
{
	const uint8_t *p = gs_rd_bytes(r, 8);

	return p ? gs_get_le64(p) : 0;
}

/* gs_rd_str16(r): malloc'd NUL-terminated copy of a u16-prefixed string;
 * NULL (and r->err) when short or when the bytes contain a NUL. */
char *
gs_rd_str16(struct gs_rd *r)
{
	uint16_t n = gs_rd_u16(r);
	const uint8_t *p = gs_rd_bytes(r, n);
	char *s;

	if (p == NULL || memchr(p, 0, n) != NULL) {
		r->err = 1;
		return NULL;
	}
	if ((s = malloc((size_t)n + 1)) == NULL) {
		r->err = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* gs_le16(p, v), gs_le32(p, v), gs_le64(p, v): store v little-endian at p
 * (2, 4 or 8 bytes). */
void
gs_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* gs_le16(p, v), gs_le32(p, v), gs_le64(p, v): store v little-endian at p
 * (2, 4 or 8 bytes). */
void
gs_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* gs_le16(p, v), gs_le32(p, v), gs_le64(p, v): store v little-endian at p
 * (2, 4 or 8 bytes). */
void
gs_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* gs_get_le32(p), gs_get_le64(p): the little-endian value at p. */
uint32_t
gs_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* gs_get_le32(p), gs_get_le64(p): the little-endian value at p. */
uint64_t
gs_get_le64(const uint8_t *p)
{
	return (uint64_t)gs_get_le32(p) | ((uint64_t)gs_get_le32(p + 4) << 32);
}

/* gs_hex(dst, src, n): write 2n lowercase hex digits and a NUL to dst. */
void
gs_hex(char *dst, const uint8_t *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 15];
	}
	dst[2 * n] = 0;
}

/* gs_hexval(c): the value of hex digit c (either case), or -1. */
int
gs_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* gs_unhex(dst, src, n): parse exactly 2n hex digits; 0 or -1. */
int
gs_unhex(uint8_t *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (src[2 * i] == 0 || (hi = gs_hexval(src[2 * i])) < 0 ||
		    (lo = gs_hexval(src[2 * i + 1])) < 0)
			return -1;
		dst[i] = (uint8_t)(hi << 4 | lo);
	}
	return src[2 * n] == 0 ? 0 : -1;
}

/* gs_all_zero(p, n): 1 when each of the n bytes at p is zero (so also when
 * n is 0), else 0.  Borrows p. */
int
gs_all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* gs_strdup(s) / gs_asprintf(): malloc'd strings, NULL on failure (warned). */
char *
gs_strdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		gs_warnp("strdup");
	return d;
}

/* gs_strdup(s) / gs_asprintf(): malloc'd strings, NULL on failure (warned). */
char *
gs_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		gs_warnp("vasprintf");
		return NULL;
	}
	return s;
}

/* gs_path_join(a, b): "a/b" malloc'd. */
char *
gs_path_join(const char *a, const char *b)
{
	return gs_asprintf("%s/%s", a, b);
}

/* gs_now_ns(): CLOCK_REALTIME in ns; gs_mono_ns(): CLOCK_MONOTONIC. */
int64_t
gs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * GS_NS_PER_S + ts.tv_nsec;
}

/* gs_now_ns(): CLOCK_REALTIME in ns; gs_mono_ns(): CLOCK_MONOTONIC. */
int64_t
gs_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * GS_NS_PER_S + ts.tv_nsec;
}

/* gs_xxh128_hex(buf, len, out33): XXH3-128 of buf as xxh128sum prints it. */
void
gs_xxh128_hex(const void *buf, size_t len, char out[33])
{
	XXH128_hash_t h = XXH3_128bits(buf, len);
	XXH128_canonical_t c;

	/* Canonical form is big-endian high64 then low64: what xxh128sum prints. */
	XXH128_canonicalFromHash(&c, h);
	gs_hex(out, c.digest, 16);
}

/*
 * gs_iso_time(out, cap, sec): sec as UTC "YYYY-MM-DDTHH:MM:SSZ", or "@SEC"
 * when it cannot be represented.
 */
void
gs_iso_time(char *out, size_t cap, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "@%lld", (long long)sec);
}
