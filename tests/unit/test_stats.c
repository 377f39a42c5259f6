// SPDX-License-Identifier: MIT
/* Unit tests: interval/total arithmetic (stats.c) and pacing arithmetic (pacing.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "engine/pacing.h"
#include "model/stats.h"
#include "timeutil.h"

static struct engine_sample s_prev, s_cur;
static struct xfr_flow out[XFR_MAX_FLOWS];

static void set_flow(struct engine_sample *s, uint32_t i, uint32_t stream, enum xfr_flow_dir dir,
		     bool sending, uint64_t bytes)
{
	struct engine_flow_sample *f = &s->flows[i];

	memset(f, 0, sizeof(*f));
	f->stream = stream;
	f->dir = dir;
	f->sending = sending;
	f->bytes = bytes;
	if (i >= s->nflows)
		s->nflows = i + 1;
}

static void set_tcp(struct engine_sample *s, uint32_t i, uint64_t retrans, uint32_t cwnd,
		    uint32_t mss)
{
	struct engine_flow_sample *f = &s->flows[i];

	f->has_tcp = true;
	f->tcp.total_retrans = retrans;
	f->tcp.snd_cwnd = cwnd;
	f->tcp.snd_mss = mss;
	f->tcp.rtt_us = 250;
	f->tcp.rttvar_us = 40;
	f->tcp.pmtu = 1500;
	f->tcp.bytes_acked = 123456;
	f->tcp.delivery_rate = 125000000; /* bytes/s = 1 Gbit/s */
}

static int reset(void **state)
{
	(void)state;
	memset(&s_prev, 0, sizeof(s_prev));
	memset(&s_cur, 0, sizeof(s_cur));
	memset(out, 0, sizeof(out));
	return 0;
}

static void test_delta_bytes(void **state)
{
	uint32_t n = 0;

	(void)state;
	set_flow(&s_prev, 0, 0, XFR_FLOW_UP, true, 1000);
	set_flow(&s_prev, 1, 1, XFR_FLOW_UP, true, 5000);
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, true, 4000);
	set_flow(&s_cur, 1, 1, XFR_FLOW_UP, true, 5500);
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].stream, 0);
	assert_true(out[0].has_sent);
	assert_false(out[0].has_recv);
	assert_int_equal(out[0].sent_bytes, 3000);
	assert_int_equal(out[1].stream, 1);
	assert_int_equal(out[1].sent_bytes, 500);
}

static void test_delta_prev_null_and_reordered(void **state)
{
	uint32_t n = 0;

	(void)state;
	/* prev lists the flows in another order: matched by (stream, dir, sending) */
	set_flow(&s_prev, 0, 1, XFR_FLOW_DOWN, false, 700);
	set_flow(&s_prev, 1, 0, XFR_FLOW_DOWN, false, 100);
	set_flow(&s_cur, 0, 0, XFR_FLOW_DOWN, false, 300);
	set_flow(&s_cur, 1, 1, XFR_FLOW_DOWN, false, 1000);
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(n, 2);
	assert_true(out[0].has_recv);
	assert_false(out[0].has_sent);
	assert_int_equal(out[0].recv_bytes, 200);
	assert_int_equal(out[1].recv_bytes, 300);

	n = 0;
	memset(out, 0, sizeof(out));
	stats_side_delta(NULL, &s_cur, out, &n);
	assert_int_equal(out[0].recv_bytes, 300);
	assert_int_equal(out[1].recv_bytes, 1000);
}

static void test_delta_never_wraps(void **state)
{
	uint32_t n = 0;

	(void)state;
	/* a final clamp to bytes_acked may lower a counter: the delta is 0, not 2^64-x */
	set_flow(&s_prev, 0, 0, XFR_FLOW_UP, true, 9000);
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, true, 8000);
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(out[0].sent_bytes, 0);
}

