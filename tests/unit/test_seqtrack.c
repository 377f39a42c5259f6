// SPDX-License-Identifier: MIT
/* Unit tests: receiver sequence accounting and RFC 3550 jitter (seqtrack.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/sock/seqtrack.h"

static struct seqtrack t;

static int setup(void **state)
{
	(void)state;
	seqtrack_init(&t);
	return 0;
}

/* Constant transit time of 1000 us: jitter stays 0. */
static void push(uint64_t seq)
{
	seqtrack_push(&t, seq, seq * 10, seq * 10 + 1000);
}

static void push_range(uint64_t from, uint64_t to)
{
	for (uint64_t s = from; s < to; s++)
		push(s);
}

static void check(uint64_t received, uint64_t lost, uint64_t ooo, uint64_t dups)
{
	assert_int_equal(t.received, received);
	assert_int_equal(t.lost, lost);
	assert_int_equal(t.out_of_order, ooo);
	assert_int_equal(t.duplicates, dups);
}

static void test_in_order(void **state)
{
	(void)state;
	push_range(0, 10000);
	check(10000, 0, 0, 0);
	assert_int_equal(t.next, 10000);
	assert_true(t.jitter_us == 0.0);
	assert_true(t.jitter_max_us == 0.0);
}

static void test_first_packet_late(void **state)
{
	(void)state;
	push(5); /* 0..4 never arrived */
	check(1, 5, 0, 0);
	push(2); /* ...one of them late */
	check(2, 4, 1, 0);
}

static void test_single_gap(void **state)
{
	(void)state;
	push_range(0, 10);
	push_range(13, 20); /* 10, 11, 12 missing */
	check(17, 3, 0, 0);
	assert_int_equal(t.next, 20);
}

static void test_big_gap(void **state)
{
	(void)state;
	push_range(0, 100);
	push(100 + 3 * SEQTRACK_WINDOW); /* more than a window: bitmap cleared at once */
	check(101, 3 * SEQTRACK_WINDOW, 0, 0);
	/* A hole just behind the new highest is still a late fill... */
	push(100 + 3 * SEQTRACK_WINDOW - 1);
	check(102, 3 * SEQTRACK_WINDOW - 1, 1, 0);
	/* ...and one older than the window is only out of order. */
	push(100 + SEQTRACK_WINDOW);
	check(103, 3 * SEQTRACK_WINDOW - 1, 2, 0);
	/* No stale bit survived: every hole in the window is still fillable. */
	for (uint64_t s = 100 + 2 * SEQTRACK_WINDOW + 1; s < 100 + 3 * SEQTRACK_WINDOW - 1; s++)
		push(s);
	check(103 + SEQTRACK_WINDOW - 2, 2 * SEQTRACK_WINDOW + 1, 2 + SEQTRACK_WINDOW - 2, 0);
}

static void test_gap_across_word_edges(void **state)
{
	(void)state;
	push(0);
	push(200); /* clears bits 1..199 over several words */
	check(2, 199, 0, 0);
	push_range(1, 200);
	check(201, 0, 199, 0);
	push_range(1, 201); /* all of them again: duplicates */
	check(201, 0, 199, 200);
}

static void test_late_fill(void **state)
{
	(void)state;
	push_range(0, 5);
	push(8);
	check(6, 3, 0, 0);
	push(6);
	check(7, 2, 1, 0);
	push(5);
	push(7);
	check(9, 0, 3, 0);
	assert_int_equal(t.next, 9);
}

static void test_late_older_than_window(void **state)
{
	(void)state;
	push(0);
	push(SEQTRACK_WINDOW + 10); /* 1..WINDOW+9 lost */
	check(2, SEQTRACK_WINDOW + 9, 0, 0);
	push(5); /* behind by more than the window: cannot tell, not a fill */
	check(3, SEQTRACK_WINDOW + 9, 1, 0);
	push(11); /* the oldest sequence still inside the window: a fill */
	check(4, SEQTRACK_WINDOW + 8, 2, 0);
}

