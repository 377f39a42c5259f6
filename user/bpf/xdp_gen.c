// SPDX-License-Identifier: MIT
/*
 * Loader and runner of the live-frames flood generator (see xdp_gen.h and
 * bpf/xdp_gen.bpf.c). Each slot keeps its run input here: XDP metadata
 * (struct xdp_gen_meta) then the frame template, and the program the run goes
 * through: the generator itself, or our counter that tail-calls it.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <stdlib.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bpf/xdp_gen.h"
#include "xdp_gen.skel.h"
#include "timeutil.h"
#include "util.h"

#define META_LEN      sizeof(struct xdp_gen_meta) /* XDP metadata: a multiple of 4 */
#define DEFAULT_BATCH 64 /* frames per live-frames batch: XDP_GEN_TS_EVERY in the program */
/*
 * Live frames refuse inputs larger than one 4 KiB page minus the XDP headroom
 * (256, of which the metadata takes its share), the kernel's per-page head
 * and skb_shared_info: 3412 bytes in, 3408 of frame on 6.18, less on 6.1. The
 * kernel's EINVAL would look like "no live frames", so xdp_gen_open() probes
 * the largest accepted frame and larger templates are refused here.
 */
#define LIVE_MAX_FRAME 3408

struct xdp_gen {
	struct xdp_gen_bpf *skel;
	uint8_t *in[XDP_GEN_SLOTS]; /* metadata + template, NULL until xdp_gen_flow() */
	uint32_t in_len[XDP_GEN_SLOTS];
	int run_fd[XDP_GEN_SLOTS]; /* the program a slot's runs go through */
	uint32_t max_frame;	   /* largest frame live frames accept on this kernel */
};

/*
 * One live-frames run of an empty frame per candidate size on lo (ifindex 1
 * in every namespace), with a slot that does not exist: the program aborts,
 * nothing is sent; the kernel only checks the size.
 */
static uint32_t probe_max_frame(struct xdp_gen *g)
{
	static const uint32_t sizes[] = {LIVE_MAX_FRAME, 3392, 3376, 3360, 3344, 3328,
					 3296,		 3264, 3200, 3072, 2048};
	struct xdp_gen_meta bad = {.slot = UINT32_MAX, .key = xdp_gen_key()};
	uint8_t *buf = calloc(1, META_LEN + LIVE_MAX_FRAME);
	uint32_t found = 0;

	if (!buf)
		return 0;
	memcpy(buf, &bad, META_LEN);
	for (size_t i = 0; i < ARRAY_SIZE(sizes) && !found; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .repeat = 1, .data_in = buf, .data_size_in = META_LEN + sizes[i]);
		struct xdp_md md = {
			.data = META_LEN, .data_end = META_LEN + sizes[i], .ingress_ifindex = 1};

		opts.ctx_in = &md;
		opts.ctx_size_in = sizeof(md);
		if (!bpf_prog_test_run_opts(xdp_gen_prog_fd(g), &opts))
			found = sizes[i];
	}
	free(buf);
	return found;
}

static uint64_t gen_key;

static void key_init(void)
{
	while (!gen_key)
		if (getrandom(&gen_key, sizeof(gen_key), 0) != sizeof(gen_key))
			gen_key = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
				  0x5846520000000001ULL;
}

uint64_t xdp_gen_key(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, key_init);
	return gen_key;
}

uint32_t xdp_gen_max_frame(const struct xdp_gen *g)
{
	return g->max_frame;
}

struct xdp_gen *xdp_gen_open(char *why, size_t whylen)
{
	struct xdp_gen *g;
	int err;

	g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(why, whylen, "cannot load the live-frames generator: out of memory");
		return NULL;
	}
	g->skel = xdp_gen_bpf__open();
	if (!g->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the live-frames generator's BPF object: %s",
			 strerror(-err));
		goto free_g;
	}
	g->skel->rodata->gen_key = xdp_gen_key();
	err = xdp_gen_bpf__load(g->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the live-frames generator: %s", strerror(-err));
		goto destroy_skel;
	}
	for (int i = 0; i < XDP_GEN_SLOTS; i++)
		g->run_fd[i] = xdp_gen_prog_fd(g);
	g->max_frame = probe_max_frame(g);
	if (!g->max_frame) /* no live frames at all: runs will say so */
		g->max_frame = LIVE_MAX_FRAME;
	return g;

destroy_skel:
	xdp_gen_bpf__destroy(g->skel);
free_g:
	free(g);
	errno = -err;
	return NULL;
}

void xdp_gen_close(struct xdp_gen *g)
{
	int i;

	if (!g)
		return;
	for (i = 0; i < XDP_GEN_SLOTS; i++)
		free(g->in[i]);
	xdp_gen_bpf__destroy(g->skel);
	free(g);
}

static int tmpl_check(const struct frame_tmpl *t, uint32_t max_frame)
{
	if (t->len > FRAME_MAX || t->data_off != t->l4_off + 8 || t->data_off + 16 > t->len)
		return -EINVAL;
	return t->len > max_frame ? -EMSGSIZE : 0;
}

