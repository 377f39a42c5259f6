// SPDX-License-Identifier: MIT
/*
 * TCP flow loops of the socket engine: a sender that writes the constant
 * payload (send, sendfile or MSG_ZEROCOPY), paced by the kernel or by a token
 * bucket, honouring the shared byte budget; and a receiver that discards what
 * it reads (MSG_TRUNC: TCP drops the data without copying it out), woken once
 * per receive low-water mark sized to its rate (engine_sock_priv.h).
 *
 * Which write path is fastest depends on the CPU and the path: sendfile was
 * 1.4x iperf3 on one machine and 0.63x on a newer one where send() was 1.2x.
 * So an unpaced flow with the default --zerocopy (auto) measures: after a
 * 200 ms warm-up it runs send, sendfile, sendfile, send for 100 ms each (ABBA:
 * a rate still growing, as in slow start, favours neither) and keeps the one
 * that moved more bytes per second; within 5 % of each other, the one that
 * cost this thread less CPU per byte. The choice and both rates are reported.
 */
#include <errno.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>
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

#define ZC_DRAIN_EVERY 16 /* MSG_ZEROCOPY sends between error-queue drains */
#define PROBE_WARM_NS  (200 * NSEC_PER_MSEC)
#define PROBE_SLICE_NS (100 * NSEC_PER_MSEC)
#define PROBE_SLICES   4
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

static enum xfr_send_path tx_path_of(enum sock_tx tx)
{
	switch (tx) {
	case SOCK_TX_SENDFILE:
		return XFR_SEND_PATH_SENDFILE;
	case SOCK_TX_MSG_ZC:
		return XFR_SEND_PATH_MSG_ZC;
	case SOCK_TX_SEND:
	default:
		return XFR_SEND_PATH_SEND;
	}
}

