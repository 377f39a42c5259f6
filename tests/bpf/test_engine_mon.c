// SPDX-License-Identifier: MIT
/*
 * The observer engine (user/engine/engine_mon.c) around the socket engine on
 * loopback: a UDP receiver with a tiny receive buffer reports SOCKET_RCVBUFF
 * drops equal to its own SO_RXQ_OVFL count, also on a dual-stack socket
 * carrying IPv4; a TCP sender reports RTT samples, retransmits equal to
 * TCP_INFO and delivered bytes equal to what it sent, over IPv4 and
 * IPv4-mapped IPv6. Needs root; otherwise prints "SKIP: <reason>" and exits 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/xt.h"

static struct engine_sample ss, sr;

static struct engine *plain(const struct engine_params *p)
{
	struct engine *e = engine_new(&engine_sock_ops);

	assert_non_null(e);
	assert_int_equal(e->ops->init(e, p), 0);
	return e;
}

static struct engine *monitored(const struct engine_params *p, bool drops, bool tcp)
{
	struct engine *in = engine_new(&engine_sock_ops), *e;
	char why[128];

	assert_non_null(in);
	e = engine_mon_new(in, drops, tcp, why, sizeof(why));
	if (!e)
		print_message("engine_mon_new: %s\n", why);
	assert_non_null(e);
	assert_string_equal(e->ops->name, "socket");
	assert_int_equal(e->ops->init(e, p), 0);
	return e;
}

static const struct engine_flow_sample *flow(const struct engine_sample *s, bool sending)
{
	uint32_t i;

	for (i = 0; i < s->nflows; i++)
		if (s->flows[i].stream == 0 && s->flows[i].sending == sending)
			return &s->flows[i];
	fail_msg("no %s flow in the sample", sending ? "sending" : "receiving");
	return NULL;
}

static uint64_t drops_of(const struct engine_flow_sample *f, const char *reason)
{
	uint32_t i;

	for (i = 0; i < f->drops.n; i++)
		if (!strcmp(f->drops.d[i].reason, reason))
			return f->drops.d[i].packets;
	return 0;
}

/*
 * SO_RXQ_OVFL reaches the engine with the next datagram the socket queues:
 * after the flood, a few datagrams at a gentle pace report the last drops
 * (they are 64 bytes: the engine counts them malformed or stale, which is fine).
 */
