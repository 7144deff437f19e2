/*
 * pending.c -- verify's two state files for each tenant and remote:
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
#include <unistd.h>

#include "geosnap/util.h"
#include "repl_internal.h"

/* The directories under state_dir. */
#define PENDING_DIR "pending-verify"
#define NEXT_DIR "verify-next"
/* The longest line read from a pending file ("<kind> <32 hex>\n"). */
#define PENDING_LINE_MAX 128
/* The largest verify-next file read. */
#define NEXT_FILE_MAX 64

struct gs_repl_pending {
	FILE *f;
	char *path; /* for messages */
};

/* gs_repl_pending_path(cfg, tenant, rc): "state_dir/pending-verify/T@R"
 * (malloc'd), or NULL (warned). */
char *
gs_repl_pending_path(const struct gs_config *cfg, const char *tenant,
                     const struct gs_remote_conf *rc)
{
	return gs_asprintf("%s/" PENDING_DIR "/%s@%s", cfg->state_dir, tenant, rc->name);
}

/* gs_repl_pending_open(cfg, tenant, rc): open the tenant's pending file for
 * appending (created 0600, never through a link).  NULL (warned). */
struct gs_repl_pending *
gs_repl_pending_open(const struct gs_config *cfg, const char *tenant,
                     const struct gs_remote_conf *rc)
{
	struct gs_repl_pending *p;
	char *dir;
	int fd, r;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		gs_warnp("calloc");
		goto err0;
	}
	if ((p->path = gs_repl_pending_path(cfg, tenant, rc)) == NULL)
		goto err1;
	if ((dir = gs_path_join(cfg->state_dir, PENDING_DIR)) == NULL)
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

/* gs_repl_pending_add(p, kind, name): append one published object and
 * flush.  Not thread-safe: the caller serialises. */
void
gs_repl_pending_add(struct gs_repl_pending *p, int kind, const char *name)
{
	fprintf(p->f, "%d %s\n", kind, name);
	fflush(p->f);
}

/* gs_repl_pending_close(p): close and free p (NULL: nothing).  0, or -1
 * warned when the file could not be written out. */
int
gs_repl_pending_close(struct gs_repl_pending *p)
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

/* gs_repl_pending_load(path, ret): the objects a pending file names, into
 * a sorted *ret (no sizes); none when it does not exist.  Lines cut by a
 * kill are skipped.  0, or -1 warned. */
int
gs_repl_pending_load(const char *path, struct gs_repl_inv *ret)
{
	char line[PENDING_LINE_MAX];
	FILE *f;
	int fd;

	memset(ret, 0, sizeof(*ret));
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
		    kind > GS_OBJ_SNAP || !gs_layout_is_objname(name))
			continue; /* a line cut by a kill: that object is sampled later */
		if (gs_repl_inv_add(ret, kind, name, 0, 0)) {
			fclose(f);
			gs_repl_inv_free(ret);
			return -1;
		}
	}
	fclose(f);
	gs_repl_inv_sort(ret);
	return 0;
}

/* gs_repl_pending_clear(path): remove the pending file once a verify has
 * read its objects back (warned when that fails; gone already is fine). */
void
gs_repl_pending_clear(const char *path)
{
	if (unlink(path) && errno != ENOENT)
		gs_warnp("%s", path);
}

/* gs_repl_next_path(cfg, tenant, rc): "state_dir/verify-next/T@R", the
 * next bucket of the rotating sample (malloc'd), or NULL. */
char *
gs_repl_next_path(const struct gs_config *cfg, const char *tenant, const struct gs_remote_conf *rc)
{
	return gs_asprintf("%s/" NEXT_DIR "/%s@%s", cfg->state_dir, tenant, rc->name);
}

/* gs_repl_next_load(path, nb): the bucket saved in path, mod nb; 0 when nb
 * is 0 or there is none. */
unsigned
gs_repl_next_load(const char *path, unsigned nb)
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

/* gs_repl_next_save(path, v): save bucket v for the next verify (best
 * effort: a lost counter only repeats a bucket). */
void
gs_repl_next_save(const char *path, unsigned v)
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
