// SPDX-License-Identifier: MIT
/*
 * UDP flow loops of the socket engine, on connected UDP sockets.
 *
 * Sender: datagrams of p.length bytes, each with the 16-byte data header
 * (sequence from 0, microseconds since the flow started), sent in batches:
 * one sendmsg with UDP_SEGMENT (GSO: up to 64 segments, < 64 KiB) or, where
 * the kernel or the path refuses GSO, sendmmsg of up to 64. A paced flow
 * sends about 1 ms of datagrams per batch from the token bucket of pacing.h.
 * Transient send errors are counted by cause and the batch is retried, so a
 * refused or dropped send never shows as loss at the receiver.
 *
 * Receiver: recvmsg of up to 64 KiB of UDP_GRO-coalesced segments, or
 * recvmmsg of up to 64 datagrams of which only the first 64 bytes are copied
 * (MSG_TRUNC reports the real length; the payload is never inspected). A GRO
 * receiver whose path does not coalesce (each read one datagram while a
 * backlog waits: a veth without NAPI, a NIC with GRO off) pays a system call
 * per datagram; after UDP_MMSG_AFTER such reads in a row it turns UDP_GRO off
 * and reads with recvmmsg (rx_to_mmsg). Each
 * datagram goes through the sequence tracker; SO_RXQ_OVFL tells how many the
 * kernel dropped because the socket buffer was full. The kernel counts a
 * dropped buffer once, and with GRO a buffer holds up to 64 datagrams: each
 * arriving buffer carries the counter as it was when the buffer was queued,
 * so the buffers dropped since the previous one queued are the hole in the
 * sequence between the two, and that hole is what they held (rx_gap_drops).
 *
 * Counters are published once per batch, never per datagram.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <linux/sock_diag.h>
#include <linux/sockios.h>

#include "engine/sock/engine_sock_priv.h"
#include "base/log.h"
#include "engine/sock/seqtrack.h"
#include "timeutil.h"
#include "wire.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#define UDP_BATCH_MAX	  64
#define UDP_GSO_MAX_BYTES XFR_UDP_MAX_PAYLOAD	/* one GSO send is one IPv4 datagram's worth */
#define UDP_FB_READ_NS	  (10 * NSEC_PER_MSEC)	/* sender: look for XFRF this often */
#define UDP_FB_SEND_NS	  (500 * NSEC_PER_MSEC) /* receiver: XFRF at 2 Hz */
#define UDP_POLL_MS	  100			/* receivers notice stop within this */
/*
 * Empty reads before a receiver sleeps in poll. Each sleep costs the sender
 * a wake-up (sock_def_readable took 20 % of a 64 B no-GSO sender's CPU on
 * veth): a receiver that re-reads a few times first is usually not asleep
 * when the next batch lands. ~0.3 us per empty recvmmsg. Only a flood
 * spins (p.rx_spin: the peer sends at -b 0; at 2 Gbit/s paced, spinning
 * doubled the receiver's CPU per GB), and only while its data is dense
 * (within the last UDP_SPIN_DENSE_NS).
 */
#define UDP_SPIN_READS	  64
#define UDP_SPIN_DENSE_NS (50 * NSEC_PER_USEC)
#define UDP_GRO_BUF	  65536
#define UDP_RX_SLOT	  64   /* recvmmsg copies this much per datagram: header or XFRF */
#define UDP_DRAIN_MAX	  4096 /* reads after stop: what was queued is counted */
#define UDP_OUTQ_WAIT_MS  2000 /* a sent budget: how long its datagrams may take to leave */
/*
 * GRO reads of one datagram each, none finding the socket empty, before a
 * receiver gives up on coalescing: a backlog of single datagrams. Across a veth
 * without NAPI (tx-udp-segmentation off, 64 B, -b 0) the GRO receiver took
 * 557 kpps (one recvmsg each, 1.8 us) and dropped 64 % in its full buffer.
 */
#define UDP_MMSG_AFTER 256
/* After UDP_GRO is turned off, what was coalesced before may still be queued:
 * whole-buffer reads go on until the socket is empty or this many reads and
 * UDP_MMSG_SETTLE_NS have passed (buffers in a NAPI poll at the switch). */
#define UDP_MMSG_SETTLE_NS (2 * NSEC_PER_MSEC)

union udp_cmsg {
	char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint32_t))];
	struct cmsghdr align;
};

static void store_double(uint64_t *dst, double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	ENG_STORE(*dst, b);
}

/*
 * udp_auth_v1 (a PSK session, both ends): XFRF is followed by the first 16
 * bytes of HMAC-SHA256(udp_key, the 36 bytes), udp_key expanded from the
 * session's PRK (control/auth.h). Then only the server can report progress.
 */
#define FB_TAG_LEN  16
#define FB_AUTH_LEN (XFR_FEEDBACK_LEN + FB_TAG_LEN)

static bool fb_tag(const struct engine_params *p, const uint8_t *fb, uint8_t tag[FB_TAG_LEN])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), p->udp_key, sizeof(p->udp_key), fb, XFR_FEEDBACK_LEN, mac, &n) ||
	    n < FB_TAG_LEN)
		return false;
	memcpy(tag, mac, FB_TAG_LEN);
	return true;
}

