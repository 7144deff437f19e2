/*
 * conformance.c -- the one conformance suite every transport must pass
 * (after restic's internal/backend/test): run by CTest against the local
 * transport, and by sftp-conformance.sh against the SFTP transport on a
 * throwaway sshd.
 *
 *   conformance local
 *       a temporary directory through "file://" (removed afterwards)
 *   conformance [-i IDENTITY] [-k KNOWN_HOSTS] [-f FINGERPRINT] -s SERVERDIR URL
 *       URL is sftp://... or file:///...; SERVERDIR is where the base
 *       directory is on this machine (to check modes the way the server's
 *       filesystem has them).
 *
 * Every case works below a fresh "conf-<random>" directory of the base.
 * Output: "ok N - case" / "not ok N - case" (with the failed checks and the
 * last warning on stderr; every warning with GS_VERBOSE=1), then "N
 * passed, M failed"; exit 0 only when all passed.
 *
 * This file owns the run (main, the table of cases in order) and the
 * general cases; the caps cases are in conformance_caps.c, what both share
 * in conformance.h, the remote from the command line in tpargs.c.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/config.h"
#include "geosnap/transport.h"
#include "geosnap/util.h"
#include "conformance.h"
#include "tpargs.h"

static int passed, failed;
int case_failed;
struct gs_remote_conf rc;
const char *serverdir;
char prefix[64];

/* P(fmt, ...): a path below the prefix (static buffers, 8 in rotation). */
const char *
P(const char *fmt, ...)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];
	va_list ap;
	int n;

	n = snprintf(b, 512, "%s/", prefix);
	va_start(ap, fmt);
	vsnprintf(b + n, 512 - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

static uint8_t *
random_bytes(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	if (p == NULL) {
		perror("malloc");
		exit(2);
	}
	randombytes_buf(p, n);
	return p;
}

/* put(t, path, buf, len, piece): create, write in pieces, commit; 0 or -1. */
int
put(struct gs_transport *t, const char *path, const uint8_t *buf, size_t len, size_t piece)
{
	struct gs_tp_file *f;
	size_t off = 0, n;

	if ((f = gs_tp_create(t, path)) == NULL)
		return -1;
	while (off < len) {
		n = len - off < piece ? len - off : piece;
		if (gs_tp_write(f, buf + off, n)) {
			gs_tp_abort(f);
			return -1;
		}
		off += n;
	}
	return gs_tp_commit(f);
}

/* same(t, path, buf, len): path holds exactly buf. */
static int
same(struct gs_transport *t, const char *path, const uint8_t *buf, size_t len)
{
	uint8_t *got = NULL;
	size_t glen = 0;
	int ok;

	if (gs_tp_read_all(t, path, len + 1024, &got, &glen) != 0)
		return 0;
	ok = glen == len && (len == 0 || memcmp(got, buf, len) == 0);
	free(got);
	return ok;
}

/* ---- the cases ----------------------------------------------------- */

static void
c_mkdir(struct gs_transport *t)
{
	struct gs_tp_entry *v = NULL;
	size_t n = 0;
	uint8_t x = 'x';

	CHECK(gs_tp_mkdir(t, P("a/b/c")) == 0);
	CHECK(gs_tp_mkdir(t, P("a/b/c")) == 0);
	CHECK(gs_tp_mkdir(t, P("a/b")) == 0);
	CHECK(gs_tp_mkdir(t, "") == 0);
	CHECK(gs_tp_list(t, P("a/b"), &v, &n) == 0);
	CHECK(n == 1 && strcmp(v[0].name, "c") == 0 && v[0].is_dir);
	gs_tp_list_free(v, n);
	/* a file in the way is an error */
	CHECK(put(t, P("a/file"), &x, 1, 1) == 0);
	CHECK(gs_tp_mkdir(t, P("a/file/sub")) == -1);
	CHECK(gs_tp_mkdir(t, P("a/file")) == -1);
}

static void
c_roundtrip(struct gs_transport *t)
{
	size_t len = 100000;
	uint8_t *buf = random_bytes(len), got[60000];
	uint64_t size = 0;

	CHECK(gs_tp_mkdir(t, P("rt")) == 0);
	CHECK(put(t, P("rt/obj"), buf, len, 33333) == 0);
	CHECK(gs_tp_stat(t, P("rt/obj"), &size) == 0 && size == len);
	CHECK(same(t, P("rt/obj"), buf, len));
	CHECK(gs_tp_read(t, P("rt/obj"), 0, 1, got) == 0 && got[0] == buf[0]);
	CHECK(gs_tp_read(t, P("rt/obj"), len - 1, 1, got) == 0 && got[0] == buf[len - 1]);
	CHECK(gs_tp_read(t, P("rt/obj"), 12345, 54321, got) == 0 &&
	      memcmp(got, buf + 12345, 54321) == 0);
	CHECK(gs_tp_read(t, P("rt/obj"), 40000, 60000, got) == 0 &&
	      memcmp(got, buf + 40000, 60000) == 0);
	/* zero-length reads, at the start and at the end */
	CHECK(gs_tp_read(t, P("rt/obj"), 0, 0, got) == 0);
	CHECK(gs_tp_read(t, P("rt/obj"), len, 0, got) == 0);
	free(buf);
}

static void
c_empty(struct gs_transport *t)
{
	uint8_t *got = (uint8_t *)"x";
	size_t glen = 99;
	uint64_t size = 99;
	struct gs_tp_file *f;

	CHECK(gs_tp_mkdir(t, P("empty")) == 0);
	CHECK((f = gs_tp_create(t, P("empty/zero"))) != NULL);
	if (f != NULL)
		CHECK(gs_tp_commit(f) == 0);
	CHECK(gs_tp_stat(t, P("empty/zero"), &size) == 0 && size == 0);
	CHECK(gs_tp_read_all(t, P("empty/zero"), 10, &got, &glen) == 0 && glen == 0);
	if (glen == 0)
		free(got);
	/* a write of 0 bytes is fine too */
	CHECK((f = gs_tp_create(t, P("empty/zero2"))) != NULL);
	if (f != NULL) {
		CHECK(gs_tp_write(f, "", 0) == 0);
		CHECK(gs_tp_commit(f) == 0);
	}
	CHECK(gs_tp_stat(t, P("empty/zero2"), &size) == 0 && size == 0);
}

static void
c_8mib(struct gs_transport *t)
{
	size_t len = 8 << 20, off = 0, n, i;
	static const size_t pieces[] = {1, 4095, 65536, (1 << 20) + 3, 30000, 7, 3 << 20};
	uint8_t *buf = random_bytes(len), *got = malloc(len);
	struct gs_tp_file *f;
	uint64_t size = 0;

	CHECK(gs_tp_mkdir(t, P("big")) == 0);
	CHECK((f = gs_tp_create(t, P("big/8m"))) != NULL);
	for (i = 0; f != NULL && off < len; i++) {
		n = pieces[i % (sizeof(pieces) / sizeof(pieces[0]))];
		if (n > len - off)
			n = len - off;
		CHECK(gs_tp_write(f, buf + off, n) == 0);
		off += n;
	}
	if (f != NULL)
		CHECK(gs_tp_commit(f) == 0);
	CHECK(gs_tp_stat(t, P("big/8m"), &size) == 0 && size == len);
	CHECK(same(t, P("big/8m"), buf, len));
	CHECK(got != NULL && gs_tp_read(t, P("big/8m"), 0, len, got) == 0 &&
	      memcmp(got, buf, len) == 0);
	CHECK(got != NULL && gs_tp_read(t, P("big/8m"), 3000001, 4000000, got) == 0 &&
	      memcmp(got, buf + 3000001, 4000000) == 0);
	CHECK(got != NULL && gs_tp_read(t, P("big/8m"), len - 65536, 65536, got) == 0 &&
	      memcmp(got, buf + len - 65536, 65536) == 0);
	free(got);
	free(buf);
}

static void
c_small_writes(struct gs_transport *t)
{
	size_t len = 3 << 20;
	uint8_t *buf = random_bytes(len);

	CHECK(gs_tp_mkdir(t, P("small")) == 0);
	CHECK(put(t, P("small/obj"), buf, len, 1000) == 0);
	CHECK(same(t, P("small/obj"), buf, len));
	free(buf);
}

static void
c_create_existing(struct gs_transport *t)
{
	uint8_t a[] = "first";

	CHECK(gs_tp_mkdir(t, P("ex")) == 0);
	CHECK(put(t, P("ex/obj"), a, sizeof(a), 100) == 0);
	CHECK(gs_tp_create(t, P("ex/obj")) == NULL);
	CHECK(gs_tp_last_errkind(t) == GS_TP_ERR_EXISTS);
	CHECK(same(t, P("ex/obj"), a, sizeof(a)));
	/* a missing parent directory is an error, not "exists" */
	CHECK(gs_tp_create(t, P("ex/nodir/obj")) == NULL);
	CHECK(gs_tp_last_errkind(t) != GS_TP_ERR_EXISTS);
}

static void
c_readonly(struct gs_transport *t)
{
	uint8_t a[] = "ro";
	char path[1024];
	struct stat st;

	CHECK(gs_tp_mkdir(t, P("ro")) == 0);
	CHECK(put(t, P("ro/obj"), a, sizeof(a), 100) == 0);
	snprintf(path, sizeof(path), "%s/%s", serverdir, P("ro/obj"));
	CHECK(stat(path, &st) == 0);
	CHECK((st.st_mode & 07777) == 0444);
	CHECK(S_ISREG(st.st_mode));
}

static void
c_rename_new(struct gs_transport *t)
{
	size_t len = 5000;
	uint8_t *buf = random_bytes(len);
	uint64_t size;

	CHECK(gs_tp_mkdir(t, P("rn/sub")) == 0);
	CHECK(put(t, P("rn/" GS_TMP_PREFIX "1"), buf, len, len) == 0);
	CHECK(gs_tp_rename(t, P("rn/" GS_TMP_PREFIX "1"), P("rn/final")) == 0);
	CHECK(gs_tp_stat(t, P("rn/" GS_TMP_PREFIX "1"), &size) == 1);
	CHECK(same(t, P("rn/final"), buf, len));
	/* into another directory */
	CHECK(gs_tp_rename(t, P("rn/final"), P("rn/sub/moved")) == 0);
	CHECK(same(t, P("rn/sub/moved"), buf, len));
	CHECK(gs_tp_stat(t, P("rn/final"), &size) == 1);
	free(buf);
}

static void
c_rename_existing(struct gs_transport *t)
{
	uint8_t a[] = "content A", b[] = "content B, longer";

	CHECK(gs_tp_mkdir(t, P("rx")) == 0);
	CHECK(put(t, P("rx/x"), a, sizeof(a), 100) == 0);
	CHECK(put(t, P("rx/y"), b, sizeof(b), 100) == 0);
	CHECK(gs_tp_rename(t, P("rx/x"), P("rx/y")) == 1);
	CHECK(same(t, P("rx/x"), a, sizeof(a)));
	CHECK(same(t, P("rx/y"), b, sizeof(b)));
	/* a missing source is an error */
	CHECK(gs_tp_rename(t, P("rx/missing"), P("rx/z")) == -1);
}

/* written(t, path, buf, len): created and written, not yet committed. */
static struct gs_tp_file *
written(struct gs_transport *t, const char *path, const uint8_t *buf, size_t len)
{
	struct gs_tp_file *f = gs_tp_create(t, path);

	if (f != NULL && gs_tp_write(f, buf, len) != 0) {
		gs_tp_abort(f);
		return NULL;
	}
	return f;
}

static void
c_publish(struct gs_transport *t)
{
	uint8_t a[] = "an object", b[] = "another object's bytes";
	struct gs_tp_file *f;
	uint64_t size;

	CHECK(gs_tp_mkdir(t, P("pb/sub")) == 0);
	/* publish = durable + renamed under its final name, in one call */
	CHECK((f = written(t, P("pb/" GS_TMP_PREFIX "a"), a, sizeof(a))) != NULL);
	CHECK(f != NULL && gs_tp_publish(f, P("pb/sub/obj")) == 0);
	CHECK(same(t, P("pb/sub/obj"), a, sizeof(a)));
	CHECK(gs_tp_stat(t, P("pb/" GS_TMP_PREFIX "a"), &size) == 1);
	/* never over an existing name: 1, and the object keeps its bytes */
	CHECK((f = written(t, P("pb/" GS_TMP_PREFIX "b"), b, sizeof(b))) != NULL);
	CHECK(f != NULL && gs_tp_publish(f, P("pb/sub/obj")) == 1);
	CHECK(same(t, P("pb/sub/obj"), a, sizeof(a)));
	/* an unclean target is refused, and the file is freed */
	CHECK((f = written(t, P("pb/" GS_TMP_PREFIX "c"), a, sizeof(a))) != NULL);
	CHECK(f != NULL && gs_tp_publish(f, "../escape") == -1);
}

static void
c_hash(struct gs_transport *t)
{
	/* XXH3-128 of "abc", as xxh128sum prints it */
	static const char want[] = "06b05ab6733a618578af5f94892f3950";
	uint8_t abc[] = {'a', 'b', 'c'}, buf[2];
	char hex[33];

	CHECK(gs_tp_mkdir(t, P("hs")) == 0);
	CHECK(put(t, P("hs/abc"), abc, sizeof(abc), 3) == 0);
	/* read through a buffer smaller than the file */
	CHECK(gs_tp_hash(t, P("hs/abc"), 3, buf, sizeof(buf), hex) == 0);
	CHECK(strcmp(hex, want) == 0);
	CHECK(gs_tp_hash(t, P("hs/abc"), 4, buf, sizeof(buf), hex) == 1);
	CHECK(gs_tp_hash(t, P("hs/missing"), 3, buf, sizeof(buf), hex) == 1);
}

static void
c_stat_missing(struct gs_transport *t)
{
	uint64_t size = 77;

	CHECK(gs_tp_stat(t, P("missing"), &size) == 1);
	CHECK(gs_tp_stat(t, P("nodir/missing"), &size) == 1);
	CHECK(size == 77);
}

static void
c_list(struct gs_transport *t)
{
	static const char *names[] = {"A", "a", "b", "c", "d"};
	static const uint64_t sizes[] = {0, 1, 2, 3, 0};
	struct gs_tp_entry *v = NULL;
	size_t n = 0, i;
	int64_t now = (int64_t)time(NULL);

	CHECK(gs_tp_mkdir(t, P("ls/d")) == 0);
	CHECK(put(t, P("ls/b"), (const uint8_t *)"bb", 2, 10) == 0);
	CHECK(put(t, P("ls/a"), (const uint8_t *)"a", 1, 10) == 0);
	CHECK(put(t, P("ls/c"), (const uint8_t *)"ccc", 3, 10) == 0);
	CHECK(put(t, P("ls/A"), (const uint8_t *)"", 0, 10) == 0);
	CHECK(gs_tp_list(t, P("ls"), &v, &n) == 0);
	CHECK(n == 5);
	for (i = 0; i < n && i < 5; i++) {
		CHECK(strcmp(v[i].name, names[i]) == 0);
		CHECK(v[i].is_dir == (i == 4));
		if (i < 4)
			CHECK(v[i].size == sizes[i]);
		/* modification times by the server's clock (the same host here) */
		CHECK(v[i].mtime > now - 600 && v[i].mtime < now + 600);
	}
	gs_tp_list_free(v, n);
	/* the base directory itself lists too, and has our prefix */
	CHECK(gs_tp_list(t, "", &v, &n) == 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, prefix) == 0)
			break;
	CHECK(i < n && v[i].is_dir);
	gs_tp_list_free(v, n);
}

