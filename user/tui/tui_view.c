// SPDX-License-Identifier: MIT
/* The client TUI's view model, fed by the run core's events (tui_view.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/text.h"
#include "timeutil.h"
#include "tui/tui_fmt.h"
#include "tui/tui_view.h"

void tui_view_reset(struct tui_view *v)
{
	memset(v, 0, sizeof(*v));
}

void tui_view_log(struct tui_view *v, const char *fmt, ...)
{
	struct tui_log_line *l = &v->log[v->nlog++ % TUI_LOG];
	char raw[TUI_LOG_LEN * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	l->wall_us = time_real_us();
	l->t = v->elapsed_s;
	text_sanitize(l->text, sizeof(l->text), raw, 0);
}

static void on_start(struct tui_view *v, const struct xfr_result *r)
{
	char eng[64];

	v->state = TUI_ST_RUNNING;
	text_sanitize(v->host, sizeof(v->host), r->host, 0);
	text_sanitize(v->server_version, sizeof(v->server_version), r->server_version, 0);
	snprintf(eng, sizeof(eng), "%s / %s", xfr_engine_name(r->engine),
		 r->server_engine[0] ? r->server_engine : "socket");
	text_sanitize(v->engine, sizeof(v->engine), eng, 0);
	v->proto = r->proto;
	v->dir = r->dir;
	v->streams = r->streams;
	v->duration_req_s = r->duration_granted_s ? r->duration_granted_s : r->duration_req_s;
	v->bytes_req = r->bytes_req;
	v->bitrate_req = r->bitrate_req;
	v->port = r->port;
}

static uint64_t delivered(const struct xfr_flow *s)
{
	return s->has_recv ? s->recv_bytes : s->sent_bytes;
}

/* Kernel data plane counts of the interval, added to the totals; drops merged by reason. */
static void add_kernel(struct tui_view *v, const struct xfr_flow *f)
{
	const struct xfr_drops *d[2] = {f->has_drops_tx ? &f->drops_tx : NULL,
					f->has_drops_rx ? &f->drops_rx : NULL};

	if (f->has_xdp) {
		v->has_xdp = true;
		v->xdp_sink = f->xdp_sink;
		v->xdp_sent += f->udp.packets_sent;
		v->xdp_xdp += f->xdp_packets;
		v->xdp_socket += f->xdp_sink ? 0 : f->udp.packets_received;
	}
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; d[k] && i < d[k]->n; i++) {
			char name[sizeof(v->drops.d[0].reason)];
			uint32_t j = 0;

			/* the peer's reason names are sanitised before they are compared */
			text_sanitize(name, sizeof(name), d[k]->d[i].reason, 0);
			while (j < v->drops.n && strcmp(v->drops.d[j].reason, name))
				j++;
			if (j == v->drops.n && j < XFR_MAX_DROP_REASONS) {
				v->drops.n++;
				memcpy(v->drops.d[j].reason, name, sizeof(name));
			}
			if (j < v->drops.n)
				v->drops.d[j].packets += d[k]->d[i].packets;
		}
	result_drops_sort(v->drops.d, v->drops.n);
}

static void add_jitter(struct tui_view *v, double t, double jit)
{
	uint32_t cap = sizeof(v->jit_t) / sizeof(v->jit_t[0]);

	v->jit_t[v->njit % cap] = t;
	v->jit_v[v->njit % cap] = jit;
	v->njit++;
}

double tui_view_jitter_avg(const struct tui_view *v)
{
	uint32_t cap = sizeof(v->jit_t) / sizeof(v->jit_t[0]), n = 0;
	double sum = 0;

	for (uint32_t i = 0; i < cap && i < v->njit; i++) {
		uint32_t k = (v->njit - 1 - i) % cap;

		if (v->jit_t[k] <= v->elapsed_s - TUI_JITTER_WIN)
			break;
		sum += v->jit_v[k];
		n++;
	}
	return n ? sum / n : -1;
}

static void on_udp(struct tui_view *v, const struct xfr_flow *all)
{
	const struct xfr_udp_stats *u = &all->udp;

	v->has_udp = true;
	if (!all->has_udp_rx) {
		v->loss_known = false;
		return;
	}
	v->loss_known = true;
	v->jitter_ms = u->jitter_ms;
	add_jitter(v, v->elapsed_s, u->jitter_ms);
	v->loss_pct = u->packets_received + u->lost
			      ? (double)u->lost * 100 / (double)(u->packets_received + u->lost)
			      : 0;
	if (u->lost && !v->lost_total)
		tui_view_log(v, "first loss: %llu datagrams (%.2f%%)", (unsigned long long)u->lost,
			     v->loss_pct);
	v->lost_total += u->lost;
	v->recv_total += u->packets_received;
}

