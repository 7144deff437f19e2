/*
 * json.c -- strings from outside made safe for output: JSON string
 * literals for --json, and quoting for terminals and log lines.
 */
#include <stdio.h>
#include <string.h>

#include "geosnap/util.h"

/*
 * gs_utf8_len(p): the length (1..4) of the well-formed UTF-8 sequence at p
 * (shortest form, no surrogates, at most U+10FFFF), or 0 if p does not start
 * one.  Never reads past a NUL: continuation bytes are not 0.
 */
size_t
gs_utf8_len(const unsigned char *p)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* gs_json_str(f, s): s as a JSON string literal. */
void
gs_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	while (*p != '\0') {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			p++;
			continue;
		case '\\':
			fputs("\\\\", f);
			p++;
			continue;
		case '\n':
			fputs("\\n", f);
			p++;
			continue;
		case '\t':
			fputs("\\t", f);
			p++;
			continue;
		case '\r':
			fputs("\\r", f);
			p++;
			continue;
		default:
			break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		if ((n = gs_utf8_len(p)) == 0) {
			fprintf(f, "\\udc%02x", *p);
			p++;
			continue;
		}
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			/* A C1 control (U+0080..U+009F): a terminal may act on it. */
			fprintf(f, "\\u%04x", p[1]);
			p += 2;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

/* gs_html_str(f, s): see util.h. */
void
gs_html_str(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/*
 * Length of the sequence at p that a terminal may act on, or that could
 * make a line read differently, and so is written as escapes: a C0 control
 * or DEL (1), a byte that does not start well-formed UTF-8 (1), a C1
 * control U+0080..U+009F (2: C2 80..C2 9F), a bidirectional control
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069).  0 for a
 * printable character, whose length *ret_n then holds.
 */
static size_t
unsafe_len(const unsigned char *p, size_t *ret_n)
{
	size_t n;

	*ret_n = 1;
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (*p < 0x80)
		return 0;
	if ((n = gs_utf8_len(p)) == 0)
		return 1;
	*ret_n = n;
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 2;
	if (n == 2 && p[0] == 0xd8 && p[1] == 0x9c)
		return 2; /* U+061C */
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae)))
		return 3; /* U+200E, U+200F, U+202A..U+202E */
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 3; /* U+2066..U+2069 */
	return 0;
}

/*
 * gs_quote(s, out, cap): s made safe for a terminal and a log line: a
 * backslash is written as two, and every byte of a control character (C0,
 * DEL, C1 as UTF-8 C2 80..C2 9F), of a bidirectional control, and every
 * byte that is not part of well-formed UTF-8 (a raw 0x80..0xff byte such as
 * 0x9b, CSI in ISO 8859) as a \ooo octal escape.  Printable UTF-8 is kept
 * as it is.  Truncated at a character boundary to fit cap; returns out.
 */
char *
gs_quote(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n, bad, i;

	if (cap == 0)
		return out;
	while (*p != '\0') {
		if (*p == '\\') {
			if (o + 3 > cap)
				break;
			out[o++] = '\\';
			out[o++] = '\\';
			p++;
		} else if ((bad = unsafe_len(p, &n)) > 0) {
			if (o + 4 * bad + 1 > cap)
				break;
			for (i = 0; i < bad; i++)
				o += (size_t)snprintf(out + o, cap - o, "\\%03o", p[i]);
			p += bad;
		} else {
			if (o + n + 1 > cap)
				break;
			memcpy(out + o, p, n);
			o += n;
			p += n;
		}
	}
	out[o] = '\0';
	return out;
}
