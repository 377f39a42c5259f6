// SPDX-License-Identifier: MIT
/* Interval and total figures from cumulative engine samples (see stats.h). */
#include "model/stats.h"

#include <stdlib.h>
#include <string.h>

/* Counters only grow, but a final clamp (bytes_acked) may lower one: never wrap. */
static uint64_t sub_sat(uint64_t cur, uint64_t prev)
{
	return cur > prev ? cur - prev : 0;
}

struct xfr_flow *stats_flow(struct xfr_flow *out, uint32_t *n, uint32_t stream,
			    enum xfr_flow_dir dir)
{
	struct xfr_flow *f;
	uint32_t i;

	for (i = 0; i < *n; i++)
		if (out[i].stream == stream && out[i].dir == dir)
			return &out[i];
	if (*n >= XFR_MAX_FLOWS)
		return NULL;
	f = &out[(*n)++];
	memset(f, 0, sizeof(*f));
	f->stream = stream;
	f->dir = dir;
	return f;
}

void stats_tcp_from_info(const struct xfr_tcpinfo *ti, struct xfr_tcp_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->retransmits = ti->total_retrans;
	out->rtt_us = ti->rtt_us;
	out->rttvar_us = ti->rttvar_us;
	out->cwnd_segments = ti->snd_cwnd;
	out->cwnd_bytes = (uint64_t)ti->snd_cwnd * ti->snd_mss;
	out->pmtu = ti->pmtu;
	out->delivery_rate_bps = ti->delivery_rate * 8;
	out->bytes_acked = ti->bytes_acked;
	out->min_rtt_us = ti->min_rtt_us;
	out->bytes_in_flight = ti->bytes_in_flight;
	out->handshake_us = ti->handshake_us;
}

/* The same flow in the previous sample: usually at the same index. */
static const struct engine_flow_sample *prev_flow(const struct engine_sample *prev, uint32_t i,
						  const struct engine_flow_sample *cur)
{
	const struct engine_flow_sample *p;
	uint32_t j;

	if (!prev)
		return NULL;
	for (j = 0; j < prev->nflows && j < XFR_MAX_FLOWS; j++) {
		p = &prev->flows[(i + j) % prev->nflows];
		if (p->stream == cur->stream && p->dir == cur->dir && p->sending == cur->sending)
			return p;
	}
	return NULL;
}

/* A sending UDP flow: packets and send errors over the span (p NULL = total). */
static void merge_udp_tx(const struct engine_udp_sample *p, const struct engine_udp_sample *c,
			 struct xfr_flow *f)
{
	static const struct engine_udp_sample zero;
	struct xfr_udp_stats *u = &f->udp;

	if (!p)
		p = &zero;
	f->has_udp_tx = true;
	u->packets_sent = sub_sat(c->packets, p->packets);
	u->err_nobufs = sub_sat(c->err_nobufs, p->err_nobufs);
	u->gso_sends = sub_sat(c->gso_sends, p->gso_sends);
	u->gso_packets = sub_sat(c->gso_packets, p->gso_packets);
	u->err_refused = sub_sat(c->err_refused, p->err_refused);
	u->send_errors = u->err_nobufs + u->err_refused + sub_sat(c->err_other, p->err_other);
}

/* A receiving UDP flow: counts over the span (lost clamped at 0 when late
 * packets filled more gaps than opened), jitter as of c. */
static void merge_udp_rx(const struct engine_udp_sample *p, const struct engine_udp_sample *c,
			 struct xfr_flow *f)
{
	static const struct engine_udp_sample zero;
	struct xfr_udp_stats *u = &f->udp;

	if (!p)
		p = &zero;
	f->has_udp_rx = true;
	u->packets_received = sub_sat(c->packets, p->packets);
	u->lost = sub_sat(c->lost, p->lost);
	u->out_of_order = sub_sat(c->out_of_order, p->out_of_order);
	u->duplicates = sub_sat(c->duplicates, p->duplicates);
	u->rcvbuf_drops = sub_sat(c->rcvbuf_drops, p->rcvbuf_drops);
	u->malformed = sub_sat(c->malformed, p->malformed);
	u->jitter_ms = c->jitter_us / 1000.0;
	u->jitter_max_ms = c->jitter_max_us / 1000.0;
}

/* What the receiver's XDP program counted over the span. */
static void merge_xdp(const struct engine_flow_sample *p, const struct engine_flow_sample *c,
		      struct xfr_flow *f)
{
	bool prev = p && p->has_xdp;

	f->has_xdp = true;
	f->xdp_sink = c->xdp_sink;
	f->xdp_packets = sub_sat(c->xdp_packets, prev ? p->xdp_packets : 0);
	f->xdp_bytes = sub_sat(c->xdp_bytes, prev ? p->xdp_bytes : 0);
}

/* The count of reason in d, 0 when d does not have it (yet). */
static uint64_t drops_of(const struct xfr_drops *d, const char *reason)
{
	for (uint32_t i = 0; d && i < d->n && i < XFR_MAX_DROP_REASONS; i++)
		if (!strcmp(d->d[i].reason, reason))
			return d->d[i].packets;
	return 0;
}

/*
 * Drops by reason over the span: cumulative counts matched by name (the
 * observer's order may change between samples), reasons that did not grow
 * left out, the largest first.
 */
