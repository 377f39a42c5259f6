// SPDX-License-Identifier: MIT
/*
 * --json-stream: one compact JSON object per line, flushed at once so a reader
 * on a pipe sees each event as it happens: "start", one "interval" per printed
 * row, "end" with the whole document, or "error". Every line, the last one
 * included, is a single line (JSON_COMPACT never emits a newline).
 * Schema: docs/schema/stream-event.schema.json.
 */
#include <errno.h>
#include <math.h>

#include "output/printers.h"

static int stream_emit(FILE *f, json_t *ev, int err)
{
	int ret;

	if (!ev || err) {
		json_decref(ev);
		return -ENOMEM;
	}
	ret = output_json_dump(f, ev, JSON_COMPACT);
	json_decref(ev);
	return ret;
}

/* What was asked for, beside what ran: the requested length, size and rate. */
static int stream_requested(json_t *ev, const struct xfr_result *r)
{
	json_t *req = json_pack("{s:I, s:I, s:I, s:I}", "duration_requested_s",
				(json_int_t)r->duration_req_s, "bytes_requested",
				(json_int_t)r->bytes_req, "bitrate_requested_bps",
				(json_int_t)r->bitrate_req, "length", (json_int_t)r->length);
	int err = req ? json_object_update(ev, req) : -1;

	json_decref(req);
	return err ? -ENOMEM : 0;
}

static int stream_start(struct output *o, const struct xfr_result *r)
{
	json_t *ev = json_pack("{s:s}", "event", "start");
	int err;

	if (!ev)
		return -ENOMEM;
	err = json_object_set_new(ev, "id", output_json_string(r->id)) ? -ENOMEM : 0;
	if (!err)
		err = output_json_settings(ev, r);
	if (!err)
		err = stream_requested(ev, r);
	return stream_emit(o->f, ev, err);
}

static int stream_interval(struct output *o, const struct xfr_result *r,
			   const struct xfr_interval *iv)
{
	char buf[64];
	json_t *ev;

	if (o->opts.quiet)
		return 0;
	ev = json_pack("{s:s, s:s, s:f, s:f, s:f}", "event", "interval", "timestamp",
		       output_timestamp(r, iv, o->opts.ts_format, buf, sizeof(buf)), "elapsed_secs",
		       round(iv->end_s * 1000) / 1000, "start", round(iv->start_s * 1000) / 1000,
		       "end", round(iv->end_s * 1000) / 1000);
	if (!ev)
		return -ENOMEM;
	return stream_emit(o->f, ev, output_json_interval_body(ev, r, iv));
}

static int stream_end(struct output *o, const struct xfr_result *r)
{
	json_t *doc = output_json_result(r, o->opts.ts_format);

	if (!doc)
		return -ENOMEM;
	return stream_emit(o->f, json_pack("{s:s, s:o}", "event", "end", "result", doc), 0);
}

static int stream_error(struct output *o, const char *msg)
{
	json_t *ev = json_pack("{s:s}", "event", "error");
	int err = 0;

	if (ev &&
	    json_object_set_new(ev, "message", output_json_string(msg ? msg : "unknown error")))
		err = -ENOMEM;
	return stream_emit(o->f, ev, err);
}

const struct output_ops output_jsonstream_ops = {
	.name = "json-stream",
	.start = stream_start,
	.interval = stream_interval,
	.end = stream_end,
	.error = stream_error,
};
