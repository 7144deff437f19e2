/*
 * urls.c -- gs_tp_url_parse(), the one grammar of remote urls
 * ("sftp://[user@]host[:port]/path" or "file:///path",
 * agent/transport/transport.c; the configuration checks urls with it too),
 * case by case.  Prints "N passed, M failed".
 */
#include <stdio.h>
#include <string.h>

#include "geosnap/transport.h"

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
	    (host == NULL ? u.host != NULL : u.host == NULL || strcmp(u.host, host) != 0) ||
	    u.port != port || strcmp(u.path, path) != 0) {
		printf("not ok - %s: user '%s' host '%s' port %u path '%s'\n", url,
		       u.user ? u.user : "(none)", u.host ? u.host : "(none)", u.port, u.path);
		failed++;
	} else {
		printf("ok - %s\n", url);
		passed++;
	}
	gs_tp_url_clear(&u);
}

static void
bad(const char *url)
{
	struct gs_tp_url u;
	char err[200];

	if (gs_tp_url_parse(url, &u, err, sizeof(err)) == 0) {
		printf("not ok - %s: accepted\n", url);
		gs_tp_url_clear(&u);
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
	good("file:///mnt/backup%20disk/geosnap", NULL, NULL, 0, "/mnt/backup disk/geosnap");
	good("file:///", NULL, NULL, 0, "/");
	good("file:///x/", NULL, NULL, 0, "/x/");
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
	bad("sftp://h o/x");
	bad("sftp://h/x y");
	bad("sftp://h/x\ty");
	bad("sftp://h/x\x7f");
	bad("file://relative");
	bad("file://host/x");
	bad("file:///a b");
	bad("file:///a%zz");
	bad("file:///a%0a");
	bad("file:/x");
	bad("");
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
