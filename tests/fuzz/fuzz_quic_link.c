// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the server's QUIC accept path as a test runs it: one
 * connection per test in the reference's layout (quic/quic_link.c), control
 * on stream 0, data on the test's streams (quic/quic_data.c).
 *
 * Random bytes never get past decryption, so the client is a real ngtcp2
 * client in this process (quic_peer.c) and the input says what it does. The
 * datagrams go between the two in memory and the clock is the harness's
 * (quic_peer.h: sendmsg, recvmsg and clock_gettime wrapped). No thread: the
 * harness drives the server's connection with quic_conn_begin/turn/end, the
 * thread's own steps.
 *
 * A datagram for a server that has no connection yet goes through the shared
 * port's verdict (srv_quic_classify); the one that opens a connection is its
 * first, as server_quic.c passes it. Then, by the input:
 *
 *   byte 0  bits 0-1: the test (upload, download, --bidir, none attached);
 *           bits 2-4: its streams - 1; bit 5: the server's engine starts
 *           paused; bit 6: no handshake first (the ops start at the Initial);
 *           bit 7: the client opens no control stream
 *   byte 1  bits 0-5: the sender's -n budget in 256-byte units - 1; bit 6:
 *           the control code never reads (the bridge's window fills); bit 7:
 *           the control code closes its end at once
 *   then ops, one byte each (op % 16) and their arguments: open uni/bidi
 *   streams (more than the test has, bidi in an upload, ...), write bytes or
 *   FIN on any stream (stream 0 too: arbitrary bytes, over-long lines), reset
 *   or stop a stream, close the connection with any code, raw datagrams,
 *   mutated copies of the client's packets (a byte flipped, truncated,
 *   repeated, held back), time forward (past every timeout), pause/resume,
 *   loss toward the client.
 *
 * Properties: no crash, no sanitizer report, no assert (ngtcp2's included);
 * a connection that ends in error says why (c->why); one whose client went
 * silent (closed, or refused by its own ngtcp2) ends within 24 s of the
 * harness's clock; memory and descriptors back where they were after each
 * input, and what one input holds bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sanitizer/allocator_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "engine/engine.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_quic_cert.h"
#include "fuzz/quic_peer.h"
#include "quic/engine_quic.h"
#include "quic/quic_link.h"
#include "quic/quic_tls.h"
#include "server/server_priv.h"

#define PUMP_ROUNDS 64		 /* exchanges per op, at most */
#define STEP_NS	    50000	 /* the clock between two exchanges */
#define HORIZON_NS  30000000	 /* timers this near run within an exchange (pacing, ACK delay) */
#define INPUT_MEM   (160u << 20) /* what one input may hold: the control window (64 MiB) twice */
#define LEAK_SLACK  (1u << 20)	 /* after an input: caches of GnuTLS and ASan's quarantine */
#define INITIAL_NS  1000000000ull

/* ------------------------------------------------------------------ input */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct in *in)
{
	uint8_t b;

	if (!in->n)
		return 0;
	b = *in->p++;
	in->n--;
	return b;
}

/* ----------------------------------------------------------------- server */

struct qsrv {
	struct quic_link *l;
	struct quic_conn *c;
	int ctl; /* the control code's end */
	bool over, ctl_mute, ctl_closed;
	struct engine *e; /* the test's engine, attached to the link */
	uint64_t deadline;
};

static struct qsrv sv;

/* A UDP socket on loopback connected to the client's address: no packet ever crosses it. */
static int hs_socket(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	fuzz_assert(fd >= 0, "cannot make the server's socket");
	fuzz_assert(!bind(fd, (struct sockaddr *)&a, sizeof(a)), "cannot bind the server's socket");
	a.sin_port = htons(40000);
	fuzz_assert(!connect(fd, (struct sockaddr *)&a, sizeof(a)), "cannot connect it");
	return fd;
}

static void hs_end(int rv)
{
	if (sv.over)
		return;
	sv.over = true;
	fuzz_assert(rv >= 0 || sv.c->why[0], "a connection ended without a reason");
	quic_conn_end(sv.c, rv);
	fuzz_assert(!sv.c->err || sv.c->why[0], "a connection failed without a reason");
}

/*
 * A datagram for the server before it has a connection: the shared port's
 * verdict; an Initial in shape opens the connection with it as the first.
 */
