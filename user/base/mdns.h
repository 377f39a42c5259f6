/* SPDX-License-Identifier: MIT */
/*
 * mDNS / DNS-SD with libmdnsd (docs/DISCOVERY.md). The server announces
 * "<hostname>._xfr._tcp.local." (SRV to <hostname>.local. and its port, TXT
 * version=..., A records for its interfaces, and the DNS-SD enumeration PTR)
 * from a thread of its own; `xfr discover` browses with mdns_sock_*.
 * IPv4 only: libmdnsd 0.12 speaks IPv4 mDNS.
 */
#ifndef XFR_BASE_MDNS_H
#define XFR_BASE_MDNS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define MDNS_SERVICE "_xfr._tcp.local."
#define MDNS_PORT    5353
#define MDNS_MAX_IFS 16

/* A socket on 0.0.0.0:5353 in 224.0.0.251 on every up, multicast IPv4 interface. */
struct mdns_sock {
	int fd;
	unsigned nifs;
	struct in_addr ifs[MDNS_MAX_IFS]; /* an address of each interface joined */
};

/* 0, or -errno with a line for the user in why. */
int mdns_sock_open(struct mdns_sock *s, char *why, size_t len);
void mdns_sock_close(struct mdns_sock *s);
/* One packet out of every joined interface; 0 if it left through at least one. */
int mdns_sock_send(const struct mdns_sock *s, const void *buf, size_t len, struct in_addr to,
		   uint16_t port);

struct mdns_announcer;

/* Announce this host's xfr server on port. NULL with a line in why. */
struct mdns_announcer *mdns_announce_start(uint16_t port, const char *version, char *why,
					   size_t len);
/* Say goodbye (records with TTL 0), stop the thread, free. */
void mdns_announce_stop(struct mdns_announcer *a);

/* "<hostname>" cut to a DNS label (at most 63 bytes, no dots); "xfr-server" when none. */
void mdns_instance_name(char *buf, size_t len);

#endif
