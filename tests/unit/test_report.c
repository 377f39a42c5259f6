// SPDX-License-Identifier: MIT
/* Flow model <-> wire per-stream view: TCP and UDP, both ways, and a reference server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/report.h"

static struct proto_stream out[XFR_MAX_STREAMS];
static struct proto_aggregate agg;

static struct xfr_flow *add(struct xfr_flow *f, uint32_t *n, uint32_t stream, enum xfr_flow_dir dir)
{
	struct xfr_flow *x = &f[(*n)++];

	memset(x, 0, sizeof(*x));
	x->stream = stream;
	x->dir = dir;
	return x;
}

static void rx(struct xfr_flow *f, uint64_t recv, uint64_t lost, double jit, double jmax)
{
	f->has_recv = true;
	f->recv_bytes = recv * 1400;
	f->has_udp_rx = true;
	f->udp.packets_received = recv;
	f->udp.lost = lost;
	f->udp.jitter_ms = jit;
	f->udp.jitter_max_ms = jmax;
	f->udp.out_of_order = 2;
	f->udp.duplicates = 1;
	f->udp.rcvbuf_drops = lost / 2;
}

static void tx(struct xfr_flow *f, uint64_t sent, uint64_t errs)
{
	f->has_sent = true;
	f->sent_bytes = sent * 1400;
	f->has_udp_tx = true;
	f->udp.packets_sent = sent;
	f->udp.send_errors = errs;
	f->udp.err_nobufs = errs;
}

static void test_tcp_to_wire(void **state)
{
	struct xfr_flow f[4];
	uint32_t n = 0;
	struct xfr_flow *d;

	(void)state;
	add(f, &n, 0, XFR_FLOW_UP)->has_recv = true;
	f[0].recv_bytes = 1000;
	d = add(f, &n, 0, XFR_FLOW_DOWN);
	d->has_sent = true;
	d->sent_bytes = 3000;
	d->has_tcp = true;
	d->tcp.retransmits = 4;
	d->tcp.rtt_us = 1200;
	d->tcp.cwnd_segments = 10;
	d->tcp.cwnd_bytes = 14480;
	report_to_wire(f, n, NULL, 0, 1, XFR_DIR_BIDIR, 2.0, out, &agg);
	assert_int_equal(out[0].id, 0);
	assert_true(out[0].has_split);
	assert_int_equal(out[0].bytes_received, 1000);
	assert_int_equal(out[0].bytes_sent, 3000);
	assert_int_equal(out[0].bytes, 4000);
	assert_float_equal(out[0].throughput_mbps, 0.016, 1e-12);
	assert_true(out[0].tcp.has_retransmits);
	assert_int_equal(out[0].tcp.retransmits, 4);
	assert_int_equal(out[0].tcp.rtt_us, 1200);
	assert_int_equal(out[0].tcp.cwnd, 10);
	assert_int_equal(out[0].tcp.cwnd_bytes, 14480);
	assert_false(out[0].has_jitter);
	assert_false(out[0].has_lost);
	assert_false(out[0].has_udp);
	assert_int_equal(agg.bytes, 4000);
	assert_true(agg.has_split);
	assert_int_equal(agg.bytes_sent, 1000); /* client view: sent = upload */
	assert_int_equal(agg.bytes_received, 3000);
	assert_int_equal(agg.tcp.retransmits, 4);
	assert_false(agg.has_jitter);
	assert_false(agg.has_lost);
	assert_false(agg.has_udp_progress);

	/* upload: no DOWN flow, no TCP figures, no split in the aggregate */
	n = 0;
	add(f, &n, 0, XFR_FLOW_UP)->has_recv = true;
	f[0].recv_bytes = 500;
	report_to_wire(f, n, f, n, 2, XFR_DIR_UPLOAD, 1.0, out, &agg);
	assert_int_equal(out[0].bytes, 500);
	assert_int_equal(out[1].id, 1);
	assert_int_equal(out[1].bytes, 0);
	assert_false(out[0].tcp.has_rtt);
	assert_false(agg.has_split);
	assert_false(agg.has_udp_progress); /* TCP totals: no UDP receiver data */
}

