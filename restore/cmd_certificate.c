/*
 * cmd_certificate.c -- geosnap-restore certificate --tenant T --output FILE
 * [--format text|html] [--log FILE] [--pubkey FILE] [--from REMOTE]: hand
 * a departed tenant's deletion certificate to the customer.
 *
 * The agent that erased the tenant wrote the certificate twice: the
 * "deletion-certificate" record in its signed audit log, and a document
 * (state_dir/certificates/T.DATE.txt and .html, DATE the offboarded date,
 * named by the record) signed with the same audit
 * key (T.txt.minisig, T.html.minisig), whose SHA-256 the record carries.
 * This command finds the record in the verified log (restore/report/
 * cert.c), checks that the document is the one the record names and that
 * its signature verifies with the audit public key, and copies the
 * document and its signature to FILE and FILE.minisig (found in
 * state_dir/certificates/, beside the log, or with --from REMOTE where the
 * agent published them, log/<host>/certificates/ on that remote): the customer checks
 * them with stock `minisign -Vm FILE -p audit.pub`.  No secret key is
 * needed here.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cmd.h"
#include "geosnap/minisig.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "report/report.h"

#define DOC_MAX ((size_t)256 << 20)
#define SIG_MAX ((size_t)64 << 10)

static const char usage[] =
    "usage: geosnap-restore certificate --tenant T --output FILE [--format text|html]\n"
    "         [--log FILE] [--pubkey FILE] [--from REMOTE]\n"
    "  Write tenant T's deletion certificate (text, the default, or print-friendly\n"
    "  HTML) to FILE and its minisign signature by the audit key to FILE.minisig;\n"
    "  check them with: minisign -Vm FILE -p audit.pub.  The certificate is the\n"
    "  document the agent signed when it erased T (state_dir/certificates/), checked\n"
    "  against the deletion-certificate record of the verified audit log (--log,\n"
    "  --pubkey and --from as for report).  Exit 1 when there is no certificate\n"
    "  or it does not match the log.\n";

/* pub_for(a, cfg, host, ret): the audit public key of host: --pubkey, its
 * [host] section, else the public half of [agent] audit_key.  0 or -1. */
static int
pub_for(const struct gs_cmd_args *a, const struct gs_config *cfg, const char *host,
        struct gs_ms_pub *ret)
{
	const struct gs_host_conf *h;
	struct gs_ms_sec *k;

	if (a->pubkey != NULL)
		return gs_ms_pub_load(a->pubkey, ret);
	if (cfg != NULL && (h = gs_config_host(cfg, host)) != NULL && h->audit_pubkey != NULL)
		return gs_ms_pub_load(h->audit_pubkey, ret);
	if (cfg == NULL || cfg->audit_key == NULL || (k = gs_ms_sec_load(cfg->audit_key)) == NULL) {
		gs_warn("certificate: no audit public key for host %s: give --pubkey FILE", host);
		return -1;
	}
	gs_ms_pub_of(k, ret);
	gs_ms_sec_free(k);
	return 0;
}

/* local_doc(cfg, log, name): the document's path in state_dir/
 * certificates/, else in certificates/ beside the log, malloc'd; NULL
 * when neither has it. */
static char *
local_doc(const struct gs_config *cfg, const char *log, const char *name)
{
	char *dirs[2] = {NULL, NULL}, *copy = log != NULL ? gs_strdup(log) : NULL, *ret = NULL;

	if (cfg != NULL && cfg->state_dir != NULL)
		dirs[0] = gs_asprintf("%s/certificates/%s", cfg->state_dir, name);
	if (copy != NULL)
		dirs[1] = gs_asprintf("%s/certificates/%s", dirname(copy), name);
	for (int i = 0; i < 2 && ret == NULL; i++)
		if (dirs[i] != NULL && access(dirs[i], R_OK) == 0) {
			ret = dirs[i];
			dirs[i] = NULL;
		}
	free(dirs[0]);
	free(dirs[1]);
	free(copy);
	return ret;
}

