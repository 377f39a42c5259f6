// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the server's MTU probe responder
 * (control/mtuprobe.c mtuprobe_respond), the way session.c's on_probe runs
 * it: the input is one datagram a client sends to the stream's connected UDP
 * socket; the responder reads it there and answers through it.
 *
 * What must come back (docs/MTUPROBE.md): for a valid probe (kind 1, length
 * = declared size) one 16-byte ack with its seq and size; for a valid echo
 * request (kind 3, 16 bytes) one probe of the declared size with its seq and
 * zero padding, or an ack flagged local-limit; for anything else nothing. The
 * return value says whether it was a probe packet at all.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/mtuprobe.h"
#include "fuzz/fuzz.h"
#include "lib/xt.h"
#include "wire.h"

#define BUF_LEN 65536

static int client = -1, server = -1; /* a connected loopback UDP pair */
static unsigned char rx[BUF_LEN], reply[BUF_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (xt_udp_pair(&client, &server))
		fuzz_fail("cannot make a loopback UDP pair");
	return 0;
}

static void drain(int fd)
{
	while (recv(fd, rx, sizeof(rx), MSG_DONTWAIT) >= 0)
		;
}

/* The header of a reply: magic, version, kind, flags, seq, size, reserved 0. */
static void expect_hdr(const unsigned char *p, uint8_t kind, uint16_t flags, const uint8_t *req)
{
	fuzz_assert(!memcmp(p, "XFRP", 4) && p[4] == 1 && p[5] == kind, "reply kind");
	fuzz_assert(wire_get_be16(p + 6) == flags, "reply flags");
	fuzz_assert(!memcmp(p + 8, req + 8, 6), "reply seq or size is not the request's");
	fuzz_assert(!p[14] && !p[15], "reply reserved bytes");
}

static void check_reply(const uint8_t *d, size_t n, int rc)
{
	bool probe = n >= XFR_PROBE_HDR_LEN && !memcmp(d, "XFRP", 4) && d[4] == 1;
	uint16_t size = probe ? wire_get_be16(d + 12) : 0;
	bool sized = size >= XFR_PROBE_HDR_LEN && size <= XFR_UDP_MAX_PAYLOAD;
	bool is_probe = probe && sized && d[5] == XFR_PROBE_KIND_PROBE && n == size;
	bool is_echo = probe && sized && d[5] == XFR_PROBE_KIND_ECHO && n == XFR_PROBE_HDR_LEN;
	ssize_t got = recv(client, reply, sizeof(reply), MSG_DONTWAIT | MSG_TRUNC);

	fuzz_assert(rc == (probe ? 1 : 0), "return value is not 1 for probe packets, 0 otherwise");
	if (!is_probe && !is_echo) {
		fuzz_assert(got < 0, "an answer to a malformed probe or a non-probe");
		return;
	}
	fuzz_assert(got >= 0, "a valid probe or echo request went unanswered");
	if (is_probe) {
		fuzz_assert(got == XFR_PROBE_HDR_LEN, "an ack is not 16 bytes");
		expect_hdr(reply, XFR_PROBE_KIND_ACK, 0, d);
	} else if (got == XFR_PROBE_HDR_LEN && reply[5] == XFR_PROBE_KIND_ACK) {
		expect_hdr(reply, XFR_PROBE_KIND_ACK, MTUPROBE_FLAG_LOCAL_LIMIT, d);
	} else {
		fuzz_assert(got == size, "the echoed probe is not the declared size");
		expect_hdr(reply, XFR_PROBE_KIND_PROBE, 0, d);
		for (size_t i = XFR_PROBE_HDR_LEN; i < size; i++)
			fuzz_assert(!reply[i], "the echoed probe's padding is not zero");
	}
	fuzz_assert(recv(client, reply, sizeof(reply), MSG_DONTWAIT) < 0, "more than one answer");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ssize_t n;
	int rc;

	if (size > XFR_UDP_MAX_PAYLOAD)
		return -1; /* not a datagram: keep it out of the corpus */
	drain(client);
	drain(server);
	if (send(client, data, size, 0) != (ssize_t)size)
		fuzz_fail("send on loopback failed");
	n = recv(server, rx, sizeof(rx), MSG_DONTWAIT);
	fuzz_assert(n == (ssize_t)size, "the datagram did not arrive whole");
	rc = mtuprobe_respond(server, rx, (size_t)n);
	fuzz_assert(rc >= 0, "the responder gave up its socket");
	check_reply(data, size, rc);
	return 0;
}
