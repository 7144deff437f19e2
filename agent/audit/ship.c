/*
 * ship.c -- anchoring the audit log off the host: every closed segment and
 * its signature, and a signed checkpoint of the closed log, published to a
 * remote under log/<host>/ with the never-overwrite rule of every object
 * (gs_tp_publish).  A host compromised later can rewrite its local log but
 * not what already left; `geosnap-restore log verify --from` compares.
 *
 * On the remote the segments are named "audit.<date>.<seq>.jsonl" whatever
 * the local file is called, and checkpoints "checkpoint.<seq>.json": one
 * JSON line {"v":1,"host":...,"records":N,"head":"<hex>","time":...}, its
 * signature's trusted comment "geosnap-audit v1 host=H first=1 records=N
 * head=<hex>".
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit_internal.h"
#include "geosnap/audit.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

#define SEG_MAX ((size_t)64 << 20)

/* put(t, dir, name, buf, len): publish buf as dir/name.  0 published, 1
 * it was there already, -1 (warned). */
static int
put(struct gs_transport *t, const char *dir, const char *name, const void *buf, size_t len)
{
	char *tmp = gs_asprintf("%s/" GS_TMP_PREFIX "%s-%08x", dir, name, randombytes_random());
	char *to = gs_asprintf("%s/%s", dir, name);
	struct gs_tp_file *f = NULL;
	int rc = -1;

	if (tmp == NULL || to == NULL)
		goto out;
	if ((f = gs_tp_create(t, tmp)) == NULL)
		goto fail;
	if (gs_tp_write(f, buf, len)) {
		gs_tp_abort(f);
		gs_tp_delete(t, tmp);
		goto fail;
	}
	if ((rc = gs_tp_publish(f, to)) >= 0)
		goto out;
fail:
	gs_warn("%s: could not publish %s", gs_tp_name(t), to);
out:
	free(tmp);
	free(to);
	return rc;
}

/* listed(e, n, name): is name in the sorted listing e? */
static const struct gs_tp_entry *
listed(const struct gs_tp_entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].name, name) == 0)
			return &e[i];
	return NULL;
}

struct lseg {
	char *name; /* local name */
	uint64_t first;
};

static int
lseg_cmp(const void *a, const void *b)
{
	const struct lseg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* closed(dir, stem, ret, ret_n): the local closed segments, by seq. */
static int
closed(const char *dir, const char *stem, struct lseg **ret, size_t *ret_n)
{
	struct dirent **de = NULL;
	struct lseg *v = NULL;
	size_t n = 0;
	uint64_t first;
	int k, nde, rc = -1;

	if ((nde = scandir(dir, &de, NULL, alphasort)) < 0) {
		gs_warnp("audit log directory %s", dir);
		return -1;
	}
	for (k = 0; k < nde; k++) {
		if (al_seg_parse(stem, de[k]->d_name, &first))
			continue;
		if (n % 64 == 0) {
			struct lseg *p = realloc(v, (n + 64) * sizeof(*p));

			if (p == NULL)
				goto out;
			v = p;
		}
		if ((v[n].name = gs_strdup(de[k]->d_name)) == NULL)
			goto out;
		v[n++].first = first;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), lseg_cmp);
	rc = 0;
out:
	for (k = 0; k < nde; k++)
		free(de[k]);
	free(de);
	if (rc) {
		for (size_t i = 0; i < n; i++)
			free(v[i].name);
		free(v);
		v = NULL;
		n = 0;
	}
	*ret = v;
	*ret_n = n;
	return rc;
}

/* remote_name(local, stem): "audit.<date>.<seq>.jsonl" for a local segment. */
static char *
remote_name(const char *local, const char *stem)
{
	return gs_asprintf("audit%s", local + strlen(stem));
}

/*
 * one_seg(c, t, dir, ldir, s, stem, e, n, last, ret_files): publish one
 * closed segment and its signature where missing; *last gets its chain
 * end.  0, 1 (a copy on the remote differs: warned), -1.
 */
static int
one_seg(struct gs_transport *t, const char *dir, const char *ldir, const struct lseg *s,
        const char *stem, const struct gs_tp_entry *e, size_t n, struct al_head *last,
        uint64_t *ret_files)
{
	char *rname = remote_name(s->name, stem), *rsig = NULL, *path = NULL, *sigpath = NULL;
	uint8_t *buf = NULL, *sig = NULL;
	const struct gs_tp_entry *have;
	size_t len, siglen;
	struct al_scan sc;
	int rc = -1, r;

	if (rname == NULL || (rsig = gs_asprintf("%s.minisig", rname)) == NULL ||
	    (path = gs_path_join(ldir, s->name)) == NULL ||
	    (sigpath = gs_asprintf("%s.minisig", path)) == NULL)
		goto out;
	if (gs_read_file(path, SEG_MAX, &buf, &len) != 0)
		goto out;
	if (al_scan((const char *)buf, len, NULL, 0, &sc))
		goto out;
	*last = sc.head;
	if ((have = listed(e, n, rname)) != NULL) {
		if (have->size != len) {
			gs_warn("%s: %s/%s differs from the local %s (%" PRIu64
			        " bytes, here %zu); "
			        "run geosnap-restore log verify --from %s",
			        gs_tp_name(t), dir, rname, path, (uint64_t)have->size, len,
			        gs_tp_name(t));
			rc = 1;
			goto out;
		}
	} else {
		if ((r = put(t, dir, rname, buf, len)) < 0)
			goto out;
		*ret_files += r == 0;
	}
	if (listed(e, n, rsig) == NULL) {
		if (gs_read_file(sigpath, GS_MS_SIGFILE_MAX, &sig, &siglen) != 0) {
			gs_warn("audit log segment %s has no signature; not shipped", path);
			goto out;
		}
		if ((r = put(t, dir, rsig, sig, siglen)) < 0)
			goto out;
		*ret_files += r == 0;
	}
	rc = 0;
out:
	free(buf);
	free(sig);
	free(rname);
	free(rsig);
	free(path);
	free(sigpath);
	return rc;
}

