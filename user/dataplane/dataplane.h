/* SPDX-License-Identifier: MIT */
/*
 * One side's data plane for one test: which engine runs (engsel.h's decision
 * for the interface toward the peer), which observers ride along (drop
 * reasons, BPF TCP figures), and the engine built from that. Shared by the
 * client and the server so both decide and say it the same way.
 */
#ifndef XFR_DATAPLANE_DATAPLANE_H
#define XFR_DATAPLANE_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "base/config.h"
#include "engine/engine.h"
#include "dataplane/engsel.h"

struct dataplane {
	enum xfr_engine engine;
	enum xfr_xdp_mode mode;
	bool drop_reasons;
	bool bpf_tcp;
	char iface[16];
	uint32_t queues;
	char note[160]; /* one line: what runs and why ("" = sockets as asked) */
};

/*
 * Decide for this side. @peer: the other end (the route to it names the
 * interface unless @iface is set). Returns 0, or -EPERM / -EOPNOTSUPP with
 * dp->note holding the one-line reason when an explicit xdp/afxdp cannot run.
 */
int dataplane_decide(enum xfr_engine_req req, enum xfr_xdp_mode mode, enum xfr_proto proto,
		     const char *iface, uint32_t queues, bool drop_reasons,
		     const struct sockaddr *peer, struct dataplane *dp);

/*
 * Auto chose live frames (engine xdp) for a side that sends (@sends): they
 * are counted only by a kernel receiver on the peer (@peer_engine "xdp" or
 * "afxdp"). A socket receiver ("socket", "" or anything else) may never see
 * them (veth drops frames redirected to a peer without XDP), so the sender
 * becomes AF_XDP, whose frames cross as packets, or sockets. Returns true
 * when @dp changed (its note says why).
 */
bool dataplane_fit_peer(struct dataplane *dp, const char *peer_engine, bool sends);

/*
 * A UDP socket sender toward @peer whose GSO batches cross whole: the route's
 * interface is virtual (veth, lo: no device behind it) and keeps
 * tx-udp-segmentation on, so a batch reaches the peer as one buffer, never as
 * one frame per datagram. Copies the interface's name to @ifname (16 bytes).
 */
bool dataplane_gso_whole(const struct sockaddr *peer, char *ifname);

/*
 * Build the engine for @dp with @p (kind, mode, iface, queues and the
 * observer flags are filled from dp) and init it. NULL with errno and a
 * one-line reason in @why.
 */
struct engine *dataplane_engine(struct dataplane *dp, struct engine_params *p, char *why,
				size_t whylen);

/*
 * Bytes a test's engine for @dp would take in this process with @p (the
 * per-test parameters: proto, streams, length, this side's bitrate, ...),
 * this side sending (@send) and/or receiving (@recv) on each stream: the
 * engine's mem_estimate (engine.h) plus the observers'. An upper bound of
 * what the test adds to RSS, for a memory budget; 0 when the engine is not
 * built. Pure: the server may call it before accepting a test.
 */
size_t dataplane_mem_estimate(const struct dataplane *dp, const struct engine_params *p, bool send,
			      bool recv);

/*
 * Why this build cannot run @e for @proto ("not built in this version"), or
 * NULL when it can. Engines register in dataplane.c, keyed by (engine, proto).
 */
const char *dataplane_missing(enum xfr_engine e, enum xfr_proto proto);

#endif /* XFR_DATAPLANE_DATAPLANE_H */
