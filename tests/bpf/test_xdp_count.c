// SPDX-License-Identifier: MIT
/*
 * BPF_PROG_RUN table tests for bpf/xdp_count.bpf.c, the jitter arithmetic, and
 * one attach/detach test on a veth pair in a private network namespace.
 * Needs root and BPF_PROG_RUN; otherwise prints "SKIP: <reason>" and exits 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "wire.h"
#include "bpf/xdp_count.h"
#include "lib/xt.h"

uint64_t xdp_gen_key(void); /* user/bpf/xdp_gen.h, whose frame.h clashes with this file */

#define SLOT  3
#define SPORT 40000
#define DPORT 5201

struct frame_spec {
	int family;	  /* AF_INET or AF_INET6 */
	int vlan;	  /* add one 802.1Q tag */
	int ip_opts;	  /* IPv4 option bytes (multiple of 4) */
	int proto;	  /* IPPROTO_UDP by default (0) */
	uint16_t dport;	  /* 0: DPORT */
	int payload;	  /* UDP payload bytes (>= 16 to carry seq/ts) */
	uint64_t seq, ts; /* xfr header */
	int cut;	  /* if > 0, truncate the frame to this many bytes */
};

static const uint8_t v4_src[4] = {10, 0, 0, 1}, v4_dst[4] = {10, 0, 0, 2};
static const uint8_t v6_src[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t v6_dst[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

/* Builds the frame into @buf, returns its length. */
static int frame_build(uint8_t *buf, const struct frame_spec *fs)
{
	int off = 12, l4len = (int)sizeof(struct udphdr) + fs->payload;
	int proto = fs->proto ? fs->proto : IPPROTO_UDP;
	struct udphdr *udp;

	memset(buf, 0, 2048);
	memset(buf, 0xaa, 12);
	if (fs->vlan) {
		buf[off] = 0x81;
		buf[off + 1] = 0x00;
		buf[off + 3] = 42; /* VID */
		off += 4;
	}
	if (fs->family == AF_INET6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + off + 2);

		buf[off] = 0x86;
		buf[off + 1] = 0xdd;
		off += 2;
		ip6->version = 6;
		ip6->payload_len = htons(l4len);
		ip6->nexthdr = proto;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, v6_src, 16);
		memcpy(&ip6->daddr, v6_dst, 16);
		off += sizeof(*ip6);
	} else {
		struct iphdr *ip = (struct iphdr *)(buf + off + 2);

		buf[off] = 0x08;
		buf[off + 1] = 0x00;
		off += 2;
		ip->version = 4;
		ip->ihl = 5 + fs->ip_opts / 4;
		ip->tot_len = htons(ip->ihl * 4 + l4len);
		ip->ttl = 64;
		ip->protocol = proto;
		memcpy(&ip->saddr, v4_src, 4);
		memcpy(&ip->daddr, v4_dst, 4);
		memset(buf + off + sizeof(*ip), 1, fs->ip_opts); /* NOP options */
		off += ip->ihl * 4;
	}
	udp = (struct udphdr *)(buf + off);
	udp->source = htons(SPORT);
	udp->dest = htons(fs->dport ? fs->dport : DPORT);
	udp->len = htons(l4len);
	off += sizeof(*udp);
	if (fs->payload >= XFR_UDP_HDR_LEN) {
		wire_put_be64(buf + off, fs->seq);
		wire_put_be64(buf + off + 8, fs->ts);
	}
	off += fs->payload;
	return fs->cut > 0 ? fs->cut : off;
}

/* Runs one frame through the program; returns the XDP action or a negative errno. */
static int run_frame(struct xdp_count *xc, const struct frame_spec *fs)
{
	/* +2 so that the IP header is 4-byte aligned, as NET_IP_ALIGN does. */
	static uint8_t raw[2048 + 8] __attribute__((aligned(8)));
	uint8_t *buf = raw + 2;
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	opts.data_in = buf;
	opts.data_size_in = frame_build(buf, fs);
	err = bpf_prog_test_run_opts(xdp_count_prog_fd(xc), &opts);
	return err ? err : (int)opts.retval;
}

