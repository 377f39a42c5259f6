// SPDX-License-Identifier: MIT
/*
 * Each failure is reported once: an interface that already has an XDP
 * program (here another counter of ours, a "foreign" one the receiver
 * registry does not know) makes the loader, the shared receiver
 * (user/engine/xdp/xdp_rx.c) and the XDP engine, bare or wrapped by the
 * observer engine, fail with -EBUSY and the real reason in their why, and
 * log nothing: the role (client, server) prints the one line. Runs in a
 * private network namespace with a veth pair. Needs root; otherwise prints
 * "SKIP: <reason>" and exits 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/log.h"
#include "lib/xt.h"
#include "bpf/xdp_count.h"
#include "engine/engine.h"
#include "engine/xdp/xdp_rx.h"

#define BUSY_IF	  "xbusy1" /* the receiving end: has the foreign counter */
#define LOCAL_IP  "10.77.0.2"
#define PEER_IP	  "10.77.0.1" /* not on this host: the route leads out through BUSY_IF */
#define BUSY_WHY  BUSY_IF " already has an XDP program attached"
#define PEER_PORT 5201

static struct xdp_count *foreign;
static int busy_ifindex;

/* A UDP socket on LOCAL_IP connected to PEER_IP: what a data stream hands the engine. */
static int data_socket(void)
{
	struct sockaddr_in l = {.sin_family = AF_INET}, p = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, LOCAL_IP, &l.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET, PEER_IP, &p.sin_addr), 1);
	p.sin_port = htons(PEER_PORT);
	assert_int_equal(bind(fd, (struct sockaddr *)&l, sizeof(l)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&p, sizeof(p)), 0);
	return fd;
}

static void test_loader(void **state)
{
	char why[160] = "";
	struct xdp_count *xc;
	struct xt_cap c;

	(void)state;
	xc = xdp_count_open(XDP_COUNT_DROP, why, sizeof(why));
	assert_non_null(xc);
	assert_int_equal(xt_cap_start(&c), 0);
	assert_int_equal(xdp_count_attach(xc, busy_ifindex, why, sizeof(why)), -EBUSY);
	assert_int_equal(xt_cap_end(&c), 0);
	assert_string_equal(why, BUSY_WHY);
	xdp_count_destroy(xc);
}

static void test_receiver(void **state)
{
	struct xdp_rx *rx = NULL;
	char why[160] = "";
	struct xt_cap c;

	(void)state;
	assert_int_equal(xt_cap_start(&c), 0);
	assert_int_equal(xdp_rx_get(busy_ifindex, XDP_COUNT_DROP, 0, &rx, why, sizeof(why)),
			 -EBUSY);
	assert_int_equal(xt_cap_end(&c), 0);
	assert_null(rx);
	assert_string_equal(why, BUSY_WHY);
}

/* The engine fails add_stream silently, keeps the reason, and the role's one line carries it. */
static void engine_busy(bool observed)
{
	struct engine_params p = {
		.proto = XFR_PROTO_UDP,
		.streams = 1,
		.done_fd = -1,
		.engine = XFR_ENG_XDP,
		.xdp_mode = XFR_XDP_MODE_DROP,
		.drop_reasons = observed,
	};
	struct engine *e = engine_new(&engine_xdp_ops), *m;
	char why[160] = "";
	struct xt_cap c;

	assert_non_null(e);
	assert_int_equal(e->ops->init(e, &p), 0);
	if (observed) {
		m = engine_mon_new(e, true, false, why, sizeof(why));
		assert_non_null(m);
		e = m;
	}
	assert_null(engine_last_error(e));
	assert_int_equal(xt_cap_start(&c), 0);
	assert_int_equal(e->ops->add_stream(e, 0, data_socket(), false, true, XFR_FLOW_UP), -EBUSY);
	assert_int_equal(xt_cap_end(&c), 0);
	assert_non_null(engine_last_error(e));
	assert_string_equal(engine_last_error(e), BUSY_WHY);

	/* What the role does with it: one line, with the real reason. */
	assert_int_equal(xt_cap_start(&c), 0);
	pr_err("cannot start the data streams: %s", engine_last_error(e));
	assert_int_equal(xt_cap_end(&c), 1);
	assert_string_equal(c.text, "xfr: cannot start the data streams: " BUSY_WHY "\n");
	e->ops->destroy(e);
}

static void test_engine(void **state)
{
	(void)state;
	engine_busy(false);
}

static void test_engine_observed(void **state)
{
	(void)state;
	engine_busy(true);
}

/* Returns NULL when the namespace, veth pair and a counter on it work, else the reason to skip. */
static const char *skip_reason(void)
{
	static char why[200];
	int err;

	if (geteuid() != 0)
		return "not root (XDP needs CAP_BPF + CAP_NET_ADMIN)";
	if (unshare(CLONE_NEWNET)) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s", strerror(errno));
		return why;
	}
	if (system("ip link set lo up && ip link add xbusy0 type veth peer name " BUSY_IF
		   " && ip link set xbusy0 up && ip link set " BUSY_IF " up && "
		   "ip addr add " LOCAL_IP "/24 dev " BUSY_IF))
		return "cannot create a veth pair";
	busy_ifindex = (int)if_nametoindex(BUSY_IF);
	libbpf_set_print(NULL);
	foreign = xdp_count_open(XDP_COUNT_PASS, why, sizeof(why));
	if (!foreign)
		return why;
	err = xdp_count_attach(foreign, busy_ifindex, why, sizeof(why));
	if (err < 0)
		return why;
	return NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loader),
		cmocka_unit_test(test_receiver),
		cmocka_unit_test(test_engine),
		cmocka_unit_test(test_engine_observed),
	};
	const char *why = skip_reason();
	int rc;

	if (why) {
		printf("SKIP: %s\n", why);
		return 0;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xdp_count_destroy(foreign);
	return rc;
}
