/* SPDX-License-Identifier: MIT */
/*
 * Control protocol 1.1 (docs/PROTOCOL.md): one compact JSON object per line,
 * "type" tagged, snake_case. This module turns lines into validated structs and
 * structs into lines; it does no I/O. Unknown fields are ignored; a known field
 * of the wrong type or out of range is an error naming the field.
 *
 * Fields marked "ext" are xfr-C additions: a reference (Rust) peer ignores them,
 * and we never require them from a peer.
 */
#ifndef XFR_CONTROL_PROTO_H
#define XFR_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

#define PROTO_VERSION  "1.1"
#define PROTO_MAX_LINE 65536 /* bytes, including the '\n' */
#define PROTO_ID_MAX   64    /* test ids: UUID v4 (36 chars); peers may send up to 63 */
#define PROTO_TEXT_MAX 256   /* error messages, reasons, congestion names are capped */
/* test_start "bitrate" above this is refused (bit/s, 10 Tbit/s); clients check it first */
#define PROTO_MAX_BITRATE 10000000000000ULL

enum proto_type {
	MSG_HELLO,
	MSG_AUTH_RESPONSE,
	MSG_AUTH_SUCCESS,
	MSG_TEST_START,
	MSG_TEST_ACK,
	MSG_DATA_HELLO,
	MSG_INTERVAL,
	MSG_RESULT,
	MSG_CANCEL,
	MSG_CANCELLED,
	MSG_FINISH,
	MSG_PAUSE,
	MSG_RESUME,
	MSG_ERROR,
	MSG__COUNT
};

/* Capabilities as bits; unknown capability strings from a peer are ignored. */
enum proto_cap {
	CAP_TCP = 1u << 0,
	CAP_UDP = 1u << 1,
	CAP_QUIC = 1u << 2,
	CAP_MULTISTREAM = 1u << 3,
	CAP_SINGLE_PORT_TCP = 1u << 4,
	CAP_PAUSE_RESUME = 1u << 5,
	CAP_UDP_FEEDBACK_V1 = 1u << 6,
	CAP_ZEROCOPY_V1 = 1u << 7,
	CAP_MTU_PROBE_V1 = 1u << 8,
	CAP_SINGLE_PORT_UDP_V1 = 1u << 9,
	CAP_PROTECTED_CONTROL_V1 = 1u << 10,
	CAP_BYTE_BUDGET_V1 = 1u << 11,
	CAP_XDP_V1 = 1u << 12,		 /* ext */
	CAP_SERVER_OUTPUT_V1 = 1u << 13, /* ext: --get-server-output */
	CAP_INTERVAL_MS_V1 = 1u << 14,	 /* ext: test_start.interval_ms honoured */
	CAP_UDP_AUTH_V1 = 1u << 15, /* ext: XFRF with a MAC in PSK sessions (docs/SECURITY.md) */
};

/* What this build supports today; advertised in hello. */
#define PROTO_CAPS_SUPPORTED                                                                       \
	(CAP_TCP | CAP_MULTISTREAM | CAP_SINGLE_PORT_TCP | CAP_PAUSE_RESUME | CAP_ZEROCOPY_V1 |    \
	 CAP_BYTE_BUDGET_V1 | CAP_SERVER_OUTPUT_V1 | CAP_INTERVAL_MS_V1)

/* Our extensions: a peer that advertises none of them is taken for the reference xfr. */
#define PROTO_CAPS_EXT (CAP_XDP_V1 | CAP_SERVER_OUTPUT_V1 | CAP_INTERVAL_MS_V1)

/* Name of a single capability bit ("single_port_tcp"), NULL if not one bit. */
const char *proto_cap_name(uint32_t cap);

