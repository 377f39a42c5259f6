// SPDX-License-Identifier: MIT
/*
 * QUIC on the shared UDP port (reference §2.5): a datagram whose first byte
 * has the long-header bit (0x80) and that is a version 1 Initial, from a
 * 4-tuple no connection has yet, opens a QUIC connection. The ACL and the
 * auth back-off come first (a refused address gets no handshake), then the
 * limits on connections waiting for their first line; the connection gets
 * its own socket on the port, connected to the client (the kernel routes the
 * 4-tuple there, as for a single-port UDP stream), and a thread fed with that
 * first datagram. Its control stream's socketpair end goes down the same
 * first-line path (server.c) as an accepted TCP control connection, with the client's
 * UDP address as the peer. Connections are reaped on the tick once over.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "quic/quic_link.h"
#include "quic/quic_tls.h"
#include "server/server_priv.h"

#define QUIC_INITIAL_MIN 1200 /* a client's Initial is padded to at least this (RFC 9000 §14.1) */

struct srv_qlink {
	struct srv_qlink *next;
	struct quic_link *l;
	struct net_addr peer;
};

/* Long header, fixed bit, type Initial, version 1, padded as a client's Initial must be. */
static bool quic_initial(const uint8_t *b, size_t n)
{
	return n >= QUIC_INITIAL_MIN && (b[0] & 0xf0) == 0xc0 && b[1] == 0 && b[2] == 0 &&
	       b[3] == 0 && b[4] == 1;
}

enum srv_quic_class srv_quic_classify(const uint8_t *pkt, size_t n, bool tuple_known)
{
	if (!n || !(pkt[0] & 0x80))
		return SRV_QUIC_NOT_QUIC;
	if (tuple_known)
		return SRV_QUIC_KNOWN; /* sent before the connected socket took the 4-tuple */
	return quic_initial(pkt, n) ? SRV_QUIC_OPEN : SRV_QUIC_DROP;
}

static bool same_tuple(const struct net_addr *a, const struct net_addr *b)
{
	return net_same_host(a, b) && net_port(a) == net_port(b);
}

static bool tuple_known(const struct srv *s, const struct net_addr *peer)
{
	for (const struct srv_qlink *q = s->qlinks; q; q = q->next)
		if (same_tuple(&q->peer, peer))
			return true;
	return false;
}

/* A socket on the shared port's address, connected to peer. fd or -errno. */
static int tuple_socket(int shared, const struct net_addr *peer)
{
	struct net_addr local = {.len = sizeof(local.ss)};
	int fd, err;

	if (getsockname(shared, (struct sockaddr *)&local.ss, &local.len))
		return -errno;
	fd = net_udp_socket(&local, false, true);
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)&peer->ss, peer->len)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Why peer gets no connection now (said in the log at debug), or NULL. */
static const char *refused(struct srv *s, const struct net_addr *peer, char *buf, size_t len)
{
	struct policy_ip *ip;
	const char *why = gate_why_not(s, peer, buf, len);

	if (why)
		return why;
	if (s->nqlinks >= s->cfg->max_tests + s->fds.pending)
		return "server busy: too many QUIC connections";
	why = admit_connection(s, peer, &ip, buf, len);
	admit_connection_done(s, ip); /* a check only: the control stream's first line counts */
	return why;
}

/* The connection's control end, or -1. */
static int open_link(struct srv *s, int shared, const struct net_addr *peer, const uint8_t *pkt,
		     size_t n)
{
	struct engine_params p = {.proto = XFR_PROTO_QUIC};
	struct srv_qlink *q = calloc(1, sizeof(*q));
	char why[300], who[64];
	int fd, ctl;

	net_addr_str(peer, who, sizeof(who));
	fd = q ? tuple_socket(shared, peer) : -ENOMEM;
	if (fd < 0) {
		pr_warn("%s: cannot take a QUIC connection: %s", who, strerror(-fd));
		free(q);
		return -1;
	}
	if (quic_link_open(&q->l, fd, true, &p, pkt, n, &ctl, why, sizeof(why))) {
		pr_warn("%s: cannot take a QUIC connection: %s", who, why);
		free(q);
		return -1;
	}
	q->peer = *peer;
	q->next = s->qlinks;
	s->qlinks = q;
	s->nqlinks++;
	pr_debug("%s: QUIC connection", who);
	net_set_nonblock(ctl, true);
	return ctl;
}

bool srv_quic_datagram(struct srv *s, int shared, const struct net_addr *peer, const uint8_t *pkt,
		       size_t n, int *ctl)
{
	char buf[PROTO_TEXT_MAX], who[64];
	const char *why;

	enum srv_quic_class k = srv_quic_classify(pkt, n, tuple_known(s, peer));

	*ctl = -1;
	if (k == SRV_QUIC_NOT_QUIC)
		return false;
	if (!quic_tls_server_ready() || !s->udp_single_port || k == SRV_QUIC_KNOWN)
		return true; /* QUIC is off (said at start), or the connection's own */
	if (k == SRV_QUIC_DROP) {
		pr_debug("%s: QUIC packet that opens nothing dropped",
			 net_addr_str(peer, who, sizeof(who)));
		return true;
	}
	why = refused(s, peer, buf, sizeof(buf));
	if (why) {
		pr_debug("%s: QUIC Initial dropped: %s", net_addr_str(peer, who, sizeof(who)), why);
		return true;
	}
	*ctl = open_link(s, shared, peer, pkt, n);
	return true;
}

void srv_quic_reap(struct srv *s, bool all)
{
	struct srv_qlink **pp = &s->qlinks, *q;
	char who[64];

	while ((q = *pp)) {
		if (!all && !quic_link_over(q->l)) {
			pp = &q->next;
			continue;
		}
		pr_debug("%s: QUIC connection closed%s%s", net_addr_str(&q->peer, who, sizeof(who)),
			 quic_link_error(q->l)[0] ? ": " : "", quic_link_error(q->l));
		*pp = q->next;
		quic_link_close(q->l);
		free(q);
		s->nqlinks--;
	}
}
