/* SPDX-License-Identifier: MIT */
/*
 * The event loop both roles run on: epoll items with callbacks, timerfd and
 * signalfd helpers, and frees deferred until the current batch of events is
 * dispatched.
 *
 * An item is registered with the callback that handles its events, so a new
 * kind of event source (QUIC's expiry timer, the TUI's stdin) is one more
 * item, not one more case in a switch. An item removed during a batch gets
 * none of the batch's remaining events; memory the batch may still point at
 * is released through loop_defer(), after the batch.
 */
#ifndef XFR_BASE_LOOP_H
#define XFR_BASE_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct loop_item;
typedef void (*loop_cb)(struct loop_item *it, uint32_t events);

struct loop_item {
	int fd;
	loop_cb cb;
	void *ctx;	/* the owner */
	uint32_t index; /* the owner's (a stream's index) */
	bool added;	/* in the epoll set: events are dispatched */
};

/* Something to release after the batch: embed it, and release in fn (container_of). */
struct loop_defer {
	struct loop_defer *next;
	void (*fn)(struct loop_defer *d);
};

struct loop {
	int epfd;
	bool in_batch;
	struct loop_defer *deferred;
};

int loop_init(struct loop *l);
/* Runs what is deferred, closes the epoll fd. Items' fds are their owners'. */
void loop_fini(struct loop *l);

/* Register fd for events (EPOLLIN, ...), dispatched to cb(it, events). 0 or -errno. */
int loop_add(struct loop *l, struct loop_item *it, int fd, uint32_t events, loop_cb cb, void *ctx);
int loop_mod(struct loop *l, struct loop_item *it, uint32_t events);
/* Unregister (idempotent); it gets no further events, this batch included. The fd stays open. */
void loop_del(struct loop *l, struct loop_item *it);
/* loop_del, then close the fd and set it to -1. */
void loop_close(struct loop *l, struct loop_item *it);

/*
 * Wait up to timeout_ms (-1 = until an event) and dispatch one batch, then
 * release what was deferred during it. Returns the number of events, 0 on
 * timeout or EINTR, -errno on failure.
 */
int loop_run_once(struct loop *l, int timeout_ms);

/* Release d->fn(d) after the current batch (at once when not in a batch). */
void loop_defer(struct loop *l, struct loop_defer *d);

/* A non-blocking CLOCK_MONOTONIC timerfd; -errno on failure. */
int timerfd_open(void);
/* Arm: first expiry after first_ms (0 = disarm), then every every_ms (0 = once). */
int timerfd_arm_ms(int fd, uint64_t first_ms, uint64_t every_ms);
/* Milliseconds before the next expiry (0 = disarmed or due). */
uint64_t timerfd_left_ms(int fd);
/* Consume the expirations; their count (0 when none were due). */
uint64_t timerfd_take(int fd);

/* Block SIGINT and SIGTERM and return a non-blocking signalfd for them; -errno. */
int signalfd_open(void);

#endif /* XFR_BASE_LOOP_H */
