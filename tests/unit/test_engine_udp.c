// SPDX-License-Identifier: MIT
/*
 * UDP socket engine tests without root: a sender engine and a receiver engine
 * on connected loopback UDP sockets. White-box where the engine interface has
 * no field for it (GSO/GRO use, thread affinity): engine_sock_priv.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/pacing.h"
#include "engine/sock/engine_sock_priv.h"
#include "lib/xt.h"
#include "timeutil.h"
#include "wire.h"

static struct engine_sample sa, sb;

static struct engine_params uparams(uint32_t streams, uint64_t rate, int done_fd)
{
	struct engine_params p = {
		.proto = XFR_PROTO_UDP, .streams = streams, .bitrate = rate, .done_fd = done_fd};
	return p;
}

static struct engine *eng(const struct engine_params *p)
{
	struct engine *e = engine_new(&engine_sock_ops);

	assert_non_null(e);
	assert_int_equal(e->ops->init(e, p), 0);
	return e;
}

static struct sock_eng *priv(struct engine *e)
{
	return e->priv;
}

struct sums {
	uint64_t bytes, packets, lost, drops, malformed;
};

static struct sums sum(struct engine *e, struct engine_sample *s)
{
	struct sums t = {0};
	uint32_t i;

	assert_int_equal(e->ops->sample(e, s), 0);
	for (i = 0; i < s->nflows; i++) {
		assert_true(s->flows[i].is_udp);
		t.bytes += s->flows[i].bytes;
		t.packets += s->flows[i].udp.packets;
		t.lost += s->flows[i].udp.lost;
		t.drops += s->flows[i].udp.rcvbuf_drops;
		t.malformed += s->flows[i].udp.malformed;
	}
	return t;
}

/* Wait (<= 3 s) until the receiver has accounted for every datagram sent:
 * received or dropped. A loaded machine may hold some in the loopback backlog. */
static struct sums settle(struct engine *r, uint64_t sent, bool gro)
{
	struct sums t = sum(r, &sb);
	int i;

	for (i = 0; i < 60 && !gro && t.packets + t.drops < sent; i++) {
		xt_msleep(50);
		t = sum(r, &sb);
	}
	return t;
}

/* Stop the sender, let the last datagrams land, stop the receiver. */
static void stop_both(struct engine *s, struct engine *r)
{
	assert_int_equal(s->ops->stop(s, false), 0);
	xt_msleep(50);
	assert_int_equal(r->ops->stop(r, false), 0);
}

static void destroy_both(struct engine *s, struct engine *r)
{
	s->ops->destroy(s);
	r->ops->destroy(r);
}

/* A modest paced rate: nothing drops, so both ends agree exactly. */
static void counts_match(bool no_offload)
{
	struct engine_params ps = uparams(2, 40000000, -1), pr = uparams(2, 0, -1);
	struct engine *s, *r;
	struct sums ts, tr;

	ps.udp_no_offload = pr.udp_no_offload = no_offload;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 2, xt_udp_pair, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(400);
	assert_int_equal(s->ops->stop(s, false), 0);
	ts = sum(s, &sa);
	settle(r, ts.packets, false);
	assert_int_equal(r->ops->stop(r, false), 0);
	tr = sum(r, &sb);
	assert_true(ts.packets > 500); /* 40 Mbit/s of 1400 B for 0.4 s: ~1400 */
	/* nothing drops on an idle machine; a starved receiver's socket may */
	assert_int_equal(tr.packets + tr.drops, ts.packets);
	assert_int_equal(tr.bytes, tr.packets * XFR_DEFAULT_UDP_LEN);
	assert_int_equal(ts.bytes, ts.packets * XFR_DEFAULT_UDP_LEN);
	assert_true(tr.lost <= tr.drops);
	assert_int_equal(sb.flows[0].udp.next_seq, sa.flows[0].udp.packets);
	/* 40 Mbit/s per 2 flows: 1785 pps each, batches of 1 -> no GSO; see test_gso */
	destroy_both(s, r);
}

