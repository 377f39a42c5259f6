// SPDX-License-Identifier: MIT
/*
 * Control protocol 1.1 codec (docs/PROTOCOL.md). Every message type is
 * described by a table of fields (here); one generic walker decodes a table
 * (proto_dec.c: type and range checks, errors naming the field) and another
 * encodes it in table order, which is the reference's field order
 * (proto_enc.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "control/proto_priv.h"
#include "wire.h"
#include "util.h"

const char *const pc_cap_names[] = {
	"tcp",
	"udp",
	"quic",
	"multistream",
	"single_port_tcp",
	"pause_resume",
	"udp_feedback_v1",
	"zerocopy_v1",
	"mtu_probe_v1",
	"single_port_udp_v1",
	"protected_control_v1",
	"byte_budget_v1",
	"xdp_v1",
	"server_output_v1",
	"interval_ms_v1",
	"udp_auth_v1",
};

static const struct field hello_f[] = {
	FR("version", K_STR, struct proto_hello, version, 0, 31),
	FN("client", K_SOFT, struct proto_hello, software, 0, 63),
	FN("server", K_SOFT, struct proto_hello, software, 0, 63),
	FN("capabilities", K_CAPS, struct proto_hello, caps, 0, 0),
	FN("auth", K_AUTH, struct proto_hello, auth_nonce, 64, 64),
	FN("client_nonce", K_HEX, struct proto_hello, client_nonce, 64, 64),
};

static const struct field auth_response_f[] = {
	FR("response", K_STR, struct proto_text, text, 0, PROTO_TEXT_MAX - 1),
};

static const struct field auth_success_f[] = {
	FN("server_proof", K_STR, struct proto_text, text, 0, PROTO_TEXT_MAX - 1),
};

#define TS struct proto_test_start
static const struct field test_start_f[] = {
	FR("id", K_ID, TS, id, 1, PROTO_ID_MAX - 1),
	FR("protocol", K_PROTO, TS, proto, 0, 0),
	FR("streams", K_U32, TS, streams, 1, XFR_MAX_STREAMS),
	FR("duration_secs", K_U32, TS, duration_secs, 0, U32),
	FR("direction", K_DIR, TS, dir, 0, 0),
	FH("bitrate", K_U64, TS, bitrate, has_bitrate, 0, PROTO_MAX_BITRATE),
	FN("congestion", K_CC, TS, congestion, 1, 15),
	FN("mptcp", K_BOOL, TS, mptcp, 0, 0),
	FN("dscp", K_DSCP, TS, dscp, 0, 255),
	FH("window_size", K_U64, TS, window, has_window, 1, XFR_MAX_WINDOW),
	FN("zerocopy", K_BOOL, TS, zerocopy, 0, 0),
	FN("mtu_probe", K_BOOL, TS, mtu_probe, 0, 0),
	FN("tcp_nodelay", K_BOOL, TS, tcp_nodelay, 0, 0),
	FH("byte_budget", K_U64, TS, byte_budget, has_byte_budget, 1, I64),
	FN("interval_ms", K_U32, TS, interval_ms, 100, 60000),
	FN("server_output", K_BOOL, TS, server_output, 0, 0),
	FN("length", K_U32, TS, length, 1, 16 * MIB),
	FN("udp_no_offload", K_BOOL, TS, udp_no_offload, 0, 0),
	FNAME("engine", TS, engine, engine_req_names),
	FNAME("xdp_mode", TS, xdp_mode, xdp_mode_names),
	FN("drop_reasons", K_BOOL, TS, drop_reasons, 0, 0),
	FNAME("client_engine", TS, client_engine, engine_run_names),
};
#undef TS

static const struct field test_ack_f[] = {
	FR("id", K_ID, struct proto_test_ack, id, 1, PROTO_ID_MAX - 1),
	FR("data_ports", K_PORTS, struct proto_test_ack, data_ports, 1, 65535),
	FN("udp_token", K_HEX, struct proto_test_ack, udp_token, 32, 32),
	FNAME("engine", struct proto_test_ack, engine, engine_run_names),
	FN("engine_note", K_TEXT, struct proto_test_ack, engine_note, 0, 159),
	FN("gso_iface", K_TEXT, struct proto_test_ack, gso_iface, 0, 15),
	FN("duration_secs", K_U32, struct proto_test_ack, duration_secs, 1, U32),
	FH("bitrate", K_U64, struct proto_test_ack, bitrate, has_bitrate, 0, 10000000000000ULL),
	FN("limit_note", K_TEXT, struct proto_test_ack, limit_note, 0, 159),
};

static const struct field data_hello_f[] = {
	FR("test_id", K_ID, struct proto_data_hello, test_id, 1, PROTO_ID_MAX - 1),
	FR("stream_index", K_U16, struct proto_data_hello, stream_index, 0, XFR_MAX_STREAMS - 1),
};

/*
 * UDP detail: the ext "udp" object of a stream (every key always written) and
 * the reference's udp_stats of a result (+ ext counts). Jitter and loss
 * percentages are finite and non-negative; a percentage is at most 100.
 */
