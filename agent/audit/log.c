/*
 * log.c -- appending to the audit log: lock, repair what a crash left,
 * append, sign, send to syslog; and cutting the open segment.
 *
 * Locking: every appender (agent commands, geosnap-restore test) takes
 * flock() on "<log>.lock" for the whole session below, so the chain, the
 * signature and the cuts are serialised across processes.
 *
 * Crash safety: a line is written and fsync'd, then the signature is
 * replaced atomically (temporary, rename).  A crash leaves the open segment
 * either signed, or with records after its signature, or with a torn last
 * line; a cut renames the signature first and the segment second, so a
 * crash between leaves a closed signature without its segment.  prepare()
 * finishes each of these and records what it did ("log-repair").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/audit_internal.h"
#include "geosnap/audit.h"
#include "geosnap/util.h"

#define OPEN_MAX ((size_t)64 << 20) /* a larger open segment is set aside */
#define NOTES_MAX 4

struct wctx {
	const struct gs_audit_conf *c;
	char *dir, *stem, *sig;
	struct gs_ms_sec *sec;
	struct gs_ms_pub pub;
	int fd;
	struct al_head head; /* the chain's end: next record chains to it */
	uint64_t first;      /* first seq of the open segment, 0 when empty */
	char first_date[9];  /* its date */
	uint64_t records;    /* records in the open segment */
	struct gs_audit_rec notes[NOTES_MAX];
	size_t nnotes;
	int damaged;         /* something was set aside: the caller's run exits 1 */
	struct gs_buf lines; /* what this session appended, for syslog */
};

/* note(w, action): a "log-repair" record to append before the caller's;
 * returns it (or NULL when there is no room) for more fields. */
static struct gs_audit_rec *
note(struct wctx *w, const char *action)
{
	struct gs_audit_rec *r;

	if (w->nnotes == NOTES_MAX)
		return NULL;
	r = &w->notes[w->nnotes];
	if (gs_audit_rec_init(r, "log-repair"))
		return NULL;
	w->nnotes++;
	gs_audit_rec_str(r, "action", action);
	gs_audit_rec_str(r, "log", w->c->log);
	return r;
}

/* stamp(out, cap): the UTC time as YYYYMMDDTHHMMSSZ. */
static void
stamp(char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, cap, "%Y%m%dT%H%M%SZ", &tm);
}

/* aside_name(base, what): "<base>.<what>.<stamp>" not yet existing. */
static char *
aside_name(const char *base, const char *what)
{
	char ts[32], *p;
	int i;

	stamp(ts, sizeof(ts));
	for (i = 0; i < 100; i++) {
		p = i ? gs_asprintf("%s.%s.%s.%d", base, what, ts, i)
		      : gs_asprintf("%s.%s.%s", base, what, ts);
		if (p == NULL || access(p, F_OK) != 0)
			return p;
		free(p);
	}
	return NULL;
}

/* newest_closed(w, ret_name): the closed segment with the highest first
 * seq (malloc'd name, or NULL when there is none).  0 or -1. */
