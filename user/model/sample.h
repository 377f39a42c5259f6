/* SPDX-License-Identifier: MIT */
/*
 * What an engine reports when sampled: cumulative counters of every flow with
 * the monotonic time of the read. Model types: the engines fill them, the
 * statistics (model/stats.h) and the run core read them; nothing here knows
 * how they were counted.
 */
#ifndef XFR_MODEL_SAMPLE_H
#define XFR_MODEL_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/result.h"

/* TCP_INFO reduced to the fields xfr reports (engine/tcpinfo.h reads it). */
struct xfr_tcpinfo {
	uint32_t rtt_us;	 /* tcpi_rtt */
	uint32_t rttvar_us;	 /* tcpi_rttvar */
	uint32_t snd_cwnd;	 /* tcpi_snd_cwnd, segments */
	uint32_t snd_mss;	 /* tcpi_snd_mss, bytes */
	uint32_t pmtu;		 /* tcpi_pmtu */
	uint64_t total_retrans;	 /* tcpi_total_retrans, cumulative */
	uint64_t bytes_acked;	 /* tcpi_bytes_acked */
	uint64_t bytes_received; /* tcpi_bytes_received */
	uint64_t delivery_rate;	 /* tcpi_delivery_rate, bytes/s */
	/* QUIC (ngtcp2_conn_stat), 0 for TCP */
	uint32_t min_rtt_us;
	uint64_t bytes_in_flight;
	uint32_t handshake_us; /* client Initial to handshake completion */
};

/*
 * UDP counters of one flow, cumulative. A sending flow fills packets and the
 * send errors (and fb_* from the receiver's XFRF feedback); a receiving flow
 * fills the rest.
 */
struct engine_udp_sample {
	uint64_t packets; /* datagrams sent, or accepted (duplicates excluded) */
	uint64_t lost;	  /* sequence gaps not filled */
	uint64_t out_of_order;
	uint64_t duplicates;
	uint64_t next_seq; /* one past the highest sequence received */
	double jitter_us;  /* RFC 3550, current */
	double jitter_max_us;
	uint64_t rcvbuf_drops; /* SO_RXQ_OVFL: dropped by the kernel, socket buffer full */
	uint64_t malformed;    /* shorter than the 16-byte header */
	uint64_t err_nobufs;   /* sender: ENOBUFS / EAGAIN from the kernel */
	uint64_t err_refused;  /* sender: ECONNREFUSED (ICMP port unreachable) */
	uint64_t err_other;
	uint64_t gso_sends;   /* sender: sends of several datagrams as one GSO packet */
	uint64_t gso_packets; /* sender: the datagrams those sends carried */
	bool has_feedback;    /* sender: XFRF from the receiver seen */
	uint64_t fb_elapsed_ms;
	uint64_t fb_received;
	uint64_t fb_lost;
};

struct engine_flow_sample {
	uint32_t stream;
	enum xfr_flow_dir dir;
	bool sending;	/* this side sends this flow (else receives) */
	uint64_t bytes; /* cumulative bytes sent or received by this side */
	uint64_t calls; /* cumulative send/recv calls that moved data */
	bool has_tcp;	/* sending TCP flows: TCP_INFO read at sample time */
	struct xfr_tcpinfo tcp;
	enum xfr_send_path send_path; /* sending TCP flows */
	uint32_t probe_send_mbps;     /* --zerocopy auto: measured rates, 0 = not (yet) */
	uint32_t probe_sendfile_mbps;
	bool is_udp;
	struct engine_udp_sample udp;
	/* receiving flows in XDP: what the XDP program counted, cumulative */
	bool has_xdp;
	bool xdp_sink; /* XDP is the receiver (drop/redirect): no socket stage */
	uint64_t xdp_packets;
	uint64_t xdp_bytes;
	/*
	 * --drop-reasons: this host's drops of this flow's packets by reason,
	 * cumulative, raw kernel reason numbers resolved to names by the observer.
	 */
	bool has_drops;
	struct xfr_drops drops;
	/* sending TCP flows with bpf_tcp: cumulative except the window min/max */
	bool has_bpf_tcp;
	uint64_t bpf_rtt_samples;
	uint64_t bpf_rtt_sum_us;
	uint32_t bpf_rtt_win_min_us; /* since the previous sample */
	uint32_t bpf_rtt_win_max_us;
	uint32_t bpf_rtt_min_us; /* whole flow */
	uint32_t bpf_rtt_max_us;
	uint64_t bpf_retransmits;
	uint64_t bpf_delivered;
	bool done; /* the flow's thread has ended */
	int err;   /* 0, or the errno that ended it (ECONNRESET, ...) */
};

struct engine_sample {
	uint64_t t_ns; /* CLOCK_MONOTONIC at the read */
	uint32_t nflows;
	struct engine_flow_sample flows[XFR_MAX_FLOWS];
};

#endif /* XFR_MODEL_SAMPLE_H */
