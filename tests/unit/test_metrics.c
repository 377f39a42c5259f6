// SPDX-License-Identifier: MIT
/*
 * The metrics registry: bytes counted live by intervals and completed at the
 * end, tests by outcome, the last test's figures, drop reasons bounded and
 * sanitised, and each test counted once whatever events it gets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/registry.h"
#include "model/result.h"

static char *text;

static void render(struct metrics_reg *m)
{
	size_t len;

	free(text);
	text = metrics_reg_render(m, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
}

/* The rendered text has this exact line. */
#define HAS(line)                                                                                  \
	do {                                                                                       \
		if (!strstr(text, "\n" line "\n"))                                                 \
			fail_msg("missing line: %s", line);                                        \
	} while (0)

static void emit(struct metrics_reg *m, enum xfr_event_type type, const struct xfr_result *r,
		 const struct xfr_interval *iv, const char *why)
{
	struct xfr_event ev = {
		.type = type, .role = XFR_ROLE_SERVER, .res = r, .iv = iv, .why = why};

	metrics_reg_event(m, &ev);
}

static void udp_result(struct xfr_result *r)
{
	assert_int_equal(result_init(r, 1), 0);
	r->proto = XFR_PROTO_UDP;
	r->dir = XFR_DIR_UPLOAD;
	r->nflows = 1;
	r->flows[0].has_recv = true;
}

static void test_live_bytes_and_end(void **state)
{
	struct metrics_reg *m = metrics_reg_new();
	struct xfr_flow f = {.has_recv = true, .recv_bytes = 1000};
	struct xfr_interval iv = {.nflows = 1, .flows = &f};
	struct xfr_result r;

	(void)state;
	udp_result(&r);
	emit(m, XFR_EV_TEST_START, &r, NULL, NULL);
	render(m);
	HAS("xfr_active_tests 1");
	emit(m, XFR_EV_INTERVAL, &r, &iv, NULL);
	emit(m, XFR_EV_INTERVAL, &r, &iv, NULL);
	render(m);
	HAS("xfr_bytes_total{protocol=\"udp\",direction=\"upload\"} 2000");
	/* the end: 2500 in all, 500 more than the intervals held */
	r.flows[0].recv_bytes = 2500;
	r.flows[0].has_udp_rx = true;
	r.flows[0].udp.packets_received = 10;
	r.flows[0].udp.lost = 2;
	r.flows[0].udp.rcvbuf_drops = 1;
	r.flows[0].udp.jitter_ms = 0.5;
	r.duration_s = 2.0;
	emit(m, XFR_EV_TEST_END, &r, NULL, "complete");
	emit(m, XFR_EV_ERROR, &r, NULL, NULL); /* a second ending counts nothing */
	render(m);
	HAS("xfr_active_tests 0");
	HAS("xfr_bytes_total{protocol=\"udp\",direction=\"upload\"} 2500");
	HAS("xfr_tests_total{protocol=\"udp\",direction=\"upload\",outcome=\"complete\"} 1");
	HAS("xfr_tests_total{protocol=\"udp\",direction=\"upload\",outcome=\"failed\"} 0");
	HAS("xfr_last_test_throughput_bytes_per_second{protocol=\"udp\",direction=\"upload\"} 1250");
	HAS("xfr_test_duration_seconds_bucket{le=\"1\"} 0");
	HAS("xfr_test_duration_seconds_bucket{le=\"5\"} 1");
	HAS("xfr_test_duration_seconds_bucket{le=\"+Inf\"} 1");
	HAS("xfr_test_duration_seconds_sum 2");
	HAS("xfr_udp_packets_received_total 10");
	HAS("xfr_udp_packets_lost_total 2");
	HAS("xfr_udp_rcvbuf_drops_total 1");
	HAS("xfr_last_test_udp_jitter_seconds 0.0005");
	assert_null(strstr(text, "\nxfr_last_test_tcp_rtt_seconds ")); /* no TCP test yet */
	assert_int_equal(metrics_reg_finished(m), 1);
	result_free(&r);
	metrics_reg_free(m);
}

static void test_failed_and_unknown(void **state)
{
	struct metrics_reg *m = metrics_reg_new();
	struct xfr_result r;

	(void)state;
	udp_result(&r);
	r.dir = XFR_DIR_BIDIR;
	emit(m, XFR_EV_ERROR, NULL, NULL, NULL);	/* before any test: nothing */
	emit(m, XFR_EV_TEST_END, &r, NULL, "complete"); /* never started: nothing */
	emit(m, XFR_EV_TEST_START, &r, NULL, NULL);
	emit(m, XFR_EV_TEST_END, &r, NULL, "cancelled");
	render(m);
	HAS("xfr_tests_started_total 1");
	HAS("xfr_tests_total{protocol=\"udp\",direction=\"bidir\",outcome=\"failed\"} 1");
	HAS("xfr_test_duration_seconds_count 0");
	result_free(&r);
	metrics_reg_free(m);
}

static void test_drop_reasons_bounded(void **state)
{
	struct metrics_reg *m = metrics_reg_new();
	struct xfr_result r;
	char line[128];

	(void)state;
	/* 100 tests with a reason each, and two names a peer could have made up */
	for (int t = 0; t < 100; t++) {
		udp_result(&r);
		r.flows[0].has_drops_rx = true;
		r.flows[0].drops_rx.n = 1;
		snprintf(r.flows[0].drops_rx.d[0].reason, 40, "%s",
			 t == 0	  ? "X\"} 1\nfake 2"
			 : t == 1 ? "lower_case"
				  : "");
		if (t > 1)
			snprintf(r.flows[0].drops_rx.d[0].reason, 40, "REASON_%d", t);
		r.flows[0].drops_rx.d[0].packets = 1;
		r.duration_s = 1;
		emit(m, XFR_EV_TEST_START, &r, NULL, NULL);
		emit(m, XFR_EV_TEST_END, &r, NULL, "complete");
		result_free(&r);
	}
	render(m);
	assert_null(strstr(text, "fake"));
	assert_null(strstr(text, "lower_case"));
	HAS("xfr_kernel_drops_total{reason=\"REASON_2\"} 1");
	/*
	 * 64 label values at most: OTHER (first, from the two bad names) and
	 * REASON_2..REASON_63; REASON_64..REASON_99 fold into OTHER.
	 */
	HAS("xfr_kernel_drops_total{reason=\"REASON_63\"} 1");
	assert_null(strstr(text, "REASON_64\""));
	snprintf(line, sizeof(line), "\nxfr_kernel_drops_total{reason=\"OTHER\"} %d\n", 2 + 36);
	assert_non_null(strstr(text, line));
	metrics_reg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_bytes_and_end),
		cmocka_unit_test(test_failed_and_unknown),
		cmocka_unit_test(test_drop_reasons_bounded),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(text);
	return rc;
}
