/*
 * config.h -- the INI configuration of docs/CLI.md, read with inih.
 *
 * Unknown sections and keys, repeated single-valued keys, and malformed
 * values are errors; the message names the file, the line and the key
 * ("geosnap.ini:12: [remote \"fi1\"] key 'timeout': bad duration, expected ...
 * (got '30 secs')").
 *
 * A key whose field has no effect yet can be marked "later" in the key
 * table (keys.c) and is then refused the same way with "not supported yet"
 * ("geosnap.ini:7: [policy] key 'NAME': not supported yet (got '...')"),
 * so that nobody relies on what does not exist; no key is so marked now.
 *
 * Retention (keep_*, max_age in [policy], each also in a tenant) is
 * checked after the last line: a policy, or a tenant's effective policy,
 * that keeps no snapshot by any rule (every keep_* 0), or whose max_age
 * is shorter than a day, is refused naming the key set last
 * (gs_retention_check, retention.h).
 */
#ifndef GEOSNAP_CONFIG_H
#define GEOSNAP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* Chunk data AEAD choice: auto = AES-256-GCM when this CPU has AES-NI,
 * else XChaCha20-Poly1305.  Restoring AES-256-GCM chunks with libsodium
 * needs AES-NI on the restore host too; xchacha20poly1305 restores anywhere. */
#define GS_CIPHER_AUTO 0
#define GS_CIPHER_AESGCM 1
#define GS_CIPHER_XCHACHA 2

/* The defaults of the optional keys, in one place (conf/geosnap.ini.sample
 * shows them; keys.c stores them; code that needs a default for a value
 * not read from a configuration uses these names). */
#define GS_CONFIG_DEFAULT_CHUNK_MIN ((uint64_t)256 << 10) /* 256K */
#define GS_CONFIG_DEFAULT_CHUNK_AVG ((uint64_t)1 << 20)   /* 1M */
#define GS_CONFIG_DEFAULT_CHUNK_MAX ((uint64_t)4 << 20)   /* 4M */
#define GS_CONFIG_DEFAULT_PACK_SIZE ((uint64_t)32 << 20)  /* 32M */
#define GS_CONFIG_DEFAULT_COMPRESSION 3                   /* zstd level */
#define GS_CONFIG_DEFAULT_THREADS_MIN 2                   /* threads: online CPUs, at least this */
#define GS_CONFIG_DEFAULT_CIPHER GS_CIPHER_AUTO
#define GS_CONFIG_DEFAULT_VERIFY_SAMPLE_PPM 30000 /* 3% */
#define GS_CONFIG_DEFAULT_CONNECTIONS 2
#define GS_CONFIG_DEFAULT_TIMEOUT_S 30 /* connect and I/O timeout */
#define GS_CONFIG_DEFAULT_ONE_FILE_SYSTEM 1
/* Retention (retention.h): the latest snapshot is always kept besides. */
#define GS_CONFIG_DEFAULT_KEEP_LAST 1
#define GS_CONFIG_DEFAULT_KEEP_DAILY 7
#define GS_CONFIG_DEFAULT_KEEP_WEEKLY 4
#define GS_CONFIG_DEFAULT_KEEP_MONTHLY 12
#define GS_CONFIG_DEFAULT_KEEP_YEARLY 0
#define GS_CONFIG_DEFAULT_MAX_AGE_S 0 /* none */
/* Offboarding (erase.c) and the audit log. */
#define GS_CONFIG_DEFAULT_OFFBOARD_GRACE_S ((uint64_t)14 * 86400)       /* 14d */
#define GS_CONFIG_DEFAULT_ERASURE_DEADLINE_S ((uint64_t)90 * 86400)     /* 90d */
#define GS_CONFIG_DEFAULT_AUDIT_RETENTION_S ((uint64_t)400 * 86400)     /* 400d */
#define GS_CONFIG_DEFAULT_RESTORE_TEST_MAX_AGE_S ((uint64_t)30 * 86400) /* 30d */

struct gs_strlist {
	char **v;
	size_t n;
};

struct gs_remote_conf {
	char *name;     /* from [remote "NAME"] */
	char *url;      /* sftp://user@host:port/path or file:///path */
	char *identity; /* private key file: the nightly account (backup, ship, verify) */
	char *maintenance_identity; /* key for expire, erasure, repair, quarantine
	                               (gs_tp_open_maint), or NULL: identity */
	char *maintenance_url;      /* the maintenance account's url, or NULL: url */
	char *known_hosts;          /* OpenSSH known_hosts file */
	char *fingerprint;          /* pinned "SHA256:..." host key, or NULL */
	char *region;
	unsigned connections;     /* default GS_CONFIG_DEFAULT_CONNECTIONS */
	uint64_t bandwidth_limit; /* bytes per second, 0 = unlimited */
	unsigned timeout_s;       /* connect and I/O timeout, default GS_CONFIG_DEFAULT_TIMEOUT_S */
	int line;                 /* line of the section header */
};

struct gs_tenant_conf {
	char *name;                 /* from [tenant "NAME"] */
	struct gs_strlist sources;  /* "source", may repeat */
	struct gs_strlist excludes; /* "exclude" globs, comma list or repeat */
	char *write_key;
	char *read_key;                    /* optional, used by geosnap-restore */
	struct gs_strlist allowed_regions; /* optional override of the policy */
	int64_t offboarded;                /* UTC midnight of the date, or -1 (not set) */
	int64_t legal_hold;                /* erasure postponed until this date, or -1 */
	char *legal_hold_reason;           /* required with legal_hold */
	int legal_hold_line;               /* line of legal_hold, for messages */
	int one_file_system;               /* default 1 */
	/* Retention overrides of the policy's; -1 = not set (the policy's). */
	int64_t keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly;
	int64_t max_age_s;
	int retain_line;        /* line of the last retention key set here, 0 = none */
	const char *retain_key; /* its name (static), or NULL */
	int line;
};

