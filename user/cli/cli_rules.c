// SPDX-License-Identifier: MIT
/*
 * The command line's environment and cross-option rules (cli_priv.h): flags
 * into the config, conflicts, the host and its family, and what each command
 * (client, serve, doctor) needs before it runs.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_sec.h"
#include "cli/completions.h"
#include "cli/config_file.h"
#include "metrics/push.h"
#include "cli/target.h"
#include "base/log.h"
#include "base/net.h"
#include "control/proto.h"
#include "units.h"
#include "util.h"

#include "cli/cli_priv.h"

/* ngtcp2 0.12's congestion controllers (-Q --congestion). */
bool cli_quic_cc_name(const char *s)
{
	return !strcmp(s, "reno") || !strcmp(s, "cubic") || !strcmp(s, "bbr") || !strcmp(s, "bbr2");
}

/* The family of a --bind spec (net_parse_bind's grammar); *port = 0 when absent. */
int cli_bind_family(const char *spec, int *family, uint16_t *port)
{
	struct net_addr a;
	int err = net_parse_bind(spec, &a, port);

	if (err)
		return err;
	*family = net_family(&a) == AF_INET6 ? XFR_AF_INET6 : XFR_AF_INET;
	return 0;
}

/* ---- environment and cross-option rules ---- */

int cli_apply_env(struct cli_state *st, const char *var, bool flag_given, const char *opt,
		  FILE *err)
{
	const char *v = getenv(var);
	const char *why = "no such option";

	if (flag_given || !v || !*v)
		return 0;
	for (size_t i = 0; i < st->nopts; i++) {
		if (!strcmp(st->opts[i].name, opt) && st->opts[i].handler) {
			why = st->opts[i].handler(st, v);
			break;
		}
	}
	if (!why)
		return 0;
	fprintf(err, "xfr: %s=%s: %s\n", var, v, why);
	return -EINVAL;
}

/* XFR_LOG_LEVEL and XFR_LOG_FILE, where the flags did not decide (both commands). */
int cli_apply_log_env(struct cli_state *st, FILE *err)
{
	return cli_apply_env(st, "XFR_LOG_LEVEL", cli_seen_name(st, "log-level"), "log-level", err)
		       ?: cli_apply_env(st, "XFR_LOG_FILE", cli_seen_name(st, "log-file"),
					"log-file", err);
}

/* Switches into the config; conflicts between them are checked after. */
void cli_apply_flags(struct cli_state *st)
{
	struct xfr_config *cfg = st->cfg;

	if (st->reverse)
		cfg->dir = XFR_DIR_DOWNLOAD;
	if (st->bidir)
		cfg->dir = XFR_DIR_BIDIR;
	if (st->json)
		cfg->format = XFR_FMT_JSON;
	if (st->json_stream)
		cfg->format = XFR_FMT_JSON_STREAM;
	if (st->csv)
		cfg->format = XFR_FMT_CSV;
	if (st->zeros)
		cfg->payload = XFR_PAYLOAD_ZEROS;
	if (st->zc_off)
		cfg->zerocopy = XFR_ZC_OFF;
	if (st->v4)
		cfg->family = XFR_AF_INET;
	if (st->v6)
		cfg->family = XFR_AF_INET6;
	cfg->nodelay = st->nodelay;
	cfg->quiet = st->quiet;
	cfg->get_server_output = st->get_server_output;
	cfg->one_off = st->one_off;
	cfg->no_tui = st->no_tui;
	cfg->tui = st->tui;
	cfg->drop_reasons = st->drop_reasons;
}

static int check_family(struct cli_state *st, const char *what, FILE *err)
{
	struct xfr_config *cfg = st->cfg;
	uint16_t port;
	int family;

	if (st->v4 && st->v6) {
		fprintf(err, "xfr: -4 and -6 cannot be used together\n");
		return -EINVAL;
	}
	if (!cfg->bind[0] || cli_bind_family(cfg->bind, &family, &port))
		return 0;
	if ((st->v4 && family != XFR_AF_INET) || (st->v6 && family != XFR_AF_INET6)) {
		fprintf(err, "xfr: %s %s and %s disagree\n", what, cfg->bind, st->v4 ? "-4" : "-6");
		return -EINVAL;
	}
	cfg->family = (enum xfr_family)family; /* the bound address decides the family */
	return 0;
}

static int check_exclusive(struct cli_state *st, FILE *err)
{
	if (st->reverse && st->bidir) {
		fprintf(err, "xfr: -R and --bidir cannot be used together\n");
		return -EINVAL;
	}
	if (st->json + st->json_stream + st->csv > 1) {
		fprintf(err, "xfr: --json, --json-stream and --csv are exclusive\n");
		return -EINVAL;
	}
	if (st->random && st->zeros) {
		fprintf(err, "xfr: --random and --zeros cannot be used together\n");
		return -EINVAL;
	}
	if (st->zc_on && st->zc_off) {
		fprintf(err, "xfr: --zerocopy and --no-zerocopy cannot be used together\n");
		return -EINVAL;
	}
	return 0;
}

