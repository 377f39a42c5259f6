// SPDX-License-Identifier: MIT
/*
 * The client TUI's pure parts: bounded formatting, sparkline scaling, colour
 * levels, the layout at every size, the preferences reader, the view model
 * fed with events, the settings modal's steps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tui/dash_view.h"
#include "tui/tui_fmt.h"
#include "tui/tui_layout.h"
#include "tui/tui_prefs.h"
#include "tui/tui_theme.h"
#include "tui/tui_ui.h"
#include "tui/tui_view.h"

static void test_fmt_rate(void **state)
{
	static const double v[] = {0,	    -5,	     0.4,   999,      999.5,   1e3,
				   9.994e6, 9.996e6, 941e6, 9.41e9,   1.23e12, 4.5e15,
				   9.9e17,  1e21,    1e300, 0.0 / 0.0};
	char b[32];

	(void)state;
	assert_string_equal(tui_fmt_rate(b, sizeof(b), 9.41e9, TUI_UNITS_AUTO), "9.41 Gbit/s");
	assert_string_equal(tui_fmt_rate(b, sizeof(b), 941e6, TUI_UNITS_AUTO), "941 Mbit/s");
	assert_string_equal(tui_fmt_rate(b, sizeof(b), 8e9, TUI_UNITS_BYTES), "1.00 GB/s");
	assert_string_equal(tui_fmt_rate(b, sizeof(b), 0, TUI_UNITS_AUTO), "0 bit/s");
	assert_string_equal(tui_fmt_rate(b, sizeof(b), 1.5e12, TUI_UNITS_AUTO), "1.50 Tbit/s");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (int u = 0; u < TUI_UNITS_N; u++) {
			assert_true(strlen(tui_fmt_rate(b, sizeof(b), v[i], u)) <= 11);
			assert_true(strlen(tui_fmt_bytes(b, sizeof(b), v[i], u)) <= 9);
		}
		assert_true(strlen(tui_fmt_ms(b, sizeof(b), v[i])) <= 9);
		assert_true(strlen(tui_fmt_secs(b, sizeof(b), v[i])) <= 11);
	}
}

static void test_fmt_amounts(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(tui_fmt_bytes(b, sizeof(b), 2.5e15, TUI_UNITS_AUTO), "2.50 PB");
	assert_string_equal(tui_fmt_bytes(b, sizeof(b), 18.4e18, TUI_UNITS_AUTO), "18.4 EB");
	assert_string_equal(tui_fmt_bytes(b, sizeof(b), 1e9, TUI_UNITS_BITS), "8.00 Gbit");
	assert_string_equal(tui_fmt_ms(b, sizeof(b), 0.042), "0.042 ms");
	assert_string_equal(tui_fmt_ms(b, sizeof(b), 12.34), "12.3 ms");
	assert_string_equal(tui_fmt_ms(b, sizeof(b), 4560), "4.56 s");
	assert_string_equal(tui_fmt_ms(b, sizeof(b), 1e12), "99999+ s");
	assert_string_equal(tui_fmt_count(b, sizeof(b), 99999), "99999");
	assert_string_equal(tui_fmt_count(b, sizeof(b), 1234567), "1.23M");
	assert_string_equal(tui_fmt_count(b, sizeof(b), UINT64_MAX), "999G+");
	assert_string_equal(tui_fmt_secs(b, sizeof(b), 3723), "1:02:03");
	assert_string_equal(tui_fmt_secs(b, sizeof(b), 4.04), "4.0 s");
}

static void test_spark(void **state)
{
	(void)state;
	assert_int_equal(tui_spark_level(0, 100, 2), 0);
	assert_int_equal(tui_spark_level(-1, 100, 2), 0);
	assert_int_equal(tui_spark_level(5, 0, 2), 0);
	assert_int_equal(tui_spark_level(100, 100, 2), 16);
	assert_int_equal(tui_spark_level(500, 100, 2), 16); /* never past the top */
	assert_int_equal(tui_spark_level(50, 100, 2), 8);
	assert_int_equal(tui_spark_level(0.001, 100, 2), 1); /* small is never nothing */
	assert_int_equal(tui_spark_level(50, 100, 1), 4);
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(tui_level_loss(0), TUI_LVL_OK);
	assert_int_equal(tui_level_loss(0.5), TUI_LVL_WARN);
	assert_int_equal(tui_level_loss(1), TUI_LVL_BAD);
	assert_int_equal(tui_level_rtt(0.2), TUI_LVL_OK);
	assert_int_equal(tui_level_rtt(50), TUI_LVL_WARN);
	assert_int_equal(tui_level_rtt(250), TUI_LVL_BAD);
	assert_int_equal(tui_level_jitter(0.05), TUI_LVL_OK);
	assert_int_equal(tui_level_jitter(5), TUI_LVL_WARN);
	assert_int_equal(tui_level_jitter(2000), TUI_LVL_BAD);
	assert_int_equal(tui_level_retx(0, 1000000), TUI_LVL_OK);
	assert_int_equal(tui_level_retx(1, 1448 * 1000), TUI_LVL_WARN);
	assert_int_equal(tui_level_retx(50, 1448 * 1000), TUI_LVL_BAD);
	assert_int_equal(tui_level_retx(3, 0), TUI_LVL_BAD);
}

