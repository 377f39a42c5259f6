/* SPDX-License-Identifier: MIT */
/*
 * The control stream of a QUIC test (reference §2.1): the first
 * client-initiated bidirectional stream (id 0) carries the control channel's
 * bytes, bridged to one end of a socketpair(AF_UNIX, SOCK_STREAM) whose other
 * end the client's control code and the server's session use as if it were
 * the TCP control connection. Bytes read from the socketpair are kept in a
 * ring until the peer acknowledges them (ngtcp2 points into it until then);
 * bytes of the stream wait in a buffer until the socketpair takes them, and
 * only then is the peer given credit back, so a slow reader throttles the
 * peer through QUIC flow control, not memory.
 */
#ifndef XFR_QUIC_QUIC_CTL_H
#define XFR_QUIC_QUIC_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ngtcp2/ngtcp2.h>

#define QUIC_CTL_RING (256u * 1024) /* our bytes not yet acknowledged, at most */
/*
 * The peer's bytes not yet taken, at most: what its flow control allows on a
 * bidirectional stream (the data streams of --bidir share those windows),
 * with auto-tuning. Allocated as it fills.
 */
#define QUIC_CTL_WINDOW (64u * 1024 * 1024)

struct quic_ctl {
	int fd;	     /* our end of the socketpair; -1 = no control stream */
	int64_t sid; /* stream 0 once opened (client) or accepted (server), else -1 */
	/* to the peer: [head, head + len) of the ring is unacknowledged, the first sent of it sent */
	uint8_t *ring;
	size_t head, len, sent;
	bool app_eof;  /* the socketpair said EOF: FIN after the ring's bytes */
	bool fin_sent; /* FIN handed to ngtcp2 */
	bool blocked;  /* stream flow control: wait for extend_max_stream_data */
	/* from the peer: bytes the socketpair did not take yet */
	uint8_t *in;
	size_t in_len, in_cap;
	bool peer_fin, shut; /* the peer's FIN; passed on as shutdown(SHUT_WR) */
	bool closed;	     /* ngtcp2 closed the stream, or the socketpair broke */
};

/*
 * Set up the bridge: *app_fd gets the end for the control code (non-blocking
 * is its business). 0 or -errno.
 */
int quic_ctl_init(struct quic_ctl *q, int *app_fd);
void quic_ctl_free(struct quic_ctl *q);

/* Read what the socketpair holds into the ring (while there is room). 0 or -errno. */
int quic_ctl_pull(struct quic_ctl *q);
/* The peer's stream bytes: to the socketpair, the rest kept. 0 or -ENOBUFS (beyond the window). */
int quic_ctl_recv(struct quic_ctl *q, const uint8_t *data, size_t len, bool fin);
/* Write kept bytes to the socketpair. Returns how many it took (credit to give back), or -errno. */
ssize_t quic_ctl_push(struct quic_ctl *q);
/* The peer acknowledged len more bytes (in order): they leave the ring. */
void quic_ctl_acked(struct quic_ctl *q, size_t len);

/* Unsent bytes as at most two vectors (the ring wraps); *fin: FIN goes with them. */
size_t quic_ctl_unsent(const struct quic_ctl *q, ngtcp2_vec v[2], bool *fin);
/* ngtcp2 took n of the unsent bytes (and the FIN if fin). */
void quic_ctl_sent(struct quic_ctl *q, size_t n, bool fin);
/* poll(2) events the bridge waits for on q->fd. */
short quic_ctl_events(const struct quic_ctl *q);

#endif
