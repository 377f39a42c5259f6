/* SPDX-License-Identifier: MIT */
/* Sockets: addresses, listening, connecting, and the options a test asks for. */
#ifndef XFR_BASE_NET_H
#define XFR_BASE_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/config.h"

struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Options applied to data sockets on both ends. */
struct net_opts {
	uint64_t window;     /* SO_SNDBUF + SO_RCVBUF; 0 = autotune */
	int tos;	     /* IP_TOS / IPV6_TCLASS; -1 = unset */
	char congestion[16]; /* TCP_CONGESTION; "" = default */
	bool nodelay;	     /* TCP_NODELAY */
};

/* getaddrinfo for a TCP peer; family restricts it. 0 or -errno (-EHOSTUNREACH when
 * the name does not resolve). */
int net_resolve(const char *host, uint16_t port, enum xfr_family family, struct net_addr *out);

/*
 * Parse "IP", "IP:PORT", "[v6]", "[v6]:PORT" (no names): the one grammar of
 * --bind, for the option parser and the sockets alike. port_out = 0 when
 * absent. 0 or -EINVAL.
 */
int net_parse_bind(const char *spec, struct net_addr *out, uint16_t *port_out);
/* A port: decimal digits only, 1 to 65535. 0, -EINVAL (not a number) or -ERANGE. */
int net_parse_port(const char *s, uint16_t *port);

/* "10.0.0.1:5201" / "[fd00::1]:5201"; IPv4-mapped IPv6 printed as IPv4. */
char *net_addr_str(const struct net_addr *a, char *buf, size_t len);

/* Same IP (port ignored), IPv4-mapped IPv6 normalised. */
bool net_same_host(const struct net_addr *a, const struct net_addr *b);

/* IPv4, or IPv4-mapped IPv6. */
bool net_is_v4(const struct net_addr *a);

/*
 * An IPv4-mapped IPv6 socket address (a dual-stack socket's view of an IPv4
 * peer) rewritten in place as the AF_INET address it is, port kept; anything
 * else is left alone. Packets carry IPv4: BPF flow keys must too.
 */
void net_unmap_v4(struct sockaddr_storage *ss);

uint16_t net_port(const struct net_addr *a);
void net_set_port(struct net_addr *a, uint16_t port);
int net_family(const struct net_addr *a);

/* Apply data-socket options. Errors name the option; -errno. */
int net_apply_opts(int fd, int family, const struct net_opts *o);

/*
 * Non-blocking listening TCP socket on addr (SO_REUSEADDR; V6ONLY off for a
 * dual-stack [::]). With mptcp, an MPTCP listener (it accepts plain TCP
 * clients as plain TCP sockets). Returns fd or -errno.
 */
int net_listen(const struct net_addr *addr, bool v6only, bool mptcp, int backlog);

/*
 * Connect a TCP (or MPTCP) socket to dst, optionally bound to src, with opts
 * applied before connect, within timeout_ms (0 = kernel default). While
 * waiting, returns -EINTR if stop_fd (e.g. a signalfd, -1 = none) becomes
 * readable. Returns a blocking connected fd or -errno.
 */
int net_connect(const struct net_addr *dst, const struct net_addr *src, bool mptcp,
		const struct net_opts *o, uint32_t timeout_ms, int stop_fd);

int net_set_nonblock(int fd, bool on);

/*
 * Non-blocking UDP socket bound to local (SO_REUSEADDR, and SO_REUSEPORT when
 * reuseport: the shared server port and its per-stream connected sockets).
 * Returns fd or -errno.
 */
int net_udp_socket(const struct net_addr *local, bool v6only, bool reuseport);

#endif
