// SPDX-License-Identifier: MIT
/*
 * One test on the server: hello -> test_start -> data connections -> run ->
 * result -> close. Driven by srv.c's epoll loop; the data plane runs on
 * engine threads and is sampled on this test's interval timerfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/log.h"
#include "control/mtuprobe.h"
#include "control/report.h"
#include "server/server_priv.h"
#include "model/stats.h"
#include "timeutil.h"
#include "units.h"
#include "wire.h"

static void ctrl_interest(struct srv_test *t)
{
	srv_ep_mod(t->srv, &t->ctrl_item, EPOLLIN | (ctrl_pending(&t->ctrl) ? EPOLLOUT : 0));
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
	char msg[PROTO_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s: %s", t->peer_str, msg);
	if (ctrl_send_error(&t->ctrl, "%s", msg) == 0)
		ctrl_flush(&t->ctrl);
	srv_test_close(t);
}

static const char *state_name(enum test_state s)
{
	static const char *const names[] = {"hello", "streams", "running", "closing"};

	return names[s];
}

struct srv_test *srv_test_find(struct srv *s, const char *id)
{
	for (struct srv_test *t = s->tests; t; t = t->next)
		if (t->started && !t->dead && !strcmp(t->req.id, id))
			return t;
	return NULL;
}

static int send_hello(struct srv_test *t)
{
	struct proto_msg m;
	int err;

	proto_msg_init(&m, MSG_HELLO);
	snprintf(m.hello.version, sizeof(m.hello.version), "%s", PROTO_VERSION);
	snprintf(m.hello.software, sizeof(m.hello.software), "xfr/%s", XFR_VERSION);
	m.hello.from_server = true;
	m.hello.caps = srv_caps(t->srv);
	m.hello.has_caps = true;
	err = send_msg(t, &m);
	proto_msg_free(&m);
	return err;
}

struct srv_test *srv_test_new(struct srv *s, int fd, const struct net_addr *peer,
			      const struct proto_hello *hello)
{
	struct srv_test *t = calloc(1, sizeof(*t));
	char sw[64];

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
	t->done_fd = t->interval_fd = t->end_fd = t->drain_fd = -1;
	for (int i = 0; i < XFR_MAX_STREAMS; i++)
		t->fds[i] = t->stream_lfd[i] = -1;
	t->ctrl_item = (struct ep_item){.kind = EP_CTRL, .fd = fd, .owner = t};
	t->next = s->tests;
	s->tests = t;
	s->ntests++;
	report_sanitize(sw, sizeof(sw), hello->software[0] ? hello->software : "unknown");
	pr_info("%s: connected (%s, protocol %s)", t->peer_str, sw, hello->version);
	if (srv_ep_add(s, &t->ctrl_item, EPOLLIN)) {
		srv_test_close(t);
		return t;
	}
	send_hello(t);
	return t;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void drop_item(struct srv_test *t, struct ep_item *it, int *fd)
{
	if (*fd >= 0) {
		srv_ep_del(t->srv, it);
		close_fd(fd);
	}
}

void srv_test_close(struct srv_test *t)
{
	struct srv_test **pp;

	if (t->dead)
		return;
	t->dead = true;
	drop_item(t, &t->interval_item, &t->interval_fd);
	drop_item(t, &t->end_item, &t->end_fd);
	drop_item(t, &t->done_item, &t->done_fd);
	drop_item(t, &t->drain_item, &t->drain_fd);
	for (int i = 0; i < XFR_MAX_STREAMS; i++) {
		drop_item(t, &t->stream_item[i], &t->stream_lfd[i]);
		close_fd(&t->fds[i]);
	}
	if (t->eng) {
		t->eng->ops->stop(t->eng, true);
		t->eng->ops->destroy(t->eng);
		t->eng = NULL;
	}
	srv_ep_del(t->srv, &t->ctrl_item);
	ctrl_close(&t->ctrl);
	for (pp = &t->srv->tests; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->srv->ntests--;
	t->next = t->srv->graveyard;
	t->srv->graveyard = t;
}

void srv_test_reap(struct srv *s)
{
	struct srv_test *t;

	while ((t = s->graveyard)) {
		s->graveyard = t->next;
		free(t->prev);
		free(t->cur);
		if (t->server_output)
			json_decref(t->server_output);
		free(t);
	}
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

static bool congestion_available(const char *name)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)) == 0;
	close(fd);
	return ok;
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

/* Per-stream listeners for clients without single_port_tcp. */
static int open_stream_listeners(struct srv_test *t, struct proto_test_ack *ack)
{
	struct net_addr local = {.len = sizeof(local.ss)};
	int fd;

	if (getsockname(t->ctrl.fd, (struct sockaddr *)&local.ss, &local.len))
		return -errno;
	net_set_port(&local, 0);
	for (uint32_t i = 0; i < t->req.streams; i++) {
		fd = net_listen(&local, false, t->req.mptcp, 4);
		if (fd < 0)
			return fd;
		t->stream_lfd[i] = fd;
		t->stream_item[i] = (struct ep_item){
			.kind = EP_STREAM_LISTEN, .fd = fd, .owner = t, .index = i};
		if (srv_ep_add(t->srv, &t->stream_item[i], EPOLLIN))
			return -errno;
		struct net_addr bound = {.len = sizeof(bound.ss)};
		if (getsockname(fd, (struct sockaddr *)&bound.ss, &bound.len))
			return -errno;
		ack->data_ports[ack->nports++] = net_port(&bound);
	}
	return 0;
}

