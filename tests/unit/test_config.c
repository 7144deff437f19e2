/*
 * test_config.c -- gs_config_load(): a full example configuration, every key, the
 * defaults, and one message per kind of mistake naming file, line and key
 * (a bad URL's among them); the audit and offboarding keys' bad values;
 * gs_config_load_flags(GS_CONFIG_FOR_RESTORE): the agent-only keys optional.
 * The validators on their own (names, URLs, fingerprints) and the default
 * path: test_config_names.c.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geosnap/config.h"
#include "geosnap/util.h"
#include "tap.h"

#define KIB 1024ULL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define DAY 86400ULL

static char dir[] = "/tmp/gs-test-config-XXXXXX";
static char path[sizeof(dir) + 32];

/* write_n(name, buf, len): write dir/name and point path at it. */
static const char *
write_n(const char *name, const char *buf, size_t len)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

static const char *
write_ini(const char *text)
{
	return write_n("test.ini", text, strlen(text));
}

static int
has(const struct gs_strlist *l, size_t n, const char *const *want)
{
	size_t i;

	if (l->n != n)
		return 0;
	for (i = 0; i < n; i++) {
		if (strcmp(l->v[i], want[i]) != 0)
			return 0;
	}
	return 1;
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* A full configuration (the example of the design's CLI contract). */
static const char cli_example[] =
    "[agent]\n"
    "host = web1                              ; defaults to the hostname\n"
    "region = eu-central\n"
    "repository = /srv/geosnap/repo           ; local repository, separate disk\n"
    "state_dir = /var/lib/geosnap             ; files cache, inventories, lock\n"
    "audit_log = /var/log/geosnap/audit.jsonl\n"
    "\n"
    "[remote \"fi1\"]\n"
    "url = sftp://geosnap@fi1.example.net:22/srv/geosnap\n"
    "identity = /etc/geosnap/id_ed25519\n"
    "known_hosts = /etc/geosnap/known_hosts   ; strict: unknown or changed key = refuse\n"
    "region = eu-north\n"
    "connections = 2\n"
    "\n"
    "[policy]\n"
    "allowed_regions = eu-central, eu-north\n"
    "verify_sample = 3%                       ; rotating read-back of old objects\n"
    "\n"
    "[tenant \"acme\"]\n"
    "source = /srv/data/acme\n"
    "exclude = *.tmp\n"
    "write_key = /etc/geosnap/keys/acme.write\n";

static void
test_cli_example(void)
{
	static const char *const regions[] = {"eu-central", "eu-north"};
	static const char *const src[] = {"/srv/data/acme"};
	static const char *const exc[] = {"*.tmp"};
	const struct gs_remote_conf *r;
	const struct gs_tenant_conf *t;
	struct gs_config *c;

	c = gs_config_load(write_ini(cli_example));
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "  error: %s\n", gs_last_error());
		return;
	}
	CHECK(streq(c->path, path));
	CHECK(streq(c->host, "web1"));
	CHECK(streq(c->region, "eu-central"));
	CHECK(streq(c->repository, "/srv/geosnap/repo"));
	CHECK(streq(c->state_dir, "/var/lib/geosnap"));
	CHECK(streq(c->audit_log, "/var/log/geosnap/audit.jsonl"));
	CHECK(c->audit_key == NULL);
	CHECK(c->metrics_file == NULL);
	CHECK(c->chunk_min == 256 * KIB && c->chunk_avg == MIB && c->chunk_max == 4 * MIB);
	CHECK(c->pack_size == 32 * MIB);
	CHECK(c->compression_level == 3);
	CHECK(c->threads >= 2 && c->threads <= 64);

	CHECK(c->nremotes == 1);
	CHECK((r = gs_config_remote(c, "fi1")) != NULL);
	if (r != NULL) {
		CHECK(streq(r->name, "fi1"));
		CHECK(streq(r->url, "sftp://geosnap@fi1.example.net:22/srv/geosnap"));
		CHECK(streq(r->identity, "/etc/geosnap/id_ed25519"));
		CHECK(streq(r->known_hosts, "/etc/geosnap/known_hosts"));
		CHECK(r->fingerprint == NULL);
		CHECK(streq(r->region, "eu-north"));
		CHECK(r->connections == 2);
		CHECK(r->bandwidth_limit == 0);
		CHECK(r->timeout_s == 30);
		CHECK(r->line == 8);
	}
	CHECK(gs_config_remote(c, "fi2") == NULL);
	CHECK(gs_config_remote(c, "local") == NULL);

	CHECK(has(&c->policy.allowed_regions, 2, regions));
	CHECK(c->policy.keep_last == 1 && c->policy.keep_yearly == 0);
	CHECK(c->policy.keep_daily == 7 && c->policy.keep_weekly == 4);
	CHECK(c->policy.keep_monthly == 12);
	CHECK(c->policy.max_age_s == 0);
	CHECK(c->policy.verify_sample_ppm == 30000);
	CHECK(c->policy.offboard_grace_s == 14 * DAY);
	CHECK(c->policy.erasure_deadline_s == 90 * DAY);

	CHECK(c->ntenants == 1);
	CHECK((t = gs_config_tenant(c, "acme")) != NULL);
	if (t != NULL) {
		CHECK(streq(t->name, "acme"));
		CHECK(has(&t->sources, 1, src));
		CHECK(has(&t->excludes, 1, exc));
		CHECK(streq(t->write_key, "/etc/geosnap/keys/acme.write"));
		CHECK(t->read_key == NULL);
		CHECK(t->allowed_regions.n == 0);
		CHECK(t->offboarded == -1);
		CHECK(t->one_file_system == 1);
		CHECK(t->line == 19);
	}
	CHECK(gs_config_tenant(c, "acm") == NULL);
	gs_config_free(c);
}