/* The shape authentication asks for, and a tag that verifies. */
static bool fb_authentic(const struct engine_params *ep, const uint8_t *p, size_t len)
{
	uint8_t tag[FB_TAG_LEN];

	if (!ep->udp_auth)
		return len == XFR_FEEDBACK_LEN;
	return len == FB_AUTH_LEN && fb_tag(ep, p, tag) &&
	       !CRYPTO_memcmp(tag, p + XFR_FEEDBACK_LEN, FB_TAG_LEN);
}

/*
 * XFRF progress for the sending flow f. Without a pre-shared key anybody who
 * can reach our connected socket from the peer's address and port can forge
 * one (bad-input N8); we accept only f's own stream_id and never let the
 * figures go backwards, and they are only ever displayed, never acted on.
 * Returns true when p is an XFRF packet (consumed whether accepted or not).
 */
static bool fb_take(struct sock_flow *f, const uint8_t *p, size_t len)
{
	struct wire_feedback fb;
	struct sock_udp_ctr *c;

	if ((len != XFR_FEEDBACK_LEN && len != FB_AUTH_LEN) ||
	    !wire_feedback_get(p, XFR_FEEDBACK_LEN, &fb))
		return false;
	if (!f || !f->sending || fb.stream_id != (uint16_t)f->stream)
		return true;
	c = &f->udp;
	if (!fb_authentic(&f->eng->p, p, len)) {
		if (f->eng->p.udp_auth) /* forged, or unauthenticated in a PSK session: dropped */
			ENG_ADD(c->fb_forged, 1);
		return true;
	}
	if (fb.packets_received < ENG_LOAD(c->fb_received) ||
	    fb.elapsed_ms < ENG_LOAD(c->fb_elapsed_ms))
		return true;
	ENG_STORE(c->fb_elapsed_ms, fb.elapsed_ms);
	ENG_STORE(c->fb_received, fb.packets_received);
	ENG_STORE(c->fb_lost, fb.packets_lost);
	ENG_STORE(c->has_fb, true);
	return true;
}

/* ---------------------------------------------------------------- sender */

struct udp_tx {
	struct sock_flow *f;
	int fd;
	uint32_t len;	/* datagram size */
	uint8_t *buf;	/* f->batch slots of len bytes, payload pre-filled */
	uint32_t n;	/* datagrams in the pending batch */
	uint32_t last;	/* size of its last datagram */
	uint64_t seq;	/* of the pending batch's first datagram */
	uint64_t t0_ns; /* flow start: timestamp origin */
	bool gso;	/* send batches with UDP_SEGMENT */
	bool gso_ok;	/* a GSO send went through: errors are real from now on */
	bool read_fb;	/* no receive thread on this socket: read XFRF here */
	uint64_t fb_next_ns;
	struct iovec iov[UDP_BATCH_MAX];
	struct mmsghdr msgs[UDP_BATCH_MAX];
};

/*
 * Datagrams per send call for a flow at rate_bps (0 = unlimited): about 1 ms
 * of them (one pacing step), at least 1, at most UDP_BATCH_MAX. The flow's
 * send buffer holds one batch, so this also sizes its memory: a slow flow of
 * big datagrams holds one, not 64 (64 x 65507 B was 4 MiB per flow whatever
 * the rate).
 */
static uint32_t udp_batch(uint64_t rate_bps, uint32_t len)
{
	uint64_t per_ms;

	if (!rate_bps)
		return UDP_BATCH_MAX;
	per_ms = rate_bps / (8 * (uint64_t)len) / 1000;
	if (per_ms > UDP_BATCH_MAX)
		return UDP_BATCH_MAX;
	return per_ms ? (uint32_t)per_ms : 1;
}

static int udp_setup_sender(struct sock_flow *f, uint64_t rate_bps)
{
	uint32_t len = f->eng->p.length;
	uint64_t now;

	f->batch = udp_batch(rate_bps, len);
	f->upace = rate_bps > 0;
	f->resume_gen = eng_gate_gen(&f->eng->gate);
	if (!rate_bps)
		return 0;
	f->chunk = f->batch * len;
	now = time_mono_ns();
	pacing_init(&f->pace, rate_bps, pacing_burst(rate_bps, f->chunk), now);
	pacing_start_small(&f->pace, len, now); /* no 20 ms burst into a cold receiver */
	return 0;
}

static struct udp_tx *tx_new(struct sock_flow *f)
{
	struct sock_eng *se = f->eng;
	struct udp_tx *t = calloc(1, sizeof(*t));
	uint32_t i;

