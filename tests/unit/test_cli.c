// SPDX-License-Identifier: MIT
/* Command line: argv vectors into struct xfr_config, environment, every error line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/net.h"
#include "cli/cli.h"
#include "cli/target.h"

#define MAX_ARGS 64

static char last_out[16384];
static char last_err[1024];

static const char *const env_vars[] = {"XFR_PORT", "XFR_DURATION", "XFR_BYTES",
				       "XFR_TIMESTAMP_FORMAT"};

static void keep(char *buf, size_t len, char *text)
{
	snprintf(buf, len, "%s", text ? text : "");
	free(text);
}

/* cli_parse on "xfr" + the NULL-terminated arguments; out and err captured. */
static enum cli_status parse(struct xfr_config *cfg, ...)
{
	char *argv[MAX_ARGS + 2], *out_text = NULL, *err_text = NULL;
	size_t out_len, err_len;
	enum cli_status rc;
	FILE *out, *err;
	int argc = 0;
	va_list ap;

	argv[argc++] = "xfr";
	va_start(ap, cfg);
	while (argc <= MAX_ARGS && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	out = open_memstream(&out_text, &out_len);
	err = open_memstream(&err_text, &err_len);
	assert_non_null(out);
	assert_non_null(err);
	rc = cli_parse(argc, argv, cfg, out, err);
	fclose(out);
	fclose(err);
	keep(last_out, sizeof(last_out), out_text);
	keep(last_err, sizeof(last_err), err_text);
	return rc;
}

#define PARSE(cfg, ...) parse(cfg, __VA_ARGS__, (char *)NULL)

/* A clean run: CLI_RUN and nothing printed. */
#define PARSE_OK(cfg, ...)                                                                         \
	do {                                                                                       \
		assert_int_equal(PARSE(cfg, __VA_ARGS__), CLI_RUN);                                \
		assert_string_equal(last_err, "");                                                 \
		assert_string_equal(last_out, "");                                                 \
	} while (0)

/* Exactly one line on err, nothing on out, usage status. */
#define EXPECT_ERR(msg, ...)                                                                       \
	do {                                                                                       \
		struct xfr_config c_;                                                              \
		assert_int_equal(PARSE(&c_, __VA_ARGS__), CLI_EXIT_USAGE);                         \
		assert_string_equal(last_err, msg "\n");                                           \
		assert_string_equal(last_out, "");                                                 \
	} while (0)

static int clean_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	return 0;
}

static void test_defaults(void **state)
{
	struct xfr_config c;

	(void)state;
	PARSE_OK(&c, "example.net");
	assert_int_equal(c.mode, XFR_MODE_CLIENT);
	assert_string_equal(c.host, "example.net");
	assert_int_equal(c.port, 5201);
	assert_int_equal(c.duration_s, 10);
	assert_false(c.duration_set);
	assert_true(c.bytes == 0);
	assert_int_equal(c.proto, XFR_PROTO_TCP);
	assert_int_equal(c.dir, XFR_DIR_UPLOAD);
	assert_int_equal(c.streams, 1);
	assert_true(c.bitrate == 0);
	assert_false(c.bitrate_set);
	assert_int_equal(c.length, 0);
	assert_true(c.window == 0);
	assert_string_equal(c.congestion, "");
	assert_int_equal(c.tos, -1);
	assert_false(c.nodelay);
	assert_false(c.mptcp);
	assert_int_equal(c.cport, 0);
	assert_int_equal(c.payload, XFR_PAYLOAD_RANDOM);
	assert_int_equal(c.zerocopy, XFR_ZC_AUTO);
	assert_int_equal(c.connect_timeout_ms, 0);
	assert_int_equal(c.interval_ms, 1000);
	assert_int_equal(c.omit_ms, 0);
	assert_int_equal(c.ts_format, XFR_TS_RELATIVE);
	assert_int_equal(c.format, XFR_FMT_PLAIN);
	assert_false(c.quiet);
	assert_string_equal(c.output_file, "");
	assert_false(c.get_server_output);
	assert_int_equal(c.family, XFR_AF_ANY);
	assert_string_equal(c.bind, "");
	assert_int_equal(c.log_level, XFR_LOG_INFO);
	assert_int_equal(c.max_tests, 100);
	assert_false(c.one_off);

	/* cli_defaults alone gives the same starting point */
	cli_defaults(&c);
	assert_int_equal(c.port, 5201);
	assert_int_equal(c.tos, -1);
	assert_int_equal(c.max_tests, 100);
	assert_int_equal(c.interval_ms, 1000);
}

static void test_test_options(void **state)
{
	struct xfr_config c;

	(void)state;
	PARSE_OK(&c, "-t", "30", "-n", "1G", "-P", "8", "-R", "-b", "1.5G", "-l", "64K", "-w", "4M",
		 "--dscp", "EF", "--tcp-nodelay", "--zeros", "-Z", "host");
	assert_int_equal(c.duration_s, 30);
	assert_true(c.duration_set);
	assert_true(c.bytes == 1073741824ULL);
	assert_int_equal(c.streams, 8);
	assert_int_equal(c.dir, XFR_DIR_DOWNLOAD);
	assert_true(c.bitrate == 1500000000ULL);
	assert_true(c.bitrate_set);
	assert_int_equal(c.length, 65536);
	assert_true(c.window == 4194304);
	assert_int_equal(c.tos, 184);
	assert_true(c.nodelay);
	assert_int_equal(c.payload, XFR_PAYLOAD_ZEROS);
	assert_int_equal(c.zerocopy, XFR_ZC_SENDFILE);

	PARSE_OK(&c, "--time=2min", "--bytes=500M", "--parallel=128", "--bidir", "--bitrate=0",
		 "--length=16M", "--window=512M", "--dscp=46", "--random", "--zerocopy=msg",
		 "host");
	assert_int_equal(c.duration_s, 120);
	assert_true(c.bytes == 500ULL << 20);
	assert_int_equal(c.streams, 128);
	assert_int_equal(c.dir, XFR_DIR_BIDIR);
	assert_true(c.bitrate == 0);
	assert_true(c.bitrate_set);
	assert_int_equal(c.length, 16 << 20);
	assert_true(c.window == 512ULL << 20);
	assert_int_equal(c.tos, 46);
	assert_int_equal(c.payload, XFR_PAYLOAD_RANDOM);
	assert_int_equal(c.zerocopy, XFR_ZC_MSG);

	PARSE_OK(&c, "--reverse", "--zerocopy", "--dscp", "af41", "host");
	assert_int_equal(c.dir, XFR_DIR_DOWNLOAD);
	assert_int_equal(c.zerocopy, XFR_ZC_SENDFILE);
	assert_int_equal(c.tos, 136);
	PARSE_OK(&c, "--zerocopy=sendfile", "host");
	assert_int_equal(c.zerocopy, XFR_ZC_SENDFILE);
	PARSE_OK(&c, "--no-zerocopy", "host");
	assert_int_equal(c.zerocopy, XFR_ZC_OFF);
	/* clustered short options, value glued on */
	PARSE_OK(&c, "-RqP4", "-t5", "host");
	assert_int_equal(c.dir, XFR_DIR_DOWNLOAD);
	assert_true(c.quiet);
	assert_int_equal(c.streams, 4);
	assert_int_equal(c.duration_s, 5);
}

