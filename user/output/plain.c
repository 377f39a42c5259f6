// SPDX-License-Identifier: MIT
/*
 * Plain text, close to iperf3's habits: a header line, one row per flow (with
 * -P N and per-stream on) and a [SUM] row per interval, then a summary with a
 * sender and a receiver line per flow and per direction, and the sender's TCP
 * figures. --bidir rows carry iperf3's role tags: [TX-C] the client sends
 * (upload), [RX-C] the client receives (download).
 *
 * Interval rows show what was delivered (the receiver's count, the sender's when
 * the receiver's is unknown); Retr is the interval's delta, Cwnd and RTT the
 * sender's TCP_INFO at the end of the interval. UDP rows have iperf3's Jitter
 * and Lost/Total Datagrams columns instead (the receiver's figures), and the
 * summary says how much of the loss the receiver's socket buffer explains.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "base/text.h"
#include "output/printers.h"

#define PLAIN_SEP      "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -"
#define PLAIN_LINE_MAX 512

struct plain_state {
	unsigned groups; /* interval groups printed so far */
};

/* Every line goes through here: formatted, trailing blanks (empty columns) cut. */
static int plain_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int plain_line(FILE *f, const char *fmt, ...)
{
	char line[PLAIN_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	return output_printf(f, "%s\n", line);
}

static bool plain_bidir(const struct xfr_result *r)
{
	return r->dir == XFR_DIR_BIDIR;
}

/* "[  0]", "[SUM]"; with --bidir "[  0][TX-C]" / "[SUM][RX-C]". */
static char *plain_tag(const struct xfr_result *r, const char *id, unsigned mask, char *buf,
		       size_t len)
{
	if (plain_bidir(r))
		snprintf(buf, len, "[%3s][%s]", id, mask == RESULT_DIR_DOWN ? "RX-C" : "TX-C");
	else
		snprintf(buf, len, "[%3s]", id);
	return buf;
}

static unsigned flow_mask(const struct xfr_flow *f)
{
	return f->dir == XFR_FLOW_DOWN ? RESULT_DIR_DOWN : RESULT_DIR_UP;
}

/* Width of the timestamp column (0: relative stamps, the Interval column says it all). */
static int plain_ts_width(enum xfr_ts_format fmt)
{
	switch (fmt) {
	case XFR_TS_ISO8601:
		return (int)strlen("2026-11-26T23:40:01.123Z");
	case XFR_TS_UNIX:
		return (int)strlen("1795736401.123");
	case XFR_TS_RELATIVE:
		break;
	}
	return 0;
}

static int plain_interval_header(struct output *o, const struct xfr_result *r)
{
	int w = plain_ts_width(o->opts.ts_format);

	if (output_is_udp(r))
		return plain_line(o->f, "%-*s%s%-*s %-15s  %10s  %12s  %10s  %s", w,
				  w ? "Time" : "", w ? " " : "", plain_bidir(r) ? 11 : 5,
				  plain_bidir(r) ? "[ ID][Role]" : "[ ID]", "Interval", "Transfer",
				  "Bitrate", "Jitter", "Lost/Total Datagrams");
	return plain_line(o->f, "%-*s%s%-*s %-15s  %10s  %12s  %5s  %10s  %9s", w, w ? "Time" : "",
			  w ? " " : "", plain_bidir(r) ? 11 : 5,
			  plain_bidir(r) ? "[ ID][Role]" : "[ ID]", "Interval", "Transfer",
			  "Bitrate", "Retr", "Cwnd", "RTT");
}

/* A loss percentage as iperf3 shows it: "0%", "0.5%", "5.0%", small ones "0.001%". */
static char *plain_pct(double pct, char *buf, size_t len)
{
	if (pct == 0)
		snprintf(buf, len, "0%%");
	else if (pct >= 0.1)
		snprintf(buf, len, "%.1f%%", pct);
	else
		snprintf(buf, len, "%.2g%%", pct);
	return buf;
}

/* Jitter and "lost/total (pct)" of the receiver; empty when its figures are unknown. */
static void plain_udp_cells(const struct xfr_flow *fl, char *jit, size_t jlen, char *lost,
			    size_t llen)
{
	const struct xfr_udp_stats *u = &fl->udp;
	char pct[32];

	if (!fl->has_udp_rx) {
		jit[0] = lost[0] = '\0';
		return;
	}
	snprintf(jit, jlen, "%.3f ms", u->jitter_ms);
	snprintf(lost, llen, "%llu/%llu (%s)", (unsigned long long)u->lost,
		 (unsigned long long)(u->packets_received + u->lost),
		 plain_pct(output_lost_percent(u), pct, sizeof(pct)));
}

/* "REASON n, REASON n" of a drop list, at most max reasons, then "..." */
static void plain_reasons(const struct xfr_drops *d, uint32_t max, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < d->n && i < XFR_MAX_DROP_REASONS && n < len; i++) {
		if (i == max) {
			snprintf(buf + n, len - n, ", ...");
			return;
		}
		n += snprintf(buf + n, len - n, "%s%s %llu", i ? ", " : "", d->d[i].reason,
			      (unsigned long long)d->d[i].packets);
	}
}

