/* SPDX-License-Identifier: MIT */
/*
 * The push gateway (libcurl, its own thread): after each finished test the
 * registry is PUT to URL/metrics/job/JOB/instance/INSTANCE, replacing that
 * group, so the gateway always holds the server's current totals. The loop
 * thread only signals; a slow or absent gateway never delays a test.
 */
#ifndef XFR_METRICS_PUSH_H
#define XFR_METRICS_PUSH_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics/registry.h"

struct metrics_push;

/* Pushes go to URL/metrics/job/JOB/instance/INSTANCE. NULL with a line in why. */
struct metrics_push *metrics_push_start(struct metrics_reg *reg, const char *url, const char *job,
					const char *instance, char *why, size_t len);
/* A test finished: push soon. */
void metrics_push_kick(struct metrics_push *p);
/* Push what is pending (waits at most the request timeout), then stop. */
void metrics_push_stop(struct metrics_push *p);

/* "http://" or "https://" and a host: what --push-gateway accepts. */
bool metrics_push_url_ok(const char *url);

#endif
