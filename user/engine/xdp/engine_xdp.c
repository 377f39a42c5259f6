// SPDX-License-Identifier: MIT
/*
 * The kernel data plane behind the engine ops (UDP only). The control code
 * still sets up one connected UDP socket per stream (handshake, port
 * reservation); this engine takes its 5-tuple and then:
 *
 *  - sends with the in-kernel live-frames generator (kind XDP, xdp_gen.h) or
 *    AF_XDP TX sockets (kind AFXDP, afxdp.h), frames built once per flow
 *    (frame.h) towards the next hop's MAC, paced to -b, bounded by -n;
 *  - receives in XDP (xdp_rx.h): count-and-drop and redirect-to-AF_XDP read
 *    every figure from the XDP counter; count-and-pass hands the socket to an
 *    inner socket engine as well, so a sample shows what XDP counted beside
 *    what the socket got.
 *
 * Sender threads: one per flow for live frames; for AF_XDP one per TX queue,
 * flows spread over them round-robin (a queue takes one socket).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/xdp/afxdp.h"
#include "engine/engine.h"
#include "engine/engine_rt.h"
#include "base/frame.h"
#include "base/log.h"
#include "base/net.h"
#include "base/netinfo.h"
#include "engine/pacing.h"
#include "timeutil.h"
#include "bpf/xdp_gen.h"
#include "engine/xdp/xdp_rx.h"

#include "engine/xdp/engine_xdp_priv.h"

static int xe_init(struct engine *e, const struct engine_params *p)
{
	struct xeng *xe;
	int err;

	if (p->proto != XFR_PROTO_UDP || !p->streams || p->streams > XFR_MAX_STREAMS)
		return -EINVAL;
	xe = calloc(1, sizeof(*xe));
	if (!xe)
		return -ENOMEM;
	xe->p = *p;
	if (!xe->p.length)
		xe->p.length = xfr_default_length(XFR_PROTO_UDP);
	for (uint32_t i = 0; i < XFR_MAX_STREAMS; i++)
		xe->fds[i] = -1;
	eng_budget_init(&xe->budget, p->byte_budget);
	err = eng_gate_init(&xe->gate);
	if (err) {
		free(xe);
		return err;
	}
	e->priv = xe;
	return 0;
}

/*
 * A set-up step failed: its reason as one line in @why, for
 * engine_last_error(), and @err back. The engine logs nothing itself: the
 * caller reports the failure once.
 */
static int xe_why(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int xe_why(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

/* Address and port of one end of fd, IPv4-mapped IPv6 folded to IPv4. */
static int sock_end(int fd, bool peer, int *family, uint8_t addr[16], uint16_t *port_be)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		      : getsockname(fd, (struct sockaddr *)&ss, &len);

	if (rc)
		return -errno;
	net_unmap_v4(&ss);
	memset(addr, 0, 16);
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		*family = AF_INET;
		memcpy(addr, &s4->sin_addr, 4);
		*port_be = s4->sin_port;
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		*family = AF_INET6;
		memcpy(addr, &s6->sin6_addr, 16);
		*port_be = s6->sin6_port;
		return 0;
	}
	return -EAFNOSUPPORT;
}

static void to_sockaddr(int family, const uint8_t *addr, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, 16);
	}
}

/* The interface toward the peer (--iface wins) and the next hop on it. */
static int flow_route(struct xeng *xe, int family, const uint8_t *peer, int *ifindex,
		      uint8_t nexthop[16], char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	struct netinfo_route r;
	struct netinfo_iface ifi;
	int err;

	to_sockaddr(family, peer, &ss);
	err = netinfo_route_get((struct sockaddr *)&ss, &r);
	if (err)
		return xe_why(why, whylen, err, "no route to the peer: %s", strerror(-err));
	*ifindex = r.ifindex;
	memcpy(nexthop, r.has_gateway ? r.nexthop : peer, 16);
	if (!xe->p.iface[0])
		return 0;
	err = netinfo_iface_get(xe->p.iface, 0, &ifi);
	if (err)
		return xe_why(why, whylen, err, "--iface %s: no such interface", xe->p.iface);
	if (ifi.ifindex != r.ifindex)
		pr_warn("xdp: --iface %s is not the route's interface %s toward the peer",
			xe->p.iface, r.ifname);
	*ifindex = ifi.ifindex;
	return 0;
}