/* The same with XDP metadata @meta in front of the frame (as live frames carry it). */
static int run_frame_meta(struct xdp_count *xc, const struct frame_spec *fs,
			  const struct xdp_gen_meta *meta)
{
	static uint8_t raw[2048 + 32] __attribute__((aligned(8)));
	uint8_t *buf = raw + 2;
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct xdp_md md = {.data = sizeof(*meta), .ingress_ifindex = 1};
	int err;

	memcpy(buf, meta, sizeof(*meta));
	opts.data_in = buf;
	opts.data_size_in = sizeof(*meta) + frame_build(buf + sizeof(*meta), fs);
	md.data_end = opts.data_size_in;
	opts.ctx_in = &md;
	opts.ctx_size_in = sizeof(md);
	err = bpf_prog_test_run_opts(xdp_count_prog_fd(xc), &opts);
	return err ? err : (int)opts.retval;
}

static struct xdp_count *open_registered(uint32_t mode)
{
	struct xdp_flow_key k;
	struct xdp_count *xc = xdp_count_open(mode, NULL, 0);

	assert_non_null(xc);
	xdp_count_key(&k, AF_INET, v4_src, v4_dst, htons(SPORT), htons(DPORT));
	assert_int_equal(xdp_count_add_flow(xc, &k, SLOT), 0);
	xdp_count_key(&k, AF_INET6, v6_src, v6_dst, htons(SPORT), htons(DPORT));
	assert_int_equal(xdp_count_add_flow(xc, &k, SLOT + 1), 0);
	return xc;
}

static int setup(void **state)
{
	*state = open_registered(XDP_COUNT_DROP);
	return 0;
}

static int teardown(void **state)
{
	xdp_count_destroy(*state);
	return 0;
}

static struct xdp_count_stats stats_of(struct xdp_count *xc, uint32_t slot)
{
	struct xdp_count_stats st;

	assert_int_equal(xdp_count_read(xc, slot, &st), 0);
	return st;
}

/*
 * The table: one frame each into a fresh counter, expected action and
 * counters of the IPv4 slot (next_seq and lost: what the sequence logic made
 * of it, 0 when it took no part).
 */
struct table_case {
	const char *name;
	struct frame_spec fs;
	int action;
	uint64_t packets, malformed, forged, next_seq, lost;
};

