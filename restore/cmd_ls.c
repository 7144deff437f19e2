/*
 * cmd_ls.c -- geosnap-restore ls --tenant T [SNAPSHOT] [PATH]
 */
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cmd.h"
#include "geosnap/util.h"
#include "extract/entry.h"
#include "read/reader.h"

static const char usage[] =
    "usage: geosnap-restore ls --tenant T [--key FILE]\n"
    "                          [--from local|REMOTE|URL] [--repo PATH]\n"
    "                          [--identity FILE] [--known-hosts FILE]\n"
    "                          [--host-key SHA256:...] [--connections N]\n"
    "                          [--json] [--snapshot ID] [SNAPSHOT] [PATH]\n"
    "  List the entries of a snapshot (default: the latest), or of the part of it\n"
    "  under PATH.  A single operand is taken as SNAPSHOT when it is 'latest' or\n"
    "  6-32 hex digits, else as PATH.  --json prints one JSON object per line.\n"
    "  The chosen snapshot's ID, time and host are printed on stderr (also with\n"
    "  -q), so that stdout is only the listing.  \"latest\" is refused (exit 1)\n"
    "  when the newest snapshot is dated more than an hour ahead of this host's\n"
    "  clock: its time may be forged; choose one by its ID (see snapshots).\n" GS_CMD_TARGET_USAGE;

static void
mode_string(const struct gs_mentry *e, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	uint32_t m = e->mode;
	int i;

	switch (e->type) {
	case GS_FT_DIR:
		out[0] = 'd';
		break;
	case GS_FT_SYMLINK:
		out[0] = 'l';
		break;
	case GS_FT_FIFO:
		out[0] = 'p';
		break;
	case GS_FT_CHR:
		out[0] = 'c';
		break;
	case GS_FT_BLK:
		out[0] = 'b';
		break;
	case GS_FT_SOCK:
		out[0] = 's';
		break;
	default:
		out[0] = '-';
	}
	for (i = 0; i < 9; i++)
		out[1 + i] = (m & (0400u >> i)) ? rwx[i] : '-';
	if (m & 04000)
		out[3] = (m & 0100) ? 's' : 'S';
	if (m & 02000)
		out[6] = (m & 0010) ? 's' : 'S';
	if (m & 01000)
		out[9] = (m & 0001) ? 't' : 'T';
	out[10] = '\0';
}

static void
print_text(const struct gs_mentry *e)
{
	char mode[12], owner[520], name[256], size[48], tm[64], q[8192];

	mode_string(e, mode);
	if (e->acl != NULL) /* as ls -l marks an ACL */
		strcat(mode, "+");
	/* Names come from the snapshot, which the production host wrote. */
	if (e->uname != NULL)
		snprintf(owner, sizeof(owner), "%s", gs_entry_quote(e->uname, name, sizeof(name)));
	else
		snprintf(owner, sizeof(owner), "%u", (unsigned)e->uid);
	if (e->gname != NULL)
		snprintf(owner + strlen(owner), sizeof(owner) - strlen(owner), "/%s",
		         gs_entry_quote(e->gname, name, sizeof(name)));
	else
		snprintf(owner + strlen(owner), sizeof(owner) - strlen(owner), "/%u",
		         (unsigned)e->gid);
	if (e->type == GS_FT_CHR || e->type == GS_FT_BLK)
		snprintf(size, sizeof(size), "%u,%u", major((dev_t)e->rdev), minor((dev_t)e->rdev));
	else
		snprintf(size, sizeof(size), "%llu",
		         (unsigned long long)(e->type == GS_FT_FILE ? e->size : 0));
	gs_iso_time(tm, sizeof(tm), e->mtime_sec);
	printf("%-11s %-17s %12s %s %s", mode, owner, size, tm,
	       gs_entry_quote(e->path, q, sizeof(q)));
	if (e->type == GS_FT_SYMLINK && e->link != NULL)
		printf(" -> %s", gs_entry_quote(e->link, q, sizeof(q)));
	else if (e->type == GS_FT_HARDLINK && e->link != NULL)
		printf(" link to %s", gs_entry_quote(e->link, q, sizeof(q)));
	putchar('\n');
}

static void
print_json(const struct gs_mentry *e)
{
	char tm[64], hex[33];
	uint32_t i;

	gs_iso_time(tm, sizeof(tm), e->mtime_sec);
	printf("{\"path\":");
	gs_json_str(stdout, e->path);
	printf(",\"type\":\"%s\",\"mode\":\"%04o\",\"uid\":%u,\"gid\":%u",
	       gs_entry_type_name(e->type), (unsigned)(e->mode & 07777), (unsigned)e->uid,
	       (unsigned)e->gid);
	if (e->uname != NULL) {
		printf(",\"user\":");
		gs_json_str(stdout, e->uname);
	}
	if (e->gname != NULL) {
		printf(",\"group\":");
		gs_json_str(stdout, e->gname);
	}
	printf(",\"mtime\":\"%s\",\"mtime_sec\":%lld,\"mtime_nsec\":%u", tm,
	       (long long)e->mtime_sec, (unsigned)e->mtime_nsec);
	if (e->type == GS_FT_FILE) {
		gs_hex(hex, e->hash, 16);
		printf(",\"size\":%llu,\"xxh128\":\"%s\",\"chunks\":%u",
		       (unsigned long long)e->size, hex, (unsigned)e->nchunks);
	}
	if (e->type == GS_FT_CHR || e->type == GS_FT_BLK)
		printf(",\"rdev\":%llu,\"major\":%u,\"minor\":%u", (unsigned long long)e->rdev,
		       major((dev_t)e->rdev), minor((dev_t)e->rdev));
	if (e->link != NULL) {
		printf(",\"link\":");
		gs_json_str(stdout, e->link);
	}
	if (e->nxattrs > 0) {
		printf(",\"xattrs\":[");
		for (i = 0; i < e->nxattrs; i++) {
			if (i > 0)
				putchar(',');
			gs_json_str(stdout, e->xattrs[i].name);
		}
		putchar(']');
	}
	if (e->acl != NULL) {
		printf(",\"acl\":");
		gs_json_str(stdout, e->acl);
	}
	printf("}\n");
}

