// SPDX-License-Identifier: MIT
/*
 * Control protocol 1.1 codec (docs/PROTOCOL.md). Every message type is
 * described by a table of fields; one generic walker decodes a table (type
 * and range checks, errors naming the field) and another encodes it in table
 * order, which is the reference's field order.
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

#include "control/proto.h"
#include "wire.h"
#include "util.h"

#define AT(base, off, type) ((type *)((char *)(base) + (off)))

/* Deeper input is refused before jansson sees it (its parser recurses). */
#define PROTO_MAX_DEPTH 32
#define DUMP_FLAGS	(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
#define I64		((uint64_t)INT64_MAX) /* wire integers are int64 in jansson */
#define U32		((uint64_t)UINT32_MAX)
#define MIB		(1024ULL * 1024)
#define CAP_NAME_MAX	64
#define TYPE_PRINT_MAX	32
/*
 * Reals are written with 10 significant digits, which can round a value near
 * DBL_MAX up past it; bounding what we accept keeps every line we write
 * parseable. Rates are in Mbit/s: 1e15 is far beyond any link.
 */
#define DBL_FIELD_MAX 1e15
#define DBL_ANY_MAX   1e300

enum fkind {
	K_STR,	 /* UTF-8, no control characters, length min..max */
	K_SOFT,	 /* hello "client"/"server": K_STR plus from_server */
	K_ID,	 /* printable ASCII, length min..max */
	K_HEX,	 /* exactly max hex digits */
	K_CC,	 /* congestion name: [A-Za-z0-9_-] */
	K_TEXT,	 /* free text: truncated to max, control characters -> '?' */
	K_NAME,	 /* one of .names, kept as the string */
	K_PROTO, /* enum xfr_proto by name */
	K_DIR,	 /* enum xfr_dir by name */
	K_U64,
	K_U32,
	K_U16,
	K_DSCP, /* int, -1 = absent */
	K_BOOL,
	K_DBL,
	K_CAPS,	   /* hello capabilities */
	K_AUTH,	   /* hello auth {method, nonce} */
	K_PORTS,   /* test_ack data_ports */
	K_OBJ,	   /* nested object described by .sub */
	K_STREAMS, /* array of struct proto_stream; .has is the count's offset */
	K_JSON,	   /* any object, kept as serialized text (char *) */
	K_DROPS,   /* stream "drops_by_reason": {"rx": {REASON: n}, "tx": {...}} */
};

enum {
	F_REQ = 1, /* required on decode (null is a wrong type), always encoded */
	F_OUT = 2, /* optional on decode, always encoded */
	F_HAS = 4, /* presence flag (bool) at .has; else absent means zero/empty */
};

struct field {
	const char *name;
	unsigned char kind;
	unsigned char flags;
	size_t off;
	size_t has;
	uint64_t min, max; /* integers: value range; strings: length range */
	const struct field *sub;
	size_t nsub;
	const char *const *names; /* K_NAME: the values allowed, NULL-terminated */
};

struct dctx {
	json_t *obj;
	const char *prefix; /* "" or "streams[2]." for nested fields */
	char *err;
	size_t errlen;
};

#define FR(n, k, st, m, lo, hi)                                                                    \
	{                                                                                          \
		.name = n, .kind = k, .flags = F_REQ, .off = offsetof(st, m), .min = lo, .max = hi \
	}
#define FO(n, k, st, m, lo, hi)                                                                    \
	{                                                                                          \
		.name = n, .kind = k, .flags = F_OUT, .off = offsetof(st, m), .min = lo, .max = hi \
	}
#define FN(n, k, st, m, lo, hi)                                                                    \
	{                                                                                          \
		.name = n, .kind = k, .off = offsetof(st, m), .min = lo, .max = hi                 \
	}
#define FH(n, k, st, m, h, lo, hi)                                                                 \
	{                                                                                          \
		.name = n, .kind = k, .flags = F_HAS, .off = offsetof(st, m),                      \
		.has = offsetof(st, h), .min = lo, .max = hi                                       \
	}
