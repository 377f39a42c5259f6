/* SPDX-License-Identifier: MIT */
/*
 * The result model every printer reads: the test's identity and settings, the
 * flows (one direction of one stream) per interval and for the whole test, each
 * with the sender's and the receiver's byte counts kept apart.
 *
 * Who fills it: the client, from its own engine samples (its side) and the
 * server's interval/result messages (the other side). The receiver's count is
 * the truth for throughput; the sender's is shown beside it.
 */
#ifndef XFR_MODEL_RESULT_H
#define XFR_MODEL_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"

#define XFR_MAX_FLOWS (2 * XFR_MAX_STREAMS)

enum xfr_flow_dir {
	XFR_FLOW_UP = 0,   /* client → server */
	XFR_FLOW_DOWN = 1, /* server → client */
};

/* Sender-side TCP figures. In an interval retransmits is the delta; in the
 * whole-test flow it is the total. cwnd both in segments and in bytes. */
/* How a sending TCP flow writes its payload (--zerocopy; auto measures). */
enum xfr_send_path {
	XFR_SEND_PATH_UNKNOWN,
	XFR_SEND_PATH_SEND,	/* send() from a buffer */
	XFR_SEND_PATH_SENDFILE, /* sendfile() from a memfd */
	XFR_SEND_PATH_MSG_ZC,	/* send(MSG_ZEROCOPY) */
};

/* "send", "sendfile", "msg_zerocopy"; NULL for unknown. */
const char *xfr_send_path_name(enum xfr_send_path p);

struct xfr_tcp_stats {
	uint64_t retransmits;
	uint32_t rtt_us;
	uint32_t rttvar_us;
	uint32_t cwnd_segments;
	uint64_t cwnd_bytes;
	uint32_t pmtu;
	uint64_t delivery_rate_bps; /* bits/s */
	uint64_t bytes_acked;
	/* QUIC only (0 otherwise): in a sum, min_rtt_us the smallest, bytes in
	 * flight added, the handshake the longest */
	uint32_t min_rtt_us;
	uint64_t bytes_in_flight;
	uint32_t handshake_us;
	/* the sender's write path; with --zerocopy auto, what each candidate
	 * moved while it was measured (Mbit/s, 0 = not measured) */
	enum xfr_send_path send_path;
	uint32_t probe_send_mbps;
	uint32_t probe_sendfile_mbps;
};

/*
 * UDP figures of a flow. tx: from the sender (packets_sent, send errors);
 * rx: from the receiver. In an interval counts are deltas and jitter is the
 * value at the interval's end; in the whole-test flow counts are totals.
 */
struct xfr_udp_stats {
	uint64_t packets_sent;
	uint64_t send_errors; /* all causes */
	uint64_t err_nobufs;
	uint64_t err_refused;
	/*
	 * Sender: sends that carried several datagrams as one GSO packet, and
	 * those datagrams. On a link that keeps such a packet whole (a virtual
	 * one with tx-udp-segmentation on) they crossed as gso_sends buffers,
	 * not gso_packets frames (the flow's gso_iface names it).
	 */
	uint64_t gso_sends;
	uint64_t gso_packets;
	uint64_t packets_received;
	uint64_t lost; /* sequence gaps, late fills subtracted */
	uint64_t out_of_order;
	uint64_t duplicates;
	uint64_t rcvbuf_drops; /* socket receive buffer overflow (SO_RXQ_OVFL) */
	uint64_t malformed;
	double jitter_ms;
	double jitter_max_ms;
};

/*
 * Kernel drops of a flow's packets by reason (skb:kfree_skb, --drop-reasons),
 * on one host. reason is the kernel's name without SKB_DROP_REASON_
 * ("SOCKET_RCVBUFF"). Interval: deltas; whole test: totals. Sorted by
 * packets, largest first; reasons past XFR_MAX_DROP_REASONS fold into "OTHER".
 */
#define XFR_MAX_DROP_REASONS 16
struct xfr_drop {
	char reason[40];
	uint64_t packets;
};

struct xfr_drops {
	uint32_t n;
	struct xfr_drop d[XFR_MAX_DROP_REASONS];
};

