// SPDX-License-Identifier: MIT
/*
 * Browsing: a PTR query for _xfr._tcp.local. gives the instances; each
 * instance's SRV gives its host and port, its TXT the version, the host's A
 * record the address. libmdnsd keeps asking and calls back as answers come;
 * after the timeout the servers with a host, a port and an address are
 * printed, sorted by address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmdnsd/mdnsd.h>
#include <libmdnsd/sdtxt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mdns.h"
#include "cmd/cmdopt.h"
#include "cmd/discover.h"
#include "timeutil.h"
#include "units.h"

#define USAGE "usage: xfr discover [--timeout DUR]"

struct found {
	char instance[256];
	char host[256];
	char version[32];
	uint16_t port;
	struct in_addr addr;
	bool has_srv, has_addr;
};

struct browse {
	mdns_daemon_t *d;
	struct mdns_sock sock;
	struct message *msg;
	unsigned char *buf;
	struct found f[DISCOVER_MAX];
	unsigned n;
};

static struct found *by_instance(struct browse *b, const char *name, bool add)
{
	for (unsigned i = 0; i < b->n; i++) {
		if (!strcasecmp(b->f[i].instance, name))
			return &b->f[i];
	}
	if (!add || b->n == DISCOVER_MAX || strlen(name) >= sizeof(b->f[0].instance))
		return NULL;
	memset(&b->f[b->n], 0, sizeof(b->f[0]));
	strcpy(b->f[b->n].instance, name);
	return &b->f[b->n++];
}

static int on_a(mdns_answer_t *a, void *arg)
{
	struct browse *b = arg;

	if (!a->ttl || a->type != QTYPE_A)
		return 0;
	for (unsigned i = 0; i < b->n; i++) {
		if (b->f[i].has_srv && !strcasecmp(b->f[i].host, a->name)) {
			b->f[i].addr = a->ip;
			b->f[i].has_addr = true;
		}
	}
	return 0;
}

static int on_srv(mdns_answer_t *a, void *arg)
{
	struct browse *b = arg;
	struct found *f = by_instance(b, a->name, false);

	if (!f || !a->ttl || !a->rdname || strlen(a->rdname) >= sizeof(f->host))
		return 0;
	strcpy(f->host, a->rdname);
	f->port = a->srv.port;
	f->has_srv = true;
	if (!mdnsd_has_query(b->d, f->host))
		mdnsd_query(b->d, f->host, QTYPE_A, on_a, b);
	return 0;
}

static int on_txt(mdns_answer_t *a, void *arg)
{
	struct browse *b = arg;
	struct found *f = by_instance(b, a->name, false);
	xht_t *h;
	const char *v;

	if (!f || !a->ttl || !a->rdlen)
		return 0;
	h = txt2sd(a->rdata, a->rdlen);
	v = h ? xht_get(h, "version") : NULL;
	if (v)
		snprintf(f->version, sizeof(f->version), "%s", v);
	if (h)
		xht_free(h);
	return 0;
}

static int on_ptr(mdns_answer_t *a, void *arg)
{
	struct browse *b = arg;

	if (!a->ttl || !a->rdname || by_instance(b, a->rdname, false))
		return 0;
	if (!by_instance(b, a->rdname, true))
		return 0;
	mdnsd_query(b->d, a->rdname, QTYPE_SRV, on_srv, b);
	mdnsd_query(b->d, a->rdname, QTYPE_TXT, on_txt, b);
	return 0;
}

static void browse_io(struct browse *b)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	unsigned short port;
	struct in_addr to;
	ssize_t n;

	while ((n = recvfrom(b->sock.fd, b->buf, MAX_PACKET_LEN, 0, (struct sockaddr *)&from,
			     &flen)) > 0) {
		memset(b->msg, 0, sizeof(*b->msg));
		if (message_parse(b->msg, b->buf) == 0)
			mdnsd_in(b->d, b->msg, from.sin_addr, ntohs(from.sin_port));
		memset(b->buf, 0, (size_t)n);
		flen = sizeof(from);
	}
	while (mdnsd_out(b->d, b->msg, &to, &port))
		mdns_sock_send(&b->sock, message_packet(b->msg), (size_t)message_packet_len(b->msg),
			       to, port);
}

static void browse_run(struct browse *b, uint64_t timeout_ms)
{
	uint64_t end = time_mono_ns() + timeout_ms * 1000000ULL, now;
	struct pollfd p = {b->sock.fd, POLLIN, 0};
	struct timeval *tv;
	int64_t ms;

	mdnsd_query(b->d, MDNS_SERVICE, QTYPE_PTR, on_ptr, b);
	while ((now = time_mono_ns()) < end) {
		browse_io(b);
		tv = mdnsd_sleep(b->d);
		ms = tv->tv_sec * 1000 + tv->tv_usec / 1000;
		if (ms > (int64_t)((end - now) / 1000000) || ms <= 0)
			ms = (int64_t)((end - now) / 1000000) + 1;
		poll(&p, 1, (int)ms);
	}
}

/*
 * An A record that reached the cache before its query (the server sends it
 * with the SRV) is not called back once the query exists: known-answer
 * suppression keeps the server from sending it again. Read the cache.
 */
