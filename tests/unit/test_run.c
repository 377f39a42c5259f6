// SPDX-License-Identifier: MIT
/*
 * The test-run core (dataplane/run.h) over real loopback TCP streams and the
 * socket engine: the two sides of a test as client and server use them, on
 * one event loop, with a sink that records what the run emits.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "base/log.h"
#include "dataplane/run.h"
#include "lib/xt.h"
#include "timeutil.h"

/* ---- a recording sink ---- */

struct rec {
	int ev[5];
	uint32_t rows;	     /* intervals emitted */
	double last_end;     /* end of the latest interval */
	bool ordered;	     /* every interval ended after the one before */
	uint32_t both_sides; /* intervals with the sender's and the receiver's count */
	uint64_t bytes;	     /* delivered bytes over the intervals */
};

static void rec_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	struct rec *r = s->priv;
	const struct xfr_interval *iv = ev->iv;

	r->ev[ev->type]++;
	if (ev->type != XFR_EV_INTERVAL)
		return;
	r->rows++;
	if (iv->end_s < r->last_end)
		r->ordered = false;
	r->last_end = iv->end_s;
	for (uint32_t i = 0; i < iv->nflows; i++) {
		r->bytes += result_flow_bytes(&iv->flows[i]);
		r->both_sides += iv->flows[i].has_sent && iv->flows[i].has_recv;
	}
}

static void rec_free(struct xfr_sink *s)
{
	(void)s;
}

static const struct xfr_sink_ops rec_ops = {.name = "rec", .event = rec_event, .free = rec_free};

/* ---- one side ---- */

struct side {
	struct run *run;
	struct xfr_result res;
	struct rec rec;
	struct xfr_sink sink;
	struct xfr_sinks sinks;
	int ticks, last_ticks, done, deadline, drained;
	int prepared, prep_err, start_err; /* run_prepare_async: the hook's calls and results */
	char prep_why[240];
	uint64_t prepared_ns;
	bool finish_on_done; /* a client with a byte budget ends its senders gracefully */
	uint64_t deadline_ns;
};

static void on_tick(struct run *r, const struct run_tick *t)
{
	struct side *s = run_ctx(r);

	s->ticks++;
	s->last_ticks += t->last;
	assert_true(t->end_s >= t->start_s);
	assert_true(t->span_s > 0);
}

static void on_done(struct run *r)
{
	struct side *s = run_ctx(r);

	s->done++;
	if (s->finish_on_done)
		run_finish(r, false);
}

static void on_deadline(struct run *r)
{
	struct side *s = run_ctx(r);

	s->deadline++;
	s->deadline_ns = time_mono_ns();
}

static void on_drained(struct run *r)
{
	((struct side *)run_ctx(r))->drained++;
}

/* run_prepare_async is through: start as the server does. */
static void on_prepared(struct run *r, int err, const char *why)
{
	struct side *s = run_ctx(r);
	char buf[240];

	s->prepared++;
	s->prepared_ns = time_mono_ns();
	s->prep_err = err;
	snprintf(s->prep_why, sizeof(s->prep_why), "%s", why);
	if (!err)
		s->start_err = run_start(r, NULL, buf, sizeof(buf));
}

static const struct run_hooks hooks = {.tick = on_tick,
				       .done = on_done,
				       .deadline = on_deadline,
				       .drained = on_drained,
				       .prepared = on_prepared};

static struct loop loop;

