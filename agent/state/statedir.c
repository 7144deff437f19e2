/*
 * statedir.c -- the names of every file in state_dir (geosnap/state.h).
 *
 * Tenant and remote names are [A-Za-z0-9._-]{1,64} (gs_valid_name), so
 * "<tenant>.files" and "<tenant>@<remote>" name one tenant's files
 * unambiguously, and a listing by prefix finds all of them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "geosnap/state.h"
#include "geosnap/util.h"

/* Per kind: the subdirectory (NULL: state_dir itself) and, for files
 * directly in state_dir, the suffix after the tenant's name. */
static const struct {
	const char *subdir, *suffix;
} kinds[GS_STATE_NFILES] = {
    [GS_STATE_FILES_CACHE] = {NULL, ".files"},
    [GS_STATE_SCAN_REPORT] = {NULL, ".scan"},
    [GS_STATE_PENDING_VERIFY] = {"pending-verify", NULL},
    [GS_STATE_VERIFY_NEXT] = {"verify-next", NULL},
    [GS_STATE_PENDING_DELETE] = {"pending-delete", NULL},
    [GS_STATE_PENDING_EXPIRE] = {"pending-expire", NULL},
};

/*
 * gs_state_path(state_dir, which, tenant, remote): the malloc'd path of one
 * of a tenant's state files; NULL on allocation failure (warned).
 */
char *
gs_state_path(const char *state_dir, enum gs_state_file which, const char *tenant,
              const char *remote)
{
	if (kinds[which].subdir == NULL)
		return gs_asprintf("%s/%s%s", state_dir, tenant, kinds[which].suffix);
	return gs_asprintf("%s/%s/%s@%s", state_dir, kinds[which].subdir, tenant, remote);
}

/*
 * gs_state_dir(state_dir, which): the malloc'd directory of the files of
 * kind which; NULL on allocation failure (warned).
 */
char *
gs_state_dir(const char *state_dir, enum gs_state_file which)
{
	if (kinds[which].subdir == NULL)
		return gs_strdup(state_dir);
	return gs_path_join(state_dir, kinds[which].subdir);
}

/* gs_state_status_path(state_dir): "state_dir/status.tsv", malloc'd. */
char *
gs_state_status_path(const char *state_dir)
{
	return gs_path_join(state_dir, "status.tsv");
}

/* gs_state_run_lock_path(state_dir): "state_dir/run.lock", malloc'd. */
char *
gs_state_run_lock_path(const char *state_dir)
{
	return gs_path_join(state_dir, "run.lock");
}

/* gs_state_paths_free(v, n): free what gs_state_tenant_paths() returned. */
void
gs_state_paths_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static int
push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL || (nv = realloc(*v, (*n + 1) * sizeof(**v))) == NULL) {
		free(s);
		gs_warn("state_dir: out of memory");
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* Add dir's entries named PREFIX followed by anything but "" (the
 * per-remote files "<tenant>@<remote>").  A missing dir adds nothing. */
static int
add_prefixed(const char *dir, const char *prefix, char ***v, size_t *n)
{
	size_t pl = strlen(prefix);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		gs_warnp("state_dir: %s", dir);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, pl) == 0 && de->d_name[pl] != '\0')
			rc = push(v, n, gs_path_join(dir, de->d_name));
	closedir(d);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * gs_state_tenant_paths(state_dir, tenant, ret, ret_n): every existing file
 * of state_dir that holds state of tenant, sorted; 0 or -1 (warned).
 */
int
gs_state_tenant_paths(const char *state_dir, const char *tenant, char ***ret, size_t *ret_n)
{
	char **v = NULL, *prefix = NULL, *p;
	struct stat st;
	size_t n = 0;

	if ((prefix = gs_asprintf("%s@", tenant)) == NULL)
		goto err0;
	for (int k = 0; k < GS_STATE_NFILES; k++) {
		if (kinds[k].subdir == NULL) {
			if ((p = gs_state_path(state_dir, k, tenant, NULL)) == NULL)
				goto err1;
			if (lstat(p, &st) != 0) {
				int e = errno;

				free(p);
				if (e == ENOENT)
					continue;
				errno = e;
				gs_warnp("state_dir: %s", state_dir);
				goto err1;
			}
			if (push(&v, &n, p))
				goto err1;
		} else {
			if ((p = gs_state_dir(state_dir, k)) == NULL)
				goto err1;
			if (add_prefixed(p, prefix, &v, &n)) {
				free(p);
				goto err1;
			}
			free(p);
		}
	}
	free(prefix);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;

	/* Success! */
	return 0;

err1:
	free(prefix);
	gs_state_paths_free(v, n);
err0:
	/* Failure! */
	return -1;
}
