// SPDX-License-Identifier: MIT
/*
 * xfr HOST, set-up: the data streams. Single port (TCP with data_hello, UDP
 * with the hello/ack of PROTOCOL.md §9.4), the per-stream ports of an older
 * server, engines that take prepared UDP sockets, and QUIC's streams.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client_priv.h"
#include "base/log.h"
#include "control/report.h"
#include "timeutil.h"
#include "wire.h"

static int send_data_hello(struct clnt *c, int fd, uint32_t idx)
{
	struct proto_msg m;
	size_t len, off = 0;
	ssize_t n;
	char *line;

	proto_msg_init(&m, MSG_DATA_HELLO);
	snprintf(m.data_hello.test_id, sizeof(m.data_hello.test_id), "%s", c->req.id);
	m.data_hello.stream_index = (uint16_t)idx;
	line = proto_encode(&m, &len);
	proto_msg_free(&m);
	if (!line)
		return -errno;
	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EINTR) {
			free(line);
			return -errno;
		}
		off += n > 0 ? (size_t)n : 0;
	}
	free(line);
	return 0;
}

/* Source address of stream i from --bind / --cport; false = let the kernel choose. */
static bool stream_src(struct clnt *c, uint32_t i, const struct net_addr *dst, struct net_addr *src)
{
	const struct xfr_config *cfg = c->cfg;
	uint16_t bport = 0;
	int hb = clnt_bind_addr(c, src, &bport);

	if (hb <= 0 && cfg->cport) { /* --cport alone: wildcard address of the server's family */
		*src = (struct net_addr){.len = dst->len};
		src->ss.ss_family = dst->ss.ss_family;
		hb = 1;
	}
	if (cfg->cport)
		bport = (uint16_t)(cfg->cport + i);
	if (hb > 0)
		net_set_port(src, bport);
	return hb > 0;
}

bool clnt_single_port(const struct clnt *c)
{
	if (c->cfg->proto == XFR_PROTO_QUIC)
		return true; /* its streams are the QUIC connection's: no data ports */
	if (c->cfg->proto != XFR_PROTO_TCP)
		return c->ack.udp_token[0] != '\0';
	return c->server_caps & CAP_SINGLE_PORT_TCP;
}

/*
 * The control connection spoke while we wait for a stream's ack. A reference
 * server writes its first interval (elapsed_ms 0) right behind test_ack, and
 * an interval a second later: those stay buffered for the run. Only the
 * server's error or its close end the start: 0 = go on, -ECONNABORTED =
 * reported here.
 */
static int ctrl_while_hello(struct clnt *c)
{
	struct proto_msg *m = malloc(sizeof(*m));
	char err[PROTO_TEXT_MAX];
	int rc = ctrl_fill(&c->ctrl), found;

	if (!m)
		return -ENOMEM;
	found = ctrl_find(&c->ctrl, MSG_ERROR, m, err, sizeof(err));
	if (found == 1)
		clnt_expect_type(c, m, MSG_TEST_ACK); /* reports the error, frees m */
	else if (found < 0)
		clnt_error(c, "server: %s", err);
	else if (rc < 0)
		clnt_error(c, "server closed the control connection while the streams started");
	free(m);
	return found || rc < 0 ? -ECONNABORTED : 0;
}

/* Wait up to ms for the stream's socket: 1 = readable, 0 = not, < 0 = stop. */
static int hello_wait(struct clnt *c, int fd, int ms)
{
	struct pollfd p[3] = {{.fd = fd, .events = POLLIN},
			      {.fd = c->sigfd, .events = POLLIN},
			      {.fd = c->ctrl.fd, .events = POLLIN}};
	uint64_t end = time_mono_ns() + (uint64_t)ms * NSEC_PER_MSEC;
	int64_t left;
	int err;

	while ((left = (int64_t)(end - time_mono_ns())) > 0) {
		if (poll(p, 3, (int)(left / (int64_t)NSEC_PER_MSEC) + 1) <= 0)
			return 0;
		if (p[1].revents & POLLIN)
			return -EINTR;
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			err = ctrl_while_hello(c);
			if (err)
				return err;
			if (c->ctrl.rlen >= PROTO_MAX_LINE)
				p[2].events = 0; /* full: the run reads it */
		}
		if (p[0].revents & POLLIN)
			return 1;
	}
	return 0;
}

/*
 * Single-port UDP: say hello (stream index + the test's token, sealed with a
 * tag under udp_auth_v1) every 100 ms, up to 50 times, until the server's
 * per-stream socket acks (sealed likewise: another ack is not the server's).
 */
static int udp_hello(struct clnt *c, int fd, uint32_t i)
{
	unsigned char token[XFR_TOKEN_LEN], pkt[AUTH_UDP_HELLO_LEN], in[64];
	ssize_t n;
	int rc, len;

	if (proto_token_parse(c->ack.udp_token, token))
		return -EPROTO;
	len = clnt_udp_hello(c, i, token, pkt);
	if (len < 0)
		return len;
	for (int tries = 0; tries < 50; tries++) {
		if (send(fd, pkt, (size_t)len, 0) < 0 && errno != ECONNREFUSED)
			return -errno;
		rc = hello_wait(c, fd, 100);
		if (rc < 0)
			return rc;
		while ((n = recv(fd, in, sizeof(in), MSG_DONTWAIT | MSG_TRUNC)) >= 0)
			if (clnt_udp_ack_ok(c, i, token, in, (size_t)n))
				return 0;
	}
	return -ETIMEDOUT;
}