static void test_tcp_from_wire(void **state)
{
	struct xfr_flow f[4];
	struct proto_stream s[1];
	uint32_t n = 0;

	(void)state;
	memset(s, 0, sizeof(s));
	s[0].bytes = 777; /* a reference server: no split, read by direction */
	s[0].tcp.has_rtt = true;
	s[0].tcp.rtt_us = 99;
	report_from_wire(s, 1, XFR_DIR_DOWNLOAD, f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].dir, XFR_FLOW_DOWN);
	assert_true(f[0].has_sent);
	assert_int_equal(f[0].sent_bytes, 777);
	assert_true(f[0].has_tcp);
	assert_int_equal(f[0].tcp.rtt_us, 99);
	assert_false(f[0].has_udp_tx);
	assert_false(f[0].has_udp_rx);

	n = 0;
	s[0].has_split = true;
	s[0].bytes_received = 5;
	s[0].bytes_sent = 6;
	report_from_wire(s, 1, XFR_DIR_BIDIR, f, &n);
	assert_int_equal(n, 2);
	assert_int_equal(f[0].dir, XFR_FLOW_UP);
	assert_int_equal(f[0].recv_bytes, 5);
	assert_int_equal(f[1].sent_bytes, 6);
	assert_false(f[0].has_udp_rx);
}

static void test_udp_to_wire(void **state)
{
	struct xfr_flow f[8], tot[8];
	uint32_t n = 0, nt = 0;

	(void)state;
	rx(add(f, &n, 0, XFR_FLOW_UP), 990, 10, 0.2, 0.9);
	rx(add(f, &n, 1, XFR_FLOW_UP), 500, 0, 0.4, 0.5);
	tx(add(f, &n, 0, XFR_FLOW_DOWN), 700, 3);
	tx(add(f, &n, 1, XFR_FLOW_DOWN), 800, 0);
	rx(add(tot, &nt, 0, XFR_FLOW_UP), 5000, 50, 0.2, 0.9);
	rx(add(tot, &nt, 1, XFR_FLOW_UP), 3000, 20, 0.4, 0.5);
	tx(add(tot, &nt, 0, XFR_FLOW_DOWN), 9999, 3); /* not receive progress */
	report_to_wire(f, n, tot, nt, 2, XFR_DIR_BIDIR, 1.0, out, &agg);

	assert_true(out[0].has_jitter);
	assert_float_equal(out[0].jitter_ms, 0.2, 1e-12);
	assert_true(out[0].has_lost);
	assert_int_equal(out[0].lost, 10);
	assert_true(out[0].has_udp);
	assert_int_equal(out[0].udp.packets_sent, 700);
	assert_int_equal(out[0].udp.send_errors, 3);
	assert_int_equal(out[0].udp.packets_received, 990);
	assert_int_equal(out[0].udp.lost, 10);
	assert_float_equal(out[0].udp.lost_percent, 1.0, 1e-12);
	assert_float_equal(out[0].udp.jitter_ms, 0.2, 1e-12);
	assert_float_equal(out[0].udp.jitter_max_ms, 0.9, 1e-12);
	assert_int_equal(out[0].udp.out_of_order, 2);
	assert_int_equal(out[0].udp.duplicates, 1);
	assert_int_equal(out[0].udp.rcvbuf_drops, 5);
	assert_int_equal(out[0].udp.packet_size, 0);
	assert_int_equal(out[0].bytes_received, 990 * 1400);
	assert_int_equal(out[0].bytes_sent, 700 * 1400);
	assert_false(out[0].tcp.has_rtt);
	assert_float_equal(out[1].udp.lost_percent, 0, 0);
	assert_int_equal(out[1].udp.packets_sent, 800);

	assert_true(agg.has_jitter);
	assert_float_equal(agg.jitter_ms, 0.3, 1e-12);
	assert_true(agg.has_lost);
	assert_int_equal(agg.lost, 10);
	assert_true(agg.has_udp_progress);
	assert_int_equal(agg.progress_received, 8000);
	assert_int_equal(agg.progress_lost, 70);

	/* without totals there is no udp_progress; the rest is unchanged */
	report_to_wire(f, n, NULL, 0, 2, XFR_DIR_BIDIR, 1.0, out, &agg);
	assert_false(agg.has_udp_progress);
	assert_int_equal(agg.lost, 10);

	/* download: the server only sends; jitter/lost come from the client itself */
	n = 0;
	tx(add(f, &n, 0, XFR_FLOW_DOWN), 1234, 0);
	report_to_wire(f, n, f, n, 1, XFR_DIR_DOWNLOAD, 1.0, out, &agg);
	assert_false(out[0].has_jitter);
	assert_false(out[0].has_lost);
	assert_true(out[0].has_udp);
	assert_int_equal(out[0].udp.packets_sent, 1234);
	assert_int_equal(out[0].udp.packets_received, 0);
	assert_false(agg.has_jitter);
	assert_false(agg.has_lost);
	assert_false(agg.has_udp_progress);

	/* a stream that has no flow at all (not connected yet) stays empty */
	report_to_wire(f, n, f, n, 2, XFR_DIR_DOWNLOAD, 1.0, out, &agg);
	assert_false(out[1].has_udp);
	assert_int_equal(out[1].id, 1);
}

