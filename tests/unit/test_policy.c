// SPDX-License-Identifier: MIT
/*
 * The server's admission arithmetic (server/policy.h): the per-address
 * table, the descriptor plan, a test's descriptor estimate and the
 * --max-bandwidth rules.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/policy.h"

static struct sockaddr_storage v4(const char *ip)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	in->sin_family = AF_INET;
	in->sin_port = htons(1234);
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	return ss;
}

static struct policy_key key(struct sockaddr_storage ss)
{
	struct policy_key k;

	assert_true(policy_key_of((struct sockaddr *)&ss, &k));
	return k;
}

/* ::ffff:a.b.c.d is a.b.c.d; an IPv6 /64 is one client; ports do not matter. */
static void test_keys(void **state)
{
	struct policy_key a, b;
	struct sockaddr_storage unix_ss = {.ss_family = AF_UNIX};

	(void)state;
	a = key(v4("192.0.2.7"));
	b = key(v6("::ffff:192.0.2.7", 9));
	assert_memory_equal(&a, &b, sizeof(a));
	b = key(v4("192.0.2.8"));
	assert_memory_not_equal(&a, &b, sizeof(a));
	a = key(v6("2001:db8:1:2::1", 1));
	b = key(v6("2001:db8:1:2:ffff:1:2:3", 2));
	assert_memory_equal(&a, &b, sizeof(a));
	b = key(v6("2001:db8:1:3::1", 1));
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* an IPv6 address whose /64 looks like the mapped prefix is not an IPv4 client */
	a = key(v6("::1", 1));
	b = key(v4("0.0.0.1"));
	assert_memory_not_equal(&a, &b, sizeof(a));
	assert_false(policy_key_of((struct sockaddr *)&unix_ss, &a));
}

static void test_table(void **state)
{
	struct policy_iptab t;
	struct policy_key k1 = key(v4("10.0.0.1")), k2 = key(v6("::ffff:10.0.0.1", 5)),
			  k3 = key(v4("10.0.0.2"));
	struct policy_ip *a, *b, *c;

	(void)state;
	assert_int_equal(policy_iptab_init(&t, 3, 42), 0);
	assert_int_equal(t.nbuckets, 16);
	a = policy_ip_get(&t, &k1);
	assert_non_null(a);
	assert_int_equal(a->tests + a->pending + a->expect, 0);
	a->pending++;
	b = policy_ip_get(&t, &k2);
	assert_ptr_equal(a, b); /* the same client */
	c = policy_ip_get(&t, &k3);
	assert_ptr_not_equal(a, c);
	assert_int_equal(t.n, 2);
	policy_ip_put(&t, c); /* holds nothing: gone */
	assert_int_equal(t.n, 1);
	policy_ip_put(&t, a); /* holds a pending connection: stays */
	assert_int_equal(t.n, 1);
	assert_ptr_equal(policy_ip_get(&t, &k1), a);
	assert_int_equal(a->pending, 1);
	a->pending--;
	a->expect = 3;
	policy_ip_put(&t, a);
	assert_int_equal(t.n, 1);
	a->expect = 0;
	a->streams = 4;
	policy_ip_put(&t, a);
	assert_int_equal(t.n, 1);
	a->streams = 0;
	policy_ip_put(&t, a);
	assert_int_equal(t.n, 0);
	policy_ip_put(&t, NULL);
	policy_iptab_fini(&t);
}

/* Many addresses, every bucket chain found again and emptied. */
static void test_table_many(void **state)
{
	struct policy_iptab t;
	struct policy_ip *e[2000];
	struct sockaddr_storage ss;
	struct policy_key k;

	(void)state;
	assert_int_equal(policy_iptab_init(&t, 64, 7), 0);
	for (uint32_t i = 0; i < 2000; i++) {
		ss = v4("10.0.0.0");
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(0x0a000000 + i);
		k = key(ss);
		e[i] = policy_ip_get(&t, &k);
		assert_non_null(e[i]);
		e[i]->tests = 1;
	}
	assert_int_equal(t.n, 2000);
	for (uint32_t i = 0; i < 2000; i++) {
		ss = v4("10.0.0.0");
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(0x0a000000 + i);
		k = key(ss);
		assert_ptr_equal(policy_ip_get(&t, &k), e[i]);
		e[i]->tests = 0;
		policy_ip_put(&t, e[i]);
	}
	assert_int_equal(t.n, 0);
	policy_iptab_fini(&t);
}

