// SPDX-License-Identifier: MIT
/*
 * The result model's arithmetic and every printer against golden files.
 *
 * Each scenario builds a fixed xfr_result, runs it through start / interval
 * (omitted rows skipped, as the client does) / end of every format into an
 * open_memstream buffer and compares byte for byte with
 * tests/golden/<scenario>.{txt,json,jsonl,csv}.
 * XFR_UPDATE_GOLDEN=1 rewrites the golden files instead (check them by eye and
 * with tests/schema_check.py before committing). XFR_GOLDEN_DIR overrides the
 * directory (default $XT_ROOT/tests/golden, else tests/golden from the cwd).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/output.h"
#include "output/printers.h"
#include "model/result.h"

#define T0_US	  1795736400250000ULL /* 2026-11-26T23:40:00.250Z */
#define NINTERVAL 3
#define MSS	  1448

static const char *const fmt_ext[] = {
	[XFR_FMT_PLAIN] = "txt",
	[XFR_FMT_JSON] = "json",
	[XFR_FMT_JSON_STREAM] = "jsonl",
	[XFR_FMT_CSV] = "csv",
};

/* ---- fixtures ---------------------------------------------------------- */

/* Bytes one flow moved in interval k: distinct per stream, direction and second. */
static uint64_t fx_sent(uint32_t s, enum xfr_flow_dir d, uint32_t k)
{
	return 117000000ULL + 1000000ULL * s + 250000ULL * k + (d == XFR_FLOW_DOWN ? 5000000 : 0);
}

static void fx_flow(struct xfr_flow *f, uint32_t s, enum xfr_flow_dir d, uint64_t sent,
		    uint64_t recv, uint64_t retr, uint32_t k)
{
	memset(f, 0, sizeof(*f));
	f->stream = s;
	f->dir = d;
	f->has_sent = true;
	f->has_recv = true;
	f->sent_bytes = sent;
	f->recv_bytes = recv;
	f->has_tcp = true;
	f->tcp.retransmits = retr;
	f->tcp.rtt_us = 1200 + 100 * s + 10 * k;
	f->tcp.rttvar_us = 100 + 10 * s;
	f->tcp.cwnd_segments = 40 + 2 * s + k;
	f->tcp.cwnd_bytes = (uint64_t)f->tcp.cwnd_segments * MSS;
	f->tcp.pmtu = d == XFR_FLOW_DOWN ? 1400 : 1500;
	f->tcp.delivery_rate_bps = 900000000ULL + 1000000ULL * s;
	f->tcp.bytes_acked = sent;
}

static void fx_interval(struct xfr_result *r, uint32_t k, const unsigned *dirs, uint32_t ndirs)
{
	struct xfr_interval *iv = calloc(1, sizeof(*iv));

	assert_non_null(iv);
	iv->flows = calloc(XFR_MAX_FLOWS, sizeof(*iv->flows));
	assert_non_null(iv->flows);
	iv->start_s = k;
	iv->end_s = k + 1;
	iv->wall_end_us = T0_US + (k + 1) * 1000000ULL;
	for (uint32_t s = 0; s < r->streams; s++) {
		for (uint32_t d = 0; d < ndirs; d++) {
			uint64_t sent = fx_sent(s, dirs[d], k);

			fx_flow(&iv->flows[iv->nflows++], s, dirs[d], sent, sent - MSS * (s + 1),
				(k + s) % 3, k);
		}
	}
	assert_int_equal(result_add_interval(r, iv), 0);
	free(iv->flows);
	free(iv);
}

/* Whole-test flows: the sums of the intervals, TCP state of the last one. */
static void fx_totals(struct xfr_result *r)
{
	const struct xfr_interval *last = &r->intervals[r->nintervals - 1];

	r->nflows = last->nflows;
	for (uint32_t i = 0; i < r->nflows; i++) {
		struct xfr_flow *f = &r->flows[i];

		*f = last->flows[i];
		f->sent_bytes = f->recv_bytes = f->tcp.retransmits = 0;
		for (uint32_t k = 0; k < r->nintervals; k++) {
			const struct xfr_flow *g = &r->intervals[k].flows[i];

			f->sent_bytes += g->sent_bytes;
			f->recv_bytes += g->recv_bytes;
			f->tcp.retransmits += g->tcp.retransmits;
		}
		f->has_sent = f->has_recv = true;
		f->tcp.bytes_acked = f->sent_bytes;
	}
}

static struct xfr_result *fx_result(enum xfr_dir dir, uint32_t streams)
{
	static const unsigned up[] = {XFR_FLOW_UP}, down[] = {XFR_FLOW_DOWN};
	static const unsigned both[] = {XFR_FLOW_UP, XFR_FLOW_DOWN};
	struct xfr_result *r = malloc(sizeof(*r));
	const unsigned *dirs = dir == XFR_DIR_UPLOAD ? up : dir == XFR_DIR_DOWNLOAD ? down : both;

	assert_non_null(r);
	assert_int_equal(result_init(r, streams), 0);
	snprintf(r->id, sizeof(r->id), "3f2a9c1e-0b6d-4e8a-9a51-7c2d4e6f8a01");
	snprintf(r->client_version, sizeof(r->client_version), "xfr/0.1.0");
	snprintf(r->server_version, sizeof(r->server_version), "xfr/0.1.0");
	snprintf(r->host, sizeof(r->host), "192.0.2.10");
	r->engine = XFR_ENG_SOCKET;
	r->port = 5201;
	r->proto = XFR_PROTO_TCP;
	r->dir = dir;
	r->streams = streams;
	r->duration_req_s = NINTERVAL;
	r->length = 131072;
	r->start_wall_us = T0_US;
	r->duration_s = NINTERVAL;
	for (uint32_t k = 0; k < NINTERVAL; k++)
		fx_interval(r, k, dirs, dir == XFR_DIR_BIDIR ? 2 : 1);
	fx_totals(r);
	return r;
}

static void fx_free(struct xfr_result *r)
{
	result_free(r); /* frees r->mtu too */
	free(r);
}

/* Ctrl+C after 2.5 s of -t 10 --omit 1: the first row omitted, the last one half
 * long and without the server's count (its interval message never came). */
static struct xfr_result *fx_interrupted(void)
{
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 1);
	struct xfr_interval *last = &r->intervals[NINTERVAL - 1];

	r->intervals[0].omitted = true;
	last->end_s = 2.5;
	last->wall_end_us -= 500000;
	last->flows[0].has_recv = false;
	last->flows[0].sent_bytes /= 2;
	fx_totals(r);
	r->flows[0].has_recv = true;
	r->flows[0].recv_bytes -= last->flows[0].recv_bytes;
	r->duration_req_s = 10;
	r->duration_s = 2.5;
	r->interrupted = true;
	snprintf(r->error, sizeof(r->error), "interrupted by user (Ctrl+C)");
	return r;
}

/* ---- UDP fixtures --------------------------------------------------------- */

#define DGRAM 1400

/* Interval k of a UDP flow: distinct counts per stream, direction and second; with
 * drops, part of the loss is the receiving socket's buffer overflowing. */
