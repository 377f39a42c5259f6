// SPDX-License-Identifier: MIT
/*
 * Socket engine tests without root: one engine sends on one end of a
 * socketpair or loopback TCP pair, another receives on the other end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/pacing.h"
#include "engine/engine.h"
#include "engine/sock/engine_sock_priv.h"
#include "lib/xt.h"
#include "timeutil.h"

static struct engine_sample sa, sb;

static int unix_pair(int *a, int *b)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	*a = sv[0];
	*b = sv[1];
	return 0;
}

static struct engine *eng(const struct engine_params *p)
{
	struct engine *e = engine_new(&engine_sock_ops);

	assert_non_null(e);
	assert_int_equal(e->ops->init(e, p), 0);
	return e;
}

static struct engine_params params(uint32_t streams, int done_fd)
{
	struct engine_params p = {.proto = XFR_PROTO_TCP, .streams = streams, .done_fd = done_fd};
	return p;
}

static uint64_t total(struct engine *e, struct engine_sample *s)
{
	uint64_t sum = 0;
	uint32_t i;

	assert_int_equal(e->ops->sample(e, s), 0);
	for (i = 0; i < s->nflows; i++)
		sum += s->flows[i].bytes;
	return sum;
}

/* Run for ms, stop the sender gracefully: the receiver reads EOF and both counts agree. */
static void counts_match(int (*mk)(int *, int *), uint32_t n, enum xfr_zerocopy zc)
{
	int rdone = eventfd(0, EFD_CLOEXEC);
	struct engine_params ps = params(n, -1), pr = params(n, rdone);
	struct engine *s, *r;
	uint64_t sent, got, t0, t1;
	uint32_t i;

	ps.zerocopy = zc;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, n, mk, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	t0 = time_mono_ns();
	assert_int_equal(s->ops->start(s), 0);
	t1 = time_mono_ns();
	/* the test clock's zero: when the flows were let go, all threads created */
	assert_true(s->started_ns >= t0 && s->started_ns <= t1);
	xt_msleep(150);
	assert_int_equal(s->ops->stop(s, false), 0);
	assert_int_equal(xt_wait_fd(rdone, 3000), 1);
	sent = total(s, &sa);
	got = total(r, &sb);
	assert_true(sent > 0);
	assert_int_equal(sent, got);
	assert_int_equal(sa.nflows, n);
	for (i = 0; i < n; i++) {
		assert_true(sa.flows[i].sending && sa.flows[i].done);
		assert_int_equal(sa.flows[i].err, 0);
		assert_int_equal(sa.flows[i].dir, XFR_FLOW_UP);
		assert_true(sa.flows[i].calls > 0);
		assert_false(sb.flows[i].sending);
		assert_int_equal(sb.flows[i].dir, XFR_FLOW_UP); /* what the peer sends: UP */
		assert_true(sb.flows[i].done);
		assert_int_equal(sb.flows[i].err, 0);
		assert_false(sb.flows[i].has_tcp); /* receivers carry no TCP_INFO */
	}
	assert_int_equal(r->ops->stop(r, false), 0);
	s->ops->destroy(s);
	r->ops->destroy(r);
	close(rdone);
}

static void test_counts_socketpair(void **state)
{
	(void)state;
	counts_match(unix_pair, 1, XFR_ZC_AUTO);
	counts_match(unix_pair, 2, XFR_ZC_OFF);
}

static void test_counts_tcp(void **state)
{
	(void)state;
	counts_match(xt_tcp_pair, 2, XFR_ZC_AUTO);
	counts_match(xt_tcp_pair, 1, XFR_ZC_OFF);
	counts_match(xt_tcp_pair, 1, XFR_ZC_SENDFILE);
	counts_match(xt_tcp_pair, 1, XFR_ZC_MSG);
}

