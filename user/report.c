// SPDX-License-Identifier: MIT
/* Flow model <-> the protocol's per-stream view. */
#include <string.h>

#include "report.h"
#include "stats.h"
#include "units.h"

void report_tcp_to_wire(const struct xfr_tcp_stats *t, struct proto_tcp *w)
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
}

void report_tcp_from_wire(const struct proto_tcp *w, struct xfr_tcp_stats *t)
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
}

static const struct xfr_flow *find(const struct xfr_flow *flows, uint32_t n, uint32_t stream,
				   enum xfr_flow_dir dir)
{
	for (uint32_t i = 0; i < n; i++)
		if (flows[i].stream == stream && flows[i].dir == dir)
			return &flows[i];
	return NULL;
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
}

void report_to_wire(const struct xfr_flow *flows, uint32_t n, uint32_t streams, enum xfr_dir dir,
		    double secs, struct proto_stream *out, struct proto_aggregate *agg)
{
	struct xfr_flow down_sum;

	memset(agg, 0, sizeof(*agg));
	for (uint32_t i = 0; i < streams; i++) {
		stream_to_wire(flows, n, i, secs, &out[i]);
		agg->bytes += out[i].bytes;
		agg->bytes_sent += out[i].bytes_received; /* client view: sent = upload */
		agg->bytes_received += out[i].bytes_sent;
	}
	agg->throughput_mbps = units_mbps(agg->bytes, secs);
	result_sum(flows, n, RESULT_DIR_DOWN, &down_sum);
	if (down_sum.has_tcp)
		report_tcp_to_wire(&down_sum.tcp, &agg->tcp);
	agg->has_split = dir == XFR_DIR_BIDIR;
	agg->throughput_send_mbps = units_mbps(agg->bytes_sent, secs);
	agg->throughput_recv_mbps = units_mbps(agg->bytes_received, secs);
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
		}
		if (down) {
			down->has_sent = s[i].has_split || dir == XFR_DIR_DOWNLOAD;
			down->sent_bytes = s[i].has_split ? s[i].bytes_sent : s[i].bytes;
			if (s[i].tcp.has_rtt || s[i].tcp.has_cwnd || s[i].tcp.has_retransmits) {
				down->has_tcp = true;
				report_tcp_from_wire(&s[i].tcp, &down->tcp);
			}
		}
	}
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
