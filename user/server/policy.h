/* SPDX-License-Identifier: MIT */
/*
 * The server's admission arithmetic, pure (no I/O, no logging): the
 * per-address table (tests and unidentified connections per client), the
 * split of the file descriptor limit between connections and tests, and the
 * descriptors one test needs. server.c and session.c apply it; the unit
 * tests (tests/unit/test_policy.c) check it alone.
 */
#ifndef XFR_SERVER_POLICY_H
#define XFR_SERVER_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * One client address: an IPv4 address (IPv4-mapped IPv6 folded into it) or
 * an IPv6 /64, the block one host or one site usually gets, so that a single
 * client cannot pick a fresh address per connection.
 */
struct policy_key {
	unsigned char b[16];
};

/* What one client address holds now; the entry exists while any count is non-zero. */
struct policy_ip {
	struct policy_ip *next;
	struct policy_key key;
	uint32_t tests;	  /* control connections past hello (test slots) */
	uint32_t pending; /* connections whose first line has not come yet */
	uint32_t expect;  /* data connections its tests still wait for (single-port TCP) */
	uint32_t streams; /* streams of its tests since test_start */
	uint64_t mem;	  /* bytes its tests hold of the memory budget */
};

struct policy_iptab {
	struct policy_ip **bucket;
	uint32_t nbuckets; /* a power of two */
	uint64_t seed;	   /* random: a client cannot aim its addresses at one bucket */
	uint32_t n;	   /* entries */
};

/* 0 or -ENOMEM. nbuckets is rounded up to a power of two. */
int policy_iptab_init(struct policy_iptab *t, uint32_t nbuckets, uint64_t seed);
void policy_iptab_fini(struct policy_iptab *t);

/* The key of a socket address (see struct policy_key); false for a family it does not know. */
bool policy_key_of(const struct sockaddr *sa, struct policy_key *k);

/* The entry for k, created (zeroed) when missing; NULL only when out of memory. */
struct policy_ip *policy_ip_get(struct policy_iptab *t, const struct policy_key *k);
/* Forget e if nothing is held any more (all counts 0). */
void policy_ip_put(struct policy_iptab *t, struct policy_ip *e);

/*
 * How the descriptor limit is spent. The fixed part (listeners, the loop,
 * the log, stdio) comes first; the control connections of running tests and
 * the unidentified connections each get a gate; the rest is for the tests'
 * data sockets and engines, handed out per test by its estimate. When the
 * limit is too low for the configured gates they shrink, so that at least
 * half of what is left stays for tests.
 */
#define POLICY_FD_FIXED 32

struct policy_fds {
	uint64_t limit;	  /* RLIMIT_NOFILE (soft) */
	uint32_t tests;	  /* control connections: tests at a time */
	uint32_t pending; /* unidentified connections at a time (over all clients) */
	uint64_t data;	  /* descriptors for the tests' data planes */
	bool shrunk;	  /* tests or pending below what was asked */
};

void policy_fd_plan(uint64_t limit, uint32_t max_tests, uint32_t pending_want,
		    struct policy_fds *out);

/* Where a test's data connections come from (server_ports.c). */
enum policy_ports {
	POLICY_PORTS_TCP_SHARED, /* data_hello on the server port */
	POLICY_PORTS_TCP_LISTEN, /* one listener per stream, then its connection */
	POLICY_PORTS_UDP_SHARED, /* single-port UDP: a connected socket + its ack duplicate */
	POLICY_PORTS_UDP_OWN,	 /* one UDP port per stream: that socket is the stream's */
};

/*
 * Descriptors one test holds at its peak: the data sockets and what their
 * ports cost (a listener per stream, the acknowledgement duplicates), the
 * run core's timers and done eventfd, and the engine's extras (a payload
 * memfd; the XDP engines duplicate every stream and add AF_XDP sockets and
 * BPF objects; the BPF observers their maps, programs and links). Over-
 * rather than underestimated.
 */
#define POLICY_FD_RUN	  8  /* run core timers, done eventfd, payload memfd, spare */
#define POLICY_FD_KERNEL  96 /* XDP/AF_XDP engine: AF_XDP sockets, BPF programs, maps */
#define POLICY_FD_OBSERVE 32 /* drop reasons, BPF TCP figures */

uint32_t policy_test_fds(uint32_t streams, enum policy_ports ports, bool kernel_engine,
			 bool observers);

/*
 * Streams one address may hold: half of the server's total, but never less
 * than one test of the largest size (0 = no limit, as total).
 */
uint32_t policy_streams_per_ip(uint32_t total, uint32_t per_test);

/*
 * --max-memory: the budget for test buffers. asked = the option (0 = none
 * given); ram = the host's MemTotal in bytes (0 = unknown). The default is
 * XFR_DEFAULT_MAX_MEMORY, at most a quarter of RAM, at least 64 MiB.
 */
uint64_t policy_mem_budget(uint64_t asked, uint64_t ram);

/* What one address may hold of the memory budget: half of it. */
static inline uint64_t policy_mem_per_ip(uint64_t total)
{
	return total / 2;
}

/*
 * --max-bandwidth: may a client that sends (upload, bidir) at bitrate
 * (bits/s; 0 = unlimited) run under cap? The rate the server's own senders
 * use for a request (0 = unlimited) under cap (0 = none).
 */
bool policy_rate_ok(uint64_t cap, uint64_t bitrate);
uint64_t policy_rate_clamp(uint64_t cap, uint64_t bitrate);
/*
 * Bytes a receiver may see in span_s seconds from a client held to cap
 * before the server calls it over the limit: the cap with a quarter on top
 * and 256 KiB of burst, for pacing and sampling jitter.
 */
uint64_t policy_rate_allowance(uint64_t cap, double span_s);

#endif /* XFR_SERVER_POLICY_H */