#define FOH(n, k, st, m, h, lo, hi)                                                                \
	{                                                                                          \
		.name = n, .kind = k, .flags = F_OUT | F_HAS, .off = offsetof(st, m),              \
		.has = offsetof(st, h), .min = lo, .max = hi                                       \
	}
#define FNAME(n, st, m, list)                                                                      \
	{                                                                                          \
		.name = n, .kind = K_NAME, .off = offsetof(st, m), .names = list                   \
	}
#define FSUB(n, k, fl, st, m, h, tbl)                                                              \
	{                                                                                          \
		.name = n, .kind = k, .flags = fl, .off = offsetof(st, m), .has = h, .sub = tbl,   \
		.nsub = ARRAY_SIZE(tbl)                                                            \
	}

static const char *const cap_names[] = {
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
};

/* The wire names are config.h's tables; "" (default) is the absent xdp_mode. */
#define proto_names	 xfr_proto_names
#define dir_names	 xfr_dir_names
#define engine_req_names xfr_engine_req_names
#define engine_run_names xfr_engine_names
#define xdp_mode_names	 (xfr_xdp_mode_names + 1)

static const struct field hello_f[] = {
	FR("version", K_STR, struct proto_hello, version, 0, 31),
	FN("client", K_SOFT, struct proto_hello, software, 0, 63),
	FN("server", K_SOFT, struct proto_hello, software, 0, 63),
	FN("capabilities", K_CAPS, struct proto_hello, caps, 0, 0),
	FN("auth", K_AUTH, struct proto_hello, auth_nonce, 64, 64),
	FN("client_nonce", K_HEX, struct proto_hello, client_nonce, 64, 64),
};

static const struct field auth_f[] = {
	FR("nonce", K_HEX, struct proto_hello, auth_nonce, 64, 64),
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

struct msg_desc {
	const char *name;
	const struct field *fields;
	size_t n;
};

#define MSG(t, nm, tbl) [t] = {nm, tbl, ARRAY_SIZE(tbl)}
static const struct msg_desc msgs[MSG__COUNT] = {
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
	return i < ARRAY_SIZE(cap_names) ? cap_names[i] : NULL;
}

static uint32_t cap_bit(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (!strcmp(name, cap_names[i]))
			return 1u << i;
	return 0; /* unknown capabilities are ignored */
}

const char *proto_type_name(enum proto_type t)
{
	return (unsigned int)t < MSG__COUNT ? msgs[t].name : "unknown";
}

void proto_msg_init(struct proto_msg *m, enum proto_type t)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	if (t == MSG_TEST_START)
		m->start.dscp = -1;
}

/* Zero [from, to) of m, skipping the streams array of an interval or result. */
static void zero_but_streams(struct proto_msg *m, size_t from, size_t to)
{
	size_t s = offsetof(struct proto_msg, interval.streams);
	size_t e = s + sizeof(m->interval.streams);

	if (m->type == MSG_RESULT) {
		s = offsetof(struct proto_msg, result.streams);
		e = s + sizeof(m->result.streams);
	} else if (m->type != MSG_INTERVAL) {
		s = e = to;
	}
	memset((char *)m + from, 0, (s < to ? s : to) - from);
	if (e < to)
		memset((char *)m + e, 0, to - e);
}

/*
 * proto_msg_init for the decoder: a message is ~270 KB because of the 128
 * stream entries of an interval or result, and every line a peer sends is
 * decoded into one. Zero only the message's own member without its streams;
 * dec_streams zeroes each entry it fills (nothing reads past nstreams).
 */
static void init_for_decode(struct proto_msg *m, enum proto_type t)
{
	static const size_t size[MSG__COUNT] = {
		[MSG_HELLO] = sizeof(struct proto_hello),
		[MSG_AUTH_RESPONSE] = sizeof(struct proto_text),
		[MSG_AUTH_SUCCESS] = sizeof(struct proto_text),
		[MSG_TEST_START] = sizeof(struct proto_test_start),
		[MSG_TEST_ACK] = sizeof(struct proto_test_ack),
		[MSG_DATA_HELLO] = sizeof(struct proto_data_hello),
		[MSG_INTERVAL] = sizeof(struct proto_interval),
		[MSG_RESULT] = sizeof(struct proto_result),
	};
	size_t n = (unsigned int)t < MSG__COUNT && size[t] ? size[t] : sizeof(struct proto_text);

	m->type = t;
	zero_but_streams(m, offsetof(struct proto_msg, hello),
			 offsetof(struct proto_msg, hello) + n);
	if (t == MSG_TEST_START)
		m->start.dscp = -1;
}