#define PCT_MAX 100
#define U	struct proto_udp
static const struct field udp_f[] = {
	FO("packets_sent", K_U64, U, packets_sent, 0, I64),
	FO("packets_received", K_U64, U, packets_received, 0, I64),
	FO("lost", K_U64, U, lost, 0, I64),
	FO("lost_percent", K_DBL, U, lost_percent, 0, PCT_MAX),
	FO("jitter_ms", K_DBL, U, jitter_ms, 0, 0),
	FO("jitter_max_ms", K_DBL, U, jitter_max_ms, 0, 0),
	FO("out_of_order", K_U64, U, out_of_order, 0, I64),
	FO("duplicates", K_U64, U, duplicates, 0, I64),
	FO("rcvbuf_drops", K_U64, U, rcvbuf_drops, 0, I64),
	FO("send_errors", K_U64, U, send_errors, 0, I64),
	FN("gso_sends", K_U64, U, gso_sends, 0, I64),
	FN("gso_packets", K_U64, U, gso_packets, 0, I64),
	FH("xdp_packets", K_U64, U, xdp_packets, has_xdp, 0, I64),
	FH("xdp_bytes", K_U64, U, xdp_bytes, has_xdp, 0, I64),
	FN("xdp_sink", K_BOOL, U, xdp_sink, 0, 0),
};

/*
 * UdpStats: the reference requires its six first keys, so always write them;
 * jitter_max_ms too (always known). Ext counts only when non-zero, so a
 * reference-shaped line re-encodes byte for byte.
 */
static const struct field udp_stats_f[] = {
	FO("packets_sent", K_U64, U, packets_sent, 0, I64),
	FO("packets_received", K_U64, U, packets_received, 0, I64),
	FO("lost", K_U64, U, lost, 0, I64),
	FO("lost_percent", K_DBL, U, lost_percent, 0, PCT_MAX),
	FO("jitter_ms", K_DBL, U, jitter_ms, 0, 0),
	FO("out_of_order", K_U64, U, out_of_order, 0, I64),
	FO("jitter_max_ms", K_DBL, U, jitter_max_ms, 0, 0),
	FN("packet_size", K_U32, U, packet_size, XFR_UDP_HDR_LEN, 65535),
	FN("duplicates", K_U64, U, duplicates, 0, I64),
	FN("rcvbuf_drops", K_U64, U, rcvbuf_drops, 0, I64),
	FN("send_errors", K_U64, U, send_errors, 0, I64),
};
#undef U

/* ext "bpf" of a stream: the server's BPF TCP figures, every key written. */
#define T struct proto_tcp
static const struct field bpf_f[] = {
	FO("rtt_min_us", K_U32, T, bpf_rtt_min_us, 0, U32),
	FO("rtt_avg_us", K_U32, T, bpf_rtt_avg_us, 0, U32),
	FO("rtt_max_us", K_U32, T, bpf_rtt_max_us, 0, U32),
	FO("rtt_samples", K_U64, T, bpf_rtt_samples, 0, I64),
	FO("retransmits", K_U64, T, bpf_retransmits, 0, I64),
	FO("delivered", K_U64, T, bpf_delivered, 0, I64),
};
#undef T