/* A rate under 1 kbit/s runs as asked, with one warning line; the limit itself is taken. */
static void test_bitrate_bounds(void **state)
{
	struct xfr_config c;

	(void)state;
	assert_int_equal(PARSE(&c, "-b", "100", "host"), CLI_RUN);
	assert_string_equal(last_err, "xfr: warning: -b 100 is 100 bit/s; did you mean 100M?\n");
	assert_true(c.bitrate == 100);
	assert_int_equal(PARSE(&c, "-b", "0.5K", "host"), CLI_RUN);
	assert_string_equal(last_err, "xfr: warning: -b 0.5K is 500 bit/s\n");
	assert_true(c.bitrate == 500);
	assert_int_equal(PARSE(&c, "-u", "-b", "999", "host"), CLI_RUN);
	assert_string_equal(last_err, "xfr: warning: -b 999 is 999 bit/s; did you mean 999M?\n");
	PARSE_OK(&c, "-b", "1000", "host");
	assert_true(c.bitrate == 1000);
	PARSE_OK(&c, "-b", "0", "host"); /* no cap: nothing to warn about */
	PARSE_OK(&c, "-b", "10T", "host");
	assert_true(c.bitrate == 10000000000000ULL);
	PARSE_OK(&c, "-b", "10000000000000", "host");
}

/* HOST forms the parser takes apart: host, port, the literal's family. */
static void test_target_forms(void **state)
{
	static const struct {
		const char *in, *host;
		uint16_t port;
		enum xfr_family fam;
	} ok[] = {
		{"example.net", "example.net", 0, XFR_AF_ANY},
		{"example.net:5202", "example.net", 5202, XFR_AF_ANY},
		{"10.0.0.2", "10.0.0.2", 0, XFR_AF_INET},
		{"10.0.0.2:5201", "10.0.0.2", 5201, XFR_AF_INET},
		{"fd88::2", "fd88::2", 0, XFR_AF_INET6},
		{"[fd88::2]", "fd88::2", 0, XFR_AF_INET6},
		{"[fd88::2]:5202", "fd88::2", 5202, XFR_AF_INET6},
		{"[fd88::2:5201]", "fd88::2:5201", 0, XFR_AF_INET6},
		{"fe80::1%eth0", "fe80::1%eth0", 0, XFR_AF_INET6},
		{"[fe80::1%eth0]:80", "fe80::1%eth0", 80, XFR_AF_INET6},
		/* not ambiguous: the last group is hex, or the rest is no address */
		{"fd88::2:abcd", "fd88::2:abcd", 0, XFR_AF_INET6},
		{"fd88::5201", "fd88::5201", 0, XFR_AF_INET6},
		{"2001:db8:1:2:3:4:5:5201", "2001:db8:1:2:3:4:5:5201", 0, XFR_AF_INET6},
		{"::ffff:10.0.0.1", "::ffff:10.0.0.1", 0, XFR_AF_INET6},
		{"localhost", "localhost", 0, XFR_AF_ANY},
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{"fd88::2:5201",
		 "fd88::2:5201 is ambiguous: write [fd88::2]:5201 for port 5201, or "
		 "[fd88::2:5201] for that IPv6 address"},
		{"::1:80",
		 "::1:80 is ambiguous: write [::1]:80 for port 80, or [::1:80] for that IPv6 "
		 "address"},
		{"fd88::2:70000",
		 "fd88::2:70000: not an IPv6 address, and a name has at most one ':' "
		 "(write [IPv6]:PORT for a port)"},
		{"fd88::2:40000", "fd88::2:40000 is not an IPv6 address: for port 40000 of fd88::2 "
				  "write [fd88::2]:40000"},
		{"[fd88::2", "[fd88::2: no closing ']' (write [IPv6] or [IPv6]:PORT)"},
		{"[10.0.0.2]:80",
		 "[10.0.0.2]:80: brackets hold an IPv6 address (write NAME:PORT or "
		 "IPv4:PORT without them)"},
		{"[host]", "[host]: brackets hold an IPv6 address (write NAME:PORT or IPv4:PORT "
			   "without them)"},
		{"[fd88::2]x", "[fd88::2]x: unexpected 'x' after ']' (write [IPv6]:PORT)"},
		{"[fd88::2]:", "[fd88::2]:: '' is not a port (write HOST:PORT, [IPv6]:PORT)"},
		{"[fd88::2]:0", "[fd88::2]:0: port 0: must be between 1 and 65535"},
		{"10.0.0.2:65536", "10.0.0.2:65536: port 65536: must be between 1 and 65535"},
		{"host:http", "host:http: 'http' is not a port (write HOST:PORT, [IPv6]:PORT)"},
		{":5201", ":5201: no host before the port"},
		{"", "HOST '': empty"},
	};
	struct cli_target t;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(cli_target_parse(ok[i].in, &t, why, sizeof(why)), 0);
		assert_string_equal(t.host, ok[i].host);
		assert_int_equal(t.port, ok[i].port);
		assert_int_equal(t.family, ok[i].fam);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(cli_target_parse(bad[i].in, &t, why, sizeof(why)), -EINVAL);
		assert_string_equal(why, bad[i].why);
	}
}

/* HOST through cli_parse: its port against -p and XFR_PORT, its family against -4/-6, --bind. */
static void test_target_options(void **state)
{
	struct xfr_config c;

	(void)state;
	PARSE_OK(&c, "[fd88::2]:5300");
	assert_string_equal(c.host, "fd88::2");
	assert_int_equal(c.port, 5300);
	PARSE_OK(&c, "-p", "5300", "10.0.0.2:5300"); /* the same port twice is no conflict */
	assert_int_equal(c.port, 5300);
	setenv("XFR_PORT", "6000", 1); /* a default: the address's port wins */
	PARSE_OK(&c, "example.net:5400");
	assert_int_equal(c.port, 5400);
	PARSE_OK(&c, "example.net");
	assert_int_equal(c.port, 6000);
	unsetenv("XFR_PORT");
	PARSE_OK(&c, "-6", "[fd88::2]");
	PARSE_OK(&c, "-4", "10.0.0.2:80");
	PARSE_OK(&c, "--bind", "10.0.0.1", "10.0.0.2");
	PARSE_OK(&c, "--bind", "[fd88::1]:6000", "[fd88::2]");
	PARSE_OK(&c, "-4", "example.net"); /* a name: its family is the resolver's business */
	EXPECT_ERR("xfr: 10.0.0.2:5201 names port 5201 but -p 5202 was given: give the port once",
		   "-p", "5202", "10.0.0.2:5201");
	EXPECT_ERR("xfr: [fd88::2]:1 names port 1 but -p 5201 was given: give the port once",
		   "[fd88::2]:1", "-p", "5201");
	EXPECT_ERR("xfr: fd88::2 is an IPv6 address but -4 was given", "fd88::2", "-4");
	EXPECT_ERR("xfr: fd88::2 is an IPv6 address but -4 was given", "-4", "[fd88::2]:5201");
	EXPECT_ERR("xfr: 10.0.0.2 is an IPv4 address but -6 was given", "-6", "10.0.0.2");
	EXPECT_ERR("xfr: fd88::2 is an IPv6 address but --bind 10.0.0.1 is IPv4", "--bind",
		   "10.0.0.1", "fd88::2");
	EXPECT_ERR("xfr: 10.0.0.2 is an IPv4 address but --bind [fd88::1]:7000 is IPv6", "--bind",
		   "[fd88::1]:7000", "10.0.0.2");
	EXPECT_ERR("xfr: fd88::2:5201 is ambiguous: write [fd88::2]:5201 for port 5201, or "
		   "[fd88::2:5201] for that IPv6 address",
		   "fd88::2:5201");
}