static void tx_set(struct sock_flow *f, enum sock_tx tx)
{
	f->tx = tx;
	ENG_STORE(f->tx_path, (uint32_t)tx_path_of(tx));
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* The candidate of measured slice k (1..4): send, sendfile, sendfile, send. */
static int probe_cand(uint32_t k)
{
	return k == 2 || k == 3;
}

static void probe_decide(struct sock_flow *f)
{
	struct tx_probe *p = &f->probe;
	double rate[2], cpb[2];
	int i, best;

	for (i = 0; i < 2; i++) {
		rate[i] = p->ns[i] ? (double)p->bytes[i] * 8e3 / (double)p->ns[i] : 0; /* Mbit/s */
		cpb[i] = p->bytes[i] ? (double)p->cpu[i] / (double)p->bytes[i] : 1e30;
		ENG_STORE(f->probe_mbps[i],
			  rate[i] > 4e9 ? 4000000000u : (uint32_t)(rate[i] + 0.5));
	}
	if (rate[0] > rate[1] * 1.05)
		best = 0;
	else if (rate[1] > rate[0] * 1.05)
		best = 1;
	else
		best = cpb[1] < cpb[0];
	tx_set(f, best ? SOCK_TX_SENDFILE : SOCK_TX_SEND);
	pr_debug(
		"stream %u: send path %s (send %.0f Mbit/s %.3f ns/B, sendfile %.0f Mbit/s %.3f ns/B)",
		f->stream + 1, best ? "sendfile" : "send", rate[0], cpb[0], rate[1], cpb[1]);
}

/* After each write: close the slice that ended and switch candidates. */
static void probe_step(struct sock_flow *f)
{
	struct tx_probe *p = &f->probe;
	uint64_t now = time_mono_ns(), bytes, cpu;
	int c;

	if (p->slice > PROBE_SLICES || now < p->end_ns)
		return;
	bytes = ENG_LOAD(f->ctr.bytes);
	cpu = thread_cpu_ns();
	if (p->slice) {
		c = probe_cand(p->slice);
		p->bytes[c] += bytes - p->b0;
		p->ns[c] += now - (p->end_ns - PROBE_SLICE_NS);
		p->cpu[c] += cpu - p->cpu0;
	}
	if (++p->slice > PROBE_SLICES) {
		probe_decide(f);
		return;
	}
	p->b0 = bytes;
	p->cpu0 = cpu;
	p->end_ns = now + PROBE_SLICE_NS;
	tx_set(f, probe_cand(p->slice) ? SOCK_TX_SENDFILE : SOCK_TX_SEND);
}

static enum sock_tx tcp_pick_tx(struct sock_flow *f, uint64_t rate_bps)
{
	struct sock_eng *se = f->eng;
	int one = 1;

	switch (se->p.zerocopy) {
	case XFR_ZC_AUTO:
		/* measured when it can matter: unpaced, both paths there */
		if (se->memfd >= 0 && !rate_bps && f->st->is_tcp) {
			memset(&f->probe, 0, sizeof(f->probe));
			f->probe.end_ns = time_mono_ns() + PROBE_WARM_NS;
		} else {
			f->probe.slice = PROBE_SLICES + 1;
		}
		return SOCK_TX_SEND;
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
	uint64_t now;

	f->chunk = f->eng->p.length;
	f->probe.slice = PROBE_SLICES + 1; /* no measuring unless tcp_pick_tx starts it */
	tx_set(f, tcp_pick_tx(f, rate_bps));
	f->upace = false;
	f->resume_gen = eng_gate_gen(&f->eng->gate);
	if (!rate_bps)
		return 0;
	f->chunk = pacing_chunk(rate_bps, f->eng->p.length);
	if (tcp_kernel_pace(f, rate_bps))
		return 0;
	f->upace = true;
	now = time_mono_ns();
	pacing_init(&f->pace, rate_bps, pacing_burst(rate_bps, f->chunk), now);
	pacing_start_small(&f->pace, f->chunk, now); /* the first write at once, no burst */
	return 0;
}

/*
 * Completions only bound optmem: the payload never changes, so drop them,
 * except to notice SO_EE_CODE_ZEROCOPY_COPIED: the kernel copied the data
 * after all (a peer on this host, where the data is copied on delivery, or a
 * device without scatter-gather), so MSG_ZEROCOPY only adds work; say so once.
 */
static void zc_drain(struct sock_flow *f)
{
	char ctl[256];
	struct msghdr msg;
	struct cmsghdr *cm;
	const struct sock_extended_err *ee;
	int i, fd = f->st->fd;

	for (i = 0; i < 1024; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (const struct sock_extended_err *)CMSG_DATA(cm);
			if (ee->ee_origin == SO_EE_ORIGIN_ZEROCOPY &&
			    (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED))
				eng_warn_once(
					&f->eng->warned_zc_copied,
					"--zerocopy=msg: the kernel copies the payload on this "
					"path anyway (a peer on this host, or a device without "
					"scatter-gather): MSG_ZEROCOPY only adds work here");
		}
	}
}

static void zc_wait(struct sock_flow *f)
{
	struct pollfd pfd = {.fd = f->st->fd, .events = 0};

	poll(&pfd, 1, ZC_WAIT_MS); /* POLLERR is reported without being asked for */
	zc_drain(f);
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

	if (f->tx == SOCK_TX_SENDFILE &&
	    (!ENG_LOAD(f->ctr.calls) || f->probe.slice <= PROBE_SLICES) &&
	    (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP)) {
		if (se->p.zerocopy == XFR_ZC_SENDFILE)
			eng_warn_once(&se->warned_sendfile,
				      "--zerocopy=sendfile: sendfile() not supported on this "
				      "socket; using send()");
		f->probe.slice = PROBE_SLICES + 1; /* nothing to measure against */
		tx_set(f, SOCK_TX_SEND);
		return true;
	}
	if (f->tx == SOCK_TX_MSG_ZC && err == ENOBUFS) {
		zc_wait(f);
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
		zc_drain(f);
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
		if (f->probe.slice <= PROBE_SLICES)
			probe_step(f);
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

/* The receive low-water mark, re-chosen every epoch (engine_sock_priv.h). */
struct rx_lowat {
	uint64_t t0, bytes;
	uint32_t cur;
	bool timeo_set, said;
};

static void rx_lowat_step(struct sock_flow *f, struct rx_lowat *lw, uint64_t n)
{
	uint64_t now, ns;
	uint32_t want;
	double gbps;
	int v;

	lw->bytes += n;
	now = time_mono_ns();
	ns = now - lw->t0;
	if (ns < RX_LOWAT_EPOCH_NS)
		return;
	want = sock_rx_lowat(lw->bytes, ns);
	gbps = (double)lw->bytes * 8 / (double)ns;
	lw->t0 = now;
	lw->bytes = 0;
	if (want == lw->cur)
		return;
	if (!lw->timeo_set) {
		struct timeval tv = {.tv_usec = RX_LOWAT_TIMEO_MS * 1000};

		if (setsockopt(f->st->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			return; /* without the bound, never raise the mark */
		lw->timeo_set = true;
	}
	v = (int)want;
	if (setsockopt(f->st->fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) < 0)
		return;
	lw->cur = want;
	if (want > 1 && !lw->said) {
		lw->said = true;
		pr_debug("stream %u: receiving %.1f Gbit/s: reader woken per %u KiB (SO_RCVLOWAT)",
			 f->stream, gbps, want / 1024);
	}
}

static int tcp_recv_loop(struct sock_flow *f)
{
	struct sock_eng *se = f->eng;
	uint8_t *buf = malloc(se->rlen);
	struct rx_lowat lw = {.t0 = time_mono_ns(), .cur = 1};
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
			if (f->st->is_tcp)
				rx_lowat_step(f, &lw, (uint64_t)r);
			continue;
		}
		if (r == 0)
			break;
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && lw.timeo_set) {
			/* the receive timeout with nothing queued: a slow or paused flow */
			if (eng_gate_stopped(&se->gate))
				break;
			rx_lowat_step(f, &lw, 0);
			continue;
		}
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

static void tcp_sample(const struct sock_flow *f, struct engine_flow_sample *s)
{
	if (!f->sending)
		return;
	s->send_path = (enum xfr_send_path)ENG_LOAD(f->tx_path);
	s->probe_send_mbps = ENG_LOAD(f->probe_mbps[0]);
	s->probe_sendfile_mbps = ENG_LOAD(f->probe_mbps[1]);
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
	.sample = tcp_sample,
};