static int
newest_closed(struct wctx *w, char **ret_name)
{
	char *best = NULL;
	uint64_t first, bestf = 0;
	struct dirent **v = NULL;
	int n, i;

	*ret_name = NULL;
	if ((n = scandir(w->dir, &v, NULL, NULL)) < 0) {
		gs_warnp("audit log directory %s", w->dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = v[i]->d_name;
		size_t l = strlen(name);
		char tmp[512];

		if (l > 8 && l < sizeof(tmp) && strcmp(name + l - 8, ".minisig") == 0) {
			memcpy(tmp, name, l - 8);
			tmp[l - 8] = 0;
			name = tmp;
		}
		if (al_seg_parse(w->stem, name, &first) == 0 && first > bestf) {
			free(best);
			best = gs_strdup(name);
			bestf = first;
		}
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	*ret_name = best;
	return 0;
}

/* path_in(w, name): dir/name. */
static char *
path_in(const struct wctx *w, const char *name)
{
	return gs_path_join(w->dir, name);
}

/*
 * closed_head(w): finish an interrupted cut, then the chain's end from the
 * newest closed segment (w->head; zero when there is none).  0 or -1.
 */
static int
closed_head(struct wctx *w)
{
	char *name, *path = NULL, *sig = NULL;
	uint8_t *buf = NULL;
	size_t len;
	struct al_scan s;
	int rc = -1;

	memset(&w->head, 0, sizeof(w->head));
	if (newest_closed(w, &name))
		return -1;
	if (name == NULL)
		return 0;
	if ((path = path_in(w, name)) == NULL || (sig = gs_asprintf("%s.minisig", path)) == NULL)
		goto out;
	if (access(path, F_OK) != 0 && access(sig, F_OK) == 0 && access(w->c->log, F_OK) == 0) {
		struct gs_audit_rec *r;

		if (rename(w->c->log, path) != 0 || gs_fsync_dir(w->dir)) {
			gs_warnp("audit log %s: finishing a cut into %s", w->c->log, path);
			goto out;
		}
		if ((r = note(w, "cut-finished")) != NULL)
			gs_audit_rec_str(r, "to", path);
	}
	switch (gs_read_file(path, OPEN_MAX, &buf, &len)) {
	case 0:
		break;
	case 1:
		rc = 0; /* a signature without its segment: log verify reports it */
		goto out;
	default:
		goto out;
	}
	if (al_scan((const char *)buf, len, NULL, 0, &s))
		goto out;
	w->head = s.head;
	rc = 0;
out:
	free(buf);
	free(name);
	free(path);
	free(sig);
	return rc;
}

/* set_aside(w, why, bad_seq): move the open segment and its signature
 * aside and start an empty one.  0 or -1. */
static int
set_aside(struct wctx *w, const char *why, uint64_t bad_seq)
{
	char *to = aside_name(w->c->log, "damaged"), *tosig = NULL;
	struct gs_audit_rec *r;
	int rc = -1;

	if (to == NULL || (tosig = gs_asprintf("%s.minisig", to)) == NULL)
		goto out;
	gs_warn("audit log %s: %s; set aside as %s, a new segment begins", w->c->log, why, to);
	if ((access(w->sig, F_OK) == 0 && rename(w->sig, tosig) != 0) ||
	    rename(w->c->log, to) != 0) {
		gs_warnp("audit log %s: set aside", w->c->log);
		goto out;
	}
	close(w->fd);
	w->fd = gs_open_private(w->c->log, O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0600);
	if (w->fd < 0 || gs_fsync_dir(w->dir))
		goto out;
	w->damaged = 1;
	w->records = 0;
	w->first = 0;
	if ((r = note(w, "damaged-set-aside")) != NULL) {
		gs_audit_rec_str(r, "to", to);
		gs_audit_rec_str(r, "reason", why);
		gs_audit_rec_u64(r, "bad_seq", bad_seq);
	}
	rc = 0;
out:
	free(to);
	free(tosig);
	return rc;
}

/* set_torn(w, buf, len, good): move the torn tail aside. 0 or -1. */
static int
set_torn(struct wctx *w, const uint8_t *buf, size_t len, size_t good)
{
	char *to = aside_name(w->c->log, "torn");
	struct gs_audit_rec *r;
	int fd, rc = -1;

	if (to == NULL)
		return -1;
	if ((fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    write(fd, buf + good, len - good) != (ssize_t)(len - good) || fsync(fd)) {
		gs_warnp("audit log %s: setting a torn line aside into %s", w->c->log, to);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (ftruncate(w->fd, (off_t)good) || fsync(w->fd) || gs_fsync_dir(w->dir)) {
		gs_warnp("audit log %s: truncate", w->c->log);
		goto out;
	}
	gs_warn(
	    "audit log %s: a torn last line (%zu bytes, written before a crash) set aside as %s",
	    w->c->log, len - good, to);
	if ((r = note(w, "torn-line-set-aside")) != NULL) {
		gs_audit_rec_str(r, "to", to);
		gs_audit_rec_u64(r, "bytes", len - good);
	}
	rc = 0;
out:
	free(to);
	return rc;
}

/*
 * check_sig(w, buf, s): the open segment's signature against its records.
 * 0 it covers them all; 1 it covers a prefix (or is missing): the rest was
 * written before a crash (noted; the append re-signs); 2 it does not
 * verify (why set).
 */
static int
check_sig(struct wctx *w, const uint8_t *buf, const struct al_scan *s, char *why, size_t whylen)
{
	char trusted[GS_MS_TRUSTED_MAX];
	uint8_t *sig = NULL, h[GS_MS_HASH_LEN], head[32], lh[32];
	uint64_t first, n, start;
	size_t siglen;
	struct gs_audit_rec *r;
	int rc = 2;

	if (gs_read_file(w->sig, GS_MS_SIGFILE_MAX, &sig, &siglen) == 1) {
		n = 0;
		goto tail;
	}
	if (sig == NULL) {
		snprintf(why, whylen, "unreadable signature %s", w->sig);
		return 2;
	}
	if (gs_ms_sig_trusted((const char *)sig, siglen, trusted) ||
	    al_trusted_parse(trusted, &first, &n, head)) {
		snprintf(why, whylen, "malformed signature %s", w->sig);
		goto out;
	}
	if (n == 0 || n > s->records || first != s->first) {
		snprintf(why, whylen,
		         "the signature covers records %" PRIu64 "-%" PRIu64
		         " but the segment holds %" PRIu64 "-%" PRIu64,
		         first, first + n - 1, s->first, s->first + s->records - 1);
		goto out;
	}
	crypto_generichash(h, sizeof(h), buf, s->ends[n - 1], NULL, 0);
	if (gs_ms_verify(&w->pub, h, (const char *)sig, siglen, trusted, why, whylen))
		goto out;
	start = n > 1 ? s->ends[n - 2] : 0;
	crypto_hash_sha256(lh, buf + start, s->ends[n - 1] - start - 1);
	if (sodium_memcmp(lh, head, 32) != 0) {
		snprintf(why, whylen, "the signature's head hash is not record %" PRIu64,
		         first + n - 1);
		goto out;
	}
tail:
	rc = 0;
	if (n < s->records) {
		rc = 1;
		gs_warn("audit log %s: %" PRIu64
		        " records after the last signature, written before "
		        "a crash; signing them",
		        w->c->log, s->records - n);
		if ((r = note(w, "re-signed")) != NULL)
			gs_audit_rec_u64(r, "unsigned_records", s->records - n);
	}
out:
	free(sig);
	return rc;
}

/* cut_now(w): rename the signature, then the segment.  0 or -1. */
static int
cut_now(struct wctx *w)
{
	char *name = al_seg_name(w->stem, w->first_date, w->first), *path = NULL, *sig = NULL;
	int rc = -1;

	if (name == NULL || (path = path_in(w, name)) == NULL ||
	    (sig = gs_asprintf("%s.minisig", path)) == NULL)
		goto out;
	if (access(path, F_OK) == 0) {
		gs_warn("audit log %s: %s already exists; not cutting", w->c->log, path);
		goto out;
	}
	if ((access(w->sig, F_OK) == 0 && rename(w->sig, sig) != 0) ||
	    rename(w->c->log, path) != 0) {
		gs_warnp("audit log %s: cut into %s", w->c->log, path);
		goto out;
	}
	close(w->fd);
	w->fd = gs_open_private(w->c->log, O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0600);
	if (w->fd < 0 || gs_fsync_dir(w->dir))
		goto out;
	w->records = 0;
	w->first = 0;
	rc = 0;
out:
	free(name);
	free(path);
	free(sig);
	return rc;
}

static int sign(struct wctx *w);

/* date_of(ns, out): the UTC date YYYYMMDD of ns (0: now). */
static void
date_of(int64_t ns, char out[9])
{
	time_t t = ns ? (time_t)(ns / GS_NS_PER_S) : time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 9, "%Y%m%d", &tm);
}

/*
 * prepare(w, r): open the segment and put right what a crash left (above);
 * set aside a segment that fails its check; cut one whose first record is
 * of another day than r's (NULL: no such cut).  0, or -1 (warned: nothing
 * can be appended).
 */
static int
prepare(struct wctx *w, const struct gs_audit_rec *r)
{
	uint8_t *buf = NULL;
	struct stat st;
	struct al_scan s = {0};
	char why[512], day[9];
	int rc = -1, k;

	if (closed_head(w))
		return -1;
	if ((w->fd = gs_open_private(w->c->log, O_RDWR | O_APPEND | O_CREAT, 0600)) < 0)
		return -1;
	if (fstat(w->fd, &st))
		goto out;
	if ((uint64_t)st.st_size > OPEN_MAX) {
		rc = set_aside(w, "larger than 64 MiB", 0);
		goto out;
	}
	if (st.st_size == 0) {
		rc = 0;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL ||
	    pread(w->fd, buf, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
		gs_warnp("audit log %s: read", w->c->log);
		goto out;
	}
	if (al_scan((const char *)buf, (size_t)st.st_size, w->head.seq ? &w->head : NULL, 1, &s))
		goto out;
	if (s.bad_seq != 0) {
		rc = set_aside(w, s.why, s.bad_seq);
		goto out;
	}
	if (s.torn && set_torn(w, buf, (size_t)st.st_size, s.good_len))
		goto out;
	if (s.records && w->sec != NULL && (k = check_sig(w, buf, &s, why, sizeof(why))) == 2) {
		rc = set_aside(w, why, s.first);
		goto out;
	}
	if (s.records) {
		w->head = s.head;
		w->first = s.first;
		w->records = s.records;
		memcpy(w->first_date, s.first_date, 9);
		date_of(r ? r->time_ns : 0, day);
		if (r != NULL && strcmp(day, w->first_date) != 0) {
			/* a new day, a new segment (signed whole first) */
			rc = sign(w) || cut_now(w) ? -1 : 0;
			goto out;
		}
	}
	rc = 0;
out:
	free(s.ends);
	free(buf);
	return rc;
}

/* put(w, r): append r's line to the open segment; fsync.  0 or -1. */
static int
put(struct wctx *w, struct gs_audit_rec *r)
{
	char prev[65], when[GS_ISO_TIME_MAX], *line = NULL;
	int64_t t = r->time_ns ? r->time_ns : gs_now_ns();
	size_t len = 0;
	FILE *m;
	int rc = -1;

	if (r->m == NULL || fclose(r->m) != 0) {
		r->m = NULL;
		gs_warn("audit log %s: out of memory building a record", w->c->log);
		return -1;
	}
	r->m = NULL;
	gs_hex(prev, w->head.hash, 32);
	gs_iso_time(when, sizeof(when), t / GS_NS_PER_S);
	if ((m = open_memstream(&line, &len)) == NULL)
		return -1;
	fprintf(m, "{\"v\":%d,\"seq\":%" PRIu64 ",\"prev\":\"%s\",\"time\":\"%s\",\"time_ns\":%lld",
	        GS_AUDIT_VERSION, w->head.seq + 1, prev, when, (long long)t);
	fputs(",\"host\":", m);
	gs_json_str(m, w->c->host ? w->c->host : "");
	fputs(",\"event\":", m);
	gs_json_str(m, r->event);
	if (r->len)
		fwrite(r->buf, 1, r->len, m);
	fputs("}\n", m);
	if (fclose(m) != 0 || len - 1 > GS_AUDIT_LINE_MAX) {
		gs_warn("audit log %s: record too long", w->c->log);
		goto out;
	}
	if (write(w->fd, line, len) != (ssize_t)len || fsync(w->fd)) {
		gs_warnp("audit log %s: append", w->c->log);
		goto out;
	}
	if (w->records == 0) {
		w->first = w->head.seq + 1;
		memcpy(w->first_date, when, 4);
		memcpy(w->first_date + 4, when + 5, 2);
		memcpy(w->first_date + 6, when + 8, 2);
		w->first_date[8] = 0;
	}
	crypto_hash_sha256(w->head.hash, (const unsigned char *)line, len - 1);
	w->head.seq++;
	w->records++;
	if (w->c->syslog)
		gs_buf_put(&w->lines, line, len);
	rc = 0;
out:
	free(line);
	return rc;
}

/* sign(w): replace the open segment's signature.  0 or -1. */
static int
sign(struct wctx *w)
{
	uint8_t *buf = NULL;
	char *text = NULL;
	size_t len, tlen;
	int rc = -1;

	if (w->sec == NULL || w->records == 0)
		return 0;
	if (gs_read_file(w->c->log, OPEN_MAX, &buf, &len) != 0)
		goto out;
	if (al_sign(w->sec, w->c->host, buf, len, w->first, w->records, w->head.hash, &text,
	            &tlen) ||
	    gs_write_file_replace(w->sig, text, tlen, 0600, 1)) {
		gs_warn("audit log %s: could not sign", w->c->log);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	free(text);
	return rc;
}

/* to_syslog(w): one syslog message per appended line. */
static void
to_syslog(struct wctx *w)
{
	const char *p = (const char *)w->lines.p, *end = p + w->lines.len, *nl;

	if (w->lines.len == 0)
		return;
	openlog("geosnap", LOG_NDELAY, LOG_DAEMON);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		syslog(LOG_INFO, "%.*s", (int)(nl - p), p);
	}
	closelog();
}

/* session(c, r, cut): the whole of one append (r may be NULL) or cut. */
static int
session(const struct gs_audit_conf *c, struct gs_audit_rec *r, int cut)
{
	struct wctx w = {.c = c, .fd = -1};
	char *lockpath = NULL;
	int lfd = -1, rc = -1;
	size_t i;

	w.dir = al_dir(c->log);
	w.stem = al_stem(c->log);
	w.sig = gs_asprintf("%s.minisig", c->log);
	lockpath = gs_asprintf("%s.lock", c->log);
	if (w.dir == NULL || w.stem == NULL || w.sig == NULL || lockpath == NULL)
		goto out;
	if ((lfd = gs_open_private(lockpath, O_RDWR | O_CREAT, 0600)) < 0)
		goto out;
	if (flock(lfd, LOCK_EX)) {
		gs_warnp("audit log %s: lock", c->log);
		goto out;
	}
	if (c->key != NULL) {
		if ((w.sec = gs_ms_sec_load(c->key)) == NULL)
			gs_warn("audit log %s: appending without a signature", c->log);
		else
			gs_ms_pub_of(w.sec, &w.pub);
	}
	if (prepare(&w, r))
		goto out;
	for (i = 0; i < w.nnotes; i++)
		if (put(&w, &w.notes[i]))
			goto out;
	if (r != NULL && put(&w, r))
		goto out;
	if (sign(&w))
		goto out;
	if (cut) {
		if (w.records == 0) {
			rc = 1;
			goto out;
		}
		if (cut_now(&w))
			goto out;
	}
	rc = w.damaged || (c->key != NULL && w.sec == NULL) ? 1 : 0;
	to_syslog(&w);
out:
	for (i = 0; i < w.nnotes; i++)
		gs_audit_rec_clear(&w.notes[i]);
	if (r != NULL)
		gs_audit_rec_clear(r);
	gs_buf_clear(&w.lines);
	gs_ms_sec_free(w.sec);
	if (w.fd >= 0)
		close(w.fd);
	if (lfd >= 0)
		close(lfd); /* releases the flock */
	free(lockpath);
	free(w.dir);
	free(w.stem);
	free(w.sig);
	return rc;
}

/*
 * gs_audit_write(c, r): append r to the log of c, sign the open segment
 * and send the line to syslog, after putting right what a crash left.
 * 0 appended; 1 appended, but the log needed repair; -1 not appended.
 */
int
gs_audit_write(const struct gs_audit_conf *c, struct gs_audit_rec *r)
{
	if (c->log == NULL) {
		gs_audit_rec_clear(r);
		return 0;
	}
	return session(c, r, 0);
}

/*
 * gs_audit_cut(c): close the open segment (when it holds records).  0, 1
 * nothing to cut, -1 (warned).
 */
int
gs_audit_cut(const struct gs_audit_conf *c)
{
	if (c->log == NULL)
		return 1;
	return session(c, NULL, 1);
}
