// SPDX-License-Identifier: MIT
/*
 * Engine selection (see engsel.h and docs/ENGINES.md). engsel_decide is pure:
 * every rule and every reason string is table-tested in tests/unit/test_engsel.c.
 * engsel_probe asks the host, and leaves nothing loaded or attached behind.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "dataplane/engsel.h"
#include "base/netinfo.h"

#define PROBE_FRAME_LEN 64

/* Why an engine cannot run: the text and whether privileges are the cause. */
struct engsel_why {
	int err; /* -EPERM or -EOPNOTSUPP */
	char text[128];
};

static int why_set(struct engsel_why *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_set(struct engsel_why *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	w->err = err;
	return err;
}

static int check_caps(const struct engsel_facts *f, struct engsel_why *w)
{
	if (!f->cap_bpf && !f->cap_net_admin)
		return why_set(w, -EPERM,
			       "needs CAP_BPF and CAP_NET_ADMIN (run as root or grant them)");
	if (!f->cap_bpf)
		return why_set(w, -EPERM, "needs CAP_BPF (run as root or grant it)");
	if (!f->cap_net_admin)
		return why_set(w, -EPERM, "needs CAP_NET_ADMIN (run as root or grant it)");
	return 0;
}

static int check_bpf(const struct engsel_facts *f, struct engsel_why *w)
{
	int e = f->bpf_errno < 0 ? -f->bpf_errno : f->bpf_errno;

	if (f->bpf_ok)
		return 0;
	return why_set(w, e == EPERM || e == EACCES ? -EPERM : -EOPNOTSUPP,
		       "cannot load an XDP program: %s", e ? strerror(e) : "unknown error");
}

/* What both XDP engines need: a usable interface, privileges, a kernel that loads XDP. */
static int check_common(const struct engsel_facts *f, struct engsel_why *w)
{
	if (!f->have_iface && f->ifname[0])
		return why_set(w, -EOPNOTSUPP, "interface %.16s not found", f->ifname);
	if (!f->have_iface)
		return why_set(w, -EOPNOTSUPP, "no interface for the peer (give --iface NAME)");
	if (!f->iface_up)
		return why_set(w, -EOPNOTSUPP, "interface %.16s is down", f->ifname);
	if (f->iface_loopback)
		return why_set(w, -EOPNOTSUPP,
			       "%.16s is loopback (XDP needs a real or veth interface)", f->ifname);
	return check_caps(f, w) ?: check_bpf(f, w);
}

static int check_xdp(const struct engsel_facts *f, struct engsel_why *w)
{
	int err = check_common(f, w);

	if (err)
		return err;
	if (!f->live_frames_ok)
		return why_set(w, -EOPNOTSUPP,
			       "no live frames (BPF_F_TEST_XDP_LIVE_FRAMES needs kernel 5.18)");
	return 0;
}

static int check_afxdp(const struct engsel_facts *f, struct engsel_why *w)
{
	int err = check_common(f, w);

	if (err)
		return err;
	if (!f->cap_net_raw)
		return why_set(w, -EPERM, "AF_XDP needs CAP_NET_RAW (run as root or grant it)");
	if (!f->afxdp_ok)
		return why_set(w, -EOPNOTSUPP,
			       "no AF_XDP sockets (kernel without CONFIG_XDP_SOCKETS?)");
	return 0;
}

static void choose_kernel(enum xfr_engine e, enum xfr_xdp_mode mode, const struct engsel_facts *f,
			  const char *note, struct engsel_choice *c)
{
	const char *what = e == XFR_ENG_XDP ? "live frames" : "AF_XDP";

	c->engine = e;
	c->mode = mode != XFR_XDP_MODE_DEFAULT ? mode
		  : e == XFR_ENG_XDP	       ? XFR_XDP_MODE_DROP
					       : XFR_XDP_MODE_REDIRECT;
	/* Features unknown (kernel < 6.3): try native, the attach says the rest. */
	c->generic = f->has_xdp_features && !f->xdp_native;
	if (c->generic)
		snprintf(c->reason, sizeof(c->reason),
			 "engine %s on %.16s (%s): generic XDP (the driver has no native XDP)%s",
			 xfr_engine_name(e), f->ifname, what, note);
	else
		snprintf(c->reason, sizeof(c->reason), "engine %s on %.16s (native XDP%s, %s)%s",
			 xfr_engine_name(e), f->ifname,
			 f->has_xdp_features ? "" : ", features unknown", what, note);
}

static int decide_explicit(enum xfr_engine_req req, enum xfr_xdp_mode mode,
			   const struct engsel_facts *f, struct engsel_choice *c)
{
	enum xfr_engine e = req == XFR_ENGINE_XDP ? XFR_ENG_XDP : XFR_ENG_AFXDP;
	struct engsel_why w;
	int err;

	err = e == XFR_ENG_XDP ? check_xdp(f, &w) : check_afxdp(f, &w);
	if (err) {
		c->fallback = true;
		snprintf(c->reason, sizeof(c->reason), "engine %s unavailable: %s",
			 xfr_engine_name(e), w.text);
		return err;
	}
	choose_kernel(e, mode, f, "", c);
	return 0;
}

/*
 * auto: xdp, then afxdp, then sockets. Redirect mode means AF_XDP receives, so
 * it skips xdp. With the common checks passed, xdp can only lack live frames.
 */
static int decide_auto(enum xfr_xdp_mode mode, const struct engsel_facts *f,
		       struct engsel_choice *c)
{
	struct engsel_why wx = {}, wa;
	bool want_xdp = mode != XFR_XDP_MODE_REDIRECT;

	if (want_xdp && !check_xdp(f, &wx)) {
		choose_kernel(XFR_ENG_XDP, mode, f, "", c);
		return 0;
	}
	if (!check_afxdp(f, &wa)) {
		choose_kernel(XFR_ENG_AFXDP, mode, f, want_xdp ? "; no live frames for xdp" : "",
			      c);
		return 0;
	}
	c->fallback = true;
	if (check_common(f, &wx))
		snprintf(c->reason, sizeof(c->reason), "engine socket (auto): %s", wx.text);
	else if (want_xdp)
		snprintf(c->reason, sizeof(c->reason), "engine socket (auto): %.64s; %.70s",
			 wx.text, wa.text);
	else
		snprintf(c->reason, sizeof(c->reason), "engine socket (auto): %s", wa.text);
	return 0;
}

int engsel_decide(enum xfr_engine_req req, enum xfr_xdp_mode mode, const struct engsel_facts *f,
		  struct engsel_choice *c)
{
	memset(c, 0, sizeof(*c));
	c->engine = XFR_ENG_SOCKET;
	c->mode = mode;
	if (req == XFR_ENGINE_SOCKET) {
		snprintf(c->reason, sizeof(c->reason), "engine socket");
		return 0;
	}
	if (f->proto == XFR_PROTO_QUIC) {
		/* QUIC brings its own engine: XDP engines carry plain UDP tests only. */
		c->engine = XFR_ENG_QUIC;
		c->fallback = req != XFR_ENGINE_AUTO;
		snprintf(c->reason, sizeof(c->reason), "engine quic%s: QUIC runs on its own engine",
			 req == XFR_ENGINE_AUTO ? " (auto)" : "");
		return 0;
	}
	if (f->proto != XFR_PROTO_UDP) {
		/* auto on TCP is the normal case (server default), not a fallback. */
		c->fallback = req != XFR_ENGINE_AUTO;
		snprintf(c->reason, sizeof(c->reason), "engine socket%s: TCP data runs on sockets",
			 req == XFR_ENGINE_AUTO ? " (auto)" : "");
		return 0;
	}
	if (req == XFR_ENGINE_AUTO)
		return decide_auto(mode, f, c);
	return decide_explicit(req, mode, f, c);
}

/* r0 = @action; exit. Two instructions: the least the verifier will take. */
static int probe_prog_load(int action)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = action},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xfr_probe", "Dual MIT/GPL", insns, 2, NULL);
	return fd < 0 ? -errno : fd;
}

