/*
 * gather.c -- where the report's logs come from, and their verification:
 * the local log (--log FILE, else the configuration's [agent] audit_log),
 * checked against the copy on --from REMOTE when given, then the log of
 * every other host under the remote's log/.  Each is verified with
 * gs_audit_verify() and its host's public key ([host "NAME"]
 * audit_pubkey, or --pubkey for the local log, else for the
 * configuration's own log the public half of its audit_key); its records
 * reach the report through on_record, in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/audit.h"
#include "geosnap/config.h"
#include "geosnap/minisig.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "report/report.h"

struct walk {
	struct gs_report *r;
	size_t log;
	int full; /* the report could hold no more: stop */
};

/* on_record(arg, seq, line, len): gs_audit_verify's callback. */
static int
on_record(void *arg, uint64_t seq, const char *line, size_t len)
{
	struct walk *w = arg;

	if (gs_report_record(w->r, w->log, seq, line, len)) {
		w->full = 1;
		return 1;
	}
	return 0;
}

/* peek_host(path, ret, cap): the host of the first record of the log at
 * path, to find its key.  0, or -1 (not warned: the verification will
 * say what is wrong). */
static int
peek_host(const char *path, char *ret, size_t cap)
{
	struct gs_arec a;
	char *buf, *nl, why[256];
	size_t len;
	FILE *f;
	int rc = -1;

	/* one line at most: a log is untrusted, its first line bounded */
	if ((buf = malloc(GS_AUDIT_LINE_MAX + 1)) == NULL)
		return -1;
	if ((f = fopen(path, "re")) == NULL) {
		free(buf);
		return -1;
	}
	len = fread(buf, 1, GS_AUDIT_LINE_MAX + 1, f);
	fclose(f);
	if ((nl = memchr(buf, '\n', len)) != NULL &&
	    gs_arec_parse(buf, (size_t)(nl - buf), &a, why, sizeof(why)) == 0) {
		snprintf(ret, cap, "%s", a.host);
		gs_arec_clear(&a);
		rc = 0;
	}
	free(buf);
	return rc;
}

/* key_of(cfg, host): the configured public key file of host, or NULL. */
static const char *
key_of(const struct gs_config *cfg, const char *host)
{
	const struct gs_host_conf *h;

	if (cfg == NULL || host == NULL || (h = gs_config_host(cfg, host)) == NULL)
		return NULL;
	return h->audit_pubkey;
}

/*
 * load_key(l, pubkey, seckey, ret): the public key to check log l with:
 * the file pubkey, else the public half of the secret key file seckey
 * (the local log's own [agent] audit_key).  0; 1 when there is neither;
 * -1 when the one given cannot be read (l->note says so).
 */
static int
load_key(struct gs_rlog *l, const char *pubkey, const char *seckey, struct gs_ms_pub *ret)
{
	struct gs_ms_sec *k;

	if (pubkey != NULL) {
		if (gs_ms_pub_load(pubkey, ret) == 0)
			return 0;
		snprintf(l->note, sizeof(l->note), "cannot read the public key %s", pubkey);
		return -1;
	}
	if (seckey != NULL) {
		if ((k = gs_ms_sec_load(seckey)) != NULL) {
			gs_ms_pub_of(k, ret);
			gs_ms_sec_free(k);
			return 0;
		}
		snprintf(l->note, sizeof(l->note), "cannot read the key %s", seckey);
		return -1;
	}
	return 1;
}

/*
 * verify(r, log, pubkey, seckey, t, host, source, explicit_key): verify
 * one log into a new log of r, with the public key file pubkey or the
 * public half of the secret key file seckey (either may be NULL).  0
 * (whatever the verdict: it is in the report), 1 when explicit_key (the
 * key was given on the command line) could not be read, -1 when the
 * report is full or out of memory (warned).
 */
static int
verify(struct gs_report *r, const char *log, const char *pubkey, const char *seckey,
       struct gs_transport *t, const char *host, const char *source, int explicit_key)
{
	struct gs_audit_vopts o;
	struct gs_ms_pub pub;
	struct gs_rlog *l;
	struct walk w;
	int k;

	if ((l = gs_report_log(r, host, source)) == NULL)
		return -1;
	if ((k = load_key(l, pubkey, seckey, &pub)) != 0) {
		if (k > 0)
			snprintf(l->note, sizeof(l->note),
			         "no public key for host %s: add [host \"%s\"] audit_pubkey = FILE "
			         "to the configuration%s",
			         host ? host : "?", host ? host : "NAME",
			         log != NULL ? ", or give --pubkey FILE" : "");
		return k < 0 && explicit_key ? 1 : 0;
	}
	gs_ms_keyid_hex(pub.keyid, l->keyid);
	memset(&o, 0, sizeof(o));
	o.log = log;
	o.pub = &pub;
	o.remote = t;
	o.host = host;
	o.on_record = on_record;
	w.r = r;
	w.log = r->nlogs - 1;
	w.full = 0;
	o.arg = &w;
	l->vrc = gs_audit_verify(&o, &l->v);
	l = &r->logs[w.log];
	if (w.full)
		return -1;
	if (l->vrc == -1 && l->v.why[0] == '\0')
		snprintf(l->v.why, sizeof(l->v.why), "%s", gs_last_error());
	return 0;
}

