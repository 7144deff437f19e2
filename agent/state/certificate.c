/*
 * certificate.c -- the deletion certificate of an offboarded tenant
 * (docs/AUDIT.md, "deletion-certificate"): the signed "deletion-
 * certificate" audit record, and the same facts as a standalone document
 * for the customer, state_dir/certificates/<tenant>.<offboarded>.txt and
 * .html, each
 * with its minisign signature by the audit key (.minisig), which stock
 * `minisign -Vm FILE -p audit.pub` verifies.  The record carries the
 * documents' SHA-256, so geosnap-restore certificate can check that a
 * document is the one the verified log certifies.
 *
 * Once recorded, the documents are published to every remote beside the
 * shipped audit log, log/<host>/certificates/ (gs_erasure_ship_docs), so
 * that geosnap-restore certificate --from REMOTE finds them on a host that
 * has no copy of this state_dir.
 *
 * The objects removed from each copy are listed in full in the documents;
 * the record lists them too when they fit (REMOVED_INLINE_MAX bytes of
 * JSON for all copies, well under the log's 64 KiB line limit), and
 * always carries the SHA-256 of each copy's list.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/audit.h"
#include "geosnap/config.h"
#include "geosnap/minisig.h"
#include "geosnap/state.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

#define REMOVED_INLINE_MAX (40u * 1024)
#define GS_TENANT_NAME_MAX 64 /* gs_valid_name */
#define LIST_MAX ((size_t)256 << 20)

/* gs_cert_doc_stem(tenant, offboarded): "<tenant>.<YYYY-MM-DD>",
 * malloc'd, or NULL (warned). */
char *
gs_cert_doc_stem(const char *tenant, int64_t offboarded)
{
	char d[GS_ISO_TIME_MAX];

	gs_iso_time(d, sizeof(d), offboarded);
	d[10] = '\0';
	return gs_asprintf("%s.%s", tenant, d);
}

/* gs_cert_doc_path(state_dir, stem, ext): "state_dir/certificates/
 * <stem>.<ext>", malloc'd, or NULL (warned). */
char *
gs_cert_doc_path(const char *state_dir, const char *stem, const char *ext)
{
	return gs_asprintf("%s/certificates/%s.%s", state_dir, stem, ext);
}

/* The copies' lists, loaded. */
struct lists {
	char **text; /* per copy: "SIZE PATH\n" lines, NUL-ended */
	size_t n;
};

static void
lists_free(struct lists *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->text[i]);
	free(l->text);
}

static int
lists_load(const char *state_dir, const struct gs_erasure *e, struct lists *l)
{
	if ((l->text = calloc(e->ncopies + 1, sizeof(*l->text))) == NULL)
		return -1;
	for (l->n = 0; l->n < e->ncopies; l->n++) {
		char *p = gs_erasure_list_path(state_dir, e->tenant, e->copies[l->n].name);
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc = p != NULL ? gs_read_file(p, LIST_MAX, &buf, &len) : -1;

		free(p);
		if (rc < 0)
			return -1;
		if ((l->text[l->n] = malloc(len + 1)) == NULL) {
			free(buf);
			return -1;
		}
		if (len > 0)
			memcpy(l->text[l->n], buf, len);
		l->text[l->n][len] = '\0';
		free(buf);
	}
	return 0;
}

static void
day(char out[GS_ISO_TIME_MAX], int64_t sec)
{
	gs_iso_time(out, GS_ISO_TIME_MAX, sec);
	out[10] = '\0';
}

static void
when(char out[GS_ISO_TIME_MAX], int64_t ns)
{
	gs_iso_time(out, GS_ISO_TIME_MAX, ns / GS_NS_PER_S);
}

/* The last copy's erasure time (ns): when the erasure was complete. */
static int64_t
done_ns(const struct gs_erasure *e)
{
	int64_t t = 0;

	for (size_t i = 0; i < e->ncopies; i++)
		if (e->copies[i].time_ns > t)
			t = e->copies[i].time_ns;
	return t;
}

/* doc(f, e, d, l, host, as_html): the certificate as a document. */
static void
doc(FILE *f, const struct gs_erasure *e, const struct gs_erase_dates *d, const struct lists *l,
    const char *host, int as_html)
{
	char a[GS_ISO_TIME_MAX], b[GS_ISO_TIME_MAX], c[GS_ISO_TIME_MAX], x[GS_ISO_TIME_MAX];
	int met = done_ns(e) / GS_NS_PER_S <= d->deadline;

	day(a, d->offboarded);
	day(b, d->grace_end);
	day(c, d->deadline);
	when(x, done_ns(e));
	if (as_html)
		fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		      "<title>Deletion certificate</title><style>body{font-family:serif;"
		      "max-width:50em;margin:2em auto}pre{font-size:80%;white-space:pre-wrap}"
		      "td{padding:0 1em 0 0;vertical-align:top}</style></head><body>\n"
		      "<h1>Deletion certificate</h1>\n<table>\n",
		      f);
	else
		fputs("GEOSNAP DELETION CERTIFICATE\n\n", f);
