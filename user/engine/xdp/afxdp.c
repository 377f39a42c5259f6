// SPDX-License-Identifier: MIT
/*
 * AF_XDP TX and RX sockets (see afxdp.h). One umem per socket, aligned chunks
 * of AFXDP_FRAME_SIZE bytes. TX keeps a stack of free umem frames, all
 * prefilled with the template, so that a send only stamps seq/ts and the UDP
 * checksum; completed frames go back on the stack. RX keeps every frame it does
 * not hold in the fill ring and gives each received frame straight back.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "engine/xdp/afxdp.h"
#include "base/log.h"
#include "timeutil.h"

#define AFXDP_NFRAMES	 4096 /* umem frames per socket */
#define AFXDP_FRAME_SIZE 4096 /* aligned chunk: at most PAGE_SIZE */
#define AFXDP_RING	 2048 /* TX, completion and RX ring entries */
#define AFXDP_RX_BATCH	 512  /* RX descriptors taken per peek */
#define AFXDP_KICKS	 8    /* sendto() kicks per send: copy mode sends 32 per kick */

/* How long a bind waits for a queue a closed socket still holds, in naps of 10 ms. */
#define AFXDP_BUSY_WAIT_MS 500
#define AFXDP_BUSY_NAP_MS  10

struct afxdp {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_prod tx;
	struct xsk_ring_cons rx;
	uint8_t *area;
	size_t area_len;
	bool is_tx;
	bool zerocopy;
	/* TX only */
	uint64_t *free_addr; /* stack of umem frames not in flight */
	uint32_t nfree;
	uint32_t *len_of;   /* frame length by frame index, for completed bytes */
	uint8_t *tmpl_copy; /* the template the frames hold */
	uint32_t tmpl_len;
	struct afxdp_stats st;
};

static int afxdp_map_area(struct afxdp *x)
{
	x->area_len = (size_t)AFXDP_NFRAMES * AFXDP_FRAME_SIZE;
	x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		return -errno;
	}
	return 0;
}

/* One umem and socket; @bind_mode is XDP_ZEROCOPY or XDP_COPY. */
static int afxdp_create(struct afxdp *x, const char *ifname, uint32_t queue, uint16_t bind_mode)
{
	struct xsk_umem_config ucfg = {
		.fill_size = AFXDP_NFRAMES, /* RX puts every frame in it */
		.comp_size = AFXDP_RING,
		.frame_size = AFXDP_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = AFXDP_RING,
		.tx_size = AFXDP_RING,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = XDP_USE_NEED_WAKEUP | bind_mode,
	};
	int err;

	err = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fq, &x->cq, &ucfg);
	if (err)
		return err;
	err = xsk_socket__create(&x->xsk, ifname, queue, x->umem, x->is_tx ? NULL : &x->rx,
				 x->is_tx ? &x->tx : NULL, &scfg);
	if (err) {
		/* A fresh umem for the next try: a failed bind may leave this one half set up. */
		xsk_umem__delete(x->umem);
		x->umem = NULL;
		x->xsk = NULL;
	}
	return err;
}

/*
 * afxdp_create, waiting out a queue that is still busy: the kernel lets go of
 * a closed socket's queue in a work item that takes the RTNL lock
 * (xp_release_deferred), so a bind right after a close may see -EBUSY for a
 * while, longer when other netlink work holds the lock.
 */
static int afxdp_create_wait(struct afxdp *x, const char *ifname, uint32_t queue,
			     uint16_t bind_mode)
{
	int err, waited;

	for (waited = 0;; waited += AFXDP_BUSY_NAP_MS) {
		err = afxdp_create(x, ifname, queue, bind_mode);
		if (err != -EBUSY || waited >= AFXDP_BUSY_WAIT_MS)
			return err;
		time_sleep_ns(AFXDP_BUSY_NAP_MS * NSEC_PER_MSEC);
	}
}

