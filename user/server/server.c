// SPDX-License-Identifier: MIT
/*
 * xfr serve: listening sockets, the first line of every connection (a control
 * hello or a data_hello), connection limits, signals, and the event loop
 * (base/loop.h) that drives every test (session.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mdns.h"
#include "control/auth.h"
#include "control/report.h"
#include "metrics/sink.h"
#include "output/output.h"
#include "server/server.h"
#include "server/server_priv.h"
#include "quic/quic_tls.h"
#include "timeutil.h"
#include "wire.h"

#define TICK_MS 100

/* A connection whose first line has not arrived yet. */
struct pending {
	struct srv *srv;
	struct loop_item item;
	struct loop_defer defer; /* freed after the batch that closed it */
	struct net_addr peer;
	struct policy_ip *ip; /* its address's counts (admit.c) */
	uint64_t deadline_ns;
	struct pending *next;
	/* the line so far, taken from the socket so that no byte is scanned twice */
	char *line;
	uint32_t len, cap;
};

/* Where a local client reaches the socket bound to a (loopback for a wildcard). */
static void selftest_target(const struct net_addr *a, bool v6only, struct net_addr *dst)
{
	static const unsigned char any6[16];
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
	uint16_t port;

	*dst = *a;
	if (net_family(a) == AF_INET && ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == 0)
		net_parse_bind("127.0.0.1", dst, &port);
	else if (net_family(a) == AF_INET6 && !memcmp(&in6->sin6_addr, any6, 16))
		net_parse_bind(v6only ? "::1" : "::ffff:127.0.0.1", dst, &port);
	net_set_port(dst, net_port(a));
}

/*
 * Single-port UDP hands each stream a socket bound to the server port and
 * connected to the client (SO_REUSEPORT). That only works if the kernel routes
 * a connected 4-tuple to its own socket and not to the shared one: check once.
 */
static bool udp_selftest(struct srv *s, int i, bool v6only)
{
	struct net_addr dst, src = {.len = sizeof(src.ss)};
	struct pollfd p;
	char buf[16];
	int c, conn = -1;
	bool ok = false;

	selftest_target(&s->uaddr[i], v6only, &dst);
	c = socket(net_family(&dst), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&dst.ss, dst.len) ||
	    getsockname(c, (struct sockaddr *)&src.ss, &src.len))
		goto out;
	conn = net_udp_socket(&s->uaddr[i], v6only, true);
	if (conn < 0 || connect(conn, (struct sockaddr *)&src.ss, src.len) ||
	    send(c, "xfr-selftest", 12, 0) != 12)
		goto out;
	p = (struct pollfd){.fd = conn, .events = POLLIN};
	ok = poll(&p, 1, 500) == 1 && recv(conn, buf, sizeof(buf), MSG_DONTWAIT) == 12 &&
	     recv(s->ufd_it[i].fd, buf, sizeof(buf), MSG_DONTWAIT) < 0;
out:
	if (conn >= 0)
		close(conn);
	if (c >= 0)
		close(c);
	return ok;
}

static void on_udp(struct loop_item *it, uint32_t events);
static void accept_one(struct srv *s, int cfd, const struct net_addr *peer);

static int open_udp(struct srv *s, int i, const struct net_addr *a, bool v6only)
{
	char buf[80];
	int fd = net_udp_socket(a, v6only, true), err;

	if (fd < 0) {
		pr_err("cannot bind UDP %s: %s", net_addr_str(a, buf, sizeof(buf)), strerror(-fd));
		return fd;
	}
	s->uaddr[i] = *a;
	err = loop_add(&s->loop, &s->ufd_it[i], fd, EPOLLIN, on_udp, s);
	if (err) {
		close(fd);
		s->ufd_it[i].fd = -1;
		return err;
	}
	s->udp_single_port = udp_selftest(s, i, v6only) && (i == 0 || s->udp_single_port);
	if (!s->udp_single_port)
		pr_warn("single-port UDP unavailable (connected-socket routing self-test failed): "
			"UDP tests use one port per stream");
	return 0;
}

