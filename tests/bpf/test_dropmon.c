// SPDX-License-Identifier: MIT
/*
 * bpf/dropmon.bpf.c through user/bpf/dropmon.c on the running kernel: drops of a
 * registered UDP flow overflowing a tiny receive buffer are attributed to
 * SOCKET_RCVBUFF and match the socket's own drop counter exactly; drops of an
 * unregistered flow are not counted; an nftables drop rule in a private netns
 * is attributed to NETFILTER_DROP; after close our bpf_link is gone.
 * Needs root; otherwise prints "SKIP: <reason>" and exits 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/sock_diag.h>
#include <linux/udp.h>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif

#include <bpf/bpf.h>

#include "bpf/dropmon.h"

#define NR_SENDS 5000
#define PAYLOAD	 1000

struct udp_pair {
	int rx, tx;
	struct sockaddr_in rx_addr, tx_addr;
};

static struct dropmon_count counts[DROPMON_MAX_REASONS];

static int bind_lo(int fd, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)))
		return -errno;
	return getsockname(fd, (struct sockaddr *)sin, &len) ? -errno : 0;
}

/* A receiver with the smallest receive buffer the kernel allows, and a sender. */
static void pair_open(struct udp_pair *p)
{
	int one = 1, zero = 0;

	p->rx = socket(AF_INET, SOCK_DGRAM, 0);
	p->tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(p->rx >= 0 && p->tx >= 0);
	assert_int_equal(setsockopt(p->rx, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero)), 0);
	assert_int_equal(setsockopt(p->rx, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)), 0);
	assert_int_equal(bind_lo(p->rx, &p->rx_addr), 0);
	assert_int_equal(bind_lo(p->tx, &p->tx_addr), 0);
}

static void pair_close(struct udp_pair *p)
{
	close(p->rx);
	close(p->tx);
}

/* Loopback delivers inside sendto(), so every drop has happened on return. */
static void pair_flood(struct udp_pair *p)
{
	char buf[PAYLOAD];
	int i;

	memset(buf, 0xab, sizeof(buf));
	for (i = 0; i < NR_SENDS; i++)
		assert_int_equal(sendto(p->tx, buf, sizeof(buf), 0, (struct sockaddr *)&p->rx_addr,
					sizeof(p->rx_addr)),
				 PAYLOAD);
}

static __u64 sock_drops(int fd)
{
	__u32 mem[SK_MEMINFO_VARS] = {};
	socklen_t len = sizeof(mem);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len), 0);
	return mem[SK_MEMINFO_DROPS];
}

static __u64 total_packets(void)
{
	__u64 sum = 0;
	int r;

	for (r = 0; r < DROPMON_MAX_REASONS; r++)
		sum += counts[r].packets;
	return sum;
}

static void test_reason_names(void **state)
{
	struct dropmon *dm = *state;

	int r = dropmon_reason_find(dm, "NOT_SPECIFIED");

	/* 0 is SKB_NOT_DROPPED_YET on recent kernels; NOT_SPECIFIED follows it. */
	assert_true(r > 0);
	assert_string_equal(dropmon_reason_name(dm, r), "NOT_SPECIFIED");
	assert_true(dropmon_reason_find(dm, "SOCKET_RCVBUFF") > 0);
	assert_true(dropmon_reason_find(dm, "NETFILTER_DROP") > 0);
	assert_int_equal(dropmon_reason_find(dm, "NO_SUCH_REASON"), -ENOENT);
	assert_null(dropmon_reason_name(dm, DROPMON_MAX_REASONS));
}

