/* SPDX-License-Identifier: MIT */
/*
 * The data streams of a test's one QUIC connection (reference §2.1): upload =
 * the client opens one unidirectional stream per xfr stream; download = the
 * server does; --bidir = the client opens one bidirectional stream per xfr
 * stream and both ends send on it. Stream index i is the i-th stream of its
 * kind (client uni ids 2, 6, ...; server uni 3, 7, ...; client bidi 4, 8, ...,
 * 0 being control). Bytes the peer sends are counted per index from the
 * start, also before this side's engine attached (a download's server may
 * start first); sending needs an attached engine (its gate, budget, payload).
 */
#ifndef XFR_QUIC_QUIC_DATA_H
#define XFR_QUIC_QUIC_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include <ngtcp2/ngtcp2.h>

#include "engine/engine_rt.h"

struct quic_conn;
struct quic_eng;

struct quic_strm {
	bool send, recv; /* set on attach */
	enum xfr_flow_dir dir_send;
	int64_t tx_sid, rx_sid;
	bool tx_blocked, tx_fin, tx_done, rx_done;
	uint64_t pending; /* budget claimed, not yet written */
	uint64_t pace_t0, pace_sent, resume_gen;
	/* published (relaxed atomics) */
	uint64_t tx_bytes, rx_bytes, tx_calls, rx_calls, lost;
};

/* The peer opened sid (not stream 0). 0, or -1 with the reason in c. */
int quic_data_open_peer(struct quic_conn *c, int64_t sid);
/* The peer's bytes on sid: counted, credit back. 0, or -1 (a stream it did not open). */
int quic_data_recv(struct quic_conn *c, int64_t sid, size_t len, bool fin);
void quic_data_extend(struct quic_conn *c, int64_t sid);
void quic_data_closed(struct quic_conn *c, int64_t sid);

/*
 * The thread's turn: take an engine's attach or detach, open our streams, and
 * close a connection whose peer did not open every stream the test asked for
 * within the timeout (quic_conn_timeout_ns(), counted from the attach, time
 * paused not counted; *next: when that is due). 0, or -1 (c says why).
 */
int quic_data_turn(struct quic_conn *c, uint64_t now, uint64_t *next);
/* A packet with data of the next stream that may send; *tried false: none may. As write_one. */
ngtcp2_ssize quic_data_write(struct quic_conn *c, ngtcp2_path *path, uint8_t *buf, size_t max,
			     uint64_t now, uint64_t *next, bool *tried);
/* Per-stream loss counts into the published figures. */
void quic_data_publish(struct quic_conn *c);
/* The thread ends: an attached engine hears that its flows are over. */
void quic_data_exit(struct quic_conn *c);

#endif
