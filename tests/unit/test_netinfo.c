// SPDX-License-Identifier: MIT
/*
 * netinfo against the running kernel. Without root: loopback routes, lo's
 * link facts, capabilities. With root: a veth pair between two private
 * namespaces (xfr-ni-<pid> holds ni0, xfr-ni-<pid>-p holds the peer ni1):
 * routes on-link and via a gateway, neighbour resolution against the peer's
 * real MAC (as `ip -j link` reports it), timeouts and FAILED entries. The
 * namespaces are removed on every exit path; the process returns to its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "base/netinfo.h"

static char ns_name[64], peer_name[64];
static int home_ns = -1;
static bool ns_made;

static struct sockaddr_storage sa_of(const char *text)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	if (strchr(text, ':')) {
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static int route_of(const char *dst, struct netinfo_route *r)
{
	struct sockaddr_storage ss = sa_of(dst);

	return netinfo_route_get((struct sockaddr *)&ss, r);
}

static void assert_addr(int family, const uint8_t *got, const char *want)
{
	uint8_t w[16] = {};

	assert_int_equal(inet_pton(family, want, w), 1);
	assert_memory_equal(got, w, family == AF_INET ? 4 : 16);
}

/* ---------------------------------------------------------- without root */

static void test_route_loopback(void **state)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct netinfo_route r;

	(void)state;
	assert_int_equal(route_of("127.0.0.1", &r), 0);
	assert_int_equal(r.ifindex, 1);
	assert_string_equal(r.ifname, "lo");
	assert_int_equal(r.family, AF_INET);
	assert_false(r.has_gateway);
	assert_addr(AF_INET, r.src, "127.0.0.1");
	assert_addr(AF_INET, r.nexthop, "127.0.0.1");

	/* IPv4-mapped IPv6 is routed as IPv4. */
	assert_int_equal(route_of("::ffff:127.0.0.1", &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.ifindex, 1);
	assert_addr(AF_INET, r.nexthop, "127.0.0.1");

	assert_int_equal(netinfo_route_get((struct sockaddr *)&un, &r), -EAFNOSUPPORT);

	if (route_of("::1", &r)) {
		print_message("note: no IPv6 route to ::1 here, IPv6 loopback check skipped\n");
		return;
	}
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.ifindex, 1);
	assert_addr(AF_INET6, r.src, "::1");
}

static void test_iface_lo(void **state)
{
	struct netinfo_iface i, list[64];
	int n, k, found = 0;

	(void)state;
	assert_int_equal(netinfo_iface_get("lo", 0, &i), 0);
	assert_int_equal(i.ifindex, 1);
	assert_string_equal(i.name, "lo");
	assert_int_equal(i.mtu, 65536);
	assert_true(i.loopback);
	assert_true(i.up);
	assert_true(i.rx_queues >= 1 && i.tx_queues >= 1);
	/* lo has no native XDP; kernels >= 6.3 say so, older ones cannot tell. */
	assert_false(i.xdp_native);

	assert_int_equal(netinfo_iface_get(NULL, 1, &i), 0);
	assert_string_equal(i.name, "lo");
	assert_int_equal(netinfo_iface_get("no-such-if0", 0, &i), -ENODEV);
	assert_int_equal(netinfo_iface_get(NULL, 999999, &i), -ENODEV);
	assert_int_equal(netinfo_iface_get("", 0, &i), -ENODEV);

	n = netinfo_iface_list(list, 64);
	assert_true(n >= 1);
	for (k = 0; k < n; k++)
		found += list[k].ifindex == 1 && !strcmp(list[k].name, "lo") && list[k].loopback;
	assert_int_equal(found, 1);
	assert_int_equal(netinfo_iface_list(list, 1), 1);
}

static void test_iface_of_addr_lo(void **state)
{
	const uint8_t lo4[4] = {127, 0, 0, 1}, none[4] = {203, 0, 113, 77};

	(void)state;
	assert_int_equal(netinfo_iface_of_addr(AF_INET, lo4), 1);
	assert_int_equal(netinfo_iface_of_addr(AF_INET, none), -ENODEV);
}