/* remote_hosts(r, src, t, done): every host directory under the remote's
 * log/ but done (the local log's host, already checked with it). */
static int
remote_hosts(struct gs_report *r, const struct gs_report_src *src, struct gs_transport *t,
             const char *done)
{
	struct gs_tp_entry *v;
	size_t n, i;
	char *source;
	int rc;

	if ((rc = gs_tp_list(t, "log", &v, &n)) < 0) {
		gs_warn("report: remote %s: cannot list log/", src->from);
		return GS_EXIT_FAIL;
	}
	for (i = 0, rc = 0; i < n && rc == 0; i++) {
		if (!v[i].is_dir)
			continue;
		if (!gs_valid_name(v[i].name)) {
			gs_warn(
			    "report: remote %s: log/ holds a directory that is not a host name; "
			    "skipped",
			    src->from);
			continue;
		}
		if (done != NULL && strcmp(v[i].name, done) == 0)
			continue;
		if ((source = gs_asprintf("remote %s: log/%s/", src->from, v[i].name)) == NULL) {
			rc = -1;
			break;
		}
		rc = verify(r, NULL, key_of(src->cfg, v[i].name), NULL, t, v[i].name, source, 0);
		free(source);
	}
	gs_tp_list_free(v, n);
	return rc ? GS_EXIT_FAIL : GS_EXIT_OK;
}

/*
 * gs_report_gather(r, src): verify every log src names and add it and its
 * records to r: the local log (checked against the remote's copy when
 * src->from is set), then every other host under the remote's log/.  A
 * log that does not verify or has no public key is recorded in r (a gap),
 * not an error.  GS_EXIT_OK, GS_EXIT_USAGE (no log at all, an unknown
 * remote, an unreadable public key given with --pubkey) or GS_EXIT_FAIL
 * (the remote cannot be reached or listed, out of memory); warned.
 */
int
gs_report_gather(struct gs_report *r, const struct gs_report_src *src)
{
	const struct gs_config *cfg = src->cfg;
	const char *local = src->log ? src->log : cfg ? cfg->audit_log : NULL;
	const struct gs_remote_conf *rc = NULL;
	struct gs_transport *t = NULL;
	char hbuf[256], *source = NULL;
	const char *host = NULL, *done = NULL, *pub, *sec;
	int ret = GS_EXIT_FAIL, v;

	if (local == NULL && src->from == NULL) {
		gs_warn("report: no audit log: set [agent] audit_log in the configuration, or "
		        "give --log FILE or --from REMOTE");
		return GS_EXIT_USAGE;
	}
	if (src->from != NULL) {
		if (cfg == NULL || (rc = gs_config_remote(cfg, src->from)) == NULL) {
			gs_warn("report: --from %s: no remote of that name in the configuration",
			        src->from);
			return GS_EXIT_USAGE;
		}
		if ((t = gs_tp_open(rc)) == NULL)
			return gs_tp_last_errkind(NULL) == GS_TP_ERR_CONFIG ? GS_EXIT_USAGE
			                                                    : GS_EXIT_FAIL;
	}
	if (local != NULL) {
		host = src->log == NULL && cfg != NULL ? cfg->host : NULL;
		if (host == NULL && peek_host(local, hbuf, sizeof(hbuf)) == 0)
			host = hbuf;
		source =
		    t ? gs_asprintf("%s, against remote %s", local, src->from) : gs_strdup(local);
		if (source == NULL)
			goto out;
		pub = src->pubkey ? src->pubkey : key_of(cfg, host);
		/* The configuration's own log: the public half of its audit_key
		 * will do, as for log verify. */
		sec = pub == NULL && src->log == NULL && cfg != NULL ? cfg->audit_key : NULL;
		v = verify(r, local, pub, sec, t, host, source, src->pubkey != NULL);
		if (v != 0) {
			ret = v > 0 ? GS_EXIT_USAGE : GS_EXIT_FAIL;
			goto out;
		}
		done = r->logs[r->nlogs - 1].host;
	}
	ret = t != NULL ? remote_hosts(r, src, t, done) : GS_EXIT_OK;
out:
	free(source);
	gs_tp_close(t);
	return ret;
}