static void test_udp_from_wire(void **state)
{
	struct xfr_flow f[8];
	struct proto_stream s[2];
	uint32_t n = 0;
	struct xfr_flow *up;

	(void)state;
	/* the client's own side first: it sends UP and receives DOWN */
	tx(add(f, &n, 0, XFR_FLOW_UP), 1000, 2);
	rx(add(f, &n, 0, XFR_FLOW_DOWN), 600, 4, 0.7, 1.5);
	memset(s, 0, sizeof(s));
	s[0].has_split = true;
	s[0].bytes_received = 990 * 1400;
	s[0].bytes_sent = 610 * 1400;
	s[0].has_jitter = true;
	s[0].jitter_ms = 0.25;
	s[0].has_lost = true;
	s[0].lost = 10;
	s[0].has_udp = true;
	s[0].udp = (struct proto_udp){.packets_sent = 610,
				      .packets_received = 990,
				      .lost = 10,
				      .lost_percent = 1,
				      .jitter_ms = 0.25,
				      .jitter_max_ms = 0.8,
				      .out_of_order = 3,
				      .duplicates = 4,
				      .rcvbuf_drops = 6,
				      .send_errors = 9};
	report_from_wire(s, 1, XFR_DIR_BIDIR, f, &n);
	assert_int_equal(n, 2);
	up = &f[0];
	assert_true(up->has_udp_rx);
	assert_int_equal(up->udp.packets_received, 990);
	assert_int_equal(up->udp.lost, 10);
	assert_int_equal(up->udp.out_of_order, 3);
	assert_int_equal(up->udp.duplicates, 4);
	assert_int_equal(up->udp.rcvbuf_drops, 6);
	assert_float_equal(up->udp.jitter_ms, 0.25, 1e-12);
	assert_float_equal(up->udp.jitter_max_ms, 0.8, 1e-12);
	/* the client's sender figures are its own */
	assert_true(up->has_udp_tx);
	assert_int_equal(up->udp.packets_sent, 1000);
	assert_int_equal(up->udp.send_errors, 2);
	assert_int_equal(up->udp.err_nobufs, 2);
	assert_int_equal(up->recv_bytes, 990 * 1400);
	/* DOWN: the server's sender figures; the client's receiver figures stay */
	assert_true(f[1].has_udp_tx);
	assert_int_equal(f[1].udp.packets_sent, 610);
	assert_int_equal(f[1].udp.send_errors, 9);
	assert_int_equal(f[1].sent_bytes, 610 * 1400);
	assert_true(f[1].has_udp_rx);
	assert_int_equal(f[1].udp.packets_received, 600);
	assert_int_equal(f[1].udp.lost, 4);
	assert_float_equal(f[1].udp.jitter_ms, 0.7, 1e-12);
}

/* A reference server sends jitter_ms/lost per stream and no "udp" object. */
static void test_udp_from_reference_server(void **state)
{
	struct xfr_flow f[8];
	struct proto_stream s[2];
	uint32_t n = 0;

	(void)state;
	tx(add(f, &n, 0, XFR_FLOW_UP), 1000, 0);
	tx(add(f, &n, 1, XFR_FLOW_UP), 1000, 0);
	memset(s, 0, sizeof(s));
	s[0].id = 0;
	s[0].bytes = 990 * 1400;
	s[0].tcp.has_retransmits = true; /* 0 for UDP, but present */
	s[0].has_jitter = true;
	s[0].jitter_ms = 0.031;
	s[0].has_lost = true;
	s[0].lost = 10;
	s[1].id = 1;
	s[1].bytes = 1000 * 1400; /* result streams: no jitter/lost from a reference server */
	report_from_wire(s, 2, XFR_DIR_UPLOAD, f, &n);
	assert_int_equal(n, 2);
	assert_true(f[0].has_recv);
	assert_int_equal(f[0].recv_bytes, 990 * 1400);
	assert_true(f[0].has_udp_rx);
	assert_int_equal(f[0].udp.packets_received, 0); /* unknown */
	assert_int_equal(f[0].udp.lost, 10);
	assert_float_equal(f[0].udp.jitter_ms, 0.031, 1e-12);
	assert_float_equal(f[0].udp.jitter_max_ms, 0, 0);
	assert_int_equal(f[0].udp.packets_sent, 1000);
	assert_false(f[1].has_udp_rx);
	assert_int_equal(f[1].recv_bytes, 1000 * 1400);

	/* only lost known */
	memset(s, 0, sizeof(s));
	s[0].has_lost = true;
	s[0].lost = 3;
	n = 0;
	report_from_wire(s, 1, XFR_DIR_UPLOAD, f, &n);
	assert_true(f[0].has_udp_rx);
	assert_int_equal(f[0].udp.lost, 3);
	assert_float_equal(f[0].udp.jitter_ms, 0, 0);

	/* download from a reference server: no sender figures to take */
	memset(s, 0, sizeof(s));
	s[0].bytes = 42;
	n = 0;
	report_from_wire(s, 1, XFR_DIR_DOWNLOAD, f, &n);
	assert_int_equal(n, 1);
	assert_false(f[0].has_udp_tx);
	assert_int_equal(f[0].sent_bytes, 42);
}