/*
 * One live frame into a program that drops it: the kernel accepts the flag or
 * not, and nothing leaves the host. The frame enters as if received on @ifindex.
 */
static bool probe_live_frames(int prog_fd, int ifindex)
{
	static unsigned char frame[PROBE_FRAME_LEN];
	struct xdp_md ctx = {.data_end = PROBE_FRAME_LEN, .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	memset(frame, 0xff, 12); /* broadcast destination and source */
	frame[12] = 0x88;	 /* local experimental ethertype 0x88b5 */
	frame[13] = 0xb5;
	/* Live mode reports no retval: acceptance of the run is the answer. */
	return !bpf_prog_test_run_opts(prog_fd, &opts);
}

/* 0 when an AF_XDP socket can be created, else socket()'s errno. */
static int probe_afxdp(void)
{
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void probe_iface(const char *ifname, struct engsel_facts *f, int *ifindex)
{
	struct netinfo_iface i;

	*ifindex = 0;
	if (!ifname || !*ifname)
		return;
	snprintf(f->ifname, sizeof(f->ifname), "%.15s", ifname);
	if (netinfo_iface_get(ifname, 0, &i))
		return;
	*ifindex = i.ifindex;
	f->have_iface = true;
	f->iface_up = i.up;
	f->iface_loopback = i.loopback;
	f->has_xdp_features = i.has_xdp_features;
	f->xdp_native = i.xdp_native;
}

/*
 * The kernel's answers do not change while we run: once the program loaded,
 * took a live frame and an AF_XDP socket opened, they are remembered, so a
 * server started with --engine auto loads the probe program once, not on
 * its loop for every test. A failure is asked again (it may be a passing
 * shortage: locked memory, a full fd table).
 */
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static bool host_ok;

void engsel_probe(enum xfr_proto proto, const char *ifname, struct engsel_facts *f)
{
	struct netinfo_caps caps;
	int ifindex, fd;
	bool known;

	memset(f, 0, sizeof(*f));
	f->proto = proto;
	netinfo_caps_get(&caps);
	f->cap_bpf = caps.bpf;
	f->cap_net_admin = caps.net_admin;
	f->cap_net_raw = caps.net_raw;
	probe_iface(ifname, f, &ifindex);
	pthread_mutex_lock(&host_lock);
	known = host_ok;
	pthread_mutex_unlock(&host_lock);
	if (known) {
		f->bpf_ok = f->live_frames_ok = f->afxdp_ok = true;
		return;
	}
	fd = probe_prog_load(XDP_DROP);
	if (fd < 0) {
		f->bpf_errno = -fd;
	} else {
		f->bpf_ok = true;
		f->live_frames_ok = probe_live_frames(fd, ifindex);
		close(fd); /* never attached: closing the last fd unloads it */
	}
	f->afxdp_errno = probe_afxdp();
	f->afxdp_ok = !f->afxdp_errno;
	if (f->bpf_ok && f->live_frames_ok && f->afxdp_ok) {
		pthread_mutex_lock(&host_lock);
		host_ok = true;
		pthread_mutex_unlock(&host_lock);
	}
}
