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
#include "model/result.h"

struct output_opts {
	bool quiet;		      /* -q: no interval rows */
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

#endif
