// SPDX-License-Identifier: MIT
/*
 * xfr HOST, run half. Our streams are sampled on a timerfd (never through the
 * control socket); each interval is printed once our sample and the server's
 * interval message for the same period are both in, or when the server is a
 * whole interval late (then with our side only). The final result folds the
 * server's result into our own totals.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "client/client_priv.h"
#include "base/log.h"
#include "control/mtuprobe.h"
#include "control/report.h"
#include "model/stats.h"
#include "timeutil.h"

static bool sends(const struct clnt *c)
{
	return c->cfg->dir != XFR_DIR_DOWNLOAD;
}

/* The engine's "all our flows are done" eventfd, made on first use. */
static int done_fd(struct clnt *c)
{
	if (c->done_fd < 0)
		c->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return c->done_fd;
}

int clnt_engine_prepare(struct clnt *c, int *fds, bool dup)
{
	const struct xfr_config *cfg = c->cfg;
	bool recv = cfg->dir != XFR_DIR_UPLOAD;
	struct engine_params p = {
		.proto = cfg->proto,
		.streams = cfg->streams,
		.length = cfg->length,
		.bitrate = sends(c) ? cfg->bitrate : 0,
		.byte_budget = sends(c) ? cfg->bytes : 0,
		.payload = cfg->payload,
		.zerocopy = cfg->zerocopy,
		.done_fd = done_fd(c),
		.udp_no_offload = cfg->no_offload,
		.busy_poll_us = cfg->busy_poll_us,
		.cpus = cfg->ncpus ? cfg->cpus : NULL,
		.ncpus = cfg->ncpus,
	};
	char why[200];
	int err = 0;

	c->eng = dataplane_engine(&c->dp, &p, why, sizeof(why));
	if (!c->eng) {
		err = errno ? -errno : -ENOMEM;
		pr_err("%s", why);
	}
	for (uint32_t i = 0; i < cfg->streams; i++) {
		int fd = dup ? fcntl(fds[i], F_DUPFD_CLOEXEC, 0) : fds[i];

		if (fd < 0 && !err)
			err = -errno;
		else if (!err)
			err = c->eng->ops->add_stream(c->eng, i, fd, sends(c), recv, XFR_FLOW_UP);
		else if (fd >= 0)
			close(fd);
		if (!dup)
			fds[i] = -1;
	}
	return err;
}

/* Start the engine, preparing it first unless clnt_engine_prepare already ran. */
static int engine_setup(struct clnt *c, int *fds)
{
	int err = 0;

	if (!c->eng)
		err = clnt_engine_prepare(c, fds, false);
	for (uint32_t i = 0; i < c->cfg->streams; i++) {
		if (fds[i] >= 0)
			close(fds[i]); /* the hello sockets: the engine holds its own */
		fds[i] = -1;
	}
	return err ? err : c->eng->ops->start(c->eng);
}

static double secs_since_start(const struct clnt *c, uint64_t t_ns)
{
	return t_ns > c->start_ns ? (double)(t_ns - c->start_ns) / 1e9 : 0.0;
}

static void apply_feedback(struct clnt_slot *s);

static void emit(struct clnt *c, struct clnt_slot *s)
{
	struct xfr_interval *iv = &s->iv;
	int err;

	if (!s->has_remote && s->has_fb)
		apply_feedback(s);
	/* By the interval's number, not its measured end (1.0003 s is the 1 s row). */
	iv->omitted = (uint64_t)s->k * c->interval_ms <= c->cfg->omit_ms;
	iv->wall_end_us = c->res->start_wall_us + (uint64_t)(iv->end_s * 1e6);
	if (result_add_interval(c->res, iv))
		pr_warn("out of memory: interval %u not kept for the JSON document", s->k);
	if (c->cfg->interval_ms && !iv->omitted && !c->write_failed) {
		err = c->out->ops->interval(c->out, c->res, iv);
		if (err < 0) {
			pr_err("cannot write results: %s", strerror(-err));
			c->write_failed = true;
		}
	}
	if (s->k >= c->next_emit)
		c->next_emit = s->k + 1;
	s->k = 0;
}

