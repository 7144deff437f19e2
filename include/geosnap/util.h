/*
 * util.h -- error reporting, byte buffers, little-endian codecs, file helpers.
 *
 * Errors are reported once, where they are detected, with gs_warn() or
 * gs_warnp() (the latter appends strerror(errno)).  The last message of the
 * calling thread is kept so that a command can copy it into an audit record.
 */
#ifndef GEOSNAP_UTIL_H
#define GEOSNAP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GS_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Exit statuses of both programs (docs/CLI.md). */
#define GS_EXIT_OK 0
#define GS_EXIT_PROBLEM 1
#define GS_EXIT_USAGE 2
#define GS_EXIT_FAIL 3
#define GS_EXIT_WARN 4

/*
 * gs_warn(fmt, ...): print "PROG: message" on stderr and remember it as the
 * last error of this thread.  gs_warnp() appends ": strerror(errno)".
 */
void gs_warn(const char *fmt, ...) GS_PRINTF(1, 2);
void gs_warnp(const char *fmt, ...) GS_PRINTF(1, 2);

/* GS_NELEM(a): the number of elements of array a (not a pointer). */
#define GS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Nanoseconds in a second (times are int64_t nanoseconds since the epoch). */
#define GS_NS_PER_S 1000000000LL

/* Room for gs_iso_time()'s text and its NUL. */
#define GS_ISO_TIME_MAX 32

/*
 * gs_iso_time(out, cap, sec): write sec (seconds since the epoch) as UTC
 * "YYYY-MM-DDTHH:MM:SSZ" into out (cap bytes, GS_ISO_TIME_MAX is enough),
 * or "@SEC" when it cannot be represented.  The one time format of the
 * audit log, the status table and every listing.
 */
void gs_iso_time(char *out, size_t cap, int64_t sec);

/* gs_set_progname(name): name used as the prefix of messages (borrows). */
void gs_set_progname(const char *name);

/* gs_set_quiet(q): when q is non-zero, gs_warn() only records, not prints
 * (process-wide: call it while no other thread warns).  Returns the
 * previous setting. */
int gs_set_quiet(int q);

/* gs_last_error(): the last message recorded on this thread ("" if none). */
const char *gs_last_error(void);

/*
 * Growable byte buffer.  Zero-initialise before first use.  It may hold
 * decrypted plaintext: growing and shrinking copy into a new block and
 * wipe the old one (never realloc), and gs_buf_clear() wipes.
 */
struct gs_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	int oom; /* set once an allocation failed; later puts are ignored */
};

/* gs_buf_reserve(b, n): make room for n more bytes; 0 or -1 (and b->oom). */
int gs_buf_reserve(struct gs_buf *b, size_t n);
/* gs_buf_put(b, p, n): append n bytes of p (ignored once b->oom is set). */
void gs_buf_put(struct gs_buf *b, const void *p, size_t n);
/* gs_buf_u8(b, v): append one byte. */
void gs_buf_u8(struct gs_buf *b, uint8_t v);
/* gs_buf_u16(b, v): append v little-endian (2 bytes). */
void gs_buf_u16(struct gs_buf *b, uint16_t v);
/* gs_buf_u32(b, v): append v little-endian (4 bytes). */
void gs_buf_u32(struct gs_buf *b, uint32_t v);
/* gs_buf_u64(b, v): append v little-endian (8 bytes). */
void gs_buf_u64(struct gs_buf *b, uint64_t v);
/* gs_buf_str16(b, s): u16 length then the bytes of s (s may be NULL = ""). */
void gs_buf_str16(struct gs_buf *b, const char *s);
/* gs_buf_shrink(b): drop unused capacity (best effort). */
void gs_buf_shrink(struct gs_buf *b);
/* gs_buf_clear(b): release the memory (wiping it first) and zero b. */
void gs_buf_clear(struct gs_buf *b);

/*
 * Bounds-checked reader over (p, len).  Every get on a short buffer sets
 * err and returns zeros, so a parser checks r->err once at the end.
 */
struct gs_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};