static void test_neigh_lo(void **state)
{
	const uint8_t lo4[4] = {127, 0, 0, 1};
	uint8_t mac[6] = {1, 2, 3, 4, 5, 6}, zero[6] = {};

	(void)state;
	/* Loopback never resolves: zeros at once, not a timeout. */
	assert_int_equal(netinfo_neigh_mac(1, AF_INET, lo4, mac, 50), 0);
	assert_memory_equal(mac, zero, 6);
	assert_int_equal(netinfo_neigh_mac(1, AF_UNIX, lo4, mac, 50), -EAFNOSUPPORT);
}

/* The effective set as /proc/self/status shows it, 0 when unreadable. */
static unsigned long long cap_eff(void)
{
	unsigned long long v = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void test_caps(void **state)
{
	unsigned long long eff = cap_eff();
	bool admin = eff & (1ULL << 21); /* CAP_SYS_ADMIN */
	struct netinfo_caps c;

	(void)state;
	memset(&c, 0xff, sizeof(c));
	netinfo_caps_get(&c);
	print_message("caps: CapEff %llx: bpf %d net_admin %d net_raw %d perfmon %d\n", eff, c.bpf,
		      c.net_admin, c.net_raw, c.perfmon);
	assert_int_equal(c.bpf, admin || (eff & (1ULL << 39)));
	assert_int_equal(c.perfmon, admin || (eff & (1ULL << 38)));
	assert_int_equal(c.net_admin, !!(eff & (1ULL << 12)));
	assert_int_equal(c.net_raw, !!(eff & (1ULL << 13)));
}

/* ------------------------------------------------------------- with root */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void ns_cleanup(void)
{
	if (home_ns >= 0) {
		if (setns(home_ns, CLONE_NEWNET))
			perror("setns back home");
		close(home_ns);
		home_ns = -1;
	}
	if (ns_made) {
		sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", ns_name, peer_name);
		ns_made = false;
	}
}

static int ns_build(void)
{
	const char *n = ns_name, *p = peer_name;

	ns_made = true;
	return sh("set -e; ip netns add %s; ip netns add %s;"
		  "ip -n %s link add ni0 type veth peer name ni1 netns %s;"
		  "ip -n %s link set lo up; ip -n %s link set ni0 up; ip -n %s link set ni1 up;"
		  "ip -n %s addr add 10.77.0.1/24 dev ni0; ip -n %s addr add 10.77.0.2/24 dev ni1;"
		  "ip -n %s -6 addr add fd77::1/64 dev ni0 nodad;"
		  "ip -n %s -6 addr add fd77::2/64 dev ni1 nodad;"
		  "ip -n %s route add 10.88.0.0/24 via 10.77.0.2;"
		  "ip -n %s -6 route add fd88::/64 via fd77::2;"
		  /* unanswered resolutions fail after ~100 ms instead of 3 s */
		  "ip netns exec %s sysctl -qw net.ipv4.neigh.ni0.mcast_solicit=1 "
		  "net.ipv4.neigh.ni0.retrans_time_ms=100",
		  n, p, n, p, n, n, p, n, p, n, p, n, n, n);
}

static int ns_setup(void **state)
{
	char path[128];
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("SKIP: veth/netns tests need root (ran the rest)\n");
		return 0;
	}
	snprintf(ns_name, sizeof(ns_name), "xfr-ni-%d", (int)getpid());
	snprintf(peer_name, sizeof(peer_name), "xfr-ni-%d-p", (int)getpid());
	atexit(ns_cleanup);
	if (ns_build()) {
		print_message("SKIP: cannot build the veth pair between namespaces\n");
		ns_cleanup();
		return 0;
	}
	home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (home_ns < 0 || fd < 0 || setns(fd, CLONE_NEWNET)) {
		print_message("SKIP: cannot enter %s\n", ns_name);
		if (fd >= 0)
			close(fd);
		ns_cleanup();
		return 0;
	}
	close(fd);
	return 0;
}

