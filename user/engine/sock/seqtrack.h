/* SPDX-License-Identifier: MIT */
/*
 * Receiver-side accounting of one UDP flow: sequence gaps, late packets that
 * fill a gap, duplicates, and RFC 3550 interarrival jitter. Pure: the caller
 * gives sequence numbers, send timestamps and receive times.
 *
 * Rules (docs/PROTOCOL.md):
 *  - seq == next: in order. seq > next: the seq - next packets in between are
 *    counted lost now (the reference counts them forever).
 *  - seq < next inside the window: if it was counted lost, it is a late fill:
 *    lost - 1, out_of_order + 1; if it was already received, duplicates + 1.
 *  - seq < next, older than the window: out_of_order + 1 (cannot tell more).
 *  - seq more than SEQTRACK_RESET behind next: the sender restarted its
 *    sequence; a new run starts at seq, counts are kept.
 *  - seq more than SEQTRACK_JUMP_MAX ahead of next cannot be loss (it would be
 *    hours at line rate): a forged or corrupt datagram, counted in implausible
 *    and otherwise ignored.
 *  - No arithmetic wraps: seq = 2^64 - 1 is handled.
 *  - Jitter: D = (R_j - R_i) - (S_j - S_i) between consecutive arrivals (any
 *    order), J += (|D| - J) / 16, in microseconds; the max of J is kept.
 */
#ifndef XFR_ENGINE_SOCK_SEQTRACK_H
#define XFR_ENGINE_SOCK_SEQTRACK_H

#include <stdbool.h>
#include <stdint.h>

#define SEQTRACK_WINDOW	  4096 /* packets remembered behind the highest seen */
#define SEQTRACK_RESET	  (1ULL << 20)
#define SEQTRACK_JUMP_MAX (1ULL << 32)

struct seqtrack {
	uint64_t next; /* one past the highest sequence seen */
	bool started;
	uint64_t received;     /* datagrams accepted (duplicates excluded) */
	uint64_t lost;	       /* gaps not (yet) filled */
	uint64_t out_of_order; /* arrived behind a higher sequence */
	uint64_t duplicates;
	uint64_t implausible; /* ignored: jumped more than SEQTRACK_JUMP_MAX ahead */
	double jitter_us;
	double jitter_max_us;
	bool have_last;
	int64_t last_transit_us;	     /* R - S of the previous arrival */
	uint64_t seen[SEQTRACK_WINDOW / 64]; /* bit per seq in [next - WINDOW, next) */
};

void seqtrack_init(struct seqtrack *t);

/* One datagram: its sequence, the sender's timestamp (us since the sender's
 * stream start) and our receive time (us, any monotonic origin). */
void seqtrack_push(struct seqtrack *t, uint64_t seq, uint64_t sent_us, uint64_t recv_us);

/* Packets the sender sent that never arrived after our highest: the tail. */
uint64_t seqtrack_tail_loss(const struct seqtrack *t, uint64_t sender_packets);

#endif