/* gs_rd_init(r, p, len): a reader over the len bytes at p (borrowed). */
void gs_rd_init(struct gs_rd *r, const void *p, size_t len);
/* gs_rd_u8(r): the next byte; 0 and r->err set when none is left. */
uint8_t gs_rd_u8(struct gs_rd *r);
/* gs_rd_u16(r): the next 2 bytes, little-endian; 0 and r->err when short. */
uint16_t gs_rd_u16(struct gs_rd *r);
/* gs_rd_u32(r): the next 4 bytes, little-endian; 0 and r->err when short. */
uint32_t gs_rd_u32(struct gs_rd *r);
/* gs_rd_u64(r): the next 8 bytes, little-endian; 0 and r->err when short. */
uint64_t gs_rd_u64(struct gs_rd *r);
/* gs_rd_bytes(r, n): pointer to the next n bytes (borrowed) or NULL. */
const uint8_t *gs_rd_bytes(struct gs_rd *r, size_t n);
/* gs_rd_copy(r, dst, n): copy the next n bytes into dst; zeros on error. */
void gs_rd_copy(struct gs_rd *r, void *dst, size_t n);
/* gs_rd_str16(r): malloc'd NUL-terminated copy of a u16-prefixed string;
 * NULL (and r->err) when short or when the bytes contain a NUL. */
char *gs_rd_str16(struct gs_rd *r);

/* gs_le16(p, v), gs_le32(p, v), gs_le64(p, v): store v little-endian at p
 * (2, 4 or 8 bytes). */
void gs_le16(uint8_t *p, uint16_t v);
void gs_le32(uint8_t *p, uint32_t v);
void gs_le64(uint8_t *p, uint64_t v);
/* gs_get_le32(p), gs_get_le64(p): the little-endian value at p. */
uint32_t gs_get_le32(const uint8_t *p);
uint64_t gs_get_le64(const uint8_t *p);

/* gs_hex(dst, src, n): write 2n lowercase hex digits and a NUL to dst. */
void gs_hex(char *dst, const uint8_t *src, size_t n);
/* gs_hexval(c): the value of hex digit c (either case), or -1. */
int gs_hexval(int c);
/* gs_unhex(dst, src, n): parse exactly 2n hex digits; 0 or -1. */
int gs_unhex(uint8_t *dst, const char *src, size_t n);

/* gs_all_zero(p, n): 1 when each of the n bytes at p is zero (so also when
 * n is 0), else 0.  Borrows p. */
int gs_all_zero(const uint8_t *p, size_t n);

/* gs_strdup(s) / gs_asprintf(): malloc'd strings, NULL on failure (warned). */
char *gs_strdup(const char *s);
char *gs_asprintf(const char *fmt, ...) GS_PRINTF(1, 2);
/* gs_path_join(a, b): "a/b" malloc'd. */
char *gs_path_join(const char *a, const char *b);

/* gs_mkdir_p(path, mode): create path and its parents; 0 or -1.  An
 * existing directory (of any owner and mode, or a link to one) is
 * accepted: check the ones that must be private with
 * gs_dir_check_private(). */
int gs_mkdir_p(const char *path, unsigned mode);

/*
 * gs_dir_check_private(what, path): path must be a directory (lstat: not
 * a symbolic link to one), owned by the effective uid and not writable by
 * group or others.  what names the setting in messages ("state_dir").
 * 0 when it is; 1 when path does not exist (not warned); -1 when refused
 * (warned naming the directory, its owner and mode, and the fix).
 */
int gs_dir_check_private(const char *what, const char *path);

/*
 * gs_open_private(path, flags, mode): open a state, lock or log file of the
 * agent with O_NOFOLLOW and O_CLOEXEC added to flags (never O_TRUNC:
 * truncate after the checks), creating it with mode; it must be a regular
 * file owned by the effective uid with a single link (a hard link to a
 * victim is refused too).  An fd, or -1 (warned naming the file).
 */
int gs_open_private(const char *path, int flags, unsigned mode);

/*
 * gs_read_file(path, max, ret, ret_len): read a whole file of at most max
 * bytes into a malloc'd buffer; a symbolic link is refused, not followed.
 * Returns 0, 1 if the file does not exist, -1 on any other error (warned;
 * a larger file is refused before anything is allocated for it).
 */
int gs_read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len);

/*
 * gs_publish(dir, name, buf, len, mode): write buf to dir/.gstmp-<random>,
 * fsync, link it to dir/name without overwriting, unlink the temporary
 * name and fsync dir.  Returns 0, 1 if dir/name already exists (same name =
 * same content for content-addressed objects, so this is not an error), -1
 * on error (warned, the temporary file removed).
 */
int gs_publish(const char *dir, const char *name, const void *buf, size_t len, unsigned mode);

/* Prefix of every temporary file the repository code creates. */
#define GS_TMP_PREFIX ".gstmp-"

