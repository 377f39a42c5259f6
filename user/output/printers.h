/* SPDX-License-Identifier: MIT */
/*
 * Private to user/output/: the printers' ops tables and the few helpers they
 * share (checked writes, delivered bytes, the JSON builders the json-stream
 * printer reuses). Nothing outside user/output/ includes this.
 */
#ifndef XFR_OUTPUT_PRINTERS_H
#define XFR_OUTPUT_PRINTERS_H

#include <jansson.h>
#include <stdio.h>

#include "output/output.h"

extern const struct output_ops output_plain_ops;
extern const struct output_ops output_json_ops;
extern const struct output_ops output_jsonstream_ops;
extern const struct output_ops output_csv_ops;

/* fprintf / flush that return 0 or -errno (-EIO when the stream gave no errno). */
int output_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int output_flush(FILE *f);

/* Delivered bytes (receiver's count per flow, else sender's) of the flows in dir_mask. */
uint64_t output_delivered(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask);
/* RESULT_DIR_* bits of the directions present among flows. */
unsigned output_dirs(const struct xfr_flow *flows, uint32_t n);
/* Megabits (1e6 bits) per second; 0 when secs is not positive. */
double output_mbps(uint64_t bytes, double secs);
/* ISO 8601 UTC with milliseconds, "2026-11-26T23:40:01.123Z". */
char *output_iso8601(uint64_t wall_us, char *buf, size_t len);

/* UDP (output.c). True when the test ran over UDP: UDP keys instead of TCP ones. */
bool output_is_udp(const struct xfr_result *r);
/*
 * The link whose GSO batches the flows of @mask (summed in @sum) crossed
 * whole, or NULL: batches were sent (udp.gso_sends) and the sender's
 * interface keeps them (r->gso_iface). RESULT_DIR_ALL means the test's one
 * direction (NULL for --bidir: each direction says its own).
 */
const char *output_gso_iface(const struct xfr_result *r, unsigned mask, const struct xfr_flow *sum);
/* lost / (received + lost) * 100; 0 when both are 0. */
double output_lost_percent(const struct xfr_udp_stats *u);
/* Datagrams sent: the sender's count, else what the receiver saw (received + lost). */
uint64_t output_udp_sent(const struct xfr_flow *f);
/*
 * The kernel data plane's figures of the flows in dir_mask added into sum
 * (which result_sum leaves without them): XDP counts and drops by reason add
 * up (merged by name, largest first, the smallest folded into "OTHER" past
 * XFR_MAX_DROP_REASONS), BPF TCP: samples, retransmits, delivered add up, the
 * mean is weighted by samples, min/max over flows with samples.
 */
void output_kernel_sum(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask,
		       struct xfr_flow *sum);
/* Packets over all reasons. */
uint64_t output_drops_total(const struct xfr_drops *d);
/* Any flow with XDP counts, drops by reason or BPF TCP figures. */
bool output_has_kernel(const struct xfr_flow *flows, uint32_t n);
/* "Pass", "Fail", "LocalLimit", "Untested" (the reference's JSON names). */
const char *output_mtu_verdict_name(enum xfr_mtu_verdict v);

/* JSON builders (json.c). NULL when out of memory. */
json_t *output_json_result(const struct xfr_result *r, enum xfr_ts_format ts);
/* A JSON string; bytes that are not UTF-8 become '?'. */
json_t *output_json_string(const char *s);
/* protocol, direction, engine, num_streams, version, server_version, host, port,
 * start_time: the test's identity, added to obj. 0 or -ENOMEM. */
int output_json_settings(json_t *obj, const struct xfr_result *r);
/* The interval's figures (no start/end/timestamp keys), added to obj. 0 or -ENOMEM. */
int output_json_interval_body(json_t *obj, const struct xfr_result *r,
			      const struct xfr_interval *iv);
/* Dump j to f (JSON_PRESERVE_ORDER and sane real precision added), then '\n' and flush. */
int output_json_dump(FILE *f, const json_t *j, size_t flags);

#endif
