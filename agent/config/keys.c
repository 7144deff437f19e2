/*
 * keys.c -- every key of the configuration, in one table per section: its
 * name, the kind of value, the field it fills, the allowed range, the
 * default (the GS_CONFIG_DEFAULT_* values of config.h), whether it is
 * required, and whether it is refused as "not supported yet".  The
 * defaults are stored and the strings and lists freed by walking these
 * tables, so a new key is one line here and one field in config.h.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_internal.h"
#include "geosnap/chunker.h"

#define KIB ((uint64_t)1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define DAY ((uint64_t)86400)
/* Retention counts and ages: large, but far from overflowing anything. */
#define RETAIN_MAX 1000000
#define RETAIN_MAX_AGE (100 * 366 * DAY)

#define AT(type, field)                                                                            \
	.off = offsetof(struct type, field), .size = sizeof(((struct type *)0)->field)

static const struct key agent_keys[] = {
    {.name = "host", .kind = K_NAME, AT(gs_config, host)},
    {.name = "region", .kind = K_NAME, AT(gs_config, region)},
    {.name = "repository", .kind = K_PATH, AT(gs_config, repository), .required = REQ_AGENT},
    {.name = "state_dir", .kind = K_PATH, AT(gs_config, state_dir), .required = REQ_AGENT},
    {.name = "audit_log", .kind = K_PATH, AT(gs_config, audit_log)},
    {.name = "audit_key", .kind = K_PATH, AT(gs_config, audit_key)},
    {.name = "audit_retention",
     .kind = K_DUR,
     AT(gs_config, audit_retention_s),
     .min = 86400,
     .max = UINT64_MAX,
     .def = GS_CONFIG_DEFAULT_AUDIT_RETENTION_S},
    {.name = "audit_syslog", .kind = K_BOOL, AT(gs_config, audit_syslog)},
    {.name = "metrics_file", .kind = K_PATH, AT(gs_config, metrics_file)},
    {.name = "chunk_min",
     .kind = K_SIZE,
     AT(gs_config, chunk_min),
     .min = GS_CHUNK_MIN_LIMIT,
     .max = GS_CHUNK_MAX_LIMIT,
     .def = GS_CONFIG_DEFAULT_CHUNK_MIN},
    {.name = "chunk_avg",
     .kind = K_SIZE,
     AT(gs_config, chunk_avg),
     .min = GS_CHUNK_MIN_LIMIT,
     .max = GS_CHUNK_MAX_LIMIT,
     .def = GS_CONFIG_DEFAULT_CHUNK_AVG,
     .pow2 = 1},
    {.name = "chunk_max",
     .kind = K_SIZE,
     AT(gs_config, chunk_max),
     .min = GS_CHUNK_MIN_LIMIT,
     .max = GS_CHUNK_MAX_LIMIT,
     .def = GS_CONFIG_DEFAULT_CHUNK_MAX},
    {.name = "pack_size",
     .kind = K_SIZE,
     AT(gs_config, pack_size),
     .min = MIB,
     .max = GIB,
     .def = GS_CONFIG_DEFAULT_PACK_SIZE},
    {.name = "compression",
     .kind = K_UINT,
     AT(gs_config, compression_level),
     .min = 1,
     .max = 19,
     .def = GS_CONFIG_DEFAULT_COMPRESSION},
    /* default: the online CPUs, computed in gs_config_new() */
    {.name = "threads", .kind = K_UINT, AT(gs_config, threads), .min = 1, .max = 64},
    {.name = "cipher", .kind = K_CIPHER, AT(gs_config, cipher), .def = GS_CONFIG_DEFAULT_CIPHER},
};

