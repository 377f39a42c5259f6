// SPDX-License-Identifier: MIT
/*
 * xfr HOST, run half: the run core (dataplane/run.h) samples our streams and
 * pairs each interval with the server's message for the same period; this
 * file runs the loop until the server's result (or a fatal error, a second
 * Ctrl+C, the server's silence), then folds the server's result into our own
 * totals and hands the end to the sinks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/log.h"
#include "client/client_priv.h"
#include "control/mtuprobe.h"
#include "control/report.h"
#include "timeutil.h"

static void stop(struct clnt *c, int rc)
{
	if (!c->stop)
		c->stop = rc;
}

/* Give up waiting for the result at @ms from now (0 = never). */
static void give_up_in(struct clnt *c, uint64_t ms)
{
	if (c->give_up_it.added)
		timerfd_arm_ms(c->give_up_it.fd, ms, 0);
}

static void on_give_up(struct loop_item *it, uint32_t events)
{
	struct clnt *c = it->ctx;

	(void)events;
	if (!timerfd_take(it->fd))
		return;
	clnt_error(c, "no result from the server: giving up");
	stop(c, -ETIMEDOUT);
}

static void on_signal(struct loop_item *it, uint32_t events)
{
	struct clnt *c = it->ctx;
	struct signalfd_siginfo si;

	(void)events;
	if (read(it->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (c->got_result) { /* the result is in: Ctrl+C only cuts the drain short */
		c->drained = true;
		c->tui_quit = true; /* ... or leaves the TUI */
		return;
	}
	c->signals++;
	c->exit_code = si.ssi_signo == SIGTERM ? 143 : 130;
	c->res->interrupted = true;
	if (c->signals > 1) {
		stop(c, -EINTR);
		return;
	}
	if (c->tui)
		tui_cancelling(c->tui);
	pr_info("interrupted: asking the server for the result (Ctrl+C again to quit now)");
	clnt_send_simple(c, MSG_CANCEL, "User requested cancellation");
	if (clnt_peer_is_reference(c) && c->run) /* it stops counting now */
		clnt_senders_stop(c, c->run);
	give_up_in(c, CLNT_CANCEL_WAIT_MS);
}

/*
 * Only the streams this test has: a server that reports stream ids it was
 * never given would make every kept interval up to 256 flows long. The
 * entries are compacted in place; returns how many are ours.
 */
static uint32_t our_streams(struct proto_stream *s, uint32_t n, uint32_t streams)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		if (s[i].id < streams && k++ != i)
			s[k - 1] = s[i];
	return k;
}

/* The server's side of one interval, into the run's slot. */
static void fill_from_wire(void *arg, struct xfr_flow *flows, uint32_t *n)
{
	struct proto_interval *iv = ((void **)arg)[0];
	struct clnt *c = ((void **)arg)[1];
	uint32_t ns = our_streams(iv->streams, iv->nstreams, c->cfg->streams);

	report_from_wire(iv->streams, ns, c->cfg->dir, flows, n);
	report_interval_totals(iv, ns, c->cfg->dir, &c->progress, flows, n);
}

/* The server's whole test (its result), as its side of flows. */
static void fill_from_result(void *arg, struct xfr_flow *flows, uint32_t *n)
{
	struct clnt *c = arg;
	struct proto_result *pr = &c->result_msg->result;
	uint32_t ns = our_streams(pr->streams, pr->nstreams, c->cfg->streams);

	report_from_wire(pr->streams, ns, c->cfg->dir, flows, n);
	report_result_totals(pr, ns, c->cfg->dir, flows, n);
}

/* One message from the server: 1 = the test is over, 0 = go on, < 0 = error. */
static int on_msg(struct clnt *c, struct proto_msg *m)
{
	char text[PROTO_TEXT_MAX];
	void *arg[2] = {&m->interval, c};

	switch (m->type) {
	case MSG_INTERVAL:
		run_peer_interval(c->run, m->interval.elapsed_ms, fill_from_wire, arg);
		return 0;
	case MSG_CANCELLED:
		return 0;
	case MSG_RESULT:
		c->result_msg = malloc(sizeof(*m));
		if (!c->result_msg)
			return -ENOMEM;
		*c->result_msg = *m;
		m->result.server_output = NULL; /* moved */
		c->got_result = true;
		give_up_in(c, 0);
		loop_del(&c->loop, &c->ctrl_it); /* nothing more to read or say */
		return 1;
	case MSG_ERROR:
		report_sanitize(text, sizeof(text), m->text.text);
		clnt_error(c, "server error: %s", report_server_error(text));
		return -EPROTO;
	default:
		clnt_error(c, "server sent an unexpected %s message", proto_type_name(m->type));
		return -EPROTO;
	}
}

/* Read what the server sent; 1 = the result is in, < 0 = error, 0 = go on. */
static int read_ctrl(struct clnt *c)
{
	struct proto_msg *m = malloc(sizeof(*m));
	char err[PROTO_TEXT_MAX];
	int rc, done = 0;

	if (!m)
		return -ENOMEM;
	rc = ctrl_fill(&c->ctrl);
	while (!done && (rc = ctrl_next_msg(&c->ctrl, m, err, sizeof(err))) == 1) {
		done = on_msg(c, m);
		proto_msg_free(m);
	}
	free(m);
	if (done)
		return done;
	if (rc < 0) {
		clnt_error(c, "server: %s", err);
		return rc;
	}
	if (c->ctrl.eof) {
		clnt_error(c, "server closed the control connection before the result");
		return -ECONNRESET;
	}
	return 0;
}

static void on_ctrl(struct loop_item *it, uint32_t events)
{
	struct clnt *c = it->ctx;
	int rc;

	if (events & EPOLLOUT)
		ctrl_flush(&c->ctrl);
	loop_mod(&c->loop, it, EPOLLIN | (ctrl_pending(&c->ctrl) ? EPOLLOUT : 0));
	if (c->got_result || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	rc = read_ctrl(c);
	if (rc)
		stop(c, rc);
}

/*
 * What the server said while our streams started (a reference server's first
 * intervals come right behind test_ack) waits in the buffer, and epoll will
 * not say so: take it now that the run can pair it.
 */
static void early_msgs(struct clnt *c)
{
	size_t len = 0;
	int rc;

	ctrl_peek(&c->ctrl, &len);
	if (!len)
		return;
	rc = read_ctrl(c);
	if (rc)
		stop(c, rc);
}

/* Until c->stop says why. */
static int loop(struct clnt *c)
{
	int n;

	while (!c->stop) {
		n = loop_run_once(&c->loop, -1);
		if (n < 0)
			return n;
	}
	return c->stop < 0 ? c->stop : 0;
}

static int add_items(struct clnt *c)
{
	int fd = timerfd_open(), err;

	if (fd < 0)
		return fd;
	err = loop_add(&c->loop, &c->give_up_it, fd, EPOLLIN, on_give_up, c);
	if (err) {
		close(fd);
		c->give_up_it.fd = -1;
		return err;
	}
	err = loop_add(&c->loop, &c->sig_it, c->sigfd, EPOLLIN, on_signal, c);
	if (!err)
		err = loop_add(&c->loop, &c->ctrl_it, c->ctrl.fd, EPOLLIN, on_ctrl, c);
	return err;
}

/*
 * Tail loss: what a UDP sender sent after the receiver's last datagram never
 * shows as a sequence gap. With both ends' counts, it is sent - received - lost.
 */
static void add_tail_loss(struct xfr_result *r)
{
	for (uint32_t i = 0; i < r->nflows; i++) {
		struct xfr_udp_stats *u = &r->flows[i].udp;

		if (r->flows[i].has_udp_tx && r->flows[i].has_udp_rx &&
		    u->packets_sent > u->packets_received + u->lost)
			u->lost = u->packets_sent - u->packets_received;
	}
}

/* Say which of the server's whole-test figures the per-stream values only share out. */
static void note_shared(struct xfr_result *r, uint32_t shared)
{
	static const char *const what[] = {"bytes per direction", "TCP_INFO",
					   "UDP loss and jitter"};
	char list[96] = "";
	size_t len = 0;

	if (!shared || r->nnotes == XFR_MAX_NOTES)
		return;
	for (uint32_t i = 0; i < 3; i++)
		if (shared & (1u << i))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						len ? ", " : "", what[i]);
	snprintf(r->notes[r->nnotes++], sizeof(r->notes[0]),
		 "the server reports its %s for all streams together: per-stream values are "
		 "shares of the total",
		 list);
}

/* Our totals and the server's, into the result model. */
static void build_result(struct clnt *c)
{
	struct xfr_result *r = c->res;
	struct proto_result *pr = c->result_msg ? &c->result_msg->result : NULL;

	r->nflows = 0;
	run_totals(c->run, r->flows, &r->nflows);
	if (pr) {
		uint32_t ns = our_streams(pr->streams, pr->nstreams, c->cfg->streams);

		report_from_wire(pr->streams, ns, c->cfg->dir, r->flows, &r->nflows);
		note_shared(r, report_result_totals(pr, ns, c->cfg->dir, r->flows, &r->nflows));
		r->duration_s = (double)pr->duration_ms / 1000.0;
		if (pr->server_output) {
			r->server_output = pr->server_output;
			c->result_msg->result.server_output = NULL;
		}
	} else {
		r->duration_s = run_secs(c->run);
		r->interrupted = true;
	}
	if (pr && !r->interrupted)
		add_tail_loss(r);
}

/* UDP: datagrams the server sent just before its result are still arriving. */
static void drain(struct clnt *c)
{
	if (c->cfg->proto != XFR_PROTO_UDP || c->cfg->dir == XFR_DIR_UPLOAD || !c->got_result ||
	    run_drain(c->run, CLNT_UDP_DRAIN_MS))
		return;
	c->stop = 0;
	while (!c->drained && !c->stop)
		if (loop_run_once(&c->loop, -1) < 0)
			break;
}

/*
 * A direction whose receiver got nothing at all measured a black hole, not a
 * path: say it loudly (stderr, a note with the result) and fail the run, so a
 * script never reads "100 % loss" as a figure of a working link.
 */
static void check_arrivals(struct clnt *c)
{
	static const struct {
		unsigned mask;
		const char *name;
	} dirs[] = {{RESULT_DIR_UP, "upload"}, {RESULT_DIR_DOWN, "download"}};
	struct xfr_result *r = c->res;
	uint64_t sent;

	if (r->interrupted || r->error[0])
		return;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!result_nothing_arrived(r->flows, r->nflows, dirs[i].mask, &sent))
			continue;
		result_note(
			r,
			"%s: the receiver got nothing of the %llu bytes sent: no packet crossed (firewall, route, or an engine whose frames the receiver cannot see)",
			dirs[i].name, (unsigned long long)sent);
		pr_err("%s", r->notes[r->nnotes - 1]);
		if (!c->exit_code)
			c->exit_code = 1;
	}
}

