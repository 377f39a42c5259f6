// SPDX-License-Identifier: MIT
/* The logger: levels, one line per message, libbpf's messages routed through it one level down. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/log.h"
#include "lib/xt.h"

/* A libbpf warning of its own: the object file does not exist. */
static void libbpf_warns(void)
{
	struct bpf_object *obj = bpf_object__open_file("/nonexistent/xfr-test.bpf.o", NULL);

	assert_null(obj);
}

static void test_levels_and_newline(void **state)
{
	struct xt_cap c;

	(void)state;
	log_set_level(XFR_LOG_WARN);
	assert_int_equal(xt_cap_start(&c), 0);
	pr_err("one\n");
	pr_warn("two");
	pr_info("not shown");
	assert_int_equal(xt_cap_end(&c), 2);
	assert_string_equal(c.text, "xfr: one\nxfr: warning: two\n");
	log_set_level(XFR_LOG_INFO);
}

/* libbpf's warnings show at info (its own "libbpf: " prefix, ours none), not at warn. */
static void test_libbpf_one_level_down(void **state)
{
	struct xt_cap c;

	(void)state;
	log_libs_init();
	log_set_level(XFR_LOG_INFO);
	assert_int_equal(xt_cap_start(&c), 0);
	libbpf_warns();
	assert_int_equal(xt_cap_end(&c), 1);
	assert_non_null(strstr(c.text, "libbpf: "));
	assert_non_null(strstr(c.text, "/nonexistent/xfr-test.bpf.o"));
	assert_null(strstr(c.text, "xfr: "));

	log_set_level(XFR_LOG_WARN);
	assert_int_equal(xt_cap_start(&c), 0);
	libbpf_warns();
	assert_int_equal(xt_cap_end(&c), 0);
	log_set_level(XFR_LOG_INFO);
}

/* A test that silences libbpf itself still can, after the bridge was installed. */
static void test_silencing_still_works(void **state)
{
	struct xt_cap c;

	(void)state;
	log_libs_init();
	libbpf_set_print(NULL);
	assert_int_equal(xt_cap_start(&c), 0);
	libbpf_warns();
	assert_int_equal(xt_cap_end(&c), 0);
	log_libs_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_and_newline),
		cmocka_unit_test(test_libbpf_one_level_down),
		cmocka_unit_test(test_silencing_still_works),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
