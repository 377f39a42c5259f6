// SPDX-License-Identifier: MIT
/*
 * Engine runtime (engine_rt.h) without an engine: the budget under threads
 * that hammer it, the gate's wake-ups and deadlines, the done eventfd, pinning.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/engine_rt.h"
#include "timeutil.h"

#define HAMMERS	    4
#define BUDGET	    1000003ULL /* prime: claims never divide it evenly */
#define SLACK_NS    (300 * NSEC_PER_MSEC)
#define SETTLE_NS   (50 * NSEC_PER_MSEC)
#define WAKE_MAX_NS (2 * NSEC_PER_SEC)

struct hammer {
	struct eng_budget *b;
	unsigned int seed;
	uint64_t net; /* claimed minus given back */
	bool over;    /* a claim granted more than it asked for */
};

/* Claim odd sizes, give some back, until the budget says none is left. */
static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	uint64_t want, got, back;

	for (;;) {
		want = 1 + (uint64_t)rand_r(&h->seed) % 61;
		got = eng_budget_claim(h->b, want);
		if (!got)
			return NULL;
		h->over |= got > want;
		back = rand_r(&h->seed) % 4 ? 0 : got / 2;
		eng_budget_unclaim(h->b, back);
		h->net += got - back;
	}
}

static void test_budget_exact(void **state)
{
	struct hammer h[HAMMERS];
	pthread_t th[HAMMERS];
	struct eng_budget b;
	uint64_t total = 0;
	int i;

	(void)state;
	eng_budget_init(&b, BUDGET);
	for (i = 0; i < HAMMERS; i++) {
		h[i] = (struct hammer){.b = &b, .seed = (unsigned int)i + 1};
		assert_int_equal(pthread_create(&th[i], NULL, hammer_main, &h[i]), 0);
	}
	for (i = 0; i < HAMMERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_false(h[i].over);
		total += h[i].net;
	}
	assert_int_equal(total, BUDGET);
	assert_int_equal(b.left, 0);
	assert_int_equal(eng_budget_claim(&b, 1), 0);
}

static void test_budget_unlimited(void **state)
{
	struct eng_budget b;

	(void)state;
	eng_budget_init(&b, 0);
	assert_int_equal(eng_budget_claim(&b, 123456), 123456);
	eng_budget_unclaim(&b, 5);
	assert_int_equal(b.left, 0);
	assert_int_equal(eng_budget_claim(&b, UINT64_MAX), UINT64_MAX);
}

struct waiter {
	struct eng_gate *g;
	uint64_t deadline_ns;
	bool back; /* atomic: eng_gate_wait returned */
	pthread_t th;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	eng_gate_wait(w->g, w->deadline_ns);
	ENG_STORE(w->back, true);
	return NULL;
}

static void waiter_start(struct waiter *w, struct eng_gate *g, uint64_t deadline_ns)
{
	*w = (struct waiter){.g = g, .deadline_ns = deadline_ns};
	assert_int_equal(pthread_create(&w->th, NULL, waiter_main, w), 0);
	time_sleep_ns(SETTLE_NS);
	assert_false(ENG_LOAD(w->back));
}

/* Join w, which must come back soon now. */
static void waiter_join(struct waiter *w)
{
	uint64_t t0 = time_mono_ns();

	assert_int_equal(pthread_join(w->th, NULL), 0);
	assert_true(w->back);
	assert_true(time_mono_ns() - t0 < WAKE_MAX_NS);
}

static void test_gate_pause_resume(void **state)
{
	struct waiter w;
	struct eng_gate g;
	uint64_t gen;

	(void)state;
	assert_int_equal(eng_gate_init(&g), 0);
	gen = eng_gate_gen(&g);
	assert_false(eng_gate_resumed(&g, &gen));
	eng_gate_pause(&g);
	assert_true(eng_gate_paused(&g));
	waiter_start(&w, &g, 0); /* paused: blocks although it has no deadline */
	eng_gate_resume(&g);
	waiter_join(&w);
	assert_false(eng_gate_paused(&g));
	assert_true(eng_gate_resumed(&g, &gen));
	assert_false(eng_gate_resumed(&g, &gen)); /* once per resume */

	waiter_start(&w, &g, time_mono_ns() + 60 * NSEC_PER_SEC); /* a pacing sleep */
	eng_gate_resume(&g);
	waiter_join(&w);
	assert_true(eng_gate_resumed(&g, &gen));
	eng_gate_destroy(&g);
}

