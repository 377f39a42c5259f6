// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for what a server's lines reach on the client after the
 * test_ack: intervals and the result folded into the client's flows
 * (control/report.c report_from_wire, as client_loop.c does), the server's
 * error text (report_sanitize, report_server_error) and every printer
 * (output/: plain, json, json-stream, csv, and the -o FILE document), the
 * server's own report (--get-server-output) included.
 *
 * Input: a first byte choosing the client's test (bit 0 UDP, bits 1-2 the
 * direction, bits 3-4 streams - 1), then the server's lines. As in the
 * client: an error as the first line is a test that never ran (the printers'
 * error op only); later, a bad line or an error ends the run with the
 * result's error set, and without a result line the result is interrupted.
 *
 * Must hold: no crash or sanitizer report; the JSON document and each
 * json-stream line parse as JSON, and no output (plain, CSV, or JSON, which
 * is written as ASCII) carries a terminal control (C0 but tab and newline,
 * DEL, C1, bidi overrides), whatever the server sent (issue 9, defect 8).
 * XFR_FUZZ_TERMINAL=0 turns that check off.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "control/proto.h"
#include "control/report.h"
#include "fuzz/fuzz.h"
#include "output/output.h"

#define NFMT 4

static const enum xfr_format fmts[NFMT] = {XFR_FMT_PLAIN, XFR_FMT_JSON, XFR_FMT_JSON_STREAM,
					   XFR_FMT_CSV};
static const char *const fmt_names[NFMT] = {"plain", "json", "json-stream", "csv"};
static struct proto_msg msg;
static struct xfr_flow iv_flows[XFR_MAX_FLOWS];
static bool terminal_check;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(XFR_LOG_ERROR);
	terminal_check = !getenv("XFR_FUZZ_TERMINAL") || strcmp(getenv("XFR_FUZZ_TERMINAL"), "0");
	return 0;
}

struct sink {
	struct output *o;
	FILE *f;
	char *buf;
	size_t len;
};

static void for_each(struct sink *s, int (*fn)(struct sink *s, void *arg), void *arg)
{
	for (int i = 0; i < NFMT; i++)
		if (s[i].o)
			fn(&s[i], arg);
}

static int do_start(struct sink *s, void *res)
{
	return s->o->ops->start(s->o, res);
}

static int do_end(struct sink *s, void *res)
{
	return s->o->ops->end(s->o, res);
}

static int do_error(struct sink *s, void *msg_text)
{
	return s->o->ops->error(s->o, msg_text);
}

struct iv_arg {
	const struct xfr_result *res;
	const struct xfr_interval *iv;
};

static int do_interval(struct sink *s, void *arg)
{
	const struct iv_arg *a = arg;

	return s->o->ops->interval(s->o, a->res, a->iv);
}

/* One interval line: the server's side of each flow, as the client folds it. */
static void on_interval(struct xfr_result *res, struct sink *s, double *last_s)
{
	struct xfr_interval iv = {.flows = iv_flows};
	struct iv_arg a = {.res = res, .iv = &iv};

	report_from_wire(msg.interval.streams, msg.interval.nstreams, res->dir, iv_flows,
			 &iv.nflows);
	fuzz_assert(iv.nflows <= XFR_MAX_FLOWS, "interval flows past XFR_MAX_FLOWS");
	iv.start_s = *last_s;
	iv.end_s = (double)msg.interval.elapsed_ms / 1000.0;
	*last_s = iv.end_s;
	if (result_add_interval(res, &iv))
		return;
	for_each(s, do_interval, &a);
}

/* The result line: into the client's whole-test flows (room for 128 streams). */
static void on_result(struct xfr_result *res)
{
	report_from_wire(msg.result.streams, msg.result.nstreams, res->dir, res->flows,
			 &res->nflows);
	fuzz_assert(res->nflows <= res->cap_flows, "result flows past the result's room");
	res->duration_s = (double)msg.result.duration_ms / 1000.0;
	res->interrupted = false;
	res->server_output = msg.result.server_output;
	msg.result.server_output = NULL;
}

