// SPDX-License-Identifier: MIT
/* Control channel framing: bounded NDJSON reader, bounded write queue. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "timeutil.h"
#include "control/ctrl.h"
#include "control/foreign.h"

int ctrl_init(struct ctrl_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->rbuf = malloc(PROTO_MAX_LINE + 1);
	c->rcap = PROTO_MAX_LINE;
	return c->rbuf ? 0 : -ENOMEM;
}

void ctrl_close(struct ctrl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->tx) {
		pframe_wipe(c->tx);
		pframe_wipe(c->rx);
		OPENSSL_cleanse(c->rbuf, c->rlen);
	}
	free(c->tx);
	free(c->rx);
	c->tx = c->rx = NULL;
	free(c->rbuf);
	free(c->wbuf);
	c->rbuf = c->wbuf = NULL;
	c->rlen = c->rstart = c->wlen = c->woff = c->wcap = c->peeked = 0;
}

/* Move unconsumed bytes to the front so a full line always fits. */
static void compact(struct ctrl_conn *c)
{
	if (!c->rstart)
		return;
	memmove(c->rbuf, c->rbuf + c->rstart, c->rlen - c->rstart);
	c->rlen -= c->rstart;
	c->rstart = 0;
}

int ctrl_fill(struct ctrl_conn *c)
{
	ssize_t n;

	compact(c);
	if (c->rlen >= c->rcap)
		return 0; /* full: ctrl_next_line reports the overlong line */
	n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
	if (n > 0) {
		c->rlen += (size_t)n;
		return (int)n;
	}
	if (n == 0) {
		c->eof = true;
		return -ECONNRESET;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
}

/*
 * Next complete line (without '\n', NUL-terminated in place). Returns 1 and
 * sets *line and *len, 0 when no complete line is buffered, -EMSGSIZE when the
 * line exceeds PROTO_MAX_LINE.
 */
static int ctrl_next_line(struct ctrl_conn *c, char **line, size_t *len)
{
	char *start = c->rbuf + c->rstart;
	size_t avail = c->rlen - c->rstart;
	char *nl = memchr(start, '\n', avail);

	if (!nl)
		return avail >= PROTO_MAX_LINE ? -EMSGSIZE : 0;
	*nl = '\0';
	*line = start;
	*len = (size_t)(nl - start);
	if (*len && start[*len - 1] == '\r') /* tolerate CRLF */
		start[--*len] = '\0';
	c->rstart += (size_t)(nl - start) + 1;
	c->peeked = 0;
	return 1;
}

/* Room in rbuf for a whole frame of len payload bytes (len <= PFRAME_MAX). */
static int frame_room(struct ctrl_conn *c, uint32_t len)
{
	size_t need = PFRAME_HDR + (size_t)len;
	char *nb;

	if (need <= c->rcap)
		return 0;
	nb = realloc(c->rbuf, need + 1);
	if (!nb)
		return -ENOMEM;
	c->rbuf = nb;
	c->rcap = need;
	return 0;
}

/* The next protected frame, opened and decoded: as ctrl_next_msg. */
static int next_frame(struct ctrl_conn *c, struct proto_msg *m, char *err, size_t errlen)
{
	unsigned char *start = (unsigned char *)c->rbuf + c->rstart, *pt;
	size_t avail = c->rlen - c->rstart, ptlen = 0;
	uint32_t len;
	int rc;

	if (avail < PFRAME_HDR)
		return 0;
	rc = pframe_length(start, &len, err, errlen);
	if (rc)
		return rc;
	if (frame_room(c, len)) {
		snprintf(err, errlen, "out of memory for a protected frame");
		return -ENOMEM;
	}
	if (avail < PFRAME_HDR + (size_t)len)
		return 0;
	pt = malloc(len);
	if (!pt) {
		snprintf(err, errlen, "out of memory for a protected frame");
		return -ENOMEM;
	}
	rc = pframe_open(c->rx, start + PFRAME_HDR, len, pt, &ptlen, err, errlen);
	if (!rc) {
		c->rstart += PFRAME_HDR + (size_t)len;
		c->peeked = 0;
		rc = proto_decode((const char *)pt, ptlen, m, err, errlen);
		OPENSSL_cleanse(pt, ptlen);
	}
	free(pt);
	return rc ? rc : 1;
}

/* Leading and trailing white space is not part of a hello's transcript bytes. */
static void keep_line(struct ctrl_conn *c, const char *line, size_t len)
{
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	c->line = line;
	c->line_len = len;
}

int ctrl_next_msg(struct ctrl_conn *c, struct proto_msg *m, char *err, size_t errlen)
{
	char *line;
	size_t len;
	int rc;

	if (c->rx)
		return next_frame(c, m, err, errlen);
	rc = ctrl_next_line(c, &line, &len);

	if (rc == -EMSGSIZE) {
		snprintf(err, errlen, "control line too long (limit %d bytes)", PROTO_MAX_LINE);
		return rc;
	}
	if (rc <= 0)
		return rc;
	keep_line(c, line, len);
	rc = proto_decode(line, len, m, err, errlen);
	return rc ? rc : 1;
}

const char *ctrl_last_line(const struct ctrl_conn *c, size_t *len)
{
	*len = c->line_len;
	return c->line;
}

int ctrl_protect(struct ctrl_conn *c, const struct auth_keys *k, bool server)
{
	c->tx = malloc(sizeof(*c->tx));
	c->rx = malloc(sizeof(*c->rx));
	if (!c->tx || !c->rx) {
		free(c->tx);
		free(c->rx);
		c->tx = c->rx = NULL;
		return -ENOMEM;
	}
	pframe_init(c->tx, server ? k->s2c : k->c2s, server ? PFRAME_S2C : PFRAME_C2S);
	pframe_init(c->rx, server ? k->c2s : k->s2c, server ? PFRAME_C2S : PFRAME_S2C);
	c->line = NULL;
	c->line_len = 0;
	return 0;
}

bool ctrl_protected(const struct ctrl_conn *c)
{
	return c->tx != NULL;
}

/*
 * Decode one buffered line (start, len) from a copy, so nothing is consumed:
 * 1 when it is a message of @type (*m filled, the caller frees it), 0 when it
 * is another, < 0 when it does not decode (err set).
 */
static int peek_one(const char *start, size_t len, enum proto_type type, struct proto_msg *m,
		    char *err, size_t errlen)
{
	char *copy = malloc(len + 1);
	int rc;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, start, len);
	copy[len] = '\0';
	if (len && copy[len - 1] == '\r')
		copy[--len] = '\0';
	rc = proto_decode(copy, len, m, err, errlen);
	free(copy);
	if (rc)
		return rc;
	if (m->type == type)
		return 1;
	proto_msg_free(m);
	return 0;
}

