// SPDX-License-Identifier: MIT
/* Control protocol codec: reference vectors, round trips, hostile input (catalogue §3.1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/proto.h"

static struct proto_msg m1, m2;
static char err[PROTO_TEXT_MAX];

static int dec(const char *line)
{
	err[0] = '\0';
	return proto_decode(line, strlen(line), &m1, err, sizeof(err));
}

static void expect_ok(const char *line)
{
	int rc = dec(line);

	if (rc)
		print_error("unexpected error for %s: %s\n", line, err);
	assert_int_equal(rc, 0);
}

static void expect_err(const char *line, const char *msg)
{
	assert_int_equal(dec(line), -EINVAL);
	assert_string_equal(err, msg);
}

/* encode -> decode -> encode gives the same line. */
static void assert_round_trip(const struct proto_msg *m)
{
	size_t n1, n2;
	char *a = proto_encode(m, &n1), *b;

	assert_non_null(a);
	assert_int_equal(n1, strlen(a));
	assert_int_equal(a[n1 - 1], '\n');
	assert_null(memchr(a, '\n', n1 - 1));
	assert_int_equal(proto_decode(a, n1 - 1, &m2, err, sizeof(err)), 0);
	assert_int_equal(m2.type, m->type);
	b = proto_encode(&m2, &n2);
	assert_non_null(b);
	assert_string_equal(a, b);
	proto_msg_free(&m2);
	free(a);
	free(b);
}

/* The reference's own example lines decode and re-encode byte for byte. */
static void assert_identical(const char *line)
{
	size_t n;
	char *out;

	expect_ok(line);
	out = proto_encode(&m1, &n);
	assert_non_null(out);
	assert_int_equal(n, strlen(line) + 1);
	assert_memory_equal(out, line, n - 1);
	free(out);
}

static void test_reference_vectors(void **state)
{
	(void)state;
	assert_identical("{\"type\":\"hello\",\"version\":\"1.1\",\"client\":\"xfr/0.9.25\","
			 "\"capabilities\":[\"tcp\",\"udp\",\"quic\",\"multistream\","
			 "\"single_port_tcp\",\"pause_resume\",\"udp_feedback_v1\",\"zerocopy_v1\","
			 "\"mtu_probe_v1\",\"single_port_udp_v1\",\"protected_control_v1\","
			 "\"byte_budget_v1\"]}");
	assert_int_equal(m1.type, MSG_HELLO);
	assert_string_equal(m1.hello.version, "1.1");
	assert_string_equal(m1.hello.software, "xfr/0.9.25");
	assert_false(m1.hello.from_server);
	assert_true(m1.hello.has_caps);
	assert_int_equal(m1.hello.caps, (1u << 12) - 1);

	assert_identical("{\"type\":\"test_start\",\"id\":\"x\",\"protocol\":\"tcp\",\"streams\":1,"
			 "\"duration_secs\":5,\"direction\":\"upload\"}");
	assert_int_equal(m1.type, MSG_TEST_START);
	assert_string_equal(m1.start.id, "x");
	assert_int_equal(m1.start.proto, XFR_PROTO_TCP);
	assert_int_equal(m1.start.streams, 1);
	assert_int_equal(m1.start.duration_secs, 5);
	assert_int_equal(m1.start.dir, XFR_DIR_UPLOAD);
	assert_false(m1.start.has_bitrate);
	assert_int_equal(m1.start.dscp, -1);
	assert_false(m1.start.has_window);
	assert_int_equal(m1.start.interval_ms, 0);

	assert_identical("{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[]}");
	assert_int_equal(m1.type, MSG_TEST_ACK);
	assert_int_equal(m1.ack.nports, 0);
	assert_string_equal(m1.ack.udp_token, "");

	assert_identical("{\"type\":\"data_hello\",\"test_id\":\"x\",\"stream_index\":0}");
	assert_int_equal(m1.type, MSG_DATA_HELLO);
	assert_string_equal(m1.data_hello.test_id, "x");
	assert_int_equal(m1.data_hello.stream_index, 0);
}

/* Every example line in docs/PROTOCOL.md re-encodes byte for byte. */
static void test_doc_examples(void **state)
{
	static const char
		*const lines[] =
			{
				"{\"type\":\"hello\",\"version\":\"1.1\",\"client\":\"xfr/0.9.25\",\"capabilities\":[\"tcp\",\"udp\",\"quic\",\"multistream\",\"single_port_tcp\",\"pause_resume\",\"udp_feedback_v1\",\"zerocopy_v1\",\"mtu_probe_v1\",\"single_port_udp_v1\",\"protected_control_v1\",\"byte_budget_v1\"]}",
				"{\"type\":\"hello\",\"version\":\"1.1\",\"server\":\"xfr/0.1.0\",\"capabilities\":[\"tcp\",\"multistream\",\"single_port_tcp\",\"pause_resume\",\"zerocopy_v1\",\"byte_budget_v1\",\"server_output_v1\",\"interval_ms_v1\",\"udp_auth_v1\"]}",
				"{\"type\":\"auth_response\",\"response\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}",
				"{\"type\":\"test_start\",\"id\":\"x\",\"protocol\":\"tcp\",\"streams\":1,\"duration_secs\":5,\"direction\":\"upload\"}",
				"{\"type\":\"test_start\",\"id\":\"0b6f6a52-3c1e-4d8a-9a51-2f0e7c1d9b44\",\"protocol\":\"tcp\",\"streams\":4,\"duration_secs\":10,\"direction\":\"bidir\",\"bitrate\":1000000000,\"congestion\":\"bbr\",\"dscp\":184,\"window_size\":4194304,\"tcp_nodelay\":true,\"interval_ms\":500,\"server_output\":true,\"length\":131072}",
				"{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[]}",
				"{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[40001,40002]}",
				"{\"type\":\"data_hello\",\"test_id\":\"x\",\"stream_index\":0}",
				"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1000,\"streams\":[{\"id\":0,\"bytes\":117440512,\"retransmits\":0,\"rtt_us\":48,\"cwnd\":10,\"cwnd_bytes\":655360}],\"aggregate\":{\"bytes\":117440512,\"throughput_mbps\":939.524096,\"retransmits\":0,\"rtt_us\":48,\"cwnd\":10}}",
				"{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1174405120,\"duration_ms\":10000,\"throughput_mbps\":939.524096,\"streams\":[{\"id\":0,\"bytes\":1174405120,\"throughput_mbps\":939.524096,\"retransmits\":0}],\"tcp_info\":{\"retransmits\":0,\"rtt_us\":48,\"rtt_var_us\":12,\"cwnd\":10}}",
				"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1000,\"streams\":[{\"id\":0,\"bytes\":1397200,\"jitter_ms\":0.012,\"lost\":2,\"bytes_sent\":0,\"bytes_received\":1397200,\"udp\":{\"packets_sent\":0,\"packets_received\":998,\"lost\":2,\"lost_percent\":0.2,\"jitter_ms\":0.012,\"jitter_max_ms\":0.05,\"out_of_order\":1,\"duplicates\":0,\"rcvbuf_drops\":0,\"send_errors\":0}}],\"aggregate\":{\"bytes\":1397200,\"throughput_mbps\":11.1776,\"jitter_ms\":0.012,\"lost\":2,\"udp_progress\":{\"packets_received\":998,\"packets_lost\":2}}}",
				"{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":13972000,\"duration_ms\":10000,\"throughput_mbps\":11.1776,\"streams\":[{\"id\":0,\"bytes\":13972000,\"throughput_mbps\":11.1776,\"jitter_ms\":0.012,\"lost\":20,\"bytes_sent\":0,\"bytes_received\":13972000,\"udp\":{\"packets_sent\":0,\"packets_received\":9980,\"lost\":20,\"lost_percent\":0.2,\"jitter_ms\":0.012,\"jitter_max_ms\":0.05,\"out_of_order\":3,\"duplicates\":0,\"rcvbuf_drops\":0,\"send_errors\":0}}],\"udp_stats\":{\"packets_sent\":10000,\"packets_received\":9980,\"lost\":20,\"lost_percent\":0.2,\"jitter_ms\":0.012,\"out_of_order\":3,\"jitter_max_ms\":0.05,\"packet_size\":1400}}",
				"{\"type\":\"cancel\",\"id\":\"x\",\"reason\":\"User requested cancellation\"}",
				"{\"type\":\"cancelled\",\"id\":\"x\"}",
				"{\"type\":\"finish\",\"id\":\"x\"}",
				"{\"type\":\"pause\",\"id\":\"x\"}",
				"{\"type\":\"resume\",\"id\":\"x\"}",
				"{\"type\":\"error\",\"message\":\"field streams: 0 out of range 1..128\"}",
				"{\"type\":\"error\",\"message\":\"unexpected message X in state S\"}",
				"{\"type\":\"test_start\",\"id\":\"x\",\"protocol\":\"udp\",\"streams\":1,\"duration_secs\":5,\"direction\":\"upload\",\"engine\":\"afxdp\",\"xdp_mode\":\"redirect\",\"drop_reasons\":true}",
				"{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[],\"engine\":\"xdp\",\"engine_note\":\"auto: xdp on veth0 (native)\"}",
				"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":0,\"streams\":[{\"id\":1,\"bytes\":1001,\"bpf\":{\"rtt_min_us\":51,\"rtt_avg_us\":81,\"rtt_max_us\":201,\"rtt_samples\":1235,\"retransmits\":3,\"delivered\":8589934592},\"drops_by_reason\":{\"tx\":{}}}],\"aggregate\":{\"bytes\":0,\"throughput_mbps\":0.0}}",
				"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1000,\"streams\":[{\"id\":0,\"bytes\":1397200,\"jitter_ms\":0.012,\"lost\":2,\"bytes_sent\":0,\"bytes_received\":1397200,\"udp\":{\"packets_sent\":0,\"packets_received\":998,\"lost\":2,\"lost_percent\":0.2,\"jitter_ms\":0.012,\"jitter_max_ms\":0.05,\"out_of_order\":1,\"duplicates\":0,\"rcvbuf_drops\":2,\"send_errors\":0,\"xdp_packets\":1000,\"xdp_bytes\":1400000},\"drops_by_reason\":{\"rx\":{\"SOCKET_RCVBUFF\":2}}}],\"aggregate\":{\"bytes\":1397200,\"throughput_mbps\":11.1776,\"jitter_ms\":0.012,\"lost\":2,\"udp_progress\":{\"packets_received\":998,\"packets_lost\":2}}}",
			};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_identical(lines[i]);
}

