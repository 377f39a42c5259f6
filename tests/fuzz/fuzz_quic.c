// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the QUIC engine's server accept path (quic/quic_conn.c
 * rx_one): what a hostile client can put on a stream's UDP socket before and
 * during the handshake. The input is a run of datagrams, each a 2-byte
 * big-endian length and its bytes, handed to one server connection 1 ms
 * apart; the connection (ngtcp2 and its TLS session) is forgotten after each
 * input, so memory stays bounded and inputs do not depend on each other.
 * Properties: no crash, no sanitizer report, no assert (ngtcp2's included),
 * and a connection that ends says why.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "fuzz/fuzz_quic_cert.h"
#include "quic/engine_quic.h"
#include "quic/quic_tls.h"

static struct quic_eng *q;
static struct quic_conn *c;

static void addr(struct sockaddr_storage *ss, socklen_t *len, uint16_t port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*len = sizeof(*a);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quic_cert();
	q = calloc(1, sizeof(*q));
	fuzz_assert(q != NULL, "out of memory");
	q->p.proto = XFR_PROTO_QUIC;
	q->p.streams = 1;
	c = &q->conns[0];
	*c = (struct quic_conn){.eng = q,
				.server = true,
				.recv = true,
				.tx_sid = -1,
				.rx_sid = -1,
				.dir_send = XFR_FLOW_DOWN,
				.fd = -1,
				.wake_fd = -1};
	c->txbuf = malloc(64 * 1024 + 2048);
	fuzz_assert(c->txbuf != NULL, "out of memory");
	addr(&c->local, &c->local_len, 5201);
	addr(&c->remote, &c->remote_len, 40000);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = 1000000000ull;
	size_t off = 0;

	while (off + 2 <= size) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		int rv;

		off += 2;
		if (n > size - off)
			n = size - off;
		rv = quic_conn_feed(c, data + off, n, now);
		off += n;
		now += 1000000;
		if (rv < 0)
			fuzz_assert(c->why[0], "a connection ended without a reason");
		if (rv)
			break;
	}
	quic_conn_reset(c);
	return 0;
}
