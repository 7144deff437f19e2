/*
 * erasure.c -- an offboarded tenant's erasure state, state_dir/erasure/
 * <tenant> (geosnap/state.h): which copies are erased (when, how many
 * objects and bytes, the SHA-256 of each copy's list of erased objects),
 * whether the state_dir files and the write key are gone (the key's
 * fingerprint, taken before), the legal hold already recorded, and when
 * the certificate was recorded.  It survives the nights until every copy
 * is done; it holds object names and counts, never a file name of the
 * tenant's data.
 *
 * Format, one item per line:
 *   geosnap-erasure 1
 *   offboarded SECONDS
 *   hold SECONDS
 *   certified NS
 *   local_done 0|1
 *   key FINGERPRINT 0|1 PATH
 *   copy NAME TIME_NS OBJECTS BYTES SHA256|-
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/config.h"
#include "geosnap/state.h"
#include "geosnap/util.h"

#define ERASURE_FILE_MAX (1u << 20)

/* gs_erasure_dir(state_dir): "state_dir/erasure", malloc'd. */
char *
gs_erasure_dir(const char *state_dir)
{
	return gs_path_join(state_dir, "erasure");
}

/* gs_erasure_list_path(state_dir, tenant, copy): the malloc'd path of a
 * copy's list of erased objects; NULL (warned). */
char *
gs_erasure_list_path(const char *state_dir, const char *tenant, const char *copy)
{
	return gs_asprintf("%s/erasure/%s@%s.list", state_dir, tenant, copy);
}

/* gs_erasure_clear(e): free what e holds and zero it. */
void
gs_erasure_clear(struct gs_erasure *e)
{
	for (size_t i = 0; i < e->ncopies; i++)
		free(e->copies[i].name);
	free(e->copies);
	free(e->tenant);
	free(e->key_path);
	memset(e, 0, sizeof(*e));
	e->hold_recorded = e->offboarded = -1;
}

/* gs_erasure_copy(e, name): the copy named name, added (pending) when e has
 * none; borrowed from e.  NULL out of memory (warned). */
struct gs_erase_copy *
gs_erasure_copy(struct gs_erasure *e, const char *name)
{
	struct gs_erase_copy *v;

	for (size_t i = 0; i < e->ncopies; i++)
		if (strcmp(e->copies[i].name, name) == 0)
			return &e->copies[i];
	if ((v = realloc(e->copies, (e->ncopies + 1) * sizeof(*v))) == NULL) {
		gs_warn("erasure state: out of memory");
		return NULL;
	}
	e->copies = v;
	v = &e->copies[e->ncopies];
	memset(v, 0, sizeof(*v));
	if ((v->name = gs_strdup(name)) == NULL)
		return NULL;
	e->ncopies++;
	return v;
}

/* parse_line(e, line): one line of the file into e.  0 or -1. */
static int
parse_line(struct gs_erasure *e, char *line)
{
	char name[128], fp[65], sha[65];
	long long a, b;
	unsigned long long o, n;
	int k, off = 0;
	struct gs_erase_copy *c;

	if (sscanf(line, "hold %lld", &a) == 1)
		e->hold_recorded = a;
	else if (sscanf(line, "offboarded %lld", &a) == 1)
		e->offboarded = a;
	else if (sscanf(line, "certified %lld", &a) == 1)
		e->certified_ns = a;
	else if (sscanf(line, "local_done %d", &k) == 1)
		e->local_done = k != 0;
	else if (sscanf(line, "key %64s %d %n", fp, &k, &off) == 2 && off > 0) {
		snprintf(e->key_fp, sizeof(e->key_fp), "%s", strcmp(fp, "-") == 0 ? "" : fp);
		e->key_done = k != 0;
		free(e->key_path);
		if ((e->key_path = gs_strdup(line + off)) == NULL)
			return -1;
	} else if (sscanf(line, "copy %127s %lld %llu %llu %64s", name, &b, &o, &n, sha) == 5) {
		if (!gs_valid_name(name) || (c = gs_erasure_copy(e, name)) == NULL)
			return -1;
		c->time_ns = b;
		c->objects = o;
		c->bytes = n;
		snprintf(c->list_sha256, sizeof(c->list_sha256), "%s",
		         strcmp(sha, "-") == 0 ? "" : sha);
	} else if (strncmp(line, "geosnap-erasure ", 16) != 0 && line[0] != '\0')
		return -1;
	return 0;
}

/*
 * gs_erasure_load(state_dir, tenant, ret): the tenant's erasure state into
 * *ret (an empty one when there is no file).  0, or -1 (warned).
 */
int
gs_erasure_load(const char *state_dir, const char *tenant, struct gs_erasure *ret)
{
	char *path, *line, *next;
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	memset(ret, 0, sizeof(*ret));
	ret->hold_recorded = ret->offboarded = -1;
	if ((ret->tenant = gs_strdup(tenant)) == NULL)
		return -1;
	if ((path = gs_asprintf("%s/erasure/%s", state_dir, tenant)) == NULL)
		goto err0;
	if ((rc = gs_read_file(path, ERASURE_FILE_MAX, &buf, &len)) == 1) {
		free(path);
		return 0;
	}
	if (rc != 0)
		goto err1;
	if (memchr(buf, '\0', len) != NULL)
		goto bad;
	buf[len - (len > 0 && buf[len - 1] == '\n')] = '\0';
	for (line = (char *)buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (parse_line(ret, line))
			goto bad;
	}
	free(buf);
	free(path);
	return 0;
bad:
	gs_warn("%s: malformed erasure state", path);
err1:
	free(buf);
	free(path);
err0:
	gs_erasure_clear(ret);
	return -1;
}

/* gs_erasure_save(state_dir, e): replace the file atomically and durably.
 * 0 or -1 (warned). */
int
gs_erasure_save(const char *state_dir, const struct gs_erasure *e)
{
	char *dir = NULL, *path = NULL, *buf = NULL;
	size_t len = 0;
	FILE *m;
	int rc = -1;

	if ((dir = gs_erasure_dir(state_dir)) == NULL || gs_mkdir_p(dir, 0700) ||
	    (path = gs_asprintf("%s/%s", dir, e->tenant)) == NULL)
		goto out;
	if ((m = open_memstream(&buf, &len)) == NULL) {
		gs_warnp("open_memstream");
		goto out;
	}
	fprintf(m, "geosnap-erasure 1\noffboarded %lld\nhold %lld\ncertified %lld\nlocal_done %d\n",
	        (long long)e->offboarded, (long long)e->hold_recorded, (long long)e->certified_ns,
	        e->local_done);
	if (e->key_path != NULL)
		fprintf(m, "key %s %d %s\n", e->key_fp[0] ? e->key_fp : "-", e->key_done,
		        e->key_path);
	for (size_t i = 0; i < e->ncopies; i++) {
		const struct gs_erase_copy *c = &e->copies[i];

		fprintf(m, "copy %s %lld %" PRIu64 " %" PRIu64 " %s\n", c->name,
		        (long long)c->time_ns, c->objects, c->bytes,
		        c->list_sha256[0] ? c->list_sha256 : "-");
	}
	if (fclose(m) != 0) {
		gs_warn("erasure state: out of memory");
		goto out;
	}
	if (gs_write_file_replace(path, buf, len, 0600, 1)) {
		gs_warnp("%s", path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	free(path);
	free(dir);
	return rc;
}
