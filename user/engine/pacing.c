// SPDX-License-Identifier: MIT
/* Token-bucket pacing arithmetic (see pacing.h). */
#include "engine/pacing.h"

#include "timeutil.h"

void pacing_init(struct pacing *p, uint64_t rate_bps, uint64_t burst, uint64_t now_ns)
{
	p->rate_bps = rate_bps ? rate_bps : 1;
	p->burst = burst;
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
	uint64_t full = pacing_cost_ns(p, p->burst);
	uint64_t floor_ns = now_ns > full ? now_ns - full : 0;

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
	return ready > now_ns ? ready - now_ns : 0;
}

void pacing_sent(struct pacing *p, uint64_t n)
{
	uint64_t cost = pacing_cost_ns(p, n);

	p->t_ns = UINT64_MAX - p->t_ns < cost ? UINT64_MAX : p->t_ns + cost;
}

void pacing_reset(struct pacing *p, uint64_t now_ns)
{
	p->t_ns = 0;
	pacing_cap(p, now_ns);
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