static void fx_udp_flow(struct xfr_flow *f, uint32_t s, enum xfr_flow_dir d, uint32_t k, bool drops)
{
	struct xfr_udp_stats *u = &f->udp;

	memset(f, 0, sizeof(*f));
	f->stream = s;
	f->dir = d;
	f->has_sent = f->has_recv = true;
	f->has_udp_tx = f->has_udp_rx = true;
	u->packets_sent = 8000 + 100 * s + 10 * k + (d == XFR_FLOW_DOWN ? 500 : 0);
	u->lost = 40 + 5 * s + k;
	u->packets_received = u->packets_sent - u->lost;
	u->rcvbuf_drops = drops ? 10 + s : 0;
	u->out_of_order = s + k;
	u->duplicates = k == 1;
	u->jitter_ms = 0.1 + 0.01 * s + 0.005 * k;
	u->jitter_max_ms = u->jitter_ms + 0.2 + 0.1 * (k == 1);
	if (s == 1 && k == 2) {
		u->send_errors = 4;
		u->err_nobufs = 2;
		u->err_refused = 1;
	}
	f->sent_bytes = u->packets_sent * DGRAM;
	f->recv_bytes = u->packets_received * DGRAM;
}

/* Whole-test UDP flows: counts summed, jitter the last value, max the largest, and
 * 5 datagrams of tail loss on stream 0 (sent after the receiver's last one). */
static void fx_udp_totals(struct xfr_result *r)
{
	r->nflows = r->intervals[0].nflows;
	for (uint32_t i = 0; i < r->nflows; i++) {
		struct xfr_flow *f = &r->flows[i];
		struct xfr_udp_stats *u = &f->udp;

		*f = r->intervals[r->nintervals - 1].flows[i];
		memset(u, 0, sizeof(*u));
		f->sent_bytes = f->recv_bytes = 0;
		for (uint32_t k = 0; k < r->nintervals; k++) {
			const struct xfr_flow *g = &r->intervals[k].flows[i];

			f->sent_bytes += g->sent_bytes;
			f->recv_bytes += g->recv_bytes;
			u->packets_sent += g->udp.packets_sent;
			u->packets_received += g->udp.packets_received;
			u->lost += g->udp.lost;
			u->rcvbuf_drops += g->udp.rcvbuf_drops;
			u->out_of_order += g->udp.out_of_order;
			u->duplicates += g->udp.duplicates;
			u->send_errors += g->udp.send_errors;
			u->err_nobufs += g->udp.err_nobufs;
			u->err_refused += g->udp.err_refused;
			u->jitter_ms = g->udp.jitter_ms;
			if (g->udp.jitter_max_ms > u->jitter_max_ms)
				u->jitter_max_ms = g->udp.jitter_max_ms;
		}
		if (f->stream == 0) {
			u->packets_sent += 5;
			u->lost += 5;
			f->sent_bytes += 5 * DGRAM;
		}
	}
}

static struct xfr_result *fx_udp_result(enum xfr_dir dir, uint32_t streams, bool drops)
{
	struct xfr_result *r = fx_result(dir, streams);

	r->proto = XFR_PROTO_UDP;
	r->length = DGRAM;
	r->bitrate_req = 100000000ULL;
	for (uint32_t k = 0; k < r->nintervals; k++) {
		struct xfr_interval *iv = &r->intervals[k];

		for (uint32_t i = 0; i < iv->nflows; i++)
			fx_udp_flow(&iv->flows[i], iv->flows[i].stream, iv->flows[i].dir, k, drops);
	}
	fx_udp_totals(r);
	return r;
}

/* ---- kernel data plane fixtures ------------------------------------------- */

static uint64_t fx_drops_total(const struct xfr_drops *d)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < d->n; i++)
		sum += d->d[i].packets;
	return sum;
}

static void fx_drop(struct xfr_drops *d, const char *reason, uint64_t packets)
{
	snprintf(d->d[d->n].reason, sizeof(d->d[0].reason), "%s", reason);
	d->d[d->n++].packets = packets;
}

/*
 * XDP receiver and drop reasons on both hosts, interval k of a UDP flow: the
 * sender's qdisc drops 5 in the second interval, the receiver's socket buffer
 * drops rcvbuf_drops, stream 1 meets a netfilter rule in the third; XDP counted
 * what reached the socket plus what the receiving host dropped after it.
 */
static void fx_kernel_udp_flow(struct xfr_flow *f, uint32_t k)
{
	f->has_drops_tx = f->has_drops_rx = f->has_xdp = true;
	memset(&f->drops_tx, 0, sizeof(f->drops_tx));
	memset(&f->drops_rx, 0, sizeof(f->drops_rx));
	if (k == 1)
		fx_drop(&f->drops_tx, "QDISC_DROP", 5);
	fx_drop(&f->drops_rx, "SOCKET_RCVBUFF", f->udp.rcvbuf_drops);
	if (f->stream == 1 && k == 2)
		fx_drop(&f->drops_rx, "NETFILTER_DROP", 3);
	f->xdp_packets = f->udp.packets_received + fx_drops_total(&f->drops_rx);
	f->xdp_bytes = f->xdp_packets * DGRAM;
}

/* Whole-test kernel figures: the intervals' sums, drops merged by name, largest first. */
static void fx_kernel_udp_totals(struct xfr_result *r)
{
	for (uint32_t i = 0; i < r->nflows; i++) {
		struct xfr_flow *f = &r->flows[i];
		uint64_t q = 0, sock = 0, nf = 0;

		f->has_drops_tx = f->has_drops_rx = f->has_xdp = true;
		f->xdp_packets = f->xdp_bytes = 0;
		for (uint32_t k = 0; k < r->nintervals; k++) {
			const struct xfr_flow *g = &r->intervals[k].flows[i];

			f->xdp_packets += g->xdp_packets;
			f->xdp_bytes += g->xdp_bytes;
			q += k == 1 ? 5 : 0;
			sock += g->udp.rcvbuf_drops;
			nf += f->stream == 1 && k == 2 ? 3 : 0;
		}
		memset(&f->drops_tx, 0, sizeof(f->drops_tx));
		memset(&f->drops_rx, 0, sizeof(f->drops_rx));
		fx_drop(&f->drops_tx, "QDISC_DROP", q);
		fx_drop(&f->drops_rx, "SOCKET_RCVBUFF", sock);
		if (nf)
			fx_drop(&f->drops_rx, "NETFILTER_DROP", nf);
	}
}

static struct xfr_result *fx_udp_xdp_result(void)
{
	struct xfr_result *r = fx_udp_result(XFR_DIR_UPLOAD, 2, true);

	r->engine = XFR_ENG_AFXDP;
	snprintf(r->server_engine, sizeof(r->server_engine), "xdp");
	snprintf(r->engine_note, sizeof(r->engine_note), "auto: AF_XDP on veth0 (copy mode)");
	snprintf(r->server_engine_note, sizeof(r->server_engine_note),
		 "auto: XDP on veth1 (native), count-and-pass");
	for (uint32_t k = 0; k < r->nintervals; k++)
		for (uint32_t i = 0; i < r->intervals[k].nflows; i++)
			fx_kernel_udp_flow(&r->intervals[k].flows[i], k);
	fx_kernel_udp_totals(r);
	return r;
}

/* BPF TCP figures of the sending flows; stream 1's receiver drops 2 on a zero window. */
static void fx_bpf_flow(struct xfr_flow *f, uint32_t k)
{
	f->has_bpf_tcp = true;
	f->bpf_tcp.rtt_min_us = 50 + 10 * f->stream + k;
	f->bpf_tcp.rtt_avg_us = 80 + 10 * f->stream + k;
	f->bpf_tcp.rtt_max_us = 200 + 10 * f->stream + 5 * k;
	f->bpf_tcp.rtt_samples = 1000 + 100 * f->stream + k;
	f->bpf_tcp.retransmits = f->tcp.retransmits;
	f->bpf_tcp.delivered = f->sent_bytes - MSS;
	if (f->stream == 1) {
		f->has_drops_rx = true;
		memset(&f->drops_rx, 0, sizeof(f->drops_rx));
		if (k == 2)
			fx_drop(&f->drops_rx, "TCP_ZEROWINDOW", 2);
	}
}

