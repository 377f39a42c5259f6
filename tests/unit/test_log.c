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

/* stderr goes to a temporary file between cap_start() and cap_end(). */
struct cap {
	FILE *f;
	int saved;
	char text[4096];
};

static void cap_start(struct cap *c)
{
	fflush(stderr);
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->f), STDERR_FILENO) >= 0);
}

/* Restores stderr; the captured text in c->text, the number of lines returned. */
static int cap_end(struct cap *c)
{
	size_t n;
	int lines = 0;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	fclose(c->f);
	for (size_t i = 0; i < n; i++)
		lines += c->text[i] == '\n';
	return lines;
}

/* A libbpf warning of its own: the object file does not exist. */
static void libbpf_warns(void)
{
	struct bpf_object *obj = bpf_object__open_file("/nonexistent/xfr-test.bpf.o", NULL);

	assert_null(obj);
}

static void test_levels_and_newline(void **state)
{
	struct cap c;

	(void)state;
	log_set_level(XFR_LOG_WARN);
	cap_start(&c);
	pr_err("one\n");
	pr_warn("two");
	pr_info("not shown");
	assert_int_equal(cap_end(&c), 2);
	assert_string_equal(c.text, "xfr: one\nxfr: warning: two\n");
	log_set_level(XFR_LOG_INFO);
}

/* libbpf's warnings show at info (its own "libbpf: " prefix, ours none), not at warn. */
static void test_libbpf_one_level_down(void **state)
{
	struct cap c;

	(void)state;
	log_libs_init();
	log_set_level(XFR_LOG_INFO);
	cap_start(&c);
	libbpf_warns();
	assert_int_equal(cap_end(&c), 1);
	assert_non_null(strstr(c.text, "libbpf: "));
	assert_non_null(strstr(c.text, "/nonexistent/xfr-test.bpf.o"));
	assert_null(strstr(c.text, "xfr: "));

	log_set_level(XFR_LOG_WARN);
	cap_start(&c);
	libbpf_warns();
	assert_int_equal(cap_end(&c), 0);
	log_set_level(XFR_LOG_INFO);
}

/* A test that silences libbpf itself still can, after the bridge was installed. */
static void test_silencing_still_works(void **state)
{
	struct cap c;

	(void)state;
	log_libs_init();
	libbpf_set_print(NULL);
	cap_start(&c);
	libbpf_warns();
	assert_int_equal(cap_end(&c), 0);
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