static const struct table_case cases[] = {
	{"udp4", {.family = AF_INET, .payload = 64}, XDP_DROP, 1, 0, 0, 1, 0},
	{"udp4 ip options",
	 {.family = AF_INET, .ip_opts = 8, .payload = 64},
	 XDP_DROP,
	 1,
	 0,
	 0,
	 1,
	 0},
	{"udp4 vlan", {.family = AF_INET, .vlan = 1, .payload = 64}, XDP_DROP, 1, 0, 0, 1, 0},
	{"wrong port", {.family = AF_INET, .dport = 9999, .payload = 64}, XDP_PASS, 0, 0},
	{"tcp", {.family = AF_INET, .proto = IPPROTO_TCP, .payload = 64}, XDP_PASS, 0, 0},
	{"cut in vlan", {.family = AF_INET, .vlan = 1, .payload = 64, .cut = 16}, XDP_PASS, 0, 0},
	{"cut in ipv4", {.family = AF_INET, .payload = 64, .cut = 14 + 19}, XDP_PASS, 0, 0},
	{"cut in ipv4 options",
	 {.family = AF_INET, .ip_opts = 8, .payload = 64, .cut = 14 + 24},
	 XDP_PASS,
	 0,
	 0},
	{"cut in udp", {.family = AF_INET, .payload = 64, .cut = 14 + 20 + 7}, XDP_PASS, 0, 0},
	{"cut in xfr header",
	 {.family = AF_INET, .payload = 64, .cut = 14 + 20 + 8 + 15},
	 XDP_DROP,
	 1,
	 1},
	{"short payload", {.family = AF_INET, .payload = 4}, XDP_DROP, 1, 1},
	{"vlan + options",
	 {.family = AF_INET, .vlan = 1, .ip_opts = 4, .payload = 16},
	 XDP_DROP,
	 1,
	 0,
	 0,
	 1,
	 0},
	/* A flow's first sequence: ours start at 0; a few lost in front are loss. */
	{"first seq 0", {.family = AF_INET, .payload = 64}, XDP_DROP, 1, 0, 0, 1, 0},
	{"first seq 5", {.family = AF_INET, .payload = 64, .seq = 5}, XDP_DROP, 1, 0, 0, 6, 5},
	{"first seq 2^16 - 1",
	 {.family = AF_INET, .payload = 64, .seq = XDP_SEQ_FIRST_MAX - 1},
	 XDP_DROP,
	 1,
	 0,
	 0,
	 XDP_SEQ_FIRST_MAX,
	 XDP_SEQ_FIRST_MAX - 1},
	/* Forged: counted (and dropped like the flow's packets), no loss made of it. */
	{"forged first seq 2^16",
	 {.family = AF_INET, .payload = 64, .seq = XDP_SEQ_FIRST_MAX},
	 XDP_DROP,
	 1,
	 0,
	 1,
	 0,
	 0},
	{"forged first seq 2^63",
	 {.family = AF_INET, .payload = 64, .seq = 1ULL << 63},
	 XDP_DROP,
	 1,
	 0,
	 1,
	 0,
	 0},
	{"forged first seq 2^64 - 1",
	 {.family = AF_INET, .payload = 64, .seq = UINT64_MAX},
	 XDP_DROP,
	 1,
	 0,
	 1,
	 0,
	 0},
	{"forged first seq, header only",
	 {.family = AF_INET, .payload = 16, .seq = 1ULL << 40},
	 XDP_DROP,
	 1,
	 0,
	 1,
	 0,
	 0},
};

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xdp_count *xc = open_registered(XDP_COUNT_DROP);
		struct xdp_count_stats st;

		print_message("case %s\n", cases[i].name);
		assert_int_equal(run_frame(xc, &cases[i].fs), cases[i].action);
		st = stats_of(xc, SLOT);
		assert_int_equal(st.packets, cases[i].packets);
		assert_int_equal(st.malformed, cases[i].malformed);
		assert_int_equal(st.forged, cases[i].forged);
		if (cases[i].packets && !cases[i].malformed) {
			assert_int_equal(st.next_seq, cases[i].next_seq);
			assert_int_equal(st.lost, cases[i].lost);
		}
		xdp_count_destroy(xc);
	}
}

static void test_udp4_bytes(void **state)
{
	struct frame_spec fs = {.family = AF_INET, .payload = 100};
	struct xdp_count_stats st;

	assert_int_equal(run_frame(*state, &fs), XDP_DROP);
	st = stats_of(*state, SLOT);
	assert_int_equal(st.bytes, 100);
	assert_int_equal(st.next_seq, 1);
	assert_int_equal(st.lost, 0);
}

static void test_eth_truncated(void **state)
{
	struct frame_spec fs = {.family = AF_INET, .payload = 64, .cut = 13};
	int rc = run_frame(*state, &fs);

	/* The kernel may refuse frames shorter than ETH_HLEN before running us. */
	assert_true(rc == XDP_PASS || rc == -EINVAL);
	assert_int_equal(stats_of(*state, SLOT).packets, 0);
}