/* Every size from 1x1 to 200x60, every stats height: inside the screen, no overlap. */
static void test_layout_all_sizes(void **state)
{
	struct tui_layout l;

	(void)state;
	for (int rows = 0; rows <= 60; rows++)
		for (int cols = 0; cols <= 200; cols++)
			for (int sr = 4; sr <= 7; sr++) {
				const struct tui_rect *r[] = {&l.title, &l.config, &l.stats,
							      &l.graph, &l.lower,  &l.footer};

				tui_layout(&l, rows, cols, sr);
				for (int i = 0; i < 6; i++) {
					assert_true(tui_rect_inside(r[i], rows, cols));
					for (int j = i + 1; j < 6; j++)
						assert_false(tui_rect_overlap(r[i], r[j]));
				}
				if (rows >= TUI_MIN_ROWS && cols >= TUI_MIN_COLS) {
					assert_false(l.too_small);
					assert_true(l.stats.h >= 1); /* the figures always show */
					assert_int_equal(l.footer.y, rows - 1);
				} else if (rows && cols) {
					assert_true(l.too_small);
				}
			}
	tui_layout(&l, 24, 80, 4);
	assert_true(l.config.h > 0 && l.graph.h == 4 && l.lower.h >= 3);
	tui_layout(&l, 10, 40, 4); /* the smallest: stats and the graph still fit */
	assert_true(l.stats.h == 4 && l.graph.h == 4 && !l.config.h);
}

