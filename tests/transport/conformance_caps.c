/*
 * conformance_caps.c -- the conformance cases about caps: a listing over
 * its entry or name-bytes cap, a whole-object read over its cap, and
 * repository objects over their kind's cap are refused, naming what was
 * refused.  Run by conformance.c in its order of cases (conformance.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include "conformance.h"
#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "transport/transport_internal.h" /* gs_tp_set_list_limits */

/* last_has(s): the last message contains s. */
static int
last_has(const char *s)
{
	return strstr(gs_last_error(), s) != NULL;
}

/* c_list_caps(unused): a listing over the entry or name-bytes cap is
 * refused (on a transport of its own, with lowered caps). */
void
c_list_caps(struct gs_transport *unused)
{
	static const char *names[] = {"a", "b", "c", "d", "e"};
	char longname[41], msg[64];
	struct gs_transport *t;
	struct gs_tp_entry *v = NULL;
	size_t n = 0, i;

	(void)unused;
	/* its own transport: the lowered caps must not leak into other cases */
	CHECK((t = gs_tp_open(&rc)) != NULL);
	if (t == NULL)
		return;
	gs_tp_set_list_limits(t, 5, 100);
	CHECK(gs_tp_mkdir(t, P("lcap/count")) == 0);
	for (i = 0; i < 5; i++)
		CHECK(put(t, P("lcap/count/%s", names[i]), (const uint8_t *)"x", 1, 1) == 0);
	CHECK(gs_tp_list(t, P("lcap/count"), &v, &n) == 0 && n == 5);
	gs_tp_list_free(v, n);
	/* one entry more than the cap: the whole listing is refused */
	CHECK(put(t, P("lcap/count/f"), (const uint8_t *)"x", 1, 1) == 0);
	v = NULL;
	n = 99;
	CHECK(gs_tp_list(t, P("lcap/count"), &v, &n) == -1);
	CHECK(v == NULL && n == 99);
	CHECK(gs_tp_last_errkind(t) == GS_TP_ERR_IO);
	snprintf(msg, sizeof(msg), "more than 5 entries");
	CHECK(last_has(msg) && last_has(P("lcap/count")) && last_has(rc.name));
	/* three names of 40 bytes: more than 100 bytes of names */
	CHECK(gs_tp_mkdir(t, P("lcap/bytes")) == 0);
	for (i = 0; i < 3; i++) {
		memset(longname, 'a' + (int)i, 40);
		longname[40] = '\0';
		CHECK(put(t, P("lcap/bytes/%s", longname), (const uint8_t *)"x", 1, 1) == 0);
	}
	CHECK(gs_tp_list(t, P("lcap/bytes"), &v, &n) == -1);
	CHECK(last_has("more than 100 bytes of names") && last_has(P("lcap/bytes")));
	/* the default caps list both */
	gs_tp_set_list_limits(t, 0, 0);
	CHECK(gs_tp_list(t, P("lcap/count"), &v, &n) == 0 && n == 6);
	gs_tp_list_free(v, n);
	CHECK(gs_tp_list(t, P("lcap/bytes"), &v, &n) == 0 && n == 3);
	gs_tp_list_free(v, n);
	gs_tp_close(t);
}

/* sparse(rel, size): make the server-side file rel (below the base) of
 * size bytes, a hole: nothing is written, and a reader that allocated it
 * would be caught by the size alone. */
static int
sparse(const char *rel, uint64_t size)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", serverdir, rel);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		return -1;
	}
	fclose(f);
	if (truncate(path, (off_t)size)) {
		perror(path);
		return -1;
	}
	return 0;
}

/* c_read_caps(t): a whole-object read over its cap is refused before
 * reading. */
