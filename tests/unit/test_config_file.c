// SPDX-License-Identifier: MIT
/*
 * The config file: the TOML subset (values, every refusal with its line and
 * column), and the file through cli_parse: keys by long name and by the
 * reference's names, precedence flag > environment > file > default, the
 * version, [[presets]], and each error line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/toml.h"
#include "cli/cli.h"

#define MAX_ARGS 32

static char dir[] = "/tmp/xfr-test-config-XXXXXX";
static char path[512];
static char last_err[1024];

/* ---- the TOML subset ---- */

static void parse_ok(const char *text, struct toml_doc *doc)
{
	struct toml_error e;
	int rc = toml_parse(text, strlen(text), doc, &e);

	if (rc)
		fail_msg("'%s': %d:%d: %s", text, e.line, e.col, e.msg);
}

/* text must fail at line:col with a message containing msg. */
static void parse_bad_len(const char *text, size_t len, int line, int col, const char *msg)
{
	struct toml_doc doc;
	struct toml_error e;

	if (toml_parse(text, len, &doc, &e) != -EINVAL)
		fail_msg("'%s' was accepted", text);
	if (e.line != line || e.col != col || !strstr(e.msg, msg))
		fail_msg("'%s': got %d:%d: %s; want %d:%d: %s", text, e.line, e.col, e.msg, line,
			 col, msg);
	assert_int_equal(doc.n, 0);
	assert_null(doc.kv);
}

static void parse_bad(const char *text, int line, int col, const char *msg)
{
	parse_bad_len(text, strlen(text), line, col, msg);
}

static void test_toml_values(void **state)
{
	struct toml_doc d;

	(void)state;
	parse_ok("# top\nversion = 1\n\n[client]\n"
		 "a = \"x\\t\\\"y\\u00e9\" # comment\n"
		 "b = 'C:\\path'\n"
		 "c = -1_000\n"
		 "d = 2.5e3\n"
		 "e = true\r\n"
		 "f = [ \"p\", 'q',\n  # between\n  \"r\", ]\n"
		 "g = []\n"
		 "[[presets]]\nname = \"one\"\n[[presets]]\nname = \"two\"\n",
		 &d);
	assert_int_equal(d.n, 10);
	assert_string_equal(d.kv[0].table, "");
	assert_int_equal(d.kv[0].value.i, 1);
	assert_string_equal(d.kv[1].table, "client");
	assert_int_equal(d.kv[1].index, -1);
	assert_string_equal(d.kv[1].key, "a");
	assert_string_equal(d.kv[1].value.text, "x\t\"y\xc3\xa9");
	assert_int_equal(d.kv[1].line, 5);
	assert_int_equal(d.kv[1].value.col, 5);
	assert_string_equal(d.kv[2].value.text, "C:\\path");
	assert_int_equal(d.kv[3].value.type, TOML_INT);
	assert_true(d.kv[3].value.i == -1000);
	assert_string_equal(d.kv[3].value.text, "-1000");
	assert_int_equal(d.kv[4].value.type, TOML_FLOAT);
	assert_string_equal(d.kv[4].value.text, "2.5e3");
	assert_int_equal(d.kv[5].value.type, TOML_BOOL);
	assert_true(d.kv[5].value.b);
	assert_int_equal(d.kv[6].value.type, TOML_ARRAY);
	assert_int_equal(d.kv[6].value.n, 3);
	assert_string_equal(d.kv[6].value.items[2].text, "r");
	assert_int_equal(d.kv[6].value.items[2].line, 12);
	assert_int_equal(d.kv[7].value.n, 0);
	assert_string_equal(d.kv[8].table, "presets");
	assert_int_equal(d.kv[8].index, 0);
	assert_int_equal(d.kv[9].index, 1);
	assert_string_equal(d.kv[9].value.text, "two");
	toml_free(&d);

	parse_ok("", &d);
	assert_int_equal(d.n, 0);
	toml_free(&d);
	parse_ok("\xef\xbb\xbf[client]\nx=1", &d); /* BOM, no final newline */
	assert_int_equal(d.n, 1);
	toml_free(&d);
}

