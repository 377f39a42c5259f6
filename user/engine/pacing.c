// SPDX-License-Identifier: MIT
/* Token-bucket pacing arithmetic (see pacing.h). */
#include "engine/pacing.h"

#include "timeutil.h"

/*
 * The virtual clock runs PACING_EPOCH_NS ahead of CLOCK_MONOTONIC. A full
 * bucket is t_ns = now - cost(burst); right after boot "now" may be smaller
 * than that cost (a 64 KiB datagram at 62 bit/s costs 2.3 hours), and an
 * unsigned t_ns cannot go below 0: the first send then waited for hours.
 * 2^62 ns (146 years) is more than any burst costs at 1 bit/s.
 */
#define PACING_EPOCH_NS (1ULL << 62)

static uint64_t vclock(uint64_t now_ns)
{
	return now_ns + PACING_EPOCH_NS;
}

void pacing_init(struct pacing *p, uint64_t rate_bps, uint64_t burst, uint64_t now_ns)
{
	p->rate_bps = rate_bps ? rate_bps : 1;
	p->burst = burst;
	p->start = burst;
	pacing_reset(p, now_ns);
}

uint64_t pacing_start_credit(uint64_t rate_bps, uint64_t burst, uint64_t unit)
{
	uint64_t ms = rate_bps / 8 / 1000, c = ms > unit ? ms : unit;

	return c < burst ? c : burst;
}

void pacing_start_small(struct pacing *p, uint64_t unit, uint64_t now_ns)
{
	p->start = pacing_start_credit(p->rate_bps, p->burst, unit);
	pacing_reset(p, now_ns);
}

uint64_t pacing_cost_ns(const struct pacing *p, uint64_t n)
{
	/* 128-bit: 16 MiB at 1 bit/s is 1.3e17 ns, and n may be larger than a write. */
	unsigned __int128 ns = (unsigned __int128)n * 8 * NSEC_PER_SEC;

	ns = (ns + p->rate_bps - 1) / p->rate_bps;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* Never hold more than one burst of credit: that is the no-catch-up rule. */
static void pacing_cap(struct pacing *p, uint64_t now_ns)
{
	uint64_t full = pacing_cost_ns(p, p->burst), v = vclock(now_ns);
	uint64_t floor_ns = v > full ? v - full : 0;

	if (p->t_ns < floor_ns)
		p->t_ns = floor_ns;
}

uint64_t pacing_delay_ns(struct pacing *p, uint64_t n, uint64_t now_ns)
{
	uint64_t ready;

	pacing_cap(p, now_ns);
	ready = p->t_ns + pacing_cost_ns(p, n);
	if (ready < p->t_ns) /* overflow: effectively never */
		return UINT64_MAX;
	return ready > vclock(now_ns) ? ready - vclock(now_ns) : 0;
}

uint64_t pacing_credit(struct pacing *p, uint64_t now_ns)
{
	unsigned __int128 c;
	uint64_t v = vclock(now_ns);

	pacing_cap(p, now_ns); /* forget credit beyond one burst */
	if (v <= p->t_ns)
		return 0;
	c = (unsigned __int128)(v - p->t_ns) * p->rate_bps / 8 / NSEC_PER_SEC;
	return c > p->burst ? p->burst : (uint64_t)c;
}

void pacing_sent(struct pacing *p, uint64_t n)
{
	uint64_t cost = pacing_cost_ns(p, n);

	p->t_ns = UINT64_MAX - p->t_ns < cost ? UINT64_MAX : p->t_ns + cost;
}

/* t_ns = now - cost(start): the start credit, whatever the clock reads (see PACING_EPOCH_NS). */
void pacing_reset(struct pacing *p, uint64_t now_ns)
{
	uint64_t cost = pacing_cost_ns(p, p->start), v = vclock(now_ns);

	p->t_ns = v > cost ? v - cost : 0;
}

uint64_t pacing_flow_rate(uint64_t total_bps, uint32_t flows)
{
	uint64_t r;

	if (!total_bps)
		return 0;
	r = flows ? total_bps / flows : total_bps;
	return r ? r : 1;
}

uint32_t pacing_chunk(uint64_t rate_bps, uint32_t length)
{
	uint64_t c = rate_bps / 8 / 10;

	if (c < 1024)
		c = 1024;
	return c < length ? (uint32_t)c : length;
}

uint64_t pacing_burst(uint64_t rate_bps, uint32_t chunk)
{
	uint64_t slack = rate_bps / 8 / 50; /* 20 ms */
	uint64_t two = 2 * (uint64_t)chunk;

	return slack > two ? slack : two;
}
