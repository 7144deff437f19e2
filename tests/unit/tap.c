#include <stdio.h>

#include "tap.h"

static int passed, failed;

void
tap_ok(int cond, const char *file, int line, const char *expr)
{
	if (cond) {
		passed++;
	} else {
		failed++;
		fprintf(stderr, "not ok: %s:%d: %s\n", file, line, expr);
	}
}

int
tap_done(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return (failed == 0 && passed > 0) ? 0 : 1;
}
