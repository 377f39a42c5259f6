// SPDX-License-Identifier: MIT
/*
 * The socket engine: one thread per (stream, direction) flow over kernel
 * sockets. This file owns the life cycle (init, streams, threads, pause, stop),
 * the shared byte budget and sampling; the transport loops live in
 * engine_sock_tcp.c and engine_sock_udp.c.
 *
 * UDP receivers never see an EOF: they end only on stop(). done_fd therefore
 * fires when every flow has ended, or for UDP when every sending flow finished
 * (budget or error): --bidir -n ends when this side's budget is through.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/sock/engine_sock_priv.h"
#include "engine/tcpinfo.h"
#include "base/log.h"
#include "timeutil.h"
#include "wire.h"

#define SOCK_MAX_LEN  (16u * 1024 * 1024)
#define SOCK_MIN_RLEN (512u * 1024)	 /* receive size: MSG_TRUNC makes big reads cheap */
#define SOCK_DRAIN_NS (2 * NSEC_PER_SEC) /* graceful stop: wait for the peer's EOF */

static struct sock_eng *sock_eng(struct engine *e)
{
	return e->priv;
}

void sock_warn_once(bool *flag, const char *msg)
{
	if (!__atomic_exchange_n(flag, true, __ATOMIC_RELAXED))
		pr_warn("%s", msg);
}

