// SPDX-License-Identifier: MIT
/*
 * The server's side of a test on the wire: each interval message, kept for
 * --get-server-output when asked, and the result message, fitted under the
 * control line cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/report.h"
#include "model/stats.h"
#include "server/server_priv.h"

/* This side's flows (over an interval, or the whole test) on the wire, with the totals. */
static void wire_side(const struct srv_test *t, const struct xfr_flow *flows, uint32_t n,
		      const struct engine_sample *cur, double secs, struct proto_stream *streams,
		      struct proto_aggregate *agg)
{
	struct xfr_flow *totals = calloc(XFR_MAX_FLOWS, sizeof(*totals));
	uint32_t nt = 0;

	if (!totals)
		return;
	/* cumulative figures too, for the aggregate's udp_progress */
	stats_side_total(cur, totals, &nt);
	report_to_wire(flows, n, totals, nt, t->req.streams, t->req.dir, secs, streams, agg);
	free(totals);
}

static void keep_server_output(struct srv_test *t, const struct proto_msg *m)
{
	size_t len;
	char *line = proto_encode(m, &len);
	json_t *obj = line ? json_loadb(line, len, 0, NULL) : NULL;

	if (obj) {
		json_object_del(obj, "type");
		json_array_append_new(t->server_output, obj);
	}
	free(line);
}

struct proto_msg *wire_interval(struct srv_test *t, const struct run_tick *tk)
{
	struct proto_msg *m = malloc(sizeof(*m));

	if (!m)
		return NULL;
	proto_msg_init(m, MSG_INTERVAL);
	snprintf(m->interval.id, sizeof(m->interval.id), "%s", t->req.id);
	m->interval.elapsed_ms = tk->elapsed_ms;
	m->interval.nstreams = t->req.streams;
	wire_side(t, tk->flows, tk->nflows, tk->cur, tk->span_s, m->interval.streams,
		  &m->interval.aggregate);
	if (t->server_output)
		keep_server_output(t, m);
	return m;
}

static char *server_output_text(json_t *intervals, bool truncated)
{
	json_t *o = json_pack("{s:s,s:O,s:b}", "version", "xfr/" XFR_VERSION, "intervals",
			      intervals, "truncated", truncated);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return text;
}

static void fill_result(struct srv_test *t, struct proto_result *r)
{
	const struct xfr_result *res = &t->res;
	struct proto_aggregate agg;

	snprintf(r->id, sizeof(r->id), "%s", t->req.id);
	r->nstreams = t->req.streams;
	report_to_wire(res->flows, res->nflows, res->flows, res->nflows, t->req.streams, t->req.dir,
		       res->duration_s, r->streams, &agg);
	r->bytes_total = agg.bytes;
	r->duration_ms = (uint64_t)(res->duration_s * 1000.0 + 0.5);
	r->throughput_mbps = agg.throughput_mbps;
	r->has_tcp_info = t->req.dir != XFR_DIR_UPLOAD && t->req.proto == XFR_PROTO_TCP;
	r->tcp_info = agg.tcp;
	if (t->req.proto == XFR_PROTO_UDP)
		report_result_udp(res->flows, res->nflows,
				  t->req.length ? t->req.length : xfr_default_length(XFR_PROTO_UDP),
				  &r->udp_stats, &r->has_udp_stats);
	r->has_split = agg.has_split;
	r->bytes_sent = agg.bytes_sent;
	r->bytes_received = agg.bytes_received;
	r->throughput_send_mbps = agg.throughput_send_mbps;
	r->throughput_recv_mbps = agg.throughput_recv_mbps;
	if (t->server_output)
		r->server_output = server_output_text(t->server_output, false);
}

/*
 * A result line must fit the 64 KiB control line cap. A long test's server
 * output may not: keep its most recent half until it fits, and say so.
 */
static void fit_result(struct srv_test *t, struct proto_msg *m)
{
	size_t len, n;
	char *line;

	while ((line = proto_encode(m, &len)) == NULL && errno == EMSGSIZE && t->server_output) {
		n = json_array_size(t->server_output);
		free(m->result.server_output);
		m->result.server_output = NULL;
		if (n == 0)
			return;
		for (size_t i = 0; i < (n + 1) / 2; i++)
			json_array_remove(t->server_output, 0);
		m->result.server_output = server_output_text(t->server_output, true);
	}
	free(line);
}

struct proto_msg *wire_result(struct srv_test *t)
{
	struct proto_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	proto_msg_init(m, MSG_RESULT);
	fill_result(t, &m->result);
	fit_result(t, m);
	return m;
}
