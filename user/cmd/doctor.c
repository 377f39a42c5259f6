// SPDX-License-Identifier: MIT
/*
 * `xfr doctor` (see doctor.h, docs/ENGINES.md): gathers what this host offers
 * the kernel data plane into one report, then prints it as text or as one
 * line of JSON. Gathering and printing are separate so both formats agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>

#include "bpf/dropmon.h"
#include "cmd/doctor.h"
#include "dataplane/engsel.h"
#include "base/log.h"
#include "base/netinfo.h"

#define DOCTOR_MAX_IFACES 256
#define VMLINUX_BTF	  "/sys/kernel/btf/vmlinux"

/* A yes/no fact and, when no, why. */
struct doctor_check {
	bool ok;
	char why[96];
};

struct doctor_row {
	struct netinfo_iface i;
	bool picked; /* engine auto was decided for this interface */
	struct engsel_choice choice;
};

struct doctor_report {
	char kernel[65];
	bool btf;
	struct netinfo_caps caps;
	struct doctor_check bpf, live, afxdp, drops;
	int nr_reasons;
	struct doctor_row *rows;
	int nr_rows;
};

/* enum skb_drop_reason in the running kernel's BTF: what --drop-reasons names (dropmon's reader). */
static void gather_drop_reasons(struct doctor_report *r)
{
	int n = dropmon_reason_names(NULL, r->drops.why, sizeof(r->drops.why));

	r->drops.ok = n >= 0;
	r->nr_reasons = n > 0 ? n : 0;
}

/* Host-wide probes: no interface, so live frames enter as if on loopback. */
static void gather_host(struct doctor_report *r)
{
	struct engsel_facts f;
	struct utsname u;

	if (!uname(&u))
		snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	r->btf = !access(VMLINUX_BTF, R_OK);
	netinfo_caps_get(&r->caps);
	engsel_probe(XFR_PROTO_UDP, NULL, &f);
	r->bpf.ok = f.bpf_ok;
	if (!f.bpf_ok)
		snprintf(r->bpf.why, sizeof(r->bpf.why), "%s",
			 strerror(f.bpf_errno ? f.bpf_errno : EINVAL));
	r->live.ok = f.live_frames_ok;
	if (!f.live_frames_ok)
		snprintf(r->live.why, sizeof(r->live.why), "%s",
			 f.bpf_ok ? "BPF_F_TEST_XDP_LIVE_FRAMES refused (needs kernel 5.18)"
				  : "not tried: no BPF program loads");
	r->afxdp.ok = f.afxdp_ok;
	if (!f.afxdp_ok)
		snprintf(r->afxdp.why, sizeof(r->afxdp.why), "%s",
			 strerror(f.afxdp_errno ? f.afxdp_errno : EINVAL));
	gather_drop_reasons(r);
}

static int gather_ifaces(struct doctor_report *r, const char *iface)
{
	int n, k;

	r->rows = calloc(DOCTOR_MAX_IFACES, sizeof(*r->rows));
	if (!r->rows)
		return -ENOMEM;
	if (iface) {
		n = netinfo_iface_get(iface, 0, &r->rows[0].i);
		if (n)
			return n;
		n = 1;
	} else {
		struct netinfo_iface *list = calloc(DOCTOR_MAX_IFACES, sizeof(*list));

		if (!list)
			return -ENOMEM;
		n = netinfo_iface_list(list, DOCTOR_MAX_IFACES);
		for (k = 0; k < n; k++)
			r->rows[k].i = list[k];
		free(list);
		if (n < 0)
			return n;
	}
	r->nr_rows = n;
	for (k = 0; k < n; k++) {
		struct doctor_row *row = &r->rows[k];
		struct engsel_facts f;

		/* A named interface gets its verdict even when down: that is the news. */
		row->picked = iface || (row->i.up && !row->i.loopback);
		if (!row->picked)
			continue;
		engsel_probe(XFR_PROTO_UDP, row->i.name, &f);
		engsel_decide(XFR_ENGINE_AUTO, XFR_XDP_MODE_DEFAULT, &f, &row->choice);
	}
	return 0;
}

static const char *yes_no(bool v)
{
	return v ? "yes" : "no";
}

static const char *tri(bool known, bool v)
{
	return known ? yes_no(v) : "unknown";
}

static const char *xdp_kind(const struct netinfo_iface *i)
{
	if (!i->has_xdp_features)
		return "unknown";
	return i->xdp_native ? "native" : "generic";
}

static const char *mode_name(enum xfr_xdp_mode m)
{
	switch (m) {
	case XFR_XDP_MODE_DEFAULT:
		return "default"; /* the table's "" is the wire's absent value */
	default:
		return xfr_xdp_mode_name(m);
	}
}

static void plain_check(FILE *out, const char *label, const struct doctor_check *c)
{
	if (c->ok)
		fprintf(out, "%-15s ok\n", label);
	else
		fprintf(out, "%-15s no: %s\n", label, c->why);
}

static void print_plain_host(FILE *out, const struct doctor_report *r)
{
	fprintf(out, "%-15s %s\n", "kernel", r->kernel[0] ? r->kernel : "unknown");
	fprintf(out, "%-15s %s\n", "BTF", r->btf ? "yes (" VMLINUX_BTF ")" : "no");
	fprintf(out, "%-15s CAP_BPF %s, CAP_NET_ADMIN %s, CAP_NET_RAW %s, CAP_PERFMON %s\n",
		"capabilities", yes_no(r->caps.bpf), yes_no(r->caps.net_admin),
		yes_no(r->caps.net_raw), yes_no(r->caps.perfmon));
	plain_check(out, "bpf load", &r->bpf);
	plain_check(out, "live frames", &r->live);
	plain_check(out, "AF_XDP socket", &r->afxdp);
	if (r->drops.ok)
		fprintf(out, "%-15s ok (%d kfree_skb reasons in kernel BTF)\n", "drop reasons",
			r->nr_reasons);
	else
		plain_check(out, "drop reasons", &r->drops);
}