void proto_msg_free(struct proto_msg *m)
{
	if (m->type == MSG_RESULT) {
		free(m->result.server_output);
		m->result.server_output = NULL;
	}
}

/*
 * Copy peer text for display: at most size-1 bytes, cut on a UTF-8 character
 * boundary, control characters (and with ascii, every non-ASCII byte) as '?'.
 */
static void copy_text(char *dst, size_t size, const char *src, size_t n, bool ascii)
{
	size_t i, k = n < size - 1 ? n : size - 1;

	while (k > 0 && k < n && ((unsigned char)src[k] & 0xc0) == 0x80)
		k--;
	for (i = 0; i < k; i++) {
		unsigned char ch = src[i];

		dst[i] = (ch < 0x20 || ch == 0x7f || (ascii && ch > 0x7e)) ? '?' : (char)ch;
	}
	dst[k] = '\0';
}

static int set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "field <prefix><name>: <what>" */
static int ferr(const struct dctx *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ferr(const struct dctx *c, const char *name, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "field %s%s: ", c->prefix, name);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Upper bound of a real field: its own .max (percentages), else DBL_FIELD_MAX. */
static double dbl_max(const struct field *f)
{
	return f->max ? (double)f->max : DBL_FIELD_MAX;
}

static const char *kind_type(unsigned int kind)
{
	if (kind <= K_DIR)
		return "string";
	if (kind <= K_DSCP)
		return "integer";
	switch (kind) {
	case K_BOOL:
		return "boolean";
	case K_DBL:
		return "number";
	case K_CAPS:
		return "array of strings";
	case K_PORTS:
		return "array of integers";
	case K_STREAMS:
		return "array of objects";
	default:
		return "object";
	}
}

static void sub_ctx(struct dctx *s, const struct dctx *c, json_t *obj, char *pfx, size_t size,
		    const char *name, long idx)
{
	if (idx < 0)
		snprintf(pfx, size, "%s%s.", c->prefix, name);
	else
		snprintf(pfx, size, "%s%s[%ld].", c->prefix, name, idx);
	*s = (struct dctx){.obj = obj, .prefix = pfx, .err = c->err, .errlen = c->errlen};
}

static bool str_chars_ok(unsigned int kind, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = s[i];
		bool ok;

		if (kind == K_ID)
			ok = ch >= 0x20 && ch <= 0x7e;
		else if (kind == K_HEX)
			ok = (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
		else if (kind == K_CC)
			ok = (ch >= '0' && ch <= '9') ||
			     ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '_' || ch == '-';
		else
			ok = ch >= 0x20 && ch != 0x7f;
		if (!ok)
			return false;
	}
	return true;
}

static int dec_enum(const struct dctx *c, const struct field *f, const char *s, size_t n,
		    void *base)
{
	const char *const *names = f->kind == K_PROTO ? proto_names : dir_names;
	char shown[TYPE_PRINT_MAX + 1];
	int i;

	for (i = 0; i < 3; i++) {
		if (strlen(names[i]) == n && !memcmp(names[i], s, n)) {
			if (f->kind == K_PROTO)
				*AT(base, f->off, enum xfr_proto) = i;
			else
				*AT(base, f->off, enum xfr_dir) = i;
			return 0;
		}
	}
	copy_text(shown, sizeof(shown), s, n, true);
	return ferr(c, f->name, "invalid value \"%s\" (expected %s, %s or %s)", shown, names[0],
		    names[1], names[2]);
}

/* "socket, auto, xdp or afxdp" */
static void names_list(const char *const *names, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s",
			      i == 0	     ? ""
			      : names[i + 1] ? ", "
					     : " or ",
			      names[i]);
}

static int name_index(const char *const *names, const char *s, size_t n)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], s, n))
			return i;
	return -1;
}

