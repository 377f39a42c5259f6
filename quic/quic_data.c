// SPDX-License-Identifier: MIT
/* The data streams of a test's one QUIC connection (see quic_data.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "quic/engine_quic.h"
#include "quic/quic_data.h"

/* Stream index of sid, by its kind (quic_data.h); UINT32_MAX for stream 0. */
static uint32_t index_of(int64_t sid)
{
	if (sid & 2)
		return (uint32_t)(sid >> 2);
	return sid >= 4 ? (uint32_t)((sid >> 2) - 1) : UINT32_MAX;
}

static struct quic_strm *strm_of(struct quic_conn *c, int64_t sid)
{
	uint32_t i = index_of(sid);

	if (i >= XFR_MAX_STREAMS || (c->ds[i].rx_sid != sid && c->ds[i].tx_sid != sid))
		return NULL;
	return &c->ds[i];
}

/*
 * What the peer may open: the server's uni streams toward a client, the
 * client's uni streams and bidi streams toward a server; at most the test's
 * streams once it is known.
 */
int quic_data_open_peer(struct quic_conn *c, int64_t sid)
{
	uint32_t i = index_of(sid), n = c->att ? c->nstreams : XFR_MAX_STREAMS;
	struct quic_strm *s;
	char buf[80];

	if (i >= n) {
		snprintf(buf, sizeof(buf), "%u streams for a test of %u", i + 1, n);
		quic_conn_fail(c, EPROTO, "the peer opened %s", buf);
		return -1;
	}
	s = &c->ds[i];
	if (s->rx_sid >= 0 || (!(sid & 2) && !c->server)) {
		quic_conn_fail(c, EPROTO, "the peer opened a stream this test has no use for%s",
			       "");
		return -1;
	}
	s->rx_sid = sid;
	if (!(sid & 2))
		s->tx_sid = sid; /* --bidir: the server sends on the client's stream */
	if (i + 1 > c->ds_seen)
		c->ds_seen = i + 1;
	return 0;
}

int quic_data_recv(struct quic_conn *c, int64_t sid, size_t len, bool fin)
{
	struct quic_strm *s = strm_of(c, sid);

	if (!s || s->rx_sid != sid) {
		quic_conn_fail(c, EPROTO, "the peer sent data on a stream it did not open%s", "");
		return -1;
	}
	ENG_ADD(s->rx_bytes, len);
	ENG_ADD(s->rx_calls, 1);
	/* Give the credit straight back: the receiver only counts. */
	ngtcp2_conn_extend_max_stream_offset(c->conn, sid, len);
	ngtcp2_conn_extend_max_offset(c->conn, len);
	if (fin)
		s->rx_done = true;
	return 0;
}

void quic_data_extend(struct quic_conn *c, int64_t sid)
{
	struct quic_strm *s = strm_of(c, sid);

	if (s && s->tx_sid == sid)
		s->tx_blocked = false;
}

void quic_data_closed(struct quic_conn *c, int64_t sid)
{
	struct quic_strm *s = strm_of(c, sid);

	if (!s)
		return;
	if (s->tx_sid == sid)
		s->tx_done = true;
	if (s->rx_sid == sid)
		s->rx_done = true;
}

/* Every flow of the attached test is over. */
static bool flows_over(const struct quic_conn *c)
{
	for (uint32_t i = 0; i < c->nstreams; i++) {
		const struct quic_strm *s = &c->ds[i];

		if ((s->send && !s->tx_done) || (s->recv && !s->rx_done))
			return false;
	}
	return true;
}

static void say_over(struct quic_conn *c)
{
	if (!c->att || c->att_over)
		return;
	ENG_STORE(c->att_over, true);
	eng_gate_kick(&c->att->gate);
	eng_done_exit(&c->att->done);
}

/* An engine attached (its streams' roles) or detached: take it, under the lock. */
static int sync_att(struct quic_conn *c)
{
	struct quic_eng *q;
	int rv = 0;

	pthread_mutex_lock(&c->att_mu);
	q = c->att_req;
	if (q != c->att && q) {
		c->att = q;
		c->att_over = false;
		c->open_t = c->open_waited = 0;
		c->nstreams = q->nconns;
		for (uint32_t i = 0; i < q->nconns; i++) {
			c->ds[i].send = q->conns[i].send;
			c->ds[i].recv = q->conns[i].recv;
			c->ds[i].dir_send = q->conns[i].dir_send;
		}
		if (c->ds_seen > c->nstreams) {
			quic_conn_fail(c, EPROTO,
				       "the peer opened more streams than the test has%s", "");
			rv = -1;
		}
	} else if (q != c->att) {
		say_over(c);
		c->att = NULL;
		pthread_cond_broadcast(&c->att_cv);
	}
	pthread_mutex_unlock(&c->att_mu);
	return rv;
}