/*
 * Datagrams on the shared UDP port: hellos of single-port streams, 24 bytes or
 * (udp_auth_v1) 40 with a tag; the token in the first 24 picks the test, whose
 * ports check the length and the tag (server_ports.c); and QUIC, the first
 * byte's 0x80 (reference §2.5: server_quic.c).
 */
static void on_udp(struct loop_item *it, uint32_t events)
{
	struct srv *s = it->ctx;
	unsigned char buf[2048], token[XFR_TOKEN_LEN];
	struct net_addr peer;
	struct srv_test *t;
	uint16_t idx;
	ssize_t n;
	char who[64];
	int ctl;

	(void)events;
	for (int budget = 256; budget > 0; budget--) {
		peer.len = sizeof(peer.ss);
		n = recvfrom(it->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&peer.ss, &peer.len);
		if (n < 0)
			return;
		if (n <= (ssize_t)sizeof(buf) &&
		    srv_quic_datagram(s, it->fd, &peer, buf, (size_t)n, &ctl)) {
			if (ctl >= 0) /* its first line (hello) comes over stream 0 */
				accept_one(s, ctl, &peer);
			continue;
		}
		if ((n != XFR_HELLO_LEN && n != AUTH_UDP_HELLO_LEN) ||
		    !wire_hello_get(buf, XFR_HELLO_LEN, XFR_HELLO_KIND_HELLO, &idx, token)) {
			pr_debug("%s: stray UDP datagram (%zd bytes) dropped",
				 net_addr_str(&peer, who, sizeof(who)), n);
			continue;
		}
		t = gate_allows(s, &peer) ? srv_test_by_token(s, token) : NULL;
		if (!t || !net_same_host(&peer, &t->peer)) {
			pr_debug("%s: UDP hello with an unknown token dropped",
				 net_addr_str(&peer, who, sizeof(who)));
			continue;
		}
		ports_udp_hello(&t->ports, buf, (size_t)n, idx, &peer, it->fd);
	}
}

static void on_listen(struct loop_item *it, uint32_t events);

static int open_listener(struct srv *s, const struct net_addr *a, bool v6only)
{
	char buf[80];
	/* MPTCP where the kernel has it (plain TCP clients still get plain TCP), else TCP. */
	int fd = net_listen(a, v6only, true, 1024), err;

	if (fd == -EPROTONOSUPPORT || fd == -EINVAL || fd == -ENOPROTOOPT)
		fd = net_listen(a, v6only, false, 1024);
	if (fd < 0) {
		pr_err("cannot listen on %s: %s", net_addr_str(a, buf, sizeof(buf)), strerror(-fd));
		return fd;
	}
	err = loop_add(&s->loop, &s->lfd_it[s->nlfd], fd, EPOLLIN, on_listen, s);
	if (err) {
		close(fd);
		return err;
	}
	s->nlfd++;
	err = open_udp(s, s->nlfd - 1, a, v6only);
	if (err)
		return err;
	pr_info("xfr %s listening on %s (protocol %s)", XFR_VERSION,
		net_addr_str(a, buf, sizeof(buf)), PROTO_VERSION);
	return 0;
}

static int open_listeners(struct srv *s)
{
	const struct xfr_config *cfg = s->cfg;
	struct net_addr a = {0};
	uint16_t port;
	int err;

	if (cfg->bind[0]) {
		if (net_parse_bind(cfg->bind, &a, &port))
			return -EINVAL;
		net_set_port(&a, cfg->port);
		return open_listener(s, &a, net_family(&a) == AF_INET6);
	}
	if (cfg->family == XFR_AF_INET) {
		net_parse_bind("0.0.0.0", &a, &port);
		net_set_port(&a, cfg->port);
		return open_listener(s, &a, false);
	}
	net_parse_bind("::", &a, &port);
	net_set_port(&a, cfg->port);
	err = open_listener(s, &a, cfg->family == XFR_AF_INET6);
	if (err && cfg->family == XFR_AF_ANY && (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL)) {
		pr_warn("IPv6 unavailable: listening on IPv4 only");
		net_parse_bind("0.0.0.0", &a, &port);
		net_set_port(&a, cfg->port);
		return open_listener(s, &a, false);
	}
	return err;
}