static void hs_accept(const uint8_t *b, size_t n)
{
	struct engine_params p = {.proto = XFR_PROTO_QUIC};
	char why[300];
	int fd, rv;

	if (srv_quic_classify(b, n, false) != SRV_QUIC_OPEN)
		return;
	fd = hs_socket();
	qp_srv_fd = fd;
	fuzz_assert(!quic_link_open_driven(&sv.l, fd, true, &p, b, n, &sv.ctl, why, sizeof(why)),
		    why);
	fcntl(sv.ctl, F_SETFL, O_NONBLOCK); /* as server_quic.c sets it */
	sv.c = quic_link_conn(sv.l);
	rv = quic_conn_begin(sv.c);
	if (rv)
		hs_end(rv);
}

/* What the control code does with its end: reads everything, unless told not to. */
static void hs_ctl(void)
{
	char buf[16384];

	if (sv.ctl_mute || sv.ctl_closed || sv.ctl < 0)
		return;
	while (read(sv.ctl, buf, sizeof(buf)) > 0)
		;
}

/* The test's engine on the link (its tokens, as the run core does it). */
static void hs_attach(uint8_t shape, uint64_t budget)
{
	uint32_t dir = shape & 3, n = 1 + ((shape >> 2) & 7);
	struct engine_params p = {.proto = XFR_PROTO_QUIC,
				  .streams = n,
				  .length = 1200,
				  .byte_budget = budget,
				  .done_fd = -1};

	if (dir == 3 || !sv.l || sv.over)
		return;
	sv.e = engine_new(&engine_quic_ops);
	fuzz_assert(sv.e && !sv.e->ops->init(sv.e, &p), "cannot make the test's engine");
	for (uint32_t i = 0; i < n; i++) {
		int tok = quic_link_token(sv.l);

		fuzz_assert(tok >= 0, "no token");
		fuzz_assert(!sv.e->ops->add_stream(sv.e, i, tok, dir != 0, dir != 1, XFR_FLOW_DOWN),
			    "a token refused");
	}
	if (sv.e->ops->start(sv.e))
		fuzz_assert(sv.c->done, "the engine refused a live connection");
	if (shape & 0x20)
		sv.e->ops->pause(sv.e);
}

/* The next timer of either side. */
static uint64_t next_due(void)
{
	uint64_t due = sv.l && !sv.over ? sv.deadline : UINT64_MAX, e;

	if (!qp_cl.dead) {
		e = ngtcp2_conn_get_expiry(qp_cl.conn);
		if (e < due)
			due = e;
	}
	return due;
}

/* Datagrams both ways until both sides are quiet (bounded), the clock moving on. */
static void pump(void)
{
	for (int r = 0; r < PUMP_ROUNDS; r++) {
		struct qp_dgram d;
		uint64_t due;
		int rv;

		qp_now += STEP_NS;
		if (!qp_cl.dead)
			qp_cli_write(-1, NULL, 0, false);
		while (!sv.l && qp_pop(&qp_to_srv, &d)) {
			hs_accept(d.b, d.n);
			free(d.b);
		}
		if (sv.l && !sv.over) {
			rv = quic_conn_turn(sv.c, &sv.deadline);
			if (rv)
				hs_end(rv);
		}
		if (sv.over)
			qp_clear(&qp_to_srv);
		hs_ctl();
		qp_cli_read();
		if (!qp_cl.dead)
			qp_cli_write(-1, NULL, 0, false); /* its answer, in this round */
		if (qp_to_srv.len || qp_to_cli.len)
			continue;
		due = next_due();
		if (due > qp_now + HORIZON_NS)
			break; /* quiet until a timer: the ops move time that far */
		if (due > qp_now)
			qp_now = due; /* pacing, the ACK delay */
	}
}

/* ------------------------------------------------------------------- ops */

static int64_t pick_stream(struct in *in)
{
	uint8_t k = take(in);

	if (k == 0xff || !qp_cl.nsids)
		return 0; /* the control stream */
	return qp_cl.sids[k % qp_cl.nsids];
}

static void op_open(bool bidi)
{
	int64_t sid;
	int rv;

	if (qp_cl.dead || qp_cl.nsids >= QP_STREAMS)
		return;
	rv = bidi ? ngtcp2_conn_open_bidi_stream(qp_cl.conn, &sid, NULL)
		  : ngtcp2_conn_open_uni_stream(qp_cl.conn, &sid, NULL);
	if (!rv)
		qp_cl.sids[qp_cl.nsids++] = sid;
}

static void op_write(struct in *in)
{
	int64_t sid = pick_stream(in);
	uint8_t flags = take(in), buf[1024];
	size_t len = (size_t)take(in) * 4;

	for (size_t i = 0; i < len; i++)
		buf[i] = in->n ? take(in) : (uint8_t)i;
	qp_cli_write(sid, buf, len, flags & 1);
}

