// SPDX-License-Identifier: MIT
/*
 * The XDP engine's sending threads (engine_xdp_priv.h): per-flow budgets and
 * pacing, live-frames runs and AF_XDP sends, how many generator threads a
 * path takes, and their start, pause and kick.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "engine/xdp/engine_xdp_priv.h"
#include "base/log.h"
#include "base/netinfo.h"
#include "timeutil.h"

/* Frames a paced flow may send now (0: wait *wait_ns). */
static uint32_t flow_allow(struct xflow *f, uint32_t max, uint64_t now, uint64_t *wait_ns)
{
	uint32_t len = f->xe->p.length;
	uint64_t credit, n;

	if (!f->paced)
		return max;
	/*
	 * Catch up in small steps where runs are cheap: a late wake-up then does
	 * not turn into one burst. Long (costly) runs must carry what accrued.
	 */
	if ((f->cheap || !f->xe->gen) && max > 2 * f->min_batch)
		max = 2 * f->min_batch;
	credit = pacing_credit(&f->pace, now);
	if (!credit) {
		*wait_ns = pacing_delay_ns(&f->pace, len, now);
		return 0;
	}
	n = credit / len;
	if (n < f->min_batch) {
		*wait_ns = pacing_delay_ns(&f->pace, (uint64_t)f->min_batch * len, now);
		return 0;
	}
	return n < max ? (uint32_t)n : max;
}

/*
 * Each generator call has a fixed cost (a BPF_PROG_RUN sets up its page pool,
 * an AF_XDP kick is a syscall): a paced flow sends at least what 1 ms of its
 * rate is worth per call (up to 64 frames), so slow clocks and call costs do
 * not cap the rate.
 */
static uint32_t min_batch(uint64_t rate_bps, uint32_t len)
{
	uint64_t n = rate_bps / 8 / 1000 / len;

	return n < 1 ? 1 : n > 64 ? 64 : (uint32_t)n;
}

/*
 * Claim n frames of the -n budget: how many may go (the last one may be short
 * of bytes); *claimed = the bytes taken, to give back what is not sent.
 */
static uint32_t flow_budget(struct xflow *f, uint32_t n, uint64_t *claimed)
{
	uint64_t len = f->xe->p.length;

	*claimed = eng_budget_claim(&f->xe->budget, n * len);
	return (uint32_t)((*claimed + len - 1) / len);
}

/* A full TX ring or an interrupted run sent fewer frames than claimed: return the rest. */
static void flow_unclaim(struct xflow *f, uint64_t claimed, int got)
{
	uint64_t used = (uint64_t)(got > 0 ? got : 0) * f->xe->p.length;

	if (claimed > used)
		eng_budget_unclaim(&f->xe->budget, claimed - used);
}

/*
 * Live frames. A run returns how many frames it ran; one interrupted by our
 * signal (pause, stop) does not, and then the program's own count of stamped
 * frames (a map read, only then) says how far it got.
 */
static int live_send(struct xeng *xe, struct xflow *f, uint32_t n)
{
	int got = 0, err;

	/* Without the attachment single-frame runs are the cheap ones. */
	if (!f->cheap && n <= 16) {
		for (uint32_t i = 0; i < n; i++, got++) {
			err = xdp_gen_run(xe->gen, f->gen_slot, f->ifindex, 1, 1);
			if (err < 0)
				return got ? got : err;
		}
		return got;
	}
	err = xdp_gen_run(xe->gen, f->gen_slot, f->ifindex, n, n < 64 ? n : 64);
	if (err == -EINTR)
		return (int)(xdp_gen_sent(xe->gen, f->gen_slot) - ENG_LOAD(f->packets));
	return err;
}

static int flow_send(struct xthread *t, struct xflow *f, uint32_t n)
{
	struct xeng *xe = t->xe;
	int got;

	if (t->tx) {
		uint64_t ts = (time_mono_ns() - xe->start_ns) / 1000;

		got = afxdp_tx_send(t->tx, f->tmpl, &f->seq, ts, n);
		if (got >= 0 && (uint32_t)got < n)
			ENG_ADD(f->ring_full, 1);
	} else {
		got = live_send(xe, f, n);
	}
	if (got > 0) {
		ENG_ADD(f->packets, (uint64_t)got);
		ENG_ADD(f->calls, 1);
		if (f->paced)
			pacing_sent(&f->pace, (uint64_t)got * xe->p.length);
	}
	return got;
}

/* One round over the thread's flows; returns how long to sleep (0 = go on). */
static uint32_t flow_chunk(const struct xthread *t, const struct xflow *f)
{
	if (t->tx)
		return AFXDP_CHUNK;
	return f->cheap ? LIVE_CHUNK_CHEAP : LIVE_CHUNK_LONG;
}

