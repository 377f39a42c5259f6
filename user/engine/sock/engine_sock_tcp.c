// SPDX-License-Identifier: MIT
/*
 * TCP flow loops of the socket engine: a sender that writes the constant
 * payload (send, sendfile or MSG_ZEROCOPY), paced by the kernel or by a token
 * bucket, honouring the shared byte budget; and a receiver that discards what
 * it reads (MSG_TRUNC: TCP drops the data without copying it out).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/sock/engine_sock_priv.h"
#include "base/log.h"
#include "timeutil.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif

#define ZC_DRAIN_EVERY 16   /* MSG_ZEROCOPY sends between error-queue drains */
#define ZC_WAIT_MS     100  /* wait for completions when optmem is exhausted */
#define RECV_MARK      0x5a /* detects whether MSG_TRUNC skipped the copy */

/*
 * Kernel pacing (fq or TCP internal pacing, kernel >= 4.13). The 8-byte form
 * of SO_MAX_PACING_RATE (kernel >= 4.20) carries rates above 34 Gbit/s.
 * TCP_NOTSENT_LOWAT keeps the unsent queue near one write, so the sender's
 * count follows the wire instead of running a socket buffer ahead.
 */
static bool tcp_kernel_pace(struct sock_flow *f, uint64_t rate_bps)
{
	uint64_t bytes_s = rate_bps / 8 + (rate_bps % 8 != 0);
	int lowat = (int)f->chunk;

	if (!f->st->is_tcp)
		return false;
	if (setsockopt(f->st->fd, SOL_SOCKET, SO_MAX_PACING_RATE, &bytes_s, sizeof(bytes_s)) < 0) {
		pr_debug("SO_MAX_PACING_RATE: %s; pacing in user space", strerror(errno));
		return false;
	}
	if (setsockopt(f->st->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat)) < 0)
		pr_debug("TCP_NOTSENT_LOWAT: %s", strerror(errno));
	return true;
}

