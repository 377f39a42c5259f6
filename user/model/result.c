// SPDX-License-Identifier: MIT
/*
 * The result model: sums over flows, the delivered-bytes rule, the interval
 * list. Printers and the protocol glue read flows only through these, so the
 * "receiver's count is the truth" rule lives in one place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/result.h"

static bool flow_selected(const struct xfr_flow *f, unsigned dir_mask)
{
	unsigned bit = f->dir == XFR_FLOW_DOWN ? RESULT_DIR_DOWN : RESULT_DIR_UP;

	return dir_mask & bit;
}

/* TCP figures: counters and cwnd add up, pmtu is the smallest known one. */
static void tcp_add(struct xfr_tcp_stats *acc, const struct xfr_tcp_stats *t)
{
	acc->retransmits += t->retransmits;
	acc->cwnd_segments += t->cwnd_segments;
	acc->cwnd_bytes += t->cwnd_bytes;
	acc->delivery_rate_bps += t->delivery_rate_bps;
	acc->bytes_acked += t->bytes_acked;
	acc->probe_send_mbps += t->probe_send_mbps;
	acc->probe_sendfile_mbps += t->probe_sendfile_mbps;
	if (t->pmtu && (!acc->pmtu || t->pmtu < acc->pmtu))
		acc->pmtu = t->pmtu;
	acc->bytes_in_flight += t->bytes_in_flight;
	if (t->min_rtt_us && (!acc->min_rtt_us || t->min_rtt_us < acc->min_rtt_us))
		acc->min_rtt_us = t->min_rtt_us;
	if (t->handshake_us > acc->handshake_us)
		acc->handshake_us = t->handshake_us;
}

/* UDP counts add up; the jitter max is the largest. The jitter mean is udp_sum's. */
static void udp_add(struct xfr_udp_stats *acc, const struct xfr_udp_stats *u)
{
	acc->packets_sent += u->packets_sent;
	acc->send_errors += u->send_errors;
	acc->err_nobufs += u->err_nobufs;
	acc->err_refused += u->err_refused;
	acc->gso_sends += u->gso_sends;
	acc->gso_packets += u->gso_packets;
	acc->packets_received += u->packets_received;
	acc->lost += u->lost;
	acc->out_of_order += u->out_of_order;
	acc->duplicates += u->duplicates;
	acc->rcvbuf_drops += u->rcvbuf_drops;
	acc->malformed += u->malformed;
	if (u->jitter_max_ms > acc->jitter_max_ms)
		acc->jitter_max_ms = u->jitter_max_ms;
}

/* The UDP part of result_sum: jitter is a mean over flows with receiver data. */
static void udp_sum(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask,
		    struct xfr_flow *sum)
{
	uint32_t nrx = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct xfr_flow *f = &flows[i];

		if (!flow_selected(f, dir_mask) || !(f->has_udp_tx || f->has_udp_rx))
			continue;
		sum->has_udp_tx |= f->has_udp_tx;
		sum->has_udp_rx |= f->has_udp_rx;
		udp_add(&sum->udp, &f->udp);
		/* A flow known only from its sender has no jitter: keep its 0 out of the mean. */
		if (f->has_udp_rx) {
			sum->udp.jitter_ms += f->udp.jitter_ms;
			nrx++;
		}
	}
	sum->udp.jitter_ms = nrx ? sum->udp.jitter_ms / nrx : 0;
}

void result_sum(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask, struct xfr_flow *sum)
{
	uint64_t rtt = 0, rttvar = 0;
	uint32_t ntcp = 0;
	bool mixed = false; /* flows wrote by different paths: the sum names none */

	memset(sum, 0, sizeof(*sum));
	sum->dir = dir_mask == RESULT_DIR_DOWN ? XFR_FLOW_DOWN : XFR_FLOW_UP;
	for (uint32_t i = 0; i < n; i++) {
		const struct xfr_flow *f = &flows[i];

		if (!flow_selected(f, dir_mask))
			continue;
		if (f->has_sent) {
			sum->has_sent = true;
			sum->sent_bytes += f->sent_bytes;
		}
		if (f->has_recv) {
			sum->has_recv = true;
			sum->recv_bytes += f->recv_bytes;
		}
		if (!f->has_tcp)
			continue;
		sum->has_tcp = true;
		tcp_add(&sum->tcp, &f->tcp);
		if (f->tcp.send_path && sum->tcp.send_path &&
		    f->tcp.send_path != sum->tcp.send_path)
			mixed = true;
		else if (f->tcp.send_path)
			sum->tcp.send_path = f->tcp.send_path;
		rtt += f->tcp.rtt_us;
		rttvar += f->tcp.rttvar_us;
		ntcp++;
	}
	if (mixed)
		sum->tcp.send_path = XFR_SEND_PATH_UNKNOWN;
	/* rtt is a property of each path, so the aggregate is a mean, not a sum. */
	if (ntcp) {
		sum->tcp.rtt_us = (uint32_t)((rtt + ntcp / 2) / ntcp);
		sum->tcp.rttvar_us = (uint32_t)((rttvar + ntcp / 2) / ntcp);
	}
	udp_sum(flows, n, dir_mask, sum);
}