static struct clnt_slot *slot_for(struct clnt *c, uint32_t k)
{
	struct clnt_slot *s = &c->slots[k % CLNT_SLOTS];

	if (s->k == k)
		return s;
	if (s->k)
		emit(c, s); /* an older interval still waiting: print it as it is */
	memset(s, 0, sizeof(*s));
	s->iv.flows = s->flows;
	s->k = k;
	return s;
}

/* Print every interval that is complete, in order. */
static void try_emit(struct clnt *c, bool flush)
{
	struct clnt_slot *s, *next;

	for (;;) {
		s = &c->slots[c->next_emit % CLNT_SLOTS];
		if (s->k != c->next_emit) {
			if (!flush)
				return;
			/* nothing for this number: skip to the lowest waiting one */
			uint32_t low = 0;
			for (int i = 0; i < CLNT_SLOTS; i++)
				if (c->slots[i].k && (!low || c->slots[i].k < low))
					low = c->slots[i].k;
			if (!low)
				return;
			c->next_emit = low;
			continue;
		}
		next = &c->slots[(c->next_emit + 1) % CLNT_SLOTS];
		if (flush || (s->has_local && s->has_remote) ||
		    (s->has_local && next->k == c->next_emit + 1 && next->has_local))
			emit(c, s);
		else
			return;
	}
}

/* Feedback counters of our UDP senders over the interval (prev -> cur). */
static void feedback_delta(struct clnt *c, struct clnt_slot *s)
{
	const struct engine_flow_sample *a, *b;

	for (uint32_t i = 0; i < c->cur->nflows && i < c->prev->nflows; i++) {
		a = &c->prev->flows[i];
		b = &c->cur->flows[i];
		if (!b->is_udp || !b->sending || !b->udp.has_feedback ||
		    b->stream >= XFR_MAX_STREAMS)
			continue;
		s->has_fb = true;
		s->fb_received[b->stream] = b->udp.fb_received - a->udp.fb_received;
		s->fb_lost[b->stream] =
			b->udp.fb_lost > a->udp.fb_lost ? b->udp.fb_lost - a->udp.fb_lost : 0;
	}
}

/* The server's interval is late: show the receiver's side from its feedback. */
static void apply_feedback(struct clnt_slot *s)
{
	for (uint32_t i = 0; i < s->iv.nflows; i++) {
		struct xfr_flow *f = &s->iv.flows[i];

		if (f->dir != XFR_FLOW_UP || f->has_udp_rx || f->stream >= XFR_MAX_STREAMS)
			continue;
		f->has_udp_rx = true;
		f->udp.packets_received = s->fb_received[f->stream];
		f->udp.lost = s->fb_lost[f->stream];
	}
}

static void local_interval(struct clnt *c)
{
	struct clnt_slot *s = slot_for(c, ++c->ticks);
	struct engine_sample *tmp;

	c->eng->ops->sample(c->eng, c->cur);
	stats_side_delta(c->prev, c->cur, s->iv.flows, &s->iv.nflows);
	feedback_delta(c, s);
	s->iv.start_s = secs_since_start(c, c->prev->t_ns);
	s->iv.end_s = secs_since_start(c, c->cur->t_ns);
	s->has_local = true;
	tmp = c->prev;
	c->prev = c->cur;
	c->cur = tmp;
}

static void on_tick(struct clnt *c)
{
	uint64_t exp;

	if (read(c->tick_fd, &exp, sizeof(exp)) < 0 || c->got_result)
		return;
	local_interval(c);
	try_emit(c, false);
}

