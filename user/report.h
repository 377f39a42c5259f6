/* SPDX-License-Identifier: MIT */
/*
 * Between the flow model (user/result.h) and the protocol's per-stream view
 * (user/proto.h). The server describes its side of each stream on the wire;
 * the client folds that back into flows beside its own side.
 */
#ifndef XFR_REPORT_H
#define XFR_REPORT_H

#include "proto.h"
#include "result.h"

/*
 * Server side: its flows (receiving UP, sending DOWN) of a test with `streams`
 * streams to per-stream wire entries and the aggregate. secs is the span the
 * bytes cover (for throughput_mbps).
 */
void report_to_wire(const struct xfr_flow *flows, uint32_t n, uint32_t streams, enum xfr_dir dir,
		    double secs, struct proto_stream *out, struct proto_aggregate *agg);

/*
 * Client side: fold the server's per-stream entries into flows (adds the
 * server's side: UP received, DOWN sent and its TCP figures). A reference
 * server without the bytes_sent/bytes_received split is read by direction.
 */
void report_from_wire(const struct proto_stream *s, uint32_t ns, enum xfr_dir dir,
		      struct xfr_flow *flows, uint32_t *n);

/* Wire TCP figures <-> model. */
void report_tcp_to_wire(const struct xfr_tcp_stats *t, struct proto_tcp *w);
void report_tcp_from_wire(const struct proto_tcp *w, struct xfr_tcp_stats *t);

/* Printable copy of a peer-supplied string: control chars and non-ASCII become
 * '?', at most len-1 bytes. */
void report_sanitize(char *dst, size_t len, const char *src);

#endif
