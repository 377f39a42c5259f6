/* SPDX-License-Identifier: MIT */
/*
 * Layout shared by bpf/dropmon.bpf.c and user/bpf/dropmon.c: the flow key user
 * space registers and the per-(flow slot, drop reason) counters the tracepoint
 * program bumps. __u32/__u64 only so both compilers agree on the layout.
 */
#ifndef XFR_COMMON_DROPMON_MAPS_H
#define XFR_COMMON_DROPMON_MAPS_H

#ifndef __VMLINUX_H__ /* BPF side gets the types from vmlinux.h */
#include <linux/types.h>
#endif

#define DROPMON_MAX_FLOWS 64
/* Reasons per flow slot; kernel reasons at or past this land in the last one. */
#define DROPMON_MAX_REASONS  256
#define DROPMON_REASON_OTHER (DROPMON_MAX_REASONS - 1)

/*
 * A flow as its packets carry it: addresses and ports of the packet's own
 * headers (source = sender). IPv4 addresses sit in addr[0], the rest zero.
 * Ports are in host order.
 */
struct dropmon_key {
	__u32 family; /* AF_INET or AF_INET6 */
	__u32 proto;  /* IPPROTO_UDP or IPPROTO_TCP */
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 sport;
	__u32 dport;
};

/* One per CPU per (slot * DROPMON_MAX_REASONS + reason). */
struct dropmon_count {
	__u64 packets;
	__u64 bytes;
};

#endif