/*
 * "  drops SOCKET_RCVBUFF 12" after an interval row: this interval's kernel
 * drops of the flow, both hosts' reasons merged by name, the three largest.
 */
static void plain_drops_suffix(const struct xfr_flow *fl, char *buf, size_t len)
{
	struct xfr_flow sides[2] = {{.has_drops_rx = true}, {.has_drops_rx = true}}, sum = {0};
	char list[160];

	buf[0] = '\0';
	if (!fl->has_drops_rx && !fl->has_drops_tx)
		return;
	/* both hosts' drops of this flow as one list */
	if (fl->has_drops_rx)
		sides[0].drops_rx = fl->drops_rx;
	if (fl->has_drops_tx)
		sides[1].drops_rx = fl->drops_tx;
	output_kernel_sum(sides, 2, RESULT_DIR_ALL, &sum);
	if (!sum.drops_rx.n)
		return;
	plain_reasons(&sum.drops_rx, 3, list, sizeof(list));
	snprintf(buf, len, "  drops %s", list);
}

static int plain_udp_interval_row(struct output *o, const struct xfr_interval *iv, const char *ts,
				  const char *tag, const struct xfr_flow *fl, uint64_t bytes)
{
	char size[32], rate[32], jit[32], lost[80], drops[200];
	double secs = iv->end_s - iv->start_s;

	plain_udp_cells(fl, jit, sizeof(jit), lost, sizeof(lost));
	plain_drops_suffix(fl, drops, sizeof(drops));
	return plain_line(o->f, "%s%s%s %6.2f-%-6.2f s  %10s  %12s  %10s  %s%s", ts, *ts ? " " : "",
			  tag, iv->start_s, iv->end_s, units_fmt_bytes(bytes, size, sizeof(size)),
			  units_fmt_rate(output_mbps(bytes, secs) * 1e6, rate, sizeof(rate)), jit,
			  lost, drops);
}

/* One interval row: delivered bytes and rate; TCP columns when the sender's info is known. */
static int plain_interval_row(struct output *o, const struct xfr_result *r,
			      const struct xfr_interval *iv, const char *ts, const char *tag,
			      const struct xfr_flow *fl, uint64_t bytes)
{
	char size[32], rate[32], retr[24] = "", cwnd[32] = "", rtt[24] = "", drops[200];
	double secs = iv->end_s - iv->start_s;

	if (output_is_udp(r))
		return plain_udp_interval_row(o, iv, ts, tag, fl, bytes);
	if (fl->has_tcp) {
		snprintf(retr, sizeof(retr), "%llu", (unsigned long long)fl->tcp.retransmits);
		if (fl->tcp.cwnd_bytes || !fl->tcp.cwnd_segments)
			units_fmt_bytes(fl->tcp.cwnd_bytes, cwnd, sizeof(cwnd));
		else /* a reference peer says segments only */
			snprintf(cwnd, sizeof(cwnd), "%u seg", fl->tcp.cwnd_segments);
		snprintf(rtt, sizeof(rtt), "%.2f ms", fl->tcp.rtt_us / 1000.0);
	}
	plain_drops_suffix(fl, drops, sizeof(drops));
	return plain_line(o->f, "%s%s%s %6.2f-%-6.2f s  %10s  %12s  %5s  %10s  %9s%s", ts,
			  *ts ? " " : "", tag, iv->start_s, iv->end_s,
			  units_fmt_bytes(bytes, size, sizeof(size)),
			  units_fmt_rate(output_mbps(bytes, secs) * 1e6, rate, sizeof(rate)), retr,
			  cwnd, rtt, drops);
}

/* The rows of one direction: per flow (one stream, or per-stream on), then [SUM]. */
static int plain_interval_dir(struct output *o, const struct xfr_result *r,
			      const struct xfr_interval *iv, const char *ts, unsigned mask)
{
	bool multi = r->streams > 1;
	struct xfr_flow sum;
	char tag[32], id[16];
	int ret = 0;

	for (uint32_t i = 0; i < iv->nflows && !ret; i++) {
		const struct xfr_flow *f = &iv->flows[i];

		if (flow_mask(f) != mask || (multi && !o->opts.per_stream))
			continue;
		snprintf(id, sizeof(id), "%u", f->stream);
		ret = plain_interval_row(o, r, iv, ts, plain_tag(r, id, mask, tag, sizeof(tag)), f,
					 result_flow_bytes(f));
	}
	if (ret || !multi)
		return ret;
	result_sum(iv->flows, iv->nflows, mask, &sum);
	output_kernel_sum(iv->flows, iv->nflows, mask, &sum);
	return plain_interval_row(o, r, iv, ts, plain_tag(r, "SUM", mask, tag, sizeof(tag)), &sum,
				  output_delivered(iv->flows, iv->nflows, mask));
}