/* Server flows -> wire -> client flows: the server's side arrives intact. */
static void test_udp_both_ways(void **state)
{
	struct xfr_flow srv[4], cli[4];
	uint32_t ns = 0, nc = 0;

	(void)state;
	rx(add(srv, &ns, 0, XFR_FLOW_UP), 4000, 40, 0.125, 2.5);
	report_to_wire(srv, ns, srv, ns, 1, XFR_DIR_UPLOAD, 1.0, out, &agg);
	report_from_wire(out, 1, XFR_DIR_UPLOAD, cli, &nc);
	assert_int_equal(nc, 1);
	assert_true(cli[0].has_udp_rx);
	assert_false(cli[0].has_udp_tx);
	assert_int_equal(cli[0].udp.packets_received, 4000);
	assert_int_equal(cli[0].udp.lost, 40);
	assert_int_equal(cli[0].udp.rcvbuf_drops, 20);
	assert_float_equal(cli[0].udp.jitter_max_ms, 2.5, 0);
	assert_int_equal(cli[0].recv_bytes, 4000 * 1400);
	assert_int_equal(agg.progress_received, 4000);
}

static void test_result_udp(void **state)
{
	struct xfr_flow f[8];
	struct proto_udp u;
	uint32_t n = 0;
	bool present = false;

	(void)state;
	/* upload, two streams: packets_sent is the receiver's view (received + lost) */
	rx(add(f, &n, 0, XFR_FLOW_UP), 9900, 60, 0.2, 1.0);
	rx(add(f, &n, 1, XFR_FLOW_UP), 9900, 40, 0.4, 3.0);
	report_result_udp(f, n, 1400, &u, &present);
	assert_true(present);
	assert_int_equal(u.packets_received, 19800);
	assert_int_equal(u.lost, 100);
	assert_int_equal(u.packets_sent, 19900);
	assert_float_equal(u.lost_percent, 100.0 * 100 / 19900, 1e-9);
	assert_float_equal(u.jitter_ms, 0.3, 1e-12);
	assert_float_equal(u.jitter_max_ms, 3.0, 0);
	assert_int_equal(u.out_of_order, 4);
	assert_int_equal(u.duplicates, 2);
	assert_int_equal(u.rcvbuf_drops, 50);
	assert_int_equal(u.send_errors, 0);
	assert_int_equal(u.packet_size, 1400);

	/* bidir: packets_sent from what the server sent */
	tx(add(f, &n, 0, XFR_FLOW_DOWN), 7000, 5);
	tx(add(f, &n, 1, XFR_FLOW_DOWN), 3000, 1);
	report_result_udp(f, n, 64, &u, &present);
	assert_int_equal(u.packets_sent, 10000);
	assert_int_equal(u.send_errors, 6);
	assert_int_equal(u.packets_received, 19800);
	assert_int_equal(u.packet_size, 64);

	/* the same bidir for a reference client: the direction the server received only */
	report_result_udp_rx(f, n, 64, &u, &present);
	assert_true(present);
	assert_int_equal(u.packets_sent, 19900); /* received + lost, not the server's 10000 */
	assert_int_equal(u.packets_received, 19800);
	assert_int_equal(u.send_errors, 0);

	/* download for a reference client: no udp_stats (it uses its own receivers') */
	report_result_udp_rx(f + 2, 2, 1400, &u, &present);
	assert_false(present);

	/* download: nothing received at the server */
	report_result_udp(f + 2, 2, 1400, &u, &present);
	assert_true(present);
	assert_int_equal(u.packets_sent, 10000);
	assert_int_equal(u.packets_received, 0);
	assert_float_equal(u.lost_percent, 0, 0);
	assert_float_equal(u.jitter_ms, 0, 0);

	/* all lost */
	n = 0;
	rx(add(f, &n, 0, XFR_FLOW_UP), 0, 10, 0, 0);
	report_result_udp(f, n, 70000, &u, &present);
	assert_float_equal(u.lost_percent, 100, 0);
	assert_int_equal(u.packet_size, 0); /* out of 16..65535: absent */
	report_result_udp(f, n, 15, &u, &present);
	assert_int_equal(u.packet_size, 0);

	/* TCP flows: nothing to say */
	n = 0;
	add(f, &n, 0, XFR_FLOW_UP)->has_recv = true;
	report_result_udp(f, n, 1400, &u, &present);
	assert_false(present);
	assert_int_equal(u.packets_sent, 0);
	report_result_udp(f, 0, 1400, &u, &present);
	assert_false(present);
}