static const char NONCE[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void fill_tcp(struct proto_tcp *t, uint64_t k)
{
	t->has_retransmits = true;
	t->retransmits = k;
	t->has_rtt = true;
	t->rtt_us = 1200 + k;
	t->rtt_var_us = 300;
	t->has_cwnd = true;
	t->cwnd = 10;
	t->cwnd_bytes = 14480;
	t->pmtu = 1500;
	t->delivery_rate_bps = 9400000000ULL;
	t->has_bytes_acked = true;
	t->bytes_acked = 1ULL << 40;
}

static void fill_stream(struct proto_stream *s, uint32_t id)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->bytes = 1000000ULL * (id + 1);
	s->throughput_mbps = 941.5 + id;
	s->has_split = true;
	s->bytes_sent = 5;
	s->bytes_received = 7;
	fill_tcp(&s->tcp, id);
	snprintf(s->error, sizeof(s->error), "stream %u: connection reset", id);
}

static void fill_text(struct proto_msg *m, enum proto_type t)
{
	proto_msg_init(m, t);
	strcpy(m->text.id, "3f2a0c1e-0000-4000-8000-000000000001");
	strcpy(m->text.text, "User requested cancellation");
}

static void test_round_trip_full(void **state)
{
	struct proto_msg *m = calloc(1, sizeof(*m));
	int t, i;

	(void)state;
	proto_msg_init(m, MSG_HELLO);
	strcpy(m->hello.version, "1.1");
	strcpy(m->hello.software, "xfr/0.1.0");
	m->hello.from_server = true;
	m->hello.caps = PROTO_CAPS_SUPPORTED | CAP_XDP_V1;
	m->hello.has_caps = true;
	strcpy(m->hello.auth_nonce, NONCE);
	strcpy(m->hello.client_nonce, NONCE);
	assert_round_trip(m);

	proto_msg_init(m, MSG_TEST_START);
	strcpy(m->start.id, "3f2a0c1e-0000-4000-8000-000000000001");
	m->start.proto = XFR_PROTO_QUIC;
	m->start.streams = 128;
	m->start.duration_secs = UINT32_MAX;
	m->start.dir = XFR_DIR_BIDIR;
	m->start.has_bitrate = true;
	m->start.bitrate = 10000000000000ULL;
	strcpy(m->start.congestion, "bbr");
	m->start.mptcp = m->start.zerocopy = m->start.mtu_probe = m->start.tcp_nodelay = true;
	m->start.dscp = 184;
	m->start.has_window = true;
	m->start.window = 512ULL << 20;
	m->start.has_byte_budget = true;
	m->start.byte_budget = 1ULL << 33;
	m->start.interval_ms = 250;
	m->start.server_output = true;
	m->start.length = 16 << 20;
	assert_round_trip(m);
	assert_int_equal(m2.start.dscp, 184);
	assert_int_equal(m2.start.byte_budget, 1ULL << 33);
	assert_int_equal(m2.start.length, 16 << 20);
	assert_true(m2.start.tcp_nodelay);

	proto_msg_init(m, MSG_TEST_ACK);
	strcpy(m->ack.id, "x");
	m->ack.nports = XFR_MAX_STREAMS;
	for (i = 0; i < XFR_MAX_STREAMS; i++)
		m->ack.data_ports[i] = 65535 - i;
	assert_round_trip(m);
	assert_int_equal(m2.ack.nports, 128);
	assert_int_equal(m2.ack.data_ports[127], 65535 - 127);

	proto_msg_init(m, MSG_TEST_ACK);
	strcpy(m->ack.id, "x");
	strcpy(m->ack.udp_token, "0123456789abcdef0123456789abcdef");
	assert_round_trip(m);

	proto_msg_init(m, MSG_DATA_HELLO);
	strcpy(m->data_hello.test_id, "x");
	m->data_hello.stream_index = 127;
	assert_round_trip(m);

	proto_msg_init(m, MSG_INTERVAL);
	strcpy(m->interval.id, "x");
	m->interval.elapsed_ms = 1000;
	m->interval.nstreams = XFR_MAX_STREAMS;
	for (i = 0; i < XFR_MAX_STREAMS; i++)
		fill_stream(&m->interval.streams[i], i);
	m->interval.aggregate.bytes = 123456789;
	m->interval.aggregate.throughput_mbps = 987.654321;
	m->interval.aggregate.has_split = true;
	m->interval.aggregate.bytes_sent = 1;
	m->interval.aggregate.bytes_received = 2;
	m->interval.aggregate.throughput_send_mbps = 0.5;
	m->interval.aggregate.throughput_recv_mbps = 1e-3;
	fill_tcp(&m->interval.aggregate.tcp, 9);
	assert_round_trip(m);
	assert_int_equal(m2.interval.nstreams, 128);
	assert_int_equal(m2.interval.streams[5].tcp.cwnd_bytes, 14480);
	assert_string_equal(m2.interval.streams[5].error, "stream 5: connection reset");

	proto_msg_init(m, MSG_RESULT);
	strcpy(m->result.id, "x");
	m->result.bytes_total = INT64_MAX;
	m->result.duration_ms = 10000;
	m->result.throughput_mbps = 9412.25;
	m->result.nstreams = 2;
	fill_stream(&m->result.streams[0], 0);
	fill_stream(&m->result.streams[1], 1);
	m->result.has_tcp_info = true;
	fill_tcp(&m->result.tcp_info, 3);
	m->result.has_split = true;
	m->result.bytes_sent = 10;
	m->result.bytes_received = 20;
	m->result.throughput_send_mbps = 1.5;
	m->result.throughput_recv_mbps = 2.5;
	m->result.server_output = strdup("{\"intervals\":[{\"bytes\":1,\"x\":[null,true]}]}");
	assert_round_trip(m);
	proto_msg_free(m);
	assert_null(m->result.server_output);

	for (t = MSG_CANCEL; t <= MSG_ERROR; t++) {
		fill_text(m, t);
		assert_round_trip(m);
	}
	fill_text(m, MSG_AUTH_RESPONSE);
	assert_round_trip(m);
	fill_text(m, MSG_AUTH_SUCCESS);
	assert_round_trip(m);
	free(m);
}

static void test_round_trip_minimal(void **state)
{
	struct proto_msg *m = calloc(1, sizeof(*m));
	size_t n;
	char *s;
	int t;

	(void)state;
	for (t = 0; t < MSG__COUNT; t++) {
		proto_msg_init(m, t);
		strcpy(m->text.id, "x"); /* every id field is at offset 0 */
		if (t == MSG_HELLO)
			strcpy(m->hello.version, "1.1");
		if (t == MSG_TEST_START)
			m->start.streams = 1;
		assert_round_trip(m);
	}
	proto_msg_init(m, MSG_TEST_START);
	strcpy(m->start.id, "x");
	m->start.streams = 1;
	s = proto_encode(m, &n);
	assert_string_equal(s, "{\"type\":\"test_start\",\"id\":\"x\",\"protocol\":\"tcp\","
			       "\"streams\":1,\"duration_secs\":0,\"direction\":\"upload\"}\n");
	free(s);
	fill_text(m, MSG_CANCELLED);
	s = proto_encode(m, &n);
	assert_string_equal(s, "{\"type\":\"cancelled\",\"id\":"
			       "\"3f2a0c1e-0000-4000-8000-000000000001\"}\n");
	free(s);
	proto_msg_init(m, MSG_RESULT);
	strcpy(m->result.id, "x");
	s = proto_encode(m, &n);
	assert_string_equal(s, "{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":0,"
			       "\"duration_ms\":0,\"throughput_mbps\":0.0,\"streams\":[]}\n");
	free(s);
	free(m);
}

static void test_encode_errors(void **state)
{
	struct proto_msg *m = calloc(1, sizeof(*m));
	size_t n;
	char *big;

	(void)state;
	proto_msg_init(m, MSG_TEST_START);
	m->start.proto = 7;
	errno = 0;
	assert_null(proto_encode(m, &n));
	assert_int_equal(errno, EINVAL);

	proto_msg_init(m, MSG_ERROR);
	strcpy(m->text.text, "bad \xff utf8");
	assert_null(proto_encode(m, &n));

	proto_msg_init(m, MSG_RESULT);
	big = malloc(PROTO_MAX_LINE + 16);
	memset(big, 'a', PROTO_MAX_LINE + 16);
	memcpy(big, "{\"k\":\"", 6);
	strcpy(big + PROTO_MAX_LINE + 10, "\"}");
	m->result.server_output = big;
	assert_null(proto_encode(m, &n));
	assert_int_equal(errno, EMSGSIZE);
	proto_msg_free(m);
	free(m);
}