static void test_udp6(void **state)
{
	struct frame_spec fs = {.family = AF_INET6, .payload = 64};

	assert_int_equal(run_frame(*state, &fs), XDP_DROP);
	assert_int_equal(stats_of(*state, SLOT + 1).packets, 1);
	assert_int_equal(stats_of(*state, SLOT + 1).bytes, 64);
	assert_int_equal(stats_of(*state, SLOT).packets, 0);
	fs.cut = 14 + 39; /* inside the IPv6 header */
	assert_int_equal(run_frame(*state, &fs), XDP_PASS);
	fs.proto = IPPROTO_TCP; /* or an extension header: not parsed */
	fs.cut = 0;
	assert_int_equal(run_frame(*state, &fs), XDP_PASS);
	assert_int_equal(stats_of(*state, SLOT + 1).packets, 1);
}

static void test_mode_pass(void **state)
{
	struct frame_spec fs = {.family = AF_INET, .payload = 64};
	struct xdp_count *xc = open_registered(XDP_COUNT_PASS);

	(void)state;
	assert_int_equal(run_frame(xc, &fs), XDP_PASS);
	assert_int_equal(stats_of(xc, SLOT).packets, 1);
	xdp_count_destroy(xc);
}

/* An empty XSKMAP: counted test packets fall back to XDP_PASS, others pass uncounted. */
static void test_mode_redirect_empty(void **state)
{
	struct frame_spec fs = {.family = AF_INET, .payload = 64, .seq = 0};
	struct frame_spec other = {.family = AF_INET, .dport = 9999, .payload = 64};
	struct frame_spec tcp = {.family = AF_INET, .proto = IPPROTO_TCP, .payload = 64};
	struct xdp_count *xc = open_registered(XDP_COUNT_REDIRECT);
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	struct xdp_count_stats st;

	(void)state;
	assert_int_equal(bpf_obj_get_info_by_fd(xdp_count_xskmap_fd(xc), &info, &len), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_XSKMAP);
	assert_int_equal(info.max_entries, 64);
	assert_int_equal(run_frame(xc, &fs), XDP_PASS);
	fs.seq = 1;
	assert_int_equal(run_frame(xc, &fs), XDP_PASS);
	assert_int_equal(run_frame(xc, &other), XDP_PASS);
	assert_int_equal(run_frame(xc, &tcp), XDP_PASS);
	fs.family = AF_INET6;
	assert_int_equal(run_frame(xc, &fs), XDP_PASS);
	st = stats_of(xc, SLOT);
	assert_int_equal(st.packets, 2);
	assert_int_equal(st.bytes, 128);
	assert_int_equal(st.next_seq, 2);
	assert_int_equal(st.lost, 0);
	assert_int_equal(stats_of(xc, SLOT + 1).packets, 1);
	xdp_count_destroy(xc);
}

/* Sends IPv4 frames with the given sequence numbers, timestamp = 1000 µs × seq. */
static void send_seqs(struct xdp_count *xc, const uint64_t *seqs, int n)
{
	struct frame_spec fs = {.family = AF_INET, .payload = 32};
	int i;

	for (i = 0; i < n; i++) {
		fs.seq = seqs[i];
		fs.ts = seqs[i] * 1000;
		assert_int_equal(run_frame(xc, &fs), XDP_DROP);
	}
}

static void test_duplicate(void **state)
{
	const uint64_t seqs[] = {0, 1, 1, 2, 0};
	struct xdp_count_stats st;

	send_seqs(*state, seqs, 5);
	st = stats_of(*state, SLOT);
	assert_int_equal(st.packets, 5);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.out_of_order, 0);
	assert_int_equal(st.next_seq, 3);
}

static void test_reorder(void **state)
{
	const uint64_t seqs[] = {0, 2, 1, 3};
	struct xdp_count_stats st;

	send_seqs(*state, seqs, 4);
	st = stats_of(*state, SLOT);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.out_of_order, 1);
	assert_int_equal(st.duplicates, 0);
}

