/* SPDX-License-Identifier: MIT */
/*
 * Loader and reader for bpf/xdp_count.bpf.c: open the skeleton, set the mode,
 * load, attach to an interface through a bpf_link (the kernel detaches it when
 * the last fd closes, SIGKILL included), register flows, read their counters.
 */
#ifndef XFR_BPF_XDP_COUNT_H
#define XFR_BPF_XDP_COUNT_H

#include <stddef.h>
#include <stdint.h>

#include "xdp_flow.h"

struct xdp_count;

/* Per-flow figures: per-CPU counters summed, sequence state copied under lock. */
struct xdp_count_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t malformed;
	uint64_t lost;
	uint64_t out_of_order;
	uint64_t duplicates;
	uint64_t next_seq;
	uint64_t jitter_us16; /* RFC 3550 jitter, µs × 16 */
	uint64_t jitter_max_us16;
	uint64_t unsequenced; /* counted, but skipped the sequence logic (a lock never freed) */
	uint64_t forged;      /* counted, but a sequence none of our senders sends (xdp_flow.h) */
};

/*
 * Loaders report, they never log: a failing call returns -errno (or NULL with
 * errno) and writes one line for the user into @why (@whylen bytes; NULL, 0
 * when the caller does not want it), without a trailing newline.
 */

/* Opens and loads the program with @mode (enum xdp_count_mode). NULL + errno, @why. */
struct xdp_count *xdp_count_open(uint32_t mode, char *why, size_t whylen);
/*
 * Attach through a bpf_link (the kernel detaches it when the last fd closes,
 * SIGKILL included): native XDP (0), or generic (skb) mode when the driver
 * has none (1; @why says why native failed, for the caller to announce).
 * -EBUSY when the interface already has an XDP program, or -errno; @why names
 * the interface.
 */
int xdp_count_attach(struct xdp_count *xc, int ifindex, char *why, size_t whylen);
void xdp_count_detach(struct xdp_count *xc);
int xdp_count_prog_fd(const struct xdp_count *xc);
/* XSKMAP "xc_xsks" (key: rx queue index, value: AF_XDP socket fd) for XDP_COUNT_REDIRECT. */
int xdp_count_xskmap_fd(const struct xdp_count *xc);
/*
 * Let the live-frames generator @gen_prog_fd run through this counter's
 * program (a tail call, see xdp_flow.h): its tail slot, or -ENOSPC/-errno.
 */
int xdp_count_gen_hook(struct xdp_count *xc, int gen_prog_fd);
void xdp_count_gen_unhook(struct xdp_count *xc, int tail);
/* Registers @key (ports network order, IPv4 mapped) in @slot < XDP_FLOW_MAX. */
int xdp_count_add_flow(struct xdp_count *xc, const struct xdp_flow_key *key, uint32_t slot);
int xdp_count_del_flow(struct xdp_count *xc, const struct xdp_flow_key *key);
int xdp_count_read(struct xdp_count *xc, uint32_t slot, struct xdp_count_stats *st);
/* Builds a key from addresses in network order (IPv4: 4 bytes, IPv6: 16 bytes). */
void xdp_count_key(struct xdp_flow_key *key, int family, const void *saddr, const void *daddr,
		   uint16_t sport_be, uint16_t dport_be);
void xdp_count_destroy(struct xdp_count *xc);

#endif /* XFR_BPF_XDP_COUNT_H */
