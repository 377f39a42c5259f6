// SPDX-License-Identifier: MIT
/* One side's data plane: decide, then build (see dataplane.h). */
#include "dataplane/dataplane.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/netinfo.h"

static const char *const req_names[] = {
	[XFR_ENGINE_SOCKET] = "socket",
	[XFR_ENGINE_AUTO] = "auto",
	[XFR_ENGINE_XDP] = "xdp",
	[XFR_ENGINE_AFXDP] = "afxdp",
};

static const char *const mode_names[] = {
	[XFR_XDP_MODE_DEFAULT] = "",
	[XFR_XDP_MODE_DROP] = "drop",
	[XFR_XDP_MODE_PASS] = "pass",
	[XFR_XDP_MODE_REDIRECT] = "redirect",
};

const char *dataplane_req_name(enum xfr_engine_req r)
{
	return (unsigned int)r < sizeof(req_names) / sizeof(req_names[0]) ? req_names[r] : "?";
}

int dataplane_req_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(req_names) / sizeof(req_names[0]); i++)
		if (!strcmp(s, req_names[i]))
			return (int)i;
	return -1;
}

const char *dataplane_mode_name(enum xfr_xdp_mode m)
{
	return (unsigned int)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "";
}

int dataplane_mode_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i]))
			return (int)i;
	return -1;
}

/* The interface toward @peer: --iface, else the route's. "" when none. */
static void peer_iface(const char *iface, const struct sockaddr *peer, char out[16])
{
	struct netinfo_route r;

	out[0] = '\0';
	if (iface && iface[0]) {
		snprintf(out, 16, "%s", iface);
		return;
	}
	if (peer && !netinfo_route_get(peer, &r))
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
	if (req == XFR_ENGINE_SOCKET && proto != XFR_PROTO_TCP) {
		dp->engine = ENGSEL_SOCKET;
		return 0;
	}
	if (proto == XFR_PROTO_TCP) {
		/* TCP data stays on sockets; with auto BPF adds per-flow RTT when allowed. */
		dp->engine = ENGSEL_SOCKET;
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

struct engine *dataplane_engine(struct dataplane *dp, struct engine_params *p, char *why,
				size_t whylen)
{
	struct engine *e, *m;
	int err;

	p->drop_reasons = dp->drop_reasons;
	p->bpf_tcp = dp->bpf_tcp;
	if (dp->engine != ENGSEL_SOCKET) {
		p->kind = dp->engine == ENGSEL_XDP ? XFR_ENGINE_XDP : XFR_ENGINE_AFXDP;
		p->xdp_mode = dp->mode;
		snprintf(p->iface, sizeof(p->iface), "%s", dp->iface);
		p->queues = dp->queues;
	}
	e = engine_new(dp->engine == ENGSEL_SOCKET ? &engine_sock_ops : &engine_xdp_ops);
	if (!e) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	err = e->ops->init(e, p);
	if (err) {
		snprintf(why, whylen, "cannot start the %s engine: %s", engsel_name(dp->engine),
			 strerror(-err));
		e->ops->destroy(e);
		errno = -err;
		return NULL;
	}
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
