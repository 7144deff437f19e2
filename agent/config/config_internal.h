/*
 * config_internal.h -- what the files of agent/config/ share; private to
 * that folder.
 *
 *   keys.c    the key tables (name, kind, field, range, default, required,
 *             not supported yet), the defaults, table-driven free
 *   values.c  one parser per kind of value, and the name, URL and
 *             fingerprint checks
 *   ini.c     the line reader and section headers around inih, the key
 *             handler, and the parse state's error recording
 *   config.c  load, the checks after the last line (required keys, order
 *             between keys, the host name default), lookups
 */
#ifndef GS_CONFIG_INTERNAL_H
#define GS_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "geosnap/config.h"
#include "geosnap/util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define NAME_MAX_LEN 64
#define MAX_KEYS 24 /* most keys of any section */
#define SECTION_FORMS "[agent], [policy], [remote \"NAME\"], [tenant \"NAME\"] or [host \"NAME\"]"
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
	K_TEXT,    /* free text of printable characters, at most 200 bytes; char * */
};

/* The string kinds hold a malloc'd char *, the list kinds a struct
 * gs_strlist; every other kind is an integer field of 4 or 8 bytes. */
#define KIND_IS_STRING(k)                                                                          \
	((k) == K_PATH || (k) == K_NAME || (k) == K_URL || (k) == K_FPR || (k) == K_TEXT)
#define KIND_IS_LIST(k) ((k) == K_REGIONS || (k) == K_PATHS || (k) == K_GLOBS)

/* When a key must be set. */
enum {
	REQ_NO = 0,
	REQ_ALWAYS = 1, /* by both programs */
	REQ_AGENT = 2,  /* only geosnap-agent uses it: optional with GS_CONFIG_FOR_RESTORE */
};

struct key {
	const char *name;
	enum kind kind;
	size_t off;   /* offset of the field in the section's struct */
	size_t size;  /* size of the field (integer fields are 4 or 8 bytes) */
	uint64_t min; /* range of K_SIZE, K_DUR and K_UINT */
	uint64_t max;
	uint64_t def; /* integer kinds: the default (as stored; -1 is UINT64_MAX) */
	int pow2;     /* K_SIZE: must be a power of two */
	int required; /* REQ_*: must be set in every section of this kind */
	int retain;   /* a retention key: checked together after the last line */
	int later;    /* no effect yet: refused as "not supported yet"; the
	                 parser stays so that the issue using it only clears this */
};

enum sect { S_NONE, S_AGENT, S_POLICY, S_REMOTE, S_TENANT, S_HOST };

struct sect_def {
	const struct key *keys;
	size_t nkeys;
};

/* The keys of each section, indexed by enum sect (keys.c). */
extern const struct sect_def gs_config_sects[];

/* Parse state shared by the line reader, the key handler and finish. */
struct pstate {
	const char *path;
	int flags; /* GS_CONFIG_* */
	FILE *f;
	struct gs_config *c;
	int lineno;     /* lines handed to inih so far = line being handled */
	int key_seen;   /* a key line since the section header */
	enum sect sect; /* current section */
	size_t idx;     /* index of the current remote, tenant or host */
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

/* ---- keys.c ---- */

/*
 * gs_config_key_index(kind, name): the index of key name in the table of
 * section kind, or -1 when that section has no such key.
 */
int gs_config_key_index(enum sect kind, const char *name);

/*
 * gs_config_defaults(kind, base): store the table's default of every
 * integer key of section kind into the struct at base (borrowed), which
 * must be zeroed; string and list keys stay NULL / empty.
 */
void gs_config_defaults(enum sect kind, char *base);

/*
 * gs_config_new(path): a new config holding a copy of path and the
 * defaults of [agent] and [policy].  The caller owns it (gs_config_free).
 * NULL when out of memory (warned, naming path).
 */
struct gs_config *gs_config_new(const char *path);

/* ---- values.c ---- */

/*
 * gs_config_set_value(st, k, base, value): parse value (borrowed) as key k
 * wants and store it into the section struct at base; strings are copied.
 * Returns 1 when stored, 0 when refused (the message recorded in st with
 * gs_config_fail, naming the section and key), as an inih handler does.
 */
int gs_config_set_value(struct pstate *st, const struct key *k, char *base, const char *value);

/*
 * gs_config_fmt_value(buf, n, kind, v): write v into buf (n bytes, always
 * terminated) as a value of kind would be written: sizes in the largest
 * binary unit that divides them (16M), durations in the largest of d, h,
 * m, s (90d), anything else in decimal.
 */
void gs_config_fmt_value(char *buf, size_t n, enum kind kind, uint64_t v);

/*
 * gs_config_store_num(p, size, v): store v into the integer field at p of
 * size bytes (4 or 8), truncating to 32 bits for a 4-byte field (callers
 * check the range first).
 */
void gs_config_store_num(void *p, size_t size, uint64_t v);

/* ---- ini.c ---- */

/*
 * gs_config_fail(st, fmt, ...): record the first error of the parse at the
 * current line (later ones are dropped: one message per parse).  Returns 0,
 * the "error" value of an inih handler.
 */
int gs_config_fail(struct pstate *st, const char *fmt, ...) GS_PRINTF(2, 3);

/*
 * gs_config_bad_value(st, name, value, fmt, ...): gs_config_fail() with
 * "[section] key 'NAME': WHAT (got 'VALUE')", WHAT from fmt.  Returns 0.
 */
int gs_config_bad_value(struct pstate *st, const char *name, const char *value, const char *fmt,
                        ...) GS_PRINTF(4, 5);

/*
 * gs_config_ini_parse(st): read st->f to its end into st->c, line by line
 * through inih.  Returns 0 when every line was good, else -1 after warning
 * the one error as "PATH:LINE: message" (or "PATH: cannot read: ...").
 */
int gs_config_ini_parse(struct pstate *st);

#endif