/* Our sending streams, in index order (the peer maps ids to indexes by order). */
static int open_ours(struct quic_conn *c)
{
	bool bidi = false;
	int rv;

	for (uint32_t i = 0; i < c->nstreams; i++) {
		struct quic_strm *s = &c->ds[i];

		if (!s->send || s->tx_sid >= 0)
			continue;
		bidi = s->recv; /* --bidir */
		if (bidi && c->server)
			continue; /* it sends on the client's stream i, once that is open */
		rv = bidi ? ngtcp2_conn_open_bidi_stream(c->conn, &s->tx_sid, NULL)
			  : ngtcp2_conn_open_uni_stream(c->conn, &s->tx_sid, NULL);
		if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED)
			return 0; /* the peer's MAX_STREAMS is still to come */
		if (rv || index_of(s->tx_sid) != i) {
			quic_conn_fail(c, EPROTO, "cannot open a QUIC data stream: %s",
				       rv ? ngtcp2_strerror(rv) : "out of order");
			return -1;
		}
		if (bidi)
			s->rx_sid = s->tx_sid;
	}
	return 0;
}

/*
 * The streams of the attached test that the peer opens (upload: the client's
 * uni streams at the server; download: the server's at the client; --bidir:
 * the client's bidi streams at the server), and how many of them it opened.
 * ngtcp2 calls stream_open only for a stream with a frame of its own (a
 * higher id opens the lower ones implicitly, without the callback), so a
 * stream counts once something, at least a FIN, arrived on it.
 */
static void peer_streams(const struct quic_conn *c, uint32_t *want, uint32_t *got)
{
	*want = *got = 0;
	for (uint32_t i = 0; i < c->nstreams; i++) {
		const struct quic_strm *s = &c->ds[i];

		if (!s->recv || (s->send && !c->server))
			continue; /* the client opens its --bidir streams itself */
		(*want)++;
		if (s->rx_sid >= 0)
			(*got)++;
	}
}

/*
 * A peer that opens fewer streams than the test asked for leaves the others
 * at 0 bytes: it has the timeout from our attach, time paused not counted (a
 * paused sender sends nothing, not even the frame that opens a stream), then
 * the connection closes with the count. Turns come at least at *next while
 * running and at every pause and resume (the engine wakes the thread), so the
 * time between two turns counts when the earlier one was not paused.
 */
static int check_opened(struct quic_conn *c, uint64_t now, uint64_t *next)
{
	uint64_t limit = quic_conn_timeout_ns();
	bool paused = eng_gate_paused(&c->att->gate);
	uint32_t want, got;
	char buf[96];

	peer_streams(c, &want, &got);
	if (got >= want)
		return 0;
	if (c->open_t && !c->open_paused && now > c->open_t)
		c->open_waited += now - c->open_t;
	c->open_t = now;
	c->open_paused = paused;
	if (c->open_waited >= limit) {
		snprintf(buf, sizeof(buf), "the %s opened %u of the %u streams this test asked for",
			 c->server ? "client" : "server", got, want);
		quic_conn_fail(c, ETIMEDOUT, "%s", buf);
		return -1;
	}
	if (!paused && now + (limit - c->open_waited) < *next)
		*next = now + (limit - c->open_waited);
	return 0;
}

int quic_data_turn(struct quic_conn *c, uint64_t now, uint64_t *next)
{
	if (sync_att(c))
		return -1;
	if (!c->att)
		return 0;
	if (ngtcp2_conn_get_handshake_completed(c->conn) && (c->server || c->confirmed) &&
	    open_ours(c))
		return -1;
	if (flows_over(c)) {
		say_over(c);
		return 0;
	}
	return check_opened(c, now, next);
}