static void test_duration_rules(void **state)
{
	struct xfr_config c;

	(void)state;
	/* -n alone: no clock, runs until the bytes are through */
	PARSE_OK(&c, "-n", "100M", "host");
	assert_int_equal(c.duration_s, 0);
	assert_false(c.duration_set);
	assert_true(c.bytes == 100ULL << 20);
	/* -n with -t: the time is an upper bound */
	PARSE_OK(&c, "-n", "100M", "-t", "5", "host");
	assert_int_equal(c.duration_s, 5);
	assert_true(c.duration_set);
	PARSE_OK(&c, "-t", "0", "host");
	assert_int_equal(c.duration_s, 0);
	assert_true(c.duration_set);
	PARSE_OK(&c, "-t", "1", "host");
	assert_int_equal(c.duration_s, 1);
	PARSE_OK(&c, "-t", "1000ms", "host");
	assert_int_equal(c.duration_s, 1);
	PARSE_OK(&c, "-t", "1.5", "host");
	assert_int_equal(c.duration_s, 2);
	PARSE_OK(&c, "-t", "1h", "host");
	assert_int_equal(c.duration_s, 3600);
	/* one set of units for every duration option */
	PARSE_OK(&c, "-t", "10sec", "host");
	assert_int_equal(c.duration_s, 10);
	PARSE_OK(&c, "-t", "10secs", "host");
	assert_int_equal(c.duration_s, 10);
	PARSE_OK(&c, "-t", "2mins", "host");
	assert_int_equal(c.duration_s, 120);
	PARSE_OK(&c, "-t", "2m", "host");
	assert_int_equal(c.duration_s, 120);
	PARSE_OK(&c, "-t", "1hour", "host");
	assert_int_equal(c.duration_s, 3600);
	PARSE_OK(&c, "-i", "500ms", "--omit", "2secs", "--connect-timeout", "1min", "host");
	assert_int_equal(c.interval_ms, 500);
	assert_int_equal(c.omit_ms, 2000);
	assert_int_equal(c.connect_timeout_ms, 60000);
	PARSE_OK(&c, "serve", "--max-duration", "2hours", "--max-pause", "5mins");
	assert_int_equal(c.max_duration_s, 7200);
	assert_int_equal(c.max_pause_s, 300);
	PARSE_OK(&c, "serve", "--max-duration", "1day");
	assert_int_equal(c.max_duration_s, 86400);
}

/* The first algorithm the kernel offers, or "" when it cannot be read. */
static void first_cc(char *name, size_t len, char *list, size_t list_len)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_congestion_control", "r");

	name[0] = list[0] = '\0';
	if (!f)
		return;
	if (!fgets(list, (int)list_len, f))
		list[0] = '\0';
	fclose(f);
	list[strcspn(list, "\n")] = '\0';
	snprintf(name, len, "%.*s", (int)strcspn(list, " \t"), list);
}

static void test_congestion(void **state)
{
	char name[16], list[256], want[400];
	struct xfr_config c;

	(void)state;
	first_cc(name, sizeof(name), list, sizeof(list));
	if (!name[0]) {
		skip();
		return;
	}
	PARSE_OK(&c, "--congestion", name, "host");
	assert_string_equal(c.congestion, name);
	snprintf(want, sizeof(want), "xfr: --congestion foo: not available (available: %s)\n",
		 list);
	assert_int_equal(PARSE(&c, "--congestion", "foo", "host"), CLI_EXIT_USAGE);
	assert_string_equal(last_err, want);
	EXPECT_ERR("xfr: --congestion cu/bic: not a valid algorithm name (letters, digits, '_' "
		   "and '-', at most 15)",
		   "--congestion", "cu/bic", "host");
	EXPECT_ERR("xfr: --congestion abcdefghijklmnop: not a valid algorithm name (letters, "
		   "digits, '_' and '-', at most 15)",
		   "--congestion", "abcdefghijklmnop", "host");
	EXPECT_ERR("xfr: --congestion '': not a valid algorithm name (letters, digits, '_' and "
		   "'-', at most 15)",
		   "--congestion", "", "host");
}

static void test_connection_options(void **state)
{
	struct xfr_config c;

	(void)state;
	PARSE_OK(&c, "-p", "6000", "-4", "--bind", "10.0.0.1", "--cport", "40000", "-P", "4",
		 "--connect-timeout", "3s", "host");
	assert_int_equal(c.port, 6000);
	assert_int_equal(c.family, XFR_AF_INET);
	assert_string_equal(c.bind, "10.0.0.1");
	assert_int_equal(c.cport, 40000);
	assert_int_equal(c.connect_timeout_ms, 3000);

	PARSE_OK(&c, "--port=65535", "--ipv6", "--bind=[::1]:5000", "--connect-timeout=250ms",
		 "::1");
	assert_int_equal(c.port, 65535);
	assert_int_equal(c.family, XFR_AF_INET6);
	assert_string_equal(c.bind, "[::1]:5000");
	assert_int_equal(c.connect_timeout_ms, 250);
	assert_string_equal(c.host, "::1");

	/* the bound address decides the family */
	PARSE_OK(&c, "--bind", "fd00::2", "host");
	assert_int_equal(c.family, XFR_AF_INET6);
	PARSE_OK(&c, "--bind", "192.168.1.2:7000", "host");
	assert_int_equal(c.family, XFR_AF_INET);
	PARSE_OK(&c, "-6", "host");
	assert_int_equal(c.family, XFR_AF_INET6);
	PARSE_OK(&c, "--cport", "65534", "-P", "2", "host");
	assert_int_equal(c.cport, 65534);
}

static void test_mptcp(void **state)
{
	FILE *f = fopen("/proc/sys/net/mptcp/enabled", "r");
	struct xfr_config c;
	int on = 0;

	(void)state;
	if (!f) {
		EXPECT_ERR("xfr: --mptcp: this kernel has no MPTCP support "
			   "(/proc/sys/net/mptcp/enabled is missing)",
			   "--mptcp", "host");
		return;
	}
	if (fscanf(f, "%d", &on) != 1)
		on = 0;
	fclose(f);
	if (!on) {
		EXPECT_ERR("xfr: --mptcp: MPTCP is disabled (sysctl net.mptcp.enabled = 0)",
			   "--mptcp", "host");
		return;
	}
	PARSE_OK(&c, "--mptcp", "host");
	assert_true(c.mptcp);
}

static void test_output_options(void **state)
{
	struct xfr_config c;

	(void)state;
	PARSE_OK(&c, "-i", "0.5", "--omit", "2", "--timestamp-format", "iso8601", "-o",
		 "/tmp/r.json", "--get-server-output", "--json", "-q", "--log-level", "debug",
		 "host");
	assert_int_equal(c.interval_ms, 500);
	assert_int_equal(c.omit_ms, 2000);
	assert_int_equal(c.ts_format, XFR_TS_ISO8601);
	assert_string_equal(c.output_file, "/tmp/r.json");
	assert_true(c.get_server_output);
	assert_int_equal(c.format, XFR_FMT_JSON);
	assert_true(c.quiet);
	assert_int_equal(c.log_level, XFR_LOG_DEBUG);

	PARSE_OK(&c, "--interval=0", "--omit=500ms", "--timestamp-format=unix", "--json-stream",
		 "--output=r.json", "--quiet", "--log-level=error", "host");
	assert_int_equal(c.interval_ms, 0);
	assert_int_equal(c.omit_ms, 500);
	assert_int_equal(c.ts_format, XFR_TS_UNIX);
	assert_int_equal(c.format, XFR_FMT_JSON_STREAM);
	assert_string_equal(c.output_file, "r.json");
	assert_int_equal(c.log_level, XFR_LOG_ERROR);

	PARSE_OK(&c, "--csv", "--timestamp-format", "iso", "--log-level", "warn", "-i", "3600",
		 "host");
	assert_int_equal(c.format, XFR_FMT_CSV);
	assert_int_equal(c.ts_format, XFR_TS_ISO8601);
	assert_int_equal(c.log_level, XFR_LOG_WARN);
	assert_int_equal(c.interval_ms, 3600000);
	PARSE_OK(&c, "--timestamp-format", "epoch", "--timestamp-format", "relative", "-i", "0.1",
		 "--log-level", "info", "host");
	assert_int_equal(c.ts_format, XFR_TS_RELATIVE);
	assert_int_equal(c.interval_ms, 100);
	assert_int_equal(c.log_level, XFR_LOG_INFO);
	PARSE_OK(&c, "--timestamp-format", "epoch", "host");
	assert_int_equal(c.ts_format, XFR_TS_UNIX);
	/* the same format twice is not a conflict */
	PARSE_OK(&c, "--json", "--json", "host");
	assert_int_equal(c.format, XFR_FMT_JSON);
}

