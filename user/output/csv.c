// SPDX-License-Identifier: MIT
/*
 * --csv: the reference's columns (xfr-reference §3.3) plus sender_bytes and
 * receiver_bytes (and engine in the summary), then UDP counts appended at the
 * end of each line, so no existing column ever moves. Interval header and rows
 * first (none with -q), a blank line, then the summary header and one row.
 * Unknown values are empty fields; the reference's jitter_ms/lost/lost_percent
 * are 0 for TCP, as the reference prints them, and our UDP columns are empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/printers.h"

#define CSV_INTERVAL_HEADER                                                                        \
	"timestamp,elapsed_secs,bytes,throughput_mbps,retransmits,jitter_ms,lost,rtt_us,cwnd,"     \
	"bytes_sent,bytes_received,throughput_send_mbps,throughput_recv_mbps,sender_bytes,"        \
	"receiver_bytes,packets_sent,packets_received,out_of_order,duplicates,rcvbuf_drops"
#define CSV_SUMMARY_HEADER                                                                         \
	"test_id,duration_secs,transfer_bytes,throughput_mbps,retransmits,jitter_ms,lost,"         \
	"lost_percent,bytes_sent,bytes_received,throughput_send_mbps,throughput_recv_mbps,"        \
	"sender_bytes,receiver_bytes,engine,packets_sent,packets_received,out_of_order,"           \
	"duplicates,rcvbuf_drops,jitter_max_ms,packet_size"

/*
 * The kernel data plane's columns, appended to both headers only when the test
 * has such figures (so a socket test prints the reference-shaped lines it
 * always did): XDP count, drops by reason summed per host, BPF mean RTT.
 */
#define CSV_KERNEL_HEADER ",xdp_packets,drops_rx,drops_tx,bpf_rtt_avg_us"

struct csv_state {
	bool header_printed; /* the summary is then set apart by a blank line */
	bool kernel;	     /* the interval block has the kernel columns */
};

