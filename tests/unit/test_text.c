// SPDX-License-Identifier: MIT
/* Peer text made safe for a terminal (base/text.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/text.h"

static void check(const char *in, unsigned int flags, const char *want, size_t want_bad)
{
	char out[256];

	assert_int_equal(text_sanitize(out, sizeof(out), in, flags), want_bad);
	assert_string_equal(out, want);
	assert_true(text_is_safe(out, flags));
}

static void test_sanitize(void **state)
{
	(void)state;
	check("plain text, 100 Mbit/s", 0, "plain text, 100 Mbit/s", 0);
	check("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80", 0,
	      "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80", 0); /* printable UTF-8 stays */
	check("\x1b[2Jclear", 0, "?[2Jclear", 1);	       /* ESC */
	check("\x1b]52;c;aGk=\x07", 0, "?]52;c;aGk=?", 2);     /* OSC 52 + BEL */
	check("a\xc2\x9b"
	      "31mred",
	      0, "a?31mred", 1); /* U+009B: C1 CSI */
	check("\xc2\x9d"
	      "0;title\xc2\x9c",
	      0, "?0;title?", 2); /* U+009D OSC, U+009C ST */
	check("abc\xe2\x80\xae"
	      "txt.exe",
	      0, "abc?txt.exe", 1);			 /* U+202E RLO */
	check("\xe2\x81\xa6x\xe2\x81\xa9", 0, "?x?", 2); /* U+2066 LRI, U+2069 PDI */
	check("zero\xe2\x80\x8bwidth\xef\xbb\xbf", 0, "zero?width?", 2);
	check("del\x7f", 0, "del?", 1);
	check("bad \xff\xfe utf8 \xc3", 0, "bad ?? utf8 ?", 3);
	check("\xc0\xaf", 0, "??", 2);	    /* overlong '/' */
	check("\xed\xa0\x80", 0, "???", 3); /* a surrogate */
	check("one\ntwo\r\nthree\r", 0, "one?two??three?", 4);
	check("one\ntwo\r\nthree\r", TEXT_KEEP_NEWLINES, "one\ntwo\nthree?", 1);
	check("tab\there", TEXT_KEEP_NEWLINES, "tab?here", 1);
}

static void test_bounds(void **state)
{
	char out[6];

	(void)state;
	/* never a cut character: "ab" + a 3-byte char fits 6 with the NUL, the 4th byte does not */
	assert_int_equal(text_sanitize(out, sizeof(out), "ab\xe2\x86\x92\xe2\x86\x92", 0), 0);
	assert_string_equal(out, "ab\xe2\x86\x92");
	assert_int_equal(text_sanitize(out, 1, "abc", 0), 0);
	assert_string_equal(out, "");
	assert_int_equal(text_sanitize(out, 0, "abc", 0), 0);
	assert_false(text_is_safe("a\xc2\x9b", 0));
	assert_true(text_is_safe("a\nb", TEXT_KEEP_NEWLINES));
	assert_false(text_is_safe("a\nb", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
