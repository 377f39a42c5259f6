/* SPDX-License-Identifier: MIT */
/*
 * The XDP receiver of this process, shared by every test on an interface: one
 * xdp_count program per interface attached through a bpf_link (native XDP,
 * generic only as an announced fallback), flow slots handed out to tests, and
 * in redirect mode the AF_XDP sockets (one per queue) drained by one thread.
 * Reference counted: the last test to leave detaches. The control thread calls
 * these; a mutex guards the registry anyway.
 */
#ifndef XFR_ENGINE_XDP_XDP_RX_H
#define XFR_ENGINE_XDP_XDP_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/xdp_count.h"

struct xdp_rx;

/*
 * Get the receiver on @ifindex in @mode (enum xdp_count_mode), attaching it if
 * none is there. @queues: AF_XDP sockets in redirect mode (0 = 1). -EBUSY when
 * this process has it attached in another mode, or another program holds the
 * interface. On failure @why gets the reason as one line and nothing is
 * logged: the caller reports it once. A fallback to generic XDP is announced
 * here (one warning).
 */
int xdp_rx_get(int ifindex, uint32_t mode, uint32_t queues, struct xdp_rx **out, char *why,
	       size_t whylen);
/* The receiver this process has on @ifindex, in any mode (a reference), or -ENOENT. */
int xdp_rx_find(int ifindex, struct xdp_rx **out);
/*
 * Run the live-frames generator @gen_prog_fd through the receiver's attached
 * counter (cheap BPF_PROG_RUN, see xdp_flow.h): its tail slot (>= 0), or
 * -ENOSPC / -errno. Runs then go through xdp_rx_prog_fd().
 */
int xdp_rx_gen_hook(struct xdp_rx *rx, int gen_prog_fd);
int xdp_rx_prog_fd(const struct xdp_rx *rx);
void xdp_rx_gen_unhook(struct xdp_rx *rx, int tail);
/* Register a flow: a slot (>= 0) or -ENOSPC / -errno. */
int xdp_rx_add(struct xdp_rx *rx, const struct xdp_flow_key *key);
int xdp_rx_read(struct xdp_rx *rx, int slot, struct xdp_count_stats *st);
void xdp_rx_del(struct xdp_rx *rx, const struct xdp_flow_key *key, int slot);
void xdp_rx_put(struct xdp_rx *rx);

#endif /* XFR_ENGINE_XDP_XDP_RX_H */
