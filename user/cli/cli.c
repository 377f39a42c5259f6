// SPDX-License-Identifier: MIT
/*
 * Command line. One table (cli_opts) lists every option once: its names, its
 * argument, its help line and the handler that stores it. The getopt_long
 * arrays and the --help text are generated from it, so the three never drift.
 *
 * Handlers return NULL or a reason; the caller prints the one-line error
 * "xfr: --parallel 0: must be between 1 and 128". The same handlers parse the
 * environment variables, where the line reads "xfr: XFR_PORT=abc: not a port".
 * Rules that involve several options run after all of them were seen.
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

#define CC_LIST_PATH  "/proc/sys/net/ipv4/tcp_available_congestion_control"
#define MPTCP_SYSCTL  "/proc/sys/net/mptcp/enabled"
#define MAX_LENGTH    (16U * 1024 * 1024)
#define MAX_INTERVAL  3600000ULL /* ms */
#define MAX_TESTS_MAX 10000
#define USAGE_LINE    "usage: xfr [OPTIONS] HOST, xfr serve [OPTIONS]"
/* units_parse_duration_ms's grammar, as the help and error lines say it */
#define DUR_UNITS "seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h"
#define DUR_UNITS_LONG                                                                             \
	"a number of seconds, or a number and a unit: ms, s/sec/secs, m/min/mins,\n"               \
	"h/hr/hour/hours, d/day/days (500ms, 1.5s, 10mins, 2h; M is not minutes)"

/* serve's limits: the largest values the options take */
#define MAX_PENDING_MAX	      100000
#define MAX_PAUSE_MAX	      86400 /* s */
#define MAX_TOTAL_STREAMS_MAX 1000000

/*
 * Which commands take an option. It also decides the --help section: client
 * only, server only, or shared (M_BOTH).
 */
#define M_CLIENT 1U
#define M_SERVE	 2U
#define M_DOCTOR 4U
#define M_BOTH	 (M_CLIENT | M_SERVE)

#define CLI_MAX_OPTS 128 /* entries of cli_opts, at most */

/* Everything seen while parsing that the config itself does not record. */
struct cli_state {
	struct xfr_config *cfg;
	FILE *out, *err;
	bool done; /* --help / --version printed */
	bool time_set, bytes_set, port_set, ts_set;
	bool reverse, bidir, json, json_stream, csv;
	bool v4, v6, random, zeros, zc_on, zc_off;
	bool nodelay, quiet, get_server_output, one_off;
	bool no_tui, tui;
	bool udp, probe_mtu, no_gso, length_set, congestion_set, parallel_set;
	bool drop_reasons, xdp_mode_set;
	bool rate_limit_set;
	bool psk_set, psk_file_set;	  /* --psk, --psk-file (the file wins) */
	const char *preset, *preset_file; /* --preset NAME [--preset-file FILE] */
	struct cli_target target;	  /* HOST taken apart */
	char why[400];			  /* reasons that need formatting */
	/* the config file (load_config): --config, --no-config, options given as flags */
	const char *config_arg;
	bool no_config;
	bool seen[CLI_MAX_OPTS];
	bool quic, cc_quic_only; /* -Q; --congestion names a QUIC-only algorithm */
};

struct cli_opt {
	const char *name;  /* long name */
	char short_name;   /* 0 = long only */
	int has_arg;	   /* getopt's no_argument / required_argument / optional_argument */
	unsigned int mode; /* M_CLIENT, M_SERVE, M_DOCTOR */
	const char *metavar;
	const char *help;  /* NULL: taken but not listed (serve refuses it with a reason) */
	const char *label; /* name in error lines when not "--name" */
	const char *(*handler)(struct cli_state *st, const char *arg);
	size_t flag; /* no handler: offset of the bool in cli_state to set */
};

/* A plain switch: sets a bool in cli_state, applied by apply_flags(). */
#define FLAG(field) NULL, offsetof(struct cli_state, field)

/* ---- value parsers shared by flags and environment ---- */

static const char *dur_ms(const char *arg, uint64_t *ms)
{
	int err = units_parse_duration_ms(arg, ms);

	size_t n = strlen(arg);

	if (err == -ERANGE)
		return "too large";
	if (err && n > 1 && arg[n - 1] == 'M' &&
	    (isdigit((unsigned char)arg[n - 2]) || arg[n - 2] == '.'))
		return "M is not a unit of time (use m or min for minutes)";
	if (err)
		return "not a duration (" DUR_UNITS ")";
	return NULL;
}

static const char *set_time(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = dur_ms(arg, &ms);

	if (why)
		return why;
	if (ms && ms < 1000)
		return "must be 0 (until stopped) or at least 1 s";
	if ((ms + 500) / 1000 > UINT32_MAX)
		return "too large";
	st->cfg->duration_s = (uint32_t)((ms + 500) / 1000);
	st->cfg->duration_set = true;
	st->time_set = true;
	return NULL;
}

static const char *set_bytes(struct cli_state *st, const char *arg)
{
	uint64_t n;
	int err = units_parse_size(arg, &n);

	if (err == -ERANGE)
		return "too large";
	if (err)
		return "not a size (examples: 10G, 500M, 1048576)";
	if (!n)
		return "must be greater than 0";
	st->cfg->bytes = n;
	st->bytes_set = true;
	return NULL;
}

static const char *parse_port(const char *arg, uint16_t *port)
{
	int err = net_parse_port(arg, port);

	if (err == -ERANGE)
		return "must be between 1 and 65535";
	if (err)
		return "not a port";
	return NULL;
}

static const char *set_port(struct cli_state *st, const char *arg)
{
	st->port_set = true;
	return parse_port(arg, &st->cfg->port);
}

static const char *set_ts_format(struct cli_state *st, const char *arg)
{
	static const struct {
		const char *name;
		enum xfr_ts_format fmt;
	} names[] = {
		{"relative", XFR_TS_RELATIVE}, {"iso8601", XFR_TS_ISO8601}, {"iso", XFR_TS_ISO8601},
		{"unix", XFR_TS_UNIX},	       {"epoch", XFR_TS_UNIX},
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(arg, names[i].name)) {
			st->cfg->ts_format = names[i].fmt;
			st->ts_set = true;
			return NULL;
		}
	}
	return "unknown format (use relative, iso8601 or unix)";
}

/* ---- test options ---- */

static const char *set_parallel(struct cli_state *st, const char *arg)
{
	uint64_t v;
	int err = units_parse_uint(arg, 1, XFR_MAX_STREAMS, &v);

	if (err == -EINVAL)
		return "not a number";
	if (err)
		return "must be between 1 and 128";
	st->cfg->streams = (uint32_t)v;
	st->parallel_set = true;
	return NULL;
}

/* Below this a -b is almost surely a missing unit: say so, but run as asked. */
#define TINY_BITRATE 1000

/* "-b 100 is 100 bit/s; did you mean 100M?" (the guess only when no unit was given) */
static void warn_tiny_rate(FILE *err, const char *arg, uint64_t bps)
{
	bool no_unit = isdigit((unsigned char)arg[strlen(arg) - 1]);

	fprintf(err, "xfr: warning: -b %s is %" PRIu64 " bit/s", arg, bps);
	if (no_unit)
		fprintf(err, "; did you mean %sM?", arg);
	fputc('\n', err);
}

static const char *set_bitrate(struct cli_state *st, const char *arg)
{
	uint64_t bps;
	int err = units_parse_rate(arg, &bps);

	if (err == -ERANGE || (!err && bps > PROTO_MAX_BITRATE))
		return "must be at most 10T (10 Tbit/s, the protocol's limit)";
	if (err)
		return "not a rate (examples: 100M, 1.5G)";
	if (bps && bps < TINY_BITRATE)
		warn_tiny_rate(st->err, arg, bps);
	st->cfg->bitrate = bps;
	st->cfg->bitrate_set = true;
	return NULL;
}

