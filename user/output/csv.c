// SPDX-License-Identifier: MIT
/*
 * --csv: one table, one header, every row the same columns, so a CSV reader
 * (pandas, a spreadsheet) reads the whole stream as one frame. A row's `type`
 * says what it is: "interval" (the sum of one direction's flows over one
 * interval), "stream-interval" (one flow over one interval, with -P N),
 * "summary" (one direction over the whole test), "stream-summary" (one flow
 * over the whole test, with -P N). `direction` and `stream` say which flows.
 *
 * The reference's two blocks (interval rows, a blank line, a summary header
 * with other columns) made a CSV reader label the summary with the interval
 * header; its column names are kept where the figure is the same.
 *
 * Numbers are plain (no units, no thousands separators); a figure that does
 * not apply to the row (TCP figures of a UDP test, the receiver's counts
 * before they are known) is an empty cell, never 0.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output/printers.h"

#define CSV_HEADER                                                                                                                                 \
	"type,direction,stream,timestamp,start_secs,elapsed_secs,bytes,throughput_mbps,"                                                           \
	"sender_bytes,receiver_bytes,retransmits,rtt_us,rtt_var_us,cwnd,cwnd_bytes,pmtu,"                                                          \
	"min_rtt_us,bytes_in_flight,handshake_us,jitter_ms,jitter_max_ms,lost,lost_percent,packets_sent,packets_received,out_of_order,duplicates," \
	"rcvbuf_drops,packet_size,xdp_packets,drops_rx,drops_tx,bpf_rtt_avg_us,engine,test_id"
#define CSV_LINE_MAX 1024

struct csv_state {
	bool header_printed;
};

/* A line being built: cells joined by commas. */
struct csv_line {
	char s[CSV_LINE_MAX];
	size_t n;
	unsigned cells;
};

/* What one row is about: its flows (one flow, or a direction's sum) and period. */
struct csv_row {
	const char *type;
	const struct xfr_flow *f; /* the flow, or the direction's sum */
	bool stream;		  /* one flow: the stream column is filled */
	uint64_t bytes;		  /* delivered */
	double start_s, end_s;
	const char *ts; /* interval rows: the timestamp; "" in summary rows */
	bool summary;
};

