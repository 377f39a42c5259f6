// SPDX-License-Identifier: MIT
/*
 * Host network facts for the kernel data plane (see netinfo.h), asked of the
 * kernel directly: rtnetlink for routes, neighbours and links, the ethtool
 * ioctl for driver and channels, the "netdev" generic netlink family for XDP
 * features, capget(2) for capabilities. Raw netlink sockets: no libmnl/libnl.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include "base/log.h"
#include "base/net.h"
#include "base/netinfo.h"
#include "timeutil.h"

/* linux/netdev.h arrived with 6.3; Debian 12's headers predate it. Values are UAPI. */
#define NI_NETDEV_FAMILY	"netdev"
#define NI_NETDEV_CMD_DEV_GET	1
#define NI_NETDEV_A_DEV_IFINDEX 1
#define NI_NETDEV_A_DEV_XDP	3
#define NI_XDP_ACT_BASIC	(1ULL << 0)
#define NI_XDP_ACT_REDIRECT	(1ULL << 1)
#define NI_XDP_ACT_NDO_XMIT	(1ULL << 2)
#define NI_XDP_ACT_XSK_ZC	(1ULL << 3)

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define NI_BUF_LEN	65536
#define NI_MSG_LEN	512
#define NI_POLL_NS	10000000L /* neighbour table poll period: 10 ms */
#define NI_DISCARD_PORT 9

struct nl_msg {
	union {
		struct nlmsghdr nh;
		char buf[NI_MSG_LEN];
	};
};

/* Called for each reply message of our sequence; < 0 stops with that error. */
typedef int (*nl_cb)(const struct nlmsghdr *nh, void *arg);

static int nl_open(int proto)
{
	struct timeval tv = {.tv_sec = 2};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	/* A reply that never comes must not hang the caller. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void *nl_init(struct nl_msg *m, int type, int flags, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_len = NLMSG_LENGTH(hdrlen);
	m->nh.nlmsg_type = type;
	m->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	return NLMSG_DATA(&m->nh);
}

static void nl_put(struct nl_msg *m, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)(m->buf + NLMSG_ALIGN(m->nh.nlmsg_len));

	/* Requests are built from fixed, small attributes: overflow is a bug. */
	if (NLMSG_ALIGN(m->nh.nlmsg_len) + RTA_SPACE(len) > sizeof(m->buf))
		abort();
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + RTA_SPACE(len);
}

/* One pass over a received datagram; 1 = the exchange is over (*err set). */
static int nl_walk(char *buf, size_t len, uint32_t seq, nl_cb cb, void *arg, int *err)
{
	struct nlmsghdr *nh;

	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_DONE) {
			if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				*err = *(int *)NLMSG_DATA(nh) < 0 ? *(int *)NLMSG_DATA(nh) : 0;
			return 1;
		}
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			*err = nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? e->error : -EPROTO;
			return 1;
		}
		*err = cb(nh, arg);
		if (*err < 0 || !(nh->nlmsg_flags & NLM_F_MULTI))
			return 1;
	}
	return 0;
}

/* Sends @m on @fd and feeds every reply to @cb until done. 0 or -errno. */
static int nl_talk(int fd, struct nl_msg *m, nl_cb cb, void *arg)
{
	static uint32_t next_seq;
	uint32_t seq = __atomic_add_fetch(&next_seq, 1, __ATOMIC_RELAXED);
	int err = 0, done = 0;
	char *buf;
	ssize_t n;

	m->nh.nlmsg_seq = seq;
	if (send(fd, m, m->nh.nlmsg_len, 0) < 0)
		return -errno;
	buf = malloc(NI_BUF_LEN);
	if (!buf)
		return -ENOMEM;
	while (!done) {
		n = recv(fd, buf, NI_BUF_LEN, MSG_TRUNC);
		if (n < 0) {
			err = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (n > NI_BUF_LEN) {
			err = -EMSGSIZE;
			break;
		}
		done = nl_walk(buf, (size_t)n, seq, cb, arg, &err);
	}
	free(buf);
	return err;
}

static void rta_parse(struct rtattr **tb, int max, struct rtattr *rta, int len)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		int type = rta->rta_type & NLA_TYPE_MASK;

		if (type <= max && !tb[type])
			tb[type] = rta;
	}
}

