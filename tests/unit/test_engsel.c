// SPDX-License-Identifier: MIT
/*
 * engsel_decide over a table of host facts: engine, mode, generic, fallback,
 * return code and every reason string (by substring). No root needed; when
 * root, one more test checks that engsel_probe leaves no program loaded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dataplane/dataplane.h"
#include "dataplane/engsel.h"

/* A host where everything works: UDP on a native-XDP veth0, root. */
static struct engsel_facts good(void)
{
	struct engsel_facts f = {
		.proto = XFR_PROTO_UDP,
		.have_iface = true,
		.ifname = "veth0",
		.iface_up = true,
		.cap_bpf = true,
		.cap_net_admin = true,
		.cap_net_raw = true,
		.bpf_ok = true,
		.has_xdp_features = true,
		.xdp_native = true,
		.live_frames_ok = true,
		.afxdp_ok = true,
	};
	return f;
}

enum tweak {
	T_NONE,
	T_TCP,
	T_QUIC,
	T_NO_IFACE,
	T_IFACE_MISSING,
	T_DOWN,
	T_LOOPBACK,
	T_NO_CAPS,
	T_NO_BPF_CAP,
	T_NO_ADMIN,
	T_NO_RAW,
	T_BPF_EPERM,
	T_BPF_EINVAL,
	T_NO_LIVE,
	T_NO_AFXDP,
	T_NO_LIVE_NO_RAW,
	T_GENERIC,
	T_FEAT_UNKNOWN,
};

static struct engsel_facts facts(enum tweak t)
{
	struct engsel_facts f = good();

	switch (t) {
	case T_TCP:
		f.proto = XFR_PROTO_TCP;
		break;
	case T_QUIC:
		f.proto = XFR_PROTO_QUIC;
		break;
	case T_NO_IFACE:
		f.have_iface = false;
		f.ifname[0] = '\0';
		break;
	case T_IFACE_MISSING:
		f.have_iface = false;
		strcpy(f.ifname, "eth9");
		break;
	case T_DOWN:
		f.iface_up = false;
		break;
	case T_LOOPBACK:
		strcpy(f.ifname, "lo");
		f.iface_loopback = true;
		break;
	case T_NO_CAPS:
		f.cap_bpf = f.cap_net_admin = f.cap_net_raw = false;
		f.bpf_ok = f.afxdp_ok = f.live_frames_ok = false;
		f.bpf_errno = EPERM;
		break;
	case T_NO_BPF_CAP:
		f.cap_bpf = false;
		break;
	case T_NO_ADMIN:
		f.cap_net_admin = false;
		break;
	case T_NO_RAW:
		f.cap_net_raw = false;
		break;
	case T_BPF_EPERM:
		f.bpf_ok = false;
		f.bpf_errno = EPERM;
		break;
	case T_BPF_EINVAL:
		f.bpf_ok = false;
		f.bpf_errno = EINVAL;
		break;
	case T_NO_LIVE:
		f.live_frames_ok = false;
		break;
	case T_NO_AFXDP:
		f.afxdp_ok = false;
		break;
	case T_NO_LIVE_NO_RAW:
		f.live_frames_ok = false;
		f.cap_net_raw = false;
		break;
	case T_GENERIC:
		f.xdp_native = false;
		break;
	case T_FEAT_UNKNOWN:
		f.has_xdp_features = false;
		f.xdp_native = false;
		break;
	default:
		break;
	}
	return f;
}

struct decide_case {
	const char *name;
	enum xfr_engine_req req;
	enum xfr_xdp_mode mode;
	enum tweak tweak;
	int rc;
	enum xfr_engine engine;
	enum xfr_xdp_mode want_mode; /* checked when engine != socket */
	bool generic, fallback;
	const char *reason, *reason2; /* substrings of the reason; reason2 may be NULL */
};

#define AUTO  XFR_ENGINE_AUTO
#define XDP   XFR_ENGINE_XDP
#define AFXDP XFR_ENGINE_AFXDP
#define SOCK  XFR_ENGINE_SOCKET
#define MDEF  XFR_XDP_MODE_DEFAULT
#define MDROP XFR_XDP_MODE_DROP
#define MPASS XFR_XDP_MODE_PASS
#define MRED  XFR_XDP_MODE_REDIRECT
#define CAPS2 "needs CAP_BPF and CAP_NET_ADMIN (run as root or grant them)"
#define LIVE  "no live frames (BPF_F_TEST_XDP_LIVE_FRAMES needs kernel 5.18)"
#define RAW   "AF_XDP needs CAP_NET_RAW (run as root or grant it)"