struct starter {
	struct eng_gate *g;
	bool back; /* atomic: eng_gate_wait_start returned */
	pthread_t th;
};

static void *starter_main(void *arg)
{
	struct starter *w = arg;

	eng_gate_wait_start(w->g);
	ENG_STORE(w->back, true);
	return NULL;
}

/* Held: no flow goes until the release, then all go; a stop also lets them go. */
static void test_gate_hold(void **state)
{
	struct starter w[3];
	struct eng_gate g;
	uint64_t t0;
	int i;

	(void)state;
	assert_int_equal(eng_gate_init(&g), 0);
	eng_gate_wait_start(&g); /* never held: returns at once */
	eng_gate_hold(&g);
	for (i = 0; i < 3; i++) {
		w[i] = (struct starter){.g = &g};
		assert_int_equal(pthread_create(&w[i].th, NULL, starter_main, &w[i]), 0);
	}
	time_sleep_ns(SETTLE_NS);
	for (i = 0; i < 3; i++)
		assert_false(ENG_LOAD(w[i].back));
	eng_gate_pause(&g); /* neither a pause nor a resume starts them */
	eng_gate_resume(&g);
	time_sleep_ns(SETTLE_NS);
	for (i = 0; i < 3; i++)
		assert_false(ENG_LOAD(w[i].back));
	t0 = time_mono_ns();
	eng_gate_release(&g);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(w[i].th, NULL), 0);
		assert_true(w[i].back);
	}
	assert_true(time_mono_ns() - t0 < WAKE_MAX_NS);
	eng_gate_destroy(&g);

	assert_int_equal(eng_gate_init(&g), 0);
	eng_gate_hold(&g);
	w[0] = (struct starter){.g = &g};
	assert_int_equal(pthread_create(&w[0].th, NULL, starter_main, &w[0]), 0);
	time_sleep_ns(SETTLE_NS);
	assert_false(ENG_LOAD(w[0].back));
	t0 = time_mono_ns();
	eng_gate_stop(&g, true); /* a failed start: the threads that exist must end */
	assert_int_equal(pthread_join(w[0].th, NULL), 0);
	assert_true(w[0].back);
	assert_true(time_mono_ns() - t0 < WAKE_MAX_NS);
	eng_gate_destroy(&g);
}

static void test_gate_stop(void **state)
{
	struct waiter w;
	struct eng_gate g;

	(void)state;
	assert_int_equal(eng_gate_init(&g), 0);
	eng_gate_pause(&g);
	waiter_start(&w, &g, 0);
	eng_gate_stop(&g, false);
	waiter_join(&w);
	assert_true(eng_gate_tx_stopped(&g));
	assert_false(eng_gate_stopped(&g));
	eng_gate_stop(&g, true);
	assert_true(eng_gate_stopped(&g));
	eng_gate_destroy(&g);

	assert_int_equal(eng_gate_init(&g), 0);
	waiter_start(&w, &g, time_mono_ns() + 60 * NSEC_PER_SEC);
	eng_gate_stop(&g, true);
	waiter_join(&w);
	eng_gate_destroy(&g);
}

static void test_gate_deadline(void **state)
{
	struct eng_gate g;
	uint64_t t0, dt;

	(void)state;
	assert_int_equal(eng_gate_init(&g), 0);
	t0 = time_mono_ns();
	eng_gate_wait(&g, t0 + 100 * NSEC_PER_MSEC);
	dt = time_mono_ns() - t0;
	assert_true(dt >= 100 * NSEC_PER_MSEC);
	assert_true(dt < 100 * NSEC_PER_MSEC + SLACK_NS);

	t0 = time_mono_ns();
	eng_gate_wait(&g, 0);	      /* no deadline, not paused: at once */
	eng_gate_wait(&g, t0 - 1000); /* already passed */
	assert_true(time_mono_ns() - t0 < SLACK_NS);
	eng_gate_destroy(&g);
}

