/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the C tests (tests/unit, tests/bpf): loopback socket
 * pairs, engines wired to them, eventfd waits, and the private network
 * namespace with a veth pair that the XDP tests run in. Built once into
 * libxt.a and linked into every test binary; include it as "lib/xt.h".
 *
 * Functions that act return 0 or -errno, so that a test asserts on them
 * (assert_int_equal(xt_tcp_pair(&a, &b), 0)) and a SKIP check before
 * cmocka runs can use them too; none of them calls into cmocka.
 */
#ifndef XFR_TESTS_LIB_XT_H
#define XFR_TESTS_LIB_XT_H

#include <stdint.h>
#include <stdio.h>

struct engine;

/*
 * Connected loopback pairs; *a and *b are the two ends (CLOEXEC). A TCP *a is
 * the connecting end, *b the accepted one. The _af forms give each end's
 * family: equal families use 127.0.0.1 or ::1; an AF_INET6 end paired with an
 * AF_INET end carries IPv4 as a dual-stack socket through ::ffff:127.0.0.1
 * (a UDP one bound to ::, a TCP one connecting to the mapped address).
 */
int xt_tcp_pair(int *a, int *b);
int xt_udp_pair(int *a, int *b);
int xt_tcp_pair_af(int fam_a, int fam_b, int *a, int *b);
int xt_udp_pair_af(int fam_a, int fam_b, int *a, int *b);

/*
 * n pairs made by mk: stream i of sender engine s gets *a (XFR_FLOW_UP),
 * stream i of receiver engine r gets *b (XFR_FLOW_DOWN); rcvbuf > 0 first
 * sets *b's SO_RCVBUF. The engines own the fds from add_stream on.
 */
int xt_connect_pairs(struct engine *s, struct engine *r, uint32_t n, int (*mk)(int *a, int *b),
		     int rcvbuf);

/* Waits up to ms for eventfd fd; returns the counter it read, 0 if none came. */
uint64_t xt_wait_fd(int fd, int ms);

void xt_msleep(unsigned int ms);

/* The MAC address of interface name (in the current network namespace). */
int xt_if_mac(const char *name, uint8_t mac[6]);

/*
 * stderr goes to a temporary file between xt_cap_start() (0 or -errno) and
 * xt_cap_end(), which restores it and returns the number of lines captured
 * (the text in c->text, NUL-terminated, cut at its size) or -errno.
 */
struct xt_cap {
	FILE *f;
	int saved;
	char text[4096];
};
int xt_cap_start(struct xt_cap *c);
int xt_cap_end(struct xt_cap *c);

/* "<what>: <strerror(err)>" in a static buffer, for a SKIP reason. */
const char *xt_why(const char *what, int err);

/*
 * Moves the calling process into a new network namespace with lo up and a
 * veth pair a <-> b, both ends up and with carrier. Returns NULL, or why not
 * (a static string) for a "SKIP: <reason>" line. Needs root.
 */
const char *xt_netns_veth(const char *a, const char *b);

/* In a cmocka test: print "SKIP: <why>" and skip it when why is not NULL. */
#define xt_skip_if(why)                                                                            \
	do {                                                                                       \
		const char *xt_why_ = (why);                                                       \
		if (xt_why_) {                                                                     \
			print_message("SKIP: %s\n", xt_why_);                                      \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

#endif
