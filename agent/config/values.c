/*
 * values.c -- one parser per kind of value (enum kind): absolute paths,
 * names, URLs, fingerprints, sizes, durations, numbers, percentages,
 * booleans, dates, comma-separated lists and the cipher; each checks the
 * key's range and stores into the key's field, or records a message that
 * says what was expected.  Also the checks other modules use for names,
 * URLs (the grammar of gs_tp_url_parse) and pinned fingerprints.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "geosnap/transport.h"

/* fmt_size(buf, n, v): v in the largest binary unit that divides it. */
static void
fmt_size(char *buf, size_t n, uint64_t v)
{
	static const char units[] = "TGMK";
	unsigned shift = 40;
	size_t i;

	for (i = 0; i < 4; i++, shift -= 10) {
		if (v != 0 && v % ((uint64_t)1 << shift) == 0) {
			snprintf(buf, n, "%llu%c", (unsigned long long)(v >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, n, "%llu", (unsigned long long)v);
}

/* fmt_dur(buf, n, v): v seconds in the largest of d, h, m, s that divides it. */
static void
fmt_dur(char *buf, size_t n, uint64_t v)
{
	static const struct {
		uint64_t secs;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t i;

	if (v == 0) {
		snprintf(buf, n, "0");
		return;
	}
	for (i = 0; i < NELEM(units); i++) {
		if (v % units[i].secs == 0) {
			snprintf(buf, n, "%llu%c", (unsigned long long)(v / units[i].secs),
			         units[i].unit);
			return;
		}
	}
}

/*
 * gs_config_fmt_value(buf, n, kind, v): write v into buf (n bytes, always
 * terminated) as a value of kind would be written: sizes in the largest
 * binary unit that divides them (16M), durations in the largest of d, h,
 * m, s (90d), anything else in decimal.
 */
void
gs_config_fmt_value(char *buf, size_t n, enum kind kind, uint64_t v)
{
	if (kind == K_SIZE)
		fmt_size(buf, n, v);
	else if (kind == K_DUR)
		fmt_dur(buf, n, v);
	else
		snprintf(buf, n, "%llu", (unsigned long long)v);
}

/*
 * gs_config_store_num(p, size, v): store v into the integer field at p of
 * size bytes (4 or 8), truncating to 32 bits for a 4-byte field (callers
 * check the range first).
 */
void
gs_config_store_num(void *p, size_t size, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (size == sizeof(v32)) {
		memcpy(p, &v32, sizeof(v32));
	} else {
		assert(size == sizeof(v));
		memcpy(p, &v, sizeof(v));
	}
}

static int
strlist_has(const struct gs_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], s) == 0)
			return 1;
	}
	return 0;
}

/* strlist_add(l, s, len): append a copy of the len bytes at s; 0 or -1. */
static int
strlist_add(struct gs_strlist *l, const char *s, size_t len)
{
	char **nv, *d;

	if (l->n >= SIZE_MAX / sizeof(*nv) - 1)
		return -1;
	if ((d = strndup(s, len)) == NULL)
		return -1;
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		free(d);
		return -1;
	}
	nv[l->n++] = d;
	l->v = nv;
	return 0;
}

/* gs_valid_name(s): tenant and remote names are [A-Za-z0-9._-]{1,64}, not
 * starting with '.'.  Returns 1 when s is such a name, 0 otherwise (also
 * for NULL). */
int
gs_valid_name(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '.')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= NAME_MAX_LEN)
			return 0;
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	}
	return 1;
}

/*
 * gs_valid_url(s): a remote's url as the configuration accepts it,
 * sftp://[user@]host[:port]/path or file:///path, by the grammar of
 * gs_tp_url_parse() (transport.h), so that a url the configuration takes
 * is one the transport opens.  Returns 1 when valid, 0 otherwise.
 */
int
gs_valid_url(const char *s)
{
	struct gs_tp_url u;
	char err[200];

	if (gs_tp_url_parse(s, &u, err, sizeof(err)) != 0)
		return 0;
	gs_tp_url_clear(&u);
	return 1;
}

/* gs_valid_fingerprint(s): a pinned host key fingerprint, "SHA256:" and 43
 * base64 characters as ssh-keygen -l prints (a trailing '=' allowed).
 * Returns 1 when valid, 0 otherwise. */
int
gs_valid_fingerprint(const char *s)
{
	size_t i;

	if (strncmp(s, "SHA256:", 7) != 0)
		return 0;
	s += 7;
	for (i = 0; i < 43; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
			return 0;
	}
	return s[43] == '\0' || (s[43] == '=' && s[44] == '\0');
}

/*
 * set_list(st, k, value, l): add the comma-separated items of value to l,
 * blanks around items trimmed; K_REGIONS items must be valid names.
 */
static int
set_list(struct pstate *st, const struct key *k, const char *value, struct gs_strlist *l)
{
	const char *p = value, *b, *e;
	char item[NAME_MAX_LEN + 1];
	size_t i;

	for (;;) {
		size_t len;

		for (b = p; *b == ' ' || *b == '\t'; b++)
			;
		for (e = b; *e != '\0' && *e != ','; e++)
			;
		p = e;
		len = (size_t)(e - b);
		while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\t'))
			len--;
		if (len == 0)
			return gs_config_bad_value(st, k->name, value,
			                           "empty item in the comma-separated list");
		if (k->kind == K_REGIONS) {
			if (len > NAME_MAX_LEN)
				return gs_config_bad_value(
				    st, k->name, value,
				    "bad region name '%.*s', expected " NAME_RULE, (int)len, b);
			memcpy(item, b, len);
			item[len] = '\0';
			if (!gs_valid_name(item))
				return gs_config_bad_value(
				    st, k->name, value, "bad region name '%s', expected " NAME_RULE,
				    item);
		}
		for (i = 0; i < l->n; i++) {
			if (strlen(l->v[i]) == len && memcmp(l->v[i], b, len) == 0)
				return gs_config_bad_value(st, k->name, value,
				                           "'%.*s' is listed twice", (int)len, b);
		}
		if (strlist_add(l, b, len))
			return gs_config_fail(st, "out of memory");
		if (*p == '\0')
			return 1;
		p++;
	}
}