/* Every supported key with a value other than its default, in sections in
 * any order. */
static const char all_keys[] = "# a full configuration\n"
                               "[tenant \"beta.2\"]\n"
                               "source = /srv/data/beta\n"
                               "source = /srv/data/beta-extra\n"
                               "exclude = *.tmp, *.swp ,cache/*\n"
                               "exclude = /srv/data/beta/tmp\n"
                               "write_key = /etc/geosnap/keys/beta.write\n"
                               "read_key = /etc/geosnap/keys/beta.read\n"
                               "allowed_regions = eu-north\n"
                               "one_file_system = no\n"
                               "\n"
                               "[policy]\n"
                               "allowed_regions = eu-central,eu-north,\teu-west\n"
                               "verify_sample = 0.5%\n"
                               "\n"
                               "[agent]\n"
                               "host = db-2.example.net\n"
                               "region = eu-central\n"
                               "repository = /srv/geosnap/repo\n"
                               "state_dir = /var/lib/geosnap\n"
                               "audit_log = /var/log/geosnap/audit.jsonl\n"
                               "metrics_file = /var/lib/node_exporter/geosnap.prom\n"
                               "chunk_min = 4K\n"
                               "chunk_avg = 64KiB\n"
                               "chunk_max = 64M\n"
                               "pack_size = 1G\n"
                               "compression = 19\n"
                               "threads = 64\n"
                               "cipher = xchacha20poly1305\n"
                               "\n"
                               "[remote \"fi1\"]\n"
                               "url = sftp://fi1.example.net/srv/geosnap\n"
                               "identity = /etc/geosnap/id_ed25519\n"
                               "known_hosts = /etc/geosnap/known_hosts\n"
                               "fingerprint = SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s\n"
                               "region = eu-north\n"
                               "connections = 16\n"
                               "bandwidth_limit = 10M\n"
                               "timeout = 2m\n"
                               "[remote \"local-disk\"]\n"
                               "url = file:///mnt/backup/geosnap\n"
                               "region = eu-central\n";

static void
test_all_keys(void)
{
	static const char *const pregions[] = {"eu-central", "eu-north", "eu-west"};
	static const char *const tregions[] = {"eu-north"};
	static const char *const src[] = {"/srv/data/beta", "/srv/data/beta-extra"};
	static const char *const exc[] = {"*.tmp", "*.swp", "cache/*", "/srv/data/beta/tmp"};
	const struct gs_remote_conf *r;
	const struct gs_tenant_conf *t;
	struct gs_config *c;

	c = gs_config_load(write_ini(all_keys));
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "  error: %s\n", gs_last_error());
		return;
	}
	CHECK(streq(c->host, "db-2.example.net"));
	CHECK(streq(c->metrics_file, "/var/lib/node_exporter/geosnap.prom"));
	CHECK(c->chunk_min == 4 * KIB && c->chunk_avg == 64 * KIB && c->chunk_max == 64 * MIB);
	CHECK(c->pack_size == GIB);
	CHECK(c->compression_level == 19);
	CHECK(c->threads == 64);
	CHECK(c->cipher == GS_CIPHER_XCHACHA);

	CHECK(has(&c->policy.allowed_regions, 3, pregions));
	CHECK(c->policy.verify_sample_ppm == 5000);

	CHECK(c->nremotes == 2);
	CHECK((r = gs_config_remote(c, "fi1")) != NULL);
	if (r != NULL) {
		CHECK(streq(r->fingerprint, "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"));
		CHECK(r->connections == 16);
		CHECK(r->bandwidth_limit == 10 * MIB);
		CHECK(r->timeout_s == 120);
		CHECK(r->line == 31);
	}
	CHECK((r = gs_config_remote(c, "local-disk")) != NULL);
	if (r != NULL) {
		CHECK(streq(r->url, "file:///mnt/backup/geosnap"));
		CHECK(r->identity == NULL && r->known_hosts == NULL);
		CHECK(r->line == 40);
	}

	CHECK((t = gs_config_tenant(c, "beta.2")) != NULL);
	if (t != NULL) {
		CHECK(has(&t->sources, 2, src));
		CHECK(has(&t->excludes, 4, exc));
		CHECK(streq(t->read_key, "/etc/geosnap/keys/beta.read"));
		CHECK(has(&t->allowed_regions, 1, tregions));
		CHECK(t->offboarded == -1);
		CHECK(t->one_file_system == 0);
		CHECK(t->line == 2);
	}
	gs_config_free(c);
}