static void test_server(void **state)
{
	struct xfr_config c;

	(void)state;
	PARSE_OK(&c, "serve");
	assert_int_equal(c.mode, XFR_MODE_SERVE);
	assert_int_equal(c.port, 5201);
	assert_int_equal(c.family, XFR_AF_ANY);
	assert_string_equal(c.bind, "");
	assert_false(c.one_off);
	assert_int_equal(c.max_duration_s, 0);
	assert_int_equal(c.max_tests, 100);

	PARSE_OK(&c, "serve", "-p", "7000", "-B", "127.0.0.1", "--one-off", "--max-duration", "60",
		 "--max-tests", "5", "--log-level", "warn");
	assert_int_equal(c.mode, XFR_MODE_SERVE);
	assert_int_equal(c.port, 7000);
	assert_string_equal(c.bind, "127.0.0.1");
	assert_int_equal(c.family, XFR_AF_INET);
	assert_true(c.one_off);
	assert_int_equal(c.max_duration_s, 60);
	assert_int_equal(c.max_tests, 5);
	assert_int_equal(c.log_level, XFR_LOG_WARN);

	PARSE_OK(&c, "serve", "--bind=::1", "-6", "--max-duration=2min", "--max-tests=10000",
		 "--port=9000");
	assert_string_equal(c.bind, "::1");
	assert_int_equal(c.family, XFR_AF_INET6);
	assert_int_equal(c.max_duration_s, 120);
	assert_int_equal(c.max_tests, 10000);
	PARSE_OK(&c, "serve", "-4");
	assert_int_equal(c.family, XFR_AF_INET);
	PARSE_OK(&c, "serve", "--ipv6");
	assert_int_equal(c.family, XFR_AF_INET6);
}

/* The budgets of a public server: defaults, values, and what 0 means. */
static void test_server_limits(void **state)
{
	struct xfr_config c;

	(void)state;
	PARSE_OK(&c, "serve");
	assert_int_equal(c.rate_limit, 8);
	assert_int_equal(c.max_pending_ip, 8);
	assert_int_equal(c.max_pause_s, 60);
	assert_int_equal(c.max_streams, 128);
	assert_int_equal(c.max_streams_total, 1024);
	assert_int_equal(c.max_bandwidth, 0);
	assert_int_equal(c.data_port_lo, 0);
	assert_int_equal(c.data_port_hi, 0);
	/* one address never holds every slot by default ... */
	PARSE_OK(&c, "serve", "--max-tests", "4");
	assert_int_equal(c.rate_limit, 2);
	PARSE_OK(&c, "serve", "--max-tests", "1");
	assert_int_equal(c.rate_limit, 1);
	/* ... unless the operator says so */
	PARSE_OK(&c, "serve", "--max-tests", "4", "--rate-limit", "4");
	assert_int_equal(c.rate_limit, 4);
	PARSE_OK(&c, "serve", "--rate-limit", "0", "--max-pending-per-ip", "0", "--max-pause", "0",
		 "--max-streams", "16", "--max-total-streams", "100", "--max-bandwidth", "1.5G",
		 "--data-port-range", "40000-40099");
	assert_int_equal(c.rate_limit, 0);
	assert_int_equal(c.max_pending_ip, 0);
	assert_int_equal(c.max_pause_s, 0);
	assert_int_equal(c.max_streams, 16);
	assert_int_equal(c.max_streams_total, 100);
	assert_int_equal(c.max_bandwidth, 1500000000ULL);
	assert_int_equal(c.data_port_lo, 40000);
	assert_int_equal(c.data_port_hi, 40099);
	assert_int_equal(c.rate_limit_window_ms, 900000); /* the default: 15 min */
	PARSE_OK(&c, "serve", "--rate-limit-window", "2s");
	assert_int_equal(c.rate_limit_window_ms, 2000);
	PARSE_OK(&c, "serve", "--rate-limit-window", "60");
	assert_int_equal(c.rate_limit_window_ms, 60000);
	PARSE_OK(&c, "serve", "--max-pause=2min", "--data-port-range=5000-5000");
	assert_int_equal(c.max_pause_s, 120);
	assert_int_equal(c.data_port_lo, 5000);
	assert_int_equal(c.data_port_hi, 5000);

	EXPECT_ERR("xfr: --rate-limit x: not a number", "serve", "--rate-limit", "x");
	EXPECT_ERR("xfr: --rate-limit 10001: must be between 0 (no limit) and 10000", "serve",
		   "--rate-limit", "10001");
	EXPECT_ERR("xfr: --max-streams 0: must be between 1 and 128", "serve", "--max-streams",
		   "0");
	EXPECT_ERR("xfr: --max-streams 129: must be between 1 and 128", "serve", "--max-streams",
		   "129");
	EXPECT_ERR("xfr: --max-total-streams 0: must be between 1 and 1000000", "serve",
		   "--max-total-streams", "0");
	EXPECT_ERR(
		"xfr: --max-pause 2w: not a duration (seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h)",
		"serve", "--max-pause", "2w");
	EXPECT_ERR("xfr: --max-pause 2d: must be at most 24 h", "serve", "--max-pause", "2d");
	EXPECT_ERR("xfr: --max-pause 25h: must be at most 24 h", "serve", "--max-pause", "25h");
	EXPECT_ERR("xfr: --max-bandwidth fast: not a rate (examples: 100M, 1.5G; 0 = no cap)",
		   "serve", "--max-bandwidth", "fast");
	EXPECT_ERR("xfr: --data-port-range 40000: not a range (example: 40000-40999)", "serve",
		   "--data-port-range", "40000");
	EXPECT_ERR("xfr: --data-port-range 0-10: ports must be between 1 and 65535 (example: "
		   "40000-40999)",
		   "serve", "--data-port-range", "0-10");
	EXPECT_ERR("xfr: --data-port-range 50000-40000: the first port is above the last", "serve",
		   "--data-port-range", "50000-40000");
	EXPECT_ERR("xfr: --rate-limit-window 0: must be between 1 s and 24 h", "serve",
		   "--rate-limit-window", "0");
	EXPECT_ERR("xfr: --rate-limit-window 500ms: must be between 1 s and 24 h", "serve",
		   "--rate-limit-window", "500ms");
	EXPECT_ERR("xfr: --rate-limit-window 25h: must be between 1 s and 24 h", "serve",
		   "--rate-limit-window", "25h");
	/* client commands do not take them */
	EXPECT_ERR("xfr: unknown option --rate-limit", "--rate-limit", "1", "host");
}

