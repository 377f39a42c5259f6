// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the protected-frame decoder (control/pframe.h) and
 * the control connection's protected path (control/ctrl.c next_frame): what
 * an attacker on the path, or a peer past authentication, can put where a
 * frame is due.
 *
 * Input: byte 0 picks the expected sequence number (0..3) and whether the
 * input is taken as one raw payload (pframe_open) or as a stream fed
 * through a socketpair into ctrl_next_msg. The rest is the bytes. A valid
 * sealed frame is also built from the input and must open to the same bytes.
 *
 * Must hold: no crash or sanitizer report; a payload that is not a frame
 * this key sealed with the expected number never opens; the counter moves
 * only on success; ctrl_next_msg ends with a message, "need more" or one
 * error with a reason, never a read past the buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/auth.h"
#include "control/ctrl.h"
#include "control/pframe.h"
#include "fuzz/fuzz.h"

static const unsigned char key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
				      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
				      23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void open_raw(const uint8_t *d, size_t n, uint64_t seq)
{
	unsigned char *pt = malloc(n + 1);
	struct pframe p;
	size_t ptlen = 0;
	char why[160];
	int rc;

	if (!pt)
		return;
	pframe_init(&p, key, PFRAME_C2S);
	p.seq = seq;
	rc = pframe_open(&p, d, n, pt, &ptlen, why, sizeof(why));
	fuzz_assert(rc == 0 || rc == -EBADMSG, "pframe_open: unexpected return");
	fuzz_assert(rc ? p.seq == seq : p.seq == seq + 1, "the counter moved on failure");
	fuzz_assert(rc || ptlen + PFRAME_OVERHEAD == n, "plaintext length");
	fuzz_assert(!rc || why[0], "a failure without a reason");
	free(pt);
}

/* What we seal opens to the same bytes, once, and not with the other direction. */
static void round_trip(const uint8_t *d, size_t n)
{
	struct pframe tx, rx, other;
	unsigned char *f, *pt = malloc(n + 1);
	size_t flen, ptlen;
	uint32_t len;
	char why[160];

	if (!pt)
		return;
	pframe_init(&tx, key, PFRAME_S2C);
	pframe_init(&rx, key, PFRAME_S2C);
	pframe_init(&other, key, PFRAME_C2S);
	if (pframe_seal(&tx, d, n, &f, &flen)) {
		free(pt);
		return;
	}
	fuzz_assert(pframe_length(f, &len, why, sizeof(why)) == 0 && len + 4 == flen, "length");
	fuzz_assert(pframe_open(&other, f + 4, len, pt, &ptlen, why, sizeof(why)) == -EBADMSG,
		    "opened with the other direction");
	fuzz_assert(pframe_open(&rx, f + 4, len, pt, &ptlen, why, sizeof(why)) == 0, "round trip");
	fuzz_assert(ptlen == n && !memcmp(pt, d, n), "round trip changed the bytes");
	fuzz_assert(pframe_open(&rx, f + 4, len, pt, &ptlen, why, sizeof(why)) == -EBADMSG,
		    "a replay opened");
	free(f);
	free(pt);
}

/* The bytes as a control connection receives them after the switch. */
static void through_ctrl(const uint8_t *d, size_t n, uint64_t seq)
{
	struct auth_keys k = {{0}};
	struct ctrl_conn c;
	struct proto_msg m;
	char err[PROTO_TEXT_MAX];
	int sv[2], rc = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		fuzz_fail("socketpair");
	if (n && send(sv[0], d, n, MSG_NOSIGNAL) != (ssize_t)n) {
		close(sv[0]);
		close(sv[1]);
		return; /* over the socket buffer: not what this harness is about */
	}
	close(sv[0]);
	memcpy(k.c2s, key, 32);
	if (ctrl_init(&c, sv[1]) || ctrl_protect(&c, &k, true))
		fuzz_fail("ctrl set-up");
	c.rx->seq = seq;
	for (int i = 0; i < 64 && rc >= 0; i++) {
		ctrl_fill(&c);
		while ((rc = ctrl_next_msg(&c, &m, err, sizeof(err))) == 1)
			proto_msg_free(&m);
		fuzz_assert(rc >= 0 || err[0], "an error without a reason");
		if (c.eof)
			break;
	}
	ctrl_close(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seq;

	if (size < 1 || size > 128 * 1024)
		return -1;
	seq = data[0] & 3;
	if (data[0] & 4)
		through_ctrl(data + 1, size - 1, seq);
	else
		open_raw(data + 1, size - 1, seq);
	round_trip(data + 1, size - 1);
	return 0;
}
