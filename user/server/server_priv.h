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

#define SRV_FIRST_LINE_MS  5000	 /* whole first line, slow-loris bound */
#define SRV_HANDSHAKE_MS   30000 /* hello -> test_start */
#define SRV_STREAMS_MS	   30000 /* test_ack -> all data connections */
#define SRV_CLOSING_MS	   5000	 /* result written -> close */
#define SRV_PENDING_FACTOR 4	 /* unclassified connections <= 4 x max tests */
#define SRV_UDP_DRAIN_MS   250	 /* UDP: datagrams still in flight at the end */

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
	unsigned char token[16];
	bool have[XFR_MAX_STREAMS]; /* stream i connected */
	uint32_t nconnected;
	int ack_fd
		[XFR_MAX_STREAMS]; /* single-port UDP: a stream's socket, to ack a repeated hello */
	struct loop_item it[XFR_MAX_STREAMS]; /* per-stream listeners / legacy UDP ports */
	void (*connected)(void *owner, int fd, uint32_t idx);
	void *owner;
};

struct srv;

enum test_state {
	TS_HELLO,   /* hello exchanged, waiting for test_start */
	TS_STREAMS, /* test_ack sent, collecting data connections */
	TS_RUNNING,
	TS_CLOSING, /* result sent, waiting for the client to close */
};

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
	bool started; /* test_start accepted */

	struct proto_test_start req;
	uint32_t duration_s; /* after the server's caps */
	uint32_t interval_ms;
	int fds[XFR_MAX_STREAMS]; /* connected data streams, until the engine takes them */
	struct srv_ports ports;

	struct dataplane dp; /* what this side runs for the test, and why */
	struct run *run;
	struct xfr_result res; /* this side's figures, for the sinks */
	json_t *server_output; /* array of interval objects, when asked */
	bool ended;
	bool dead;	     /* closed; freed after the current batch */
	bool flows_done;     /* the engine's flows have all ended */
	bool finish_pending; /* bidir -n: the client's finish came before our senders ended */
	/* --probe-mtu: no engine; the stream's socket answers probes until cancel */
	struct loop_item probe_it, probe_end_it;
	uint64_t probe_start_ns;
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
	uint64_t accept_paused_until; /* EMFILE back-off */
	uint64_t last_emfile_log;
	bool stop;
	uint32_t completed;	/* successful tests */
	struct xfr_sinks sinks; /* the log; later the dashboard, Prometheus */
	char peek_buf[PROTO_MAX_LINE];
};

/* session.c */
struct srv_test *srv_test_new(struct srv *s, int fd, const struct net_addr *peer,
			      const struct proto_hello *hello);
/* Housekeeping: enforce state deadlines. */
void srv_test_tick(struct srv_test *t, uint64_t now_ns);
/* Server shutdown: abort with an error to the client. */
void srv_test_abort(struct srv_test *t, const char *why);
struct srv_test *srv_test_find(struct srv *s, const char *id);
struct srv_test *srv_test_by_token(struct srv *s, const unsigned char token[16]);

/* session_wire.c: this side on the wire (malloc'd messages; NULL when out of memory) */
struct proto_msg *wire_interval(struct srv_test *t, const struct run_tick *tk);
/* The result from t->res (flows and duration filled), fitted under the line cap. */
struct proto_msg *wire_result(struct srv_test *t);

/* server_ports.c */
/* Where the streams will come from; per-stream ports go in the ack. 0 or -errno. */
int ports_open(struct srv_ports *p, int ctrl_fd, bool single_port, bool mptcp,
	       struct proto_test_ack *ack);
/* A data_hello on the shared TCP port for stream idx: takes fd. */
void ports_data_conn(struct srv_ports *p, int fd, uint32_t idx);
/* A single-port UDP hello for stream idx from peer, on the shared socket u. */
void ports_udp_hello(struct srv_ports *p, uint32_t idx, const struct net_addr *peer, int u);
/* Stop taking streams; close what is still open. Idempotent. */
void ports_close(struct srv_ports *p);

#endif /* XFR_SERVER_SERVER_PRIV_H */
