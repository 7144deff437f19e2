/*
 * test_config_names.c -- the configuration's validators on their own:
 * gs_valid_name() (tenant and remote names), gs_valid_url() (the URL grammar
 * shared with the transport), gs_valid_fingerprint(); gs_config_default_path()
 * and $GEOSNAP_CONFIG; gs_config_free(NULL). Loading files and their error
 * messages: test_config.c.
 */
#include <stdlib.h>
#include <string.h>

#include "geosnap/config.h"
#include "tap.h"

/* 43 base64 characters, the length of a SHA256 fingerprint */
#define FPR43 "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"

/* One URL grammar: gs_valid_url() accepts what the transport opens
 * (gs_tp_url_parse, tests/transport/urls.c) and nothing else. */
static void
test_urls(void)
{
	CHECK(gs_valid_url("sftp://u@h:2222/p") && gs_valid_url("file:///p"));
	CHECK(gs_valid_url("sftp://h/") && gs_valid_url("file:///"));
	CHECK(gs_valid_url("sftp://[::1]:2222/p") && gs_valid_url("sftp://u%40corp@h/p%20q"));
	CHECK(gs_valid_url("file:///mnt/backup%20disk"));
	CHECK(!gs_valid_url("sftp://h") && !gs_valid_url("sftp://h:0/p") && !gs_valid_url("x"));
	CHECK(!gs_valid_url("sftp://u:password@h/p") && !gs_valid_url("sftp://[::1/p"));
	CHECK(!gs_valid_url("sftp://h/a%zz") && !gs_valid_url("sftp://h/a%0ab"));
	CHECK(!gs_valid_url("sftp://h/p q") && !gs_valid_url("sftp://h/p\tq"));
	CHECK(!gs_valid_url("file://relative") && !gs_valid_url("file:///a%00"));
	CHECK(!gs_valid_url("file:///a b") && !gs_valid_url("SFTP://h/p"));
	CHECK(!gs_valid_url(""));
}

static void
test_fingerprints(void)
{
	CHECK(gs_valid_fingerprint("SHA256:" FPR43));
	CHECK(!gs_valid_fingerprint("SHA256:short") && !gs_valid_fingerprint(FPR43));
}

static void
test_names_and_paths(void)
{
	char name[80];

	CHECK(gs_valid_name("acme"));
	CHECK(gs_valid_name("a"));
	CHECK(gs_valid_name("A-z_0.9"));
	CHECK(gs_valid_name("local"));
	CHECK(!gs_valid_name(""));
	CHECK(!gs_valid_name(NULL));
	CHECK(!gs_valid_name("."));
	CHECK(!gs_valid_name(".."));
	CHECK(!gs_valid_name(".a"));
	CHECK(!gs_valid_name("a/b"));
	CHECK(!gs_valid_name("a b"));
	CHECK(!gs_valid_name("a\"b"));
	CHECK(!gs_valid_name("\xc3\xa6"));
	memset(name, 'x', 64);
	name[64] = '\0';
	CHECK(gs_valid_name(name));
	name[64] = 'x';
	name[65] = '\0';
	CHECK(!gs_valid_name(name));

	CHECK(setenv("GEOSNAP_CONFIG", "/tmp/x.ini", 1) == 0);
	CHECK(strcmp(gs_config_default_path(), "/tmp/x.ini") == 0);
	CHECK(setenv("GEOSNAP_CONFIG", "", 1) == 0);
	CHECK(strcmp(gs_config_default_path(), "/etc/geosnap/geosnap.ini") == 0);
	CHECK(unsetenv("GEOSNAP_CONFIG") == 0);
	CHECK(strcmp(gs_config_default_path(), "/etc/geosnap/geosnap.ini") == 0);

	gs_config_free(NULL);
}

int
main(void)
{
	test_urls();
	test_fingerprints();
	test_names_and_paths();
	return tap_done();
}
