/* SPDX-License-Identifier: MIT */
/*
 * Server internals: server.c (listening, first lines, limits, the loop),
 * session.c (one test's state machine over the run core) and server_ports.c
 * (where a test's data connections come from). One event loop (base/loop.h)
 * runs every control connection; data streams run on engine threads.
 */
#ifndef XFR_SERVER_SERVER_PRIV_H
#define XFR_SERVER_SERVER_PRIV_H

#include <jansson.h>
#include <stdint.h>

#include "base/config.h"
#include "base/loop.h"
#include "base/net.h"
#include "control/ctrl.h"
#include "control/proto.h"
#include "dataplane/dataplane.h"
#include "dataplane/run.h"
#include "model/event.h"
#include "model/result.h"
#include "server/guard.h"
#include "server/policy.h"

#define SRV_FIRST_LINE_MS  5000	 /* whole first line, slow-loris bound */
#define SRV_HANDSHAKE_MS   30000 /* hello -> test_start */
#define SRV_GONE_GRACE_MS  250	 /* data streams closed early: time for the control to close too */
#define SRV_STREAMS_MS	   30000 /* test_ack -> all data connections */
#define SRV_CLOSING_MS	   5000	 /* result written -> close */
#define SRV_PENDING_FACTOR 4	 /* unclassified connections <= 4 x max tests */
#define SRV_PENDING_MIN	   64	 /* ... and at least this: more than one address's worth */
#define SRV_UDP_DRAIN_MS   250	 /* UDP: datagrams still in flight at the end */
#define SRV_LIMIT_SLACK_MS 2000	 /* wall-clock cap: the end's drain and result on top */

/* --data-port-range: where per-stream ports come from, and the next one to try. */
struct srv_prange {
	uint16_t lo, hi, next;
};

/*
 * server_ports.c: a test's data connections. Per-stream TCP listeners for
 * clients without single_port_tcp, per-stream UDP ports for peers without
 * single-port UDP, single-port UDP hellos and single-port TCP data_hellos
 * routed by server.c. Only the control connection's host is accepted. Each
 * stream's socket goes to connected() once; the owner takes it (fd < 0: the
 * stream's socket could not be made, -errno; the owner fails the test).
 */
struct srv_ports {
	struct loop *loop;
	struct net_addr peer;
	const char *who; /* printable peer */
	uint32_t streams;
	bool tcp;	 /* TCP streams (else UDP) */
	bool taking;	 /* streams are being collected */
	bool udp_single; /* single-port UDP: streams say hello with the token */
	bool quic;	 /* a QUIC test: on the control's QUIC connection when it has one */
	unsigned char token[16];
	/* udp_auth_v1 in a PSK session: hellos and acks carry a tag under it; NULL = 24 bytes */
	const unsigned char *udp_key;
	bool have[XFR_MAX_STREAMS]; /* stream i connected */
	uint32_t nconnected;
	int ack_fd
		[XFR_MAX_STREAMS]; /* single-port UDP: a stream's socket, to ack a repeated hello */
	struct loop_item it[XFR_MAX_STREAMS]; /* per-stream listeners / legacy UDP ports */
	struct srv_prange *range;	      /* per-stream ports from here; NULL = ephemeral */
	void (*connected)(void *owner, int fd, uint32_t idx);
	void *owner;
};

/*
 * --get-server-output: the most recent intervals that can fit the result
 * line, oldest first, each as compact JSON without its "type". A ring with
 * a running byte count: what a test keeps does not grow with its length.
 */
struct srv_output {
	struct srv_output_item {
		char *text;
		uint32_t len;
	} * item;
	uint32_t cap, head, n; /* item[head] is the oldest of n */
	size_t bytes;	       /* of the n texts, with a separating comma each */
	bool dropped;	       /* an older interval was let go */
};

struct srv;

/* How a test ended, for the log's end line (session.c says it in words). */
enum srv_end {
	SRV_END_COMPLETE,     /* the asked time passed or the byte budget moved */
	SRV_END_CANCELLED,    /* the client sent cancel */
	SRV_END_DISCONNECTED, /* the control connection went away mid-test */
	SRV_END_STREAMS_GONE, /* the client closed its data streams, control still open */
	SRV_END_TIMED_OUT,    /* -n with -t: the client's time bound came first */
	SRV_END_SERVER_CAP,   /* the server's duration cap came first */
};

