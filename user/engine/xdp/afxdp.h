/* SPDX-License-Identifier: MIT */
/*
 * AF_XDP sockets through libxdp's xsk API with its default program inhibited
 * (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD): TX sockets send stamped copies of a
 * frame template (frame.h); RX sockets take the frames our XDP counter
 * (xdp_count, redirect mode) puts into its XSKMAP. Zero-copy where the driver
 * supports it, copy mode otherwise; need_wakeup always. One socket per queue;
 * each socket is used by one thread.
 */
#ifndef XFR_ENGINE_XDP_AFXDP_H
#define XFR_ENGINE_XDP_AFXDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/frame.h"

struct afxdp;

struct afxdp_stats {
	uint64_t packets;      /* TX: completed by the driver; RX: frames received */
	uint64_t bytes;	       /* frame bytes */
	uint64_t tx_ring_full; /* TX: times the ring had no room (back-pressure) */
	uint64_t rx_dropped;   /* XDP_STATISTICS: rx_dropped + rx_ring_full + fill ring empty */
	bool zerocopy;	       /* bound in zero-copy mode */
};

/*
 * Open a TX socket on @ifindex queue @queue for frames up to @frame_len bytes.
 * NULL + errno and one line in @why (NULL, 0: not wanted); the opens never log
 * a failure, their caller reports it once.
 */
struct afxdp *afxdp_tx_open(int ifindex, uint32_t queue, uint32_t frame_len, char *why,
			    size_t whylen);

/*
 * Queue @n stamped copies of @t (sequences *seq, *seq+1, ...; timestamps from
 * @ts_us), kick the driver, reap completions. Returns frames queued (may be
 * fewer than n when the ring is full) and advances *seq by that many.
 */
int afxdp_tx_send(struct afxdp *x, const struct frame_tmpl *t, uint64_t *seq, uint64_t ts_us,
		  uint32_t n);
/* Kick and reap until every queued frame completed or @timeout_ms passed. */
int afxdp_tx_flush(struct afxdp *x, int timeout_ms);

/*
 * Open an RX socket on @ifindex queue @queue and insert it into @xskmap_fd at
 * key @queue. NULL + errno and one line in @why, as afxdp_tx_open.
 */
struct afxdp *afxdp_rx_open(int ifindex, uint32_t queue, int xskmap_fd, char *why, size_t whylen);
/* Receive and recycle what is there, waiting up to @timeout_ms. Returns frames taken or -errno. */
int afxdp_rx_poll(struct afxdp *x, int timeout_ms);

void afxdp_stats(struct afxdp *x, struct afxdp_stats *st);
/* Socket fd (for poll) */
int afxdp_fd(const struct afxdp *x);
void afxdp_close(struct afxdp *x);
/* Bytes one socket takes in this process: its umem (populated at open) and bookkeeping. */
size_t afxdp_mem(bool tx);

#endif /* XFR_ENGINE_XDP_AFXDP_H */