static int check_ports(struct cli_state *st, FILE *err)
{
	struct xfr_config *cfg = st->cfg;
	uint16_t port = 0;
	int family;

	if (cfg->bind[0])
		cli_bind_family(cfg->bind, &family, &port);
	if (port && cfg->streams > 1) {
		fprintf(err, "xfr: --bind %s: a port cannot be used with -P > 1 (use --cport)\n",
			cfg->bind);
		return -EINVAL;
	}
	if (port && cfg->cport) {
		fprintf(err, "xfr: --bind %s: a port cannot be used with --cport\n", cfg->bind);
		return -EINVAL;
	}
	if (cfg->cport && (uint32_t)cfg->cport + cfg->streams - 1 > 65535) {
		fprintf(err, "xfr: --cport %u: PORT+streams-1 exceeds 65535\n", cfg->cport);
		return -EINVAL;
	}
	return 0;
}

static int conflict(FILE *err, const char *a, const char *b)
{
	fprintf(err, "xfr: %s cannot be used with %s\n", a, b);
	return -EINVAL;
}

/* UDP: its defaults (1 Gbit/s, 1400-byte datagrams) and what does not apply. */
static int check_udp(struct cli_state *st, FILE *err)
{
	struct xfr_config *cfg = st->cfg;

	if (!st->udp && !st->probe_mtu) {
		if (st->no_gso && !st->quic)
			return conflict(err, "--no-gso", "TCP (it is a UDP option)");
		return 0;
	}
	cfg->proto = XFR_PROTO_UDP;
	cfg->no_offload = st->no_gso;
	if (st->zc_on)
		return conflict(err, "-Z/--zerocopy", "-u");
	if (cfg->mptcp)
		return conflict(err, "--mptcp", "-u");
	if (st->congestion_set)
		return conflict(err, "--congestion", "-u");
	if (st->nodelay)
		return conflict(err, "--tcp-nodelay", "-u");
	if (!cfg->bitrate_set) {
		cfg->bitrate = XFR_DEFAULT_UDP_RATE;
		cfg->bitrate_set = true;
	}
	if (!st->length_set)
		cfg->length = xfr_default_length(XFR_PROTO_UDP);
	if (cfg->length < 64 || cfg->length > 65507) {
		fprintf(err, "xfr: --length %u: a UDP datagram must be 64..65507 bytes\n",
			cfg->length);
		return -EINVAL;
	}
	return 0;
}

/* QUIC: its own congestion controllers, certificate pinning; what does not apply. */
int cli_check_quic(struct cli_state *st, FILE *err)
{
	struct xfr_config *cfg = st->cfg;

	if (!st->quic) {
		if (cfg->quic_verify[0])
			return conflict(err, "--quic-verify", "TCP and UDP (it is a -Q option)");
		if (cfg->quic_ca[0])
			return conflict(err, "--quic-ca", "TCP and UDP (it is a -Q option)");
		if (st->cc_quic_only) {
			fprintf(err, "xfr: --congestion %s: %s\n", cfg->quic_cc, st->why);
			return -EINVAL;
		}
		cfg->quic_cc[0] = '\0';
		return 0;
	}
	if (st->udp)
		return conflict(err, "-Q/--quic", "-u");
	if (cfg->mptcp)
		return conflict(err, "--mptcp", "-Q");
	if (st->zc_on)
		return conflict(err, "-Z/--zerocopy", "-Q");
	if (st->probe_mtu)
		return conflict(err, "--probe-mtu", "-Q");
	if (cfg->quic_cc[0] && !cli_quic_cc_name(cfg->quic_cc)) {
		fprintf(err, "xfr: --congestion %s: QUIC has reno, cubic, bbr and bbr2\n",
			cfg->quic_cc);
		return -EINVAL;
	}
	cfg->proto = XFR_PROTO_QUIC;
	cfg->congestion[0] = '\0'; /* the kernel's TCP list does not apply */
	cfg->no_offload = st->no_gso;
	return 0;
}

/* The kernel data plane: UDP only; the receiver mode needs an XDP engine. */
static int check_engine(struct cli_state *st, FILE *err)
{
	struct xfr_config *cfg = st->cfg;
	bool kernel = cfg->engine == XFR_ENGINE_XDP || cfg->engine == XFR_ENGINE_AFXDP;

	if (kernel && cfg->proto != XFR_PROTO_UDP) {
		fprintf(err,
			"xfr: --engine %s: XDP engines carry UDP tests (add -u); TCP runs on "
			"sockets\n",
			xfr_engine_req_name(cfg->engine));
		return -EINVAL;
	}
	if (kernel && cfg->probe_mtu)
		return conflict(err, "--probe-mtu", "--engine xdp/afxdp");
	if (st->xdp_mode_set && cfg->engine == XFR_ENGINE_SOCKET)
		return conflict(err, "--xdp-mode",
				"--engine socket (add --engine xdp, afxdp or auto)");
	if (cfg->queues && cfg->engine == XFR_ENGINE_SOCKET)
		return conflict(err, "--queues", "--engine socket");
	return 0;
}

