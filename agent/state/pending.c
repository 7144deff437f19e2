/*
 * pending.c -- replication's two state files for each tenant and remote:
 *
 *   state_dir/pending-verify/<tenant>@<remote>   "<kind> <name>\n" for each
 *       object ship published since the last completed verify, which the
 *       next verify reads back whatever the sample says; removed when that
 *       verify completes;
 *   state_dir/verify-next/<tenant>@<remote>      "<bucket>\n", the next
 *       bucket of the rotating sample (verify.c).
 *
 * Both are the agent's own state: created 0600 and never read or written
 * through a symbolic link.  A pending file is appended by one ship at a
 * time (the tenant lock); its writer serialises its own threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "geosnap/util.h"
#include "geosnap/layout.h"
#include "geosnap/state.h"

/* The longest line read from a pending file ("<kind> <32 hex>\n"). */
#define PENDING_LINE_MAX 128
/* The largest verify-next file read. */
#define NEXT_FILE_MAX 64

struct gs_state_pending {
	FILE *f;
	char *path; /* for messages */
};

/* gs_state_pending_open(state_dir, tenant, remote): open the pending file
 * of tenant and remote for appending (created 0600, never through a link).
 * NULL (warned). */
struct gs_state_pending *
gs_state_pending_open(const char *state_dir, const char *tenant, const char *remote)
{
	return gs_state_pending_open_as(state_dir, GS_STATE_PENDING_VERIFY, tenant, remote);
}

/* gs_state_pending_open_as(state_dir, which, tenant, remote): open a
 * per-remote file of the pending format (GS_STATE_PENDING_VERIFY or
 * GS_STATE_PENDING_DELETE) for appending, created 0600 with its
 * directory, never through a link.  NULL (warned). */
struct gs_state_pending *
gs_state_pending_open_as(const char *state_dir, enum gs_state_file which, const char *tenant,
                         const char *remote)
{
	struct gs_state_pending *p;
	char *dir;
	int fd, r;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		gs_warnp("calloc");
		goto err0;
	}
	if ((p->path = gs_state_path(state_dir, which, tenant, remote)) == NULL)
		goto err1;
	if ((dir = gs_state_dir(state_dir, which)) == NULL)
		goto err2;
	r = gs_mkdir_p(dir, 0700);
	free(dir);
	/* mode 0600 whatever the umask; never through a link */
	if (r || (fd = gs_open_private(p->path, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
		goto err2;
	if ((p->f = fdopen(fd, "a")) == NULL) {
		gs_warnp("%s", p->path);
		goto err3;
	}
	return p;
err3:
	close(fd);
err2:
	free(p->path);
err1:
	free(p);
err0:
	return NULL;
}

/* gs_state_pending_add(p, kind, name): append one published object and
 * flush.  Not thread-safe: the caller serialises. */
void
gs_state_pending_add(struct gs_state_pending *p, int kind, const char *name)
{
	fprintf(p->f, "%d %s\n", kind, name);
	fflush(p->f);
}

/* gs_state_pending_stamp(p): on a file that is still empty, write the
 * line "# since <ns>" (the time now), which loading skips: when the
 * oldest entry was recorded (gs_state_pending_since). */
void
gs_state_pending_stamp(struct gs_state_pending *p)
{
	struct stat sb;

	if (fflush(p->f) == 0 && fstat(fileno(p->f), &sb) == 0 && sb.st_size == 0)
		fprintf(p->f, "# since %lld\n", (long long)gs_now_ns());
}

/* gs_state_pending_since(path): the time of the "# since" line of the
 * pending file at path, or 0 when it has none or does not exist. */
int64_t
gs_state_pending_since(const char *path)
{
	char line[PENDING_LINE_MAX];
	long long v = 0;
	FILE *f;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return 0;
	}
	if (fgets(line, sizeof(line), f) == NULL || sscanf(line, "# since %lld", &v) != 1)
		v = 0;
	fclose(f);
	return (int64_t)v;
}

/* gs_state_pending_sync(p): flush and fsync what was appended, so that it
 * survives a crash that follows.  0 or -1 (warned). */
int
gs_state_pending_sync(struct gs_state_pending *p)
{
	if (fflush(p->f) != 0 || fsync(fileno(p->f)) != 0) {
		gs_warnp("%s", p->path);
		return -1;
	}
	return 0;
}

/* gs_state_pending_close(p): close and free p (NULL: nothing).  0, or -1
 * warned when the file could not be written out. */
int
gs_state_pending_close(struct gs_state_pending *p)
{
	int rc = 0;

	if (p == NULL)
		return 0;
	if (fclose(p->f)) {
		gs_warnp("%s", p->path);
		rc = -1;
	}
	free(p->path);
	free(p);
	return rc;
}

/* gs_state_pending_load(path, add, arg): call add(arg, kind, name) for each
 * object the pending file at path names; none when it does not exist.
 * Lines cut by a kill are skipped.  0, or -1 (warned, or add failed). */
int
gs_state_pending_load(const char *path, int (*add)(void *arg, int kind, const char *name),
                      void *arg)
{
	char line[PENDING_LINE_MAX];
	FILE *f;
	int fd;

	/* a state file: never read through a link */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (f = fdopen(fd, "r")) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			return 0;
		errno = e;
		if (e == ELOOP)
			gs_warn("%s: is a symbolic link; refused, not followed", path);
		else
			gs_warnp("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[GS_NAME_HEX];
		int kind;

		if (sscanf(line, "%d %32s", &kind, name) != 2 || kind < GS_OBJ_PACK ||
		    kind >= GS_OBJ_NKINDS || !gs_layout_is_objname(name))
			continue; /* a line cut by a kill: that object is sampled later */
		if (add(arg, kind, name)) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* gs_state_pending_clear(path): remove the pending file once a verify has
 * read its objects back (warned when that fails; gone already is fine). */
void
gs_state_pending_clear(const char *path)
{
	if (unlink(path) && errno != ENOENT)
		gs_warnp("%s", path);
}

/* gs_state_next_load(path, nb): the bucket saved in path, mod nb; 0 when nb
 * is 0 or there is none. */
unsigned
gs_state_next_load(const char *path, unsigned nb)
{
	uint8_t *buf;
	size_t len;
	unsigned v = 0;

	if (nb == 0 || gs_read_file(path, NEXT_FILE_MAX, &buf, &len) != 0)
		return 0;
	if (len > 0 && len < NEXT_FILE_MAX) {
		char s[NEXT_FILE_MAX];

		memcpy(s, buf, len);
		s[len] = 0;
		v = (unsigned)strtoul(s, NULL, 10);
	}
	free(buf);
	return v % nb;
}

/* gs_state_next_save(path, v): save bucket v for the next verify (best
 * effort: a lost counter only repeats a bucket). */
void
gs_state_next_save(const char *path, unsigned v)
{
	char s[32], *dir = gs_strdup(path);
	int n = snprintf(s, sizeof(s), "%u\n", v);

	if (dir != NULL && strrchr(dir, '/') != NULL) {
		*strrchr(dir, '/') = 0;
		if (gs_mkdir_p(dir, 0700) == 0)
			gs_write_file_replace(path, s, (size_t)n, 0600, 1);
	}
	free(dir);
}
