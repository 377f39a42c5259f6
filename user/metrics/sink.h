/* SPDX-License-Identifier: MIT */
/*
 * The metrics as a sink of the run's events: --prometheus PORT serves them
 * (--prometheus-bind, default 127.0.0.1; server only), --push-gateway URL
 * pushes them after each finished test: the server's to job "xfr", instance
 * HOST:PORT; a client's to job "xfr_client", instance HOST. Nothing is added
 * when neither is asked for.
 */
#ifndef XFR_METRICS_SINK_H
#define XFR_METRICS_SINK_H

#include "base/config.h"
#include "model/event.h"

/*
 * Start what cfg asks for and add its sink to l. 0, or -errno after one
 * line on the log (the endpoint cannot listen, no memory).
 */
int metrics_sink_add(struct xfr_sinks *l, const struct xfr_config *cfg, enum xfr_role role);

#endif
