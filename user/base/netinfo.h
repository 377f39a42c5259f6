/* SPDX-License-Identifier: MIT */
/*
 * What the kernel data plane needs to know about this host's network, asked of
 * the kernel over rtnetlink / ethtool / generic netlink: the route to a peer,
 * the next hop's MAC (resolving it when the neighbour table has none), an
 * interface's MAC, MTU, queues, driver and XDP features, and our capabilities.
 */
#ifndef XFR_BASE_NETINFO_H
#define XFR_BASE_NETINFO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct netinfo_route {
	int ifindex; /* outgoing interface */
	char ifname[16];
	int family;	     /* AF_INET / AF_INET6 */
	uint8_t src[16];     /* preferred source address (network order) */
	uint8_t nexthop[16]; /* gateway, or the destination itself when on-link */
	bool has_gateway;
};

/* Route to @dst (AF_INET or AF_INET6 sockaddr) as the kernel would pick it. 0 or -errno. */
int netinfo_route_get(const struct sockaddr *dst, struct netinfo_route *r);

/*
 * MAC of @addr (network order, family AF_INET/AF_INET6) on @ifindex from the
 * neighbour table. When absent or incomplete, trigger resolution (a UDP
 * datagram to the discard port from a socket bound to the interface) and poll
 * the table for up to @timeout_ms. 0, -EHOSTUNREACH (FAILED), -ETIMEDOUT.
 * Interfaces without ARP (loopback, point-to-point) give 00:00:00:00:00:00.
 */
int netinfo_neigh_mac(int ifindex, int family, const uint8_t *addr, uint8_t mac[6], int timeout_ms);

struct netinfo_iface {
	int ifindex;
	char name[16];
	uint8_t mac[6];
	uint32_t mtu;
	uint32_t rx_queues; /* real rx queues (ethtool channels or /sys) */
	uint32_t tx_queues;
	char driver[32]; /* ethtool drvinfo; "" = unknown */
	bool up;
	bool loopback;
	/* XDP features from the netdev generic netlink family (kernel >= 6.3) */
	bool has_xdp_features; /* false: the kernel cannot tell */
	bool xdp_native;       /* NETDEV_XDP_ACT_BASIC */
	bool xdp_redirect;     /* NETDEV_XDP_ACT_REDIRECT */
	bool xdp_ndo_xmit; /* NETDEV_XDP_ACT_NDO_XMIT: can receive XDP_REDIRECT/XDP_TX from others */
	bool xsk_zerocopy; /* NETDEV_XDP_ACT_XSK_ZEROCOPY */
};

/* By name or by index (ifindex > 0 wins). 0 or -ENODEV. */
int netinfo_iface_get(const char *name, int ifindex, struct netinfo_iface *i);

/* Up to @max interfaces of this network namespace, returns how many (or -errno). */
int netinfo_iface_list(struct netinfo_iface *out, int max);

/* Interface that holds local address @addr (network order), or -ENODEV. */
int netinfo_iface_of_addr(int family, const uint8_t *addr);

/* Capabilities in the effective set that the data plane cares about. */
struct netinfo_caps {
	bool bpf;	/* CAP_BPF (or CAP_SYS_ADMIN) */
	bool net_admin; /* CAP_NET_ADMIN */
	bool net_raw;	/* CAP_NET_RAW */
	bool perfmon;	/* CAP_PERFMON (or CAP_SYS_ADMIN): tracing programs */
};
void netinfo_caps_get(struct netinfo_caps *c);

/*
 * TCP congestion control a peer may choose: one listed in
 * /proc/sys/net/ipv4/tcp_allowed_congestion_control (what the kernel lets
 * unprivileged processes use). Read from the kernel's lists, never tried
 * with setsockopt(TCP_CONGESTION): with CAP_NET_ADMIN that makes the kernel
 * load module tcp_<name> and ignores the allowed list. @allowed gets the
 * allowed list (one line). 0 = allowed; -EPERM available but not allowed;
 * -ENOENT not available; -errno when the lists cannot be read.
 */
int netinfo_cc_check(const char *name, char *allowed, size_t len);
/* @name is one of the words of @list (space-separated, as the kernel writes it). */
bool netinfo_cc_listed(const char *list, const char *name);

#endif /* XFR_BASE_NETINFO_H */
