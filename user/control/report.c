// SPDX-License-Identifier: MIT
/* Flow model <-> the protocol's per-stream view. */
#include <stdio.h>
#include <string.h>

#include "control/report.h"
#include "wire.h"
#include "model/stats.h"
#include "units.h"

/* Wire TCP figures <-> model. */
static void report_tcp_to_wire(const struct xfr_tcp_stats *t, struct proto_tcp *w)
{
	memset(w, 0, sizeof(*w));
	w->has_retransmits = true;
	w->retransmits = t->retransmits;
	w->has_rtt = true;
	w->rtt_us = t->rtt_us;
	w->rtt_var_us = t->rttvar_us;
	w->has_cwnd = true;
	w->cwnd = t->cwnd_segments;
	w->cwnd_bytes = t->cwnd_bytes;
	w->pmtu = t->pmtu;
	w->delivery_rate_bps = t->delivery_rate_bps;
	w->has_bytes_acked = t->bytes_acked > 0;
	w->bytes_acked = t->bytes_acked;
	if (xfr_send_path_name(t->send_path))
		snprintf(w->send_path, sizeof(w->send_path), "%s",
			 xfr_send_path_name(t->send_path));
	w->send_path_send_mbps = t->probe_send_mbps;
	w->send_path_sendfile_mbps = t->probe_sendfile_mbps;
}

static enum xfr_send_path send_path_parse(const char *s)
{
	enum xfr_send_path p;

	for (p = XFR_SEND_PATH_SEND; p <= XFR_SEND_PATH_MSG_ZC; p++)
		if (!strcmp(s, xfr_send_path_name(p)))
			return p;
	return XFR_SEND_PATH_UNKNOWN; /* a name we do not know: say nothing */
}

static void report_tcp_from_wire(const struct proto_tcp *w, struct xfr_tcp_stats *t)
{
	memset(t, 0, sizeof(*t));
	t->retransmits = w->retransmits;
	t->rtt_us = w->rtt_us;
	t->rttvar_us = w->rtt_var_us;
	t->cwnd_segments = w->cwnd;
	t->cwnd_bytes = w->cwnd_bytes;
	t->pmtu = w->pmtu;
	t->delivery_rate_bps = w->delivery_rate_bps;
	t->bytes_acked = w->bytes_acked;
	t->send_path = send_path_parse(w->send_path);
	t->probe_send_mbps = w->send_path_send_mbps;
	t->probe_sendfile_mbps = w->send_path_sendfile_mbps;
}

static const struct xfr_flow *find(const struct xfr_flow *flows, uint32_t n, uint32_t stream,
				   enum xfr_flow_dir dir)
{
	for (uint32_t i = 0; i < n; i++)
		if (flows[i].stream == stream && flows[i].dir == dir)
			return &flows[i];
	return NULL;
}

/* lost / (received + lost) * 100; 0 when nothing was expected. */
static double lost_percent(uint64_t received, uint64_t lost)
{
	double all = (double)received + (double)lost;

	return all > 0 ? (double)lost / all * 100.0 : 0.0;
}

/*
 * UDP of one stream, server view: the receiver's figures from the UP flow it
 * receives, the sender's from the DOWN flow it sends.
 */
static void udp_stream_to_wire(const struct xfr_flow *up, const struct xfr_flow *down,
			       struct proto_stream *s)
{
	struct proto_udp *u = &s->udp;

	if (up && up->has_udp_rx) {
		s->has_jitter = true;
		s->jitter_ms = up->udp.jitter_ms;
		s->has_lost = true;
		s->lost = up->udp.lost;
		u->packets_received = up->udp.packets_received;
		u->lost = up->udp.lost;
		u->lost_percent = lost_percent(up->udp.packets_received, up->udp.lost);
		u->jitter_ms = up->udp.jitter_ms;
		u->jitter_max_ms = up->udp.jitter_max_ms;
		u->out_of_order = up->udp.out_of_order;
		u->duplicates = up->udp.duplicates;
		u->rcvbuf_drops = up->udp.rcvbuf_drops;
		s->has_udp = true;
	}
	if (down && down->has_udp_tx) {
		u->packets_sent = down->udp.packets_sent;
		u->send_errors = down->udp.send_errors;
		u->gso_sends = down->udp.gso_sends;
		u->gso_packets = down->udp.gso_packets;
		s->has_udp = true;
	}
}