/* An over-long control line (no newline for 64 KiB and more), or many short ones. */
static void op_line(struct in *in)
{
	uint8_t k = take(in);
	size_t len = ((size_t)(k & 0x7f) + 1) * 1024;
	uint8_t *b = malloc(len);

	fuzz_assert(b != NULL, "out of memory");
	memset(b, k & 0x80 ? '{' : 'a', len);
	if (k & 0x80)
		for (size_t i = 63; i < len; i += 64)
			b[i] = '\n';
	qp_cli_write(0, b, len, false);
	free(b);
}

static void op_shutdown(struct in *in, bool wr)
{
	int64_t sid = pick_stream(in);
	uint64_t code = take(in);

	if (qp_cl.dead)
		return;
	if (wr)
		ngtcp2_conn_shutdown_stream_write(qp_cl.conn, sid, code);
	else
		ngtcp2_conn_shutdown_stream_read(qp_cl.conn, sid, code);
	qp_cli_write(-1, NULL, 0, false);
}

static void op_close(struct in *in)
{
	ngtcp2_connection_close_error cc;
	uint8_t buf[QP_PKT_MAX], k = take(in);
	uint64_t code = (uint64_t)take(in) << 8 | take(in);
	ngtcp2_path path = qp_cli_path();
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n;

	if (qp_cl.dead)
		return;
	ngtcp2_connection_close_error_default(&cc);
	if (k & 1)
		ngtcp2_connection_close_error_set_application_error(
			&cc, code, (const uint8_t *)"bye", k & 2 ? 3 : 0);
	else
		ngtcp2_connection_close_error_set_transport_error(&cc, code, NULL, 0);
	n = ngtcp2_conn_write_connection_close(qp_cl.conn, &path, &pi, buf, sizeof(buf), &cc,
					       qp_now);
	if (n > 0)
		qp_cli_out(buf, (size_t)n);
	qp_cl.dead = true;
}

static void op_raw(struct in *in)
{
	uint8_t buf[255 * 6];
	size_t len = (size_t)take(in) * 6;

	for (size_t i = 0; i < len; i++)
		buf[i] = take(in);
	qp_push(&qp_to_srv, buf, len);
}

/* A packet the client sent: again, with a byte flipped, or cut short. */
static void op_mutate(struct in *in, uint8_t how)
{
	uint32_t k = take(in);
	uint8_t buf[QP_PKT_MAX], x = take(in);
	size_t len, at;

	if (!qp_cl.nsent)
		return;
	k = (qp_cl.nsent - 1 - k % (qp_cl.nsent < QP_SENT_KEEP ? qp_cl.nsent : QP_SENT_KEEP)) %
	    QP_SENT_KEEP;
	len = qp_cl.sent_len[k];
	memcpy(buf, qp_cl.sent[k], len);
	at = ((size_t)take(in) << 8 | take(in)) % len;
	if (how == 0)
		buf[at] ^= x ? x : 0x80;
	else if (how == 1)
		len = at;
	qp_push(&qp_to_srv, buf, len);
}

/* The datagrams toward the server in another order (the last first). */
static void op_reorder(void)
{
	struct qp_dgram last;

	if (qp_to_srv.len < 2)
		return;
	last = qp_to_srv.d[(qp_to_srv.head + qp_to_srv.len - 1) % QP_QUEUE_MAX];
	qp_to_srv.d[(qp_to_srv.head + qp_to_srv.len - 1) % QP_QUEUE_MAX] =
		qp_to_srv.d[qp_to_srv.head];
	qp_to_srv.d[qp_to_srv.head] = last;
}

static void op_time(struct in *in)
{
	uint8_t k = take(in);

	if (k == 0xff && sv.l && !sv.over && sv.deadline != UINT64_MAX && sv.deadline > qp_now &&
	    sv.deadline - qp_now < 60ull * 1000000000)
		qp_now = sv.deadline; /* the server's next timer */
	else
		qp_now += (uint64_t)k * 50 * 1000000; /* up to 12.7 s */
}

/* The control code: a line, its end closed, reading again; pause/resume; loss. */
static void op_server(struct in *in)
{
	uint8_t k = take(in);

	switch (k % 6) {
	case 0:
		if (sv.ctl >= 0 && !sv.ctl_closed &&
		    write(sv.ctl, "{\"type\":\"test_ack\"}\n", 20) < 0)
			sv.ctl_mute = false; /* full: the control code would read first */
		break;
	case 1:
		if (sv.ctl >= 0 && !sv.ctl_closed)
			shutdown(sv.ctl, SHUT_WR);
		sv.ctl_closed = true;
		break;
	case 2:
		sv.ctl_mute = !sv.ctl_mute;
		break;
	case 3:
		if (sv.e)
			sv.e->ops->pause(sv.e);
		break;
	case 4:
		if (sv.e)
			sv.e->ops->resume(sv.e);
		break;
	default:
		qp_drop = k >> 3;
		break;
	}
}

