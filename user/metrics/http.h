/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus endpoint (libmicrohttpd, its own thread): GET /metrics is
 * the registry in the text exposition format, GET /health answers "ok" while
 * the server runs, anything else 404 (405 for other methods). Connections
 * are capped (32, 4 per address) and time out after 10 s of silence.
 */
#ifndef XFR_METRICS_HTTP_H
#define XFR_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/registry.h"

struct metrics_http;

/*
 * Listen on bind:port (bind: an IPv4 or IPv6 literal). NULL with errno and a
 * line for the user in why.
 */
struct metrics_http *metrics_http_start(struct metrics_reg *reg, const char *bind, uint16_t port,
					char *why, size_t len);
void metrics_http_stop(struct metrics_http *h);

#endif