static const char *set_length(struct cli_state *st, const char *arg)
{
	uint64_t n;
	int err = units_parse_size(arg, &n);

	if (err == -EINVAL)
		return "not a size (examples: 128K, 1M)";
	if (err || !n || n > MAX_LENGTH)
		return "must be between 1 and 16M";
	st->cfg->length = (uint32_t)n;
	st->length_set = true;
	return NULL;
}

static const char *set_window(struct cli_state *st, const char *arg)
{
	uint64_t n;
	int err = units_parse_size(arg, &n);

	if (err == -EINVAL)
		return "not a size (examples: 256K, 4M)";
	if (err || !n || n > XFR_MAX_WINDOW)
		return "must be between 1 and 512M";
	st->cfg->window = n;
	return NULL;
}

static bool cc_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= sizeof(((struct xfr_config *)0)->congestion))
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	}
	return true;
}

/* ngtcp2 0.12's congestion controllers (-Q --congestion). */
static bool quic_cc_name(const char *s)
{
	return !strcmp(s, "reno") || !strcmp(s, "cubic") || !strcmp(s, "bbr") || !strcmp(s, "bbr2");
}

static const char *set_quic_verify(struct cli_state *st, const char *arg)
{
	size_t n = 0;

	for (const char *p = arg; *p; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p))
			return "not a SHA-256 fingerprint (64 hex digits, colons allowed)";
		n++;
	}
	if (n != 64)
		return "not a SHA-256 fingerprint (64 hex digits, colons allowed)";
	snprintf(st->cfg->quic_verify, sizeof(st->cfg->quic_verify), "%s", arg);
	return NULL;
}

static const char *set_path(char *dst, size_t len, const char *arg)
{
	if (!*arg || strlen(arg) >= len)
		return "not a usable path";
	snprintf(dst, len, "%s", arg);
	return NULL;
}

static const char *set_quic_cert(struct cli_state *st, const char *arg)
{
	return set_path(st->cfg->quic_cert, sizeof(st->cfg->quic_cert), arg);
}

static const char *set_quic_ca(struct cli_state *st, const char *arg)
{
	if (access(arg, R_OK))
		return "cannot be read";
	return set_path(st->cfg->quic_ca, sizeof(st->cfg->quic_ca), arg);
}

static const char *set_quic_key(struct cli_state *st, const char *arg)
{
	return set_path(st->cfg->quic_key, sizeof(st->cfg->quic_key), arg);
}

/*
 * The kernel's list is the truth: an unknown name would only fail at
 * setsockopt time, after the server already set up the test.
 */
static const char *set_congestion(struct cli_state *st, const char *arg)
{
	char list[256], *tok, *save;
	FILE *f;
	size_t n;

	if (!cc_name_ok(arg))
		return "not a valid algorithm name (letters, digits, '_' and '-', at most 15)";
	snprintf(st->cfg->quic_cc, sizeof(st->cfg->quic_cc), "%s", arg);
	f = fopen(CC_LIST_PATH, "r");
	if (!f) /* cannot check here; the kernel will say at setsockopt */
		goto accept;
	n = fread(list, 1, sizeof(list) - 1, f);
	fclose(f);
	list[n] = '\0';
	list[strcspn(list, "\n")] = '\0';
	snprintf(st->why, sizeof(st->why), "not available (available: %s)", list);
	for (tok = strtok_r(list, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(tok, arg))
			goto accept;
	}
	if (!quic_cc_name(arg))
		return st->why;
	st->cc_quic_only = true; /* fine with -Q; check_quic() and check_tcp_cc() decide */
	return NULL;
accept:
	snprintf(st->cfg->congestion, sizeof(st->cfg->congestion), "%s", arg);
	st->congestion_set = true;
	return NULL;
}

static const char *set_dscp(struct cli_state *st, const char *arg)
{
	if (units_parse_dscp(arg, &st->cfg->tos))
		return "must be 0..255 or a name like EF, AF41, CS1";
	return NULL;
}

static const char *set_zerocopy(struct cli_state *st, const char *arg)
{
	st->zc_on = true;
	if (!arg || !strcmp(arg, "sendfile"))
		st->cfg->zerocopy = XFR_ZC_SENDFILE;
	else if (!strcmp(arg, "msg"))
		st->cfg->zerocopy = XFR_ZC_MSG;
	else if (!strcmp(arg, "auto"))
		st->cfg->zerocopy = XFR_ZC_AUTO;
	else
		return "unknown mode (use auto, sendfile or msg)";
	return NULL;
}

/* ---- connection options ---- */

/* The family of a --bind spec (net_parse_bind's grammar); *port = 0 when absent. */
static int bind_family(const char *spec, int *family, uint16_t *port)
{
	struct net_addr a;
	int err = net_parse_bind(spec, &a, port);

	if (err)
		return err;
	*family = net_family(&a) == AF_INET6 ? XFR_AF_INET6 : XFR_AF_INET;
	return 0;
}

static const char *set_client_bind(struct cli_state *st, const char *arg)
{
	int family;
	uint16_t port;

	if (bind_family(arg, &family, &port))
		return "not an address (use IP, IP:PORT, [IPv6] or [IPv6]:PORT)";
	snprintf(st->cfg->bind, sizeof(st->cfg->bind), "%s", arg);
	return NULL;
}

static const char *set_server_bind(struct cli_state *st, const char *arg)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, arg, &a4) == 1) {
		if (a4.s_addr == htonl(INADDR_ANY))
			return "unspecified address (use -4/-6)";
	} else if (inet_pton(AF_INET6, arg, &a6) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&a6))
			return "unspecified address (use -4/-6)";
	} else {
		return "not an IP address";
	}
	snprintf(st->cfg->bind, sizeof(st->cfg->bind), "%s", arg);
	return NULL;
}

static const char *set_cport(struct cli_state *st, const char *arg)
{
	return parse_port(arg, &st->cfg->cport);
}

static const char *set_mptcp(struct cli_state *st, const char *arg)
{
	char v = '0';
	FILE *f;

	(void)arg;
	f = fopen(MPTCP_SYSCTL, "r");
	if (!f)
		return "this kernel has no MPTCP support (" MPTCP_SYSCTL " is missing)";
	if (fread(&v, 1, 1, f) != 1)
		v = '0';
	fclose(f);
	if (v == '0')
		return "MPTCP is disabled (sysctl net.mptcp.enabled = 0)";
	st->cfg->mptcp = true;
	return NULL;
}

/* "0,2,4-7": CPUs that exist on this host, at most XFR_MAX_CPUS entries. */
static const char *set_affinity(struct cli_state *st, const char *arg)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct xfr_config *cfg = st->cfg;
	const char *p = arg;
	unsigned long a, b;
	char *end;

	cfg->ncpus = 0;
	while (*p) {
		if (*p < '0' || *p > '9')
			return "not a CPU list (examples: 0, 0,2, 0-3)";
		a = b = strtoul(p, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return "not a CPU list (examples: 0, 0,2, 0-3)";
			b = strtoul(end + 1, &end, 10);
		}
		if (*end && *end != ',')
			return "not a CPU list (examples: 0, 0,2, 0-3)";
		if (b < a || (long)b >= ncpu) {
			snprintf(st->why, sizeof(st->why), "no CPU %lu here (CPUs 0-%ld)", b,
				 ncpu - 1);
			return st->why;
		}
		for (unsigned long c = a; c <= b; c++) {
			if (cfg->ncpus == XFR_MAX_CPUS)
				return "too many CPUs";
			cfg->cpus[cfg->ncpus++] = (int)c;
		}
		p = *end ? end + 1 : end;
	}
	return cfg->ncpus ? NULL : "not a CPU list (examples: 0, 0,2, 0-3)";
}

