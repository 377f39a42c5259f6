/* SPDX-License-Identifier: MIT */
/*
 * The XDP engine's private state (engine_xdp.c: the ops, set-up and samples;
 * xdp_tx.c: the sending threads). Layer: engine.
 */
#ifndef XFR_ENGINE_XDP_PRIV_H
#define XFR_ENGINE_XDP_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/engine_rt.h"
#include "engine/pacing.h"
#include "engine/xdp/afxdp.h"
#include "engine/xdp/xdp_rx.h"
#include "base/frame.h"
#include "bpf/xdp_gen.h"

/*
 * Frames per live-frames run. A run of more than one frame costs ~25-30 ms
 * unless the program is attached somewhere (the kernel re-registers it in its
 * XDP dispatcher around the run, two RCU grace periods): with the program
 * attached to the egress interface runs are cheap and short; without, floods
 * run long (interrupted by a signal to pause or stop) and paced flows carry
 * 100 ms of credit to absorb the cost.
 */
#define LIVE_CHUNK_CHEAP 16384
#define LIVE_CHUNK_LONG	 (1U << 20)
#define LIVE_SLOW_CREDIT 100 /* ms of credit for paced flows without the attachment */
#define AFXDP_CHUNK	 64  /* frames per AF_XDP send call */
#define MAX_TX_QUEUE	 64
#define NEIGH_WAIT	 2000 /* ms to resolve the next hop's MAC */

struct xeng;

/*
 * How live-frames runs on one egress interface stay cheap: through our
 * counter there (a tail call), through the generator attached there, or not
 * at all (long runs).
 */
struct gen_route {
	int ifindex;
	struct xdp_rx *rx; /* our counter runs the generator as tail call "tail" */
	int tail;
	int link_fd; /* the generator's own attachment; -1 = none */
};

struct xflow {
	/* written by the sender thread, read by sample() */
	uint64_t packets;
	uint64_t calls;
	uint64_t ring_full;
	int err;
	bool done;
	struct xeng *xe;
	uint32_t stream;
	enum xfr_flow_dir dir;
	bool sending;
	int ifindex;
	/* sending */
	struct frame_tmpl *tmpl;
	uint32_t gen_slot;
	uint64_t seq; /* AF_XDP: next sequence (thread-owned) */
	struct pacing pace;
	uint32_t min_batch; /* paced: frames per call at least */
	bool paced;
	bool cheap; /* live frames: the program is attached to ifindex (short runs) */
	bool budget_out;
	/* receiving in XDP */
	struct xdp_rx *rx;
	struct xdp_flow_key key;
	int rx_slot;
	bool via_sock; /* count-and-pass: the inner socket engine receives it too */
} __attribute__((aligned(64)));

struct xthread {
	struct xeng *xe;
	pthread_t th;
	bool started;
	struct afxdp *tx; /* AF_XDP: this thread's socket */
	uint32_t queue;
	struct xflow *flows[XFR_MAX_FLOWS];
	uint32_t nflows;
};

struct xeng {
	struct engine_params p;
	struct xflow flows[XFR_MAX_FLOWS];
	uint32_t nflows;
	uint32_t nsend;
	int fds[XFR_MAX_STREAMS];
	struct engine *inner; /* count-and-pass receivers */
	uint32_t inner_flows;
	struct engine_sample *tmp;
	struct xdp_gen *gen;
	struct gen_route routes[XFR_MAX_FLOWS]; /* live frames: per egress interface */
	uint32_t nroutes;
	uint32_t ngen_slots;
	struct xthread threads[XFR_MAX_FLOWS];
	uint32_t nthreads;
	struct eng_done done;	  /* sender threads */
	struct eng_budget budget; /* -n, bytes */
	struct eng_gate gate;	  /* stop (senders and all alike here), pause */
	bool warned_affinity;
	bool warned_unseq; /* atomic: packets past the counter's sequence lock, said once */
	uint64_t start_ns;
	bool started, stopped;
};

/* xdp_tx.c: the sending threads */

/* Live frames on ifindex: the cheap route there (attached once per interface), or NULL. */
const struct gen_route *xtx_gen_attach(struct xeng *xe, int ifindex);
/* Interrupt the threads' live-frames runs (pause, stop). */
void xtx_kick(struct xeng *xe);
/* Plan the sending threads (how many generators, which flows each) and set up their sockets. */
int xtx_prepare(struct xeng *xe, char *why, size_t whylen);
/* Start the planned threads (live frames: SIGUSR1 interrupts their runs, see xtx_kick). */
int xtx_spawn(struct xeng *xe);

#endif