static int dec_name(const struct dctx *c, const struct field *f, const char *s, size_t n, char *dst)
{
	char shown[TYPE_PRINT_MAX + 1], list[96];
	int i = name_index(f->names, s, n);

	if (i >= 0) {
		strcpy(dst, f->names[i]); /* the struct's array fits the longest name */
		return 0;
	}
	copy_text(shown, sizeof(shown), s, n, true);
	names_list(f->names, list, sizeof(list));
	return ferr(c, f->name, "invalid value \"%s\" (expected %s)", shown, list);
}

static int dec_string(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	char *dst = AT(base, f->off, char);
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return ferr(c, f->name, "expected string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (f->kind == K_PROTO || f->kind == K_DIR)
		return dec_enum(c, f, s, n, base);
	if (f->kind == K_NAME)
		return dec_name(c, f, s, n, dst);
	if (f->kind == K_TEXT) {
		copy_text(dst, f->max + 1, s, n, false);
		return 0;
	}
	if (f->kind == K_HEX && (n != f->max || !str_chars_ok(K_HEX, s, n)))
		return ferr(c, f->name, "expected %" PRIu64 " hex characters", f->max);
	if (n < f->min || n > f->max)
		return ferr(c, f->name, "length %zu out of range %" PRIu64 "..%" PRIu64, n, f->min,
			    f->max);
	if (!str_chars_ok(f->kind, s, n))
		return ferr(c, f->name, "invalid character");
	memcpy(dst, s, n);
	dst[n] = '\0';
	if (f->kind == K_SOFT)
		((struct proto_hello *)base)->from_server = !strcmp(f->name, "server");
	return 0;
}

static int dec_int(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	json_int_t i;

	if (!json_is_integer(v))
		return ferr(c, f->name, "expected integer");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < f->min || (uint64_t)i > f->max)
		return ferr(c, f->name,
			    "%" JSON_INTEGER_FORMAT " out of range %" PRIu64 "..%" PRIu64, i,
			    f->min, f->max);
	if (f->kind == K_U64)
		*AT(base, f->off, uint64_t) = i;
	else if (f->kind == K_U32)
		*AT(base, f->off, uint32_t) = i;
	else if (f->kind == K_U16)
		*AT(base, f->off, uint16_t) = i;
	else
		*AT(base, f->off, int) = i;
	return 0;
}

static int dec_caps(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	struct proto_hello *h = base;
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return ferr(c, f->name, "expected array of strings");
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			return ferr(c, f->name, "expected array of strings");
		if (json_string_length(e) > CAP_NAME_MAX)
			return ferr(c, f->name, "name longer than %d characters", CAP_NAME_MAX);
		h->caps |= cap_bit(json_string_value(e));
	}
	h->has_caps = true;
	return 0;
}

static int dec_fields(const struct dctx *c, const struct field *fs, size_t n, void *base);

static int dec_auth(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	char pfx[96], shown[TYPE_PRINT_MAX + 1];
	struct dctx s;
	json_t *m;

	if (!json_is_object(v))
		return ferr(c, f->name, "expected object");
	sub_ctx(&s, c, v, pfx, sizeof(pfx), f->name, -1);
	m = json_object_get(v, "method");
	if (!m)
		return ferr(&s, "method", "missing");
	if (!json_is_string(m))
		return ferr(&s, "method", "expected string");
	if (strcmp(json_string_value(m), "psk")) {
		copy_text(shown, sizeof(shown), json_string_value(m), json_string_length(m), true);
		return ferr(&s, "method", "unsupported value \"%s\"", shown);
	}
	return dec_fields(&s, auth_f, ARRAY_SIZE(auth_f), base);
}