/* Zero-copy if the driver has it, else copy mode. */
static int afxdp_bind(struct afxdp *x, int ifindex, uint32_t queue, char *why, size_t whylen)
{
	char ifname[IF_NAMESIZE];
	int err;

	if (!if_indextoname((unsigned int)ifindex, ifname)) {
		err = -errno;
		snprintf(why, whylen, "no interface with index %d: %s", ifindex, strerror(-err));
		return err;
	}
	err = afxdp_map_area(x);
	if (err) {
		snprintf(why, whylen, "cannot map a %zu-byte AF_XDP umem: %s", x->area_len,
			 strerror(-err));
		return err;
	}
	err = afxdp_create_wait(x, ifname, queue, XDP_ZEROCOPY);
	if (!err) {
		x->zerocopy = true;
		return 0;
	}
	pr_debug("afxdp: %s queue %u: no zero-copy (%s), using copy mode", ifname, queue,
		 strerror(-err));
	err = afxdp_create_wait(x, ifname, queue, XDP_COPY);
	if (err)
		snprintf(why, whylen, "cannot bind an AF_XDP socket to %s queue %u: %s", ifname,
			 queue, strerror(-err));
	return err;
}

static struct afxdp *afxdp_open(int ifindex, uint32_t queue, bool is_tx, char *why, size_t whylen)
{
	struct afxdp *x = calloc(1, sizeof(*x));
	int err;

	if (!x) {
		snprintf(why, whylen, "cannot open an AF_XDP socket: out of memory");
		return NULL;
	}
	x->is_tx = is_tx;
	err = afxdp_bind(x, ifindex, queue, why, whylen);
	if (err) {
		afxdp_close(x);
		errno = -err;
		return NULL;
	}
	x->st.zerocopy = x->zerocopy;
	return x;
}

struct afxdp *afxdp_tx_open(int ifindex, uint32_t queue, uint32_t frame_len, char *why,
			    size_t whylen)
{
	struct afxdp *x;
	uint32_t i;

	if (frame_len > AFXDP_FRAME_SIZE || frame_len > FRAME_MAX) {
		snprintf(why, whylen, "%u-byte frames do not fit a %u-byte AF_XDP umem frame",
			 frame_len, AFXDP_FRAME_SIZE);
		errno = EMSGSIZE;
		return NULL;
	}
	x = afxdp_open(ifindex, queue, true, why, whylen);
	if (!x)
		return NULL;
	x->free_addr = calloc(AFXDP_NFRAMES, sizeof(*x->free_addr));
	x->len_of = calloc(AFXDP_NFRAMES, sizeof(*x->len_of));
	x->tmpl_copy = malloc(FRAME_MAX);
	if (!x->free_addr || !x->len_of || !x->tmpl_copy) {
		afxdp_close(x);
		snprintf(why, whylen, "cannot open an AF_XDP socket: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < AFXDP_NFRAMES; i++)
		x->free_addr[x->nfree++] = (uint64_t)(AFXDP_NFRAMES - 1 - i) * AFXDP_FRAME_SIZE;
	return x;
}

/* Take completed frames back; returns how many. */
static uint32_t afxdp_reap(struct afxdp *x)
{
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&x->cq, AFXDP_RING, &idx);
	for (i = 0; i < n; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&x->cq, idx + i);

		addr &= ~(uint64_t)(AFXDP_FRAME_SIZE - 1);
		x->st.bytes += x->len_of[addr / AFXDP_FRAME_SIZE];
		x->free_addr[x->nfree++] = addr;
	}
	if (n)
		xsk_ring_cons__release(&x->cq, n);
	x->st.packets += n;
	return n;
}