static int
looks_like_snapshot(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "latest") == 0)
		return 1;
	if (n < 6 || n > 32)
		return 0;
	return strspn(s, "0123456789abcdefABCDEF") == n;
}

/*
 * The snapshot and the path prefix the operands (and --snapshot) name.
 * One operand is a snapshot if it looks like one ("latest" or hex), else a
 * path: "ls --tenant T docs" lists docs in the latest snapshot.  The
 * prefix is normalised into pbuf ("./a/b/" and "/a/b" mean "a/b"; "" and
 * "." mean everything: NULL).  GS_EXIT_OK, or GS_EXIT_USAGE (warned).
 */
static int
operands(const struct gs_cmd_args *a, const char **ret_spec, const char **ret_prefix, char *pbuf,
         size_t cap)
{
	const char *spec = a->snapshot, *prefix = NULL;
	size_t i = 0, plen;

	if (spec == NULL && a->nargs > 0 && (a->nargs >= 2 || looks_like_snapshot(a->args[0])))
		spec = a->args[i++];
	if (i < a->nargs)
		prefix = a->args[i++];
	if (i < a->nargs)
		return gs_cmd_usage_error(usage, "ls: unexpected argument '%s'", a->args[i]);
	if (a->t.tenant == NULL)
		return gs_cmd_usage_error(usage, "ls: --tenant is required");
	if (prefix != NULL) {
		while (prefix[0] == '/' || (prefix[0] == '.' && prefix[1] == '/'))
			prefix += prefix[0] == '/' ? 1 : 2;
		plen = strlen(prefix);
		if (plen >= cap)
			return gs_cmd_usage_error(usage, "ls: path too long");
		memcpy(pbuf, prefix, plen + 1);
		while (plen > 0 && pbuf[plen - 1] == '/')
			pbuf[--plen] = '\0';
		prefix = (plen == 0 || strcmp(pbuf, ".") == 0) ? NULL : pbuf;
	}
	*ret_spec = spec;
	*ret_prefix = prefix;
	return GS_EXIT_OK;
}

/*
 * Print the entries of snap under prefix (NULL: all) on stdout; the exit
 * status (a damaged manifest, or another snapshot that could not be
 * opened, is a problem).
 */
static int
list(struct gs_session *s, const struct gs_rsnap *snap, const char *prefix, int json,
     int others_bad)
{
	struct gs_manifest *m;
	struct gs_mentry e;
	int mrc, rc;

	if ((m = gs_reader_manifest_open(s->rd, snap)) == NULL)
		return GS_EXIT_FAIL;
	while ((mrc = gs_reader_manifest_next(m, &e)) == 0) {
		if (prefix == NULL || gs_reader_path_under(e.path, prefix)) {
			if (json)
				print_json(&e);
			else
				print_text(&e);
		}
		gs_mentry_clear(&e);
	}
	gs_reader_manifest_free(m);
	/* A snapshot that could not be opened is a problem even if not this one. */
	rc = (mrc < 0 || others_bad) ? GS_EXIT_PROBLEM : GS_EXIT_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		gs_warnp("stdout");
		rc = GS_EXIT_FAIL;
	}
	return rc;
}

/* gs_cmd_ls(g, argc, argv): list a snapshot's entries; returns the exit status. */
int
gs_cmd_ls(struct gs_cli *g, int argc, char **argv)
{
	const char *spec = NULL, *prefix = NULL;
	struct gs_cmd_args a;
	struct gs_rsnap snap;
	struct gs_session s;
	char pbuf[4096];
	int rc, others_bad;

	if ((rc = gs_cmd_parse(g, &a, argc, argv, usage,
	                       GS_OPT_READS | GS_OPT_JSON | GS_OPT_SNAPSHOT | GS_OPT_OPERANDS)) >=
	    0)
		return rc;
	if ((rc = operands(&a, &spec, &prefix, pbuf, sizeof(pbuf))) != GS_EXIT_OK)
		return rc;
	if ((rc = gs_cmd_open_snapshot(g, &a.t, spec, &s, &snap, &others_bad)) != GS_EXIT_OK)
		return rc;
	rc = list(&s, &snap, prefix, a.json, others_bad);
	gs_reader_snap_clear(&snap);
	return gs_cmd_finish(&s, rc);
}