	if (!t)
		return NULL;
	t->f = f;
	t->fd = f->st->fd;
	t->len = se->p.length;
	t->buf = malloc((size_t)f->batch * t->len); /* tx_batch_size() never asks for more */
	if (!t->buf) {
		free(t);
		return NULL;
	}
	for (i = 0; i < f->batch; i++) {
		memcpy(t->buf + (size_t)i * t->len, se->payload, t->len);
		t->iov[i].iov_base = t->buf + (size_t)i * t->len;
		t->iov[i].iov_len = t->len;
		t->msgs[i].msg_hdr.msg_iov = &t->iov[i];
		t->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t->gso = !se->p.udp_no_offload && UDP_GSO_MAX_BYTES / t->len >= 2;
	t->read_fb = !f->sibling;
	t->t0_ns = time_mono_ns();
	return t;
}

/* This batch's datagram count: the flow's, capped by what one GSO send holds. */
static uint32_t tx_batch_size(const struct udp_tx *t)
{
	uint32_t k = t->f->batch, cap = UDP_GSO_MAX_BYTES / t->len;

	if (t->gso && cap < k)
		k = cap;
	return k;
}

/*
 * Claim k datagrams' worth of the byte budget. Only the test's last claim can
 * come back short: its remainder goes out as one shorter datagram, at least
 * the 16-byte header. So when the budget is not a whole number of datagrams
 * and its last piece is under 16 bytes, the flow sends up to 15 bytes more
 * than the budget (a datagram cannot be shorter than its header).
 */
static bool tx_claim(struct udp_tx *t, uint32_t k)
{
	struct sock_eng *se = t->f->eng;
	uint64_t n = eng_budget_claim(&se->budget, (uint64_t)k * t->len), rem;

	if (!n)
		return false;
	t->n = (uint32_t)(n / t->len);
	t->last = t->len;
	rem = n % t->len;
	if (rem) {
		t->n++;
		t->last = rem < XFR_UDP_HDR_LEN ? XFR_UDP_HDR_LEN : (uint32_t)rem;
	}
	return true;
}

static void tx_headers(struct udp_tx *t, uint64_t now_ns)
{
	uint64_t ts = (now_ns - t->t0_ns) / NSEC_PER_USEC;
	uint32_t i;

	for (i = 0; i < t->n; i++)
		wire_data_put(t->buf + (size_t)i * t->len, t->seq + i, ts);
}

static uint64_t tx_bytes(const struct udp_tx *t, uint32_t from, uint32_t cnt)
{
	uint64_t b = (uint64_t)cnt * t->len;

	if (from + cnt == t->n)
		b -= t->len - t->last;
	return b;
}

static void tx_count(struct udp_tx *t, uint32_t from, uint32_t cnt)
{
	sock_count(t->f, tx_bytes(t, from, cnt));
	ENG_ADD(t->f->udp.packets, cnt);
}

/* One send call from datagram off on: how many went, or -errno. */
static int tx_once(struct udp_tx *t, uint32_t off)
{
	union udp_cmsg ctl;
	struct msghdr msg = {.msg_iov = &t->iov[0], .msg_iovlen = 1};
	struct iovec iov = {.iov_base = t->buf, .iov_len = tx_bytes(t, 0, t->n)};
	struct cmsghdr *cm;
	int r;

	if (t->gso && off == 0 && t->n > 1) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_iov = &iov;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		*(uint16_t *)(void *)CMSG_DATA(cm) = (uint16_t)t->len;
		if (sendmsg(t->fd, &msg, MSG_NOSIGNAL) < 0)
			return -errno;
		t->gso_ok = true;
		ENG_ADD(t->f->udp.gso_sends, 1);
		ENG_ADD(t->f->udp.gso_packets, t->n);
		return (int)t->n;
	}
	t->iov[t->n - 1].iov_len = t->last;
	r = sendmmsg(t->fd, t->msgs + off, t->n - off, MSG_NOSIGNAL);
	t->iov[t->n - 1].iov_len = t->len;
	return r < 0 ? -errno : r;
}

static void tx_wait_out(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};

	poll(&pfd, 1, 1);
}

/* A failed send: 0 = retry the batch, -errno = the flow cannot go on. */
static int tx_error(struct udp_tx *t, int err)
{
	struct sock_udp_ctr *c = &t->f->udp;

	if (t->gso && !t->gso_ok && (err == EIO || err == EINVAL || err == EOPNOTSUPP)) {
		if (!__atomic_exchange_n(&t->f->eng->logged_gso, true, __ATOMIC_RELAXED))
			pr_debug("UDP GSO (UDP_SEGMENT) refused: %s; using sendmmsg",
				 strerror(err));
		t->gso = false;
		return 0;
	}
	switch (err) {
	case EINTR:
		return 0;
	case ENOBUFS:
	case EAGAIN:
		ENG_ADD(c->err_nobufs, 1);
		tx_wait_out(t->fd);
		return 0;
	case ECONNREFUSED: /* an earlier datagram drew ICMP port unreachable */
		ENG_ADD(c->err_refused, 1);
		return 0;
	case EBADF:
	case ENOTCONN:
	case ENOTSOCK:
	case EDESTADDRREQ:
	case EPIPE:
	case EFAULT:
		return -err;
	default: /* EPERM from a firewall, EMSGSIZE, ...: counted; no hot spin */
		ENG_ADD(c->err_other, 1);
		tx_wait_out(t->fd);
		return 0;
	}
}

/* Send the pending batch. 0 = sent (or abandoned at stop), -errno = fatal. */
static int tx_send(struct udp_tx *t)
{
	struct sock_eng *se = t->f->eng;
	uint32_t off = 0;
	int r;

	while (off < t->n) {
		r = tx_once(t, off);
		if (r > 0) {
			tx_count(t, off, (uint32_t)r);
			off += (uint32_t)r;
			continue;
		}
		r = tx_error(t, -r);
		if (r)
			return r;
		if (eng_gate_tx_stopped(&se->gate))
			return 0;
	}
	t->seq += t->n;
	return 0;
}

