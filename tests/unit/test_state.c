/*
 * test_state.c -- the names of state_dir's files (geosnap/state.h): each
 * kind's path, gs_state_tenant_paths() finding exactly one tenant's
 * files, not those of a tenant whose name starts with the same letters,
 * and the scan report's round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "geosnap/state.h"
#include "geosnap/util.h"
#include "tap.h"

static void
touch(const char *dir, const char *name)
{
	char *p = gs_path_join(dir, name);
	FILE *f = p ? fopen(p, "w") : NULL;

	CHECK(f != NULL);
	if (f)
		fclose(f);
	free(p);
}

static int
same_path(const char *got, const char *dir, const char *rel)
{
	char *want = gs_path_join(dir, rel);
	int same = want && strcmp(got, want) == 0;

	if (!same)
		fprintf(stderr, "got %s, want %s/%s\n", got, dir, rel);
	free(want);
	return same;
}

int
main(void)
{
	char dir[] = "/tmp/gs-test-state.XXXXXX";
	char sub[256], **v = NULL, *p;
	size_t n = 99;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	/* Each kind's name. */
	p = gs_state_path(dir, GS_STATE_FILES_CACHE, "acme", NULL);
	CHECK(p && same_path(p, dir, "acme.files"));
	free(p);
	p = gs_state_path(dir, GS_STATE_SCAN_REPORT, "acme", NULL);
	CHECK(p && same_path(p, dir, "acme.scan"));
	free(p);
	p = gs_state_path(dir, GS_STATE_PENDING_VERIFY, "acme", "dr1");
	CHECK(p && same_path(p, dir, "pending-verify/acme@dr1"));
	free(p);
	p = gs_state_path(dir, GS_STATE_VERIFY_NEXT, "acme", "dr1");
	CHECK(p && same_path(p, dir, "verify-next/acme@dr1"));
	free(p);
	p = gs_state_status_path(dir);
	CHECK(p && same_path(p, dir, "status.tsv"));
	free(p);
	p = gs_state_run_lock_path(dir);
	CHECK(p && same_path(p, dir, "run.lock"));
	free(p);

	/* An empty state_dir holds nothing of acme. */
	CHECK(gs_state_tenant_paths(dir, "acme", &v, &n) == 0);
	CHECK(n == 0);
	gs_state_paths_free(v, n);

	/* acme's files among those of acme2 and of the agent itself. */
	snprintf(sub, sizeof(sub), "%s/pending-verify", dir);
	CHECK(mkdir(sub, 0700) == 0);
	touch(sub, "acme@dr1");
	touch(sub, "acme2@dr1");
	snprintf(sub, sizeof(sub), "%s/verify-next", dir);
	CHECK(mkdir(sub, 0700) == 0);
	touch(sub, "acme@dr2");
	touch(sub, "acme2@dr2");
	touch(dir, "acme.files");
	touch(dir, "acme.scan");
	touch(dir, "acme2.files");
	touch(dir, "status.tsv");
	touch(dir, "run.lock");
	CHECK(gs_state_tenant_paths(dir, "acme", &v, &n) == 0);
	CHECK(n == 4);
	if (n == 4) {
		CHECK(same_path(v[0], dir, "acme.files"));
		CHECK(same_path(v[1], dir, "acme.scan"));
		CHECK(same_path(v[2], dir, "pending-verify/acme@dr1"));
		CHECK(same_path(v[3], dir, "verify-next/acme@dr2"));
	}
	gs_state_paths_free(v, n);
	CHECK(gs_state_tenant_paths(dir, "acme2", &v, &n) == 0);
	CHECK(n == 3);
	gs_state_paths_free(v, n);

	/* The scan report: which snapshot, and its notes only for it. */
	{
		static const char snap[] = "0123456789abcdef0123456789abcdef";
		static const char other[] = "ffffffffffffffffffffffffffffffff";
		static const char notes[] = "a.txt: vanished\nb.txt: changed while read\n";
		char got[GS_NAME_HEX];
		char *text;

		gs_state_scan_write(dir, "acme", snap, notes, strlen(notes));
		CHECK(gs_state_scan_snapshot(dir, "acme", got) == 0);
		CHECK(strcmp(got, snap) == 0);
		text = gs_state_scan_notes(dir, "acme", snap);
		CHECK(text != NULL && strcmp(text, notes) == 0);
		free(text);
		CHECK(gs_state_scan_notes(dir, "acme", other) == NULL);
		CHECK(gs_state_scan_snapshot(dir, "acme3", got) == 1);
		gs_state_scan_write(dir, "acme", other, "", 0);
		text = gs_state_scan_notes(dir, "acme", other);
		CHECK(text != NULL && text[0] == '\0');
		free(text);
		p = gs_path_join(dir, "acme.scan");
		{
			FILE *f = fopen(p, "w");

			CHECK(f != NULL);
			if (f) {
				fputs("snapshot nothex\n", f);
				fclose(f);
			}
		}
		free(p);
		CHECK(gs_state_scan_snapshot(dir, "acme", got) == 1);
	}

	/* Clean up. */
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	CHECK(system(sub) == 0);
	return tap_done();
}