/* Per-stream UDP sockets for peers without single-port UDP (their ports go in the ack). */
static int open_udp_ports(struct srv_test *t, struct proto_test_ack *ack)
{
	struct net_addr local = {.len = sizeof(local.ss)}, bound;
	int fd;

	if (getsockname(t->ctrl.fd, (struct sockaddr *)&local.ss, &local.len))
		return -errno;
	net_set_port(&local, 0);
	for (uint32_t i = 0; i < t->req.streams; i++) {
		fd = net_udp_socket(&local, false, false);
		if (fd < 0)
			return fd;
		t->stream_lfd[i] = fd;
		t->stream_item[i] =
			(struct ep_item){.kind = EP_STREAM_UDP, .fd = fd, .owner = t, .index = i};
		if (srv_ep_add(t->srv, &t->stream_item[i], EPOLLIN))
			return -errno;
		bound.len = sizeof(bound.ss);
		if (getsockname(fd, (struct sockaddr *)&bound.ss, &bound.len))
			return -errno;
		ack->data_ports[ack->nports++] = net_port(&bound);
	}
	return 0;
}

static void hex16(const unsigned char *b, char *out)
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Where the data streams will come from: one port, or one per stream. */
static int open_data_ports(struct srv_test *t, struct proto_test_ack *ack)
{
	if (t->req.proto == XFR_PROTO_TCP)
		return t->client_caps & CAP_SINGLE_PORT_TCP ? 0 : open_stream_listeners(t, ack);
	if (!(t->client_caps & CAP_SINGLE_PORT_UDP_V1) || !t->srv->udp_single_port)
		return open_udp_ports(t, ack);
	if (getrandom(t->udp_token, sizeof(t->udp_token), 0) != sizeof(t->udp_token))
		return -EIO;
	t->udp_single = true;
	hex16(t->udp_token, ack->udp_token);
	return 0;
}

struct srv_test *srv_test_by_token(struct srv *s, const unsigned char token[16])
{
	for (struct srv_test *t = s->tests; t; t = t->next)
		if (t->udp_single && !t->dead && !memcmp(t->udp_token, token, 16))
			return t;
	return NULL;
}

static const char *check_start(struct srv_test *t, const struct proto_test_start *r, char *buf,
			       size_t len)
{
	if (r->proto == XFR_PROTO_QUIC)
		snprintf(buf, len,
			 "protocol quic not supported by this server (supported: tcp, udp)");
	else if (r->mtu_probe && (r->proto != XFR_PROTO_UDP || r->streams != 1))
		snprintf(buf, len, "mtu_probe: needs protocol udp and 1 stream");
	else
		buf[0] = '\0';
	if (!buf[0] && r->congestion[0] && !congestion_available(r->congestion))
		snprintf(buf, len, "field congestion: \"%s\" not available on the server",
			 r->congestion);
	if (!buf[0] && srv_test_find(t->srv, r->id))
		snprintf(buf, len, "field id: test %s already exists", r->id);
	return buf[0] ? buf : NULL;
}

/*
 * The server's side of the data plane: what the client asked for (engine ext
 * field, "" = socket), bounded by serve --engine. An explicit xdp/afxdp that
 * cannot run here fails the test; auto falls back with a note in the ack.
 */