static const struct key policy_keys[] = {
    {.name = "allowed_regions", .kind = K_REGIONS, AT(gs_policy_conf, allowed_regions)},
    {.name = "keep_last",
     .kind = K_UINT,
     AT(gs_policy_conf, keep_last),
     .max = RETAIN_MAX,
     .def = GS_CONFIG_DEFAULT_KEEP_LAST,
     .retain = 1},
    {.name = "keep_daily",
     .kind = K_UINT,
     AT(gs_policy_conf, keep_daily),
     .max = RETAIN_MAX,
     .def = GS_CONFIG_DEFAULT_KEEP_DAILY,
     .retain = 1},
    {.name = "keep_weekly",
     .kind = K_UINT,
     AT(gs_policy_conf, keep_weekly),
     .max = RETAIN_MAX,
     .def = GS_CONFIG_DEFAULT_KEEP_WEEKLY,
     .retain = 1},
    {.name = "keep_monthly",
     .kind = K_UINT,
     AT(gs_policy_conf, keep_monthly),
     .max = RETAIN_MAX,
     .def = GS_CONFIG_DEFAULT_KEEP_MONTHLY,
     .retain = 1},
    {.name = "keep_yearly",
     .kind = K_UINT,
     AT(gs_policy_conf, keep_yearly),
     .max = RETAIN_MAX,
     .def = GS_CONFIG_DEFAULT_KEEP_YEARLY,
     .retain = 1},
    {.name = "max_age",
     .kind = K_DUR,
     AT(gs_policy_conf, max_age_s),
     .max = RETAIN_MAX_AGE,
     .def = GS_CONFIG_DEFAULT_MAX_AGE_S,
     .retain = 1},
    {.name = "verify_sample",
     .kind = K_PCT,
     AT(gs_policy_conf, verify_sample_ppm),
     .def = GS_CONFIG_DEFAULT_VERIFY_SAMPLE_PPM},
    {.name = "offboard_grace",
     .kind = K_DUR,
     AT(gs_policy_conf, offboard_grace_s),
     .max = UINT64_MAX,
     .def = GS_CONFIG_DEFAULT_OFFBOARD_GRACE_S},
    {.name = "erasure_deadline",
     .kind = K_DUR,
     AT(gs_policy_conf, erasure_deadline_s),
     .max = UINT64_MAX,
     .def = GS_CONFIG_DEFAULT_ERASURE_DEADLINE_S},
    {.name = "restore_test_max_age",
     .kind = K_DUR,
     AT(gs_policy_conf, restore_test_max_age_s),
     .min = 86400,
     .max = UINT64_MAX,
     .def = GS_CONFIG_DEFAULT_RESTORE_TEST_MAX_AGE_S},
};

static const struct key remote_keys[] = {
    {.name = "url", .kind = K_URL, AT(gs_remote_conf, url), .required = REQ_ALWAYS},
    {.name = "identity", .kind = K_PATH, AT(gs_remote_conf, identity)},
    {.name = "maintenance_identity", .kind = K_PATH, AT(gs_remote_conf, maintenance_identity)},
    {.name = "maintenance_url", .kind = K_URL, AT(gs_remote_conf, maintenance_url)},
    {.name = "known_hosts", .kind = K_PATH, AT(gs_remote_conf, known_hosts)},
    {.name = "fingerprint", .kind = K_FPR, AT(gs_remote_conf, fingerprint)},
    {.name = "region", .kind = K_NAME, AT(gs_remote_conf, region), .required = REQ_AGENT},
    {.name = "connections",
     .kind = K_UINT,
     AT(gs_remote_conf, connections),
     .min = 1,
     .max = 16,
     .def = GS_CONFIG_DEFAULT_CONNECTIONS},
    {.name = "bandwidth_limit",
     .kind = K_SIZE,
     AT(gs_remote_conf, bandwidth_limit),
     .max = UINT64_MAX},
    {.name = "timeout",
     .kind = K_DUR,
     AT(gs_remote_conf, timeout_s),
     .min = 1,
     .max = DAY,
     .def = GS_CONFIG_DEFAULT_TIMEOUT_S},
};

static const struct key tenant_keys[] = {
    {.name = "source", .kind = K_PATHS, AT(gs_tenant_conf, sources), .required = REQ_AGENT},
    {.name = "exclude", .kind = K_GLOBS, AT(gs_tenant_conf, excludes)},
    {.name = "write_key", .kind = K_PATH, AT(gs_tenant_conf, write_key), .required = REQ_AGENT},
    {.name = "read_key", .kind = K_PATH, AT(gs_tenant_conf, read_key)},
    {.name = "allowed_regions", .kind = K_REGIONS, AT(gs_tenant_conf, allowed_regions)},
    {.name = "offboarded",
     .kind = K_DATE,
     AT(gs_tenant_conf, offboarded),
     .def = (uint64_t)-1 /* not set */},
    {.name = "legal_hold",
     .kind = K_DATE,
     AT(gs_tenant_conf, legal_hold),
     .def = (uint64_t)-1 /* not set */},
    {.name = "legal_hold_reason", .kind = K_TEXT, AT(gs_tenant_conf, legal_hold_reason)},
    {.name = "keep_last",
     .kind = K_UINT,
     AT(gs_tenant_conf, keep_last),
     .max = RETAIN_MAX,
     .def = (uint64_t)-1 /* not set: the policy's */,
     .retain = 1},
    {.name = "keep_daily",
     .kind = K_UINT,
     AT(gs_tenant_conf, keep_daily),
     .max = RETAIN_MAX,
     .def = (uint64_t)-1 /* not set: the policy's */,
     .retain = 1},
    {.name = "keep_weekly",
     .kind = K_UINT,
     AT(gs_tenant_conf, keep_weekly),
     .max = RETAIN_MAX,
     .def = (uint64_t)-1 /* not set: the policy's */,
     .retain = 1},
    {.name = "keep_monthly",
     .kind = K_UINT,
     AT(gs_tenant_conf, keep_monthly),
     .max = RETAIN_MAX,
     .def = (uint64_t)-1 /* not set: the policy's */,
     .retain = 1},
    {.name = "keep_yearly",
     .kind = K_UINT,
     AT(gs_tenant_conf, keep_yearly),
     .max = RETAIN_MAX,
     .def = (uint64_t)-1 /* not set: the policy's */,
     .retain = 1},
    {.name = "max_age",
     .kind = K_DUR,
     AT(gs_tenant_conf, max_age_s),
     .max = RETAIN_MAX_AGE,
     .def = (uint64_t)-1 /* not set: the policy's */,
     .retain = 1},
    {.name = "one_file_system",
     .kind = K_BOOL,
     AT(gs_tenant_conf, one_file_system),
     .def = GS_CONFIG_DEFAULT_ONE_FILE_SYSTEM},
};

