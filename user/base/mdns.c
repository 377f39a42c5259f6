// SPDX-License-Identifier: MIT
/*
 * The announcer: libmdnsd holds the records and answers queries; this file
 * gives it a socket and a thread. The thread sleeps in poll() for what
 * mdnsd_sleep() says, or until a packet or the stop eventfd wakes it.
 * libmdnsd 0.12's message_parse() takes no length: every packet is read
 * into a zeroed buffer of MAX_PACKET_LEN + 1 so a short one reads zeros.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <libmdnsd/mdnsd.h>
#include <libmdnsd/sdtxt.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mdns.h"
#include "timeutil.h"

#define MDNS_GROUP "224.0.0.251"
#define MDNS_TTL   120 /* seconds, the usual for SRV and A */

/* ---- the socket ---- */

static void join_all(struct mdns_sock *s)
{
	struct ifaddrs *ifa, *i;
	struct ip_mreqn mr;

	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i && s->nifs < MDNS_MAX_IFS; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & (IFF_UP | IFF_MULTICAST | IFF_LOOPBACK)) !=
			    (IFF_UP | IFF_MULTICAST))
			continue;
		memset(&mr, 0, sizeof(mr));
		inet_pton(AF_INET, MDNS_GROUP, &mr.imr_multiaddr);
		mr.imr_address = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		mr.imr_ifindex = (int)if_nametoindex(i->ifa_name);
		/* EADDRINUSE: a second address of an interface already joined */
		if (setsockopt(s->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) &&
		    errno != EADDRINUSE)
			continue;
		s->ifs[s->nifs++] = mr.imr_address;
	}
	freeifaddrs(ifa);
}

int mdns_sock_open(struct mdns_sock *s, char *why, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(MDNS_PORT)};
	int one = 1, ttl = 255;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(why, len, "mDNS socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		snprintf(why, len, "mDNS: cannot bind UDP port %d: %s", MDNS_PORT, strerror(err));
		close(s->fd);
		return -err;
	}
	join_all(s);
	if (!s->nifs) {
		snprintf(why, len, "mDNS: no up, multicast-capable IPv4 interface");
		close(s->fd);
		return -ENODEV;
	}
	return 0;
}

void mdns_sock_close(struct mdns_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int mdns_sock_send(const struct mdns_sock *s, const void *buf, size_t len, struct in_addr to,
		   uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = port, .sin_addr = to};
	int sent = 0;

	for (unsigned i = 0; i < s->nifs; i++) {
		if (setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &s->ifs[i], sizeof(s->ifs[i])))
			continue;
		sent += sendto(s->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) ==
			(ssize_t)len;
	}
	return sent ? 0 : -EIO;
}

void mdns_instance_name(char *buf, size_t len)
{
	char host[256];

	if (gethostname(host, sizeof(host)) || !host[0])
		snprintf(host, sizeof(host), "xfr-server");
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0'; /* a label: the domain part is .local. here */
	if (strlen(host) > 63)
		host[63] = '\0';
	snprintf(buf, len, "%s", host);
}

/* ---- the announcer ---- */

struct mdns_announcer {
	struct mdns_sock sock;
	mdns_daemon_t *d;
	int stop_fd;
	pthread_t thread;
	struct message *msg;
	unsigned char *buf; /* MAX_PACKET_LEN + 1 */
	uint16_t port;
	char version[32];
	char names[4][160]; /* what we answer for: enumeration, service, instance, host */
	bool asked;	    /* a query named one of them since the last renewal */
	uint64_t renewed_ns;
};

static void conflict(char *name, int type, void *arg)
{
	(void)arg;
	pr_warn("mDNS: another host announces %s (type %d); rename this host to be told apart",
		name, type);
}

