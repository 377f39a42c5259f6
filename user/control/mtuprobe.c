// SPDX-License-Identifier: MIT
/*
 * Path-MTU probe: the ladder of common link MTUs, then a binary search to the
 * byte between the largest size that passed and the smallest that did not,
 * once per direction (see mtuprobe.h and docs/MTUPROBE.md).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/log.h"
#include "control/mtuprobe.h"
#include "timeutil.h"
#include "wire.h"
#include "util.h"

#define OVERHEAD_V4 28 /* IPv4 20 + UDP 8 */
#define OVERHEAD_V6 48 /* IPv6 40 + UDP 8 */
#define PROBE_MAX   XFR_UDP_MAX_PAYLOAD
#define BUF_LEN	    65536

/* Wire MTUs worth knowing: minimum IPv4, IPv6 minimum, PPPoE, Ethernet,
 * FDDI/Token Ring, jumbo frames. */
static const uint32_t ladder_mtu[] = {576, 1280, 1492, 1500, 4352, 9000, 9216};

struct probe_hdr {
	uint8_t kind;
	uint16_t flags;
	uint32_t seq;
	uint16_t size;
};

struct probe_ctx {
	int fd;
	int stop_fd;
	int timeout_ms; /* per attempt */
	uint32_t seq;	/* next sequence to use: unique per attempt in a run */
	unsigned char *tx, *rx;
	struct xfr_mtu_result *out;
};

/* A size's outcome in one direction. */
struct probe_try {
	enum xfr_mtu_verdict verdict;
	uint32_t ok; /* attempts answered */
};

static void hdr_put(unsigned char *p, const struct probe_hdr *h)
{
	p[0] = 'X', p[1] = 'F', p[2] = 'R', p[3] = 'P';
	p[4] = 1;
	p[5] = h->kind;
	wire_put_be16(p + 6, h->flags);
	wire_put_be32(p + 8, h->seq);
	wire_put_be16(p + 12, h->size);
	wire_put_be16(p + 14, 0);
}

bool mtuprobe_is_probe(const void *pkt, size_t len)
{
	const unsigned char *p = pkt;

	return len >= XFR_PROBE_HDR_LEN && !memcmp(p, "XFRP", 4) && p[4] == 1;
}

/* Parse and check the length rule of the kind. false = not a valid packet. */
static bool hdr_get(const unsigned char *p, size_t len, struct probe_hdr *h)
{
	if (!mtuprobe_is_probe(p, len))
		return false;
	h->kind = p[5];
	h->flags = wire_get_be16(p + 6);
	h->seq = wire_get_be32(p + 8);
	h->size = wire_get_be16(p + 12);
	if (h->size < XFR_PROBE_HDR_LEN || h->size > PROBE_MAX)
		return false;
	switch (h->kind) {
	case XFR_PROBE_KIND_PROBE:
		return len == h->size;
	case XFR_PROBE_KIND_ACK:
	case XFR_PROBE_KIND_ECHO:
		return len == XFR_PROBE_HDR_LEN;
	default:
		return false;
	}
}

static int sock_domain(int fd)
{
	int d = AF_UNSPEC;
	socklen_t l = sizeof(d);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l) < 0)
		return -errno;
	return d;
}

/* DF without the kernel's path-MTU cache: see mtuprobe.h. On an AF_INET6
 * socket the IPv4 option too, for IPv4-mapped peers (best effort). */
static int df_set(int fd)
{
	int probe4 = IP_PMTUDISC_PROBE, probe6 = IPV6_PMTUDISC_PROBE, one = 1;
	int d = sock_domain(fd);

	if (d < 0)
		return d;
	if (d == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe4, sizeof(probe4));
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe6, sizeof(probe6)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one)) < 0)
			return -errno;
		return 0;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe4, sizeof(probe4)) < 0)
		return -errno;
	return 0;
}

