// SPDX-License-Identifier: MIT
/* Parsing and printing of rates, sizes, durations, DSCP values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "units.h"

static void test_rate_suffixes(void **state)
{
	static const struct {
		const char *in;
		uint64_t bps;
	} ok[] = {
		{"0", 0},
		{"1", 1},
		{"1000", 1000},
		{"1k", 1000},
		{"1K", 1000},
		{"100M", 100000000},
		{"100m", 100000000},
		{"1.5G", 1500000000},
		{"1.5g", 1500000000},
		{"2T", 2000000000000ULL},
		{"0.5K", 500},
		{".5M", 500000},
		{"2.0005K", 2000}, /* fractions of a bit round down */
		{"9223372036854775808", 1ULL << 63},
		{"9223372.036854775808T", 1ULL << 63},
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 42;
		assert_int_equal(units_parse_rate(ok[i].in, &v), 0);
		assert_true(v == ok[i].bps);
	}
}

static void test_rate_errors(void **state)
{
	static const char *const bad[] = {
		"",    "x",	"10x", "-1",   "+1", " 1", "1 ", "1.",	 "1..5", "1.5.5",
		"1KK", "1Mbps", "1e9", "0x10", "1P", "M",  ".",	 "1,5G", "nan",	 "inf",
	};
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units_parse_rate(bad[i], &v), -EINVAL);
	assert_int_equal(units_parse_rate(NULL, &v), -EINVAL);
	assert_true(v == 42); /* untouched on error */
	assert_int_equal(units_parse_rate("9223372036854775809", &v), -ERANGE);
	assert_int_equal(units_parse_rate("10000000000T", &v), -ERANGE);
	assert_int_equal(units_parse_rate("99999999999999999999999", &v), -ERANGE);
}

static void test_size(void **state)
{
	static const struct {
		const char *in;
		uint64_t bytes;
	} ok[] = {
		{"0", 0},
		{"1500", 1500},
		{"1500B", 1500},
		{"1500b", 1500},
		{"1K", 1024},
		{"1k", 1024},
		{"128K", 131072},
		{"128KB", 131072},
		{"128KiB", 131072},
		{"128kib", 131072},
		{"4M", 4194304},
		{"1.5M", 1572864},
		{"1G", 1073741824},
		{"2T", 2199023255552ULL},
		{"0.5K", 512},
		{"0.0001K", 0}, /* rounds down to a byte */
		{"16777215", 16777215},
		{"16383.99999999999999999T", 18014398509481983ULL},
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 42;
		assert_int_equal(units_parse_size(ok[i].in, &v), 0);
		assert_true(v == ok[i].bytes);
	}
}

static void test_size_errors(void **state)
{
	static const char *const bad[] = {
		"", "K", "-1", "+4M", "4 M", "4MM", "4Mi", "4iB", "4MBB", "4X", "1.", "abc", "4M ",
	};
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units_parse_size(bad[i], &v), -EINVAL);
	assert_true(v == 42);
	assert_int_equal(units_parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(units_parse_size("18446744073709551616", &v), -ERANGE);
	assert_int_equal(units_parse_size("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		uint64_t ms;
	} ok[] = {
		{"0", 0},
		{"10", 10000},
		{"0.5", 500},
		{"1.25", 1250},
		{"500ms", 500},
		{"500MS", 500},
		{"10s", 10000},
		{"10S", 10000},
		{"10sec", 10000},
		{"2m", 120000},
		{"2min", 120000},
		{"1h", 3600000},
		{"1.5h", 5400000},
		{"2hr", 7200000},
		{"0.1", 100},
		{"0.0001", 0},
		{"1.5ms", 1},
		{"3600", 3600000},
		/* every unit in each of its spellings */
		{"2msec", 2},
		{"2msecs", 2},
		{"2secs", 2000},
		{"2second", 2000},
		{"2seconds", 2000},
		{"10mins", 600000},
		{"1minute", 60000},
		{"2minutes", 120000},
		{"2hrs", 7200000},
		{"1hour", 3600000},
		{"2hours", 7200000},
		{"1d", 86400000},
		{"1day", 86400000},
		{"2days", 172800000},
		{"10MINS", 600000},
		{"1H", 3600000},
		{"10m", 600000},
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 42;
		assert_int_equal(units_parse_duration_ms(ok[i].in, &v), 0);
		assert_true(v == ok[i].ms);
	}
}

static void test_duration_errors(void **state)
{
	static const char *const bad[] = {
		"",	   "s",	   "-1", "-1s",	    "10x",  "10 s", "10ss",
		"1m1s",	   "ms",   "1.", "abc",	    "10M", /* a month to the reference, mega to -b: never minutes */
		"10minss", "10mi", "1w", "10 mins", "mins",
	};
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(units_parse_duration_ms(bad[i], &v), -EINVAL);
	assert_true(v == 42);
	assert_int_equal(units_parse_duration_ms("18446744073709551616", &v), -ERANGE);
	assert_int_equal(units_parse_duration_ms("9999999999999999h", &v), -ERANGE);
}

static void test_dscp(void **state)
{
	static const struct {
		const char *in;
		int tos;
	} ok[] = {
		{"0", 0},      {"255", 255},  {"46", 46},    {"EF", 184},   {"ef", 184},
		{"VA", 176},   {"CS0", 0},    {"CS1", 32},   {"cs2", 64},   {"CS3", 96},
		{"CS4", 128},  {"CS5", 160},  {"CS6", 192},  {"CS7", 224},  {"AF11", 40},
		{"AF12", 48},  {"AF13", 56},  {"AF21", 72},  {"AF22", 80},  {"AF23", 88},
		{"AF31", 104}, {"AF32", 112}, {"AF33", 120}, {"AF41", 136}, {"af42", 144},
		{"AF43", 152},
	};
	static const char *const bad[] = {"256",  "300", "-1", "",    "EF1",
					  "AF14", "CS8", "x",  "1.5", " 46"};
	int tos;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		tos = -1;
		assert_int_equal(units_parse_dscp(ok[i].in, &tos), 0);
		assert_int_equal(tos, ok[i].tos);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tos = -7;
		assert_true(units_parse_dscp(bad[i], &tos) < 0);
		assert_int_equal(tos, -7);
	}
}