int ctrl_find(struct ctrl_conn *c, enum proto_type type, struct proto_msg *m, char *err,
	      size_t errlen)
{
	const char *nl;
	size_t off;
	int rc;

	/* Protected frames cannot be peeked: decrypting one consumes its sequence number. */
	if (ctrl_protected(c))
		return 0;
	if (c->peek_type != type)
		c->peeked = 0;
	c->peek_type = type;
	off = c->rstart + c->peeked;
	while ((nl = memchr(c->rbuf + off, '\n', c->rlen - off))) {
		rc = peek_one(c->rbuf + off, (size_t)(nl - (c->rbuf + off)), type, m, err, errlen);
		if (rc)
			return rc;
		off = (size_t)(nl - c->rbuf) + 1;
		c->peeked = off - c->rstart;
	}
	return 0;
}

static int queue(struct ctrl_conn *c, const char *buf, size_t len)
{
	size_t need = c->wlen - c->woff + len;
	char *nb;

	if (need > CTRL_WQ_MAX)
		return -ENOBUFS;
	if (c->woff) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	if (need > c->wcap) {
		nb = realloc(c->wbuf, need);
		if (!nb)
			return -ENOMEM;
		c->wbuf = nb;
		c->wcap = need;
	}
	memcpy(c->wbuf + c->wlen, buf, len);
	c->wlen += len;
	return 0;
}

