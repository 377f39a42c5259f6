// SPDX-License-Identifier: MIT
/*
 * One side's test run (see run.h): the engine, the timers, sampling, pause,
 * drain and end, and the events to the sinks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "dataplane/run_priv.h"
#include "model/stats.h"
#include "timeutil.h"

static void item_init(struct loop_item *it)
{
	*it = (struct loop_item){.fd = -1};
}

struct run *run_new(const struct run_cfg *cfg, struct loop *loop, const struct xfr_sinks *sinks,
		    struct xfr_result *res, const struct run_hooks *hooks, void *ctx)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = *cfg;
	snprintf(r->peer, sizeof(r->peer), "%s", cfg->peer ? cfg->peer : "");
	r->cfg.peer = r->peer;
	if (!r->cfg.interval_ms)
		r->cfg.interval_ms = 1000;
	r->loop = loop;
	r->sinks = sinks;
	r->res = res;
	r->hooks = hooks;
	r->ctx = ctx;
	item_init(&r->done_it);
	item_init(&r->tick_it);
	item_init(&r->end_it);
	item_init(&r->drain_it);
	r->end_s = -1;
	r->prev = calloc(1, sizeof(*r->prev));
	r->cur = calloc(1, sizeof(*r->cur));
	if (!r->prev || !r->cur || (cfg->pair ? run_pair_init(r) : 0) ||
	    (!cfg->pair && !(r->flows = calloc(XFR_MAX_FLOWS, sizeof(*r->flows))))) {
		run_free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void *run_ctx(const struct run *r)
{
	return r->ctx;
}

struct engine *run_engine(const struct run *r)
{
	return r->eng;
}

bool run_started(const struct run *r)
{
	return r->started;
}

/* ---- time ---- */

double run_test_secs(const struct run *r, uint64_t t_ns, bool clamp)
{
	uint64_t paused = r->paused_ns;

	if (clamp && r->drain_start_ns && t_ns > r->drain_start_ns)
		t_ns = r->drain_start_ns;
	if (r->pause_start_ns && t_ns > r->pause_start_ns)
		paused += t_ns - r->pause_start_ns;
	if (t_ns <= r->start_ns + paused)
		return 0;
	return (double)(t_ns - r->start_ns - paused) / 1e9;
}

double run_secs(const struct run *r)
{
	return run_test_secs(r, r->finished ? r->cur->t_ns : time_mono_ns(), true);
}

/* ---- sampling ---- */

static void swap(struct run *r)
{
	struct engine_sample *tmp = r->prev;

	r->prev = r->cur;
	r->cur = tmp;
}

/* Hand this side's interval on (prev -> cur, sampled by the caller), then swap. */
static void tick(struct run *r, bool last)
{
	struct run_tick t = {.k = ++r->ticks, .last = last};

	t.start_s = run_test_secs(r, r->prev->t_ns, false);
	t.end_s = run_test_secs(r, r->cur->t_ns, false);
	t.span_s = (double)(r->cur->t_ns - r->prev->t_ns) / 1e9;
	t.elapsed_ms = (uint64_t)(run_test_secs(r, r->cur->t_ns, true) * 1000);
	t.test_span_s =
		run_test_secs(r, r->cur->t_ns, true) - run_test_secs(r, r->prev->t_ns, true);
	t.cur = r->cur;
	if (r->slots) {
		run_pair_local(r, t.k, t.start_s, t.end_s);
	} else {
		t.nflows = 0;
		stats_side_delta(r->prev, r->cur, r->flows, &t.nflows);
		t.flows = r->flows;
	}
	if (r->hooks->tick)
		r->hooks->tick(r, &t);
	if (r->halted)
		return; /* the role gave up on the test inside its hook */
	if (r->slots) {
		run_pair_emit(r, false);
	} else {
		struct xfr_interval iv = {.start_s = t.start_s,
					  .end_s = t.end_s,
					  .nflows = t.nflows,
					  .flows = r->flows};

		run_emit_interval(r, &iv, t.k);
	}
	swap(r);
}

/*
 * The next interval would end within half an interval of the planned length:
 * run_finish takes it with the rest, or a sliver of a row would follow it.
 * By interval number, not by the clock, so both ends decide alike.
 */
static bool last_is_near(const struct run *r)
{
	uint64_t len = r->cfg.length_ms ? r->cfg.length_ms : r->cfg.duration_ms;
	uint64_t iv = r->cfg.interval_ms;

	return len && 2 * (r->ticks + 1) * iv + iv > 2 * len;
}

