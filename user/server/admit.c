// SPDX-License-Identifier: MIT
/*
 * The server's budgets and limits (server/policy.h) applied to its state:
 * the descriptor limit raised and planned at start, unidentified connections
 * and test slots per client address, streams per test and in all, the
 * descriptors a test needs, --max-bandwidth and the wall-clock cap that
 * counts paused time. Every refusal is a one-line reason the caller sends to
 * the client and logs once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/log.h"
#include "server/server_priv.h"
#include "timeutil.h"
#include "units.h"

#define NR_OPEN_PATH "/proc/sys/fs/nr_open"

/* The kernel's ceiling for an unlimited hard limit. */
static rlim_t nr_open(void)
{
	unsigned long long v = 0;
	FILE *f = fopen(NR_OPEN_PATH, "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? (rlim_t)v : 1048576;
}

/*
 * Every connection, listener and data socket is a descriptor: take what the
 * hard limit allows (the soft limit is often 1024 for compatibility with
 * select(), which xfr does not use).
 */
static uint64_t raise_nofile(void)
{
	struct rlimit rl;
	rlim_t old, want;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		pr_warn("file descriptors: getrlimit: %s; assuming 1024", strerror(errno));
		return 1024;
	}
	old = rl.rlim_cur;
	want = rl.rlim_max == RLIM_INFINITY ? nr_open() : rl.rlim_max;
	if (old != RLIM_INFINITY && old >= want) {
		pr_info("file descriptors: limit %llu (the hard limit)", (unsigned long long)old);
		return old;
	}
	if (old == RLIM_INFINITY)
		return want;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		pr_info("file descriptors: limit %llu (raising it to %llu: %s)",
			(unsigned long long)old, (unsigned long long)want, strerror(errno));
		return old;
	}
	pr_info("file descriptors: limit raised from %llu to %llu", (unsigned long long)old,
		(unsigned long long)want);
	return want;
}

/* MemTotal in bytes; 0 = unknown. */
static uint64_t host_ram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

static void log_limits(const struct srv *s)
{
	const struct xfr_config *c = s->cfg;
	char rate[32], bw[64] = "no bandwidth cap", mem[32];

	if (s->fds.shrunk)
		pr_warn("file descriptor limit %llu: at most %u tests and %u unidentified connections "
			"at a time (raise ulimit -n for --max-tests %u)",
			(unsigned long long)s->fds.limit, s->fds.tests, s->fds.pending,
			c->max_tests);
	if (c->max_bandwidth)
		snprintf(bw, sizeof(bw), "bandwidth cap %s per test",
			 units_fmt_rate((double)c->max_bandwidth, rate, sizeof(rate)));
	units_fmt_bytes(s->mem_budget, mem, sizeof(mem));
	pr_info("limits: %u tests (%u per address), %u unidentified connections (%u per address), "
		"%u streams per test, %u in all (%u per address), %llu descriptors for tests, "
		"%s of test buffers (half per address), pauses up to %u s, %s",
		s->fds.tests, c->rate_limit, s->fds.pending, c->max_pending_ip, c->max_streams,
		c->max_streams_total, policy_streams_per_ip(c->max_streams_total, c->max_streams),
		(unsigned long long)s->fds.data, mem, c->max_pause_s, bw);
}

int admit_init(struct srv *s)
{
	const struct xfr_config *c = s->cfg;
	uint64_t seed = time_mono_ns();
	int err;

	uint32_t pending = c->max_tests * SRV_PENDING_FACTOR;

	if (pending < SRV_PENDING_MIN)
		pending = SRV_PENDING_MIN;
	policy_fd_plan(raise_nofile(), c->max_tests, pending, &s->fds);
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		pr_debug("getrandom: %s; the address table's seed is the clock", strerror(errno));
	err = policy_iptab_init(&s->ips, s->fds.tests + s->fds.pending, seed);
	if (err)
		return err;
	s->prange = (struct srv_prange){c->data_port_lo, c->data_port_hi, c->data_port_lo};
	s->mem_budget = policy_mem_budget(c->max_memory, host_ram());
	log_limits(s);
	return 0;
}

