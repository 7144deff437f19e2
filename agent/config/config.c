/*
 * config.c -- the INI configuration of CLI.md, read with inih.
 *
 * inih (Debian's v55, built with 200-byte lines and 50-byte section names,
 * inline ';' comments and multi-line values) is driven through
 * ini_parse_stream() with our own line reader, because on its own it is too
 * forgiving for a backup agent's configuration:
 *  - a line longer than its buffer is silently cut in two and the rest is
 *    parsed as a line of its own; the reader refuses the line instead;
 *  - the section name is truncated at 49 bytes, too short for a 64-byte
 *    tenant name, empty sections never reach the handler, and the handler
 *    gets no line number; the reader counts lines and parses section headers
 *    itself, so the handler ignores inih's section argument;
 *  - an indented line after a key is appended to that key as a second value;
 *    the reader refuses continuation lines.
 * The reader also stops the parse at the first error by reporting end of
 * file, so exactly one message is printed.  No inih global is changed.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "geosnap/chunker.h"
#include "geosnap/config.h"
#include "geosnap/util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define KIB ((uint64_t)1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define DAY ((uint64_t)86400)

#define NAME_MAX_LEN 64
#define MAX_KEYS 16 /* most keys of any section */
#define SECTION_FORMS "[agent], [policy], [remote \"NAME\"] or [tenant \"NAME\"]"
#define NAME_RULE "1-64 characters of A-Z a-z 0-9 . _ - not starting with '.'"

/* How a value is parsed and stored. */
enum kind {
	K_PATH,    /* absolute path; char * */
	K_NAME,    /* gs_valid_name(); char * */
	K_URL,     /* sftp:// or file:/// URL; char * */
	K_FPR,     /* "SHA256:" host key fingerprint; char * */
	K_SIZE,    /* gs_parse_size() in [min, max]; integer field */
	K_DUR,     /* gs_parse_duration() in [min, max]; integer field */
	K_UINT,    /* gs_parse_uint() in [min, max]; integer field */
	K_PCT,     /* gs_parse_percent(); uint32_t ppm */
	K_BOOL,    /* gs_parse_bool(); int */
	K_DATE,    /* gs_parse_date(); int64_t */
	K_REGIONS, /* comma-separated names, once; struct gs_strlist */
	K_PATHS,   /* absolute path, repeatable; struct gs_strlist */
	K_GLOBS,   /* comma-separated patterns, repeatable; struct gs_strlist */
	K_CIPHER,  /* auto, aes256gcm or xchacha20poly1305; int (GS_CIPHER_*) */
};

struct key {
	const char *name;
	enum kind kind;
	size_t off;   /* offset of the field in the section's struct */
	size_t size;  /* size of the field (integer fields are 4 or 8 bytes) */
	uint64_t min; /* range of K_SIZE, K_DUR and K_UINT */
	uint64_t max;
	int pow2;     /* K_SIZE: must be a power of two */
	int required; /* REQ_*: must be set in every section of this kind */
};

/* When a key must be set. */
enum {
	REQ_NO = 0,
	REQ_ALWAYS = 1, /* by both programs */
	REQ_AGENT = 2,  /* only geosnap-agent uses it: optional with GS_CONFIG_FOR_RESTORE */
};

#define AT(type, field)                                                                            \
	.off = offsetof(struct type, field), .size = sizeof(((struct type *)0)->field)

static const struct key agent_keys[] = {
    {.name = "host", .kind = K_NAME, AT(gs_config, host)},
    {.name = "region", .kind = K_NAME, AT(gs_config, region)},
    {.name = "repository", .kind = K_PATH, AT(gs_config, repository), .required = REQ_AGENT},
    {.name = "state_dir", .kind = K_PATH, AT(gs_config, state_dir), .required = REQ_AGENT},
    {.name = "audit_log", .kind = K_PATH, AT(gs_config, audit_log)},
    {.name = "audit_key", .kind = K_PATH, AT(gs_config, audit_key)},
    {.name = "metrics_file", .kind = K_PATH, AT(gs_config, metrics_file)},
    {.name = "chunk_min",
     .kind = K_SIZE,
     AT(gs_config, chunk_min),
     .min = GS_CHUNK_MIN_LIMIT,
     .max = GS_CHUNK_MAX_LIMIT},
    {.name = "chunk_avg",
     .kind = K_SIZE,
     AT(gs_config, chunk_avg),
     .min = GS_CHUNK_MIN_LIMIT,
     .max = GS_CHUNK_MAX_LIMIT,
     .pow2 = 1},
    {.name = "chunk_max",
     .kind = K_SIZE,
     AT(gs_config, chunk_max),
     .min = GS_CHUNK_MIN_LIMIT,
     .max = GS_CHUNK_MAX_LIMIT},
    {.name = "pack_size", .kind = K_SIZE, AT(gs_config, pack_size), .min = MIB, .max = GIB},
    {.name = "compression", .kind = K_UINT, AT(gs_config, compression_level), .min = 1, .max = 19},
    {.name = "threads", .kind = K_UINT, AT(gs_config, threads), .min = 1, .max = 64},
    {.name = "cipher", .kind = K_CIPHER, AT(gs_config, cipher)},
};