static void side_new(struct side *s, enum xfr_role role, uint32_t interval_ms, uint32_t duration_ms,
		     uint64_t budget, bool pair)
{
	struct run_cfg rc = {
		.role = role,
		.ep = {.proto = XFR_PROTO_TCP,
		       .streams = 1,
		       .length = 16384,
		       .bitrate = role == XFR_ROLE_CLIENT ? 200000000 : 0,
		       .byte_budget = budget,
		       .zerocopy = XFR_ZC_OFF,
		       .done_fd = -1},
		.dp = {.engine = XFR_ENG_SOCKET},
		.dir = XFR_DIR_UPLOAD,
		.interval_ms = interval_ms,
		.duration_ms = duration_ms,
		.pair = pair,
		.keep_intervals = true,
		.peer = "test",
	};

	memset(s, 0, sizeof(*s));
	s->rec.ordered = true;
	assert_int_equal(result_init(&s->res, 1), 0);
	s->sink = (struct xfr_sink){.ops = &rec_ops, .priv = &s->rec};
	assert_int_equal(sinks_add(&s->sinks, &s->sink), 0);
	s->run = run_new(&rc, &loop, &s->sinks, &s->res, &hooks, s);
	assert_non_null(s->run);
}

static void side_free(struct side *s)
{
	run_free(s->run);
	result_free(&s->res);
}

/* Start a client sender and a server receiver on one stream. */
static void start_pair(struct side *c, struct side *s)
{
	char why[240];
	int a, b;

	assert_int_equal(xt_tcp_pair(&a, &b), 0); /* a: the client's, b: the server's */
	assert_int_equal(run_start(s->run, &b, why, sizeof(why)), 0);
	assert_int_equal(run_start(c->run, &a, why, sizeof(why)), 0);
	assert_int_equal(a, -1); /* the engine's now */
	assert_int_equal(b, -1);
}

/* Run the loop until *flag or ms pass. */
static void spin_until(int *flag, uint32_t ms)
{
	uint64_t end = time_mono_ns() + (uint64_t)ms * NSEC_PER_MSEC;

	while (!*flag && time_mono_ns() < end)
		assert_true(loop_run_once(&loop, 20) >= 0);
}

static void spin_for(uint32_t ms)
{
	int never = 0;

	spin_until(&never, ms);
}

static int setup(void **state)
{
	(void)state;
	log_set_level(XFR_LOG_ERROR);
	return loop_init(&loop);
}

static int teardown(void **state)
{
	(void)state;
	loop_fini(&loop);
	return 0;
}

/* -n: the client's budget ends its flows, the server's flows end at EOF, counts exact. */
static void test_budget_exact(void **state)
{
	struct side c, s;
	struct xfr_flow f[2];
	uint32_t n = 0;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 100, 0, 3 << 20, false);
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	c.finish_on_done = true;
	start_pair(&c, &s);
	assert_int_equal(s.rec.ev[XFR_EV_TEST_START], 1);
	spin_until(&s.done, 10000);
	assert_int_equal(c.done, 1);
	assert_int_equal(s.done, 1);
	run_finish(s.run, false);
	run_totals(s.run, f, &n);
	assert_int_equal(n, 1);
	assert_true(f[0].has_recv);
	assert_int_equal(f[0].recv_bytes, 3 << 20);
	run_end(s.run, "complete");
	assert_int_equal(s.rec.ev[XFR_EV_TEST_END], 1);
	assert_true(s.rec.ordered);
	/* every byte is in exactly one interval (the last partial one when it is long
	 * enough; a short tail is in the totals only) */
	assert_true(s.rec.bytes <= 3 << 20);
	assert_int_equal(s.res.nintervals, s.rec.rows);
	side_free(&c);
	side_free(&s);
}

/* Paused time is not test time: the deadline waits, no interval is sampled meanwhile. */
static void test_pause_deadline(void **state)
{
	struct side c, s;
	uint64_t t0;
	int ticks;
	double secs;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 50, 0, 0, false);
	side_new(&s, XFR_ROLE_SERVER, 50, 300, 0, false);
	start_pair(&c, &s);
	t0 = time_mono_ns();
	spin_for(100);
	run_pause(s.run);
	assert_true(run_paused(s.run));
	ticks = s.ticks;
	spin_for(400);
	assert_int_equal(s.ticks, ticks); /* nothing sampled while paused */
	assert_int_equal(s.deadline, 0);
	run_resume(s.run);
	spin_until(&s.deadline, 5000);
	assert_int_equal(s.deadline, 1);
	/* 300 ms of test time, 400 ms of it paused: not before 650 ms of wall time */
	assert_true(s.deadline_ns - t0 >= 650 * NSEC_PER_MSEC);
	run_finish(s.run, true);
	secs = run_secs(s.run);
	assert_true(secs >= 0.29 && secs < 0.6);
	run_finish(c.run, true);
	side_free(&c);
	side_free(&s);
}

