/* SPDX-License-Identifier: MIT */
/*
 * Why packets died: a skb:kfree_skb tracepoint program that counts drops of
 * registered flows per kernel drop reason. Needs CAP_BPF + CAP_PERFMON (root).
 */
#ifndef XFR_BPF_DROPMON_H
#define XFR_BPF_DROPMON_H

#include <stddef.h>
#include <sys/socket.h>

#include "dropmon_maps.h"

struct dropmon;

/*
 * Open, load and attach through a bpf_link; NULL with errno set and one line
 * in @why on failure (NULL, 0: not wanted). Like every loader, never logs.
 */
struct dropmon *dropmon_open(char *why, size_t whylen);
/* Detach and free; the kernel drops the link with the last fd, crash included. */
void dropmon_close(struct dropmon *dm);

/* Build a key for packets going from src to dst (both AF_INET or both AF_INET6). */
int dropmon_key_init(struct dropmon_key *key, int proto, const struct sockaddr *src,
		     const struct sockaddr *dst);
/*
 * Register a flow; returns its slot (>= 0) or a negative errno. Register the
 * reverse key too when drops of the other direction matter (TCP ACKs).
 */
int dropmon_add_flow(struct dropmon *dm, const struct dropmon_key *key);

/* Cumulative counters of one slot, summed over CPUs, indexed by reason. */
int dropmon_read(struct dropmon *dm, int slot, struct dropmon_count out[DROPMON_MAX_REASONS]);

/*
 * Name of a reason as the running kernel spells it, without the
 * SKB_DROP_REASON_ prefix ("SOCKET_RCVBUFF"); NULL when the kernel has none.
 */
const char *dropmon_reason_name(const struct dropmon *dm, unsigned int reason);
/* Reason number for a name (without prefix), or -ENOENT. */
int dropmon_reason_find(const struct dropmon *dm, const char *name);

/*
 * The running kernel's enum skb_drop_reason, read from its BTF (new reasons
 * need no rebuild): @names[v] gets a malloc'ed copy of value v's name without
 * the SKB_DROP_REASON_ prefix for every v < DROPMON_MAX_REASONS the kernel
 * has (the caller frees them; @names may be NULL to count only). Returns how
 * many reasons the kernel has (MAX and the subsystem mask are not reasons),
 * or -errno with one line in @why.
 */
int dropmon_reason_names(char *names[DROPMON_MAX_REASONS], char *why, size_t whylen);

/* Kernel id of our bpf_link (to check that it is gone after close). */
__u32 dropmon_link_id(const struct dropmon *dm);

#endif