static void test_c1_malformed(void **state)
{
	static const char *const bad[] = {
		"not json",
		"{",
		"}",
		"",
		"   ",
		"[]",
		"[{\"type\":\"hello\"}]",
		"\"hello\"",
		"42",
		"null",
		"true",
		"{\"type\":\"error\",\"message\":\"\xff\xfe\"}",
		"{\"type\":\"error\",\"message\":\"\xc3\"}",
		"{\"type\":\"error\"} trailing",
		"{\"type\":\"error\",\"message\":\"a\\u0000b\"}",
	};
	const char nul[] = "{\"type\":\"error\",\"message\":\"a\0b\"}";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(bad[i], "malformed control message");
	assert_int_equal(proto_decode(nul, sizeof(nul) - 1, &m1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "malformed control message");
	/* NULL err buffer is allowed */
	assert_int_equal(proto_decode("[]", 2, &m1, NULL, 0), -EINVAL);
}

static void test_c5_nesting(void **state)
{
	size_t n = 100000, i;
	char *deep = malloc(n + 1);
	char line[512];
	clock_t t0 = clock();

	(void)state;
	memset(deep, '[', n);
	deep[n] = '\0';
	expect_err(deep, "malformed control message: nested deeper than 32 levels");
	memset(deep, '{', n);
	expect_err(deep, "malformed control message: nested deeper than 32 levels");
	assert_true(clock() - t0 < CLOCKS_PER_SEC);
	free(deep);

	/* 32 levels pass the guard (the unknown field is ignored), 33 do not */
	strcpy(line, "{\"type\":\"finish\",\"id\":\"x\",\"z\":");
	for (i = 0; i < 31; i++)
		strcat(line, "[");
	for (i = 0; i < 31; i++)
		strcat(line, "]");
	strcat(line, "}");
	expect_ok(line);
	strcpy(line,
	       "{\"type\":\"finish\",\"id\":\"x\",\"z\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}");
	expect_ok(line); /* brackets inside strings do not count */
	strcpy(line,
	       "{\"type\":\"finish\",\"id\":\"x\",\"z\":\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}");
	expect_ok(line);
	strcpy(line, "{\"type\":\"finish\",\"id\":\"x\",\"z\":");
	for (i = 0; i < 32; i++)
		strcat(line, "[");
	for (i = 0; i < 32; i++)
		strcat(line, "]");
	strcat(line, "}");
	expect_err(line, "malformed control message: nested deeper than 32 levels");
}

static void test_c5_big_values(void **state)
{
	size_t n = 1 << 20;
	char *line = malloc(n + 64);
	size_t len;

	(void)state;
	len = sprintf(line, "{\"type\":\"test_start\",\"id\":\"");
	memset(line + len, 'a', n);
	strcpy(line + len + n, "\"}");
	expect_err(line, "field id: length 1048576 out of range 1..63");

	len = sprintf(line, "{\"type\":\"error\",\"message\":\"");
	memset(line + len, 'b', n);
	strcpy(line + len + n, "\"}");
	expect_ok(line);
	assert_int_equal(strlen(m1.text.text), PROTO_TEXT_MAX - 1);
	free(line);
}

/* test_start line with one key replaced (or added); value NULL removes it. */
static const char *ts_line(const char *key, const char *val)
{
	static const char *const base[][2] = {
		{"id", "\"x\""},	{"protocol", "\"tcp\""},     {"streams", "1"},
		{"duration_secs", "5"}, {"direction", "\"upload\""},
	};
	static char buf[16384];
	bool used = false;
	size_t i;

	strcpy(buf, "{\"type\":\"test_start\"");
	for (i = 0; i < 5; i++) {
		const char *v = base[i][1];

		if (key && !strcmp(key, base[i][0])) {
			used = true;
			v = val;
		}
		if (v)
			sprintf(buf + strlen(buf), ",\"%s\":%s", base[i][0], v);
	}
	if (key && !used && val)
		sprintf(buf + strlen(buf), ",\"%s\":%s", key, val);
	strcat(buf, "}");
	return buf;
}

static void test_c5_numbers(void **state)
{
	(void)state;
	expect_err(ts_line("streams", "1e999"), "malformed control message: number out of range");
	expect_err(ts_line("byte_budget", "18446744073709551616"),
		   "malformed control message: number out of range");
	expect_err(ts_line("byte_budget", "9223372036854775808"),
		   "malformed control message: number out of range");
	expect_err(ts_line("byte_budget", "-9223372036854775809"),
		   "malformed control message: number out of range");
	expect_ok(ts_line("byte_budget", "9223372036854775807"));
	assert_int_equal(m1.start.byte_budget, INT64_MAX);
	expect_err(ts_line("byte_budget", "-9223372036854775808"),
		   "field byte_budget: -9223372036854775808 out of range 1..9223372036854775807");
	expect_err(ts_line("streams", "-0"), "field streams: 0 out of range 1..128");
	expect_ok(ts_line("duration_secs", "-0"));
	assert_int_equal(m1.start.duration_secs, 0);
	expect_err(ts_line("streams", "1e-400"), "field streams: expected integer");
	expect_err(ts_line("streams", "1.5"), "field streams: expected integer");
	expect_err(ts_line("streams", "1e0"), "field streams: expected integer");
	expect_err(ts_line("streams", "-0.0"), "field streams: expected integer");
	expect_err("{\"type\":\"finish\",\"id\":\"x\",\"id\":\"y\"}",
		   "malformed control message: duplicate key");
}

static void test_c6_wrong_types(void **state)
{
	static const char *const cases[][3] = {
		{"id", "1", "string"},
		{"id", "null", "string"},
		{"id", "{}", "string"},
		{"protocol", "6", "string"},
		{"protocol", "null", "string"},
		{"streams", "\"1\"", "integer"},
		{"streams", "true", "integer"},
		{"streams", "null", "integer"},
		{"streams", "[1]", "integer"},
		{"duration_secs", "{}", "integer"},
		{"duration_secs", "5.0", "integer"},
		{"direction", "[]", "string"},
		{"direction", "false", "string"},
		{"bitrate", "\"1G\"", "integer"},
		{"bitrate", "1e30", "integer"},
		{"congestion", "1", "string"},
		{"congestion", "{}", "string"},
		{"mptcp", "1", "boolean"},
		{"mptcp", "\"true\"", "boolean"},
		{"dscp", "\"EF\"", "integer"},
		{"dscp", "true", "integer"},
		{"window_size", "true", "integer"},
		{"zerocopy", "0", "boolean"},
		{"mtu_probe", "{}", "boolean"},
		{"tcp_nodelay", "[]", "boolean"},
		{"byte_budget", "1.0", "integer"},
		{"interval_ms", "\"1000\"", "integer"},
		{"server_output", "1", "boolean"},
		{"length", "[1]", "integer"},
	};
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "field %s: expected %s", cases[i][0], cases[i][2]);
		expect_err(ts_line(cases[i][0], cases[i][1]), want);
	}
	expect_err(ts_line("id", NULL), "field id: missing");
	expect_err(ts_line("streams", NULL), "field streams: missing");
	/* null is "absent" for optional fields */
	expect_ok(ts_line("bitrate", "null"));
	assert_false(m1.start.has_bitrate);
	expect_ok(ts_line("dscp", "null"));
	assert_int_equal(m1.start.dscp, -1);
	expect_ok(ts_line("mptcp", "null"));
	assert_false(m1.start.mptcp);

	expect_err("{\"type\":\"hello\",\"version\":1.1}", "field version: expected string");
	expect_err("{\"type\":\"hello\",\"version\":\"1.1\",\"capabilities\":\"tcp\"}",
		   "field capabilities: expected array of strings");
	expect_err("{\"type\":\"hello\",\"version\":\"1.1\",\"capabilities\":[\"tcp\",1]}",
		   "field capabilities: expected array of strings");
	expect_err("{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[\"1\"]}",
		   "field data_ports: expected array of integers");
	expect_err("{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[],"
		   "\"aggregate\":{\"bytes\":\"1\",\"throughput_mbps\":1}}",
		   "field aggregate.bytes: expected integer");
	expect_err("{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[{\"id\":0,"
		   "\"bytes\":1},{\"id\":1,\"bytes\":2,\"rtt_us\":-1}],"
		   "\"aggregate\":{\"bytes\":1,\"throughput_mbps\":1}}",
		   "field streams[1].rtt_us: -1 out of range 0..4294967295");
	expect_err("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		   "\"throughput_mbps\":\"fast\",\"streams\":[]}",
		   "field throughput_mbps: expected number");
	expect_err("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		   "\"throughput_mbps\":1,\"streams\":[],\"server_output\":[1]}",
		   "field server_output: expected object");
	expect_err("{\"type\":\"error\",\"message\":5}", "field message: expected string");
	expect_err("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		   "\"throughput_mbps\":-1,\"streams\":[]}",
		   "field throughput_mbps: -1 out of range 0..1e+15");
	expect_err("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		   "\"throughput_mbps\":1e16,\"streams\":[]}",
		   "field throughput_mbps: 1e+16 out of range 0..1e+15");
	expect_err("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		   "\"throughput_mbps\":1,\"streams\":[],\"server_output\":{\"a\":[{\"b\":"
		   "1.7976931348623157e308}]}}",
		   "field server_output: number out of range");
}

static void test_c7_ranges(void **state)
{
	static const char *const bad[][3] = {
		{"streams", "0", "0 out of range 1..128"},
		{"streams", "-1", "-1 out of range 1..128"},
		{"streams", "129", "129 out of range 1..128"},
		{"streams", "65536", "65536 out of range 1..128"},
		{"duration_secs", "-1", "-1 out of range 0..4294967295"},
		{"duration_secs", "4294967296", "4294967296 out of range 0..4294967295"},
		{"bitrate", "-1", "-1 out of range 0..10000000000000"},
		{"bitrate", "1000000000000000", "1000000000000000 out of range 0..10000000000000"},
		{"dscp", "256", "256 out of range 0..255"},
		{"dscp", "-1", "-1 out of range 0..255"},
		{"window_size", "0", "0 out of range 1..536870912"},
		{"window_size", "536870913", "536870913 out of range 1..536870912"},
		{"byte_budget", "0", "0 out of range 1..9223372036854775807"},
		{"interval_ms", "0", "0 out of range 100..60000"},
		{"interval_ms", "99", "99 out of range 100..60000"},
		{"interval_ms", "60001", "60001 out of range 100..60000"},
		{"length", "0", "0 out of range 1..16777216"},
		{"length", "16777217", "16777217 out of range 1..16777216"},
		{"congestion", "\"\"", "length 0 out of range 1..15"},
		{"congestion", "\"cubic/../x\"", "invalid character"},
		{"congestion", "\"a/b\"", "invalid character"},
		{"congestion", "\"../x\"", "invalid character"},
		{"congestion", "\"cubic\\n\"", "invalid character"},
		{"congestion", "\"bbr cubic\"", "invalid character"},
		{"congestion", "\"abcdefghijklmnop\"", "length 16 out of range 1..15"},
		{"id", "\"\"", "length 0 out of range 1..63"},
		{"id", "\"a\\u0001b\"", "invalid character"},
		{"id", "\"a\\nb\"", "invalid character"},
		{"id", "\"\xc3\xa9\"", "invalid character"},
		{"protocol", "\"sctp\"", "invalid value \"sctp\" (expected tcp, udp or quic)"},
		{"protocol", "\"TCP\"", "invalid value \"TCP\" (expected tcp, udp or quic)"},
		{"direction", "\"up\\u0007\"",
		 "invalid value \"up?\" (expected upload, download or bidir)"},
	};
	static const char *const good[][2] = {
		{"duration_secs", "0"},
		{"duration_secs", "86401"},
		{"duration_secs", "4294967295"},
		{"bitrate", "0"},
		{"bitrate", "10000000000000"},
		{"dscp", "0"},
		{"dscp", "255"},
		{"window_size", "1"},
		{"window_size", "536870912"},
		{"congestion", "\"bbr\""},
		{"congestion", "\"A_b-9xyzXYZ0123\""},
		{"interval_ms", "100"},
		{"interval_ms", "60000"},
		{"length", "1"},
		{"length", "16777216"},
		{"streams", "128"},
	};
	char want[256], longcc[10100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "field %s: %s", bad[i][0], bad[i][2]);
		expect_err(ts_line(bad[i][0], bad[i][1]), want);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect_ok(ts_line(good[i][0], good[i][1]));
	memset(longcc, 'a', sizeof(longcc));
	longcc[0] = '"';
	strcpy(longcc + 10001, "\"");
	expect_err(ts_line("congestion", longcc),
		   "field congestion: length 10000 out of range 1..15");
}

