/*
 * appender.c -- appends audit records in a loop, for the crash test
 * (tests/audit/03-crash.sh kills it with SIGKILL at random instants).
 *
 *   appender LOG KEY HOST N   append N records (N = 0: until killed)
 *
 * Each record is a "test" event through gs_audit_write, the one append path
 * of the agent and geosnap-restore.  Exit 0 when every append returned 0,
 * 1 when one returned 1 (appended after a repair), 3 on -1.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "geosnap/audit.h"
#include "geosnap/util.h"

int
main(int argc, char **argv)
{
	struct gs_audit_conf c = {0};
	struct gs_audit_rec r;
	unsigned long long n, i;
	int worst = 0, rc;

	if (argc != 5 || sodium_init() < 0) {
		fprintf(stderr, "usage: appender LOG KEY HOST N\n");
		return 2;
	}
	c.log = argv[1];
	c.key = argv[2];
	c.host = argv[3];
	n = strtoull(argv[4], NULL, 10);
	for (i = 0; n == 0 || i < n; i++) {
		if (gs_audit_rec_init(&r, "test"))
			return 3;
		gs_audit_rec_u64(&r, "i", i);
		gs_audit_rec_str(&r, "note", "a record of the crash test");
		rc = gs_audit_write(&c, &r);
		if (rc < 0)
			return 3;
		if (rc > worst)
			worst = rc;
	}
	return worst;
}
