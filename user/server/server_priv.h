/* SPDX-License-Identifier: MIT */
/*
 * Server internals shared by server.c (listening, first lines, limits) and
 * srv_test.c (one test's state machine). One epoll loop runs all control
 * connections; data streams run on engine threads.
 */
#ifndef XFR_SERVER_SERVER_PRIV_H
#define XFR_SERVER_SERVER_PRIV_H

#include <jansson.h>
#include <stdint.h>

#include "base/config.h"
#include "control/ctrl.h"
#include "dataplane/dataplane.h"
#include "engine/engine.h"
#include "base/net.h"
#include "control/proto.h"

#define SRV_FIRST_LINE_MS  5000	 /* whole first line, slow-loris bound */
#define SRV_HANDSHAKE_MS   30000 /* hello -> test_start */
#define SRV_STREAMS_MS	   30000 /* test_ack -> all data connections */
#define SRV_CLOSING_MS	   5000	 /* result written -> close */
#define SRV_PENDING_FACTOR 4	 /* unclassified connections <= 4 x max tests */
#define SRV_UDP_DRAIN_MS   250	 /* UDP: datagrams still in flight at the end */

enum ep_kind {
	EP_LISTEN,
	EP_SIGNAL,
	EP_TICK,
	EP_PENDING,
	EP_CTRL,
	EP_TEST_INTERVAL,
	EP_TEST_END,
	EP_TEST_DONE,
	EP_STREAM_LISTEN,
	EP_UDP,	       /* the shared UDP socket: single-port hellos */
	EP_STREAM_UDP, /* a legacy per-stream UDP socket waiting for its client */
	EP_TEST_DRAIN,
	EP_PROBE,
	/* --probe-mtu: the stream's socket answers probes */ /* UDP: in-flight datagrams counted, now finish */
};

/* What an epoll event points at. */
struct ep_item {
	enum ep_kind kind;
	int fd;
	void *owner;
	uint32_t index; /* EP_STREAM_LISTEN: stream */
};

enum test_state {
	TS_HELLO,   /* hello exchanged, waiting for test_start */
	TS_STREAMS, /* test_ack sent, collecting data connections */
	TS_RUNNING,
	TS_CLOSING, /* result sent, waiting for the client to close */
};

struct srv;

struct srv_test {
	struct srv *srv;
	struct srv_test *next;
	struct ctrl_conn ctrl;
	struct ep_item ctrl_item;
	struct net_addr peer;
	char peer_str[64];
	enum test_state state;
	uint64_t deadline_ns; /* state timeout; 0 = none */
	uint32_t client_caps;
	bool started; /* test_start accepted */

	struct proto_test_start req;
	uint32_t duration_s; /* after the server's caps */
	uint32_t interval_ms;
	int fds[XFR_MAX_STREAMS];
	uint32_t nconnected;
	int stream_lfd[XFR_MAX_STREAMS];
	struct ep_item stream_item[XFR_MAX_STREAMS];

	struct dataplane dp; /* what this side runs for the test, and why */
	struct engine *eng;
	int done_fd, interval_fd, end_fd;
	struct ep_item done_item, interval_item, end_item;
	uint64_t start_ns;
	uint64_t paused_ns;	 /* total paused time */
	uint64_t pause_start_ns; /* 0 = running */
	uint64_t remaining_ms;	 /* of the test, while paused */
	struct engine_sample *prev, *cur;
	json_t *server_output; /* array of interval objects, when asked */
	bool ended;
	bool dead; /* closed; freed after the current epoll batch */
	bool engine_started;
	/* UDP */
	bool udp_single; /* single-port: streams say hello with the token */
	unsigned char udp_token[16];
	int drain_fd;
	bool finish_pending;   /* bidir -n: the client's finish came before our senders ended */
	uint64_t drain_end_ns; /* when the test's clock stopped for the drain */
	struct ep_item drain_item;
};

struct srv {
	const struct xfr_config *cfg;
	int epfd;
	int sigfd;
	int tickfd;
	int lfd[2];
	int nlfd;
	struct ep_item lfd_item[2];
	struct ep_item sig_item, tick_item;
	int ufd[2]; /* shared UDP sockets, one per listening address */
	struct ep_item ufd_item[2];
	struct net_addr uaddr[2]; /* their local addresses */
	bool udp_single_port;	  /* connected-socket routing works: advertise single_port_udp_v1 */
	struct srv_test *tests;
	struct srv_test *graveyard; /* closed tests, freed after the epoll batch */
	uint32_t ntests;	    /* control handlers in use */
	uint32_t npending;
	uint64_t accept_paused_until; /* EMFILE back-off */
	uint64_t last_emfile_log;
	bool stop;
	uint32_t completed; /* successful tests */
};

/* epoll registration helpers (server.c). */
int srv_ep_add(struct srv *s, struct ep_item *it, uint32_t events);
int srv_ep_mod(struct srv *s, struct ep_item *it, uint32_t events);
void srv_ep_del(struct srv *s, struct ep_item *it);

/* srv_test.c */
struct srv_test *srv_test_new(struct srv *s, int fd, const struct net_addr *peer,
			      const struct proto_hello *hello);
/* Close everything now; memory goes to the graveyard (srv_test_reap). */
void srv_test_close(struct srv_test *t);
void srv_test_reap(struct srv *s);
void srv_test_event(struct srv_test *t, struct ep_item *it, uint32_t events);
/* A data connection that sent data_hello for this test: takes fd. */
void srv_test_data_conn(struct srv_test *t, int fd, const struct net_addr *peer, uint32_t index);
/* Housekeeping: enforce state deadlines. */
void srv_test_tick(struct srv_test *t, uint64_t now_ns);
/* A single-port UDP hello for stream index from peer, on the shared socket u. */
void srv_test_udp_hello(struct srv_test *t, uint32_t index, const struct net_addr *peer, int u);
struct srv_test *srv_test_by_token(struct srv *s, const unsigned char token[16]);
/* Capabilities this server advertises. */
uint32_t srv_caps(const struct srv *s);
/* Server shutdown: abort with an error to the client. */
void srv_test_abort(struct srv_test *t, const char *why);
struct srv_test *srv_test_find(struct srv *s, const char *id);

#endif