static void print_plain(FILE *out, const struct doctor_report *r)
{
	int k;

	print_plain_host(out, r);
	fprintf(out, "\n%-16s %-5s %-12s %6s %7s %-8s %-16s %s\n", "interface", "state", "driver",
		"mtu", "rx/tx", "xdp", "redirect target", "af_xdp zero-copy");
	for (k = 0; k < r->nr_rows; k++) {
		const struct netinfo_iface *i = &r->rows[k].i;
		char q[24];

		snprintf(q, sizeof(q), "%u/%u", i->rx_queues, i->tx_queues);
		fprintf(out, "%-16s %-5s %-12s %6u %7s %-8s %-16s %s\n", i->name,
			i->up ? "up" : "down", i->driver[0] ? i->driver : "-", i->mtu, q,
			xdp_kind(i), tri(i->has_xdp_features, i->xdp_ndo_xmit),
			tri(i->has_xdp_features, i->xsk_zerocopy));
	}
	fprintf(out, "\n--engine auto for UDP:\n");
	for (k = 0; k < r->nr_rows; k++)
		if (r->rows[k].picked)
			fprintf(out, "  %s: %s\n", r->rows[k].i.name, r->rows[k].choice.reason);
}

static json_t *json_check(const struct doctor_check *c)
{
	if (c->ok)
		return json_pack("{s:b}", "ok", 1);
	return json_pack("{s:b, s:s}", "ok", 0, "error", c->why);
}

static json_t *json_tri(bool known, bool v)
{
	return known ? json_boolean(v) : json_null();
}

static json_t *json_iface(const struct doctor_row *row)
{
	const struct netinfo_iface *i = &row->i;
	const uint8_t *m = i->mac;
	char mac[18];
	json_t *o;

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	o = json_pack("{s:s, s:i, s:s, s:b, s:o, s:s, s:I, s:I, s:I, s:s, s:o, s:o}", "name",
		      i->name, "ifindex", i->ifindex, "state", i->up ? "up" : "down", "loopback",
		      i->loopback, "driver", i->driver[0] ? json_string(i->driver) : json_null(),
		      "mac", mac, "mtu", (json_int_t)i->mtu, "rx_queues", (json_int_t)i->rx_queues,
		      "tx_queues", (json_int_t)i->tx_queues, "xdp", xdp_kind(i), "redirect_target",
		      json_tri(i->has_xdp_features, i->xdp_ndo_xmit), "xsk_zerocopy",
		      json_tri(i->has_xdp_features, i->xsk_zerocopy));
	if (o && row->picked)
		json_object_set_new(o, "engine_auto",
				    json_pack("{s:s, s:s, s:b, s:b, s:s}", "engine",
					      xfr_engine_name(row->choice.engine), "mode",
					      mode_name(row->choice.mode), "generic",
					      row->choice.generic, "fallback", row->choice.fallback,
					      "reason", row->choice.reason));
	return o;
}

static int print_json(FILE *out, const struct doctor_report *r)
{
	json_t *root, *ifaces, *drops;
	char *s;
	int k;

	drops = json_check(&r->drops);
	if (drops && r->drops.ok)
		json_object_set_new(drops, "count", json_integer(r->nr_reasons));

	ifaces = json_array();
	for (k = 0; ifaces && k < r->nr_rows; k++)
		json_array_append_new(ifaces, json_iface(&r->rows[k]));
	root = json_pack("{s:s, s:b, s:{s:b, s:b, s:b, s:b}, s:o, s:o, s:o, s:o, s:o}", "kernel",
			 r->kernel, "btf", r->btf, "capabilities", "cap_bpf", r->caps.bpf,
			 "cap_net_admin", r->caps.net_admin, "cap_net_raw", r->caps.net_raw,
			 "cap_perfmon", r->caps.perfmon, "bpf_load", json_check(&r->bpf),
			 "live_frames", json_check(&r->live), "af_xdp", json_check(&r->afxdp),
			 "drop_reasons", drops, "interfaces", ifaces);
	s = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (!s)
		return -ENOMEM;
	fprintf(out, "%s\n", s);
	free(s);
	return 0;
}

static void print_error(FILE *out, int json, const char *msg)
{
	json_t *o;
	char *s;

	if (!json) {
		pr_err("doctor: %s", msg);
		return;
	}
	o = json_pack("{s:s}", "error", msg);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s)
		fprintf(out, "%s\n", s);
	free(s);
	json_decref(o);
}

int doctor_run(FILE *out, const char *iface, int json)
{
	struct doctor_report r = {};
	char msg[128];
	int err, rc = 0;

	if (iface && !*iface)
		iface = NULL;
	gather_host(&r);
	err = gather_ifaces(&r, iface);
	if (err == -ENODEV && iface)
		snprintf(msg, sizeof(msg), "--iface %.16s: no such interface", iface);
	else if (err)
		snprintf(msg, sizeof(msg), "cannot list interfaces: %s", strerror(-err));
	if (err) {
		print_error(out, json, msg);
		rc = 1;
	} else if (json) {
		rc = print_json(out, &r) ? 1 : 0;
	} else {
		print_plain(out, &r);
	}
	free(r.rows);
	return rc;
}
