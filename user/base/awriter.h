/* SPDX-License-Identifier: MIT */
/*
 * An asynchronous, bounded writer: units of bytes queued by the caller are
 * written to a file descriptor, in order, by a thread of its own. A reader
 * that is slow (a pipe into `less`, a stalled collector) can then never stall
 * the caller: past the queue's bound, droppable units are discarded and
 * counted, and the caller says so. Units that must not be lost (a test's
 * start, summary, error: a few per test) are queued past the bound instead.
 * Only awriter_flush() waits.
 */
#ifndef XFR_BASE_AWRITER_H
#define XFR_BASE_AWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct awriter;

/* A writer to fd (not closed by the writer) with at most cap bytes queued. NULL with errno. */
struct awriter *awriter_new(int fd, size_t cap);

/*
 * Queue len bytes of buf (copied); never waits. droppable: when the queue is
 * full the unit is dropped and counted (-ENOBUFS); otherwise it is queued past
 * the bound. Returns 0, -ENOBUFS, -ENOMEM, or the -errno of an earlier failed
 * write (nothing more is written after one fails).
 */
int awriter_put(struct awriter *w, const void *buf, size_t len, bool droppable);

/* Wait until everything queued is written. 0 or the first write error (-errno). */
int awriter_flush(struct awriter *w);

/* Units dropped so far because the queue was full. */
uint64_t awriter_dropped(const struct awriter *w);

/* Flush, stop the thread, free. Returns what awriter_flush would. */
int awriter_free(struct awriter *w);

#endif /* XFR_BASE_AWRITER_H */