void
c_read_caps(struct gs_transport *t)
{
	uint8_t *p = (uint8_t *)"untouched";
	size_t len = 77;

	CHECK(gs_tp_mkdir(t, P("rcap")) == 0);
	CHECK(sparse(P("rcap/snap"), (uint64_t)GS_MAX_SNAP_OBJECT + 1) == 0);
	CHECK(gs_tp_read_all(t, P("rcap/snap"), GS_MAX_SNAP_OBJECT, &p, &len) == -1);
	CHECK(len == 77 && strcmp((char *)p, "untouched") == 0);
	CHECK(last_has("refused, not read") && last_has(P("rcap/snap")) && last_has(rc.name));
	/* a server may claim any size: 1 TiB is refused just the same */
	CHECK(sparse(P("rcap/huge"), (uint64_t)1 << 40) == 0);
	CHECK(gs_tp_read_all(t, P("rcap/huge"), GS_MAX_INDEX_SEGMENT, &p, &len) == -1);
	CHECK(last_has("1099511627776 bytes"));
}

/* repo_with(rel, config_len): a repository below the base at rel, with a
 * config object of config_len bytes (24 is a good one). */
static int
repo_with(struct gs_transport *t, const char *rel, size_t config_len)
{
	uint8_t cfg[GS_MAX_CONFIG_OBJECT + 1] = {0};

	memcpy(cfg, "GSRP", 4);
	gs_le32(cfg + 4, 1);
	randombytes_buf(cfg + 8, 16);
	if (gs_tp_mkdir(t, P("%s/tenants/acme/index", rel)) ||
	    gs_tp_mkdir(t, P("%s/tenants/acme/snapshots", rel)))
		return -1;
	return put(t, P("%s/config", rel), cfg, config_len, config_len);
}

/* c_repo_caps(t): repository objects over their kind's cap are refused,
 * naming them, through the transport and as a local repository. */
void
c_repo_caps(struct gs_transport *t)
{
	static const char snap[] = "0123456789abcdef0123456789abcdef";
	static const char seg[] = "fedcba9876543210fedcba9876543210";
	struct gs_remote_conf sub = rc;
	struct gs_repo *rr[2] = {NULL, NULL};
	char url[1200], local[1200];
	uint8_t *p = NULL;
	size_t len = 0;

	CHECK(repo_with(t, "repo", 24) == 0);
	CHECK(sparse(P("repo/tenants/acme/snapshots/%s", snap), (uint64_t)GS_MAX_SNAP_OBJECT + 1) ==
	      0);
	CHECK(sparse(P("repo/tenants/acme/index/%s", seg), (uint64_t)GS_MAX_INDEX_SEGMENT + 1) ==
	      0);
	/* through the transport (a remote) and as a local repository */
	snprintf(url, sizeof(url), "%s/%s", rc.url, P("repo"));
	snprintf(local, sizeof(local), "%s/%s", serverdir, P("repo"));
	sub.url = url;
	CHECK((rr[0] = gs_repo_open_remote(&sub)) != NULL);
	CHECK((rr[1] = gs_repo_open(local)) != NULL);
	for (int i = 0; i < 2; i++) {
		if (rr[i] == NULL)
			continue;
		CHECK(gs_repo_read(rr[i], "acme", GS_OBJ_SNAP, snap, &p, &len) == -1);
		CHECK(last_has("refused, not read") && last_has("acme") && last_has(snap));
		CHECK(gs_repo_read(rr[i], "acme", GS_OBJ_INDEX, seg, &p, &len) == -1);
		CHECK(last_has("refused, not read") && last_has("acme") && last_has(seg));
		if (i == 0)
			CHECK(last_has(rc.name));
		gs_repo_free(rr[i]);
	}
	/* a config object one byte over its cap: no repository is opened */
	CHECK(repo_with(t, "bigcfg", GS_MAX_CONFIG_OBJECT + 1) == 0);
	snprintf(url, sizeof(url), "%s/%s", rc.url, P("bigcfg"));
	snprintf(local, sizeof(local), "%s/%s", serverdir, P("bigcfg"));
	CHECK((rr[0] = gs_repo_open_remote(&sub)) == NULL);
	CHECK(last_has("refused, not read") && last_has("config"));
	CHECK((rr[1] = gs_repo_open(local)) == NULL);
	CHECK(last_has("refused, not read") && last_has("config"));
	gs_repo_free(rr[0]);
	gs_repo_free(rr[1]);
}
