// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * In-kernel flood generator, run by BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * (user/bpf/xdp_gen.c), directly or as the tail call of our attached counter. The
 * input is a frame template (user/base/frame.h) preceded by XDP metadata (struct
 * xdp_gen_meta: the flow's slot and this process's key): the metadata travels
 * with every live frame but never on the wire, and lets threads run different
 * slots at once without a shared "current slot" variable.
 *
 * Each invocation stamps the slot's next sequence and the µs since the slot's
 * start into the xfr data header (wire.h: seq u64 BE, ts u64 BE), patches the
 * UDP checksum and returns XDP_TX. The clock is read once per batch of
 * XDP_GEN_TS_EVERY frames (and at the start of every run): the kernel sends a
 * batch's frames together when it flushes the batch, so one departure time is
 * what they have, and a clock read with its division costs ~30 ns a frame. Live frames reuse their pages without
 * copying the template again, so a frame still holds whatever was written to
 * it last: our previous stamp, and, when the frame went through a stack on
 * this kernel (a router namespace forwarding it), a rewritten Ethernet header,
 * a decremented TTL. So every run first copies the template's headers (the
 * first 48 bytes for IPv4, 64 for IPv6: Ethernet, IP, UDP, the start of the
 * xfr header) from the slot, and the checksum is derived from csum0.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "wire.h"
#include "xdp_flow.h"
#include "xdp_gen_maps.h"

#define XDP_GEN_MAX_OFF	 256 /* header offsets are far below this (no VLAN, no options) */
#define XDP_GEN_TS_EVERY 64  /* frames per clock read: the live-frames batch (user/bpf/xdp_gen.c) */

const volatile __u64 gen_key; /* set by user space before load */

/* Bumped by user space before each run of a slot (xdp_gen_run): a new run reads the clock. */
__u32 run_id[XDP_GEN_SLOTS];

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDP_GEN_SLOTS);
	__type(key, __u32);
	__type(value, struct xdp_gen_slot);
} gen_slots SEC(".maps");

/* Ones-complement sum of the four big-endian 16-bit words of @v. */
static __always_inline __u64 csum_words(__u64 v)
{
	return (v >> 48) + ((v >> 32) & 0xffff) + ((v >> 16) & 0xffff) + (v & 0xffff);
}

/*
 * RFC 1624 eqn. 3 with the template's old header words all zero (see
 * frame_stamp() in user/base/frame.c): HC' = ~(~HC0 + the 8 new words).
 */
static __always_inline __u16 csum_patch(__u16 csum0_be, __u64 seq, __u64 ts)
{
	__u64 sum = (__u16)~bpf_ntohs(csum0_be);

	sum += csum_words(seq) + csum_words(ts);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (__u16)~sum;
	return bpf_htons(sum ? (__u16)sum : 0xffff);
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xdp_gen_meta *meta = (void *)(long)ctx->data_meta;
	struct xdp_gen_slot *s;
	const __u64 *h;
	__u32 slot, off, run;
	__u64 *d;
	__u64 seq, ts;
	__u8 *hdr;

	/* Not one of our runs (e.g. attached somewhere to stay in the dispatcher). */
	if ((void *)(meta + 1) > data || meta->key != gen_key)
		return XDP_PASS;
	slot = meta->slot;
	s = bpf_map_lookup_elem(&gen_slots, &slot);
	if (!s)
		return XDP_ABORTED;
	off = s->data_off;
	if (off > XDP_GEN_MAX_OFF)
		return XDP_ABORTED;
	hdr = data + off;
	if ((void *)(hdr + XFR_UDP_HDR_LEN) > end)
		return XDP_ABORTED;
	off = s->l4_off;
	if (off > XDP_GEN_MAX_OFF || data + off + 8 > end)
		return XDP_ABORTED;
	/*
	 * Headers end at data_off: 42 (IPv4) or 62 (IPv6); frames are >= 60
	 * bytes. Copied in 64-bit words: a memcpy here becomes byte copies.
	 */
	d = data;
	h = (const __u64 *)s->hdr;
	if (data + 48 > end)
		return XDP_ABORTED;
	for (int i = 0; i < 6; i++)
		d[i] = h[i];
	if (s->data_off > 48) {
		if (data + 64 > end)
			return XDP_ABORTED;
		d[6] = h[6];
		d[7] = h[7];
	}

	seq = s->next_seq++;
	run = run_id[slot & (XDP_GEN_SLOTS - 1)];
	if (run != s->ts_run || seq - s->ts_seq >= XDP_GEN_TS_EVERY) {
		s->ts_us = (bpf_ktime_get_ns() - s->start_ns) / 1000;
		s->ts_seq = seq;
		s->ts_run = run;
	}
	ts = s->ts_us;
	*(__u64 *)hdr = bpf_cpu_to_be64(seq);
	*(__u64 *)(hdr + 8) = bpf_cpu_to_be64(ts);
	*(__u16 *)(data + off + 6) = csum_patch(s->csum0, seq, ts);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
