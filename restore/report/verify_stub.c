/*
 * verify_stub.c -- STUB of gs_audit_verify() (include/geosnap/audit.h) for
 * branch i10-report only, until the real one (agent/audit/, the lead's)
 * is merged: DELETE THIS FILE AT THE MERGE.
 *
 * It does enough for the report to be written and tested against real
 * logs: the segments of the log (the closed ones beside a local log, then
 * the open one; or those under a remote's log/<host>/), each one's
 * minisign signature over the whole file, the sequence and the hash chain
 * across them, and on_record for every record.  It does not read the
 * trusted comments (so a crash's unsigned tail is reported as a bad
 * signature), and with both a local log and a remote it only counts the
 * remote's checkpoints instead of comparing them.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "geosnap/audit.h"
#include "geosnap/minisig.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

#define SEG_MAX ((size_t)64 << 20)

struct seg {
	char *name; /* path (local) or path under the remote's base */
};

/* by_seq(a, b): closed segments by their first seq, the 10 digits before
 * ".jsonl". */
static int
by_seq(const void *a, const void *b)
{
	const char *x = ((const struct seg *)a)->name, *y = ((const struct seg *)b)->name;
	size_t lx = strlen(x), ly = strlen(y);

	if (lx < 16 || ly < 16)
		return strcmp(x, y);
	return strcmp(x + lx - 16, y + ly - 16);
}

/* push(v, n, name): append name (taken) to *v; 0, or -1 (name freed). */
static int
push(struct seg **v, size_t *n, char *name)
{
	struct seg *w;

	if (name == NULL || (w = realloc(*v, (*n + 1) * sizeof(*w))) == NULL) {
		free(name);
		return -1;
	}
	w[(*n)++].name = name;
	*v = w;
	return 0;
}

/* read_one(o, path, max, ret, ret_len): a local or remote file; 0, 1
 * missing, -1. */
static int
read_one(const struct gs_audit_vopts *o, const char *path, size_t max, uint8_t **ret,
         size_t *ret_len)
{
	if (o->log != NULL)
		return gs_read_file(path, max, ret, ret_len);
	return gs_tp_read_all(o->remote, path, max, ret, ret_len);
}