static const char *set_busy_poll(struct cli_state *st, const char *arg)
{
	uint64_t v;
	int err = units_parse_uint(arg, 1, 1000000, &v);

	if (err == -EINVAL)
		return "not a number of microseconds";
	if (err)
		return "must be between 1 and 1000000 microseconds";
	st->cfg->busy_poll_us = (uint32_t)v;
	return NULL;
}

static const char *set_engine(struct cli_state *st, const char *arg)
{
	int e = xfr_engine_req_parse(arg);

	if (e < 0)
		return "must be auto, socket, xdp or afxdp";
	st->cfg->engine = (enum xfr_engine_req)e;
	st->cfg->engine_set = true;
	return NULL;
}

static const char *set_xdp_mode(struct cli_state *st, const char *arg)
{
	int m = arg[0] ? xfr_xdp_mode_parse(arg) : -1; /* "" is the wire's default */

	if (m < 0)
		return "must be drop, pass or redirect";
	st->cfg->xdp_mode = (enum xfr_xdp_mode)m;
	st->xdp_mode_set = true;
	return NULL;
}

static const char *set_iface(struct cli_state *st, const char *arg)
{
	size_t n = strlen(arg);

	if (!n || n >= sizeof(st->cfg->iface) || strchr(arg, '/') || strchr(arg, ' '))
		return "not an interface name (1 to 15 characters, no '/' or spaces)";
	memcpy(st->cfg->iface, arg, n + 1);
	return NULL;
}

static const char *set_queues(struct cli_state *st, const char *arg)
{
	uint64_t v;
	int err = units_parse_uint(arg, 1, 64, &v);

	if (err)
		return "must be between 1 and 64";
	st->cfg->queues = (uint32_t)v;
	return NULL;
}

static const char *set_connect_timeout(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = dur_ms(arg, &ms);

	if (why)
		return why;
	if (!ms)
		return "must be greater than 0";
	if (ms > UINT32_MAX)
		return "too large";
	st->cfg->connect_timeout_ms = (uint32_t)ms;
	return NULL;
}

/* ---- output options ---- */

static const char *set_interval(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	int err = units_parse_duration_ms(arg, &ms);

	if (err == -EINVAL)
		return dur_ms(arg, &ms);
	if (err || (ms && (ms < 100 || ms > MAX_INTERVAL)))
		return "must be 0 or between 0.1 and 3600 s";
	st->cfg->interval_ms = (uint32_t)ms;
	return NULL;
}

static const char *set_omit(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = dur_ms(arg, &ms);

	if (why)
		return why;
	if (ms > UINT32_MAX)
		return "too large";
	st->cfg->omit_ms = (uint32_t)ms;
	return NULL;
}

static const char *set_output(struct cli_state *st, const char *arg)
{
	if (!*arg)
		return "empty file name";
	if (strlen(arg) >= sizeof(st->cfg->output_file))
		return "file name too long";
	strcpy(st->cfg->output_file, arg);
	return NULL;
}

static const char *set_log_level(struct cli_state *st, const char *arg)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(arg, names[i])) {
			st->cfg->log_level = (enum xfr_log_level)i;
			return NULL;
		}
	}
	return "unknown level (use error, warn, info or debug)";
}

static int apply_env(struct cli_state *st, const char *var, bool flag_given,
		     const char *(*handler)(struct cli_state *, const char *), FILE *err);
static bool seen_name(const struct cli_state *st, const char *name);

static const char *set_log_file(struct cli_state *st, const char *arg)
{
	if (!*arg)
		return "empty file name";
	if (strlen(arg) >= sizeof(st->cfg->log_file))
		return "file name too long";
	strcpy(st->cfg->log_file, arg);
	return NULL;
}

/* XFR_LOG_LEVEL and XFR_LOG_FILE, where the flags did not decide (both commands). */
static int apply_log_env(struct cli_state *st, FILE *err)
{
	return apply_env(st, "XFR_LOG_LEVEL", seen_name(st, "log-level"), set_log_level, err)
		       ?: apply_env(st, "XFR_LOG_FILE", seen_name(st, "log-file"), set_log_file,
				    err);
}

/* ---- server options ---- */

static const char *set_prometheus(struct cli_state *st, const char *arg)
{
	return parse_port(arg, &st->cfg->prometheus_port);
}

static const char *set_prometheus_bind(struct cli_state *st, const char *arg)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strlen(arg) >= sizeof(st->cfg->prometheus_bind) ||
	    (inet_pton(AF_INET, arg, &a4) != 1 && inet_pton(AF_INET6, arg, &a6) != 1))
		return "not an IP address (127.0.0.1, ::1, 0.0.0.0 for every address)";
	strcpy(st->cfg->prometheus_bind, arg);
	return NULL;
}

static const char *set_no_mdns(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->no_mdns = true;
	return NULL;
}

static const char *set_push_gateway(struct cli_state *st, const char *arg)
{
	if (!metrics_push_url_ok(arg))
		return "not a URL (http://HOST:9091 or https://...)";
	strcpy(st->cfg->push_gateway, arg);
	return NULL;
}

/* --timestamps / --no-timestamps: the last one given wins. */
static const char *set_log_ts_on(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->log_ts = XFR_LOG_TS_ON;
	return NULL;
}

static const char *set_log_ts_off(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->cfg->log_ts = XFR_LOG_TS_OFF;
	return NULL;
}

static const char *set_max_duration(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = dur_ms(arg, &ms);

	if (why)
		return why;
	if (ms < 1000)
		return "must be at least 1 s";
	if ((ms + 500) / 1000 > UINT32_MAX)
		return "too large";
	st->cfg->max_duration_s = (uint32_t)((ms + 500) / 1000);
	return NULL;
}

/* A count in [min, max]; range is the error when it is outside. */
static const char *set_count(uint32_t *out, const char *arg, uint64_t min, uint64_t max,
			     const char *range)
{
	uint64_t v;
	int err = units_parse_uint(arg, min, max, &v);

	if (err == -EINVAL)
		return "not a number";
	if (err)
		return range;
	*out = (uint32_t)v;
	return NULL;
}

/* A count where 0 switches the limit off. */
static const char *set_limit(uint32_t *out, const char *arg, uint64_t max, const char *range)
{
	return set_count(out, arg, 0, max, range);
}

static const char *set_max_tests(struct cli_state *st, const char *arg)
{
	return set_count(&st->cfg->max_tests, arg, 1, MAX_TESTS_MAX, "must be between 1 and 10000");
}

/* ---- who may test (cli_sec.c) ---- */

static const char *set_psk(struct cli_state *st, const char *arg)
{
	st->psk_set = true;
	return st->psk_file_set ? NULL : clisec_psk(st->cfg, arg);
}

static const char *set_psk_file(struct cli_state *st, const char *arg)
{
	st->psk_file_set = true;
	return clisec_psk_file(st->cfg, arg, st->why, sizeof(st->why));
}

static const char *set_allow(struct cli_state *st, const char *arg)
{
	return clisec_rule(st->cfg, arg, 1, st->why, sizeof(st->why));
}

static const char *set_deny(struct cli_state *st, const char *arg)
{
	return clisec_rule(st->cfg, arg, 0, st->why, sizeof(st->why));
}

static const char *set_acl_file(struct cli_state *st, const char *arg)
{
	return clisec_acl_file(st->cfg, arg, st->why, sizeof(st->why));
}

static const char *set_preset(struct cli_state *st, const char *arg)
{
	st->preset = arg;
	return NULL;
}

static const char *set_preset_file(struct cli_state *st, const char *arg)
{
	st->preset_file = arg;
	return NULL;
}

static const char *set_rate_limit(struct cli_state *st, const char *arg)
{
	st->rate_limit_set = true;
	return set_limit(&st->cfg->rate_limit, arg, MAX_TESTS_MAX,
			 "must be between 0 (no limit) and 10000");
}