/* gs_write_file_replace(path, buf, len, mode, durable): atomically replace
 * path (temporary file, rename).  With durable, the file and the directory
 * are fsync'd too; without, a crash may leave the old file, the new one, or
 * (for some filesystems) an empty one: only for caches that check
 * themselves.  For state files, not repository objects.  0 or -1. */
int gs_write_file_replace(const char *path, const void *buf, size_t len, unsigned mode,
                          int durable);

/* gs_fsync_dir(dir): 0 or -1 (warned). */
int gs_fsync_dir(const char *dir);

/*
 * Strict value parsers for configuration.  Each returns 0 or -1 and leaves
 * *ret untouched on failure; they never print.
 *   sizes: "16M", "1G", "512K", "100" (bytes); binary units K M G T.
 *   durations: "90d", "12h", "30m", "45s", "2w"; result in seconds.
 *   percentages: "3%", "0.5%", "100%"; result in parts per million.
 */
/*
 * gs_parse_size(s, ret): "100" (bytes), "512K", "16M", "1G", "2T", or the
 * same with "iB" after the unit ("16MiB").  Units are binary (K = 1024)
 * and case-sensitive; "MB" is refused because it is ambiguous.  Returns 0,
 * or -1 with *ret untouched.
 */
int gs_parse_size(const char *s, uint64_t *ret);
/*
 * gs_parse_duration(s, ret): an integer and one unit s, m, h, d or w
 * ("90d", "12h", "30m", "45s", "2w"), or a bare "0"; the result is in
 * seconds.  Returns 0, or -1 with *ret untouched.
 */
int gs_parse_duration(const char *s, uint64_t *ret);
/*
 * gs_parse_percent(s, ret_ppm): "3%", "0.5%", "100%": an integer part, an
 * optional '.' with one to six decimals, and a mandatory '%'; the value
 * must lie in [0, 100] and be a whole number of parts per million (a
 * multiple of 0.0001%, so "0.00005%" is refused rather than rounded).  The
 * result is in parts per million of the whole (3% = 30000).  Returns 0, or
 * -1 with *ret_ppm untouched.
 */
int gs_parse_percent(const char *s, uint32_t *ret_ppm);
/* gs_parse_uint(s, max, ret): decimal integer in [0, max]. */
int gs_parse_uint(const char *s, uint64_t max, uint64_t *ret);
/* gs_parse_bool(s, ret): yes/no/true/false/on/off/1/0. */
int gs_parse_bool(const char *s, int *ret);
/* gs_parse_date(s, ret): "YYYY-MM-DD" (UTC midnight) -> unix seconds. */
int gs_parse_date(const char *s, int64_t *ret);

/* gs_now_ns(): CLOCK_REALTIME in ns; gs_mono_ns(): CLOCK_MONOTONIC. */
int64_t gs_now_ns(void);
int64_t gs_mono_ns(void);

/* gs_json_str(f, s): write s as a JSON string literal; bytes that are not
 * UTF-8 are written as \udcXX (Python's surrogateescape convention), control
 * characters (C0, DEL and the C1 range U+0080..U+009F) as \u00XX. */
void gs_json_str(FILE *f, const char *s);

/* gs_html_str(f, s): write s with & < > " ' as HTML character references
 * (for element text and quoted attribute values); other bytes as they are,
 * so quote strings a snapshot or a server supplies first (gs_quote). */
void gs_html_str(FILE *f, const char *s);

/*
 * gs_utf8_len(p): the length (1..4) of the well-formed UTF-8 sequence at p
 * (shortest form, no surrogates, at most U+10FFFF), or 0 if p does not start
 * one.  Never reads past a NUL: continuation bytes are not 0.
 */
size_t gs_utf8_len(const unsigned char *p);

/*
 * gs_quote(s, out, cap): s made safe for a terminal and a log line: a
 * backslash is written as two, and every byte of a control character (C0,
 * DEL, C1 as UTF-8 C2 80..C2 9F), of a bidirectional control, and every
 * byte that is not part of well-formed UTF-8 (a raw 0x80..0xff byte such as
 * 0x9b, CSI in ISO 8859) as a \ooo octal escape.  Printable UTF-8 is kept
 * as it is.  Truncated at a character boundary to fit cap; returns out.
 * For every string a snapshot or a server supplies (paths, host, owner and
 * group names) before a human sees it.
 */
char *gs_quote(const char *s, char *out, size_t cap);

/* gs_xxh128_hex(buf, len, out33): XXH3-128 of buf as xxh128sum prints it. */
void gs_xxh128_hex(const void *buf, size_t len, char out[33]);

#endif