/* Tell the kernel there is TX work; copy mode transmits inside sendto(). */
static int afxdp_kick(struct afxdp *x)
{
	if (!xsk_ring_prod__needs_wakeup(&x->tx))
		return 0;
	if (sendto(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return 0;
	/* Busy device, full queue or a transient state: the descriptors stay queued. */
	if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == ENETDOWN ||
	    errno == EINTR)
		return -EAGAIN;
	return -errno;
}

/*
 * Kick until the TX ring drained or a kick made no progress (the device pushes
 * back); reap what completed. Copy mode returns EAGAIN after each 32 frames.
 */
static int afxdp_push(struct afxdp *x)
{
	uint32_t before, i;
	int err = 0;

	for (i = 0; i < AFXDP_KICKS; i++) {
		before = xsk_prod_nb_free(&x->tx, AFXDP_RING);
		if (before == AFXDP_RING)
			break;
		err = afxdp_kick(x);
		afxdp_reap(x);
		if (err && err != -EAGAIN)
			return err;
		if (xsk_prod_nb_free(&x->tx, AFXDP_RING) == before)
			break;
	}
	afxdp_reap(x);
	return 0;
}

static uint32_t afxdp_in_flight(const struct afxdp *x)
{
	return AFXDP_NFRAMES - x->nfree;
}

/* Write @t into every umem frame once (after the frames in flight completed). */
static int afxdp_prefill(struct afxdp *x, const struct frame_tmpl *t)
{
	uint32_t i;
	int err;

	if (t->len > AFXDP_FRAME_SIZE)
		return -EMSGSIZE;
	if (afxdp_in_flight(x)) {
		err = afxdp_tx_flush(x, 1000);
		if (err)
			return err;
	}
	for (i = 0; i < AFXDP_NFRAMES; i++)
		memcpy(x->area + (size_t)i * AFXDP_FRAME_SIZE, t->buf, t->len);
	memcpy(x->tmpl_copy, t->buf, t->len);
	x->tmpl_len = t->len;
	return 0;
}

static bool afxdp_same_tmpl(const struct afxdp *x, const struct frame_tmpl *t)
{
	return x->tmpl_len == t->len && !memcmp(x->tmpl_copy, t->buf, t->len);
}

int afxdp_tx_send(struct afxdp *x, const struct frame_tmpl *t, uint64_t *seq, uint64_t ts_us,
		  uint32_t n)
{
	uint32_t idx, i, got, want, room;
	int err;

	if (!x->is_tx)
		return -EINVAL;
	if (!afxdp_same_tmpl(x, t)) {
		err = afxdp_prefill(x, t);
		if (err)
			return err;
	}
	afxdp_reap(x);
	want = n < x->nfree ? n : x->nfree;
	/* reserve() is all or nothing: ask for what the ring has room for. */
	room = xsk_prod_nb_free(&x->tx, want);
	if (room < want)
		want = room;
	got = want ? xsk_ring_prod__reserve(&x->tx, want, &idx) : 0;
	if (got < n)
		x->st.tx_ring_full++;
	for (i = 0; i < got; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx + i);
		uint64_t addr = x->free_addr[--x->nfree];

		frame_stamp(t, x->area + addr, *seq + i, ts_us);
		x->len_of[addr / AFXDP_FRAME_SIZE] = t->len;
		d->addr = addr;
		d->len = t->len;
		d->options = 0;
	}
	if (got) {
		xsk_ring_prod__submit(&x->tx, got);
		*seq += got;
	}
	err = afxdp_push(x);
	return err ? err : (int)got;
}

int afxdp_tx_flush(struct afxdp *x, int timeout_ms)
{
	int64_t deadline = time_mono_ms() + timeout_ms;
	int err;

	if (!x->is_tx)
		return -EINVAL;
	for (;;) {
		err = afxdp_push(x);
		if (err)
			return err;
		if (!afxdp_in_flight(x))
			return 0;
		if (time_mono_ms() >= deadline)
			return -ETIMEDOUT;
		/* Zero-copy completions come from the driver's interrupt: wait a little. */
		time_sleep_ns(50 * NSEC_PER_USEC);
	}
}

