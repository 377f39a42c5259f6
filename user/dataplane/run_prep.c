// SPDX-License-Identifier: MIT
/*
 * A run's engine set-up (see run.h): build the engine from the registry and
 * hand it the streams' sockets, on the caller's thread (run_prepare, the
 * client) or on a worker thread (run_prepare_async, the server: loading BPF
 * programs, attaching XDP and resolving the next hop's MAC take milliseconds
 * to seconds, and its loop serves every other client meanwhile).
 *
 * The worker touches nothing but its struct run_prep: copies of what it needs,
 * the sockets it was given, what it builds. It ends by writing an eventfd on
 * the loop, whose callback joins it and hands the engine to the run. A run
 * halted while the worker builds takes nothing from it; a run freed while
 * it builds is not waited for (the loop must not block): the worker, once
 * through, releases what it built and the run itself. The mutex orders the
 * worker's end against run_free's check, and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dataplane/run_priv.h"

struct run_prep {
	pthread_t th;
	pthread_mutex_t lock; /* running and orphaned */
	bool running;	      /* the worker is still building */
	bool orphaned;	      /* the run was freed: the worker frees it when through */
	struct run *r;	      /* only for an orphan's last free */

	/* the worker's, until it is through */
	struct dataplane dp;
	struct engine_params p;
	bool send, recv;
	enum xfr_flow_dir dir_send;
	int fds[XFR_MAX_STREAMS]; /* the streams' sockets, each the engine's once added */
	struct engine *eng;
	int err;
	char why[240];

	int done_fd;	     /* the engine's done eventfd: the run's once it takes the engine */
	struct loop_item it; /* eventfd: the worker is through */
};

/* Which directions this side runs on each stream, and the direction of what it sends. */
static void side(const struct run *r, bool *send, bool *recv, enum xfr_flow_dir *dir_send)
{
	bool client = r->cfg.role == XFR_ROLE_CLIENT;
	enum xfr_dir d = r->cfg.dir;

	*send = client ? d != XFR_DIR_DOWNLOAD : d != XFR_DIR_UPLOAD;
	*recv = client ? d != XFR_DIR_UPLOAD : d != XFR_DIR_DOWNLOAD;
	*dir_send = client ? XFR_FLOW_UP : XFR_FLOW_DOWN;
}

static void close_fds(int *fds, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * The streams' sockets into out: duplicates (the caller keeps fds) or the
 * sockets themselves (fds[i] set to -1 either way). 0, or -errno with every
 * socket taken closed.
 */
static int take_fds(int *fds, uint32_t n, bool dup, int *out)
{
	int err = 0;

	for (uint32_t i = 0; i < n; i++) {
		out[i] = dup ? fcntl(fds[i], F_DUPFD_CLOEXEC, 0) : fds[i];
		if (!dup)
			fds[i] = -1;
		if (out[i] < 0 && !err)
			err = -errno;
	}
	if (err)
		close_fds(out, n);
	return err;
}

/*
 * Build the engine for dp and p and give it fds[0 .. p->streams), which it
 * owns from here (each is added, or closed). *out is the engine, also when a
 * stream failed (the caller destroys it). 0, or -errno with the reason in why.
 */
static int build(struct dataplane *dp, struct engine_params *p, int *fds, bool send, bool recv,
		 enum xfr_flow_dir dir_send, struct engine **out, char *why, size_t whylen)
{
	struct engine *e = dataplane_engine(dp, p, why, whylen);
	int err = 0;

	*out = e;
	if (!e) {
		err = errno ? -errno : -ENOMEM;
		close_fds(fds, p->streams);
		return err;
	}
	for (uint32_t i = 0; i < p->streams; i++) {
		int fd = fds[i];

		fds[i] = -1;
		if (!err)
			err = e->ops->add_stream(e, i, fd, send, recv, dir_send);
		else
			close(fd);
	}
	if (err)
		snprintf(why, whylen, "%s", engine_last_error(e) ?: strerror(-err));
	return err;
}

/* The engine's done eventfd: every flow ended. */
static void on_done(struct loop_item *it, uint32_t events)
{
	struct run *r = it->ctx;
	uint64_t v;

	(void)events;
	if (read(it->fd, &v, sizeof(v)) != sizeof(v))
		return;
	loop_close(r->loop, it); /* once */
	if (r->hooks->done)
		r->hooks->done(r);
}

static int done_fd_open(char *why, size_t whylen)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0) {
		fd = -errno;
		snprintf(why, whylen, "%s", strerror(-fd));
	}
	return fd;
}