static void
c_list_missing(struct gs_transport *t)
{
	struct gs_tp_entry *v = (struct gs_tp_entry *)&v;
	size_t n = 99;

	CHECK(gs_tp_list(t, P("nolist"), &v, &n) == 1);
	CHECK(n == 0);
	CHECK(gs_tp_list(t, P("nolist/deeper"), &v, &n) == 1);
}

static void
c_delete(struct gs_transport *t)
{
	uint64_t size;

	CHECK(gs_tp_mkdir(t, P("del")) == 0);
	CHECK(put(t, P("del/x"), (const uint8_t *)"x", 1, 1) == 0);
	CHECK(gs_tp_delete(t, P("del/x")) == 0);
	CHECK(gs_tp_stat(t, P("del/x"), &size) == 1);
	CHECK(gs_tp_delete(t, P("del/x")) == 1);
	CHECK(gs_tp_delete(t, P("nodir/x")) == 1);
}

static void
c_rmdir(struct gs_transport *t)
{
	struct gs_tp_entry *v = NULL;
	size_t n = 0;

	CHECK(gs_tp_mkdir(t, P("rmd/sub")) == 0);
	CHECK(put(t, P("rmd/sub/x"), (const uint8_t *)"x", 1, 1) == 0);
	CHECK(gs_tp_rmdir(t, P("rmd/sub")) == -1); /* not empty */
	CHECK(gs_tp_delete(t, P("rmd/sub/x")) == 0);
	CHECK(gs_tp_rmdir(t, P("rmd/sub")) == 0);
	CHECK(gs_tp_rmdir(t, P("rmd/sub")) == 1);
	CHECK(gs_tp_list(t, P("rmd"), &v, &n) == 0 && n == 0);
	gs_tp_list_free(v, n);
	CHECK(gs_tp_rmdir(t, P("rmd")) == 0);
	CHECK(gs_tp_list(t, P("rmd"), &v, &n) == 1);
}

