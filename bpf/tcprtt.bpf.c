// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow TCP figures of registered sockets: RTT samples, retransmitted
 * segments and bytes acknowledged by the peer. Only BTF tracepoints
 * (tp_btf), present on 6.1 and 6.18 alike: fentry/fexit on
 * tcp_ack_update_rtt would see each sample directly but needs ftrace, which
 * some kernels (this VM's) lack.
 *
 * RTT: tp_btf/tcp_probe fires for every segment an established socket
 * receives, before its ACK is processed. tcp_sock->rack holds the RTT of the
 * most recently (S)ACKed segment (a raw sample, the one min_rtt is fed, not
 * the smoothed srtt) and that segment's send time: a send time not seen
 * before is a new sample. So each sample is taken one ACK late; the last one
 * of a flow is missed.
 * Retransmits and delivered: copies of tcp_sock->total_retrans (segments,
 * what tcpi_total_retrans reports) and ->bytes_acked (exact bytes, RFC 4898;
 * SYN and FIN count one each) taken at each tcp_probe, at each retransmit
 * (tp_btf/tcp_retransmit_skb, after the kernel counted it) and at each state
 * change (sock:inet_sock_set_state, so the ACK of a FIN is seen too). Copies,
 * not sums of our own: a tracing program does not nest on one CPU, so an
 * event that arrives while it runs is skipped, and the next copy makes up.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "tcprtt_maps.h"

#define TR_AF_INET   2
#define TR_AF_INET6  10
#define TR_PROTO_TCP 6

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCPRTT_MAX_FLOWS);
	__type(key, struct tcprtt_key);
	__type(value, __u32);
} tr_flows SEC(".maps");

/*
 * One entry per flow: a socket's ACK processing and retransmits run under its
 * socket lock, so plain updates of one slot do not race each other.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCPRTT_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct tcprtt_val);
} tr_stats SEC(".maps");

/*
 * Window generation per slot, bumped by user space after it read a window:
 * the program starts a new window when it sees a new value. User space never
 * writes tr_stats, so no cumulative count can be lost to a read-modify-write.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCPRTT_MAX_FLOWS);
	__type(key, __u32);
	__type(value, __u32);
} tr_wgen SEC(".maps");

static __always_inline struct tcprtt_val *tr_lookup(const struct sock *sk, __u32 *slotp)
{
	struct tcprtt_key key = {};
	__u32 *slot;

	key.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	key.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	key.dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (key.family == TR_AF_INET) {
		key.saddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		key.daddr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	} else if (key.family == TR_AF_INET6) {
		BPF_CORE_READ_INTO(&key.saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&key.daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		return NULL;
	}
	slot = bpf_map_lookup_elem(&tr_flows, &key);
	if (!slot)
		return NULL;
	*slotp = *slot;
	return bpf_map_lookup_elem(&tr_stats, slot);
}

static __always_inline void tr_sample(struct tcprtt_val *v, __u32 slot, __u32 rtt)
{
	__u32 *gen = bpf_map_lookup_elem(&tr_wgen, &slot);

	if (gen && *gen != v->win_gen) {
		v->win_gen = *gen;
		v->win_min_us = TCPRTT_NO_RTT;
		v->win_max_us = 0;
	}
	v->samples++;
	v->rtt_sum_us += rtt;
	if (rtt < v->rtt_min_us)
		v->rtt_min_us = rtt;
	if (rtt > v->rtt_max_us)
		v->rtt_max_us = rtt;
	if (rtt < v->win_min_us)
		v->win_min_us = rtt;
	if (rtt > v->win_max_us)
		v->win_max_us = rtt;
}

/* The socket's own cumulative counters, as TCP_INFO would read them now. */
static __always_inline void tr_copy(struct tcprtt_val *v, const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	v->retransmits = BPF_CORE_READ(tp, total_retrans);
	v->delivered = BPF_CORE_READ(tp, bytes_acked);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tr_probe, struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct tcprtt_val *v;
	__u32 slot = 0;
	__u64 sent;

	v = tr_lookup(sk, &slot);
	if (!v)
		return 0;
	sent = BPF_CORE_READ(tp, rack.mstamp);
	if (sent && sent != v->last_sent) {
		v->last_sent = sent;
		tr_sample(v, slot, BPF_CORE_READ(tp, rack.rtt_us));
	}
	tr_copy(v, sk);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tr_state, struct sock *sk, int oldstate, int newstate)
{
	struct tcprtt_val *v;
	__u32 slot = 0;

	if (BPF_CORE_READ(sk, sk_protocol) != TR_PROTO_TCP)
		return 0;
	v = tr_lookup(sk, &slot);
	if (v)
		tr_copy(v, sk);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tr_retransmit, struct sock *sk, const struct sk_buff *skb)
{
	struct tcprtt_val *v;
	__u32 slot = 0;

	v = tr_lookup(sk, &slot);
	if (v)
		tr_copy(v, sk);
	return 0;
}