/* list(o, host, ret, ret_n, ckpts): the segments in order. */
static int
list(const struct gs_audit_vopts *o, const char *host, struct seg **ret, size_t *ret_n,
     uint64_t *ckpts)
{
	struct seg *v = NULL;
	size_t n = 0, i, m;
	char *dir = NULL;

	*ckpts = 0;
	if (o->remote != NULL) {
		struct gs_tp_entry *e;
		char *rdir = gs_asprintf("log/%s", host);

		if (rdir == NULL || gs_tp_list(o->remote, rdir, &e, &m) < 0) {
			free(rdir);
			return -1;
		}
		for (i = 0; i < m; i++) {
			size_t l = strlen(e[i].name);

			if (strncmp(e[i].name, "checkpoint.", 11) == 0 &&
			    (l < 8 || strcmp(e[i].name + l - 8, ".minisig") != 0))
				(*ckpts)++;
			if (o->log == NULL && l > 6 && strcmp(e[i].name + l - 6, ".jsonl") == 0) {
				if (push(&v, &n, gs_asprintf("%s/%s", rdir, e[i].name)))
					break;
			}
		}
		gs_tp_list_free(e, m);
		free(rdir);
	}
	if (o->log != NULL) {
		const char *base = strrchr(o->log, '/');
		struct dirent *d;
		size_t sl;
		DIR *dd;

		dir = base ? strndup(o->log, (size_t)(base - o->log)) : strdup(".");
		base = base ? base + 1 : o->log;
		sl = strlen(base) > 6 ? strlen(base) - 6 : 0; /* without ".jsonl" */
		if (dir == NULL || (dd = opendir(dir)) == NULL) {
			free(dir);
			return -1;
		}
		while ((d = readdir(dd)) != NULL) {
			size_t l = strlen(d->d_name);

			/* <stem>.<8 digits>.<10 digits>.jsonl */
			if (l == sl + 26 && strncmp(d->d_name, base, sl) == 0 &&
			    d->d_name[sl] == '.' && strcmp(d->d_name + l - 6, ".jsonl") == 0) {
				if (push(&v, &n, gs_asprintf("%s/%s", dir, d->d_name)))
					break;
			}
		}
		closedir(dd);
		if (n > 1)
			qsort(v, n, sizeof(*v), by_seq);
		push(&v, &n, strdup(o->log));
		free(dir);
	} else {
		if (n > 1)
			qsort(v, n, sizeof(*v), by_seq);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* line_head(p, len, ret_seq, ret_prev): the seq and prev of a line. */
static int
line_head(const char *p, size_t len, uint64_t *ret_seq, const char **ret_prev)
{
	static const char pre[] = "{\"v\":1,\"seq\":";
	uint64_t seq = 0;
	size_t i = sizeof(pre) - 1;

	if (len < i || memcmp(p, pre, i) != 0)
		return -1;
	for (; i < len && p[i] >= '0' && p[i] <= '9' && seq < UINT64_MAX / 10; i++)
		seq = seq * 10 + (uint64_t)(p[i] - '0');
	if (len - i < 10 + 64 || memcmp(p + i, ",\"prev\":\"", 9) != 0)
		return -1;
	*ret_seq = seq;
	*ret_prev = p + i + 9;
	return 0;
}

/* gs_audit_verify(o, ret): see audit.h (STUB, above). */
int
gs_audit_verify(const struct gs_audit_vopts *o, struct gs_audit_vres *ret)
{
	const char *host = o->host;
	struct seg *v = NULL;
	size_t n = 0, i;
	uint8_t head[32] = {0};
	int rc = -1;

	memset(ret, 0, sizeof(*ret));
	if (list(o, host ? host : "", &v, &n, &ret->checkpoints)) {
		snprintf(ret->why, sizeof(ret->why), "cannot list the log's segments");
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint8_t *buf = NULL, *sig = NULL, h[GS_MS_HASH_LEN];
		char trusted[GS_MS_TRUSTED_MAX], why[256], *sname;
		size_t len, slen, off = 0;
		int bad = 0;

		if ((sname = gs_asprintf("%s.minisig", v[i].name)) == NULL ||
		    read_one(o, v[i].name, SEG_MAX, &buf, &len) != 0) {
			snprintf(ret->why, sizeof(ret->why), "cannot read %s", v[i].name);
			free(sname);
			goto out;
		}
		ret->segments++;
		crypto_generichash(h, sizeof(h), buf, len, NULL, 0);
		if (read_one(o, sname, GS_MS_SIGFILE_MAX, &sig, &slen) != 0 ||
		    gs_ms_verify(o->pub, h, (const char *)sig, slen, trusted, why, sizeof(why))) {
			snprintf(ret->why, sizeof(ret->why), "%s: signature: %s", v[i].name,
			         sig ? why : "missing");
			bad = 1;
		}
		while (!bad && off < len) {
			const char *p = (const char *)buf + off, *nl, *prev;
			uint64_t seq;
			char hex[65];

			if ((nl = memchr(p, '\n', len - off)) == NULL) {
				ret->torn = 1;
				break;
			}
			gs_hex(hex, head, 32);
			if (line_head(p, (size_t)(nl - p), &seq, &prev) ||
			    (ret->records > 0 &&
			     (seq != ret->last_seq + 1 || memcmp(prev, hex, 64)))) {
				ret->bad_seq = ret->last_seq + 1;
				snprintf(ret->why, sizeof(ret->why),
				         "record %" PRIu64 ": chain broken", ret->bad_seq);
				bad = 1;
				break;
			}
			if (ret->records == 0)
				ret->first_seq = seq;
			if (o->on_record != NULL &&
			    o->on_record(o->arg, seq, p, (size_t)(nl - p))) {
				free(buf);
				free(sig);
				free(sname);
				goto out;
			}
			crypto_hash_sha256(head, (const uint8_t *)p, (size_t)(nl - p));
			ret->records++;
			ret->last_seq = seq;
			off = (size_t)(nl - (const char *)buf) + 1;
		}
		free(buf);
		free(sig);
		free(sname);
		if (bad) {
			if (ret->bad_seq == 0)
				ret->bad_seq = ret->last_seq + 1;
			rc = 1;
			goto out;
		}
	}
	gs_hex(ret->head, head, 32);
	rc = ret->torn ? 4 : 0;
out:
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	return rc;
}