/* Minimal file: everything else gets its default. */
static void
test_defaults(void)
{
	struct gs_config *c;
	char host[256];

	c = gs_config_load(write_ini("[agent]\nrepository = /r\nstate_dir = /s\n"));
	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "  error: %s\n", gs_last_error());
		return;
	}
	CHECK(gethostname(host, sizeof(host)) == 0);
	host[sizeof(host) - 1] = '\0';
	CHECK(streq(c->host, host));
	CHECK(c->region == NULL && c->audit_log == NULL && c->audit_key == NULL);
	CHECK(c->chunk_min == 256 * KIB && c->chunk_avg == MIB && c->chunk_max == 4 * MIB);
	CHECK(c->pack_size == 32 * MIB);
	CHECK(c->compression_level == 3);
	CHECK(c->threads >= 2 && c->threads <= 64);
	CHECK(c->policy.allowed_regions.n == 0);
	CHECK(c->policy.keep_last == 1 && c->policy.keep_yearly == 0);
	CHECK(c->policy.keep_daily == 7 && c->policy.keep_weekly == 4);
	CHECK(c->policy.keep_monthly == 12);
	CHECK(c->policy.max_age_s == 0);
	CHECK(c->policy.verify_sample_ppm == 30000);
	CHECK(c->policy.offboard_grace_s == 14 * DAY);
	CHECK(c->policy.erasure_deadline_s == 90 * DAY);
	CHECK(c->nremotes == 0 && c->ntenants == 0);
	CHECK(gs_config_tenant(c, "acme") == NULL);
	gs_config_free(c);

	c = gs_config_load(write_ini("[agent]\nrepository = /r\nstate_dir = /s\n"
	                             "[tenant \"t\"]\nsource = /a\nwrite_key = /k\n"
	                             "[remote \"r\"]\nurl = file:///x\nregion = x\n"));
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK(c->tenants[0].offboarded == -1);
		CHECK(c->tenants[0].one_file_system == 1);
		CHECK(c->tenants[0].excludes.n == 0);
		CHECK(c->remotes[0].connections == 2);
		CHECK(c->remotes[0].timeout_s == 30);
		CHECK(c->remotes[0].bandwidth_limit == 0);
	}
	gs_config_free(c);
}

/* What the INI syntax allows besides the example. */
static void
test_syntax(void)
{
	static const char *const exc[] = {"a;b", "#c"};
	char name64[65], text[512], line[256];
	struct gs_config *c;

	/* BOM, CRLF, '#' and indented comments, inline ';' comment, ':' separator */
	c = gs_config_load(write_ini("\xEF\xBB\xBF[agent]\r\n"
	                             "  repository: /r ; indented right after the header\r\n"
	                             "# comment\r\n"
	                             "    ; indented comment\r\n"
	                             "state_dir = /s\r\n"
	                             "[ tenant  \"t\" ] ; trailing comment\n"
	                             "source=/a\n"
	                             "exclude = a;b, #c\n"
	                             "write_key = /k\n"));
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK(streq(c->repository, "/r"));
		CHECK(streq(c->state_dir, "/s"));
		CHECK(c->ntenants == 1 && streq(c->tenants[0].name, "t"));
		CHECK(has(&c->tenants[0].excludes, 2, exc));
	}
	gs_config_free(c);

	/* A 64-character tenant name is longer than inih's section buffer. */
	memset(name64, 'n', 64);
	name64[64] = '\0';
	snprintf(text, sizeof(text),
	         "[agent]\nrepository = /r\nstate_dir = /s\n"
	         "[tenant \"%s\"]\nsource = /a\nwrite_key = /k\n",
	         name64);
	c = gs_config_load(write_ini(text));
	CHECK(c != NULL && gs_config_tenant(c, name64) != NULL);
	gs_config_free(c);

	/* The longest line inih can hold: 198 characters and the newline. */
	memset(line, 'x', sizeof(line));
	snprintf(text, sizeof(text), "[agent]\nrepository = /%.*s\nstate_dir = /s\n", 198 - 14,
	         line);
	c = gs_config_load(write_ini(text));
	CHECK(c != NULL && c->repository != NULL && strlen(c->repository) == 198 - 13);
	gs_config_free(c);
	/* ... also as the last line without a newline */
	snprintf(text, sizeof(text), "[agent]\nstate_dir = /s\nrepository = /%.*s", 198 - 14, line);
	c = gs_config_load(write_ini(text));
	CHECK(c != NULL && c->repository != NULL && strlen(c->repository) == 198 - 13);
	gs_config_free(c);
}