/*
 * gs_config_set_value(st, k, base, value): parse value (borrowed) as key k
 * wants and store it into the section struct at base; strings are copied.
 * Returns 1 when stored, 0 when refused (the message recorded in st with
 * gs_config_fail, naming the section and key), as an inih handler does.
 */
int
gs_config_set_value(struct pstate *st, const struct key *k, char *base, const char *value)
{
	void *field = base + k->off;
	char lo[32], hi[32];
	uint32_t ppm;
	int64_t date;
	uint64_t v;
	int b;

	switch (k->kind) {
	case K_PATH:
	case K_PATHS:
		if (value[0] != '/')
			return gs_config_bad_value(st, k->name, value, "must be an absolute path");
		if (k->kind == K_PATHS) {
			if (strlist_has(field, value))
				return gs_config_bad_value(st, k->name, value, "listed twice");
			if (strlist_add(field, value, strlen(value)))
				return gs_config_fail(st, "out of memory");
			return 1;
		}
		break;
	case K_NAME:
		if (!gs_valid_name(value))
			return gs_config_bad_value(st, k->name, value,
			                           "bad name, expected " NAME_RULE);
		break;
	case K_URL:
		if (!gs_valid_url(value))
			return gs_config_bad_value(
			    st, k->name, value,
			    "bad URL, expected sftp://[user@]host[:port]/path or "
			    "file:///path");
		break;
	case K_TEXT:
		for (const char *q = value; *q; q++) {
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				return gs_config_bad_value(st, k->name, value,
				                           "control characters are not allowed");
		}
		break;
	case K_FPR:
		if (!gs_valid_fingerprint(value))
			return gs_config_bad_value(
			    st, k->name, value,
			    "bad fingerprint, expected 'SHA256:' and 43 base64 "
			    "characters as ssh-keygen -l prints");
		break;
	case K_SIZE:
		if (gs_parse_size(value, &v))
			return gs_config_bad_value(
			    st, k->name, value,
			    "bad size, expected a whole number of bytes or one with a "
			    "unit K, M, G or T (e.g. 16M)");
		if (k->pow2 && (v & (v - 1)) != 0)
			return gs_config_bad_value(st, k->name, value, "must be a power of two");
		goto range;
	case K_DUR:
		if (gs_parse_duration(value, &v))
			return gs_config_bad_value(
			    st, k->name, value,
			    "bad duration, expected a whole number and a unit s, m, "
			    "h, d or w (e.g. 90d)");
		goto range;
	case K_UINT:
		if (gs_parse_uint(value, UINT64_MAX, &v))
			return gs_config_bad_value(
			    st, k->name, value,
			    "bad number, expected a non-negative decimal integer");
	range:
		if (v < k->min || v > k->max) {
			gs_config_fmt_value(lo, sizeof(lo), k->kind, k->min);
			gs_config_fmt_value(hi, sizeof(hi), k->kind, k->max);
			return gs_config_bad_value(st, k->name, value, "must be between %s and %s",
			                           lo, hi);
		}
		gs_config_store_num(field, k->size, v);
		return 1;
	case K_PCT:
		if (gs_parse_percent(value, &ppm))
			return gs_config_bad_value(
			    st, k->name, value,
			    "bad percentage, expected 0%% to 100%% in steps of "
			    "0.0001%% (e.g. 3%% or 0.5%%)");
		gs_config_store_num(field, k->size, ppm);
		return 1;
	case K_BOOL:
		if (gs_parse_bool(value, &b))
			return gs_config_bad_value(
			    st, k->name, value,
			    "bad boolean, expected yes/no, true/false, on/off or 1/0");
		gs_config_store_num(field, k->size, (uint64_t)b);
		return 1;
	case K_DATE:
		if (gs_parse_date(value, &date))
			return gs_config_bad_value(st, k->name, value,
			                           "bad date, expected a calendar day YYYY-MM-DD");
		gs_config_store_num(field, k->size, (uint64_t)date);
		return 1;
	case K_REGIONS:
	case K_GLOBS:
		return set_list(st, k, value, field);
	case K_CIPHER:
		if (strcmp(value, "auto") == 0)
			b = GS_CIPHER_AUTO;
		else if (strcmp(value, "aes256gcm") == 0)
			b = GS_CIPHER_AESGCM;
		else if (strcmp(value, "xchacha20poly1305") == 0)
			b = GS_CIPHER_XCHACHA;
		else
			return gs_config_bad_value(st, k->name, value,
			                           "expected auto, aes256gcm or xchacha20poly1305");
		gs_config_store_num(field, k->size, (uint64_t)b);
		return 1;
	}

	/* The string kinds. */
	assert(*(char **)field == NULL);
	if ((*(char **)field = strdup(value)) == NULL)
		return gs_config_fail(st, "out of memory");
	return 1;
}