static struct xfr_result *fx_tcp_bpf_result(void)
{
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 2);

	for (uint32_t k = 0; k < r->nintervals; k++)
		for (uint32_t i = 0; i < r->intervals[k].nflows; i++)
			fx_bpf_flow(&r->intervals[k].flows[i], k);
	for (uint32_t i = 0; i < r->nflows; i++) {
		struct xfr_flow *f = &r->flows[i];
		struct xfr_bpf_tcp *b = &f->bpf_tcp;
		double sum = 0;

		fx_bpf_flow(f, 0);
		b->rtt_samples = b->retransmits = b->delivered = 0;
		for (uint32_t k = 0; k < r->nintervals; k++) {
			const struct xfr_bpf_tcp *g = &r->intervals[k].flows[i].bpf_tcp;

			b->rtt_samples += g->rtt_samples;
			b->retransmits += g->retransmits;
			b->delivered += g->delivered;
			b->rtt_max_us =
				g->rtt_max_us > b->rtt_max_us ? g->rtt_max_us : b->rtt_max_us;
			sum += (double)g->rtt_avg_us * g->rtt_samples;
		}
		b->rtt_avg_us = (uint32_t)(sum / b->rtt_samples + 0.5);
		if (f->stream == 1)
			fx_drop(&f->drops_rx, "TCP_ZEROWINDOW", 2);
	}
	return r;
}

/* A probe-only result: 1472 B passes both ways (MTU 1500), 8972 B is refused locally. */
static struct xfr_result *fx_mtu_result(void)
{
	static const uint32_t payload[] = {548, 1252, 1464, 1472, 1473, 4324, 8972};
	struct xfr_result *r = malloc(sizeof(*r));
	struct xfr_mtu_result *m = calloc(1, sizeof(*m));

	assert_non_null(r);
	assert_int_equal(result_init(r, 1), 0);
	assert_non_null(m);
	snprintf(r->id, sizeof(r->id), "3f2a9c1e-0b6d-4e8a-9a51-7c2d4e6f8a01");
	snprintf(r->client_version, sizeof(r->client_version), "xfr/0.1.0");
	snprintf(r->server_version, sizeof(r->server_version), "xfr/0.1.0");
	snprintf(r->host, sizeof(r->host), "192.0.2.10");
	r->engine = XFR_ENG_SOCKET;
	r->port = 5201;
	r->proto = XFR_PROTO_UDP;
	r->dir = XFR_DIR_UPLOAD;
	r->streams = 1;
	r->duration_req_s = 60;
	r->length = DGRAM;
	r->start_wall_us = T0_US;
	r->duration_s = 2.75;
	m->nsizes = sizeof(payload) / sizeof(payload[0]);
	for (uint32_t i = 0; i < m->nsizes; i++) {
		struct xfr_mtu_size *z = &m->sizes[i];
		bool ok = payload[i] <= 1472;

		z->payload = payload[i];
		z->attempts = 3;
		z->forward = ok ? XFR_MTU_PASS : XFR_MTU_FAIL;
		z->reverse = z->forward;
		z->forward_ok = z->reverse_ok = ok ? 3 : 0;
	}
	m->sizes[2].reverse_ok = 2; /* one probe of 3 lost, still a pass */
	m->sizes[6].forward = XFR_MTU_LOCAL_LIMIT;
	m->sizes[6].reverse = XFR_MTU_UNTESTED;
	m->forward_max_payload = m->reverse_max_payload = 1472;
	m->forward_path_mtu = m->reverse_path_mtu = 1500;
	r->mtu = m;
	return r;
}

/* ---- rendering ---------------------------------------------------------- */

static char *render(enum xfr_format fmt, const struct xfr_result *r, const struct output_opts *oo)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct output *o;

	assert_non_null(f);
	o = output_new(fmt, f, oo);
	assert_non_null(o);
	assert_int_equal(o->ops->start(o, r), 0);
	for (uint32_t k = 0; k < r->nintervals; k++) {
		if (!r->intervals[k].omitted)
			assert_int_equal(o->ops->interval(o, r, &r->intervals[k]), 0);
	}
	assert_int_equal(o->ops->end(o, r), 0);
	output_free(o);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const char *golden_dir(void)
{
	static char dir[4096];
	const char *env = getenv("XFR_GOLDEN_DIR"), *root = getenv("XT_ROOT");

	if (env)
		return env;
	if (root) {
		snprintf(dir, sizeof(dir), "%s/tests/golden", root);
		return dir;
	}
	return "tests/golden";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *m;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(fwrite(chunk, 1, n, m), n);
	fclose(f);
	assert_int_equal(fclose(m), 0);
	return buf;
}

/* Compare with the golden file (or rewrite it under XFR_UPDATE_GOLDEN=1). */
static void check_golden(const char *name, const char *ext, const char *got)
{
	const char *upd = getenv("XFR_UPDATE_GOLDEN");
	char path[4200];
	char *want;

	snprintf(path, sizeof(path), "%s/%s.%s", golden_dir(), name, ext);
	if (upd && !strcmp(upd, "1")) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(fputs(got, f) < 0, 0);
		assert_int_equal(fclose(f), 0);
		return;
	}
	want = slurp(path);
	if (!want)
		fail_msg("%s: cannot read (run with XFR_UPDATE_GOLDEN=1 to create it)", path);
	if (strcmp(want, got)) {
		print_error("%s differs; got:\n%s\n", path, got);
		free(want);
		fail_msg("%s: output differs from the golden file", path);
	}
	free(want);
}

static void check_all_formats(const char *name, const struct xfr_result *r,
			      const struct output_opts *oo)
{
	for (int fmt = XFR_FMT_PLAIN; fmt <= XFR_FMT_CSV; fmt++) {
		char *got = render(fmt, r, oo);

		check_golden(name, fmt_ext[fmt], got);
		free(got);
	}
}

static void run_scenario(const char *name, struct xfr_result *r, bool quiet, bool per_stream,
			 enum xfr_ts_format ts)
{
	struct output_opts oo = {.quiet = quiet, .per_stream = per_stream, .ts_format = ts};

	check_all_formats(name, r, &oo);
	fx_free(r);
}

/* ---- golden scenarios --------------------------------------------------- */

static void test_golden_upload_p1(void **state)
{
	(void)state;
	run_scenario("tcp_upload_p1", fx_result(XFR_DIR_UPLOAD, 1), false, false, XFR_TS_RELATIVE);
}

static void test_golden_upload_p2(void **state)
{
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 2);

	(void)state;
	r->bitrate_req = 500000000ULL;
	run_scenario("tcp_upload_p2", r, false, true, XFR_TS_RELATIVE);
}

static void test_golden_upload_p2_sum_only(void **state)
{
	(void)state;
	run_scenario("tcp_upload_p2_sum", fx_result(XFR_DIR_UPLOAD, 2), false, false,
		     XFR_TS_RELATIVE);
}

static void test_golden_download(void **state)
{
	struct xfr_result *r = fx_result(XFR_DIR_DOWNLOAD, 1);

	(void)state;
	r->bytes_req = 1ULL << 30;
	r->duration_req_s = 0;
	snprintf(r->host, sizeof(r->host), "2001:db8::10");
	r->server_output =
		strdup("{\"intervals\":[{\"start\":0.0,\"end\":1.0,\"bytes\":122000000}],"
		       "\"version\":\"xfr/0.1.0\"}");
	assert_non_null(r->server_output);
	run_scenario("tcp_download", r, false, false, XFR_TS_RELATIVE);
}

