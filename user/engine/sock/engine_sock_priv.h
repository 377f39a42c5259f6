/* SPDX-License-Identifier: MIT */
/*
 * Socket engine internals shared by engine_sock.c (life cycle, sampling), the
 * transports it drives through struct sock_transport (engine_sock_tcp.c,
 * engine_sock_udp.c) and sock_flow.c, the leaf their loops call into.
 * Not part of the engine interface: only the socket engine's files include it.
 */
#ifndef XFR_ENGINE_SOCK_ENGINE_SOCK_PRIV_H
#define XFR_ENGINE_SOCK_ENGINE_SOCK_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/engine_rt.h"
#include "engine/pacing.h"

#define SOCK_MAX_LEN (16u * 1024 * 1024) /* p.length: the largest write or datagram batch */

/* How a sending flow hands bytes to the kernel. */
enum sock_tx {
	SOCK_TX_SEND,	  /* send(MSG_NOSIGNAL) from the payload buffer */
	SOCK_TX_SENDFILE, /* sendfile(2) from the payload memfd */
	SOCK_TX_MSG_ZC,	  /* send(MSG_ZEROCOPY), completions reaped from the error queue */
};

/*
 * Written by the flow's own thread only, read by sample(): relaxed atomics,
 * one cache line so neighbouring flows never share it.
 */
struct sock_ctr {
	uint64_t bytes;
	uint64_t calls;
	int err;
	bool done;
} __attribute__((aligned(64)));

/*
 * UDP counters of one flow (see struct engine_udp_sample): written once per
 * batch by the flow's thread (fb_* by the sibling receive thread in --bidir),
 * read by sample(). Jitter is stored as the bits of a double.
 */
struct sock_udp_ctr {
	uint64_t packets;
	uint64_t lost;
	uint64_t out_of_order;
	uint64_t duplicates;
	uint64_t next_seq;
	uint64_t jitter_bits;
	uint64_t jitter_max_bits;
	uint64_t rcvbuf_drops;
	uint64_t malformed;
	uint64_t err_nobufs;
	uint64_t err_refused;
	uint64_t err_other;
	uint64_t gso_sends;   /* sendmsg calls that went out with UDP_SEGMENT */
	uint64_t gso_packets; /* the datagrams those calls carried */
	uint64_t gro_reads;   /* reads that returned coalesced (UDP_GRO) segments */
	uint64_t fb_elapsed_ms;
	uint64_t fb_received;
	uint64_t fb_lost;
	uint64_t fb_forged; /* udp_auth_v1: XFRF whose tag did not verify (or had none) */
	bool has_fb;
} __attribute__((aligned(64)));

struct sock_eng;

struct sock_stream {
	int fd;
	bool added;
	bool is_tcp;	     /* IPPROTO_TCP: TCP_INFO and kernel pacing apply */
	uint64_t base_acked; /* tcpi_bytes_acked when handed over (data_hello etc.) */
};

struct sock_flow {
	struct sock_ctr ctr; /* first, alone on its cache line */
	struct sock_eng *eng;
	struct sock_stream *st;
	uint32_t stream;
	enum xfr_flow_dir dir;
	bool sending;
	struct sock_flow *sibling; /* the other direction of the same stream (--bidir) */
	pthread_t thread;
	bool started;

	/* sender state (owned by the flow thread after start) */
	enum sock_tx tx;
	uint32_t chunk; /* bytes per write */
	bool upace;	/* user-space token bucket (kernel pacing unavailable) */
	struct pacing pace;
	uint64_t resume_gen;	   /* last resume seen: a new one resets the bucket */
	uint32_t zc_unreaped;	   /* MSG_ZEROCOPY sends since the last error-queue drain */
	uint32_t batch;		   /* UDP: datagrams per send call */
	struct tx_probe {	   /* TCP, --zerocopy auto: send vs sendfile, measured */
		uint32_t slice;	   /* 0 warm-up, 1..4 measured slices, 5 decided */
		uint64_t end_ns;   /* end of the current slice */
		uint64_t b0, cpu0; /* bytes and thread CPU ns at its start */
		uint64_t bytes[2]; /* per candidate: [0] send, [1] sendfile */
		uint64_t ns[2], cpu[2];
	} probe;
	/* published for sampling (atomic): enum xfr_send_path, measured Mbit/s */
	uint32_t tx_path;
	uint32_t probe_mbps[2];

	struct sock_udp_ctr udp; /* own cache line(s) */
} __attribute__((aligned(64)));

/*
 * A transport: what engine_sock.c needs of it, so the engine never asks which
 * protocol it runs. One per engine_sock_<proto>.c.
 */
