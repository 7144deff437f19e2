/*
 * audit.c -- the audit log: JSON Lines, append-only, hash-chained.
 *
 * Each line: {"seq":N,"prev":"<sha256 hex of the previous line>",...}.
 * Appenders serialise with flock() on the log itself; the previous line is
 * read back from the file's tail, so the chain holds across processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/audit.h"
#include "geosnap/util.h"

#define TAIL_MAX (256u * 1024)

/* gs_step_result(status): "ok", "problem", "usage", "failed" or "warnings". */
const char *
gs_step_result(int status)
{
	switch (status) {
	case GS_EXIT_OK:
		return "ok";
	case GS_EXIT_PROBLEM:
		return "problem";
	case GS_EXIT_USAGE:
		return "usage";
	case GS_EXIT_WARN:
		return "warnings";
	default:
		return "failed";
	}
}

/* The last complete line of fd (without its newline) into *ret; seq too. */
static int
last_line(int fd, const char *path, uint8_t hash[32], uint64_t *ret_seq)
{
	struct stat st;
	uint8_t *buf;
	size_t n, end, start;
	const char *p;

	*ret_seq = 0;
	memset(hash, 0, 32);
	if (fstat(fd, &st)) {
		gs_warnp("audit log %s", path);
		return -1;
	}
	if (st.st_size == 0)
		return 0;
	n = (uint64_t)st.st_size < TAIL_MAX ? (size_t)st.st_size : TAIL_MAX;
	if ((buf = malloc(n + 1)) == NULL)
		return -1;
	if (pread(fd, buf, n, st.st_size - (off_t)n) != (ssize_t)n) {
		gs_warnp("audit log %s: read", path);
		free(buf);
		return -1;
	}
	buf[n] = 0;
	end = n;
	if (buf[end - 1] != '\n') {
		gs_warn("audit log %s: last line is incomplete; refusing to extend a damaged log",
		        path);
		free(buf);
		return -1;
	}
	end--;
	start = end;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	if (start == 0 && (uint64_t)st.st_size > n) {
		gs_warn("audit log %s: last line longer than %u bytes", path, TAIL_MAX);
		free(buf);
		return -1;
	}
	crypto_hash_sha256(hash, buf + start, end - start);
	buf[end] = 0;
	if ((p = strstr((char *)buf + start, "\"seq\":")) != NULL)
		*ret_seq = strtoull(p + 6, NULL, 10);
	free(buf);
	return 0;
}

static void
json_kv_str(FILE *f, const char *k, const char *v)
{
	fprintf(f, ",\"%s\":", k);
	if (v)
		gs_json_str(f, v);
	else
		fputs("null", f);
}

/*
 * gs_audit_append(path, host, s): append one JSON line for s to the audit
 * log at path (created 0600), with the next seq and the SHA-256 of the
 * previous line; fsync'd.  0 or -1 (warned).  A NULL path does nothing.
 */
int
gs_audit_append(const char *path, const char *host, const struct gs_step *s)
{
	uint8_t prev[32];
	char prevhex[65], when[GS_ISO_TIME_MAX];
	uint64_t seq;
	char *line = NULL;
	size_t len = 0;
	FILE *m;
	int fd, rc = -1;

	if (path == NULL)
		return 0;
	/* never through a link, nor a hard link: root appends to it */
	if ((fd = gs_open_private(path, O_RDWR | O_APPEND | O_CREAT, 0600)) < 0)
		return -1;
	if (flock(fd, LOCK_EX)) {
		gs_warnp("audit log %s: lock", path);
		goto out;
	}
	if (last_line(fd, path, prev, &seq))
		goto out;
	gs_hex(prevhex, prev, 32);
	gs_iso_time(when, sizeof(when), s->start_ns / GS_NS_PER_S);
	if ((m = open_memstream(&line, &len)) == NULL) {
		gs_warnp("open_memstream");
		goto out;
	}
	fprintf(m, "{\"seq\":%llu,\"prev\":\"%s\",\"time\":\"%s\",\"time_ns\":%lld",
	        (unsigned long long)seq + 1, prevhex, when, (long long)s->start_ns);
	json_kv_str(m, "host", host);
	json_kv_str(m, "event", s->step);
	json_kv_str(m, "tenant", s->tenant);
	json_kv_str(m, "remote", s->remote);
	fprintf(m, ",\"status\":%d,\"result\":\"%s\",\"duration_s\":%.3f", s->status,
	        gs_step_result(s->status), (double)s->duration_ns / 1e9);
	fprintf(m, ",\"files\":%llu,\"bytes\":%llu,\"new_bytes\":%llu",
	        (unsigned long long)s->files, (unsigned long long)s->bytes,
	        (unsigned long long)s->new_bytes);
	json_kv_str(m, "snapshot", s->snapshot);
	json_kv_str(m, "message", s->message);
	if (s->action != NULL) {
		json_kv_str(m, "object", s->object);
		json_kv_str(m, "action", s->action);
		json_kv_str(m, "to", s->to);
		json_kv_str(m, "reason", s->reason);
	}
	fputs("}\n", m);
	if (fclose(m) != 0) {
		gs_warnp("open_memstream");
		goto out;
	}
	if (write(fd, line, len) != (ssize_t)len || fsync(fd)) {
		gs_warnp("audit log %s: append", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	close(fd); /* releases the flock */
	return rc;
}