/* Bytes a terminal acts on: ESC, C1 CSI/OSC (UTF-8), bidi override, BEL. */
static bool terminal_safe(const char *out)
{
	return !strchr(out, 0x1b) && !strchr(out, 0x07) && !strstr(out, "\xc2\x9b") &&
	       !strstr(out, "\xc2\x9d") && !strstr(out, "\xe2\x80\xae");
}

/* --get-server-output carries the server's text: no format lets it drive the terminal. */
static void test_server_output_hostile(void **state)
{
	static const char *const outputs[] = {
		"{\"version\":\"x\xc2\x9b"
		"2J\xe2\x80\xae\",\"note\":\"\\u001b]52;c;aGk=\\u0007\"}",
		"not json \x1b[2J \xc2\x9d"
		"0;pwned\x07 \xe2\x80\xae"
		"cba",
	};
	static const enum xfr_format fmts[] = {XFR_FMT_PLAIN, XFR_FMT_JSON, XFR_FMT_JSON_STREAM,
					       XFR_FMT_CSV};
	struct output_opts oo = {.rows = true};

	(void)state;
	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		for (size_t k = 0; k < sizeof(fmts) / sizeof(fmts[0]); k++) {
			struct xfr_result *r = fx_result(XFR_DIR_DOWNLOAD, 1);
			char *out;

			r->server_output = strdup(outputs[i]);
			assert_non_null(r->server_output);
			out = render(fmts[k], r, &oo);
			if (!terminal_safe(out))
				fail_msg(
					"format %d, output %zu: the server's text reached stdout raw",
					(int)fmts[k], i);
			if (fmts[k] == XFR_FMT_PLAIN)
				assert_non_null(strstr(out, "Server output:"));
			free(out);
			result_free(r);
			free(r);
		}
	}
}

static void test_golden_bidir_p2(void **state)
{
	(void)state;
	run_scenario("tcp_bidir_p2", fx_result(XFR_DIR_BIDIR, 2), false, true, XFR_TS_RELATIVE);
}

static void test_golden_interrupted(void **state)
{
	(void)state;
	run_scenario("tcp_interrupted", fx_interrupted(), false, false, XFR_TS_RELATIVE);
}

static void test_golden_quiet(void **state)
{
	(void)state;
	run_scenario("tcp_quiet", fx_result(XFR_DIR_UPLOAD, 2), true, true, XFR_TS_RELATIVE);
}

static void test_golden_ts_iso8601(void **state)
{
	(void)state;
	run_scenario("ts_iso8601", fx_result(XFR_DIR_UPLOAD, 1), false, false, XFR_TS_ISO8601);
}

static void test_golden_ts_unix(void **state)
{
	(void)state;
	run_scenario("ts_unix", fx_result(XFR_DIR_UPLOAD, 1), false, false, XFR_TS_UNIX);
}

static void test_golden_udp_upload_p2(void **state)
{
	(void)state;
	run_scenario("udp_upload_p2", fx_udp_result(XFR_DIR_UPLOAD, 2, true), false, true,
		     XFR_TS_RELATIVE);
}

static void test_golden_udp_download(void **state)
{
	(void)state;
	run_scenario("udp_download", fx_udp_result(XFR_DIR_DOWNLOAD, 1, false), false, false,
		     XFR_TS_RELATIVE);
}

static void test_golden_udp_bidir_p2(void **state)
{
	(void)state;
	run_scenario("udp_bidir_p2", fx_udp_result(XFR_DIR_BIDIR, 2, true), false, true,
		     XFR_TS_RELATIVE);
}

static void test_golden_udp_quiet(void **state)
{
	(void)state;
	run_scenario("udp_quiet", fx_udp_result(XFR_DIR_UPLOAD, 2, true), true, true,
		     XFR_TS_RELATIVE);
}

/* XDP receiver and drop reasons on both hosts: the path block, the drops suffix. */
static void test_golden_udp_xdp_drops(void **state)
{
	(void)state;
	run_scenario("udp_xdp_drops", fx_udp_xdp_result(), false, true, XFR_TS_RELATIVE);
}

/* BPF TCP figures beside TCP_INFO. */
static void test_golden_tcp_bpf(void **state)
{
	(void)state;
	run_scenario("tcp_bpf", fx_tcp_bpf_result(), false, true, XFR_TS_RELATIVE);
}

/* --probe-mtu always prints plain text; its JSON is the -o FILE document. */
static void test_golden_mtu_probe(void **state)
{
	struct xfr_result *r = fx_mtu_result();
	struct output_opts oo = {0};
	char *got;

	(void)state;
	got = render(XFR_FMT_PLAIN, r, &oo);
	check_golden("mtu_probe", "txt", got);
	free(got);
	got = render(XFR_FMT_JSON, r, &oo);
	check_golden("mtu_probe", "json", got);
	free(got);
	fx_free(r);
}

/* The error op: a JSON document / one event line in JSON formats, nothing on stdout else. */
static void test_golden_error(void **state)
{
	(void)state;
	for (int fmt = XFR_FMT_PLAIN; fmt <= XFR_FMT_CSV; fmt++) {
		struct output_opts oo = {0};
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct output *o = output_new(fmt, f, &oo);

		assert_non_null(o);
		assert_int_equal(o->ops->error(o, "connect to 192.0.2.10 port 5201: Connection "
						  "refused"),
				 0);
		output_free(o);
		assert_int_equal(fclose(f), 0);
		if (fmt == XFR_FMT_JSON || fmt == XFR_FMT_JSON_STREAM)
			check_golden("error", fmt_ext[fmt], buf);
		else
			assert_int_equal(len, 0);
		free(buf);
	}
}

/* ---- properties --------------------------------------------------------- */

static uint64_t delivered_total(const struct xfr_result *r)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < r->nflows; i++)
		sum += r->flows[i].recv_bytes;
	return sum;
}

/* Every json-stream line is one complete JSON object: start, rows, end. */
static void test_jsonstream_lines(void **state)
{
	struct xfr_result *r = fx_result(XFR_DIR_BIDIR, 2);
	struct output_opts oo = {.per_stream = true};
	char *out = render(XFR_FMT_JSON_STREAM, r, &oo), *save = NULL;
	const char *want[] = {"start", "interval", "interval", "interval", "end"};
	unsigned n = 0;

	(void)state;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++) {
		json_t *ev = json_loads(l, 0, NULL);

		assert_non_null(ev);
		assert_true(n < 5);
		assert_string_equal(json_string_value(json_object_get(ev, "event")), want[n]);
		if (n == 4)
			assert_int_equal(json_integer_value(json_object_get(
						 json_object_get(ev, "result"), "bytes_total")),
					 (json_int_t)delivered_total(r));
		json_decref(ev);
	}
	assert_int_equal(n, 5);
	free(out);
	fx_free(r);
}