static void test_duplicates(void **state)
{
	(void)state;
	push_range(0, 10);
	push(9); /* the highest */
	check(10, 0, 0, 1);
	push(3); /* inside the window */
	check(10, 0, 0, 2);
	push(12);
	push(11);
	push(11); /* a late fill repeated is a duplicate the second time */
	check(12, 1, 1, 3);
	push(12);
	check(12, 1, 1, 4);
}

static void test_reset(void **state)
{
	(void)state;
	push_range(0, 10);
	push(13);
	push(3 * SEQTRACK_RESET); /* forward jumps are loss, however large */
	check(12, 3 * SEQTRACK_RESET - 11, 0, 0);
	push(100); /* far behind: the sender restarted */
	check(13, 3 * SEQTRACK_RESET - 11, 0, 0);
	assert_int_equal(t.next, 101);
	push_range(101, 110);
	check(22, 3 * SEQTRACK_RESET - 11, 0, 0);
	push(105);
	check(22, 3 * SEQTRACK_RESET - 11, 0, 1);
	/* Inside the reset distance but outside the window: only out of order. */
	push(110 + 2 * SEQTRACK_WINDOW);
	push(110);
	check(24, 3 * SEQTRACK_RESET - 11 + 2 * SEQTRACK_WINDOW, 1, 1);
}

static void test_reset_keeps_jitter_pairs_apart(void **state)
{
	(void)state;
	seqtrack_push(&t, 0, 0, 500);
	seqtrack_push(&t, 1, 10, 510);
	/* New run with a new clock origin: the transit jump is not jitter. */
	seqtrack_push(&t, 0 + 0, 0, 99000000);
	assert_int_equal(t.received, 2);
	assert_int_equal(t.duplicates, 1); /* seq 0 is only 1 behind: a duplicate */
	seqtrack_push(&t, 1, 10, 500);	   /* the same highest */
	assert_int_equal(t.duplicates, 2);
	seqtrack_init(&t);
	seqtrack_push(&t, 2 * SEQTRACK_RESET, 0, 500);
	seqtrack_push(&t, 5, 0, 99000000); /* restarted sequence and clock */
	seqtrack_push(&t, 6, 10, 99000010);
	assert_int_equal(t.received, 3);
	assert_int_equal(t.lost, 0);
	assert_true(t.jitter_us == 0.0);
}

static void test_seq_max_and_wrap(void **state)
{
	(void)state;
	const uint64_t top = UINT64_MAX;

	push(top - 20); /* first packet far out: a run start, nothing lost */
	check(1, 0, 0, 0);
	push_range(top - 19, top - 2);
	push(top); /* top - 2 and top - 1 missing */
	check(19, 2, 0, 0);
	assert_int_equal(t.next, 0); /* one past 2^64 - 1 */
	assert_true(t.started);
	push(top);
	check(19, 2, 0, 1);
	push(top - 1);
	check(20, 1, 1, 1);
	push(top - 1);
	check(20, 1, 1, 2);
	push(0); /* the sender wrapped: a new run, nothing lost */
	check(21, 1, 1, 2);
	assert_int_equal(t.next, 1);
	push(1);
	push(3);
	check(23, 2, 1, 2);
}

/* RFC 3550: J += (|D| - J) / 16 with D the change in transit time. */
static void test_jitter_alternating(void **state)
{
	(void)state;
	seqtrack_push(&t, 0, 0, 100); /* transit 100: no pair yet */
	assert_true(t.jitter_us == 0.0);
	seqtrack_push(&t, 1, 1000, 1200); /* transit 200, |D| = 100 */
	assert_true(t.jitter_us == 6.25);
	seqtrack_push(&t, 2, 2000, 2100); /* 100 */
	assert_true(t.jitter_us == 12.109375);
	seqtrack_push(&t, 3, 3000, 3200); /* 200 */
	assert_true(t.jitter_us == 17.6025390625);
	assert_true(t.jitter_max_us == 17.6025390625);
}