static void csv_cell(struct csv_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void csv_cell(struct csv_line *l, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (l->cells++ && l->n < sizeof(l->s) - 1)
		l->s[l->n++] = ',';
	va_start(ap, fmt);
	w = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		l->n = l->n + (size_t)w < sizeof(l->s) ? l->n + (size_t)w : sizeof(l->s) - 1;
}

/* An unsigned cell; empty when unknown. */
static void csv_u64(struct csv_line *l, bool known, uint64_t v)
{
	if (known)
		csv_cell(l, "%llu", (unsigned long long)v);
	else
		csv_cell(l, "%s", "");
}

/* A text cell, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
static void csv_text(struct csv_line *l, const char *s)
{
	char q[2 * 64 + 3];
	size_t n = 0;

	if (!strpbrk(s, ",\"\r\n")) {
		csv_cell(l, "%s", s);
		return;
	}
	q[n++] = '"';
	for (; *s && n < sizeof(q) - 3; s++) {
		if (*s == '"')
			q[n++] = '"';
		q[n++] = *s;
	}
	q[n++] = '"';
	q[n] = '\0';
	csv_cell(l, "%s", q);
}

/* type,direction,stream,timestamp,start_secs,elapsed_secs */
static void csv_ident(struct csv_line *l, const struct csv_row *w)
{
	csv_cell(l, "%s", w->type);
	csv_cell(l, "%s", w->f->dir == XFR_FLOW_DOWN ? "download" : "upload");
	csv_u64(l, w->stream, w->f->stream);
	csv_cell(l, "%s", w->ts);
	csv_cell(l, "%.3f", w->start_s);
	csv_cell(l, "%.3f", w->end_s);
}

/* bytes,throughput_mbps,sender_bytes,receiver_bytes */
static void csv_bytes(struct csv_line *l, const struct csv_row *w)
{
	const struct xfr_flow *f = w->f;

	csv_cell(l, "%llu", (unsigned long long)w->bytes);
	csv_cell(l, "%.3f", output_mbps(w->bytes, w->end_s - w->start_s));
	csv_u64(l, f->has_sent, f->sent_bytes);
	csv_u64(l, f->has_recv, f->recv_bytes);
}

/* retransmits,rtt_us,rtt_var_us,cwnd,cwnd_bytes: the sender's TCP_INFO, TCP only. */
static void csv_tcp(struct csv_line *l, const struct xfr_result *r, const struct xfr_flow *f)
{
	bool tcp = f->has_tcp && !output_is_udp(r);

	csv_u64(l, tcp, f->tcp.retransmits);
	csv_u64(l, tcp, f->tcp.rtt_us);
	csv_u64(l, tcp, f->tcp.rttvar_us);
	csv_u64(l, tcp, f->tcp.cwnd_segments);
	csv_u64(l, tcp, f->tcp.cwnd_bytes);
}

/*
 * pmtu (TCP and QUIC), min_rtt_us,bytes_in_flight,handshake_us (QUIC's own
 * figures): the sender's, at the end of the interval / test.
 */
static void csv_path(struct csv_line *l, const struct xfr_result *r, const struct xfr_flow *f)
{
	bool tcp = f->has_tcp && !output_is_udp(r), quic = tcp && r->proto == XFR_PROTO_QUIC;

	csv_u64(l, tcp && f->tcp.pmtu, f->tcp.pmtu);
	csv_u64(l, quic && f->tcp.min_rtt_us, f->tcp.min_rtt_us);
	csv_u64(l, quic, f->tcp.bytes_in_flight);
	csv_u64(l, quic && f->tcp.handshake_us, f->tcp.handshake_us);
}

/*
 * jitter_ms,jitter_max_ms,lost,lost_percent,packets_sent,packets_received,
 * out_of_order,duplicates,rcvbuf_drops,packet_size: UDP only; the receiver's
 * figures need its report.
 */
static void csv_udp(struct csv_line *l, const struct xfr_result *r, const struct xfr_flow *f)
{
	const struct xfr_udp_stats *u = &f->udp;
	bool udp = output_is_udp(r), rx = udp && f->has_udp_rx;

	if (rx) {
		csv_cell(l, "%.3f", u->jitter_ms);
		csv_cell(l, "%.3f", u->jitter_max_ms);
	} else {
		csv_cell(l, "%s", "");
		csv_cell(l, "%s", "");
	}
	csv_u64(l, rx, u->lost);
	if (rx)
		csv_cell(l, "%.3f", output_lost_percent(u));
	else
		csv_cell(l, "%s", "");
	csv_u64(l, udp && (f->has_udp_tx || f->has_udp_rx), output_udp_sent(f));
	csv_u64(l, rx, u->packets_received);
	csv_u64(l, rx, u->out_of_order);
	csv_u64(l, rx, u->duplicates);
	csv_u64(l, rx, u->rcvbuf_drops);
	csv_u64(l, udp, r->length);
}

/* xdp_packets,drops_rx,drops_tx,bpf_rtt_avg_us: the kernel data plane's, when known. */
static void csv_kernel(struct csv_line *l, const struct xfr_flow *k)
{
	csv_u64(l, k->has_xdp, k->xdp_packets);
	csv_u64(l, k->has_drops_rx, output_drops_total(&k->drops_rx));
	csv_u64(l, k->has_drops_tx, output_drops_total(&k->drops_tx));
	csv_u64(l, k->has_bpf_tcp && k->bpf_tcp.rtt_samples, k->bpf_tcp.rtt_avg_us);
}

static int csv_header(struct output *o)
{
	struct csv_state *st = o->priv;
	int ret;

	if (st && st->header_printed)
		return 0;
	ret = output_printf(o->f, "%s\n", CSV_HEADER);
	if (!ret && st)
		st->header_printed = true;
	return ret;
}

static int csv_row(struct output *o, const struct xfr_result *r, const struct csv_row *w)
{
	struct csv_line l = {.n = 0};

	csv_ident(&l, w);
	csv_bytes(&l, w);
	csv_tcp(&l, r, w->f);
	csv_path(&l, r, w->f);
	csv_udp(&l, r, w->f);
	csv_kernel(&l, w->f);
	csv_cell(&l, "%s", w->summary ? xfr_engine_name(r->engine) : "");
	csv_text(&l, r->id);
	return output_printf(o->f, "%s\n", l.s);
}

/*
 * The rows of one direction over one period (p: its type, times, timestamp):
 * a "stream-" row per flow (with -P N), then the direction's sum.
 */
static int csv_dir(struct output *o, const struct xfr_result *r, const struct xfr_flow *flows,
		   uint32_t n, unsigned mask, const struct csv_row *p)
{
	bool multi = r->streams > 1 && o->opts.per_stream;
	struct csv_row w = *p;
	char stype[32];
	struct xfr_flow sum;
	int ret = 0;

	snprintf(stype, sizeof(stype), "stream-%s", p->type);
	w.type = stype;
	w.stream = true;
	for (uint32_t i = 0; i < n && multi && !ret; i++) {
		unsigned bit = flows[i].dir == XFR_FLOW_DOWN ? RESULT_DIR_DOWN : RESULT_DIR_UP;

		if (bit != mask)
			continue;
		w.f = &flows[i];
		w.bytes = result_flow_bytes(&flows[i]);
		ret = csv_row(o, r, &w);
	}
	if (ret)
		return ret;
	result_sum(flows, n, mask, &sum);
	output_kernel_sum(flows, n, mask, &sum);
	w = *p;
	w.f = &sum;
	w.bytes = output_delivered(flows, n, mask);
	return csv_row(o, r, &w);
}

/* Both directions that ran, upload first. */
static int csv_dirs(struct output *o, const struct xfr_result *r, const struct xfr_flow *flows,
		    uint32_t n, const struct csv_row *p)
{
	unsigned dirs = output_dirs(flows, n);
	int ret = 0;

	if (dirs & RESULT_DIR_UP)
		ret = csv_dir(o, r, flows, n, RESULT_DIR_UP, p);
	if (!ret && (dirs & RESULT_DIR_DOWN))
		ret = csv_dir(o, r, flows, n, RESULT_DIR_DOWN, p);
	return ret;
}

/* The header comes first, so a reader has it even when the test ends early. */
static int csv_start(struct output *o, const struct xfr_result *r)
{
	struct csv_state *st = calloc(1, sizeof(*st));
	int ret;

	(void)r;
	if (!st)
		return -ENOMEM;
	free(o->priv);
	o->priv = st;
	ret = csv_header(o);
	return ret ? ret : output_flush(o->f);
}

static int csv_interval(struct output *o, const struct xfr_result *r, const struct xfr_interval *iv)
{
	struct csv_row w = {.type = "interval", .start_s = iv->start_s, .end_s = iv->end_s};
	char ts[64];
	int ret;

	if (o->opts.quiet)
		return 0;
	w.ts = output_timestamp(r, iv, o->opts.ts_format, ts, sizeof(ts));
	ret = csv_header(o);
	if (!ret)
		ret = csv_dirs(o, r, iv->flows, iv->nflows, &w);
	return ret ? ret : output_flush(o->f);
}

static int csv_end(struct output *o, const struct xfr_result *r)
{
	struct csv_row w = {.type = "summary", .end_s = r->duration_s, .ts = "", .summary = true};
	int ret = csv_header(o);

	if (!ret)
		ret = csv_dirs(o, r, r->flows, r->nflows, &w);
	return ret ? ret : output_flush(o->f);
}

/* CSV has no error row: the caller's log line on stderr carries the message. */
static int csv_error(struct output *o, const char *msg)
{
	(void)o;
	(void)msg;
	return 0;
}

const struct output_ops output_csv_ops = {
	.name = "csv",
	.start = csv_start,
	.interval = csv_interval,
	.end = csv_end,
	.error = csv_error,
};
