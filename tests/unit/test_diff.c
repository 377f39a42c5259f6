// SPDX-License-Identifier: MIT
/* xfr diff: each figure's line and tag, the verdict, the exit codes, every input error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/diff.h"

static char out_text[4096], err_text[1024];
static char dir[] = "/tmp/xfr-test-diff-XXXXXX";

/* diff_main on "diff" + the NULL-terminated arguments. */
static int run(const char *first, ...)
{
	char *argv[8] = {"diff"}, *o = NULL, *e = NULL;
	size_t ol, el;
	FILE *out = open_memstream(&o, &ol), *err = open_memstream(&e, &el);
	int argc = 1, rc;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 7; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	rc = (int)diff_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	snprintf(out_text, sizeof(out_text), "%s", o);
	snprintf(err_text, sizeof(err_text), "%s", e);
	free(o);
	free(e);
	return rc;
}

/* A result file in the temporary directory; returns its path (static, one per name). */
static const char *result(const char *name, const char *json)
{
	static char paths[8][300];
	static int next;
	char *p = paths[next++ % 8];
	FILE *f;

	snprintf(p, 300, "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	return p;
}

#define TCP(mbps, rtx, rtt)                                                                        \
	"{\"throughput_mbps\": " #mbps ", \"tcp_info\": {\"retransmits\": " #rtx                   \
	", \"rtt_us\": " #rtt "}}"
#define UDP(mbps, loss, jit)                                                                       \
	"{\"throughput_mbps\": " #mbps ", \"udp_stats\": {\"lost_percent\": " #loss                \
	", \"jitter_ms\": " #jit "}}"

static void test_tcp_ok_and_warn(void **state)
{
	(void)state;
	assert_int_equal(
		run(result("a", TCP(1000, 100, 1000)), result("b", TCP(960, 104, 1040)), NULL),
		DIFF_OK);
	assert_string_equal(out_text, "Throughput: 1000.0 Mbps \u2192 960.0 Mbps (-4.0%) [WARN]\n"
				      "Retransmits: 100 \u2192 104 (+4.0%) [WARN]\n"
				      "RTT: 1.00 ms \u2192 1.04 ms (+4.0%) [WARN]\n"
				      "\nVerdict: OK\n");
	assert_string_equal(err_text, "");
}

static void test_regressions(void **state)
{
	(void)state;
	/* throughput down more than 5 % */
	assert_int_equal(run(result("a", TCP(1000, 0, 1000)), result("b", TCP(940, 0, 1000)), NULL),
			 DIFF_REGRESSION);
	assert_non_null(strstr(out_text, "(-6.0%) [FAIL]\n"));
	assert_non_null(strstr(out_text, "Verdict: REGRESSION DETECTED\n"));
	/* retransmits from 0: +inf */
	assert_int_equal(
		run(result("a", TCP(1000, 0, 1000)), result("b", TCP(1000, 1, 1000)), NULL),
		DIFF_REGRESSION);
	assert_non_null(strstr(out_text, "Retransmits: 0 \u2192 1 (+inf%) [FAIL]\n"));
	/* the same with a threshold of 50 %: RTT +40 % is a warning only */
	assert_int_equal(run("--threshold", "50", result("a", TCP(1000, 10, 1000)),
			     result("b", TCP(1000, 10, 1400)), NULL),
			 DIFF_OK);
	assert_non_null(strstr(out_text, "RTT: 1.00 ms \u2192 1.40 ms (+40.0%) [WARN]\n"));
	/* UDP loss and jitter */
	assert_int_equal(
		run(result("a", UDP(100, 0.5, 0.1)), result("b", UDP(100, 0.8, 0.102)), NULL),
		DIFF_REGRESSION);
	assert_string_equal(out_text, "Throughput: 100.0 Mbps \u2192 100.0 Mbps (+0.0%) [OK]\n"
				      "UDP loss: 0.500% \u2192 0.800% (+60.0%) [FAIL]\n"
				      "Jitter: 0.100 ms \u2192 0.102 ms (+2.0%) [WARN]\n"
				      "\nVerdict: REGRESSION DETECTED\n");
	/* TCP against UDP: only what both have */
	assert_int_equal(run(result("a", TCP(100, 1, 100)), result("b", UDP(100, 1, 1)), NULL),
			 DIFF_OK);
	assert_string_equal(out_text, "Throughput: 100.0 Mbps \u2192 100.0 Mbps (+0.0%) [OK]\n"
				      "\nVerdict: OK\n");
}

static void test_bad_input(void **state)
{
	char want[600];

	(void)state;
	assert_int_equal(run(result("a", TCP(1, 1, 1)), NULL), DIFF_BAD_INPUT);
	assert_string_equal(err_text, "xfr: diff: expected BASELINE and CURRENT (usage: xfr diff "
				      "BASELINE CURRENT [--threshold PCT])\n");
	assert_int_equal(run("--threshold", "-1", "a", "b", NULL), DIFF_BAD_INPUT);
	assert_string_equal(err_text,
			    "xfr: diff --threshold -1: must be a percentage, 0 to 1000000\n");
	assert_int_equal(run("--bogus", "a", "b", NULL), DIFF_BAD_INPUT);
	assert_string_equal(err_text, "xfr: diff: --bogus is not an option (usage: xfr diff "
				      "BASELINE CURRENT [--threshold PCT])\n");
	assert_int_equal(run("/nonexistent/a.json", result("b", TCP(1, 1, 1)), NULL),
			 DIFF_BAD_INPUT);
	assert_non_null(strstr(err_text, "xfr: diff: /nonexistent/a.json: unable to open"));
	assert_int_equal(run(result("a", "{\"x\": 1,"), result("b", TCP(1, 1, 1)), NULL),
			 DIFF_BAD_INPUT);
	snprintf(want, sizeof(want), "xfr: diff: %s/a:1:", dir);
	assert_non_null(strstr(err_text, want));
	assert_int_equal(run(result("a", "{\"error\": \"x\"}"), result("b", TCP(1, 1, 1)), NULL),
			 DIFF_BAD_INPUT);
	assert_non_null(strstr(err_text, "not an xfr result"));
	assert_string_equal(out_text, "");
	assert_int_equal(run("--help", NULL), DIFF_OK);
	assert_non_null(strstr(out_text, "usage: xfr diff"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_ok_and_warn),
		cmocka_unit_test(test_regressions),
		cmocka_unit_test(test_bad_input),
	};
	char cmd[100];
	int rc;

	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		rc = 1;
	return rc;
}
