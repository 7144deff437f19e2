/*
 * tpargs.c -- the remote both transport test programs (conformance, tpcli)
 * build from their command line (tpargs.h).
 */
#include <string.h>

#include "tpargs.h"

/*
 * tpargs_init(rc, name): zero *rc (caller-owned) and set the defaults:
 * name (borrowed, kept in rc), a 30 s timeout, one connection.
 */
void
tpargs_init(struct gs_remote_conf *rc, char *name)
{
	memset(rc, 0, sizeof(*rc));
	rc->name = name;
	rc->timeout_s = 30;
	rc->connections = 1;
}

/*
 * tpargs_opt(rc, opt, arg): -i identity, -k known_hosts, -f fingerprint
 * (arg borrowed) into *rc.  Returns 1 when opt is one of those, else 0.
 */
int
tpargs_opt(struct gs_remote_conf *rc, int opt, char *arg)
{
	switch (opt) {
	case 'i':
		rc->identity = arg;
		return 1;
	case 'k':
		rc->known_hosts = arg;
		return 1;
	case 'f':
		rc->fingerprint = arg;
		return 1;
	}
	return 0;
}