static void drops_delta(const struct xfr_drops *p, const struct xfr_drops *c, struct xfr_drops *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < c->n && i < XFR_MAX_DROP_REASONS; i++) {
		uint64_t d = sub_sat(c->d[i].packets, drops_of(p, c->d[i].reason));

		if (!d)
			continue;
		out->d[out->n] = c->d[i];
		out->d[out->n].reason[sizeof(out->d[0].reason) - 1] = '\0';
		out->d[out->n++].packets = d;
	}
	result_drops_sort(out->d, out->n);
}

/* This host's drops of the flow's packets: why received ones died (rx) or sent ones (tx). */
static void merge_drops(const struct engine_flow_sample *p, const struct engine_flow_sample *c,
			struct xfr_flow *f)
{
	const struct xfr_drops *pd = p && p->has_drops ? &p->drops : NULL;

	if (c->sending) {
		f->has_drops_tx = true;
		drops_delta(pd, &c->drops, &f->drops_tx);
	} else {
		f->has_drops_rx = true;
		drops_delta(pd, &c->drops, &f->drops_rx);
	}
}

static uint32_t rtt_avg(uint64_t sum_us, uint64_t samples)
{
	uint64_t avg = samples ? (sum_us + samples / 2) / samples : 0;

	return avg > UINT32_MAX ? UINT32_MAX : (uint32_t)avg;
}

/*
 * BPF TCP figures. An interval: its samples' mean (delta sum / delta count)
 * and the window's min/max; the whole test: the cumulative mean and the
 * flow's min/max. No RTT sample in the span: no RTT figures.
 */
static void merge_bpf_tcp(const struct engine_flow_sample *p, const struct engine_flow_sample *c,
			  bool total, struct xfr_flow *f)
{
	const struct engine_flow_sample *b = p && p->has_bpf_tcp ? p : NULL;
	struct xfr_bpf_tcp *t = &f->bpf_tcp;
	uint64_t sum;

	f->has_bpf_tcp = true;
	memset(t, 0, sizeof(*t));
	t->rtt_samples = sub_sat(c->bpf_rtt_samples, b ? b->bpf_rtt_samples : 0);
	sum = sub_sat(c->bpf_rtt_sum_us, b ? b->bpf_rtt_sum_us : 0);
	t->retransmits = sub_sat(c->bpf_retransmits, b ? b->bpf_retransmits : 0);
	t->delivered = sub_sat(c->bpf_delivered, b ? b->bpf_delivered : 0);
	if (!t->rtt_samples)
		return;
	t->rtt_avg_us = rtt_avg(sum, t->rtt_samples);
	t->rtt_min_us = total ? c->bpf_rtt_min_us : c->bpf_rtt_win_min_us;
	t->rtt_max_us = total ? c->bpf_rtt_max_us : c->bpf_rtt_win_max_us;
}

/* The kernel data plane's figures of a flow (any that the sample carries). */
static void merge_kernel(const struct engine_flow_sample *p, const struct engine_flow_sample *c,
			 bool total, struct xfr_flow *f)
{
	if (c->has_xdp && !c->sending)
		merge_xdp(p, c, f);
	if (c->has_drops)
		merge_drops(p, c, f);
	if (c->has_bpf_tcp && c->sending)
		merge_bpf_tcp(p, c, total, f);
}

static void merge_flow(const struct engine_flow_sample *p, const struct engine_flow_sample *c,
		       bool total, struct xfr_flow *f)
{
	uint64_t bytes = sub_sat(c->bytes, p ? p->bytes : 0);
	uint64_t retr0 = p && p->has_tcp ? p->tcp.total_retrans : 0;
	const struct engine_udp_sample *pu = p && p->is_udp ? &p->udp : NULL;

	merge_kernel(p, c, total, f);
	if (!c->sending) {
		f->has_recv = true;
		f->recv_bytes = bytes;
		if (c->is_udp)
			merge_udp_rx(pu, &c->udp, f);
		return;
	}
	f->has_sent = true;
	f->sent_bytes = bytes;
	if (c->is_udp)
		merge_udp_tx(pu, &c->udp, f);
	if (!c->has_tcp)
		return;
	f->has_tcp = true;
	stats_tcp_from_info(&c->tcp, &f->tcp);
	f->tcp.retransmits = sub_sat(c->tcp.total_retrans, retr0);
	f->tcp.send_path = c->send_path;
	f->tcp.probe_send_mbps = c->probe_send_mbps;
	f->tcp.probe_sendfile_mbps = c->probe_sendfile_mbps;
}

static void side_merge(const struct engine_sample *prev, const struct engine_sample *cur,
		       bool total, struct xfr_flow *out, uint32_t *n)
{
	const struct engine_flow_sample *c;
	struct xfr_flow *f;
	uint32_t i;

	for (i = 0; i < cur->nflows && i < XFR_MAX_FLOWS; i++) {
		c = &cur->flows[i];
		f = stats_flow(out, n, c->stream, c->dir);
		if (f)
			merge_flow(prev_flow(prev, i, c), c, total, f);
	}
}

void stats_side_delta(const struct engine_sample *prev, const struct engine_sample *cur,
		      struct xfr_flow *out, uint32_t *n)
{
	side_merge(prev, cur, false, out, n);
}

void stats_side_total(const struct engine_sample *cur, struct xfr_flow *out, uint32_t *n)
{
	side_merge(NULL, cur, true, out, n);
}