/* The payload as a memfd, for sendfile(2). -1 (and a debug line) if impossible. */
static int payload_memfd(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	ssize_t r;
	int fd = memfd_create("xfr-payload", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		goto fail;
	while (off < len) {
		r = pwrite(fd, buf + off, len - off, (off_t)off);
		if (r <= 0)
			goto fail;
		off += (size_t)r;
	}
	return fd;
fail:
	pr_debug("payload memfd: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Once per engine: the memfd sendfile(2) sends from, when -Z may use it. */
static int tcp_prepare(struct sock_eng *se)
{
	if (se->p.zerocopy == XFR_ZC_AUTO || se->p.zerocopy == XFR_ZC_SENDFILE)
		se->memfd = payload_memfd(se->payload, se->p.length);
	return 0;
}

static enum sock_tx tcp_pick_tx(struct sock_flow *f)
{
	struct sock_eng *se = f->eng;
	int one = 1;

	switch (se->p.zerocopy) {
	case XFR_ZC_AUTO:
		return se->memfd >= 0 ? SOCK_TX_SENDFILE : SOCK_TX_SEND;
	case XFR_ZC_SENDFILE:
		if (se->memfd >= 0)
			return SOCK_TX_SENDFILE;
		eng_warn_once(&se->warned_sendfile,
			      "--zerocopy=sendfile: no memfd for the payload; using send()");
		return SOCK_TX_SEND;
	case XFR_ZC_MSG:
		if (setsockopt(f->st->fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) == 0)
			return SOCK_TX_MSG_ZC;
		eng_warn_once(&se->warned_msgzc,
			      "--zerocopy=msg: SO_ZEROCOPY not supported here; using send()");
		return SOCK_TX_SEND;
	case XFR_ZC_OFF:
	default:
		return SOCK_TX_SEND;
	}
}

static int tcp_setup_sender(struct sock_flow *f, uint64_t rate_bps)
{
	f->chunk = f->eng->p.length;
	f->tx = tcp_pick_tx(f);
	f->upace = false;
	f->resume_gen = eng_gate_gen(&f->eng->gate);
	if (!rate_bps)
		return 0;
	f->chunk = pacing_chunk(rate_bps, f->eng->p.length);
	if (tcp_kernel_pace(f, rate_bps))
		return 0;
	f->upace = true;
	pacing_init(&f->pace, rate_bps, pacing_burst(rate_bps, f->chunk), time_mono_ns());
	return 0;
}

/* Completions only bound optmem: the payload never changes, so just drop them. */
static void zc_drain(int fd)
{
	char ctl[256];
	struct msghdr msg;
	int i;

	for (i = 0; i < 1024; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
	}
}

static void zc_wait(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = 0};

	poll(&pfd, 1, ZC_WAIT_MS); /* POLLERR is reported without being asked for */
	zc_drain(fd);
}

static ssize_t tx_once(struct sock_flow *f, uint32_t off, size_t n)
{
	struct sock_eng *se = f->eng;
	off_t foff = off;

	switch (f->tx) {
	case SOCK_TX_SENDFILE:
		return sendfile(f->st->fd, se->memfd, &foff, n);
	case SOCK_TX_MSG_ZC:
		return send(f->st->fd, se->payload + off, n, MSG_NOSIGNAL | MSG_ZEROCOPY);
	case SOCK_TX_SEND:
	default:
		return send(f->st->fd, se->payload + off, n, MSG_NOSIGNAL);
	}
}

/* A send error we can recover from by changing method; false = real error. */
static bool tx_recover(struct sock_flow *f, int err)
{
	struct sock_eng *se = f->eng;

	if (f->tx == SOCK_TX_SENDFILE && !ENG_LOAD(f->ctr.calls) &&
	    (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP)) {
		if (se->p.zerocopy == XFR_ZC_SENDFILE)
			eng_warn_once(&se->warned_sendfile,
				      "--zerocopy=sendfile: sendfile() not supported on this "
				      "socket; using send()");
		f->tx = SOCK_TX_SEND;
		return true;
	}
	if (f->tx == SOCK_TX_MSG_ZC && err == ENOBUFS) {
		zc_wait(f->st->fd);
		return true;
	}
	return err == EINTR;
}

/* Write exactly n payload bytes (a claim), counting each call. */
static int tx_claim(struct sock_flow *f, uint32_t n)
{
	uint32_t off = 0;
	ssize_t r;

	while (off < n) {
		r = tx_once(f, off, n - off);
		if (r > 0) {
			sock_count(f, (uint64_t)r);
			off += (uint32_t)r;
			continue;
		}
		if (r == 0)
			return -EIO;
		if (!tx_recover(f, errno))
			return -errno;
	}
	if (f->tx == SOCK_TX_MSG_ZC && ++f->zc_unreaped >= ZC_DRAIN_EVERY) {
		zc_drain(f->st->fd);
		f->zc_unreaped = 0;
	}
	return 0;
}

static int tcp_send_loop(struct sock_flow *f)
{
	struct sock_eng *se = f->eng;
	uint64_t n;
	int err;

	for (;;) {
		if (eng_gate_tx_stopped(&se->gate))
			return 0;
		if (sock_tx_hold(f, f->chunk))
			continue;
		n = eng_budget_claim(&se->budget, f->chunk);
		if (!n) {
			/* graceful: the peer reads everything, then EOF */
			shutdown(f->st->fd, SHUT_WR);
			return 0;
		}
		err = tx_claim(f, (uint32_t)n);
		if (err)
			return eng_gate_tx_stopped(&se->gate) ? 0 : err;
		if (f->upace)
			pacing_sent(&f->pace, n);
	}
}

/* MSG_TRUNC on TCP discards without copying; the buffer is full size anyway so
 * a kernel that copies regardless stays safe (it is only slower). */
static void rx_check_trunc(struct sock_eng *se, const uint8_t *buf, ssize_t r)
{
	int i;

	if (r < 16 || __atomic_exchange_n(&se->logged_trunc, true, __ATOMIC_RELAXED))
		return;
	for (i = 0; i < 16; i++)
		if (buf[i] != RECV_MARK) {
			pr_debug("recv(MSG_TRUNC) copied data: receiving with copies");
			return;
		}
	pr_debug("recv(MSG_TRUNC) discards without copying");
}

static int tcp_recv_loop(struct sock_flow *f)
{
	struct sock_eng *se = f->eng;
	uint8_t *buf = malloc(se->rlen);
	int err = 0;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	memset(buf, RECV_MARK, 16);
	for (;;) {
		r = recv(f->st->fd, buf, se->rlen, MSG_TRUNC);
		if (r > 0) {
			if (!ENG_LOAD(f->ctr.calls))
				rx_check_trunc(se, buf, r);
			sock_count(f, (uint64_t)r);
			if (eng_gate_stopped(&se->gate))
				break;
			continue;
		}
		if (r == 0)
			break;
		if (errno == EINTR)
			continue;
		err = eng_gate_stopped(&se->gate) ? 0 : -errno;
		break;
	}
	free(buf);
	return err;
}

/*
 * Senders write from the engine's shared payload. A receiver's buffer is
 * se->rlen bytes, but MSG_TRUNC discards without copying: only the page with
 * the mark is ever touched.
 */
static size_t tcp_flow_mem(const struct engine_params *p, uint64_t rate_bps, bool sending)
{
	(void)p;
	(void)rate_bps;
	return sending ? 0 : 4096;
}

const struct sock_transport sock_tcp_transport = {
	.min_len = 1,
	.max_len = SOCK_MAX_LEN,
	.has_eof = true,
	.prepare = tcp_prepare,
	.setup_sender = tcp_setup_sender,
	.send_loop = tcp_send_loop,
	.recv_loop = tcp_recv_loop,
	.flow_mem = tcp_flow_mem,
};