static int nbad;
static int bad_flags; /* gs_config_load_flags() flags of expect_bad_n() */

/*
 * expect_bad(src, text, line, key, what): loading text fails with one message
 * "PATH:LINE: ..." (or "PATH: ..." when line is 0) that contains "key 'KEY'"
 * (unless key is NULL) and what.
 */
static void
expect_bad_n(int src, const char *text, size_t len, int line, const char *key, const char *what)
{
	char prefix[sizeof(path) + 32], keyq[128];
	struct gs_config *c;
	const char *err;
	int ok;

	write_n("bad.ini", text, len);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	snprintf(keyq, sizeof(keyq), "key '%s'", key ? key : "");
	gs_set_quiet(1);
	c = bad_flags ? gs_config_load_flags(path, bad_flags) : gs_config_load(path);
	gs_set_quiet(0);
	err = gs_last_error();
	ok = c == NULL && strncmp(err, prefix, strlen(prefix)) == 0 &&
	     (key == NULL || strstr(err, keyq) != NULL) && strstr(err, what) != NULL;
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  case at line %d: wanted %s... %s ... %s\n  got: %s\n", src,
		        prefix, key ? keyq : "", what, c ? "(loaded)" : err);
	gs_config_free(c);
	nbad++;
}

#define BAD(text, line, key, what) expect_bad_n(__LINE__, text, strlen(text), line, key, what)

/* Three lines that satisfy [agent]; errors in what follows are on line 4+. */
#define AGENT "[agent]\nrepository = /r\nstate_dir = /s\n"
#define TENANT "[tenant \"t\"]\nsource = /a\nwrite_key = /k\n"
#define REMOTE "[remote \"r\"]\nurl = file:///x\nregion = x\n"
/* 43 base64 characters, the length of a SHA256 fingerprint */
#define FPR43 "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"

