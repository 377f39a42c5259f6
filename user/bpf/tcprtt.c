// SPDX-License-Identifier: MIT
/* Loader and reader for bpf/tcprtt.bpf.c; see tcprtt.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/tcprtt.h"
#include "tcprtt.skel.h"

struct tcprtt {
	struct tcprtt_bpf *skel;
	struct tcprtt_key keys[TCPRTT_MAX_FLOWS];
	__u32 gen[TCPRTT_MAX_FLOWS];
	bool used[TCPRTT_MAX_FLOWS];
};

struct tcprtt *tcprtt_open(char *why, size_t whylen)
{
	struct tcprtt *t;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(why, whylen, "cannot load the tcprtt BPF program: out of memory");
		return NULL;
	}
	t->skel = tcprtt_bpf__open_and_load();
	if (!t->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot load the tcprtt BPF program: %s", strerror(-err));
		goto free_t;
	}
	err = tcprtt_bpf__attach(t->skel);
	if (err) {
		snprintf(why, whylen, "cannot attach the tcprtt BPF program: %s", strerror(-err));
		goto destroy_skel;
	}
	return t;

destroy_skel:
	tcprtt_bpf__destroy(t->skel);
free_t:
	free(t);
	errno = -err;
	return NULL;
}

void tcprtt_close(struct tcprtt *t)
{
	if (!t)
		return;
	tcprtt_bpf__destroy(t->skel);
	free(t);
}

/* The key as sock_common holds it: getsockname() reports the socket's own family. */
static int tcprtt_key_fill(struct tcprtt_key *k, const struct sockaddr_storage *loc,
			   const struct sockaddr_storage *peer)
{
	memset(k, 0, sizeof(*k));
	if (loc->ss_family != peer->ss_family)
		return -EINVAL;
	k->family = loc->ss_family;
	if (loc->ss_family == AF_INET) {
		const struct sockaddr_in *l = (const void *)loc, *p = (const void *)peer;

		k->saddr[0] = l->sin_addr.s_addr;
		k->daddr[0] = p->sin_addr.s_addr;
		k->lport = ntohs(l->sin_port);
		k->dport = p->sin_port;
		return 0;
	}
	if (loc->ss_family == AF_INET6) {
		/* A v6 socket carrying IPv4 keeps ::ffff:a.b.c.d in skc_v6_*: same as here. */
		const struct sockaddr_in6 *l = (const void *)loc, *p = (const void *)peer;

		memcpy(k->saddr, &l->sin6_addr, 16);
		memcpy(k->daddr, &p->sin6_addr, 16);
		k->lport = ntohs(l->sin6_port);
		k->dport = p->sin6_port;
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int tcprtt_free_slot(const struct tcprtt *t)
{
	int i;

	for (i = 0; i < TCPRTT_MAX_FLOWS; i++)
		if (!t->used[i])
			return i;
	return -ENOSPC;
}

/* A fresh slot: zero counters and no RTT yet. */
static int tcprtt_slot_reset(struct tcprtt *t, __u32 slot)
{
	struct tcprtt_val v = {.rtt_min_us = TCPRTT_NO_RTT, .win_min_us = TCPRTT_NO_RTT};

	v.win_gen = t->gen[slot];
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.tr_stats), &slot, &v, BPF_ANY))
		return -errno;
	return 0;
}

int tcprtt_add_fd(struct tcprtt *t, int fd)
{
	struct sockaddr_storage loc, peer;
	socklen_t llen = sizeof(loc), plen = sizeof(peer);
	struct tcprtt_key key;
	int slot, err;
	__u32 s;

	if (getsockname(fd, (struct sockaddr *)&loc, &llen) ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen))
		return -errno;
	err = tcprtt_key_fill(&key, &loc, &peer);
	if (err)
		return err;
	slot = tcprtt_free_slot(t);
	if (slot < 0)
		return slot;
	s = slot;
	err = tcprtt_slot_reset(t, s);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.tr_flows), &key, &s, BPF_NOEXIST))
		return -errno;
	t->keys[slot] = key;
	t->used[slot] = true;
	return slot;
}

int tcprtt_del(struct tcprtt *t, int slot)
{
	if (slot < 0 || slot >= TCPRTT_MAX_FLOWS || !t->used[slot])
		return -EINVAL;
	if (bpf_map_delete_elem(bpf_map__fd(t->skel->maps.tr_flows), &t->keys[slot]))
		return -errno;
	t->used[slot] = false;
	return 0;
}

int tcprtt_read(struct tcprtt *t, int slot, struct tcprtt_stats *st)
{
	struct tcprtt_val v;
	__u32 s = slot;
	bool in_win;

	if (slot < 0 || slot >= TCPRTT_MAX_FLOWS || !t->used[slot])
		return -EINVAL;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.tr_stats), &s, &v))
		return -errno;
	/* A window the program has not started yet (no sample since the last read) is empty. */
	in_win = v.win_gen == t->gen[slot] && v.win_min_us != TCPRTT_NO_RTT;
	memset(st, 0, sizeof(*st));
	st->samples = v.samples;
	st->rtt_sum_us = v.rtt_sum_us;
	st->rtt_min_us = v.samples ? v.rtt_min_us : 0;
	st->rtt_max_us = v.samples ? v.rtt_max_us : 0;
	st->win_min_us = in_win ? v.win_min_us : 0;
	st->win_max_us = in_win ? v.win_max_us : 0;
	st->retransmits = v.retransmits;
	st->delivered = v.delivered;
	t->gen[slot]++;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.tr_wgen), &s, &t->gen[slot], BPF_ANY))
		return -errno;
	return 0;
}