/* Stop our streams, take the last sample, emit what is left and the end. */
static void wind_down(struct clnt *c)
{
	drain(c);
	if (c->result_msg) {		       /* the summary's duration: the last row ends there */
		if (clnt_peer_is_reference(c)) /* ours sends its last, partial interval */
			run_peer_last(c->run, c->result_msg->result.duration_ms, fill_from_result,
				      c);
		run_set_end(c->run, (double)c->result_msg->result.duration_ms / 1000.0);
	}
	run_finish(c->run, !c->cfg->bytes);
	build_result(c);
	check_arrivals(c);
	run_end(c->run, c->res->interrupted ? "interrupted" : "complete");
}

int clnt_run_test(struct clnt *c, int *fds)
{
	char why[240];
	int err = clnt_run_new(c);

	if (!err)
		err = add_items(c);
	if (!err)
		err = clnt_controls_attach(c);
	if (!err && (err = run_start(c->run, fds, why, sizeof(why)))) {
		clnt_error(c, "cannot start the data streams: %s", why);
		return err;
	}
	if (err) {
		clnt_error(c, "cannot start the test: %s", strerror(-err));
		return err;
	}
	if (c->req.duration_secs)
		give_up_in(c, (uint64_t)c->req.duration_secs * 1000 + CLNT_RESULT_GRACE_MS);
	early_msgs(c);
	err = loop(c);
	if (c->signals > 1) /* second Ctrl+C: leave at once */
		return err;
	if (err && !c->signals)
		c->res->interrupted = true;
	wind_down(c);
	if (sinks_flush(&c->sinks) && !c->exit_code)
		c->exit_code = 1;
	clnt_tui_wait(c);
	if (!c->exit_code && err)
		c->exit_code = 1;
	return c->exit_code;
}