static void
test_bad_values(void)
{
	/* [agent] */
	BAD(AGENT "host = web 1\n", 4, "host", "bad name");
	BAD(AGENT "host = .web1\n", 4, "host", "(got '.web1')");
	BAD(AGENT "region = eu/central\n", 4, "region", "bad name");
	BAD("[agent]\nrepository = srv/repo\n", 2, "repository", "absolute path");
	BAD("[agent]\nstate_dir = ~/geosnap\n", 2, "state_dir", "absolute path");
	BAD(AGENT "audit_log = audit.jsonl\n", 4, "audit_log", "absolute path");
	BAD(AGENT "metrics_file = x.prom\n", 4, "metrics_file", "absolute path");
	BAD(AGENT "chunk_min = 2K\n", 4, "chunk_min", "must be between 4K and 64M (got '2K')");
	BAD(AGENT "chunk_min = 256 K\n", 4, "chunk_min", "bad size");
	BAD(AGENT "chunk_avg = 768K\n", 4, "chunk_avg", "power of two");
	BAD(AGENT "chunk_max = 128M\n", 4, "chunk_max", "between 4K and 64M");
	BAD(AGENT "chunk_max = 99999999999999999999\n", 4, "chunk_max", "bad size");
	BAD(AGENT "pack_size = 512K\n", 4, "pack_size", "between 1M and 1G");
	BAD(AGENT "pack_size = 2G\n", 4, "pack_size", "between 1M and 1G");
	BAD(AGENT "pack_size = 32MB\n", 4, "pack_size", "bad size");
	BAD(AGENT "compression = 0\n", 4, "compression", "between 1 and 19");
	BAD(AGENT "compression = 20\n", 4, "compression", "between 1 and 19");
	BAD(AGENT "compression = -1\n", 4, "compression", "bad number");
	BAD(AGENT "compression = 3.5\n", 4, "compression", "bad number");
	BAD(AGENT "threads = 0\n", 4, "threads", "between 1 and 64");
	BAD(AGENT "threads = 65\n", 4, "threads", "between 1 and 64");
	BAD(AGENT "threads = 18446744073709551616\n", 4, "threads", "bad number");
	BAD(AGENT "threads =\n", 4, "threads", "empty value");

	/* [remote] */
	/* the exact message */
	BAD(AGENT "[remote \"r\"]\nurl = sftp://u:pw@h/p\n", 5, "url",
	    "bad URL, expected sftp://[user@]host[:port]/path or file:///path (got "
	    "'sftp://u:pw@h/p')");
	BAD(AGENT "[remote \"r\"]\nurl = http://h/p\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nurl = sftp://host\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nurl = sftp:///path\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nurl = sftp://@h/p\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nurl = sftp://h:99999/p\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nurl = sftp://h:/p\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nurl = sftp://h:2x/p\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nurl = sftp://h o/p\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nurl = file://relative\n", 5, "url", "bad URL");
	BAD(AGENT "[remote \"r\"]\nidentity = id_ed25519\n", 5, "identity", "absolute");
	BAD(AGENT "[remote \"r\"]\nknown_hosts = kh\n", 5, "known_hosts", "absolute");
	BAD(AGENT "[remote \"r\"]\nfingerprint = MD5:aa:bb\n", 5, "fingerprint", "bad fingerprint");
	BAD(AGENT "[remote \"r\"]\nfingerprint = SHA256:short\n", 5, "fingerprint",
	    "bad fingerprint");
	BAD(AGENT "[remote \"r\"]\nregion = eu north\n", 5, "region", "bad name");
	BAD(AGENT "[remote \"r\"]\nconnections = 0\n", 5, "connections", "between 1 and 16");
	BAD(AGENT "[remote \"r\"]\nconnections = 17\n", 5, "connections", "between 1 and 16");
	BAD(AGENT "[remote \"r\"]\nbandwidth_limit = 10 MB/s\n", 5, "bandwidth_limit", "bad size");
	BAD(AGENT "[remote \"r\"]\ntimeout = 0\n", 5, "timeout", "between 1s and 1d");
	BAD(AGENT "[remote \"r\"]\ntimeout = 2d\n", 5, "timeout", "between 1s and 1d");
	BAD(AGENT "[remote \"r\"]\ntimeout = 30\n", 5, "timeout", "bad duration");

	/* [policy] */
	BAD(AGENT "[policy]\nallowed_regions = eu-central,,eu-north\n", 5, "allowed_regions",
	    "empty item");
	BAD(AGENT "[policy]\nallowed_regions = eu-central,\n", 5, "allowed_regions", "empty item");
	BAD(AGENT "[policy]\nallowed_regions = eu central\n", 5, "allowed_regions",
	    "bad region name 'eu central'");
	BAD(AGENT "[policy]\nallowed_regions = a, b, a\n", 5, "allowed_regions",
	    "'a' is listed twice");
	BAD(AGENT "[policy]\nverify_sample = 3\n", 5, "verify_sample", "bad percentage");
	BAD(AGENT "[policy]\nverify_sample = 101%\n", 5, "verify_sample", "bad percentage");
	BAD(AGENT "[policy]\nverify_sample = 0.00001%\n", 5, "verify_sample", "bad percentage");

	/* [tenant] */
	BAD(AGENT "[tenant \"t\"]\nsource = srv/data\n", 5, "source", "absolute path");
	BAD(AGENT "[tenant \"t\"]\nsource = /a\nsource = /b\nsource = /a\n", 7, "source",
	    "listed twice");
	BAD(AGENT "[tenant \"t\"]\nexclude = *.tmp,,*.bak\n", 5, "exclude", "empty item");
	BAD(AGENT "[tenant \"t\"]\nexclude = *.tmp\nexclude = *.bak, *.tmp\n", 6, "exclude",
	    "'*.tmp' is listed twice");
	BAD(AGENT "[tenant \"t\"]\nwrite_key = keys/t.write\n", 5, "write_key", "absolute");
	BAD(AGENT "[tenant \"t\"]\nread_key = t.read\n", 5, "read_key", "absolute");
	BAD(AGENT "[tenant \"t\"]\nallowed_regions = ,\n", 5, "allowed_regions", "empty item");
	BAD(AGENT "[tenant \"t\"]\none_file_system = maybe\n", 5, "one_file_system", "bad boolean");
}