static void test_retransmit_delta(void **state)
{
	uint32_t n = 0;

	(void)state;
	set_flow(&s_prev, 0, 0, XFR_FLOW_UP, true, 0);
	set_tcp(&s_prev, 0, 7, 10, 1448);
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, true, 100);
	set_tcp(&s_cur, 0, 12, 20, 1448);
	set_flow(&s_cur, 1, 1, XFR_FLOW_UP, true, 100);
	set_tcp(&s_cur, 1, 3, 20, 1448); /* absent from prev: counts from 0 */
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_true(out[0].has_tcp);
	assert_int_equal(out[0].tcp.retransmits, 5);
	assert_int_equal(out[0].tcp.cwnd_segments, 20);
	assert_int_equal(out[1].tcp.retransmits, 3);

	/* went down (should not happen): 0, never a wrapped value */
	set_tcp(&s_prev, 0, 50, 10, 1448);
	n = 0;
	memset(out, 0, sizeof(out));
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(out[0].tcp.retransmits, 0);
}

static void test_total(void **state)
{
	uint32_t n = 0;

	(void)state;
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, true, 1234567);
	set_tcp(&s_cur, 0, 42, 30, 1000);
	set_flow(&s_cur, 1, 0, XFR_FLOW_DOWN, false, 7654321);
	stats_side_total(&s_cur, out, &n);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].sent_bytes, 1234567);
	assert_int_equal(out[0].tcp.retransmits, 42);
	assert_int_equal(out[0].tcp.cwnd_bytes, 30000);
	assert_int_equal(out[1].dir, XFR_FLOW_DOWN);
	assert_int_equal(out[1].recv_bytes, 7654321);
	assert_false(out[1].has_tcp);
}

static void test_merge_other_side(void **state)
{
	struct xfr_flow *f;
	uint32_t n = 0;

	(void)state;
	/* the server's receive count is already there; our send count joins it */
	f = stats_flow(out, &n, 3, XFR_FLOW_UP);
	assert_non_null(f);
	f->has_recv = true;
	f->recv_bytes = 999;
	set_flow(&s_cur, 0, 3, XFR_FLOW_UP, true, 1000);
	stats_side_total(&s_cur, out, &n);
	assert_int_equal(n, 1);
	assert_true(out[0].has_recv);
	assert_int_equal(out[0].recv_bytes, 999);
	assert_true(out[0].has_sent);
	assert_int_equal(out[0].sent_bytes, 1000);
}

static void set_udp_tx(struct engine_sample *s, uint32_t i, uint64_t packets, uint64_t nobufs,
		       uint64_t refused, uint64_t other)
{
	struct engine_udp_sample *u = &s->flows[i].udp;

	s->flows[i].is_udp = true;
	u->packets = packets;
	u->err_nobufs = nobufs;
	u->err_refused = refused;
	u->err_other = other;
}

static void set_udp_rx(struct engine_sample *s, uint32_t i, uint64_t packets, uint64_t lost,
		       uint64_t ooo, double jitter_us, double jitter_max_us)
{
	struct engine_udp_sample *u = &s->flows[i].udp;

	s->flows[i].is_udp = true;
	u->packets = packets;
	u->lost = lost;
	u->out_of_order = ooo;
	u->duplicates = packets / 100;
	u->rcvbuf_drops = lost / 2;
	u->malformed = packets / 1000;
	u->jitter_us = jitter_us;
	u->jitter_max_us = jitter_max_us;
}

static void test_udp_delta(void **state)
{
	struct xfr_udp_stats *u;
	uint32_t n = 0;

	(void)state;
	set_flow(&s_prev, 0, 0, XFR_FLOW_UP, true, 140000);
	set_udp_tx(&s_prev, 0, 100, 2, 1, 1);
	set_flow(&s_prev, 1, 1, XFR_FLOW_DOWN, false, 1400000);
	set_udp_rx(&s_prev, 1, 1000, 40, 3, 250.0, 900.0);
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, true, 280000);
	set_udp_tx(&s_cur, 0, 200, 7, 4, 2);
	set_flow(&s_cur, 1, 1, XFR_FLOW_DOWN, false, 2800000);
	set_udp_rx(&s_cur, 1, 3000, 30, 10, 125.0, 900.0); /* late fills: lost went down */
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(n, 2);
	u = &out[0].udp;
	assert_true(out[0].has_udp_tx);
	assert_false(out[0].has_udp_rx);
	assert_int_equal(out[0].sent_bytes, 140000);
	assert_int_equal(u->packets_sent, 100);
	assert_int_equal(u->err_nobufs, 5);
	assert_int_equal(u->err_refused, 3);
	assert_int_equal(u->send_errors, 9);
	u = &out[1].udp;
	assert_true(out[1].has_udp_rx);
	assert_false(out[1].has_udp_tx);
	assert_int_equal(out[1].recv_bytes, 1400000);
	assert_int_equal(u->packets_received, 2000);
	assert_int_equal(u->lost, 0); /* clamped, never wrapped */
	assert_int_equal(u->out_of_order, 7);
	assert_int_equal(u->duplicates, 20);
	assert_int_equal(u->rcvbuf_drops, 0);
	assert_int_equal(u->malformed, 2);
	assert_true(u->jitter_ms == 0.125);   /* current, not a delta */
	assert_true(u->jitter_max_ms == 0.9); /* cumulative max */
	assert_false(out[1].has_tcp);
}