static void
c_read_missing(struct gs_transport *t)
{
	uint8_t b[4], *p = NULL;
	size_t len = 0;

	CHECK(gs_tp_read(t, P("missing"), 0, 4, b) == 1);
	CHECK(gs_tp_read(t, P("nodir/missing"), 0, 4, b) == 1);
	CHECK(gs_tp_read_all(t, P("missing"), 100, &p, &len) == 1);
}

static void
c_read_past_eof(struct gs_transport *t)
{
	uint8_t *buf = random_bytes(100), got[200], *p = NULL;
	size_t len = 0;

	CHECK(gs_tp_mkdir(t, P("eof")) == 0);
	CHECK(put(t, P("eof/x"), buf, 100, 100) == 0);
	CHECK(gs_tp_read(t, P("eof/x"), 50, 51, got) == -1);
	CHECK(gs_tp_read(t, P("eof/x"), 200, 1, got) == -1);
	CHECK(gs_tp_read(t, P("eof/x"), 0, 101, got) == -1);
	CHECK(gs_tp_read(t, P("eof/x"), 0, 100, got) == 0 && memcmp(got, buf, 100) == 0);
	/* larger than allowed */
	CHECK(gs_tp_read_all(t, P("eof/x"), 99, &p, &len) == -1);
	free(buf);
}

