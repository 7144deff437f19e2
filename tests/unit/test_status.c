/*
 * test_status.c -- the status table (agent/state/status.c): a step's
 * result replaces its line and keeps the last success; gs_status_ack()
 * marks the line only while it holds the acknowledged result; the next
 * result clears the mark; a table written before the ack columns loads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/state.h"
#include "geosnap/util.h"
#include "tap.h"

/* The loaded line of (step, tenant, remote), or NULL. */
static const struct gs_status_line *
find(const struct gs_status_line *v, size_t n, const char *step, const char *remote)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].step, step) == 0 &&
		    strcmp(v[i].remote ? v[i].remote : "", remote ? remote : "") == 0)
			return &v[i];
	return NULL;
}

int
main(void)
{
	char dir[] = "/tmp/gs-test-status.XXXXXX", cmd[256];
	struct gs_step ok = {.step = "backup", .tenant = "acme", .status = 0, .start_ns = 100};
	struct gs_step bad = {.step = "backup",
	                      .tenant = "acme",
	                      .status = GS_EXIT_FAIL,
	                      .start_ns = 200,
	                      .message = "source\tgone"};
	struct gs_step ship = {
	    .step = "ship", .tenant = "acme", .remote = "fi1", .status = 3, .start_ns = 150};
	const struct gs_status_line *l;
	struct gs_status_line *v = NULL, key;
	size_t n = 0;
	char *p;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	CHECK(gs_status_record(dir, &ok) == 0);
	CHECK(gs_status_record(dir, &ship) == 0);
	CHECK(gs_status_record(dir, &bad) == 0);
	CHECK(gs_status_load(dir, &v, &n) == 0 && n == 2);
	l = find(v, n, "backup", NULL);
	CHECK(l && l->status == 3 && l->start_ns == 200 && l->last_ok_ns == 100);
	CHECK(l && l->message && strcmp(l->message, "source gone") == 0);
	CHECK(l && l->ack_ns == 0 && l->ack_by == NULL);

	/* Ack the failed backup: only its line is marked. */
	/* (the key's strings must outlive v, which is freed below) */
	memset(&key, 0, sizeof(key));
	key.step = "backup";
	key.tenant = "acme";
	key.start_ns = l ? l->start_ns : 0;
	CHECK(gs_status_ack(dir, &key, 300, "alice") == 0);
	gs_status_free(v, n);
	CHECK(gs_status_load(dir, &v, &n) == 0 && n == 2);
	l = find(v, n, "backup", NULL);
	CHECK(l && l->ack_ns == 300 && l->ack_by && strcmp(l->ack_by, "alice") == 0);
	CHECK(l && l->status == 3 && l->last_ok_ns == 100);
	l = find(v, n, "ship", "fi1");
	CHECK(l && l->ack_ns == 0 && l->ack_by == NULL);

	/* A result that is no longer the line's is not marked. */
	key.start_ns = 199;
	CHECK(gs_status_ack(dir, &key, 400, "bob") == 1);
	key.step = "verify";
	key.start_ns = 200;
	CHECK(gs_status_ack(dir, &key, 400, "bob") == 1);
	gs_status_free(v, n);
	CHECK(gs_status_load(dir, &v, &n) == 0);
	l = find(v, n, "backup", NULL);
	CHECK(l && l->ack_ns == 300 && strcmp(l->ack_by, "alice") == 0);
	gs_status_free(v, n);

	/* The next result clears the mark. */
	ok.start_ns = 500;
	CHECK(gs_status_record(dir, &ok) == 0);
	CHECK(gs_status_load(dir, &v, &n) == 0 && n == 2);
	l = find(v, n, "backup", NULL);
	CHECK(l && l->status == 0 && l->last_ok_ns == 500 && l->ack_ns == 0 && !l->ack_by);
	gs_status_free(v, n);

	/* A line of 12 fields (before ack_ns and ack_by) loads, unmarked. */
	p = gs_state_status_path(dir);
	f = p ? fopen(p, "w") : NULL;
	CHECK(f != NULL);
	if (f) {
		fputs("run\t-\t-\t1\t7\t8\t0\t0\t0\t0\t-\tsee the step records\n", f);
		fclose(f);
	}
	free(p);
	CHECK(gs_status_load(dir, &v, &n) == 0 && n == 1);
	CHECK(n == 1 && v[0].status == 1 && v[0].start_ns == 7 && v[0].ack_ns == 0 &&
	      v[0].ack_by == NULL && v[0].tenant == NULL);
	gs_status_free(v, n);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	return tap_done();
}
