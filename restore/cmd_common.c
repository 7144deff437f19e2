/*
 * cmd_common.c -- what every geosnap-restore command shares: reaching a
 * tenant (configuration, repository, read key, passphrase) and printing.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd.h"
#include "geosnap/config.h"
#include "geosnap/repo.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "extract/entry.h"
#include "read/pass.h"
#include "read/reader.h"
#include "read/rkey.h"

/*
 * gs_cmd_common_opt(g, opt, arg): handle -c/-q/-v given after a command;
 * 1 if opt was one of them, 0 otherwise.
 */
int
gs_cmd_common_opt(struct gs_cli *g, int opt, const char *arg)
{
	switch (opt) {
	case 'c':
		g->config = arg;
		return 1;
	case 'q':
		g->quiet = 1;
		return 1;
	case 'v':
		g->verbose++;
		return 1;
	case OPT_STATS:
		g->stats = 1;
		return 1;
	default:
		return 0;
	}
}

/* gs_cmd_target_opt(t, opt, arg): see cmd.h. */
int
gs_cmd_target_opt(struct gs_target *t, int opt, const char *arg)
{
	switch (opt) {
	case OPT_TENANT:
		t->tenant = arg;
		return 1;
	case OPT_FROM:
		t->from = arg;
		return 1;
	case OPT_REPO:
		t->repo = arg;
		return 1;
	case OPT_KEY:
		t->key = arg;
		return 1;
	case OPT_IDENTITY:
		t->identity = arg;
		return 1;
	case OPT_KNOWN_HOSTS:
		t->known_hosts = arg;
		return 1;
	case OPT_HOST_KEY:
		t->host_key = arg;
		return 1;
	case OPT_CONNECTIONS:
		t->connections = arg;
		return 1;
	default:
		return 0;
	}
}

/* gs_cmd_usage_error(usage, fmt, ...): message and usage; GS_EXIT_USAGE. */
int
gs_cmd_usage_error(const char *usage, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gs_warn("%s", msg);
	fprintf(stderr, "%s", usage);
	return GS_EXIT_USAGE;
}

/* The configuration file to read, or NULL when there is none. */
static const char *
config_path(const struct gs_cli *g)
{
	const char *env = getenv("GEOSNAP_CONFIG");
	const char *def;

	if (g->config != NULL)
		return g->config;
	if (env != NULL && *env != '\0')
		return env;
	def = gs_config_default_path();
	if (def != NULL && access(def, F_OK) == 0)
		return def;
	return NULL;
}

/* is_url(from): --from names a URL rather than a remote (whose names have
 * no ':' or '/'). */
static int
is_url(const char *from)
{
	return strstr(from, "://") != NULL;
}

/* url_remote_free(rc): free a remote made by url_remote() (NULL accepted). */
static void
url_remote_free(struct gs_remote_conf *rc)
{
	if (rc == NULL)
		return;
	free(rc->name);
	free(rc->url);
	free(rc->identity);
	free(rc->known_hosts);
	free(rc->fingerprint);
	free(rc);
}

/* abs_file(opt, path): path made absolute (restore changes into its target
 * directory, and the transport reconnects later), or NULL (warned). */
static char *
abs_file(const char *opt, const char *path)
{
	char *p;

	if ((p = realpath(path, NULL)) == NULL)
		gs_warnp("%s %s", opt, path);
	return p;
}

/*
 * url_remote(t, ret): the remote of --from URL: the url, --identity,
 * --known-hosts and/or --host-key, --connections (default 2) and the
 * default timeout.  GS_EXIT_OK with *ret set (free with url_remote_free()),
 * GS_EXIT_USAGE (warned) for a bad or missing option, GS_EXIT_FAIL when
 * out of memory.
 */