static const char *decide_engine(struct srv_test *t, const struct proto_test_start *r, char *buf,
				 size_t len)
{
	int req = r->engine[0] ? xfr_engine_req_parse(r->engine) : XFR_ENGINE_SOCKET;
	int mode = xfr_xdp_mode_parse(r->xdp_mode);
	bool kernel = req == XFR_ENGINE_XDP || req == XFR_ENGINE_AFXDP;

	if (req < 0 || mode < 0) {
		snprintf(buf, len, "field engine: \"%s\" / xdp_mode \"%s\" not known", r->engine,
			 r->xdp_mode);
		return buf;
	}
	if (t->srv->cfg->engine == XFR_ENGINE_SOCKET && req != XFR_ENGINE_SOCKET) {
		memset(&t->dp, 0, sizeof(t->dp));
		t->dp.drop_reasons = r->drop_reasons;
		snprintf(t->dp.note, sizeof(t->dp.note),
			 "engine socket: this server runs sockets only (serve --engine socket)");
		if (!kernel)
			return NULL;
		snprintf(buf, len, "engine %s unavailable on the server: it runs sockets only",
			 r->engine);
		return buf;
	}
	if (dataplane_decide((enum xfr_engine_req)req, (enum xfr_xdp_mode)mode, r->proto,
			     t->srv->cfg->iface, t->srv->cfg->queues, r->drop_reasons,
			     (const struct sockaddr *)&t->peer.ss, &t->dp)) {
		snprintf(buf, len, "%s on the server", t->dp.note);
		return buf;
	}
	return NULL;
}

static void on_test_start(struct srv_test *t, const struct proto_test_start *r)
{
	struct proto_msg ack;
	char why[PROTO_TEXT_MAX];

	if (check_start(t, r, why, sizeof(why)) || decide_engine(t, r, why, sizeof(why))) {
		fail(t, "%s", why);
		return;
	}
	t->req = *r;
	t->started = true;
	t->duration_s = capped_duration(t);
	t->interval_ms = r->interval_ms ? r->interval_ms : 1000;
	proto_msg_init(&ack, MSG_TEST_ACK);
	snprintf(ack.ack.id, sizeof(ack.ack.id), "%s", r->id);
	if (open_data_ports(t, &ack.ack)) {
		fail(t, "server error: cannot open data ports");
		return;
	}
	snprintf(ack.ack.engine, sizeof(ack.ack.engine), "%s", xfr_engine_name(t->dp.engine));
	snprintf(ack.ack.engine_note, sizeof(ack.ack.engine_note), "%s", t->dp.note);
	if (t->dp.note[0])
		pr_info("%s: test %s: %s", t->peer_str, r->id, t->dp.note);
	pr_info("%s: test %s: %s, %u stream%s, %s, %u s%s", t->peer_str, r->id,
		r->proto == XFR_PROTO_UDP ? "UDP" : "TCP", r->streams, r->streams > 1 ? "s" : "",
		xfr_dir_name(r->dir), t->duration_s,
		!r->duration_secs		    ? " (no limit asked; server cap)"
		: t->duration_s != r->duration_secs ? " (capped)"
						    : "");
	t->state = TS_STREAMS;
	t->deadline_ns = time_mono_ns() + SRV_STREAMS_MS * NSEC_PER_MSEC;
	send_msg(t, &ack);
	proto_msg_free(&ack);
}

/* ---- running ---- */

static uint64_t active_ns(const struct srv_test *t, uint64_t now)
{
	if (t->drain_end_ns && now > t->drain_end_ns)
		now = t->drain_end_ns; /* the drain after a UDP test is not test time */
	uint64_t paused = t->paused_ns + (t->pause_start_ns ? now - t->pause_start_ns : 0);

	return now - t->start_ns - paused;
}

