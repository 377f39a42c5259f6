// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the client's side of the MTU probe
 * (control/mtuprobe.c mtuprobe_run): everything a server sends back to the
 * prober's UDP socket is read and matched there (reply_match, await).
 *
 * The prober runs against a responder on the other end of a loopback UDP
 * pair, answering synchronously: the harness is linked with
 * -Wl,--wrap=send, so each datagram the prober sends is answered before its
 * send() returns, and no thread or timing decides the result. For each, the
 * next input byte is an action: answer with the real responder
 * (mtuprobe_respond), drop it, answer with one header byte changed, with a
 * stale or foreign seq, with another declared size, twice, with a local-limit
 * ack, or with a datagram of raw input bytes. When the input runs out the
 * answers are honest; a dropped attempt costs the 1 ms reply timeout.
 *
 * The result must be well formed whatever came back: sizes ascending and
 * unique, verdicts and counts in range, each maximum a size that passed in
 * that direction and the path MTU derived from it; with honest answers only,
 * both directions reach loopback's 65507 bytes.
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

enum action {
	ACT_HONEST,
	ACT_DROP,
	ACT_FLIP,  /* the real answer with one byte changed: 2 argument bytes */
	ACT_STALE, /* the real answer with seq moved: 1 argument byte */
	ACT_TWICE, /* the real answer, twice */
	ACT_LIMIT, /* an ack flagged local-limit, whatever was asked */
	ACT_RAW,   /* a datagram of raw input bytes: 1 length byte, then the bytes */
	ACT_SIZE,  /* the real answer declaring another size: 2 argument bytes */
	ACT__COUNT
};

struct responder {
	int prober, fd; /* the prober's socket and ours; -1 between inputs */
	const uint8_t *in;
	size_t len, off;
	bool honest; /* every answer so far was the real responder's */
	unsigned char rx[BUF_LEN], tx[BUF_LEN];
};

static struct responder r = {.prober = -1, .fd = -1};

static int next_byte(void)
{
	return r.off < r.len ? r.in[r.off++] : -1;
}

/* The real responder's answer to req, captured on a second pair. */
static ssize_t real_answer(const unsigned char *req, size_t n, unsigned char *out)
{
	static int a = -1, b = -1;

	if (a < 0 && xt_udp_pair(&a, &b))
		fuzz_fail("cannot make a loopback UDP pair");
	while (recv(a, out, BUF_LEN, MSG_DONTWAIT) >= 0)
		;
	if (mtuprobe_respond(b, req, n) < 0)
		fuzz_fail("the responder gave up its socket");
	return recv(a, out, BUF_LEN, MSG_DONTWAIT);
}

static void answer_raw(void)
{
	int x = next_byte();
	size_t len = x < 0 ? 0 : (size_t)x;

	if (len > r.len - r.off)
		len = r.len - r.off;
	send(r.fd, r.in + r.off, len, MSG_DONTWAIT);
	r.off += len;
}

/* The real answer, changed as the action says. */
static void answer_changed(int act, size_t n)
{
	ssize_t len = real_answer(r.rx, n, r.tx);
	int x, y;

	if (len < XFR_PROBE_HDR_LEN)
		return;
	switch (act) {
	case ACT_FLIP:
		x = next_byte();
		y = next_byte();
		r.tx[(x < 0 ? 0 : x) % XFR_PROBE_HDR_LEN] ^= (unsigned char)(y < 0 ? 1 : y);
		break;
	case ACT_STALE:
		x = next_byte();
		wire_put_be32(r.tx + 8, wire_get_be32(r.tx + 8) - (uint32_t)(x < 0 ? 1 : x - 128));
		break;
	case ACT_TWICE:
		send(r.fd, r.tx, (size_t)len, MSG_DONTWAIT);
		break;
	case ACT_LIMIT:
		r.tx[5] = XFR_PROBE_KIND_ACK;
		wire_put_be16(r.tx + 6, MTUPROBE_FLAG_LOCAL_LIMIT);
		len = XFR_PROBE_HDR_LEN;
		break;
	case ACT_SIZE:
		x = next_byte();
		y = next_byte();
		wire_put_be16(r.tx + 12, (uint16_t)((x < 0 ? 0 : x) << 8 | (y < 0 ? 0 : y)));
		break;
	}
	send(r.fd, r.tx, (size_t)len, MSG_DONTWAIT);
}