static void test_counts_offload(void **state)
{
	(void)state;
	counts_match(false);
}

static void test_counts_no_offload(void **state)
{
	(void)state;
	counts_match(true);
}

/* GSO at 400 Mbit/s (batches of 35): used unless disabled, and everything arrives. */
static void gso_check(bool no_offload)
{
	struct engine_params ps = uparams(1, 400000000, -1), pr = uparams(1, 0, -1);
	struct engine *s, *r;
	struct sums ts, tr;

	ps.udp_no_offload = pr.udp_no_offload = no_offload;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 1, xt_udp_pair, 4 << 20), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(300);
	assert_int_equal(s->ops->stop(s, false), 0);
	ts = sum(s, &sa);
	settle(r, ts.packets, !no_offload);
	xt_msleep(50);
	assert_int_equal(r->ops->stop(r, false), 0);
	tr = sum(r, &sb);
	assert_true(ts.packets > 5000); /* 35714 pps for 0.3 s */
	/* every datagram arrived unless the socket overflowed (starved receiver) */
	assert_int_equal(tr.lost + (ts.packets - sb.flows[0].udp.next_seq),
			 ts.packets - tr.packets);
	if (!tr.drops)
		assert_int_equal(tr.packets, ts.packets);
	if (no_offload) {
		assert_int_equal(priv(s)->flows[0].udp.gso_sends, 0);
		assert_int_equal(priv(r)->flows[0].udp.gro_reads, 0);
	} else {
		assert_true(priv(s)->flows[0].udp.gso_sends > 0);
		assert_true(priv(r)->flows[0].udp.gro_reads > 0);
	}
	destroy_both(s, r);
}

static void test_gso(void **state)
{
	(void)state;
	gso_check(false);
}

static void test_no_gso(void **state)
{
	(void)state;
	gso_check(true);
}

static void budget_check(uint32_t n, uint64_t budget, uint64_t expect_bytes, uint64_t packets)
{
	int done = eventfd(0, EFD_CLOEXEC);
	struct engine_params ps = uparams(n, 30000000, done), pr = uparams(n, 0, -1);
	struct engine *s, *r;
	struct sums ts, tr;

	ps.byte_budget = budget;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, n, xt_udp_pair, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	assert_int_equal(xt_wait_fd(done, 5000), 1);
	xt_msleep(50);
	stop_both(s, r);
	ts = sum(s, &sa);
	tr = sum(r, &sb);
	assert_int_equal(ts.bytes, expect_bytes);
	assert_int_equal(tr.bytes, expect_bytes);
	assert_int_equal(ts.packets, packets);
	assert_int_equal(tr.packets, packets);
	destroy_both(s, r);
	close(done);
}

/* 300.5 datagrams across 3 streams: exact, the last one 700 bytes. */
static void test_budget_three_streams(void **state)
{
	(void)state;
	budget_check(3, 1400 * 300 + 700, 1400 * 300 + 700, 301);
}

/* A 5-byte remainder goes out as a 16-byte datagram: 11 bytes over, documented. */
static void test_budget_short_tail(void **state)
{
	(void)state;
	budget_check(1, 1400 * 10 + 5, 1400 * 10 + 16, 11);
}