static void drops_to_wire(const struct xfr_drops *d, struct proto_drops *w)
{
	memset(w, 0, sizeof(*w));
	for (uint32_t i = 0; i < d->n && i < XFR_MAX_DROP_REASONS && i < PROTO_MAX_DROPS; i++) {
		snprintf(w->d[i].reason, sizeof(w->d[i].reason), "%s", d->d[i].reason);
		w->d[i].packets = d->d[i].packets;
		w->n++;
	}
}

static void drops_from_wire(const struct proto_drops *w, struct xfr_drops *d)
{
	memset(d, 0, sizeof(*d));
	for (uint32_t i = 0; i < w->n && i < XFR_MAX_DROP_REASONS && i < PROTO_MAX_DROPS; i++) {
		snprintf(d->d[i].reason, sizeof(d->d[i].reason), "%s", w->d[i].reason);
		d->d[i].packets = w->d[i].packets;
		d->n++;
	}
}

static void bpf_tcp_to_wire(const struct xfr_bpf_tcp *b, struct proto_tcp *w)
{
	w->has_bpf = true;
	w->bpf_rtt_min_us = b->rtt_min_us;
	w->bpf_rtt_avg_us = b->rtt_avg_us;
	w->bpf_rtt_max_us = b->rtt_max_us;
	w->bpf_rtt_samples = b->rtt_samples;
	w->bpf_retransmits = b->retransmits;
	w->bpf_delivered = b->delivered;
}

static void bpf_tcp_from_wire(const struct proto_tcp *w, struct xfr_bpf_tcp *b)
{
	b->rtt_min_us = w->bpf_rtt_min_us;
	b->rtt_avg_us = w->bpf_rtt_avg_us;
	b->rtt_max_us = w->bpf_rtt_max_us;
	b->rtt_samples = w->bpf_rtt_samples;
	b->retransmits = w->bpf_retransmits;
	b->delivered = w->bpf_delivered;
}

/*
 * The kernel data plane's figures of one stream, server view: what its XDP
 * program counted and why packets died on its host, of the UP flow it
 * receives (rx) and the DOWN flow it sends (tx), and the sender's BPF TCP
 * figures.
 */
static void kernel_to_wire(const struct xfr_flow *up, const struct xfr_flow *down,
			   struct proto_stream *s)
{
	if (up && up->has_xdp) {
		s->udp.has_xdp = true;
		s->udp.xdp_packets = up->xdp_packets;
		s->udp.xdp_bytes = up->xdp_bytes;
		s->udp.xdp_sink = up->xdp_sink;
		s->has_udp = true;
	}
	if (up && up->has_drops_rx) {
		s->has_drops_rx = true;
		drops_to_wire(&up->drops_rx, &s->drops_rx);
	}
	if (down && down->has_drops_tx) {
		s->has_drops_tx = true;
		drops_to_wire(&down->drops_tx, &s->drops_tx);
	}
	if (down && down->has_bpf_tcp)
		bpf_tcp_to_wire(&down->bpf_tcp, &s->tcp);
}

static void stream_to_wire(const struct xfr_flow *flows, uint32_t n, uint32_t id, double secs,
			   struct proto_stream *s)
{
	const struct xfr_flow *up = find(flows, n, id, XFR_FLOW_UP);
	const struct xfr_flow *down = find(flows, n, id, XFR_FLOW_DOWN);

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->has_split = true;
	s->bytes_received = up ? up->recv_bytes : 0;
	s->bytes_sent = down ? down->sent_bytes : 0;
	s->bytes = s->bytes_received + s->bytes_sent;
	s->throughput_mbps = units_mbps(s->bytes, secs);
	if (down && down->has_tcp)
		report_tcp_to_wire(&down->tcp, &s->tcp);
	udp_stream_to_wire(up, down, s);
	kernel_to_wire(up, down, s);
}

/* Cumulative receive progress over the UP flows the server receives. */
static void udp_progress(const struct xfr_flow *totals, uint32_t ntotals,
			 struct proto_aggregate *agg)
{
	for (uint32_t i = 0; totals && i < ntotals; i++) {
		if (totals[i].dir != XFR_FLOW_UP || !totals[i].has_udp_rx)
			continue;
		agg->has_udp_progress = true;
		agg->progress_received += totals[i].udp.packets_received;
		agg->progress_lost += totals[i].udp.lost;
	}
}