/* Read XFRF from the receiver without blocking (upload: no receive thread). */
static void tx_feedback(struct udp_tx *t, uint64_t now_ns)
{
	uint8_t buf[UDP_RX_SLOT];
	ssize_t r;
	int i;

	if (!t->read_fb || now_ns < t->fb_next_ns)
		return;
	t->fb_next_ns = now_ns + UDP_FB_READ_NS;
	for (i = 0; i < UDP_BATCH_MAX; i++) {
		r = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (r >= 0)
			fb_take(t->f, buf, (size_t)r);
		else if (errno == ECONNREFUSED)
			ENG_ADD(t->f->udp.err_refused, 1);
		else if (errno != EINTR)
			return;
	}
}

/*
 * The byte budget is sent: wait until its datagrams have left this host, so
 * that a flow's end means on the wire. A shaped link's qdisc (tbf) may hold
 * a socket buffer's worth; the socket's send queue (SIOCOUTQ) counts them
 * until they leave. The peer is told the end after this (its receiver then
 * drains what is in flight), so that nothing still queued here is counted
 * lost. Bounded by UDP_OUTQ_WAIT_MS; a stop ends it.
 */
static void tx_wait_outq(struct sock_flow *f, int fd)
{
	uint64_t end = time_mono_ns() + UDP_OUTQ_WAIT_MS * NSEC_PER_MSEC;
	int n = 0;

	while (!eng_gate_tx_stopped(&f->eng->gate) && !ioctl(fd, SIOCOUTQ, &n) && n > 0 &&
	       time_mono_ns() < end)
		usleep(1000);
}

/* Forged feedback means someone sends in the peer's name: say so once, at the flow's end. */
static void udp_tell_forged(const struct sock_flow *f)
{
	uint64_t n = ENG_LOAD(f->udp.fb_forged);

	if (n)
		pr_warn("UDP stream %u: %llu feedback datagrams failed authentication (udp_auth_v1) "
			"and were ignored: somebody sends in the peer's name",
			f->stream, (unsigned long long)n);
}

static int udp_send_loop(struct sock_flow *f)
{
	struct sock_eng *se = f->eng;
	struct udp_tx *t = tx_new(f);
	uint64_t now;
	uint32_t k;
	int err = 0;

	if (!t)
		return -ENOMEM;
	while (!eng_gate_tx_stopped(&se->gate)) {
		k = tx_batch_size(t);
		if (sock_tx_hold(f, (uint64_t)k * t->len))
			continue;
		if (!tx_claim(t, k)) {
			tx_wait_outq(f, t->fd);
			break;
		}
		now = time_mono_ns();
		tx_headers(t, now);
		err = tx_send(t);
		if (err)
			break;
		if (f->upace)
			pacing_sent(&f->pace, tx_bytes(t, 0, t->n));
		tx_feedback(t, now);
	}
	free(t->buf);
	free(t);
	udp_tell_forged(f);
	return eng_gate_tx_stopped(&se->gate) ? 0 : err;
}

/* -------------------------------------------------------------- receiver */

enum udp_rx_mode {
	RX_GRO,	   /* recvmsg of a whole (coalesced) buffer, UDP_GRO on */
	RX_SETTLE, /* UDP_GRO turned off: whole-buffer reads until the queue holds no coalesced one */
	RX_MMSG,   /* recvmmsg of single datagrams */
};

struct udp_rx {
	struct sock_flow *f;
	int fd;
	bool gro;	 /* UDP_GRO was turned on at the start */
	bool mmsg_never; /* a coalesced buffer met recvmmsg: stay with GRO */
	enum udp_rx_mode mode;
	uint32_t single_run;   /* GRO reads of one datagram, no coalesced one between */
	bool run_emptied;      /* ... and the socket emptied at least once meanwhile */
	uint64_t run_drops;    /* drops when the run began */
	uint32_t dgram_len;    /* the flow's datagram size (p.length); 0 = unknown */
	uint32_t settle_reads; /* RX_SETTLE: reads still to go ... */
	uint64_t settle_ns;    /* ... and not before this */
	uint8_t *buf;	       /* GRO: one read of UDP_GRO_BUF; else UDP_BATCH_MAX slots */
	uint64_t bytes;
	uint64_t malformed;
	uint32_t drops_raw; /* last value of the socket's u32 drop counter, any source */
	uint64_t drops;	    /* buffers dropped since the flow started */
	uint32_t cm_raw;    /* the counter the last arriving buffer carried (queue time) */
	uint64_t cm_bufs;   /* of drops: those a later arrival measured ... */
	uint64_t cm_dgrams; /* ... and the datagrams they held */
	uint32_t last_segs; /* datagrams in the last buffer read */
	uint64_t fb_next_ns;
	struct seqtrack st;
	struct iovec iov[UDP_BATCH_MAX];
	struct mmsghdr msgs[UDP_BATCH_MAX];
	union udp_cmsg ctl[UDP_BATCH_MAX];
};

