// SPDX-License-Identifier: MIT
/* Sockets: addresses, listening, connecting, per-test options. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/net.h"
#include "units.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

int net_resolve(const char *host, uint16_t port, enum xfr_family family, struct net_addr *out)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res;
	char svc[8];
	int rc;

	hints.ai_family = family == XFR_AF_INET	   ? AF_INET
			  : family == XFR_AF_INET6 ? AF_INET6
						   : AF_UNSPEC;
	snprintf(svc, sizeof(svc), "%u", port);
	rc = getaddrinfo(host, svc, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME || rc == EAI_NODATA) {
		/* AI_ADDRCONFIG hides families with no address but loopback: retry without. */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, svc, &hints, &res);
	}
	if (rc)
		return rc == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int parse_ip(const char *s, struct net_addr *out)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		out->len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		out->len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

int net_parse_port(const char *s, uint16_t *port)
{
	uint64_t v;
	int err = units_parse_uint(s, 1, 65535, &v);

	if (!err)
		*port = (uint16_t)v;
	return err;
}

int net_parse_bind(const char *spec, struct net_addr *out, uint16_t *port_out)
{
	char buf[128];
	char *colon, *close;

	*port_out = 0;
	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	if (buf[0] == '[') {
		close = strchr(buf, ']');
		if (!close)
			return -EINVAL;
		*close = '\0';
		if (close[1] == ':' && net_parse_port(close + 2, port_out))
			return -EINVAL;
		if (close[1] && close[1] != ':')
			return -EINVAL;
		return parse_ip(buf + 1, out) || net_family(out) != AF_INET6 ? -EINVAL : 0;
	}
	colon = strchr(buf, ':');
	if (colon && !strchr(colon + 1, ':')) { /* exactly one colon: IPv4:port */
		*colon = '\0';
		if (net_parse_port(colon + 1, port_out))
			return -EINVAL;
	}
	return parse_ip(buf, out);
}

int net_family(const struct net_addr *a)
{
	return a->ss.ss_family;
}

uint16_t net_port(const struct net_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

void net_set_port(struct net_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

/* IPv4 address of a, also when it is IPv4-mapped IPv6; false otherwise. */
static bool as_v4(const struct net_addr *a, struct in_addr *v4)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;

	if (a->ss.ss_family == AF_INET) {
		*v4 = ((const struct sockaddr_in *)&a->ss)->sin_addr;
		return true;
	}
	if (a->ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		memcpy(v4, &in6->sin6_addr.s6_addr[12], 4);
		return true;
	}
	return false;
}

void net_unmap_v4(struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	struct sockaddr_in s4 = {.sin_family = AF_INET};

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
}

bool net_is_v4(const struct net_addr *a)
{
	struct in_addr v4;

	return as_v4(a, &v4);
}

/* Address only, no port. */
static char *net_host_str(const struct net_addr *a, char *buf, size_t len)
{
	struct in_addr v4;

	if (as_v4(a, &v4))
		inet_ntop(AF_INET, &v4, buf, len);
	else if (a->ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, buf, len);
	else
		snprintf(buf, len, "?");
	return buf;
}

char *net_addr_str(const struct net_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	struct in_addr v4;

	net_host_str(a, host, sizeof(host));
	if (as_v4(a, &v4))
		snprintf(buf, len, "%s:%u", host, net_port(a));
	else
		snprintf(buf, len, "[%s]:%u", host, net_port(a));
	return buf;
}

bool net_same_host(const struct net_addr *a, const struct net_addr *b)
{
	struct in_addr a4, b4;
	bool va = as_v4(a, &a4), vb = as_v4(b, &b4);

	if (va || vb)
		return va && vb && a4.s_addr == b4.s_addr;
	if (a->ss.ss_family != AF_INET6 || b->ss.ss_family != AF_INET6)
		return false;
	return !memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		       &((const struct sockaddr_in6 *)&b->ss)->sin6_addr, sizeof(struct in6_addr));
}