static void
c_abort(struct gs_transport *t)
{
	size_t len = 1 << 20;
	uint8_t *buf = random_bytes(len);
	struct gs_tp_file *f;
	struct gs_tp_entry *v = NULL;
	uint64_t size;
	size_t n = 0, i;

	CHECK(gs_tp_mkdir(t, P("ab")) == 0);
	CHECK((f = gs_tp_create(t, P("ab/" GS_TMP_PREFIX "up"))) != NULL);
	if (f != NULL) {
		CHECK(gs_tp_write(f, buf, len) == 0);
		gs_tp_abort(f);
	}
	gs_tp_abort(NULL);
	CHECK(gs_tp_stat(t, P("ab/final"), &size) == 1);
	CHECK(gs_tp_list(t, P("ab"), &v, &n) == 0);
	for (i = 0; i < n; i++)
		CHECK(strncmp(v[i].name, GS_TMP_PREFIX, strlen(GS_TMP_PREFIX)) == 0);
	gs_tp_list_free(v, n);
	/* the caller sweeps the temporary and publishes afresh */
	CHECK(gs_tp_delete(t, P("ab/" GS_TMP_PREFIX "up")) == 0);
	CHECK(put(t, P("ab/" GS_TMP_PREFIX "up2"), buf, len, 65536) == 0);
	CHECK(gs_tp_rename(t, P("ab/" GS_TMP_PREFIX "up2"), P("ab/final")) == 0);
	CHECK(same(t, P("ab/final"), buf, len));
	free(buf);
}