/* The client's socket options before the probe, to put back afterwards. */
struct df_saved {
	int ip, ip6, dontfrag;
	bool has_ip, has_ip6, has_dontfrag;
};

static bool opt_get(int fd, int level, int name, int *v)
{
	socklen_t l = sizeof(*v);

	return getsockopt(fd, level, name, v, &l) == 0;
}

static void df_save(int fd, struct df_saved *s)
{
	s->has_ip = opt_get(fd, IPPROTO_IP, IP_MTU_DISCOVER, &s->ip);
	s->has_ip6 = opt_get(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &s->ip6);
	s->has_dontfrag = opt_get(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &s->dontfrag);
}

static void df_restore(int fd, const struct df_saved *s)
{
	if (s->has_ip)
		(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &s->ip, sizeof(s->ip));
	if (s->has_ip6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &s->ip6, sizeof(s->ip6));
	if (s->has_dontfrag)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &s->dontfrag,
				 sizeof(s->dontfrag));
}

/* Errors a datagram send or receive may report about the path or the peer:
 * they mean "no answer this time", not a broken socket. */
static bool transient_err(int err)
{
	switch (err) {
	case EAGAIN:
	case ENOBUFS:
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EMSGSIZE: /* an ICMP "fragmentation needed" from the path */
	case EINTR:
		return true;
	default:
		return false;
	}
}

int mtuprobe_respond(int fd, const void *pkt, size_t len)
{
	struct probe_hdr h;
	unsigned char buf[XFR_PROBE_HDR_LEN];
	unsigned char *big;
	ssize_t n;
	int err;

	if (!mtuprobe_is_probe(pkt, len))
		return 0;
	if (!hdr_get(pkt, len, &h) || h.kind == XFR_PROBE_KIND_ACK)
		return 1;
	if (h.kind == XFR_PROBE_KIND_PROBE) {
		h.kind = XFR_PROBE_KIND_ACK;
		h.flags = 0;
		hdr_put(buf, &h);
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && !transient_err(errno))
			return -errno;
		return 1;
	}
	/* An echo request: send the probe it asks for, with DF. */
	err = df_set(fd);
	if (err)
		return err;
	big = calloc(1, h.size);
	if (!big)
		return -ENOMEM;
	h.kind = XFR_PROBE_KIND_PROBE;
	h.flags = 0;
	hdr_put(big, &h);
	n = send(fd, big, h.size, MSG_DONTWAIT);
	err = n < 0 ? errno : 0;
	free(big);
	if (err == EMSGSIZE) {
		/* Our own interface refuses it: tell the client, it is not the path. */
		h.kind = XFR_PROBE_KIND_ACK;
		h.flags = MTUPROBE_FLAG_LOCAL_LIMIT;
		hdr_put(buf, &h);
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT);
		err = n < 0 ? errno : 0;
	}
	if (err && !transient_err(err))
		return -err;
	return 1;
}

/* The entry for payload in out->sizes, inserted in ascending order. NULL if full. */
static struct xfr_mtu_size *size_slot(struct xfr_mtu_result *out, uint32_t payload)
{
	uint32_t i = 0;

	while (i < out->nsizes && out->sizes[i].payload < payload)
		i++;
	if (i < out->nsizes && out->sizes[i].payload == payload)
		return &out->sizes[i];
	if (out->nsizes == sizeof(out->sizes) / sizeof(out->sizes[0]))
		return NULL;
	memmove(&out->sizes[i + 1], &out->sizes[i], (out->nsizes - i) * sizeof(out->sizes[0]));
	out->nsizes++;
	memset(&out->sizes[i], 0, sizeof(out->sizes[i]));
	out->sizes[i].payload = payload;
	out->sizes[i].attempts = MTUPROBE_ATTEMPTS;
	return &out->sizes[i];
}

/*
 * What a received datagram means for the attempts of one size (sequences
 * base..base+ATTEMPTS-1): bit of the answered attempt, or -1 for the
 * responder's local limit, or 0 for anything else (late answers to earlier
 * sizes, strays).
 */
