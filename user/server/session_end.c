// SPDX-License-Identifier: MIT
/*
 * How a test on the server ended, in the log's words (docs/OUTPUT.md, "The
 * server's log"), and what an MTU probe's datagrams tell this side.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "server/server_priv.h"

/* The server's cap cut the test short of what the client asked (0 = no limit asked). */
static bool capped(const struct srv_test *t)
{
	return !t->req.duration_secs || t->req.duration_secs > t->duration_s;
}

/* Why the test's clock running out ended it. */
enum srv_end srv_end_deadline(const struct srv_test *t)
{
	if (capped(t))
		return SRV_END_SERVER_CAP;
	if (t->req.has_byte_budget || t->req.mtu_probe)
		return SRV_END_TIMED_OUT; /* the work was not done within the client's -t */
	return SRV_END_COMPLETE;
}

/* Every direction this side moves got its byte budget through. */
static bool budget_moved(const struct srv_test *t)
{
	uint64_t dir_bytes[2] = {0, 0};

	if (!t->req.has_byte_budget)
		return false;
	for (uint32_t i = 0; i < t->res.nflows; i++)
		dir_bytes[t->res.flows[i].dir] += result_flow_bytes(&t->res.flows[i]);
	if (t->req.dir != XFR_DIR_DOWNLOAD && dir_bytes[XFR_FLOW_UP] < t->req.byte_budget)
		return false;
	return t->req.dir == XFR_DIR_UPLOAD || dir_bytes[XFR_FLOW_DOWN] >= t->req.byte_budget;
}

bool srv_ctrl_gone(const struct srv_test *t)
{
	char c;
	ssize_t n;

	if (t->ctrl.eof)
		return true;
	n = recv(t->ctrl.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/*
 * Every flow ended before the clock did: the budget moved, or the client went
 * away (a killed client's control connection closes first: its lower
 * descriptor), or it closed its data streams and is still there.
 */
enum srv_end srv_end_flows(const struct srv_test *t)
{
	if (budget_moved(t))
		return SRV_END_COMPLETE;
	return srv_ctrl_gone(t) ? SRV_END_DISCONNECTED : SRV_END_STREAMS_GONE;
}

/* The end line's words for how the test ended (the figures follow them). */
const char *srv_end_words(const struct srv_test *t, enum srv_end e, char *buf, size_t len)
{
	double s = t->res.duration_s;

	switch (e) {
	case SRV_END_COMPLETE:
		return "complete";
	case SRV_END_CANCELLED:
		snprintf(buf, len, "cancelled by client at %.2f s", s);
		break;
	case SRV_END_DISCONNECTED:
		snprintf(buf, len, "client disconnected at %.2f s", s);
		break;
	case SRV_END_STREAMS_GONE:
		snprintf(buf, len, "ended at %.2f s: the client closed its data streams", s);
		break;
	case SRV_END_TIMED_OUT:
		snprintf(buf, len, "timed out at %.2f s: the client's -t %u s came first", s,
			 t->req.duration_secs);
		break;
	case SRV_END_SERVER_CAP:
		snprintf(buf, len, "server cap reached: %u s (%s)", t->duration_s,
			 srvlog_cap_name(t->srv->cfg));
		break;
	}
	return buf;
}

/* An IPv6 peer, not an IPv4 one on the dual-stack socket (::ffff:a.b.c.d). */
bool srv_peer_ipv6(const struct srv_test *t)
{
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&t->peer.ss;

	return net_family(&t->peer) == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a->sin6_addr);
}

/* The path MTU of a probe payload: the UDP and IP headers on top. */
uint32_t srv_probe_path_mtu(const struct srv_test *t, uint32_t payload)
{
	return payload ? payload + 8 + (srv_peer_ipv6(t) ? 40 : 20) : 0;
}

/*
 * For the log: each payload size that arrived from the client (forward PASS)
 * and the largest, the client -> server answer as this side sees it.
 */
void srv_probe_arrived(struct srv_test *t, uint32_t payload)
{
	struct xfr_mtu_result *m = t->res.mtu;
	uint32_t i;

	if (payload > t->probe_largest)
		t->probe_largest = payload;
	if (!m)
		return;
	for (i = 0; i < m->nsizes && m->sizes[i].payload != payload; i++)
		;
	if (i == m->nsizes) {
		if (i == sizeof(m->sizes) / sizeof(m->sizes[0]))
			return;
		m->sizes[m->nsizes++] = (struct xfr_mtu_size){.payload = payload};
	}
	m->sizes[i].forward = XFR_MTU_PASS;
	m->sizes[i].forward_ok++;
}