/* ckpt(c, k, t, dir, head, e, n, ret_files): the checkpoint of head. */
static int
ckpt(const struct gs_audit_conf *c, const struct gs_ms_sec *k, struct gs_transport *t,
     const char *dir, const struct al_head *head, const struct gs_tp_entry *e, size_t n,
     uint64_t *ret_files)
{
	char name[64], sname[80], hex[65], when[GS_ISO_TIME_MAX], *body = NULL, *sig = NULL;
	uint8_t h[GS_MS_HASH_LEN];
	size_t slen;
	int rc = -1, r;

	snprintf(name, sizeof(name), AL_CKPT_PREFIX "%0*" PRIu64 ".json", AL_SEQ_DIGITS, head->seq);
	snprintf(sname, sizeof(sname), "%s.minisig", name);
	if (listed(e, n, name) != NULL && listed(e, n, sname) != NULL)
		return 0;
	gs_hex(hex, head->hash, 32);
	gs_iso_time(when, sizeof(when), gs_now_ns() / GS_NS_PER_S);
	body = gs_asprintf("{\"v\":%d,\"host\":\"%s\",\"records\":%" PRIu64
	                   ",\"head\":\"%s\",\"time\":\"%s\"}\n",
	                   GS_AUDIT_VERSION, c->host, head->seq, hex, when);
	if (body == NULL)
		goto out;
	crypto_generichash(h, sizeof(h), (const uint8_t *)body, strlen(body), NULL, 0);
	if (gs_ms_sign(k, h, "geosnap audit log checkpoint",
	               al_trusted(c->host, 1, head->seq, head->hash), &sig, &slen))
		goto out;
	/* the signature first: a checkpoint without one is never left alone */
	if (listed(e, n, sname) == NULL) {
		if ((r = put(t, dir, sname, sig, slen)) < 0)
			goto out;
		*ret_files += r == 0;
	}
	if (listed(e, n, name) == NULL) {
		if ((r = put(t, dir, name, body, strlen(body))) < 0)
			goto out;
		*ret_files += r == 0;
	}
	rc = 0;
out:
	free(body);
	free(sig);
	return rc;
}

/*
 * gs_audit_ship(c, t, ret_files): publish to t, under log/<host>/, every
 * closed segment it lacks and a checkpoint of the closed log (the caller
 * cuts the open segment first, once for all remotes).  0, or -1 (warned,
 * naming the remote).
 */
int
gs_audit_ship(const struct gs_audit_conf *c, struct gs_transport *t, uint64_t *ret_files)
{
	char *ldir = NULL, *stem = NULL, *dir = NULL;
	struct gs_tp_entry *e = NULL;
	struct gs_ms_sec *k = NULL;
	struct lseg *v = NULL;
	struct al_head last = {0};
	size_t n = 0, nv = 0, i;
	int rc = -1, bad = 0, r;

	*ret_files = 0;
	if (c->log == NULL)
		return 0;
	if (c->key == NULL) {
		gs_warn("audit log %s: not shipped to %s: no audit_key signs it", c->log,
		        gs_tp_name(t));
		return -1;
	}
	if ((k = gs_ms_sec_load(c->key)) == NULL)
		return -1;
	ldir = al_dir(c->log);
	stem = al_stem(c->log);
	dir = gs_asprintf("log/%s", c->host);
	if (ldir == NULL || stem == NULL || dir == NULL)
		goto out;
	if (closed(ldir, stem, &v, &nv))
		goto out;
	if (nv == 0) {
		rc = 0;
		goto out;
	}
	if (gs_tp_mkdir(t, dir) || gs_tp_list(t, dir, &e, &n) < 0) {
		gs_warn("%s: cannot reach %s for the audit log", gs_tp_name(t), dir);
		goto out;
	}
	for (i = 0; i < nv; i++) {
		if ((r = one_seg(t, dir, ldir, &v[i], stem, e, n, &last, ret_files)) < 0)
			goto out;
		bad |= r;
	}
	if (!bad && ckpt(c, k, t, dir, &last, e, n, ret_files))
		goto out;
	rc = bad ? -1 : 0;
out:
	for (i = 0; i < nv; i++)
		free(v[i].name);
	free(v);
	gs_tp_list_free(e, n);
	gs_ms_sec_free(k);
	free(ldir);
	free(stem);
	free(dir);
	return rc;
}