/* The drain: senders off, no ticks, test time stops at its start; then drained. */
static void test_drain(void **state)
{
	struct side c, s;
	uint64_t t0;
	double secs;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 50, 0, 0, false);
	side_new(&s, XFR_ROLE_SERVER, 50, 0, 0, false);
	start_pair(&c, &s);
	spin_for(200);
	assert_int_equal(run_drain(s.run, 150), 0);
	assert_true(run_draining(s.run));
	assert_int_equal(run_drain(s.run, 150), -EALREADY);
	t0 = time_mono_ns();
	int ticks = s.ticks;

	spin_until(&s.drained, 5000);
	assert_int_equal(s.drained, 1);
	assert_true(time_mono_ns() - t0 >= 140 * NSEC_PER_MSEC);
	assert_int_equal(s.ticks, ticks);
	run_finish(s.run, true);
	secs = run_secs(s.run);
	assert_true(secs >= 0.19 && secs < 0.35); /* the drain is not test time */
	run_finish(c.run, true);
	side_free(&c);
	side_free(&s);
}

/*
 * The kept rows tile 0..run_secs (each starts where the one before ended) and
 * their bytes add up to the run's totals exactly (issue 16, item 8).
 */
static void assert_rows_add_up(struct side *s)
{
	struct xfr_flow tot[XFR_MAX_FLOWS];
	uint64_t rows = 0, want = 0;
	uint32_t n = 0;
	double end = 0;

	for (uint32_t i = 0; i < s->res.nintervals; i++) {
		const struct xfr_interval *iv = &s->res.intervals[i];

		assert_true(fabs(iv->start_s - end) < 1e-9);
		assert_true(iv->end_s >= iv->start_s);
		end = iv->end_s;
		for (uint32_t j = 0; j < iv->nflows; j++)
			rows += result_flow_bytes(&iv->flows[j]);
	}
	assert_true(fabs(end - run_secs(s->run)) < 1e-9);
	run_totals(s->run, tot, &n);
	for (uint32_t j = 0; j < n; j++)
		want += result_flow_bytes(&tot[j]);
	assert_true(want > 0);
	assert_int_equal(rows, want);
}

/* The last partial interval is emitted whatever its length, and rows add up. */
static void test_last_interval(void **state)
{
	struct side c, s;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 400, 0, 0, false);
	side_new(&s, XFR_ROLE_SERVER, 400, 0, 0, false);
	start_pair(&c, &s);
	spin_for(700); /* one tick at 400 ms, 300 ms more */
	run_finish(s.run, true);
	assert_int_equal(s.ticks, 2);
	assert_int_equal(s.last_ticks, 1);
	run_finish(s.run, true); /* idempotent */
	assert_int_equal(s.ticks, 2);
	assert_rows_add_up(&s);
	run_finish(c.run, true);
	assert_rows_add_up(&c);
	side_free(&c);
	side_free(&s);

	/* one tick, then 50 ms: a short last row still (iperf3 prints it too) */
	side_new(&c, XFR_ROLE_CLIENT, 400, 0, 0, false);
	side_new(&s, XFR_ROLE_SERVER, 400, 0, 0, false);
	start_pair(&c, &s);
	spin_for(450);
	run_finish(c.run, true);
	spin_for(30); /* the receiver counts the last bytes in flight */
	run_finish(s.run, true);
	assert_int_equal(s.ticks, 2);
	assert_int_equal(s.last_ticks, 1);
	assert_rows_add_up(&s);
	assert_rows_add_up(&c);
	side_free(&c);
	side_free(&s);

	/* shorter than one interval: one row */
	side_new(&c, XFR_ROLE_CLIENT, 400, 0, 0, false);
	side_new(&s, XFR_ROLE_SERVER, 400, 0, 0, false);
	start_pair(&c, &s);
	spin_for(100);
	run_finish(c.run, true);
	spin_for(30);
	run_finish(s.run, true);
	assert_int_equal(s.ticks, 1);
	assert_int_equal(s.res.nintervals, 1);
	assert_rows_add_up(&s);
	side_free(&c);
	side_free(&s);
}

