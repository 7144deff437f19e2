/*
 * expirepend.c -- retention's pending-expire files (geosnap/state.h):
 *
 *   state_dir/pending-expire/<tenant>@<remote>   "<32 hex>\n" for each
 *       snapshot retention decided to remove from that remote and that is
 *       not deleted there yet.
 *
 * Written before the local deletions and rewritten as the remote's are
 * done, always whole (a temporary renamed over the file, both fsync'd), so
 * that a kill or an unreachable remote never loses a decision: the next
 * expire or run retries what is listed.  The agent's own state: 0600, never
 * through a symbolic link (gs_read_file refuses one; the temporary is new).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geosnap/layout.h"
#include "geosnap/state.h"
#include "geosnap/util.h"

/* The largest pending-expire file read: far more snapshots than any
 * tenant keeps (a line is 33 bytes). */
#define EXPIRE_FILE_MAX (16u * 1024 * 1024)

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * gs_state_expire_load(state_dir, tenant, remote, ret, ret_n): the sorted,
 * distinct snapshot names of the pending-expire file (none when missing;
 * malformed lines skipped), malloc'd.  0, or -1 (warned).
 */
int
gs_state_expire_load(const char *state_dir, const char *tenant, const char *remote,
                     char (**ret)[GS_NAME_HEX], size_t *ret_n)
{
	char(*v)[GS_NAME_HEX] = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n = 0, m = 0;
	char *path;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if ((path = gs_state_path(state_dir, GS_STATE_PENDING_EXPIRE, tenant, remote)) == NULL)
		goto err0;
	if ((r = gs_read_file(path, EXPIRE_FILE_MAX, &buf, &len)) < 0)
		goto err1;
	free(path);
	if (r == 1)
		return 0;
	if ((v = calloc(len / GS_NAME_HEX + 1, sizeof(*v))) == NULL) {
		gs_warnp("calloc");
		goto err2;
	}
	for (size_t i = 0; i < len;) {
		const char *line = (const char *)buf + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;

		/* a line cut short cannot be: the file is replaced whole */
		if (ll == GS_NAME_HEX - 1 && nl != NULL) {
			memcpy(v[n], line, ll);
			v[n][ll] = '\0';
			if (gs_layout_is_objname(v[n]))
				n++;
		}
		i += ll + 1;
	}
	free(buf);
	qsort(v, n, sizeof(*v), cmp_name);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || strcmp(v[m - 1], v[i]) != 0)
			memmove(v[m++], v[i], GS_NAME_HEX);
	*ret = v;
	*ret_n = m;

	/* Success! */
	return 0;

err2:
	free(buf);
	return -1;
err1:
	free(path);
err0:
	/* Failure! */
	return -1;
}

/*
 * gs_state_expire_save(state_dir, tenant, remote, names, n): replace the
 * pending-expire file with the n names, atomically and durably; n == 0
 * removes it.  0, or -1 (warned).
 */
int
gs_state_expire_save(const char *state_dir, const char *tenant, const char *remote,
                     const char (*names)[GS_NAME_HEX], size_t n)
{
	char *path, *dir = NULL, *buf = NULL;

	if ((path = gs_state_path(state_dir, GS_STATE_PENDING_EXPIRE, tenant, remote)) == NULL)
		goto err0;
	if ((dir = gs_state_dir(state_dir, GS_STATE_PENDING_EXPIRE)) == NULL)
		goto err1;
	if (n == 0) {
		if (unlink(path) == 0) {
			if (gs_fsync_dir(dir))
				goto err1;
		} else if (errno != ENOENT) {
			gs_warnp("%s", path);
			goto err1;
		}
		goto done;
	}
	if (gs_mkdir_p(dir, 0700))
		goto err1;
	if ((buf = malloc(n * GS_NAME_HEX)) == NULL) {
		gs_warnp("malloc");
		goto err1;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + i * GS_NAME_HEX, names[i], GS_NAME_HEX - 1);
		buf[i * GS_NAME_HEX + GS_NAME_HEX - 1] = '\n';
	}
	if (gs_write_file_replace(path, buf, n * GS_NAME_HEX, 0600, 1))
		goto err2;
	free(buf);
done:
	free(dir);
	free(path);

	/* Success! */
	return 0;

err2:
	free(buf);
err1:
	free(dir);
	free(path);
err0:
	/* Failure! */
	return -1;
}