static void test_id_lengths(void **state)
{
	char id[80];

	(void)state;
	memset(id, 'i', sizeof(id));
	id[0] = '"';
	strcpy(id + 64, "\""); /* 63 chars */
	expect_ok(ts_line("id", id));
	assert_int_equal(strlen(m1.start.id), 63);
	strcpy(id + 64, "i\""); /* 64 chars */
	expect_err(ts_line("id", id), "field id: length 64 out of range 1..63");
}

static void test_unknown_fields(void **state)
{
	(void)state;
	expect_ok("{\"type\":\"test_start\",\"future\":{\"a\":[1,2,{}]},\"id\":\"x\","
		  "\"protocol\":\"udp\",\"streams\":2,\"duration_secs\":5,\"direction\":\"bidir\","
		  "\"extra\":\"\",\"n\":null}");
	assert_int_equal(m1.start.proto, XFR_PROTO_UDP);
	assert_int_equal(m1.start.dir, XFR_DIR_BIDIR);
	assert_int_equal(m1.start.streams, 2);
	expect_ok("{\"type\":\"hello\",\"version\":\"1.1\",\"server\":\"xfr/9\","
		  "\"capabilities\":[\"tcp\",\"teleport_v9\",\"\",\"interval_ms_v1\"]}");
	assert_true(m1.hello.from_server);
	assert_string_equal(m1.hello.software, "xfr/9");
	assert_int_equal(m1.hello.caps, CAP_TCP | CAP_INTERVAL_MS_V1);
}

static void test_types(void **state)
{
	char line[128];

	(void)state;
	expect_err("{\"type\":\"bogus\"}", "unknown message type \"bogus\"");
	expect_err("{\"type\":\"Hello\"}", "unknown message type \"Hello\"");
	expect_err("{\"type\":\"a\\u0001\\n\xc3\xa9\"}", "unknown message type \"a????\"");
	memset(line, 0, sizeof(line));
	strcpy(line, "{\"type\":\"");
	memset(line + 9, 'x', 40);
	strcat(line, "\"}");
	expect_err(line, "unknown message type \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"");
	expect_err("{\"version\":\"1.1\"}", "field type: missing");
	expect_err("{\"type\":null}", "field type: missing");
	expect_err("{\"type\":1}", "field type: expected string");
	assert_string_equal(proto_type_name(MSG_TEST_START), "test_start");
	assert_string_equal(proto_type_name(MSG_AUTH_SUCCESS), "auth_success");
	assert_string_equal(proto_type_name(MSG__COUNT), "unknown");
}

static void test_hello(void **state)
{
	char line[512];

	(void)state;
	expect_err("{\"type\":\"hello\"}", "field version: missing");
	expect_err("{\"type\":\"hello\",\"version\":\"1.1\",\"client\":\"x\\ty\"}",
		   "field client: invalid character");
	expect_err("{\"type\":\"hello\",\"version\":\"0123456789012345678901234567890123\"}",
		   "field version: length 34 out of range 0..31");
	snprintf(line, sizeof(line),
		 "{\"type\":\"hello\",\"version\":\"1.1\",\"capabilities\":[\"%065d\"]}", 0);
	expect_err(line, "field capabilities: name longer than 64 characters");
	snprintf(line, sizeof(line),
		 "{\"type\":\"hello\",\"version\":\"1.1\",\"server\":\"xfr/0.9.25\","
		 "\"capabilities\":[\"tcp\"],\"auth\":{\"method\":\"psk\",\"nonce\":\"%s\"}}",
		 NONCE);
	assert_identical(line);
	assert_string_equal(m1.hello.auth_nonce, NONCE);
	expect_err("{\"type\":\"hello\",\"version\":\"1.1\",\"auth\":{\"method\":\"psk\","
		   "\"nonce\":\"abc\"}}",
		   "field auth.nonce: expected 64 hex characters");
	expect_err("{\"type\":\"hello\",\"version\":\"1.1\",\"auth\":{\"method\":\"rsa\"}}",
		   "field auth.method: unsupported value \"rsa\"");
	expect_err("{\"type\":\"hello\",\"version\":\"1.1\",\"auth\":\"psk\"}",
		   "field auth: expected object");
	snprintf(line, sizeof(line),
		 "{\"type\":\"hello\",\"version\":\"1.1\",\"client_nonce\":\"%.63sg\"}", NONCE);
	expect_err(line, "field client_nonce: expected 64 hex characters");
	expect_ok("{\"type\":\"hello\",\"version\":\"x\"}"); /* the caller checks the version */
	assert_false(m1.hello.has_caps);
	assert_string_equal(m1.hello.version, "x");
}

static void test_ack_and_data_hello(void **state)
{
	char line[2048];
	int i, n;

	(void)state;
	expect_ok("{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[5202,65535,1]}");
	assert_int_equal(m1.ack.nports, 3);
	assert_int_equal(m1.ack.data_ports[1], 65535);
	expect_err("{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[5202,0]}",
		   "field data_ports[1]: 0 out of range 1..65535");
	expect_err("{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[65536]}",
		   "field data_ports[0]: 65536 out of range 1..65535");
	expect_err("{\"type\":\"test_ack\",\"id\":\"x\"}", "field data_ports: missing");
	expect_err("{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[1],"
		   "\"udp_token\":\"0123456789abcdef0123456789abcdef\"}",
		   "field udp_token: not allowed with data_ports");
	expect_err("{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[],\"udp_token\":\"01\"}",
		   "field udp_token: expected 32 hex characters");
	n = sprintf(line, "{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[");
	for (i = 0; i < 129; i++)
		n += sprintf(line + n, "%s%d", i ? "," : "", 1000 + i);
	strcpy(line + n, "]}");
	expect_err(line, "field data_ports: 129 entries out of range 0..128");

	expect_ok("{\"type\":\"data_hello\",\"test_id\":\"x\",\"stream_index\":127}");
	assert_int_equal(m1.data_hello.stream_index, 127);
	expect_err("{\"type\":\"data_hello\",\"test_id\":\"x\",\"stream_index\":128}",
		   "field stream_index: 128 out of range 0..127");
	expect_err("{\"type\":\"data_hello\",\"test_id\":\"x\",\"stream_index\":65536}",
		   "field stream_index: 65536 out of range 0..127");
}

static void test_text_sanitized(void **state)
{
	char line[1024];
	int n;

	(void)state;
	expect_ok("{\"type\":\"error\",\"message\":\"bad\\nthing\\u001b[31m\\u007f\"}");
	assert_string_equal(m1.text.text, "bad?thing?[31m?");
	expect_ok("{\"type\":\"cancel\",\"id\":\"x\"}");
	assert_string_equal(m1.text.text, "");
	/* truncation never splits a UTF-8 character: 254 'a' then a 2-byte char */
	n = sprintf(line, "{\"type\":\"error\",\"message\":\"");
	memset(line + n, 'a', 254);
	strcpy(line + n + 254, "\xc3\xa9zz\"}");
	expect_ok(line);
	assert_int_equal(strlen(m1.text.text), 254);
	memset(line + n, 'a', 253);
	strcpy(line + n + 253, "\xc3\xa9zz\"}");
	expect_ok(line);
	assert_int_equal(strlen(m1.text.text), 255);
	assert_string_equal(m1.text.text + 253, "\xc3\xa9");
}

static void test_interval_limits(void **state)
{
	static char line[8192];
	int i, n;

	(void)state;
	n = sprintf(line, "{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[");
	for (i = 0; i < 129; i++)
		n += sprintf(line + n, "%s{\"id\":%d,\"bytes\":1}", i ? "," : "", i % 128);
	strcpy(line + n, "],\"aggregate\":{\"bytes\":1,\"throughput_mbps\":1}}");
	expect_err(line, "field streams: 129 entries out of range 0..128");
	expect_err("{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[1],"
		   "\"aggregate\":{\"bytes\":1,\"throughput_mbps\":1}}",
		   "field streams: expected array of objects");
	expect_err("{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[]}",
		   "field aggregate: missing");
	expect_ok("{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":2000,\"streams\":[{\"id\":0,"
		  "\"bytes\":5,\"retransmits\":3,\"rtt_us\":100,\"cwnd\":10}],\"aggregate\":"
		  "{\"bytes\":5,\"throughput_mbps\":0.04,\"retransmits\":3,\"rtt_us\":100,"
		  "\"cwnd\":10,\"udp_progress\":{\"packets_received\":1,\"packets_lost\":0}}}");
	assert_int_equal(m1.interval.elapsed_ms, 2000);
	assert_int_equal(m1.interval.nstreams, 1);
	assert_true(m1.interval.streams[0].tcp.has_retransmits);
	assert_int_equal(m1.interval.streams[0].tcp.retransmits, 3);
	assert_int_equal(m1.interval.aggregate.tcp.cwnd, 10);
	assert_false(m1.interval.aggregate.has_split);
}

static void test_result_server_output(void **state)
{
	(void)state;
	expect_ok("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":10,\"duration_ms\":1000,"
		  "\"throughput_mbps\":8e-5,\"streams\":[{\"id\":0,\"bytes\":10,"
		  "\"throughput_mbps\":0}],\"tcp_info\":{\"retransmits\":0,\"rtt_us\":50,"
		  "\"rtt_var_us\":20,\"cwnd\":10},\"server_output\":{\"a\": [1, 2.5, \"s\"]}}");
	assert_string_equal(m1.result.server_output, "{\"a\":[1,2.5,\"s\"]}");
	assert_true(m1.result.has_tcp_info);
	assert_int_equal(m1.result.tcp_info.rtt_var_us, 20);
	proto_msg_free(&m1);
	assert_null(m1.result.server_output);
	/* a failed decode leaves nothing allocated (checked by ASan's leak checker) */
	expect_err("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":10,\"duration_ms\":1000,"
		   "\"throughput_mbps\":1,\"server_output\":{},\"streams\":[{}]}",
		   "field streams[0].id: missing");
	assert_null(m1.result.server_output);
}

static void fill_udp(struct proto_udp *u, uint64_t k)
{
	u->packets_sent = 100000 + k;
	u->packets_received = 99000 + k;
	u->lost = 1000;
	u->lost_percent = 1.0 * 1000 / (99000 + k + 1000) * 100;
	u->jitter_ms = 0.0125 + k;
	u->jitter_max_ms = 0.75 + k;
	u->out_of_order = 3;
	u->duplicates = 2;
	u->rcvbuf_drops = 900;
	u->send_errors = 7;
}

static void fill_udp_stream(struct proto_stream *s, uint32_t id)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->bytes = 1400ULL * 99000;
	s->throughput_mbps = 110.88;
	s->tcp.has_retransmits = true; /* the reference always sends 0 for UDP */
	s->has_jitter = true;
	s->jitter_ms = 0.0125 + id;
	s->has_lost = true;
	s->lost = 1000;
	s->has_split = true;
	s->bytes_received = s->bytes;
	s->has_udp = true;
	fill_udp(&s->udp, id);
}