static void test_udp_total_and_merge(void **state)
{
	struct xfr_flow *f;
	uint32_t n = 0;

	(void)state;
	/* the peer's receiver figures are there already; our sender figures join them */
	f = stats_flow(out, &n, 0, XFR_FLOW_UP);
	f->has_udp_rx = true;
	f->udp.packets_received = 990;
	f->udp.lost = 10;
	f->udp.jitter_ms = 0.5;
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, true, 1400000);
	set_udp_tx(&s_cur, 0, 1000, 3, 0, 0);
	set_flow(&s_cur, 1, 0, XFR_FLOW_DOWN, false, 700000);
	set_udp_rx(&s_cur, 1, 500, 8, 2, 40.0, 80.0);
	stats_side_total(&s_cur, out, &n);
	assert_int_equal(n, 2);
	assert_true(out[0].has_udp_tx && out[0].has_udp_rx);
	assert_int_equal(out[0].udp.packets_sent, 1000);
	assert_int_equal(out[0].udp.send_errors, 3);
	assert_int_equal(out[0].udp.packets_received, 990);
	assert_int_equal(out[0].udp.lost, 10);
	assert_true(out[0].udp.jitter_ms == 0.5);
	assert_int_equal(out[1].udp.packets_received, 500);
	assert_int_equal(out[1].udp.lost, 8);
	assert_int_equal(out[1].udp.rcvbuf_drops, 4);
	assert_true(out[1].udp.jitter_ms == 0.04);
	assert_true(out[1].udp.jitter_max_ms == 0.08);
}

/* TCP samples leave the UDP part alone. */
static void test_tcp_has_no_udp(void **state)
{
	uint32_t n = 0;

	(void)state;
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, true, 100);
	set_flow(&s_cur, 1, 0, XFR_FLOW_DOWN, false, 100);
	stats_side_total(&s_cur, out, &n);
	assert_false(out[0].has_udp_tx || out[0].has_udp_rx);
	assert_false(out[1].has_udp_tx || out[1].has_udp_rx);
	assert_int_equal(out[0].udp.packets_sent, 0);
}

static void test_flow_lookup(void **state)
{
	struct xfr_flow *a, *b, *c;
	uint32_t n = 0, i;

	(void)state;
	a = stats_flow(out, &n, 5, XFR_FLOW_UP);
	b = stats_flow(out, &n, 5, XFR_FLOW_DOWN);
	c = stats_flow(out, &n, 5, XFR_FLOW_UP);
	assert_int_equal(n, 2);
	assert_ptr_equal(a, c);
	assert_ptr_not_equal(a, b);
	assert_int_equal(b->stream, 5);
	assert_int_equal(b->dir, XFR_FLOW_DOWN);
	assert_false(b->has_sent);
	for (i = 2; i < XFR_MAX_FLOWS; i++)
		assert_non_null(stats_flow(out, &n, 100 + i, XFR_FLOW_UP));
	assert_int_equal(n, XFR_MAX_FLOWS);
	assert_null(stats_flow(out, &n, 9999, XFR_FLOW_UP));
}

static void test_tcp_from_info(void **state)
{
	struct xfr_tcpinfo ti = {.rtt_us = 80,
				 .rttvar_us = 9,
				 .snd_cwnd = 10,
				 .snd_mss = 65483,
				 .pmtu = 65535,
				 .total_retrans = 4,
				 .bytes_acked = 77,
				 .delivery_rate = 1000000};
	struct xfr_tcp_stats st;

	(void)state;
	stats_tcp_from_info(&ti, &st);
	assert_int_equal(st.cwnd_segments, 10);
	assert_int_equal(st.cwnd_bytes, 654830);
	assert_int_equal(st.delivery_rate_bps, 8000000);
	assert_int_equal(st.rtt_us, 80);
	assert_int_equal(st.rttvar_us, 9);
	assert_int_equal(st.pmtu, 65535);
	assert_int_equal(st.retransmits, 4);
	assert_int_equal(st.bytes_acked, 77);
	/* large cwnd * mss does not overflow 32 bits */
	ti.snd_cwnd = 100000;
	stats_tcp_from_info(&ti, &st);
	assert_int_equal(st.cwnd_bytes, 6548300000ULL);
}