static const char *set_max_pending_ip(struct cli_state *st, const char *arg)
{
	return set_limit(&st->cfg->max_pending_ip, arg, MAX_PENDING_MAX,
			 "must be between 0 (no limit) and 100000");
}

/*
 * The reference's --rate-limit-window ages its idle per-address entries. Ours
 * ages what the server remembers of an address, its authentication failures:
 * a window without one forgets them, and no back-off outlasts the window
 * (server/guard.h, docs/SECURITY.md).
 */
static const char *set_rate_limit_window(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = dur_ms(arg, &ms);

	if (why)
		return why;
	if (ms < 1000 || ms > 86400000)
		return "must be between 1 s and 24 h";
	st->cfg->rate_limit_window_ms = ms;
	return NULL;
}

static const char *set_max_pause(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = dur_ms(arg, &ms);

	if (why)
		return why;
	if ((ms + 500) / 1000 > MAX_PAUSE_MAX)
		return "must be at most 24 h";
	st->cfg->max_pause_s = (uint32_t)((ms + 500) / 1000);
	return NULL;
}

static const char *set_max_streams(struct cli_state *st, const char *arg)
{
	return set_count(&st->cfg->max_streams, arg, 1, XFR_MAX_STREAMS,
			 "must be between 1 and 128");
}

static const char *set_max_total_streams(struct cli_state *st, const char *arg)
{
	return set_count(&st->cfg->max_streams_total, arg, 1, MAX_TOTAL_STREAMS_MAX,
			 "must be between 1 and 1000000");
}

static const char *set_max_bandwidth(struct cli_state *st, const char *arg)
{
	int err = units_parse_rate(arg, &st->cfg->max_bandwidth);

	if (err == -ERANGE)
		return "too large";
	if (err)
		return "not a rate (examples: 100M, 1.5G; 0 = no cap)";
	return NULL;
}

static const char *set_max_memory(struct cli_state *st, const char *arg)
{
	uint64_t v;
	int err = units_parse_size(arg, &v);

	if (err == -ERANGE)
		return "too large";
	if (err)
		return "not a size (examples: 512M, 2G)";
	if (v < (1u << 20))
		return "must be at least 1M";
	st->cfg->max_memory = v;
	return NULL;
}

/* "LO-HI": the per-stream ports of older clients come from this range. */
static const char *set_data_port_range(struct cli_state *st, const char *arg)
{
	const char *dash = strchr(arg, '-');
	char lo[8];
	uint16_t a, b;

	if (!dash || dash == arg || (size_t)(dash - arg) >= sizeof(lo))
		return "not a range (example: 40000-40999)";
	memcpy(lo, arg, (size_t)(dash - arg));
	lo[dash - arg] = '\0';
	if (net_parse_port(lo, &a) || net_parse_port(dash + 1, &b))
		return "ports must be between 1 and 65535 (example: 40000-40999)";
	if (a > b)
		return "the first port is above the last";
	st->cfg->data_port_lo = a;
	st->cfg->data_port_hi = b;
	return NULL;
}

/* ---- the config file's own options (load_config reads the file) ---- */

static const char *set_config(struct cli_state *st, const char *arg)
{
	if (!*arg)
		return "empty file name";
	st->config_arg = arg;
	return NULL;
}

static const char *set_no_config(struct cli_state *st, const char *arg)
{
	(void)arg;
	st->no_config = true;
	return NULL;
}

/* ---- help and version ---- */

static void print_help(struct cli_state *st, unsigned int mode);

static const char *show_help(struct cli_state *st, const char *arg)
{
	(void)arg;
	print_help(st, st->cfg->mode == XFR_MODE_SERVE	  ? M_SERVE
		       : st->cfg->mode == XFR_MODE_DOCTOR ? M_DOCTOR
							  : M_CLIENT);
	st->done = true;
	return NULL;
}

static const char *show_completions(struct cli_state *st, const char *arg);

static const char *show_version(struct cli_state *st, const char *arg)
{
	(void)arg;
	fprintf(st->out, "xfr %s (protocol %s)\n", XFR_VERSION, PROTO_VERSION);
	st->done = true;
	return NULL;
}

#define NOARG no_argument
#define REQ   required_argument
#define OPT   optional_argument