static uint64_t thread_round(struct xthread *t, uint32_t *active)
{
	uint64_t claimed;
	uint64_t now = time_mono_ns(), wait = 1000000, w;
	bool sent = false;
	uint32_t n;
	int got;

	*active = 0;
	for (uint32_t i = 0; i < t->nflows; i++) {
		struct xflow *f = t->flows[i];

		if (ENG_LOAD(f->done))
			continue;
		(*active)++;
		w = wait;
		n = flow_allow(f, flow_chunk(t, f), now, &w);
		if (!n) {
			wait = w < wait ? w : wait;
			continue;
		}
		n = flow_budget(f, n, &claimed);
		if (!n) {
			ENG_STORE(f->done, true);
			(*active)--;
			continue;
		}
		got = flow_send(t, f, n);
		flow_unclaim(f, claimed, got);
		if (got < 0) {
			pr_err("xdp: stream %u: sending failed: %s", f->stream, strerror(-got));
			ENG_STORE(f->err, -got);
			ENG_STORE(f->done, true);
			(*active)--;
			continue;
		}
		sent = true;
	}
	return sent ? 0 : wait;
}

/* Paused: sleep on the gate until resume or stop. Resumed: no catch-up. */
static void thread_pause(struct xthread *t, uint64_t *gen)
{
	struct eng_gate *g = &t->xe->gate;
	uint64_t now;

	if (eng_gate_paused(g))
		eng_gate_wait(g, 0);
	if (!eng_gate_resumed(g, gen))
		return;
	now = time_mono_ns();
	for (uint32_t i = 0; i < t->nflows; i++)
		if (t->flows[i]->paced)
			pacing_reset(&t->flows[i]->pace, now);
}

static void thread_done(struct xthread *t)
{
	if (t->tx)
		afxdp_tx_flush(t->tx, 200);
	for (uint32_t i = 0; i < t->nflows; i++)
		ENG_STORE(t->flows[i]->done, true);
	eng_done_exit(&t->xe->done);
}

static void *thread_main(void *arg)
{
	struct xthread *t = arg;
	struct eng_gate *g = &t->xe->gate;
	uint64_t gen = 0, wait;
	uint32_t active = t->nflows;

	while (active && !eng_gate_tx_stopped(g)) {
		if (eng_gate_paused(g) || eng_gate_gen(g) != gen) {
			thread_pause(t, &gen);
			continue;
		}
		wait = thread_round(t, &active);
		if (wait)
			time_sleep_ns(wait > NSEC_PER_MSEC ? NSEC_PER_MSEC : wait);
	}
	thread_done(t);
	return NULL;
}

/* Sender threads: live frames one per flow; AF_XDP one per TX queue. */
/*
 * Live frames: one generator per transmit queue of the egress device, at
 * most one per online CPU. A veth hands a frame to the peer's receive queue
 * chosen by the sending CPU, so generators beyond its queues only contend
 * for one ring and lose frames there (2 generators on a one-queue veth
 * counted fewer than one); the flows then share the generators round-robin.
 */
static uint32_t live_generators(const struct xeng *xe, const struct netinfo_iface *ifi)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t n = xe->nsend, q = ifi->tx_queues ? ifi->tx_queues : 1;

	if (n > q)
		n = q;
	if (cpus > 0 && n > (uint32_t)cpus)
		n = (uint32_t)cpus;
	if (n < xe->nsend)
		pr_debug("xdp: %u sending flows on %u live-frame generator(s): %s has %u queue(s)",
			 xe->nsend, n, ifi->name, q);
	return n ? n : 1;
}

static int threads_plan(struct xeng *xe)
{
	struct netinfo_iface ifi;
	uint32_t nq = xe->nsend, k = 0;
	struct xflow *first = NULL;
	int err;

	if (!xe->nsend)
		return 0;
	for (uint32_t i = 0; i < xe->nflows && !first; i++)
		if (xe->flows[i].sending)
			first = &xe->flows[i];
	if (xe->p.engine == XFR_ENG_XDP && !netinfo_iface_get(NULL, first->ifindex, &ifi))
		nq = live_generators(xe, &ifi);
	if (xe->p.engine == XFR_ENG_AFXDP) {
		err = netinfo_iface_get(NULL, first->ifindex, &ifi);
		if (err)
			return err;
		if (xe->p.queues)
			nq = xe->p.queues;
		if (nq > ifi.tx_queues)
			nq = ifi.tx_queues ? ifi.tx_queues : 1;
		if (nq > MAX_TX_QUEUE)
			nq = MAX_TX_QUEUE;
		if (xe->p.queues > nq)
			pr_warn("xdp: %s has %u TX queue(s): using %u AF_XDP socket(s)", ifi.name,
				ifi.tx_queues, nq);
	}
	xe->nthreads = nq;
	for (uint32_t i = 0; i < xe->nflows; i++) {
		struct xflow *f = &xe->flows[i];
		struct xthread *t;

		if (!f->sending)
			continue;
		t = &xe->threads[k++ % nq];
		t->flows[t->nflows++] = f;
	}
	return 0;
}

