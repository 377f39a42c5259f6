// SPDX-License-Identifier: MIT
/* The control stream's bridge to a socketpair (see quic_ctl.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "quic/quic_ctl.h"

int quic_ctl_init(struct quic_ctl *q, int *app_fd)
{
	int sv[2];

	*q = (struct quic_ctl){.fd = -1, .sid = -1};
	q->ring = malloc(QUIC_CTL_RING);
	q->in_cap = 64u * 1024;
	q->in = malloc(q->in_cap);
	if (!q->ring || !q->in) {
		quic_ctl_free(q);
		return -ENOMEM;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		int err = -errno;

		quic_ctl_free(q);
		return err;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	q->fd = sv[0];
	*app_fd = sv[1];
	return 0;
}

void quic_ctl_free(struct quic_ctl *q)
{
	if (q->fd >= 0)
		close(q->fd);
	free(q->ring);
	free(q->in);
	q->fd = -1;
	q->ring = q->in = NULL;
}

int quic_ctl_pull(struct quic_ctl *q)
{
	while (!q->app_eof && !q->closed && q->len < QUIC_CTL_RING) {
		size_t tail = (q->head + q->len) % QUIC_CTL_RING;
		size_t room = QUIC_CTL_RING - q->len;
		ssize_t n;

		if (room > QUIC_CTL_RING - tail)
			room = QUIC_CTL_RING - tail; /* up to the ring's end; the next turn wraps */
		n = recv(q->fd, q->ring + tail, room, MSG_DONTWAIT);
		if (n > 0) {
			q->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			q->app_eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		if (errno == ECONNRESET) {
			q->app_eof = true; /* the control code is gone: the stream ends */
			break;
		}
		return -errno;
	}
	return 0;
}

int quic_ctl_recv(struct quic_ctl *q, const uint8_t *data, size_t len, bool fin)
{
	if (len > QUIC_CTL_WINDOW - q->in_len)
		return -ENOBUFS; /* the peer ignored our flow control: ngtcp2 stops it first */
	if (q->in_len + len > q->in_cap) {
		size_t cap = q->in_cap;
		uint8_t *p;

		while (cap < q->in_len + len)
			cap *= 2;
		p = realloc(q->in, cap);
		if (!p)
			return -ENOMEM;
		q->in = p;
		q->in_cap = cap;
	}
	if (len) /* a FIN alone has no data (NULL) */
		memcpy(q->in + q->in_len, data, len);
	q->in_len += len;
	if (fin)
		q->peer_fin = true;
	return 0;
}

ssize_t quic_ctl_push(struct quic_ctl *q)
{
	size_t done = 0;
	ssize_t n;

	while (done < q->in_len) {
		n = send(q->fd, q->in + done, q->in_len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			q->app_eof = true; /* nobody reads: what the peer sends goes nowhere */
			done = q->in_len;
			break;
		}
		return -errno;
	}
	memmove(q->in, q->in + done, q->in_len - done);
	q->in_len -= done;
	if (q->peer_fin && !q->in_len && !q->shut) {
		q->shut = true;
		shutdown(q->fd, SHUT_WR); /* the control code reads EOF */
	}
	return (ssize_t)done;
}

void quic_ctl_acked(struct quic_ctl *q, size_t len)
{
	if (len > q->len)
		len = q->len;
	if (len > q->sent)
		len = q->sent; /* ngtcp2 acknowledges only what it was given */
	q->head = (q->head + len) % QUIC_CTL_RING;
	q->len -= len;
	q->sent -= len;
}

size_t quic_ctl_unsent(const struct quic_ctl *q, ngtcp2_vec v[2], bool *fin)
{
	size_t from = (q->head + q->sent) % QUIC_CTL_RING, n = q->len - q->sent, first;

	*fin = q->app_eof && !q->fin_sent;
	first = n < QUIC_CTL_RING - from ? n : QUIC_CTL_RING - from;
	v[0] = (ngtcp2_vec){.base = q->ring + from, .len = first};
	v[1] = (ngtcp2_vec){.base = q->ring, .len = n - first};
	return n;
}

void quic_ctl_sent(struct quic_ctl *q, size_t n, bool fin)
{
	q->sent += n;
	if (fin && q->sent == q->len)
		q->fin_sent = true;
}

short quic_ctl_events(const struct quic_ctl *q)
{
	short ev = 0;

	if (q->fd < 0 || q->closed)
		return 0;
	if (!q->app_eof && q->len < QUIC_CTL_RING)
		ev |= POLLIN;
	if (q->in_len)
		ev |= POLLOUT;
	return ev;
}