static void test_gap(void **state)
{
	const uint64_t seqs[] = {0, 1, 5, 6, 100, 10};
	struct xdp_count_stats st;

	send_seqs(*state, seqs, 6);
	st = stats_of(*state, SLOT);
	/* 2,3,4 then 7..99 lost; 10 arrives older than the 64-wide window. */
	assert_int_equal(st.lost, 3 + 93);
	assert_int_equal(st.out_of_order, 1);
	assert_int_equal(st.next_seq, 101);
}

/*
 * A forged first packet (a huge sequence ahead of the flow's real first one)
 * shapes nothing: the real sequence 0 then starts the flow, loss stays 0.
 */
static void test_forged_first(void **state)
{
	const uint64_t seqs[] = {1ULL << 40, 0, 1, 2, XDP_SEQ_FIRST_MAX};
	struct xdp_count_stats st;

	send_seqs(*state, seqs, 5);
	st = stats_of(*state, SLOT);
	assert_int_equal(st.packets, 5);
	assert_int_equal(st.forged, 1);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.next_seq, XDP_SEQ_FIRST_MAX + 1); /* past the start: a gap, real loss */
	assert_int_equal(st.lost, XDP_SEQ_FIRST_MAX - 3);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.out_of_order, 0);
}

/*
 * Later, a jump of 2^32 or more past the highest is forged too (seqtrack.h's
 * bound); one just under it is loss, however unlikely.
 */
static void test_forged_jump(void **state)
{
	const uint64_t seqs[] = {0, 1, 2 + XDP_SEQ_JUMP_MAX, UINT64_MAX, 2, 3};
	const uint64_t under[] = {3 + XDP_SEQ_JUMP_MAX};
	struct xdp_count_stats st;

	send_seqs(*state, seqs, 6);
	st = stats_of(*state, SLOT);
	assert_int_equal(st.packets, 6);
	assert_int_equal(st.forged, 2);
	assert_int_equal(st.next_seq, 4);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.out_of_order, 0);
	send_seqs(*state, under, 1);
	st = stats_of(*state, SLOT);
	assert_int_equal(st.forged, 2);
	assert_int_equal(st.next_seq, 4 + XDP_SEQ_JUMP_MAX);
	assert_int_equal(st.lost, XDP_SEQ_JUMP_MAX - 1);
}

static void test_jitter_first_then_varying(void **state)
{
	struct frame_spec fs = {.family = AF_INET, .payload = 16};
	struct xdp_count_stats st;

	assert_int_equal(run_frame(*state, &fs), XDP_DROP);
	assert_int_equal(stats_of(*state, SLOT).jitter_us16, 0);
	/* Sender timestamps that jump by seconds: transit varies whatever ktime does. */
	fs.seq = 1;
	fs.ts = 5000000;
	assert_int_equal(run_frame(*state, &fs), XDP_DROP);
	st = stats_of(*state, SLOT);
	assert_true(st.jitter_us16 > 0);
	assert_true(st.jitter_max_us16 >= st.jitter_us16);
}

/* RFC 3550 arithmetic of the shared update function, scaled by 16. */
static void test_jitter_arith(void **state)
{
	uint64_t s = 0;
	int i;

	(void)state;
	s = xdp_jitter_update(s, 1000, 1160); /* |D| = 160 µs: J = 10 µs */
	assert_int_equal(s, 160);
	s = xdp_jitter_update(s, 1160, 1000); /* |D| = 160 again, negative */
	assert_int_equal(s, 160 + 160 - 10);
	s = xdp_jitter_update(s, 5, 5); /* D = 0: J decays by J/16 */
	assert_int_equal(s, 310 - 19);
	/* Constant |D| = 100 µs: J converges to 100 µs (S to 1600..1615: truncation). */
	for (i = 0, s = 0; i < 500; i++)
		s = xdp_jitter_update(s, (i & 1) ? 0 : 100, (i & 1) ? 100 : 0);
	assert_true(s >= 1600 && s < 1616); /* floor(S/16) = 100 */
	/* Transit values wrap modulo 2^64 (receiver clock behind the sender's). */
	s = xdp_jitter_update(0, (uint64_t)-50, 30);
	assert_int_equal(s, 80);
}

