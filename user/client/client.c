// SPDX-License-Identifier: MIT
/*
 * xfr HOST, set-up half: resolve, connect the control connection, hello,
 * test_start / test_ack, then the data streams (client_streams.c), the run
 * (client_loop.c) and the summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"
#include "client/client_priv.h"
#include "base/log.h"
#include "control/auth.h"
#include "control/foreign.h"
#include "control/report.h"
#include "metrics/sink.h"
#include "output/output.h"
#include "timeutil.h"
#include "wire.h"

/*
 * A name that does not resolve in the family -4/-6 or --bind asked for, but
 * does in the other, is not an "unknown host": say which family is missing.
 */
static void resolve_error(struct clnt *c, int err)
{
	const struct xfr_config *cfg = c->cfg;
	const char *fam = cfg->family == XFR_AF_INET ? "IPv4" : "IPv6";
	struct net_addr any;

	if (err != -EHOSTUNREACH) {
		clnt_error(c, "cannot resolve %s: %s", cfg->host, strerror(-err));
		return;
	}
	if (cfg->family == XFR_AF_ANY || net_resolve(cfg->host, cfg->port, XFR_AF_ANY, &any)) {
		clnt_error(c, "cannot resolve %s: unknown host", cfg->host);
		return;
	}
	if (cfg->bind[0])
		clnt_error(c, "%s has no %s address, and --bind %s is %s", cfg->host, fam,
			   cfg->bind, fam);
	else
		clnt_error(c, "%s has no %s address but %s was given", cfg->host, fam,
			   cfg->family == XFR_AF_INET ? "-4" : "-6");
}