uint64_t result_flow_bytes(const struct xfr_flow *f)
{
	return f->has_recv ? f->recv_bytes : f->sent_bytes;
}

int result_init(struct xfr_result *r, uint32_t streams)
{
	memset(r, 0, sizeof(*r));
	if (!streams || streams > XFR_MAX_STREAMS)
		streams = XFR_MAX_STREAMS;
	r->flows = calloc(2 * streams, sizeof(*r->flows));
	if (!r->flows)
		return -ENOMEM;
	r->cap_flows = 2 * streams;
	return 0;
}

int result_add_interval(struct xfr_result *r, const struct xfr_interval *iv)
{
	if (r->nintervals == r->cap_intervals) {
		uint32_t cap = r->cap_intervals ? r->cap_intervals * 2 : 16;
		struct xfr_interval *p = reallocarray(r->intervals, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->intervals = p;
		r->cap_intervals = cap;
	}
	struct xfr_interval *dst = &r->intervals[r->nintervals];

	*dst = *iv;
	dst->flows = NULL;
	if (iv->nflows) {
		dst->flows = malloc(iv->nflows * sizeof(*dst->flows));
		if (!dst->flows)
			return -ENOMEM;
		memcpy(dst->flows, iv->flows, iv->nflows * sizeof(*dst->flows));
	}
	r->nintervals++;
	r->intervals_bytes += sizeof(*dst) + iv->nflows * sizeof(*dst->flows);
	return 0;
}

int result_keep_interval(struct xfr_result *r, const struct xfr_interval *iv, uint64_t max_bytes)
{
	if (r->intervals_bytes + sizeof(*iv) + iv->nflows * sizeof(*iv->flows) > max_bytes) {
		r->intervals_dropped++;
		return -ENOSPC;
	}
	return result_add_interval(r, iv);
}

void result_free(struct xfr_result *r)
{
	for (uint32_t i = 0; i < r->nintervals; i++)
		free(r->intervals[i].flows);
	free(r->intervals);
	r->intervals = NULL;
	r->nintervals = 0;
	r->cap_intervals = 0;
	r->intervals_bytes = 0;
	free(r->server_output);
	r->server_output = NULL;
	free(r->mtu);
	r->mtu = NULL;
	free(r->flows);
	r->flows = NULL;
	r->nflows = r->cap_flows = 0;
}

static int drop_cmp(const void *a, const void *b)
{
	const struct xfr_drop *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets < y->packets ? 1 : -1;
	return strcmp(x->reason, y->reason);
}

void result_drops_sort(struct xfr_drop *d, uint32_t n)
{
	qsort(d, n, sizeof(*d), drop_cmp);
}

void result_drops_fold(struct xfr_drop *all, uint32_t n, struct xfr_drops *out)
{
	uint32_t keep = n > XFR_MAX_DROP_REASONS ? XFR_MAX_DROP_REASONS - 1 : n;

	result_drops_sort(all, n);
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < keep; i++)
		out->d[out->n++] = all[i];
	if (keep == n)
		return;
	snprintf(out->d[keep].reason, sizeof(out->d[keep].reason), "OTHER");
	for (uint32_t i = keep; i < n; i++)
		out->d[keep].packets += all[i].packets;
	out->n++;
}

const char *xfr_send_path_name(enum xfr_send_path p)
{
	switch (p) {
	case XFR_SEND_PATH_SEND:
		return "send";
	case XFR_SEND_PATH_SENDFILE:
		return "sendfile";
	case XFR_SEND_PATH_MSG_ZC:
		return "msg_zerocopy";
	case XFR_SEND_PATH_UNKNOWN:
	default:
		return NULL;
	}
}

bool result_nothing_arrived(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask,
			    uint64_t *sent)
{
	bool reported = false, arrived = false;

	*sent = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct xfr_flow *f = &flows[i];

		if (!flow_selected(f, dir_mask))
			continue;
		if (f->has_sent)
			*sent += f->sent_bytes;
		reported |= f->has_recv || f->has_udp_rx || f->has_xdp;
		arrived |= (f->has_recv && f->recv_bytes) ||
			   (f->has_udp_rx && f->udp.packets_received) ||
			   (f->has_xdp && f->xdp_packets);
	}
	return *sent && reported && !arrived;
}

int result_note(struct xfr_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes == XFR_MAX_NOTES)
		return -ENOSPC;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
	return 0;
}
