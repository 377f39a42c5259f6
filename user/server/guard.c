// SPDX-License-Identifier: MIT
/* Per-address back-off and log memory (guard.h). Pure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/guard.h"

int guard_init(struct guard *g, uint64_t seed, uint64_t window_ns)
{
	g->window_ns = window_ns ? window_ns : GUARD_DEFAULT_WINDOW_NS;
	g->auth = calloc(GUARD_SLOTS, sizeof(*g->auth));
	g->log = calloc(GUARD_SLOTS, sizeof(*g->log));
	g->seed = seed;
	if (g->auth && g->log)
		return 0;
	guard_fini(g);
	return -ENOMEM;
}

void guard_fini(struct guard *g)
{
	free(g->auth);
	free(g->log);
	g->auth = g->log = NULL;
}

static uint32_t index_of(const struct guard *g, const struct policy_key *k)
{
	uint64_t a, b, h;

	memcpy(&a, k->b, 8);
	memcpy(&b, k->b + 8, 8);
	h = (a ^ g->seed) * 0xbf58476d1ce4e5b9ULL;
	h ^= (b + (h >> 29)) * 0x94d049bb133111ebULL;
	h ^= h >> 32;
	return (uint32_t)h & (GUARD_SLOTS - 1);
}

static const struct guard_slot *find(const struct guard *g, const struct policy_key *k)
{
	const struct guard_slot *s;

	if (!g->auth)
		return NULL;
	s = &g->auth[index_of(g, k)];
	return s->used && !memcmp(&s->key, k, sizeof(*k)) ? s : NULL;
}

/* The address's slot, taken over from whoever held it. */
static struct guard_slot *take(struct guard *g, struct guard_slot *tab, const struct policy_key *k)
{
	struct guard_slot *s = &tab[index_of(g, k)];

	if (!s->used || memcmp(&s->key, k, sizeof(*k))) {
		memset(s, 0, sizeof(*s));
		s->key = *k;
		s->used = true;
	}
	return s;
}

uint64_t guard_auth_failed(struct guard *g, const struct policy_key *k, uint64_t now_ns)
{
	struct guard_slot *s;
	uint64_t wait = 1000000000ULL, cap = GUARD_MAX_BACKOFF_NS;
	uint32_t over;

	if (!g->auth)
		return 0; /* not set up (a harness): no back-off */
	s = take(g, g->auth, k);
	if (s->failures && now_ns - s->last_fail_ns >= g->window_ns)
		s->failures = 0;
	if (s->failures < UINT32_MAX)
		s->failures++;
	s->last_fail_ns = now_ns;
	if (s->failures <= GUARD_FREE_FAILURES)
		return 0;
	over = s->failures - GUARD_FREE_FAILURES - 1;
	if (cap > g->window_ns)
		cap = g->window_ns;
	while (over-- && wait < cap)
		wait *= 2;
	if (wait > cap)
		wait = cap;
	s->blocked_until_ns = now_ns + wait;
	return wait;
}

void guard_auth_ok(struct guard *g, const struct policy_key *k)
{
	struct guard_slot *s = (struct guard_slot *)find(g, k);

	if (s) {
		s->failures = 0;
		s->blocked_until_ns = 0;
	}
}

uint64_t guard_blocked(const struct guard *g, const struct policy_key *k, uint64_t now_ns)
{
	const struct guard_slot *s = find(g, k);

	return s && s->blocked_until_ns > now_ns ? s->blocked_until_ns - now_ns : 0;
}

bool guard_log_now(struct guard *g, const struct policy_key *k, uint64_t now_ns)
{
	struct guard_slot *s;

	if (!g->log)
		return true;
	s = take(g, g->log, k);
	if (s->last_log_ns && now_ns - s->last_log_ns < GUARD_LOG_INTERVAL_NS)
		return false;
	s->last_log_ns = now_ns;
	return true;
}
