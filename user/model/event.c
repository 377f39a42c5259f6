// SPDX-License-Identifier: MIT
/* The sink list (see event.h). */
#include "model/event.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "util.h"

int sinks_add(struct xfr_sinks *l, struct xfr_sink *s)
{
	if (l->n >= XFR_MAX_SINKS) {
		s->ops->free(s);
		return -ENOSPC;
	}
	l->v[l->n++] = s;
	return 0;
}

void sinks_emit(const struct xfr_sinks *l, const struct xfr_event *ev)
{
	for (uint32_t i = 0; i < l->n; i++)
		l->v[i]->ops->event(l->v[i], ev);
}

int sinks_flush(const struct xfr_sinks *l)
{
	int err = 0, e;

	for (uint32_t i = 0; i < l->n; i++) {
		e = l->v[i]->ops->flush ? l->v[i]->ops->flush(l->v[i]) : 0;
		if (e && !err)
			err = e;
	}
	return err;
}

void sinks_free(struct xfr_sinks *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		l->v[i]->ops->free(l->v[i]);
	l->n = 0;
}

void sinks_notice(const struct xfr_sinks *l, enum xfr_role role, const struct xfr_result *res,
		  enum xfr_notice notice, const char *fmt, ...)
{
	struct xfr_event ev = {.type = XFR_EV_NOTICE, .role = role, .res = res, .notice = notice};
	char text[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ev.text = text;
	ev.peer = "";
	sinks_emit(l, &ev);
}

void sinks_error(const struct xfr_sinks *l, enum xfr_role role, const struct xfr_result *res,
		 const char *text)
{
	struct xfr_event ev = {
		.type = XFR_EV_ERROR, .role = role, .res = res, .text = text, .peer = ""};

	sinks_emit(l, &ev);
}

const char *xfr_notice_name(enum xfr_notice n)
{
	static const char *const names[] = {
		[XFR_NOTICE_ENGINE] = "engine", [XFR_NOTICE_RETRANSMITS] = "retransmits",
		[XFR_NOTICE_LOSS] = "loss",	[XFR_NOTICE_SINK_LOSS] = "sink_loss",
		[XFR_NOTICE_PEER] = "peer",	[XFR_NOTICE_REFUSED] = "refused",
		[XFR_NOTICE_AUTH] = "auth",
	};

	return (unsigned int)n < ARRAY_SIZE(names) ? names[n] : "?";
}
