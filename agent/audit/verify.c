/*
 * verify.c -- checking an audit log: every segment's signature, the chain
 * and the sequence across segments, and against a remote's shipped
 * segments and checkpoints (gs_audit_verify).  Everything read here is
 * untrusted; each file is bounded (SEG_MAX) and each line by the scanner.
 *
 * Where a record is bad, the first bad sequence number is named: a record
 * that no longer chains to the one before it names the one before it (it
 * was altered); a missing or moved record names the seq that should be
 * there; a signature that fails on an intact chain names the segment's
 * first record (only a shipped copy can say which record changed).
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit_internal.h"
#include "geosnap/audit.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"

#define SEG_MAX ((size_t)64 << 20)
#define HASHES_MAX ((uint64_t)16 << 20) /* records remembered for --from */

struct vctx {
	const struct gs_audit_vopts *o;
	struct gs_audit_vres *r;
	int rc;              /* 0, 4 (crash), 1 (bad) */
	struct al_head head; /* end of the chain so far */
	int started;         /* a segment was seen */
	uint8_t (*hash)[32]; /* line hashes, index seq - hash_base */
	uint64_t hash_base, nhash, hash_cap;
	char *host; /* of the log */
};

/* bad(v, seq, fmt, ...): the first problem wins. */
static void GS_PRINTF(3, 4) bad(struct vctx *v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (v->rc == 1)
		return;
	v->rc = 1;
	v->r->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->r->why, sizeof(v->r->why), fmt, ap);
	va_end(ap);
}

/* remember(v, seq, line, n): keep the line's hash (for --from). */
static int
remember(struct vctx *v, uint64_t seq, const uint8_t h[32])
{
	if (v->nhash == 0)
		v->hash_base = seq;
	if (seq != v->hash_base + v->nhash || v->nhash >= HASHES_MAX)
		return 0;
	if (v->nhash == v->hash_cap) {
		uint64_t cap = v->hash_cap ? v->hash_cap * 2 : 1024;
		void *p = realloc(v->hash, cap * 32);

		if (p == NULL)
			return -1;
		v->hash = p;
		v->hash_cap = cap;
	}
	memcpy(v->hash[v->nhash++], h, 32);
	return 0;
}

/* host_of(line, n): the "host" of a record line, malloc'd, or NULL. */
static char *
host_of(const char *line, size_t n)
{
	const char *p = memmem(line, n, ",\"host\":\"", 9), *q;

	if (p == NULL)
		return NULL;
	p += 9;
	q = memchr(p, '"', n - (size_t)(p - line));
	if (q == NULL || q - p > 255)
		return NULL;
	return gs_asprintf("%.*s", (int)(q - p), p);
}

/* walk(v, what, buf, len, calls): hand each record to on_record and
 * remember its hash.  0, or -1 (stopped or out of memory). */
static int
walk(struct vctx *v, const char *buf, size_t len, uint64_t first, int calls)
{
	size_t off = 0;
	uint64_t seq = first;
	uint8_t h[32];

	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n;

		if (nl == NULL)
			break;
		n = (size_t)(nl - (buf + off));
		crypto_hash_sha256(h, (const unsigned char *)buf + off, n);
		if (remember(v, seq, h))
			return -1;
		if (v->host == NULL)
			v->host = host_of(buf + off, n);
		if (calls && v->o->on_record && v->o->on_record(v->o->arg, seq, buf + off, n))
			return -1;
		off += n + 1;
		seq++;
	}
	return 0;
}

/*
 * check_seg(v, what, buf, len, sig, siglen, open, calls): one segment
 * (named what in messages) after the chain so far.  open: the open
 * segment, whose signature may cover a prefix only (a crash).  0, or -1
 * (I/O or stopped).
 */
