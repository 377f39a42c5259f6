/* SPDX-License-Identifier: MIT */
/*
 * What the client TUI shows, kept up to date from the run core's events
 * (model/event.h). Pure: no curses, no clock of its own (test time comes in
 * the events), so the unit tests feed it events and read the figures back.
 * Every string that came from the peer or the user is sanitised here, once
 * (base/text.h), before anything can draw it.
 */
#ifndef XFR_TUI_TUI_VIEW_H
#define XFR_TUI_TUI_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "model/event.h"
#include "model/result.h"

#define TUI_HIST       256 /* intervals kept for the sparkline */
#define TUI_LOG	       64  /* history lines kept */
#define TUI_LOG_LEN    160
#define TUI_JITTER_WIN 10.0 /* s: the rolling jitter mean */
#define TUI_TOP_DROPS  4

enum tui_state {
	TUI_ST_CONNECTING, /* no start event yet */
	TUI_ST_RUNNING,
	TUI_ST_DONE,  /* the end event came */
	TUI_ST_ERROR, /* an error event came */
};

struct tui_log_line {
	double t;	  /* test time */
	uint64_t wall_us; /* CLOCK_REALTIME, for the iso8601 and unix timestamp formats */
	char text[TUI_LOG_LEN];
};

struct tui_view {
	enum tui_state state;
	bool paused; /* set by the controller: the run core has no pause event */
	/* identity, sanitised */
	char host[128];
	char server_version[64];
	char engine[64];
	enum xfr_proto proto;
	enum xfr_dir dir;
	uint32_t streams;
	uint32_t duration_req_s;
	uint64_t bytes_req;
	uint64_t bitrate_req;
	uint16_t port;
	char why[32]; /* how it ended */
	char error[TUI_LOG_LEN];

	/* the latest interval */
	double elapsed_s;
	double iv_secs;
	double rate_up, rate_down; /* bits/s, receiver's count where known */
	uint64_t total_up, total_down;
	bool has_tcp;
	double rtt_ms;
	uint64_t retx_total, retx_iv, iv_bytes;
	uint64_t cwnd_bytes;
	bool has_udp;
	bool loss_known; /* a receiver's counts came in */
	double jitter_ms, loss_pct;
	uint64_t lost_total, recv_total;
	double jit_t[64], jit_v[64]; /* (end time, jitter) of recent intervals */
	uint32_t njit;
	bool has_xdp;  /* the kernel data plane's counts, totals */
	bool xdp_sink; /* XDP itself is the receiver: no socket stage */
	uint64_t xdp_sent, xdp_xdp, xdp_socket;
	struct xfr_drops drops;

	/* the sparkline: total rate per interval, and that interval's loss */
	double hist[TUI_HIST];
	double hist_loss[TUI_HIST]; /* percent; < 0: not known */
	uint64_t nhist;		    /* intervals seen (the ring holds the last TUI_HIST) */
	double peak;

	/* per stream: rate of the latest interval, both directions added */
	uint32_t nstream_rates;
	double stream_rate[XFR_MAX_STREAMS];

	struct tui_log_line log[TUI_LOG];
	uint64_t nlog;
};

/* Empty, waiting for a test. */
void tui_view_reset(struct tui_view *v);
/* One event from the run core. */
void tui_view_event(struct tui_view *v, const struct xfr_event *ev);
/* A line for the history log (sanitised; the test time is the latest interval's). */
void tui_view_log(struct tui_view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The mean jitter over the last TUI_JITTER_WIN seconds of intervals; < 0 when none. */
double tui_view_jitter_avg(const struct tui_view *v);
/* 0..1 through the test (bytes against -n, else time); < 0 when unbounded. */
double tui_view_progress(const struct tui_view *v);
/* The i-th most recent sparkline value (0 = latest); false past what is kept. */
bool tui_view_hist(const struct tui_view *v, uint32_t i, double *rate, double *loss);

#endif /* XFR_TUI_TUI_VIEW_H */