static int reply_match(const unsigned char *p, size_t len, bool reverse, uint32_t size,
		       uint32_t base)
{
	struct probe_hdr h;
	uint32_t k;

	if (!hdr_get(p, len, &h) || h.size != size)
		return 0;
	k = h.seq - base;
	if (k >= MTUPROBE_ATTEMPTS)
		return 0;
	if (reverse && h.kind == XFR_PROBE_KIND_ACK && (h.flags & MTUPROBE_FLAG_LOCAL_LIMIT))
		return -1;
	if (h.kind != (reverse ? XFR_PROBE_KIND_PROBE : XFR_PROBE_KIND_ACK) || h.flags)
		return 0;
	return 1 << k;
}

/*
 * Wait until the attempt with bit "want" is answered or deadline passes,
 * collecting every answer for this size in *mask. 1 = the responder reported
 * its local limit, 0 = done waiting, -EINTR, -errno.
 */
static int await(struct probe_ctx *c, bool reverse, uint32_t size, uint32_t base, int want,
		 int *mask, int64_t deadline)
{
	struct pollfd pf[2] = {{.fd = c->fd, .events = POLLIN},
			       {.fd = c->stop_fd, .events = POLLIN}};

	while (!(*mask & want)) {
		int64_t left = deadline - time_mono_ms();
		ssize_t n;
		int m;

		if (left <= 0)
			return 0;
		m = poll(pf, c->stop_fd >= 0 ? 2 : 1, (int)left);
		if (m < 0 && errno != EINTR)
			return -errno;
		if (m > 0 && c->stop_fd >= 0 && pf[1].revents)
			return -EINTR;
		if (m <= 0 || !pf[0].revents)
			continue;
		n = recv(c->fd, c->rx, BUF_LEN, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (!transient_err(errno))
				return -errno;
			continue;
		}
		m = reply_match(c->rx, (size_t)n < BUF_LEN ? (size_t)n : BUF_LEN, reverse, size,
				base);
		if (m < 0)
			return 1;
		*mask |= m;
	}
	return 0;
}

static bool stopped(int stop_fd)
{
	struct pollfd pf = {.fd = stop_fd, .events = POLLIN};

	return stop_fd >= 0 && poll(&pf, 1, 0) > 0;
}

/* One size in one direction: up to ATTEMPTS sends, each waited for. */
static int try_size(struct probe_ctx *c, bool reverse, uint32_t size, struct probe_try *t)
{
	uint32_t base = c->seq;
	int mask = 0;

	c->seq += MTUPROBE_ATTEMPTS;
	t->verdict = XFR_MTU_FAIL;
	t->ok = 0;
	for (int k = 0; k < MTUPROBE_ATTEMPTS; k++) {
		struct probe_hdr h = {.kind = reverse ? XFR_PROBE_KIND_ECHO : XFR_PROBE_KIND_PROBE,
				      .seq = base + (uint32_t)k,
				      .size = (uint16_t)size};
		size_t len = reverse ? XFR_PROBE_HDR_LEN : size;
		int err;

		if (stopped(c->stop_fd))
			return -EINTR;
		hdr_put(c->tx, &h);
		if (send(c->fd, c->tx, len, 0) < 0) {
			if (errno == EMSGSIZE && !reverse) {
				t->verdict = XFR_MTU_LOCAL_LIMIT;
				return 0;
			}
			if (!transient_err(errno))
				return -errno;
		}
		err = await(c, reverse, size, base, 1 << k, &mask, time_mono_ms() + c->timeout_ms);
		if (err < 0)
			return err;
		if (err == 1) {
			t->verdict = XFR_MTU_LOCAL_LIMIT;
			return 0;
		}
	}
	t->ok = (uint32_t)__builtin_popcount((unsigned)mask);
	if (t->ok)
		t->verdict = XFR_MTU_PASS;
	return 0;
}

