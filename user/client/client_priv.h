/* SPDX-License-Identifier: MIT */
/*
 * Client internals: client.c (set-up: resolve, connect, hello, test_start),
 * client_streams.c (the data streams), client_loop.c (the run: the loop, the
 * server's messages, the result) and client_session.c (what belongs to the
 * session itself: errors, the control connection's reads and writes, the run
 * core's construction, release).
 */
#ifndef XFR_CLIENT_CLIENT_PRIV_H
#define XFR_CLIENT_CLIENT_PRIV_H

#include <termios.h>

#include "base/config.h"
#include "base/loop.h"
#include "base/net.h"
#include "control/ctrl.h"
#include "control/proto.h"
#include "control/report.h"
#include "dataplane/dataplane.h"
#include "dataplane/run.h"
#include "model/event.h"
#include "model/result.h"
#include "tui/tui.h"

#define CLNT_HANDSHAKE_MS    30000 /* each handshake reply */
#define CLNT_HELLO_MS	     5000  /* the server's hello: xfr answers at once */
#define CLNT_RESULT_GRACE_MS 10000 /* after the requested duration */
#define CLNT_CANCEL_WAIT_MS  5000  /* after Ctrl+C, for the server's result */
#define CLNT_UDP_DRAIN_MS    250   /* UDP receivers: in-flight datagrams after the result */

struct clnt {
	const struct xfr_config *cfg;
	struct loop loop;
	struct loop_item sig_it, ctrl_it, give_up_it;
	int sigfd;
	int exit_code;
	struct ctrl_conn ctrl;
	struct net_addr server;
	uint32_t server_caps;
	struct proto_test_start req;
	struct proto_test_ack ack;
	/* CLOCK_MONOTONIC when test_ack came: a reference server's clock starts there */
	uint64_t ack_ns;
	struct report_progress progress; /* a reference server's udp_progress so far */
	uint32_t interval_ms;		 /* sampling cadence (what the server reports at) */

	struct dataplane dp; /* what this side runs, and why */
	struct run *run;
	struct xfr_sinks sinks; /* printer, -o FILE, log */
	/* client_tui.c: the live TUI (NULL without), pause without it */
	struct tui *tui;
	bool tui_quit; /* Ctrl+C after the end: leave the TUI */
	int usr_fd;    /* signalfd of SIGUSR1 (pause) / SIGUSR2 (resume); -1 */
	struct loop_item usr_it, key_it;
	bool keys_on;	    /* plain mode: stdin's terminal in single-key mode */
	struct termios tio; /* the terminal's settings to restore */
	struct xfr_result *res;
	struct proto_msg *result_msg; /* the server's result, when it came */
	bool got_result;
	bool finish_sent;
	bool drained;
	int signals; /* Ctrl+C count */
	int stop;    /* the loop ends: 1 = the result is in, < 0 = error */
	char error[256];
	struct clnt_auth *auth; /* with a PSK, during the handshake (client_auth.c) */
	bool udp_auth;		/* udp_auth_v1: XFRF authenticated with udp_key */
	uint8_t udp_key[32];
	struct quic_link *qlink; /* -Q: the connection whose stream 0 is c->ctrl (client_quic.c) */
};

/*
 * client_quic.c: -Q connects over QUIC, control on stream 0; c->ctrl gets its
 * end. src: --bind's address, or NULL. 0 or -errno (reported).
 */
int clnt_quic_connect(struct clnt *c, const struct net_addr *src);
void clnt_quic_close(struct clnt *c);
/* -Q: fds[i] stands for the connection's data stream i (quic_link_token). 0 or -errno. */
int clnt_quic_streams(struct clnt *c, int *fds);

/* client.c */
/* --probe-mtu instead of a throughput test (client_loop.c; owns fds). */
int clnt_run_probe(struct clnt *c, int *fds);
/* The test itself (client_loop.c): fds are the connected data streams (the engine's). */
int clnt_run_test(struct clnt *c, int *fds);

/*
 * client_auth.c: the PSK handshake (control/auth.h). send_hello sends our
 * hello (with a client_nonce when there is a key) and keeps its bytes;
 * clnt_auth, after the server's hello: the challenge answered, the proof
 * checked, the channel protected, or one error (a server that does not ask
 * for the key we have is refused: no silent downgrade). 0 or -errno.
 */
int clnt_auth_send_hello(struct clnt *c);
int clnt_auth(struct clnt *c, const struct proto_hello *h, const char *raw, size_t rawlen);
void clnt_auth_free(struct clnt *c);
/*
 * Single-port UDP (PROTOCOL.md §9.4): stream i's hello into out (room for 40
 * bytes), its length or -EIO; and whether the n bytes at in are its ack. With
 * udp_auth_v1 both are 40 bytes with a tag under udp_key, else the 24 bytes.
 */
int clnt_udp_hello(const struct clnt *c, uint32_t i, const unsigned char *token,
		   unsigned char *out);
bool clnt_udp_ack_ok(const struct clnt *c, uint32_t i, const unsigned char *token,
		     const unsigned char *in, size_t n);

/* client_session.c */
/* "interrupted" for -EINTR, else strerror(-err): how a failed connect is said. */
const char *clnt_conn_error(int err);
/* --bind's address into src (its port into *port): 1, 0 = no --bind, -EINVAL. */
int clnt_bind_addr(const struct clnt *c, struct net_addr *src, uint16_t *port);
/* A received message must be want; the server's error or anything else fails (said). */
int clnt_expect_type(struct clnt *c, struct proto_msg *m, enum proto_type want);
/* A fatal error: log it, record it in the result (the sinks get it at the end). */
void clnt_error(struct clnt *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The run core for this test (made once; c->run). 0 or -ENOMEM. */
int clnt_run_new(struct clnt *c);
/* Send a message on the control connection and keep the loop's write interest right. */
int clnt_send(struct clnt *c, const struct proto_msg *m);
/* A message with only the test's id (and text): cancel, finish. */
int clnt_send_simple(struct clnt *c, enum proto_type type, const char *text);
/* Stop and free the run and the server's result. Idempotent. */
void clnt_release(struct clnt *c);
/*
 * A reference server (none of our extensions) stops counting at its own
 * deadline or on cancel and drains the rest uncounted (serve.rs, tcp.rs):
 * our senders must stop there too, or what they send after it reads as loss.
 */
bool clnt_peer_is_reference(const struct clnt *c);
/* Our senders stop now: at our deadline or on cancel, for a reference server. */
void clnt_senders_stop(struct clnt *c, struct run *r);

/* client_streams.c */
/* The streams share the control port (data_hello / single-port UDP / QUIC): no data ports. */
bool clnt_single_port(const struct clnt *c);
/* Connect the test's data streams into fds[0..streams-1]. 0 or -errno (reported). */
int clnt_open_streams(struct clnt *c, int *fds);

/* client_tui.c */
/* Block SIGUSR1/SIGUSR2 for their signalfd (before any thread starts). 0 or -errno. */
int clnt_pause_signals(struct clnt *c);
/* Pause (on) or resume the traffic, both ends: 0 or -errno (-EOPNOTSUPP: the server cannot). */
int clnt_pause(struct clnt *c, bool on);
/* This test's pause controls and the TUI on the loop. 0 or -errno. */
int clnt_controls_attach(struct clnt *c);
/* Undo clnt_controls_attach (the terminal's mode restored). */
void clnt_controls_detach(struct clnt *c);
/* After the end, with the TUI: wait for q / r / Esc / Ctrl+C. */
void clnt_tui_wait(struct clnt *c);

#endif /* XFR_CLIENT_CLIENT_PRIV_H */