static void test_toml_errors(void **state)
{
	(void)state;
	parse_bad("a 1\n", 1, 3, "expected '=' after the key");
	parse_bad("a =\n", 1, 4, "expected a value");
	parse_bad("a = 1 2\n", 1, 7, "expected the end of the line");
	parse_bad("\n\n  a.b = 1\n", 3, 4, "dotted keys are not supported");
	parse_bad("\"a\" = 1\n", 1, 1, "quoted keys are not supported");
	parse_bad("a = \"x\n", 1, 5, "string not closed on its line");
	parse_bad("a = \"\"\"x\"\"\"\n", 1, 5, "multi-line strings");
	parse_bad("a = \"\\q\"\n", 1, 7, "unknown escape");
	parse_bad("a = \"\\u12\"\n", 1, 6, "needs 4 hex digits");
	parse_bad("a = \"\\ud800\"\n", 1, 6, "not an allowed character");
	parse_bad("a = \"\\u0000\"\n", 1, 6, "not an allowed character");
	parse_bad("a = \"x\x01\"\n", 1, 7, "control character 0x01");
	parse_bad("a = {x = 1}\n", 1, 5, "inline tables are not supported");
	parse_bad("a = [[1]]\n", 1, 6, "nested arrays are not supported");
	parse_bad("a = [1 2]\n", 1, 8, "expected ',' or ']'");
	parse_bad("a = [1,\n", 2, 1, "expected a value");
	parse_bad("a = 1979-05-27\n", 1, 5, "dates and times are not supported");
	parse_bad("a = 0x10\n", 1, 5, "only decimal numbers");
	parse_bad("a = inf\n", 1, 5, "inf and nan");
	parse_bad("a = 012\n", 1, 5, "not a decimal number");
	parse_bad("a = -0_000\n", 1, 5, "not a decimal number"); /* found by fuzz_toml */
	parse_bad("a = 1__0\n", 1, 5, "not a decimal number");
	parse_bad("a = 1.\n", 1, 5, "not a decimal number");
	parse_bad("a = 99999999999999999999\n", 1, 5, "out of range");
	parse_bad("a = yes\n", 1, 5, "not a decimal number");
	parse_bad("a = 1\na = 2\n", 2, 1, "'a' is already set on line 1");
	parse_bad("[t]\n[t]\n", 2, 1, "[t] appears twice");
	parse_bad("[t]\n[[t]]\n", 2, 1, "not an array of tables");
	parse_bad("[[t]]\n[t]\n", 2, 1, "is an array of tables");
	parse_bad("[t\n", 1, 3, "expected ']'");
	parse_bad("[t] x\n", 1, 5, "end of the line after the table header");
	parse_bad("a = 1\r\rb = 2\n", 1, 6, "end of the line");
	parse_bad("# x\x01\n", 1, 4, "control character 0x01 in a comment");
	parse_bad_len("a = 1\n\0", 7, 2, 1, "NUL byte");
}

/* ---- the file through cli_parse ---- */