static const struct cli_opt cli_opts[] = {
	/* Client: the test */
	{"time", 't', REQ, M_CLIENT, "DUR", "test length (default 10 s; 0 = until Ctrl+C)", NULL,
	 set_time},
	{"bytes", 'n', REQ, M_CLIENT, "SIZE", "stop after SIZE bytes over all streams (K = 1024)",
	 NULL, set_bytes},
	{"parallel", 'P', REQ, M_CLIENT, "N", "parallel streams, 1..128 (default 1)", NULL,
	 set_parallel},
	{"udp", 'u', NOARG, M_CLIENT, NULL, "UDP test (default -b 1G, not iperf3's 1M; -l 1400)",
	 NULL, FLAG(udp)},
	{"quic", 'Q', NOARG, M_CLIENT, NULL,
	 "QUIC test (TLS 1.3, control and streams on one connection)", NULL, FLAG(quic)},
	{"quic-verify", 0, REQ, M_CLIENT, "SHA256",
	 "-Q: the server certificate's SHA-256 fingerprint (from its start-up line)", NULL,
	 set_quic_verify},
	{"quic-ca", 0, REQ, M_CLIENT, "FILE",
	 "-Q: verify the server's certificate against these CAs (PEM) and HOST's name", NULL,
	 set_quic_ca},
	{"reverse", 'R', NOARG, M_CLIENT, NULL, "server sends (download)", NULL, FLAG(reverse)},
	{"bidir", 0, NOARG, M_CLIENT, NULL, "both directions at once", NULL, FLAG(bidir)},
	{"bitrate", 'b', REQ, M_CLIENT, "RATE",
	 "bits/s over all streams, per direction, K = 1000, at most 10T (default: TCP no cap, "
	 "UDP 1G; 0 = no cap)",
	 NULL, set_bitrate},
	{"length", 'l', REQ, M_CLIENT, "SIZE",
	 "TCP: bytes per write (default 128K; 1..16M); UDP: datagram size", NULL, set_length},
	{"packet-size", 0, REQ, M_CLIENT, "SIZE",
	 "UDP datagram size incl. 16-byte header (64..65507)", NULL, set_length},
	{"window", 'w', REQ, M_CLIENT, "SIZE", "socket buffers on both ends (1..512M)", NULL,
	 set_window},
	{"congestion", 0, REQ, M_CLIENT, "ALGO",
	 "TCP congestion control algorithm; -Q: reno, cubic, bbr or bbr2 (default)", NULL,
	 set_congestion},
	{"dscp", 0, REQ, M_CLIENT, "VALUE", "TOS byte 0..255 or name (CS0-7, AF11-43, EF, VA)",
	 NULL, set_dscp},
	{"tcp-nodelay", 0, NOARG, M_CLIENT, NULL, "set TCP_NODELAY on data sockets", NULL,
	 FLAG(nodelay)},
	{"random", 0, NOARG, M_CLIENT, NULL, "random payload (default)", NULL, FLAG(random)},
	{"zeros", 0, NOARG, M_CLIENT, NULL, "zero-filled payload", NULL, FLAG(zeros)},
	{"zerocopy", 'Z', OPT, M_CLIENT, "MODE",
	 "TCP write path: sendfile, msg or auto (default: measure send and sendfile, keep the faster)",
	 NULL, set_zerocopy},
	{"no-zerocopy", 0, NOARG, M_CLIENT, NULL, "plain send() for TCP, no measuring", NULL,
	 FLAG(zc_off)},
	{"probe-mtu", 0, NOARG, M_CLIENT, NULL,
	 "probe the path MTU both ways instead of a throughput test", NULL, FLAG(probe_mtu)},
	{"affinity", 0, REQ, M_CLIENT, "LIST", "pin stream threads to CPUs (0,2 or 0-3)", NULL,
	 set_affinity},
	{"busy-poll", 0, REQ, M_CLIENT, "USEC", "SO_BUSY_POLL on data sockets", NULL,
	 set_busy_poll},
	{"no-gso", 0, NOARG, M_CLIENT, NULL, "UDP without GSO/GRO offload (comparisons)", NULL,
	 FLAG(no_gso)},
	/* Client: the data plane (the server runs what the client asks for, if it can) */
	{"engine", 0, REQ, M_CLIENT, "E", "data plane: socket (default), auto, xdp or afxdp (UDP)",
	 NULL, set_engine},
	{"xdp-mode", 0, REQ, M_CLIENT, "M",
	 "XDP receiver: drop (xdp default), pass or redirect (afxdp default)", NULL, set_xdp_mode},
	/* serve takes it only to refuse it with a reason (finish_server): not in its help */
	{"xdp-mode", 0, REQ, M_SERVE, "M", NULL, NULL, set_xdp_mode},
	{"drop-reasons", 0, NOARG, M_CLIENT, NULL,
	 "attribute kernel drops of the test's packets to their reasons (both ends)", NULL,
	 FLAG(drop_reasons)},
	/* Client: the connection */
	{"port", 'p', REQ, M_CLIENT, "N", "server port (default 5201)", NULL, set_port},
	{"bind", 0, REQ, M_CLIENT, "ADDR[:PORT]", "local address ([IPv6]:PORT form for IPv6)", NULL,
	 set_client_bind},
	{"cport", 0, REQ, M_CLIENT, "PORT", "first source port of the data streams", NULL,
	 set_cport},
	{"mptcp", 0, NOARG, M_CLIENT, NULL, "Multipath TCP data sockets", NULL, set_mptcp},
	{"connect-timeout", 0, REQ, M_CLIENT, "DUR", "give up connecting after DUR", NULL,
	 set_connect_timeout},
	/* Client: the output */
	{"interval", 'i', REQ, M_CLIENT, "DUR", "report interval (default 1 s; 0 = none)", NULL,
	 set_interval},
	{"omit", 0, REQ, M_CLIENT, "DUR", "hide interval rows ending at or before DUR", NULL,
	 set_omit},
	{"timestamp-format", 0, REQ, M_CLIENT, "F", "relative (default), iso8601 or unix", NULL,
	 set_ts_format},
	{"output", 'o', REQ, M_CLIENT, "FILE", "also write the JSON result to FILE", NULL,
	 set_output},
	{"get-server-output", 0, NOARG, M_CLIENT, NULL, "include the server's report in the result",
	 NULL, FLAG(get_server_output)},
	{"json", 0, NOARG, M_CLIENT | M_DOCTOR, NULL, "one JSON document at the end", NULL,
	 FLAG(json)},
	{"json-stream", 0, NOARG, M_CLIENT, NULL, "one JSON object per line as the test runs", NULL,
	 FLAG(json_stream)},
	{"csv", 0, NOARG, M_CLIENT, NULL, "CSV interval rows and a summary", NULL, FLAG(csv)},
	{"quiet", 'q', NOARG, M_CLIENT, NULL, "summary only", NULL, FLAG(quiet)},
	{"no-tui", 0, NOARG, M_CLIENT, NULL, "plain rows even when stdout is a terminal", NULL,
	 FLAG(no_tui)},
	/* Server */
	{"port", 'p', REQ, M_SERVE, "N", "listen port (default 5201)", NULL, set_port},
	{"bind", 'B', REQ, M_SERVE, "ADDR", "listen on ADDR only (default: dual-stack any)",
	 "serve -B", set_server_bind},
	{"quic-cert", 0, REQ, M_SERVE, "FILE",
	 "QUIC certificate (PEM; default: created once in ~/.config/xfr)", NULL, set_quic_cert},
	{"quic-key", 0, REQ, M_SERVE, "FILE", "the key of --quic-cert (PEM)", NULL, set_quic_key},
	{"one-off", 0, NOARG, M_SERVE, NULL, "exit after the first successful test", NULL,
	 FLAG(one_off)},
	{"tui", 0, NOARG, M_SERVE, NULL, "live dashboard of the tests (needs a terminal)", NULL,
	 FLAG(tui)},
	{"timestamps", 0, NOARG, M_SERVE, NULL,
	 "ISO 8601 UTC time on every log line (default: when stderr is not a terminal)", NULL,
	 set_log_ts_on},
	{"no-timestamps", 0, NOARG, M_SERVE, NULL, "no time on log lines", NULL, set_log_ts_off},
	{"max-duration", 0, REQ, M_SERVE, "DUR", "cap on the test length clients may ask for", NULL,
	 set_max_duration},
	{"max-tests", 0, REQ, M_SERVE, "N", "concurrent tests, 1..10000 (default 100)", NULL,
	 set_max_tests},
	{"rate-limit", 0, REQ, M_SERVE, "N",
	 "tests per client address (default 8, at most half of --max-tests)", NULL, set_rate_limit},
	{"rate-limit-window", 0, REQ, M_SERVE, "DUR",
	 "how long an address's failed authentications count (default 15m)", NULL,
	 set_rate_limit_window},
	{"max-pending-per-ip", 0, REQ, M_SERVE, "N",
	 "connections per client address before their first line (default 8)", NULL,
	 set_max_pending_ip},
	{"max-pause", 0, REQ, M_SERVE, "DUR",
	 "paused time a test may add to its length (default 60 s)", NULL, set_max_pause},
	{"max-streams", 0, REQ, M_SERVE, "N", "streams per test, 1..128 (default 128)", NULL,
	 set_max_streams},
	{"max-total-streams", 0, REQ, M_SERVE, "N",
	 "streams over all running tests, half per address (default 1024)", NULL,
	 set_max_total_streams},
	{"max-memory", 0, REQ, M_SERVE, "SIZE",
	 "test buffers over all tests, half per address (default 1G, at most a quarter of RAM)",
	 NULL, set_max_memory},
	{"max-bandwidth", 0, REQ, M_SERVE, "RATE",
	 "bits/s per test and direction (K = 1000; default no cap)", NULL, set_max_bandwidth},
	{"data-port-range", 0, REQ, M_SERVE, "LO-HI",
	 "ports for older clients' per-stream connections (default ephemeral)", NULL,
	 set_data_port_range},
	{"engine", 0, REQ, M_SERVE, "E",
	 "socket (default, loads no BPF) or auto (clients may use XDP and BPF here)", NULL,
	 set_engine},
	{"allow", 0, REQ, M_SERVE, "CIDR", "only these clients (repeatable; deny wins)", NULL,
	 set_allow},
	{"deny", 0, REQ, M_SERVE, "CIDR", "refuse these clients (repeatable)", NULL, set_deny},
	{"acl-file", 0, REQ, M_SERVE, "FILE", "rules 'allow CIDR' / 'deny CIDR', # comments", NULL,
	 set_acl_file},
	{"preset", 0, REQ, M_SERVE, "NAME",
	 "a [[presets]] entry: allowed_clients, max_duration_secs, bandwidth_limit", NULL,
	 set_preset},
	{"preset-file", 0, REQ, M_SERVE, "FILE",
	 "where --preset looks (default ~/.config/xfr/config.toml)", NULL, set_preset_file},
	{"prometheus", 0, REQ, M_SERVE, "PORT", "serve /metrics and /health on PORT", NULL,
	 set_prometheus},
	{"prometheus-bind", 0, REQ, M_SERVE, "ADDR",
	 "address of the metrics endpoint (default 127.0.0.1)", NULL, set_prometheus_bind},
	{"no-mdns", 0, NOARG, M_SERVE, NULL, "do not announce the server by mDNS (_xfr._tcp)", NULL,
	 set_no_mdns},
	{"push-gateway", 0, REQ, M_SERVE, "URL",
	 "push the metrics to a Prometheus push gateway after each test (XFR_PUSH_GATEWAY)", NULL,
	 set_push_gateway},
	{"push-gateway", 0, REQ, M_CLIENT, "URL",
	 "push this test's metrics to a Prometheus push gateway (XFR_PUSH_GATEWAY)", NULL,
	 set_push_gateway},
	/* Shared */
	{"ipv4", '4', NOARG, M_BOTH, NULL, "IPv4 only", NULL, FLAG(v4)},
	{"ipv6", '6', NOARG, M_BOTH, NULL, "IPv6 only", NULL, FLAG(v6)},
	{"iface", 0, REQ, M_CLIENT | M_DOCTOR, "NAME",
	 "interface for XDP (default: the route's to the peer)", NULL, set_iface},
	{"queues", 0, REQ, M_CLIENT, "N", "AF_XDP queues to use (default: one per stream)", NULL,
	 set_queues},
	{"iface", 0, REQ, M_SERVE, "NAME",
	 "with --engine auto: interface for XDP (default: the route's to each client)", NULL,
	 set_iface},
	{"queues", 0, REQ, M_SERVE, "N",
	 "with --engine auto: AF_XDP queues to use (default: one per stream)", NULL, set_queues},
	{"psk", 0, REQ, M_BOTH, "KEY",
	 "pre-shared key: authenticate and encrypt the control channel (visible in ps)", NULL,
	 set_psk},
	{"psk-file", 0, REQ, M_BOTH, "FILE", "read the key from FILE (mode 600; wins over --psk)",
	 NULL, set_psk_file},
	{"log-level", 0, REQ, M_BOTH | M_DOCTOR, "L", "error, warn, info or debug (default info)",
	 NULL, set_log_level},
	{"log-file", 0, REQ, M_BOTH, "PATH",
	 "log to PATH instead of stderr (errors on both), rotated daily (UTC)", NULL, set_log_file},
	{"config", 0, REQ, M_BOTH, "FILE",
	 "config file (default $XDG_CONFIG_HOME/xfr/config.toml; XFR_CONFIG)", NULL, set_config},
	{"no-config", 0, NOARG, M_BOTH, NULL, "read no config file", NULL, set_no_config},
	{"help", 'h', NOARG, M_BOTH | M_DOCTOR, NULL, "print this help", NULL, show_help},
	{"version", 'V', NOARG, M_BOTH, NULL, "print the version", NULL, show_version},
	{"completions", 0, REQ, M_CLIENT, "SHELL", "print a completion script: bash, zsh or fish",
	 NULL, show_completions},
};