/* TCP and UDP figures and the ext direction split, flat inside a stream object. */
#define S struct proto_stream
#define STREAM_TAIL                                                                                \
	FH("retransmits", K_U64, S, tcp.retransmits, tcp.has_retransmits, 0, I64),                 \
		FH("jitter_ms", K_DBL, S, jitter_ms, has_jitter, 0, 0),                            \
		FH("lost", K_U64, S, lost, has_lost, 0, I64),                                      \
		FN("error", K_TEXT, S, error, 0, PROTO_TEXT_MAX - 1),                              \
		FH("rtt_us", K_U32, S, tcp.rtt_us, tcp.has_rtt, 0, U32),                           \
		FH("cwnd", K_U32, S, tcp.cwnd, tcp.has_cwnd, 0, U32),                              \
		FN("rtt_var_us", K_U32, S, tcp.rtt_var_us, 0, U32),                                \
		FN("cwnd_bytes", K_U64, S, tcp.cwnd_bytes, 0, I64),                                \
		FN("pmtu", K_U32, S, tcp.pmtu, 0, U32),                                            \
		FN("delivery_rate_bps", K_U64, S, tcp.delivery_rate_bps, 0, I64),                  \
		FH("bytes_acked", K_U64, S, tcp.bytes_acked, tcp.has_bytes_acked, 0, I64),         \
		FN("send_path", K_TEXT, S, tcp.send_path, 0, 15),                                  \
		FN("send_path_send_mbps", K_U32, S, tcp.send_path_send_mbps, 0, U32),              \
		FN("send_path_sendfile_mbps", K_U32, S, tcp.send_path_sendfile_mbps, 0, U32),      \
		FH("bytes_sent", K_U64, S, bytes_sent, has_split, 0, I64),                         \
		FH("bytes_received", K_U64, S, bytes_received, has_split, 0, I64),                 \
		FSUB("udp", K_OBJ, F_HAS, S, udp, offsetof(S, has_udp), udp_f),                    \
		FSUB("bpf", K_OBJ, F_HAS, S, tcp, offsetof(S, tcp.has_bpf), bpf_f),                \
	{                                                                                          \
		.name = "drops_by_reason", .kind = K_DROPS                                         \
	}

static const struct field stream_iv_f[] = {
	FR("id", K_U32, S, id, 0, 255),
	FR("bytes", K_U64, S, bytes, 0, I64),
	STREAM_TAIL,
};

static const struct field stream_res_f[] = {
	FR("id", K_U32, S, id, 0, 255),
	FR("bytes", K_U64, S, bytes, 0, I64),
	FR("throughput_mbps", K_DBL, S, throughput_mbps, 0, 0),
	STREAM_TAIL,
};
#undef S

#define A struct proto_aggregate
/* UdpProgress: both keys are required by the reference; offsets are into the aggregate. */
static const struct field udp_progress_f[] = {
	FR("packets_received", K_U64, A, progress_received, 0, I64),
	FR("packets_lost", K_U64, A, progress_lost, 0, I64),
};

static const struct field aggregate_f[] = {
	FR("bytes", K_U64, A, bytes, 0, I64),
	FR("throughput_mbps", K_DBL, A, throughput_mbps, 0, 0),
	FH("retransmits", K_U64, A, tcp.retransmits, tcp.has_retransmits, 0, I64),
	FH("jitter_ms", K_DBL, A, jitter_ms, has_jitter, 0, 0),
	FH("lost", K_U64, A, lost, has_lost, 0, I64),
	/* .off 0: the sub-table's offsets are the aggregate's own */
	{.name = "udp_progress",
	 .kind = K_OBJ,
	 .flags = F_HAS,
	 .off = 0,
	 .has = offsetof(A, has_udp_progress),
	 .sub = udp_progress_f,
	 .nsub = ARRAY_SIZE(udp_progress_f)},
	FH("rtt_us", K_U32, A, tcp.rtt_us, tcp.has_rtt, 0, U32),
	FH("cwnd", K_U32, A, tcp.cwnd, tcp.has_cwnd, 0, U32),
	FH("bytes_sent", K_U64, A, bytes_sent, has_split, 0, I64),
	FH("bytes_received", K_U64, A, bytes_received, has_split, 0, I64),
	FH("throughput_send_mbps", K_DBL, A, throughput_send_mbps, has_split, 0, 0),
	FH("throughput_recv_mbps", K_DBL, A, throughput_recv_mbps, has_split, 0, 0),
	FN("rtt_var_us", K_U32, A, tcp.rtt_var_us, 0, U32),
	FN("cwnd_bytes", K_U64, A, tcp.cwnd_bytes, 0, I64),
	FN("pmtu", K_U32, A, tcp.pmtu, 0, U32),
	FN("delivery_rate_bps", K_U64, A, tcp.delivery_rate_bps, 0, I64),
	FH("bytes_acked", K_U64, A, tcp.bytes_acked, tcp.has_bytes_acked, 0, I64),
};
#undef A