static void
c_bad_paths(struct gs_transport *t)
{
	static const char *bad[] = {"../x", "/etc/passwd", "a//b", "a/./b",    "a/..",
	                            ".",    "a/",          "..",   "x/../../y"};
	struct gs_tp_entry *v;
	uint64_t size;
	uint8_t b[1];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(gs_tp_create(t, bad[i]) == NULL);
		CHECK(gs_tp_stat(t, bad[i], &size) == -1);
		CHECK(gs_tp_read(t, bad[i], 0, 1, b) == -1);
		CHECK(gs_tp_list(t, bad[i], &v, &n) == -1);
		CHECK(gs_tp_mkdir(t, bad[i]) == -1);
		CHECK(gs_tp_delete(t, bad[i]) == -1);
		CHECK(gs_tp_rmdir(t, bad[i]) == -1);
		CHECK(gs_tp_rename(t, P("x"), bad[i]) == -1);
	}
	CHECK(gs_tp_create(t, "") == NULL);
	CHECK(gs_tp_stat(t, "", &size) == -1);
}

static void
c_bandwidth(struct gs_transport *unused)
{
	struct gs_remote_conf lim = rc;
	struct gs_transport *t;
	size_t len = 3 << 20;
	uint8_t *buf = random_bytes(len);
	int64_t t0;
	double dt;

	(void)unused;
	lim.bandwidth_limit = 4 << 20; /* 4 MiB/s: 3 MiB take ~0.5 s after the burst */
	CHECK((t = gs_tp_open(&lim)) != NULL);
	if (t != NULL) {
		CHECK(gs_tp_mkdir(t, P("bw")) == 0);
		t0 = gs_mono_ns();
		CHECK(put(t, P("bw/obj"), buf, len, 1 << 20) == 0);
		dt = (double)(gs_mono_ns() - t0) / 1e9;
		fprintf(stderr, "  # 3 MiB at a limit of 4 MiB/s took %.2f s\n", dt);
		CHECK(dt >= 0.4 && dt < 5.0);
		CHECK(same(t, P("bw/obj"), buf, len));
		gs_tp_close(t);
	}
	free(buf);
}