static int plain_interval(struct output *o, const struct xfr_result *r,
			  const struct xfr_interval *iv)
{
	struct plain_state *st = o->priv;
	unsigned dirs = output_dirs(iv->flows, iv->nflows);
	char ts[64] = "";
	int ret = 0;

	if (o->opts.quiet)
		return 0;
	/* iperf3 sets groups of per-stream rows apart; single rows need no fence. */
	if (st && r->streams > 1 && o->opts.per_stream && st->groups++)
		ret = plain_line(o->f, PLAIN_SEP);
	if (plain_ts_width(o->opts.ts_format))
		output_timestamp(r, iv, o->opts.ts_format, ts, sizeof(ts));
	if (!ret && (dirs & RESULT_DIR_UP))
		ret = plain_interval_dir(o, r, iv, ts, RESULT_DIR_UP);
	if (!ret && (dirs & RESULT_DIR_DOWN))
		ret = plain_interval_dir(o, r, iv, ts, RESULT_DIR_DOWN);
	return ret ? ret : output_flush(o->f);
}

/*
 * "10 s", "1.00 GB (at most 10 s)", "until stopped"; a server's cap shows as
 * what runs: "2 s (server cap; asked 4 s)", "2 s (server cap; asked until stopped)".
 */
static void plain_amount(const struct xfr_result *r, char *buf, size_t len)
{
	uint32_t got = r->duration_granted_s, want = r->duration_req_s;
	char size[32];

	if (!r->bytes_req && got && (!want || got < want)) {
		if (want)
			snprintf(buf, len, "%u s (server cap; asked %u s)", got, want);
		else
			snprintf(buf, len, "%u s (server cap; asked until stopped)", got);
		return;
	}
	if (r->bytes_req && got && (!want || got < want))
		want = got;
	if (r->bytes_req && want)
		snprintf(buf, len, "%s (at most %u s)",
			 units_fmt_bytes(r->bytes_req, size, sizeof(size)), want);
	else if (r->bytes_req)
		snprintf(buf, len, "%s", units_fmt_bytes(r->bytes_req, size, sizeof(size)));
	else if (r->duration_req_s)
		snprintf(buf, len, "%u s", r->duration_req_s);
	else
		snprintf(buf, len, "until stopped");
}

static const char *plain_proto(const struct xfr_result *r)
{
	switch (r->proto) {
	case XFR_PROTO_TCP:
		return "TCP";
	case XFR_PROTO_UDP:
		return "UDP";
	case XFR_PROTO_QUIC:
		break;
	}
	return xfr_proto_name(r->proto);
}

static int plain_start(struct output *o, const struct xfr_result *r)
{
	const char *ver =
		strncmp(r->client_version, "xfr/", 4) ? r->client_version : r->client_version + 4;
	bool v6 = strchr(r->host, ':');
	char amount[64], limit[48] = "", rate[32], server[128] = "", dgram[48] = "";
	int ret;

	free(o->priv);
	o->priv = calloc(1, sizeof(struct plain_state));
	if (!o->priv)
		return -ENOMEM;
	if (r->server_version[0])
		snprintf(server, sizeof(server), ", server %s", r->server_version);
	/* The server's engine only when it differs from ours (auto picked another). */
	if (r->server_engine[0] && strcmp(r->server_engine, xfr_engine_name(r->engine)))
		snprintf(server + strlen(server), sizeof(server) - strlen(server), " (engine %s)",
			 r->server_engine);
	/* A probe-only run (the client hands r->mtu over before it starts) has no rows. */
	if (r->mtu && !r->nflows) {
		ret = plain_line(o->f, "xfr %s \u2192 %s%s%s:%u  UDP path-MTU probe, engine %s%s",
				 ver, v6 ? "[" : "", r->host, v6 ? "]" : "", r->port,
				 xfr_engine_name(r->engine), server);
		return ret ? ret : output_flush(o->f);
	}
	plain_amount(r, amount, sizeof(amount));
	if (r->bitrate_req)
		snprintf(limit, sizeof(limit), ", limit %s",
			 units_fmt_rate((double)r->bitrate_req, rate, sizeof(rate)));
	if (output_is_udp(r))
		snprintf(dgram, sizeof(dgram), ", %u-byte datagrams", r->length);
	ret = plain_line(o->f, "xfr %s \u2192 %s%s%s:%u  %s %s, %u stream%s, %s%s%s, engine %s%s",
			 ver, v6 ? "[" : "", r->host, v6 ? "]" : "", r->port, plain_proto(r),
			 xfr_dir_name(r->dir), r->streams, r->streams == 1 ? "" : "s", amount,
			 limit, dgram, xfr_engine_name(r->engine), server);
	if (!ret && !o->opts.quiet)
		ret = plain_interval_header(o, r);
	return ret ? ret : output_flush(o->f);
}

