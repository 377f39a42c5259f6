/* SPDX-License-Identifier: MIT */
/*
 * `xfr serve --tui`: the server's live dashboard, a sink of the server's
 * events (it never touches a test): uptime, the tests running (client,
 * protocol, direction, streams, elapsed, throughput), totals, connections
 * refused and authentication failures, recent events. Keys: q stops the
 * server (as SIGTERM does), t cycles the theme, ? help. stderr goes through a
 * pipe into the events panel while it runs, and out again when it closes.
 */
#ifndef XFR_TUI_DASH_H
#define XFR_TUI_DASH_H

#include <stddef.h>

#include "base/config.h"
#include "base/loop.h"
#include "model/event.h"

struct dash;

/* Take over the terminal (stdout and stdin must be one). NULL with errno, why says. */
struct dash *dash_new(const struct xfr_config *cfg, char *why, size_t whylen);
/* A sink feeding it (does not own it). NULL with errno. */
struct xfr_sink *dash_sink_new(struct dash *d);
/* Keys, the refresh tick, the log pipe on the server's loop; stop(ctx) on q. 0 or -errno. */
int dash_attach(struct dash *d, struct loop *l, void (*stop)(void *ctx), void *ctx);
/* Off the loop, the terminal given back, the kept log lines written to stderr. */
void dash_free(struct dash *d, struct loop *l);

#endif /* XFR_TUI_DASH_H */
