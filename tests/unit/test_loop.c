// SPDX-License-Identifier: MIT
/*
 * The event loop (base/loop.h), the asynchronous writer (base/awriter.h) and
 * the sink list with the printer sink (model/event.h, output/output.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/awriter.h"
#include "base/loop.h"
#include "model/event.h"
#include "output/output.h"
#include "timeutil.h"

/* ---- loop ---- */

struct two {
	struct loop *l;
	struct loop_item a, b;
	int calls;
};

/* Whichever comes first removes the other: the other must get no event of the batch. */
static void on_either(struct loop_item *it, uint32_t events)
{
	struct two *t = it->ctx;

	(void)events;
	t->calls++;
	loop_del(t->l, it == &t->a ? &t->b : &t->a);
}

static void test_deleted_item_gets_nothing(void **state)
{
	struct loop l;
	struct two t = {.l = &l};
	uint64_t one = 1;
	int fa = eventfd(0, EFD_NONBLOCK), fb = eventfd(0, EFD_NONBLOCK);

	(void)state;
	assert_int_equal(loop_init(&l), 0);
	assert_int_equal(loop_add(&l, &t.a, fa, EPOLLIN, on_either, &t), 0);
	assert_int_equal(loop_add(&l, &t.b, fb, EPOLLIN, on_either, &t), 0);
	assert_int_equal(write(fa, &one, sizeof(one)), 8);
	assert_int_equal(write(fb, &one, sizeof(one)), 8);
	assert_int_equal(loop_run_once(&l, 1000), 2); /* both were ready in one batch */
	assert_int_equal(t.calls, 1);
	loop_close(&l, &t.a);
	loop_close(&l, &t.b);
	assert_int_equal(t.a.fd, -1);
	loop_fini(&l);
}

struct victim {
	struct loop_defer d;
	struct loop_item it;
	bool *freed;
};

static void victim_free(struct loop_defer *d)
{
	struct victim *v = (struct victim *)((char *)d - offsetof(struct victim, d));

	*v->freed = true;
	free(v);
}

static bool seen_freed_in_batch;

static void on_victim(struct loop_item *it, uint32_t events)
{
	struct victim *v = it->ctx;

	(void)events;
	seen_freed_in_batch = *v->freed;
}

static void test_defer_after_batch(void **state)
{
	struct loop l;
	bool freed = false;
	struct victim *v = calloc(1, sizeof(*v));
	uint64_t one = 1;
	int fd = eventfd(0, EFD_NONBLOCK);

	(void)state;
	assert_non_null(v);
	v->freed = &freed;
	v->d.fn = victim_free;
	assert_int_equal(loop_init(&l), 0);
	assert_int_equal(loop_add(&l, &v->it, fd, EPOLLIN, on_victim, v), 0);
	assert_int_equal(write(fd, &one, sizeof(one)), 8);
	/* Not in a batch: released at once. */
	{
		bool f2 = false;
		struct victim *w = calloc(1, sizeof(*w));

		assert_non_null(w);
		w->freed = &f2;
		w->d.fn = victim_free;
		loop_defer(&l, &w->d);
		assert_true(f2);
	}
	/* In a batch: the callback still sees the object, freed once the batch is over. */
	l.in_batch = true;
	loop_defer(&l, &v->d);
	l.in_batch = false;
	assert_false(freed);
	assert_int_equal(loop_run_once(&l, 1000), 1);
	assert_false(seen_freed_in_batch);
	assert_true(freed);
	close(fd);
	loop_fini(&l);
}

static void test_timerfd(void **state)
{
	int fd = timerfd_open();
	uint64_t t0 = time_mono_ns();

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(timerfd_take(fd), 0); /* not armed: nothing due */
	assert_int_equal(timerfd_arm_ms(fd, 50, 0), 0);
	assert_true(timerfd_left_ms(fd) <= 50);
	while (!timerfd_take(fd))
		usleep(1000);
	assert_true(time_mono_ns() - t0 >= 50 * NSEC_PER_MSEC);
	assert_int_equal(timerfd_left_ms(fd), 0);
	close(fd);
}

/* ---- awriter ---- */

static size_t drain_pipe(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	return got;
}