/* 100 Mbit/s for 1 s into a sink nobody reads: within 5 %. */
static void test_pacing_100m(void **state)
{
	struct engine_params p = uparams(1, 100000000, -1);
	struct engine *s;
	uint64_t b0, b1, t0, t1;
	double rate;
	int a, b;

	(void)state;
	s = eng(&p);
	assert_int_equal(xt_udp_pair(&a, &b), 0);
	assert_int_equal(s->ops->add_stream(s, 0, a, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(200); /* past the initial bucket */
	b0 = sum(s, &sa).bytes;
	t0 = sa.t_ns;
	xt_msleep(1000);
	b1 = sum(s, &sa).bytes;
	t1 = sa.t_ns;
	rate = (double)(b1 - b0) * 8 * 1e9 / (double)(t1 - t0);
	print_message("paced 100 Mbit/s: %.2f Mbit/s, batch %u\n", rate / 1e6,
		      priv(s)->flows[0].batch);
	assert_true(rate > 95e6 && rate < 105e6);
	assert_int_equal(priv(s)->flows[0].batch, 8); /* 8928 pps: ~1 ms per batch */
	assert_int_equal(s->ops->stop(s, true), 0);
	s->ops->destroy(s);
	close(b);
}

/*
 * The pacer starts with about 1 ms of credit (or one datagram), not its 20 ms
 * bucket: a full bucket went out as one burst at the start and overflowed the
 * receiver's buffer (81 of 1064 datagrams lost in the first 0.1 s at 100M).
 */
static void test_pacing_start_credit(void **state)
{
	struct engine_params p = uparams(1, 100000000, -1);
	uint64_t now = time_mono_ns(), burst = pacing_burst(100000000, 8 * 1400);
	struct pacing pc;
	struct engine *s;
	int a, b;

	(void)state;
	/* pure: 1 ms of the rate, one unit when larger, never more than the bucket */
	assert_int_equal(pacing_start_credit(100000000, burst, 1400), 12500);
	assert_int_equal(pacing_start_credit(1000000, 5000, 1400), 1400);
	assert_int_equal(pacing_start_credit(62, 65507, 65507), 65507);
	assert_int_equal(pacing_start_credit(1000000, 1000, 1400), 1000);
	pacing_init(&pc, 62, 65507, 300 * NSEC_PER_SEC); /* 5 min after boot, 62 bit/s */
	pacing_start_small(&pc, 65507, 300 * NSEC_PER_SEC);
	assert_int_equal(pacing_delay_ns(&pc, 65507, 300 * NSEC_PER_SEC), 0); /* at once */
	pacing_init(&pc, 100000000, burst, now);
	pacing_start_small(&pc, 1400, now);
	assert_int_equal(pacing_credit(&pc, now), 12500);
	pacing_sent(&pc, 12500);
	assert_true(pacing_delay_ns(&pc, 1400, now) > 0);
	/* the bucket still fills to its burst while the flow runs, and a reset gives 1 ms again */
	assert_int_equal(pacing_credit(&pc, now + NSEC_PER_SEC), burst);
	pacing_reset(&pc, now + NSEC_PER_SEC);
	assert_int_equal(pacing_credit(&pc, now + NSEC_PER_SEC), 12500);
	/* the engine's flow (read after stop: the flow thread sets it up) */
	s = eng(&p);
	assert_int_equal(xt_udp_pair(&a, &b), 0);
	assert_int_equal(s->ops->add_stream(s, 0, a, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(20);
	assert_int_equal(s->ops->stop(s, true), 0);
	assert_int_equal(priv(s)->flows[0].pace.start, 12500);
	assert_int_equal(priv(s)->flows[0].pace.burst, burst);
	s->ops->destroy(s);
	close(b);
}

/*
 * A tiny receive buffer flooded at full speed (GSO sender): the kernel's drops
 * are reported. Without GRO the kernel splits each GSO buffer before queueing
 * and counts drops per datagram: every datagram is received or dropped, and
 * the drops are the sequence gaps plus the tail after the last one received.
 * With GRO a dropped buffer holds up to 46 datagrams and the kernel counts it
 * once; the engine counts its datagrams (the hole before the next buffer), so
 * the drops are the loss within 2 % (the buffers dropped after the last
 * arrival count the mean of the measured ones). They were 2 892 for 131 322
 * lost before; a CI run with little loss had a tail of 322 in 9 844.
 */
static void rcvbuf_check(bool gro)
{
	struct engine_params ps = uparams(1, 0, -1), pr = uparams(1, 0, -1);
	struct engine *s, *r;
	struct sums ts, tr;
	uint64_t tail;

	pr.udp_no_offload = !gro;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 1, xt_udp_pair, 4096), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(300);
	assert_int_equal(s->ops->stop(s, false), 0);
	ts = sum(s, &sa);
	settle(r, ts.packets, gro);
	assert_int_equal(r->ops->stop(r, false), 0);
	tr = sum(r, &sb);
	tail = ts.packets - sb.flows[0].udp.next_seq;
	print_message("%s: sent %lu received %lu lost %lu tail %lu drops %lu\n",
		      gro ? "gro" : "no gro", (unsigned long)ts.packets, (unsigned long)tr.packets,
		      (unsigned long)tr.lost, (unsigned long)tail, (unsigned long)tr.drops);
	assert_true(tr.drops > 0);
	assert_true(priv(s)->flows[0].udp.gso_sends > 0);
	assert_int_equal(tr.lost + tail, ts.packets - tr.packets);
	if (gro) {
		assert_true(tr.drops * 100 <= (tr.lost + tail) * 102);
		assert_true(tr.drops * 100 >= (tr.lost + tail) * 98);
	} else {
		/* exact on an idle machine; under a CPU hog a few in a thousand went
		 * missing without a socket drop (seen with 2 busy-loops on 2 cores) */
		assert_true(tr.packets + tr.drops <= ts.packets);
		assert_true((tr.packets + tr.drops) * 1000 >= ts.packets * 990);
		assert_true(tr.drops <= tr.lost + tail);
		assert_true(tr.drops * 1000 >= (tr.lost + tail) * 990);
	}
	destroy_both(s, r);
}

static void test_rcvbuf_drops(void **state)
{
	(void)state;
	rcvbuf_check(false);
}

static void test_rcvbuf_drops_gro(void **state)
{
	(void)state;
	rcvbuf_check(true);
}

static void send_raw(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
}

/* Hand-made datagrams: short ones are malformed, XFRF is not data, jitter is sane. */
static void test_malformed_and_jitter(void **state)
{
	struct engine_params pr = uparams(1, 0, -1);
	struct wire_feedback fb = {.stream_id = 0, .packets_received = 7};
	unsigned char d[100] = {0};
	struct engine *r;
	struct sums tr;
	int a, b, i;

	(void)state;
	r = eng(&pr);
	assert_int_equal(xt_udp_pair(&a, &b), 0);
	assert_int_equal(r->ops->add_stream(r, 0, b, false, true, XFR_FLOW_DOWN), 0);
	assert_int_equal(r->ops->start(r), 0);
	for (i = 0; i < 10; i++) {
		wire_data_put(d, (uint64_t)i, (uint64_t)i * 1000);
		send_raw(a, d, sizeof(d));
		usleep(1000 + (i % 3) * 700);
	}
	send_raw(a, d, 5);
	send_raw(a, d, 0);
	wire_feedback_put(d, &fb);
	send_raw(a, d, XFR_FEEDBACK_LEN);
	wire_hello_put(d, XFR_HELLO_KIND_HELLO, 0, d + 32); /* a late hello: not data */
	send_raw(a, d, XFR_HELLO_LEN);
	send_raw(a, d, XFR_HELLO_LEN + 16); /* udp_auth_v1's sealed hello/ack: not data either */
	xt_msleep(150);
	tr = sum(r, &sb);
	assert_int_equal(tr.packets, 10);
	assert_int_equal(tr.malformed, 2);
	assert_int_equal(tr.bytes, 10 * sizeof(d));
	assert_int_equal(tr.lost, 0);
	assert_true(isfinite(sb.flows[0].udp.jitter_us) && sb.flows[0].udp.jitter_us >= 0);
	assert_true(sb.flows[0].udp.jitter_max_us >= sb.flows[0].udp.jitter_us);
	assert_true(sb.flows[0].udp.jitter_max_us > 0 && sb.flows[0].udp.jitter_max_us < 1e6);
	assert_int_equal(r->ops->stop(r, false), 0);
	r->ops->destroy(r);
	close(a);
}

/* The receiver's XFRF at 2 Hz reaches the sending flow. */
static void test_feedback(void **state)
{
	struct engine_params ps = uparams(1, 10000000, -1), pr = uparams(1, 0, -1);
	struct engine_udp_sample *u;
	struct engine *s, *r;

	(void)state;
	pr.udp_feedback = true;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 1, xt_udp_pair, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(1200);
	sum(s, &sa);
	u = &sa.flows[0].udp;
	assert_true(u->has_feedback);
	assert_true(u->fb_received > 0 && u->fb_received <= u->packets);
	assert_true(u->fb_elapsed_ms >= 400 && u->fb_elapsed_ms <= 1300);
	assert_int_equal(u->fb_lost, 0);
	stop_both(s, r);
	destroy_both(s, r);
}

/* Forged XFRF: another stream's, or going backwards, is ignored (N8). */
static void test_feedback_validated(void **state)
{
	struct engine_params ps = uparams(1, 1000000, -1);
	struct wire_feedback fb = {.stream_id = 1, .elapsed_ms = 500, .packets_received = 900};
	unsigned char d[XFR_FEEDBACK_LEN];
	struct engine *s;
	int a, b;

	(void)state;
	s = eng(&ps);
	assert_int_equal(xt_udp_pair(&a, &b), 0);
	assert_int_equal(s->ops->add_stream(s, 0, a, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(s->ops->start(s), 0);
	wire_feedback_put(d, &fb); /* stream 1: not ours */
	send_raw(b, d, sizeof(d));
	fb.stream_id = 0;
	fb.packets_received = 100;
	wire_feedback_put(d, &fb);
	send_raw(b, d, sizeof(d));
	fb.elapsed_ms = 1000;
	fb.packets_received = 50; /* backwards */
	wire_feedback_put(d, &fb);
	send_raw(b, d, sizeof(d));
	xt_msleep(200);
	sum(s, &sa);
	assert_true(sa.flows[0].udp.has_feedback);
	assert_int_equal(sa.flows[0].udp.fb_received, 100);
	assert_int_equal(sa.flows[0].udp.fb_elapsed_ms, 500);
	assert_int_equal(s->ops->stop(s, true), 0);
	s->ops->destroy(s);
	close(b);
}

static void test_pause_resume(void **state)
{
	struct engine_params ps = uparams(1, 20000000, -1), pr = uparams(1, 0, -1);
	struct engine *s, *r;
	uint64_t s1, s2, s3, r1, r2;

	(void)state;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 1, xt_udp_pair, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(100);
	assert_int_equal(s->ops->pause(s), 0);
	xt_msleep(50);
	s1 = sum(s, &sa).packets;
	r1 = sum(r, &sb).packets;
	xt_msleep(300);
	s2 = sum(s, &sa).packets;
	r2 = sum(r, &sb).packets;
	assert_int_equal(s1, s2);
	assert_int_equal(r1, r2);
	assert_int_equal(r2, s2);
	assert_int_equal(s->ops->resume(s), 0);
	xt_msleep(200);
	s3 = sum(s, &sa).packets;
	/* 20 Mbit/s = 1786 pps: ~357 in 200 ms; no catch-up for the 300 ms paused */
	assert_true(s3 - s2 > 200 && s3 - s2 < 500);
	stop_both(s, r);
	assert_int_equal(sum(r, &sb).packets, sum(s, &sa).packets);
	destroy_both(s, r);
}

/* --bidir: both directions on one socket; XFRF is routed to the sending half. */
static void test_bidir(void **state)
{
	struct engine_params pc = uparams(1, 20000000, -1), pv = uparams(1, 20000000, -1);
	struct engine *c, *v;
	int a, b;
	uint32_t i;

	(void)state;
	pc.udp_feedback = pv.udp_feedback = true;
	c = eng(&pc);
	v = eng(&pv);
	assert_int_equal(xt_udp_pair(&a, &b), 0);
	assert_int_equal(c->ops->add_stream(c, 0, a, true, true, XFR_FLOW_UP), 0);
	assert_int_equal(v->ops->add_stream(v, 0, b, true, true, XFR_FLOW_DOWN), 0);
	assert_int_equal(v->ops->start(v), 0);
	assert_int_equal(c->ops->start(c), 0);
	xt_msleep(700);
	assert_int_equal(c->ops->stop(c, false), 0);
	assert_int_equal(v->ops->stop(v, false), 0);
	sum(c, &sa);
	sum(v, &sb);
	assert_int_equal(sa.nflows, 2);
	for (i = 0; i < 2; i++) {
		struct engine_flow_sample *mine = &sa.flows[i], *peer = &sb.flows[1 - i];

		assert_int_equal(mine->sending, !peer->sending);
		assert_int_equal(mine->sending, i == 0);
		assert_true(mine->udp.packets > 500);
		if (!mine->sending) /* the server sent on until its own stop */
			continue;
		assert_int_equal(peer->udp.packets, mine->udp.packets);
		assert_int_equal(peer->bytes, mine->bytes);
		assert_true(mine->udp.has_feedback && mine->udp.fb_received > 0);
		assert_true(sb.flows[0].udp.has_feedback);
	}
	destroy_both(c, v);
}

/* UDP receivers never end by themselves: done_fd waits for stop. */
static void test_done_fd(void **state)
{
	int sdone = eventfd(0, EFD_CLOEXEC), rdone = eventfd(0, EFD_CLOEXEC);
	struct engine_params ps = uparams(1, 0, sdone), pr = uparams(1, 0, rdone);
	struct engine *s, *r;

	(void)state;
	ps.byte_budget = 14000;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 1, xt_udp_pair, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	assert_int_equal(xt_wait_fd(sdone, 2000), 1);
	assert_int_not_equal(xt_wait_fd(rdone, 300), 1);
	assert_int_equal(sum(r, &sb).packets, 10);
	assert_false(sb.flows[0].done);
	assert_int_equal(r->ops->stop(r, false), 0);
	assert_true(sum(r, &sb).packets == 10 && sb.flows[0].done && sb.flows[0].err == 0);
	destroy_both(s, r);
	close(sdone);
	close(rdone);
}

/* --affinity pins flow k to cpus[k % n]; --busy-poll sets SO_BUSY_POLL. */
static void test_affinity_busy_poll(void **state)
{
	int cpus[1] = {0}, a[2], b[2], us = 0;
	struct engine_params p = uparams(2, 1000000, -1);
	socklen_t len = sizeof(us);
	cpu_set_t set;
	struct engine *s;
	uint32_t i;

	(void)state;
	p.cpus = cpus;
	p.ncpus = 1;
	p.busy_poll_us = 50;
	s = eng(&p);
	for (i = 0; i < 2; i++) {
		assert_int_equal(xt_udp_pair(&a[i], &b[i]), 0);
		assert_int_equal(s->ops->add_stream(s, i, a[i], true, false, XFR_FLOW_UP), 0);
	}
	assert_int_equal(s->ops->start(s), 0);
	assert_int_equal(getsockopt(a[1], SOL_SOCKET, SO_BUSY_POLL, &us, &len), 0);
	assert_int_equal(us, 50);
	for (i = 0; i < 2; i++) {
		assert_int_equal(
			pthread_getaffinity_np(priv(s)->flows[i].thread, sizeof(set), &set), 0);
		assert_int_equal(CPU_COUNT(&set), 1);
		assert_true(CPU_ISSET(0, &set));
	}
	assert_int_equal(s->ops->stop(s, true), 0);
	s->ops->destroy(s);
	close(b[0]);
	close(b[1]);
}

/* Nobody listens: ECONNREFUSED is counted and the flow keeps going. */
static void test_refused(void **state)
{
	struct engine_params p = uparams(1, 10000000, -1);
	struct engine *s;
	int a, b;

	(void)state;
	s = eng(&p);
	assert_int_equal(xt_udp_pair(&a, &b), 0);
	close(b);
	assert_int_equal(s->ops->add_stream(s, 0, a, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(200);
	sum(s, &sa);
	assert_true(sa.flows[0].udp.err_refused > 0);
	assert_false(sa.flows[0].done);
	assert_true(sa.flows[0].udp.packets > 50);
	assert_int_equal(s->ops->stop(s, true), 0);
	s->ops->destroy(s);
}

/* Resident memory of this process, bytes. */
static uint64_t rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &res), 2);
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * Defect 2a of issue 9: every sending flow held 64 datagrams of -l bytes
 * whatever its rate, so 128 flows of 65507-byte datagrams at 8 kbit/s in
 * total took 512 MiB. A flow holds what one pacing step (~1 ms) sends: here
 * one datagram, 8 MiB in all; the engine's estimate says so too.
 */
static void test_slow_big_flows_memory(void **state)
{
	struct engine_params p = uparams(128, 8000, -1);
	int peer[128];
	uint64_t before, after, est, sent;
	struct engine *s;
	uint32_t i;

	(void)state;
	p.length = XFR_UDP_MAX_PAYLOAD;
	est = engine_sock_ops.mem_estimate(&p, true, false);
	print_message("estimate for 128 flows at 8 kbit/s, -l 65507: %.1f MiB\n",
		      (double)est / (1 << 20));
	assert_true(est >= 128ULL * XFR_UDP_MAX_PAYLOAD && est < 32ULL << 20);
	s = eng(&p);
	for (i = 0; i < 128; i++) {
		int a, b;

		assert_int_equal(xt_udp_pair(&a, &b), 0);
		peer[i] = b;
		assert_int_equal(s->ops->add_stream(s, i, a, true, false, XFR_FLOW_UP), 0);
	}
	before = rss_bytes();
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(500);
	sent = sum(s, &sa).packets;		  /* cumulative */
	for (i = 0; i < 100 && sent < 128; i++) { /* slower under TSan */
		xt_msleep(50);
		sent = sum(s, &sa).packets;
	}
	after = rss_bytes();
	print_message("RSS %+.1f MiB with 128 sending flows\n",
		      (double)(after - before) / (1 << 20));
	assert_true(sent >= 128); /* every flow sent its first datagram */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* 64 x 65507 per flow was 512 MiB; a sanitizer's shadow memory multiplies
	 * what is touched, so the figure only means something in a plain build */
	assert_true(after - before < 64ULL << 20);
#endif
	s->ops->stop(s, true);
	s->ops->destroy(s);
	for (i = 0; i < 128; i++)
		close(peer[i]);
}

/* The estimate follows the rate: an unpaced flow holds a full batch. */
static void test_mem_estimate(void **state)
{
	struct engine_params p = uparams(1, 0, -1);
	size_t flood, slow, recv;

	(void)state;
	p.length = 1400;
	flood = engine_sock_ops.mem_estimate(&p, true, false);
	p.bitrate = 1000000; /* 89 datagrams/s: one per batch */
	slow = engine_sock_ops.mem_estimate(&p, true, false);
	recv = engine_sock_ops.mem_estimate(&p, false, true);
	assert_true(flood >= 64 * 1400 + ENG_THREAD_MEM);
	assert_true(flood - slow == 63 * 1400);
	assert_true(recv >= 65536 + ENG_THREAD_MEM); /* the GRO buffer */
	assert_true(engine_sock_ops.mem_estimate(&p, true, true) > slow + recv - 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_offload),
		cmocka_unit_test(test_counts_no_offload),
		cmocka_unit_test(test_gso),
		cmocka_unit_test(test_no_gso),
		cmocka_unit_test(test_budget_three_streams),
		cmocka_unit_test(test_budget_short_tail),
		cmocka_unit_test(test_pacing_100m),
		cmocka_unit_test(test_pacing_start_credit),
		cmocka_unit_test(test_rcvbuf_drops),
		cmocka_unit_test(test_rcvbuf_drops_gro),
		cmocka_unit_test(test_malformed_and_jitter),
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_feedback_validated),
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_bidir),
		cmocka_unit_test(test_done_fd),
		cmocka_unit_test(test_affinity_busy_poll),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_slow_big_flows_memory),
		cmocka_unit_test(test_mem_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
