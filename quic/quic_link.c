// SPDX-License-Identifier: MIT
/*
 * A QUIC test's one connection (see quic_link.h): an engine of the QUIC ops
 * with one connection and no data flows yet, whose connection also carries
 * the control stream (quic_conn.c, quic_ctl.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quic/engine_quic.h"
#include "quic/quic_link.h"

struct quic_link {
	struct engine *e;
	uint8_t *first;
};

static struct quic_conn *conn_of(const struct quic_link *l)
{
	return &((struct quic_eng *)l->e->priv)->conns[0];
}

static int link_conn(struct quic_link *l, int udp_fd, bool server, int *ctl_fd)
{
	struct engine *e = l->e;
	struct quic_conn *c;
	int err;

	err = e->ops->add_stream(e, 0, udp_fd, false, false, server ? XFR_FLOW_DOWN : XFR_FLOW_UP);
	if (err)
		return err;
	c = conn_of(l);
	err = quic_ctl_init(&c->ctl, ctl_fd);
	if (err) {
		snprintf(e->why, sizeof(e->why), "cannot set up the QUIC control channel: %s",
			 strerror(-err));
		return err;
	}
	c->link = true;
	return 0;
}

int quic_link_open(struct quic_link **out, int udp_fd, bool server, const struct engine_params *p,
		   const uint8_t *first, size_t first_len, int *ctl_fd, char *why, size_t whylen)
{
	struct engine_params lp = *p;
	struct quic_link *l = calloc(1, sizeof(*l));
	int err = -ENOMEM;

	*ctl_fd = -1;
	lp.proto = XFR_PROTO_QUIC;
	lp.streams = 1;
	lp.byte_budget = 0;
	lp.bitrate = 0;
	lp.done_fd = -1;
	if (!l || !(l->e = engine_new(&engine_quic_ops))) {
		free(l);
		close(udp_fd);
		snprintf(why, whylen, "cannot set up a QUIC connection: out of memory");
		return -ENOMEM;
	}
	err = l->e->ops->init(l->e, &lp);
	if (err) {
		snprintf(why, whylen, "%s", l->e->why[0] ? l->e->why : strerror(-err));
		close(udp_fd);
		free(l->e);
		free(l);
		return err;
	}
	err = link_conn(l, udp_fd, server, ctl_fd);
	if (!err && first_len) {
		l->first = malloc(first_len);
		err = l->first ? 0 : -ENOMEM;
		if (l->first) {
			memcpy(l->first, first, first_len);
			conn_of(l)->first = l->first;
			conn_of(l)->first_len = first_len;
		}
	}
	if (!err)
		err = l->e->ops->start(l->e);
	if (err) {
		snprintf(why, whylen, "%s", l->e->why[0] ? l->e->why : strerror(-err));
		if (*ctl_fd >= 0)
			close(*ctl_fd);
		*ctl_fd = -1;
		quic_link_close(l);
		return err;
	}
	*out = l;
	return 0;
}

bool quic_link_over(const struct quic_link *l)
{
	return ENG_LOAD(conn_of(l)->done);
}

const char *quic_link_error(const struct quic_link *l)
{
	const struct quic_conn *c = conn_of(l);

	return ENG_LOAD(c->done) && c->err ? c->why : "";
}

/*
 * Closing right after the control code closed its end would cut its last
 * bytes: they get a moment to be acknowledged first.
 */
#define QL_LINGER_MS 500

void quic_link_close(struct quic_link *l)
{
	const struct quic_conn *c;

	if (!l)
		return;
	c = conn_of(l);
	for (int i = 0; i < QL_LINGER_MS / 5 && !ENG_LOAD(c->done) && !ENG_LOAD(c->ctl_quiet); i++)
		usleep(5000);
	l->e->ops->destroy(l->e); /* stops the thread, frees the connection and the engine */
	free(l->first);
	free(l);
}
