/*
 * cmd_shred.c -- geosnap-restore shred --tenant T [--log FILE] [--pubkey
 * FILE] [--from REMOTE] KEYFILE...: destroy the read-key files of a tenant
 * whose erasure is certified, and record it.
 *
 * Every KEYFILE must be a read key of T (its header, docs/FORMAT.md) or
 * nothing is done (exit 2); the tenant's deletion certificate must be in a
 * verified audit log (as for certificate; exit 1 without one).  Each file
 * is then fingerprinted (BLAKE2b-256), overwritten with zeros, synced and
 * unlinked, and one signed "shred" record goes into this host's own audit
 * log ([agent] audit_log and audit_key, as the restore-test host keeps
 * one; without them exit 2).  Overwriting in place does not reach copies
 * a file system or an SSD keeps elsewhere (docs/OPERATIONS.md).
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cmd.h"
#include "geosnap/audit.h"
#include "geosnap/util.h"
#include "report/report.h"

static const char usage[] =
    "usage: geosnap-restore shred --tenant T [--log FILE] [--pubkey FILE] [--from REMOTE]\n"
    "         KEYFILE...\n"
    "  Destroy read-key files of tenant T once its erasure is certified (its\n"
    "  deletion certificate is in the verified audit log; --log, --pubkey and\n"
    "  --from as for report): each KEYFILE must be a read key of T; it is\n"
    "  overwritten with zeros and unlinked, and a signed shred record names its\n"
    "  BLAKE2b-256 fingerprint.  Needs this host's [agent] audit_log and\n"
    "  audit_key (exit 2 without).  Exit 1 when the erasure is not certified.\n";

/* is_read_key(path, tenant): 1 when path is a read key of tenant (header:
 * "GSRK", u32 version, u16 tenant_len, tenant), else 0 (warned). */
static int
is_read_key(const char *path, const char *tenant)
{
	uint8_t *buf = NULL;
	size_t len = 0, tl;
	int ok = 0;

	if (gs_read_file(path, GS_RKEY_FILE_MAX, &buf, &len) != 0) {
		gs_warn("shred: %s: cannot read it", path);
		return 0;
	}
	if (len >= 10 && memcmp(buf, GS_RKEY_MAGIC, 4) == 0) {
		tl = (size_t)buf[8] | (size_t)buf[9] << 8;
		ok = len >= 10 + tl && tl == strlen(tenant) && memcmp(buf + 10, tenant, tl) == 0;
	}
	if (!ok)
		gs_warn("shred: %s is not a read key of tenant %s: nothing shredded", path, tenant);
	free(buf);
	return ok;
}

/* shred(path, m): fingerprint, overwrite, unlink; one JSON object into m.
 * 0 or -1 (warned). */
static int
shred(const char *path, FILE *m, int first)
{
	unsigned char h[32];
	char hex[65], *copy;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, rc = -1;

	if (gs_read_file(path, GS_RKEY_FILE_MAX, &buf, &len) != 0)
		return -1;
	crypto_generichash(h, sizeof(h), buf, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	sodium_memzero(buf, len);
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (len > 0 && write(fd, buf, len) != (ssize_t)len) || fsync(fd) != 0) {
		gs_warnp("shred: %s: cannot overwrite it", path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (unlink(path) != 0) {
		gs_warnp("shred: %s", path);
		goto out;
	}
	if ((copy = gs_strdup(path)) != NULL) {
		gs_fsync_dir(dirname(copy));
		free(copy);
	}
	fprintf(m, "%s{\"path\":", first ? "" : ",");
	gs_json_str(m, path);
	fprintf(m, ",\"blake2b_256\":\"%s\",\"bytes\":%zu}", hex, len);
	rc = 0;
out:
	free(buf);
	return rc;
}

/* gs_cmd_shred(g, argc, argv): the shred command; returns the exit status. */
int
gs_cmd_shred(struct gs_cli *g, int argc, char **argv)
{
	struct gs_report_src src = {0};
	const struct gs_ritem *it = NULL;
	struct gs_config *cfg = NULL;
	struct gs_report r = {0};
	struct gs_audit_conf ac;
	struct gs_audit_rec rec;
	struct gs_cmd_args a;
	char *files = NULL;
	size_t flen = 0, done = 0;
	FILE *m;
	int rc;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_TENANT | GS_OPT_FROM | GS_OPT_LOG | GS_OPT_OPERANDS)) >= 0)
		return rc;
	rc = GS_EXIT_USAGE;
	if (a.t.repo || a.t.key || a.t.identity || a.t.known_hosts || a.t.host_key ||
	    a.t.connections || g->stats) {
		rc = gs_cmd_usage_error(usage, "shred: takes --from REMOTE only, no other "
		                               "where-from option");
		goto out;
	}
	if (a.t.tenant == NULL || a.nargs == 0) {
		rc = gs_cmd_usage_error(usage, "shred: --tenant T and at least one KEYFILE");
		goto out;
	}
	if ((rc = gs_cmd_config(g, &cfg)) != GS_EXIT_OK)
		goto out;
	rc = GS_EXIT_USAGE;
	if (cfg == NULL || cfg->audit_log == NULL || cfg->audit_key == NULL) {
		gs_warn("shred: records what it destroys in this host's signed audit log: set "
		        "[agent] audit_log and audit_key");
		goto out;
	}
	for (size_t i = 0; i < a.nargs; i++)
		if (!is_read_key(a.args[i], a.t.tenant))
			goto out;
	src.cfg = cfg;
	src.log = a.log;
	src.pubkey = a.pubkey;
	src.from = a.t.from;
	if ((rc = gs_report_cert_lookup(&r, &src, a.t.tenant, &it)) != GS_EXIT_OK)
		goto out;
	if (it == NULL) {
		gs_warn("shred: the erasure of tenant %s is not certified (no deletion certificate "
		        "in a verified audit log): nothing shredded",
		        a.t.tenant);
		rc = GS_EXIT_PROBLEM;
		goto out;
	}
	rc = GS_EXIT_FAIL;
	if ((m = open_memstream(&files, &flen)) == NULL)
		goto out;
	fputc('[', m);
	for (size_t i = 0; i < a.nargs; i++)
		if (shred(a.args[i], m, done == 0) == 0)
			done++;
	fputc(']', m);
	if (fclose(m) != 0)
		goto out;
	gs_audit_conf_of(cfg, &ac);
	if (gs_audit_rec_init(&rec, "shred"))
		goto out;
	gs_audit_rec_str(&rec, "tenant", a.t.tenant);
	gs_audit_rec_int(&rec, "status", done == a.nargs ? GS_EXIT_OK : GS_EXIT_FAIL);
	gs_audit_rec_u64(&rec, "certificate_seq", it->r.seq);
	gs_audit_rec_str(&rec, "certificate_host", it->r.host);
	gs_audit_rec_raw(&rec, "key_files", files);
	if (gs_audit_write(&ac, &rec) < 0)
		goto out;
	if (!g->quiet)
		printf("tenant %s: %zu read-key file%s shredded (certificate: record %llu of host "
		       "%s); recorded\n",
		       a.t.tenant, done, done == 1 ? "" : "s", (unsigned long long)it->r.seq,
		       it->r.host);
	rc = done == a.nargs ? GS_EXIT_OK : GS_EXIT_FAIL;
out:
	free(files);
	gs_report_free(&r);
	gs_config_free(cfg);
	gs_cmd_args_clear(&a);
	return rc;
}