/* ---- the kernel data plane ---------------------------------------------- */

static void set_drop(struct engine_sample *s, uint32_t i, const char *reason, uint64_t packets)
{
	struct engine_flow_sample *f = &s->flows[i];

	f->has_drops = true;
	snprintf(f->drops.d[f->drops.n].reason, sizeof(f->drops.d[0].reason), "%s", reason);
	f->drops.d[f->drops.n++].packets = packets;
}

static void set_bpf(struct engine_sample *s, uint32_t i, uint64_t samples, uint64_t sum_us,
		    uint32_t wmin, uint32_t wmax, uint32_t min, uint32_t max)
{
	struct engine_flow_sample *f = &s->flows[i];

	f->has_bpf_tcp = true;
	f->bpf_rtt_samples = samples;
	f->bpf_rtt_sum_us = sum_us;
	f->bpf_rtt_win_min_us = wmin;
	f->bpf_rtt_win_max_us = wmax;
	f->bpf_rtt_min_us = min;
	f->bpf_rtt_max_us = max;
	f->bpf_retransmits = samples / 100;
	f->bpf_delivered = samples * 1448;
}

/* XDP counts of a receiving flow: deltas per interval, cumulative for the test. */
static void test_xdp_counts(void **state)
{
	uint32_t n = 0;

	(void)state;
	set_flow(&s_prev, 0, 0, XFR_FLOW_UP, false, 1400000);
	s_prev.flows[0].has_xdp = true;
	s_prev.flows[0].xdp_packets = 1000;
	s_prev.flows[0].xdp_bytes = 1400000;
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, false, 2800000);
	s_cur.flows[0].has_xdp = true;
	s_cur.flows[0].xdp_packets = 2500;
	s_cur.flows[0].xdp_bytes = 3500000;
	/* a sending flow's sample never claims XDP counts */
	set_flow(&s_cur, 1, 0, XFR_FLOW_DOWN, true, 10);
	s_cur.flows[1].has_xdp = true;
	s_cur.flows[1].xdp_packets = 7;
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(n, 2);
	assert_true(out[0].has_xdp);
	assert_int_equal(out[0].xdp_packets, 1500);
	assert_int_equal(out[0].xdp_bytes, 2100000);
	assert_false(out[1].has_xdp);
	n = 0;
	memset(out, 0, sizeof(out));
	stats_side_total(&s_cur, out, &n);
	assert_int_equal(out[0].xdp_packets, 2500);
	assert_int_equal(out[0].xdp_bytes, 3500000);
	/* the previous sample had no XDP yet: the whole count is this interval's */
	s_prev.flows[0].has_xdp = false;
	n = 0;
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(out[0].xdp_packets, 2500);
	/* no XDP in the sample: none in the flow */
	s_cur.flows[0].has_xdp = false;
	n = 0;
	memset(out, 0, sizeof(out));
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_false(out[0].has_xdp);
	assert_int_equal(out[0].xdp_packets, 0);
}