void report_to_wire(const struct xfr_flow *flows, uint32_t n, const struct xfr_flow *totals,
		    uint32_t ntotals, uint32_t streams, enum xfr_dir dir, double secs,
		    struct proto_stream *out, struct proto_aggregate *agg)
{
	struct xfr_flow down_sum;
	uint32_t njitter = 0;

	memset(agg, 0, sizeof(*agg));
	for (uint32_t i = 0; i < streams; i++) {
		stream_to_wire(flows, n, i, secs, &out[i]);
		agg->bytes += out[i].bytes;
		agg->bytes_sent += out[i].bytes_received; /* client view: sent = upload */
		agg->bytes_received += out[i].bytes_sent;
		if (out[i].has_jitter) {
			agg->jitter_ms += out[i].jitter_ms;
			njitter++;
		}
		if (out[i].has_lost) {
			agg->has_lost = true;
			agg->lost += out[i].lost;
		}
	}
	agg->has_jitter = njitter > 0;
	agg->jitter_ms = njitter ? agg->jitter_ms / njitter : 0;
	udp_progress(totals, ntotals, agg);
	agg->throughput_mbps = units_mbps(agg->bytes, secs);
	result_sum(flows, n, RESULT_DIR_DOWN, &down_sum);
	if (down_sum.has_tcp)
		report_tcp_to_wire(&down_sum.tcp, &agg->tcp);
	agg->has_split = dir == XFR_DIR_BIDIR;
	agg->throughput_send_mbps = units_mbps(agg->bytes_sent, secs);
	agg->throughput_recv_mbps = units_mbps(agg->bytes_received, secs);
}

/*
 * The server's receiver figures into the client's UP flow: from the ext "udp"
 * object, or from a reference server's jitter_ms/lost alone (packets_received
 * then unknown, left 0). The flow's sender fields are the client's own.
 */
static void udp_rx_from_wire(const struct proto_stream *s, struct xfr_flow *up)
{
	struct xfr_udp_stats *u = &up->udp;

	if (s->has_udp) {
		u->packets_received = s->udp.packets_received;
		u->lost = s->udp.lost;
		u->out_of_order = s->udp.out_of_order;
		u->duplicates = s->udp.duplicates;
		u->rcvbuf_drops = s->udp.rcvbuf_drops;
		u->jitter_ms = s->udp.jitter_ms;
		u->jitter_max_ms = s->udp.jitter_max_ms;
		up->has_udp_rx = true;
	} else if (s->has_jitter || s->has_lost) {
		u->packets_received = 0;
		u->lost = s->has_lost ? s->lost : 0;
		u->jitter_ms = s->has_jitter ? s->jitter_ms : 0;
		u->jitter_max_ms = 0; /* unknown */
		up->has_udp_rx = true;
	}
}

/* The server's sender figures into the client's DOWN flow (ext "udp" only). */
static void udp_tx_from_wire(const struct proto_stream *s, struct xfr_flow *down)
{
	if (!s->has_udp)
		return;
	down->udp.packets_sent = s->udp.packets_sent;
	down->udp.send_errors = s->udp.send_errors;
	down->udp.gso_sends = s->udp.gso_sends;
	down->udp.gso_packets = s->udp.gso_packets;
	down->has_udp_tx = true;
}

/* The server's receiving side of an UP flow: its XDP count and its host's rx drops. */
static void kernel_rx_from_wire(const struct proto_stream *s, struct xfr_flow *up)
{
	if (s->has_udp && s->udp.has_xdp) {
		up->has_xdp = true;
		up->xdp_packets = s->udp.xdp_packets;
		up->xdp_bytes = s->udp.xdp_bytes;
		up->xdp_sink = s->udp.xdp_sink;
	}
	if (s->has_drops_rx) {
		up->has_drops_rx = true;
		drops_from_wire(&s->drops_rx, &up->drops_rx);
	}
}

