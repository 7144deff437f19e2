/*
 * test_mentry_paths.c -- which manifest paths the restore side accepts,
 * --include matching, and quoting of paths in messages.
 */
#include <string.h>

#include "geosnap/util.h"
#include "extract/entry.h"
#include "read/reader.h"
#include "tap.h"

int
main(void)
{
	static const char *const good[] = {
	    "a",   "a/b", "a/b/c.txt", ".hidden",  "a/.b",
	    "..a", "a..", "a/...",     "a b/c\td", "\xc3\xa6\xc3\xb8\xc3\xa5",
	    "-rf", "a\\b"};
	static const char *const bad[] = {"",      "/",      "/etc/passwd", "..",  "../x",
	                                  "a/..",  "a/../b", ".",           "./a", "a/.",
	                                  "a/./b", "a//b",   "a/",          "//a", "a/b/"};
	char q[64];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(gs_reader_path_ok(good[i]) == 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(gs_reader_path_ok(bad[i]) == 0);
	CHECK(gs_reader_path_ok(NULL) == 0);

	/* --include matches whole components. */
	CHECK(gs_reader_path_under("a", "a"));
	CHECK(gs_reader_path_under("a/b", "a"));
	CHECK(gs_reader_path_under("a/b/c", "a/b"));
	CHECK(!gs_reader_path_under("ab", "a"));
	CHECK(!gs_reader_path_under("a", "a/b"));
	CHECK(!gs_reader_path_under("b/a", "a"));

	/* Quoting keeps terminals and log lines intact. */
	CHECK(strcmp(gs_entry_quote("plain/path", q, sizeof(q)), "plain/path") == 0);
	CHECK(strcmp(gs_entry_quote("a\nb", q, sizeof(q)), "a\\012b") == 0);
	CHECK(strcmp(gs_entry_quote("\x1b[2J", q, sizeof(q)), "\\033[2J") == 0);
	CHECK(strcmp(gs_entry_quote("back\\slash", q, sizeof(q)), "back\\\\slash") == 0);
	CHECK(strcmp(gs_entry_quote("\xc3\xa6", q, sizeof(q)), "\xc3\xa6") == 0);
	CHECK(strlen(gs_entry_quote("0123456789012345678901234567890123456789012345678901234567890"
	                            "123456789",
	                            q, sizeof(q))) < sizeof(q));
	CHECK(strcmp(gs_entry_quote("abc", q, 3), "ab") == 0);

	/* C1 controls, raw high bytes and bidi controls are escaped; printable
	 * UTF-8 is kept whole, and never cut in the middle. */
	CHECK(strcmp(gs_entry_quote("a\x9bm", q, sizeof(q)), "a\\233m") == 0);
	CHECK(strcmp(gs_entry_quote("\xc2\x9bJ", q, sizeof(q)), "\\302\\233J") == 0);
	CHECK(strcmp(gs_entry_quote("\xc2\x80\xc2\x9f", q, sizeof(q)), "\\302\\200\\302\\237") ==
	      0);
	CHECK(strcmp(gs_entry_quote("nb\xc2\xa0sp", q, sizeof(q)), "nb\xc2\xa0sp") == 0);
	CHECK(strcmp(gs_entry_quote("\xe6\x97\xa5\xf0\x9f\x8e\x89", q, sizeof(q)),
	             "\xe6\x97\xa5\xf0\x9f\x8e\x89") == 0);
	CHECK(strcmp(gs_entry_quote("latin1-\xe9\xff", q, sizeof(q)), "latin1-\\351\\377") == 0);
	CHECK(strcmp(gs_entry_quote("cut\xe6\x97", q, sizeof(q)), "cut\\346\\227") == 0);
	CHECK(strcmp(gs_entry_quote("\xc0\xaf", q, sizeof(q)), "\\300\\257") == 0); /* overlong */
	CHECK(strcmp(gs_entry_quote("a\xe2\x80\xaez", q, sizeof(q)), "a\\342\\200\\256z") == 0);
	CHECK(strcmp(gs_entry_quote("\xe2\x81\xa6x", q, sizeof(q)), "\\342\\201\\246x") == 0);
	CHECK(strcmp(gs_entry_quote("\xe6\x97\xa5\xe6\x97\xa5", q, 5), "\xe6\x97\xa5") == 0);
	CHECK(strcmp(gs_entry_quote("a\x9b", q, 4), "a") == 0);

	/* gs_entry_warn quotes the message too (an xattr name, say). */
	gs_set_quiet(1);
	gs_entry_warn("p\x1b", "xattr %s", "trusted.\x9b\x07");
	CHECK(strcmp(gs_last_error(), "p\\033: xattr trusted.\\233\\007") == 0);
	return tap_done();
}