#define N_OPTS ARRAY_SIZE(cli_opts)
_Static_assert(N_OPTS <= CLI_MAX_OPTS, "raise CLI_MAX_OPTS");
#define VAL_BASE 256 /* getopt val of long-only options: VAL_BASE + table index */

static bool in_mode(const struct cli_opt *o, unsigned int mode)
{
	return o->mode & mode;
}

static void help_line(FILE *out, const struct cli_opt *o)
{
	char lhs[64];
	int n;

	if (o->short_name)
		n = snprintf(lhs, sizeof(lhs), "-%c, --%s", o->short_name, o->name);
	else
		n = snprintf(lhs, sizeof(lhs), "    --%s", o->name);
	if (o->has_arg == required_argument)
		snprintf(lhs + n, sizeof(lhs) - (size_t)n, " %s", o->metavar);
	else if (o->has_arg == optional_argument)
		snprintf(lhs + n, sizeof(lhs) - (size_t)n, "[=%s]", o->metavar);
	if (strlen(lhs) > 26)
		fprintf(out, "  %s\n  %-26s  %s\n", lhs, "", o->help);
	else
		fprintf(out, "  %-26s  %s\n", lhs, o->help);
}

/* One --help section: the options whose commands (M_CLIENT/M_SERVE bits) are exactly mask. */
static void help_section(FILE *out, const char *title, unsigned int mask)
{
	fprintf(out, "\n%s:\n", title);
	for (size_t i = 0; i < N_OPTS; i++) {
		if (cli_opts[i].help && (cli_opts[i].mode & M_BOTH) == mask)
			help_line(out, &cli_opts[i]);
	}
}

static void print_help(struct cli_state *st, unsigned int mode)
{
	FILE *out = st->out;

	if (mode == M_DOCTOR) {
		fprintf(out, "Usage: xfr doctor [--iface NAME] [--json]\n\n"
			     "Print what this host supports for the kernel data plane: kernel and\n"
			     "BTF, capabilities, XDP and AF_XDP per interface, and the engine\n"
			     "--engine auto would pick.\n\nOptions:\n");
		for (size_t i = 0; i < N_OPTS; i++) {
			if (cli_opts[i].help && in_mode(&cli_opts[i], M_DOCTOR))
				help_line(out, &cli_opts[i]);
		}
		return;
	}
	if (mode == M_SERVE) {
		fprintf(out,
			"Usage: xfr serve [OPTIONS]\n\nRun the xfr server (control protocol %s).\n",
			PROTO_VERSION);
	} else {
		fprintf(out,
			"Usage: xfr [OPTIONS] HOST\n"
			"       xfr serve [OPTIONS]\n"
			"       xfr doctor [--iface NAME] [--json]\n"
			"       xfr diff BASELINE CURRENT [--threshold PCT]\n"
			"       xfr discover [--timeout DUR]\n\n"
			"Measure TCP or UDP throughput between this host and an xfr server on HOST,\n"
			"on sockets or on the kernel's XDP and AF_XDP data planes (--engine).\n");
		help_section(out, "Client options", M_CLIENT);
	}
	help_section(out, "Server options", M_SERVE);
	help_section(out, "Shared options", M_BOTH);
	fprintf(out, "\nDUR: " DUR_UNITS_LONG ".\n");
	if (mode == M_SERVE)
		fprintf(out, "\nEnvironment: XFR_PORT applies when -p is not given.\n");
	else
		fprintf(out,
			"\nEnvironment: XFR_PORT, XFR_DURATION, XFR_BYTES and XFR_TIMESTAMP_FORMAT\n"
			"apply when the matching option is not given.\n");
	fprintf(out, "XFR_LOG_LEVEL and XFR_LOG_FILE as well; all of them over the config file\n"
		     "(--config, XFR_CONFIG, ~/.config/xfr/config.toml: docs/CONFIG.md).\n");
}

/* The option table as completions.c wants it; the script goes to out. */
static const char *show_completions(struct cli_state *st, const char *arg)
{
	struct compl_opt opts[CLI_MAX_OPTS];
	size_t n = 0;

	for (size_t i = 0; i < N_OPTS; i++) {
		const struct cli_opt *o = &cli_opts[i];

		if (!o->help)
			continue;
		opts[n++] = (struct compl_opt){o->name, o->short_name, o->help,
					       o->has_arg == required_argument,
					       (o->mode & M_CLIENT ? COMPL_CLIENT : 0) |
						       (o->mode & M_SERVE ? COMPL_SERVE : 0) |
						       (o->mode & M_DOCTOR ? COMPL_DOCTOR : 0)};
	}
	if (completions_print(st->out, arg, opts, n))
		return "unknown shell (use bash, zsh or fish)";
	st->done = true;
	return NULL;
}

/* ---- getopt plumbing ---- */

static int opt_val(size_t i)
{
	return cli_opts[i].short_name ? cli_opts[i].short_name : (int)(VAL_BASE + i);
}

