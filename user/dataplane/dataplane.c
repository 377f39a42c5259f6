// SPDX-License-Identifier: MIT
/* One side's data plane: decide, then build (see dataplane.h). */
#include "dataplane/dataplane.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/net.h"
#include "base/netfeat.h"
#include "base/netinfo.h"
#include "util.h"

/* The interface toward @peer: --iface, else the route's. "" when none. */
static void peer_iface(const char *iface, const struct sockaddr *peer, char out[16])
{
	struct netinfo_route r;
	struct sockaddr_storage ss;

	out[0] = '\0';
	if (iface && iface[0]) {
		snprintf(out, 16, "%s", iface);
		return;
	}
	if (!peer)
		return;
	/* A dual-stack server sees IPv4 clients as ::ffff:a.b.c.d: route the IPv4 address. */
	memcpy(&ss, peer,
	       peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in));
	net_unmap_v4(&ss);
	if (!netinfo_route_get((const struct sockaddr *)&ss, &r))
		snprintf(out, 16, "%s", r.ifname);
}

int dataplane_decide(enum xfr_engine_req req, enum xfr_xdp_mode mode, enum xfr_proto proto,
		     const char *iface, uint32_t queues, bool drop_reasons,
		     const struct sockaddr *peer, struct dataplane *dp)
{
	struct engsel_facts f;
	struct engsel_choice c;
	struct netinfo_caps caps;
	int err;

	memset(dp, 0, sizeof(*dp));
	dp->drop_reasons = drop_reasons;
	dp->queues = queues;
	dp->mode = mode;
	if (req == XFR_ENGINE_SOCKET && proto == XFR_PROTO_UDP) {
		dp->engine = XFR_ENG_SOCKET;
		return 0;
	}
	if (proto == XFR_PROTO_QUIC) {
		dp->engine = XFR_ENG_QUIC;
		if (req != XFR_ENGINE_SOCKET && req != XFR_ENGINE_AUTO)
			snprintf(dp->note, sizeof(dp->note),
				 "engine quic: QUIC runs on its own engine");
		return 0;
	}
	if (proto == XFR_PROTO_TCP) {
		/* TCP data stays on sockets; with auto BPF adds per-flow RTT when allowed. */
		dp->engine = XFR_ENG_SOCKET;
		if (req == XFR_ENGINE_SOCKET)
			return 0;
		netinfo_caps_get(&caps);
		dp->bpf_tcp = caps.bpf && caps.perfmon;
		snprintf(dp->note, sizeof(dp->note), "engine socket: TCP data runs on sockets%s",
			 dp->bpf_tcp ? ", BPF adds per-flow RTT"
				     : " (no CAP_BPF/CAP_PERFMON for BPF RTT)");
		return 0;
	}
	peer_iface(iface, peer, dp->iface);
	engsel_probe(proto, dp->iface, &f);
	err = engsel_decide(req, mode, &f, &c);
	snprintf(dp->note, sizeof(dp->note), "%s", c.reason);
	if (err)
		return err;
	dp->engine = c.engine;
	dp->mode = c.mode;
	return 0;
}

bool dataplane_gso_whole(const struct sockaddr *peer, char *ifname)
{
	bool uso = false;

	peer_iface(NULL, peer, ifname);
	return ifname[0] && netfeat_virtual(ifname) &&
	       !netfeat_active(ifname, "tx-udp-segmentation", &uso) && uso;
}

static bool kernel_receiver(const char *engine)
{
	return !strcmp(engine, "xdp") || !strcmp(engine, "afxdp");
}

bool dataplane_fit_peer(struct dataplane *dp, const char *peer_engine, bool sends)
{
	struct engsel_facts f;
	struct engsel_choice c;

	if (dp->engine != XFR_ENG_XDP || !sends || kernel_receiver(peer_engine))
		return false;
	engsel_probe(XFR_PROTO_UDP, dp->iface, &f);
	if (!engsel_decide(XFR_ENGINE_AFXDP, dp->mode, &f, &c)) {
		dp->engine = c.engine;
		dp->mode = c.mode;
		snprintf(
			dp->note, sizeof(dp->note),
			"engine afxdp on %s (auto): the peer receives on sockets, which live frames may never reach",
			dp->iface);
		return true;
	}
	dp->engine = XFR_ENG_SOCKET;
	snprintf(
		dp->note, sizeof(dp->note),
		"engine socket (auto): the peer receives on sockets, which live frames may never reach, and AF_XDP is unavailable");
	return true;
}