int ctrl_flush(struct ctrl_conn *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		c->woff += (size_t)n;
	}
	c->woff = c->wlen = 0;
	return 0;
}

bool ctrl_pending(const struct ctrl_conn *c)
{
	return c->woff < c->wlen;
}

int ctrl_send_raw(struct ctrl_conn *c, const char *buf, size_t len)
{
	int err = queue(c, buf, len);

	if (err)
		return err;
	err = ctrl_flush(c);
	return err == -EAGAIN ? 0 : err;
}

/* A protected message: the JSON without its '\n', sealed into one frame. */
static int queue_sealed(struct ctrl_conn *c, char *line, size_t len)
{
	unsigned char *f;
	size_t flen;
	int err;

	err = pframe_seal(c->tx, line, len ? len - 1 : 0, &f, &flen);
	if (err)
		return err;
	err = queue(c, (const char *)f, flen);
	free(f);
	return err;
}

int ctrl_send(struct ctrl_conn *c, const struct proto_msg *m)
{
	size_t len;
	char *line = proto_encode(m, &len);
	int err;

	if (!line)
		return -errno;
	err = c->tx ? queue_sealed(c, line, len) : queue(c, line, len);
	OPENSSL_cleanse(line, len);
	free(line);
	if (err)
		return err;
	err = ctrl_flush(c);
	return err == -EAGAIN ? 0 : err;
}

int ctrl_send_error(struct ctrl_conn *c, const char *fmt, ...)
{
	struct proto_msg m;
	va_list ap;
	int err;

	proto_msg_init(&m, MSG_ERROR);
	va_start(ap, fmt);
	vsnprintf(m.text.text, sizeof(m.text.text), fmt, ap);
	va_end(ap);
	err = ctrl_send(c, &m);
	proto_msg_free(&m);
	return err;
}

static int remaining_ms(uint64_t deadline_ns)
{
	uint64_t now = time_mono_ns();

	return now >= deadline_ns ? 0
				  : (int)((deadline_ns - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

int ctrl_recv_wait(struct ctrl_conn *c, struct proto_msg *m, int timeout_ms, int stop_fd, char *err,
		   size_t errlen)
{
	uint64_t deadline =
		time_mono_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * NSEC_PER_MSEC;
	struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
	int rc, n;

	for (;;) {
		if (!c->rx && foreign_bytes(c->rbuf + c->rstart, c->rlen - c->rstart)) {
			snprintf(err, errlen, "not JSON");
			return -EBADMSG;
		}
		rc = ctrl_next_msg(c, m, err, errlen);
		if (rc)
			return rc < 0 ? rc : 0;
		if (c->eof) {
			snprintf(err, errlen, "connection closed by peer");
			return -ECONNRESET;
		}
		n = poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms < 0 ? -1 : remaining_ms(deadline));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0) {
			snprintf(err, errlen, "timed out waiting for the peer");
			return -ETIMEDOUT;
		}
		if (stop_fd >= 0 && (p[1].revents & POLLIN))
			return -EINTR;
		rc = ctrl_fill(c);
		if (rc < 0 && rc != -ECONNRESET) {
			snprintf(err, errlen, "control connection: %s", strerror(-rc));
			return rc;
		}
	}
}

int ctrl_flush_wait(struct ctrl_conn *c, int timeout_ms)
{
	uint64_t deadline = time_mono_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	struct pollfd p = {.fd = c->fd, .events = POLLOUT};
	int err;

	while ((err = ctrl_flush(c)) == -EAGAIN) {
		if (poll(&p, 1, remaining_ms(deadline)) == 0)
			return -ETIMEDOUT;
	}
	return err;
}

const char *ctrl_peek(const struct ctrl_conn *c, size_t *len)
{
	*len = c->rlen - c->rstart;
	return c->rbuf + c->rstart;
}