static void name_copy(char dst[16], const char *src)
{
	size_t n = strnlen(src, 15);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---------------------------------------------------------------- routes */

struct ni_addr {
	int family;
	int len; /* 4 or 16 */
	uint8_t a[16];
	uint32_t scope_id;
};

/* IPv4-mapped IPv6 destinations are IPv4 to the kernel's routing. */
static int addr_of_sockaddr(const struct sockaddr *dst, struct ni_addr *k)
{
	struct sockaddr_storage ss = {0};
	const struct sockaddr *sa = (const struct sockaddr *)&ss;

	if (dst->sa_family != AF_INET && dst->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	memcpy(&ss, dst,
	       dst->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in));
	net_unmap_v4(&ss);
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		k->family = AF_INET;
		k->len = 4;
		memcpy(k->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		k->family = AF_INET6;
		k->len = 16;
		k->scope_id = s6->sin6_scope_id;
		memcpy(k->a, &s6->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static socklen_t sockaddr_of_addr(int family, const uint8_t *addr, uint16_t port, int ifindex,
				  struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, addr, 4);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, addr, 16);
	if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
		s6->sin6_scope_id = (uint32_t)ifindex;
	return sizeof(*s6);
}

struct route_ctx {
	const struct ni_addr *dst;
	struct netinfo_route *r;
	bool has_src;
	int err;
};

static int route_nexthop(struct route_ctx *ctx, struct rtattr **tb)
{
	struct netinfo_route *r = ctx->r;

	if (tb[RTA_GATEWAY] && RTA_PAYLOAD(tb[RTA_GATEWAY]) == (unsigned)ctx->dst->len) {
		memcpy(r->nexthop, RTA_DATA(tb[RTA_GATEWAY]), ctx->dst->len);
		r->has_gateway = true;
	} else if (tb[RTA_VIA] && RTA_PAYLOAD(tb[RTA_VIA]) >= sizeof(struct rtvia)) {
		const struct rtvia *via = RTA_DATA(tb[RTA_VIA]);
		size_t alen = RTA_PAYLOAD(tb[RTA_VIA]) - sizeof(*via);

		/* An IPv4 route via an IPv6 next hop (RFC 5549) has no place in one family. */
		if (via->rtvia_family != ctx->dst->family || alen != (size_t)ctx->dst->len)
			return -EOPNOTSUPP;
		memcpy(r->nexthop, via->rtvia_addr, alen);
		r->has_gateway = true;
	} else {
		memcpy(r->nexthop, ctx->dst->a, ctx->dst->len);
	}
	return 0;
}

static int route_parse(const struct nlmsghdr *nh, void *arg)
{
	struct route_ctx *ctx = arg;
	struct rtmsg *rtm = NLMSG_DATA(nh);
	struct rtattr *tb[RTA_MAX + 1];

	if (nh->nlmsg_type != RTM_NEWROUTE || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	if (rtm->rtm_type == RTN_UNREACHABLE || rtm->rtm_type == RTN_BLACKHOLE ||
	    rtm->rtm_type == RTN_PROHIBIT)
		return -ENETUNREACH;
	rta_parse(tb, RTA_MAX, RTM_RTA(rtm), (int)RTM_PAYLOAD(nh));
	if (!tb[RTA_OIF])
		return -ENETUNREACH;
	ctx->r->ifindex = *(int *)RTA_DATA(tb[RTA_OIF]);
	if (tb[RTA_PREFSRC] && RTA_PAYLOAD(tb[RTA_PREFSRC]) == (unsigned)ctx->dst->len) {
		memcpy(ctx->r->src, RTA_DATA(tb[RTA_PREFSRC]), ctx->dst->len);
		ctx->has_src = true;
	}
	return route_nexthop(ctx, tb);
}

/* The source address the kernel would choose, when the route did not say. */
static int route_src_by_connect(const struct ni_addr *dst, int ifindex, uint8_t *src)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of_addr(dst->family, dst->a, NI_DISCARD_PORT, ifindex, &ss);
	int fd, err = 0;

	fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		err = -errno;
	else if (dst->family == AF_INET)
		memcpy(src, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(src, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	close(fd);
	return err;
}

int netinfo_route_get(const struct sockaddr *dst, struct netinfo_route *r)
{
	struct route_ctx ctx = {.r = r};
	struct ni_addr k;
	struct nl_msg m;
	struct rtmsg *rtm;
	int fd, err;

	memset(r, 0, sizeof(*r));
	err = addr_of_sockaddr(dst, &k);
	if (err)
		return err;
	ctx.dst = &k;
	rtm = nl_init(&m, RTM_GETROUTE, 0, sizeof(*rtm));
	rtm->rtm_family = k.family;
	rtm->rtm_dst_len = k.len * 8;
	nl_put(&m, RTA_DST, k.a, k.len);
	if (k.scope_id)
		nl_put(&m, RTA_OIF, &k.scope_id, sizeof(k.scope_id));
	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	err = nl_talk(fd, &m, route_parse, &ctx);
	close(fd);
	if (!err && !r->ifindex)
		err = -ENETUNREACH;
	if (err)
		return err;
	r->family = k.family;
	if (!if_indextoname(r->ifindex, r->ifname))
		return -ENODEV;
	if (!ctx.has_src)
		err = route_src_by_connect(&k, r->ifindex, r->src);
	return err;
}

/* ------------------------------------------------------------ neighbours */

struct neigh_ctx {
	int state;
	bool has_mac;
	uint8_t mac[6];
};

static int neigh_parse(const struct nlmsghdr *nh, void *arg)
{
	struct neigh_ctx *ctx = arg;
	struct ndmsg *nd = NLMSG_DATA(nh);
	struct rtattr *tb[NDA_MAX + 1];

	if (nh->nlmsg_type != RTM_NEWNEIGH || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return 0;
	rta_parse(tb, NDA_MAX, (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd))),
		  (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd))));
	ctx->state = nd->ndm_state;
	if (tb[NDA_LLADDR] && RTA_PAYLOAD(tb[NDA_LLADDR]) == 6) {
		memcpy(ctx->mac, RTA_DATA(tb[NDA_LLADDR]), 6);
		ctx->has_mac = true;
	}
	return 0;
}

/* One RTM_GETNEIGH for (@ifindex, @addr): 0, -ENOENT when the table has no entry. */
static int neigh_lookup(int fd, int ifindex, int family, const uint8_t *addr, struct neigh_ctx *n)
{
	struct nl_msg m;
	struct ndmsg *nd;

	memset(n, 0, sizeof(*n));
	nd = nl_init(&m, RTM_GETNEIGH, 0, sizeof(*nd));
	nd->ndm_family = family;
	nd->ndm_ifindex = ifindex;
	nl_put(&m, NDA_DST, addr, family == AF_INET ? 4 : 16);
	return nl_talk(fd, &m, neigh_parse, n);
}

/*
 * Makes the kernel resolve @addr on @ifindex: one empty datagram to the discard
 * port, leaving through that interface. SO_BINDTODEVICE needs CAP_NET_RAW; the
 * UNICAST_IF options do the same for the unprivileged.
 */
static void neigh_trigger(int ifindex, int family, const uint8_t *addr)
{
	char name[IF_NAMESIZE];
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of_addr(family, addr, NI_DISCARD_PORT, ifindex, &ss);
	int fd, idx;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (!if_indextoname(ifindex, name) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, strlen(name) + 1)) {
		/* IP_UNICAST_IF takes the index in network order, IPV6_UNICAST_IF in host order. */
		idx = family == AF_INET ? (int)htonl(ifindex) : ifindex;
		if (setsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
			       family == AF_INET ? IP_UNICAST_IF : IPV6_UNICAST_IF, &idx,
			       sizeof(idx)))
			pr_debug("netinfo: cannot bind the resolution probe to ifindex %d: %s",
				 ifindex, strerror(errno));
	}
	if (sendto(fd, "", 0, 0, (struct sockaddr *)&ss, len) < 0)
		pr_debug("netinfo: resolution probe on ifindex %d: %s", ifindex, strerror(errno));
	close(fd);
}