void admit_fini(struct srv *s)
{
	policy_iptab_fini(&s->ips);
}

const char *admit_connection(struct srv *s, const struct net_addr *peer, struct policy_ip **ip,
			     char *buf, size_t len)
{
	uint32_t per_ip = s->cfg->max_pending_ip;
	struct policy_key k;
	struct policy_ip *e;

	*ip = NULL;
	if (s->npending >= s->fds.pending + s->expect) {
		snprintf(buf, len, "server busy: %u connections are waiting for their first line",
			 s->npending);
		return buf;
	}
	if (!s->ips.bucket || !policy_key_of((const struct sockaddr *)&peer->ss, &k))
		return NULL; /* no table (never started) or a family without addresses */
	e = policy_ip_get(&s->ips, &k);
	if (!e) {
		snprintf(buf, len, "server error: out of memory");
		return buf;
	}
	/* A test's own data connections are expected: they do not count against it. */
	if (per_ip && e->pending >= per_ip + e->expect) {
		snprintf(buf, len,
			 "server busy: %u connections from your address have not sent their first "
			 "line (limit %u)",
			 e->pending, per_ip);
		policy_ip_put(&s->ips, e);
		return buf;
	}
	e->pending++;
	*ip = e;
	return NULL;
}

void admit_connection_done(struct srv *s, struct policy_ip *ip)
{
	if (!ip)
		return;
	ip->pending--;
	policy_ip_put(&s->ips, ip);
}

const char *admit_hello(struct srv *s, const struct policy_ip *ip, char *buf, size_t len)
{
	uint32_t per_ip = s->cfg->rate_limit;

	if (s->ntests >= s->cfg->max_tests || s->ntests >= s->fds.tests)
		snprintf(buf, len, "server busy (%u tests running)", s->ntests);
	else if (ip && per_ip && ip->tests >= per_ip)
		snprintf(buf, len, "server busy: %u tests from your address already (limit %u)",
			 ip->tests, per_ip);
	else
		return NULL;
	return buf;
}

void admit_hold_test(struct srv_test *t)
{
	struct srv *s = t->srv;
	struct policy_key k;

	if (!s->ips.bucket || !policy_key_of((const struct sockaddr *)&t->peer.ss, &k))
		return;
	t->ip = policy_ip_get(&s->ips, &k);
	if (t->ip)
		t->ip->tests++;
}

bool admit_single_port(const struct srv_test *t, enum xfr_proto proto)
{
	if (proto == XFR_PROTO_TCP)
		return t->client_caps & CAP_SINGLE_PORT_TCP;
	return (t->client_caps & CAP_SINGLE_PORT_UDP_V1) && t->srv->udp_single_port;
}

static uint32_t test_fds(const struct srv_test *t, const struct proto_test_start *r)
{
	bool tcp = r->proto == XFR_PROTO_TCP, single = admit_single_port(t, r->proto);
	enum policy_ports ports = tcp ? single ? POLICY_PORTS_TCP_SHARED : POLICY_PORTS_TCP_LISTEN
				  : single ? POLICY_PORTS_UDP_SHARED
					   : POLICY_PORTS_UDP_OWN;

	return policy_test_fds(r->streams, ports,
			       t->dp.engine == XFR_ENG_XDP || t->dp.engine == XFR_ENG_AFXDP,
			       t->dp.drop_reasons || t->dp.bpf_tcp);
}