static void build_getopt(unsigned int mode, struct option *longs, char *shorts)
{
	size_t n = 0;

	*shorts++ = ':'; /* report a missing value as ':' rather than '?' */
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct cli_opt *o = &cli_opts[i];

		if (!in_mode(o, mode))
			continue;
		longs[n++] = (struct option){o->name, o->has_arg, NULL, opt_val(i)};
		if (!o->short_name)
			continue;
		*shorts++ = o->short_name;
		/* -Z takes no value: only --zerocopy=MODE does */
		if (o->has_arg == required_argument)
			*shorts++ = ':';
	}
	longs[n] = (struct option){0};
	*shorts = '\0';
}

static const struct cli_opt *find_opt(int val, unsigned int mode)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		if (in_mode(&cli_opts[i], mode) && opt_val(i) == val)
			return &cli_opts[i];
	}
	return NULL;
}

static void print_opt_error(FILE *err, const struct cli_opt *o, const char *arg, const char *why)
{
	char name[40];

	if (o->label)
		snprintf(name, sizeof(name), "%s", o->label);
	else
		snprintf(name, sizeof(name), "--%s", o->name);
	if (!arg)
		fprintf(err, "xfr: %s: %s\n", name, why);
	else if (!*arg)
		fprintf(err, "xfr: %s '': %s\n", name, why);
	else
		fprintf(err, "xfr: %s %s: %s\n", name, arg, why);
}

/* Print "--name" of an argv element, without any "=value". */
static void print_unknown(FILE *err, const char *text)
{
	fprintf(err, "xfr: unknown option %.*s\n", (int)strcspn(text, "="), text);
}

/*
 * getopt_long accepts unambiguous abbreviations (--par for --parallel); the
 * reference does not, and a script relying on them would break the day a new
 * option shares the prefix. Right after getopt_long returns, the element it
 * consumed is argv[optind - 1], or argv[optind - 2] when the value was the
 * separate element argv[optind - 1].
 */
static const char *long_text(char **argv)
{
	if (optarg && optarg == argv[optind - 1] && optind >= 2)
		return argv[optind - 2];
	return argv[optind - 1];
}

static bool exact_long(const char *text, const struct cli_opt *o)
{
	size_t n = strlen(o->name);

	return !strncmp(text, "--", 2) && !strncmp(text + 2, o->name, n) &&
	       (text[2 + n] == '\0' || text[2 + n] == '=');
}

static void print_getopt_error(FILE *err, int c, char **argv, unsigned int mode)
{
	const struct cli_opt *o = optopt ? find_opt(optopt, mode) : NULL;

	if (c == ':' && o)
		fprintf(err, "xfr: --%s: missing value\n", o->name);
	else if (o) /* a long option that takes no value was given one */
		fprintf(err, "xfr: --%s does not take a value\n", o->name);
	else if (optopt > 0 && optopt < VAL_BASE)
		fprintf(err, "xfr: unknown option -%c\n", optopt);
	else
		print_unknown(err, argv[optind - 1]);
}

/* Run getopt over argv; positional arguments end up at argv[optind..]. */
static enum cli_status parse_flags(struct cli_state *st, int argc, char **argv, unsigned int mode,
				   FILE *err)
{
	struct option longs[N_OPTS + 1];
	char shorts[2 * N_OPTS + 2];
	const struct cli_opt *o;
	const char *why;
	int c, idx;

	build_getopt(mode, longs, shorts);
	optind = 0; /* full re-initialisation: cli_parse may run many times */
	opterr = 0;
	for (;;) {
		idx = -1;
		c = getopt_long(argc, argv, shorts, longs, &idx);
		if (c == -1)
			return CLI_RUN;
		if (c == '?' || c == ':') {
			print_getopt_error(err, c, argv, mode);
			return CLI_EXIT_USAGE;
		}
		o = find_opt(c, mode);
		if (idx >= 0 && !exact_long(long_text(argv), o)) {
			print_unknown(err, long_text(argv));
			return CLI_EXIT_USAGE;
		}
		st->seen[o - cli_opts] = true;
		if (!o->handler) {
			*(bool *)((char *)st + o->flag) = true;
			continue;
		}
		why = o->handler(st, optarg);
		if (why) {
			print_opt_error(err, o, optarg, why);
			return CLI_EXIT_USAGE;
		}
		if (st->done)
			return CLI_EXIT_OK;
	}
}

/* ---- environment and cross-option rules ---- */

static int apply_env(struct cli_state *st, const char *var, bool flag_given,
		     const char *(*handler)(struct cli_state *, const char *), FILE *err)
{
	const char *v = getenv(var);
	const char *why;

	if (flag_given || !v || !*v)
		return 0;
	why = handler(st, v);
	if (!why)
		return 0;
	fprintf(err, "xfr: %s=%s: %s\n", var, v, why);
	return -EINVAL;
}

/* Switches into the config; conflicts between them are checked after. */
static void apply_flags(struct cli_state *st)
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
	if (!cfg->bind[0] || bind_family(cfg->bind, &family, &port))
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
		bind_family(cfg->bind, &family, &port);
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
static int check_quic(struct cli_state *st, FILE *err)
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
	if (cfg->quic_cc[0] && !quic_cc_name(cfg->quic_cc)) {
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
	if (cfg->bind[0] && !bind_family(cfg->bind, &bfam, &port) && bfam != (int)lit) {
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

static int finish_client(struct cli_state *st, int argc, char **argv, FILE *err)
{
	struct xfr_config *cfg = st->cfg;

	apply_flags(st);
	if (take_host(st, argc, argv, err) ||
	    apply_env(st, "XFR_PORT", st->port_set, set_port, err) ||
	    apply_env(st, "XFR_DURATION", st->time_set, set_time, err) ||
	    apply_env(st, "XFR_BYTES", st->bytes_set, set_bytes, err) ||
	    apply_env(st, "XFR_TIMESTAMP_FORMAT", st->ts_set, set_ts_format, err) ||
	    apply_log_env(st, err) ||
	    apply_env(st, "XFR_PUSH_GATEWAY", seen_name(st, "push-gateway"), set_push_gateway,
		      err) ||
	    finish_psk(st, err))
		return -EINVAL;
	/* A byte budget without a time limit runs until the bytes are through. */
	if (st->bytes_set && !st->time_set)
		cfg->duration_s = 0;
	if (check_exclusive(st, err) || check_family(st, "--bind", err) ||
	    check_target_family(st, err) || check_ports(st, err) || check_udp(st, err) ||
	    check_quic(st, err) || check_probe(st, err) || check_engine(st, err))
		return -EINVAL;
	return 0;
}

static int finish_server(struct cli_state *st, int argc, char **argv, FILE *err)
{
	apply_flags(st);
	if (optind < argc) {
		fprintf(err, "xfr: serve: unexpected argument '%s' (usage: xfr serve [OPTIONS])\n",
			argv[optind]);
		return -EINVAL;
	}
	if (apply_env(st, "XFR_PORT", st->port_set, set_port, err) || apply_log_env(st, err) ||
	    apply_env(st, "XFR_PUSH_GATEWAY", seen_name(st, "push-gateway"), set_push_gateway,
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

static int finish_doctor(struct cli_state *st, int argc, char **argv, FILE *err)
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

/* ---- the config file: keys are long options; flag > environment > file > default ---- */

struct file_ctx {
	struct cli_state *st;
	unsigned int mode; /* the section's command: M_CLIENT or M_SERVE */
	bool apply;	   /* false: the other command's section, checked only */
};

/* Options that only make sense on a command line. */
static bool cli_only(const struct cli_opt *o)
{
	static const char *const names[] = {"help", "version", "config", "no-config",
					    "completions"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(o->name, names[i]))
			return true;
	}
	return false;
}

static const struct cli_opt *find_long(const char *name, unsigned int mode)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		if (in_mode(&cli_opts[i], mode) && cli_opts[i].help && !cli_only(&cli_opts[i]) &&
		    !strcmp(cli_opts[i].name, name))
			return &cli_opts[i];
	}
	return NULL;
}

static bool seen_name(const struct cli_state *st, const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		if (st->seen[i] && !strcmp(cli_opts[i].name, name))
			return true;
	}
	return false;
}

/* Switches that exclude each other: one given as a flag overrides the file's other. */
static const char *const excl_groups[][4] = {
	{"reverse", "bidir"}, {"json", "json-stream", "csv"}, {"random", "zeros"},
	{"ipv4", "ipv6"},     {"zerocopy", "no-zerocopy"},    {"timestamps", "no-timestamps"},
};

/* The flags decided this setting: the option itself, an alias of it, or a rival switch. */
static bool decided_by_flags(const struct cli_state *st, const struct cli_opt *o)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct cli_opt *p = &cli_opts[i];

		if (st->seen[i] && (p == o || (o->handler && p->handler == o->handler) ||
				    (!o->handler && !p->handler && p->flag == o->flag)))
			return true;
	}
	for (size_t g = 0; g < ARRAY_SIZE(excl_groups); g++) {
		bool member = false, rival = false;

		for (size_t k = 0; k < 4 && excl_groups[g][k]; k++) {
			if (!strcmp(excl_groups[g][k], o->name))
				member = true;
			else if (seen_name(st, excl_groups[g][k]))
				rival = true;
		}
		if (member && rival)
			return true;
	}
	return false;
}

