// SPDX-License-Identifier: MIT
/* Unit tests: frame templates and incremental checksums (user/base/frame.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/frame.h"
#include "wire.h"

static const uint32_t sizes[] = {16, 17, 18, 64, 100, 1001, 1472, 1452, 4000, 8952, 8972};

static void spec_init(struct frame_spec *s, int family, uint32_t payload_len)
{
	static const uint8_t v6s[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34};
	static const uint8_t v6d[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd};

	memset(s, 0, sizeof(*s));
	s->family = family;
	memcpy(s->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(s->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	if (family == AF_INET) {
		memcpy(s->saddr, "\xc0\xa8\x01\x0a", 4);
		memcpy(s->daddr, "\xc0\xa8\x01\xfe", 4);
	} else {
		memcpy(s->saddr, v6s, 16);
		memcpy(s->daddr, v6d, 16);
	}
	s->sport = 40000;
	s->dport = 5201;
	s->payload_len = payload_len;
	s->tos = -1;
}

/* Independent check: the ones-complement sum over pseudo header + UDP must be 0xffff. */
static void assert_udp_sums_to_ones(const uint8_t *f, int family, uint32_t l4_off)
{
	const uint8_t *udp = f + l4_off;
	uint32_t ulen = wire_get_be16(udp + 4), i;
	uint64_t sum = 17 + ulen;

	if (family == AF_INET)
		for (i = 0; i < 8; i += 2)
			sum += wire_get_be16(f + 26 + i);
	else
		for (i = 0; i < 32; i += 2)
			sum += wire_get_be16(f + 22 + i);
	for (i = 0; i + 1 < ulen; i += 2)
		sum += wire_get_be16(udp + i);
	if (ulen & 1)
		sum += (uint32_t)udp[ulen - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	assert_int_not_equal(wire_get_be16(udp + 6), 0);
}

static void check_ipv4(const struct frame_tmpl *t, uint32_t payload_len, uint8_t tos)
{
	const uint8_t *ip = t->buf + 14;
	uint64_t sum = 0;
	int i;

	assert_int_equal(wire_get_be16(t->buf + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], tos);
	assert_int_equal(wire_get_be16(ip + 2), 20 + 8 + payload_len);
	assert_int_equal(wire_get_be16(ip + 4), 0);	 /* id */
	assert_int_equal(wire_get_be16(ip + 6), 0x4000); /* DF */
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 17);
	for (i = 0; i < 20; i += 2)
		sum += wire_get_be16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	assert_int_equal(t->l4_off, 34);
}

static void check_ipv6(const struct frame_tmpl *t, uint32_t payload_len, uint8_t tos)
{
	const uint8_t *ip = t->buf + 14;

	assert_int_equal(wire_get_be16(t->buf + 12), 0x86dd);
	assert_int_equal(wire_get_be32(ip), 6u << 28 | (uint32_t)tos << 20);
	assert_int_equal(wire_get_be16(ip + 4), 8 + payload_len);
	assert_int_equal(ip[6], 17);
	assert_int_equal(ip[7], 64);
	assert_int_equal(t->l4_off, 54);
}

static void check_template(const struct frame_spec *s, const struct frame_tmpl *t)
{
	uint32_t end = t->l4_off + 8 + s->payload_len, i;
	const uint8_t *udp = t->buf + t->l4_off;
	uint8_t tos = s->tos < 0 ? 0 : (uint8_t)s->tos;

	assert_memory_equal(t->buf, s->dst_mac, 6);
	assert_memory_equal(t->buf + 6, s->src_mac, 6);
	if (s->family == AF_INET)
		check_ipv4(t, s->payload_len, tos);
	else
		check_ipv6(t, s->payload_len, tos);
	assert_int_equal(t->data_off, t->l4_off + 8);
	assert_int_equal(wire_get_be16(udp), s->sport);
	assert_int_equal(wire_get_be16(udp + 2), s->dport);
	assert_int_equal(wire_get_be16(udp + 4), 8 + s->payload_len);
	assert_int_equal(wire_get_be64(t->buf + t->data_off), 0);
	assert_int_equal(wire_get_be64(t->buf + t->data_off + 8), 0);
	assert_int_equal(t->len, end < FRAME_MIN ? FRAME_MIN : end);
	for (i = end; i < t->len; i++)
		assert_int_equal(t->buf[i], 0);
	assert_memory_equal(&t->csum0, udp + 6, 2);
	assert_int_equal(frame_udp_csum(t->buf, t->len), t->csum0);
	assert_udp_sums_to_ones(t->buf, s->family, t->l4_off);
}

static void build_sizes(int family, bool zeros, int tos)
{
	struct frame_tmpl *t = malloc(sizeof(*t));
	struct frame_spec s;
	size_t i;

	assert_non_null(t);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		spec_init(&s, family, sizes[i]);
		s.zeros = zeros;
		s.tos = tos;
		assert_int_equal(frame_build(&s, t), 0);
		check_template(&s, t);
	}
	free(t);
}

static void test_build_ipv4(void **state)
{
	(void)state;
	build_sizes(AF_INET, true, -1);
	build_sizes(AF_INET, false, 0xb8);
}

static void test_build_ipv6(void **state)
{
	(void)state;
	build_sizes(AF_INET6, true, 0x20);
	build_sizes(AF_INET6, false, -1);
}

