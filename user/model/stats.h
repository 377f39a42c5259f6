/* SPDX-License-Identifier: MIT */
/*
 * Pure arithmetic over engine samples: cumulative counters in, interval deltas
 * and rates out. No I/O, no clocks.
 */
#ifndef XFR_MODEL_STATS_H
#define XFR_MODEL_STATS_H

#include "model/sample.h"
#include "model/result.h"

/*
 * Fill flows of this side from two cumulative samples (prev may be NULL = all
 * zero). For each flow: sending flows set has_sent/sent_bytes (delta) and TCP
 * figures (retransmits as delta, the rest as of cur); receiving flows set
 * has_recv/recv_bytes. Writes into out[] keyed by (stream, dir), merging with
 * entries already there; *n is the number of entries in out.
 */
void stats_side_delta(const struct engine_sample *prev, const struct engine_sample *cur,
		      struct xfr_flow *out, uint32_t *n);

/* Same for the whole test: cumulative counts and TCP totals (no delta). */
void stats_side_total(const struct engine_sample *cur, struct xfr_flow *out, uint32_t *n);

/* Find or append the flow (stream, dir) in out[0..*n). */
struct xfr_flow *stats_flow(struct xfr_flow *out, uint32_t *n, uint32_t stream,
			    enum xfr_flow_dir dir);

/* TCP_INFO to reported figures (cwnd bytes = cwnd * mss, delivery rate in bits/s). */
void stats_tcp_from_info(const struct xfr_tcpinfo *ti, struct xfr_tcp_stats *out);

#endif
