/* SPDX-License-Identifier: MIT */
/*
 * Between the flow model (user/model/result.h) and the protocol's per-stream view
 * (user/control/proto.h). The server describes its side of each stream on the wire;
 * the client folds that back into flows beside its own side.
 */
#ifndef XFR_CONTROL_REPORT_H
#define XFR_CONTROL_REPORT_H

#include "control/proto.h"
#include "model/result.h"

/*
 * Server side: its flows (receiving UP, sending DOWN) of a test with `streams`
 * streams to per-stream wire entries and the aggregate. secs is the span the
 * bytes cover (for throughput_mbps).
 *
 * UDP: per stream jitter_ms/lost and the ext "udp" object's receiver fields
 * come from the UP flow (has_udp_rx), packets_sent/send_errors from the DOWN
 * flow (has_udp_tx). Aggregate jitter is the mean over streams with receiver
 * data, lost the sum. totals (the server's cumulative flows, may be NULL)
 * fill the aggregate's udp_progress from its UP flows.
 */
void report_to_wire(const struct xfr_flow *flows, uint32_t n, const struct xfr_flow *totals,
		    uint32_t ntotals, uint32_t streams, enum xfr_dir dir, double secs,
		    struct proto_stream *out, struct proto_aggregate *agg);

/*
 * Client side: fold the server's per-stream entries into flows (adds the
 * server's side: UP received, DOWN sent and its TCP figures). A reference
 * server without the bytes_sent/bytes_received split is read by direction.
 *
 * UDP: the UP flow's receiver fields (has_udp_rx) from the "udp" object, or
 * from a reference server's jitter_ms/lost (packets_received then 0 =
 * unknown); the DOWN flow's packets_sent/send_errors (has_udp_tx) from the
 * "udp" object. The client's own side of each flow is left alone.
 */
void report_from_wire(const struct proto_stream *s, uint32_t ns, enum xfr_dir dir,
		      struct xfr_flow *flows, uint32_t *n);

/*
 * The result's udp_stats from the server's whole-test flows: receiver figures
 * summed over UP flows (jitter the mean, jitter max the max), packets_sent and
 * send_errors over DOWN flows; without DOWN flows packets_sent = received +
 * lost (the reference's receiver view). lost_percent = lost / (received +
 * lost) * 100. packet_size outside 16..65535 is left absent (0). *present is
 * false when no flow has UDP figures.
 */
void report_result_udp(const struct xfr_flow *flows, uint32_t n, uint32_t packet_size,
		       struct proto_udp *out, bool *present);

/*
 * The reference's udp_stats: what the server received only (UP flows), so
 * packets_sent = received + lost for that one direction; absent when the
 * server received nothing (download). A reference client keeps a server's
 * udp_stats over its own receiver figures, and reads packets_sent as the
 * sender's count of the direction whose received and lost it shows.
 */
void report_result_udp_rx(const struct xfr_flow *flows, uint32_t n, uint32_t packet_size,
			  struct proto_udp *out, bool *present);

/*
 * Client side, after report_from_wire: the figures a reference server gives
 * for the whole test only, into the flows where its streams did not carry
 * them (user/control/report_totals.c): in bidir the result's bytes_sent /
 * bytes_received (each stream's bytes divided in their ratio), in download
 * and bidir its tcp_info onto the DOWN flows (rtt and rttvar are its means,
 * cwnd is shared out), in upload and bidir its udp_stats onto the UP flows
 * (counts shared by each flow's bytes, jitter the mean). Returns the
 * REPORT_SHARED_* bits of figures that had to be shared among several
 * streams: their per-stream values are then shares, not measurements.
 */
#define REPORT_SHARED_BYTES 1u
#define REPORT_SHARED_TCP   2u
#define REPORT_SHARED_UDP   4u
uint32_t report_result_totals(const struct proto_result *pr, uint32_t ns, enum xfr_dir dir,
			      struct xfr_flow *flows, uint32_t *n);
/*
 * The same for an interval: a reference server's bidir split is in its
 * aggregate only, and so are the datagrams it received (udp_progress,
 * cumulative: prog holds the previous one, zeroed at the test's start).
 */
struct report_progress {
	uint64_t received, lost;
};
void report_interval_totals(const struct proto_interval *iv, uint32_t ns, enum xfr_dir dir,
			    struct report_progress *prog, struct xfr_flow *flows, uint32_t *n);

/* Printable copy of a peer-supplied string: control chars and non-ASCII become
 * '?', at most len-1 bytes. */
void report_sanitize(char *dst, size_t len, const char *src);

/* A server's error text without its own "server error: " prefix (we add ours). */
const char *report_server_error(const char *text);

#endif