enum test_state {
	TS_HELLO,   /* hello exchanged, waiting for test_start */
	TS_STREAMS, /* test_ack sent, collecting data connections */
	TS_RUNNING,
	TS_CLOSING, /* result sent, waiting for the client to close */
	TS_AUTH,    /* PSK: challenge sent, waiting for auth_response (session_auth.c) */
};

struct srv_auth; /* session_auth.c: the PSK handshake's transcript and nonces */

struct srv_test {
	struct srv *srv;
	struct srv_test *next;
	struct loop_defer defer; /* freed after the event batch that closed it */
	struct ctrl_conn ctrl;
	struct loop_item ctrl_it;
	struct net_addr peer;
	char peer_str[64];
	enum test_state state;
	uint64_t deadline_ns; /* state timeout; 0 = none */
	uint32_t client_caps;
	struct srv_auth *auth; /* TS_AUTH only */
	bool udp_auth;	       /* udp_auth_v1: our XFRF carry a MAC under udp_key */
	uint8_t udp_key[32];
	bool started; /* test_start accepted */

	struct proto_test_start req;
	uint32_t duration_s; /* after the server's caps */
	uint32_t interval_ms;
	int fds[XFR_MAX_STREAMS]; /* connected data streams, until the engine takes them */
	struct srv_ports ports;

	struct dataplane dp; /* what this side runs for the test, and why */
	struct run *run;
	struct xfr_result res; /* this side's figures, for the sinks */
	struct srv_output so;  /* --get-server-output: the intervals kept for the result */
	bool ended;
	bool dead;		  /* closed; freed after the current batch */
	bool flows_done;	  /* the engine's flows have all ended */
	uint64_t streams_gone_ns; /* flows ended early, control open: wait SRV_GONE_GRACE_MS */
	bool finish_pending;	  /* bidir -n: the client's finish came before our senders ended */
	enum srv_end drain_end;	  /* how the test ends once the UDP drain is over */
	/* before the run started (TS_STREAMS: streams or the engine not ready yet) */
	bool finish_early; /* the client's finish: applied once the run starts */
	bool pause_early;  /* the client's last pause/resume was a pause */
	/* admit.c: what this test holds of the server's budgets */
	struct policy_ip *ip;  /* its client address's counts (one test slot) */
	uint32_t streams_held; /* of --max-total-streams */
	uint32_t fds_held;     /* of the descriptors for tests */
	uint64_t mem_held;     /* of --max-memory: its estimated buffers */
	uint32_t expect_held;  /* data connections still expected (pending allowance) */
	uint64_t limit_ns;     /* wall-clock end, pauses included; 0 = not running */
	uint64_t rate_cap;     /* --max-bandwidth, bits/s; 0 = none */
	/* --probe-mtu: no engine; the stream's socket answers probes until cancel */
	struct loop_item probe_it, probe_end_it;
	uint64_t probe_start_ns;
	uint32_t probe_largest; /* the largest probe payload that arrived from the client */
};

struct srv {
	const struct xfr_config *cfg;
	struct loop loop;
	struct loop_item sig_it, tick_it;
	struct loop_item lfd_it[2];
	int nlfd;
	struct loop_item ufd_it[2]; /* shared UDP sockets, one per listening address */
	struct net_addr uaddr[2];   /* their local addresses */
	bool udp_single_port; /* connected-socket routing works: advertise single_port_udp_v1 */
	struct srv_test *tests;
	uint32_t ntests; /* control handlers in use */
	struct pending *pending;
	uint32_t npending;
	struct srv_qlink *qlinks; /* QUIC connections on the shared port (server_quic.c) */
	uint32_t nqlinks;
	uint64_t accept_paused_until; /* EMFILE back-off */
	uint64_t last_emfile_log;
	/* admit.c: budgets and limits */
	struct policy_iptab ips; /* per client address */
	struct guard guard;	 /* auth back-off, refusals logged per address (guard.h) */
	struct policy_fds fds;	 /* how the descriptor limit is spent */
	uint64_t fds_used;	 /* held by tests (their estimates) */
	uint32_t streams_used;	 /* held by tests */
	uint64_t mem_budget;	 /* --max-memory, resolved */
	uint64_t mem_used;	 /* held by tests (their estimates) */
	uint32_t expect;	 /* data connections tests still expect, all clients */
	struct srv_prange prange;
	uint64_t refuse_log_ns; /* refusals at accept: one log line a second */
	uint32_t refuse_quiet;	/* refusals not logged since */
	bool stop;
	uint32_t completed;	/* successful tests */
	struct xfr_sinks sinks; /* the log; later the dashboard, Prometheus */
	struct dash *dash;	/* serve --tui (server_dash.c); NULL without */
	/* the mDNS announcer; NULL with --no-mdns or when it could not start */
	struct mdns_announcer *mdns;
	char peek_buf[PROTO_MAX_LINE];
};