/*
 * Metadata in a received frame is counted through: another generator's key
 * (a peer's live frames keep theirs across veth), ours for another interface
 * (a process at both ends), or ours with no generator in the tail slot.
 */
static void test_gen_meta(void **state)
{
	struct frame_spec fs = {.family = AF_INET, .payload = 64};
	struct xdp_gen_meta foreign = {.key = xdp_gen_key() + 1, .ifindex = 1};
	struct xdp_gen_meta other_if = {.key = xdp_gen_key(), .ifindex = 77};
	struct xdp_gen_meta empty = {.tail = 3, .key = xdp_gen_key(), .ifindex = 1};

	assert_int_not_equal(xdp_gen_key(), 0);
	assert_int_equal(run_frame_meta(*state, &fs, &foreign), XDP_DROP);
	assert_int_equal(run_frame_meta(*state, &fs, &other_if), XDP_DROP);
	assert_int_equal(run_frame_meta(*state, &fs, &empty), XDP_DROP);
	empty.tail = XDP_GEN_TAILS + 5; /* beyond the array */
	assert_int_equal(run_frame_meta(*state, &fs, &empty), XDP_DROP);
	assert_int_equal(stats_of(*state, SLOT).packets, 4);
	/* Hook slots run out after XDP_GEN_TAILS; an unhooked one is free again. */
	for (int i = 0; i < XDP_GEN_TAILS; i++)
		assert_int_equal(xdp_count_gen_hook(*state, xdp_count_prog_fd(*state)), i);
	assert_int_equal(xdp_count_gen_hook(*state, xdp_count_prog_fd(*state)), -ENOSPC);
	xdp_count_gen_unhook(*state, 5);
	assert_int_equal(xdp_count_gen_hook(*state, xdp_count_prog_fd(*state)), 5);
	for (int i = 0; i < XDP_GEN_TAILS; i++)
		xdp_count_gen_unhook(*state, i);
}

static void test_verifier_insns(void **state)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(xdp_count_prog_fd(*state), &info, &len), 0);
	print_message("xdp_count: verifier processed %u insns (xlated %u bytes)\n",
		      info.verified_insns, info.xlated_prog_len);
	assert_true(info.verified_insns > 0 && info.verified_insns <= 100000);
}

static int xdp_prog_id(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	return (int)q.prog_id;
}

/* Attaches on a veth in a private netns; closing the link must detach. */
static void test_attach_veth(void **state)
{
	int ifindex;

	xt_skip_if(xt_netns_veth("xcnt0", "xcnt1"));
	ifindex = (int)if_nametoindex("xcnt0");
	assert_true(ifindex > 0);
	assert_int_equal(xdp_prog_id(ifindex), 0);
	assert_int_equal(xdp_count_attach(*state, ifindex, NULL, 0), 0);
	assert_true(xdp_prog_id(ifindex) > 0);
	assert_int_equal(xdp_count_attach(*state, ifindex, NULL, 0), -EBUSY);
	xdp_count_detach(*state);
	assert_int_equal(xdp_prog_id(ifindex), 0);
}

/*
 * The sequence lock under contention: two threads pinned to two CPUs run the
 * same frame through the program at once, REPEAT times each per sequence
 * (the counter is attached to a veth, so repeated runs are cheap and run
 * back to back in the kernel), with a barrier between sequences. Of each
 * sequence's 2 x REPEAT arrivals exactly one is new and the rest duplicates;
 * an update lost to a race would show as a wrong count (without the lock:
 * ~80-400 duplicates missing in 79 800).
 */
#define CPU_SEQS   200
#define CPU_REPEAT 200

struct cpu_thread {
	struct xdp_count *xc;
	pthread_barrier_t *bar;
	int cpu;
	int err;
};