/* A summary line: one side's count over the whole test; Retr on the sender line. */
static int plain_summary_row(struct output *o, const struct xfr_result *r, const char *tag,
			     uint64_t bytes, const char *retr, const char *role)
{
	char size[32], rate[32];

	return plain_line(
		o->f, "%s %6.2f-%-6.2f s  %10s  %12s  %5s  %s", tag, 0.0, r->duration_s,
		units_fmt_bytes(bytes, size, sizeof(size)),
		units_fmt_rate(output_mbps(bytes, r->duration_s) * 1e6, rate, sizeof(rate)), retr,
		role);
}

/* Append "NAME count" to a cause list that is open with '(' when count is not 0. */
static void plain_cause(char *buf, size_t len, const char *name, uint64_t count)
{
	size_t n = strlen(buf);

	if (count && n < len)
		snprintf(buf + n, len - n, "%s%s %llu", buf[n - 1] == '(' ? "" : ", ", name,
			 (unsigned long long)count);
}

/* ", 5 send errors (ENOBUFS 3, ECONNREFUSED 2)": counted, never logged per packet. */
static void plain_send_errors(const struct xfr_udp_stats *u, char *buf, size_t len)
{
	uint64_t known = u->err_nobufs + u->err_refused;
	size_t n;

	buf[0] = '\0';
	if (!u->send_errors)
		return;
	snprintf(buf, len, ", %llu send error%s (", (unsigned long long)u->send_errors,
		 u->send_errors == 1 ? "" : "s");
	plain_cause(buf, len, "ENOBUFS", u->err_nobufs);
	plain_cause(buf, len, "ECONNREFUSED", u->err_refused);
	plain_cause(buf, len, "other", u->send_errors > known ? u->send_errors - known : 0);
	n = strlen(buf);
	if (n < len)
		snprintf(buf + n, len - n, ")");
}

/* UDP summary lines: the sender's count of datagrams, the receiver's jitter and loss. */
static int plain_udp_summary_flow(struct output *o, const struct xfr_result *r, const char *tag,
				  const struct xfr_flow *f)
{
	char size[32], rate[32], jit[32], lost[80], sent[48], errs[160];
	int ret = 0;

	if (f->has_sent) {
		snprintf(sent, sizeof(sent), "%llu sent",
			 (unsigned long long)(f->has_udp_tx ? f->udp.packets_sent : 0));
		plain_send_errors(&f->udp, errs, sizeof(errs));
		ret = plain_line(o->f, "%s %6.2f-%-6.2f s  %10s  %12s  %10s  %-20s  sender%s", tag,
				 0.0, r->duration_s,
				 units_fmt_bytes(f->sent_bytes, size, sizeof(size)),
				 units_fmt_rate(output_mbps(f->sent_bytes, r->duration_s) * 1e6,
						rate, sizeof(rate)),
				 "", f->has_udp_tx ? sent : "", errs);
	}
	if (ret || !f->has_recv)
		return ret;
	plain_udp_cells(f, jit, sizeof(jit), lost, sizeof(lost));
	return plain_line(
		o->f, "%s %6.2f-%-6.2f s  %10s  %12s  %10s  %-20s  receiver", tag, 0.0,
		r->duration_s, units_fmt_bytes(f->recv_bytes, size, sizeof(size)),
		units_fmt_rate(output_mbps(f->recv_bytes, r->duration_s) * 1e6, rate, sizeof(rate)),
		jit, lost);
}

static int plain_summary_flow(struct output *o, const struct xfr_result *r, const char *tag,
			      const struct xfr_flow *f)
{
	char retr[24] = "";
	int ret = 0;

	if (output_is_udp(r))
		return plain_udp_summary_flow(o, r, tag, f);
	if (f->has_tcp)
		snprintf(retr, sizeof(retr), "%llu", (unsigned long long)f->tcp.retransmits);
	if (f->has_sent)
		ret = plain_summary_row(o, r, tag, f->sent_bytes, retr, "sender");
	if (!ret && f->has_recv)
		ret = plain_summary_row(o, r, tag, f->recv_bytes, "", "receiver");
	return ret;
}

/*
 * The mean socket write speed of the flows that measured their send paths
 * (--zerocopy auto) into *send / *sendfile, Gbit/s; false when none did. A
 * mean, not a sum: each flow measured its own writes, not at the same instants.
 */
