// SPDX-License-Identifier: MIT
/*
 * The socket engine: one thread per (stream, direction) flow over kernel
 * sockets. This file owns the life cycle (init, streams, threads, pause, stop)
 * and sampling, on the shared mechanics of engine_rt.h; the transports
 * (engine_sock_tcp.c, engine_sock_udp.c) bring their loops through struct
 * sock_transport.
 *
 * UDP receivers never see an EOF: they end only on stop(). done_fd therefore
 * fires when every flow has ended, or for UDP when every sending flow finished
 * (budget or error): --bidir -n ends when this side's budget is through.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/sock/engine_sock_priv.h"
#include "engine/tcpinfo.h"
#include "base/log.h"
#include "timeutil.h"
#include "wire.h"

#define SOCK_MIN_RLEN (512u * 1024)	 /* receive size: MSG_TRUNC makes big reads cheap */
#define SOCK_DRAIN_NS (2 * NSEC_PER_SEC) /* graceful stop: wait for the peer's EOF */

static struct sock_eng *sock_eng(struct engine *e)
{
	return e->priv;
}

static int payload_fill(uint8_t *buf, size_t len)
{
	size_t off = 0;
	ssize_t r;

	while (off < len) {
		r = getrandom(buf + off, len - off, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		off += (size_t)r;
	}
	return 0;
}

static int payload_prepare(struct sock_eng *se)
{
	int err;

	se->payload = calloc(1, se->p.length);
	if (!se->payload)
		return -ENOMEM;
	if (se->p.payload == XFR_PAYLOAD_RANDOM) {
		err = payload_fill(se->payload, se->p.length);
		if (err)
			return err;
	}
	return se->tp->prepare ? se->tp->prepare(se) : 0;
}

static const struct sock_transport *sock_transport(enum xfr_proto proto)
{
	switch (proto) {
	case XFR_PROTO_TCP:
		return &sock_tcp_transport;
	case XFR_PROTO_UDP:
		return &sock_udp_transport;
	default:
		return NULL;
	}
}

static int sock_check_params(const struct engine_params *p)
{
	const struct sock_transport *tp = sock_transport(p->proto);

	if (!tp)
		return -EPROTONOSUPPORT;
	if (!p->streams || p->streams > XFR_MAX_STREAMS)
		return -EINVAL;
	if (p->length && (p->length < tp->min_len || p->length > tp->max_len))
		return -EINVAL;
	return 0;
}

static void sock_free(struct sock_eng *se)
{
	free(se->payload);
	free(se->flows);
	free(se->streams);
	free(se);
}

static int sock_init(struct engine *e, const struct engine_params *p)
{
	struct sock_eng *se;
	size_t fsz;
	uint32_t i;
	int err = sock_check_params(p);

	if (err)
		return err;
	se = calloc(1, sizeof(*se));
	if (!se)
		return -ENOMEM;
	se->p = *p;
	se->tp = sock_transport(p->proto);
	if (!se->p.length)
		se->p.length = xfr_default_length(p->proto);
	se->rlen = se->p.length > SOCK_MIN_RLEN ? se->p.length : SOCK_MIN_RLEN;
	se->memfd = -1;
	eng_budget_init(&se->budget, p->byte_budget);
	fsz = 2 * (size_t)p->streams * sizeof(struct sock_flow);
	se->streams = calloc(p->streams, sizeof(*se->streams));
	se->flows = aligned_alloc(64, fsz);
	err = se->streams && se->flows ? eng_gate_init(&se->gate) : -ENOMEM;
	if (err) {
		sock_free(se);
		return err;
	}
	memset(se->flows, 0, fsz);
	for (i = 0; i < p->streams; i++)
		se->streams[i].fd = -1;
	e->priv = se;
	return 0;
}

static void stream_busy_poll(struct sock_eng *se, int fd)
{
	int us = (int)se->p.busy_poll_us;
	char msg[128];

	if (!us || setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) == 0)
		return;
	snprintf(msg, sizeof(msg), "--busy-poll: SO_BUSY_POLL %d us: %s", us, strerror(errno));
	eng_warn_once(&se->warned_busy_poll, msg);
}