/* ---- the kernel data plane ---------------------------------------------- */

static void drops(struct xfr_drops *d, const char *a, uint64_t na, const char *b, uint64_t nb)
{
	memset(d, 0, sizeof(*d));
	if (a) {
		strcpy(d->d[d->n].reason, a);
		d->d[d->n++].packets = na;
	}
	if (b) {
		strcpy(d->d[d->n].reason, b);
		d->d[d->n++].packets = nb;
	}
}

/*
 * Server side, bidir UDP stream 0 and TCP stream 1: the UP flow it receives
 * brings its XDP count and rx drops, the DOWN flow it sends its tx drops and
 * the BPF TCP figures.
 */
static void test_kernel_to_wire(void **state)
{
	struct xfr_flow f[4];
	uint32_t n = 0;
	struct xfr_flow *up, *down;

	(void)state;
	up = add(f, &n, 0, XFR_FLOW_UP);
	rx(up, 998000, 2000, 0.01, 0.02);
	up->has_xdp = true;
	up->xdp_packets = 999000;
	up->xdp_bytes = 999000ULL * 1400;
	up->has_drops_rx = true;
	drops(&up->drops_rx, "SOCKET_RCVBUFF", 1000, NULL, 0);
	down = add(f, &n, 0, XFR_FLOW_DOWN);
	tx(down, 5000, 0);
	down->has_drops_tx = true;
	drops(&down->drops_tx, "QDISC_DROP", 10, "NEIGH_QUEUEFULL", 1);
	down = add(f, &n, 1, XFR_FLOW_DOWN);
	down->has_sent = true;
	down->has_tcp = true;
	down->has_bpf_tcp = true;
	down->bpf_tcp = (struct xfr_bpf_tcp){.rtt_min_us = 50,
					     .rtt_avg_us = 80,
					     .rtt_max_us = 200,
					     .rtt_samples = 1234,
					     .retransmits = 3,
					     .delivered = 1 << 20};
	report_to_wire(f, n, NULL, 0, 2, XFR_DIR_BIDIR, 1.0, out, &agg);
	assert_true(out[0].has_udp && out[0].udp.has_xdp);
	assert_int_equal(out[0].udp.xdp_packets, 999000);
	assert_int_equal(out[0].udp.xdp_bytes, 999000ULL * 1400);
	assert_true(out[0].has_drops_rx);
	assert_int_equal(out[0].drops_rx.n, 1);
	assert_string_equal(out[0].drops_rx.d[0].reason, "SOCKET_RCVBUFF");
	assert_int_equal(out[0].drops_rx.d[0].packets, 1000);
	assert_true(out[0].has_drops_tx);
	assert_int_equal(out[0].drops_tx.n, 2);
	assert_string_equal(out[0].drops_tx.d[1].reason, "NEIGH_QUEUEFULL");
	assert_int_equal(out[0].drops_tx.d[1].packets, 1);
	assert_false(out[0].tcp.has_bpf);
	assert_true(out[1].tcp.has_bpf);
	assert_true(out[1].tcp.has_rtt); /* TCP_INFO still there */
	assert_int_equal(out[1].tcp.bpf_rtt_min_us, 50);
	assert_int_equal(out[1].tcp.bpf_rtt_avg_us, 80);
	assert_int_equal(out[1].tcp.bpf_rtt_max_us, 200);
	assert_int_equal(out[1].tcp.bpf_rtt_samples, 1234);
	assert_int_equal(out[1].tcp.bpf_retransmits, 3);
	assert_int_equal(out[1].tcp.bpf_delivered, 1 << 20);
	assert_false(out[1].udp.has_xdp || out[1].has_drops_rx || out[1].has_drops_tx);

	/* a socket test: none of it */
	n = 0;
	rx(add(f, &n, 0, XFR_FLOW_UP), 10, 0, 0, 0);
	report_to_wire(f, n, NULL, 0, 1, XFR_DIR_UPLOAD, 1.0, out, &agg);
	assert_false(out[0].udp.has_xdp || out[0].has_drops_rx || out[0].has_drops_tx ||
		     out[0].tcp.has_bpf);
}