static int
url_remote(const struct gs_target *t, struct gs_remote_conf **ret)
{
	struct gs_remote_conf *rc;
	uint64_t n = 2;

	*ret = NULL;
	if (strncmp(t->from, "sftp://", 7) != 0 || !gs_valid_url(t->from)) {
		gs_warn("--from %s: expected the name of a configured remote or a URL "
		        "sftp://[USER@]HOST[:PORT]/PATH (a local copy: --repo PATH)",
		        t->from);
		return GS_EXIT_USAGE;
	}
	if (t->repo != NULL) {
		gs_warn("--repo and --from %s exclude each other", t->from);
		return GS_EXIT_USAGE;
	}
	if (t->identity == NULL) {
		gs_warn("--from %s: give --identity FILE, the SSH private key the remote "
		        "accepts",
		        t->from);
		return GS_EXIT_USAGE;
	}
	if (t->known_hosts == NULL && t->host_key == NULL) {
		gs_warn("--from %s: give --known-hosts FILE and/or --host-key SHA256:... "
		        "(ssh-keygen -lf of the remote's host key): its host key is checked "
		        "strictly",
		        t->from);
		return GS_EXIT_USAGE;
	}
	if (t->host_key != NULL && !gs_valid_fingerprint(t->host_key)) {
		gs_warn("--host-key %s: bad fingerprint, expected 'SHA256:' and 43 base64 "
		        "characters as ssh-keygen -l prints",
		        t->host_key);
		return GS_EXIT_USAGE;
	}
	if (t->connections != NULL && (gs_parse_uint(t->connections, 16, &n) != 0 || n < 1)) {
		gs_warn("--connections %s: expected a number from 1 to 16", t->connections);
		return GS_EXIT_USAGE;
	}
	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		gs_warnp("malloc");
		return GS_EXIT_FAIL;
	}
	rc->connections = (unsigned)n;
	rc->timeout_s = 30;
	if ((rc->name = gs_strdup(t->from)) == NULL || (rc->url = gs_strdup(t->from)) == NULL ||
	    (t->host_key != NULL && (rc->fingerprint = gs_strdup(t->host_key)) == NULL)) {
		url_remote_free(rc);
		return GS_EXIT_FAIL;
	}
	if ((rc->identity = abs_file("--identity", t->identity)) == NULL ||
	    (t->known_hosts != NULL &&
	     (rc->known_hosts = abs_file("--known-hosts", t->known_hosts)) == NULL)) {
		url_remote_free(rc);
		return GS_EXIT_USAGE;
	}
	*ret = rc;
	return GS_EXIT_OK;
}

/*
 * gs_cmd_open(g, t, flags, s): load the configuration if there is one (the
 * keys only geosnap-agent uses are optional), resolve the repository (the
 * local one, a configured remote, or --from sftp://... with --identity and
 * --known-hosts and/or --host-key, which needs no configuration) and the
 * read key, ask for the passphrase, load the key and open a reader
 * (GS_READER_* flags).  Returns GS_EXIT_OK with s filled, or the exit
 * status to use (warned): GS_EXIT_USAGE for bad or missing options and
 * for our own identity or known_hosts being unusable, GS_EXIT_FAIL when
 * the remote cannot be reached or its host key is refused.
 */
