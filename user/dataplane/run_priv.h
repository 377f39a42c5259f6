/* SPDX-License-Identifier: MIT */
/*
 * Inside the run core: the run itself (run.c), the pairing of each interval
 * with the peer's half (run_pair.c) and the events (run_emit.c). Only
 * dataplane/run*.c include this.
 */
#ifndef XFR_DATAPLANE_RUN_PRIV_H
#define XFR_DATAPLANE_RUN_PRIV_H

#include "dataplane/run.h"
#include "model/notable.h"

#define RUN_SLOTS      4 /* intervals waiting for their other half */
#define RUN_PEER_AHEAD 2 /* a peer's interval may lead our own sampling by this many */

/* One interval being assembled from our sample and the peer's message. */
struct run_slot {
	uint32_t k; /* 1-based interval number; 0 = free */
	bool has_local;
	bool has_peer;
	struct xfr_interval iv; /* iv.flows points at flows */
	/* UDP upload: the receiver's XFRF feedback over this interval, per stream,
	 * for when the peer's interval is late (live loss without the control channel) */
	bool has_fb;
	uint64_t fb_received[XFR_MAX_STREAMS];
	uint64_t fb_lost[XFR_MAX_STREAMS];
	struct xfr_flow flows[XFR_MAX_FLOWS];
};

struct run {
	struct run_cfg cfg;
	char peer[64];
	struct loop *loop;
	const struct xfr_sinks *sinks;
	struct xfr_result *res;
	const struct run_hooks *hooks;
	void *ctx;

	struct engine *eng;
	struct run_prep *prep; /* run_prepare_async's worker, until its result is taken */
	struct engine_sample *prev, *cur;
	struct xfr_flow *flows; /* XFR_MAX_FLOWS: one tick's flows (unpaired runs) */
	struct loop_item done_it, tick_it, end_it, drain_it;

	uint64_t start_ns;	 /* CLOCK_MONOTONIC at start */
	uint64_t paused_ns;	 /* paused so far */
	uint64_t pause_start_ns; /* 0 = running */
	uint64_t drain_start_ns; /* 0 = not draining: test time stops there */
	uint64_t deadline_left_ms;
	uint32_t ticks;

	struct run_slot *slots; /* RUN_SLOTS when pairing */
	uint32_t next_emit;	/* next interval number to emit */
	uint64_t last_peer_ms;	/* elapsed_ms of the peer's previous interval */
	uint32_t peer_k;	/* the peer's intervals so far (they come in order) */
	double row_end_s;	/* where the last emitted row ended: the next one starts there */
	double end_s;		/* run_set_end: where the last row ends; < 0 = unknown */
	uint64_t peer_ahead;	/* the peer's intervals ignored: ahead of our clock */
	struct xfr_flow *carry; /* a peer interval that covered no time, for the next row */
	uint32_t ncarry;
	uint64_t carry_ms;     /* its elapsed_ms */
	struct xfr_flow *psum; /* the peer's intervals so far, summed (run_peer_last) */
	uint32_t npsum;

	struct notable notable;
	bool prepared, started, finished, halted;
};

/* run.c: test time of a monotonic timestamp, pauses excluded (the drain too when clamp). */
double run_test_secs(const struct run *r, uint64_t t_ns, bool clamp);
/* run_prep.c: the engine's set-up, on the loop's thread or on a worker. */
/* The run's own memory, nothing else (run_free's last step; an orphaned worker's). */
void run_mem_free(struct run *r);
/* run_halt: the worker's result will not be taken (its loop item goes). */
void run_prep_halt(struct run *r);
/*
 * run_free: release what the worker built, joining it when it is through.
 * true when it is not: the run is then the worker's to free (orphaned).
 */
bool run_prep_release(struct run *r);

/* run_emit.c */
void run_notice(struct run *r, enum xfr_notice n, const char *text);
void run_emit(struct run *r, enum xfr_event_type type, const struct xfr_interval *iv,
	      const char *why);
/* Give an interval to the sinks (and to the result when kept), with its notable events. */
void run_emit_interval(struct run *r, struct xfr_interval *iv, uint32_t k);

/* run_pair.c */
int run_pair_init(struct run *r);
/* Our side of interval k (prev -> cur), into its slot. */
void run_pair_local(struct run *r, uint32_t k, double start_s, double end_s);
/* Emit every interval that is complete, in order; all of them when flush. */
void run_pair_emit(struct run *r, bool flush);
/* At the end: a carried interval no later one took is the peer's last row after all. */
void run_pair_flush_carry(struct run *r);

#endif /* XFR_DATAPLANE_RUN_PRIV_H */