/*
 * Client side: the server's rx drops and XDP count go to the flow the server
 * receives (UP), its tx drops and BPF figures to the flow it sends (DOWN);
 * the client's own figures of the other host are left alone.
 */
static void test_kernel_from_wire(void **state)
{
	struct proto_stream s[2];
	struct xfr_flow f[4];
	uint32_t n = 0;
	struct xfr_flow *up, *down;

	(void)state;
	memset(s, 0, sizeof(s));
	s[0].id = 0;
	s[0].has_split = true;
	s[0].has_udp = true;
	s[0].udp.has_xdp = true;
	s[0].udp.xdp_packets = 999000;
	s[0].udp.xdp_bytes = 1398600000;
	s[0].has_drops_rx = true;
	s[0].drops_rx.n = 1;
	strcpy(s[0].drops_rx.d[0].reason, "SOCKET_RCVBUFF");
	s[0].drops_rx.d[0].packets = 1000;
	s[0].has_drops_tx = true; /* observed, nothing dropped */
	s[1].id = 1;
	s[1].has_split = true;
	s[1].tcp.has_rtt = true;
	s[1].tcp.has_bpf = true;
	s[1].tcp.bpf_rtt_min_us = 50;
	s[1].tcp.bpf_rtt_avg_us = 80;
	s[1].tcp.bpf_rtt_max_us = 200;
	s[1].tcp.bpf_rtt_samples = 1234;
	s[1].tcp.bpf_retransmits = 3;
	s[1].tcp.bpf_delivered = 4096;
	/* the client's own: it sends UP 0 (tx drops on its host) */
	up = add(f, &n, 0, XFR_FLOW_UP);
	tx(up, 1000000, 0);
	up->has_drops_tx = true;
	drops(&up->drops_tx, "QDISC_DROP", 10, NULL, 0);
	report_from_wire(s, 2, XFR_DIR_BIDIR, f, &n);
	assert_int_equal(n, 4);
	assert_true(up->has_xdp);
	assert_int_equal(up->xdp_packets, 999000);
	assert_int_equal(up->xdp_bytes, 1398600000);
	assert_true(up->has_drops_rx);
	assert_string_equal(up->drops_rx.d[0].reason, "SOCKET_RCVBUFF");
	assert_int_equal(up->drops_rx.d[0].packets, 1000);
	assert_true(up->has_drops_tx); /* the client's, kept */
	assert_string_equal(up->drops_tx.d[0].reason, "QDISC_DROP");
	assert_false(up->has_bpf_tcp);
	down = &f[1];
	assert_int_equal(down->stream, 0);
	assert_int_equal(down->dir, XFR_FLOW_DOWN);
	assert_true(down->has_drops_tx);
	assert_int_equal(down->drops_tx.n, 0);
	assert_false(down->has_drops_rx || down->has_xdp);
	down = &f[3];
	assert_int_equal(down->stream, 1);
	assert_int_equal(down->dir, XFR_FLOW_DOWN);
	assert_true(down->has_bpf_tcp);
	assert_int_equal(down->bpf_tcp.rtt_min_us, 50);
	assert_int_equal(down->bpf_tcp.rtt_avg_us, 80);
	assert_int_equal(down->bpf_tcp.rtt_max_us, 200);
	assert_int_equal(down->bpf_tcp.rtt_samples, 1234);
	assert_int_equal(down->bpf_tcp.retransmits, 3);
	assert_int_equal(down->bpf_tcp.delivered, 4096);
	assert_false(f[2].has_xdp || f[2].has_drops_rx || f[2].has_bpf_tcp);

	/* upload only: a server's tx figures have no flow to land in */
	n = 0;
	report_from_wire(s, 1, XFR_DIR_UPLOAD, f, &n);
	assert_int_equal(n, 1);
	assert_true(f[0].has_xdp && f[0].has_drops_rx);
	assert_false(f[0].has_drops_tx);
}