/* Try a size and record it. 1 = pass, 0 = not, <0 = stop. */
static int probe(struct probe_ctx *c, bool reverse, uint32_t size)
{
	struct xfr_mtu_size *s = size_slot(c->out, size);
	struct probe_try t;
	int err;

	if (!s)
		return -ENOSPC;
	err = try_size(c, reverse, size, &t);
	if (err)
		return err;
	if (reverse) {
		s->reverse = t.verdict;
		s->reverse_ok = t.ok;
	} else {
		s->forward = t.verdict;
		s->forward_ok = t.ok;
	}
	pr_debug("mtu probe: %s %u bytes: %s (%u/%d)", reverse ? "reverse" : "forward", size,
		 t.verdict == XFR_MTU_PASS	    ? "pass"
		 : t.verdict == XFR_MTU_LOCAL_LIMIT ? "local limit"
						    : "fail",
		 t.ok, MTUPROBE_ATTEMPTS);
	return t.verdict == XFR_MTU_PASS;
}

/*
 * Largest payload that passes in one direction: climb the ladder until a step
 * fails (the cap is the last step), then binary search between the last pass
 * and the first failure. The first try is one byte above the pass, because
 * paths usually have exactly a ladder MTU: one failure then settles it.
 */
static int search(struct probe_ctx *c, bool reverse, uint32_t overhead, uint32_t *max)
{
	uint32_t lo = 0, hi = 0;
	int r;

	*max = 0;
	for (size_t i = 0; i <= ARRAY_SIZE(ladder_mtu) && !hi; i++) {
		uint32_t s = i < ARRAY_SIZE(ladder_mtu) ? ladder_mtu[i] - overhead : PROBE_MAX;

		if (overhead == OVERHEAD_V6 && s + overhead < 1280)
			continue; /* below the IPv6 minimum MTU */
		if (s <= lo)
			continue;
		r = probe(c, reverse, s);
		if (r < 0)
			return r;
		if (r)
			*max = lo = s;
		else
			hi = s;
	}
	for (uint32_t mid = lo + 1; lo && hi && hi - lo > 1; mid = lo + (hi - lo) / 2) {
		r = probe(c, reverse, mid);
		if (r < 0)
			return r;
		if (r)
			*max = lo = mid;
		else
			hi = mid;
	}
	return 0;
}

int mtuprobe_run(int fd, bool ipv6, int stop_fd, int timeout_ms, struct xfr_mtu_result *out)
{
	struct probe_ctx c = {.fd = fd,
			      .stop_fd = stop_fd,
			      .timeout_ms = timeout_ms > 0 ? timeout_ms : MTUPROBE_TIMEOUT_MS,
			      .seq = 1,
			      .out = out};
	uint32_t overhead = ipv6 ? OVERHEAD_V6 : OVERHEAD_V4;
	struct df_saved saved;
	int err;

	memset(out, 0, sizeof(*out));
	out->ipv6 = ipv6;
	c.tx = calloc(1, BUF_LEN);
	c.rx = malloc(BUF_LEN);
	if (!c.tx || !c.rx) {
		err = -ENOMEM;
		goto out_free;
	}
	df_save(fd, &saved);
	err = df_set(fd);
	if (err) {
		pr_debug("mtu probe: cannot set don't-fragment: %s", strerror(-err));
		goto out_free;
	}
	err = search(&c, false, overhead, &out->forward_max_payload);
	if (!err)
		err = search(&c, true, overhead, &out->reverse_max_payload);
	if (out->forward_max_payload)
		out->forward_path_mtu = out->forward_max_payload + overhead;
	if (out->reverse_max_payload)
		out->reverse_path_mtu = out->reverse_max_payload + overhead;
	df_restore(fd, &saved);
out_free:
	free(c.tx);
	free(c.rx);
	return err;
}