static const struct decide_case cases[] = {
	{"socket asked", SOCK, MDEF, T_NONE, 0, XFR_ENG_SOCKET, 0, 0, 0, "engine socket"},
	{"socket asked, no caps", SOCK, MDEF, T_NO_CAPS, 0, XFR_ENG_SOCKET, 0, 0, 0,
	 "engine socket"},
	{"auto tcp", AUTO, MDEF, T_TCP, 0, XFR_ENG_SOCKET, 0, 0, 0,
	 "engine socket (auto): TCP data runs on sockets"},
	{"xdp tcp", XDP, MDEF, T_TCP, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket: TCP data runs on sockets"},
	{"afxdp quic", AFXDP, MDEF, T_QUIC, 0, XFR_ENG_QUIC, 0, 0, 1,
	 "engine quic: QUIC runs on its own engine"},
	{"auto quic", AUTO, MDEF, T_QUIC, 0, XFR_ENG_QUIC, 0, 0, 0,
	 "engine quic (auto): QUIC runs on its own engine"},
	{"auto all good", AUTO, MDEF, T_NONE, 0, XFR_ENG_XDP, MDROP, 0, 0,
	 "engine xdp on veth0 (native XDP, live frames)"},
	{"xdp all good", XDP, MDEF, T_NONE, 0, XFR_ENG_XDP, MDROP, 0, 0,
	 "engine xdp on veth0 (native XDP, live frames)"},
	{"xdp keeps pass", XDP, MPASS, T_NONE, 0, XFR_ENG_XDP, MPASS, 0, 0, "engine xdp on veth0"},
	{"afxdp all good", AFXDP, MDEF, T_NONE, 0, XFR_ENG_AFXDP, MRED, 0, 0,
	 "engine afxdp on veth0 (native XDP, AF_XDP)"},
	{"afxdp keeps drop", AFXDP, MDROP, T_NONE, 0, XFR_ENG_AFXDP, MDROP, 0, 0, "engine afxdp"},
	{"auto redirect wants afxdp", AUTO, MRED, T_NONE, 0, XFR_ENG_AFXDP, MRED, 0, 0,
	 "engine afxdp on veth0 (native XDP, AF_XDP)"},
	{"auto no live frames", AUTO, MDEF, T_NO_LIVE, 0, XFR_ENG_AFXDP, MRED, 0, 0,
	 "engine afxdp on veth0 (native XDP, AF_XDP); no live frames for xdp"},
	{"auto generic", AUTO, MDEF, T_GENERIC, 0, XFR_ENG_XDP, MDROP, 1, 0,
	 "engine xdp on veth0 (live frames): generic XDP (the driver has no native XDP)"},
	{"afxdp generic", AFXDP, MDEF, T_GENERIC, 0, XFR_ENG_AFXDP, MRED, 1, 0,
	 "engine afxdp on veth0 (AF_XDP): generic XDP (the driver has no native XDP)"},
	{"auto features unknown", AUTO, MDEF, T_FEAT_UNKNOWN, 0, XFR_ENG_XDP, MDROP, 0, 0,
	 "engine xdp on veth0 (native XDP, features unknown, live frames)"},
	{"auto no iface", AUTO, MDEF, T_NO_IFACE, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): no interface for the peer (give --iface NAME)"},
	{"xdp no iface", XDP, MDEF, T_NO_IFACE, -EOPNOTSUPP, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine xdp unavailable: no interface for the peer (give --iface NAME)"},
	{"auto iface missing", AUTO, MDEF, T_IFACE_MISSING, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): interface eth9 not found"},
	{"auto down", AUTO, MDEF, T_DOWN, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): interface veth0 is down"},
	{"afxdp down", AFXDP, MDEF, T_DOWN, -EOPNOTSUPP, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine afxdp unavailable: interface veth0 is down"},
	{"auto loopback", AUTO, MDEF, T_LOOPBACK, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): lo is loopback (XDP needs a real or veth interface)"},
	{"xdp loopback", XDP, MDEF, T_LOOPBACK, -EOPNOTSUPP, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine xdp unavailable: lo is loopback"},
	{"auto no caps", AUTO, MDEF, T_NO_CAPS, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): " CAPS2},
	{"xdp no caps", XDP, MDEF, T_NO_CAPS, -EPERM, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine xdp unavailable: " CAPS2},
	{"afxdp no caps", AFXDP, MDEF, T_NO_CAPS, -EPERM, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine afxdp unavailable: " CAPS2},
	{"auto no CAP_BPF", AUTO, MDEF, T_NO_BPF_CAP, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): needs CAP_BPF (run as root or grant it)"},
	{"xdp no CAP_NET_ADMIN", XDP, MDEF, T_NO_ADMIN, -EPERM, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine xdp unavailable: needs CAP_NET_ADMIN (run as root or grant it)"},
	{"auto bpf EPERM", AUTO, MDEF, T_BPF_EPERM, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): cannot load an XDP program: ", "Operation not permitted"},
	{"xdp bpf EPERM", XDP, MDEF, T_BPF_EPERM, -EPERM, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine xdp unavailable: cannot load an XDP program: Operation not permitted"},
	{"xdp bpf EINVAL", XDP, MDEF, T_BPF_EINVAL, -EOPNOTSUPP, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine xdp unavailable: cannot load an XDP program: Invalid argument"},
	{"xdp no live frames", XDP, MDEF, T_NO_LIVE, -EOPNOTSUPP, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine xdp unavailable: " LIVE},
	{"afxdp ignores live frames", AFXDP, MDEF, T_NO_LIVE, 0, XFR_ENG_AFXDP, MRED, 0, 0,
	 "engine afxdp on veth0 (native XDP, AF_XDP)"},
	{"afxdp no CAP_NET_RAW", AFXDP, MDEF, T_NO_RAW, -EPERM, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine afxdp unavailable: " RAW},
	{"xdp ignores CAP_NET_RAW", XDP, MDEF, T_NO_RAW, 0, XFR_ENG_XDP, MDROP, 0, 0,
	 "engine xdp on veth0"},
	{"afxdp no socket", AFXDP, MDEF, T_NO_AFXDP, -EOPNOTSUPP, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine afxdp unavailable: no AF_XDP sockets (kernel without CONFIG_XDP_SOCKETS?)"},
	{"auto no live, no raw", AUTO, MDEF, T_NO_LIVE_NO_RAW, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): " LIVE "; " RAW},
	{"auto redirect, no raw", AUTO, MRED, T_NO_RAW, 0, XFR_ENG_SOCKET, 0, 0, 1,
	 "engine socket (auto): " RAW},
};

static void check_case(const struct decide_case *tc)
{
	struct engsel_facts f = facts(tc->tweak);
	struct engsel_choice c;

	print_message("case %s\n", tc->name);
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(engsel_decide(tc->req, tc->mode, &f, &c), tc->rc);
	assert_int_equal(c.engine, tc->engine);
	if (tc->engine != XFR_ENG_SOCKET)
		assert_int_equal(c.mode, tc->want_mode);
	assert_int_equal(c.generic, tc->generic);
	assert_int_equal(c.fallback, tc->fallback);
	assert_non_null(memchr(c.reason, '\0', sizeof(c.reason)));
	assert_null(strchr(c.reason, '\n'));
	if (!strstr(c.reason, tc->reason))
		fail_msg("%s: reason \"%s\" lacks \"%s\"", tc->name, c.reason, tc->reason);
	if (tc->reason2 && !strstr(c.reason, tc->reason2))
		fail_msg("%s: reason \"%s\" lacks \"%s\"", tc->name, c.reason, tc->reason2);
}

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* The longest reasons still fit, whole, in the 160-byte field. */
static void test_long_names(void **state)
{
	struct engsel_facts f = facts(T_NO_LIVE_NO_RAW);
	struct engsel_choice c;

	(void)state;
	strcpy(f.ifname, "abcdefghijklmno");
	assert_int_equal(engsel_decide(AUTO, MDEF, &f, &c), 0);
	assert_non_null(strstr(c.reason, RAW));
	f = facts(T_GENERIC);
	strcpy(f.ifname, "abcdefghijklmno");
	assert_int_equal(engsel_decide(AFXDP, MDEF, &f, &c), 0);
	assert_non_null(strstr(c.reason, "abcdefghijklmno"));
	assert_non_null(strstr(c.reason, "(the driver has no native XDP)"));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(xfr_engine_name(XFR_ENG_SOCKET), "socket");
	assert_string_equal(xfr_engine_name(XFR_ENG_XDP), "xdp");
	assert_string_equal(xfr_engine_name(XFR_ENG_AFXDP), "afxdp");
}

static int probe_progs_loaded(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, "xfr_probe"))
			n++;
		close(fd);
	}
	return n;
}

/* Root (the capabilities) only: the probe on lo finds what this kernel offers and unloads its program. */
static void test_probe_lo(void **state)
{
	struct engsel_facts f;
	struct engsel_choice c;

	(void)state;
	engsel_probe(XFR_PROTO_UDP, "lo", &f);
	if (!f.cap_bpf || !f.cap_net_admin || !f.cap_net_raw) {
		print_message("SKIP: probe test needs CAP_BPF, CAP_NET_ADMIN and CAP_NET_RAW\n");
		skip();
	}
	assert_true(f.have_iface);
	assert_true(f.iface_loopback);
	assert_true(f.bpf_ok);
	assert_true(f.live_frames_ok); /* this kernel is >= 5.18 */
	assert_true(f.afxdp_ok);
	assert_int_equal(f.afxdp_errno, 0);
	assert_int_equal(probe_progs_loaded(), 0);
	assert_int_equal(engsel_decide(AUTO, MDEF, &f, &c), 0);
	assert_int_equal(c.engine, XFR_ENG_SOCKET);
	assert_non_null(strstr(c.reason, "lo is loopback"));
	engsel_probe(XFR_PROTO_UDP, "no-such-if0", &f);
	assert_false(f.have_iface);
	assert_string_equal(f.ifname, "no-such-if0");
	assert_true(f.bpf_ok);
	assert_int_equal(probe_progs_loaded(), 0);
}

/* The engine registry: what this build can run, and a clear no for the rest. */
static void test_registry(void **state)
{
	struct dataplane dp = {.engine = XFR_ENG_QUIC};
	struct engine_params p = {.proto = XFR_PROTO_QUIC, .streams = 1, .done_fd = -1};
	struct engine *e;
	char why[200] = "";

	(void)state;
	assert_null(dataplane_missing(XFR_ENG_SOCKET, XFR_PROTO_TCP));
	assert_null(dataplane_missing(XFR_ENG_SOCKET, XFR_PROTO_UDP));
	assert_null(dataplane_missing(XFR_ENG_XDP, XFR_PROTO_UDP));
	assert_null(dataplane_missing(XFR_ENG_AFXDP, XFR_PROTO_UDP));
	assert_string_equal(dataplane_missing(XFR_ENG_XDP, XFR_PROTO_TCP),
			    "does not carry this protocol");
	assert_string_equal(dataplane_missing(XFR_ENG_SOCKET, XFR_PROTO_QUIC),
			    "does not carry this protocol");
	assert_null(dataplane_missing(XFR_ENG_QUIC, XFR_PROTO_QUIC));
	assert_string_equal(dataplane_missing(XFR_ENG_QUIC, XFR_PROTO_UDP),
			    "does not carry this protocol");
	/* the quic engine builds (its streams come later, from the socket pairs) */
	e = dataplane_engine(&dp, &p, why, sizeof(why));
	assert_non_null(e);
	assert_string_equal(e->ops->name, "quic");
	e->ops->destroy(e);
	/* QUIC selects the quic engine whatever --engine asked */
	assert_int_equal(dataplane_decide(XFR_ENGINE_AUTO, XFR_XDP_MODE_DEFAULT, XFR_PROTO_QUIC, "",
					  0, false, NULL, &dp),
			 0);
	assert_int_equal(dp.engine, XFR_ENG_QUIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	   cmocka_unit_test(test_registry),
		cmocka_unit_test(test_long_names), cmocka_unit_test(test_names),
		cmocka_unit_test(test_probe_lo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