/* wire -> model -> wire keeps every figure (what a relaying server would send). */
static void test_kernel_both_ways(void **state)
{
	struct proto_stream s;
	struct xfr_flow f[4];
	uint32_t n = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.has_drops_rx = true;
	s.drops_rx.n = 16;
	for (int i = 0; i < 16; i++) {
		snprintf(s.drops_rx.d[i].reason, sizeof(s.drops_rx.d[i].reason), "REASON_%d", i);
		s.drops_rx.d[i].packets = 100 - i;
	}
	report_from_wire(&s, 1, XFR_DIR_UPLOAD, f, &n);
	report_to_wire(f, n, NULL, 0, 1, XFR_DIR_UPLOAD, 1.0, out, &agg);
	assert_true(out[0].has_drops_rx);
	assert_int_equal(out[0].drops_rx.n, 16);
	assert_string_equal(out[0].drops_rx.d[15].reason, "REASON_15");
	assert_int_equal(out[0].drops_rx.d[15].packets, 85);
}

/*
 * A reference server's whole-test figures (issue 15 items 3, 4, 6): its
 * result streams carry only bytes and retransmits; tcp_info, udp_stats and
 * the bidir split are read at the result level and shared out exactly.
 */
static struct proto_result pr;

static void ref_streams(uint32_t ns, const uint64_t *bytes)
{
	memset(&pr, 0, sizeof(pr));
	pr.nstreams = ns;
	for (uint32_t i = 0; i < ns; i++) {
		pr.streams[i].id = i;
		pr.streams[i].bytes = bytes[i];
		pr.streams[i].tcp.has_retransmits = true;
		pr.streams[i].tcp.retransmits = i + 1;
	}
}

static void test_totals_bidir_split(void **state)
{
	static const uint64_t one[] = {3000}, two[] = {1000, 2001};
	struct xfr_flow f[8];
	uint32_t n = 0;

	(void)state;
	ref_streams(1, one);
	pr.has_split = true;
	pr.bytes_sent = 1800; /* client view: what the server received */
	pr.bytes_received = 1200;
	report_from_wire(pr.streams, 1, XFR_DIR_BIDIR, f, &n);
	assert_int_equal(report_result_totals(&pr, 1, XFR_DIR_BIDIR, f, &n), 0);
	assert_int_equal(n, 2);
	assert_true(f[0].dir == XFR_FLOW_UP && f[0].has_recv);
	assert_int_equal(f[0].recv_bytes, 1800);
	assert_true(f[1].dir == XFR_FLOW_DOWN && f[1].has_sent);
	assert_int_equal(f[1].sent_bytes, 1200);

	/* two streams: shares in the totals' ratio, the totals exact */
	ref_streams(2, two);
	pr.has_split = true;
	pr.bytes_sent = 2001;
	pr.bytes_received = 1000;
	n = 0;
	report_from_wire(pr.streams, 2, XFR_DIR_BIDIR, f, &n);
	assert_int_equal(report_result_totals(&pr, 2, XFR_DIR_BIDIR, f, &n), REPORT_SHARED_BYTES);
	assert_int_equal(f[0].recv_bytes + f[2].recv_bytes, 2001);
	assert_int_equal(f[1].sent_bytes + f[3].sent_bytes, 1000);
	assert_int_equal(f[0].recv_bytes + f[1].sent_bytes, 1000);

	/* our server splits per stream: nothing to do */
	pr.streams[0].has_split = true;
	n = 0;
	report_from_wire(pr.streams, 2, XFR_DIR_BIDIR, f, &n);
	assert_int_equal(report_result_totals(&pr, 2, XFR_DIR_BIDIR, f, &n), 0);
}

static void test_totals_tcp(void **state)
{
	static const uint64_t two[] = {500, 500};
	struct xfr_flow f[8];
	uint32_t n = 0;

	(void)state;
	ref_streams(2, two);
	pr.has_tcp_info = true;
	pr.tcp_info = (struct proto_tcp){.rtt_us = 3000, .rtt_var_us = 200, .cwnd = 101};
	report_from_wire(pr.streams, 2, XFR_DIR_DOWNLOAD, f, &n);
	assert_int_equal(report_result_totals(&pr, 2, XFR_DIR_DOWNLOAD, f, &n), REPORT_SHARED_TCP);
	for (uint32_t i = 0; i < 2; i++) {
		assert_true(f[i].has_tcp);
		assert_int_equal(f[i].tcp.rtt_us, 3000);
		assert_int_equal(f[i].tcp.rttvar_us, 200);
		assert_int_equal(f[i].tcp.retransmits, i + 1); /* per stream, kept */
	}
	assert_int_equal(f[0].tcp.cwnd_segments + f[1].tcp.cwnd_segments, 101);

	/* upload: the server's receiving sockets are not the sender's figures */
	n = 0;
	report_from_wire(pr.streams, 2, XFR_DIR_UPLOAD, f, &n);
	assert_int_equal(report_result_totals(&pr, 2, XFR_DIR_UPLOAD, f, &n), 0);
	assert_false(f[0].has_tcp);
}