/* TcpInfoSnapshot: the reference requires its four first keys, so always write them. */
#define T struct proto_tcp
static const struct field tcp_info_f[] = {
	FOH("retransmits", K_U64, T, retransmits, has_retransmits, 0, I64),
	FOH("rtt_us", K_U32, T, rtt_us, has_rtt, 0, U32),
	FO("rtt_var_us", K_U32, T, rtt_var_us, 0, U32),
	FOH("cwnd", K_U32, T, cwnd, has_cwnd, 0, U32),
	FH("bytes_acked", K_U64, T, bytes_acked, has_bytes_acked, 0, I64),
	FN("cwnd_bytes", K_U64, T, cwnd_bytes, 0, I64),
	FN("pmtu", K_U32, T, pmtu, 0, U32),
	FN("delivery_rate_bps", K_U64, T, delivery_rate_bps, 0, I64),
};
#undef T

static const struct field interval_f[] = {
	FR("id", K_ID, struct proto_interval, id, 1, PROTO_ID_MAX - 1),
	FR("elapsed_ms", K_U64, struct proto_interval, elapsed_ms, 0, I64),
	FSUB("streams", K_STREAMS, F_REQ, struct proto_interval, streams,
	     offsetof(struct proto_interval, nstreams), stream_iv_f),
	FSUB("aggregate", K_OBJ, F_REQ, struct proto_interval, aggregate, 0, aggregate_f),
};

#define R struct proto_result
static const struct field result_f[] = {
	FR("id", K_ID, R, id, 1, PROTO_ID_MAX - 1),
	FR("bytes_total", K_U64, R, bytes_total, 0, I64),
	FR("duration_ms", K_U64, R, duration_ms, 0, I64),
	FR("throughput_mbps", K_DBL, R, throughput_mbps, 0, 0),
	FSUB("streams", K_STREAMS, F_REQ, R, streams, offsetof(R, nstreams), stream_res_f),
	FSUB("tcp_info", K_OBJ, F_HAS, R, tcp_info, offsetof(R, has_tcp_info), tcp_info_f),
	FSUB("udp_stats", K_OBJ, F_HAS, R, udp_stats, offsetof(R, has_udp_stats), udp_stats_f),
	FH("bytes_sent", K_U64, R, bytes_sent, has_split, 0, I64),
	FH("bytes_received", K_U64, R, bytes_received, has_split, 0, I64),
	FH("throughput_send_mbps", K_DBL, R, throughput_send_mbps, has_split, 0, 0),
	FH("throughput_recv_mbps", K_DBL, R, throughput_recv_mbps, has_split, 0, 0),
	FN("server_output", K_JSON, R, server_output, 0, 0),
};
#undef R

static const struct field cancel_f[] = {
	FR("id", K_ID, struct proto_text, id, 1, PROTO_ID_MAX - 1),
	FO("reason", K_TEXT, struct proto_text, text, 0, PROTO_TEXT_MAX - 1),
};

static const struct field id_only_f[] = {
	FR("id", K_ID, struct proto_text, id, 1, PROTO_ID_MAX - 1),
};

static const struct field error_f[] = {
	FR("message", K_TEXT, struct proto_text, text, 0, PROTO_TEXT_MAX - 1),
};