int xdp_gen_flow(struct xdp_gen *g, uint32_t slot, const struct frame_tmpl *t)
{
	struct xdp_gen_meta meta = {.slot = slot, .key = xdp_gen_key()};
	struct xdp_gen_slot s = {};
	uint8_t *in;
	int err;

	if (slot >= XDP_GEN_SLOTS)
		return -EINVAL;
	err = tmpl_check(t, g->max_frame);
	if (err)
		return err;
	if (g->in[slot]) /* keep the route xdp_gen_via() gave */
		memcpy(&meta.tail, g->in[slot] + offsetof(struct xdp_gen_meta, tail),
		       sizeof(meta.tail));
	in = realloc(g->in[slot], META_LEN + t->len);
	if (!in)
		return -ENOMEM;
	g->in[slot] = in;
	memcpy(in, &meta, META_LEN);
	memcpy(in + META_LEN, t->buf, t->len);
	g->in_len[slot] = META_LEN + t->len;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: timestamps count from here. */
	s.start_ns = time_mono_ns();
	s.l4_off = t->l4_off;
	s.data_off = t->data_off;
	s.len = t->len;
	s.csum0 = t->csum0;
	memcpy(s.hdr, t->buf, t->len < sizeof(s.hdr) ? t->len : sizeof(s.hdr));
	return bpf_map__update_elem(g->skel->maps.gen_slots, &slot, sizeof(slot), &s, sizeof(s),
				    BPF_ANY);
}

int xdp_gen_prog_fd(const struct xdp_gen *g)
{
	return bpf_program__fd(g->skel->progs.xdp_gen);
}

int xdp_gen_via(struct xdp_gen *g, uint32_t slot, int prog_fd, uint32_t tail)
{
	if (slot >= XDP_GEN_SLOTS || !g->in[slot] || tail >= XDP_GEN_TAILS)
		return -EINVAL;
	memcpy(g->in[slot] + offsetof(struct xdp_gen_meta, tail), &tail, sizeof(tail));
	g->run_fd[slot] = prog_fd >= 0 ? prog_fd : xdp_gen_prog_fd(g);
	return 0;
}

/* One BPF_PROG_RUN of @slot's input; @live: transmit through @ifindex. */
static int run_prog(struct xdp_gen *g, uint32_t slot, struct bpf_test_run_opts *opts,
		    struct xdp_md *md)
{
	if (slot >= XDP_GEN_SLOTS || !g->in[slot])
		return -EINVAL;
	/* A new run: the program reads the clock for its first frame. */
	__atomic_fetch_add(&g->skel->bss->run_id[slot], 1, __ATOMIC_RELAXED);
	memcpy(g->in[slot] + offsetof(struct xdp_gen_meta, ifindex), &md->ingress_ifindex,
	       sizeof(md->ingress_ifindex));
	md->data = META_LEN;
	md->data_end = g->in_len[slot];
	opts->data_in = g->in[slot];
	opts->data_size_in = g->in_len[slot];
	opts->ctx_in = md;
	opts->ctx_size_in = sizeof(*md);
	return bpf_prog_test_run_opts(g->run_fd[slot], opts);
}

int xdp_gen_run(struct xdp_gen *g, uint32_t slot, int ifindex, uint32_t count, uint32_t batch)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct xdp_md md = {.ingress_ifindex = (uint32_t)ifindex};
	int err;

	if (count > INT32_MAX || ifindex <= 0)
		return -EINVAL;
	if (!count) /* the kernel would run repeat 0 once */
		return 0;
	opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	opts.repeat = count;
	opts.batch_size = batch ? batch : DEFAULT_BATCH;
	err = run_prog(g, slot, &opts, &md);
	/* Our arguments were checked: a kernel before 5.18 rejects the flag. */
	if (err == -EINVAL && g->in[slot])
		return -EOPNOTSUPP;
	return err ? err : (int)count;
}

int xdp_gen_attach(struct xdp_gen *g, int ifindex)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	int fd = bpf_link_create(xdp_gen_prog_fd(g), ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

uint64_t xdp_gen_sent(struct xdp_gen *g, uint32_t slot)
{
	struct xdp_gen_slot s;

	if (bpf_map__lookup_elem(g->skel->maps.gen_slots, &slot, sizeof(slot), &s, sizeof(s), 0))
		return 0;
	return s.next_seq;
}

int xdp_gen_test_frame(struct xdp_gen *g, uint32_t slot, uint8_t *out, uint32_t size)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint8_t buf[META_LEN + FRAME_MAX];
	struct xdp_md md = {.ingress_ifindex = 1}; /* lo, in every namespace */
	int err;

	opts.data_out = buf;
	opts.data_size_out = sizeof(buf);
	err = run_prog(g, slot, &opts, &md);
	if (err)
		return err;
	if (opts.retval != XDP_TX)
		return -EPROTO;
	/* data_out starts at the metadata. */
	if (opts.data_size_out < META_LEN || opts.data_size_out - META_LEN > size)
		return -EMSGSIZE;
	memcpy(out, buf + META_LEN, opts.data_size_out - META_LEN);
	return (int)(opts.data_size_out - META_LEN);
}
