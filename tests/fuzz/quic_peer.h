/* SPDX-License-Identifier: MIT */
/*
 * The other end of tests/fuzz/fuzz_quic_link.c: an ngtcp2 client in the
 * harness's process and the datagrams between it and the server connection
 * under test, in memory, on the harness's clock. The harness is linked with
 * -Wl,--wrap=clock_gettime,--wrap=sendmsg,--wrap=recvmsg: the server
 * connection's sendmsg/recvmsg on qp_srv_fd (a UDP socket no packet crosses)
 * become qp_to_cli / qp_to_srv, and while qp_fake is set on the harness's
 * thread its CLOCK_MONOTONIC is qp_now (libFuzzer's own threads keep real
 * time).
 */
#ifndef XFR_TESTS_FUZZ_QUIC_PEER_H
#define XFR_TESTS_FUZZ_QUIC_PEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#define QP_PKT_MAX   1452u
#define QP_QUEUE_MAX 512u	 /* datagrams in flight one way (a socket buffer's worth) */
#define QP_SENT_KEEP 32u	 /* the client's packets kept for mutation */
#define QP_STREAMS   160u	 /* streams the client may open (past what the server allows) */
#define QP_KEEP_MAX  (16u << 20) /* stream data the client writes per connection, at most */

struct qp_chunk;

struct qp_dgram {
	uint8_t *b;
	size_t n;
};

struct qp_queue {
	struct qp_dgram d[QP_QUEUE_MAX];
	size_t head, len;
};

struct qp_cli {
	ngtcp2_conn *conn;
	gnutls_session_t tls;
	ngtcp2_crypto_conn_ref ref;
	struct sockaddr_in local, remote;
	int64_t sids[QP_STREAMS + 1];
	uint32_t nsids;
	bool dead; /* closed, or ngtcp2 refused what the server sent */
	uint8_t sent[QP_SENT_KEEP][QP_PKT_MAX];
	size_t sent_len[QP_SENT_KEEP];
	uint32_t nsent;
	uint64_t rng;
	/* stream data handed to ngtcp2, which points into it until acknowledged */
	struct qp_chunk *kept;
	size_t kept_len;
};

extern __thread bool qp_fake; /* this thread, while the harness drives: the clock is qp_now */
extern uint64_t qp_now;
extern int qp_srv_fd; /* the server connection's socket; -1: none */
extern struct qp_queue qp_to_srv, qp_to_cli;
extern uint32_t qp_drop; /* the next datagrams toward the client are lost */
extern struct qp_cli qp_cl;

/* A copy of b into q (dropped when q is full, as a socket buffer drops). */
void qp_push(struct qp_queue *q, const uint8_t *b, size_t n);
/* The oldest datagram (the caller frees out->b), or false. */
bool qp_pop(struct qp_queue *q, struct qp_dgram *out);
void qp_clear(struct qp_queue *q);

/* The client: a new connection toward the server (its random numbers from seed), then freed. */
void qp_cli_new(uint64_t seed);
void qp_cli_free(void);
ngtcp2_path qp_cli_path(void);
/* A packet of the client: to the server, and kept for the mutation ops. */
void qp_cli_out(const uint8_t *b, size_t n);
/*
 * Write what the client has (sid -1: control frames, ACKs; else up to len
 * bytes of data on sid, FIN after them if fin). Bytes of data written.
 */
size_t qp_cli_write(int64_t sid, const uint8_t *data, size_t len, bool fin);
/* The server's datagrams into the client; its timers. */
void qp_cli_read(void);

#endif
