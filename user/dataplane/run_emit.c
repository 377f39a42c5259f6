// SPDX-License-Identifier: MIT
/*
 * What a run tells the sinks: its start and end, every interval (kept in the
 * result when asked), and the notable events found in them.
 */
#include <errno.h>
#include <stdio.h>

#include "dataplane/run_priv.h"

void run_notice(struct run *r, enum xfr_notice n, const char *text)
{
	struct xfr_event ev = {.type = XFR_EV_NOTICE,
			       .role = r->cfg.role,
			       .res = r->res,
			       .notice = n,
			       .text = text,
			       .peer = r->peer};

	sinks_emit(r->sinks, &ev);
}

static void emit_notices(struct run *r, const struct xfr_interval *iv)
{
	char text[200];

	if (notable_retransmits(&r->notable, iv, text, sizeof(text)))
		run_notice(r, XFR_NOTICE_RETRANSMITS, text);
	if (notable_loss(&r->notable, iv, text, sizeof(text)))
		run_notice(r, XFR_NOTICE_LOSS, text);
}

void run_emit(struct run *r, enum xfr_event_type type, const struct xfr_interval *iv,
	      const char *why)
{
	struct xfr_event ev = {.type = type,
			       .role = r->cfg.role,
			       .res = r->res,
			       .iv = iv,
			       .why = why,
			       .peer = r->peer};

	sinks_emit(r->sinks, &ev);
}

/* Keep the interval for the JSON document, within the bound; say once when it is reached. */
static void keep(struct run *r, const struct xfr_interval *iv, uint32_t k)
{
	int err = result_keep_interval(r->res, iv, XFR_MAX_KEPT_BYTES);
	char text[160];

	if (err == -ENOSPC && r->res->intervals_dropped == 1)
		snprintf(text, sizeof(text),
			 "intervals from %u on are printed but not kept for the JSON document "
			 "(it holds %llu MiB of them at most)",
			 k, XFR_MAX_KEPT_BYTES >> 20);
	else if (err == -ENOMEM)
		snprintf(text, sizeof(text),
			 "out of memory: interval %u not kept for the JSON document", k);
	else
		return;
	run_notice(r, XFR_NOTICE_SINK_LOSS, text);
}

void run_emit_interval(struct run *r, struct xfr_interval *iv, uint32_t k)
{
	/* By the interval's number, not its measured end (1.0003 s is the 1 s row). */
	iv->omitted = (uint64_t)k * r->cfg.interval_ms <= r->cfg.omit_ms;
	iv->wall_end_us = r->res->start_wall_us + (uint64_t)(iv->end_s * 1e6);
	if (r->cfg.keep_intervals)
		keep(r, iv, k);
	run_emit(r, XFR_EV_INTERVAL, iv, NULL);
	if (!iv->omitted)
		emit_notices(r, iv);
}