static void test_awriter_order(void **state)
{
	int p[2];
	struct awriter *w;
	char out[64];

	(void)state;
	assert_int_equal(pipe(p), 0);
	w = awriter_new(p[1], 1 << 20);
	assert_non_null(w);
	assert_int_equal(awriter_put(w, "one ", 4, true), 0);
	assert_int_equal(awriter_put(w, "two ", 4, false), 0);
	assert_int_equal(awriter_put(w, "three", 5, true), 0);
	assert_int_equal(awriter_flush(w), 0);
	assert_int_equal(awriter_free(w), 0);
	close(p[1]);
	assert_int_equal(drain_pipe(p[0], out, sizeof(out)), 13);
	assert_memory_equal(out, "one two three", 13);
	close(p[0]);
}

/* Reads everything after a while (kept in text when keep). */
struct slow_reader {
	int fd;
	size_t got;
	bool keep;
	char *text;
};

static void *read_later(void *arg)
{
	struct slow_reader *r = arg;
	char buf[65536];
	ssize_t n;

	usleep(200 * 1000);
	while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
		if (r->keep) {
			r->text = realloc(r->text, r->got + (size_t)n + 1);
			memcpy(r->text + r->got, buf, (size_t)n);
			r->text[r->got + (size_t)n] = '\0';
		}
		r->got += (size_t)n;
	}
	return NULL;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A reader that does not read: rows are dropped and counted, the caller never waits; a
 * unit that must not be lost is queued past the bound and arrives. */
static void test_awriter_slow_reader(void **state)
{
	struct slow_reader r = {0};
	char row[1000];
	pthread_t th;
	int p[2], dropped = 0;
	struct awriter *w;

	(void)state;
	memset(row, 'x', sizeof(row));
	assert_int_equal(pipe(p), 0);
	w = awriter_new(p[1], 16 * 1024);
	assert_non_null(w);
	for (int i = 0; i < 1000; i++) /* 1 MB into a 64 KiB pipe + 16 KiB queue */
		dropped += awriter_put(w, row, sizeof(row), true) == -ENOBUFS;
	assert_true(dropped > 0);
	assert_int_equal(awriter_dropped(w), (uint64_t)dropped);
	assert_int_equal(awriter_put(w, "END\n", 4, false), 0); /* past the bound */
	assert_int_equal(awriter_dropped(w), (uint64_t)dropped);
	r.fd = p[0];
	assert_int_equal(pthread_create(&th, NULL, read_later, &r), 0);
	assert_int_equal(awriter_free(w), 0);
	close(p[1]);
	pthread_join(th, NULL);
	assert_int_equal(r.got, (size_t)(1000 - dropped) * sizeof(row) + 4);
	close(p[0]);
}

static void test_awriter_error(void **state)
{
	struct awriter *w;
	int p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]); /* nobody will ever read */
	w = awriter_new(p[1], 1 << 20);
	assert_non_null(w);
	assert_int_equal(awriter_put(w, "lost", 4, false), 0);
	assert_int_equal(awriter_flush(w), -EPIPE);
	assert_int_equal(awriter_put(w, "more", 4, false), -EPIPE);
	assert_int_equal(awriter_free(w), -EPIPE);
	close(p[1]);
}

/* ---- sinks ---- */

struct rec_sink {
	struct xfr_sink sink;
	int *order;
	int id;
	int events[5];
	int flush_err;
	bool *freed;
};

static int next_order;

static void rec_event(struct xfr_sink *s, const struct xfr_event *ev)
{
	struct rec_sink *r = s->priv;

	r->events[ev->type]++;
	*r->order = next_order++ * 10 + r->id;
}

static int rec_flush(struct xfr_sink *s)
{
	return ((struct rec_sink *)s->priv)->flush_err;
}

static void rec_free(struct xfr_sink *s)
{
	struct rec_sink *r = s->priv;

	*r->freed = true;
	free(r);
}

static const struct xfr_sink_ops rec_ops = {
	.name = "rec", .event = rec_event, .flush = rec_flush, .free = rec_free};

static struct rec_sink *rec_new(int id, int *order, bool *freed, int flush_err)
{
	struct rec_sink *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->sink = (struct xfr_sink){.ops = &rec_ops, .priv = r};
	r->id = id;
	r->order = order;
	r->freed = freed;
	r->flush_err = flush_err;
	return r;
}