/* Pacing credit toward -b (bytes of stream data) for one stream; 0 with *next set: wait. */
static uint64_t pace(struct quic_conn *c, struct quic_strm *s, uint64_t now, uint64_t *next)
{
	uint64_t rate = c->att->rate_per_conn, allowed;

	if (!rate)
		return UINT64_MAX;
	if (eng_gate_resumed(&c->att->gate, &s->resume_gen) || !s->pace_t0) {
		s->pace_t0 = now;
		s->pace_sent = 0;
	}
	allowed = (uint64_t)((double)(now - s->pace_t0) * (double)rate / 1e9) + 1200;
	if (allowed > s->pace_sent)
		return allowed - s->pace_sent;
	if (s->pace_t0 + (uint64_t)((double)(s->pace_sent - allowed + 1200) * 1e9 / (double)rate) <
	    *next)
		*next = s->pace_t0 +
			(uint64_t)((double)(s->pace_sent - allowed + 1200) * 1e9 / (double)rate);
	return 0;
}

/* What stream data s may send next (as quic_conn.c's data_room). */
static size_t room_of(struct quic_conn *c, struct quic_strm *s, uint64_t now, uint64_t *next,
		      bool *fin)
{
	struct quic_eng *q = c->att;
	uint64_t credit, room;

	*fin = false;
	if (!s->send || s->tx_sid < 0 || s->tx_fin || s->tx_blocked || eng_gate_paused(&q->gate))
		return 0;
	if (eng_gate_tx_stopped(&q->gate)) {
		*fin = true;
		return 0;
	}
	if (!ngtcp2_conn_get_max_data_left(c->conn))
		return 0;
	credit = pace(c, s, now, next);
	if (!credit)
		return 0;
	if (!s->pending)
		s->pending = eng_budget_claim(&q->budget, q->paylen);
	if (!s->pending) {
		*fin = true;
		return 0;
	}
	room = s->pending < credit ? s->pending : credit;
	return room < q->paylen ? (size_t)room : q->paylen;
}

ngtcp2_ssize quic_data_write(struct quic_conn *c, ngtcp2_path *path, uint8_t *buf, size_t max,
			     uint64_t now, uint64_t *next, bool *tried)
{
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n, data;
	ngtcp2_vec v;
	struct quic_strm *s;
	size_t room;
	bool fin;

	*tried = false;
	for (uint32_t k = 0; c->att && k < c->nstreams; k++) {
		s = &c->ds[(c->rr + k) % c->nstreams];
		room = room_of(c, s, now, next, &fin);
		if (!room && !fin)
			continue;
		v = (ngtcp2_vec){.base = c->att->payload, .len = room};
		data = -1;
		n = ngtcp2_conn_writev_stream(c->conn, path, &pi, buf, max, &data,
					      fin ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0, s->tx_sid, &v,
					      1, now);
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
			s->tx_blocked = true;
			continue;
		}
		if (n == NGTCP2_ERR_STREAM_SHUT_WR) {
			s->tx_fin = true;
			continue;
		}
		*tried = true;
		c->rr = (c->rr + k + 1) % c->nstreams; /* the next packet: the next stream */
		if (n < 0)
			return n;
		if (data > 0) {
			s->pending -= (uint64_t)data;
			s->pace_sent += (uint64_t)data;
			ENG_ADD(s->tx_bytes, (uint64_t)data);
			ENG_ADD(s->tx_calls, 1);
		}
		if (fin && data >= 0)
			s->tx_fin = true;
		return n;
	}
	return 0;
}

void quic_data_publish(struct quic_conn *c)
{
	for (uint32_t i = 0; c->att && i < c->nstreams; i++) {
		struct quic_strm *s = &c->ds[i];
		uint64_t lost;

		if (s->tx_sid < 0 || s->tx_done)
			continue;
		/* 0.12 forgets it when the stream closes: keep the highest seen */
		lost = ngtcp2_conn_get_stream_loss_count(c->conn, s->tx_sid);
		if (lost > s->lost)
			ENG_STORE(s->lost, lost);
	}
}

void quic_data_exit(struct quic_conn *c)
{
	pthread_mutex_lock(&c->att_mu);
	if (c->att_req && !c->att)
		c->att = c->att_req; /* attached, never taken: it still hears the end */
	say_over(c);
	c->att = NULL;
	c->att_gone = true;
	pthread_cond_broadcast(&c->att_cv);
	pthread_mutex_unlock(&c->att_mu);
}