static const struct key host_keys[] = {
    {.name = "audit_pubkey",
     .kind = K_PATH,
     AT(gs_host_conf, audit_pubkey),
     .required = REQ_ALWAYS},
};

_Static_assert(NELEM(agent_keys) <= MAX_KEYS && NELEM(policy_keys) <= MAX_KEYS &&
                   NELEM(remote_keys) <= MAX_KEYS && NELEM(tenant_keys) <= MAX_KEYS,
               "MAX_KEYS too small");

const struct sect_def gs_config_sects[] = {
    [S_NONE] = {NULL, 0},
    [S_AGENT] = {agent_keys, NELEM(agent_keys)},
    [S_POLICY] = {policy_keys, NELEM(policy_keys)},
    [S_REMOTE] = {remote_keys, NELEM(remote_keys)},
    [S_TENANT] = {tenant_keys, NELEM(tenant_keys)},
    [S_HOST] = {host_keys, NELEM(host_keys)},
};

/*
 * gs_config_key_index(kind, name): the index of key name in the table of
 * section kind, or -1 when that section has no such key.
 */
int
gs_config_key_index(enum sect kind, const char *name)
{
	const struct sect_def *sd = &gs_config_sects[kind];
	size_t i;

	for (i = 0; i < sd->nkeys; i++) {
		if (strcmp(sd->keys[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * gs_config_defaults(kind, base): store the table's default of every
 * integer key of section kind into the struct at base (borrowed), which
 * must be zeroed; string and list keys stay NULL / empty.
 */
void
gs_config_defaults(enum sect kind, char *base)
{
	const struct sect_def *sd = &gs_config_sects[kind];
	size_t i;

	for (i = 0; i < sd->nkeys; i++) {
		const struct key *k = &sd->keys[i];

		if (!KIND_IS_STRING(k->kind) && !KIND_IS_LIST(k->kind))
			gs_config_store_num(base + k->off, k->size, k->def);
	}
}

/*
 * gs_config_new(path): a new config holding a copy of path and the
 * defaults of [agent] and [policy].  The caller owns it (gs_config_free).
 * NULL when out of memory (warned, naming path).
 */
struct gs_config *
gs_config_new(const char *path)
{
	struct gs_config *c;
	long ncpu;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto err0;
	if ((c->path = strdup(path)) == NULL)
		goto err1;
	gs_config_defaults(S_AGENT, (char *)c);
	gs_config_defaults(S_POLICY, (char *)&c->policy);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c->threads = ncpu < GS_CONFIG_DEFAULT_THREADS_MIN ? GS_CONFIG_DEFAULT_THREADS_MIN
	             : ncpu > 64                          ? 64
	                                                  : (unsigned)ncpu;
	return c;

err1:
	free(c);
err0:
	gs_warnp("%s: cannot allocate the configuration", path);
	return NULL;
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

/* free_keys(kind, base): free the strings and lists of section kind at base. */
static void
free_keys(enum sect kind, char *base)
{
	const struct sect_def *sd = &gs_config_sects[kind];
	size_t i;

	for (i = 0; i < sd->nkeys; i++) {
		const struct key *k = &sd->keys[i];

		if (KIND_IS_STRING(k->kind))
			free(*(char **)(base + k->off));
		else if (KIND_IS_LIST(k->kind))
			strlist_free((struct gs_strlist *)(base + k->off));
	}
}

/* gs_config_free(c): free c and every string and list it holds (NULL
 * accepted). */
void
gs_config_free(struct gs_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free_keys(S_AGENT, (char *)c);
	free_keys(S_POLICY, (char *)&c->policy);
	for (i = 0; i < c->nremotes; i++) {
		free(c->remotes[i].name);
		free_keys(S_REMOTE, (char *)&c->remotes[i]);
	}
	free(c->remotes);
	for (i = 0; i < c->ntenants; i++) {
		free(c->tenants[i].name);
		free_keys(S_TENANT, (char *)&c->tenants[i]);
	}
	free(c->tenants);
	for (i = 0; i < c->nhosts; i++) {
		free(c->hosts[i].name);
		free_keys(S_HOST, (char *)&c->hosts[i]);
	}
	free(c->hosts);
	free(c);
}
