// SPDX-License-Identifier: MIT
/*
 * Counters of bytes move during a test (each interval adds its bytes), so
 * rate(xfr_bytes_total[1m]) follows a running test; the end adds what the
 * intervals did not hold (the last partial interval, the UDP drain). The
 * other figures are taken from the whole-test result at its end.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "metrics/registry.h"
#include "model/result.h"

#define NPROTO 3 /* tcp, udp, quic */
#define NDIR   3 /* upload, download, bidir */
#define NOUT   2 /* complete, failed */

static const double duration_buckets[] = {1, 5, 10, 30, 60, 120, 300};
#define NBUCKETS (sizeof(duration_buckets) / sizeof(duration_buckets[0]))

/* A running test: its result (identity) and the bytes already counted for it. */
struct metrics_test {
	const struct xfr_result *res;
	unsigned long long counted;
};

struct metrics_reg {
	pthread_mutex_t lock;
	struct metrics_test *active;
	size_t nactive, cap;
	unsigned long long started, finished;
	unsigned long long tests[NPROTO][NDIR][NOUT];
	unsigned long long bytes[NPROTO][NDIR];
	double last_Bps[NPROTO][NDIR]; /* bytes/s; NAN: no test finished yet */
	unsigned long long dur_buckets[NBUCKETS], dur_count;
	double dur_sum;
	unsigned long long tcp_retransmits;
	double last_rtt_s; /* NAN: none yet */
	unsigned long long udp_sent, udp_received, udp_lost, udp_rcvbuf_drops, udp_out_of_order;
	double last_jitter_s;
	unsigned long long xdp_packets, xdp_bytes;
	unsigned nreasons;
	struct {
		char name[40];
		unsigned long long packets;
	} drops[METRICS_MAX_REASONS];
};

struct metrics_reg *metrics_reg_new(void)
{
	struct metrics_reg *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	for (int p = 0; p < NPROTO; p++)
		for (int d = 0; d < NDIR; d++)
			m->last_Bps[p][d] = NAN;
	m->last_rtt_s = m->last_jitter_s = NAN;
	return m;
}

void metrics_reg_free(struct metrics_reg *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->active);
	free(m);
}

static struct metrics_test *find_test(struct metrics_reg *m, const struct xfr_result *res)
{
	for (size_t i = 0; i < m->nactive; i++) {
		if (m->active[i].res == res)
			return &m->active[i];
	}
	return NULL;
}

static void test_started(struct metrics_reg *m, const struct xfr_result *res)
{
	struct metrics_test *a;

	m->started++;
	if (find_test(m, res))
		return;
	if (m->nactive == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;

		a = realloc(m->active, cap * sizeof(*a));
		if (!a)
			return; /* not tracked: its bytes count at its end only */
		m->active = a;
		m->cap = cap;
	}
	m->active[m->nactive++] = (struct metrics_test){res, 0};
}

static unsigned long long flows_bytes(const struct xfr_flow *f, uint32_t n)
{
	unsigned long long sum = 0;

	for (uint32_t i = 0; i < n; i++)
		sum += result_flow_bytes(&f[i]);
	return sum;
}

static unsigned proto_ix(const struct xfr_result *r)
{
	return r->proto < NPROTO ? (unsigned)r->proto : 0;
}

static unsigned dir_ix(const struct xfr_result *r)
{
	return r->dir < NDIR ? (unsigned)r->dir : 0;
}

static void interval(struct metrics_reg *m, const struct xfr_event *ev)
{
	struct metrics_test *t = ev->res ? find_test(m, ev->res) : NULL;
	unsigned long long b;

	if (!t || !ev->iv)
		return;
	b = flows_bytes(ev->iv->flows, ev->iv->nflows);
	t->counted += b;
	m->bytes[proto_ix(ev->res)][dir_ix(ev->res)] += b;
}

static bool reason_ok(const char *r)
{
	if (!*r || strlen(r) >= 40)
		return false;
	for (; *r; r++) {
		if (!((*r >= 'A' && *r <= 'Z') || (*r >= '0' && *r <= '9') || *r == '_'))
			return false;
	}
	return true;
}

/*
 * Kernel drop reasons: names of [A-Z0-9_] (anything else is "OTHER"), at most
 * METRICS_MAX_REASONS label values; the last slot is kept for "OTHER".
 */
static void add_drop(struct metrics_reg *m, const char *reason, unsigned long long packets)
{
	const char *name = reason_ok(reason) ? reason : "OTHER";
	unsigned i;

	for (;;) {
		for (i = 0; i < m->nreasons; i++) {
			if (!strcmp(m->drops[i].name, name))
				break;
		}
		if (i < m->nreasons || m->nreasons < METRICS_MAX_REASONS - 1 ||
		    !strcmp(name, "OTHER"))
			break;
		name = "OTHER";
	}
	if (i == m->nreasons) {
		snprintf(m->drops[i].name, sizeof(m->drops[i].name), "%s", name);
		m->nreasons++;
	}
	m->drops[i].packets += packets;
}

