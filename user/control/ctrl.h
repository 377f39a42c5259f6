/* SPDX-License-Identifier: MIT */
/*
 * Control channel framing: newline-delimited JSON, lines capped at
 * PROTO_MAX_LINE, a bounded write queue. Non-blocking; the caller's loop says
 * when the fd is readable or writable.
 */
#ifndef XFR_CONTROL_CTRL_H
#define XFR_CONTROL_CTRL_H

#include <stdbool.h>
#include <stddef.h>

#include "control/auth.h"
#include "control/pframe.h"
#include "control/proto.h"

#define CTRL_WQ_MAX (1024 * 1024) /* a peer that never reads is dropped past this */

struct ctrl_conn {
	int fd;
	char *rbuf;
	size_t rlen;
	size_t rstart; /* first unconsumed byte */
	size_t peeked; /* ctrl_find: bytes after rstart already looked through for peek_type */
	enum proto_type peek_type;
	char *wbuf;
	size_t wlen;
	size_t woff;
	size_t wcap;
	bool eof;
	size_t rcap;		/* rbuf's room: a line, or a protected frame up to PFRAME_MAX */
	struct pframe *tx, *rx; /* protected_control_v1 once set (ctrl_protect); NULL = NDJSON */
	const char *line;	/* the last plaintext message's bytes (ctrl_last_line) */
	size_t line_len;
};

int ctrl_init(struct ctrl_conn *c, int fd);
/* Closes the fd too. */
void ctrl_close(struct ctrl_conn *c);

/*
 * Read what is available. Returns bytes read (> 0), 0 when nothing is there
 * (EAGAIN), -ECONNRESET at EOF (sets eof), or -errno.
 */
int ctrl_fill(struct ctrl_conn *c);

/* Next decoded message: 1 = *m filled, 0 = need more, < 0 error with err set. */
int ctrl_next_msg(struct ctrl_conn *c, struct proto_msg *m, char *err, size_t errlen);

/*
 * Look through the buffered complete lines, consuming none: 1 = one is a
 * message of @type (*m filled; proto_msg_free it), 0 = none is, < 0 = a line
 * that does not decode (err set). The client uses it to see a server's error
 * while it starts its streams, leaving the intervals for the run. Lines
 * already looked through for the same type are not decoded again.
 */
int ctrl_find(struct ctrl_conn *c, enum proto_type type, struct proto_msg *m, char *err,
	      size_t errlen);

/* Queue a message and try to write it. 0, or -ENOBUFS when the queue is over
 * CTRL_WQ_MAX, or -errno from the socket. */
int ctrl_send(struct ctrl_conn *c, const struct proto_msg *m);
int ctrl_send_error(struct ctrl_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Switch to protected frames (pframe.h) in both directions, from the next
 * message on; the keys are copied. The server sends with K_s2c. 0 or -ENOMEM.
 */
int ctrl_protect(struct ctrl_conn *c, const struct auth_keys *k, bool server);
bool ctrl_protected(const struct ctrl_conn *c);

/* Queue bytes as they are (a line kept for the PSK transcript); plaintext only. */
int ctrl_send_raw(struct ctrl_conn *c, const char *buf, size_t len);

/*
 * The exact bytes of the last plaintext message ctrl_next_msg decoded,
 * without its line end; valid until the next ctrl_fill.
 */
const char *ctrl_last_line(const struct ctrl_conn *c, size_t *len);

/* Write queued bytes: 0 when empty, -EAGAIN when some remain, -errno. */
int ctrl_flush(struct ctrl_conn *c);
bool ctrl_pending(const struct ctrl_conn *c);

/* Blocking helpers for the client: wait up to timeout_ms (-1 = forever) for a
 * message, returning -EINTR if stop_fd becomes readable, -ETIMEDOUT, or
 * -EBADMSG as soon as the buffered bytes cannot start a message (a peer that
 * speaks another protocol: ctrl_peek shows what it sent). */
int ctrl_recv_wait(struct ctrl_conn *c, struct proto_msg *m, int timeout_ms, int stop_fd, char *err,
		   size_t errlen);
/* The bytes received and not yet consumed. */
const char *ctrl_peek(const struct ctrl_conn *c, size_t *len);
/* Flush everything, waiting up to timeout_ms. */
int ctrl_flush_wait(struct ctrl_conn *c, int timeout_ms);

#endif