static void write_config(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* cli_parse on "xfr" + the NULL-terminated arguments; err captured, out discarded. */
static enum cli_status parse(struct xfr_config *cfg, ...)
{
	char *argv[MAX_ARGS + 2], *err_text = NULL, *out_text = NULL;
	size_t err_len, out_len;
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
	rc = cli_parse(argc, argv, cfg, out, err);
	fclose(out);
	fclose(err);
	snprintf(last_err, sizeof(last_err), "%s", err_text);
	free(err_text);
	free(out_text);
	return rc;
}

#define PARSE(cfg, ...) parse(cfg, __VA_ARGS__, (char *)NULL)

/* The file text must be refused with exactly this line (path prefixed). */
static void config_bad(const char *text, const char *cmd, const char *line)
{
	struct xfr_config c;
	char want[1200];

	write_config(text);
	snprintf(want, sizeof(want), "xfr: %s:%s\n", path, line);
	if (!strcmp(cmd, "serve"))
		assert_int_equal(PARSE(&c, "serve"), CLI_EXIT_USAGE);
	else
		assert_int_equal(PARSE(&c, "h"), CLI_EXIT_USAGE);
	assert_string_equal(last_err, want);
}

static int setup(void **state)
{
	static const char *const vars[] = {
		"XFR_PORT",   "XFR_DURATION",  "XFR_BYTES",   "XFR_TIMESTAMP_FORMAT",
		"XFR_CONFIG", "XFR_LOG_LEVEL", "XFR_LOG_FILE"};

	(void)state;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("XDG_CONFIG_HOME", dir, 1);
	return 0;
}

static void test_default_path_and_absence(void **state)
{
	struct xfr_config c;

	(void)state;
	unlink(path);
	assert_int_equal(PARSE(&c, "h"), CLI_RUN); /* no file at the default path: fine */
	assert_string_equal(c.config_path, "");
	write_config("[client]\nparallel = 3\n");
	assert_int_equal(PARSE(&c, "h"), CLI_RUN);
	assert_string_equal(c.config_path, path);
	assert_int_equal(c.streams, 3);
	assert_int_equal(PARSE(&c, "--no-config", "h"), CLI_RUN);
	assert_int_equal(c.streams, 1);
	assert_int_equal(PARSE(&c, "--config", "/nonexistent/x.toml", "h"), CLI_EXIT_USAGE);
	assert_string_equal(last_err, "xfr: /nonexistent/x.toml: cannot read the config file: No "
				      "such file or directory\n");
	setenv("XFR_CONFIG", "/nonexistent/y.toml", 1);
	assert_int_equal(PARSE(&c, "h"), CLI_EXIT_USAGE);
	unsetenv("XFR_CONFIG");
	unlink(path);
}

static void test_keys_and_aliases(void **state)
{
	struct xfr_config c;

	(void)state;
	write_config("version = 1\n[client]\nduration_secs = 3\nparallel_streams = 4\n"
		     "tcp_nodelay = true\nwindow_size = \"4M\"\ninterval_secs = 0.5\n"
		     "omit_secs = 1\njson_output = true\naddress_family = \"ipv4\"\n"
		     "congestion = \"cubic\"\ndscp = \"EF\"\ntimestamp_format = \"unix\"\n"
		     "zerocopy = \"msg\"\nbitrate = \"100M\"\n"
		     "[server]\nport = 6001\nmax_tests = 20\none_off = true\n"
		     "rate_limit_window = \"30s\"\n");
	assert_int_equal(PARSE(&c, "h"), CLI_RUN);
	assert_int_equal(c.duration_s, 3);
	assert_int_equal(c.streams, 4);
	assert_true(c.nodelay);
	assert_true(c.window == 4u << 20);
	assert_int_equal(c.interval_ms, 500);
	assert_int_equal(c.omit_ms, 1000);
	assert_int_equal(c.format, XFR_FMT_JSON);
	assert_int_equal(c.family, XFR_AF_INET);
	assert_string_equal(c.congestion, "cubic");
	assert_int_equal(c.tos, 184);
	assert_int_equal(c.ts_format, XFR_TS_UNIX);
	assert_int_equal(c.zerocopy, XFR_ZC_MSG);
	assert_true(c.bitrate == 100000000);
	assert_int_equal(c.port, 5201); /* [server] is not the client's */
	assert_int_equal(PARSE(&c, "serve"), CLI_RUN);
	assert_int_equal(c.port, 6001);
	assert_int_equal(c.max_tests, 20);
	assert_true(c.one_off);
	assert_int_equal(c.rate_limit_window_ms, 30000);
	assert_int_equal(c.streams, 1); /* [client] is not the server's */
}

static void test_precedence(void **state)
{
	struct xfr_config c;

	(void)state;
	write_config("[client]\ntime = 7\nport = 6000\nbytes = \"1M\"\n"
		     "timestamp_format = \"iso8601\"\njson = true\n");
	/* file > default */
	assert_int_equal(PARSE(&c, "h"), CLI_RUN);
	assert_int_equal(c.duration_s, 7);
	assert_int_equal(c.port, 6000);
	assert_true(c.bytes == 1u << 20);
	/* environment > file */
	setenv("XFR_DURATION", "9", 1);
	setenv("XFR_PORT", "6100", 1);
	assert_int_equal(PARSE(&c, "h"), CLI_RUN);
	assert_int_equal(c.duration_s, 9);
	assert_int_equal(c.port, 6100);
	/* flag > environment > file */
	assert_int_equal(PARSE(&c, "-t", "11", "-p", "6200", "--csv", "h"), CLI_RUN);
	assert_int_equal(c.duration_s, 11);
	assert_int_equal(c.port, 6200);
	assert_int_equal(c.format, XFR_FMT_CSV); /* a rival flag overrides the file's json */
	/* the address's port beats the file's, as it beats XFR_PORT */
	unsetenv("XFR_PORT");
	assert_int_equal(PARSE(&c, "h:6300"), CLI_RUN);
	assert_int_equal(c.port, 6300);
	unsetenv("XFR_DURATION");
	/* the log's settings: the same order, on both commands */
	write_config("[client]\nlog_level = \"debug\"\nlog_file = \"/tmp/a.log\"\n"
		     "[server]\nlog_level = \"debug\"\n");
	assert_int_equal(PARSE(&c, "h"), CLI_RUN);
	assert_int_equal(c.log_level, XFR_LOG_DEBUG);
	assert_string_equal(c.log_file, "/tmp/a.log");
	setenv("XFR_LOG_LEVEL", "warn", 1);
	setenv("XFR_LOG_FILE", "/tmp/b.log", 1);
	assert_int_equal(PARSE(&c, "h"), CLI_RUN);
	assert_int_equal(c.log_level, XFR_LOG_WARN);
	assert_string_equal(c.log_file, "/tmp/b.log");
	assert_int_equal(PARSE(&c, "serve"), CLI_RUN);
	assert_int_equal(c.log_level, XFR_LOG_WARN);
	assert_int_equal(PARSE(&c, "--log-level", "error", "--log-file", "/tmp/c.log", "h"),
			 CLI_RUN);
	assert_int_equal(c.log_level, XFR_LOG_ERROR);
	assert_string_equal(c.log_file, "/tmp/c.log");
	unsetenv("XFR_LOG_LEVEL");
	unsetenv("XFR_LOG_FILE");
	/* a byte budget from the file without any time: no clock */
	write_config("[client]\nbytes = \"1M\"\n");
	assert_int_equal(PARSE(&c, "h"), CLI_RUN);
	assert_int_equal(c.duration_s, 0);
	/* TCP settings of the file do not turn -u into a conflict */
	write_config("[client]\ncongestion = \"cubic\"\ntcp_nodelay = true\n");
	assert_int_equal(PARSE(&c, "-u", "h"), CLI_RUN);
	assert_string_equal(c.congestion, "");
	assert_false(c.nodelay);
	/* ... which on the command line they are */
	assert_int_equal(PARSE(&c, "--no-config", "-u", "--tcp-nodelay", "h"), CLI_EXIT_USAGE);
}

static void test_presets(void **state)
{
	struct xfr_config c;

	(void)state;
	write_config("[[presets]]\nname = \"lab\"\nbandwidth_limit = \"100M\"\n"
		     "allowed_clients = [\"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.7\"]\n"
		     "max_duration_secs = 60\n\n[[presets]]\nname = \"open\"\n");
	assert_int_equal(PARSE(&c, "serve"), CLI_RUN);
	assert_int_equal(c.npresets, 2);
	assert_string_equal(c.presets[0].name, "lab");
	assert_true(c.presets[0].bandwidth_limit == 100000000);
	assert_int_equal(c.presets[0].max_duration_s, 60);
	assert_int_equal(c.presets[0].nclients, 3);
	assert_string_equal(c.presets[0].allowed_clients[1], "2001:db8::/32");
	assert_string_equal(c.presets[1].name, "open");
	assert_int_equal(c.presets[1].nclients, 0);
}

static void test_errors(void **state)
{
	(void)state;
	config_bad("[client]\nparallel = 0\n", "",
		   "2:12: [client] parallel = 0: must be between 1 "
		   "and 128");
	config_bad("[client]\nbogus = 1\n", "",
		   "2:9: [client] bogus = 1: unknown key (the keys are the long options of xfr "
		   "--help)");
	/* the other command's section is checked too */
	config_bad("[server]\nparallel = 2\n", "",
		   "2:12: [server] parallel = 2: unknown key (the keys are the long options of xfr "
		   "serve --help)");
	config_bad("[client]\nudp = \"yes\"\n", "",
		   "2:7: [client] udp = \"yes\": expected true or false");
	config_bad(
		"[client]\ntime = true\n", "",
		"2:8: [client] time = true: expected a value (a string or a number), not true or "
		"false");
	config_bad(
		"[client]\ntime = \"5M\"\n", "",
		"2:8: [client] time = \"5M\": M is not a unit of time (use m or min for minutes)");
	config_bad("[client]\nhelp = true\n", "",
		   "2:8: [client] help = true: unknown key (the keys are the long options of xfr "
		   "--help)");
	config_bad(
		"[client]\naddress_family = \"ipx\"\n", "",
		"2:18: [client] address_family = \"ipx\": expected \"ipv4\", \"ipv6\" or \"dual\"");
	config_bad("[server]\nbind = \"0.0.0.0\"\n", "serve",
		   "2:8: [server] bind = \"0.0.0.0\": unspecified address (use -4/-6)");
	config_bad("version = 2\n", "",
		   "1:11: version 2: this xfr reads version 1 files (a newer "
		   "xfr wrote it; upgrade xfr)");
	config_bad("version = \"1\"\n", "", "1:11: version: expected an integer (1)");
	config_bad("port = 1\n", "",
		   "1:1: port: expected in [client] or [server] (only version is a top-level key)");
	config_bad("[clinet]\nx = 1\n", "",
		   "2:1: [clinet] is not a table of xfr's (expected [client], [server] or "
		   "[[presets]])");
	config_bad("[presets]\nname = \"x\"\n", "",
		   "2:1: presets is an array of tables: write [[presets]]");
	config_bad("[[presets]]\nname = \"x\"\nmax_duration_secs = 0\n", "",
		   "3:21: [[presets]] max_duration_secs: expected whole seconds, 1 to 3600");
	config_bad("[[presets]]\nname = \"x\"\nallowed_clients = [\"10.0.0.0/33\"]\n", "",
		   "3:20: [[presets]] allowed_clients: expected an address or CIDR (10.0.0.0/8, "
		   "2001:db8::/32)");
	config_bad("[[presets]]\nbandwidth_limit = 5\n", "",
		   "2:1: [[presets]] number 1: expected a key name = \"...\"");
	config_bad("[[presets]]\nname = \"a\"\n[[presets]]\nname = \"a\"\n", "",
		   "4:1: [[presets]] 'a': a preset of that name comes earlier");
	config_bad("[[presets]]\nname = \"a\"\nspeed = 1\n", "",
		   "3:9: [[presets]] speed: unknown key (presets take name, bandwidth_limit, "
		   "allowed_clients, max_duration_secs)");
	config_bad("[client]\nparallel = 2\nparallel = 3\n", "",
		   "3:1: 'parallel' is already set on line 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toml_values),
		cmocka_unit_test(test_toml_errors),
		cmocka_unit_test_setup(test_default_path_and_absence, setup),
		cmocka_unit_test_setup(test_keys_and_aliases, setup),
		cmocka_unit_test_setup(test_precedence, setup),
		cmocka_unit_test_setup(test_presets, setup),
		cmocka_unit_test_setup(test_errors, setup),
	};
	char sub[300];
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sub, sizeof(sub), "%s/xfr", dir);
	if (mkdir(sub, 0700))
		return 1;
	snprintf(path, sizeof(path), "%s/config.toml", sub);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	return rc;
}
