// SPDX-License-Identifier: MIT
/* Unit tests: the path-MTU probe (mtuprobe.c) against a responder thread on loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/mtuprobe.h"
#include "lib/xt.h"
#include "wire.h"

struct responder {
	int fd;
	uint32_t drop_above; /* ignore probes and echo requests declaring more; 0 = none */
	atomic_bool stop;
	pthread_t thread;
	unsigned answered;
};

static unsigned char rbuf[65536];

static void *responder_main(void *arg)
{
	struct responder *r = arg;
	struct pollfd pf = {.fd = r->fd, .events = POLLIN};

	while (!atomic_load(&r->stop)) {
		ssize_t n;

		if (poll(&pf, 1, 10) <= 0)
			continue;
		n = recv(r->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		/* A path that loses everything above drop_above, without an ICMP. */
		if (r->drop_above && n >= XFR_PROBE_HDR_LEN &&
		    wire_get_be16(rbuf + 12) > r->drop_above)
			continue;
		if (mtuprobe_respond(r->fd, rbuf, (size_t)n) == 1)
			r->answered++;
	}
	return NULL;
}

static struct xfr_mtu_result res;

static int run_probe(int family, uint32_t drop_above, bool respond, int stop_fd,
		     struct responder *r)
{
	int fds[2], err;

	memset(r, 0, sizeof(*r));
	err = xt_udp_pair_af(family, family, &fds[0], &fds[1]);
	if (err)
		return -1000 + err;
	r->fd = fds[1];
	r->drop_above = drop_above;
	if (respond)
		assert_int_equal(pthread_create(&r->thread, NULL, responder_main, r), 0);
	err = mtuprobe_run(fds[0], family == AF_INET6, stop_fd, 60, &res); /* short: a test */
	if (respond) {
		atomic_store(&r->stop, true);
		pthread_join(r->thread, NULL);
	}
	close(fds[0]);
	close(fds[1]);
	return err;
}

static void check_ascending(void)
{
	assert_true(res.nsizes > 0);
	for (uint32_t i = 1; i < res.nsizes; i++)
		assert_true(res.sizes[i - 1].payload < res.sizes[i].payload);
	for (uint32_t i = 0; i < res.nsizes; i++)
		assert_int_equal(res.sizes[i].attempts, MTUPROBE_ATTEMPTS);
}

static const struct xfr_mtu_size *find(uint32_t payload)
{
	for (uint32_t i = 0; i < res.nsizes; i++)
		if (res.sizes[i].payload == payload)
			return &res.sizes[i];
	return NULL;
}

static void check_pass(uint32_t payload)
{
	const struct xfr_mtu_size *s = find(payload);

	assert_non_null(s);
	assert_int_equal(s->forward, XFR_MTU_PASS);
	assert_int_equal(s->reverse, XFR_MTU_PASS);
	/* Normally 3/3; a loaded machine may miss the short test timeout once. */
	assert_in_range(s->forward_ok, 1, MTUPROBE_ATTEMPTS);
	assert_in_range(s->reverse_ok, 1, MTUPROBE_ATTEMPTS);
}

/* Loopback (MTU 65536): every ladder step and the largest UDP payload pass. */
static void test_loopback_v4(void **state)
{
	struct responder r;

	(void)state;
	assert_int_equal(run_probe(AF_INET, 0, true, -1, &r), 0);
	assert_false(res.ipv6);
	check_ascending();
	for (uint32_t i = 0; i < res.nsizes; i++)
		check_pass(res.sizes[i].payload);
	check_pass(576 - 28);
	check_pass(1500 - 28);
	check_pass(9216 - 28);
	assert_int_equal(res.sizes[res.nsizes - 1].payload, XFR_UDP_MAX_PAYLOAD);
	assert_int_equal(res.nsizes, 8); /* 7 ladder steps and the cap */
	assert_int_equal(res.forward_max_payload, XFR_UDP_MAX_PAYLOAD);
	assert_int_equal(res.reverse_max_payload, XFR_UDP_MAX_PAYLOAD);
	assert_int_equal(res.forward_path_mtu, XFR_UDP_MAX_PAYLOAD + 28);
	assert_int_equal(res.reverse_path_mtu, XFR_UDP_MAX_PAYLOAD + 28);
}

/* A path that drops everything above a 1500-byte MTU, silently. */
static void test_path_1500(void **state)
{
	struct responder r;
	const struct xfr_mtu_size *s;

	(void)state;
	assert_int_equal(run_probe(AF_INET, 1472, true, -1, &r), 0);
	check_ascending();
	assert_int_equal(res.forward_max_payload, 1472);
	assert_int_equal(res.reverse_max_payload, 1472);
	assert_int_equal(res.forward_path_mtu, 1500);
	assert_int_equal(res.reverse_path_mtu, 1500);
	check_pass(1464);
	check_pass(1472);
	/* 4352 settles the ladder, 1473 the search: both blocked both ways. */
	s = find(4352 - 28);
	assert_non_null(s);
	assert_int_equal(s->forward, XFR_MTU_FAIL);
	assert_int_equal(s->reverse, XFR_MTU_FAIL);
	assert_int_equal(s->forward_ok, 0);
	s = find(1473);
	assert_non_null(s);
	assert_int_equal(s->forward, XFR_MTU_FAIL);
	assert_int_equal(s->reverse, XFR_MTU_FAIL);
	assert_null(find(9000 - 28)); /* above the first failure: never tried */
	assert_int_equal(res.nsizes, 6);
}

/* A path MTU off the ladder: the binary search finds it to the byte. */
static void test_path_off_ladder(void **state)
{
	struct responder r;

	(void)state;
	assert_int_equal(run_probe(AF_INET, 1400, true, -1, &r), 0);
	check_ascending();
	assert_int_equal(res.forward_max_payload, 1400);
	assert_int_equal(res.reverse_max_payload, 1400);
	assert_int_equal(res.forward_path_mtu, 1428);
	check_pass(1400);
	assert_int_equal(find(1401)->forward, XFR_MTU_FAIL);
	assert_int_equal(find(1401)->reverse, XFR_MTU_FAIL);
	assert_int_equal(find(1464)->forward, XFR_MTU_FAIL);
}

/* IPv6 loopback: 65507 + 48 exceeds the interface MTU of 65536 on both ends. */
static void test_loopback_v6(void **state)
{
	struct responder r;
	const struct xfr_mtu_size *s;
	int err;

	(void)state;
	err = run_probe(AF_INET6, 0, true, -1, &r);
	if (err <= -1000) {
		skip(); /* no ::1 here */
		return;
	}
	assert_int_equal(err, 0);
	assert_true(res.ipv6);
	check_ascending();
	assert_null(find(576 - 48)); /* below the IPv6 minimum MTU */
	check_pass(1280 - 48);
	check_pass(9216 - 48);
	s = find(XFR_UDP_MAX_PAYLOAD);
	assert_non_null(s);
	assert_int_equal(s->forward, XFR_MTU_LOCAL_LIMIT);
	assert_int_equal(s->reverse, XFR_MTU_LOCAL_LIMIT); /* reported by the responder */
	assert_int_equal(res.forward_max_payload, 65536 - 48);
	assert_int_equal(res.reverse_max_payload, 65536 - 48);
	assert_int_equal(res.forward_path_mtu, 65536);
	assert_int_equal(res.reverse_path_mtu, 65536);
}

/* Nobody answers: the smallest step fails both ways, nothing above is tried. */
static void test_no_responder(void **state)
{
	struct responder r;

	(void)state;
	assert_int_equal(run_probe(AF_INET, 0, false, -1, &r), 0);
	assert_int_equal(res.nsizes, 1);
	assert_int_equal(res.sizes[0].payload, 548);
	assert_int_equal(res.sizes[0].forward, XFR_MTU_FAIL);
	assert_int_equal(res.sizes[0].reverse, XFR_MTU_FAIL);
	assert_int_equal(res.forward_max_payload, 0);
	assert_int_equal(res.reverse_max_payload, 0);
	assert_int_equal(res.forward_path_mtu, 0);
	assert_int_equal(res.reverse_path_mtu, 0);
}

/* Ctrl+C: a readable stop fd ends the probe at once. */
static void test_stop(void **state)
{
	struct responder r;
	int efd = eventfd(1, EFD_CLOEXEC);
	uint64_t v;

	(void)state;
	assert_true(efd >= 0);
	assert_int_equal(run_probe(AF_INET, 0, true, efd, &r), -EINTR);
	assert_int_equal(res.forward_max_payload, 0);
	assert_int_equal(read(efd, &v, sizeof(v)), sizeof(v)); /* polled, not read */
	assert_int_equal(v, 1);
	close(efd);
}

static void test_respond_rejects(void **state)
{
	unsigned char p[64] = "XFRP\x01\x01\x00\x00\x00\x00\x00\x07\x00\x40\x00\x00";
	unsigned char got[64];
	int fds[2];

	(void)state;
	assert_int_equal(xt_udp_pair(&fds[0], &fds[1]), 0);
	assert_true(mtuprobe_is_probe(p, 16));
	assert_false(mtuprobe_is_probe(p, 15));
	/* Not ours: a data datagram. */
	assert_int_equal(mtuprobe_respond(fds[1], "\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\2", 16), 0);
	/* A probe declaring 64 bytes but 63 long: ours, not answered. */
	assert_int_equal(mtuprobe_respond(fds[1], p, 63), 1);
	p[4] = 2; /* version */
	assert_false(mtuprobe_is_probe(p, 64));
	assert_int_equal(mtuprobe_respond(fds[1], p, 64), 0);
	p[4] = 1;
	p[5] = 9; /* kind */
	assert_int_equal(mtuprobe_respond(fds[1], p, 64), 1);
	assert_int_equal(recv(fds[0], got, sizeof(got), MSG_DONTWAIT), -1);
	/* The valid probe is answered with a 16-byte ack: same seq and size. */
	p[5] = 1;
	assert_int_equal(mtuprobe_respond(fds[1], p, 64), 1);
	assert_int_equal(recv(fds[0], got, sizeof(got), MSG_DONTWAIT), 16);
	assert_memory_equal(got, "XFRP\x01\x02\x00\x00\x00\x00\x00\x07\x00\x40\x00\x00", 16);
	/* An echo request of 16 bytes asking for 64: a 64-byte probe comes back. */
	p[5] = 3;
	assert_int_equal(mtuprobe_respond(fds[1], p, 17), 1); /* echo must be 16 bytes */
	assert_int_equal(mtuprobe_respond(fds[1], p, 16), 1);
	assert_int_equal(recv(fds[0], got, sizeof(got), MSG_DONTWAIT), 64);
	assert_memory_equal(got, "XFRP\x01\x01\x00\x00\x00\x00\x00\x07\x00\x40\x00\x00", 16);
	assert_int_equal(recv(fds[0], got, sizeof(got), MSG_DONTWAIT), -1);
	close(fds[0]);
	close(fds[1]);
}

static int setup(void **state)
{
	(void)state;
	memset(&res, 0, sizeof(res));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_loopback_v4, setup),
		cmocka_unit_test_setup(test_path_1500, setup),
		cmocka_unit_test_setup(test_path_off_ladder, setup),
		cmocka_unit_test_setup(test_loopback_v6, setup),
		cmocka_unit_test_setup(test_no_responder, setup),
		cmocka_unit_test_setup(test_stop, setup),
		cmocka_unit_test_setup(test_respond_rejects, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