static int check_probe(struct cli_state *st, FILE *err)
{
	struct xfr_config *cfg = st->cfg;

	if (!st->probe_mtu)
		return 0;
	if (st->reverse)
		return conflict(err, "--probe-mtu", "-R (it probes both directions)");
	if (st->bidir)
		return conflict(err, "--probe-mtu", "--bidir (it probes both directions)");
	if (st->parallel_set)
		return conflict(err, "--probe-mtu", "-P");
	if (st->bytes_set)
		return conflict(err, "--probe-mtu", "-n");
	if (st->zeros)
		return conflict(err, "--probe-mtu", "--zeros");
	if (st->length_set)
		return conflict(err, "--probe-mtu", "-l (it chooses the sizes)");
	cfg->probe_mtu = true;
	if (!st->time_set)
		cfg->duration_s = 60; /* an upper bound: the probe ends when it is done */
	return 0;
}

/* HOST, with its port if it has one (an explicit -p must agree). */
static int take_host(struct cli_state *st, int argc, char **argv, FILE *err)
{
	struct xfr_config *cfg = st->cfg;
	struct cli_target *t = &st->target;

	if (optind >= argc) {
		fprintf(err, "xfr: missing HOST (" USAGE_LINE ")\n");
		return -EINVAL;
	}
	if (argc - optind > 1) {
		fprintf(err, "xfr: unexpected argument '%s' (" USAGE_LINE ")\n", argv[optind + 1]);
		return -EINVAL;
	}
	if (!argv[optind][0] || strlen(argv[optind]) >= sizeof(cfg->host)) {
		fprintf(err, "xfr: HOST '%.64s': must be 1 to %zu characters\n", argv[optind],
			sizeof(cfg->host) - 1);
		return -EINVAL;
	}
	if (cli_target_parse(argv[optind], t, st->why, sizeof(st->why))) {
		fprintf(err, "xfr: %s\n", st->why);
		return -EINVAL;
	}
	snprintf(cfg->host, sizeof(cfg->host), "%s", t->host);
	if (t->port && st->port_set && t->port != cfg->port) {
		fprintf(err, "xfr: %s names port %u but -p %u was given: give the port once\n",
			argv[optind], t->port, cfg->port);
		return -EINVAL;
	}
	if (t->port) {
		cfg->port = t->port;
		st->port_set = true; /* XFR_PORT is a default: the address's port wins */
	}
	return 0;
}

/* An address literal against -4/-6 and --bind: one line on the real mismatch. */
static int check_target_family(struct cli_state *st, FILE *err)
{
	struct xfr_config *cfg = st->cfg;
	enum xfr_family lit = st->target.family;
	uint16_t port;
	int bfam;

	if (lit == XFR_AF_ANY)
		return 0;
	if ((st->v4 && lit != XFR_AF_INET) || (st->v6 && lit != XFR_AF_INET6)) {
		fprintf(err, "xfr: %s is an %s address but %s was given\n", cfg->host,
			cli_family_name(lit), st->v4 ? "-4" : "-6");
		return -EINVAL;
	}
	if (cfg->bind[0] && !cli_bind_family(cfg->bind, &bfam, &port) && bfam != (int)lit) {
		fprintf(err, "xfr: %s is an %s address but --bind %s is %s\n", cfg->host,
			cli_family_name(lit), cfg->bind, cli_family_name((enum xfr_family)bfam));
		return -EINVAL;
	}
	return 0;
}

/*
 * XFR_PSK when neither --psk nor --psk-file was given, and the warning that
 * argv and the environment show the key to others (the value is never printed).
 */
static int finish_psk(struct cli_state *st, FILE *err)
{
	const char *v = getenv("XFR_PSK");
	const char *why;

	if (!st->psk_set && !st->psk_file_set && v && *v) {
		why = clisec_psk(st->cfg, v);
		if (why) {
			fprintf(err, "xfr: XFR_PSK: %s\n", why);
			return -EINVAL;
		}
		fprintf(err, "xfr: warning: XFR_PSK: the environment can be read by this user's "
			     "processes and root; --psk-file is safer\n");
	} else if (st->psk_set && !st->psk_file_set) {
		fprintf(err, "xfr: warning: --psk: the key is visible to every user in the process "
			     "list; --psk-file is safer\n");
	}
	return 0;
}

