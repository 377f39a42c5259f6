// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the UDP data plane's parsers (common/wire.h): the
 * 16-byte data header, the 24-byte single-port hello/ack, the 36-byte XFRF
 * feedback and the MTU probe's magic, and the sequence tracker they feed.
 *
 * The input is a run of datagrams, each a 2-byte big-endian length and its
 * bytes. Each one goes through every parser, which must accept exactly what
 * the layout in wire.h describes and give back the same bytes when the fields
 * are written again; then it is classified the way the socket engine's
 * receiver does (engine_sock_udp.c rx_datagram: feedback, late hello, too
 * short, else data) and data goes to a seqtrack whose counts must stay sane.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "control/mtuprobe.h"
#include "engine/sock/seqtrack.h"
#include "fuzz/fuzz.h"
#include "wire.h"

static const unsigned char hello_magic[4] = {0, 'X', 'F', 'R'};

/* The feedback parser: all of the layout, nothing else. */
static bool check_feedback(const unsigned char *p, uint32_t n)
{
	bool want = n == XFR_FEEDBACK_LEN && !memcmp(p, "XFRF", 4) && p[4] == 1 && p[5] == 1;
	unsigned char back[XFR_FEEDBACK_LEN];
	struct wire_feedback fb;
	int got = wire_feedback_get(p, n, &fb);

	if (got != want)
		fuzz_fail("feedback accepted or refused against its layout");
	if (!got)
		return false;
	/* flags (6..8) and reserved (10..12) are ignored on input, written as 0 */
	wire_feedback_put(back, &fb);
	if (memcmp(back, p, 6) || memcmp(back + 8, p + 8, 2) ||
	    memcmp(back + 12, p + 12, XFR_FEEDBACK_LEN - 12) ||
	    back[6] | back[7] | back[10] | back[11])
		fuzz_fail("feedback does not write back as it was read");
	return true;
}

/* The hello/ack parser, both kinds: every byte is a field, so it round-trips exactly. */
static void check_hello(const unsigned char *p, uint32_t n)
{
	for (unsigned char kind = XFR_HELLO_KIND_HELLO; kind <= XFR_HELLO_KIND_ACK; kind++) {
		bool want = n == XFR_HELLO_LEN && !memcmp(p, hello_magic, 4) && p[4] == 1 &&
			    p[5] == kind;
		unsigned char token[XFR_TOKEN_LEN], back[XFR_HELLO_LEN];
		uint16_t stream;
		int got = wire_hello_get(p, n, kind, &stream, token);

		if (got != want)
			fuzz_fail("hello accepted or refused against its layout");
		if (!got)
			continue;
		wire_hello_put(back, kind, stream, token);
		if (memcmp(back, p, XFR_HELLO_LEN))
			fuzz_fail("hello does not write back as it was read");
	}
}

static void check_data_header(const unsigned char *p, uint32_t n)
{
	unsigned char back[XFR_UDP_HDR_LEN];

	if (n < XFR_UDP_HDR_LEN)
		return;
	wire_data_put(back, wire_get_be64(p), wire_get_be64(p + 8));
	if (memcmp(back, p, XFR_UDP_HDR_LEN))
		fuzz_fail("data header does not write back as it was read");
	if (wire_get_be32(p) != (uint32_t)(wire_get_be64(p) >> 32) ||
	    wire_get_be16(p + 6) != (uint16_t)wire_get_be64(p))
		fuzz_fail("be16/be32/be64 readers disagree");
}

static void check_probe_magic(const unsigned char *p, uint32_t n)
{
	bool want = n >= XFR_PROBE_HDR_LEN && !memcmp(p, "XFRP", 4) && p[4] == 1;

	if (mtuprobe_is_probe(p, n) != want)
		fuzz_fail("probe magic accepted or refused against its layout");
}

/* After every datagram: what the tracker says must add up. */
static void check_track(const struct seqtrack *t, uint64_t data)
{
	if (t->received + t->duplicates + t->implausible != data)
		fuzz_fail("data datagrams lost by the tracker's own counts");
	if (t->out_of_order > t->received)
		fuzz_fail("more out of order than received");
	if (!isfinite(t->jitter_us) || t->jitter_us < 0 || t->jitter_max_us < t->jitter_us)
		fuzz_fail("jitter not a finite non-negative value under its max");
	if (seqtrack_tail_loss(t, t->received + t->lost + 1000) != 1000 ||
	    seqtrack_tail_loss(t, t->received) != 0)
		fuzz_fail("tail loss is not what the sender sent beyond received + lost");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seqtrack st;
	uint64_t ndata = 0, now_us = 0;
	size_t off = 0;

	seqtrack_init(&st);
	while (off + 2 <= size) {
		uint32_t n = wire_get_be16(data + off);
		const unsigned char *p = data + off + 2;

		off += 2;
		if (n > size - off)
			n = (uint32_t)(size - off);
		off += n;

		check_hello(p, n);
		check_data_header(p, n);
		check_probe_magic(p, n);
		/* the receiver's order: feedback, a late hello, too short, data */
		if (check_feedback(p, n))
			continue;
		if ((n == XFR_HELLO_LEN || n == XFR_HELLO_LEN + 16) && !memcmp(p, hello_magic, 4))
			continue; /* the 24 bytes, or udp_auth_v1's 40 with the tag */
		if (n < XFR_UDP_HDR_LEN)
			continue;
		/* a receive clock that moves on by the first payload byte (or 1) */
		now_us += n > XFR_UDP_HDR_LEN ? p[XFR_UDP_HDR_LEN] : 1;
		seqtrack_push(&st, wire_get_be64(p), wire_get_be64(p + 8), now_us);
		check_track(&st, ++ndata);
	}
	return 0;
}
