// SPDX-License-Identifier: MIT
/*
 * Pairing (client): each interval is emitted once our sample and the peer's
 * interval message for the same period are both in, or when the peer is a
 * whole interval late (then with our side only, and the receiver's side of
 * a UDP upload taken from its XFRF feedback).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/run_priv.h"
#include "model/stats.h"

int run_pair_init(struct run *r)
{
	r->slots = calloc(RUN_SLOTS, sizeof(*r->slots));
	r->next_emit = 1;
	return r->slots ? 0 : -ENOMEM;
}

/* The peer's interval is late: show the receiver's side from its feedback. */
static void apply_feedback(struct run_slot *s)
{
	for (uint32_t i = 0; i < s->iv.nflows; i++) {
		struct xfr_flow *f = &s->iv.flows[i];

		if (f->dir != XFR_FLOW_UP || f->has_udp_rx || f->stream >= XFR_MAX_STREAMS)
			continue;
		f->has_udp_rx = true;
		f->udp.packets_received = s->fb_received[f->stream];
		f->udp.lost = s->fb_lost[f->stream];
	}
}

/* The highest interval number waiting, 0 when none. */
static uint32_t highest_waiting(const struct run *r)
{
	uint32_t high = 0;

	for (int i = 0; i < RUN_SLOTS; i++)
		if (r->slots[i].k > high)
			high = r->slots[i].k;
	return high;
}

/*
 * Rows tile the test: each starts where the one before ended, and once the
 * run is finished the last one ends at the test's length (run_set_end).
 */
static void place(struct run *r, struct run_slot *s)
{
	s->iv.start_s = r->row_end_s;
	if (r->finished && r->end_s >= 0 && s->k == highest_waiting(r))
		s->iv.end_s = r->end_s;
	if (s->iv.end_s < s->iv.start_s)
		s->iv.end_s = s->iv.start_s;
	r->row_end_s = s->iv.end_s;
}

static void emit(struct run *r, struct run_slot *s)
{
	if (!s->has_peer && s->has_fb)
		apply_feedback(s);
	place(r, s);
	run_emit_interval(r, &s->iv, s->k);
	if (s->k >= r->next_emit)
		r->next_emit = s->k + 1;
	s->k = 0;
}

static struct run_slot *slot_for(struct run *r, uint32_t k)
{
	struct run_slot *s = &r->slots[k % RUN_SLOTS];

	if (s->k == k)
		return s;
	if (s->k)
		emit(r, s); /* an older interval still waiting: emit it as it is */
	memset(s, 0, sizeof(*s));
	s->iv.flows = s->flows;
	s->k = k;
	return s;
}

/* The lowest interval number waiting, 0 when none. */
static uint32_t lowest_waiting(const struct run *r)
{
	uint32_t low = 0;

	for (int i = 0; i < RUN_SLOTS; i++)
		if (r->slots[i].k && (!low || r->slots[i].k < low))
			low = r->slots[i].k;
	return low;
}

void run_pair_emit(struct run *r, bool flush)
{
	struct run_slot *s, *next;

	for (;;) {
		s = &r->slots[r->next_emit % RUN_SLOTS];
		if (s->k != r->next_emit) {
			uint32_t low = flush ? lowest_waiting(r) : 0;

			if (!low)
				return;
			r->next_emit = low; /* nothing for this number: skip to the lowest */
			continue;
		}
		next = &r->slots[(r->next_emit + 1) % RUN_SLOTS];
		if (flush || (s->has_local && s->has_peer) ||
		    (s->has_local && next->k == r->next_emit + 1 && next->has_local))
			emit(r, s);
		else
			return;
	}
}

/* Feedback counters of our UDP senders over the interval (prev -> cur). */
static void feedback_delta(const struct run *r, struct run_slot *s)
{
	const struct engine_flow_sample *a, *b;

	for (uint32_t i = 0; i < r->cur->nflows && i < r->prev->nflows; i++) {
		a = &r->prev->flows[i];
		b = &r->cur->flows[i];
		if (!b->is_udp || !b->sending || !b->udp.has_feedback ||
		    b->stream >= XFR_MAX_STREAMS)
			continue;
		s->has_fb = true;
		s->fb_received[b->stream] = b->udp.fb_received - a->udp.fb_received;
		s->fb_lost[b->stream] =
			b->udp.fb_lost > a->udp.fb_lost ? b->udp.fb_lost - a->udp.fb_lost : 0;
	}
}

