/*
 * config.c -- the INI configuration of docs/CLI.md: loading a file or a buffer,
 * the checks that need the whole file (required sections and keys, order
 * between keys, the host name default), and the lookups by name.  The
 * syntax is ini.c's, the keys keys.c's, the values values.c's.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_internal.h"
#include "geosnap/retention.h"

/* key_line(lines, kind, name): line where key name of section kind was
 * set, 0 if unset. */
static int
key_line(const int *lines, enum sect kind, const char *name)
{
	int i = gs_config_key_index(kind, name);

	assert(i >= 0);
	return lines[i];
}

/*
 * check_order(st, kind, a, av, b, bv, strict): require av < bv
 * (strict) or av <= bv among two keys of one singleton section, blaming
 * the key set later in the file.  0 or -1 (warned).
 */
static int
check_order(struct pstate *st, enum sect kind, const char *a, uint64_t av, const char *b,
            uint64_t bv, int strict)
{
	const struct sect_def *sd = &gs_config_sects[kind];
	const int *lines = kind == S_AGENT ? st->agent_lines : st->policy_lines;
	const char *label = kind == S_AGENT ? "[agent]" : "[policy]";
	enum kind vk;
	char as[32], bs[32];
	int la, lb;

	if (strict ? av < bv : av <= bv)
		return 0;
	vk = sd->keys[gs_config_key_index(kind, a)].kind;
	gs_config_fmt_value(as, sizeof(as), vk, av);
	gs_config_fmt_value(bs, sizeof(bs), vk, bv);
	la = key_line(lines, kind, a);
	lb = key_line(lines, kind, b);
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
	const struct sect_def *sd = &gs_config_sects[kind];
	size_t i;
	int unset;

	for (i = 0; i < sd->nkeys; i++) {
		const struct key *k = &sd->keys[i];

		if (k->required == REQ_NO ||
		    (k->required == REQ_AGENT && (st->flags & GS_CONFIG_FOR_RESTORE)))
			continue;
		if (KIND_IS_LIST(k->kind))
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

/*
 * check_retention(st): the policy's retention, and each tenant's effective
 * one, must keep something (gs_retention_check); a refusal names the key
 * set last in the section at fault (or the section, when it sets none).
 * 0 or -1 (warned).
 */
static int
check_retention(struct pstate *st)
{
	const struct sect_def *sd = &gs_config_sects[S_POLICY];
	struct gs_retention pol;
	const char *why, *key = NULL;
	int line = 0;

	gs_retention_of(&st->c->policy, NULL, &pol);
	if ((why = gs_retention_check(&pol)) != NULL) {
		for (size_t i = 0; i < sd->nkeys; i++) {
			if (sd->keys[i].retain && st->policy_lines[i] > line) {
				line = st->policy_lines[i];
				key = sd->keys[i].name;
			}
		}
		gs_warn("%s:%d: [policy] key '%s': %s", st->path, line, key ? key : "?", why);
		return -1;
	}
	for (size_t i = 0; i < st->c->ntenants; i++) {
		const struct gs_tenant_conf *t = &st->c->tenants[i];

		gs_retention_of(&st->c->policy, t, &pol);
		if ((why = gs_retention_check(&pol)) != NULL) {
			gs_warn("%s:%d: [tenant \"%s\"] key '%s': %s", st->path, t->retain_line,
			        t->name, t->retain_key ? t->retain_key : "?", why);
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
	for (i = 0; i < c->nhosts; i++) {
		snprintf(label, sizeof(label), "[host \"%s\"]", c->hosts[i].name);
		if (check_required(st, S_HOST, (const char *)&c->hosts[i], c->hosts[i].line, label))
			return -1;
	}

	if (check_order(st, S_AGENT, "chunk_min", c->chunk_min, "chunk_avg", c->chunk_avg, 1) ||
	    check_order(st, S_AGENT, "chunk_avg", c->chunk_avg, "chunk_max", c->chunk_max, 1))
		return -1;
	if (check_retention(st))
		return -1;
	for (i = 0; i < c->ntenants; i++) {
		const struct gs_tenant_conf *t = &c->tenants[i];

		if (t->legal_hold >= 0 && t->legal_hold_reason == NULL) {
			gs_warn("%s:%d: [tenant \"%s\"] key 'legal_hold': needs legal_hold_reason "
			        "(why the data is kept)",
			        st->path, t->legal_hold_line, t->name);
			return -1;
		}
	}
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

/* load(path, f, flags): parse the stream f, named path in messages, with
 * the GS_CONFIG_* flags; the config, or NULL (warned). */
static struct gs_config *
load(const char *path, FILE *f, int flags)
{
	struct pstate st;
	struct gs_config *c;

	memset(&st, 0, sizeof(st));
	st.path = path;
	st.flags = flags;
	st.f = f;
	if ((c = gs_config_new(path)) == NULL)
		return NULL;
	st.c = c;
	if (gs_config_ini_parse(&st) || finish(&st)) {
		gs_config_free(c);
		return NULL;
	}
	return c;
}

/*
 * gs_config_load(path): parse the configuration file at path (borrowed)
 * for geosnap-agent.  Required: the [agent] section with repository and
 * state_dir; each remote needs url and region, each tenant source and
 * write_key.  Missing optional values get the GS_CONFIG_DEFAULT_* values;
 * host defaults to the host name.  Returns a new config the caller owns
 * (gs_config_free), or NULL when the file cannot be read or has a mistake:
 * one message is warned, naming path, line and key.
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
 * still needs its url.  Returns as gs_config_load().
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
 * gs_config_parse(name, buf, len): gs_config_load() on the len bytes at
 * buf (borrowed) instead of a file, named name (borrowed) in messages.
 * Returns a new config the caller owns, or NULL (warned).
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

/* gs_config_tenant(c, name): the tenant named name, borrowed from c (valid
 * until gs_config_free), or NULL when c has none of that name. */
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

/* gs_config_remote(c, name): the remote named name, borrowed from c (valid
 * until gs_config_free), or NULL when c has none of that name. */
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

/* gs_config_host(c, name): the [host "NAME"] section named name, borrowed
 * from c (valid until gs_config_free), or NULL when c has none. */
const struct gs_host_conf *
gs_config_host(const struct gs_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nhosts; i++) {
		if (strcmp(c->hosts[i].name, name) == 0)
			return &c->hosts[i];
	}
	return NULL;
}

/* gs_config_default_path(): the configuration file to read without -c:
 * $GEOSNAP_CONFIG when set and not empty (borrowed from the environment),
 * else the static string "/etc/geosnap/geosnap.ini". */
const char *
gs_config_default_path(void)
{
	const char *p = getenv("GEOSNAP_CONFIG");

	return p != NULL && p[0] != '\0' ? p : "/etc/geosnap/geosnap.ini";
}