static void test_prefs(void **state)
{
	struct tui_prefs p = {0};
	char why[128], dir[] = "/tmp/xfr-prefs-XXXXXX", path[256];

	(void)state;
	assert_int_equal(tui_prefs_parse(&p,
					 "# mine\n\ntheme = \"nord\"\r\nunits=\"bytes\"  # c\n"
					 "timestamp_format = \"unix\"\nfuture_key = \"x\"\n",
					 why, sizeof(why)),
			 0);
	assert_string_equal(tui_theme_name(p.theme), "nord");
	assert_int_equal(p.units, TUI_UNITS_BYTES);
	assert_int_equal(p.ts_format, XFR_TS_UNIX);
	assert_int_equal(tui_prefs_parse(&p, "theme = \"tokyo\"", why, sizeof(why)), 0);
	assert_string_equal(tui_theme_name(p.theme), "tokyo_night"); /* an alias */
	/* strict: a bad line rejects the whole file and says which */
	assert_int_equal(tui_prefs_parse(&p, "units = \"auto\"\ntheme = nord\n", why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "line 2: the value must be a quoted string");
	assert_int_equal(p.units, TUI_UNITS_BYTES); /* untouched */
	assert_int_equal(tui_prefs_parse(&p, "theme = \"pink\"\n", why, sizeof(why)), -EINVAL);
	assert_int_equal(tui_prefs_parse(&p, "theme = \"a\\\"b\"\n", why, sizeof(why)), -EINVAL);
	assert_int_equal(tui_prefs_parse(&p, "theme = \"nord\" x\n", why, sizeof(why)), -EINVAL);
	assert_int_equal(tui_prefs_parse(&p, "[table]\n", why, sizeof(why)), -EINVAL);
	/* round trip through a file in a directory that does not exist yet */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/prefs.toml", dir);
	p = (struct tui_prefs){.theme = 9, .ts_format = XFR_TS_ISO8601, .units = TUI_UNITS_BITS};
	assert_int_equal(tui_prefs_save(&p, path), 0);
	struct tui_prefs q = {0};
	assert_int_equal(tui_prefs_load(&q, path, why, sizeof(why)), 0);
	assert_memory_equal(&p, &q, sizeof(p));
	unlink(path);
	assert_int_equal(tui_prefs_load(&q, path, why, sizeof(why)), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void test_themes(void **state)
{
	static const char *const names[] = {"default",	  "kawaii",	 "cyber",    "dracula",
					    "monochrome", "matrix",	 "nord",     "gruvbox",
					    "catppuccin", "tokyo_night", "solarized"};

	(void)state;
	assert_int_equal(tui_theme_count(), 11);
	for (unsigned i = 0; i < 11; i++) {
		assert_string_equal(tui_theme_name(i), names[i]);
		assert_int_equal(tui_theme_find(names[i]), (int)i);
	}
	assert_int_equal(tui_theme_find("mono"), TUI_THEME_MONO);
	assert_int_equal(tui_theme_find("hacker"), tui_theme_find("matrix"));
	assert_int_equal(tui_theme_find("nope"), -1);
}

/* ---- the view model, fed with events ---- */

static struct xfr_result res;
static struct xfr_flow fl[4];

static void start(struct tui_view *v, enum xfr_proto proto, enum xfr_dir dir)
{
	struct xfr_event ev = {.type = XFR_EV_TEST_START, .res = &res};

	memset(&res, 0, sizeof(res));
	snprintf(res.host, sizeof(res.host),
		 "srv\x1b[2J\xc2\x9b"
		 "1");
	snprintf(res.server_version, sizeof(res.server_version), "xfr/\x1b]0;pwn\x07");
	res.proto = proto;
	res.dir = dir;
	res.streams = 2;
	res.duration_req_s = 10;
	res.port = 5201;
	tui_view_reset(v);
	tui_view_event(v, &ev);
}

static void interval(struct tui_view *v, double t, uint32_t n)
{
	struct xfr_interval iv = {.start_s = t - 1, .end_s = t, .nflows = n, .flows = fl};
	struct xfr_event ev = {.type = XFR_EV_INTERVAL, .iv = &iv};

	tui_view_event(v, &ev);
}

static void test_view_tcp(void **state)
{
	struct tui_view *v = calloc(1, sizeof(*v));
	double rate, loss;

	(void)state;
	start(v, XFR_PROTO_TCP, XFR_DIR_BIDIR);
	assert_string_equal(v->host, "srv?[2J?1"); /* sanitised once, here */
	assert_string_equal(v->server_version, "xfr/?]0;pwn?");
	memset(fl, 0, sizeof(fl));
	fl[0] = (struct xfr_flow){.stream = 0,
				  .dir = XFR_FLOW_UP,
				  .has_sent = true,
				  .has_recv = true,
				  .sent_bytes = 200,
				  .recv_bytes = 125000000,
				  .has_tcp = true,
				  .tcp = {.retransmits = 3, .rtt_us = 1500, .cwnd_bytes = 64000}};
	fl[1] = (struct xfr_flow){
		.stream = 1, .dir = XFR_FLOW_DOWN, .has_sent = true, .sent_bytes = 250000000};
	interval(v, 1, 2);
	assert_true(v->rate_up == 1e9);	  /* the receiver's count, not the sender's */
	assert_true(v->rate_down == 2e9); /* the sender's when that is all there is */
	assert_true(v->has_tcp && v->rtt_ms == 1.5 && v->retx_total == 3);
	assert_int_equal(v->nstream_rates, 2);
	assert_true(v->stream_rate[1] == 2e9);
	interval(v, 2, 2);
	assert_int_equal(v->retx_total, 6);
	assert_int_equal(v->total_up, 250000000);
	assert_true(tui_view_hist(v, 0, &rate, &loss) && rate == 3e9 && loss < 0);
	assert_false(tui_view_hist(v, 2, &rate, &loss));
	assert_true(tui_view_progress(v) > 0.19 && tui_view_progress(v) < 0.21);
	struct xfr_event end = {.type = XFR_EV_TEST_END, .why = "complete", .res = &res};
	tui_view_event(v, &end);
	assert_int_equal(v->state, TUI_ST_DONE);
	assert_true(tui_view_progress(v) == 1);
	free(v);
}

static void test_view_udp(void **state)
{
	struct tui_view *v = calloc(1, sizeof(*v));

	(void)state;
	start(v, XFR_PROTO_UDP, XFR_DIR_UPLOAD);
	memset(fl, 0, sizeof(fl));
	fl[0] = (struct xfr_flow){.dir = XFR_FLOW_UP,
				  .has_recv = true,
				  .recv_bytes = 1000,
				  .has_udp_rx = true,
				  .udp = {.packets_received = 990, .lost = 10, .jitter_ms = 2}};
	interval(v, 1, 1);
	assert_true(v->loss_known && v->loss_pct == 1.0 && v->lost_total == 10);
	fl[0].udp.jitter_ms = 4;
	fl[0].udp.lost = 0;
	for (int t = 2; t <= 12; t++)
		interval(v, t, 1);
	/* the mean of the intervals ending in the last 10 s: all at 4 ms now */
	assert_true(tui_view_jitter_avg(v) == 4);
	fl[0].has_udp_rx = false; /* the receiver's half missing: loss unknown, "--%" */
	interval(v, 13, 1);
	assert_false(v->loss_known);
	free(v);
}

static void test_view_log_and_notices(void **state)
{
	struct tui_view *v = calloc(1, sizeof(*v));
	struct xfr_event n = {.type = XFR_EV_NOTICE,
			      .notice = XFR_NOTICE_RETRANSMITS,
			      .text = "retransmit spike\x1b[31m"};

	(void)state;
	start(v, XFR_PROTO_TCP, XFR_DIR_UPLOAD);
	tui_view_event(v, &n);
	assert_string_equal(v->log[1].text, "retransmits: retransmit spike?[31m");
	for (int i = 0; i < 200; i++)
		tui_view_log(v, "line %d", i);
	assert_string_equal(v->log[(v->nlog - 1) % TUI_LOG].text, "line 199");
	free(v);
}

static void test_settings(void **state)
{
	struct xfr_config cfg = {.streams = 3,
				 .proto = XFR_PROTO_TCP,
				 .duration_s = 10,
				 .dir = XFR_DIR_UPLOAD,
				 .bitrate = 0};
	struct tui_prefs p = {.theme = 10};
	struct tui_settings s;
	char b[32];

	(void)state;
	tui_settings_open(&s, &p, &cfg);
	s.row = TUI_SET_THEME;
	tui_settings_step(&s, 1); /* wraps to the first theme */
	assert_string_equal(tui_settings_value(&s, TUI_SET_THEME, b, sizeof(b)), "default");
	s.row = TUI_SET_STREAMS;
	tui_settings_step(&s, 1); /* 3 sits between 2 and 4: the next step is 8 */
	assert_string_equal(tui_settings_value(&s, TUI_SET_STREAMS, b, sizeof(b)), "8");
	s.row = TUI_SET_PROTO;
	tui_settings_step(&s, -1);
	s.row = TUI_SET_DIR;
	tui_settings_step(&s, -1);
	s.row = TUI_SET_BITRATE;
	tui_settings_step(&s, 1);
	tui_settings_step(&s, 1);
	assert_string_equal(tui_settings_value(&s, TUI_SET_BITRATE, b, sizeof(b)), "10M");
	s.row = TUI_SET_DURATION;
	tui_settings_step(&s, -1);
	assert_string_equal(tui_settings_value(&s, TUI_SET_DURATION, b, sizeof(b)), "5 s");
	tui_settings_apply(&s, &cfg);
	assert_int_equal(cfg.streams, 8);
	assert_int_equal(cfg.proto, XFR_PROTO_UDP);
	assert_int_equal(cfg.dir, XFR_DIR_BIDIR);
	assert_int_equal(cfg.bitrate, 10000000);
	assert_int_equal(cfg.duration_s, 5);
	assert_int_equal(cfg.length, xfr_default_length(XFR_PROTO_UDP));
	/* UDP with no rate gets the CLI's default, never an unpaced flood */
	s.row = TUI_SET_BITRATE;
	tui_settings_step(&s, -1);
	tui_settings_step(&s, -1);
	tui_settings_apply(&s, &cfg);
	assert_int_equal(cfg.bitrate, XFR_DEFAULT_UDP_RATE);
	assert_true(cfg.bitrate_set);
}

/* The kernel data plane's path and drop reasons add up over intervals, merged by reason. */
static void test_view_xdp(void **state)
{
	struct tui_view *v = calloc(1, sizeof(*v));

	(void)state;
	start(v, XFR_PROTO_UDP, XFR_DIR_UPLOAD);
	memset(fl, 0, sizeof(fl));
	fl[0] = (struct xfr_flow){
		.dir = XFR_FLOW_UP,
		.has_xdp = true,
		.xdp_packets = 90,
		.has_udp_tx = true,
		.has_udp_rx = true,
		.udp = {.packets_sent = 100, .packets_received = 80},
		.has_drops_rx = true,
		.drops_rx = {.n = 2, .d = {{"SOCKET_RCVBUFF", 10}, {"\x1bX", 1}}}};
	interval(v, 1, 1);
	fl[0].drops_rx.d[0].packets = 5;
	interval(v, 2, 1);
	assert_true(v->has_xdp);
	assert_int_equal(v->xdp_sent, 200);
	assert_int_equal(v->xdp_xdp, 180);
	assert_int_equal(v->xdp_socket, 160);
	assert_int_equal(v->drops.n, 2);
	assert_string_equal(v->drops.d[0].reason, "SOCKET_RCVBUFF");
	assert_int_equal(v->drops.d[0].packets, 15);
	assert_string_equal(v->drops.d[1].reason, "?X");
	free(v);
}

static void test_dash_view(void **state)
{
	struct dash_view *d = calloc(1, sizeof(*d));
	struct xfr_result a = {.id = "a", .proto = XFR_PROTO_TCP, .streams = 1, .duration_s = 2};
	struct xfr_result b = {
		.id = "b", .proto = XFR_PROTO_UDP, .dir = XFR_DIR_DOWNLOAD, .streams = 2};
	struct xfr_flow f = {.has_recv = true, .recv_bytes = 125000000};
	struct xfr_interval iv = {.start_s = 0, .end_s = 1, .nflows = 1, .flows = &f};

	(void)state;
	dash_view_event(d,
			&(struct xfr_event){.type = XFR_EV_TEST_START,
					    .res = &a,
					    .peer = "10.0.0.1:5000\x1b]0;x\x07"},
			1);
	dash_view_event(
		d,
		&(struct xfr_event){.type = XFR_EV_TEST_START, .res = &b, .peer = "10.0.0.2:6000"},
		2);
	dash_view_event(d, &(struct xfr_event){.type = XFR_EV_INTERVAL, .res = &a, .iv = &iv}, 3);
	dash_view_event(d, &(struct xfr_event){.type = XFR_EV_INTERVAL, .res = &b, .iv = &iv}, 3);
	assert_int_equal(d->active, 2);
	assert_string_equal(d->t[0].peer, "10.0.0.1:5000?]0;x?");
	assert_true(d->t[0].rate_bps == 1e9 && d->t[1].rate_bps == 1e9);
	assert_true(dash_view_rate(d) == 2e9);
	dash_view_event(d,
			&(struct xfr_event){.type = XFR_EV_NOTICE,
					    .notice = XFR_NOTICE_REFUSED,
					    .text = "server busy",
					    .peer = "10.0.0.3:1"},
			4);
	dash_view_event(d,
			&(struct xfr_event){.type = XFR_EV_TEST_END,
					    .res = &a,
					    .why = "complete",
					    .peer = "10.0.0.1:5000"},
			5);
	dash_view_event(
		d,
		&(struct xfr_event){
			.type = XFR_EV_ERROR, .res = &b, .text = "gone", .peer = "10.0.0.2:6000"},
		6);
	/* an error before a test existed counts as failed, changes nothing running */
	dash_view_event(d, &(struct xfr_event){.type = XFR_EV_ERROR, .text = "bad hello"}, 7);
	assert_int_equal(d->active, 0);
	assert_int_equal(d->started, 2);
	assert_int_equal(d->completed, 1);
	assert_int_equal(d->failed, 2);
	assert_int_equal(d->refused, 1);
	assert_int_equal(d->bytes, 250000000);
	assert_false(d->t[0].used || d->t[1].used);
	assert_string_equal(d->ev[(d->nev - 1) % DASH_EVENTS].text, "?: error: bad hello");
	/* more tests than rows: counted, and their ends too */
	for (int i = 0; i < DASH_TESTS + 3; i++) {
		struct xfr_result r = {.streams = 1};

		snprintf(r.id, sizeof(r.id), "t%d", i);
		dash_view_event(d, &(struct xfr_event){.type = XFR_EV_TEST_START, .res = &r}, 8);
	}
	assert_int_equal(d->active, DASH_TESTS + 3);
	assert_int_equal(d->overflow, 3);
	for (int i = 0; i < DASH_TESTS + 3; i++) {
		struct xfr_result r = {.streams = 1};

		snprintf(r.id, sizeof(r.id), "t%d", i);
		dash_view_event(d, &(struct xfr_event){.type = XFR_EV_TEST_END, .res = &r}, 9);
	}
	assert_int_equal(d->active, 0);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_rate),
		cmocka_unit_test(test_fmt_amounts),
		cmocka_unit_test(test_spark),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_layout_all_sizes),
		cmocka_unit_test(test_prefs),
		cmocka_unit_test(test_themes),
		cmocka_unit_test(test_view_tcp),
		cmocka_unit_test(test_view_udp),
		cmocka_unit_test(test_view_log_and_notices),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_view_xdp),
		cmocka_unit_test(test_dash_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