static void
test_bad_structure(void)
{
	char text[512], name[80];

	/* The exact message for the commonest mistake. */
	BAD(AGENT "foo = bar\n", 4, "foo", "[agent] key 'foo': unknown key (got 'bar')");
	BAD(AGENT "[policy]\nkeep_hourly = 3\n", 5, "keep_hourly",
	    "[policy] key 'keep_hourly': unknown key");
	BAD(AGENT "[remote \"r\"]\nuser = x\n", 5, "user", "[remote \"r\"] key 'user'");
	BAD(AGENT "[tenant \"t\"]\nsources = /a\n", 5, "sources", "[tenant \"t\"] key 'sources'");
	BAD(AGENT "[tenant \"t\"]\nSource = /a\n", 5, "Source", "unknown key");
	BAD(AGENT "= x\n", 4, "", "unknown key");
	/* a key that belongs to another section */
	BAD(AGENT "[policy]\nrepository = /r\n", 5, "repository", "unknown key");

	/* single-valued keys set twice */
	BAD(AGENT "host = a\nhost = b\n", 5, "host", "set twice, first on line 4 (got 'b')");
	BAD("[agent]\nrepository = /r\nrepository = /r\n", 3, "repository", "set twice");
	BAD(AGENT "[policy]\nverify_sample = 1%\nverify_sample = 1%\n", 6, "verify_sample",
	    "set twice");
	BAD(AGENT "[remote \"r\"]\nurl = file:///x\nurl = file:///y\n", 6, "url", "set twice");
	BAD(AGENT "[tenant \"t\"]\nallowed_regions = a\nallowed_regions = b\n", 6,
	    "allowed_regions", "set twice");
	BAD(AGENT "[tenant \"t\"]\nwrite_key = /k\nwrite_key = /k\n", 6, "write_key", "set twice");

	/* sections */
	BAD("[agnet]\n", 1, NULL, "[agnet]: unknown section");
	BAD(AGENT "[Agent]\n", 4, NULL, "unknown section");
	BAD(AGENT "[remote]\n", 4, NULL, "unknown section");
	BAD(AGENT "[remote fi1]\n", 4, NULL, "double quotes");
	BAD(AGENT "[tenant 'acme']\n", 4, NULL, "double quotes");
	BAD(AGENT "[tenant \"acme]\n", 4, NULL, "double quotes");
	BAD(AGENT "[tenant \"\"]\n", 4, NULL, "bad tenant name");
	BAD(AGENT "[tenant \"a b\"]\n", 4, NULL, "bad tenant name");
	BAD(AGENT "[tenant \"a\"b\"]\n", 4, NULL, "bad tenant name");
	BAD(AGENT "[tenant \".hidden\"]\n", 4, NULL, "bad tenant name");
	BAD(AGENT "[remote \"../x\"]\n", 4, NULL, "bad remote name");
	BAD(AGENT "[remote \"local\"]\n", 4, NULL, "reserved");
	memset(name, 'n', 65);
	name[65] = '\0';
	snprintf(text, sizeof(text), AGENT "[tenant \"%s\"]\n", name);
	BAD(text, 4, NULL, "bad tenant name");
	BAD(AGENT "[agent]\n", 4, NULL, "[agent]: duplicate section, first on line 1");
	BAD(AGENT "[policy]\n[policy]\n", 5, NULL, "[policy]: duplicate section, first on line 4");
	BAD(AGENT REMOTE "[remote \"r\"]\n", 7, NULL,
	    "[remote \"r\"]: duplicate section, first on line 4");
	BAD(AGENT TENANT "\n[tenant \"t\"]\n", 8, NULL,
	    "[tenant \"t\"]: duplicate section, first on line 4");
	BAD("host = web1\n[agent]\n", 1, "host", "not inside a section");

	/* line syntax */
	BAD(AGENT "[tenant \"t\"\n", 4, NULL, "bad section header");
	BAD(AGENT "[policy] keep_daily = 7\n", 4, NULL, "bad section header");
	BAD(AGENT "just some words\n", 4, NULL, "expected '[section]' or 'key = value'");
	BAD(AGENT "host ; = x\n", 4, NULL, "expected '[section]' or 'key = value'");
	BAD(AGENT "host = web1\n  web2\n", 5, NULL, "continuation lines are not supported");
	BAD(AGENT "[tenant \"t\"]\nsource = /a\n\tsource = /b\n", 6, NULL, "continuation");
	memset(text, 0, sizeof(text));
	strcpy(text, AGENT "repository = /");
	memset(text + strlen(text), 'x', 200);
	strcat(text, "\nstate_dir = /s\n");
	BAD(text, 4, NULL, "line longer than 198 characters");
	expect_bad_n(__LINE__, AGENT "host = a\0b\n", sizeof(AGENT "host = a\0b\n") - 1, 4, NULL,
	             "NUL byte");
}

/*
 * Keys of the audit log and of offboarding: each bad value is refused
 * naming the file, the line and the key.  (No key is "not supported yet"
 * any more: retention and offboarding take effect.)
 */
static void
test_more_keys(void)
{
	BAD("[agent]\naudit_key = k\nrepository = /r\nstate_dir = /s\n", 2, "audit_key",
	    "must be an absolute path");
	BAD("[agent]\naudit_syslog = maybe\nrepository = /r\nstate_dir = /s\n", 2, "audit_syslog",
	    "audit_syslog");
	BAD("[agent]\naudit_retention = 1h\nrepository = /r\nstate_dir = /s\n", 2,
	    "audit_retention", "audit_retention");
	/* offboarding (issue 11): a legal hold needs its reason */
	BAD(AGENT TENANT "offboarded = 2026-13-01\n", 7, "offboarded", "bad date");
	BAD(AGENT TENANT "legal_hold = 2027-01-01\nsource = /b\n", 7, "legal_hold",
	    "needs legal_hold_reason");
	BAD(AGENT TENANT "legal_hold_reason = a\tb\n", 7, "legal_hold_reason",
	    "control characters");
	BAD(AGENT "[policy]\nerasure_deadline = 7d\n", 5, "erasure_deadline",
	    "must be at least offboard_grace");
	{
		struct gs_config *c = gs_config_load(
		    write_ini(AGENT "[policy]\noffboard_grace = 7d\nerasure_deadline = 30d\n" TENANT
		                    "offboarded = 2026-01-01\nlegal_hold = 2026-06-30\n"
		                    "legal_hold_reason = claim 4711, Oslo court\n"));

		CHECK(c != NULL);
		if (c != NULL) {
			CHECK(c->policy.offboard_grace_s == 7 * DAY);
			CHECK(c->policy.erasure_deadline_s == 30 * DAY);
			CHECK(c->tenants[0].offboarded == 1767225600);
			CHECK(c->tenants[0].legal_hold == 1782777600);
			CHECK(streq(c->tenants[0].legal_hold_reason, "claim 4711, Oslo court"));
		}
		gs_config_free(c);
	}
	/* keys that were never part of the configuration stay unknown */
	BAD(AGENT "[policy]\nkeep_within = 3d\n", 5, "keep_within", "unknown key");
}