/* An optional unsigned field: empty when unknown. */
static const char *csv_u64(bool known, uint64_t v, char *buf, size_t len)
{
	if (!known)
		return "";
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* bytes_sent,bytes_received,throughput_send_mbps,throughput_recv_mbps (bidir only). */
static int csv_bidir(FILE *f, const struct xfr_result *r, const struct xfr_flow *flows, uint32_t n,
		     double secs)
{
	uint64_t up, down;

	if (r->dir != XFR_DIR_BIDIR)
		return output_printf(f, ",,,,");
	up = output_delivered(flows, n, RESULT_DIR_UP);
	down = output_delivered(flows, n, RESULT_DIR_DOWN);
	return output_printf(f, "%llu,%llu,%.2f,%.2f,", (unsigned long long)up,
			     (unsigned long long)down, output_mbps(up, secs),
			     output_mbps(down, secs));
}

/* jitter_ms,lost (and lost_percent in the summary): the UDP receiver's, 0 for TCP. */
static int csv_loss(FILE *f, const struct xfr_result *r, const struct xfr_flow *sum, bool pct)
{
	const struct xfr_udp_stats *u = &sum->udp;

	if (!output_is_udp(r))
		return output_printf(f, pct ? "0.00,0,0.00," : "0.00,0,");
	if (pct)
		return output_printf(f, "%.3f,%llu,%.2f,", u->jitter_ms,
				     (unsigned long long)u->lost, output_lost_percent(u));
	return output_printf(f, "%.3f,%llu,", u->jitter_ms, (unsigned long long)u->lost);
}

/* The appended UDP columns (",packets_sent,...,rcvbuf_drops"), empty for TCP; the
 * summary adds jitter_max_ms and packet_size. */
static void csv_udp_tail(const struct xfr_result *r, const struct xfr_flow *sum, bool summary,
			 char *buf, size_t len)
{
	const struct xfr_udp_stats *u = &sum->udp;
	int n;

	if (!output_is_udp(r)) {
		snprintf(buf, len, "%s", summary ? ",,,,,,," : ",,,,,");
		return;
	}
	n = snprintf(buf, len, ",%llu,%llu,%llu,%llu,%llu",
		     (unsigned long long)output_udp_sent(sum),
		     (unsigned long long)u->packets_received, (unsigned long long)u->out_of_order,
		     (unsigned long long)u->duplicates, (unsigned long long)u->rcvbuf_drops);
	if (summary && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ",%.3f,%u", u->jitter_max_ms, r->length);
}

/* sender_bytes,receiver_bytes then the rest of the line. */
static int csv_sides(FILE *f, const struct xfr_flow *sum, const char *tail)
{
	char s[24], rcv[24];

	return output_printf(f, "%s,%s%s\n", csv_u64(sum->has_sent, sum->sent_bytes, s, sizeof(s)),
			     csv_u64(sum->has_recv, sum->recv_bytes, rcv, sizeof(rcv)), tail);
}

/* The engines that always bring kernel figures (XDP counts). */
static bool csv_engine_kernel(int e)
{
	return e == XFR_ENG_XDP || e == XFR_ENG_AFXDP;
}

static bool csv_kernel(const struct xfr_result *r, const struct xfr_flow *flows, uint32_t n)
{
	return csv_engine_kernel(r->engine) ||
	       csv_engine_kernel(xfr_engine_parse(r->server_engine)) || output_has_kernel(flows, n);
}

/* ",xdp_packets,drops_rx,drops_tx,bpf_rtt_avg_us" of a sum; empty fields when unknown. */
static void csv_kernel_tail(const struct xfr_flow *k, char *buf, size_t len)
{
	char x[24], rx[24], tx[24], rtt[24];

	snprintf(buf, len, ",%s,%s,%s,%s", csv_u64(k->has_xdp, k->xdp_packets, x, sizeof(x)),
		 csv_u64(k->has_drops_rx, output_drops_total(&k->drops_rx), rx, sizeof(rx)),
		 csv_u64(k->has_drops_tx, output_drops_total(&k->drops_tx), tx, sizeof(tx)),
		 csv_u64(k->has_bpf_tcp && k->bpf_tcp.rtt_samples, k->bpf_tcp.rtt_avg_us, rtt,
			 sizeof(rtt)));
}

/*
 * The interval header waits for the first row: the flows' presence flags
 * (XDP, drop observer, BPF TCP) are set from the first interval on, and they
 * decide the columns.
 */
static int csv_interval_header(struct output *o, struct csv_state *st, bool kernel)
{
	int ret;

	if (st->header_printed)
		return 0;
	st->kernel = kernel;
	ret = output_printf(o->f, "%s%s\n", CSV_INTERVAL_HEADER, kernel ? CSV_KERNEL_HEADER : "");
	if (!ret)
		st->header_printed = true;
	return ret;
}

static int csv_start(struct output *o, const struct xfr_result *r)
{
	struct csv_state *st = calloc(1, sizeof(*st));

	(void)r;
	if (!st)
		return -ENOMEM;
	free(o->priv);
	o->priv = st;
	return 0;
}

static int csv_interval(struct output *o, const struct xfr_result *r, const struct xfr_interval *iv)
{
	double secs = iv->end_s - iv->start_s;
	uint64_t bytes = output_delivered(iv->flows, iv->nflows, RESULT_DIR_ALL);
	char ts[64], rtt[24], cwnd[24], tail[160], ktail[128] = "";
	struct csv_state *st = o->priv;
	struct xfr_flow sum;
	bool tcp;
	int ret;

	if (o->opts.quiet || !st)
		return 0;
	result_sum(iv->flows, iv->nflows, RESULT_DIR_ALL, &sum);
	output_kernel_sum(iv->flows, iv->nflows, RESULT_DIR_ALL, &sum);
	ret = csv_interval_header(o, st, csv_kernel(r, iv->flows, iv->nflows));
	if (ret)
		return ret;
	if (st->kernel)
		csv_kernel_tail(&sum, ktail, sizeof(ktail));
	tcp = sum.has_tcp && !output_is_udp(r);
	ret = output_printf(o->f, "%s,%.2f,%llu,%.2f,%llu,",
			    output_timestamp(r, iv, o->opts.ts_format, ts, sizeof(ts)), iv->end_s,
			    (unsigned long long)bytes, output_mbps(bytes, secs),
			    (unsigned long long)(tcp ? sum.tcp.retransmits : 0));
	if (!ret)
		ret = csv_loss(o->f, r, &sum, false);
	if (!ret)
		ret = output_printf(o->f, "%s,%s,", csv_u64(tcp, sum.tcp.rtt_us, rtt, sizeof(rtt)),
				    csv_u64(tcp, sum.tcp.cwnd_segments, cwnd, sizeof(cwnd)));
	if (!ret)
		ret = csv_bidir(o->f, r, iv->flows, iv->nflows, secs);
	csv_udp_tail(r, &sum, false, tail, sizeof(tail));
	strncat(tail, ktail, sizeof(tail) - strlen(tail) - 1);
	if (!ret)
		ret = csv_sides(o->f, &sum, tail);
	return ret ? ret : output_flush(o->f);
}

static int csv_end(struct output *o, const struct xfr_result *r)
{
	struct csv_state *st = o->priv;
	uint64_t bytes = output_delivered(r->flows, r->nflows, RESULT_DIR_ALL);
	char tail[320], udp[160], ktail[128] = "";
	struct xfr_flow sum;
	bool kernel;
	int ret = 0;

	result_sum(r->flows, r->nflows, RESULT_DIR_ALL, &sum);
	output_kernel_sum(r->flows, r->nflows, RESULT_DIR_ALL, &sum);
	kernel = csv_kernel(r, r->flows, r->nflows) || (st && st->kernel);
	/* No interval row came (an early end): the interval block is the header alone. */
	if (st && !o->opts.quiet)
		ret = csv_interval_header(o, st, kernel);
	if (!ret && st && st->header_printed)
		ret = output_printf(o->f, "\n");
	if (kernel)
		csv_kernel_tail(&sum, ktail, sizeof(ktail));
	if (!ret)
		ret = output_printf(o->f, "%s%s\n%s,%.2f,%llu,%.2f,%llu,", CSV_SUMMARY_HEADER,
				    kernel ? CSV_KERNEL_HEADER : "", r->id, r->duration_s,
				    (unsigned long long)bytes, output_mbps(bytes, r->duration_s),
				    (unsigned long long)(sum.has_tcp && !output_is_udp(r)
								 ? sum.tcp.retransmits
								 : 0));
	if (!ret)
		ret = csv_loss(o->f, r, &sum, true);
	if (!ret)
		ret = csv_bidir(o->f, r, r->flows, r->nflows, r->duration_s);
	csv_udp_tail(r, &sum, true, udp, sizeof(udp));
	snprintf(tail, sizeof(tail), ",%s%s%s", xfr_engine_name(r->engine), udp, ktail);
	if (!ret)
		ret = csv_sides(o->f, &sum, tail);
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
