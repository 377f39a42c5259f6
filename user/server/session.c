// SPDX-License-Identifier: MIT
/*
 * One test on the server: hello -> test_start -> data connections -> run ->
 * result -> close. Driven by server.c's event loop; the run core
 * (dataplane/run.h) runs the data plane, samples it every interval and tells
 * this file when the test's time is up, when every flow has ended and when
 * a drain is over. What is left here is the server's protocol.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/netinfo.h"
#include "control/mtuprobe.h"
#include "control/report.h"
#include "server/server_priv.h"
#include "quic/quic.h"
#include "quic/quic_tls.h"
#include "timeutil.h"
#include "wire.h"

static void srv_test_close(struct srv_test *t);

static void ctrl_interest(struct srv_test *t)
{
	loop_mod(&t->srv->loop, &t->ctrl_it, EPOLLIN | (ctrl_pending(&t->ctrl) ? EPOLLOUT : 0));
}

/* Send, or drop a client that does not read its control connection. */
static int send_msg(struct srv_test *t, const struct proto_msg *m)
{
	int err = ctrl_send(&t->ctrl, m);

	if (err) {
		pr_warn("%s: control connection: %s; dropping the client", t->peer_str,
			err == -ENOBUFS ? "peer is not reading" : strerror(-err));
		srv_test_close(t);
		return err;
	}
	ctrl_interest(t);
	return 0;
}