static int
check_seg(struct vctx *v, const char *what, const char *buf, size_t len, const char *sig,
          size_t siglen, int open, int calls)
{
	char trusted[GS_MS_TRUSTED_MAX], why[256];
	uint8_t h[GS_MS_HASH_LEN], head[32], lh[32];
	uint64_t first, n, start;
	struct al_scan s;
	int rc = -1;

	if (al_scan(buf, len, v->started ? &v->head : NULL, 1, &s))
		return -1;
	if (v->r->segments++ == 0)
		v->r->first_seq = s.first ? s.first : v->head.seq + 1;
	if (s.bad_seq != 0) {
		uint64_t at = s.bad_seq;

		if (strstr(s.why, "does not chain") != NULL && at > 1) {
			bad(v, at - 1,
			    "%s: record %" PRIu64 " was altered (record %" PRIu64
			    " no longer chains to it), or a record was inserted",
			    what, at - 1, at);
		} else {
			bad(v, at, "%s: %s", what, s.why);
		}
	}
	if (s.records == 0 && !s.torn) {
		rc = 0;
		goto out;
	}
	if (sig == NULL) {
		if (open) {
			if (v->rc == 0 || v->rc == 4) {
				v->rc = 4;
				v->r->unsigned_n += s.records;
			}
		} else {
			bad(v, s.first, "%s: no signature (%s.minisig is missing)", what, what);
		}
		goto done;
	}
	if (gs_ms_sig_trusted(sig, siglen, trusted) ||
	    al_trusted_parse(trusted, &first, &n, head)) {
		bad(v, s.first, "%s: malformed signature", what);
		goto done;
	}
	if (first != s.first || n == 0 || n > s.records || (!open && n != s.records)) {
		if (n > s.records && first == s.first)
			bad(v, s.first + s.records,
			    "%s: truncated: its signature covers records %" PRIu64 "-%" PRIu64
			    " but it ends at %" PRIu64,
			    what, first, first + n - 1, s.first + s.records - 1);
		else
			bad(v, s.first,
			    "%s: its signature covers records %" PRIu64 "-%" PRIu64
			    " but it holds %" PRIu64 "-%" PRIu64,
			    what, first, first + n - 1, s.first, s.first + s.records - 1);
		goto done;
	}
	crypto_generichash(h, sizeof(h), (const uint8_t *)buf, s.ends[n - 1], NULL, 0);
	if (gs_ms_verify(v->o->pub, h, sig, siglen, trusted, why, sizeof(why))) {
		bad(v, s.first, "%s: %s", what, why);
		goto done;
	}
	start = n > 1 ? s.ends[n - 2] : 0;
	crypto_hash_sha256(lh, (const uint8_t *)buf + start, s.ends[n - 1] - start - 1);
	if (sodium_memcmp(lh, head, 32) != 0) {
		bad(v, first + n - 1, "%s: record %" PRIu64 " is not the one signed", what,
		    first + n - 1);
		goto done;
	}
	if (n < s.records && v->rc != 1) {
		v->rc = 4;
		v->r->unsigned_n += s.records - n;
	}
done:
	if (s.torn && v->rc != 1) {
		v->rc = 4;
		v->r->torn = 1;
	}
	v->r->records += s.records;
	if (s.records) {
		v->head = s.head;
		v->started = 1;
	}
	rc = walk(v, buf, s.good_len, s.first, calls);
out:
	free(s.ends);
	return rc;
}

/* Closed segments of a directory listing, sorted by first seq. */
struct seg {
	char *name;
	uint64_t first;
	int has_sig;
};

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* add_seg(v, n, stem, name): note name in *v when it is a segment (or its
 * signature).  0 or -1. */
static int
add_seg(struct seg **v, size_t *n, const char *stem, const char *name)
{
	char tmp[512];
	size_t l = strlen(name), i;
	uint64_t first;
	int is_sig = 0;

	if (l > 8 && l < sizeof(tmp) && strcmp(name + l - 8, ".minisig") == 0) {
		memcpy(tmp, name, l - 8);
		tmp[l - 8] = 0;
		name = tmp;
		is_sig = 1;
	}
	if (al_seg_parse(stem, name, &first))
		return 0;
	for (i = 0; i < *n; i++)
		if ((*v)[i].first == first && strcmp((*v)[i].name, name) == 0) {
			(*v)[i].has_sig |= is_sig;
			return 0;
		}
	if ((i = *n) % 64 == 0) {
		struct seg *p = realloc(*v, (i + 64) * sizeof(*p));

		if (p == NULL)
			return -1;
		*v = p;
	}
	(*v)[i].name = gs_strdup(name);
	(*v)[i].first = first;
	(*v)[i].has_sig = is_sig;
	*n = i + 1;
	return (*v)[i].name ? 0 : -1;
}