/* Nothing moved after the last tick: no empty phantom row after the end. */
static void test_no_phantom_row(void **state)
{
	struct side c, s;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 400, 0, 0, false);
	side_new(&s, XFR_ROLE_SERVER, 400, 0, 0, false);
	start_pair(&c, &s);
	spin_for(100);
	run_finish(c.run, true); /* the sender stops; the receiver's tick at 400 ms takes it all */
	spin_for(350);		 /* then 50 ms of nothing: shorter than half an interval */
	run_finish(s.run, true);
	assert_int_equal(s.ticks, 1);
	assert_int_equal(s.last_ticks, 0);
	assert_rows_add_up(&s);
	side_free(&c);
	side_free(&s);
}

/*
 * A planned length (-t): the interval that would end within half an interval
 * of it is not sampled alone; the last row runs to the end. 900 ms at 400:
 * rows 0-400, 400-900 (not 400-800 and a 100 ms sliver).
 */
static void test_planned_length(void **state)
{
	struct side c, s;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 400, 0, 0, false);
	side_new(&s, XFR_ROLE_SERVER, 400, 900, 0, false);
	start_pair(&c, &s);
	spin_until(&s.deadline, 2000);
	assert_int_equal(s.deadline, 1);
	assert_int_equal(s.ticks, 1);
	run_finish(s.run, true);
	assert_int_equal(s.ticks, 2);
	assert_int_equal(s.res.nintervals, 2);
	assert_true(s.res.intervals[1].end_s - s.res.intervals[1].start_s > 0.45);
	assert_rows_add_up(&s);
	run_finish(c.run, true);
	side_free(&c);
	side_free(&s);
}

/* The peer's half: a receiver count that our side (the sender) does not have. */
static void fill_peer(void *arg, struct xfr_flow *flows, uint32_t *n)
{
	struct xfr_flow *f = NULL;

	for (uint32_t i = 0; i < *n; i++)
		if (flows[i].stream == 0 && flows[i].dir == XFR_FLOW_UP)
			f = &flows[i];
	if (!f) {
		f = &flows[(*n)++];
		memset(f, 0, sizeof(*f));
	}
	f->has_recv = true;
	f->recv_bytes = *(uint64_t *)arg;
}

/* Pairing: each interval is emitted once both halves are in, in order; a late peer
 * half does not hold the rows back for more than an interval. */
static void test_pairing(void **state)
{
	struct side c, s;
	uint64_t bytes = 1000;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 100, 0, 0, true);
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	start_pair(&c, &s);
	while (c.ticks < 1)
		spin_for(10);
	assert_int_equal(c.rec.rows, 0); /* waits for the peer's half */
	run_peer_interval(c.run, 100, fill_peer, &bytes);
	assert_int_equal(c.rec.rows, 1);
	assert_int_equal(c.rec.both_sides, 1);
	while (c.ticks < 3)
		spin_for(10);
	assert_int_equal(c.rec.rows, 2);		  /* 3 is in: 2 goes out without the peer */
	run_peer_interval(c.run, 200, fill_peer, &bytes); /* out already: ignored */
	assert_int_equal(c.rec.rows, 2);
	run_peer_interval(c.run, 300, fill_peer, &bytes);
	assert_int_equal(c.rec.rows, 3);
	/* a peer running ahead of our clock (a hostile server flooding intervals): ignored */
	for (uint64_t ms = 100000; ms < 100000 + 1000 * 100; ms += 100)
		run_peer_interval(c.run, ms, fill_peer, &bytes);
	assert_int_equal(c.rec.rows, 3);
	assert_int_equal(c.rec.ev[XFR_EV_NOTICE], 1); /* said once */
	assert_int_equal(c.rec.both_sides, 2);	      /* 1 and 3 paired; 2 went out alone */
	run_finish(c.run, true);
	run_end(c.run, "complete");
	assert_true(c.rec.ordered);
	assert_int_equal(c.res.nintervals, c.rec.rows);
	run_finish(s.run, true);
	side_free(&c);
	side_free(&s);
}

