// SPDX-License-Identifier: MIT
/* The server dashboard's model, fed by the server's events (dash_view.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/text.h"
#include "timeutil.h"
#include "tui/dash_view.h"

void dash_view_reset(struct dash_view *d)
{
	memset(d, 0, sizeof(*d));
}

void dash_view_log(struct dash_view *d, double now_s, const char *fmt, ...)
{
	struct tui_log_line *l = &d->ev[d->nev++ % DASH_EVENTS];
	char raw[TUI_LOG_LEN * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	l->wall_us = time_real_us();
	l->t = now_s;
	text_sanitize(l->text, sizeof(l->text), raw, 0);
}

static struct dash_test *find(struct dash_view *d, const char *id)
{
	for (int i = 0; i < DASH_TESTS; i++)
		if (d->t[i].used && !strcmp(d->t[i].id, id))
			return &d->t[i];
	return NULL;
}

static void on_start(struct dash_view *d, const struct xfr_event *ev, double now)
{
	const struct xfr_result *r = ev->res;
	struct dash_test *t = NULL;

	d->started++;
	d->active++;
	for (int i = 0; i < DASH_TESTS && !t; i++)
		if (!d->t[i].used)
			t = &d->t[i];
	if (!t)
		d->overflow++;
	if (t) {
		memset(t, 0, sizeof(*t));
		t->used = true;
		snprintf(t->id, sizeof(t->id), "%s", r->id);
		text_sanitize(t->peer, sizeof(t->peer), ev->peer ? ev->peer : "", 0);
		t->proto = r->proto;
		t->dir = r->dir;
		t->streams = r->streams;
	}
	dash_view_log(d, now, "%s: test started, %s %s, %u stream%s", ev->peer ? ev->peer : "?",
		      xfr_proto_name(r->proto), xfr_dir_name(r->dir), r->streams,
		      r->streams == 1 ? "" : "s");
}

static void on_interval(struct dash_view *d, const struct xfr_event *ev)
{
	struct dash_test *t = find(d, ev->res->id);
	const struct xfr_interval *iv = ev->iv;
	double secs = iv->end_s - iv->start_s;
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < iv->nflows; i++) {
		const struct xfr_flow *f = &iv->flows[i];

		bytes += f->has_recv ? f->recv_bytes : f->sent_bytes;
	}
	d->bytes += bytes;
	if (!t || !(secs > 0))
		return;
	t->elapsed_s = iv->end_s;
	t->rate_bps = (double)bytes * 8 / secs;
	t->bytes += bytes;
}

static void on_end(struct dash_view *d, const struct xfr_event *ev, double now, bool error)
{
	struct dash_test *t = ev->res ? find(d, ev->res->id) : NULL;
	char who[64];

	text_sanitize(who, sizeof(who), ev->peer && ev->peer[0] ? ev->peer : "?", 0);
	if (error) {
		d->failed++;
		dash_view_log(d, now, "%s: error: %s", who, ev->text ? ev->text : "");
	} else {
		d->completed++;
		dash_view_log(d, now, "%s: test %s after %.1f s", who, ev->why ? ev->why : "ended",
			      ev->res ? ev->res->duration_s : 0);
	}
	if (t) {
		t->used = false;
		d->active--;
	} else if (ev->res && d->overflow) { /* one of those past DASH_TESTS */
		d->overflow--;
		d->active--;
	}
}

void dash_view_event(struct dash_view *d, const struct xfr_event *ev, double now)
{
	switch (ev->type) {
	case XFR_EV_TEST_START:
		if (ev->res)
			on_start(d, ev, now);
		break;
	case XFR_EV_INTERVAL:
		if (ev->res && ev->iv && !ev->iv->omitted)
			on_interval(d, ev);
		break;
	case XFR_EV_TEST_END:
		on_end(d, ev, now, false);
		break;
	case XFR_EV_ERROR:
		on_end(d, ev, now, true);
		break;
	case XFR_EV_NOTICE:
		if (ev->notice == XFR_NOTICE_REFUSED)
			d->refused++;
		else if (ev->notice == XFR_NOTICE_AUTH)
			d->auth_failed++;
		dash_view_log(d, now, "%s: %s", ev->peer && ev->peer[0] ? ev->peer : "server",
			      ev->text ? ev->text : "");
		break;
	}
}

double dash_view_rate(const struct dash_view *d)
{
	double sum = 0;

	for (int i = 0; i < DASH_TESTS; i++)
		if (d->t[i].used)
			sum += d->t[i].rate_bps;
	return sum;
}