#define ROW(k, v)                                                                                  \
	do {                                                                                       \
		if (as_html) {                                                                     \
			fputs("<tr><td>" k "</td><td>", f);                                        \
			gs_html_str(f, v);                                                         \
			fputs("</td></tr>\n", f);                                                  \
		} else                                                                             \
			fprintf(f, "%-22s %s\n", k ":", v);                                        \
	} while (0)
	ROW("Tenant", e->tenant);
	ROW("Erased by host", host != NULL ? host : "-");
	ROW("Offboarded", a);
	ROW("Grace period ended", b);
	if (d->hold >= 0) {
		char h[GS_ISO_TIME_MAX];

		day(h, d->hold);
		ROW("Legal hold until", h);
		ROW("Legal hold reason", d->hold_reason != NULL ? d->hold_reason : "-");
	} else
		ROW("Legal hold", "none");
	ROW("Erasure deadline", c);
	ROW("Erasure complete", x);
	ROW("Deadline met", met ? "yes" : "no");
	for (size_t i = 0; i < e->ncopies; i++) {
		const struct gs_erase_copy *cp = &e->copies[i];
		char t[GS_ISO_TIME_MAX], n[128];

		when(t, cp->time_ns);
		snprintf(n, sizeof(n), "%llu objects, %llu bytes", (unsigned long long)cp->objects,
		         (unsigned long long)cp->bytes);
		if (as_html) {
			fputs("</table>\n<h2>Copy ", f);
			gs_html_str(f, cp->name);
			fputs("</h2>\n<table>\n", f);
		} else
			fprintf(f, "\nCopy %s\n", cp->name);
		ROW("Erased at", t);
		ROW("Removed", n);
		ROW("List SHA-256", cp->list_sha256);
		snprintf(n, sizeof(n), "empty: tenants/%s/ no longer exists", e->tenant);
		ROW("Listing after erasure", n);
		if (as_html) {
			fputs("</table>\n<p>Objects removed (size, path under tenants/", f);
			gs_html_str(f, e->tenant);
			fputs("/):</p>\n<pre>", f);
			gs_html_str(f, l->text[i]);
			fputs("</pre>\n<table>\n", f);
		} else {
			fprintf(f, "Objects removed (size, path under tenants/%s/):\n", e->tenant);
			for (const char *p = l->text[i]; *p;) {
				const char *nl = strchr(p, '\n');
				size_t len = nl ? (size_t)(nl - p) : strlen(p);

				fprintf(f, "  %.*s\n", (int)len, p);
				p += len + (nl != NULL);
			}
		}
	}
	if (as_html)
		fputs("</table>\n<h2>Keys destroyed</h2>\n<table>\n", f);
	else
		fputs("\nKeys destroyed\n", f);
	ROW("Write key file", e->key_path != NULL ? e->key_path : "-");
	ROW("BLAKE2b-256 before", e->key_fp[0] && strcmp(e->key_fp, "absent") != 0
	                              ? e->key_fp
	                              : "none: the file was already gone");
#undef ROW
	if (as_html)
		fputs("</table>\n<p>Signed with the operator's audit key (minisign); check "
		      "with <code>minisign -Vm FILE -p audit.pub</code>.</p>\n</body></html>\n",
		      f);
	else
		fputs("\nSigned with the operator's audit key (minisign);\n"
		      "check with: minisign -Vm FILE -p audit.pub\n",
		      f);
}

/* sha256_hex(buf, len, out) */
static void
sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, buf, len);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

/* write_doc(state_dir, stem, e, d, l, host, ext, k, ret_sha): write and
 * sign one document, state_dir/certificates/<stem>.<ext>.  0, 1 written unsigned (k NULL), -1
 * (warned). */
