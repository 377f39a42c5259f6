// SPDX-License-Identifier: MIT
/*
 * The observer engine: wraps any engine and adds to its flow samples the
 * kernel's drop reasons for the flows' packets (user/bpf/dropmon.c) and, for
 * sending TCP flows, RTT/retransmits/delivered from BPF (user/bpf/tcprtt.c).
 * Every op delegates to the inner engine; add_stream registers the socket's
 * flows with the BPF side first, sample() adds the BPF figures after.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf/dropmon.h"
#include "engine/engine.h"
#include "engine/tcpinfo.h"
#include "base/log.h"
#include "base/net.h"
#include "bpf/tcprtt.h"
#include "model/result.h"

/* One direction of one stream as this side runs it. */
struct mon_flow {
	uint32_t stream;
	enum xfr_flow_dir dir;
	bool sending;
	int dm_slot[2];	     /* the flow's own packets, TCP's reverse direction (ACKs); -1 = none */
	int tr_slot;	     /* tcprtt slot of a sending TCP flow; -1 = none */
	uint64_t base_acked; /* tcpi_bytes_acked when the socket was handed over */
};

/* A registered dropmon key and its slot: --bidir TCP shares keys between its flows. */
struct mon_key {
	struct dropmon_key key;
	int slot;
};

struct mon {
	struct engine_ops ops; /* per instance: carries the inner engine's name */
	struct engine *inner;
	struct dropmon *dm;
	struct tcprtt *tr;
	uint32_t nflows;
	struct mon_flow flows[XFR_MAX_FLOWS];
	uint32_t nkeys;
	struct mon_key keys[DROPMON_MAX_FLOWS];
	bool warned_full;
};

/* What add_stream reads from a socket before the inner engine owns it. */
struct mon_sock {
	int proto; /* IPPROTO_TCP, IPPROTO_UDP, or 0 when unknown */
	struct sockaddr_storage local, peer;
	uint64_t bytes_acked;
};

static struct mon *mon_of(struct engine *e)
{
	return e->priv;
}

static int mon_sock_read(int fd, struct mon_sock *ms)
{
	socklen_t len = sizeof(int), llen = sizeof(ms->local), plen = sizeof(ms->peer);

	memset(ms, 0, sizeof(*ms));
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &ms->proto, &len) ||
	    getsockname(fd, (struct sockaddr *)&ms->local, &llen) ||
	    getpeername(fd, (struct sockaddr *)&ms->peer, &plen))
		return -errno;
	if (ms->proto != IPPROTO_TCP && ms->proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	if (ms->proto == IPPROTO_TCP) {
		struct xfr_tcpinfo xti;

		if (tcpinfo_read(fd, &xti) == 0)
			ms->bytes_acked = xti.bytes_acked;
	}
	return 0;
}

/* Slot of @key, registering it on first use; -errno when dropmon is full. */
static int mon_key_slot(struct mon *m, const struct dropmon_key *key)
{
	uint32_t i;
	int slot;

	for (i = 0; i < m->nkeys; i++)
		if (!memcmp(&m->keys[i].key, key, sizeof(*key)))
			return m->keys[i].slot;
	if (m->nkeys >= DROPMON_MAX_FLOWS)
		return -ENOSPC;
	slot = dropmon_add_flow(m->dm, key);
	if (slot < 0)
		return slot;
	m->keys[m->nkeys].key = *key;
	m->keys[m->nkeys].slot = slot;
	m->nkeys++;
	return slot;
}

static int mon_dm_slot(struct mon *m, const struct mon_sock *ms, bool from_local)
{
	const struct sockaddr *l = (const void *)&ms->local, *p = (const void *)&ms->peer;
	struct dropmon_key key;
	int err;

	err = dropmon_key_init(&key, ms->proto, from_local ? l : p, from_local ? p : l);
	return err ? err : mon_key_slot(m, &key);
}

/*
 * Drop slots of one flow: its own direction, and for TCP the reverse one
 * (its ACKs) unless this side runs that direction as a flow of its own.
 */
static void mon_register_drops(struct mon *m, struct mon_flow *f, const struct mon_sock *ms,
			       bool both)
{
	struct mon_sock v4 = *ms;
	int slot;

	net_unmap_v4(&v4.local);
	net_unmap_v4(&v4.peer);
	slot = mon_dm_slot(m, &v4, f->sending);
	if (slot >= 0)
		f->dm_slot[0] = slot;
	if (slot >= 0 && ms->proto == IPPROTO_TCP && !both) {
		slot = mon_dm_slot(m, &v4, !f->sending);
		if (slot >= 0)
			f->dm_slot[1] = slot;
	}
	if (slot < 0 && !m->warned_full) {
		pr_warn("drop reasons: stream %u not monitored: %s", f->stream, strerror(-slot));
		m->warned_full = true;
	}
}