static void test_sinks(void **state)
{
	struct xfr_sinks l = {0};
	bool freed[XFR_MAX_SINKS + 1] = {0};
	int order[XFR_MAX_SINKS + 1] = {0};
	struct rec_sink *r[XFR_MAX_SINKS + 1];

	(void)state;
	for (int i = 0; i <= XFR_MAX_SINKS; i++)
		r[i] = rec_new(i, &order[i], &freed[i], i == 2 ? -EPIPE : i == 3 ? -ENOSPC : 0);
	for (int i = 0; i < XFR_MAX_SINKS; i++)
		assert_int_equal(sinks_add(&l, &r[i]->sink), 0);
	assert_int_equal(sinks_add(&l, &r[XFR_MAX_SINKS]->sink), -ENOSPC);
	assert_true(freed[XFR_MAX_SINKS]); /* the list owned it, also on error */
	next_order = 0;
	sinks_notice(&l, XFR_ROLE_CLIENT, NULL, XFR_NOTICE_LOSS, "loss burst: %d", 3);
	for (int i = 0; i < XFR_MAX_SINKS; i++) {
		assert_int_equal(r[i]->events[XFR_EV_NOTICE], 1);
		assert_int_equal(order[i], i * 10 + i); /* in the order added */
	}
	assert_int_equal(sinks_flush(&l), -EPIPE); /* the first error */
	sinks_free(&l);
	for (int i = 0; i < XFR_MAX_SINKS; i++)
		assert_true(freed[i]);
	assert_int_equal(l.n, 0);
	assert_string_equal(xfr_notice_name(XFR_NOTICE_RETRANSMITS), "retransmits");
}

/* The printer as a sink: json-stream lines in order, the end kept when rows are dropped. */
static void test_printer_sink(void **state)
{
	struct output_opts oo = {.rows = true};
	struct xfr_result r;
	struct xfr_flow f = {.stream = 0, .dir = XFR_FLOW_UP, .has_sent = true, .sent_bytes = 1000};
	struct xfr_interval iv = {.start_s = 0, .end_s = 1, .nflows = 1, .flows = &f};
	struct xfr_event ev = {.role = XFR_ROLE_CLIENT, .res = &r, .iv = &iv, .peer = ""};
	struct xfr_sinks l = {0};
	struct slow_reader rd = {0};
	const char *end;
	pthread_t th;
	int p[2];

	(void)state;
	assert_int_equal(result_init(&r, 1), 0);
	snprintf(r.id, sizeof(r.id), "t1");
	r.streams = 1;
	r.duration_s = 1;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_SETPIPE_SZ, 4096) > 0, true);
	assert_int_equal(sinks_add(&l, output_sink_new(XFR_FMT_JSON_STREAM, p[1], &oo)), 0);
	ev.type = XFR_EV_TEST_START;
	sinks_emit(&l, &ev);
	ev.type = XFR_EV_INTERVAL;
	for (int i = 0; i < 20000; i++) /* nobody reads yet: this must not block */
		sinks_emit(&l, &ev);
	iv.omitted = true; /* inside --omit: never printed */
	sinks_emit(&l, &ev);
	ev.type = XFR_EV_TEST_END;
	sinks_emit(&l, &ev);
	rd.fd = p[0];
	rd.keep = true;
	assert_int_equal(pthread_create(&th, NULL, read_later, &rd), 0);
	assert_int_equal(sinks_flush(&l), 0);
	sinks_free(&l);
	close(p[1]);
	pthread_join(th, NULL);
	assert_non_null(rd.text);
	/* start first, end last, each once; some rows, not all (the reader slept) */
	assert_true(!strncmp(rd.text, "{\"event\":\"start\"", 16));
	assert_int_equal(count(rd.text, "\"event\":\"start\""), 1);
	assert_int_equal(count(rd.text, "\"event\":\"end\""), 1);
	end = strstr(rd.text, "{\"event\":\"end\"");
	assert_non_null(end);
	assert_int_equal(strchr(end, '\n')[1], '\0'); /* the last line */
	assert_true(count(rd.text, "\"event\":\"interval\"") > 0);
	assert_true(count(rd.text, "\"event\":\"interval\"") < 20000);
	assert_int_equal(count(rd.text, "\n"), 2 + count(rd.text, "\"event\":\"interval\""));
	free(rd.text);
	result_free(&r);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deleted_item_gets_nothing),
		cmocka_unit_test(test_defer_after_batch),
		cmocka_unit_test(test_timerfd),
		cmocka_unit_test(test_awriter_order),
		cmocka_unit_test(test_awriter_slow_reader),
		cmocka_unit_test(test_awriter_error),
		cmocka_unit_test(test_sinks),
		cmocka_unit_test(test_printer_sink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