/* The document's figures: delivered bytes, rounded throughput, sender's TCP sums. */
static void test_json_document_values(void **state)
{
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 2);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *doc, *tcp;
	double mbps;

	(void)state;
	r->duration_s = 3.0001;
	assert_int_equal(output_json_document(f, r), 0);
	assert_int_equal(fclose(f), 0);
	doc = json_loads(buf, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "bytes_total")),
			 (json_int_t)delivered_total(r));
	assert_int_equal(json_integer_value(json_object_get(doc, "duration_ms")), 3000);
	mbps = json_real_value(json_object_get(doc, "throughput_mbps"));
	assert_true(mbps > 1883.901 && mbps < 1883.903);
	assert_non_null(strstr(buf, "\"throughput_mbps\": 1883.902,"));
	tcp = json_object_get(doc, "tcp_info");
	assert_int_equal(json_integer_value(json_object_get(tcp, "cwnd")), 42 + 44);
	assert_int_equal(json_integer_value(json_object_get(tcp, "cwnd_bytes")), (42 + 44) * MSS);
	assert_int_equal(json_integer_value(json_object_get(tcp, "rtt_us")), (1220 + 1320) / 2);
	assert_int_equal(json_integer_value(json_object_get(tcp, "pmtu")), 1500);
	assert_int_equal(json_array_size(json_object_get(doc, "streams")), 2);
	assert_int_equal(json_array_size(json_object_get(doc, "intervals")), NINTERVAL);
	assert_false(json_is_true(json_object_get(doc, "interrupted")));
	json_decref(doc);
	free(buf);
	fx_free(r);
}

static char *render_document(const struct xfr_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(output_json_document(f, r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* UDP figures in the document: totals with tail loss, lost_percent, no TCP keys. */
static void test_udp_document_values(void **state)
{
	struct xfr_result *r = fx_udp_result(XFR_DIR_UPLOAD, 2, true);
	char *buf = render_document(r);
	json_t *doc = json_loads(buf, 0, NULL), *u, *iv;
	uint64_t lost = (40 + 41 + 42 + 5) + (45 + 46 + 47);
	uint64_t recv = 3 * 8010 - (40 + 41 + 42) + 3 * 8110 - (45 + 46 + 47);

	(void)state;
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "protocol")), "udp");
	assert_null(json_object_get(doc, "tcp_info"));
	u = json_object_get(doc, "udp_stats");
	assert_int_equal(json_integer_value(json_object_get(u, "packets_sent")),
			 3 * 8010 + 5 + 3 * 8110);
	assert_int_equal(json_integer_value(json_object_get(u, "packets_received")), recv);
	assert_int_equal(json_integer_value(json_object_get(u, "lost")), lost);
	assert_float_equal(json_real_value(json_object_get(u, "lost_percent")),
			   round(lost * 100000.0 / (lost + recv)) / 1000, 1e-9);
	assert_int_equal(json_integer_value(json_object_get(u, "rcvbuf_drops")), 3 * 10 + 3 * 11);
	assert_int_equal(json_integer_value(json_object_get(u, "packet_size")), DGRAM);
	assert_int_equal(json_integer_value(json_object_get(u, "send_errors")), 4);
	assert_float_equal(json_real_value(json_object_get(u, "jitter_max_ms")), 0.415, 1e-9);
	/* Per stream: the reference's retransmits stays (0), its own udp object, no tcp_info. */
	u = json_array_get(json_object_get(doc, "streams"), 1);
	assert_int_equal(json_integer_value(json_object_get(u, "retransmits")), 0);
	assert_null(json_object_get(u, "tcp_info"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u, "udp"), "lost")),
			 45 + 46 + 47);
	/* Intervals: the reference's jitter_ms (mean) and lost (delta), no TCP keys. */
	iv = json_array_get(json_object_get(doc, "intervals"), 1);
	assert_int_equal(json_integer_value(json_object_get(iv, "lost")), 41 + 46);
	assert_float_equal(json_real_value(json_object_get(iv, "jitter_ms")), 0.11, 1e-9);
	assert_null(json_object_get(iv, "retransmits"));
	assert_null(json_object_get(iv, "cwnd"));
	assert_non_null(json_object_get(iv, "udp"));
	json_decref(doc);
	free(buf);

	/* The receiver's report of an interval never came (Ctrl+C): no jitter or loss is
	 * claimed for that flow, the sum's jitter is the other flow's, the sender's count stays. */
	r->intervals[2].flows[0].has_udp_rx = false;
	buf = render_document(r);
	doc = json_loads(buf, 0, NULL);
	assert_non_null(doc);
	iv = json_array_get(json_object_get(doc, "intervals"), 2);
	assert_float_equal(json_real_value(json_object_get(iv, "jitter_ms")), 0.12, 1e-9);
	u = json_array_get(json_object_get(iv, "streams"), 0);
	assert_null(json_object_get(u, "jitter_ms"));
	assert_null(json_object_get(u, "lost"));
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(u, "udp"), "packets_sent")),
		8020);
	json_decref(doc);
	free(buf);
	fx_free(r);
}

/* Plain text says how much loss the receive buffer explains, and the send errors. */
static void test_udp_plain_loss_by_cause(void **state)
{
	struct xfr_result *r = fx_udp_result(XFR_DIR_UPLOAD, 1, true);
	struct output_opts oo = {.quiet = true};
	char *out;

	(void)state;
	r->flows[0].udp.lost = 1000;
	r->flows[0].udp.packets_received = 19000;
	r->flows[0].udp.rcvbuf_drops = 200;
	r->flows[0].udp.send_errors = 3;
	r->flows[0].udp.err_refused = 3;
	out = render(XFR_FMT_PLAIN, r, &oo);
	assert_non_null(strstr(out, "Loss: lost 1000 (5.0%); 200 at the receiving socket (buffer "
				    "full), 800 before it (path or receive stack)\n"));
	free(out);
	/* a peer counting buffers or more than its loss: no split is inferred */
	r->flows[0].udp.rcvbuf_drops = 1200;
	out = render(XFR_FMT_PLAIN, r, &oo);
	assert_non_null(strstr(out, "Loss: lost 1000 (5.0%); receiving socket buffer full: 1200 "
				    "dropped\n"));
	r->flows[0].udp.rcvbuf_drops = 200;
	assert_non_null(strstr(out, " 1000/20000 (5.0%) "));
	assert_non_null(strstr(out, "sender, 3 send errors (ECONNREFUSED 3)\n"));
	free(out);
	/* No drops: none at the socket; no loss: no loss line. */
	r->flows[0].udp.send_errors = 0;
	r->flows[0].udp.rcvbuf_drops = 0;
	out = render(XFR_FMT_PLAIN, r, &oo);
	assert_non_null(strstr(out, "Loss: lost 1000 (5.0%), none at the receiving socket (path or "
				    "receive stack)\n"));
	free(out);
	r->flows[0].udp.lost = 0;
	out = render(XFR_FMT_PLAIN, r, &oo);
	assert_null(strstr(out, "Loss:"));
	assert_non_null(strstr(out, " 0/19000 (0%) "));
	free(out);
	fx_free(r);
}

/* ---- the kernel data plane ---------------------------------------------- */