/* Every UDP field survives encode -> decode with its value. */
static void test_udp_round_trip(void **state)
{
	struct proto_msg *m = calloc(1, sizeof(*m));
	struct proto_stream *s;
	int i;

	(void)state;
	proto_msg_init(m, MSG_INTERVAL);
	strcpy(m->interval.id, "x");
	m->interval.elapsed_ms = 1000;
	m->interval.nstreams = 8;
	for (i = 0; i < 8; i++)
		fill_udp_stream(&m->interval.streams[i], i);
	m->interval.aggregate.bytes = 8ULL * 1400 * 99000;
	m->interval.aggregate.throughput_mbps = 887.04;
	m->interval.aggregate.has_jitter = true;
	m->interval.aggregate.jitter_ms = 3.5125;
	m->interval.aggregate.has_lost = true;
	m->interval.aggregate.lost = 8000;
	m->interval.aggregate.has_udp_progress = true;
	m->interval.aggregate.progress_received = 1ULL << 40;
	m->interval.aggregate.progress_lost = 12345;
	assert_round_trip(m);
	s = &m2.interval.streams[7];
	assert_true(s->has_jitter);
	assert_float_equal(s->jitter_ms, 7.0125, 1e-12);
	assert_true(s->has_lost);
	assert_int_equal(s->lost, 1000);
	assert_true(s->has_udp);
	assert_int_equal(s->udp.packets_sent, 100007);
	assert_int_equal(s->udp.packets_received, 99007);
	assert_int_equal(s->udp.lost, 1000);
	assert_float_equal(s->udp.lost_percent, 100000.0 / 100007, 1e-8);
	assert_float_equal(s->udp.jitter_max_ms, 7.75, 1e-12);
	assert_int_equal(s->udp.out_of_order, 3);
	assert_int_equal(s->udp.duplicates, 2);
	assert_int_equal(s->udp.rcvbuf_drops, 900);
	assert_int_equal(s->udp.send_errors, 7);
	assert_int_equal(s->udp.packet_size, 0); /* not part of the stream object */
	assert_true(m2.interval.aggregate.has_jitter);
	assert_float_equal(m2.interval.aggregate.jitter_ms, 3.5125, 1e-12);
	assert_int_equal(m2.interval.aggregate.lost, 8000);
	assert_true(m2.interval.aggregate.has_udp_progress);
	assert_int_equal(m2.interval.aggregate.progress_received, 1ULL << 40);
	assert_int_equal(m2.interval.aggregate.progress_lost, 12345);

	proto_msg_init(m, MSG_RESULT);
	strcpy(m->result.id, "x");
	m->result.bytes_total = 1400ULL * 99000 * 2;
	m->result.duration_ms = 10000;
	m->result.throughput_mbps = 221.76;
	m->result.nstreams = 2;
	fill_udp_stream(&m->result.streams[0], 0);
	fill_udp_stream(&m->result.streams[1], 1);
	m->result.has_udp_stats = true;
	fill_udp(&m->result.udp_stats, 0);
	m->result.udp_stats.packet_size = 1400;
	assert_round_trip(m);
	assert_true(m2.result.has_udp_stats);
	assert_false(m2.result.has_tcp_info);
	assert_int_equal(m2.result.udp_stats.packets_sent, 100000);
	assert_int_equal(m2.result.udp_stats.packets_received, 99000);
	assert_float_equal(m2.result.udp_stats.lost_percent, 1.0, 1e-9);
	assert_float_equal(m2.result.udp_stats.jitter_ms, 0.0125, 1e-12);
	assert_float_equal(m2.result.udp_stats.jitter_max_ms, 0.75, 1e-12);
	assert_int_equal(m2.result.udp_stats.packet_size, 1400);
	assert_int_equal(m2.result.udp_stats.rcvbuf_drops, 900);
	assert_int_equal(m2.result.udp_stats.send_errors, 7);
	assert_int_equal(m2.result.streams[1].udp.packets_sent, 100001);
	free(m);
}

/* Field order and presence on the wire, and lines shaped like a reference server's. */
static void test_udp_shapes(void **state)
{
	struct proto_msg *m = calloc(1, sizeof(*m));
	size_t n;
	char *s;

	(void)state;
	/* reference result: udp_stats with its own keys only; per stream retransmits 0 */
	assert_identical("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":13860000,"
			 "\"duration_ms\":10000,\"throughput_mbps\":11.088,\"streams\":[{\"id\":0,"
			 "\"bytes\":13860000,\"throughput_mbps\":11.088,\"retransmits\":0}],"
			 "\"udp_stats\":{\"packets_sent\":10000,\"packets_received\":9900,"
			 "\"lost\":100,\"lost_percent\":1.0,\"jitter_ms\":0.021,"
			 "\"out_of_order\":2,\"jitter_max_ms\":0.5,\"packet_size\":1400}}");
	assert_true(m1.result.has_udp_stats);
	assert_int_equal(m1.result.udp_stats.packets_sent, 10000);
	assert_int_equal(m1.result.udp_stats.lost, 100);
	assert_int_equal(m1.result.udp_stats.out_of_order, 2);
	assert_int_equal(m1.result.udp_stats.packet_size, 1400);
	assert_int_equal(m1.result.udp_stats.duplicates, 0);
	assert_false(m1.result.streams[0].has_udp);
	/* the reference's optional keys may be absent; its required ones we do not insist on */
	expect_ok("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":0,\"duration_ms\":0,"
		  "\"throughput_mbps\":0,\"streams\":[],\"udp_stats\":{\"packets_sent\":5,"
		  "\"packets_received\":5,\"lost\":0,\"lost_percent\":0,\"jitter_ms\":0,"
		  "\"out_of_order\":0,\"jitter_max_ms\":null}}");
	assert_int_equal(m1.result.udp_stats.packet_size, 0);
	assert_int_equal(m1.result.udp_stats.packets_received, 5);
	/* reference interval from a UDP server */
	assert_identical(
		"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1000,\"streams\":"
		"[{\"id\":0,\"bytes\":1386000,\"retransmits\":0,\"jitter_ms\":0.013,"
		"\"lost\":3}],\"aggregate\":{\"bytes\":1386000,\"throughput_mbps\":11.088,"
		"\"jitter_ms\":0.013,\"lost\":3,\"udp_progress\":{\"packets_received\":990,"
		"\"packets_lost\":3}}}");
	assert_true(m1.interval.streams[0].has_jitter);
	assert_float_equal(m1.interval.streams[0].jitter_ms, 0.013, 1e-12);
	assert_int_equal(m1.interval.streams[0].lost, 3);
	assert_false(m1.interval.streams[0].has_udp);
	assert_int_equal(m1.interval.aggregate.progress_received, 990);
	assert_int_equal(m1.interval.aggregate.progress_lost, 3);

	/* our stream: the reference keys in place, ext "udp" last with every key */
	proto_msg_init(m, MSG_INTERVAL);
	strcpy(m->interval.id, "x");
	m->interval.nstreams = 1;
	m->interval.streams[0].has_jitter = true;
	m->interval.streams[0].jitter_ms = 0.5;
	m->interval.streams[0].has_lost = true;
	m->interval.streams[0].has_udp = true;
	m->interval.streams[0].udp.packets_received = 4;
	m->interval.streams[0].udp.lost_percent = NAN; /* written as 0 */
	m->interval.aggregate.has_udp_progress = true;
	s = proto_encode(m, &n);
	assert_string_equal(s, "{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":0,\"streams\":"
			       "[{\"id\":0,\"bytes\":0,\"jitter_ms\":0.5,\"lost\":0,\"udp\":{"
			       "\"packets_sent\":0,\"packets_received\":4,\"lost\":0,"
			       "\"lost_percent\":0.0,\"jitter_ms\":0.0,\"jitter_max_ms\":0.0,"
			       "\"out_of_order\":0,\"duplicates\":0,\"rcvbuf_drops\":0,"
			       "\"send_errors\":0}}],\"aggregate\":{\"bytes\":0,"
			       "\"throughput_mbps\":0.0,\"udp_progress\":{\"packets_received\":0,"
			       "\"packets_lost\":0}}}\n");
	free(s);

	/* out-of-range values are clamped into what a decoder accepts */
	proto_msg_init(m, MSG_RESULT);
	strcpy(m->result.id, "x");
	m->result.has_udp_stats = true;
	m->result.udp_stats.lost_percent = 150;
	m->result.udp_stats.jitter_ms = INFINITY;
	m->result.udp_stats.jitter_max_ms = -1;
	m->result.udp_stats.rcvbuf_drops = 9;
	s = proto_encode(m, &n);
	assert_string_equal(s,
			    "{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":0,"
			    "\"duration_ms\":0,\"throughput_mbps\":0.0,\"streams\":[],"
			    "\"udp_stats\":{\"packets_sent\":0,\"packets_received\":0,\"lost\":0,"
			    "\"lost_percent\":100.0,\"jitter_ms\":1e15,"
			    "\"out_of_order\":0,\"jitter_max_ms\":0.0,\"rcvbuf_drops\":9}}\n");
	free(s);
	free(m);
}