static void flow_figures(struct metrics_reg *m, const struct xfr_flow *f)
{
	if (f->has_tcp)
		m->tcp_retransmits += f->tcp.retransmits;
	if (f->has_udp_tx)
		m->udp_sent += f->udp.packets_sent;
	if (f->has_udp_rx) {
		m->udp_received += f->udp.packets_received;
		m->udp_lost += f->udp.lost;
		m->udp_rcvbuf_drops += f->udp.rcvbuf_drops;
		m->udp_out_of_order += f->udp.out_of_order;
	}
	if (f->has_xdp) {
		m->xdp_packets += f->xdp_packets;
		m->xdp_bytes += f->xdp_bytes;
	}
	for (uint32_t i = 0; f->has_drops_rx && i < f->drops_rx.n; i++)
		add_drop(m, f->drops_rx.d[i].reason, f->drops_rx.d[i].packets);
	for (uint32_t i = 0; f->has_drops_tx && i < f->drops_tx.n; i++)
		add_drop(m, f->drops_tx.d[i].reason, f->drops_tx.d[i].packets);
}

static void whole_test(struct metrics_reg *m, const struct xfr_result *r, bool complete)
{
	unsigned p = proto_ix(r), d = dir_ix(r);
	struct xfr_flow sum;

	m->tests[p][d][complete ? 0 : 1]++;
	for (uint32_t i = 0; i < r->nflows; i++)
		flow_figures(m, &r->flows[i]);
	if (!complete || r->duration_s <= 0)
		return;
	m->last_Bps[p][d] = (double)flows_bytes(r->flows, r->nflows) / r->duration_s;
	for (size_t i = 0; i < NBUCKETS; i++)
		m->dur_buckets[i] += r->duration_s <= duration_buckets[i];
	m->dur_count++;
	m->dur_sum += r->duration_s;
	result_sum(r->flows, r->nflows, RESULT_DIR_ALL, &sum);
	if (sum.has_tcp && sum.tcp.rtt_us)
		m->last_rtt_s = sum.tcp.rtt_us / 1e6;
	if (sum.has_udp_rx)
		m->last_jitter_s = sum.udp.jitter_ms / 1e3;
}

/* The end of a test (or its error): what the intervals did not count, then the totals. */
static void test_finished(struct metrics_reg *m, const struct xfr_event *ev, bool complete)
{
	struct metrics_test *t = ev->res ? find_test(m, ev->res) : NULL;
	unsigned long long total;

	if (!t) /* an error before the test started, or its second ending */
		return;
	total = flows_bytes(ev->res->flows, ev->res->nflows);
	if (total > t->counted)
		m->bytes[proto_ix(ev->res)][dir_ix(ev->res)] += total - t->counted;
	*t = m->active[--m->nactive];
	m->finished++;
	if (!ev->res->mtu) /* an MTU probe is not a throughput test */
		whole_test(m, ev->res, complete);
}

void metrics_reg_event(struct metrics_reg *m, const struct xfr_event *ev)
{
	pthread_mutex_lock(&m->lock);
	switch (ev->type) {
	case XFR_EV_TEST_START:
		if (ev->res)
			test_started(m, ev->res);
		break;
	case XFR_EV_INTERVAL:
		interval(m, ev);
		break;
	case XFR_EV_TEST_END:
		test_finished(m, ev, ev->why && !strcmp(ev->why, "complete") && !ev->res->error[0]);
		break;
	case XFR_EV_ERROR:
		test_finished(m, ev, false);
		break;
	case XFR_EV_NOTICE:
		break;
	}
	pthread_mutex_unlock(&m->lock);
}