static void
segs_free(struct seg *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* local(v, calls): the local log: closed segments, then the open one. */
static int
local(struct vctx *v, int calls)
{
	const char *log = v->o->log;
	char *dir = al_dir(log), *stem = al_stem(log), *path = NULL, *sigpath = NULL;
	struct dirent **de = NULL;
	struct seg *segs = NULL;
	size_t nseg = 0, i, len, siglen;
	uint8_t *buf = NULL, *sig = NULL;
	int nde = 0, k, rc = -1, r;

	if (dir == NULL || stem == NULL)
		goto out;
	if ((nde = scandir(dir, &de, NULL, NULL)) < 0) {
		gs_warnp("audit log directory %s", dir);
		goto out;
	}
	for (k = 0; k < nde; k++)
		if (add_seg(&segs, &nseg, stem, de[k]->d_name))
			goto out;
	if (nseg > 1)
		qsort(segs, nseg, sizeof(*segs), seg_cmp);
	for (i = 0; i < nseg; i++) {
		free(path);
		free(sigpath);
		free(buf);
		free(sig);
		buf = sig = NULL;
		sigpath = NULL;
		if ((path = gs_path_join(dir, segs[i].name)) == NULL ||
		    (sigpath = gs_asprintf("%s.minisig", path)) == NULL)
			goto out;
		r = gs_read_file(path, SEG_MAX, &buf, &len);
		if (r == 1 && i + 1 == nseg && segs[i].has_sig) {
			/* a cut interrupted by a crash: the open segment is this one */
			break;
		}
		if (r == 1) {
			bad(v, segs[i].first, "%s: missing (its signature is there)", path);
			continue;
		}
		if (r < 0)
			goto out;
		if (segs[i].has_sig && gs_read_file(sigpath, GS_MS_SIGFILE_MAX, &sig, &siglen) < 0)
			goto out;
		if (check_seg(v, path, (const char *)buf, len, (const char *)sig, siglen, 0, calls))
			goto out;
	}
	/* the open segment (with the closed signature of an interrupted cut) */
	free(buf);
	free(sig);
	buf = sig = NULL;
	if (i == nseg) {
		free(sigpath);
		if ((sigpath = gs_asprintf("%s.minisig", log)) == NULL)
			goto out;
	} else {
		v->rc = v->rc ? v->rc : 4;
	}
	r = gs_read_file(log, SEG_MAX, &buf, &len);
	if (r < 0)
		goto out;
	if (r == 0) {
		if (gs_read_file(sigpath, GS_MS_SIGFILE_MAX, &sig, &siglen) < 0)
			goto out;
		if (check_seg(v, log, (const char *)buf, len, (const char *)sig, siglen, i == nseg,
		              calls))
			goto out;
	} else if (nseg == 0) {
		gs_warn("audit log %s: no such file, and no segments beside it", log);
		goto out;
	}
	rc = 0;
out:
	for (k = 0; k < nde; k++)
		free(de[k]);
	free(de);
	segs_free(segs, nseg);
	free(buf);
	free(sig);
	free(path);
	free(sigpath);
	free(dir);
	free(stem);
	return rc;
}

/* tp_get(t, path, max, ret, ret_len): a remote file; 0, 1 missing, -1. */
static int
tp_get(struct gs_transport *t, const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	return gs_tp_read_all(t, path, max, ret, ret_len);
}

/* hash_at(v, seq): the remembered hash of seq, or NULL. */
static const uint8_t *
hash_at(const struct vctx *v, uint64_t seq)
{
	if (v->nhash == 0 || seq < v->hash_base || seq >= v->hash_base + v->nhash)
		return NULL;
	return v->hash[seq - v->hash_base];
}

/* checkpoint(v, c, t, dir, name): one shipped checkpoint against the log
 * in c (the local one, or the remote's own).  0 or -1. */
static int
checkpoint(struct vctx *v, const struct vctx *c, struct gs_transport *t, const char *dir,
           const char *name)
{
	char *path = gs_asprintf("%s/%s", dir, name), *sigpath = NULL, trusted[GS_MS_TRUSTED_MAX];
	char why[256], hex[65];
	uint8_t *buf = NULL, *sig = NULL, h[GS_MS_HASH_LEN], head[32];
	const uint8_t *have;
	uint64_t first, n;
	size_t len, siglen;
	int rc = -1, r;

	if (path == NULL || (sigpath = gs_asprintf("%s.minisig", path)) == NULL)
		goto out;
	if ((r = tp_get(t, path, 4096, &buf, &len)) < 0)
		goto out;
	v->r->checkpoints++;
	if (r == 1 || (r = tp_get(t, sigpath, GS_MS_SIGFILE_MAX, &sig, &siglen)) != 0) {
		if (r < 0)
			goto out;
		bad(v, 0, "%s on %s: missing or without its signature", path, gs_tp_name(t));
		rc = 0;
		goto out;
	}
	crypto_generichash(h, sizeof(h), buf, len, NULL, 0);
	if (gs_ms_verify(v->o->pub, h, (const char *)sig, siglen, trusted, why, sizeof(why)) ||
	    al_trusted_parse(trusted, &first, &n, head) || first != 1 || n == 0) {
		bad(v, 0, "%s on %s: %s", path, gs_tp_name(t),
		    why[0] ? why : "not a geosnap checkpoint");
		rc = 0;
		goto out;
	}
	have = hash_at(c, n);
	gs_hex(hex, head, 32);
	if (have == NULL && n > c->head.seq)
		bad(v, c->head.seq + 1,
		    "the log ends at record %" PRIu64
		    ", but the checkpoint %s shipped to %s has %" PRIu64
		    " records (records were removed)",
		    c->head.seq, name, gs_tp_name(t), n);
	else if (have != NULL && sodium_memcmp(have, head, 32) != 0)
		bad(v, n,
		    "record %" PRIu64 " is not the one checkpoint %s on %s names (head %.16s...)",
		    n, name, gs_tp_name(t), hex);
	rc = 0;
out:
	free(buf);
	free(sig);
	free(path);
	free(sigpath);
	return rc;
}

/* pick_host(v, t, ret): the host whose log to check on t: the option, the
 * local log's, or the only one there.  0 or -1 (warned). */
static int
pick_host(struct vctx *v, struct gs_transport *t, char **ret)
{
	struct gs_tp_entry *e = NULL;
	size_t n = 0, i, k = 0;
	const char *one = NULL;

	if (v->o->host != NULL || v->host != NULL) {
		*ret = gs_strdup(v->o->host ? v->o->host : v->host);
		return *ret ? 0 : -1;
	}
	if (gs_tp_list(t, "log", &e, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (e[i].name[0] != '.') {
			one = e[i].name;
			k++;
		}
	*ret = k == 1 ? gs_strdup(one) : NULL;
	if (k != 1)
		gs_warn("%s: %s; name the host", gs_tp_name(t),
		        k ? "several hosts' logs under log/" : "no audit log under log/");
	gs_tp_list_free(e, n);
	return *ret ? 0 : -1;
}

/*
 * remote(v, calls): log/<host>/ on o->remote: its segments (signatures,
 * chain), compared record by record with the local log when there is one,
 * and its checkpoints.  0 or -1.
 */
static int
remote(struct vctx *v, int calls)
{
	struct gs_transport *t = v->o->remote;
	struct vctx rv = {.o = v->o};
	struct gs_audit_vres rres;
	struct vctx *w = calls ? v : &rv;
	struct gs_tp_entry *e = NULL;
	struct seg *segs = NULL;
	char *host = NULL, *dir = NULL, *path = NULL, *sigpath = NULL;
	uint8_t *buf = NULL, *sig = NULL;
	size_t n = 0, nseg = 0, i, len, siglen = 0;
	uint64_t s;
	int rc = -1, r;

	memset(&rres, 0, sizeof(rres));
	rv.r = &rres;
	if (pick_host(v, t, &host) || (dir = gs_asprintf("log/%s", host)) == NULL)
		goto out;
	if ((r = gs_tp_list(t, dir, &e, &n)) < 0)
		goto out;
	if (r == 1 || n == 0) {
		bad(v, 0, "%s: nothing shipped under %s", gs_tp_name(t), dir);
		rc = 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (add_seg(&segs, &nseg, "audit", e[i].name))
			goto out;
	if (nseg > 1)
		qsort(segs, nseg, sizeof(*segs), seg_cmp);
	for (i = 0; i < nseg; i++) {
		free(path);
		free(sigpath);
		free(buf);
		free(sig);
		buf = sig = NULL;
		siglen = 0;
		if ((path = gs_asprintf("%s/%s", dir, segs[i].name)) == NULL ||
		    (sigpath = gs_asprintf("%s.minisig", path)) == NULL)
			goto out;
		if ((r = tp_get(t, path, SEG_MAX, &buf, &len)) < 0)
			goto out;
		if (r == 1) {
			bad(w, segs[i].first, "%s on %s: missing (its signature is there)", path,
			    gs_tp_name(t));
			continue;
		}
		if (segs[i].has_sig && tp_get(t, sigpath, GS_MS_SIGFILE_MAX, &sig, &siglen) < 0)
			goto out;
		if (check_seg(w, path, (const char *)buf, len, (const char *)sig, siglen, 0, calls))
			goto out;
	}
	if (w != v) {
		if (rv.rc == 1)
			bad(v, rres.bad_seq, "the copy on %s: %s", gs_tp_name(t), rres.why);
		/* record by record against the local log */
		for (s = rv.hash_base; s < rv.hash_base + rv.nhash; s++) {
			const uint8_t *mine = hash_at(v, s);

			if (mine == NULL && s > v->head.seq) {
				bad(v, v->head.seq + 1,
				    "the log ends at record %" PRIu64
				    ", but %s holds records up to %" PRIu64
				    " (records were removed)",
				    v->head.seq, gs_tp_name(t), rv.hash_base + rv.nhash - 1);
				break;
			}
			if (mine != NULL &&
			    sodium_memcmp(mine, rv.hash[s - rv.hash_base], 32) != 0) {
				bad(v, s, "it differs from the copy shipped to %s", gs_tp_name(t));
				break;
			}
		}
	}
	for (i = 0; i < n; i++) {
		const char *nm = e[i].name;
		size_t l = strlen(nm);

		if (strncmp(nm, AL_CKPT_PREFIX, strlen(AL_CKPT_PREFIX)) == 0 && l > 5 &&
		    strcmp(nm + l - 5, ".json") == 0 && checkpoint(v, v, t, dir, nm))
			goto out;
	}
	rc = 0;
out:
	gs_tp_list_free(e, n);
	segs_free(segs, nseg);
	free(rv.hash);
	free(rv.host);
	free(buf);
	free(sig);
	free(path);
	free(sigpath);
	free(host);
	free(dir);
	return rc;
}

/*
 * gs_audit_verify(o, ret): check every signature, the chain across every
 * segment, the sequence, and with o->remote the shipped segments and
 * checkpoints against the local log.  0, 4 (a crash), 1 (bad), -1.
 */
int
gs_audit_verify(const struct gs_audit_vopts *o, struct gs_audit_vres *ret)
{
	struct vctx v = {.o = o, .r = ret};
	int rc = -1;

	memset(ret, 0, sizeof(*ret));
	if (o->log != NULL && local(&v, 1))
		goto out;
	if (o->remote != NULL && remote(&v, o->log == NULL))
		goto out;
	ret->last_seq = v.head.seq;
	gs_hex(ret->head, v.head.hash, 32);
	if (v.rc == 4 && ret->unsigned_n == 0 && !ret->torn && ret->why[0] == 0)
		snprintf(ret->why, sizeof(ret->why), "a cut of the log was interrupted by a crash");
	else if (v.rc == 4 && ret->why[0] == 0)
		snprintf(ret->why, sizeof(ret->why),
		         "%" PRIu64 " records after the last signature%s, written before a crash",
		         ret->unsigned_n, ret->torn ? " and a torn last line" : "");
	rc = v.rc;
out:
	free(v.hash);
	free(v.host);
	return rc;
}