static void test_rcvbuf_drops(void **state)
{
	struct dropmon *dm = *state;
	struct udp_pair mine, other;
	struct dropmon_key key;
	int slot, idle, rcvbuff;
	__u64 drops;

	rcvbuff = dropmon_reason_find(dm, "SOCKET_RCVBUFF");
	assert_true(rcvbuff > 0);
	pair_open(&mine);
	pair_open(&other);
	assert_int_equal(dropmon_key_init(&key, IPPROTO_UDP, (struct sockaddr *)&mine.tx_addr,
					  (struct sockaddr *)&mine.rx_addr),
			 0);
	slot = dropmon_add_flow(dm, &key);
	assert_true(slot >= 0);
	assert_int_equal(dropmon_add_flow(dm, &key), -EEXIST);
	/* A registered flow that never sends: it must stay at zero. */
	key.dport ^= 1;
	idle = dropmon_add_flow(dm, &key);
	assert_true(idle >= 0);

	pair_flood(&mine);
	drops = sock_drops(mine.rx);
	assert_true(drops > NR_SENDS / 2);
	assert_int_equal(dropmon_read(dm, slot, counts), 0);
	assert_int_equal(counts[rcvbuff].packets, drops);
	assert_int_equal(counts[rcvbuff].bytes, drops * (PAYLOAD + 8 + 20));
	assert_int_equal(total_packets(), drops);

	/* The unregistered flow overflows too, and nothing of it is counted. */
	pair_flood(&other);
	assert_true(sock_drops(other.rx) > NR_SENDS / 2);
	assert_int_equal(dropmon_read(dm, slot, counts), 0);
	assert_int_equal(total_packets(), drops);
	assert_int_equal(dropmon_read(dm, idle, counts), 0);
	assert_int_equal(total_packets(), 0);
	assert_int_equal(dropmon_read(dm, DROPMON_MAX_FLOWS, counts), -EINVAL);
	pair_close(&mine);
	pair_close(&other);
}

/* The same overflow over IPv6 loopback: the key carries 16-byte addresses. */
static void test_rcvbuf_drops_ipv6(void **state)
{
	struct sockaddr_in6 rx_addr = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in6 tx_addr = rx_addr;
	struct dropmon *dm = *state;
	socklen_t len = sizeof(rx_addr);
	struct dropmon_key key;
	char buf[PAYLOAD] = {};
	int rx, tx, zero = 0, slot, i;
	__u64 drops;

	rx = socket(AF_INET6, SOCK_DGRAM, 0);
	tx = socket(AF_INET6, SOCK_DGRAM, 0);
	assert_true(rx >= 0 && tx >= 0);
	assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero)), 0);
	if (bind(rx, (struct sockaddr *)&rx_addr, sizeof(rx_addr))) {
		print_message("SKIP: no IPv6 loopback: %s\n", strerror(errno));
		close(rx);
		close(tx);
		skip();
	}
	assert_int_equal(getsockname(rx, (struct sockaddr *)&rx_addr, &len), 0);
	assert_int_equal(bind(tx, (struct sockaddr *)&tx_addr, sizeof(tx_addr)), 0);
	assert_int_equal(getsockname(tx, (struct sockaddr *)&tx_addr, &len), 0);
	assert_int_equal(dropmon_key_init(&key, IPPROTO_UDP, (struct sockaddr *)&tx_addr,
					  (struct sockaddr *)&rx_addr),
			 0);
	slot = dropmon_add_flow(dm, &key);
	assert_true(slot >= 0);
	for (i = 0; i < NR_SENDS; i++)
		assert_int_equal(sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&rx_addr,
					sizeof(rx_addr)),
				 PAYLOAD);
	drops = sock_drops(rx);
	assert_true(drops > NR_SENDS / 2);
	assert_int_equal(dropmon_read(dm, slot, counts), 0);
	assert_int_equal(counts[dropmon_reason_find(dm, "SOCKET_RCVBUFF")].packets, drops);
	assert_int_equal(counts[dropmon_reason_find(dm, "SOCKET_RCVBUFF")].bytes,
			 drops * (PAYLOAD + 8 + 40));
	assert_int_equal(total_packets(), drops);
	close(rx);
	close(tx);
}

/*
 * Child body for the nftables case, in its own network namespace so the rule
 * touches nothing else. Returns 0 when every drop was NETFILTER_DROP, else a
 * distinct code saying which step failed.
 */
