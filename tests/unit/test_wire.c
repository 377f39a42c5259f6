// SPDX-License-Identifier: MIT
/* Unit tests: UDP wire formats (common/wire.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "wire.h"

static void test_be_helpers(void **state)
{
	unsigned char b[8];

	(void)state;
	wire_put_be16(b, 0x1234);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[1], 0x34);
	assert_int_equal(wire_get_be16(b), 0x1234);
	wire_put_be32(b, 0xdeadbeef);
	assert_memory_equal(b, "\xde\xad\xbe\xef", 4);
	assert_int_equal(wire_get_be32(b), 0xdeadbeef);
	wire_put_be64(b, 0x0102030405060708ULL);
	assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(wire_get_be64(b), 0x0102030405060708ULL);
	wire_put_be64(b, UINT64_MAX);
	assert_int_equal(wire_get_be64(b), UINT64_MAX);
}

static void test_data_header(void **state)
{
	unsigned char b[XFR_UDP_HDR_LEN + 4];

	(void)state;
	memset(b, 0xaa, sizeof(b));
	wire_data_put(b, 0x0000000100000002ULL, 1500000);
	assert_memory_equal(b, "\x00\x00\x00\x01\x00\x00\x00\x02", 8);
	assert_memory_equal(b + 8, "\x00\x00\x00\x00\x00\x16\xe3\x60", 8); /* 1 500 000 */
	assert_int_equal(b[16], 0xaa);					   /* payload untouched */
	assert_int_equal(wire_get_be64(b), 0x0000000100000002ULL);
	assert_int_equal(wire_get_be64(b + 8), 1500000);
}

static void test_feedback_layout(void **state)
{
	unsigned char b[XFR_FEEDBACK_LEN];
	struct wire_feedback f = {.stream_id = 0x0102,
				  .elapsed_ms = 0x1122334455667788ULL,
				  .packets_received = 1000,
				  .packets_lost = 7};
	struct wire_feedback g;
	static const unsigned char want[XFR_FEEDBACK_LEN] = {
		'X', 'F', 'R',	'F',  1,    1,	  0,	0,    0x01, 0x02,
		0,   0,	  0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* elapsed_ms at 12 */
		0,   0,	  0,	0,    0,    0,	  0x03, 0xe8,		  /* received at 20 */
		0,   0,	  0,	0,    0,    0,	  0,	7,		  /* lost at 28 */
	};

	(void)state;
	assert_int_equal(XFR_FEEDBACK_LEN, 36);
	memset(b, 0xee, sizeof(b));
	wire_feedback_put(b, &f);
	assert_memory_equal(b, want, sizeof(want));
	memset(&g, 0, sizeof(g));
	assert_int_equal(wire_feedback_get(b, sizeof(b), &g), 1);
	assert_int_equal(g.stream_id, 0x0102);
	assert_int_equal(g.elapsed_ms, 0x1122334455667788ULL);
	assert_int_equal(g.packets_received, 1000);
	assert_int_equal(g.packets_lost, 7);
}

static void test_feedback_rejects(void **state)
{
	unsigned char b[XFR_FEEDBACK_LEN + 1];
	struct wire_feedback f = {.stream_id = 3, .packets_received = 5};
	struct wire_feedback g = {.stream_id = 77};

	(void)state;
	wire_feedback_put(b, &f);
	assert_int_equal(wire_feedback_get(b, XFR_FEEDBACK_LEN - 1, &g), 0); /* short */
	assert_int_equal(wire_feedback_get(b, XFR_FEEDBACK_LEN + 1, &g), 0); /* long */
	assert_int_equal(wire_feedback_get(b, 16, &g), 0);		     /* a data header */
	b[3] = 'P';							     /* magic */
	assert_int_equal(wire_feedback_get(b, XFR_FEEDBACK_LEN, &g), 0);
	b[3] = 'F';
	b[4] = 2; /* version */
	assert_int_equal(wire_feedback_get(b, XFR_FEEDBACK_LEN, &g), 0);
	b[4] = 1;
	b[5] = 2; /* kind */
	assert_int_equal(wire_feedback_get(b, XFR_FEEDBACK_LEN, &g), 0);
	b[5] = 1;
	assert_int_equal(g.stream_id, 77); /* untouched by the rejects */
	assert_int_equal(wire_feedback_get(b, XFR_FEEDBACK_LEN, &g), 1);
	assert_int_equal(g.stream_id, 3);
}