static bool plain_probe_mean(const struct xfr_result *r, unsigned mask, double *send,
			     double *sendfile)
{
	uint32_t n = 0;

	*send = *sendfile = 0;
	for (uint32_t i = 0; i < r->nflows; i++) {
		const struct xfr_tcp_stats *t = &r->flows[i].tcp;

		if (flow_mask(&r->flows[i]) != mask || !r->flows[i].has_tcp ||
		    !(t->probe_send_mbps || t->probe_sendfile_mbps))
			continue;
		*send += t->probe_send_mbps / 1e3;
		*sendfile += t->probe_sendfile_mbps / 1e3;
		n++;
	}
	if (n) {
		*send /= n;
		*sendfile /= n;
	}
	return n;
}

/* Flows of a direction with the sender's TCP figures. */
static uint32_t plain_tcp_flows(const struct xfr_result *r, unsigned mask)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < r->nflows; i++)
		n += flow_mask(&r->flows[i]) == mask && r->flows[i].has_tcp;
	return n;
}

/* ", writes by sendfile (socket write speed per flow: send 9.10, sendfile 12.30 Gbit/s)" */
static void plain_send_path(const struct xfr_result *r, unsigned mask,
			    const struct xfr_tcp_stats *t, char *buf, size_t len)
{
	double send, sendfile;
	size_t n;

	buf[0] = '\0';
	if (xfr_send_path_name(t->send_path))
		snprintf(buf, len, ", writes by %s", xfr_send_path_name(t->send_path));
	n = strlen(buf);
	if (plain_probe_mean(r, mask, &send, &sendfile) && n < len)
		snprintf(buf + n, len - n,
			 " (socket write speed per flow: send %.2f, sendfile %.2f Gbit/s)", send,
			 sendfile);
}

/*
 * The sender's TCP_INFO of a direction at the end of the test (a snapshot, not
 * a figure over the test): over several flows rtt and rttvar are means, cwnd
 * a total, pmtu the smallest, and the line says so. The kernel's delivery
 * rate is left to JSON: it is the last round trip's sample, not a test rate.
 */
static int plain_tcp_line(struct output *o, const struct xfr_result *r, unsigned mask,
			  const struct xfr_tcp_stats *t)
{
	uint32_t n = plain_tcp_flows(r, mask);
	char cwnd[40] = "", pmtu[32] = "", path[128], flows[32] = "", bytes[32];
	bool multi = n > 1;

	if (t->pmtu)
		snprintf(pmtu, sizeof(pmtu), ", pmtu %u%s", t->pmtu, multi ? " smallest" : "");
	if (multi)
		snprintf(flows, sizeof(flows), " (%u flows)", n);
	if (t->cwnd_bytes) /* a reference peer says segments only */
		snprintf(cwnd, sizeof(cwnd), " (%s)",
			 units_fmt_bytes(t->cwnd_bytes, bytes, sizeof(bytes)));
	plain_send_path(r, mask, t, path, sizeof(path));
	if (t->handshake_us) /* QUIC: its own figures where TCP has its send path */
		snprintf(path, sizeof(path),
			 "; min rtt %.2f ms, handshake %.2f ms, %llu packets lost",
			 t->min_rtt_us / 1000.0, t->handshake_us / 1000.0,
			 (unsigned long long)t->retransmits);
	return plain_line(
		o->f, "%s at end of test%s: rtt %.2f ms%s (var %.2f ms), cwnd %u segments%s%s%s%s",
		r->proto == XFR_PROTO_QUIC ? "QUIC" : "TCP", flows, t->rtt_us / 1000.0,
		multi ? " mean" : "", t->rttvar_us / 1000.0, t->cwnd_segments,
		multi ? " total" : "", cwnd, pmtu, path);
}

/*
 * The loss split by cause. rcvbuf_drops counts datagrams (a GRO buffer the
 * kernel dropped counts the datagrams it held), so the rest of the loss
 * happened before the socket: on the path or in the receive stack. A peer
 * that counts otherwise (more drops than loss) gets no split.
 */
static int plain_loss_line(struct output *o, const struct xfr_udp_stats *u)
{
	char pct[32];

	plain_pct(output_lost_percent(u), pct, sizeof(pct));
	if (!u->rcvbuf_drops)
		return plain_line(o->f,
				  "Loss: lost %llu (%s), none at the receiving socket (path or "
				  "receive stack)",
				  (unsigned long long)u->lost, pct);
	if (u->rcvbuf_drops > u->lost)
		return plain_line(
			o->f, "Loss: lost %llu (%s); receiving socket buffer full: %llu dropped",
			(unsigned long long)u->lost, pct, (unsigned long long)u->rcvbuf_drops);
	return plain_line(o->f,
			  "Loss: lost %llu (%s); %llu at the receiving socket (buffer full), %llu "
			  "before it (path or receive stack)",
			  (unsigned long long)u->lost, pct, (unsigned long long)u->rcvbuf_drops,
			  (unsigned long long)(u->lost - u->rcvbuf_drops));
}