/* Drops: per reason by name (order may change), 0 deltas left out, largest first. */
/* Largest first, ties by name; past XFR_MAX_DROP_REASONS the smallest fold into "OTHER". */
static void test_drops_fold(void **state)
{
	struct xfr_drop all[XFR_MAX_DROP_REASONS + 4];
	struct xfr_drops d;
	uint32_t n = XFR_MAX_DROP_REASONS + 4;

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(all[i].reason, sizeof(all[i].reason), "R%02u", i);
		all[i].packets = 10 + i; /* R19 largest ... R00 smallest */
	}
	all[0].packets = all[1].packets = 1000; /* a tie on top: R00 before R01 */
	result_drops_fold(all, n, &d);
	assert_int_equal(d.n, XFR_MAX_DROP_REASONS);
	assert_string_equal(d.d[0].reason, "R00");
	assert_string_equal(d.d[1].reason, "R01");
	assert_string_equal(d.d[2].reason, "R19");
	assert_int_equal(d.d[2].packets, 29);
	assert_string_equal(d.d[14].reason, "R07");
	/* R06 .. R02 did not fit: 16 + 15 + 14 + 13 + 12 */
	assert_string_equal(d.d[15].reason, "OTHER");
	assert_int_equal(d.d[15].packets, 70);

	/* What fits is only sorted. */
	all[0] = (struct xfr_drop){.reason = "B", .packets = 5};
	all[1] = (struct xfr_drop){.reason = "A", .packets = 5};
	all[2] = (struct xfr_drop){.reason = "C", .packets = 9};
	result_drops_fold(all, 3, &d);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.d[0].reason, "C");
	assert_string_equal(d.d[1].reason, "A");
	assert_string_equal(d.d[2].reason, "B");
}

static void test_drops_delta(void **state)
{
	uint32_t n = 0;

	(void)state;
	set_flow(&s_prev, 0, 0, XFR_FLOW_UP, false, 0);
	set_drop(&s_prev, 0, "SOCKET_RCVBUFF", 100);
	set_drop(&s_prev, 0, "NETFILTER_DROP", 5);
	set_drop(&s_prev, 0, "UDP_CSUM", 2);
	set_flow(&s_prev, 1, 0, XFR_FLOW_DOWN, true, 0);
	set_drop(&s_prev, 1, "QDISC_DROP", 1);
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, false, 0);
	set_drop(&s_cur, 0, "NETFILTER_DROP", 45);  /* +40 */
	set_drop(&s_cur, 0, "SOCKET_RCVBUFF", 112); /* +12 */
	set_drop(&s_cur, 0, "UDP_CSUM", 2);	    /* +0: left out */
	set_drop(&s_cur, 0, "OTHER", 12);	    /* new: +12, ties sorted by name */
	set_flow(&s_cur, 1, 0, XFR_FLOW_DOWN, true, 0);
	set_drop(&s_cur, 1, "QDISC_DROP", 1); /* +0: an empty list, still observed */
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(n, 2);
	assert_true(out[0].has_drops_rx);
	assert_false(out[0].has_drops_tx);
	assert_int_equal(out[0].drops_rx.n, 3);
	assert_string_equal(out[0].drops_rx.d[0].reason, "NETFILTER_DROP");
	assert_int_equal(out[0].drops_rx.d[0].packets, 40);
	assert_string_equal(out[0].drops_rx.d[1].reason, "OTHER");
	assert_int_equal(out[0].drops_rx.d[1].packets, 12);
	assert_string_equal(out[0].drops_rx.d[2].reason, "SOCKET_RCVBUFF");
	assert_int_equal(out[0].drops_rx.d[2].packets, 12);
	assert_true(out[1].has_drops_tx);
	assert_false(out[1].has_drops_rx);
	assert_int_equal(out[1].drops_tx.n, 0);

	/* the whole test: cumulative, sorted */
	n = 0;
	memset(out, 0, sizeof(out));
	stats_side_total(&s_cur, out, &n);
	assert_int_equal(out[0].drops_rx.n, 4);
	assert_string_equal(out[0].drops_rx.d[0].reason, "SOCKET_RCVBUFF");
	assert_int_equal(out[0].drops_rx.d[0].packets, 112);
	assert_string_equal(out[0].drops_rx.d[1].reason, "NETFILTER_DROP");
	assert_string_equal(out[0].drops_rx.d[2].reason, "OTHER");
	assert_string_equal(out[0].drops_rx.d[3].reason, "UDP_CSUM");
	assert_int_equal(out[0].drops_rx.d[3].packets, 2);
	assert_int_equal(out[1].drops_tx.n, 1);
	assert_string_equal(out[1].drops_tx.d[0].reason, "QDISC_DROP");

	/* a count that went down (never should) is a 0 delta, not a wrap */
	s_cur.flows[0].drops.d[1].packets = 1; /* SOCKET_RCVBUFF 112 -> 1 */
	n = 0;
	memset(out, 0, sizeof(out));
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_int_equal(out[0].drops_rx.n, 2);
	assert_string_equal(out[0].drops_rx.d[0].reason, "NETFILTER_DROP");
	assert_string_equal(out[0].drops_rx.d[1].reason, "OTHER");
}

