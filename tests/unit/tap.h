/* tap.h -- a tiny assertion helper for the unit tests (TAP-like output). */
#ifndef GS_TAP_H
#define GS_TAP_H

void tap_ok(int cond, const char *file, int line, const char *expr);
/* tap_done(): print "N passed, N failed" and return the exit status. */
int tap_done(void);

#define CHECK(cond) tap_ok(!!(cond), __FILE__, __LINE__, #cond)

#endif
