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

#define CC_LIST_PATH "/proc/sys/net/ipv4/tcp_available_congestion_control"
#define MPTCP_SYSCTL "/proc/sys/net/mptcp/enabled"
#define MAX_LENGTH   (16U * 1024 * 1024)
#define MAX_INTERVAL 3600000ULL /* ms */

#include "cli/cli_priv.h"

/* ---- value parsers shared by flags and environment ---- */

static const char *cli_set_time(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = cli_dur_ms(arg, &ms);

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

static const char *cli_set_bytes(struct cli_state *st, const char *arg)
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

static const char *cli_set_port(struct cli_state *st, const char *arg)
{
	st->port_set = true;
	return cli_parse_port(arg, &st->cfg->port);
}

static const char *cli_set_ts_format(struct cli_state *st, const char *arg)
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
	if (!cli_quic_cc_name(arg))
		return st->why;
	st->cc_quic_only = true; /* fine with -Q; cli_check_quic() and check_tcp_cc() decide */
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

static const char *set_client_bind(struct cli_state *st, const char *arg)
{
	int family;
	uint16_t port;

	if (cli_bind_family(arg, &family, &port))
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
	return cli_parse_port(arg, &st->cfg->cport);
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
	const char *why = cli_dur_ms(arg, &ms);

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
		return cli_dur_ms(arg, &ms);
	if (err || (ms && (ms < 100 || ms > MAX_INTERVAL)))
		return "must be 0 or between 0.1 and 3600 s";
	st->cfg->interval_ms = (uint32_t)ms;
	return NULL;
}

static const char *set_omit(struct cli_state *st, const char *arg)
{
	uint64_t ms;
	const char *why = cli_dur_ms(arg, &ms);

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

static const char *set_log_file(struct cli_state *st, const char *arg)
{
	if (!*arg)
		return "empty file name";
	if (strlen(arg) >= sizeof(st->cfg->log_file))
		return "file name too long";
	strcpy(st->cfg->log_file, arg);
	return NULL;
}

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

static const char *show_help(struct cli_state *st, const char *arg)
{
	(void)arg;
	cli_print_help(st, st->cfg->mode == XFR_MODE_SERVE    ? M_SERVE
			   : st->cfg->mode == XFR_MODE_DOCTOR ? M_DOCTOR
							      : M_CLIENT);
	st->done = true;
	return NULL;
}

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
	 cli_set_time},
	{"bytes", 'n', REQ, M_CLIENT, "SIZE", "stop after SIZE bytes over all streams (K = 1024)",
	 NULL, cli_set_bytes},
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
	{"port", 'p', REQ, M_CLIENT, "N", "server port (default 5201)", NULL, cli_set_port},
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
	 cli_set_ts_format},
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
	{"port", 'p', REQ, M_SERVE, "N", "listen port (default 5201)", NULL, cli_set_port},
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
	 cli_set_log_ts_on},
	{"no-timestamps", 0, NOARG, M_SERVE, NULL, "no time on log lines", NULL,
	 cli_set_log_ts_off},
	{"max-duration", 0, REQ, M_SERVE, "DUR", "cap on the test length clients may ask for", NULL,
	 cli_set_max_duration},
	{"max-tests", 0, REQ, M_SERVE, "N", "concurrent tests, 1..10000 (default 100)", NULL,
	 cli_set_max_tests},
	{"rate-limit", 0, REQ, M_SERVE, "N",
	 "tests per client address (default 8, at most half of --max-tests)", NULL,
	 cli_set_rate_limit},
	{"rate-limit-window", 0, REQ, M_SERVE, "DUR",
	 "how long an address's failed authentications count (default 15m)", NULL,
	 cli_set_rate_limit_window},
	{"max-pending-per-ip", 0, REQ, M_SERVE, "N",
	 "connections per client address before their first line (default 8)", NULL,
	 cli_set_max_pending_ip},
	{"max-pause", 0, REQ, M_SERVE, "DUR",
	 "paused time a test may add to its length (default 60 s)", NULL, cli_set_max_pause},
	{"max-streams", 0, REQ, M_SERVE, "N", "streams per test, 1..128 (default 128)", NULL,
	 cli_set_max_streams},
	{"max-total-streams", 0, REQ, M_SERVE, "N",
	 "streams over all running tests, half per address (default 1024)", NULL,
	 cli_set_max_total_streams},
	{"max-memory", 0, REQ, M_SERVE, "SIZE",
	 "test buffers over all tests, half per address (default 1G, at most a quarter of RAM)",
	 NULL, cli_set_max_memory},
	{"max-bandwidth", 0, REQ, M_SERVE, "RATE",
	 "bits/s per test and direction (K = 1000; default no cap)", NULL, cli_set_max_bandwidth},
	{"data-port-range", 0, REQ, M_SERVE, "LO-HI",
	 "ports for older clients' per-stream connections (default ephemeral)", NULL,
	 cli_set_data_port_range},
	{"engine", 0, REQ, M_SERVE, "E",
	 "socket (default, loads no BPF) or auto (clients may use XDP and BPF here)", NULL,
	 set_engine},
	{"allow", 0, REQ, M_SERVE, "CIDR", "only these clients (repeatable; deny wins)", NULL,
	 cli_set_allow},
	{"deny", 0, REQ, M_SERVE, "CIDR", "refuse these clients (repeatable)", NULL, cli_set_deny},
	{"acl-file", 0, REQ, M_SERVE, "FILE", "rules 'allow CIDR' / 'deny CIDR', # comments", NULL,
	 cli_set_acl_file},
	{"preset", 0, REQ, M_SERVE, "NAME",
	 "a [[presets]] entry: allowed_clients, max_duration_secs, bandwidth_limit", NULL,
	 cli_set_preset},
	{"preset-file", 0, REQ, M_SERVE, "FILE",
	 "where --preset looks (default ~/.config/xfr/config.toml)", NULL, cli_set_preset_file},
	{"prometheus", 0, REQ, M_SERVE, "PORT", "serve /metrics and /health on PORT", NULL,
	 cli_set_prometheus},
	{"prometheus-bind", 0, REQ, M_SERVE, "ADDR",
	 "address of the metrics endpoint (default 127.0.0.1)", NULL, cli_set_prometheus_bind},
	{"no-mdns", 0, NOARG, M_SERVE, NULL, "do not announce the server by mDNS (_xfr._tcp)", NULL,
	 cli_set_no_mdns},
	{"push-gateway", 0, REQ, M_SERVE, "URL",
	 "push the metrics to a Prometheus push gateway after each test (XFR_PUSH_GATEWAY)", NULL,
	 cli_set_push_gateway},
	{"push-gateway", 0, REQ, M_CLIENT, "URL",
	 "push this test's metrics to a Prometheus push gateway (XFR_PUSH_GATEWAY)", NULL,
	 cli_set_push_gateway},
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
	 cli_set_psk},
	{"psk-file", 0, REQ, M_BOTH, "FILE", "read the key from FILE (mode 600; wins over --psk)",
	 NULL, cli_set_psk_file},
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
	 NULL, cli_show_completions},
};

#define N_OPTS ARRAY_SIZE(cli_opts)
_Static_assert(N_OPTS <= CLI_MAX_OPTS, "raise CLI_MAX_OPTS");
#define VAL_BASE 256 /* getopt val of long-only options: VAL_BASE + table index */

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

		if (!cli_in_mode(o, mode))
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
		if (cli_in_mode(&cli_opts[i], mode) && opt_val(i) == val)
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
	struct cli_state st = {
		.cfg = cfg, .out = out, .err = err, .opts = cli_opts, .nopts = N_OPTS};
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
	if (mode != M_DOCTOR && cli_load_config(&st, mode, err))
		return CLI_EXIT_USAGE;
	if (serve)
		rc = cli_finish_server(&st, argc, argv, err);
	else if (doctor)
		rc = cli_finish_doctor(&st, argc, argv, err);
	else
		rc = cli_finish_client(&st, argc, argv, err);
	if (rc)
		return CLI_EXIT_USAGE;
	log_set_level(cfg->log_level);
	return CLI_RUN;
}