/* load_doc(a, cfg, log, host, name, doc, dlen, sig, slen): the document
 * and its signature: local (local_doc), else with --from REMOTE from the
 * remote's log/<host>/certificates/.  0, or -1 (warned). */
static int
load_doc(const struct gs_cmd_args *a, const struct gs_config *cfg, const char *log,
         const char *host, const char *name, uint8_t **doc, size_t *dlen, uint8_t **sig,
         size_t *slen)
{
	const struct gs_remote_conf *rc = NULL;
	struct gs_transport *tp = NULL;
	char *path = local_doc(cfg, log, name), *spath = NULL;
	int r = -1;

	if (path != NULL) {
		if ((spath = gs_asprintf("%s.minisig", path)) != NULL &&
		    gs_read_file(path, DOC_MAX, doc, dlen) == 0 &&
		    gs_read_file(spath, SIG_MAX, sig, slen) == 0)
			r = 0;
	} else if (a->t.from != NULL && cfg != NULL &&
	           (rc = gs_config_remote(cfg, a->t.from)) != NULL) {
		if ((path = gs_asprintf("log/%s/certificates/%s", host, name)) != NULL &&
		    (spath = gs_asprintf("%s.minisig", path)) != NULL &&
		    (tp = gs_tp_open(rc)) != NULL &&
		    gs_tp_read_all(tp, path, DOC_MAX, doc, dlen) == 0 &&
		    gs_tp_read_all(tp, spath, SIG_MAX, sig, slen) == 0)
			r = 0;
		gs_tp_close(tp);
	}
	if (r != 0)
		gs_warn("certificate: cannot read the signed document %s and its signature (in "
		        "state_dir/certificates/, certificates/ beside the log%s)",
		        name, rc != NULL ? ", or log/HOST/certificates/ on the remote" : "");
	free(spath);
	free(path);
	return r;
}

/* doc_name_ok(s, tenant, ext): s is "<tenant>.<anything>.<ext>" of
 * [A-Za-z0-9._-] (a record is not trusted to name a path). */
static int
doc_name_ok(const char *s, const char *tenant, const char *ext)
{
	size_t l = s != NULL ? strlen(s) : 0, tl = strlen(tenant), el = strlen(ext);

	if (l == 0 || l >= 96 || l <= tl + el + 2 || strncmp(s, tenant, tl) != 0 || s[tl] != '.' ||
	    s[l - el - 1] != '.' || strcmp(s + l - el, ext) != 0)
		return 0;
	for (size_t i = 0; i < l; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		            s[i]))
			return 0;
	return 1;
}

/* check_copy(a, cfg, log, it, ext): find, check and copy the document. */
static int
check_copy(const struct gs_cmd_args *a, const struct gs_config *cfg, const char *log,
           const struct gs_ritem *it, const char *ext)
{
	const char *want =
	    gs_arec_str(&it->r, strcmp(ext, "txt") == 0 ? "document_sha256" : "html_sha256");
	char name[96], *out_sig = NULL, hex[65], trusted[GS_MS_TRUSTED_MAX], why[256];
	unsigned char sha[crypto_hash_sha256_BYTES];
	uint8_t hash[GS_MS_HASH_LEN], *doc = NULL, *sig = NULL;
	size_t dlen = 0, slen = 0;
	struct gs_ms_pub pub;
	int rc = GS_EXIT_PROBLEM;

	const char *doc_name =
	    gs_arec_str(&it->r, strcmp(ext, "txt") == 0 ? "document" : "html_document");

	if (want == NULL || !doc_name_ok(doc_name, it->tenant, ext)) {
		gs_warn("certificate: the record of seq %llu names no usable %s document",
		        (unsigned long long)it->r.seq, ext);
		return rc;
	}
	snprintf(name, sizeof(name), "%s", doc_name);
	if (load_doc(a, cfg, log, it->r.host, name, &doc, &dlen, &sig, &slen))
		goto out;
	crypto_hash_sha256(sha, doc, dlen);
	sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
	if (strcmp(hex, want) != 0) {
		gs_warn("certificate: %s is not the document the log certifies (SHA-256 %s, the "
		        "record of seq %llu says %s)",
		        name, hex, (unsigned long long)it->r.seq, want);
		goto out;
	}
	if (pub_for(a, cfg, it->r.host, &pub)) {
		rc = GS_EXIT_USAGE;
		goto out;
	}
	crypto_generichash(hash, sizeof(hash), doc, dlen, NULL, 0);
	if (gs_ms_verify(&pub, hash, (const char *)sig, slen, trusted, why, sizeof(why))) {
		gs_warn("certificate: %s.minisig: %s", name, why);
		goto out;
	}
	rc = GS_EXIT_FAIL;
	if ((out_sig = gs_asprintf("%s.minisig", a->output)) == NULL)
		goto out;
	if (gs_write_file_replace(a->output, doc, dlen, 0644, 1) ||
	    gs_write_file_replace(out_sig, sig, slen, 0644, 1)) {
		gs_warnp("certificate: %s", a->output);
		goto out;
	}
	rc = GS_EXIT_OK;
out:
	free(out_sig);
	free(doc);
	free(sig);
	return rc;
}

