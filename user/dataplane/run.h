/* SPDX-License-Identifier: MIT */
/*
 * One side's test run, shared by the client and the server: the engine's
 * set-up and release, the interval timer and sampling, pause and resume
 * (paused time is not test time), the test's own deadline, the UDP drain,
 * the end (the last partial interval when it is long enough to mean
 * something), and the events every sink sees (model/event.h).
 *
 * The roles keep only what differs between them, through hooks: the server
 * sends each sampled interval to its client and decides when the test is
 * over; the client sends `finish`, pairs each interval with the server's
 * half (run_peer_interval) and folds the server's result into its own.
 *
 *   run_new -> run_prepare (optional: engine built early), or
 *   run_prepare_async -> hooks->prepared -> run_start ->
 *   [ticks, pause/resume, deadline, done, drain] -> run_finish -> the role
 *   builds the result -> run_end -> run_free
 *
 * Everything happens on the role's loop thread (hooks included); the engine's
 * own threads and run_prepare_async's worker never call back into the run.
 */
#ifndef XFR_DATAPLANE_RUN_H
#define XFR_DATAPLANE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/loop.h"
#include "dataplane/dataplane.h"
#include "engine/engine.h"
#include "model/event.h"
#include "model/result.h"
#include "model/sample.h"

struct run;

/* One interval of this side, sampled. */
struct run_tick {
	uint32_t k;		      /* 1-based interval number */
	double start_s, end_s;	      /* test time (pauses excluded) */
	double span_s;		      /* real time between the two samples (for rates) */
	double test_span_s;	      /* what elapsed_ms advanced by: the wire's rates */
	uint64_t elapsed_ms;	      /* test time at the end, the drain excluded */
	bool last;		      /* the partial interval at the end */
	const struct xfr_flow *flows; /* this side over the interval */
	uint32_t nflows;
	const struct engine_sample *cur; /* the cumulative sample it ends with */
};

struct run_hooks {
	/* This side's interval was sampled (before it is paired or emitted). */
	void (*tick)(struct run *r, const struct run_tick *t);
	/* Every flow of the engine has ended (budget sent, EOF, error). */
	void (*done)(struct run *r);
	/* The test's own duration ran out (pauses excluded). */
	void (*deadline)(struct run *r);
	/* A drain started with run_drain() is over. */
	void (*drained)(struct run *r);
	/*
	 * run_prepare_async() is through: 0 (run_start may follow), or -errno
	 * with the one-line reason in why (the engine's own when it has one).
	 * Not called when the run was finished or halted meanwhile.
	 */
	void (*prepared)(struct run *r, int err, const char *why);
};

struct run_cfg {
	enum xfr_role role;
	struct engine_params ep; /* what this side runs; done_fd is the run's own */
	struct dataplane dp;	 /* the engine decided for this side */
	enum xfr_dir dir;	 /* the test's direction (what this side sends follows) */
	uint32_t interval_ms;	 /* sampling cadence */
	uint32_t omit_ms;	 /* intervals ending at or before are marked omitted */
	uint32_t duration_ms;	 /* the deadline; 0 = none */
	/* the deadline counts from here (CLOCK_MONOTONIC ns), not from run_start; 0 = run_start */
	uint64_t deadline_from_ns;
	/* The test's planned length for the rows (both ends use the same): the
	 * interval that would end within half an interval of it is not sampled on
	 * its own, run_finish takes it with the rest. 0 = duration_ms. */
	uint32_t length_ms;
	bool pair;	     /* client: each interval waits for the peer's half */
	bool keep_intervals; /* keep each emitted interval in the result */
	const char *peer;    /* printable other end, for events; copied */
};

/*
 * A run on @loop emitting to @sinks, describing @res (owned by the role; the
 * run appends intervals and sets nothing else in it). NULL with errno.
 */
struct run *run_new(const struct run_cfg *cfg, struct loop *loop, const struct xfr_sinks *sinks,
		    struct xfr_result *res, const struct run_hooks *hooks, void *ctx);
void *run_ctx(const struct run *r);
struct engine *run_engine(const struct run *r);

/*
 * Build the engine and hand it the streams' sockets, before the test's clock
 * starts (a kernel receiver must be attached before the peer sends). dup:
 * the engine gets duplicates and the caller keeps fds; otherwise the engine
 * owns them (fds[i] set to -1). 0, or -errno with a one-line reason in why
 * (the engine's own when it has one); the role says what failed around it.
 */
