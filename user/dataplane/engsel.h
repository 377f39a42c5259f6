/* SPDX-License-Identifier: MIT */
/*
 * Which engine runs: --engine auto|socket|xdp|afxdp against what this host
 * allows. Pure decision (engsel_decide) over facts gathered by engsel_probe,
 * so the rules are unit-tested without root. The reason is one line, for the
 * user: "engine xdp on veth0 (native XDP)", "engine socket: auto needs
 * CAP_BPF and CAP_NET_ADMIN (run as root or grant them)".
 */
#ifndef XFR_DATAPLANE_ENGSEL_H
#define XFR_DATAPLANE_ENGSEL_H

#include <stdbool.h>

#include "base/config.h"

struct engsel_facts {
	enum xfr_proto proto;
	bool have_iface; /* an interface was found (--iface or route) */
	char ifname[16];
	bool iface_up;
	bool iface_loopback; /* lo: XDP on lo sees nothing of veth flows; live frames cannot TX */
	bool cap_bpf, cap_net_admin, cap_net_raw;
	bool bpf_ok;   /* a trivial XDP program loaded (kernel + privileges + not locked down) */
	int bpf_errno; /* why not, when !bpf_ok */
	bool has_xdp_features; /* the kernel reports XDP features for the interface */
	bool xdp_native;
	bool live_frames_ok; /* BPF_F_TEST_XDP_LIVE_FRAMES accepted (kernel >= 5.18) */
	bool afxdp_ok;	     /* an AF_XDP socket could be created */
	int afxdp_errno;     /* why not, when !afxdp_ok */
};

struct engsel_choice {
	enum xfr_engine engine;
	enum xfr_xdp_mode mode; /* resolved receiver mode (never DEFAULT) when not socket */
	bool generic;		/* XDP will attach in generic (skb) mode: announced */
	bool fallback;		/* asked for more than we could give (auto or explicit) */
	char reason[160];	/* one line, no trailing newline */
};

/*
 * Decide. Explicit xdp/afxdp that cannot run is an error (-EPERM /
 * -EOPNOTSUPP, reason says why); auto falls back to socket with a reason.
 * TCP always runs on sockets (engine socket; BPF only observes), QUIC on the
 * quic engine.
 */
int engsel_decide(enum xfr_engine_req req, enum xfr_xdp_mode mode, const struct engsel_facts *f,
		  struct engsel_choice *c);

/*
 * Gather facts for @ifname on this host (loads and unloads a trivial XDP
 * program, until once the kernel took it, a live frame and an AF_XDP socket:
 * those answers are then remembered for the process).
 */
void engsel_probe(enum xfr_proto proto, const char *ifname, struct engsel_facts *f);

#endif /* XFR_DATAPLANE_ENGSEL_H */