int
gs_cmd_open(const struct gs_cli *g, const struct gs_target *t, int flags, struct gs_session *s)
{
	const struct gs_tenant_conf *tc = NULL;
	const struct gs_remote_conf *rc_remote = NULL;
	const char *cpath, *repo, *key;
	char prompt[128];
	struct gs_repo *r = NULL;
	size_t plen;
	char *pass;
	int fd, why, rc = GS_EXIT_USAGE;

	memset(s, 0, sizeof(*s));
	if (!gs_valid_name(t->tenant)) {
		gs_warn("invalid tenant name '%s'", t->tenant);
		return GS_EXIT_USAGE;
	}
	if ((cpath = config_path(g)) != NULL) {
		if ((s->cfg = gs_config_load_flags(cpath, GS_CONFIG_FOR_RESTORE)) == NULL)
			return GS_EXIT_USAGE;
		tc = gs_config_tenant(s->cfg, t->tenant);
	}
	if (t->from != NULL && is_url(t->from)) {
		if ((rc = url_remote(t, &s->url_remote)) != GS_EXIT_OK)
			goto err0;
		rc = GS_EXIT_USAGE;
		rc_remote = s->url_remote;
	} else if (t->identity != NULL || t->known_hosts != NULL || t->host_key != NULL ||
	           t->connections != NULL) {
		gs_warn("--identity, --known-hosts, --host-key and --connections go with --from "
		        "sftp://...; a configured remote sets its own");
		goto err0;
	} else if (t->from != NULL && strcmp(t->from, "local") != 0) {
		if (s->cfg == NULL) {
			gs_warn("--from %s: no configuration names that remote (give -c FILE, or "
			        "--from sftp://USER@HOST[:PORT]/PATH with --identity and "
			        "--known-hosts or --host-key)",
			        t->from);
			goto err0;
		}
		if ((rc_remote = gs_config_remote(s->cfg, t->from)) == NULL) {
			gs_warn("%s: no remote named %s", cpath, t->from);
			goto err0;
		}
		if (t->repo != NULL) {
			gs_warn("--repo and --from %s exclude each other", t->from);
			goto err0;
		}
	}
	repo = t->repo != NULL ? t->repo : s->cfg != NULL ? s->cfg->repository : NULL;
	if (repo == NULL && rc_remote == NULL) {
		gs_warn("no repository: give --repo PATH, --from sftp://USER@HOST[:PORT]/PATH "
		        "(see --help) or a configuration (-c FILE)");
		goto err0;
	}
	key = t->key != NULL ? t->key : tc != NULL ? tc->read_key : NULL;
	if (key == NULL) {
		if (s->cfg != NULL && tc == NULL && t->repo == NULL)
			gs_warn("%s: no tenant %s", cpath, t->tenant);
		else
			gs_warn("tenant %s: no read key (give --key FILE or set read_key in the "
			        "configuration)",
			        t->tenant);
		goto err0;
	}
	if (rc_remote != NULL) {
		/* Connect (host key, identity) before asking for the passphrase. */
		if ((r = gs_repo_open_remote(rc_remote)) == NULL) {
			/* our identity or known_hosts: 2; the server or the
			 * link (host key, authentication, unreachable): 3 */
			rc = gs_tp_last_errkind(NULL) == GS_TP_ERR_CONFIG ? GS_EXIT_USAGE
			                                                  : GS_EXIT_FAIL;
			goto err0;
		}
		s->remote = rc_remote;
		if ((s->repo_path = gs_strdup(rc_remote->name)) == NULL) {
			rc = GS_EXIT_FAIL;
			goto err1;
		}
	} else {
		/* Absolute, because restore changes into the target directory. */
		if ((s->repo_path = realpath(repo, NULL)) == NULL) {
			gs_warnp("%s: repository", repo);
			rc = GS_EXIT_FAIL;
			goto err0;
		}
		/* Cheap checks before asking for the passphrase. */
		if ((r = gs_repo_open(s->repo_path)) == NULL) {
			rc = GS_EXIT_FAIL;
			goto err1;
		}
	}
	if ((fd = gs_keyfile_open(key)) < 0)
		goto err1;
	close(fd);

	snprintf(prompt, sizeof(prompt), "Passphrase for the read key of tenant %s: ", t->tenant);
	if ((pass = gs_pass_get(prompt, 0, &plen)) == NULL)
		goto err1;
	s->key = gs_rkey_load(key, t->tenant, pass, plen);
	gs_pass_free(pass);
	if (s->key == NULL)
		goto err1;
	s->rd = gs_reader_open_repo(r, s->key, flags, &why);
	r = NULL; /* the reader took it */
	if (s->rd == NULL) {
		rc = why == 1 ? GS_EXIT_PROBLEM : GS_EXIT_FAIL;
		goto err2;
	}
	s->stats = g->stats;
	s->t_ready = gs_mono_ns();
	return GS_EXIT_OK;

err2:
	gs_rkey_free(s->key);
	s->key = NULL;
err1:
	gs_repo_free(r);
	free(s->repo_path);
	s->repo_path = NULL;
err0:
	url_remote_free(s->url_remote);
	s->url_remote = NULL;
	gs_config_free(s->cfg);
	s->cfg = NULL;
	return rc;
}