/* The TXT record's bytes: version=VERSION. */
static void set_txt(mdns_daemon_t *d, mdns_record_t *r, const char *version)
{
	xht_t *h = xht_new(11);
	unsigned char *txt;
	int n = 0;

	if (!h)
		return;
	xht_set(h, "version", (void *)version);
	txt = sd2txt(h, &n);
	if (txt)
		mdnsd_set_raw(d, r, (char *)txt, (unsigned short)n);
	free(txt);
	xht_free(h);
}

static void publish(struct mdns_announcer *a, uint16_t port, const char *version)
{
	char label[64], host[80], inst[160];
	mdns_record_t *r;

	mdns_instance_name(label, sizeof(label));
	snprintf(host, sizeof(host), "%s.local.", label);
	snprintf(inst, sizeof(inst), "%s." MDNS_SERVICE, label);
	snprintf(a->names[0], sizeof(a->names[0]), "_services._dns-sd._udp.local.");
	snprintf(a->names[1], sizeof(a->names[1]), MDNS_SERVICE);
	snprintf(a->names[2], sizeof(a->names[2]), "%s", inst);
	snprintf(a->names[3], sizeof(a->names[3]), "%s", host);
	r = mdnsd_shared(a->d, "_services._dns-sd._udp.local.", QTYPE_PTR, MDNS_TTL);
	mdnsd_set_host(a->d, r, MDNS_SERVICE);
	r = mdnsd_shared(a->d, MDNS_SERVICE, QTYPE_PTR, MDNS_TTL);
	mdnsd_set_host(a->d, r, inst);
	r = mdnsd_unique(a->d, inst, QTYPE_SRV, MDNS_TTL, conflict, a);
	mdnsd_set_srv(a->d, r, 0, 0, port, host);
	r = mdnsd_unique(a->d, inst, QTYPE_TXT, 4500, conflict, a);
	set_txt(a->d, r, version);
	for (unsigned i = 0; i < a->sock.nifs; i++) {
		r = mdnsd_shared(a->d, host, QTYPE_A, MDNS_TTL);
		mdnsd_set_ip(a->d, r, a->sock.ifs[i]);
	}
	mdnsd_set_address(a->d, a->sock.ifs[0]);
}

/*
 * Our own multicast answers come back to us (IP_MULTICAST_LOOP stays on so a
 * browser on this host hears them). libmdnsd would take them for another
 * responder's and suppress its next answers as duplicates: a second browser
 * got nothing. Queries from this host's addresses are still answered.
 */
static bool own_answer(const struct mdns_announcer *a, const unsigned char *pkt, ssize_t n,
		       struct in_addr from)
{
	if (n < 3 || !(pkt[2] & 0x80)) /* the header's QR bit: a response */
		return false;
	for (unsigned i = 0; i < a->sock.nifs; i++) {
		if (a->sock.ifs[i].s_addr == from.s_addr)
			return true;
	}
	return false;
}

/* A query (not a response) with a question about one of our names. */
static void note_query(struct mdns_announcer *a, const struct message *m)
{
	if (m->header.qr)
		return;
	for (int q = 0; q < m->qdcount && m->qd; q++) {
		for (int i = 0; i < 4; i++) {
			if (m->qd[q].name && !strcasecmp(m->qd[q].name, a->names[i]))
				a->asked = true;
		}
	}
}

static void read_in(struct mdns_announcer *a)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	for (;;) {
		n = recvfrom(a->sock.fd, a->buf, MAX_PACKET_LEN, 0, (struct sockaddr *)&from,
			     &flen);
		if (n <= 0)
			return;
		memset(a->msg, 0, sizeof(*a->msg));
		if (!own_answer(a, a->buf, n, from.sin_addr) &&
		    message_parse(a->msg, a->buf) == 0) {
			note_query(a, a->msg);
			mdnsd_in(a->d, a->msg, from.sin_addr, ntohs(from.sin_port));
		}
		memset(a->buf, 0, (size_t)n); /* the next short packet reads zeros past its end */
		flen = sizeof(from);
	}
}