/* The direction's UDP figures beyond the rows: reordering, duplicates, drops, jitter max. */
static int plain_udp_line(struct output *o, const struct xfr_result *r, const struct xfr_flow *sum)
{
	const struct xfr_udp_stats *u = &sum->udp;
	char bad[48] = "";
	int ret;

	if (!sum->has_udp_rx)
		return plain_line(o->f, "UDP: datagrams of %u B (no receiver figures)", r->length);
	if (u->malformed)
		snprintf(bad, sizeof(bad), ", %llu malformed", (unsigned long long)u->malformed);
	ret = plain_line(o->f,
			 "UDP: %llu out of order, %llu duplicate%s, %llu dropped (socket receive "
			 "buffer full)%s, max jitter %.3f ms, datagrams of %u B",
			 (unsigned long long)u->out_of_order, (unsigned long long)u->duplicates,
			 u->duplicates == 1 ? "" : "s", (unsigned long long)u->rcvbuf_drops, bad,
			 u->jitter_max_ms, r->length);
	if (!ret && (u->lost || u->rcvbuf_drops))
		ret = plain_loss_line(o, u);
	return ret;
}

/*
 * The datagrams crossed a link that kept each GSO batch whole: their count is
 * right, but they were never separate frames, so the packet rate is not a wire
 * rate. Say how to get one frame per datagram.
 */
static int plain_gso_line(struct output *o, const char *iface, const struct xfr_udp_stats *u)
{
	return plain_line(
		o->f,
		"Frames: %llu datagrams crossed %s in %llu GSO batches (%.1f per batch), not as "
		"separate frames: %s keeps a batch whole (virtual, tx-udp-segmentation on), so "
		"packets/s is not a wire rate; --no-gso or `ethtool -K %s tx-udp-segmentation "
		"off` sends one frame per datagram",
		(unsigned long long)u->gso_packets, iface, (unsigned long long)u->gso_sends,
		(double)u->gso_packets / (double)u->gso_sends, iface, iface);
}

/* Append " → NAME count" (the first stage without the arrow). */
static void plain_stage(char *buf, size_t len, const char *name, uint64_t count)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s %llu", n ? " \u2192 " : "", name,
			 (unsigned long long)count);
}

/* sent → left host → XDP → socket: the stages whose counts are known. */
static int plain_path_stages(struct output *o, const struct xfr_flow *k, uint64_t left)
{
	char stages[256] = "";

	if (k->has_udp_tx)
		plain_stage(stages, sizeof(stages), "sent", k->udp.packets_sent);
	if (k->has_udp_tx && k->has_drops_tx)
		plain_stage(stages, sizeof(stages), "left host", left);
	if (k->has_xdp)
		plain_stage(stages, sizeof(stages), "XDP", k->xdp_packets);
	if (k->has_udp_rx && !k->xdp_sink)
		plain_stage(stages, sizeof(stages), "socket", k->udp.packets_received);
	return plain_line(o->f, "Path:%s%s", stages[0] ? " " : "", stages);
}

static int plain_path_drops(struct output *o, const char *where, const struct xfr_drops *d)
{
	char list[480];

	plain_reasons(d, XFR_MAX_DROP_REASONS, list, sizeof(list));
	return plain_line(o->f, "  dropped on %s: %s", where, d->n ? list : "none");
}

/*
 * Where a direction's packets went (UDP): the stages known, then the drops
 * between them by reason. Wire loss is what left the sending host and never
 * reached the receiver's XDP program, so it needs both counts.
 */
static int plain_path(struct output *o, const struct xfr_result *r, const struct xfr_flow *k)
{
	uint64_t sent = k->udp.packets_sent, tx = output_drops_total(&k->drops_tx);
	uint64_t left = sent > tx ? sent - tx : 0;
	int ret;

	if (!k->has_xdp && !k->has_drops_rx && !k->has_drops_tx)
		return 0;
	ret = output_is_udp(r) ? plain_path_stages(o, k, left) : plain_line(o->f, "Kernel drops:");
	if (!ret && k->has_drops_tx)
		ret = plain_path_drops(o, "sender", &k->drops_tx);
	if (!ret && output_is_udp(r) && k->has_udp_tx && k->has_drops_tx && k->has_xdp)
		ret = plain_line(
			o->f, "  lost on the wire: %llu",
			(unsigned long long)(left > k->xdp_packets ? left - k->xdp_packets : 0));
	if (!ret && k->has_drops_rx)
		ret = plain_path_drops(o, "receiver", &k->drops_rx);
	return ret;
}

