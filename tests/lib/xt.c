// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the C tests: see xt.h. Every function cleans up what it
 * opened when it fails, and says why with -errno (or a reason string).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/xt.h"

/*
 * A socket of fam bound to the loopback address, port 0, and its address.
 * An AF_INET6 end whose peer is AF_INET is dual-stack and bound to ::.
 */
static int end_bind(int fam, int peer, int type, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = socket(fam, type | SOCK_CLOEXEC, 0), zero = 0, err;

	if (fd < 0)
		return -errno;
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		if (peer == AF_INET6)
			s->sin6_addr = in6addr_loopback;
		else if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
			goto close_fd;
		*len = sizeof(*s);
	}
	if (bind(fd, (struct sockaddr *)ss, *len) || getsockname(fd, (struct sockaddr *)ss, len))
		goto close_fd;
	return fd;
close_fd:
	err = -errno;
	close(fd);
	return err;
}

/*
 * The address at which a socket of family fam reaches end ss: ss itself, the
 * IPv4-mapped form of an IPv4 end, or 127.0.0.1 for a dual-stack end on ::.
 */
static socklen_t peer_addr(int fam, const struct sockaddr_storage *ss, struct sockaddr_storage *out)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	struct sockaddr_in *o4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *o6 = (struct sockaddr_in6 *)out;

	*out = *ss;
	if (fam == ss->ss_family)
		return fam == AF_INET ? sizeof(*o4) : sizeof(*o6);
	memset(out, 0, sizeof(*out));
	if (fam == AF_INET) {
		o4->sin_family = AF_INET;
		o4->sin_port = s6->sin6_port;
		o4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*o4);
	}
	o6->sin6_family = AF_INET6;
	o6->sin6_port = s4->sin_port;
	o6->sin6_addr.s6_addr[10] = o6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&o6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
	return sizeof(*o6);
}

int xt_udp_pair_af(int fam_a, int fam_b, int *a, int *b)
{
	struct sockaddr_storage sa, sb, to;
	socklen_t la, lb;
	int err;

	*a = end_bind(fam_a, fam_b, SOCK_DGRAM, &sa, &la);
	if (*a < 0)
		return *a;
	*b = end_bind(fam_b, fam_a, SOCK_DGRAM, &sb, &lb);
	if (*b < 0) {
		err = *b;
		goto close_a;
	}
	la = peer_addr(fam_b, &sa, &to);
	if (connect(*b, (struct sockaddr *)&to, la))
		goto close_b;
	lb = peer_addr(fam_a, &sb, &to);
	if (connect(*a, (struct sockaddr *)&to, lb))
		goto close_b;
	return 0;
close_b:
	err = -errno;
	close(*b);
close_a:
	close(*a);
	return err;
}

int xt_tcp_pair_af(int fam_a, int fam_b, int *a, int *b)
{
	struct sockaddr_storage sl, to;
	socklen_t len;
	int ls, err;

	ls = end_bind(fam_b, fam_a, SOCK_STREAM, &sl, &len);
	if (ls < 0)
		return ls;
	if (listen(ls, 8))
		goto close_ls;
	*a = socket(fam_a, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*a < 0)
		goto close_ls;
	len = peer_addr(fam_a, &sl, &to);
	if (connect(*a, (struct sockaddr *)&to, len))
		goto close_a;
	*b = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (*b < 0)
		goto close_a;
	close(ls);
	return 0;
close_a:
	err = -errno;
	close(*a);
	close(ls);
	return err;
close_ls:
	err = -errno;
	close(ls);
	return err;
}

int xt_tcp_pair(int *a, int *b)
{
	return xt_tcp_pair_af(AF_INET, AF_INET, a, b);
}

int xt_udp_pair(int *a, int *b)
{
	return xt_udp_pair_af(AF_INET, AF_INET, a, b);
}

int xt_connect_pairs(struct engine *s, struct engine *r, uint32_t n, int (*mk)(int *a, int *b),
		     int rcvbuf)
{
	uint32_t i;
	int a, b, err;

	for (i = 0; i < n; i++) {
		err = mk(&a, &b);
		if (err)
			return err;
		if (rcvbuf > 0 && setsockopt(b, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) {
			err = -errno;
			close(a);
			close(b);
			return err;
		}
		err = s->ops->add_stream(s, i, a, true, false, XFR_FLOW_UP);
		if (err) {
			close(b);
			return err;
		}
		err = r->ops->add_stream(r, i, b, false, true, XFR_FLOW_DOWN);
		if (err)
			return err;
	}
	return 0;
}

uint64_t xt_wait_fd(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t v;

	if (poll(&pfd, 1, ms) != 1 || read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

void xt_msleep(unsigned int ms)
{
	usleep(ms * 1000);
}

int xt_if_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	err = ioctl(fd, SIOCGIFHWADDR, &ifr) ? -errno : 0;
	close(fd);
	if (!err)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return err;
}

/* True once both ends show carrier and state UP; a new veth can take most of a second (6.1). */
static bool veth_carrier(const char *a, const char *b)
{
	char cmd[320];

	snprintf(cmd, sizeof(cmd),
		 "for i in $(seq 150); do ip link show dev %s | grep -q 'LOWER_UP.*state UP' && "
		 "ip link show dev %s | grep -q 'LOWER_UP.*state UP' && exit 0; sleep 0.02; "
		 "done; exit 1",
		 b, a);
	return system(cmd) == 0;
}

const char *xt_why(const char *what, int err)
{
	static char why[160];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(err));
	return why;
}

const char *xt_netns_veth(const char *a, const char *b)
{
	char cmd[256];

	if (unshare(CLONE_NEWNET))
		return xt_why("unshare(CLONE_NEWNET)", errno);
	snprintf(cmd, sizeof(cmd),
		 "ip link set lo up && ip link add %s type veth peer name %s && "
		 "ip link set %s up && ip link set %s up",
		 a, b, a, b);
	if (system(cmd))
		return "cannot create a veth pair";
	if (!veth_carrier(a, b))
		return "the veth pair has no carrier after 3 s";
	return NULL;
}

int xt_cap_start(struct xt_cap *c)
{
	fflush(stderr);
	c->f = tmpfile();
	if (!c->f)
		return -errno;
	c->saved = dup(STDERR_FILENO);
	if (c->saved < 0 || dup2(fileno(c->f), STDERR_FILENO) < 0) {
		int err = -errno;

		if (c->saved >= 0)
			close(c->saved);
		fclose(c->f);
		return err;
	}
	return 0;
}

int xt_cap_end(struct xt_cap *c)
{
	int lines = 0;
	size_t n;

	fflush(stderr);
	if (dup2(c->saved, STDERR_FILENO) < 0)
		return -errno;
	close(c->saved);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	fclose(c->f);
	for (size_t i = 0; i < n; i++)
		lines += c->text[i] == '\n';
	return lines;
}
