/* SPDX-License-Identifier: MIT */
/*
 * Path-MTU probe (--probe-mtu, capability mtu_probe_v1), both directions, on
 * one connected UDP socket per end (docs/MTUPROBE.md).
 *
 * Packet: "XFRP" | ver 1 | kind | flags u16 | seq u32 | declared_size u16 |
 * reserved u16 0 | zero padding to declared_size. A probe (kind 1) is valid
 * only if its length equals declared_size; acks (2) and echo requests (3) are
 * exactly 16 bytes.
 *   forward (client -> server): client sends a kind-1 probe of N bytes with DF,
 *     the responder answers a 16-byte kind-2 ack with the same seq and N.
 *   reverse (server -> client): client sends a 16-byte kind-3 echo request
 *     declaring N, the responder answers a kind-1 probe of N bytes with DF and
 *     the same seq; the client acks nothing. If the responder's own interface
 *     refuses N (EMSGSIZE) it answers a kind-2 ack with MTUPROBE_FLAG_LOCAL_LIMIT.
 * DF is IP_MTU_DISCOVER = IP_PMTUDISC_PROBE (IPv6: IPV6_MTU_DISCOVER =
 * IPV6_PMTUDISC_PROBE and IPV6_DONTFRAG = 1): no fragmentation and no clamp to
 * a cached path MTU, so EMSGSIZE means "bigger than our interface".
 */
#ifndef XFR_CONTROL_MTUPROBE_H
#define XFR_CONTROL_MTUPROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/result.h"

#define MTUPROBE_ATTEMPTS	  3
#define MTUPROBE_FLAG_LOCAL_LIMIT 0x0001 /* on an ack answering an echo request */

#define MTUPROBE_TIMEOUT_MS 250 /* reply timeout per attempt */

/*
 * Client: probe both directions through fd, a UDP socket connected to the
 * server's responder. ipv6 selects the IP+UDP overhead (48, else 28): pass
 * false for an IPv4 peer on an AF_INET6 socket. Sets DF on fd for the probe
 * and restores the previous setting before returning. stop_fd (-1 = none) is
 * polled, never read: when it is readable the probe stops.
 * Fills *out (sizes ascending; what was not reached stays Untested), also when
 * stopped. 0, -EINTR when stopped, or -errno of a socket error. timeout_ms:
 * the reply timeout per attempt (0 = MTUPROBE_TIMEOUT_MS).
 * Bounded: about 25 sizes per direction at most, each 3 x timeout.
 */
int mtuprobe_run(int fd, bool ipv6, int stop_fd, int timeout_ms, struct xfr_mtu_result *out);

/* An XFRP packet of version 1 (any kind; not checked further). */
bool mtuprobe_is_probe(const void *pkt, size_t len);

/*
 * Server: pkt/len is a datagram received on fd, a UDP socket connected to the
 * client. Answers probes with acks and echo requests with probes (setting DF
 * on fd, left set). 1 = it was a probe packet (answered, or dropped when
 * malformed or the send failed transiently), 0 = not a probe packet,
 * -errno = fd is unusable.
 */
int mtuprobe_respond(int fd, const void *pkt, size_t len);

#endif
