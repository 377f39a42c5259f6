// SPDX-License-Identifier: MIT
/*
 * -Q: the control channel over QUIC, as the reference client connects (reference
 * §2.1). One QUIC connection straight to HOST's port over UDP (ALPN "xfr",
 * SNI "xfr"); its stream 0 carries the same control messages as the TCP
 * control connection would, through the socketpair end quic_link hands out,
 * which becomes c->ctrl's fd. No TCP connection is made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_priv.h"
#include "quic/quic_link.h"

/* --quic-ca checks the certificate is for HOST when HOST is a name (an address: the chain only). */
static const char *quic_name(const char *host)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1)
		return NULL;
	return host;
}

/* The options of the QUIC handshake: the same as each data connection's. */
static void link_params(const struct clnt *c, struct engine_params *p)
{
	const struct xfr_config *cfg = c->cfg;

	*p = (struct engine_params){.proto = XFR_PROTO_QUIC, .udp_no_offload = cfg->no_offload};
	snprintf(p->quic_pin, sizeof(p->quic_pin), "%s", cfg->quic_verify);
	snprintf(p->quic_cc, sizeof(p->quic_cc), "%s", cfg->quic_cc);
	p->quic_ca = cfg->quic_ca[0] ? cfg->quic_ca : NULL;
	p->quic_name = quic_name(cfg->host);
}

/* A UDP socket connected to the server's port (from src when --bind gave one). fd or -errno. */
static int udp_connect(const struct clnt *c, const struct net_addr *src)
{
	int fd = socket(net_family(&c->server), SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	if ((src && bind(fd, (const struct sockaddr *)&src->ss, src->len)) ||
	    connect(fd, (const struct sockaddr *)&c->server.ss, c->server.len)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int clnt_quic_connect(struct clnt *c, const struct net_addr *src)
{
	struct engine_params p;
	char why[300], addr[80];
	int fd = udp_connect(c, src), ctl, err;

	net_addr_str(&c->server, addr, sizeof(addr));
	if (fd < 0) {
		clnt_error(c, "cannot connect to %s over QUIC: %s", addr, strerror(-fd));
		return fd;
	}
	link_params(c, &p);
	err = quic_link_open(&c->qlink, fd, false, &p, NULL, 0, &ctl, why, sizeof(why));
	if (err) {
		c->qlink = NULL;
		clnt_error(c, "%s: %s", addr, why);
		return err;
	}
	net_set_nonblock(ctl, true);
	return ctrl_init(&c->ctrl, ctl);
}

int clnt_quic_streams(struct clnt *c, int *fds)
{
	for (uint32_t i = 0; i < c->cfg->streams; i++) {
		fds[i] = quic_link_token(c->qlink);
		if (fds[i] < 0) {
			clnt_error(c, "QUIC stream %u: %s", i, strerror(-fds[i]));
			return fds[i];
		}
	}
	return 0;
}

void clnt_quic_close(struct clnt *c)
{
	quic_link_close(c->qlink);
	c->qlink = NULL;
}