/* The value against what the option takes; NULL when it fits. */
static const char *file_type(const struct cli_opt *o, const struct toml_value *v)
{
	if (o->has_arg == no_argument && v->type != TOML_BOOL)
		return "expected true or false";
	if (o->has_arg == required_argument && v->type == TOML_BOOL)
		return "expected a value (a string or a number), not true or false";
	if (o->has_arg == optional_argument && v->type != TOML_BOOL && v->type != TOML_STRING)
		return "expected true, false or a string";
	return NULL;
}

static const char *file_opt(void *ctx, const char *name, const struct toml_value *v)
{
	struct file_ctx *fc = ctx;
	struct cli_state *st = fc->st;
	const struct cli_opt *o = find_long(name, fc->mode);
	const char *why;

	if (!o)
		return fc->mode == M_SERVE
			       ? "unknown key (the keys are the long options of xfr serve --help)"
			       : "unknown key (the keys are the long options of xfr --help)";
	why = file_type(o, v);
	if (why || !fc->apply || decided_by_flags(st, o))
		return why;
	if (v->type == TOML_BOOL && !v->b)
		return NULL; /* false: the option is not given */
	if (!o->handler) {
		*(bool *)((char *)st + o->flag) = true;
		return NULL;
	}
	return o->handler(st, v->type == TOML_BOOL ? NULL : v->text);
}

/*
 * TCP settings from [client] do not apply to a UDP test asked for with -u:
 * the file is a set of defaults, not a command line (which would conflict).
 */
static void file_drop_tcp_only(struct cli_state *st, const struct cli_state *before,
			       bool mptcp_before)
{
	struct xfr_config *cfg = st->cfg;

	if (!st->udp && !st->probe_mtu)
		return;
	if (st->congestion_set && !before->congestion_set) {
		st->congestion_set = false;
		cfg->congestion[0] = '\0';
	}
	if (st->nodelay && !before->nodelay)
		st->nodelay = false;
	if (st->zc_on && !before->zc_on) {
		st->zc_on = false;
		cfg->zerocopy = XFR_ZC_AUTO;
	}
	if (cfg->mptcp && !mptcp_before)
		cfg->mptcp = false;
}

/*
 * Read the config file and apply the section of this command to what the
 * flags left unset. The environment comes after (finish_*), over the file:
 * the markers it reads (time_set, ...) are kept as the flags left them.
 */
static int load_config(struct cli_state *st, unsigned int mode, FILE *err)
{
	struct xfr_config *cfg = st->cfg;
	struct file_ctx cc = {st, M_CLIENT, mode == M_CLIENT};
	struct file_ctx sc = {st, M_SERVE, mode == M_SERVE};
	struct cli_state before = *st;
	struct config_file cf;
	bool required, mptcp = cfg->mptcp;
	int rc;

	if (st->no_config)
		return 0;
	if (config_file_path(st->config_arg, cfg->config_path, sizeof(cfg->config_path),
			     &required)) {
		fprintf(err, "xfr: config file path too long\n");
		return -EINVAL;
	}
	rc = config_file_open(&cf, cfg->config_path, required, cfg->presets, &cfg->npresets, err);
	if (rc)
		return rc;
	if (!cf.present) {
		cfg->config_path[0] = '\0';
		return 0;
	}
	rc = config_file_each(&cf, "client", file_opt, &cc, err)
		     ?: config_file_each(&cf, "server", file_opt, &sc, err);
	config_file_close(&cf);
	if (rc)
		return rc;
	if (st->bytes_set && !before.bytes_set && !st->time_set)
		cfg->duration_s = 0; /* a byte budget from the file, no time anywhere: no clock */
	st->time_set = before.time_set;
	st->bytes_set = before.bytes_set;
	st->port_set = before.port_set;
	st->ts_set = before.ts_set;
	file_drop_tcp_only(st, &before, mptcp);
	return 0;
}

void cli_defaults(struct xfr_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = XFR_MODE_CLIENT;
	cfg->port = XFR_DEFAULT_PORT;
	cfg->family = XFR_AF_ANY;
	cfg->log_level = XFR_LOG_INFO;
	cfg->duration_s = XFR_DEFAULT_DURATION;
	cfg->proto = XFR_PROTO_TCP;
	cfg->dir = XFR_DIR_UPLOAD;
	cfg->streams = 1;
	cfg->tos = -1;
	cfg->payload = XFR_PAYLOAD_RANDOM;
	cfg->zerocopy = XFR_ZC_AUTO;
	cfg->interval_ms = 1000;
	cfg->ts_format = XFR_TS_RELATIVE;
	cfg->format = XFR_FMT_PLAIN;
	cfg->max_tests = XFR_DEFAULT_MAX_TESTS;
	cfg->rate_limit = XFR_DEFAULT_RATE_LIMIT;
	cfg->max_pending_ip = XFR_DEFAULT_PENDING_PER_IP;
	cfg->rate_limit_window_ms = XFR_DEFAULT_RATE_WINDOW_MS;
	cfg->max_pause_s = XFR_DEFAULT_MAX_PAUSE_S;
	cfg->max_streams = XFR_MAX_STREAMS;
	cfg->max_streams_total = XFR_DEFAULT_MAX_STREAMS_TOTAL;
	strcpy(cfg->prometheus_bind, "127.0.0.1");
}

enum cli_status cli_parse(int argc, char **argv, struct xfr_config *cfg, FILE *out, FILE *err)
{
	struct cli_state st = {.cfg = cfg, .out = out, .err = err};
	bool serve = argc > 1 && !strcmp(argv[1], "serve");
	bool doctor = argc > 1 && !strcmp(argv[1], "doctor");
	unsigned int mode = serve ? M_SERVE : doctor ? M_DOCTOR : M_CLIENT;
	enum cli_status ret;
	int rc;

	cli_defaults(cfg);
	if (serve || doctor) {
		cfg->mode = serve ? XFR_MODE_SERVE : XFR_MODE_DOCTOR;
		argc--; /* getopt sees the command as its program name */
		argv++;
	}
	ret = parse_flags(&st, argc, argv, mode, err);
	if (ret != CLI_RUN)
		return ret;
	if (mode != M_DOCTOR && load_config(&st, mode, err))
		return CLI_EXIT_USAGE;
	if (serve)
		rc = finish_server(&st, argc, argv, err);
	else if (doctor)
		rc = finish_doctor(&st, argc, argv, err);
	else
		rc = finish_client(&st, argc, argv, err);
	if (rc)
		return CLI_EXIT_USAGE;
	log_set_level(cfg->log_level);
	return CLI_RUN;
}