static void
c_name(struct gs_transport *t)
{
	CHECK(strcmp(gs_tp_name(t), rc.name) == 0);
}

static const struct {
	const char *name;
	void (*fn)(struct gs_transport *);
} cases[] = {
    {"the transport has its name", c_name},
    {"mkdir makes nested directories, idempotently", c_mkdir},
    {"create, write, commit, then read back exactly, at offsets", c_roundtrip},
    {"0-length files", c_empty},
    {"an 8 MiB file written in odd pieces reads back exactly", c_8mib},
    {"3 MiB in 1000-byte writes reads back exactly", c_small_writes},
    {"create on an existing name fails with GS_TP_ERR_EXISTS", c_create_existing},
    {"created files are read-only (0444) on the server side", c_readonly},
    {"rename to a new name works", c_rename_new},
    {"rename onto an existing name returns 1 and leaves both intact", c_rename_existing},
    {"publish makes a file durable under its final name, never over one", c_publish},
    {"hash gives xxh128sum's digest; 1 for a short or missing file", c_hash},
    {"stat of a missing file returns 1", c_stat_missing},
    {"list gives names with sizes, sorted", c_list},
    {"list of a missing directory returns 1", c_list_missing},
    {"delete, then delete of a missing file returns 1", c_delete},
    {"rmdir removes empty directories only; missing returns 1", c_rmdir},
    {"read of a missing file returns 1", c_read_missing},
    {"read past the end returns -1", c_read_past_eof},
    {"an aborted upload leaves nothing under the final name", c_abort},
    {"unclean paths are refused", c_bad_paths},
    {"bandwidth_limit paces writes", c_bandwidth},
    {"a listing over the entry or name-bytes cap is refused", c_list_caps},
    {"a whole-object read over its cap is refused before reading", c_read_caps},
    {"repository objects over their kind's cap are refused, naming them", c_repo_caps},
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(int argc, char **argv)
{
	struct gs_transport *t;
	char tmpl[512], url[600], hex[17];
	uint8_t rnd[8];
	const char *tmpdir;
	int opt, local = 0;
	size_t i;

	gs_set_progname("conformance");
	/* the suite provokes errors on purpose: messages are shown only with
	 * a failed check (the last one) or with GS_VERBOSE=1 */
	gs_set_quiet(getenv("GS_VERBOSE") == NULL || strcmp(getenv("GS_VERBOSE"), "1") != 0);
	if (sodium_init() < 0)
		return 2;
	tpargs_init(&rc, "conformance");
	while ((opt = getopt(argc, argv, TPARGS_OPTS "s:")) != -1) {
		if (tpargs_opt(&rc, opt, optarg))
			continue;
		if (opt != 's')
			goto usage;
		serverdir = optarg;
	}
	if (optind != argc - 1)
		goto usage;
	if (strcmp(argv[optind], "local") == 0) {
		tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(tmpl, sizeof(tmpl), "%s/gs-conformance.XXXXXX", tmpdir);
		if (mkdtemp(tmpl) == NULL) {
			perror("mkdtemp");
			return 2;
		}
		snprintf(url, sizeof(url), "file://%s", tmpl);
		rc.url = url;
		serverdir = tmpl;
		local = 1;
	} else {
		rc.url = argv[optind];
	}
	if (serverdir == NULL)
		goto usage;
	printf("# transport conformance: %s\n", rc.url);
	randombytes_buf(rnd, sizeof(rnd));
	gs_hex(hex, rnd, sizeof(rnd));
	snprintf(prefix, sizeof(prefix), "conf-%s", hex);
	if ((t = gs_tp_open(&rc)) == NULL) {
		printf("not ok 1 - open %s (errkind %d): %s\n", rc.url, gs_tp_last_errkind(NULL),
		       gs_last_error());
		failed++;
		goto done;
	}
	if (gs_tp_mkdir(t, prefix) != 0) {
		printf("not ok 1 - mkdir %s: %s\n", prefix, gs_last_error());
		failed++;
		gs_tp_close(t);
		goto done;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		case_failed = 0;
		cases[i].fn(t);
		if (case_failed)
			failed++;
		else
			passed++;
		printf("%sok %d - %s\n", case_failed ? "not " : "", passed + failed, cases[i].name);
		fflush(stdout);
	}
	gs_tp_close(t);
done:
	if (local)
		nftw(tmpl, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: conformance local\n"
	                "       conformance [-i identity] [-k known_hosts] [-f fingerprint] -s "
	                "serverdir URL\n");
	return 2;
}