/* gs_cmd_certificate(g, argc, argv): the certificate command; returns the
 * exit status. */
int
gs_cmd_certificate(struct gs_cli *g, int argc, char **argv)
{
	struct gs_report_src src = {0};
	const struct gs_ritem *it = NULL;
	struct gs_config *cfg = NULL;
	struct gs_report r = {0};
	struct gs_cmd_args a;
	const char *ext;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_TENANT | GS_OPT_FROM | GS_OPT_FORMAT | GS_OPT_OUTPUT |
	                           GS_OPT_LOG)) >= 0)
		return rc;
	rc = GS_EXIT_USAGE;
	if (a.t.repo || a.t.key || a.t.identity || a.t.known_hosts || a.t.host_key ||
	    a.t.connections || g->stats) {
		rc = gs_cmd_usage_error(usage, "certificate: takes --from REMOTE only, no other "
		                               "where-from option");
		goto out;
	}
	if (a.t.tenant == NULL || a.output == NULL || strcmp(a.output, "-") == 0) {
		rc = gs_cmd_usage_error(usage, "certificate: --tenant T and --output FILE (not -) "
		                               "are required");
		goto out;
	}
	if (a.format == NULL || strcmp(a.format, "text") == 0)
		ext = "txt";
	else if (strcmp(a.format, "html") == 0)
		ext = "html";
	else {
		rc = gs_cmd_usage_error(usage, "certificate: --format text or html");
		goto out;
	}
	if ((rc = gs_cmd_config(g, &cfg)) != GS_EXIT_OK)
		goto out;
	src.cfg = cfg;
	src.log = a.log;
	src.pubkey = a.pubkey;
	src.from = a.t.from;
	if ((rc = gs_report_cert_lookup(&r, &src, a.t.tenant, &it)) != GS_EXIT_OK)
		goto out;
	if (it == NULL) {
		gs_warn("certificate: no deletion certificate of tenant %s in a verified audit log",
		        a.t.tenant);
		rc = GS_EXIT_PROBLEM;
		goto out;
	}
	rc = check_copy(&a, cfg,
	                a.log != NULL ? a.log
	                : cfg != NULL ? cfg->audit_log
	                              : NULL,
	                it, ext);
	if (rc == GS_EXIT_OK && !g->quiet)
		printf("deletion certificate of tenant %s (record %llu of host %s, %s): %s and "
		       "%s.minisig written; record, document and signature checked\n",
		       a.t.tenant, (unsigned long long)it->r.seq, it->r.host, it->r.time, a.output,
		       a.output);
out:
	gs_report_free(&r);
	gs_config_free(cfg);
	gs_cmd_args_clear(&a);
	return rc;
}
