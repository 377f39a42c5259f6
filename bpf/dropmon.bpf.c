// SPDX-License-Identifier: GPL-2.0
/*
 * Attribute kernel packet drops of registered test flows to the kernel's drop
 * reason. Attached to the skb:kfree_skb tracepoint (BTF-enabled), which only
 * fires for drops: consume_skb, the normal end of a delivered packet, has its
 * own tracepoint. The reason argument exists since 5.17, so 6.1 works.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "dropmon_maps.h"

#define DM_ETH_P_IP   0x0800
#define DM_ETH_P_IPV6 0x86DD
#define DM_AF_INET    2
#define DM_AF_INET6   10
#define DM_PROTO_TCP  6
#define DM_PROTO_UDP  17

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load: 0 counts nothing (a cheap off switch). */
const volatile __u32 dm_enabled = 1;
/*
 * The network namespace (its inode number) whose drops count: the
 * tracepoint sees every namespace of the kernel, and a test between
 * namespaces must not count the peer's or a router's drops as this host's.
 * 0 = all.
 */
const volatile __u32 dm_netns = 0;

/* Inode of the namespace the skb is in: its device's, else its socket's; 0 = unknown. */
static __always_inline __u32 dm_skb_netns(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct sock *sk;

	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	sk = BPF_CORE_READ(skb, sk);
	if (sk)
		return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DROPMON_MAX_FLOWS);
	__type(key, struct dropmon_key);
	__type(value, __u32);
} dm_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROPMON_MAX_FLOWS *DROPMON_MAX_REASONS);
	__type(key, __u32);
	__type(value, struct dropmon_count);
} dm_counts SEC(".maps");

/*
 * Fill addresses and the L4 protocol from the network header; returns the L4
 * offset or -1. Bytes are counted from the IP header's length, not skb->len,
 * which depends on how far up the stack the packet got before it died.
 */
static __always_inline int dm_parse_ip(unsigned char *head, __u16 nh, __u16 proto,
				       struct dropmon_key *key, __u32 *ip_len)
{
	if (proto == bpf_htons(DM_ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return -1;
		if (ip.version != 4 || ip.ihl < 5)
			return -1;
		/* A non-first fragment has no ports to match. */
		if (ip.frag_off & bpf_htons(0x1fff))
			return -1;
		key->family = DM_AF_INET;
		key->proto = ip.protocol;
		key->saddr[0] = ip.saddr;
		key->daddr[0] = ip.daddr;
		*ip_len = bpf_ntohs(ip.tot_len);
		return nh + ip.ihl * 4;
	}
	if (proto == bpf_htons(DM_ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return -1;
		/* Extension headers are not walked: test flows do not use them. */
		key->family = DM_AF_INET6;
		key->proto = ip6.nexthdr;
		__builtin_memcpy(key->saddr, &ip6.saddr, 16);
		__builtin_memcpy(key->daddr, &ip6.daddr, 16);
		*ip_len = bpf_ntohs(ip6.payload_len) + sizeof(ip6);
		return nh + sizeof(ip6);
	}
	return -1;
}

/*
 * Datagrams (or TCP segments) in the skb: a GSO packet from a local sender or
 * a GRO aggregate dies as one skb holding gso_segs of them, and users count
 * datagrams. skb_shinfo() is head + end (end is an offset on 64-bit).
 */
static __always_inline __u32 dm_segs(struct sk_buff *skb, unsigned char *head)
{
	struct skb_shared_info *sh;
	__u16 size, segs;

	sh = (struct skb_shared_info *)(head + BPF_CORE_READ(skb, end));
	size = BPF_CORE_READ(sh, gso_size);
	segs = BPF_CORE_READ(sh, gso_segs);
	return size && segs > 1 ? segs : 1;
}

SEC("tp_btf/kfree_skb")
int dm_kfree_skb(__u64 *ctx)
{
	/* Arguments: skb, location, reason (and rx_sk since 6.11); only skb and reason are used. */
	struct sk_buff *skb = (struct sk_buff *)ctx[0];
	__u64 reason = ctx[2];
	struct dropmon_key key = {};
	struct dropmon_count *cnt;
	unsigned char *head;
	__u16 ports[2];
	__u32 *slot, idx, r, ip_len = 0, segs, hdr;
	__u8 doff = 0;
	int l4, nh;

	if (!dm_enabled)
		return 0;
	if (dm_netns && dm_skb_netns(skb) != dm_netns)
		return 0;
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	l4 = dm_parse_ip(head, nh, BPF_CORE_READ(skb, protocol), &key, &ip_len);
	if (l4 < 0 || (key.proto != DM_PROTO_UDP && key.proto != DM_PROTO_TCP))
		return 0;
	/* Source and destination ports lead both the UDP and the TCP header. */
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + l4))
		return 0;
	key.sport = bpf_ntohs(ports[0]);
	key.dport = bpf_ntohs(ports[1]);
	slot = bpf_map_lookup_elem(&dm_flows, &key);
	if (!slot || *slot >= DROPMON_MAX_FLOWS)
		return 0;
	r = (__u32)reason;
	if (r >= DROPMON_MAX_REASONS)
		r = DROPMON_REASON_OTHER;
	idx = *slot * DROPMON_MAX_REASONS + r;
	cnt = bpf_map_lookup_elem(&dm_counts, &idx);
	if (!cnt)
		return 0;
	/*
	 * A GSO/GRO skb's IP length covers all its payload once; each datagram
	 * on the wire carried its own IP and L4 headers: add them for the rest.
	 */
	segs = dm_segs(skb, head);
	hdr = l4 - nh + 8;
	if (key.proto == DM_PROTO_TCP) {
		if (bpf_probe_read_kernel(&doff, 1, head + l4 + 12))
			doff = 0x50;
		hdr = l4 - nh + (doff >> 4) * 4;
	}
	/* Per-CPU slot: plain adds are safe, the tracepoint does not nest on one CPU. */
	cnt->packets += segs;
	cnt->bytes += ip_len + (__u64)(segs - 1) * hdr;
	return 0;
}
