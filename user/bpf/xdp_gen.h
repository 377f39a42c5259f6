/* SPDX-License-Identifier: MIT */
/*
 * In-kernel flood generator: bpf/xdp_gen.bpf.c run through BPF_PROG_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES. The frame template is the run's input; the
 * program stamps the flow's next sequence and a timestamp (µs since the flow's
 * start, the wire.h data header) into every frame, patches the UDP checksum and
 * returns XDP_TX, so the frame leaves through the interface given as
 * ingress_ifindex. One program serves many flows (a slot each); each slot must
 * be run by one thread at a time.
 */
#ifndef XFR_BPF_XDP_GEN_H
#define XFR_BPF_XDP_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "base/frame.h"
#include "xdp_flow.h"
#include "xdp_gen_maps.h"

struct xdp_gen;

/*
 * Open and load the program. NULL + errno (EPERM without CAP_BPF+CAP_NET_ADMIN)
 * and one line in @why (NULL, 0: not wanted); like every loader it never logs.
 */
struct xdp_gen *xdp_gen_open(char *why, size_t whylen);
void xdp_gen_close(struct xdp_gen *g);

/*
 * Prepare @slot for frames like @t: sequence restarts at 0, timestamps count
 * from now (CLOCK_MONOTONIC). 0 or -errno (-EMSGSIZE: @t is longer than
 * xdp_gen_max_frame()).
 */
int xdp_gen_flow(struct xdp_gen *g, uint32_t slot, const struct frame_tmpl *t);

/*
 * Send @count frames of @slot out of @ifindex (batch: frames per kernel batch,
 * 0 = 64). Blocks until the kernel has run them all (count up to 2^31).
 * Returns frames run (>= 0) or -errno (EOPNOTSUPP: kernel without live frames).
 */
int xdp_gen_run(struct xdp_gen *g, uint32_t slot, int ifindex, uint32_t count, uint32_t batch);

/*
 * Attach the program to @ifindex (native XDP, through a bpf_link) so that the
 * kernel keeps it in its XDP dispatcher: a run of more than one frame then
 * costs microseconds instead of two RCU grace periods (~25-30 ms here). The
 * program passes every received packet untouched. Returns the link fd (close
 * it to detach; the kernel does at exit) or -errno (EBUSY: the interface has
 * an XDP program).
 */
int xdp_gen_attach(struct xdp_gen *g, int ifindex);

/*
 * This process's generator key (random, never 0): the generator and our
 * counter take only metadata carrying it for generator input (xdp_flow.h).
 */
uint64_t xdp_gen_key(void);

int xdp_gen_prog_fd(const struct xdp_gen *g);

/*
 * Route @slot's runs through @prog_fd, a counter of ours that has this
 * generator in its tail slot @tail (xdp_count_gen_hook); -1: the generator
 * itself (tail ignored). After xdp_gen_flow().
 */
int xdp_gen_via(struct xdp_gen *g, uint32_t slot, int prog_fd, uint32_t tail);

/* Largest frame (bytes) live frames accept on this kernel (probed at open). */
uint32_t xdp_gen_max_frame(const struct xdp_gen *g);

/* Frames stamped so far for @slot (= next sequence). */
uint64_t xdp_gen_sent(struct xdp_gen *g, uint32_t slot);

/*
 * For tests: run @slot's program once without live frames (nothing is sent)
 * and copy the stamped frame into @out (@size bytes). Frame length or -errno.
 */
int xdp_gen_test_frame(struct xdp_gen *g, uint32_t slot, uint8_t *out, uint32_t size);

#endif /* XFR_BPF_XDP_GEN_H */
