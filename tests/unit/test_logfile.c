// SPDX-License-Identifier: MIT
/*
 * --log-file: lines with their UTC stamp in the file, errors on stderr too,
 * daily rotation to PATH.YYYY-MM-DD (the wall clock is this test's: the binary
 * is linked with --wrap=clock_gettime), and the refusals (stdout's file, a
 * device, a directory that does not exist).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "lib/xt.h"

#define DAY1 1767268800 /* 2026-01-01T12:00:00Z */

static time_t fake_now = DAY1;
static char dir[] = "/tmp/xfr-test-log-XXXXXX";
static char path[256];

int __real_clock_gettime(clockid_t clk, struct timespec *ts);

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (clk != CLOCK_REALTIME)
		return __real_clock_gettime(clk, ts);
	ts->tv_sec = fake_now;
	ts->tv_nsec = 0;
	return 0;
}

static char *slurp(const char *p)
{
	static char buf[4096];
	FILE *f = fopen(p, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_lines_and_errors(void **state)
{
	char why[256], *text;
	struct xt_cap c;

	(void)state;
	fake_now = DAY1;
	unlink(path);
	assert_int_equal(log_set_file(path, why, sizeof(why)), 0);
	assert_int_equal(xt_cap_start(&c), 0);
	pr_info("started on port %d", 5201);
	pr_debug("not at info");
	pr_err("cannot start the test");
	assert_int_equal(xt_cap_end(&c), 1); /* only the error reaches stderr */
	assert_string_equal(c.text, "xfr: cannot start the test\n");
	log_close_file();
	text = slurp(path);
	assert_non_null(text);
	assert_string_equal(text, "2026-01-01T12:00:00.000Z started on port 5201\n"
				  "2026-01-01T12:00:00.000Z xfr: cannot start the test\n");
	unlink(path);
}

static void test_daily_rotation(void **state)
{
	char why[256], old[300], *text;

	(void)state;
	fake_now = DAY1;
	unlink(path);
	assert_int_equal(log_set_file(path, why, sizeof(why)), 0);
	pr_info("one");
	fake_now += 3600; /* same day */
	pr_info("two");
	fake_now += 86400; /* the next day */
	pr_info("three");
	log_close_file();
	snprintf(old, sizeof(old), "%s.2026-01-01", path);
	text = slurp(old);
	assert_non_null(text);
	assert_string_equal(text, "2026-01-01T12:00:00.000Z one\n2026-01-01T13:00:00.000Z two\n");
	text = slurp(path);
	assert_string_equal(text, "2026-01-02T13:00:00.000Z three\n");
	unlink(old);

	/* a file left from an earlier day is rotated by the first line of today */
	{
		struct timespec times[2] = {{DAY1, 0}, {DAY1, 0}};

		assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	}
	fake_now = DAY1 + 5 * 86400;
	assert_int_equal(log_set_file(path, why, sizeof(why)), 0);
	pr_info("four");
	log_close_file();
	text = slurp(old);
	assert_non_null(text);
	assert_string_equal(text, "2026-01-02T13:00:00.000Z three\n");
	assert_string_equal(slurp(path), "2026-01-06T12:00:00.000Z four\n");
	unlink(old);
	unlink(path);
}

static void test_refusals(void **state)
{
	char why[256];
	int saved, fd;

	(void)state;
	assert_int_equal(log_set_file("/nonexistent-dir/x.log", why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "cannot open: No such file or directory");
	assert_int_equal(log_set_file("/dev/null", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "not a regular file (logs never go to stdout or a device)");

	/* stdout redirected to the file: refused */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	assert_int_equal(log_set_file(path, why, sizeof(why)), -EINVAL);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_string_equal(why, "is where stdout goes: results and logs stay apart");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_errors),
		cmocka_unit_test(test_daily_rotation),
		cmocka_unit_test(test_refusals),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/xfr.log", dir);
	log_set_level(XFR_LOG_INFO);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