struct sock_transport {
	uint32_t min_len, max_len; /* bounds of p.length (0: xfr_default_length()) */
	/*
	 * Receivers end at the peer's EOF and a graceful stop sends one (TCP).
	 * Without (UDP), receivers end only at stop(): done_fd then fires once
	 * every sending flow has finished.
	 */
	bool has_eof;
	/* Once, after the payload is made, before any setup_sender; NULL = nothing to do. */
	int (*prepare)(struct sock_eng *se);
	/* A sending flow, before its thread starts: write size, pacing. 0 or -errno. */
	int (*setup_sender)(struct sock_flow *f, uint64_t rate_bps);
	/* The flow threads: 0 or -errno. */
	int (*send_loop)(struct sock_flow *f);
	int (*recv_loop)(struct sock_flow *f);
	/* The transport's own counters into a sample; NULL = none. */
	void (*sample)(const struct sock_flow *f, struct engine_flow_sample *s);
	/* Bytes one flow's loop allocates (p.length resolved; rate_bps: the sending flow's). */
	size_t (*flow_mem)(const struct engine_params *p, uint64_t rate_bps, bool sending);
};

extern const struct sock_transport sock_tcp_transport; /* engine_sock_tcp.c */
extern const struct sock_transport sock_udp_transport; /* engine_sock_udp.c */

struct sock_eng {
	struct engine_params p;
	const struct sock_transport *tp;
	struct sock_stream *streams; /* p.streams entries */
	struct sock_flow *flows;     /* 2 * p.streams slots */
	uint32_t nflows;
	uint32_t nsend;

	uint8_t *payload; /* p.length bytes, filled once, shared read-only */
	int memfd;	  /* payload for sendfile; -1 = none */
	uint32_t rlen;	  /* receive size */

	struct eng_budget budget; /* -n */
	struct eng_gate gate;	  /* stop, pause; flows sleep on it, stop_graceful waits on it */
	struct eng_done done;	  /* every flow thread */
	uint32_t live_send;	  /* atomic: sending flow threads still running */

	bool warned_sendfile; /* atomic: explicit -Z fallback said once */
	bool warned_msgzc;
	bool warned_zc_copied; /* atomic: MSG_ZEROCOPY completions said "copied" */
	bool warned_affinity;
	bool warned_busy_poll;
	bool logged_trunc; /* atomic: how recv(MSG_TRUNC) behaves, said once (debug) */
	bool logged_gso;   /* GSO fallback said once (debug) */
	uint64_t start_ns; /* CLOCK_MONOTONIC at start(): XFRF elapsed_ms origin */
	bool started;
	bool stopped;
};

/* Count one call that moved n bytes. */
static inline void sock_count(struct sock_flow *f, uint64_t n)
{
	ENG_ADD(f->ctr.bytes, n);
	ENG_ADD(f->ctr.calls, 1);
}

/*
 * TCP receivers: the receive low-water mark (SO_RCVLOWAT) for a flow that
 * moved `bytes` in the last `ns`. Every wake-up of a receiver costs the
 * sender's CPU an inter-processor interrupt (on loopback the sender's CPU
 * runs the receive path and wakes the reader per segment): at tens of Gbit/s
 * that, not the copy, was the limit. So a fast flow wakes its reader once per
 * RX_LOWAT_WAKE_NS of data, in steps of RX_LOWAT_STEP up to RX_LOWAT_MAX;
 * below one step (about 5 Gbit/s) it stays at 1, the kernel's default. A
 * receive timeout of RX_LOWAT_TIMEO_MS bounds how long a slowed flow's bytes
 * wait uncounted.
 */
#define RX_LOWAT_WAKE_NS  100000ULL
#define RX_LOWAT_STEP	  (64U * 1024)
#define RX_LOWAT_MAX	  (256U * 1024)
#define RX_LOWAT_EPOCH_NS (20ULL * 1000 * 1000)
#define RX_LOWAT_TIMEO_MS 10

static inline uint32_t sock_rx_lowat(uint64_t bytes, uint64_t ns)
{
	uint64_t want;

	if (!ns)
		return 1;
	/* bytes * WAKE / ns without overflow: bytes < 2^64 / 10^5 up to 1.8e14 */
	want = bytes > UINT64_MAX / RX_LOWAT_WAKE_NS ? UINT64_MAX : bytes * RX_LOWAT_WAKE_NS / ns;
	if (want < RX_LOWAT_STEP)
		return 1;
	if (want > RX_LOWAT_MAX)
		return RX_LOWAT_MAX;
	return (uint32_t)(want - want % RX_LOWAT_STEP);
}

/*
 * sock_flow.c. Senders, before each write of `bytes`: wait while paused, reset
 * the bucket after a resume (no catch-up), wait for pacing credit. true =
 * something was waited for: re-check state.
 */
bool sock_tx_hold(struct sock_flow *f, uint64_t bytes);

#endif