static void test_help_version(void **state)
{
	struct xfr_config c;

	(void)state;
	assert_int_equal(PARSE(&c, "--version"), CLI_EXIT_OK);
	assert_string_equal(last_out, "xfr 0.1.0 (protocol 1.1)\n");
	assert_string_equal(last_err, "");
	assert_int_equal(PARSE(&c, "-V"), CLI_EXIT_OK);
	assert_string_equal(last_out, "xfr 0.1.0 (protocol 1.1)\n");
	assert_int_equal(PARSE(&c, "serve", "-V"), CLI_EXIT_OK);
	assert_string_equal(last_out, "xfr 0.1.0 (protocol 1.1)\n");

	/* help wins over a missing HOST and is printed to out */
	assert_int_equal(PARSE(&c, "--help"), CLI_EXIT_OK);
	assert_string_equal(last_err, "");
	assert_non_null(strstr(last_out, "Usage: xfr [OPTIONS] HOST\n"));
	/* the client's help lists all three sections, its own first */
	assert_non_null(strstr(last_out, "\nClient options:\n"));
	assert_non_null(strstr(last_out, "\nServer options:\n"));
	assert_non_null(strstr(last_out, "\nShared options:\n"));
	assert_true(strstr(last_out, "Client options:") < strstr(last_out, "Server options:"));
	assert_true(strstr(last_out, "Server options:") < strstr(last_out, "Shared options:"));
	assert_non_null(strstr(last_out, "  -P, --parallel N "));
	assert_non_null(strstr(last_out, "  -Z, --zerocopy[=MODE] "));
	assert_non_null(strstr(last_out, "      --bind ADDR[:PORT] "));
	assert_non_null(strstr(last_out, "      --get-server-output "));
	assert_true(strstr(last_out, "--xdp-mode") < strstr(last_out, "Server options:"));
	assert_true(strstr(last_out, "--one-off") > strstr(last_out, "Server options:"));
	assert_true(strstr(last_out, "--ipv4") > strstr(last_out, "Shared options:"));

	/* serve's help: server and shared options only, none it would refuse */
	assert_int_equal(PARSE(&c, "serve", "-h"), CLI_EXIT_OK);
	assert_non_null(strstr(last_out, "Usage: xfr serve [OPTIONS]\n"));
	assert_non_null(strstr(last_out, "\nServer options:\n"));
	assert_non_null(strstr(last_out, "\nShared options:\n"));
	assert_non_null(strstr(last_out, "  -B, --bind ADDR "));
	assert_non_null(strstr(last_out, "      --one-off "));
	assert_non_null(strstr(last_out, "      --max-tests N "));
	assert_non_null(strstr(last_out, "      --rate-limit N "));
	assert_non_null(strstr(last_out, "      --max-bandwidth RATE "));
	assert_non_null(strstr(last_out, "      --data-port-range LO-HI\n"));
	assert_non_null(strstr(last_out, "  -4, --ipv4 "));
	assert_null(strstr(last_out, "--bidir"));
	assert_null(strstr(last_out, "--xdp-mode"));
	assert_null(strstr(last_out, "Client options:"));
}

static void test_env(void **state)
{
	struct xfr_config c;

	(void)state;
	setenv("XFR_PORT", "6001", 1);
	setenv("XFR_DURATION", "20", 1);
	setenv("XFR_TIMESTAMP_FORMAT", "unix", 1);
	PARSE_OK(&c, "host");
	assert_int_equal(c.port, 6001);
	assert_int_equal(c.duration_s, 20);
	assert_true(c.duration_set);
	assert_int_equal(c.ts_format, XFR_TS_UNIX);
	/* flags win over the environment, even a bad environment */
	setenv("XFR_PORT", "abc", 1);
	setenv("XFR_DURATION", "0.5", 1);
	setenv("XFR_TIMESTAMP_FORMAT", "bogus", 1);
	PARSE_OK(&c, "-p", "7000", "-t", "3", "--timestamp-format", "iso", "host");
	assert_int_equal(c.port, 7000);
	assert_int_equal(c.duration_s, 3);
	assert_int_equal(c.ts_format, XFR_TS_ISO8601);
	clean_env(NULL);

	/* XFR_BYTES without a time: no clock; with XFR_DURATION: upper bound */
	setenv("XFR_BYTES", "10M", 1);
	PARSE_OK(&c, "host");
	assert_true(c.bytes == 10ULL << 20);
	assert_int_equal(c.duration_s, 0);
	assert_false(c.duration_set);
	setenv("XFR_DURATION", "7", 1);
	PARSE_OK(&c, "host");
	assert_int_equal(c.duration_s, 7);
	assert_true(c.duration_set);
	PARSE_OK(&c, "-n", "1K", "host");
	assert_true(c.bytes == 1024);
	clean_env(NULL);

	/* an empty variable counts as unset */
	setenv("XFR_PORT", "", 1);
	PARSE_OK(&c, "host");
	assert_int_equal(c.port, 5201);
	/* the server reads XFR_PORT too, and nothing else */
	setenv("XFR_PORT", "6100", 1);
	setenv("XFR_DURATION", "bad", 1);
	PARSE_OK(&c, "serve");
	assert_int_equal(c.port, 6100);
	PARSE_OK(&c, "serve", "-p", "6200");
	assert_int_equal(c.port, 6200);
	clean_env(NULL);
}

static void test_env_errors(void **state)
{
	(void)state;
	setenv("XFR_PORT", "abc", 1);
	EXPECT_ERR("xfr: XFR_PORT=abc: not a port", "host");
	EXPECT_ERR("xfr: XFR_PORT=abc: not a port", "serve");
	setenv("XFR_PORT", "0", 1);
	EXPECT_ERR("xfr: XFR_PORT=0: must be between 1 and 65535", "host");
	clean_env(NULL);
	setenv("XFR_DURATION", "0.5", 1);
	EXPECT_ERR("xfr: XFR_DURATION=0.5: must be 0 (until stopped) or at least 1 s", "host");
	setenv("XFR_DURATION", "ten", 1);
	EXPECT_ERR(
		"xfr: XFR_DURATION=ten: not a duration (seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h)",
		"host");
	clean_env(NULL);
	setenv("XFR_BYTES", "0", 1);
	EXPECT_ERR("xfr: XFR_BYTES=0: must be greater than 0", "host");
	setenv("XFR_BYTES", "-1", 1);
	EXPECT_ERR("xfr: XFR_BYTES=-1: not a size (examples: 10G, 500M, 1048576)", "host");
	clean_env(NULL);
	setenv("XFR_TIMESTAMP_FORMAT", "local", 1);
	EXPECT_ERR("xfr: XFR_TIMESTAMP_FORMAT=local: unknown format (use relative, iso8601 or "
		   "unix)",
		   "host");
	clean_env(NULL);
}