struct proto_hello {
	char version[32];      /* "1.1" */
	char software[64];     /* "client" (c→s) or "server" (s→c): "xfr/0.9.25" */
	bool from_server;      /* which of the two keys to write / was present */
	uint32_t caps;	       /* known capabilities; absent list = 0 */
	bool has_caps;	       /* the list was present */
	char auth_nonce[65];   /* server: auth.nonce when PSK required; "" otherwise */
	char client_nonce[65]; /* client: with a PSK; "" otherwise */
};

struct proto_test_start {
	char id[PROTO_ID_MAX];
	enum xfr_proto proto;
	uint32_t streams;	/* 1..128 */
	uint32_t duration_secs; /* 0 = until cancelled; capped by the server, not rejected */
	enum xfr_dir dir;
	bool has_bitrate;
	uint64_t bitrate;    /* bits/s, total across streams */
	char congestion[16]; /* "" = absent; only [A-Za-z0-9_-], 1..15 chars */
	bool mptcp;
	int dscp; /* TOS byte 0..255; -1 = absent */
	bool has_window;
	uint64_t window; /* bytes, 1..512 MiB */
	bool zerocopy;
	bool mtu_probe;
	bool tcp_nodelay;
	bool has_byte_budget;
	uint64_t byte_budget; /* > 0 */
	/* ext */
	uint32_t interval_ms; /* 0 = absent (server uses 1000); else 100..60000 */
	bool server_output;   /* client wants the server's own report in the result */
	bool udp_no_offload;  /* UDP: no GSO/GRO on the server's sockets either (--no-gso) */
	uint32_t length;      /* 0 = absent; write size for the server's sending side, 1..16 MiB */
	/*
	 * ext, with CAP_XDP_V1: "engine" what the client asks the server to run
	 * ("socket" | "auto" | "xdp" | "afxdp"; "" = absent = socket), "xdp_mode"
	 * the receiver's mode ("drop" | "pass" | "redirect"; "" = the engine's
	 * default), "drop_reasons" kfree_skb reasons for the test's flows.
	 */
	char engine[8];
	char xdp_mode[10];
	bool drop_reasons;
	/*
	 * ext, with CAP_XDP_V1: the engine the client itself runs ("socket" |
	 * "xdp" | "afxdp" | "quic"; "" = absent, read as "socket"): a server
	 * that sends generates live frames only toward a kernel receiver.
	 */
	char client_engine[8];
};

struct proto_test_ack {
	char id[PROTO_ID_MAX];
	uint32_t nports;
	uint16_t data_ports[XFR_MAX_STREAMS];
	char udp_token[33]; /* "" = absent */
	/* ext: what the server runs for this test and why ("" = absent = socket) */
	char engine[8];
	char engine_note[160];
	/*
	 * ext: the server's caps on what was asked, said so the client can tell
	 * its user: the duration it runs (0 = absent = as asked), its senders'
	 * rate under --max-bandwidth (has_bitrate), and in words where from.
	 */
	uint32_t duration_secs;
	bool has_bitrate;
	uint64_t bitrate;
	char limit_note[160];
	/*
	 * ext: the interface toward the client on which the server's UDP GSO
	 * batches stay whole (virtual, tx-udp-segmentation on); "" = absent.
	 */
	char gso_iface[16];
};

struct proto_data_hello {
	char test_id[PROTO_ID_MAX];
	uint16_t stream_index;
};

/*
 * TCP figures from the sending side's TCP_INFO. In intervals retransmits is
 * the interval's delta, in results the total. cwnd is in segments (reference
 * field "cwnd"); cwnd_bytes = segments * MSS (ext).
 */