static int
write_doc(const char *state_dir, const char *stem, const struct gs_erasure *e,
          const struct gs_erase_dates *d, const struct lists *l, const char *host, const char *ext,
          const struct gs_ms_sec *k, char ret_sha[65])
{
	char *buf = NULL, *sig = NULL, *path = NULL, *spath = NULL, trusted[256];
	uint8_t hash[GS_MS_HASH_LEN];
	size_t len = 0, slen = 0;
	FILE *m;
	int rc = -1;

	if ((m = open_memstream(&buf, &len)) == NULL)
		return -1;
	doc(m, e, d, l, host, strcmp(ext, "html") == 0);
	if (fclose(m) != 0)
		goto out;
	sha256_hex(buf, len, ret_sha);
	if ((path = gs_cert_doc_path(state_dir, stem, ext)) == NULL ||
	    (spath = gs_asprintf("%s.minisig", path)) == NULL)
		goto out;
	if (gs_write_file_replace(path, buf, len, 0644, 1)) {
		gs_warnp("%s", path);
		goto out;
	}
	if (k == NULL) {
		rc = 1;
		goto out;
	}
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)buf, len, NULL, 0);
	snprintf(trusted, sizeof(trusted),
	         "geosnap deletion-certificate tenant=%s host=%s sha256=%s", e->tenant,
	         host != NULL ? host : "-", ret_sha);
	if (gs_ms_sign(k, hash, "deletion certificate signed by the geosnap audit key", trusted,
	               &sig, &slen) ||
	    gs_write_file_replace(spath, sig, slen, 0644, 1)) {
		gs_warn("%s: cannot sign the certificate", spath);
		goto out;
	}
	rc = 0;
out:
	free(sig);
	free(spath);
	free(path);
	free(buf);
	return rc;
}

