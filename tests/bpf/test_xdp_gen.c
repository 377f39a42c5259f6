// SPDX-License-Identifier: MIT
/*
 * Tests of the live-frames generator (bpf/xdp_gen.bpf.c, user/bpf/xdp_gen.c):
 * plain BPF_PROG_RUN of the stamping program, then floods across a veth pair
 * in a private network namespace, counted by the XDP counter on the peer.
 * Needs root and BPF_PROG_RUN; otherwise prints "SKIP: <reason>" and exits 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/frame.h"
#include "wire.h"
#include "bpf/xdp_count.h"
#include "bpf/xdp_gen.h"
#include "lib/xt.h"

#define SLOT	    7
#define SPORT	    40001
#define DPORT	    5201
#define FLOOD	    200000
#define VETH_TX	    "xgen0"
#define VETH_RX	    "xgen1"
#define MAX_WAIT    1000 /* ms for the receiver to drain after a run */
#define FLOOD_TRIES 3	 /* runs allowed to lose frames in the veth ring (see flood_once) */

static const uint8_t v4_src[4] = {10, 9, 0, 1}, v4_dst[4] = {10, 9, 0, 2};
static const uint8_t v6_src[16] = {0xfd, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t v6_dst[16] = {0xfd, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spec_init(struct frame_spec *s, int family, uint32_t payload_len)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	memcpy(s->src_mac, "\x02\x00\x00\x00\x09\x01", 6);
	memcpy(s->dst_mac, "\x02\x00\x00\x00\x09\x02", 6);
	memcpy(s->saddr, family == AF_INET ? v4_src : v6_src, family == AF_INET ? 4 : 16);
	memcpy(s->daddr, family == AF_INET ? v4_dst : v6_dst, family == AF_INET ? 4 : 16);
	s->sport = SPORT;
	s->dport = DPORT;
	s->payload_len = payload_len;
	s->tos = -1;
}

static struct frame_tmpl *tmpl_new(const struct frame_spec *s)
{
	struct frame_tmpl *t = malloc(sizeof(*t));

	assert_non_null(t);
	assert_int_equal(frame_build(s, t), 0);
	return t;
}

/* One plain run: the frame is the template with seq/ts stamped and a valid checksum. */
static uint64_t run_once(struct xdp_gen *g, uint32_t slot, const struct frame_tmpl *t,
			 uint64_t want_seq)
{
	static uint8_t out[FRAME_MAX], want[FRAME_MAX];
	uint64_t ts;
	uint16_t c;

	assert_int_equal(xdp_gen_test_frame(g, slot, out, sizeof(out)), (int)t->len);
	assert_int_equal(wire_get_be64(out + t->data_off), want_seq);
	ts = wire_get_be64(out + t->data_off + 8);
	assert_true(ts < 10000000); /* µs since xdp_gen_flow(): well below 10 s */
	memcpy(&c, out + t->l4_off + 6, 2);
	assert_int_equal(frame_udp_csum(out, t->len), c);
	memcpy(want, t->buf, t->len);
	frame_stamp(t, want, want_seq, ts);
	assert_memory_equal(out, want, t->len);
	return ts;
}

static void plain_runs(int family, uint32_t payload_len)
{
	struct xdp_gen *g = xdp_gen_open(NULL, 0);
	struct frame_spec s;
	struct frame_tmpl *t;
	uint64_t ts0, ts2;

	assert_non_null(g);
	spec_init(&s, family, payload_len);
	t = tmpl_new(&s);
	assert_int_equal(xdp_gen_flow(g, SLOT, t), 0);
	assert_int_equal(xdp_gen_sent(g, SLOT), 0);
	ts0 = run_once(g, SLOT, t, 0);
	run_once(g, SLOT, t, 1);
	usleep(3000);
	ts2 = run_once(g, SLOT, t, 2);
	assert_true(ts2 >= ts0 + 3000);
	assert_int_equal(xdp_gen_sent(g, SLOT), 3);
	/* Re-registering restarts the sequence. */
	assert_int_equal(xdp_gen_flow(g, SLOT, t), 0);
	run_once(g, SLOT, t, 0);
	free(t);
	xdp_gen_close(g);
}

static void test_plain_ipv4(void **state)
{
	(void)state;
	plain_runs(AF_INET, 16);
	plain_runs(AF_INET, 64);
	plain_runs(AF_INET, 1472);
}

static void test_plain_ipv6(void **state)
{
	(void)state;
	plain_runs(AF_INET6, 16);
	plain_runs(AF_INET6, 1452);
}

/* Two slots in turn: each keeps its own sequence and template. */
static void test_two_slots(void **state)
{
	struct xdp_gen *g = xdp_gen_open(NULL, 0);
	struct frame_tmpl *t4, *t6;
	struct frame_spec s;

	(void)state;
	assert_non_null(g);
	spec_init(&s, AF_INET, 100);
	t4 = tmpl_new(&s);
	spec_init(&s, AF_INET6, 200);
	t6 = tmpl_new(&s);
	assert_int_equal(xdp_gen_flow(g, 0, t4), 0);
	assert_int_equal(xdp_gen_flow(g, XDP_GEN_SLOTS - 1, t6), 0);
	run_once(g, 0, t4, 0);
	run_once(g, XDP_GEN_SLOTS - 1, t6, 0);
	run_once(g, 0, t4, 1);
	run_once(g, 0, t4, 2);
	run_once(g, XDP_GEN_SLOTS - 1, t6, 1);
	assert_int_equal(xdp_gen_sent(g, 0), 3);
	assert_int_equal(xdp_gen_sent(g, XDP_GEN_SLOTS - 1), 2);
	free(t4);
	free(t6);
	xdp_gen_close(g);
}

/*
 * Through our counter: the counter's program tail-calls the generator for
 * frames carrying our key; re-registering the flow keeps the route; without
 * the hook the run aborts.
 */
static void test_via_counter(void **state)
{
	struct xdp_gen *g = xdp_gen_open(NULL, 0);
	struct xdp_count *xc = xdp_count_open(XDP_COUNT_DROP, NULL, 0);
	uint8_t out[FRAME_MAX];
	struct frame_spec s;
	struct frame_tmpl *t;
	int tail;

	(void)state;
	assert_non_null(g);
	assert_non_null(xc);
	spec_init(&s, AF_INET, 64);
	t = tmpl_new(&s);
	assert_int_equal(xdp_gen_flow(g, SLOT, t), 0);
	assert_int_equal(xdp_count_gen_hook(xc, xdp_gen_prog_fd(g)), 0);
	tail = xdp_count_gen_hook(xc, xdp_gen_prog_fd(g));
	assert_int_equal(tail, 1);
	assert_int_equal(xdp_gen_via(g, SLOT, xdp_count_prog_fd(xc), (uint32_t)tail), 0);
	run_once(g, SLOT, t, 0);
	run_once(g, SLOT, t, 1);
	assert_int_equal(xdp_gen_flow(g, SLOT, t), 0);
	run_once(g, SLOT, t, 0);
	xdp_count_gen_unhook(xc, tail);
	assert_int_equal(xdp_gen_test_frame(g, SLOT, out, sizeof(out)), -EPROTO);
	assert_int_equal(xdp_gen_via(g, SLOT, -1, 0), 0); /* back to the generator itself */
	run_once(g, SLOT, t, 1);
	assert_int_equal(xdp_gen_via(g, SLOT, -1, XDP_GEN_TAILS), -EINVAL);
	assert_int_equal(xdp_gen_via(g, SLOT + 1, -1, 0), -EINVAL); /* no flow there */
	free(t);
	xdp_count_destroy(xc);
	xdp_gen_close(g);
}

static void test_bad_args(void **state)
{
	struct xdp_gen *g = xdp_gen_open(NULL, 0);
	uint8_t out[FRAME_MAX];
	struct frame_spec s;
	struct frame_tmpl *t;

	(void)state;
	assert_non_null(g);
	spec_init(&s, AF_INET, 64);
	t = tmpl_new(&s);
	assert_int_equal(xdp_gen_flow(g, XDP_GEN_SLOTS, t), -EINVAL);
	assert_int_equal(xdp_gen_test_frame(g, 1, out, sizeof(out)), -EINVAL); /* no flow */
	assert_int_equal(xdp_gen_run(g, 1, 1, 10, 0), -EINVAL);
	assert_int_equal(xdp_gen_flow(g, 1, t), 0);
	assert_int_equal(xdp_gen_run(g, 1, 1, 0, 0), 0);
	assert_int_equal(xdp_gen_sent(g, 1), 0);
	assert_int_equal(xdp_gen_test_frame(g, 1, out, 10), -EMSGSIZE);
	/*
	 * Live frames take one page at most: 3408-byte frames run (on lo, which
	 * drops them: no ndo_xdp_xmit), larger templates are refused up front.
	 */
	/* 3408 on 6.18; smaller on older kernels (probed by xdp_gen_open). */
	assert_true(xdp_gen_max_frame(g) >= 2048 && xdp_gen_max_frame(g) <= 3408);
	spec_init(&s, AF_INET, xdp_gen_max_frame(g) - 42);
	assert_int_equal(frame_build(&s, t), 0);
	assert_int_equal(xdp_gen_flow(g, 2, t), 0);
	assert_int_equal(xdp_gen_run(g, 2, 1, 3, 0), 3);
	assert_int_equal(xdp_gen_sent(g, 2), 3);
	spec_init(&s, AF_INET, xdp_gen_max_frame(g) - 42 + 1);
	assert_int_equal(frame_build(&s, t), 0);
	assert_int_equal(xdp_gen_flow(g, 2, t), -EMSGSIZE);
	spec_init(&s, AF_INET6, 8000);
	assert_int_equal(frame_build(&s, t), 0);
	assert_int_equal(xdp_gen_flow(g, 2, t), -EMSGSIZE);
	free(t);
	xdp_gen_close(g);
}

/* Waits until the receiver counted @n packets of @slot (or MAX_WAIT ms passed). */
static struct xdp_count_stats wait_count(struct xdp_count *xc, uint32_t slot, uint64_t n)
{
	struct xdp_count_stats st;
	int i;

	for (i = 0; i < MAX_WAIT * 10; i++) {
		assert_int_equal(xdp_count_read(xc, slot, &st), 0);
		if (st.packets >= n)
			break;
		usleep(100);
	}
	return st;
}

struct flood {
	int tx_if, rx_if;
	struct frame_spec spec;
	struct frame_tmpl *t;
	struct xdp_count *xc;
	struct xdp_gen *g;
};

/* Netns + veth, the counter on VETH_RX, a frame from VETH_TX's MAC to VETH_RX's. */
static void flood_setup(struct flood *f, int family, uint32_t payload_len, uint32_t mode)
{
	xt_skip_if(xt_netns_veth(VETH_TX, VETH_RX));
	f->tx_if = (int)if_nametoindex(VETH_TX);
	f->rx_if = (int)if_nametoindex(VETH_RX);
	assert_true(f->tx_if > 0 && f->rx_if > 0);
	spec_init(&f->spec, family, payload_len);
	assert_int_equal(xt_if_mac(VETH_TX, f->spec.src_mac), 0);
	assert_int_equal(xt_if_mac(VETH_RX, f->spec.dst_mac), 0);
	f->t = tmpl_new(&f->spec);
	f->xc = xdp_count_open(mode, NULL, 0);
	assert_non_null(f->xc);
	assert_int_equal(xdp_count_attach(f->xc, f->rx_if, NULL, 0), 0);
	f->g = xdp_gen_open(NULL, 0);
	assert_non_null(f->g);
}

/* (Re)starts the flow on both ends: sequence 0, counters 0. */
static void flood_restart(struct flood *f)
{
	struct xdp_flow_key key;

	xdp_count_key(&key, f->spec.family, f->spec.saddr, f->spec.daddr, htons(SPORT),
		      htons(DPORT));
	assert_int_equal(xdp_count_add_flow(f->xc, &key, SLOT), 0);
	assert_int_equal(xdp_gen_flow(f->g, SLOT, f->t), 0);
}

static void flood_teardown(struct flood *f)
{
	xdp_gen_close(f->g);
	xdp_count_destroy(f->xc);
	free(f->t);
}

/*
 * One run of FLOOD frames at full speed; true when the receiver counted them
 * all. The sending veth drops what its peer's 256-frame ring cannot take
 * (ethtool -S: xdp_xmit_errors) when the receiving softirq is deferred to
 * ksoftirqd, which this VM does in about one run of 40: such a run shows as a
 * shortfall with nothing else wrong, and the caller runs again.
 */
static bool flood_once(struct flood *f)
{
	struct xdp_count_stats st;
	double t0, dt;
	int ret;

	flood_restart(f);
	t0 = now_s();
	ret = xdp_gen_run(f->g, SLOT, f->tx_if, FLOOD, 64);
	dt = now_s() - t0;
	if (ret == -EOPNOTSUPP) {
		print_message("SKIP: kernel without live frames\n");
		skip();
	}
	assert_int_equal(ret, FLOOD);
	assert_int_equal(xdp_gen_sent(f->g, SLOT), FLOOD);
	st = wait_count(f->xc, SLOT, FLOOD);
	print_message("%s payload %u: %d frames in %.3f s = %.2f Mpps, %llu counted "
		      "(informational)\n",
		      f->spec.family == AF_INET ? "IPv4" : "IPv6", f->spec.payload_len, FLOOD, dt,
		      FLOOD / dt / 1e6, (unsigned long long)st.packets);
	assert_int_equal(st.duplicates + st.out_of_order + st.malformed, 0);
	assert_true(st.packets <= FLOOD);
	if (st.packets < FLOOD)
		return false;
	assert_int_equal(st.bytes, (uint64_t)FLOOD * f->spec.payload_len);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.next_seq, FLOOD);
	return true;
}

