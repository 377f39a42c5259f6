// SPDX-License-Identifier: MIT
/* Interval and total figures from cumulative engine samples (see stats.h). */
#include "stats.h"

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

static void merge_flow(const struct engine_flow_sample *p, const struct engine_flow_sample *c,
		       struct xfr_flow *f)
{
	uint64_t bytes = sub_sat(c->bytes, p ? p->bytes : 0);
	uint64_t retr0 = p && p->has_tcp ? p->tcp.total_retrans : 0;
	const struct engine_udp_sample *pu = p && p->is_udp ? &p->udp : NULL;

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
}

void stats_side_delta(const struct engine_sample *prev, const struct engine_sample *cur,
		      struct xfr_flow *out, uint32_t *n)
{
	const struct engine_flow_sample *c;
	struct xfr_flow *f;
	uint32_t i;

	for (i = 0; i < cur->nflows && i < XFR_MAX_FLOWS; i++) {
		c = &cur->flows[i];
		f = stats_flow(out, n, c->stream, c->dir);
		if (f)
			merge_flow(prev_flow(prev, i, c), c, f);
	}
}

void stats_side_total(const struct engine_sample *cur, struct xfr_flow *out, uint32_t *n)
{
	stats_side_delta(NULL, cur, out, n);
}