static void pending_reap(struct loop_defer *d)
{
	struct pending *p = (struct pending *)((char *)d - offsetof(struct pending, defer));

	free(p->line);
	free(p);
}

/* Forget p (closing its fd unless the caller took it); its memory goes after the batch. */
static void pending_free(struct srv *s, struct pending *p, bool close_fd)
{
	struct pending **pp;

	for (pp = &s->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (close_fd)
		loop_close(&s->loop, &p->item);
	else
		loop_del(&s->loop, &p->item);
	s->npending--;
	admit_connection_done(s, p->ip);
	p->ip = NULL;
	p->defer.fn = pending_reap;
	loop_defer(&s->loop, &p->defer);
}

static void control_keepalive(int fd)
{
	int one = 1, idle = 5, intvl = 1, cnt = 3, user_to = 10000;

	/* A client that vanishes (no FIN/RST) is noticed in ~10 s, whatever it asked for. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_to, sizeof(user_to));
}

static void route_hello(struct srv *s, struct pending *p, struct proto_msg *m, const char *who,
			const char *line, size_t len)
{
	int fd = p->item.fd;
	char msg[160];

	if (!proto_version_compatible(m->hello.version)) {
		char v[40];

		report_sanitize(v, sizeof(v), m->hello.version);
		snprintf(msg, sizeof(msg), "incompatible protocol version: %s (server %s)", v,
			 PROTO_VERSION);
		goto reject;
	}
	if (admit_hello(s, p->ip, msg, sizeof(msg)))
		goto reject;
	struct net_addr peer = p->peer;

	pending_free(s, p, false);
	control_keepalive(fd);
	if (!srv_test_new(s, fd, &peer, &m->hello, line, len)) {
		gate_error_line(fd, "server error: out of memory");
		close(fd);
	}
	return;
reject:
	pr_warn("%s: %s", who, msg);
	sinks_emit(&s->sinks, &(struct xfr_event){.type = XFR_EV_NOTICE,
						  .role = XFR_ROLE_SERVER,
						  .notice = XFR_NOTICE_REFUSED,
						  .text = msg,
						  .peer = who});
	gate_error_line(fd, msg);
	pending_free(s, p, true);
}

static void route_data(struct srv *s, struct pending *p, struct proto_msg *m, const char *who)
{
	struct srv_test *t = srv_test_find(s, m->data_hello.test_id);
	int fd = p->item.fd;
	struct net_addr peer = p->peer;

	if (!t || t->state != TS_STREAMS || !net_same_host(&peer, &t->peer)) {
		pr_debug("%s: data connection for %s test dropped", who,
			 t ? "another's" : "an unknown");
		pending_free(s, p, true);
		return;
	}
	pending_free(s, p, false);
	ports_data_conn(&t->ports, fd, m->data_hello.stream_index);
	admit_expect(t); /* one fewer to come (or the test is gone) */
}

static void classify(struct srv *s, struct pending *p, const char *line, size_t len)
{
	struct proto_msg *m = malloc(sizeof(*m));
	char who[64], err[PROTO_TEXT_MAX];

	net_addr_str(&p->peer, who, sizeof(who));
	if (!m) {
		pending_free(s, p, true);
		return;
	}
	if (proto_decode(line, len, m, err, sizeof(err))) {
		pr_warn("%s: %s", who, err);
		gate_error_line(p->item.fd, err);
		pending_free(s, p, true);
	} else if (m->type == MSG_HELLO) {
		route_hello(s, p, m, who, line, len);
	} else if (m->type == MSG_DATA_HELLO) {
		route_data(s, p, m, who);
	} else {
		snprintf(err, sizeof(err), "unexpected message %s in state new",
			 proto_type_name(m->type));
		pr_warn("%s: %s", who, err);
		gate_error_line(p->item.fd, err);
		pending_free(s, p, true);
	}
	proto_msg_free(m);
	free(m);
}

/* Room for n more bytes of the line (the line cap bounds it). */
static int pending_grow(struct pending *p, uint32_t n)
{
	uint32_t cap = p->cap ? p->cap : 1024;
	char *line;

	while (cap < p->len + n)
		cap *= 2;
	if (cap == p->cap)
		return 0;
	line = realloc(p->line, cap);
	if (!line)
		return -ENOMEM;
	p->line = line;
	p->cap = cap;
	return 0;
}

/* The line is complete in buf (n bytes with its '\n'): classify it. */
static void pending_line(struct srv *s, struct pending *p, char *buf, size_t n)
{
	n--;
	if (n && buf[n - 1] == '\r')
		n--;
	classify(s, p, buf, n);
}

static void too_long(struct srv *s, struct pending *p)
{
	char who[64];

	pr_warn("%s: control line too long (limit %d bytes)",
		net_addr_str(&p->peer, who, sizeof(who)), PROTO_MAX_LINE);
	gate_error_line(p->item.fd, "control line too long");
	pending_free(s, p, true);
}

/*
 * The first line is peeked and only consumed up to its '\n', so data that a
 * client sends right after its data_hello stays in the socket for the engine.
 * What comes before the '\n' is taken into p->line as it arrives: each byte is
 * peeked and scanned once, however the line is cut into segments.
 * Edge-triggered: a partial line waits for the next arrival, not a busy loop.
 */
static void pending_read(struct loop_item *it, uint32_t events)
{
	struct pending *p = it->ctx;
	struct srv *s = p->srv;
	size_t take;
	ssize_t n;
	char who[64], *nl;

	(void)events;
	for (;;) {
		n = recv(it->fd, s->peek_buf, sizeof(s->peek_buf) - p->len,
			 MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		nl = memchr(s->peek_buf, '\n', (size_t)n);
		take = nl ? (size_t)(nl - s->peek_buf) + 1 : (size_t)n;
		if (!p->len && nl) { /* the usual case: the whole line at once */
			if (recv(it->fd, s->peek_buf, take, MSG_DONTWAIT) != (ssize_t)take)
				break;
			pending_line(s, p, s->peek_buf, take);
			return;
		}
		if (pending_grow(p, (uint32_t)take) ||
		    recv(it->fd, p->line + p->len, take, MSG_DONTWAIT) != (ssize_t)take)
			break;
		p->len += (uint32_t)take;
		if (nl) {
			pending_line(s, p, p->line, p->len);
			return;
		}
		if (p->len >= sizeof(s->peek_buf)) {
			too_long(s, p);
			return;
		}
	}
	pr_debug("%s: closed before its first line", net_addr_str(&p->peer, who, sizeof(who)));
	pending_free(s, p, true);
}

/*
 * A connection refused at accept hears why before the close. Under a flood
 * the log gets one line a second, with the count of the others.
 */
static void refuse(struct srv *s, int cfd, const struct net_addr *peer, const char *why)
{
	uint64_t now = time_mono_ns();
	char who[64];

	gate_drop(s, cfd, peer, why, who, sizeof(who));
	if (s->refuse_log_ns && now - s->refuse_log_ns < NSEC_PER_SEC) {
		s->refuse_quiet++;
		return;
	}
	if (s->refuse_quiet)
		pr_warn("%s: %s (and %u more refused in the last second)", who, why,
			s->refuse_quiet);
	else
		pr_warn("%s: %s", who, why);
	s->refuse_log_ns = now;
	s->refuse_quiet = 0;
}

static void accept_one(struct srv *s, int cfd, const struct net_addr *peer)
{
	struct policy_ip *ip;
	struct pending *p;
	char why[PROTO_TEXT_MAX];

	if (gate_refuses(s, cfd, peer))
		return;
	if (admit_connection(s, peer, &ip, why, sizeof(why))) {
		refuse(s, cfd, peer, why);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		admit_connection_done(s, ip);
		refuse(s, cfd, peer, "server error: out of memory");
		return;
	}
	p->srv = s;
	p->ip = ip;
	p->peer = *peer;
	p->deadline_ns = time_mono_ns() + SRV_FIRST_LINE_MS * NSEC_PER_MSEC;
	p->next = s->pending;
	s->pending = p;
	s->npending++;
	if (loop_add(&s->loop, &p->item, cfd, EPOLLIN | EPOLLET | EPOLLRDHUP, pending_read, p)) {
		close(cfd);
		p->item.fd = -1;
		pending_free(s, p, false);
	} else {
		pending_read(&p->item, EPOLLIN); /* data may already be there */
	}
}

static void pause_accept(struct srv *s, int err)
{
	uint64_t now = time_mono_ns();

	if (now - s->last_emfile_log >= NSEC_PER_SEC) {
		pr_warn("accept: %s: pausing new connections briefly", strerror(err));
		s->last_emfile_log = now;
	}
	s->accept_paused_until = now + 100 * NSEC_PER_MSEC;
	for (int i = 0; i < s->nlfd; i++)
		loop_mod(&s->loop, &s->lfd_it[i], 0);
}

static void on_listen(struct loop_item *it, uint32_t events)
{
	struct srv *s = it->ctx;
	struct net_addr peer;
	int cfd;

	(void)events;
	for (;;) {
		peer.len = sizeof(peer.ss);
		cfd = accept4(it->fd, (struct sockaddr *)&peer.ss, &peer.len,
			      SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			accept_one(s, cfd, &peer);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			pause_accept(s, errno);
		else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			pr_warn("accept: %s", strerror(errno));
		if (errno != EINTR && errno != ECONNABORTED)
			return;
	}
}

static void on_tick(struct loop_item *it, uint32_t events)
{
	struct srv *s = it->ctx;
	uint64_t now = time_mono_ns();
	struct pending *p, *next;
	struct srv_test *t, *tn;
	char who[64];

	(void)events;
	timerfd_take(it->fd);
	if (s->accept_paused_until && now >= s->accept_paused_until) {
		s->accept_paused_until = 0;
		for (int i = 0; i < s->nlfd; i++)
			loop_mod(&s->loop, &s->lfd_it[i], EPOLLIN);
	}
	for (p = s->pending; p; p = next) {
		next = p->next;
		if (now < p->deadline_ns)
			continue;
		pr_warn("%s: timeout waiting for the first line (%d s)",
			net_addr_str(&p->peer, who, sizeof(who)), SRV_FIRST_LINE_MS / 1000);
		gate_error_line(p->item.fd, "timeout waiting for the first message");
		pending_free(s, p, true);
	}
	for (t = s->tests; t; t = tn) {
		tn = t->next;
		srv_test_tick(t, now);
	}
	srv_quic_reap(s, false);
}

static void on_signal(struct loop_item *it, uint32_t events)
{
	struct srv *s = it->ctx;
	struct signalfd_siginfo si;

	(void)events;
	if (read(it->fd, &si, sizeof(si)) == sizeof(si))
		pr_info("signal %d: shutting down", (int)si.ssi_signo);
	s->stop = true;
}

static int add_fd(struct srv *s, struct loop_item *it, int fd, loop_cb cb)
{
	int err = fd < 0 ? fd : loop_add(&s->loop, it, fd, EPOLLIN, cb, s);

	if (err && fd >= 0)
		close(fd);
	if (err)
		it->fd = -1;
	return err;
}

/* mDNS is a convenience: the server runs without it, and says why. */
static void mdns_start(struct srv *s)
{
	char why[200];

	if (s->cfg->no_mdns)
		return;
	s->mdns = mdns_announce_start(s->cfg->port, XFR_VERSION, why, sizeof(why));
	if (!s->mdns)
		pr_warn("%s; not announced on mDNS (--no-mdns to skip)", why);
}

/*
 * QUIC rides on single-port UDP: its certificate, kept in the config
 * directory (or --quic-cert/--quic-key), and its fingerprint for the clients'
 * --quic-verify. Without a certificate the server serves TCP and UDP and
 * says why QUIC is off.
 */
static void quic_setup(struct srv *s)
{
	const struct xfr_config *cfg = s->cfg;
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char dir[1024], fpr[QUIC_FPR_LEN], why[1200];

	if (!s->udp_single_port) {
		pr_warn("QUIC off: it runs on single-port UDP, which this host failed");
		return;
	}
	if (xdg && *xdg)
		snprintf(dir, sizeof(dir), "%s/xfr", xdg);
	else
		snprintf(dir, sizeof(dir), "%s/.config/xfr", home && *home ? home : ".");
	if (quic_tls_server_load(dir, cfg->quic_cert[0] ? cfg->quic_cert : NULL, cfg->quic_key, fpr,
				 why, sizeof(why))) {
		pr_warn("QUIC off: %s", why);
		return;
	}
	pr_info("QUIC certificate SHA-256 %s (clients: -Q --quic-verify %s)", fpr, fpr);
}

static int setup(struct srv *s)
{
	struct xfr_sink *log = output_log_sink_new(), *tests = srvlog_sink_new(s->cfg);
	int err = loop_init(&s->loop);

	if (!log || sinks_add(&s->sinks, log)) { /* notices */
		if (tests)
			tests->ops->free(tests);
		return -ENOMEM;
	}
	if (!tests || sinks_add(&s->sinks, tests)) /* start and end lines */
		return -ENOMEM;
	if (!err)
		err = admit_init(s);
	if (!err)
		err = gate_init(s);
	if (!err)
		err = add_fd(s, &s->sig_it, signalfd_open(), on_signal);
	if (!err)
		err = add_fd(s, &s->tick_it, timerfd_open(), on_tick);
	if (!err)
		err = timerfd_arm_ms(s->tick_it.fd, TICK_MS, TICK_MS);
	err = err ? err : open_listeners(s);
	if (!err)
		quic_setup(s);
	err = err ? err : metrics_sink_add(&s->sinks, s->cfg, XFR_ROLE_SERVER);
	if (!err)
		mdns_start(s);
	return err ? err : srv_dash_open(s);
}

static void teardown(struct srv *s)
{
	while (s->tests)
		srv_test_abort(s->tests, "server shutting down");
	while (s->pending)
		pending_free(s, s->pending, true);
	srv_quic_reap(s, true);
	for (int i = 0; i < 2; i++) {
		loop_close(&s->loop, &s->lfd_it[i]);
		loop_close(&s->loop, &s->ufd_it[i]);
	}
	loop_close(&s->loop, &s->tick_it);
	loop_close(&s->loop, &s->sig_it);
	loop_fini(&s->loop); /* frees what was deferred */
	admit_fini(s);
	gate_fini(s);
	mdns_announce_stop(s->mdns);
	s->mdns = NULL;
	sinks_flush(&s->sinks);
	sinks_free(&s->sinks);
	srv_dash_close(s);
}

int server_run(const struct xfr_config *cfg)
{
	struct srv *s = calloc(1, sizeof(*s));
	int n, err;

	if (!s) {
		pr_err("cannot start: %s", strerror(ENOMEM));
		return 1;
	}
	s->cfg = cfg;
	/* A log kept by a service manager or a file needs the time; a terminal's reader has it. */
	log_set_timestamps(cfg->log_ts == XFR_LOG_TS_ON ||
			   (cfg->log_ts == XFR_LOG_TS_AUTO && !isatty(STDERR_FILENO)));
	s->loop.epfd = -1;
	s->sig_it = s->tick_it = (struct loop_item){.fd = -1};
	for (int i = 0; i < 2; i++)
		s->lfd_it[i] = s->ufd_it[i] = (struct loop_item){.fd = -1};
	signal(SIGPIPE, SIG_IGN);
	err = setup(s);
	while (!err && !s->stop) {
		n = loop_run_once(&s->loop, -1);
		if (n < 0) {
			err = n;
			pr_err("epoll_wait: %s", strerror(-n));
		}
		if (cfg->one_off && s->completed && !s->tests)
			s->stop = true;
	}
	teardown(s);
	free(s);
	return err ? 1 : 0;
}

/*
 * For tests/fuzz/fuzz_server.c: a server set up by hand (loop, no listeners,
 * no signalfd) takes connections it did not accept itself, through the same
 * first-line path, and is torn down like server_run's.
 */
void srv_accept(struct srv *s, int fd, const struct net_addr *peer)
{
	accept_one(s, fd, peer);
}

void srv_teardown(struct srv *s)
{
	teardown(s);
}
