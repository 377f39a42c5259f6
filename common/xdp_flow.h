/* SPDX-License-Identifier: MIT */
/*
 * Types shared by bpf/xdp_count.bpf.c and user/bpf/xdp_count.c: the flow key, the
 * per-CPU counters and the shared sequence/jitter state. Fixed layout, __u32 and
 * __u64 only, explicit padding, so that BPF and user space agree byte for byte.
 */
#ifndef XFR_COMMON_XDP_FLOW_H
#define XFR_COMMON_XDP_FLOW_H

#include <linux/types.h>
#include <linux/bpf.h>

#define XDP_FLOW_MAX	 256 /* flow slots */
#define XDP_SEQ_WINDOW	 64  /* bits in the reorder window */
#define XDP_JITTER_SHIFT 4   /* jitter is kept as ns << 4 (×16) */
/*
 * Our senders number each flow from 0. A flow's first sequence must be below
 * XDP_SEQ_FIRST_MAX (its first packets may be lost, not 65536 of them), and
 * no sequence may jump XDP_SEQ_JUMP_MAX or more past the highest (hours at
 * line rate; seqtrack.h's bound): such packets are forged or corrupt, counted
 * in "forged" and kept out of the sequence figures, so that one datagram
 * with a made-up sequence cannot shape the loss.
 */
#define XDP_SEQ_FIRST_MAX (1ULL << 16)
#define XDP_SEQ_JUMP_MAX  (1ULL << 32)

enum xdp_count_mode {
	XDP_COUNT_DROP = 0, /* count, then XDP_DROP (flood sink) */
	XDP_COUNT_PASS = 1, /* count, then XDP_PASS (the socket still receives) */
	/* count, then redirect to the AF_XDP socket of the rx queue (XSKMAP "xc_xsks"); none: pass */
	XDP_COUNT_REDIRECT = 2,
};

#define XDP_XSKS_MAX 64 /* XSKMAP entries, keyed by rx queue index */

/*
 * Live-frames generator input (bpf/xdp_gen.bpf.c): XDP metadata in front of
 * the frame template, with this process's random generator key and the
 * interface the run transmits through. Where our counter holds that
 * interface, the generator runs as the counter's tail call "tail" (xc_gen_tail in
 * bpf/xdp_count.bpf.c): the attached program is in the kernel's XDP
 * dispatcher, which keeps BPF_PROG_RUN cheap. Live frames keep their metadata
 * across veth, so a received frame can carry it too: a peer's (another key),
 * or, in a process at both ends, ours with the other end's interface; the
 * counter counts those.
 */
#define XDP_GEN_TAILS 16

struct xdp_gen_meta {
	__u32 slot;
	__u32 tail;
	__u64 key;
	__u32 ifindex;
	__u32 pad;
};

/*
 * 5-tuple as seen by the receiver: saddr/sport = the sender. IPv4 addresses are
 * stored IPv4-mapped (::ffff:a.b.c.d). Ports in network byte order. 40 bytes.
 */
struct xdp_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* network order */
	__u16 dport; /* network order */
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 pad[3];
};

/* Per-CPU counters, one record per slot; user space sums over possible CPUs. */
struct xdp_flow_cnt {
	__u64 packets;
	__u64 bytes;	   /* UDP payload bytes, xfr header included */
	__u64 malformed;   /* UDP payload shorter than the 16-byte xfr header */
	__u64 unsequenced; /* counted, but the sequence lock stayed busy (never seen) */
	__u64 forged;	   /* a sequence no sender of ours sends (XDP_SEQ_*_MAX) */
	__u64 pad[3];
} __attribute__((aligned(64)));

/*
 * Sequence and jitter state shared by all CPUs, under "lock": a word taken
 * with an atomic compare-and-exchange and released with an atomic exchange
 * (bpf_spin_lock costs ~30 ns a packet in its irq save/restore; this, ~2).
 * The array is mmapped read-only by user space, which reads each field with
 * one 64-bit load: no field is ever torn, fields may be a packet apart.
 */
struct xdp_flow_seq {
	__u32 lock;
	__u32 pad;
	__u64 next_seq;	    /* highest sequence seen + 1 */
	__u64 window;	    /* bit i set: sequence next_seq - 1 - i was seen */
	__u64 lost;	    /* gaps not (yet) filled */
	__u64 out_of_order; /* late fills and packets older than the window */
	__u64 duplicates;
	__u64 jitter;	    /* RFC 3550 J, in ns << XDP_JITTER_SHIFT */
	__u64 jitter_max;   /* max of jitter, same unit */
	__u64 last_transit; /* arrival ns - sender timestamp µs × 1000 (mod 2^64) */
	__u64 seen;	    /* packets that went through the sequence logic */
};

/*
 * RFC 3550 §6.4.1 jitter: J += (|D| - J) / 16, D = difference of transit times.
 * With S = J << 4 held instead of J this is S += |D| - S / 16 (integer, no
 * floats in BPF): S converges to 16 J, truncation error below one unit.
 * Returns the new scaled jitter; transit values are in one unit (the
 * counter uses ns), mod 2^64.
 */
static inline __u64 xdp_jitter_update(__u64 scaled, __u64 prev_transit, __u64 transit)
{
	__s64 d = (__s64)(transit - prev_transit);
	__u64 ad = d < 0 ? (__u64)-d : (__u64)d;

	return scaled + ad - (scaled >> XDP_JITTER_SHIFT);
}

#endif /* XFR_COMMON_XDP_FLOW_H */
