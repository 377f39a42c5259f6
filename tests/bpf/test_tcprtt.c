// SPDX-License-Identifier: MIT
/*
 * bpf/tcprtt.bpf.c through user/bpf/tcprtt.c on the running kernel: bulk TCP
 * transfers on loopback over IPv4, IPv6 and IPv4-mapped dual-stack sockets
 * give RTT samples with min <= avg <= max, delivered bytes equal to what the
 * receiver read (+2: SYN and FIN), and retransmits equal to TCP_INFO's
 * total_retrans; the RTT window restarts at each read; in a private netns
 * an nftables rule dropping 2 % of the data segments forces retransmits that
 * must match TCP_INFO within 2. Needs root; otherwise prints "SKIP".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf/tcprtt.h"

#define MB (1024 * 1024)

struct conn {
	int tx, rx;
	uint64_t len;	/* bytes to send */
	uint64_t got;	/* bytes the receiver read */
	uint16_t rport; /* receiver's port */
};

/* Listen on @addr (port 0), connect from a socket of @cfam, accept. */
static void conn_open(struct conn *c, int lfam, const char *laddr, int cfam, const char *caddr)
{
	struct sockaddr_storage ss = {};
	socklen_t len = sizeof(ss);
	int lfd, zero = 0;

	lfd = socket(lfam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	if (lfam == AF_INET6)
		assert_int_equal(setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)),
				 0);
	if (lfam == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, laddr, &s->sin_addr), 1);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, laddr, &s->sin6_addr), 1);
	}
	assert_int_equal(bind(lfd, (struct sockaddr *)&ss, sizeof(ss)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
	c->rport = ntohs(((struct sockaddr_in *)&ss)->sin_port); /* same offset in _in6 */
	if (cfam == AF_INET6 && lfam == AF_INET6)
		; /* ss already holds the v6 address */
	else if (cfam == AF_INET6) {
		struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(c->rport)};

		assert_int_equal(inet_pton(AF_INET6, caddr, &s6.sin6_addr), 1);
		memcpy(&ss, &s6, sizeof(s6));
	}
	c->tx = socket(cfam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->tx >= 0);
	assert_int_equal(connect(c->tx, (struct sockaddr *)&ss, sizeof(ss)), 0);
	c->rx = accept(lfd, NULL, NULL);
	assert_true(c->rx >= 0);
	close(lfd);
}

static void *sender(void *arg)
{
	struct conn *c = arg;
	static char buf[256 * 1024];
	uint64_t left = c->len;
	ssize_t n;

	while (left) {
		n = send(c->tx, buf, left < sizeof(buf) ? left : sizeof(buf), MSG_NOSIGNAL);
		if (n <= 0)
			break;
		left -= n;
	}
	shutdown(c->tx, SHUT_WR);
	return NULL;
}

/* Send len bytes tx -> rx; the receiver reads until EOF. */
static void transfer(struct conn *c, uint64_t len)
{
	static char buf[256 * 1024];
	pthread_t th;
	ssize_t n;

	c->len = len;
	c->got = 0;
	assert_int_equal(pthread_create(&th, NULL, sender, c), 0);
	while ((n = recv(c->rx, buf, sizeof(buf), 0)) > 0)
		c->got += n;
	pthread_join(th, NULL);
	assert_int_equal(c->got, len);
}