/* The server's sending side of a DOWN flow: its host's tx drops and its BPF TCP figures. */
static void kernel_tx_from_wire(const struct proto_stream *s, struct xfr_flow *down)
{
	if (s->has_drops_tx) {
		down->has_drops_tx = true;
		drops_from_wire(&s->drops_tx, &down->drops_tx);
	}
	if (s->tcp.has_bpf) {
		down->has_bpf_tcp = true;
		bpf_tcp_from_wire(&s->tcp, &down->bpf_tcp);
	}
}

void report_from_wire(const struct proto_stream *s, uint32_t ns, enum xfr_dir dir,
		      struct xfr_flow *flows, uint32_t *n)
{
	struct xfr_flow *up, *down;

	for (uint32_t i = 0; i < ns; i++) {
		if (s[i].id >= XFR_MAX_STREAMS)
			continue;
		up = dir != XFR_DIR_DOWNLOAD ? stats_flow(flows, n, s[i].id, XFR_FLOW_UP) : NULL;
		down = dir != XFR_DIR_UPLOAD ? stats_flow(flows, n, s[i].id, XFR_FLOW_DOWN) : NULL;
		if (up) {
			up->has_recv = s[i].has_split || dir == XFR_DIR_UPLOAD;
			up->recv_bytes = s[i].has_split ? s[i].bytes_received : s[i].bytes;
			udp_rx_from_wire(&s[i], up);
			kernel_rx_from_wire(&s[i], up);
		}
		if (down) {
			down->has_sent = s[i].has_split || dir == XFR_DIR_DOWNLOAD;
			down->sent_bytes = s[i].has_split ? s[i].bytes_sent : s[i].bytes;
			if (s[i].tcp.has_rtt || s[i].tcp.has_cwnd || s[i].tcp.has_retransmits) {
				down->has_tcp = true;
				report_tcp_from_wire(&s[i].tcp, &down->tcp);
			}
			udp_tx_from_wire(&s[i], down);
			kernel_tx_from_wire(&s[i], down);
		}
	}
}

static void result_udp(const struct xfr_flow *flows, uint32_t n, uint32_t packet_size, bool rx_only,
		       struct proto_udp *out, bool *present)
{
	uint32_t nrx = 0;
	bool tx = false;

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < n; i++) {
		const struct xfr_flow *f = &flows[i];

		if (f->dir == XFR_FLOW_DOWN && f->has_udp_tx && !rx_only) {
			out->packets_sent += f->udp.packets_sent;
			out->send_errors += f->udp.send_errors;
			tx = true;
		}
		if (f->dir != XFR_FLOW_UP || !f->has_udp_rx)
			continue;
		out->packets_received += f->udp.packets_received;
		out->lost += f->udp.lost;
		out->out_of_order += f->udp.out_of_order;
		out->duplicates += f->udp.duplicates;
		out->rcvbuf_drops += f->udp.rcvbuf_drops;
		out->jitter_ms += f->udp.jitter_ms;
		if (f->udp.jitter_max_ms > out->jitter_max_ms)
			out->jitter_max_ms = f->udp.jitter_max_ms;
		nrx++;
	}
	out->jitter_ms = nrx ? out->jitter_ms / nrx : 0;
	out->lost_percent = lost_percent(out->packets_received, out->lost);
	/* Receiving only (upload): what was sent is what arrived or was lost, as the reference. */
	if (!tx)
		out->packets_sent = out->packets_received + out->lost;
	out->packet_size = packet_size >= XFR_UDP_HDR_LEN && packet_size <= 65535 ? packet_size : 0;
	*present = tx || nrx > 0;
}

void report_result_udp(const struct xfr_flow *flows, uint32_t n, uint32_t packet_size,
		       struct proto_udp *out, bool *present)
{
	result_udp(flows, n, packet_size, false, out, present);
}

void report_result_udp_rx(const struct xfr_flow *flows, uint32_t n, uint32_t packet_size,
			  struct proto_udp *out, bool *present)
{
	result_udp(flows, n, packet_size, true, out, present);
}

const char *report_server_error(const char *text)
{
	static const char prefix[] = "server error: ";

	return strncmp(text, prefix, sizeof(prefix) - 1) ? text : text + sizeof(prefix) - 1;
}

void report_sanitize(char *dst, size_t len, const char *src)
{
	size_t i;

	if (!len)
		return;
	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}