/* The socket's drop counter now (SO_MEMINFO); false if unknown. */
static bool rx_meminfo_drops(int fd, uint32_t *drops)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0 || len <= SK_MEMINFO_DROPS * 4)
		return false;
	*drops = mi[SK_MEMINFO_DROPS];
	return true;
}

/* A newer value of the cumulative u32 counter; it wraps, and never goes back. */
static void rx_drops_at(struct udp_rx *r, uint32_t v)
{
	uint32_t d = v - r->drops_raw;

	if ((int32_t)d > 0) {
		r->drops += d;
		r->drops_raw = v;
	}
}

/* Most datagrams one GRO buffer holds (the kernel's UDP_GRO_CNT_MAX). */
#define UDP_GRO_SEGS_MAX 64

/*
 * A buffer of segs datagrams arrived that was queued when the counter read v,
 * its first datagram's sequence seq (have_seq false: unknown, or each buffer
 * is one datagram). The buffers dropped since the previous arrival was queued
 * held the sequences between the two: at least one datagram each, and at most
 * as many as the larger of this buffer and the previous one (GRO coalesces
 * alike buffers alike; 64 at most). The bound keeps the path's own losses in
 * the same hole out: where buffers are single datagrams, so are the drops.
 */
static void rx_gap_drops(struct udp_rx *r, uint32_t v, uint64_t seq, bool have_seq, uint32_t segs)
{
	uint32_t d = v - r->cm_raw, per = segs > r->last_segs ? segs : r->last_segs;
	uint64_t gap = 0, n = d;

	if (per > UDP_GRO_SEGS_MAX)
		per = UDP_GRO_SEGS_MAX;
	if (!per)
		per = 1;
	if ((int32_t)d <= 0)
		return;
	r->cm_raw = v;
	if (have_seq && !r->st.started && seq <= SEQTRACK_RESET)
		gap = seq; /* sequences start at 0 */
	else if (have_seq && r->st.started && seq - r->st.next <= SEQTRACK_RESET)
		gap = seq - r->st.next;
	if (gap > n)
		n = gap < (uint64_t)d * per ? gap : (uint64_t)d * per;
	r->cm_bufs += d;
	r->cm_dgrams += n;
	rx_drops_at(r, v);
}

/*
 * Datagrams the socket dropped: those measured by a later arrival, and for
 * the buffers no arrival followed yet (the tail, at the end) the mean of the
 * measured ones, at least one each: a flood's last few buffers held ~46.
 */
static uint64_t rx_drop_dgrams(const struct udp_rx *r)
{
	uint64_t rest = r->drops > r->cm_bufs ? r->drops - r->cm_bufs : 0;
	uint64_t per = r->cm_bufs ? (r->cm_dgrams + r->cm_bufs / 2) / r->cm_bufs : 1;

	return r->cm_dgrams + rest * (per ? per : 1);
}

/* The read buffers for the mode: one whole buffer, or UDP_BATCH_MAX slots. */
static void rx_iov_set(struct udp_rx *r)
{
	bool whole = r->mode != RX_MMSG;
	uint32_t i;

	for (i = 0; i < UDP_BATCH_MAX; i++) {
		r->iov[i].iov_base = r->buf + (whole ? 0 : i * UDP_RX_SLOT);
		r->iov[i].iov_len = whole ? UDP_GRO_BUF : UDP_RX_SLOT;
	}
}

static struct udp_rx *rx_new(struct sock_flow *f)
{
	struct sock_eng *se = f->eng;
	struct udp_rx *r = calloc(1, sizeof(*r));
	int one = 1;
	uint32_t i;

	if (!r)
		return NULL;
	r->f = f;
	r->fd = f->st->fd;
	seqtrack_init(&r->st);
	if (setsockopt(r->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0)
		pr_debug("SO_RXQ_OVFL: %s", strerror(errno));
	/*
	 * Our data sockets are new, so the kernel's drop count starts at 0 for this
	 * test: drops between the UDP ack and this thread are the test's too (a -R
	 * flood fills a small buffer before we read; nstat counts them).
	 */
	r->drops_raw = 0;
	r->gro = !se->p.udp_no_offload &&
		 setsockopt(r->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
	r->mode = r->gro ? RX_GRO : RX_MMSG;
	if (se->p.length >= XFR_UDP_HDR_LEN && se->p.length <= XFR_UDP_MAX_PAYLOAD)
		r->dgram_len = se->p.length;
	else
		r->mmsg_never = true; /* a buffer without its cmsg could not be split */
	/* GRO's buffer; the recvmmsg slots use its start when the mode changes */
	r->buf = malloc(r->gro ? UDP_GRO_BUF : UDP_BATCH_MAX * UDP_RX_SLOT);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	rx_iov_set(r);
	for (i = 0; i < UDP_BATCH_MAX; i++) {
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
		r->msgs[i].msg_hdr.msg_control = r->ctl[i].buf;
	}
	r->fb_next_ns = se->start_ns + UDP_FB_SEND_NS;
	return r;
}

/* SO_RXQ_OVFL and UDP_GRO from one read's control data; returns the GRO
 * segment size, 0 if the read is a single datagram. *ovfl is the drop counter
 * when the buffer was queued; *have_ovfl false when there was none. */
static uint32_t rx_cmsgs(struct msghdr *m, uint32_t *ovfl, bool *have_ovfl)
{
	struct cmsghdr *cm;
	uint32_t seg = 0;
	int gso;

	*have_ovfl = false;
	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
			memcpy(ovfl, CMSG_DATA(cm), sizeof(*ovfl));
			*have_ovfl = true;
		} else if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
			memcpy(&gso, CMSG_DATA(cm), sizeof(gso));
			seg = gso > 0 ? (uint32_t)gso : 0;
		}
	}
	return seg;
}