static void resolve_cached(struct browse *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		struct found *f = &b->f[i];
		mdns_answer_t *a;

		if (!f->has_srv || f->has_addr)
			continue;
		a = mdnsd_list(b->d, f->host, QTYPE_A, NULL);
		if (a) {
			f->addr = a->ip;
			f->has_addr = true;
		}
	}
}

static int cmp_found(const void *x, const void *y)
{
	const struct found *a = x, *b = y;

	if (a->addr.s_addr != b->addr.s_addr)
		return ntohl(a->addr.s_addr) < ntohl(b->addr.s_addr) ? -1 : 1;
	return a->port - b->port;
}

static unsigned print_found(struct browse *b, FILE *out)
{
	char ip[INET_ADDRSTRLEN], host[256];
	unsigned n = 0;

	qsort(b->f, b->n, sizeof(b->f[0]), cmp_found);
	for (unsigned i = 0; i < b->n; i++)
		n += b->f[i].has_srv && b->f[i].has_addr;
	if (!n) {
		fprintf(out, "No xfr servers found.\n");
		return 0;
	}
	fprintf(out, "Found %u server%s:\n", n, n == 1 ? "" : "s");
	for (unsigned i = 0; i < b->n; i++) {
		const struct found *f = &b->f[i];

		if (!f->has_srv || !f->has_addr)
			continue;
		inet_ntop(AF_INET, &f->addr, ip, sizeof(ip));
		snprintf(host, sizeof(host), "%s", f->host);
		if (strlen(host) > 7 && !strcasecmp(host + strlen(host) - 7, ".local."))
			host[strlen(host) - 7] = '\0';
		fprintf(out, "  %s:%u (%s) xfr/%s\n", ip, f->port, host,
			f->version[0] ? f->version : "unknown");
	}
	return n;
}

static void print_usage(FILE *out)
{
	fprintf(out, USAGE "\n\nList the xfr servers that announce themselves by mDNS\n"
			   "on this host's networks (_xfr._tcp.local.).\n\n"
			   "  --timeout DUR  how long to listen (default 5 s)\n");
}

static int set_timeout(const char *val, void *ctx, FILE *err)
{
	uint64_t *ms = ctx;

	if (!units_parse_duration_ms(val, ms) && *ms >= 100 && *ms <= 3600000)
		return 0;
	fprintf(err, "xfr: discover --timeout %s: must be a duration, 100ms to 1h\n", val);
	return -1;
}

static const struct cmd_opts discover_opts = {
	.cmd = "discover",
	.usage = USAGE,
	.opt = "timeout",
	.set = set_timeout,
	.help = print_usage,
};

int discover_main(int argc, char **argv, FILE *out, FILE *err)
{
	uint64_t ms = DISCOVER_DEFAULT_MS;
	struct browse *b;
	char why[200], quiet[] = "none";
	int rc = cmd_opts_parse(&discover_opts, argc, argv, &ms, out, err);

	if (rc)
		return rc > 0 ? 0 : 2;
	b = calloc(1, sizeof(*b));
	if (!b || mdns_sock_open(&b->sock, why, sizeof(why))) {
		fprintf(err, "xfr: discover: %s\n", b ? why : "out of memory");
		free(b);
		return 1;
	}
	b->msg = malloc(sizeof(*b->msg));
	b->buf = calloc(1, MAX_PACKET_LEN + 1);
	mdnsd_log_level(quiet); /* the library prints notices on stdout */
	b->d = mdnsd_new(QCLASS_IN, 1000);
	rc = 1;
	if (b->msg && b->buf && b->d) {
		fprintf(err, "Searching for xfr servers (%.1f s)...\n", (double)ms / 1000);
		browse_run(b, ms);
		resolve_cached(b);
		print_found(b, out);
		rc = 0;
	} else {
		fprintf(err, "xfr: discover: out of memory\n");
	}
	if (b->d)
		mdnsd_free(b->d);
	mdns_sock_close(&b->sock);
	free(b->msg);
	free(b->buf);
	free(b);
	return rc;
}