static void test_hello_ack(void **state)
{
	unsigned char b[XFR_HELLO_LEN], tok[XFR_TOKEN_LEN], got[XFR_TOKEN_LEN];
	__u16 stream = 0;

	(void)state;
	for (int i = 0; i < XFR_TOKEN_LEN; i++)
		tok[i] = (unsigned char)(0xf0 + i);
	wire_hello_put(b, XFR_HELLO_KIND_HELLO, 0x0203, tok);
	assert_memory_equal(b, "\x00XFR\x01\x01\x02\x03", 8);
	assert_memory_equal(b + 8, tok, XFR_TOKEN_LEN);
	assert_int_equal(wire_hello_get(b, sizeof(b), XFR_HELLO_KIND_HELLO, &stream, got), 1);
	assert_int_equal(stream, 0x0203);
	assert_memory_equal(got, tok, XFR_TOKEN_LEN);
	/* A hello is not an ack. */
	assert_int_equal(wire_hello_get(b, sizeof(b), XFR_HELLO_KIND_ACK, &stream, got), 0);

	wire_hello_put(b, XFR_HELLO_KIND_ACK, 9, tok);
	assert_int_equal(b[5], 2);
	assert_int_equal(wire_hello_get(b, sizeof(b), XFR_HELLO_KIND_ACK, &stream, got), 1);
	assert_int_equal(stream, 9);
}

static void test_hello_rejects(void **state)
{
	unsigned char b[XFR_HELLO_LEN + 1] = {0}, tok[XFR_TOKEN_LEN] = {1, 2, 3};
	unsigned char got[XFR_TOKEN_LEN];
	__u16 stream = 55;

	(void)state;
	wire_hello_put(b, XFR_HELLO_KIND_HELLO, 1, tok);
	assert_int_equal(wire_hello_get(b, XFR_HELLO_LEN - 1, 1, &stream, got), 0);
	assert_int_equal(wire_hello_get(b, XFR_HELLO_LEN + 1, 1, &stream, got), 0);
	b[0] = 'X'; /* magic starts with a zero byte */
	assert_int_equal(wire_hello_get(b, XFR_HELLO_LEN, 1, &stream, got), 0);
	b[0] = 0;
	b[2] = 'f'; /* magic is case-sensitive */
	assert_int_equal(wire_hello_get(b, XFR_HELLO_LEN, 1, &stream, got), 0);
	b[2] = 'F';
	b[4] = 0; /* version */
	assert_int_equal(wire_hello_get(b, XFR_HELLO_LEN, 1, &stream, got), 0);
	b[4] = 1;
	b[5] = 3; /* kind */
	assert_int_equal(wire_hello_get(b, XFR_HELLO_LEN, 3 - 2, &stream, got), 0);
	assert_int_equal(stream, 55);
	b[5] = 1;
	assert_int_equal(wire_hello_get(b, XFR_HELLO_LEN, 1, &stream, got), 1);
	assert_int_equal(stream, 1);
}

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(XFR_UDP_HDR_LEN, 16);
	assert_int_equal(XFR_UDP_MAX_PAYLOAD, 65507);
	assert_int_equal(XFR_HELLO_LEN, 24);
	assert_int_equal(XFR_PROBE_HDR_LEN, 16);
	assert_int_equal(XFR_PROBE_KIND_PROBE, 1);
	assert_int_equal(XFR_PROBE_KIND_ACK, 2);
	assert_int_equal(XFR_PROBE_KIND_ECHO, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_be_helpers),	cmocka_unit_test(test_data_header),
		cmocka_unit_test(test_feedback_layout), cmocka_unit_test(test_feedback_rejects),
		cmocka_unit_test(test_hello_ack),	cmocka_unit_test(test_hello_rejects),
		cmocka_unit_test(test_constants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