struct proto_tcp {
	bool has_retransmits;
	uint64_t retransmits;
	bool has_rtt;
	uint32_t rtt_us;
	uint32_t rtt_var_us;
	bool has_cwnd;
	uint32_t cwnd;
	uint64_t cwnd_bytes;	    /* ext, 0 = absent */
	uint32_t pmtu;		    /* ext, 0 = absent */
	uint64_t delivery_rate_bps; /* ext, 0 = absent */
	bool has_bytes_acked;
	uint64_t bytes_acked;
	/* ext: how the server's sending flow writes ("send", "sendfile",
	 * "msg_zerocopy"; "" = absent) and, measured, each candidate's Mbit/s */
	char send_path[16];
	uint32_t send_path_send_mbps;
	uint32_t send_path_sendfile_mbps;
	/* ext "bpf": per-flow figures from the server's BPF TCP program */
	bool has_bpf;
	uint32_t bpf_rtt_min_us;
	uint32_t bpf_rtt_avg_us;
	uint32_t bpf_rtt_max_us;
	uint64_t bpf_rtt_samples;
	uint64_t bpf_retransmits;
	uint64_t bpf_delivered;
};

/* ext: kernel drops by reason on the server's host ("drops_by_reason"). */
#define PROTO_MAX_DROPS 16 /* reasons per side of "drops_by_reason" */

struct proto_drops {
	uint32_t n;
	struct {
		char reason[40]; /* [A-Z0-9_], 1..39 chars */
		uint64_t packets;
	} d[PROTO_MAX_DROPS];
};

/*
 * UDP detail of one stream (ext "udp" object, server view, over the message's
 * span: interval deltas, result totals) and
 * the reference's udp_stats of a result (+ ext duplicates, rcvbuf_drops,
 * send_errors).
 */
struct proto_udp {
	uint64_t packets_sent;
	uint64_t packets_received;
	uint64_t lost;
	double lost_percent;
	double jitter_ms;
	double jitter_max_ms;
	uint64_t out_of_order;
	uint64_t duplicates;   /* ext */
	uint64_t rcvbuf_drops; /* ext */
	uint64_t send_errors;  /* ext */
	uint64_t gso_sends;    /* ext: the server's sends of several datagrams as one GSO packet */
	uint64_t gso_packets;  /* ext: ... and the datagrams they carried */
	uint32_t packet_size;  /* 0 = absent */
	/* ext: the server's XDP receiver counted this stream ("xdp_packets", "xdp_bytes") */
	bool has_xdp;
	uint64_t xdp_packets;
	uint64_t xdp_bytes;
	bool xdp_sink; /* ext "xdp_sink": XDP was the receiver (no socket stage) */
};

/*
 * One stream in an interval or a result, from the server's point of view.
 * "bytes" is what the reference sends: bytes this stream moved at the server
 * (received in upload, sent in download, both in bidir). bytes_sent and
 * bytes_received (ext) split it by direction, server view.
 */
struct proto_stream {
	uint32_t id;
	uint64_t bytes;
	double throughput_mbps; /* results only */
	bool has_split;		/* ext: bytes_sent / bytes_received present */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	struct proto_tcp tcp; /* retransmits, rtt_us, cwnd (+ ext) when known */
	bool has_jitter;      /* UDP: jitter_ms (the receiving side's current value) */
	double jitter_ms;
	bool has_lost; /* UDP: lost (interval: delta; result: total) */
	uint64_t lost;
	bool has_udp; /* ext "udp": detail, server view, the message's span */
	struct proto_udp udp;
	/*
	 * ext "drops_by_reason": {"rx": {REASON: packets, ...}, "tx": {...}}: drops
	 * of the packets the server receives / sends on this stream, on its host.
	 */
	bool has_drops_rx;
	struct proto_drops drops_rx;
	bool has_drops_tx;
	struct proto_drops drops_tx;
	char error[PROTO_TEXT_MAX]; /* "" = none */
};

struct proto_aggregate {
	uint64_t bytes;
	double throughput_mbps;
	struct proto_tcp tcp; /* rtt mean over streams, cwnd sum, retransmits sum */
	bool has_split;	      /* bidir: bytes_sent/received, client view (sent = upload) */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	double throughput_send_mbps;
	double throughput_recv_mbps;
	bool has_jitter; /* UDP: mean of the streams' jitter */
	double jitter_ms;
	bool has_lost; /* UDP: interval sum */
	uint64_t lost;
	bool has_udp_progress; /* UDP: cumulative {packets_received, packets_lost} */
	uint64_t progress_received;
	uint64_t progress_lost;
};