static int ns_teardown(void **state)
{
	(void)state;
	ns_cleanup();
	return 0;
}

static void need_ns(void)
{
	if (home_ns < 0)
		skip();
}

/* MAC of @dev in namespace @ns, from `ip -j link`. */
static void ip_link_mac(const char *ns, const char *dev, uint8_t mac[6])
{
	char cmd[256], buf[8192];
	json_t *root;
	const char *addr;
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip -n %s -j link show dev %s", ns, dev);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	root = json_loads(buf, 0, NULL);
	assert_non_null(root);
	addr = json_string_value(json_object_get(json_array_get(root, 0), "address"));
	assert_non_null(addr);
	assert_int_equal(sscanf(addr, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
				&mac[3], &mac[4], &mac[5]),
			 6);
	json_decref(root);
}

static void test_ns_routes(void **state)
{
	struct netinfo_route r;
	int ni0;

	(void)state;
	need_ns();
	ni0 = (int)if_nametoindex("ni0");
	assert_true(ni0 > 1);

	assert_int_equal(route_of("10.77.0.2", &r), 0);
	assert_int_equal(r.ifindex, ni0);
	assert_string_equal(r.ifname, "ni0");
	assert_false(r.has_gateway);
	assert_addr(AF_INET, r.src, "10.77.0.1");
	assert_addr(AF_INET, r.nexthop, "10.77.0.2");

	assert_int_equal(route_of("10.88.0.5", &r), 0);
	assert_int_equal(r.ifindex, ni0);
	assert_true(r.has_gateway);
	assert_addr(AF_INET, r.nexthop, "10.77.0.2");
	assert_addr(AF_INET, r.src, "10.77.0.1");

	assert_int_equal(route_of("::ffff:10.88.0.5", &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_true(r.has_gateway);

	assert_int_equal(route_of("fd77::2", &r), 0);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.ifindex, ni0);
	assert_false(r.has_gateway);
	assert_addr(AF_INET6, r.src, "fd77::1");
	assert_addr(AF_INET6, r.nexthop, "fd77::2");

	assert_int_equal(route_of("fd88::5", &r), 0);
	assert_int_equal(r.ifindex, ni0);
	assert_true(r.has_gateway);
	assert_addr(AF_INET6, r.nexthop, "fd77::2");

	/* No default route in the namespace. */
	assert_int_equal(route_of("192.0.2.9", &r), -ENETUNREACH);
}

static void test_ns_neigh(void **state)
{
	const uint8_t peer4[4] = {10, 77, 0, 2}, nobody[4] = {10, 77, 0, 99};
	uint8_t peer6[16], want[6], mac[6];
	int ni0 = (int)if_nametoindex("ni0");

	(void)state;
	need_ns();
	ip_link_mac(peer_name, "ni1", want);
	assert_int_equal(netinfo_neigh_mac(ni0, AF_INET, peer4, mac, 3000), 0);
	assert_memory_equal(mac, want, 6);
	/* Now in the table: answered without resolving again. */
	assert_int_equal(netinfo_neigh_mac(ni0, AF_INET, peer4, mac, 0), 0);
	assert_memory_equal(mac, want, 6);

	assert_int_equal(inet_pton(AF_INET6, "fd77::2", peer6), 1);
	memset(mac, 0, 6);
	assert_int_equal(netinfo_neigh_mac(ni0, AF_INET6, peer6, mac, 3000), 0);
	assert_memory_equal(mac, want, 6);

	/* Nobody answers: short timeout first, then the kernel gives up (FAILED). */
	assert_int_equal(netinfo_neigh_mac(ni0, AF_INET, nobody, mac, 30), -ETIMEDOUT);
	assert_int_equal(netinfo_neigh_mac(ni0, AF_INET, nobody, mac, 5000), -EHOSTUNREACH);
}

static void test_ns_iface(void **state)
{
	const uint8_t a4[4] = {10, 77, 0, 1};
	uint8_t a6[16], want[6];
	struct netinfo_iface i, list[8];
	int ni0 = (int)if_nametoindex("ni0");

	(void)state;
	need_ns();
	ip_link_mac(ns_name, "ni0", want);
	assert_int_equal(netinfo_iface_get("ni0", 0, &i), 0);
	assert_int_equal(i.ifindex, ni0);
	assert_memory_equal(i.mac, want, 6);
	assert_int_equal(i.mtu, 1500);
	assert_string_equal(i.driver, "veth");
	assert_true(i.up);
	assert_false(i.loopback);
	assert_int_equal(i.rx_queues, 1);
	assert_int_equal(i.tx_queues, 1);
	if (i.has_xdp_features)
		assert_true(i.xdp_native); /* veth: native XDP since 4.19 */
	else
		print_message("note: this kernel reports no XDP features (< 6.3)\n");

	assert_int_equal(netinfo_iface_of_addr(AF_INET, a4), ni0);
	assert_int_equal(inet_pton(AF_INET6, "fd77::1", a6), 1);
	assert_int_equal(netinfo_iface_of_addr(AF_INET6, a6), ni0);
	assert_int_equal(netinfo_iface_list(list, 8), 2); /* lo and ni0 */

	/* A veth whose peer is down has no carrier: not up. */
	assert_int_equal(sh("ip -n %s link set ni1 down", peer_name), 0);
	assert_int_equal(netinfo_iface_get(NULL, ni0, &i), 0);
	assert_false(i.up);
	assert_int_equal(sh("ip -n %s link set ni1 up", peer_name), 0);
}

/* Words of the kernel's space-separated lists, never substrings. */
static void test_cc_listed(void **state)
{
	(void)state;
	assert_true(netinfo_cc_listed("reno cubic", "reno"));
	assert_true(netinfo_cc_listed("reno cubic", "cubic"));
	assert_true(netinfo_cc_listed("reno cubic\n", "cubic"));
	assert_false(netinfo_cc_listed("reno cubic", "cub"));
	assert_false(netinfo_cc_listed("reno cubic", "ubic"));
	assert_false(netinfo_cc_listed("reno bbr2", "bbr"));
	assert_false(netinfo_cc_listed("reno cubic", ""));
	assert_false(netinfo_cc_listed("", "reno"));
	assert_true(netinfo_cc_listed("bbr2 bbr", "bbr"));
}

/*
 * Against this host's lists: reno is built in (and allowed everywhere we
 * know), a made-up name is not available; neither is tried on a socket.
 */
static void test_cc_check(void **state)
{
	char allowed[256], avail[512] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_congestion_control", "r");
	char *tok, *save = NULL;

	(void)state;
	if (!f) {
		print_message("SKIP: no tcp_available_congestion_control\n");
		return;
	}
	assert_non_null(fgets(avail, sizeof(avail), f));
	fclose(f);
	assert_int_equal(netinfo_cc_check("xfr_no_such_cc", allowed, sizeof(allowed)), -ENOENT);
	assert_true(strlen(allowed) > 0);
	for (tok = strtok_r(avail, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		assert_int_equal(netinfo_cc_check(tok, allowed, sizeof(allowed)),
				 netinfo_cc_listed(allowed, tok) ? 0 : -EPERM);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_route_loopback),
		cmocka_unit_test(test_iface_lo),
		cmocka_unit_test(test_iface_of_addr_lo),
		cmocka_unit_test(test_neigh_lo),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_cc_listed),
		cmocka_unit_test(test_cc_check),
	};
	const struct CMUnitTest netns[] = {
		cmocka_unit_test(test_ns_routes),
		cmocka_unit_test(test_ns_neigh),
		cmocka_unit_test(test_ns_iface),
	};
	int fails;

	fails = cmocka_run_group_tests_name("netinfo", plain, NULL, NULL);
	fails += cmocka_run_group_tests_name("netinfo_netns", netns, ns_setup, ns_teardown);
	return fails;
}