static void test_totals_udp(void **state)
{
	static const uint64_t two[] = {1400 * 300, 1400 * 100};
	struct xfr_flow f[8];
	uint32_t n = 0;

	(void)state;
	ref_streams(2, two);
	pr.has_udp_stats = true;
	pr.udp_stats = (struct proto_udp){.packets_sent = 410,
					  .packets_received = 400,
					  .lost = 10,
					  .jitter_ms = 0.5,
					  .jitter_max_ms = 2.0,
					  .out_of_order = 1};
	report_from_wire(pr.streams, 2, XFR_DIR_UPLOAD, f, &n);
	assert_int_equal(report_result_totals(&pr, 2, XFR_DIR_UPLOAD, f, &n), REPORT_SHARED_UDP);
	assert_true(f[0].has_udp_rx && f[1].has_udp_rx);
	assert_int_equal(f[0].udp.packets_received, 300);
	assert_int_equal(f[1].udp.packets_received, 100);
	assert_int_equal(f[0].udp.lost + f[1].udp.lost, 10);
	assert_int_equal(f[0].udp.out_of_order + f[1].udp.out_of_order, 1);
	assert_float_equal(f[1].udp.jitter_ms, 0.5, 0);
	assert_float_equal(f[0].udp.jitter_max_ms, 2.0, 0);

	/* download: the reference's udp_stats (if any) is not the receiver's */
	n = 0;
	report_from_wire(pr.streams, 2, XFR_DIR_DOWNLOAD, f, &n);
	assert_int_equal(report_result_totals(&pr, 2, XFR_DIR_DOWNLOAD, f, &n), 0);
	assert_false(f[0].has_udp_rx);
}

/* A reference server's interval: datagrams received from udp_progress deltas. */
static void test_totals_udp_progress(void **state)
{
	static struct proto_interval iv;
	struct report_progress prog = {0};
	struct xfr_flow f[8];
	uint32_t n = 0;

	(void)state;
	memset(&iv, 0, sizeof(iv));
	iv.nstreams = 2;
	iv.streams[0] =
		(struct proto_stream){.id = 0, .bytes = 1400 * 30, .has_lost = true, .lost = 2};
	iv.streams[1] = (struct proto_stream){.id = 1, .bytes = 1400 * 10};
	iv.aggregate.has_udp_progress = true;
	iv.aggregate.progress_received = 140; /* 100 in earlier intervals */
	iv.aggregate.progress_lost = 5;
	prog.received = 100;
	prog.lost = 3;
	report_from_wire(iv.streams, 2, XFR_DIR_UPLOAD, f, &n);
	report_interval_totals(&iv, 2, XFR_DIR_UPLOAD, &prog, f, &n);
	assert_int_equal(f[0].udp.packets_received, 30);
	assert_int_equal(f[1].udp.packets_received, 10);
	assert_int_equal(f[0].udp.lost, 2); /* per stream: the wire's */
	assert_true(f[1].has_udp_rx);
	assert_int_equal(prog.received, 140);
	assert_int_equal(prog.lost, 5);

	/* our server's streams carry "udp": left alone */
	iv.streams[0].has_udp = true;
	iv.streams[0].udp.packets_received = 29;
	n = 0;
	report_from_wire(iv.streams, 2, XFR_DIR_UPLOAD, f, &n);
	report_interval_totals(&iv, 2, XFR_DIR_UPLOAD, &prog, f, &n);
	assert_int_equal(f[0].udp.packets_received, 29);
}

static void test_sanitize(void **state)
{
	char buf[8];

	(void)state;
	report_sanitize(buf, sizeof(buf), "a\tb\xc3\xa9z");
	assert_string_equal(buf, "a?b??z");
	report_sanitize(buf, 4, "abcdef");
	assert_string_equal(buf, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_to_wire),
		cmocka_unit_test(test_tcp_from_wire),
		cmocka_unit_test(test_udp_to_wire),
		cmocka_unit_test(test_udp_from_wire),
		cmocka_unit_test(test_udp_from_reference_server),
		cmocka_unit_test(test_udp_both_ways),
		cmocka_unit_test(test_result_udp),
		cmocka_unit_test(test_kernel_to_wire),
		cmocka_unit_test(test_kernel_from_wire),
		cmocka_unit_test(test_kernel_both_ways),
		cmocka_unit_test(test_totals_bidir_split),
		cmocka_unit_test(test_totals_tcp),
		cmocka_unit_test(test_totals_udp),
		cmocka_unit_test(test_totals_udp_progress),
		cmocka_unit_test(test_sanitize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