static void stream_probe(struct sock_stream *st)
{
	struct xfr_tcpinfo ti;
	socklen_t len = sizeof(int);
	int proto = 0, fl;

	fl = fcntl(st->fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(st->fd, F_SETFL, fl & ~O_NONBLOCK); /* the loops block; stop() wakes them */
	if (getsockopt(st->fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0)
		st->is_tcp = proto == IPPROTO_TCP;
	if (st->is_tcp && tcpinfo_read(st->fd, &ti) == 0)
		st->base_acked = ti.bytes_acked;
}

static void flow_add(struct sock_eng *se, struct sock_stream *st, uint32_t idx, bool sending,
		     enum xfr_flow_dir dir)
{
	struct sock_flow *f = &se->flows[se->nflows++];

	f->eng = se;
	f->st = st;
	f->stream = idx;
	f->dir = dir;
	f->sending = sending;
	if (sending)
		se->nsend++;
}

static int sock_add_stream(struct engine *e, uint32_t idx, int fd, bool send, bool recv,
			   enum xfr_flow_dir dir_send)
{
	struct sock_eng *se = sock_eng(e);
	struct sock_stream *st;
	int err = 0;

	if (!se || se->started)
		err = -EBUSY;
	else if (fd < 0 || idx >= se->p.streams || (!send && !recv))
		err = -EINVAL;
	else if (se->streams[idx].added)
		err = -EEXIST;
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	st = &se->streams[idx];
	st->fd = fd;
	st->added = true;
	stream_probe(st);
	stream_busy_poll(se, fd);
	if (send)
		flow_add(se, st, idx, true, dir_send);
	if (recv)
		flow_add(se, st, idx, false, dir_send == XFR_FLOW_UP ? XFR_FLOW_DOWN : XFR_FLOW_UP);
	if (send && recv) {
		se->flows[se->nflows - 2].sibling = &se->flows[se->nflows - 1];
		se->flows[se->nflows - 1].sibling = &se->flows[se->nflows - 2];
	}
	return 0;
}

/* done_fd: every flow ended, or (no EOF) every sender finished. */
static void flow_finished(struct sock_flow *f, int err)
{
	struct sock_eng *se = f->eng;

	ENG_STORE(f->ctr.err, err < 0 ? -err : 0);
	ENG_STORE(f->ctr.done, true);
	if (f->sending && !se->tp->has_eof &&
	    !__atomic_sub_fetch(&se->live_send, 1, __ATOMIC_ACQ_REL))
		eng_done_notify(&se->done);
	eng_done_exit(&se->done);
	eng_gate_kick(&se->gate); /* stop_graceful() may wait for this receiver */
}

static void *flow_main(void *arg)
{
	struct sock_flow *f = arg;
	const struct sock_transport *tp = f->eng->tp;

	eng_gate_wait_start(&f->eng->gate); /* every flow starts when the last one exists */
	if (f->sending && f->upace)	    /* the start credit from now, not from set-up */
		pacing_reset(&f->pace, time_mono_ns());
	flow_finished(f, f->sending ? tp->send_loop(f) : tp->recv_loop(f));
	return NULL;
}

static int senders_setup(struct sock_eng *se)
{
	uint64_t rate = pacing_flow_rate(se->p.bitrate, se->nsend);
	uint32_t i;
	int err;

	if (!se->nsend)
		return 0;
	err = payload_prepare(se);
	for (i = 0; !err && i < se->nflows; i++)
		if (se->flows[i].sending)
			err = se->tp->setup_sender(&se->flows[i], rate);
	return err;
}

static void shutdown_all(struct sock_eng *se, bool rst)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	uint32_t i;

	for (i = 0; i < se->p.streams; i++) {
		if (!se->streams[i].added)
			continue;
		if (rst)
			setsockopt(se->streams[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		shutdown(se->streams[i].fd, SHUT_RDWR);
	}
}

static void join_flows(struct sock_eng *se, bool senders_only)
{
	uint32_t i;

	for (i = 0; i < se->nflows; i++) {
		struct sock_flow *f = &se->flows[i];

		if (!f->started || (senders_only && !f->sending))
			continue;
		pthread_join(f->thread, NULL);
		f->started = false;
	}
}

/* Threads take no asynchronous signals: the control loop handles them. */
static int spawn_flows(struct engine *e, struct sock_eng *se)
{
	sigset_t all, old;
	uint32_t i;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	eng_done_init(&se->done, se->p.done_fd, se->nflows);
	se->live_send = se->nsend;
	eng_gate_hold(&se->gate);
	for (i = 0; i < se->nflows && !err; i++) {
		err = -pthread_create(&se->flows[i].thread, NULL, flow_main, &se->flows[i]);
		se->flows[i].started = !err;
		if (!err)
			eng_pin_flow(se->flows[i].thread, &se->p, i, &se->warned_affinity);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	se->start_ns = time_mono_ns();
	if (!err) {
		e->started_ns = se->start_ns;
		eng_gate_release(&se->gate);
		return 0;
	}
	eng_done_cancel(&se->done, se->nflows - (i - 1)); /* the ones never created */
	eng_gate_stop(&se->gate, true);
	eng_gate_release(&se->gate);
	shutdown_all(se, true);
	join_flows(se, false);
	return err;
}

static int sock_start(struct engine *e)
{
	struct sock_eng *se = sock_eng(e);
	int err;

	if (!se || se->started)
		return -EBUSY;
	if (!se->nflows)
		return -EINVAL;
	err = senders_setup(se);
	if (err)
		return err;
	se->started = true;
	err = spawn_flows(e, se);
	if (err)
		se->stopped = true;
	return err;
}

static void sample_flow(const struct sock_flow *f, struct engine_flow_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->stream = f->stream;
	s->dir = f->dir;
	s->sending = f->sending;
	s->done = ENG_LOAD(f->ctr.done);
	s->err = ENG_LOAD(f->ctr.err);
	s->bytes = ENG_LOAD(f->ctr.bytes);
	s->calls = ENG_LOAD(f->ctr.calls);
	if (f->sending && f->st->is_tcp && tcpinfo_read(f->st->fd, &s->tcp) == 0)
		s->has_tcp = true;
	if (f->eng->tp->sample)
		f->eng->tp->sample(f, s);
}

static int sock_sample(struct engine *e, struct engine_sample *out)
{
	struct sock_eng *se = sock_eng(e);
	uint32_t i;

	if (!se)
		return -EINVAL;
	out->t_ns = time_mono_ns();
	out->nflows = se->nflows;
	for (i = 0; i < se->nflows; i++)
		sample_flow(&se->flows[i], &out->flows[i]);
	return 0;
}

static int sock_pause(struct engine *e)
{
	struct sock_eng *se = sock_eng(e);

	if (!se)
		return -EINVAL;
	eng_gate_pause(&se->gate);
	return 0;
}

static int sock_resume(struct engine *e)
{
	struct sock_eng *se = sock_eng(e);

	if (!se)
		return -EINVAL;
	eng_gate_resume(&se->gate);
	return 0;
}

/*
 * After an abortive stop the RST discards whatever the peer had not yet
 * acknowledged: count only acknowledged bytes as sent (tcpi_bytes_acked since
 * the engine took the socket over).
 */
static void clamp_to_acked(struct sock_eng *se)
{
	struct xfr_tcpinfo ti;
	uint64_t acked;
	uint32_t i;

	for (i = 0; i < se->nflows; i++) {
		struct sock_flow *f = &se->flows[i];

		if (!f->sending || !f->st->is_tcp || tcpinfo_read(f->st->fd, &ti) < 0)
			continue;
		acked = ti.bytes_acked > f->st->base_acked ? ti.bytes_acked - f->st->base_acked : 0;
		if (acked < ENG_LOAD(f->ctr.bytes))
			ENG_STORE(f->ctr.bytes, acked);
	}
}

/* Receivers with an EOF (TCP) end at the peer's; others (UDP) end at stop. */
static bool receivers_done(void *arg)
{
	struct sock_eng *se = arg;
	uint32_t i;

	for (i = 0; i < se->nflows; i++)
		if (!se->flows[i].sending && se->tp->has_eof && !ENG_LOAD(se->flows[i].ctr.done))
			return false;
	return true;
}

/* Graceful: FIN on every sending flow, then give the receivers a bounded time
 * to read the peer's EOF. */
static void stop_graceful(struct sock_eng *se)
{
	uint32_t i;

	eng_gate_stop(&se->gate, false);
	for (i = 0; i < se->nflows; i++)
		if (se->flows[i].sending && se->tp->has_eof)
			shutdown(se->flows[i].st->fd, SHUT_WR);
	join_flows(se, true);
	eng_gate_wait_for(&se->gate, receivers_done, se, time_mono_ns() + SOCK_DRAIN_NS);
}

static int sock_stop(struct engine *e, bool abortive)
{
	struct sock_eng *se = sock_eng(e);

	if (!se)
		return -EINVAL;
	if (!se->started || se->stopped) {
		se->stopped = true;
		return 0;
	}
	if (!abortive)
		stop_graceful(se);
	eng_gate_stop(&se->gate, true);
	shutdown_all(se, abortive);
	join_flows(se, false);
	if (abortive)
		clamp_to_acked(se);
	se->stopped = true;
	return 0;
}

static void sock_destroy(struct engine *e)
{
	struct sock_eng *se;
	uint32_t i;

	if (!e)
		return;
	se = sock_eng(e);
	if (se) {
		sock_stop(e, true);
		explicit_bzero(se->p.udp_key, sizeof(se->p.udp_key)); /* udp_auth_v1 */
		for (i = 0; i < se->p.streams; i++)
			if (se->streams[i].added)
				close(se->streams[i].fd);
		if (se->memfd >= 0)
			close(se->memfd);
		eng_gate_destroy(&se->gate);
		sock_free(se);
	}
	free(e);
}

/*
 * See engine.h. Senders share one payload (twice for TCP with -Z: the memfd
 * sendfile reads); the flow table is allocated for both directions.
 */
static size_t sock_mem_estimate(const struct engine_params *p, bool send, bool recv)
{
	const struct sock_transport *tp = sock_transport(p->proto);
	struct engine_params q = *p;
	size_t n = sizeof(struct sock_eng);

	if (!tp || sock_check_params(p))
		return n;
	if (!q.length)
		q.length = xfr_default_length(p->proto);
	n += p->streams * (sizeof(struct sock_stream) + 2 * sizeof(struct sock_flow));
	if (send)
		n += (size_t)q.length * (tp->prepare && q.zerocopy != XFR_ZC_OFF ? 2 : 1) +
		     p->streams * (ENG_THREAD_MEM +
				   tp->flow_mem(&q, pacing_flow_rate(q.bitrate, q.streams), true));
	if (recv)
		n += p->streams * (ENG_THREAD_MEM + tp->flow_mem(&q, 0, false));
	return n;
}

const struct engine_ops engine_sock_ops = {
	.name = "socket",
	.init = sock_init,
	.add_stream = sock_add_stream,
	.start = sock_start,
	.sample = sock_sample,
	.pause = sock_pause,
	.resume = sock_resume,
	.stop = sock_stop,
	.destroy = sock_destroy,
	.mem_estimate = sock_mem_estimate,
};
