// SPDX-License-Identifier: MIT
/*
 * The figures a reference server gives only for the whole test, folded into
 * the flows they belong to. The reference (serve.rs, stats.rs) writes per
 * stream only id, bytes, throughput_mbps and retransmits; its result-level
 * tcp_info is the mean rtt / summed cwnd of its own sockets (the sender's in
 * download and bidir), udp_stats what it received, and bytes_sent /
 * bytes_received the bidir split in the client's view. Our server writes all
 * of them per stream, so for it nothing here applies.
 */
#include <string.h>

#include "control/report.h"
#include "model/stats.h"

/* part * num / den without overflow for byte counts; 0 when den is. */
static uint64_t share(uint64_t part, uint64_t num, uint64_t den)
{
	if (!den || num > den)
		return 0;
	return (uint64_t)((long double)part * (long double)num / (long double)den);
}

/* Flows of direction dir, in stream order: how many, into out. */
static uint32_t dir_flows(struct xfr_flow *flows, uint32_t n, enum xfr_flow_dir dir,
			  struct xfr_flow **out)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		if (flows[i].dir == dir)
			out[k++] = &flows[i];
	return k;
}

/*
 * Bidir without a per-stream split: each stream's bytes (both directions)
 * are divided in the ratio of the totals sent : received (client view); the
 * last stream takes the rounding so the totals are the server's exactly.
 */
static bool split_bidir(const struct proto_stream *st, uint32_t ns, uint64_t sent,
			uint64_t received, struct xfr_flow *flows, uint32_t *n)
{
	uint64_t all = sent + received, up_left = sent, down_left = received;

	for (uint32_t i = 0; i < ns; i++) {
		const struct proto_stream *s = &st[i];
		struct xfr_flow *up = stats_flow(flows, n, s->id, XFR_FLOW_UP);
		struct xfr_flow *down = stats_flow(flows, n, s->id, XFR_FLOW_DOWN);
		uint64_t u = i + 1 == ns ? up_left : share(s->bytes, sent, all);
		uint64_t d = i + 1 == ns ? down_left : s->bytes - u;

		if (!up || !down)
			continue;
		u = u > up_left ? up_left : u;
		d = d > down_left ? down_left : d;
		up_left -= u;
		down_left -= d;
		up->has_recv = true;
		up->recv_bytes = u;
		down->has_sent = true;
		down->sent_bytes = d;
	}
	return ns > 1;
}

/* The server's sending sockets: rtt/rttvar are means (the same on each flow), cwnd is shared. */
static bool tcp_totals(const struct proto_tcp *t, struct xfr_flow *flows, uint32_t n)
{
	struct xfr_flow *down[XFR_MAX_FLOWS];
	uint32_t nd = dir_flows(flows, n, XFR_FLOW_DOWN, down);

	for (uint32_t i = 0; i < nd; i++)
		if (down[i]->has_tcp && (down[i]->tcp.rtt_us || down[i]->tcp.cwnd_segments))
			return false; /* the streams said it themselves */
	for (uint32_t i = 0; i < nd; i++) {
		struct xfr_tcp_stats *s = &down[i]->tcp;

		if (!down[i]->has_tcp)
			memset(s, 0, sizeof(*s));
		down[i]->has_tcp = true;
		s->rtt_us = t->rtt_us;
		s->rttvar_us = t->rtt_var_us;
		s->cwnd_segments = t->cwnd / nd + (i < t->cwnd % nd);
	}
	return nd > 1;
}