/*
 * The engines this build has, keyed by (engine, protocol). A missing entry
 * (ops NULL) says why in one line; QUIC plugs in here when quic/ is built.
 */
struct engine_entry {
	enum xfr_engine engine;
	const struct engine_ops *ops;
	unsigned int protos; /* 1 << enum xfr_proto it carries */
	const char *missing; /* ops NULL: why */
};

#define P(x) (1u << XFR_PROTO_##x)
static const struct engine_entry engines[] = {
	{XFR_ENG_SOCKET, &engine_sock_ops, P(TCP) | P(UDP), NULL},
	{XFR_ENG_XDP, &engine_xdp_ops, P(UDP), NULL},
	{XFR_ENG_AFXDP, &engine_xdp_ops, P(UDP), NULL},
	{XFR_ENG_QUIC, &engine_quic_ops, P(QUIC), NULL},
};
#undef P

static const struct engine_entry *engine_entry(enum xfr_engine e)
{
	for (size_t i = 0; i < ARRAY_SIZE(engines); i++)
		if (engines[i].engine == e)
			return &engines[i];
	return NULL;
}

const char *dataplane_missing(enum xfr_engine e, enum xfr_proto proto)
{
	const struct engine_entry *en = engine_entry(e);

	if (!en)
		return "unknown engine";
	if (!(en->protos & (1u << proto)))
		return "does not carry this protocol";
	return en->ops ? NULL : en->missing;
}

/* The engine for @dp, initialised with @p: NULL with errno and @why. */
static struct engine *engine_build(struct dataplane *dp, const struct engine_params *p, char *why,
				   size_t whylen)
{
	const char *missing = dataplane_missing(dp->engine, p->proto);
	struct engine *e;
	int err;

	if (missing) {
		snprintf(why, whylen, "engine %s, protocol %s: %s", xfr_engine_name(dp->engine),
			 xfr_proto_name(p->proto), missing);
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	e = engine_new(engine_entry(dp->engine)->ops);
	if (!e) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	err = e->ops->init(e, p);
	if (err) {
		snprintf(why, whylen, "engine %s: %s", xfr_engine_name(dp->engine),
			 engine_last_error(e) ?: strerror(-err));
		e->ops->destroy(e);
		errno = -err;
		return NULL;
	}
	return e;
}

/* What @dp makes of the engine parameters (kind, mode, interface, observers). */
static void params_fill(const struct dataplane *dp, struct engine_params *p)
{
	p->drop_reasons = dp->drop_reasons;
	p->bpf_tcp = dp->bpf_tcp;
	p->engine = dp->engine;
	if (dp->engine == XFR_ENG_XDP || dp->engine == XFR_ENG_AFXDP) {
		p->xdp_mode = dp->mode;
		snprintf(p->iface, sizeof(p->iface), "%s", dp->iface);
		p->queues = dp->queues;
	}
}

size_t dataplane_mem_estimate(const struct dataplane *dp, const struct engine_params *p, bool send,
			      bool recv)
{
	const struct engine_entry *en = engine_entry(dp->engine);
	struct engine_params q = *p;

	params_fill(dp, &q);
	if (!en || !en->ops || !en->ops->mem_estimate)
		return 0;
	return en->ops->mem_estimate(&q, send, recv) +
	       engine_mon_mem_estimate(q.drop_reasons, q.bpf_tcp);
}

struct engine *dataplane_engine(struct dataplane *dp, struct engine_params *p, char *why,
				size_t whylen)
{
	struct engine *e, *m;
	int err;

	params_fill(dp, p);
	e = engine_build(dp, p, why, whylen);
	if (!e)
		return NULL;
	if (!dp->drop_reasons && !dp->bpf_tcp)
		return e;
	m = engine_mon_new(e, dp->drop_reasons, dp->bpf_tcp, why, whylen);
	if (m)
		return m;
	if (dp->drop_reasons) {
		err = errno;
		e->ops->destroy(e);
		errno = err;
		return NULL;
	}
	/* BPF RTT is a bonus of auto: go on without it. */
	pr_info("engine: no BPF TCP figures: %s", why);
	dp->bpf_tcp = false;
	return e;
}
