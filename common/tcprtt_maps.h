/* SPDX-License-Identifier: MIT */
/*
 * Layout shared by bpf/tcprtt.bpf.c and user/bpf/tcprtt.c: the flow key user
 * space registers (a socket's addresses as sock_common holds them) and the
 * per-flow figures the tracing programs keep. __u32/__u64 only so both
 * compilers agree on the layout.
 */
#ifndef XFR_COMMON_TCPRTT_MAPS_H
#define XFR_COMMON_TCPRTT_MAPS_H

#ifndef __VMLINUX_H__ /* BPF side gets the types from vmlinux.h */
#include <linux/types.h>
#endif

#define TCPRTT_MAX_FLOWS 256
#define TCPRTT_NO_RTT	 0xffffffffu /* rtt_min_us / win_min_us before the first sample */

/* A socket as sock_common holds it. */
struct tcprtt_key {
	__u32 family; /* skc_family: AF_INET6 also for IPv4-mapped flows */
	__u32 lport;  /* skc_num, host order */
	__u32 dport;  /* skc_dport, network order as stored */
	__u32 saddr[4];
	__u32 daddr[4];
};

struct tcprtt_val {
	__u64 samples;
	__u64 rtt_sum_us;
	__u32 rtt_min_us; /* TCPRTT_NO_RTT until the first sample */
	__u32 rtt_max_us;
	__u32 win_min_us;
	__u32 win_max_us;
	__u64 retransmits;
	__u64 delivered;
	__u64 last_sent; /* rack.mstamp of the last sample */
	__u32 win_gen;	 /* the tr_wgen value this window belongs to */
	__u32 pad;
};

#endif /* XFR_COMMON_TCPRTT_MAPS_H */