static void run_op(struct in *in)
{
	uint8_t op = take(in);

	switch (op % 16) {
	case 0:
		op_open(false);
		break;
	case 1:
		op_open(true);
		break;
	case 2:
	case 3:
		op_write(in);
		break;
	case 4:
		op_line(in);
		break;
	case 5:
		op_shutdown(in, true);
		break;
	case 6:
		op_shutdown(in, false);
		break;
	case 7:
		op_close(in);
		break;
	case 8:
		op_raw(in);
		break;
	case 9:
	case 10:
	case 11:
		op_mutate(in, (uint8_t)(op % 16 - 9));
		break;
	case 12:
		op_reorder();
		break;
	case 13:
		op_time(in);
		break;
	default:
		op_server(in);
		break;
	}
	pump();
}

/* -------------------------------------------------------------- the input */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	fuzz_assert(d != NULL, "no /proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Before the ops: the handshake, the control stream's first line, the test's engine. */
static void prologue(uint8_t shape, uint8_t opts, uint64_t budget)
{
	static const char hello[] = "{\"type\":\"hello\",\"version\":\"1.1\"}\n";

	qp_cli_write(-1, NULL, 0, false); /* the Initial */
	if (shape & 0x40)
		return;
	for (int k = 0; k < 8 && !qp_cl.dead && !ngtcp2_conn_get_handshake_completed(qp_cl.conn);
	     k++)
		pump();
	if (!(shape & 0x80) && !qp_cl.dead && ngtcp2_conn_get_handshake_completed(qp_cl.conn) &&
	    !ngtcp2_conn_open_bidi_stream(qp_cl.conn, &qp_cl.sids[0], NULL)) {
		qp_cl.nsids = 1;
		qp_cli_write(0, (const uint8_t *)hello, sizeof(hello) - 1, false);
		pump();
	}
	if (opts & 0x80 && sv.ctl >= 0) {
		shutdown(sv.ctl, SHUT_WR);
		sv.ctl_closed = true;
	}
	hs_attach(shape, budget);
	pump();
}

static void epilogue(void)
{
	/* a silent client: every timer of the server ends at 10 s, so 3 x 8 s is plenty */
	for (int k = 0; k < 3 && qp_cl.dead && sv.l && !sv.over; k++) {
		qp_now += 8000000000ull;
		pump();
	}
	fuzz_assert(!qp_cl.dead || !sv.l || sv.over,
		    "a connection outlived its silent peer by 24 s");
	if (sv.l) {
		hs_end(1); /* the harness stops: as the engine's stop() would */
		if (sv.e) {
			sv.e->ops->stop(sv.e, true);
			sv.e->ops->destroy(sv.e);
		}
		close(sv.ctl);
		quic_link_close(sv.l);
	}
	qp_srv_fd = -1;
	memset(&sv, 0, sizeof(sv));
	qp_cli_free();
	qp_clear(&qp_to_srv);
	qp_clear(&qp_to_cli);
	qp_drop = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(getenv("XFR_FUZZ_LOG") ? XFR_LOG_DEBUG : XFR_LOG_ERROR);
	fuzz_quic_cert();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fds0 = -1;
	struct in in = {.p = data, .n = size};
	size_t mem0 = __sanitizer_get_current_allocated_bytes();
	uint8_t shape = take(&in), opts = take(&in);
	uint64_t seed = 0;

	if (fds0 < 0)
		fds0 = count_fds();
	for (size_t i = 0; i < size; i++)
		seed = seed * 131 + data[i];
	qp_fake = true;
	qp_now = INITIAL_NS;
	sv.ctl = -1;
	sv.ctl_mute = opts & 0x40;
	sv.deadline = UINT64_MAX;
	qp_cli_new(seed);
	prologue(shape, opts, ((uint64_t)(opts & 0x3f) + 1) * 256);
	while (in.n) {
		run_op(&in);
		fuzz_assert(__sanitizer_get_current_allocated_bytes() < mem0 + INPUT_MEM,
			    "one connection holds more memory than its windows allow");
	}
	epilogue();
	qp_fake = false;
	fuzz_assert(count_fds() == fds0, "a descriptor outlived its connection");
	fuzz_assert(__sanitizer_get_current_allocated_bytes() < mem0 + LEAK_SLACK,
		    "memory outlived its connection");
	return 0;
}
