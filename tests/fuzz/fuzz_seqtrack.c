// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the UDP sequence tracker (engine/sock/seqtrack.[ch]),
 * against a model of the rules in seqtrack.h written the plain way: a set of
 * the sequences received in the current run instead of the 4096-bit window.
 * Every count must match the model after every datagram; jitter must stay a
 * finite value between 0 and the largest transit difference seen.
 *
 * Input: entries of an op byte and an argument. op & 0xc0 == 0xc0: the next 8
 * bytes are the sequence (big-endian; wraps, resets and forged jumps); else
 * the next 2 bytes are a signed step from the highest sequence seen (gaps,
 * late fills, duplicates, reordering inside and beyond the window). The low
 * bits of op move the send and receive clocks.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/sock/seqtrack.h"
#include "fuzz/fuzz.h"
#include "wire.h"

#define MAX_PUSH 4096
#define SET_SIZE 8192 /* > MAX_PUSH: open addressing never fills */

struct model {
	bool started;
	uint64_t hi;	    /* highest sequence seen */
	uint64_t run_start; /* sequences below it (in this run) are owed nothing */
	uint64_t received, lost, out_of_order, duplicates, implausible;
	uint32_t gen;		 /* the set holds entries of this generation (= run) only */
	uint64_t set[SET_SIZE];	 /* sequences received in this run */
	uint32_t used[SET_SIZE]; /* generation of each slot */
};

static uint32_t slot(uint64_t seq)
{
	return (uint32_t)((seq * 0x9e3779b97f4a7c15ULL) >> 51) & (SET_SIZE - 1);
}

/* true if seq was newly added, false if it was already in the set */
static bool set_add(struct model *m, uint64_t seq)
{
	for (uint32_t i = slot(seq);; i = (i + 1) & (SET_SIZE - 1)) {
		if (m->used[i] != m->gen) {
			m->used[i] = m->gen;
			m->set[i] = seq;
			return true;
		}
		if (m->set[i] == seq)
			return false;
	}
}

static void new_run(struct model *m, uint64_t seq)
{
	m->gen++;
	m->run_start = m->hi = seq;
	set_add(m, seq);
}

/* seqtrack.h's rules, one by one. */
static void model_push(struct model *m, uint64_t seq)
{
	uint64_t back;

	if (!m->started) {
		m->started = true;
		if (seq > SEQTRACK_RESET) {
			new_run(m, seq);
		} else {
			new_run(m, seq);
			m->run_start = 0;
			m->lost += seq;
		}
		m->received++;
		return;
	}
	if (seq > m->hi) {
		if (seq - m->hi > SEQTRACK_JUMP_MAX) {
			m->implausible++;
			return;
		}
		m->lost += seq - m->hi - 1;
		m->hi = seq;
		set_add(m, seq);
		m->received++;
		return;
	}
	back = m->hi - seq;
	if (back == 0) {
		m->duplicates++;
	} else if (back > SEQTRACK_RESET) {
		new_run(m, seq);
		m->received++;
	} else if (back >= SEQTRACK_WINDOW) {
		m->out_of_order++;
		m->received++;
	} else if (seq < m->run_start || !set_add(m, seq)) {
		m->duplicates++;
	} else {
		if (m->lost)
			m->lost--;
		m->out_of_order++;
		m->received++;
	}
}

static void compare(const struct seqtrack *t, const struct model *m, double max_d)
{
	fuzz_assert(t->started == m->started, "started");
	fuzz_assert(t->next == m->hi + 1, "next is not one past the highest sequence");
	fuzz_assert(t->received == m->received, "received differs from the rules");
	fuzz_assert(t->lost == m->lost, "lost differs from the rules");
	fuzz_assert(t->out_of_order == m->out_of_order, "out_of_order differs from the rules");
	fuzz_assert(t->duplicates == m->duplicates, "duplicates differ from the rules");
	fuzz_assert(t->implausible == m->implausible, "implausible differs from the rules");
	fuzz_assert(isfinite(t->jitter_us) && t->jitter_us >= 0 && t->jitter_us <= max_d,
		    "jitter outside [0, largest transit difference]");
	fuzz_assert(t->jitter_max_us >= t->jitter_us && t->jitter_max_us <= max_d,
		    "jitter max below jitter or above the largest transit difference");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seqtrack t;
	static struct model m;
	uint64_t sent = 0, recv = 1000000, seq;
	double max_d = 0, transit, last = 0;
	bool have_last = false;
	uint32_t gen = m.gen;
	size_t off = 0;

	seqtrack_init(&t);
	memset(&m, 0, offsetof(struct model, gen));
	m.gen = gen + 1; /* forget the previous input's set without clearing it */
	for (int n = 0; n < MAX_PUSH && off < size; n++) {
		uint8_t op = data[off++];

		if ((op & 0xc0) == 0xc0) {
			if (size - off < 8)
				break;
			seq = wire_get_be64(data + off);
			off += 8;
		} else {
			if (size - off < 2)
				break;
			seq = (m.started ? m.hi : 0) +
			      (uint64_t)(int64_t)(int16_t)wire_get_be16(data + off);
			off += 2;
		}
		sent += op & 0x07;
		recv += (op >> 3) & 0x07;
		/* what jitter may reach: the largest |D| between consecutive accepted arrivals */
		uint64_t before = t.received;
		bool reset = t.started && seq < t.next - 1 && t.next - 1 - seq > SEQTRACK_RESET;

		seqtrack_push(&t, seq, sent, recv);
		model_push(&m, seq);
		if (t.received != before) {
			transit = (double)(int64_t)(recv - sent);
			if (have_last && !reset && fabs(transit - last) > max_d)
				max_d = fabs(transit - last);
			last = transit;
			have_last = true;
		}
		compare(&t, &m, max_d);
	}
	return 0;
}