static const char *check_mem(const struct srv *s, const struct srv_test *t, uint64_t mem, char *buf,
			     size_t len)
{
	uint64_t free_mem = s->mem_budget > s->mem_used ? s->mem_budget - s->mem_used : 0;
	uint64_t per_ip = policy_mem_per_ip(s->mem_budget);
	char a[32], b[32], c[32];

	units_fmt_bytes(mem, a, sizeof(a));
	if (mem > free_mem) {
		units_fmt_bytes(free_mem, b, sizeof(b));
		units_fmt_bytes(s->mem_budget, c, sizeof(c));
		snprintf(buf, len,
			 "server busy: this test needs %s of buffers, %s free of %s (fewer streams "
			 "or a smaller -l fit)",
			 a, b, c);
		return buf;
	}
	if (t->ip && t->ip->mem + mem > per_ip) {
		units_fmt_bytes(t->ip->mem, b, sizeof(b));
		units_fmt_bytes(per_ip, c, sizeof(c));
		snprintf(buf, len,
			 "server busy: your address holds %s of buffers, this test needs %s more "
			 "(limit %s per address)",
			 b, a, c);
		return buf;
	}
	return NULL;
}

/* --max-bandwidth: a client that sends must ask for a rate under the cap. */
static const char *check_rate(const struct srv_test *t, const struct proto_test_start *r, char *buf,
			      size_t len)
{
	uint64_t cap = t->srv->cfg->max_bandwidth, rate;
	char a[32], b[32];

	if (!cap || r->dir == XFR_DIR_DOWNLOAD || r->mtu_probe)
		return NULL;
	rate = r->has_bitrate ? r->bitrate : r->proto == XFR_PROTO_UDP ? XFR_DEFAULT_UDP_RATE : 0;
	if (policy_rate_ok(cap, rate))
		return NULL;
	units_fmt_rate((double)cap, b, sizeof(b));
	if (rate)
		units_fmt_rate((double)rate, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "no limit");
	snprintf(buf, len,
		 "field bitrate: %s asked; this server takes at most %s per test (ask with -b)", a,
		 b);
	return buf;
}

const char *admit_test(struct srv_test *t, const struct proto_test_start *r, uint64_t mem,
		       char *buf, size_t len)
{
	struct srv *s = t->srv;
	const struct xfr_config *c = s->cfg;
	uint64_t fds = test_fds(t, r), free_fds;
	uint32_t per_ip = policy_streams_per_ip(c->max_streams_total, c->max_streams);

	free_fds = s->fds.data > s->fds_used ? s->fds.data - s->fds_used : 0;
	if (c->max_streams && r->streams > c->max_streams)
		snprintf(buf, len, "field streams: %u over this server's limit of %u per test",
			 r->streams, c->max_streams);
	else if (c->max_streams_total && s->streams_used + r->streams > c->max_streams_total)
		snprintf(buf, len,
			 "server busy: %u of %u streams in use, this test asks for %u more",
			 s->streams_used, c->max_streams_total, r->streams);
	else if (t->ip && per_ip && t->ip->streams + r->streams > per_ip)
		snprintf(buf, len,
			 "server busy: your address runs %u streams, this test asks for %u more "
			 "(limit %u per address)",
			 t->ip->streams, r->streams, per_ip);
	else if (s->fds.limit && fds > free_fds)
		snprintf(buf, len,
			 "server busy: not enough file descriptors for %u streams (%llu needed, "
			 "%llu free of %llu): raise ulimit -n on the server",
			 r->streams, (unsigned long long)fds, (unsigned long long)free_fds,
			 (unsigned long long)s->fds.limit);
	else if (check_rate(t, r, buf, len) || check_mem(s, t, mem, buf, len))
		return buf;
	else
		buf[0] = '\0';
	if (buf[0])
		return buf;
	t->streams_held = r->streams;
	s->streams_used += r->streams;
	if (t->ip)
		t->ip->streams += r->streams;
	t->fds_held = (uint32_t)fds;
	s->fds_used += fds;
	t->mem_held = mem;
	s->mem_used += mem;
	if (t->ip)
		t->ip->mem += mem;
	return NULL;
}

static void set_expect(struct srv_test *t, uint32_t n)
{
	struct srv *s = t->srv;

	s->expect = s->expect - t->expect_held + n;
	if (t->ip)
		t->ip->expect = t->ip->expect - t->expect_held + n;
	t->expect_held = n;
}

