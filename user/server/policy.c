// SPDX-License-Identifier: MIT
/*
 * The server's admission arithmetic (policy.h): the per-address table, the
 * descriptor plan and a test's descriptor estimate. Pure.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "server/policy.h"

int policy_iptab_init(struct policy_iptab *t, uint32_t nbuckets, uint64_t seed)
{
	uint32_t n = 16;

	while (n < nbuckets && n < (1u << 24))
		n <<= 1;
	memset(t, 0, sizeof(*t));
	t->bucket = calloc(n, sizeof(*t->bucket));
	if (!t->bucket)
		return -ENOMEM;
	t->nbuckets = n;
	t->seed = seed;
	return 0;
}

void policy_iptab_fini(struct policy_iptab *t)
{
	struct policy_ip *e, *next;

	for (uint32_t i = 0; t->bucket && i < t->nbuckets; i++) {
		for (e = t->bucket[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

bool policy_key_of(const struct sockaddr *sa, struct policy_key *k)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		memcpy(k->b, mapped, sizeof(mapped));
		memcpy(k->b + 12, &in4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	if (!memcmp(&in6->sin6_addr, mapped, sizeof(mapped))) {
		memcpy(k->b, &in6->sin6_addr, 16); /* ::ffff:a.b.c.d is a.b.c.d */
		return true;
	}
	memcpy(k->b, &in6->sin6_addr, 8); /* the /64 */
	return true;
}

/* A seeded mix of the key's two halves (splitmix64's finaliser). */
static uint32_t bucket_of(const struct policy_iptab *t, const struct policy_key *k)
{
	uint64_t a, b, h;

	memcpy(&a, k->b, 8);
	memcpy(&b, k->b + 8, 8);
	h = a ^ t->seed;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h ^= b + 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (uint32_t)h & (t->nbuckets - 1);
}

struct policy_ip *policy_ip_get(struct policy_iptab *t, const struct policy_key *k)
{
	uint32_t i = bucket_of(t, k);
	struct policy_ip *e;

	for (e = t->bucket[i]; e; e = e->next)
		if (!memcmp(&e->key, k, sizeof(*k)))
			return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = *k;
	e->next = t->bucket[i];
	t->bucket[i] = e;
	t->n++;
	return e;
}

void policy_ip_put(struct policy_iptab *t, struct policy_ip *e)
{
	struct policy_ip **pp;

	if (!e || e->tests || e->pending || e->expect || e->streams || e->mem)
		return;
	for (pp = &t->bucket[bucket_of(t, &e->key)]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			free(e);
			return;
		}
	}
}

void policy_fd_plan(uint64_t limit, uint32_t max_tests, uint32_t pending_want,
		    struct policy_fds *out)
{
	uint64_t avail = limit > POLICY_FD_FIXED ? limit - POLICY_FD_FIXED : 0;
	uint64_t quarter = avail / 4;

	out->limit = limit;
	out->tests = max_tests < quarter ? max_tests : (uint32_t)quarter;
	out->pending = pending_want < quarter ? pending_want : (uint32_t)quarter;
	out->shrunk = out->tests < max_tests || out->pending < pending_want;
	if (out->tests < 1)
		out->tests = 1;
	if (out->pending < 1)
		out->pending = 1;
	out->data =
		avail > (uint64_t)out->tests + out->pending ? avail - out->tests - out->pending : 0;
}

uint32_t policy_test_fds(uint32_t streams, enum policy_ports ports, bool kernel_engine,
			 bool observers)
{
	uint32_t n = streams + POLICY_FD_RUN;

	if (ports == POLICY_PORTS_TCP_LISTEN || ports == POLICY_PORTS_UDP_SHARED)
		n += streams; /* a listener / an ack duplicate beside each stream's socket */
	if (kernel_engine)
		n += streams + POLICY_FD_KERNEL; /* it duplicates each stream's socket */
	if (observers)
		n += POLICY_FD_OBSERVE;
	return n;
}

uint32_t policy_streams_per_ip(uint32_t total, uint32_t per_test)
{
	if (!total)
		return 0;
	return total / 2 > per_test ? total / 2 : per_test;
}

uint64_t policy_mem_budget(uint64_t asked, uint64_t ram)
{
	uint64_t v = XFR_DEFAULT_MAX_MEMORY;

	if (asked)
		return asked;
	if (ram && ram / 4 < v)
		v = ram / 4;
	return v < (64ull << 20) ? 64ull << 20 : v;
}

bool policy_rate_ok(uint64_t cap, uint64_t bitrate)
{
	return !cap || (bitrate && bitrate <= cap);
}

uint64_t policy_rate_clamp(uint64_t cap, uint64_t bitrate)
{
	if (!cap)
		return bitrate;
	return bitrate && bitrate < cap ? bitrate : cap;
}

uint64_t policy_rate_allowance(uint64_t cap, double span_s)
{
	if (span_s < 0)
		span_s = 0;
	return (uint64_t)((double)cap / 8.0 * span_s * 1.25) + 256 * 1024;
}
