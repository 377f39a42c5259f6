// SPDX-License-Identifier: MIT
/* A non-xfr peer recognised from its first bytes (control/foreign.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/foreign.h"

#define B(s) (s), sizeof(s) - 1

static void test_bytes(void **state)
{
	(void)state;
	assert_false(foreign_bytes(B("")));		       /* nothing yet */
	assert_false(foreign_bytes(B("{\"type\":\"hello\""))); /* a message begins */
	assert_false(foreign_bytes(B("\r\n  {")));	       /* blank lines before it */
	assert_false(foreign_bytes(B("  ")));		       /* undecided */
	assert_true(foreign_bytes(B("\t")));		       /* iperf3 PARAM_EXCHANGE */
	assert_true(foreign_bytes(B("\xff")));		       /* iperf3 ACCESS_DENIED */
	assert_true(foreign_bytes(B("SSH-2.0-OpenSSH_9.2\r\n")));
	assert_true(foreign_bytes(B("HTTP/1.1 400 Bad Request\r\n")));
	assert_true(foreign_bytes(B("[1,2]\n"))); /* JSON, but not an object */
}

static void check(const char *buf, size_t len, const char *want)
{
	char out[256];

	foreign_describe(buf, len, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_describe(void **state)
{
	char small[8];

	(void)state;
	check(B("\t"), "iperf3?");
	check(B("\xff"), "iperf3, busy with another test?");
	check(B("\xfe"), "iperf3, which reported an error?");
	check(B("SSH-2.0-OpenSSH_9.2\r\nmore"), "it sent \"SSH-2.0-OpenSSH_9.2\"");
	check(B("\x1b[2J\"x\\"), "it sent \"\\x1b[2J\\x22x\\x5c\""); /* never raw escapes */
	check(B("\t\t"), "it sent \"\\x09\\x09\"");
	check(B("0123456789012345678901234567890123456789abc"),
	      "it sent \"0123456789012345678901234567890123456789...\"");
	foreign_describe(B("SSH-2.0-OpenSSH"), small, sizeof(small)); /* truncated, terminated */
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