static const struct key policy_keys[] = {
    {.name = "allowed_regions", .kind = K_REGIONS, AT(gs_policy_conf, allowed_regions)},
    {.name = "keep_daily", .kind = K_UINT, AT(gs_policy_conf, keep_daily), .max = UINT_MAX},
    {.name = "keep_weekly", .kind = K_UINT, AT(gs_policy_conf, keep_weekly), .max = UINT_MAX},
    {.name = "keep_monthly", .kind = K_UINT, AT(gs_policy_conf, keep_monthly), .max = UINT_MAX},
    {.name = "max_age", .kind = K_DUR, AT(gs_policy_conf, max_age_s), .max = UINT64_MAX},
    {.name = "verify_sample", .kind = K_PCT, AT(gs_policy_conf, verify_sample_ppm)},
    {.name = "offboard_grace",
     .kind = K_DUR,
     AT(gs_policy_conf, offboard_grace_s),
     .max = UINT64_MAX},
    {.name = "erasure_deadline",
     .kind = K_DUR,
     AT(gs_policy_conf, erasure_deadline_s),
     .max = UINT64_MAX},
};

static const struct key remote_keys[] = {
    {.name = "url", .kind = K_URL, AT(gs_remote_conf, url), .required = REQ_ALWAYS},
    {.name = "identity", .kind = K_PATH, AT(gs_remote_conf, identity)},
    {.name = "known_hosts", .kind = K_PATH, AT(gs_remote_conf, known_hosts)},
    {.name = "fingerprint", .kind = K_FPR, AT(gs_remote_conf, fingerprint)},
    {.name = "region", .kind = K_NAME, AT(gs_remote_conf, region), .required = REQ_AGENT},
    {.name = "connections", .kind = K_UINT, AT(gs_remote_conf, connections), .min = 1, .max = 16},
    {.name = "bandwidth_limit",
     .kind = K_SIZE,
     AT(gs_remote_conf, bandwidth_limit),
     .max = UINT64_MAX},
    {.name = "timeout", .kind = K_DUR, AT(gs_remote_conf, timeout_s), .min = 1, .max = DAY},
};

static const struct key tenant_keys[] = {
    {.name = "source", .kind = K_PATHS, AT(gs_tenant_conf, sources), .required = REQ_AGENT},
    {.name = "exclude", .kind = K_GLOBS, AT(gs_tenant_conf, excludes)},
    {.name = "write_key", .kind = K_PATH, AT(gs_tenant_conf, write_key), .required = REQ_AGENT},
    {.name = "read_key", .kind = K_PATH, AT(gs_tenant_conf, read_key)},
    {.name = "allowed_regions", .kind = K_REGIONS, AT(gs_tenant_conf, allowed_regions)},
    {.name = "offboarded", .kind = K_DATE, AT(gs_tenant_conf, offboarded)},
    {.name = "one_file_system", .kind = K_BOOL, AT(gs_tenant_conf, one_file_system)},
};

_Static_assert(NELEM(agent_keys) <= MAX_KEYS && NELEM(policy_keys) <= MAX_KEYS &&
                   NELEM(remote_keys) <= MAX_KEYS && NELEM(tenant_keys) <= MAX_KEYS,
               "MAX_KEYS too small");

enum sect { S_NONE, S_AGENT, S_POLICY, S_REMOTE, S_TENANT };

static const struct sect_def {
	const struct key *keys;
	size_t nkeys;
} sect_defs[] = {
    [S_NONE] = {NULL, 0},
    [S_AGENT] = {agent_keys, NELEM(agent_keys)},
    [S_POLICY] = {policy_keys, NELEM(policy_keys)},
    [S_REMOTE] = {remote_keys, NELEM(remote_keys)},
    [S_TENANT] = {tenant_keys, NELEM(tenant_keys)},
};

/* Parse state shared by the line reader and the key handler. */
struct pstate {
	const char *path;
	int flags; /* GS_CONFIG_* */
	FILE *f;
	struct gs_config *c;
	int lineno;     /* lines handed to inih so far = line being handled */
	int key_seen;   /* a key line since the section header */
	enum sect sect; /* current section */
	size_t idx;     /* index of the current remote or tenant */
	char label[96]; /* "[tenant \"acme\"]", for messages */
	int *lines;     /* line of each key of the current section, 0 = unset */
	int agent_line, policy_line;
	int agent_lines[MAX_KEYS];
	int policy_lines[MAX_KEYS];
	int item_lines[MAX_KEYS];
	int failed; /* an error is recorded; the reader reports EOF */
	int err_line;
	int read_errno;
	char err[768]; /* message without the "PATH:LINE: " prefix */
};

