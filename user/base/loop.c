// SPDX-License-Identifier: MIT
/* The event loop (see loop.h). */
#include "base/loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define LOOP_BATCH 64

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

static void run_deferred(struct loop *l)
{
	struct loop_defer *d;

	while ((d = l->deferred)) {
		l->deferred = d->next;
		d->fn(d);
	}
}

void loop_fini(struct loop *l)
{
	run_deferred(l);
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_add(struct loop *l, struct loop_item *it, int fd, uint32_t events, loop_cb cb, void *ctx)
{
	struct epoll_event ev = {.events = events, .data.ptr = it};

	it->fd = fd;
	it->cb = cb;
	it->ctx = ctx;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	it->added = true;
	return 0;
}

int loop_mod(struct loop *l, struct loop_item *it, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = it};

	if (!it->added)
		return -ENOENT;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, it->fd, &ev) ? -errno : 0;
}

void loop_del(struct loop *l, struct loop_item *it)
{
	if (!it->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, it->fd, NULL);
	it->added = false;
}

void loop_close(struct loop *l, struct loop_item *it)
{
	loop_del(l, it);
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event ev[LOOP_BATCH];
	int n = epoll_wait(l->epfd, ev, LOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->in_batch = true;
	for (int i = 0; i < n; i++) {
		struct loop_item *it = ev[i].data.ptr;

		/* Removed by an earlier event of this batch: its memory is still ours
		 * (deferred), its events are not. */
		if (it->added)
			it->cb(it, ev[i].events);
	}
	l->in_batch = false;
	run_deferred(l);
	return n;
}

void loop_defer(struct loop *l, struct loop_defer *d)
{
	if (!l->in_batch) {
		d->fn(d);
		return;
	}
	d->next = l->deferred;
	l->deferred = d;
}

int timerfd_open(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static struct timespec ms_ts(uint64_t ms)
{
	return (struct timespec){.tv_sec = (time_t)(ms / 1000),
				 .tv_nsec = (long)(ms % 1000) * 1000000L};
}

int timerfd_arm_ms(int fd, uint64_t first_ms, uint64_t every_ms)
{
	struct itimerspec its = {.it_value = ms_ts(first_ms), .it_interval = ms_ts(every_ms)};

	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

uint64_t timerfd_left_ms(int fd)
{
	struct itimerspec cur;

	if (timerfd_gettime(fd, &cur))
		return 0;
	return (uint64_t)cur.it_value.tv_sec * 1000 + (uint64_t)cur.it_value.tv_nsec / 1000000;
}

uint64_t timerfd_take(int fd)
{
	uint64_t n;

	return read(fd, &n, sizeof(n)) == sizeof(n) ? n : 0;
}

int signalfd_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
