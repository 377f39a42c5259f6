/* SPDX-License-Identifier: MIT */
/*
 * Per-address memory for the server's gate, pure and of fixed size: the
 * authentication failures of an address (its back-off) and when a refusal of
 * it was last logged (one line per address per minute). A direct-mapped
 * table with a random seed: a flood of fresh addresses costs no memory, and
 * at worst evicts other entries of the flood.
 *
 * The window (--rate-limit-window) is how long failures are remembered: a
 * window without a failure forgets them, and no back-off outlasts it.
 */
#ifndef XFR_SERVER_GUARD_H
#define XFR_SERVER_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "server/policy.h"

#define GUARD_SLOTS		4096
#define GUARD_FREE_FAILURES	2			 /* typos: no wait */
#define GUARD_MAX_BACKOFF_NS	(300ULL * 1000000000ULL) /* 5 min */
#define GUARD_DEFAULT_WINDOW_NS (900ULL * 1000000000ULL) /* 15 min, --rate-limit-window */
#define GUARD_LOG_INTERVAL_NS	(60ULL * 1000000000ULL)

struct guard_slot {
	struct policy_key key;
	bool used;
	uint32_t failures;
	uint64_t last_fail_ns;
	uint64_t blocked_until_ns;
	uint64_t last_log_ns;
};

struct guard {
	struct guard_slot *auth; /* GUARD_SLOTS: failures and back-off */
	struct guard_slot
		*log; /* GUARD_SLOTS: refusals logged (a flood of these evicts no back-off) */
	uint64_t seed;
	uint64_t window_ns; /* failures are forgotten after this long without one */
};

/* window_ns: 0 = GUARD_DEFAULT_WINDOW_NS. 0 or -ENOMEM. */
int guard_init(struct guard *g, uint64_t seed, uint64_t window_ns);
void guard_fini(struct guard *g);

/*
 * A failed authentication: the back-off it earns from now, in ns (0 = none
 * yet): 1 s from the third failure within the window, doubling, at most 5 min
 * and at most the window.
 */
uint64_t guard_auth_failed(struct guard *g, const struct policy_key *k, uint64_t now_ns);
/* A success forgets the failures. */
void guard_auth_ok(struct guard *g, const struct policy_key *k);
/* ns the address must still wait; 0 = it may try. */
uint64_t guard_blocked(const struct guard *g, const struct policy_key *k, uint64_t now_ns);
/* Whether a refusal of this address is to be logged now (then not for a minute). */
bool guard_log_now(struct guard *g, const struct policy_key *k, uint64_t now_ns);

#endif
