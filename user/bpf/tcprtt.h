/* SPDX-License-Identifier: MIT */
/*
 * Per-flow TCP figures from BPF (bpf/tcprtt.bpf.c): every RTT sample the kernel
 * takes (tcp_probe / tcp_rcv_established), retransmitted segments
 * (tcp_retransmit_skb) and delivered bytes, for registered flows, into maps
 * read each interval. Attached through bpf_links; gone when the process dies.
 */
#ifndef XFR_BPF_TCPRTT_H
#define XFR_BPF_TCPRTT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tcprtt_maps.h"

struct tcprtt;

struct tcprtt_stats {
	uint64_t samples;    /* RTT samples, cumulative */
	uint64_t rtt_sum_us; /* cumulative */
	uint32_t rtt_min_us; /* over the whole flow; 0 = no sample */
	uint32_t rtt_max_us;
	uint32_t win_min_us; /* since the previous tcprtt_read of this slot; 0 = no sample */
	uint32_t win_max_us;
	uint64_t retransmits; /* segments, cumulative */
	uint64_t delivered;   /* bytes acknowledged by the peer, cumulative */
};

/*
 * Load and attach. NULL + errno (EPERM without CAP_BPF + CAP_PERFMON) and one
 * line in @why (NULL, 0: not wanted); like every loader, never logs.
 */
struct tcprtt *tcprtt_open(char *why, size_t whylen);
void tcprtt_close(struct tcprtt *t);

/* Register the connected TCP socket @fd (its local/peer 4-tuple); returns a slot >= 0 or -errno. */
int tcprtt_add_fd(struct tcprtt *t, int fd);
int tcprtt_del(struct tcprtt *t, int slot);

/* Read a slot; resets the window min/max. 0 or -errno. */
int tcprtt_read(struct tcprtt *t, int slot, struct tcprtt_stats *st);

#endif /* XFR_BPF_TCPRTT_H */