static int arm(int fd, uint64_t first_ms, uint64_t every_ms)
{
	struct itimerspec its = {
		.it_value = {(time_t)(first_ms / 1000), (long)(first_ms % 1000) * 1000000L},
		.it_interval = {(time_t)(every_ms / 1000), (long)(every_ms % 1000) * 1000000L},
	};

	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

static int add_timer(struct srv_test *t, int *fd, struct ep_item *it, enum ep_kind kind)
{
	*fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*it = (struct ep_item){.kind = kind, .fd = *fd, .owner = t};
	return srv_ep_add(t->srv, it, EPOLLIN);
}

static int engine_setup(struct srv_test *t)
{
	bool send = t->req.dir != XFR_DIR_UPLOAD, recv = t->req.dir != XFR_DIR_DOWNLOAD;
	struct engine_params p = {
		.proto = t->req.proto,
		.streams = t->req.streams,
		.length = t->req.length,
		.bitrate = send && t->req.has_bitrate ? t->req.bitrate : 0,
		.byte_budget = send && t->req.has_byte_budget ? t->req.byte_budget : 0,
		.payload = XFR_PAYLOAD_RANDOM,
		.zerocopy = t->req.zerocopy ? XFR_ZC_AUTO : XFR_ZC_OFF,
		.done_fd = t->done_fd,
		.udp_feedback = recv && (t->client_caps & CAP_UDP_FEEDBACK_V1),
		.udp_no_offload = t->req.udp_no_offload,
	};
	int err;

	if (t->req.proto == XFR_PROTO_UDP) {
		if (!p.length)
			p.length = XFR_DEFAULT_UDP_LEN;
		if (send && !t->req.has_bitrate)
			p.bitrate = XFR_DEFAULT_UDP_RATE;
	}
	char why[200];

	t->eng = dataplane_engine(&t->dp, &p, why, sizeof(why));
	if (!t->eng) {
		err = errno ? -errno : -ENOMEM;
		pr_err("%s: test %s: %s", t->peer_str, t->req.id, why);
		for (uint32_t i = 0; i < t->req.streams; i++) {
			if (t->fds[i] >= 0)
				close(t->fds[i]);
			t->fds[i] = -1;
		}
		return err;
	}
	err = 0;
	for (uint32_t i = 0; !err && i < t->req.streams; i++) {
		err = t->eng->ops->add_stream(t->eng, i, t->fds[i], send, recv, XFR_FLOW_DOWN);
		t->fds[i] = -1; /* the engine owns it now, also on error */
	}
	return err;
}

/* --probe-mtu: no engine; the stream's socket answers probes until cancel. */
static void run_probe(struct srv_test *t)
{
	t->stream_item[0] = (struct ep_item){.kind = EP_PROBE, .fd = t->fds[0], .owner = t};
	if (srv_ep_add(t->srv, &t->stream_item[0], EPOLLIN) ||
	    add_timer(t, &t->end_fd, &t->end_item, EP_TEST_END)) {
		fail(t, "server error: cannot start the MTU probe");
		return;
	}
	t->start_ns = time_mono_ns();
	arm(t->end_fd, (uint64_t)t->duration_s * 1000, 0);
	t->state = TS_RUNNING;
	t->deadline_ns = 0;
}

static void on_probe(struct srv_test *t, int fd)
{
	static unsigned char buf[65536];
	ssize_t n;

	for (int budget = 64; budget > 0; budget--) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		if (mtuprobe_respond(fd, buf, (size_t)n) < 0)
			pr_debug("%s: MTU probe reply failed", t->peer_str);
	}
}

static void run_test(struct srv_test *t)
{
	int err;

	if (t->req.mtu_probe) {
		t->prev = calloc(1, sizeof(*t->prev));
		t->cur = calloc(1, sizeof(*t->cur));
		if (!t->prev || !t->cur)
			fail(t, "server error: out of memory");
		else
			run_probe(t);
		return;
	}

	t->prev = calloc(1, sizeof(*t->prev));
	t->cur = calloc(1, sizeof(*t->cur));
	t->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!t->prev || !t->cur || t->done_fd < 0) {
		fail(t, "server error: out of memory");
		return;
	}
	t->done_item = (struct ep_item){.kind = EP_TEST_DONE, .fd = t->done_fd, .owner = t};
	err = srv_ep_add(t->srv, &t->done_item, EPOLLIN);
	if (!err)
		err = engine_setup(t);
	if (!err)
		err = add_timer(t, &t->interval_fd, &t->interval_item, EP_TEST_INTERVAL);
	if (!err)
		err = add_timer(t, &t->end_fd, &t->end_item, EP_TEST_END);
	if (!err)
		err = t->eng->ops->start(t->eng);
	if (err) {
		fail(t, "server error: cannot start the test: %s", strerror(-err));
		return;
	}
	t->engine_started = true;
	t->start_ns = time_mono_ns();
	t->eng->ops->sample(t->eng, t->prev);
	arm(t->interval_fd, t->interval_ms, t->interval_ms);
	arm(t->end_fd, (uint64_t)t->duration_s * 1000, 0);
	if (t->req.server_output)
		t->server_output = json_array();
	t->state = TS_RUNNING;
	t->deadline_ns = 0;
}

