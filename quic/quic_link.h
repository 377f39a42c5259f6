/* SPDX-License-Identifier: MIT */
/*
 * A QUIC test's one connection, as the reference lays it out (reference
 * §2.1): the client connects straight to the server's port over UDP, the
 * first client-initiated bidirectional stream (id 0) carries the control
 * channel. Its bytes come out of a socketpair end (ctl_fd) that the control
 * code reads and writes as if it were the TCP control connection, so hello,
 * auth, protected framing, pause and cancel run unchanged over QUIC. The
 * connection has its own thread from open to close.
 */
#ifndef XFR_QUIC_QUIC_LINK_H
#define XFR_QUIC_QUIC_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

struct quic_link;

/*
 * Open the connection on udp_fd, a UDP socket connected to the peer (taken,
 * closed by quic_link_close()). p carries the QUIC options: quic_pin, quic_ca,
 * quic_name, quic_cc, udp_no_offload. The server passes the client's first
 * datagram, which the shared port read (first, first_len; copied). The client
 * returns once the handshake is through, or with the reason it failed in why.
 * *ctl_fd: the control channel's end, for the caller to read, write and close.
 * 0 or -errno.
 */
int quic_link_open(struct quic_link **out, int udp_fd, bool server, const struct engine_params *p,
		   const uint8_t *first, size_t first_len, int *ctl_fd, char *why, size_t whylen);

/*
 * As quic_link_open(), without the thread and without waiting for the
 * handshake: the caller drives quic_link_conn(l) with quic_conn_begin(),
 * quic_conn_turn() and quic_conn_end() (quic_conn.h), on its own clock
 * (tests/fuzz/fuzz_quic_link.c). quic_link_close() as for any link, after
 * quic_conn_end().
 */
int quic_link_open_driven(struct quic_link **out, int udp_fd, bool server,
			  const struct engine_params *p, const uint8_t *first, size_t first_len,
			  int *ctl_fd, char *why, size_t whylen);

/* The connection has ended (both ends closed the control stream, or it failed). */
bool quic_link_over(const struct quic_link *l);

/* Why the connection ended in error; "" if it did not. */
const char *quic_link_error(const struct quic_link *l);

/*
 * The owner drops the connection; once no engine holds it either, it closes
 * (CONNECTION_CLOSE if it is still open), its thread ends and it is freed.
 * An engine drops the reference quic_link_take() gave it the same way.
 */
void quic_link_close(struct quic_link *l);

/* The connection whose control channel end fd is, or NULL (fd is no QUIC control channel). */
struct quic_link *quic_link_of_fd(int fd);

/*
 * A descriptor standing for one data stream of a test on l, for the run core
 * to hand to the QUIC engine like a stream's socket. fd or -errno.
 */
int quic_link_token(struct quic_link *l);

/* The engine: the connection a token stands for (a reference held), or NULL (fd is a socket). */
struct quic_link *quic_link_take(int fd);

struct quic_conn;
struct quic_conn *quic_link_conn(struct quic_link *l);

#endif
