/* SPDX-License-Identifier: MIT */
/*
 * User-space pacing: a token bucket kept as a virtual clock. The bucket holds
 * at most one burst, so a sender that was paused or starved never catches up
 * with a burst afterwards. Pure arithmetic on caller-supplied CLOCK_MONOTONIC
 * nanoseconds.
 */
#ifndef XFR_ENGINE_PACING_H
#define XFR_ENGINE_PACING_H

#include <stdint.h>

struct pacing {
	uint64_t rate_bps; /* bits/s, >= 1 */
	uint64_t burst;	   /* bytes the bucket can hold */
	uint64_t start;	   /* bytes of credit at the start and after a reset (<= burst) */
	uint64_t t_ns;	   /* virtual clock (ahead of CLOCK_MONOTONIC by a fixed epoch):
			    * credit = (now - t_ns) * rate, capped at burst */
};

/* Start with a full bucket (one burst) at now_ns. rate_bps 0 is taken as 1. */
void pacing_init(struct pacing *p, uint64_t rate_bps, uint64_t burst, uint64_t now_ns);

/*
 * Start (now_ns) and restart after every reset with a small credit instead of
 * a full bucket: about 1 ms of the rate or one unit (a datagram, a write),
 * whichever is more, never more than the bucket. The first unit still goes at
 * once; a full 20 ms bucket at the start went out as one burst and overflowed
 * the receiver's socket buffer (7.6 % loss in the first 0.1 s at 100 Mbit/s).
 * The bucket still fills up to its burst while the flow runs.
 */
void pacing_start_small(struct pacing *p, uint64_t unit, uint64_t now_ns);

/* The credit pacing_start_small gives: max(~1 ms of the rate, unit), at most burst. */
uint64_t pacing_start_credit(uint64_t rate_bps, uint64_t burst, uint64_t unit);

/* Nanoseconds n bytes take at the bucket's rate. */
uint64_t pacing_cost_ns(const struct pacing *p, uint64_t n);

/* How long to wait from now_ns before n bytes may go (0 = send now). */
uint64_t pacing_delay_ns(struct pacing *p, uint64_t n, uint64_t now_ns);

/* Bytes that may go now: the credit held at now_ns, at most one burst. */
uint64_t pacing_credit(struct pacing *p, uint64_t now_ns);

/* Charge n bytes that were just sent. */
void pacing_sent(struct pacing *p, uint64_t n);

/* Forget any credit or debt (after a pause): the start credit at now_ns. */
void pacing_reset(struct pacing *p, uint64_t now_ns);

/* Per-flow rate: total / flows, at least 1 bit/s; 0 (unlimited) stays 0. */
uint64_t pacing_flow_rate(uint64_t total_bps, uint32_t flows);

/*
 * Credit a paced flow may hold: two writes or 20 ms of data, whichever is
 * more. A bucket of one write loses every late wake-up for good (measured: a
 * 40 Mbit/s flow ran 11 % slow on a loaded VM); 20 ms absorbs scheduler
 * jitter while the burst stays small. Pauses still reset it (no catch-up).
 */
uint64_t pacing_burst(uint64_t rate_bps, uint32_t chunk);

/* Write size for a paced flow: rate/8/10 (~100 ms of data), at least 1 KiB, at most length. */
uint32_t pacing_chunk(uint64_t rate_bps, uint32_t length);

#endif