/* BPF TCP: interval mean = delta sum / delta samples, the window's min/max;
 * test: cumulative mean, the flow's min/max. */
static void test_bpf_tcp(void **state)
{
	uint32_t n = 0;

	(void)state;
	set_flow(&s_prev, 0, 0, XFR_FLOW_UP, true, 1000);
	set_tcp(&s_prev, 0, 0, 10, 1448);
	set_bpf(&s_prev, 0, 1000, 100000, 50, 300, 50, 300); /* mean 100 */
	set_flow(&s_cur, 0, 0, XFR_FLOW_UP, true, 2000);
	set_tcp(&s_cur, 0, 0, 10, 1448);
	set_bpf(&s_cur, 0, 1300, 100000 + 300 * 81 + 1, 70, 95, 50, 300);
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_true(out[0].has_bpf_tcp);
	assert_int_equal(out[0].bpf_tcp.rtt_samples, 300);
	assert_int_equal(out[0].bpf_tcp.rtt_avg_us, 81); /* 24301 / 300 rounded */
	assert_int_equal(out[0].bpf_tcp.rtt_min_us, 70);
	assert_int_equal(out[0].bpf_tcp.rtt_max_us, 95);
	assert_int_equal(out[0].bpf_tcp.retransmits, 13 - 10);
	assert_int_equal(out[0].bpf_tcp.delivered, 300 * 1448);
	assert_true(out[0].has_tcp); /* TCP_INFO beside it */

	n = 0;
	memset(out, 0, sizeof(out));
	stats_side_total(&s_cur, out, &n);
	assert_int_equal(out[0].bpf_tcp.rtt_samples, 1300);
	assert_int_equal(out[0].bpf_tcp.rtt_avg_us, (124301 + 650) / 1300); /* 96 */
	assert_int_equal(out[0].bpf_tcp.rtt_min_us, 50);
	assert_int_equal(out[0].bpf_tcp.rtt_max_us, 300);
	assert_int_equal(out[0].bpf_tcp.retransmits, 13);
	assert_int_equal(out[0].bpf_tcp.delivered, 1300 * 1448);

	/* no ACK in the interval: no RTT figures, the rest still counts */
	set_bpf(&s_cur, 0, 1000, 100000, 0, 0, 50, 300);
	s_cur.flows[0].bpf_delivered = 1000 * 1448 + 7;
	n = 0;
	memset(out, 0, sizeof(out));
	stats_side_delta(&s_prev, &s_cur, out, &n);
	assert_true(out[0].has_bpf_tcp);
	assert_int_equal(out[0].bpf_tcp.rtt_samples, 0);
	assert_int_equal(out[0].bpf_tcp.rtt_avg_us, 0);
	assert_int_equal(out[0].bpf_tcp.rtt_min_us, 0);
	assert_int_equal(out[0].bpf_tcp.rtt_max_us, 0);
	assert_int_equal(out[0].bpf_tcp.delivered, 7);

	/* the first interval (prev NULL): everything so far, the window's min/max */
	n = 0;
	memset(out, 0, sizeof(out));
	set_bpf(&s_cur, 0, 10, 1005, 90, 110, 80, 120);
	stats_side_delta(NULL, &s_cur, out, &n);
	assert_int_equal(out[0].bpf_tcp.rtt_avg_us, 101);
	assert_int_equal(out[0].bpf_tcp.rtt_min_us, 90);
	assert_int_equal(out[0].bpf_tcp.rtt_max_us, 110);

	/* only sending flows carry BPF TCP figures */
	n = 0;
	memset(out, 0, sizeof(out));
	s_cur.flows[0].sending = false;
	stats_side_delta(NULL, &s_cur, out, &n);
	assert_false(out[0].has_bpf_tcp);
}