static void veth_flood(int family, uint32_t payload_len)
{
	struct flood f;

	int tries = 0;

	flood_setup(&f, family, payload_len, XDP_COUNT_DROP);
	while (!flood_once(&f))
		assert_true(++tries < FLOOD_TRIES);
	flood_teardown(&f);
}

/*
 * A sender that also receives on its interface (--bidir): our counter holds
 * VETH_TX, so the generator runs as its tail call; every frame still reaches
 * the far counter, and runs of 64 frames cost no dispatcher update (timed
 * for information only).
 */
static void test_veth_via_counter(void **state)
{
	struct xdp_count *own;
	struct flood f;
	double t0, dt;
	int tail, tries = 0, runs = 0, ret;

	(void)state;
	flood_setup(&f, AF_INET, 64, XDP_COUNT_DROP);
	own = xdp_count_open(XDP_COUNT_DROP, NULL, 0);
	assert_non_null(own);
	assert_int_equal(xdp_count_attach(own, f.tx_if, NULL, 0), 0);
	tail = xdp_count_gen_hook(own, xdp_gen_prog_fd(f.g));
	assert_true(tail >= 0);
	for (;;) {
		flood_restart(&f);
		assert_int_equal(xdp_gen_via(f.g, SLOT, xdp_count_prog_fd(own), (uint32_t)tail), 0);
		t0 = now_s();
		for (runs = 0; runs < FLOOD / 64; runs++) {
			ret = xdp_gen_run(f.g, SLOT, f.tx_if, 64, 64);
			if (ret == -EOPNOTSUPP) {
				print_message("SKIP: kernel without live frames\n");
				skip();
			}
			assert_int_equal(ret, 64);
		}
		dt = now_s() - t0;
		if (wait_count(f.xc, SLOT, FLOOD).packets == FLOOD)
			break;
		assert_true(++tries < FLOOD_TRIES);
	}
	print_message("%d runs of 64 frames through the counter in %.3f s (%.1f us/run, "
		      "informational)\n",
		      runs, dt, dt / runs * 1e6);
	assert_int_equal(xdp_gen_sent(f.g, SLOT), FLOOD);
	xdp_count_gen_unhook(own, tail);
	xdp_count_destroy(own);
	flood_teardown(&f);
}