static void test_value_errors(void **state)
{
	(void)state;
	EXPECT_ERR("xfr: --parallel 0: must be between 1 and 128", "-P", "0", "host");
	EXPECT_ERR("xfr: --parallel 129: must be between 1 and 128", "-P", "129", "host");
	EXPECT_ERR("xfr: --parallel -1: not a number", "-P", "-1", "host");
	EXPECT_ERR("xfr: --parallel 2x: not a number", "--parallel=2x", "host");
	EXPECT_ERR("xfr: --bitrate 10x: not a rate (examples: 100M, 1.5G)", "-b", "10x", "host");
	EXPECT_ERR("xfr: --bitrate -1: not a rate (examples: 100M, 1.5G)", "-b", "-1", "host");
	EXPECT_ERR(
		"xfr: --bitrate 10000000T: must be at most 10T (10 Tbit/s, the protocol's limit)",
		"-b", "10000000T", "host");
	EXPECT_ERR("xfr: --bitrate 10.5T: must be at most 10T (10 Tbit/s, the protocol's limit)",
		   "-b", "10.5T", "host");
	EXPECT_ERR("xfr: --bitrate 10000000000001: must be at most 10T (10 Tbit/s, the protocol's "
		   "limit)",
		   "-b", "10000000000001", "host");
	EXPECT_ERR("xfr: --dscp 300: must be 0..255 or a name like EF, AF41, CS1", "--dscp", "300",
		   "host");
	EXPECT_ERR("xfr: --dscp XX: must be 0..255 or a name like EF, AF41, CS1", "--dscp", "XX",
		   "host");
	EXPECT_ERR("xfr: --time 0.5: must be 0 (until stopped) or at least 1 s", "-t", "0.5",
		   "host");
	EXPECT_ERR(
		"xfr: --time -1: not a duration (seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h)",
		"-t", "-1", "host");
	EXPECT_ERR(
		"xfr: --time 10x: not a duration (seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h)",
		"--time", "10x", "host");
	EXPECT_ERR("xfr: --time 10M: M is not a unit of time (use m or min for minutes)", "-t",
		   "10M", "host");
	EXPECT_ERR("xfr: --interval 1.5M: M is not a unit of time (use m or min for minutes)", "-i",
		   "1.5M", "host");
	EXPECT_ERR("xfr: --time 99999999999h: too large", "-t", "99999999999h", "host");
	EXPECT_ERR("xfr: --bytes 0: must be greater than 0", "-n", "0", "host");
	EXPECT_ERR("xfr: --bytes 1X: not a size (examples: 10G, 500M, 1048576)", "-n", "1X",
		   "host");
	EXPECT_ERR("xfr: --window 0: must be between 1 and 512M", "-w", "0", "host");
	EXPECT_ERR("xfr: --window 513M: must be between 1 and 512M", "-w", "513M", "host");
	EXPECT_ERR("xfr: --window big: not a size (examples: 256K, 4M)", "-w", "big", "host");
	EXPECT_ERR("xfr: --length 0: must be between 1 and 16M", "-l", "0", "host");
	EXPECT_ERR("xfr: --length 17M: must be between 1 and 16M", "-l", "17M", "host");
	EXPECT_ERR("xfr: --length 16777217: must be between 1 and 16M", "-l", "16777217", "host");
	EXPECT_ERR("xfr: --length x: not a size (examples: 128K, 1M)", "-l", "x", "host");
	EXPECT_ERR("xfr: --interval 0.05: must be 0 or between 0.1 and 3600 s", "-i", "0.05",
		   "host");
	EXPECT_ERR("xfr: --interval 3601: must be 0 or between 0.1 and 3600 s", "-i", "3601",
		   "host");
	EXPECT_ERR(
		"xfr: --interval fast: not a duration (seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h)",
		"-i", "fast", "host");
	EXPECT_ERR(
		"xfr: --omit -1: not a duration (seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h)",
		"--omit", "-1", "host");
	EXPECT_ERR(
		"xfr: --omit 2x: not a duration (seconds, or a number with ms, s, m/min, h or d: 500ms, 30s, 10mins, 2h)",
		"--omit", "2x", "host");
	EXPECT_ERR("xfr: --connect-timeout 0: must be greater than 0", "--connect-timeout", "0",
		   "host");
	EXPECT_ERR("xfr: --port 0: must be between 1 and 65535", "-p", "0", "host");
	EXPECT_ERR("xfr: --port 70000: must be between 1 and 65535", "--port", "70000", "host");
	EXPECT_ERR("xfr: --port http: not a port", "-p", "http", "host");
	EXPECT_ERR("xfr: --cport 0: must be between 1 and 65535", "--cport", "0", "host");
	EXPECT_ERR("xfr: --timestamp-format local: unknown format (use relative, iso8601 or unix)",
		   "--timestamp-format", "local", "host");
	EXPECT_ERR("xfr: --log-level trace: unknown level (use error, warn, info or debug)",
		   "--log-level", "trace", "host");
	EXPECT_ERR("xfr: --zerocopy splice: unknown mode (use auto, sendfile or msg)",
		   "--zerocopy=splice", "host");
	EXPECT_ERR("xfr: --output '': empty file name", "-o", "", "host");
	EXPECT_ERR("xfr: --bind 10.0.0.300: not an address (use IP, IP:PORT, [IPv6] or "
		   "[IPv6]:PORT)",
		   "--bind", "10.0.0.300", "host");
	EXPECT_ERR("xfr: --bind localhost: not an address (use IP, IP:PORT, [IPv6] or "
		   "[IPv6]:PORT)",
		   "--bind", "localhost", "host");
	EXPECT_ERR("xfr: --bind [::1]:0: not an address (use IP, IP:PORT, [IPv6] or "
		   "[IPv6]:PORT)",
		   "--bind", "[::1]:0", "host");
	EXPECT_ERR("xfr: --max-tests 0: must be between 1 and 10000", "serve", "--max-tests", "0");
	EXPECT_ERR("xfr: --max-tests 10001: must be between 1 and 10000", "serve", "--max-tests",
		   "10001");
	EXPECT_ERR("xfr: --max-duration 0: must be at least 1 s", "serve", "--max-duration", "0");
	EXPECT_ERR("xfr: --port 0: must be between 1 and 65535", "serve", "-p", "0");
	EXPECT_ERR("xfr: serve -B 0.0.0.0: unspecified address (use -4/-6)", "serve", "-B",
		   "0.0.0.0");
	EXPECT_ERR("xfr: serve -B ::: unspecified address (use -4/-6)", "serve", "-B", "::");
	EXPECT_ERR("xfr: serve -B example.net: not an IP address", "serve", "-B", "example.net");
	EXPECT_ERR("xfr: --log-level loud: unknown level (use error, warn, info or debug)", "serve",
		   "--log-level", "loud");
}

static void test_combination_errors(void **state)
{
	(void)state;
	EXPECT_ERR("xfr: -R and --bidir cannot be used together", "-R", "--bidir", "host");
	EXPECT_ERR("xfr: --json, --json-stream and --csv are exclusive", "--json", "--csv", "host");
	EXPECT_ERR("xfr: --json, --json-stream and --csv are exclusive", "--json-stream", "--json",
		   "host");
	EXPECT_ERR("xfr: --random and --zeros cannot be used together", "--zeros", "--random",
		   "host");
	EXPECT_ERR("xfr: --zerocopy and --no-zerocopy cannot be used together", "-Z",
		   "--no-zerocopy", "host");
	EXPECT_ERR("xfr: missing HOST (usage: xfr [OPTIONS] HOST, xfr serve [OPTIONS])", "-P", "2");
	EXPECT_ERR("xfr: unexpected argument 'extra' (usage: xfr [OPTIONS] HOST, xfr serve "
		   "[OPTIONS])",
		   "host", "extra");
	EXPECT_ERR("xfr: serve: unexpected argument 'host' (usage: xfr serve [OPTIONS])", "serve",
		   "host");
	EXPECT_ERR("xfr: --bind 10.0.0.1:5000: a port cannot be used with -P > 1 (use --cport)",
		   "--bind", "10.0.0.1:5000", "-P", "2", "host");
	EXPECT_ERR("xfr: --bind 10.0.0.1:5000: a port cannot be used with --cport", "--bind",
		   "10.0.0.1:5000", "--cport", "6000", "host");
	EXPECT_ERR("xfr: --cport 65535: PORT+streams-1 exceeds 65535", "--cport", "65535", "-P",
		   "2", "host");
	EXPECT_ERR("xfr: -4 and -6 cannot be used together", "-4", "-6", "host");
	EXPECT_ERR("xfr: -4 and -6 cannot be used together", "serve", "-6", "-4");
	EXPECT_ERR("xfr: -B ::1 and -4 disagree", "serve", "-B", "::1", "-4");
	EXPECT_ERR("xfr: -B 10.0.0.1 and -6 disagree", "serve", "-6", "-B", "10.0.0.1");
	EXPECT_ERR("xfr: --bind ::1 and -4 disagree", "--bind", "::1", "-4", "host");
}