static bool neigh_usable(int state)
{
	return state &
	       (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP);
}

struct link_ctx {
	struct netinfo_iface *out;
	int max, n;
	unsigned int flags; /* of the last link parsed */
	int addr_len;
};

static int link_query(int fd, const char *name, int ifindex, struct link_ctx *ctx);

/* Links that never resolve neighbours: a zero MAC is the right answer. */
static int neigh_link_noarp(int fd, int ifindex, bool *noarp)
{
	struct netinfo_iface i;
	struct link_ctx ctx = {.out = &i, .max = 1};
	int err = link_query(fd, NULL, ifindex, &ctx);

	if (err)
		return err;
	*noarp = (ctx.flags & (IFF_LOOPBACK | IFF_NOARP | IFF_POINTOPOINT)) || ctx.addr_len != 6;
	return 0;
}

static int neigh_poll(int fd, int ifindex, int family, const uint8_t *addr, uint8_t mac[6],
		      int timeout_ms)
{
	int64_t deadline = time_mono_ms() + timeout_ms;
	bool triggered = false;
	struct neigh_ctx n;
	int err;

	for (;;) {
		err = neigh_lookup(fd, ifindex, family, addr, &n);
		if (err && err != -ENOENT)
			return err;
		if (!err && neigh_usable(n.state)) {
			memcpy(mac, n.mac, 6); /* NOARP entries may carry none: zeros */
			return 0;
		}
		/* FAILED before our probe may be old news: it gets one fresh attempt. */
		if (!err && (n.state & NUD_FAILED) && triggered)
			return -EHOSTUNREACH;
		if (!triggered) {
			neigh_trigger(ifindex, family, addr);
			triggered = true;
			continue;
		}
		if (time_mono_ms() >= deadline)
			return -ETIMEDOUT;
		time_sleep_ns(NI_POLL_NS);
	}
}