static int dec_ports(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	struct proto_test_ack *a = base;
	char name[32];
	json_int_t p;
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return ferr(c, f->name, "expected array of integers");
	if (json_array_size(v) > XFR_MAX_STREAMS)
		return ferr(c, f->name, "%zu entries out of range 0..%d", json_array_size(v),
			    XFR_MAX_STREAMS);
	json_array_foreach(v, i, e)
	{
		if (!json_is_integer(e))
			return ferr(c, f->name, "expected array of integers");
		p = json_integer_value(e);
		snprintf(name, sizeof(name), "%s[%zu]", f->name, i);
		if (p < (json_int_t)f->min || p > (json_int_t)f->max)
			return ferr(c, name,
				    "%" JSON_INTEGER_FORMAT " out of range %" PRIu64 "..%" PRIu64,
				    p, f->min, f->max);
		a->data_ports[i] = p;
	}
	a->nports = json_array_size(v);
	return 0;
}

static int dec_obj(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	char pfx[96];
	struct dctx s;

	if (!json_is_object(v))
		return ferr(c, f->name, "expected object");
	sub_ctx(&s, c, v, pfx, sizeof(pfx), f->name, -1);
	return dec_fields(&s, f->sub, f->nsub, AT(base, f->off, char));
}

static int dec_streams(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	struct proto_stream *st = AT(base, f->off, struct proto_stream);
	char pfx[96];
	struct dctx s;
	json_t *e;
	size_t i;
	int rc;

	if (!json_is_array(v))
		return ferr(c, f->name, "expected array of objects");
	if (json_array_size(v) > XFR_MAX_STREAMS)
		return ferr(c, f->name, "%zu entries out of range 0..%d", json_array_size(v),
			    XFR_MAX_STREAMS);
	json_array_foreach(v, i, e)
	{
		if (!json_is_object(e))
			return ferr(c, f->name, "expected array of objects");
		sub_ctx(&s, c, e, pfx, sizeof(pfx), f->name, i);
		memset(&st[i], 0,
		       sizeof(st[i])); /* the decoder's message leaves streams as they were */
		rc = dec_fields(&s, f->sub, f->nsub, &st[i]);
		if (rc)
			return rc;
	}
	*AT(base, f->has, uint32_t) = json_array_size(v);
	return 0;
}

/* A kernel drop reason without its SKB_DROP_REASON_ prefix: [A-Z0-9_], 1..39 chars. */
static bool reason_ok(const char *s, size_t n)
{
	if (n < 1 || n >= sizeof(((struct proto_drops *)0)->d[0].reason))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* One side of "drops_by_reason": {REASON: packets, ...}, at most PROTO_MAX_DROPS reasons. */
static int dec_drops_side(const struct dctx *c, const char *side, json_t *v, struct proto_drops *d,
			  bool *has)
{
	char pfx[96], shown[TYPE_PRINT_MAX + 1];
	const char *k;
	struct dctx s;
	json_int_t i;
	size_t max = ARRAY_SIZE(d->d);
	json_t *e;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return ferr(c, side, "expected object");
	if (json_object_size(v) > max)
		return ferr(c, side, "%zu entries out of range 0..%zu", json_object_size(v), max);
	sub_ctx(&s, c, v, pfx, sizeof(pfx), side, -1);
	json_object_foreach(v, k, e)
	{
		if (!reason_ok(k, strlen(k))) {
			copy_text(shown, sizeof(shown), k, strlen(k), true);
			return ferr(c, side, "invalid reason name \"%s\"", shown);
		}
		if (!json_is_integer(e))
			return ferr(&s, k, "expected integer");
		i = json_integer_value(e);
		if (i < 0)
			return ferr(&s, k, "%" JSON_INTEGER_FORMAT " out of range 0..%" PRIu64, i,
				    I64);
		strcpy(d->d[d->n].reason, k);
		d->d[d->n++].packets = i;
	}
	*has = true;
	return 0;
}

static int dec_drops(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	struct proto_stream *st = base;
	char pfx[96];
	struct dctx s;
	int rc;

	if (!json_is_object(v))
		return ferr(c, f->name, "expected object");
	sub_ctx(&s, c, v, pfx, sizeof(pfx), f->name, -1);
	rc = dec_drops_side(&s, "rx", json_object_get(v, "rx"), &st->drops_rx, &st->has_drops_rx);
	if (!rc)
		rc = dec_drops_side(&s, "tx", json_object_get(v, "tx"), &st->drops_tx,
				    &st->has_drops_tx);
	return rc;
}

/* Recursion depth is bounded by the nesting guard applied to the whole line. */
static bool reals_ok(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_real(v))
		return fabs(json_real_value(v)) <= DBL_ANY_MAX;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) if (!reals_ok(e)) return false;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, k, e) if (!reals_ok(e)) return false;
	}
	return true;
}