static int fail(struct pstate *st, const char *fmt, ...) GS_PRINTF(2, 3);
static int bad_value(struct pstate *st, const char *name, const char *value, const char *fmt, ...)
    GS_PRINTF(4, 5);

/*
 * fail(st, fmt, ...): record the first error of the parse at the current
 * line.  Returns 0, the "error" value of an inih handler.
 */
static int
fail(struct pstate *st, const char *fmt, ...)
{
	va_list ap;

	if (st->failed)
		return 0;
	st->failed = 1;
	st->err_line = st->lineno;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return 0;
}

/* bad_value(st, name, value, fmt, ...): "[section] key 'NAME': WHAT (got 'VALUE')". */
static int
bad_value(struct pstate *st, const char *name, const char *value, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(st, "%s key '%s': %s (got '%s')", st->label, name, what, value);
}

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

/* fmt_value(buf, n, kind, v): v as a value of kind would be written. */
static void
fmt_value(char *buf, size_t n, enum kind kind, uint64_t v)
{
	if (kind == K_SIZE)
		fmt_size(buf, n, v);
	else if (kind == K_DUR)
		fmt_dur(buf, n, v);
	else
		snprintf(buf, n, "%llu", (unsigned long long)v);
}

/* store_num(p, size, v): store v into an integer field of size bytes. */
static void
store_num(void *p, size_t size, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (size == sizeof(v32)) {
		memcpy(p, &v32, sizeof(v32));
	} else {
		assert(size == sizeof(v));
		memcpy(p, &v, sizeof(v));
	}
}

static void
strlist_free(struct gs_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
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

/*
 * gs_valid_name(s): tenant and remote names are [A-Za-z0-9._-]{1,64}, not
 * starting with '.'.  Returns 1 when valid.
 */
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
 * gs_valid_url(s): sftp://[user@]host[:port]/path or file:///path, without
 * blanks.  The transport parses the details; this only catches typos early.
 * Returns 1 when valid.
 */
int
gs_valid_url(const char *s)
{
	const char *auth, *slash, *host, *colon, *p;
	unsigned long port = 0;

	for (p = s; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	}
	if (strncmp(s, "file:///", 8) == 0)
		return s[8] != '\0';
	if (strncmp(s, "sftp://", 7) != 0)
		return 0;
	auth = s + 7;
	if ((slash = strchr(auth, '/')) == NULL || slash == auth || slash[1] == '\0')
		return 0;
	host = auth;
	for (p = auth; p < slash; p++) {
		if (*p == '@')
			host = p + 1;
	}
	if (host == slash || (host > auth && host - 1 == auth))
		return 0;
	/* The port follows the last ':' unless that is inside [IPv6]. */
	colon = NULL;
	for (p = host; p < slash; p++) {
		if (*p == ':')
			colon = p;
		else if (*p == ']')
			colon = NULL;
	}
	if (colon == NULL)
		return 1;
	if (colon == host || colon + 1 == slash)
		return 0;
	for (p = colon + 1; p < slash; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535)
			return 0;
	}
	return port != 0;
}

/* gs_valid_fingerprint(s): "SHA256:" and 43 base64 characters, as
 * ssh-keygen -l prints (a trailing '=' allowed).  Returns 1 when valid. */
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
			return bad_value(st, k->name, value,
			                 "empty item in the comma-separated list");
		if (k->kind == K_REGIONS) {
			if (len > NAME_MAX_LEN)
				return bad_value(st, k->name, value,
				                 "bad region name '%.*s', expected " NAME_RULE,
				                 (int)len, b);
			memcpy(item, b, len);
			item[len] = '\0';
			if (!gs_valid_name(item))
				return bad_value(st, k->name, value,
				                 "bad region name '%s', expected " NAME_RULE, item);
		}
		for (i = 0; i < l->n; i++) {
			if (strlen(l->v[i]) == len && memcmp(l->v[i], b, len) == 0)
				return bad_value(st, k->name, value, "'%.*s' is listed twice",
				                 (int)len, b);
		}
		if (strlist_add(l, b, len))
			return fail(st, "out of memory");
		if (*p == '\0')
			return 1;
		p++;
	}
}