static void stream_connected(struct srv_test *t, int fd, uint32_t idx)
{
	struct net_opts o = {.window = t->req.has_window ? t->req.window : 0,
			     .tos = t->req.dscp,
			     .nodelay = t->req.tcp_nodelay};

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
	if (++t->nconnected == t->req.streams)
		run_test(t);
}

static void send_udp_ack(int fd, uint32_t idx, const unsigned char *token)
{
	unsigned char ack[XFR_HELLO_LEN];

	wire_hello_put(ack, XFR_HELLO_KIND_ACK, (uint16_t)idx, token);
	if (send(fd, ack, sizeof(ack), MSG_DONTWAIT) < 0)
		pr_debug("UDP ack: %s", strerror(errno));
}

/*
 * A stream's hello on the shared port: give the stream its own socket on the
 * same port, connected to the client, and answer from it. A repeated hello
 * (our ack was lost) is answered again from the same socket.
 */
void srv_test_udp_hello(struct srv_test *t, uint32_t idx, const struct net_addr *peer, int u)
{
	struct net_addr local = {.len = sizeof(local.ss)};
	int fd, ack_fd;

	if (t->state != TS_STREAMS || idx >= t->req.streams) {
		if (t->state == TS_RUNNING && idx < t->req.streams)
			pr_debug("%s: late UDP hello for stream %u ignored", t->peer_str, idx);
		return;
	}
	if (t->fds[idx] >= 0) {
		send_udp_ack(t->fds[idx], idx, t->udp_token);
		return;
	}
	if (getsockname(u, (struct sockaddr *)&local.ss, &local.len))
		return;
	fd = net_udp_socket(&local, false, true);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&peer->ss, peer->len)) {
		if (fd >= 0)
			close(fd);
		fail(t, "server error: cannot open UDP stream %u", idx);
		return;
	}
	/*
	 * Ack after the stream is taken: the last one starts the engine, and a
	 * kernel receiver must be attached before the client starts sending.
	 */
	ack_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	stream_connected(t, fd, idx);
	if (ack_fd >= 0) {
		if (!t->dead)
			send_udp_ack(ack_fd, idx, t->udp_token);
		close(ack_fd);
	}
}

/*
 * Legacy UDP: the first datagram on a stream's own port names the client's
 * address (only the control connection's host is accepted). It is peeked, so
 * data stays for the engine; a 1-byte "here I am" datagram is consumed.
 */
static void on_stream_udp(struct srv_test *t, struct ep_item *it)
{
	struct net_addr peer = {.len = sizeof(peer.ss)};
	uint32_t idx = it->index;
	unsigned char b[16];
	int fd = it->fd;
	ssize_t n;

	n = recvfrom(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC,
		     (struct sockaddr *)&peer.ss, &peer.len);
	if (n < 0)
		return;
	if (!net_same_host(&peer, &t->peer) ||
	    connect(fd, (const struct sockaddr *)&peer.ss, peer.len)) {
		recv(fd, b, sizeof(b), MSG_DONTWAIT); /* someone else's: drop it */
		return;
	}
	if (n < XFR_UDP_HDR_LEN)
		recv(fd, b, sizeof(b), MSG_DONTWAIT);
	srv_ep_del(t->srv, it);
	t->stream_lfd[idx] = -1;
	stream_connected(t, fd, idx);
}

void srv_test_data_conn(struct srv_test *t, int fd, const struct net_addr *peer, uint32_t index)
{
	char who[64];

	if (index >= t->req.streams || t->fds[index] >= 0 || t->stream_lfd[index] >= 0) {
		pr_debug("%s: data connection for stream %u of test %s dropped",
			 net_addr_str(peer, who, sizeof(who)), index, t->req.id);
		close(fd);
		return;
	}
	stream_connected(t, fd, index);
}

static void on_stream_listen(struct srv_test *t, struct ep_item *it)
{
	struct net_addr peer = {.len = sizeof(peer.ss)};
	uint32_t idx = it->index;
	int fd = accept4(it->fd, (struct sockaddr *)&peer.ss, &peer.len, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!net_same_host(&peer, &t->peer)) {
		pr_debug("%s: data port connection from another host dropped", t->peer_str);
		close(fd);
		return;
	}
	drop_item(t, it, &t->stream_lfd[idx]);
	stream_connected(t, fd, idx);
}