/* copies_json(e, l, inline_lists): the record's "copies" array, malloc'd. */
static char *
copies_json(const struct gs_erasure *e, const struct lists *l, int inline_lists)
{
	char *buf = NULL, t[GS_ISO_TIME_MAX];
	size_t len = 0;
	FILE *m;

	if ((m = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fputc('[', m);
	for (size_t i = 0; i < e->ncopies; i++) {
		const struct gs_erase_copy *c = &e->copies[i];

		when(t, c->time_ns);
		fprintf(m, "%s{\"copy\":", i ? "," : "");
		gs_json_str(m, c->name);
		fprintf(m,
		        ",\"erased\":\"%s\",\"erased_ns\":%lld,\"objects\":%llu,\"bytes\":%llu,"
		        "\"removed_sha256\":\"%s\",\"removed\":",
		        t, (long long)c->time_ns, (unsigned long long)c->objects,
		        (unsigned long long)c->bytes, c->list_sha256);
		if (!inline_lists) {
			fputs("null", m);
		} else {
			int first = 1;

			fputc('[', m);
			for (const char *p = l->text[i]; *p;) {
				const char *nl = strchr(p, '\n'), *sp = strchr(p, ' ');
				size_t ln = nl ? (size_t)(nl - p) : strlen(p);
				char *path;

				if (sp != NULL && (size_t)(sp - p) < ln &&
				    (path = strndup(sp + 1, ln - (size_t)(sp - p) - 1)) != NULL) {
					fprintf(m, "%s[", first ? "" : ",");
					gs_json_str(m, path);
					fprintf(m, ",%.*s]", (int)(sp - p), p);
					free(path);
					first = 0;
				}
				p += ln + (nl != NULL);
			}
			fputc(']', m);
		}
		fputs(",\"verification\":[]}", m);
	}
	fputc(']', m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * gs_erasure_certify(state_dir, ac, e, d): the documents, signed, then the
 * "deletion-certificate" record, then the .list files removed.  0 recorded
 * and signed; 1 recorded but not signed (no audit_key; warned); -1 (warned).
 */
int
gs_erasure_certify(const char *state_dir, const struct gs_audit_conf *ac,
                   const struct gs_erasure *e, const struct gs_erase_dates *d)
{
	struct gs_ms_sec *k = NULL;
	struct lists l = {0};
	struct gs_audit_rec r;
	char *dir = NULL, *cj = NULL, *kj = NULL, txt[65], htm[65], dd[GS_ISO_TIME_MAX];
	char docname[GS_TENANT_NAME_MAX + 24], *stem = NULL;
	size_t total = 0;
	int rc = -1, signed_ok = 1, w;

	if ((dir = gs_path_join(state_dir, "certificates")) == NULL || gs_mkdir_p(dir, 0700))
		goto out;
	if (lists_load(state_dir, e, &l)) {
		gs_warn("tenant %s: cannot read the lists of erased objects", e->tenant);
		goto out;
	}
	if (ac->key != NULL && (k = gs_ms_sec_load(ac->key)) == NULL)
		goto out;
	if ((stem = gs_cert_doc_stem(e->tenant, d->offboarded)) == NULL)
		goto out;
	if ((w = write_doc(state_dir, stem, e, d, &l, ac->host, "txt", k, txt)) < 0 ||
	    write_doc(state_dir, stem, e, d, &l, ac->host, "html", k, htm) < 0)
		goto out;
	if (w == 1) {
		signed_ok = 0;
		gs_warn("tenant %s: no audit_key: the deletion certificate is not signed",
		        e->tenant);
	}
	for (size_t i = 0; i < l.n; i++)
		total += strlen(l.text[i]) + 16 * (size_t)e->copies[i].objects;
	if ((cj = copies_json(e, &l, total <= REMOVED_INLINE_MAX)) == NULL)
		goto out;
	if (e->key_path != NULL) {
		char *q = NULL;
		size_t ql = 0;
		FILE *m = open_memstream(&q, &ql);
		int fp = e->key_fp[0] != '\0' && strcmp(e->key_fp, "absent") != 0;

		if (m == NULL)
			goto out;
		fputs("[{\"kind\":\"write\",\"path\":", m);
		gs_json_str(m, e->key_path);
		fprintf(m, ",\"blake2b_256\":%s%s%s}]", fp ? "\"" : "", fp ? e->key_fp : "null",
		        fp ? "\"" : "");
		if (fclose(m) != 0) {
			free(q);
			goto out;
		}
		kj = q;
	}
	if (gs_audit_rec_init(&r, "deletion-certificate"))
		goto out;
	gs_audit_rec_str(&r, "tenant", e->tenant);
	day(dd, d->offboarded);
	gs_audit_rec_str(&r, "offboarded", dd);
	day(dd, d->grace_end);
	gs_audit_rec_str(&r, "grace_end", dd);
	if (d->hold >= 0)
		day(dd, d->hold);
	gs_audit_rec_str(&r, "legal_hold", d->hold >= 0 ? dd : NULL);
	gs_audit_rec_str(&r, "legal_hold_reason", d->hold >= 0 ? d->hold_reason : NULL);
	day(dd, d->deadline);
	gs_audit_rec_str(&r, "deadline", dd);
	gs_audit_rec_raw(&r, "deadline_met",
	                 done_ns(e) / GS_NS_PER_S <= d->deadline ? "true" : "false");
	gs_audit_rec_raw(&r, "copies", cj);
	gs_audit_rec_raw(&r, "keys_destroyed", kj != NULL ? kj : "[]");
	snprintf(docname, sizeof(docname), "%s.txt", stem);
	gs_audit_rec_str(&r, "document", docname);
	snprintf(docname, sizeof(docname), "%s.html", stem);
	gs_audit_rec_str(&r, "html_document", docname);
	gs_audit_rec_str(&r, "document_sha256", txt);
	gs_audit_rec_str(&r, "html_sha256", htm);
	gs_audit_rec_raw(&r, "signed", signed_ok ? "true" : "false");
	if (gs_audit_write(ac, &r) < 0)
		goto out;
	if (ac->log == NULL)
		gs_warn("tenant %s: no audit_log: the deletion certificate is not recorded",
		        e->tenant);
	for (size_t i = 0; i < e->ncopies; i++) {
		char *p = gs_erasure_list_path(state_dir, e->tenant, e->copies[i].name);

		if (p != NULL)
			unlink(p);
		free(p);
	}
	rc = signed_ok && ac->log != NULL ? 0 : 1;
out:
	free(stem);
	gs_ms_sec_free(k);
	free(kj);
	free(cj);
	lists_free(&l);
	free(dir);
	return rc;
}

/* listed(v, n, name): the sorted listing v holds name. */
static int
listed(const struct gs_tp_entry *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].name, name);

		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * ship_stem(state_dir, dir, stem, tp, v, n, sent): publish the documents
 * of stem and their signatures that exist in state_dir and are not in the
 * listing v of dir on tp.  0, or -1 (warned).
 */
static int
ship_stem(const char *state_dir, const char *dir, const char *stem, struct gs_transport *tp,
          const struct gs_tp_entry *v, size_t n, uint64_t *sent)
{
	static const char *const exts[] = {"txt", "txt.minisig", "html", "html.minisig"};
	int rc = 0;

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		char *p = gs_cert_doc_path(state_dir, stem, exts[i]);
		char *name = gs_asprintf("%s.%s", stem, exts[i]);
		char *tmp = gs_asprintf("%s/" GS_TMP_PREFIX "%s.%s-%08x", dir, stem, exts[i],
		                        randombytes_random());
		char *to = gs_asprintf("%s/%s.%s", dir, stem, exts[i]);
		struct gs_tp_file *f = NULL;
		uint8_t *buf = NULL;
		size_t len = 0;
		int r;

		if (name == NULL || listed(v, n, name))
			r = name == NULL ? -1 : 1; /* there already: never overwritten */
		else
			r = p != NULL ? gs_read_file(p, LIST_MAX, &buf, &len) : -1;
		if (r == 0 && tmp != NULL && to != NULL) {
			int ok = (f = gs_tp_create(tp, tmp)) != NULL;

			if (ok && gs_tp_write(f, buf, len)) {
				gs_tp_abort(f); /* the temporary stays, recognisable */
				ok = 0;
			} else if (ok) {
				ok = gs_tp_publish(f, to) >= 0; /* frees f either way */
			}
			if (!ok) {
				gs_warn("%s: could not publish %s", gs_tp_name(tp), to);
				rc = -1;
			} else if (sent != NULL) {
				++*sent;
			}
		} else if (r != 1) {
			rc = -1;
		}
		free(buf);
		free(to);
		free(tmp);
		free(name);
		free(p);
	}
	return rc;
}

/* open_dir(host, tp, ret_v, ret_n): make log/<host>/certificates on tp and
 * list it.  The directory's path (malloc'd), or NULL (warned). */
static char *
open_dir(const char *host, struct gs_transport *tp, struct gs_tp_entry **ret_v, size_t *ret_n)
{
	char *dir = gs_asprintf("log/%s/certificates", host);

	*ret_v = NULL;
	*ret_n = 0;
	if (dir == NULL || gs_tp_mkdir(tp, dir) || gs_tp_list(tp, dir, ret_v, ret_n) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

/*
 * gs_erasure_ship_docs(state_dir, host, stem, tp): publish the documents
 * of stem and their signatures that exist to tp under
 * log/<host>/certificates/, never overwriting.  0, or -1 (warned).
 */
int
gs_erasure_ship_docs(const char *state_dir, const char *host, const char *stem,
                     struct gs_transport *tp)
{
	struct gs_tp_entry *v;
	size_t n;
	char *dir = open_dir(host, tp, &v, &n);
	int rc;

	if (dir == NULL)
		return -1;
	rc = ship_stem(state_dir, dir, stem, tp, v, n, NULL);
	gs_tp_list_free(v, n);
	free(dir);
	return rc;
}

/*
 * certified_stem(state_dir, name): name is "<tenant>.<YYYY-MM-DD>.txt" in
 * state_dir/certificates and the tenant's erasure state says that stem's
 * certificate is recorded: its stem (malloc'd), else NULL.  A document
 * written by a certification that did not finish (its record not
 * appended) is never published: the next one rewrites it.
 */
static char *
certified_stem(const char *state_dir, const char *name)
{
	size_t l = strlen(name);
	char tenant[GS_TENANT_NAME_MAX + 1], *stem = NULL, *want;
	struct gs_erasure e;

	if (l <= 15 || l - 15 > GS_TENANT_NAME_MAX || strcmp(name + l - 4, ".txt") != 0 ||
	    name[l - 15] != '.')
		return NULL;
	memcpy(tenant, name, l - 15);
	tenant[l - 15] = '\0';
	if (!gs_valid_name(tenant) || gs_erasure_load(state_dir, tenant, &e))
		return NULL;
	if (e.certified_ns != 0 && e.offboarded >= 0 &&
	    (want = gs_cert_doc_stem(tenant, e.offboarded)) != NULL) {
		if (strlen(want) == l - 4 && strncmp(want, name, l - 4) == 0)
			stem = want;
		else
			free(want);
	}
	gs_erasure_clear(&e);
	return stem;
}

/*
 * gs_cert_ship_all(state_dir, host, tp, sent): publish every recorded
 * certificate's documents in state_dir/certificates/ that tp's
 * log/<host>/certificates/ lacks (a publication the erasure could not
 * make is retried here, by each ship of the audit log); *sent += the files
 * published.  0, or -1 (warned).
 */
int
gs_cert_ship_all(const char *state_dir, const char *host, struct gs_transport *tp, uint64_t *sent)
{
	char *local = gs_asprintf("%s/certificates", state_dir), *dir = NULL;
	struct gs_tp_entry *v = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int rc = 0;

	if (local == NULL)
		return -1;
	if ((d = opendir(local)) == NULL) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc)
			gs_warnp("%s", local);
		free(local);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		char *stem = certified_stem(state_dir, de->d_name);

		if (stem == NULL)
			continue;
		if (dir == NULL && (dir = open_dir(host, tp, &v, &n)) == NULL) {
			free(stem);
			rc = -1;
			break;
		}
		if (ship_stem(state_dir, dir, stem, tp, v, n, sent))
			rc = -1;
		free(stem);
	}
	closedir(d);
	gs_tp_list_free(v, n);
	free(dir);
	free(local);
	return rc;
}