static int sender_setup(struct xeng *xe, struct xflow *f, int fd, char *why, size_t whylen)
{
	struct frame_spec s = {.tos = -1, .zeros = xe->p.payload == XFR_PAYLOAD_ZEROS};
	uint16_t sport, dport;
	struct netinfo_iface ifi;
	uint8_t nexthop[16];
	int family, err;
	uint32_t hdrs;

	err = sock_end(fd, false, &s.family, s.saddr, &sport);
	if (!err)
		err = sock_end(fd, true, &family, s.daddr, &dport);
	if (err)
		return xe_why(why, whylen, err, "cannot read the data socket's addresses: %s",
			      strerror(-err));
	err = flow_route(xe, s.family, s.daddr, &f->ifindex, nexthop, why, whylen);
	if (err)
		return err;
	err = netinfo_iface_get(NULL, f->ifindex, &ifi);
	if (err)
		return xe_why(why, whylen, err, "cannot read the interface toward the peer: %s",
			      strerror(-err));
	hdrs = s.family == AF_INET ? 28 : 48;
	if (xe->p.length + hdrs > ifi.mtu)
		return xe_why(why, whylen, -EMSGSIZE,
			      "a %u-byte datagram does not fit the MTU %u of %s (kernel generators "
			      "do not fragment; use -l %u or less)",
			      xe->p.length, ifi.mtu, ifi.name, ifi.mtu - hdrs);
	memcpy(s.src_mac, ifi.mac, 6);
	err = netinfo_neigh_mac(f->ifindex, s.family, nexthop, s.dst_mac, NEIGH_WAIT);
	if (err)
		return xe_why(why, whylen, err, "cannot resolve the next hop's MAC on %s: %s",
			      ifi.name, strerror(-err));
	s.sport = ntohs(sport);
	s.dport = ntohs(dport);
	s.payload_len = xe->p.length;
	f->tmpl = malloc(sizeof(*f->tmpl));
	if (!f->tmpl)
		return -ENOMEM;
	err = frame_build(&s, f->tmpl);
	if (err)
		return xe_why(why, whylen, err, "cannot build the test frame: %s", strerror(-err));
	return 0;
}

static int receiver_setup(struct xeng *xe, struct xflow *f, int fd, char *why, size_t whylen)
{
	static const uint32_t modes[] = {
		[XFR_XDP_MODE_DROP] = XDP_COUNT_DROP,
		[XFR_XDP_MODE_PASS] = XDP_COUNT_PASS,
		[XFR_XDP_MODE_REDIRECT] = XDP_COUNT_REDIRECT,
	};
	uint8_t local[16], peer[16], nexthop[16];
	uint16_t lport, pport;
	int family, pfam, err;

	err = sock_end(fd, false, &family, local, &lport);
	if (!err)
		err = sock_end(fd, true, &pfam, peer, &pport);
	if (err)
		return xe_why(why, whylen, err, "cannot read the data socket's addresses: %s",
			      strerror(-err));
	err = flow_route(xe, family, peer, &f->ifindex, nexthop, why, whylen);
	if (err)
		return err;
	err = xdp_rx_get(f->ifindex, modes[xe->p.xdp_mode], xe->p.queues, &f->rx, why, whylen);
	if (err)
		return err;
	xdp_count_key(&f->key, family, peer, local, pport, lport);
	f->rx_slot = xdp_rx_add(f->rx, &f->key);
	if (f->rx_slot < 0)
		return xe_why(why, whylen, f->rx_slot, "cannot register the flow with XDP: %s",
			      strerror(-f->rx_slot));
	return 0;
}