static void on_tick(struct loop_item *it, uint32_t events)
{
	struct run *r = it->ctx;

	(void)events;
	if (!timerfd_take(it->fd) || r->pause_start_ns || r->drain_start_ns || r->finished ||
	    last_is_near(r))
		return;
	r->eng->ops->sample(r->eng, r->cur);
	tick(r, false);
}

static void on_deadline(struct loop_item *it, uint32_t events)
{
	struct run *r = it->ctx;

	(void)events;
	if (!timerfd_take(it->fd) || r->finished)
		return;
	loop_close(r->loop, it);
	if (r->hooks->deadline)
		r->hooks->deadline(r);
}

static void on_drained(struct loop_item *it, uint32_t events)
{
	struct run *r = it->ctx;

	(void)events;
	if (!timerfd_take(it->fd))
		return;
	loop_close(r->loop, it);
	if (r->hooks->drained)
		r->hooks->drained(r);
}

/* A timerfd on the loop, armed for first_ms then every every_ms. */
static int add_timer(struct run *r, struct loop_item *it, loop_cb cb, uint64_t first_ms,
		     uint64_t every_ms)
{
	int fd = timerfd_open(), err;

	if (fd < 0)
		return fd;
	err = loop_add(r->loop, it, fd, EPOLLIN, cb, r);
	if (!err)
		err = timerfd_arm_ms(fd, first_ms, every_ms);
	if (err) {
		loop_del(r->loop, it);
		close(fd);
		it->fd = -1;
	}
	return err;
}

/* ---- set-up ---- */

/* Milliseconds from now to the deadline, counted from the reference's ack or our start (at least 1: a timerfd of 0 is disarmed). */
static uint32_t first_deadline_ms(const struct run *r)
{
	uint64_t now = time_mono_ns(), from = r->cfg.deadline_from_ns ?: r->start_ns;
	uint64_t gone = from && now > from ? (now - from) / NSEC_PER_MSEC : 0;

	return gone < r->cfg.duration_ms ? r->cfg.duration_ms - (uint32_t)gone : 1;
}

int run_start(struct run *r, int *fds, char *why, size_t whylen)
{
	uint64_t t0;
	int err = 0;

	if (r->prep) {
		snprintf(why, whylen, "the engine is still being prepared");
		return -EBUSY;
	}
	if (!r->prepared)
		err = run_prepare(r, fds, false, why, whylen);
	t0 = time_mono_ns();
	if (!err && (err = r->eng->ops->start(r->eng)))
		snprintf(why, whylen, "%s", engine_last_error(r->eng) ?: strerror(-err));
	/*
	 * The clock starts when the flows did, and the deadline counts from
	 * there: once they run, this thread competes with them for the CPU (-P 128
	 * on 2 cores kept it off for 270 ms), and a clock started after that let
	 * the flows run that much longer than -t, reported over -t.
	 */
	r->start_ns = r->eng->started_ns ? r->eng->started_ns : t0;
	if (!err &&
	    (err = add_timer(r, &r->tick_it, on_tick, r->cfg.interval_ms, r->cfg.interval_ms)))
		snprintf(why, whylen, "cannot arm the interval timer: %s", strerror(-err));
	if (!err && r->cfg.duration_ms &&
	    (err = add_timer(r, &r->end_it, on_deadline, first_deadline_ms(r), 0)))
		snprintf(why, whylen, "cannot arm the test timer: %s", strerror(-err));
	if (err)
		return err;
	r->started = true;
	r->res->start_wall_us = time_real_us();
	/* The first row counts from zero: what the engine moved before the clock started too. */
	r->prev->t_ns = r->start_ns;
	r->prev->nflows = 0;
	run_emit(r, XFR_EV_TEST_START, NULL, NULL);
	return 0;
}

/* ---- while it runs ---- */

bool run_paused(const struct run *r)
{
	return r->pause_start_ns != 0;
}

void run_pause(struct run *r)
{
	if (!r->started || r->finished || r->pause_start_ns)
		return;
	r->eng->ops->pause(r->eng);
	r->pause_start_ns = time_mono_ns();
	if (r->end_it.added) { /* the deadline waits too */
		r->deadline_left_ms = timerfd_left_ms(r->end_it.fd);
		timerfd_arm_ms(r->end_it.fd, 0, 0);
	}
}

