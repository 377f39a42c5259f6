// SPDX-License-Identifier: MIT
/*
 * Engine runtime (engine_rt.h): gate, live-thread count, pinning. Nothing here
 * runs per packet: flow threads get here only to sleep, to end, or to warn.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_rt.h"
#include "base/log.h"
#include "timeutil.h"

int eng_gate_init(struct eng_gate *g)
{
	pthread_condattr_t ca;
	int err;

	memset(g, 0, sizeof(*g));
	err = pthread_condattr_init(&ca);
	if (err)
		return -err;
	/* Deadlines are CLOCK_MONOTONIC, like every duration in xfr. */
	err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		return -err;
	err = pthread_mutex_init(&g->lock, NULL);
	if (err) {
		pthread_cond_destroy(&g->cond);
		return -err;
	}
	return 0;
}

void eng_gate_destroy(struct eng_gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

/* Flags change under the lock, so a waiter cannot check one and then miss the wake-up. */
void eng_gate_pause(struct eng_gate *g)
{
	pthread_mutex_lock(&g->lock);
	ENG_STORE(g->paused, true);
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void eng_gate_resume(struct eng_gate *g)
{
	pthread_mutex_lock(&g->lock);
	ENG_ADD(g->resume_gen, 1);
	ENG_STORE(g->paused, false);
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void eng_gate_stop(struct eng_gate *g, bool all)
{
	pthread_mutex_lock(&g->lock);
	ENG_STORE(g->stop_send, true);
	if (all)
		ENG_STORE(g->stop_all, true);
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void eng_gate_hold(struct eng_gate *g)
{
	pthread_mutex_lock(&g->lock);
	ENG_STORE(g->held, true);
	pthread_mutex_unlock(&g->lock);
}

void eng_gate_release(struct eng_gate *g)
{
	pthread_mutex_lock(&g->lock);
	__atomic_store_n(&g->held, false,
			 __ATOMIC_RELEASE); /* what start() set before, seen after */
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void eng_gate_wait_start(struct eng_gate *g)
{
	if (!__atomic_load_n(&g->held, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&g->lock);
	while (ENG_LOAD(g->held) && !ENG_LOAD(g->stop_send) && !ENG_LOAD(g->stop_all))
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

void eng_gate_kick(struct eng_gate *g)
{
	pthread_mutex_lock(&g->lock);
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void mono_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

/* Sleep until the deadline unless stop, pause or resume comes first (under lock). */
static void gate_sleep(struct eng_gate *g, uint64_t deadline_ns)
{
	uint64_t gen = ENG_LOAD(g->resume_gen);
	struct timespec ts;

	mono_ts(deadline_ns, &ts);
	while (!ENG_LOAD(g->stop_send) && !ENG_LOAD(g->paused) && ENG_LOAD(g->resume_gen) == gen)
		if (pthread_cond_timedwait(&g->cond, &g->lock, &ts) == ETIMEDOUT)
			break;
}

void eng_gate_wait(struct eng_gate *g, uint64_t deadline_ns)
{
	pthread_mutex_lock(&g->lock);
	if (ENG_LOAD(g->paused)) {
		while (ENG_LOAD(g->paused) && !ENG_LOAD(g->stop_send))
			pthread_cond_wait(&g->cond, &g->lock);
	} else if (deadline_ns) {
		gate_sleep(g, deadline_ns);
	}
	pthread_mutex_unlock(&g->lock);
}

bool eng_gate_wait_for(struct eng_gate *g, bool (*done)(void *arg), void *arg, uint64_t deadline_ns)
{
	bool ok, late = false;
	struct timespec ts;

	mono_ts(deadline_ns, &ts);
	pthread_mutex_lock(&g->lock);
	while (!(ok = done(arg)) && !late)
		late = pthread_cond_timedwait(&g->cond, &g->lock, &ts) == ETIMEDOUT;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

void eng_done_init(struct eng_done *d, int fd, uint32_t threads)
{
	d->fd = fd;
	d->live = threads;
	d->said = false;
}

void eng_done_notify(struct eng_done *d)
{
	uint64_t one = 1;

	if (d->fd < 0 || __atomic_exchange_n(&d->said, true, __ATOMIC_ACQ_REL))
		return;
	if (write(d->fd, &one, sizeof(one)) < 0)
		pr_debug("engine done_fd: %s", strerror(errno));
}

/* acq_rel: what each thread stored before it ended is visible to whoever reads the fd. */
bool eng_done_exit(struct eng_done *d)
{
	if (__atomic_sub_fetch(&d->live, 1, __ATOMIC_ACQ_REL))
		return false;
	eng_done_notify(d);
	return true;
}

void eng_done_cancel(struct eng_done *d, uint32_t n)
{
	__atomic_sub_fetch(&d->live, n, __ATOMIC_ACQ_REL);
}

int eng_pin(pthread_t th, int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(th, sizeof(set), &set);
}

void eng_pin_flow(pthread_t th, const struct engine_params *p, uint32_t k, bool *warned)
{
	char msg[128];
	int cpu, err;

	if (!p->cpus || !p->ncpus)
		return;
	cpu = p->cpus[k % p->ncpus];
	err = eng_pin(th, cpu);
	if (!err)
		return;
	snprintf(msg, sizeof(msg), "--affinity: cannot pin a stream thread to CPU %d: %s", cpu,
		 strerror(-err));
	eng_warn_once(warned, msg);
}

void eng_warn_once(bool *flag, const char *msg)
{
	if (!__atomic_exchange_n(flag, true, __ATOMIC_RELAXED))
		pr_warn("%s", msg);
}