static struct xflow *flow_new(struct xeng *xe, uint32_t idx, bool sending, enum xfr_flow_dir dir)
{
	struct xflow *f = &xe->flows[xe->nflows++];

	memset(f, 0, sizeof(*f));
	f->xe = xe;
	f->stream = idx;
	f->sending = sending;
	f->dir = dir;
	f->rx_slot = -1;
	return f;
}

static int inner_add(struct xeng *xe, uint32_t idx, int fd, enum xfr_flow_dir dir_send)
{
	struct engine_params ip = xe->p;
	int dfd, err;

	if (!xe->inner) {
		ip.byte_budget = 0;
		ip.done_fd = -1;
		xe->inner = engine_new(&engine_sock_ops);
		if (!xe->inner)
			return -ENOMEM;
		err = xe->inner->ops->init(xe->inner, &ip);
		if (err)
			return err;
	}
	/* The inner engine owns what it gets: give it a duplicate, keep ours. */
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	xe->inner_flows++;
	return xe->inner->ops->add_stream(xe->inner, idx, dfd, false, true, dir_send);
}

/*
 * Live frames: load the generator (once) and give the flow its slot, at
 * add_stream time so that start() is quick (the peer's clock is running).
 * After the flow's receiving sibling, so the attachment decision sees it.
 */
static int gen_prepare(struct xeng *xe, struct xflow *f, char *why, size_t whylen)
{
	const struct gen_route *r;
	uint32_t max;
	int err;

	if (xe->p.engine != XFR_ENG_XDP)
		return 0;
	if (!xe->gen) {
		xe->gen = xdp_gen_open(why, whylen);
		if (!xe->gen)
			return -errno;
	}
	r = xtx_gen_attach(xe, f->ifindex);
	f->cheap = r->rx || r->link_fd >= 0;
	f->gen_slot = xe->ngen_slots++;
	err = xdp_gen_flow(xe->gen, f->gen_slot, f->tmpl);
	if (err == -EMSGSIZE) {
		max = xdp_gen_max_frame(xe->gen);
		return xe_why(why, whylen, err,
			      "%u-byte frames are too large for live frames on this kernel (at "
			      "most %u: use -l %u or less, or --engine afxdp)",
			      f->tmpl->len, max, max - f->tmpl->data_off);
	}
	if (!err && r->rx)
		err = xdp_gen_via(xe->gen, f->gen_slot, xdp_rx_prog_fd(r->rx), (uint32_t)r->tail);
	if (err)
		return xe_why(why, whylen, err, "cannot prepare the live-frames generator: %s",
			      strerror(-err));
	return 0;
}

static int xe_add_stream(struct engine *e, uint32_t idx, int fd, bool send, bool recv,
			 enum xfr_flow_dir dir_send)
{
	struct xeng *xe = e->priv;
	enum xfr_flow_dir dir_recv = dir_send == XFR_FLOW_UP ? XFR_FLOW_DOWN : XFR_FLOW_UP;
	struct xflow *f, *fs = NULL;
	int err = 0;

	e->why[0] = '\0';
	if (idx >= XFR_MAX_STREAMS || xe->fds[idx] >= 0 || xe->started) {
		close(fd);
		return -EINVAL;
	}
	xe->fds[idx] = fd;
	if (send) {
		fs = flow_new(xe, idx, true, dir_send);
		xe->nsend++;
		err = sender_setup(xe, fs, fd, e->why, sizeof(e->why));
	}
	if (!err && recv) {
		f = flow_new(xe, idx, false, dir_recv);
		err = receiver_setup(xe, f, fd, e->why, sizeof(e->why));
		if (!err && xe->p.xdp_mode == XFR_XDP_MODE_PASS) {
			f->via_sock = true;
			err = inner_add(xe, idx, fd, dir_send);
		}
	}
	if (!err && fs)
		err = gen_prepare(xe, fs, e->why, sizeof(e->why));
	return err;
}