static void test_pacing_bucket(void **state)
{
	struct pacing p;
	uint64_t t = 10 * NSEC_PER_SEC;

	(void)state;
	/* 8 Mbit/s = 1 MB/s: 1000 bytes cost 1 ms */
	pacing_init(&p, 8000000, 1000, t);
	assert_int_equal(pacing_cost_ns(&p, 1000), NSEC_PER_MSEC);
	assert_int_equal(pacing_delay_ns(&p, 1000, t), 0); /* one burst ready */
	pacing_sent(&p, 1000);
	assert_int_equal(pacing_delay_ns(&p, 1000, t), NSEC_PER_MSEC);
	assert_int_equal(pacing_delay_ns(&p, 1000, t + 400 * NSEC_PER_USEC), 600 * NSEC_PER_USEC);
	assert_int_equal(pacing_delay_ns(&p, 1000, t + NSEC_PER_MSEC), 0);
	pacing_sent(&p, 1000);
	pacing_sent(&p, 1000); /* in debt: sent ahead of time */
	assert_int_equal(pacing_delay_ns(&p, 1000, t + NSEC_PER_MSEC), 2 * NSEC_PER_MSEC);
}

static void test_pacing_no_catch_up(void **state)
{
	struct pacing p;
	uint64_t t = NSEC_PER_SEC;

	(void)state;
	pacing_init(&p, 8000000, 1000, t);
	pacing_sent(&p, 1000);
	/* a 5 s pause: only one burst of credit, not 5 s worth */
	t += 5 * NSEC_PER_SEC;
	assert_int_equal(pacing_delay_ns(&p, 1000, t), 0);
	pacing_sent(&p, 1000);
	assert_int_equal(pacing_delay_ns(&p, 1000, t), NSEC_PER_MSEC);
	/* reset after resume forgets debt too */
	pacing_sent(&p, 50000);
	pacing_reset(&p, t);
	assert_int_equal(pacing_delay_ns(&p, 1000, t), 0);
}

static void test_pacing_rates(void **state)
{
	struct pacing p;

	(void)state;
	assert_int_equal(pacing_flow_rate(0, 4), 0);
	assert_int_equal(pacing_flow_rate(40000000, 4), 10000000);
	assert_int_equal(pacing_flow_rate(3, 4), 1); /* never rounds down to unlimited */
	assert_int_equal(pacing_flow_rate(100, 0), 100);
	assert_int_equal(pacing_chunk(4000000, 131072), 50000);
	assert_int_equal(pacing_chunk(40000000, 131072), 131072);
	assert_int_equal(pacing_chunk(1000, 131072), 1024);
	assert_int_equal(pacing_chunk(100000000000ULL, 131072), 131072);
	assert_int_equal(pacing_chunk(1000, 100), 100);
	/* 1 bit/s: 16 MiB costs years, no overflow */
	pacing_init(&p, 1, 1024, 0);
	assert_int_equal(pacing_cost_ns(&p, 16777216), 16777216ULL * 8 * NSEC_PER_SEC);
	/* 100 Gbit/s: 1 byte rounds up to 1 ns */
	pacing_init(&p, 100000000000ULL, 1024, 0);
	assert_int_equal(pacing_cost_ns(&p, 1), 1);
}

static void test_pacing_burst(void **state)
{
	(void)state;
	/* slow flows: two writes of credit */
	assert_int_equal(pacing_burst(1000000, 16384), 32768);
	/* fast flows: 20 ms of data (10 Gbit/s -> 25 MB) */
	assert_int_equal(pacing_burst(10000000000ULL, 131072), 25000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_delta_bytes, reset),
		cmocka_unit_test_setup(test_delta_prev_null_and_reordered, reset),
		cmocka_unit_test_setup(test_delta_never_wraps, reset),
		cmocka_unit_test_setup(test_retransmit_delta, reset),
		cmocka_unit_test_setup(test_total, reset),
		cmocka_unit_test_setup(test_merge_other_side, reset),
		cmocka_unit_test_setup(test_flow_lookup, reset),
		cmocka_unit_test_setup(test_udp_delta, reset),
		cmocka_unit_test_setup(test_udp_total_and_merge, reset),
		cmocka_unit_test_setup(test_tcp_has_no_udp, reset),
		cmocka_unit_test_setup(test_xdp_counts, reset),
		cmocka_unit_test_setup(test_drops_delta, reset),
		cmocka_unit_test(test_drops_fold),
		cmocka_unit_test_setup(test_bpf_tcp, reset),
		cmocka_unit_test(test_tcp_from_info),
		cmocka_unit_test(test_pacing_burst),
		cmocka_unit_test(test_pacing_bucket),
		cmocka_unit_test(test_pacing_no_catch_up),
		cmocka_unit_test(test_pacing_rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