int netinfo_neigh_mac(int ifindex, int family, const uint8_t *addr, uint8_t mac[6], int timeout_ms)
{
	bool noarp = false;
	int fd, err;

	memset(mac, 0, 6);
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	err = neigh_link_noarp(fd, ifindex, &noarp);
	if (!err && !noarp)
		err = neigh_poll(fd, ifindex, family, addr, mac, timeout_ms);
	close(fd);
	return err;
}

/* ------------------------------------------------------------ interfaces */

static void link_fill(struct netinfo_iface *i, struct ifinfomsg *ifi, struct rtattr **tb)
{
	memset(i, 0, sizeof(*i));
	i->ifindex = ifi->ifi_index;
	if (tb[IFLA_IFNAME])
		name_copy(i->name, RTA_DATA(tb[IFLA_IFNAME]));
	if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == 6)
		memcpy(i->mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_MTU])
		i->mtu = *(uint32_t *)RTA_DATA(tb[IFLA_MTU]);
	if (tb[IFLA_NUM_RX_QUEUES])
		i->rx_queues = *(uint32_t *)RTA_DATA(tb[IFLA_NUM_RX_QUEUES]);
	if (tb[IFLA_NUM_TX_QUEUES])
		i->tx_queues = *(uint32_t *)RTA_DATA(tb[IFLA_NUM_TX_QUEUES]);
		/* Up means usable: administratively up and with carrier (a veth whose peer is down is not). */
#ifndef IFF_LOWER_UP /* linux/if.h has it; glibc's net/if.h does not */
#define IFF_LOWER_UP (1 << 16)
#endif
	/*
	 * Up with carrier. IFF_RUNNING follows the operational state, which the
	 * kernel's linkwatch updates up to a second after the carrier: a veth
	 * just created has LOWER_UP but not yet RUNNING.
	 */
	i->up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & (IFF_RUNNING | IFF_LOWER_UP));
	i->loopback = ifi->ifi_flags & IFF_LOOPBACK;
}