static void test_unknown_options(void **state)
{
	(void)state;
	EXPECT_ERR("xfr: unknown option --quic-cert", "--quic-cert", "x", "host");
	EXPECT_ERR("xfr: --udp does not take a value", "host", "--udp=1");
	EXPECT_ERR("xfr: -Q/--quic cannot be used with -u", "-Q", "-u", "host");
	EXPECT_ERR("xfr: unknown option --quic-verify", "serve", "--quic-verify", "x");
	EXPECT_ERR("xfr: unknown option --udp", "serve", "--udp");
	EXPECT_ERR("xfr: unknown option --one-off", "--one-off", "host");
	EXPECT_ERR("xfr: unknown option --bidir", "serve", "--bidir");
	EXPECT_ERR("xfr: unknown option -B", "-B", "10.0.0.1", "host");
	/* no abbreviations, unique or not */
	EXPECT_ERR("xfr: unknown option --par", "--par", "2", "host");
	EXPECT_ERR("xfr: unknown option --par", "--par=2", "host");
	EXPECT_ERR("xfr: unknown option --rev", "host", "--rev");
	EXPECT_ERR("xfr: unknown option --js", "--js", "host");
	/* -Z only takes its mode in the --zerocopy=MODE form */
	EXPECT_ERR("xfr: unknown option -m", "-Zmsg", "host");
	EXPECT_ERR("xfr: --reverse does not take a value", "--reverse=1", "host");
	EXPECT_ERR("xfr: --bidir does not take a value", "--bidir=yes", "host");
	EXPECT_ERR("xfr: --port: missing value", "host", "-p");
	EXPECT_ERR("xfr: --time: missing value", "host", "--time");
	EXPECT_ERR("xfr: --max-tests: missing value", "serve", "--max-tests");
}

static void test_udp_flags(void **state)
{
	struct xfr_config cfg;

	(void)state;
	PARSE_OK(&cfg, "-u", "host");
	assert_int_equal(cfg.proto, XFR_PROTO_UDP);
	assert_int_equal(cfg.bitrate, 1000000000ULL);
	assert_true(cfg.bitrate_set);
	assert_int_equal(cfg.length, 1400);
	PARSE_OK(&cfg, "-u", "-b", "0", "--packet-size", "64", "--no-gso", "host");
	assert_int_equal(cfg.bitrate, 0);
	assert_int_equal(cfg.length, 64);
	assert_true(cfg.no_offload);
	PARSE_OK(&cfg, "--probe-mtu", "host");
	assert_true(cfg.probe_mtu);
	assert_int_equal(cfg.proto, XFR_PROTO_UDP);
	assert_int_equal(cfg.duration_s, 60);
	PARSE_OK(&cfg, "--affinity", "0", "--busy-poll", "50", "host");
	assert_int_equal(cfg.ncpus, 1);
	assert_int_equal(cfg.cpus[0], 0);
	assert_int_equal(cfg.busy_poll_us, 50);
	EXPECT_ERR("xfr: --length 10: a UDP datagram must be 64..65507 bytes", "-u", "-l", "10",
		   "host");
	EXPECT_ERR("xfr: --length 70000: a UDP datagram must be 64..65507 bytes", "-u",
		   "--packet-size", "70000", "host");
	EXPECT_ERR("xfr: -Z/--zerocopy cannot be used with -u", "-u", "-Z", "host");
	EXPECT_ERR("xfr: --tcp-nodelay cannot be used with -u", "-u", "--tcp-nodelay", "host");
	EXPECT_ERR("xfr: --probe-mtu cannot be used with -P", "--probe-mtu", "-P", "2", "host");
	EXPECT_ERR("xfr: --no-gso cannot be used with TCP (it is a UDP option)", "--no-gso",
		   "host");
	EXPECT_ERR("xfr: --affinity x: not a CPU list (examples: 0, 0,2, 0-3)", "--affinity", "x",
		   "host");
	/* the CPU count differs between hosts: check the start of the line */
	assert_int_equal(PARSE(&cfg, "--affinity", "4096", "host"), CLI_EXIT_USAGE);
	assert_memory_equal(last_err, "xfr: --affinity 4096: no CPU 4096 here (CPUs 0-", 46);
}

/* The kernel data plane's flags (docs/ENGINES.md) and their one-line errors. */
static void test_engine_flags(void **state)
{
	struct xfr_config cfg;

	(void)state;
	PARSE_OK(&cfg, "host");
	assert_int_equal(cfg.engine, XFR_ENGINE_SOCKET);
	assert_int_equal(cfg.xdp_mode, XFR_XDP_MODE_DEFAULT);
	PARSE_OK(&cfg, "-u", "--engine", "afxdp", "--xdp-mode", "pass", "--iface", "veth0",
		 "--queues", "4", "--drop-reasons", "host");
	assert_int_equal(cfg.engine, XFR_ENGINE_AFXDP);
	assert_int_equal(cfg.xdp_mode, XFR_XDP_MODE_PASS);
	assert_string_equal(cfg.iface, "veth0");
	assert_int_equal(cfg.queues, 4);
	assert_true(cfg.drop_reasons);
	PARSE_OK(&cfg, "--engine", "auto", "host"); /* TCP: sockets + BPF RTT */
	assert_int_equal(cfg.engine, XFR_ENGINE_AUTO);
	PARSE_OK(&cfg, "--drop-reasons", "host");
	assert_true(cfg.drop_reasons);
	EXPECT_ERR("xfr: --engine dpdk: must be auto, socket, xdp or afxdp", "--engine", "dpdk",
		   "host");
	EXPECT_ERR("xfr: --xdp-mode skip: must be drop, pass or redirect", "-u", "--engine", "xdp",
		   "--xdp-mode", "skip", "host");
	EXPECT_ERR("xfr: --queues 0: must be between 1 and 64", "--queues", "0", "host");
	EXPECT_ERR("xfr: --queues 65: must be between 1 and 64", "--queues", "65", "host");
	EXPECT_ERR("xfr: --iface a/b: not an interface name (1 to 15 characters, no '/' or "
		   "spaces)",
		   "--iface", "a/b", "host");
	EXPECT_ERR("xfr: --iface 0123456789abcdef: not an interface name (1 to 15 characters, no "
		   "'/' or spaces)",
		   "--iface", "0123456789abcdef", "host");
	EXPECT_ERR("xfr: --engine xdp: XDP engines carry UDP tests (add -u); TCP runs on sockets",
		   "--engine", "xdp", "host");
	EXPECT_ERR("xfr: --xdp-mode cannot be used with --engine socket (add --engine xdp, afxdp "
		   "or auto)",
		   "-u", "--xdp-mode", "drop", "host");
	EXPECT_ERR("xfr: --queues cannot be used with --engine socket", "-u", "--queues", "2",
		   "host");
	EXPECT_ERR("xfr: --probe-mtu cannot be used with --engine xdp/afxdp", "--probe-mtu",
		   "--engine", "xdp", "host");
	/* the server loads no BPF unless told to: socket by default, auto lets clients ask */
	PARSE_OK(&cfg, "serve");
	assert_int_equal(cfg.engine, XFR_ENGINE_SOCKET);
	PARSE_OK(&cfg, "serve", "--engine", "auto");
	assert_int_equal(cfg.engine, XFR_ENGINE_AUTO);
	PARSE_OK(&cfg, "serve", "--engine", "auto", "--iface", "eth1", "--queues", "2");
	assert_string_equal(cfg.iface, "eth1");
	assert_int_equal(cfg.queues, 2);
	/* a socket-only server never reads them: refused rather than ignored */
	EXPECT_ERR("xfr: serve --iface: only used with --engine auto (add it, or drop --iface)",
		   "serve", "--engine", "socket", "--iface", "eth1");
	EXPECT_ERR("xfr: serve --queues: only used with --engine auto (add it, or drop --queues)",
		   "serve", "--queues", "2");
	EXPECT_ERR("xfr: serve --engine xdp: the server runs what each client asks for; use socket "
		   "(default) or auto",
		   "serve", "--engine", "xdp");
	EXPECT_ERR("xfr: serve --xdp-mode: the client chooses the receiver mode", "serve",
		   "--xdp-mode", "drop");
	EXPECT_ERR("xfr: unknown option --drop-reasons", "serve", "--drop-reasons");
	/* xfr doctor */
	PARSE_OK(&cfg, "doctor", "--iface", "lo", "--json");
	assert_int_equal(cfg.mode, XFR_MODE_DOCTOR);
	assert_string_equal(cfg.iface, "lo");
	assert_int_equal(cfg.format, XFR_FMT_JSON);
	EXPECT_ERR("xfr: doctor: unexpected argument 'x' (usage: xfr doctor [--iface NAME] "
		   "[--json])",
		   "doctor", "x");
	EXPECT_ERR("xfr: unknown option -P", "doctor", "-P", "2");
	assert_int_equal(PARSE(&cfg, "doctor", "--help"), CLI_EXIT_OK);
	assert_non_null(strstr(last_out, "Usage: xfr doctor"));
}