/* The server's side of one interval (or of the whole test when prev is NULL). */
static void wire_side(struct srv_test *t, const struct engine_sample *prev, double secs,
		      struct proto_stream *streams, struct proto_aggregate *agg)
{
	struct xfr_flow *flows = calloc(2 * XFR_MAX_FLOWS, sizeof(*flows));
	uint32_t n = 0, nt = 0;

	if (!flows)
		return;
	if (prev)
		stats_side_delta(prev, t->cur, flows, &n);
	else
		stats_side_total(t->cur, flows, &n);
	/* cumulative figures too, for the aggregate's udp_progress */
	stats_side_total(t->cur, flows + XFR_MAX_FLOWS, &nt);
	report_to_wire(flows, n, flows + XFR_MAX_FLOWS, nt, t->req.streams, t->req.dir, secs,
		       streams, agg);
	free(flows);
}

static void keep_server_output(struct srv_test *t, const struct proto_msg *m)
{
	size_t len;
	char *line = proto_encode(m, &len);
	json_t *obj = line ? json_loadb(line, len, 0, NULL) : NULL;

	if (obj) {
		json_object_del(obj, "type");
		json_array_append_new(t->server_output, obj);
	}
	free(line);
}

static void send_interval(struct srv_test *t)
{
	struct engine_sample *tmp;
	struct proto_msg *m = malloc(sizeof(*m));

	if (!m)
		return;
	proto_msg_init(m, MSG_INTERVAL);
	t->eng->ops->sample(t->eng, t->cur);
	snprintf(m->interval.id, sizeof(m->interval.id), "%s", t->req.id);
	m->interval.elapsed_ms = active_ns(t, t->cur->t_ns) / NSEC_PER_MSEC;
	m->interval.nstreams = t->req.streams;
	wire_side(t, t->prev, (double)(t->cur->t_ns - t->prev->t_ns) / 1e9, m->interval.streams,
		  &m->interval.aggregate);
	tmp = t->prev;
	t->prev = t->cur;
	t->cur = tmp;
	if (t->server_output)
		keep_server_output(t, m);
	send_msg(t, m);
	proto_msg_free(m);
	free(m);
}

static void on_interval(struct srv_test *t)
{
	uint64_t exp;

	if (read(t->interval_fd, &exp, sizeof(exp)) < 0 || t->pause_start_ns)
		return;
	send_interval(t);
}

/* The tail since the last interval, when it is long enough to mean something. */
static void last_interval(struct srv_test *t)
{
	uint64_t now = time_mono_ns();

	if (t->pause_start_ns || t->dead ||
	    now - t->prev->t_ns < (uint64_t)t->interval_ms * NSEC_PER_MSEC / 2)
		return;
	send_interval(t);
}

static char *server_output_text(json_t *intervals, bool truncated);

static void fill_result(struct srv_test *t, struct proto_result *r, double secs)
{
	struct proto_aggregate agg;

	snprintf(r->id, sizeof(r->id), "%s", t->req.id);
	r->nstreams = t->req.streams;
	wire_side(t, NULL, secs, r->streams, &agg);
	r->bytes_total = agg.bytes;
	r->duration_ms = (uint64_t)(secs * 1000.0 + 0.5);
	r->throughput_mbps = agg.throughput_mbps;
	r->has_tcp_info = t->req.dir != XFR_DIR_UPLOAD && t->req.proto == XFR_PROTO_TCP;
	r->tcp_info = agg.tcp;
	if (t->req.proto == XFR_PROTO_UDP) {
		struct xfr_flow *flows = calloc(XFR_MAX_FLOWS, sizeof(*flows));
		uint32_t n = 0;

		if (flows) {
			stats_side_total(t->cur, flows, &n);
			report_result_udp(flows, n,
					  t->req.length ? t->req.length : XFR_DEFAULT_UDP_LEN,
					  &r->udp_stats, &r->has_udp_stats);
		}
		free(flows);
	}
	r->has_split = agg.has_split;
	r->bytes_sent = agg.bytes_sent;
	r->bytes_received = agg.bytes_received;
	r->throughput_send_mbps = agg.throughput_send_mbps;
	r->throughput_recv_mbps = agg.throughput_recv_mbps;
	if (t->server_output)
		r->server_output = server_output_text(t->server_output, false);
}