/* --preset, after the options it yields to (--max-duration, --max-bandwidth). */
static int finish_preset(struct cli_state *st, FILE *err)
{
	const char *why;

	if (!st->preset) {
		if (st->preset_file)
			fprintf(err, "xfr: --preset-file: without --preset it is not read\n");
		return st->preset_file ? -EINVAL : 0;
	}
	why = clisec_preset(st->cfg, st->preset, st->preset_file, st->why, sizeof(st->why));
	if (why) {
		fprintf(err, "xfr: --preset %s: %s\n", st->preset, why);
		return -EINVAL;
	}
	return 0;
}

int cli_finish_client(struct cli_state *st, int argc, char **argv, FILE *err)
{
	struct xfr_config *cfg = st->cfg;

	cli_apply_flags(st);
	if (take_host(st, argc, argv, err) ||
	    cli_apply_env(st, "XFR_PORT", st->port_set, "port", err) ||
	    cli_apply_env(st, "XFR_DURATION", st->time_set, "time", err) ||
	    cli_apply_env(st, "XFR_BYTES", st->bytes_set, "bytes", err) ||
	    cli_apply_env(st, "XFR_TIMESTAMP_FORMAT", st->ts_set, "timestamp-format", err) ||
	    cli_apply_log_env(st, err) ||
	    cli_apply_env(st, "XFR_PUSH_GATEWAY", cli_seen_name(st, "push-gateway"), "push-gateway",
			  err) ||
	    finish_psk(st, err))
		return -EINVAL;
	/* A byte budget without a time limit runs until the bytes are through. */
	if (st->bytes_set && !st->time_set)
		cfg->duration_s = 0;
	if (check_exclusive(st, err) || check_family(st, "--bind", err) ||
	    check_target_family(st, err) || check_ports(st, err) || check_udp(st, err) ||
	    cli_check_quic(st, err) || check_probe(st, err) || check_engine(st, err))
		return -EINVAL;
	return 0;
}

int cli_finish_server(struct cli_state *st, int argc, char **argv, FILE *err)
{
	cli_apply_flags(st);
	if (optind < argc) {
		fprintf(err, "xfr: serve: unexpected argument '%s' (usage: xfr serve [OPTIONS])\n",
			argv[optind]);
		return -EINVAL;
	}
	if (cli_apply_env(st, "XFR_PORT", st->port_set, "port", err) ||
	    cli_apply_log_env(st, err) ||
	    cli_apply_env(st, "XFR_PUSH_GATEWAY", cli_seen_name(st, "push-gateway"), "push-gateway",
			  err) ||
	    check_family(st, "-B", err) || finish_psk(st, err) || finish_preset(st, err))
		return -EINVAL;
	if (!st->cfg->quic_cert[0] != !st->cfg->quic_key[0]) {
		fprintf(err, "xfr: serve --quic-cert and --quic-key: give both, or neither\n");
		return -EINVAL;
	}
	/* Sockets only, no BPF, unless the operator lets clients ask for more (auto). */
	if (!st->cfg->engine_set)
		st->cfg->engine = XFR_ENGINE_SOCKET;
	if (st->cfg->engine == XFR_ENGINE_XDP || st->cfg->engine == XFR_ENGINE_AFXDP) {
		fprintf(err,
			"xfr: serve --engine %s: the server runs what each client asks for; use "
			"socket (default) or auto\n",
			xfr_engine_req_name(st->cfg->engine));
		return -EINVAL;
	}
	if (st->xdp_mode_set) {
		fprintf(err, "xfr: serve --xdp-mode: the client chooses the receiver mode\n");
		return -EINVAL;
	}
	if ((st->cfg->iface[0] || st->cfg->queues) && st->cfg->engine != XFR_ENGINE_AUTO) {
		fprintf(err, "xfr: serve %s: only used with --engine auto (add it, or drop %s)\n",
			st->cfg->iface[0] ? "--iface" : "--queues",
			st->cfg->iface[0] ? "--iface" : "--queues");
		return -EINVAL;
	}
	/* By default one address never holds every test slot: half of them at most. */
	if (!st->rate_limit_set && st->cfg->rate_limit > st->cfg->max_tests / 2)
		st->cfg->rate_limit = st->cfg->max_tests > 1 ? st->cfg->max_tests / 2 : 1;
	return 0;
}

int cli_finish_doctor(struct cli_state *st, int argc, char **argv, FILE *err)
{
	if (optind < argc) {
		fprintf(err,
			"xfr: doctor: unexpected argument '%s' (usage: xfr doctor [--iface NAME] "
			"[--json])\n",
			argv[optind]);
		return -EINVAL;
	}
	st->cfg->format = st->json ? XFR_FMT_JSON : XFR_FMT_PLAIN;
	return 0;
}