/* set_value(st, k, base, value): parse value for key k into the section at base. */
static int
set_value(struct pstate *st, const struct key *k, char *base, const char *value)
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
			return bad_value(st, k->name, value, "must be an absolute path");
		if (k->kind == K_PATHS) {
			if (strlist_has(field, value))
				return bad_value(st, k->name, value, "listed twice");
			if (strlist_add(field, value, strlen(value)))
				return fail(st, "out of memory");
			return 1;
		}
		break;
	case K_NAME:
		if (!gs_valid_name(value))
			return bad_value(st, k->name, value, "bad name, expected " NAME_RULE);
		break;
	case K_URL:
		if (!gs_valid_url(value))
			return bad_value(st, k->name, value,
			                 "bad URL, expected sftp://[user@]host[:port]/path or "
			                 "file:///path");
		break;
	case K_FPR:
		if (!gs_valid_fingerprint(value))
			return bad_value(st, k->name, value,
			                 "bad fingerprint, expected 'SHA256:' and 43 base64 "
			                 "characters as ssh-keygen -l prints");
		break;
	case K_SIZE:
		if (gs_parse_size(value, &v))
			return bad_value(st, k->name, value,
			                 "bad size, expected a whole number of bytes or one with a "
			                 "unit K, M, G or T (e.g. 16M)");
		if (k->pow2 && (v & (v - 1)) != 0)
			return bad_value(st, k->name, value, "must be a power of two");
		goto range;
	case K_DUR:
		if (gs_parse_duration(value, &v))
			return bad_value(st, k->name, value,
			                 "bad duration, expected a whole number and a unit s, m, "
			                 "h, d or w (e.g. 90d)");
		goto range;
	case K_UINT:
		if (gs_parse_uint(value, UINT64_MAX, &v))
			return bad_value(st, k->name, value,
			                 "bad number, expected a non-negative decimal integer");
	range:
		if (v < k->min || v > k->max) {
			fmt_value(lo, sizeof(lo), k->kind, k->min);
			fmt_value(hi, sizeof(hi), k->kind, k->max);
			return bad_value(st, k->name, value, "must be between %s and %s", lo, hi);
		}
		store_num(field, k->size, v);
		return 1;
	case K_PCT:
		if (gs_parse_percent(value, &ppm))
			return bad_value(st, k->name, value,
			                 "bad percentage, expected 0%% to 100%% in steps of "
			                 "0.0001%% (e.g. 3%% or 0.5%%)");
		store_num(field, k->size, ppm);
		return 1;
	case K_BOOL:
		if (gs_parse_bool(value, &b))
			return bad_value(st, k->name, value,
			                 "bad boolean, expected yes/no, true/false, on/off or 1/0");
		store_num(field, k->size, (uint64_t)b);
		return 1;
	case K_DATE:
		if (gs_parse_date(value, &date))
			return bad_value(st, k->name, value,
			                 "bad date, expected a calendar day YYYY-MM-DD");
		store_num(field, k->size, (uint64_t)date);
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
			return bad_value(st, k->name, value,
			                 "expected auto, aes256gcm or xchacha20poly1305");
		store_num(field, k->size, (uint64_t)b);
		return 1;
	}

	/* The string kinds. */
	assert(*(char **)field == NULL);
	if ((*(char **)field = strdup(value)) == NULL)
		return fail(st, "out of memory");
	return 1;
}

/* sect_base(st): the struct that holds the keys of the current section. */
static char *
sect_base(struct pstate *st)
{
	switch (st->sect) {
	case S_AGENT:
		return (char *)st->c;
	case S_POLICY:
		return (char *)&st->c->policy;
	case S_REMOTE:
		return (char *)&st->c->remotes[st->idx];
	case S_TENANT:
		return (char *)&st->c->tenants[st->idx];
	case S_NONE:
		break;
	}
	return NULL;
}

/*
 * handler(user, section, name, value): inih's callback for each key line.
 * The section is the reader's (see the top of the file), not inih's.
 */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct pstate *st = user;
	const struct sect_def *sd = &sect_defs[st->sect];
	size_t i;

	(void)section;
	if (st->failed)
		return 0;
	if (st->sect == S_NONE)
		return fail(st,
		            "key '%s': not inside a section, expected " SECTION_FORMS
		            " first (got '%s')",
		            name, value);
	for (i = 0; i < sd->nkeys; i++) {
		if (strcmp(sd->keys[i].name, name) == 0)
			break;
	}
	if (i == sd->nkeys)
		return bad_value(st, name, value, "unknown key");
	if (st->lines[i] != 0 && sd->keys[i].kind != K_PATHS && sd->keys[i].kind != K_GLOBS)
		return bad_value(st, name, value, "set twice, first on line %d", st->lines[i]);
	if (st->lines[i] == 0)
		st->lines[i] = st->lineno;
	if (value[0] == '\0')
		return bad_value(st, name, value, "empty value");
	return set_value(st, &sd->keys[i], sect_base(st), value);
}