/*
 * server.c, for tests/fuzz/fuzz_server.c: the first-line path for a
 * connection accepted elsewhere (takes fd), and server_run's teardown.
 */
void srv_accept(struct srv *s, int fd, const struct net_addr *peer);
void srv_teardown(struct srv *s);

/* session.c */
struct srv_test *srv_test_new(struct srv *s, int fd, const struct net_addr *peer,
			      const struct proto_hello *hello, const char *raw, size_t rawlen);
/* Housekeeping: enforce state deadlines. */
void srv_test_tick(struct srv_test *t, uint64_t now_ns);
/* Server shutdown: abort with an error to the client. */
void srv_test_abort(struct srv_test *t, const char *why);
struct srv_test *srv_test_find(struct srv *s, const char *id);
struct srv_test *srv_test_by_token(struct srv *s, const unsigned char token[16]);

/*
 * session_auth.c: the PSK handshake between hello and test_start. begin sends
 * the challenge (TS_AUTH); answer takes the auth_response and, when the key
 * is right, sends auth_success and protects the channel (TS_HELLO). Each
 * returns 0 or -errno with why (the caller fails the test with it).
 */
int srv_auth_begin(struct srv_test *t, const struct proto_hello *h, const char *raw, size_t rawlen,
		   char *why, size_t len);
int srv_auth_answer(struct srv_test *t, const struct proto_msg *m, char *why, size_t len);
void srv_auth_free(struct srv_test *t);

/*
 * gate.c: before a connection is read. gate_refuses closes fd after one
 * error line ("not allowed", the back-off after failed authentications) and
 * returns true; gate_allows is the ACL alone (UDP datagrams are dropped).
 */
int gate_init(struct srv *s);
void gate_fini(struct srv *s);
bool gate_allows(const struct srv *s, const struct net_addr *peer);
bool gate_refuses(struct srv *s, int fd, const struct net_addr *peer);
/* A best-effort one-line `error` message to a peer about to be dropped. */
void gate_error_line(int fd, const char *msg);
/* gate_error_line, close fd, emit the refusal notice; *who gets the peer's address. */
void gate_drop(struct srv *s, int fd, const struct net_addr *peer, const char *why, char *who,
	       size_t wholen);

/* Why peer may not connect now (the ACL, the auth back-off), or NULL: QUIC's accept asks first. */
const char *gate_why_not(struct srv *s, const struct net_addr *peer, char *buf, size_t len);

/*
 * server_quic.c: QUIC on the shared UDP port. srv_quic_datagram: a datagram of
 * the shared socket with the QUIC bit (0x80) set is QUIC's (true), which opens
 * a connection when it is a client's Initial: *ctl is then its control
 * channel's end, for the first-line path (else -1). srv_quic_reap: connections
 * that are over (all: every one) are closed and freed.
 */
bool srv_quic_datagram(struct srv *s, int shared, const struct net_addr *peer, const uint8_t *pkt,
		       size_t n, int *ctl);
void srv_quic_reap(struct srv *s, bool all);
/*
 * The shared port's verdict on one datagram (pure; tests/fuzz/fuzz_quic_link.c
 * calls it): not QUIC's (no 0x80 bit: single-port UDP), the datagram of a
 * 4-tuple that has its connection (dropped: its connected socket takes the
 * rest), one that opens nothing (not a version 1 Initial of 1200 bytes), or
 * one that opens a connection (after the ACL and the limits).
 */
enum srv_quic_class { SRV_QUIC_NOT_QUIC, SRV_QUIC_KNOWN, SRV_QUIC_DROP, SRV_QUIC_OPEN };
enum srv_quic_class srv_quic_classify(const uint8_t *pkt, size_t n, bool tuple_known);

/* admit.c: the budgets and limits (server/policy.h) applied to the server's state */
/* Raise the descriptor limit, plan it, make the per-address table. 0 or -errno. */
int admit_init(struct srv *s);
void admit_fini(struct srv *s);
/*
 * A new connection from peer: NULL and *ip held (its pending count) when it
 * may wait for its first line, else why not (in buf).
 */