static void test_fd_plan(void **state)
{
	struct policy_fds p;

	(void)state;
	/* plenty: the gates as asked, the rest for tests */
	policy_fd_plan(20000, 100, 400, &p);
	assert_int_equal(p.tests, 100);
	assert_int_equal(p.pending, 400);
	assert_int_equal(p.data, 20000 - POLICY_FD_FIXED - 500);
	assert_false(p.shrunk);
	/* the usual 1024: the pending gate gives way to a quarter */
	policy_fd_plan(1024, 100, 400, &p);
	assert_int_equal(p.tests, 100);
	assert_int_equal(p.pending, (1024 - POLICY_FD_FIXED) / 4);
	assert_true(p.shrunk);
	assert_true(p.data >= (1024 - POLICY_FD_FIXED) / 2);
	/* ulimit -n 300: both gates shrink, half of what is left stays for tests */
	policy_fd_plan(300, 100, 400, &p);
	assert_int_equal(p.tests, 67);
	assert_int_equal(p.pending, 67);
	assert_int_equal(p.data, 300 - POLICY_FD_FIXED - 134);
	/* absurdly low: still one of each, nothing wraps */
	policy_fd_plan(10, 100, 400, &p);
	assert_int_equal(p.tests, 1);
	assert_int_equal(p.pending, 1);
	assert_int_equal(p.data, 0);
}

static void test_test_fds(void **state)
{
	(void)state;
	/* data_hello on the shared port: the streams' sockets and the run core */
	assert_int_equal(policy_test_fds(128, POLICY_PORTS_TCP_SHARED, false, false),
			 128 + POLICY_FD_RUN);
	/* a listener per stream on top, and the ack duplicates of single-port UDP */
	assert_int_equal(policy_test_fds(128, POLICY_PORTS_TCP_LISTEN, false, false),
			 256 + POLICY_FD_RUN);
	assert_int_equal(policy_test_fds(4, POLICY_PORTS_UDP_SHARED, false, false),
			 8 + POLICY_FD_RUN);
	assert_int_equal(policy_test_fds(4, POLICY_PORTS_UDP_OWN, false, false), 4 + POLICY_FD_RUN);
	/* the XDP engines duplicate each socket and bring their own; observers theirs */
	assert_int_equal(policy_test_fds(4, POLICY_PORTS_UDP_SHARED, true, true),
			 8 + POLICY_FD_RUN + 4 + POLICY_FD_KERNEL + POLICY_FD_OBSERVE);
	/* five 128-stream starts without single-port TCP do not fit in 300 descriptors */
	struct policy_fds p;

	policy_fd_plan(300, 100, 400, &p);
	assert_true(policy_test_fds(128, POLICY_PORTS_TCP_LISTEN, false, false) > p.data);
	assert_true(policy_test_fds(1, POLICY_PORTS_TCP_SHARED, false, false) <= p.data);
}

static void test_streams_per_ip(void **state)
{
	(void)state;
	assert_int_equal(policy_streams_per_ip(1024, 128), 512);
	assert_int_equal(policy_streams_per_ip(100, 128), 128); /* one largest test always */
	assert_int_equal(policy_streams_per_ip(6, 4), 4);
	assert_int_equal(policy_streams_per_ip(0, 128), 0);
}

static void test_mem_budget(void **state)
{
	(void)state;
	assert_int_equal(policy_mem_budget(0, 24ull << 30), 1ull << 30);   /* the default */
	assert_int_equal(policy_mem_budget(0, 2ull << 30), 512ull << 20);  /* a quarter of RAM */
	assert_int_equal(policy_mem_budget(0, 128ull << 20), 64ull << 20); /* never under 64 MiB */
	assert_int_equal(policy_mem_budget(0, 0), 1ull << 30);		   /* RAM unknown */
	assert_int_equal(policy_mem_budget(8ull << 20, 24ull << 30), 8ull << 20); /* --max-memory */
	assert_int_equal(policy_mem_per_ip(1ull << 30), 512ull << 20);
}

static void test_rates(void **state)
{
	(void)state;
	/* no cap: anything, unlimited included */
	assert_true(policy_rate_ok(0, 0));
	assert_true(policy_rate_ok(0, 10000000000ULL));
	assert_int_equal(policy_rate_clamp(0, 0), 0);
	assert_int_equal(policy_rate_clamp(0, 5), 5);
	/* a cap: a sending client must ask, and for no more */
	assert_false(policy_rate_ok(100000000, 0));
	assert_false(policy_rate_ok(100000000, 100000001));
	assert_true(policy_rate_ok(100000000, 100000000));
	assert_true(policy_rate_ok(100000000, 1000));
	/* our own senders: unlimited or more becomes the cap, less stays */
	assert_int_equal(policy_rate_clamp(100000000, 0), 100000000);
	assert_int_equal(policy_rate_clamp(100000000, 1000000000), 100000000);
	assert_int_equal(policy_rate_clamp(100000000, 1000), 1000);
	/* what a receiver may see: a quarter on top and 256 KiB of burst */
	assert_int_equal(policy_rate_allowance(8000000, 1.0), 1250000 + 262144);
	assert_int_equal(policy_rate_allowance(8000000, 0), 262144);
	assert_int_equal(policy_rate_allowance(8000000, -1), 262144);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),	   cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_many), cmocka_unit_test(test_fd_plan),
		cmocka_unit_test(test_test_fds),   cmocka_unit_test(test_streams_per_ip),
		cmocka_unit_test(test_mem_budget), cmocka_unit_test(test_rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