/* -n across 3 streams is exact, and done_fd fires on both sides. */
static void test_budget_three_streams(void **state)
{
	const uint64_t budget = 3 * 1048576 + 12345;
	int sdone = eventfd(0, EFD_CLOEXEC), rdone = eventfd(0, EFD_CLOEXEC);
	struct engine_params ps = params(3, sdone), pr = params(3, rdone);
	struct engine *s, *r;
	uint32_t i;

	(void)state;
	ps.byte_budget = budget;
	ps.length = 65536;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 3, xt_tcp_pair, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	assert_int_equal(xt_wait_fd(sdone, 5000), 1);
	assert_int_equal(xt_wait_fd(rdone, 5000), 1);
	assert_int_equal(total(s, &sa), budget);
	assert_int_equal(total(r, &sb), budget);
	for (i = 0; i < 3; i++) {
		assert_true(sa.flows[i].done && sb.flows[i].done);
		assert_int_equal(sa.flows[i].err, 0);
		assert_int_equal(sb.flows[i].err, 0);
		assert_true(sa.flows[i].has_tcp);
		assert_true(sa.flows[i].tcp.snd_mss > 0);
	}
	assert_int_equal(s->ops->stop(s, false), 0);
	assert_int_equal(r->ops->stop(r, false), 0);
	assert_int_equal(total(s, &sa), budget); /* graceful: no clamp */
	s->ops->destroy(s);
	r->ops->destroy(r);
	close(sdone);
	close(rdone);
}