static void mon_register_tcp(struct mon *m, struct mon_flow *f, int fd, const struct mon_sock *ms)
{
	int slot = tcprtt_add_fd(m->tr, fd);

	if (slot < 0) {
		pr_warn("bpf tcp: stream %u not monitored: %s", f->stream, strerror(-slot));
		return;
	}
	f->tr_slot = slot;
	f->base_acked = ms->bytes_acked;
}

static void mon_add_flow(struct mon *m, int fd, const struct mon_sock *ms, uint32_t idx,
			 bool sending, enum xfr_flow_dir dir, bool both)
{
	struct mon_flow *f;

	if (m->nflows >= XFR_MAX_FLOWS)
		return;
	f = &m->flows[m->nflows++];
	f->stream = idx;
	f->dir = dir;
	f->sending = sending;
	f->dm_slot[0] = f->dm_slot[1] = -1;
	f->tr_slot = -1;
	if (m->dm)
		mon_register_drops(m, f, ms, both);
	if (m->tr && sending && ms->proto == IPPROTO_TCP)
		mon_register_tcp(m, f, fd, ms);
}

/* The inner engine's result, and its reason for engine_last_error() when it failed. */
static int mon_pass(struct engine *e, int err)
{
	snprintf(e->why, sizeof(e->why), "%s", err ? mon_of(e)->inner->why : "");
	return err;
}

static int mon_add_stream(struct engine *e, uint32_t idx, int fd, bool send, bool recv,
			  enum xfr_flow_dir dir_send)
{
	struct mon *m = mon_of(e);
	enum xfr_flow_dir dir_recv = dir_send == XFR_FLOW_UP ? XFR_FLOW_DOWN : XFR_FLOW_UP;
	struct mon_sock ms;
	int err;

	/* Read everything first: the inner engine owns fd from its add_stream on. */
	err = fd >= 0 ? mon_sock_read(fd, &ms) : -EBADF;
	if (err)
		pr_warn("stream %u not monitored: cannot read its socket: %s", idx, strerror(-err));
	err = mon_pass(e, m->inner->ops->add_stream(m->inner, idx, fd, send, recv, dir_send));
	if (err || fd < 0 || ms.proto == 0)
		return err;
	if (send)
		mon_add_flow(m, fd, &ms, idx, true, dir_send, recv);
	/* An XDP sink's receiving flows never reach the stack: its drops are the sink's own. */
	if (recv && !engine_xdp_sink(m->inner))
		mon_add_flow(m, fd, &ms, idx, false, dir_recv, send);
	return 0;
}

static int mon_init(struct engine *e, const struct engine_params *p)
{
	struct mon *m = mon_of(e);

	return mon_pass(e, m->inner->ops->init(m->inner, p));
}

static int mon_start(struct engine *e)
{
	struct mon *m = mon_of(e);

	return mon_pass(e, m->inner->ops->start(m->inner));
}

static int mon_pause(struct engine *e)
{
	struct mon *m = mon_of(e);

	return m->inner->ops->pause(m->inner);
}

static int mon_resume(struct engine *e)
{
	struct mon *m = mon_of(e);

	return m->inner->ops->resume(m->inner);
}

static int mon_stop(struct engine *e, bool abortive)
{
	struct mon *m = mon_of(e);

	return m->inner->ops->stop(m->inner, abortive);
}

static const struct mon_flow *mon_find(const struct mon *m, const struct engine_flow_sample *s)
{
	uint32_t i;

	for (i = 0; i < m->nflows; i++)
		if (m->flows[i].stream == s->stream && m->flows[i].dir == s->dir &&
		    m->flows[i].sending == s->sending)
			return &m->flows[i];
	return NULL;
}

static void drop_name(const struct mon *m, unsigned int r, char *buf, size_t len)
{
	const char *name = dropmon_reason_name(m->dm, r);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "REASON_%u", r);
}

/* Sorted by packets; past XFR_MAX_DROP_REASONS the smallest fold into "OTHER". */
static void mon_fill_drops(const struct mon *m, const struct dropmon_count *c,
			   struct xfr_drops *out)
{
	static __thread struct xfr_drop all[DROPMON_MAX_REASONS];
	uint32_t n = 0, i;

	for (i = 0; i < DROPMON_MAX_REASONS; i++) {
		if (!c[i].packets)
			continue;
		drop_name(m, i, all[n].reason, sizeof(all[n].reason));
		all[n++].packets = c[i].packets;
	}
	result_drops_fold(all, n, out);
}