/* The sender's RTT as BPF saw it on every ACK, beside TCP_INFO's smoothed one. */
static int plain_bpf_line(struct output *o, const struct xfr_bpf_tcp *b)
{
	char size[32];

	return plain_line(o->f,
			  "TCP: rtt min/avg/max %.2f/%.2f/%.2f ms (BPF, %llu samples), %llu "
			  "retransmits, %s delivered",
			  b->rtt_min_us / 1000.0, b->rtt_avg_us / 1000.0, b->rtt_max_us / 1000.0,
			  (unsigned long long)b->rtt_samples, (unsigned long long)b->retransmits,
			  units_fmt_bytes(b->delivered, size, sizeof(size)));
}

static int plain_summary_dir(struct output *o, const struct xfr_result *r, unsigned mask)
{
	bool multi = r->streams > 1;
	struct xfr_flow sum;
	char tag[32], id[16];
	int ret = 0;

	if (plain_bidir(r))
		ret = plain_line(o->f, "%s",
				 mask == RESULT_DIR_UP ? "Upload (client \u2192 server)"
						       : "Download (server \u2192 client)");
	for (uint32_t i = 0; i < r->nflows && !ret; i++) {
		const struct xfr_flow *f = &r->flows[i];

		if (flow_mask(f) != mask || (multi && !o->opts.per_stream))
			continue;
		snprintf(id, sizeof(id), "%u", f->stream);
		ret = plain_summary_flow(o, r, plain_tag(r, id, mask, tag, sizeof(tag)), f);
	}
	result_sum(r->flows, r->nflows, mask, &sum);
	output_kernel_sum(r->flows, r->nflows, mask, &sum);
	if (!ret && multi)
		ret = plain_summary_flow(o, r, plain_tag(r, "SUM", mask, tag, sizeof(tag)), &sum);
	if (!ret && output_is_udp(r))
		ret = plain_udp_line(o, r, &sum);
	if (!ret && output_gso_iface(r, mask, &sum))
		ret = plain_gso_line(o, output_gso_iface(r, mask, &sum), &sum.udp);
	else if (!ret && sum.has_tcp)
		ret = plain_tcp_line(o, r, mask, &sum.tcp);
	if (!ret && sum.has_bpf_tcp && !output_is_udp(r))
		ret = plain_bpf_line(o, &sum.bpf_tcp);
	if (!ret)
		ret = plain_path(o, r, &sum);
	return ret;
}

static int plain_total(struct output *o, const struct xfr_result *r)
{
	uint64_t up = output_delivered(r->flows, r->nflows, RESULT_DIR_UP);
	uint64_t down = output_delivered(r->flows, r->nflows, RESULT_DIR_DOWN);
	char size[32], rate[32], urate[32], drate[32];

	return plain_line(
		o->f, "Total: %s, %s (upload %s, download %s)",
		units_fmt_bytes(up + down, size, sizeof(size)),
		units_fmt_rate(output_mbps(up + down, r->duration_s) * 1e6, rate, sizeof(rate)),
		units_fmt_rate(output_mbps(up, r->duration_s) * 1e6, urate, sizeof(urate)),
		units_fmt_rate(output_mbps(down, r->duration_s) * 1e6, drate, sizeof(drate)));
}

/* Print text line by line, indented; a line longer than a plain line is cut. */
static int plain_indented(FILE *f, char *text)
{
	char *save = NULL;
	int ret = 0;

	for (char *l = strtok_r(text, "\n", &save); l && !ret; l = strtok_r(NULL, "\n", &save))
		ret = plain_line(f, "  %s", l);
	return ret;
}

/*
 * --get-server-output: the server's report, pretty-printed when it is JSON
 * (non-ASCII escaped), and in any case neutralised for the terminal: it is the
 * peer's text.
 */
static int plain_server_output(struct output *o, const struct xfr_result *r)
{
	json_t *j = json_loads(r->server_output, JSON_DECODE_ANY, NULL);
	char *text, *safe;
	size_t len;
	int ret;

	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15) |
					 JSON_ENSURE_ASCII)
		 : strdup(r->server_output);
	json_decref(j);
	len = text ? strlen(text) + 1 : 0;
	safe = text ? malloc(len) : NULL;
	if (safe)
		text_sanitize(safe, len, text, TEXT_KEEP_NEWLINES);
	free(text);
	if (!safe)
		return -ENOMEM;
	ret = plain_line(o->f, "Server output:");
	if (!ret)
		ret = plain_indented(o->f, safe);
	free(safe);
	return ret;
}

static int plain_end_notes(struct output *o, const struct xfr_result *r)
{
	int ret = 0;

	if (r->interrupted)
		ret = plain_line(o->f, "(interrupted: partial result)");
	if (!ret && r->error[0])
		ret = plain_line(o->f, "error: %s", r->error);
	for (uint32_t i = 0; !ret && i < r->nnotes; i++)
		ret = plain_line(o->f, "note: %s", r->notes[i]);
	if (!ret && r->server_output)
		ret = plain_server_output(o, r);
	return ret;
}

