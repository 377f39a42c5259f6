/* SPDX-License-Identifier: MIT */
/*
 * Engine runtime: the thread mechanics every engine shares, so that an engine
 * brings only its transport code. The pieces are independent; an engine
 * embeds the ones it needs:
 *
 *  - struct eng_budget: the -n byte budget its sending threads draw from;
 *  - struct eng_gate: the start hold, stop, pause and resume, and the one
 *    condition variable flow threads sleep on (start, pacing, pause) and the
 *    control thread waits on;
 *  - struct eng_done: the count of live threads, and the done eventfd;
 *  - eng_pin_flow(): --affinity;
 *  - eng_warn_once(): a warning a thread may hit many times, said once.
 *
 * Hot paths (per write, per packet batch) only ever do relaxed loads here
 * (eng_gate_tx_stopped, eng_gate_paused, eng_gate_gen) or, when -n is set,
 * the budget's compare-and-swap that the byte count needs anyway.
 */
#ifndef XFR_ENGINE_ENGINE_RT_H
#define XFR_ENGINE_ENGINE_RT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

/* Counters and flags shared between a flow thread and sample()/control. */
#define ENG_LOAD(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ENG_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define ENG_ADD(x, v)	__atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)

/* ------------------------------------------------------------ byte budget */

struct eng_budget {
	bool limited;  /* false: no -n, every claim is granted in full */
	uint64_t left; /* atomic: bytes no thread has claimed yet */
};

/* bytes 0 = unlimited. */
static inline void eng_budget_init(struct eng_budget *b, uint64_t bytes)
{
	b->limited = bytes > 0;
	b->left = bytes;
}

/*
 * Take up to want (> 0) bytes: how many were granted, 0 = the budget is spent.
 * Lock-free and exact: concurrent claims never grant more than the budget.
 */
static inline uint64_t eng_budget_claim(struct eng_budget *b, uint64_t want)
{
	uint64_t left, n;

	if (!b->limited)
		return want;
	left = ENG_LOAD(b->left);
	do {
		n = left < want ? left : want;
		if (!n)
			return 0;
	} while (!__atomic_compare_exchange_n(&b->left, &left, left - n, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return n;
}

/* Give back n claimed bytes that were not sent (a full ring, an interrupted run). */
static inline void eng_budget_unclaim(struct eng_budget *b, uint64_t n)
{
	if (b->limited && n)
		ENG_ADD(b->left, n);
}

/* ------------------------------------------------------------------- gate */

struct eng_gate {
	bool stop_send;	      /* atomic: sending threads end */
	bool stop_all;	      /* atomic: every thread ends */
	bool paused;	      /* atomic */
	bool held;	      /* atomic: the flows are still being started; none may move data */
	uint64_t resume_gen;  /* atomic: bumped by each resume; senders then reset pacing */
	pthread_mutex_t lock; /* orders the flags above with sleeping on cond */
	pthread_cond_t cond;  /* CLOCK_MONOTONIC */
};

int eng_gate_init(struct eng_gate *g);
void eng_gate_destroy(struct eng_gate *g);

/* Control thread: each wakes every waiter. */
void eng_gate_pause(struct eng_gate *g);
void eng_gate_resume(struct eng_gate *g);
/* Senders end; all: every thread ends (receivers too). Sticky. */
void eng_gate_stop(struct eng_gate *g, bool all);

/*
 * The start hold. The control thread holds the gate while it creates the flow
 * threads and releases it once they all exist; each thread calls
 * eng_gate_wait_start() before it moves a byte. Without it the first threads
 * sent while the control thread was still creating the others, starved by
 * them: with -P 128 paced UDP on 2 cores creating the threads took 1-2.3 s,
 * and what the first ones sent meanwhile came out as up to 35 % over -b.
 */
void eng_gate_hold(struct eng_gate *g);
void eng_gate_release(struct eng_gate *g);
/* Flow threads: block while held, unless a stop (either kind) comes first. */
void eng_gate_wait_start(struct eng_gate *g);

static inline bool eng_gate_tx_stopped(const struct eng_gate *g)
{
	return ENG_LOAD(g->stop_send);
}

static inline bool eng_gate_stopped(const struct eng_gate *g)
{
	return ENG_LOAD(g->stop_all);
}

static inline bool eng_gate_paused(const struct eng_gate *g)
{
	return ENG_LOAD(g->paused);
}

static inline uint64_t eng_gate_gen(const struct eng_gate *g)
{
	return ENG_LOAD(g->resume_gen);
}

/* True once per resume since *gen (which it updates): time to reset pacing. */
static inline bool eng_gate_resumed(const struct eng_gate *g, uint64_t *gen)
{
	uint64_t now = eng_gate_gen(g);

	if (now == *gen)
		return false;
	*gen = now;
	return true;
}

/*
 * Flow threads. While paused: block until resume or stop_send. Otherwise sleep
 * until deadline_ns (CLOCK_MONOTONIC; 0 = do not sleep), stop_send, pause or
 * resume. The caller re-checks its state after.
 */
void eng_gate_wait(struct eng_gate *g, uint64_t deadline_ns);

/*
 * Control thread: wait until done(arg) or deadline_ns (CLOCK_MONOTONIC), and
 * return done(arg). done is evaluated under the gate's lock; threads that
 * change what it reads call eng_gate_kick() after.
 */
bool eng_gate_wait_for(struct eng_gate *g, bool (*done)(void *arg), void *arg,
		       uint64_t deadline_ns);
void eng_gate_kick(struct eng_gate *g);

/* ------------------------------------------------------------ live threads */

struct eng_done {
	int fd;	       /* eventfd written 1 when done; -1 = none */
	uint32_t live; /* atomic: counted threads still running */
	bool said;     /* atomic: fd written */
};

/* Before the threads start: threads of them count; fd as engine_params.done_fd. */
void eng_done_init(struct eng_done *d, int fd, uint32_t threads);
/* A counted thread ends; the last one writes the fd. True for the last one. */
bool eng_done_exit(struct eng_done *d);
/* n counted threads were never started: uncount them (the fd is not written). */
void eng_done_cancel(struct eng_done *d, uint32_t n);
/* Write the fd now (an engine rule such as "every sender finished"); only once. */
void eng_done_notify(struct eng_done *d);

/* ----------------------------------------------------------------- misc */

/* Pin thread th to cpu: 0, or -errno (-EINVAL: cpu outside cpu_set_t). */
int eng_pin(pthread_t th, int cpu);

/*
 * --affinity: the engine's k-th thread on p->cpus[k % p->ncpus] (nothing
 * without --affinity). Called by the spawning thread right after
 * pthread_create, so the pinning holds when start() returns. A failure is a
 * warning, said once per engine (*warned), and the thread runs unpinned.
 */
void eng_pin_flow(pthread_t th, const struct engine_params *p, uint32_t k, bool *warned);

/* pr_warn(msg) unless *flag was already set; safe from any thread. */
void eng_warn_once(bool *flag, const char *msg);

#endif