static int link_parse(const struct nlmsghdr *nh, void *arg)
{
	struct link_ctx *ctx = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct rtattr *tb[IFLA_MAX + 1];

	if (nh->nlmsg_type != RTM_NEWLINK || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	if (ctx->n >= ctx->max)
		return 0;
	rta_parse(tb, IFLA_MAX, IFLA_RTA(ifi), (int)IFLA_PAYLOAD(nh));
	link_fill(&ctx->out[ctx->n++], ifi, tb);
	ctx->flags = ifi->ifi_flags;
	ctx->addr_len = tb[IFLA_ADDRESS] ? (int)RTA_PAYLOAD(tb[IFLA_ADDRESS]) : 0;
	return 0;
}

/* One link by index or name, or (both unset) a dump of all of them into ctx->out. */
static int link_query(int fd, const char *name, int ifindex, struct link_ctx *ctx)
{
	bool dump = ifindex <= 0 && (!name || !*name);
	uint32_t mask = RTEXT_FILTER_SKIP_STATS;
	struct ifinfomsg *ifi;
	struct nl_msg m;
	int err;

	ifi = nl_init(&m, RTM_GETLINK, dump ? NLM_F_DUMP : 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (ifindex > 0)
		ifi->ifi_index = ifindex;
	else if (!dump)
		nl_put(&m, IFLA_IFNAME, name, strnlen(name, IF_NAMESIZE - 1) + 1);
	nl_put(&m, IFLA_EXT_MASK, &mask, sizeof(mask));
	err = nl_talk(fd, &m, link_parse, ctx);
	if (!dump && !err && !ctx->n)
		err = -ENODEV;
	return err;
}

/* Driver and real channel counts; both optional (lo has no drvinfo). */
static void ethtool_fill(struct netinfo_iface *i)
{
	struct ethtool_drvinfo drv = {.cmd = ETHTOOL_GDRVINFO};
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr = {};
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	name_copy(ifr.ifr_name, i->name);
	ifr.ifr_data = (void *)&drv;
	if (!ioctl(fd, SIOCETHTOOL, &ifr)) {
		drv.driver[sizeof(drv.driver) - 1] = '\0';
		snprintf(i->driver, sizeof(i->driver), "%.31s", drv.driver);
	}
	ifr.ifr_data = (void *)&ch;
	if (!ioctl(fd, SIOCETHTOOL, &ifr) && ch.combined_count + ch.rx_count > 0) {
		i->rx_queues = ch.combined_count + ch.rx_count;
		i->tx_queues = ch.combined_count + ch.tx_count;
	}
	close(fd);
}

static int genl_family_parse(const struct nlmsghdr *nh, void *arg)
{
	struct genlmsghdr *g = NLMSG_DATA(nh);
	struct rtattr *tb[CTRL_ATTR_MAX + 1];

	if (nh->nlmsg_type != GENL_ID_CTRL || nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	rta_parse(tb, CTRL_ATTR_MAX, (struct rtattr *)((char *)g + GENL_HDRLEN),
		  (int)(nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)));
	if (tb[CTRL_ATTR_FAMILY_ID])
		*(int *)arg = *(uint16_t *)RTA_DATA(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

/* Id of the "netdev" family, or -ENOENT before kernel 6.3. */
static int genl_netdev_id(int fd)
{
	struct genlmsghdr *g;
	struct nl_msg m;
	int id = -ENOENT, err;

	g = nl_init(&m, GENL_ID_CTRL, 0, GENL_HDRLEN);
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 2;
	nl_put(&m, CTRL_ATTR_FAMILY_NAME, NI_NETDEV_FAMILY, sizeof(NI_NETDEV_FAMILY));
	err = nl_talk(fd, &m, genl_family_parse, &id);
	return err ? err : id;
}

struct xdp_feat_ctx {
	int family;
	bool found;
	uint64_t feat;
};

static int xdp_feat_parse(const struct nlmsghdr *nh, void *arg)
{
	struct xdp_feat_ctx *ctx = arg;
	struct genlmsghdr *g = NLMSG_DATA(nh);
	struct rtattr *tb[NI_NETDEV_A_DEV_XDP + 1];

	if (nh->nlmsg_type != ctx->family || nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	rta_parse(tb, NI_NETDEV_A_DEV_XDP, (struct rtattr *)((char *)g + GENL_HDRLEN),
		  (int)(nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)));
	if (tb[NI_NETDEV_A_DEV_XDP] && RTA_PAYLOAD(tb[NI_NETDEV_A_DEV_XDP]) == 8) {
		memcpy(&ctx->feat, RTA_DATA(tb[NI_NETDEV_A_DEV_XDP]), 8);
		ctx->found = true;
	}
	return 0;
}

/* XDP features of @i; an older kernel leaves has_xdp_features false (not an error). */
static void xdp_features_fill(int gfd, int family, struct netinfo_iface *i)
{
	struct xdp_feat_ctx ctx = {.family = family};
	uint32_t idx = (uint32_t)i->ifindex;
	struct genlmsghdr *g;
	struct nl_msg m;

	if (gfd < 0 || family <= 0)
		return;
	g = nl_init(&m, family, 0, GENL_HDRLEN);
	g->cmd = NI_NETDEV_CMD_DEV_GET;
	g->version = 1;
	nl_put(&m, NI_NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	if (nl_talk(gfd, &m, xdp_feat_parse, &ctx) || !ctx.found)
		return;
	i->has_xdp_features = true;
	i->xdp_native = ctx.feat & NI_XDP_ACT_BASIC;
	i->xdp_redirect = ctx.feat & NI_XDP_ACT_REDIRECT;
	i->xdp_ndo_xmit = ctx.feat & NI_XDP_ACT_NDO_XMIT;
	i->xsk_zerocopy = ctx.feat & NI_XDP_ACT_XSK_ZC;
}

/* ethtool and netdev-family facts for each of @n links. */
static void iface_details(struct netinfo_iface *i, int n)
{
	int gfd, family = -ENOENT, k;

	gfd = nl_open(NETLINK_GENERIC);
	if (gfd >= 0)
		family = genl_netdev_id(gfd);
	if (family < 0)
		pr_debug("netinfo: no netdev netlink family (kernel < 6.3?): %s",
			 strerror(-family));
	for (k = 0; k < n; k++) {
		ethtool_fill(&i[k]);
		xdp_features_fill(gfd, family, &i[k]);
	}
	if (gfd >= 0)
		close(gfd);
}

int netinfo_iface_get(const char *name, int ifindex, struct netinfo_iface *i)
{
	struct link_ctx ctx = {.out = i, .max = 1};
	int fd, err;

	memset(i, 0, sizeof(*i));
	if (ifindex <= 0 && (!name || !*name || strlen(name) >= IF_NAMESIZE))
		return -ENODEV;
	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	err = link_query(fd, name, ifindex, &ctx);
	close(fd);
	/* Unknown names come back as ENODEV, unknown indexes as ENODEV or EINVAL. */
	if (err == -EINVAL || err == -ENOENT)
		err = -ENODEV;
	if (err)
		return err;
	iface_details(i, 1);
	return 0;
}

int netinfo_iface_list(struct netinfo_iface *out, int max)
{
	struct link_ctx ctx = {.out = out, .max = max};
	int fd, err;

	if (max <= 0)
		return 0;
	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	err = link_query(fd, NULL, 0, &ctx);
	close(fd);
	if (err)
		return err;
	iface_details(out, ctx.n);
	return ctx.n;
}

int netinfo_iface_of_addr(int family, const uint8_t *addr)
{
	struct ifaddrs *ifa, *p;
	int ifindex = -ENODEV;

	if (getifaddrs(&ifa))
		return -errno;
	for (p = ifa; p; p = p->ifa_next) {
		const void *a;

		if (!p->ifa_addr || p->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET)
			a = &((struct sockaddr_in *)p->ifa_addr)->sin_addr;
		else if (family == AF_INET6)
			a = &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr;
		else
			continue;
		if (!memcmp(a, addr, family == AF_INET ? 4 : 16)) {
			ifindex = (int)if_nametoindex(p->ifa_name);
			if (ifindex > 0)
				break;
			ifindex = -ENODEV;
		}
	}
	freeifaddrs(ifa);
	return ifindex;
}

/* ---------------------------------------------------------- capabilities */

static bool cap_has(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

void netinfo_caps_get(struct netinfo_caps *c)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
	bool admin;

	memset(c, 0, sizeof(*c));
	/* glibc has no capget() wrapper; libcap would be a dependency for one call. */
	if (syscall(SYS_capget, &h, d)) {
		pr_debug("netinfo: capget: %s", strerror(errno));
		return;
	}
	admin = cap_has(d, CAP_SYS_ADMIN);
	c->bpf = admin || cap_has(d, CAP_BPF);
	c->perfmon = admin || cap_has(d, CAP_PERFMON);
	c->net_admin = cap_has(d, CAP_NET_ADMIN);
	c->net_raw = cap_has(d, CAP_NET_RAW);
}

/* ------------------------------------------------------ congestion control */

#define CC_ALLOWED   "/proc/sys/net/ipv4/tcp_allowed_congestion_control"
#define CC_AVAILABLE "/proc/sys/net/ipv4/tcp_available_congestion_control"

bool netinfo_cc_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!n)
		return false;
	while ((p = strstr(p, name))) {
		bool start = p == list || p[-1] == ' ' || p[-1] == '\t';
		char end = p[n];

		if (start && (end == '\0' || end == ' ' || end == '\t' || end == '\n'))
			return true;
		p += n;
	}
	return false;
}

/* One line of a sysctl, without its newline. 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	if (!err)
		buf[strcspn(buf, "\n")] = '\0';
	return err;
}

int netinfo_cc_check(const char *name, char *allowed, size_t len)
{
	char avail[512];
	int err;

	err = read_line(CC_ALLOWED, allowed, len);
	if (err)
		return err;
	if (netinfo_cc_listed(allowed, name))
		return 0;
	err = read_line(CC_AVAILABLE, avail, sizeof(avail));
	if (err)
		return err;
	return netinfo_cc_listed(avail, name) ? -EPERM : -ENOENT;
}