/*
 * Paired rows take the peer's times (the summary's duration is the peer's):
 * each row ends at the peer's elapsed_ms, the next starts there, and the last
 * ends at run_set_end.
 */
static void test_pairing_tiles(void **state)
{
	struct side c, s;
	uint64_t bytes = 1000;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 100, 0, 0, true);
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	start_pair(&c, &s);
	while (c.ticks < 1)
		spin_for(10);
	run_peer_interval(c.run, 103, fill_peer, &bytes);
	assert_int_equal(c.res.nintervals, 1);
	assert_true(fabs(c.res.intervals[0].end_s - 0.103) < 1e-9);
	run_set_end(c.run, 0.25);
	run_finish(c.run, true);
	run_end(c.run, "complete");
	assert_int_equal(c.res.nintervals, 2);
	assert_true(fabs(c.res.intervals[1].start_s - 0.103) < 1e-9);
	assert_true(fabs(c.res.intervals[1].end_s - 0.25) < 1e-9);
	run_finish(s.run, true);
	side_free(&c);
	side_free(&s);
}

/*
 * A reference server (issue 15): its first interval has elapsed_ms 0 and is
 * no row (its counts go into row 1); it sends no interval for its last
 * stretch, so run_peer_last gives the last row the result's totals less
 * what the intervals said. The rows add up to the peer's total.
 */
static void test_pairing_reference(void **state)
{
	struct side c, s;
	uint64_t bytes = 7, total = 7 + 1000 + 400;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 100, 0, 0, true);
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	start_pair(&c, &s);
	run_peer_interval(c.run, 0, fill_peer, &bytes); /* the immediate tick */
	assert_int_equal(c.rec.rows, 0);
	while (c.ticks < 1)
		spin_for(10);
	bytes = 1000;
	run_peer_interval(c.run, 100, fill_peer, &bytes);
	assert_int_equal(c.res.nintervals, 1);
	assert_true(fabs(c.res.intervals[0].end_s - 0.1) < 1e-9);
	assert_int_equal(result_flow_bytes(&c.res.intervals[0].flows[0]), 1007);
	run_peer_last(c.run, 250, fill_peer, &total);
	run_set_end(c.run, 0.25);
	run_finish(c.run, true);
	run_end(c.run, "complete");
	assert_int_equal(c.res.nintervals, 2);
	assert_true(fabs(c.res.intervals[1].start_s - 0.1) < 1e-9);
	assert_true(fabs(c.res.intervals[1].end_s - 0.25) < 1e-9);
	assert_int_equal(result_flow_bytes(&c.res.intervals[1].flows[0]), 400);
	assert_int_equal(c.rec.bytes, total);
	run_finish(s.run, true);
	side_free(&c);
	side_free(&s);
}

/*
 * ---- run_prepare_async ----
 *
 * The build is slowed down (or failed) here, as loading BPF programs and
 * resolving the next hop would: this binary links with
 * -Wl,--wrap=dataplane_engine (Makefile), so the run core calls this.
 */
struct engine *__real_dataplane_engine(struct dataplane *dp, struct engine_params *p, char *why,
				       size_t whylen);
struct engine *__wrap_dataplane_engine(struct dataplane *dp, struct engine_params *p, char *why,
				       size_t whylen);