static void on_remote_interval(struct clnt *c, const struct proto_interval *iv)
{
	uint32_t k = (uint32_t)((iv->elapsed_ms + c->interval_ms / 2) / c->interval_ms);
	struct clnt_slot *s;

	if (k == 0)
		k = 1;
	if (k < c->next_emit)
		return; /* that row is printed already */
	s = slot_for(c, k);
	report_from_wire(iv->streams, iv->nstreams, c->cfg->dir, s->iv.flows, &s->iv.nflows);
	if (!s->has_local) { /* the server's own span until our sample comes */
		s->iv.end_s = (double)iv->elapsed_ms / 1000.0;
		s->iv.start_s = (double)c->last_remote_ms / 1000.0;
	}
	if (iv->elapsed_ms > c->last_remote_ms)
		c->last_remote_ms = iv->elapsed_ms;
	s->has_remote = true;
	try_emit(c, false);
}

static int send_simple(struct clnt *c, enum proto_type type, const char *text)
{
	struct proto_msg m;
	int err;

	proto_msg_init(&m, type);
	snprintf(m.text.id, sizeof(m.text.id), "%s", c->req.id);
	if (text)
		snprintf(m.text.text, sizeof(m.text.text), "%s", text);
	err = ctrl_send(&c->ctrl, &m);
	proto_msg_free(&m);
	return err;
}