/* grow(arr, n, size): arr resized for n + 1 elements of size, or NULL. */
static void *
grow(void *arr, size_t n, size_t size)
{
	if (n >= SIZE_MAX / size - 1)
		return NULL;
	return realloc(arr, (n + 1) * size);
}

/* begin_section(st, kind, name): start [agent], [policy] or a named section. */
static int
begin_section(struct pstate *st, enum sect kind, const char *name)
{
	struct gs_config *c = st->c;
	struct gs_remote_conf *r;
	struct gs_tenant_conf *t;
	size_t i;
	int *first = NULL;

	if (kind == S_AGENT || kind == S_POLICY) {
		snprintf(st->label, sizeof(st->label), "[%s]",
		         kind == S_AGENT ? "agent" : "policy");
		first = kind == S_AGENT ? &st->agent_line : &st->policy_line;
		if (*first)
			return fail(st, "%s: duplicate section, first on line %d", st->label,
			            *first);
		*first = st->lineno;
		st->lines = kind == S_AGENT ? st->agent_lines : st->policy_lines;
		goto done;
	}

	snprintf(st->label, sizeof(st->label), "[%s \"%s\"]",
	         kind == S_REMOTE ? "remote" : "tenant", name);
	if (kind == S_REMOTE) {
		if (strcmp(name, "local") == 0)
			return fail(st,
			            "%s: the remote name 'local' is reserved for the local "
			            "repository",
			            st->label);
		for (i = 0; i < c->nremotes; i++) {
			if (strcmp(c->remotes[i].name, name) == 0)
				return fail(st, "%s: duplicate section, first on line %d",
				            st->label, c->remotes[i].line);
		}
		if ((r = grow(c->remotes, c->nremotes, sizeof(*r))) == NULL)
			return fail(st, "out of memory");
		c->remotes = r;
		r += c->nremotes;
		memset(r, 0, sizeof(*r));
		if ((r->name = strdup(name)) == NULL)
			return fail(st, "out of memory");
		r->connections = 2;
		r->timeout_s = 30;
		r->line = st->lineno;
		st->idx = c->nremotes++;
	} else {
		for (i = 0; i < c->ntenants; i++) {
			if (strcmp(c->tenants[i].name, name) == 0)
				return fail(st, "%s: duplicate section, first on line %d",
				            st->label, c->tenants[i].line);
		}
		if ((t = grow(c->tenants, c->ntenants, sizeof(*t))) == NULL)
			return fail(st, "out of memory");
		c->tenants = t;
		t += c->ntenants;
		memset(t, 0, sizeof(*t));
		if ((t->name = strdup(name)) == NULL)
			return fail(st, "out of memory");
		t->offboarded = -1;
		t->one_file_system = 1;
		t->line = st->lineno;
		st->idx = c->ntenants++;
	}
	memset(st->item_lines, 0, sizeof(st->item_lines));
	st->lines = st->item_lines;
done:
	st->sect = kind;
	st->key_seen = 0;
	return 1;
}

/*
 * section_line(st, line, p): parse the header at p (the '[' of line):
 * "[agent]", "[policy]", "[remote \"NAME\"]" or "[tenant \"NAME\"]", blanks
 * allowed inside the brackets, and only a comment after them.
 */
static int
section_line(struct pstate *st, const char *line, const char *p)
{
	const char *q, *r, *in, *end, *name = NULL;
	char nbuf[NAME_MAX_LEN + 1];
	enum sect kind = S_NONE;
	size_t len;

	len = strlen(line);
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	if ((q = strchr(p + 1, ']')) == NULL)
		goto bad_header;
	for (r = q + 1; isspace((unsigned char)*r); r++)
		;
	if (*r != '\0' && *r != ';' && *r != '#')
		goto bad_header;
	for (in = p + 1; in < q && isspace((unsigned char)*in); in++)
		;
	for (end = q; end > in && isspace((unsigned char)end[-1]); end--)
		;

	if (end - in == 5 && memcmp(in, "agent", 5) == 0)
		return begin_section(st, S_AGENT, NULL);
	if (end - in == 6 && memcmp(in, "policy", 6) == 0)
		return begin_section(st, S_POLICY, NULL);
	if (end - in > 6 && (memcmp(in, "remote", 6) == 0 || memcmp(in, "tenant", 6) == 0) &&
	    isspace((unsigned char)in[6])) {
		kind = in[0] == 'r' ? S_REMOTE : S_TENANT;
		for (name = in + 6; isspace((unsigned char)*name); name++)
			;
		if (end - name < 2 || name[0] != '"' || end[-1] != '"')
			return fail(st,
			            "[%.*s]: expected [%s \"NAME\"] with the name in double quotes",
			            (int)(end - in), in, kind == S_REMOTE ? "remote" : "tenant");
		name++;
		len = (size_t)(end - 1 - name);
		if (len > NAME_MAX_LEN || memchr(name, '"', len) != NULL)
			goto bad_name;
		memcpy(nbuf, name, len);
		nbuf[len] = '\0';
		if (!gs_valid_name(nbuf))
			goto bad_name;
		return begin_section(st, kind, nbuf);
	}
	return fail(st, "[%.*s]: unknown section, expected " SECTION_FORMS, (int)(end - in), in);

bad_name:
	return fail(st, "[%.*s]: bad %s name, expected " NAME_RULE " (got '%.*s')", (int)(end - in),
	            in, kind == S_REMOTE ? "remote" : "tenant", (int)(end - 1 - name), name);
bad_header:
	return fail(st, "bad section header, expected " SECTION_FORMS " (got '%.*s')",
	            (int)(line + len - p), p);
}