/* A stream's UDP socket, connected to the server's data port (no datagram sent yet). */
static int udp_stream_socket(struct clnt *c, uint32_t i, const struct net_opts *o,
			     struct net_addr *dst)
{
	struct net_addr src = {0};
	bool has_src;
	int fd;

	*dst = c->server;
	net_set_port(dst, clnt_single_port(c) ? c->cfg->port : c->ack.data_ports[i]);
	has_src = stream_src(c, i, dst, &src);
	fd = socket(net_family(dst), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (net_apply_opts(fd, net_family(dst), o) ||
	    (has_src && bind(fd, (struct sockaddr *)&src.ss, src.len)) ||
	    connect(fd, (struct sockaddr *)&dst->ss, dst->len)) {
		int err = errno ? -errno : -EINVAL;

		close(fd);
		return err;
	}
	return fd;
}

/* Announce the stream: single-port hello/ack, or the legacy first datagram. */
static int udp_stream_hello(struct clnt *c, uint32_t i, int fd, const struct net_addr *dst)
{
	char addr[80];
	int err = 0;

	if (clnt_single_port(c))
		err = udp_hello(c, fd, i);
	else if (c->cfg->dir == XFR_DIR_DOWNLOAD)
		send(fd, "", 1, 0); /* legacy: our address, for a server that sends first */
	if (err && err != -ECONNABORTED)
		clnt_error(c, "UDP stream %u to %s: %s", i, net_addr_str(dst, addr, sizeof(addr)),
			   err == -ETIMEDOUT ? "no answer to our hello" : clnt_conn_error(err));
	return err;
}

static int open_udp_stream(struct clnt *c, uint32_t i, const struct net_opts *o)
{
	struct net_addr dst;
	char addr[80];
	int fd, err;

	fd = udp_stream_socket(c, i, o, &dst);
	if (fd < 0) {
		clnt_error(c, "UDP stream %u to %s: %s", i, net_addr_str(&dst, addr, sizeof(addr)),
			   clnt_conn_error(fd));
		return fd;
	}
	err = udp_stream_hello(c, i, fd, &dst);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * A kernel engine, or the drop-reason observer, must be in place before the
 * server's clock starts: a receiver before the server may send (loading the
 * BPF programs takes long enough for a -R flood to overflow the socket, and
 * drops before the observer is attached would go uncounted), a sender's
 * programs loaded and attached so that our start (and deadline) follows the
 * server's closely.
 * Connect every socket, hand the engine duplicates, then say hello on the
 * originals.
 */
static int open_udp_prepared(struct clnt *c, int *fds, const struct net_opts *o)
{
	struct net_addr dst[XFR_MAX_STREAMS];
	char addr[80], why[240];
	int err;

	for (uint32_t i = 0; i < c->cfg->streams; i++) {
		fds[i] = udp_stream_socket(c, i, o, &dst[i]);
		if (fds[i] < 0) {
			clnt_error(c, "UDP stream %u to %s: %s", i,
				   net_addr_str(&dst[i], addr, sizeof(addr)),
				   clnt_conn_error(fds[i]));
			return fds[i];
		}
	}
	err = clnt_run_new(c);
	if (!err && (err = run_prepare(c->run, fds, true, why, sizeof(why)))) {
		clnt_error(c, "cannot prepare the %s engine: %s", xfr_engine_name(c->res->engine),
			   why);
		return err;
	}
	if (err) {
		clnt_error(c, "cannot prepare the %s engine: %s", xfr_engine_name(c->res->engine),
			   strerror(-err));
		return err;
	}
	for (uint32_t i = 0; i < c->cfg->streams; i++) {
		err = udp_stream_hello(c, i, fds[i], &dst[i]);
		if (err)
			return err;
	}
	return 0;
}

static int open_stream(struct clnt *c, uint32_t i, const struct net_opts *o)
{
	const struct xfr_config *cfg = c->cfg;
	bool single = clnt_single_port(c);
	struct net_addr dst = c->server, src = {0};
	bool has_src;
	int fd, err;
	char addr[80];

	if (cfg->proto != XFR_PROTO_TCP)
		return open_udp_stream(c, i, o);
	net_set_port(&dst, single ? cfg->port : c->ack.data_ports[i]);
	has_src = stream_src(c, i, &dst, &src);
	fd = net_connect(&dst, has_src ? &src : NULL, cfg->mptcp, o, cfg->connect_timeout_ms,
			 c->sigfd);
	if (fd < 0) {
		clnt_error(c, "data stream %u: cannot connect to %s: %s", i,
			   net_addr_str(&dst, addr, sizeof(addr)), clnt_conn_error(fd));
		return fd;
	}
	if (single && (err = send_data_hello(c, fd, i))) {
		close(fd);
		clnt_error(c, "data stream %u: %s", i, strerror(-err));
		return err;
	}
	return fd;
}

int clnt_open_streams(struct clnt *c, int *fds)
{
	const struct xfr_config *cfg = c->cfg;
	struct net_opts o = {.window = cfg->window, .tos = cfg->tos, .nodelay = cfg->nodelay};

	snprintf(o.congestion, sizeof(o.congestion), "%s", cfg->congestion);
	if (cfg->proto == XFR_PROTO_QUIC)
		return clnt_quic_streams(c, fds);
	if (cfg->proto == XFR_PROTO_UDP && (c->dp.engine != XFR_ENG_SOCKET || c->dp.drop_reasons))
		return open_udp_prepared(c, fds, &o);
	for (uint32_t i = 0; i < cfg->streams; i++) {
		fds[i] = open_stream(c, i, &o);
		if (fds[i] < 0)
			return fds[i];
	}
	return 0;
}