static int nft_child(void)
{
	struct dropmon_key key;
	struct udp_pair p;
	struct dropmon *dm;
	char cmd[160];
	int slot, nfdrop, i, gso = 100;
	char buf[100] = {}, big[10 * 100] = {};

	if (unshare(CLONE_NEWNET) || system("ip link set lo up"))
		return 10;
	dm = dropmon_open(NULL, 0);
	if (!dm)
		return 11;
	nfdrop = dropmon_reason_find(dm, "NETFILTER_DROP");
	p.rx = socket(AF_INET, SOCK_DGRAM, 0);
	p.tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (nfdrop <= 0 || bind_lo(p.rx, &p.rx_addr) || bind_lo(p.tx, &p.tx_addr))
		return 12;
	snprintf(cmd, sizeof(cmd),
		 "nft add table ip xfrdm && nft 'add chain ip xfrdm in { type filter hook input "
		 "priority 0; }' && nft add rule ip xfrdm in udp dport %u drop",
		 ntohs(p.rx_addr.sin_port));
	if (system(cmd))
		return 13;
	if (dropmon_key_init(&key, IPPROTO_UDP, (struct sockaddr *)&p.tx_addr,
			     (struct sockaddr *)&p.rx_addr))
		return 14;
	slot = dropmon_add_flow(dm, &key);
	if (slot < 0)
		return 15;
	for (i = 0; i < 100; i++)
		if (sendto(p.tx, buf, sizeof(buf), 0, (struct sockaddr *)&p.rx_addr,
			   sizeof(p.rx_addr)) != sizeof(buf))
			return 16;
	/* Loopback delivery may finish after sendto() returns: wait up to 1 s for it. */
	for (i = 0; i < 100; i++) {
		if (dropmon_read(dm, slot, counts))
			return 17;
		if (total_packets() >= 100)
			break;
		usleep(10000);
	}
	if (counts[nfdrop].packets != 100 || total_packets() != 100)
		return 18;
	if (counts[nfdrop].bytes != 100 * (sizeof(buf) + 28))
		return 19;
	/*
	 * One GSO send of 10 datagrams (loopback keeps it one skb up to the input
	 * hook): 10 drops of 128 bytes, as a user counts them, not one of 1028.
	 */
	if (setsockopt(p.tx, SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso)))
		return 20;
	if (sendto(p.tx, big, sizeof(big), 0, (struct sockaddr *)&p.rx_addr, sizeof(p.rx_addr)) !=
	    sizeof(big))
		return 21;
	for (i = 0; i < 100; i++) {
		if (dropmon_read(dm, slot, counts))
			return 17;
		if (total_packets() > 100)
			break;
		usleep(10000);
	}
	if (counts[nfdrop].packets != 110 || total_packets() != 110)
		return 22;
	if (counts[nfdrop].bytes != 110 * (sizeof(buf) + 28))
		return 23;
	dropmon_close(dm);
	return 0;
}

static void test_nft_drops(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (system("nft --version >/dev/null 2>&1")) {
		print_message("SKIP: nft not installed\n");
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(nft_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_detach(void **state)
{
	struct dropmon *dm;
	__u32 id;
	int fd;

	(void)state;
	dm = dropmon_open(NULL, 0);
	assert_non_null(dm);
	id = dropmon_link_id(dm);
	assert_true(id > 0);
	fd = bpf_link_get_fd_by_id(id);
	assert_true(fd >= 0);
	close(fd);
	dropmon_close(dm);
	assert_true(bpf_link_get_fd_by_id(id) < 0);
	assert_int_equal(errno, ENOENT);
}

static int setup(void **state)
{
	*state = dropmon_open(NULL, 0);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	dropmon_close(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_rcvbuf_drops),
		cmocka_unit_test(test_rcvbuf_drops_ipv6),
		cmocka_unit_test(test_nft_drops),
		cmocka_unit_test(test_detach),
	};

	if (geteuid() != 0) {
		printf("SKIP: needs root to load BPF tracing programs\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
