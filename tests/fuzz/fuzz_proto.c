// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the control protocol codec. Any input must decode
 * without crashing; whatever decodes must encode, and the encoding must decode
 * again to the same encoding (the codec is a fixed point after one pass).
 *
 * clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icommon -Iuser \
 *	tests/fuzz/fuzz_proto.c user/control/proto*.c user/base/config.c -ljansson -o fuzz_proto
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/proto.h"

/* Messages are ~50 KiB; keep them off the stack. */
static struct proto_msg m1, m2;

static void fail(const char *why)
{
	(void)why;
	__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PROTO_TEXT_MAX], *a, *b;
	size_t na, nb;

	if (proto_decode((const char *)data, size, &m1, err, sizeof(err))) {
		if (!err[0] || strlen(err) >= sizeof(err))
			fail("error without a message");
		return 0;
	}
	a = proto_encode(&m1, &na);
	proto_msg_free(&m1);
	if (!a) {
		if (errno != EMSGSIZE) /* a huge server_output may not fit a line */
			fail("decoded message does not encode");
		return 0;
	}
	if (na != strlen(a) || a[na - 1] != '\n' || memchr(a, '\n', na - 1))
		fail("encoding is not one line");
	if (proto_decode(a, na - 1, &m2, err, sizeof(err)))
		fail("our own encoding does not decode");
	b = proto_encode(&m2, &nb);
	proto_msg_free(&m2);
	if (!b || nb != na || memcmp(a, b, na))
		fail("round trip changed the encoding");
	free(a);
	free(b);
	return 0;
}