/* The payload on the wire: whole copies of one length-sized block, for every write method. */
static void payload_check(enum xfr_zerocopy zc, enum xfr_payload pl)
{
	struct engine_params ps = params(1, -1);
	uint8_t buf[8192];
	struct engine *s;
	size_t got = 0;
	ssize_t r;
	int a, b, i;

	ps.length = 1000;
	ps.byte_budget = 5000;
	ps.zerocopy = zc;
	ps.payload = pl;
	s = eng(&ps);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	assert_int_equal(s->ops->add_stream(s, 0, a, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(s->ops->start(s), 0);
	while ((r = recv(b, buf + got, sizeof(buf) - got, 0)) > 0)
		got += (size_t)r;
	assert_int_equal(got, 5000);
	for (i = 1; i < 5; i++)
		assert_memory_equal(buf, buf + i * 1000, 1000);
	if (pl == XFR_PAYLOAD_ZEROS) {
		for (i = 0; i < 1000; i++)
			assert_int_equal(buf[i], 0);
	} else {
		for (i = 0; i < 1000 && !buf[i]; i++)
			;
		assert_true(i < 1000);
	}
	assert_int_equal(s->ops->stop(s, false), 0);
	s->ops->destroy(s);
	close(b);
}

static void test_payload(void **state)
{
	(void)state;
	payload_check(XFR_ZC_OFF, XFR_PAYLOAD_RANDOM);
	payload_check(XFR_ZC_SENDFILE, XFR_PAYLOAD_RANDOM);
	payload_check(XFR_ZC_MSG, XFR_PAYLOAD_ZEROS);
	payload_check(XFR_ZC_AUTO, XFR_PAYLOAD_ZEROS);
}

/* Receiver bytes over [0.2 s, 1.2 s] at 40 Mbit/s: 5 MB within +-10 %. */
static void pacing_check(int (*mk)(int *, int *), uint32_t n)
{
	struct engine_params ps = params(n, -1), pr = params(n, -1);
	struct engine *s, *r;
	uint64_t b0, b1;
	double rate;

	ps.bitrate = 40000000;
	/* 16 KiB writes: one write more or less in the window is 0.3 %, not 10 %. */
	ps.length = 16384;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, n, mk, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(200);
	b0 = total(r, &sb);
	xt_msleep(1000);
	b1 = total(r, &sa);
	rate = (double)(b1 - b0) * 8 * NSEC_PER_SEC / (double)(sa.t_ns - sb.t_ns);
	print_message("paced %u stream(s): %.2f Mbit/s\n", n, rate / 1e6);
	assert_true(rate > 36e6 && rate < 44e6);
	assert_int_equal(s->ops->stop(s, true), 0);
	assert_int_equal(r->ops->stop(r, true), 0);
	s->ops->destroy(s);
	r->ops->destroy(r);
}

static void test_pacing_kernel(void **state)
{
	(void)state;
	pacing_check(xt_tcp_pair, 2); /* SO_MAX_PACING_RATE, 20 Mbit/s each */
}

static void test_pacing_user(void **state)
{
	(void)state;
	pacing_check(unix_pair, 1); /* not TCP: token bucket */
}

/*
 * --zerocopy auto measures: an unpaced flow writes by send and by sendfile in
 * turn during its first 0.6 s, then keeps one, and reports both rates. A
 * paced flow and --no-zerocopy never measure and write by send.
 */
static void send_path_check(enum xfr_zerocopy zc, uint64_t rate, bool measured,
			    enum xfr_send_path want)
{
	struct engine_params ps = params(1, -1), pr = params(1, -1);
	struct engine *s, *r;
	const struct engine_flow_sample *f;

	ps.zerocopy = zc;
	ps.bitrate = rate;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 1, xt_tcp_pair, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(900);
	total(s, &sa);
	f = &sa.flows[0];
	print_message("zerocopy %d rate %llu: path %s, measured send %u sendfile %u Mbit/s\n", zc,
		      (unsigned long long)rate, xfr_send_path_name(f->send_path),
		      f->probe_send_mbps, f->probe_sendfile_mbps);
	assert_true(f->sending);
	if (measured) {
		assert_true(f->probe_send_mbps > 0 && f->probe_sendfile_mbps > 0);
		assert_true(f->send_path == XFR_SEND_PATH_SEND ||
			    f->send_path == XFR_SEND_PATH_SENDFILE);
		/* the faster one, unless they are within 5 % */
		if (f->probe_send_mbps > f->probe_sendfile_mbps * 1.05)
			assert_int_equal(f->send_path, XFR_SEND_PATH_SEND);
		if (f->probe_sendfile_mbps > f->probe_send_mbps * 1.05)
			assert_int_equal(f->send_path, XFR_SEND_PATH_SENDFILE);
	} else {
		assert_int_equal(f->probe_send_mbps, 0);
		assert_int_equal(f->probe_sendfile_mbps, 0);
		assert_int_equal(f->send_path, want);
	}
	assert_int_equal(s->ops->stop(s, true), 0);
	assert_int_equal(r->ops->stop(r, true), 0);
	s->ops->destroy(s);
	r->ops->destroy(r);
}

static void test_send_path_auto(void **state)
{
	(void)state;
	send_path_check(XFR_ZC_AUTO, 0, true, XFR_SEND_PATH_UNKNOWN);
	send_path_check(XFR_ZC_AUTO, 100000000, false, XFR_SEND_PATH_SEND);
	send_path_check(XFR_ZC_OFF, 0, false, XFR_SEND_PATH_SEND);
	send_path_check(XFR_ZC_SENDFILE, 0, false, XFR_SEND_PATH_SENDFILE);
}

/*
 * The bucket starts full whatever the clock reads: a few minutes after boot a
 * slow flow's first 64 KiB datagram (2.3 hours of credit at 62 bit/s) waited
 * for hours, as t_ns could not go below 0.
 */
static void test_pacing_full_at_boot(void **state)
{
	struct pacing p;
	uint64_t now = 300 * NSEC_PER_SEC; /* uptime 5 min */

	(void)state;
	pacing_init(&p, 62, 65507, now);
	assert_int_equal(pacing_delay_ns(&p, 65507, now), 0);
	assert_int_equal(pacing_credit(&p, now), 65507);
	pacing_sent(&p, 65507);
	assert_int_equal(pacing_credit(&p, now), 0);
	assert_true(pacing_delay_ns(&p, 1, now) > 0);
	/* an hour later: credit for what an hour pays, never more than one burst */
	assert_int_equal(pacing_credit(&p, now + 3600 * NSEC_PER_SEC), 62 * 3600 / 8);
	assert_int_equal(pacing_credit(&p, now + 100000 * NSEC_PER_SEC), 65507);
	/* at 0 ns too */
	pacing_init(&p, 1000000, 1000, 0);
	assert_int_equal(pacing_delay_ns(&p, 1000, 0), 0);
	pacing_reset(&p, 5);
	assert_int_equal(pacing_credit(&p, 5), 1000);
}

/* Rates above 34 Gbit/s need the 8-byte SO_MAX_PACING_RATE: 100 Gbit/s over 2 flows. */
static void test_pacing_rate_u64(void **state)
{
	struct engine_params p = params(2, -1);
	uint64_t rate = 0;
	socklen_t len = sizeof(rate);
	struct engine *s;
	int a[2], b[2], i;

	(void)state;
	p.bitrate = 100000000000ULL;
	s = eng(&p);
	for (i = 0; i < 2; i++) {
		assert_int_equal(xt_tcp_pair(&a[i], &b[i]), 0);
		assert_int_equal(s->ops->add_stream(s, i, a[i], true, false, XFR_FLOW_UP), 0);
	}
	assert_int_equal(s->ops->start(s), 0);
	assert_int_equal(getsockopt(a[1], SOL_SOCKET, SO_MAX_PACING_RATE, &rate, &len), 0);
	assert_int_equal(len, sizeof(rate));
	assert_int_equal(rate, 6250000000ULL); /* bytes/s per flow */
	assert_int_equal(s->ops->stop(s, true), 0);
	s->ops->destroy(s);
	close(b[0]);
	close(b[1]);
}

static void test_pause_resume(void **state)
{
	struct engine_params ps = params(1, -1), pr = params(1, -1);
	uint64_t s1, r1, s2, r2, s3, r3;
	struct engine *s, *r;

	(void)state;
	s = eng(&ps);
	r = eng(&pr);
	assert_int_equal(xt_connect_pairs(s, r, 1, xt_tcp_pair, 0), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(100);
	assert_int_equal(s->ops->pause(s), 0);
	xt_msleep(250); /* a write in progress finishes, the receiver drains */
	s1 = total(s, &sa);
	r1 = total(r, &sb);
	xt_msleep(200);
	s2 = total(s, &sa);
	r2 = total(r, &sb);
	assert_true(s1 > 0);
	assert_int_equal(s1, s2);
	assert_int_equal(r1, r2);
	assert_int_equal(r2, s2); /* the receiver kept reading until it had everything */
	assert_int_equal(s->ops->resume(s), 0);
	xt_msleep(100);
	s3 = total(s, &sa);
	r3 = total(r, &sb);
	assert_true(s3 > s2);
	assert_true(r3 > r2);
	assert_int_equal(s->ops->stop(s, true), 0);
	assert_int_equal(r->ops->stop(r, true), 0);
	s->ops->destroy(s);
	r->ops->destroy(r);
}

/* The receive low-water mark for a rate: 1 below one step, steps, a cap. */
static void test_rx_lowat_rate(void **state)
{
	const uint64_t ms20 = 20 * NSEC_PER_MSEC;

	(void)state;
	assert_int_equal(sock_rx_lowat(0, 0), 1);
	assert_int_equal(sock_rx_lowat(123456, 0), 1);
	assert_int_equal(sock_rx_lowat(0, ms20), 1);
	assert_int_equal(sock_rx_lowat(2500000, ms20), 1);		    /* 1 Gbit/s */
	assert_int_equal(sock_rx_lowat(25000000, ms20), RX_LOWAT_STEP);	    /* 10 Gbit/s */
	assert_int_equal(sock_rx_lowat(50000000, ms20), 3 * RX_LOWAT_STEP); /* 20 Gbit/s: 250 KB */
	assert_int_equal(sock_rx_lowat(100000000, ms20), RX_LOWAT_MAX);	    /* 40 Gbit/s */
	assert_int_equal(sock_rx_lowat(UINT64_MAX, 1), RX_LOWAT_MAX);
	assert_int_equal(sock_rx_lowat(UINT64_MAX / 2, ms20), RX_LOWAT_MAX);
}

/*
 * A fast flow raises the receiver's low-water mark; a tail smaller than the
 * mark, with no more data and no EOF behind it, is still counted (the receive
 * timeout), promptly.
 */
static void test_rx_lowat_tail(void **state)
{
	struct engine_params pr = params(1, -1);
	static uint8_t chunk[1 << 20];
	uint64_t sent = 0, t0, got = 0;
	struct engine *r;
	int a, b, lw = 0;
	socklen_t len = sizeof(lw);
	ssize_t n;

	(void)state;
	r = eng(&pr);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	assert_int_equal(r->ops->add_stream(r, 0, b, false, true, XFR_FLOW_DOWN), 0);
	assert_int_equal(r->ops->start(r), 0);
	t0 = time_mono_ns();
	while (time_mono_ns() - t0 < 3000 * NSEC_PER_MSEC) {
		n = send(a, chunk, sizeof(chunk), 0);
		assert_true(n > 0);
		sent += (uint64_t)n;
		assert_int_equal(getsockopt(b, SOL_SOCKET, SO_RCVLOWAT, &lw, &len), 0);
		if (lw > 1)
			break;
	}
	if (lw <= 1) { /* this host never moved 5 Gbit/s over loopback */
		r->ops->stop(r, true);
		r->ops->destroy(r);
		close(a);
		skip();
	}
	assert_int_equal(send(a, chunk, 1000, 0), 1000);
	sent += 1000;
	t0 = time_mono_ns();
	while (time_mono_ns() - t0 < 2000 * NSEC_PER_MSEC && (got = total(r, &sb)) < sent)
		xt_msleep(5);
	assert_int_equal(got, sent);
	/* counted by the timeout, not by an EOF: the connection is still open */
	assert_false(sb.flows[0].done);
	assert_true(time_mono_ns() - t0 < 1000 * NSEC_PER_MSEC);
	assert_int_equal(r->ops->stop(r, true), 0);
	r->ops->destroy(r);
	close(a);
}

/* A sender stuck on a peer that never reads: abortive stop still returns at once. */
static void test_abortive_stop_unblocks(void **state)
{
	struct engine_params ps = params(1, -1);
	uint64_t before, after, t0;
	struct engine *s;
	int a, b;

	(void)state;
	s = eng(&ps);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	assert_int_equal(s->ops->add_stream(s, 0, a, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(200);
	before = total(s, &sa);
	assert_true(before > 0);
	assert_false(sa.flows[0].done);
	t0 = time_mono_ns();
	assert_int_equal(s->ops->stop(s, true), 0);
	assert_true(time_mono_ns() - t0 < 500 * NSEC_PER_MSEC);
	after = total(s, &sa);
	assert_true(sa.flows[0].done);
	assert_true(after <= before); /* clamped to what the peer acknowledged */
	assert_true(after > 0);
	assert_int_equal(s->ops->stop(s, true), 0); /* idempotent */
	s->ops->destroy(s);
	close(b);
}

/* --bidir: one fd, a send and a receive flow on each side. */
static void test_bidir(void **state)
{
	struct engine_params p = params(1, -1);
	struct engine *c, *sv;
	int a, b;

	(void)state;
	c = eng(&p);
	sv = eng(&p);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	assert_int_equal(c->ops->add_stream(c, 0, a, true, true, XFR_FLOW_UP), 0);
	assert_int_equal(sv->ops->add_stream(sv, 0, b, true, true, XFR_FLOW_DOWN), 0);
	assert_int_equal(sv->ops->start(sv), 0);
	assert_int_equal(c->ops->start(c), 0);
	xt_msleep(150);
	total(c, &sa);
	assert_int_equal(sa.nflows, 2);
	assert_true(sa.flows[0].sending && sa.flows[0].dir == XFR_FLOW_UP);
	assert_true(!sa.flows[1].sending && sa.flows[1].dir == XFR_FLOW_DOWN);
	assert_true(sa.flows[0].bytes > 0 && sa.flows[1].bytes > 0);
	assert_true(sa.flows[0].has_tcp && !sa.flows[1].has_tcp);
	assert_int_equal(c->ops->stop(c, true), 0);
	assert_int_equal(sv->ops->stop(sv, true), 0);
	c->ops->destroy(c);
	sv->ops->destroy(sv);
}

static void test_bad_params(void **state)
{
	struct engine_params p = params(2, -1);
	struct engine *e = engine_new(&engine_sock_ops);
	int a = -1, b = -1;

	(void)state;
	assert_non_null(e);
	p.proto = XFR_PROTO_QUIC;
	assert_int_equal(e->ops->init(e, &p), -EPROTONOSUPPORT);
	p.proto = XFR_PROTO_UDP;
	p.length = 15; /* shorter than the data header */
	assert_int_equal(e->ops->init(e, &p), -EINVAL);
	p.length = 65508;
	assert_int_equal(e->ops->init(e, &p), -EINVAL);
	p.length = 0;
	p.proto = XFR_PROTO_TCP;
	p.streams = 0;
	assert_int_equal(e->ops->init(e, &p), -EINVAL);
	p.streams = 2;
	assert_int_equal(e->ops->init(e, &p), 0);
	assert_int_equal(e->ops->start(e), -EINVAL); /* no streams */
	assert_int_equal(unix_pair(&a, &b), 0);
	assert_int_equal(e->ops->add_stream(e, 2, a, true, false, XFR_FLOW_UP), -EINVAL);
	assert_int_equal(fcntl(a, F_GETFD), -1); /* owned and closed on error */
	assert_int_equal(e->ops->add_stream(e, 0, b, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(unix_pair(&a, &b), 0);
	close(b);
	assert_int_equal(e->ops->add_stream(e, 0, a, true, false, XFR_FLOW_UP), -EEXIST);
	assert_int_equal(fcntl(a, F_GETFD), -1);
	assert_int_equal(e->ops->stop(e, true), 0); /* never started: fine */
	e->ops->destroy(e);
}

/* --busy-poll: SO_BUSY_POLL on TCP data sockets too. */
static void test_busy_poll(void **state)
{
	struct engine_params p = params(1, -1);
	socklen_t len = sizeof(int);
	struct engine *e;
	int a, b, us = 0;

	(void)state;
	p.busy_poll_us = 25;
	e = eng(&p);
	assert_int_equal(xt_tcp_pair(&a, &b), 0);
	assert_int_equal(e->ops->add_stream(e, 0, a, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(getsockopt(a, SOL_SOCKET, SO_BUSY_POLL, &us, &len), 0);
	assert_int_equal(us, 25);
	e->ops->destroy(e);
	close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_socketpair),
		cmocka_unit_test(test_counts_tcp),
		cmocka_unit_test(test_budget_three_streams),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_pacing_kernel),
		cmocka_unit_test(test_pacing_user),
		cmocka_unit_test(test_pacing_rate_u64),
		cmocka_unit_test(test_pacing_full_at_boot),
		cmocka_unit_test(test_send_path_auto),
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_rx_lowat_rate),
		cmocka_unit_test(test_rx_lowat_tail),
		cmocka_unit_test(test_abortive_stop_unblocks),
		cmocka_unit_test(test_bidir),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_busy_poll),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