void run_pair_local(struct run *r, uint32_t k, double start_s, double end_s)
{
	struct run_slot *s = slot_for(r, k);

	stats_side_delta(r->prev, r->cur, s->iv.flows, &s->iv.nflows);
	feedback_delta(r, s);
	s->iv.start_s = start_s;
	if (!s->has_peer) /* the peer's end, when it came first, is the one to keep */
		s->iv.end_s = end_s;
	s->has_local = true;
}

/*
 * A peer interval that ends where the previous one did covers no time: the
 * reference's interval timer ticks at once, so its first interval has
 * elapsed_ms 0 (serve.rs). It is no row; what it counted (nothing, as the
 * streams start after test_ack) goes into the next one.
 */
static bool covers_no_time(const struct run *r, uint64_t elapsed_ms)
{
	return elapsed_ms < r->last_peer_ms + r->cfg.interval_ms / 10;
}

/* to += from, the counts an interval adds: bytes, UDP datagrams, TCP retransmits. */
static void counts_add(struct xfr_flow *to, uint32_t *n, const struct xfr_flow *from,
		       uint32_t nfrom)
{
	for (uint32_t i = 0; i < nfrom; i++) {
		struct xfr_flow *t = stats_flow(to, n, from[i].stream, from[i].dir);

		if (!t)
			continue;
		t->sent_bytes += from[i].sent_bytes;
		t->recv_bytes += from[i].recv_bytes;
		t->udp.packets_sent += from[i].udp.packets_sent;
		t->udp.packets_received += from[i].udp.packets_received;
		t->udp.lost += from[i].udp.lost;
		t->tcp.retransmits += from[i].tcp.retransmits;
	}
}

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* flows -= sum: totals less what earlier intervals counted. */
static void counts_sub(struct xfr_flow *flows, uint32_t n, const struct xfr_flow *sum,
		       uint32_t nsum)
{
	for (uint32_t i = 0; i < n; i++) {
		struct xfr_flow *f = &flows[i];

		for (uint32_t j = 0; j < nsum; j++) {
			if (sum[j].stream != f->stream || sum[j].dir != f->dir)
				continue;
			f->sent_bytes = less(f->sent_bytes, sum[j].sent_bytes);
			f->recv_bytes = less(f->recv_bytes, sum[j].recv_bytes);
			f->udp.packets_sent = less(f->udp.packets_sent, sum[j].udp.packets_sent);
			f->udp.packets_received =
				less(f->udp.packets_received, sum[j].udp.packets_received);
			f->udp.lost = less(f->udp.lost, sum[j].udp.lost);
			f->tcp.retransmits = less(f->tcp.retransmits, sum[j].tcp.retransmits);
		}
	}
}

/* The peer's interval, counted into the running sum run_peer_last subtracts. */
static void psum_add(struct run *r, const struct run_slot *s)
{
	if (!r->psum)
		r->psum = calloc(XFR_MAX_FLOWS, sizeof(*r->psum));
	if (r->psum)
		counts_add(r->psum, &r->npsum, s->iv.flows, s->iv.nflows);
}

void run_peer_last(struct run *r, uint64_t elapsed_ms, run_fill_fn fill, void *arg)
{
	struct run_slot *s;

	if (!r->slots || r->finished || r->peer_k != r->ticks)
		return;
	s = slot_for(r, ++r->peer_k);
	fill(arg, s->iv.flows, &s->iv.nflows);
	if (r->psum)
		counts_sub(s->iv.flows, s->iv.nflows, r->psum, r->npsum);
	r->ncarry = 0; /* a carried zero-length interval is in the result, so in this row */
	s->iv.end_s = (double)elapsed_ms / 1000.0;
	if (elapsed_ms > r->last_peer_ms)
		r->last_peer_ms = elapsed_ms;
	s->has_peer = true;
}

static void carry_keep(struct run *r, uint64_t elapsed_ms, run_fill_fn fill, void *arg)
{
	if (!r->carry)
		r->carry = calloc(XFR_MAX_FLOWS, sizeof(*r->carry));
	if (r->carry)
		fill(arg, r->carry, &r->ncarry);
	r->carry_ms = elapsed_ms;
}

