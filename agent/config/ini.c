/*
 * ini.c -- the configuration file's syntax: lines, section headers and
 * key lines, read with inih; each key line goes to the key's parser
 * (values.c) through the tables of keys.c.
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
 *
 * A key of the tables marked "later" (it has no effect yet) is refused
 * with "not supported yet" wherever it appears, before its value is looked
 * at.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config/config_internal.h"

/*
 * gs_config_fail(st, fmt, ...): record the first error of the parse at the
 * current line (later ones are dropped: one message per parse).  Returns 0,
 * the "error" value of an inih handler.
 */
int
gs_config_fail(struct pstate *st, const char *fmt, ...)
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

/*
 * gs_config_bad_value(st, name, value, fmt, ...): gs_config_fail() with
 * "[section] key 'NAME': WHAT (got 'VALUE')", WHAT from fmt.  Returns 0.
 */
int
gs_config_bad_value(struct pstate *st, const char *name, const char *value, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return gs_config_fail(st, "%s key '%s': %s (got '%s')", st->label, name, what, value);
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
	case S_HOST:
		return (char *)&st->c->hosts[st->idx];
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
	const struct sect_def *sd = &gs_config_sects[st->sect];
	const struct key *k;
	int i;

	(void)section;
	if (st->failed)
		return 0;
	if (st->sect == S_NONE)
		return gs_config_fail(st,
		                      "key '%s': not inside a section, expected " SECTION_FORMS
		                      " first (got '%s')",
		                      name, value);
	if ((i = gs_config_key_index(st->sect, name)) < 0)
		return gs_config_bad_value(st, name, value, "unknown key");
	k = &sd->keys[i];
	if (k->later)
		return gs_config_bad_value(st, name, value, "not supported yet");
	if (st->lines[i] != 0 && k->kind != K_PATHS && k->kind != K_GLOBS)
		return gs_config_bad_value(st, name, value, "set twice, first on line %d",
		                           st->lines[i]);
	if (st->lines[i] == 0)
		st->lines[i] = st->lineno;
	if (st->sect == S_TENANT && strcmp(name, "legal_hold") == 0)
		st->c->tenants[st->idx].legal_hold_line = st->lineno; /* for finish() */
	if (value[0] == '\0')
		return gs_config_bad_value(st, name, value, "empty value");
	if (k->retain && st->sect == S_TENANT) {
		/* for the check of the tenant's effective policy (config.c) */
		st->c->tenants[st->idx].retain_line = st->lineno;
		st->c->tenants[st->idx].retain_key = k->name;
	}
	return gs_config_set_value(st, k, sect_base(st), value);
}

/* grow(arr, n, size): arr resized for n + 1 elements of size, or NULL. */
static void *
grow(void *arr, size_t n, size_t size)
{
	if (n >= SIZE_MAX / size - 1)
		return NULL;
	return realloc(arr, (n + 1) * size);
}

/* sect_word(kind): the word of a named section's header. */
static const char *
sect_word(enum sect kind)
{
	return kind == S_REMOTE ? "remote" : kind == S_TENANT ? "tenant" : "host";
}