static struct tcp_info tcp_info_of(int fd)
{
	struct tcp_info ti = {};
	socklen_t len = sizeof(ti);

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

/* The last ACK may still be in flight when recv() sees EOF: wait for it (<= 1 s). */
static void read_settled(struct tcprtt *t, int slot, int fd, uint64_t want, struct tcprtt_stats *st)
{
	int i;

	for (i = 0; i < 100; i++) {
		assert_int_equal(tcprtt_read(t, slot, st), 0);
		if (st->delivered >= want && tcp_info_of(fd).tcpi_unacked == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(tcprtt_read(t, slot, st), 0);
}

static void check_flow(struct tcprtt *t, struct conn *c, const char *what, int slack)
{
	struct tcprtt_stats st;
	struct tcp_info ti;
	uint64_t avg;
	int slot;

	slot = tcprtt_add_fd(t, c->tx);
	assert_true(slot >= 0);
	transfer(c, c->len);
	read_settled(t, slot, c->tx, c->got, &st);
	ti = tcp_info_of(c->tx);
	assert_true(st.samples > 0);
	avg = st.rtt_sum_us / st.samples;
	print_message("%s: %llu bytes, %llu RTT samples, min/avg/max %u/%llu/%u us, "
		      "retrans %llu (tcp_info %u), delivered %llu\n",
		      what, (unsigned long long)c->got, (unsigned long long)st.samples,
		      st.rtt_min_us, (unsigned long long)avg, st.rtt_max_us,
		      (unsigned long long)st.retransmits, ti.tcpi_total_retrans,
		      (unsigned long long)st.delivered);
	assert_true(st.rtt_min_us <= avg && avg <= st.rtt_max_us);
	assert_true(st.rtt_max_us > 0);
	/* delivered is bytes_acked: the payload, plus one each for SYN and FIN. */
	assert_true(st.delivered * 100 >= c->got * 99 && st.delivered * 100 <= c->got * 101);
	assert_true((int64_t)st.retransmits >= (int64_t)ti.tcpi_total_retrans - slack &&
		    (int64_t)st.retransmits <= (int64_t)ti.tcpi_total_retrans + slack);
	assert_int_equal(tcprtt_del(t, slot), 0);
	assert_int_equal(tcprtt_del(t, slot), -EINVAL);
	close(c->tx);
	close(c->rx);
}

static void test_ipv4(void **state)
{
	struct conn c = {.len = 50 * MB};

	conn_open(&c, AF_INET, "127.0.0.1", AF_INET, NULL);
	check_flow(*state, &c, "ipv4", 0);
}

static void test_ipv6(void **state)
{
	struct conn c = {.len = 20 * MB};

	conn_open(&c, AF_INET6, "::1", AF_INET6, NULL);
	check_flow(*state, &c, "ipv6", 0);
}

/* A dual-stack v6 client socket connected to an IPv4 listener through ::ffff:127.0.0.1. */
static void test_v4_mapped(void **state)
{
	struct conn c = {.len = 20 * MB};

	conn_open(&c, AF_INET, "127.0.0.1", AF_INET6, "::ffff:127.0.0.1");
	check_flow(*state, &c, "v4-mapped", 0);
}

/* The window min/max restart after each read; whole-flow min/max do not. */
static void test_window(void **state)
{
	struct tcprtt *t = *state;
	struct conn c = {};
	struct tcprtt_stats a, b;
	int slot;

	conn_open(&c, AF_INET, "127.0.0.1", AF_INET, NULL);
	slot = tcprtt_add_fd(t, c.tx);
	assert_true(slot >= 0);
	assert_int_equal(tcprtt_read(t, slot, &a), 0);
	assert_int_equal(a.samples, 0);
	assert_int_equal(a.rtt_min_us, 0);
	assert_int_equal(a.win_min_us, 0);
	transfer(&c, 8 * MB);
	assert_int_equal(tcprtt_read(t, slot, &a), 0);
	assert_true(a.samples > 0);
	assert_true(a.win_min_us >= a.rtt_min_us && a.win_max_us <= a.rtt_max_us);
	assert_true(a.win_min_us <= a.win_max_us && a.win_max_us > 0);
	/* Nothing more was sent: an empty window, the same cumulative figures. */
	usleep(20000);
	assert_int_equal(tcprtt_read(t, slot, &b), 0);
	assert_int_equal(b.samples, a.samples);
	assert_int_equal(b.win_min_us, 0);
	assert_int_equal(b.win_max_us, 0);
	assert_int_equal(b.rtt_min_us, a.rtt_min_us);
	assert_int_equal(tcprtt_del(t, slot), 0);
	close(c.tx);
	close(c.rx);
}

/*
 * In a private netns with a 1500-byte loopback, drop 2 % of the data segments
 * with nftables: the retransmits BPF counted match TCP_INFO within 2.
 */
static void test_nft_retransmits(void **state)
{
	struct conn c = {.len = 20 * MB};
	char cmd[512];
	int oldns;

	if (system("nft --version >/dev/null 2>&1")) {
		print_message("SKIP: nft not installed\n");
		return;
	}
	oldns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(oldns >= 0);
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	assert_int_equal(system("ip link set lo mtu 1500 up"), 0);
	/* Segments, not 64 KiB GSO batches, go past the rule: many more drops. */
	if (system("ethtool -K lo tso off gso off >/dev/null 2>&1"))
		print_message("ethtool -K lo failed: GSO batches are dropped whole\n");
	conn_open(&c, AF_INET, "127.0.0.1", AF_INET, NULL);
	snprintf(cmd, sizeof(cmd),
		 "nft add table ip xfrtr && nft 'add chain ip xfrtr in { type filter hook "
		 "input priority 0; }' && nft add rule ip xfrtr in tcp dport %u "
		 "numgen random mod 1000 '<' 20 drop",
		 c.rport);
	assert_int_equal(system(cmd), 0);
	check_flow(*state, &c, "nft 2% drop", 2);
	/* The namespace goes with its last user: the sockets are closed, we leave it. */
	assert_int_equal(setns(oldns, CLONE_NEWNET), 0);
	close(oldns);
}

static int setup(void **state)
{
	struct tcprtt *t = tcprtt_open(NULL, 0);

	if (!t)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tcprtt_close(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_nft_retransmits),
	};
	struct tcprtt *t;

	if (geteuid() != 0) {
		printf("SKIP: needs root (CAP_BPF + CAP_PERFMON)\n");
		return 0;
	}
	t = tcprtt_open(NULL, 0);
	if (!t) {
		printf("SKIP: cannot load the tcprtt program: %s\n", strerror(errno));
		return 0;
	}
	tcprtt_close(t);
	return cmocka_run_group_tests(tests, setup, teardown);
}
