// SPDX-License-Identifier: MIT
/*
 * Where a test's data connections come from (see server_priv.h): the shared
 * port (data_hello for TCP, 24-byte hellos with the test's token for UDP) or
 * one port per stream for older peers. Only the control connection's host is
 * accepted; each stream's socket is handed to the session once.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "control/auth.h"
#include "quic/quic_link.h"
#include "server/server_priv.h"
#include "wire.h"

static void ack_close(struct srv_ports *p, uint32_t idx)
{
	if (p->ack_fd[idx] >= 0)
		close(p->ack_fd[idx]);
	p->ack_fd[idx] = -1;
}

void ports_close(struct srv_ports *p)
{
	if (!p->loop) /* never opened */
		return;
	p->taking = false;
	for (uint32_t i = 0; i < XFR_MAX_STREAMS; i++) {
		loop_close(p->loop, &p->it[i]);
		ack_close(p, i);
	}
}

/* Stream idx has its socket: to the owner, which takes it. */
static void take(struct srv_ports *p, int fd, uint32_t idx)
{
	p->have[idx] = true;
	p->nconnected++;
	p->connected(p->owner, fd, idx);
}

/* Every stream is in: nothing more to take (a late hello is ignored). */
static void close_if_all(struct srv_ports *p)
{
	if (p->nconnected == p->streams)
		ports_close(p);
}

static void on_stream_listen(struct loop_item *it, uint32_t events)
{
	struct srv_ports *p = it->ctx;
	struct net_addr peer = {.len = sizeof(peer.ss)};
	int fd = accept4(it->fd, (struct sockaddr *)&peer.ss, &peer.len, SOCK_CLOEXEC);

	(void)events;
	if (fd < 0)
		return;
	if (!net_same_host(&peer, &p->peer)) {
		pr_debug("%s: data port connection from another host dropped", p->who);
		close(fd);
		return;
	}
	loop_close(p->loop, it);
	take(p, fd, it->index);
	close_if_all(p);
}

/*
 * Legacy UDP: the first datagram on a stream's own port names the client's
 * address (only the control connection's host is accepted). It is peeked, so
 * data stays for the engine; a 1-byte "here I am" datagram is consumed.
 */
static void on_stream_udp(struct loop_item *it, uint32_t events)
{
	struct srv_ports *p = it->ctx;
	struct net_addr peer = {.len = sizeof(peer.ss)};
	unsigned char b[16];
	int fd = it->fd;
	ssize_t n;

	(void)events;
	n = recvfrom(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC,
		     (struct sockaddr *)&peer.ss, &peer.len);
	if (n < 0)
		return;
	if (!net_same_host(&peer, &p->peer) ||
	    connect(fd, (const struct sockaddr *)&peer.ss, peer.len)) {
		recv(fd, b, sizeof(b), MSG_DONTWAIT); /* someone else's: drop it */
		return;
	}
	if (n < XFR_UDP_HDR_LEN)
		recv(fd, b, sizeof(b), MSG_DONTWAIT);
	loop_del(p->loop, it);
	it->fd = -1; /* the stream's socket from here on */
	take(p, fd, it->index);
	close_if_all(p);
}

/*
 * A UDP port of our own: no SO_REUSEADDR, which would let two tests share a
 * port of the range. fd or -errno.
 */