/* Log, tell the peer, close. */
static void fail(struct srv_test *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct srv_test *t, const char *fmt, ...)
{
	struct xfr_event ev = {.type = XFR_EV_ERROR, .role = XFR_ROLE_SERVER, .res = &t->res};
	char msg[PROTO_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s: %s", t->peer_str, msg);
	if (ctrl_send_error(&t->ctrl, "%s", msg) == 0)
		ctrl_flush(&t->ctrl);
	if (t->started) {
		ev.text = msg;
		ev.peer = t->peer_str;
		sinks_emit(&t->srv->sinks, &ev);
	}
	srv_test_close(t);
}

static const char *state_name(enum test_state s)
{
	static const char *const names[] = {"hello", "streams", "running", "closing", "auth"};

	return names[s];
}

struct srv_test *srv_test_find(struct srv *s, const char *id)
{
	for (struct srv_test *t = s->tests; t; t = t->next)
		if (t->started && !t->dead && !strcmp(t->req.id, id))
			return t;
	return NULL;
}

struct srv_test *srv_test_by_token(struct srv *s, const unsigned char token[16])
{
	for (struct srv_test *t = s->tests; t; t = t->next)
		if (t->ports.udp_single && !t->dead && !memcmp(t->ports.token, token, 16))
			return t;
	return NULL;
}

static void on_ctrl(struct loop_item *it, uint32_t events);

static void reap(struct loop_defer *d)
{
	struct srv_test *t = (struct srv_test *)((char *)d - offsetof(struct srv_test, defer));

	run_free(t->run);
	result_free(&t->res);
	wire_output_free(t);
	explicit_bzero(t->udp_key, sizeof(t->udp_key)); /* udp_auth_v1's key */
	free(t);
}

struct srv_test *srv_test_new(struct srv *s, int fd, const struct net_addr *peer,
			      const struct proto_hello *hello, const char *raw, size_t rawlen)
{
	struct srv_test *t = calloc(1, sizeof(*t));
	struct proto_msg m;
	char sw[64], why[PROTO_TEXT_MAX];

	if (!t || ctrl_init(&t->ctrl, fd)) {
		free(t);
		return NULL;
	}
	t->srv = s;
	t->peer = *peer;
	net_addr_str(peer, t->peer_str, sizeof(t->peer_str));
	t->client_caps = hello->caps;
	t->state = TS_HELLO;
	t->deadline_ns = time_mono_ns() + SRV_HANDSHAKE_MS * NSEC_PER_MSEC;
	t->defer.fn = reap;
	t->probe_it = t->probe_end_it = (struct loop_item){.fd = -1};
	for (int i = 0; i < XFR_MAX_STREAMS; i++)
		t->fds[i] = -1;
	t->next = s->tests;
	s->tests = t;
	s->ntests++;
	admit_hold_test(t);
	report_sanitize(sw, sizeof(sw), hello->software[0] ? hello->software : "unknown");
	pr_info("%s: connected (%s, protocol %s)", t->peer_str, sw, hello->version);
	if (loop_add(&s->loop, &t->ctrl_it, fd, EPOLLIN, on_ctrl, t)) {
		srv_test_close(t);
		return t;
	}
	if (s->cfg->psk_len) { /* the hello carries the challenge */
		if (srv_auth_begin(t, hello, raw, rawlen, why, sizeof(why)))
			fail(t, "%s", why);
		else
			ctrl_interest(t);
		return t;
	}
	proto_msg_init(&m, MSG_HELLO);
	proto_hello_fill(&m.hello, true,
			 proto_caps_local(true, s->udp_single_port) |
				 (quic_tls_server_ready() ? CAP_QUIC : 0));
	send_msg(t, &m);
	proto_msg_free(&m);
	return t;
}

/* Close everything now; the memory goes after the current batch. Idempotent. */
static void srv_test_close(struct srv_test *t)
{
	struct srv_test **pp;

	if (t->dead)
		return;
	t->dead = true;
	srv_auth_free(t);
	run_halt(t->run);
	ports_close(&t->ports);
	loop_close(&t->srv->loop, &t->probe_it);
	loop_close(&t->srv->loop, &t->probe_end_it);
	for (int i = 0; i < XFR_MAX_STREAMS; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	loop_del(&t->srv->loop, &t->ctrl_it);
	ctrl_close(&t->ctrl);
	for (pp = &t->srv->tests; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->srv->ntests--;
	admit_release(t);
	loop_defer(&t->srv->loop, &t->defer); /* events of this batch may still point at t */
}

void srv_test_abort(struct srv_test *t, const char *why)
{
	if (ctrl_send_error(&t->ctrl, "%s", why) == 0)
		ctrl_flush(&t->ctrl);
	if (t->started)
		pr_info("%s: test %s aborted: %s", t->peer_str, t->req.id, why);
	srv_test_close(t);
}

/* ---- test_start ---- */

/*
 * A client's congestion control: only what the kernel allows unprivileged
 * processes (tcp_allowed_congestion_control). Never probed with setsockopt:
 * as root that would load module tcp_<name> for any name a client sends.
 */
static bool congestion_available(const char *name, char *buf, size_t len)
{
	char allowed[256];
	int err = netinfo_cc_check(name, allowed, sizeof(allowed));

	if (err == -EPERM)
		snprintf(buf, len,
			 "field congestion: \"%s\" not allowed on the server (allowed: %.120s)",
			 name, allowed);
	else if (err)
		snprintf(buf, len, "field congestion: \"%s\" not available on the server", name);
	return !err;
}

static uint32_t capped_duration(const struct srv_test *t)
{
	uint32_t cap = t->srv->cfg->max_duration_s ? t->srv->cfg->max_duration_s : XFR_MAX_DURATION;

	if (cap > XFR_MAX_DURATION)
		cap = XFR_MAX_DURATION;
	if (t->req.duration_secs == 0 || t->req.duration_secs > cap)
		return cap;
	return t->req.duration_secs;
}

static const char *check_start(struct srv_test *t, const struct proto_test_start *r, char *buf,
			       size_t len)
{
	const char *missing =
		r->proto == XFR_PROTO_QUIC ? dataplane_missing(XFR_ENG_QUIC, XFR_PROTO_QUIC) : NULL;

	if (missing)
		snprintf(buf, len, "protocol quic: %s on this server (supported: tcp, udp)",
			 missing);
	else if (r->proto == XFR_PROTO_QUIC && !quic_tls_server_ready())
		snprintf(buf, len,
			 "protocol quic: off on this server (no certificate or no "
			 "single-port UDP: see its log)");
	else if (r->proto == XFR_PROTO_QUIC && !admit_single_port(t, r->proto))
		snprintf(buf, len, "protocol quic: needs the single_port_udp_v1 capability");
	else if (r->proto == XFR_PROTO_QUIC && r->congestion[0] && !quic_cc_known(r->congestion))
		snprintf(buf, len, "field congestion: QUIC has reno, cubic, bbr and bbr2");
	else if (r->mtu_probe && (r->proto != XFR_PROTO_UDP || r->streams != 1))
		snprintf(buf, len, "mtu_probe: needs protocol udp and 1 stream");
	else
		buf[0] = '\0';
	if (!buf[0] && r->congestion[0] && r->proto != XFR_PROTO_QUIC)
		congestion_available(r->congestion, buf, len);
	if (!buf[0] && srv_test_find(t->srv, r->id))
		snprintf(buf, len, "field id: test %s already exists", r->id);
	return buf[0] ? buf : NULL;
}

/*
 * A server started without --engine auto (the default): sockets, no BPF
 * program, no XDP attachment, whatever the client asks. An explicit
 * xdp/afxdp fails the test; auto and drop_reasons get sockets, with a note.
 */
static const char *decide_sockets_only(struct srv_test *t, const struct proto_test_start *r,
				       int req, char *buf, size_t len)
{
	bool kernel = req == XFR_ENGINE_XDP || req == XFR_ENGINE_AFXDP;

	if (kernel && r->proto != XFR_PROTO_QUIC) {
		snprintf(buf, len, "engine %s unavailable on the server: it runs sockets only",
			 r->engine);
		return buf;
	}
	dataplane_decide(XFR_ENGINE_SOCKET, XFR_XDP_MODE_DEFAULT, r->proto, NULL, 0, false, NULL,
			 &t->dp);
	if (r->proto == XFR_PROTO_QUIC)
		return NULL;
	if (req != XFR_ENGINE_SOCKET)
		snprintf(t->dp.note, sizeof(t->dp.note),
			 "engine socket: this server runs sockets only and loads no BPF%s",
			 r->drop_reasons ? " (no drop reasons)" : "");
	else if (r->drop_reasons)
		snprintf(t->dp.note, sizeof(t->dp.note),
			 "engine socket: no drop reasons: this server loads no BPF");
	return NULL;
}

/*
 * The server's side of the data plane: what the client asked for (engine ext
 * field, "" = socket), bounded by serve --engine: only auto lets a client
 * load BPF here. An explicit xdp/afxdp that cannot run here fails the test;
 * auto falls back with a note in the ack.
 */
static const char *decide_engine(struct srv_test *t, const struct proto_test_start *r, char *buf,
				 size_t len)
{
	int req = r->engine[0] ? xfr_engine_req_parse(r->engine) : XFR_ENGINE_SOCKET;
	int mode = xfr_xdp_mode_parse(r->xdp_mode);

	if (req < 0 || mode < 0) {
		snprintf(buf, len, "field engine: \"%s\" / xdp_mode \"%s\" not known", r->engine,
			 r->xdp_mode);
		return buf;
	}
	if (t->srv->cfg->engine != XFR_ENGINE_AUTO)
		return decide_sockets_only(t, r, req, buf, len);
	if (dataplane_decide((enum xfr_engine_req)req, (enum xfr_xdp_mode)mode, r->proto,
			     t->srv->cfg->iface, t->srv->cfg->queues, r->drop_reasons,
			     (const struct sockaddr *)&t->peer.ss, &t->dp)) {
		snprintf(buf, len, "%s on the server", t->dp.note);
		return buf;
	}
	/* We send: live frames only toward a client that receives in the kernel. */
	if (req == XFR_ENGINE_AUTO && r->dir != XFR_DIR_UPLOAD)
		dataplane_fit_peer(&t->dp, r->client_engine, true);
	return NULL;
}

/* This side's result model: the test's identity, for the sinks. */
static int fill_identity(struct srv_test *t)
{
	const struct proto_test_start *r = &t->req;
	struct xfr_result *res = &t->res;

	if (result_init(res, r->streams))
		return -ENOMEM;
	snprintf(res->id, sizeof(res->id), "%s", r->id);
	snprintf(res->client_version, sizeof(res->client_version), "%s", "");
	snprintf(res->server_version, sizeof(res->server_version), "xfr/%s", XFR_VERSION);
	snprintf(res->host, sizeof(res->host), "%s", t->peer_str);
	res->port = net_port(&t->peer);
	res->engine = t->dp.engine;
	snprintf(res->engine_note, sizeof(res->engine_note), "%s", t->dp.note);
	res->proto = r->proto;
	res->dir = r->dir;
	res->streams = r->streams;
	res->duration_req_s = r->duration_secs;
	res->duration_granted_s = t->duration_s;
	res->bytes_req = r->has_byte_budget ? r->byte_budget : 0;
	res->bitrate_req = r->has_bitrate ? r->bitrate : 0;
	res->length = r->length ? r->length : xfr_default_length(r->proto);
	return 0;
}

static void on_stream(void *owner, int fd, uint32_t idx);

static int open_ports(struct srv_test *t, struct proto_test_ack *ack)
{
	bool tcp = t->req.proto == XFR_PROTO_TCP;
	bool single = admit_single_port(t, t->req.proto);

	t->ports = (struct srv_ports){.loop = &t->srv->loop,
				      .peer = t->peer,
				      .who = t->peer_str,
				      .streams = t->req.streams,
				      .tcp = tcp,
				      .quic = t->req.proto == XFR_PROTO_QUIC,
				      .udp_key = t->udp_auth ? t->udp_key : NULL,
				      .range = t->srv->prange.lo ? &t->srv->prange : NULL,
				      .connected = on_stream,
				      .owner = t};
	return ports_open(&t->ports, t->ctrl.fd, single, t->req.mptcp, ack);
}

static void run_cfg(const struct srv_test *t, const struct proto_test_start *q, struct run_cfg *rc);

/*
 * --max-memory: what a test takes in this process, estimated before anything
 * is allocated: its state (the per-stream tables, the result, the
 * --get-server-output ring, bounded by one result line, and a line buffer)
 * and its engine's buffers and threads as the engine sizes them for this
 * request (dataplane_mem_estimate).
 */
static uint64_t test_mem(struct srv_test *t, const struct proto_test_start *r)
{
	uint64_t n = sizeof(*t) + 2 * PROTO_MAX_LINE;
	struct run_cfg rc;

	t->rate_cap = t->srv->cfg->max_bandwidth; /* our senders' clamped rate */
	if (r->mtu_probe)
		return n;
	run_cfg(t, r, &rc);
	return n + dataplane_mem_estimate(&t->dp, &rc.ep, r->dir != XFR_DIR_UPLOAD,
					  r->dir != XFR_DIR_DOWNLOAD);
}

static void on_test_start(struct srv_test *t, const struct proto_test_start *r)
{
	struct proto_msg ack;
	char why[PROTO_TEXT_MAX];
	int err;

	if (check_start(t, r, why, sizeof(why)) || decide_engine(t, r, why, sizeof(why)) ||
	    admit_test(t, r, test_mem(t, r), why, sizeof(why))) {
		fail(t, "%s", why);
		return;
	}
	t->req = *r;
	t->started = true;
	t->duration_s = capped_duration(t);
	t->interval_ms = r->interval_ms ? r->interval_ms : 1000;
	if (fill_identity(t)) {
		fail(t, "server error: out of memory");
		return;
	}
	proto_msg_init(&ack, MSG_TEST_ACK);
	snprintf(ack.ack.id, sizeof(ack.ack.id), "%s", r->id);
	err = open_ports(t, &ack.ack);
	if (err == -EADDRNOTAVAIL && t->ports.range) {
		fail(t, "server busy: no free data port in %u-%u for %u streams",
		     t->ports.range->lo, t->ports.range->hi, r->streams);
		return;
	}
	if (err) {
		fail(t, "server error: cannot open data ports");
		return;
	}
	snprintf(ack.ack.engine, sizeof(ack.ack.engine), "%s", xfr_engine_name(t->dp.engine));
	snprintf(ack.ack.engine_note, sizeof(ack.ack.engine_note), "%s", t->dp.note);
	admit_ack_limits(t, &ack.ack);
	/* Our UDP batches toward the client cross whole: tell it, for its summary. */
	if (r->proto == XFR_PROTO_UDP && r->dir != XFR_DIR_UPLOAD && !r->udp_no_offload &&
	    t->dp.engine == XFR_ENG_SOCKET &&
	    dataplane_gso_whole((const struct sockaddr *)&t->peer.ss, ack.ack.gso_iface))
		report_sanitize(t->res.gso_iface[XFR_FLOW_DOWN], sizeof(t->res.gso_iface[0]),
				ack.ack.gso_iface);
	else
		ack.ack.gso_iface[0] = '\0';
	t->state = TS_STREAMS;
	t->deadline_ns = time_mono_ns() + SRV_STREAMS_MS * NSEC_PER_MSEC;
	admit_expect(t);
	send_msg(t, &ack);
	proto_msg_free(&ack);
}

/* ---- the end ---- */

static void emit_notice(struct srv_test *t, enum xfr_notice n, const char *text)
{
	struct xfr_event ev = {.type = XFR_EV_NOTICE,
			       .role = XFR_ROLE_SERVER,
			       .res = &t->res,
			       .notice = n,
			       .text = text,
			       .peer = t->peer_str};

	sinks_emit(&t->srv->sinks, &ev);
}

/* An MTU probe runs without the run core: its events from here. */
static void emit_start(struct srv_test *t)
{
	struct xfr_event ev = {.type = XFR_EV_TEST_START,
			       .role = XFR_ROLE_SERVER,
			       .res = &t->res,
			       .peer = t->peer_str};

	t->res.start_wall_us = time_real_us();
	sinks_emit(&t->srv->sinks, &ev);
}

static void emit_end(struct srv_test *t, const char *why)
{
	struct xfr_event ev = {.type = XFR_EV_TEST_END,
			       .role = XFR_ROLE_SERVER,
			       .res = &t->res,
			       .why = why,
			       .peer = t->peer_str};

	if (t->run)
		run_end(t->run, why);
	else
		sinks_emit(&t->srv->sinks, &ev); /* an MTU probe */
}

/* Stop the data plane and take this side's figures. False when the test went away. */
static bool take_totals(struct srv_test *t, bool abortive)
{
	if (!t->run) { /* an MTU probe: what arrived from the client */
		t->res.duration_s = (double)(time_mono_ns() - t->probe_start_ns) / 1e9;
		if (t->res.mtu) {
			t->res.mtu->ipv6 = srv_peer_ipv6(t);
			t->res.mtu->forward_max_payload = t->probe_largest;
			t->res.mtu->forward_path_mtu = srv_probe_path_mtu(t, t->probe_largest);
		}
		return true;
	}
	run_finish(t->run, abortive);
	if (t->dead) /* the client went away while we sent it */
		return false;
	t->res.nflows = 0;
	run_totals(t->run, t->res.flows, &t->res.nflows);
	t->res.duration_s = run_secs(t->run);
	return true;
}

/*
 * End of the test. Time-bounded and cancelled tests stop abortively (RST, no
 * waiting for bloated queues to drain); byte budgets end gracefully. A
 * client that is gone gets no result.
 */
static void finish(struct srv_test *t, enum srv_end e, bool abortive)
{
	struct proto_msg *m;
	char why[160];

	t->streams_gone_ns = 0;
	if (t->ended || t->dead)
		return;
	t->ended = true;
	loop_close(&t->srv->loop, &t->probe_end_it);
	if (!take_totals(t, abortive))
		return;
	if (e == SRV_END_STREAMS_GONE)
		e = srv_end_flows(t);
	if (e == SRV_END_DISCONNECTED) {
		emit_end(t, srv_end_words(t, e, why, sizeof(why)));
		srv_test_close(t);
		return;
	}
	m = wire_result(t);
	if (!m) {
		fail(t, "server error: out of memory");
		return;
	}
	emit_end(t, srv_end_words(t, e, why, sizeof(why)));
	t->state = TS_CLOSING;
	t->deadline_ns = time_mono_ns() + SRV_CLOSING_MS * NSEC_PER_MSEC;
	if (send_msg(t, m) == 0)
		t->srv->completed++;
	proto_msg_free(m);
	free(m);
}

/* ---- the run core's hooks ---- */

static void on_tick(struct run *r, const struct run_tick *tk)
{
	struct srv_test *t = run_ctx(r);
	struct proto_msg *m = wire_interval(t, tk);
	char why[PROTO_TEXT_MAX];

	if (!m)
		return;
	send_msg(t, m); /* a client that does not read is dropped here */
	proto_msg_free(m);
	free(m);
	if (!t->dead && admit_over_rate(t, tk, why, sizeof(why)))
		fail(t, "%s", why);
}

/* UDP receivers: the client's last datagrams land during the drain. */
static bool wants_drain(const struct srv_test *t)
{
	return t->req.proto == XFR_PROTO_UDP && t->req.dir != XFR_DIR_DOWNLOAD;
}

/* Drain when this side receives UDP, else end now; e: how the test ended. */
static void drain_or_finish(struct srv_test *t, enum srv_end e)
{
	int err;

	if (run_draining(t->run))
		return;
	t->drain_end = e;
	err = wants_drain(t) ? run_drain(t->run, SRV_UDP_DRAIN_MS) : -EINVAL;
	if (err && !run_draining(t->run))
		finish(t, e, true);
}

static void on_deadline(struct run *r)
{
	struct srv_test *t = run_ctx(r);

	drain_or_finish(t, srv_end_deadline(t));
}

static void on_drained(struct run *r)
{
	struct srv_test *t = run_ctx(r);

	finish(t, t->drain_end, true);
}

static void on_done(struct run *r)
{
	struct srv_test *t = run_ctx(r);

	t->flows_done = true;
	/* UDP --bidir: our half is through; the client's finish (which may have come already)
	 * ends the test. */
	if (t->req.proto == XFR_PROTO_UDP && t->req.dir == XFR_DIR_BIDIR) {
		if (t->finish_pending)
			drain_or_finish(t, SRV_END_COMPLETE);
		return;
	}
	/*
	 * Every flow ended: budget sent/received, or the client closed its
	 * streams. Without a budget, a client that was killed closes its data
	 * streams and its control connection at once, and the data's end can be
	 * seen first: its control connection gets SRV_GONE_GRACE_MS to close
	 * (on_ctrl then says "disconnected") before the test ends as "the client
	 * closed its data streams" (srv_test_tick).
	 */
	if (!t->req.has_byte_budget && !srv_ctrl_gone(t)) {
		t->streams_gone_ns = time_mono_ns();
		return;
	}
	finish(t, SRV_END_STREAMS_GONE, !t->req.has_byte_budget);
}

static void on_prepared(struct run *r, int err, const char *why);
static void on_finish(struct srv_test *t);

static const struct run_hooks srv_hooks = {
	.tick = on_tick,
	.done = on_done,
	.deadline = on_deadline,
	.drained = on_drained,
	.prepared = on_prepared,
};

/* ---- running ---- */

static void on_probe(struct loop_item *it, uint32_t events)
{
	struct srv_test *t = it->ctx;
	unsigned char buf[65536]; /* the largest UDP payload */
	ssize_t n;

	(void)events;
	for (int budget = 64; budget > 0; budget--) {
		n = recv(it->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		switch (mtuprobe_respond(it->fd, buf, (size_t)n)) {
		case 1:
			srv_probe_arrived(t, (uint32_t)n);
			break;
		case 0:
			break;
		default:
			pr_debug("%s: MTU probe reply failed", t->peer_str);
		}
	}
}

static void on_probe_end(struct loop_item *it, uint32_t events)
{
	(void)events;
	struct srv_test *t = it->ctx;

	if (timerfd_take(it->fd))
		finish(t, srv_end_deadline(t), true);
}

/* --probe-mtu: no engine; the stream's socket answers probes until cancel. */
static int start_probe(struct srv_test *t)
{
	struct loop *l = &t->srv->loop;
	int tfd = timerfd_open(), err;

	if (tfd < 0)
		return tfd;
	err = loop_add(l, &t->probe_end_it, tfd, EPOLLIN, on_probe_end, t);
	if (err) {
		close(tfd);
		return err;
	}
	err = loop_add(l, &t->probe_it, t->fds[0], EPOLLIN, on_probe, t);
	if (err)
		return err;
	t->fds[0] = -1; /* the probe item's now */
	t->probe_start_ns = time_mono_ns();
	if (!t->res.mtu)
		t->res.mtu = calloc(1, sizeof(*t->res.mtu)); /* marks a probe for the sinks */
	emit_start(t);
	return timerfd_arm_ms(tfd, (uint64_t)t->duration_s * 1000, 0);
}

/* This side's run: what the client asked (q), as this side runs it. */
static void run_cfg(const struct srv_test *t, const struct proto_test_start *q, struct run_cfg *rc)
{
	bool send = q->dir != XFR_DIR_UPLOAD, recv = q->dir != XFR_DIR_DOWNLOAD;

	*rc = (struct run_cfg){
		.role = XFR_ROLE_SERVER,
		.ep = {.proto = q->proto,
		       .streams = q->streams,
		       .length = q->length,
		       .bitrate = send && q->has_bitrate ? q->bitrate : 0,
		       .byte_budget = send && q->has_byte_budget ? q->byte_budget : 0,
		       .payload = XFR_PAYLOAD_RANDOM,
		       .zerocopy = q->zerocopy ? XFR_ZC_AUTO : XFR_ZC_OFF,
		       .done_fd = -1,
		       .udp_feedback = recv && (t->client_caps & CAP_UDP_FEEDBACK_V1),
		       .rx_spin = recv && q->has_bitrate && !q->bitrate,
		       .udp_no_offload = q->udp_no_offload},
		.dp = t->dp,
		.dir = q->dir,
		.interval_ms = t->interval_ms,
		.duration_ms = t->duration_s * 1000,
		.peer = t->peer_str,
	};
	rc->ep.udp_auth = t->udp_auth; /* session_auth.c */
	memcpy(rc->ep.udp_key, t->udp_key, sizeof(rc->ep.udp_key));
	if (q->proto == XFR_PROTO_QUIC)
		snprintf(rc->ep.quic_cc, sizeof(rc->ep.quic_cc), "%s", q->congestion);
	if (q->proto == XFR_PROTO_UDP) {
		if (!rc->ep.length)
			rc->ep.length = xfr_default_length(XFR_PROTO_UDP);
		if (send && !q->has_bitrate)
			rc->ep.bitrate = XFR_DEFAULT_UDP_RATE;
	}
	if (send) /* --max-bandwidth: our own senders never go over it */
		rc->ep.bitrate = policy_rate_clamp(t->rate_cap, rc->ep.bitrate);
}

/*
 * Single-port UDP: ack every stream again from its own socket (a kept
 * duplicate), the last one for the first time; receivers ignore a repeated
 * ack. Then the duplicates go.
 */
static void ack_udp_streams(struct srv_test *t)
{
	for (uint32_t i = 0; i < t->req.streams; i++) {
		if (t->fds[i] < 0)
			continue;
		ports_udp_ack(&t->ports, t->fds[i], i);
		close(t->fds[i]);
		t->fds[i] = -1;
	}
}

/* The run's engine is built (off the loop): start the clock, then let UDP clients send. */
static void on_prepared(struct run *r, int err, const char *why)
{
	struct srv_test *t = run_ctx(r);
	char buf[240];

	t->state = TS_RUNNING;
	t->deadline_ns = 0;
	/*
	 * Single-port UDP: the acks go before our senders start. A client reads
	 * its socket for the ack and drops anything else; our first datagrams
	 * would be lost (and on a shaped link the ack would queue behind them).
	 * The receivers are built, so the client's first datagrams are counted.
	 */
	if (!err && t->ports.udp_single)
		ack_udp_streams(t);
	if (!err) {
		err = run_start(r, NULL, buf, sizeof(buf));
		why = buf;
	}
	if (err) { /* said once, to the log and to the client */
		fail(t, "server error: cannot start the test: %s", why);
		return;
	}
	if (t->pause_early)
		run_pause(r);
	if (t->finish_early)
		on_finish(t);
}

/*
 * Every stream is in. The engine is built on a worker (run_prepare_async):
 * loading BPF, attaching XDP and resolving the next hop never hold the loop
 * that serves every other client. The test stays in TS_STREAMS meanwhile (a
 * cancel is "before the test started"); on_prepared starts it. Single-port
 * UDP: the last stream's ack waits for that too (its socket is kept, the
 * ports do not ack it), so that the client sends only once a kernel
 * receiver is attached.
 */
static void start_test(struct srv_test *t)
{
	bool ack_later = t->ports.udp_single;
	struct run_cfg rc;
	int err;

	if (t->req.mtu_probe) {
		t->state = TS_RUNNING;
		t->deadline_ns = 0;
		if (start_probe(t))
			fail(t, "server error: cannot start the MTU probe");
		return;
	}
	run_cfg(t, &t->req, &rc);
	t->run = run_new(&rc, &t->srv->loop, &t->srv->sinks, &t->res, &srv_hooks, t);
	if (!t->run) {
		fail(t, "server error: out of memory");
		return;
	}
	if (t->dp.note[0]) /* which engine and why, when not plain sockets as asked */
		emit_notice(t, XFR_NOTICE_ENGINE, t->dp.note);
	if (ack_later)
		t->ports.taking = false; /* no ack from the ports for the stream that got us here */
	t->deadline_ns = time_mono_ns() + SRV_STREAMS_MS * NSEC_PER_MSEC;
	err = run_prepare_async(t->run, t->fds, ack_later);
	if (err)
		fail(t, "server error: cannot start the test: %s", strerror(-err));
}

/* A stream's socket (server_ports.c): configure it; the last one starts the test. */
static void on_stream(void *owner, int fd, uint32_t idx)
{
	struct srv_test *t = owner;
	struct net_opts o = {.window = t->req.has_window ? t->req.window : 0,
			     .tos = t->req.dscp,
			     .nodelay = t->req.tcp_nodelay};

	if (fd < 0) {
		fail(t, "server error: cannot open %s stream %u", t->ports.tcp ? "TCP" : "UDP",
		     idx);
		return;
	}
	if (t->req.proto == XFR_PROTO_TCP)
		snprintf(o.congestion, sizeof(o.congestion), "%s", t->req.congestion);
	else
		o.nodelay = false;
	if (net_set_nonblock(fd, false) || net_apply_opts(fd, net_family(&t->peer), &o)) {
		close(fd);
		fail(t, "server error: cannot configure data stream %u", idx);
		return;
	}
	t->fds[idx] = fd;
	if (t->ports.nconnected == t->req.streams) {
		admit_running(t);
		start_test(t);
	}
}

static bool id_matches(struct srv_test *t, const char *id)
{
	if (!strcmp(id, t->req.id))
		return true;
	fail(t, "field id: \"%.40s\" is not this connection's test", id);
	return false;
}

/*
 * TCP: the engine's EOF ends the test. UDP has no EOF: drain, then end; with
 * --bidir -n once our own budget is sent too.
 */
static void on_finish(struct srv_test *t)
{
	if (t->req.proto != XFR_PROTO_UDP || t->req.dir == XFR_DIR_DOWNLOAD || !t->run)
		return;
	if (t->req.dir == XFR_DIR_BIDIR && t->req.has_byte_budget && !t->flows_done)
		t->finish_pending = true;
	else
		drain_or_finish(t, SRV_END_COMPLETE);
}

static void on_running_msg(struct srv_test *t, const struct proto_msg *m)
{
	struct proto_msg reply;

	switch (m->type) {
	case MSG_CANCEL:
		if (!id_matches(t, m->text.id))
			return;
		proto_msg_init(&reply, MSG_CANCELLED);
		snprintf(reply.text.id, sizeof(reply.text.id), "%s", t->req.id);
		/* --probe-mtu ends with a cancel once the client has its answer */
		if (send_msg(t, &reply) == 0)
			finish(t, t->req.mtu_probe ? SRV_END_COMPLETE : SRV_END_CANCELLED, true);
		return;
	case MSG_FINISH:
		if (id_matches(t, m->text.id))
			on_finish(t);
		return;
	case MSG_PAUSE:
	case MSG_RESUME:
		if (!id_matches(t, m->text.id) || !t->run)
			return;
		if (m->type == MSG_PAUSE)
			run_pause(t->run);
		else
			run_resume(t->run);
		return;
	default:
		fail(t, "unexpected message %s in state running", proto_type_name(m->type));
	}
}

static void on_msg(struct srv_test *t, const struct proto_msg *m)
{
	char why[PROTO_TEXT_MAX];

	if (t->state == TS_AUTH) {
		if (srv_auth_answer(t, m, why, sizeof(why)))
			fail(t, "%s", why);
		else
			ctrl_interest(t);
	} else if (t->state == TS_HELLO && m->type == MSG_TEST_START)
		on_test_start(t, &m->start);
	else if (t->state == TS_RUNNING)
		on_running_msg(t, m);
	else if (t->state == TS_STREAMS && m->type == MSG_CANCEL)
		srv_test_abort(t, "cancelled before the test started");
	else if (t->state == TS_STREAMS && m->type == MSG_FINISH)
		/* -n: the client's data is written before our side saw every stream or
		 * built its engine (two connections, no order between them) */
		t->finish_early = id_matches(t, m->text.id);
	else if (t->state == TS_STREAMS && (m->type == MSG_PAUSE || m->type == MSG_RESUME)) {
		if (id_matches(t, m->text.id))
			t->pause_early = m->type == MSG_PAUSE;
	} else if (t->state != TS_CLOSING)
		fail(t, "unexpected message %s in state %s", proto_type_name(m->type),
		     state_name(t->state));
}

static void on_ctrl(struct loop_item *it, uint32_t events)
{
	struct srv_test *t = it->ctx;
	struct proto_msg *m = malloc(sizeof(*m));
	char err[PROTO_TEXT_MAX];
	int rc;

	if (!m)
		return;
	if ((events & EPOLLOUT) && ctrl_flush(&t->ctrl) != -EAGAIN)
		ctrl_interest(t);
	rc = ctrl_fill(&t->ctrl);
	while (!t->dead && (rc = ctrl_next_msg(&t->ctrl, m, err, sizeof(err))) == 1) {
		on_msg(t, m);
		proto_msg_free(m);
	}
	if (!t->dead && rc < 0) {
		fail(t, "%s", err);
	} else if (!t->dead && t->ctrl.eof && t->state == TS_RUNNING) {
		finish(t, SRV_END_DISCONNECTED, true); /* logs the figures so far, closes */
		srv_test_close(t);
	} else if (!t->dead && t->ctrl.eof) {
		if (t->state != TS_CLOSING)
			pr_info("%s: control connection closed%s%s", t->peer_str,
				t->started ? ", test aborted: " : "", t->started ? t->req.id : "");
		srv_test_close(t);
	}
	free(m);
}

void srv_test_tick(struct srv_test *t, uint64_t now)
{
	if (!t->dead && t->streams_gone_ns &&
	    now - t->streams_gone_ns >= (uint64_t)SRV_GONE_GRACE_MS * NSEC_PER_MSEC) {
		t->streams_gone_ns = 0;
		finish(t, SRV_END_STREAMS_GONE, true);
		return;
	}
	/* A paused test's clock stops; the wall clock does not (--max-pause). */
	if (!t->dead && t->limit_ns && now >= t->limit_ns && t->state == TS_RUNNING) {
		fail(t, "test ended by the server: %u s plus %u s of pauses is its limit here",
		     t->duration_s, t->srv->cfg->max_pause_s);
		return;
	}
	if (t->dead || !t->deadline_ns || now < t->deadline_ns)
		return;
	if (t->state == TS_HELLO)
		fail(t, "timeout waiting for test_start (%d s)", SRV_HANDSHAKE_MS / 1000);
	else if (t->state == TS_AUTH)
		fail(t, "timeout waiting for auth_response (%d s)", SRV_FIRST_LINE_MS / 1000);
	else if (t->state == TS_STREAMS)
		fail(t, "timeout: only %u/%u data streams connected", t->ports.nconnected,
		     t->req.streams);
	else if (t->state == TS_CLOSING)
		srv_test_close(t);
}
