// SPDX-License-Identifier: MIT
/*
 * What belongs to the client's session itself, used by the set-up and by the
 * run: errors, the run core's construction, the control connection's writes,
 * release.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "base/log.h"
#include "client/client_priv.h"

void clnt_error(struct clnt *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	pr_err("%s", c->error);
	if (c->res && !c->res->error[0])
		snprintf(c->res->error, sizeof(c->res->error), "%s", c->error);
}

static void on_deadline(struct run *r);
static void on_done(struct run *r);
static void on_drained(struct run *r);

static const struct run_hooks clnt_hooks = {
	.done = on_done,
	.deadline = on_deadline,
	.drained = on_drained,
};

static bool sends(const struct clnt *c)
{
	return c->cfg->dir != XFR_DIR_DOWNLOAD;
}

/* --quic-ca checks the certificate is for HOST when HOST is a name (an address: the chain only). */
static const char *quic_name(const char *host)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1)
		return NULL;
	return host;
}

/* What this side runs, from the options. */
static void run_cfg(const struct clnt *c, struct run_cfg *rc)
{
	const struct xfr_config *cfg = c->cfg;

	*rc = (struct run_cfg){
		.role = XFR_ROLE_CLIENT,
		.ep = {.proto = cfg->proto,
		       .streams = cfg->streams,
		       .length = cfg->length,
		       .bitrate = sends(c) ? cfg->bitrate : 0,
		       .byte_budget = sends(c) ? cfg->bytes : 0,
		       .payload = cfg->payload,
		       .zerocopy = cfg->zerocopy,
		       .done_fd = -1,
		       .udp_no_offload = cfg->no_offload,
		       .rx_spin = !cfg->bitrate, /* the server sends at our -b: 0 floods */
		       .busy_poll_us = cfg->busy_poll_us,
		       .cpus = cfg->ncpus ? cfg->cpus : NULL,
		       .ncpus = cfg->ncpus},
		.dp = c->dp,
		.dir = cfg->dir,
		.interval_ms = c->interval_ms,
		.omit_ms = cfg->omit_ms,
		.length_ms = c->req.duration_secs * 1000, /* as the server's rows */
		.pair = true,
		.keep_intervals = true,
		.peer = cfg->host,
	};
	/* a PSK session with udp_auth_v1: only authenticated XFRF (client_auth.c) */
	rc->ep.udp_auth = c->udp_auth;
	memcpy(rc->ep.udp_key, c->udp_key, sizeof(rc->ep.udp_key));
	if (cfg->proto == XFR_PROTO_QUIC) {
		snprintf(rc->ep.quic_pin, sizeof(rc->ep.quic_pin), "%s", cfg->quic_verify);
		snprintf(rc->ep.quic_cc, sizeof(rc->ep.quic_cc), "%s", cfg->quic_cc);
		rc->ep.quic_ca = cfg->quic_ca[0] ? cfg->quic_ca : NULL;
		rc->ep.quic_name = quic_name(cfg->host);
	}
	/*
	 * UDP: our senders stop at our own deadline; TCP runs until our server's
	 * result, but stops at the deadline for a reference one.
	 */
	if ((cfg->proto == XFR_PROTO_UDP || clnt_peer_is_reference(c)) && sends(c) &&
	    c->req.duration_secs)
		rc->duration_ms = c->req.duration_secs * 1000;
	/* a reference server's clock starts as it sends test_ack, before our streams connect */
	if (clnt_peer_is_reference(c))
		rc->deadline_from_ns = c->ack_ns;
}

int clnt_run_new(struct clnt *c)
{
	struct run_cfg rc;

	if (c->run)
		return 0;
	run_cfg(c, &rc);
	c->run = run_new(&rc, &c->loop, &c->sinks, c->res, &clnt_hooks, c);
	return c->run ? 0 : -ENOMEM;
}

int clnt_send(struct clnt *c, const struct proto_msg *m)
{
	int err = ctrl_send(&c->ctrl, m);

	if (c->ctrl_it.added)
		loop_mod(&c->loop, &c->ctrl_it, EPOLLIN | (ctrl_pending(&c->ctrl) ? EPOLLOUT : 0));
	return err;
}

int clnt_send_simple(struct clnt *c, enum proto_type type, const char *text)
{
	struct proto_msg m;
	int err;

	proto_msg_init(&m, type);
	snprintf(m.text.id, sizeof(m.text.id), "%s", c->req.id);
	if (text)
		snprintf(m.text.text, sizeof(m.text.text), "%s", text);
	err = clnt_send(c, &m);
	proto_msg_free(&m);
	return err;
}

bool clnt_peer_is_reference(const struct clnt *c)
{
	return !(c->server_caps & PROTO_CAPS_EXT);
}

/*
 * UDP: in-flight datagrams still land. TCP (a reference server): abortive, the
 * count cut at what the server acknowledged, as the reference client does.
 */
void clnt_senders_stop(struct clnt *c, struct run *r)
{
	if (c->cfg->proto == XFR_PROTO_TCP && clnt_peer_is_reference(c))
		run_senders_stop(r);
	else
		run_senders_off(r);
}

static void on_deadline(struct run *r)
{
	clnt_senders_stop(run_ctx(r), r);
}

/* Our flows have all ended. With a byte budget that is the normal end. */
static void on_done(struct run *r)
{
	struct clnt *c = run_ctx(r);

	if (c->cfg->bytes && sends(c) && !c->finish_sent) {
		c->finish_sent = true;
		clnt_send_simple(c, MSG_FINISH, NULL);
	}
}

static void on_drained(struct run *r)
{
	struct clnt *c = run_ctx(r);

	c->drained = true;
}

void clnt_release(struct clnt *c)
{
	run_free(c->run);
	c->run = NULL;
	if (c->result_msg) {
		proto_msg_free(c->result_msg);
		free(c->result_msg);
		c->result_msg = NULL;
	}
}

const char *clnt_conn_error(int err)
{
	return err == -EINTR ? "interrupted" : strerror(-err);
}

/* Local address for our sockets from --bind (port handled by the caller). */
int clnt_bind_addr(const struct clnt *c, struct net_addr *src, uint16_t *port)
{
	if (!c->cfg->bind[0]) {
		*port = 0;
		return 0;
	}
	if (net_parse_bind(c->cfg->bind, src, port))
		return -EINVAL;
	return 1;
}

/* A received message must be @want; an error message or anything else fails. */
int clnt_expect_type(struct clnt *c, struct proto_msg *m, enum proto_type want)
{
	char text[PROTO_TEXT_MAX];

	if (m->type == MSG_ERROR) {
		report_sanitize(text, sizeof(text), m->text.text);
		clnt_error(c, "server error: %s", report_server_error(text));
		proto_msg_free(m);
		return -EPROTO;
	}
	if (m->type != want) {
		clnt_error(c, "server sent %s, expected %s", proto_type_name(m->type),
			   proto_type_name(want));
		proto_msg_free(m);
		return -EPROTO;
	}
	return 0;
}