/* One probe verdict: "pass (3/3)", "BLOCKED (0/3)", "local MTU limit", "untested". */
static char *plain_mtu_cell(enum xfr_mtu_verdict v, uint32_t ok, uint32_t n, char *buf, size_t len)
{
	switch (v) {
	case XFR_MTU_PASS:
		snprintf(buf, len, "pass (%u/%u)", ok, n);
		break;
	case XFR_MTU_FAIL:
		snprintf(buf, len, "BLOCKED (%u/%u)", ok, n);
		break;
	case XFR_MTU_LOCAL_LIMIT:
		snprintf(buf, len, "local MTU limit");
		break;
	case XFR_MTU_UNTESTED:
		snprintf(buf, len, "untested");
		break;
	}
	return buf;
}

static int plain_mtu_verdict(struct output *o, const char *dir, uint32_t payload, uint32_t mtu)
{
	if (!payload)
		return plain_line(o->f, "%s: no payload size passed", dir);
	return plain_line(o->f, "%s: largest payload %u B, path MTU %u", dir, payload, mtu);
}

/* --probe-mtu: every size tried, both directions, then the answer per direction. */
static int plain_mtu(struct output *o, const struct xfr_mtu_result *m)
{
	uint32_t cap = sizeof(m->sizes) / sizeof(m->sizes[0]);
	uint32_t n = m->nsizes < cap ? m->nsizes : cap;
	char fwd[32], rev[32];
	int ret;

	ret = plain_line(o->f, "MTU probe (%s, don't fragment):", m->ipv6 ? "IPv6" : "IPv4");
	/* The arrows are one column wide but three bytes: the header is padded by hand. */
	if (!ret)
		ret = plain_line(o->f, "Payload  client \u2192 server    server \u2192 client");
	for (uint32_t i = 0; i < n && !ret; i++) {
		const struct xfr_mtu_size *z = &m->sizes[i];

		ret = plain_line(
			o->f, "%7u  %-17s  %s", z->payload,
			plain_mtu_cell(z->forward, z->forward_ok, z->attempts, fwd, sizeof(fwd)),
			plain_mtu_cell(z->reverse, z->reverse_ok, z->attempts, rev, sizeof(rev)));
	}
	if (!ret)
		ret = plain_mtu_verdict(o, "client \u2192 server", m->forward_max_payload,
					m->forward_path_mtu);
	if (!ret)
		ret = plain_mtu_verdict(o, "server \u2192 client", m->reverse_max_payload,
					m->reverse_path_mtu);
	return ret;
}

static int plain_summary_header(struct output *o, const struct xfr_result *r)
{
	if (output_is_udp(r))
		return plain_line(o->f, "%-*s %-15s  %10s  %12s  %10s  %s", plain_bidir(r) ? 11 : 5,
				  plain_bidir(r) ? "[ ID][Role]" : "[ ID]", "Interval", "Transfer",
				  "Bitrate", "Jitter", "Lost/Total Datagrams");
	return plain_line(o->f, "%-*s %-15s  %10s  %12s  %5s", plain_bidir(r) ? 11 : 5,
			  plain_bidir(r) ? "[ ID][Role]" : "[ ID]", "Interval", "Transfer",
			  "Bitrate", "Retr");
}

static int plain_end(struct output *o, const struct xfr_result *r)
{
	unsigned dirs = output_dirs(r->flows, r->nflows);

	bool probe_only = r->mtu && !r->nflows;
	int ret;

	/* With -q the summary follows the header line directly: nothing to set apart.
	 * A probe-only run has no flows: its table is the whole report. */
	ret = o->opts.quiet || probe_only ? 0 : plain_line(o->f, PLAIN_SEP);
	if (!ret && !probe_only)
		ret = plain_summary_header(o, r);
	if (!ret && (dirs & RESULT_DIR_UP))
		ret = plain_summary_dir(o, r, RESULT_DIR_UP);
	if (!ret && (dirs & RESULT_DIR_DOWN))
		ret = plain_summary_dir(o, r, RESULT_DIR_DOWN);
	if (!ret && plain_bidir(r))
		ret = plain_total(o, r);
	if (!ret && r->mtu)
		ret = plain_mtu(o, r->mtu);
	if (!ret)
		ret = plain_end_notes(o, r);
	return ret ? ret : output_flush(o->f);
}

/* Plain text has no error block: the caller's log line on stderr says it. */
static int plain_error(struct output *o, const char *msg)
{
	(void)o;
	(void)msg;
	return 0;
}

const struct output_ops output_plain_ops = {
	.name = "plain",
	.start = plain_start,
	.interval = plain_interval,
	.end = plain_end,
	.error = plain_error,
};