/* The kernel's UDP checksum error counter of @family in this netns. */
static long csum_errors(int family)
{
	const char *path = family == AF_INET ? "/proc/net/snmp" : "/proc/net/snmp6";
	char line[1024], *p;
	long v = -1;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		if (family == AF_INET6) {
			if (sscanf(line, "Udp6InCsumErrors %ld", &v) == 1)
				break;
			continue;
		}
		/* "Udp: ... InCsumErrors ..." names, then the values line: the 7th value. */
		if (!strncmp(line, "Udp: ", 5) && line[5] >= '0' && line[5] <= '9') {
			p = line + 5;
			for (int i = 0; i < 6 && p; i++)
				p = strchr(p + 1, ' ');
			v = p ? strtol(p, NULL, 10) : -1;
			break;
		}
	}
	fclose(fp);
	assert_true(v >= 0);
	return v;
}

static int udp_listen(int family)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(DPORT)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(DPORT)};
	struct timeval tv = {.tv_sec = 2};
	int fd = socket(family, SOCK_DGRAM, 0), sz = 8 << 20;

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (family == AF_INET)
		assert_int_equal(bind(fd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	else
		assert_int_equal(bind(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	return fd;
}

/*
 * The checksums on the wire, after pages were reused with older stamps: with
 * the counter passing, the receiving stack verifies every UDP checksum and a
 * socket gets every frame in sequence. A template with a wrong checksum shows
 * as InCsumErrors instead, so the check is real.
 */
static void veth_socket(int family)
{
	uint8_t buf[2048];
	struct flood f;
	uint64_t seq = 0, ts = 0;
	long errs;
	int fd, i;

	flood_setup(&f, family, 64, XDP_COUNT_PASS);
	assert_int_equal(system(family == AF_INET ? "ip addr add 10.9.0.2/24 dev " VETH_RX
						  : "ip -6 addr add fd00:9::2/64 dev " VETH_RX
						    " nodad"),
			 0);
	fd = udp_listen(family);
	flood_restart(&f);
	/* One clock read per run (and per 64 frames): a run's 32 frames share it. */
	for (int run = 0; run < 8; run++) {
		uint64_t ts_prev = ts, ts_run = 0;

		assert_int_equal(xdp_gen_run(f.g, SLOT, f.tx_if, 32, 8), 32);
		for (i = 0; i < 32; i++, seq++) {
			assert_int_equal(recv(fd, buf, sizeof(buf), 0), 64);
			assert_int_equal(wire_get_be64(buf), seq);
			ts = wire_get_be64(buf + 8);
			if (!i)
				ts_run = ts;
			assert_int_equal(ts, ts_run);
		}
		if (run)
			assert_true(ts >= ts_prev + 2000);
		usleep(2000);
	}
	/* 130 frames in one run: stamps in groups of 64 from the run's start. */
	assert_int_equal(xdp_gen_run(f.g, SLOT, f.tx_if, 130, 64), 130);
	for (i = 0; i < 130; i++, seq++) {
		uint64_t prev = ts;

		assert_int_equal(recv(fd, buf, sizeof(buf), 0), 64);
		assert_int_equal(wire_get_be64(buf), seq);
		ts = wire_get_be64(buf + 8);
		assert_true(ts >= prev);
		if (i % 64)
			assert_int_equal(ts, prev);
	}
	errs = csum_errors(family);
	f.t->csum0 ^= htons(1);
	memcpy(f.t->buf + f.t->l4_off + 6, &f.t->csum0, 2);
	flood_restart(&f);
	assert_int_equal(xdp_gen_run(f.g, SLOT, f.tx_if, 32, 8), 32);
	assert_int_equal(wait_count(f.xc, SLOT, 32).packets, 32);
	usleep(20000);
	assert_int_equal(csum_errors(family) - errs, 32);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	close(fd);
	flood_teardown(&f);
}

static void test_veth_socket_ipv4(void **state)
{
	(void)state;
	veth_socket(AF_INET);
}

static void test_veth_socket_ipv6(void **state)
{
	(void)state;
	veth_socket(AF_INET6);
}

static void test_veth_ipv4(void **state)
{
	(void)state;
	veth_flood(AF_INET, 64);
}

static void test_veth_ipv6(void **state)
{
	(void)state;
	veth_flood(AF_INET6, 64);
}

static void test_veth_ipv4_1472(void **state)
{
	(void)state;
	veth_flood(AF_INET, 1472);
}

/* NULL when the generator loads and runs, else the reason to skip. */
static const char *skip_reason(void)
{
	static struct frame_tmpl t;
	uint8_t out[FRAME_MAX];
	struct frame_spec s;
	struct xdp_gen *g;
	int rc;

	if (geteuid() != 0)
		return "not root (BPF_PROG_RUN needs CAP_BPF + CAP_NET_ADMIN)";
	libbpf_set_print(NULL);
	g = xdp_gen_open(NULL, 0);
	if (!g)
		return xt_why("cannot load the generator", errno);
	spec_init(&s, AF_INET, 16);
	rc = frame_build(&s, &t);
	if (!rc)
		rc = xdp_gen_flow(g, 0, &t);
	if (!rc)
		rc = xdp_gen_test_frame(g, 0, out, sizeof(out));
	xdp_gen_close(g);
	return rc < 0 ? xt_why("BPF_PROG_RUN unavailable", -rc) : NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_ipv4),	 cmocka_unit_test(test_plain_ipv6),
		cmocka_unit_test(test_two_slots),	 cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_via_counter),	 cmocka_unit_test(test_veth_via_counter),
		cmocka_unit_test(test_veth_ipv4),	 cmocka_unit_test(test_veth_ipv6),
		cmocka_unit_test(test_veth_ipv4_1472),	 cmocka_unit_test(test_veth_socket_ipv4),
		cmocka_unit_test(test_veth_socket_ipv6),
	};
	const char *why = skip_reason();

	if (why) {
		printf("SKIP: %s\n", why);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