static int own_udp_socket(const struct net_addr *local)
{
	int fd = socket(local->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err;
	int v6only = 0;

	if (fd < 0)
		return -errno;
	if (local->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (bind(fd, (const struct sockaddr *)&local->ss, local->len) == 0)
		return fd;
	err = -errno;
	close(fd);
	return err;
}

static int stream_socket(struct srv_ports *p, struct net_addr *local, bool mptcp)
{
	return p->tcp ? net_listen(local, false, mptcp, 4) : own_udp_socket(local);
}

/*
 * --data-port-range: the next free port of the range, from where the last
 * test left off. fd, or -EADDRNOTAVAIL when every port is taken.
 */
static int range_socket(struct srv_ports *p, struct net_addr *local, bool mptcp)
{
	struct srv_prange *r = p->range;
	uint32_t span = (uint32_t)r->hi - r->lo + 1, port;
	int fd;

	for (uint32_t i = 0; i < span; i++) {
		port = r->lo + ((uint32_t)r->next - r->lo + i) % span;
		net_set_port(local, (uint16_t)port);
		fd = stream_socket(p, local, mptcp);
		if (fd >= 0) {
			r->next = (uint16_t)(port == r->hi ? r->lo : port + 1);
			return fd;
		}
		if (fd != -EADDRINUSE)
			return fd;
	}
	return -EADDRNOTAVAIL;
}

/* One socket per stream on a port of the control connection's address (ephemeral or the range). */
static int open_per_stream(struct srv_ports *p, int ctrl_fd, bool mptcp, struct proto_test_ack *ack)
{
	struct net_addr local = {.len = sizeof(local.ss)}, bound;
	int fd, err;

	if (getsockname(ctrl_fd, (struct sockaddr *)&local.ss, &local.len))
		return -errno;
	net_set_port(&local, 0);
	for (uint32_t i = 0; i < p->streams; i++) {
		fd = p->range ? range_socket(p, &local, mptcp) : stream_socket(p, &local, mptcp);
		if (fd < 0)
			return fd;
		p->it[i].index = i;
		err = loop_add(p->loop, &p->it[i], fd, EPOLLIN,
			       p->tcp ? on_stream_listen : on_stream_udp, p);
		if (err) {
			close(fd);
			p->it[i].fd = -1;
			return err;
		}
		bound.len = sizeof(bound.ss);
		if (getsockname(fd, (struct sockaddr *)&bound.ss, &bound.len))
			return -errno;
		ack->data_ports[ack->nports++] = net_port(&bound);
	}
	return 0;
}

/*
 * A QUIC test whose control runs on a QUIC connection: its streams are that
 * connection's (reference §2.1), each a token for the QUIC engine
 * (quic_link.h); no data port, no UDP token in the ack.
 */
static int take_quic(struct srv_ports *p, struct quic_link *l)
{
	for (uint32_t i = 0; i < p->streams && p->taking; i++) {
		int fd = quic_link_token(l);

		if (fd < 0)
			return fd;
		take(p, fd, i);
	}
	close_if_all(p);
	return 0;
}

int ports_open(struct srv_ports *p, int ctrl_fd, bool single_port, bool mptcp,
	       struct proto_test_ack *ack)
{
	struct quic_link *l;

	for (uint32_t i = 0; i < XFR_MAX_STREAMS; i++) {
		p->it[i] = (struct loop_item){.fd = -1};
		p->ack_fd[i] = -1;
	}
	p->taking = true;
	if (p->quic && (l = quic_link_of_fd(ctrl_fd)))
		return take_quic(p, l);
	if (!single_port)
		return open_per_stream(p, ctrl_fd, mptcp, ack);
	if (p->tcp)
		return 0; /* data_hello on the shared port */
	if (getrandom(p->token, sizeof(p->token), 0) != sizeof(p->token))
		return -EIO;
	p->udp_single = true;
	proto_token_hex(p->token, ack->udp_token);
	return 0;
}

void ports_data_conn(struct srv_ports *p, int fd, uint32_t idx)
{
	if (!p->tcp) { /* a TCP connection is no UDP stream: those say hello with the token */
		pr_debug("%s: TCP data connection for a UDP test dropped", p->who);
		close(fd);
		return;
	}
	if (!p->taking || idx >= p->streams || p->have[idx] || p->it[idx].added) {
		pr_debug("%s: data connection for stream %u dropped", p->who, idx);
		close(fd);
		return;
	}
	take(p, fd, idx);
	close_if_all(p);
}

void ports_udp_ack(const struct srv_ports *p, int fd, uint32_t idx)
{
	unsigned char ack[AUTH_UDP_HELLO_LEN];
	size_t len = XFR_HELLO_LEN;

	if (!p->udp_key)
		wire_hello_put(ack, XFR_HELLO_KIND_ACK, (uint16_t)idx, p->token);
	else if (!auth_udp_hello(p->udp_key, XFR_HELLO_KIND_ACK, idx, p->token, ack))
		len = AUTH_UDP_HELLO_LEN;
	else
		return;
	if (send(fd, ack, len, MSG_DONTWAIT) < 0)
		pr_debug("%s: UDP ack: %s", p->who, strerror(errno));
}

/*
 * udp_auth_v1: a PSK session takes only 40-byte hellos whose tag verifies, a
 * session without it only the reference's 24 bytes. The token is no secret to
 * whoever is on the path (it is in every hello); the tag is what only the two
 * ends can make. A replayed sealed hello at most repeats an ack (below).
 */
static bool hello_authentic(const struct srv_ports *p, const unsigned char *pkt, size_t n)
{
	if (!p->udp_key)
		return n == XFR_HELLO_LEN;
	return n == AUTH_UDP_HELLO_LEN && auth_udp_tag_ok(p->udp_key, pkt, n);
}

/*
 * A stream's hello on the shared port: give the stream its own socket on the
 * same port, connected to the client, and answer from it. A repeated hello
 * (our ack was lost) is answered again from the same socket, to the address
 * the first one came from.
 */
void ports_udp_hello(struct srv_ports *p, const unsigned char *pkt, size_t n, uint32_t idx,
		     const struct net_addr *peer, int u)
{
	struct net_addr local = {.len = sizeof(local.ss)};
	int fd;

	if (!p->taking || !p->udp_single || idx >= p->streams) {
		pr_debug("%s: late UDP hello for stream %u ignored", p->who, idx);
		return;
	}
	if (!hello_authentic(p, pkt, n)) {
		pr_debug("%s: UDP hello for stream %u without a valid tag (%zu bytes) dropped",
			 p->who, idx, n);
		return;
	}
	if (p->have[idx]) {
		if (p->ack_fd[idx] >= 0)
			ports_udp_ack(p, p->ack_fd[idx], idx);
		return;
	}
	if (getsockname(u, (struct sockaddr *)&local.ss, &local.len))
		return;
	fd = net_udp_socket(&local, false, true);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)&peer->ss, peer->len)) {
		close(fd);
		fd = -errno;
	}
	if (fd < 0) {
		p->connected(p->owner, fd, idx); /* the owner fails the test */
		return;
	}
	/*
	 * Ack after the stream is taken: the last one starts the engine, and a
	 * kernel receiver must be attached before the client starts sending.
	 */
	p->ack_fd[idx] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	take(p, fd, idx);
	if (p->taking && p->ack_fd[idx] >= 0)
		ports_udp_ack(p, p->ack_fd[idx], idx);
	close_if_all(p);
}