/* UDP fields: wrong types and out-of-range values name the field by its path. */
static void test_udp_errors(void **state)
{
	static const char *const res_bad[][2] = {
		{"\"lost_percent\":101", "field udp_stats.lost_percent: 101 out of range 0..100"},
		{"\"lost_percent\":100.5",
		 "field udp_stats.lost_percent: 100.5 out of range 0..100"},
		{"\"lost_percent\":-0.1", "field udp_stats.lost_percent: -0.1 out of range 0..100"},
		{"\"lost_percent\":\"1%\"", "field udp_stats.lost_percent: expected number"},
		{"\"jitter_ms\":-1", "field udp_stats.jitter_ms: -1 out of range 0..1e+15"},
		{"\"jitter_max_ms\":1e300",
		 "field udp_stats.jitter_max_ms: 1e+300 out of range 0..1e+15"},
		{"\"packet_size\":15", "field udp_stats.packet_size: 15 out of range 16..65535"},
		{"\"packet_size\":65536",
		 "field udp_stats.packet_size: 65536 out of range 16..65535"},
		{"\"packet_size\":0", "field udp_stats.packet_size: 0 out of range 16..65535"},
		{"\"packet_size\":1400.0", "field udp_stats.packet_size: expected integer"},
		{"\"packets_sent\":-1",
		 "field udp_stats.packets_sent: -1 out of range 0..9223372036854775807"},
		{"\"lost\":1.5", "field udp_stats.lost: expected integer"},
		{"\"out_of_order\":true", "field udp_stats.out_of_order: expected integer"},
		{"\"duplicates\":\"2\"", "field udp_stats.duplicates: expected integer"},
		{"\"rcvbuf_drops\":-5",
		 "field udp_stats.rcvbuf_drops: -5 out of range 0..9223372036854775807"},
		{"\"send_errors\":[]", "field udp_stats.send_errors: expected integer"},
	};
	static const char *const iv_bad[][2] = {
		{"\"jitter_ms\":-0.5", "field streams[0].jitter_ms: -0.5 out of range 0..1e+15"},
		{"\"jitter_ms\":\"0\"", "field streams[0].jitter_ms: expected number"},
		{"\"lost\":-1", "field streams[0].lost: -1 out of range 0..9223372036854775807"},
		{"\"lost\":0.5", "field streams[0].lost: expected integer"},
		{"\"udp\":[]", "field streams[0].udp: expected object"},
		{"\"udp\":{\"lost_percent\":200}",
		 "field streams[0].udp.lost_percent: 200 out of range 0..100"},
		{"\"udp\":{\"jitter_max_ms\":-2}",
		 "field streams[0].udp.jitter_max_ms: -2 out of range 0..1e+15"},
		{"\"udp\":{\"send_errors\":null,\"packets_received\":\"9\"}",
		 "field streams[0].udp.packets_received: expected integer"},
	};
	static const char *const agg_bad[][2] = {
		{"\"jitter_ms\":-3", "field aggregate.jitter_ms: -3 out of range 0..1e+15"},
		{"\"lost\":\"3\"", "field aggregate.lost: expected integer"},
		{"\"udp_progress\":5", "field aggregate.udp_progress: expected object"},
		{"\"udp_progress\":{\"packets_received\":1}",
		 "field aggregate.udp_progress.packets_lost: missing"},
		{"\"udp_progress\":{\"packets_received\":null,\"packets_lost\":1}",
		 "field aggregate.udp_progress.packets_received: expected integer"},
		{"\"udp_progress\":{\"packets_received\":1,\"packets_lost\":-1}",
		 "field aggregate.udp_progress.packets_lost: -1 out of range "
		 "0..9223372036854775807"},
	};
	char line[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(res_bad) / sizeof(res_bad[0]); i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
			 "\"throughput_mbps\":1,\"streams\":[],\"udp_stats\":{%s}}",
			 res_bad[i][0]);
		expect_err(line, res_bad[i][1]);
	}
	for (i = 0; i < sizeof(iv_bad) / sizeof(iv_bad[0]); i++) {
		snprintf(
			line, sizeof(line),
			"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[{\"id\":0,"
			"\"bytes\":1,%s}],\"aggregate\":{\"bytes\":1,\"throughput_mbps\":1}}",
			iv_bad[i][0]);
		expect_err(line, iv_bad[i][1]);
	}
	for (i = 0; i < sizeof(agg_bad) / sizeof(agg_bad[0]); i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[],"
			 "\"aggregate\":{\"bytes\":1,\"throughput_mbps\":1,%s}}",
			 agg_bad[i][0]);
		expect_err(line, agg_bad[i][1]);
	}
	expect_err("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		   "\"throughput_mbps\":1,\"streams\":[],\"udp_stats\":[1]}",
		   "field udp_stats: expected object");
	expect_err("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		   "\"throughput_mbps\":1,\"streams\":[{\"id\":0,\"bytes\":1,\"throughput_mbps\":1,"
		   "\"lost\":1e999}]}",
		   "malformed control message: number out of range");
	/* edges that are fine: 0 and 100 percent, the smallest and largest packet sizes */
	expect_ok("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		  "\"throughput_mbps\":1,\"streams\":[],\"udp_stats\":{\"lost_percent\":100,"
		  "\"packet_size\":16}}");
	assert_float_equal(m1.result.udp_stats.lost_percent, 100, 0);
	assert_int_equal(m1.result.udp_stats.packet_size, 16);
	expect_ok("{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
		  "\"throughput_mbps\":1,\"streams\":[],\"udp_stats\":{\"lost_percent\":0,"
		  "\"packet_size\":65535,\"jitter_ms\":null}}");
	assert_int_equal(m1.result.udp_stats.packet_size, 65535);
	/* null stream keys are absent */
	expect_ok("{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[{\"id\":0,"
		  "\"bytes\":1,\"jitter_ms\":null,\"lost\":null,\"udp\":null}],"
		  "\"aggregate\":{\"bytes\":1,\"throughput_mbps\":1,\"udp_progress\":null}}");
	assert_false(m1.interval.streams[0].has_jitter);
	assert_false(m1.interval.streams[0].has_lost);
	assert_false(m1.interval.streams[0].has_udp);
	assert_false(m1.interval.aggregate.has_udp_progress);
}

/* ---- the kernel data plane (xdp_v1) ------------------------------------- */

static char *encode_str(const struct proto_msg *m)
{
	char *line = proto_encode(m, NULL);

	assert_non_null(line);
	return line;
}

static void test_xdp_start_ack(void **state)
{
	struct proto_msg *m = calloc(1, sizeof(*m));
	char *line, note[300];
	size_t n;

	(void)state;
	assert_non_null(m);
	proto_msg_init(m, MSG_TEST_START);
	strcpy(m->start.id, "x");
	m->start.proto = XFR_PROTO_UDP;
	m->start.streams = 1;
	m->start.duration_secs = 5;
	strcpy(m->start.engine, "afxdp");
	strcpy(m->start.xdp_mode, "redirect");
	m->start.drop_reasons = true;
	line = encode_str(m);
	assert_string_equal(line, "{\"type\":\"test_start\",\"id\":\"x\",\"protocol\":\"udp\","
				  "\"streams\":1,\"duration_secs\":5,\"direction\":\"upload\","
				  "\"engine\":\"afxdp\",\"xdp_mode\":\"redirect\","
				  "\"drop_reasons\":true}\n");
	free(line);
	assert_round_trip(m);
	assert_string_equal(m2.start.engine, "afxdp");
	assert_string_equal(m2.start.xdp_mode, "redirect");
	assert_true(m2.start.drop_reasons);
	/* every allowed value decodes; false and "" are omitted on encode */
	for (const char *const *e = (const char *const[]){"socket", "auto", "xdp", "afxdp", NULL};
	     *e; e++) {
		snprintf(note, sizeof(note),
			 "{\"type\":\"test_start\",\"id\":\"x\",\"protocol\":\"udp\",\"streams\":1,"
			 "\"duration_secs\":5,\"direction\":\"upload\",\"engine\":\"%s\"}",
			 *e);
		assert_identical(note);
		assert_string_equal(m1.start.engine, *e);
	}
	for (const char *const *e = (const char *const[]){"drop", "pass", "redirect", NULL}; *e;
	     e++) {
		snprintf(note, sizeof(note),
			 "{\"type\":\"test_start\",\"id\":\"x\",\"protocol\":\"udp\",\"streams\":1,"
			 "\"duration_secs\":5,\"direction\":\"upload\",\"xdp_mode\":\"%s\"}",
			 *e);
		assert_identical(note);
		assert_string_equal(m1.start.xdp_mode, *e);
	}
	m->start.engine[0] = m->start.xdp_mode[0] = '\0';
	m->start.drop_reasons = false;
	line = encode_str(m);
	assert_null(strstr(line, "engine"));
	assert_null(strstr(line, "xdp_mode"));
	assert_null(strstr(line, "drop_reasons"));
	free(line);
	/* a value we would refuse from a peer is refused on encode too */
	strcpy(m->start.engine, "dpdk");
	errno = 0;
	assert_null(proto_encode(m, NULL));
	assert_int_equal(errno, EINVAL);

	proto_msg_init(m, MSG_TEST_ACK);
	strcpy(m->ack.id, "x");
	strcpy(m->ack.engine, "xdp");
	strcpy(m->ack.engine_note, "auto: xdp on veth0 (native)");
	line = encode_str(m);
	assert_string_equal(line, "{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[],"
				  "\"engine\":\"xdp\",\"engine_note\":\"auto: xdp on veth0 "
				  "(native)\"}\n");
	free(line);
	assert_round_trip(m);
	assert_string_equal(m2.ack.engine, "xdp");
	assert_string_equal(m2.ack.engine_note, "auto: xdp on veth0 (native)");
	/* the note is free text: control characters become '?', cut at 159 bytes */
	expect_ok("{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[],\"engine\":\"socket\","
		  "\"engine_note\":\"no CAP_BPF\\nfalling back\\u001b[31m\"}");
	assert_string_equal(m1.ack.engine_note, "no CAP_BPF?falling back?[31m");
	n = (size_t)snprintf(
		note, sizeof(note),
		"{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[],\"engine_note\":\"");
	memset(note + n, 'n', 200);
	strcpy(note + n + 200, "\"}");
	expect_ok(note);
	assert_int_equal(strlen(m1.ack.engine_note), 159);
	free(m);
}