/* One datagram from the prober, n bytes in r.rx. */
static void respond_one(size_t n)
{
	int act = next_byte();

	if (act < 0 || act % ACT__COUNT == ACT_HONEST) {
		mtuprobe_respond(r.fd, r.rx, n);
		return;
	}
	r.honest = false;
	act %= ACT__COUNT;
	if (act == ACT_RAW)
		answer_raw();
	else if (act != ACT_DROP)
		answer_changed(act, n);
}

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);

/* Every send() of the binary (-Wl,--wrap=send): the prober's are answered at once. */
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n = __real_send(fd, buf, len, flags), got;

	if (n < 0 || fd != r.prober || r.fd < 0)
		return n;
	got = recv(r.fd, r.rx, sizeof(r.rx), MSG_DONTWAIT | MSG_TRUNC);
	if (got >= 0)
		respond_one((size_t)got < sizeof(r.rx) ? (size_t)got : sizeof(r.rx));
	return n;
}

static bool passed(const struct xfr_mtu_result *o, uint32_t payload, bool reverse)
{
	for (uint32_t i = 0; i < o->nsizes; i++)
		if (o->sizes[i].payload == payload)
			return (reverse ? o->sizes[i].reverse : o->sizes[i].forward) ==
			       XFR_MTU_PASS;
	return false;
}

static bool verdict_ok(enum xfr_mtu_verdict v, uint32_t ok, uint32_t attempts)
{
	switch (v) {
	case XFR_MTU_UNTESTED:
	case XFR_MTU_LOCAL_LIMIT:
		return ok == 0;
	case XFR_MTU_FAIL:
		return ok == 0;
	case XFR_MTU_PASS:
		return ok >= 1 && ok <= attempts;
	}
	return false;
}

static void check(const struct xfr_mtu_result *o, bool honest)
{
	fuzz_assert(o->nsizes <= sizeof(o->sizes) / sizeof(o->sizes[0]), "nsizes past the array");
	for (uint32_t i = 0; i < o->nsizes; i++) {
		const struct xfr_mtu_size *s = &o->sizes[i];

		fuzz_assert(!i || o->sizes[i - 1].payload < s->payload,
			    "sizes not ascending and unique");
		fuzz_assert(s->payload >= XFR_PROBE_HDR_LEN && s->payload <= XFR_UDP_MAX_PAYLOAD,
			    "a size outside 16..65507");
		fuzz_assert(s->attempts == MTUPROBE_ATTEMPTS, "attempts");
		fuzz_assert(verdict_ok(s->forward, s->forward_ok, s->attempts) &&
				    verdict_ok(s->reverse, s->reverse_ok, s->attempts),
			    "a verdict and its answered count disagree");
	}
	fuzz_assert(!o->forward_max_payload || passed(o, o->forward_max_payload, false),
		    "forward maximum is not a size that passed forward");
	fuzz_assert(!o->reverse_max_payload || passed(o, o->reverse_max_payload, true),
		    "reverse maximum is not a size that passed in reverse");
	fuzz_assert(o->forward_path_mtu ==
				    (o->forward_max_payload ? o->forward_max_payload + 28 : 0) &&
			    o->reverse_path_mtu ==
				    (o->reverse_max_payload ? o->reverse_max_payload + 28 : 0),
		    "path MTU is not the maximum payload + IPv4/UDP headers");
	if (honest)
		fuzz_assert(o->forward_max_payload == XFR_UDP_MAX_PAYLOAD &&
				    o->reverse_max_payload == XFR_UDP_MAX_PAYLOAD,
			    "honest loopback answers did not reach 65507 both ways");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xfr_mtu_result out;
	int err;

	if (size > 4096)
		return -1;
	if (xt_udp_pair(&r.prober, &r.fd))
		fuzz_fail("cannot make a loopback UDP pair");
	r.in = data;
	r.len = size;
	r.off = 0;
	r.honest = true;
	err = mtuprobe_run(r.prober, false, -1, 1, &out);
	close(r.prober);
	close(r.fd);
	r.prober = r.fd = -1;
	fuzz_assert(err == 0, "the probe failed on a working socket");
	check(&out, r.honest);
	return 0;
}