static int clnt_connect(struct clnt *c)
{
	const struct xfr_config *cfg = c->cfg;
	struct net_addr src;
	uint16_t bport;
	int fd, hb, one = 1;
	char addr[80];

	fd = net_resolve(cfg->host, cfg->port, cfg->family, &c->server);
	if (fd) {
		resolve_error(c, fd);
		return fd;
	}
	hb = clnt_bind_addr(c, &src, &bport);
	if (hb > 0 && net_family(&src) != net_family(&c->server)) {
		clnt_error(c, "--bind %s: address family differs from %s", cfg->bind, cfg->host);
		return -EINVAL;
	}
	if (hb > 0)
		net_set_port(&src, 0); /* the control connection always uses an ephemeral port */
	if (cfg->proto == XFR_PROTO_QUIC)
		return clnt_quic_connect(c, hb > 0 ? &src : NULL);
	fd = net_connect(&c->server, hb > 0 ? &src : NULL, false, NULL, cfg->connect_timeout_ms,
			 c->sigfd);
	if (fd < 0) {
		clnt_error(c, "cannot connect to %s: %s",
			   net_addr_str(&c->server, addr, sizeof(addr)), clnt_conn_error(fd));
		return fd;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	net_set_nonblock(fd, true);
	return ctrl_init(&c->ctrl, fd);
}

/* Wait for one message of type want; an error message or anything else fails. */
static int expect(struct clnt *c, struct proto_msg *m, enum proto_type want)
{
	char err[PROTO_TEXT_MAX];
	int rc = ctrl_recv_wait(&c->ctrl, m, CLNT_HANDSHAKE_MS, c->sigfd, err, sizeof(err));

	if (rc == -EINTR) {
		c->signals++;
		clnt_error(c, "interrupted");
		return rc;
	}
	if (rc) {
		clnt_error(c, "server: %s", err);
		return rc;
	}
	return clnt_expect_type(c, m, want);
}

/*
 * The server's hello, within CLNT_HELLO_MS: an xfr server answers at once, so
 * silence, a closed connection or bytes that cannot start a message mean the
 * port runs something else (iperf3 listens on 5201 almost everywhere).
 */
static int expect_hello(struct clnt *c, struct proto_msg *m)
{
	char err[PROTO_TEXT_MAX], what[200], addr[80];
	const char *buf;
	size_t len;
	int rc = ctrl_recv_wait(&c->ctrl, m, CLNT_HELLO_MS, c->sigfd, err, sizeof(err));

	if (rc == 0)
		return clnt_expect_type(c, m, MSG_HELLO);
	if (rc == -EINTR) {
		c->signals++;
		clnt_error(c, "interrupted");
		return rc;
	}
	net_addr_str(&c->server, addr, sizeof(addr));
	buf = ctrl_peek(&c->ctrl, &len);
	if (rc == -EBADMSG || (len && foreign_bytes(buf, len))) {
		foreign_describe(buf, len, what, sizeof(what));
		clnt_error(c, "%s is not an xfr server (%s)", addr, what);
		return -EPROTO;
	}
	if (rc == -ETIMEDOUT)
		clnt_error(
			c,
			"%s accepted the connection but sent no hello in %d s: not an xfr server (iperf3?), or one too busy to answer",
			addr, CLNT_HELLO_MS / 1000);
	else if (rc == -ECONNRESET)
		clnt_error(
			c,
			"%s closed the connection before its hello: not an xfr server, or one that refused us (see its log)",
			addr);
	else
		clnt_error(c, "server: %s", err);
	return rc;
}

static int send_hello(struct clnt *c)
{
	return clnt_auth_send_hello(c); /* with a client_nonce when there is a PSK */
}

/* What the server must support for what we ask. */
static int check_server(struct clnt *c, const struct proto_hello *h)
{
	const struct xfr_config *cfg = c->cfg;

	report_sanitize(c->res->server_version, 33, h->software[0] ? h->software : "unknown");
	if (!proto_version_compatible(h->version)) {
		char v[40];

		report_sanitize(v, sizeof(v), h->version);
		clnt_error(c, "incompatible protocol version: server %s, client %s", v,
			   PROTO_VERSION);
		return -EPROTO;
	}
	c->server_caps = h->caps;
	if (cfg->proto == XFR_PROTO_QUIC && !(h->caps & CAP_QUIC)) {
		clnt_error(c, "-Q: the server (%s) does not offer QUIC (see its log for why)",
			   c->res->server_version);
		return -EPROTO;
	}
	if (cfg->proto == XFR_PROTO_QUIC && !cfg->quic_verify[0] && !cfg->quic_ca[0])
		pr_warn("-Q: the server is not authenticated; --quic-verify SHA256 (its start-up "
			"line shows it) pins its certificate");
	if (cfg->proto == XFR_PROTO_UDP && !(h->caps & CAP_UDP)) {
		clnt_error(c, "-u: the server (%s) does not support UDP", c->res->server_version);
		return -EPROTO;
	}
	if (cfg->probe_mtu && !(h->caps & CAP_MTU_PROBE_V1)) {
		clnt_error(c, "--probe-mtu: the server (%s) does not support it",
			   c->res->server_version);
		return -EPROTO;
	}
	if (cfg->bytes && !(h->caps & CAP_BYTE_BUDGET_V1)) {
		clnt_error(c, "-n: the server (%s) does not support byte budgets",
			   c->res->server_version);
		return -EPROTO;
	}
	if (cfg->get_server_output && !(h->caps & CAP_SERVER_OUTPUT_V1))
		pr_warn("--get-server-output: the server (%s) does not support it",
			c->res->server_version);
	if (cfg->engine != XFR_ENGINE_SOCKET && !(h->caps & CAP_XDP_V1)) {
		if (cfg->engine != XFR_ENGINE_AUTO) {
			clnt_error(c,
				   "--engine %s: the server (%s) has no kernel data plane (no "
				   "xdp_v1)",
				   xfr_engine_req_name(cfg->engine), c->res->server_version);
			return -EPROTO;
		}
		snprintf(c->res->server_engine_note, sizeof(c->res->server_engine_note),
			 "engine socket: the server has no kernel data plane (no xdp_v1)");
	}
	if (cfg->drop_reasons && !(h->caps & CAP_XDP_V1))
		pr_warn("--drop-reasons: the server (%s) cannot report its drops; only this "
			"host's are shown",
			c->res->server_version);
	c->interval_ms = cfg->interval_ms ? cfg->interval_ms : 1000;
	if (!(h->caps & CAP_INTERVAL_MS_V1) && c->interval_ms != 1000) {
		pr_warn("-i: the server (%s) reports every 1 s; using 1 s", c->res->server_version);
		c->interval_ms = 1000;
	}
	return 0;
}

static void fill_start(struct clnt *c, struct proto_test_start *r)
{
	const struct xfr_config *cfg = c->cfg;
	char id[37];

	proto_uuid(id);
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->proto = cfg->proto;
	r->streams = cfg->streams;
	r->duration_secs = cfg->duration_s;
	r->dir = cfg->dir;
	r->has_bitrate = cfg->bitrate_set;
	r->bitrate = cfg->bitrate;
	snprintf(r->congestion, sizeof(r->congestion), "%s",
		 cfg->proto == XFR_PROTO_QUIC ? cfg->quic_cc : cfg->congestion);
	r->mptcp = cfg->mptcp;
	r->dscp = cfg->tos;
	r->has_window = cfg->window > 0;
	r->window = cfg->window;
	r->zerocopy = cfg->zerocopy != XFR_ZC_OFF;
	r->tcp_nodelay = cfg->nodelay;
	r->mtu_probe = cfg->probe_mtu;
	r->udp_no_offload = cfg->no_offload;
	r->has_byte_budget = cfg->bytes > 0;
	r->byte_budget = cfg->bytes;
	if (c->server_caps & CAP_INTERVAL_MS_V1)
		r->interval_ms = c->interval_ms;
	r->server_output = cfg->get_server_output && (c->server_caps & CAP_SERVER_OUTPUT_V1);
	r->length = cfg->length;
	if (c->server_caps & CAP_XDP_V1) {
		snprintf(r->engine, sizeof(r->engine), "%s",
			 cfg->engine == XFR_ENGINE_SOCKET ? "" : xfr_engine_req_name(cfg->engine));
		snprintf(r->xdp_mode, sizeof(r->xdp_mode), "%s", xfr_xdp_mode_name(cfg->xdp_mode));
		r->drop_reasons = cfg->drop_reasons;
		snprintf(r->client_engine, sizeof(r->client_engine), "%s",
			 xfr_engine_name(c->dp.engine));
	}
}

/* This side's engine, decided before the test starts so a refusal costs nothing. */
static int decide_engine(struct clnt *c)
{
	const struct xfr_config *cfg = c->cfg;
	struct xfr_result *r = c->res;
	int err;

	err = dataplane_decide(cfg->engine, cfg->xdp_mode, cfg->proto, cfg->iface, cfg->queues,
			       cfg->drop_reasons, (const struct sockaddr *)&c->server.ss, &c->dp);
	if (err) {
		clnt_error(c, "%s", c->dp.note);
		return err;
	}
	r->engine = c->dp.engine;
	snprintf(r->engine_note, sizeof(r->engine_note), "%s", c->dp.note);
	return 0;
}

/*
 * Auto and we send: live frames only toward a server that receives in the
 * kernel (its engine is in the ack; "" from a server without one = sockets).
 */
static void fit_server(struct clnt *c)
{
	if (c->cfg->engine != XFR_ENGINE_AUTO || c->cfg->dir == XFR_DIR_DOWNLOAD ||
	    !dataplane_fit_peer(&c->dp, c->ack.engine, true))
		return;
	c->res->engine = c->dp.engine;
	snprintf(c->res->engine_note, sizeof(c->res->engine_note), "%s", c->dp.note);
}

/*
 * UDP: which senders' GSO batches cross whole (for the summary's Frames
 * line): ours from the route to the server, the server's from its ack.
 */
static void gso_links(struct clnt *c)
{
	struct xfr_result *r = c->res;
	char ifname[16];

	if (c->cfg->proto != XFR_PROTO_UDP)
		return;
	if (c->cfg->dir != XFR_DIR_DOWNLOAD && !c->cfg->no_offload &&
	    c->dp.engine == XFR_ENG_SOCKET &&
	    dataplane_gso_whole((const struct sockaddr *)&c->server.ss, ifname))
		snprintf(r->gso_iface[XFR_FLOW_UP], sizeof(r->gso_iface[0]), "%s", ifname);
	report_sanitize(r->gso_iface[XFR_FLOW_DOWN], sizeof(r->gso_iface[0]), c->ack.gso_iface);
}

/* One line on stderr: which engine each end runs, and why when not plain sockets. */
static void say_engines(struct clnt *c)
{
	struct xfr_result *r = c->res;

	if (c->ack.engine[0]) {
		report_sanitize(r->server_engine, sizeof(r->server_engine), c->ack.engine);
		if (c->ack.engine_note[0])
			report_sanitize(r->server_engine_note, sizeof(r->server_engine_note),
					c->ack.engine_note);
	} else if (!r->server_engine[0]) {
		snprintf(r->server_engine, sizeof(r->server_engine), "socket");
	}
	if (c->cfg->engine == XFR_ENGINE_SOCKET && !c->cfg->drop_reasons)
		return;
	sinks_notice(&c->sinks, XFR_ROLE_CLIENT, r, XFR_NOTICE_ENGINE, "client: %s; server: %s",
		     r->engine_note[0] ? r->engine_note : xfr_engine_name(r->engine),
		     r->server_engine_note[0] ? r->server_engine_note : r->server_engine);
}

/*
 * The server's caps on this test (ack extension fields): said on stderr as
 * soon as the ack is in, and kept with the result as a note.
 */
static void say_limits(struct clnt *c)
{
	const struct proto_test_ack *a = &c->ack;
	struct xfr_result *r = c->res;
	char text[160], *note;
	uint32_t want = c->req.duration_secs, got = a->duration_secs;

	if (!a->limit_note[0] || r->nnotes == XFR_MAX_NOTES)
		return;
	report_sanitize(text, sizeof(text), a->limit_note);
	note = r->notes[r->nnotes++];
	if (got && want && got < want)
		snprintf(note, sizeof(r->notes[0]), "%s; this test runs %u s, not %u s", text, got,
			 want);
	else if (got && c->req.has_byte_budget)
		snprintf(note, sizeof(r->notes[0]),
			 "%s; this test stops after %u s, budget moved or not", text, got);
	else if (got)
		snprintf(note, sizeof(r->notes[0]), "%s; this test runs %u s, not until stopped",
			 text, got);
	else
		snprintf(note, sizeof(r->notes[0]), "%s", text);
	if (got)
		r->duration_granted_s = got;
	pr_warn("%s", note);
}

static int clnt_handshake(struct clnt *c)
{
	struct proto_msg *m = malloc(sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	err = send_hello(c);
	if (err) {
		clnt_error(c, "cannot send hello: %s", strerror(-err));
		goto out;
	}
	err = expect_hello(c, m);
	if (err)
		goto out;
	err = check_server(c, &m->hello);
	if (!err) {
		const char *raw;
		size_t rawlen;

		raw = ctrl_last_line(&c->ctrl, &rawlen);
		err = clnt_auth(c, &m->hello, raw, rawlen);
	}
	proto_msg_free(m);
	if (!err)
		err = decide_engine(c);
	if (err)
		goto out;
	proto_msg_init(m, MSG_TEST_START);
	fill_start(c, &m->start);
	c->req = m->start;
	snprintf(c->res->id, sizeof(c->res->id), "%s", c->req.id);
	err = ctrl_send(&c->ctrl, m);
	proto_msg_free(m);
	if (!err)
		err = expect(c, m, MSG_TEST_ACK);
	if (err)
		goto out;
	c->ack = m->ack;
	c->ack_ns = time_mono_ns();
	proto_msg_free(m);
	fit_server(c);
	gso_links(c);
	say_engines(c);
	say_limits(c);
	if (c->req.proto == XFR_PROTO_QUIC && (c->ack.udp_token[0] || c->ack.nports)) {
		clnt_error(c, "-Q: the server wants the data outside the QUIC connection (a UDP "
			      "token or data ports in test_ack)");
		err = -EPROTO;
	} else if (!clnt_single_port(c) && c->ack.nports != c->req.streams) {
		clnt_error(c, "server sent %u data ports for %u streams", c->ack.nports,
			   c->req.streams);
		err = -EPROTO;
	}
out:
	clnt_auth_free(c);
	free(m);
	return err;
}

static void fill_identity(struct clnt *c)
{
	const struct xfr_config *cfg = c->cfg;
	struct xfr_result *r = c->res;

	snprintf(r->client_version, sizeof(r->client_version), "xfr/%s", XFR_VERSION);
	snprintf(r->host, sizeof(r->host), "%s", cfg->host);
	r->engine = XFR_ENG_SOCKET;
	snprintf(r->server_engine, sizeof(r->server_engine), "socket");
	r->port = cfg->port;
	r->proto = cfg->proto;
	r->dir = cfg->dir;
	r->streams = cfg->streams;
	r->duration_req_s = cfg->duration_s;
	r->bytes_req = cfg->bytes;
	r->bitrate_req = cfg->bitrate;
	r->length = cfg->length ? cfg->length : xfr_default_length(cfg->proto);
}

/* The sinks of this test: the printer on stdout, -o FILE, the log. */
static int add_sinks(struct clnt *c)
{
	const struct xfr_config *cfg = c->cfg;
	struct output_opts oo = {.quiet = cfg->quiet,
				 .rows = cfg->interval_ms != 0,
				 .ts_format = cfg->ts_format,
				 .per_stream = cfg->streams > 1};
	struct xfr_sink *s =
		c->tui ? tui_sink_new(c->tui) : output_sink_new(cfg->format, STDOUT_FILENO, &oo);

	if (!s || sinks_add(&c->sinks, s))
		return -ENOMEM;
	if (cfg->output_file[0] &&
	    (!(s = output_file_sink_new(cfg->output_file)) || sinks_add(&c->sinks, s)))
		return -ENOMEM;
	s = output_log_sink_new();
	if (!s || sinks_add(&c->sinks, s))
		return -ENOMEM;
	return metrics_sink_add(&c->sinks, cfg, XFR_ROLE_CLIENT); /* --push-gateway */
}

static int run(struct clnt *c)
{
	int fds[XFR_MAX_STREAMS], err;

	for (uint32_t i = 0; i < XFR_MAX_STREAMS; i++)
		fds[i] = -1;
	err = clnt_connect(c);
	if (!err)
		err = clnt_handshake(c);
	if (!err)
		err = clnt_open_streams(c, fds);
	if (!err)
		return c->cfg->probe_mtu ? clnt_run_probe(c, fds) : clnt_run_test(c, fds);
	for (uint32_t i = 0; i < XFR_MAX_STREAMS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}

/* A test that could not run: the error to the sinks (JSON wants it on stdout). */
static void report_error(struct clnt *c)
{
	c->exit_code = c->signals ? 130 : 1;
	sinks_error(&c->sinks, XFR_ROLE_CLIENT, c->res, c->error);
	if (sinks_flush(&c->sinks))
		c->exit_code = 1;
}

static int start(struct clnt *c)
{
	int err;

	signal(SIGPIPE, SIG_IGN);
	c->res = malloc(sizeof(*c->res));
	if (!c->res || result_init(c->res, XFR_MAX_STREAMS))
		return -ENOMEM;
	/* Signals first: every thread made later (sinks, engines) inherits the block. */
	c->sigfd = signalfd_open();
	if (c->sigfd < 0)
		return c->sigfd;
	err = clnt_pause_signals(c);
	if (!err)
		err = loop_init(&c->loop);
	return err ? err : add_sinks(c);
}

static void finish(struct clnt *c)
{
	clnt_controls_detach(c);
	clnt_release(c); /* also when the test never ran (an engine prepared early) */
	sinks_free(&c->sinks);
	loop_fini(&c->loop);
	ctrl_close(&c->ctrl);
	clnt_quic_close(c); /* after the control channel's end: its last bytes go first */
	if (c->res)
		result_free(c->res);
	free(c->res);
	if (c->sigfd >= 0)
		close(c->sigfd);
	if (c->give_up_it.fd >= 0)
		close(c->give_up_it.fd);
	clnt_auth_free(c);
	explicit_bzero(c->udp_key, sizeof(c->udp_key)); /* udp_auth_v1's key */
	free(c);
}

/* -o FILE as opened before the test: kept open so its size can be read at the end. */
struct out_file {
	int fd;	      /* -1: no -o */
	bool created; /* this run made it */
};

/*
 * -o FILE is opened (created if missing) before anything is sent, as iperf3
 * does, so that a path that cannot be written costs no test. An existing file
 * is not truncated here: it keeps its content until a result replaces it.
 */
static int out_file_open(const struct xfr_config *cfg, struct out_file *of)
{
	const char *path = cfg->output_file;

	*of = (struct out_file){.fd = -1};
	if (!path[0])
		return 0;
	of->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	of->created = of->fd >= 0;
	if (of->fd < 0 && errno == EEXIST)
		of->fd = open(path, O_WRONLY | O_CLOEXEC);
	if (of->fd >= 0)
		return 0;
	pr_err("-o %s: %s: choose a file in a directory you can write to", path, strerror(errno));
	return -errno;
}

/* A file this run created and no result was written to is removed again. */
static void out_file_close(const struct xfr_config *cfg, struct out_file *of)
{
	struct stat st;

	if (of->fd < 0)
		return;
	if (of->created && !fstat(of->fd, &st) && st.st_size == 0)
		unlink(cfg->output_file);
	close(of->fd);
}

/*
 * The TUI is over: give the terminal back, then the summary on the normal
 * screen, plain or JSON (`j`), as the printers write it.
 */
static void tui_summary(struct clnt *c, struct tui **tui)
{
	struct output_opts oo = {.ts_format = c->cfg->ts_format, .per_stream = c->cfg->streams > 1};
	bool json = tui_json_summary(*tui), started = tui_test_started(*tui);
	struct output *o;

	tui_free(*tui);
	*tui = NULL;
	c->tui = NULL;
	if (!started || c->signals > 1 || (!c->res->nflows && !c->res->duration_s))
		return;
	if (json) {
		if (output_json_document(stdout, c->res) && !c->exit_code)
			c->exit_code = 1;
		return;
	}
	o = output_new(XFR_FMT_PLAIN, stdout, &oo);
	if (!o || o->ops->end(o, c->res))
		c->exit_code = c->exit_code ? c->exit_code : 1;
	output_free(o);
}

static int client_test(const struct xfr_config *cfg, struct tui **tui)
{
	struct clnt *c = calloc(1, sizeof(*c));
	int err, code;

	if (!c) {
		pr_err("cannot start: %s", strerror(ENOMEM));
		return 1;
	}
	c->cfg = cfg;
	c->sigfd = -1;
	c->ctrl.fd = -1;
	c->loop.epfd = -1;
	c->give_up_it.fd = -1;
	c->usr_fd = -1;
	c->tui = *tui;
	err = start(c);
	if (err) {
		pr_err("cannot start: %s", strerror(-err));
		finish(c);
		return 1;
	}
	fill_identity(c);
	err = run(c);
	if (err && !c->exit_code)
		report_error(c);
	clnt_controls_detach(c);
	if (*tui && tui_want(*tui) != TUI_WANT_RESTART)
		tui_summary(c, tui);
	code = c->exit_code;
	finish(c);
	return code;
}

/* The TUI on a terminal: tests run under it until the user leaves (r restarts). */
static int client_tui_run(const struct xfr_config *cfg)
{
	char why[200];
	struct tui *tui = tui_new(cfg, why, sizeof(why));
	int code;

	if (!tui) {
		pr_warn("no TUI: %s (--no-tui for plain output)", why);
		return client_test(cfg, &tui);
	}
	for (;;) {
		code = client_test(tui_config(tui), &tui);
		if (!tui)
			return code;
		tui_restart(tui);
	}
}

int client_run(const struct xfr_config *cfg)
{
	struct out_file of;
	int code;

	if (out_file_open(cfg, &of))
		return 2;
	code = tui_wanted(cfg) ? client_tui_run(cfg) : client_test(cfg, &(struct tui *){NULL});
	out_file_close(cfg, &of);
	return code;
}