/* loads_for_restore(src, text): text loads with GS_CONFIG_FOR_RESTORE;
 * the config (the caller frees it), or NULL after a failed CHECK. */
static struct gs_config *
loads_for_restore(int src, const char *text)
{
	struct gs_config *c;

	gs_set_quiet(1);
	c = gs_config_load_flags(write_ini(text), GS_CONFIG_FOR_RESTORE);
	gs_set_quiet(0);
	CHECK(c != NULL);
	if (c == NULL)
		fprintf(stderr, "  case at line %d: refused: %s\n", src, gs_last_error());
	return c;
}

#define RESTORE_OK(text) gs_config_free(loads_for_restore(__LINE__, text))

/* GS_CONFIG_FOR_RESTORE: what only the agent needs is optional, the rest is
 * checked as for the agent. */
/* Retention: policy keys, per-tenant overrides, and a policy (or a
 * tenant's effective one) that keeps nothing refused naming file:line:key. */
static void
test_retention_keys(void)
{
	struct gs_config *c = gs_config_load(
	    write_ini(AGENT "[policy]\nkeep_last = 3\nkeep_yearly = 2\nmax_age = 400d\n" TENANT
	                    "keep_daily = 0\nkeep_weekly = 0\nmax_age = 30d\n"));

	CHECK(c != NULL && c->policy.keep_last == 3 && c->policy.keep_yearly == 2);
	CHECK(c != NULL && c->policy.max_age_s == 400 * DAY && c->policy.keep_daily == 7);
	CHECK(c != NULL && c->tenants[0].keep_daily == 0 && c->tenants[0].max_age_s == 30 * DAY);
	CHECK(c != NULL && c->tenants[0].keep_last == -1 && c->tenants[0].keep_monthly == -1);
	gs_config_free(c);
	BAD(AGENT "[policy]\nkeep_last = 0\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\n", 8,
	    "keep_monthly", "keeps nothing");
	BAD(AGENT "[policy]\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\nkeep_last = 0\n", 8,
	    "keep_last", "keeps nothing");
	BAD(AGENT "[policy]\nmax_age = 12h\n", 5, "max_age", "shorter than a day");
	BAD(AGENT "[policy]\nkeep_last = 0\n" TENANT "keep_daily = 0\nkeep_weekly = 0\n"
	          "keep_monthly = 0\none_file_system = no\n",
	    11, "keep_monthly",
	    "[tenant \"t\"] key 'keep_monthly': the retention policy keeps nothing");
	BAD(AGENT "[policy]\nkeep_last = -1\n", 5, "keep_last", "keep_last");
	BAD(AGENT "[policy]\nmax_age = 1000000d\n", 5, "max_age", "max_age");
}

