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

/* What a kept interval may cost at most: one result line. */
#define SO_BUDGET PROTO_MAX_LINE

static struct srv_output_item *so_at(const struct srv_output *o, uint32_t i)
{
	return &o->item[(o->head + i) % o->cap];
}

static void so_drop_oldest(struct srv_output *o)
{
	struct srv_output_item *it = so_at(o, 0);

	o->bytes -= it->len + 1;
	free(it->text);
	it->text = NULL;
	o->head = (o->head + 1) % o->cap;
	o->n--;
	o->dropped = true;
}

/* Room for one more item: the ring doubles (it stays small: items cost >= 2 bytes of budget). */
static int so_room(struct srv_output *o)
{
	struct srv_output_item *items;
	uint32_t cap = o->cap ? o->cap * 2 : 64;

	if (o->n < o->cap)
		return 0;
	items = malloc(cap * sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (uint32_t i = 0; i < o->n; i++)
		items[i] = *so_at(o, i);
	free(o->item);
	o->item = items;
	o->cap = cap;
	o->head = 0;
	return 0;
}

/* The interval line without its type, as the object the report lists. */
static char *interval_object(const struct proto_msg *m, uint32_t *len)
{
	static const char head[] = "{\"type\":\"interval\",";
	size_t n, h = sizeof(head) - 1;
	char *line = proto_encode(m, &n);

	if (!line || n < h + 2 || strncmp(line, head, h)) {
		free(line);
		return NULL;
	}
	n -= h + 1; /* the head and the newline go; "{" comes back */
	memmove(line + 1, line + h, n);
	line[n + 1] = '\0';
	*len = (uint32_t)n + 1;
	return line;
}

static void keep_server_output(struct srv_test *t, const struct proto_msg *m)
{
	struct srv_output *o = &t->so;
	uint32_t len;
	char *text = interval_object(m, &len);

	if (!text)
		return;
	while (o->n && o->bytes + len + 1 > SO_BUDGET)
		so_drop_oldest(o);
	if (len + 1 > SO_BUDGET || so_room(o)) {
		o->dropped = true;
		free(text);
		return;
	}
	*so_at(o, o->n) = (struct srv_output_item){text, len};
	o->n++;
	o->bytes += len + 1;
}

void wire_output_free(struct srv_test *t)
{
	struct srv_output *o = &t->so;

	while (o->n)
		so_drop_oldest(o);
	free(o->item);
	memset(o, 0, sizeof(*o));
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
	/*
	 * Rates over the test time the interval covers, as a reader computes them
	 * from elapsed_ms: the last interval's drain (datagrams still landing)
	 * and pauses are not test time.
	 */
	wire_side(t, tk->flows, tk->nflows, tk->cur, tk->test_span_s, m->interval.streams,
		  &m->interval.aggregate);
	if (t->req.server_output)
		keep_server_output(t, m);
	return m;
}

/*
 * {"version":...,"intervals":[...],"truncated":...} with the newest intervals
 * that fit in room bytes. NULL when out of memory.
 */
static char *server_output_text(const struct srv_output *o, size_t room)
{
	static const char head[] = "{\"version\":\"xfr/" XFR_VERSION "\",\"intervals\":[";
	static const char tail[] = "],\"truncated\":false}";
	size_t fixed = sizeof(head) - 1 + sizeof(tail), body = 0, off;
	uint32_t first = o->n;
	char *text;

	while (first > 0 && fixed + body + so_at(o, first - 1)->len + 1 <= room)
		body += so_at(o, --first)->len + 1;
	text = malloc(fixed + body + 1);
	if (!text)
		return NULL;
	off = sizeof(head) - 1;
	memcpy(text, head, off);
	for (uint32_t i = first; i < o->n; i++) {
		if (i > first)
			text[off++] = ',';
		memcpy(text + off, so_at(o, i)->text, so_at(o, i)->len);
		off += so_at(o, i)->len;
	}
	snprintf(text + off, fixed + body + 1 - off, "],\"truncated\":%s}",
		 o->dropped || first > 0 ? "true" : "false");
	return text;
}

/*
 * udp_stats: for our client both directions (it reads each stream's "udp"
 * object anyway); for a reference client (none of our extensions) only what
 * we received, as a reference server sends it: that client shows a server's
 * udp_stats instead of its own receiver figures (issue 15 items 7, 8).
 */
static void result_udp(struct srv_test *t, struct proto_result *r)
{
	const struct xfr_result *res = &t->res;
	uint32_t len = t->req.length ? t->req.length : xfr_default_length(XFR_PROTO_UDP);

	if (t->client_caps & PROTO_CAPS_EXT)
		report_result_udp(res->flows, res->nflows, len, &r->udp_stats, &r->has_udp_stats);
	else
		report_result_udp_rx(res->flows, res->nflows, len, &r->udp_stats,
				     &r->has_udp_stats);
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
		result_udp(t, r);
	r->has_split = agg.has_split;
	r->bytes_sent = agg.bytes_sent;
	r->bytes_received = agg.bytes_received;
	r->throughput_send_mbps = agg.throughput_send_mbps;
	r->throughput_recv_mbps = agg.throughput_recv_mbps;
}

/*
 * A result line must fit the 64 KiB control line cap. The server output gets
 * what the rest of the result leaves: measured once, then the newest
 * intervals that fit (a second try with less only if the encoder's numbers
 * came out longer than the kept text).
 */
static void fit_result(struct srv_test *t, struct proto_msg *m)
{
	static const char key[] = ",\"server_output\":";
	size_t len, room;
	char *line;

	if (!t->req.server_output)
		return;
	line = proto_encode(m, &len);
	if (!line)
		return;
	free(line);
	room = PROTO_MAX_LINE > len + sizeof(key) ? PROTO_MAX_LINE - len - sizeof(key) : 0;
	for (int tries = 0; tries < 4; tries++, room -= room / 8) {
		m->result.server_output = server_output_text(&t->so, room);
		line = m->result.server_output ? proto_encode(m, &len) : NULL;
		if (line || errno != EMSGSIZE)
			break;
		free(m->result.server_output);
		m->result.server_output = NULL;
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