int net_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

static int set_int(int fd, int level, int opt, int val, const char *name)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)) == 0)
		return 0;
	pr_err("cannot set %s to %d: %s", name, val, strerror(errno));
	return -errno;
}

static int apply_tos(int fd, int family, int tos)
{
	/* A dual-stack socket may carry IPv4: set both, require the family's own. */
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		return set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, tos, "IPV6_TCLASS (--dscp)");
	}
	return set_int(fd, IPPROTO_IP, IP_TOS, tos, "IP_TOS (--dscp)");
}

int net_apply_opts(int fd, int family, const struct net_opts *o)
{
	int err;

	if (o->window) {
		err = set_int(fd, SOL_SOCKET, SO_SNDBUF, (int)o->window, "SO_SNDBUF (--window)");
		if (!err)
			err = set_int(fd, SOL_SOCKET, SO_RCVBUF, (int)o->window,
				      "SO_RCVBUF (--window)");
		if (err)
			return err;
	}
	if (o->tos >= 0 && (err = apply_tos(fd, family, o->tos)))
		return err;
	if (o->nodelay && (err = set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY")))
		return err;
	if (o->congestion[0] &&
	    setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o->congestion, strlen(o->congestion))) {
		err = -errno;
		pr_err("congestion control \"%s\": %s", o->congestion, strerror(errno));
		return err;
	}
	return 0;
}

/* A socket bound to a: SO_REUSEADDR, optional SO_REUSEPORT, V6ONLY as asked. */
static int bound_socket(const struct net_addr *a, int type, int proto, bool v6only, bool reuseport)
{
	int fd, err, one = 1, v6 = v6only;

	fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		goto close_fd;
	if (a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6)))
		goto close_fd;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len))
		goto close_fd;
	return fd;

close_fd:
	err = -errno;
	close(fd);
	return err;
}

int net_listen(const struct net_addr *addr, bool v6only, bool mptcp, int backlog)
{
	int fd =
		bound_socket(addr, SOCK_STREAM, mptcp ? IPPROTO_MPTCP : IPPROTO_TCP, v6only, false);
	int err;

	if (fd < 0 || !listen(fd, backlog))
		return fd;
	err = -errno;
	close(fd);
	return err;
}

/* Wait for a non-blocking connect; -ETIMEDOUT, -EINTR (stop_fd readable) or the error. */
static int wait_connected(int fd, uint32_t timeout_ms, int stop_fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = stop_fd, .events = POLLIN}};
	int n, soerr = 0;
	socklen_t sl = sizeof(soerr);

	n = poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms ? (int)timeout_ms : -1);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	if (stop_fd >= 0 && (p[1].revents & POLLIN))
		return -EINTR;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
		return -errno;
	return -soerr;
}

int net_connect(const struct net_addr *dst, const struct net_addr *src, bool mptcp,
		const struct net_opts *o, uint32_t timeout_ms, int stop_fd)
{
	int fd, err, one = 1;

	fd = socket(dst->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    mptcp ? IPPROTO_MPTCP : IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (o && (err = net_apply_opts(fd, dst->ss.ss_family, o)))
		goto close_fd;
	if (src) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&src->ss, src->len)) {
			err = -errno;
			goto close_fd;
		}
	}
	if (connect(fd, (const struct sockaddr *)&dst->ss, dst->len) == 0)
		goto done;
	if (errno != EINPROGRESS) {
		err = -errno;
		goto close_fd;
	}
	err = wait_connected(fd, timeout_ms, stop_fd);
	if (err)
		goto close_fd;
done:
	err = net_set_nonblock(fd, false);
	if (!err)
		return fd;
close_fd:
	close(fd);
	return err;
}

int net_udp_socket(const struct net_addr *local, bool v6only, bool reuseport)
{
	return bound_socket(local, SOCK_DGRAM, IPPROTO_UDP, v6only, reuseport);
}