/* What the server received: counts shared by each flow's bytes, jitter the mean on each. */
static bool udp_totals(const struct proto_udp *u, struct xfr_flow *flows, uint32_t n)
{
	struct xfr_flow *up[XFR_MAX_FLOWS];
	uint32_t nu = dir_flows(flows, n, XFR_FLOW_UP, up);
	uint64_t bytes = 0, rx = u->packets_received, lost = u->lost, ooo = u->out_of_order;

	for (uint32_t i = 0; i < nu; i++) {
		if (up[i]->has_udp_rx)
			return false;
		bytes += up[i]->recv_bytes;
	}
	for (uint32_t i = 0; i < nu; i++) {
		struct xfr_udp_stats *s = &up[i]->udp;
		bool last = i + 1 == nu;

		up[i]->has_udp_rx = true;
		s->packets_received =
			last ? rx : share(u->packets_received, up[i]->recv_bytes, bytes);
		s->lost = last ? lost : share(u->lost, up[i]->recv_bytes, bytes);
		s->out_of_order = last ? ooo : share(u->out_of_order, up[i]->recv_bytes, bytes);
		rx -= s->packets_received;
		lost -= s->lost;
		ooo -= s->out_of_order;
		s->jitter_ms = u->jitter_ms;
		s->jitter_max_ms = u->jitter_max_ms;
	}
	return nu > 1 && bytes;
}

static bool has_split(const struct proto_stream *st, uint32_t ns)
{
	for (uint32_t i = 0; i < ns; i++)
		if (st[i].has_split)
			return true;
	return false;
}

uint32_t report_result_totals(const struct proto_result *pr, uint32_t ns, enum xfr_dir dir,
			      struct xfr_flow *flows, uint32_t *n)
{
	uint32_t shared = 0;

	if (dir == XFR_DIR_BIDIR && pr->has_split && ns && !has_split(pr->streams, ns) &&
	    split_bidir(pr->streams, ns, pr->bytes_sent, pr->bytes_received, flows, n))
		shared |= REPORT_SHARED_BYTES;
	if (dir != XFR_DIR_UPLOAD && pr->has_tcp_info && tcp_totals(&pr->tcp_info, flows, *n))
		shared |= REPORT_SHARED_TCP;
	if (dir != XFR_DIR_DOWNLOAD && pr->has_udp_stats && udp_totals(&pr->udp_stats, flows, *n))
		shared |= REPORT_SHARED_UDP;
	return shared;
}

static bool has_udp(const struct proto_stream *st, uint32_t ns)
{
	for (uint32_t i = 0; i < ns; i++)
		if (st[i].has_udp)
			return true;
	return false;
}

/*
 * Datagrams received over the interval: the aggregate's cumulative
 * udp_progress less the previous one, shared over the UP flows by their
 * bytes (exact with one stream). Each stream's lost stays the wire's.
 */
static void udp_progress_rows(const struct proto_aggregate *a, struct report_progress *prog,
			      struct xfr_flow *flows, uint32_t n)
{
	struct xfr_flow *up[XFR_MAX_FLOWS];
	uint32_t nu = dir_flows(flows, n, XFR_FLOW_UP, up);
	uint64_t rx =
		a->progress_received > prog->received ? a->progress_received - prog->received : 0;
	uint64_t lost = a->progress_lost > prog->lost ? a->progress_lost - prog->lost : 0;
	uint64_t bytes = 0, left = rx;

	prog->received = a->progress_received;
	prog->lost = a->progress_lost;
	for (uint32_t i = 0; i < nu; i++)
		bytes += up[i]->recv_bytes;
	for (uint32_t i = 0; i < nu; i++) {
		uint64_t k = i + 1 == nu ? left : share(rx, up[i]->recv_bytes, bytes);

		k = k > left ? left : k;
		left -= k;
		up[i]->has_udp_rx = true;
		up[i]->udp.packets_received = k;
		if (nu == 1)
			up[i]->udp.lost = lost;
	}
}

void report_interval_totals(const struct proto_interval *iv, uint32_t ns, enum xfr_dir dir,
			    struct report_progress *prog, struct xfr_flow *flows, uint32_t *n)
{
	const struct proto_aggregate *a = &iv->aggregate;

	if (dir == XFR_DIR_BIDIR && a->has_split && ns && !has_split(iv->streams, ns))
		split_bidir(iv->streams, ns, a->bytes_sent, a->bytes_received, flows, n);
	if (dir != XFR_DIR_DOWNLOAD && a->has_udp_progress && !has_udp(iv->streams, ns))
		udp_progress_rows(a, prog, flows, *n);
}