struct proto_interval {
	char id[PROTO_ID_MAX];
	uint64_t elapsed_ms; /* test time at the end of this interval, pauses excluded */
	uint32_t nstreams;
	struct proto_stream streams[XFR_MAX_STREAMS];
	struct proto_aggregate aggregate;
};

struct proto_result {
	char id[PROTO_ID_MAX];
	uint64_t bytes_total;
	uint64_t duration_ms;
	double throughput_mbps;
	uint32_t nstreams;
	struct proto_stream streams[XFR_MAX_STREAMS];
	bool has_tcp_info;
	struct proto_tcp tcp_info;
	bool has_udp_stats;
	struct proto_udp udp_stats;
	bool has_split; /* bidir: client view */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	double throughput_send_mbps;
	double throughput_recv_mbps;
	/*
	 * ext: the server's own report for --get-server-output, as a JSON value
	 * (serialized text, NUL-terminated, malloc'd; NULL = absent). Freed by
	 * proto_msg_free().
	 */
	char *server_output;
};

struct proto_text {
	char id[PROTO_ID_MAX];	   /* cancel/cancelled/finish/pause/resume: test id */
	char text[PROTO_TEXT_MAX]; /* cancel: reason; error: message; auth: response/proof */
};

struct proto_msg {
	enum proto_type type;
	union {
		struct proto_hello hello;
		struct proto_test_start start;
		struct proto_test_ack ack;
		struct proto_data_hello data_hello;
		struct proto_interval interval;
		struct proto_result result;
		/* auth_response (text=response), auth_success (text=server_proof),
		 * cancel (id, text=reason), cancelled, finish, pause, resume (id),
		 * error (text=message) */
		struct proto_text text;
	};
};

/* "hello", "test_start", ... */
const char *proto_type_name(enum proto_type t);

/* Zero a message and set the defaults of its type (dscp = -1, ...). */
void proto_msg_init(struct proto_msg *m, enum proto_type t);
void proto_msg_free(struct proto_msg *m);

/*
 * Decode one line (without the '\n'; len bytes, not NUL-terminated). Only the
 * decoded message's fields are written: the stream entries of an interval or
 * result past nstreams keep what they held (cheap for any line). Returns 0,
 * or -EINVAL with a one-line reason in err such as "malformed control message",
 * "unknown message type \"foo\"", "field streams: expected integer",
 * "field streams: 0 out of range 1..128". On error *m is left freed.
 */
int proto_decode(const char *line, size_t len, struct proto_msg *m, char *err, size_t errlen);

/*
 * Encode as one compact JSON line ending in '\n'. Returns a malloc'd string
 * (length in *len) or NULL with errno set. Optional fields are omitted when
 * absent, bool extension fields when false (reference habit).
 */
char *proto_encode(const struct proto_msg *m, size_t *len);

/* Major parts equal and well formed ("1.1" vs "1.0" ok; "2.0", "", "x" not). */
bool proto_version_compatible(const char *v);

/* Random UUID v4 as 36 chars + NUL. */
int proto_uuid(char out[37]);

/*
 * The capabilities this build advertises, one list for both roles: the
 * server adds single_port_udp_v1 only when its routing self-test passed
 * (udp_single_port), the client always has it.
 */
uint32_t proto_caps_local(bool server, bool udp_single_port);
/* Our hello: version, "xfr/VERSION", caps. */
void proto_hello_fill(struct proto_hello *h, bool server, uint32_t caps);

/* A 16-byte test token as 32 lowercase hex digits (+ NUL), and back (0 or -EINVAL). */
void proto_token_hex(const unsigned char token[16], char out[33]);
int proto_token_parse(const char *hex, unsigned char token[16]);

#endif