int run_prepare(struct run *r, int *fds, bool dup, char *why, size_t whylen);
/*
 * run_prepare on a worker thread, for a role whose loop must not wait: loading
 * BPF programs, attaching XDP and resolving the next hop take milliseconds to
 * seconds. The fds are taken now (dup: duplicated, the caller keeps fds;
 * otherwise fds[i] is set to -1, and closed on failure); hooks->prepared
 * follows on the loop, then run_start(r, NULL, ...). Finishing, halting or
 * freeing the run meanwhile is safe and never waits: the worker finishes,
 * then what it built is released (by the worker itself when the run was
 * freed). 0, or -errno when the worker could not start.
 */
int run_prepare_async(struct run *r, int *fds, bool dup);
/* run_prepare_async's worker has not reported yet. */
bool run_preparing(const struct run *r);
/*
 * Start the data plane (preparing it with fds first if run_prepare did not
 * run; the fds then belong to the engine), the clock and the timers; emits
 * XFR_EV_TEST_START. 0, or -errno with a one-line reason in why (-EBUSY while
 * run_prepare_async's worker builds).
 */
int run_start(struct run *r, int *fds, char *why, size_t whylen);

void run_pause(struct run *r);
void run_resume(struct run *r);
bool run_paused(const struct run *r);
/* This side's senders stop now (a client's UDP senders at its own deadline). */
void run_senders_off(struct run *r);
/*
 * The engine stops now, abortively: a TCP sender's count is cut at what the
 * peer acknowledged, as a reference server's own senders are (tcp.rs). For a
 * peer that stops counting at its own deadline and drains the rest uncounted;
 * the run goes on (the peer's last interval and result) until run_finish.
 */
void run_senders_stop(struct run *r);
/*
 * UDP receivers: keep counting for ms while the peer's last datagrams land,
 * with the senders stopped and no interval ticks; hooks->drained after.
 * 0, or -EALREADY when a drain ran already, -errno.
 */
int run_drain(struct run *r, uint32_t ms);
bool run_draining(const struct run *r);

/*
 * The peer's half of the interval ending at its elapsed_ms (pairing runs
 * only): fill() adds the peer's flows into the slot's flows.
 */
typedef void (*run_fill_fn)(void *arg, struct xfr_flow *flows, uint32_t *n);
void run_peer_interval(struct run *r, uint64_t elapsed_ms, run_fill_fn fill, void *arg);

/*
 * Pairing runs, once the peer's result is in, before run_finish: a peer that
 * ends its test without an interval for its last stretch (the reference
 * server stops at the first tick past the duration and reports only in its
 * result) leaves our last row without its half. When the peer's intervals
 * are one short of our rows, that half is the result's totals (fill) less
 * what the peer's intervals said, ending at elapsed_ms.
 */
void run_peer_last(struct run *r, uint64_t elapsed_ms, run_fill_fn fill, void *arg);

/*
 * Pairing runs: the test's length as the summary gives it (the peer's
 * result); the last row ends there. Call before run_finish.
 */
void run_set_end(struct run *r, double secs);

/*
 * Stop the engine (abortive: RST, for time-bounded tests; else graceful),
 * take the last sample and emit the last interval, partial or not, so that
 * the rows add up to the totals (unless it is empty and rows were out
 * already), then every interval still waiting for its peer half. Rows tile
 * the test: each starts where the one before ended. Idempotent.
 */
void run_finish(struct run *r, bool abortive);
/* This side's whole-test flows from the last sample, into out (capacity 2 x streams). */
void run_totals(const struct run *r, struct xfr_flow *out, uint32_t *n);
/* Test time at the last sample (run_finish) or now, the drain excluded. */
double run_secs(const struct run *r);
bool run_started(const struct run *r);
/* Emit XFR_EV_TEST_END with the result the role built. */
void run_end(struct run *r, const char *why);
/*
 * Give up now: stop the engine (abortively) and the timers; nothing more is
 * emitted. For a role closing a test during an event batch: the memory stays
 * until run_free(). Idempotent; NULL is fine.
 */
void run_halt(struct run *r);
/* run_halt, then free. NULL is fine. */
void run_free(struct run *r);

#endif /* XFR_DATAPLANE_RUN_H */