/* The peer's side of a flow (the blocks this side did not fill) into t. */
static void peer_blocks(struct xfr_flow *t, const struct xfr_flow *c)
{
	if (c->has_sent && !t->has_sent) {
		t->has_sent = true;
		t->sent_bytes = c->sent_bytes;
	}
	if (c->has_recv && !t->has_recv) {
		t->has_recv = true;
		t->recv_bytes = c->recv_bytes;
	}
	if (c->has_tcp && !t->has_tcp) {
		t->has_tcp = true;
		t->tcp = c->tcp;
	}
	if (c->has_udp_rx && !t->has_udp_rx) {
		t->has_udp_rx = true;
		t->udp.packets_received = c->udp.packets_received;
		t->udp.lost = c->udp.lost;
		t->udp.out_of_order = c->udp.out_of_order;
		t->udp.duplicates = c->udp.duplicates;
		t->udp.rcvbuf_drops = c->udp.rcvbuf_drops;
		t->udp.jitter_ms = c->udp.jitter_ms;
		t->udp.jitter_max_ms = c->udp.jitter_max_ms;
	}
	if (c->has_udp_tx && !t->has_udp_tx) {
		t->has_udp_tx = true;
		t->udp.packets_sent = c->udp.packets_sent;
		t->udp.send_errors = c->udp.send_errors;
	}
	if (c->has_xdp && !t->has_xdp) {
		t->has_xdp = true;
		t->xdp_sink = c->xdp_sink;
		t->xdp_packets = c->xdp_packets;
		t->xdp_bytes = c->xdp_bytes;
	}
	if (c->has_drops_tx && !t->has_drops_tx) {
		t->has_drops_tx = true;
		t->drops_tx = c->drops_tx;
	}
	if (c->has_drops_rx && !t->has_drops_rx) {
		t->has_drops_rx = true;
		t->drops_rx = c->drops_rx;
	}
	if (c->has_bpf_tcp && !t->has_bpf_tcp) {
		t->has_bpf_tcp = true;
		t->bpf_tcp = c->bpf_tcp;
	}
}

/*
 * A test shorter than a tenth of an interval (-n 2M in 5 ms) sends one
 * interval that looks like the reference's zero-length first one; when no
 * later interval took its counts, it is the test's only row.
 */
void run_pair_flush_carry(struct run *r)
{
	struct run_slot *s;

	if (!r->slots || !r->ncarry || r->peer_k + 1 < r->next_emit)
		return;
	s = slot_for(r, ++r->peer_k);
	for (uint32_t i = 0; i < r->ncarry; i++) {
		const struct xfr_flow *c = &r->carry[i];
		struct xfr_flow *t = stats_flow(s->iv.flows, &s->iv.nflows, c->stream, c->dir);

		if (t)
			peer_blocks(t, c);
	}
	r->ncarry = 0;
	s->iv.end_s = (double)r->carry_ms / 1000.0;
	if (r->carry_ms > r->last_peer_ms)
		r->last_peer_ms = r->carry_ms;
	s->has_peer = true;
}

/*
 * The peer's intervals come in order, one per sample it took (its last,
 * partial one included), so the n-th message that covers time is interval
 * n; its elapsed_ms (the peer's test time, the one the summary's duration
 * is in) ends the row.
 */
void run_peer_interval(struct run *r, uint64_t elapsed_ms, run_fill_fn fill, void *arg)
{
	uint32_t k;
	struct run_slot *s;

	if (!r->slots || r->finished)
		return;
	if (covers_no_time(r, elapsed_ms)) {
		carry_keep(r, elapsed_ms, fill, arg);
		return;
	}
	k = ++r->peer_k;
	if (k < r->next_emit)
		return; /* that interval is out already */
	if (k > r->ticks + RUN_PEER_AHEAD) {
		/* ahead of our own clock: a peer that sends faster than time passes */
		if (!r->peer_ahead++)
			run_notice(r, XFR_NOTICE_PEER,
				   "the peer's intervals run ahead of this side's clock: ignored");
		return;
	}
	s = slot_for(r, k);
	fill(arg, s->iv.flows, &s->iv.nflows);
	if (r->ncarry) { /* a zero-length interval before this one: its counts are this row's */
		counts_add(s->iv.flows, &s->iv.nflows, r->carry, r->ncarry);
		r->ncarry = 0;
	}
	psum_add(r, s);
	s->iv.end_s = (double)elapsed_ms / 1000.0;
	if (elapsed_ms > r->last_peer_ms)
		r->last_peer_ms = elapsed_ms;
	s->has_peer = true;
	run_pair_emit(r, false);
}
