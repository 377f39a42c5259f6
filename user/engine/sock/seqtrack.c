// SPDX-License-Identifier: MIT
/*
 * Receiver-side sequence accounting (see seqtrack.h for the rules).
 *
 * The bitmap holds one bit per sequence in [next - WINDOW, next), at index
 * seq % WINDOW. A set bit means "nothing owed": the datagram arrived, or it
 * lies before the start of the current run (never counted lost). A clear bit
 * inside the window is a datagram counted lost that may still arrive late.
 *
 * "hi" below is the highest sequence seen, next - 1 modulo 2^64: after
 * seq = 2^64 - 1 next is 0 again and started tells the two cases apart.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/sock/seqtrack.h"

#define WIN_MASK  ((uint64_t)SEQTRACK_WINDOW - 1)
#define WIN_WORDS (SEQTRACK_WINDOW / 64)

_Static_assert((SEQTRACK_WINDOW & (SEQTRACK_WINDOW - 1)) == 0, "window must be a power of two");

static bool bit_get(const struct seqtrack *t, uint64_t seq)
{
	uint64_t i = seq & WIN_MASK;

	return t->seen[i / 64] >> (i % 64) & 1;
}

static void bit_set(struct seqtrack *t, uint64_t seq)
{
	uint64_t i = seq & WIN_MASK;

	t->seen[i / 64] |= 1ULL << (i % 64);
}

/* Clear n (< WINDOW) bits starting at the index of seq, a word at a time. */
static void bits_clear(struct seqtrack *t, uint64_t seq, uint64_t n)
{
	uint64_t i = seq & WIN_MASK;

	while (n) {
		uint64_t off = i % 64, take = 64 - off;
		uint64_t mask;

		if (take > n)
			take = n;
		mask = take == 64 ? ~0ULL : ((1ULL << take) - 1) << off;
		t->seen[i / 64] &= ~mask;
		n -= take;
		i = (i + take) & WIN_MASK;
	}
}

/*
 * Move the window so that seq is the highest: from..seq-1 become holes
 * (counted lost by the caller), seq arrived. A jump of a window or more
 * leaves no old bit worth keeping, so the bitmap is cleared at once.
 */
static void window_advance(struct seqtrack *t, uint64_t from, uint64_t seq)
{
	uint64_t gap = seq - from;

	if (gap >= SEQTRACK_WINDOW)
		memset(t->seen, 0, sizeof(t->seen));
	else if (gap)
		bits_clear(t, from, gap);
	bit_set(t, seq);
	t->next = seq + 1; /* 0 after 2^64 - 1: started says it is not empty */
}

/* A new run at seq: nothing before it is owed. Counts are kept; the previous
 * transit time belongs to the old run's clock, so jitter restarts its pairs. */
static void run_start(struct seqtrack *t, uint64_t seq)
{
	memset(t->seen, 0xff, sizeof(t->seen));
	window_advance(t, seq, seq);
	t->started = true;
	t->have_last = false;
}

static void jitter_update(struct seqtrack *t, uint64_t sent_us, uint64_t recv_us)
{
	/* Modular difference read as signed: the clocks have different origins. */
	int64_t transit = (int64_t)(recv_us - sent_us);

	if (t->have_last) {
		/* In double: the difference of two int64 may not fit in one. */
		double d = (double)transit - (double)t->last_transit_us;

		if (d < 0)
			d = -d;
		t->jitter_us += (d - t->jitter_us) / 16.0;
		if (t->jitter_us > t->jitter_max_us)
			t->jitter_max_us = t->jitter_us;
	}
	t->last_transit_us = transit;
	t->have_last = true;
}

void seqtrack_init(struct seqtrack *t)
{
	memset(t, 0, sizeof(*t));
}

/* The first datagram: sequences start at 0, so the ones before it are lost,
 * unless it is so far out that the sender must have started elsewhere. */
static void push_first(struct seqtrack *t, uint64_t seq)
{
	if (seq > SEQTRACK_RESET) {
		run_start(t, seq);
		return;
	}
	memset(t->seen, 0xff, sizeof(t->seen));
	window_advance(t, 0, seq);
	t->lost += seq;
	t->started = true;
}

/* seq is behind the highest by back (> 0). Returns false for a duplicate. */
static bool push_behind(struct seqtrack *t, uint64_t seq, uint64_t back)
{
	if (back > SEQTRACK_RESET) {
		run_start(t, seq);
		return true;
	}
	if (back >= SEQTRACK_WINDOW) {
		t->out_of_order++;
		return true;
	}
	if (bit_get(t, seq))
		return false;
	bit_set(t, seq);
	if (t->lost)
		t->lost--;
	t->out_of_order++;
	return true;
}

void seqtrack_push(struct seqtrack *t, uint64_t seq, uint64_t sent_us, uint64_t recv_us)
{
	uint64_t hi = t->next - 1;

	if (!t->started) {
		push_first(t, seq);
	} else if (seq > hi && seq - hi > SEQTRACK_JUMP_MAX) {
		t->implausible++;
		return;
	} else if (seq > hi) {
		t->lost += seq - hi - 1;
		window_advance(t, hi + 1, seq);
	} else if (seq == hi || !push_behind(t, seq, hi - seq)) {
		t->duplicates++;
		return;
	}
	t->received++;
	jitter_update(t, sent_us, recv_us);
}

uint64_t seqtrack_tail_loss(const struct seqtrack *t, uint64_t sender_packets)
{
	uint64_t rest;

	if (sender_packets <= t->received)
		return 0;
	rest = sender_packets - t->received;
	return rest > t->lost ? rest - t->lost : 0;
}