static void on_signal(struct clnt *c)
{
	struct signalfd_siginfo si;

	if (read(c->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	c->signals++;
	c->exit_code = si.ssi_signo == SIGTERM ? 143 : 130;
	c->res->interrupted = true;
	if (c->signals > 1)
		return;
	pr_info("interrupted: asking the server for the result (Ctrl+C again to quit now)");
	send_simple(c, MSG_CANCEL, "User requested cancellation");
	c->give_up_ns = time_mono_ns() + CLNT_CANCEL_WAIT_MS * NSEC_PER_MSEC;
}

static void on_done(struct clnt *c)
{
	uint64_t v;

	if (read(c->done_fd, &v, sizeof(v)) < 0)
		return;
	/* Our flows have all ended. With a byte budget that is the normal end. */
	if (c->cfg->bytes && sends(c) && !c->finish_sent) {
		c->finish_sent = true;
		send_simple(c, MSG_FINISH, NULL);
	}
}

/*
 * UDP: our senders stop at our own deadline; what is in flight then still
 * reaches the server, which keeps counting for a short drain. (TCP senders run
 * until the server's result, which ends the streams.)
 */
static void on_local_end(struct clnt *c)
{
	uint64_t exp;

	if (read(c->end_fd, &exp, sizeof(exp)) < 0)
		return;
	c->eng->ops->pause(c->eng);
}

/* One message from the server: 1 = the test is over, 0 = go on, < 0 = error. */
static int on_msg(struct clnt *c, struct proto_msg *m)
{
	char text[PROTO_TEXT_MAX];

	switch (m->type) {
	case MSG_INTERVAL:
		on_remote_interval(c, &m->interval);
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

static int on_ctrl(struct clnt *c)
{
	struct proto_msg *m = malloc(sizeof(*m));
	char err[PROTO_TEXT_MAX];
	int rc, done = 0;

	if (!m)
		return -ENOMEM;
	ctrl_flush(&c->ctrl);
	rc = ctrl_fill(&c->ctrl);
	while (!done && (rc = ctrl_next_msg(&c->ctrl, m, err, sizeof(err))) == 1) {
		done = on_msg(c, m);
		proto_msg_free(m);
	}
	free(m);
	if (done)
		return done < 0 ? done : 1;
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

static int poll_timeout(const struct clnt *c)
{
	uint64_t now = time_mono_ns();

	if (!c->give_up_ns)
		return -1;
	return now >= c->give_up_ns ? 0 : (int)((c->give_up_ns - now) / NSEC_PER_MSEC) + 1;
}

/* Until the result, a fatal error, a second Ctrl+C or the server's silence. */
static int loop(struct clnt *c)
{
	struct pollfd p[5] = {
		{.fd = c->ctrl.fd, .events = POLLIN}, {.fd = c->sigfd, .events = POLLIN},
		{.fd = c->tick_fd, .events = POLLIN}, {.fd = c->done_fd, .events = POLLIN},
		{.fd = c->end_fd, .events = POLLIN},
	};
	int n, rc;

	for (;;) {
		p[0].events = POLLIN | (ctrl_pending(&c->ctrl) ? POLLOUT : 0);
		n = poll(p, 5, poll_timeout(c));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 && c->give_up_ns && time_mono_ns() >= c->give_up_ns) {
			clnt_error(c, "no result from the server: giving up");
			return -ETIMEDOUT;
		}
		if (n > 0 && (p[1].revents & POLLIN)) {
			on_signal(c);
			if (c->signals > 1)
				return -EINTR;
		}
		if (n > 0 && (p[2].revents & POLLIN))
			on_tick(c);
		if (n > 0 && (p[3].revents & POLLIN))
			on_done(c);
		if (n > 0 && (p[4].revents & POLLIN))
			on_local_end(c);
		if (n > 0 && p[0].revents) {
			rc = on_ctrl(c);
			if (rc)
				return rc < 0 ? rc : 0;
		}
	}
}

static void add_tail_loss(struct xfr_result *r);

/* Our totals and the server's, into the result model. */
static void build_result(struct clnt *c)
{
	struct xfr_result *r = c->res;
	const struct proto_result *pr = c->result_msg ? &c->result_msg->result : NULL;

	r->nflows = 0;
	stats_side_total(c->cur, r->flows, &r->nflows);
	if (pr) {
		report_from_wire(pr->streams, pr->nstreams, c->cfg->dir, r->flows, &r->nflows);
		r->duration_s = (double)pr->duration_ms / 1000.0;
		if (pr->server_output) {
			r->server_output = pr->server_output;
			c->result_msg->result.server_output = NULL;
		}
	} else {
		r->duration_s = secs_since_start(c, c->cur->t_ns);
		r->interrupted = true;
	}
	if (pr && !r->interrupted)
		add_tail_loss(r);
}

/* UDP: datagrams the server sent just before its result are still arriving. */
static void drain(struct clnt *c)
{
	struct pollfd p = {.fd = c->sigfd, .events = POLLIN};

	if (c->cfg->proto == XFR_PROTO_UDP && c->cfg->dir != XFR_DIR_UPLOAD && c->got_result)
		poll(&p, 1, CLNT_UDP_DRAIN_MS);
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

/* Stop our streams, take the last sample, print what is left. */
static void wind_down(struct clnt *c)
{
	struct engine_sample *last = c->prev;

	drain(c);
	c->eng->ops->stop(c->eng, !c->cfg->bytes);
	c->eng->ops->sample(c->eng, c->cur);
	/* a last partial interval, if it is long enough to mean something */
	if (c->cur->t_ns - last->t_ns >= (uint64_t)c->interval_ms * NSEC_PER_MSEC / 2) {
		struct clnt_slot *s = slot_for(c, ++c->ticks);

		stats_side_delta(last, c->cur, s->iv.flows, &s->iv.nflows);
		s->iv.start_s = secs_since_start(c, last->t_ns);
		s->iv.end_s = secs_since_start(c, c->cur->t_ns);
		s->has_local = true;
	}
	try_emit(c, true);
	build_result(c);
}

static int write_outputs(struct clnt *c)
{
	const char *file = c->cfg->output_file;
	FILE *f;
	int err = c->write_failed ? -EIO : 0;

	if (!err && (err = c->out->ops->end(c->out, c->res)) < 0)
		pr_err("cannot write results: %s", strerror(-err));
	if (!err && fflush(stdout)) {
		err = -errno;
		pr_err("cannot write results: %s", strerror(errno));
	}
	if (!file[0])
		return err;
	f = fopen(file, "w");
	if (!f || output_json_document(f, c->res) < 0 || fclose(f)) {
		pr_err("cannot write %s: %s", file, strerror(errno));
		if (f && errno)
			fclose(f);
		return -EIO;
	}
	return err;
}

static int start_timers(struct clnt *c)
{
	uint64_t ms = c->interval_ms;
	struct itimerspec its = {
		.it_value = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L},
		.it_interval = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L},
	};

	c->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->tick_fd < 0 || timerfd_settime(c->tick_fd, 0, &its, NULL))
		return -errno;
	if (c->req.duration_secs)
		c->give_up_ns = c->start_ns + (uint64_t)c->req.duration_secs * NSEC_PER_SEC +
				CLNT_RESULT_GRACE_MS * NSEC_PER_MSEC;
	if (c->cfg->proto != XFR_PROTO_UDP || !sends(c) || !c->req.duration_secs)
		return 0;
	its = (struct itimerspec){.it_value = {(time_t)c->req.duration_secs, 0}};
	c->end_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->end_fd < 0 || timerfd_settime(c->end_fd, 0, &its, NULL))
		return -errno;
	return 0;
}

static int begin(struct clnt *c, int *fds)
{
	int err;

	c->prev = calloc(1, sizeof(*c->prev));
	c->cur = calloc(1, sizeof(*c->cur));
	if (!c->prev || !c->cur || done_fd(c) < 0)
		return -ENOMEM;
	err = engine_setup(c, fds);
	if (err) {
		clnt_error(c, "cannot start the data streams: %s", strerror(-err));
		return err;
	}
	c->start_ns = time_mono_ns();
	c->res->start_wall_us = time_real_us();
	snprintf(c->res->id, sizeof(c->res->id), "%s", c->req.id);
	c->eng->ops->sample(c->eng, c->prev);
	c->next_emit = 1;
	err = start_timers(c);
	if (!err && (err = c->out->ops->start(c->out, c->res)) < 0) {
		pr_err("cannot write results: %s", strerror(-err));
		c->write_failed = true;
	}
	return err;
}

void clnt_release(struct clnt *c)
{
	if (c->eng) {
		c->eng->ops->stop(c->eng, true);
		c->eng->ops->destroy(c->eng);
		c->eng = NULL;
	}
	if (c->result_msg) {
		proto_msg_free(c->result_msg);
		free(c->result_msg);
		c->result_msg = NULL;
	}
	free(c->prev);
	free(c->cur);
	c->prev = c->cur = NULL;
	if (c->tick_fd >= 0)
		close(c->tick_fd);
	if (c->done_fd >= 0)
		close(c->done_fd);
	if (c->end_fd >= 0)
		close(c->end_fd);
	c->tick_fd = c->done_fd = c->end_fd = -1;
}

int clnt_run_test(struct clnt *c, int *fds)
{
	int err = begin(c, fds);

	if (!err)
		err = loop(c);
	if (c->signals > 1) { /* second Ctrl+C: leave at once */
		clnt_release(c);
		return err;
	}
	if (c->eng && c->prev) {
		wind_down(c);
		if (err && !c->signals)
			c->res->interrupted = true;
		if (write_outputs(c) && !c->exit_code)
			c->exit_code = 1;
	}
	if (!c->exit_code && (err || c->write_failed))
		c->exit_code = 1;
	clnt_release(c);
	return c->exit_code ? c->exit_code : 0;
}

/* After the probe: tell the server, and wait for its (empty) result. */
static void end_probe(struct clnt *c)
{
	struct proto_msg *m = malloc(sizeof(*m));
	char err[PROTO_TEXT_MAX];
	int rc;

	if (!m)
		return;
	send_simple(c, MSG_CANCEL, "MTU probe complete");
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

int clnt_run_probe(struct clnt *c, int *fds)
{
	struct xfr_result *r = c->res;
	uint64_t t0 = time_mono_ns();
	int err;

	r->mtu = calloc(1, sizeof(*r->mtu));
	if (!r->mtu) {
		close(fds[0]);
		return -ENOMEM;
	}
	snprintf(r->id, sizeof(r->id), "%s", c->req.id);
	r->start_wall_us = time_real_us();
	if (c->out->ops->start(c->out, r) < 0)
		c->write_failed = true;
	pr_info("probing the path MTU in both directions (a few seconds)");
	err = mtuprobe_run(fds[0], !net_is_v4(&c->server), c->sigfd, r->mtu);
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
	if (write_outputs(c) && !c->exit_code)
		c->exit_code = 1;
	if (!c->exit_code && err)
		c->exit_code = 1;
	return c->exit_code;
}