const char *admit_connection(struct srv *s, const struct net_addr *peer, struct policy_ip **ip,
			     char *buf, size_t len);
/* The connection was identified or closed: its pending count goes. */
void admit_connection_done(struct srv *s, struct policy_ip *ip);
/* A hello from an address: NULL when it may take a test slot, else why not. */
const char *admit_hello(struct srv *s, const struct policy_ip *ip, char *buf, size_t len);
/* Take the test slot of t's address (from srv_test_new, before anything can close t). */
void admit_hold_test(struct srv_test *t);
/* Whether t's data connections come on the shared port (else one port per stream). */
bool admit_single_port(const struct srv_test *t, enum xfr_proto proto);
/* test_start: NULL and the budgets held, or why the test cannot run here. */
const char *admit_test(struct srv_test *t, const struct proto_test_start *r, uint64_t mem,
		       char *buf, size_t len);
/* t's expected data connections changed (state, streams connected). */
void admit_expect(struct srv_test *t);
/* The test is running: its wall-clock end, pauses included. */
void admit_running(struct srv_test *t);
/*
 * The server's caps on what t asked (its duration, its senders' rate), into
 * the ack's extension fields, so that the client can say so; logged too.
 */
void admit_ack_limits(const struct srv_test *t, struct proto_test_ack *ack);
/* This side received over the client's limit in tk: why (in buf), else NULL. */
const char *admit_over_rate(const struct srv_test *t, const struct run_tick *tk, char *buf,
			    size_t len);
/* Everything t holds goes back. Idempotent. */
void admit_release(struct srv_test *t);

/* session_wire.c: this side on the wire (malloc'd messages; NULL when out of memory) */
struct proto_msg *wire_interval(struct srv_test *t, const struct run_tick *tk);
/* The result from t->res (flows and duration filled), fitted under the line cap. */
struct proto_msg *wire_result(struct srv_test *t);
/* The intervals kept for --get-server-output go. */
void wire_output_free(struct srv_test *t);

/* session_end.c: how a test ended, in words; the MTU probe's datagrams */
/* Why the test's clock running out ended it. */
enum srv_end srv_end_deadline(const struct srv_test *t);
/* Every flow ended before the clock did (figures in t->res): why. */
enum srv_end srv_end_flows(const struct srv_test *t);
/* The client's control connection is closed or reset (peeked, nothing consumed). */
bool srv_ctrl_gone(const struct srv_test *t);
/* The end line's words for e (into buf, or a constant). */
const char *srv_end_words(const struct srv_test *t, enum srv_end e, char *buf, size_t len);
bool srv_peer_ipv6(const struct srv_test *t);
uint32_t srv_probe_path_mtu(const struct srv_test *t, uint32_t payload);
/* A probe datagram of payload bytes arrived from the client. */
void srv_probe_arrived(struct srv_test *t, uint32_t payload);

/* server_dash.c: serve --tui, the live dashboard (a sink). 0 or -errno. */
int srv_dash_open(struct srv *s);
void srv_dash_close(struct srv *s);

/* srvlog.c: the server's log of its tests (start and end lines), a sink */
struct xfr_sink *srvlog_sink_new(const struct xfr_config *cfg);
/* Where the duration cap comes from: "--max-duration", else the server's hard limit. */
const char *srvlog_cap_name(const struct xfr_config *cfg);

/* server_ports.c */
/* Where the streams will come from; per-stream ports go in the ack. 0 or -errno. */
int ports_open(struct srv_ports *p, int ctrl_fd, bool single_port, bool mptcp,
	       struct proto_test_ack *ack);
/* A data_hello on the shared TCP port for stream idx: takes fd. */
void ports_data_conn(struct srv_ports *p, int fd, uint32_t idx);
/*
 * A single-port UDP hello (the n bytes at pkt, naming stream idx and this
 * test's token) from peer, on the shared socket u. 24 bytes, or 40 with a tag
 * that verifies when udp_key is set; anything else is dropped.
 */
void ports_udp_hello(struct srv_ports *p, const unsigned char *pkt, size_t n, uint32_t idx,
		     const struct net_addr *peer, int u);
/* Send stream idx's ack (sealed with udp_key if set) on fd. */
void ports_udp_ack(const struct srv_ports *p, int fd, uint32_t idx);
/* Stop taking streams; close what is still open. Idempotent. */
void ports_close(struct srv_ports *p);

#endif /* XFR_SERVER_SERVER_PRIV_H */
