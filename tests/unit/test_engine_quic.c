// SPDX-License-Identifier: MIT
/*
 * QUIC engine tests without root: a server engine and a client engine on two
 * connected UDP sockets over loopback, as the single-port hello leaves them.
 * The server's certificate is made in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine.h"
#include "quic/quic.h"
#include "quic/quic_tls.h"

static char fpr[QUIC_FPR_LEN];
static char dir[] = "/tmp/xfr-quic-XXXXXX";
static struct engine_sample sa;

static int udp_bound(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	*a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

/* Two UDP sockets connected to each other: [0] the client's, [1] the server's. */
static void udp_pair(int fds[2])
{
	struct sockaddr_in a, b;

	fds[0] = udp_bound(&a);
	fds[1] = udp_bound(&b);
	assert_int_equal(connect(fds[0], (struct sockaddr *)&b, sizeof(b)), 0);
	assert_int_equal(connect(fds[1], (struct sockaddr *)&a, sizeof(a)), 0);
}

static int setup(void **state)
{
	char why[200];

	(void)state;
	assert_non_null(mkdtemp(dir));
	if (quic_tls_server_load(dir, NULL, NULL, fpr, why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	return 0;
}

struct pair {
	struct engine *srv, *cli;
	int done_srv, done_cli;
};

/* Server sends (download) on one stream; the client pins pin. */
static int pair_start(struct pair *pr, uint64_t budget, uint64_t bitrate, const char *pin)
{
	struct engine_params p = {
		.proto = XFR_PROTO_QUIC, .streams = 1, .byte_budget = budget, .bitrate = bitrate};
	int fds[2], err;

	udp_pair(fds);
	pr->done_srv = eventfd(0, EFD_CLOEXEC);
	pr->done_cli = eventfd(0, EFD_CLOEXEC);
	pr->srv = engine_new(&engine_quic_ops);
	pr->cli = engine_new(&engine_quic_ops);
	assert_non_null(pr->srv);
	assert_non_null(pr->cli);
	p.done_fd = pr->done_srv;
	assert_int_equal(pr->srv->ops->init(pr->srv, &p), 0);
	p.done_fd = pr->done_cli;
	p.byte_budget = 0;
	p.bitrate = 0;
	snprintf(p.quic_pin, sizeof(p.quic_pin), "%s", pin);
	assert_int_equal(pr->cli->ops->init(pr->cli, &p), 0);
	assert_int_equal(pr->srv->ops->add_stream(pr->srv, 0, fds[1], true, false, XFR_FLOW_DOWN),
			 0);
	assert_int_equal(pr->cli->ops->add_stream(pr->cli, 0, fds[0], false, true, XFR_FLOW_UP), 0);
	assert_int_equal(pr->srv->ops->start(pr->srv), 0);
	err = pr->cli->ops->start(pr->cli);
	return err;
}

static void pair_end(struct pair *pr)
{
	pr->cli->ops->stop(pr->cli, true);
	pr->srv->ops->stop(pr->srv, true);
	pr->cli->ops->destroy(pr->cli);
	pr->srv->ops->destroy(pr->srv);
	close(pr->done_srv);
	close(pr->done_cli);
}

static uint64_t received(struct engine *e)
{
	assert_int_equal(e->ops->sample(e, &sa), 0);
	assert_int_equal(sa.nflows, 1);
	assert_false(sa.flows[0].sending);
	return sa.flows[0].bytes;
}

static bool wait_fd(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

/* -n: exactly the budget arrives, both ends say done, the sender's figures are set. */
static void test_budget_exact(void **state)
{
	struct pair pr;

	(void)state;
	assert_int_equal(pair_start(&pr, 3u << 20, 0, fpr), 0);
	assert_true(wait_fd(pr.done_cli, 10000));
	assert_int_equal(received(pr.cli), 3u << 20);
	assert_true(wait_fd(pr.done_srv, 10000));
	assert_int_equal(pr.srv->ops->sample(pr.srv, &sa), 0);
	assert_true(sa.flows[0].sending && sa.flows[0].has_tcp);
	assert_int_equal(sa.flows[0].bytes, 3u << 20);
	assert_true(sa.flows[0].tcp.pmtu >= 1200);
	assert_true(sa.flows[0].tcp.rtt_us > 0);
	pair_end(&pr);
}

/* Pause stops the data (nothing more arrives once in-flight bytes are in), resume restarts it. */
static void test_pause_resume(void **state)
{
	struct pair pr;
	uint64_t a, b, c;

	(void)state;
	assert_int_equal(pair_start(&pr, 0, 200000000, fpr), 0);
	usleep(200000);
	assert_true(received(pr.cli) > 0);
	assert_int_equal(pr.srv->ops->pause(pr.srv), 0);
	usleep(200000); /* what was in flight lands */
	a = received(pr.cli);
	usleep(300000);
	b = received(pr.cli);
	assert_int_equal(a, b);
	assert_int_equal(pr.srv->ops->resume(pr.srv), 0);
	usleep(300000);
	c = received(pr.cli);
	assert_true(c > b + 1000000); /* 200 Mbit/s: ~7 MB in 0.3 s; at least 1 MB */
	pair_end(&pr);
}

/* A wrong pin: start() fails with the reason before any data. */
static void test_pin_mismatch(void **state)
{
	struct pair pr;
	char wrong[QUIC_FPR_LEN];

	(void)state;
	memset(wrong, '0', sizeof(wrong) - 1);
	wrong[sizeof(wrong) - 1] = '\0';
	assert_int_equal(pair_start(&pr, 1u << 20, 0, wrong), -EACCES);
	assert_non_null(strstr(engine_last_error(pr.cli), "does not match --quic-verify"));
	assert_int_equal(received(pr.cli), 0);
	pair_end(&pr);
}

/* stop() while the sender is flat out ends both sides promptly. */
static void test_stop_flat_out(void **state)
{
	struct pair pr;

	(void)state;
	assert_int_equal(pair_start(&pr, 0, 0, fpr), 0);
	usleep(300000);
	assert_true(received(pr.cli) > 0);
	assert_int_equal(pr.cli->ops->stop(pr.cli, true), 0);
	/* the server's connection sees the close and its flow ends */
	assert_true(wait_fd(pr.done_srv, 5000));
	pair_end(&pr);
}

static void test_cc_names(void **state)
{
	(void)state;
	assert_true(quic_cc_known("bbr2") && quic_cc_known("cubic") && quic_cc_known("reno") &&
		    quic_cc_known("bbr"));
	assert_false(quic_cc_known("vegas") || quic_cc_known(""));
}

static int teardown(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/quic-cert.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/quic-key.pem", dir);
	unlink(path);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cc_names),      cmocka_unit_test(test_budget_exact),
		cmocka_unit_test(test_pause_resume),  cmocka_unit_test(test_pin_mismatch),
		cmocka_unit_test(test_stop_flat_out),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