/* gs_cmd_close(s): release everything gs_cmd_open() acquired. */
void
gs_cmd_close(struct gs_session *s)
{
	gs_reader_free(s->rd); /* first: its transports borrow the remote */
	gs_rkey_free(s->key);
	gs_config_free(s->cfg);
	url_remote_free(s->url_remote);
	free(s->repo_path);
	memset(s, 0, sizeof(*s));
}

/* gs_cmd_stats(s): see cmd.h. */
void
gs_cmd_stats(const struct gs_session *s)
{
	struct rusage ru;
	struct gs_fetch_stats fs = {0};
	uint64_t rb, rr;
	double kdf_s;
	long kdf_kib;

	if (!s->stats || s->rd == NULL)
		return;
	if (s->has_fst)
		fs = s->fst;
	gs_reader_read_stats(s->rd, &rb, &rr);
	gs_rkey_kdf_stats(&kdf_s, &kdf_kib);
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		ru.ru_maxrss = 0;
	fprintf(stderr,
	        "geosnap-restore: stats: kdf_s=%.3f kdf_peak_kib=%ld run_s=%.3f peak_kib=%ld "
	        "read_bytes=%llu read_requests=%llu data_read_bytes=%llu packs=%llu workers=%u "
	        "direct_chunks=%llu\n",
	        kdf_s, kdf_kib, (double)(gs_mono_ns() - s->t_ready) / 1e9, ru.ru_maxrss,
	        (unsigned long long)(fs.read_bytes + rb), (unsigned long long)(fs.requests + rr),
	        (unsigned long long)fs.read_bytes, (unsigned long long)fs.packs, fs.workers,
	        (unsigned long long)fs.direct);
}

/* gs_cmd_finish(s, rc): rc (GS_EXIT_OK or GS_EXIT_WARN raised to
 * GS_EXIT_PROBLEM when the reader had to skip a damaged object), then
 * gs_cmd_close(s). */
int
gs_cmd_finish(struct gs_session *s, int rc)
{
	/* CLI.md: a problem (1) outranks warnings (4). */
	if ((rc == GS_EXIT_OK || rc == GS_EXIT_WARN) && s->rd != NULL && gs_reader_damaged(s->rd))
		rc = GS_EXIT_PROBLEM;
	gs_cmd_stats(s);
	gs_cmd_close(s);
	return rc;
}

/*
 * gs_cmd_snapshot(s, spec, ret, ret_others_bad): gs_reader_resolve() with its
 * outcome as an exit status: GS_EXIT_OK with *ret filled and the chosen
 * snapshot named on stderr (always, -q included), GS_EXIT_USAGE (no such or
 * ambiguous snapshot), GS_EXIT_PROBLEM (unreadable or corrupt, or "latest"
 * refused because the newest snapshot is dated in the future).
 */
int
gs_cmd_snapshot(struct gs_session *s, const char *spec, struct gs_rsnap *ret, int *ret_others_bad)
{
	int latest = spec == NULL || strcmp(spec, "latest") == 0;
	char when[64], host[256];

	switch (gs_reader_resolve(s->rd, spec, ret, ret_others_bad)) {
	case 0:
		break;
	case 1:
		return GS_EXIT_USAGE;
	default: /* -1 unreadable, 2 a future-dated "latest" refused */
		return GS_EXIT_PROBLEM;
	}
	/* The time and host are the writer's word: say which snapshot this is,
	 * so that the operator can tell a forged "latest" from last night's. */
	gs_cmd_iso_time(when, sizeof(when), ret->info.time_ns / 1000000000);
	fprintf(stderr, "geosnap-restore: tenant %s: snapshot %s (%s, host %s) chosen %s%s\n",
	        gs_reader_tenant(s->rd), ret->name, when,
	        gs_entry_quote(ret->info.host ? ret->info.host : "", host, sizeof(host)),
	        latest ? "as the latest" : "by its ID",
	        gs_snap_future(&ret->info, gs_now_ns())
	            ? "; it is dated in the future of this host's clock, its time may be forged"
	            : "");
	return GS_EXIT_OK;
}

/* gs_cmd_iso_time(out, cap, sec): "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
void
gs_cmd_iso_time(char *out, size_t cap, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "@%lld", (long long)sec);
}