static char *server_output_text(json_t *intervals, bool truncated)
{
	json_t *o = json_pack("{s:s,s:O,s:b}", "version", "xfr/" XFR_VERSION, "intervals",
			      intervals, "truncated", truncated);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return text;
}

/*
 * A result line must fit the 64 KiB control line cap. A long test's server
 * output may not: keep its most recent half until it fits, and say so.
 */
static void fit_result(struct srv_test *t, struct proto_msg *m)
{
	size_t len, n;
	char *line;

	while ((line = proto_encode(m, &len)) == NULL && errno == EMSGSIZE && t->server_output) {
		n = json_array_size(t->server_output);
		free(m->result.server_output);
		m->result.server_output = NULL;
		if (n == 0)
			return;
		for (size_t i = 0; i < (n + 1) / 2; i++)
			json_array_remove(t->server_output, 0);
		m->result.server_output = server_output_text(t->server_output, true);
	}
	free(line);
}

/*
 * End of the test. Time-bounded and cancelled tests stop abortively (RST: no
 * waiting for bloated queues to drain); byte budgets end gracefully.
 */
static void finish(struct srv_test *t, const char *why, bool abortive)
{
	struct proto_msg *m;
	char rate[32], size[32];
	double secs;

	if (t->ended)
		return;
	t->ended = true;
	drop_item(t, &t->interval_item, &t->interval_fd);
	drop_item(t, &t->end_item, &t->end_fd);
	if (t->eng) {
		t->eng->ops->stop(t->eng, abortive);
		last_interval(t);
		if (t->dead) /* the client went away while we sent it */
			return;
		t->eng->ops->sample(t->eng, t->cur);
	} else {
		t->cur->t_ns = time_mono_ns(); /* an MTU probe: nothing was counted */
	}
	secs = (double)active_ns(t, t->cur->t_ns) / 1e9;
	m = calloc(1, sizeof(*m));
	if (!m) {
		fail(t, "server error: out of memory");
		return;
	}
	proto_msg_init(m, MSG_RESULT);
	fill_result(t, &m->result, secs);
	fit_result(t, m);
	if (t->req.mtu_probe)
		pr_info("%s: test %s: MTU probe finished after %.2f s", t->peer_str, t->req.id,
			secs);
	else
		pr_info("%s: test %s %s: %s, %s in %.2f s", t->peer_str, t->req.id, why,
			units_fmt_rate(m->result.throughput_mbps * 1e6, rate, sizeof(rate)),
			units_fmt_bytes(m->result.bytes_total, size, sizeof(size)), secs);
	t->state = TS_CLOSING;
	t->deadline_ns = time_mono_ns() + SRV_CLOSING_MS * NSEC_PER_MSEC;
	if (send_msg(t, m) == 0)
		t->srv->completed++;
	proto_msg_free(m);
	free(m);
}

static bool start_drain(struct srv_test *t);

static void on_done(struct srv_test *t)
{
	uint64_t v;

	if (read(t->done_fd, &v, sizeof(v)) < 0)
		return;
	drop_item(t, &t->done_item, &t->done_fd);
	/*
	 * UDP --bidir: our half is through; the client's finish (which may have
	 * come already) ends the test.
	 */
	if (t->req.proto == XFR_PROTO_UDP && t->req.dir == XFR_DIR_BIDIR) {
		if (t->finish_pending)
			start_drain(t);
		return;
	}
	/* Every flow ended: budget sent/received, or the client closed its streams. */
	finish(t, "complete", !t->req.has_byte_budget);
}

static void set_paused(struct srv_test *t, bool pause)
{
	struct itimerspec cur;
	uint64_t now = time_mono_ns();

	if (!t->eng)
		return;

	if (pause == !!t->pause_start_ns)
		return;
	if (pause) {
		t->eng->ops->pause(t->eng);
		timerfd_gettime(t->end_fd, &cur);
		t->pause_start_ns = now;
		arm(t->end_fd, 0, 0);
		t->remaining_ms =
			(uint64_t)cur.it_value.tv_sec * 1000 + cur.it_value.tv_nsec / 1000000;
		return;
	}
	t->paused_ns += now - t->pause_start_ns;
	t->pause_start_ns = 0;
	arm(t->end_fd, t->remaining_ms ? t->remaining_ms : 1, 0);
	t->eng->ops->resume(t->eng);
}