static bool flag_set(void *arg)
{
	return ENG_LOAD(*(bool *)arg);
}

struct setter {
	struct eng_gate *g;
	bool flag;
};

static void *setter_main(void *arg)
{
	struct setter *s = arg;

	time_sleep_ns(SETTLE_NS);
	ENG_STORE(s->flag, true);
	eng_gate_kick(s->g);
	return NULL;
}

static void test_gate_wait_for(void **state)
{
	struct setter s = {0};
	struct eng_gate g;
	uint64_t t0, dt;
	pthread_t th;

	(void)state;
	assert_int_equal(eng_gate_init(&g), 0);
	s.g = &g;
	t0 = time_mono_ns();
	assert_false(eng_gate_wait_for(&g, flag_set, &s.flag, t0 + 80 * NSEC_PER_MSEC));
	dt = time_mono_ns() - t0;
	assert_true(dt >= 80 * NSEC_PER_MSEC && dt < 80 * NSEC_PER_MSEC + SLACK_NS);

	assert_int_equal(pthread_create(&th, NULL, setter_main, &s), 0);
	t0 = time_mono_ns();
	assert_true(eng_gate_wait_for(&g, flag_set, &s.flag, t0 + 60 * NSEC_PER_SEC));
	assert_true(time_mono_ns() - t0 < WAKE_MAX_NS);
	assert_int_equal(pthread_join(th, NULL), 0);
	eng_gate_destroy(&g);
}

/* The eventfd's count, 0 if nothing was written. */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		assert_int_equal(errno, EAGAIN);
	return v;
}

static void test_done_once(void **state)
{
	struct eng_done d;
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	eng_done_init(&d, fd, 3);
	assert_false(eng_done_exit(&d));
	assert_false(eng_done_exit(&d));
	assert_int_equal(efd_take(fd), 0);
	assert_true(eng_done_exit(&d));
	assert_int_equal(efd_take(fd), 1);

	eng_done_init(&d, fd, 3); /* an engine rule fires first, the last thread no more */
	eng_done_notify(&d);
	eng_done_notify(&d);
	eng_done_exit(&d);
	eng_done_exit(&d);
	eng_done_exit(&d);
	assert_int_equal(efd_take(fd), 1);

	eng_done_init(&d, fd, 3); /* one thread never started */
	eng_done_cancel(&d, 1);
	assert_false(eng_done_exit(&d));
	assert_true(eng_done_exit(&d));
	assert_int_equal(efd_take(fd), 1);

	eng_done_init(&d, -1, 1); /* no fd */
	assert_true(eng_done_exit(&d));
	close(fd);
}

static void test_pin(void **state)
{
	struct engine_params p = {0};
	cpu_set_t old, now;
	int bad[1] = {-1};
	bool warned = false;
	int cpu;

	(void)state;
	assert_int_equal(eng_pin(pthread_self(), -1), -EINVAL);
	assert_int_equal(eng_pin(pthread_self(), CPU_SETSIZE), -EINVAL);
	assert_int_equal(eng_pin(pthread_self(), CPU_SETSIZE - 1), -EINVAL); /* not online */

	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(old), &old), 0);
	for (cpu = 0; !CPU_ISSET(cpu, &old); cpu++)
		;
	assert_int_equal(eng_pin(pthread_self(), cpu), 0);
	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(cpu, &now));

	eng_pin_flow(pthread_self(), &p, 0, &warned); /* no --affinity: nothing */
	assert_false(warned);
	p.cpus = bad;
	p.ncpus = 1;
	eng_pin_flow(pthread_self(), &p, 0, &warned);
	assert_true(warned);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(old), &old), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_exact),
		cmocka_unit_test(test_budget_unlimited),
		cmocka_unit_test(test_gate_pause_resume),
		cmocka_unit_test(test_gate_stop),
		cmocka_unit_test(test_gate_hold),
		cmocka_unit_test(test_gate_deadline),
		cmocka_unit_test(test_gate_wait_for),
		cmocka_unit_test(test_done_once),
		cmocka_unit_test(test_pin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