/* has_separator(p): inih would find '=' or ':' before any inline comment. */
static int
has_separator(const char *p)
{
	int was_space = 0;

	for (; *p != '\0'; p++) {
		if (*p == '=' || *p == ':')
			return 1;
		if (was_space && *p == ';')
			return 0;
		was_space = isspace((unsigned char)*p);
	}
	return 0;
}

/*
 * reader(str, num, stream): inih's fgets-style line source.  Reads one line
 * of at most num - 2 characters and its newline into str, checks it (see the
 * top of the file) and returns str, or NULL at end of file and after any
 * error, which stops inih.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct pstate *st = stream;
	size_t n = 0, len;
	const char *p;
	int ch;

	if (st->failed || num < 3)
		return NULL;
	if ((ch = getc(st->f)) == EOF) {
		if (ferror(st->f)) {
			st->read_errno = errno;
			st->failed = 1;
		}
		return NULL;
	}
	st->lineno++;
	for (; ch != EOF; ch = getc(st->f)) {
		if (ch == '\n') {
			str[n++] = '\n';
			break;
		}
		if (ch == '\0') {
			fail(st, "NUL byte in line");
			return NULL;
		}
		if (n >= (size_t)num - 2) {
			fail(st, "line longer than %d characters", num - 2);
			return NULL;
		}
		str[n++] = (char)ch;
	}
	if (ch == EOF && ferror(st->f)) {
		st->read_errno = errno;
		st->failed = 1;
		return NULL;
	}
	str[n] = '\0';

	/* A UTF-8 byte order mark is allowed on the first line (as inih does). */
	if (st->lineno == 1 && strncmp(str, "\xEF\xBB\xBF", 3) == 0)
		memmove(str, str + 3, n - 3 + 1);

	for (p = str; isspace((unsigned char)*p); p++)
		;
	len = strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	if (*p == '\0' || *p == ';' || *p == '#')
		return str;
	if (p > str && st->key_seen) {
		fail(st,
		     "indented line after a key; continuation lines are not supported "
		     "(got '%.*s')",
		     (int)len, p);
		return NULL;
	}
	if (*p == '[')
		return section_line(st, str, p) ? str : NULL;
	if (!has_separator(p)) {
		fail(st, "expected '[section]' or 'key = value' (got '%.*s')", (int)len, p);
		return NULL;
	}
	st->key_seen = 1;
	return str;
}

/* key_line(st, lines, sd, name): line where key name was set, 0 if unset. */
static int
key_line(const int *lines, const struct sect_def *sd, const char *name)
{
	size_t i;

	for (i = 0; i < sd->nkeys; i++) {
		if (strcmp(sd->keys[i].name, name) == 0)
			return lines[i];
	}
	assert(0);
	return 0;
}

/*
 * check_order(st, kind, lines, a, av, b, bv, strict): require av < bv
 * (strict) or av <= bv among two keys of one singleton section, blaming
 * the key set later in the file.  0 or -1 (warned).
 */
static int
check_order(struct pstate *st, enum sect kind, const char *a, uint64_t av, const char *b,
            uint64_t bv, int strict)
{
	const struct sect_def *sd = &sect_defs[kind];
	const int *lines = kind == S_AGENT ? st->agent_lines : st->policy_lines;
	const char *label = kind == S_AGENT ? "[agent]" : "[policy]";
	enum kind vk = sd->keys[0].kind;
	char as[32], bs[32];
	int la, lb;
	size_t i;

	if (strict ? av < bv : av <= bv)
		return 0;
	for (i = 0; i < sd->nkeys; i++) {
		if (strcmp(sd->keys[i].name, a) == 0)
			vk = sd->keys[i].kind;
	}
	fmt_value(as, sizeof(as), vk, av);
	fmt_value(bs, sizeof(bs), vk, bv);
	la = key_line(lines, sd, a);
	lb = key_line(lines, sd, b);
	if (lb >= la)
		gs_warn("%s:%d: %s key '%s': must be %s %s (%s) (got '%s')", st->path, lb, label, b,
		        strict ? "greater than" : "at least", a, as, bs);
	else
		gs_warn("%s:%d: %s key '%s': must be %s %s (%s) (got '%s')", st->path, la, label, a,
		        strict ? "less than" : "at most", b, bs, as);
	return -1;
}