static void test_jitter_out_of_order_pairs(void **state)
{
	(void)state;
	seqtrack_push(&t, 0, 0, 100);
	seqtrack_push(&t, 2, 2000, 2100);
	seqtrack_push(&t, 1, 1000, 2132); /* late: transit 1132, |D| = 1032 */
	assert_true(t.jitter_us == 64.5);
	seqtrack_push(&t, 1, 1000, 2140); /* duplicate: no effect */
	assert_true(t.jitter_us == 64.5);
}

static void test_jitter_max(void **state)
{
	(void)state;
	seqtrack_push(&t, 0, 0, 0);
	seqtrack_push(&t, 1, 0, 1600); /* |D| = 1600: J = 100 */
	assert_true(t.jitter_us == 100.0);
	seqtrack_push(&t, 2, 0, 1600); /* |D| = 0: J = 93.75 */
	assert_true(t.jitter_us == 93.75);
	assert_true(t.jitter_max_us == 100.0);
	for (uint64_t s = 3; s < 200; s++)
		seqtrack_push(&t, s, 0, 1600);
	assert_true(t.jitter_us < 0.01);
	assert_true(t.jitter_max_us == 100.0);
}

static void test_jitter_negative_transit(void **state)
{
	(void)state;
	/* The receiver's clock is behind the sender's: transit < 0 is fine. */
	seqtrack_push(&t, 0, 5000, 1000);
	seqtrack_push(&t, 1, 6000, 2160); /* transit -4000 -> -3840: |D| = 160 */
	assert_true(t.jitter_us == 10.0);
}

static void test_tail_loss(void **state)
{
	(void)state;
	push_range(0, 90);
	push(95); /* 90..94 lost; the sender sent 100: 96..99 are the tail */
	check(91, 5, 0, 0);
	assert_int_equal(seqtrack_tail_loss(&t, 100), 4);
	assert_int_equal(seqtrack_tail_loss(&t, 96), 0);
	assert_int_equal(seqtrack_tail_loss(&t, 50), 0); /* the sender knows less: no tail */
	assert_int_equal(seqtrack_tail_loss(&t, 0), 0);
	seqtrack_init(&t);
	assert_int_equal(seqtrack_tail_loss(&t, 7), 7); /* nothing arrived */
}

/* A forged sequence far ahead is not 2^64 lost datagrams: it is ignored. */
static void test_implausible_jump(void **state)
{
	(void)state;
	push(0);
	push(1);
	push(UINT64_MAX);
	push(2);
	check(3, 0, 0, 0);
	assert_int_equal(t.implausible, 1);
	assert_int_equal(t.next, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_in_order, setup),
		cmocka_unit_test_setup(test_first_packet_late, setup),
		cmocka_unit_test_setup(test_single_gap, setup),
		cmocka_unit_test_setup(test_big_gap, setup),
		cmocka_unit_test_setup(test_gap_across_word_edges, setup),
		cmocka_unit_test_setup(test_late_fill, setup),
		cmocka_unit_test_setup(test_late_older_than_window, setup),
		cmocka_unit_test_setup(test_duplicates, setup),
		cmocka_unit_test_setup(test_reset, setup),
		cmocka_unit_test_setup(test_reset_keeps_jitter_pairs_apart, setup),
		cmocka_unit_test_setup(test_seq_max_and_wrap, setup),
		cmocka_unit_test_setup(test_jitter_alternating, setup),
		cmocka_unit_test_setup(test_jitter_out_of_order_pairs, setup),
		cmocka_unit_test_setup(test_jitter_max, setup),
		cmocka_unit_test_setup(test_jitter_negative_transit, setup),
		cmocka_unit_test_setup(test_tail_loss, setup),
		cmocka_unit_test_setup(test_implausible_jump, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
