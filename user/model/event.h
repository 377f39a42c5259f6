/* SPDX-License-Identifier: MIT */
/*
 * What a test run tells its consumers, and the consumers (sinks).
 *
 * The run core (dataplane/run.h) and the roles emit typed events: a test
 * started, an interval (per flow, both sides where known), the test ended,
 * an error, a notable event (engine fallback, retransmit spike, loss burst,
 * events a slow sink lost). Every consumer of figures is a sink on a list:
 * the output printers, the server's log, and later the TUI, Prometheus and
 * the push gateway. A sink is called on the run loop's thread and must never
 * block it: it formats or copies what it needs and hands it off (a slow
 * consumer loses events and says so; it never stalls a test). Only
 * sinks_flush(), called once the test is over, may wait.
 */
#ifndef XFR_MODEL_EVENT_H
#define XFR_MODEL_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "model/result.h"

enum xfr_role {
	XFR_ROLE_CLIENT,
	XFR_ROLE_SERVER,
};

enum xfr_event_type {
	XFR_EV_TEST_START, /* res: the test's identity and settings */
	XFR_EV_INTERVAL,   /* iv: one interval (iv->omitted: inside --omit) */
	XFR_EV_TEST_END,   /* res: the whole-test figures too; why: how it ended */
	XFR_EV_ERROR,	   /* text: fatal for this test; res as far as it got (may be NULL) */
	XFR_EV_NOTICE,	   /* notice, text: something a user may want to know */
};

enum xfr_notice {
	XFR_NOTICE_ENGINE,	/* which engine each end runs and why (fallbacks) */
	XFR_NOTICE_RETRANSMITS, /* a retransmit spike: far above the test's usual */
	XFR_NOTICE_LOSS,	/* a loss burst starts: loss over the threshold */
	XFR_NOTICE_SINK_LOSS,	/* a slow sink dropped events, or intervals were not kept */
	XFR_NOTICE_PEER,	/* the peer sent something that was not used (and why) */
	XFR_NOTICE_REFUSED, /* server: a connection refused (busy, limits, access); logged by the role */
	XFR_NOTICE_AUTH, /* server: a client failed authentication; logged by the role */
};

struct xfr_event {
	enum xfr_event_type type;
	enum xfr_role role;	       /* who emits it */
	const struct xfr_result *res;  /* the test (NULL for an error before one exists) */
	const struct xfr_interval *iv; /* XFR_EV_INTERVAL */
	enum xfr_notice notice;	       /* XFR_EV_NOTICE */
	const char *text;	       /* XFR_EV_ERROR, XFR_EV_NOTICE: one line */
	const char *why;	       /* XFR_EV_TEST_END: "complete", "cancelled", ... */
	const char *peer;	       /* the other end, printable; "" when not known */
};

struct xfr_sink;

struct xfr_sink_ops {
	const char *name;
	/* One event, on the run loop's thread: must not block. */
	void (*event)(struct xfr_sink *s, const struct xfr_event *ev);
	/* The test is over: deliver what is queued (may wait). 0 or the first error. */
	int (*flush)(struct xfr_sink *s);
	void (*free)(struct xfr_sink *s);
};

struct xfr_sink {
	const struct xfr_sink_ops *ops;
	void *priv;
};

#define XFR_MAX_SINKS 8

struct xfr_sinks {
	uint32_t n;
	struct xfr_sink *v[XFR_MAX_SINKS];
};

/* Append s (the list owns it from here, also on error). 0 or -ENOSPC. */
int sinks_add(struct xfr_sinks *l, struct xfr_sink *s);
/* Every sink, in the order added. */
void sinks_emit(const struct xfr_sinks *l, const struct xfr_event *ev);
/* Flush every sink; the first error (every sink is flushed regardless). */
int sinks_flush(const struct xfr_sinks *l);
/* Free every sink (no flush). */
void sinks_free(struct xfr_sinks *l);

/* Shorthands for the common events. */
void sinks_notice(const struct xfr_sinks *l, enum xfr_role role, const struct xfr_result *res,
		  enum xfr_notice notice, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void sinks_error(const struct xfr_sinks *l, enum xfr_role role, const struct xfr_result *res,
		 const char *text);

const char *xfr_notice_name(enum xfr_notice n); /* "engine", "retransmits", "loss", "sink_loss" */

#endif /* XFR_MODEL_EVENT_H */