/* check_required(st, kind, base, line, label): warn the first required key not set. */
static int
check_required(struct pstate *st, enum sect kind, const char *base, int line, const char *label)
{
	const struct sect_def *sd = &sect_defs[kind];
	size_t i;
	int unset;

	for (i = 0; i < sd->nkeys; i++) {
		const struct key *k = &sd->keys[i];

		if (k->required == REQ_NO ||
		    (k->required == REQ_AGENT && (st->flags & GS_CONFIG_FOR_RESTORE)))
			continue;
		if (k->kind == K_PATHS || k->kind == K_GLOBS || k->kind == K_REGIONS)
			unset = ((const struct gs_strlist *)(base + k->off))->n == 0;
		else
			unset = *(char *const *)(base + k->off) == NULL;
		if (unset) {
			gs_warn("%s:%d: %s missing required key '%s'", st->path, line, label,
			        k->name);
			return -1;
		}
	}
	return 0;
}

/* finish(st): required keys, rules between keys, and computed defaults. */
static int
finish(struct pstate *st)
{
	struct gs_config *c = st->c;
	int for_restore = (st->flags & GS_CONFIG_FOR_RESTORE) != 0;
	char label[96];
	size_t i;

	if (st->agent_line == 0 && !for_restore) {
		gs_warn("%s: missing required section [agent]", st->path);
		return -1;
	}
	if (check_required(st, S_AGENT, (const char *)c, st->agent_line, "[agent]"))
		return -1;
	for (i = 0; i < c->nremotes; i++) {
		snprintf(label, sizeof(label), "[remote \"%s\"]", c->remotes[i].name);
		if (check_required(st, S_REMOTE, (const char *)&c->remotes[i], c->remotes[i].line,
		                   label))
			return -1;
	}
	for (i = 0; i < c->ntenants; i++) {
		snprintf(label, sizeof(label), "[tenant \"%s\"]", c->tenants[i].name);
		if (check_required(st, S_TENANT, (const char *)&c->tenants[i], c->tenants[i].line,
		                   label))
			return -1;
	}

	if (check_order(st, S_AGENT, "chunk_min", c->chunk_min, "chunk_avg", c->chunk_avg, 1) ||
	    check_order(st, S_AGENT, "chunk_avg", c->chunk_avg, "chunk_max", c->chunk_max, 1))
		return -1;
	if (check_order(st, S_POLICY, "offboard_grace", c->policy.offboard_grace_s,
	                "erasure_deadline", c->policy.erasure_deadline_s, 0))
		return -1;

	/* geosnap-restore does not name this host anywhere: a bare restore
	 * host's name need not be one of ours. */
	if (c->host == NULL && !for_restore) {
		char host[256];

		if (gethostname(host, sizeof(host)) != 0) {
			gs_warnp("%s: [agent] key 'host' is not set and gethostname failed",
			         st->path);
			return -1;
		}
		host[sizeof(host) - 1] = '\0';
		if (!gs_valid_name(host)) {
			gs_warn("%s: [agent] key 'host' is not set and the host name '%s' is not "
			        "usable, expected " NAME_RULE,
			        st->path, host);
			return -1;
		}
		if ((c->host = strdup(host)) == NULL) {
			gs_warnp("%s: strdup", st->path);
			return -1;
		}
	}
	return 0;
}

/* config_new(path): a config holding a copy of path and the defaults. */
static struct gs_config *
config_new(const char *path)
{
	struct gs_config *c;
	long ncpu;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto err0;
	if ((c->path = strdup(path)) == NULL)
		goto err1;
	c->chunk_min = 256 * KIB;
	c->chunk_avg = MIB;
	c->chunk_max = 4 * MIB;
	c->pack_size = 32 * MIB;
	c->compression_level = 3;
	c->cipher = GS_CIPHER_AUTO;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c->threads = ncpu < 2 ? 2 : ncpu > 64 ? 64 : (unsigned)ncpu;
	c->policy.keep_daily = 7;
	c->policy.keep_weekly = 4;
	c->policy.keep_monthly = 12;
	c->policy.max_age_s = 0;
	c->policy.verify_sample_ppm = 30000;
	c->policy.offboard_grace_s = 14 * DAY;
	c->policy.erasure_deadline_s = 90 * DAY;
	return c;

err1:
	free(c);
err0:
	gs_warnp("%s: cannot allocate the configuration", path);
	return NULL;
}