/* Random payload: fixed per template, not all zeros; zeros really zero. */
static void test_payload_fill(void **state)
{
	static struct frame_tmpl a, b;
	struct frame_spec s;
	uint32_t i, nonzero = 0;

	(void)state;
	spec_init(&s, AF_INET, 1000);
	assert_int_equal(frame_build(&s, &a), 0);
	assert_int_equal(frame_build(&s, &b), 0);
	assert_memory_equal(a.buf, b.buf, a.len);
	for (i = a.data_off + 16; i < a.len; i++)
		nonzero += a.buf[i] != 0;
	assert_true(nonzero > 900);
	s.zeros = true;
	assert_int_equal(frame_build(&s, &a), 0);
	for (i = a.data_off + 16; i < a.len; i++)
		assert_int_equal(a.buf[i], 0);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Stamps random values into one reused buffer, like live frames reusing their page. */
static void stamp_many(int family, uint32_t payload_len, bool zeros, uint64_t seed)
{
	static struct frame_tmpl t;
	static uint8_t f[FRAME_MAX];
	struct frame_spec s;
	uint64_t x = seed, seq, ts;
	uint16_t c;
	int i;

	spec_init(&s, family, payload_len);
	s.zeros = zeros;
	assert_int_equal(frame_build(&s, &t), 0);
	memcpy(f, t.buf, t.len);
	for (i = 0; i < 20000; i++) {
		seq = xorshift(&x);
		ts = xorshift(&x);
		if (i % 5 == 0) /* realistic small values too */
			seq >>= 40, ts >>= 36;
		frame_stamp(&t, f, seq, ts);
		assert_int_equal(wire_get_be64(f + t.data_off), seq);
		assert_int_equal(wire_get_be64(f + t.data_off + 8), ts);
		memcpy(&c, f + t.l4_off + 6, 2);
		assert_int_equal(frame_udp_csum(f, t.len), c);
		assert_udp_sums_to_ones(f, family, t.l4_off);
	}
	frame_stamp(&t, f, 0, 0); /* back to the template */
	assert_memory_equal(f, t.buf, t.len);
}

static void test_stamp_random(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		stamp_many(AF_INET, sizes[i], i & 1, 0x1234567 + i);
		stamp_many(AF_INET6, sizes[i], !(i & 1), 0x7654321 + i);
	}
	stamp_many(AF_INET, 8972, false, 99);
	stamp_many(AF_INET6, 8952, true, 98);
}

/*
 * Stamps that make the true checksum 0 must give 0xffff. Search a seq whose
 * stamp makes the sum come out 0 (the ts word solves it directly).
 */
static void test_stamp_zero_result(void **state)
{
	static struct frame_tmpl t;
	static uint8_t f[FRAME_MAX];
	struct frame_spec s;
	uint32_t w;
	uint16_t c0;

	(void)state;
	spec_init(&s, AF_INET, 64);
	s.zeros = true;
	assert_int_equal(frame_build(&s, &t), 0);
	memcpy(f, t.buf, t.len);
	/* Checksum 0 <=> sum 0xffff: add the word ~(~csum0) = csum0 itself as ts's last word. */
	c0 = wire_get_be16((const uint8_t *)&t.csum0);
	w = c0;
	frame_stamp(&t, f, 0, w);
	assert_int_equal(wire_get_be16(f + t.l4_off + 6), 0xffff);
	assert_int_equal(frame_udp_csum(f, t.len), 0xffff);
	assert_udp_sums_to_ones(f, AF_INET, t.l4_off);
}

static void test_bad_specs(void **state)
{
	static struct frame_tmpl t;
	struct frame_spec s;

	(void)state;
	spec_init(&s, AF_UNIX, 64);
	assert_int_equal(frame_build(&s, &t), -EINVAL);
	spec_init(&s, AF_INET, 15);
	assert_int_equal(frame_build(&s, &t), -EINVAL);
	spec_init(&s, AF_INET6, 0);
	assert_int_equal(frame_build(&s, &t), -EINVAL);
	spec_init(&s, AF_INET, FRAME_MAX - 14 - 20 - 8 + 1);
	assert_int_equal(frame_build(&s, &t), -EINVAL);
	spec_init(&s, AF_INET, FRAME_MAX - 14 - 20 - 8);
	assert_int_equal(frame_build(&s, &t), 0);
	assert_int_equal(t.len, FRAME_MAX);
	spec_init(&s, AF_INET6, FRAME_MAX - 14 - 40 - 8 + 1);
	assert_int_equal(frame_build(&s, &t), -EINVAL);
	spec_init(&s, AF_INET, UINT32_MAX);
	assert_int_equal(frame_build(&s, &t), -EINVAL);
	spec_init(&s, AF_INET, 64);
	s.tos = 256;
	assert_int_equal(frame_build(&s, &t), -EINVAL);
	s.tos = -2;
	assert_int_equal(frame_build(&s, &t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_ipv4),	  cmocka_unit_test(test_build_ipv6),
		cmocka_unit_test(test_payload_fill),	  cmocka_unit_test(test_stamp_random),
		cmocka_unit_test(test_stamp_zero_result), cmocka_unit_test(test_bad_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
