/*
 * url.c -- the one grammar of a remote's url, used by gs_tp_open() and by
 * the configuration (gs_valid_url):
 *   sftp://[user@]host[:port]/path    file:///path
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/transport.h"
#include "geosnap/util.h"

/* decode(s, n): malloc'd copy of s[0..n) with %XX decoded; NULL when an
 * escape is malformed, decodes to a control character, or on ENOMEM. */
static char *
decode(const char *s, size_t n)
{
	char *out, *o;
	size_t i;
	int hi, lo;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n)
				goto bad;
			if ((hi = gs_hexval(s[i + 1])) < 0 || (lo = gs_hexval(s[i + 2])) < 0)
				goto bad;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* gs_tp_url_clear(u): free the strings of *u (not u itself; NULL accepted)
 * and set them to NULL. */
void
gs_tp_url_clear(struct gs_tp_url *u)
{
	if (u == NULL)
		return;
	free(u->user);
	free(u->host);
	free(u->path);
	u->user = u->host = u->path = NULL;
}

/*
 * gs_tp_url_parse(url, ret, err, errlen): the one grammar of a remote's
 * url, used by gs_tp_open() and by the configuration (gs_valid_url):
 * sftp://[user@]host[:port]/path (no password, port 1-65535, "[v6]"
 * literals) or file:///path; blanks and control characters only as %XX
 * escapes, and no escape may decode to a control character.  On success
 * fills *ret (the caller frees it with gs_tp_url_clear) and returns 0; on
 * failure leaves *ret untouched, writes the reason into err (errlen
 * bytes, borrowed) and returns -1.
 */
int
gs_tp_url_parse(const char *url, struct gs_tp_url *ret, char *err, size_t errlen)
{
	struct gs_tp_url u = {.user = NULL, .host = NULL, .port = 22, .path = NULL};
	const char *auth, *slash, *at, *host, *hend, *port, *c;
	size_t n;

	for (c = url; *c != '\0'; c++) {
		if (*c == ' ' || (unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(err, errlen, "a blank or control character (write it as %%XX)");
			return -1;
		}
	}
	if (strncmp(url, "file://", 7) == 0) {
		/* file:///path: the path as it stands, %XX decoded. */
		if (url[7] != '/' || (u.path = decode(url + 7, strlen(url + 7))) == NULL) {
			snprintf(err, errlen, "expected file:///absolute/path");
			return -1;
		}
		u.port = 0;
		*ret = u;
		return 0;
	}
	if (strncmp(url, "sftp://", 7) != 0) {
		snprintf(err, errlen, "unsupported scheme (sftp:// or file://)");
		return -1;
	}
	auth = url + 7;
	if ((slash = strchr(auth, '/')) == NULL) {
		snprintf(err, errlen, "no path (sftp://[user@]host[:port]/path)");
		return -1;
	}
	/* user@ */
	at = memchr(auth, '@', (size_t)(slash - auth));
	host = auth;
	if (at != NULL) {
		if (memchr(auth, ':', (size_t)(at - auth)) != NULL) {
			snprintf(err, errlen,
			         "passwords in urls are not supported (key files only)");
			return -1;
		}
		if (at == auth || (u.user = decode(auth, (size_t)(at - auth))) == NULL ||
		    *u.user == '\0') {
			snprintf(err, errlen, "bad user name");
			goto err0;
		}
		host = at + 1;
	}
	/* host, [v6 literal] */
	if (*host == '[') {
		if ((hend = memchr(host, ']', (size_t)(slash - host))) == NULL) {
			snprintf(err, errlen, "unterminated [ in the host");
			goto err0;
		}
		n = (size_t)(hend - host - 1);
		if (n == 0 || memchr(host + 1, '%', n) != NULL) {
			snprintf(err, errlen, "bad IPv6 address");
			goto err0;
		}
		u.host = decode(host + 1, n);
		port = hend + 1;
		if (port != slash && *port != ':') {
			snprintf(err, errlen, "junk after the IPv6 address");
			goto err0;
		}
	} else {
		hend = memchr(host, ':', (size_t)(slash - host));
		port = hend ? hend : slash;
		n = (size_t)(port - host);
		if (n == 0 || memchr(host, '%', n) != NULL || memchr(host, '@', n) != NULL) {
			snprintf(err, errlen, "bad or missing host name");
			goto err0;
		}
		u.host = decode(host, n);
	}
	if (u.host == NULL) {
		snprintf(err, errlen, "bad host name");
		goto err0;
	}
	/* :port */
	if (port != slash) {
		unsigned long v = 0;
		const char *p;

		for (p = port + 1; p < slash; p++) {
			if (*p < '0' || *p > '9' || v > 65535)
				break;
			v = v * 10 + (unsigned long)(*p - '0');
		}
		if (p != slash || p == port + 1 || v == 0 || v > 65535) {
			snprintf(err, errlen, "bad port (1-65535)");
			goto err0;
		}
		u.port = (unsigned)v;
	}
	/* /path */
	if ((u.path = decode(slash, strlen(slash))) == NULL) {
		snprintf(err, errlen, "bad path (malformed %%XX escape or control character)");
		goto err0;
	}
	n = strlen(u.path);
	while (n > 1 && u.path[n - 1] == '/')
		u.path[--n] = '\0';
	*ret = u;
	return 0;
err0:
	gs_tp_url_clear(&u);
	return -1;
}