/* Sums per direction: XDP adds, drops merge by name (OTHER past 16), BPF mean weighted. */
static void test_kernel_sum(void **state)
{
	static const char *const names[] = {"A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8",
					    "A9", "B0", "B1", "B2", "B3", "B4", "B5", "B6", "B7"};
	struct xfr_flow fl[3], sum;

	(void)state;
	memset(fl, 0, sizeof(fl));
	fl[1].stream = 1;
	fl[2].dir = XFR_FLOW_DOWN;
	for (int i = 0; i < 2; i++) {
		fl[i].has_xdp = fl[i].has_drops_rx = fl[i].has_bpf_tcp = true;
		fl[i].xdp_packets = 100 + i;
		fl[i].xdp_bytes = 1000 + i;
		/* flow 0: A0..A9, flow 1: A8, A9, B0..B7 */
		for (int j = 0; j < 10; j++)
			fx_drop(&fl[i].drops_rx, names[j + 8 * i], 100 - 10 * i - j);
	}
	fl[0].bpf_tcp = (struct xfr_bpf_tcp){.rtt_min_us = 40,
					     .rtt_avg_us = 100,
					     .rtt_max_us = 300,
					     .rtt_samples = 300,
					     .retransmits = 1,
					     .delivered = 10};
	fl[1].bpf_tcp = (struct xfr_bpf_tcp){.rtt_min_us = 60,
					     .rtt_avg_us = 200,
					     .rtt_max_us = 900,
					     .rtt_samples = 100,
					     .retransmits = 2,
					     .delivered = 20};
	fl[2].has_xdp = true;
	fl[2].xdp_packets = 1000000;
	memset(&sum, 0, sizeof(sum));
	output_kernel_sum(fl, 3, RESULT_DIR_UP, &sum);
	assert_true(sum.has_xdp && sum.has_drops_rx && sum.has_bpf_tcp);
	assert_false(sum.has_drops_tx);
	assert_int_equal(sum.xdp_packets, 201);
	assert_int_equal(sum.xdp_bytes, 2001);
	/* 18 names (A8, A9 in both): the 15 largest, then OTHER */
	assert_int_equal(sum.drops_rx.n, 16);
	assert_string_equal(sum.drops_rx.d[0].reason, "A8"); /* 92 + 90 */
	assert_int_equal(sum.drops_rx.d[0].packets, 182);
	assert_string_equal(sum.drops_rx.d[1].reason, "A9");
	assert_string_equal(sum.drops_rx.d[2].reason, "A0");
	assert_string_equal(sum.drops_rx.d[15].reason, "OTHER");
	assert_int_equal(sum.drops_rx.d[15].packets, 83 + 82 + 81);
	assert_int_equal(output_drops_total(&sum.drops_rx),
			 (100 + 91) * 10 / 2 + (90 + 81) * 10 / 2);
	assert_int_equal(sum.bpf_tcp.rtt_samples, 400);
	assert_int_equal(sum.bpf_tcp.rtt_avg_us, 125);
	assert_int_equal(sum.bpf_tcp.rtt_min_us, 40);
	assert_int_equal(sum.bpf_tcp.rtt_max_us, 900);
	assert_int_equal(sum.bpf_tcp.retransmits, 3);
	assert_int_equal(sum.bpf_tcp.delivered, 30);
	/* a flow without RTT samples does not pull the min down */
	fl[1].bpf_tcp.rtt_samples = 0;
	fl[1].bpf_tcp.rtt_min_us = 0;
	memset(&sum, 0, sizeof(sum));
	output_kernel_sum(fl, 3, RESULT_DIR_UP, &sum);
	assert_int_equal(sum.bpf_tcp.rtt_min_us, 40);
	assert_int_equal(sum.bpf_tcp.rtt_avg_us, 100);
	assert_true(output_has_kernel(fl, 3));
	assert_false(output_has_kernel(fl, 0));
}

/* The document's kernel keys; a socket test has none of them. */
static void test_kernel_document(void **state)
{
	struct xfr_result *r = fx_udp_xdp_result();
	char *buf = render_document(r);
	json_t *doc = json_loads(buf, 0, NULL), *st, *d;

	(void)state;
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "server_engine")), "xdp");
	st = json_array_get(json_object_get(doc, "streams"), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "xdp"), "packets")),
			 3 * 8110 - (45 + 46 + 47) + 3 * 11 + 3);
	d = json_object_get(json_object_get(st, "drops_by_reason"), "rx");
	assert_int_equal(json_object_size(d), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "SOCKET_RCVBUFF")), 33);
	assert_int_equal(json_integer_value(json_object_get(d, "NETFILTER_DROP")), 3);
	d = json_object_get(json_object_get(st, "drops_by_reason"), "tx");
	assert_int_equal(json_integer_value(json_object_get(d, "QDISC_DROP")), 5);
	assert_null(json_object_get(st, "tcp"));
	/* an interval where the sender dropped nothing: tx is there and empty */
	st = json_array_get(
		json_object_get(json_array_get(json_object_get(doc, "intervals"), 0), "streams"),
		0);
	d = json_object_get(json_object_get(st, "drops_by_reason"), "tx");
	assert_true(json_is_object(d));
	assert_int_equal(json_object_size(d), 0);
	json_decref(doc);
	free(buf);
	fx_free(r);

	r = fx_result(XFR_DIR_BIDIR, 2);
	buf = render_document(r);
	for (const char *const *k =
		     (const char *const[]){"\"xdp\"", "\"drops_by_reason\"", "\"tcp\": {",
					   "\"bpf\"", "server_engine", "engine_note", NULL};
	     *k; k++)
		assert_null(strstr(buf, *k));
	free(buf);
	fx_free(r);
}

/* Path lines say only what is known: no sender observer, no wire loss; none dropped. */
static void test_kernel_plain_path(void **state)
{
	struct xfr_result *r = fx_udp_xdp_result();
	struct output_opts oo = {.quiet = true};
	char *out;

	(void)state;
	for (uint32_t i = 0; i < r->nflows; i++) {
		r->flows[i].has_drops_tx = false;
		r->flows[i].drops_rx.n = 0;
	}
	out = render(XFR_FMT_PLAIN, r, &oo);
	assert_non_null(strstr(out, "\nPath: sent 48365 \u2192 XDP 48165 \u2192 socket 48099\n"
				    "  dropped on receiver: none\n"));
	assert_null(strstr(out, "on the wire"));
	assert_null(strstr(out, "dropped on sender"));
	free(out);
	/* no XDP: the wire loss cannot be told from the receiving host's */
	for (uint32_t i = 0; i < r->nflows; i++) {
		r->flows[i].has_drops_tx = true;
		r->flows[i].has_xdp = false;
	}
	out = render(XFR_FMT_PLAIN, r, &oo);
	assert_non_null(strstr(out,
			       "\nPath: sent 48365 \u2192 left host 48355 \u2192 socket 48099\n"
			       "  dropped on sender: QDISC_DROP 10\n"
			       "  dropped on receiver: none\n"));
	assert_null(strstr(out, "on the wire"));
	free(out);
	fx_free(r);
}

/*
 * CSV: one header, every row the same number of cells (kernel columns
 * included, empty when unknown); -q keeps the header and the summary rows; no
 * interval at all still gives the header and the summary.
 */
static size_t csv_cells(const char *line, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += line[i] == ',';
	return n;
}

static void check_csv_shape(const char *out, size_t want_rows)
{
	const char *nl = strchr(out, '\n'), *p;
	size_t cols, rows = 0;

	assert_non_null(nl);
	cols = csv_cells(out, (size_t)(nl - out));
	assert_int_equal(cols, 35);
	for (p = nl + 1; *p; p = nl + 1, rows++) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(nl > p); /* no blank line */
		assert_int_equal(csv_cells(p, (size_t)(nl - p)), cols);
	}
	assert_int_equal(rows, want_rows);
}

