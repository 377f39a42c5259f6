/* SPDX-License-Identifier: MIT */
/* Client internals shared by client.c (set-up) and client_loop.c (the run). */
#ifndef XFR_CLIENT_CLIENT_PRIV_H
#define XFR_CLIENT_CLIENT_PRIV_H

#include "base/config.h"
#include "control/ctrl.h"
#include "dataplane/dataplane.h"
#include "engine/engine.h"
#include "base/net.h"
#include "output/output.h"
#include "control/proto.h"
#include "model/result.h"

#define CLNT_HANDSHAKE_MS    30000 /* each handshake reply */
#define CLNT_RESULT_GRACE_MS 10000 /* after the requested duration */
#define CLNT_CANCEL_WAIT_MS  5000  /* after Ctrl+C, for the server's result */
#define CLNT_UDP_DRAIN_MS    250   /* UDP receivers: in-flight datagrams after the result */
#define CLNT_SLOTS	     4	   /* intervals waiting for their other half */

/* One interval being assembled from our sample and the server's message. */
struct clnt_slot {
	uint32_t k; /* 1-based interval number; 0 = free */
	bool has_local;
	bool has_remote;
	struct xfr_interval iv; /* iv.flows points at flows */
	/* UDP upload: the receiver's XFRF feedback over this interval, per stream, for
	 * when the server's interval message is late (live loss without the control channel) */
	bool has_fb;
	uint64_t fb_received[XFR_MAX_STREAMS];
	uint64_t fb_lost[XFR_MAX_STREAMS];
	struct xfr_flow flows[XFR_MAX_FLOWS];
};

struct clnt {
	const struct xfr_config *cfg;
	int sigfd;
	int exit_code;
	struct ctrl_conn ctrl;
	struct net_addr server;
	uint32_t server_caps;
	struct proto_test_start req;
	struct proto_test_ack ack;
	uint32_t interval_ms; /* sampling cadence (what the server reports at) */

	struct dataplane dp; /* what this side runs, and why */
	struct engine *eng;
	int done_fd;
	int tick_fd;
	int end_fd; /* UDP: our senders stop at our own deadline */
	uint64_t start_ns;
	uint32_t ticks;
	struct engine_sample *prev, *cur;
	struct clnt_slot slots[CLNT_SLOTS];
	uint32_t next_emit;	 /* next interval number to print */
	uint64_t last_remote_ms; /* elapsed_ms of the server's previous interval */

	struct output *out;
	struct xfr_result *res;
	bool got_result;
	struct proto_msg *result_msg; /* the server's result, when it came */
	bool write_failed;
	bool finish_sent;
	int signals;	     /* Ctrl+C count */
	uint64_t give_up_ns; /* no result by then: server lost; 0 = never */
	char error[256];
};

/* client.c */
int clnt_connect(struct clnt *c);
int clnt_handshake(struct clnt *c);
int clnt_open_streams(struct clnt *c, int *fds);

/* client_loop.c */
/*
 * Create the engine and hand it the streams' sockets (duplicates when dup:
 * the caller keeps fds). clnt_run_test starts an engine prepared this way.
 */
int clnt_engine_prepare(struct clnt *c, int *fds, bool dup);
/* Stop and free the engine, the samples, the result message and the timers. Idempotent. */
void clnt_release(struct clnt *c);
int clnt_run_test(struct clnt *c, int *fds);
/* --probe-mtu instead of a throughput test (owns fds). */
int clnt_run_probe(struct clnt *c, int *fds);

/* A fatal error: log it, record it in the result, tell the JSON printers. */
void clnt_error(struct clnt *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
