// SPDX-License-Identifier: MIT
/*
 * The QUIC engine (ngtcp2 0.12 + GnuTLS): engine ops over one QUIC connection
 * per xfr stream. Each stream's connected UDP socket (single-port UDP: the
 * hello/ack has already run on it) carries one connection; its thread is the
 * QUIC client on the xfr client and the server on the xfr server
 * (quic_conn.c). Counters are published with relaxed atomics and read by
 * sample(); the client's start() returns only once every handshake is done,
 * so that a certificate that does not match --quic-verify stops the test
 * before any data moves.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "quic/engine_quic.h"
#include "quic/quic_link.h"
#include "quic/quic_tls.h"

#define QE_PAYLOAD_MAX (64u * 1024) /* stream data handed to ngtcp2 per packet, at most */
#define QE_CONN_MEM    (2u * (64u * 1024 + 2048u) + 1024u * 1024) /* buffers + ngtcp2 state */
#define QE_HS_WAIT_NS  (11ull * 1000000000) /* past the 10 s handshake timeout */

static struct quic_eng *qe(struct engine *e)
{
	return e->priv;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int qe_init(struct engine *e, const struct engine_params *p)
{
	struct quic_eng *q = calloc(1, sizeof(*q));
	size_t len = p->length && p->length < QE_PAYLOAD_MAX ? p->length : QE_PAYLOAD_MAX;

	if (!q)
		return -ENOMEM;
	q->p = *p;
	q->paylen = len;
	q->payload = calloc(1, len);
	if (!q->payload || eng_gate_init(&q->gate)) {
		free(q->payload);
		free(q);
		return -ENOMEM;
	}
	if (p->payload == XFR_PAYLOAD_RANDOM && getrandom(q->payload, len, 0) != (ssize_t)len)
		memset(q->payload, 0xa5, len); /* the pattern only defeats compression */
	if (p->quic_ca && quic_tls_client_ca(p->quic_ca, e->why, sizeof(e->why))) {
		eng_gate_destroy(&q->gate);
		free(q->payload);
		free(q);
		return -EINVAL;
	}
	eng_budget_init(&q->budget, p->byte_budget);
	q->rate_per_conn = p->bitrate && p->streams ? p->bitrate / 8 / p->streams : 0;
	if (p->bitrate && !q->rate_per_conn)
		q->rate_per_conn = 1;
	e->priv = q;
	return 0;
}

/* Stream idx of a test on a QUIC connection (fd: its token): its role only. */
static int link_stream(struct quic_eng *q, uint32_t idx, struct quic_link *l, bool send, bool recv,
		       enum xfr_flow_dir dir_send)
{
	if (q->link && l != q->link) {
		quic_link_close(l);
		return -EINVAL; /* one test, one connection */
	}
	if (q->link)
		quic_link_close(l); /* the engine holds one reference */
	q->link = l;
	q->lc = quic_link_conn(l);
	q->conns[idx] = (struct quic_conn){.eng = q,
					   .idx = idx,
					   .fd = -1,
					   .wake_fd = -1,
					   .added = true,
					   .send = send,
					   .recv = recv,
					   .dir_send = dir_send};
	if (idx >= q->nconns)
		q->nconns = idx + 1;
	return 0;
}

static int qe_add_stream(struct engine *e, uint32_t idx, int fd, bool send, bool recv,
			 enum xfr_flow_dir dir_send)
{
	struct quic_eng *q = qe(e);
	struct quic_link *l;
	struct quic_conn *c;