/* set by the test, read by the build worker: atomic on both sides */
static unsigned int build_ms; /* the next builds take this long */
static bool build_fail;	      /* ... and then fail */
static int builds;	      /* atomic: builds through */

struct engine *__wrap_dataplane_engine(struct dataplane *dp, struct engine_params *p, char *why,
				       size_t whylen)
{
	struct engine *e = NULL;

	xt_msleep(__atomic_load_n(&build_ms, __ATOMIC_SEQ_CST));
	if (__atomic_load_n(&build_fail, __ATOMIC_SEQ_CST)) {
		snprintf(why, whylen, "simulated: cannot load");
		errno = EIO;
	} else {
		e = __real_dataplane_engine(dp, p, why, whylen);
	}
	__atomic_add_fetch(&builds, 1, __ATOMIC_SEQ_CST);
	return e;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Poll (<= 2 s) until this process holds n fds again: what a worker built is gone. */
static void fds_back_to(int n)
{
	for (int i = 0; i < 200 && open_fds() != n; i++)
		xt_msleep(10);
	assert_int_equal(open_fds(), n);
}

/* Another client on the same loop: a socketpair whose line is answered at once. */
struct echo {
	struct loop_item it;
	int peer;
	int answered;
	uint64_t answered_ns;
};

static void on_echo(struct loop_item *it, uint32_t events)
{
	struct echo *e = it->ctx;
	char buf[64];
	ssize_t n = read(it->fd, buf, sizeof(buf));

	(void)events;
	if (n > 0 && write(it->fd, buf, (size_t)n) == n) {
		e->answered++;
		e->answered_ns = time_mono_ns();
	}
}

/*
 * Issue 9: the server built each test's engine on its loop, so another
 * client's hello waited for BPF loads (12-45 ms) or a next hop (up to 2 s).
 * With run_prepare_async a 400 ms build leaves the loop free: the other
 * client is answered within milliseconds, the hook comes after the build,
 * and the test then runs and counts exactly.
 */
static void test_prepare_async_loop_free(void **state)
{
	struct side c, s;
	struct echo e = {0};
	struct xfr_flow f[2];
	uint32_t n = 0;
	char why[240];
	int a, b, sp[2];
	uint64_t t0;

	(void)state;
	side_new(&c, XFR_ROLE_CLIENT, 100, 0, 1 << 20, false);
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	c.finish_on_done = true;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(loop_add(&loop, &e.it, sp[1], EPOLLIN, on_echo, &e), 0);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	__atomic_store_n(&build_ms, 400, __ATOMIC_SEQ_CST);
	t0 = time_mono_ns();
	assert_int_equal(run_prepare_async(s.run, &b, false), 0);
	assert_int_equal(b, -1); /* the worker's now */
	assert_true(run_preparing(s.run));
	assert_int_equal(run_start(s.run, NULL, why, sizeof(why)), -EBUSY);
	assert_int_equal(write(sp[0], "hello\n", 6), 6);
	spin_until(&e.answered, 1000);
	assert_int_equal(e.answered, 1);
	print_message("answered after %.1f ms while the engine was built\n",
		      (double)(e.answered_ns - t0) / 1e6);
	assert_true(e.answered_ns - t0 < 100 * NSEC_PER_MSEC);
	assert_int_equal(s.prepared, 0);
	spin_until(&s.prepared, 3000);
	__atomic_store_n(&build_ms, 0, __ATOMIC_SEQ_CST);
	assert_int_equal(s.prepared, 1);
	assert_int_equal(s.prep_err, 0);
	assert_int_equal(s.start_err, 0);
	assert_false(run_preparing(s.run));
	assert_true(s.prepared_ns - t0 >= 400 * NSEC_PER_MSEC);
	assert_int_equal(s.rec.ev[XFR_EV_TEST_START], 1);
	assert_int_equal(run_start(c.run, &a, why, sizeof(why)), 0);
	spin_until(&s.done, 10000);
	run_finish(s.run, false);
	run_totals(s.run, f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].recv_bytes, 1 << 20);
	loop_close(&loop, &e.it);
	close(sp[0]);
	side_free(&c);
	side_free(&s);
}

