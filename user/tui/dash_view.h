/* SPDX-License-Identifier: MIT */
/*
 * What `xfr serve --tui` shows, kept from the server's events: the tests
 * running now (client, protocol, direction, streams, elapsed, throughput),
 * totals, connections refused, authentication failures, recent events. Pure
 * (the time comes in as an argument); peer strings are sanitised here.
 */
#ifndef XFR_TUI_DASH_VIEW_H
#define XFR_TUI_DASH_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "model/event.h"
#include "tui/tui_view.h"

#define DASH_TESTS  64 /* shown at once; more are counted */
#define DASH_EVENTS 64

struct dash_test {
	bool used;
	char id[64];
	char peer[64];
	enum xfr_proto proto;
	enum xfr_dir dir;
	uint32_t streams;
	double elapsed_s; /* test time, from the intervals */
	double rate_bps;  /* the latest interval, this side's delivered bytes */
	uint64_t bytes;
};

struct dash_view {
	struct dash_test t[DASH_TESTS];
	uint32_t active;   /* running now (also those past DASH_TESTS) */
	uint32_t overflow; /* running, without a row */
	uint64_t started, completed, failed;
	uint64_t bytes;	  /* all tests, this side's delivered count */
	uint64_t refused; /* connections refused: busy, limits, access rules */
	uint64_t auth_failed;
	struct tui_log_line ev[DASH_EVENTS];
	uint64_t nev;
};

void dash_view_reset(struct dash_view *d);
/* One server event at now_s (seconds since the server started). */
void dash_view_event(struct dash_view *d, const struct xfr_event *ev, double now_s);
/* A line for the events panel (sanitised). */
void dash_view_log(struct dash_view *d, double now_s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The sum of the running tests' rates. */
double dash_view_rate(const struct dash_view *d);

#endif /* XFR_TUI_DASH_VIEW_H */