/*
 * Keep the generator in the kernel's XDP dispatcher, so that a run costs no
 * re-registration: where our counter holds the egress interface (this test
 * or another receives there), run it as the counter's tail call; otherwise
 * attach it there (it passes every received packet). When another program
 * holds the interface runs stay long (see LIVE_CHUNK_*).
 */
const struct gen_route *xtx_gen_attach(struct xeng *xe, int ifindex)
{
	struct gen_route *r;

	for (uint32_t i = 0; i < xe->nroutes; i++)
		if (xe->routes[i].ifindex == ifindex)
			return &xe->routes[i];
	r = &xe->routes[xe->nroutes++];
	*r = (struct gen_route){.ifindex = ifindex, .tail = -1, .link_fd = -1};
	if (!xdp_rx_find(ifindex, &r->rx)) {
		r->tail = xdp_rx_gen_hook(r->rx, xdp_gen_prog_fd(xe->gen));
		if (r->tail >= 0)
			return r;
		pr_debug("xdp: live frames without our counter's dispatch: %s", strerror(-r->tail));
		xdp_rx_put(r->rx);
		r->rx = NULL;
		return r;
	}
	r->link_fd = xdp_gen_attach(xe->gen, ifindex);
	if (r->link_fd < 0)
		pr_debug("xdp: live frames without the egress attachment: %s",
			 strerror(-r->link_fd));
	return r;
}

/* Interrupt long live-frames runs (pause, stop): a handler that does nothing, no restart. */
static void on_kick(int sig)
{
	(void)sig;
}

void xtx_kick(struct xeng *xe)
{
	for (uint32_t i = 0; i < xe->nthreads; i++) {
		struct xthread *t = &xe->threads[i];
		bool long_runs = false;

		for (uint32_t j = 0; j < t->nflows; j++)
			long_runs |= !t->flows[j]->cheap;
		if (t->started && !t->tx && long_runs)
			pthread_kill(t->th, SIGUSR1);
	}
}

int xtx_prepare(struct xeng *xe, char *why, size_t whylen)
{
	uint64_t rate = pacing_flow_rate(xe->p.bitrate, xe->nsend), now = time_mono_ns();
	int err;

	for (uint32_t i = 0; i < xe->nflows; i++) {
		struct xflow *f = &xe->flows[i];
		uint64_t burst;

		if (!f->sending)
			continue;
		if (rate) {
			f->paced = true;
			f->min_batch = min_batch(rate, xe->p.length);
			burst = pacing_burst(rate, xe->p.length * f->min_batch);
			if (xe->gen && !f->cheap && burst < rate / 8 * LIVE_SLOW_CREDIT / 1000)
				burst = rate / 8 * LIVE_SLOW_CREDIT / 1000;
			pacing_init(&f->pace, rate, burst, now);
			/* its first batch at once, not a full bucket into a cold receiver */
			pacing_start_small(&f->pace, xe->p.length * f->min_batch, now);
		}
	}
	err = threads_plan(xe);
	for (uint32_t i = 0; !err && xe->p.engine == XFR_ENG_AFXDP && i < xe->nthreads; i++) {
		struct xthread *t = &xe->threads[i];

		t->queue = i;
		t->tx = afxdp_tx_open(t->flows[0]->ifindex, i, t->flows[0]->tmpl->len, why, whylen);
		if (!t->tx)
			err = -errno;
	}
	return err;
}

/* Pinned from here, so that --affinity holds when start() returns. */
int xtx_spawn(struct xeng *xe)
{
	int err;

	if (xe->gen) {
		struct sigaction sa = {.sa_handler = on_kick};

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	eng_done_init(&xe->done, xe->p.done_fd, xe->nthreads);
	for (uint32_t i = 0; i < xe->nthreads; i++) {
		struct xthread *t = &xe->threads[i];

		t->xe = xe;
		err = pthread_create(&t->th, NULL, thread_main, t);
		if (err) {
			eng_done_cancel(&xe->done, xe->nthreads - i);
			eng_gate_stop(&xe->gate, true);
			return -err;
		}
		t->started = true;
		eng_pin_flow(t->th, &xe->p, i, &xe->warned_affinity);
	}
	return 0;
}
