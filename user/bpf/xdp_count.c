// SPDX-License-Identifier: MIT
/*
 * Loader and reader of the XDP counting program (see xdp_count.h).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/xdp_count.h"
#include "xdp_count.skel.h"
#include "bpf/xdp_gen.h"

struct xdp_count {
	struct xdp_count_bpf *skel;
	int link_fd;	/* bpf_link of the attachment; -1 = none */
	uint32_t tails; /* xc_gen_tail slots in use (bits) */
	int ncpus;
	struct xdp_flow_cnt *percpu;	/* scratch for one per-CPU lookup */
	const struct xdp_flow_seq *seq; /* xc_flow_seq, mmapped read-only */
	size_t seq_len;
};

struct xdp_count *xdp_count_open(uint32_t mode, char *why, size_t whylen)
{
	struct xdp_count *xc;
	int err;

	xc = calloc(1, sizeof(*xc));
	if (!xc) {
		snprintf(why, whylen, "cannot load the XDP counter: out of memory");
		return NULL;
	}
	xc->link_fd = -1;
	xc->ncpus = libbpf_num_possible_cpus();
	if (xc->ncpus <= 0) {
		err = xc->ncpus ? xc->ncpus : -EINVAL;
		snprintf(why, whylen, "cannot count the possible CPUs: %s", strerror(-err));
		goto free_xc;
	}
	xc->percpu = calloc(xc->ncpus, sizeof(*xc->percpu));
	if (!xc->percpu) {
		err = -ENOMEM;
		snprintf(why, whylen, "cannot load the XDP counter: out of memory");
		goto free_xc;
	}
	xc->skel = xdp_count_bpf__open();
	if (!xc->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the XDP counter's BPF object: %s",
			 strerror(-err));
		goto free_percpu;
	}
	xc->skel->rodata->mode = mode;
	xc->skel->rodata->gen_key = xdp_gen_key();
	err = xdp_count_bpf__load(xc->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the XDP counter: %s", strerror(-err));
		goto destroy_skel;
	}
	xc->seq_len = (size_t)bpf_map__value_size(xc->skel->maps.xc_flow_seq) * XDP_FLOW_MAX;
	xc->seq = mmap(NULL, xc->seq_len, PROT_READ, MAP_SHARED,
		       bpf_map__fd(xc->skel->maps.xc_flow_seq), 0);
	if (xc->seq == MAP_FAILED) {
		err = -errno;
		snprintf(why, whylen, "cannot map the XDP counter's sequence state: %s",
			 strerror(-err));
		goto destroy_skel;
	}
	return xc;

destroy_skel:
	xdp_count_bpf__destroy(xc->skel);
free_percpu:
	free(xc->percpu);
free_xc:
	free(xc);
	errno = -err;
	return NULL;
}

