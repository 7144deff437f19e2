/*
 * urls.c -- the parser of "sftp://[user@]host[:port]/path" remote urls
 * (agent/transport/transport.c), case by case.  Prints "N passed, M
 * failed".
 */
#include <stdio.h>
#include <string.h>

#include "transport/transport_internal.h"

static int passed, failed;

static void
good(const char *url, const char *user, const char *host, unsigned port, const char *path)
{
	struct gs_tp_url u;
	char err[200];

	if (gs_tp_url_parse(url, &u, err, sizeof(err)) != 0) {
		printf("not ok - %s: refused (%s)\n", url, err);
		failed++;
		return;
	}
	if ((user == NULL ? u.user != NULL : u.user == NULL || strcmp(u.user, user) != 0) ||
	    strcmp(u.host, host) != 0 || u.port != port || strcmp(u.path, path) != 0) {
		printf("not ok - %s: user '%s' host '%s' port %u path '%s'\n", url,
		       u.user ? u.user : "(none)", u.host, u.port, u.path);
		failed++;
	} else {
		printf("ok - %s\n", url);
		passed++;
	}
	gs_tp_url_free(&u);
}

static void
bad(const char *url)
{
	struct gs_tp_url u;
	char err[200];

	if (gs_tp_url_parse(url, &u, err, sizeof(err)) == 0) {
		printf("not ok - %s: accepted\n", url);
		gs_tp_url_free(&u);
		failed++;
	} else {
		printf("ok - %s refused: %s\n", url, err);
		passed++;
	}
}

int
main(void)
{
	good("sftp://fi1.example.net/srv/geosnap", NULL, "fi1.example.net", 22, "/srv/geosnap");
	good("sftp://geosnap@fi1.example.net:2222/srv/geosnap/", "geosnap", "fi1.example.net", 2222,
	     "/srv/geosnap");
	good("sftp://127.0.0.1:65535/", NULL, "127.0.0.1", 65535, "/");
	good("sftp://u@[::1]:22/x//", "u", "::1", 22, "/x");
	good("sftp://[fe80::1]/x", NULL, "fe80::1", 22, "/x");
	good("sftp://u%40corp@h/p%20q/%C3%A9", "u@corp", "h", 22, "/p q/\xc3\xa9");
	good("sftp://h:1/a/b/c", NULL, "h", 1, "/a/b/c");
	bad("sftp://h");
	bad("sftp://:22/x");
	bad("sftp:///x");
	bad("sftp://h:0/x");
	bad("sftp://h:65536/x");
	bad("sftp://h:99999999999999999999/x");
	bad("sftp://h:22a/x");
	bad("sftp://h:/x");
	bad("sftp://u:password@h/x");
	bad("sftp://@h/x");
	bad("sftp://[::1/x");
	bad("sftp://[::1]x/x");
	bad("sftp://[]/x");
	bad("sftp://h/a%2");
	bad("sftp://h/a%zz");
	bad("sftp://h/a%00b");
	bad("sftp://h/a%0ab");
	bad("sftp://h%41/x");
	bad("ftp://h/x");
	bad("SFTP://h/x");
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