int run_prepare(struct run *r, int *fds, bool dup, char *why, size_t whylen)
{
	struct engine_params p = r->cfg.ep;
	int own[XFR_MAX_STREAMS];
	enum xfr_flow_dir dir_send;
	bool send, recv;
	int err;

	if (r->prepared || r->prep) {
		snprintf(why, whylen, "the engine is prepared already");
		return -EALREADY;
	}
	err = take_fds(fds, p.streams, dup, own);
	if (err) {
		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	p.done_fd = done_fd_open(why, whylen);
	if (p.done_fd < 0) {
		close_fds(own, p.streams);
		return p.done_fd;
	}
	err = loop_add(r->loop, &r->done_it, p.done_fd, EPOLLIN, on_done, r);
	if (err) {
		close(p.done_fd);
		r->done_it.fd = -1;
		close_fds(own, p.streams);
		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	side(r, &send, &recv, &dir_send);
	err = build(&r->cfg.dp, &p, own, send, recv, dir_send, &r->eng, why, whylen);
	r->prepared = r->eng != NULL;
	return err;
}

/* ---- on a worker ---- */

void run_mem_free(struct run *r)
{
	free(r->prev);
	free(r->cur);
	free(r->flows);
	free(r->slots);
	free(r->carry);
	free(r->psum);
	free(r);
}

static void prep_free(struct run_prep *pr)
{
	if (pr->eng)
		pr->eng->ops->destroy(pr->eng);
	if (pr->done_fd >= 0)
		close(pr->done_fd);
	if (pr->it.fd >= 0)
		close(pr->it.fd);
	close_fds(pr->fds, pr->p.streams);
	pthread_mutex_destroy(&pr->lock);
	free(pr);
}

static void *prep_main(void *arg)
{
	struct run_prep *pr = arg;
	uint64_t one = 1;
	bool orphaned;

	pr->err = build(&pr->dp, &pr->p, pr->fds, pr->send, pr->recv, pr->dir_send, &pr->eng,
			pr->why, sizeof(pr->why));
	pthread_mutex_lock(&pr->lock);
	pr->running = false;
	orphaned = pr->orphaned;
	if (!orphaned && write(pr->it.fd, &one, sizeof(one)) != sizeof(one))
		pr->err = pr->err ?: -EIO; /* cannot happen on a fresh eventfd */
	pthread_mutex_unlock(&pr->lock);
	if (orphaned) {
		/* Nobody will join us; the run is gone but for its memory. */
		pthread_detach(pthread_self());
		run_mem_free(pr->r);
		prep_free(pr);
	}
	return NULL;
}

/* The worker is through (on the loop's thread): the engine becomes the run's. */
static void on_prepared(struct loop_item *it, uint32_t events)
{
	struct run *r = it->ctx;
	struct run_prep *pr = r->prep;
	uint64_t v;
	int err;

	(void)events;
	if (read(it->fd, &v, sizeof(v)) != sizeof(v))
		return;
	pthread_join(pr->th, NULL); /* it wrote, it is returning: everything in pr is ours */
	loop_close(r->loop, it);
	r->prep = NULL;
	r->eng = pr->eng; /* released with the run even when a stream failed */
	pr->eng = NULL;
	r->cfg.dp = pr->dp; /* the observers that could load */
	err = pr->err;
	if (!err) {
		err = loop_add(r->loop, &r->done_it, pr->done_fd, EPOLLIN, on_done, r);
		if (!err)
			pr->done_fd = -1;
		else
			snprintf(pr->why, sizeof(pr->why), "%s", strerror(-err));
	}
	r->prepared = !err;
	if (r->finished || r->halted) {
		prep_free(pr);
		return; /* given up meanwhile: run_halt/run_free release the engine */
	}
	if (r->hooks->prepared)
		r->hooks->prepared(r, err, pr->why);
	prep_free(pr);
}

static struct run_prep *prep_new(struct run *r)
{
	struct run_prep *pr = calloc(1, sizeof(*pr));

	if (!pr)
		return NULL;
	pr->r = r;
	pr->dp = r->cfg.dp;
	pr->p = r->cfg.ep;
	side(r, &pr->send, &pr->recv, &pr->dir_send);
	for (uint32_t i = 0; i < XFR_MAX_STREAMS; i++)
		pr->fds[i] = -1;
	pr->done_fd = -1;
	pr->it = (struct loop_item){.fd = -1};
	pthread_mutex_init(&pr->lock, NULL);
	return pr;
}

/* The worker takes no signals: the loop's signalfd and the engines' own kicks have them. */
static int prep_spawn(struct run_prep *pr)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pr->running = true;
	err = -pthread_create(&pr->th, NULL, prep_main, pr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		pr->running = false;
	return err;
}

int run_prepare_async(struct run *r, int *fds, bool dup)
{
	struct run_prep *pr;
	char why[64];
	int efd, err;

	if (r->prepared || r->prep || r->halted)
		return -EALREADY;
	pr = prep_new(r);
	if (!pr) {
		if (!dup)
			close_fds(fds, r->cfg.ep.streams);
		return -ENOMEM;
	}
	err = take_fds(fds, pr->p.streams, dup, pr->fds);
	if (!err) {
		pr->done_fd = pr->p.done_fd = done_fd_open(why, sizeof(why));
		err = pr->done_fd < 0 ? pr->done_fd : 0;
	}
	if (!err) {
		efd = done_fd_open(why, sizeof(why)); /* the worker's "through" */
		err = efd < 0 ? efd : loop_add(r->loop, &pr->it, efd, EPOLLIN, on_prepared, r);
	}
	if (!err)
		err = prep_spawn(pr);
	if (err) {
		loop_del(r->loop, &pr->it);
		prep_free(pr);
		return err;
	}
	r->prep = pr;
	return 0;
}

bool run_preparing(const struct run *r)
{
	return r->prep != NULL;
}

void run_prep_halt(struct run *r)
{
	if (r->prep)
		loop_del(r->loop,
			 &r->prep->it); /* no result to take: the fd stays for the worker */
}

bool run_prep_release(struct run *r)
{
	struct run_prep *pr = r->prep;
	bool running;

	if (!pr)
		return false;
	pthread_mutex_lock(&pr->lock);
	running = pr->running;
	pr->orphaned = running;
	pthread_mutex_unlock(&pr->lock);
	if (running)
		return true;
	pthread_join(pr->th, NULL);
	r->prep = NULL;
	prep_free(pr);
	return false;
}