static void push_hist(struct tui_view *v, double rate)
{
	uint32_t k = v->nhist % TUI_HIST;

	v->hist[k] = rate;
	v->hist_loss[k] = v->has_udp && v->loss_known ? v->loss_pct : -1;
	v->nhist++;
	if (rate > v->peak * 1.05 && v->nhist > 3) {
		char buf[32];

		tui_view_log(v, "new peak %s",
			     tui_fmt_rate(buf, sizeof(buf), rate, TUI_UNITS_AUTO));
	}
	if (rate > v->peak)
		v->peak = rate;
}

static void on_interval(struct tui_view *v, const struct xfr_interval *iv)
{
	struct xfr_flow up, down, all;
	double secs = iv->end_s - iv->start_s;

	if (iv->omitted || !(secs > 0))
		return;
	v->elapsed_s = iv->end_s;
	v->iv_secs = secs;
	result_sum(iv->flows, iv->nflows, RESULT_DIR_UP, &up);
	result_sum(iv->flows, iv->nflows, RESULT_DIR_DOWN, &down);
	result_sum(iv->flows, iv->nflows, RESULT_DIR_ALL, &all);
	v->rate_up = (double)delivered(&up) * 8 / secs;
	v->rate_down = (double)delivered(&down) * 8 / secs;
	v->total_up += delivered(&up);
	v->total_down += delivered(&down);
	v->iv_bytes = delivered(&all);
	v->has_tcp = all.has_tcp;
	if (all.has_tcp) {
		v->rtt_ms = all.tcp.rtt_us / 1000.0;
		v->retx_iv = all.tcp.retransmits;
		v->retx_total += all.tcp.retransmits;
		v->cwnd_bytes = all.tcp.cwnd_bytes;
	}
	if (v->proto == XFR_PROTO_UDP)
		on_udp(v, &all);
	v->nstream_rates = 0;
	memset(v->stream_rate, 0, sizeof(v->stream_rate));
	for (uint32_t i = 0; i < iv->nflows; i++) {
		const struct xfr_flow *f = &iv->flows[i];

		if (f->stream >= XFR_MAX_STREAMS)
			continue;
		v->stream_rate[f->stream] += (double)delivered(f) * 8 / secs;
		if (f->stream + 1 > v->nstream_rates)
			v->nstream_rates = f->stream + 1;
		add_kernel(v, f);
	}
	push_hist(v, v->rate_up + v->rate_down);
}

void tui_view_event(struct tui_view *v, const struct xfr_event *ev)
{
	switch (ev->type) {
	case XFR_EV_TEST_START:
		if (ev->res)
			on_start(v, ev->res);
		tui_view_log(v, "test started");
		break;
	case XFR_EV_INTERVAL:
		if (ev->iv)
			on_interval(v, ev->iv);
		break;
	case XFR_EV_TEST_END:
		v->state = TUI_ST_DONE;
		v->paused = false;
		text_sanitize(v->why, sizeof(v->why), ev->why ? ev->why : "complete", 0);
		if (ev->res && ev->res->duration_s > 0)
			v->elapsed_s = ev->res->duration_s;
		tui_view_log(v, "test %s", v->why);
		break;
	case XFR_EV_ERROR:
		v->state = TUI_ST_ERROR;
		text_sanitize(v->error, sizeof(v->error), ev->text ? ev->text : "error", 0);
		tui_view_log(v, "error: %s", v->error);
		break;
	case XFR_EV_NOTICE:
		tui_view_log(v, "%s: %s", xfr_notice_name(ev->notice), ev->text ? ev->text : "");
		break;
	}
}

double tui_view_progress(const struct tui_view *v)
{
	double p;

	if (v->bytes_req)
		p = (double)(v->total_up + v->total_down) / (double)v->bytes_req;
	else if (v->duration_req_s)
		p = v->elapsed_s / v->duration_req_s;
	else
		return -1;
	if (v->state == TUI_ST_DONE && v->why[0] == 'c')
		p = 1;
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

bool tui_view_hist(const struct tui_view *v, uint32_t i, double *rate, double *loss)
{
	uint32_t k;

	if (i >= TUI_HIST || i >= v->nhist)
		return false;
	k = (uint32_t)((v->nhist - 1 - i) % TUI_HIST);
	*rate = v->hist[k];
	*loss = v->hist_loss[k];
	return true;
}