void run_resume(struct run *r)
{
	if (!r->pause_start_ns || r->finished)
		return;
	r->paused_ns += time_mono_ns() - r->pause_start_ns;
	r->pause_start_ns = 0;
	if (r->end_it.added)
		timerfd_arm_ms(r->end_it.fd, r->deadline_left_ms ? r->deadline_left_ms : 1, 0);
	if (!r->drain_start_ns)
		r->eng->ops->resume(r->eng);
}

void run_senders_off(struct run *r)
{
	if (r->eng && !r->finished)
		r->eng->ops->pause(r->eng);
}

void run_senders_stop(struct run *r)
{
	if (r->eng && r->started && !r->finished)
		r->eng->ops->stop(r->eng, true);
}

bool run_draining(const struct run *r)
{
	return r->drain_start_ns != 0;
}

int run_drain(struct run *r, uint32_t ms)
{
	if (r->drain_start_ns || r->finished || !r->eng)
		return -EALREADY;
	loop_close(r->loop, &r->tick_it);
	/* The deadline is not read: left armed it would end the drain at once. */
	loop_close(r->loop, &r->end_it);
	r->drain_start_ns = time_mono_ns();
	r->eng->ops->pause(r->eng); /* bidir: our senders stop on time too */
	return add_timer(r, &r->drain_it, on_drained, ms ? ms : 1, 0);
}

/* ---- the end ---- */

/* Sum of what a last row would show: bytes, and UDP datagrams and gaps. */
static uint64_t counted(const struct engine_sample *a)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < a->nflows; i++)
		n += a->flows[i].bytes + a->flows[i].udp.packets + a->flows[i].udp.lost;
	return n;
}

/*
 * The last row is taken when it has something: counts moved since the last
 * tick, or it is the only row, or the tail is a stall of half an interval or
 * more. Otherwise it would be an empty phantom row (the drain, the wait for
 * the peer's result); the test then ends at the last row.
 */
static bool last_row_wanted(const struct run *r)
{
	uint64_t half = (uint64_t)r->cfg.interval_ms * NSEC_PER_MSEC / 2;

	return !r->ticks || counted(r->prev) != counted(r->cur) ||
	       run_test_secs(r, r->cur->t_ns, true) - run_test_secs(r, r->prev->t_ns, true) >=
		       (double)half / 1e9;
}

void run_finish(struct run *r, bool abortive)
{
	if (r->finished || r->halted)
		return;
	r->finished = true;
	loop_close(r->loop, &r->tick_it);
	loop_close(r->loop, &r->end_it);
	loop_close(r->loop, &r->drain_it);
	if (!r->eng || !r->started) {
		r->cur->t_ns = time_mono_ns(); /* nothing was counted */
		return;
	}
	r->eng->ops->stop(r->eng, abortive);
	r->eng->ops->sample(r->eng, r->cur);
	if (last_row_wanted(r)) {
		tick(r, true);
		if (r->halted)
			return;
		swap(r); /* cur is the last sample again: the totals and run_secs read it */
	} else {
		r->cur->t_ns = r->prev->t_ns; /* the test ends where its last row does */
	}
	if (r->slots) {
		run_pair_flush_carry(r);
		run_pair_emit(r, true);
	}
}

void run_set_end(struct run *r, double secs)
{
	r->end_s = secs;
}

void run_totals(const struct run *r, struct xfr_flow *out, uint32_t *n)
{
	stats_side_total(r->cur, out, n);
}

void run_end(struct run *r, const char *why)
{
	if (r->slots) {
		run_pair_flush_carry(r);
		run_pair_emit(r, true);
	}
	run_emit(r, XFR_EV_TEST_END, NULL, why);
}

void run_halt(struct run *r)
{
	if (!r)
		return;
	r->halted = true;
	run_prep_halt(r);
	/* The engine first: its last flow writes done_fd as it ends, also when stopped. */
	if (r->eng) {
		r->eng->ops->stop(r->eng, true);
		r->eng->ops->destroy(r->eng);
		r->eng = NULL;
	}
	loop_close(r->loop, &r->tick_it);
	loop_close(r->loop, &r->end_it);
	loop_close(r->loop, &r->drain_it);
	loop_close(r->loop, &r->done_it);
}

void run_free(struct run *r)
{
	if (!r)
		return;
	run_halt(r);
	if (run_prep_release(r))
		return; /* the worker is still building: it frees the run when through */
	run_mem_free(r);
}