#define MSG(t, nm, tbl) [t] = {nm, tbl, ARRAY_SIZE(tbl)}
const struct msg_desc pc_msgs[MSG__COUNT] = {
	MSG(MSG_HELLO, "hello", hello_f),
	MSG(MSG_AUTH_RESPONSE, "auth_response", auth_response_f),
	MSG(MSG_AUTH_SUCCESS, "auth_success", auth_success_f),
	MSG(MSG_TEST_START, "test_start", test_start_f),
	MSG(MSG_TEST_ACK, "test_ack", test_ack_f),
	MSG(MSG_DATA_HELLO, "data_hello", data_hello_f),
	MSG(MSG_INTERVAL, "interval", interval_f),
	MSG(MSG_RESULT, "result", result_f),
	MSG(MSG_CANCEL, "cancel", cancel_f),
	MSG(MSG_CANCELLED, "cancelled", id_only_f),
	MSG(MSG_FINISH, "finish", id_only_f),
	MSG(MSG_PAUSE, "pause", id_only_f),
	MSG(MSG_RESUME, "resume", id_only_f),
	MSG(MSG_ERROR, "error", error_f),
};

const char *proto_cap_name(uint32_t cap)
{
	unsigned int i;

	if (!cap || (cap & (cap - 1)))
		return NULL;
	i = __builtin_ctz(cap);
	return i < pc_ncap_names ? pc_cap_names[i] : NULL;
}

uint32_t pc_cap_bit(const char *name)
{
	unsigned int i;

	for (i = 0; i < pc_ncap_names; i++)
		if (!strcmp(name, pc_cap_names[i]))
			return 1u << i;
	return 0; /* unknown capabilities are ignored */
}

const char *proto_type_name(enum proto_type t)
{
	return (unsigned int)t < MSG__COUNT ? pc_msgs[t].name : "unknown";
}

void proto_msg_init(struct proto_msg *m, enum proto_type t)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	if (t == MSG_TEST_START)
		m->start.dscp = -1;
}

const size_t pc_ncap_names = ARRAY_SIZE(pc_cap_names);

void proto_msg_free(struct proto_msg *m)
{
	if (m->type == MSG_RESULT) {
		free(m->result.server_output);
		m->result.server_output = NULL;
	}
}

/* "MAJOR.MINOR", each 1..9 decimal digits; nothing else. */
static bool parse_version(const char *v, unsigned long *major)
{
	size_t a, b;

	a = strspn(v, "0123456789");
	if (a == 0 || a > 9 || v[a] != '.')
		return false;
	b = strspn(v + a + 1, "0123456789");
	if (b == 0 || b > 9 || v[a + 1 + b] != '\0')
		return false;
	*major = strtoul(v, NULL, 10);
	return true;
}

bool proto_version_compatible(const char *v)
{
	unsigned long ours, theirs;

	if (!v || !parse_version(v, &theirs) || !parse_version(PROTO_VERSION, &ours))
		return false;
	return ours == theirs;
}

int proto_uuid(char out[37])
{
	unsigned char b[16];
	ssize_t n;

	do
		n = getrandom(b, sizeof(b), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

uint32_t proto_caps_local(bool server, bool udp_single_port)
{
	/* A socket-only server has xdp_v1 too: it reads the fields and says why it runs sockets. */
	uint32_t caps = PROTO_CAPS_SUPPORTED | CAP_UDP | CAP_UDP_FEEDBACK_V1 | CAP_MTU_PROBE_V1 |
			CAP_XDP_V1;

	caps |= CAP_PROTECTED_CONTROL_V1 | CAP_UDP_AUTH_V1; /* control/auth.h, pframe.h */

	if (!server || udp_single_port)
		caps |= CAP_SINGLE_PORT_UDP_V1;
	return caps;
}

void proto_hello_fill(struct proto_hello *h, bool server, uint32_t caps)
{
	snprintf(h->version, sizeof(h->version), "%s", PROTO_VERSION);
	snprintf(h->software, sizeof(h->software), "xfr/%s", XFR_VERSION);
	h->from_server = server;
	h->caps = caps;
	h->has_caps = true;
}

void proto_token_hex(const unsigned char token[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", token[i]);
}

int proto_token_parse(const char *hex, unsigned char token[16])
{
	for (int i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		token[i] = (unsigned char)v;
	}
	return 0;
}