static void test_kernel_csv_columns(void **state)
{
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 2);
	struct output_opts oo = {.quiet = true, .per_stream = true};
	uint32_t nint;
	char *out;

	(void)state;
	out = render(XFR_FMT_CSV, r, &oo);
	assert_true(!strncmp(out, "type,direction,stream,", 22));
	assert_non_null(strstr(out, "\nsummary,upload,,,0.000,3.000,"));
	assert_non_null(strstr(out, "\nstream-summary,upload,1,,0.000,3.000,"));
	check_csv_shape(out, 3);
	free(out);
	oo.quiet = false;
	out = render(XFR_FMT_CSV, r, &oo);
	check_csv_shape(out, 3 * r->nintervals + 3);
	assert_non_null(strstr(out, "\nstream-interval,upload,0,1.000,0.000,1.000,"));
	free(out);
	nint = r->nintervals;
	r->nintervals = 0;
	out = render(XFR_FMT_CSV, r, &oo);
	check_csv_shape(out, 3);
	free(out);
	r->nintervals = nint;
	fx_free(r);
}

/* pmtu for TCP and QUIC; min_rtt_us, bytes_in_flight, handshake_us only for QUIC. */
static void test_csv_quic_columns(void **state)
{
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 1);
	struct output_opts oo = {.quiet = true};
	char *out;

	(void)state;
	out = render(XFR_FMT_CSV, r, &oo);
	assert_non_null(strstr(out, ",cwnd_bytes,pmtu,min_rtt_us,bytes_in_flight,handshake_us,"));
	assert_non_null(strstr(out, ",1500,,,,")); /* TCP: the path MTU, no QUIC figures */
	free(out);
	r->proto = XFR_PROTO_QUIC;
	r->flows[0].tcp.min_rtt_us = 900;
	r->flows[0].tcp.bytes_in_flight = 65536;
	r->flows[0].tcp.handshake_us = 2500;
	out = render(XFR_FMT_CSV, r, &oo);
	assert_non_null(strstr(out, ",1500,900,65536,2500,"));
	check_csv_shape(out, 1);
	free(out);
	fx_free(r);
}

/* A test id with a comma or a quote stays one cell (RFC 4180 quoting). */
static void test_csv_quoted_id(void **state)
{
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 1);
	struct output_opts oo = {.quiet = true};
	char *out;

	(void)state;
	snprintf(r->id, sizeof(r->id), "a,\"b");
	out = render(XFR_FMT_CSV, r, &oo);
	assert_non_null(strstr(out, ",socket,\"a,\"\"b\"\n"));
	free(out);
	fx_free(r);
}

static void test_timestamps(void **state)
{
	struct xfr_interval iv = {.start_s = 1, .end_s = 2.0004, .wall_end_us = T0_US + 1999999};
	char buf[64];

	(void)state;
	assert_string_equal(output_timestamp(NULL, &iv, XFR_TS_RELATIVE, buf, sizeof(buf)),
			    "2.000");
	assert_string_equal(output_timestamp(NULL, &iv, XFR_TS_ISO8601, buf, sizeof(buf)),
			    "2026-11-26T23:40:02.249Z");
	assert_string_equal(output_timestamp(NULL, &iv, XFR_TS_UNIX, buf, sizeof(buf)),
			    "1795736402.249");
	/* A short buffer is cut, never overrun. */
	assert_string_equal(output_timestamp(NULL, &iv, XFR_TS_ISO8601, buf, 11), "2026-11-26");
}

/* ---- write failures ----------------------------------------------------- */

/* Every op that writes reports the failure as -errno. */
static void check_write_error(FILE *f, int want)
{
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 1);
	struct output_opts oo = {0};

	for (int fmt = XFR_FMT_PLAIN; fmt <= XFR_FMT_CSV; fmt++) {
		struct output *o = output_new(fmt, f, &oo);

		assert_non_null(o);
		clearerr(f);
		assert_int_equal(o->ops->end(o, r), want);
		clearerr(f);
		if (fmt != XFR_FMT_JSON) {
			assert_int_equal(o->ops->start(o, r), want);
			clearerr(f);
			assert_int_equal(o->ops->interval(o, r, &r->intervals[0]), want);
			clearerr(f);
		}
		if (fmt == XFR_FMT_JSON || fmt == XFR_FMT_JSON_STREAM)
			assert_int_equal(o->ops->error(o, "boom"), want);
		output_free(o);
	}
	fx_free(r);
}

static void test_dev_full(void **state)
{
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f)
		skip();
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	check_write_error(f, -ENOSPC);
	fclose(f);
}

/* Buffered this time: the error must surface at the flush each op ends with. */
static void test_dev_full_buffered(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	struct xfr_result *r = fx_result(XFR_DIR_UPLOAD, 1);
	struct output *o;

	(void)state;
	if (!f)
		skip();
	o = output_new(XFR_FMT_JSON, f, NULL);
	assert_non_null(o);
	assert_int_equal(o->ops->end(o, r), -ENOSPC);
	output_free(o);
	fclose(f);
	fx_free(r);
}

static void test_closed_pipe(void **state)
{
	int fds[2];
	FILE *f;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	f = fdopen(fds[1], "w");
	assert_non_null(f);
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	check_write_error(f, -EPIPE);
	fclose(f);
}