static void fill_kernel_stream(struct proto_stream *s, uint32_t id, bool tcp)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->bytes = 1000 + id;
	s->throughput_mbps = 1.5;
	if (tcp) {
		s->tcp.has_bpf = true;
		s->tcp.bpf_rtt_min_us = 50 + id;
		s->tcp.bpf_rtt_avg_us = 80 + id;
		s->tcp.bpf_rtt_max_us = 200 + id;
		s->tcp.bpf_rtt_samples = 1234 + id;
		s->tcp.bpf_retransmits = 3;
		s->tcp.bpf_delivered = 1ULL << 33;
	} else {
		s->has_udp = true;
		s->udp.packets_received = 998000;
		s->udp.has_xdp = true;
		s->udp.xdp_packets = 999000 + id;
		s->udp.xdp_bytes = 1400ULL * (999000 + id);
		s->udp.xdp_sink = id % 2; /* true survives, false stays absent */
	}
	s->has_drops_rx = true;
	s->drops_rx.n = 2;
	strcpy(s->drops_rx.d[0].reason, "SOCKET_RCVBUFF");
	s->drops_rx.d[0].packets = 1000 + id;
	strcpy(s->drops_rx.d[1].reason, "NETFILTER_DROP");
	s->drops_rx.d[1].packets = 12;
	s->has_drops_tx = id % 2;
	if (s->has_drops_tx) {
		s->drops_tx.n = 1;
		strcpy(s->drops_tx.d[0].reason, "QDISC_DROP");
		s->drops_tx.d[0].packets = 10;
	}
}

static void assert_kernel_stream(const struct proto_stream *s, uint32_t id, bool tcp)
{
	assert_int_equal(s->tcp.has_bpf, tcp);
	if (tcp) {
		assert_int_equal(s->tcp.bpf_rtt_min_us, 50 + id);
		assert_int_equal(s->tcp.bpf_rtt_avg_us, 80 + id);
		assert_int_equal(s->tcp.bpf_rtt_max_us, 200 + id);
		assert_int_equal(s->tcp.bpf_rtt_samples, 1234 + id);
		assert_int_equal(s->tcp.bpf_retransmits, 3);
		assert_int_equal(s->tcp.bpf_delivered, 1ULL << 33);
	} else {
		assert_true(s->has_udp && s->udp.has_xdp);
		assert_int_equal(s->udp.xdp_packets, 999000 + id);
		assert_int_equal(s->udp.xdp_bytes, 1400ULL * (999000 + id));
		assert_int_equal(s->udp.xdp_sink, id % 2);
	}
	assert_true(s->has_drops_rx);
	assert_int_equal(s->drops_rx.n, 2);
	assert_string_equal(s->drops_rx.d[0].reason, "SOCKET_RCVBUFF");
	assert_int_equal(s->drops_rx.d[0].packets, 1000 + id);
	assert_string_equal(s->drops_rx.d[1].reason, "NETFILTER_DROP");
	assert_int_equal(s->drops_rx.d[1].packets, 12);
	assert_int_equal(s->has_drops_tx, id % 2);
	if (id % 2) {
		assert_int_equal(s->drops_tx.n, 1);
		assert_string_equal(s->drops_tx.d[0].reason, "QDISC_DROP");
		assert_int_equal(s->drops_tx.d[0].packets, 10);
	}
}

/* bpf, xdp_packets/xdp_bytes and drops_by_reason survive intervals and results. */
static void test_xdp_stream_round_trip(void **state)
{
	struct proto_msg *m = calloc(1, sizeof(*m));
	char *line;

	(void)state;
	assert_non_null(m);
	for (int tcp = 0; tcp < 2; tcp++) {
		proto_msg_init(m, MSG_INTERVAL);
		strcpy(m->interval.id, "x");
		m->interval.nstreams = 4;
		for (uint32_t i = 0; i < 4; i++)
			fill_kernel_stream(&m->interval.streams[i], i, tcp);
		assert_round_trip(m);
		for (uint32_t i = 0; i < 4; i++)
			assert_kernel_stream(&m2.interval.streams[i], i, tcp);
		proto_msg_init(m, MSG_RESULT);
		strcpy(m->result.id, "x");
		m->result.nstreams = 2;
		for (uint32_t i = 0; i < 2; i++)
			fill_kernel_stream(&m->result.streams[i], i, tcp);
		assert_round_trip(m);
		for (uint32_t i = 0; i < 2; i++)
			assert_kernel_stream(&m2.result.streams[i], i, tcp);
	}
	/* the exact shape: after the existing keys, absent sides omitted, empty side kept */
	proto_msg_init(m, MSG_INTERVAL);
	strcpy(m->interval.id, "x");
	m->interval.nstreams = 1;
	fill_kernel_stream(&m->interval.streams[0], 1, true);
	m->interval.streams[0].has_drops_rx = false;
	m->interval.streams[0].drops_tx.n = 0;
	line = encode_str(m);
	assert_string_equal(
		line, "{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":0,\"streams\":[{\"id\":1,"
		      "\"bytes\":1001,\"bpf\":{\"rtt_min_us\":51,\"rtt_avg_us\":81,\"rtt_max_us\":"
		      "201,\"rtt_samples\":1235,\"retransmits\":3,\"delivered\":8589934592},"
		      "\"drops_by_reason\":{\"tx\":{}}}],\"aggregate\":{\"bytes\":0,"
		      "\"throughput_mbps\":0.0}}\n");
	free(line);
	fill_kernel_stream(&m->interval.streams[0], 0, false);
	m->interval.streams[0].has_drops_rx = false;
	line = encode_str(m);
	assert_non_null(strstr(line, "\"udp\":{\"packets_sent\":0,\"packets_received\":998000,"
				     "\"lost\":0,\"lost_percent\":0.0,\"jitter_ms\":0.0,"
				     "\"jitter_max_ms\":0.0,\"out_of_order\":0,\"duplicates\":0,"
				     "\"rcvbuf_drops\":0,\"send_errors\":0,\"xdp_packets\":999000,"
				     "\"xdp_bytes\":1398600000}}]"));
	assert_null(strstr(line, "drops_by_reason"));
	free(line);
	/* 16 reasons are fine */
	m->interval.streams[0].has_drops_rx = true;
	m->interval.streams[0].drops_rx.n = 16;
	for (int i = 0; i < 16; i++) {
		snprintf(m->interval.streams[0].drops_rx.d[i].reason, 40, "R%02d", i);
		m->interval.streams[0].drops_rx.d[i].packets = 16 - i;
	}
	assert_round_trip(m);
	assert_int_equal(m2.interval.streams[0].drops_rx.n, 16);
	assert_string_equal(m2.interval.streams[0].drops_rx.d[15].reason, "R15");
	/* a name a peer would refuse is left out rather than sent */
	strcpy(m->interval.streams[0].drops_rx.d[3].reason, "bad name");
	line = encode_str(m);
	assert_null(strstr(line, "bad name"));
	assert_non_null(strstr(line, "\"R02\":14,\"R04\":12"));
	free(line);
	free(m);
}

static void test_xdp_rejects(void **state)
{
	static const char *const start_bad[][2] = {
		{"\"engine\":\"dpdk\"",
		 "field engine: invalid value \"dpdk\" (expected socket, auto, xdp or afxdp)"},
		{"\"engine\":\"XDP\"",
		 "field engine: invalid value \"XDP\" (expected socket, auto, xdp or afxdp)"},
		{"\"engine\":\"\"",
		 "field engine: invalid value \"\" (expected socket, auto, xdp or afxdp)"},
		{"\"engine\":\"xdp\\u0007\"",
		 "field engine: invalid value \"xdp?\" (expected socket, auto, xdp or afxdp)"},
		{"\"engine\":1", "field engine: expected string"},
		{"\"xdp_mode\":\"tx\"",
		 "field xdp_mode: invalid value \"tx\" (expected drop, pass or redirect)"},
		{"\"xdp_mode\":[]", "field xdp_mode: expected string"},
		{"\"drop_reasons\":1", "field drop_reasons: expected boolean"},
		{"\"drop_reasons\":\"true\"", "field drop_reasons: expected boolean"},
	};
	static const char *const ack_bad[][2] = {
		{"\"engine\":\"auto\"",
		 "field engine: invalid value \"auto\" (expected socket, xdp, afxdp or quic)"},
		{"\"engine\":true", "field engine: expected string"},
		{"\"engine_note\":5", "field engine_note: expected string"},
	};
	static const char *const stream_bad[][2] = {
		{"\"drops_by_reason\":[]", "field streams[0].drops_by_reason: expected object"},
		{"\"drops_by_reason\":{\"rx\":5}",
		 "field streams[0].drops_by_reason.rx: expected object"},
		{"\"drops_by_reason\":{\"tx\":[\"QDISC_DROP\"]}",
		 "field streams[0].drops_by_reason.tx: expected object"},
		{"\"drops_by_reason\":{\"rx\":{\"socket_rcvbuff\":1}}",
		 "field streams[0].drops_by_reason.rx: invalid reason name \"socket_rcvbuff\""},
		{"\"drops_by_reason\":{\"rx\":{\"NOT-A-NAME\":1}}",
		 "field streams[0].drops_by_reason.rx: invalid reason name \"NOT-A-NAME\""},
		{"\"drops_by_reason\":{\"rx\":{\"\":1}}",
		 "field streams[0].drops_by_reason.rx: invalid reason name \"\""},
		{"\"drops_by_reason\":{\"tx\":{\"A\\nB\":1}}",
		 "field streams[0].drops_by_reason.tx: invalid reason name \"A?B\""},
		{"\"drops_by_reason\":{\"rx\":{\"ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ\":1}}",
		 "field streams[0].drops_by_reason.rx: invalid reason name "
		 "\"ABCDEFGHIJABCDEFGHIJABCDEFGHIJAB\""},
		{"\"drops_by_reason\":{\"rx\":{\"SOCKET_RCVBUFF\":-1}}",
		 "field streams[0].drops_by_reason.rx.SOCKET_RCVBUFF: -1 out of range "
		 "0..9223372036854775807"},
		{"\"drops_by_reason\":{\"rx\":{\"SOCKET_RCVBUFF\":1.5}}",
		 "field streams[0].drops_by_reason.rx.SOCKET_RCVBUFF: expected integer"},
		{"\"drops_by_reason\":{\"tx\":{\"QDISC_DROP\":\"3\"}}",
		 "field streams[0].drops_by_reason.tx.QDISC_DROP: expected integer"},
		{"\"drops_by_reason\":{\"tx\":{\"QDISC_DROP\":null}}",
		 "field streams[0].drops_by_reason.tx.QDISC_DROP: expected integer"},
		{"\"bpf\":5", "field streams[0].bpf: expected object"},
		{"\"bpf\":{\"rtt_min_us\":-1}",
		 "field streams[0].bpf.rtt_min_us: -1 out of range 0..4294967295"},
		{"\"bpf\":{\"rtt_avg_us\":4294967296}",
		 "field streams[0].bpf.rtt_avg_us: 4294967296 out of range 0..4294967295"},
		{"\"bpf\":{\"rtt_samples\":\"1\"}",
		 "field streams[0].bpf.rtt_samples: expected integer"},
		{"\"bpf\":{\"delivered\":1.0}", "field streams[0].bpf.delivered: expected integer"},
		{"\"udp\":{\"xdp_packets\":-1}",
		 "field streams[0].udp.xdp_packets: -1 out of range 0..9223372036854775807"},
		{"\"udp\":{\"xdp_bytes\":\"9\"}",
		 "field streams[0].udp.xdp_bytes: expected integer"},
	};
	char line[1024], reasons[600];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(start_bad) / sizeof(start_bad[0]); i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"test_start\",\"id\":\"x\",\"protocol\":\"udp\",\"streams\":1,"
			 "\"duration_secs\":5,\"direction\":\"upload\",%s}",
			 start_bad[i][0]);
		expect_err(line, start_bad[i][1]);
	}
	for (i = 0; i < sizeof(ack_bad) / sizeof(ack_bad[0]); i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"test_ack\",\"id\":\"x\",\"data_ports\":[],%s}",
			 ack_bad[i][0]);
		expect_err(line, ack_bad[i][1]);
	}
	for (i = 0; i < sizeof(stream_bad) / sizeof(stream_bad[0]); i++) {
		snprintf(
			line, sizeof(line),
			"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[{\"id\":0,"
			"\"bytes\":1,%s}],\"aggregate\":{\"bytes\":1,\"throughput_mbps\":1}}",
			stream_bad[i][0]);
		expect_err(line, stream_bad[i][1]);
		/* the same in a result's streams */
		snprintf(line, sizeof(line),
			 "{\"type\":\"result\",\"id\":\"x\",\"bytes_total\":1,\"duration_ms\":1,"
			 "\"throughput_mbps\":1,\"streams\":[{\"id\":0,\"bytes\":1,"
			 "\"throughput_mbps\":1,%s}]}",
			 stream_bad[i][0]);
		expect_err(line, stream_bad[i][1]);
	}
	/* 17 reasons: too many; 16 and 39-character names are fine */
	for (int k = 0; k <= 1; k++) {
		n = 0;
		for (int j = 0; j < 16 + k; j++)
			n += snprintf(reasons + n, sizeof(reasons) - n, "%s\"REASON_%02d\":%d",
				      j ? "," : "", j, j);
		snprintf(
			line, sizeof(line),
			"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[{\"id\":0,"
			"\"bytes\":1,\"drops_by_reason\":{\"rx\":{%s}}}],\"aggregate\":{\"bytes\":1,"
			"\"throughput_mbps\":1}}",
			reasons);
		if (k) {
			expect_err(line, "field streams[0].drops_by_reason.rx: 17 entries out of "
					 "range 0..16");
		} else {
			expect_ok(line);
			assert_int_equal(m1.interval.streams[0].drops_rx.n, 16);
		}
	}
	expect_ok(
		"{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[{\"id\":0,"
		"\"bytes\":1,\"drops_by_reason\":{\"rx\":{\"ABCDEFGHIJABCDEFGHIJABCDEFGHIJ012345678\":"
		"9223372036854775807},\"tx\":null,\"other\":5}}],\"aggregate\":{\"bytes\":1,"
		"\"throughput_mbps\":1}}");
	assert_true(m1.interval.streams[0].has_drops_rx);
	assert_false(m1.interval.streams[0].has_drops_tx);
	assert_int_equal(m1.interval.streams[0].drops_rx.d[0].packets, INT64_MAX);
	/* null keys are absent */
	expect_ok("{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,\"streams\":[{\"id\":0,"
		  "\"bytes\":1,\"drops_by_reason\":null,\"bpf\":null}],\"aggregate\":{\"bytes\":1,"
		  "\"throughput_mbps\":1}}");
	assert_false(m1.interval.streams[0].has_drops_rx || m1.interval.streams[0].tcp.has_bpf);
}