static int xe_start(struct engine *e)
{
	struct xeng *xe = e->priv;
	int err;

	e->why[0] = '\0';
	xe->start_ns = time_mono_ns();
	err = xtx_prepare(xe, e->why, sizeof(e->why));
	if (err)
		return err;
	if (xe->inner) {
		err = xe->inner->ops->start(xe->inner);
		if (err)
			return err;
	}
	xe->started = true;
	e->started_ns = time_mono_ns(); /* the generators go from here; their set-up is not timed */
	return xtx_spawn(xe);
}

static void sample_sender(const struct xflow *f, uint32_t len, struct engine_flow_sample *s)
{
	uint64_t pk = ENG_LOAD(f->packets);

	s->bytes = pk * len;
	s->calls = ENG_LOAD(f->calls);
	s->udp.packets = pk;
	s->udp.err_nobufs = ENG_LOAD(f->ring_full);
	s->done = ENG_LOAD(f->done);
	s->err = ENG_LOAD(f->err);
}

static void sample_xdp(struct xeng *xe, const struct xflow *f, struct engine_flow_sample *s,
		       bool all)
{
	struct xdp_count_stats st;

	if (xdp_rx_read(f->rx, f->rx_slot, &st))
		return;
	/* Never seen: the counter's sequence lock is held for nanoseconds. */
	if (st.unsequenced && !__atomic_exchange_n(&xe->warned_unseq, true, __ATOMIC_RELAXED))
		pr_warn("xdp: stream %u: %llu packets skipped the sequence accounting (its lock "
			"stayed busy): reordering and duplicate figures may miss them",
			f->stream, (unsigned long long)st.unsequenced);
	s->has_xdp = true;
	s->xdp_sink = all;
	s->xdp_packets = st.packets;
	s->xdp_bytes = st.bytes;
	if (!all)
		return;
	s->bytes = st.bytes;
	s->calls = st.packets;
	s->udp.packets = st.packets;
	s->udp.lost = st.lost;
	s->udp.out_of_order = st.out_of_order;
	s->udp.duplicates = st.duplicates;
	s->udp.next_seq = st.next_seq;
	s->udp.malformed = st.malformed + st.forged; /* as the socket engine's implausible */
	s->udp.jitter_us = (double)st.jitter_us16 / 16.0;
	s->udp.jitter_max_us = (double)st.jitter_max_us16 / 16.0;
}

static struct engine_flow_sample *inner_flow(struct engine_sample *in, const struct xflow *f)
{
	for (uint32_t i = 0; i < in->nflows; i++)
		if (in->flows[i].stream == f->stream && in->flows[i].dir == f->dir &&
		    !in->flows[i].sending)
			return &in->flows[i];
	return NULL;
}

static int xe_sample(struct engine *e, struct engine_sample *out)
{
	struct xeng *xe = e->priv;
	struct engine_flow_sample *s, *in;

	if (xe->inner && !xe->tmp && !(xe->tmp = calloc(1, sizeof(*xe->tmp))))
		return -ENOMEM;
	if (xe->inner)
		xe->inner->ops->sample(xe->inner, xe->tmp);
	out->t_ns = time_mono_ns();
	out->nflows = 0;
	for (uint32_t i = 0; i < xe->nflows; i++) {
		const struct xflow *f = &xe->flows[i];

		s = &out->flows[out->nflows++];
		memset(s, 0, sizeof(*s));
		if (f->via_sock && (in = inner_flow(xe->tmp, f)))
			*s = *in;
		s->stream = f->stream;
		s->dir = f->dir;
		s->sending = f->sending;
		s->is_udp = true;
		if (f->sending)
			sample_sender(f, xe->p.length, s);
		else
			sample_xdp(xe, f, s, !f->via_sock);
	}
	return 0;
}

static int xe_pause(struct engine *e)
{
	struct xeng *xe = e->priv;

	eng_gate_pause(&xe->gate);
	xtx_kick(xe);
	return xe->inner ? xe->inner->ops->pause(xe->inner) : 0;
}