unsigned long metrics_reg_finished(struct metrics_reg *m)
{
	unsigned long n;

	pthread_mutex_lock(&m->lock);
	n = (unsigned long)m->finished;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* ---- the exposition format ---- */

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void per_test_kind(FILE *f, const char *name, const unsigned long long v[NPROTO][NDIR])
{
	for (int p = 0; p < NPROTO; p++)
		for (int d = 0; d < NDIR; d++)
			fprintf(f, "%s{protocol=\"%s\",direction=\"%s\"} %llu\n", name,
				xfr_proto_name((enum xfr_proto)p), xfr_dir_name((enum xfr_dir)d),
				v[p][d]);
}

static void render_tests(FILE *f, const struct metrics_reg *m)
{
	static const char *const outcome[NOUT] = {"complete", "failed"};

	head(f, "xfr_active_tests", "gauge", "Tests running now.");
	fprintf(f, "xfr_active_tests %zu\n", m->nactive);
	head(f, "xfr_tests_started_total", "counter", "Tests that started.");
	fprintf(f, "xfr_tests_started_total %llu\n", m->started);
	head(f, "xfr_tests_total", "counter", "Tests that ended, by outcome.");
	for (int p = 0; p < NPROTO; p++)
		for (int d = 0; d < NDIR; d++)
			for (int o = 0; o < NOUT; o++)
				fprintf(f,
					"xfr_tests_total{protocol=\"%s\",direction=\"%s\","
					"outcome=\"%s\"} %llu\n",
					xfr_proto_name((enum xfr_proto)p),
					xfr_dir_name((enum xfr_dir)d), outcome[o],
					m->tests[p][d][o]);
	head(f, "xfr_bytes_total", "counter",
	     "Payload bytes moved by tests (the receiver's count), live during a test.");
	per_test_kind(f, "xfr_bytes_total", m->bytes);
}

/* A gauge of the last test: no sample until there was one. */
static void last_gauge(FILE *f, const char *name, double v)
{
	if (!isnan(v))
		fprintf(f, "%s %.9g\n", name, v);
}

static void render_last(FILE *f, const struct metrics_reg *m)
{
	head(f, "xfr_last_test_throughput_bytes_per_second", "gauge",
	     "Payload bytes per second of the last complete test of each kind.");
	for (int p = 0; p < NPROTO; p++)
		for (int d = 0; d < NDIR; d++) {
			char name[160];

			snprintf(name, sizeof(name),
				 "xfr_last_test_throughput_bytes_per_second{protocol=\"%s\","
				 "direction=\"%s\"}",
				 xfr_proto_name((enum xfr_proto)p), xfr_dir_name((enum xfr_dir)d));
			last_gauge(f, name, m->last_Bps[p][d]);
		}
	head(f, "xfr_test_duration_seconds", "histogram", "Measured length of complete tests.");
	for (size_t i = 0; i < NBUCKETS; i++)
		fprintf(f, "xfr_test_duration_seconds_bucket{le=\"%g\"} %llu\n",
			duration_buckets[i], m->dur_buckets[i]);
	fprintf(f, "xfr_test_duration_seconds_bucket{le=\"+Inf\"} %llu\n", m->dur_count);
	fprintf(f, "xfr_test_duration_seconds_sum %.9g\n", m->dur_sum);
	fprintf(f, "xfr_test_duration_seconds_count %llu\n", m->dur_count);
	head(f, "xfr_last_test_tcp_rtt_seconds", "gauge",
	     "Smoothed RTT of the last complete TCP test (mean over its flows).");
	last_gauge(f, "xfr_last_test_tcp_rtt_seconds", m->last_rtt_s);
	head(f, "xfr_last_test_udp_jitter_seconds", "gauge",
	     "RFC 3550 jitter of the last complete UDP test (mean over its flows).");
	last_gauge(f, "xfr_last_test_udp_jitter_seconds", m->last_jitter_s);
}

static void counter(FILE *f, const char *name, const char *help, unsigned long long v)
{
	head(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, v);
}

static void render_counts(FILE *f, const struct metrics_reg *m)
{
	counter(f, "xfr_tcp_retransmits_total", "TCP segments retransmitted by test senders.",
		m->tcp_retransmits);
	counter(f, "xfr_udp_packets_sent_total", "UDP test datagrams sent.", m->udp_sent);
	counter(f, "xfr_udp_packets_received_total", "UDP test datagrams received.",
		m->udp_received);
	counter(f, "xfr_udp_packets_lost_total", "UDP test datagrams lost (sequence gaps).",
		m->udp_lost);
	counter(f, "xfr_udp_packets_out_of_order_total", "UDP test datagrams out of order.",
		m->udp_out_of_order);
	counter(f, "xfr_udp_rcvbuf_drops_total",
		"UDP test datagrams dropped by a full socket receive buffer.", m->udp_rcvbuf_drops);
	counter(f, "xfr_xdp_packets_total", "Test packets counted by the XDP receiver.",
		m->xdp_packets);
	counter(f, "xfr_xdp_bytes_total", "Test bytes counted by the XDP receiver.", m->xdp_bytes);
	head(f, "xfr_kernel_drops_total", "counter",
	     "Test packets the kernel dropped, by kfree_skb reason (--drop-reasons).");
	for (unsigned i = 0; i < m->nreasons; i++) {
		fputs("xfr_kernel_drops_total{reason=\"", f);
		label_value(f, m->drops[i].name);
		fprintf(f, "\"} %llu\n", m->drops[i].packets);
	}
}

char *metrics_reg_render(struct metrics_reg *m, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	head(f, "xfr_build_info", "gauge", "The xfr version serving these metrics.");
	fprintf(f, "xfr_build_info{version=\"%s\"} 1\n", XFR_VERSION);
	pthread_mutex_lock(&m->lock);
	render_tests(f, m);
	render_last(f, m);
	render_counts(f, m);
	pthread_mutex_unlock(&m->lock);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
