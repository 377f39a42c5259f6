// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * XDP receiver for xfr UDP test flows. Registered flows (5-tuple -> slot in
 * "xc_flows") are counted per CPU (packets, bytes, malformed) and their sequence
 * and jitter state is kept in one locked record per slot, so the figures stay
 * right when a flow's packets arrive on several CPUs. Everything else passes
 * untouched. Built for BPF ISA v3 (atomic compare-and-exchange: kernel 5.12).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp_flow.h"
#include "wire.h"

#define VLAN_HDR_LEN 4
#define ETH_P_8021Q_ 0x8100

/* enum xdp_count_mode: count, then drop, pass, or redirect to AF_XDP (XSKMAP). */
const volatile __u32 mode = XDP_COUNT_DROP;

/* This process's live-frames generator key (struct xdp_gen_meta), set before load. */
const volatile __u64 gen_key;

/* Generators run through this program (see xdp_flow.h): user space fills the slots. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, XDP_GEN_TAILS);
	__type(key, __u32);
	__type(value, __u32);
} xc_gen_tail SEC(".maps");

/* AF_XDP sockets by rx queue index, used in XDP_COUNT_REDIRECT mode only. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XDP_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xc_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDP_FLOW_MAX);
	__type(key, struct xdp_flow_key);
	__type(value, __u32);
} xc_flows SEC(".maps");

/*
 * The last test flow each CPU saw, so that a flood skips the hash lookup.
 * flows_gen changes whenever user space removes a flow: an entry of an older
 * generation is not trusted.
 */
struct flow_cache {
	struct xdp_flow_key key;
	__u32 slot;
	__u32 gen;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_cache);
} xc_fcache SEC(".maps");

volatile __u32 flows_gen;

static __always_inline int key_eq(const struct xdp_flow_key *a, const struct xdp_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* The flow's slot, from this CPU's cache or the hash; -1 when not a test flow. */
static __always_inline __s64 flow_slot(const struct xdp_flow_key *key)
{
	__u32 zero = 0, gen = flows_gen, *slot;
	struct flow_cache *c = bpf_map_lookup_elem(&xc_fcache, &zero);

	if (c && c->gen == gen && key_eq(&c->key, key))
		return c->slot;
	slot = bpf_map_lookup_elem(&xc_flows, key);
	if (!slot)
		return -1;
	if (c) {
		__builtin_memcpy(&c->key, key, sizeof(*key));
		c->slot = *slot;
		c->gen = gen;
	}
	return *slot;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_FLOW_MAX);
	__type(key, __u32);
	__type(value, struct xdp_flow_cnt);
} xc_flow_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDP_FLOW_MAX);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xdp_flow_seq);
} xc_flow_seq SEC(".maps");

/*
 * Attempts at a busy sequence lock. Its holder is another CPU inside this
 * program (XDP runs with bottom halves off: never preempted by the kernel),
 * done in tens of nanoseconds. Only a hypervisor that deschedules the
 * holder's vCPU makes it wait longer: past the bound the packet is counted
 * as "unsequenced" (user space reports it) rather than stalling the CPU. The
 * verifier walks the loop: ~10 instructions an attempt.
 */
#define SEQ_SPIN_MAX 1024

/* Returns the IP protocol's header start and fills the key's addresses, or NULL. */
static __always_inline void *parse_ip(void *p, void *end, __u16 proto, struct xdp_flow_key *k)
{
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = p;

		if ((void *)(ip + 1) > end || ip->ihl < 5 || ip->protocol != IPPROTO_UDP)
			return NULL;
		/* Fragments other than the first carry no UDP header. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return NULL;
		k->family = 2; /* AF_INET */
		k->saddr[10] = k->saddr[11] = 0xff;
		k->daddr[10] = k->daddr[11] = 0xff;
		__builtin_memcpy(&k->saddr[12], &ip->saddr, 4);
		__builtin_memcpy(&k->daddr[12], &ip->daddr, 4);
		p += ip->ihl * 4;
		return p > end ? NULL : p;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = p;

		/* Extension headers would need a loop: such packets pass. */
		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		k->family = 10; /* AF_INET6 */
		__builtin_memcpy(k->saddr, &ip6->saddr, 16);
		__builtin_memcpy(k->daddr, &ip6->daddr, 16);
		return ip6 + 1;
	}
	return NULL;
}

/*
 * Sequence rules (window bit i = sequence next_seq - 1 - i seen):
 * ahead of next_seq: the gap counts as lost, the window slides;
 * inside the window and unseen: a late fill, lost - 1 and out_of_order + 1;
 * inside the window and seen: a duplicate; older than the window: out_of_order + 1.
 * A first sequence of XDP_SEQ_FIRST_MAX or more, or a jump of XDP_SEQ_JUMP_MAX
 * or more past the highest, is forged (xdp_flow.h) and changes nothing.
 * Returns SEQ_DUP for a duplicate (no jitter update), SEQ_FORGED, or SEQ_OK.
 */
enum { SEQ_OK, SEQ_DUP, SEQ_FORGED, SEQ_BUSY };