void admit_expect(struct srv_test *t)
{
	const struct srv_ports *p = &t->ports;
	bool shared_tcp = p->tcp && !p->udp_single && admit_single_port(t, XFR_PROTO_TCP);

	if (t->dead || t->state != TS_STREAMS || !p->taking || !shared_tcp)
		set_expect(t, 0);
	else
		set_expect(t, p->streams - p->nconnected);
}

void admit_running(struct srv_test *t)
{
	uint64_t ms =
		((uint64_t)t->duration_s + t->srv->cfg->max_pause_s) * 1000 + SRV_LIMIT_SLACK_MS;

	t->limit_ns = time_mono_ns() + ms * NSEC_PER_MSEC;
}

/* The rate our senders run at for t, asked and granted (0 = unlimited). */
static void send_rates(const struct srv_test *t, uint64_t *asked, uint64_t *granted)
{
	const struct proto_test_start *r = &t->req;

	*asked = r->has_bitrate ? r->bitrate : r->proto == XFR_PROTO_UDP ? XFR_DEFAULT_UDP_RATE : 0;
	*granted = policy_rate_clamp(t->rate_cap, *asked);
}

void admit_ack_limits(const struct srv_test *t, struct proto_test_ack *ack)
{
	const struct proto_test_start *r = &t->req;
	uint64_t asked, granted;
	char a[32];
	int n = 0;

	if (!r->duration_secs || r->duration_secs > t->duration_s) {
		ack->duration_secs = t->duration_s;
		n = snprintf(ack->limit_note, sizeof(ack->limit_note),
			     "server limits tests to %u s (%s)", t->duration_s,
			     srvlog_cap_name(t->srv->cfg));
	}
	send_rates(t, &asked, &granted);
	if (r->dir == XFR_DIR_UPLOAD || r->mtu_probe || granted == asked)
		return;
	ack->has_bitrate = true;
	ack->bitrate = granted;
	snprintf(ack->limit_note + n, sizeof(ack->limit_note) - (size_t)n,
		 "%sserver sends at most %s per test (--max-bandwidth)", n ? "; " : "",
		 units_fmt_rate((double)granted, a, sizeof(a)));
}

const char *admit_over_rate(const struct srv_test *t, const struct run_tick *tk, char *buf,
			    size_t len)
{
	uint64_t bytes = 0, got;
	char a[32], b[32];

	if (!t->rate_cap || t->req.dir == XFR_DIR_DOWNLOAD || tk->span_s <= 0)
		return NULL;
	for (uint32_t i = 0; i < tk->nflows; i++) {
		const struct xfr_flow *f = &tk->flows[i];

		if (f->dir != XFR_FLOW_UP)
			continue;
		got = f->has_recv ? f->recv_bytes : 0;
		if (f->has_xdp && f->xdp_bytes > got)
			got = f->xdp_bytes;
		bytes += got;
	}
	if (bytes <= policy_rate_allowance(t->rate_cap, tk->span_s))
		return NULL;
	units_fmt_rate((double)bytes * 8.0 / tk->span_s, a, sizeof(a));
	units_fmt_rate((double)t->rate_cap, b, sizeof(b));
	snprintf(buf, len, "client sent %s, over this server's limit of %s per test", a, b);
	return buf;
}

void admit_release(struct srv_test *t)
{
	struct srv *s = t->srv;

	set_expect(t, 0);
	s->streams_used -= t->streams_held;
	s->fds_used -= t->fds_held;
	s->mem_used -= t->mem_held;
	t->limit_ns = 0;
	if (t->ip) {
		t->ip->streams -= t->streams_held;
		t->ip->mem -= t->mem_held;
		t->ip->tests--;
		policy_ip_put(&s->ips, t->ip);
		t->ip = NULL;
	}
	t->streams_held = t->fds_held = 0;
	t->mem_held = 0;
}