/*
 * UDP receivers: the client's last datagrams are still on their way when our
 * clock runs out. Keep counting for SRV_UDP_DRAIN_MS, then end. true = draining.
 */
static bool start_drain(struct srv_test *t)
{
	if (!t->eng)
		return false;
	if (t->req.proto != XFR_PROTO_UDP || t->req.dir == XFR_DIR_DOWNLOAD || t->drain_fd >= 0 ||
	    t->ended)
		return false;
	drop_item(t, &t->interval_item, &t->interval_fd);
	/* The end timer is not read: left in epoll it would end the drain at once. */
	drop_item(t, &t->end_item, &t->end_fd);
	t->drain_end_ns = time_mono_ns();
	t->eng->ops->pause(t->eng); /* bidir: our senders stop on time too */
	if (add_timer(t, &t->drain_fd, &t->drain_item, EP_TEST_DRAIN) ||
	    arm(t->drain_fd, SRV_UDP_DRAIN_MS, 0))
		return false;
	return true;
}

static bool id_matches(struct srv_test *t, const char *id)
{
	if (!strcmp(id, t->req.id))
		return true;
	fail(t, "field id: \"%.40s\" is not this connection's test", id);
	return false;
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
		if (send_msg(t, &reply) == 0)
			finish(t, "cancelled", true);
		return;
	case MSG_FINISH:
		/*
		 * TCP: the engine's EOF ends the test. UDP has no EOF: drain, then
		 * end; with --bidir -n once our own budget is sent too.
		 */
		if (!id_matches(t, m->text.id) || t->req.proto != XFR_PROTO_UDP ||
		    t->req.dir == XFR_DIR_DOWNLOAD)
			return;
		if (t->req.dir == XFR_DIR_BIDIR && t->req.has_byte_budget && t->done_fd >= 0)
			t->finish_pending = true;
		else
			start_drain(t);
		return;
	case MSG_PAUSE:
	case MSG_RESUME:
		if (id_matches(t, m->text.id))
			set_paused(t, m->type == MSG_PAUSE);
		return;
	default:
		fail(t, "unexpected message %s in state running", proto_type_name(m->type));
	}
}

static void on_msg(struct srv_test *t, const struct proto_msg *m)
{
	if (t->state == TS_HELLO && m->type == MSG_TEST_START)
		on_test_start(t, &m->start);
	else if (t->state == TS_RUNNING)
		on_running_msg(t, m);
	else if (t->state == TS_STREAMS && m->type == MSG_CANCEL)
		srv_test_abort(t, "cancelled before the test started");
	else if (t->state != TS_CLOSING)
		fail(t, "unexpected message %s in state %s", proto_type_name(m->type),
		     state_name(t->state));
}

static void on_ctrl(struct srv_test *t, uint32_t events)
{
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
	} else if (!t->dead && t->ctrl.eof) {
		if (t->state != TS_CLOSING)
			pr_info("%s: control connection closed%s%s", t->peer_str,
				t->started ? ", test aborted: " : "", t->started ? t->req.id : "");
		srv_test_close(t);
	}
	free(m);
}

void srv_test_event(struct srv_test *t, struct ep_item *it, uint32_t events)
{
	if (t->dead)
		return;
	switch (it->kind) {
	case EP_CTRL:
		on_ctrl(t, events);
		break;
	case EP_TEST_INTERVAL:
		on_interval(t);
		break;
	case EP_PROBE:
		on_probe(t, it->fd);
		break;
	case EP_TEST_DRAIN:
		finish(t, "complete", true);
		break;
	case EP_STREAM_UDP:
		on_stream_udp(t, it);
		break;
	case EP_TEST_END:
		if (start_drain(t))
			break;
		finish(t, "complete", true);
		break;
	case EP_TEST_DONE:
		on_done(t);
		break;
	case EP_STREAM_LISTEN:
		on_stream_listen(t, it);
		break;
	default:
		break;
	}
}

void srv_test_tick(struct srv_test *t, uint64_t now)
{
	if (t->dead || !t->deadline_ns || now < t->deadline_ns)
		return;
	if (t->state == TS_HELLO)
		fail(t, "timeout waiting for test_start (%d s)", SRV_HANDSHAKE_MS / 1000);
	else if (t->state == TS_STREAMS)
		fail(t, "timeout: only %u/%u data streams connected", t->nconnected,
		     t->req.streams);
	else if (t->state == TS_CLOSING)
		srv_test_close(t);
}