/* load(path, f, flags): parse the stream f, named path in messages, with
 * the GS_CONFIG_* flags; the config, or NULL (warned). */
static struct gs_config *
load(const char *path, FILE *f, int flags)
{
	struct pstate st;
	struct gs_config *c;
	int r;

	memset(&st, 0, sizeof(st));
	st.path = path;
	st.flags = flags;
	st.f = f;
	if ((c = config_new(path)) == NULL)
		return NULL;
	st.c = c;

	r = ini_parse_stream(reader, &st, handler, &st);
	if (st.read_errno != 0) {
		errno = st.read_errno;
		gs_warnp("%s: cannot read", path);
		goto err;
	}
	if (r == -2) {
		gs_warn("%s: out of memory", path);
		goto err;
	}
	if (r > 0 && (!st.failed || st.err_line != r)) {
		/* inih refused a line the reader let through; should not happen. */
		gs_warn("%s:%d: syntax error", path, r);
		goto err;
	}
	if (r != 0 || st.failed) {
		gs_warn("%s:%d: %s", path, r > 0 ? r : st.err_line, st.err);
		goto err;
	}
	if (finish(&st))
		goto err;
	return c;

err:
	gs_config_free(c);
	return NULL;
}

/*
 * gs_config_load(path): parse the configuration file at path for
 * geosnap-agent.  Returns a new config or NULL; every error is warned
 * naming path, line and key.  Required: the [agent] section with
 * repository and state_dir; each remote needs url and region, each tenant
 * source and write_key.  Missing optional values get the defaults
 * documented in config.h.
 */
struct gs_config *
gs_config_load(const char *path)
{
	return gs_config_load_flags(path, 0);
}

/*
 * gs_config_load_flags(path, flags): gs_config_load() with GS_CONFIG_*
 * flags.  With GS_CONFIG_FOR_RESTORE the keys only geosnap-agent uses are
 * optional (the [agent] section itself, repository, state_dir, a remote's
 * region, a tenant's source and write_key; host gets no default); every
 * key that is present is still checked as for the agent, and a remote
 * still needs its url.
 */
struct gs_config *
gs_config_load_flags(const char *path, int flags)
{
	struct gs_config *c;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		gs_warnp("%s: cannot open", path);
		return NULL;
	}
	c = load(path, f, flags);
	fclose(f);
	return c;
}

/*
 * gs_config_parse(name, buf, len): like gs_config_load() on the len bytes
 * at buf (borrowed), named name in messages.
 */
struct gs_config *
gs_config_parse(const char *name, const uint8_t *buf, size_t len)
{
	struct gs_config *c;
	FILE *f;

	if ((f = fmemopen((void *)buf, len, "r")) == NULL) {
		gs_warnp("%s: cannot open", name);
		return NULL;
	}
	c = load(name, f, 0);
	fclose(f);
	return c;
}

/* gs_config_free(c): free c (NULL accepted). */
void
gs_config_free(struct gs_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->host);
	free(c->region);
	free(c->repository);
	free(c->state_dir);
	free(c->audit_log);
	free(c->audit_key);
	free(c->metrics_file);
	strlist_free(&c->policy.allowed_regions);
	for (i = 0; i < c->nremotes; i++) {
		free(c->remotes[i].name);
		free(c->remotes[i].url);
		free(c->remotes[i].identity);
		free(c->remotes[i].known_hosts);
		free(c->remotes[i].fingerprint);
		free(c->remotes[i].region);
	}
	free(c->remotes);
	for (i = 0; i < c->ntenants; i++) {
		free(c->tenants[i].name);
		strlist_free(&c->tenants[i].sources);
		strlist_free(&c->tenants[i].excludes);
		free(c->tenants[i].write_key);
		free(c->tenants[i].read_key);
		strlist_free(&c->tenants[i].allowed_regions);
	}
	free(c->tenants);
	free(c);
}

/* gs_config_tenant(c, name): the tenant named name, or NULL. */
const struct gs_tenant_conf *
gs_config_tenant(const struct gs_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntenants; i++) {
		if (strcmp(c->tenants[i].name, name) == 0)
			return &c->tenants[i];
	}
	return NULL;
}

/* gs_config_remote(c, name): the remote named name, or NULL. */
const struct gs_remote_conf *
gs_config_remote(const struct gs_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nremotes; i++) {
		if (strcmp(c->remotes[i].name, name) == 0)
			return &c->remotes[i];
	}
	return NULL;
}

/* gs_config_default_path(): $GEOSNAP_CONFIG or /etc/geosnap/geosnap.ini. */
const char *
gs_config_default_path(void)
{
	const char *p = getenv("GEOSNAP_CONFIG");

	return p != NULL && p[0] != '\0' ? p : "/etc/geosnap/geosnap.ini";
}