/* One attachment through a bpf_link in the given XDP mode: its fd or -errno. */
static int link_xdp(struct xdp_count *xc, int ifindex, __u32 mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode);
	int fd = bpf_link_create(xdp_count_prog_fd(xc), ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

int xdp_count_attach(struct xdp_count *xc, int ifindex, char *why, size_t whylen)
{
	char name[IF_NAMESIZE] = "?";
	int fd, native;

	if_indextoname((unsigned int)ifindex, name);
	if (xc->link_fd >= 0) {
		snprintf(why, whylen,
			 "this XDP counter is attached already (one interface each), not to %s",
			 name);
		return -EBUSY;
	}
	native = link_xdp(xc, ifindex, XDP_FLAGS_DRV_MODE);
	if (native == -EBUSY || native == -EEXIST) {
		snprintf(why, whylen, "%s already has an XDP program attached", name);
		return -EBUSY;
	}
	if (native >= 0) {
		xc->link_fd = native;
		return 0;
	}
	fd = link_xdp(xc, ifindex, XDP_FLAGS_SKB_MODE);
	if (fd < 0) {
		snprintf(why, whylen, "cannot attach XDP to %s: %s", name, strerror(-fd));
		return fd;
	}
	snprintf(why, whylen, "%s has no native XDP (%s)", name, strerror(-native));
	xc->link_fd = fd;
	return 1;
}

void xdp_count_detach(struct xdp_count *xc)
{
	if (xc->link_fd >= 0)
		close(xc->link_fd); /* the kernel detaches with the link's last fd */
	xc->link_fd = -1;
}

int xdp_count_prog_fd(const struct xdp_count *xc)
{
	return bpf_program__fd(xc->skel->progs.xdp_count);
}

int xdp_count_gen_hook(struct xdp_count *xc, int gen_prog_fd)
{
	uint32_t i;
	int err;

	for (i = 0; i < XDP_GEN_TAILS && (xc->tails & (1U << i)); i++)
		;
	if (i == XDP_GEN_TAILS)
		return -ENOSPC;
	err = bpf_map__update_elem(xc->skel->maps.xc_gen_tail, &i, sizeof(i), &gen_prog_fd,
				   sizeof(gen_prog_fd), BPF_ANY);
	if (err)
		return err;
	xc->tails |= 1U << i;
	return (int)i;
}

void xdp_count_gen_unhook(struct xdp_count *xc, int tail)
{
	uint32_t i = (uint32_t)tail;

	if (tail < 0 || i >= XDP_GEN_TAILS || !(xc->tails & (1U << i)))
		return;
	bpf_map__delete_elem(xc->skel->maps.xc_gen_tail, &i, sizeof(i), 0);
	xc->tails &= ~(1U << i);
}

int xdp_count_xskmap_fd(const struct xdp_count *xc)
{
	return bpf_map__fd(xc->skel->maps.xc_xsks);
}

int xdp_count_add_flow(struct xdp_count *xc, const struct xdp_flow_key *key, uint32_t slot)
{
	struct xdp_flow_seq seq = {};
	int err;

	if (slot >= XDP_FLOW_MAX)
		return -EINVAL;
	/* Reset the slot's sequence state before the flow becomes visible. */
	err = bpf_map__update_elem(xc->skel->maps.xc_flow_seq, &slot, sizeof(slot), &seq,
				   sizeof(seq), BPF_ANY);
	if (err)
		return err;
	memset(xc->percpu, 0, xc->ncpus * sizeof(*xc->percpu));
	err = bpf_map__update_elem(xc->skel->maps.xc_flow_cnt, &slot, sizeof(slot), xc->percpu,
				   xc->ncpus * sizeof(*xc->percpu), BPF_ANY);
	if (err)
		return err;
	return bpf_map__update_elem(xc->skel->maps.xc_flows, key, sizeof(*key), &slot, sizeof(slot),
				    BPF_ANY);
}

int xdp_count_del_flow(struct xdp_count *xc, const struct xdp_flow_key *key)
{
	int err = bpf_map__delete_elem(xc->skel->maps.xc_flows, key, sizeof(*key), 0);

	/* Per-CPU caches of older generations are ignored from now on. */
	__atomic_fetch_add(&xc->skel->bss->flows_gen, 1, __ATOMIC_SEQ_CST);
	return err;
}

#define SEQ_LOAD(f) __atomic_load_n(&(f), __ATOMIC_RELAXED)

int xdp_count_read(struct xdp_count *xc, uint32_t slot, struct xdp_count_stats *st)
{
	const struct xdp_flow_seq *seq;
	uint64_t unsequenced = 0;
	int err, i;

	memset(st, 0, sizeof(*st));
	if (slot >= XDP_FLOW_MAX)
		return -EINVAL;
	err = bpf_map__lookup_elem(xc->skel->maps.xc_flow_cnt, &slot, sizeof(slot), xc->percpu,
				   xc->ncpus * sizeof(*xc->percpu), 0);
	if (err)
		return err;
	for (i = 0; i < xc->ncpus; i++) {
		st->packets += xc->percpu[i].packets;
		st->bytes += xc->percpu[i].bytes;
		st->malformed += xc->percpu[i].malformed;
		unsequenced += xc->percpu[i].unsequenced;
		st->forged += xc->percpu[i].forged;
	}
	/* Live fields, each read whole; a reading during traffic may be a packet apart. */
	seq = &xc->seq[slot];
	st->lost = SEQ_LOAD(seq->lost);
	st->out_of_order = SEQ_LOAD(seq->out_of_order);
	st->duplicates = SEQ_LOAD(seq->duplicates);
	st->next_seq = SEQ_LOAD(seq->next_seq);
	st->jitter_us16 = SEQ_LOAD(seq->jitter) / 1000; /* the program keeps ns × 16 */
	st->jitter_max_us16 = SEQ_LOAD(seq->jitter_max) / 1000;
	/*
	 * A packet that skipped the sequence logic left its sequence unfilled:
	 * received all the same, so not lost.
	 */
	st->unsequenced = unsequenced;
	st->lost = st->lost > unsequenced ? st->lost - unsequenced : 0;
	return 0;
}

void xdp_count_key(struct xdp_flow_key *key, int family, const void *saddr, const void *daddr,
		   uint16_t sport_be, uint16_t dport_be)
{
	memset(key, 0, sizeof(*key));
	key->family = (uint8_t)family;
	key->sport = sport_be;
	key->dport = dport_be;
	if (family == AF_INET6) {
		memcpy(key->saddr, saddr, 16);
		memcpy(key->daddr, daddr, 16);
		return;
	}
	key->saddr[10] = key->saddr[11] = 0xff;
	key->daddr[10] = key->daddr[11] = 0xff;
	memcpy(&key->saddr[12], saddr, 4);
	memcpy(&key->daddr[12], daddr, 4);
}

void xdp_count_destroy(struct xdp_count *xc)
{
	if (!xc)
		return;
	xdp_count_detach(xc);
	munmap((void *)xc->seq, xc->seq_len);
	xdp_count_bpf__destroy(xc->skel);
	free(xc->percpu);
	free(xc);
}
