/*
 * cmd_session.c -- reaching a tenant for a geosnap-restore command: the
 * configuration (if any), the repository (local, a configured remote or
 * --from sftp://...), the read key and its passphrase, and the reader; and
 * what a command prints about it at the end (--stats).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd.h"
#include "geosnap/config.h"
#include "geosnap/repo.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "read/pass.h"
#include "read/reader.h"
#include "read/rkey.h"

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

/*
 * gs_cmd_config(g, ret): the configuration (-c, $GEOSNAP_CONFIG or the
 * default file when it exists), loaded for geosnap-restore, into *ret (NULL
 * when there is none).  GS_EXIT_OK, or GS_EXIT_USAGE (warned, naming file,
 * line and key).  Free with gs_config_free.
 */
int
gs_cmd_config(const struct gs_cli *g, struct gs_config **ret)
{
	const char *cpath = config_path(g);

	*ret = NULL;
	if (cpath != NULL && (*ret = gs_config_load_flags(cpath, GS_CONFIG_FOR_RESTORE)) == NULL)
		return GS_EXIT_USAGE;
	return GS_EXIT_OK;
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
	uint64_t n = GS_CONFIG_DEFAULT_CONNECTIONS;

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
	rc->timeout_s = GS_CONFIG_DEFAULT_TIMEOUT_S;
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
 * The remote to read from: that of --from URL (made into s->url_remote), a
 * configured one (--from REMOTE), or none (the local repository).
 * GS_EXIT_OK with *ret set, or the exit status to use (warned).
 */
static int
pick_remote(const struct gs_target *t, const char *cpath, struct gs_session *s,
            const struct gs_remote_conf **ret)
{
	int rc;

	*ret = NULL;
	if (t->from != NULL && is_url(t->from)) {
		if ((rc = url_remote(t, &s->url_remote)) != GS_EXIT_OK)
			return rc;
		*ret = s->url_remote;
		return GS_EXIT_OK;
	}
	if (t->identity != NULL || t->known_hosts != NULL || t->host_key != NULL ||
	    t->connections != NULL) {
		gs_warn("--identity, --known-hosts, --host-key and --connections go with --from "
		        "sftp://...; a configured remote sets its own");
		return GS_EXIT_USAGE;
	}
	if (t->from == NULL || strcmp(t->from, "local") == 0)
		return GS_EXIT_OK;
	if (s->cfg == NULL) {
		gs_warn("--from %s: no configuration names that remote (give -c FILE, or "
		        "--from sftp://USER@HOST[:PORT]/PATH with --identity and "
		        "--known-hosts or --host-key)",
		        t->from);
		return GS_EXIT_USAGE;
	}
	if ((*ret = gs_config_remote(s->cfg, t->from)) == NULL) {
		gs_warn("%s: no remote named %s", cpath, t->from);
		return GS_EXIT_USAGE;
	}
	if (t->repo != NULL) {
		gs_warn("--repo and --from %s exclude each other", t->from);
		return GS_EXIT_USAGE;
	}
	return GS_EXIT_OK;
}

/* The read key file: --key, else the configuration's (tc); NULL (warned)
 * when there is none. */
static const char *
pick_key(const struct gs_target *t, const char *cpath, const struct gs_session *s,
         const struct gs_tenant_conf *tc)
{
	const char *key = t->key != NULL ? t->key : tc != NULL ? tc->read_key : NULL;

	if (key != NULL)
		return key;
	if (s->cfg != NULL && tc == NULL && t->repo == NULL)
		gs_warn("%s: no tenant %s", cpath, t->tenant);
	else
		gs_warn("tenant %s: no read key (give --key FILE or set read_key in the "
		        "configuration)",
		        t->tenant);
	return NULL;
}

/*
 * Open the repository: connect to remote (host key and identity, before
 * the passphrase is asked for), or, without one, check the local
 * repository repo.  GS_EXIT_OK with *ret and s->repo_path (and s->remote)
 * set, or the exit status to use (warned; s->repo_path NULL).
 */
static int
reach(const struct gs_remote_conf *remote, const char *repo, struct gs_session *s,
      struct gs_repo **ret)
{
	struct gs_repo *r;

	if (remote != NULL) {
		if ((r = gs_repo_open_remote(remote)) == NULL) {
			/* our identity or known_hosts: 2; the server or the
			 * link (host key, authentication, unreachable): 3 */
			return gs_tp_last_errkind(NULL) == GS_TP_ERR_CONFIG ? GS_EXIT_USAGE
			                                                    : GS_EXIT_FAIL;
		}
		s->remote = remote;
		if ((s->repo_path = gs_strdup(remote->name)) == NULL) {
			gs_repo_free(r);
			return GS_EXIT_FAIL;
		}
		*ret = r;
		return GS_EXIT_OK;
	}
	/* Absolute, because restore changes into the target directory. */
	if ((s->repo_path = realpath(repo, NULL)) == NULL) {
		gs_warnp("%s: repository", repo);
		return GS_EXIT_FAIL;
	}
	/* Cheap checks before asking for the passphrase. */
	if ((*ret = gs_repo_open(s->repo_path)) == NULL) {
		free(s->repo_path);
		s->repo_path = NULL;
		return GS_EXIT_FAIL;
	}
	return GS_EXIT_OK;
}

/*
 * Ask for the passphrase of the read key file key, load the key and open
 * the reader on r (taken, also on failure; GS_READER_* flags).  GS_EXIT_OK
 * with s->key and s->rd set, or the exit status to use (warned).
 */
static int
unlock(const struct gs_target *t, const char *key, struct gs_repo *r, int flags,
       struct gs_session *s)
{
	char prompt[128];
	size_t plen;
	char *pass;
	int fd, why;

	if ((fd = gs_keyfile_open(key)) < 0)
		goto err0;
	close(fd);
	snprintf(prompt, sizeof(prompt), "Passphrase for the read key of tenant %s: ", t->tenant);
	if ((pass = gs_pass_get(prompt, 0, &plen)) == NULL)
		goto err0;
	s->key = gs_rkey_load(key, t->tenant, pass, plen);
	gs_pass_free(pass);
	if (s->key == NULL)
		goto err0;
	if ((s->rd = gs_reader_open_repo(r, s->key, flags, &why)) == NULL) {
		/* the reader took r */
		gs_rkey_free(s->key);
		s->key = NULL;
		return why == 1 ? GS_EXIT_PROBLEM : GS_EXIT_FAIL;
	}
	return GS_EXIT_OK;

err0:
	gs_repo_free(r);
	return GS_EXIT_USAGE;
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
	const struct gs_remote_conf *remote;
	const char *cpath, *repo, *key;
	struct gs_repo *r;
	int rc;

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
	if ((rc = pick_remote(t, cpath, s, &remote)) != GS_EXIT_OK)
		goto err0;
	rc = GS_EXIT_USAGE;
	repo = t->repo != NULL ? t->repo : s->cfg != NULL ? s->cfg->repository : NULL;
	if (repo == NULL && remote == NULL) {
		gs_warn("no repository: give --repo PATH, --from sftp://USER@HOST[:PORT]/PATH "
		        "(see --help) or a configuration (-c FILE)");
		goto err0;
	}
	if ((key = pick_key(t, cpath, s, tc)) == NULL)
		goto err0;
	if ((rc = reach(remote, repo, s, &r)) != GS_EXIT_OK)
		goto err0;
	if ((rc = unlock(t, key, r, flags, s)) != GS_EXIT_OK)
		goto err1;
	s->stats = g->stats;
	s->t_ready = gs_mono_ns();
	return GS_EXIT_OK;

err1:
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
	/* docs/CLI.md: a problem (1) outranks warnings (4). */
	if ((rc == GS_EXIT_OK || rc == GS_EXIT_WARN) && s->rd != NULL && gs_reader_damaged(s->rd))
		rc = GS_EXIT_PROBLEM;
	gs_cmd_stats(s);
	gs_cmd_close(s);
	return rc;
}