static void flush_drop_count(int tx)
{
	char buf[64] = {0};
	int i;

	for (i = 0; i < 3; i++) {
		xt_msleep(30);
		assert_int_equal(send(tx, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	}
	xt_msleep(100);
}

static void udp_drops(bool dual)
{
	struct engine_params ps = {.proto = XFR_PROTO_UDP, .streams = 1, .done_fd = -1};
	struct engine_params pr = ps;
	const struct engine_flow_sample *f;
	uint64_t bpf, own;
	int tx, rx, poke, small = 4096;
	struct engine *s, *r;

	/* One datagram per GRO buffer: each drop is one datagram on both counters. */
	ps.udp_no_offload = pr.udp_no_offload = true;
	s = plain(&ps);
	r = monitored(&pr, true, false);
	/* @dual: rx is an IPv6 socket on :: talking to ::ffff:127.0.0.1. */
	assert_int_equal(xt_udp_pair_af(AF_INET, dual ? AF_INET6 : AF_INET, &tx, &rx), 0);
	assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	poke = dup(tx);
	assert_true(poke >= 0);
	assert_int_equal(s->ops->add_stream(s, 0, tx, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(r->ops->add_stream(r, 0, rx, false, true, XFR_FLOW_DOWN), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	/* Flood until the buffer has overflowed a few hundred times (slow VMs take longer). */
	for (int i = 0; i < 50; i++) {
		xt_msleep(100);
		assert_int_equal(r->ops->sample(r, &sr), 0);
		f = flow(&sr, false);
		if (i >= 2 && f->udp.rcvbuf_drops > 300)
			break;
	}
	/* Paused, not stopped: stop() shuts the socket down, and the flush needs it. */
	assert_int_equal(s->ops->pause(s), 0);
	flush_drop_count(poke);
	assert_int_equal(s->ops->stop(s, false), 0);
	assert_int_equal(r->ops->stop(r, false), 0);
	assert_int_equal(r->ops->sample(r, &sr), 0);
	f = flow(&sr, false);
	assert_true(f->has_drops);
	assert_false(f->has_bpf_tcp);
	bpf = drops_of(f, "SOCKET_RCVBUFF");
	own = f->udp.rcvbuf_drops;
	print_message("udp%s: received %llu, SO_RXQ_OVFL %llu, SOCKET_RCVBUFF %llu, %u reasons\n",
		      dual ? " (v4-mapped)" : "", (unsigned long long)f->udp.packets,
		      (unsigned long long)own, (unsigned long long)bpf, f->drops.n);
	assert_true(own > 100);
	assert_true(bpf * 100 >= own * 99 && bpf * 100 <= own * 101);
	for (uint32_t i = 0; i < f->drops.n; i++)
		print_message("  %s %llu\n", f->drops.d[i].reason,
			      (unsigned long long)f->drops.d[i].packets);
	assert_string_equal(f->drops.d[0].reason, "SOCKET_RCVBUFF");
	close(poke);
	s->ops->destroy(s);
	r->ops->destroy(r);
}

static void test_udp_drops(void **state)
{
	(void)state;
	udp_drops(false);
}

static void test_udp_drops_v4_mapped(void **state)
{
	(void)state;
	udp_drops(true);
}

/* Delivered lands with the last ACK (or the ACK of the FIN): give it a moment. */
static const struct engine_flow_sample *settled(struct engine *s)
{
	const struct engine_flow_sample *f = NULL;
	int i;

	for (i = 0; i < 100; i++) {
		assert_int_equal(s->ops->sample(s, &ss), 0);
		f = flow(&ss, true);
		if (f->has_bpf_tcp && f->bpf_delivered >= f->bytes)
			break;
		xt_msleep(10);
	}
	return f;
}

static void tcp_figures(bool dual)
{
	int rdone = eventfd(0, EFD_CLOEXEC), tx, rx;
	struct engine_params ps = {.proto = XFR_PROTO_TCP, .streams = 1, .done_fd = -1};
	struct engine_params pr = ps;
	const struct engine_flow_sample *f;
	struct engine *s, *r;
	uint64_t avg;

	assert_true(rdone >= 0);
	pr.done_fd = rdone;
	s = monitored(&ps, true, true);
	r = plain(&pr);
	/* @dual: tx is an IPv6 socket connected to ::ffff:127.0.0.1. */
	assert_int_equal(xt_tcp_pair_af(dual ? AF_INET6 : AF_INET, AF_INET, &tx, &rx), 0);
	assert_int_equal(s->ops->add_stream(s, 0, tx, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(r->ops->add_stream(r, 0, rx, false, true, XFR_FLOW_DOWN), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	xt_msleep(300);
	assert_int_equal(s->ops->sample(s, &ss), 0);
	f = flow(&ss, true);
	assert_true(f->has_bpf_tcp);
	assert_true(f->bpf_rtt_win_max_us >= f->bpf_rtt_win_min_us);
	assert_int_equal(s->ops->stop(s, false), 0);
	assert_true(xt_wait_fd(rdone, 5000) > 0);
	f = settled(s);
	assert_true(f->has_bpf_tcp && f->has_tcp && f->has_drops);
	assert_true(f->bpf_rtt_samples > 0);
	avg = f->bpf_rtt_sum_us / f->bpf_rtt_samples;
	print_message("tcp%s: sent %llu, delivered %llu, %llu RTT samples, min/avg/max %u/%llu/%u "
		      "us, retrans %llu (tcp_info %llu), %u drop reasons\n",
		      dual ? " (v4-mapped)" : "", (unsigned long long)f->bytes,
		      (unsigned long long)f->bpf_delivered, (unsigned long long)f->bpf_rtt_samples,
		      f->bpf_rtt_min_us, (unsigned long long)avg, f->bpf_rtt_max_us,
		      (unsigned long long)f->bpf_retransmits,
		      (unsigned long long)f->tcp.total_retrans, f->drops.n);
	assert_true(f->bpf_rtt_min_us <= avg && avg <= f->bpf_rtt_max_us);
	assert_int_equal(f->bpf_retransmits, f->tcp.total_retrans);
	/* Ours only: the engine took the socket after the handshake; +1 for the FIN. */
	assert_true(f->bpf_delivered >= f->bytes && f->bpf_delivered <= f->bytes + 1);
	assert_true(f->bytes > 0);
	for (uint32_t i = 0; i < f->drops.n; i++)
		print_message("  %s %llu\n", f->drops.d[i].reason,
			      (unsigned long long)f->drops.d[i].packets);
	assert_int_equal(r->ops->sample(r, &sr), 0);
	assert_int_equal(flow(&sr, false)->bytes, f->bytes);
	s->ops->destroy(s);
	r->ops->destroy(r);
	close(rdone);
}

static void test_tcp_figures(void **state)
{
	(void)state;
	tcp_figures(false);
}

static void test_tcp_figures_v4_mapped(void **state)
{
	(void)state;
	tcp_figures(true);
}

/* Without an inner engine there is nothing to wrap. */
static void test_no_inner(void **state)
{
	char why[64];

	(void)state;
	errno = 0;
	assert_null(engine_mon_new(NULL, true, true, why, sizeof(why)));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_drops),   cmocka_unit_test(test_udp_drops_v4_mapped),
		cmocka_unit_test(test_tcp_figures), cmocka_unit_test(test_tcp_figures_v4_mapped),
		cmocka_unit_test(test_no_inner),
	};
	struct engine *in, *e;
	char why[128];

	if (geteuid() != 0) {
		printf("SKIP: needs root (CAP_BPF + CAP_PERFMON)\n");
		return 0;
	}
	in = engine_new(&engine_sock_ops);
	e = in ? engine_mon_new(in, true, true, why, sizeof(why)) : NULL;
	if (!e) {
		printf("SKIP: %s\n", in ? why : strerror(errno));
		if (in)
			in->ops->destroy(in);
		return 0;
	}
	e->ops->destroy(e);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
