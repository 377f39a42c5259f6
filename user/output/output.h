/* SPDX-License-Identifier: MIT */
/*
 * Output ops: one printer per format over the result model (user/model/result.h).
 * Every printer writes results to its FILE (stdout); logs never go there.
 * Each op returns 0 or -errno when writing failed (EPIPE, ENOSPC, ...), so the
 * caller can exit non-zero instead of losing results silently.
 */
#ifndef XFR_OUTPUT_OUTPUT_H
#define XFR_OUTPUT_OUTPUT_H

#include <stdio.h>

#include "base/config.h"
#include "model/event.h"
#include "model/result.h"

struct output_opts {
	bool quiet;		      /* -q: no interval rows */
	bool rows;		      /* interval rows wanted (-i 0: none, the summary only) */
	enum xfr_ts_format ts_format; /* interval timestamps */
	bool per_stream;	      /* print per-stream rows/lines (plain: when streams > 1) */
};

struct output;

struct output_ops {
	const char *name;
	/* The test is about to run: header line(s) / "start" event. */
	int (*start)(struct output *o, const struct xfr_result *r);
	/* One interval, already merged from both sides. Not called for omitted rows. */
	int (*interval)(struct output *o, const struct xfr_result *r,
			const struct xfr_interval *iv);
	/* The final summary / document / "end" event. */
	int (*end)(struct output *o, const struct xfr_result *r);
	/* A fatal error before or during the test ("error" event in JSON formats). */
	int (*error)(struct output *o, const char *msg);
};

struct output {
	const struct output_ops *ops;
	FILE *f;
	struct output_opts opts;
	void *priv; /* printer state (e.g. CSV header printed) */
};

/* Printer for a format, writing to f. NULL with errno on failure. */
struct output *output_new(enum xfr_format fmt, FILE *f, const struct output_opts *opts);
void output_free(struct output *o);

/* The whole-test JSON document (the --json format) to f; used for -o FILE too. */
int output_json_document(FILE *f, const struct xfr_result *r);

/* Format an interval timestamp per opts->ts_format ("1.000", ISO 8601, epoch). */
char *output_timestamp(const struct xfr_result *r, const struct xfr_interval *iv,
		       enum xfr_ts_format fmt, char *buf, size_t len);

/*
 * Sinks (model/event.h) over the printers. output_sink_new: the printer for
 * fmt, writing to fd through a bounded asynchronous writer: interval rows a
 * slow reader cannot take are dropped and counted (said on stderr, once when
 * it starts and in total at the end); the start, the summary and errors are
 * never dropped (nor waited for). flush() returns the first write error (EPIPE, ENOSPC, ...).
 * NULL with errno.
 */
struct xfr_sink *output_sink_new(enum xfr_format fmt, int fd, const struct output_opts *opts);
/* -o FILE: the whole-test JSON document, written when flushed after the end. */
struct xfr_sink *output_file_sink_new(const char *path);
/*
 * The log (stderr, through log.h): notices on both sides; on the server also
 * one line per test started and ended. Errors are logged where they happen.
 */
struct xfr_sink *output_log_sink_new(void);

#endif
