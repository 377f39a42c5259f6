/* SPDX-License-Identifier: MIT */
/*
 * One QUIC connection on one connected UDP socket: the data of one xfr stream
 * (the engine runs one connection per stream, each on its own thread, so that
 * -P spreads over cores). The side that sends opens one unidirectional stream
 * and writes into it; the receiver accepts exactly one stream from its peer
 * per direction it receives (ngtcp2 refuses more: initial_max_streams_uni).
 */
#ifndef XFR_QUIC_QUIC_CONN_H
#define XFR_QUIC_QUIC_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "engine/engine_rt.h"
#include <pthread.h>

#include "quic/quic_ctl.h"
#include "quic/quic_data.h"

/* Figures of the connection, published by its thread for sample(). */
struct quic_stats {
	uint64_t srtt_ns, min_rtt_ns, rttvar_ns;
	uint64_t cwnd, bytes_in_flight;
	uint64_t pmtu;
	uint64_t handshake_ns; /* 0 until the handshake completed */
	uint64_t lost;	       /* stream data ngtcp2 reported lost (packets) */
	uint64_t rx_dgrams, tx_dgrams, gso_sends, rcvbuf_drops, garbage;
	uint64_t turns, sleeps; /* loop turns, and those that slept in ppoll */
};

struct quic_eng; /* engine_quic.c */

struct quic_conn {
	struct quic_eng *eng;
	uint32_t idx;
	int fd;
	bool added;  /* add_stream() took fd */
	int wake_fd; /* eventfd: stop, pause, resume */
	bool server, send, recv;
	enum xfr_flow_dir dir_send;
	ngtcp2_conn *conn;
	gnutls_session_t tls;
	ngtcp2_crypto_conn_ref ref;
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	int64_t tx_sid, rx_sid;
	bool tx_blocked, tx_fin, tx_done, rx_done;
	uint64_t pending; /* budget claimed, not yet written */
	uint64_t t0_ns, hs_ns;
	/* pacing: bytes allowed since the start of the current run of credit */
	uint64_t pace_t0, pace_sent, resume_gen;
	/* published (relaxed atomics) */
	uint64_t tx_bytes, rx_bytes, tx_calls, rx_calls;
	struct quic_stats st;
	bool done, handshaken, hs_failed;
	bool confirmed; /* client: HANDSHAKE_DONE received */
	int err;
	char why[160];
	/* I/O */
	bool gso, gro;
	size_t local_pkt; /* the peer is this host: packets of this size (quic_conn.c) */
	uint8_t *txbuf, *rxbuf;
	size_t txlen, txoff, gso_size; /* a batch not yet sent (EAGAIN) */
	/* a test's one connection (quic_link.c): control on stream 0, ctl.fd >= 0 */
	bool link;
	struct quic_ctl ctl;
	bool ctl_quiet; /* published: the control code closed its end, the peer has every byte */
	/* its data streams (quic_data.c), and the engine of the test that uses them */
	struct quic_strm *ds; /* XFR_MAX_STREAMS */
	uint32_t ds_seen;     /* streams the peer opened: highest index + 1 */
	/* quic_data.c: the attached test's streams the peer has yet to open, awaited (not paused) */
	uint64_t open_t, open_waited;
	bool open_paused;
	uint32_t nstreams, rr;
	pthread_mutex_t att_mu; /* att_req, att_gone; att_cv: att went */
	pthread_cond_t att_cv;
	struct quic_eng *att_req, *att; /* asked by the engine; taken by the thread */
	bool att_over;			/* published: the attached test's flows are over */
	bool att_gone;			/* the thread ended: nothing is taken any more */
	uint64_t ctl_eof_ns; /* when the control code closed its end: the peer has 10 s to follow */
	/* the peer's acknowledgements: bytes in flight last seen, when they last went down */
	uint64_t inflight, acked_ns;
	const uint8_t *first; /* server: the Initial the shared port read, fed first */
	size_t first_len;
};

/* The thread of one connection: handshake, data, close. */
void *quic_conn_run(void *arg);

/*
 * The thread's three steps, for a caller that drives a connection without
 * its thread (tests/fuzz/fuzz_quic_link.c, with its own clock and datagrams):
 * begin (the server's first datagram), turns until one returns non-zero
 * (deadline: when the next is due), then end with that value (CONNECTION_CLOSE,
 * the control channel's EOF, an attached engine told). As quic_conn_run.
 */
int quic_conn_begin(struct quic_conn *c);
int quic_conn_turn(struct quic_conn *c, uint64_t *deadline);
void quic_conn_end(struct quic_conn *c, int rv);

/*
 * For tests/fuzz/fuzz_quic.c: hand one datagram to the connection as its
 * thread does (a server's first Initial creates the ngtcp2 connection), at
 * time now_ns. 0 = go on, 1 = the peer closed cleanly, < 0 = the connection
 * is over (c->why says why). quic_conn_reset() forgets the ngtcp2 connection
 * and its TLS session, so the next datagram starts afresh.
 */
int quic_conn_feed(struct quic_conn *c, const uint8_t *pkt, size_t len, uint64_t now_ns);
void quic_conn_reset(struct quic_conn *c);
/*
 * Handshake, idle and control-stream timeout for every connection of this
 * process (default 10 s; 0 restores it). For unit tests, which would otherwise
 * wait 10 s per timeout; call before any connection opens.
 */
void quic_conn_set_timeout_ms(uint32_t ms);
/* That timeout, in ns. */
uint64_t quic_conn_timeout_ns(void);

/* CLOCK_MONOTONIC in ns: the one clock of ngtcp2's timestamps. */
uint64_t quic_now_ns(void);

/*
 * quic_tx.c: write until ngtcp2 has nothing more, in GSO batches (0, or
 * -errno / an ngtcp2 error); send len bytes of packets of gso bytes each
 * (-EAGAIN: kept for POLLOUT by the caller).
 */
/*
 * Packets are at most ngtcp2's default size (1452) until the handshake is done:
 * the client's Initial is padded to the size it is written at, and the server's
 * shared port reads datagrams of up to 2 KiB.
 */
#define QC_HANDSHAKE_PKT 1452u

int quic_tx(struct quic_conn *c, uint64_t now, uint64_t *next);
int quic_send_batch(struct quic_conn *c, const uint8_t *buf, size_t len, size_t gso);

/* The connection fails with err and a reason (the first one stays). */
void quic_conn_fail(struct quic_conn *c, int err, const char *fmt, const char *arg);

#endif
