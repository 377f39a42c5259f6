// SPDX-License-Identifier: MIT
/*
 * A QUIC test's one connection (see quic_link.h): an engine of the QUIC ops
 * with one connection and no flows of its own, whose connection carries the
 * control stream (quic_ctl.c) and the test's data streams (quic_data.c) for
 * the engine that attaches to it.
 *
 * The engine finds the connection through the descriptors it is given: the
 * run core hands an engine one descriptor per stream, and for a test on a
 * QUIC connection those are tokens (quic_link_token(): UDP sockets never
 * bound, known here by their inode). The control channel's end is known the
 * same way (quic_link_of_fd()), so the server's ports see that a test's
 * control runs over QUIC. Each engine that took a token holds a reference;
 * the connection goes when the last is dropped.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quic/engine_quic.h"
#include "quic/quic_link.h"

struct quic_link {
	struct engine *e;
	uint8_t *first;
	uint32_t refs; /* under reg_mu: the owner's, and each engine's */
};

/* fds known by inode: the control channel's end, and tokens not yet taken */
struct ql_ref {
	struct ql_ref *next;
	dev_t dev;
	ino_t ino;
	bool token;
	struct quic_link *l;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ql_ref *reg;

static struct quic_conn *conn_of(const struct quic_link *l)
{
	return &((struct quic_eng *)l->e->priv)->conns[0];
}

static int reg_add(struct quic_link *l, int fd, bool token)
{
	struct ql_ref *r = calloc(1, sizeof(*r));
	struct stat st;

	if (!r || fstat(fd, &st)) {
		free(r);
		return -ENOMEM;
	}
	*r = (struct ql_ref){.dev = st.st_dev, .ino = st.st_ino, .token = token, .l = l};
	pthread_mutex_lock(&reg_mu);
	r->next = reg;
	reg = r;
	pthread_mutex_unlock(&reg_mu);
	return 0;
}

/* The entry of fd (reg_mu held), or NULL. */
static struct ql_ref **reg_find(int fd)
{
	struct ql_ref **pp;
	struct stat st;

	if (fstat(fd, &st))
		return NULL;
	for (pp = &reg; *pp; pp = &(*pp)->next)
		if ((*pp)->dev == st.st_dev && (*pp)->ino == st.st_ino)
			return pp;
	return NULL;
}

static void reg_forget(struct quic_link *l)
{
	struct ql_ref **pp = &reg, *r;

	pthread_mutex_lock(&reg_mu);
	while ((r = *pp)) {
		if (r->l == l) {
			*pp = r->next;
			free(r);
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&reg_mu);
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
	c->ds = calloc(XFR_MAX_STREAMS, sizeof(*c->ds));
	if (!c->ds)
		return -ENOMEM;
	for (uint32_t i = 0; i < XFR_MAX_STREAMS; i++)
		c->ds[i].tx_sid = c->ds[i].rx_sid = -1;
	pthread_mutex_init(&c->att_mu, NULL);
	pthread_cond_init(&c->att_cv, NULL);
	err = quic_ctl_init(&c->ctl, ctl_fd);
	if (err) {
		snprintf(e->why, sizeof(e->why), "cannot set up the QUIC control channel: %s",
			 strerror(-err));
		return err;
	}
	c->link = true;
	return reg_add(l, *ctl_fd, false);
}

static void link_free(struct quic_link *l)
{
	struct quic_conn *c = conn_of(l);

	reg_forget(l);
	l->e->ops->stop(l->e, true); /* the thread ends */
	if (c->link) {
		pthread_mutex_destroy(&c->att_mu);
		pthread_cond_destroy(&c->att_cv);
	}
	free(c->ds);
	l->e->ops->destroy(l->e); /* frees the connection and the engine */
	free(l->first);
	free(l);
}

/* Start the connection's thread, or (driven) only count it as the link engine's one flow. */
static int link_start(struct quic_link *l, bool driven)
{
	struct quic_eng *q = l->e->priv;

	if (!driven)
		return l->e->ops->start(l->e);
	eng_done_init(&q->done, -1, 1); /* quic_conn_end() counts it out */
	q->started = true;
	return 0;
}

static int link_open(struct quic_link **out, int udp_fd, bool server, const struct engine_params *p,
		     const uint8_t *first, size_t first_len, int *ctl_fd, char *why, size_t whylen,
		     bool driven)
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
	l->refs = 1;
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
		err = link_start(l, driven);
	if (err) {
		snprintf(why, whylen, "%s", l->e->why[0] ? l->e->why : strerror(-err));
		if (*ctl_fd >= 0)
			close(*ctl_fd);
		*ctl_fd = -1;
		link_free(l);
		return err;
	}
	*out = l;
	return 0;
}

int quic_link_open(struct quic_link **out, int udp_fd, bool server, const struct engine_params *p,
		   const uint8_t *first, size_t first_len, int *ctl_fd, char *why, size_t whylen)
{
	return link_open(out, udp_fd, server, p, first, first_len, ctl_fd, why, whylen, false);
}

int quic_link_open_driven(struct quic_link **out, int udp_fd, bool server,
			  const struct engine_params *p, const uint8_t *first, size_t first_len,
			  int *ctl_fd, char *why, size_t whylen)
{
	return link_open(out, udp_fd, server, p, first, first_len, ctl_fd, why, whylen, true);
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

struct quic_link *quic_link_of_fd(int fd)
{
	struct ql_ref **pp;
	struct quic_link *l = NULL;

	pthread_mutex_lock(&reg_mu);
	pp = reg_find(fd);
	if (pp && !(*pp)->token)
		l = (*pp)->l;
	pthread_mutex_unlock(&reg_mu);
	return l;
}

int quic_link_token(struct quic_link *l)
{
	int family = AF_INET, err, fd;
	socklen_t len = sizeof(family);

	/* the connection's family: the run core applies the stream options to it */
	getsockopt(conn_of(l)->fd, SOL_SOCKET, SO_DOMAIN, &family, &len);
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = reg_add(l, fd, true);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

struct quic_link *quic_link_take(int fd)
{
	struct ql_ref **pp, *r = NULL;
	struct quic_link *l = NULL;

	pthread_mutex_lock(&reg_mu);
	pp = reg_find(fd);
	if (pp && (*pp)->token) {
		r = *pp;
		*pp = r->next;
		l = r->l;
		l->refs++;
	}
	pthread_mutex_unlock(&reg_mu);
	free(r);
	return l;
}

struct quic_conn *quic_link_conn(struct quic_link *l)
{
	return conn_of(l);
}

/* Closing right after the control code closed its end would cut its last bytes. */
#define QL_LINGER_MS 500

void quic_link_close(struct quic_link *l)
{
	const struct quic_conn *c;
	bool last;

	if (!l)
		return;
	c = conn_of(l);
	pthread_mutex_lock(&reg_mu);
	last = --l->refs == 0;
	pthread_mutex_unlock(&reg_mu);
	if (!last)
		return;
	for (int i = 0; i < QL_LINGER_MS / 5 && !ENG_LOAD(c->done) && !ENG_LOAD(c->ctl_quiet); i++)
		usleep(5000);
	link_free(l);
}