/* clnt_error: the first error of a run is the result's. */
static void run_error(struct xfr_result *res, const char *text)
{
	if (!res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", text);
}

/* 1 = the test is over (result or error), 0 = go on. */
static int on_line(struct xfr_result *res, struct sink *s, const char *line, size_t len,
		   double *last_s)
{
	char err[PROTO_TEXT_MAX], text[PROTO_TEXT_MAX], why[PROTO_TEXT_MAX + 16];
	int done = 0;

	if (proto_decode(line, len, &msg, err, sizeof(err))) {
		snprintf(why, sizeof(why), "control connection: %s", err);
		run_error(res, why);
		return 1;
	}
	switch (msg.type) {
	case MSG_INTERVAL:
		on_interval(res, s, last_s);
		break;
	case MSG_CANCELLED:
		break;
	case MSG_RESULT:
		on_result(res);
		done = 1;
		break;
	case MSG_ERROR:
		report_sanitize(text, sizeof(text), msg.text.text);
		snprintf(why, sizeof(why), "server error: %s", report_server_error(text));
		run_error(res, why);
		done = 1;
		break;
	default:
		snprintf(why, sizeof(why), "server sent an unexpected %s message",
			 proto_type_name(msg.type));
		run_error(res, why);
		done = 1;
	}
	proto_msg_free(&msg);
	return done;
}

/* The handshake's error: the test never ran, the printers get only that. */
static bool handshake_error(struct sink *s, const char *line, size_t len)
{
	char err[PROTO_TEXT_MAX], text[PROTO_TEXT_MAX], why[PROTO_TEXT_MAX + 16];

	if (proto_decode(line, len, &msg, err, sizeof(err)))
		return false;
	if (msg.type == MSG_ERROR) {
		report_sanitize(text, sizeof(text), msg.text.text);
		snprintf(why, sizeof(why), "server error: %s", report_server_error(text));
		for_each(s, do_error, why);
	}
	proto_msg_free(&msg);
	return msg.type == MSG_ERROR;
}

static void check_json(const char *text, size_t len, const char *what)
{
	json_error_t e;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &e);

	if (!j) {
		fprintf(stderr, "fuzz: %s: %s at %d:%d in:\n%.*s\n", what, e.text, e.line, e.column,
			(int)(len > 2000 ? 2000 : len), text);
		fuzz_fail("a JSON printer wrote something that is not JSON");
	}
	json_decref(j);
}

static void check_json_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl > p)
			check_json(p, (size_t)(nl - p), "json-stream line");
	}
}

/* No byte or UTF-8 sequence a terminal would act on, but tab and newline. */
static void check_terminal(const unsigned char *p, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i++) {
		bool bad = (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f ||
			   (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) ||
			   (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 && p[i + 2] >= 0xaa &&
			    p[i + 2] <= 0xae) ||
			   (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x81 && p[i + 2] >= 0xa6 &&
			    p[i + 2] <= 0xa9);

		if (bad) {
			fprintf(stderr, "fuzz: %s output, byte %zu: 0x%02x\n", what, i, p[i]);
			fuzz_fail("a server's bytes reach the terminal as control characters");
		}
	}
}

static void setup(struct xfr_result *res, uint8_t b)
{
	res->proto = b & 1 ? XFR_PROTO_UDP : XFR_PROTO_TCP;
	res->dir = (enum xfr_dir)((b >> 1) % 3);
	res->streams = 1 + ((b >> 3) & 3);
	res->duration_req_s = 10;
	res->length = res->proto == XFR_PROTO_UDP ? 1400 : 131072;
	snprintf(res->id, sizeof(res->id), "x");
	snprintf(res->host, sizeof(res->host), "127.0.0.1");
	res->port = 5201;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xfr_result res;
	struct sink s[NFMT] = {{0}};
	const char *p, *end = (const char *)data + size, *nl;
	double last_s = 0;
	FILE *doc;
	char *dbuf = NULL;
	size_t dlen = 0;
	int done = 0;

	if (!size || result_init(&res, XFR_MAX_STREAMS))
		return 0;
	setup(&res, data[0]);
	for (int i = 0; i < NFMT; i++) {
		struct output_opts o = {.rows = true, .per_stream = res.streams > 1};

		s[i].f = open_memstream(&s[i].buf, &s[i].len);
		s[i].o = s[i].f ? output_new(fmts[i], s[i].f, &o) : NULL;
	}
	p = (const char *)data + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!handshake_error(s, p, (size_t)((nl ? nl : end) - p))) {
		for_each(s, do_start, &res);
		res.interrupted = true; /* until a result line comes */
		for (; p < end && !done; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end;
			done = on_line(&res, s, p, (size_t)(nl - p), &last_s);
		}
		for_each(s, do_end, &res);
	}
	doc = open_memstream(&dbuf, &dlen);
	if (doc) {
		output_json_document(doc, &res);
		fclose(doc);
		check_json(dbuf, dlen, "-o FILE document");
		free(dbuf);
	}
	for (int i = 0; i < NFMT; i++) {
		output_free(s[i].o);
		if (s[i].f)
			fclose(s[i].f);
		if (fmts[i] == XFR_FMT_JSON && s[i].len)
			check_json(s[i].buf, s[i].len, "--json document");
		else if (fmts[i] == XFR_FMT_JSON_STREAM)
			check_json_lines(s[i].buf, s[i].len);
		if (terminal_check)
			check_terminal((const unsigned char *)s[i].buf, s[i].len, fmt_names[i]);
		free(s[i].buf);
	}
	result_free(&res);
	return 0;
}