/* The test closes while its engine is being built: the loop never waits, the worker
 * frees the run when through, nothing stays open (ASan/LSan see the memory). */
static void test_prepare_async_free_while_building(void **state)
{
	struct side s;
	int base = open_fds(), a, b, before;
	uint64_t t0;

	(void)state;
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	before = __atomic_load_n(&builds, __ATOMIC_SEQ_CST);
	__atomic_store_n(&build_ms, 300, __ATOMIC_SEQ_CST);
	assert_int_equal(run_prepare_async(s.run, &b, false), 0);
	t0 = time_mono_ns();
	side_free(&s); /* run_free: orphaned */
	assert_true(time_mono_ns() - t0 < 50 * NSEC_PER_MSEC);
	close(a);
	for (int i = 0; i < 200 && __atomic_load_n(&builds, __ATOMIC_SEQ_CST) == before; i++)
		xt_msleep(10);
	__atomic_store_n(&build_ms, 0, __ATOMIC_SEQ_CST);
	fds_back_to(base);
	assert_int_equal(s.prepared, 0);
}

/* Halted while building, freed after: the hook never runs, free joins the worker. */
static void test_prepare_async_halt(void **state)
{
	struct side s;
	int base = open_fds(), a, b;

	(void)state;
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	__atomic_store_n(&build_ms, 150, __ATOMIC_SEQ_CST);
	assert_int_equal(run_prepare_async(s.run, &b, true), 0); /* dup: b stays ours */
	assert_true(b >= 0);
	run_halt(s.run);
	spin_for(400);
	__atomic_store_n(&build_ms, 0, __ATOMIC_SEQ_CST);
	assert_int_equal(s.prepared, 0);
	side_free(&s);
	close(a);
	close(b);
	fds_back_to(base);

	/* finished (a cancel) while building: no hook either, the engine goes with the run */
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	__atomic_store_n(&build_ms, 150, __ATOMIC_SEQ_CST);
	assert_int_equal(run_prepare_async(s.run, &b, false), 0);
	run_finish(s.run, true);
	spin_for(400);
	__atomic_store_n(&build_ms, 0, __ATOMIC_SEQ_CST);
	assert_int_equal(s.prepared, 0);
	assert_false(run_preparing(s.run));
	side_free(&s);
	close(a);
	fds_back_to(base);
}

/* A build that fails: the hook says why, the sockets were the worker's and are closed. */
static void test_prepare_async_fails(void **state)
{
	struct side s;
	int base = open_fds(), a, b;

	(void)state;
	side_new(&s, XFR_ROLE_SERVER, 100, 0, 0, false);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	__atomic_store_n(&build_fail, true, __ATOMIC_SEQ_CST);
	assert_int_equal(run_prepare_async(s.run, &b, false), 0);
	spin_until(&s.prepared, 2000);
	__atomic_store_n(&build_fail, false, __ATOMIC_SEQ_CST);
	assert_int_equal(s.prepared, 1);
	assert_int_equal(s.prep_err, -EIO);
	assert_string_equal(s.prep_why, "simulated: cannot load");
	side_free(&s);
	close(a);
	fds_back_to(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_exact),
		cmocka_unit_test(test_pause_deadline),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_last_interval),
		cmocka_unit_test(test_no_phantom_row),
		cmocka_unit_test(test_planned_length),
		cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_pairing_tiles),
		cmocka_unit_test(test_pairing_reference),
		cmocka_unit_test(test_prepare_async_loop_free),
		cmocka_unit_test(test_prepare_async_free_while_building),
		cmocka_unit_test(test_prepare_async_halt),
		cmocka_unit_test(test_prepare_async_fails),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
