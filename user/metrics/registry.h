/* SPDX-License-Identifier: MIT */
/*
 * The server's metrics (docs/METRICS.md): counters and gauges fed by the
 * run's events, rendered in Prometheus's text exposition format for
 * /metrics and the push gateway. Labels take bounded values only (protocol,
 * direction, outcome, kernel drop reason capped at METRICS_MAX_REASONS);
 * there is no per-test label. Updates (loop thread) and renders (HTTP and
 * push threads) take one short lock.
 */
#ifndef XFR_METRICS_REGISTRY_H
#define XFR_METRICS_REGISTRY_H

#include <stddef.h>

#include "model/event.h"

#define METRICS_MAX_REASONS 64 /* distinct drop reasons; more count as "OTHER" */

struct metrics_reg;

/* NULL on ENOMEM. */
struct metrics_reg *metrics_reg_new(void);
void metrics_reg_free(struct metrics_reg *m);

/* One event of the run (any role). Never blocks for long. */
void metrics_reg_event(struct metrics_reg *m, const struct xfr_event *ev);

/* The exposition text (malloc'd, *len bytes) or NULL on ENOMEM. */
char *metrics_reg_render(struct metrics_reg *m, size_t *len);

/* Tests finished so far (complete or not): the push thread's cue. */
unsigned long metrics_reg_finished(struct metrics_reg *m);

#endif
