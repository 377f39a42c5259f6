// SPDX-License-Identifier: MIT
/* The registry fed by events; the endpoint and the pusher started and stopped with the sink. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "metrics/http.h"
#include "metrics/push.h"
#include "metrics/registry.h"
#include "metrics/sink.h"

struct metrics_sink {
	struct xfr_sink sink;
	struct metrics_reg *reg;
	struct metrics_http *http;
	struct metrics_push *push;
};

static void on_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	struct metrics_sink *m = s->priv;
	unsigned long before = m->push ? metrics_reg_finished(m->reg) : 0;

	metrics_reg_event(m->reg, ev);
	if (m->push && metrics_reg_finished(m->reg) != before)
		metrics_push_kick(m->push);
}

static void on_free(struct xfr_sink *s)
{
	struct metrics_sink *m = s->priv;

	metrics_http_stop(m->http);
	metrics_push_stop(m->push); /* the last push, if one is pending */
	metrics_reg_free(m->reg);
	free(m);
}

static const struct xfr_sink_ops metrics_ops = {
	.name = "metrics",
	.event = on_event,
	.free = on_free,
};

/* "host:port" naming a server at the gateway, "host" a client. */
static void instance_name(const struct xfr_config *cfg, enum xfr_role role, char *buf, size_t len)
{
	char host[128];

	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "xfr");
	host[sizeof(host) - 1] = '\0';
	if (role == XFR_ROLE_SERVER)
		snprintf(buf, len, "%s:%u", host, cfg->port);
	else
		snprintf(buf, len, "%s", host);
}

static int start(struct metrics_sink *m, const struct xfr_config *cfg, enum xfr_role role)
{
	char why[300], inst[160];

	m->reg = metrics_reg_new();
	if (!m->reg)
		return -ENOMEM;
	if (cfg->prometheus_port && role == XFR_ROLE_SERVER) {
		m->http = metrics_http_start(m->reg, cfg->prometheus_bind, cfg->prometheus_port,
					     why, sizeof(why));
		if (!m->http) {
			pr_err("%s", why);
			return -errno;
		}
		pr_info("Prometheus metrics on http://%s%s%s:%u/metrics",
			strchr(cfg->prometheus_bind, ':') ? "[" : "", cfg->prometheus_bind,
			strchr(cfg->prometheus_bind, ':') ? "]" : "", cfg->prometheus_port);
	}
	if (cfg->push_gateway[0]) {
		instance_name(cfg, role, inst, sizeof(inst));
		m->push = metrics_push_start(m->reg, cfg->push_gateway,
					     role == XFR_ROLE_SERVER ? "xfr" : "xfr_client", inst,
					     why, sizeof(why));
		if (!m->push) {
			pr_err("%s", why);
			return -EINVAL;
		}
	}
	return 0;
}

int metrics_sink_add(struct xfr_sinks *l, const struct xfr_config *cfg, enum xfr_role role)
{
	struct metrics_sink *m;
	int err;

	if (!cfg->prometheus_port && !cfg->push_gateway[0])
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->sink = (struct xfr_sink){&metrics_ops, m};
	err = start(m, cfg, role);
	if (err) {
		on_free(&m->sink);
		return err;
	}
	return sinks_add(l, &m->sink);
}
