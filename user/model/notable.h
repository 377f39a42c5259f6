/* SPDX-License-Identifier: MIT */
/*
 * Notable events in a stream of intervals, for the sinks (model/event.h):
 * a retransmit spike and the start of a loss burst. Pure: intervals in,
 * one-line texts out, unit-tested.
 *
 * Retransmit spike: an interval's TCP retransmits are at least
 * NOTABLE_RTX_MIN and at least NOTABLE_RTX_FACTOR times the mean of the
 * intervals before it (one earlier interval at least: slow start is not
 * judged against nothing). A sustained high rate raises the mean and stops
 * being news.
 * Loss burst: an interval's UDP loss (lost / (received + lost)) reaches
 * NOTABLE_LOSS_PCT with at least NOTABLE_LOSS_MIN datagrams lost, after an
 * interval below it; said once per burst.
 */
#ifndef XFR_MODEL_NOTABLE_H
#define XFR_MODEL_NOTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/result.h"

#define NOTABLE_RTX_MIN	   50
#define NOTABLE_RTX_FACTOR 4
#define NOTABLE_LOSS_PCT   1.0
#define NOTABLE_LOSS_MIN   10

struct notable {
	uint64_t rtx_sum; /* retransmits over the intervals seen */
	uint32_t rtx_n;	  /* intervals seen with TCP figures */
	bool in_loss;	  /* the previous interval was a loss burst */
};

/* Judge one interval; true and a one-line text when it is a spike / a burst's start. */
bool notable_retransmits(struct notable *n, const struct xfr_interval *iv, char *text, size_t len);
bool notable_loss(struct notable *n, const struct xfr_interval *iv, char *text, size_t len);

#endif /* XFR_MODEL_NOTABLE_H */