static void
test_for_restore(void)
{
	struct gs_config *c;

	/* the bare restore host: a remote and a read key, nothing else */
	c = loads_for_restore(__LINE__, "[remote \"fi1\"]\n"
	                                "url = sftp://geosnap@fi1.example.net:22/srv/geosnap\n"
	                                "identity = /etc/geosnap/id_ed25519\n"
	                                "fingerprint = SHA256:" FPR43 "\n"
	                                "[tenant \"acme\"]\n"
	                                "read_key = /etc/geosnap/keys/acme.read\n");
	if (c != NULL) {
		CHECK(c->repository == NULL && c->state_dir == NULL && c->host == NULL);
		CHECK(c->nremotes == 1 && c->remotes[0].region == NULL);
		CHECK(c->remotes[0].connections == 2 && c->remotes[0].timeout_s == 30);
		CHECK(streq(c->remotes[0].fingerprint, "SHA256:" FPR43));
		CHECK(c->ntenants == 1 && c->tenants[0].sources.n == 0);
		CHECK(c->tenants[0].write_key == NULL);
		CHECK(streq(c->tenants[0].read_key, "/etc/geosnap/keys/acme.read"));
	}
	gs_config_free(c);

	/* each case test_bad_missing() refuses for the agent */
	RESTORE_OK("[agent]\nstate_dir = /s\n");
	RESTORE_OK("\n\n[agent]\nrepository = /r\n");
	RESTORE_OK("[policy]\nverify_sample = 3%\n");
	RESTORE_OK("");
	RESTORE_OK(AGENT REMOTE "[remote \"fi2\"]\nurl = file:///y\n");
	RESTORE_OK(AGENT "[tenant \"acme\"]\nwrite_key = /k\n");
	RESTORE_OK(AGENT TENANT "\n[tenant \"acme\"]\nsource = /srv/data/acme\n");
	RESTORE_OK(AGENT "[tenant \"empty\"]\n");

	/* ... but what is there is still checked, with the same messages */
	bad_flags = GS_CONFIG_FOR_RESTORE;
	BAD("[remote \"fi1\"]\nregion = eu-north\n", 1, NULL,
	    "[remote \"fi1\"] missing required key 'url'");
	BAD("[tenant \"acme\"]\nread_key = relative\n", 2, "read_key", "must be an absolute path");
	BAD("[tenant \"acme\"]\nsource = relative\n", 2, "source", "must be an absolute path");
	BAD("[agent]\nthreads = 0\n", 2, "threads", "must be between 1 and 64");
	BAD("[agent]\nchunk_avg = 8M\n", 2, "chunk_avg", "less than chunk_max (4M)");
	BAD("[remote \"r\"]\nurl = ftp://x/y\n", 2, "url", "bad URL");
	BAD("[remote \"r\"]\nurl = file:///x\nfingerprint = MD5:x\n", 3, "fingerprint",
	    "bad fingerprint");
	BAD("[tenant \"acme\"]\ncolour = blue\n", 2, "colour", "unknown key");
	BAD("[bogus]\n", 1, NULL, "unknown section");
	bad_flags = 0;

	/* the agent still refuses the bare restore host's configuration */
	BAD("[tenant \"acme\"]\nread_key = /k\n", 0, NULL, "missing required section [agent]");
}

static void
test_bad_missing(void)
{
	/* required keys, reported at their section's header line */
	BAD("[agent]\nstate_dir = /s\n", 1, NULL, "[agent] missing required key 'repository'");
	BAD("\n\n[agent]\nrepository = /r\n", 3, NULL, "[agent] missing required key 'state_dir'");
	BAD("[policy]\nverify_sample = 3%\n", 0, NULL, "missing required section [agent]");
	BAD("", 0, NULL, "missing required section [agent]");
	BAD(AGENT "[remote \"fi1\"]\nregion = eu-north\n", 4, NULL,
	    "[remote \"fi1\"] missing required key 'url'");
	BAD(AGENT REMOTE "[remote \"fi2\"]\nurl = file:///y\n", 7, NULL,
	    "[remote \"fi2\"] missing required key 'region'");
	BAD(AGENT "[tenant \"acme\"]\nwrite_key = /k\n", 4, NULL,
	    "[tenant \"acme\"] missing required key 'source'");
	BAD(AGENT TENANT "\n[tenant \"acme\"]\nsource = /srv/data/acme\n", 8, NULL,
	    "[tenant \"acme\"] missing required key 'write_key'");
	BAD(AGENT "[tenant \"empty\"]\n", 4, NULL, "[tenant \"empty\"] missing required key");

	/* rules between keys, blamed on the key set last */
	BAD(AGENT "chunk_min = 1M\n", 4, "chunk_min",
	    "must be less than chunk_avg (1M) (got '1M')");
	BAD(AGENT "chunk_avg = 256K\n", 4, "chunk_avg",
	    "must be greater than chunk_min (256K) (got '256K')");
	BAD(AGENT "chunk_max = 1M\nchunk_avg = 2M\n", 5, "chunk_avg",
	    "must be less than chunk_max (1M) (got '2M')");
	BAD(AGENT "chunk_avg = 8M\n", 4, "chunk_avg", "less than chunk_max (4M)");
	BAD(AGENT "chunk_avg = 8M\nchunk_max = 8M\n", 5, "chunk_max",
	    "must be greater than chunk_avg (8M) (got '8M')");
	/* (offboard_grace <= erasure_deadline waits for those keys) */

	/* the file itself */
	snprintf(path, sizeof(path), "%s/no-such.ini", dir);
	gs_set_quiet(1);
	CHECK(gs_config_load(path) == NULL);
	gs_set_quiet(0);
	{
		char want[sizeof(path) + 64];

		snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
		CHECK(strcmp(gs_last_error(), want) == 0);
	}
	gs_set_quiet(1);
	CHECK(gs_config_load(dir) == NULL);
	gs_set_quiet(0);
	CHECK(strstr(gs_last_error(), "Is a directory") != NULL);
}

/* cleanup(): remove the scratch directory and everything in it. */
static void
cleanup(void)
{
	char p[sizeof(path) + 256];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	CHECK(rmdir(dir) == 0);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_cli_example();
	test_all_keys();
	test_defaults();
	test_syntax();
	test_bad_values();
	test_bad_structure();
	test_bad_missing();
	test_more_keys();
	test_retention_keys();
	test_for_restore();
	CHECK(nbad > 100);
	cleanup();
	return tap_done();
}