static void test_uint(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(units_parse_uint("5", 1, 10, &v), 0);
	assert_true(v == 5);
	assert_int_equal(units_parse_uint("1", 1, 10, &v), 0);
	assert_int_equal(units_parse_uint("10", 1, 10, &v), 0);
	assert_true(v == 10);
	assert_int_equal(units_parse_uint("007", 1, 10, &v), 0);
	assert_true(v == 7);
	assert_int_equal(units_parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 99;
	assert_int_equal(units_parse_uint("0", 1, 10, &v), -ERANGE);
	assert_int_equal(units_parse_uint("11", 1, 10, &v), -ERANGE);
	assert_int_equal(units_parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(units_parse_uint("-1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(units_parse_uint("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_uint(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_uint("1 ", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_uint("1.0", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_uint("1K", 0, 10000, &v), -EINVAL);
	assert_int_equal(units_parse_uint("0x5", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_uint("", 0, 10, &v), -EINVAL);
	assert_int_equal(units_parse_uint(NULL, 0, 10, &v), -EINVAL);
	assert_true(v == 99);
}

static void test_fmt_rate(void **state)
{
	static const struct {
		double bps;
		const char *out;
	} cases[] = {
		{941e6, "941 Mbit/s"},	  {9.41e9, "9.41 Gbit/s"},   {0, "0 bit/s"},
		{12.3e3, "12.3 kbit/s"},  {1e3, "1.00 kbit/s"},	     {999, "999 bit/s"},
		{5, "5 bit/s"},		  {999.7e6, "1.00 Gbit/s"},  {99.96e6, "100 Mbit/s"},
		{9.996e6, "10.0 Mbit/s"}, {1.234e12, "1.23 Tbit/s"}, {100e9, "100 Gbit/s"},
		{-5, "0 bit/s"},	  {0.4, "0 bit/s"},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(units_fmt_rate(cases[i].bps, buf, sizeof(buf)), cases[i].out);
	assert_string_equal(units_fmt_rate(NAN, buf, sizeof(buf)), "0 bit/s");
	/* truncated, still terminated */
	assert_string_equal(units_fmt_rate(941e6, buf, 4), "941");
}

static void test_fmt_bytes(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *out;
	} cases[] = {
		{0, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1.00 KB"},
		{1536, "1.50 KB"},
		{314572800, "300.00 MB"},
		{1234567890, "1.15 GB"},
		{1099511627776ULL, "1.00 TB"},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(units_fmt_bytes(cases[i].bytes, buf, sizeof(buf)),
				    cases[i].out);
}

static void test_mbps(void **state)
{
	(void)state;
	assert_true(units_mbps(125000000, 1.0) == 1000.0);
	assert_true(units_mbps(125000000, 10.0) == 100.0);
	assert_true(units_mbps(0, 5.0) == 0.0);
	assert_true(units_mbps(1000, 0) == 0.0);
	assert_true(units_mbps(1000, -1) == 0.0);
	assert_true(units_mbps(1000, NAN) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_suffixes), cmocka_unit_test(test_rate_errors),
		cmocka_unit_test(test_size),	      cmocka_unit_test(test_size_errors),
		cmocka_unit_test(test_duration),      cmocka_unit_test(test_duration_errors),
		cmocka_unit_test(test_dscp),	      cmocka_unit_test(test_uint),
		cmocka_unit_test(test_fmt_rate),      cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_mbps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