static int dec_json(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	char **dst = AT(base, f->off, char *);

	if (!json_is_object(v))
		return ferr(c, f->name, "expected object");
	if (!reals_ok(v))
		return ferr(c, f->name, "number out of range");
	free(*dst);
	*dst = json_dumps(v, DUMP_FLAGS);
	if (!*dst)
		return ferr(c, f->name, "out of memory");
	return 0;
}

static int dec_value(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	switch (f->kind) {
	case K_BOOL:
		if (!json_is_boolean(v))
			return ferr(c, f->name, "expected boolean");
		*AT(base, f->off, bool) = json_is_true(v);
		return 0;
	case K_DBL:
		if (!json_is_number(v))
			return ferr(c, f->name, "expected number");
		if (!(json_number_value(v) >= 0 && json_number_value(v) <= dbl_max(f)))
			return ferr(c, f->name, "%g out of range 0..%g", json_number_value(v),
				    dbl_max(f));
		*AT(base, f->off, double) = json_number_value(v);
		return 0;
	case K_CAPS:
		return dec_caps(c, f, v, base);
	case K_AUTH:
		return dec_auth(c, f, v, base);
	case K_PORTS:
		return dec_ports(c, f, v, base);
	case K_OBJ:
		return dec_obj(c, f, v, base);
	case K_STREAMS:
		return dec_streams(c, f, v, base);
	case K_JSON:
		return dec_json(c, f, v, base);
	case K_DROPS:
		return dec_drops(c, f, v, base);
	default:
		return f->kind <= K_DIR ? dec_string(c, f, v, base) : dec_int(c, f, v, base);
	}
}

/* null counts as absent: fine for optional fields, a wrong type for required ones. */
static int dec_fields(const struct dctx *c, const struct field *fs, size_t n, void *base)
{
	const struct field *f;
	json_t *v;
	int rc;

	for (f = fs; f < fs + n; f++) {
		v = json_object_get(c->obj, f->name);
		if (!v || json_is_null(v)) {
			if (!(f->flags & F_REQ))
				continue;
			if (v)
				return ferr(c, f->name, "expected %s", kind_type(f->kind));
			return ferr(c, f->name, "missing");
		}
		rc = dec_value(c, f, v, base);
		if (rc)
			return rc;
		if (f->flags & F_HAS)
			*AT(base, f->has, bool) = true;
	}
	return 0;
}

/* Bracket depth outside strings; lets us refuse deep nesting before parsing. */
static bool too_deep(const char *s, size_t n)
{
	bool in_str = false, esc = false;
	long depth = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > PROTO_MAX_DEPTH)
				return true;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return false;
}

static int parse_line(const char *line, size_t len, json_t **root, char *err, size_t errlen)
{
	const char *bad = "malformed control message";
	json_error_t jerr;

	if (memchr(line, '\0', len))
		return set_err(err, errlen, "%s", bad);
	if (too_deep(line, len))
		return set_err(err, errlen, "%s: nested deeper than %d levels", bad,
			       PROTO_MAX_DEPTH);
	/* Duplicate keys are refused: two values for one field are ambiguous. */
	*root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*root) {
		if (json_error_code(&jerr) == json_error_numeric_overflow)
			return set_err(err, errlen, "%s: number out of range", bad);
		if (json_error_code(&jerr) == json_error_duplicate_key)
			return set_err(err, errlen, "%s: duplicate key", bad);
		return set_err(err, errlen, "%s", bad);
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		return set_err(err, errlen, "%s", bad);
	}
	return 0;
}

