// SPDX-License-Identifier: MIT
/*
 * The observer engine (user/engine_mon.c) around the socket engine on
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

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine.h"

static struct engine_sample ss, sr;

static void msleep(unsigned int ms)
{
	usleep(ms * 1000);
}

/* A socket of @fam bound to @addr port 0. */
static int sock_bound(int fam, int type, const char *addr, struct sockaddr_storage *out)
{
	socklen_t len = sizeof(*out);
	int fd = socket(fam, type | SOCK_CLOEXEC, 0), zero = 0;

	assert_true(fd >= 0);
	memset(out, 0, sizeof(*out));
	if (fam == AF_INET) {
		struct sockaddr_in *s = (void *)out;

		s->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &s->sin_addr), 1);
	} else {
		struct sockaddr_in6 *s = (void *)out;

		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)), 0);
		s->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &s->sin6_addr), 1);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)out, sizeof(*out)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)out, &len), 0);
	return fd;
}

/* The IPv4-mapped form of an IPv4 address, to connect a dual-stack socket to it. */
static struct sockaddr_storage mapped(const struct sockaddr_storage *v4)
{
	const struct sockaddr_in *s4 = (const void *)v4;
	struct sockaddr_storage out = {};
	struct sockaddr_in6 *s6 = (void *)&out;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = s4->sin_port;
	s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
	return out;
}

/*
 * Connected UDP pair on 127.0.0.1: tx is IPv4; rx is IPv4, or with @dual an
 * IPv6 socket on :: talking to ::ffff:127.0.0.1.
 */
static void udp_pair(bool dual, int *tx, int *rx)
{
	struct sockaddr_storage at, ar, peer;

	*tx = sock_bound(AF_INET, SOCK_DGRAM, "127.0.0.1", &at);
	if (dual) {
		*rx = sock_bound(AF_INET6, SOCK_DGRAM, "::", &ar);
		peer = mapped(&at);
		((struct sockaddr_in *)&at)->sin_port = ((struct sockaddr_in6 *)&ar)->sin6_port;
	} else {
		*rx = sock_bound(AF_INET, SOCK_DGRAM, "127.0.0.1", &ar);
		peer = at;
		at = ar;
	}
	assert_int_equal(connect(*rx, (struct sockaddr *)&peer, sizeof(peer)), 0);
	assert_int_equal(connect(*tx, (struct sockaddr *)&at, sizeof(at)), 0);
}

/* Loopback TCP: tx connects to rx's listener; with @dual tx is a v6 socket via ::ffff:. */
static void tcp_pair(bool dual, int *tx, int *rx)
{
	struct sockaddr_storage la, dst;
	int ls = sock_bound(AF_INET, SOCK_STREAM, "127.0.0.1", &la);

	assert_int_equal(listen(ls, 1), 0);
	dst = dual ? mapped(&la) : la;
	*tx = socket(dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*tx >= 0);
	assert_int_equal(connect(*tx, (struct sockaddr *)&dst, sizeof(dst)), 0);
	*rx = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*rx >= 0);
	close(ls);
}

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
		msleep(30);
		assert_int_equal(send(tx, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	}
	msleep(100);
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
	udp_pair(dual, &tx, &rx);
	assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	poke = dup(tx);
	assert_true(poke >= 0);
	assert_int_equal(s->ops->add_stream(s, 0, tx, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(r->ops->add_stream(r, 0, rx, false, true, XFR_FLOW_DOWN), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	/* Flood until the buffer has overflowed a few hundred times (slow VMs take longer). */
	for (int i = 0; i < 50; i++) {
		msleep(100);
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

static bool wait_fd(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t v;

	return poll(&pfd, 1, ms) == 1 && read(fd, &v, sizeof(v)) == sizeof(v);
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
		msleep(10);
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
	tcp_pair(dual, &tx, &rx);
	assert_int_equal(s->ops->add_stream(s, 0, tx, true, false, XFR_FLOW_UP), 0);
	assert_int_equal(r->ops->add_stream(r, 0, rx, false, true, XFR_FLOW_DOWN), 0);
	assert_int_equal(r->ops->start(r), 0);
	assert_int_equal(s->ops->start(s), 0);
	msleep(300);
	assert_int_equal(s->ops->sample(s, &ss), 0);
	f = flow(&ss, true);
	assert_true(f->has_bpf_tcp);
	assert_true(f->bpf_rtt_win_max_us >= f->bpf_rtt_win_min_us);
	assert_int_equal(s->ops->stop(s, false), 0);
	assert_true(wait_fd(rdone, 5000));
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
