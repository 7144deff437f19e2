/*
 * tpargs.h -- the remote both transport test programs (conformance, tpcli)
 * build from their command line: the defaults and the options -i, -k, -f
 * they share.
 */
#ifndef GS_TPARGS_H
#define GS_TPARGS_H

#include "geosnap/config.h"

/* The getopt letters tpargs_opt() handles; a program appends its own. */
#define TPARGS_OPTS "i:k:f:"

/*
 * tpargs_init(rc, name): zero *rc (caller-owned) and set the defaults:
 * name (borrowed, kept in rc), a 30 s timeout, one connection; the url is
 * the caller's to set.
 */
void tpargs_init(struct gs_remote_conf *rc, char *name);

/*
 * tpargs_opt(rc, opt, arg): apply the getopt option opt with argument arg
 * (borrowed, kept in rc) to *rc: -i identity, -k known_hosts, -f
 * fingerprint.  Returns 1 when opt is one of those, 0 when it is not (rc
 * unchanged).
 */
int tpargs_opt(struct gs_remote_conf *rc, int opt, char *arg);

#endif