static int xe_resume(struct engine *e)
{
	struct xeng *xe = e->priv;

	eng_gate_resume(&xe->gate);
	return xe->inner ? xe->inner->ops->resume(xe->inner) : 0;
}

static int xe_stop(struct engine *e, bool abortive)
{
	struct xeng *xe = e->priv;

	if (xe->stopped)
		return 0;
	xe->stopped = true;
	eng_gate_stop(&xe->gate, true);
	xtx_kick(xe);
	for (uint32_t i = 0; i < xe->nthreads; i++)
		if (xe->threads[i].started)
			pthread_join(xe->threads[i].th, NULL);
	if (xe->inner)
		xe->inner->ops->stop(xe->inner, abortive);
	return 0;
}

static void xe_destroy(struct engine *e)
{
	struct xeng *xe = e->priv;

	if (xe) {
		xe_stop(e, true);
		if (xe->inner)
			xe->inner->ops->destroy(xe->inner);
		for (uint32_t i = 0; i < xe->nthreads; i++)
			if (xe->threads[i].tx)
				afxdp_close(xe->threads[i].tx);
		for (uint32_t i = 0; i < xe->nflows; i++) {
			struct xflow *f = &xe->flows[i];

			if (f->rx) {
				if (f->rx_slot >= 0)
					xdp_rx_del(f->rx, &f->key, f->rx_slot);
				xdp_rx_put(f->rx);
			}
			free(f->tmpl);
		}
		for (uint32_t i = 0; i < xe->nroutes; i++) {
			struct gen_route *r = &xe->routes[i];

			if (r->rx) {
				xdp_rx_gen_unhook(r->rx, r->tail);
				xdp_rx_put(r->rx);
			}
			if (r->link_fd >= 0)
				close(r->link_fd);
		}
		if (xe->gen)
			xdp_gen_close(xe->gen);
		for (uint32_t i = 0; i < XFR_MAX_STREAMS; i++)
			if (xe->fds[i] >= 0)
				close(xe->fds[i]);
		free(xe->tmp);
		eng_gate_destroy(&xe->gate);
		free(xe);
	}
	free(e);
}

bool engine_xdp_sink(const struct engine *e)
{
	const struct xeng *xe = e->priv;

	return e->ops == &engine_xdp_ops && xe && xe->p.xdp_mode != XFR_XDP_MODE_PASS;
}

/*
 * See engine.h: the engine's tables, a frame template and a thread per
 * sending flow, an AF_XDP socket (its populated umem) per TX queue, the
 * receiver's AF_XDP sockets in redirect mode (shared with the interface's
 * other tests: counted whole, an upper bound), the socket engine's receivers
 * in count-and-pass mode.
 */
static size_t xe_mem_estimate(const struct engine_params *p, bool send, bool recv)
{
	uint32_t nq = p->queues ? p->queues : p->streams;
	size_t n = sizeof(struct xeng) + sizeof(struct engine_sample);

	if (nq > MAX_TX_QUEUE)
		nq = MAX_TX_QUEUE;
	if (send) {
		n += p->streams * (sizeof(struct frame_tmpl) + ENG_THREAD_MEM);
		if (p->engine == XFR_ENG_AFXDP)
			n += nq * afxdp_mem(true);
	}
	if (recv && p->xdp_mode == XFR_XDP_MODE_REDIRECT)
		n += (p->queues ? nq : 1) * afxdp_mem(false) + ENG_THREAD_MEM;
	if (recv && p->xdp_mode == XFR_XDP_MODE_PASS)
		n += engine_sock_ops.mem_estimate(p, false, true);
	return n;
}

const struct engine_ops engine_xdp_ops = {
	.name = "xdp",
	.init = xe_init,
	.add_stream = xe_add_stream,
	.start = xe_start,
	.sample = xe_sample,
	.pause = xe_pause,
	.resume = xe_resume,
	.stop = xe_stop,
	.destroy = xe_destroy,
	.mem_estimate = xe_mem_estimate,
};
