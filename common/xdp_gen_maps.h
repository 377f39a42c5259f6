/* SPDX-License-Identifier: MIT */
/*
 * Layout shared by bpf/xdp_gen.bpf.c and user/bpf/xdp_gen.c: the per-slot
 * state of the live-frames generator (map gen_slots, one entry per flow). One
 * definition for both compilers, fixed-width kernel types and explicit
 * padding, so the two sides agree byte for byte by construction. The
 * metadata in front of each frame is in xdp_flow.h (struct xdp_gen_meta).
 */
#ifndef XFR_COMMON_XDP_GEN_MAPS_H
#define XFR_COMMON_XDP_GEN_MAPS_H

#include <linux/types.h>

#define XDP_GEN_SLOTS 256 /* flows one generator serves */

/* Per-slot state: user space writes it (xdp_gen_flow), the program then owns next_seq and ts_*. */
struct xdp_gen_slot {
	__u64 next_seq;
	__u64 start_ns; /* bpf_ktime_get_ns() = CLOCK_MONOTONIC at the flow's start */
	__u32 l4_off;	/* UDP header */
	__u32 data_off; /* xfr data header */
	__u32 len;	/* frame length */
	__u16 csum0;	/* UDP checksum of the template (seq 0, ts 0), network order */
	__u16 pad;
	__u8 hdr[64]; /* the template's first 64 bytes: headers rewritten on every run */
	/* the batch's timestamp: read at ts_seq, in run ts_run */
	__u64 ts_us;
	__u64 ts_seq;
	__u32 ts_run;
	__u32 pad2;
};

#endif /* XFR_COMMON_XDP_GEN_MAPS_H */
