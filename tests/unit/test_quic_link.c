// SPDX-License-Identifier: MIT
/*
 * A QUIC test's one connection (quic/quic_link.c) without root: a server link
 * and a client link on two connected UDP sockets over loopback. The control
 * channel's socketpair ends carry bytes both ways through stream 0, more than
 * the bridge's ring and window hold (so acknowledgements and flow control
 * take part), then EOF both ways ends both connections cleanly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "quic/quic_conn.h"
#include "quic/quic_ctl.h"
#include "quic/quic_link.h"
#include "quic/quic_tls.h"

static char fpr[QUIC_FPR_LEN];
static char dir[] = "/tmp/xfr-qlink-XXXXXX";

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
	/* the 10 s timeouts as 1 s: the rules are the same, the suite 18 s shorter */
	quic_conn_set_timeout_ms(1000);
	assert_non_null(mkdtemp(dir));
	if (quic_tls_server_load(dir, NULL, NULL, fpr, why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	return 0;
}

struct links {
	struct quic_link *srv, *cli;
	int sctl, cctl;
};

static int links_open(struct links *l, const char *pin, char *why, size_t whylen)
{
	struct engine_params p = {.proto = XFR_PROTO_QUIC};
	int fds[2], err;

	udp_pair(fds);
	assert_int_equal(quic_link_open(&l->srv, fds[1], true, &p, NULL, 0, &l->sctl, why, whylen),
			 0);
	snprintf(p.quic_pin, sizeof(p.quic_pin), "%s", pin);
	err = quic_link_open(&l->cli, fds[0], false, &p, NULL, 0, &l->cctl, why, whylen);
	if (err)
		l->cli = NULL;
	return err;
}

/* Read exactly len bytes from fd within ms, or fail. */
static void read_all(int fd, uint8_t *buf, size_t len, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		assert_int_equal(poll(&p, 1, ms), 1);
		n = read(fd, buf + got, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

/* The next read on fd says EOF within ms. */
static void expect_eof(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b;

	assert_int_equal(poll(&p, 1, ms), 1);
	assert_int_equal(read(fd, &b, 1), 0);
}

static bool over_within(struct quic_link *l, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (quic_link_over(l))
			return true;
		usleep(10000);
	}
	return quic_link_over(l);
}

#define BULK (12u * QUIC_CTL_RING + 12345) /* past the ring and its wrap, not a multiple */

struct writer {
	int fd;
	size_t len;
};

static void *write_bulk(void *arg)
{
	struct writer *w = arg;
	uint8_t buf[4096];
	size_t off = 0, n;

	while (off < w->len) {
		n = w->len - off < sizeof(buf) ? w->len - off : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)((off + i) * 7 + 3);
		if (write(w->fd, buf, n) != (ssize_t)n)
			break;
		off += n;
	}
	return NULL;
}

/* Bulk bytes from one control end arrive at the other in order, intact. */
static void bulk(int from, int to)
{
	struct writer w = {.fd = from, .len = BULK};
	uint8_t *got = malloc(BULK);
	pthread_t th;

	assert_non_null(got);
	assert_int_equal(pthread_create(&th, NULL, write_bulk, &w), 0);
	read_all(to, got, BULK, 10000);
	pthread_join(th, NULL);
	for (size_t i = 0; i < BULK; i++)
		if (got[i] != (uint8_t)(i * 7 + 3))
			fail_msg("byte %zu differs", i);
	free(got);
}

/* Messages both ways, bulk both ways, then EOF both ways: both connections end without error. */
static void test_control_stream(void **state)
{
	struct links l;
	char why[256] = "", buf[16];

	(void)state;
	assert_int_equal(links_open(&l, fpr, why, sizeof(why)), 0);
	assert_int_equal(write(l.cctl, "hello\n", 6), 6);
	read_all(l.sctl, (uint8_t *)buf, 6, 5000);
	assert_memory_equal(buf, "hello\n", 6);
	assert_int_equal(write(l.sctl, "ack\n", 4), 4);
	read_all(l.cctl, (uint8_t *)buf, 4, 5000);
	assert_memory_equal(buf, "ack\n", 4);
	bulk(l.cctl, l.sctl);
	bulk(l.sctl, l.cctl);
	close(l.cctl); /* the client's control code is done: FIN on stream 0 */
	expect_eof(l.sctl, 5000);
	assert_false(quic_link_over(l.srv));
	close(l.sctl);
	assert_true(over_within(l.srv, 5000));
	assert_true(over_within(l.cli, 5000));
	assert_string_equal(quic_link_error(l.srv), "");
	assert_string_equal(quic_link_error(l.cli), "");
	quic_link_close(l.cli);
	quic_link_close(l.srv);
}

/* The server's connection ends: the client's control code reads EOF. */
static void test_server_close(void **state)
{
	struct links l;
	char why[256] = "", buf[4];

	(void)state;
	assert_int_equal(links_open(&l, fpr, why, sizeof(why)), 0);
	assert_int_equal(write(l.cctl, "hi\n", 3), 3);
	read_all(l.sctl, (uint8_t *)buf, 3, 5000);
	quic_link_close(l.srv);
	close(l.sctl);
	expect_eof(l.cctl, 5000);
	assert_true(over_within(l.cli, 5000));
	close(l.cctl);
	quic_link_close(l.cli);
}

/*
 * The server's control code closed its end and the client keeps its own open
 * (answering the keep-alive PINGs): the server closes the connection after
 * its timeout (10 s; 1 s here), cleanly, and the client's control code reads EOF.
 */
static void test_peer_keeps_control_open(void **state)
{
	struct links l;
	char why[256] = "";
	struct timespec t0, t1;
	double s;

	(void)state;
	assert_int_equal(links_open(&l, fpr, why, sizeof(why)), 0);
	assert_int_equal(write(l.cctl, "hi\n", 3), 3); /* stream 0 opens at its first byte */
	read_all(l.sctl, (uint8_t *)why, 3, 5000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(l.sctl);
	expect_eof(l.cctl, 5000);
	assert_true(over_within(l.srv, 12000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "server closed after %.2f s\n", s);
	assert_true(s >= 0.95 && s < 2.5);
	assert_string_equal(quic_link_error(l.srv), "");
	assert_true(over_within(l.cli, 5000));
	close(l.cctl);
	quic_link_close(l.cli);
	quic_link_close(l.srv);
}

/* A wrong pin: the client's open fails with the reason; no control channel. */
static void test_pin_mismatch(void **state)
{
	struct links l;
	char why[256] = "", wrong[QUIC_FPR_LEN];

	(void)state;
	memset(wrong, '0', sizeof(wrong) - 1);
	wrong[sizeof(wrong) - 1] = '\0';
	assert_int_equal(links_open(&l, wrong, why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "does not match --quic-verify"));
	assert_int_equal(l.cctl, -1);
	assert_true(over_within(l.srv, 5000));
	close(l.sctl);
	quic_link_close(l.srv);
}

/*
 * A client that completes the handshake and opens no stream (an engine of the
 * per-stream layout that only receives): the server closes the connection within
 * its timeout (10 s; 1 s here) and says why.
 */
static void test_no_control_stream(void **state)
{
	struct engine_params p = {.proto = XFR_PROTO_QUIC, .streams = 1};
	struct quic_link *srv;
	struct engine *cli = engine_new(&engine_quic_ops);
	char why[256] = "";
	struct timespec t0, t1;
	int fds[2], sctl;
	double s;

	(void)state;
	assert_non_null(cli);
	udp_pair(fds);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(quic_link_open(&srv, fds[1], true, &p, NULL, 0, &sctl, why, sizeof(why)),
			 0);
	p.done_fd = -1;
	snprintf(p.quic_pin, sizeof(p.quic_pin), "%s", fpr);
	assert_int_equal(cli->ops->init(cli, &p), 0);
	assert_int_equal(cli->ops->add_stream(cli, 0, fds[0], false, true, XFR_FLOW_UP), 0);
	assert_int_equal(cli->ops->start(cli), 0); /* the handshake went through */
	assert_true(over_within(srv, 12000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "server closed after %.2f s: %s\n", s, quic_link_error(srv));
	assert_true(s >= 0.95 && s < 2.5);
	assert_non_null(strstr(quic_link_error(srv), "opened no control stream within 1 s"));
	expect_eof(sctl, 1000);
	close(sctl);
	cli->ops->stop(cli, true);
	cli->ops->destroy(cli);
	quic_link_close(srv);
}

/* ------------------------------------------------ a test's streams on a link */

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The engine of one side of a test on link l, started: n streams that all
 * send (budget bytes in all, 0 = no limit) or all receive, as the run core
 * sets it up with the link's tokens.
 */
static struct engine *test_engine(struct quic_link *l, uint32_t n, bool send, uint64_t budget)
{
	struct engine_params p = {.proto = XFR_PROTO_QUIC,
				  .streams = n,
				  .length = 1200,
				  .byte_budget = budget,
				  .done_fd = -1};
	struct engine *e = engine_new(&engine_quic_ops);

	assert_non_null(e);
	assert_int_equal(e->ops->init(e, &p), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(e->ops->add_stream(e, i, quic_link_token(l), send, !send,
						    send ? XFR_FLOW_UP : XFR_FLOW_DOWN),
				 0);
	assert_int_equal(e->ops->start(e), 0);
	return e;
}

static void engine_free(struct engine *e)
{
	e->ops->stop(e, true);
	e->ops->destroy(e);
}

/* Links with the control stream open (its first bytes went through). */
static void links_ready(struct links *l)
{
	char why[256] = "", buf[3];

	assert_int_equal(links_open(l, fpr, why, sizeof(why)), 0);
	assert_int_equal(write(l->cctl, "hi\n", 3), 3);
	read_all(l->sctl, (uint8_t *)buf, 3, 5000);
}

static void links_free(struct links *l)
{
	close(l->cctl);
	close(l->sctl);
	quic_link_close(l->cli);
	quic_link_close(l->srv);
}

/*
 * The side that receives a test of asked streams, whose peer opens only opened:
 * it closes the connection after its timeout (10 s; 1 s here) with the count
 * (why), and for an upload the client hears it.
 */
static void fewer_streams(bool upload, uint32_t asked, uint32_t opened, const char *why)
{
	struct links l;
	struct engine *rx, *tx;
	struct quic_link *lrx, *ltx;
	struct timespec t0;
	double s;

	links_ready(&l);
	lrx = upload ? l.srv : l.cli;
	ltx = upload ? l.cli : l.srv;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rx = test_engine(lrx, asked, false, 0);
	tx = test_engine(ltx, opened, true, 0);
	assert_true(over_within(lrx, 5000));
	s = secs_since(&t0);
	fprintf(stderr, "%s closed after %.2f s: %s\n", upload ? "server" : "client", s,
		quic_link_error(lrx));
	assert_true(s >= 0.95 && s < 2.5);
	assert_string_equal(quic_link_error(lrx), why);
	assert_true(over_within(ltx, 5000));
	if (upload)
		assert_non_null(strstr(quic_link_error(ltx), why));
	engine_free(tx);
	engine_free(rx);
	links_free(&l);
}

/* Upload -P 4, the client opens 2. */
static void test_fewer_streams_upload(void **state)
{
	(void)state;
	fewer_streams(true, 4, 2, "the client opened 2 of the 4 streams this test asked for");
}

/* Download -P 3, the server opens 1: the client closes the connection and says so. */
static void test_fewer_streams_download(void **state)
{
	(void)state;
	fewer_streams(false, 3, 1, "the server opened 1 of the 3 streams this test asked for");
}

/*
 * Time paused does not count: the waiting side paused for twice the timeout
 * keeps the connection; after the resume the timeout runs in full.
 */
static void test_fewer_streams_paused(void **state)
{
	struct links l;
	struct engine *srv, *cli;
	struct timespec t0;
	double s;

	(void)state;
	links_ready(&l);
	srv = test_engine(l.srv, 4, false, 0);
	assert_int_equal(srv->ops->pause(srv), 0);
	cli = test_engine(l.cli, 2, true, 0);
	usleep(2000000);
	assert_false(quic_link_over(l.srv));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(srv->ops->resume(srv), 0);
	assert_true(over_within(l.srv, 5000));
	s = secs_since(&t0);
	fprintf(stderr, "server closed %.2f s after the resume: %s\n", s, quic_link_error(l.srv));
	assert_true(s >= 0.9 && s < 2.5);
	assert_string_equal(quic_link_error(l.srv),
			    "the client opened 2 of the 4 streams this test asked for");
	engine_free(cli);
	engine_free(srv);
	links_free(&l);
}

/*
 * -n smaller than the streams (2 bytes, 4 streams): the streams with no byte
 * of the budget still open (a STREAM frame with only FIN), every one ends at
 * the server, and nothing closes the connection.
 */
static void test_budget_opens_every_stream(void **state)
{
	struct engine_sample *smp = calloc(1, sizeof(*smp));
	struct links l;
	struct engine *srv, *cli;
	uint64_t bytes = 0;
	uint32_t done = 0;

	(void)state;
	assert_non_null(smp);
	links_ready(&l);
	srv = test_engine(l.srv, 4, false, 0);
	cli = test_engine(l.cli, 4, true, 2);
	for (int i = 0; i < 300 && done < 4; i++) {
		usleep(10000);
		assert_int_equal(srv->ops->sample(srv, smp), 0);
		assert_int_equal(smp->nflows, 4);
		done = bytes = 0;
		for (uint32_t k = 0; k < smp->nflows; k++) {
			done += smp->flows[k].done;
			bytes += smp->flows[k].bytes;
		}
	}
	assert_int_equal(done, 4);
	assert_int_equal(bytes, 2);
	usleep(1500000); /* past the timeout */
	assert_false(quic_link_over(l.srv));
	engine_free(cli);
	engine_free(srv);
	links_free(&l);
	free(smp);
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
		cmocka_unit_test(test_control_stream),
		cmocka_unit_test(test_server_close),
		cmocka_unit_test(test_pin_mismatch),
		cmocka_unit_test(test_no_control_stream),
		cmocka_unit_test(test_peer_keeps_control_open),
		cmocka_unit_test(test_fewer_streams_upload),
		cmocka_unit_test(test_fewer_streams_download),
		cmocka_unit_test(test_fewer_streams_paused),
		cmocka_unit_test(test_budget_opens_every_stream),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