static void write_out(struct mdns_announcer *a)
{
	unsigned short port;
	struct in_addr to;

	while (mdnsd_out(a->d, a->msg, &to, &port))
		mdns_sock_send(&a->sock, message_packet(a->msg), (size_t)message_packet_len(a->msg),
			       to, port);
}

/*
 * libmdnsd 0.12 stops answering queries for shared records after a few
 * (each answer is queued and never sent: its record lists get tangled; later
 * versions fixed _r_publish). A fresh daemon announces everything again, so
 * a query for our names renews it, at most every MDNS_RENEW_MS; a browser
 * then hears the announcement within about a second (probing included).
 */
#define MDNS_RENEW_MS 2000

static void renew(struct mdns_announcer *a)
{
	uint64_t now = time_mono_ns();
	mdns_daemon_t *d;

	if (now - a->renewed_ns < MDNS_RENEW_MS * 1000000ULL)
		return; /* asked stays set: renewed when the time comes */
	a->asked = false;
	d = mdnsd_new(QCLASS_IN, 1000);
	if (!d)
		return;
	mdnsd_free(a->d);
	a->d = d;
	a->renewed_ns = now;
	publish(a, a->port, a->version);
}

static void *announce_thread(void *arg)
{
	struct mdns_announcer *a = arg;
	struct pollfd p[2] = {{a->sock.fd, POLLIN, 0}, {a->stop_fd, POLLIN, 0}};
	struct timeval *tv;
	int ms;

	for (;;) {
		write_out(a);
		tv = mdnsd_sleep(a->d);
		ms = (int)(tv->tv_sec * 1000 + tv->tv_usec / 1000);
		if (a->asked && ms > MDNS_RENEW_MS) /* a renewal is waiting for its time */
			ms = MDNS_RENEW_MS;
		if (poll(p, 2, ms > 0 ? ms : 1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			read_in(a);
		if (a->asked)
			renew(a);
	}
	mdnsd_shutdown(a->d); /* goodbye packets: TTL 0 */
	write_out(a);
	return NULL;
}

static void announcer_free(struct mdns_announcer *a)
{
	if (a->d)
		mdnsd_free(a->d);
	mdns_sock_close(&a->sock);
	if (a->stop_fd >= 0)
		close(a->stop_fd);
	free(a->msg);
	free(a->buf);
	free(a);
}

struct mdns_announcer *mdns_announce_start(uint16_t port, const char *version, char *why,
					   size_t len)
{
	struct mdns_announcer *a = calloc(1, sizeof(*a));
	char quiet[] = "none";
	int err;

	if (!a)
		return NULL;
	a->stop_fd = -1;
	a->sock.fd = -1;
	if (mdns_sock_open(&a->sock, why, len))
		goto fail;
	a->msg = malloc(sizeof(*a->msg));
	a->buf = calloc(1, MAX_PACKET_LEN + 1);
	a->stop_fd = eventfd(0, EFD_CLOEXEC);
	mdnsd_log_level(quiet); /* the library prints notices on stdout */
	a->d = mdnsd_new(QCLASS_IN, 1000);
	if (!a->msg || !a->buf || a->stop_fd < 0 || !a->d) {
		snprintf(why, len, "mDNS: out of memory");
		goto fail;
	}
	a->port = port;
	snprintf(a->version, sizeof(a->version), "%s", version);
	a->renewed_ns = time_mono_ns();
	publish(a, port, version);
	err = pthread_create(&a->thread, NULL, announce_thread, a);
	if (err) {
		snprintf(why, len, "mDNS: cannot start its thread: %s", strerror(err));
		goto fail;
	}
	return a;
fail:
	announcer_free(a);
	return NULL;
}

void mdns_announce_stop(struct mdns_announcer *a)
{
	uint64_t one = 1;

	if (!a)
		return;
	if (write(a->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(a->thread, NULL);
	else
		pthread_cancel(a->thread); /* cannot happen: an eventfd takes 1 */
	announcer_free(a);
}