static void test_c10_versions(void **state)
{
	static const char *const ok[] = {"1.1", "1.0", "1.9", "1.10", "01.1"};
	static const char *const bad[] = {"2.0",  "",	  "1..1",  "x",		  "1.",
					  "1",	  ".1",	  "1.1.0", "0.9",	  "1.1 ",
					  " 1.1", "-1.1", "1.x",   "1.1234567890"};
	char kb[1100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(proto_version_compatible(ok[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(proto_version_compatible(bad[i]));
	memset(kb, '1', sizeof(kb) - 1);
	kb[1] = '.';
	kb[sizeof(kb) - 1] = '\0';
	assert_false(proto_version_compatible(kb));
	assert_false(proto_version_compatible(NULL));
	assert_true(proto_version_compatible(PROTO_VERSION));
}

static void test_caps_and_uuid(void **state)
{
	char a[37], b[37];
	int i;

	(void)state;
	assert_string_equal(proto_cap_name(CAP_TCP), "tcp");
	assert_string_equal(proto_cap_name(CAP_SINGLE_PORT_TCP), "single_port_tcp");
	assert_string_equal(proto_cap_name(CAP_BYTE_BUDGET_V1), "byte_budget_v1");
	assert_string_equal(proto_cap_name(CAP_XDP_V1), "xdp_v1");
	assert_string_equal(proto_cap_name(CAP_SERVER_OUTPUT_V1), "server_output_v1");
	assert_string_equal(proto_cap_name(CAP_INTERVAL_MS_V1), "interval_ms_v1");
	assert_null(proto_cap_name(0));
	assert_null(proto_cap_name(CAP_TCP | CAP_UDP));
	assert_string_equal(proto_cap_name(CAP_UDP_AUTH_V1), "udp_auth_v1");
	assert_null(proto_cap_name(1u << 16));
	for (i = 0; i < 16; i++)
		assert_non_null(proto_cap_name(1u << i));

	assert_int_equal(proto_uuid(a), 0);
	assert_int_equal(proto_uuid(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
}

/* One capability list for both roles, our hello as docs/PROTOCOL.md shows it, the token codec. */
static void test_local_hello(void **state)
{
	static const char doc[] =
		"{\"type\":\"hello\",\"version\":\"1.1\",\"client\":\"xfr/" XFR_VERSION
		"\",\"capabilities\":[\"tcp\",\"udp\",\"multistream\",\"single_port_tcp\","
		"\"pause_resume\",\"udp_feedback_v1\",\"zerocopy_v1\",\"mtu_probe_v1\","
		"\"single_port_udp_v1\",\"protected_control_v1\",\"byte_budget_v1\",\"xdp_v1\",\"server_output_v1\","
		"\"interval_ms_v1\",\"udp_auth_v1\"]}\n";
	unsigned char tok[16], back[16];
	struct proto_msg m;
	char hex[33];
	size_t len;
	char *line;

	(void)state;
	assert_int_equal(proto_caps_local(false, false), proto_caps_local(true, true));
	assert_true(proto_caps_local(false, false) & CAP_SINGLE_PORT_UDP_V1); /* the client's */
	assert_false(proto_caps_local(true, false) & CAP_SINGLE_PORT_UDP_V1); /* self-test failed */
	assert_true(proto_caps_local(true, false) & CAP_MTU_PROBE_V1);
	proto_msg_init(&m, MSG_HELLO);
	proto_hello_fill(&m.hello, false, proto_caps_local(false, true));
	line = proto_encode(&m, &len);
	assert_non_null(line);
	assert_string_equal(line, doc);
	free(line);
	proto_msg_free(&m);
	for (int i = 0; i < 16; i++)
		tok[i] = (unsigned char)(i * 17 + 3);
	proto_token_hex(tok, hex);
	assert_string_equal(hex, "031425364758697a8b9cadbecfe0f102");
	assert_int_equal(proto_token_parse(hex, back), 0);
	assert_memory_equal(tok, back, 16);
	assert_int_equal(proto_token_parse("0314zz", back), -EINVAL);
}

/*
 * Defect 6 of the server-safety issue: every decoded line zeroed the whole
 * ~270 KB message twice, even a line that is then ignored. The decoder now
 * writes only the decoded message's own fields: the 128 stream entries of an
 * interval or result stay untouched unless the line carries them.
 */
static void test_decode_cost(void **state)
{
	static const char cancel[] = "{\"type\":\"cancel\",\"id\":\"x\",\"reason\":\"r\"}";
	static const char iv[] = "{\"type\":\"interval\",\"id\":\"x\",\"elapsed_ms\":1,"
				 "\"streams\":[{\"id\":0,\"bytes\":5}],"
				 "\"aggregate\":{\"bytes\":5,\"throughput_mbps\":0.0}}";
	struct proto_msg *m = malloc(sizeof(*m));
	unsigned char *p;

	(void)state;
	assert_non_null(m);
	memset(m, 0xa5, sizeof(*m));
	m->type = MSG_HELLO;
	assert_int_equal(proto_decode(cancel, strlen(cancel), m, err, sizeof(err)), 0);
	assert_int_equal(m->type, MSG_CANCEL);
	assert_string_equal(m->text.id, "x");
	p = (unsigned char *)&m->interval.streams[64];
	assert_int_equal(p[0], 0xa5); /* not zeroed: no streams in a cancel */
	assert_int_equal(proto_decode(iv, strlen(iv), m, err, sizeof(err)), 0);
	assert_int_equal(m->interval.nstreams, 1);
	assert_int_equal(m->interval.streams[0].bytes, 5);
	assert_false(m->interval.streams[0].has_udp); /* the decoded entry is clean */
	assert_false(m->interval.aggregate.has_split);
	assert_int_equal(p[0], 0xa5); /* entries past nstreams untouched */
	proto_msg_free(m);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_cost),
		cmocka_unit_test(test_local_hello),
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_doc_examples),
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_round_trip_minimal),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_c1_malformed),
		cmocka_unit_test(test_c5_nesting),
		cmocka_unit_test(test_c5_big_values),
		cmocka_unit_test(test_c5_numbers),
		cmocka_unit_test(test_c6_wrong_types),
		cmocka_unit_test(test_c7_ranges),
		cmocka_unit_test(test_id_lengths),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_ack_and_data_hello),
		cmocka_unit_test(test_text_sanitized),
		cmocka_unit_test(test_interval_limits),
		cmocka_unit_test(test_result_server_output),
		cmocka_unit_test(test_udp_round_trip),
		cmocka_unit_test(test_udp_shapes),
		cmocka_unit_test(test_udp_errors),
		cmocka_unit_test(test_xdp_start_ack),
		cmocka_unit_test(test_xdp_stream_round_trip),
		cmocka_unit_test(test_xdp_rejects),
		cmocka_unit_test(test_c10_versions),
		cmocka_unit_test(test_caps_and_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