static void *cpu_main(void *arg)
{
	static uint8_t raw[2][2048 + 8] __attribute__((aligned(8)));
	struct cpu_thread *t = arg;
	struct frame_spec fs = {.family = AF_INET, .payload = 32};
	uint8_t *buf = raw[t->cpu] + 2;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		t->err = -EINVAL;
	for (uint64_t seq = 0; seq < CPU_SEQS; seq++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = CPU_REPEAT);

		fs.seq = seq;
		fs.ts = seq * 10;
		opts.data_in = buf;
		opts.data_size_in = frame_build(buf, &fs);
		pthread_barrier_wait(t->bar);
		if (!t->err && bpf_prog_test_run_opts(xdp_count_prog_fd(t->xc), &opts))
			t->err = -errno;
	}
	return NULL;
}

static void test_two_cpus(void **state)
{
	struct cpu_thread th[2];
	struct xdp_count_stats st;
	pthread_barrier_t bar;
	pthread_t tid[2];
	int ifindex;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		print_message("SKIP: one CPU\n");
		skip();
	}
	xt_skip_if(xt_netns_veth("xcpu0", "xcpu1"));
	ifindex = (int)if_nametoindex("xcpu0");
	assert_int_equal(xdp_count_attach(*state, ifindex, NULL, 0), 0);
	assert_int_equal(pthread_barrier_init(&bar, NULL, 2), 0);
	for (int i = 0; i < 2; i++) {
		th[i] = (struct cpu_thread){.xc = *state, .bar = &bar, .cpu = i};
		assert_int_equal(pthread_create(&tid[i], NULL, cpu_main, &th[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(th[i].err, 0);
	}
	pthread_barrier_destroy(&bar);
	xdp_count_detach(*state);
	st = stats_of(*state, SLOT);
	print_message("two CPUs: %llu packets, %llu duplicates, %llu skipped the lock\n",
		      (unsigned long long)st.packets, (unsigned long long)st.duplicates,
		      (unsigned long long)st.unsequenced);
	/*
	 * A packet that found the lock busy past the spin bound (only when the
	 * holder's vCPU is descheduled by the host: seen once under qemu TCG)
	 * is counted as unsequenced instead; each such one is a duplicate fewer.
	 */
	assert_int_equal(st.packets, 2ULL * CPU_SEQS * CPU_REPEAT);
	assert_true(st.unsequenced < 2ULL * CPU_SEQS);
	assert_int_equal(st.next_seq, CPU_SEQS);
	assert_int_equal(st.duplicates + st.unsequenced, (uint64_t)CPU_SEQS * (2 * CPU_REPEAT - 1));
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.out_of_order, 0);
}

/* Returns NULL when the program can be loaded and run, else the reason to skip. */
static const char *skip_reason(void)
{
	struct frame_spec fs = {.family = AF_INET, .payload = 16};
	struct xdp_count *xc;
	int rc;

	if (geteuid() != 0)
		return "not root (BPF_PROG_RUN needs CAP_BPF + CAP_NET_ADMIN)";
	libbpf_set_print(NULL);
	xc = xdp_count_open(XDP_COUNT_DROP, NULL, 0);
	if (!xc)
		return xt_why("cannot load the XDP program", errno);
	rc = run_frame(xc, &fs);
	xdp_count_destroy(xc);
	return rc < 0 ? xt_why("BPF_PROG_RUN unavailable", -rc) : NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jitter_arith),
		cmocka_unit_test(test_table),
		cmocka_unit_test_setup_teardown(test_udp4_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eth_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp6, setup, teardown),
		cmocka_unit_test(test_mode_pass),
		cmocka_unit_test(test_mode_redirect_empty),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_jump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jitter_first_then_varying, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gen_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verifier_insns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_veth, setup, teardown),
	};
	const char *why = skip_reason();

	if (why) {
		printf("SKIP: %s\n", why);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