static int mon_sample_drops(struct mon *m, const struct mon_flow *f, struct engine_flow_sample *s)
{
	static __thread struct dropmon_count sum[DROPMON_MAX_REASONS], one[DROPMON_MAX_REASONS];
	int i, r, err;

	if (f->dm_slot[0] < 0)
		return 0;
	memset(sum, 0, sizeof(sum));
	for (i = 0; i < 2 && f->dm_slot[i] >= 0; i++) {
		err = dropmon_read(m->dm, f->dm_slot[i], one);
		if (err)
			return err;
		for (r = 0; r < DROPMON_MAX_REASONS; r++)
			sum[r].packets += one[r].packets;
	}
	mon_fill_drops(m, sum, &s->drops);
	s->has_drops = true;
	return 0;
}

static int mon_sample_tcp(struct mon *m, const struct mon_flow *f, struct engine_flow_sample *s)
{
	struct tcprtt_stats st;
	int err;

	if (f->tr_slot < 0)
		return 0;
	err = tcprtt_read(m->tr, f->tr_slot, &st);
	if (err)
		return err;
	s->has_bpf_tcp = true;
	s->bpf_rtt_samples = st.samples;
	s->bpf_rtt_sum_us = st.rtt_sum_us;
	s->bpf_rtt_win_min_us = st.win_min_us;
	s->bpf_rtt_win_max_us = st.win_max_us;
	s->bpf_rtt_min_us = st.rtt_min_us;
	s->bpf_rtt_max_us = st.rtt_max_us;
	s->bpf_retransmits = st.retransmits;
	/* bytes_acked counts from the connection's start (handshake, hello): ours only. */
	s->bpf_delivered = st.delivered > f->base_acked ? st.delivered - f->base_acked : 0;
	return 0;
}

static int mon_sample(struct engine *e, struct engine_sample *out)
{
	struct mon *m = mon_of(e);
	const struct mon_flow *f;
	uint32_t i;
	int err;

	err = m->inner->ops->sample(m->inner, out);
	if (err)
		return err;
	for (i = 0; i < out->nflows; i++) {
		f = mon_find(m, &out->flows[i]);
		if (!f)
			continue;
		err = mon_sample_drops(m, f, &out->flows[i]);
		if (!err)
			err = mon_sample_tcp(m, f, &out->flows[i]);
		if (err)
			return err;
	}
	return 0;
}

static void mon_destroy(struct engine *e)
{
	struct mon *m;

	if (!e)
		return;
	m = mon_of(e);
	m->inner->ops->destroy(m->inner);
	dropmon_close(m->dm);
	tcprtt_close(m->tr);
	free(m);
	free(e);
}

static const struct engine_ops mon_ops = {
	.init = mon_init,
	.add_stream = mon_add_stream,
	.start = mon_start,
	.sample = mon_sample,
	.pause = mon_pause,
	.resume = mon_resume,
	.stop = mon_stop,
	.destroy = mon_destroy,
};

/* Load the BPF sides asked for; 0, or -errno with a one-line reason in why. */
static int mon_open_bpf(struct mon *m, bool drop_reasons, bool bpf_tcp, char *why, size_t whylen)
{
	char lwhy[ENGINE_WHY_MAX] = "";
	int err;

	if (drop_reasons) {
		m->dm = dropmon_open(lwhy, sizeof(lwhy));
		if (!m->dm) {
			err = -errno;
			snprintf(why, whylen, "--drop-reasons: %s", lwhy);
			return err;
		}
	}
	if (bpf_tcp) {
		m->tr = tcprtt_open(lwhy, sizeof(lwhy));
		if (!m->tr) {
			err = -errno;
			snprintf(why, whylen, "BPF TCP figures: %s", lwhy);
			return err;
		}
	}
	return 0;
}

struct engine *engine_mon_new(struct engine *inner, bool drop_reasons, bool bpf_tcp, char *why,
			      size_t whylen)
{
	struct engine *e;
	struct mon *m;
	int err;

	if (whylen)
		why[0] = '\0';
	if (!inner) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	e = m ? engine_new(&mon_ops) : NULL;
	if (!e) {
		free(m);
		snprintf(why, whylen, "engine monitor: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	err = mon_open_bpf(m, drop_reasons, bpf_tcp, why, whylen);
	if (err) {
		/* inner stays the caller's: it may run without the observers. */
		dropmon_close(m->dm);
		tcprtt_close(m->tr);
		free(m);
		free(e);
		errno = -err;
		return NULL;
	}
	m->inner = inner;
	m->ops = mon_ops;
	m->ops.name = inner->ops->name;
	e->ops = &m->ops;
	e->priv = m;
	return e;
}

/*
 * Its state, and per loaded skeleton the object libbpf keeps (maps, programs,
 * the ELF; the kernel's BTF it parses to load is freed after the load).
 */
#define MON_OBJ_MEM (256u * 1024)

size_t engine_mon_mem_estimate(bool drop_reasons, bool bpf_tcp)
{
	if (!drop_reasons && !bpf_tcp)
		return 0;
	return sizeof(struct mon) + MON_OBJ_MEM * ((drop_reasons ? 1 : 0) + (bpf_tcp ? 1 : 0));
}
