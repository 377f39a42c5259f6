// SPDX-License-Identifier: MIT
/* The shared XDP receiver (see xdp_rx.h). */
#include "xdp_rx.h"

#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "afxdp.h"
#include "log.h"

#define RX_MAX_QUEUES 64

struct xdp_rx {
	struct xdp_rx *next;
	int ifindex;
	uint32_t mode;
	int refs;
	int link_fd;
	bool generic;
	struct xdp_count *xc;
	uint8_t used[XDP_FLOW_MAX];
	/* redirect mode */
	uint32_t nq;
	struct afxdp *xsk[RX_MAX_QUEUES];
	pthread_t thread;
	bool running;
	bool stop;	 /* atomic */
	uint64_t frames; /* atomic */
};

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xdp_rx *rx_list;

/* Native first; generic (skb) mode only when the driver has no native XDP. */
static int rx_attach(struct xdp_rx *rx, char *why, size_t whylen)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int prog = xdp_count_prog_fd(rx->xc);
	char name[IF_NAMESIZE] = "?";
	int fd, err;

	if_indextoname((unsigned int)rx->ifindex, name);
	opts.flags = XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(prog, rx->ifindex, BPF_XDP, &opts);
	if (fd >= 0) {
		rx->link_fd = fd;
		return 0;
	}
	err = -errno;
	if (err == -EBUSY || err == -EEXIST) {
		snprintf(why, whylen, "%s already has an XDP program attached", name);
		return -EBUSY;
	}
	opts.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog, rx->ifindex, BPF_XDP, &opts);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot attach XDP to %s: %s", name, strerror(-err));
		return err;
	}
	pr_warn("xdp: %s has no native XDP (%s): attached in generic mode, slower\n", name,
		strerror(-err));
	rx->link_fd = fd;
	rx->generic = true;
	return 0;
}

static void *rx_thread(void *arg)
{
	struct xdp_rx *rx = arg;
	struct pollfd pfd[RX_MAX_QUEUES];
	uint32_t i;
	int n;

	for (i = 0; i < rx->nq; i++)
		pfd[i] = (struct pollfd){.fd = afxdp_fd(rx->xsk[i]), .events = POLLIN};
	while (!__atomic_load_n(&rx->stop, __ATOMIC_RELAXED)) {
		if (poll(pfd, rx->nq, 100) <= 0)
			continue;
		for (i = 0; i < rx->nq; i++) {
			n = afxdp_rx_poll(rx->xsk[i], 0);
			if (n > 0)
				__atomic_fetch_add(&rx->frames, (uint64_t)n, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static int rx_open_xsks(struct xdp_rx *rx, uint32_t queues, char *why, size_t whylen)
{
	int map = xdp_count_xskmap_fd(rx->xc);
	int err;

	rx->nq = queues ? queues : 1;
	if (rx->nq > RX_MAX_QUEUES)
		rx->nq = RX_MAX_QUEUES;
	for (uint32_t q = 0; q < rx->nq; q++) {
		rx->xsk[q] = afxdp_rx_open(rx->ifindex, q, map);
		if (!rx->xsk[q]) {
			err = -errno;
			snprintf(why, whylen, "cannot open an AF_XDP socket on queue %u: %s", q,
				 strerror(-err));
			return err;
		}
	}
	err = pthread_create(&rx->thread, NULL, rx_thread, rx);
	if (err) {
		snprintf(why, whylen, "cannot start the AF_XDP receive thread: %s", strerror(err));
		return -err;
	}
	rx->running = true;
	return 0;
}

static void rx_free(struct xdp_rx *rx)
{
	if (rx->running) {
		__atomic_store_n(&rx->stop, true, __ATOMIC_RELAXED);
		pthread_join(rx->thread, NULL);
	}
	if (rx->link_fd >= 0)
		close(rx->link_fd); /* detaches */
	for (uint32_t q = 0; q < rx->nq; q++)
		if (rx->xsk[q])
			afxdp_close(rx->xsk[q]);
	if (rx->xc)
		xdp_count_destroy(rx->xc);
	free(rx);
}

static int rx_new(int ifindex, uint32_t mode, uint32_t queues, struct xdp_rx **out, char *why,
		  size_t whylen)
{
	struct xdp_rx *rx = calloc(1, sizeof(*rx));
	int err;

	if (!rx)
		return -ENOMEM;
	rx->ifindex = ifindex;
	rx->mode = mode;
	rx->link_fd = -1;
	rx->xc = xdp_count_open(mode);
	if (!rx->xc) {
		err = -errno;
		snprintf(why, whylen, "cannot load the XDP counter: %s", strerror(-err));
		goto fail;
	}
	err = rx_attach(rx, why, whylen);
	if (!err && mode == XDP_COUNT_REDIRECT)
		err = rx_open_xsks(rx, queues, why, whylen);
	if (err)
		goto fail;
	*out = rx;
	return 0;
fail:
	rx_free(rx);
	return err;
}

int xdp_rx_get(int ifindex, uint32_t mode, uint32_t queues, struct xdp_rx **out, char *why,
	       size_t whylen)
{
	struct xdp_rx *rx;
	int err = 0;

	pthread_mutex_lock(&rx_lock);
	for (rx = rx_list; rx && rx->ifindex != ifindex; rx = rx->next)
		;
	if (rx && rx->mode != mode) {
		snprintf(why, whylen,
			 "the XDP receiver on this interface runs another mode for "
			 "another test");
		err = -EBUSY;
	} else if (rx) {
		rx->refs++;
		*out = rx;
	} else {
		err = rx_new(ifindex, mode, queues, &rx, why, whylen);
		if (!err) {
			rx->refs = 1;
			rx->next = rx_list;
			rx_list = rx;
			*out = rx;
		}
	}
	pthread_mutex_unlock(&rx_lock);
	return err;
}

int xdp_rx_add(struct xdp_rx *rx, const struct xdp_flow_key *key)
{
	int slot, err = -ENOSPC;

	pthread_mutex_lock(&rx_lock);
	for (slot = 0; slot < XDP_FLOW_MAX; slot++) {
		if (rx->used[slot])
			continue;
		err = xdp_count_add_flow(rx->xc, key, (uint32_t)slot);
		if (!err) {
			rx->used[slot] = 1;
			err = slot;
		}
		break;
	}
	pthread_mutex_unlock(&rx_lock);
	return err;
}

int xdp_rx_read(struct xdp_rx *rx, int slot, struct xdp_count_stats *st)
{
	return xdp_count_read(rx->xc, (uint32_t)slot, st);
}

void xdp_rx_del(struct xdp_rx *rx, const struct xdp_flow_key *key, int slot)
{
	pthread_mutex_lock(&rx_lock);
	xdp_count_del_flow(rx->xc, key);
	if (slot >= 0 && slot < XDP_FLOW_MAX)
		rx->used[slot] = 0;
	pthread_mutex_unlock(&rx_lock);
}

uint64_t xdp_rx_afxdp_frames(struct xdp_rx *rx)
{
	return __atomic_load_n(&rx->frames, __ATOMIC_RELAXED);
}

bool xdp_rx_generic(const struct xdp_rx *rx)
{
	return rx->generic;
}

void xdp_rx_put(struct xdp_rx *rx)
{
	struct xdp_rx **pp;

	if (!rx)
		return;
	pthread_mutex_lock(&rx_lock);
	if (--rx->refs > 0) {
		pthread_mutex_unlock(&rx_lock);
		return;
	}
	for (pp = &rx_list; *pp && *pp != rx; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = rx->next;
	pthread_mutex_unlock(&rx_lock);
	rx_free(rx);
}