static __always_inline int seq_update(struct xdp_flow_seq *s, __u64 seq)
{
	__u64 back, shift;

	if (!s->seen) {
		if (seq >= XDP_SEQ_FIRST_MAX)
			return SEQ_FORGED;
		s->lost += seq; /* sequences start at 0 */
		s->next_seq = seq + 1;
		s->window = 1;
		return SEQ_OK;
	}
	if (seq >= s->next_seq) {
		if (seq - s->next_seq >= XDP_SEQ_JUMP_MAX)
			return SEQ_FORGED;
		shift = seq - s->next_seq + 1;
		s->lost += shift - 1;
		s->window = shift >= XDP_SEQ_WINDOW ? 0 : s->window << shift;
		s->window |= 1;
		s->next_seq = seq + 1;
		return SEQ_OK;
	}
	back = s->next_seq - 1 - seq;
	if (back >= XDP_SEQ_WINDOW) {
		s->out_of_order++;
		return SEQ_OK;
	}
	if (s->window & (1ULL << back)) {
		s->duplicates++;
		return SEQ_DUP;
	}
	s->window |= 1ULL << back;
	if (s->lost)
		s->lost--;
	s->out_of_order++;
	return SEQ_OK;
}

static __always_inline int seq_lock(struct xdp_flow_seq *s)
{
	for (int i = 0; i < SEQ_SPIN_MAX; i++)
		if (__sync_val_compare_and_swap(&s->lock, 0, 1) == 0)
			return 0;
	return -1;
}

static __always_inline void seq_unlock(struct xdp_flow_seq *s)
{
	__sync_lock_test_and_set(&s->lock, 0); /* an exchange: a full barrier */
}

/* SEQ_BUSY: the lock stayed busy, the packet skipped the sequence logic; SEQ_FORGED. */
static __always_inline int seq_account(__u32 slot, __u64 seq, __u64 ts_us)
{
	struct xdp_flow_seq *s = bpf_map_lookup_elem(&xc_flow_seq, &slot);
	/* In ns: a multiply where µs would cost a division per packet. */
	__u64 transit = bpf_ktime_get_ns() - ts_us * 1000;
	int r;

	if (!s)
		return SEQ_OK;
	if (seq_lock(s))
		return SEQ_BUSY;
	r = seq_update(s, seq);
	if (r == SEQ_OK) {
		if (s->seen) {
			s->jitter = xdp_jitter_update(s->jitter, s->last_transit, transit);
			if (s->jitter > s->jitter_max)
				s->jitter_max = s->jitter;
		}
		s->last_transit = transit;
		s->seen++;
	}
	seq_unlock(s);
	return r;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xdp_gen_meta *meta = (void *)(long)ctx->data_meta;
	struct xdp_flow_key key __attribute__((aligned(8))) = {};
	struct xdp_flow_cnt *cnt;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u8 *payload;
	__u32 slot;
	__s64 sl;
	__u16 proto;
	void *p;

	/* A generator run through us (xdp_flow.h); otherwise a frame to count. */
	if ((void *)(meta + 1) <= data && meta->key == gen_key &&
	    meta->ifindex == ctx->ingress_ifindex)
		bpf_tail_call(ctx, &xc_gen_tail, meta->tail);
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	proto = eth->h_proto;
	p = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q_)) {
		if (p + VLAN_HDR_LEN > end)
			return XDP_PASS;
		proto = *(__u16 *)(p + 2);
		p += VLAN_HDR_LEN;
	}
	udp = parse_ip(p, end, proto, &key);
	if (!udp || (void *)(udp + 1) > end)
		return XDP_PASS;
	key.sport = udp->source;
	key.dport = udp->dest;
	sl = flow_slot(&key);
	if (sl < 0)
		return XDP_PASS;
	slot = (__u32)sl;
	cnt = bpf_map_lookup_elem(&xc_flow_cnt, &slot);
	if (!cnt)
		return XDP_PASS;
	payload = (__u8 *)(udp + 1);
	/*
	 * The 24-byte stream hello/ack ("\0XFR", wire.h) shares the flow's
	 * 5-tuple: it belongs to the socket, not to the count. A data packet
	 * would need sequence 0x00584652... to look like it.
	 */
	if ((void *)(payload + XFR_HELLO_LEN) <= end && end - (void *)payload == XFR_HELLO_LEN &&
	    payload[0] == 0 && payload[1] == 'X' && payload[2] == 'F' && payload[3] == 'R')
		return XDP_PASS;
	cnt->packets++;
	cnt->bytes += (__u64)(end - (void *)payload);
	if ((void *)(payload + XFR_UDP_HDR_LEN) > end) {
		cnt->malformed++;
	} else {
		int r = seq_account(slot, bpf_be64_to_cpu(*(__u64 *)payload),
				    bpf_be64_to_cpu(*(__u64 *)(payload + 8)));

		if (r == SEQ_BUSY)
			cnt->unsequenced++;
		else if (r == SEQ_FORGED)
			cnt->forged++;
	}
	/* No socket on this queue: the stack gets the packet (the flag is the fallback action). */
	if (mode == XDP_COUNT_REDIRECT)
		return bpf_redirect_map(&xc_xsks, ctx->rx_queue_index, XDP_PASS);
	return mode == XDP_COUNT_PASS ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