/* A late single-port hello or ack ("\0XFR", 24 bytes or 40 with udp_auth_v1's
 * tag): read as data its magic would look like a sequence jump of 2^54. */
static bool rx_is_hello(const uint8_t *p, size_t len)
{
	return (len == XFR_HELLO_LEN || len == XFR_HELLO_LEN + FB_TAG_LEN) && !p[0] &&
	       p[1] == 'X' && p[2] == 'F' && p[3] == 'R';
}

static void rx_datagram(struct udp_rx *r, const uint8_t *p, size_t len, uint64_t now_us)
{
	if ((len == XFR_FEEDBACK_LEN || len == FB_AUTH_LEN) && fb_take(r->f->sibling, p, len))
		return; /* our sending half's progress (--bidir), or stray: not data */
	if (rx_is_hello(p, len))
		return;
	if (len < XFR_UDP_HDR_LEN) {
		r->malformed++;
		return;
	}
	seqtrack_push(&r->st, wire_get_be64(p), wire_get_be64(p + 8), now_us);
	r->bytes += len;
}

/* One read of coalesced segments. >0 = datagrams seen, or -errno. */
static int rx_read_gro(struct udp_rx *r, uint64_t now_us)
{
	struct msghdr *m = &r->msgs[0].msg_hdr;
	size_t off, n, seg, first;
	uint32_t ovfl = 0;
	bool have_ovfl;
	ssize_t got;
	int cnt = 0;

	m->msg_controllen = sizeof(r->ctl[0]);
	got = recvmsg(r->fd, m, MSG_DONTWAIT);
	if (got < 0)
		return -errno;
	if (!got && eng_gate_stopped(&r->f->eng->gate))
		return -EAGAIN; /* shut down and empty */
	n = (size_t)got;
	seg = rx_cmsgs(m, &ovfl, &have_ovfl);
	if (!seg && r->mode == RX_SETTLE && n > r->dgram_len)
		seg = r->dgram_len; /* coalesced before UDP_GRO went off: no cmsg now */
	if (!seg || seg > n)
		seg = n ? n : 1;
	first = n < seg ? n : seg;
	if (have_ovfl) /* before the tracker moves on: the hole is measured from its next */
		rx_gap_drops(r, ovfl, first >= XFR_UDP_HDR_LEN ? wire_get_be64(r->buf) : 0,
			     first >= XFR_UDP_HDR_LEN && first != XFR_FEEDBACK_LEN &&
				     !rx_is_hello(r->buf, first),
			     (uint32_t)((n + seg - 1) / seg));
	r->last_segs = (uint32_t)((n + seg - 1) / seg);
	if (!n)
		rx_datagram(r, r->buf, 0, now_us);
	if (seg < n)
		ENG_ADD(r->f->udp.gro_reads, 1);
	for (off = 0; off < n; off += seg, cnt++)
		rx_datagram(r, r->buf + off, n - off < seg ? n - off : seg, now_us);
	return cnt ? cnt : 1;
}

static void rx_back_to_gro(struct udp_rx *r);

