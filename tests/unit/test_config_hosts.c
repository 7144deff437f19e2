/*
 * test_config_hosts.c -- the [host "NAME"] sections of the configuration:
 * the public key of each host whose audit log geosnap-restore report
 * gathers.  Found by name; audit_pubkey required and an absolute path;
 * names checked and not repeated; accepted by both programs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geosnap/config.h"
#include "geosnap/util.h"
#include "tap.h"

#define AGENT "[agent]\nrepository = /r\nstate_dir = /s\n"

static char dir[] = "/tmp/gs-test-config-hosts-XXXXXX";
static char path[sizeof(dir) + 32];

/* load(text, flags): text as a configuration file; the config or NULL. */
static struct gs_config *
load(const char *text, int flags)
{
	struct gs_config *c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/test.ini", dir);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	gs_set_quiet(1);
	c = gs_config_load_flags(path, flags);
	gs_set_quiet(0);
	return c;
}

/* bad(src, text, line, what): refused with "PATH:LINE: ...what...". */
static void
bad(int src, const char *text, int line, const char *what)
{
	struct gs_config *c = load(text, 0);
	char prefix[sizeof(path) + 32];
	int ok;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	ok = c == NULL && strncmp(gs_last_error(), prefix, strlen(prefix)) == 0 &&
	     strstr(gs_last_error(), what) != NULL;
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  case at line %d: wanted %s...%s\n  got: %s\n", src, prefix, what,
		        c ? "(loaded)" : gs_last_error());
	gs_config_free(c);
}

#define BAD(text, line, what) bad(__LINE__, text, line, what)

int
main(void)
{
	const struct gs_host_conf *h;
	struct gs_config *c;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	c = load(AGENT "[host \"web1\"]\naudit_pubkey = /keys/web1.pub\n"
	               "[ host  \"rtest-1\" ]  ; the restore-test host\n"
	               "audit_pubkey = /keys/rt.pub\n",
	         0);
	CHECK(c != NULL && c->nhosts == 2);
	if (c != NULL) {
		h = gs_config_host(c, "web1");
		CHECK(h != NULL && strcmp(h->audit_pubkey, "/keys/web1.pub") == 0 && h->line == 4);
		h = gs_config_host(c, "rtest-1");
		CHECK(h != NULL && strcmp(h->audit_pubkey, "/keys/rt.pub") == 0 && h->line == 6);
		CHECK(gs_config_host(c, "web2") == NULL);
	}
	gs_config_free(c);
	/* geosnap-restore: no [agent] needed */
	c = load("[host \"web1\"]\naudit_pubkey = /k.pub\n", GS_CONFIG_FOR_RESTORE);
	CHECK(c != NULL && c->nhosts == 1 && gs_config_host(c, "web1") != NULL);
	gs_config_free(c);
	/* none: an empty list */
	c = load(AGENT, 0);
	CHECK(c != NULL && c->nhosts == 0 && gs_config_host(c, "web1") == NULL);
	gs_config_free(c);

	BAD(AGENT "[host \"web1\"]\n", 4, "[host \"web1\"] missing required key 'audit_pubkey'");
	BAD(AGENT "[host \"web1\"]\naudit_pubkey = web1.pub\n", 5,
	    "[host \"web1\"] key 'audit_pubkey'");
	BAD(AGENT "[host \"web1\"]\naudit_pubkey = web1.pub\n", 5, "absolute");
	BAD(AGENT "[host \"web1\"]\naudit_pubkey = /a\naudit_pubkey = /b\n", 6, "set twice");
	BAD(AGENT "[host \"web1\"]\nurl = file:///x\n", 5, "key 'url': unknown key");
	BAD(AGENT "[host \"a b\"]\n", 4, "bad host name");
	BAD(AGENT "[host \".web\"]\n", 4, "bad host name");
	BAD(AGENT "[host web1]\n", 4, "expected [host \"NAME\"]");
	BAD(AGENT "[host \"w\"]\naudit_pubkey = /a\n[host \"w\"]\n", 6,
	    "[host \"w\"]: duplicate section, first on line 4");
	BAD(AGENT "[hosts \"w\"]\n", 4, "unknown section");
	BAD(AGENT "[hosts \"w\"]\n", 4, "[host \"NAME\"]");
	unlink(path);
	rmdir(dir);
	return tap_done();
}