static int find_type(json_t *root, enum proto_type *t, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, "type");
	char shown[TYPE_PRINT_MAX + 1];
	const char *s;
	size_t n;
	int i;

	if (!v || json_is_null(v))
		return set_err(err, errlen, "field type: missing");
	if (!json_is_string(v))
		return set_err(err, errlen, "field type: expected string");
	s = json_string_value(v);
	n = json_string_length(v);
	for (i = 0; i < MSG__COUNT; i++) {
		if (strlen(msgs[i].name) == n && !memcmp(msgs[i].name, s, n)) {
			*t = i;
			return 0;
		}
	}
	copy_text(shown, sizeof(shown), s, n, true);
	return set_err(err, errlen, "unknown message type \"%s\"", shown);
}

/* Checks across fields, after the per-field ones. */
static int check_msg(const struct proto_msg *m, char *err, size_t errlen)
{
	if (m->type == MSG_TEST_ACK && m->ack.udp_token[0] && m->ack.nports)
		return set_err(err, errlen, "field udp_token: not allowed with data_ports");
	return 0;
}

int proto_decode(const char *line, size_t len, struct proto_msg *m, char *err, size_t errlen)
{
	char scratch[PROTO_TEXT_MAX];
	enum proto_type t = MSG_ERROR;
	struct dctx c;
	json_t *root = NULL;
	int rc;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	init_for_decode(m, MSG_ERROR);
	rc = parse_line(line, len, &root, err, errlen);
	if (rc)
		return rc;
	rc = find_type(root, &t, err, errlen);
	if (!rc) {
		init_for_decode(m, t);
		c = (struct dctx){.obj = root, .prefix = "", .err = err, .errlen = errlen};
		rc = dec_fields(&c, msgs[t].fields, msgs[t].n, &m->hello);
	}
	if (!rc)
		rc = check_msg(m, err, errlen);
	json_decref(root);
	if (rc)
		proto_msg_free(m);
	return rc;
}

static bool enc_wanted(const struct field *f, const void *base)
{
	const struct proto_hello *h = base;
	const char *s = AT(base, f->off, const char);

	if (f->flags & (F_REQ | F_OUT))
		return true;
	if (f->flags & F_HAS)
		return *AT(base, f->has, const bool);
	switch (f->kind) {
	case K_SOFT:
		return s[0] && h->from_server == !strcmp(f->name, "server");
	case K_U64:
		return *AT(base, f->off, const uint64_t) != 0;
	case K_U32:
		return *AT(base, f->off, const uint32_t) != 0;
	case K_U16:
		return *AT(base, f->off, const uint16_t) != 0;
	case K_DSCP:
		return *AT(base, f->off, const int) >= 0;
	case K_BOOL:
		return *AT(base, f->off, const bool);
	case K_DBL:
		return *AT(base, f->off, const double) != 0;
	case K_CAPS:
		return h->has_caps || h->caps;
	case K_JSON:
		return *AT(base, f->off, char *const) != NULL;
	case K_DROPS:
		return ((const struct proto_stream *)base)->has_drops_rx ||
		       ((const struct proto_stream *)base)->has_drops_tx;
	default:
		return s[0] != '\0';
	}
}

static json_t *enc_u64(uint64_t v)
{
	return json_integer(v > I64 ? INT64_MAX : (json_int_t)v);
}