/* After the probe: tell the server, and wait for its (empty) result. */
static void end_probe(struct clnt *c)
{
	struct proto_msg *m = malloc(sizeof(*m));
	char err[PROTO_TEXT_MAX];
	int rc;

	if (!m)
		return;
	clnt_send_simple(c, MSG_CANCEL, "MTU probe complete");
	while ((rc = ctrl_recv_wait(&c->ctrl, m, 10000, c->sigfd, err, sizeof(err))) == 0) {
		bool last = m->type == MSG_RESULT || m->type == MSG_ERROR;

		proto_msg_free(m);
		if (last)
			break;
	}
	if (rc && rc != -EINTR)
		pr_warn("MTU probe: no result from the server: %s", err);
	free(m);
}

static void probe_event(struct clnt *c, enum xfr_event_type type)
{
	struct xfr_event ev = {.type = type,
			       .role = XFR_ROLE_CLIENT,
			       .res = c->res,
			       .why = "complete",
			       .peer = c->cfg->host};

	sinks_emit(&c->sinks, &ev);
}

int clnt_run_probe(struct clnt *c, int *fds)
{
	struct xfr_result *r = c->res;
	uint64_t t0 = time_mono_ns();
	int err;

	r->mtu = calloc(1, sizeof(*r->mtu));
	if (!r->mtu) {
		close(fds[0]);
		fds[0] = -1;
		return -ENOMEM;
	}
	r->start_wall_us = time_real_us();
	probe_event(c, XFR_EV_TEST_START);
	pr_info("probing the path MTU in both directions (a few seconds)");
	err = mtuprobe_run(fds[0], !net_is_v4(&c->server), c->sigfd, 0, r->mtu);
	close(fds[0]);
	fds[0] = -1;
	r->duration_s = (double)(time_mono_ns() - t0) / 1e9;
	if (err == -EINTR) {
		c->signals++;
		c->exit_code = 130;
		r->interrupted = true;
	} else if (err) {
		clnt_error(c, "MTU probe: %s", strerror(-err));
	} else if (!r->mtu->forward_max_payload && !r->mtu->reverse_max_payload) {
		clnt_error(c, "MTU probe: no probe got through in either direction");
		err = -EPROTO;
	}
	end_probe(c);
	probe_event(c, XFR_EV_TEST_END);
	if (sinks_flush(&c->sinks) && !c->exit_code)
		c->exit_code = 1;
	if (!c->exit_code && err)
		c->exit_code = 1;
	return c->exit_code;
}