/* Up to 64 datagrams, only their first UDP_RX_SLOT bytes copied. */
static int rx_read_mmsg(struct udp_rx *r, uint64_t now_us)
{
	int i, got;

	for (i = 0; i < UDP_BATCH_MAX; i++)
		r->msgs[i].msg_hdr.msg_controllen = sizeof(r->ctl[i]);
	got = recvmmsg(r->fd, r->msgs, UDP_BATCH_MAX, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (got < 0)
		return -errno;
	if (got == 1 && !r->msgs[0].msg_len && eng_gate_stopped(&r->f->eng->gate))
		return -EAGAIN;
	for (i = 0; i < got; i++) {
		uint32_t ovfl = 0;
		bool have_ovfl;

		rx_cmsgs(&r->msgs[i].msg_hdr, &ovfl, &have_ovfl);
		if (have_ovfl) /* one datagram per buffer: the counter is the count */
			rx_gap_drops(r, ovfl, 0, false, 1);
		rx_datagram(r, r->buf + i * UDP_RX_SLOT, r->msgs[i].msg_len, now_us);
		if (r->gro && r->msgs[i].msg_len > r->dgram_len && r->mode == RX_MMSG)
			rx_back_to_gro(r);
	}
	return got;
}

/*
 * A buffer longer than a datagram after the switch: coalesced before UDP_GRO
 * went off and queued longer than the settling, or a peer's larger datagram.
 * Only its first header was read. UDP_GRO goes back on for the rest of the
 * flow (the slots before this one are still read: iov changes after the batch).
 */
static void rx_back_to_gro(struct udp_rx *r)
{
	int one = 1;

	if (setsockopt(r->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0) {
		pr_debug("UDP_GRO back on: %s", strerror(errno));
		return;
	}
	pr_debug("stream %u: a buffer of more than one datagram in recvmmsg; GRO reads again",
		 r->f->stream);
	r->mode = RX_GRO;
	r->mmsg_never = true;
}

/*
 * The path does not coalesce: each GRO read brings one datagram while more wait.
 * UDP_GRO off (from now on the kernel queues single datagrams), then whole
 * reads until what was queued coalesced is read, then recvmmsg.
 */
static void rx_to_mmsg(struct udp_rx *r, uint64_t now_ns)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);
	int zero = 0;

	if (setsockopt(r->fd, SOL_UDP, UDP_GRO, &zero, sizeof(zero)) < 0) {
		pr_debug("UDP_GRO off: %s", strerror(errno));
		r->mmsg_never = true;
		return;
	}
	/* at most one read per 256 bytes of the queue's memory (an skb's truesize is more) */
	r->settle_reads = 64;
	if (getsockopt(r->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
	    len > SK_MEMINFO_RMEM_ALLOC * 4)
		r->settle_reads += mi[SK_MEMINFO_RMEM_ALLOC] / 256;
	r->settle_ns = now_ns + UDP_MMSG_SETTLE_NS;
	r->mode = RX_SETTLE;
	pr_debug("stream %u: the path does not coalesce (%u single-datagram GRO reads in a row); "
		 "recvmmsg after %u reads",
		 r->f->stream, r->single_run, r->settle_reads);
}

static void rx_publish(struct udp_rx *r)
{
	struct sock_udp_ctr *c = &r->f->udp;
	uint64_t old = ENG_LOAD(r->f->ctr.bytes);

	if (r->bytes != old) {
		ENG_STORE(r->f->ctr.bytes, r->bytes);
		ENG_ADD(r->f->ctr.calls, 1);
	}
	ENG_STORE(c->packets, r->st.received);
	ENG_STORE(c->lost, r->st.lost);
	ENG_STORE(c->out_of_order, r->st.out_of_order);
	ENG_STORE(c->duplicates, r->st.duplicates);
	ENG_STORE(c->next_seq, r->st.next);
	store_double(&c->jitter_bits, r->st.jitter_us);
	store_double(&c->jitter_max_bits, r->st.jitter_max_us);
	ENG_STORE(c->rcvbuf_drops, rx_drop_dgrams(r));
	ENG_STORE(c->malformed, r->malformed + r->st.implausible);
}

/* XFRF progress to the sender every 500 ms (p.udp_feedback). */
static void rx_feedback(struct udp_rx *r, uint64_t now_ns)
{
	struct sock_eng *se = r->f->eng;
	uint8_t buf[FB_AUTH_LEN];
	struct wire_feedback fb;
	size_t len = XFR_FEEDBACK_LEN;

	if (!se->p.udp_feedback || now_ns < r->fb_next_ns)
		return;
	r->fb_next_ns = now_ns + UDP_FB_SEND_NS;
	fb.stream_id = (uint16_t)r->f->stream;
	fb.elapsed_ms = (now_ns - se->start_ns) / NSEC_PER_MSEC;
	fb.packets_received = r->st.received;
	fb.packets_lost = r->st.lost;
	wire_feedback_put(buf, &fb);
	if (se->p.udp_auth && fb_tag(&se->p, buf, buf + XFR_FEEDBACK_LEN))
		len = FB_AUTH_LEN;
	else if (se->p.udp_auth)
		return; /* never unauthenticated in a PSK session */
	if (send(r->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		pr_debug("UDP feedback: %s", strerror(errno));
}

/* Nothing queued: wait up to UDP_POLL_MS; pick up drops nobody read a cmsg for. */
static void rx_idle(struct udp_rx *r)
{
	struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
	uint32_t v;

	poll(&pfd, 1, UDP_POLL_MS);
	if (rx_meminfo_drops(r->fd, &v))
		rx_drops_at(r, v);
	rx_feedback(r, time_mono_ns());
	rx_publish(r);
}

/*
 * One more GRO read of a single uncoalesced datagram (a coalesced buffer ends
 * the run). A run of UDP_MMSG_AFTER such reads switches to recvmmsg if the
 * socket never emptied meanwhile (a backlog read one datagram per call), or
 * if it dropped meanwhile: a starved receiver that drains a full buffer
 * between preemptions is what recvmmsg is for. On one CPU, or two shared
 * with more, the sender fills the buffer while the receiver waits and the
 * receiver drains a GSO batch (64) at a time, emptying the socket after each:
 * drops show in some of those drains, not all, so they are counted over the
 * whole run, from before the read that began it; at its end the kernel's
 * own count (SO_MEMINFO) tells of drops no read's cmsg has shown yet (the
 * buffers read were queued before them). A run that kept up starts again.
 */
static void rx_single(struct udp_rx *r, uint64_t drops_before, uint64_t now_ns)
{
	uint32_t v;

	if (!r->single_run++) {
		r->run_drops = drops_before;
		r->run_emptied = false;
	}
	if (r->single_run < UDP_MMSG_AFTER)
		return;
	if (r->run_emptied && r->drops == r->run_drops && rx_meminfo_drops(r->fd, &v))
		rx_drops_at(r, v);
	if (!r->run_emptied || r->drops != r->run_drops)
		rx_to_mmsg(r, now_ns);
	else
		r->single_run = 0;
}

static int rx_read(struct udp_rx *r)
{
	uint64_t now = time_mono_ns(), drops_before = r->drops;
	int n;

	if (r->mode == RX_MMSG) {
		n = rx_read_mmsg(r, now / NSEC_PER_USEC);
		if (r->mode == RX_GRO)
			rx_iov_set(r);
	} else {
		n = rx_read_gro(r, now / NSEC_PER_USEC);
	}
	if (r->mode == RX_GRO && !r->mmsg_never) {
		if (n == 1 && r->last_segs == 1)
			rx_single(r, drops_before, now);
		else if (n > 0)
			r->single_run = 0;
		else if (r->single_run)
			r->run_emptied = true;
	} else if (r->mode == RX_SETTLE) {
		if (r->settle_reads)
			r->settle_reads--;
		if ((n <= 0 || !r->settle_reads) && now >= r->settle_ns) {
			r->mode = RX_MMSG;
			rx_iov_set(r);
		}
	}
	if (n > 0)
		rx_feedback(r, now);
	return n;
}

/* Until stop: read, account, publish. After stop: count what was queued. */
static int rx_loop(struct udp_rx *r)
{
	struct sock_eng *se = r->f->eng;
	uint32_t drain = 0, empty = 0;
	uint64_t last_ns = 0; /* when a read last brought data */
	int n;

	for (;;) {
		n = rx_read(r);
		if (n > 0) {
			empty = 0;
			last_ns = time_mono_ns();
			rx_publish(r);
			if (eng_gate_stopped(&se->gate) && ++drain > UDP_DRAIN_MAX)
				return 0;
			continue;
		}
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			if (eng_gate_stopped(&se->gate))
				return 0;
			if (se->p.rx_spin && empty < UDP_SPIN_READS &&
			    time_mono_ns() - last_ns < UDP_SPIN_DENSE_NS) {
				empty++;
				continue;
			}
			rx_idle(r);
			continue;
		}
		if (n == -EINTR || n == -ECONNREFUSED) /* refused: our XFRF drew an ICMP */
			continue;
		return eng_gate_stopped(&se->gate) ? 0 : n;
	}
}

static int udp_recv_loop(struct sock_flow *f)
{
	struct udp_rx *r = rx_new(f);
	uint32_t v;
	int err;

	if (!r)
		return -ENOMEM;
	err = rx_loop(r);
	if (rx_meminfo_drops(r->fd, &v))
		rx_drops_at(r, v);
	rx_publish(r);
	free(r->buf);
	free(r);
	return err;
}

/* ---------------------------------------------------------------- sample */

static double bits_double(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static void udp_sample(const struct sock_flow *f, struct engine_flow_sample *s)
{
	const struct sock_udp_ctr *c = &f->udp;
	struct engine_udp_sample *u = &s->udp;

	s->is_udp = true;
	u->packets = ENG_LOAD(c->packets);
	u->lost = ENG_LOAD(c->lost);
	u->out_of_order = ENG_LOAD(c->out_of_order);
	u->duplicates = ENG_LOAD(c->duplicates);
	u->next_seq = ENG_LOAD(c->next_seq);
	u->jitter_us = bits_double(ENG_LOAD(c->jitter_bits));
	u->jitter_max_us = bits_double(ENG_LOAD(c->jitter_max_bits));
	u->rcvbuf_drops = ENG_LOAD(c->rcvbuf_drops);
	u->malformed = ENG_LOAD(c->malformed);
	u->err_nobufs = ENG_LOAD(c->err_nobufs);
	u->err_refused = ENG_LOAD(c->err_refused);
	u->err_other = ENG_LOAD(c->err_other);
	u->gso_sends = ENG_LOAD(c->gso_sends);
	u->gso_packets = ENG_LOAD(c->gso_packets);
	u->has_feedback = ENG_LOAD(c->has_fb);
	u->fb_elapsed_ms = ENG_LOAD(c->fb_elapsed_ms);
	u->fb_received = ENG_LOAD(c->fb_received);
	u->fb_lost = ENG_LOAD(c->fb_lost);
}

/* ----------------------------------------------------------------- memory */

static size_t udp_flow_mem(const struct engine_params *p, uint64_t rate_bps, bool sending)
{
	if (sending)
		return sizeof(struct udp_tx) + (size_t)udp_batch(rate_bps, p->length) * p->length;
	return sizeof(struct udp_rx) +
	       (p->udp_no_offload ? UDP_BATCH_MAX * UDP_RX_SLOT : UDP_GRO_BUF);
}

const struct sock_transport sock_udp_transport = {
	.min_len = XFR_UDP_HDR_LEN,
	.max_len = XFR_UDP_MAX_PAYLOAD,
	.has_eof = false,
	.setup_sender = udp_setup_sender,
	.send_loop = udp_send_loop,
	.recv_loop = udp_recv_loop,
	.sample = udp_sample,
	.flow_mem = udp_flow_mem,
};
