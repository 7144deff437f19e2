/*
 * cmd_keygen.c -- geosnap-restore keygen --tenant T --out DIR, and
 * keygen --audit --out DIR (the audit log's minisign signing pair).
 */
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "geosnap/config.h"
#include "geosnap/minisig.h"
#include "geosnap/util.h"
#include "read/pass.h"
#include "read/rkey.h"

static const char usage[] =
    "usage: geosnap-restore keygen --tenant T --out DIR\n"
    "       geosnap-restore keygen --audit --out DIR\n"
    "  Make DIR/T.write (the agent's write key, cannot decrypt) and DIR/T.read\n"
    "  (the read key, sealed with a passphrase from $GEOSNAP_PASSPHRASE_FILE or\n"
    "  typed twice on the terminal).  Existing files are never overwritten.\n"
    "  $GEOSNAP_PWHASH=interactive|moderate|sensitive sets the Argon2id cost\n"
    "  (default moderate).\n"
    "  With --audit: make DIR/audit.key (the agent's audit signing key, not\n"
    "  encrypted, mode 0600, for [agent] audit_key) and DIR/audit.pub (for\n"
    "  auditors), in minisign's formats: `minisign -Vm LOG -p audit.pub`\n"
    "  checks the signed audit log.\n";

/* audit_pair(g, out): keygen --audit (out made, 0700, when missing); the
 * exit status. */
static int
audit_pair(const struct gs_cli *g, const char *out)
{
	char id[17];

	if (gs_mkdir_p(out, 0700))
		return GS_EXIT_FAIL;
	if (gs_ms_keygen(out, id))
		return access(out, W_OK) == 0 ? GS_EXIT_USAGE : GS_EXIT_FAIL;
	if (!g->quiet)
		fprintf(
		    stderr,
		    "geosnap-restore: wrote %s/audit.key (for the agent: [agent] audit_key) and "
		    "%s/audit.pub (key id %s, for auditors)\n",
		    out, out, id);
	return GS_EXIT_OK;
}

/* gs_cmd_keygen(g, argc, argv): make a tenant's key pair; returns the exit status. */
int
gs_cmd_keygen(struct gs_cli *g, int argc, char **argv)
{
	struct gs_cmd_args a;
	const char *tenant, *out;
	char prompt[128], path[4096];
	size_t plen;
	char *pass;
	int rc, i;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_TENANT | GS_OPT_OUT | GS_OPT_AUDIT)) >= 0)
		return rc;
	if (a.audit) {
		if (a.out == NULL || a.t.tenant != NULL)
			return gs_cmd_usage_error(usage, "keygen --audit: --out is required, "
			                                 "and --tenant is not taken");
		return audit_pair(g, a.out);
	}
	tenant = a.t.tenant;
	out = a.out;
	if (tenant == NULL || out == NULL)
		return gs_cmd_usage_error(usage, "keygen: --tenant and --out are required");

	if (!gs_valid_name(tenant))
		return gs_cmd_usage_error(usage, "keygen: invalid tenant name '%s'", tenant);
	/* Say so before asking for a passphrase; gs_keygen() checks again. */
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s.%s", out, tenant, i ? "read" : "write");
		if (access(path, F_OK) == 0) {
			gs_warn("%s: already exists; refusing to overwrite a key file", path);
			return GS_EXIT_USAGE;
		}
	}

	snprintf(prompt, sizeof(prompt), "New passphrase for the read key of tenant %s: ", tenant);
	if ((pass = gs_pass_get(prompt, 1, &plen)) == NULL)
		return GS_EXIT_USAGE;
	rc = gs_keygen(tenant, out, pass, plen);
	gs_pass_free(pass);
	if (rc == 1)
		return GS_EXIT_USAGE;
	if (rc != 0)
		return GS_EXIT_FAIL;
	if (!g->quiet)
		fprintf(stderr,
		        "geosnap-restore: wrote %s/%s.write (for the agent) and %s/%s.read "
		        "(keep it and its passphrase safe)\n",
		        out, tenant, out, tenant);
	return GS_EXIT_OK;
}