/*
 * Per-flow TCP figures from BPF (bpf/tcprtt.bpf.c), measured on the sending
 * host from every ACK rather than at sample time. Interval: the interval's
 * samples and deltas; whole test: over the test.
 */
struct xfr_bpf_tcp {
	uint32_t rtt_min_us;
	uint32_t rtt_avg_us;
	uint32_t rtt_max_us;
	uint64_t rtt_samples;
	uint64_t retransmits; /* segments retransmitted (tcp_retransmit_skb) */
	uint64_t delivered;   /* bytes the peer acknowledged */
};

struct xfr_flow {
	uint32_t stream; /* 0..streams-1 */
	enum xfr_flow_dir dir;
	bool has_sent; /* sender's count known */
	bool has_recv; /* receiver's count known */
	uint64_t sent_bytes;
	uint64_t recv_bytes;
	bool has_tcp; /* sender's TCP_INFO known */
	struct xfr_tcp_stats tcp;
	bool has_udp_tx; /* UDP: sender's counts known */
	bool has_udp_rx; /* UDP: receiver's counts known */
	struct xfr_udp_stats udp;
	/*
	 * The kernel data plane. The path of a packet: sent (udp.packets_sent) ->
	 * left the sending host (sent - drops_tx) -> counted by the receiver's XDP
	 * program (xdp_packets) -> delivered to the receiving socket or AF_XDP
	 * socket (udp.packets_received). drops_tx / drops_rx say why packets died
	 * on the sending / receiving host.
	 */
	bool has_xdp;  /* the receiver counted this flow in XDP */
	bool xdp_sink; /* ... and XDP was the receiver: no socket stage (drop, redirect) */
	uint64_t xdp_packets;
	uint64_t xdp_bytes;
	bool has_drops_tx; /* --drop-reasons on the sending host */
	struct xfr_drops drops_tx;
	bool has_drops_rx; /* --drop-reasons on the receiving host */
	struct xfr_drops drops_rx;
	bool has_bpf_tcp;
	struct xfr_bpf_tcp bpf_tcp;
};

enum xfr_mtu_verdict {
	XFR_MTU_UNTESTED,
	XFR_MTU_PASS,
	XFR_MTU_FAIL,
	XFR_MTU_LOCAL_LIMIT, /* EMSGSIZE: our own interface refused it */
};

/* One payload size tried by --probe-mtu, in both directions. */
struct xfr_mtu_size {
	uint32_t payload;	      /* UDP payload bytes */
	enum xfr_mtu_verdict forward; /* client -> server */
	enum xfr_mtu_verdict reverse; /* server -> client */
	uint32_t forward_ok, reverse_ok, attempts;
};

struct xfr_mtu_result {
	bool ipv6;
	uint32_t forward_max_payload, reverse_max_payload; /* 0 = none passed */
	uint32_t forward_path_mtu, reverse_path_mtu;	   /* payload + IP/UDP headers */
	uint32_t nsizes;
	struct xfr_mtu_size sizes[64];
};

struct xfr_interval {
	double start_s; /* test time, pauses excluded */
	double end_s;
	uint64_t wall_end_us; /* CLOCK_REALTIME at the end, for iso8601/unix stamps */
	bool omitted;	      /* end_s <= --omit: not printed, still kept */
	uint32_t nflows;
	/*
	 * nflows entries. Where intervals are assembled this points at room for
	 * XFR_MAX_FLOWS; the copies a result keeps hold exactly nflows.
	 */
	struct xfr_flow *flows;
};

struct xfr_result {
	char id[64];
	char client_version[32]; /* "xfr/0.1.0" */
	char server_version[64]; /* from the server's hello, sanitized */
	char host[256];
	uint16_t port;
	enum xfr_engine engine; /* what this side ran */
	char server_engine[16]; /* what the server ran ("" = not said: socket) */
	char engine_note[160];	/* why (auto's choice or fallback), "" = asked for */
	char server_engine_note[160];
	/*
	 * Per enum xfr_flow_dir: the sender's link toward its peer keeps a UDP
	 * GSO packet whole (a virtual device with tx-udp-segmentation on), so
	 * the flows' udp.gso_sends batches crossed as one buffer each, not one
	 * frame per datagram; "" = a real device, USO off, or not known.
	 */
	char gso_iface[2][16];
	/* what the user should know about the result (the server's caps), one line each */
#define XFR_MAX_NOTES 4
	uint32_t nnotes;
	char notes[XFR_MAX_NOTES][240];
	enum xfr_proto proto;
	enum xfr_dir dir;
	uint32_t streams;
	uint32_t duration_req_s;     /* requested, 0 = until stopped */
	uint32_t duration_granted_s; /* server: what it runs (its cap applied); 0 = not known */
	uint64_t bytes_req;	     /* -n, 0 = none */
	uint64_t bitrate_req;	     /* bits/s, 0 = unlimited */
	uint32_t length;	     /* write size (TCP) or datagram size (UDP) */
	uint64_t start_wall_us;	     /* CLOCK_REALTIME at test start */

