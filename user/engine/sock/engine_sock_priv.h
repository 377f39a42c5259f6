/* SPDX-License-Identifier: MIT */
/*
 * Socket engine internals shared by engine_sock.c (life cycle, sampling) and
 * the per-transport flow loops (engine_sock_tcp.c; UDP adds its own file).
 * Not part of the engine interface: only the engine_sock_*.c files include it.
 */
#ifndef XFR_ENGINE_SOCK_ENGINE_SOCK_PRIV_H
#define XFR_ENGINE_SOCK_ENGINE_SOCK_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/pacing.h"

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
	uint64_t gso_sends; /* sendmsg calls that went out with UDP_SEGMENT */
	uint64_t gro_reads; /* reads that returned coalesced (UDP_GRO) segments */
	uint64_t fb_elapsed_ms;
	uint64_t fb_received;
	uint64_t fb_lost;
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
	int (*run)(struct sock_flow *f); /* the transport loop: 0 or -errno */
	struct sock_flow *sibling;	 /* the other direction of the same stream (--bidir) */
	pthread_t thread;
	bool started;

	/* sender state (owned by the flow thread after start) */
	enum sock_tx tx;
	uint32_t chunk; /* bytes per write */
	bool upace;	/* user-space token bucket (kernel pacing unavailable) */
	struct pacing pace;
	uint64_t resume_gen;  /* last resume seen: a new one resets the bucket */
	uint32_t zc_unreaped; /* MSG_ZEROCOPY sends since the last error-queue drain */
	uint32_t batch;	      /* UDP: datagrams per send call */

	struct sock_udp_ctr udp; /* own cache line(s) */
} __attribute__((aligned(64)));

struct sock_eng {
	struct engine_params p;
	struct sock_stream *streams; /* p.streams entries */
	struct sock_flow *flows;     /* 2 * p.streams slots */
	uint32_t nflows;
	uint32_t nsend;

	uint8_t *payload; /* p.length bytes, filled once, shared read-only */
	int memfd;	  /* payload for sendfile; -1 = none */
	uint32_t rlen;	  /* receive size */

	bool budgeted;
	uint64_t budget_left; /* atomic: bytes not yet claimed by any sender */

	bool stop_send;	      /* atomic: senders end */
	bool stop_all;	      /* atomic: every flow ends */
	bool paused;	      /* atomic */
	uint64_t resume_gen;  /* atomic */
	pthread_mutex_t lock; /* with cond: pause, pacing sleeps, flow exits */
	pthread_cond_t cond;  /* CLOCK_MONOTONIC */
	uint32_t live;	      /* atomic: flow threads still running */
	uint32_t live_send;   /* sending flow threads still running (under lock) */
	bool done_said;	      /* done_fd written (under lock) */

	bool warned_sendfile; /* atomic: explicit -Z fallback said once */
	bool warned_msgzc;
	bool warned_affinity;
	bool warned_busy_poll;
	bool logged_gso;   /* GSO fallback said once (debug) */
	uint64_t start_ns; /* CLOCK_MONOTONIC at start(): XFRF elapsed_ms origin */
	bool started;
	bool stopped;
};

#define SOCK_LOAD(x)	 __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define SOCK_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define SOCK_ADD(x, v)	 __atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)

/* Count one call that moved n bytes. */
static inline void sock_count(struct sock_flow *f, uint64_t n)
{
	SOCK_ADD(f->ctr.bytes, n);
	SOCK_ADD(f->ctr.calls, 1);
}

/* Claim up to want bytes of the shared budget; 0 = nothing left. */
uint64_t sock_budget_claim(struct sock_eng *se, uint64_t want);

/*
 * Block while paused, or until deadline_ns (0 = none) passes. Returns true if
 * the flow should re-check its state (stop, pause, resume) before sending.
 */
bool sock_tx_hold(struct sock_flow *f, uint64_t bytes);
bool sock_wait(struct sock_flow *f, uint64_t deadline_ns);

/* Warn once per engine (flag is one of the warned_* fields). */
void sock_warn_once(bool *flag, const char *msg);

/* TCP: prepare a sending flow (pacing, zerocopy) before its thread starts. */
int sock_tcp_setup_sender(struct sock_flow *f, uint64_t rate_bps);
int sock_tcp_send_loop(struct sock_flow *f);
int sock_tcp_recv_loop(struct sock_flow *f);

/* UDP (engine_sock_udp.c): batch size and pacing of a sending flow; the loops. */
int sock_udp_setup_sender(struct sock_flow *f, uint64_t rate_bps);
int sock_udp_send_loop(struct sock_flow *f);
int sock_udp_recv_loop(struct sock_flow *f);

#endif
