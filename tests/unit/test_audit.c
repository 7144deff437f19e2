/*
 * test_audit.c -- the audit log's hash chain (gs_audit_append(),
 * docs/AUDIT.md): records get seq 1, 2, 3 ... and "prev", the SHA-256 of
 * the previous line without its newline (64 zeros for the first); a log
 * whose last line is incomplete is not extended; an edited, removed or
 * reordered record breaks the chain from that point on, which the checker
 * below (what an auditor's verifier does) finds.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/audit.h"
#include "geosnap/util.h"
#include "tap.h"

#define MAX_LINES 16
#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

/* The whole of path into a NUL-terminated malloc'd buffer; NULL on error. */
static char *
slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		if (fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else {
			p[n] = 0;
			*ret_len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

static int
spit(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (f == NULL)
		return -1;
	rc = fwrite(p, 1, n, f) == n ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

/* Split buf (modified: newlines become NULs) into lines; the count. */
static size_t
split(char *buf, size_t len, char *line[MAX_LINES], size_t line_len[MAX_LINES])
{
	size_t n = 0, start = 0, i;

	for (i = 0; i < len && n < MAX_LINES; i++) {
		if (buf[i] != '\n')
			continue;
		buf[i] = 0;
		line[n] = buf + start;
		line_len[n] = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

/* The value of "seq" in a record, or 0. */
static unsigned long long
seq_of(const char *line)
{
	const char *p = strstr(line, "\"seq\":");

	return p ? strtoull(p + 6, NULL, 10) : 0;
}

/* The 64 hex digits of "prev" in a record into out (65 bytes); 0 or -1. */
static int
prev_of(const char *line, char out[65])
{
	const char *p = strstr(line, "\"prev\":\"");

	if (p == NULL || strlen(p + 8) < 65 || p[8 + 64] != '"')
		return -1;
	memcpy(out, p + 8, 64);
	out[64] = 0;
	return 0;
}

/*
 * chain_break(path): check the whole log as an auditor would: every line is
 * complete, record i (from 1) has seq i and the SHA-256 of line i-1 as
 * prev (64 zeros for the first).  0 when the chain holds, else the number
 * of the first record that does not fit; -1 when the file cannot be read.
 */
static int
chain_break(const char *path)
{
	char *buf, *line[MAX_LINES], want[65], got[65];
	size_t len, line_len[MAX_LINES], n, i;
	uint8_t h[32];
	int rc = 0;

	if ((buf = slurp(path, &len)) == NULL)
		return -1;
	if (len > 0 && buf[len - 1] != '\n') {
		free(buf);
		return (int)MAX_LINES + 1; /* an incomplete last line */
	}
	n = split(buf, len, line, line_len);
	for (i = 0; i < n && rc == 0; i++) {
		if (i == 0) {
			memcpy(want, ZEROS, sizeof(want));
		} else {
			crypto_hash_sha256(h, (const uint8_t *)line[i - 1], line_len[i - 1]);
			gs_hex(want, h, 32);
		}
		if (seq_of(line[i]) != i + 1 || prev_of(line[i], got) != 0 ||
		    strcmp(want, got) != 0)
			rc = (int)i + 1;
	}
	free(buf);
	return rc;
}

/* The number of lines of path, or -1. */
static int
count_lines(const char *path)
{
	char *buf, *line[MAX_LINES];
	size_t len, line_len[MAX_LINES];
	int n;

	if ((buf = slurp(path, &len)) == NULL)
		return -1;
	n = (int)split(buf, len, line, line_len);
	free(buf);
	return n;
}

/* Append s to the unsigned log at path (NULL: no log). */
static int
app(const char *path, const struct gs_step *s)
{
	struct gs_audit_conf c = {.log = path, .host = "testhost"};

	return gs_audit_append(&c, s);
}

/* The step records the tests append; i picks one of a few shapes. */
static void
step_for(struct gs_step *s, int i)
{
	static const char *steps[] = {"backup", "ship", "verify", "run"};

	memset(s, 0, sizeof(*s));
	s->step = steps[i % 4];
	s->tenant = "acme";
	s->remote = i % 4 == 1 ? "fi1" : NULL;
	s->status = i % 3 == 2 ? GS_EXIT_WARN : GS_EXIT_OK;
	s->start_ns = 1765000000LL * 1000000000LL + i;
	s->duration_ns = 1500000000LL;
	s->files = 10 + (uint64_t)i;
	s->bytes = 1000;
	s->snapshot = i % 4 == 0 ? "0123456789abcdef0123456789abcdef" : NULL;
	/* quotes, a backslash and a newline stay inside one line */
	s->message = i % 3 == 2 ? "a \"quoted\" path\\with\na newline" : NULL;
}

int
main(void)
{
	char dir[] = "/tmp/gs-test-audit.XXXXXX";
	char logpath[256], copy[256], lnk[256], first[65], *buf;
	struct gs_step s;
	struct gs_step repair;
	struct stat st;
	size_t len;
	int i;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	gs_set_quiet(1);
	snprintf(logpath, sizeof(logpath), "%s/audit.jsonl", dir);
	snprintf(copy, sizeof(copy), "%s/copy.jsonl", dir);
	snprintf(lnk, sizeof(lnk), "%s/link.jsonl", dir);

	/* No log configured: nothing to do, nothing written. */
	step_for(&s, 0);
	CHECK(app(NULL, &s) == 0);
	CHECK(stat(logpath, &st) != 0);

	/* The first record: seq 1, prev 64 zeros; the file is made 0600. */
	CHECK(app(logpath, &s) == 0);
	CHECK(stat(logpath, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(count_lines(logpath) == 1);
	CHECK((buf = slurp(logpath, &len)) != NULL);
	if (buf != NULL) {
		CHECK(seq_of(buf) == 1);
		CHECK(prev_of(buf, first) == 0 && strcmp(first, ZEROS) == 0);
		CHECK(strstr(buf, "\"host\":\"testhost\"") != NULL);
		CHECK(strstr(buf, "\"event\":\"backup\"") != NULL);
		CHECK(strstr(buf, "\"result\":\"ok\"") != NULL);
		free(buf);
	}
	CHECK(chain_break(logpath) == 0);

	/* More records, each chained to the one before: seq 2..6. */
	for (i = 1; i <= 5; i++) {
		step_for(&s, i);
		CHECK(app(logpath, &s) == 0);
	}
	memset(&repair, 0, sizeof(repair));
	repair.step = "repair";
	repair.start_ns = 1765000000LL * 1000000000LL; /* the same day as the steps */
	repair.tenant = "acme";
	repair.remote = "fi1";
	repair.files = 1;
	repair.object = "tenants/acme/packs/a1/.gstmp-x";
	repair.action = "quarantined";
	repair.to = "tenants/acme/quarantine/x";
	repair.reason = "not a whole pack";
	CHECK(app(logpath, &repair) == 0);
	CHECK(count_lines(logpath) == 7);
	CHECK(chain_break(logpath) == 0);
	CHECK((buf = slurp(logpath, &len)) != NULL);
	if (buf != NULL) {
		CHECK(strstr(buf, "\"seq\":7,") != NULL);
		CHECK(strstr(buf, "\"action\":\"quarantined\"") != NULL);
		CHECK(strstr(buf, "\"result\":\"warnings\"") != NULL);
		free(buf);
	}

	/* The crash, tamper and signature cases: tests/audit/. */
	CHECK(spit(copy, "x", 1) == 0);

	/* Never through a symbolic link (root appends to the logpath). */
	CHECK(symlink(copy, lnk) == 0);
	CHECK(stat(copy, &st) == 0);
	len = (size_t)st.st_size;
	CHECK(app(lnk, &s) == -1);
	CHECK(stat(copy, &st) == 0 && (size_t)st.st_size == len);

	unlink(lnk);
	unlink(copy);
	unlink(logpath);
	rmdir(dir);
	return tap_done();
}
