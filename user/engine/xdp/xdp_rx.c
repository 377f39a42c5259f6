// SPDX-License-Identifier: MIT
/* The shared XDP receiver (see xdp_rx.h). */
#include "engine/xdp/xdp_rx.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/xdp/afxdp.h"
#include "base/log.h"
#include "base/netinfo.h"

#define RX_MAX_QUEUES 64

struct xdp_rx {
	struct xdp_rx *next;
	int ifindex;
	uint32_t mode;
	int refs;
	struct xdp_count *xc;
	uint8_t used[XDP_FLOW_MAX];
	/* redirect mode */
	uint32_t nq;
	struct afxdp *xsk[RX_MAX_QUEUES];
	pthread_t thread;
	bool running;
	bool stop; /* atomic */
};

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xdp_rx *rx_list;

/*
 * The counter's own attachment: native first, generic announced here (the
 * loader only says why native failed); a failure's reason goes to @why.
 */
static int rx_attach(struct xdp_rx *rx, char *why, size_t whylen)
{
	int err = xdp_count_attach(rx->xc, rx->ifindex, why, whylen);

	if (err > 0) {
		pr_warn("xdp: %s: attached in generic mode, slower", why);
		err = 0;
	}
	return err;
}

static void *rx_thread(void *arg)
{
	struct xdp_rx *rx = arg;
	struct pollfd pfd[RX_MAX_QUEUES];
	uint32_t i;

	for (i = 0; i < rx->nq; i++)
		pfd[i] = (struct pollfd){.fd = afxdp_fd(rx->xsk[i]), .events = POLLIN};
	while (!__atomic_load_n(&rx->stop, __ATOMIC_RELAXED)) {
		if (poll(pfd, rx->nq, 100) <= 0)
			continue;
		for (i = 0; i < rx->nq; i++)
			afxdp_rx_poll(rx->xsk[i], 0); /* XDP counted them; the frames go back */
	}
	return NULL;
}

static int rx_open_xsks(struct xdp_rx *rx, uint32_t queues, char *why, size_t whylen)
{
	int map = xdp_count_xskmap_fd(rx->xc);
	struct netinfo_iface ifi;
	int err;

	rx->nq = queues ? queues : 1;
	if (rx->nq > RX_MAX_QUEUES)
		rx->nq = RX_MAX_QUEUES;
	/* A socket per receive queue the interface has, no more (binding past them fails). */
	if (!netinfo_iface_get(NULL, rx->ifindex, &ifi) && ifi.rx_queues &&
	    rx->nq > ifi.rx_queues) {
		pr_warn("xdp: %s has %u RX queue(s): using %u AF_XDP socket(s)", ifi.name,
			ifi.rx_queues, ifi.rx_queues);
		rx->nq = ifi.rx_queues;
	}
	for (uint32_t q = 0; q < rx->nq; q++) {
		rx->xsk[q] = afxdp_rx_open(rx->ifindex, q, map, why, whylen);
		if (!rx->xsk[q])
			return -errno;
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

	if (!rx) {
		snprintf(why, whylen, "cannot set up the XDP receiver: out of memory");
		return -ENOMEM;
	}
	rx->ifindex = ifindex;
	rx->mode = mode;
	rx->xc = xdp_count_open(mode, why, whylen);
	if (!rx->xc) {
		err = -errno;
		goto free_rx;
	}
	err = rx_attach(rx, why, whylen);
	if (!err && mode == XDP_COUNT_REDIRECT)
		err = rx_open_xsks(rx, queues, why, whylen);
	if (err)
		goto free_rx;
	*out = rx;
	return 0;

free_rx:
	rx_free(rx);
	return err;
}

/* The receiver on @ifindex, or NULL; under rx_lock. */
static struct xdp_rx *rx_lookup(int ifindex)
{
	struct xdp_rx *rx;

	for (rx = rx_list; rx && rx->ifindex != ifindex; rx = rx->next)
		;
	return rx;
}

int xdp_rx_get(int ifindex, uint32_t mode, uint32_t queues, struct xdp_rx **out, char *why,
	       size_t whylen)
{
	struct xdp_rx *rx;
	int err = 0;

	pthread_mutex_lock(&rx_lock);
	rx = rx_lookup(ifindex);
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

int xdp_rx_find(int ifindex, struct xdp_rx **out)
{
	struct xdp_rx *rx;

	pthread_mutex_lock(&rx_lock);
	rx = rx_lookup(ifindex);
	if (rx) {
		rx->refs++;
		*out = rx;
	}
	pthread_mutex_unlock(&rx_lock);
	return rx ? 0 : -ENOENT;
}

int xdp_rx_gen_hook(struct xdp_rx *rx, int gen_prog_fd)
{
	int tail;

	pthread_mutex_lock(&rx_lock);
	tail = xdp_count_gen_hook(rx->xc, gen_prog_fd);
	pthread_mutex_unlock(&rx_lock);
	return tail;
}

int xdp_rx_prog_fd(const struct xdp_rx *rx)
{
	return xdp_count_prog_fd(rx->xc);
}

void xdp_rx_gen_unhook(struct xdp_rx *rx, int tail)
{
	pthread_mutex_lock(&rx_lock);
	xdp_count_gen_unhook(rx->xc, tail);
	pthread_mutex_unlock(&rx_lock);
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