	if (idx >= XFR_MAX_STREAMS || q->conns[idx].added) {
		close(fd);
		return -EINVAL;
	}
	l = quic_link_take(fd);
	if (l) {
		close(fd);
		return link_stream(q, idx, l, send, recv, dir_send);
	}
	c = &q->conns[idx];
	*c = (struct quic_conn){.eng = q,
				.idx = idx,
				.fd = fd,
				.added = true,
				.send = send,
				.recv = recv,
				.dir_send = dir_send,
				.server = dir_send == XFR_FLOW_DOWN,
				.tx_sid = -1,
				.rx_sid = -1};
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->txbuf = malloc(64u * 1024 + 2048u);
	c->rxbuf = malloc(64u * 1024 + 2048u);
	if (c->wake_fd < 0 || !c->txbuf || !c->rxbuf) {
		snprintf(e->why, sizeof(e->why), "QUIC stream %u: out of memory", idx);
		return -ENOMEM; /* destroy() frees what is there */
	}
	if (idx >= q->nconns)
		q->nconns = idx + 1;
	return 0;
}

static void wake_all(struct quic_eng *q)
{
	uint64_t one = 1;

	if (q->lc && write(q->lc->wake_fd, &one, sizeof(one)) < 0)
		return; /* the counter is full: the thread is woken already */
	for (uint32_t i = 0; i < q->nconns; i++)
		if (q->conns[i].added && q->conns[i].wake_fd >= 0 &&
		    write(q->conns[i].wake_fd, &one, sizeof(one)) < 0)
			continue; /* the counter is full: the thread is woken already */
}

void quic_eng_conn_exit(struct quic_eng *q, struct quic_conn *c)
{
	ENG_STORE(c->done, true);
	eng_gate_kick(&q->gate);
	eng_done_exit(&q->done);
}

static void join_all(struct quic_eng *q)
{
	for (uint32_t i = 0; i < q->nconns; i++) {
		if (!q->th_live[i])
			continue;
		pthread_join(q->th[i], NULL);
		q->th_live[i] = false;
	}
}

/* Client's start(): every handshake through, or the first failure. */
static bool handshakes_over(void *arg)
{
	struct quic_eng *q = arg;

	for (uint32_t i = 0; i < q->nconns; i++) {
		struct quic_conn *c = &q->conns[i];

		if (ENG_LOAD(c->hs_failed) || (ENG_LOAD(c->done) && !ENG_LOAD(c->handshaken)))
			return true;
		if (!ENG_LOAD(c->handshaken))
			return false;
	}
	return true;
}

static int handshake_result(struct engine *e)
{
	struct quic_eng *q = qe(e);

	for (uint32_t i = 0; i < q->nconns; i++) {
		struct quic_conn *c = &q->conns[i];

		if (ENG_LOAD(c->handshaken))
			continue;
		eng_gate_stop(&q->gate, true);
		wake_all(q);
		join_all(q);
		if (c->link)
			snprintf(e->why, sizeof(e->why), "QUIC: %s",
				 c->why[0] ? c->why : "no handshake with the server");
		else
			snprintf(e->why, sizeof(e->why), "QUIC stream %u: %s", i,
				 c->why[0] ? c->why : "no handshake with the server");
		return c->err ? -c->err : -ETIMEDOUT;
	}
	return 0;
}

/*
 * A test on a QUIC connection: its thread takes this engine at its next turn
 * (quic_data.c), opens our streams and counts them for sample().
 */
static int link_attach(struct engine *e)
{
	struct quic_eng *q = qe(e);
	struct quic_conn *lc = q->lc;
	bool gone;

	eng_done_init(&q->done, q->p.done_fd, 1);
	pthread_mutex_lock(&lc->att_mu);
	gone = lc->att_gone;
	if (!gone)
		lc->att_req = q;
	pthread_mutex_unlock(&lc->att_mu);
	if (gone) {
		snprintf(e->why, sizeof(e->why), "QUIC: the connection is over%s%.120s",
			 lc->err ? ": " : "", lc->err ? lc->why : "");
		return -ENOTCONN;
	}
	q->started = true;
	wake_all(q);
	return 0;
}

/* The connection's thread lets go of this engine (bounded: it answers within a turn). */
static void link_detach(struct quic_eng *q)
{
	struct quic_conn *lc = q->lc;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	pthread_mutex_lock(&lc->att_mu);
	if (lc->att_req == q) {
		lc->att_req = NULL;
		wake_all(q);
		while (lc->att == q && !lc->att_gone &&
		       pthread_cond_timedwait(&lc->att_cv, &lc->att_mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&lc->att_mu);
}

static int qe_start(struct engine *e)
{
	struct quic_eng *q = qe(e);
	sigset_t all, old;
	int err = 0;
	uint32_t k = 0;

	for (uint32_t i = 0; i < q->nconns; i++)
		if (!q->conns[i].added || (!q->link && !q->conns[i].txbuf))
			return -EINVAL; /* a stream index never added */
	if (q->link)
		return link_attach(e);
	eng_done_init(&q->done, q->p.done_fd, q->nconns);
	/* each connection sends once its handshake is over, before start() returns */
	e->started_ns = mono_ns();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (uint32_t i = 0; i < q->nconns && !err; i++) {
		err = -pthread_create(&q->th[i], NULL, quic_conn_run, &q->conns[i]);
		q->th_live[i] = !err;
		if (!err)
			eng_pin_flow(q->th[i], &q->p, k++, &q->pinned_warned);
		else
			eng_done_cancel(&q->done, q->nconns - i);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	q->started = true;
	if (err) {
		eng_gate_stop(&q->gate, true);
		wake_all(q);
		join_all(q);
		snprintf(e->why, sizeof(e->why), "cannot start a QUIC thread: %s", strerror(-err));
		return err;
	}
	if (q->conns[0].server)
		return 0;
	eng_gate_wait_for(&q->gate, handshakes_over, q, mono_ns() + QE_HS_WAIT_NS);
	return handshake_result(e);
}

/* QUIC's figures in the TCP_INFO slots every output already prints. */
static void quic_as_tcpinfo(const struct quic_stats *s, struct xfr_tcpinfo *t)
{
	uint64_t pmtu = ENG_LOAD(s->pmtu);

	t->rtt_us = (uint32_t)(ENG_LOAD(s->srtt_ns) / 1000);
	t->rttvar_us = (uint32_t)(ENG_LOAD(s->rttvar_ns) / 1000);
	t->snd_mss = (uint32_t)pmtu;
	t->pmtu = (uint32_t)pmtu;
	t->snd_cwnd = pmtu ? (uint32_t)(ENG_LOAD(s->cwnd) / pmtu) : 0;
	t->total_retrans = ENG_LOAD(s->lost);
	t->min_rtt_us = (uint32_t)(ENG_LOAD(s->min_rtt_ns) / 1000);
	t->bytes_in_flight = ENG_LOAD(s->bytes_in_flight);
	t->handshake_us = (uint32_t)(ENG_LOAD(s->handshake_ns) / 1000);
}

/*
 * A flow of a test on a QUIC connection: the stream's counters and the
 * connection's figures; cwnd and bytes in flight, which all streams share,
 * on the first stream only, so that sums over flows stay true.
 */
static void link_flow(const struct quic_eng *q, uint32_t i, bool sending,
		      struct engine_flow_sample *f)
{
	const struct quic_strm *s = &q->lc->ds[i];
	struct quic_stats st = q->lc->st;

	memset(f, 0, sizeof(*f));
	f->stream = i;
	f->sending = sending;
	f->dir = sending ? q->conns[i].dir_send : (enum xfr_flow_dir) !q->conns[i].dir_send;
	f->bytes = sending ? ENG_LOAD(s->tx_bytes) : ENG_LOAD(s->rx_bytes);
	f->calls = sending ? ENG_LOAD(s->tx_calls) : ENG_LOAD(s->rx_calls);
	f->done = ENG_LOAD(q->lc->att_over) ||
		  (sending ? ENG_LOAD(s->tx_done) : ENG_LOAD(s->rx_done));
	f->err = ENG_LOAD(q->lc->done) ? q->lc->err : 0;
	if (sending) {
		st.lost = ENG_LOAD(s->lost);
		if (i) /* the connection's window is the test's: on its first stream only */
			st.cwnd = st.bytes_in_flight = 0;
		f->has_tcp = true;
		quic_as_tcpinfo(&st, &f->tcp);
	}
}

static void flow_of(const struct quic_conn *c, bool sending, struct engine_flow_sample *f)
{
	memset(f, 0, sizeof(*f));
	f->stream = c->idx;
	f->sending = sending;
	f->dir = sending ? c->dir_send : (enum xfr_flow_dir) !c->dir_send;
	f->bytes = sending ? ENG_LOAD(c->tx_bytes) : ENG_LOAD(c->rx_bytes);
	f->calls = sending ? ENG_LOAD(c->tx_calls) : ENG_LOAD(c->rx_calls);
	f->done = ENG_LOAD(c->done);
	f->err = f->done ? c->err : 0;
	if (sending) {
		f->has_tcp = true;
		quic_as_tcpinfo(&c->st, &f->tcp);
	}
}

static int qe_sample(struct engine *e, struct engine_sample *out)
{
	struct quic_eng *q = qe(e);

	out->t_ns = mono_ns();
	out->nflows = 0;
	for (uint32_t i = 0; i < q->nconns; i++) {
		const struct quic_conn *c = &q->conns[i];

		if (c->send && q->link)
			link_flow(q, i, true, &out->flows[out->nflows++]);
		else if (c->send)
			flow_of(c, true, &out->flows[out->nflows++]);
		if (c->recv && q->link)
			link_flow(q, i, false, &out->flows[out->nflows++]);
		else if (c->recv)
			flow_of(c, false, &out->flows[out->nflows++]);
	}
	return 0;
}

static int qe_pause(struct engine *e)
{
	eng_gate_pause(&qe(e)->gate);
	wake_all(qe(e));
	return 0;
}

static int qe_resume(struct engine *e)
{
	eng_gate_resume(&qe(e)->gate);
	wake_all(qe(e));
	return 0;
}

/* Every connection sends its CONNECTION_CLOSE and its thread ends. */
static int qe_stop(struct engine *e, bool abortive)
{
	struct quic_eng *q = qe(e);

	(void)abortive; /* QUIC closes the same way either way: one CONNECTION_CLOSE */
	eng_gate_stop(&q->gate, true);
	wake_all(q);
	join_all(q);
	return 0;
}

static void qe_destroy(struct engine *e)
{
	struct quic_eng *q = qe(e);

	if (!q) {
		free(e);
		return;
	}
	qe_stop(e, true);
	if (q->link) {
		link_detach(q);
		quic_link_close(q->link);
		q->nconns = 0; /* conns[] held roles only */
	}
	for (uint32_t i = 0; i < q->nconns; i++) {
		struct quic_conn *c = &q->conns[i];

		if (c->conn)
			ngtcp2_conn_del(c->conn);
		quic_tls_free(c->tls);
		if (!c->added)
			continue;
		if (c->link)
			quic_ctl_free(&c->ctl);
		if (c->wake_fd >= 0)
			close(c->wake_fd);
		close(c->fd);
		free(c->txbuf);
		free(c->rxbuf);
	}
	eng_gate_destroy(&q->gate);
	free(q->payload);
	free(q);
	free(e); /* as every engine's destroy: the engine_new() allocation too */
}

static size_t qe_mem_estimate(const struct engine_params *p, bool send, bool recv)
{
	(void)send;
	(void)recv;
	return sizeof(struct quic_eng) + QE_PAYLOAD_MAX +
	       (size_t)p->streams * (QE_CONN_MEM + ENG_THREAD_MEM);
}

const struct engine_ops engine_quic_ops = {
	.name = "quic",
	.init = qe_init,
	.add_stream = qe_add_stream,
	.start = qe_start,
	.sample = qe_sample,
	.pause = qe_pause,
	.resume = qe_resume,
	.stop = qe_stop,
	.destroy = qe_destroy,
	.mem_estimate = qe_mem_estimate,
};
