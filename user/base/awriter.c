// SPDX-License-Identifier: MIT
/*
 * The asynchronous writer (see awriter.h): a FIFO of malloc'd units, one
 * mutex, two condvars (work for the thread, idle for flush).
 */
#include "base/awriter.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct unit {
	struct unit *next;
	size_t len;
	char data[];
};

struct awriter {
	int fd;
	size_t cap;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a unit queued, or quit */
	pthread_cond_t done; /* a unit written: idle yet? (flush) */
	struct unit *head, *tail;
	size_t queued; /* bytes in the queue */
	bool busy;     /* the thread is writing a unit it took off the queue */
	bool quit;
	int err;	  /* first write error, -errno; stored atomically (read unlocked) */
	uint64_t dropped; /* relaxed atomics: read without the lock */
};

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The next unit to write, or NULL when told to quit with nothing left. Under lock. */
static struct unit *take(struct awriter *w)
{
	struct unit *u;

	while (!w->head && !w->quit)
		pthread_cond_wait(&w->work, &w->lock);
	u = w->head;
	if (u) {
		w->head = u->next;
		if (!w->head)
			w->tail = NULL;
		w->busy = true;
	}
	return u;
}

static void *writer_main(void *arg)
{
	struct awriter *w = arg;
	struct unit *u;
	sigset_t all;
	int err;

	/* Signals are the main loop's (its signalfd): never taken, or lost, here. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&w->lock);
	while ((u = take(w))) {
		pthread_mutex_unlock(&w->lock);
		err = 0;
		if (!__atomic_load_n(&w->err, __ATOMIC_RELAXED))
			err = write_all(w->fd, u->data, u->len);
		pthread_mutex_lock(&w->lock);
		if (err && !w->err)
			__atomic_store_n(&w->err, err, __ATOMIC_RELAXED);
		w->queued -= u->len;
		w->busy = false;
		free(u);
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct awriter *awriter_new(int fd, size_t cap)
{
	struct awriter *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->fd = fd;
	w->cap = cap;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	err = pthread_create(&w->thread, NULL, writer_main, w);
	if (err) {
		pthread_cond_destroy(&w->done);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->lock);
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

/* Room for len more bytes; a unit larger than the bound fits an empty queue. */
static bool room(const struct awriter *w, size_t len)
{
	return !w->queued || w->queued + len <= w->cap;
}

int awriter_put(struct awriter *w, const void *buf, size_t len, bool droppable)
{
	struct unit *u;
	int err;

	pthread_mutex_lock(&w->lock);
	err = w->err;
	if (!err && droppable && !room(w, len)) {
		__atomic_fetch_add(&w->dropped, 1, __ATOMIC_RELAXED);
		err = -ENOBUFS;
	}
	u = err ? NULL : malloc(sizeof(*u) + len);
	if (!err && !u)
		err = -ENOMEM;
	if (u) {
		u->next = NULL;
		u->len = len;
		memcpy(u->data, buf, len);
		if (w->tail)
			w->tail->next = u;
		else
			w->head = u;
		w->tail = u;
		w->queued += len;
		pthread_cond_signal(&w->work);
	}
	pthread_mutex_unlock(&w->lock);
	return err;
}

int awriter_flush(struct awriter *w)
{
	int err;

	pthread_mutex_lock(&w->lock);
	while (w->head || w->busy)
		pthread_cond_wait(&w->done, &w->lock);
	err = w->err;
	pthread_mutex_unlock(&w->lock);
	return err;
}

uint64_t awriter_dropped(const struct awriter *w)
{
	return __atomic_load_n(&w->dropped, __ATOMIC_RELAXED);
}

int awriter_free(struct awriter *w)
{
	int err;

	if (!w)
		return 0;
	err = awriter_flush(w);
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return err;
}