/* Hand @n frames to the kernel; the fill ring holds every frame, so it has room. */
static void afxdp_fill(struct afxdp *x, const uint64_t *addrs, uint32_t n, uint64_t first)
{
	uint32_t idx, i;

	if (xsk_ring_prod__reserve(&x->fq, n, &idx) != n)
		return; /* cannot happen: the ring is as large as the umem */
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) =
			addrs ? addrs[i] : (first + i) * AFXDP_FRAME_SIZE;
	xsk_ring_prod__submit(&x->fq, n);
}

struct afxdp *afxdp_rx_open(int ifindex, uint32_t queue, int xskmap_fd, char *why, size_t whylen)
{
	struct afxdp *x = afxdp_open(ifindex, queue, false, why, whylen);
	int err;

	if (!x)
		return NULL;
	afxdp_fill(x, NULL, AFXDP_NFRAMES, 0);
	err = xsk_socket__update_xskmap(x->xsk, xskmap_fd);
	if (err) {
		snprintf(why, whylen,
			 "cannot insert the AF_XDP socket of queue %u into the XSKMAP: %s", queue,
			 strerror(-err));
		afxdp_close(x);
		errno = -err;
		return NULL;
	}
	return x;
}

/* Count the received frames and give them back to the fill ring. */
static uint32_t afxdp_rx_take(struct afxdp *x)
{
	uint64_t addrs[AFXDP_RX_BATCH];
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&x->rx, AFXDP_RX_BATCH, &idx);
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);

		x->st.bytes += d->len;
		addrs[i] = d->addr & ~(uint64_t)(AFXDP_FRAME_SIZE - 1);
	}
	if (!n)
		return 0;
	xsk_ring_cons__release(&x->rx, n);
	afxdp_fill(x, addrs, n, 0);
	x->st.packets += n;
	return n;
}

int afxdp_rx_poll(struct afxdp *x, int timeout_ms)
{
	struct pollfd pfd = {.fd = xsk_socket__fd(x->xsk), .events = POLLIN};
	uint32_t n, total = 0;

	if (x->is_tx)
		return -EINVAL;
	do {
		n = afxdp_rx_take(x);
		total += n;
	} while (n == AFXDP_RX_BATCH && total < AFXDP_NFRAMES);
	if (total || !timeout_ms) {
		/* Zero-copy drivers stop when the fill ring ran dry: wake them. */
		if (total && xsk_ring_prod__needs_wakeup(&x->fq))
			recvfrom(pfd.fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return (int)total;
	}
	/* poll() also wakes a driver that waits for the fill ring. */
	if (poll(&pfd, 1, timeout_ms) < 0)
		return errno == EINTR ? 0 : -errno;
	return (int)afxdp_rx_take(x);
}

void afxdp_stats(struct afxdp *x, struct afxdp_stats *st)
{
	struct xdp_statistics xs = {};
	socklen_t len = sizeof(xs);

	if (x->is_tx)
		afxdp_reap(x);
	*st = x->st;
	if (!getsockopt(xsk_socket__fd(x->xsk), SOL_XDP, XDP_STATISTICS, &xs, &len))
		st->rx_dropped = xs.rx_dropped + xs.rx_ring_full + xs.rx_fill_ring_empty_descs;
}

int afxdp_fd(const struct afxdp *x)
{
	return xsk_socket__fd(x->xsk);
}

void afxdp_close(struct afxdp *x)
{
	if (!x)
		return;
	/* libxdp does not touch the XDP program or the XSKMAP (program load inhibited). */
	xsk_socket__delete(x->xsk);
	xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, x->area_len);
	free(x->free_addr);
	free(x->len_of);
	free(x->tmpl_copy);
	free(x);
}

size_t afxdp_mem(bool tx)
{
	size_t n = sizeof(struct afxdp) + (size_t)AFXDP_NFRAMES * AFXDP_FRAME_SIZE;

	if (tx)
		n += AFXDP_NFRAMES * (sizeof(uint64_t) + sizeof(uint32_t)) + FRAME_MAX;
	return n;
}