/* [host "NAME"]: another host whose audit log the report gathers (or this
 * one), and the public key its log is signed with. */
struct gs_host_conf {
	char *name;         /* from [host "NAME"]: the host's [agent] host */
	char *audit_pubkey; /* minisign public key file (audit.pub) */
	int line;
};

struct gs_policy_conf {
	struct gs_strlist allowed_regions;
	/* retention (retention.h); offboarding: offboard_grace_s,
	 * erasure_deadline_s (also the deadline of garbage collection) */
	unsigned keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly;
	uint64_t max_age_s;              /* 0 = none: a cap, no copy older */
	uint32_t verify_sample_ppm;      /* default 3% */
	uint64_t offboard_grace_s;       /* default 14d */
	uint64_t erasure_deadline_s;     /* default 90d */
	uint64_t restore_test_max_age_s; /* default 30d: report a tenant not tested for longer */
};

struct gs_config {
	char *path;
	/* [agent] */
	char *host; /* defaults to the hostname (NULL with GS_CONFIG_FOR_RESTORE) */
	char *region;
	char *repository;
	char *state_dir;
	char *audit_log;
	char *audit_key;            /* minisign secret key that signs audit_log, or NULL */
	uint64_t audit_retention_s; /* keep audit segments at least this long (400d) */
	int audit_syslog;           /* also send each audit record to syslog */
	char *metrics_file;
	uint64_t chunk_min, chunk_avg, chunk_max; /* defaults 256K / 1M / 4M */
	uint64_t pack_size;                       /* default 32M */
	int compression_level;                    /* zstd level, default 3 */
	unsigned threads;                         /* default: online CPUs, >= 2 */
	int cipher;                               /* GS_CIPHER_*, default auto */
	struct gs_policy_conf policy;
	struct gs_remote_conf *remotes;
	size_t nremotes;
	struct gs_tenant_conf *tenants;
	size_t ntenants;
	struct gs_host_conf *hosts;
	size_t nhosts;
};

/*
 * gs_config_load(path): parse the configuration file at path (borrowed)
 * for geosnap-agent.  Required: the [agent] section with repository and
 * state_dir; each remote needs url and region, each tenant source and
 * write_key.  Missing optional values get the GS_CONFIG_DEFAULT_* values;
 * host defaults to the host name.  Returns a new config the caller owns
 * (gs_config_free), or NULL when the file cannot be read or has a mistake:
 * one message is warned, naming path, line and key.
 */
struct gs_config *gs_config_load(const char *path);

/* gs_config_load_flags() flags. */
#define GS_CONFIG_FOR_RESTORE 1 /* for geosnap-restore: see below */

/*
 * gs_config_load_flags(path, flags): gs_config_load() with GS_CONFIG_*
 * flags.  With GS_CONFIG_FOR_RESTORE the keys only geosnap-agent uses are
 * optional (the [agent] section itself, repository, state_dir, a remote's
 * region, a tenant's source and write_key; host gets no default); every
 * key that is present is still checked as for the agent, and a remote
 * still needs its url.  Returns as gs_config_load().
 */
struct gs_config *gs_config_load_flags(const char *path, int flags);

/*
 * gs_config_parse(name, buf, len): gs_config_load() on the len bytes at
 * buf (borrowed) instead of a file, named name (borrowed) in messages.
 * Returns a new config the caller owns, or NULL (warned).
 */
struct gs_config *gs_config_parse(const char *name, const uint8_t *buf, size_t len);

/* gs_config_free(c): free c and every string and list it holds (NULL
 * accepted). */
void gs_config_free(struct gs_config *c);

/* gs_config_tenant(c, name): the tenant named name, borrowed from c (valid
 * until gs_config_free), or NULL when c has none of that name. */
const struct gs_tenant_conf *gs_config_tenant(const struct gs_config *c, const char *name);

/* gs_config_remote(c, name): the remote named name, borrowed from c (valid
 * until gs_config_free), or NULL when c has none of that name. */
const struct gs_remote_conf *gs_config_remote(const struct gs_config *c, const char *name);

/* gs_config_host(c, name): the [host "NAME"] section named name, borrowed
 * from c (valid until gs_config_free), or NULL when c has none. */
const struct gs_host_conf *gs_config_host(const struct gs_config *c, const char *name);

/* gs_config_default_path(): the configuration file to read without -c:
 * $GEOSNAP_CONFIG when set and not empty (borrowed from the environment),
 * else the static string "/etc/geosnap/geosnap.ini". */
const char *gs_config_default_path(void);

/* gs_valid_name(s): tenant and remote names are [A-Za-z0-9._-]{1,64}, not
 * starting with '.'.  Returns 1 when s is such a name, 0 otherwise (also
 * for NULL). */
int gs_valid_name(const char *s);

/* gs_valid_url(s): a remote's url as the configuration accepts it,
 * sftp://[user@]host[:port]/path or file:///path, by the grammar of
 * gs_tp_url_parse() (transport.h).  Returns 1 when valid, 0 otherwise. */
int gs_valid_url(const char *s);

/* gs_valid_fingerprint(s): a pinned host key fingerprint, "SHA256:" and 43
 * base64 characters as ssh-keygen -l prints (a trailing '=' allowed).
 * Returns 1 when valid, 0 otherwise. */
int gs_valid_fingerprint(const char *s);

#endif