	double duration_s; /* measured, pauses excluded */
	uint32_t nflows;
	uint32_t cap_flows;
	struct xfr_flow *flows; /* whole test: cap_flows entries (result_init) */

	uint32_t nintervals; /* kept for the JSON document */
	uint32_t cap_intervals;
	uint64_t intervals_bytes;   /* what the kept intervals hold */
	uint64_t intervals_dropped; /* past XFR_MAX_KEPT_BYTES: printed, not kept */
	struct xfr_interval *intervals;

	bool interrupted;	    /* Ctrl+C or server lost: partial result */
	char error[256];	    /* "" = none; else why the test ended early */
	char *server_output;	    /* --get-server-output: JSON text from the server, or NULL */
	struct xfr_mtu_result *mtu; /* --probe-mtu: malloc'd, freed by result_free */
};

/*
 * Sums over flows. dir_mask selects flows: bit 0 = UP, bit 1 = DOWN
 * (RESULT_DIR_ALL = 3). Bytes, retransmits and UDP counts add up; rtt is the
 * mean over flows with TCP data, cwnd the sum; UDP jitter the mean over flows
 * with receiver data, jitter max the max; has_* are true if any selected flow
 * has them.
 */
#define RESULT_DIR_UP	1u
#define RESULT_DIR_DOWN 2u
#define RESULT_DIR_ALL	3u
void result_sum(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask, struct xfr_flow *sum);

/* Drops by reason, largest first; equal counts by name, so the order is stable and readable. */
void result_drops_sort(struct xfr_drop *d, uint32_t n);
/*
 * The XFR_MAX_DROP_REASONS largest of @all (@n, any order; sorted in place)
 * into @out, largest first; when there are more, the last slot becomes
 * "OTHER" with the packets of every reason that did not fit.
 */
void result_drops_fold(struct xfr_drop *all, uint32_t n, struct xfr_drops *out);

/*
 * The selected flows' senders moved something and their receivers reported
 * in but counted none of it (no byte, datagram, or packet seen by XDP): the
 * test measured a black hole, not a path. *sent: the bytes sent.
 */
bool result_nothing_arrived(const struct xfr_flow *flows, uint32_t n, unsigned dir_mask,
			    uint64_t *sent);

/* Keep one line for the user with the result (r->notes); -ENOSPC when full. */
int result_note(struct xfr_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes that count as delivered: the receiver's if known, else the sender's. */
uint64_t result_flow_bytes(const struct xfr_flow *f);

/*
 * Zero r and give it room for the flows of a test with @streams streams
 * (each direction of each stream, both sides merged). 0 or -ENOMEM.
 */
int result_init(struct xfr_result *r, uint32_t streams);

/*
 * What a result keeps of its intervals for the JSON document, at most: a
 * 128-stream --bidir test at -i 0.1 keeps ~4.7 MB/s, so ~27 s of that, or
 * 20 hours of one stream at 1 s. Intervals past it are still printed live
 * and counted in intervals_dropped.
 */
#define XFR_MAX_KEPT_BYTES (128ull << 20)

/* Append a copy of iv (its nflows flows only) to r->intervals. 0 or -ENOMEM. */
int result_add_interval(struct xfr_result *r, const struct xfr_interval *iv);
/* result_add_interval within max_bytes: -ENOSPC (and intervals_dropped + 1) past it. */
int result_keep_interval(struct xfr_result *r, const struct xfr_interval *iv, uint64_t max_bytes);
void result_free(struct xfr_result *r);

#endif