static void test_output_new_invalid(void **state)
{
	(void)state;
	errno = 0;
	assert_null(output_new((enum xfr_format)42, stdout, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(output_new(XFR_FMT_PLAIN, NULL, NULL));
	output_free(NULL);
}

/* ---- the result model --------------------------------------------------- */

static void test_result_sum(void **state)
{
	struct xfr_flow fl[3], sum;

	(void)state;
	fx_flow(&fl[0], 0, XFR_FLOW_UP, 1000, 900, 2, 0);
	fx_flow(&fl[1], 1, XFR_FLOW_UP, 3000, 2900, 5, 0);
	fx_flow(&fl[2], 0, XFR_FLOW_DOWN, 7000, 6000, 1, 0);
	fl[1].tcp.pmtu = 0; /* unknown: must not win the minimum */
	fl[2].tcp.pmtu = 1280;
	fl[1].has_tcp = true;

	result_sum(fl, 3, RESULT_DIR_UP, &sum);
	assert_int_equal(sum.sent_bytes, 4000);
	assert_int_equal(sum.recv_bytes, 3800);
	assert_int_equal(sum.tcp.retransmits, 7);
	assert_int_equal(sum.tcp.rtt_us, 1250);	  /* mean of 1200 and 1300 */
	assert_int_equal(sum.tcp.rttvar_us, 105); /* mean of 100 and 110 */
	assert_int_equal(sum.tcp.cwnd_segments, 82);
	assert_int_equal(sum.tcp.cwnd_bytes, 82 * MSS);
	assert_int_equal(sum.tcp.pmtu, 1500);
	assert_int_equal(sum.tcp.delivery_rate_bps, 1801000000ULL);
	assert_int_equal(sum.tcp.bytes_acked, 4000);
	assert_true(sum.has_sent && sum.has_recv && sum.has_tcp);
	assert_int_equal(sum.dir, XFR_FLOW_UP);

	result_sum(fl, 3, RESULT_DIR_ALL, &sum);
	assert_int_equal(sum.recv_bytes, 9800);
	assert_int_equal(sum.tcp.pmtu, 1280);
	assert_int_equal(sum.tcp.rtt_us, 1233); /* (1200 + 1300 + 1200) / 3 rounded */

	result_sum(fl, 3, RESULT_DIR_DOWN, &sum);
	assert_int_equal(sum.dir, XFR_FLOW_DOWN);
	assert_int_equal(sum.sent_bytes, 7000);

	/* Flows without TCP data add bytes but do not drag the rtt mean down. */
	fl[1].has_tcp = false;
	fl[1].has_recv = false;
	result_sum(fl, 2, RESULT_DIR_UP, &sum);
	assert_int_equal(sum.tcp.rtt_us, 1200);
	assert_int_equal(sum.tcp.retransmits, 2);
	assert_int_equal(sum.recv_bytes, 900);
	assert_int_equal(sum.sent_bytes, 4000);

	result_sum(fl, 0, RESULT_DIR_ALL, &sum);
	assert_false(sum.has_sent || sum.has_recv || sum.has_tcp);
	assert_int_equal(sum.tcp.rtt_us, 0);
}

/* UDP sums: counts add, jitter is the mean over flows the receiver reported, max the max. */
static void test_result_sum_udp(void **state)
{
	struct xfr_flow fl[3], sum;

	(void)state;
	fx_udp_flow(&fl[0], 0, XFR_FLOW_UP, 0, true);
	fx_udp_flow(&fl[1], 1, XFR_FLOW_UP, 1, true);
	fx_udp_flow(&fl[2], 0, XFR_FLOW_DOWN, 2, false);

	result_sum(fl, 3, RESULT_DIR_UP, &sum);
	assert_true(sum.has_udp_tx && sum.has_udp_rx);
	assert_false(sum.has_tcp);
	assert_int_equal(sum.udp.packets_sent, 8000 + 8110);
	assert_int_equal(sum.udp.lost, 40 + 46);
	assert_int_equal(sum.udp.packets_received, 7960 + 8064);
	assert_int_equal(sum.udp.rcvbuf_drops, 10 + 11);
	assert_int_equal(sum.udp.out_of_order, 0 + 2);
	assert_int_equal(sum.udp.duplicates, 1);
	assert_float_equal(sum.udp.jitter_ms, (0.1 + 0.115) / 2, 1e-9);
	assert_float_equal(sum.udp.jitter_max_ms, 0.415, 1e-9);

	fl[2].udp.send_errors = 7;
	result_sum(fl, 3, RESULT_DIR_DOWN, &sum);
	assert_int_equal(sum.udp.packets_sent, 8520);
	assert_int_equal(sum.udp.send_errors, 7);
	assert_int_equal(sum.udp.rcvbuf_drops, 0);

	/* A flow only its sender reported: counted, but its 0 jitter stays out of the mean. */
	fl[1].has_udp_rx = false;
	fl[1].udp.jitter_ms = 0;
	result_sum(fl, 3, RESULT_DIR_ALL, &sum);
	assert_float_equal(sum.udp.jitter_ms, (0.1 + 0.11) / 2, 1e-9);
	fl[0].has_udp_rx = fl[2].has_udp_rx = false;
	result_sum(fl, 3, RESULT_DIR_ALL, &sum);
	assert_false(sum.has_udp_rx);
	assert_true(sum.has_udp_tx);
	assert_float_equal(sum.udp.jitter_ms, 0, 0);

	/* TCP flows leave the UDP part empty. */
	fx_flow(&fl[0], 0, XFR_FLOW_UP, 1000, 900, 2, 0);
	result_sum(fl, 1, RESULT_DIR_ALL, &sum);
	assert_false(sum.has_udp_tx || sum.has_udp_rx);
	assert_int_equal(sum.udp.packets_sent, 0);
}

static void test_result_flow_bytes(void **state)
{
	struct xfr_flow f = {.has_sent = true, .sent_bytes = 10, .has_recv = true, .recv_bytes = 8};

	(void)state;
	assert_int_equal(result_flow_bytes(&f), 8);
	f.has_recv = false;
	assert_int_equal(result_flow_bytes(&f), 10);
}

static void test_result_intervals(void **state)
{
	struct xfr_result *r = calloc(1, sizeof(*r));
	struct xfr_interval *iv = calloc(1, sizeof(*iv));

	(void)state;
	assert_non_null(r);
	assert_non_null(iv);
	iv->flows = calloc(XFR_MAX_FLOWS, sizeof(*iv->flows));
	assert_non_null(iv->flows);
	for (uint32_t k = 0; k < 40; k++) {
		iv->start_s = k;
		iv->nflows = k % 4;
		assert_int_equal(result_add_interval(r, iv), 0);
	}
	assert_int_equal(r->nintervals, 40);
	assert_true(r->cap_intervals >= 40);
	assert_true(r->intervals[39].start_s == 39);
	assert_int_equal(r->intervals[38].nflows, 2);
	/* within a bound: past it, counted and not kept */
	{
		uint64_t used = r->intervals_bytes;

		iv->nflows = 3;
		assert_int_equal(result_keep_interval(r, iv, used), -ENOSPC);
		assert_int_equal(r->intervals_dropped, 1);
		assert_int_equal(r->nintervals, 40);
		assert_int_equal(result_keep_interval(r, iv, used + (1 << 20)), 0);
		assert_int_equal(r->nintervals, 41);
		assert_true(r->intervals_bytes > used);
	}
	r->server_output = strdup("{}");
	result_free(r);
	assert_null(r->intervals);
	assert_null(r->server_output);
	assert_null(r->flows);
	assert_int_equal(r->nintervals, 0);
	assert_int_equal(r->intervals_bytes, 0);
	result_free(r); /* twice is harmless */
	free(iv->flows);
	free(iv);
	free(r);
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(xfr_dir_name(XFR_DIR_UPLOAD), "upload");
	assert_string_equal(xfr_dir_name(XFR_DIR_DOWNLOAD), "download");
	assert_string_equal(xfr_dir_name(XFR_DIR_BIDIR), "bidir");
	assert_string_equal(xfr_proto_name(XFR_PROTO_TCP), "tcp");
	assert_string_equal(xfr_proto_name(XFR_PROTO_UDP), "udp");
	assert_string_equal(xfr_proto_name(XFR_PROTO_QUIC), "quic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_output_hostile),
		cmocka_unit_test(test_result_sum),
		cmocka_unit_test(test_result_sum_udp),
		cmocka_unit_test(test_result_flow_bytes),
		cmocka_unit_test(test_result_intervals),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_kernel_sum),
		cmocka_unit_test(test_kernel_document),
		cmocka_unit_test(test_kernel_plain_path),
		cmocka_unit_test(test_kernel_csv_columns),
		cmocka_unit_test(test_csv_quic_columns),
		cmocka_unit_test(test_csv_quoted_id),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_output_new_invalid),
		cmocka_unit_test(test_golden_upload_p1),
		cmocka_unit_test(test_golden_upload_p2),
		cmocka_unit_test(test_golden_upload_p2_sum_only),
		cmocka_unit_test(test_golden_download),
		cmocka_unit_test(test_golden_bidir_p2),
		cmocka_unit_test(test_golden_interrupted),
		cmocka_unit_test(test_golden_quiet),
		cmocka_unit_test(test_golden_ts_iso8601),
		cmocka_unit_test(test_golden_ts_unix),
		cmocka_unit_test(test_golden_udp_upload_p2),
		cmocka_unit_test(test_golden_udp_download),
		cmocka_unit_test(test_golden_udp_bidir_p2),
		cmocka_unit_test(test_golden_udp_quiet),
		cmocka_unit_test(test_golden_udp_xdp_drops),
		cmocka_unit_test(test_golden_tcp_bpf),
		cmocka_unit_test(test_golden_mtu_probe),
		cmocka_unit_test(test_golden_error),
		cmocka_unit_test(test_jsonstream_lines),
		cmocka_unit_test(test_json_document_values),
		cmocka_unit_test(test_udp_document_values),
		cmocka_unit_test(test_udp_plain_loss_by_cause),
		cmocka_unit_test(test_dev_full),
		cmocka_unit_test(test_dev_full_buffered),
		cmocka_unit_test(test_closed_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