uint64_t sock_budget_claim(struct sock_eng *se, uint64_t want)
{
	uint64_t left = SOCK_LOAD(se->budget_left);
	uint64_t n;

	do {
		n = left < want ? left : want;
		if (!n)
			return 0;
	} while (!__atomic_compare_exchange_n(&se->budget_left, &left, left - n, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return n;
}

static void abs_mono(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

bool sock_wait(struct sock_flow *f, uint64_t deadline_ns)
{
	struct sock_eng *se = f->eng;
	struct timespec ts;

	pthread_mutex_lock(&se->lock);
	if (SOCK_LOAD(se->paused)) {
		while (SOCK_LOAD(se->paused) && !SOCK_LOAD(se->stop_send))
			pthread_cond_wait(&se->cond, &se->lock);
	} else if (deadline_ns && !SOCK_LOAD(se->stop_send)) {
		abs_mono(deadline_ns, &ts);
		pthread_cond_timedwait(&se->cond, &se->lock, &ts);
	}
	pthread_mutex_unlock(&se->lock);
	return true;
}

/*
 * Senders, before each write of `bytes`: wait while paused, reset the bucket
 * after a resume (no catch-up), wait for pacing credit. true = something was
 * waited for: re-check state.
 */
bool sock_tx_hold(struct sock_flow *f, uint64_t bytes)
{
	struct sock_eng *se = f->eng;
	uint64_t gen, now, d;

	if (SOCK_LOAD(se->paused))
		return sock_wait(f, 0);
	gen = SOCK_LOAD(se->resume_gen);
	if (gen != f->resume_gen) {
		f->resume_gen = gen;
		if (f->upace)
			pacing_reset(&f->pace, time_mono_ns());
	}
	if (!f->upace)
		return false;
	now = time_mono_ns();
	d = pacing_delay_ns(&f->pace, bytes, now);
	if (!d)
		return false;
	return sock_wait(f, d > UINT64_MAX - now ? UINT64_MAX : now + d);
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

/* The payload as a memfd, for sendfile(2). -1 (and a debug line) if impossible. */
static int payload_memfd(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	ssize_t r;
	int fd = memfd_create("xfr-payload", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		goto fail;
	while (off < len) {
		r = pwrite(fd, buf + off, len - off, (off_t)off);
		if (r <= 0)
			goto fail;
		off += (size_t)r;
	}
	return fd;
fail:
	pr_debug("payload memfd: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
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
	if (se->p.proto == XFR_PROTO_TCP &&
	    (se->p.zerocopy == XFR_ZC_AUTO || se->p.zerocopy == XFR_ZC_SENDFILE))
		se->memfd = payload_memfd(se->payload, se->p.length);
	return 0;
}

static int sock_check_params(const struct engine_params *p)
{
	if (p->proto != XFR_PROTO_TCP && p->proto != XFR_PROTO_UDP)
		return -EPROTONOSUPPORT;
	if (!p->streams || p->streams > XFR_MAX_STREAMS || p->length > SOCK_MAX_LEN)
		return -EINVAL;
	if (p->proto == XFR_PROTO_UDP && p->length &&
	    (p->length < XFR_UDP_HDR_LEN || p->length > XFR_UDP_MAX_PAYLOAD))
		return -EINVAL;
	return 0;
}

static int sock_init(struct engine *e, const struct engine_params *p)
{
	struct sock_eng *se;
	pthread_condattr_t ca;
	size_t fsz;
	uint32_t i;
	int err = sock_check_params(p);

	if (err)
		return err;
	se = calloc(1, sizeof(*se));
	if (!se)
		return -ENOMEM;
	se->p = *p;
	if (!se->p.length)
		se->p.length = xfr_default_length(p->proto);
	se->rlen = se->p.length > SOCK_MIN_RLEN ? se->p.length : SOCK_MIN_RLEN;
	se->memfd = -1;
	se->budgeted = p->byte_budget > 0;
	se->budget_left = p->byte_budget;
	fsz = 2 * (size_t)p->streams * sizeof(struct sock_flow);
	se->streams = calloc(p->streams, sizeof(*se->streams));
	se->flows = aligned_alloc(64, fsz);
	if (!se->streams || !se->flows) {
		free(se->streams);
		free(se->flows);
		free(se);
		return -ENOMEM;
	}
	memset(se->flows, 0, fsz);
	for (i = 0; i < p->streams; i++)
		se->streams[i].fd = -1;
	pthread_mutex_init(&se->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&se->cond, &ca);
	pthread_condattr_destroy(&ca);
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
	sock_warn_once(&se->warned_busy_poll, msg);
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
	if (se->p.proto == XFR_PROTO_UDP)
		f->run = sending ? sock_udp_send_loop : sock_udp_recv_loop;
	else
		f->run = sending ? sock_tcp_send_loop : sock_tcp_recv_loop;
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

static void flow_finished(struct sock_flow *f, int err)
{
	struct sock_eng *se = f->eng;
	uint64_t one = 1;
	bool fire;

	pthread_mutex_lock(&se->lock);
	SOCK_STORE(f->ctr.err, err < 0 ? -err : 0);
	SOCK_STORE(f->ctr.done, true);
	fire = --se->live == 0;

	if (f->sending && --se->live_send == 0 && se->p.proto == XFR_PROTO_UDP)
		fire = true;
	if (fire && !se->done_said && se->p.done_fd >= 0) {
		se->done_said = true;
		if (write(se->p.done_fd, &one, sizeof(one)) < 0)
			pr_debug("engine done_fd: %s", strerror(errno));
	}
	pthread_cond_broadcast(&se->cond);
	pthread_mutex_unlock(&se->lock);
}

static void *flow_main(void *arg)
{
	struct sock_flow *f = arg;

	flow_finished(f, f->run(f));
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
			err = se->p.proto == XFR_PROTO_UDP
				      ? sock_udp_setup_sender(&se->flows[i], rate)
				      : sock_tcp_setup_sender(&se->flows[i], rate);
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

static void set_stop(struct sock_eng *se, bool all)
{
	pthread_mutex_lock(&se->lock);
	SOCK_STORE(se->stop_send, true);
	if (all)
		SOCK_STORE(se->stop_all, true);
	pthread_cond_broadcast(&se->cond);
	pthread_mutex_unlock(&se->lock);
}

/* --affinity: flow k (add_stream order, send before recv) on cpus[k % ncpus]. */
static void flow_pin(struct sock_eng *se, uint32_t k)
{
	char msg[128];
	cpu_set_t set;
	int cpu, err;

	if (!se->p.cpus || !se->p.ncpus)
		return;
	cpu = se->p.cpus[k % se->p.ncpus];
	CPU_ZERO(&set);
	if (cpu >= 0 && cpu < CPU_SETSIZE)
		CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(se->flows[k].thread, sizeof(set), &set);
	if (!err)
		return;
	snprintf(msg, sizeof(msg), "--affinity: cannot pin a stream thread to CPU %d: %s", cpu,
		 strerror(err));
	sock_warn_once(&se->warned_affinity, msg);
}

/* Threads take no asynchronous signals: the control loop handles them. */
static int spawn_flows(struct sock_eng *se)
{
	sigset_t all, old;
	uint32_t i;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	se->live = se->nflows;
	se->live_send = se->nsend;
	se->start_ns = time_mono_ns();
	for (i = 0; i < se->nflows && !err; i++) {
		err = -pthread_create(&se->flows[i].thread, NULL, flow_main, &se->flows[i]);
		se->flows[i].started = !err;
		if (!err)
			flow_pin(se, i);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		return 0;
	pthread_mutex_lock(&se->lock);
	se->live -= se->nflows - (i - 1); /* the ones never created */
	pthread_mutex_unlock(&se->lock);
	set_stop(se, true);
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
	err = spawn_flows(se);
	if (err)
		se->stopped = true;
	return err;
}

static double bits_double(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static void sample_udp(const struct sock_udp_ctr *c, struct engine_udp_sample *u)
{
	u->packets = SOCK_LOAD(c->packets);
	u->lost = SOCK_LOAD(c->lost);
	u->out_of_order = SOCK_LOAD(c->out_of_order);
	u->duplicates = SOCK_LOAD(c->duplicates);
	u->next_seq = SOCK_LOAD(c->next_seq);
	u->jitter_us = bits_double(SOCK_LOAD(c->jitter_bits));
	u->jitter_max_us = bits_double(SOCK_LOAD(c->jitter_max_bits));
	u->rcvbuf_drops = SOCK_LOAD(c->rcvbuf_drops);
	u->malformed = SOCK_LOAD(c->malformed);
	u->err_nobufs = SOCK_LOAD(c->err_nobufs);
	u->err_refused = SOCK_LOAD(c->err_refused);
	u->err_other = SOCK_LOAD(c->err_other);
	u->has_feedback = SOCK_LOAD(c->has_fb);
	u->fb_elapsed_ms = SOCK_LOAD(c->fb_elapsed_ms);
	u->fb_received = SOCK_LOAD(c->fb_received);
	u->fb_lost = SOCK_LOAD(c->fb_lost);
}

static void sample_flow(const struct sock_flow *f, struct engine_flow_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->stream = f->stream;
	s->dir = f->dir;
	s->sending = f->sending;
	s->done = SOCK_LOAD(f->ctr.done);
	s->err = SOCK_LOAD(f->ctr.err);
	s->bytes = SOCK_LOAD(f->ctr.bytes);
	s->calls = SOCK_LOAD(f->ctr.calls);
	if (f->sending && f->st->is_tcp && tcpinfo_read(f->st->fd, &s->tcp) == 0)
		s->has_tcp = true;
	if (f->eng->p.proto == XFR_PROTO_UDP) {
		s->is_udp = true;
		sample_udp(&f->udp, &s->udp);
	}
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
	SOCK_STORE(se->paused, true);
	return 0;
}

static int sock_resume(struct engine *e)
{
	struct sock_eng *se = sock_eng(e);

	if (!se)
		return -EINVAL;
	pthread_mutex_lock(&se->lock);
	SOCK_STORE(se->paused, false);
	SOCK_ADD(se->resume_gen, 1);
	pthread_cond_broadcast(&se->cond);
	pthread_mutex_unlock(&se->lock);
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
		if (acked < SOCK_LOAD(f->ctr.bytes))
			SOCK_STORE(f->ctr.bytes, acked);
	}
}

/* TCP receivers end at the peer's EOF; UDP ones have none and end at stop. */
static bool receivers_done(struct sock_eng *se)
{
	uint32_t i;

	for (i = 0; i < se->nflows; i++)
		if (!se->flows[i].sending && se->p.proto != XFR_PROTO_UDP &&
		    !SOCK_LOAD(se->flows[i].ctr.done))
			return false;
	return true;
}

/* Graceful: FIN on every sending flow, then give the receivers a bounded time
 * to read the peer's EOF. */
static void stop_graceful(struct sock_eng *se)
{
	struct timespec ts;
	uint32_t i;

	set_stop(se, false);
	for (i = 0; i < se->nflows; i++)
		if (se->flows[i].sending && se->p.proto != XFR_PROTO_UDP)
			shutdown(se->flows[i].st->fd, SHUT_WR);
	join_flows(se, true);
	abs_mono(time_mono_ns() + SOCK_DRAIN_NS, &ts);
	pthread_mutex_lock(&se->lock);
	while (!receivers_done(se))
		if (pthread_cond_timedwait(&se->cond, &se->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&se->lock);
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
	set_stop(se, true);
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
		for (i = 0; i < se->p.streams; i++)
			if (se->streams[i].added)
				close(se->streams[i].fd);
		if (se->memfd >= 0)
			close(se->memfd);
		pthread_cond_destroy(&se->cond);
		pthread_mutex_destroy(&se->lock);
		free(se->payload);
		free(se->flows);
		free(se->streams);
		free(se);
	}
	free(e);
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
};