/* begin_host(st, name): start a [host "NAME"] section.  1, or 0 (failed). */
static int
begin_host(struct pstate *st, const char *name)
{
	struct gs_config *c = st->c;
	struct gs_host_conf *h;
	size_t i;

	for (i = 0; i < c->nhosts; i++) {
		if (strcmp(c->hosts[i].name, name) == 0)
			return gs_config_fail(st, "%s: duplicate section, first on line %d",
			                      st->label, c->hosts[i].line);
	}
	if ((h = grow(c->hosts, c->nhosts, sizeof(*h))) == NULL)
		return gs_config_fail(st, "out of memory");
	c->hosts = h;
	h += c->nhosts;
	memset(h, 0, sizeof(*h));
	if ((h->name = strdup(name)) == NULL)
		return gs_config_fail(st, "out of memory");
	gs_config_defaults(S_HOST, (char *)h);
	h->line = st->lineno;
	st->idx = c->nhosts++;
	return 1;
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
			return gs_config_fail(st, "%s: duplicate section, first on line %d",
			                      st->label, *first);
		*first = st->lineno;
		st->lines = kind == S_AGENT ? st->agent_lines : st->policy_lines;
		goto done;
	}

	snprintf(st->label, sizeof(st->label), "[%s \"%s\"]", sect_word(kind), name);
	if (kind == S_HOST) {
		if (!begin_host(st, name))
			return 0;
	} else if (kind == S_REMOTE) {
		if (strcmp(name, "local") == 0)
			return gs_config_fail(
			    st,
			    "%s: the remote name 'local' is reserved for the local "
			    "repository",
			    st->label);
		for (i = 0; i < c->nremotes; i++) {
			if (strcmp(c->remotes[i].name, name) == 0)
				return gs_config_fail(st, "%s: duplicate section, first on line %d",
				                      st->label, c->remotes[i].line);
		}
		if ((r = grow(c->remotes, c->nremotes, sizeof(*r))) == NULL)
			return gs_config_fail(st, "out of memory");
		c->remotes = r;
		r += c->nremotes;
		memset(r, 0, sizeof(*r));
		if ((r->name = strdup(name)) == NULL)
			return gs_config_fail(st, "out of memory");
		gs_config_defaults(S_REMOTE, (char *)r);
		r->line = st->lineno;
		st->idx = c->nremotes++;
	} else {
		for (i = 0; i < c->ntenants; i++) {
			if (strcmp(c->tenants[i].name, name) == 0)
				return gs_config_fail(st, "%s: duplicate section, first on line %d",
				                      st->label, c->tenants[i].line);
		}
		if ((t = grow(c->tenants, c->ntenants, sizeof(*t))) == NULL)
			return gs_config_fail(st, "out of memory");
		c->tenants = t;
		t += c->ntenants;
		memset(t, 0, sizeof(*t));
		if ((t->name = strdup(name)) == NULL)
			return gs_config_fail(st, "out of memory");
		gs_config_defaults(S_TENANT, (char *)t);
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
 * "[agent]", "[policy]", "[remote \"NAME\"]", "[tenant \"NAME\"]" or
 * "[host \"NAME\"]", blanks
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
	if ((end - in > 6 && (memcmp(in, "remote", 6) == 0 || memcmp(in, "tenant", 6) == 0) &&
	     isspace((unsigned char)in[6])) ||
	    (end - in > 4 && memcmp(in, "host", 4) == 0 && isspace((unsigned char)in[4]))) {
		kind = in[0] == 'r' ? S_REMOTE : in[0] == 't' ? S_TENANT : S_HOST;
		for (name = in + strlen(sect_word(kind)); isspace((unsigned char)*name); name++)
			;
		if (end - name < 2 || name[0] != '"' || end[-1] != '"')
			return gs_config_fail(
			    st, "[%.*s]: expected [%s \"NAME\"] with the name in double quotes",
			    (int)(end - in), in, sect_word(kind));
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
	return gs_config_fail(st, "[%.*s]: unknown section, expected " SECTION_FORMS,
	                      (int)(end - in), in);

bad_name:
	return gs_config_fail(st, "[%.*s]: bad %s name, expected " NAME_RULE " (got '%.*s')",
	                      (int)(end - in), in, sect_word(kind), (int)(end - 1 - name), name);
bad_header:
	return gs_config_fail(st, "bad section header, expected " SECTION_FORMS " (got '%.*s')",
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
			gs_config_fail(st, "NUL byte in line");
			return NULL;
		}
		if (n >= (size_t)num - 2) {
			gs_config_fail(st, "line longer than %d characters", num - 2);
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
		gs_config_fail(st,
		               "indented line after a key; continuation lines are not supported "
		               "(got '%.*s')",
		               (int)len, p);
		return NULL;
	}
	if (*p == '[')
		return section_line(st, str, p) ? str : NULL;
	if (!has_separator(p)) {
		gs_config_fail(st, "expected '[section]' or 'key = value' (got '%.*s')", (int)len,
		               p);
		return NULL;
	}
	st->key_seen = 1;
	return str;
}

/*
 * gs_config_ini_parse(st): read st->f to its end into st->c, line by line
 * through inih.  Returns 0 when every line was good, else -1 after warning
 * the one error as "PATH:LINE: message" (or "PATH: cannot read: ...").
 */
int
gs_config_ini_parse(struct pstate *st)
{
	int r;

	r = ini_parse_stream(reader, st, handler, st);
	if (st->read_errno != 0) {
		errno = st->read_errno;
		gs_warnp("%s: cannot read", st->path);
		return -1;
	}
	if (r == -2) {
		gs_warn("%s: out of memory", st->path);
		return -1;
	}
	if (r > 0 && (!st->failed || st->err_line != r)) {
		/* inih refused a line the reader let through; should not happen. */
		gs_warn("%s:%d: syntax error", st->path, r);
		return -1;
	}
	if (r != 0 || st->failed) {
		gs_warn("%s:%d: %s", st->path, r > 0 ? r : st->err_line, st->err);
		return -1;
	}
	return 0;
}