static json_t *enc_caps(const struct proto_hello *h)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < ARRAY_SIZE(cap_names); i++) {
		if ((h->caps & (1u << i)) && json_array_append_new(a, json_string(cap_names[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *enc_ports(const struct proto_test_ack *a)
{
	json_t *arr = json_array();
	uint32_t i;

	for (i = 0; arr && i < a->nports && i < XFR_MAX_STREAMS; i++) {
		if (json_array_append_new(arr, json_integer(a->data_ports[i]))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int enc_fields(json_t *o, const struct field *fs, size_t n, const void *base);

/* Names a peer would refuse (only a bug of ours could make one) are left out. */
static json_t *enc_drops_side(const struct proto_drops *d)
{
	json_t *o = json_object();

	for (uint32_t i = 0; o && i < d->n && i < ARRAY_SIZE(d->d); i++) {
		const char *k = d->d[i].reason;

		if (!reason_ok(k, strnlen(k, sizeof(d->d[i].reason))))
			continue;
		if (json_object_set_new(o, k, enc_u64(d->d[i].packets))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *enc_drops(const struct proto_stream *st)
{
	json_t *o = json_object();

	if (o && st->has_drops_rx && json_object_set_new(o, "rx", enc_drops_side(&st->drops_rx)))
		goto fail;
	if (o && st->has_drops_tx && json_object_set_new(o, "tx", enc_drops_side(&st->drops_tx)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A K_NAME value we would refuse from a peer is refused here too. */
static json_t *enc_name(const struct field *f, const char *s)
{
	return name_index(f->names, s, strlen(s)) >= 0 ? json_string(s) : NULL;
}

static json_t *enc_obj(const struct field *fs, size_t n, const void *base)
{
	json_t *o = json_object();

	if (o && enc_fields(o, fs, n, base)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *enc_streams(const struct field *f, const void *base)
{
	const struct proto_stream *st = AT(base, f->off, const struct proto_stream);
	uint32_t i, n = *AT(base, f->has, const uint32_t);
	json_t *a = json_array();

	for (i = 0; a && i < n && i < XFR_MAX_STREAMS; i++) {
		if (json_array_append_new(a, enc_obj(f->sub, f->nsub, &st[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *enc_enum(const struct field *f, const void *base)
{
	unsigned int i;

	if (f->kind == K_PROTO)
		i = *AT(base, f->off, const enum xfr_proto);
	else
		i = *AT(base, f->off, const enum xfr_dir);
	if (i >= 3)
		return NULL;
	return json_string(f->kind == K_PROTO ? proto_names[i] : dir_names[i]);
}

static json_t *enc_value(const struct field *f, const void *base)
{
	const void *p = AT(base, f->off, const char);
	double d;

	switch (f->kind) {
	case K_PROTO:
	case K_DIR:
		return enc_enum(f, base);
	case K_U64:
		return enc_u64(*(const uint64_t *)p);
	case K_U32:
		return json_integer(*(const uint32_t *)p);
	case K_U16:
		return json_integer(*(const uint16_t *)p);
	case K_DSCP:
		return json_integer(*(const int *)p);
	case K_BOOL:
		return json_boolean(*(const bool *)p);
	case K_DBL:
		d = *(const double *)p;
		/* stay inside what proto_decode accepts; NaN becomes 0 */
		return json_real(!(d >= 0) ? 0.0 : d > dbl_max(f) ? dbl_max(f) : d);
	case K_CAPS:
		return enc_caps(base);
	case K_AUTH:
		return json_pack("{s:s,s:s}", "method", "psk", "nonce", (const char *)p);
	case K_PORTS:
		return enc_ports(base);
	case K_OBJ:
		return enc_obj(f->sub, f->nsub, p);
	case K_STREAMS:
		return enc_streams(f, base);
	case K_JSON:
		return json_loads(*(char *const *)p, 0, NULL);
	case K_DROPS:
		return enc_drops(base);
	case K_NAME:
		return enc_name(f, p);
	default:
		return json_string(p);
	}
}

static int enc_fields(json_t *o, const struct field *fs, size_t n, const void *base)
{
	const struct field *f;

	for (f = fs; f < fs + n; f++) {
		if (!enc_wanted(f, base))
			continue;
		if (json_object_set_new(o, f->name, enc_value(f, base)))
			return -1;
	}
	return 0;
}

char *proto_encode(const struct proto_msg *m, size_t *len)
{
	json_t *o;
	char *s, *line;
	size_t n;

	if ((unsigned int)m->type >= MSG__COUNT) {
		errno = EINVAL;
		return NULL;
	}
	o = json_object();
	if (!o || json_object_set_new(o, "type", json_string(msgs[m->type].name)) ||
	    enc_fields(o, msgs[m->type].fields, msgs[m->type].n, &m->hello)) {
		json_decref(o);
		errno = EINVAL; /* a string that is not UTF-8, an enum out of range, ENOMEM */
		return NULL;
	}
	s = json_dumps(o, DUMP_FLAGS);
	json_decref(o);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	n = strlen(s);
	if (n + 1 > PROTO_MAX_LINE) {
		free(s);
		errno = EMSGSIZE; /* a peer would refuse the line */
		return NULL;
	}
	line = realloc(s, n + 2);
	if (!line) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return line;
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