/* --bind has one grammar: the option parser accepts exactly what the sockets (net.c) parse. */
static void test_bind_one_grammar(void **state)
{
	static const struct {
		const char *spec;
		bool ok;
		uint16_t port;
	} cases[] = {
		{"10.0.0.1", true, 0},
		{"10.0.0.1:5000", true, 5000},
		{"10.0.0.1:65535", true, 65535},
		{"[::1]", true, 0},
		{"[::1]:5000", true, 5000},
		{"fd00::2", true, 0},
		{"::ffff:10.0.0.1", true, 0},
		{"[fe80::1]:1", true, 1},
		{"10.0.0.300", false, 0},
		{"localhost", false, 0},
		{"[::1]:0", false, 0},
		{"10.0.0.1:", false, 0},
		{"10.0.0.1:65536", false, 0},
		{"10.0.0.1: 80", false, 0},
		{"10.0.0.1:+80", false, 0},
		{"10.0.0.1:80x", false, 0},
		{"10.0.0.1:8.0", false, 0},
		{"[10.0.0.1]", false, 0},
		{"[::1", false, 0},
		{"[::1]x", false, 0},
		{"[::1]:", false, 0},
		{"fe80:1", false, 0},
	};
	struct xfr_config c;
	struct net_addr a;
	uint16_t port;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cli_status rc = PARSE(&c, "--bind", cases[i].spec, "host");

		port = 42;
		assert_int_equal(net_parse_bind(cases[i].spec, &a, &port),
				 cases[i].ok ? 0 : -EINVAL);
		assert_int_equal(rc, cases[i].ok ? CLI_RUN : CLI_EXIT_USAGE);
		if (cases[i].ok)
			assert_int_equal(port, cases[i].port);
	}
	assert_int_equal(net_parse_port("5201", &port), 0);
	assert_int_equal(port, 5201);
	assert_int_equal(net_parse_port("0", &port), -ERANGE);
	assert_int_equal(net_parse_port("65536", &port), -ERANGE);
	assert_int_equal(net_parse_port(" 80", &port), -EINVAL);
	assert_int_equal(net_parse_port("", &port), -EINVAL);
}

static void test_positional(void **state)
{
	struct xfr_config c;

	(void)state;
	/* options after HOST, and "--" ending the options */
	PARSE_OK(&c, "host", "-P", "3", "--bidir");
	assert_string_equal(c.host, "host");
	assert_int_equal(c.streams, 3);
	assert_int_equal(c.dir, XFR_DIR_BIDIR);
	PARSE_OK(&c, "-P", "2", "--", "-odd-host");
	assert_string_equal(c.host, "-odd-host");
	/* "serve" only means the server as the first argument */
	PARSE_OK(&c, "-p", "5000", "serve");
	assert_int_equal(c.mode, XFR_MODE_CLIENT);
	assert_string_equal(c.host, "serve");
	/* an option value that looks like an option is still the value */
	PARSE_OK(&c, "-o", "--json", "host");
	assert_string_equal(c.output_file, "--json");
	assert_int_equal(c.format, XFR_FMT_PLAIN);
	EXPECT_ERR("xfr: HOST '': must be 1 to 255 characters", "");
}

static void test_repeatable(void **state)
{
	struct xfr_config c;

	(void)state;
	PARSE_OK(&c, "-R", "-P", "4", "--json", "a");
	assert_int_equal(c.dir, XFR_DIR_DOWNLOAD);
	/* an error halfway through argv leaves no getopt state behind */
	EXPECT_ERR("xfr: --parallel 0: must be between 1 and 128", "-t", "3", "-P", "0", "-q", "a");
	EXPECT_ERR("xfr: unknown option -x", "-qx", "a");
	PARSE_OK(&c, "b");
	assert_string_equal(c.host, "b");
	assert_int_equal(c.dir, XFR_DIR_UPLOAD);
	assert_int_equal(c.streams, 1);
	assert_int_equal(c.format, XFR_FMT_PLAIN);
	assert_false(c.quiet);
	assert_int_equal(c.duration_s, 10);
	PARSE_OK(&c, "serve", "--one-off");
	PARSE_OK(&c, "c");
	assert_int_equal(c.mode, XFR_MODE_CLIENT);
	assert_false(c.one_off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clean_env),
		cmocka_unit_test_setup(test_test_options, clean_env),
		cmocka_unit_test_setup(test_duration_rules, clean_env),
		cmocka_unit_test_setup(test_bitrate_bounds, clean_env),
		cmocka_unit_test_setup(test_target_forms, clean_env),
		cmocka_unit_test_teardown(test_target_options, clean_env),
		cmocka_unit_test_setup(test_congestion, clean_env),
		cmocka_unit_test_setup(test_connection_options, clean_env),
		cmocka_unit_test_setup(test_mptcp, clean_env),
		cmocka_unit_test_setup(test_output_options, clean_env),
		cmocka_unit_test_setup(test_server, clean_env),
		cmocka_unit_test_setup(test_server_limits, clean_env),
		cmocka_unit_test_setup(test_help_version, clean_env),
		cmocka_unit_test_teardown(test_env, clean_env),
		cmocka_unit_test_teardown(test_env_errors, clean_env),
		cmocka_unit_test_setup(test_value_errors, clean_env),
		cmocka_unit_test_setup(test_combination_errors, clean_env),
		cmocka_unit_test_setup(test_unknown_options, clean_env),
		cmocka_unit_test_setup(test_udp_flags, clean_env),
		cmocka_unit_test_setup(test_engine_flags, clean_env),
		cmocka_unit_test_setup(test_bind_one_grammar, clean_env),
		cmocka_unit_test_setup(test_positional, clean_env),
		cmocka_unit_test_setup(test_repeatable, clean_env),
	};

	clean_env(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
