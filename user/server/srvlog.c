// SPDX-License-Identifier: MIT
/*
 * The server's log of its tests, a sink of the run's events: one line when a
 * test starts (what was asked, what the server grants) and one when it ends
 * (how it ended, its real duration, this side's figures). docs/OUTPUT.md
 * ("The server's log") describes every line; tests/integration/test_server.sh
 * checks them against the client's result.
 */
#include <stdlib.h>

#include "base/log.h"
#include "server/server_priv.h"
#include "units.h"

struct srvlog {
	struct xfr_sink sink;
	const struct xfr_config *cfg;
};

const char *srvlog_cap_name(const struct xfr_config *cfg)
{
	return cfg->max_duration_s && cfg->max_duration_s <= XFR_MAX_DURATION
		       ? "--max-duration"
		       : "the server's hard limit";
}

/* "10 s", "5 s (asked 60 s; server cap, --max-duration)", and -n's "N bytes (byte budget), ...". */
static void granted(const struct srvlog *l, const struct xfr_result *r, char *buf, size_t len)
{
	uint32_t t = r->duration_granted_s, asked = r->duration_req_s;
	int n = 0;

	if (r->bytes_req)
		n = snprintf(buf, len, "%llu bytes (byte budget), at most ",
			     (unsigned long long)r->bytes_req);
	if (asked && asked == t)
		snprintf(buf + n, len - (size_t)n, "%u s", t);
	else if (asked)
		snprintf(buf + n, len - (size_t)n, "%u s (asked %u s; server cap, %s)", t, asked,
			 srvlog_cap_name(l->cfg));
	else
		snprintf(buf + n, len - (size_t)n, "%u s (no limit asked; server cap, %s)", t,
			 srvlog_cap_name(l->cfg));
}

static void log_start(const struct srvlog *l, const struct xfr_event *ev)
{
	const struct xfr_result *r = ev->res;
	char what[160];

	granted(l, r, what, sizeof(what));
	if (r->mtu) {
		pr_info("%s: test %s: MTU probe (UDP), answering probes for %s", ev->peer, r->id,
			what);
		return;
	}
	pr_info("%s: test %s: %s, %u stream%s, %s, %s", ev->peer, r->id,
		r->proto == XFR_PROTO_UDP    ? "UDP"
		: r->proto == XFR_PROTO_QUIC ? "QUIC"
					     : "TCP",
		r->streams, r->streams > 1 ? "s" : "", xfr_dir_name(r->dir), what);
}

/*
 * UDP: what this side received (client -> server flows: receiver loss as
 * lost/(received + lost), as the client's summary computes it, and jitter)
 * and what it sent (server -> client: the client measures that loss).
 */
static void udp_figures(const struct xfr_result *r, char *buf, size_t len)
{
	struct xfr_flow up, down;
	uint64_t total;
	int n = 0;

	buf[0] = '\0';
	result_sum(r->flows, r->nflows, RESULT_DIR_UP, &up);
	result_sum(r->flows, r->nflows, RESULT_DIR_DOWN, &down);
	if (r->dir != XFR_DIR_DOWNLOAD && up.has_udp_rx) {
		total = up.udp.packets_received + up.udp.lost;
		n = snprintf(buf, len,
			     "; received %llu datagrams, lost %llu/%llu (%.2f %%), jitter %.3f ms",
			     (unsigned long long)up.udp.packets_received,
			     (unsigned long long)up.udp.lost, (unsigned long long)total,
			     total ? (double)up.udp.lost * 100.0 / (double)total : 0.0,
			     up.udp.jitter_ms);
	}
	if (r->dir != XFR_DIR_UPLOAD && down.has_udp_tx && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n,
			 "; sent %llu datagrams (the client measures their loss)",
			 (unsigned long long)down.udp.packets_sent);
}

static void log_probe_end(const struct xfr_event *ev)
{
	const struct xfr_result *r = ev->res;
	const struct xfr_mtu_result *m = r->mtu;

	if (!m->forward_max_payload) {
		pr_info("%s: test %s MTU probe %s after %.2f s: no probe arrived", ev->peer, r->id,
			ev->why, r->duration_s);
		return;
	}
	pr_info("%s: test %s MTU probe %s after %.2f s: %u probe size%s arrived, the largest "
		"%u bytes of UDP payload (client -> server path MTU at least %u)",
		ev->peer, r->id, ev->why, r->duration_s, m->nsizes, m->nsizes == 1 ? "" : "s",
		m->forward_max_payload, m->forward_path_mtu);
}

static void log_end(const struct xfr_event *ev)
{
	const struct xfr_result *r = ev->res;
	uint64_t bytes = 0;
	char rate[32], size[32], udp[200] = "";

	if (r->mtu) {
		log_probe_end(ev);
		return;
	}
	for (uint32_t i = 0; i < r->nflows; i++)
		bytes += result_flow_bytes(&r->flows[i]);
	if (r->proto == XFR_PROTO_UDP)
		udp_figures(r, udp, sizeof(udp));
	pr_info("%s: test %s %s: %s, %s in %.2f s%s", ev->peer, r->id, ev->why,
		units_fmt_rate(r->duration_s > 0 ? (double)bytes * 8.0 / r->duration_s : 0.0, rate,
			       sizeof(rate)),
		units_fmt_bytes(bytes, size, sizeof(size)), r->duration_s, udp);
}

static void srvlog_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	const struct srvlog *l = s->priv;

	if (ev->role != XFR_ROLE_SERVER || !ev->res)
		return;
	if (ev->type == XFR_EV_TEST_START)
		log_start(l, ev);
	else if (ev->type == XFR_EV_TEST_END)
		log_end(ev);
}

static void srvlog_free(struct xfr_sink *s)
{
	free(s->priv);
}

static const struct xfr_sink_ops srvlog_ops = {
	.name = "server log",
	.event = srvlog_event,
	.free = srvlog_free,
};

struct xfr_sink *srvlog_sink_new(const struct xfr_config *cfg)
{
	struct srvlog *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->cfg = cfg;
	l->sink = (struct xfr_sink){.ops = &srvlog_ops, .priv = l};
	return &l->sink;
}
